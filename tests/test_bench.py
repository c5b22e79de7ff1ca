"""The benchmark harness at the smallest size: it runs every stage and writes the rows it promises."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def test_bench_smallest_size_writes_rows(tmp_path):
    out = tmp_path / "bench.json"
    p = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(ROOT), "bench", "--triples", "3000",
                        "--json", str(out), "--query-limit", "5", "--naive-limit", "300"],
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-2000:]
    rows = json.loads(out.read_text())
    got = {(r["stage"], r["engine"]) for r in rows}
    assert got == {("import", "oretrace"), ("build", "oretrace"), ("load", "oxigraph"), ("load", "rdflib"),
                   ("validate", "oretrace"), ("validate", "pyshacl"), ("query", "oretrace"), ("query", "rdflib")}
    for r in rows:
        assert {"stage", "engine", "triples", "seconds", "peak_mb"} <= set(r)
        assert r["triples"] == 3000
    ours = {r["stage"]: r for r in rows if r["engine"] == "oretrace"}
    for stage in ("import", "build", "validate", "query"):
        assert ours[stage]["seconds"] is not None and ours[stage]["peak_mb"] > 0
    assert ours["import"]["quads"] > 2000
    assert "stage" in p.stdout and "build / Oxigraph bulk load" in p.stdout


def test_store_axis_runs_every_query_on_both_stores(tmp_path):
    """`oretrace bench --stores` at a tiny size: the build bulk-loaded into Oxigraph and into a real Virtuoso,
    every catalogue query run on both, and both answer alike (row counts and rows)."""
    import os

    import pytest

    from oretrace import query
    from virtuoso_server import unavailable

    why = unavailable()
    if why:
        if os.environ.get("ORETRACE_REQUIRE_VIRTUOSO"):
            pytest.fail(f"{why}, and CI (ORETRACE_REQUIRE_VIRTUOSO) must not skip the Virtuoso tests")
        pytest.skip(why)
    out = tmp_path / "stores.json"
    p = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(ROOT), "bench", "--stores", "--triples", "3000",
                        "--json", str(out), "--query-limit", "120"], capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-2000:]
    rows = {(r["stage"], r["engine"]): r for r in json.loads(out.read_text())}
    assert set(rows) == {("load", "oxigraph"), ("load", "virtuoso"), ("query", "oxigraph"), ("query", "virtuoso"),
                         ("compare", "oxigraph/virtuoso")}
    assert rows[("load", "virtuoso")]["quads_loaded"] == rows[("compare", "oxigraph/virtuoso")]["expected_quads"]
    for engine in ("oxigraph", "virtuoso"):
        load = rows[("load", engine)]
        assert load["triples"] == 3000 and load["seconds"] > 0 and load["peak_mb"] > 0 and load["disk_mb"] > 0
    names = set(query.catalogue(ROOT / "queries"))
    agree = rows[("compare", "oxigraph/virtuoso")]["queries"]
    assert set(agree) == names
    for engine in ("oxigraph", "virtuoso"):
        per = rows[("query", engine)]["queries"]
        assert set(per) == names
        failed = {n: v for n, v in per.items() if v.get("median") is None}
        assert not failed, f"queries that did not run on {engine}: {failed}"
    differ = {n: v for n, v in agree.items() if not (v["same_rows"] and v["same_answers"])}
    assert not differ, f"queries answered differently by Oxigraph and Virtuoso: {differ}"
    assert sum(v["rows"] for v in rows[("query", "oxigraph")]["queries"].values()) > len(names), "hardly any rows compared"
    assert "bulk load, s" in p.stdout and "same rows / same answers" in p.stdout


def test_build_bench_alternates_with_another_checkout(tmp_path):
    """`bench_build.py --against DIR` builds both checkouts in turn and gives both medians; a folder that
    is no checkout is refused with exit 2 before anything runs."""
    script = str(ROOT / "bench" / "bench_build.py")
    p = subprocess.run([sys.executable, script, "--runs", "1", "--against", str(ROOT)], capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    lines = p.stdout.strip().splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["this", "other"] and all("build() median" in x for x in lines)
    assert "run 1/1: this build() " in p.stderr
    bad = subprocess.run([sys.executable, script, "--against", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "is not an oretrace checkout" in bad.stderr and not bad.stdout
