"""Rows -> the supply-chain pictures: the Sankey's bands in fixed stage columns, the product links,
one width scale per material and unit, and the map's points. Plain Python, no Streamlit.

The stage of a node comes from the graph: the ontology classes of the actor or site (read through
queries/app-types.rq) and, for a place, its role in the flow (where a raw material starts or
arrives, where a processed one starts or arrives). Ports are export or import ports by their
order along the flows: a port after another port is an import port. Nothing here names an entity.
"""

from __future__ import annotations

from collections import defaultdict

from .vocab import OT

# The stage columns, left to right.
STAGES = ["mine or region", "local trader", "border crossing", "export port", "import port, country or buyer",
          "smelter or refiner", "product", "consumer country"]
ORIGIN, TRADER, BORDER, EXPORT, IMPORT, SMELTER, PRODUCT, CONSUMER = range(len(STAGES))

# Ontology classes -> the stages a node of that class may take (the lowest that keeps the flows
# running left to right is chosen). The first row a node's classes match wins.
CLASS_STAGES = [
    (("Mine", "ConcentrationPlant", "MiningCooperative", "MiningCompany", "StateMiningCompany"), (ORIGIN,)),
    (("LocalTrader",), (TRADER,)),
    (("CommodityTrader",), (TRADER, IMPORT)),
    (("BorderPost",), (BORDER,)),
    (("Port", "PortTerminal", "PortTerminalOperator"), (EXPORT, IMPORT)),
    (("MetallurgicalPlant", "SmelterOrRefiner", "SmelterRefinerCompany"), (SMELTER,)),
]
OTHER_ACTOR = (TRADER, IMPORT, SMELTER, CONSUMER)  # an actor or site of no class above
# A place's stages by what the flow carries: raw (ore, concentrate, ...) or processed material.
PLACE_STAGES = {"raw": (ORIGIN, IMPORT), "processed": (SMELTER, CONSUMER)}
PROCESSED = {OT + c for c in ("RefinedMetal", "Compound", "Component", "EndProduct", "IntermediateProduct",
                              "ByProduct", "Waste")}
UNSTATED = "unstated:destination"  # the end of a flow whose destination no source states
UNSTATED_ORIGIN = "unstated:origin"  # the start of a flow whose origin no source states
PLACEHOLDERS = {UNSTATED: "destination not stated", UNSTATED_ORIGIN: "origin not stated"}
NOMINAL_PX, MAX_PX, ZERO_PX = 5.0, 42.0, 1.0


def _has(types: list[str], names) -> bool:
    return any(OT + n in types for n in names)


def is_place(types: list[str]) -> bool:
    return OT + "Place" in types and not _has(types, ("Site",))


def candidates(types: list[str]) -> tuple:
    for names, stages in CLASS_STAGES:
        if _has(types, names):
            return stages
    return OTHER_ACTOR


def node_key(iri: str, types: dict[str, list[str]], group: str) -> str:
    """A place is one node per kind of material (Belgium receiving concentrate is not Belgium buying
    refined metal); any other entity is one node."""
    return f"{iri}|{group}" if is_place(types.get(iri, [])) else iri


def iri_of(key: str) -> str:
    return key.rsplit("|", 1)[0] if key.endswith(("|raw", "|processed")) else key


def material_group(flow: dict, types: dict[str, list[str]]) -> str:
    return "processed" if any(set(types.get(m, [])) & PROCESSED for m in flow.get("materials", [])) else "raw"


def _innermost(items: list[str], within: set[tuple[str, str]]) -> list[str]:
    """The items that contain none of the others (a site stated with its country: the site)."""
    return [i for i in items if not any((j, i) in within for j in items if j != i)]


def _outward_in(items: list[str], within: set[tuple[str, str]]) -> list[list[str]]:
    """Ends stated together with the places they lie in, as chains from the outermost place inwards."""
    chains = []
    for i in _innermost(items, within):
        outer = sorted((j for j in items if (i, j) in within), key=lambda j: -sum((j, k) in within for k in items))
        chains.append(outer + [i])
    return chains


def scale_key(flow: dict) -> tuple:
    """What one width scale covers: one material (or set of materials) in one unit."""
    unit = "t" if flow.get("tonnes") is not None else flow.get("unit")
    return (tuple(sorted(flow.get("materials") or [])), unit)


def amount(flow: dict):
    """The flow's size in its scale's unit, or None when no size is stated."""
    if flow.get("tonnes") is not None:
        return float(flow["tonnes"])
    v = flow.get("value")
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and flow.get("unit") else None


