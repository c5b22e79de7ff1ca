"""The query catalogue (queries/*.rq): headers, parameters, every query running with its defaults,
on the store and through the endpoint. What each query answers on the curated graph is
test_data_queries.py."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from catalogue import CAT, has_validation, run
from oretrace import cli, index, query, serve
from oretrace.vocab import OT


# ------------------------------------------------------------------ the catalogue itself
def test_catalogue_size_and_headers():
    assert len(CAT) >= 25
    competency = [q for q in CAT.values() if "competency" in q.tags]
    assert len(competency) >= 12
    for q in CAT.values():
        assert q.title and q.question and q.returns, q.name
        for p in q.params:
            assert p.default and p.description, (q.name, p.name)
            assert f"?{p.name}" in q.text, (q.name, p.name)
        # tags are single words: a comment after the header is not read into the field before it
        assert q.tags and all(re.fullmatch(r"[a-z]+(?:-[a-z]+)*", t) for t in q.tags), (q.name, q.tags)


def test_a_header_field_ends_at_a_comment_that_is_not_indented(tmp_path):
    f = tmp_path / "q.rq"
    f.write_text("# title: A query\n# question: What is\n#   asked here?\n# tags: chain, flows\n"
                 "# A note on the text below, not a tag.\n#   Nor this.\nSELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    q = query.parse_named(f)
    assert q.question == "What is asked here?" and q.tags == ["chain", "flows"]


@pytest.mark.parametrize("name", sorted(CAT))
def test_every_query_runs_with_its_defaults(store, iris, name):
    res = query.run_store(store, query.bind(CAT[name], {}, iris))
    if res.boolean is not None:  # an ASK: its default asks about something the curated graph holds
        assert res.boolean is True, f"{name} answers false on the curated graph"
        other = {p.name: f"{iris.base}/id/site/no-such-site" for p in CAT[name].params if p.kind == "iri"}
        assert query.run_store(store, query.bind(CAT[name], other, iris)).boolean is False, name
        return
    rows = run(store, iris, name)
    if name.startswith("validation-") and not has_validation(store, iris):
        pytest.skip("no validation report graph in this build (validate.build_step absent)")
    if name == "source-disagreements":
        return  # the curated graph has none; see test_source_disagreements_*
    if name == "reconciliation-findings":
        assert not rows  # the default build has no reconcile stage; see test_reconcile_graph.py
        return
    assert rows, f"{name} gave no rows on the curated graph"
    # parameters come back bound to their defaults, so a result says what it answers
    for p in CAT[name].params:
        if p.name in rows[0]:
            assert all(r[p.name] is not None for r in rows)


# the queries that report facts of the curated sources (not the app's page queries, the solver's
# inputs, the quality and validation reports, or the dataset's own description)
FACT_TAGS = {"competency", "chain", "flows", "actors", "governance", "observations", "materials", "places"}
NOT_FACTS = {"app", "reconciliation", "quality", "validation", "reasoning", "dataset"}
REPORTS_FACTS = sorted(n for n, q in CAT.items() if set(q.tags) & FACT_TAGS and not set(q.tags) & NOT_FACTS)


@pytest.mark.parametrize("name", REPORTS_FACTS)
def test_a_query_that_reports_facts_names_their_documents(store, iris, name):
    """Each row says where its facts come from: a column of documents (document, documents,
    productionDocument, ...), filled with the documents of the statements behind the row."""
    res = query.run_store(store, query.bind(CAT[name], {}, iris))
    cols = [c for c in res.columns if re.fullmatch(r"(?:documents?|\w*Documents?)[0-9]*", c)]
    assert cols, f"{name} reports facts but names no document: add a document column"
    known = {d.value for d in query.run_store(store, "SELECT DISTINCT ?d WHERE { ?s <http://www.w3.org/ns/prov#wasDerivedFrom> ?d }").rows
             for d in d}
    for row in res.rows:
        cells = [row[res.columns.index(c)] for c in cols]
        given = [d for cell in cells if cell is not None for d in cell.value.split()]
        assert given, f"{name}: a row with no document: {row}"
        assert set(given) <= known, f"{name}: {set(given) - known} are not documents of any statement"


@pytest.mark.parametrize("name", sorted(CAT))
def test_same_answer_through_the_endpoint(server, store, iris, name):
    text = query.bind(CAT[name], {}, iris)
    local = query.run_store(store, text)
    remote = query.run_endpoint(server.sparql, text)
    assert remote.columns == local.columns
    assert sorted(map(str, remote.rows)) == sorted(map(str, local.rows))


def test_sparqlwrapper_sees_every_catalogue_query_as_a_query(iris):
    """SPARQLWrapper guesses the query form from the text, and its comment stripping leaves every other
    comment line in place: a header word such as 'move' or 'load' would turn the request into an update."""
    import warnings

    from SPARQLWrapper import SPARQLWrapper

    for name, nq in CAT.items():
        sw = SPARQLWrapper("http://127.0.0.1:9/sparql")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sw.setQuery(query.bind(nq, {}, iris))
        assert sw.queryType in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"), (name, sw.queryType)


@pytest.fixture(scope="module")
def server(built):
    with serve.for_settings(built) as srv:
        yield srv


def test_cli_lists_catalogue_and_binds_parameters(built, capsys):
    assert cli.main(["--root", str(built.root), "--build", str(built.build_dir), "query", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in CAT)
    assert cli.main(["--root", str(built.root), "--build", str(built.build_dir), "query", "site-operator-owner", "-p", "site=site/morococalla-mine",
                     "-f", "csv"]) == 0
    out = capsys.readouterr().out
    assert "cooperativa-morococalla" in out and "comibol" not in out
    assert cli.main(["--root", str(built.root), "--build", str(built.build_dir), "query", "site-operator-owner", "-p", "mine=site/x"]) == 2
    assert "has no parameter mine" in capsys.readouterr().err


# ------------------------------------------------------------------ the engine on made-up and counted data
def test_source_disagreements_found_when_two_sources_differ(iris):
    """Two statements from two documents giving different production figures for the same thing."""
    st = ox.Store()
    N, L = ox.NamedNode, ox.Literal
    prov = N(iris.provenance_graph)
    obs = [N(iris.entity("observation", f"x-{i}")) for i in (1, 2)]
    for i, (o, v) in enumerate(zip(obs, ("40", "45")), 1):
        g = N(iris.statement(f"test/figure-{i}"))
        dec = N("http://www.w3.org/2001/XMLSchema#decimal")
        for p, val in ((N(OT + "subject"), N(iris.entity("country", "FR"))), (N(OT + "material"), N(OT + "Indium")),
                       (N(OT + "year"), L("2018", datatype=N("http://www.w3.org/2001/XMLSchema#integer"))),
                       (N("http://qudt.org/schema/qudt/numericValue"), L(v, datatype=dec)),
                       (N("http://qudt.org/schema/qudt/hasUnit"), N("http://qudt.org/vocab/unit/TONNE")),
                       (N("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), N(OT + "ProductionObservation")),
                       (N(OT + "measures"), N(OT + "TotalProduction"))):
            st.add(ox.Quad(o, p, val, g))
        st.add(ox.Quad(g, N("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), N(OT + "Statement"), prov))
        st.add(ox.Quad(g, N("http://www.w3.org/ns/prov#wasDerivedFrom"), N(iris.entity("source", f"doc-{i}")), prov))
    st.extend(index.repeated_values(st, iris))  # as the build does
    rows = run(st, iris, "source-disagreements")
    assert len(rows) == 1
    assert (rows[0]["value1"], rows[0]["value2"]) == ("40", "45")
    assert {rows[0]["document1"], rows[0]["document2"]} == {"source/doc-1", "source/doc-2"}


def test_graph_inventory_matches_a_count_of_the_store(store, iris):
    """The query reads the VoID partitions the build recorded: they must equal a live count of every quad."""
    from oretrace.describe import graph_partitions, graph_partitions_by_query

    kinds = {r["kind"]: (int(r["graphs"]), int(r["triples"])) for r in run(store, iris, "graph-inventory")}
    assert kinds == graph_partitions_by_query(store) == graph_partitions(store, iris)
    assert {"statement", "provenance", "ontology", "inferred", "validation", "index", "metadata", "void"} <= set(kinds)
