"""Supply chain: for a material and period, the Sankey of flows, the map of sites and routes, the actor network."""

from __future__ import annotations

from pathlib import Path

import pycountry
import streamlit as st

import charts
import ui
from oretrace import chartdata
from oretrace.vocab import OT
from components import leaflet_map, png_button, svg, table

DEFAULT_ELEMENT = "Indium"


def kind_of(types: list[str]) -> str:
    for k in ("Site", "Actor", "Place", "Material"):
        if OT + k in types:
            return k
    return "Other"


def numeric_code(alpha2: str | None) -> str | None:
    if not alpha2:
        return None
    c = pycountry.countries.get(alpha_2=alpha2.split("-")[0])
    return c.numeric if c else None  # three digits with leading zeros, as world-atlas writes its ids


def selection(g) -> tuple[str, str | None, str | None, str]:
    """(choice, material IRI, element IRI, title) from the URL and the select box; indium-bearing by default."""
    qp = st.query_params
    elements = [e for e in g.flow_elements() if e["iri"].startswith(OT)]
    mats = g.flow_materials()
    options, names, element_iri = [], {}, {}
    for e in elements:
        name = e["iri"][len(OT):]
        options.append(f"element:{name}")
        element_iri[f"element:{name}"] = e["iri"]
        names[f"element:{name}"] = f"{e['label']}-bearing materials ({e['flows']} flows)"
    options += [m["iri"] for m in mats] + ["all"]
    names.update({m["iri"]: f"{m['label']} ({m['flows']} flows)" for m in mats})
    names["all"] = "all materials together"
    want = qp.get("material") or f"element:{qp.get('element') or DEFAULT_ELEMENT}"
    idx = options.index(want) if want in options else 0
    choice = st.selectbox("Material", options, index=idx, format_func=lambda o: names.get(o, o), key="material",
                          help="A chemical element picks every material that contains it (ores, concentrates, metal).")
    title = names[choice].rsplit(" (", 1)[0]
    if choice.startswith("element:"):
        st.query_params["element"] = choice.split(":", 1)[1]
        st.query_params.pop("material", None)
        return choice, None, element_iri[choice], title
    st.query_params.pop("element", None)
    st.query_params["material"] = choice
    return choice, (None if choice == "all" else choice), None, title


def default_year(flows: list[dict], years: list[int]) -> int:
    """The latest year with a stated tonnage, or else the latest year with any flow."""
    stated = [f["last"] for f in flows if f["tonnes"] and isinstance(f["last"], int)]
    return max(stated) if stated else years[-1]


def spans(years: list[int]) -> str:
    """1980–1985, 2011, 2013–2019: the years as runs."""
    runs, start = [], None
    for i, y in enumerate(years):
        start = y if start is None else start
        if i + 1 == len(years) or years[i + 1] != y + 1:
            runs.append(f"{start}–{y}" if y != start else str(y))
            start = None
    return ", ".join(runs)


def period_picker(flows: list[dict], choice: str) -> tuple[int | None, int | None, list[int]]:
    """The years to show, from the URL or the latest year with stated tonnages."""
    qp = st.query_params
    years = sorted({y for f in flows for y in (f["first"], f["last"]) if isinstance(y, int)})
    if not years:
        st.caption("No flow of this material states a year.")
        return None, None, years
    d = default_year(flows, years)
    lo = int(qp["from"]) if str(qp.get("from", "")).isdigit() and int(qp["from"]) in years else d
    hi = int(qp["to"]) if str(qp.get("to", "")).isdigit() and int(qp["to"]) in years else d
    lo, hi = min(lo, hi), max(lo, hi)
    if len(years) == 1:
        st.markdown(f"**Year:** {years[0]} (the only year with flows)")
        return years[0], years[0], years
    lo, hi = st.select_slider("Years shown", options=years, value=(lo, hi), key=f"period_{choice}",
                              help="Only years in which the sources record a flow of this material are offered. "
                                   f"The page opens on {d}, the latest year with a stated tonnage.")
    st.query_params["from"], st.query_params["to"] = str(lo), str(hi)
    return lo, hi, years


def picture_download(g, markup: str, title: str, items: set[str], key: str) -> None:
    """Downloads of the picture as SVG and PNG files with its title, the build, the date and the
    documents behind the items drawn (queries/app-documents-of.rq) printed on it."""
    import datetime as dt

    if "<svg" not in markup:
        return
    docs = g.named("app-documents-of", item=sorted(items)) if items else []
    sources = [d["title"] or g.short(d["document"]) for d in docs]
    body = charts.standalone_svg(markup, title, g.version, dt.date.today().isoformat(), sources,
                                 note="Drawn by oretrace from its knowledge graph; the sources are the documents whose "
                                      "statements give the items drawn.")
    st.download_button("Download this picture (SVG)", body.encode("utf-8"), file_name=f"{key}.svg", mime="image/svg+xml",
                       key=f"dl_{key}", help="with the title, the build, the date and the sources printed on it")
    png_button(body, f"{key}.png", key=f"png_{key}")


