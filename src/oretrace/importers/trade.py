"""Bilateral trade statistics: one flow per row, its quantity and value as figures of the flow.

Accepted layouts (header row required, column order free, names case-insensitive):

* oretrace: `year, exporter, importer, commodity_code, quantity, unit, value_usd`; instead of
  `quantity` + `unit` a single `quantity_t`, `quantity_kt` or `quantity_kg` column may be given.
  The rows are the exporters' declarations, or, with `--flow import`, the importers'.
* reporter and partner (mirror statistics): `year, reporter, partner, flow, commodity_code, ...`,
  where `flow` is `export` (or X) for what the reporter declared sending to the partner and
  `import` (or M) for what it declared receiving from it; instead of the column, `--flow` may
  give the direction of every row.
* CEPII BACI: `t, i, j, k, v, q` (year, exporter, importer as ISO 3166 numeric codes, HS code,
  value in thousand US dollars, quantity in tonnes), read as exports.

Each row becomes `flow/<name>-<line>`: an `ot:Export` (declared by the country it leaves) or an
`ot:Import` (declared by the country it enters) with its origin, destination, year, commodity
code and material, and no number. Its tonnage is a `FlowQuantityObservation` measuring
`ExportQuantity` or `ImportQuantity` and its value a `ValueObservation` measuring
`MonetaryValue` in US dollars, each with the flow as subject (docs/modelling.md). The exporter's
and the importer's declaration of the same trade are two flows side by side, each from its own
row and file, so a query can compare them.

Countries may be ISO 3166 codes (alpha-2, alpha-3, numeric) or names (see countries.py).
Numbers follow reading.number (a point for decimals; `--decimal-comma` for files that write
0,5). A row is refused when a number is negative or beyond MAX_TONNES / MAX_USD, when origin
and destination are the same country, or when it repeats an earlier row (same year, origin,
destination, code and direction); a unit value (USD per tonne) outside UNIT_VALUE_USD_PER_T is
imported with a warning naming its line. Commodity codes must be six-digit codes of the HS 2022
nomenclature (hs.py).
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal

from ..units import UNITS
from ..vocab import OT
from . import countries, hs, nt
from .common import A, BATCH_ROWS, LABEL, DatasetInfo, ImportFailure, emit_place, figure, figure_label
from .reading import Table, number

ALIASES = {"hs_code": "commodity_code", "hs6": "commodity_code", "commodity": "commodity_code", "cmdcode": "commodity_code",
           "value": "value_usd", "trade_value_usd": "value_usd", "primaryvalue": "value_usd", "qty": "quantity",
           "qty_unit": "unit", "quantity_unit": "unit", "qtyunitabbr": "unit", "period": "year", "refyear": "year",
           "reporteriso": "reporter", "partneriso": "partner", "flowcode": "flow", "trade_flow": "flow",
           "direction": "flow"}
FIXED_UNIT = {"quantity_t": "t", "quantity_kt": "kt", "quantity_kg": "kg", "quantity_tonnes": "t"}
BACI = {"t": "year", "i": "exporter", "j": "importer", "k": "commodity_code", "v": "value_kusd", "q": "quantity_t"}
MASS_UNITS = {k: u for k, u in UNITS.items() if u.dimension == "mass"}
DIRECTIONS = {"export": "export", "exports": "export", "x": "export", "import": "import", "imports": "import", "m": "import"}
# direction -> (flow class, quantity measure, word in labels)
KINDS = {"export": ("Export", "ExportQuantity", "export"), "import": ("Import", "ImportQuantity", "import")}
EXPECTED = ("expected header: year,exporter,importer,commodity_code,quantity,unit,value_usd; or "
            "year,reporter,partner,flow,commodity_code,...; or the BACI header t,i,j,k,v,q")


def dataset(ctx) -> DatasetInfo:
    o = ctx.options
    title = o.get("title") or f"Trade statistics: {ctx.path.name}"
    return DatasetInfo(f"import-{ctx.name}", title, "Statistic", creators=[o["creator"]] if o.get("creator") else [],
                       publisher=ctx.iris.ref(o["publisher"]) if o.get("publisher") else None,
                       year=int(o["year"]) if o.get("year") else None,
                       description="Bilateral trade statistics imported with `oretrace import trade`; each row "
                                   "is one flow as the exporting or the importing country declared it.")


def _columns(header: list[str], fname: str, flow_option: str | None) -> dict[str, int]:
    norm = [h.strip().lower().replace(" ", "_").lstrip("\ufeff") for h in header]
    if set(norm) >= set(BACI) and len(norm) == len(BACI):
        if flow_option == "import":
            raise ValueError(f"{fname}:1: a BACI table holds reconciled flows from exporter to importer; leave out "
                             "--flow import")
        return {BACI[h]: i for i, h in enumerate(norm)}
    cols = {}
    for i, h in enumerate(norm):
        h = ALIASES.get(h, h)
        if h in cols:
            raise ValueError(f"{fname}:1: column {header[i][:80]!r} appears twice (keep one)")
        cols[h] = i
    mirror = "reporter" in cols or "partner" in cols
    ends = ("reporter", "partner") if mirror else ("exporter", "importer")
    required = ("year",) + ends + ("commodity_code",)
    known = set(required) | {"quantity", "unit", "value_usd", "flow"} | set(FIXED_UNIT)
    unknown = [header[i] for h, i in cols.items() if h not in known]
    missing = [c for c in required if c not in cols]
    qty = [c for c in cols if c == "quantity" or c in FIXED_UNIT]
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(repr(u[:80]) for u in unknown[:10])}"
                        + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""))
    if mirror and ("exporter" in cols or "importer" in cols):
        problems.append("both exporter/importer and reporter/partner columns (keep one pair)")
    if "flow" in cols and not mirror:
        problems.append("a 'flow' column goes with reporter and partner columns (exporter and importer already say "
                        "the direction)")
    if mirror and "flow" not in cols and not flow_option:
        problems.append("reporter and partner need a 'flow' column (export or import), or --flow for the whole file")
    if "flow" in cols and flow_option:
        problems.append("the file has a 'flow' column: leave out --flow")
    if len(qty) > 1:
        problems.append(f"several quantity columns ({', '.join(qty)}); keep one")
    if "quantity" in cols and "unit" not in cols:
        problems.append("a 'quantity' column needs a 'unit' column (or name it quantity_t, quantity_kt or quantity_kg)")
    if not qty and "value_usd" not in cols:
        problems.append("neither a quantity nor a value column")
    if problems:
        raise ValueError(f"{fname}:1: {'; '.join(problems)} ({EXPECTED})")
    return cols


# Plausibility: a row beyond a limit is refused, a unit value outside the range is imported with a warning.
MAX_TONNES = Decimal("1e10")     # tonnes in one flow
MAX_USD = Decimal("1e13")        # US dollars in one flow
UNIT_VALUE_USD_PER_T = (Decimal("0.01"), Decimal("1e9"))
FACTORS = {k: (Decimal(str(u.factor)), MAX_TONNES / Decimal(str(u.factor))) for k, u in MASS_UNITS.items()}


def run(ctx) -> None:
    em, iris = ctx.emitter, ctx.iris
    nomen = hs.load(ctx.settings.shared_dir)
    if not nomen.full:
        ctx.notes.append("the full HS nomenclature (../shared/external/hs-codes) is absent: commodity codes were "
                         "checked against oretrace's short list only")
    this_year = _dt.date.today().year
    P = {k: nt.iri(v) for k, v in {
        "origin": OT + "origin", "destination": OT + "destination", "year": OT + "year",
        "code": OT + "commodityCode", "material": OT + "material", "usd": UNITS["USD"].iri}.items()}
    flow_class = {d: nt.iri(OT + k[0]) for d, k in KINDS.items()}
    unit_terms = {k: nt.iri(u.iri) for k, u in MASS_UNITS.items()}
    fname = ctx.path.name
    dc = bool(ctx.options.get("decimal_comma"))
    flow_option = ctx.options.get("flow")
    if flow_option is not None and flow_option not in KINDS:
        raise ImportFailure([f"--flow {flow_option!r}: give export or import"])
    seen: dict[int, int] = {}
    prog = ctx.progress(f"import {ctx.name}")
    table = Table(ctx.path, ctx.options)
    records = table.records()
    first = next(records, None)
    if first is None:
        raise ImportFailure([f"{fname}:1: the file is empty (a header row and data rows are expected)"])
    header = first[1]
    try:
        cols = _columns(header, fname, flow_option)
    except ValueError as e:
        raise ImportFailure([str(e)]) from None
    if "value_kusd" in cols:
        ctx.notes.append("a BACI table: its flows, reconciled by CEPII from both declarations, are imported as exports")
    width = len(header)
    fixed_unit = next((FIXED_UNIT[c] for c in cols if c in FIXED_UNIT), None)
    qname = next((c for c in cols if c == "quantity" or c in FIXED_UNIT), None)
    qcol = cols.get(qname)
    ucol, vcol = cols.get("unit"), cols.get("value_usd", cols.get("value_kusd"))
    vfactor = Decimal(1000) if "value_kusd" in cols else Decimal(1)
    vlimit = MAX_USD / vfactor
    mirror = "reporter" in cols
    yc, cc = cols["year"], cols["commodity_code"]
    ac, bc = (cols["reporter"], cols["partner"]) if mirror else (cols["exporter"], cols["importer"])
    fc = cols.get("flow")
    n = 0
    for line, row in records:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        n += 1
        if len(row) != width:
            ctx.bad(line, f"{len(row)} fields where the header has {width} "
                          "(the file may be truncated, or a field holds an unquoted comma)")
            continue
        try:
            year = row[yc].strip()
            if not (re.fullmatch(r"[0-9]{4}", year) and 1900 <= int(year) <= this_year):
                raise ValueError(f"year {row[yc][:40]!r} is not a year between 1900 and {this_year}")
            if fc is not None:
                direction = DIRECTIONS.get(row[fc].strip().lower())
                if direction is None:
                    raise ValueError(f"flow {row[fc][:40]!r} is not export or import (re-exports and re-imports "
                                     "are not read)")
            else:
                direction = flow_option or "export"
            a, b = countries.resolve(row[ac]), countries.resolve(row[bc])
            # exporter/importer columns name origin and destination; a reporter is the origin of what it exports
            exp, imp = (b, a) if mirror and direction == "import" else (a, b)
            if exp == imp:
                raise ValueError(f"origin and destination are both {exp.code} (a flow crosses a border; use within a "
                                 "country is not trade)")
            code = hs.normalise(row[cc])
            if code is None:
                raise ValueError(f"commodity code {row[cc][:40]!r} is not six digits (write e.g. 260800 or 2608.00)")
            if code not in nomen.codes:
                raise ValueError(f"commodity code {code} is not in the HS 2022 nomenclature (check the code)")
            qty = unit = None
            if qcol is not None and row[qcol].strip():
                unit = fixed_unit or row[ucol].strip()
                if unit not in MASS_UNITS:
                    raise ValueError(f"unit {unit[:40]!r} is not one oretrace knows for a quantity of goods "
                                     f"(use one of {', '.join(MASS_UNITS)}; convert the column first)")
                factor, qlimit = FACTORS[unit]
                qty = number(row[qcol], "quantity", dc, qlimit)
                if qty < 0:
                    raise ValueError(f"quantity {row[qcol]!r} is negative (a flow's quantity is zero or more)")
            val = None
            if vcol is not None and row[vcol].strip():
                val = number(row[vcol], "value", dc, vlimit)
                if val < 0:
                    raise ValueError(f"value {row[vcol]!r} is negative (a flow's value is zero or more)")
                val *= vfactor
            if qty is None and val is None:
                raise ValueError("neither quantity nor value is given (fill one in, or drop the row)")
        except (ValueError, countries.UnknownPlace) as e:
            ctx.bad(line, str(e))
            continue
        key = hash((year, exp.code, imp.code, code, direction))
        if key in seen:
            ctx.bad(line, f"repeats line {seen[key]} (same year, origin, destination, commodity code and direction; "
                          "keep one)")
            continue
        seen[key] = line
        if qty and val:
            per_t = val / (qty * factor)
            lo, hi = UNIT_VALUE_USD_PER_T
            if not lo <= per_t <= hi:
                ctx.warn(line, f"unit value {float(per_t):.3g} USD/t is far outside what traded ores and metals cost "
                               f"({lo} to {hi:,.0f} USD/t): check the quantity's unit and the decimal separator")
        cls, measure, word = KINDS[direction]
        flow = nt.iri(iris.entity("flow", f"{ctx.name}-{line}"))
        o, d = emit_place(em, exp), emit_place(em, imp)
        mat = hs.emit_material(em, nomen, code)
        name = f"{exp.code} to {imp.code}, HS {code[:4]}.{code[4:]}"
        yr = int(year)
        t = [(flow, A, flow_class[direction]), (flow, LABEL, nt.lit(f"{name}, {year} ({word})", "en")),
             (flow, P["origin"], o), (flow, P["destination"], d),
             (flow, P["year"], nt.integer(yr)), (flow, P["code"], nt.lit(code)), (flow, P["material"], mat)]
        about = [flow]
        if qty is not None:
            q = nt.iri(iris.entity("observation", f"{ctx.name}-{line}-quantity"))
            t += figure(q, "FlowQuantityObservation", measure, flow, qty, unit_terms[unit],
                        figure_label(name, f"{word} quantity", year), year=yr, material=mat)
            about.append(q)
        if val is not None:
            v = nt.iri(iris.entity("observation", f"{ctx.name}-{line}-value"))
            t += figure(v, "ValueObservation", "MonetaryValue", flow, val, P["usd"], figure_label(name, "value", year),
                        year=yr, material=mat)
            about.append(v)
        em.statement(f"r{line}", t, about, {"row": line}, line=line)
        ctx.rows += 1
        if n % BATCH_ROWS == 0:
            em.flush()
            prog.update(n, table.bytes_read)
    ctx.warnings.extend(table.warnings)
    prog.update(n, table.bytes_read, force=n > BATCH_ROWS)
