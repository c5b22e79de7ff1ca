"""Balance: for an element (or material) and year, each figure against its reconciled value with error
bars, the figures that do not fit and their sources, and a Sankey of the reconciled flows with their
uncertainty. Computed live from the graph (oretrace.reconcile), with the assumptions of
assumptions.yaml."""

from __future__ import annotations

import streamlit as st

import ui
from components import svg, table
from oretrace.reconcile import assumptions as AS
from oretrace.reconcile import run as R
from oretrace.vocab import OT

DEFAULT = ("Indium", 2018)


@st.cache_resource(show_spinner="Reconciling the graph's figures ...")
def _report(key: str, closure: str, _g) -> R.Report:
    data = R.read(_g.run, _g.settings)
    return R.reconcile(data, AS.load(None, [f"balance.closure={closure}"]))


def report(g, closure: str = "closed") -> R.Report:
    key = g.endpoint or str(getattr(g, "release", ""))
    return _report(key, closure, g)


def target_param(t: str) -> str:
    return t[len(OT):] if t.startswith(OT) else t.split("/id/", 1)[-1]


def _pick(rep: R.Report, labels) -> R.balance.Network | None:
    nets = rep.networks
    if not nets:
        return None
    qp = st.query_params
    want_t, want_y = qp.get("target", DEFAULT[0]), qp.get("year", str(DEFAULT[1]))
    keys = [f"{target_param(n.target)}|{n.year}" for n in nets]
    want = f"{want_t}|{want_y}"
    idx = keys.index(want) if want in keys else next((i for i, k in enumerate(keys) if k.startswith(want_t + "|")), 0)
    choice = st.selectbox("Balance", range(len(nets)), index=idx, key="balance_pick",
                          format_func=lambda i: f"{labels.get(nets[i].target, target_param(nets[i].target))}, {nets[i].year}"
                                                f" ({len(nets[i].nodes)} countr{'y' if len(nets[i].nodes) == 1 else 'ies'})")
    n = nets[choice]
    st.query_params["target"], st.query_params["year"] = target_param(n.target), str(n.year)
    return n


def _fmt(v, se=None) -> str:
    if v is None:
        return "not determinable"
    return R._pm(v, se) if se is not None else R.rounded(v) + " t"


def error_bars_svg(net, labels, width: int = 1000) -> str:
    """Each figure (grey: value +- its standard uncertainty) above its term's reconciled value (blue: +- standard
    error); a red figure fails the measurement test."""
    rows = []
    for t in net.terms:
        name = _term_name(t, labels)
        for u in t.uses:
            sid = (u.figure.statement_id or "").rsplit("/", 1)[-1]
            rows.append(("figure", f"{u.figure.written} {R._unit_text(u.figure.unit)} · {sid}", u.value, u.sd, u.flagged,
                         u.figure.statement))
        rows.append(("term", name, t.value, t.se, False, t.flows[0] if t.flows else t.node))
    vals = [v + 2 * (s or 0) for _, _, v, s, _, _ in rows if v is not None]
    if not vals:
        return '<p class="ot-muted">Nothing to draw.</p>'
    top = _nice(max(vals) * 1.02 or 1.0)
    left, right, h = 330, 30, 22
    height = 30 + h * len(rows)
    x = lambda v: left + (width - left - right) * max(0.0, v) / top
    out = [f'<line x1="{left}" y1="18" x2="{left}" y2="{height - 6}" stroke="#999"/>']
    for k in range(0, 6):
        v = top * k / 5
        out.append(f'<text x="{x(v):.1f}" y="12" font-size="10" text-anchor="middle" fill="#666">{ui.esc(R.rounded(v))}</text>')
    for i, (kind, label, v, s, flagged, link) in enumerate(rows):
        y = 28 + i * h
        colour = "#c0392b" if flagged else ("#2f6f8f" if kind == "term" else "#888")
        text = label if kind == "term" else f"  figure {label}"
        out.append(f'<text x="{left - 8}" y="{y + 4}" font-size="11" text-anchor="end" fill="#222" '
                   f'font-weight="{"600" if kind == "term" else "400"}">{ui.esc(text[:52])}</text>')
        if v is None:
            out.append(f'<text x="{left + 6}" y="{y + 4}" font-size="11" fill="#a33">not determinable</text>')
            continue
        lo, hi = x(v - (s or 0)), x(v + (s or 0))
        tip = f"{label}: {_fmt(v, s)}"
        out.append(f'<a href="{ui.esc(ui.entity_href(link))}" target="_self" class="ot-bar">'
                   f'<line x1="{lo:.1f}" y1="{y}" x2="{hi:.1f}" y2="{y}" stroke="{colour}" stroke-width="3"/>'
                   f'<line x1="{lo:.1f}" y1="{y - 5}" x2="{lo:.1f}" y2="{y + 5}" stroke="{colour}"/>'
                   f'<line x1="{hi:.1f}" y1="{y - 5}" x2="{hi:.1f}" y2="{y + 5}" stroke="{colour}"/>'
                   f'<circle cx="{x(v):.1f}" cy="{y}" r="4" fill="{colour}"><title>{ui.esc(tip)}</title></circle></a>')
    return (f'<svg class="ot-errorbars" role="img" aria-label="figures and reconciled values" viewBox="0 0 {width} {height}" '
            f'width="100%" style="max-width:{width}px;font-family:sans-serif">{"".join(out)}</svg>')


