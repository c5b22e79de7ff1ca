"""What the SHACL rules find on the curated data: each finding reviewed against the seed texts,
by rule and focus, with the curated file and line it names. (The validation engine and the
command are tested in test_validate.py.)"""

from __future__ import annotations

from oretrace import validate
from oretrace.vocab import IRIs

from conftest import ROOT


def _focus(o, prefix):
    iris = IRIs("https://w3id.org/oretrace")
    return {validate._text(f.result.focus, iris) for f in o.findings if f.rule.startswith(prefix)}


def _by_rule(o) -> dict:
    """rule code (R1, X1, P-source-year, I-flow-material, ...) -> focus names of its findings."""
    iris = IRIs("https://w3id.org/oretrace")
    out: dict = {}
    for f in o.findings:
        out.setdefault(f.rule.split(":")[0].split(" ")[0], []).append(validate._text(f.result.focus, iris))
    return out


# The findings on the curated seeds, reviewed one by one against the seed texts: each is a gap in
# what the sources report, not a mistake of the shapes or of the curated files.
BOLIVIAN_CONCENTRATE_EXPORTS = {f"flow/bo-{c}-zinc-concentrate-export" for c in ("be", "cn", "es", "jp", "kr")}
CURATED_FOCUS = {
    # R1: the seed reports indium exports as nil in official figures, so the royalty on the indium in
    # the zinc concentrate exports (to five countries; through Arica in 2019, to two buyers) is
    # not declared; the 1980-1985 exports and the 2011 indium content state no status at all
    "R1": BOLIVIAN_CONCENTRATE_EXPORTS | {
        "flow/arica-zinc-concentrate-exports-2019", "flow/arica-zinc-concentrate-exports-2019-trafigura",
        "flow/arica-zinc-concentrate-exports-2019-korea-zinc", "flow/bolivia-indium-content-exports-2011",
    } | {f"flow/bo-be-zinc-concentrate-export-{y}" for y in range(1980, 1986)},
    # R3: the IPIS list names 3T and gold exports from eastern DRC, with neither a due-diligence
    # status nor a receiving smelter (two findings, one per missing part)
    "R3": {"flow/eastern-drc-3tg-export"},
    # R5: the seed says who built Karachipampa, not who runs it
    "R5": {"site/karachipampa-plant"},
    # R6: royalties on the 2011 indium were not collected, but law 535 dates from 2014 and the seed
    # names no law for 2011
    "R6": {"flow/bolivia-indium-content-exports-2011"},
    # X1: the seed sets France's 40 t of indium output in 2018 against its 30 t of exports, and
    # Belgium's 22 t against 16 t
    "X1": {"observation/fr-indium-production-2018", "observation/be-indium-production-2018"},
}
CURATED_COUNTS = {
    **{rule: len(focus) for rule, focus in CURATED_FOCUS.items()},
    "R3": 2,
    # R2: no feed is named for Karachipampa (Bolivia), Umicore Olen or Nyrstar Balen (the seed says
    # only that it treats part of the concentrate arriving in Belgium, from origins it does not
    # name); the other plants' feed comes from their parent site, or from a flow delivered to them
    # (Budel, Høyanger)
    "R2": 3,
    # R4: flows the seeds name without a tonnage (shares of an unquantified whole, values in euro,
    # routes); the Bolivia-Belgium and EU-export flows are quantified through their parts
    "R4": 30,
    # P-source-year: six entries of the IPIS list and two web pages cited by CATAPA carry no date
    "P-source-year": 9,
    # X3: COMIBOL and Illapa (Bolivar mine), the Oruro small companies, InPACT and Soitec have no
    # flow in the seeds (the three named cooperatives sell through the Oruro cooperatives they belong to)
    "X3": 5,
}


def test_curated_findings_per_rule(outcome):
    got = _by_rule(outcome)
    assert {rule: len(focus) for rule, focus in got.items()} == CURATED_COUNTS
    for rule, focus in CURATED_FOCUS.items():
        assert set(got[rule]) == focus, rule


def test_violations_on_the_curated_data_are_due_diligence_gaps_only(outcome):
    assert {f.rule.split(":")[0] for f in outcome.findings if f.severity == "Violation"} == {"R1", "R3", "R6"}
    # no integrity or provenance rule fires on the curated files
    assert not [f for f in outcome.findings if f.rule.startswith(("I-", "P-statement", "P-citation", "P-source:", "P-cited"))]
    # and every fact is stated in its pattern (docs/modelling.md)
    assert not [f for f in outcome.findings if f.rule.startswith("M-")]


def test_r1_fires_on_the_bolivian_zinc_concentrate_exports(outcome):
    r1 = _focus(outcome, "R1:")
    assert BOLIVIAN_CONCENTRATE_EXPORTS <= r1
    assert all(f.severity == "Violation" for f in outcome.findings if f.rule.startswith("R1:"))


def test_mass_balance_warns_on_france_2018(outcome):
    x1 = [f for f in outcome.findings if f.rule.startswith("X1:")]
    fr = [f for f in x1 if validate._text(f.result.focus, IRIs("https://w3id.org/oretrace")) == "observation/fr-indium-production-2018"]
    assert len(fr) == 1 and fr[0].severity == "Warning"
    assert "40 t in 2018" in fr[0].message and "30 t" in fr[0].message
    # partial production figures (one scale of mining) are never balanced against exports
    assert not any("medium" in validate._text(f.result.focus, IRIs("https://w3id.org/oretrace")) for f in x1)


def test_undated_sources_point_to_the_file_that_declares_them(outcome):
    f = next(f for f in outcome.findings if validate._text(f.result.focus, IRIs("https://w3id.org/oretrace")) == "source/vessel-tracker")
    assert [(w.file, w.note) for w in f.where] == [("data/sources/catapa-indium-report.yaml", "under cited_sources")]
    text = (ROOT / f.where[0].file).read_text().splitlines()
    assert text[f.where[0].line - 1].strip() == "- id: vessel-tracker"


def test_findings_name_the_statements_and_lines_to_change(outcome):
    f = next(f for f in outcome.findings if validate._text(f.result.focus, IRIs("https://w3id.org/oretrace")) == "flow/bo-jp-zinc-concentrate-export")
    files = {w.file for w in f.where}
    assert files == {"data/sources/catapa-indium-report.yaml"}
    assert all(w.line and w.statement for w in f.where)


def test_no_statement_findings_on_sources(outcome):
    assert not _focus(outcome, "P-statement")
