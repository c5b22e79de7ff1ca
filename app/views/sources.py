"""Sources: every document, its statements and what they assert; filter by source, curator, confidence."""

from __future__ import annotations

import streamlit as st

import ui
from components import cite_this, download_csv
from oretrace.vocab import OT

CONFIDENCE = {"any": None, "stated": OT + "Stated", "estimated": OT + "Estimated", "implied": OT + "Implied"}


def _pick(label: str, options: list, names: dict, param: str, key: str):
    want = st.query_params.get(param)
    idx = options.index(want) if want in options else 0
    choice = st.selectbox(label, options, index=idx, format_func=lambda o: names.get(o, o), key=key)
    if choice:
        st.query_params[param] = choice
    else:
        st.query_params.pop(param, None)
    return choice or None


@ui.page
def render() -> None:
    g = ui.graph()
    ui.header("Sources", "Every document the graph draws on, and the statements taken from it.")
    srcs = g.sources()
    labels = g.labels({s["s"] for s in srcs} | {s["publisher"] for s in srcs if s["publisher"]} | {s["type"] for s in srcs if s["type"]})
    c1, c2, c3 = st.columns([4, 2, 2])
    with c1:
        source = _pick("Source", [""] + [s["s"] for s in srcs], {"": "all sources", **{s["s"]: s["title"] or labels[s["s"]] for s in srcs}},
                       "source", "source_pick")
    curators = g.curators()
    cl = g.labels(curators)
    with c2:
        curator = _pick("Curator", [""] + curators, {"": "any curator", **cl}, "curator", "curator_pick")
    with c3:
        conf = _pick("Confidence", ["", "stated", "estimated", "implied"], {"": "any confidence"}, "confidence", "conf_pick")

    if not source:
        st.subheader(f"{len(srcs)} sources")
        st.caption("A source is either read by a curator (its statements are taken from it) or cited by a source "
                   "that was read (the statements then name it as the original).")
        ui.show(ui.table(["source", "kind", "year", "publisher", "statements taken from it", "statements citing it"],
                         [[ui.link(s["s"], s["title"] or labels[s["s"]]), ui.esc(labels.get(s["type"], "") if s["type"] else ""),
                           ui.esc(s["year"] or ""),
                           ui.value_html(g, s["publisher"], labels) if s["publisher"] else "",
                           f'<a href="{ui.esc(ui.href("sources", source=s["s"]))}" target="_self">{s["statements"]}</a>'
                           if s["statements"] else '<span class="ot-muted">0</span>',
                           f'<a href="{ui.esc(ui.href("sources", source=s["s"]))}" target="_self">{s["citing"]}</a>'
                           if s["citing"] else '<span class="ot-muted">0</span>']
                          for s in srcs]))
        download_csv(["source", "title", "kind", "year", "publisher", "statements taken from it", "statements citing it"],
                     [[s["s"], s["title"] or labels[s["s"]], labels.get(s["type"], "") if s["type"] else "", s["year"] or "",
                       s["publisher"] or "", s["statements"], s["citing"]] for s in srcs], "sources", key="csv_sources")
    else:
        cite_this(g, source, key="cite_chosen_source")
    sts = g.statements(source=source, curator=curator, confidence=CONFIDENCE.get(conf or "any"))
    st.subheader(f"{len(sts)} statement{'s' if len(sts) != 1 else ''}")
    if not sts:
        return
    limit = 200
    shown = sts[:limit]
    if len(sts) > limit:
        st.caption(f"Showing the first {limit}; narrow with the filters above.")
    triples = g.statement_triples([s["g"] for s in shown])
    names = g.labels({x for ts in triples.values() for t in ts for x in (t["s"], t["p"], t["o"])} |
                     {s["doc"] for s in shown} | {c for s in shown for c in (s["cites"] or "").split()})
    rows = []
    for s in shown:
        asserts = "<br>".join(f"{ui.value_html(g, t['s'], names)} · {ui.value_html(g, t['p'], names)} · {ui.value_html(g, t['o'], names)}"
                              for t in triples.get(s["g"], [])[:12])
        extra = len(triples.get(s["g"], [])) - 12
        if extra > 0:
            asserts += f'<br><span class="ot-muted">and {extra} more</span>'
        cites = ", ".join(ui.link(c, names.get(c)) for c in (s["cites"] or "").split())
        rows.append([ui.link(s["g"], s["sid"]), ui.esc(s["para"] or ""),
                     ui.link(s["doc"], names.get(s["doc"])) + "<br>" + ui.esc(s["loc"]) + (f"<br>citing {cites}" if cites else ""),
                     ui.esc((s["conf"] or "").rsplit("#", 1)[-1].lower()), asserts])
    ui.show(ui.table(["statement", "says", "where", "confidence", "asserts"], rows))
    download_csv(["statement", "id", "says", "document", "where", "confidence", "curator", "cites"],
                 [[s["g"], s["sid"] or "", s["para"] or "", s["doc"], s["loc"], (s["conf"] or "").rsplit("#", 1)[-1].lower(),
                   s["curator"] or "", s["cites"] or ""] for s in shown], "statements", key="csv_statements")
