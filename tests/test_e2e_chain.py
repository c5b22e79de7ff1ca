"""End-to-end: the Supply chain page tells the chain in a real headless Chromium (issue 14): the
Sankey's columns are the stages in their fixed order (whatever the number of hops), the pictures
download as SVG files that carry their title, build, date and sources, and at 400 px no page scrolls
sideways while the wide pictures scroll inside their own box at a readable size."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from browser import wait_idle

from test_e2e_app import app_url, browser, page  # noqa: F401 - the app and browser fixtures

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")

MAIN = "[data-testid=stMain]"
ID = "https://w3id.org/oretrace/id/"

NODES = """() => [...document.querySelectorAll('svg.ot-sankey .ot-node')].map(a => ({
    iri: a.dataset.iri, stage: Number(a.dataset.stage), x: Number(a.querySelector('rect').getAttribute('x'))}))"""


def open_chain(page, app_url, query: str = "") -> None:
    page.goto(f"{app_url}/chain{query}")
    page.wait_for_selector("svg.ot-sankey", state="attached", timeout=30_000)
    wait_idle(page)


def test_sankey_columns_are_the_stages_in_order(page, app_url):
    """Every column is one stage, left to right in the fixed order; the mines' region, the Chilean
    export port, the Belgian import port, the smelter at Auby and the products stand in that order."""
    from oretrace import chartdata as cd

    open_chain(page, app_url)
    nodes = page.evaluate(NODES)
    assert len(nodes) > 5
    by_stage: dict[float, set[float]] = {}
    for n in nodes:
        by_stage.setdefault(n["stage"], set()).add(n["x"])
    assert all(len(xs) == 1 for xs in by_stage.values()), by_stage  # one column per stage
    xs = [next(iter(by_stage[s])) for s in sorted(by_stage)]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # columns left to right in stage order
    heads = page.locator("svg.ot-sankey text.ot-stage-title").evaluate_all(
        "ts => ts.map(t => [...t.querySelectorAll('tspan')].map(s => s.textContent).join(' '))")
    assert heads == [cd.stage_title(s) for s in sorted(by_stage)]
    stage = {n["iri"]: n["stage"] for n in nodes}
    chain = [ID + "site/port-of-arica", ID + "site/port-of-antwerp", ID + "site/nyrstar-auby"]
    assert all(i in stage for i in chain), sorted(stage)
    assert stage[chain[0]] == cd.EXPORT and stage[chain[1]] == cd.IMPORT and stage[chain[2]] == cd.SMELTER
    products = [n for n in nodes if n["stage"] == cd.PRODUCT]
    assert products, "the products made downstream of the smelter are drawn"
    origins = [n for n in nodes if n["stage"] == cd.ORIGIN]
    assert origins and min(n["x"] for n in nodes) == origins[0]["x"]


def test_picking_tin_draws_its_own_chain(page, app_url):
    """Every material that can be picked shows its own chain: the DRC's 3TG are not the indium graph."""
    open_chain(page, app_url)
    indium = {n["iri"] for n in page.evaluate(NODES)}
    open_chain(page, app_url, "?material=element:Tin")
    tin = {n["iri"] for n in page.evaluate(NODES)}
    assert tin and tin != indium and ID + "site/nyrstar-auby" not in tin


