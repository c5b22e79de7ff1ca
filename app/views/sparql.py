"""SPARQL: an editor (YASQE), the query catalogue as examples, results as a linked table, chart or map."""

from __future__ import annotations

import json

import pandas as pd
import pyoxigraph as ox
import streamlit as st

import ui
from components import leaflet_map, sparql_editor
from oretrace import query
from oretrace.appdata import AppError, UserResult, plain, term_json
from oretrace.vocab import RDF, XSD

DEFAULT = """# Which sources say where Bolivian zinc concentrate goes?
PREFIX ot: <https://w3id.org/oretrace/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?flow ?destination ?doc ?where WHERE {
  GRAPH ?g { ?flow ot:material ?m ; ot:destination ?destination }
  ?m rdfs:label ?ml . FILTER(CONTAINS(LCASE(?ml), "zinc"))
  GRAPH <https://w3id.org/oretrace/graph/provenance> {
    ?g ot:citation ?c . ?c ot:document ?doc ; ot:locatorText ?where }
} LIMIT 50
"""
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
SHOW_ROWS = 1000
TIMEOUT, CAP = 10.0, 5000


def results_turtle(res: UserResult) -> str:
    """A SELECT result as Turtle in the W3C result-set vocabulary, or a graph result as Turtle."""
    if res.triples is not None:
        return ox.serialize(res.triples, format=ox.RdfFormat.TURTLE).decode()
    N, L = ox.NamedNode, ox.Literal
    rs = ox.BlankNode()
    t = [ox.Triple(rs, N(RDF + "type"), N(RS + "ResultSet"))]
    for c in res.columns:
        t.append(ox.Triple(rs, N(RS + "resultVariable"), L(c)))
    for i, row in enumerate(res.rows):
        sol = ox.BlankNode()
        t += [ox.Triple(rs, N(RS + "solution"), sol), ox.Triple(sol, N(RS + "index"), L(str(i + 1), datatype=N(XSD + "integer")))]
        for c, v in zip(res.columns, row):
            if v is None:
                continue
            b = ox.BlankNode()
            t += [ox.Triple(sol, N(RS + "binding"), b), ox.Triple(b, N(RS + "variable"), L(c)), ox.Triple(b, N(RS + "value"), v)]
    return ox.serialize(t, format=ox.RdfFormat.TURTLE).decode()


def results_json(res: UserResult) -> str:
    if res.boolean is not None:
        return json.dumps({"head": {}, "boolean": res.boolean})
    return json.dumps({"head": {"vars": res.columns}, "results": {"bindings": [
        {c: term_json(v) for c, v in zip(res.columns, row) if v is not None} for row in res.rows]}}, indent=1)


def catalogue_panel(g) -> str | None:
    """The query catalogue; returns bound query text when the user loads one."""
    try:
        cat = query.catalogue(g.settings.queries_dir)
    except query.QueryError as e:
        st.warning(f"The query catalogue has a problem: {e}")
        return None
    if not cat:
        st.caption("The query catalogue (queries/*.rq) is empty.")
        return None
    names = list(cat)
    want = st.query_params.get("name")
    choice = st.selectbox("Example from the query catalogue", names, index=names.index(want) if want in names else 0,
                          format_func=lambda n: cat[n].title, key="cat_pick")
    nq = cat[choice]
    st.caption(ui.md(" · ".join(x for x in (nq.question, f"returns {nq.returns}" if nq.returns else "") if x)))
    values = {}
    if nq.params:
        cols = st.columns(min(3, len(nq.params)))
        for i, p in enumerate(nq.params):
            with cols[i % len(cols)]:
                values[p.name] = st.text_input(f"{p.name} ({p.kind})", value=st.query_params.get(f"p.{p.name}", p.default or ""),
                                               help=p.description, key=f"param_{choice}_{p.name}")
    if st.button("Load this query", key="cat_load") or (want == choice and st.session_state.get("cat_autoload")):
        st.session_state["cat_autoload"] = False
        try:
            text = query.bind(nq, {k: v for k, v in values.items() if v}, g.iris)
        except query.QueryError as e:
            st.error(str(e))
            return None
        st.query_params["name"] = choice
        for k, v in values.items():
            st.query_params[f"p.{k}"] = v
        return text
    return None


@ui.page
def render() -> None:
    g = ui.graph()
    ui.header("SPARQL", f"Ask anything. Read-only; queries stop after {TIMEOUT:g} s and return at most {CAP:,} rows. "
                        "Prefixes ot:, rdfs:, prov:, dcterms:, qudt:, … are added when missing.")
    ss, qp = st.session_state, st.query_params
    if "sparql_text" not in ss:
        # the editor checks prefixes itself: show the ones the app would add, so a shared query is not marked wrong
        ss.sparql_text = query.with_prefixes(qp.get("q")) if qp.get("q") else DEFAULT
        ss.sparql_version = 0
        ss.autorun = bool(qp.get("q"))
        ss.cat_autoload = bool(qp.get("name")) and not qp.get("q")
    with st.expander("Examples from the query catalogue", expanded=bool(qp.get("name")) or not qp.get("q")):
        loaded = catalogue_panel(g)
    if loaded is not None:
        ss.sparql_text, ss.sparql_version = query.with_prefixes(loaded), ss.sparql_version + 1
        ss.autorun = True
    plain_editor = st.toggle("Plain text editor", value=qp.get("editor") == "plain", key="plain_editor")
    trigger = None
    if plain_editor:
        text = st.text_area("SPARQL query", value=ss.sparql_text, height=260, key=f"sparql_area_{ss.sparql_version}")
    else:
        state = sparql_editor(ss.sparql_text, key=f"sparql_editor_{ss.sparql_version}")
        text = (state.get("query") if state else None) or ss.sparql_text
        trigger = state.get("run") if state else None
        st.caption("Ctrl+Enter runs the query.")
    run = st.button("Run query", type="primary", key="run_query")
    if trigger:
        text, run = trigger, True
    if ss.get("autorun"):
        ss.autorun, run = False, True
    if run:
        ss.sparql_text = text
        qp["q"] = text
        try:
            ss.sparql_result, ss.sparql_error = g.run_user_query(text, timeout=TIMEOUT, cap=CAP), None
        except AppError as e:
            ss.sparql_result, ss.sparql_error = None, str(e)
    if ss.get("sparql_error"):
        st.error(ui.md(ss.sparql_error))
    res: UserResult | None = ss.get("sparql_result")
    if res is None:
        return
    ui.show(f'<p class="ot-muted">Permalink: <a href="{ui.esc(ui.href("sparql", q=ss.sparql_text))}" target="_self">'
            f'this query</a> · {res.seconds:.2f} s</p>')
    show_result(g, res)


