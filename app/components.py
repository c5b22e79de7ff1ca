"""Browser-side widgets built on npm packages served from app/static/: a Leaflet map and the YASQE editor.

The JavaScript loads its libraries from this server only (`/app/static/...`); nothing comes from the
internet. Text from the data reaches the page through `textContent`, never as HTML.
"""

from __future__ import annotations

import urllib.parse
from html.parser import HTMLParser

import streamlit as st

STATIC = "/app/static/"

_LOADER = """
const STATIC = "%s";
function once(key, make) { window.__otLoads = window.__otLoads || {}; if (!window.__otLoads[key]) window.__otLoads[key] = make(); return window.__otLoads[key]; }
function loadScript(src) { return once(src, () => new Promise((ok, fail) => { const s = document.createElement("script"); s.src = src; s.onload = ok; s.onerror = () => fail(new Error("cannot load " + src)); document.head.appendChild(s); })); }
function loadCss(href) { return once(href, () => new Promise((ok) => { const l = document.createElement("link"); l.rel = "stylesheet"; l.href = href; l.onload = ok; l.onerror = ok; document.head.appendChild(l); })); }
""" % STATIC

_MAP_JS = _LOADER + r"""
function unwrapRing(ring) {
  // Rings that cross the antimeridian jump by ~360 degrees of longitude; make them continuous
  // (Russia, Fiji reach past 180) and close a ring that goes round a pole (Antarctica) along the pole.
  let jumps = 0;
  for (let i = 1; i < ring.length; i++) if (Math.abs(ring[i][0] - ring[i - 1][0]) > 180) jumps++;
  if (jumps === 0) return ring;
  let pts = ring.slice();
  if (jumps % 2 === 1) {
    let cut = 1;
    while (cut < pts.length && Math.abs(pts[cut][0] - pts[cut - 1][0]) <= 180) cut++;
    pts = pts.slice(cut).concat(pts.slice(1, cut));
  }
  const out = [pts[0].slice()];
  let shift = 0;
  for (let i = 1; i < pts.length; i++) {
    const d = pts[i][0] - pts[i - 1][0];
    if (d > 180) shift -= 360; else if (d < -180) shift += 360;
    out.push([pts[i][0] + shift, pts[i][1]]);
  }
  if (jumps % 2 === 1) {
    const pole = out.reduce((s, p) => s + p[1], 0) < 0 ? -89.9 : 89.9;
    out.push([out[out.length - 1][0], pole], [out[0][0], pole], out[0].slice());
  }
  return out;
}
function cleanShapes(fc) {
  fc.features.forEach(f => {
    const g = f.geometry; if (!g) return;
    if (g.type === "Polygon") g.coordinates = g.coordinates.map(unwrapRing);
    else if (g.type === "MultiPolygon") g.coordinates = g.coordinates.map(poly => poly.map(unwrapRing));
  });
  return fc;
}
function mainCentre(layer) {
  // the centre of the largest polygon, so that overseas territories do not pull the point away
  let best = null, area = -1;
  const visit = (latlngs) => {
    if (!Array.isArray(latlngs) || latlngs.length === 0) return;
    if (latlngs[0] && latlngs[0].lat !== undefined) {
      const b = L.latLngBounds(latlngs); const a = (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest());
      if (a > area) { area = a; best = b.getCenter(); } return;
    }
    latlngs.forEach(visit);
  };
  visit(layer.getLatLngs());
  return best;
}
function reachable(layer, name) {
  // a dot or a route as a link for the keyboard: Tab reaches it, its name is read out, Enter opens its page
  const el = layer.getElement && layer.getElement();
  const item = layer._ot;
  if (!el || !item || !item.href) return;
  el.setAttribute("tabindex", "0"); el.setAttribute("role", "link"); el.setAttribute("aria-label", name || "");
  el.addEventListener("keydown", ev => {
    if (ev.key === "Enter") { ev.preventDefault(); window.location.assign(new URL(item.href, window.location.href).href); }
  });
}
function popupFor(item) {
  const div = document.createElement("div");
  const a = document.createElement("a"); a.href = item.href; a.target = "_self"; a.textContent = item.label; a.className = "ot-map-link";
  div.appendChild(a);
  if (item.note) { const p = document.createElement("div"); p.textContent = item.note; p.style.color = "#555"; div.appendChild(p); }
  return div;
}
function laidOut(el) {
  // resolves once the element has a width (Streamlit may mount the component before layout)
  return new Promise(ok => { const check = () => (el.clientWidth > 0 ? ok() : requestAnimationFrame(check)); check(); });
}
export default async function (component) {
  const { parentElement, data } = component;
  await loadCss(STATIC + "leaflet/leaflet.css");
  await loadScript(STATIC + "leaflet/leaflet.js");
  await loadScript(STATIC + "topojson/topojson-client.min.js");
  let el = parentElement.querySelector(".ot-map");
  if (!el) { el = document.createElement("div"); el.className = "ot-map"; parentElement.appendChild(el); }
  el.removeAttribute("data-ready");
  el.style.height = (data.height || 460) + "px"; el.style.background = "#dfe9f0";
  if (el._observer) { el._observer.disconnect(); el._observer = null; }
  if (el._map) { el._map.remove(); el._map = null; }
  await laidOut(el);
  const map = L.map(el, { attributionControl: false, worldCopyJump: false, minZoom: 1, maxZoom: 12, zoomSnap: 0.25 });
  el._map = map;
  const world = await once("world", () => fetch(STATIC + "world/countries-110m.json").then(r => r.json()));
  const shapes = cleanShapes(topojson.feature(world, world.objects.countries));
  const lit = new Set((data.countries || []).map(String));
  const centres = {};
  const outlines = L.geoJSON(shapes, {
    style: f => ({ color: "#8a96a3", weight: 0.6, fillColor: lit.has(String(f.id)) ? "#bcd6e4" : "#f4f3ee", fillOpacity: 1,
                   className: "ot-country ot-c-" + String(f.id) + (lit.has(String(f.id)) ? " ot-country-lit" : "") }),
    onEachFeature: (f, layer) => { centres[String(f.id)] = mainCentre(layer); },
  });
  const where = (end) => end.lat !== undefined && end.lat !== null ? L.latLng(end.lat, end.lon) : (end.country ? centres[String(end.country)] : null);
  const bounds = [], sites = [], routes = [], points = [];
  (data.routes || []).forEach(r => {
    const a = where(r.from), b = where(r.to);
    if (!a || !b) return;
    const line = L.polyline([a, b], { color: r.colour || "#2f6f8f", weight: r.weight || 2, opacity: 0.8, className: "ot-route" });
    line.bindTooltip(r.label, { sticky: true }); line.bindPopup(popupFor(r));
    line._ot = r; routes.push(line); bounds.push(a, b);
  });
  (data.points || []).forEach(p => {
    const at = where(p); if (!at) return;
    const m = L.circleMarker(at, { radius: p.radius || 6, color: "#fff", weight: 1.5, fillColor: p.colour || "#b5651d", fillOpacity: 0.95, className: "ot-point" });
    m.bindTooltip(p.label); m.bindPopup(popupFor(p));
    m._ot = p; points.push(m); if (p.fit !== false) sites.push(at);
  });
  // open on the sites when there are several (far destination countries stay one zoom-out away)
  const view = data.fitSites && sites.length >= 2 ? sites : bounds.concat(sites);
  const fit = () => {
    map.invalidateSize(false);
    if (view.length) map.fitBounds(L.latLngBounds(view).pad(0.12), { maxZoom: data.maxZoom || 6, animate: false });
    else map.setView([20, 0], 1, { animate: false });
  };
  fit();
  outlines.addTo(map);
  for (let lat = -60; lat <= 80; lat += 20) L.polyline([[lat, -180], [lat, 180]], { color: "#b8c4cc", weight: 0.5, dashArray: "3,4", interactive: false }).addTo(map);
  for (let lon = -180; lon <= 180; lon += 30) L.polyline([[-85, lon], [85, lon]], { color: "#b8c4cc", weight: 0.5, dashArray: "3,4", interactive: false }).addTo(map);
  routes.forEach(l => { l.addTo(map); reachable(l, l._ot.name || l._ot.label); });
  points.forEach(m => { m.addTo(map); reachable(m, m._ot.label); });
  if (points.length || routes.length) {
    const legend = L.control({ position: "bottomleft" });
    legend.onAdd = () => { const d = L.DomUtil.create("div", "ot-map-legend"); d.textContent = data.legend || "";
      d.style.cssText = "background:rgba(255,255,255,0.9);padding:3px 8px;font:12px sans-serif;color:#333;border-radius:4px;white-space:pre-line"; return d; };
    if (data.legend) legend.addTo(map);
  }
  // refit when Streamlit changes the width, until the reader moves the map
  let moved = false;
  ["mousedown", "wheel", "touchstart", "keydown"].forEach(ev => el.addEventListener(ev, () => { moved = true; }, { once: true, passive: true }));
  let width = el.clientWidth;
  el._observer = new ResizeObserver(() => { if (el.clientWidth !== width && el.clientWidth > 0) { width = el.clientWidth; if (moved) map.invalidateSize(false); else fit(); } });
  el._observer.observe(el);
  el.setAttribute("data-ready", "1");
  el.setAttribute("data-points", String(points.length));
  el.setAttribute("data-routes", String(routes.length));
  return () => { if (el._observer) el._observer.disconnect(); if (el._map) { el._map.remove(); el._map = null; } };
}
"""

