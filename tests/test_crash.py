"""Crash consistency (issue 11, item 5): `kill -9` at every named point of `oretrace import`,
`oretrace build` and `oretrace publish` leaves build/current and build/imports describing the
same data, and the next run removes what was left and never reverts an import.

Each test runs the real command in a subprocess with ORETRACE_CRASH_AT=<point> (oretrace.crash),
so the process SIGKILLs itself there, then checks the build folder, then runs the next command
and checks again. The project is the small one of conftest.minimal_project, so that a build
takes a second or two.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import MINIMAL_DATA, ROOT
from oretrace import crash, store
from oretrace.config import Settings
from test_publish import oxigraph  # noqa: F401  (the real Oxigraph server fixture, for the publish tests)

FIX = ROOT / "tests" / "fixtures" / "imports"
IMPORT_POINTS = ["import:writing", "import:written", "build:loaded", "build:assembled", "release:placed",
                 "release:swapped", "import:published", "import:renamed"]
BUILD_POINTS = ["build:loaded", "build:assembled", "release:placed", "release:swapped"]
AFTER_SWAP = {"release:swapped", "import:published", "import:renamed"}


def test_every_crash_point_is_tested():
    tested = set(IMPORT_POINTS) | set(BUILD_POINTS) | {"release:moved-aside", "publish:put", "publish:delete"}
    assert tested == set(crash.POINTS)


# ------------------------------------------------------------------ helpers
@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    for d in ("ontology", "shapes"):
        shutil.copytree(ROOT / d, root / d)
    for rel in MINIMAL_DATA:
        (root / "data" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "data" / rel, root / "data" / rel)
    return root


def run(project: Path, build: Path, *args, crash_at: str | None = None, check: bool = True):
    env = {k: v for k, v in os.environ.items() if k != "ORETRACE_CRASH_AT"}
    env["ORETRACE_BUILD"] = str(build)
    if crash_at:
        env["ORETRACE_CRASH_AT"] = crash_at
    out = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(project), *args], env=env,
                         capture_output=True, text=True, timeout=300)
    if crash_at:
        assert out.returncode == -signal.SIGKILL, f"not killed at {crash_at}: {out.returncode}\n{out.stderr}"
    elif check:
        assert out.returncode == 0, out.stderr
    return out


def temp_files(build: Path) -> list[Path]:
    """Temporary import files (`.NAME.nq.tmp-PID`), complete or not."""
    return sorted((build / "imports").glob(".*.nq.tmp-*")) if (build / "imports").is_dir() else []


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state(build: Path) -> dict:
    """What a reader and the next build see: the current release's manifest and the import files."""
    s = Settings(root=ROOT, build=build)
    man = store.manifest(s)
    imports = build / "imports"
    return {"version": man["version"], "imports": {k: v["sha256"] for k, v in (man.get("imports") or {}).items()},
            "files": {p.name[:-3]: sha(p) for p in sorted(imports.glob("*.nq")) if not p.name.startswith(".")}
            if imports.is_dir() else {}}


def assert_consistent(build: Path) -> dict:
    """build/current is a whole release, and every import it names is in build/imports or in the
    temporary file that the next writer rolls forward; no import file that it does not name."""
    cur = build / "current"
    assert cur.is_symlink() and (cur / "manifest.json").is_file() and (cur / "store").is_dir()
    st = state(build)
    temps = {sha(p) for p in temp_files(build)}
    for name, digest in st["imports"].items():
        assert st["files"].get(name) == digest or digest in temps, f"{name}: the current release's import is lost"
    assert set(st["files"]) <= set(st["imports"]), "an import file that the current release does not include"
    return st


def leftovers(build: Path) -> list[str]:
    rel = build / "releases"
    out = [p.name for p in rel.iterdir() if p.name.startswith(".") or (p / ".unpublished").exists()]
    out += [p.name for p in build.glob(".current-*")]
    out += [p.name for p in temp_files(build)]
    return out


def assert_recovered(build: Path, expected: dict) -> None:
    """After the next run: no leftovers, build/imports is exactly what the current release names."""
    st = state(build)
    assert leftovers(build) == []
    assert st["files"] == st["imports"] == expected["imports"]


@pytest.fixture(scope="module")
def with_import(project, tmp_path_factory):
    """A build folder with a curated build and the import `smelters` (the four-row fixture) published."""
    b = tmp_path_factory.mktemp("base") / "b"
    run(project, b, "build", "-q")
    run(project, b, "import", "rmi", str(FIX / "rmi-smelters.csv"), "--name", "smelters", "-q")
    return b


@pytest.fixture()
def build_dir(with_import, tmp_path):
    b = tmp_path / "b"
    shutil.copytree(with_import, b, symlinks=True)
    return b


@pytest.fixture()
def second_list(tmp_path) -> Path:
    """A new version of the smelter list: importing it under the same name replaces the first."""
    rows = (FIX / "rmi-smelters.csv").read_text().splitlines(keepends=True)
    p = tmp_path / "rmi-smelters-v2.csv"
    p.write_text("".join(rows[:3]))
    return p


