"""`oretrace validate` on the curated graph and on broken input; the stored report graph."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from oretrace import shacl, validate
from oretrace.shacl import codes
from oretrace.vocab import IRIs

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, env_build=None):
    import os

    env = dict(os.environ)
    if env_build:
        env["ORETRACE_BUILD"] = str(env_build)
    return subprocess.run([sys.executable, "-m", "oretrace", *args], cwd=ROOT, capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def outcome(built, store):
    return validate.run(built, store, IRIs(built.base))


def _focus(o, prefix):
    iris = IRIs("https://w3id.org/oretrace")
    return {validate._text(f.result.focus, iris) for f in o.findings if f.rule.startswith(prefix)}


def test_r1_fires_on_the_bolivian_zinc_concentrate_exports(outcome):
    r1 = _focus(outcome, "R1:")
    for dest in ("be", "cn", "es", "jp", "kr"):
        assert f"flow/bo-{dest}-zinc-concentrate-export" in r1
    assert all(f.severity == "Violation" for f in outcome.findings if f.rule.startswith("R1:"))


def test_mass_balance_warns_on_france_2018(outcome):
    x1 = [f for f in outcome.findings if f.rule.startswith("X1:")]
    fr = [f for f in x1 if validate._text(f.result.focus, IRIs("https://w3id.org/oretrace")) == "observation/fr-indium-production-2018"]
    assert len(fr) == 1 and fr[0].severity == "Warning"
    assert "40 t in 2018" in fr[0].message and "30 t" in fr[0].message
    # partial production figures (one scale of mining) are never balanced against exports
    assert not any("medium" in validate._text(f.result.focus, IRIs("https://w3id.org/oretrace")) for f in x1)


def test_findings_name_the_statements_and_lines_to_change(outcome):
    f = next(f for f in outcome.findings if validate._text(f.result.focus, IRIs("https://w3id.org/oretrace")) == "flow/bo-jp-zinc-concentrate-export")
    files = {w.file for w in f.where}
    assert files == {"data/sources/catapa-indium-report.yaml"}
    assert all(w.line and w.statement for w in f.where)


def test_no_statement_findings_on_sources(outcome):
    assert not _focus(outcome, "P-statement")


def test_engines_agree_on_the_curated_graph(built, store, outcome):
    other = validate.run(built, store, IRIs(built.base), engine="pyshacl")
    assert Counter(r.key() for r in other.report.results) == Counter(r.key() for r in outcome.report.results)


def test_report_graph_is_stored_and_queryable(store, outcome):
    q = """PREFIX sh: <http://www.w3.org/ns/shacl#>
    SELECT ?name ?sev (COUNT(DISTINCT ?r) AS ?n) WHERE { GRAPH <https://w3id.org/oretrace/graph/validation> {
      ?r a sh:ValidationResult ; sh:sourceShape ?s ; sh:resultSeverity ?sev . ?s sh:name ?name } } GROUP BY ?name ?sev"""
    stored = {r["name"].value: int(r["n"].value) for r in store.query(q)}
    expected = Counter(f.rule for f in outcome.findings)
    assert stored and stored == {k: v for k, v in expected.items()}
    bnodes = store.query("ASK { GRAPH <https://w3id.org/oretrace/graph/validation> { { ?s ?p ?o FILTER isBlank(?s) } UNION { ?s ?p ?o FILTER isBlank(?o) } } }")
    assert not bool(bnodes)


def test_report_quads_are_deterministic(built, store):
    iris = IRIs(built.base)
    shapes = validate.load_shapes(built.shapes_dir)
    a = validate.report_quads(validate.run(built, store, iris, shapes=shapes), iris, shapes)
    b = validate.report_quads(validate.run(built, store, iris, shapes=shapes), iris, shapes)
    assert a == b


def test_cli_exit_code_and_formats(built):
    r = cli("validate", env_build=built.build_dir)
    assert r.returncode == 1, r.stderr  # R1 violations are the finding
    assert "R1: every indium-bearing export declares its royalty status" in r.stdout
    j = cli("validate", "-f", "json", env_build=built.build_dir)
    data = json.loads(j.stdout)
    assert data["violations"] > 0 and any(x["rule"].startswith("R1:") for x in data["rules"])
    md = cli("validate", "-f", "markdown", env_build=built.build_dir)
    assert md.stdout.startswith("# Validation report")
    ttl = cli("validate", "-f", "turtle", env_build=built.build_dir)
    assert list(ox.parse(ttl.stdout.encode(), format=ox.RdfFormat.TURTLE))


def test_cli_exit_zero_without_violations(built, tmp_path):
    (tmp_path / "shapes").mkdir()
    shutil.copy(ROOT / "shapes" / "cross-source.ttl", tmp_path / "shapes")
    shutil.copy(ROOT / "shapes" / "integrity.ttl", tmp_path / "shapes")  # prefix declarations
    r = cli("validate", "--shapes", str(tmp_path / "shapes"), env_build=built.build_dir)
    assert r.returncode in (0, 1)
    only_warnings = cli("validate", "--shapes", str(tmp_path / "shapes"), "-f", "json", env_build=built.build_dir)
    data = json.loads(only_warnings.stdout)
    assert (r.returncode == 0) == (data["violations"] == 0)


def test_unparsable_shapes_file_names_file_and_line(built, tmp_path):
    d = tmp_path / "shapes"
    d.mkdir()
    (d / "broken.ttl").write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n\n<urn:a> sh:path [ .\n")
    r = cli("validate", "--shapes", str(d), env_build=built.build_dir)
    assert r.returncode == 2
    assert f"{d / 'broken.ttl'}:3:" in r.stderr


def test_unparsable_data_file_names_file_and_line(built, tmp_path):
    f = tmp_path / "data.ttl"
    f.write_text("<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> \"open .\n")
    r = cli("validate", "--data", str(f), env_build=built.build_dir)
    assert r.returncode == 2
    assert f"{f}:2:" in r.stderr


def test_no_build_is_unusable_input(tmp_path):
    r = cli("validate", env_build=tmp_path / "nothing")
    assert r.returncode == 2 and "oretrace build" in r.stderr


def test_generated_code_lists_are_up_to_date():
    assert (ROOT / "shapes" / "integrity-codes.ttl").read_text() == codes.text()


def test_commodity_codes_exist_in_the_hs_nomenclature():
    from conftest import shared_path

    hs_dir = shared_path("external", "hs-codes")
    known = set()
    for f in hs_dir.rglob("*.csv"):
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            for cell in line.replace('"', "").split(","):
                if cell.isdigit() and len(cell) == 6:
                    known.add(cell)
    g = shacl.Graph(validate.load_shapes(ROOT / "shapes"))
    lst = g.value(ox.NamedNode("https://w3id.org/oretrace/shapes#commodity-code-known-value"), shacl.sh("in"))
    listed = {t.value for t in g.items(lst)}
    assert listed and listed <= known


def test_every_shape_has_name_message_and_severity():
    g = shacl.Graph(validate.load_shapes(ROOT / "shapes"))
    shapes = set(g.subjects(ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), shacl.sh("NodeShape")))
    shapes |= set(g.subjects(ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), shacl.sh("PropertyShape")))
    assert len(shapes) > 40
    for s in shapes:
        for p in ("name", "message", "severity"):
            assert g.objects(s, shacl.sh(p)), f"{s} has no sh:{p}"
