"""Bilateral trade statistics: one export flow per row, with its quantity and value.

Accepted layouts (header row required, column order free, names case-insensitive):

* oretrace: `year, exporter, importer, commodity_code, quantity, unit, value_usd`; instead of
  `quantity` + `unit` a single `quantity_t`, `quantity_kt` or `quantity_kg` column may be given.
* CEPII BACI: `t, i, j, k, v, q` (year, exporter, importer as ISO 3166 numeric codes, HS code,
  value in thousand US dollars, quantity in tonnes).

Countries may be ISO 3166 codes (alpha-2, alpha-3, numeric) or names (see countries.py).
Numbers follow reading.number (a point for decimals; `--decimal-comma` for files that write
0,5). A row is refused when a number is negative or beyond MAX_TONNES / MAX_USD, when exporter
and importer are the same country, or when it repeats an earlier row; a unit value (USD per
tonne) outside UNIT_VALUE_USD_PER_T is imported with a warning naming its line.
Commodity codes must be six-digit codes of the HS 2022 nomenclature (hs.py). Each row becomes
`flow/<name>-<line>`, an `ot:Export` from the exporter to the importer in that year, and, when
a value is given, a value observation of it in US dollars.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal

from ..units import UNITS
from ..vocab import OT, QUDT
from . import countries, hs, nt
from .common import A, BATCH_ROWS, LABEL, DatasetInfo, ImportFailure, emit_place
from .reading import Table, number

REQUIRED = ("year", "exporter", "importer", "commodity_code")
ALIASES = {"hs_code": "commodity_code", "hs6": "commodity_code", "commodity": "commodity_code", "cmdcode": "commodity_code",
           "value": "value_usd", "trade_value_usd": "value_usd", "reporter": "exporter", "partner": "importer",
           "qty": "quantity", "qty_unit": "unit", "quantity_unit": "unit", "period": "year"}
FIXED_UNIT = {"quantity_t": "t", "quantity_kt": "kt", "quantity_kg": "kg", "quantity_tonnes": "t"}
BACI = {"t": "year", "i": "exporter", "j": "importer", "k": "commodity_code", "v": "value_kusd", "q": "quantity_t"}
MASS_UNITS = {k: u for k, u in UNITS.items() if u.dimension == "mass"}


def dataset(ctx) -> DatasetInfo:
    o = ctx.options
    title = o.get("title") or f"Trade statistics: {ctx.path.name}"
    return DatasetInfo(f"import-{ctx.name}", title, "Statistic", creators=[o["creator"]] if o.get("creator") else [],
                       publisher=ctx.iris.ref(o["publisher"]) if o.get("publisher") else None,
                       year=int(o["year"]) if o.get("year") else None,
                       description="Bilateral trade statistics imported with `oretrace import trade`; each row "
                                   "is one flow from the exporting to the importing country.")


def _columns(header: list[str], fname: str) -> dict[str, int]:
    norm = [h.strip().lower().replace(" ", "_").lstrip("\ufeff") for h in header]
    if set(norm) >= set(BACI) and len(norm) == len(BACI):
        return {BACI[h]: i for i, h in enumerate(norm)}
    cols = {}
    for i, h in enumerate(norm):
        h = ALIASES.get(h, h)
        if h in cols:
            raise ValueError(f"{fname}:1: column {header[i]!r} appears twice (keep one)")
        cols[h] = i
    known = set(REQUIRED) | {"quantity", "unit", "value_usd"} | set(FIXED_UNIT)
    unknown = [header[i] for h, i in cols.items() if h not in known]
    missing = [c for c in REQUIRED if c not in cols]
    qty = [c for c in cols if c == "quantity" or c in FIXED_UNIT]
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(repr(u[:80]) for u in unknown[:10])}"
                        + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""))
    if len(qty) > 1:
        problems.append(f"several quantity columns ({', '.join(qty)}); keep one")
    if "quantity" in cols and "unit" not in cols:
        problems.append("a 'quantity' column needs a 'unit' column (or name it quantity_t, quantity_kt or quantity_kg)")
    if not qty and "value_usd" not in cols:
        problems.append("neither a quantity nor a value column")
    if problems:
        raise ValueError(f"{fname}:1: {'; '.join(problems)} (expected header: year,exporter,importer,"
                         "commodity_code,quantity,unit,value_usd, or the BACI header t,i,j,k,v,q)")
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
        "export": OT + "Export", "origin": OT + "origin", "destination": OT + "destination", "year": OT + "year",
        "code": OT + "commodityCode", "material": OT + "material", "num": QUDT + "numericValue", "unit": QUDT + "hasUnit",
        "vobs": OT + "ValueObservation", "subject": OT + "subject", "usd": UNITS["USD"].iri}.items()}
    unit_terms = {k: nt.iri(u.iri) for k, u in MASS_UNITS.items()}
    fname = ctx.path.name
    dc = bool(ctx.options.get("decimal_comma"))
    seen: dict[int, int] = {}
    prog = ctx.progress(f"import {ctx.name}")
    table = Table(ctx.path, ctx.options)
    records = table.records()
    first = next(records, None)
    if first is None:
        raise ImportFailure([f"{fname}:1: the file is empty (a header row and data rows are expected)"])
    header = first[1]
    try:
        cols = _columns(header, fname)
    except ValueError as e:
        raise ImportFailure([str(e)]) from None
    width = len(header)
    fixed_unit = next((FIXED_UNIT[c] for c in cols if c in FIXED_UNIT), None)
    qname = next((c for c in cols if c == "quantity" or c in FIXED_UNIT), None)
    qcol = cols.get(qname)
    ucol, vcol = cols.get("unit"), cols.get("value_usd", cols.get("value_kusd"))
    vfactor = Decimal(1000) if "value_kusd" in cols else Decimal(1)
    vlimit = MAX_USD / vfactor
    yc, ec, ic, cc = (cols[c] for c in REQUIRED)
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
                raise ValueError(f"year {row[yc]!r} is not a year between 1900 and {this_year}")
            exp = countries.resolve(row[ec])
            imp = countries.resolve(row[ic])
            if exp == imp:
                raise ValueError(f"exporter and importer are both {exp.code} (a flow crosses a border)")
            code = hs.normalise(row[cc])
            if code is None:
                raise ValueError(f"commodity code {row[cc]!r} is not six digits (write e.g. 260800 or 2608.00)")
            if code not in nomen.codes:
                raise ValueError(f"commodity code {code} is not in the HS 2022 nomenclature (check the code)")
            qty = unit = None
            if qcol is not None and row[qcol].strip():
                unit = fixed_unit or row[ucol].strip()
                if unit not in MASS_UNITS:
                    raise ValueError(f"unit {unit!r} is not one oretrace knows for a quantity of goods "
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
        key = hash((year, exp.code, imp.code, code))
        if key in seen:
            ctx.bad(line, f"repeats line {seen[key]} (same year, exporter, importer and commodity code; keep one)")
            continue
        seen[key] = line
        if qty and val:
            per_t = val / (qty * factor)
            lo, hi = UNIT_VALUE_USD_PER_T
            if not lo <= per_t <= hi:
                ctx.warn(line, f"unit value {float(per_t):.3g} USD/t is far outside what traded ores and metals cost "
                               f"({lo} to {hi:,.0f} USD/t): check the quantity's unit and the decimal separator")
        flow = nt.iri(iris.entity("flow", f"{ctx.name}-{line}"))
        o, d = emit_place(em, exp), emit_place(em, imp)
        mat = hs.emit_material(em, nomen, code)
        t = [(flow, A, P["export"]), (flow, LABEL, nt.lit(f"{exp.code} to {imp.code}, HS {code}, {year}", "en")),
             (flow, P["origin"], o), (flow, P["destination"], d),
             (flow, P["year"], nt.integer(int(year))), (flow, P["code"], nt.lit(code)), (flow, P["material"], mat)]
        about = [flow]
        if qty is not None:
            t.append((flow, P["num"], nt.decimal(qty)))
            t.append((flow, P["unit"], unit_terms[unit]))
        if val is not None:
            obs = nt.iri(iris.entity("observation", f"{ctx.name}-{line}-value"))
            t += [(obs, A, P["vobs"]), (obs, LABEL, nt.lit(f"value of {exp.code} to {imp.code}, HS {code}, {year}", "en")),
                  (obs, P["subject"], flow), (obs, P["num"], nt.decimal(val)),
                  (obs, P["unit"], P["usd"])]
            about.append(obs)
        em.statement(f"r{line}", t, about, {"row": line}, line=line)
        ctx.rows += 1
        if n % BATCH_ROWS == 0:
            em.flush()
            prog.update(n, table.bytes_read)
    ctx.warnings.extend(table.warnings)
    prog.update(n, table.bytes_read, force=n > BATCH_ROWS)
