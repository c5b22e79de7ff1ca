"""Pictures drawn as SVG on the server: the Sankey diagram of flows and the network of actors.

Every node and band is a link to its entity page; every text from the data is escaped.
"""

from __future__ import annotations

import math
from collections import defaultdict

from ui import entity_href, esc

PALETTE = {"Site": "#2f6f8f", "Actor": "#b5651d", "Place": "#5b8c3a", "Material": "#7a4e9c", "Other": "#666"}


def _nested(items: list[str], within: set[tuple[str, str]], outward: bool) -> list[list[str]]:
    """Items as chains of containment: a site stated with its country gives [site, country] (outward)
    or [country, site]; items that do not contain one another stay apart."""
    inner = [i for i in items if not any((j, i) in within for j in items if j != i)]
    chains = []
    for i in inner:
        outer = sorted((j for j in items if (i, j) in within), key=lambda j: -sum((j, k) in within for k in items))
        chain = [i] + outer
        chains.append(chain if outward else chain[::-1])
    return chains


def sankey_links(flows: list[dict], include_unknown: bool = True,
                 within: set[tuple[str, str]] | None = None) -> tuple[list[dict], list[dict]]:
    """(links, skipped): one band per flow leg start -> via... -> end, weighted by tonnes.

    A flow whose parts are in the selection is drawn through its parts; a flow with several
    starts or ends is split equally between them (the note on each band says so), except that an
    end stated together with the place it lies in (Nyrstar Auby and France) is drawn through that
    place. A flow without a stated tonnage gets a nominal width; a stated zero is drawn as a hairline.
    """
    within = within or set()
    drawn_parents = {p for f in flows for p in f["parents"]}
    known = [f["tonnes"] for f in flows if f["tonnes"]]
    nominal = max(known) * 0.04 if known else 1.0
    links, skipped = [], []
    for f in flows:
        if f["iri"] in drawn_parents:
            skipped.append({**f, "why": "drawn through its parts"})
            continue
        starts = f["origin"] or f["seller"]
        ends = f["destination"] or f["receivingSmelter"] or f["buyer"]
        if not starts or not ends:
            skipped.append({**f, "why": "no stated " + ("origin" if not starts else "destination")})
            continue
        if f["tonnes"] is None and not include_unknown:
            skipped.append({**f, "why": "no tonnage stated"})
            continue
        pairs = [(s, e) for s in _nested(starts, within, True) for e in _nested(ends, within, False)
                 if s[0] != e[-1] and not set(s) & set(e)]
        if not pairs:
            skipped.append({**f, "why": "starts and ends at the same place"})
            continue
        weight = (f["tonnes"] if f["tonnes"] is not None else nominal) / len(pairs)
        for s, e in pairs:
            chain = s + [v for v in f["via"] if v not in s + e] + e
            for a, b in zip(chain, chain[1:]):
                links.append({"source": a, "target": b, "weight": max(weight, nominal * 0.25), "flow": f,
                              "split": len(pairs) > 1})
    return links, skipped


def _depths(nodes: set[str], links: list[dict]) -> dict[str, int]:
    depth = {n: 0 for n in nodes}
    for _ in range(len(nodes) + 1):
        changed = False
        for lk in links:
            d = depth[lk["source"]] + 1
            if d > depth[lk["target"]] and d <= len(nodes):
                depth[lk["target"]] = d
                changed = True
        if not changed:
            break
    # pull sources right up to one column before their first target
    for n in nodes:
        outs = [depth[lk["target"]] for lk in links if lk["source"] == n]
        ins = [lk for lk in links if lk["target"] == n]
        if outs and not ins:
            depth[n] = max(0, min(outs) - 1)
    return depth


