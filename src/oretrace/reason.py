"""Classify the curated graph with the HermiT reasoner (owlready2): the third stage.

`infer(ontology, quads)` returns the inferred `rdf:type` triples: the defined classes HermiT
places individuals in (indium-bearing export, 3TG material, ...) and every named superclass of
each individual's types, minus what was asserted. An inconsistent graph raises
`InconsistencyError` naming the statements that together cause it.
"""

from __future__ import annotations

import io
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable

import pyoxigraph as ox

from .ontology import Ontology
from .vocab import OWL, RDF

_TYPE = RDF + "type"


class ReasonerError(Exception):
    """The reasoner could not run."""


class InconsistencyError(Exception):
    """The ontology and data contradict each other."""

    def __init__(self, statements: list[str], detail: str):
        self.statements = statements
        super().__init__(detail)


def _triples_nt(triples: Iterable[ox.Triple]) -> bytes:
    return "".join(f"{t} .\n" for t in triples).encode("utf-8")


def _hermit_types(nt: bytes) -> dict[str, set[str]]:
    """Run HermiT on N-Triples; return every individual's named classes after reasoning."""
    import owlready2
    from owlready2.base import OwlReadyInconsistentOntologyError

    if shutil.which("java") is None and not getattr(owlready2, "JAVA_EXE", None):
        raise ReasonerError("no Java runtime found: HermiT needs one (apt-get install -y default-jre-headless)")
    world = owlready2.World()
    onto = world.get_ontology("http://oretrace.invalid/reasoning-input")
    onto.load(fileobj=io.BytesIO(nt), format="ntriples")
    try:
        with onto:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except OwlReadyInconsistentOntologyError as e:
        raise InconsistencyError([], str(e)) from None
    except (owlready2.base.OwlReadyJavaError, FileNotFoundError, OSError) as e:
        raise ReasonerError(f"HermiT failed to run: {e}") from e
    out: dict[str, set[str]] = {}
    for ind in world.individuals():
        out[ind.iri] = {c.iri for c in ind.is_a if isinstance(c, owlready2.ThingClass)}
    world.close()
    return out


def _consistent(nt: bytes) -> bool:
    try:
        _hermit_types(nt)
        return True
    except InconsistencyError:
        return False


def infer(onto: Ontology, asserted: Iterable[ox.Quad], graph_of: Callable[[ox.Quad], str] | None = None) -> list[ox.Triple]:
    """Inferred rdf:type triples for the asserted quads (all graphs merged)."""
    quads = list(asserted)
    onto_triples = list(ox.parse(onto.nquads, format=ox.RdfFormat.N_TRIPLES))
    data_triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    nt = _triples_nt(onto_triples) + _triples_nt(sorted(data_triples, key=str))
    try:
        after = _hermit_types(nt)
    except InconsistencyError as e:
        culprits = explain(onto_triples, quads)
        raise InconsistencyError(culprits, f"the graph is inconsistent ({e}); statements involved: {', '.join(culprits) or 'not isolated'}") from None

    asserted_types: dict[str, set[str]] = defaultdict(set)
    for t in data_triples:
        if t.predicate.value == _TYPE and isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.NamedNode):
            asserted_types[t.subject.value].add(t.object.value)
    inferred = []
    for ind in sorted(set(asserted_types) | set(after)):
        if ind not in asserted_types:
            continue  # ontology individuals and reasoner-internal nodes
        types = set(asserted_types[ind]) | after.get(ind, set())
        closure = set()
        for c in types:
            closure |= onto.superclasses.get(c, {c})
        for c in sorted(closure - asserted_types[ind]):
            if c in onto.classes and c != OWL + "Thing":
                inferred.append(ox.Triple(ox.NamedNode(ind), ox.NamedNode(_TYPE), ox.NamedNode(c)))
    return inferred


def explain(onto_triples: list[ox.Triple], quads: list[ox.Quad]) -> list[str]:
    """A minimal set of statement graphs that is inconsistent with the ontology (QuickXplain)."""
    groups: dict[str, list[ox.Triple]] = defaultdict(list)
    for q in quads:
        key = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        groups[key].append(ox.Triple(q.subject, q.predicate, q.object))
    keys = sorted(groups)
    base_nt = _triples_nt(onto_triples)

    def consistent(subset: list[str]) -> bool:
        triples = {t for k in subset for t in groups[k]}
        return _consistent(base_nt + _triples_nt(sorted(triples, key=str)))

    def qx(background: list[str], delta: bool, candidates: list[str]) -> list[str]:
        if delta and not consistent(background):
            return []
        if len(candidates) == 1:
            return candidates
        half = len(candidates) // 2
        c1, c2 = candidates[:half], candidates[half:]
        d2 = qx(background + c1, bool(c1), c2)
        d1 = qx(background + d2, bool(d2), c1)
        return d1 + d2

    if consistent(keys):
        return []
    found = qx([], False, keys)
    return sorted(k.rsplit("/id/statement/", 1)[-1] for k in found)
