"""A SHACL Core and SHACL-SPARQL processor that evaluates each constraint set-at-a-time as
SPARQL over a pyoxigraph Store.

A shape's focus nodes are a SPARQL group pattern binding one variable, each node once: its
targets (listed once as VALUES when there are few, else a DISTINCT subquery), or, for nested
shapes, the value nodes of the enclosing shape. Each constraint component is one query over that
pattern returning every violating (focus, value) pair at once; the value-level components of a
shape (datatype, node kind, ranges, lengths, patterns, languages) share one query. Logical
components (sh:not, sh:and, sh:or, sh:xone, sh:node, sh:qualifiedValueShape) join the value nodes
with the nodes that fail the nested shape, itself a SPARQL pattern (the union of the nested
shape's constraint queries, in "fail mode"), so nothing is evaluated node by node in Python and
no large set of nodes is held in Python; the members of an sh:or are checked one after the other
on the nodes that failed the ones before (listed when they are few).

Queries are written so that Oxigraph picks a good plan:
- few focus nodes: their values are looked up node by node (index lookups);
- many: a simple path (an IRI, an inverse, an alternative of those) is joined whole by hashing;
  value-level tests run once per distinct value of the relation, and only the failing values are
  joined back to their focus nodes; anti-joins (MINUS) replace per-node FILTER NOT EXISTS;
  sh:maxCount first groups the relation by COUNT(*) (a necessary condition);
- SPARQL constraints of the form `SELECT $this WHERE { FILTER NOT EXISTS { P } }` over few
  focus nodes run as one ASK per node with $this substituted (SHACL's pre-binding), which the
  planner handles far better than a correlated FILTER NOT EXISTS.
Whether a node conforms to a shape does not depend on the other focus nodes, so nested shapes
may be checked on a superset of the value nodes (all objects of the path's relation) and joined.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from .. import sparqltext as st
from .model import (_RANGES, LEXICAL, OWL, RDF, RDFS, TYPE, VIOLATION, XSD, Graph, Report, Result, ShapesError,
                    path_sparql, sh, term_sparql)

_TYPE_OF = f"<{RDF}type>/<{RDFS}subClassOf>*"
_SHAPE_PARAMS = ("class", "datatype", "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive",
                 "maxExclusive", "maxInclusive", "minLength", "maxLength", "pattern", "languageIn", "uniqueLang",
                 "equals", "disjoint", "lessThan", "lessThanOrEquals", "not", "and", "or", "xone", "node",
                 "property", "qualifiedValueShape", "closed", "hasValue", "in", "sparql")

# Below SMALL focus nodes, values are looked up node by node; from SMALL on, a simple path's whole
# relation (or a class's instances) is joined by hashing when it is at most RATIO times larger.
SMALL = 500
RATIO = 4


class Focus:
    """A set of nodes: `focus(v)` is a group-pattern element binding `v` to each node once.
    `est` estimates its size (an int, or a function computing it when first asked); `nodes` lists
    the nodes when the set is small and was listed (else None)."""

    def __init__(self, make: Callable[[str], str], est=None):
        self.make, self._est = make, est

    def __call__(self, v: str) -> str:
        return self.make(v)

    @property
    def est(self) -> int:
        if callable(self._est):
            self._est = self._est()
        return self._est if self._est is not None else 0

    @property
    def nodes(self) -> list | None:
        return None


class TargetFocus(Focus):
    """The targets of a shape: listed once, as VALUES, when there are few (none a blank node,
    which a query cannot name); otherwise a DISTINCT subquery over the target patterns."""

    def __init__(self, eng: SparqlEngine, body: str):
        self.e, self.body = eng, body
        self._nodes: list | None = None
        self._listed = False
        super().__init__(self._make, est=self._count)

    def _list(self):
        if not self._listed:
            self._listed = True
            rows = [r["_t"] for r in self.e.run(f"SELECT DISTINCT ?_t WHERE {{ {self.body} }} LIMIT {SMALL + 1}")]
            if len(rows) <= SMALL:
                self._est = len(rows)
                if not any(isinstance(n, ox.BlankNode) for n in rows):
                    self._nodes = rows
        return self._nodes

    @property
    def nodes(self) -> list | None:
        return self._list()

    def _make(self, v: str) -> str:
        nodes = self._list()
        if nodes is not None:
            return f"VALUES {v} {{ {' '.join(term_sparql(n) for n in nodes)} }}"
        return f"{{ SELECT DISTINCT {v} WHERE {{ {self.body.replace('?_t', v)} }} }}"

    def _count(self) -> int:
        self._list()
        if not callable(self._est):
            return self._est
        return self.e.count(f"{{ SELECT DISTINCT ?_t WHERE {{ {self.body} }} }}")


@dataclass
class Check:
    """One constraint query: `query` projects ?this (the focus node) and, for results, what
    `rows` reads; `done` holds results already computed (nested property shapes)."""

    query: str | None
    rows: Callable | None = None
    prefixes: dict = field(default_factory=dict)
    done: list | None = None
    tag: tuple = ()


def _merge(into: dict, more: dict) -> dict:
    for k, v in more.items():
        if into.get(k, v) != v:
            raise ShapesError(f"SPARQL constraints declare the prefix {k}: twice, as <{into[k]}> and <{v}>")
        into[k] = v
    return into


class SparqlEngine:
    """Validate the data in `store` against a shapes graph."""

    name = "sparql"

    def __init__(self, store: ox.Store, shapes: Graph, union: bool = True, default_graph=None):
        self.store, self.g = store, shapes
        self.union, self.default_graph = union, default_graph
        self._n = 0
        self.queries = 0
        self._counts: dict = {}
        self._targets: dict = {}
        self.timings: list | None = None  # set to a list to record (shape, component, seconds, results)

    # ---------------------------------------------------------------- helpers
    def run(self, q: str, substitutions=None, prefixes=None):
        self.queries += 1
        kw = {}
        if self.default_graph is not None:
            kw["default_graph"] = self.default_graph
        else:
            kw["use_default_graph_as_union"] = self.union
        if substitutions:
            kw["substitutions"] = substitutions
        if prefixes:
            kw["prefixes"] = prefixes
        try:
            return self.store.query(q, **kw)
        except SyntaxError as e:
            raise ShapesError(f"generated query could not be parsed ({e}):\n{q}") from None

    def fresh(self) -> str:
        self._n += 1
        return f"?_v{self._n}"

    def count(self, pattern: str) -> int:
        """The number of solutions of a group pattern (cached by its text)."""
        if pattern not in self._counts:
            rows = list(self.run(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"))
            self._counts[pattern] = int(rows[0]["n"].value) if rows else 0
        return self._counts[pattern]

    def few(self, select: str, var: str, prefixes=None) -> list | None:
        """The solutions of `select` for `var` when there are at most SMALL and none is a blank
        node (which a query cannot name), else None."""
        nodes = [r[var] for r in self.run(f"{select} LIMIT {SMALL + 1}", prefixes=prefixes)]
        if len(nodes) > SMALL or any(isinstance(n, ox.BlankNode) for n in nodes):
            return None
        return nodes

    def as_focus(self, focus) -> Focus:
        if isinstance(focus, Focus):
            return focus
        return Focus(focus, est=lambda: self.count(focus("?_n")))

    def simple_predicates(self, p) -> list | None:
        """The predicates of a path made of IRIs, inverses of IRIs and alternatives of those
        (a path whose whole relation is cheap to list), else None."""
        g = self.g
        if isinstance(p, ox.NamedNode):
            return [p]
        if isinstance(p, ox.BlankNode):
            inv = g.objects(p, sh("inversePath"))
            if len(inv) == 1 and isinstance(inv[0], ox.NamedNode) and not g.objects(p, sh("alternativePath")):
                return [inv[0]]
            alt = g.objects(p, sh("alternativePath"))
            if len(alt) == 1 and not inv:
                out = []
                for m in g.items(alt[0]):
                    more = self.simple_predicates(m)
                    if more is None:
                        return None
                    out += more
                return out
        return None

    def relation_size(self, preds: list) -> int:
        return sum(self.count(f"?_s {term_sparql(p)} ?_o") for p in preds)

    # ---------------------------------------------------------------- shapes and targets
    def top_shapes(self) -> list:
        g = self.g
        shapes = set()
        for p in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf"):
            shapes.update(g.subjects(sh(p)))
        for c in (ox.NamedNode(RDFS + "Class"), ox.NamedNode(OWL + "Class")):
            for s in g.subjects(TYPE, c):
                if sh("NodeShape") in g.objects(s, TYPE) or sh("PropertyShape") in g.objects(s, TYPE):
                    shapes.add(s)
        return sorted(shapes, key=str)

    def target_focus(self, s) -> Focus | None:
        """The focus nodes of a shape's targets, each once."""
        g = self.g
        parts: list[str] = []
        classes = list(g.objects(s, sh("targetClass")))
        types = g.objects(s, TYPE)
        if ox.NamedNode(RDFS + "Class") in types or ox.NamedNode(OWL + "Class") in types:
            classes.append(s)
        for c in classes:
            if isinstance(c, ox.NamedNode):
                parts.append(f"?_t {_TYPE_OF} {term_sparql(c)} .")
        nodes = [n for n in g.objects(s, sh("targetNode")) if not isinstance(n, ox.BlankNode)]
        if nodes:
            parts.append(f"VALUES ?_t {{ {' '.join(term_sparql(n) for n in nodes)} }}")
        for p in g.objects(s, sh("targetSubjectsOf")):
            parts.append(f"?_t {term_sparql(p)} ?_x .")
        for p in g.objects(s, sh("targetObjectsOf")):
            parts.append(f"?_x {term_sparql(p)} ?_t .")
        if not parts:
            return None
        body = "{ " + " } UNION { ".join(parts) + " }"
        if body not in self._targets:
            self._targets[body] = TargetFocus(self, body)
        return self._targets[body]

    # ---------------------------------------------------------------- validation
    def validate(self) -> Report:
        results: list[Result] = []
        for s in self.top_shapes():
            f = self.target_focus(s)
            if f is not None:
                results += self.evaluate(s, f)
        return Report(results, self.name)

    def checks(self, s, focus: Focus, fail: bool) -> list[Check]:
        """The constraint queries of shape `s` over `focus`: for its results, or (`fail`) only
        for the focus nodes that do not conform."""
        if self.g.value(s, sh("deactivated")) == ox.Literal(True):
            return []
        ctx = _Ctx(self, s, focus, fail)
        out: list[Check] = []
        for local in _SHAPE_PARAMS:
            if not self.g.objects(s, sh(local)):
                continue
            fn = getattr(ctx, "c_" + local, None)
            if fn is not None:
                for c in fn():
                    c.tag = c.tag or (s, local)
                    out.append(c)
        for c in ctx.filter_checks():
            c.tag = (s, "+".join(sorted({f[0] for f in ctx._filters})))
            out.append(c)
        for c in out:
            _merge(c.prefixes, ctx.prefixes)
        return out

    def evaluate(self, s, focus) -> list[Result]:
        focus = self.as_focus(focus)
        out: list[Result] = []
        for c in self.checks(s, focus, fail=False):
            if c.done is not None:
                out += c.done
            elif self.timings is None:
                out += c.rows(self.run(c.query, prefixes=c.prefixes))
            else:
                t0 = time.perf_counter()
                rs = c.rows(self.run(c.query, prefixes=c.prefixes))
                self.timings.append((c.tag[0], c.tag[1], time.perf_counter() - t0, len(rs)))
                out += rs
        return out

    def fail_pattern(self, s, focus, out: str) -> tuple[str | None, dict]:
        """A group pattern binding `out` to the nodes of `focus` that do not conform to `s`
        (None when no node can fail), and the prefixes it needs."""
        checks = [c for c in self.checks(s, self.as_focus(focus), fail=True) if c.query is not None]
        if not checks:
            return None, {}
        prefixes: dict = {}
        for c in checks:
            _merge(prefixes, c.prefixes)
        body = " UNION ".join(f"{{ {c.query} }}" for c in checks)
        proj = "?this" if out == "?this" else f"(?this AS {out})"
        return f"{{ SELECT DISTINCT {proj} WHERE {{ {body} }} }}", prefixes


