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
