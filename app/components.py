"""Browser-side widgets built on npm packages served from app/static/: a Leaflet map and the YASQE editor.

The JavaScript loads its libraries from this server only (`/app/static/...`); nothing comes from the
internet. Text from the data reaches the page through `textContent`, never as HTML.
"""

from __future__ import annotations

import streamlit as st

STATIC = "/app/static/"

_LOADER = """
const STATIC = "%s";
function once(key, make) { window.__otLoads = window.__otLoads || {}; if (!window.__otLoads[key]) window.__otLoads[key] = make(); return window.__otLoads[key]; }
function loadScript(src) { return once(src, () => new Promise((ok, fail) => { const s = document.createElement("script"); s.src = src; s.onload = ok; s.onerror = () => fail(new Error("cannot load " + src)); document.head.appendChild(s); })); }
function loadCss(href) { return once(href, () => new Promise((ok) => { const l = document.createElement("link"); l.rel = "stylesheet"; l.href = href; l.onload = ok; l.onerror = ok; document.head.appendChild(l); })); }
""" % STATIC

_MAP_JS = _LOADER + r"""
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
function popupFor(item) {
  const div = document.createElement("div");
  const a = document.createElement("a"); a.href = item.href; a.target = "_self"; a.textContent = item.label; a.className = "ot-map-link";
  div.appendChild(a);
  if (item.note) { const p = document.createElement("div"); p.textContent = item.note; p.style.color = "#555"; div.appendChild(p); }
  return div;
}
export default async function (component) {
  const { parentElement, data } = component;
  await loadCss(STATIC + "leaflet/leaflet.css");
  await loadScript(STATIC + "leaflet/leaflet.js");
  await loadScript(STATIC + "topojson/topojson-client.min.js");
  let el = parentElement.querySelector(".ot-map");
  if (!el) { el = document.createElement("div"); el.className = "ot-map"; parentElement.appendChild(el); }
  el.style.height = (data.height || 460) + "px"; el.style.background = "#dfe9f0";
  if (el._map) { el._map.remove(); el._map = null; }
  const map = L.map(el, { attributionControl: false, worldCopyJump: false, minZoom: 1, maxZoom: 12 });
  el._map = map;
  map.setView([20, 0], 1);
  const world = await once("world", () => fetch(STATIC + "world/countries-110m.json").then(r => r.json()));
  const shapes = topojson.feature(world, world.objects.countries);
  const lit = new Set((data.countries || []).map(String));
  const centres = {};
  L.geoJSON(shapes, {
    style: f => ({ color: "#8a96a3", weight: 0.6, fillColor: lit.has(String(f.id)) ? "#bcd6e4" : "#f4f3ee", fillOpacity: 1 }),
    onEachFeature: (f, layer) => { centres[String(f.id)] = mainCentre(layer); },
  }).addTo(map);
  for (let lat = -60; lat <= 80; lat += 20) L.polyline([[lat, -180], [lat, 180]], { color: "#b8c4cc", weight: 0.5, dashArray: "3,4", interactive: false }).addTo(map);
  for (let lon = -180; lon <= 180; lon += 30) L.polyline([[-85, lon], [85, lon]], { color: "#b8c4cc", weight: 0.5, dashArray: "3,4", interactive: false }).addTo(map);
  const where = (end) => end.lat !== undefined && end.lat !== null ? L.latLng(end.lat, end.lon) : (end.country ? centres[String(end.country)] : null);
  const bounds = [];
  (data.routes || []).forEach(r => {
    const a = where(r.from), b = where(r.to);
    if (!a || !b) return;
    const line = L.polyline([a, b], { color: r.colour || "#2f6f8f", weight: r.weight || 2, opacity: 0.75, className: "ot-route" });
    line.bindTooltip(r.label, { sticky: true }); line.bindPopup(popupFor(r)); line.addTo(map);
    bounds.push(a, b);
  });
  (data.points || []).forEach(p => {
    const at = where(p); if (!at) return;
    const m = L.circleMarker(at, { radius: p.radius || 6, color: "#fff", weight: 1, fillColor: p.colour || "#b5651d", fillOpacity: 0.95, className: "ot-point" });
    m.bindTooltip(p.label); m.bindPopup(popupFor(p)); m.addTo(map);
    bounds.push(at);
  });
  if (bounds.length) map.fitBounds(L.latLngBounds(bounds).pad(0.15)); else map.setView([20, 0], 1);
  el.setAttribute("data-ready", "1");
  return () => { if (el._map) { el._map.remove(); el._map = null; } };
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

_svg = st.components.v2.component("oretrace_svg", html="<div></div>", js=_SVG_JS, isolate_styles=False)
_map = st.components.v2.component("oretrace_map", html="<div></div>", js=_MAP_JS, isolate_styles=False)
_editor = st.components.v2.component("oretrace_sparql_editor", html="<div></div>", js=_EDITOR_JS, isolate_styles=False)


def leaflet_map(points: list[dict], routes: list[dict], countries: list[str], key: str, height: int = 460) -> None:
    """A Leaflet map: country outlines (world-atlas), points and straight routes, each with a link."""
    _map(key=key, data={"points": points, "routes": routes, "countries": countries, "height": height}, height=height + 10)


def sparql_editor(query: str, key: str, height: int = 300):
    """The YASQE editor; returns its state (`query`, and `run` when Ctrl+Enter was pressed)."""
    return _editor(key=key, data={"query": query, "height": height}, default={"query": query},
                   on_query_change=lambda: None, on_run_change=lambda: None, height=height + 20)


def svg(markup: str, key: str) -> None:
    """Server-built SVG (texts escaped) whose links navigate the page."""
    _svg(key=key, data={"svg": markup})