# ------------------------------------------------------------------ oretrace import
@pytest.mark.parametrize("point", IMPORT_POINTS)
def test_import_killed_at_each_point(project, build_dir, second_list, point):
    before = assert_consistent(build_dir)
    run(project, build_dir, "import", "rmi", str(second_list), "--name", "smelters", "-q", crash_at=point)
    after = assert_consistent(build_dir)
    if point in AFTER_SWAP:
        assert after["version"] != before["version"] and after["imports"]["smelters"] != before["imports"]["smelters"]
    else:
        assert after == before
    # the next run (a build) finishes or undoes the import, and does not revert it
    out = run(project, build_dir, "build", "-q")
    assert_recovered(build_dir, after)
    assert state(build_dir)["version"] == after["version"]
    if point in ("import:published", "release:swapped"):
        assert "recovery: build/imports/smelters.nq: put in place" in out.stderr


def test_interrupted_import_is_finished_by_the_next_import(project, build_dir, second_list):
    """The case of the issue: killed after its release was published and before the rename."""
    run(project, build_dir, "import", "rmi", str(second_list), "--name", "smelters", "-q", crash_at="import:published")
    published = assert_consistent(build_dir)
    run(project, build_dir, "import", "rmi", str(FIX / "rmi-smelters.csv"), "--name", "other", "-q")
    st = state(build_dir)
    assert st["imports"]["smelters"] == published["imports"]["smelters"] == st["files"]["smelters"]
    assert set(st["imports"]) == {"smelters", "other"} and leftovers(build_dir) == []


# ------------------------------------------------------------------ oretrace build
@contextmanager
def curated_changed(project: Path):
    """The curated data changed (one curator's name), so that the next build makes a new version."""
    f = project / "data" / "entities" / "curators.yaml"
    original = f.read_text()
    f.write_text(original.replace("oretrace core team", "oretrace core team (changed)"))
    try:
        yield
    finally:
        f.write_text(original)


@pytest.mark.parametrize("imports", [True, False], ids=["with-imports", "curated-only"])
@pytest.mark.parametrize("point", BUILD_POINTS)
def test_build_killed_at_each_point(project, tmp_path, with_import, point, imports):
    b = tmp_path / "b"
    if imports:
        shutil.copytree(with_import, b, symlinks=True)
    else:
        run(project, b, "build", "-q")
    before = assert_consistent(b)
    with curated_changed(project):
        run(project, b, "build", "-q", crash_at=point)
        after = assert_consistent(b)
        assert (after["version"] != before["version"]) == (point == "release:swapped")
        assert after["imports"] == before["imports"]
        run(project, b, "build", "-q")
    assert_recovered(b, before)


def test_build_killed_while_replacing_a_release_of_the_same_version(project, tmp_path):
    """A release folder of the version being built exists but is not current: it is moved aside
    first; killed then, the current release is untouched and the next build cleans up."""
    b = tmp_path / "b"
    first = run(project, b, "build", "-q").stdout.split()[1]
    with curated_changed(project):
        run(project, b, "build", "-q")
    current = assert_consistent(b)
    assert (b / "releases" / first).is_dir() and current["version"] != first
    run(project, b, "build", "-q", crash_at="release:moved-aside")
    assert assert_consistent(b) == current
    assert any(p.startswith(f".old-{first}") for p in leftovers(b))
    run(project, b, "build", "-q")
    assert state(b)["version"] == first and leftovers(b) == []


def test_rebuilding_the_current_version_never_moves_it(project, tmp_path):
    """The same data give the same version: the current release stays where it is (moving it
    aside, as a replaced release is, would leave build/current dangling if killed then)."""
    b = tmp_path / "b"
    run(project, b, "build", "-q")
    before = assert_consistent(b)
    p = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(project), "build", "-q"],
                       env=dict(os.environ, ORETRACE_BUILD=str(b), ORETRACE_CRASH_AT="release:moved-aside"),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"the current release was moved aside while rebuilding it: {p.returncode}"
    assert assert_consistent(b) == before and leftovers(b) == []


def test_a_second_writer_waits_for_the_first(project, tmp_path):
    b = tmp_path / "b"
    s = Settings(root=project, build=b)
    with store.writer(s):
        p = subprocess.Popen([sys.executable, "-m", "oretrace", "--root", str(project), "build", "-q"],
                             env=dict(os.environ, ORETRACE_BUILD=str(b)), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert p.poll() is None and not (b / "current").exists()
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0 and f"waiting for another oretrace process (pid {os.getpid()})" in err
    assert (b / "current" / "manifest.json").is_file()


# ------------------------------------------------------------------ oretrace publish
@pytest.mark.server
@pytest.mark.parametrize("point", ["publish:put@3", "publish:delete"])
def test_publish_killed_leaves_the_build_as_it_was_and_a_rerun_completes(project, build_dir, second_list, oxigraph,
                                                                          point):
    from test_publish import local_dataset, remote_dataset, summary

    args = ["publish", "--store", oxigraph + "/store", "--endpoint", oxigraph + "/query"]
    run(project, build_dir, *args)  # the first version is on the store
    run(project, build_dir, "import", "rmi", str(second_list), "--name", "smelters", "-q")
    before = assert_consistent(build_dir)
    manifest = (build_dir / "current" / "manifest.json").read_bytes()
    run(project, build_dir, *args, crash_at=point)
    assert assert_consistent(build_dir) == before
    assert (build_dir / "current" / "manifest.json").read_bytes() == manifest and leftovers(build_dir) == []
    out = run(project, build_dir, *args)
    removed = int(out.stdout.rsplit("removed ", 1)[1].split()[0])
    assert removed > 0  # the statement graphs of the first version's rows that the second has not
    local = local_dataset(store.open_store(Settings(root=project, build=build_dir)))
    assert summary(remote_dataset(oxigraph)) == summary(local)
