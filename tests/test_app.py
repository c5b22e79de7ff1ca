"""The app's pages run by Streamlit's AppTest against the real built graph (and a graph with hostile labels)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from oretrace import appdata, query  # noqa: E402
from oretrace.vocab import OT  # noqa: E402

APP = Path(__file__).resolve().parents[1] / "app"
SCRIPT = """
import sys
sys.path.insert(0, {app!r})
from views import {page}
{page}.render()
"""


def page(view: str, **params) -> AppTest:
    at = AppTest.from_string(SCRIPT.format(app=str(APP), page=view), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def html_of(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def query_rows(store, sparql: str) -> list[dict]:
    res = query.run_store(store, query.with_prefixes(sparql))
    return [{c: appdata.plain(v) for c, v in zip(res.columns, row)} for row in res.rows]


def one(store, sparql: str) -> dict:
    res = query.run_store(store, query.with_prefixes(sparql))
    assert res.rows, f"the built graph has no answer to: {sparql}"
    return {c: appdata.plain(v) for c, v in zip(res.columns, res.rows[0])}


@pytest.fixture()
def env(built, monkeypatch):
    monkeypatch.setenv("ORETRACE_ROOT", str(built.root))
    monkeypatch.setenv("ORETRACE_BUILD", str(built.build_dir))
    monkeypatch.delenv("ORETRACE_ENDPOINT", raising=False)
    return built


def test_overview_counts_match_the_graph(env, store):
    at = page("overview")
    metrics = {m.label: m.value for m in at.metric}
    flows = one(store, "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a ot:Flow }")["n"]
    sources = one(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ot:Source }")["n"]
    assert metrics["Flows"] == f"{flows:,}" and metrics["Sources"] == f"{sources:,}"
    body = html_of(at)
    assert "From mine to product" in [s.value for s in at.subheader]
    assert "./entity?iri=" in body


def test_entity_page_shows_each_fact_with_its_citation(env, store):
    row = one(store, """SELECT ?s ?loc ?title WHERE {
        GRAPH ?g { ?s rdfs:label ?l } FILTER(STRSTARTS(STR(?s), "https://w3id.org/oretrace/id/site/"))
        GRAPH <https://w3id.org/oretrace/graph/provenance> { ?g ot:citation ?c . ?c ot:document ?d ; ot:locatorText ?loc .
          ?d dcterms:title ?title } } ORDER BY ?s LIMIT 1""")
    at = page("entity", iri=row["s"])
    body = html_of(at)
    import html as h
    assert h.escape(row["loc"]) in body and h.escape(row["title"]) in body
    assert "inferred by the reasoner" in body  # HermiT adds named superclasses of every site
    assert {b.label for b in at.get("download_button")} >= {"Turtle", "JSON-LD"}


def test_entity_search_links_to_the_entity(env, store):
    row = one(store, "SELECT ?s ?l WHERE { ?s a ot:Actor ; rdfs:label ?l } ORDER BY ?s LIMIT 1")
    at = page("entity", q=row["l"][:6])
    assert urllib.parse.quote(row["s"], safe="") in html_of(at).replace("%2F", "%2F")


def test_statement_page_shows_provenance_and_triples(env, store):
    row = one(store, """SELECT ?g ?para WHERE { GRAPH <https://w3id.org/oretrace/graph/provenance> {
        ?g a ot:Statement ; ot:paraphrase ?para ; ot:curatedFile ?f FILTER(STRSTARTS(?f, "data/sources")) } } ORDER BY ?g LIMIT 1""")
    at = page("entity", iri=row["g"])
    import html as h
    assert h.escape(row["para"]) in html_of(at)
    assert "It asserts" in [s.value for s in at.subheader]


def test_unknown_entity_and_bad_iri_are_explained(env):
    at = page("entity", iri="https://w3id.org/oretrace/id/site/no-such-site")
    assert any("says nothing" in w.value for w in at.warning)
    at = page("entity", iri="not an iri")
    assert at.error


def test_chain_page_draws_sankey_map_and_network(env, store):
    years = query_rows(store, "SELECT DISTINCT ?y WHERE { ?f a ot:Flow ; ot:year ?y } ORDER BY ?y")
    at = page("chain", material="all", **{"from": str(years[0]["y"]), "to": str(years[-1]["y"])})
    unknown = [e for e in at.main if type(e).__name__ == "UnknownElement"]
    payload = "".join(str(e.proto) for e in unknown)
    assert "ot-sankey" in payload and "ot-network" in payload and "countries" in payload
    f = one(store, "SELECT ?f WHERE { ?f a ot:Flow ; ot:origin ?o ; ot:destination ?d } ORDER BY ?f LIMIT 1")["f"]
    assert urllib.parse.quote(f, safe="") in payload  # every band links to its flow page
    assert any("add up" in w.value for w in at.warning)  # several years drawn together are flagged


def test_chain_pictures_download_as_svg_with_title_build_date_and_sources(env, store):
    """The Sankey and the network each download as one SVG file that prints its title, the build, the
    date and the titles of the documents behind the flows drawn (the catalogue's app-documents-of)."""
    import datetime as dt
    import xml.etree.ElementTree as ET

    from oretrace.config import Settings

    at = page("chain")
    import charts  # (app/ is on sys.path after the first AppTest run)

    assert [b.label for b in at.get("download_button")].count("Download this picture (SVG)") == 3  # Sankey, map, network
    sankey = next(str(e.proto) for e in at.main if type(e).__name__ == "UnknownElement" and "ot-sankey" in str(e.proto))
    assert sankey  # the page drew the picture whose file it offers
    g = appdata.connect(Settings(root=env.root, build=env.build_dir))
    flows = [f["iri"] for f in g.flows(element=OT + "Indium")]
    docs = g.named("app-documents-of", item=flows)
    titles = [d["title"] for d in docs if d["title"]]
    assert titles and len({d["document"] for d in docs}) == len(docs)
    markup = charts.network_svg([{"a": flows[0], "b": flows[1], "rel": OT + "nextFlow"}], {flows[0]: "A & B"}, {}, {})
    body = charts.standalone_svg(markup, "Flows of indium <2019>", g.version, dt.date.today().isoformat(), titles)
    root = ET.fromstring(body)  # one well-formed file, texts escaped
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[0] == "Flows of indium <2019>"
    assert texts[1] == f"oretrace build {g.version} · drawn {dt.date.today().isoformat()}"
    assert [t for t in texts if t.startswith("Sources: ")] == [f"Sources: {t}" for t in titles]
    assert "A & B" in texts and root.find("{http://www.w3.org/2000/svg}svg") is not None
    with pytest.raises(ValueError):
        charts.standalone_svg("<p>no picture</p>", "t", "v", "d", [])
    # the map as a picture: the browser map's outlines (world-atlas), shaded countries, dots, routes
    atlas = str(APP / "static" / "world" / "countries-110m.json")
    lon, lat = charts._centre(charts.world(atlas)["056"])
    assert 2.5 < lon < 6.5 and 49.5 < lat < 51.6  # Belgium's middle
    pts = [{"lat": -17.97, "lon": -67.11, "label": "a mine & co", "colour": "#2f6f8f"},
           {"country": "056", "approx": True, "label": "somewhere in Belgium"}]
    routes = [{"from": {"country": "068"}, "to": {"lat": 51.2, "lon": 4.4}, "label": "a shipment", "name": "a shipment: A to B"}]
    m = ET.fromstring(charts.map_svg(pts, routes, ["056", "068"], atlas, fit_sites=True).replace(
        "<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))
    ns = "{http://www.w3.org/2000/svg}"
    shaded = {p.get("data-country") for p in m.iter(ns + "path") if p.get("fill") == "#bcd6e4"}
    assert shaded == {"056", "068"} and len(list(m.iter(ns + "path"))) > 150
    circles = list(m.iter(ns + "circle"))
    assert sorted(c.get("fill") for c in circles) == ["#2f6f8f", "none"]  # no coordinates: a ring at the country's middle
    assert len(list(m.iter(ns + "line"))) == 1
    assert sorted("".join(t.itertext()) for t in m.iter(ns + "text")) == ["a mine & co", "somewhere in Belgium"]


def test_every_table_of_a_page_downloads_as_csv_with_texts_and_iris(env):
    """A table shown as HTML comes away as CSV: the texts the reader sees (labels, figures, sources,
    locators; line breaks as '; '), and beside each column of links the IRIs they open, never the IRIs only."""
    import ui
    from components import table_csv

    a, b = "https://w3id.org/oretrace/id/site/x?y=1&z", "https://w3id.org/oretrace/id/statement/s1"
    cols, rows = table_csv(["site", "figure", "statement and source"], [
        [ui.link(a, "Mine <A> & co"), ui.esc("1,234 t"), ui.link(b, "s1") + " · " + ui.link(a, "doc")
         + '<br><span class="ot-muted">p. 12</span>'],
        ["", ui.esc("about 5 %"), '<span class="ot-badge">assumption</span> <code>x.y</code>']])
    assert cols == ["site", "site (IRI)", "figure", "statement and source", "statement and source (IRI)"]
    assert rows == [["Mine <A> & co", a, "1,234 t", "s1 · doc; p. 12", f"{b} {a}"],
                    ["", "", "about 5 %", "assumption x.y", ""]]
    # one download per table shown, on the pages whose tables had none before
    for view, params in (("findings", {}), ("chain", {}), ("entity", {"iri": "https://w3id.org/oretrace/id/site/nyrstar-auby"})):
        at = page(view, **params)
        tables = html_of(at).count('<table class="ot-table">')
        csvs = [b.label for b in at.get("download_button") if "CSV" in b.label]
        assert tables and len(csvs) == tables, (view, tables, csvs)


def test_chain_page_opens_on_indium_in_the_latest_year_with_tonnes(env, store):
    latest = one(store, """SELECT (MAX(?y) AS ?y) WHERE { ?f a ot:Flow ; ot:year ?y ; ot:material ?m .
        ?q ot:subject ?f ; ot:measures/skos:broader* ot:FlowQuantity ; qudt:numericValue ?v ; qudt:hasUnit unit:TONNE .
        ?m (ot:containsElement|ot:groupMember/ot:containsElement)? ot:Indium }""")["y"]
    at = page("chain")
    assert at.selectbox(key="material").value == "element:Indium"
    import ui

    assert at.subheader[0].value == ui.md(f"Flows of indium-bearing materials, {latest}")
    assert at.query_params["from"] == str(latest) and at.query_params["to"] == str(latest)  # shareable URL
    assert not at.warning  # one year: nothing mixed
    payload = "".join(str(e.proto) for e in at.main if type(e).__name__ == "UnknownElement")
    assert '\\"fitSites\\": true' in payload  # the map opens on the sites of the selection
    dated = query_rows(store, f"""SELECT DISTINCT ?f WHERE {{ ?f a ot:Flow ; ot:year ?y ; ot:material ?m .
        ?m (ot:containsElement|ot:groupMember/ot:containsElement)? ot:Indium FILTER(?y != {latest}) }}""")
    sankey = next(str(e.proto) for e in at.main if type(e).__name__ == "UnknownElement" and "ot-sankey" in str(e.proto))
    assert not any(urllib.parse.quote(r["f"], safe="") in sankey for r in dated)  # no flow of another year


def test_country_codes_match_world_atlas_ids(env):
    import json

    from views import chain

    ids = {str(g["id"]) for g in json.loads((APP / "static" / "world" / "countries-110m.json").read_text())
           ["objects"]["countries"]["geometries"] if "id" in g}
    assert {chain.numeric_code(c) for c in ("BO", "BE", "CL", "FR", "NO", "KR")} <= ids


def test_sankey_svg_draws_stage_columns_hatched_splits_and_scrolls(env):
    """The picture of oretrace.chartdata's bands: one header per stage column in order, splits hatched,
    product steps dashed, every node a link, and a sideways-scrolling box rather than a shrunken picture."""
    import charts  # noqa: F401  (app/ is on sys.path after the first AppTest run)
    from oretrace import chartdata as cd

    types = {"a": [OT + "Mine"], "p": [OT + "Port"], "s": [OT + "Smelter", OT + "MetallurgicalPlant"],
             "m": [OT + "EndProduct", OT + "Material"], "c": [OT + "Country", OT + "Place"], "d": [OT + "Country", OT + "Place"]}
    base = {"via": [], "seller": [], "buyer": [], "receivingSmelter": [], "value": None, "unit": None, "parents": [],
            "materials": [], "year": 2019, "start": None, "end": None}
    flows = [dict(base, iri="f1", origin=["a"], destination=["p"], tonnes=120.0),
             dict(base, iri="f2", origin=["p"], destination=["c", "d"], tonnes=40.0)]
    links, _ = cd.flow_bands(flows, types)
    links += cd.product_links([{"site": "s", "process": "make", "product": "m", "next": None, "place": None,
                                "element": None}], {"s"}, types, set())
    links.append(dict(links[0], source="c|raw", target="s", split=False))
    stage = cd.stages(links, types)
    svg = charts.sankey_svg(links, stage, {}, {})
    heads = [cd.stage_title(s) for s in sorted(set(stage.values()))]
    assert heads == ["mine or region", "export port", "import port, country or buyer", "smelter or refiner", "product"]
    positions = [svg.index(charts.esc(h.split()[0])) for h in heads]
    assert positions == sorted(positions)
    assert svg.count('data-split="1"') == 2 and svg.count('class="ot-split"') == 2 and "url(#ot-hatch)" in svg
    assert 'data-kind="product"' in svg and "stroke-dasharray" in svg
    assert 'class="ot-scroll" style="overflow-x:auto' in svg and "min-width:" in svg


sys.path.insert(0, str(APP))


def test_findings_page(env, store):
    at = page("findings")
    labels = [m.label for m in at.metric]
    assert labels == ["Violations (SHACL)", "Warnings (SHACL)", "Royalty gaps", "Source disagreements"]
    values = dict(zip(labels, [m.value for m in at.metric]))
    n = len(appdata.connect(env).disagreements())
    assert values["Source disagreements"] == str(n)
    sev = {r["sev"]: r["n"] for r in query_rows(store, """SELECT ?sev (COUNT(DISTINCT ?r) AS ?n) WHERE {
        GRAPH <https://w3id.org/oretrace/graph/validation> { ?r a sh:ValidationResult ; sh:resultSeverity ?sev } } GROUP BY ?sev""")}
    assert values["Violations (SHACL)"] == str(sev.get("http://www.w3.org/ns/shacl#Violation", 0))
    assert values["Warnings (SHACL)"] == str(sev.get("http://www.w3.org/ns/shacl#Warning", 0) + sev.get("http://www.w3.org/ns/shacl#Info", 0))


def test_sources_page_filters_by_source(env, store):
    row = one(store, """SELECT ?doc (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH <https://w3id.org/oretrace/graph/provenance> {
        ?g a ot:Statement ; ot:citation ?c . { ?c ot:document ?doc } UNION { ?g ot:citesSource ?doc } } }
        GROUP BY ?doc ORDER BY DESC(?n) LIMIT 1""")
    at = page("sources", source=row["doc"])
    assert f"{row['n']} statement" in " ".join(s.value for s in at.subheader)
    n_sources = one(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ot:Source }")["n"]
    assert f"{n_sources} sources" in [s.value for s in page("sources").subheader]
    cited = one(store, """SELECT ?s (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH <https://w3id.org/oretrace/graph/provenance> {
        ?g ot:citesSource ?s FILTER NOT EXISTS { ?x prov:wasDerivedFrom ?s } } } GROUP BY ?s ORDER BY DESC(?n) ?s LIMIT 1""")
    at = page("sources", source=cited["s"])  # a source only cited lists the statements citing it
    assert f"{cited['n']} statement" in " ".join(s.value for s in at.subheader)
    at = page("sources", confidence="implied")
    implied = one(store, """SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH <https://w3id.org/oretrace/graph/provenance> {
        ?g ot:confidence ot:Implied ; ot:citation ?c } }""")["n"]
    assert f"{implied} statement" in " ".join(s.value for s in at.subheader)


def test_sparql_permalink_runs_and_links_iris(env, store):
    f = one(store, "SELECT ?f WHERE { ?f a ot:Flow } ORDER BY ?f LIMIT 1")["f"]
    at = page("sparql", q="SELECT ?f WHERE { ?f a ot:Flow } ORDER BY ?f LIMIT 3")
    body = html_of(at)
    assert "3 rows" in " ".join(m.value for m in at.markdown)
    assert f'./entity?iri={urllib.parse.quote(f, safe="")}' in body
    assert {b.label for b in at.get("download_button")} == {"CSV", "JSON", "Turtle"}


def test_sparql_refuses_updates_and_explains_errors(env, store):
    before = len(store)
    at = page("sparql", q="INSERT DATA { <urn:x> <urn:y> <urn:z> }")
    assert any("only reads" in e.value for e in at.error)
    at = page("sparql", q="PREFIX x: <urn:x#> DELETE WHERE { ?s ?p ?o }")
    assert any("only reads" in e.value for e in at.error)
    at = page("sparql", q="SELECT ?s WHERE { ?s ?p }")
    assert any("not valid SPARQL" in e.value for e in at.error)
    assert len(appdata.connect(env).backend.store) == before


def test_user_queries_are_capped_and_time_limited(env):
    g = appdata.connect(env)
    res = g.run_user_query("SELECT * WHERE { ?s ?p ?o }", cap=7)
    assert len(res.rows) == 7 and res.truncated
    with pytest.raises(appdata.AppError, match="longer than"):
        g.run_user_query("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", timeout=0.5)


def test_read_only_check():
    for q in ("INSERT DATA { <a:b> <a:c> <a:d> }", "CLEAR ALL", "LOAD <http://x>", "DROP GRAPH <a:b>",
              "WITH <a:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "# c\nPREFIX a: <a:> INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }",
              "SELECT * WHERE { ?s ?p ?o } ; INSERT DATA { <a:b> <a:c> <a:d> }", ""):
        with pytest.raises(appdata.AppError):
            appdata.check_read_only(q)
    assert appdata.check_read_only('SELECT ?s WHERE { ?s ?p "INSERT DATA {" }') == "SELECT"
    assert appdata.check_read_only("PREFIX a: <a:>\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }") == "CONSTRUCT"


# ------------------------------------------------------------------ hostile text in the data
HOSTILE_LABEL = '<script>alert("x")</script><img src=x onerror=alert(1)> [click](javascript:alert(2))'


def build_hostile(project: Path, build_dir: Path) -> str:
    """Add an actor with a hostile label and see_also to a project copy and build it; returns its IRI."""
    import yaml

    f = project / "data" / "entities" / "actors.yaml"
    doc = yaml.safe_load(f.read_text())
    doc["entities"].append({"id": "actor/hostile-test-actor", "a": "MiningCompany", "label": HOSTILE_LABEL,
                            "description": "<b>bold</b> javascript:alert(3)", "see_also": "javascript:alert(4)",
                            "at": doc["entities"][0].get("at", {"page": "1"})})
    f.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    r = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(project), "build", "-q"],
                       env=dict(os.environ, ORETRACE_BUILD=str(build_dir)), capture_output=True, text=True)
    if r.returncode != 0 and "see_also" in r.stderr:  # the reader refuses non-URL see_also: keep the label only
        doc["entities"][-1].pop("see_also")
        f.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        r = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(project), "build", "-q"],
                           env=dict(os.environ, ORETRACE_BUILD=str(build_dir)), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return "https://w3id.org/oretrace/id/actor/hostile-test-actor"


