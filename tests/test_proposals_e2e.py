"""The Review and Contribute pages end to end, in a real headless Chromium: a short PDF report
taken to built, cited statements through the Review page; a contribution and a dispute made in
the browser, reviewed and standing side by side in the graph; hostile contributions refused or
kept inert."""

from __future__ import annotations

import os
import re
import shutil

import pytest
import yaml

from conftest import ROOT
from test_proposals import cli

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

from browser import CHROMIUM, running_app, wait_idle  # noqa: E402
from test_e2e_app import browser  # noqa: E402,F401 - the shared Chromium fixture

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (the README's test command does)", allow_module_level=True)

FIXTURES = ROOT / "tests" / "fixtures" / "extract"
SCRIPT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("review-project")
    for d in ("ontology", "shapes", "queries"):
        shutil.copytree(ROOT / d, root / d)
    for rel in ("sources/iso-3166.yaml", "sources/geonames.yaml", "sources/oretrace-project.yaml",
                "entities/curators.yaml", "entities/reference-publishers.yaml"):
        (root / "data" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "data" / rel, root / "data" / rel)
    shutil.copy(FIXTURES / "entities.yaml", root / "data" / "entities" / "test-entities.yaml")
    shutil.copy(FIXTURES / "field-notes.yaml", root / "data" / "sources" / "field-notes.yaml")
    return root


@pytest.fixture(scope="module")
def app_url(project):
    with running_app(project, project / "build") as url:
        yield url


@pytest.fixture()
def page(browser, app_url):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1200})
    pg = ctx.new_page()
    pg.dialogs = []
    pg.outside = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("request", lambda r: r.url.startswith(("http", "ws")) and "127.0.0.1" not in r.url and pg.outside.append(r.url))
    yield pg
    assert pg.evaluate("() => window.__pwned === undefined"), "a script from the data ran"
    assert pg.dialogs == [] and pg.outside == []
    ctx.close()


def main(page):
    return page.locator("[data-testid=stMain]")


def choose(page, label: str, text: str):
    """Pick in a searchable selectbox: open it, type, take the first listed match (a listed option
    shows its reference in brackets; the typed text itself is offered too, as "Add: ...")."""
    box = main(page).locator("[data-testid=stSelectbox]").filter(has=page.get_by_text(label, exact=True)).first
    box.locator("input").click()
    page.keyboard.type(text)
    opts = page.locator("[role=option]").filter(has_text=text)
    opts.first.wait_for()
    texts = [t.strip() for t in opts.all_inner_texts()]
    listed = [n for n, t in enumerate(texts) if not t.startswith("Add:")]
    opts.nth(listed[0] if listed else 0).click()
    wait_idle(page)


def fill(page, label: str, text: str):
    field = main(page).get_by_label(label, exact=True)
    field.fill(text)
    field.press("Tab")
    wait_idle(page)


def click(page, name: str):
    main(page).get_by_role("button", name=name).click()
    wait_idle(page)


def new_source(page, sid: str, title: str, creator: str):
    """Describe a new source in the Contribute form."""
    main(page).get_by_text("a new source", exact=True).click()
    wait_idle(page)
    fill(page, "source id *", sid)
    fill(page, "source title", title)
    fill(page, "source creator", creator)


def operator_fact(page, app_url):
    """Start a fact on the Contribute page: the test site is operated by the test actor."""
    page.goto(f"{app_url}/contribute?about=site/cerro-alto-mine")
    wait_idle(page)
    choose(page, "Property *", "operated by")
    choose(page, "Value * (an entity, or type a value)", "Nordic Zinc")


def refusal(page) -> str:
    """Save, and the error the page shows instead."""
    click(page, "Save the contribution for review")
    err = main(page).locator("[data-testid=stAlertContentError]").first
    err.wait_for()
    return err.inner_text()


def proposals_of(project, source):
    p = project / "data" / "proposals" / f"{source}.yaml"
    return yaml.safe_load(p.read_text()) if p.exists() else None


def query_rows(project, sparql):
    from oretrace import query, store
    from oretrace.config import Settings

    s = Settings(root=project, build=project / "build")
    return query.run_store(store.open_store(s), query.with_prefixes(sparql)).rows


def build(project):
    r = cli(project, "--build", str(project / "build"), "build", "-q")
    assert r.returncode == 0, r.stderr


