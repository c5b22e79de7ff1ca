"""Every shape in shapes/ on fixtures, one fixture file per shapes file: the exact findings
(shape, focus node, message) on both engines, a violating fixture for every named shape, and a
conforming fixture among the targets of every targeted shape.

Fixture files are tests/fixtures/validation/<shapes file name>; in them ex:ok-* nodes conform to
every shape and each ex:bad-* node breaks the shape its name gives. Each file is validated with
the ontology (for the class hierarchy) against all shapes, so a finding from another family's
shape would show up here too.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from oretrace import shacl
from oretrace.shacl.model import RDF
from oretrace.shacl.sparql import SparqlEngine
from oretrace.validate import load_shapes

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "validation"
EX = "http://example.org/fixture/"
OT = "https://w3id.org/oretrace/ontology#"
OTSH = "https://w3id.org/oretrace/shapes#"


def fixture_store(name: str) -> ox.Store:
    st = ox.Store()
    for f in sorted((ROOT / "ontology").glob("*.ttl")):
        st.load(path=str(f), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:x-test:ontology"))
    st.load(path=str(FIX / name), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:x-test:data"))
    return st


@pytest.fixture(scope="module")
def shapes():
    return load_shapes(ROOT / "shapes")


@pytest.fixture(scope="module")
def shapes_graph(shapes):
    return shacl.Graph(shapes)


_RESULTS: dict = {}


def results(name: str, engine: str, shapes) -> list:
    """The validation results of one fixture file (computed once per file and engine)."""
    if (name, engine) not in _RESULTS:
        _RESULTS[name, engine] = shacl.validate(fixture_store(name), shapes, engine=engine).results
    return _RESULTS[name, engine]


def _local(t) -> str:
    return t.value.removeprefix(OTSH).removeprefix(EX) if isinstance(t, ox.NamedNode) else str(t)


# The findings each fixture file must give, as (shape, focus) -> message; None stands for the
# shape's own sh:message, a string is the exact text a SPARQL-based constraint fills in.
def _same(shape: str, *focus: str) -> dict:
    return {(shape, f): None for f in focus}


EXPECTED = {
    "integrity.ttl": {
        **_same("flow-material", "bad-flow-material"),
        **_same("flow-ends", "bad-flow-ends"),
        **_same("flow-parties", "bad-flow-parties"),
        **_same("flow-commodity-code-form", "bad-flow-hs-form"),
        # a dotted code is not in the code list either
        **_same("commodity-code-known-value", "bad-flow-hs-form"),
        **_same("flow-royalty-status-type", "bad-flow-royalty-status-two", "bad-flow-royalty-status-class"),
        **_same("flow-due-diligence-type", "bad-flow-due-diligence"),
        **_same("flow-royalty-law-type", "bad-flow-royalty-law"),
        **_same("quantity-unit", "bad-quantity-no-unit", "bad-quantity-two-units"),
        **_same("quantity-numbers", "bad-quantity-negative", "bad-quantity-integer"),
        **_same("quantity-range", "bad-range"),
        ("M-figure", "bad-share-unit"): "Unit http://qudt.org/vocab/unit/TONNE measures mass, which is not a dimension "
                                        "of measure https://w3id.org/oretrace/ontology#ShareOfWhole.",
        ("Percentage", "bad-share-over"): "The value 150 % lies outside 0-100 %.",
        ("Percentage", "bad-percent"): "The value 120 % lies outside 0-100 %.",
        ("Period", "bad-period-future"): "The year 2999 lies in the future: a source can only report the past.",
        **_same("period-year", "bad-period-year"),
        **_same("period-order", "bad-period-order"),
        **_same("observation-subject", "bad-observation-no-subject"),
        **_same("country-code-count", "bad-country-no-code"),
        **_same("country-value", "bad-country-value"),
        **_same("region-value", "bad-region-value"),
        **_same("label-present", "bad-label"),
    },
    "integrity-codes.ttl": {
        **_same("unit-known-value", "bad-unit"),
        **_same("country-code-known-value", "bad-country-code"),
        **_same("region-code-known-value", "bad-region-code"),
        **_same("commodity-code-known-value", "bad-hs-code"),
    },
    "provenance.ttl": {
        **_same("statement-source", "bad-statement-no-source", "bad-statement-two-sources"),
        **_same("statement-locator", "bad-statement-locator"),
        **_same("statement-origin", "bad-statement-file"),
        **_same("citation-document", "bad-citation-document"),
        **_same("citation-text", "bad-citation-text"),
        # a source without a title is both untitled and, when cited, not named
        **_same("source-title", "bad-source-title", "bad-cited-source-named"),
        **_same("source-author", "bad-source-author"),
        **_same("SourceDated", "bad-source-year", "bad-source-standard-year"),
        **_same("CitedSource", "bad-cited-source"),
        **_same("cited-source-described", "bad-cited-source-named"),
    },
    "due-diligence.ttl": {
        **_same("R1-royalty-declared", "bad-r1-missing", "bad-r1-not-declared"),
        **_same("R2-feed", "bad-r2", "bad-r2-delivered-from-nowhere"),
        **_same("R3-due-diligence", "bad-r3"),
        **_same("R3-smelter", "bad-r3"),
        **_same("R4", "bad-r4", "bad-r4-parts"),
        **_same("R5-country", "bad-r5"),
        **_same("R5-operator", "bad-r5"),
        **_same("R6", "bad-r6"),
    },
    "patterns.ttl": {
        **_same("M-figure", "bad-figure-no-value", "bad-figure-value-and-range", "bad-figure-undated"),
        ("M-figure", "bad-figure-class"): f"Measure {OT}TotalProduction belongs to observations of class "
                                          f"{OT}ProductionObservation, but this observation is not one.",
        **_same("figure-measure", "bad-figure-measure"),
        **_same("figure-rank", "bad-figure-rank"),
        ("M-rank-reason", "bad-rank-no-reason"): f"Rank {OT}DeprecatedRank without a reason (rank_reason: ...).",
        ("M-code-values", "bad-code"): f"{OT}Operating is not in {OT}MeasureScheme, the code list of {OT}measures.",
        **_same("M-numbers-are-observations", "bad-number-on-flow"),
        ("M-no-deprecated-terms", "bad-deprecated-class"): f"{OT}TradeShareObservation is deprecated: use "
                                                           f"{OT}ShareObservation (docs/modelling.md).",
        ("M-no-deprecated-terms", "bad-deprecated-property"): f"{OT}distanceKm is deprecated: use {OT}Distance "
                                                              "(docs/modelling.md).",
        **_same("label-alt", "bad-alt-label-untagged"),
        **_same("M-event", "bad-event-undated"),
        **_same("event-where", "bad-event-nowhere"),
        **_same("M-status", "bad-status-undated"),
        **_same("status-of", "bad-status-of-two"),
        **_same("status-value", "bad-status-no-value"),
        ("M-flow-not-to-itself", "bad-flow-to-itself"): f"Origin and destination are both {EX}land.",
    },
    "cross-source.ttl": {
        ("X1-mass-balance", "bad-x1"): "Mass balance: Frankland produced 40 t in 2018 but its recorded exports that year "
                                       "come to 30 t; the gap is more than the 10 % tolerance (stock, home use or another "
                                       "trade category?).",
        ("X2-conflicting-values", "bad-x2-a"): f"Conflicting figures: 10 here against 12 in 'bad x2 b' ({EX}bad-x2-b), "
                                               "from another source, for the same measure, subject, material, place and period.",
        ("X2-conflicting-values", "bad-x2-b"): f"Conflicting figures: 12 here against 10 in 'bad x2 a' ({EX}bad-x2-a), "
                                               "from another source, for the same measure, subject, material, place and period.",
        ("X3-actor-without-flows", "bad-x3"): "No flow goes in or out of this actor, of a group it belongs to, or of a site "
                                              "either runs or owns: where its material comes from or goes is unknown.",
    },
}


def expected(name: str, shapes_graph) -> set:
    out = set()
    for (shape, focus), message in EXPECTED[name].items():
        if message is None:
            message = shapes_graph.value(ox.NamedNode(OTSH + shape), shacl.sh("message")).value
        out.add((shape, focus, message))
    return out


def test_every_shapes_file_has_a_fixture_file():
    assert sorted(p.name for p in (ROOT / "shapes").glob("*.ttl")) == sorted(EXPECTED)
    assert all((FIX / name).is_file() for name in EXPECTED)


@pytest.mark.parametrize("engine", shacl.ENGINES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_gives_exactly_the_expected_findings(name, engine, shapes, shapes_graph):
    got = {(_local(r.shape), _local(r.focus), r.messages[0].value) for r in results(name, engine, shapes)}
    want = expected(name, shapes_graph)
    assert got - want == set(), "unexpected findings"
    assert want - got == set(), "missing findings"
    assert not {f for _, f, _ in got if not f.startswith("bad-")}, "a conforming node is reported"


def _named_shapes(g) -> set:
    return {s for kind in ("NodeShape", "PropertyShape") for s in g.subjects(ox.NamedNode(RDF + "type"), shacl.sh(kind))
            if isinstance(s, ox.NamedNode)}


def _covered(g, all_results) -> set:
    """Shapes that a violating (ex:bad-*) fixture breaks: the shape of a result on it; a node shape
    one of whose property shapes is broken; the members of a failed sh:or, sh:node or qualified
    value shape; the single property shape of such a broken member."""
    bad = [r for r in all_results if _local(r.focus).startswith("bad-")]
    covered = {r.shape for r in bad}
    for r in bad:
        comp = r.component.value.removeprefix("http://www.w3.org/ns/shacl#")
        if comp == "OrConstraintComponent":
            covered.update(m for lst in g.objects(r.shape, shacl.sh("or")) for m in g.items(lst))
        elif comp == "NodeConstraintComponent":
            covered.update(g.objects(r.shape, shacl.sh("node")))
        elif comp == "QualifiedMinCountConstraintComponent":
            covered.update(g.objects(r.shape, shacl.sh("qualifiedValueShape")))
    while True:
        more = set()
        parents = defaultdict(list)
        for s, child in g.pos.get(shacl.sh("property"), []):
            parents[s].append(child)
        for s, children in parents.items():
            if s not in covered and any(c in covered for c in children):
                more.add(s)
            if s in covered and len(children) == 1 and children[0] not in covered:
                more.add(children[0])
        if not more:
            return covered
        covered |= more


def test_every_named_shape_has_a_violating_fixture(shapes, shapes_graph):
    all_results = [r for name in EXPECTED for r in results(name, "sparql", shapes)]
    missing = _named_shapes(shapes_graph) - _covered(shapes_graph, all_results)
    assert not missing, f"shapes with no violating fixture: {sorted(_local(s) for s in missing)}"


def test_every_targeted_shape_has_a_conforming_fixture(shapes, shapes_graph):
    ok_focus: dict = defaultdict(set)
    for name in EXPECTED:
        eng = SparqlEngine(fixture_store(name), shapes_graph)
        for s in eng.top_shapes():
            focus = eng.target_focus(s)
            for row in eng.run(f"SELECT DISTINCT ?this WHERE {{ {focus('?this')} }}"):
                if _local(row["this"]).startswith("ok-"):
                    ok_focus[s].add(_local(row["this"]))
    kinds = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")
    targeted = {s for s in _named_shapes(shapes_graph) if any(shapes_graph.objects(s, shacl.sh(k)) for k in kinds)}
    assert len(targeted) > 25
    missing = {_local(s) for s in targeted if not ok_focus.get(s)}
    assert not missing, f"targeted shapes with no conforming ex:ok-* focus node: {sorted(missing)}"


def test_coverage_check_notices_a_shape_without_fixture(shapes, shapes_graph):
    """The coverage test can fail: a new shape that no fixture breaks is reported."""
    extra = ox.NamedNode(OTSH + "never-broken")
    triples = list(shapes) + [
        ox.Triple(extra, ox.NamedNode(RDF + "type"), shacl.sh("NodeShape")),
        ox.Triple(extra, shacl.sh("targetClass"), ox.NamedNode("https://w3id.org/oretrace/ontology#Flow")),
        ox.Triple(extra, shacl.sh("nodeKind"), shacl.sh("IRI")),
    ]
    g = shacl.Graph(triples)
    all_results = [r for name in EXPECTED for r in results(name, "sparql", shapes)]
    assert extra in _named_shapes(g) - _covered(g, all_results)