@pytest.fixture()
def hostile(project_copy, tmp_path, monkeypatch):
    build_dir = tmp_path / "hostile-build"
    iri = build_hostile(project_copy, build_dir)
    monkeypatch.setenv("ORETRACE_ROOT", str(project_copy))
    monkeypatch.setenv("ORETRACE_BUILD", str(build_dir))
    monkeypatch.delenv("ORETRACE_ENDPOINT", raising=False)
    return iri


def test_hostile_label_is_escaped_everywhere(hostile):
    at = page("entity", iri=hostile)
    body = html_of(at)
    assert "<script>" not in body and "<img" not in body and 'href="javascript' not in body.lower()
    assert "&lt;script&gt;" in body
    import ui

    assert at.title[0].value == ui.md(HOSTILE_LABEL)  # Markdown made inert: the title shows the text as text
    at = page("entity", q="hostile")
    body = html_of(at)
    assert "<script>" not in body and "&lt;script&gt;" in body


def test_catalogue_query_loads_from_its_permalink_and_runs(env):
    cat = query.catalogue(env.queries_dir)
    if not cat:
        pytest.skip("queries/ holds no catalogue query yet")
    for nq in cat.values():  # every catalogue query is accepted as read-only
        assert appdata.check_read_only(query.bind(nq, {}, appdata.IRIs(env.base))) in appdata.READ_FORMS
    name = next(iter(cat))
    at = page("sparql", name=name)
    assert not at.error, [e.value for e in at.error]
    assert any("row" in m.value or "triple" in m.value or "Answer" in m.value for m in [*at.markdown, *at.success])