_EDITOR_JS = _LOADER + r"""
export default async function (component) {
  const { parentElement, data, setStateValue, setTriggerValue } = component;
  await loadCss(STATIC + "yasqe/yasqe.min.css");
  await loadScript(STATIC + "yasqe/yasqe.min.js");
  const Y = (window.Yasqe && window.Yasqe.default) || window.Yasqe;
  let host = parentElement.querySelector(".ot-yasqe");
  if (!host) { host = document.createElement("div"); host.className = "ot-yasqe"; parentElement.appendChild(host); }
  if (!host._yasqe) {
    const y = new Y(host, { value: data.query || "", persistenceId: null, showQueryButton: false, autocompleters: [],
                            resizeable: true, editorHeight: (data.height || 300) + "px", createShareableLink: null,
                            requestConfig: { endpoint: "" } });
    host._yasqe = y; host._seen = data.query || "";
    y.on("blur", () => setStateValue("query", y.getValue()));
    const run = () => { setStateValue("query", y.getValue()); setTriggerValue("run", y.getValue()); };
    y.addKeyMap({ "Ctrl-Enter": run, "Cmd-Enter": run });
    host.setAttribute("data-ready", "1");
  } else if ((data.query || "") !== host._seen) {
    host._seen = data.query || ""; host._yasqe.setValue(host._seen);
  }
}
"""

