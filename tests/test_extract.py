"""oretrace extract: each pattern on text written for these tests, a PDF the test makes itself,
HTML and Markdown, and bad input (exit 2, a clear message, nothing written)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, shared_path

FIXTURES = ROOT / "tests" / "fixtures" / "extract"


@pytest.fixture()
def project(minimal_project):
    """The minimal project plus the extraction tests' entities and their source."""
    shutil.copy(FIXTURES / "entities.yaml", minimal_project / "data" / "entities" / "test-entities.yaml")
    shutil.copy(FIXTURES / "field-notes.yaml", minimal_project / "data" / "sources" / "field-notes.yaml")
    return minimal_project


def settings_for(root):
    from oretrace.config import Settings

    return Settings(root=root)


def extract(project, tmp_path, text, name="doc.txt", source="test-doc", **kw):
    from oretrace.extract import pipeline

    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return pipeline.run(p, source, settings_for(project), min_score=kw.pop("min_score", 0.0), **kw)


def figures(ex):
    return [f for f in ex.facts if f.kind in ("figure", "table-cell")]


def one(ex, **want):
    found = [f for f in figures(ex) if all(getattr(f, k) == v for k, v in want.items())]
    assert len(found) == 1, (want, [(f.measure, f.subject, f.quantity, f.year) for f in figures(ex)])
    return found[0]


def run_cli(project, *args):
    import os

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "oretrace", "--root", str(project), *args], capture_output=True,
                          text=True, env=env, timeout=120)


# ------------------------------------------------------------------ numbers
@pytest.mark.parametrize("token,decimal,value", [
    ("46236,373", ",", "46236.373"), ("46236,373", ".", "46236.373"),  # five digits before: a decimal comma
    ("18.150.000", ",", "18150000"), ("1,250,000", ".", "1250000"),
    ("150.000", ",", "150000"), ("150.000", ".", "150.000"),  # reads both ways: the document decides
    ("1.250,5", ",", "1250.5"), ("1,250.5", ".", "1250.5"), ("36868.26", ",", "36868.26"),
])
def test_number_notations(token, decimal, value):
    from oretrace.extract.numbers import read_digits

    assert read_digits(token, decimal)[0] == Decimal(value)


def test_document_notation_is_decided_by_unambiguous_tokens():
    from oretrace.extract.numbers import notation

    assert notation(["it cost 18.150.000 euro and 2.750.000 more; 445.000 t"]) == ","
    assert notation(["it cost 18,150,000 dollars, 2.5 % more; 445,000 t"]) == "."


def test_number_words_and_fractions():
    from oretrace.extract.numbers import find_numbers

    got = [(n.text, n.value) for n in find_numbers("thirty trucks, ten thousand tonnes, 9/10th, two thirds, 1.5 million")]
    assert got[0] == ("thirty", 30) and got[1] == ("ten thousand", 10000)
    assert got[2][1] == Decimal("0.9") and round(got[3][1], 4) == Decimal("0.6667")
    assert got[4] == ("1.5 million", Decimal("1500000.0"))


# ------------------------------------------------------------------ figures in prose
def test_production_with_year_subject_material_and_citation(project, tmp_path):
    ex = extract(project, tmp_path, "Output\n\nPeru produced 1,250,000 t of zinc concentrate in 2019 (NSO, 2020).\n")
    f = one(ex, measure="TotalProduction")
    assert (f.subject, f.material, f.year, f.quantity) == ("country/PE", "material/zinc-concentrate", 2019,
                                                          {"value": 1250000, "unit": "t"})
    assert f.cites == ["nso-2020"]  # matched to the cited source the curated files already have
    assert f.cls == "ProductionObservation" and f.locator == {"section": "Output", "paragraph": "1"}


def test_european_notation_and_refinery_production(project, tmp_path):
    ex = extract(project, tmp_path, "Refinery production in Finland reached 46236,373 t in 2018, "
                                    "against 18.150.000 t of ore handled in ten years.\n")
    f = next(f for f in figures(ex) if f.quantity.get("value") == 46236.373)
    assert (f.measure, f.subject, f.year) == ("RefineryProduction", "country/FI", 2018)
    assert any(f.quantity.get("value") == 18150000 for f in figures(ex))


