"""The units curated files may use: symbol -> QUDT unit, dimension, and factor to the base unit."""

from __future__ import annotations

from dataclasses import dataclass

from .vocab import OT, UNIT


@dataclass(frozen=True)
class Unit:
    symbol: str
    iri: str
    dimension: str  # as ot:dimension in ontology/units.ttl (a test holds the two together)
    factor: float  # multiply a value by this to get the dimension's base unit
    base: str  # symbol of the base unit


UNITS = {u.symbol: u for u in [
    Unit("t", UNIT + "TONNE", "mass", 1.0, "t"),
    Unit("kt", UNIT + "KiloTONNE", "mass", 1000.0, "t"),
    Unit("Mt", UNIT + "MegaTONNE", "mass", 1e6, "t"),
    Unit("kg", UNIT + "KiloGM", "mass", 0.001, "t"),
    Unit("g", UNIT + "GM", "mass", 1e-6, "t"),
    Unit("ppm", UNIT + "PPM", "ratio", 1e-4, "percent"),
    Unit("percent", UNIT + "PERCENT", "ratio", 1.0, "percent"),
    Unit("EUR", UNIT + "CCY_EUR", "money", 1.0, "EUR"),
    Unit("USD", UNIT + "CCY_USD", "money", 1.0, "USD"),
    Unit("EUR/kg", OT + "EUR-PER-KiloGM", "money-per-mass", 1.0, "EUR/kg"),
    Unit("USD/kg", OT + "USD-PER-KiloGM", "money-per-mass", 1.0, "USD/kg"),
    Unit("km", UNIT + "KiloM", "length", 1.0, "km"),
    Unit("day", UNIT + "DAY", "time", 1.0, "day"),
    Unit("month", UNIT + "MO", "time", 30.436875, "day"),
    Unit("year", UNIT + "YR", "time", 365.25, "day"),
    Unit("t/year", UNIT + "TONNE-PER-YR", "mass-rate", 1.0, "t/year"),
    Unit("t/day", UNIT + "TONNE-PER-DAY", "mass-rate", 365.25, "t/year"),
    Unit("count", UNIT + "NUM", "count", 1.0, "count"),
    Unit("count/day", UNIT + "PER-DAY", "count-rate", 365.25, "count/year"),
    Unit("count/year", UNIT + "NUM-PER-YR", "count-rate", 1.0, "count/year"),
    Unit("rank", UNIT + "UNITLESS", "rank", 1.0, "rank"),
]}

BY_IRI = {u.iri: u for u in UNITS.values()}


def to_base(value: float, symbol: str) -> tuple[float, str]:
    """Convert a value in `symbol` to its dimension's base unit."""
    u = UNITS[symbol]
    return value * u.factor, u.base
