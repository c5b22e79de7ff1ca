"""Compare the answers of two SPARQL stores to the same query, term by term (a test helper).

Terms are compared as RDF values, not as text: IRIs exactly; literals of a numeric type by
numeric value (Virtuoso answers "584"^^xsd:decimal where Oxigraph keeps "584.0"), booleans by
truth value ("1" and "true" are the same xsd:boolean); other literals by lexical form, language
tag and datatype (xsd:string and a simple literal are one thing in RDF 1.1); blank nodes not at
all (each store labels them its own way). Rows are compared as multisets; their order only where
the query has an ORDER BY, and then only by the sort keys (rows that tie may come in any order).

One SPARQL rule needs more than a term comparison: the order of the values that GROUP_CONCAT
joins is not defined (SPARQL 1.1, 18.5.1.7), so a GROUP_CONCAT column is compared as the multiset
of its parts. Its language tag is dropped (Virtuoso's GROUP_CONCAT returns a simple literal), and
an empty concatenation counts as unbound (Virtuoso gives "" where the aggregate saw no value).
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "short", "byte",
                             "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
                             "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


def term(t):
    """A comparable value for one RDF term (None for unbound)."""
    if t is None:
        return None
    if isinstance(t, ox.BlankNode):
        return ("bnode",)
    if isinstance(t, ox.NamedNode):
        return ("iri", t.value)
    dt = t.datatype.value if t.datatype is not None else XSD + "string"
    if dt in NUMERIC:
        try:
            v = Decimal(t.value.strip())
            return ("number", v.normalize() if v.is_finite() else v)
        except InvalidOperation:
            pass
    if dt == XSD + "boolean" and t.value.strip() in ("true", "false", "1", "0"):
        return ("boolean", t.value.strip() in ("true", "1"))
    if t.language:
        return ("literal", t.value, t.language.lower())
    return ("literal", t.value, dt)


# ------------------------------------------------------------------ the query text
_AS = re.compile(r"\bAS\s+\?(\w+)\s*\)", re.I)


def _strip(text: str) -> str:
    """The query without comments and with string contents kept (so separators can be read)."""
    return re.sub(r"(\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|<[^>\s]*>)|#[^\n]*",
                  lambda m: m.group(1) or "", text)


def _assignments(text: str):
    """(variable, expression) of every `(expression AS ?variable)` of the query."""
    body = _strip(text)
    for m in _AS.finditer(body):
        # the expression of this `(... AS ?v)`: back to its opening parenthesis
        depth, i = 1, m.start()
        while i > 0 and depth:
            i -= 1
            depth += {")": 1, "(": -1}.get(body[i], 0)
        yield m.group(1), body[i:m.start()]


def concat_columns(text: str) -> dict[str, str]:
    """Projected variables that a GROUP_CONCAT builds, with their separator."""
    out = {}
    for var, expr in _assignments(text):
        if re.search(r"\bGROUP_CONCAT\s*\(", expr, re.I):
            sep = re.search(r"separator\s*=\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')", expr, re.I)
            out[var] = sep.group(1)[1:-1] if sep else " "
    return out


def concat_joiners(text: str) -> dict[str, tuple[list[str], str]]:
    """For a projected CONCAT that joins GROUP_CONCATs (route = origins " > " destinations), written inline
    or as variables a subquery's GROUP_CONCAT made: the other strings of its expression and the
    GROUP_CONCAT's separator. The value is cut at those strings, and only within each piece is the
    order of the parts free."""
    groups = concat_columns(text)
    out = {}
    for var, expr in _assignments(text):
        if not re.match(r"\(\s*CONCAT\s*\(", expr, re.I):
            continue
        seps = set(re.findall(r"separator\s*=\s*\"((?:[^\"\\]|\\.)*)\"", expr, re.I))
        seps |= {groups[v] for v in re.findall(r"\?(\w+)", expr) if v in groups and v != var}
        if len(seps) != 1:
            continue  # no GROUP_CONCAT in it, or several separators: compared as text
        strings = set(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", expr)) - seps
        found = sorted((s for s in strings if s.strip() and s != "?"), key=len, reverse=True)
        if found:
            out[var] = (found, seps.pop())
    return out


def order_keys(text: str) -> list[str]:
    """The variables of the query's outermost ORDER BY (plain, as STR(?v), under ASC/DESC), [] when it has none."""
    body = _strip(text)
    found = list(re.finditer(r"\bORDER\s+BY\b", body, re.I))
    if not found:
        return []
    tail = re.split(r"\b(?:LIMIT|OFFSET|VALUES)\b", body[found[-1].end():], flags=re.I)[0]
    key = r"(?:\?\w+|STR\s*\(\s*\?\w+\s*\))"  # a variable, or its STR(): the text a literal sorts by
    if "}" in tail or not re.fullmatch(rf"\s*(?:(?:ASC|DESC)\s*\(\s*{key}\s*\)\s*|{key}\s*)+", tail, re.I):
        return []  # the ORDER BY of a subquery, or by another expression: no order to compare
    return re.findall(r"\?(\w+)", tail)


# ------------------------------------------------------------------ results
def rows(res, text: str) -> list[tuple]:
    """The result's rows as tuples of comparable values."""
    concat = concat_columns(text)
    joiners = concat_joiners(text)

    def cell(col, t):
        if col in joiners and isinstance(t, ox.Literal):
            cut, sep = joiners[col]
            pieces = re.split("(" + "|".join(re.escape(j) for j in cut) + ")", t.value)
            return ("joined", tuple(tuple(sorted(p.split(sep))) if k % 2 == 0 else p for k, p in enumerate(pieces)))
        if col in concat and isinstance(t, ox.Literal):
            if t.value == "":
                return None
            return ("parts", tuple(sorted(t.value.split(concat[col])))) if concat[col] else ("parts", (t.value,))
        return term(t)

    return [tuple(cell(c, t) for c, t in zip(res.columns, r)) for r in res.rows]


def differences(local, remote, text: str, limit: int = 6) -> list[str]:
    """What differs between two answers to the same query text (empty when they are the same)."""
    if local.boolean is not None or remote.boolean is not None:
        return [] if local.boolean == remote.boolean else [f"ASK: {local.boolean} here, {remote.boolean} there"]
    if local.columns != remote.columns:
        return [f"columns {local.columns} here, {remote.columns} there"]
    a, b = rows(local, text), rows(remote, text)
    out = []
    ca, cb = Counter(a), Counter(b)
    if ca != cb:
        out.append(f"{len(a)} rows here, {len(b)} there")
        out += [f"  only here:  {r}" for r in list((ca - cb).elements())[:limit]]
        out += [f"  only there: {r}" for r in list((cb - ca).elements())[:limit]]
        return out
    keys = [k for k in order_keys(text)]
    idx = []
    for k in keys:  # the sort keys up to the first one that is not projected
        if k not in local.columns:
            break
        idx.append(local.columns.index(k))
    if idx:
        sa = [tuple(r[i] for i in idx) for r in a]
        sb = [tuple(r[i] for i in idx) for r in b]
        if sa != sb:
            first = next(i for i, (x, y) in enumerate(zip(sa, sb)) if x != y)
            out.append(f"ORDER BY {' '.join('?' + keys[j] for j in range(len(idx)))}: rows differ from position {first}: "
                       f"{sa[first]} here, {sb[first]} there")
    return out
