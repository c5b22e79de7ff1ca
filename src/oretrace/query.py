"""Run SPARQL against the built store or any SPARQL 1.1 endpoint, and the named-query catalogue.

A catalogue query is a `.rq` file in queries/ whose leading comment block has fields:

    # title: Who operates and who owns a mine
    # question: Which actors operate and own the given site?
    # param: site iri = site/bolivar-mine   the mine to ask about
    # returns: one row per (relation, actor)

Parameters are bound with a VALUES clause (each value checked for its kind and written as a term), so
the same text runs on any store. Queries run through `oretrace.backend` (`run(text, timeout, cap)`),
which applies the read-only policy of `oretrace.sparqltext`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from . import sparqltext
from .vocab import PREFIXES, XSD, IRIs, prefix_block


QueryError = sparqltext.QueryError  # a query could not be parsed or run (base of every error of the read side)


@dataclass
class Param:
    name: str
    kind: str  # iri, string, integer, decimal
    default: str | None
    description: str


@dataclass
class NamedQuery:
    name: str
    path: Path
    title: str
    question: str
    returns: str
    params: list[Param]
    text: str
    tags: list[str] = field(default_factory=list)


_FIELD = re.compile(r"^#\s*(title|question|returns|param|tags):\s*(.*)$")
_PARAM = re.compile(r"^(?P<name>\w+)\s+(?P<kind>iri|string|integer|decimal)(?:\s*=\s*(?P<default>\S+))?\s*(?P<desc>.*)$")


def parse_named(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    info: dict[str, list[str]] = {}
    last = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _FIELD.match(line)
        if m:
            last = m.group(1)
            info.setdefault(last, []).append(m.group(2).strip())
        elif last and line.startswith("#  ") and line[1:].strip() and last != "param":
            info[last][-1] += " " + line[1:].strip()  # a continuation is indented under its field
        else:
            last = None  # any other comment ends the field before it
    params = []
    for p in info.get("param", []):
        m = _PARAM.match(p)
        if not m:
            raise QueryError(f"{path}: bad param line {p!r} (write: name iri|string|integer|decimal = default  description)")
        params.append(Param(m.group("name"), m.group("kind"), m.group("default"), m.group("desc").strip()))
    if "title" not in info:
        raise QueryError(f"{path}: missing '# title:' header")
    return NamedQuery(path.stem, path, " ".join(info["title"]), " ".join(info.get("question", [""])),
                      " ".join(info.get("returns", [""])), params, text,
                      [t.strip() for t in " ".join(info.get("tags", [])).split(",") if t.strip()])


def catalogue(queries_dir: Path) -> dict[str, NamedQuery]:
    """All named queries, by file stem."""
    return {p.stem: parse_named(p) for p in sorted(Path(queries_dir).glob("*.rq"))}


def bind(nq: NamedQuery, values: dict[str, str | list[str]], iris: IRIs) -> str:
    """The query text with its parameters bound (defaults where not given) by a VALUES clause.

    Each value is checked for its kind and written as a term by pyoxigraph, never pasted: an IRI
    must be a valid absolute IRI (or kind/slug, or prefix:name of a known vocabulary), an integer or
    a decimal must parse as one.
    """
    unknown = set(values) - {p.name for p in nq.params}
    if unknown:
        raise QueryError(f"query {nq.name} has no parameter {', '.join(sorted(unknown))} "
                         f"(it takes: {', '.join(p.name for p in nq.params) or 'none'})")
    names, rows = [], [[]]
    for p in nq.params:
        raw = values.get(p.name, p.default)
        if raw is None:
            continue
        names.append("?" + p.name)
        # a list of values binds the parameter to each (one row of VALUES per value)
        terms = [param_term(p, v, iris) for v in (raw if isinstance(raw, (list, tuple)) else [raw])]
        rows = [r + [t] for r in rows for t in terms]
    if not names:
        return nq.text
    clause = f"VALUES ({' '.join(names)}) {{ {' '.join('(' + ' '.join(r) + ')' for r in rows)} }}"
    text = sparqltext.decode(nq.text)
    toks = sparqltext.tokenize(text)
    # at the head of the outermost WHERE block, so the bindings narrow the query from the start,
    # unless the query assigns a parameter itself (BIND(... AS ?p) must come before any use of ?p)
    assigned = {toks[k + 1].name for k, t in enumerate(toks[:-1])
                if t.kind == sparqltext.KEYWORD and t.text == "AS" and toks[k + 1].kind == sparqltext.VAR}
    where = sparqltext.where_group(toks)
    if where and toks[where - 1].text == "WHERE" and not assigned & {n[1:] for n in names}:
        at = toks[where].end
        return f"{text[:at]}\n  {clause}\n{text[at:]}"
    return f"{text.rstrip()}\n{clause}\n"


MAX_PARAM_CHARS = 2000


def param_term(p: Param, raw: str, iris: IRIs) -> str:
    """A parameter value of its kind as a SPARQL term (QueryError in words if it is not one)."""
    if not isinstance(raw, str) or len(raw) > MAX_PARAM_CHARS:
        raise QueryError(f"parameter {p.name}: give a value of at most {MAX_PARAM_CHARS} characters")
    if p.kind == "iri":
        value = raw.strip()
        if value.startswith("<") and value.endswith(">"):
            value = value[1:-1]
        elif "/" in value and ":" not in value.split("/", 1)[0]:  # kind/slug (statement ids may hold more slashes)
            value = iris.ref(value)
        elif ":" in value and value.split(":", 1)[0] in PREFIXES:
            pre, local = value.split(":", 1)
            value = PREFIXES[pre] + local
        try:
            return sparqltext.iri(value)
        except ValueError as e:
            raise QueryError(f"parameter {p.name}: {raw!r} is not an IRI ({e}); give an absolute IRI, "
                             "kind/slug (site/bolivar-mine) or prefix:name (ot:Smelter)") from None
    if p.kind == "integer":
        text = raw.strip()
        digits = text[1:] if text[:1] in ("+", "-") else text
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 40:
            raise QueryError(f"parameter {p.name}: {raw!r} is not an integer (write up to 40 digits, e.g. 2019)")
        return sparqltext.literal(str(int(text)), XSD + "integer")
    if p.kind == "decimal":
        text = raw.strip()
        try:
            d = Decimal(text) if text.isascii() and len(text) <= 60 else None
        except InvalidOperation:
            d = None
        if d is None or not d.is_finite() or abs(d.adjusted()) > 40:
            raise QueryError(f"parameter {p.name}: {raw!r} is not a decimal number (e.g. 0.5 or 1200)")
        return sparqltext.literal(format(d, "f"), XSD + "decimal")
    return sparqltext.literal(raw)


# ------------------------------------------------------------------ results
@dataclass
class Result:
    """A query result: SELECT rows, an ASK boolean, or CONSTRUCT/DESCRIBE triples.

    `truncated` says rows (or triples) were cut at the cap the query was run with; `form` is the
    query form and `seconds` the time it took, when the backend knows them."""

    columns: list[str] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)  # cells: pyoxigraph terms or None
    boolean: bool | None = None
    triples: list[ox.Triple] | None = None
    truncated: bool = False
    form: str = ""
    seconds: float = 0.0


def run_store(store: ox.Store, query: str, union: bool = True) -> Result:
    """Run SPARQL on a pyoxigraph store (the default graph is the union of all graphs), through the policy."""
    from .backend import StoreBackend

    return StoreBackend(store, union=union).run(query)


def run_endpoint(url: str, query: str, timeout: float = 30) -> Result:
    """Run SPARQL on any SPARQL 1.1 endpoint, through the policy."""
    from .backend import EndpointBackend

    return EndpointBackend(url).run(query, timeout=timeout)


VIRTUOSO_ASK = "__ASK_RETVAL"  # Virtuoso 7.2 answers ASK as a table of this one column: a row (1) for true, none for false


def term_from_json(b):
    """A pyoxigraph term from a SPARQL JSON results binding (None for an unbound variable)."""
    if b is None:
        return None
    if b["type"] == "uri":
        return ox.NamedNode(b["value"])
    if b["type"] == "bnode":
        try:
            return ox.BlankNode(b["value"])
        except ValueError:  # a label that is not one in Turtle's syntax (Virtuoso: nodeID://b10001)
            return ox.BlankNode("x" + b["value"].encode().hex())
    if "xml:lang" in b:
        return ox.Literal(b["value"], language=b["xml:lang"])
    if "datatype" in b:
        if b["datatype"] == XSD_BOOLEAN and b["value"] in ("1", "0"):  # Virtuoso writes 1 and 0: the same values
            return ox.Literal(b["value"] == "1")                     # as true and false, in their canonical form
        return ox.Literal(b["value"], datatype=ox.NamedNode(b["datatype"]))
    return ox.Literal(b["value"])


XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


def with_prefixes(query: str) -> str:
    """The query with the standard PREFIX lines added for prefixes it uses but does not declare
    (unchanged if it cannot be read: the error is reported when it runs)."""
    try:
        declared, used = sparqltext.prefixes(query)
    except QueryError:
        return query
    missing = {p for p in used - declared if p in PREFIXES}
    return prefix_block(missing) + query if missing else query


# ------------------------------------------------------------------ formatting
def value_text(term, compact: bool = True, iris: IRIs | None = None) -> str:
    """A term as short readable text: kind/slug or prefix:name for IRIs, plain literal values."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return sparqltext.shorten(term.value, iris.base if iris else None) if compact else term.value
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def _fit_widths(widths: list[int], total: int) -> list[int]:
    """Shrink the widest columns until the row fits in `total` characters (at least 8 each)."""
    widths = list(widths)
    while sum(widths) > total and max(widths) > 8:
        i = widths.index(max(widths))
        widths[i] -= 1
    return widths


