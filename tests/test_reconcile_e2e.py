"""End-to-end: the Balance and Royalty pages under `streamlit run`, in a real headless Chromium, on a
build whose store is the figure-pattern fixture of test_reconcile_fixture."""

from __future__ import annotations

import urllib.parse

import pytest

from browser import running_app, wait_idle

from conftest import ROOT
from test_e2e_app import browser, page  # noqa: F401 - the launcher's browser and page fixtures
from test_reconcile_fixture import fixture_build

pytestmark = pytest.mark.browser

BASE = "https://w3id.org/oretrace"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    build = fixture_build(tmp_path_factory.mktemp("reconcile-app") / "build")
    with running_app(ROOT, build) as url:
        yield url


def _statement_href(sid: str) -> str:
    return "./entity?iri=" + urllib.parse.quote(f"{BASE}/id/statement/{sid}", safe="")


def test_balance_page_france_and_belgium_2018(page, app_url):
    page.goto(f"{app_url}/balance?target=Indium&year=2018")
    wait_idle(page)
    assert page.locator("[data-testid=stException]").count() == 0
    main = page.locator("[data-testid=stMain]")
    assert "indium, 2018" in main.inner_text()
    # each figure and its reconciled value, with error bars
    page.wait_for_selector("svg.ot-errorbars", state="visible", timeout=20_000)
    assert page.locator("svg.ot-errorbars circle").count() == 10   # 5 figures + 5 terms
    text = main.inner_text()
    assert "16.37 ± 0.82 t" in text and "40.0 ± 2.9 t" in text
    # the figure's statement is one click away
    href = _statement_href("catapa-indium/belgium-indium-production-2018")
    assert page.locator(f"table.ot-table a[href='{href}']").count() == 1
    # the Sankey of reconciled flows, with the uncertainty outline
    page.wait_for_selector("svg.ot-reconciled", state="visible")
    assert page.locator("svg.ot-reconciled a.ot-band").count() == 5
    assert page.locator("svg.ot-reconciled path.ot-uncertainty").count() == 5
    assert "No figure fails the tests" in text
    assert page.outside == []


def test_balance_page_names_the_contradicting_declarations_and_opens_the_statement(page, app_url):
    page.goto(f"{app_url}/balance?target=material/bolivian-zinc-concentrate&year=1980")
    wait_idle(page)
    flagged = page.locator(".ot-flagged")
    flagged.wait_for(state="visible", timeout=20_000)
    assert "fig2-export-1980" in flagged.inner_text() and "fig2-import-1980" in flagged.inner_text()
    # the contradicting declarations' error bars in red (drawn after the flagged list: waited for, as one
    # CI run counted them before the page had drawn them)
    page.locator("svg.ot-errorbars line[stroke='#c0392b']").first.wait_for(state="attached", timeout=20_000)
    # the exports to Japan, South Korea, China and Spain are named as not determinable, drawn in red
    assert "Not determinable" in page.locator("[data-testid=stMain]").inner_text()
    assert page.locator("svg.ot-reconciled path[stroke='#c0392b']").count() == 4
    # mirror statistics beside it
    assert "records nothing of a trade" in page.locator("[data-testid=stMain]").inner_text()
    link = flagged.locator(f"a[href='{_statement_href('catapa-indium/fig2-export-1980')}']").first
    link.click()
    page.wait_for_url(lambda u: "entity" in u and "fig2-export-1980" in urllib.parse.unquote(u))
    page.locator("[data-testid=stMain] h1").wait_for()
    wait_idle(page)
    assert page.locator("[data-testid=stException]").count() == 0


def test_balance_page_open_closure_determines_the_unaccounted_rest(page, app_url):
    page.goto(f"{app_url}/balance?target=Indium&year=2018&closure=open")
    wait_idle(page)
    page.wait_for_selector("svg.ot-errorbars", state="visible", timeout=20_000)
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "Belgium · unaccounted" in text and "6.0 ± 3.4 t" in text