_SVG_JS = r"""
export default function (component) {
  const { parentElement, data } = component;
  // the markup is built on the server with every text from the data escaped
  parentElement.innerHTML = data.svg;
}
"""

_PNG_JS = r"""
export default function (component) {
  // a button that turns the server's standalone SVG (texts escaped there) into a PNG in the browser:
  // drawn on a canvas at twice its size, then saved; nothing leaves the page
  const { parentElement, data } = component;
  let b = parentElement.querySelector("button.ot-png");
  if (!b) { b = document.createElement("button"); b.type = "button"; b.className = "ot-png"; parentElement.appendChild(b); }
  b.textContent = data.label;
  b.style.cssText = "font:inherit;font-size:0.9rem;padding:4px 12px;border:1px solid rgba(49,51,63,0.2);border-radius:8px;" +
                    "background:#fff;color:inherit;cursor:pointer;margin:2px 0 8px 0";
  b.onclick = async () => {
    const url = URL.createObjectURL(new Blob([data.svg], { type: "image/svg+xml" }));
    try {
      const img = new Image();
      await new Promise((ok, fail) => { img.onload = ok; img.onerror = fail; img.src = url; });
      const c = document.createElement("canvas");
      c.width = img.naturalWidth * 2; c.height = img.naturalHeight * 2;
      const ctx = c.getContext("2d");
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, c.width, c.height); ctx.drawImage(img, 0, 0, c.width, c.height);
      const png = await new Promise(ok => c.toBlob(ok, "image/png"));
      const a = document.createElement("a");
      a.href = URL.createObjectURL(png); a.download = data.name; document.body.appendChild(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    } finally { URL.revokeObjectURL(url); }
  };
}
"""

_svg = st.components.v2.component("oretrace_svg", html="<div></div>", js=_SVG_JS, isolate_styles=False)
_png = st.components.v2.component("oretrace_png", html="<div></div>", js=_PNG_JS, isolate_styles=False)
_map = st.components.v2.component("oretrace_map", html="<div></div>", js=_MAP_JS, isolate_styles=False)
_editor = st.components.v2.component("oretrace_sparql_editor", html="<div></div>", js=_EDITOR_JS, isolate_styles=False)


def leaflet_map(points: list[dict], routes: list[dict], countries: list[str], key: str, height: int = 460,
                legend: str = "", fit_sites: bool = False) -> None:
    """A Leaflet map: country outlines (world-atlas), points and straight routes, each with a link.

    The map opens fitted to the points and routes, or with `fit_sites` to the points alone when
    there are at least two (a point with `"fit": False` is shown but not fitted).
    """
    _map(key=key, data={"points": points, "routes": routes, "countries": countries, "height": height, "legend": legend,
                        "fitSites": fit_sites}, height=height + 10)


def sparql_editor(query: str, key: str, height: int = 300):
    """The YASQE editor; returns its state (`query`, and `run` when Ctrl+Enter was pressed)."""
    return _editor(key=key, data={"query": query, "height": height}, default={"query": query},
                   on_query_change=lambda: None, on_run_change=lambda: None, height=height + 20)