def test_pdf_report_to_built_statements_through_the_review_page(project, page, app_url, tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Indium notes from Peru")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for para in ("Indium in Peru", "Peru produced 12 t of indium in 2020 (NSO, 2020).",
                 "The Cerro Alto mine produced about 3 t of indium in 2020."):
        pdf.multi_cell(0, 6, para)
        pdf.ln(6)
    doc = tmp_path / "notes.pdf"
    pdf.output(str(doc))
    r = cli(project, "extract", str(doc), "--source", "indium-notes")
    assert r.returncode == 0, r.stderr
    page.goto(f"{app_url}/review?source=indium-notes")
    wait_idle(page)
    # the passage is read from the PDF, its span highlighted
    mark = main(page).locator("mark.ot-span").first
    mark.wait_for()
    assert "Peru produced 12 t of indium in 2020" in mark.inner_text()
    # the new source's entry: the reviewer adds who wrote it and when, in the form
    fill(page, "source creator", "Field Team")
    fill(page, "source year", "2021")
    click(page, "Save the source entry")
    main(page).get_by_text("Saved.", exact=True).wait_for()
    assert proposals_of(project, "indium-notes")["source"]["creator"] == ["Field Team"]
    main(page).get_by_text("Accept or reject several at once").click()
    click(page, "Accept all 2 shown")
    main(page).get_by_text("the checker passed them").wait_for()
    new = yaml.safe_load((project / "data" / "sources" / "indium-notes.yaml").read_text())
    assert new["source"]["title"] == "Indium notes from Peru" and new["source"]["year"] == 2021
    assert {s["assert"][0]["subject"] for s in new["statements"]} == {"country/PE", "site/cerro-alto-mine"}
    build(project)
    rows = query_rows(project, """SELECT ?v ?doc WHERE { ?o ot:subject <https://w3id.org/oretrace/id/country/PE> ;
        ot:year 2020 ; qudt:numericValue ?v . GRAPH ?g { ?o ot:subject ?s } ?g prov:wasDerivedFrom ?doc }""")
    assert [(str(a.value), str(b.value)) for a, b in rows] == [("12", "https://w3id.org/oretrace/id/source/indium-notes")]


def test_edit_accept_and_reject_one_by_one(project, page, app_url, tmp_path):
    d = tmp_path / "doc.txt"
    d.write_text("Zinc output\n\nPeru produced 1,250 t of zinc concentrate in 2019 (NSO, 2020). Finland produced "
                 "80 t of zinc concentrate in 2019.\n")
    assert cli(project, "extract", str(d), "--source", "field-notes").returncode == 0
    ids = [s["id"] for s in proposals_of(project, "field-notes")["statements"]]
    page.goto(f"{app_url}/review?source=field-notes&item={ids[0]}")
    wait_idle(page)
    fill(page, "Paraphrase (your own words)", "Peru's zinc concentrate output in 2019 was 1,250 t")
    click(page, "Accept")
    main(page).get_by_text("the checker passed them").wait_for()
    cur = yaml.safe_load((project / "data" / "sources" / "field-notes.yaml").read_text())
    got = next(s for s in cur["statements"] if s["id"] == ids[0])
    assert got["says"] == "Peru's zinc concentrate output in 2019 was 1,250 t" and "proposal" not in got
    page.goto(f"{app_url}/review?source=field-notes&item={ids[1]}")
    wait_idle(page)
    click(page, "Reject")
    main(page).get_by_text("Rejected 1.").wait_for()
    st = {s["id"]: s["proposal"]["status"] for s in proposals_of(project, "field-notes")["statements"]}
    assert st == {ids[0]: "accepted", ids[1]: "rejected"}


