"""Project settings: where things are, and the IRI base."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE = "https://w3id.org/oretrace"


def _find_root() -> Path:
    env = os.environ.get("ORETRACE_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for p in (here, *here.parents):
        if (p / "ontology").is_dir() and (p / "data").is_dir():
            return p
    pkg = Path(__file__).resolve().parents[2]
    if (pkg / "ontology").is_dir():
        return pkg
    return here


@dataclass(frozen=True)
class Settings:
    """Paths of a project checkout and the IRI base of its data."""

    root: Path
    base: str = DEFAULT_BASE
    build: Path | None = None  # the build folder; None: $ORETRACE_BUILD, else <root>/build

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root).resolve())
        object.__setattr__(self, "base", self.base.rstrip("/"))
        if self.build is not None:
            object.__setattr__(self, "build", Path(self.build))

    # the project's folders
    ontology_dir = property(lambda self: self.root / "ontology")
    data_dir = property(lambda self: self.root / "data")
    shapes_dir = property(lambda self: self.root / "shapes")
    queries_dir = property(lambda self: self.root / "queries")

    @property
    def build_dir(self) -> Path:
        if self.build is not None:
            return self.build
        return Path(os.environ.get("ORETRACE_BUILD", self.root / "build"))

    @property
    def current(self) -> Path:
        """The directory of the last successful build (a symlink swapped atomically)."""
        return self.build_dir / "current"

    @property
    def shared_dir(self) -> Path:
        return Path(os.environ.get("ORETRACE_SHARED", self.root.parent / "shared"))


def settings(root: Path | None = None, base: str | None = None, build: Path | None = None) -> Settings:
    """Settings from arguments, then ORETRACE_ROOT / ORETRACE_BASE / ORETRACE_BUILD, then defaults."""
    b = (base or os.environ.get("ORETRACE_BASE") or DEFAULT_BASE).rstrip("/")
    return Settings(root=Path(root).resolve() if root else _find_root(), base=b,
                    build=Path(build).resolve() if build else None)