def svg(markup: str, key: str) -> None:
    """Server-built SVG (texts escaped) whose links navigate the page."""
    _svg(key=key, data={"svg": markup})


def png_button(standalone_svg: str, file_name: str, key: str, label: str = "Download this picture (PNG)") -> None:
    """A button that saves a standalone SVG picture (charts.standalone_svg) as a PNG, drawn in the browser."""
    _png(key=key, data={"svg": standalone_svg, "name": file_name, "label": label})


# ------------------------------------------------------------------ taking the evidence away
def csv_bytes(columns: list[str], rows: list[list]) -> bytes:
    """A table as CSV (UTF-8, a header row; numbers written by oretrace.figures.number)."""
    import csv
    import io

    from oretrace.figures import number

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if v is None else number(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
                    for v in r])
    return buf.getvalue().encode("utf-8")


class _CellText(HTMLParser):
    """The text of one table cell of the app's own HTML (ui.table), and the entities its links open."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.iris = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("; ")
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
            iri = (q.get("iri") or [None])[0] if href.startswith("./entity?") else href if href.startswith("http") else None
            if iri and iri not in self.iris:
                self.iris.append(iri)

    def handle_data(self, data):
        self.parts.append(data)


def cell_text(cell: str) -> tuple[str, list[str]]:
    """(text, IRIs of its links) of a cell written by ui.table."""
    p = _CellText()
    p.feed(str(cell))
    p.close()
    return " ".join("".join(p.parts).split()), p.iris


def table_csv(columns: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """A table the page shows as HTML, as CSV columns and rows: each cell's text (the labels, figures,
    sources and locators the reader sees), and beside every column whose cells link to entities a
    column of those entities' IRIs."""
    parsed = [[cell_text(c) for c in r] for r in rows]
    linked = [i for i in range(len(columns)) if any(i < len(r) and r[i][1] for r in parsed)]
    out_cols = []
    for i, c in enumerate(columns):
        head = c or f"column {i + 1}"
        out_cols += [head, f"{head} (IRI)"] if i in linked else [head]
    out_rows = []
    for r in parsed:
        row = []
        for i, (text, iris) in enumerate(r):
            row.append(text)
            if i in linked:
                row.append(" ".join(iris))
        out_rows.append(row)
    return out_cols, out_rows


def table(columns: list[str], rows: list[list[str]], name: str, key: str, wrap: str = "") -> None:
    """An HTML table (ui.table; cells already escaped) with a button that downloads it as <name>.csv
    (table_csv: the texts shown, and the IRIs of what they link to). `wrap` is a CSS class for a box
    around the table."""
    import ui

    body = ui.table(columns, rows)
    ui.show(f'<div class="{wrap}">{body}</div>' if wrap else body)
    if rows:
        download_csv(*table_csv(columns, rows), name, key=key)


def file_slug(g, iri: str) -> str:
    """A download's file name for an entity: its short name with / and : as hyphens."""
    return g.short(iri).replace("/", "-").replace(":", "-")


def download_csv(columns: list[str], rows: list[list], name: str, key: str, label: str = "Download CSV") -> None:
    """A button that downloads the table as <name>.csv."""
    st.download_button(label, csv_bytes(columns, rows), file_name=f"{name}.csv", mime="text/csv", key=key)


def full_url(relative: str) -> str:
    """The full URL of an app link (as written by ui.href) in the reader's browser."""
    import urllib.parse

    here = (st.context.url or "").split("?", 1)[0] or "http://localhost/"
    return urllib.parse.urljoin(here, relative)


def permalink(relative: str, key: str) -> None:
    """The page's full URL with a copy button (the code block's own)."""
    st.caption("Permalink (the copy button is at the right of the address):")
    st.code(full_url(relative), language=None, wrap_lines=True)


def cite_this(g, item: str, key: str, expanded: bool = False) -> None:
    """'Cite this' for a statement or a source: text, BibTeX and CSL-JSON (each with a copy button and a download)."""
    from oretrace import cite

    rec = g.citation(item)
    if rec is None:
        return
    version = g.version
    forms = [("Text", cite.text(rec, version), "txt", "text/plain"), ("BibTeX", cite.bibtex(rec, version), "bib", "application/x-bibtex"),
             ("CSL-JSON", cite.csl_json(rec, version), "json", "application/vnd.citationstyles.csl+json")]
    with st.expander("Cite this", expanded=expanded):
        for tab, (name, body, ext, mime) in zip(st.tabs([f[0] for f in forms]), forms):
            with tab:
                st.code(body, language=None, wrap_lines=True)
                st.download_button(f"Download {name}", body.encode("utf-8"), file_name=f"{file_slug(g, item)}.{ext}", mime=mime,
                                   key=f"{key}_{ext}")