@ui.page
def render() -> None:
    g = ui.graph()
    ui.header("Supply chain", "Follow the metal: flows in tonnes from mines through traders, ports and smelters to products.")
    qp = st.query_params
    c1, c2 = st.columns([2, 3])
    with c1:
        choice, material, element, title = selection(g)
    flows = g.flows(material=material, element=element)
    with c2:
        lo, hi, years = period_picker(flows, choice)
    c3, c4, _ = st.columns([2, 2, 1])
    undated = c3.checkbox("Include flows without a date", value=qp.get("undated", "1") == "1", key="undated",
                          help="Flows the sources describe without a year: mostly the route itself (truck haul, "
                               "sea shipment, inland shipping).")
    unknown = c4.checkbox("Include flows without a stated tonnage", value=qp.get("unknown", "1") == "1", key="unknown",
                          help="Drawn as thin grey bands of a nominal width.")
    st.query_params["undated"], st.query_params["unknown"] = ("1" if undated else "0"), ("1" if unknown else "0")
    dated = [f for f in flows if f["first"] is not None and lo is not None and f["last"] >= lo and f["first"] <= hi]
    undated_flows = [f for f in flows if f["first"] is None]
    chosen = dated + (undated_flows if undated else [])
    data = chartdata.chain(g, chosen, element=element, include_unknown=unknown)
    links, skipped, stage, types = data["links"], data["skipped"], data["stage"], data["types"]
    ends = {chartdata.iri_of(k) for k in stage if k not in chartdata.PLACEHOLDERS}  # every entity the chain draws
    flow_iris = {f["iri"] for f in chosen}
    extra = {lk["process"] for lk in links if lk.get("process")} | {lk["scale"][1] for lk in links if lk["scale"] and lk["scale"][1]}
    labels = g.labels(ends | flow_iris | extra | {m for f in chosen for m in f["materials"]})
    kinds = {n: kind_of(types.get(n, [])) for n in ends}

    period = "" if lo is None else (f", {lo}" if lo == hi else f", {lo}–{hi}")
    st.subheader(ui.md(f"Flows of {title}{period}"))
    stated = sum(1 for f in dated if f["tonnes"] is not None)
    note = [f"{len(dated)} flow{'s' if len(dated) != 1 else ''} dated in {'this year' if lo == hi else 'these years'} "
            f"({stated} with a stated tonnage)" if lo is not None else "No dated flow"]
    if undated:
        note.append(f"{len(undated_flows)} undated flow{'s' if len(undated_flows) != 1 else ''} describing the route")
    if years:
        note.append(f"years with flows of this material: {spans(years)}")
    st.caption(ui.md("; ".join(note) + "."))
    if lo is not None and hi > lo:
        st.warning(ui.md(f"The years {lo}–{hi} are drawn together: bands of different years add up. "
                         "Pick a single year to compare like with like."))
    st.caption("Columns are the stages of the chain, read from what the graph says each actor, site and place is. "
               "Band width is the quantity, on one scale per material; grey bands are flows whose size the sources "
               "do not give. Hover for the figure and period; click a band or a box to open its page. On a narrow "
               "screen the picture scrolls sideways.")
    ui.show(charts.legend() + charts.scale_legend(links, labels, labels))
    sankey = charts.sankey_svg(links, stage, labels, kinds, labels)
    svg(sankey, key="sankey")
    picture_download(g, sankey, f"Flows of {title}{period}", flow_iris, "sankey")

    st.subheader("Map of sites and routes")
    places = g.places(ends)
    countries = set()
    for n in ends:
        p = places.get(n, {})
        if OT + "Country" in types.get(n, []):
            code = numeric_code(p.get("code") or p.get("country"))
            if code:
                countries.add(code)
    points = []
    for p in chartdata.map_points(stage, places, labels, types):
        item = {"label": p["label"], "href": ui.entity_href(p["iri"]), "radius": 7,
                "colour": charts.PALETTE.get(kinds.get(p["iri"], "Site"), "#666")}
        if p["approx"]:
            code = numeric_code(p["alpha2"])
            if not code:
                continue
            item.update(country=code, approx=True, fit=False,
                        note="The graph holds no coordinates for it: drawn at the middle of its country.")
        else:
            item.update(lat=p["lat"], lon=p["lon"])
        points.append(item)

    def end(n):
        p = places.get(n, {})
        if p.get("lat") is not None:
            return {"lat": p["lat"], "lon": p["lon"]}
        code = numeric_code(p.get("code") or p.get("country"))
        return {"country": code} if code else None

    routes, seen = [], set()
    for lk in links:
        if lk["kind"] != "flow":
            continue
        src, dst = chartdata.iri_of(lk["source"]), chartdata.iri_of(lk["target"])
        a, b = end(src), end(dst)
        key = (src, dst, lk["flow"]["iri"])
        if a and b and a != b and key not in seen:
            seen.add(key)
            f = lk["flow"]
            note = f"{f['tonnes']:,.6g} t" if f["tonnes"] is not None else "tonnage not stated"
            routes.append({"from": a, "to": b, "label": labels.get(f["iri"], f["iri"]), "href": ui.entity_href(f["iri"]),
                           "note": note, "name": f"{labels.get(f['iri'], f['iri'])}: {labels.get(src, src)} to "
                                                 f"{labels.get(dst, dst)}, {note}",
                           "weight": 3 if f["tonnes"] else 2, "colour": "#2f6f8f" if f["tonnes"] is not None else "#9a9a9a"})
    if points or routes:
        leaflet_map(points, routes, sorted(countries), key="chain_map",
                    legend="dots: sites and towns (rings: no coordinates, drawn at the country's middle) · "
                           "blue lines: flows with a stated tonnage · grey: tonnage not stated",
                    fit_sites=True)
        st.caption("Country outlines: world-atlas (Natural Earth, 1:110m), served by this app. Routes are straight lines "
                   "between the stated ends, not the actual paths; an end that is a whole country is drawn at its middle. "
                   "Dots that would overlap are set apart around their place, each with its name. "
                   "The map opens on the sites; zoom out to see routes to distant countries. "
                   "Shaded countries are ends of the flows shown. Click a dot or a line, or reach it with the Tab key "
                   "and press Enter, to open its page.")
        atlas = Path(__file__).resolve().parents[1] / "static" / "world" / "countries-110m.json"
        if atlas.is_file():  # (installed with the app's assets; without them the browser map is missing too)
            picture = charts.map_svg(points, routes, sorted(countries), str(atlas), fit_sites=True)
            picture_download(g, picture, f"Sites and routes of {title}{period}", ends | flow_iris, "map")
    else:
        st.info("No flow in this selection has an end with a known place.")

    st.subheader(ui.md(f"Actors and places of this chain: {title}"))
    edges = [e for e in g.actor_network() if e["a"] in ends or e["b"] in ends]
    pairs = {(e["a"], e["b"]) for e in edges}
    for lk in links:
        a, b = chartdata.iri_of(lk["source"]), chartdata.iri_of(lk["target"])
        if a != b and a in ends and b in ends and (a, b) not in pairs:
            pairs.add((a, b))
            edges.append({"a": a, "b": b, "rel": "chain:" + lk["kind"]})
    nodes = {e["a"] for e in edges} | {e["b"] for e in edges}
    nlabels = g.labels(nodes | {e["rel"] for e in edges if not e["rel"].startswith("chain:")})
    ntypes = g.types_of(nodes)
    rel_labels = {e["rel"]: nlabels.get(e["rel"]) for e in edges}
    rel_labels.update({"chain:flow": "flow of this material", "chain:product": "makes, or is made in"})
    network = charts.network_svg(edges, nlabels, {n: kind_of(ntypes.get(n, [])) for n in nodes}, rel_labels)
    svg(network, key="network")
    picture_download(g, network, f"Actors and places of this chain: {title}", nodes | flow_iris, "network")
    st.caption("The actors, sites and places of the chain above, with the ownership, operation and trade links the "
               "sources state about them. Solid lines: ownership, operation, membership or group links, and the "
               "chain's own steps; dashed lines: a sale from seller to buyer. Click a dot to open its page.")

    with st.expander(f"The {len(chosen)} flows in this selection, as a table"):
        rows = []
        for f in sorted(chosen, key=lambda f: (f["first"] is None, f["first"] or 0, labels.get(f["iri"], ""))):
            amount = f"{f['tonnes']:,.6g} t" if f["tonnes"] is not None else (
                f"{f['value']} {g.short(f['unit'])}" if f["value"] is not None else "not stated")
            why = next((s["why"] for s in skipped if s["iri"] == f["iri"]), "")
            rows.append([ui.link(f["iri"], labels.get(f["iri"])), ui.esc(amount),
                         ui.esc(f["year"] or (f"{f['start']}–{f['end']}" if f["start"] else "not dated")),
                         ui.esc(why and f"not drawn: {why}")])
        table(["flow", "quantity", "period", "note"], rows, "flows", key="flows_csv")
