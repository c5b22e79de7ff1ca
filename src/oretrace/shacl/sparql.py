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

The engine (this module: shapes, targets and the validation of SHACL 1.0 section 3) runs the
queries that plan.py shapes, core.py (section 4, core constraint components) and sparql_based.py
(section 5, SPARQL-based constraints) write.
"""

from __future__ import annotations

import time

import pyoxigraph as ox

from .core import CoreComponents
from .model import OWL, RDFS, TYPE, Graph, Report, Result, ShapesError, sh, term_sparql
from .plan import _TYPE_OF, SMALL, Check, Focus, TargetFocus, merge_prefixes
from .sparql_based import SparqlComponent

_SHAPE_PARAMS = ("class", "datatype", "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive",
                 "maxExclusive", "maxInclusive", "minLength", "maxLength", "pattern", "languageIn", "uniqueLang",
                 "equals", "disjoint", "lessThan", "lessThanOrEquals", "not", "and", "or", "xone", "node",
                 "property", "qualifiedValueShape", "closed", "hasValue", "in", "sparql")


class _Ctx(CoreComponents, SparqlComponent):
    """The constraint queries of one shape over one focus pattern: the core components and SPARQL-based constraints."""


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
            merge_prefixes(c.prefixes, ctx.prefixes)
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
            merge_prefixes(prefixes, c.prefixes)
        body = " UNION ".join(f"{{ {c.query} }}" for c in checks)
        proj = "?this" if out == "?this" else f"(?this AS {out})"
        return f"{{ SELECT DISTINCT {proj} WHERE {{ {body} }} }}", prefixes

