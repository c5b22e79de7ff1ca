"""SPARQL: the query catalogue as a gallery (search, tags), an editor (YASQE) always showing the text whose
results are below, the parser's whole message on an error, results as a table with labels, a chart of
chosen columns, a map and a graph; CSV with labels; full-URL and short permalinks.

A short permalink names a catalogue query and its parameters: `sparql?q=<name>&<param>=<value>` (the older
`?name=<name>&p.<param>=<value>` still opens); any other `?q=` is the text of a query.
"""

from __future__ import annotations

import json
import re
import urllib.parse

import pyoxigraph as ox
import streamlit as st

import ui
import sparql_results as rv
from components import csv_bytes, leaflet_map, permalink, sparql_editor, svg
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


RESERVED = {"q", "name", "editor"}  # URL parameters of the page itself, never a catalogue query's
FIRST_TAGS, LAST_TAGS = ("competency",), ("app",)
TAG_NAMES = {"competency": "competency questions", "app": "the app's own questions"}


def load_catalogue(g) -> dict:
    try:
        return query.catalogue(g.settings.queries_dir)
    except query.QueryError as e:
        st.warning(f"The query catalogue has a problem: {e}")
        return {}


def tag_order(cat: dict) -> list[str]:
    tags = sorted({t for nq in cat.values() for t in nq.tags})
    return [t for t in FIRST_TAGS if t in tags] + [t for t in tags if t not in FIRST_TAGS + LAST_TAGS] + \
        [t for t in LAST_TAGS if t in tags]


def short_href(name: str, values: dict) -> str:
    """The short permalink of a catalogue query: its name and the parameters given."""
    return "./sparql?" + urllib.parse.urlencode({"q": name, **{k: v for k, v in values.items() if v}})


def matches(nq, words: list[str]) -> bool:
    hay = " ".join([nq.name, nq.title, nq.question, nq.returns, " ".join(nq.tags)]).lower()
    return all(w in hay for w in words)


def gallery(cat: dict) -> None:
    """The catalogue as a gallery: a search box and tag buttons narrow it; each example is a short permalink
    (one click opens and runs it)."""
    if not cat:
        st.caption("The query catalogue (queries/*.rq) is empty.")
        return
    c1, c2 = st.columns([2, 5])
    words = c1.text_input("Search the examples", key="gal_search", placeholder="e.g. royalty, owner, Bolivia").lower().split()
    tags = tag_order(cat)
    with c2:
        chosen = st.pills("Tags", tags, selection_mode="multi", key="gal_tags", format_func=lambda t: TAG_NAMES.get(t, t)) or []
    hits = [nq for nq in cat.values() if matches(nq, words)]
    groups = [(t, [nq for nq in hits if t in nq.tags]) for t in (chosen or tags)]
    groups = [(t, qs) for t, qs in groups if qs]
    untagged = [nq for nq in hits if not nq.tags] if not chosen else []
    if untagged:
        groups.append(("other", untagged))
    n = len({nq.name for _, qs in groups for nq in qs})
    st.caption(f"{n} of {len(cat)} example{'s' if len(cat) != 1 else ''}" + (" (an example is listed under each of its tags)"
                                                                           if n else ": none matches; clear the search or the tags"))
    html = []
    for t, qs in groups:
        items = "".join(
            f'<li class="ot-example" data-name="{ui.esc(nq.name)}"><a href="{ui.esc(short_href(nq.name, {}))}" target="_self">'
            f'{ui.esc(nq.title)}</a>' + (f' <span class="ot-muted">— {ui.esc(nq.question)}</span>' if nq.question else "")
            + "".join(f'<span class="ot-badge">{ui.esc(x)}</span>' for x in nq.tags) + "</li>" for nq in qs)
        html.append(f'<div class="ot-gallery-group" data-tag="{ui.esc(t)}"><h4 style="margin:8px 0 2px 0">'
                    f'{ui.esc(TAG_NAMES.get(t, t))} <span class="ot-muted">({len(qs)})</span></h4><ul>{items}</ul></div>')
    if html:
        ui.show('<div class="ot-gallery">' + "".join(html) + "</div>")


def from_url(cat: dict, qp) -> tuple[str | None, dict]:
    """The catalogue query a URL names (`q=<name>`, or the older `name=`) and the parameter values it gives."""
    q = (qp.get("q") or "").strip()
    name = q if q in cat else (qp.get("name") if not q and qp.get("name") in cat else None)
    if name is None:
        return None, {}
    values = {}
    for p in cat[name].params:
        v = qp.get(p.name) if p.name not in RESERVED else None
        v = v or qp.get(f"p.{p.name}")
        if v:
            values[p.name] = v
    return name, values