# the lexical forms of the datatypes model.well_formed checks, for REGEX (Python's `$` also
# matches before a final newline, hence the optional \n)
_LEXICAL_SPARQL = {dt: f"^(?:{rx})\n?$" for dt, rx in LEXICAL.items()}


# Datatypes whose literals Oxigraph keeps as they are typed (it stores xsd:int, xsd:byte, ... as
# xsd:integer): for these, "?value is a literal of datatype D" is tested as
# sameTerm(STRDT(STR(?value), D), ?value), which is cheaper than DATATYPE(?value) = D.
_KEPT = {XSD + t for t in ("string", "boolean", "decimal", "integer", "double", "float", "date", "dateTime", "time",
                           "gYear", "gYearMonth", "gMonth", "gDay", "gMonthDay", "duration", "dayTimeDuration",
                           "yearMonthDuration", "anyURI")}
_kept_checked: set | None = None


def _kept() -> set:
    """_KEPT, less any datatype this Oxigraph turns into another one (checked once)."""
    global _kept_checked
    if _kept_checked is None:
        st = ox.Store()
        samples = ("1", "0", "x", "2020-01-01", "2020-01-01T00:00:00Z", "10:00:00", "P1D", "P1Y", "--01", "---01")
        values = " ".join(f"({term_sparql(ox.Literal(v))} <{d}>)" for d in sorted(_KEPT) for v in samples)
        changed = {r["d"].value for r in st.query(
            f"SELECT DISTINCT ?d WHERE {{ VALUES (?v ?d) {{ {values} }} "
            f"FILTER(!sameTerm(DATATYPE(STRDT(?v, ?d)), ?d)) }}")}
        _kept_checked = _KEPT - changed
    return _kept_checked


