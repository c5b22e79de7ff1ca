"""What every importer shares: row errors, the provenance of each row, batched N-Quads output.

An importer reads its file in batches and hands each checked row to an `Emitter` as the triples
of one statement. The emitter writes the statement's named graph `{base}/id/statement/import/
<name>/r<row>` and, in the provenance graph, what the row comes from: the dataset (a source of
its own), the row as locator, the import activity. Nothing but the current batch of output lines
is kept in memory; the output goes to a temporary file that is renamed only when the import is
complete and published.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import crash
from ..errors import EXIT_INPUT, InputError
from ..store import sha256_file
from ..vocab import DCTERMS, OT, PROV, QUDT, RDF, RDFS, SKOS, XSD, IRIs
from . import nt

A = nt.iri(RDF + "type")
LABEL = nt.iri(RDFS + "label")
BATCH_ROWS = 5000
MAX_LISTED = 20


class ImportFailure(InputError):
    """The import cannot go on; `problems` lists what is wrong, each with how to fix it."""

    def __init__(self, problems: list[str], code: int = EXIT_INPUT):
        self.problems, self.code, self.exit_code = problems, code, code
        super().__init__("\n".join(problems))


@dataclass
class RowError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class DatasetInfo:
    """The dataset an import comes from, described as a source in the provenance graph."""

    slug: str                      # source/<slug>
    title: str
    cls: str = "Dataset"           # Dataset or Statistic
    creators: list[str] = field(default_factory=list)
    publisher: str | None = None   # an entity IRI
    year: int | None = None
    url: str | None = None
    description: str | None = None
    cites: list[str] = field(default_factory=list)  # IRIs of sources the dataset names as its own sources


def slugify(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "x"




class Emitter:
    """Writes the statements of one import as N-Quads, one batch of lines at a time."""

    def __init__(self, iris: IRIs, name: str, kind: str, dataset: DatasetInfo, input_files: list[Path], out_path: Path):
        self.iris, self.name, self.kind, self.dataset = iris, name, kind, dataset
        self.out_path = out_path
        self.f = open(out_path, "w", encoding="utf-8", newline="\n")
        self.lines: list[str] = []
        self.pg = nt.iri(iris.provenance_graph)
        self.ds = nt.iri(iris.entity("source", dataset.slug))
        self.activity = nt.iri(f"{iris.base}/id/activity/import-{name}")
        self.statements = 0
        self.quads = 0
        self.described: set[str] = set()
        self.input_files = input_files
        self.sample: list[str] = []     # the lines of the first statements, for a quick SHACL check
        self.sample_until = 0
        self._header()

    # -- output
    def _add(self, s: str, p: str, o: str, g: str) -> None:
        self.lines.append(f"{s} {p} {o} {g} .\n")
        if self.statements < self.sample_until or not self.statements:
            self.sample.append(self.lines[-1])

    def flush(self) -> None:
        if self.lines:
            self.f.write("".join(self.lines))
            self.quads += len(self.lines)
            self.lines.clear()
            self.f.flush()
            crash.point("import:writing")

    def close(self) -> None:
        """Write what is left and make the file durable (a release may be built from it next)."""
        if self.f.closed:
            return
        self.flush()
        self.f.flush()
        os.fsync(self.f.fileno())
        self.f.close()

    # -- descriptions
    def _header(self) -> None:
        d, pg = self.dataset, self.pg
        P = lambda x: nt.iri(x)  # noqa: E731
        self._add(self.ds, A, P(OT + d.cls), pg)
        self._add(self.ds, P(DCTERMS + "title"), nt.lit(d.title, "en"), pg)
        self._add(self.ds, LABEL, nt.lit(d.title, "en"), pg)
        for c in d.creators:
            self._add(self.ds, P(DCTERMS + "creator"), nt.lit(c), pg)
        if d.publisher:
            self._add(self.ds, P(DCTERMS + "publisher"), nt.iri(d.publisher), pg)
        if d.year:
            self._add(self.ds, P(DCTERMS + "issued"), f'"{d.year}"^^<{XSD}gYear>', pg)
        if d.url:
            self._add(self.ds, P(RDFS + "seeAlso"), nt.iri(d.url), pg)
        if d.description:
            self._add(self.ds, P(DCTERMS + "description"), nt.lit(d.description, "en"), pg)
        for c in d.cites:
            self._add(self.ds, P(OT + "citesSource"), nt.iri(c), pg)
        act = self.activity
        self._add(act, A, P(PROV + "Activity"), pg)
        self._add(act, LABEL, nt.lit(f"import {self.name} ({self.kind})", "en"), pg)
        self._add(act, P(PROV + "used"), self.ds, pg)
        for path in self.input_files:
            self._add(act, P(DCTERMS + "source"), nt.lit(path.name), pg)
            self._add(act, P("http://spdx.org/rdf/terms#checksum"), nt.lit(f"{path.name} sha256:{sha256_file(path)}"), pg)

    def describe_source(self, slug: str, cls: str, title: str, creators=(), year=None, url=None, publisher=None) -> str:
        """A further source (cited by the dataset, or a reference list); returns its IRI term."""
        term = nt.iri(self.iris.entity("source", slug))
        if term in self.described:
            return term
        self.described.add(term)
        pg = self.pg
        self._add(term, A, nt.iri(OT + cls), pg)
        self._add(term, nt.iri(DCTERMS + "title"), nt.lit(title, "en"), pg)
        self._add(term, LABEL, nt.lit(title, "en"), pg)
        for c in creators:
            self._add(term, nt.iri(DCTERMS + "creator"), nt.lit(c), pg)
        if publisher:
            self._add(term, nt.iri(DCTERMS + "publisher"), nt.iri(publisher), pg)
        if year:
            self._add(term, nt.iri(DCTERMS + "issued"), f'"{year}"^^<{XSD}gYear>', pg)
        if url:
            self._add(term, nt.iri(RDFS + "seeAlso"), nt.iri(url), pg)
        return term

    # -- statements
    def statement(self, sid: str, triples: list[tuple[str, str, str]], about: list[str], locator: dict[str, str],
                  source: str | None = None, cites: list[str] = (), paraphrase: str | None = None,
                  file: str | None = None, line: int | None = None) -> None:
        """One statement graph with its triples, and its provenance: source, locator, import activity."""
        g = nt.iri(self.iris.statement(f"import/{self.name}/{sid}"))
        for s, p, o in triples:
            self._add(s, p, o, g)
        pg, src = self.pg, source or self.ds
        cit = nt.iri(self.iris.statement(f"import/{self.name}/{sid}") + "#citation")
        self._add(g, A, nt.iri(OT + "Statement"), pg)
        self._add(g, nt.iri(PROV + "wasDerivedFrom"), src, pg)
        self._add(g, nt.iri(OT + "citation"), cit, pg)
        self._add(g, nt.iri(OT + "confidence"), nt.iri(OT + "Stated"), pg)
        self._add(g, nt.iri(PROV + "wasGeneratedBy"), self.activity, pg)
        for c in cites:
            self._add(g, nt.iri(OT + "citesSource"), c, pg)
        for x in about:
            self._add(g, nt.iri(OT + "about"), x, pg)
        if paraphrase:
            self._add(g, nt.iri(OT + "paraphrase"), nt.lit(paraphrase, "en"), pg)
        # the file and line the statement was read from (for an import: the imported file)
        self._add(g, nt.iri(OT + "curatedFile"), nt.lit(file or (self.input_files[0].name if self.input_files else "")), pg)
        self._add(g, nt.iri(OT + "curatedLine"), nt.integer(line or 0), pg)
        self._add(cit, A, nt.iri(OT + "Citation"), pg)
        self._add(cit, nt.iri(OT + "document"), src, pg)
        for k, v in locator.items():
            self._add(cit, nt.iri(OT + k), nt.lit(str(v)), pg)
        self._add(cit, nt.iri(OT + "locatorText"), nt.lit(", ".join(f"{k} {v}" for k, v in locator.items())), pg)
        self.statements += 1
        if len(self.lines) > 100_000:
            self.flush()

    def reference(self, key: str, triples: list[tuple[str, str, str]], about: list[str], source: str,
                  locator: dict[str, str]) -> None:
        """A description taken from a reference list (ISO 3166, the HS nomenclature), written once per import."""
        if key in self.described:
            return
        self.described.add(key)
        self.statement(f"ref/{key}", triples, about, locator, source=source)


def country_triples(iris: IRIs, place) -> tuple[str, list[tuple[str, str, str]]]:
    """The IRI term and describing triples of a resolved country or former country (see countries.py)."""
    term = nt.iri(iris.entity(place.kind, place.slug))
    t = [(term, A, nt.iri(OT + ("Country" if place.kind == "country" else "Place"))),
         (term, LABEL, nt.lit(place.label, "en"))]
    if place.kind == "country":
        t.append((term, nt.iri(OT + "iso3166Code"), nt.lit(place.code)))
    else:
        t.append((term, nt.iri(SKOS + "notation"), nt.lit(place.code)))
        t.append((term, nt.iri(DCTERMS + "description"), nt.lit(place.note, "en")))
    return term, t


def emit_place(em: Emitter, place) -> str:
    """The IRI term of a resolved place, described once per import from ISO 3166 (pycountry)."""
    term, triples = country_triples(em.iris, place)
    iso = nt.iri(em.iris.entity("source", "iso-3166"))
    em.reference(f"{place.kind}-{place.slug}", triples, [term], iso, {"item": place.code})
    return term


# ------------------------------------------------------------------ figures (docs/modelling.md)
SEP = " · "  # as in the labels the curated reader generates
_T = {k: nt.iri(v) for k, v in {
    "measures": OT + "measures", "subject": OT + "subject", "material": OT + "material", "element": OT + "element",
    "whole": OT + "whole", "basis": OT + "basis", "year": OT + "year", "undated": OT + "undatedReason",
    "num": QUDT + "numericValue", "unit": QUDT + "hasUnit"}.items()}
_CLASSES: dict[str, str] = {}


def figure(obs: str, cls: str, measure: str, subject: str, value, unit: str, label: str, *, year: int | None = None,
           undated: str = "NoPeriodInSource", material: str | None = None, element: str | None = None,
           whole: str | None = None, basis=()) -> list[tuple[str, str, str]]:
    """The triples of one figure in the pattern of docs/modelling.md: its class, `ot:measures` code,
    subject, material or element, period (the year, or why there is none), value and unit, label.
    `cls` and `measure` are local names in the ontology; the other terms are N-Quads terms."""
    c = _CLASSES.get(cls) or _CLASSES.setdefault(cls, nt.iri(OT + cls))
    m = _CLASSES.get(measure) or _CLASSES.setdefault(measure, nt.iri(OT + measure))
    t = [(obs, A, c), (obs, _T["measures"], m), (obs, _T["subject"], subject), (obs, LABEL, nt.lit(label, "en"))]
    if material:
        t.append((obs, _T["material"], material))
    if element:
        t.append((obs, _T["element"], element))
    if whole:
        t.append((obs, _T["whole"], whole))
    for b in basis:
        t.append((obs, _T["basis"], b))
    if year is not None:
        t.append((obs, _T["year"], nt.integer(year)))
    else:
        u = _CLASSES.get(undated) or _CLASSES.setdefault(undated, nt.iri(OT + undated))
        t.append((obs, _T["undated"], u))
    t += [(obs, _T["num"], nt.decimal(value)), (obs, _T["unit"], unit)]
    return t


def figure_label(*parts) -> str:
    """A figure's label from its dimensions: subject · material · measure · period."""
    return SEP.join(str(p) for p in parts if p not in (None, ""))


def staged_path(imports_dir: Path, name: str) -> Path:
    """The temporary file an import is written to; store.recover removes it, or renames it into
    place when the current release was built from it."""
    imports_dir.mkdir(parents=True, exist_ok=True)
    return imports_dir / f".{name}.nq.tmp-{os.getpid()}"