def bind(g, nq, values: dict) -> str | None:
    try:
        return query.with_prefixes(query.bind(nq, {k: v for k, v in values.items() if v}, g.iris))
    except query.QueryError as e:
        st.error(ui.md(str(e)))
        return None


def params_panel(g, cat: dict) -> tuple[str, dict] | None:
    """The loaded catalogue query's title, question and parameters; returns (text, values) when rerun
    with other values."""
    origin = st.session_state.get("sparql_origin")
    if not origin or origin["name"] not in cat:
        return None
    nq = cat[origin["name"]]
    st.markdown(f"**{ui.md(nq.title)}** " + " ".join(f"`{ui.md(t)}`" for t in nq.tags))
    st.caption(ui.md(" · ".join(x for x in (nq.question, f"returns {nq.returns}" if nq.returns else "") if x)))
    if not nq.params:
        return None
    values = {}
    cols = st.columns(min(3, len(nq.params)))
    for i, p in enumerate(nq.params):
        with cols[i % len(cols)]:
            values[p.name] = st.text_input(f"{p.name} ({p.kind})", value=origin["values"].get(p.name, p.default or ""),
                                           help=p.description, key=f"param_{nq.name}_{p.name}_{origin['n']}")
    if st.button("Run with these values", key="params_run"):
        text = bind(g, nq, values)
        if text is not None:
            given = {k: v for k, v in values.items() if v and v != next(p.default for p in nq.params if p.name == k)}
            return text, given
    return None


def set_url(qp, ss) -> None:
    """The page's URL: the short permalink while the editor holds a catalogue query as bound, else the text."""
    keep = {"editor": qp["editor"]} if qp.get("editor") else {}
    origin = ss.get("sparql_origin")
    if origin and origin["text"] == ss.sparql_text:
        qp.from_dict({"q": origin["name"], **origin["values"], **keep})
    else:
        qp.from_dict({"q": ss.sparql_text, **keep})


def page_href(ss) -> str:
    origin = ss.get("sparql_origin")
    if origin and origin["text"] == ss.get("sparql_ran"):
        return short_href(origin["name"], origin["values"])
    return ui.href("sparql", q=ss.get("sparql_ran"))


def start(g, cat: dict, ss, qp) -> None:
    """The session's first run of the page: the query the URL names (run at once), or the default."""
    ss.sparql_version, ss.sparql_origin, ss.autorun = 0, None, False
    ss.sparql_text = DEFAULT
    name, values = from_url(cat, qp)
    if name:
        text = bind(g, cat[name], values)
        if text is not None:
            ss.sparql_text, ss.autorun = text, True
            ss.sparql_origin = {"name": name, "values": values, "text": text, "n": 0}
    elif qp.get("q"):
        # the editor checks prefixes itself: show the ones the app adds, so a shared query is not marked wrong
        ss.sparql_text, ss.autorun = query.with_prefixes(qp["q"]), True


def show_error(message: str, text: str) -> None:
    """The error in words, the parser's whole message, and the line it points at with a caret."""
    st.error(ui.md(message))
    m = re.search(r"near line (\d+), column (\d+)", message)
    lines = text.split("\n")
    if m and 1 <= int(m.group(1)) <= len(lines):
        line, col = lines[int(m.group(1)) - 1], int(m.group(2))
        st.code(f"{m.group(1):>4} | {line}\n     | {' ' * min(max(col - 1, 0), len(line))}^", language=None)


