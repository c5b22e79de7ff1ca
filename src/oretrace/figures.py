"""Figures in plain words: the one formatting function every page, CSV and report uses.

`number` writes a number with thousands separators and no spurious ".0"; `quantity` a figure with
its unit symbol (from the graph: qudt:symbol in ontology/units.ttl), as a range or an open bound
where the source gives one, with "about" and "estimated" as the source says; `period` the year,
interval or the reason there is none. "5 % of the value of exported indium ore" is `quantity`
followed by what it is a share of, which the caller adds from the figure's dimensions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .vocab import OT, UNIT

# Symbols as printed, for when the graph's own table is not at hand (kept equal to ontology/units.ttl by a test).
SYMBOLS = {
    UNIT + "TONNE": "t", UNIT + "KiloTONNE": "kt", UNIT + "MegaTONNE": "Mt", UNIT + "KiloGM": "kg", UNIT + "GM": "g",
    UNIT + "PPM": "ppm", UNIT + "PERCENT": "%", UNIT + "CCY_EUR": "€", UNIT + "CCY_USD": "USD", UNIT + "KiloM": "km",
    UNIT + "DAY": "d", UNIT + "MO": "months", UNIT + "YR": "yr", UNIT + "TONNE-PER-YR": "t/yr",
    UNIT + "TONNE-PER-DAY": "t/day", UNIT + "NUM": "", UNIT + "PER-DAY": "per day", UNIT + "NUM-PER-YR": "per year",
    UNIT + "UNITLESS": "", OT + "EUR-PER-KiloGM": "€/kg", OT + "USD-PER-KiloGM": "USD/kg",
}
PREFIXED = {"€", "USD"}  # money symbols go before the number: €6,050,000; USD 1,200
TIGHT = {"%"}  # written without a space: 36%
UNDATED = {OT + "NoPeriodInSource": "no year given", OT + "TypicalAnnualFigure": "a typical year",
           OT + "CurrentAtPublication": "at the time of the source", OT + "LastingProperty": "lasting"}


def number(v) -> str:
    """1234567.0 -> '1,234,567'; 46236.373 -> '46,236.373'; '0.10' -> '0.1'; text stays text."""
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        return str(v)
    if not d.is_finite():
        return str(v)
    d = d.normalize()
    if d.as_tuple().exponent >= 0:
        return f"{int(d):,}"
    whole, frac = f"{abs(d):f}".split(".")
    return ("-" if d < 0 else "") + f"{int(whole):,}.{frac}"


@dataclass
class Figure:
    """What a page knows of one figure (values as numbers or strings, IRIs as strings)."""

    value: object = None
    min: object = None
    max: object = None
    unit: str | None = None
    approximate: bool = False
    estimated: bool = False
    year: object = None
    start: object = None
    end: object = None
    undated: str | None = None


def _with_unit(n: str, symbol: str) -> str:
    if not symbol:
        return n
    if symbol in PREFIXED:
        return f"{symbol}{n}" if symbol == "€" else f"{symbol} {n}"
    if symbol in TIGHT:
        return f"{n}{symbol}"
    return f"{n} {symbol}"


def quantity(f: Figure, symbols: dict[str, str] | None = None) -> str:
    """'about 50 t/yr', '80–90%', 'up to €6,050,000', 'at least 20', '5th' (a rank)."""
    symbol = (symbols or SYMBOLS).get(f.unit or "", "") if f.unit else ""
    if f.unit == UNIT + "UNITLESS" and f.value is not None:  # a rank
        n = int(Decimal(str(f.value)))
        text = f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
    elif f.value is not None:
        text = _with_unit(number(f.value), symbol)
    elif f.min is not None and f.max is not None:
        text = _with_unit(f"{number(f.min)}–{number(f.max)}", symbol)
    elif f.max is not None:
        text = "up to " + _with_unit(number(f.max), symbol)
    elif f.min is not None:
        text = "at least " + _with_unit(number(f.min), symbol)
    else:
        return "not given"
    if f.approximate and not text.startswith(("up to", "at least")):
        text = "about " + text
    if f.estimated:
        text += " (estimated)"
    return text


def period(f: Figure) -> str:
    """'2018', '2013–2019', 'since 2012', 'a typical year'."""
    if f.year not in (None, ""):
        return str(f.year)
    if f.start not in (None, "") and f.end not in (None, ""):
        return f"{f.start}–{f.end}" if str(f.start) != str(f.end) else str(f.start)
    if f.start not in (None, ""):
        return f"since {f.start}"
    if f.end not in (None, ""):
        return f"until {f.end}"
    return UNDATED.get(f.undated or "", "no year given")


def figure_text(f: Figure, symbols: dict[str, str] | None = None) -> str:
    """The figure and its period in one phrase: 'about 50 t/yr (a typical year)', '40 t in 2018'."""
    p = period(f)
    q = quantity(f, symbols)
    if f.year not in (None, "") or (f.start not in (None, "") and f.end not in (None, "")):
        return f"{q} in {p}"
    return f"{q} ({p})"
