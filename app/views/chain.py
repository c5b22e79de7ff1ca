"""Supply chain: for a material and period, the Sankey of flows, the map of sites and routes, the actor network."""

from __future__ import annotations

import pycountry
import streamlit as st

import charts
import ui
from components import leaflet_map, svg
from oretrace.vocab import OT

ELEMENTS = {"Indium": OT + "Indium", "Tin": OT + "Tin", "Tantalum": OT + "Tantalum", "Tungsten": OT + "Tungsten",
            "Gold": OT + "Gold", "Zinc": OT + "Zinc"}


def kind_of(types: list[str]) -> str:
    for k in ("Site", "Actor", "Place", "Material"):
        if OT + k in types:
            return k
    return "Other"


def numeric_code(alpha2: str | None) -> str | None:
    if not alpha2:
        return None
    c = pycountry.countries.get(alpha_2=alpha2.split("-")[0])
    return str(int(c.numeric)) if c else None


def selection(g) -> tuple[str | None, str | None, str]:
    """The chosen material or element from the URL and the select box."""
    qp = st.query_params
    mats = g.flow_materials()
    options = [f"element:{name}" for name in ELEMENTS] + [m["iri"] for m in mats] + ["all"]
    names = {f"element:{n}": f"everything containing {n.lower()}" for n in ELEMENTS}
    names.update({m["iri"]: f"{m['label']} ({m['flows']} flows)" for m in mats})
    names["all"] = "all materials"
    want = qp.get("material") or (f"element:{qp['element']}" if qp.get("element") else "element:Indium")
    idx = options.index(want) if want in options else 0
    choice = st.selectbox("Material", options, index=idx, format_func=lambda o: names.get(o, o), key="material")
    if choice.startswith("element:"):
        st.query_params["element"] = choice.split(":", 1)[1]
        st.query_params.pop("material", None)
        return None, ELEMENTS[choice.split(":", 1)[1]], names[choice]
    st.query_params.pop("element", None)
    if choice == "all":
        st.query_params["material"] = "all"
        return None, None, names[choice]
    st.query_params["material"] = choice
    return choice, None, names[choice]


def render() -> None:
    g = ui.graph()
    ui.header("Supply chain", "Follow the metal: flows in tonnes from mines through traders, ports and smelters to products.")
    c1, c2, c3 = st.columns([3, 3, 2])
    with c1:
        material, element, title = selection(g)
    flows = g.flows(material=material, element=element)
    years = sorted({y for f in flows for y in (f["first"], f["last"]) if isinstance(y, int)})
    qp = st.query_params
    with c2:
        if years and years[0] < years[-1]:
            lo = int(qp.get("from", years[0])) if str(qp.get("from", "")).isdigit() else years[0]
            hi = int(qp.get("to", years[-1])) if str(qp.get("to", "")).isdigit() else years[-1]
            lo, hi = max(min(lo, years[-1]), years[0]), min(max(hi, years[0]), years[-1])
            lo, hi = st.slider("Period", years[0], years[-1], (lo, min(max(hi, lo), years[-1])), key="period")
            st.query_params["from"], st.query_params["to"] = str(lo), str(hi)
        else:
            lo, hi = (years[0], years[-1]) if years else (None, None)
            st.caption(f"Period: {lo}" if lo else "No flow in this selection states a year.")
    with c3:
        undated = st.checkbox("Include undated flows", value=qp.get("undated", "1") == "1", key="undated")
        unknown = st.checkbox("Include flows without a stated tonnage", value=qp.get("unknown", "1") == "1", key="unknown")
        st.query_params["undated"], st.query_params["unknown"] = ("1" if undated else "0"), ("1" if unknown else "0")
    chosen = [f for f in flows if (f["first"] is None and undated) or
              (f["first"] is not None and lo is not None and f["last"] >= lo and f["first"] <= hi)]
    links, skipped = charts.sankey_links(chosen, include_unknown=unknown)
    ends = {x for lk in links for x in (lk["source"], lk["target"])}
    labels = g.labels(ends | {f["iri"] for f in chosen})
    types = g.types_of(ends)
    kinds = {n: kind_of(types.get(n, [])) for n in ends}

    st.subheader(ui.md(f"Flows of {title}"))
    st.caption("Band width is tonnes; grey bands are flows whose size the sources do not give (drawn at a nominal width). "
               "Hover for the figure and period; click a band or a box to open its page.")
    ui.show(charts.legend())
    svg(charts.sankey_svg(links, labels, kinds), key="sankey")

    st.subheader("Map of sites and routes")
    places = g.places(ends | set(g.chain_sites()))
    points, routes, countries = [], [], set()
    for n in ends | set(g.chain_sites()):
        p = places.get(n, {})
        code = numeric_code(p.get("code")) if p.get("code") else None
        if code and n in ends:
            countries.add(code)
        if p.get("lat") is not None:
            lab = labels.get(n) or g.labels([n])[n]
            points.append({"lat": p["lat"], "lon": p["lon"], "label": lab, "href": ui.entity_href(n),
                           "colour": charts.PALETTE.get(kinds.get(n, "Site"), "#666"),
                           "radius": 7 if n in ends else 4})

    def end(n):
        p = places.get(n, {})
        if p.get("lat") is not None:
            return {"lat": p["lat"], "lon": p["lon"]}
        code = numeric_code(p.get("code") or p.get("country"))
        return {"country": code} if code else None

    seen = set()
    for lk in links:
        a, b = end(lk["source"]), end(lk["target"])
        key = (lk["source"], lk["target"], lk["flow"]["iri"])
        if a and b and a != b and key not in seen:
            seen.add(key)
            f = lk["flow"]
            routes.append({"from": a, "to": b, "label": labels.get(f["iri"], f["iri"]), "href": ui.entity_href(f["iri"]),
                           "note": f"{f['tonnes']:,.6g} t" if f["tonnes"] is not None else "tonnage not stated",
                           "weight": 3 if f["tonnes"] else 2, "colour": "#2f6f8f" if f["tonnes"] is not None else "#9a9a9a"})
    leaflet_map(points, routes, sorted(countries), key="chain_map")
    st.caption("Country outlines: world-atlas (Natural Earth, 1:110m). Routes are straight lines between the stated ends, "
               "not the actual paths; a country end is drawn at the middle of the country.")

    st.subheader("Actors: ownership, control and trade")
    edges = g.actor_network()
    nodes = {e["a"] for e in edges} | {e["b"] for e in edges}
    nlabels = g.labels(nodes | {e["rel"] for e in edges})
    ntypes = g.types_of(nodes)
    svg(charts.network_svg(edges, nlabels, {n: kind_of(ntypes.get(n, [])) for n in nodes},
                           {e["rel"]: nlabels.get(e["rel"]) for e in edges}), key="network")
    st.caption("Solid lines: ownership, operation, membership or group links; dashed lines: a sale from seller to buyer.")

    with st.expander(f"The {len(chosen)} flows in this selection"):
        rows = []
        for f in chosen:
            amount = f"{f['tonnes']:,.6g} t" if f["tonnes"] is not None else (
                f"{f['value']} {g.short(f['unit'])}" if f["value"] is not None else "not stated")
            why = next((s["why"] for s in skipped if s["iri"] == f["iri"]), "")
            rows.append([ui.link(f["iri"], labels.get(f["iri"])), ui.esc(amount),
                         ui.esc(f["year"] or (f"{f['start']}–{f['end']}" if f["start"] else "")),
                         ui.esc(why and f"not drawn: {why}")])
        ui.show(ui.table(["flow", "quantity", "period", "note"], rows))
