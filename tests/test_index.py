"""The build's index (graph {base}/graph/index) is what one pass over the data gives, and the
catalogue queries that start from it answer as they would with that pass."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from oretrace import index, query
from oretrace.vocab import OT, PROV, RDF, IRIs

from conftest import ROOT

XSD_INT = "<http://www.w3.org/2001/XMLSchema#integer>"
XSD_DEC = "<http://www.w3.org/2001/XMLSchema#decimal>"
NUMERIC = "<http://qudt.org/schema/qudt/numericValue>"


def one_pass(text: str) -> str:
    """source-disagreements as it reads without the index: the repeated values found by a pass over every value."""
    for table in (index.REPEATED, index.SHARED):
        start = text.index("    GRAPH ?index {")
        end = text.index("\n", start) + 1
        text = text[:start] + "    { " + table + " }\n" + text[end:]
    return text


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A build with a hand-made import whose statements repeat values: of a curated flow (another
    year), of each other (another figure, and the same figure twice)."""
    from oretrace import curated, ontology, rdf
    from oretrace.build import build
    from oretrace.config import Settings
    from oretrace.store import open_store

    bd = tmp_path_factory.mktemp("index")
    s = Settings(root=ROOT, build=bd)
    # a curated flow with a year, from the curated quads
    asserted = rdf.curation_quads(curated.read(s, ontology.load(s.ontology_dir)), IRIs(s.base))
    flow, year = min(((q.subject, q.object) for q in asserted if q.predicate.value == OT + "year"
                      and IRIs(s.base).split(q.subject.value) and IRIs(s.base).split(q.subject.value)[0] == "flow"),
                     key=lambda p: p[0].value)
    iris = IRIs(s.base)
    x = iris.base + "/id/"
    prov, src = f"<{iris.provenance_graph}>", f"<{x}source/handmade-test>"
    lines = []
    for i, (subject, prop, value) in enumerate([
            (f"<{flow.value}>", f"<{OT}year>", f'"{int(year.value) + 1}"^^{XSD_INT}'),
            (f"<{x}observation/test-1>", NUMERIC, f'"40"^^{XSD_DEC}'),
            (f"<{x}observation/test-1>", NUMERIC, f'"45"^^{XSD_DEC}'),
            (f"<{x}observation/test-2>", NUMERIC, f'"7"^^{XSD_DEC}'),
            (f"<{x}observation/test-2>", NUMERIC, f'"7"^^{XSD_DEC}')]):
        g = f"<{x}statement/import/handmade/r{i}>"
        lines += [f"{subject} {prop} {value} {g} .",
                  f"{g} <{RDF}type> <{OT}Statement> {prov} .",
                  f"{g} <{PROV}wasDerivedFrom> {src} {prov} ."]
    # two figures of the same subject, measure, year and unit from two statements: 3 and 4 tonnes
    for i, (o, v) in enumerate((("test-3", "3"), ("test-4", "4")), 10):
        g = f"<{x}statement/import/handmade/r{i}>"
        lines += [f"<{x}observation/{o}> {p} {val} {g} ." for p, val in (
            (f"<{RDF}type>", f"<{OT}ProductionObservation>"), (f"<{OT}subject>", f"<{x}country/FR>"),
            (f"<{OT}measures>", f"<{OT}TotalProduction>"),
            (f"<{OT}year>", f'"2018"^^{XSD_INT}'), (NUMERIC, f'"{v}"^^{XSD_DEC}'),
            ("<http://qudt.org/schema/qudt/hasUnit>", "<http://qudt.org/vocab/unit/TONNE>"))]
        lines += [f"{g} <{RDF}type> <{OT}Statement> {prov} .", f"{g} <{PROV}wasDerivedFrom> {src} {prov} ."]
    (bd / "imports").mkdir()
    (bd / "imports" / "handmade.nq").write_text("\n".join(lines) + "\n")
    result = build(s, quiet=True, validation=False)
    return open_store(s), iris, flow, result


def test_the_index_holds_what_one_pass_finds(published):
    st, iris, flow, result = published
    ig = ox.NamedNode(iris.graph("index"))
    table = {(r["about"].value, r["compared"].value) for r in st.query(
        f"SELECT ?about ?compared WHERE {{ GRAPH <{ig.value}> {{ ?r a <{OT}RepeatedValue> ; "
        f"<{OT}repeatedSubject> ?about ; <{OT}repeatedProperty> ?compared }} }}")}
    assert table == {(r["about"].value, r["compared"].value) for r in st.query(index.REPEATED)}
    shared = {r["about"].value for r in st.query(
        f"SELECT ?about WHERE {{ GRAPH <{ig.value}> {{ ?r a <{OT}RepeatedValue> ; <{OT}repeatedObject> ?about ; "
        f"<{OT}repeatedProperty> <{OT}subject> }} }}")}
    assert shared and shared == {r["about"].value for r in st.query(index.SHARED)}
    x = iris.base + "/id/"
    assert {(flow.value, OT + "year"), (x + "observation/test-1", index.QUDT + "numericValue"),
            (x + "observation/test-2", index.QUDT + "numericValue")} <= table
    # counted as a kind of graph of its own, and in dataset.nq
    inventory = query.run_store(st, (ROOT / "queries" / "graph-inventory.rq").read_text())
    kinds = {str(k.value): (int(g.value), int(t.value)) for k, g, t in inventory.rows}
    assert kinds["index"] == (1, 3 * (len(table) + len(shared)))
    loaded = ox.Store()
    loaded.load(path=str(result.release / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    assert set(loaded.quads_for_pattern(None, None, None, ig)) == set(st.quads_for_pattern(None, None, None, ig))


def test_disagreements_from_the_index_equal_those_of_one_pass(published):
    st, iris, flow, _ = published
    text = (ROOT / "queries" / "source-disagreements.rq").read_text()
    fast = query.run_store(st, text)
    slow = query.run_store(st, one_pass(text))
    assert fast.columns == slow.columns and fast.rows == slow.rows
    found = {(str(r[0]), str(r[2]), str(r[3])) for r in fast.rows}
    x = iris.base + "/id/"
    # the other year of the curated flow, the two figures of test-1; not test-2's figure given twice
    assert any(a == f"<{flow.value}>" for a, _, _ in found)
    assert (f"<{x}observation/test-1>", f'"40"^^{XSD_DEC}', f'"45"^^{XSD_DEC}') in found
    assert not any(a == f"<{x}observation/test-2>" for a, _, _ in found)
    assert (f"<{x}country/FR>", f'"3"^^{XSD_DEC}', f'"4"^^{XSD_DEC}') in found
