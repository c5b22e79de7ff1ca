"""Planning the queries of the SPARQL SHACL engine: focus nodes as group patterns (SHACL 1.0
section 2.1, targets), the sizes at which a query looks values up node by node or joins whole
relations by hashing, and what the constraint queries of one shape over one focus pattern are
built from: the join of the focus nodes with their value nodes, the nested shapes' failing
nodes, the results, and the value-level tests batched into one query per shape.

The constraint components built on it are in core.py (section 4) and sparql_based.py (section 5);
the engine that runs them over the shapes graph is sparql.py (section 3, validation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .model import RDF, RDFS, VIOLATION, Result, ShapesError, path_sparql, sh, term_sparql

if TYPE_CHECKING:
    from .sparql import SparqlEngine

_TYPE_OF = f"<{RDF}type>/<{RDFS}subClassOf>*"
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


def merge_prefixes(into: dict, more: dict) -> dict:
    for k, v in more.items():
        if into.get(k, v) != v:
            raise ShapesError(f"SPARQL constraints declare the prefix {k}: twice, as <{into[k]}> and <{v}>")
        into[k] = v
    return into



class ShapeQueries:
    """What the constraint queries of one shape over one focus pattern are made of; the
    components (core.CoreComponents, sparql_based.SparqlComponent) add one method each."""

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
        merge_prefixes(self.prefixes, prefixes)
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
