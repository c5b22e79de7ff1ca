"""One run of the reconciliation over a graph: balances, element content and royalties, mirror
statistics; as a readable report, as JSON, and as the quads of `{base}/graph/reconciled`."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..vocab import OT, PROV, QUDT, RDF, RDFS, IRIs
from . import balance, content, mirror
from .assumptions import Assumptions, load
from .parts import PARTS
from .balance import _unit_text
from .data import GraphData, Runner, number, store_runner
from .rdf import _Out, activity, dec, findings_quads, network_quads

CONTENT_METHOD = ("contained element = tonnage x concentration x concentration factor x recovery share, and royalty "
                  "due = rate x value, each factor a range (a stated range, a value +- coverage x its standard "
                  "uncertainty, or an assumption); interval arithmetic on non-negative ranges")
MIRROR_METHOD = ("mirror statistics: the importer's declaration against the exporter's for the same pair, commodity and "
                 "period; money compared with a CIF/FOB allowance, tonnes without; a finding outside the tolerance")


@dataclass
class Report:
    assumptions: Assumptions
    networks: list[balance.Network] = field(default_factory=list)
    estimates: list[content.Estimate] = field(default_factory=list)
    pairs: list[mirror.Pair] = field(default_factory=list)
    data: GraphData | None = None

    @property
    def finding_count(self) -> int:
        return (sum(len(n.findings) for n in self.networks) + sum(len(e.findings) for e in self.estimates)
                + sum(1 for p in self.pairs if p.differs))

    def labels(self) -> dict[str, str]:
        want = set()
        for n in self.networks:
            want |= {n.target, *n.nodes}
            for t in n.terms:
                want |= set(t.partners) | set(t.flows) | {u.figure.document or "" for u in t.uses}
        for e in self.estimates:
            want |= {e.flow, e.element, e.royalty or "", e.law or ""}
            want |= {i.figure.document or "" for i in e.inputs if i.figure}
        for p in self.pairs:
            want |= {p.origin, p.destination, p.export_flow, p.import_flow}
        want.discard("")
        return self.data.labels(want) if self.data else {}


def reconcile(data: GraphData, a: Assumptions, target: str | None = None, year: int | None = None,
              parts=PARTS) -> Report:
    r = Report(a, data=data)
    if "balance" in parts:
        r.networks = balance.networks(data, a, target, year)
    if "content" in parts:
        el = target if target and data.is_element(target) else None
        r.estimates = [e for e in content.estimates(data, a, el)
                       if year is None or (e.period and e.period[0] <= year <= e.period[1])]
    if "mirror" in parts:
        r.pairs = [p for p in mirror.pairs(data, a) if year is None or p.period[0] <= year <= p.period[1]]
    return r


# ------------------------------------------------------------------ RDF
def quads(report: Report, iris: IRIs) -> list[ox.Quad]:
    labels = report.labels()
    a = report.assumptions
    classes = report.data.observation_classes() if report.data else {}
    out: list[ox.Quad] = []
    for n in report.networks:
        out += network_quads(n, iris, a, labels, classes)
    o = _Out(iris)
    for e in report.estimates:
        used = [i.figure.iri for i in e.inputs if i.figure]
        act = activity(o, iris, "content-estimate", e.key, f"element content and royalty of {labels.get(e.flow, e.flow)}",
                       CONTENT_METHOD, a, used)
        for kind, rng, unit in (("contained", e.contained, e.contained_unit), ("value", e.value, e.currency),
                                ("royalty-due", e.due, e.currency)):
            if rng is None:
                continue
            obs = f"{iris.base}/id/observation/estimated-{e.key}-{kind}"
            measure = {"contained": OT + "ContainedQuantity", "value": OT + "MonetaryValue", "royalty-due": OT + "RoyaltyDue"}[kind]
            o.add(obs, RDF + "type", OT + "DerivedObservation")
            o.add(obs, RDF + "type", classes.get(measure, OT + ("QuantityObservation" if kind == "contained" else "ValueObservation")))
            o.add(obs, RDFS + "label", ox.Literal(f"{labels.get(e.flow, e.flow)} · {labels.get(e.element, e.element)} · "
                                                  f"{kind.replace('-', ' ')} (range)", language="en"))
            o.add(obs, OT + "measures", measure)
            o.add(obs, OT + "subject", e.flow)
            o.add(obs, OT + "element", e.element)
            if e.period:
                if e.period[0] == e.period[1]:
                    o.add(obs, OT + "year", ox.Literal(str(e.period[0]), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
                else:
                    for p, v in (("periodStart", e.period[0]), ("periodEnd", e.period[1])):
                        o.add(obs, OT + p, ox.Literal(str(v), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
            o.add(obs, OT + "minValue", dec(rng[0]))
            if math.isfinite(rng[1]):
                o.add(obs, OT + "maxValue", dec(rng[1]))
            o.add(obs, QUDT + "hasUnit", _unit_iri(unit))
            o.add(obs, OT + "estimated", ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")))
            o.add(obs, PROV + "wasGeneratedBy", act)
            for f in used:
                o.add(obs, PROV + "wasDerivedFrom", f)
        for i, inp in enumerate(e.inputs):
            node = f"{act}#input-{i + 1}"
            o.add(act, OT + "reconciliationInput", node)
            o.add(node, RDF + "type", OT + "EstimateInput")
            o.add(node, RDFS + "label", ox.Literal(inp.name, language="en"))
            o.add(node, OT + "uncertaintyBasis", ox.Literal(inp.basis, language="en"))
            if inp.figure:
                o.add(node, OT + "inputFigure", inp.figure.iri)
                o.add(node, OT + "inputStatement", inp.figure.statement)
            if inp.assumption:
                o.add(node, OT + "assumptionKey", ox.Literal(inp.assumption))
            # (the range used; not ot:minValue/maxValue, which only figures carry)
            if inp.low is not None:
                o.add(node, OT + "rangeLow", dec(inp.low))
            if inp.high is not None and math.isfinite(inp.high):
                o.add(node, OT + "rangeHigh", dec(inp.high))
            o.add(node, OT + "rangeUnit", ox.Literal(inp.unit))
        for m in e.missing:
            o.add(act, OT + "missingInput", ox.Literal(m, language="en"))
        for k, (kind, msg) in enumerate(e.findings):
            figs = [(i.figure.iri, i.figure.statement) for i in e.inputs if i.figure]
            findings_quads(o, iris, act, f"{e.key}-{kind.replace(' ', '-')}", kind, msg, figs, None)
    for p in report.pairs:
        act = activity(o, iris, "mirror", p.key, f"mirror statistics, {labels.get(p.origin, p.origin)} to "
                       f"{labels.get(p.destination, p.destination)}", MIRROR_METHOD, a, [p.exported.iri, p.imported.iri])
        obs = f"{iris.base}/id/comparison/mirror-{p.key}"
        o.add(obs, RDF + "type", OT + "MirrorComparison")
        o.add(obs, RDFS + "label", ox.Literal(p.message, language="en"))
        o.add(obs, OT + "exportFigure", p.exported.iri)
        o.add(obs, OT + "importFigure", p.imported.iri)
        o.add(obs, OT + "gap", dec(p.gap))
        if p.ratio is not None:
            o.add(obs, OT + "ratio", dec(p.ratio))
        o.add(obs, OT + "expectedRatio", dec(p.expected_factor))
        o.add(obs, OT + "comparisonUnit", _unit_iri(p.unit))   # a comparison, not a figure: no qudt:hasUnit
        o.add(obs, PROV + "wasGeneratedBy", act)
        o.add(obs, PROV + "wasDerivedFrom", p.exported.iri)
        o.add(obs, PROV + "wasDerivedFrom", p.imported.iri)
        if p.differs:
            findings_quads(o, iris, act, f"mirror-{p.key}", "declarations differ", p.message,
                           [(p.exported.iri, p.exported.statement), (p.imported.iri, p.imported.statement)], None)
    return sorted(set(out + o.quads), key=str)


def _unit_iri(unit: str | None) -> str:
    return {"t": "http://qudt.org/vocab/unit/TONNE", "t/year": "http://qudt.org/vocab/unit/TONNE-PER-YR",
            "EUR": "http://qudt.org/vocab/unit/CCY_EUR", "USD": "http://qudt.org/vocab/unit/CCY_USD"}.get(
        unit or "", "http://qudt.org/vocab/unit/UNITLESS")


def reconcile_quads(store: ox.Store, iris: IRIs, settings) -> list[ox.Quad]:
    """The build stage: every part of the reconciliation over `store`, with the default assumptions
    (or the file named by $ORETRACE_ASSUMPTIONS), as quads of `{base}/graph/reconciled`."""
    path = os.environ.get("ORETRACE_ASSUMPTIONS") or None
    a = load(path)
    qdir = getattr(settings, "queries_dir", None)
    data = GraphData.read(store_runner(store), Path(qdir) if qdir else None, iris.base)
    return quads(reconcile(data, a), iris)


def read(run: Runner, settings=None, base: str | None = None) -> GraphData:
    qdir = getattr(settings, "queries_dir", None) if settings else None
    return GraphData.read(run, Path(qdir) if qdir else None, base or (settings.base if settings else "https://w3id.org/oretrace"))


def store_reader(store: ox.Store, settings=None) -> GraphData:
    return read(store_runner(store), settings)


# ------------------------------------------------------------------ text and JSON
def rounded(v: float, se: float | None = None) -> str:
    """A value written to the precision its standard error allows (two significant digits of it)."""
    if se is None or se <= 0 or not math.isfinite(se):
        return f"{v:,.6g}" if abs(v) < 1e6 else f"{v:,.0f}"
    digits = max(0, 1 - int(math.floor(math.log10(se))))
    return f"{v:,.{digits}f}"


def _pm(v, se, unit="t") -> str:
    if v is None:
        return "not determinable"
    return f"{rounded(v, se)} ± {rounded(se, se)} {unit}" if se is not None else f"{rounded(v)} {unit}"


def _num(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def range_text(r, unit) -> str:
    """A range for people: "6,774 to 8,279 t", "at least 3.07 t", "453 to 715 ppm"."""
    if r is None:
        return "not computed"
    lo, hi = r
    if unit == "fraction":
        top = hi if math.isfinite(hi) else lo
        scale, unit = (1e6, "ppm") if top < 1e-3 else (100.0, "%")
        lo, hi = lo * scale, hi * scale
    if lo == hi:
        return f"{_num(lo)} {unit}".strip()
    if not math.isfinite(hi):
        return f"at least {_num(lo)} {unit}".strip()
    return f"{_num(lo)} to {_num(hi)} {unit}".strip()


_range = range_text


def text(report: Report) -> str:
    labels = report.labels()
    L = lambda i: labels.get(i, i.rsplit("#", 1)[-1].rsplit("/", 1)[-1]) if i else "outside"
    a = report.assumptions
    lines = [f"assumptions: {a.source} (version {a.version}, {a.digest})"]
    for n in report.networks:
        res = n.result
        lines.append("")
        lines.append(f"Balance of {L(n.target)}, {n.year}: nodes {', '.join(L(c) for c in n.nodes) or 'none'}"
                     + (f"; chi-square {res.chi2:.3g} on {res.dof} dof (p = {res.p_value:.2g}); critical normalised "
                        f"adjustment {res.z_critical:.3g}" if res else ""))
        for c in (res.components if res else []):
            names = [L(b) for b in c.balances if "#" not in b]
            lines.append(f"  part {', '.join(names)}: chi-square {c.chi2:.3g} on {c.dof} dof (p = {c.p_value:.2g})"
                         + (" INCONSISTENT" if c.dof and c.p_value < a.get("significance") else ""))
        for t in n.terms:
            who = L(t.node)
            what = t.kind + (f" ({', '.join(L(p) for p in t.partners)})" if t.partners else "")
            if t.kind == "flow":
                what = f"flow to {L(t.target)}"
            lines.append(f"  {who} · {what}: {t.status}, {_pm(t.value, t.se)}")
            for u in t.uses:
                z = f", normalised adjustment {u.z:.2f}" + (" FLAGGED" if u.flagged else "") if u.z is not None else ""
                lines.append(f"      {number(u.value)} ± {rounded(u.sd, u.sd)} t [{u.basis}{'; ' + u.share_basis if u.share_basis else ''}]"
                             f" -> {_pm(u.reconciled, u.se)}{z}  ({u.figure.statement_id or u.figure.statement})")
        for f, why in n.not_used:
            lines.append(f"  set aside: {f.statement_id or f.iri} ({f.written} {_unit_text(f.unit)}): {why}")
        for fd in n.findings:
            lines.append(f"  FINDING: {fd.message}")
    for e in report.estimates:
        lines.append("")
        per = "" if not e.period else (f" ({e.period[0]})" if e.period[0] == e.period[1] else f" ({e.period[0]}-{e.period[1]})")
        lines.append(f"Content of {L(e.element)} in {L(e.flow)}{per}: {_range(e.contained, e.contained_unit)}")
        if e.value:
            lines.append(f"  value: {_range(e.value, e.currency)}")
        if e.royalty:
            lines.append(f"  royalty: {L(e.royalty)} ({L(e.law) if e.law else 'law not given'}); due {_range(e.due, e.currency or '')}"
                         f"; declared {_range(e.declared, e.currency or '') if e.declared else 'unknown'} ({e.declared_basis})")
        for i in e.inputs:
            src = f" ({i.figure.statement_id})" if i.figure else f" (assumption {i.assumption})" if i.assumption else ""
            lines.append(f"  input {i.name}: {_range((i.low, i.high), i.unit) if i.known else 'missing'} [{i.basis}]{src}")
        for m in e.missing:
            lines.append(f"  missing: {m}")
        for note in e.notes:
            lines.append(f"  note: {note}")
        for kind, msg in e.findings:
            lines.append(f"  FINDING ({kind}): {msg}")
    if report.pairs:
        lines.append("")
        lines.append("Mirror statistics")
        for p in report.pairs:
            lines.append(f"  {'FINDING: ' if p.differs else ''}{p.message}  ({p.exported.statement_id} / {p.imported.statement_id})")
    lines.append("")
    lines.append(f"{report.finding_count} finding{'s' if report.finding_count != 1 else ''}")
    return "\n".join(lines)


def as_json(report: Report) -> dict:
    def fig(f):
        return {"figure": f.iri, "statement": f.statement, "statement_id": f.statement_id, "document": f.document,
                "where": f.where, "written": f.written, "unit": f.unit}

    def num(v):
        return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v
    out = {"assumptions": {"source": report.assumptions.source, "version": report.assumptions.version,
                           "digest": report.assumptions.digest, "values": report.assumptions.values},
           "balances": [], "content": [], "mirror": [], "findings": report.finding_count}
    for n in report.networks:
        res = n.result
        out["balances"].append({
            "target": n.target, "year": n.year, "nodes": n.nodes,
            "chi2": res.chi2 if res else None, "dof": res.dof if res else 0, "p_value": res.p_value if res else None,
            "z_critical": res.z_critical if res else None,
            "parts": [{"balances": c.balances, "chi2": c.chi2, "dof": c.dof, "p_value": c.p_value} for c in (res.components if res else [])],
            "terms": [{"key": t.key, "kind": t.kind, "node": t.node, "from": t.source, "to": t.target, "partners": list(t.partners),
                       "flows": t.flows, "status": t.status, "value": t.value, "se": t.se,
                       "inputs": [{**fig(u.figure), "value": u.value, "sd": u.sd, "basis": u.basis, "share": u.share,
                                   "reconciled": u.reconciled, "se": u.se, "adjustment": u.adjustment, "z": u.z,
                                   "flagged": u.flagged} for u in t.uses]} for t in n.terms],
            "set_aside": [{**fig(f), "reason": why} for f, why in n.not_used],
            "findings": [{"key": fd.key, "kind": fd.severity, "message": fd.message,
                          "figures": [u.figure.iri for u in fd.uses]} for fd in n.findings]})
    for e in report.estimates:
        out["content"].append({
            "flow": e.flow, "element": e.element, "period": list(e.period) if e.period else None,
            "contained": [num(x) for x in e.contained] if e.contained else None, "contained_unit": e.contained_unit,
            "value": list(e.value) if e.value else None, "currency": e.currency, "royalty": e.royalty, "law": e.law,
            "due": list(e.due) if e.due else None, "declared": list(e.declared) if e.declared else None,
            "declared_basis": e.declared_basis,
            "inputs": [{"name": i.name, "low": num(i.low), "high": num(i.high), "unit": i.unit, "basis": i.basis,
                        "assumption": i.assumption, **(fig(i.figure) if i.figure else {})} for i in e.inputs],
            "missing": e.missing, "notes": e.notes, "findings": [{"kind": k, "message": m} for k, m in e.findings]})
    for p in report.pairs:
        out["mirror"].append({"kind": p.kind, "origin": p.origin, "destination": p.destination, "period": list(p.period),
                              "export": {**fig(p.exported), "value": p.export_value},
                              "import": {**fig(p.imported), "value": p.import_value}, "unit": p.unit,
                              "expected_ratio": p.expected_factor, "gap": p.gap, "ratio": p.ratio,
                              "differs": p.differs, "message": p.message})
    return out
