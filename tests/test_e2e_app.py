"""End-to-end: the app under `streamlit run` on a free loopback port, driven in a real headless Chromium."""

from __future__ import annotations

import os
import urllib.parse

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS, running_app, wait_idle

from conftest import ROOT

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (the README's test command does)", allow_module_level=True)

PAGES = ["", "chain", "entity", "findings", "sources", "sparql"]


def entity_href(iri: str) -> str:
    """The app's relative link to an entity page (as app/ui.py writes it)."""
    return "./entity?iri=" + urllib.parse.quote(iri, safe="")


def _one(store, sparql: str) -> dict:
    from oretrace import appdata, query

    res = query.run_store(store, query.with_prefixes(sparql))
    assert res.rows, f"the built graph has no answer to: {sparql}"
    return {c: appdata.plain(v) for c, v in zip(res.columns, res.rows[0])}


@pytest.fixture(scope="module")
def app_url(built):
    with running_app(built.root, built.build_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, app_url):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.outside = []  # requests that leave the loopback server
    pg.dialogs = []
    pg.on("request", lambda r: r.url.startswith(("http", "ws")) and not r.url.startswith(app_url)
          and not r.url.startswith(app_url.replace("http", "ws")) and pg.outside.append(r.url))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    ctx.close()


def test_every_page_opens_without_error_or_internet(page, app_url):
    for path in PAGES:
        page.goto(f"{app_url}/{path}")
        wait_idle(page)
        assert page.locator("[data-testid=stException]").count() == 0, path
        assert page.locator("[data-testid=stMain] h1").first.inner_text().strip()
    assert page.outside == []


def test_pick_an_entity_and_see_a_citation(page, app_url, store):
    site = _one(store, """SELECT ?s ?l WHERE { ?s a ot:Site ; rdfs:label ?l FILTER(CONTAINS(?l, "Auby")) } ORDER BY ?s LIMIT 1""")
    page.goto(f"{app_url}/entity")
    wait_idle(page)
    box = page.get_by_label("Search by name")
    box.fill("Auby")
    box.press("Enter")
    # the result list exists only once the rerun for this search has drawn it
    result = page.locator(f"[data-testid=stMain] a[href='{entity_href(site['s'])}']")
    result.wait_for(state="visible")
    page.wait_for_url(lambda u: urllib.parse.parse_qs(urllib.parse.urlparse(u).query).get("q") == ["Auby"])
    wait_idle(page)
    result.click()
    page.wait_for_url(lambda u: urllib.parse.parse_qs(urllib.parse.urlparse(u).query).get("iri") == [site["s"]])
    page.locator("[data-testid=stMain] h1", has_text=site["l"]).wait_for()
    wait_idle(page)
    page.wait_for_selector("th:has-text('who says so')")
    cite = page.locator(".ot-cite").first.inner_text()
    assert "section" in cite or "page" in cite or "paragraph" in cite, cite
    assert page.locator(".ot-cite a[href*='id%2Fsource%2F']").count() > 0


MAP_CHECK = """() => {
  const el = document.querySelector('.ot-map'); const map = el._map; const box = el.getBoundingClientRect();
  const world = map.getPixelWorldBounds().getSize().x;
  const points = [...el.querySelectorAll('path.ot-point')].map(p => p.getBoundingClientRect());
  const inside = points.every(r => r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom);
  // a ring crossing the antimeridian unrepaired is drawn as a band across the whole world (Antarctica, 010, is one)
  const bands = [...el.querySelectorAll('path.ot-country:not(.ot-c-010)')].filter(p => p.getBBox().width > 0.6 * world).length;
  return {zoom: map.getZoom(), points: points.length, inside, bands,
          lit: [...el.querySelectorAll('path.ot-country-lit')].map(p => [...p.classList].find(c => c.startsWith('ot-c-')))};
}"""


def test_sankey_and_map_render_and_click_through(page, app_url):
    page.goto(f"{app_url}/chain")  # opens on indium-bearing materials in the latest year with a stated tonnage
    page.wait_for_selector(".ot-map[data-ready='1']", timeout=20_000)
    wait_idle(page)
    assert "indium-bearing" in page.locator("[data-testid=stMain] h3").first.inner_text()
    page.wait_for_selector("svg.ot-sankey", state="visible")
    assert page.locator("svg.ot-sankey").bounding_box()["height"] > 100
    assert page.locator("svg.ot-sankey a.ot-band path").count() > 0
    m = page.evaluate(MAP_CHECK)
    assert m["points"] >= 2 and m["inside"], m  # fitted to the sites of the selection
    assert m["zoom"] > 1.5 and m["bands"] == 0, m
    assert {"ot-c-068", "ot-c-056"} <= set(m["lit"]), m  # Bolivia and Belgium are ends of the flows shown
    page.wait_for_selector("svg.ot-network", state="visible")
    assert page.locator("svg.ot-network circle").count() > 1
    href = page.locator("svg.ot-sankey a.ot-node").first.get_attribute("href")
    page.locator("svg.ot-sankey a.ot-node rect").first.click(force=True)
    page.wait_for_url(lambda u: urllib.parse.urlparse(u).query == urllib.parse.urlparse(href).query)
    page.locator("[data-testid=stMain] h1").wait_for()
    wait_idle(page)
    assert page.locator("[data-testid=stException]").count() == 0


def _type_query(page, text: str) -> None:
    page.wait_for_selector(".ot-yasqe[data-ready='1'] .CodeMirror", timeout=20_000)
    page.locator(".ot-yasqe .CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)
    page.get_by_role("button", name="Run query").click()


def test_run_a_query_and_see_its_table(page, app_url, built):
    from oretrace import query

    cat = query.catalogue(built.queries_dir)
    page.goto(f"{app_url}/sparql")
    wait_idle(page)
    if cat:
        name = next(iter(cat))
        page.goto(f"{app_url}/sparql?name={name}")
        wait_idle(page)
    else:
        _type_query(page, "SELECT ?flow ?label WHERE { ?flow a ot:Flow ; rdfs:label ?label } ORDER BY ?flow LIMIT 5")
    page.wait_for_selector("table.ot-table tbody tr", timeout=20_000)
    assert page.locator("table.ot-table tbody tr").count() >= 1
    if not cat:
        assert page.locator("table.ot-table tbody tr").count() == 5
        assert page.locator("table.ot-table a[href*='id%2Fflow%2F']").count() == 5
    assert "sparql?q=" in page.locator("a", has_text="this query").get_attribute("href")


def test_update_query_is_refused_in_plain_words(page, app_url, store):
    before = len(store)
    page.goto(f"{app_url}/sparql")
    wait_idle(page)
    _type_query(page, "INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    page.wait_for_selector("[data-testid=stAlertContentError]", timeout=20_000)
    assert "only reads the graph" in page.locator("[data-testid=stAlertContentError]").inner_text()
    assert len(store) == before


def test_hostile_label_does_nothing(browser, project_copy, tmp_path):
    from test_app import HOSTILE_LABEL, build_hostile

    build_dir = tmp_path / "hostile-build"
    iri = build_hostile(project_copy, build_dir)
    with running_app(project_copy, build_dir) as url:
        ctx = browser.new_context()
        pg = ctx.new_page()
        dialogs = []
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in (f"entity?iri={urllib.parse.quote(iri, safe='')}", "entity?q=hostile", "chain?material=all", "sources"):
            pg.goto(f"{url}/{path}")
            wait_idle(pg)
            pg.wait_for_timeout(500)
        pg.goto(f"{url}/entity?iri={urllib.parse.quote(iri, safe='')}")
        wait_idle(pg)
        assert pg.locator("[data-testid=stMain] h1").first.inner_text().strip() == HOSTILE_LABEL
        assert pg.locator("[data-testid=stMain] script").count() == 0
        assert pg.locator("a[href^='javascript' i]").count() == 0
        assert pg.locator("[data-testid=stMain] img[src='x']").count() == 0
        assert dialogs == []
        ctx.close()


# ------------------------------------------------------------------ hostile links and a graph that cannot be read
def test_a_hostile_permalink_runs_nothing_outside(page, app_url):
    """Opening /sparql?q=... runs the query at once: a SERVICE to a listener on 127.0.0.1 (after a comment ended by
    CR, and with an escaped keyword) and a parameter that tries to close its IRI are refused in words; the
    listener sees no request."""
    from test_hostile import Listener

    lst = Listener()
    try:
        for q in (f"SELECT * WHERE {{ ?s ?p ?o # x\rSERVICE <{lst.url}> {{ ?s ?p ?o }} }}",
                  f"SELECT * WHERE {{ \\u0053ERVICE <{lst.url}> {{ ?s ?p ?o }} }}", f"LOAD <{lst.url}>"):
            page.goto(f"{app_url}/sparql?" + urllib.parse.urlencode({"q": q}))
            page.wait_for_selector("[data-testid=stAlertContentError]", timeout=20_000)
            wait_idle(page)
            assert page.locator("[data-testid=stException]").count() == 0
        page.goto(f"{app_url}/sparql?" + urllib.parse.urlencode(
            {"name": "site-operator-owner", "p.site": f"https://w3id.org/oretrace/id/site/x> }} SERVICE <{lst.url}> {{ ?a ?b ?c }} #"}))
        page.wait_for_selector("[data-testid=stAlertContentError]", timeout=20_000)
        assert "parameter site" in page.locator("[data-testid=stAlertContentError]").first.inner_text()
        lst.assert_untouched("the app in Chromium")
    finally:
        lst.close()


def _every_page_in_plain_words(browser, url: str, expect_error: bool) -> None:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    for path in PAGES + ["entity?q=zinc", "entity?iri=https%3A%2F%2Fw3id.org%2Foretrace%2Fid%2Fsite%2Fnyrstar-auby",
                         "sparql?q=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%203"]:
        pg.goto(f"{url}/{path}")
        pg.wait_for_function("""() => { const app = document.querySelector('[data-testid=stApp]');
            return !!app && app.getAttribute('data-test-script-state') === 'notRunning'; }""", timeout=30_000)
        pg.wait_for_timeout(300)
        main = pg.locator("[data-testid=stMain]").inner_text()
        assert pg.locator("[data-testid=stException]").count() == 0, path
        assert "Traceback" not in main and "internal error" not in main, (path, main[:500])
        if expect_error and path not in ("entity", "sparql"):
            assert pg.locator("[data-testid=stAlertContentError]").count() > 0, (path, main[:300])
    ctx.close()


def test_every_page_with_a_dead_endpoint(browser, tmp_path):
    from test_app import dead_url

    with running_app(ROOT, tmp_path / "no-build", dead_url()) as url:
        _every_page_in_plain_words(browser, url, expect_error=True)


def test_every_page_with_an_empty_build(browser, tmp_path):
    import shutil
    import subprocess
    import sys

    for d in ("ontology", "shapes", "queries"):
        shutil.copytree(ROOT / d, tmp_path / d)
    (tmp_path / "data").mkdir()
    r = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(tmp_path), "build", "-q"],
                       env=dict(os.environ, ORETRACE_BUILD=str(tmp_path / "build")), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with running_app(tmp_path, tmp_path / "build") as url:
        _every_page_in_plain_words(browser, url, expect_error=False)