def test_sankey_downloads_as_an_svg_with_its_evidence(page, app_url):
    open_chain(page, app_url)
    title = page.locator(f"{MAIN} h3").first.inner_text().strip()
    with page.expect_download() as d:
        page.get_by_role("button", name="Download this picture (SVG)").first.click()
    dl = d.value
    assert dl.suggested_filename == "sankey.svg"
    root = ET.fromstring(open(dl.path(), encoding="utf-8").read())
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[0] == title
    assert texts[1].startswith("oretrace build ") and " · drawn " in texts[1]
    assert any(t.startswith("Sources: The Supply Chain of Indium") for t in texts), texts[-5:]
    inner = root.find("{http://www.w3.org/2000/svg}svg")
    assert inner is not None and len(list(inner.iter("{http://www.w3.org/2000/svg}path"))) > 0
    # the map and the network come away the same way
    buttons = page.get_by_role("button", name="Download this picture (SVG)")
    assert buttons.count() == 3
    names = []
    for i in (1, 2):
        with page.expect_download() as d:
            buttons.nth(i).click()
        names.append(d.value.suggested_filename)
        body = ET.fromstring(open(d.value.path(), encoding="utf-8").read())
        assert "".join(next(body.iter("{http://www.w3.org/2000/svg}text")).itertext()).strip()
    assert names == ["map.svg", "network.svg"]
    # and as a PNG drawn in the browser from the same file, at twice its size
    import struct

    with page.expect_download() as d:
        page.get_by_role("button", name="Download this picture (PNG)").first.click()
    assert d.value.suggested_filename == "sankey.png"
    png = open(d.value.path(), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    w, h = struct.unpack(">II", png[16:24])
    assert (w, h) == (2 * int(root.get("width")), 2 * int(root.get("height")))


def test_map_dots_and_routes_are_links_for_the_keyboard(page, app_url):
    """Tab reaches every route and dot of the map, each with an accessible name, and Enter opens its page."""
    open_chain(page, app_url)
    page.wait_for_selector(".ot-map[data-ready='1']", timeout=20_000)
    routes = page.locator(".ot-map path.ot-route[role=link][tabindex='0']")
    dots = page.locator(".ot-map path.ot-point[role=link][tabindex='0']")
    assert routes.count() >= 1 and dots.count() >= 2
    names = routes.evaluate_all("ps => ps.map(p => p.getAttribute('aria-label'))")
    assert all(n and " to " in n for n in names), names  # "<flow>: <from> to <to>, <tonnage>"
    assert all(dots.evaluate_all("ps => ps.map(p => p.getAttribute('aria-label'))"))
    page.locator(".ot-map").first.focus()
    for _ in range(80):  # by keyboard only, from the map to its first route
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('ot-route')"):
            break
    name = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert name in names
    page.keyboard.press("Enter")
    page.wait_for_url("**/entity?iri=*", timeout=20_000)
    page.locator(f"{MAIN} h1").first.wait_for()
    wait_idle(page)
    assert page.locator(f"{MAIN} h1").first.inner_text().strip() in name


@pytest.mark.parametrize("path", ["", "chain", "entity?iri=https%3A%2F%2Fw3id.org%2Foretrace%2Fid%2Fsite%2Fnyrstar-auby",
                                  "findings", "sources", "sparql?q=smelter-feed", "diligence"])
def test_at_400_px_nothing_scrolls_sideways(browser, app_url, path):
    ctx = browser.new_context(viewport={"width": 400, "height": 900})
    pg = ctx.new_page()
    try:
        pg.goto(f"{app_url}/{path}")
        pg.locator(f"{MAIN} h1").first.wait_for(timeout=30_000)
        wait_idle(pg)
        pg.wait_for_timeout(500)
        wide = pg.evaluate("""() => ({doc: document.documentElement.scrollWidth, view: window.innerWidth,
            main: document.querySelector('[data-testid=stMain]').scrollWidth})""")
        assert wide["doc"] <= wide["view"] and wide["main"] <= wide["view"], wide
        if path == "chain":
            pg.wait_for_selector("svg.ot-sankey", state="attached")
            box = pg.evaluate("""() => { const s = document.querySelector('.ot-scroll'), g = s.querySelector('svg');
                const vb = g.viewBox.baseVal; return {scroll: s.scrollWidth, client: s.clientWidth,
                scale: g.getBoundingClientRect().width / vb.width}; }""")
            assert box["scroll"] > box["client"], box  # the picture scrolls inside its box ...
            assert 13 * box["scale"] >= 10, box  # ... and its 13-unit labels stay at least 10 px high
    finally:
        ctx.close()
