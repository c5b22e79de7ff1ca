"""Balance networks from the graph's figures, reconciled.

One network per element (or material) and year. Its nodes are countries; its terms are what the
figures measure (docs/reconciliation.md, "From the graph to a balance network"):

* production (ot:TotalProduction) of a country flows into it; its domestic use (ot:DomesticUse,
  ot:Consumption) and stock change (ot:StockChange) flow out of it;
* a flow (export, import, shipment) flows from the country of its origin to the country of its
  destination; its tonnage figures (ot:ExportQuantity, ot:ImportQuantity, ot:ShipmentQuantity) are
  measurements of it; flows the graph names without a figure enter unmeasured;
* a country is a node when the graph gives it at least one measured term on each side; any other
  country is outside the system, and a flow to or from it crosses the boundary;
* figures that measure the same term (two sources, or an exporter's and an importer's declaration
  of the same trade) are measurements of one quantity: a chain of segments through pass-through
  balances, so that each keeps its own adjustment and test.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from ..vocab import OT
from . import solver
from .assumptions import Assumptions
from .data import Figure, Flow, GraphData
from .uncertainty import weigh

NODE_MEASURES = {OT + "TotalProduction": "production", OT + "RefineryProduction": "production",
                 OT + "Consumption": "domestic use", OT + "DomesticUse": "domestic use", OT + "StockChange": "stock change"}
FLOW_MEASURES = {OT + "ExportQuantity", OT + "ImportQuantity", OT + "ShipmentQuantity", OT + "DomesticUse"}
# parts of production by kind of producer, and stages; refinery production stands for the total
# when a country has no total production figure for the year
PRODUCTION_PARTS = {OT + m for m in ("ArtisanalSmallScaleProduction", "StateMiningProduction",
                                     "MediumScaleMiningProduction", "RefineryProduction", "ArticleProduction")}
MASS_DIMENSIONS = ("mass", "mass-rate")
OUTSIDE = None
#: the measure each kind of term is written with in the reconciled graph
KIND_MEASURE = {"production": OT + "TotalProduction", "domestic use": OT + "DomesticUse",
                "stock change": OT + "StockChange", "export": OT + "ExportQuantity", "import": OT + "ImportQuantity",
                "flow": OT + "ShipmentQuantity", "unaccounted": OT + "UnaccountedQuantity"}


@dataclass
class Use:
    """A figure used as a measurement of a term, in tonnes of the element or material."""

    figure: Figure
    value: float
    sd: float
    basis: str
    share: float = 1.0              # element share applied (a refined metal's purity)
    share_basis: str = ""
    qid: str = ""
    reconciled: float | None = None
    se: float | None = None
    adjustment: float | None = None
    z: float | None = None
    flagged: bool = False
    status: str = ""


@dataclass
class Term:
    key: str
    kind: str
    source: str | None               # node the term leaves (None: outside)
    target: str | None               # node it enters
    partners: tuple[str, ...] = ()   # the countries outside that it comes from or goes to
    flows: list[str] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)
    value: float | None = None
    se: float | None = None
    status: str = ""

    @property
    def node(self) -> str | None:
        return self.target if self.kind in ("production", "import") else self.source


@dataclass
class Finding:
    key: str
    severity: str                    # "inconsistent" | "not significant" | "cannot hold"
    message: str
    uses: list[Use] = field(default_factory=list)


@dataclass
class Network:
    target: str
    year: int
    nodes: list[str]
    terms: list[Term]
    not_used: list[tuple[Figure, str]]
    result: solver.Result | None
    findings: list[Finding]
    closed: dict[str, bool]

    @property
    def key(self) -> str:
        return f"{_slug(self.target)}-{self.year}"

    def uses(self) -> list[Use]:
        return [u for t in self.terms for u in t.uses]


def _slug(iri: str) -> str:
    tail = iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return re.sub(r"[^a-z0-9]+", "-", tail.lower()).strip("-") or "x"


# ------------------------------------------------------------------ what a figure is about
def target_of(data: GraphData, material: str | None) -> tuple[str, str] | None:
    """The balance a material's figures belong to: (element, "element") when the material is an
    element or a material whose only element is that one, else (material, "material")."""
    if not material:
        return None
    if data.is_element(material):
        return material, "element"
    els = data.elements_of.get(material, set())
    if len(els) == 1:
        return next(iter(els)), "single-element material"
    return material, "material"


def _figure_material(data: GraphData, f: Figure) -> list[str]:
    if f.material:
        return [f.material]
    flow = data.flows.get(f.subject)
    return sorted(flow.materials) if flow else []


def _country(data: GraphData, place: str) -> set[str]:
    return data.countries_of.get(place, set())


def _ends(data: GraphData, places: set[str]) -> set[str]:
    out: set[str] = set()
    for p in places:
        out |= _country(data, p)
    return out


def _purity(data: GraphData, material: str, element: str, a: Assumptions, figures_by_subject) -> tuple[float, str]:
    """The share of `element` in a single-element material: a Purity figure, else the assumption."""
    for f in figures_by_subject.get(material, []):
        if f.measure == OT + "Purity" and (f.element in (None, element)) and f.dimension == "ratio" and f.value is not None:
            return f.value * f.factor / 100, f"purity {f.written} {_unit_text(f.unit)} ({f.statement_id or f.statement})"
    share = a.get("balance.single_element_share")
    return share / 100, f"assumed {share:g} % {element.rsplit('#', 1)[-1].lower()} (assumptions: balance.single_element_share)"


def _unit_text(unit: str) -> str:
    from ..units import BY_IRI
    u = BY_IRI.get(unit)
    return u.symbol if u else unit.rsplit("/", 1)[-1]


# ------------------------------------------------------------------ building
def networks(data: GraphData, a: Assumptions, target: str | None = None, year: int | None = None) -> list[Network]:
    """Every balance network the graph's figures support (or only those of `target` / `year`), reconciled."""
    by_subject = defaultdict(list)
    for f in data.figures:
        by_subject[f.subject].append(f)
    keys: set[tuple[str, int]] = set()
    for f in data.figures:
        if f.measure not in NODE_MEASURES and f.measure not in FLOW_MEASURES:
            continue
        y = f.single_year
        if y is None or f.dimension not in MASS_DIMENSIONS or f.deprecated:
            continue
        for m in _figure_material(data, f):
            t = target_of(data, m)
            if t:
                keys.add((t[0], y))
    out = []
    for t, y in sorted(keys, key=lambda k: (k[0], k[1])):
        if (target is None or t == target) and (year is None or y == year):
            net = build(data, a, t, y, by_subject)
            if net.nodes:   # figures of sites or of one side only make no balance
                out.append(net)
    return out