def component_data(at: AppTest, name: str) -> list[dict]:
    """The data the page hands to its browser components of one kind (oretrace_svg, oretrace_map, ...)."""
    import json

    return [json.loads(e.proto.json) for e in at.main
            if type(e).__name__ == "UnknownElement" and e.proto.component_name.endswith(name)]


def test_short_permalink_names_a_catalogue_query_and_its_parameters(env, store):
    """?q=<catalogue name>&<param>=<value> binds the query, shows the bound text in the editor, runs it, and
    offers the same short address as the page's permalink."""
    nq = query.catalogue(env.queries_dir)["site-operator-owner"]
    at = page("sparql", q="site-operator-owner", site="site/nyrstar-auby")
    assert not at.error, [e.value for e in at.error]
    text = query.with_prefixes(query.bind(nq, {"site": "site/nyrstar-auby"}, appdata.IRIs(env.base)))
    assert at.session_state["sparql_text"] == at.session_state["sparql_ran"] == text
    expect = query.run_store(store, text)
    assert f"{len(expect.rows)} row" in " ".join(m.value for m in at.markdown) and expect.rows
    assert "http://localhost/sparql?q=site-operator-owner&site=site%2Fnyrstar-auby" in [c.value for c in at.code]
    assert dict(at.query_params) == {"q": "site-operator-owner", "site": "site/nyrstar-auby"}
    actor = appdata.plain(expect.rows[0][expect.columns.index("actor")])
    assert urllib.parse.quote(actor, safe="") in html_of(at)
    # the older form still opens the same query
    old = page("sparql", name="site-operator-owner", **{"p.site": "site/nyrstar-auby"})
    assert old.session_state["sparql_text"] == text


