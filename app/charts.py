"""Pictures drawn as SVG on the server: the Sankey diagram of flows, the network of actors, and the map
of sites and routes as a file to take away (the browser map itself is Leaflet: components.leaflet_map).

Every node and band is a link to its entity page; every text from the data is escaped.
"""

from __future__ import annotations

import functools
import json
import math
from collections import defaultdict
from pathlib import Path

from ui import entity_href, esc

PALETTE = {"Site": "#2f6f8f", "Actor": "#b5651d", "Place": "#5b8c3a", "Material": "#7a4e9c", "Other": "#666"}


MATERIAL_COLOURS = ["#4f8fb0", "#c07a2c", "#6a9a3f", "#8e5aa8", "#b0485b", "#3f8f83", "#9a8a2a", "#5b6fb5"]
UNKNOWN, PRODUCT_COLOUR = "#c4c4c4", "#b39ccb"


def _wrap(text: str, width: int = 18) -> list[str]:
    words, lines = text.split(), [""]
    for w in words:
        if lines[-1] and len(lines[-1]) + 1 + len(w) > width:
            lines.append(w)
        else:
            lines[-1] = (lines[-1] + " " + w).strip()
    return lines


def _amount(lk: dict, unit_names: dict[str, str]) -> str:
    f = lk["flow"]
    if lk["amount"] is None:
        return "size not stated"
    unit = lk["scale"][1]
    text = f"{lk['amount']:,.6g} " + ("t" if unit == "t" else unit_names.get(unit, unit))
    return text + (f" (of {f['tonnes']:,.6g} t in all)" if lk["split"] and f.get("tonnes") is not None else "")


