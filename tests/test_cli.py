"""The command line: check, query (string, file, formats), stats, clear errors on stderr."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from conftest import ROOT


def oretrace(built, *args, check=False):
    env = dict(os.environ, ORETRACE_BUILD=str(built.build_dir))
    out = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(ROOT), *args],
                         capture_output=True, text=True, env=env, timeout=300)
    if check:
        assert out.returncode == 0, out.stderr
    return out


Q = "SELECT ?site ?label WHERE { ?site a ot:Smelter ; rdfs:label ?label } ORDER BY ?site"


def test_query_string_as_table_csv_json(built):
    table = oretrace(built, "query", Q, check=True).stdout
    assert table.splitlines()[0].split() == ["site", "label"]
    assert "site/nyrstar-auby" in table and table.rstrip().endswith("rows)")
    rows = list(csv.DictReader(io.StringIO(oretrace(built, "query", Q, "-f", "csv", check=True).stdout)))
    assert any(r["site"].endswith("/id/site/nyrstar-auby") for r in rows)
    data = json.loads(oretrace(built, "query", Q, "-f", "json", check=True).stdout)
    assert data["head"]["vars"] == ["site", "label"]
    assert len(data["results"]["bindings"]) == len(rows)


def test_query_file_and_terminal_width(built, tmp_path):
    f = tmp_path / "q.rq"
    f.write_text("SELECT ?s ?o WHERE { ?s dcterms:description ?o }")
    out = oretrace(built, "query", str(f), check=True).stdout
    assert all(len(line) <= 120 for line in out.splitlines())


def test_query_errors_go_to_stderr_with_exit_2(built):
    bad = oretrace(built, "query", "SELECT ?x WHERE { ?x ")
    assert bad.returncode == 2 and "syntax error" in bad.stderr.lower() and bad.stdout == ""
    missing = oretrace(built, "query", "no-such-query")
    assert missing.returncode == 2 and "--list" in missing.stderr


def test_stats_and_check(built):
    out = oretrace(built, "stats", check=True).stdout
    assert "curated statements" in out and "ot:Flow" in out
    chk = oretrace(built, "check", check=True).stdout
    assert chk.startswith("ok:")


def test_no_build_is_a_clear_error(tmp_path):
    env = dict(os.environ, ORETRACE_BUILD=str(tmp_path / "none"))
    out = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(ROOT), "stats"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2 and "oretrace build" in out.stderr


def test_errors_become_exit_codes_in_one_place(capsys, monkeypatch):
    """cli.run: an InputError is printed as it is (exit 2), with what the command then did not do;
    any other exception is a bug: exit 70, one line naming it, no traceback."""
    from oretrace import cli
    from oretrace.curated import CurationError, Problem

    def bad_input(args, s):
        try:
            raise CurationError([Problem("data/x.yaml", 3, "st-1", "unknown unit 'tonnes'")])
        except CurationError as e:
            e.then = "nothing was built."
            raise

    assert cli.run(bad_input, None, None) == 2
    assert capsys.readouterr().err.splitlines() == [
        "data/x.yaml:3: st-1: unknown unit 'tonnes'", "1 problem in the curated files; nothing was built."]

    def bug(args, s):
        raise KeyError("missing\nkey")

    monkeypatch.delenv("ORETRACE_DEBUG", raising=False)
    assert cli.run(bug, None, None) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "KeyError" in err and "Traceback" not in err and "ORETRACE_DEBUG" in err
