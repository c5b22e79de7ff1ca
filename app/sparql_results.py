"""A SPARQL result shown to a reader: which columns can be a chart's labels and values (a year never is a
value), a bar chart as server-built SVG, map points from coordinates or from the places the graph knows,
graph edges, and a CSV with a label column beside every column of IRIs."""

from __future__ import annotations

import re

import pyoxigraph as ox

from oretrace.appdata import iris_in, is_iri
from oretrace.figures import number
from ui import entity_href, esc

XSD = "http://www.w3.org/2001/XMLSchema#"
TIME_TYPES = {XSD + t for t in ("gYear", "gYearMonth", "date", "dateTime")}
TIME_NAME = re.compile(r"year|period|date|^(start|end|from|until)$", re.I)
MAX_BARS = 60


def is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_time(name: str, terms: list) -> bool:
    """A year, date or period column (by its name or by the datatype of its values): never a chart's value."""
    if TIME_NAME.search(name):
        return True
    return any(isinstance(t, ox.Literal) and t.datatype is not None and t.datatype.value in TIME_TYPES for t in terms)


def column_kinds(columns: list[str], rows: list[list], raw: list[list]) -> dict[str, list[int]]:
    """Indexes of the columns by what a chart can do with them: `value` (numbers, not years), `time`
    (years, dates), `iri` (entities) and `label` (every column that is not a plain number)."""
    out = {"value": [], "time": [], "iri": [], "label": []}
    for i, c in enumerate(columns):
        vals = [r[i] for r in rows if r[i] is not None]
        terms = [r[i] for r in raw]
        numeric = bool(vals) and all(is_number(v) for v in vals)
        time = is_time(c, terms)
        if time:
            out["time"].append(i)
        if numeric and not time:
            out["value"].append(i)
        if not numeric or time:
            out["label"].append(i)
        if vals and any(isinstance(v, str) and is_iri(v) for v in vals):
            out["iri"].append(i)
    return out


def default_label(columns: list[str], kinds: dict[str, list[int]]) -> int | None:
    """A label column: one whose name says label or name, else the first entity column, else the first text."""
    named = [i for i in kinds["label"] if re.search(r"label|name|title", columns[i], re.I)]
    iri = [i for i in kinds["label"] if i in kinds["iri"]]
    rest = [i for i in kinds["label"] if i not in kinds["time"]]
    for group in (named, iri, rest, kinds["label"]):
        if group:
            return group[0]
    return None


def default_value(columns: list[str], kinds: dict[str, list[int]]) -> int | None:
    named = [i for i in kinds["value"] if re.search(r"value|quantity|amount|tonnes|count|total|^n$", columns[i], re.I)]
    return (named or kinds["value"] or [None])[0]


def bars(columns: list[str], rows: list[list], labels: dict[str, str], li: int, vi: int, kinds) -> list[dict]:
    """One bar per row with a number (never summed): its label, made distinct by the row's year or its
    position when two rows share one."""
    out = []
    for r in rows:
        v = r[vi]
        if not is_number(v):
            continue
        lab = r[li]
        text = labels.get(lab, str(lab)) if lab is not None else "(none)"
        out.append({"label": text, "value": v, "href": entity_href(lab) if isinstance(lab, str) and is_iri(lab) else None,
                    "time": next((str(r[t]) for t in kinds["time"] if t != li and r[t] is not None), None)})
    seen: dict[str, int] = {}
    for b in out:
        seen[b["label"]] = seen.get(b["label"], 0) + 1
    count: dict[str, int] = {}
    for b in out:
        if seen[b["label"]] > 1:
            count[b["label"]] = count.get(b["label"], 0) + 1
            b["label"] += f" ({b['time']})" if b["time"] else f" #{count[b['label']]}"
    return out


def bar_svg(items: list[dict], value_name: str, label_name: str, width: int = 900) -> str:
    """Horizontal bars, each with its label, its value written out and a link to its entity."""
    items = items[:MAX_BARS]
    if not items:
        return '<p class="ot-muted">No row has a number in this column.</p>'
    lo, hi = min(0, min(b["value"] for b in items)), max(0, max(b["value"] for b in items))
    span = (hi - lo) or 1
    left, right, h = 260, 90, 22
    inner = width - left - right
    x0 = left + (0 - lo) / span * inner
    parts = []
    for k, b in enumerate(items):
        y = 24 + k * h
        x1 = left + (b["value"] - lo) / span * inner
        lab = b["label"] if len(b["label"]) <= 40 else b["label"][:39] + "…"
        text = f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="12" fill="#222">{esc(lab)}</text>'
        if b["href"]:
            text = f'<a href="{esc(b["href"])}" target="_self">{text}</a>'
        parts.append(f'<g class="ot-bar" data-label="{esc(b["label"])}" data-value="{esc(b["value"])}">'
                     f'<title>{esc(b["label"])}: {esc(number(b["value"]))}</title>{text}'
                     f'<rect x="{min(x0, x1):.1f}" y="{y + 3}" width="{max(abs(x1 - x0), 1):.1f}" height="{h - 6}" fill="#2f6f8f"/>'
                     f'<text x="{max(x0, x1) + 4:.1f}" y="{y + 14}" font-size="11" fill="#444">{esc(number(b["value"]))}</text></g>')
    height = 24 + len(items) * h + 10
    return (f'<svg class="ot-bars" role="img" aria-label="{esc(value_name)} by {esc(label_name)}" viewBox="0 0 {width} {height}" '
            f'width="100%" style="max-width:{width}px;font-family:sans-serif" data-label-column="{esc(label_name)}" '
            f'data-value-column="{esc(value_name)}"><text x="{left}" y="14" font-size="12" fill="#555">{esc(value_name)} '
            f'by {esc(label_name)}</text>{"".join(parts)}</svg>')


