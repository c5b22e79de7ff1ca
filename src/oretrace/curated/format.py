"""The curated format, declared once in format.yaml: every file, entry, statement and node field,
with its type; this module declares the value types the fields name (TYPES), reads the declaration
into Records (a mistake in it stops the import, named by line) and checks mappings against them.

From this declaration come the checker's structural rules (`check` below, used by the reader), the
field tables of data/README.md and the JSON Schemas in data/schema/ that editors use to check YAML
as it is typed (artefacts.py; `oretrace format --write` regenerates them and tests/test_format.py
fails when one is stale), and the forms of the app (`form`).

The kinds of value type (text, patterns, references, numbers, ...) are in valuetypes.py; this
module names the ones the format uses.

Node fields are open: besides the fields below, a node takes any ontology property in snake_case
(`operated_by` is `ot:operatedBy`); their types come from the ontology (object property: a
reference or an ontology individual; datatype property: its range).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..units import UNITS
from ..vocab import KINDS
from . import yamlio
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


# ------------------------------------------------------------------ the declaration (format.yaml)
DECLARATION = Path(__file__).with_name("format.yaml")

# the value types a field of format.yaml can name: every T_ type above by its name, and these
TYPES: dict[str, Type] = {t.name: t for k, t in list(globals().items()) if k.startswith("T_") and isinstance(t, Type)}
TYPES.update({
    "alt-label": AltLabel("alt-label", "a name, or {text, lang}"),
    "new-entity-ref": Ref("entity-ref", "kind/slug of a new entity"),
    "entity-ref": Ref("entity-ref", "kind/slug of an existing entity", tuple(KINDS)),
    "replacing-entity-ref": Ref("entity-ref", "kind/slug of the replacing entity", tuple(KINDS)),
    "curator-ref": Ref("curator-ref", "curator/slug", ("curator",)),
    "actor-ref": Ref("actor-ref", "actor/slug", ("actor",)),
    "project-ref": Ref("project-ref", "project/slug", ("project",)),
    "source-ref": Ref("source-ref", "source/id", ("source",)),
    "percent": Number("percent", "a percentage", minimum=0, maximum=100),
    "geonames-id": Number("geonames-id", "a GeoNames ID", minimum=1, integer=True),
    "path": Text("path", "a file path", 1000),
    "sha256": Pattern("sha256", "a SHA-256 hex digest", re.compile(r"[0-9a-f]{64}"), "e3b0c442...", 64),
})


class DeclarationError(ValueError):
    """format.yaml does not declare a well-formed format (a mistake in the package, named by line)."""


_FIELD_KEYS = {"key", "type", "record", "doc", "required", "many", "missing"}


def declare(path: Path = DECLARATION) -> tuple[dict[str, tuple[Field, ...]], dict[str, Record]]:
    """The groups and the records that `path` declares."""
    try:
        doc = yamlio.load(path.read_text(encoding="utf-8"))
    except yamlio.YamlError as e:
        raise DeclarationError(f"{path}:{e.line}: {e.message}") from None
    if not isinstance(doc, dict) or set(doc) != {"groups", "records"}:
        raise DeclarationError(f"{path}:1: the declaration is a mapping of groups and records")
    groups_raw, records_raw = doc["groups"], doc["records"]
    groups: dict[str, tuple[Field, ...]] = {}
    records: dict[str, Record] = {}
    pending: list[str] = []

    def fail(obj, key, what):
        raise DeclarationError(f"{path}:{yamlio.line_of(obj, key)}: {what}")

    def fields_of(items, owner) -> tuple[Field, ...]:
        out: list[Field] = []
        if not isinstance(items, list):
            fail(owner, "fields", "fields is a list")
        for k, item in enumerate(items):
            if not isinstance(item, dict):
                fail(items, k, "a field is a mapping of key, type or record, doc, ...")
            if "include" in item:
                name, without = item["include"], item.get("without", [])
                if set(item) - {"include", "without"} or not isinstance(without, list):
                    fail(items, k, "an include is {include: NAME} or {include: NAME, without: [keys]}")
                src = group(name, items, k) if name in groups_raw else record(name, items, k).fields
                if set(without) - {f.key for f in src}:
                    fail(items, k, f"without names keys that {name} does not have: {sorted(set(without) - {f.key for f in src})}")
                out.extend(f for f in src if f.key not in without)
                continue
            if set(item) - _FIELD_KEYS or not {"key", "doc"} <= set(item) or ("type" in item) == ("record" in item):
                fail(items, k, f"a field has key, doc and one of type or record (and may have {', '.join(sorted(_FIELD_KEYS - {'key', 'doc', 'type', 'record'}))})")
            if "type" in item and item["type"] not in TYPES:
                fail(items, k, f"unknown type {item['type']!r} (the types are format.TYPES: {', '.join(sorted(TYPES))})")
            ftype = TYPES[item["type"]] if "type" in item else record(item["record"], items, k)
            out.append(Field(item["key"], ftype, item["doc"], required=item.get("required", False),
                             many=item.get("many", False), missing=item.get("missing", "")))
        keys = [f.key for f in out]
        if len(set(keys)) != len(keys):
            fail(owner, "fields", f"a key is declared twice: {sorted({x for x in keys if keys.count(x) > 1})}")
        return tuple(out)

    def group(name, at, k) -> tuple[Field, ...]:
        if name not in groups:
            if name in pending:
                fail(at, k, f"{name} includes itself")
            pending.append(name)
            groups[name] = fields_of(groups_raw[name], groups_raw)
            pending.remove(name)
        return groups[name]

    def record(name, at, k) -> Record:
        if name not in records:
            if name not in records_raw:
                fail(at, k, f"no record or group {name!r} is declared")
            if name in pending:
                fail(at, k, f"{name} contains itself")
            pending.append(name)
            r = records_raw[name]
            if not isinstance(r, dict) or set(r) - {"doc", "fields", "open_properties", "at_least_one"} or "doc" not in r:
                fail(records_raw, name, "a record has doc and fields, and may have open_properties and at_least_one")
            records[name] = Record(name, r["doc"], fields_of(r.get("fields", []), r),
                                   open_properties=r.get("open_properties", False),
                                   at_least_one=tuple(r.get("at_least_one", ())))
            pending.remove(name)
        return records[name]

    for name in groups_raw:
        group(name, groups_raw, name)
    for name in records_raw:
        record(name, records_raw, name)
    return groups, records


GROUPS, RECORDS = declare()
NODE_FIELDS, PROVENANCE_FIELDS = GROUPS["node"], GROUPS["provenance"]
(LOCATOR, QUANTITY, NODE, PROPOSAL, STATEMENT, PROPOSED_STATEMENT, ENTITY, SOURCE, CITED_SOURCE, SOURCE_FILE,
 ENTITY_FILE, PROPOSAL_FILE) = (RECORDS[n] for n in (
    "locator", "quantity", "node", "proposal", "statement", "proposed-statement", "entity", "source", "cited-source",
    "source-file", "entity-file", "proposal-file"))
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
