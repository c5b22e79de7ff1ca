"""The embedded store: a pyoxigraph Store on disk inside a build release.

A release is a directory `build/releases/<version>/` holding `store/`, the dumps and
`manifest.json`. `build/current` is a symlink to the newest complete release, swapped with an
atomic rename, so a failed or interrupted build never touches what readers see.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox

from .config import Settings
from .errors import InputError


class NoBuildError(InputError):
    """There is no successful build to read."""


def staging_dir(settings: Settings) -> Path:
    """A fresh private directory in which a release is assembled."""
    (settings.build_dir / "releases").mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=settings.build_dir / "releases"))


def publish_release(settings: Settings, staging: Path, version: str, keep: int = 3) -> Path:
    """Move a finished staging directory into place and point `current` at it atomically."""
    releases = settings.build_dir / "releases"
    target = releases / version
    if target.exists():
        old = releases / f".old-{version}-{os.getpid()}"
        os.replace(target, old)
        os.replace(staging, target)
        _swap_current(settings, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)
        _swap_current(settings, target)
    _prune(releases, target, keep)
    return target


def _swap_current(settings: Settings, target: Path) -> None:
    link = settings.current
    tmp = link.with_name(f".current-{os.getpid()}")
    if tmp.exists() or tmp.is_symlink():
        tmp.unlink()
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)


def _prune(releases: Path, current: Path, keep: int) -> None:
    done = sorted((p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".") and p != current),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for p in done[keep - 1:]:
        shutil.rmtree(p, ignore_errors=True)
    for p in releases.glob(".staging-*"):
        # a staging dir left by a crashed build (older than a minute) is garbage
        try:
            if p.stat().st_mtime < (os.path.getmtime(releases) - 60):
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            pass


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