@ui.page
def render() -> None:
    g = ui.graph()
    ui.header("SPARQL", f"Ask anything. Read-only; queries stop after {TIMEOUT:g} s and return at most {CAP:,} rows. "
                        "Prefixes ot:, rdfs:, prov:, dcterms:, qudt:, … are added when missing.")
    ss, qp = st.session_state, st.query_params
    cat = load_catalogue(g)
    if "sparql_text" not in ss:
        start(g, cat, ss, qp)
    with st.expander("Examples from the query catalogue", expanded=not qp.get("q") and not qp.get("name")):
        gallery(cat)
    rerun = params_panel(g, cat)
    if rerun is not None:
        text, given = rerun
        o = ss.sparql_origin
        ss.sparql_origin = {"name": o["name"], "values": given, "text": text, "n": o["n"] + 1}
        ss.sparql_text, ss.sparql_version, ss.autorun = text, ss.sparql_version + 1, True
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
        ss.autorun, run, text = False, True, ss.sparql_text
    if run:
        full = query.with_prefixes(text)
        if full != text:  # the editor shows the prefixes the app added: its lines are the lines of the messages
            ss.sparql_version += 1
        ss.sparql_text = ss.sparql_ran = full
        set_url(qp, ss)
        try:
            ss.sparql_result, ss.sparql_error = g.run_user_query(full, timeout=TIMEOUT, cap=CAP), None
        except AppError as e:
            ss.sparql_result, ss.sparql_error = None, str(e)  # never the rows of an earlier query under an error
        if full != text:
            st.rerun()
    if ss.get("sparql_error"):
        show_error(ss.sparql_error, ss.get("sparql_ran") or "")
    res: UserResult | None = ss.get("sparql_result")
    if res is None:
        return
    if text.strip() != (ss.get("sparql_ran") or "").strip():
        st.info("The editor has changed since these results were computed: press Run query to update them.")
    ui.show(f'<p class="ot-muted">Permalink: <a href="{ui.esc(page_href(ss))}" target="_self">'
            f'this query</a> · {res.seconds:.2f} s</p>')
    permalink(page_href(ss), key="sparql_link")
    show_result(g, res)


def show_result(g, res: UserResult) -> None:
    d = st.columns(4)
    if res.boolean is not None:
        st.success(f"Answer: {'yes (true)' if res.boolean else 'no (false)'}")
        d[0].download_button("JSON", results_json(res), "result.json", "application/sparql-results+json", key="dl_json")
        return
    if res.triples is not None:
        st.write(f"{len(res.triples)} triple{'s' if len(res.triples) != 1 else ''}" + (" (cut at the cap)" if res.truncated else ""))
        shown = res.triples[:SHOW_ROWS]
        labels = g.labels({plain(x) for t in shown for x in (t.subject, t.predicate, t.object) if isinstance(x, ox.NamedNode)})
        d[0].download_button("Turtle", results_turtle(res), "result.ttl", "text/turtle", key="dl_ttl")
        d[1].download_button("N-Triples", ox.serialize(res.triples, format=ox.RdfFormat.N_TRIPLES), "result.nt",
                             "application/n-triples", key="dl_nt")
        trows = [[plain(t.subject), plain(t.predicate), plain(t.object)] for t in res.triples]
        d[2].download_button("CSV", csv_bytes(*rv.labelled_csv(["subject", "property", "value"], trows, labels)), "result.csv",
                             "text/csv", key="dl_csv")
        tab_table, tab_graph = st.tabs(["Table", "Graph"])
        with tab_table:
            ui.show(ui.table(["subject", "property", "value"], [[ui.value_html(g, x, labels) for x in r] for r in trows[:SHOW_ROWS]]))
        with tab_graph:
            draw_graph(*rv.triple_edges(shown, labels), labels)
        return
    n = len(res.rows)
    st.write(f"{n} row{'s' if n != 1 else ''}" + (f" (cut at {CAP:,})" if res.truncated else "")
             + (f"; the first {SHOW_ROWS} are shown" if n > SHOW_ROWS else ""))
    raw = res.rows[:SHOW_ROWS]
    rows = [[plain(v) for v in row] for row in raw]
    labels = g.labels({x for row in rows for v in row for x in rv.iris_in(v)})
    all_rows = [[plain(v) for v in row] for row in res.rows]
    if n > SHOW_ROWS:
        labels.update(g.labels({x for row in all_rows[SHOW_ROWS:] for v in row for x in rv.iris_in(v)}))
    d[0].download_button("CSV", csv_bytes(*rv.labelled_csv(res.columns, all_rows, labels)), "result.csv", "text/csv",
                         key="dl_csv", help="with a label column beside every column of IRIs")
    d[1].download_button("JSON", results_json(res), "result.json", "application/sparql-results+json", key="dl_json")
    d[2].download_button("Turtle", results_turtle(res), "result.ttl", "text/turtle", key="dl_ttl")
    tab_table, tab_chart, tab_map, tab_graph = st.tabs(["Table", "Chart", "Map", "Graph"])
    with tab_table:
        ui.show(ui.table(res.columns, [[ui.value_html(g, v, labels) if v is not None else "" for v in row] for row in rows]))
    sig = abs(hash(tuple(res.columns))) % 10**8  # widget keys per set of columns: a new result never keeps old choices
    with tab_chart:
        chart(res.columns, rows, raw, labels, sig)
    with tab_map:
        result_map(g, res.columns, rows, labels)
    with tab_graph:
        kinds = rv.column_kinds(res.columns, rows, raw)
        iri = kinds["iri"]
        if len(iri) < 2:
            st.caption("A graph needs two columns of entities (IRIs).")
        else:
            c = st.columns(3)
            a = c[0].selectbox("From", iri, format_func=lambda i: res.columns[i], key=f"graph_from_{sig}")
            b = c[1].selectbox("To", [i for i in iri if i != a], format_func=lambda i: res.columns[i], key=f"graph_to_{sig}")
            rel_opts = [None] + [i for i in range(len(res.columns)) if i not in (a, b)]
            default = next((k for k, i in enumerate(rel_opts) if i is not None and re.search("rel|prop|pred|says", res.columns[i], re.I)), 0)
            r = c[2].selectbox("Link named by", rel_opts, index=default, format_func=lambda i: "(none)" if i is None else res.columns[i],
                               key=f"graph_rel_{sig}")
            draw_graph(*rv.select_edges(rows, a, b, r, labels), labels)