@pytest.mark.parametrize("phrase,quantity", [
    ("about 584 ppm of indium", {"value": 584, "unit": "ppm", "approximate": True}),
    ("some 2.5 % of indium", {"value": 2.5, "unit": "percent", "approximate": True}),
    ("roughly 30 ppm of indium", {"value": 30, "unit": "ppm", "approximate": True}),
    ("up to 40 ppm of indium", {"max": 40, "unit": "ppm"}),
    ("80-90 % of indium", {"min": 80, "max": 90, "unit": "percent"}),
    ("between 2 and 6 % indium", {"min": 2, "max": 6, "unit": "percent"}),
])
def test_qualifiers_and_ranges(project, tmp_path, phrase, quantity):
    ex = extract(project, tmp_path, f"The ore of the Cerro Alto mine has a content of {phrase}.\n")
    f = one(ex, measure="ElementConcentration")
    assert f.quantity == quantity
    assert (f.subject, f.element) == ("site/cerro-alto-mine", "Indium")


@pytest.mark.parametrize("sentence,unit,value,measure", [
    ("The Northport smelter has a capacity of 150 kt/y of zinc.", "t/year", 150000, "ProductionCapacity"),
    ("The Northport smelter can produce 72 tonnes per year of zinc.", "t/year", 72, "ProductionCapacity"),
    ("The Northport smelter produces 2 Mt of zinc.", "Mt", 2, "TotalProduction"),
    ("The Northport smelter produces 300 tonnes of zinc a day.", "t/day", 300, "TotalProduction"),
    ("Every year the Northport smelter produces 40 kt of zinc.", "t/year", 40000, "TotalProduction"),
])
def test_mass_units_and_rates(project, tmp_path, sentence, unit, value, measure):
    ex = extract(project, tmp_path, sentence + "\n")
    f = one(ex, measure=measure)
    assert f.quantity.get("value") == value and f.quantity["unit"] == unit
    assert f.subject == "site/northport-smelter"


def test_money_prices_distance_and_time(project, tmp_path):
    ex = extract(project, tmp_path,
                 "In 2020 the price of zinc averaged USD 2,500 per tonne and indium sold at 350 USD/kg. "
                 "Royalties of 6,050,000 euro were not collected on the exports of Peru. "
                 "The trip from Peru to Finland covers 13,000 km and takes about one month, or 30 days.\n")
    assert one(ex, measure="Price", subject="Indium").quantity == {"value": 350, "unit": "USD/kg"}
    zinc = one(ex, measure="Price", subject="Zinc")  # per tonne, given per kilogram
    assert zinc.quantity == {"value": 2.5, "unit": "USD/kg"} and zinc.note == "converted from a price per tonne"
    royal = one(ex, measure="RoyaltyNotCollected")
    assert royal.quantity == {"value": 6050000, "unit": "EUR"}
    dist = one(ex, measure="Distance")
    assert dist.quantity == {"value": 13000, "unit": "km"} and dist.subject.startswith("flow/")
    trip = next(n for n in dist.new_entities if n["id"] == dist.subject)
    assert (trip["origin"], trip["destination"]) == ("country/PE", "country/FI")
    assert one(ex, measure="Duration", quantity={"value": 1, "unit": "month", "approximate": True})
    assert one(ex, measure="Duration", quantity={"value": 30, "unit": "day"})


def test_shares_recycling_end_use_and_people(project, tmp_path):
    ex = extract(project, tmp_path,
                 "Only 1 % of indium is recycled from end-of-life products. Flat screens take 60 % of the end use "
                 "of indium. Mining gives an income to around 2 % of the population of Peru, some 200,000 people.\n")
    assert one(ex, measure="EndOfLifeRecyclingRate").subject == "Indium"
    assert one(ex, measure="EndUseShare").quantity == {"value": 60, "unit": "percent"}
    share = one(ex, measure="PopulationShare")
    assert share.subject == "country/PE" and share.quantity["approximate"] is True
    assert one(ex, measure="Headcount").quantity == {"value": 200000, "unit": "count", "approximate": True}


