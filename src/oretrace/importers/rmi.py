"""Smelter and refiner lists in the layout of the RMI conformant lists.

Columns (header names case-insensitive): `Smelter ID`, `Standard Smelter Name`, `Metal`,
`Country Location`, `Assessment Status`, and optionally `Last Audit Date` and `Valid Until`
(YYYY-MM-DD). Each row becomes a site `site/rmi-<smelter id>` (a refinery for gold, a smelter
otherwise) in its country, with the list's identifier as `skos:notation`, and a process
performed there whose output is the metal; the status and dates are kept as the site's
description, as the list gives them.
"""

from __future__ import annotations

import datetime as _dt
import re

from ..vocab import DCTERMS, OT, SKOS
from . import countries, nt
from .common import A, LABEL, DatasetInfo, ImportFailure, emit_place, slugify
from .reading import Table

COLUMNS = {"smelter id": "id", "smelter_id": "id", "cid": "id", "standard smelter name": "name", "smelter name": "name",
           "name": "name", "metal": "metal", "country location": "country", "country": "country",
           "assessment status": "status", "status": "status", "rmap status": "status", "last audit date": "last_audit",
           "valid until": "valid_until", "expiration date": "valid_until"}
REQUIRED = ("id", "name", "metal", "country", "status")
METALS = {"gold": "Gold", "tin": "Tin", "tantalum": "Tantalum", "tungsten": "Tungsten", "cobalt": "Cobalt"}
STATUSES = {"conformant", "active", "not conformant", "in communication", "non-conformant", "suspended"}


def dataset(ctx) -> DatasetInfo:
    o = ctx.options
    return DatasetInfo(f"import-{ctx.name}", o.get("title") or f"Smelter list: {ctx.path.name}", "Dataset",
                       creators=[o["creator"]] if o.get("creator") else [],
                       publisher=ctx.iris.ref(o["publisher"]) if o.get("publisher") else None,
                       year=int(o["year"]) if o.get("year") else None,
                       description="A list of smelters and refiners in the layout of the RMI conformant lists, "
                                   "imported with `oretrace import rmi`.")


def _date(text: str, what: str) -> str | None:
    t = text.strip()
    if not t:
        return None
    try:
        return _dt.date.fromisoformat(t).isoformat() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t) else _bad_date(t, what)
    except ValueError:
        return _bad_date(t, what)


def _bad_date(t, what):
    raise ValueError(f"{what} {t[:40]!r} is not a date written YYYY-MM-DD")


def run(ctx) -> None:
    em, iris = ctx.emitter, ctx.iris
    fname = ctx.path.name
    seen: dict[str, int] = {}
    table = Table(ctx.path, ctx.options)
    records = table.records()
    first = next(records, None)
    header = first[1] if first else None
    if not header or not "".join(header).strip():
        raise ImportFailure([f"{fname}:1: the file is empty (a header row and data rows are expected)"])
    cols, unknown = {}, []
    for i, h in enumerate(header):
        key = COLUMNS.get(h.strip().lower())
        if key in cols:
            raise ImportFailure([f"{fname}:1: the column {h!r} is there twice, as {header[cols[key]]!r} too (keep one)"])
        if key:
            cols[key] = i
        else:
            unknown.append(h)
    missing = [c for c in REQUIRED if c not in cols]
    if missing or unknown:
        raise ImportFailure([f"{fname}:1: " + "; ".join(
            ([f"missing column(s) {', '.join(missing)}"] if missing else []) +
            ([f"unknown column(s) {', '.join(repr(u[:80]) for u in unknown[:10])}"] if unknown else [])) +
            " (expected: Smelter ID, Standard Smelter Name, Metal, Country Location, Assessment Status, "
            "Last Audit Date, Valid Until)"])
    today = _dt.date.today().isoformat()
    for line, row in records:
        if not row or not "".join(row).strip():
            continue
        if len(row) != len(header):
            ctx.bad(line, f"{len(row)} fields where the header has {len(header)} (the file may be truncated)")
            continue
        get = lambda k: row[cols[k]].strip() if k in cols else ""  # noqa: E731
        try:
            cid, name = get("id"), get("name")
            if not re.fullmatch(r"[A-Za-z0-9-]{1,40}", cid):
                raise ValueError(f"smelter ID {cid[:60]!r} is empty, longer than 40 characters or has characters "
                                 "other than letters, digits and '-'")
            if not name:
                raise ValueError("the smelter name is empty")
            if len(name) > 300:
                raise ValueError(f"the smelter name is {len(name):,} characters long (at most 300)")
            metal = METALS.get(get("metal").lower())
            if metal is None:
                raise ValueError(f"metal {get('metal')[:60]!r} is not one of {', '.join(v for v in METALS.values())}")
            place = countries.resolve(get("country"))
            status = get("status")
            if status.lower() not in STATUSES:
                raise ValueError(f"status {status[:60]!r} is not one the lists use ({', '.join(sorted(STATUSES))})")
            last, until = _date(get("last_audit"), "last audit date"), _date(get("valid_until"), "valid-until date")
            if last and last > today:
                raise ValueError(f"last audit date {last} is in the future")
            if last and until and until < last:
                raise ValueError(f"valid-until date {until} is before the last audit date {last}")
        except (ValueError, countries.UnknownPlace) as e:
            ctx.bad(line, str(e))
            continue
        if cid in seen:
            ctx.bad(line, f"smelter ID {cid} is already on line {seen[cid]} (keep one row per smelter)")
            continue
        seen[cid] = line
        site = nt.iri(iris.entity("site", f"rmi-{slugify(cid)}"))
        proc = nt.iri(iris.entity("process", f"rmi-{slugify(cid)}-{metal.lower()}"))
        desc = f"{status} in the list for {metal.lower()}" + (f"; last audit {last}" if last else "") + \
               (f"; valid until {until}" if until else "")
        t = [(site, A, nt.iri(OT + ("Refinery" if metal == "Gold" else "Smelter"))), (site, LABEL, nt.lit(name, "en")),
             (site, nt.iri(SKOS + "notation"), nt.lit(cid)), (site, nt.iri(OT + "country"), emit_place(em, place)),
             (site, nt.iri(DCTERMS + "description"), nt.lit(desc, "en")),
             (proc, A, nt.iri(OT + "Process")), (proc, LABEL, nt.lit(f"{metal.lower()} processing at {name}", "en")),
             (proc, nt.iri(OT + "performedAt"), site), (proc, nt.iri(OT + "output"), nt.iri(OT + metal))]
        em.statement(f"r{line}", t, [site, proc], {"row": line}, line=line)
        ctx.rows += 1
    ctx.warnings.extend(table.warnings)
