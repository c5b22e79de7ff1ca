"""Trade files of reporter/partner declarations with a flow direction: the exporter's declared
export and the importer's declared import of one trade become two flows, each with its own
figure and provenance, and the mirror statistics of oretrace.reconcile pair them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT
from oretrace import query
from oretrace.config import Settings
from oretrace.errors import EXIT_FINDINGS
from oretrace.importers import ImportFailure, check_shapes, write_import

FIX = ROOT / "tests" / "fixtures" / "imports"
HEADER = "year,reporter,partner,flow,commodity_code,quantity,unit,value_usd\n"


@pytest.fixture
def settings():
    return Settings(root=ROOT)


def _import(settings, path, tmp_path, **kw):
    res, em = write_import(settings, "trade", Path(path), tmp_path / "trade.nq", quiet=True, **kw)
    st = ox.Store()
    st.load(path=str(res.file), format=ox.RdfFormat.N_QUADS)
    return res, em, st


def _rows(st, text):
    return [tuple(t.value for t in r) for r in query.run_store(st, query.with_prefixes(text)).rows]


def test_both_declarations_stand_as_flows_with_their_own_row(settings, tmp_path):
    res, em, st = _import(settings, FIX / "trade-mirror.csv", tmp_path)
    assert res.rows == 3 and res.skipped == []
    got = _rows(st, """SELECT ?kind ?o ?d ?m ?v ?row WHERE {
        GRAPH ?g { ?f a ?kind ; ot:origin ?oc ; ot:destination ?dc .
                   ?q ot:subject ?f ; ot:measures ?m ; qudt:numericValue ?v . FILTER(?kind IN (ot:Export, ot:Import)) }
        ?oc ot:iso3166Code ?o . ?dc ot:iso3166Code ?d .
        GRAPH <https://w3id.org/oretrace/graph/provenance> { ?g ot:citation/ot:row ?row } } ORDER BY ?row ?m""")
    ot = "https://w3id.org/oretrace/ontology#"
    assert got == [
        (ot + "Export", "BO", "BE", ot + "ExportQuantity", "1000", "2"),
        (ot + "Export", "BO", "BE", ot + "MonetaryValue", "2000000", "2"),
        # Belgium reports the import: Bolivia is the origin, Belgium the destination
        (ot + "Import", "BO", "BE", ot + "ImportQuantity", "1400", "3"),
        (ot + "Import", "BO", "BE", ot + "MonetaryValue", "2120000", "3"),
        (ot + "Import", "BO", "BE", ot + "ImportQuantity", "40", "4"),
    ]
    assert check_shapes(settings, "trade", em) == []


def _cli(root: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oretrace", "--root", str(root), *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)


def test_reconcile_pairs_the_imported_declarations_after_a_build(minimal_project):
    """import, build, reconcile: the command a user runs reads both declarations as a mirror pair."""
    root = minimal_project
    shutil.copytree(ROOT / "queries", root / "queries")  # the reconciliation reads the catalogue's queries
    for args in (("import", "trade", "-q", str(FIX / "trade-mirror.csv")), ("build",)):
        r = _cli(root, *args)
        assert r.returncode == 0, r.stderr
    r = _cli(root, "reconcile", "--only", "mirror", "-f", "json")
    assert r.returncode == EXIT_FINDINGS, r.stderr  # the tonnages disagree (below)
    pairs = {p["kind"]: p for p in json.loads(r.stdout)["mirror"]}
    assert sorted(pairs) == ["money", "tonnes"]  # 2615.90 has no export declared beside it
    t, m = pairs["tonnes"], pairs["money"]
    assert (t["export"]["value"], t["import"]["value"], t["period"]) == (1000, 1400, [2019, 2019])
    assert (t["export"]["where"], t["import"]["where"]) == ("row 2", "row 3")  # each from its own row
    assert t["export"]["statement"] != t["import"]["statement"]
    assert t["differs"] and t["ratio"] == pytest.approx(1.4)  # outside the tolerance: a finding
    # the importer's CIF value is the exporter's FOB value plus the default allowance: no finding
    assert (m["export"]["value"], m["import"]["value"], m["differs"]) == (2000000, 2120000, False)


def test_flow_option_reads_a_file_without_flow_column_as_imports(settings, tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("year,reporter,partner,commodity_code,quantity_t\n2019,BEL,BOL,260800,1150\n", encoding="utf-8")
    _, _, st = _import(settings, f, tmp_path, options={"flow": "import"})
    assert _rows(st, "SELECT ?o ?d WHERE { ?f a ot:Import ; ot:origin/ot:iso3166Code ?o ; "
                     "ot:destination/ot:iso3166Code ?d }") == [("BO", "BE")]


@pytest.mark.parametrize("body,message", [
    ("2019,BOL,BEL,re-export,260800,5,t,9000\n", "m.csv:2: flow 're-export' is not export or import"),
    ("2019,BOL,BEL,export,260800,5,t,9000\n2019,BOL,BEL,export,2608.00,6,t,9000\n", "m.csv:3: repeats line 2"),
])
def test_bad_rows_are_refused_at_their_line(settings, tmp_path, body, message):
    f = tmp_path / "m.csv"
    f.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(ImportFailure) as e:
        write_import(settings, "trade", f, tmp_path / "out.nq", quiet=True)
    assert e.value.problems[0].startswith(message), e.value.problems


def test_reporter_without_flow_is_refused_by_the_command_with_exit_2(tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("year,reporter,partner,commodity_code,quantity_t\n2019,BEL,BOL,260800,1150\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(tmp_path), "import", "trade", str(f)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2, r.stderr
    assert "need a 'flow' column" in r.stderr and "Traceback" not in r.stderr
    assert not list((tmp_path / "build" / "imports").glob("*.nq"))  # nothing half-written is left
