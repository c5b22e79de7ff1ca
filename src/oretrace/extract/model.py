"""What the extractor finds, before it becomes curated YAML."""

from __future__ import annotations

from dataclasses import dataclass, field


def unique(base: str, taken) -> str:
    """`base`, or `base-2`, `base-3`... the first not in `taken` (a set or mapping); added to a set."""
    out, n = base, 2
    while out in taken:
        out, n = f"{base}-{n}", n + 1
    if isinstance(taken, set):
        taken.add(out)
    return out


@dataclass
class Fact:
    """One proposed figure (prose or table cell) or relation."""

    kind: str  # figure, table-cell, relation
    page: int
    start: int  # span of the evidence (the sentence, or the table row), page offsets
    end: int
    focus: tuple[int, int] | None = None  # the number itself, page offsets
    measure: str | None = None
    cls: str | None = None
    subject: str | None = None
    material: str | None = None
    element: str | None = None
    place: str | None = None
    application: str | None = None
    whole: str | None = None
    year: int | None = None
    period: tuple[int, int] | None = None
    quantity: dict = field(default_factory=dict)
    cites: list[str] = field(default_factory=list)
    confidence: str = "stated"
    locator: dict = field(default_factory=dict)
    score: float = 0.5
    links: list = field(default_factory=list)  # Mentions the fact relies on
    new_entities: list[dict] = field(default_factory=list)  # flows or other nodes it declares
    about: str | None = None  # relation: the entity the facts are about
    facts: dict = field(default_factory=dict)  # relation: property -> value(s)
    note: str = ""
    rank: int | None = None

    def key(self) -> tuple:
        """The figure key plus its value: two proposals with the same key say the same thing."""
        q = self.quantity
        return (self.measure, self.subject_key(), self.place, self.year, self.period,
                q.get("value"), q.get("min"), q.get("max"), q.get("unit"), self.about,
                tuple(sorted((k, str(v)) for k, v in self.facts.items())))

    def subject_key(self):
        if self.subject and self.subject.startswith("flow/") and self.new_entities:
            for n in self.new_entities:
                if n.get("id") == self.subject:
                    return ("flow", n.get("a"), str(n.get("origin")), str(n.get("destination")), str(n.get("year")))
        return self.subject