def flow_bands(flows: list[dict], types: dict[str, list[str]], within: set[tuple[str, str]] | None = None,
               include_unknown: bool = True) -> tuple[list[dict], list[dict]]:
    """(links, skipped): each drawn flow as links start -> via... -> end between node keys.

    A flow whose parts are in the selection is drawn through its parts. Of the starts, a place that
    contains another start is left out (the site says more); a flow with neither origin nor seller
    starts at "origin not stated". Ends run from the place inwards, then
    to the receiving smelter; a flow with no destination, receiving smelter or buyer ends at
    "destination not stated". A flow with several starts or ends is split equally between them:
    the source gives no split, so those links are marked `split` (drawn hatched).
    """
    within = within or set()
    drawn_parents = {p for f in flows for p in f["parents"]}
    links, skipped = [], []
    for f in flows:
        if f["iri"] in drawn_parents:
            skipped.append({**f, "why": "drawn through its parts"})
            continue
        size = amount(f)
        if size is None and not include_unknown:
            skipped.append({**f, "why": "no tonnage stated"})
            continue
        starts = _innermost(f["origin"] or f["seller"], within) or [UNSTATED_ORIGIN]
        group = material_group(f, types)
        if f["destination"]:
            ends = _outward_in(f["destination"], within)
            for e in ends:
                e += [s for s in f["receivingSmelter"] if s not in e]
        elif f["receivingSmelter"] or f["buyer"]:
            ends = [[e] for e in f["receivingSmelter"] or f["buyer"]]
        else:
            ends = [[UNSTATED]]
        pairs = [(s, e) for s in starts for e in ends if s not in e]
        if not pairs:
            skipped.append({**f, "why": "starts and ends at the same place"})
            continue
        share = size / len(pairs) if size is not None else None
        for s, e in pairs:
            chain = [s] + [v for v in f["via"] if v != s and v not in e] + e
            keys = [node_key(x, types, group) for x in chain]
            for i, (a, b) in enumerate(zip(keys, keys[1:])):
                links.append({"source": a, "target": b, "amount": share, "flow": f, "split": len(pairs) > 1,
                              "kind": "flow", "scale": scale_key(f), "group": group,
                              "roles": ("start" if i == 0 else "via", "end" if i == len(keys) - 2 else "via")})
    return links, skipped


def product_links(rows: list[dict], smelters: set[str], types: dict[str, list[str]],
                  within: set[tuple[str, str]], element: str | None = None) -> list[dict]:
    """Links smelter -> product -> country where it is made, from queries/app-chain-products.rq rows.

    A product is an output of the last process of a chain that starts at the smelter (no process
    follows it) and, when an element is chosen, one that contains it (or is it). The sources give no
    quantity for these steps: the links have no amount and are drawn at the nominal width.
    """
    last = defaultdict(set)
    for r in rows:
        if r["site"] in smelters:
            last[(r["site"], r["process"], r["product"])].add(r["next"])
    contains = defaultdict(set)
    for r in rows:
        if r.get("element"):
            contains[r["product"]].add(r["element"])
    places = defaultdict(set)
    for r in rows:
        if r.get("place"):
            places[r["process"]].add(r["place"])
    links, seen = [], set()
    for (site, process, product), nexts in sorted(last.items()):
        if nexts != {None}:
            continue
        if element and product != element and element not in contains[product]:
            continue
        if (site, product) not in seen:
            seen.add((site, product))
            links.append({"source": site, "target": product, "amount": None, "flow": None, "process": process,
                          "split": False, "kind": "product", "scale": None, "group": "processed", "roles": ("via", "end")})
        for p in sorted(places[process]):
            country = p if OT + "Country" in types.get(p, []) else next(
                (o for (i, o) in sorted(within) if i == p and OT + "Country" in types.get(o, [])), None)
            if country and (product, country) not in seen:
                seen.add((product, country))
                links.append({"source": product, "target": node_key(country, types, "processed"), "amount": None,
                              "flow": None, "process": process, "split": False, "kind": "product", "scale": None,
                              "group": "processed", "roles": ("via", "end")})
    return links


def stages(links: list[dict], types: dict[str, list[str]], within: set[tuple[str, str]] | None = None) -> dict[str, float]:
    """The stage column of every node: the lowest of its candidates that keeps each link running left
    to right (a node with no candidate left goes half a column after its upstream neighbour)."""
    within = within or set()
    cand: dict[str, tuple] = {}
    for lk in links:
        for key, role in ((lk["source"], lk["roles"][0]), (lk["target"], lk["roles"][1])):
            t = types.get(iri_of(key), [])
            if key in PLACEHOLDERS:
                c = (CONSUMER,) if key == UNSTATED else (ORIGIN,)
            elif OT + "Material" in t:
                c = (PRODUCT,)
            elif is_place(t):
                c = PLACE_STAGES[key.rsplit("|", 1)[-1] if key.endswith("|processed") else "raw"]
                if role == "end":  # where a material arrives is the later of its place's stages
                    c = c[1:]
            else:
                c = candidates(t)
            both = tuple(x for x in cand.get(key, c) if x in c)
            cand[key] = both or cand.get(key, c)
    stage = {k: float(c[0]) for k, c in cand.items()}
    sites = {lk[e] for lk in links for e in ("source", "target")}
    parts = [(i, o) for (i, o) in within if i in sites and o in sites]
    for _ in range(4 * len(stage) + 4):
        changed = False
        for lk in links:
            a, b = lk["source"], lk["target"]
            if stage[b] <= stage[a]:
                higher = [c for c in cand[b] if c > stage[a]]
                new = float(higher[0]) if higher else stage[a] + 0.5
                if new != stage[b] and new < len(STAGES) + 2:
                    stage[b], changed = new, True
        for inner, outer in parts:  # a terminal is at the stage of the port it is part of (or later)
            if stage[inner] < stage[outer] and any(c >= stage[outer] for c in cand[inner]):
                stage[inner], changed = float(next(c for c in cand[inner] if c >= stage[outer])), True
        if not changed:
            break
    return stage


