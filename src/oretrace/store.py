"""The embedded store, the releases of a build folder and the one writer that changes them.

A release is a directory `build/releases/<version>/` holding `store/`, the dumps and
`manifest.json`. `build/current` is a symlink to the release readers see. The imports a build
includes are `build/imports/<name>.nq`; the manifest of a release records each import it was
built from with its SHA-256 and size.

Crash consistency. One atomic step decides which data is current: the rename of the
`build/current` symlink. Every other step before or after it leaves either garbage that
`recover` removes or an import that `recover` rolls forward:

1. an import is written to `build/imports/.<name>.nq.tmp-<pid>` and made durable (fsync);
2. the release is assembled in `build/releases/.staging-*`, its files made durable, marked
   unpublished (`.unpublished`), and renamed to `build/releases/<version>`;
3. `build/current` is swapped to it (symlink renamed over the old one; the folder fsynced);
4. the marker is removed, then the import's temporary file is renamed to `<name>.nq`.

Killed before 3, the old release is current and every new file is garbage. Killed after 3, the
current release names an import whose bytes are still in the temporary file: `recover`, run
by the next writer under the build folder's lock, renames it into place (it compares size and
SHA-256 with the manifest), so build/current and build/imports always describe the same data
and the next build never reverts to the old import. Writers (build, import) hold an exclusive
lock on `build/.lock` (released by the kernel when a process dies), so whatever a writer finds
left over belongs to a dead process.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from . import crash
from .config import Settings
from .errors import InputError

UNPUBLISHED = ".unpublished"  # in a release folder until build/current has pointed to it


class NoBuildError(InputError):
    """There is no successful build to read."""


# ------------------------------------------------------------------ the writer's lock
_held: dict[Path, list] = {}
_held_guard = threading.Lock()


@contextmanager
def writer(settings: Settings):
    """Hold the build folder for writing: one writer at a time, across processes (flock on
    build/.lock; a dead process holds nothing), re-entrant within a process; the first hold
    recovers what an interrupted writer left (see `recover`)."""
    build_dir = Path(settings.build_dir).resolve()
    with _held_guard:
        entry = _held.get(build_dir)
        if entry is not None:
            entry[1] += 1
    if entry is not None:
        try:
            yield
        finally:
            with _held_guard:
                entry[1] -= 1
        return
    build_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(build_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            print(f"waiting for another oretrace process (pid {holder}) that is writing to {build_dir}",
                  file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        with _held_guard:
            _held[build_dir] = [fd, 1]
        try:
            recover(settings)
            yield
        finally:
            with _held_guard:
                del _held[build_dir]
    finally:
        os.close(fd)  # releases the lock


def holds_writer(settings: Settings) -> bool:
    return Path(settings.build_dir).resolve() in _held


# ------------------------------------------------------------------ durability
def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Every file and folder under `root` on disk (a release before build/current points to it)."""
    for d, _, files in os.walk(root):
        for f in files:
            p = Path(d, f)
            if p.is_file() and not p.is_symlink():
                fsync_file(p)
        fsync_dir(Path(d))


# ------------------------------------------------------------------ releases
def staging_dir(settings: Settings) -> Path:
    """A fresh private directory in which a release is assembled."""
    (settings.build_dir / "releases").mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=settings.build_dir / "releases"))


def publish_release(settings: Settings, staging: Path, version: str, keep: int = 3) -> Path:
    """Move a finished staging directory into place and point `current` at it atomically."""
    crash.point("build:assembled")
    releases = settings.build_dir / "releases"
    target = releases / version
    cur = settings.current
    if target.is_dir() and cur.is_symlink() and cur.resolve() == target.resolve():
        # the version is the hash of the content: the current release already holds these data
        shutil.rmtree(staging, ignore_errors=True)
        return target
    (staging / UNPUBLISHED).write_text("build/current has not pointed to this release yet\n")
    fsync_tree(staging)
    old = None
    if target.exists():  # a release of this version that is not current: replaced
        old = releases / f".old-{version}-{os.getpid()}"
        os.replace(target, old)
        crash.point("release:moved-aside")
    os.replace(staging, target)
    fsync_dir(releases)
    crash.point("release:placed")
    _swap_current(settings, target)
    crash.point("release:swapped")
    (target / UNPUBLISHED).unlink()
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    _prune(releases, target, keep)
    return target


