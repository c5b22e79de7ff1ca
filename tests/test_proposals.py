"""oretrace proposals: list, show, accept, reject; the round trip extract -> accept -> check ->
build -> catalogue query; and nothing proposed in the graph before acceptance."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "extract"
DOC = """Zinc output

Peru produced 1,250 t of zinc concentrate in 2019 (NSO, 2020). The Huanca mine, owned by Andes Metals S.A.,
produced about 300 t of zinc concentrate in 2019 (Quispe, 2018).
"""


@pytest.fixture()
def project(minimal_project):
    shutil.copy(FIXTURES / "entities.yaml", minimal_project / "data" / "entities" / "test-entities.yaml")
    shutil.copy(FIXTURES / "field-notes.yaml", minimal_project / "data" / "sources" / "field-notes.yaml")
    return minimal_project


def cli(project, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "oretrace", "--root", str(project), *args], capture_output=True,
                          text=True, env=env, timeout=300)


def extracted(project, tmp_path, text=DOC, source="field-notes", name="notes.txt"):
    doc = tmp_path / name
    doc.write_text(text, encoding="utf-8")
    r = cli(project, "extract", str(doc), "--source", source)
    assert r.returncode == 0, r.stderr
    return yaml.safe_load((project / "data" / "proposals" / f"{source}.yaml").read_text())


def statuses(project, source="field-notes"):
    d = yaml.safe_load((project / "data" / "proposals" / f"{source}.yaml").read_text())
    return {m["id"]: m["proposal"]["status"] for m in d.get("statements") or []}


def test_list_show_and_reject(project, tmp_path):
    d = extracted(project, tmp_path)
    ids = [s["id"] for s in d["statements"]]
    r = cli(project, "proposals", "list")
    assert r.returncode == 0 and "field-notes" in r.stdout and "5 proposed, 0 accepted, 0 rejected" in r.stdout
    r = cli(project, "proposals", "reject", "field-notes", "site/huanca-mine")
    assert r.returncode == 2 and "not reviewed on their own" in r.stderr
    r = cli(project, "proposals", "list", "field-notes")
    assert all(i in r.stdout for i in ids) and "quispe-2018" in r.stdout and "site/huanca-mine" in r.stdout
    fig = next(s for s in d["statements"] if s["assert"][0].get("subject") == "country/PE")
    r = cli(project, "proposals", "show", "field-notes", fig["id"])
    assert r.returncode == 0, r.stderr
    # the sentence is read live from the document, marked; the file itself never holds it
    assert "\u00bbPeru produced 1,250 t of zinc concentrate in 2019 (NSO, 2020).\u00ab" in r.stdout
    assert "Peru produced 1,250 t" not in (project / "data" / "proposals" / "field-notes.yaml").read_text()
    r = cli(project, "proposals", "reject", "field-notes", "field-notes/huanca-*")
    assert r.returncode == 0 and "rejected 2 proposals" in r.stdout
    st = statuses(project)
    assert [st[i] for i in ids if i.startswith("field-notes/huanca")] == ["rejected", "rejected"]
    assert st[fig["id"]] == "proposed"
    r = cli(project, "proposals", "show", "field-notes", "no/such-thing")
    assert r.returncode == 2 and "no proposal 'no/such-thing'" in r.stderr


def test_accept_one_brings_what_it_needs_and_keeps_comments(project, tmp_path):
    d = extracted(project, tmp_path)
    target = project / "data" / "sources" / "field-notes.yaml"
    before = target.read_text()
    own = next(s for s in d["statements"] if s["assert"][0].get("subject") == "site/huanca-mine")
    r = cli(project, "proposals", "accept", "field-notes", own["id"])
    assert r.returncode == 0, r.stderr
    assert "with 2 they need (site/huanca-mine, quispe-2018)" in r.stdout or \
        "with 2 they need (quispe-2018, site/huanca-mine)" in r.stdout
    after = target.read_text()
    assert after.startswith(before.split("statements:")[0].split("cited_sources:")[0])  # header and its comments
    assert "# accepted from data/proposals/field-notes.yaml on" in after
    cur = yaml.safe_load(after)
    got = {s["id"]: s for s in cur["statements"]}
    assert own["id"] in got and "proposal" not in got[own["id"]]
    assert got[own["id"]]["assert"] == own["assert"] and got[own["id"]]["says"] == own["says"]
    assert any(s["assert"][0].get("id") == "site/huanca-mine" for s in cur["statements"])
    assert [c["id"] for c in cur["cited_sources"]] == ["nso-2020", "quispe-2018"]
    st = statuses(project)
    assert st[own["id"]] == "accepted" and list(st.values()).count("proposed") == 2
    r = cli(project, "proposals", "list", "field-notes")  # the entity and the cited source are now known
    assert "accepted  entity" in r.stdout and "accepted  citation" in r.stdout
    r = cli(project, "check")
    assert r.returncode == 0, r.stderr
    r = cli(project, "proposals", "accept", "field-notes", own["id"])
    assert r.returncode == 0 and "nothing to accept" in r.stdout


def test_accept_that_does_not_check_writes_nothing(project, tmp_path):
    extracted(project, tmp_path)
    path = project / "data" / "proposals" / "field-notes.yaml"
    d = yaml.safe_load(path.read_text())
    d["statements"][0]["assert"][0]["subject"] = "actor/nobody-known"  # a reviewer's typo
    path.write_text(yaml.safe_dump(d, sort_keys=False, allow_unicode=True))
    target = project / "data" / "sources" / "field-notes.yaml"
    before, props_before = target.read_text(), path.read_text()
    r = cli(project, "proposals", "accept", "field-notes", "--all")
    assert r.returncode == 2
    assert "do not check; nothing was written" in r.stderr
    assert "data/sources/field-notes.yaml:" in r.stderr and "unknown entity 'actor/nobody-known'" in r.stderr
    assert "Traceback" not in r.stderr
    assert target.read_text() == before and path.read_text() == props_before


@pytest.mark.parametrize("args,message", [
    (["accept", "../etc", "--all"], "not a source id"),
    (["accept", "field-notes"], "name the proposals to accept"),
    (["accept", "no-such-source", "--all"], "no proposals for 'no-such-source'"),
    (["accept", "field-notes", "--all", "--curator", "nobody"], "not a curator reference"),
    (["reject", "field-notes", "x/*"], "no proposal 'x/*'"),
])
def test_bad_requests(project, tmp_path, args, message):
    extracted(project, tmp_path)
    r = cli(project, "proposals", *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_new_source_file_is_created(project, tmp_path):
    html = ("<html><head><title>Indium in Peru</title><meta name='author' content='A. Writer'>"
            "<meta name='citation_publication_date' content='2021-05-02'></head><body><h1>Indium in Peru</h1>"
            "<p>Peru produced 5 t of indium in 2019.</p></body></html>")
    d = extracted(project, tmp_path, html, source="indium-in-peru", name="page.html")
    assert d["source"]["title"] == "Indium in Peru"
    r = cli(project, "proposals", "accept", "indium-in-peru", "--all", "--curator", "curator/oretrace-core")
    assert r.returncode == 0, r.stderr
    new = yaml.safe_load((project / "data" / "sources" / "indium-in-peru.yaml").read_text())
    assert new["source"] == {"id": "indium-in-peru", "a": "Report", "title": "Indium in Peru",
                             "creator": ["A. Writer"], "year": 2021}
    assert new["curator"] == "curator/oretrace-core" and len(new["statements"]) == 1
    assert cli(project, "check").returncode == 0


def test_round_trip_extract_accept_check_build_query(project, tmp_path):
    """A small report, a PDF the test makes: proposals are not in the graph; accepted on the command
    line, checked and built, they answer the production-series query of the catalogue."""
    fpdf = pytest.importorskip("fpdf", reason="fpdf2 (a test dependency) makes the PDF")
    from oretrace import query, store
    from oretrace.build import build
    from oretrace.config import Settings
    from oretrace.vocab import IRIs

    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for para in DOC.split("\n\n"):
        pdf.multi_cell(0, 6, para.replace("\n", " "))
        pdf.ln(6)
    doc = tmp_path / "notes.pdf"
    pdf.output(str(doc))
    r = cli(project, "extract", str(doc), "--source", "field-notes")
    assert r.returncode == 0, r.stderr
    s = Settings(root=project, build=tmp_path / "build")
    cat = query.catalogue(ROOT / "queries")
    q = query.bind(cat["production-series"], {"subject": "country/PE", "material": "material/zinc-concentrate"},
                   IRIs(s.base))

    def rows():
        return query.run_store(store.open_store(s), query.with_prefixes(q)).rows

    build(s, quiet=True)  # the proposals file is there, but the build does not read data/proposals/
    assert rows() == []
    r = cli(project, "proposals", "accept", "field-notes", "--all")
    assert r.returncode == 0, r.stderr
    assert cli(project, "check").returncode == 0
    build(s, quiet=True)
    got = rows()
    assert len(got) == 1
    assert [str(v.value) for v in got[0][2:4]] == ["2019", "1250"]
    huanca = query.run_store(store.open_store(s), query.with_prefixes(
        "SELECT ?v WHERE { ?o ot:subject <https://w3id.org/oretrace/id/site/huanca-mine> ; qudt:numericValue ?v }")).rows
    assert [str(r[0].value) for r in huanca] == ["300"]


def _tree(root):
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and "build" not in p.parts}


FACT = {"at": {"section": "Ownership"}, "says": "A fact written for this test.", "confidence": "stated",
        "assert": [{"about": "site/cerro-alto-mine", "owned_by": "actor/andes-metals"}]}


@pytest.mark.parametrize("source_id, statement, new_source, message", [
    ("/tmp/escape", FACT, {"title": "Escape", "creator": ["Nobody"]}, "is not a source id"),
    ("../escape", FACT, {"title": "Escape", "creator": ["Nobody"]}, "is not a source id"),
    ("field-notes/../../escape", FACT, None, "is not a source id"),
    ("web-note", FACT, {"title": "A note", "creator": ["Nobody"], "url": "javascript:alert(1)"}, "url"),
    ("web-note", FACT, {"title": "A note", "creator": ["Nobody"], "url": "https://exa mple.org/<x>"}, "url"),
    ("field-notes", {**FACT, "assert": [{"about": "site/cerro-alto-mine", "owned_by": "actor/<script>"}]}, None,
     "actor/<script>"),
    ("field-notes", {**FACT, "says": "x" * (10 << 20)}, None, "at most 20,000 are taken"),
])
def test_hostile_contributions_are_refused_and_write_nothing(project, source_id, statement, new_source, message):
    from oretrace import proposals
    from oretrace.config import Settings

    before = _tree(project.parent)
    with pytest.raises(proposals.ProposalError) as e:
        proposals.contribute(Settings(root=project), source_id, statement, new_source=new_source)
    text = str(e.value) + " " + " ".join(getattr(e.value, "problems", None) or [])
    assert message in text
    assert "Traceback" not in text
    assert _tree(project.parent) == before