def show_result(g, res: UserResult) -> None:
    d = st.columns(4)
    if res.boolean is not None:
        st.success(f"Answer: {'yes (true)' if res.boolean else 'no (false)'}")
        d[0].download_button("JSON", results_json(res), "result.json", "application/sparql-results+json", key="dl_json")
        return
    if res.triples is not None:
        st.write(f"{len(res.triples)} triple{'s' if len(res.triples) != 1 else ''}" + (" (cut at the cap)" if res.truncated else ""))
        labels = g.labels({plain(x) for t in res.triples[:SHOW_ROWS] for x in (t.subject, t.predicate, t.object) if isinstance(x, ox.NamedNode)})
        ui.show(ui.table(["subject", "property", "value"], [[ui.value_html(g, plain(x), labels) for x in (t.subject, t.predicate, t.object)]
                                                            for t in res.triples[:SHOW_ROWS]]))
        d[0].download_button("Turtle", results_turtle(res), "result.ttl", "text/turtle", key="dl_ttl")
        d[1].download_button("N-Triples", ox.serialize(res.triples, format=ox.RdfFormat.N_TRIPLES), "result.nt",
                             "application/n-triples", key="dl_nt")
        return
    n = len(res.rows)
    st.write(f"{n} row{'s' if n != 1 else ''}" + (f" (cut at {CAP:,})" if res.truncated else "")
             + (f"; the first {SHOW_ROWS} are shown" if n > SHOW_ROWS else ""))
    qres = query.Result(res.columns, res.rows)
    d[0].download_button("CSV", query.format_result(qres, "csv"), "result.csv", "text/csv", key="dl_csv")
    d[1].download_button("JSON", results_json(res), "result.json", "application/sparql-results+json", key="dl_json")
    d[2].download_button("Turtle", results_turtle(res), "result.ttl", "text/turtle", key="dl_ttl")
    rows = [[plain(v) for v in row] for row in res.rows[:SHOW_ROWS]]
    labels = g.labels({v for row in rows for v in row if isinstance(v, str)})
    tab_table, tab_chart, tab_map = st.tabs(["Table", "Chart", "Map"])
    with tab_table:
        ui.show(ui.table(res.columns, [[ui.value_html(g, v, labels) if v is not None else "" for v in row] for row in rows]))
    with tab_chart:
        chart(res.columns, rows, labels)
    with tab_map:
        result_map(g, res.columns, rows, labels)


def chart(columns, rows, labels) -> None:
    """A bar chart when the result has a numeric column and a label column."""
    num = [i for i, c in enumerate(columns) if rows and all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool)
                                                            for r in rows if r[i] is not None) and any(r[i] is not None for r in rows)]
    text = [i for i in range(len(columns)) if i not in num]
    if not num or not text:
        st.caption("A chart needs one column of numbers and one of names.")
        return
    ni, ti = num[0], text[0]
    df = pd.DataFrame({columns[ti]: [labels.get(r[ti], str(r[ti])) if r[ti] is not None else "" for r in rows],
                       columns[ni]: [r[ni] for r in rows]})
    df = df.groupby(columns[ti], as_index=False)[columns[ni]].sum()
    st.bar_chart(df, x=columns[ti], y=columns[ni], horizontal=True)


def result_map(g, columns, rows, labels) -> None:
    """Points on the map when the result has latitude and longitude columns."""
    low = [c.lower() for c in columns]
    lat = next((i for i, c in enumerate(low) if c in ("lat", "latitude") or c.endswith("lat")), None)
    lon = next((i for i, c in enumerate(low) if c in ("lon", "long", "lng", "longitude") or c.endswith(("lon", "long"))), None)
    if lat is None or lon is None:
        st.caption("A map needs columns named lat and lon (or latitude and longitude).")
        return
    ent = next((i for i in range(len(columns)) if i not in (lat, lon) and any(isinstance(r[i], str) and r[i].startswith("http") for r in rows)), None)
    points = []
    for r in rows:
        try:
            la, lo = float(r[lat]), float(r[lon])
        except (TypeError, ValueError):
            continue
        iri = r[ent] if ent is not None else None
        points.append({"lat": la, "lon": lo, "label": labels.get(iri, str(iri)) if iri else f"{la}, {lo}",
                       "href": ui.entity_href(iri) if iri else "#"})
    leaflet_map(points, [], [], key="sparql_map")
