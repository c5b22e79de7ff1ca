"""What the reconciliation reads from the graph: figures, flows, places, materials and royalties,
through the catalogue queries queries/reconciliation-*.rq, on the embedded store or any endpoint."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from .. import query
from ..errors import InputError
from ..appdata import plain
from ..units import BY_IRI
from ..vocab import OT, RDFS, prefix_block

Runner = Callable[[str], query.Result]

QUERIES = Path(__file__).resolve().parents[3] / "queries"
DEPRECATED = OT + "DeprecatedRank"


def _query_text(name: str, queries_dir: Path | None = None) -> str:
    path = (queries_dir or QUERIES) / f"{name}.rq"
    if not path.is_file():
        raise InputError(f"{path}: missing; reconciliation reads the figures through the catalogue query "
                         f"{name}.rq (copy it from oretrace's queries/ into the project's queries/)")
    return query.parse_named(path).text


def _statement_id(iri: str | None) -> str | None:
    """The id of a statement without dcterms:identifier (an import's row): its IRI after /id/statement/."""
    return iri.split("/id/statement/", 1)[1] if iri and "/id/statement/" in iri else None


def rows(run: Runner, text: str) -> list[dict]:
    res = run(text)
    out = []
    for row in res.rows:
        d = {}
        for c, v in zip(res.columns, row):
            d[c] = plain(v)
            if isinstance(v, ox.Literal):
                d[c + "@lex"] = v.value
        out.append(d)
    return out


def number(v: float) -> str:
    """A number as a person writes it: 6050000, 7526.671, 0.25 (no exponent, no trailing zeros)."""
    text = format(Decimal(repr(float(v))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class _Dated:
    """A year, or a period of years (start and end)."""

    year: int | None
    start: int | None
    end: int | None

    @property
    def period(self) -> tuple[int, int] | None:
        if self.year is not None:
            return (self.year, self.year)
        if self.start is not None and self.end is not None:
            return (self.start, self.end)
        return None


@dataclass
class Figure(_Dated):
    iri: str
    measure: str
    subject: str
    material: str | None
    element: str | None
    year: int | None
    start: int | None
    end: int | None
    value: float | None
    lexical: str | None
    low: float | None
    high: float | None
    unit: str
    approximate: bool
    estimated: bool
    standard_uncertainty: float | None
    relative_uncertainty: float | None
    rank: str | None
    statement: str
    statement_id: str | None
    where: str | None
    confidence: str | None
    document: str | None

    @property
    def single_year(self) -> int | None:
        p = self.period
        return p[0] if p and p[0] == p[1] else None

    @property
    def dimension(self) -> str | None:
        u = BY_IRI.get(self.unit)
        return u.dimension if u else None

    @property
    def factor(self) -> float:
        u = BY_IRI.get(self.unit)
        return u.factor if u else 1.0

    @property
    def deprecated(self) -> bool:
        return self.rank == DEPRECATED

    @property
    def written(self) -> str:
        """The figure as its source gives it: "40", "80 to 90", "up to 6050000"."""
        if self.lexical is not None:
            return self.lexical
        if self.low is not None and self.high is not None:
            return f"{number(self.low)} to {number(self.high)}"
        if self.high is not None:
            return f"up to {number(self.high)}"
        if self.low is not None:
            return f"at least {number(self.low)}"
        return ""


@dataclass
class Flow(_Dated):
    iri: str
    kinds: set[str] = field(default_factory=set)
    materials: set[str] = field(default_factory=set)
    origins: set[str] = field(default_factory=set)
    destinations: set[str] = field(default_factory=set)
    year: int | None = None
    start: int | None = None
    end: int | None = None
    wholes: set[str] = field(default_factory=set)
    commodities: set[str] = field(default_factory=set)
    royalty_status: set[str] = field(default_factory=set)
    royalty_laws: set[str] = field(default_factory=set)


@dataclass
class Royalty:
    iri: str
    laws: set[str] = field(default_factory=set)
    law_years: dict[str, int] = field(default_factory=dict)
    jurisdictions: set[str] = field(default_factory=set)
    materials: set[str] = field(default_factory=set)
    statement: str | None = None
    document: str | None = None


@dataclass
class GraphData:
    figures: list[Figure]
    flows: dict[str, Flow]
    countries_of: dict[str, set[str]]
    elements_of: dict[str, set[str]]
    derived_from: dict[str, set[str]]
    members_of: dict[str, set[str]]
    royalties: dict[str, Royalty]
    run: Runner | None = None
    base: str = "https://w3id.org/oretrace"
    _labels: dict[str, str] = field(default_factory=dict)

    def ref(self, ref: str) -> str:
        """The IRI of a kind/slug reference (as assumptions.yaml writes them) under the data's base."""
        return ref if ref.startswith("http") else f"{self.base}/id/{ref}"

    @classmethod
    def read(cls, run: Runner, queries_dir: Path | None = None, base: str = "https://w3id.org/oretrace") -> "GraphData":
        figures, seen = [], set()
        for r in rows(run, _query_text("reconciliation-figures", queries_dir)):
            if r["figure"] in seen:
                continue   # one figure, declared in more than one statement: the first is kept
            seen.add(r["figure"])
            num = lambda k: float(r[k]) if isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool) else None
            figures.append(Figure(
                r["figure"], r["measure"], r["subject"], r.get("material"), r.get("element"),
                r.get("year") if isinstance(r.get("year"), int) else None,
                r.get("start") if isinstance(r.get("start"), int) else None,
                r.get("end") if isinstance(r.get("end"), int) else None,
                num("value"), r.get("value@lex"), num("min"), num("max"), r["unit"],
                r.get("approximate") is True, r.get("estimated") is True,
                num("standardUncertainty"), num("relativeUncertainty"), r.get("rank"),
                r["statement"], r.get("statementId") or _statement_id(r["statement"]), r.get("where"), r.get("confidence"), r.get("document")))
        flows: dict[str, Flow] = {}
        for r in rows(run, _query_text("reconciliation-flows", queries_dir)):
            f = flows.setdefault(r["flow"], Flow(r["flow"]))
            for key, attr in (("kind", "kinds"), ("material", "materials"), ("origin", "origins"),
                              ("destination", "destinations"), ("whole", "wholes"), ("commodity", "commodities"),
                              ("royaltyStatus", "royalty_status"), ("royaltyLaw", "royalty_laws")):
                if r.get(key) is not None:
                    getattr(f, attr).add(str(r[key]))
            for key in ("year", "start", "end"):
                if isinstance(r.get(key), int):
                    setattr(f, key, r[key])
        countries: dict[str, set[str]] = defaultdict(set)
        for r in rows(run, _query_text("reconciliation-places", queries_dir)):
            countries[r["place"]].add(r["country"])
        elements, derived, members = defaultdict(set), defaultdict(set), defaultdict(set)
        for r in rows(run, _query_text("reconciliation-materials", queries_dir)):
            {OT + "containsElement": elements, OT + "derivedFromMaterial": derived,
             OT + "groupMember": members}[r["relation"]][r["material"]].add(r["other"])
        royalties: dict[str, Royalty] = {}
        for r in rows(run, _query_text("reconciliation-royalties", queries_dir)):
            ro = royalties.setdefault(r["royalty"], Royalty(r["royalty"], statement=r.get("statement"),
                                                            document=r.get("document")))
            if r.get("law"):
                ro.laws.add(r["law"])
                if isinstance(r.get("lawYear"), int):
                    ro.law_years[r["law"]] = r["lawYear"]
            if r.get("jurisdiction"):
                ro.jurisdictions.add(r["jurisdiction"])
            if r.get("material"):
                ro.materials.add(r["material"])
        return cls(figures, flows, dict(countries), dict(elements), dict(derived), dict(members), royalties, run,
                   base.rstrip("/"))

    def observation_classes(self) -> dict[str, str]:
        """measure -> the class its observations belong to (ot:observationClass in the ontology graph)."""
        if self.run is None:
            return {}
        res = self.run(f"SELECT ?m ?c WHERE {{ ?m <{OT}observationClass> ?c }}")
        return {m.value: c.value for m, c in res.rows}

    def is_element(self, iri: str) -> bool:
        return iri.startswith(OT) and iri not in self.elements_of

    def labels(self, iris) -> dict[str, str]:
        """English labels (else any label, else the IRI's last part) of the given IRIs."""
        want = sorted({i for i in iris if i and i not in self._labels})
        if want and self.run is not None:
            for k in range(0, len(want), 200):
                chunk = want[k:k + 200]
                text = (prefix_block(["rdfs"]) + "SELECT ?x ?l WHERE { VALUES ?x { "
                        + " ".join(f"<{i}>" for i in chunk) + " } ?x rdfs:label ?l }")
                res = self.run(text)
                best: dict[str, tuple[int, str]] = {}
                for x, lab in res.rows:
                    rank = 0 if (lab.language or "") == "en" else 1
                    if x.value not in best or (rank, lab.value) < best[x.value]:
                        best[x.value] = (rank, lab.value)
                for x, (_, lab) in best.items():
                    self._labels[x] = lab
        for i in iris:
            if i and i not in self._labels:
                self._labels[i] = i.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        return {i: self._labels[i] for i in iris if i}


def store_runner(store: ox.Store) -> Runner:
    return lambda text: query.run_store(store, query.with_prefixes(text))


__all__ = ["Figure", "Flow", "GraphData", "Royalty", "RDFS", "rows", "store_runner"]