def test_chart_draws_the_chosen_columns_one_bar_per_row_never_a_year(env, store):
    nq = query.catalogue(env.queries_dir)["production-series"]
    res = query.run_store(store, query.bind(nq, {}, appdata.IRIs(env.base)))
    values = [appdata.plain(r[res.columns.index("value")]) for r in res.rows]
    at = page("sparql", q="production-series")
    label = next(s for s in at.selectbox if s.label == "Label column")
    value = next(s for s in at.selectbox if s.label == "Value column")
    assert "year" not in value.options and "value" in value.options and "year" in label.options
    bars = [d["svg"] for d in component_data(at, "oretrace_svg") if "ot-bars" in d["svg"]]
    assert len(bars) == 1 and 'data-value-column="value"' in bars[0] and 'data-label-column="measureLabel"' in bars[0]
    assert bars[0].count('class="ot-bar"') == sum(1 for v in values if v is not None)  # nothing added together
    assert sorted(float(x) for x in re.findall(r'class="ot-bar" data-label="[^"]*" data-value="([^"]+)"', bars[0])) == \
        sorted(float(v) for v in values if v is not None)
    label.set_value(res.columns.index("year")).run()
    bars = [d["svg"] for d in component_data(at, "oretrace_svg") if "ot-bars" in d["svg"]]
    assert 'data-label-column="year"' in bars[0] and 'data-value-column="value"' in bars[0]
    years = {str(appdata.plain(r[res.columns.index("year")])) for r in res.rows}
    assert set(re.findall(r'data-label="(\d{4})', bars[0])) <= years and re.findall(r'data-label="(\d{4})', bars[0])


