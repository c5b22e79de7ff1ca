"""What a proposals file holds: its items (the source entry, cited sources, entities, statements)
with their review status, and the error every proposals function raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

STATUSES = ("proposed", "accepted", "rejected")


class ProposalError(Exception):
    """A proposals file or a request about it is unusable; the message says why."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass
class Item:
    section: str  # source, cited_sources, entities, statements
    id: str
    data: dict
    index: int

    @property
    def proposal(self) -> dict:
        p = self.data.get("proposal")
        return p if isinstance(p, dict) else {}

    known: bool = False  # an entity or cited source the curated files already have

    @property
    def status(self) -> str:
        if self.section != "statements":  # reviewed with the statements that need them
            return "accepted" if self.known else "proposed"
        return str(self.proposal.get("status", "proposed"))

    @property
    def kind(self) -> str:
        return str(self.proposal.get("kind") or {"source": "source", "cited_sources": "citation",
                                                 "entities": "entity"}.get(self.section, "statement"))


@dataclass
class Proposals:
    source_id: str
    path: Path
    data: dict
    items: list[Item] = field(default_factory=list)

    def get(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)
