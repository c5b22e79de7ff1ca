"""Reconciliation results as RDF, in the graph `{base}/graph/reconciled`.

* one `prov:Activity` (also `ot:Reconciliation`) per network, with its method, tests and the
  assumptions it used, and `prov:used` for every figure it read;
* one `ot:ReconciledObservation` per term of the network, in the figure pattern (measure, subject,
  material, year, value, unit) with its standard error (`ot:standardUncertainty`), its status, and
  `prov:wasDerivedFrom` the figures it was reconciled from; per input figure an
  `ot:ReconciliationInput` node with the value used, its uncertainty and basis, the adjustment and
  the normalised adjustment;
* one `ot:ReconciliationFinding` per inconsistency, naming the figures and statements.

No blank nodes and a fixed order, so two runs on the same graph give the same quads.
"""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox

from ..vocab import DCTERMS, OT, PROV, QUDT, RDF, RDFS, SH, XSD, IRIs
from .assumptions import Assumptions
from .balance import KIND_MEASURE, Network, Term, _slug

UNIT_TONNE = "http://qudt.org/vocab/unit/TONNE"
STATUS = {"reconciled": OT + "Reconciled", "determined": OT + "Determined", "as measured": OT + "AsMeasured",
          "not determinable": OT + "NotDeterminable"}
METHOD = ("weighted least-squares data reconciliation under linear balance constraints (as in STAN, Cencic 2016): "
          "unmeasured quantities eliminated by projection; standard errors by linear error propagation; global "
          "chi-square test; measurement test on normalised adjustments with Sidak's correction")


def dec(v: float) -> ox.Literal:
    text = format(Decimal(f"{v:.10g}"), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".") or "0"
    if text in ("-0", ""):
        text = "0"
    return ox.Literal(text, datatype=ox.NamedNode(XSD + "decimal"))


def _int(v: int) -> ox.Literal:
    return ox.Literal(str(int(v)), datatype=ox.NamedNode(XSD + "integer"))


class _Out:
    def __init__(self, iris: IRIs):
        self.g = ox.NamedNode(iris.graph("reconciled"))
        self.quads: list[ox.Quad] = []

    def add(self, s: str, p: str, o) -> None:
        if isinstance(o, str):
            o = ox.NamedNode(o)
        self.quads.append(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, self.g))


def activity_iri(iris: IRIs, kind: str, key: str) -> str:
    return f"{iris.base}/id/activity/{kind}-{key}"


def activity(out: _Out, iris: IRIs, kind: str, key: str, label: str, method: str, a: Assumptions, used) -> str:
    act = activity_iri(iris, kind, key)
    out.add(act, RDF + "type", PROV + "Activity")
    out.add(act, RDF + "type", OT + "Reconciliation")
    out.add(act, RDFS + "label", ox.Literal(label, language="en"))
    out.add(act, DCTERMS + "description", ox.Literal(method, language="en"))
    out.add(act, OT + "assumptionsVersion", _int(a.version))
    out.add(act, OT + "assumptionsDigest", ox.Literal(a.digest))
    out.add(act, OT + "assumptions", ox.Literal(a.as_json()))
    for f in sorted(set(used)):
        out.add(act, PROV + "used", f)
    return act


def _term_label(net: Network, t: Term, labels: dict[str, str]) -> str:
    who = labels.get(t.node or "", (t.node or "outside").rsplit("/", 1)[-1])
    what = labels.get(net.target, net.target.rsplit("#", 1)[-1])
    kind = {"flow": f"flow to {labels.get(t.target or '', t.target or '')}"}.get(t.kind, t.kind)
    if t.kind in ("export", "import") and t.partners:
        kind += (" to " if t.kind == "export" else " from ") + ", ".join(labels.get(p, p.rsplit("/", 1)[-1]) for p in t.partners)
    return f"{who} · {what} · {kind} · {net.year} · reconciled"


