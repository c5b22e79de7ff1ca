"""Units as printed and what a figure measures: the words of a figure mapped to the units of
data/README.md and to the measure codes and observation classes of docs/modelling.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# measure code -> (observation class, dimensions it may take, label used in paraphrases)
MEASURES: dict[str, tuple[str, frozenset, str]] = {}


def _m(code, cls, dims, label):
    MEASURES[code] = (cls, frozenset(dims.split()), label)


MASS, RATE = "mass", "mass-rate"


def adopt(codes: dict) -> None:
    """Take the class, dimensions and label of each measure from the ontology's code list where it
    declares them (ontology/codes.ttl), so the extractor follows the format the checker enforces."""
    for code, info in codes.items():
        if code in MEASURES:
            cls, dims, label = MEASURES[code]
            MEASURES[code] = (info.get("class") or cls, frozenset(info.get("dimensions") or dims),
                              info.get("label") or label)
_m("TotalProduction", "ProductionObservation", "mass mass-rate", "total production")
_m("ArtisanalSmallScaleProduction", "ProductionObservation", "mass mass-rate", "artisanal and small-scale production")
_m("StateMiningProduction", "ProductionObservation", "mass mass-rate", "state mining production")
_m("MediumScaleMiningProduction", "ProductionObservation", "mass mass-rate", "medium-scale mining production")
_m("RefineryProduction", "ProductionObservation", "mass mass-rate", "refinery production")
_m("ArticleProduction", "ProductionObservation", "mass mass-rate", "production of articles")
_m("ProductionCapacity", "CapacityObservation", "mass mass-rate", "production capacity")
_m("StorageCapacity", "CapacityObservation", "mass", "storage capacity")
_m("HandlingCapacity", "CapacityObservation", "mass mass-rate", "handling capacity")
_m("ExportQuantity", "FlowQuantityObservation", "mass mass-rate", "exports")
_m("ImportQuantity", "FlowQuantityObservation", "mass mass-rate", "imports")
_m("ShipmentQuantity", "FlowQuantityObservation", "mass mass-rate", "quantity shipped")
_m("DomesticUse", "QuantityObservation", "mass mass-rate", "domestic use")
_m("CargoPerVoyage", "QuantityObservation", "mass", "cargo per voyage")
_m("UnloadingRate", "QuantityObservation", "mass-rate", "unloading rate")
_m("Consumption", "QuantityObservation", "mass mass-rate", "consumption")
_m("StockChange", "QuantityObservation", "mass", "stock change")
_m("Reserves", "QuantityObservation", "mass", "reserves")
_m("ShareOfWhole", "ShareObservation", "ratio", "share")
_m("PopulationShare", "ShareObservation", "ratio", "share of the population")
_m("EndUseShare", "EndUseShareObservation", "ratio", "end-use share")
_m("EndOfLifeRecyclingRate", "RecyclingRateObservation", "ratio", "end-of-life recycling rate")
_m("RecycledShareOfProduction", "RecyclingRateObservation", "ratio", "recycled share of production")
_m("ElementConcentration", "ContentObservation", "ratio", "concentration")
_m("Purity", "ContentObservation", "ratio", "purity")
_m("MonetaryValue", "ValueObservation", "money", "value")
_m("UnpaidValue", "ValueObservation", "money", "value not paid")
_m("RoyaltyNotCollected", "ValueObservation", "money", "royalties not collected")
_m("Price", "ValueObservation", "money money-per-mass", "price")
_m("RoyaltyRate", "ShareObservation", "ratio", "royalty rate")
_m("TreatmentCharge", "ValueObservation", "money money-per-mass", "treatment charge")
_m("Distance", "QuantityObservation", "length", "distance")
_m("Duration", "QuantityObservation", "time", "duration")
_m("Headcount", "QuantityObservation", "count", "number of people")
_m("MembershipSize", "QuantityObservation", "count", "number of members")
_m("WorkGroupSize", "QuantityObservation", "count", "size of a work group")
_m("VehicleFrequency", "QuantityObservation", "count-rate", "vehicles")
_m("UnitSize", "QuantityObservation", "mass", "unit size")
_m("ProductionRank", "RankObservation", "rank", "rank by production")

# the measures whose subject is a flow (the ontology's FlowQuantityObservation measures)
FLOW_MEASURES = {"ExportQuantity", "ImportQuantity", "ShipmentQuantity"}

# (pattern on the lower-cased words around a figure, measure, weight)
KEYWORDS: list[tuple[re.Pattern, str, float]] = [(re.compile(p), m, w) for p, m, w in [
    (r"end[- ]of[- ]life recycl|\beol[- ]?rr\b|recycling rate|\bis recycled\b|recovered from (?:end|waste|scrap)",
     "EndOfLifeRecyclingRate", 3.2),
    (r"recycl", "RecycledShareOfProduction", 2.2),
    (r"end[- ]use|\bapplications?\b|\bused (?:in|for)\b|\buses?\b", "EndUseShare", 2.0),
    (r"refinery (?:production|output)|refined (?:production|output|metal production)|smelter (?:production|output)|"
     r"\brefin(?:ed|ing|ery)\b", "RefineryProduction", 2.1),
    (r"artisanal|small[- ]scale|\basm\b", "ArtisanalSmallScaleProduction", 2.4),
    (r"\bstate\b|\bestatal\b|state[- ]owned", "StateMiningProduction", 2.4),
    (r"medium[- ]scale|\bmediana?\b|\bmedium\b", "MediumScaleMiningProduction", 2.4),
    (r"\barticles?\b", "ArticleProduction", 2.3),
    (r"produc|\boutput\b|\bmined\b|\bextract|\bsmelted\b|\bmanufactur|\bgenerat", "TotalProduction", 2.0),
    (r"capacity|\bcan (?:produce|process|treat|refine)\b|\bable to (?:produce|process)\b", "ProductionCapacity", 3.0),
    (r"\ballow(?:s|ed|ing)?\b|\bpermit(?:s|ted)?\b|\blicen[cs]ed? for\b", "ProductionCapacity", 2.0),
    (r"\bstor(?:age|e|ing)\b|\bspace for\b", "StorageCapacity", 3.1),
    (r"tranship|transship|throughput|\bhandl", "HandlingCapacity", 3.1),
    (r"\breserves?\b", "Reserves", 3.0),
    (r"export", "ExportQuantity", 2.5),
    (r"import|\barriv|\blanded\b|\breceived\b", "ImportQuantity", 2.2),
    (r"\bship(?:ped|ment|ments|ping)\b|\btransport(?:ed)?\b|\bsent\b", "ShipmentQuantity", 1.6),
    (r"\bcarr(?:y|ies|ied)\b|\bper (?:trip|voyage|shipment)\b|\bcargo\b", "CargoPerVoyage", 2.6),
    (r"\bunload|\bdischarg", "UnloadingRate", 2.6),
    (r"domestic use|used locally|local consumption|consumed locally|domestic consumption", "DomesticUse", 2.9),
    (r"consum|\bdemand\b", "Consumption", 2.5),
    (r"\bstock ?(?:change|build|draw)|stockpil", "StockChange", 2.4),
    (r"\bpric(?:e|ed|es)\b|\bcosts? (?:of|per)\b|\bsold (?:at|for)\b|\btraded at\b", "Price", 3.0),
    (r"royalt", "RoyaltyRate", 3.0),
    (r"royalt(?:y|ies)\b.{0,40}\b(?:not collected|uncollected|missed|lost|foregone|forgone)|"
     r"(?:not collected|uncollected)\b.{0,40}royalt|royalt(?:y|ies) not", "RoyaltyNotCollected", 3.4),
    (r"treatment charge|refining charge|\btc\b", "TreatmentCharge", 3.0),
    (r"\bmissed\b|\bnot paid\b|\bunpaid\b|\blost\b|\bforegone\b|\bforgone\b|\bdeprived\b", "UnpaidValue", 2.8),
    (r"\bvalue\b|\bworth\b|\brevenue|\bincome\b|\bearn", "MonetaryValue", 2.0),
    (r"concentration|\bcontent\b|\bgrades?\b|\bcontain|\brich in\b|\bassay", "ElementConcentration", 2.2),
    (r"\bpurity\b|\bpure\b|high[- ]purity", "Purity", 3.0),
    (r"\bpopulation\b", "PopulationShare", 3.0),
    (r"\bshare\b|\bproportion\b|\baccount(?:s|ed)? for\b|\brepresent|\bmak(?:e|es|ing) up\b|\bcame from\b|"
     r"\bcomes? from\b|\bcounts? for\b|\bcorrespond", "ShareOfWhole", 1.5),
    (r"\bpeople\b|\bpersons\b|\binhabitants\b|\bworkers\b|\bemployees\b|\bindividuals\b|\bjobs\b", "Headcount", 2.2),
    (r"\bmembers\b|\bconsists?\b|\bconsist(?:ing)? (?:of|out)\b|\bgathered\b", "MembershipSize", 2.5),
    (r"\bgroups? of\b|\bteams? of\b|\bcrews? of\b", "WorkGroupSize", 3.0),
    (r"\btrucks\b|\blorries\b|\bvehicles\b|\bwagons\b|\brailcars\b", "VehicleFrequency", 2.6),
    (r"\bunits? of\b|\bpackages? of\b|\bsold in\b|\bbars? of\b|\bingots? of\b", "UnitSize", 3.0),
]]

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
