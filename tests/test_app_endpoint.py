"""Endpoint mode: every page of the app, run against a real SPARQL server (Oxigraph, then Virtuoso 7.2), shows what it shows on the
embedded store of the same build. The app is given no build at all in endpoint mode, so it can only use the endpoint."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from oretrace import appdata, query, store  # noqa: E402
from browser import stop, wait_for  # noqa: E402
from oretrace.app_launcher import free_port  # noqa: E402

APP = Path(__file__).resolve().parents[1] / "app"
SCRIPT = """
import sys
sys.path.insert(0, {app!r})
from views import {page}
{page}.render()
"""
OXIGRAPH = shutil.which("oxigraph")


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def endpoint(request, built):
    """The built store behind a SPARQL endpoint: `oxigraph serve-read-only` on a free loopback port, or the session's
    Virtuoso with the build bulk-loaded (conftest.virtuoso_published); yields its query URL."""
    if request.param == "virtuoso":
        yield request.getfixturevalue("virtuoso_published").sparql
        return
    if OXIGRAPH is None:
        pytest.skip("the oxigraph server binary is not on PATH (pip install oxigraph-server, or cargo install oxigraph-cli)")
    port = free_port()
    location = store.current_release(built) / "store"
    proc = subprocess.Popen([OXIGRAPH, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                             "--union-default-graph"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/query"
    try:
        wait_for(url + "?" + urllib.parse.urlencode({"query": "ASK {}"}), proc, "oxigraph serve-read-only")
        yield url
    finally:
        stop(proc)


@pytest.fixture()
def modes(built, endpoint, tmp_path, monkeypatch):
    """A function that runs one page in both modes: embedded store, then endpoint with no build to read."""
    no_build = tmp_path / "no-build"
    no_build.mkdir()
    build_dir = built.build_dir  # read now: Settings.build_dir follows $ORETRACE_BUILD, which run() changes

    def run(view: str, errors_expected: bool = False, **params) -> tuple[AppTest, AppTest]:
        out = []
        for url, build in ((None, build_dir), (endpoint, no_build)):
            monkeypatch.setenv("ORETRACE_ROOT", str(built.root))
            monkeypatch.setenv("ORETRACE_BUILD", str(build))
            if url:
                monkeypatch.setenv("ORETRACE_ENDPOINT", url)
            else:
                monkeypatch.delenv("ORETRACE_ENDPOINT", raising=False)
            at = AppTest.from_string(SCRIPT.format(app=str(APP), page=view), default_timeout=60)
            for k, v in params.items():
                at.query_params[k] = v
            at.run()
            assert not at.exception, (url, [e.value for e in at.exception])
            assert errors_expected or not at.error, (url, [e.value for e in at.error])
            out.append(at)
        return out[0], out[1]

    return run


def html_of(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def rows(at: AppTest) -> list[str]:
    """Every table row of the page's HTML, sorted (the order of equal rows may differ between engines)."""
    return sorted(re.findall(r"<tr>.*?</tr>", html_of(at), flags=re.S))


def texts(at: AppTest) -> dict:
    return {"title": [t.value for t in at.title], "subheaders": [s.value for s in at.subheader],
            "metrics": [(m.label, m.value) for m in at.metric], "captions": [c.value for c in at.caption],
            "warnings": [w.value for w in at.warning], "markdown": [m.value for m in at.markdown]}


def components(at: AppTest) -> str:
    return "".join(str(e.proto) for e in at.main if type(e).__name__ == "UnknownElement")


def test_the_endpoint_serves_the_build(endpoint, store, built):
    assert build_triples(endpoint, built) == len(store)


def test_overview_is_the_same(modes):
    local, remote = modes("overview")
    assert texts(remote)["metrics"] == texts(local)["metrics"]
    chain = lambda at: re.search(r'<div class="ot-chain">.*</div>', html_of(at), flags=re.S).group(0)  # noqa: E731
    assert chain(remote) == chain(local) and "./entity?iri=" in chain(remote)
    assert "SPARQL endpoint http://127.0.0.1:" in html_of(remote) and "embedded store" in html_of(local)


@pytest.mark.parametrize("params", [{}, {"material": "all"}, {"element": "Indium", "from": "1980", "to": "1985"}])
def test_supply_chain_is_the_same(modes, params):
    local, remote = modes("chain", **params)
    assert texts(remote) == texts(local)
    links = lambda at: sorted(re.findall(r"entity\?iri=[^\"&\\]+", components(at)))  # noqa: E731
    assert links(remote) == links(local) and len(links(remote)) > 10
    bands = lambda at: components(at).count("ot-band")  # noqa: E731
    assert bands(remote) == bands(local) > 0
    assert rows(remote) == rows(local)