def test_an_invalid_query_shows_the_whole_parser_message_and_no_stale_rows(env, store):
    at = page("sparql", q="SELECT ?f WHERE { ?f a ot:Flow } ORDER BY ?f LIMIT 3")
    assert "3 rows" in " ".join(m.value for m in at.markdown)
    at.toggle(key="plain_editor").set_value(True).run()
    bad = "SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTER(?s = )\n}"
    at.text_area(key=f"sparql_area_{at.session_state['sparql_version']}").set_value(bad).run()
    at.button(key="run_query").click().run()
    with pytest.raises(query.QueryError) as e:
        appdata.connect(env).backend.run(bad, timeout=10, cap=10)
    detail = re.split(r"error at \d+:\d+:\s*", str(e.value), maxsplit=1)[1]  # what the parser expected there, whole
    assert "," in detail
    err = " ".join(x.value for x in at.error)
    line = int(re.search(r"near line (\d+)", err).group(1))
    assert ui_md(detail) in err, (err, detail)
    assert any(f"{line:>4} | {bad.split(chr(10))[line - 1]}" in c.value and "^" in c.value for c in at.code)  # the line meant
    assert "row" not in " ".join(m.value for m in at.markdown)  # the earlier rows are gone
    assert not at.get("download_button") and "./entity?iri=" not in html_of(at)