def _swap_current(settings: Settings, target: Path) -> None:
    link = settings.current
    tmp = link.with_name(f".current-{os.getpid()}")
    if tmp.exists() or tmp.is_symlink():
        tmp.unlink()
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)
    fsync_dir(link.parent)


def _remove(release: Path) -> None:
    """Remove a release folder: renamed to .old-* first, so that a kill while deleting it leaves
    a name `recover` removes, never a half-deleted release under its version."""
    old = release.with_name(f".old-{release.name}-{os.getpid()}")
    os.replace(release, old)
    shutil.rmtree(old, ignore_errors=True)


def _prune(releases: Path, current: Path, keep: int) -> None:
    done = sorted((p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".") and p != current),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for p in done[keep - 1:]:
        _remove(p)


# ------------------------------------------------------------------ recovery
def import_temp_files(imports_dir: Path) -> list[tuple[str, Path]]:
    """(import name, path) of every temporary import file `.NAME.nq.tmp-PID`."""
    if not imports_dir.is_dir():
        return []
    out = []
    for p in sorted(imports_dir.glob(".*.nq.tmp-*")):
        name = p.name[1:].rsplit(".nq.tmp-", 1)[0]
        out.append((name, p))
    return out


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def matches(path: Path, recorded: dict) -> bool:
    """Whether a file holds the bytes a manifest records (size first, then SHA-256)."""
    try:
        if "bytes" in recorded and path.stat().st_size != recorded["bytes"]:
            return False
        return sha256_file(path) == recorded.get("sha256")
    except OSError:
        return False


def current_imports(settings: Settings) -> dict[str, dict]:
    """The imports the current release was built from: name -> {sha256, bytes, quads}."""
    try:
        return dict(manifest(settings).get("imports") or {})
    except (NoBuildError, OSError, ValueError):
        return {}


def recover(settings: Settings) -> list[str]:
    """Finish or undo what an interrupted writer left; call only while holding `writer`.
    Returns what was done, one line each (also printed on stderr: it is rare and worth seeing)."""
    build_dir = settings.build_dir
    releases, imports_dir = build_dir / "releases", build_dir / "imports"
    done: list[str] = []
    # an import whose release is current but that was not renamed yet: rolled forward
    recorded = current_imports(settings)
    for name, tmp in import_temp_files(imports_dir):
        if name in recorded and matches(tmp, recorded[name]):
            os.replace(tmp, imports_dir / f"{name}.nq")
            done.append(f"build/imports/{name}.nq: put in place from an import interrupted after its release "
                        "was published")
        else:
            tmp.unlink(missing_ok=True)
            done.append(f"build/imports/{tmp.name}: removed (an import interrupted before its release)")
    if imports_dir.is_dir():
        fsync_dir(imports_dir)
    for name in sorted(recorded):
        if not (imports_dir / f"{name}.nq").is_file():
            done.append(f"warning: the current release includes the import {name}, but build/imports/{name}.nq "
                        "is gone; the next build leaves it out (import the file again to keep it)")
    # folders and links of an interrupted build
    cur = settings.current.resolve() if settings.current.is_symlink() else None
    if releases.is_dir():
        for p in sorted(releases.iterdir()):
            if p.name.startswith((".staging-", ".old-")):
                shutil.rmtree(p, ignore_errors=True)
                done.append(f"build/releases/{p.name}: removed (left by an interrupted build)")
            elif p.is_dir() and (p / UNPUBLISHED).exists():
                if cur is not None and p.resolve() == cur:
                    (p / UNPUBLISHED).unlink()
                else:
                    _remove(p)
                    done.append(f"build/releases/{p.name}: removed (a release that was never made current)")
        fsync_dir(releases)
    for p in build_dir.glob(".current-*"):
        p.unlink(missing_ok=True)
    for line in done:
        print(f"recovery: {line}", file=sys.stderr, flush=True)
    return done


# ------------------------------------------------------------------ readers
def current_release(settings: Settings) -> Path:
    cur = settings.current
    if not (cur / "manifest.json").is_file():
        raise NoBuildError(f"no build found at {cur} (run `oretrace build` first)")
    return cur.resolve()


def manifest(settings: Settings) -> dict:
    return json.loads((current_release(settings) / "manifest.json").read_text())


def open_store(settings: Settings) -> ox.Store:
    """The store of the current build, opened read-only."""
    return ox.Store.read_only(str(current_release(settings) / "store"))
