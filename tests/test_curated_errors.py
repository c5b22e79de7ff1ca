"""Bad curated input: every problem is reported at once, one line each, exit code 2, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from oretrace import curated
from oretrace.config import Settings

HEADER = """\
source:
  id: test-doc
  a: Report
  title: A test document
  publisher: actor/test-publisher
  year: 2020
curator: curator/oretrace-core
curated_on: 2026-01-01
"""

ENTITY = """\
curator: curator/oretrace-core
curated_on: 2026-01-01
source: test-doc
entities:
  - id: actor/test-publisher
    a: CivilSocietyOrganisation
    label: Test publisher
    at: {section: Cover}
"""

GOOD_STATEMENT = """\
statements:
  - id: test/ok
    at: {section: One}
    says: A fine statement.
    assert:
      - id: observation/test-ok
        a: ProductionObservation
        measures: TotalProduction
        subject: country/FR
        material: material/test-metal
        year: 2018
        quantity: {value: 40, unit: t}
"""


def write_case(root: Path, body: str) -> Path:
    (root / "data" / "entities" / "test-entities.yaml").write_text(
        ENTITY + "  - id: material/test-metal\n    a: RefinedMetal\n    label: test metal\n    at: {section: Cover}\n")
    f = root / "data" / "sources" / "test-doc.yaml"
    f.write_text(HEADER + body)
    return f


def problems(root: Path) -> list[curated.Problem]:
    with pytest.raises(curated.CurationError) as e:
        curated.read(Settings(root=root))
    return [p for p in e.value.problems if p.file.endswith(("test-doc.yaml", "test-entities.yaml"))]


def test_clean_case_reads(project_copy):
    write_case(project_copy, GOOD_STATEMENT)
    try:
        cur = curated.read(Settings(root=project_copy))
    except curated.CurationError as e:  # other files must be clean too
        pytest.fail(str(e))
    assert any(s.id == "test/ok" for s in cur.statements)


CASES = {
    "malformed-yaml": ("statements:\n  - id: test/x\n    at: {section: One\n    says: broken\n", 12, "malformed YAML"),
    "unknown-entity": (GOOD_STATEMENT.replace("material/test-metal", "material/no-such-metal"), 18, "unknown entity 'material/no-such-metal'"),
    "duplicate-id": (GOOD_STATEMENT + GOOD_STATEMENT.replace("statements:\n", "").replace("observation/test-ok", "observation/test-ok2"), 21, "duplicate statement id"),
    "unknown-unit": (GOOD_STATEMENT.replace("unit: t}", "unit: tonnes}"), 20, "unknown unit 'tonnes'"),
    "share-over-100": (GOOD_STATEMENT.replace("{value: 40, unit: t}", "{value: 140, unit: percent}"), 20, "over 100 %"),
    "future-year": (GOOD_STATEMENT.replace("year: 2018", "year: 2999"), 19, "year 2999 is in the future"),
    "missing-locator": (GOOD_STATEMENT.replace("    at: {section: One}\n", ""), 10, "missing locator"),
    "unknown-source": (GOOD_STATEMENT.replace("    says:", "    source: no-such-doc\n    says:"), 12, "unknown source 'no-such-doc'"),
    "unknown-class": (GOOD_STATEMENT.replace("a: ProductionObservation", "a: ProductionFigure"), 15, "unknown class 'ProductionFigure'"),
    "unknown-property": (GOOD_STATEMENT.replace("year: 2018", "yeer: 2018"), 19, "unknown property 'yeer'"),
    "unknown-country": (GOOD_STATEMENT.replace("country/FR", "country/XX"), 17, "unknown country 'country/XX'"),
    "wrong-datatype": (GOOD_STATEMENT.replace("year: 2018", "year: '2018'"), 19, "must be a whole number"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_bad_input_is_named(project_copy, case):
    body, line, text = CASES[case]
    write_case(project_copy, body)
    found = problems(project_copy)
    assert found, f"{case}: no problem reported"
    hit = [p for p in found if text in p.message]
    assert hit, f"{case}: expected {text!r}, got {[str(p) for p in found]}"
    assert hit[0].file == "data/sources/test-doc.yaml"
    assert hit[0].line == line, f"{case}: reported at line {hit[0].line}: {hit[0]}"
    if case not in ("malformed-yaml",):
        assert hit[0].statement.startswith("test/ok"), hit[0]
    # every message says how to fix it
    assert "(" in str(hit[0]) and ")" in str(hit[0])


def test_all_problems_reported_at_once(project_copy):
    body = (GOOD_STATEMENT.replace("unit: t}", "unit: tonnes}").replace("year: 2018", "year: 2999")
            .replace("material/test-metal", "material/nothing"))
    write_case(project_copy, body)
    msgs = " | ".join(p.message for p in problems(project_copy))
    for text in ("unknown unit", "in the future", "unknown entity"):
        assert text in msgs


def run_cli(root: Path, *args: str, build_dir: Path):
    env = dict(os.environ, ORETRACE_BUILD=str(build_dir))
    return subprocess.run([sys.executable, "-m", "oretrace", "--root", str(root), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_cli_exit_2_and_nothing_written(project_copy, tmp_path):
    write_case(project_copy, GOOD_STATEMENT.replace("unit: t}", "unit: tonnes}"))
    out = run_cli(project_copy, "build", build_dir=tmp_path / "b")
    assert out.returncode == 2, out.stderr
    assert "data/sources/test-doc.yaml:20: test/ok: unknown unit 'tonnes'" in out.stderr
    assert out.stdout == ""
    assert not (tmp_path / "b" / "current").exists()
    releases = tmp_path / "b" / "releases"
    assert not releases.exists() or not [p for p in releases.iterdir() if not p.name.startswith(".")]


def test_reference_statements_take_curator_and_date_from_their_source_file(project_copy):
    """The ISO 3166 / GeoNames statements the reader makes name the curator and date written in
    data/sources/iso-3166.yaml and geonames.yaml, not constants of the code."""
    root = project_copy
    iso = root / "data" / "sources" / "iso-3166.yaml"
    iso.write_text(iso.read_text().replace("curated_on: 2026-11-24", "curated_on: 2025-03-01"))
    cur = curated.read(Settings(root=root))
    made = [s for s in cur.statements if s.id.startswith("iso-3166/")]
    assert made and {(s.curator, s.curated_on) for s in made} == {("curator/oretrace-core", "2025-03-01")}
    assert {s.curated_on for s in cur.statements if s.id.startswith("geonames/")} == {"2026-11-24"}
    iso.write_text(iso.read_text().replace("curator: curator/oretrace-core", "curator: curator/nobody"))
    with pytest.raises(curated.CurationError) as e:
        curated.read(Settings(root=root))
    assert any(p.file == "data/sources/iso-3166.yaml" and "curator/nobody" in p.message for p in e.value.problems)
    iso.write_text("\n".join(line for line in iso.read_text().splitlines() if not line.startswith("curator:")) + "\n")
    with pytest.raises(curated.CurationError) as e:
        curated.read(Settings(root=root))
    assert [p.message for p in e.value.problems if p.file == "data/sources/iso-3166.yaml"] == [
        "no curator or curated_on: the statements made from this reference need both (add "
        "'curator: curator/<id>' and 'curated_on: YYYY-MM-DD' to the file)"]
