"""SHACL 1.0 section 5, SPARQL-based constraints (`sh:sparql` with `sh:select`): the query joined
with the focus pattern ($this pre-bound, SHACL's pre-binding of section 5.3.1), or, for the
idiom `SELECT $this WHERE { FILTER NOT EXISTS { P } }` over few focus nodes, one ASK per node;
and the reading of the query text they need (its prologue, its WHERE clause), with the
tokenizer of sparqltext.py.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from .. import sparqltext as st
from .model import Graph, ShapesError, sh, term_sparql
from .plan import Check, ShapeQueries, merge_prefixes


class SparqlComponent(ShapeQueries):
    def c_sparql(self):
        out = []
        for c in self.objs("sparql"):
            if self.g.value(c, sh("deactivated")) == ox.Literal(True):
                continue
            select = self.g.value(c, sh("select"))
            if select is None:
                raise ShapesError(f"SPARQL constraint {c} has no sh:select")
            text = select.value
            if "$shapesGraph" in text:
                raise ShapesError("SPARQL constraints that use $shapesGraph are not supported")
            if self.path:
                text = text.replace("$PATH", self.path)
            if isinstance(self.s, ox.NamedNode):
                text = text.replace("$currentShape", term_sparql(self.s))
            if self.fail:
                prefixes, rest = split_prologue(text)
                merge_prefixes(prefixes, declared_prefixes(self.g, c))
                q = insert_focus(rest, self.focus("?this"))
                out.append(Check(f"SELECT DISTINCT ?this WHERE {{ {{ {q} }} }}", prefixes=prefixes))
                continue
            msgs = tuple(self.g.objects(c, sh("message"))) or self.messages

            def rows(sols, c=c, msgs=msgs, node=None):
                res = []
                for r in sols:
                    r = _Row(r, node)
                    sol = {v: r[v] for v in ("this", "path", "value")}
                    value = sol["value"] if sol["value"] is not None else (sol["this"] if not self.path else None)
                    path_t, path_text = ((sol["path"], term_sparql(sol["path"])) if sol["path"] is not None
                                         else (self.path_t, self.path))
                    texts = tuple(ox.Literal(_fill(m.value, r), language=m.language) if m.language
                                  else ox.Literal(_fill(m.value, r)) for m in msgs)
                    res.append(self.res("SPARQL", sol["this"], value, path_t=path_t, path_text=path_text,
                                        messages=texts, constraint=c))
                return res

            nodes = self.focus.nodes
            if (nodes is not None and all(isinstance(n, ox.NamedNode) for n in nodes)
                    and prebind(text, None) is not None and exists_idiom(text) is not None):
                # `SELECT $this WHERE { FILTER NOT EXISTS { P } }` over few focus nodes: one ASK { P }
                # per node with $this replaced by it (SHACL's pre-binding); the query planner does
                # better on a plain pattern with a constant than inside FILTER EXISTS
                results = []
                for n in nodes:
                    bound = prebind(text, n)
                    negated, lo, hi = exists_idiom(bound)
                    prologue = split_prologue(bound)[0]
                    ask = self.e.run(prefix_lines(self.g, c) + f"ASK {{ {bound[lo:hi]} }}",
                                     prefixes=merge_prefixes(dict(prologue), self.prefixes))
                    if bool(ask) != negated:
                        results += rows([{}], node=n)
                out.append(Check(None, done=results))
                continue
            if self.big and this_bgp(text):
                # a pattern in which every triple has $this: evaluated first, then joined with the
                # many focus nodes
                query = prefix_lines(self.g, c) + insert_focus(text, self.focus("?this"), last=True)
            else:
                query = prefix_lines(self.g, c) + insert_focus(text, self.focus("?this"))
            out.append(Check(query, rows))
        return out




def declared_prefixes(g: Graph, constraint) -> dict:
    """The sh:prefixes declarations of a SPARQL-based constraint, as prefix -> namespace."""
    out: dict = {}
    for ont in g.objects(constraint, sh("prefixes")):
        for decl in g.objects(ont, sh("declare")):
            p, ns = g.value(decl, sh("prefix")), g.value(decl, sh("namespace"))
            if p is not None and ns is not None:
                merge_prefixes(out, {p.value: ns.value})
    return out


def prefix_lines(g: Graph, constraint) -> str:
    """PREFIX declarations from the sh:prefixes of a SPARQL-based constraint."""
    lines = []
    for ont in g.objects(constraint, sh("prefixes")):
        for decl in g.objects(ont, sh("declare")):
            p, ns = g.value(decl, sh("prefix")), g.value(decl, sh("namespace"))
            if p is not None and ns is not None:
                lines.append(f"PREFIX {p.value}: <{ns.value}>")
    return "\n".join(sorted(set(lines))) + "\n"


def _tokens(text: str) -> list[st.Token]:
    try:
        return st.tokenize(text)
    except st.QueryError as e:
        raise ShapesError(f"SPARQL constraint cannot be read: {e}") from None


def split_prologue(select: str) -> tuple[dict, str]:
    """The PREFIX declarations at the start of a query (as a dict) and the query after them."""
    text = _decoded(select)
    toks = _tokens(text)
    prefixes: dict = {}
    i = 0
    while i + 2 < len(toks) and toks[i].kind == st.KEYWORD and toks[i].text == "PREFIX" and toks[i + 2].kind == st.IRI:
        merge_prefixes(prefixes, {toks[i + 1].prefix: toks[i + 2].text[1:-1]})
        i += 3
    if i < len(toks) and toks[i].kind == st.KEYWORD and toks[i].text == "BASE":
        raise ShapesError("SPARQL constraints with a BASE declaration cannot be nested in logical constraints")
    return prefixes, (text[toks[i - 1].end:] if i else text)


def _decoded(text: str) -> str:
    try:
        return st.decode(text)
    except st.QueryError as e:
        raise ShapesError(f"SPARQL constraint cannot be read: {e}") from None


class _Row:
    """A solution, with $this read as `node` where the query had it pre-bound."""

    def __init__(self, sol, node):
        self.sol, self.node = sol, node

    def __getitem__(self, var):
        try:
            v = self.sol[var]
        except (KeyError, TypeError, IndexError):
            v = None
        return self.node if v is None and var == "this" else v


def _is(t: st.Token, *words: str) -> bool:
    return t.kind in (st.KEYWORD, st.PUNCT) and t.text in words


def _this(t: st.Token) -> bool:
    return t.kind == st.VAR and t.name == "this"


def _where(toks: list[st.Token]) -> tuple[int, int] | None:
    """(index of the `{` opening the outermost WHERE clause, index of its `}`)."""
    k = st.where_group(toks)
    end = st.group_end(toks, k) if k is not None else None
    return None if end is None else (k, end)


def prebind(select: str, node) -> str | None:
    """The query with $this replaced by `node` in its WHERE clause (SHACL's pre-binding), or None
    when the query does something that textual replacement would change: a subquery, VALUES,
    BIND ... AS $this, or $this in an expression of the projection or after GROUP BY."""
    text = _decoded(select)
    toks = _tokens(text)
    span = _where(toks)
    if span is None:
        return None
    lo, hi = span
    where, head, tail = toks[lo + 1:hi], toks[:lo], toks[hi:]
    if any(_is(t, "SELECT", "VALUES") for t in where):
        return None
    if any(_is(t, "AS") and _this(u) for t, u in zip(where, where[1:])):
        return None
    depth = 0
    for t in head:  # $this inside brackets of the projection: an expression
        depth += 1 if _is(t, "(") else -1 if _is(t, ")") else 0
        if _this(t) and depth > 0:
            return None
    grouped = False
    for t in tail:  # GROUP BY may name $this; HAVING, ORDER BY, LIMIT... may not
        if _is(t, "GROUP"):
            grouped = True
        elif _is(t, "HAVING", "ORDER", "LIMIT", "OFFSET"):
            grouped = False
        elif _this(t) and not grouped:
            return None
    if node is None:
        return text
    const, out, pos = term_sparql(node), [], 0
    for t in where:
        if _this(t):
            out += [text[pos:t.start], const]
            pos = t.end
    return "".join(out) + text[pos:]


def exists_idiom(select: str) -> tuple[bool, int, int] | None:
    """For `SELECT ?vars WHERE { FILTER [NOT] EXISTS { P } }` (no solution modifiers): whether
    negated, and the span of P; else None."""
    text = _decoded(select)
    toks = _tokens(text)
    i = 0
    while i + 2 < len(toks) and _is(toks[i], "PREFIX"):
        i += 3
    if i >= len(toks) or not _is(toks[i], "SELECT"):
        return None
    i += 1 + (i + 1 < len(toks) and _is(toks[i + 1], "DISTINCT", "REDUCED"))
    start = i
    while i < len(toks) and toks[i].kind == st.VAR:
        i += 1
    if i == start or i + 1 >= len(toks) or not _is(toks[i], "WHERE") or not _is(toks[i + 1], "{"):
        return None
    end = st.group_end(toks, i + 1)
    if end is None or end != len(toks) - 1:
        return None
    j = i + 2
    if j < len(toks) and _is(toks[j], "FILTER"):
        j += 1
    else:
        return None
    negated = j < len(toks) and _is(toks[j], "NOT")
    j += negated
    if j + 1 >= len(toks) or not _is(toks[j], "EXISTS") or not _is(toks[j + 1], "{"):
        return None
    inner = st.group_end(toks, j + 1)
    if inner is None or [t.text for t in toks[inner + 1:end]] not in ([], ["."]):
        return None
    return negated, toks[j + 1].end, toks[inner].start


def this_bgp(select: str) -> bool:
    """Whether the WHERE clause is only triple patterns whose subject is $this, and filters."""
    toks = _tokens(_decoded(select))
    span = _where(toks)
    if span is None:
        return False
    where = toks[span[0] + 1:span[1]]
    if any(_is(t, "{", "BIND", "VALUES", "SERVICE", "GRAPH", "MINUS", "OPTIONAL", "EXISTS", "SELECT", "UNION")
           for t in where):
        return False
    kept, k = [], 0
    while k < len(where):  # drop FILTER [function] ( ... )
        if _is(where[k], "FILTER"):
            j = k + 1
            if j < len(where) and where[j].kind in (st.KEYWORD, st.PNAME, st.IRI):
                j += 1
            if j < len(where) and where[j].kind == st.NIL:
                k = j + 1
                continue
            close = st.group_end(where, j) if j < len(where) and _is(where[j], "(") else None
            if close is None:
                return False
            k = close + 1
            continue
        kept.append(where[k])
        k += 1
    statements, current = [], []
    for t in kept:
        if _is(t, "."):
            statements.append(current)
            current = []
        else:
            current.append(t)
    statements.append(current)
    statements = [x for x in statements if x]
    return bool(statements) and all(_this(x[0]) for x in statements)


def insert_focus(select: str, focus_pattern: str, last: bool = False) -> str:
    """The query with the focus pattern joined in its WHERE clause (pre-binding of $this): first,
    or (`last`) after the query's own patterns."""
    text = _decoded(select)
    toks = _tokens(text)
    span = _where(toks)
    if span is None:
        raise ShapesError("SPARQL constraint has no WHERE clause")
    if last:
        at = toks[span[1]].start
        return text[:at] + f" {{ {focus_pattern} }} " + text[at:]
    at = toks[span[0]].end
    return text[:at] + f" {{ {focus_pattern} }} " + text[at:]


def _fill(template: str, row) -> str:
    """The message with {?var} / {$var} replaced by the solution's values."""
    def rep(m):
        try:
            v = row[m.group(1)]
        except (KeyError, TypeError):
            return m.group(0)
        return v.value if v is not None and not isinstance(v, ox.BlankNode) else (str(v) if v is not None else "")
    return re.sub(r"\{[?$](\w+)\}", rep, template)
