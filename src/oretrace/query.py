"""Run SPARQL against the built store or any SPARQL 1.1 endpoint, and the named-query catalogue.

A catalogue query is a `.rq` file in queries/ whose leading comment block has fields:

    # title: Who operates and who owns a mine
    # question: Which actors operate and own the given site?
    # param: site iri = site/bolivar-mine   the mine to ask about
    # returns: one row per (relation, actor)

Parameters are bound with a trailing VALUES clause, so the same text runs on any store.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .vocab import PREFIXES, IRIs, prefix_block


class QueryError(Exception):
    """A query could not be parsed or run."""


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
        elif last and line[1:].strip() and last != "param":
            info[last][-1] += " " + line[1:].strip()
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


def bind(nq: NamedQuery, values: dict[str, str], iris: IRIs) -> str:
    """The query text with its parameters bound (defaults where not given) by a trailing VALUES."""
    unknown = set(values) - {p.name for p in nq.params}
    if unknown:
        raise QueryError(f"query {nq.name} has no parameter {', '.join(sorted(unknown))} "
                         f"(it takes: {', '.join(p.name for p in nq.params) or 'none'})")
    names, terms = [], []
    for p in nq.params:
        raw = values.get(p.name, p.default)
        if raw is None:
            continue
        names.append("?" + p.name)
        terms.append(_term_text(p, raw, iris))
    if not names:
        return nq.text
    values = f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"
    # at the head of the outermost WHERE block, so the bindings narrow the query from the start
    body = _blank_comments(nq.text)
    m = _OUTER_WHERE.search(body)
    assigned = any(re.search(rf"(?i)\bAS\s+{re.escape(n)}\b", body) for n in names)  # BIND(.. AS ?p) must come first
    if m and not assigned:
        return f"{nq.text[:m.end()]}\n  {values}\n{nq.text[m.end():]}"
    return f"{nq.text.rstrip()}\n{values}\n"


_OUTER_WHERE = re.compile(r"(?i)\bWHERE\s*\{")


def _blank_comments(text: str) -> str:
    """The text with comments replaced by spaces of the same length (IRIs and strings kept)."""
    return re.sub(r"(<[^>\s]*>|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*')|#[^\n]*",
                  lambda m: m.group(1) if m.group(1) else " " * len(m.group(0)), text)


def _term_text(p: Param, raw: str, iris: IRIs) -> str:
    if p.kind == "iri":
        if raw.startswith("<") and raw.endswith(">"):
            return raw
        if re.match(r"^https?://", raw):
            return f"<{raw}>"
        if ":" in raw and raw.split(":", 1)[0] in PREFIXES:
            pre, local = raw.split(":", 1)
            return f"<{PREFIXES[pre]}{local}>"
        if "/" in raw:
            return f"<{iris.ref(raw)}>"
        raise QueryError(f"parameter {p.name}: {raw!r} is not an IRI, prefixed name or kind/slug")
    if p.kind in ("integer", "decimal"):
        try:
            float(raw)
        except ValueError:
            raise QueryError(f"parameter {p.name}: {raw!r} is not a number") from None
        return raw
    return json.dumps(raw)


# ------------------------------------------------------------------ results
@dataclass
class Result:
    """A query result: SELECT rows, an ASK boolean, or CONSTRUCT/DESCRIBE triples."""

    columns: list[str] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)  # cells: pyoxigraph terms or None
    boolean: bool | None = None
    triples: list[ox.Triple] | None = None


def run_store(store: ox.Store, query: str, union: bool = True) -> Result:
    """Run SPARQL on a pyoxigraph store; the default graph is the union of all graphs."""
    try:
        res = store.query(query, use_default_graph_as_union=union)
    except SyntaxError as e:
        raise QueryError(f"SPARQL syntax error: {e}") from None
    except OSError as e:
        raise QueryError(f"query failed: {e}") from None
    if isinstance(res, ox.QueryBoolean):
        return Result(boolean=bool(res))
    if isinstance(res, ox.QuerySolutions):
        cols = [v.value for v in res.variables]
        return Result(cols, [[sol[c] for c in cols] for sol in res])
    return Result(triples=list(res))


def run_endpoint(url: str, query: str, timeout: int = 30) -> Result:
    """Run SPARQL on any SPARQL 1.1 endpoint through SPARQLWrapper."""
    from SPARQLWrapper import JSON, N3, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    kind = _query_form(query)
    sw = SPARQLWrapper(url)
    sw.setQuery(query)
    # SPARQLWrapper guesses the form from the text, and comment words such as "load" fool it
    sw.queryType = kind if kind in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") else "SELECT"
    sw.setTimeout(timeout)
    sw.setMethod("POST")
    try:
        if kind in ("CONSTRUCT", "DESCRIBE"):
            sw.setReturnFormat(N3)
            data = sw.query().convert()
            if isinstance(data, str):
                data = data.encode()
            if not isinstance(data, bytes):
                data = data.serialize(format="nt").encode()
            return Result(triples=[ox.Triple(q.subject, q.predicate, q.object)
                                   for q in ox.parse(data, format=ox.RdfFormat.TURTLE)])
        sw.setReturnFormat(JSON)
        data = sw.query().convert()
    except SPARQLWrapperException as e:
        raise QueryError(f"endpoint {url} refused the query: {e}") from None
    except OSError as e:
        raise QueryError(f"endpoint {url} cannot be reached: {e}") from None
    if "boolean" in data:
        return Result(boolean=bool(data["boolean"]))
    cols = data["head"].get("vars", [])
    if kind == "ASK" and cols == [VIRTUOSO_ASK]:
        return Result(boolean=virtuoso_ask(data))
    rows = [[term_from_json(b.get(c)) for c in cols] for b in data["results"]["bindings"]]
    return Result(cols, rows)


VIRTUOSO_ASK = "__ASK_RETVAL"  # Virtuoso 7.2 answers ASK as a table of this one column: a row (1) for true, none for false


def virtuoso_ask(data: dict) -> bool:
    """The boolean of an ASK answered in Virtuoso's table form."""
    rows = data.get("results", {}).get("bindings", [])
    return bool(rows) and rows[0].get(VIRTUOSO_ASK, {}).get("value") not in ("0", "false")


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
        return ox.Literal(b["value"], datatype=ox.NamedNode(b["datatype"]))
    return ox.Literal(b["value"])


def _query_form(query: str) -> str:
    body = re.sub(r"#[^\n]*", "", query)
    body = re.sub(r"(?is)^\s*((PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*", "", body)
    m = re.match(r"\s*(\w+)", body)
    return m.group(1).upper() if m else "SELECT"


def with_prefixes(query: str) -> str:
    """The query with the standard PREFIX lines added for prefixes it uses but does not declare."""
    declared = {m.lower() for m in re.findall(r"(?i)PREFIX\s+(\w*):", query)}
    used = {p for p in PREFIXES if p not in declared and re.search(rf"(?<![\w<]){p}:", query)}
    return prefix_block(used) + query if used else query


# ------------------------------------------------------------------ formatting
def value_text(term, compact: bool = True, iris: IRIs | None = None) -> str:
    """A term as short readable text: prefixed IRIs, plain literal values."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        v = term.value
        if compact:
            if iris and v.startswith(iris.base + "/id/"):
                return v[len(iris.base) + 4:]
            for p, ns in PREFIXES.items():
                if v.startswith(ns) and re.match(r"^[\w.-]*$", v[len(ns):]):
                    return f"{p}:{v[len(ns):]}"
        return v
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
