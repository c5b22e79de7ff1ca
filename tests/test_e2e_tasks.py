"""End-to-end: the three tasks of issue 14 from the Overview in a real Chromium, with the clicks counted
(at most 3 each), and the pieces they rest on: a CSV download with its columns, the deprecation
notice, and search across spacing ("touch screen" finds the touchscreen)."""

from __future__ import annotations

import csv
import io

import pytest

from browser import wait_idle

from test_e2e_app import app_url, browser, entity_href, page  # noqa: F401 - the app and browser fixtures

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")

MAX_CLICKS = 3
MAIN = "[data-testid=stMain]"


class Clicks:
    """Counts the reader's clicks from the Overview."""

    def __init__(self, page):
        self.page, self.n = page, 0

    def click(self, locator, idle=True):
        before = self.page.url
        href = locator.get_attribute("href") if idle else None
        locator.click()
        self.n += 1
        if idle:
            if href:  # a link: wait for the new address, so that the state read next is the new page's
                self.page.wait_for_url(lambda u: u != before, timeout=30_000)
            else:
                self.page.wait_for_timeout(300)
            wait_idle(self.page)


def overview(page, app_url):
    page.goto(f"{app_url}/")
    wait_idle(page)
    return Clicks(page)


def download(page, clicks, name) -> tuple[str, str]:
    with page.expect_download() as d:
        clicks.click(page.get_by_role("button", name=name), idle=False)
    dl = d.value
    return dl.suggested_filename, open(dl.path(), encoding="utf-8").read()


def test_trace_touchscreen_to_oruro_with_a_citation_per_hop(page, app_url, iris):
    clicks = overview(page, app_url)
    clicks.click(page.locator(f"{MAIN} a", has_text="Trace the indium"))
    assert clicks.n <= MAX_CLICKS
    page.locator(f"{MAIN} table.ot-table").first.wait_for()
    rows = page.locator(f"{MAIN} table.ot-table tbody tr")
    n = rows.count()
    assert n >= 5
    first, last = rows.nth(0).inner_text(), rows.nth(n - 1).inner_text()
    assert "cooperatives of Oruro" in first and "touchscreen" in last
    for i in range(n):  # one citation per hop: the document, the locator and the statement
        cite = rows.nth(i).locator("td").nth(2)
        assert cite.locator("a[href*='statement']").count() == 1 and cite.locator("a[href*='source']").count() == 1
    # through the former dead ends
    body = page.locator(MAIN).inner_text()
    assert "indium cement" in body and "Nyrstar" in body
    name, text = download(page, clicks, "Download the trace (CSV)")
    assert clicks.n <= MAX_CLICKS
    table = list(csv.reader(io.StringIO(text)))
    assert name.endswith(".csv")
    assert table[0][:8] == ["step", "direction", "from", "says", "to", "statement", "source", "locator"]
    assert len(table) == n + 1
    for r in table[1:]:  # labels, never raw IRIs only, and a source and locator on every hop
        assert not r[2].startswith("http") and not r[4].startswith("http") and r[6] and r[7]
        assert r[10].startswith(iris.base + "/id/statement/")


def test_printable_chain_with_its_citations(page, app_url):
    clicks = overview(page, app_url)
    clicks.click(page.locator(f"{MAIN} a", has_text="Trace the indium"))
    name, text = download(page, clicks, "Printable chain with citations (HTML)")
    assert clicks.n <= MAX_CLICKS and name.endswith(".html")
    assert "<h2>Sources</h2>" in text and "accessed" in text and "cooperatives of Oruro" in text


def test_royalty_lost_law_and_evidence_exported(page, app_url):
    clicks = overview(page, app_url)
    name, text = download(page, clicks, "Download the royalty report (CSV)")
    table = list(csv.DictReader(io.StringIO(text)))
    assert clicks.n == 1 and name == "royalty-report.csv" and table
    assert {"flow", "royalty due", "law", "source", "locator", "statement"} <= set(table[0])
    assert any(r["law"] and r["source"] and r["locator"] for r in table)
    assert not any(r["flow"].startswith("http") for r in table)
    # and the page that shows it
    clicks.click(page.locator(f"{MAIN} a", has_text="The royalty lost"))
    assert clicks.n <= MAX_CLICKS
    assert page.locator(f"{MAIN} h1").first.inner_text().strip() == "Royalty"