def test_royalty_page_shows_the_range_its_inputs_and_why_the_source_differs(page, app_url):
    page.goto(f"{app_url}/royalty")
    wait_idle(page)
    assert page.locator("[data-testid=stException]").count() == 0
    main = page.locator("[data-testid=stMain]")
    main.locator("svg.ot-royalty").wait_for(state="visible", timeout=20_000)
    text = main.inner_text()
    assert "635,250 to 1,179,750 EUR" in text                      # 5 % of 18,150,000 EUR +- 2 u
    assert "33.33 %" in text and "121,000,000 EUR" in text            # what the stated 6,050,000 EUR implies
    assert "tonnage" in page.locator(".ot-missing").first.inner_text()
    inputs = page.locator(".ot-inputs")
    for sid in ("catapa-indium/zapata-missed-income-2011", "entity/royalty/bolivia-indium-ore-export-royalty",
                "catapa-indium/zapata-royalties-not-collected-2011"):
        assert inputs.locator(f"a[href='{_statement_href(sid)}']").count() == 1, sid
    assert page.locator("svg.ot-royalty rect").count() == 3
    inputs.locator(f"a[href='{_statement_href('catapa-indium/zapata-missed-income-2011')}']").click()
    page.wait_for_url(lambda u: "zapata-missed-income-2011" in urllib.parse.unquote(u))
    page.locator("[data-testid=stMain] h1").wait_for()
    wait_idle(page)
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.outside == []


def test_royalty_page_lists_assumptions_and_missing_price(page, app_url):
    flow = "bo-be-zinc-concentrate-export-1980-indium"
    page.goto(f"{app_url}/royalty?flow={flow}")
    wait_idle(page)
    page.locator(".ot-inputs").wait_for(state="visible", timeout=20_000)
    page.locator("[data-testid=stMain]").get_by_text("at least 3.071 t").first.wait_for(timeout=30_000)
    page.locator(".ot-missing").first.wait_for(timeout=30_000)
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "at least 3.071 t" in text
    assert "content.concentration_factors" in page.locator(".ot-inputs").inner_text()
    assert any("price" in t for t in page.locator(".ot-missing").all_inner_texts())


# ------------------------------------------------------------------ on the curated graph
@pytest.fixture(scope="module")
def curated_url(built):
    with running_app(built.root, built.build_dir) as url:
        yield url


@pytest.fixture()
def curated_page(browser, curated_url):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def test_both_pages_on_the_curated_graph(curated_page, curated_url):
    pg = curated_page
    pg.goto(f"{curated_url}/balance?target=Indium&year=2018")
    wait_idle(pg)
    pg.wait_for_selector("svg.ot-errorbars", state="visible", timeout=20_000)
    text = pg.locator("[data-testid=stMain]").inner_text()
    assert "16.37 ± 0.82 t" in text and "40.0 ± 2.9 t" in text and "30.0 ± 2.8 t" in text
    assert pg.locator(f"a[href='{_statement_href('catapa-indium/belgium-indium-production-2018')}']").count() >= 1
    assert pg.locator("[data-testid=stException]").count() == 0
    pg.goto(f"{curated_url}/royalty")
    wait_idle(pg)
    pg.locator(".ot-inputs").wait_for(state="visible", timeout=20_000)
    # the range is drawn after the inputs: wait for it rather than read the page half drawn
    pg.locator("[data-testid=stMain]").get_by_text("635,250 to 1,179,750 EUR").first.wait_for(timeout=30_000)
    text = pg.locator("[data-testid=stMain]").inner_text()
    assert "635,250 to 1,179,750 EUR" in text and "33.33 %" in text
    assert pg.locator(f".ot-inputs a[href='{_statement_href('catapa-indium/zapata-missed-income-2011')}']").count() == 1
    assert pg.locator("[data-testid=stException]").count() == 0