def coordinate_columns(columns: list[str]) -> tuple[int | None, int | None]:
    low = [c.lower() for c in columns]
    lat = next((i for i, c in enumerate(low) if c in ("lat", "latitude") or c.endswith("lat")), None)
    lon = next((i for i, c in enumerate(low) if c in ("lon", "long", "lng", "longitude") or c.endswith(("lon", "long"))), None)
    return lat, lon


def map_points(columns: list[str], rows: list[list], labels: dict[str, str], places: dict[str, dict] | None) -> list[dict]:
    """Points from latitude and longitude columns, or else every entity of the rows whose coordinates the
    graph has (its own, its town's or its place's: `places` as appdata.Graph.places gives them)."""
    lat, lon = coordinate_columns(columns)
    points, seen = [], set()
    if lat is not None and lon is not None:
        ent = next((i for i in range(len(columns)) if i not in (lat, lon)
                    and any(isinstance(r[i], str) and is_iri(r[i]) for r in rows)), None)
        for r in rows:
            try:
                la, lo = float(r[lat]), float(r[lon])
            except (TypeError, ValueError):
                continue
            iri = r[ent] if ent is not None else None
            points.append({"lat": la, "lon": lo, "label": labels.get(iri, str(iri)) if iri else f"{la}, {lo}",
                           "href": entity_href(iri) if iri else "#"})
        return points
    for r in rows:
        for v in r:
            if isinstance(v, str) and v in (places or {}) and v not in seen and places[v].get("lat") is not None:
                seen.add(v)
                p = places[v]
                points.append({"lat": float(p["lat"]), "lon": float(p["lon"]), "label": labels.get(v, v), "href": entity_href(v)})
    return points


def select_edges(rows: list[list], a: int, b: int, rel: int | None, labels: dict[str, str]) -> tuple[list[dict], dict]:
    """Edges between the entities of two columns (a relation column names them), and the relations' names."""
    edges, names, seen = [], {}, set()
    for r in rows:
        x, y = r[a], r[b]
        if not (isinstance(x, str) and is_iri(x) and isinstance(y, str) and is_iri(y)) or x == y:
            continue
        rv = r[rel] if rel is not None and r[rel] is not None else "related to"
        key = f"rel:{rv}"
        names[key] = labels.get(rv, str(rv))
        if (x, key, y) not in seen:
            seen.add((x, key, y))
            edges.append({"a": x, "b": y, "rel": key})
    return edges, names


def triple_edges(triples, labels: dict[str, str]) -> tuple[list[dict], dict]:
    edges, names = [], {}
    for t in triples:
        if isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.NamedNode) and t.predicate.value != \
                "http://www.w3.org/1999/02/22-rdf-syntax-ns#type":
            p = t.predicate.value
            names[p] = labels.get(p, p.rsplit("#", 1)[-1].rsplit("/", 1)[-1])
            edges.append({"a": t.subject.value, "b": t.object.value, "rel": p})
    return edges, names


def labelled_csv(columns: list[str], rows: list[list], labels: dict[str, str]) -> tuple[list[str], list[list]]:
    """The result as CSV rows: beside each column that holds IRIs, a `<column> label` column; every other
    value as it is (units, sources and locators come out with their names when the query returns them)."""
    iri_cols = [i for i in range(len(columns)) if any(iris_in(r[i]) for r in rows)]
    head, out = [], []
    for i, c in enumerate(columns):
        if i in iri_cols:
            head += [f"{c} label", c]
        else:
            head.append(c)
    for r in rows:
        line = []
        for i, v in enumerate(r):
            if i in iri_cols:
                line += [" | ".join(labels.get(x, "") for x in iris_in(v)), v]  # a list of IRIs: its labels
            else:
                line.append(v)
        out.append(line)
    return head, out
