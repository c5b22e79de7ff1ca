"""Plain numbers (issue 14): one formatting function for every page."""

from __future__ import annotations

import rdflib
import pytest

from oretrace.figures import SYMBOLS, Figure, figure_text, number, period, quantity
from oretrace.units import UNITS
from oretrace.vocab import OT, UNIT

from conftest import ROOT


@pytest.mark.parametrize("v, text", [(46236.373, "46,236.373"), ("46236.373", "46,236.373"), (40.0, "40"),
                                     ("0.10", "0.1"), (18150000, "18,150,000"), ("66.67", "66.67"), (0, "0"),
                                     ("1E+3", "1,000"), (None, ""), ("n/a", "n/a")])
def test_numbers(v, text):
    assert number(v) == text


@pytest.mark.parametrize("f, text", [
    (Figure(value="46236.373", unit=UNIT + "TONNE", year=1980), "46,236.373 t in 1980"),
    (Figure(value="50", unit=UNIT + "TONNE-PER-YR", approximate=True, undated=OT + "TypicalAnnualFigure"),
     "about 50 t/yr (a typical year)"),
    (Figure(min="80", max="90", unit=UNIT + "PERCENT", undated=OT + "CurrentAtPublication"), "80–90% (at the time of the source)"),
    (Figure(max="6050000", unit=UNIT + "CCY_EUR", estimated=True, year=2011), "up to €6,050,000 (estimated) in 2011"),
    (Figure(min="20", unit=UNIT + "NUM"), "at least 20 (no year given)"),
    (Figure(value="5", unit=UNIT + "UNITLESS"), "5th (no year given)"),
    (Figure(value="150000", unit=UNIT + "TONNE-PER-YR", start=2013, end=2019), "150,000 t/yr in 2013–2019"),
    (Figure(value="99.998", unit=UNIT + "PERCENT", start=2012), "99.998% (since 2012)"),
    (Figure(value="30", unit=UNIT + "PER-DAY", approximate=True), "about 30 per day (no year given)"),
])
def test_figures_in_plain_words(f, text):
    assert figure_text(f) == text


def test_no_qudt_names_ever_shown():
    for iri in SYMBOLS:
        assert "TONNE" not in quantity(Figure(value=1, unit=iri)) and "CCY" not in quantity(Figure(value=1, unit=iri))
    assert period(Figure()) == "no year given"


def test_the_symbols_are_those_of_the_ontology():
    g = rdflib.Graph().parse(ROOT / "ontology" / "units.ttl")
    shipped = {str(s): str(o) for s, o in g.subject_objects(rdflib.URIRef("http://qudt.org/schema/qudt/symbol"))}
    assert SYMBOLS == {u.iri: shipped[u.iri] for u in UNITS.values()} | {k: v for k, v in shipped.items() if k not in
                                                                          {u.iri for u in UNITS.values()}}