def sankey_svg(links: list[dict], stage: dict[str, float], labels: dict[str, str], kinds: dict[str, str],
               unit_names: dict[str, str] | None = None) -> str:
    """An SVG Sankey diagram in fixed stage columns (oretrace.chartdata): every band on the scale of
    its own material and unit, assumed splits hatched, product steps dashed; nodes and bands link to
    their pages. Wider than a phone screen, it scrolls sideways instead of shrinking."""
    from oretrace import chartdata as cd

    unit_names = unit_names or {}
    if not links:
        return '<p class="ot-muted">No flow in this selection has a stated start.</p>'
    lay = cd.layout(links, stage, labels)
    columns, size, px = lay["columns"], lay["size"], lay["px"]
    scales = sorted({lk["scale"] for lk in links if lk["scale"] is not None and lk["amount"] is not None})
    colour = {sc: MATERIAL_COLOURS[i % len(MATERIAL_COLOURS)] for i, sc in enumerate(scales)}
    node_w, gap, step, top = 14, 16, 150, 50
    width = 20 + (len(columns) - 1) * step + node_w + 180
    pos = {}
    for i, (st, col) in enumerate(columns):
        y = top
        for n in col:
            pos[n] = (10 + i * step, y, size[n])
            y += size[n] + gap
    height = int(max(y for (_, y, h) in pos.values() for y in [y + h]) + 20)
    out_off, in_off = defaultdict(float), defaultdict(float)
    bands = []
    order = sorted(range(len(links)), key=lambda i: (pos[links[i]["source"]][1], pos[links[i]["target"]][1]))
    for i in order:
        lk, w = links[i], px[i]
        sx, sy, _ = pos[lk["source"]]
        tx, ty, _ = pos[lk["target"]]
        y0 = sy + out_off[lk["source"]] + w / 2
        y1 = ty + in_off[lk["target"]] + w / 2
        out_off[lk["source"]] += w
        in_off[lk["target"]] += w
        x0, x1 = sx + node_w, tx
        xm = (x0 + x1) / 2
        d = f"M{x0:.1f},{y0:.1f} C{xm:.1f},{y0:.1f} {xm:.1f},{y1:.1f} {x1:.1f},{y1:.1f}"
        if lk["kind"] == "product":
            target = lk["process"]
            verb = "done in" if cd.iri_of(lk["target"]) != lk["target"] else "makes"
            tip = (f"{labels.get(lk['process'], lk['process'])}: {verb} {labels.get(cd.iri_of(lk['target']), '')} "
                   "(no quantity stated)")
            stroke, extra = PRODUCT_COLOUR, ' stroke-dasharray="6,3"'
        else:
            f = lk["flow"]
            target = f["iri"]
            period = f["year"] or (f"{f['start']}–{f['end']}" if f["start"] else "period not stated")
            note = " (split equally between its ends: the source gives no split)" if lk["split"] else ""
            tip = f"{labels.get(f['iri'], f['iri'])}: {_amount(lk, unit_names)}, {period}{note}"
            stroke = colour.get(lk["scale"], UNKNOWN) if lk["amount"] is not None else UNKNOWN
            extra = ""
        hatch = (f'<path class="ot-split" d="{d}" fill="none" stroke="url(#ot-hatch)" stroke-width="{w:.1f}"/>'
                 if lk["split"] else "")
        split_attr = ' data-split="1"' if lk["split"] else ""
        bands.append(f'<a href="{esc(entity_href(target))}" target="_self" class="ot-band" data-kind="{lk["kind"]}"'
                     f'{split_attr}><path d="{d}" fill="none" stroke="{stroke}" '
                     f'stroke-opacity="0.7" stroke-width="{w:.1f}"{extra}><title>{esc(tip)}</title></path>{hatch}</a>')
    heads, rects = [], []
    for i, (st, col) in enumerate(columns):
        lines = _wrap(cd.stage_title(st))
        spans = "".join(f'<tspan x="{10 + i * step:.1f}" dy="{0 if j == 0 else 14}">{esc(t)}</tspan>'
                        for j, t in enumerate(lines[:3]))
        heads.append(f'<text class="ot-stage-title" x="{10 + i * step:.1f}" y="14" font-size="12" font-weight="600" '
                     f'fill="#2f6f8f">{spans}</text>')
    last = len(columns) - 1
    for i, (st, col) in enumerate(columns):
        for n in col:
            x, y, h = pos[n]
            iri = cd.iri_of(n)
            label = cd.PLACEHOLDERS.get(n) or labels.get(iri, iri)
            short = label if len(label) <= 24 else label[:23] + "…"
            anchor_end = i == last and last > 0
            tx = x - 4 if anchor_end else x + node_w + 4
            fill = "#999" if n in cd.PLACEHOLDERS else PALETTE.get(kinds.get(iri, "Other"), PALETTE["Other"])
            body = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{node_w}" height="{h:.1f}" fill="{fill}">'
                    f'<title>{esc(label)} ({esc(cd.stage_title(st))})</title></rect>'
                    f'<text x="{tx:.1f}" y="{y + h / 2 + 4:.1f}" font-size="13" text-anchor="{"end" if anchor_end else "start"}" '
                    f'fill="#222" style="paint-order:stroke;stroke:#fff;stroke-width:3px">{esc(short)}</text>')
            attrs = f'data-iri="{esc(iri)}" data-stage="{st:g}"'
            if n in cd.PLACEHOLDERS:
                rects.append(f'<g class="ot-node ot-unstated" {attrs}>{body}</g>')
            else:
                rects.append(f'<a href="{esc(entity_href(iri))}" target="_self" class="ot-node" {attrs}>{body}</a>')
    defs = ('<defs><pattern id="ot-hatch" patternUnits="userSpaceOnUse" width="7" height="7" '
            'patternTransform="rotate(45)"><rect width="3" height="7" fill="#fff" fill-opacity="0.8"/></pattern></defs>')
    svg = (f'<svg class="ot-sankey" role="img" aria-label="Sankey diagram of the chain, in stage columns" '
           f'viewBox="0 0 {width} {height}" width="100%" style="min-width:{int(width * 0.8)}px;max-width:{width}px;'
           f'font-family:sans-serif">{defs}{"".join(heads)}{"".join(bands)}{"".join(rects)}</svg>')
    return f'<div class="ot-scroll" style="overflow-x:auto;max-width:100%">{svg}</div>'


def scale_legend(links: list[dict], labels: dict[str, str], unit_names: dict[str, str] | None = None) -> str:
    """One line per width scale: the material (and unit) and what its widest band stands for."""
    from oretrace import chartdata as cd

    unit_names = unit_names or {}
    top = cd.widths(links)
    items = []
    for i, sc in enumerate(sorted(top)):
        mats, unit = sc
        if not top[sc]:
            continue  # stated zeros only: hairlines
        name = " + ".join(labels.get(m, m) for m in mats) or "material not stated"
        u = "t" if unit == "t" else unit_names.get(unit, unit)
        items.append(f'<li><span style="display:inline-block;width:22px;height:10px;background:'
                     f'{MATERIAL_COLOURS[i % len(MATERIAL_COLOURS)]};margin-right:6px"></span>{esc(name)}: the widest band is '
                     f'{top[sc]:,.6g} {esc(u)}</li>')
    items.append(f'<li><span style="display:inline-block;width:22px;height:10px;background:{UNKNOWN};margin-right:6px">'
                 '</span>size not stated (nominal width)</li>')
    items.append('<li><span style="display:inline-block;width:22px;height:10px;background:repeating-linear-gradient('
                 '45deg,#4f8fb0 0 3px,#fff 3px 6px);margin-right:6px"></span>hatched: split equally between several '
                 'ends (an assumption; the source gives no split)</li>')
    items.append(f'<li><span style="display:inline-block;width:22px;height:0;border-top:3px dashed {PRODUCT_COLOUR};'
                 'margin-right:6px;vertical-align:middle"></span>dashed: a product made from the metal, and where it '
                 'is made (no quantity stated)</li>')
    return ('<div class="ot-muted" style="font-size:0.8rem">Each material has its own width scale; widths compare '
            f'only within one material.<ul style="margin:2px 0 0 0;padding-left:18px;font-size:0.8rem">{"".join(items)}</ul></div>')


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


