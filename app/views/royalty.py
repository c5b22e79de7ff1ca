"""Royalty: for a flow of ore or concentrate, the element it contains and the royalty due on it, as
ranges, against the royalty declared and any figure a source states; every input one click from its
statement and source, every assumption named, every missing input said."""

from __future__ import annotations

import math

import streamlit as st

import ui
from components import svg, table
from oretrace.reconcile import run as R
from views.balance import _nice, report


def _pick(rep, labels):
    ests = rep.estimates
    if not ests:
        return None
    keys = [e.key for e in ests]
    want = st.query_params.get("flow")
    # open on an estimate that reaches a royalty, the stated one first
    default = next((i for i, e in enumerate(ests) if e.stated), next((i for i, e in enumerate(ests) if e.due), 0))
    idx = keys.index(want) if want in keys else default

    def name(i):
        e = ests[i]
        per = "" if not e.period else (f" ({e.period[0]})" if e.period[0] == e.period[1] else f" ({e.period[0]}–{e.period[1]})")
        return f"{labels.get(e.flow, e.flow)}{'' if str(e.period and e.period[0]) in labels.get(e.flow, '') else per}"
    i = st.selectbox("Flow", range(len(ests)), index=idx, format_func=name, key="royalty_pick")
    st.query_params["flow"] = keys[i]
    return ests[i]


def range_svg(e, width: int = 1000) -> str:
    """The royalty due as a bar from its low to its high end, the declared royalty and the stated figure as marks."""
    items = []
    if e.due:
        items.append(("royalty due (computed)", e.due, "#2f6f8f"))
    if e.declared is not None:
        items.append(("royalty declared", e.declared, "#5b8c3a"))
    if e.stated and e.stated.known:
        items.append(("royalty not collected (as the source states it)", (e.stated.low, e.stated.high), "#b5651d"))
    if not items:
        return '<p class="ot-muted">No royalty range can be drawn: see the missing inputs below.</p>'
    top = _nice(max((r[1] for _, r, _ in items if math.isfinite(r[1])), default=1.0) * 1.02 or 1.0)
    left, h = 330, 34
    height = 30 + h * len(items)
    x = lambda v: left + (width - left - 30) * min(v, top) / top
    out = []
    for k in range(6):
        v = top * k / 5
        out.append(f'<text x="{x(v):.1f}" y="12" font-size="10" text-anchor="middle" fill="#666">{ui.esc(f"{v:,.0f}")}</text>')
    for i, (name, (lo, hi), colour) in enumerate(items):
        y = 30 + i * h
        out.append(f'<text x="{left - 8}" y="{y + 4}" font-size="12" text-anchor="end">{ui.esc(name)}</text>')
        tip = f"{name}: {R.range_text((lo, hi), e.currency or '')}"
        w = max(x(hi) - x(lo), 3)
        out.append(f'<rect x="{x(lo):.1f}" y="{y - 7}" width="{w:.1f}" height="14" fill="{colour}" fill-opacity="0.75">'
                   f'<title>{ui.esc(tip)}</title></rect>')
    return (f'<svg class="ot-royalty" role="img" aria-label="royalty ranges" viewBox="0 0 {width} {height}" width="100%" '
            f'style="max-width:{width}px;font-family:sans-serif">{"".join(out)}</svg>')


def render() -> None:
    g = ui.graph()
    ui.header("Royalty", "How much of the element leaves in ore and concentrate, and what royalty is due on it: "
                         "as ranges, with every input and its source.")
    rep = report(g)
    labels = rep.labels()
    e = _pick(rep, labels)
    if e is None:
        st.info("The graph holds no flow of ore or concentrate with a tonnage or a value for an element it contains.")
        return
    a = rep.assumptions
    el = labels.get(e.element, e.element.rsplit("#", 1)[-1])
    c = st.columns(3)
    c[0].metric(f"{el} contained", R.range_text(e.contained, e.contained_unit))
    c[1].metric("Royalty due", R.range_text(e.due, e.currency or ""))
    c[2].metric("Royalty declared", R.range_text(e.declared, e.currency or "") if e.declared else "unknown",
                help=e.declared_basis)
    if e.royalty:
        ui.show(f"<p>Royalty: {ui.link(e.royalty, labels.get(e.royalty))}"
                + (f", set by {ui.link(e.law, labels.get(e.law))}" if e.law else "") + "</p>")
    svg(range_svg(e), key="royalty_range")

    if e.findings:
        st.subheader("Findings")
        for kind, msg in e.findings:
            ui.show(f'<p class="ot-finding"><span class="ot-badge ot-conflict">{ui.esc(kind)}</span> {ui.esc(msg)}</p>')

    st.subheader("Inputs")
    st.caption(ui.md(f"A figure without a stated range spans its value ± {a.get('content.coverage'):g} standard "
                     "uncertainties; assumptions come from assumptions.yaml (version "
                     f"{a.version}) and can be changed there or with `oretrace reconcile --set`."))
    rows = []
    for i in e.inputs:
        if i.figure:
            f = i.figure
            src = (ui.link(f.statement, f.statement_id or "statement")
                   + (f" · {ui.link(f.document, labels.get(f.document) or 'document')}" if f.document else "")
                   + (f'<br><span class="ot-muted">{ui.esc(f.where)}</span>' if f.where else ""))
            written = f"{f.written} {R._unit_text(f.unit)}"
        else:
            src = f'<span class="ot-badge">assumption</span> <code>{ui.esc(i.assumption or "")}</code>'
            written = ""
        rows.append([ui.esc(i.name), ui.esc(written), ui.esc(R.range_text((i.low, i.high), i.unit) if i.known else "missing"),
                     ui.esc(i.basis), src])
    table(["input", "as written", "range used", "how", "statement and source"], rows, "royalty-inputs", key="inputs_csv",
          wrap="ot-inputs")
    if e.missing:
        st.subheader("Missing inputs")
        ui.show("<ul>" + "".join(f'<li class="ot-missing">{ui.esc(m)}</li>' for m in e.missing) + "</ul>")
    if e.notes:
        st.caption(ui.md(" ".join(e.notes)))
    ui.show(f'<p>The flow: {ui.link(e.flow, labels.get(e.flow))}</p>')