def test_trade_flows_from_and_to(project, tmp_path):
    ex = extract(project, tmp_path,
                 "In 2019, 22 % of the zinc ores imported to Finland came from Peru. Peruvian exports to China "
                 "averaged 900 kt per year between 2013 and 2019.\n")
    share = one(ex, measure="ShareOfWhole")
    flow = next(n for n in share.new_entities if n["id"] == share.subject)
    assert (flow["a"], flow["origin"], flow["destination"], share.year) == ("Import", "country/PE", "country/FI", 2019)
    exp = one(ex, measure="ExportQuantity")
    flow = next(n for n in exp.new_entities if n["id"] == exp.subject)
    assert (flow["a"], flow["origin"], flow["destination"]) == ("Export", "country/PE", "country/CN")
    assert exp.period == (2013, 2019) and exp.quantity == {"value": 900000, "unit": "t/year"}


def test_consumption_reserves_and_zero(project, tmp_path):
    ex = extract(project, tmp_path,
                 "Finland consumed 12 kt of zinc in 2018. Peru holds reserves of 19 Mt of zinc. "
                 "No zinc was smelted in Peru in 2016.\n")
    assert one(ex, measure="Consumption").quantity == {"value": 12, "unit": "kt"}
    assert one(ex, measure="Reserves").quantity == {"value": 19, "unit": "Mt"}
    zero = one(ex, measure="RefineryProduction")
    assert (zero.subject, zero.year, zero.quantity) == ("country/PE", 2016, {"value": 0, "unit": "t"})


def test_years_in_citations_and_subordinate_clauses_do_not_date_a_figure(project, tmp_path):
    ex = extract(project, tmp_path,
                 "Peru produced 30 t of indium (NSO, 2020). No indium was refined in Peru despite a plant "
                 "finished in 2013. Its licence (2011) allows 5 kt of zinc a year at the Northport smelter.\n")
    assert one(ex, measure="TotalProduction").year is None
    assert one(ex, measure="RefineryProduction").year is None
    assert one(ex, measure="ProductionCapacity").year is None


def test_not_figures(project, tmp_path):
    ex = extract(project, tmp_path,
                 "Figure 3 shows the 21st century trend. Law 535 of 2014 applies. Two companies and four rules "
                 "matter; the last 15 years saw change. See section 2.1.\n")
    assert figures(ex) == []


def test_same_fact_twice_is_proposed_once(project, tmp_path):
    ex = extract(project, tmp_path, "Peru produced 40 t of indium in 2018. In 2018 Peru produced 40 tonnes of indium.\n")
    assert len(figures(ex)) == 1


# ------------------------------------------------------------------ tables
SEED_LIKE_TABLE = """Zinc output

Figure 2: Zinc concentrate of Peru (NSO, 2020).

'17 '18 '19
Tonnes of zinc concentrate
Total production of zinc concentrate 51804,125 49377,5 50210,042
State mining production 21733,908 20995,41 19802,777
Export of zinc concentrate from Peru to Finland 6120,334 5873,19 4987,606
Import in Finland from Peru 0 0 0
"""

AGENCY_TABLE = """Zinc statistics

Table 1. World mine production and reserves
(Metric tons of contained zinc)

                     Mine production       Reserves
                     2019       2020e
United States        753,000    720,000    11,000,000
Peru(1)              1,400,000  1,200,000  19,000,000
China e              4,200,000  4,100,000  44,000,000
Bolivia              520,000    W          4,800,000
Mexico      2        650,000    640,000    22,000,000
Namibia              \u2014          NA         -
World total          12,500,000 12,000,000 250,000,000

(1) Includes the output of small mines.
"""