def _nice(v: float) -> float:
    """The smallest of 1, 2, 2.5, 5 or 10 times a power of ten that is at least v (a round axis end)."""
    import math
    p = 10 ** math.floor(math.log10(v))
    return next(m * p for m in (1, 2, 2.5, 5, 10) if m * p >= v)


def _term_name(t, labels) -> str:
    who = labels.get(t.node or "", (t.node or "outside").rsplit("/", 1)[-1])
    if t.kind == "flow":
        return f"{who} → {labels.get(t.target or '', t.target or '')}"
    what = t.kind
    if t.partners:
        what += (" to " if t.kind == "export" else " from ") + ", ".join(labels.get(p, p.rsplit("/", 1)[-1]) for p in t.partners)
    return f"{who} · {what}"


def sankey_svg(net, labels, width: int = 1000) -> str:
    """Three columns (inflows, countries, outflows); band width is the reconciled value, the lighter band
    around it the value plus two standard errors; undeterminable terms are drawn as thin red lines."""
    terms = [t for t in net.terms]
    if not terms:
        return '<p class="ot-muted">No flow in this balance.</p>'
    known = [t.value for t in terms if t.value]
    nominal = (max(known) if known else 1.0) * 0.03
    w = {t.key: (t.value if t.value and t.value > 0 else nominal) for t in terms}
    wide = {t.key: w[t.key] + 2 * (t.se or 0) for t in terms}
    left = [t for t in terms if t.source is None]
    right = [t for t in terms if t.target is None]
    mid = list(net.nodes)
    height = 120 + 40 * max(len(left), len(right), 2 * len(mid))
    total = max(sum(wide[t.key] for t in left) or 1, sum(wide[t.key] for t in right) or 1,
                max((sum(wide[t.key] for t in terms if t.node == c or c in (t.source, t.target)) for c in mid), default=1))
    gap = 18
    scale = (height - 40 - gap * max(len(left), len(right), len(mid))) / total
    cols = {"in": 20, "mid": width / 2 - 7, "out": width - 34}
    pos, y = {}, 20.0
    for t in left:
        pos[("in", t.key)] = y
        y += wide[t.key] * scale + gap
    y = 20.0
    node_y = {}
    for c in mid:
        node_y[c] = y
        size = max(sum(wide[t.key] for t in terms if t.target == c), sum(wide[t.key] for t in terms if t.source == c))
        y += size * scale + gap * 2
    y = 20.0
    for t in right:
        pos[("out", t.key)] = y
        y += wide[t.key] * scale + gap
    off_in, off_out = {c: 0.0 for c in mid}, {c: 0.0 for c in mid}
    bands, boxes = [], []

    def band(x0, y0, x1, y1, t, th_w, th_wide):
        xm = (x0 + x1) / 2
        det = t.value is not None
        colour = "#8fb8cc" if det else "#c0392b"
        tip = f"{_term_name(t, labels)}: {_fmt(t.value, t.se)} ({t.status})"
        href = ui.entity_href(t.flows[0] if t.flows else (t.node or ""))
        path = f"M{x0:.1f},{y0:.1f} C{xm:.1f},{y0:.1f} {xm:.1f},{y1:.1f} {x1:.1f},{y1:.1f}"
        halo = (f'<path class="ot-uncertainty" d="{path}" fill="none" stroke="#2f6f8f" stroke-opacity="0.16" '
                f'stroke-width="{max(th_wide, 1):.1f}"/>') if det and t.se else ""
        bands.append(f'<a href="{ui.esc(href)}" target="_self" class="ot-band">{halo}'
                     f'<path d="{path}" fill="none" stroke="{colour}" stroke-opacity="{0.75 if det else 0.9}" '
                     f'stroke-width="{max(th_w if det else 1.5, 1.5):.1f}"><title>{ui.esc(tip)}</title></path></a>')

    for t in terms:
        th_w, th_wide = w[t.key] * scale, wide[t.key] * scale
        if t.source is None and t.target in node_y:
            y0 = pos[("in", t.key)] + th_wide / 2
            y1 = node_y[t.target] + off_in[t.target] + th_wide / 2
            off_in[t.target] += th_wide
            band(cols["in"] + 14, y0, cols["mid"], y1, t, th_w, th_wide)
            boxes.append((cols["in"], pos[("in", t.key)], th_wide, _term_name(t, labels), "start"))
        elif t.target is None and t.source in node_y:
            y0 = node_y[t.source] + off_out[t.source] + th_wide / 2
            off_out[t.source] += th_wide
            y1 = pos[("out", t.key)] + th_wide / 2
            band(cols["mid"] + 14, y0, cols["out"], y1, t, th_w, th_wide)
            boxes.append((cols["out"], pos[("out", t.key)], th_wide, _term_name(t, labels), "end"))
        elif t.source in node_y and t.target in node_y:
            y0 = node_y[t.source] + off_out[t.source] + th_wide / 2
            off_out[t.source] += th_wide
            y1 = node_y[t.target] + off_in[t.target] + th_wide / 2
            off_in[t.target] += th_wide
            band(cols["mid"] + 14, y0, cols["mid"], y1, t, th_w, th_wide)
    rects = []
    for c in mid:
        size = max(off_in[c], off_out[c], 6)
        rects.append(f'<a href="{ui.esc(ui.entity_href(c))}" target="_self" class="ot-node"><rect x="{cols["mid"]:.1f}" '
                     f'y="{node_y[c]:.1f}" width="14" height="{size:.1f}" fill="#5b8c3a"><title>{ui.esc(labels.get(c, c))}</title>'
                     f'</rect><text x="{cols["mid"] + 7:.1f}" y="{node_y[c] - 4:.1f}" font-size="12" text-anchor="middle">'
                     f'{ui.esc(labels.get(c, c))}</text></a>')
    for x0, y0, hgt, name, side in boxes:
        rects.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="14" height="{max(hgt, 2):.1f}" fill="#7a4e9c"/>'
                     f'<text x="{x0 + (18 if side == "start" else -4):.1f}" y="{y0 + max(hgt, 2) / 2 + 4:.1f}" font-size="11" '
                     f'text-anchor="{side}">{ui.esc(name[:48])}</text>')
    return (f'<svg class="ot-sankey ot-reconciled" role="img" aria-label="Sankey of reconciled flows" '
            f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px;font-family:sans-serif">'
            f'{"".join(bands)}{"".join(rects)}</svg>')


