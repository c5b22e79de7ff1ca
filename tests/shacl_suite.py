"""The W3C SHACL test suite: its validation tests, run through oretrace's validation path.

`cases(root)` reads the manifests under `root` (the suite's tests/ folder) and yields one
`Case` per sht:Validate test; `run(case, engine)` loads the data and shapes graphs into a store,
validates them and returns (expected, actual) sets of result keys and conformance.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from oretrace.shacl import validate
from oretrace.shacl.model import RDF, Graph, path_sparql, sh

MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
SHT = "http://www.w3.org/ns/shacl-test#"


@dataclass
class Case:
    name: str      # e.g. core/property/minCount-001
    iri: str
    file: Path
    data: Path
    shapes: Path
    expected: Graph
    result_node: object
    label: str = ""


def _load(path: Path) -> list[ox.Triple]:
    """The triples of a Turtle file after a round trip through a Store.

    Oxigraph stores some literals in canonical form ("4.0"^^xsd:decimal becomes "4", an
    out-of-range xsd:byte becomes xsd:integer); expected reports pass through the same round trip
    so that they are compared with results on the same terms.
    """
    st = ox.Store()
    st.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
    return [ox.Triple(q.subject, q.predicate, q.object) for q in st]


def _parse(path: Path) -> list[ox.Triple]:
    return [ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())]


def _files(manifest: Path):
    g = Graph(_load(manifest))
    out = [manifest]
    for inc in g.pos.get(ox.NamedNode(MF + "include"), []):
        out += _files(Path(inc[1].value.removeprefix("file://")))
    return out


def cases(root: Path, part: str = "core") -> list[Case]:
    root = Path(root).resolve()  # file IRIs in the manifests are resolved paths
    out = []
    for mf in _files(root / part / "manifest.ttl"):
        triples = _load(mf)
        g = Graph(triples)
        for t in g.subjects(ox.NamedNode(RDF + "type"), ox.NamedNode(SHT + "Validate")):
            action = g.value(t, ox.NamedNode(MF + "action"))
            data = Path(g.value(action, ox.NamedNode(SHT + "dataGraph")).value.removeprefix("file://"))
            shapes = Path(g.value(action, ox.NamedNode(SHT + "shapesGraph")).value.removeprefix("file://"))
            file = Path(t.value.removeprefix("file://"))
            rel = file.relative_to(root)
            lab = g.value(t, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"))
            out.append(Case(str(rel.with_suffix("")), t.value, mf, data, shapes, g,
                            g.value(t, ox.NamedNode(MF + "result")), lab.value if lab else ""))
    return sorted(out, key=lambda c: c.name)


def expected(case: Case) -> tuple[bool, Counter]:
    g, rep = case.expected, case.result_node
    conforms = g.value(rep, sh("conforms")) == ox.Literal(True)
    keys: Counter = Counter()
    for r in g.objects(rep, sh("result")):
        path = g.value(r, sh("resultPath"))
        keys[_key(g.value(r, sh("focusNode")), path_sparql(g, path) if path is not None else None,
                  g.value(r, sh("value")), g.value(r, sh("sourceShape")),
                  g.value(r, sh("sourceConstraintComponent")), g.value(r, sh("resultSeverity")))] += 1
    return conforms, keys


_CANON: dict = {}


def canonical(t):
    """A literal in the canonical form Oxigraph stores it in (so "4.0"^^xsd:decimal equals "4")."""
    if not isinstance(t, ox.Literal):
        return t
    if t not in _CANON:
        st = ox.Store()
        st.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), t))
        _CANON[t] = next(iter(st)).object
    return _CANON[t]


def _key(focus, path_text, value, shape, component, severity):
    def s(t):
        if t is None:
            return ""
        return "_" if isinstance(t, ox.BlankNode) else str(canonical(t))
    return (s(focus), path_text or "", s(value), s(shape), s(component), s(severity))


def run(case: Case, engine: str) -> tuple[bool, Counter]:
    """Validate the case's data against its shapes with `engine`: (conforms, result keys)."""
    store = ox.Store()
    data = _parse(case.data)
    store.bulk_extend([ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in data])
    # the shapes as parsed (the store would canonicalise "1"^^xsd:boolean to "true")
    shapes_triples = data if case.shapes == case.data else _parse(case.shapes)
    report = validate(store, shapes_triples, engine=engine, union=False)
    keys: Counter = Counter(_key(r.focus, r.path_text, r.value, r.shape, r.component, r.severity)
                            for r in report.results)
    return report.conforms, keys