def test_table_of_labels_against_year_columns(project, tmp_path):
    ex = extract(project, tmp_path, SEED_LIKE_TABLE)
    cells = [f for f in ex.facts if f.kind == "table-cell"]
    assert len(cells) == 12
    tot = one(ex, measure="TotalProduction", year=2017)
    assert (tot.subject, tot.quantity) == ("country/PE", {"value": 51804.125, "unit": "t"})
    assert tot.locator == {"section": "Zinc output", "figure": "2",
                           "row": "Total production of zinc concentrate", "column": "'17"}
    assert tot.cites == ["nso-2020"]
    assert one(ex, measure="StateMiningProduction", year=2018).quantity["value"] == 20995.41
    exp = one(ex, measure="ExportQuantity", year=2019)
    flow = next(n for n in exp.new_entities if n["id"] == exp.subject)
    assert (flow["origin"], flow["destination"], exp.quantity["value"]) == ("country/PE", "country/FI", 4987.606)
    imp = one(ex, measure="ImportQuantity", year=2018)
    flow = next(n for n in imp.new_entities if n["id"] == imp.subject)
    assert (flow["a"], flow["origin"], flow["destination"], imp.quantity["value"]) == \
        ("Import", "country/PE", "country/FI", 0)


def test_statistical_agency_table(project, tmp_path):
    ex = extract(project, tmp_path, AGENCY_TABLE)
    us = one(ex, subject="country/US", measure="TotalProduction", year=2019)
    assert us.quantity == {"value": 753000, "unit": "t"} and us.material == "Zinc"
    assert us.locator == {"section": "Zinc statistics", "table": "1", "row": "United States", "column": "2019"}
    assert one(ex, subject="country/US", measure="TotalProduction", year=2020).quantity["estimated"] is True
    assert one(ex, subject="country/US", measure="Reserves").quantity == {"value": 11000000, "unit": "t"}
    peru = one(ex, subject="country/PE", measure="TotalProduction", year=2019)  # footnote marker (1) left out
    assert peru.locator["row"] == "Peru" and peru.quantity["value"] == 1400000
    assert one(ex, subject="country/CN", measure="Reserves").quantity["estimated"] is True  # "China e"
    mx = one(ex, subject="country/MX", measure="TotalProduction", year=2019)  # marker 2 before the values
    assert mx.quantity["value"] == 650000 and mx.locator["row"] == "Mexico"
    bo = [f for f in figures(ex) if f.subject == "country/BO"]
    assert sorted((f.measure, f.year) for f in bo) == [("Reserves", None), ("TotalProduction", 2019)]  # W withheld
    na = [f for f in figures(ex) if f.subject == "country/NA"]
    assert sorted((f.measure, f.quantity["value"]) for f in na) == [("Reserves", 0), ("TotalProduction", 0)]
    assert not [f for f in figures(ex) if "World" in f.locator.get("row", "")]  # no entity: no subject


def test_markdown_and_html_tables(project, tmp_path):
    md = ("# Zinc review\n\n## Output\n\nTable 2: Zinc output (tonnes)\n\n| Country | 2019 | 2020 |\n|---|---|---|\n"
          "| Peru | 1,400 | 1,250 |\n| Finland | 300 | - |\n")
    ex = extract(project, tmp_path, md, name="doc.md")
    assert one(ex, subject="country/PE", year=2020).quantity == {"value": 1250, "unit": "t"}
    assert one(ex, subject="country/FI", year=2020).quantity == {"value": 0, "unit": "t"}
    assert ex.source_entry["title"] == "Zinc review"
    html = ("<html><head><title>Zinc review</title><meta name='author' content='A. Writer'>"
            "<meta name='citation_publication_date' content='2021-03-01'></head><body><h1>Zinc review</h1>"
            "<h2>Output</h2><p>Peru produced <b>1,400 t</b> of zinc in 2019.</p>"
            "<table><caption>Table 3: Output (tonnes)</caption><tr><th>Country</th><th>2019</th><th>2020</th></tr>"
            "<tr><td>Finland</td><td>300</td><td>310</td></tr></table><script>var x = '99 t';</script></body></html>")
    ex = extract(project, tmp_path, html, name="doc.html")
    f = one(ex, kind="figure")
    assert (f.subject, f.year, f.quantity, f.locator) == ("country/PE", 2019, {"value": 1400, "unit": "t"},
                                                         {"section": "Output", "paragraph": "1"})
    assert one(ex, subject="country/FI", year=2020).locator["table"] == "3"
    assert ex.source_entry == {"id": "test-doc", "a": "Report", "title": "Zinc review", "creator": ["A. Writer"],
                               "year": 2021}
    assert not [f for f in figures(ex) if f.quantity.get("value") == 99]  # scripts are not text


