"""USGS world production tables (U.S. Mineral Dependence, Open-File Report 2013-1184, re-keyed as CSV).

One CSV per commodity, one row per year: world production, the concentration ratio of the three
leading producers, and the three leading countries with their production. Each row becomes one
statement holding a production observation for the world, one per leading country with its
rank, and the top-three share. "--" marks a figure the table does not give. A country name
that cannot be resolved to one country ("Congo", "Australia/Canada") makes the row faulty: it
is reported, never guessed. A row is refused when a producer is above the world total, the
leaders together exceed it, the ratio is above 1 or a country or year repeats; leaders out of
rank order and a ratio that disagrees with the figures are imported with a warning (the real
tables have both).

The CSV files do not carry their unit. Where the unit is known from the caption of the USGS
table (kept in the upstream repository's "-Table 1" files), it is listed in UNITS with that
caption; for the other files the unit must be given with `--unit` after checking the report.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal

from .. import ontology
from ..units import UNITS as ALL_UNITS
from ..vocab import OT
from . import countries, nt
from .common import A, LABEL, DatasetInfo, ImportFailure, emit_place, figure, figure_label
from .reading import Table, number

# file stem -> (element, stage of production)
COMMODITIES = {
    "Indium": ("Indium", "refined"), "Zinc": ("Zinc", "mine"), "SmelteredZinc": ("Zinc", "smelter"),
    "Tin": ("Tin", "mine"), "SmelteredTin": ("Tin", "smelter"), "Tantalum": ("Tantalum", "mine"),
    "Tungsten": ("Tungsten", "mine"), "Cobalt": ("Cobalt", "mine"), "Cobalt2": ("Cobalt", "refined"),
    "Gold": ("Gold", "mine"), "Silver": ("Silver", "mine"), "Lead": ("Lead", "mine"),
    "Niobium": ("Niobium", "mine"), "Germanium": ("Germanium", "refined"), "Gallium": ("Gallium", "refined"),
}
# Units confirmed by the table caption in HussainAther/ucsc data/mineral/csv/<stem>-Table 1.csv.
UNITS = {
    "Indium": ("kt", "Table 28. Global production of refined indium ... (thousand metric tons)."),
    "Gold": ("kt", "Table 26. Global production of mined gold ... (thousand metric tons)."),
}
REPORT = {"slug": "usgs-ofr-2013-1184", "title": "U.S. mineral dependence: statistical compilation of U.S. and world "
          "mineral production, consumption, and trade, 1990-2010 (USGS Open-File Report 2013-1184)",
          "creators": ["Barry, J.J.", "Matos, G.R.", "Menzie, W.D."], "year": 2013,
          "url": "https://pubs.usgs.gov/of/2013/1184"}
ORDINALS = ("1st", "2nd", "3rd")
# stage -> what its figures measure (ontology/codes.ttl); mine output is all the subject produced
MEASURES = {"mine": "TotalProduction", "refined": "RefineryProduction", "smelter": "RefineryProduction"}
STAGE_WORDS = {"mine": "mine production", "refined": "refinery production", "smelter": "smelter production"}
MAX_TONNES = Decimal("1e10")  # a yearly production above this is refused (check the unit)
THIS_YEAR = time.gmtime().tm_year


def _stem(ctx) -> str:
    stem = ctx.path.stem
    if stem not in COMMODITIES:
        raise ImportFailure([f"{ctx.path.name}: not one of the USGS commodity tables oretrace reads "
                             f"({', '.join(sorted(COMMODITIES))}.csv)"])
    return stem


def dataset(ctx) -> DatasetInfo:
    stem = _stem(ctx)
    el, stage = COMMODITIES[stem]
    return DatasetInfo(f"import-{ctx.name}", f"USGS world {stage} production of {el.lower()}, 1990-2010 ({ctx.path.name})",
                       "Statistic", creators=list(REPORT["creators"]), year=REPORT["year"],
                       url="https://github.com/HussainAther/ucsc/tree/master/data/mineral/csv",
                       description=f"The {stem} table of USGS Open-File Report 2013-1184, re-keyed as CSV by the "
                                   "repository HussainAther/ucsc.",
                       cites=[ctx.iris.entity("source", REPORT["slug"])])


def _unit(ctx, stem: str) -> tuple[str, str]:
    given = ctx.options.get("unit")
    known = UNITS.get(stem)
    if given:
        if given not in ("t", "kt"):
            raise ImportFailure([f"--unit {given!r}: the USGS tables are in t or kt (metric tons or thousand metric tons)"])
        if known and known[0] != given:
            raise ImportFailure([f"--unit {given} contradicts the table caption ({known[1]}); leave --unit out"])
        return given, known[1] if known else f"unit given by the importing user (--unit {given})"
    if known:
        return known
    raise ImportFailure([f"{ctx.path.name}: the CSV does not say its unit and oretrace does not know it; check the "
                         "caption of the table in USGS Open-File Report 2013-1184 and give it with --unit t or --unit kt"])


def run(ctx) -> None:
    em, iris = ctx.emitter, ctx.iris
    stem = _stem(ctx)
    element, stage = COMMODITIES[stem]
    unit, unit_basis = _unit(ctx, stem)
    ctx.notes.append(f"unit of {ctx.path.name}: {unit} ({unit_basis})")
    report = em.describe_source(REPORT["slug"], "Report", REPORT["title"], REPORT["creators"], REPORT["year"], REPORT["url"])
    el = nt.iri(OT + element)
    unit_t, pct, rank_unit = (nt.iri(ALL_UNITS[u].iri) for u in (unit, "percent", "rank"))
    world = nt.iri(iris.entity("place", "world"))
    area, measure = nt.iri(OT + "Area"), MEASURES[stage]
    what = element.lower()
    labels = ontology.load(ctx.settings.ontology_dir).labels
    mlabel, rlabel, slabel = (labels.get(OT + m, m) for m in (measure, "ProductionRank", "ShareOfWhole"))
    dc = bool(ctx.options.get("decimal_comma"))
    limit = MAX_TONNES / (1000 if unit == "kt" else 1)
    table = Table(ctx.path, ctx.options)
    records = table.records()
    first = next(records, None)
    header = [h.strip() for h in first[1]] if first else []
    if len(header) != 9 or header[0] != "Year" or not header[1].startswith("World"):
        raise ImportFailure([f"{ctx.path.name}:1: unexpected header {','.join(header)[:300]!r} (expected Year, World..., "
                             "Concentrationratio, then production and country of the 1st, 2nd and 3rd producer)"])
    years: dict[int, int] = {}
    for line, row in records:
        if not row or not "".join(row).strip():
            continue
        if len(row) != 9:
            ctx.bad(line, f"{len(row)} fields where the header has 9 (the file may be truncated)")
            continue
        row = [c.strip() for c in row]
        try:
            if not re.fullmatch(r"[0-9]{4}", row[0]) or not 1900 <= int(row[0]) <= THIS_YEAR:
                raise ValueError(f"year {row[0]!r} is not a year between 1900 and {THIS_YEAR}")
            year = int(row[0])
            if year in years:
                raise ValueError(f"the year {year} is already on line {years[year]} (keep one row per year)")
            world_v = _num(row[1], "world production", dc, limit)
            ratio = _num(row[2], "concentration ratio", dc, limit)
            leaders = []
            for k in range(3):
                v, name = _num(row[3 + 2 * k], f"{ORDINALS[k]} production", dc, limit), row[4 + 2 * k]
                if name in ("--", ""):
                    continue
                leaders.append((k + 1, v, countries.resolve(name), name))
            _plausible(ctx, line, world_v, ratio, leaders)
        except (ValueError, countries.UnknownPlace) as e:
            ctx.bad(line, str(e))
            continue
        years[year] = line
        base = f"{ctx.name}-{year}"
        t, about = [], []
        wobs = nt.iri(iris.entity("observation", f"{base}-world"))
        if world_v is not None:
            em.reference("world", [(world, A, area), (world, LABEL, nt.lit("World", "en"))], [world],
                         em.ds, {"column": header[1]})
            t += figure(wobs, "ProductionObservation", measure, world, world_v, unit_t,
                        figure_label("World", what, mlabel, year), year=year, material=el)
            about.append(wobs)
        leaders_obs = []
        for rank, v, place, name in leaders:
            c = emit_place(em, place)
            obs = nt.iri(iris.entity("observation", f"{base}-{place.slug.lower()}"))
            if v is not None:
                t += figure(obs, "ProductionObservation", measure, c, v, unit_t,
                            figure_label(place.label, what, mlabel, year), year=year, material=el)
                about.append(obs)
                leaders_obs.append(obs)
            robs = nt.iri(iris.entity("observation", f"{base}-rank-{rank}"))
            t += figure(robs, "RankObservation", "ProductionRank", c, rank, rank_unit,
                        figure_label(place.label, what, f"{rlabel} ({STAGE_WORDS[stage]})", year), year=year,
                        material=el, basis=[obs] if v is not None else ())
            about.append(robs)
        if ratio is not None and world_v is not None:
            sobs = nt.iri(iris.entity("observation", f"{base}-top3-share"))
            t += figure(sobs, "ShareObservation", "ShareOfWhole", world, ratio * 100, pct,
                        figure_label("World", what, f"{slabel}: the three leading producers", year), year=year,
                        material=el, whole=wobs, basis=leaders_obs)
            about.append(sobs)
        if not t:
            continue
        em.statement(f"r{line}", t, about, {"table": ctx.path.stem, "row": line}, cites=[report], line=line)
        ctx.rows += 1
    ctx.warnings.extend(table.warnings)


def _plausible(ctx, line: int, world, ratio, leaders) -> None:
    """Refuse a row no table can hold; warn about one that is odd but may be the table's own."""
    if ratio is not None and ratio > 1:
        raise ValueError(f"concentration ratio {ratio} is above 1 (the tables give it as a fraction: 0.39, not 39)")
    if len({p for _, _, p, _ in leaders}) < len(leaders):
        raise ValueError("the same country is named twice among the three leading producers")
    values = [(r, v, name) for r, v, _, name in leaders if v is not None]
    if world is not None:
        for r, v, name in values:
            if v > world:
                raise ValueError(f"the {ORDINALS[r - 1]} producer ({name}, {v}) is above the world total ({world}); "
                                 "check the columns and the decimal separator")
        total = sum(v for _, v, _ in values)
        if len(values) > 1 and total > world * Decimal("1.005"):
            raise ValueError(f"the leading producers together ({total}) are above the world total ({world})")
        if ratio is not None and len(values) == 3 and world > 0 and abs(total / world - ratio) > Decimal("0.02"):
            ctx.warn(line, f"the concentration ratio {ratio} differs from the three producers' share of the world "
                           f"total ({total / world:.2f})")
    for (r1, v1, n1), (r2, v2, n2) in zip(values, values[1:]):
        if r2 == r1 + 1 and v2 > v1:
            ctx.warn(line, f"the {ORDINALS[r2 - 1]} producer ({n2}, {v2}) is above the {ORDINALS[r1 - 1]} ({n1}, {v1}); "
                           "the table's ranks are kept as given")


def _num(cell: str, what: str, decimal_comma: bool, limit: Decimal) -> Decimal | None:
    if cell in ("--", ""):
        return None
    d = number(cell, what, decimal_comma, limit)
    if d < 0:
        raise ValueError(f"{what} {cell!r} is negative (production is zero or more)")
    return d