def render() -> None:
    g = ui.graph()
    ui.header("Balance", "Do the numbers add up? Every figure weighed by how far it can be trusted, reconciled "
                         "under the mass balance, and the ones that do not fit.")
    qp = st.query_params
    c1, c2 = st.columns([3, 2])
    with c2:
        closure = st.radio("Balance of each country", ["closed", "open"], horizontal=True, key="closure",
                           index=1 if qp.get("closure") == "open" else 0,
                           format_func=lambda c: {"closed": "only the terms the sources state",
                                                  "open": "plus an unknown unaccounted term"}[c],
                           help="closed: what the sources state is the whole balance, so a gap is a contradiction. "
                                "open: each country also gets an unmeasured term for unrecorded use, stock or trade.")
        st.query_params["closure"] = closure
    rep = report(g, closure)
    labels = rep.labels()
    with c1:
        net = _pick(rep, labels)
    if net is None:
        st.info("The graph holds no production, trade or use figures that make a balance.")
        return
    res = net.result
    a = rep.assumptions
    st.subheader(ui.md(f"{labels.get(net.target, target_param(net.target))}, {net.year}"))
    st.caption(ui.md(f"Assumptions: assumptions.yaml version {a.version} ({a.digest}); significance {a.get('significance'):g}. "
                     "Uncertainty of a figure: stated 5 %, estimated 15 %, implied 25 % of its value, plus approximation "
                     "and rounding, unless the figure states its own (docs/reconciliation.md)."))
    if res is None:
        st.info("No country has figures on both sides of its balance.")
    else:
        cols = st.columns(4)
        cols[0].metric("Countries", len(net.nodes))
        cols[1].metric("Figures", len(net.uses()))
        cols[2].metric("Chi-square (dof)", f"{res.chi2:.3g} ({res.dof})",
                       help="Weighted sum of squared adjustments; chi-square distributed with dof degrees of freedom "
                            "when every figure is right within its uncertainty.")
        cols[3].metric("p-value", f"{res.p_value:.2g}", help=f"below {a.get('significance'):g}: the figures do not add up")
        parts = []
        for c in res.components:
            names = ", ".join(labels.get(b, b) for b in c.balances if "#" not in b)
            verdict = ("do not add up" if c.dof and c.p_value < a.get("significance") else
                       "add up within their uncertainty" if c.dof else "cannot be tested (nothing is measured twice)")
            parts.append([ui.esc(names), ui.esc(f"{c.chi2:.3g}"), ui.esc(c.dof), ui.esc(f"{c.p_value:.2g}"), ui.esc(verdict)])
        table(["countries", "chi-square", "degrees of freedom", "p-value", "the figures"], parts, "balance-tests", key="tests_csv")

    st.subheader("Figures and reconciled values")
    st.caption("Grey: each figure with ± its standard uncertainty; blue: the reconciled value with ± its standard error; "
               "red: a figure that fails the measurement test. Click a bar to open the statement or flow.")
    svg(error_bars_svg(net, labels), key="errorbars")
    rows = []
    for t in net.terms:
        figs = "<br>".join(
            f'{ui.esc(f"{u.figure.written} {R._unit_text(u.figure.unit)}")} → {ui.esc(_fmt(u.value, u.sd))} '
            f'<span class="ot-muted">({ui.esc(u.basis)})</span> '
            + (ui.link(u.figure.statement, u.figure.statement_id or "statement"))
            + (f' <span class="ot-badge ot-conflict">z {u.z:.2f}</span>' if u.flagged else
               f' <span class="ot-badge">z {u.z:.2f}</span>' if u.z is not None else "")
            for u in t.uses) or '<span class="ot-muted">no figure: unmeasured</span>'
        rows.append([ui.esc(_term_name(t, labels)), ui.esc(t.status), ui.esc(_fmt(t.value, t.se)), figs])
    table(["term", "status", "reconciled", "figures (as written → in tonnes, with the statement)"], rows, "balance-terms",
          key="terms_csv")

    st.subheader("Figures that do not fit")
    if net.findings:
        out = []
        for fd in net.findings:
            srcs = "<br>".join(ui.link(u.figure.statement, u.figure.statement_id or "statement")
                               + (f" · {ui.link(u.figure.document, labels.get(u.figure.document) or 'document')}"
                                  if u.figure.document else "")
                               + (f' <span class="ot-muted">{ui.esc(u.figure.where)}</span>' if u.figure.where else "")
                               for u in fd.uses)
            out.append([ui.esc(fd.message), srcs])
        table(["finding", "statements and sources"], out, "balance-findings", key="bfind_csv", wrap="ot-flagged")
    else:
        st.success("No figure fails the tests at this significance.")
    nd = [t for t in net.terms if t.status == "not determinable"]
    if nd:
        st.caption(ui.md("Not determinable from these figures: " + "; ".join(_term_name(t, labels) for t in nd)
                         + ". Unknown flows in parallel (or in a loop) are fixed only together."))
    if net.not_used:
        with st.expander(f"{len(net.not_used)} figure{'s' if len(net.not_used) != 1 else ''} set aside"):
            table(["figure", "statement", "why"], [
                [ui.esc(f"{f.written} {R._unit_text(f.unit)}"), ui.link(f.statement, f.statement_id or "statement"),
                 ui.esc(why)] for f, why in net.not_used], "balance-set-aside", key="aside_csv")

    st.subheader("Reconciled flows")
    st.caption("Band width: the reconciled value; the lighter band around it: plus two standard errors; red line: a flow the "
               "figures do not determine. Hover for the value; click a band to open the flow.")
    if net.result is not None:
        svg(sankey_svg(net, labels), key="balance_sankey")

    pairs = [p for p in rep.pairs if p.period[0] <= net.year <= p.period[1]]
    if pairs:
        st.subheader("Exporters against importers")
        st.caption(f"Mirror statistics: money compared with a CIF/FOB allowance of {a.get('mirror.cif_fob'):g} %, "
                   f"tonnes without; a pair outside ±{a.get('mirror.tolerance'):g} % is a finding.")
        table(["pair", "exporter says", "importer says", "ratio", "verdict"], [
            [ui.esc(f"{labels.get(p.origin, p.origin)} → {labels.get(p.destination, p.destination)}"),
             f"{ui.esc(p.exported.written)} {ui.esc(p.unit)} {ui.link(p.exported.statement, p.exported.statement_id or '')}",
             f"{ui.esc(p.imported.written)} {ui.esc(p.unit)} {ui.link(p.imported.statement, p.imported.statement_id or '')}",
             ui.esc("—" if p.ratio is None else f"{p.ratio:.3g}"), ui.esc(p.message)] for p in pairs], "mirror-statistics",
              key="mirror_csv")
