"""End-to-end: the SPARQL page for people who do not write SPARQL, in a real headless Chromium (issue 14):
the gallery by tag and search, a chart of chosen columns, the short permalink of a catalogue query, an
invalid query, the editor's markers on every catalogue query, and 'cite this' for a statement. Clicks are
counted from the SPARQL page."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse

import pytest

from browser import wait_idle

from test_e2e_app import app_url, browser, entity_href, page  # noqa: F401 - the app and browser fixtures

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")

MAIN = "[data-testid=stMain]"
EDITOR = ".ot-yasqe[data-ready='1'] .CodeMirror"


def rows_of(store, built, name: str, values: dict | None = None):
    from oretrace import query
    from oretrace.vocab import IRIs

    nq = query.catalogue(built.queries_dir)[name]
    text = query.with_prefixes(query.bind(nq, values or {}, IRIs(built.base)))
    return text, query.run_store(store, text)


def editor_text(page) -> str:
    page.wait_for_selector(EDITOR, timeout=20_000)
    return page.evaluate("() => document.querySelector('.ot-yasqe')._yasqe.getValue()")


def params(url: str) -> dict:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlparse(url).query).items()}


def open_sparql(page, app_url, query_string: str = ""):
    page.goto(f"{app_url}/sparql{query_string}")
    wait_idle(page)


def options(page, label: str) -> list[str]:
    """The options a Streamlit select box (a combo box) offers, read by opening it."""
    page.locator(f'{MAIN} [data-testid=stSelectbox] input[aria-label="{label}"]').click()
    page.locator("[role=option]").first.wait_for()
    texts = [t.strip() for t in page.locator("[role=option]").all_inner_texts()]
    page.keyboard.press("Escape")
    return texts


def choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit select box by its label."""
    page.locator(f'{MAIN} [data-testid=stSelectbox] input[aria-label="{label}"]').click()
    page.locator("[role=option]").filter(has_text=re.compile(f"^\\s*{re.escape(option)}\\s*$")).first.click()


def test_gallery_by_tag_and_search_then_run_and_chart_chosen_columns(page, app_url, store, built):
    """Two clicks from the SPARQL page (a tag, an example) run a catalogue query; the chart draws the
    columns the reader picks, one bar per row, and never offers the year as a value."""
    from oretrace import query

    open_sparql(page, app_url)
    clicks = 0
    page.locator(f"{MAIN} [data-testid=stButtonGroup] button", has_text=re.compile("^observations$")).click()
    clicks += 1
    page.locator(f"{MAIN} .ot-gallery-group[data-tag=competency]").wait_for(state="detached")
    wait_idle(page)
    groups = page.locator(f"{MAIN} .ot-gallery-group").evaluate_all("gs => gs.map(g => g.dataset.tag)")
    assert groups == ["observations"]
    cat = query.catalogue(built.queries_dir)
    tagged = [n for n, nq in cat.items() if "observations" in nq.tags]
    want = [n for n in tagged if "production" in " ".join([n, cat[n].title, cat[n].question, cat[n].returns,
                                                           *cat[n].tags]).lower()]
    gone = next(n for n in tagged if n not in want)  # shown under the tag, hidden by the search
    page.locator(f"{MAIN} .ot-example[data-name={gone}]").wait_for()
    box = page.get_by_label("Search the examples")
    box.fill("production")
    box.press("Enter")  # typing is not a click
    page.locator(f"{MAIN} .ot-example[data-name={gone}]").wait_for(state="detached")
    wait_idle(page)
    names = page.locator(f"{MAIN} .ot-example").evaluate_all("xs => xs.map(x => x.dataset.name)")
    assert names == want and "production-series" in names
    link = page.locator(f"{MAIN} .ot-example[data-name=production-series] a")
    assert link.get_attribute("href") == "./sparql?q=production-series"
    link.click()
    clicks += 1
    assert clicks == 2
    page.wait_for_url(lambda u: params(u) == {"q": "production-series"})
    page.locator(f"{MAIN} table.ot-table tbody tr").first.wait_for(timeout=20_000)
    wait_idle(page)
    text, res = rows_of(store, built, "production-series")
    assert page.locator(f"{MAIN} table.ot-table tbody tr").count() == len(res.rows)
    assert editor_text(page) == text  # the editor holds the query whose rows are shown

    page.get_by_role("tab", name="Chart").click()
    bars = page.locator(f"{MAIN} svg.ot-bars")
    bars.wait_for()
    offered = options(page, "Value column")
    assert "value" in offered and "year" not in offered, offered
    choose(page, "Label column", "year")
    page.locator(f"{MAIN} svg.ot-bars[data-label-column=year]").wait_for()
    wait_idle(page)
    svg = page.locator(f"{MAIN} svg.ot-bars")
    assert svg.get_attribute("data-value-column") == "value"
    drawn = svg.locator("g.ot-bar").evaluate_all("gs => gs.map(g => [g.dataset.label, Number(g.dataset.value)])")
    vi, yi = res.columns.index("value"), res.columns.index("year")
    want = [(str(r[yi].value), float(r[vi].value)) for r in res.rows if r[vi] is not None]
    assert sorted(v for _, v in drawn) == sorted(v for _, v in want)  # one bar per row: nothing summed
    assert sorted(label.split(" ")[0] for label, _ in drawn) == sorted(y for y, _ in want)  # labelled by the year