def build(data: GraphData, a: Assumptions, target: str, year: int, by_subject=None) -> Network:
    if by_subject is None:
        by_subject = defaultdict(list)
        for f in data.figures:
            by_subject[f.subject].append(f)
    not_used: list[tuple[Figure, str]] = []
    share_cache: dict[str, tuple[float, str]] = {}

    def share_of(material: str) -> tuple[float, str] | None:
        t = target_of(data, material)
        if not t or t[0] != target:
            return None
        if t[1] == "single-element material":
            if material not in share_cache:
                share_cache[material] = _purity(data, material, target, a, by_subject)
            return share_cache[material]
        return 1.0, ""

    # figures of this target: those for the year, the rest noted when they concern it
    used: list[tuple[Figure, float, str]] = []
    for f in data.figures:
        if f.measure not in NODE_MEASURES and f.measure not in FLOW_MEASURES and f.measure not in PRODUCTION_PARTS:
            continue
        shares = [s for s in (share_of(m) for m in _figure_material(data, f)) if s]
        if not shares:
            continue
        p = f.period
        if p is None:
            not_used.append((f, "no period given: it cannot be placed in a year"))
            continue
        if not (p[0] <= year <= p[1]):
            continue
        if p[0] != p[1]:
            not_used.append((f, f"covers {p[0]}-{p[1]}, not one year"))
            continue
        if f.measure in PRODUCTION_PARTS and not (f.measure == OT + "RefineryProduction" and not any(
                g.measure == OT + "TotalProduction" and g.single_year == year for g in by_subject.get(f.subject, []))):
            not_used.append((f, "a part or a stage of production, not the total the balance takes"))
            continue
        if f.dimension not in MASS_DIMENSIONS:
            not_used.append((f, "not a mass"))
            continue
        if f.deprecated:
            not_used.append((f, "deprecated rank"))
            continue
        used.append((f, shares[0][0], shares[0][1]))

    # flows of this target in the year (dated, or undated when they may run in any year)
    undated_ok = a.get("balance.undated_flows") == "unmeasured"
    flow_figs = defaultdict(list)
    for f, s, sb in used:
        if f.measure in FLOW_MEASURES and f.subject in data.flows:
            flow_figs[f.subject].append((f, s, sb))
    flows: dict[str, Flow] = {}
    for iri, fl in data.flows.items():
        if not any(share_of(m) for m in fl.materials):
            continue
        p = fl.period
        if iri in flow_figs or (p is not None and p == (year, year)) or (p is None and undated_ok and not any(
                f.period is not None for f in by_subject.get(iri, []) if f.measure in FLOW_MEASURES)):
            flows[iri] = fl
    # a whole stands aside when one of its parts is in the network
    wholes = {w for fl in flows.values() for w in fl.wholes if w in flows}
    for w in wholes:
        for f, _, _ in flow_figs.get(w, []):
            not_used.append((f, "the flow's parts are in the balance and stand for it"))
        flows.pop(w)
        flow_figs.pop(w, None)

    # sides of each country: measured terms in and out
    ins, outs = defaultdict(int), defaultdict(int)
    node_figs = []
    for f, s, sb in used:
        if f.measure in NODE_MEASURES and f.subject not in data.flows:
            if _country(data, f.subject) != {f.subject}:
                not_used.append((f, "about a site, actor or region, not a country's total"))
                continue
            node_figs.append((f, s, sb))
            (ins if NODE_MEASURES[f.measure] == "production" else outs)[f.subject] += 1
    placed: dict[str, tuple[set[str], set[str]]] = {}
    for iri, fl in flows.items():
        o, d = _ends(data, fl.origins), _ends(data, fl.destinations)
        placed[iri] = (o, d)
        if iri in flow_figs:
            if len(o) == 1:
                outs[next(iter(o))] += 1
            if len(d) == 1 and d != o:
                ins[next(iter(d))] += 1
    nodes = sorted(c for c in set(ins) | set(outs) if ins[c] and outs[c])
    nodeset = set(nodes)

    terms: dict[tuple, Term] = {}

    def term(key, kind, source, target_, partners=()):
        if key not in terms:
            terms[key] = Term(_term_key(kind, source, target_, partners), kind, source, target_, tuple(sorted(partners)))
        return terms[key]

    def use(f: Figure, share: float, share_basis: str) -> Use | None:
        w = weigh(value=f.value, lexical=f.lexical, low=f.low, high=f.high, confidence=f.confidence,
                  approximate=f.approximate, estimated=f.estimated, standard_uncertainty=f.standard_uncertainty,
                  relative_uncertainty=f.relative_uncertainty, assumptions=a)
        if not w.usable:
            not_used.append((f, w.basis))
            return None
        k = f.factor * share   # t/year over one year is t
        return Use(f, w.value * k, w.sd * k, w.basis, share, share_basis)

    for f, s, sb in node_figs:
        c = f.subject
        if c not in nodeset:
            not_used.append((f, "its country has no measured term on the other side of its balance"))
            continue
        kind = NODE_MEASURES[f.measure]
        t = term((kind, c), kind, None if kind == "production" else c, c if kind == "production" else None)
        u = use(f, s, sb)
        if u:
            t.uses.append(u)
    for iri, fl in sorted(flows.items()):
        o, d = placed[iri]
        on = o & nodeset
        dn = d & nodeset
        figs = flow_figs.get(iri, [])
        if len(on) > 1 or len(dn) > 1:
            for f, _, _ in figs:
                not_used.append((f, "the flow starts or ends in several countries of the balance"))
            continue
        src = next(iter(on)) if on and len(o) == 1 else None
        dst = next(iter(dn)) if dn and len(d) == 1 else None
        if src is None and dst is None:
            for f, _, _ in figs:
                not_used.append((f, "neither end of the flow is a country of the balance"))
            continue
        if src is not None and dst == src:
            t = term(("domestic use", src), "domestic use", src, None)
        elif src is not None and dst is not None:
            t = term(("flow", src, dst), "flow", src, dst)
        elif src is not None:
            t = term(("export", src, tuple(sorted(d - {src}))), "export", src, None, d - {src})
        else:
            t = term(("import", dst, tuple(sorted(o - {dst}))), "import", None, dst, o - {dst})
        t.flows.append(iri)
        for f, s, sb in figs:
            u = use(f, s, sb)
            if u:
                t.uses.append(u)
    # closure
    closure = a.get("balance.closure")
    opened, kept = set(a.get("balance.open")), set(a.get("balance.closed"))
    closed = {}
    for c in nodes:
        ref = "country/" + c.rsplit("/", 1)[-1]
        is_closed = (closure == "closed" and ref not in opened) or (closure == "open" and ref in kept)
        closed[c] = is_closed
        if not is_closed:
            term(("unaccounted", c), "unaccounted", c, None)
    net = Network(target, year, nodes, sorted(terms.values(), key=lambda t: t.key), not_used, None, [], closed)
    if nodes:
        _solve(net, a)
    return net


