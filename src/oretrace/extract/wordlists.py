"""The extractor's word lists: tab-separated files in extract/words/, read once and checked.

Each file starts with comment lines (#), then a header naming its columns, then one row a line.
A column named `pattern` holds a regular expression (compiled here), `weight` a number; an empty
line is skipped. A file that does not fit its declared columns stops the import with the file, the
line and what to change: the lists ship with the package, so a bad row is a mistake to fix, never a
row to skip.
"""

from __future__ import annotations

import re
from pathlib import Path

WORDS = Path(__file__).with_name("words")


class WordListError(ValueError):
    """A row of a word list does not fit its columns."""


def read(name: str, columns: tuple[str, ...], flags: int = 0) -> list[tuple]:
    """The rows of words/NAME.tsv as tuples in the order of `columns` (which the header must name)."""
    path = WORDS / f"{name}.tsv"
    rows, header = [], None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        where = f"{path}:{n}"
        if header is None:
            header = tuple(c.strip() for c in cells)
            if header != columns:
                raise WordListError(f"{where}: the header names {', '.join(header)}; this list needs the columns "
                                    f"{', '.join(columns)}, separated by tabs")
            continue
        if len(cells) != len(columns):
            raise WordListError(f"{where}: {len(cells)} cells where the header names {len(columns)} "
                                f"({', '.join(columns)}); separate the cells by one tab each")
        rows.append(tuple(_cell(col, cell, where, flags) for col, cell in zip(columns, cells)))
    return rows


def _cell(column: str, cell: str, where: str, flags: int):
    if column == "pattern":
        try:
            return re.compile(cell, flags)
        except re.error as e:
            raise WordListError(f"{where}: the pattern does not compile ({e}); mend the regular expression") from None
    if column == "weight":
        try:
            return float(cell)
        except ValueError:
            raise WordListError(f"{where}: weight {cell!r} is not a number; write it as 2.5") from None
    if not cell.strip() or cell != cell.strip():
        raise WordListError(f"{where}: the {column} cell {cell!r} is empty or has spaces around it")
    return cell
