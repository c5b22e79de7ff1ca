"""Mirror statistics: an exporter's declaration of a trade set beside the importer's.

A pair is an export flow and an import flow from the same country to the same country, of the same
commodity (the same material, a trade category holding the other's material, or the same commodity
code), in the same period, each with a figure of the same kind: tonnes (ExportQuantity against
ImportQuantity) or money (MonetaryValue on both). Importers value goods with freight and
insurance (CIF), exporters without (FOB), so for money the importer's figure is expected to be
the exporter's times (1 + cif_fob); tonnes are expected to match. The gap is importer minus
expected; the ratio importer over expected. A pair outside 1 +- tolerance, or with one side zero
and the other not, is a finding. The allowance and the tolerance are in assumptions.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..units import BY_IRI
from ..vocab import OT
from .assumptions import Assumptions
from .data import Figure, Flow, GraphData

EXPORT, IMPORT = OT + "Export", OT + "Import"
KINDS = {"tonnes": (OT + "ExportQuantity", OT + "ImportQuantity"), "money": (OT + "MonetaryValue", OT + "MonetaryValue")}


@dataclass
class Pair:
    kind: str                        # tonnes | money
    origin: str
    destination: str
    period: tuple[int, int]
    export_flow: str
    import_flow: str
    exported: Figure
    imported: Figure
    export_value: float
    import_value: float
    unit: str
    expected_factor: float
    gap: float = 0.0
    ratio: float | None = None
    differs: bool = False
    message: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        o, d = self.origin.rsplit("/", 1)[-1].lower(), self.destination.rsplit("/", 1)[-1].lower()
        p = f"{self.period[0]}" if self.period[0] == self.period[1] else f"{self.period[0]}-{self.period[1]}"
        return f"{o}-{d}-{self.export_flow.rsplit('/', 1)[-1]}-{self.kind}-{p}"


def _countries(data: GraphData, places: set[str]) -> set[str]:
    out: set[str] = set()
    for p in places:
        out |= data.countries_of.get(p, set())
    return out


def _same_commodity(data: GraphData, a: Flow, b: Flow) -> bool:
    if a.materials & b.materials or (a.commodities and a.commodities & b.commodities):
        return True
    for m in a.materials:
        for n in b.materials:
            if n in data.members_of.get(m, set()) or m in data.members_of.get(n, set()):
                return True
    return False


def pairs(data: GraphData, a: Assumptions) -> list[Pair]:
    cif = a.get("mirror.cif_fob") / 100
    tol = a.get("mirror.tolerance") / 100
    by_subject: dict[str, list[Figure]] = {}
    for f in data.figures:
        by_subject.setdefault(f.subject, []).append(f)
    exports, imports = [], []
    for fl in data.flows.values():
        o, d = _countries(data, fl.origins), _countries(data, fl.destinations)
        if len(o) != 1 or len(d) != 1 or o == d:
            continue
        if EXPORT in fl.kinds:
            exports.append((fl, next(iter(o)), next(iter(d))))
        if IMPORT in fl.kinds:
            imports.append((fl, next(iter(o)), next(iter(d))))
    out = []
    for ex, o, d in sorted(exports, key=lambda x: x[0].iri):
        for im, o2, d2 in sorted(imports, key=lambda x: x[0].iri):
            if (o, d) != (o2, d2) or ex.iri == im.iri or not _same_commodity(data, ex, im):
                continue
            for kind, (xm, im_measure) in KINDS.items():
                xs = [f for f in by_subject.get(ex.iri, []) if f.measure == xm and f.value is not None and f.period]
                ms = [f for f in by_subject.get(im.iri, []) if f.measure == im_measure and f.value is not None and f.period]
                for fx in xs:
                    for fm in ms:
                        if fx.period != fm.period:
                            continue
                        ux, um = BY_IRI.get(fx.unit), BY_IRI.get(fm.unit)
                        if not ux or not um or ux.dimension != um.dimension:
                            continue
                        vx, vm = fx.value * ux.factor, fm.value * um.factor
                        expected = 1 + cif if kind == "money" else 1.0
                        p = Pair(kind, o, d, fx.period, ex.iri, im.iri, fx, fm, vx, vm, ux.base, expected)
                        _judge(p, tol)
                        out.append(p)
    return out


def _judge(p: Pair, tol: float) -> None:
    exp = p.export_value * p.expected_factor
    p.gap = p.import_value - exp
    p.ratio = p.import_value / exp if exp else None
    allowance = f" (importer's CIF expected {100 * (p.expected_factor - 1):g} % above the exporter's FOB)" if p.kind == "money" else ""
    who = f"{p.origin.rsplit('/', 1)[-1]} to {p.destination.rsplit('/', 1)[-1]}"
    per = f"{p.period[0]}" if p.period[0] == p.period[1] else f"{p.period[0]}-{p.period[1]}"
    if (p.export_value == 0) != (p.import_value == 0):
        p.differs = True
        zero = "importer" if p.import_value == 0 else "exporter"
        p.message = (f"{who} {per}: the exporter declares {p.exported.written} {p.unit} and the importer "
                     f"{p.imported.written} {p.unit}; the {zero} records nothing of a trade the other side declares")
    elif p.ratio is not None and not (1 - tol <= p.ratio <= 1 + tol):
        p.differs = True
        p.message = (f"{who} {per}: importer's {p.imported.written} against exporter's {p.exported.written} {p.unit}"
                     f"{allowance}: ratio {p.ratio:.3g}, outside 1 +- {tol:g}")
    else:
        p.message = f"{who} {per}: the declarations agree within {tol:g}{allowance}"
