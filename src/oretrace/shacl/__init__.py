"""SHACL validation for oretrace: a set-at-a-time SPARQL engine over pyoxigraph (the default)
and pySHACL (the reference), behind one call.

    report = validate(store, shapes_triples, engine="sparql")

`store` is a pyoxigraph Store holding the data graph (by default the union of its graphs, or
the graphs listed in `default_graph`); `shapes_triples` are the triples of the shapes graph.
"""

from __future__ import annotations

import pyoxigraph as ox

from .model import INFO, VIOLATION, WARNING, Graph, Report, Result, ShapesError, path_sparql, sh
from .pyshacl_engine import PyshaclEngine
from .sparql import SparqlEngine

ENGINES = ("sparql", "pyshacl")
DEFAULT_ENGINE = "sparql"

__all__ = ["ENGINES", "DEFAULT_ENGINE", "Graph", "Report", "Result", "ShapesError", "validate",
           "VIOLATION", "WARNING", "INFO", "path_sparql", "sh"]


def data_triples(store: ox.Store, union: bool = True, default_graph=None) -> list[ox.Triple]:
    """The data graph of `store` as triples (the union of the given graphs, or of all)."""
    if default_graph is not None:
        quads = [q for g in default_graph for q in store.quads_for_pattern(None, None, None, g)]
    elif union:
        quads = list(store)
    else:
        quads = list(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    return list({ox.Triple(q.subject, q.predicate, q.object) for q in quads})


def validate(store: ox.Store, shapes_triples, engine: str = DEFAULT_ENGINE, union: bool = True,
             default_graph=None, shapes_graph: Graph | None = None) -> Report:
    """Validate the data in `store` against the shapes; raise ShapesError if the shapes are unusable.
    `shapes_graph`, the shapes already indexed (Graph(shapes_triples)), saves indexing them again."""
    shapes_triples = list(shapes_triples)
    if engine == "sparql":
        g = shapes_graph if shapes_graph is not None else Graph(shapes_triples)
        return SparqlEngine(store, g, union=union, default_graph=default_graph).validate()
    if engine == "pyshacl":
        return PyshaclEngine(data_triples(store, union, default_graph), shapes_triples).validate()
    raise ValueError(f"unknown engine {engine!r} (use one of {', '.join(ENGINES)})")
