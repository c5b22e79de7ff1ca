"""Element content of flows and the royalty due on it, as ranges, with every input listed.

For a flow of a material that contains an element among others (an ore, a concentrate), the graph
knows the element only through a concentration, measured on the material itself or on the ore it is
made from. Then

    contained element = tonnage x concentration x concentration factor x recovery share

where each factor is a range: a figure's stated range, or its value +- coverage x its standard
uncertainty (uncertainty.py), or an assumption of assumptions.yaml (concentration factor, recovery).
Where a royalty applies (the flow's royalty law, or a royalty of the exporting country on a material
containing the element) and the graph has its rate:

    royalty due = rate x value,   value = contained element x price  (or a value the graph states)

against the royalty declared (the flow's royalty status) and any royalty-not-collected figure a
source states, whose agreement with its own inputs is checked. An input the graph lacks is named,
never filled in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..units import BY_IRI
from ..vocab import OT
from .assumptions import Assumptions
from .data import Figure, Flow, GraphData
from .uncertainty import weigh

TONNAGE = {OT + "ExportQuantity", OT + "ImportQuantity", OT + "ShipmentQuantity"}
VALUE = {OT + "MonetaryValue", OT + "UnpaidValue"}
NOT_COLLECTED = OT + "RoyaltyNotCollected"
CONCENTRATION = OT + "ElementConcentration"
DECLARED_NIL = {OT + "RoyaltyNotDeclared", OT + "RoyaltyDeclaredNil"}
MONEY = {"http://qudt.org/vocab/unit/CCY_EUR": "EUR", "http://qudt.org/vocab/unit/CCY_USD": "USD"}


@dataclass
class Input:
    name: str
    low: float | None
    high: float | None
    unit: str
    basis: str
    figure: Figure | None = None
    assumption: str | None = None     # the assumptions.yaml key, when it is one

    @property
    def missing(self) -> bool:
        return self.low is None or self.high is None

    @property
    def known(self) -> bool:
        return not self.missing


@dataclass
class Estimate:
    flow: str
    element: str
    period: tuple[int, int] | None
    origin: set[str]
    inputs: list[Input] = field(default_factory=list)
    contained: tuple[float, float] | None = None
    contained_unit: str = "t"
    value: tuple[float, float] | None = None
    currency: str | None = None
    royalty: str | None = None
    law: str | None = None
    law_note: str | None = None
    due: tuple[float, float] | None = None
    declared: tuple[float, float] | None = None
    declared_basis: str = ""
    stated: Input | None = None
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    findings: list[tuple[str, str]] = field(default_factory=list)   # (kind, message)

    @property
    def key(self) -> str:
        slug = self.flow.rsplit("/", 1)[-1]
        return f"{slug}-{self.element.rsplit('#', 1)[-1].lower()}"

    def input(self, name: str) -> Input | None:
        return next((i for i in self.inputs if i.name == name), None)


def interval(f: Figure, a: Assumptions, exact: bool = False) -> tuple[float, float, str] | None:
    """The range a figure spans, in its own unit: stated min..max, "up to" from 0, or value +- k u."""
    if f.low is not None and f.high is not None:
        return f.low, f.high, "stated range"
    if f.value is None and f.high is not None:
        return 0.0, f.high, "stated upper bound, from 0"
    if f.value is None:
        return None
    if exact:
        return f.value, f.value, "exact (a rate set by law)"
    w = weigh(value=f.value, lexical=f.lexical, low=None, high=None, confidence=f.confidence,
              approximate=f.approximate, estimated=f.estimated, standard_uncertainty=f.standard_uncertainty,
              relative_uncertainty=f.relative_uncertainty, assumptions=a)
    k = a.get("content.coverage")
    return (max(0.0, w.value - k * w.sd), w.value + k * w.sd,
            f"{_short(w.value)} ± {k:g} × {_short(w.sd)} ({w.basis})")


def _short(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def _mul(*ranges):
    """The product of ranges of non-negative numbers (an upper end may be infinite: open)."""
    if any(r[1] == 0 for r in ranges):
        return 0.0, 0.0
    lo, hi = 1.0, 1.0
    for r in ranges:
        lo *= r[0]
        hi *= r[1]
    return lo, hi


def _unit(f: Figure) -> str:
    u = BY_IRI.get(f.unit)
    return u.symbol if u else f.unit.rsplit("/", 1)[-1]


def _fig_input(name: str, f: Figure, a: Assumptions, scale: float = 1.0, unit: str | None = None,
               exact: bool = False) -> Input:
    r = interval(f, a, exact)
    if r is None:
        return Input(name, None, None, unit or _unit(f), "the figure gives only a lower bound", f)
    return Input(name, r[0] * scale, r[1] * scale, unit or _unit(f), r[2], f)


def _covers(period: tuple[int, int] | None, f: Figure) -> bool:
    p = f.period
    return p is None or period is None or (p[0] <= period[1] and period[0] <= p[1])


def estimates(data: GraphData, a: Assumptions, element: str | None = None) -> list[Estimate]:
    by_subject: dict[str, list[Figure]] = {}
    for f in data.figures:
        by_subject.setdefault(f.subject, []).append(f)
    # the elements the graph gives a concentration, a value or a royalty figure for
    measured = {f.element for f in data.figures if f.element and f.measure in
                {CONCENTRATION, OT + "RoyaltyRate", NOT_COLLECTED} | VALUE}
    out = []
    for iri, fl in sorted(data.flows.items()):
        for m in sorted(fl.materials):
            els = data.elements_of.get(m, set())
            if len(els) < 2:
                continue   # the element is all there is (or the graph does not say): no content to estimate
            for e in sorted(els):
                if (element and e != element) or e not in measured:
                    continue
                figs = by_subject.get(iri, [])
                tonnage = [f for f in figs if f.measure in TONNAGE and f.dimension in ("mass", "mass-rate")]
                values = [f for f in figs if f.measure in VALUE and f.element in (e, None) and f.unit in MONEY]
                if not tonnage and not values:
                    continue
                out.append(_estimate(data, a, fl, m, e, tonnage, values, by_subject))
    return out


def _concentration(data: GraphData, m: str, e: str, period, by_subject, a: Assumptions) -> list[Input]:
    """Concentration of e: measured on m itself, else on a material m is made from (with the
    concentration factor of assumptions.yaml)."""
    def conc_figs(material):
        out = []
        for f in data.figures:
            if f.measure != CONCENTRATION or f.element != e or f.dimension != "ratio":
                continue
            if f.material == material or f.subject == material:
                out.append(f)
        return [f for f in out if _covers(period, f)]
    direct = conc_figs(m)
    if direct:
        f = direct[0]
        return [_fig_input("concentration", f, a, BY_IRI[f.unit].factor / 100, "fraction")]
    for ore in sorted(data.derived_from.get(m, set())):
        via = conc_figs(ore)
        if not via:
            continue
        f = via[0]
        inputs = [_fig_input("concentration (in the material it is made from)", f, a, BY_IRI[f.unit].factor / 100, "fraction")]
        cf = next((c for c in a.get("content.concentration_factors")
                   if data.ref(c["ore"]) == ore and data.ref(c["concentrate"]) == m), None)
        if cf and cf.get("min") is not None:
            hi = float(cf["max"]) if cf.get("max") is not None else math.inf
            inputs.append(Input("concentration factor", float(cf["min"]), hi, "ratio",
                                "assumption" + (f": {cf['note']}" if cf.get("note") else ""), assumption="content.concentration_factors"))
        else:
            inputs.append(Input("concentration factor", None, None, "ratio",
                                f"no source gives the grade of {m.rsplit('/', 1)[-1]} over that of {ore.rsplit('/', 1)[-1]}; "
                                "set content.concentration_factors", assumption="content.concentration_factors"))
        return inputs
    return [Input("concentration", None, None, "fraction",
                  f"no concentration of {e.rsplit('#', 1)[-1].lower()} in {m.rsplit('/', 1)[-1]} or in a material it is made from")]


def _royalty(data: GraphData, fl: Flow, e: str, origin: set[str]):
    laws = set(fl.royalty_laws)
    for w in fl.wholes:
        if w in data.flows:
            laws |= data.flows[w].royalty_laws
    how = "the flow's royalty law"
    cands = [r for r in data.royalties.values() if r.laws & laws]
    if not cands:
        how = "a royalty of the exporting country on a material containing the element"
        cands = [r for r in data.royalties.values() if r.jurisdictions & origin and any(
            e in data.elements_of.get(m, set()) for m in r.materials)]
    cands = [r for r in cands if any(e in data.elements_of.get(m, set()) for m in r.materials) or not r.materials]
    return (sorted(cands, key=lambda r: r.iri)[0], how) if cands else (None, None)


def _estimate(data: GraphData, a: Assumptions, fl: Flow, m: str, e: str, tonnage, values, by_subject) -> Estimate:
    origin = set()
    for o in fl.origins:
        origin |= data.countries_of.get(o, set())
    period = fl.period or (tonnage[0].period if tonnage else values[0].period if values else None)
    est = Estimate(fl.iri, e, period, origin)
    ename = e.rsplit("#", 1)[-1].lower()
    # contained element
    if tonnage:
        t = tonnage[0]
        if len(tonnage) > 1:
            est.notes.append(f"{len(tonnage)} tonnage figures; the first ({t.statement_id}) is used here, "
                             "the balance page weighs them all")
        rate = BY_IRI[t.unit].dimension == "mass-rate"
        tin = _fig_input("tonnage", t, a, BY_IRI[t.unit].factor, "t/year" if rate else "t")
        est.inputs.append(tin)
        est.contained_unit = "t/year" if rate else "t"
        conc = _concentration(data, m, e, period, by_subject, a)
        est.inputs += conc
        rec = a.get("content.recovery")
        est.inputs.append(Input("recovery share", rec["min"] / 100, rec["max"] / 100, "fraction", "assumption",
                                assumption="content.recovery"))
        factors = [tin] + conc + [est.inputs[-1]]
        if all(i.known for i in factors):
            est.contained = _mul(*[(i.low, i.high) for i in factors])
        else:
            est.missing += [f"{i.name}: {i.basis}" for i in factors if i.missing]
    else:
        est.missing.append(f"tonnage: the graph gives no tonnage for {fl.iri.rsplit('/', 1)[-1]}")
    # value of the contained element
    if values:
        v = values[0]
        vin = _fig_input("value of the contained element (stated)", v, a)
        est.inputs.append(vin)
        est.currency = MONEY[v.unit]
        est.value = (vin.low, vin.high) if vin.known else None
    else:
        prices = [f for f in data.figures if f.measure == OT + "Price" and (f.element == e or f.material == e)
                  and _covers(period, f)]
        usable = [f for f in prices if f.unit in MONEY]   # a price per tonne needs a money-per-mass unit
        if not prices:
            est.missing.append(f"price: the graph has no price of {ename} (measure ot:Price) for the period")
        elif not usable:
            est.missing.append("price: the graph's price figures have no money-per-mass unit it can use")
        else:
            p = usable[0]
            pin = _fig_input("price per tonne", p, a)
            est.inputs.append(pin)
            est.currency = MONEY[p.unit]
            if est.contained and pin.known:
                est.value = _mul(est.contained, (pin.low, pin.high))
    # royalty
    ro, how = _royalty(data, fl, e, origin)
    if ro is None:
        est.missing.append(f"royalty: no royalty of the graph applies to {ename} in this flow")
    else:
        est.royalty = ro.iri
        est.law = sorted(ro.laws)[0] if ro.laws else None
        est.notes.append(f"royalty found through {how}")
        rates = [f for f in by_subject.get(ro.iri, []) if f.measure == OT + "RoyaltyRate" and f.dimension == "ratio"]
        if est.law and period and est.law in ro.law_years and ro.law_years[est.law] > period[0]:
            est.law_note = (f"the law was made in {ro.law_years[est.law]}, after the start of the flow's period "
                            f"({period[0]}); the rate in force then may differ")
            est.notes.append(est.law_note)
        if not rates:
            est.missing.append("royalty rate: the graph gives no rate (measure ot:RoyaltyRate) for " + ro.iri.rsplit("/", 1)[-1])
        else:
            rin = _fig_input("royalty rate", rates[0], a, BY_IRI[rates[0].unit].factor / 100, "fraction", exact=True)
            est.inputs.append(rin)
            if est.value and rin.known:
                est.due = _mul(est.value, (rin.low, rin.high))
    # declared
    status = set(fl.royalty_status)
    for w in fl.wholes:
        if w in data.flows:
            status |= data.flows[w].royalty_status
    if status & DECLARED_NIL:
        est.declared = (0.0, 0.0)
        est.declared_basis = "royalty status: " + ", ".join(sorted(s.rsplit("#", 1)[-1] for s in status & DECLARED_NIL))
    elif status:
        est.declared_basis = "royalty status: " + ", ".join(sorted(s.rsplit("#", 1)[-1] for s in status)) + " (amount not given)"
    else:
        est.declared_basis = "no royalty status stated"
    stated = [f for f in by_subject.get(fl.iri, []) if f.measure == NOT_COLLECTED and f.unit in MONEY]
    if stated:
        est.stated = _fig_input("royalty not collected (stated)", stated[0], a)
        est.inputs.append(est.stated)
    _judge(est, ename)
    return est


def _money(v: float, cur: str | None) -> str:
    return f"{v:,.0f} {cur or ''}".strip()


def _judge(est: Estimate, ename: str) -> None:
    cur = est.currency
    if est.due and est.declared is not None and est.due[1] > est.declared[1]:
        est.findings.append(("royalty gap", f"royalty due {_money(est.due[0], cur)} to {_money(est.due[1], cur)}, "
                                            f"declared {_money(est.declared[1], cur)} ({est.declared_basis})"))
    if est.stated is None or est.stated.high is None:
        return
    s = est.stated
    written = s.figure.written if s.figure else ""
    rate = est.input("royalty rate")
    value = est.value
    if est.due is None:
        est.findings.append(("not reproducible", f"the stated royalty not collected ({written} {cur or ''}) cannot be "
                                                 "checked: " + "; ".join(est.missing or ["inputs missing"])))
        return
    # the figure as the source gives it: its value, else the top of its range
    top = s.figure.value if s.figure and s.figure.value is not None else (
        s.figure.high if s.figure and s.figure.high is not None else s.high)
    if top > est.due[1] * (1 + 1e-9) or top < est.due[0] * (1 - 1e-9):
        side = "more" if top > est.due[1] else "less"
        parts = [f"the stated royalty not collected ({written} {cur}) is {side} than the royalty its inputs give "
                 f"({_money(est.due[0], cur)} to {_money(est.due[1], cur)})"]
        mid_value = (value[0] + value[1]) / 2 if value else None
        v_fig = est.input("value of the contained element (stated)")
        if v_fig and v_fig.figure and v_fig.figure.value:
            mid_value = v_fig.figure.value
        if mid_value:
            parts.append(f"{top:,.0f} / {mid_value:,.0f} = {100 * top / mid_value:.4g} % of the stated value, "
                         f"where the law's rate is {100 * rate.low:.4g} %" if rate and rate.known else
                         f"{top:,.0f} is {100 * top / mid_value:.4g} % of the stated value")
            if rate and rate.known and rate.low > 0:
                parts.append(f"at {100 * rate.low:.4g} % it would need a value of {top / rate.low:,.0f} {cur}")
        if est.law_note:
            parts.append(est.law_note)
        est.findings.append(("not reproducible", "; ".join(parts)))
