"""The royalty report as a CSV for a report: one row per input of each royalty estimate (the flow, the
element contained, the royalty due and declared, the law that sets it), with the statement, source and
locator of every figure, or the assumption used where no source gives one. The Royalty page shows the
same estimates (views/royalty.py); this module only lays them out as rows."""

from __future__ import annotations

from oretrace.reconcile import run as R
from views.balance import report

COLUMNS = ["flow", "element", "period", "element contained", "royalty due", "royalty declared", "royalty",
           "law", "input", "as written", "range used", "how", "source", "locator", "statement", "flow IRI", "law IRI"]


def rows(g) -> list[list]:
    rep = report(g)
    labels = rep.labels()
    out = []
    for e in rep.estimates:
        period = "" if not e.period else str(e.period[0]) if e.period[0] == e.period[1] else f"{e.period[0]}–{e.period[1]}"
        head = [labels.get(e.flow, e.flow), labels.get(e.element, e.element.rsplit("#", 1)[-1]), period,
                R.range_text(e.contained, e.contained_unit), R.range_text(e.due, e.currency or "") if e.due else "unknown",
                R.range_text(e.declared, e.currency or "") if e.declared else "unknown",
                labels.get(e.royalty, "") if e.royalty else "", labels.get(e.law, "") if e.law else ""]
        for i in e.inputs + ([e.stated] if e.stated else []):
            f = i.figure
            out.append(head + [i.name, f"{f.written} {R._unit_text(f.unit)}" if f else "",
                               R.range_text((i.low, i.high), i.unit) if i.known else "missing", i.basis,
                               labels.get(f.document, f.document or "") if f and f.document else
                               ("assumption " + (i.assumption or "") if i.assumption else ""),
                               f.where or "" if f else "", f.statement if f else "", e.flow, e.law or ""])
        for m in e.missing:
            out.append(head + [m, "", "missing", "", "", "", "", e.flow, e.law or ""])
    return out


def csv(g) -> bytes:
    from components import csv_bytes

    return csv_bytes(COLUMNS, rows(g))