def ui_md(text: str) -> str:
    sys.path.insert(0, str(APP))
    import ui

    return ui.md(text)


def test_gallery_search_narrows_the_examples_each_a_short_permalink(env):
    cat = query.catalogue(env.queries_dir)
    at = page("sparql")
    body = html_of(at)
    assert all(f'href="./sparql?q={n}"' in body for n in cat)
    at.text_input(key="gal_search").set_value("royalty").run()
    body = html_of(at)
    want = {n for n, nq in cat.items() if "royalty" in " ".join([n, nq.title, nq.question, nq.returns, *nq.tags]).lower()}
    shown = {n for n in cat if f'href="./sparql?q={n}"' in body}
    assert shown == want and 0 < len(want) < len(cat)


def test_result_csv_puts_a_label_beside_every_column_of_iris():
    sys.path.insert(0, str(APP))
    import sparql_results as rv

    head, rows = rv.labelled_csv(["site", "n", "unit"], [["https://w3id.org/oretrace/id/site/a", 3, "http://qudt.org/vocab/unit/TONNE"]],
                                 {"https://w3id.org/oretrace/id/site/a": "Site A", "http://qudt.org/vocab/unit/TONNE": "tonne"})
    assert head == ["site label", "site", "n", "unit label", "unit"]
    assert rows == [["Site A", "https://w3id.org/oretrace/id/site/a", 3, "tonne", "http://qudt.org/vocab/unit/TONNE"]]


def test_a_list_of_iris_gets_its_labels_in_csv_and_links_in_the_table(built):
    """A catalogue query's GROUP_CONCAT of documents is a list of IRIs: the CSV puts their labels beside
    it, the table links each with its label; text with spaces is left as it is."""
    sys.path.insert(0, str(APP))
    import sparql_results as rv
    import ui
    from oretrace import appdata

    a, b = "https://w3id.org/oretrace/id/source/a", "https://w3id.org/oretrace/id/source/b"
    head, rows = rv.labelled_csv(["documents", "note"], [[f"{a} {b}", "two words"], [a, None]], {a: "Report A", b: "List B"})
    assert head == ["documents label", "documents", "note"]
    assert rows == [["Report A | List B", f"{a} {b}", "two words"], ["Report A", a, None]]
    assert appdata.iris_in(f"{a} {b}") == [a, b] and appdata.iris_in("two words") == [] and appdata.iris_in(3) == []
    cell = ui.value_html(appdata.connect(built), f"{a} {b}", {a: "Report A", b: "List B"})
    assert cell.count("<a ") == 2 and "Report A" in cell and "List B" in cell and ", " in cell


# ------------------------------------------------------------------ a graph that cannot be read: plain messages, never a traceback
def dead_url() -> str:
    from oretrace.serve import free_port

    return f"http://127.0.0.1:{free_port()}/query"  # nothing listens there


