"""Shared pieces of the app's pages: the graph connection, the guard that turns every failure into a plain
message, links to entity pages (only http(s) URLs become outside links), escaped HTML."""

from __future__ import annotations

import functools
import html
import os
import re
import sys
import traceback
import urllib.parse

import streamlit as st

from oretrace import appdata
from oretrace.config import settings as make_settings
from oretrace.linkeddata import web_link
from oretrace.vocab import OT

ENDPOINT_ENV = "ORETRACE_ENDPOINT"
TIMEOUT_ENV = "ORETRACE_TIMEOUT"  # seconds one of the app's own queries may take on an endpoint
INTERNAL = "The page could not be drawn because of an internal error"

CSS = """<style>
.ot-table{border-collapse:collapse;width:100%;font-size:0.88rem}
.ot-table th,.ot-table td{border-bottom:1px solid #e3e6ea;padding:4px 8px;text-align:left;vertical-align:top}
.ot-table th{background:#f4f6f8;font-weight:600}
.ot-table td,.ot-table th{overflow-wrap:anywhere}
.ot-cite{color:#555;font-size:0.82rem}
.ot-badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:0.75rem;background:#eef2f7;color:#334;margin-left:4px}
.ot-inferred{background:#fff3d6;color:#6b4e00}
.ot-conflict{background:#fde2e1;color:#8a1c1c}
.ot-chain{display:flex;gap:6px;align-items:stretch;flex-wrap:wrap}
.ot-stage{flex:1;min-width:130px;border:2px solid #2f6f8f;border-radius:10px;padding:8px;background:#f3f9fc}
.ot-stage h4{margin:0 0 4px 0;font-size:0.95rem;color:#2f6f8f}
.ot-arrow{align-self:center;font-size:1.6rem;color:#2f6f8f}
.ot-muted{color:#777}
</style>"""


def esc(text) -> str:
    """Text from the data made safe to place inside HTML."""
    return html.escape("" if text is None else str(text), quote=True)


def md(text) -> str:
    """Text from the data made inert for Streamlit's Markdown (links, emphasis, HTML, LaTeX)."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~$:])", r"\\\1", "" if text is None else str(text))


def href(page: str, **params) -> str:
    """A relative URL of an app page with query parameters (shareable)."""
    qs = urllib.parse.urlencode({k: v for k, v in params.items() if v not in (None, "")})
    path = "./" if page in ("", "overview") else f"./{page}"
    return path + (f"?{qs}" if qs else "")


def entity_href(iri: str) -> str:
    return href("entity", iri=iri)


def link(iri: str, label: str | None = None) -> str:
    """An HTML link to the entity page of an IRI, its text escaped."""
    return f'<a href="{esc(entity_href(iri))}" target="_self">{esc(label or iri)}</a>'


def external(url: str) -> str:
    """A link only for http(s) URLs; anything else (javascript:, data:, ...) is shown as plain text."""
    if isinstance(url, str) and web_link(url):
        return f'<a href="{esc(url)}" rel="noopener noreferrer" target="_blank">{esc(url)}</a>'
    return esc(url)


def show(markup: str) -> None:
    """Render HTML built by this app (every piece of data in it escaped)."""
    st.html(CSS + markup)


def table(columns: list[str], rows: list[list[str]]) -> str:
    """An HTML table; cells must already be escaped HTML."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="ot-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


@st.cache_resource(show_spinner=False)
def _graph(root: str, build_dir: str, release: str, endpoint: str | None, timeout: float) -> appdata.Graph:
    return appdata.connect(make_settings(root), endpoint, timeout)


def _timeout() -> float:
    try:
        t = float(os.environ.get(TIMEOUT_ENV) or appdata.DEFAULT_TIMEOUT)
    except ValueError:
        return appdata.DEFAULT_TIMEOUT
    return t if 0 < t < 3600 else appdata.DEFAULT_TIMEOUT


def graph() -> appdata.Graph:
    """The graph of the last build (or of $ORETRACE_ENDPOINT); stops the page with a message if none."""
    s = make_settings()
    endpoint = os.environ.get(ENDPOINT_ENV) or None
    try:
        release = "" if endpoint else str(s.current.resolve())
        return _graph(str(s.root), str(s.build_dir), release, endpoint, _timeout())
    except appdata.AppError as e:
        st.error(md(f"No graph to show: {e}"))
        st.stop()


def page(render):
    """A page's render function that never shows a traceback: a graph that cannot be read (dead or slow
    endpoint, failing query) and any other failure become one plain message."""

    @functools.wraps(render)
    def guarded() -> None:
        try:
            render()
        except appdata.AppError as e:
            st.error(md(f"This page cannot be shown: {e}"))
        except Exception as e:  # noqa: BLE001 - the reader gets words; the log gets the traceback
            traceback.print_exc(file=sys.stderr)
            st.error(md(f"{INTERNAL} ({type(e).__name__}). The server log has the details."))

    return guarded


def value_html(g: appdata.Graph, v, labels: dict[str, str]) -> str:
    """A value as HTML: entity IRIs as links with their labels (each of a space-separated list of them),
    literals escaped."""
    many = appdata.iris_in(v)
    if len(many) > 1:
        return ", ".join(value_html(g, x, labels) for x in many)
    if appdata.is_iri(v):
        if v.startswith(g.iris.base + "/id/") or v.startswith(OT):
            return link(v, labels.get(v) or g.short(v))
        short = g.short(v)
        if short != v:  # a term of a known vocabulary: its label, or prefix:name
            label = labels.get(v)
            return esc(label if label and label != short else short)
        return external(v)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return esc(v)


def citation_html(g: appdata.Graph, f: dict, labels: dict[str, str]) -> str:
    """Who says so: document, locator, cited source, confidence; or 'inferred by HermiT'."""
    if f.get("inferred"):
        return '<span class="ot-badge ot-inferred">inferred by the reasoner (HermiT)</span>'
    if f.get("origin") == "ontology":
        return '<span class="ot-muted">from the ontology</span>'
    if not f.get("doc"):
        return '<span class="ot-muted">source description</span>' if f.get("origin") == "provenance" else ""
    parts = [link(f["doc"], labels.get(f["doc"])), esc(f.get("loc") or "")]
    if f.get("cited"):
        parts.append("citing " + ", ".join(link(c, labels.get(c)) for c in f["cited"]))
    if f.get("conf") and not f["conf"].endswith("#Stated"):
        parts.append(f'<span class="ot-badge">{esc(f["conf"].rsplit("#", 1)[-1].lower())}</span>')
    if f.get("g"):
        parts.append(f'<span class="ot-muted">statement {link(f["g"], f.get("sid") or g.short(f["g"]))}</span>')
    return '<span class="ot-cite">' + " · ".join(p for p in parts if p) + "</span>"


def header(title: str, caption: str | None = None) -> None:
    st.title(md(title))
    if caption:
        st.caption(md(caption))
