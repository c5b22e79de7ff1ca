"""Classify large graphs with SPARQL rules over Oxigraph, where HermiT cannot go.

HermiT classifies the curated graph (thousands of triples) in seconds, but it holds the whole
graph in the JVM and its time grows faster than linearly, so it cannot take millions of
imported triples. `infer(store, ...)` gives the same `rdf:type` conclusions for the OWL
constructs the ontology uses, by rules written in SPARQL and run inside Oxigraph:

* the class hierarchy: told `rdfs:subClassOf`, plus what the defined classes imply (a class
  defined as an intersection is below each named part; each named member of a union is below
  the union);
* `rdfs:domain` and `rdfs:range`, through sub-properties and `owl:inverseOf`;
* each defined class (`owl:equivalentClass` of `intersectionOf`, `unionOf`, `someValuesFrom`,
  `hasValue`, `oneOf`), with transitive properties and sub-properties as property paths.

Rules run in rounds until a round adds nothing; each round's conclusions are streamed to an
N-Triples file and bulk-loaded into the inferred graph. As in `reason.infer`, only individuals
typed in the data (outside the ontology graph) are classified, only named ontology classes are
concluded, and nothing already known is added. Each round costs a few scans of the typed
individuals, so time grows linearly with the data (see bench/ for figures).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .vocab import OWL, RDF, RDFS

MAX_ROUNDS = 10


class RuleError(Exception):
    """The ontology uses a construct the rules do not translate."""


@dataclass
class Schema:
    classes: set[str]
    supers: dict[str, set[str]]                 # class -> all named superclasses (not itself)
    domains: dict[str, set[str]]                # property -> classes of its subjects
    ranges: dict[str, set[str]]                 # property -> classes of its objects
    definitions: dict[str, str] = field(default_factory=dict)  # defined class -> SPARQL pattern over ?x


def schema(onto_nt: str) -> Schema:
    """Read the rules' schema from the ontology (N-Triples text)."""
    import rdflib
    from rdflib.collection import Collection

    g = rdflib.Graph()
    g.parse(data=onto_nt, format="nt")
    R, O = rdflib.RDF, rdflib.OWL
    classes = {str(c) for c in g.subjects(R.type, O.Class) if isinstance(c, rdflib.URIRef)}
    edges: dict[str, set[str]] = {c: set() for c in classes}
    for s, o in g.subject_objects(rdflib.RDFS.subClassOf):
        if isinstance(s, rdflib.URIRef) and isinstance(o, rdflib.URIRef):
            edges.setdefault(str(s), set()).add(str(o))
    definitions = {}
    for c, expr in g.subject_objects(O.equivalentClass):
        if not isinstance(c, rdflib.URIRef):
            continue
        c = str(c)
        for op in g.objects(expr, O.intersectionOf):
            for m in Collection(g, op):
                if isinstance(m, rdflib.URIRef):
                    edges.setdefault(c, set()).add(str(m))
        for op in g.objects(expr, O.unionOf):
            for m in Collection(g, op):
                if isinstance(m, rdflib.URIRef):
                    edges.setdefault(str(m), set()).add(c)
    # properties: sub-properties, inverses, transitivity
    subprops: dict[str, set[str]] = {}
    for s, o in g.subject_objects(rdflib.RDFS.subPropertyOf):
        subprops.setdefault(str(o), set()).add(str(s))
    inverse: dict[str, set[str]] = {}
    for s, o in g.subject_objects(O.inverseOf):
        inverse.setdefault(str(s), set()).add(str(o))
        inverse.setdefault(str(o), set()).add(str(s))
    transitive = {str(p) for p in g.subjects(R.type, O.TransitiveProperty)}

    def below(p: str) -> set[str]:
        seen, todo = {p}, [p]
        while todo:
            for q in subprops.get(todo.pop(), ()):
                if q not in seen:
                    seen.add(q)
                    todo.append(q)
        return seen

    def path(p: str) -> str:
        alts = []
        for q in sorted(below(p)):
            alts.append(f"<{q}>")
            for inv in sorted(inverse.get(q, ())):
                alts.append(f"^<{inv}>")
        text = "|".join(dict.fromkeys(alts))
        return f"({text})+" if p in transitive else f"({text})"

    counter = [0]

    def fresh() -> str:
        counter[0] += 1
        return f"?v{counter[0]}"

    def pattern(node, var: str) -> str:
        if isinstance(node, rdflib.URIRef):
            return f"{var} a <{node}> ."
        ops = list(g.objects(node, O.intersectionOf))
        if ops:
            return " ".join(pattern(m, var) for m in Collection(g, ops[0]))
        ops = list(g.objects(node, O.unionOf))
        if ops:
            return " UNION ".join("{ " + pattern(m, var) + " }" for m in Collection(g, ops[0]))
        ops = list(g.objects(node, O.oneOf))
        if ops:
            return f"VALUES {var} {{ {' '.join(f'<{m}>' for m in Collection(g, ops[0]))} }}"
        prop = g.value(node, O.onProperty)
        if prop is not None:
            hv = g.value(node, O.hasValue)
            if hv is not None:
                return f"{var} {path(str(prop))} <{hv}> ."
            svf = g.value(node, O.someValuesFrom)
            if svf is not None:
                y = fresh()
                return f"{var} {path(str(prop))} {y} . {pattern(svf, y)}"
        raise RuleError(f"class expression {node} uses an OWL construct the SPARQL rules do not translate")

    for c, expr in g.subject_objects(O.equivalentClass):
        if isinstance(c, rdflib.URIRef) and not isinstance(expr, rdflib.URIRef):
            definitions[str(c)] = pattern(expr, "?x")

    supers: dict[str, set[str]] = {}
    for c in edges:
        seen, todo = set(), [c]
        while todo:
            for d in edges.get(todo.pop(), ()):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        supers[c] = {d for d in seen - {c} if d in classes and d != OWL + "Thing"}

    def named(cls) -> set[str]:
        return {str(cls)} if isinstance(cls, rdflib.URIRef) and str(cls) in classes else set()

    dom: dict[str, set[str]] = {}
    rng: dict[str, set[str]] = {}
    for p, c in g.subject_objects(rdflib.RDFS.domain):
        for q in below(str(p)):
            dom.setdefault(q, set()).update(named(c))
            for inv in inverse.get(q, ()):
                rng.setdefault(inv, set()).update(named(c))
    for p, c in g.subject_objects(rdflib.RDFS.range):
        for q in below(str(p)):
            rng.setdefault(q, set()).update(named(c))
            for inv in inverse.get(q, ()):
                dom.setdefault(inv, set()).update(named(c))
    return Schema(classes, supers, {k: v for k, v in dom.items() if v}, {k: v for k, v in rng.items() if v}, definitions)


