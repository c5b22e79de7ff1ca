"""What the curated reader gives the rest of the data path: statements made of nodes, and sources."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from ..vocab import XSD


@dataclass(frozen=True)
class Lit:
    """A literal: lexical form, datatype IRI, optional language tag."""

    value: str
    datatype: str = XSD + "string"
    lang: str | None = None


@dataclass
class Node:
    """One subject inside a statement, with its (property, value) pairs."""

    iri: str
    ref: str
    line: int
    declared: bool
    types: list[str] = field(default_factory=list)
    values: list[tuple[str, object]] = field(default_factory=list)  # object: IRI str or Lit


@dataclass
class Statement:
    """A curated statement: the triples of its nodes, and where they come from."""

    id: str
    file: str
    line: int
    source: str  # source id
    locator: dict[str, str]
    cites: list[str]
    confidence: str
    says: str
    curator: str
    curated_on: str
    nodes: list[Node] = field(default_factory=list)


@dataclass
class Source:
    """A document or dataset, either read by a curator or named by another source."""

    id: str
    file: str
    line: int
    node: Node
    described_by: str | None = None
    locator: dict[str, str] = field(default_factory=dict)


@dataclass
class Curation:
    """Everything read from data/."""

    sources: dict[str, Source]
    statements: list[Statement]
    entities: dict[str, tuple[str, int]]  # ref -> (file, line) of its declaration


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    statement: str
    message: str

    def __str__(self) -> str:
        sid = self.statement or "-"
        if not sid.isprintable():  # an id with a newline or a control character stays on its line
            sid = repr(sid)
        return f"{self.file}:{self.line}: {sid}: {self.message}"


class CurationError(InputError):
    """The curated files have problems; `problems` lists every one."""

    prefix = ""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.message))
        n = len(self.problems)
        super().__init__("\n".join(map(str, self.problems)),
                         summary=f"{n} problem{'s' if n != 1 else ''} in the curated files")