def test_short_permalink_opens_the_catalogue_query_with_its_parameters(page, app_url, store, built):
    text, res = rows_of(store, built, "site-operator-owner", {"site": "site/nyrstar-auby"})
    open_sparql(page, app_url, "?" + urllib.parse.urlencode({"q": "site-operator-owner", "site": "site/nyrstar-auby"}))
    page.locator(f"{MAIN} table.ot-table tbody tr").first.wait_for(timeout=20_000)
    wait_idle(page)
    assert editor_text(page) == text
    assert page.locator(f"{MAIN} table.ot-table tbody tr").count() == len(res.rows) >= 1
    actor = res.rows[0][res.columns.index("actor")].value
    assert page.locator(f"{MAIN} table.ot-table a[href='{entity_href(actor)}']").count() >= 1
    # the permalink is the full short address, with a copy button
    code = page.locator(f"{MAIN} [data-testid=stCode]", has_text="sparql?q=site-operator-owner")
    assert code.inner_text().strip() == f"{app_url}/sparql?q=site-operator-owner&site=site%2Fnyrstar-auby"
    assert code.locator("button").count() >= 1
    assert params(page.url) == {"q": "site-operator-owner", "site": "site/nyrstar-auby"}


def test_an_invalid_query_shows_the_whole_parser_message_and_no_stale_rows(page, app_url, built):
    from oretrace import appdata, query
    from oretrace.config import Settings

    open_sparql(page, app_url, "?q=end-uses")
    page.locator(f"{MAIN} table.ot-table tbody tr").first.wait_for(timeout=20_000)
    wait_idle(page)
    bad = "SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTER(?s = )\n}"
    page.locator(".ot-yasqe .CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(bad)
    page.get_by_role("button", name="Run query").click()
    page.locator("[data-testid=stAlertContentError]").wait_for(timeout=20_000)
    wait_idle(page)
    g = appdata.connect(Settings(root=built.root, build=built.build_dir))
    with pytest.raises(query.QueryError) as e:
        g.backend.run(bad, timeout=10, cap=10)
    at = re.search(r"error at (\d+):(\d+):\s*", str(e.value))
    line, detail = int(at.group(1)), str(e.value)[at.end():]
    shown = page.locator("[data-testid=stAlertContentError]").inner_text()
    assert f"not valid SPARQL near line {line}, column {at.group(2)}" in shown, (shown, str(e.value))
    assert " ".join(detail.split()) in " ".join(shown.split()), (shown, detail)  # the parser's whole message
    assert page.locator(f"{MAIN} table.ot-table").count() == 0  # the rows of end-uses are gone
    # the line the parser points at, numbered, under the message
    assert page.locator(f"{MAIN} [data-testid=stCode]", has_text=f"{line:>4} | {bad.split(chr(10))[line - 1]}").count() == 1
    assert editor_text(page) == bad


def test_no_false_error_markers_on_any_catalogue_query(page, app_url, built):
    """YASQE's own checker marks nothing on the text of any catalogue query as the app shows it."""
    from oretrace import query
    from oretrace.vocab import IRIs

    open_sparql(page, app_url)
    page.wait_for_selector(EDITOR, timeout=20_000)
    marked = {}
    for name, nq in query.catalogue(built.queries_dir).items():
        text = query.with_prefixes(query.bind(nq, {}, IRIs(built.base)))
        n = page.evaluate("""(t) => { const y = document.querySelector('.ot-yasqe')._yasqe; y.setValue(t); y.checkSyntax();
                                      return document.querySelectorAll('.ot-yasqe .parseErrorIcon').length; }""", text)
        if n:
            marked[name] = n
    assert marked == {}
    assert page.locator(".CodeMirror-hints").count() == 0  # no suggestion pop-up


def test_cite_a_statement_as_bibtex_and_csl_json_with_url_and_access_date(page, app_url, iris):
    item = iris.entity("statement", "catapa-indium/bolivar-indium-content")
    page.goto(f"{app_url}/{entity_href(item)[2:]}")
    wait_idle(page)
    today = dt.date.today()
    page.locator(f"{MAIN} [data-testid=stExpander]", has_text="Cite this").locator("summary").click()  # 1 click
    page.get_by_role("tab", name="BibTeX").click()  # 2
    bib = page.locator(f"{MAIN} [data-testid=stCode]", has_text="@techreport").inner_text()
    assert f"url = {{{item}}}" in bib and f"urldate = {{{today.isoformat()}}}" in bib
    page.get_by_role("tab", name="CSL-JSON").click()  # 3
    csl = json.loads(page.locator(f"{MAIN} [data-testid=stCode]", has_text='"accessed"').inner_text())[0]
    assert csl["URL"] == item and csl["accessed"] == {"date-parts": [[today.year, today.month, today.day]]}
    assert "footnote 2" in csl["locator"]