def queries(sc: Schema, onto_graph: str, inferred_graph: str) -> list[tuple[str, str]]:
    """(name, CONSTRUCT query) for one round of rules."""
    typed = (f"FILTER EXISTS {{ GRAPH ?tg {{ ?x a ?tt }} FILTER(?tg != <{onto_graph}> && ?tg != <{inferred_graph}>) }}")
    out = []
    pairs = " ".join(f"(<{c}> <{d}>)" for c in sorted(sc.supers) for d in sorted(sc.supers[c]))
    out.append(("superclasses", f"CONSTRUCT {{ ?x a ?d }} WHERE {{ VALUES (?c ?d) {{ {pairs} }} ?x a ?c . "
                                f"FILTER(!isLiteral(?x)) FILTER NOT EXISTS {{ ?x a ?d }} {typed} }}"))
    dp = " ".join(f"(<{p}> <{c}>)" for p in sorted(sc.domains) for c in sorted(sc.domains[p]))
    out.append(("domains", f"CONSTRUCT {{ ?x a ?d }} WHERE {{ VALUES (?p ?d) {{ {dp} }} ?x ?p ?o . "
                           f"FILTER NOT EXISTS {{ ?x a ?d }} {typed} }}"))
    rp = " ".join(f"(<{p}> <{c}>)" for p in sorted(sc.ranges) for c in sorted(sc.ranges[p]))
    out.append(("ranges", f"CONSTRUCT {{ ?x a ?d }} WHERE {{ VALUES (?p ?d) {{ {rp} }} ?s ?p ?x . "
                          f"FILTER(!isLiteral(?x)) FILTER NOT EXISTS {{ ?x a ?d }} {typed} }}"))
    for c in sorted(sc.definitions):
        out.append((c.rsplit("#", 1)[-1], f"CONSTRUCT {{ ?x a <{c}> }} WHERE {{ {sc.definitions[c]} "
                                          f"FILTER(!isLiteral(?x)) FILTER NOT EXISTS {{ ?x a <{c}> }} {typed} }}"))
    return out


def infer(store: ox.Store, onto_nt: str, onto_graph: str, inferred_graph: str, progress=None,
          nquads_out: Path | None = None) -> dict:
    """Run the rules to a fixpoint, adding conclusions to `inferred_graph`; return counts and timings.

    With `nquads_out`, the conclusions are also written there as N-Quads (in `inferred_graph`)."""
    sc = schema(onto_nt)
    qs = queries(sc, onto_graph, inferred_graph)
    target = ox.NamedNode(inferred_graph)
    stats = {"rounds": 0, "inferred": 0, "seconds": 0.0, "by_rule": {}}
    t0 = time.perf_counter()
    suffix = f" <{inferred_graph}> .\n".encode()
    out = open(nquads_out, "wb") if nquads_out else None
    try:
        return _rounds(store, qs, target, stats, t0, progress, out, suffix)
    finally:
        if out:
            out.close()


def _rounds(store, qs, target, stats, t0, progress, out, suffix) -> dict:
    with tempfile.TemporaryDirectory(prefix="oretrace-rules-") as tmp:
        for rnd in range(1, MAX_ROUNDS + 1):
            added = 0
            for name, q in qs:
                path = Path(tmp) / f"r{rnd}-{name}.nt"
                ox.serialize(store.query(q, use_default_graph_as_union=True), str(path), format=ox.RdfFormat.N_TRIPLES)
                n = _lines(path)
                if n:
                    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=target)
                    added += n
                    stats["by_rule"][name] = stats["by_rule"].get(name, 0) + n
                    if out:
                        with open(path, "rb") as f:
                            for lines in iter(lambda: f.readlines(1 << 22), []):
                                out.write(b"".join(lines).replace(b" .\n", suffix))
                os.unlink(path)
            stats["rounds"] = rnd
            stats["inferred"] += added
            if progress:
                progress(f"rules round {rnd}: {added:,} types")
            if not added:
                break
        else:
            raise RuleError(f"the rules did not reach a fixpoint in {MAX_ROUNDS} rounds")
    stats["seconds"] = time.perf_counter() - t0
    return stats


def _lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return n