def draw_graph(edges: list[dict], rel_names: dict, labels: dict) -> None:
    from charts import network_svg

    if not edges:
        st.caption("No two entities of the result are linked.")
        return
    st.caption(f"{len(edges)} link{'s' if len(edges) != 1 else ''} between "
               f"{len({x for e in edges for x in (e['a'], e['b'])})} entities; each opens its page.")
    svg(network_svg(edges[:400], labels, {}, rel_names), key="sparql_graph")


def chart(columns, rows, raw, labels, sig) -> None:
    """Bars of a chosen value column by a chosen label column, one bar per row: nothing is summed, and a
    year or date is never offered as a value."""
    kinds = rv.column_kinds(columns, rows, raw)
    if not kinds["value"] or not kinds["label"]:
        st.caption("A chart needs a column of numbers (other than a year or date) and a column of names.")
        return
    c1, c2 = st.columns(2)
    li = c1.selectbox("Label column", kinds["label"], index=kinds["label"].index(rv.default_label(columns, kinds)),
                      format_func=lambda i: columns[i], key=f"chart_label_{sig}")
    vi = c2.selectbox("Value column", kinds["value"], index=kinds["value"].index(rv.default_value(columns, kinds)),
                      format_func=lambda i: columns[i], key=f"chart_value_{sig}",
                      help="years and dates are labels, never values")
    items = rv.bars(columns, rows, labels, li, vi, kinds)
    st.caption(f"One bar per row ({len(items)}" + (f", the first {rv.MAX_BARS} drawn" if len(items) > rv.MAX_BARS else "")
               + "); rows are never added together.")
    svg(rv.bar_svg(items, columns[vi], columns[li]), key="sparql_chart")


def result_map(g, columns, rows, labels) -> None:
    """Points on the map: the result's latitude and longitude columns, or else the coordinates the graph
    holds for the result's entities (their own, their town's or their place's)."""
    lat, lon = rv.coordinate_columns(columns)
    places = None
    ents = sorted({v for r in rows for v in r if isinstance(v, str) and v.startswith("http")})[:2000]
    if lat is None or lon is None:
        places = g.places(ents) if ents else {}
    points = rv.map_points(columns, rows, labels, places)
    countries = sorted({c for c in (numeric_code(p.get("code") or p.get("country")) for p in (places or {}).values()) if c})
    if not points and not countries:
        st.caption("Nothing in this result has coordinates: a map needs lat and lon columns, or entities (sites, "
                   "towns, countries) whose place the graph knows.")
        return
    st.caption(f"{len(points)} point{'s' if len(points) != 1 else ''}"
               + ("" if places is None else f" of {len(ents)} entities in the result (coordinates the graph takes from "
                                              "GeoNames for their towns)")
               + (f"; {len(countries)} countr{'ies' if len(countries) != 1 else 'y'} shaded where an entity lies" if countries else "")
               + ".")
    leaflet_map(points, [], countries, key="sparql_map", fit_sites=True)


def numeric_code(code: str | None) -> str | None:
    """The ISO 3166 numeric code (world-atlas's country ids) of an alpha-2 country or subdivision code."""
    import pycountry

    if not code:
        return None
    c = pycountry.countries.get(alpha_2=code.split("-")[0])
    return c.numeric if c else None