def sankey_svg(links: list[dict], labels: dict[str, str], kinds: dict[str, str], width: int = 1100) -> str:
    """An SVG Sankey diagram of the links; nodes and bands link to their entity pages."""
    if not links:
        return '<p class="ot-muted">No flow in this selection has both a stated start and end.</p>'
    nodes = {lk["source"] for lk in links} | {lk["target"] for lk in links}
    depth = _depths(nodes, links)
    cols: dict[int, list[str]] = defaultdict(list)
    for n in sorted(nodes, key=lambda x: labels.get(x, x).lower()):
        cols[depth[n]].append(n)
    ncol = max(cols) + 1
    inflow, outflow = defaultdict(float), defaultdict(float)
    for lk in links:
        outflow[lk["source"]] += lk["weight"]
        inflow[lk["target"]] += lk["weight"]
    size = {n: max(inflow[n], outflow[n]) for n in nodes}
    gap, node_w, label_w = 14, 14, 170
    tallest = max(len(c) for c in cols.values())
    height = max(360, min(1400, 60 + tallest * 46))
    scale = min((height - 40 - gap * (len(c) - 1)) / max(sum(size[n] for n in c), 1e-9) for c in cols.values())
    x_step = (width - label_w - node_w - 20) / max(ncol - 1, 1)
    pos = {}
    for d, col in cols.items():
        # order by the mean position of upstream neighbours (one barycentre pass)
        if d > 0:
            def bary(n):
                ys = [pos[lk["source"]][1] for lk in links if lk["target"] == n and lk["source"] in pos]
                return sum(ys) / len(ys) if ys else 1e9
            col.sort(key=bary)
        y = 20
        for n in col:
            h = max(size[n] * scale, 3)
            pos[n] = (10 + d * x_step, y, h)
            y += h + gap
    out_off, in_off = defaultdict(float), defaultdict(float)
    bands, rects = [], []
    for lk in sorted(links, key=lambda k: (pos[k["source"]][1], pos[k["target"]][1])):
        sx, sy, _ = pos[lk["source"]]
        tx, ty, _ = pos[lk["target"]]
        w = max(lk["weight"] * scale, 1.5)
        y0 = sy + out_off[lk["source"]] + w / 2
        y1 = ty + in_off[lk["target"]] + w / 2
        out_off[lk["source"]] += w
        in_off[lk["target"]] += w
        x0, x1 = sx + node_w, tx
        xm = (x0 + x1) / 2
        f = lk["flow"]
        amount = (f"{f['tonnes']:,.6g} t" if f["tonnes"] is not None else "tonnage not stated")
        period = f["year"] or (f"{f['start']}–{f['end']}" if f["start"] else "period not stated")
        note = " (drawn split equally between its ends; the source gives no split)" if lk["split"] else ""
        colour = "#8fb8cc" if f["tonnes"] is not None else "#d0d0d0"
        tip = f"{labels.get(f['iri'], f['iri'])}: {amount}, {period}{note}"
        bands.append(f'<a href="{esc(entity_href(f["iri"]))}" target="_self" class="ot-band">'
                     f'<path d="M{x0:.1f},{y0:.1f} C{xm:.1f},{y0:.1f} {xm:.1f},{y1:.1f} {x1:.1f},{y1:.1f}" '
                     f'fill="none" stroke="{colour}" stroke-opacity="0.6" stroke-width="{w:.1f}">'
                     f'<title>{esc(tip)}</title></path></a>')
    for n, (x, y, h) in pos.items():
        colour = PALETTE.get(kinds.get(n, "Other"), PALETTE["Other"])
        label = labels.get(n, n)
        short = label if len(label) <= 34 else label[:33] + "…"
        anchor_end = depth[n] == ncol - 1 and ncol > 1
        tx = x - 4 if anchor_end else x + node_w + 4
        rects.append(f'<a href="{esc(entity_href(n))}" target="_self" class="ot-node">'
                     f'<rect x="{x:.1f}" y="{y:.1f}" width="{node_w}" height="{h:.1f}" fill="{colour}">'
                     f'<title>{esc(label)}</title></rect>'
                     f'<text x="{tx:.1f}" y="{y + h / 2 + 4:.1f}" font-size="12" '
                     f'text-anchor="{"end" if anchor_end else "start"}" fill="#222">{esc(short)}</text></a>')
    return (f'<svg class="ot-sankey" role="img" aria-label="Sankey diagram of flows" viewBox="0 0 {width} {height}" '
            f'width="100%" style="max-width:{width}px;font-family:sans-serif">{"".join(bands)}{"".join(rects)}</svg>')