# ------------------------------------------------------------------ citations
def test_citations_matched_or_proposed(project, tmp_path):
    ex = extract(project, tmp_path,
                 "Peru produced 40 t of indium (NSO, 2020 \u2013 see Figure 1a). The ore was assayed "
                 "(Ishihara et al. 2011; Smith and Jones, 2002). According to Quispe (2018) the grade fell.\n")
    got = {c.text: (c.source, c.new) for c in ex.citations}
    assert got["NSO, 2020"] == ("nso-2020", False)
    assert got["Ishihara et al., 2011"] == ("ishihara-2011", True)
    assert got["Smith and Jones, 2002"][1] is True and got["Quispe, 2018"] == ("quispe-2018", True)
    entry = ex.new_sources["ishihara-2011"]["entry"]
    assert entry["creator"] == ["Ishihara et al."] and entry["year"] == 2011 and entry["at"] == {"paragraph": "1"}


def test_misspelt_citation_matches_by_fuzzy_names(project, tmp_path):
    ex = extract(project, tmp_path, "Peru produced 40 t of indium (National Statistics Ofice, 2020).\n")
    assert ex.citations[0].source == "nso-2020"


# ------------------------------------------------------------------ entity mentions
def test_entity_links(project, tmp_path):
    ex = extract(project, tmp_path,
                 "Andes Metals runs the Cerro Alto mine. The NZ Group buys Peruvian ore for the Northport smelter "
                 "in Finland; the United States of America and Nordik Zinc also trade it. Bolivia's Department of "
                 "Potos\u00ed and Potos\u00ed are named.\n")
    links = {(m.text, m.ref, m.by) for m in ex.mentions}
    assert ("Andes Metals", "actor/andes-metals", "alt-label") in links
    assert ("Cerro Alto mine", "site/cerro-alto-mine", "label") in links
    assert ("NZ Group", "actor/nordic-zinc", "alt-label") in links
    assert ("Peruvian", "country/PE", "demonym") in links
    assert ("Finland", "country/FI", "iso-name") in links
    assert ("United States of America", "country/US", "iso-name") in links
    assert ("Nordik Zinc", "actor/nordic-zinc", "fuzzy") in links
    assert ("Potos\u00ed", "region/BO-P", "iso-name") in links


def test_new_entities_proposed_with_a_kind(project, tmp_path):
    ex = extract(project, tmp_path,
                 "Ore from the Huanca mine goes to Kallio Metals Ltd. and then aboard the cargo vessel Sea Tern "
                 "to the Port of Oulu, run by the Cooperativa Minera San Luis.\n")
    new = {ref: fields["a"] for ref, (fields, _) in ex.new_entities.items()}
    assert new["site/huanca-mine"] == "Mine"
    assert new["actor/kallio-metals-ltd"] == "Actor"
    assert new["vessel/sea-tern"] == "Vessel"
    assert new["site/port-of-oulu"] == "Port"
    assert new["actor/cooperativa-minera-san-luis"] == "MiningCooperative"


# ------------------------------------------------------------------ relations
def rel(ex, about, prop):
    return [f.facts.get(prop) for f in ex.facts if f.kind == "relation" and f.about == about and prop in f.facts]