def _term_key(kind, source, target, partners) -> str:
    def code(c):
        return c.rsplit("/", 1)[-1].lower() if c else "outside"
    if kind in ("production", "import"):
        base = f"{code(target)}-{kind.replace(' ', '-')}"
    else:
        base = f"{code(source)}-{kind.replace(' ', '-')}"
    if kind == "flow":
        base = f"{code(source)}-to-{code(target)}"
    if partners and kind in ("export", "import"):
        base += ("-to-" if kind == "export" else "-from-") + "-".join(code(p) for p in sorted(partners))
    return base


# ------------------------------------------------------------------ solving
def _solve(net: Network, a: Assumptions) -> None:
    qs: list[solver.Quantity] = []
    inflow, outflow = defaultdict(list), defaultdict(list)
    extra: list[solver.Balance] = []
    for t in net.terms:
        if not t.uses:
            q = t.key
            qs.append(solver.Quantity(q))
            first = last = q
        else:
            ids = []
            for i, u in enumerate(t.uses):
                u.qid = f"{t.key}#{i + 1}"
                qs.append(solver.Quantity(u.qid, u.value, u.sd))
                ids.append(u.qid)
            for i in range(len(ids) - 1):
                extra.append(solver.node(f"{t.key}#same-{i + 1}", [ids[i]], [ids[i + 1]]))
            first, last = ids[0], ids[-1]
        if t.source:
            outflow[t.source].append(first)
        if t.target:
            inflow[t.target].append(last)
    balances = [solver.node(c, inflow[c], outflow[c]) for c in net.nodes] + extra
    res = solver.solve(qs, balances, alpha=a.get("significance"))
    net.result = res
    for t in net.terms:
        ids = [u.qid for u in t.uses] or [t.key]
        e = res.estimate(ids[-1])
        t.value, t.se = e.value, e.se
        t.status = "not determinable" if e.value is None else (
            "reconciled" if any(res.estimate(i).status == solver.ADJUSTED for i in ids) else
            "determined" if e.status == solver.DETERMINED else "as measured")
        for u in t.uses:
            eu = res.estimate(u.qid)
            u.reconciled, u.se, u.adjustment, u.z, u.flagged, u.status = (
                eu.value, eu.se, eu.adjustment, eu.z, eu.flagged, eu.status)
    _findings(net, res)