def test_entity_pages_are_the_same(modes, store):
    for iri in ("https://w3id.org/oretrace/id/site/nyrstar-auby", "https://w3id.org/oretrace/id/actor/nyrstar"):
        if not list(store.quads_for_pattern(appdata.ox.NamedNode(iri), None, None)):
            continue
        local, remote = modes("entity", iri=iri)
        assert texts(remote) == texts(local)
        assert rows(remote) == rows(local) and any("ot-cite" in r for r in rows(remote))
        dl = lambda at: {b.label for b in at.get("download_button")}  # noqa: E731
        assert dl(remote) == dl(local) and dl(local) >= {"Turtle", "JSON-LD", "Download the trace (CSV)"}
    local, remote = modes("entity", q="Auby")
    assert html_of(remote) == html_of(local) and "entity?iri=" in html_of(remote)


def test_findings_are_the_same(modes):
    local, remote = modes("findings")
    assert texts(remote)["metrics"] == texts(local)["metrics"]
    assert rows(remote) == rows(local) and len(rows(remote)) > 5


def test_sources_are_the_same(modes):
    local, remote = modes("sources")
    assert texts(remote) == texts(local)
    assert rows(remote) == rows(local)
    local, remote = modes("sources", confidence="implied")
    assert texts(remote)["subheaders"] == texts(local)["subheaders"]


def test_sparql_is_the_same_and_read_only(modes, endpoint, store, built):
    q = "SELECT ?f ?l WHERE { ?f a ot:Flow ; rdfs:label ?l } ORDER BY ?f LIMIT 7"
    local, remote = modes("sparql", q=q)
    assert "7 rows" in " ".join(m.value for m in remote.markdown)
    assert rows(remote) == rows(local)
    cat = query.catalogue(Path(__file__).resolve().parents[1] / "queries")
    if cat:
        local, remote = modes("sparql", name=next(iter(cat)))
        assert rows(remote) == rows(local)
    before = len(store)
    for update in ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "DROP ALL"):
        local, remote = modes("sparql", errors_expected=True, q=update)
        assert any("only reads" in e.value for e in remote.error)
        assert [e.value for e in remote.error] == [e.value for e in local.error]
    local, remote = modes("sparql", errors_expected=True, q="SELECT ?s WHERE { ?s ?p }")
    assert [e.value for e in remote.error] == [e.value for e in local.error]
    assert "not valid SPARQL near line 1" in remote.error[0].value
    assert build_triples(endpoint, built) == before  # the updates changed nothing


def build_triples(endpoint: str, built) -> int:
    """The number of quads in the build's graphs at the endpoint (Virtuoso also holds graphs of its own)."""
    res = query.run_endpoint(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                                       f"FILTER(STRSTARTS(STR(?g), \"{built.base}/\")) }}")
    return int(res.rows[0][0].value)


# ------------------------------------------------------------------ the real command, in a real browser
@pytest.mark.browser
def test_oretrace_app_endpoint_in_a_browser(built, endpoint, store, tmp_path):
    """`oretrace app --endpoint URL` with no build at all: the overview counts and the supply-chain map come from the endpoint."""
    pw = pytest.importorskip("playwright.sync_api")
    from browser import CHROMIUM, CHROMIUM_ARGS, wait_idle

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent")
    g = appdata.connect(built)
    counts = g.overview()
    port = free_port()
    env = dict(os.environ, ORETRACE_BUILD=str(tmp_path / "no-build"))
    env.pop("ORETRACE_ENDPOINT", None)
    proc = subprocess.Popen([sys.executable, "-m", "oretrace", "--root", str(built.root), "app", "--port", str(port),
                             "--endpoint", endpoint], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/_stcore/health", proc, "oretrace app --endpoint")
        with pw.sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url + "/")
            page.locator("[data-testid=stMetric]").first.wait_for()
            wait_idle(page)
            shown = dict(zip(page.locator("[data-testid=stMetricLabel]").all_inner_texts(),
                             page.locator("[data-testid=stMetricValue]").all_inner_texts()))
            assert shown["Flows"] == f"{counts['flows']:,}" and shown["Sources"] == f"{counts['sources']:,}"
            assert endpoint in page.locator("[data-testid=stMain]").inner_text()
            page.goto(url + "/chain")
            page.wait_for_selector(".ot-map[data-ready='1']", timeout=20_000)
            wait_idle(page)
            assert page.locator("svg.ot-sankey a.ot-band").count() > 0
            assert int(page.locator(".ot-map").get_attribute("data-points")) > 0
            b.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the launcher and the streamlit it started share this group id
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