def test_relations(project, tmp_path):
    ex = extract(project, tmp_path,
                 "The Cerro Alto mine1 is productive.\n\n1 Located in Peru, owned by Andes Metals S.A. and operated "
                 "by Nordic Zinc, a subsidiary of the National Statistics Office.\n\n"
                 "Peruvian zinc concentrate is exported to China and Finland. The concentrate is sold to Nordic Zinc. "
                 "Zinc concentrate is processed in Finland.\n")
    assert rel(ex, "site/cerro-alto-mine", "owned_by") == ["actor/andes-metals"]
    assert rel(ex, "site/cerro-alto-mine", "operated_by") == ["actor/nordic-zinc"]
    assert rel(ex, "actor/nordic-zinc", "subsidiary_of") == ["actor/statistics-office"]
    assert rel(ex, "site/cerro-alto-mine", "located_in") == ["country/PE"]
    flows = [n for f in ex.facts if f.kind == "relation" for n in f.new_entities]
    exports = {(n.get("origin"), n["destination"]) for n in flows if n["a"] == "Export"}
    assert exports == {("country/PE", "country/CN"), ("country/PE", "country/FI")}
    assert any(n["a"] == "Sale" and n["buyer"] == "actor/nordic-zinc" for n in flows)
    assert any(n["a"] == "Process" and n["input"] == "material/zinc-concentrate" and n["performed_at"] == "country/FI"
               for n in flows)
    fn = next(f for f in ex.facts if f.about == "site/cerro-alto-mine")
    assert fn.locator == {"footnote": "1"}


def test_produced_at_and_owner_of(project, tmp_path):
    ex = extract(project, tmp_path, "Nordic Zinc, current owner of Andes Metals, says zinc concentrate is "
                                    "produced at the Cerro Alto mine.\n")
    assert rel(ex, "actor/andes-metals", "owned_by") == ["actor/nordic-zinc"]
    node = next(n for f in ex.facts for n in f.new_entities if n["a"] == "Process")
    assert node["output"] == "material/zinc-concentrate" and node["performed_at"] == "site/cerro-alto-mine"


# ------------------------------------------------------------------ locators and pages
def make_pdf(path: Path, pages: list[str]):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Zinc in the north")
    pdf.set_author("Test Writer")
    for text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        for para in text.split("\n\n"):
            pdf.multi_cell(0, 6, para)
            pdf.ln(6)
    pdf.output(str(path))


def test_pdf_pages_sections_figures_and_footnotes(project, tmp_path):
    pdf = tmp_path / "report.pdf"
    make_pdf(pdf, [
        "Mining in Peru\n\nPeru produced 1,250 t of indium in 2019 (NSO, 2020).\n\n"
        "The Cerro Alto mine2 is old.\n\n2 Owned by Andes Metals S.A.",
        "Smelting in Finland\n\nSome context comes first.\n\nThe Northport smelter produced about 72 t of indium "
        "in 2020.\n\nFigure 4: Finland exported 30 t of indium in 2021.",
    ])
    from oretrace.extract import pipeline

    ex = pipeline.run(pdf, "north-report", settings_for(project), min_score=0.0)
    assert len(ex.doc.pages) == 2
    a = one(ex, year=2019)
    assert a.locator == {"page": 1, "section": "Mining in Peru", "paragraph": "1"} and a.subject == "country/PE"
    b = one(ex, year=2020)
    assert b.locator == {"page": 2, "section": "Smelting in Finland", "paragraph": "2"}
    assert b.subject == "site/northport-smelter" and b.quantity == {"value": 72, "unit": "t", "approximate": True}
    c = one(ex, year=2021)
    assert c.locator == {"page": 2, "figure": "4"}
    r = next(f for f in ex.facts if f.kind == "relation")
    assert (r.about, r.facts, r.locator) == ("site/cerro-alto-mine", {"owned_by": "actor/andes-metals"},
                                            {"page": 1, "section": "Mining in Peru", "footnote": "2"})
    page = ex.doc.pages[a.page - 1].text
    assert "1,250" in page[a.focus[0]:a.focus[1]] and "Peru produced" in page[a.start:a.end]
    assert ex.source_entry["title"] == "Zinc in the north" and ex.source_entry["creator"] == ["Test Writer"]


def test_plain_text_pages_are_form_feeds(project, tmp_path):
    ex = extract(project, tmp_path, "Peru produced 5 t of indium in 2019.\fFinland produced 6 t of indium in 2019.\n")
    assert {f.locator["page"] for f in figures(ex)} == {1, 2}