def widths(links: list[dict]) -> dict[tuple, float]:
    """The largest amount of each scale (material and unit): its widest band is MAX_PX wide."""
    top: dict[tuple, float] = {}
    for lk in links:
        if lk["amount"] is not None and lk["scale"] is not None:
            top[lk["scale"]] = max(top.get(lk["scale"], 0.0), lk["amount"])
    return top


def band_px(lk: dict, top: dict[tuple, float]) -> float:
    """A band's width in pixels on its own material's scale; nominal when no size is stated."""
    if lk["amount"] is None:
        return NOMINAL_PX
    if lk["amount"] == 0:
        return ZERO_PX
    t = top.get(lk["scale"]) or lk["amount"]
    return max(MAX_PX * lk["amount"] / t, 2.0)


def layout(links: list[dict], stage: dict[str, float], labels: dict[str, str]) -> dict:
    """Columns of nodes in stage order, each column ordered by the mean height of its upstream
    neighbours; returns {"columns": [(stage, [keys])], "size": {key: px}, "px": [px per link]}."""
    top = widths(links)
    px = [band_px(lk, top) for lk in links]
    inflow, outflow = defaultdict(float), defaultdict(float)
    for lk, w in zip(links, px):
        outflow[lk["source"]] += w
        inflow[lk["target"]] += w
    nodes = set(stage)
    size = {n: max(inflow[n], outflow[n], 4.0) for n in nodes}
    cols: dict[float, list[str]] = defaultdict(list)
    for n in sorted(nodes, key=lambda k: (labels.get(iri_of(k), k).lower(), k)):
        cols[stage[n]].append(n)
    order: dict[str, float] = {}
    columns = []
    for s in sorted(cols):
        col = cols[s]

        def bary(n):
            ys = [order[lk["source"]] for lk in links if lk["target"] == n and lk["source"] in order]
            return sum(ys) / len(ys) if ys else 1e9

        col.sort(key=bary)
        y = 0.0
        for n in col:
            order[n] = y + size[n] / 2
            y += size[n] + 1
        columns.append((s, col))
    return {"columns": columns, "size": size, "px": px, "top": top}


def stage_title(s: float) -> str:
    base = STAGES[min(int(s), len(STAGES) - 1)]
    return base if s == int(s) else f"{base}, next step"


def map_points(keys, places: dict[str, dict], labels: dict[str, str], types: dict[str, list[str]]) -> list[dict]:
    """One point per site, town or region of the chain: at its own coordinates (or its town's), or,
    when the graph holds none, at the middle of its country, marked as such. Countries are shaded
    on the map, not dotted; products and the unstated end have no place."""
    out, seen = [], set()
    for key in sorted(keys):
        iri = iri_of(key)
        t = types.get(iri, [])
        if iri in seen or key in PLACEHOLDERS or OT + "Material" in t or OT + "Country" in t:
            continue
        seen.add(iri)
        p = places.get(iri, {})
        label = labels.get(iri, iri)
        if p.get("lat") is not None:
            out.append({"iri": iri, "lat": p["lat"], "lon": p["lon"], "label": label, "approx": False})
        elif p.get("country") or p.get("code"):
            code = p.get("country") or p.get("code")
            out.append({"iri": iri, "alpha2": code.split("-")[0], "label": label, "approx": True})
    return out


def chain(g, flows: list[dict], element: str | None = None, include_unknown: bool = True) -> dict:
    """The selection's chain read from the graph `g` (an appdata.Graph): the flow bands, the product
    links of its smelters and refiners (queries/app-chain-products.rq), every node's stage, and the
    types and nesting the stages were read from."""
    ends = {x for f in flows for k in ("origin", "via", "destination", "seller", "buyer", "receivingSmelter") for x in f[k]}
    types = g.types_of(ends | {m for f in flows for m in f["materials"]})
    within = g.within(ends)
    links, skipped = flow_bands(flows, types, within, include_unknown)
    first = stages(links, types, within)
    smelters = sorted(k for k, s in first.items() if s == SMELTER and OT + "Site" in types.get(k, []))
    rows = g.named("app-chain-products", site=smelters) if smelters else []
    if rows:
        types.update(g.types_of({r["product"] for r in rows} | {r["place"] for r in rows if r["place"]}))
        within |= g.within({r["place"] for r in rows if r["place"]})
        links += product_links(rows, set(smelters), types, within, element)
    return {"links": links, "skipped": skipped, "stage": stages(links, types, within), "types": types, "within": within}