def test_due_diligence_gaps_of_the_chain(page, app_url):
    clicks = overview(page, app_url)
    clicks.click(page.locator(f"{MAIN} a", has_text="due-diligence gaps"))
    assert clicks.n <= MAX_CLICKS
    assert page.locator(f"{MAIN} h1").first.inner_text().strip() == "Due diligence"
    table = page.locator(f"{MAIN} table.ot-table").first
    table.locator("th").first.wait_for(timeout=30_000)  # drawn by the end of the run (one CI run read it before)
    heads = [h.strip() for h in table.locator("th").all_inner_texts()]
    assert heads == ["name", "role", "feed declared", "due-diligence status", "risks", "missing facts", "open findings"]
    text = table.inner_text()
    assert "Nyrstar Auby" in text and "smelter or refiner" in text and "trader" in text
    assert "not stated" in text  # no source gives a due-diligence status on this chain
    # each fact links to its statement
    assert table.locator("a[href*='statement']").count() >= 1
    name, body = download(page, clicks, "Download CSV")
    assert clicks.n <= MAX_CLICKS
    assert next(csv.reader(io.StringIO(body)))[:7] == heads


def follow_deprecation(page, app_url, old: str, new: str) -> None:
    """Open the page of the deprecated IRI `old`, check its notice, follow its link to `new` (which has none)."""
    page.goto(f"{app_url}/{entity_href(old)}")
    wait_idle(page)
    notice = page.locator(f"{MAIN} .ot-deprecated")
    assert "Deprecated" in notice.inner_text()
    notice.locator(f"a[href='{entity_href(new)}']").click()
    page.wait_for_url("**" + entity_href(new)[1:])
    wait_idle(page)
    assert page.locator(f"{MAIN} .ot-deprecated").count() == 0


def test_deprecated_iri_says_so_and_links_its_replacement(page, app_url):
    from oretrace.vocab import OT

    follow_deprecation(page, app_url, OT + "distanceKm", OT + "Distance")


def test_deprecated_curated_entity_links_the_figure_that_replaces_it(page, app_url, iris):
    # data/sources/catapa-indium-report.yaml: the flow of the first release is deprecated, replaced by a figure
    follow_deprecation(page, app_url, iris.ref("flow/fr-indium-domestic-use-2018"),
                       iris.ref("observation/fr-indium-domestic-use-2018"))
    assert page.locator(MAIN).inner_text().startswith("France · indium · domestic use · 2018")  # the figure's page


def test_search_finds_touchscreen_written_apart(page, app_url, iris):
    page.goto(f"{app_url}/entity")
    wait_idle(page)
    box = page.get_by_label("Search by name")
    box.fill("touch screen")
    box.press("Enter")
    hit = page.locator(f"{MAIN} li a[href='{entity_href(iris.ref('material/touchscreen'))}']")
    hit.wait_for()
    first = page.locator(f"{MAIN} li").first
    assert "touchscreen" in first.inner_text() and "ontology" not in first.inner_text()
    page.goto(f"{app_url}/entity?q=royalty")
    wait_idle(page)
    page.locator(f"{MAIN} li").first.wait_for(timeout=30_000)  # the hits, not the page half drawn
    wait_idle(page)
    items = page.locator(f"{MAIN} li").all_inner_texts()
    terms = [i for i, t in enumerate(items) if "term of the ontology" in t]
    data = [i for i, t in enumerate(items) if "term of the ontology" not in t]
    assert data and (not terms or max(data) < min(terms))  # data before ontology terms


def test_findings_name_the_numbers_that_do_not_add_up(browser, tmp_path):  # noqa: F811 - the browser fixture
    """On a build with the reconcile stage, Findings lists the reconciliation's findings with the
    statements to check, and downloads them as CSV."""
    from browser import running_app
    from conftest import ROOT
    from oretrace.build import build
    from oretrace.config import Settings

    s = Settings(root=ROOT, build=tmp_path / "build")
    build(s, quiet=True, reconcile=True)
    with running_app(ROOT, s.build) as url:
        pg = browser.new_page()
        try:
            pg.goto(f"{url}/findings")
            wait_idle(pg)
            main = pg.locator(MAIN)
            main.get_by_text("Numbers that do not add up").wait_for()
            main.get_by_text("not reproducible").first.wait_for(timeout=30_000)  # the section's table has arrived
            wait_idle(pg)
            text = main.inner_text()
            assert "not reproducible" in text and "declarations differ" in text
            assert "catapa-indium/zapata-royalties-not-collected-2011" in text
            with pg.expect_download() as d:
                pg.get_by_role("button", name="Download these findings (CSV)").click()
            rows = list(csv.DictReader(io.StringIO(open(d.value.path(), encoding="utf-8").read())))
            assert {"kind", "finding", "statements", "documents"} <= set(rows[0])
            assert any("fig2-export-1980" in r["statements"] for r in rows)
        finally:
            pg.close()