# ------------------------------------------------------------------ the command and its output
def test_cli_writes_curated_proposals(project, tmp_path):
    doc = tmp_path / "notes.txt"
    doc.write_text("Output\n\nPeru produced 1,250,000 t of zinc concentrate in 2019 (NSO, 2020; Quispe, 2018).\n")
    r = run_cli(project, "extract", str(doc), "--source", "field-notes")
    assert r.returncode == 0, r.stderr
    out = project / "data" / "proposals" / "field-notes.yaml"
    assert "wrote data/proposals/field-notes.yaml: 1 proposed statement" in r.stdout
    d = yaml.safe_load(out.read_text())
    assert d["proposals_for"] == "field-notes" and d["document"]["pages"] == 1 and len(d["document"]["sha256"]) == 64
    assert "source" not in d  # the source exists
    assert [c["id"] for c in d["cited_sources"]] == ["quispe-2018"]
    st = d["statements"][0]
    assert set(st) == {"id", "at", "cites", "confidence", "says", "assert", "proposal"}
    assert st["says"] == "Peru: total production of zinc concentrate, 1,250,000 t in 2019"
    node = st["assert"][0]
    assert node["subject"] == "country/PE" and node["year"] == 2019 and node["quantity"] == {"value": 1250000, "unit": "t"}
    p = st["proposal"]
    assert p["kind"] == "figure" and p["status"] == "proposed" and 0 < p["score"] <= 1
    text = doc.read_text()
    assert text[p["span"]["start"]:p["span"]["end"]].startswith("Peru produced")
    assert set(d) <= {"proposals_for", "document", "extracted_on", "extractor", "curator", "source", "cited_sources",
                      "entities", "statements"}


def test_new_source_is_proposed(project, tmp_path):
    doc = tmp_path / "n.md"
    doc.write_text("# Indium in Peru\n\nPeru produced 5 t of indium in 2019.\n")
    r = run_cli(project, "extract", str(doc), "--source", "indium-in-peru")
    assert r.returncode == 0, r.stderr
    d = yaml.safe_load((project / "data" / "proposals" / "indium-in-peru.yaml").read_text())
    assert d["source"] == {"id": "indium-in-peru", "a": "Report", "title": "Indium in Peru"}
    assert "does not give the new source's a publisher or creator, a year (or year_not_before)" in r.stderr


@pytest.mark.parametrize("source", ["../escape", "Bad_Id", "a/b", "x" * 130, "..", ""])
def test_cli_refuses_a_bad_source_id(project, tmp_path, source):
    doc = tmp_path / "d.txt"
    doc.write_text("Peru produced 5 t of indium in 2019.\n")
    r = run_cli(project, "extract", str(doc), "--source", source)
    assert r.returncode == 2 and "not a slug" in r.stderr and "Traceback" not in r.stderr
    assert not (project / "data" / "proposals").exists()


def _encrypted_pdf(path: Path):
    from pypdf import PdfReader, PdfWriter

    plain = path.with_name("plain.pdf")
    make_pdf(plain, ["Peru produced 5 t of indium in 2019."])
    w = PdfWriter()
    for pg in PdfReader(plain).pages:
        w.add_page(pg)
    w.encrypt(user_password="secret", owner_password="owner")
    with open(path, "wb") as fh:
        w.write(fh)


@pytest.mark.parametrize("kind,message", [
    ("missing", "no such file"),
    ("junk", "binary data, not text"),
    ("broken-pdf", "not a readable PDF"),
    ("encrypted-pdf", "encrypted with a password"),
    ("huge", "over the limit"),
    ("empty", "the file is empty"),
    ("folder", "not a regular file"),
])
def test_bad_input_exits_2_and_writes_nothing(project, tmp_path, kind, message):
    p = tmp_path / {"missing": "none.txt", "junk": "junk.txt", "broken-pdf": "broken.pdf",
                    "encrypted-pdf": "locked.pdf", "huge": "huge.txt", "empty": "empty.txt", "folder": "dir"}[kind]
    if kind == "junk":
        p.write_bytes(bytes(range(256)) * 64)
    elif kind == "broken-pdf":
        p.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF")
    elif kind == "encrypted-pdf":
        _encrypted_pdf(p)
    elif kind == "huge":
        with open(p, "wb") as fh:
            fh.truncate(65 * 1024 * 1024)  # sparse: larger than the limit without writing it
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "folder":
        p.mkdir()
    r = run_cli(project, "extract", str(p), "--source", "bad-input")
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr and "nothing was written" in r.stderr and "Traceback" not in r.stderr
    assert not (project / "data" / "proposals" / "bad-input.yaml").exists()