def _datatype_violation(d) -> str:
    """A SPARQL condition true when ?value is not a well-formed literal of datatype `d`."""
    if not isinstance(d, ox.NamedNode):
        return "true"
    if d.value in _kept():
        typed = f"!(isLiteral(?value) && sameTerm(STRDT(STR(?value), {term_sparql(d)}), ?value))"
    else:
        typed = f"!(isLiteral(?value) && datatype(?value) = {term_sparql(d)})"
    rx = _LEXICAL_SPARQL.get(d.value)
    if rx is None:
        return typed
    cond = f"{typed} || !REGEX(STR(?value), {term_sparql(ox.Literal(rx))})"
    if d.value in _RANGES:
        lo, hi = _RANGES[d.value]
        n = '<http://www.w3.org/2001/XMLSchema#integer>(REPLACE(STR(?value), "\\n$", ""))'
        cond += f" || !COALESCE({n} >= {lo} && {n} <= {hi}, false)"
    return cond


class _Ctx:
    """The constraint queries of one shape over one focus pattern."""

    def __init__(self, eng: SparqlEngine, s, focus: Focus, fail: bool):
        self.e, self.g, self.s = eng, eng.g, s
        self.focus, self.fail = focus, fail
        self.path_t = self.g.value(s, sh("path"))
        self.path = path_sparql(self.g, self.path_t) if self.path_t is not None else None
        self.severity = self.g.value(s, sh("severity"), VIOLATION)
        self.messages = tuple(self.g.objects(s, sh("message")))
        self.prefixes: dict = {}
        self._filters: list[tuple] = []
        self._hash = None
        self._vnf = None

    # -- joins
    @property
    def big(self) -> bool:
        return self.focus.est >= SMALL

    @property
    def hash_path(self) -> bool:
        """Whether to join the focus nodes with the path's whole relation (by hashing)."""
        if self._hash is None:
            preds = self.e.simple_predicates(self.path_t) if self.path_t is not None else None
            self._hash = bool(preds) and self.big and self.e.relation_size(preds) <= RATIO * self.focus.est
        return self._hash

    def V(self, t: str, v: str) -> str:
        """A group pattern binding (t, v) to each focus node and each of its value nodes."""
        if self.path is None:
            return f"{self.focus(t)} BIND({t} AS {v})"
        if self.hash_path:
            return f"{self.focus(t)} {{ SELECT {t} {v} WHERE {{ {t} {self.path} {v} }} }}"
        return f"{self.focus(t)} {t} {self.path} {v} ."

    def values_focus(self) -> Focus:
        """The value nodes of this shape, each once: the focus of its nested property shapes."""
        if self.path is None:
            return self.focus

        def make(v: str) -> str:
            return f"{{ SELECT DISTINCT {v} WHERE {{ {self.V(self.e.fresh(), v)} }} }}"

        return Focus(make, est=lambda: self.focus.est)

    @property
    def vnf(self) -> Focus:
        """The nodes whose conformance to nested shapes is checked: the value nodes, or, for a
        path whose relation is joined whole, every object of that relation (a superset: whether a
        node conforms to a shape does not depend on the other focus nodes, and the failing nodes
        are joined with the value nodes)."""
        if self._vnf is None:
            if self.hash_path:
                size = self.e.relation_size(self.e.simple_predicates(self.path_t))
                path = self.path
                self._vnf = Focus(lambda v: f"{{ SELECT DISTINCT {v} WHERE {{ ?_s {path} {v} }} }}", est=size)
            else:
                self._vnf = self.values_focus()
        return self._vnf

    def nested(self, shape) -> str | None:
        """A group pattern binding ?value to the value nodes that do not conform to `shape`."""
        pattern, prefixes = self.e.fail_pattern(shape, self.vnf, "?value")
        _merge(self.prefixes, prefixes)
        return pattern

    def with_values(self, bad: str) -> str:
        """A group pattern binding (?this, ?value) to the focus nodes and those of their value
        nodes that `bad` (a group pattern over ?value, given the values focus `vnf`) selects."""
        if self.hash_path:
            # the bad values first (few, usually), then their focus nodes
            return f"{bad} ?this {self.path} ?value . {self.focus('?this')}"
        return f"{self.V('?this', '?value')} {bad}"

    # -- result helpers
    def res(self, component: str, focus, value=None, path_t="same", path_text=None, messages=None, constraint=None):
        if path_t == "same":
            path_t, path_text = self.path_t, self.path
        return Result(focus=focus, shape=self.s, component=sh(component + "ConstraintComponent"),
                      severity=self.severity, path=path_t, path_text=path_text,
                      value=value, messages=messages if messages is not None else self.messages,
                      constraint=constraint)

    def check(self, select: str, body: str, rows, group: str = "") -> Check:
        """A query `SELECT select WHERE { body } group`; in fail mode projecting ?this only."""
        if self.fail:
            distinct = "" if group else "DISTINCT "
            return Check(f"SELECT {distinct}?this WHERE {{ {body} }} {group}")
        return Check(f"SELECT {select} WHERE {{ {body} }} {group}", rows)

    def pairs_check(self, component: str, extra: str) -> Check:
        """Violations: the distinct (focus, value) pairs for which `extra` holds."""
        return self.check("DISTINCT ?this ?value", f"{self.V('?this', '?value')} {extra}",
                          lambda rows: [self.res(component, r["this"], r["value"]) for r in rows])

    def value_check(self, component: str, extra: str) -> Check:
        """Violations: the distinct (focus, value) pairs whose value node satisfies `extra`, a
        pattern over ?value alone."""
        if self.hash_path:
            bad = f"{{ SELECT DISTINCT ?value WHERE {{ {self.vnf('?value')} {extra} }} }}"
        else:
            bad = extra
        return self.check("DISTINCT ?this ?value", self.with_values(bad),
                          lambda rows: [self.res(component, r["this"], r["value"]) for r in rows])

    def focus_check(self, component: str, extra: str) -> Check:
        """Violations: the focus nodes for which `extra` holds (no value)."""
        return self.check("DISTINCT ?this", f"{self.focus('?this')} {extra}",
                          lambda rows: [self.res(component, r["this"]) for r in rows])

    def add_filter(self, component: str, cond: str, value: bool = True):
        """A value-level constraint: `cond` (on ?value) holds for each violating value node."""
        self._filters.append((component, f"COALESCE({cond}, false)", value))

    def filter_checks(self) -> list[Check]:
        """One query for all of the shape's value-level constraints."""
        fs = self._filters
        if not fs:
            return []
        binds = " ".join(f"BIND({c} AS ?_f{i})" for i, (_, c, _) in enumerate(fs))
        flags = " ".join(f"?_f{i}" for i in range(len(fs)))
        cond = " || ".join(f"?_f{i}" for i in range(len(fs)))
        if self.hash_path:
            # each distinct value is tested once
            bad = f"{{ SELECT ?value {flags} WHERE {{ {self.vnf('?value')} {binds} FILTER({cond}) }} }}"
        else:
            bad = f"{binds} FILTER({cond})"
        body = self.with_values(bad)
        if self.fail:
            return [Check(f"SELECT DISTINCT ?this WHERE {{ {body} }}")]

        def rows(sols):
            out = []
            for r in sols:
                for i, (component, _, with_value) in enumerate(fs):
                    f = r[f"_f{i}"]
                    if f is not None and f.value == "true":
                        out.append(self.res(component, r["this"], r["value"] if with_value else None))
            return out

        return [Check(f"SELECT DISTINCT ?this ?value {flags} WHERE {{ {body} }}", rows)]

    def objs(self, local):
        return self.g.objects(self.s, sh(local))

    # -- value type
    def c_class(self):
        out = []
        for c in self.objs("class"):
            inst = f"?value {_TYPE_OF} {term_sparql(c)}"
            values = self.vnf.est if self.hash_path else self.focus.est
            if values >= SMALL and self.e.count(f"{{ SELECT DISTINCT ?value WHERE {{ {inst} }} }}") <= RATIO * values:
                out.append(self.value_check("Class", f"MINUS {{ {inst} }}"))
            else:
                out.append(self.value_check("Class", f"FILTER NOT EXISTS {{ {inst} }}"))
        return out

    def c_datatype(self):
        for d in self.objs("datatype"):
            self.add_filter("Datatype", _datatype_violation(d))
        return []

    def c_nodeKind(self):
        kinds = {"BlankNode": "isBlank(?value)", "IRI": "isIRI(?value)", "Literal": "isLiteral(?value)",
                 "BlankNodeOrIRI": "(isBlank(?value) || isIRI(?value))",
                 "BlankNodeOrLiteral": "(isBlank(?value) || isLiteral(?value))",
                 "IRIOrLiteral": "(isIRI(?value) || isLiteral(?value))"}
        for k in self.objs("nodeKind"):
            cond = kinds.get(k.value.replace("http://www.w3.org/ns/shacl#", "")) if isinstance(k, ox.NamedNode) else None
            if cond is None:
                raise ShapesError(f"unknown sh:nodeKind {k}")
            self.add_filter("NodeKind", f"!{cond}")
        return []

    # -- cardinality
    def c_minCount(self):
        if not self.path:
            return []
        out = []
        for n in self.objs("minCount"):
            k = int(n.value)
            if k <= 0:
                continue
            rows = (lambda sols: [self.res("MinCount", r["this"]) for r in sols])
            if k == 1:
                anti = "MINUS" if self.hash_path else "FILTER NOT EXISTS"
                out.append(self.check("DISTINCT ?this", f"{self.focus('?this')} {anti} {{ ?this {self.path} ?_any }}",
                                      rows))
            else:
                out.append(self.check("?this", f"{self.focus('?this')} OPTIONAL {{ ?this {self.path} ?value }}", rows,
                                      f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {k})"))
        return out

    def c_maxCount(self):
        if not self.path:
            return []
        out = []
        for n in self.objs("maxCount"):
            k = int(n.value)
            if self.hash_path:
                # candidates: more than k statements (a triple may be in several graphs)
                cand = f"{{ SELECT ?this WHERE {{ ?this {self.path} ?_v }} GROUP BY ?this HAVING (COUNT(*) > {k}) }}"
                body = f"{cand} {self.focus('?this')} ?this {self.path} ?value ."
            else:
                body = self.V("?this", "?value")
            out.append(self.check("?this", body, lambda sols: [self.res("MaxCount", r["this"]) for r in sols],
                                  f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) > {k})"))
        return out

    # -- value range
    def _range(self, local, component, op):
        for lim in self.objs(local):
            self.add_filter(component, f"!COALESCE(?value {op} {term_sparql(lim)}, false)")
        return []

    def c_minExclusive(self):
        return self._range("minExclusive", "MinExclusive", ">")

    def c_minInclusive(self):
        return self._range("minInclusive", "MinInclusive", ">=")

    def c_maxExclusive(self):
        return self._range("maxExclusive", "MaxExclusive", "<")

    def c_maxInclusive(self):
        return self._range("maxInclusive", "MaxInclusive", "<=")

    # -- string based
    def c_minLength(self):
        for n in self.objs("minLength"):
            self.add_filter("MinLength", f"isBlank(?value) || !COALESCE(STRLEN(STR(?value)) >= {int(n.value)}, false)")
        return []

    def c_maxLength(self):
        for n in self.objs("maxLength"):
            self.add_filter("MaxLength", f"isBlank(?value) || !COALESCE(STRLEN(STR(?value)) <= {int(n.value)}, false)")
        return []

    def c_pattern(self):
        flags = self.g.value(self.s, sh("flags"))
        fl = f", {term_sparql(ox.Literal(flags.value))}" if flags is not None else ""
        for p in self.objs("pattern"):
            self.add_filter("Pattern", f"isBlank(?value) || "
                                       f"!COALESCE(REGEX(STR(?value), {term_sparql(ox.Literal(p.value))}{fl}), false)")
        return []

    def c_languageIn(self):
        for lst in self.objs("languageIn"):
            tags = [t.value for t in self.g.items(lst)]
            cond = " || ".join(f"langMatches(lang(?value), {term_sparql(ox.Literal(t))})" for t in tags) or "false"
            self.add_filter("LanguageIn", f"!isLiteral(?value) || !COALESCE({cond}, false)")
        return []

    def c_uniqueLang(self):
        if not self.path or ox.Literal(True) not in self.objs("uniqueLang"):
            return []
        return [self.check("DISTINCT ?this ?lang",
                           f"{self.V('?this', '?a')} ?this {self.path} ?b . "
                           f"FILTER(!sameTerm(?a, ?b) && lang(?a) != '' && lang(?a) = lang(?b)) BIND(lang(?a) AS ?lang)",
                           lambda sols: [self.res("UniqueLang", r["this"]) for r in sols])]

    # -- property pairs
    def c_equals(self):
        out = []
        for p in self.objs("equals"):
            pp = term_sparql(p)
            out.append(self.pairs_check("Equals", f"FILTER NOT EXISTS {{ ?this {pp} ?value }}"))
            own = f"?this {self.path} ?value" if self.path else "FILTER(sameTerm(?this, ?value))"
            out.append(self.check("DISTINCT ?this ?value",
                                  f"{self.focus('?this')} ?this {pp} ?value . FILTER NOT EXISTS {{ {own} }}",
                                  lambda sols: [self.res("Equals", r["this"], r["value"]) for r in sols]))
        return out

    def c_disjoint(self):
        return [self.pairs_check("Disjoint", f"?this {term_sparql(p)} ?value .") for p in self.objs("disjoint")]

    def _compare(self, local, component, op):
        if not self.path:
            return []
        return [self.check("DISTINCT ?this ?value ?other",
                           f"{self.V('?this', '?value')} ?this {term_sparql(p)} ?other . "
                           f"FILTER(!COALESCE(?value {op} ?other, false))",
                           lambda sols: [self.res(component, r["this"], r["value"]) for r in sols])
                for p in self.objs(local)]

    def c_lessThan(self):
        return self._compare("lessThan", "LessThan", "<")

    def c_lessThanOrEquals(self):
        return self._compare("lessThanOrEquals", "LessThanOrEquals", "<=")

    # -- logical
    def c_not(self):
        out = []
        for n in self.objs("not"):
            bad = self.nested(n)
            out.append(self.value_check("Not", f"MINUS {bad}" if bad is not None else ""))
        return out

    def c_and(self):
        out = []
        for lst in self.objs("and"):
            bads = [b for b in (self.nested(m) for m in self.g.items(lst)) if b is not None]
            if bads:
                out.append(self.value_check("And", "{ " + " UNION ".join(bads) + " }"))
        return out

    def c_or(self):
        out = []
        for lst in self.objs("or"):
            members = self.g.items(lst)
            if not members:
                out.append(self.value_check("Or", ""))  # no member to conform to
                continue
            bad = self.failing_all(members)
            if bad is not None:
                out.append(self.value_check("Or", bad))
        return out

    def failing_all(self, shapes) -> str | None:
        """A group pattern binding ?value to the value nodes that conform to none of `shapes`
        (None if there are none): each shape is checked only on the nodes that failed the ones
        before it (whether a node conforms does not depend on the other focus nodes)."""
        cur = self.vnf
        for m in shapes:
            pattern, prefixes = self.e.fail_pattern(m, cur, "?_o")
            if pattern is None:
                return None
            _merge(self.prefixes, prefixes)
            # few failing nodes are listed once, not evaluated again in each later check
            nodes = self.e.few(f"SELECT DISTINCT ?_o WHERE {{ {pattern} }}", "_o", prefixes=self.prefixes)
            if nodes is not None:
                if not nodes:
                    return None
                cur = Focus(lambda v, nodes=nodes: f"VALUES {v} {{ {' '.join(term_sparql(n) for n in nodes)} }}",
                            est=len(nodes))
            else:
                cur = Focus(lambda v, m=m, cur=cur: self.e.fail_pattern(m, cur, v)[0], est=cur._est)
        return cur("?value")

    def c_xone(self):
        out = []
        for lst in self.objs("xone"):
            bads = [self.nested(m) for m in self.g.items(lst)]
            always = sum(b is None for b in bads)
            opts = [f"OPTIONAL {{ {b} BIND(1 AS ?_x{i}) }}" for i, b in enumerate(bads) if b is not None]
            conforming = " + ".join([str(always)] + [f"IF(BOUND(?_x{i}), 0, 1)"
                                                     for i, b in enumerate(bads) if b is not None])
            out.append(self.value_check("Xone", f"{' '.join(opts)} FILTER(({conforming}) != 1)"))
        return out

    def c_node(self):
        out = []
        for n in self.objs("node"):
            bad = self.nested(n)
            if bad is not None:
                out.append(self.value_check("Node", bad))
        return out

    def c_property(self):
        out = []
        vf = self.values_focus()
        for p in self.objs("property"):
            if self.fail:
                # this shape's focus node fails when one of its value nodes fails `p`
                pattern, prefixes = self.e.fail_pattern(p, vf, "?value" if self.path else "?this")
                if pattern is None:
                    continue
                body = f"{self.V('?this', '?value')} {pattern}" if self.path else pattern
                out.append(Check(f"SELECT DISTINCT ?this WHERE {{ {body} }}", prefixes=prefixes))
                continue
            results = self.e.evaluate(p, vf)
            if results and self.path:
                # one result per way the enclosing shape reaches the value node
                q = (f"SELECT ?value (COUNT(DISTINCT ?this) AS ?n) WHERE {{ {self.V('?this', '?value')} }} "
                     f"GROUP BY ?value HAVING (COUNT(DISTINCT ?this) > 1)")
                mult = {r["value"]: int(r["n"].value) for r in self.e.run(q)}
                results = [r for r in results for _ in range(mult.get(r.focus, 1))]
            out.append(Check(None, done=results))
        return out

    def c_qualifiedValueShape(self):
        if not self.path:
            return []
        out = []
        disjoint = self.g.value(self.s, sh("qualifiedValueShapesDisjoint")) == ox.Literal(True)
        qmin, qmax = self.g.value(self.s, sh("qualifiedMinCount")), self.g.value(self.s, sh("qualifiedMaxCount"))
        conds = []
        if qmin is not None:
            conds.append(f"COUNT(DISTINCT ?value) < {int(qmin.value)}")
        if qmax is not None:
            conds.append(f"COUNT(DISTINCT ?value) > {int(qmax.value)}")
        if not conds:
            return []
        for q in self.objs("qualifiedValueShape"):
            siblings = []
            if disjoint:
                for parent in self.g.subjects(sh("property"), self.s):
                    for ps in self.g.objects(parent, sh("property")):
                        for sq in self.g.objects(ps, sh("qualifiedValueShape")):
                            if sq != q and sq not in siblings:
                                siblings.append(sq)
            # the value nodes that conform to q and to none of the siblings
            parts = [self.V("?this", "?value")]
            bad = self.nested(q)
            if bad is not None:
                parts.append(f"MINUS {bad}")
            for sq in siblings:
                sbad = self.nested(sq)
                parts.append(sbad if sbad is not None else "FILTER(false)")
            counted = f"{{ SELECT ?this ?value WHERE {{ {' '.join(parts)} }} }}"

            def rows(sols):
                res = []
                for r in sols:
                    n = int(r["n"].value)
                    if qmin is not None and n < int(qmin.value):
                        res.append(self.res("QualifiedMinCount", r["this"]))
                    if qmax is not None and n > int(qmax.value):
                        res.append(self.res("QualifiedMaxCount", r["this"]))
                return res

            out.append(self.check("?this (COUNT(DISTINCT ?value) AS ?n)",
                                  f"{self.focus('?this')} OPTIONAL {counted}", rows,
                                  f"GROUP BY ?this HAVING ({' || '.join(conds)})"))
        return out

    # -- other
    def c_closed(self):
        if ox.Literal(True) not in self.objs("closed"):
            return []
        allowed = {p for ps in self.objs("property") for p in self.g.objects(ps, sh("path")) if isinstance(p, ox.NamedNode)}
        for lst in self.objs("ignoredProperties"):
            allowed.update(self.g.items(lst))
        cond = " && ".join(f"?p != {term_sparql(p)}" for p in sorted(allowed, key=str)) or "true"
        return [self.check("DISTINCT ?this ?p ?o", f"{self.V('?this', '?x')} ?x ?p ?o . FILTER({cond})",
                           lambda sols: [self.res("Closed", r["this"], r["o"], path_t=r["p"],
                                                  path_text=term_sparql(r["p"])) for r in sols])]

    def c_hasValue(self):
        out = []
        for val in self.objs("hasValue"):
            if not self.path:
                self.add_filter("HasValue", f"!sameTerm(?value, {term_sparql(val)})", value=False)
                continue
            if isinstance(val, ox.NamedNode):
                has = f"?this {self.path} {term_sparql(val)}"
            else:
                has = f"?this {self.path} ?_hv . FILTER(sameTerm(?_hv, {term_sparql(val)}))"
            anti = "MINUS" if self.hash_path else "FILTER NOT EXISTS"
            out.append(self.focus_check("HasValue", f"{anti} {{ {has} }}"))
        return out

    def c_in(self):
        out = []
        for lst in self.objs("in"):
            # (a blank node in the list cannot be named in a query; it matches no value node)
            allowed = " ".join(term_sparql(t) for t in self.g.items(lst) if not isinstance(t, ox.BlankNode))
            out.append(self.value_check("In", f"MINUS {{ VALUES ?value {{ {allowed} }} }}"))
        return out

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
                _merge(prefixes, declared_prefixes(self.g, c))
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
                                     prefixes=_merge(dict(prologue), self.prefixes))
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
                _merge(out, {p.value: ns.value})
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
        _merge(prefixes, {toks[i + 1].prefix: toks[i + 2].text[1:-1]})
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
