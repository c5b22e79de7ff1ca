"""Figures in prose: a number with its unit, qualifier ("about", "up to"), range, period, what
it measures and what it is about.

Each figure is read within its clause (from the previous figure, or the sentence start, to the
next figure): the measure is the nearest measure word whose dimension fits the unit; the subject
is the mention of the kind that measure is usually about (a site or company for production, a
flow for trade, the element for a recycling rate), nearest first, then earlier in the paragraph.
Trade figures get a flow, built from the countries the clause puts after "from" and "to"
(flows.py); the year or period of a figure is found by periods.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from . import lexicon
from .citations import Citation
from .flows import flow_subject
from .lexicon import FLOW_MEASURES, MEASURES, dimension, measure_for, unit_after
from .mentions import Mention
from .model import Fact
from .numbers import Num, find_numbers, plain, read_digits
from .periods import inside, set_period, years_in
from .registry import Registry
from .structure import Sentence

APPROX = re.compile(r"(?:\babout|\baround|\bapproximately|\bapprox\.?|\broughly|\bsome|\bnearly|\balmost|\bcirca|\bca\.|"
                    r"\bclose to|\ban estimated|\bestimated at|\bin the (?:order|region) of|\bof the order of|~|\u2248|"
                    r"\bmore or less)\s*$", re.I)
MAX_ONLY = re.compile(r"(?:\bup to|\bmax\.?|\bmaximum(?: of)?|\bat most|\bno more than|\bas much as|\bless than|\bunder|"
                      r"\bbelow|\bnot more than|\bat the most|<|\u2264)\s*$", re.I)
MIN_ONLY = re.compile(r"(?:\bat least|\bmore than|\bover|\babove|\bexceeding|\bminimum(?: of)?|\bupwards of|"
                      r"\bin excess of|\bat the least|>|\u2265)\s*$", re.I)
ESTIMATED = re.compile(r"\bestimat|\bassum|\bmodell?ed\b|\bprojected\b|\bforecast|\bwould (?:have|amount)|\bcalculated\b",
                       re.I)
ORDINAL = re.compile(r"^(?:st|nd|rd|th)\b")
RANK = re.compile(r"^(?:st|nd|rd|th)\s+(?:largest|biggest|most important|leading|main)\s+"
                  r"(?:[a-z-]+\s+){0,2}?(?:producers?|extractors?|exporters?|miners?|suppliers?|refiners?)\b", re.I)
RANGE_GAP = re.compile(r"^\s*(?:-|\u2013|\u2014|to|and|or)\s*$", re.I)
TRADE = re.compile(r"export|import|arriv|\bsold\b|\bsale|ship|\btrip\b|\bvoyage|\bcame from\b|\bsent\b|transport", re.I)
ZERO = [
    re.compile(r"\bno\s+(?:[\w-]+\s+){0,4}?(?:was|were|is|are|has been|have been|being)\s+"
               r"(?P<verb>produced|exported|imported|smelted|mined|refined|extracted)\b", re.I),
    re.compile(r"\bno\s+(?P<verb>smelting|production|refining|mining|extraction|exports?|imports?)\s+of\b", re.I),
    re.compile(r"\b(?P<verb>exports?|imports?|production|output)\b[^.;]{0,60}?\b(?:as|at|to be|was|were|is|are)\s+"
               r"(?:zero|nil)\b", re.I),
]
_PREF = {  # measure family -> kind preferences for the subject
    "production": {"site": 3.0, "actor": 2.6, "region": 2.0, "country": 2.2, "place": 1.4},
    "content": {"site": 3.0, "material": 2.6, "actor": 1.0},
    "share": {"country": 2.0, "actor": 2.0, "site": 2.0, "region": 1.8, "material": 1.2, "element": 1.0},
    "people": {"country": 3.0, "region": 2.6, "actor": 2.4, "site": 2.2, "place": 1.8},
    "rate": {"element": 3.0, "material": 2.8},
    "money": {"country": 2.0, "actor": 2.0, "site": 1.5, "material": 1.5, "element": 1.5},
    "price": {"material": 3.0, "element": 3.0},
    "site": {"site": 3.0, "place": 2.2, "actor": 1.5},
    "group": {"actor": 3.0, "site": 1.5, "place": 1.0},
    "unit": {"material": 3.0, "element": 2.8},
}
_FAMILY = {
    "TotalProduction": "production", "ArtisanalSmallScaleProduction": "production", "StateMiningProduction": "production",
    "MediumScaleMiningProduction": "production", "RefineryProduction": "production", "ArticleProduction": "production",
    "ProductionCapacity": "production", "StorageCapacity": "site", "HandlingCapacity": "site", "Reserves": "production",
    "Consumption": "production", "StockChange": "production",
    "ElementConcentration": "content", "Purity": "content", "ShareOfWhole": "share", "PopulationShare": "people",
    "Headcount": "people", "EndUseShare": "rate", "EndOfLifeRecyclingRate": "rate", "RecycledShareOfProduction": "rate",
    "MonetaryValue": "money", "UnpaidValue": "money", "RoyaltyNotCollected": "money", "TreatmentCharge": "money",
    "RoyaltyRate": "money", "Price": "price", "VehicleFrequency": "site", "UnloadingRate": "site",
    "MembershipSize": "group", "WorkGroupSize": "group", "UnitSize": "unit", "Distance": "site", "Duration": "site",
}


@dataclass
class Context:
    """What a sentence is read with: the registry, the document's notation, the mentions and
    citations of its block, and what came before in the paragraph."""

    reg: Registry
    decimal: str
    source_id: str
    mentions: list[Mention]  # of the sentence's block
    citations: list[Citation]
    history: list[Mention] = field(default_factory=list)  # earlier mentions, most recent last
    year_context: int | None = None  # a year set by "In 2018," earlier in the paragraph
    last_year: int | None = None
    caption_years: tuple | None = None  # "data of 2018" in a caption
    flows: dict = field(default_factory=dict)  # proposed flow refs by key, shared across the document
    flow_nodes: dict = field(default_factory=dict)  # proposed flow ref -> its fields
    cite_of: dict = field(default_factory=dict)  # citation start -> source id
    inherited_cites: list = field(default_factory=list)  # sources of the sentence this one continues




def sentence_figures(sent: Sentence, ctx: Context) -> list[Fact]:
    text = sent.text
    off = sent.start
    cit_spans = [(c.start - off, c.end - off) for c in ctx.citations if sent.start <= c.start < sent.end]
    paren_spans = [(m.start(), m.end()) for m in re.finditer(r"\([^()]*\)", text)]
    years = years_in(text, cit_spans)
    year_spans = [(s, e) for s, e, _, k in years if k != "cited-period"]
    nums = find_numbers(text, ctx.decimal)
    raw: list[dict] = []
    i = 0
    while i < len(nums):
        n = nums[i]
        i += 1
        if inside(cit_spans, n.start, n.end) or inside(year_spans, n.start, n.end):
            continue
        before = text[max(0, n.start - 40):n.start]
        if re.search(r"(?:figure|fig\.|table|section|chapter|page|p\.|n\u00b0|no\.|law|article|art\.|annex|"
                     r"decree|§|#)\s*$", before, re.I):
            continue
        if ORDINAL.match(text[n.end:n.end + 3]):
            rm = RANK.match(text[n.end:n.end + 60])
            if rm and n.kind == "digits":
                raw.append({"n": n, "second": None, "before": before,
                            "unit": lexicon.UnitMatch("rank", n.end + rm.end(), 1.0, "rank")})
            continue
        if n.kind == "digits" and re.match(r"^\s*(?:\)|\.\s|:)", text[n.end:n.end + 3]) and \
                re.match(r"^\s*$", text[:n.start]):
            continue  # a list item's number
        second = None
        if i < len(nums) and RANGE_GAP.match(text[n.end:nums[i].start]):
            gap = text[n.end:nums[i].start].strip().lower()
            if gap != "and" or re.search(r"\bbetween\s*$", before, re.I):
                if gap != "or":
                    second = nums[i]
        um = unit_after(text, (second or n).end, before=before)
        if um is None and second is None and i < len(nums) and \
                re.fullmatch(r"\s*(?:,|or|and|,\s*or|,\s*and)\s*", text[n.end:nums[i].start]):
            um2 = unit_after(text, nums[i].end, before=before)
            if um2 is not None and um2.dimension not in ("count", "ratio"):
                um = lexicon.UnitMatch(um2.unit, n.end, um2.factor, um2.dimension, um2.noun, um2.note)
        if um is None and second is not None:
            um = unit_after(text, n.end, before=before)
        if um is None and n.kind == "fraction":
            um = lexicon.UnitMatch("percent", n.end, 100.0, "ratio", note="")
        if um is None:
            continue
        if second is not None:
            i += 1
        if n.kind == "words" and n.value in (0, 1) and um.dimension in ("mass", "mass-rate", "count", "ratio") and \
                n.text.lower() in ("a", "one"):
            continue  # "a tonne of ore" is not a figure
        if n.text.lower() == "a" and um.dimension == "time":
            continue  # "a year", "a day": a rate, not a duration
        if n.kind == "words" and n.value < 10 and um.dimension == "count":
            continue  # "two companies", "four components": a count in words below ten is rarely a figure
        if um.dimension == "time" and re.search(r"\b(?:last|past|next|recent|previous|coming|first|over the|for the|"
                                                 r"during the|within)\s*$", before, re.I):
            continue  # "during the last 15 years" dates the text, it is not a measured duration
        raw.append({"n": n, "second": second, "unit": um, "before": before})
    # zero figures ("no indium was produced in 2016", "exports ... as zero")
    for rx in ZERO:
        for m in rx.finditer(text):
            if inside(cit_spans, m.start(), m.end()) or any(r["n"].start <= m.start() <= r["unit"].end for r in raw):
                continue
            verb = m.group("verb").lower()
            z = Num(Decimal(0), m.start(), m.end(), m.group(0), "words")
            raw.append({"n": z, "second": None, "unit": lexicon.UnitMatch("t", m.end(), 1.0, "mass"), "before": "",
                        "zero_verb": verb})
    raw.sort(key=lambda r: r["n"].start)
    facts = []
    for k, r in enumerate(raw):
        f = _figure(sent, ctx, r, raw, k, years, cit_spans, paren_spans)
        if f is not None:
            facts.append(f)
    return facts


def _figure(sent, ctx, r, raw, k, years, cit_spans, paren_spans) -> Fact | None:
    text = sent.text
    off = sent.start
    n, second, um = r["n"], r["second"], r["unit"]
    unit = um.unit
    dim = um.dimension or dimension(unit)
    value = n.value * Decimal(str(um.factor))
    q: dict = {}
    if second is not None:
        lo, hi = value, second.value * Decimal(str(um.factor))
        if lo > hi:
            return None
        q["min"], q["max"] = plain(lo), plain(hi)
    else:
        if unit == "percent" and value > 100 and n.ambiguous:
            alt, _ = read_digits(n.text, "," if ctx.decimal == "." else ".")
            value = alt if alt is not None else value
        before = r["before"]
        if MAX_ONLY.search(before):
            q["max"] = plain(value)
        elif MIN_ONLY.search(before):
            q["min"] = plain(value)
        else:
            q["value"] = plain(round(value, 2) if n.kind == "fraction" else value)
    for v in (q.get("value"), q.get("min"), q.get("max")):
        if v is not None and unit == "percent" and v > 100:
            return None
    lead = text[max(0, n.start - 60):n.start]
    lead = lead[max(0, lead.rfind(",") + 1, lead.rfind(";") + 1):]
    if unit in ("t", "kt", "count") and re.search(r"\b(?:every|each|per|a) day\b|\bdaily\b", lead, re.I):
        unit = {"t": "t/day", "kt": "t/day", "count": "count/day"}[unit]
        if um.unit == "kt":
            q = {k: plain(Decimal(str(v)) * 1000) for k, v in q.items()}
        dim = dimension(unit)
    elif unit in ("t", "kt") and re.search(r"\b(?:every|each|per|a) year\b|\bannual(?:ly)?\b|\byearly\b", lead, re.I):
        if um.unit == "kt":
            q = {k: plain(Decimal(str(v)) * 1000) for k, v in q.items()}
        unit, dim = "t/year", "mass-rate"
    q["unit"] = unit
    approximate = bool(APPROX.search(r["before"])) or (n.kind == "fraction" and value != round(value, 2))
    # the clause: from the previous figure (or the last comma, semicolon or dash before this
    # one) to the next figure (or the next semicolon, dash or list letter)
    c_start = raw[k - 1]["unit"].end if k > 0 else 0
    c_end = raw[k + 1]["n"].start if k + 1 < len(raw) else len(text)
    cut_rx = r"[,;:\u2013\u2014]\s|\s[a-z]\)\s" + (r"|\sand\s" if k > 0 else "")
    cuts = [m.end() for m in re.finditer(cut_rx, text[c_start:n.start])]
    if cuts:
        c_start += cuts[-1]
    cut = re.search(r";|\s[\u2013\u2014]\s|\s[a-z]\)\s|,\s+(?:with|while|whilst|whereas|but|which|compared)\b",
                    text[um.end:c_end])
    if cut:
        c_end = um.end + cut.start()
    clause = text[c_start:c_end]
    focus = n.start - c_start
    estimated = bool(ESTIMATED.search(text))
    if approximate:
        q["approximate"] = True
    if estimated:
        q["estimated"] = True
    # measure
    zero_verb = r.get("zero_verb")
    if zero_verb:
        measure = ("ExportQuantity" if zero_verb.startswith("export") else
                   "ImportQuantity" if zero_verb.startswith("import") else
                   "RefineryProduction" if zero_verb.startswith(("refin", "smelt")) else "TotalProduction")
        mscore = 2.0
    else:
        measure, mscore = measure_for(clause, dim, focus)
        if measure is None:
            measure, mscore = measure_for(text, dim, n.start)
            mscore *= 0.7
        if measure is None:
            measure = lexicon.DEFAULT_BY_DIMENSION.get(dim)
            mscore = 0.4 if measure else 0.0
        if measure is None:
            return None
    if um.noun:
        noun_measure = {"trucks": "VehicleFrequency", "lorries": "VehicleFrequency", "vehicles": "VehicleFrequency",
                        "wagons": "VehicleFrequency", "railcars": "VehicleFrequency", "members": "MembershipSize",
                        "associates": "WorkGroupSize" if re.search(r"groups? of|teams? of", clause, re.I) else "MembershipSize",
                        "miners": "MembershipSize" if re.search(r"consist|members|gathered", clause, re.I) else "Headcount"}
        measure = noun_measure.get(um.noun, measure if measure in ("Headcount", "MembershipSize", "WorkGroupSize")
                                   else "Headcount")
        if um.noun in ("ships", "vessels", "barges"):
            measure = "VehicleFrequency"
    if dim not in MEASURES[measure][1]:
        return None  # a measure the ontology gives another dimension (vehicles are counted per day)
    if unit == "percent" and q.get("value") is not None and q["value"] >= 90 and \
            text[:n.start].rstrip().endswith("(") and \
            any(m.kind in ("material", "element") and 0 <= n.start + off - m.end <= 4 for m in ctx.mentions):
        measure = "Purity"  # "metallic indium (99.998 %)"
    if unit == "percent" and measure == "ElementConcentration" and not re.search(r"indium|zinc|content|grade|concentr",
                                                                          clause, re.I):
        measure = "ShareOfWhole"
    cls = ctx.reg.measures.get(measure, {}).get("class") or MEASURES[measure][0]
    # the mentions of this sentence, the clause first
    smen = [m for m in ctx.mentions if sent.start <= m.start < sent.end and not inside(cit_spans, m.start - off, m.end - off)]
    cmen = [m for m in smen if c_start <= m.start - off < c_end]
    f = Fact("figure", sent.page, sent.start, sent.end, (off + n.start, off + um.end), measure, cls)
    f.quantity = q
    f.confidence = "estimated" if estimated else "stated"
    f.note = um.note
    # period
    set_period(f, text, years, n.start, c_start, c_end, ctx)
    if f.year and unit == "t/year":
        f.quantity["unit"] = "t"  # a yearly rate in one given year is that year's amount
    # material and element
    mats = [m for m in cmen if m.kind == "material"] or [m for m in smen if m.kind == "material"]
    elems = [m for m in cmen if m.kind == "element"] or [m for m in smen if m.kind == "element"]
    if mats:
        f.material = _nearest(mats, off + n.start).ref
        f.links.append(_nearest(mats, off + n.start))
    family = _FAMILY.get(measure, "production")
    if elems:
        el = _nearest(elems, off + n.start)
        if family in ("content", "rate", "money") or measure in ("Purity",):
            f.element = el.ref
        elif not f.material:
            f.material = el.ref
        f.links.append(el)
    trade = measure in FLOW_MEASURES or (dim in ("ratio", "money") and measure not in ("EndUseShare", "PopulationShare",
                                                                                      "ElementConcentration", "Purity",
                                                                                      "EndOfLifeRecyclingRate",
                                                                                      "RecycledShareOfProduction",
                                                                                      "RoyaltyRate", "Price")
                                         and TRADE.search(text))
    if measure in ("Distance", "Duration", "CargoPerVoyage") and re.search(r"\btrip|voyage|journey|transport|shipp|sea\b",
                                                                           text, re.I):
        trade = True
    score = 0.35 + min(0.25, mscore * 0.08)
    if trade and flow_subject(f, sent, ctx, clause, c_start, smen, cmen, measure, text):
        score += 0.2
    else:
        subj, how = _subject(f, sent, ctx, smen, cmen, family, off + n.start, text)
        if subj is None:
            return None
        f.subject = subj.ref
        f.links.append(subj)
        score += {"clause": 0.25, "sentence": 0.18, "context": 0.05}.get(how, 0.0)
        if measure == "EndUseShare":
            apps = [m for m in smen if m.kind == "material" and m.ref != f.subject]
            if apps:
                f.application = _nearest(apps, off + n.start).ref
        if family == "rate":
            places = [m for m in smen if m.kind in ("country", "place", "region") and m.ref != f.subject]
            if places:
                f.place = _nearest(places, off + n.start).ref
    if f.year or f.period:
        score += 0.1
    if zero_verb:
        score -= 0.1
    if measure == lexicon.DEFAULT_BY_DIMENSION.get(dim) and mscore < 1:
        score -= 0.1
    # the document's own source for it: a citation in the sentence, the nearest after the figure first
    cits = [c for c in ctx.citations if sent.start <= c.start < sent.end + 2]
    if cits:
        after = [c for c in cits if c.start >= off + n.start]
        c = after[0] if after else cits[-1]
        if c.source:
            f.cites = [c.source]
            if not f.year and not f.period and c.period:
                f.period = c.period
    elif ctx.inherited_cites:
        f.cites = ctx.inherited_cites[-1:]
    f.score = round(max(0.05, min(0.99, score)), 2)
    f.locator = dict(sent.block.locator())
    if sent.block.kind == "caption" and f.locator.get("figure"):
        # "Figure 11: a) ... ; b) ...": the part of the figure the number sits in
        parts = list(re.finditer(r"(?:^|[\s:;])\(?([a-h])\)\s", text[:n.start]))
        if parts:
            f.locator["figure"] = f"{f.locator['figure']}{parts[-1].group(1)}"
    return f


def _nearest(ms: list[Mention], pos: int) -> Mention:
    return min(ms, key=lambda m: (abs(m.start - pos), -m.start))


def _subject(f: Fact, sent, ctx: Context, smen, cmen, family, pos, text):
    pref = _PREF.get(family, _PREF["production"])
    material_subject = family in ("content", "rate", "price", "unit")

    def cands(pool):
        out = []
        for m in pool:
            p = pref.get(m.kind, 0.0)
            if m.kind == "element" and family in ("content",):
                p = 0.0  # the element of a content figure is its `element`, not its subject
            if m.kind == "material" and not material_subject:
                p = 0.0
            if p <= 0:
                continue
            if f.material and m.ref == f.material and not material_subject:
                continue
            # "in Belgium", "at the Auby smelter", "by Umicore" next to the figure's words
            lead = sent.text[max(0, m.start - sent.start - 16):m.start - sent.start].lower()
            if re.search(r"\b(?:in|at|of|inside|within)\s+(?:the\s+)?$", lead):
                p += 0.4
            dist = abs(m.start - pos)
            out.append((p - dist / 400, m))
        return sorted(out, key=lambda t: -t[0])

    # a pronoun ("this country", "the company") picks its kind
    want = None
    if re.search(r"\b(?:this|that|the) country\b", text, re.I):
        want = "country"
    elif re.search(r"\b(?:the|this|that|its) (?:company|firm|group)\b", text, re.I):
        want = "actor"
    elif re.search(r"\b(?:the|this|that) (?:plant|smelter|refinery|facility|mine|terminal|port)\b", text, re.I):
        want = "site"
    c = [x for x in cands(cmen) if not want or x[1].kind == want]
    if c:
        return c[0][1], "clause"
    c = [x for x in cands(smen) if not want or x[1].kind == want]
    if c:
        return c[0][1], "sentence"
    # earlier in the paragraph, most recent first
    best = None
    for age, m in enumerate(reversed(ctx.history[-40:])):
        if want and m.kind != want:
            continue
        p = pref.get(m.kind, 2.0 if want else 0.0)
        if m.kind == "material" and not material_subject:
            p = 0
        if p <= 0:
            continue
        sc = p - age * 0.05
        if best is None or sc > best[0]:
            best = (sc, m)
    if best:
        return best[1], "context"
    return None, None
