"""Which files of data/ are curated input, read safely.

Only regular files that resolve inside data/ are opened: a symlink that leaves data/, a device, a
FIFO, a socket or a directory named like a data file is reported, never opened (opening a FIFO
would block the build). Files the build would otherwise skip silently (`*.yml`, subfolders,
stray files in sources/ or entities/, empty files) are reported too, so nothing a curator writes
is lost without a word.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from . import yamlio

FOLDERS = ("sources", "entities")
# what may stand in data/ besides the two folders of curated files
DATA_EXTRAS = {"README.md", "released-iris.txt", "schema", "proposals", ".gitignore"}


@dataclass
class DataFile:
    kind: str  # "sources" or "entities"
    path: Path
    rel: str


def rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def listing(root: Path, data: Path, problem) -> list[DataFile]:
    """The curated files, sorted; `problem(file, line, message)` hears of everything else."""
    out: list[DataFile] = []
    if not data.is_dir():
        problem(rel(root, data), 1, "the data folder is missing (restore data/ from the repository)")
        return out
    try:
        data_real = data.resolve(strict=True)
    except OSError as e:
        problem(rel(root, data), 1, f"the data folder cannot be read ({e.strerror})")
        return out
    for entry in sorted(os.listdir(data)):
        if entry not in FOLDERS and entry not in DATA_EXTRAS and not entry.startswith("."):
            problem(rel(root, data / entry), 1, f"{entry!r} is not read by the build (curated files go in "
                                                f"data/sources/ or data/entities/; move or remove it)")
    for kind in FOLDERS:
        folder = data / kind
        if not folder.is_dir():
            continue
        for name in sorted(os.listdir(folder)):
            path = folder / name
            r = rel(root, path)
            if name.startswith("."):
                continue
            try:
                st = os.lstat(path)
            except OSError as e:
                problem(r, 1, f"cannot be read ({e.strerror})")
                continue
            if stat.S_ISLNK(st.st_mode):
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    problem(r, 1, "is a broken symlink (replace it with the file itself)")
                    continue
                if data_real not in target.parents:
                    problem(r, 1, "is a symlink to a file outside data/ (curated files must live in data/; copy the file in)")
                    continue
                st = os.stat(target)
            if stat.S_ISDIR(st.st_mode):
                problem(r, 1, f"is a folder: subfolders of data/{kind}/ are not read (move its files up into data/{kind}/)")
                continue
            if not stat.S_ISREG(st.st_mode):
                problem(r, 1, "is not a regular file (a device, FIFO or socket cannot be curated data; remove it)")
                continue
            if name.endswith(".yml"):
                problem(r, 1, "is not read: curated files end in .yaml (rename it)")
                continue
            if not name.endswith(".yaml"):
                problem(r, 1, f"is not read: only .yaml files in data/{kind}/ are curated data (move or remove it)")
                continue
            if st.st_size == 0:
                problem(r, 1, "is empty (write its content, or remove the file)")
                continue
            out.append(DataFile(kind, path, r))
    return out


def load(f: DataFile, problem, limits: yamlio.Limits = yamlio.Limits()):
    """The YAML document of a curated file, or None after reporting why it cannot be read."""
    try:
        size = os.stat(f.path).st_size
        if size > limits.max_bytes:
            problem(f.rel, 1, f"the file is {size / 2**20:.1f} MiB, larger than the {limits.max_bytes >> 20} MiB allowed "
                              "(limit max_bytes; split it)")
            return None
        with open(f.path, "rb") as fh:
            data = fh.read(limits.max_bytes + 1)
    except OSError as e:
        problem(f.rel, 1, f"cannot be read ({e.strerror})")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        problem(f.rel, line, f"not UTF-8 text ({e.reason} at byte {e.start}; save the file as UTF-8)")
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        doc = yamlio.load(text, limits)
    except yamlio.YamlError as e:
        problem(f.rel, e.line, e.message)
        return None
    if doc is None:
        problem(f.rel, 1, "holds no YAML document (write its content, or remove the file)")
    return doc
