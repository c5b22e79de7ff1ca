"""Faulty input and interrupted imports: a clear message, and the published store as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

FIX = ROOT / "tests" / "fixtures" / "imports"


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("b")
    out = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(ROOT), "build", "-q"],
                         env=dict(os.environ, ORETRACE_BUILD=str(d)), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return d


def _import(build_dir, *args, **kw):
    return subprocess.run([sys.executable, "-m", "oretrace", "--root", str(ROOT), "import", *args, "-q"],
                          env=dict(os.environ, ORETRACE_BUILD=str(build_dir)), capture_output=True, text=True,
                          timeout=600, **kw)


def _state(build_dir: Path):
    cur = (build_dir / "current").resolve()
    return cur, (cur / "manifest.json").read_bytes(), sorted(p.name for p in (build_dir / "imports").glob("*")) \
        if (build_dir / "imports").exists() else []


@pytest.mark.parametrize("fixture,expected", [
    ("trade-truncated.csv", "trade-truncated.csv:3: 4 fields where the header has 7 (the file may be truncated"),
    ("trade-wrong-column.csv", "trade-wrong-column.csv:1: missing column(s) commodity_code; unknown column(s) 'hs_chapter'"),
    ("trade-unknown-unit.csv", "trade-unknown-unit.csv:3: unit 'lb' is not one oretrace knows"),
    ("trade-duplicate.csv", "trade-duplicate.csv:4: repeats line 2"),
])
def test_faulty_file_fails_clearly_and_changes_nothing(build_dir, fixture, expected):
    before = _state(build_dir)
    out = _import(build_dir, "trade", str(FIX / fixture))
    assert out.returncode == 2
    assert expected in out.stderr
    assert "the published store is unchanged" in out.stderr
    assert _state(build_dir) == before


def test_skip_bad_rows_imports_the_others_and_lists_them(build_dir):
    out = _import(build_dir, "trade", str(FIX / "trade-duplicate.csv"), "--skip-bad-rows", "--name", "dup")
    assert out.returncode == 0, out.stderr
    assert "imported dup: 2 rows" in out.stdout
    assert "trade-duplicate.csv:4: repeats line 2" in out.stderr
    assert (build_dir / "imports" / "dup.nq").is_file()


def test_killed_import_leaves_the_store_as_it_was(build_dir, tmp_path):
    from oretrace.importers import synthetic

    big = tmp_path / "big.csv"
    synthetic.generate(big, 400_000, seed=3)
    before = _state(build_dir)
    p = subprocess.Popen([sys.executable, "-m", "oretrace", "--root", str(ROOT), "import", "trade", str(big),
                          "--skip-bad-rows", "--name", "big"], env=dict(os.environ, ORETRACE_BUILD=str(build_dir)),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # kill it while it works: once the import has written part of its file, or the build has begun
    deadline = time.time() + 300
    while time.time() < deadline:
        tmp = list((build_dir / "imports").glob(".big.nq.tmp-*"))
        if tmp and tmp[0].stat().st_size > 1_000_000:
            break
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL
    assert _state(build_dir)[:2] == before[:2]
    assert not (build_dir / "imports" / "big.nq").exists()
    # the next import removes what the killed one left behind
    out = _import(build_dir, "rmi", str(FIX / "rmi-smelters.csv"), "--name", "after-kill")
    assert out.returncode == 0, out.stderr
    assert not list((build_dir / "imports").glob(".big.nq.tmp-*"))
