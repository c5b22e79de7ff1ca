"""Units as printed and what a figure measures: the words of a figure mapped to the units of
data/README.md and to the measure codes and observation classes of docs/modelling.md. The measures
and the words that point to them are word lists (words/measures.tsv, words/measure-words.tsv).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import wordlists

# measure code -> (observation class, dimensions it may take, label used in paraphrases)
MEASURES: dict[str, tuple[str, frozenset, str]] = {
    code: (cls, frozenset(dims.split()), label)
    for code, cls, dims, label in wordlists.read("measures", ("code", "class", "dimensions", "label"))}

MASS, RATE = "mass", "mass-rate"


def adopt(codes: dict) -> None:
    """Take the class, dimensions and label of each measure from the ontology's code list where it
    declares them (ontology/codes.ttl), so the extractor follows the format the checker enforces."""
    for code, info in codes.items():
        if code in MEASURES:
            cls, dims, label = MEASURES[code]
            MEASURES[code] = (info.get("class") or cls, frozenset(info.get("dimensions") or dims),
                              info.get("label") or label)


# the measures whose subject is a flow (the ontology's FlowQuantityObservation measures)
FLOW_MEASURES = {"ExportQuantity", "ImportQuantity", "ShipmentQuantity"}

# (pattern on the lower-cased words around a figure, measure, weight)
KEYWORDS: list[tuple[re.Pattern, str, float]] = wordlists.read("measure-words", ("pattern", "measure", "weight"))
_unknown = sorted({m for _, m, _ in KEYWORDS} - set(MEASURES))
if _unknown:
    raise wordlists.WordListError(f"{wordlists.WORDS / 'measure-words.tsv'}: measures {', '.join(_unknown)} are not "
                                  "in words/measures.tsv; add them there or mend the code")

DEFAULT_BY_DIMENSION = {"rank": "ProductionRank", "ratio": "ShareOfWhole", "money": "MonetaryValue", "money-per-mass": "Price", "length": "Distance",
                        "time": "Duration", "count": "Headcount", "count-rate": "VehicleFrequency"}


@dataclass(frozen=True)
class UnitMatch:
    unit: str  # curated unit symbol
    end: int  # offset after the unit text
    factor: float = 1.0  # multiply the printed value by this (Mt -> kt, kt/year -> t/year)
    dimension: str = ""
    noun: str = ""  # the counted noun (people, trucks)
    note: str = ""


_PER_YEAR = r"(?:\s*/\s*(?:y|yr|year|a|annum)\b|\s+(?:a|per|each|every|/)\s*(?:year|annum)\b|\s+annually\b|\s+yearly\b)"
_PER_DAY = r"(?:\s*/\s*d(?:ay)?\b|\s+(?:a|per|each|every)\s+day\b|\s+daily\b)"
_MASS = [
    (r"(?:Mt|million (?:metric )?(?:tonnes|tons))(?![\w/])", "Mt", 1.0, ""),
    (r"(?:kt|kilo ?tonnes?|thousand (?:metric )?(?:tonnes|tons))(?![\w])", "kt", 1.0, ""),
    (r"(?:[Tt]onnes?|[Tt]ons?|[Mm]etric [Tt]ons?|mt|t)(?![\w])", "t", 1.0, ""),  # "3T" is not three tonnes
    (r"(?:kg|kilograms?|kilos?)(?![\w])", "kg", 1.0, ""),
    (r"(?:grams?|g)(?![\w/])", "g", 1.0, ""),
]
_RATE_WORDS = re.compile(r"^(?:tpa|tpy|t/a|t/y|t/yr)(?![\w])", re.I)
_KTPA = re.compile(r"^(?:ktpa|kt/a|kt/y|kt/yr)(?![\w])", re.I)
COUNT_NOUNS = (r"people|persons|inhabitants|individuals|workers|miners|employees|members|associates|families|"
               r"households|children|women|men|trucks|lorries|vehicles|wagons|railcars|ships|vessels|barges|"
               r"cooperatives|companies|mines|smelters|refineries|jobs")
_CURRENCY_AFTER = re.compile(r"^\s*(?:(euros?|EUR|\u20ac)|(US\s?dollars?|dollars?|USD|US\$))(?![\w])", re.I)
_CURRENCY_BEFORE = re.compile(r"(?:(\u20ac|EUR|euros?)|(US\$|USD|\$|US dollars?))\s?$", re.I)
_PER_MASS = re.compile(r"^\s*(?:/|per|a)\s*(kg|kilogram|kilo|t|tonne|ton|lb|pound)\b", re.I)


def unit_after(text: str, pos: int, before: str = "") -> UnitMatch | None:
    """The unit printed right after a number at `pos` (or a currency right before it)."""
    rest = text[pos:pos + 60]
    m = re.match(r"^\s?(?:%|percent\b|per\s?cent\b|pct\b)", rest, re.I)
    if m:
        return UnitMatch("percent", pos + m.end(), dimension="ratio")
    m = re.match(r"^\s?(?:ppm\b|parts per million\b|g/t\b|grams? per (?:metric )?(?:tonne|ton)\b)", rest, re.I)
    if m:
        return UnitMatch("ppm", pos + m.end(), dimension="ratio")
    cb = _CURRENCY_BEFORE.search(before)
    ca = _CURRENCY_AFTER.match(rest)
    if cb or ca:
        eur = (cb and cb.group(1)) or (ca and ca.group(1))
        cur = "EUR" if eur else "USD"
        end = pos + (ca.end() if ca else 0)
        pm = _PER_MASS.match(text[end:end + 20])
        if pm:
            per = pm.group(1).lower()
            if per.startswith("k"):
                return UnitMatch(f"{cur}/kg", end + pm.end(), dimension="money-per-mass")
            if per.startswith("t"):  # a price per tonne, given per kilogram (the curated unit)
                return UnitMatch(f"{cur}/kg", end + pm.end(), 0.001, "money-per-mass",
                                 note="converted from a price per tonne")
            return UnitMatch(f"{cur}/lb", end + pm.end(), dimension="money-per-mass")
        return UnitMatch(cur, end, dimension="money")
    m = _KTPA.match(rest.lstrip())
    if m:
        return UnitMatch("t/year", pos + (len(rest) - len(rest.lstrip())) + m.end(), 1000.0, "mass-rate",
                         note="converted from thousand tonnes a year")
    m = _RATE_WORDS.match(rest.lstrip())
    if m:
        return UnitMatch("t/year", pos + (len(rest) - len(rest.lstrip())) + m.end(), dimension="mass-rate")
    for rx, unit, factor, note in _MASS:
        m = re.match(r"^\s?(" + rx + ")", rest, 0 if rx.startswith(("(?:Mt", "(?:[Tt]")) else re.I)
        if not m:
            continue
        if m.group(1) in ("t", "g", "mt") and not re.match(r"^\s?" + m.group(1) + r"(?:\s|[.,;:)/]|$)", rest):
            continue
        end = pos + m.end()
        ry = re.match(_PER_YEAR, text[end:end + 20], re.I)
        rd = re.match(_PER_DAY, text[end:end + 20], re.I)
        if not ry and not rd:
            # "300 tonnes of zinc a day": the rate after what is counted
            om = re.match(r"\s+of\s+(?:[A-Za-z][\w()'-]*\s+){0,3}?[A-Za-z][\w()'-]*(?=(" + _PER_YEAR + "|" + _PER_DAY +
                          "))", text[end:end + 60], re.I)
            if om:
                rest2 = text[end + om.end():end + om.end() + 20]
                ry = re.match(_PER_YEAR, rest2, re.I)
                rd = None if ry else re.match(_PER_DAY, rest2, re.I)
                if ry or rd:
                    end += om.end()
        if ry and unit in ("t", "kt"):
            return UnitMatch("t/year", end + ry.end(), factor * (1000.0 if unit == "kt" else 1.0), "mass-rate",
                             note=note or ("converted from thousand tonnes a year" if unit == "kt" else ""))
        if rd and unit in ("t", "kt"):
            return UnitMatch("t/day", end + rd.end(), factor * (1000.0 if unit == "kt" else 1.0), "mass-rate", note=note)
        return UnitMatch(unit, end, factor, "mass", note=note)
    m = re.match(r"^\s?(?:km|kilomet(?:er|re)s?)(?![\w])", rest, re.I)
    if m:
        return UnitMatch("km", pos + m.end(), dimension="length")
    m = re.match(r"^\s?(days?|months?|years?)(?![\w])", rest, re.I)
    if m:
        unit = {"d": "day", "m": "month", "y": "year"}[m.group(1)[0].lower()]
        return UnitMatch(unit, pos + m.end(), dimension="time")
    m = re.match(r"^\s?(?:[a-z][\w-]*\s+){0,2}?(" + COUNT_NOUNS + r")\b", rest, re.I)
    if m and not re.search(r"\b(?:of|in|at|for|to|by|from|with|the|a|an)\s", rest[:m.start(1)]):
        end = pos + m.end()
        rd = re.match(_PER_DAY, text[end:end + 20], re.I)
        if rd:
            return UnitMatch("count/day", end + rd.end(), dimension="count-rate", noun=m.group(1).lower())
        return UnitMatch("count", end, dimension="count", noun=m.group(1).lower())
    return None


def dimension(unit: str) -> str:
    if unit in ("t", "kt", "Mt", "kg", "g"):
        return "mass"
    if unit in ("t/year", "t/day"):
        return "mass-rate"
    if unit in ("percent", "ppm"):
        return "ratio"
    if unit in ("EUR", "USD"):
        return "money"
    if "/" in unit and unit.split("/")[0] in ("EUR", "USD"):
        return "money-per-mass"
    if unit == "km":
        return "length"
    if unit in ("day", "month", "year"):
        return "time"
    if unit == "count":
        return "count"
    if unit in ("count/day", "count/year"):
        return "count-rate"
    if unit == "rank":
        return "rank"
    return ""


def measure_for(window: str, dim: str, focus: int | None = None) -> tuple[str | None, float]:
    """The measure whose words stand nearest the figure (`focus`, an offset in `window`) among
    those whose dimension fits the figure's unit; (None, 0) when no word fits."""
    best, best_score = None, 0.0
    low = window.lower()
    for rx, code, weight in KEYWORDS:
        dims = MEASURES[code][1]
        if dim not in dims:
            continue
        for m in rx.finditer(low):
            dist = 0 if focus is None else min(abs(m.start() - focus), abs(m.end() - focus))
            score = weight / (1 + dist / 60)
            if score > best_score:
                best, best_score = code, score
    return best, best_score


UNIT_WORDS = {"t": "t", "kt": "kt", "Mt": "Mt", "EUR/kg": "EUR/kg", "USD/kg": "USD/kg", "kg": "kg", "g": "g", "ppm": "ppm", "percent": "%", "EUR": "EUR", "USD": "USD",
              "km": "km", "day": "days", "month": "months", "year": "years", "t/year": "t a year", "t/day": "t a day",
              "count": "", "count/day": "a day", "count/year": "a year", "rank": ""}
