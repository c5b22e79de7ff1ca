"""The years and periods of a text, and the one a figure is of.

A period is "2014-2018", "2014 to 18" or "between 2014 and 2018"; a year is kept apart by what
stands before it (since, by, a law's number) and around it (a document's date in brackets). A
figure takes the year nearest it in its own clause, skipping subordinate clauses, then "that
year", a cited period, its caption's years, and last a year set earlier in the paragraph.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .model import Fact

if TYPE_CHECKING:
    from .figures import Context

YEAR_RX = re.compile(r"(?<![\w.,/'\u2019-])((?:1[89]|20)\d\d)(?![\w.,]\d)(?!\s*(?:%|t\b|tonnes|kg|ppm|km))")
PERIOD_RX = re.compile(r"(?<![\w.,])((?:1[89]|20)\d\d)\s*(?:[-\u2013\u2014/]|to|and|until|till)\s*((?:1[89]|20)\d\d|\d\d)(?![\w.,]\d)")
BETWEEN_RX = re.compile(r"\b(?:between|from)\s+((?:1[89]|20)\d\d)\s+(?:and|to|until)\s+((?:1[89]|20)\d\d)\b", re.I)


def inside(spans, s, e):
    """Whether s..e lies within one of the spans."""
    return any(a <= s and e <= b for a, b in spans)


def years_in(text: str, cit_spans: list[tuple[int, int]]) -> list[tuple[int, int, object, str]]:
    """(start, end, year or (start, end), kind) for the years of a text; years inside a
    citation are left out, except a citation's range of years (the period of its data)."""
    out = []
    taken = []
    for rx in (BETWEEN_RX, PERIOD_RX):
        for m in rx.finditer(text):
            a = int(m.group(1))
            b_raw = m.group(2)
            b = int(b_raw) if len(b_raw) == 4 else int(str(a)[:2] + b_raw)
            if not a < b <= a + 100:
                continue
            if any(not (m.end() <= x or m.start() >= y) for x, y in taken):
                continue
            kind = "cited-period" if inside(cit_spans, m.start(), m.end()) else "period"
            out.append((m.start(), m.end(), (a, b), kind))
            taken.append((m.start(), m.end()))
    for m in YEAR_RX.finditer(text):
        if any(not (m.end() <= x or m.start() >= y) for x, y in taken) or inside(cit_spans, m.start(), m.end()):
            continue
        before = text[max(0, m.start() - 12):m.start()].lower()
        kind = "since" if re.search(r"\b(?:since|before|after|until|till|by)\s+$", before) else "year"
        if re.search(r"(?:n\u00b0|no\.|law|decree|act)\s*\d*\s*(?:of\s+)?$", before):
            kind = "legal"
        if text[max(0, m.start() - 1):m.start()] == "(" and text[m.end():m.end() + 1] == ")":
            kind = "reference"  # "its licence (2011)": the date of a document, not of the figure
        out.append((m.start(), m.end(), int(m.group(1)), kind))
    return sorted(out)


SUBORDINATE = re.compile(r"\b(?:despite|although|though|whereas|because|unlike|before|after|when|while|until)\b[^,;.]*",
                         re.I)


def set_period(f: Fact, text, years, pos, c_start, c_end, ctx: Context):
    """Give `f` its year or period (see the module's docstring)."""
    # a year in a subordinate clause other than the figure's own dates something else
    sub = [(m.start(), m.end()) for m in SUBORDINATE.finditer(text) if not m.start() <= pos < m.end()]
    usable = [y for y in years if y[3] in ("year", "period") and not inside(sub, y[0], y[1])]
    inclause = [y for y in usable if c_start <= y[0] < c_end]
    pick = None
    if inclause:
        pick = min(inclause, key=lambda y: abs(y[0] - pos))
    elif usable:
        pick = min(usable, key=lambda y: abs(y[0] - pos))
    if pick:
        if isinstance(pick[2], tuple):
            f.period = pick[2]
        else:
            f.year = pick[2]
        return
    if re.search(r"\b(?:that|the same|this) year\b", text, re.I):
        earlier = [y for y in years if y[3] == "year" and y[0] < pos]
        if earlier or ctx.last_year:
            f.year = earlier[-1][2] if earlier else ctx.last_year
            return
    cited = [y for y in years if y[3] == "cited-period"]
    if cited:
        f.period = cited[0][2]
        return
    if ctx.caption_years:
        y = ctx.caption_years
        if isinstance(y, tuple):
            f.period = y
        else:
            f.year = y
        return
    if ctx.year_context:
        f.year = ctx.year_context