def test_unreadable_page_of_a_pdf_is_reported(project, tmp_path):
    p = tmp_path / "cut.pdf"
    make_pdf(p, ["Peru produced 5 t of indium in 2019."] * 3)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])  # cut in the middle: the cross-reference table is gone
    r = run_cli(project, "extract", str(p), "--source", "cut-pdf")
    assert r.returncode == 2 and "nothing was written" in r.stderr and "Traceback" not in r.stderr


def test_proposals_never_copy_the_documents_sentences(tmp_path):
    """The seed's proposals, written into data/proposals/, leave copied-sentences silent."""
    seed = shared_path("seeds", "000_16f2dc4e34440a02.txt")
    tool = shared_path("tools", "copied-sentences")
    from oretrace.config import Settings
    from oretrace.extract import output, pipeline

    ex = pipeline.run(seed, "catapa-indium-report", Settings(root=ROOT), blind=True)
    text, _ = output.render(ex, Settings(root=ROOT))
    repo = tmp_path / "repo"
    (repo / "data" / "proposals").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "data" / "proposals" / "catapa-indium-report.yaml").write_text(text)
    r = subprocess.run([sys.executable, str(tool), str(repo)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "", r.stdout
    # and the check is real: a sentence of the seed in the file is caught
    first = seed.read_text().split("\n")[0]
    (repo / "data" / "proposals" / "catapa-indium-report.yaml").write_text(text + f"# {first}\n")
    r = subprocess.run([sys.executable, str(tool), str(repo)], capture_output=True, text=True)
    assert r.returncode == 1


def test_writer_refuses_generated_text_that_repeats_the_document(project, tmp_path):
    from oretrace.extract import output

    sentence = "the smelter near the river burns coal and ore every single day of the week"
    ex = extract(project, tmp_path, f"Peru produced 5 t of indium in 2019. Then {sentence}.\n")
    ex.facts[0].note = sentence  # as if a generated field had picked up the document's words
    text, warnings = output.render(ex, settings_for(project))
    assert sentence not in text and any("repeats the document" in w for w in warnings)


def test_ranks_and_listed_numbers_sharing_a_unit(project, tmp_path):
    ex = extract(project, tmp_path, "Peru is estimated as the 3rd largest producer of indium (NSO, 2020). "
                                    "At the Cerro Alto mine the ingots are sold in units of 2 or 10 kg.\n")
    rank = one(ex, measure="ProductionRank")
    assert (rank.cls, rank.subject, rank.quantity) == ("RankObservation", "country/PE",
                                                       {"value": 3, "unit": "rank", "estimated": True})
    assert sorted(f.quantity["value"] for f in figures(ex) if f.measure == "UnitSize") == [2, 10]


def test_output_follows_the_declared_proposal_file_format(project, tmp_path):
    """The proposals written for a document check against data/schema/proposal-file.schema.json
    and the format's own structural check."""
    import json

    import jsonschema
    from oretrace.curated import format as fmt, yamlio
    from oretrace.extract import output

    ex = extract(project, tmp_path, SEED_LIKE_TABLE + "\nThe Huanca mine, owned by Andes Metals S.A., produced "
                                                      "about 300 t of zinc concentrate (Quispe, 2018).\n")
    text, _ = output.render(ex, settings_for(project))
    schema = json.loads((ROOT / "data" / "schema" / "proposal-file.schema.json").read_text())
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(yaml.safe_load(text)))
    assert errors == [], [e.message for e in errors[:3]]
    issues = []
    fmt.check(fmt.PROPOSAL_FILE, yamlio.load(text), yamlio.line_of, issues)
    assert issues == []
    d = yaml.safe_load(text)
    assert {s["proposal"]["kind"] for s in d["statements"]} == {"table-cell", "figure", "relation"}
    assert any(e["id"].startswith("flow/") for e in d["entities"])  # the table's flows, with its figures