def standalone_svg(markup: str, title: str, version: str, date: str, sources: list[str], note: str = "") -> str:
    """A picture of this module as a file to take away: the SVG on its own (no scrolling box), with the
    title, the build and the date above it and the documents it is drawn from below it, printed on
    the image itself so that a copy keeps its evidence."""
    import re

    start, end = markup.find("<svg"), markup.rfind("</svg>")
    if start < 0 or end < 0:
        raise ValueError("no SVG picture to export")
    head_end = markup.index(">", start) + 1
    box = re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', markup[start:head_end])
    if not box:
        raise ValueError("the picture has no viewBox")
    w, h = float(box.group(1)), float(box.group(2))
    w = max(w, 640.0)
    lines_below = ([f"Sources: {s}" for s in sources] or ["Sources: none stated for the items drawn"]) + (
        [note] if note else [])
    top, line_h = 58, 16
    total = top + h + 14 + line_h * len(lines_below) + 8
    texts_below = "".join(f'<text x="12" y="{top + h + 14 + line_h * (i + 1):.0f}" font-size="12" fill="#333">{esc(t)}</text>'
                          for i, t in enumerate(lines_below))
    inner = markup[head_end:end]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{total:.0f}" viewBox="0 0 {w:.0f} {total:.0f}" '
            f'font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>'
            f'<text x="12" y="24" font-size="17" font-weight="bold" fill="#111">{esc(title)}</text>'
            f'<text x="12" y="44" font-size="12" fill="#444">oretrace build {esc(version)} · drawn {esc(date)}</text>'
            f'<svg x="0" y="{top}" width="{float(box.group(1)):.0f}" height="{h:.0f}" '
            f'viewBox="0 0 {box.group(1)} {box.group(2)}">{inner}</svg>{texts_below}</svg>')