def _label(u: Use) -> str:
    return u.figure.statement_id or u.figure.statement


def component_of(net: Network, t: Term) -> solver.Component | None:
    """The connected part of the network a term belongs to."""
    if net.result is None:
        return None
    names = {n for n in (t.source, t.target) if n} | {f"{t.key}#same-1"}
    for c in net.result.components:
        if names & set(c.balances):
            return c
    return None


def _findings(net: Network, res: solver.Result) -> None:
    name = f"{net.target.rsplit('#', 1)[-1].rsplit('/', 1)[-1]} {net.year}"
    alpha = res.alpha
    for p in res.problems:
        net.findings.append(Finding(f"{net.key}-problem-{len(net.findings) + 1}", "cannot hold", p))
    by_comp: dict[int, list[Use]] = defaultdict(list)
    comps = {}
    for t in net.terms:
        c = component_of(net, t)
        if c is not None:
            comps[id(c)] = c
            by_comp[id(c)] += [u for u in t.uses if u.z is not None]
    for cid, uses in sorted(by_comp.items(), key=lambda kv: sorted(comps[kv[0]].balances)):
        c = comps[cid]
        uses.sort(key=lambda u: (-u.z, -abs((u.adjustment or 0) / u.sd) if u.sd else 0, _label(u)))
        flagged = [u for u in uses if u.flagged]
        where = ", ".join(n.rsplit("/", 1)[-1] for n in c.balances if "#" not in n)
        for u in flagged:
            f = u.figure
            others = [v for t in net.terms if u in t.uses for v in t.uses if v is not u]
            also = (f"; the same quantity is also given by {', '.join(_label(v) for v in others)}" if others else "")
            net.findings.append(Finding(
                f"{net.key}-{_slug(f.iri)}", "inconsistent",
                f"{name} ({where}): the figure {f.written} {_unit_text(f.unit)} of statement {_label(u)} does not fit the "
                f"balance: reconciled to {u.reconciled:.4g} t (adjusted by {u.adjustment:+.4g} t), normalised adjustment "
                f"{u.z:.2f} above the critical {res.z_critical:.2f}{also}", [u]))
        if c.dof and c.p_value < alpha and not flagged and uses:
            top = [u for u in uses if math.isclose(u.z, uses[0].z, rel_tol=1e-6)]
            net.findings.append(Finding(
                f"{net.key}-{'-'.join(n.rsplit('/', 1)[-1].lower() for n in c.balances if '#' not in n)}-balance",
                "inconsistent",
                f"{name} ({where}): the figures do not add up (chi-square {c.chi2:.3g} on {c.dof} degrees of freedom, "
                f"p = {c.p_value:.2g}); no single figure fails the measurement test; least consistent: "
                + ", ".join(_label(u) for u in top), top))
