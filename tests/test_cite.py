"""Cite this (issue 14): a statement and a source as text, BibTeX and CSL-JSON."""

from __future__ import annotations

import datetime as dt
import json

from oretrace import cite, query
from oretrace.vocab import IRIs

from conftest import ROOT

DAY = dt.date(2026, 12, 3)


def rows(store, built, item):
    nq = query.catalogue(ROOT / "queries")["citation"]
    res = query.run_store(store, query.bind(nq, {"item": item}, IRIs(built.base)))
    return [{c: (v.value if v is not None else None) for c, v in zip(res.columns, r)} for r in res.rows]


def test_a_statement_is_cited_with_its_document_locator_and_cited_source(store, built):
    rec = cite.record(rows(store, built, "statement/catapa-indium/bolivar-indium-content"))
    t = cite.text(rec, "0.1.0+x", DAY)
    assert t.startswith("CATAPA (n.d., not before 2020). The Supply Chain of Indium:") and "and beyond." in t
    assert "footnote 2; citing Ishihara et al. 2011." in t and t.endswith("accessed 2026-12-03.")
    b = cite.bibtex(rec, "0.1.0+x", DAY)
    assert b.startswith("@techreport{catapa-indium-report,") and "urldate = {2026-12-03}" in b
    c = json.loads(cite.csl_json(rec, "0.1.0+x", DAY))[0]
    assert c["type"] == "report" and c["author"] == [{"literal": "CATAPA"}] and c["accessed"]["date-parts"] == [[2026, 12, 3]]
    assert "footnote 2" in c["locator"]


def test_a_source_with_authors_year_and_url(store, built):
    rec = cite.record(rows(store, built, "source/make-ict-fair-cooperatives-page"))
    assert rec["url"].startswith("https://www.ed.ac.uk/") and rec["kind"] == "WebPage"
    assert "https://www.ed.ac.uk/" in cite.text(rec, "v", DAY) and "url = {https://www.ed.ac.uk/" in cite.bibtex(rec, "v", DAY)
    rec = cite.record(rows(store, built, "source/ishihara-2011"))
    assert cite.text(rec, "v", DAY).startswith("Ishihara; et al. (2011).")


def test_every_form_has_a_url_and_the_access_date_even_without_a_document_address(store, built):
    """The CATAPA report gives no web address: the forms point at oretrace's address of the item."""
    item = built.base + "/id/statement/catapa-indium/bolivar-indium-content"
    rec = cite.record(rows(store, built, "statement/catapa-indium/bolivar-indium-content"))
    assert rec["url"] == item
    assert f"url = {{{item}}}" in cite.bibtex(rec, "v", DAY) and "urldate = {2026-12-03}" in cite.bibtex(rec, "v", DAY)
    c = json.loads(cite.csl_json(rec, "v", DAY))[0]
    assert c["URL"] == item and c["accessed"]["date-parts"] == [[2026, 12, 3]]
    assert cite.text(rec, "v", DAY).count(item) == 1


def test_a_year_read_as_a_number_is_cited_as_text(store, built):
    """appdata reads an xsd:gYear as an int: the record takes it as text (a Sources page once emptied on it)."""
    raw = rows(store, built, "source/ishihara-2011")
    rec = cite.record([{**r, "year": int(r["year"]) if r.get("year") else None} for r in raw])
    assert rec["year"] == "2011" and "year = {2011}" in cite.bibtex(rec, "v", DAY)
    assert json.loads(cite.csl_json(rec, "v", DAY))[0]["issued"] == {"date-parts": [[2011]]}