def test_contribution_and_dispute_stand_side_by_side(project, page, app_url):
    # a figure already in the graph's files, to dispute
    disputed = next(s["id"] for s in yaml.safe_load((project / "data" / "sources" / "field-notes.yaml").read_text())
                    ["statements"] if s["assert"][0].get("subject") == "country/PE")
    # a fact about an entity, from an existing source
    page.goto(f"{app_url}/contribute?about=site/cerro-alto-mine")
    wait_idle(page)
    choose(page, "Property *", "owned by")
    choose(page, "Value * (an entity, or type a value)", "Andes Metals")
    choose(page, "Source *", "Field notes")
    fill(page, "section", "Ownership")
    fill(page, "In your own words, one line *", "Andes Metals owns the Cerro Alto mine.")
    fill(page, "Name", "A. Reader")
    click(page, "Save the contribution for review")
    main(page).get_by_text("Saved as field-notes/contribution-").wait_for()
    c = [s for s in proposals_of(project, "field-notes")["statements"] if s["proposal"]["kind"] == "contribution"]
    assert c[-1]["assert"] == [{"about": "site/cerro-alto-mine", "owned_by": "actor/andes-metals"}]
    assert c[-1]["proposal"]["contributor"] == {"name": "A. Reader"}
    # a dispute of the Peru figure, from a new source described in the form
    page.goto(f"{app_url}/contribute?disputes={disputed}")
    wait_idle(page)
    fill(page, "value", "1300")
    new_source(page, "peru-zinc-review-2021", "A review of Peruvian zinc output", "B. Analyst")
    fill(page, "source year", "2021")
    fill(page, "page", "4")
    fill(page, "In your own words, one line *", "This review puts Peru's 2019 zinc concentrate output at 1,300 t.")
    click(page, "Save the contribution for review")
    main(page).get_by_text("Saved as peru-zinc-review-2021/dispute-").wait_for()
    dp = proposals_of(project, "peru-zinc-review-2021")
    assert dp["source"]["title"] == "A review of Peruvian zinc output"
    assert dp["statements"][0]["proposal"]["disputes"] == disputed
    # both pass review (here on the command line) and stand side by side after the build
    assert cli(project, "proposals", "accept", "field-notes", "--all").returncode == 0
    r = cli(project, "proposals", "accept", "peru-zinc-review-2021", "--all", "--curator", "curator/oretrace-core")
    assert r.returncode == 0, r.stderr
    build(project)
    rows = query_rows(project, """SELECT ?v ?doc WHERE { ?o ot:subject <https://w3id.org/oretrace/id/country/PE> ;
        ot:measures ot:TotalProduction ; ot:year 2019 ; qudt:numericValue ?v .
        GRAPH ?g { ?o qudt:numericValue ?v } ?g prov:wasDerivedFrom ?doc } ORDER BY ?v""")
    assert [(str(a.value), str(b.value).rsplit("/", 1)[1]) for a, b in rows] == \
        [("1250", "field-notes"), ("1300", "peru-zinc-review-2021")]
    owner = query_rows(project, "SELECT ?o WHERE { <https://w3id.org/oretrace/id/site/cerro-alto-mine> ot:ownedBy ?o }")
    assert [str(o[0].value) for o in owner] == ["https://w3id.org/oretrace/id/actor/andes-metals"]
    # the entity page offers the Contribute page with the entity filled in
    page.goto(f"{app_url}/entity?iri=https://w3id.org/oretrace/id/site/cerro-alto-mine")
    link = main(page).get_by_role("link", name="Propose a fact / dispute")
    link.wait_for()
    href = link.get_attribute("href")
    assert href == "contribute?about=https%3A%2F%2Fw3id.org%2Foretrace%2Fid%2Fsite%2Fcerro-alto-mine"
    page.goto(f"{app_url}/{href}")
    wait_idle(page)
    about = main(page).locator("[data-testid=stSelectbox]").filter(has=page.get_by_text("About * (the entity)"))
    assert "Cerro Alto" in (about.text_content() or "") + about.locator("input").input_value()


def test_hostile_contributions(project, page, app_url):
    operator_fact(page, app_url)
    choose(page, "Source *", "Field notes")
    for label in ("section", "figure", "table", "row", "Name", "Contact"):
        fill(page, label, SCRIPT)
    fill(page, "In your own words, one line *", SCRIPT)
    click(page, "Save the contribution for review")
    main(page).get_by_text("Saved as field-notes/contribution-").wait_for()
    saved = [s for s in proposals_of(project, "field-notes")["statements"] if s["proposal"]["kind"] == "contribution"][-1]
    assert saved["says"] == SCRIPT and saved["at"]["section"] == SCRIPT  # kept as text, never run
    # shown escaped on the Review page
    page.goto(f"{app_url}/review?source=field-notes&item={saved['id']}")
    wait_idle(page)
    main(page).get_by_text("Contributed by").wait_for()
    assert SCRIPT in main(page).inner_text()
    assert main(page).locator("img[src=x]").count() == 0
    # a 10 MB paraphrase is refused, nothing written
    before = (project / "data" / "proposals" / "field-notes.yaml").read_text()
    operator_fact(page, app_url)
    choose(page, "Source *", "Field notes")
    fill(page, "section", "Operator")
    fill(page, "In your own words, one line *", "x" * (10 << 20))
    assert "bytes; at most 20,000 are taken" in refusal(page)
    assert (project / "data" / "proposals" / "field-notes.yaml").read_text() == before
    # a path in the source id is refused, nothing written anywhere
    operator_fact(page, app_url)
    new_source(page, "../../escape", "Escape", "Nobody")
    fill(page, "section", "Anywhere")
    fill(page, "In your own words, one line *", "An attempt to write outside the proposals folder.")
    assert "is not a source id" in refusal(page)
    assert not (project.parent / "escape.yaml").exists() and not list(project.rglob("escape.yaml"))
    assert re.search(r"field-notes", " ".join(p.name for p in (project / "data" / "proposals").iterdir()))