def _component_layout(G, width: int) -> tuple[dict, int]:
    """Positions for every node: each connected part laid out on its own, the parts packed in rows
    (largest first), so that small separate groups do not leave the picture mostly empty."""
    import networkx as nx

    parts = sorted((sorted(c) for c in nx.connected_components(G)), key=lambda c: (-len(c), c[0]))
    pos, x, y, row_h = {}, 0.0, 0.0, 0.0
    for nodes in parts:
        n = len(nodes)
        side = 170 + 75 * math.sqrt(n) if n > 2 else 190
        w, h = min(side * 1.5, width - 40), side * (0.85 if n > 2 else 0.45)
        if x + w > width - 20 and x > 0:
            x, y, row_h = 0.0, y + row_h, 0.0
        sub = G.subgraph(nodes)
        layout = nx.spring_layout(sub, seed=7, k=2.2 / math.sqrt(n), iterations=120) if n > 2 else \
            {nodes[0]: (0.0, 0.0), nodes[-1]: (0.0, 1.0)} if n == 2 else {nodes[0]: (0.0, 0.0)}
        xs = [p[0] for p in layout.values()]
        ys = [p[1] for p in layout.values()]
        for node, (px, py) in layout.items():
            fx = (px - min(xs)) / ((max(xs) - min(xs)) or 1)
            fy = (py - min(ys)) / ((max(ys) - min(ys)) or 1)
            pos[node] = (x + 20 + fx * (w - 190), y + 20 + fy * (h - 40))
        x += w
        row_h = max(row_h, h)
    return pos, int(y + row_h + 10)


def network_svg(edges: list[dict], labels: dict[str, str], kinds: dict[str, str], rel_labels: dict[str, str],
                width: int = 1100) -> str:
    """An SVG network of actors and sites: ownership, control and trade links, each clickable."""
    import networkx as nx

    if not edges:
        return '<p class="ot-muted">No ownership or trade links in the graph.</p>'
    G = nx.Graph()
    for e in sorted(edges, key=lambda e: (e["a"], e["rel"], e["b"])):
        G.add_edge(e["a"], e["b"])
    pos, height = _component_layout(G, width)

    lines, dots = [], []
    for e in edges:
        (x0, y0), (x1, y1) = pos[e["a"]], pos[e["b"]]
        rel = rel_labels.get(e["rel"]) or e["rel"].rsplit("#", 1)[-1]
        dash = ' stroke-dasharray="5,4"' if e["rel"].endswith("#seller") else ""
        tip = f"{labels.get(e['a'], e['a'])} — {rel} — {labels.get(e['b'], e['b'])}"
        lines.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="#999" stroke-width="1.6"{dash}>'
                     f'<title>{esc(tip)}</title></line>')
    for n in sorted(G.nodes):
        x, y = pos[n]
        colour = PALETTE.get(kinds.get(n, "Other"), PALETTE["Other"])
        label = labels.get(n, n)
        short = label if len(label) <= 30 else label[:29] + "…"
        dots.append(f'<a href="{esc(entity_href(n))}" target="_self" class="ot-node"><circle cx="{x:.1f}" cy="{y:.1f}" r="7" '
                    f'fill="{colour}"><title>{esc(label)}</title></circle>'
                    f'<text x="{x + 10:.1f}" y="{y + 4:.1f}" font-size="11" fill="#222" '
                    f'style="paint-order:stroke;stroke:#fff;stroke-width:3px">{esc(short)}</text></a>')
    return (f'<svg class="ot-network" role="img" aria-label="Network of actors" viewBox="0 0 {width} {height}" width="100%" '
            f'style="max-width:{width}px;font-family:sans-serif">{"".join(lines)}{"".join(dots)}</svg>')


def legend() -> str:
    items = "".join(f'<span style="display:inline-block;margin-right:12px"><span style="display:inline-block;width:10px;'
                    f'height:10px;background:{c};margin-right:4px"></span>{esc(k.lower())}</span>'
                    for k, c in PALETTE.items())
    return f'<div class="ot-muted" style="font-size:0.8rem">{items}</div>'