def network_quads(net: Network, iris: IRIs, a: Assumptions, labels: dict[str, str],
                  classes: dict[str, str] | None = None) -> list[ox.Quad]:
    """The network's activity, reconciled observations (typed also with the observation class of
    their measure, `classes`: measure -> class, so they follow the figure pattern) and findings."""
    classes = classes or {}
    out = _Out(iris)
    res = net.result
    used = [u.figure.iri for u in net.uses()]
    what = labels.get(net.target, net.target.rsplit("#", 1)[-1])
    act = activity(out, iris, "reconciliation", net.key, f"reconciliation of the {what} balance, {net.year}", METHOD, a, used)
    if res is not None:
        out.add(act, OT + "chiSquare", dec(res.chi2))
        out.add(act, OT + "degreesOfFreedom", _int(res.dof))
        out.add(act, OT + "pValue", dec(res.p_value))
        out.add(act, OT + "significanceLevel", dec(res.alpha))
        out.add(act, OT + "criticalValue", dec(res.z_critical))
    for n in net.nodes:
        out.add(act, OT + "balanceOf", n)
    for i, (f, why) in enumerate(sorted(net.not_used, key=lambda x: x[0].iri)):
        node = f"{act}#set-aside-{i + 1}"
        out.add(act, OT + "setAside", node)
        out.add(node, OT + "inputFigure", f.iri)
        out.add(node, RDFS + "comment", ox.Literal(why, language="en"))
    for t in net.terms:
        if t.value is None:
            # not determinable: no figure to state, named on the activity
            node = f"{act}#not-determinable-{t.key}"
            out.add(act, OT + "notDeterminable", node)
            out.add(node, RDFS + "label", ox.Literal(_term_label(net, t, labels).replace(" · reconciled", " · not determinable"),
                                                     language="en"))
            out.add(node, OT + "concernsMeasure", KIND_MEASURE[t.kind])
            out.add(node, OT + "concerns", t.flows[0] if t.flows else (t.node or t.source or t.target))
            continue
        obs = f"{iris.base}/id/observation/reconciled-{net.key}-{t.key}"
        measure = KIND_MEASURE[t.kind]
        out.add(obs, RDF + "type", OT + "ReconciledObservation")
        out.add(obs, RDF + "type", classes.get(measure, OT + "QuantityObservation"))
        out.add(obs, RDFS + "label", ox.Literal(_term_label(net, t, labels), language="en"))
        out.add(obs, OT + "measures", measure)
        out.add(obs, OT + "subject", t.flows[0] if t.flows else (t.node or t.source or t.target))
        out.add(obs, OT + "material", net.target)
        out.add(obs, OT + "year", _int(net.year))
        if t.node:
            out.add(obs, OT + "place", t.node)
        for p in t.partners:
            out.add(obs, OT + "partner", p)
        out.add(obs, OT + "reconciliationStatus", STATUS[t.status])
        out.add(obs, PROV + "wasGeneratedBy", act)
        out.add(obs, OT + "estimated", ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")))
        out.add(obs, QUDT + "numericValue", dec(max(t.value, 0.0)) if t.value > -1e-12 else dec(t.value))
        out.add(obs, QUDT + "hasUnit", UNIT_TONNE)
        out.add(obs, OT + "standardUncertainty", dec(t.se or 0.0))
        for fl in t.flows[1:]:
            out.add(obs, OT + "sameQuantityAs", fl)
        for i, u in enumerate(t.uses):
            out.add(obs, PROV + "wasDerivedFrom", u.figure.iri)
            node = f"{obs}#input-{i + 1}"
            out.add(obs, OT + "reconciliationInput", node)
            out.add(node, RDF + "type", OT + "ReconciliationInput")
            out.add(node, OT + "inputFigure", u.figure.iri)
            out.add(node, OT + "inputStatement", u.figure.statement)
            out.add(node, OT + "measuredValue", dec(u.value))
            out.add(node, OT + "measurementUncertainty", dec(u.sd))
            out.add(node, OT + "uncertaintyBasis", ox.Literal(u.basis + (f"; {u.share_basis}" if u.share_basis else ""),
                                                              language="en"))
            if u.adjustment is not None:
                out.add(node, OT + "adjustment", dec(u.adjustment))
            if u.z is not None:
                out.add(node, OT + "normalisedAdjustment", dec(u.z))
            out.add(node, OT + "flagged", ox.Literal("true" if u.flagged else "false", datatype=ox.NamedNode(XSD + "boolean")))
    for fd in net.findings:
        findings_quads(out, iris, act, fd.key, fd.severity, fd.message, [(u.figure.iri, u.figure.statement) for u in fd.uses],
                       max((u.z or 0) for u in fd.uses) if fd.uses else None)
    return sorted(out.quads, key=str)


def findings_quads(out: _Out, iris: IRIs, act: str, key: str, severity: str, message: str,
                   figures: list[tuple[str, str]], z: float | None) -> str:
    node = f"{iris.base}/id/finding/{key}"
    out.add(node, RDF + "type", OT + "ReconciliationFinding")
    out.add(node, PROV + "wasGeneratedBy", act)
    out.add(node, OT + "severity", SH + ("Warning" if severity != "cannot hold" else "Violation"))
    out.add(node, OT + "findingKind", ox.Literal(severity))
    out.add(node, RDFS + "comment", ox.Literal(message, language="en"))
    for fig, st in figures:
        out.add(node, OT + "concernsFigure", fig)
        out.add(node, OT + "concernsStatement", st)
    if z is not None:
        out.add(node, OT + "normalisedAdjustment", dec(z))
    return node


__all__ = ["network_quads", "findings_quads", "activity", "dec", "_slug", "DCTERMS"]