PAGE_VISITS = [("overview", {}), ("chain", {}), ("chain", {"material": "all"}), ("entity", {}), ("entity", {"q": "zinc"}),
               ("entity", {"iri": "https://w3id.org/oretrace/id/site/nyrstar-auby"}), ("findings", {}), ("sources", {}),
               ("sources", {"source": "https://w3id.org/oretrace/id/source/x"}), ("sparql", {}),
               ("sparql", {"q": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"}), ("sparql", {"name": "site-operator-owner"})]


@pytest.fixture(params=["dead", "slow", "failing"])
def broken_endpoint(request, built, tmp_path, monkeypatch):
    from test_hostile import Listener

    stub = None
    if request.param == "dead":
        url = dead_url()
    else:
        stub = Listener({"slow": "never", "failing": "500"}[request.param])
        url = stub.url + "query"
    monkeypatch.setenv("ORETRACE_ROOT", str(built.root))
    monkeypatch.setenv("ORETRACE_BUILD", str(tmp_path / "no-build"))
    monkeypatch.setenv("ORETRACE_ENDPOINT", url)
    monkeypatch.setenv("ORETRACE_TIMEOUT", "1")
    yield request.param
    if stub:
        stub.close()


def plain_messages(at: AppTest) -> list[str]:
    import ui

    msgs = [e.value for e in at.error]
    assert not any(ui.INTERNAL in m or "Traceback" in m for m in msgs), msgs
    return msgs


@pytest.mark.parametrize("view,params", PAGE_VISITS, ids=[f"{v}-{'-'.join(p) or 'plain'}" for v, p in PAGE_VISITS])
def test_a_graph_that_cannot_be_read_gives_a_plain_message(broken_endpoint, view, params):
    at = page(view, **params)
    msgs = plain_messages(at)
    if (view, params) in (("entity", {}), ("sparql", {})):
        return  # an empty search box or editor reads nothing from the graph
    assert msgs, f"{view} with a {broken_endpoint} endpoint says nothing"
    assert any(w in m for m in msgs for w in ("cannot be reached", "answered 500", "did not answer", "longer than")), msgs


@pytest.fixture(scope="module")
def empty_build(tmp_path_factory):
    """A build of the ontology alone: no curated statement, no source, no flow."""
    root = tmp_path_factory.mktemp("empty-project")
    for d in ("ontology", "shapes", "queries"):
        shutil.copytree(Path(__file__).resolve().parents[1] / d, root / d)
    (root / "data").mkdir()
    build_dir = root / "build"
    r = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(root), "build", "-q"],
                       env=dict(os.environ, ORETRACE_BUILD=str(build_dir)), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return root, build_dir


@pytest.mark.parametrize("view,params", PAGE_VISITS, ids=[f"{v}-{'-'.join(p) or 'plain'}" for v, p in PAGE_VISITS])
def test_an_empty_graph_gives_plain_pages(empty_build, monkeypatch, view, params):
    root, build_dir = empty_build
    monkeypatch.setenv("ORETRACE_ROOT", str(root))
    monkeypatch.setenv("ORETRACE_BUILD", str(build_dir))
    monkeypatch.delenv("ORETRACE_ENDPOINT", raising=False)
    at = page(view, **params)
    plain_messages(at)
    assert at.title or at.error


def test_no_build_at_all_gives_a_plain_message(tmp_path, monkeypatch):
    monkeypatch.setenv("ORETRACE_ROOT", str(Path(__file__).resolve().parents[1]))
    monkeypatch.setenv("ORETRACE_BUILD", str(tmp_path / "none"))
    monkeypatch.delenv("ORETRACE_ENDPOINT", raising=False)
    for view, params in PAGE_VISITS:
        at = page(view, **params)
        assert any("oretrace build" in m for m in plain_messages(at)), view


def test_an_iri_that_is_not_http_is_text_in_results(env):
    at = page("sparql", q='SELECT ?x WHERE { VALUES ?x { <javascript:alert(1)> <https://example.org/ok> } }')
    body = html_of(at)
    assert 'href="javascript' not in body.lower() and "javascript:alert(1)" in body
    assert 'href="https://example.org/ok"' in body


# ------------------------------------------------------------------ issue 14: badges, trace, due diligence, search
@pytest.fixture()
def disagreeing(project_copy, tmp_path, monkeypatch):
    """A project copy where a second statement gives Bolivia's 1980 small-scale zinc concentrate production
    a different value (4,800 t beside the source's 4,750.138 t), built."""
    import copy

    import yaml

    f = project_copy / "data" / "sources" / "catapa-indium-report.yaml"
    doc = yaml.safe_load(f.read_text())
    sts = next(v for v in doc.values() if isinstance(v, list) and any(
        isinstance(s, dict) and s.get("id") == "catapa-indium/fig2-small-scale-1980" for s in v))
    st = copy.deepcopy(next(s for s in sts if s["id"] == "catapa-indium/fig2-small-scale-1980"))
    st["id"] += "-second-reading"
    st["says"] = "A second reading of the figure gives 4,800 t for 1980."
    st["assert"][0]["id"] += "-second-reading"
    st["assert"][0]["quantity"]["value"] = 4800
    sts.append(st)
    f.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    build_dir = tmp_path / "disagree-build"
    r = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(project_copy), "build", "-q"],
                       env=dict(os.environ, ORETRACE_BUILD=str(build_dir)), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    monkeypatch.setenv("ORETRACE_ROOT", str(project_copy))
    monkeypatch.setenv("ORETRACE_BUILD", str(build_dir))
    monkeypatch.delenv("ORETRACE_ENDPOINT", raising=False)
    from oretrace.config import Settings
    return Settings(root=project_copy, build=build_dir)


def test_disagreement_counts_agree_on_every_page(disagreeing):
    """Findings, the catalogue query and the entity page's badges count the same disagreements: only the
    same measure, subject, material and period from two statements, not a total beside its parts."""
    rows = appdata.connect(disagreeing).disagreements()
    assert len(rows) == 1 and {rows[0]["value1"], rows[0]["value2"]} == {4750.138, 4800}
    at = page("findings")
    assert dict((m.label, m.value) for m in at.metric)["Source disagreements"] == "1"
    body = html_of(page("entity", iri="https://w3id.org/oretrace/id/country/BO"))
    assert body.count("ot-badge ot-conflict\">sources disagree") == 2  # the two figures of the one pair
    assert "4,750.138 t" in body and "4,800 t" in body  # plain numbers with the unit symbol


def test_figures_are_plain_numbers(env):
    body = html_of(page("entity", iri="https://w3id.org/oretrace/id/country/BO"))
    assert "TONNE" not in body and "CCY_EUR" not in body and "4,750.138 t" in body
    assert "sources disagree" not in body.replace("“Sources disagree”", "")  # the curated graph has no disagreement


def test_trace_page_gives_a_citation_per_hop_and_a_csv(env):
    at = page("trace", iri="https://w3id.org/oretrace/id/material/touchscreen",
              to="https://w3id.org/oretrace/id/actor/oruro-mining-cooperatives")
    body = html_of(at)
    hops = body.count("<tr><td>")
    assert hops >= 5 and body.count("statement <a href") == hops
    assert {"Download the trace (CSV)", "Printable chain with citations (HTML)"} <= {b.label for b in at.get("download_button")}


def test_entity_pages_of_the_chain_have_a_trace_panel(env):
    for iri in ("material/indium-cement", "actor/oruro-mining-cooperatives", "site/nyrstar-auby"):
        at = page("entity", iri=f"https://w3id.org/oretrace/id/{iri}")
        assert "Trace upstream / downstream" in [s.value for s in at.subheader], iri


def test_due_diligence_rows_are_the_chains_smelters_and_traders(env):
    at = page("diligence", iri="https://w3id.org/oretrace/id/material/touchscreen")
    metrics = {m.label: m.value for m in at.metric}
    body = html_of(at)
    assert int(metrics["Smelters, refiners and traders"]) == body.split("<tbody>", 1)[1].count("<tr>")
    assert "Nyrstar Auby" in body and "local mineral traders" in body


def test_deprecated_iri_notice(env):
    body = html_of(page("entity", iri=OT + "distanceKm"))
    assert "Deprecated." in body and urllib.parse.quote(OT + "Distance", safe="") in body


def test_search_matches_spacing_and_ranks_data_first(env):
    g = appdata.connect(env)
    hits = g.search("touch screen")
    assert hits and hits[0]["x"].endswith("/material/touchscreen")
    royalty = g.search("royalty")
    kinds = [h["data"] for h in royalty]
    assert kinds[0] and kinds == sorted(kinds, reverse=True)  # data first, ontology terms after
    assert g.search("Sulphide") == g.search("sulfide")


def test_sources_page_offers_csv_of_its_tables_and_cites_a_chosen_source(env, store):
    at = page("sources")  # the sources table and the statements table
    assert [b.label for b in at.get("download_button")].count("Download CSV") == 2
    for doc in (one(store, """SELECT ?doc WHERE { GRAPH <https://w3id.org/oretrace/graph/provenance> {
                    ?g ot:citation ?c . ?c ot:document ?doc } } ORDER BY ?doc LIMIT 1""")["doc"],
                one(store, "SELECT ?doc WHERE { ?doc a ot:Source ; dcterms:issued ?y } ORDER BY ?doc LIMIT 1")["doc"]):
        at = page("sources", source=doc)  # a source with a year once emptied the page (the year came as an int)
        assert "Cite this" in [e.label for e in at.expander]
        assert {"Download Text", "Download BibTeX", "Download CSL-JSON", "Download CSV"} <= {b.label for b in at.get("download_button")}
        bib = next(c.value for c in at.code if c.value.startswith("@"))
        assert "url = {" in bib and "urldate = {" in bib