# ------------------------------------------------------------------ the map as a picture to take away
def _unwrap(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A ring that crosses the 180th meridian made continuous (as the browser map does: app/components.py)."""
    jumps = sum(1 for a, b in zip(ring, ring[1:]) if abs(b[0] - a[0]) > 180)
    if not jumps:
        return ring
    pts = list(ring)
    if jumps % 2:
        cut = 1
        while cut < len(pts) and abs(pts[cut][0] - pts[cut - 1][0]) <= 180:
            cut += 1
        pts = pts[cut:] + pts[1:cut]
    out, shift = [pts[0]], 0.0
    for a, b in zip(pts, pts[1:]):
        d = b[0] - a[0]
        shift += -360 if d > 180 else 360 if d < -180 else 0
        out.append((b[0] + shift, b[1]))
    if jumps % 2:
        pole = -89.9 if sum(p[1] for p in out) < 0 else 89.9
        out += [(out[-1][0], pole), (out[0][0], pole), out[0]]
    return out


@functools.lru_cache(maxsize=2)
def world(path: str) -> dict[str, list[list[list[tuple[float, float]]]]]:
    """Country id (ISO 3166 numeric, as world-atlas names them) -> polygons -> rings of (lon, lat)."""
    topo = json.loads(Path(path).read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)

    def ring(ids):
        pts: list[tuple[float, float]] = []
        for i in ids:
            a = arcs[i] if i >= 0 else arcs[~i][::-1]
            pts.extend(a if not pts else a[1:])
        return _unwrap(pts)

    out = {}
    for geo in topo["objects"]["countries"]["geometries"]:
        polys = [geo["arcs"]] if geo.get("type") == "Polygon" else geo.get("arcs", []) if geo.get("type") == "MultiPolygon" else []
        out[str(geo.get("id"))] = [[ring(r) for r in poly] for poly in polys]
    return out


def _centre(polygons) -> tuple[float, float] | None:
    """The middle of a country's largest ring's box (the browser map's rule), as (lon, lat)."""
    best, area = None, -1.0
    for poly in polygons:
        for r in poly:
            xs, ys = [p[0] for p in r], [p[1] for p in r]
            a = (max(xs) - min(xs)) * (max(ys) - min(ys))
            if a > area:
                best, area = ((max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2), a
    return best


def map_svg(points: list[dict], routes: list[dict], countries: list[str], world_path: str, width: int = 900,
            fit_sites: bool = False) -> str:
    """The map of the Supply chain page as an SVG picture (equirectangular): the same country outlines,
    shaded countries, dots and straight routes as the browser map, framed as it opens (on the sites
    when there are several and `fit_sites`), each dot labelled."""
    shapes = world(world_path)
    centres = {c: _centre(p) for c, p in shapes.items()}

    def where(end):
        if end.get("lat") is not None:
            return float(end["lon"]), float(end["lat"])
        return centres.get(str(end.get("country"))) if end.get("country") else None

    drawn_routes = [(r, where(r["from"]), where(r["to"])) for r in routes]
    drawn_routes = [(r, a, b) for r, a, b in drawn_routes if a and b]
    drawn_points = [(p, where(p)) for p in points]
    drawn_points = [(p, at) for p, at in drawn_points if at]
    sites = [at for p, at in drawn_points if p.get("fit", True) is not False]
    view = sites if fit_sites and len(sites) >= 2 else [x for _, a, b in drawn_routes for x in (a, b)] + sites
    if not view:
        view = [(-180.0, -60.0), (180.0, 80.0)]
    lo_x, hi_x = min(p[0] for p in view), max(p[0] for p in view)
    lo_y, hi_y = min(p[1] for p in view), max(p[1] for p in view)
    pad_x, pad_y = max((hi_x - lo_x) * 0.12, 2.0), max((hi_y - lo_y) * 0.12, 2.0)
    lo_x, hi_x, lo_y, hi_y = lo_x - pad_x, hi_x + pad_x, lo_y - pad_y, hi_y + pad_y
    k = width / (hi_x - lo_x)
    height = max(200, min(900, int((hi_y - lo_y) * k)))
    k = min(k, height / (hi_y - lo_y))

    def xy(p):
        return (p[0] - lo_x) * k, (hi_y - p[1]) * k

    lit = {str(c) for c in countries}
    outlines = []
    for cid, polys in sorted(shapes.items()):
        d = "".join("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in map(xy, r)) + "Z" for poly in polys for r in poly)
        if d:
            outlines.append(f'<path class="ot-country" data-country="{esc(cid)}" d="{d}" fill="{"#bcd6e4" if cid in lit else "#f4f3ee"}" '
                            f'stroke="#8a96a3" stroke-width="0.6" fill-rule="evenodd"/>')
    lines = []
    for r, a, b in drawn_routes:
        (x0, y0), (x1, y1) = xy(a), xy(b)
        lines.append(f'<line class="ot-route" x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" '
                     f'stroke="{esc(r.get("colour") or "#2f6f8f")}" stroke-width="{r.get("weight") or 2}" stroke-opacity="0.8">'
                     f'<title>{esc(r.get("name") or r.get("label") or "")}</title></line>')
    dots, placed = [], []
    for p, at in sorted(drawn_points, key=lambda pa: (xy(pa[1])[1], xy(pa[1])[0])):
        x, y = xy(at)
        ring = p.get("approx")
        label = p.get("label") or ""
        # a label that would cover another goes a line lower, with a thin line back to its dot
        lx, ly, w = x + 9, y + 4, 6.2 * len(label) + 4
        while any(lx < bx + bw and bx < lx + w and abs(ly - by) < 12 for bx, by, bw in placed):
            ly += 13
        placed.append((lx, ly, w))
        leader = (f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{lx - 2:.1f}" y2="{ly - 4:.1f}" stroke="#666" stroke-width="0.6"/>'
                  if ly != y + 4 else "")
        dots.append(f'<g class="ot-point">{leader}<circle cx="{x:.1f}" cy="{y:.1f}" r="{p.get("radius") or 6}" '
                    f'fill="{"none" if ring else esc(p.get("colour") or "#b5651d")}" stroke="{esc(p.get("colour") or "#b5651d") if ring else "#fff"}" '
                    f'stroke-width="{2 if ring else 1.5}"/><text x="{lx:.1f}" y="{ly:.1f}" font-size="11" fill="#222" '
                    f'style="paint-order:stroke;stroke:#fff;stroke-width:3px">{esc(label)}</text></g>')
    return (f'<svg class="ot-map-picture" role="img" aria-label="Map of the sites and routes of the chain" '
            f'viewBox="0 0 {width} {height}" width="100%" style="font-family:sans-serif">'
            f'<rect width="{width}" height="{height}" fill="#dfe9f0"/>{"".join(outlines)}{"".join(lines)}{"".join(dots)}</svg>')
