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


def cli(*args, env_build=None, env=None):
    import os

    env = {**os.environ, **(env or {})}
    if env_build:
        env["ORETRACE_BUILD"] = str(env_build)
    return subprocess.run([sys.executable, "-m", "oretrace", *args], cwd=ROOT, capture_output=True, text=True, env=env)


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
    a = validate.report_quads(validate.run(built, store, iris, shapes=shapes), iris)
    b = validate.report_quads(validate.run(built, store, iris, shapes=shapes), iris)
    assert a == b


def test_cli_exit_one_on_violations_and_the_formats_agree(built, outcome):
    r = cli("validate", env_build=built.build_dir)
    assert r.returncode == 1, r.stderr  # R1 violations are the finding
    assert "R1: every indium-bearing export declares its royalty status" in r.stdout
    assert r.stdout.rstrip().splitlines()[-1].startswith(f"{outcome.violations} violations, {outcome.warnings} warnings")
    j = cli("validate", "-f", "json", env_build=built.build_dir)
    assert j.returncode == 1
    data = json.loads(j.stdout)
    assert (data["violations"], data["warnings"]) == (outcome.violations, outcome.warnings)
    assert {x["rule"]: x["count"] for x in data["rules"]} == dict(Counter(f.rule for f in outcome.findings))
    r1 = next(x for x in data["rules"] if x["rule"].startswith("R1:"))
    jp = next(f for f in r1["findings"] if f["focus"] == "flow/bo-jp-zinc-concentrate-export")
    assert jp["label"] == "Bolivian zinc concentrate exports to Japan" and jp["severity"] == "Violation"
    assert {"id": "catapa-indium/bolivia-zinc-export-japan", "file": "data/sources/catapa-indium-report.yaml",
            "line": 246, "note": None} in jp["statements"]
    md = cli("validate", "-f", "markdown", env_build=built.build_dir)
    assert md.returncode == 1 and md.stdout.startswith("# Validation report")
    rows = [line for line in md.stdout.splitlines() if line.startswith("| ") and not line.startswith("| rule")]
    assert len(rows) == len(data["rules"])
    assert "- `flow/bo-jp-zinc-concentrate-export` — Bolivian zinc concentrate exports to Japan (change: " in md.stdout
    ttl = cli("validate", "-f", "turtle", env_build=built.build_dir)
    assert ttl.returncode == 1
    g = shacl.Graph(ox.parse(ttl.stdout.encode(), format=ox.RdfFormat.TURTLE))
    assert len(g.subjects(ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), shacl.sh("ValidationResult"))) \
        == len(outcome.findings)


@pytest.mark.parametrize("columns", ["100", "300", "40"])
def test_text_report_fits_a_100_column_terminal(built, columns):
    r = cli("validate", env_build=built.build_dir, env={"COLUMNS": columns})
    lines = r.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 100
    # a rule's shared message is printed once, under its heading, not once per finding
    assert r.stdout.count("Indium-bearing export with no declared royalty") == 1
    assert "summary:" in lines


def test_cli_exit_zero_with_warnings_only(built, tmp_path):
    f = tmp_path / "data.ttl"
    f.write_text("""@prefix ot: <https://w3id.org/oretrace/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<urn:x:flow> a ot:Flow ; rdfs:label "a flow nobody quantified"@en .
""")
    r = cli("validate", "--data", str(f), env_build=built.build_dir)
    assert r.returncode == 0, r.stderr
    assert "R4: every flow has a quantity" in r.stdout and "0 violations, 1 warning " in r.stdout


def test_cli_exit_zero_on_a_conforming_graph(built, tmp_path):
    f = tmp_path / "data.ttl"
    f.write_text("""@prefix ot: <https://w3id.org/oretrace/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix qudt: <http://qudt.org/schema/qudt/> .
@prefix unit: <http://qudt.org/vocab/unit/> .
<urn:x:bo> a ot:Country ; rdfs:label "Bolivia"@en ; ot:iso3166Code "BO" .
<urn:x:flow> a ot:Export ; rdfs:label "an export"@en ; ot:origin <urn:x:bo> ; ot:commodityCode "260800" ; ot:year 2019 .
<urn:x:tonnage> a ot:FlowQuantityObservation ; rdfs:label "its tonnage"@en ; ot:measures ot:ExportQuantity ;
    ot:subject <urn:x:flow> ; qudt:numericValue 1.5 ; qudt:hasUnit unit:TONNE ; ot:year 2019 .
""")
    for engine in shacl.ENGINES:
        r = cli("validate", "--engine", engine, "--data", str(f), env_build=built.build_dir)
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.startswith(f"0 violations, 0 warnings (0 rules fired; {engine} engine, ")


def test_unusable_shapes_are_exit_two_on_both_engines(built, tmp_path):
    d = tmp_path / "shapes"
    d.mkdir()
    (d / "bad-path.ttl").write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ot: <https://w3id.org/oretrace/ontology#> .
<urn:x:shape> a sh:NodeShape ; sh:targetClass ot:Flow ; sh:property [ sh:path [ sh:unknownPath ot:material ] ; sh:minCount 1 ] .
""")
    for engine in shacl.ENGINES:
        r = cli("validate", "--engine", engine, "--shapes", str(d), env_build=built.build_dir)
        assert r.returncode == 2, (engine, r.stdout)
        assert r.stderr.startswith(f"error: {d}: the shapes cannot be used:") and "unknownPath" in r.stderr
        assert r.stdout == ""


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