def format_result(res: Result, fmt: str = "table", iris: IRIs | None = None, width: int | None = None) -> str:
    """The result as an aligned table fitting `width` (default: the terminal), CSV, TSV or SPARQL JSON."""
    if res.boolean is not None:
        return json.dumps({"boolean": res.boolean}) if fmt == "json" else ("true" if res.boolean else "false")
    if res.triples is not None:
        return ox.serialize(res.triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES).decode()
    if fmt == "json":
        return json.dumps({"head": {"vars": res.columns},
                           "results": {"bindings": [{c: term_to_json(v) for c, v in zip(res.columns, row) if v is not None}
                                                    for row in res.rows]}}, indent=1)
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        w = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        w.writerow(res.columns)
        for row in res.rows:
            w.writerow([value_text(v, compact=False) for v in row])
        return buf.getvalue()
    cells = [[value_text(v, iris=iris) for v in row] for row in res.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(res.columns)]
    widths = _fit_widths(widths, (width or shutil.get_terminal_size((120, 24)).columns) - 2 * (len(widths) - 1))

    def fit(s, w):
        return s if len(s) <= w else s[: w - 1] + "…"

    lines = ["  ".join(fit(c, w).ljust(w) for c, w in zip(res.columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(fit(c, w).ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.append(f"({len(res.rows)} row{'s' if len(res.rows) != 1 else ''})")
    return "\n".join(lines)


def term_to_json(t):
    """A SPARQL JSON results binding for a pyoxigraph term (None for an unbound variable)."""
    if t is None:
        return None
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    d = {"type": "literal", "value": t.value}
    if t.language:
        d["xml:lang"] = t.language
    elif t.datatype and t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        d["datatype"] = t.datatype.value
    return d
