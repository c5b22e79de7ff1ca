"""A SHACL Core and SHACL-SPARQL processor that evaluates each constraint set-at-a-time as
SPARQL over a pyoxigraph Store.

A shape's focus nodes are a SPARQL group pattern binding one variable (its targets, or, for
nested shapes, the value nodes of the enclosing shape); each constraint component is one query
over that pattern returning every violating (focus, value) pair at once. Logical components
(sh:not, sh:and, sh:or, sh:xone, sh:node, sh:qualifiedValueShape) evaluate the nested shape on
the set of value nodes and compare sets.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable

import pyoxigraph as ox

from .model import (OWL, RDF, RDFS, TYPE, VIOLATION, Graph, Report, Result, ShapesError, path_sparql, sh,
                    term_sparql, well_formed)

Focus = Callable[[str], str]  # variable name -> group pattern binding it

_TYPE_OF = f"<{RDF}type>/<{RDFS}subClassOf>*"
_SHAPE_PARAMS = ("class", "datatype", "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive",
                 "maxExclusive", "maxInclusive", "minLength", "maxLength", "pattern", "languageIn", "uniqueLang",
                 "equals", "disjoint", "lessThan", "lessThanOrEquals", "not", "and", "or", "xone", "node",
                 "property", "qualifiedValueShape", "closed", "hasValue", "in", "sparql")


class SparqlEngine:
    """Validate the data in `store` against a shapes graph."""

    name = "sparql"

    def __init__(self, store: ox.Store, shapes: Graph, union: bool = True, default_graph=None):
        self.store, self.g = store, shapes
        self.union, self.default_graph = union, default_graph
        self._n = 0
        self.queries = 0

    # ---------------------------------------------------------------- helpers
    def run(self, q: str, substitutions=None):
        self.queries += 1
        kw = {}
        if self.default_graph is not None:
            kw["default_graph"] = self.default_graph
        else:
            kw["use_default_graph_as_union"] = self.union
        if substitutions:
            kw["substitutions"] = substitutions
        try:
            return self.store.query(q, **kw)
        except SyntaxError as e:
            raise ShapesError(f"generated query could not be parsed ({e}):\n{q}") from None

    def fresh(self) -> str:
        self._n += 1
        return f"?_v{self._n}"

    def param(self, s, local):
        return self.g.value(s, sh(local))

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
        g = self.g
        parts: list[Callable[[str], str]] = []
        classes = list(g.objects(s, sh("targetClass")))
        types = g.objects(s, TYPE)
        if ox.NamedNode(RDFS + "Class") in types or ox.NamedNode(OWL + "Class") in types:
            classes.append(s)
        for c in classes:
            if isinstance(c, ox.NamedNode):
                parts.append(lambda v, c=c: f"{v} {_TYPE_OF} {term_sparql(c)} .")
        nodes = [n for n in g.objects(s, sh("targetNode")) if not isinstance(n, ox.BlankNode)]
        if nodes:
            parts.append(lambda v, nodes=nodes: f"VALUES {v} {{ {' '.join(term_sparql(n) for n in nodes)} }}")
        for p in g.objects(s, sh("targetSubjectsOf")):
            parts.append(lambda v, p=p: f"{v} {term_sparql(p)} {self.fresh()} .")
        for p in g.objects(s, sh("targetObjectsOf")):
            parts.append(lambda v, p=p: f"{self.fresh()} {term_sparql(p)} {v} .")
        if not parts:
            return None
        return lambda v: "{ " + " } UNION { ".join(f(v) for f in parts) + " }"

    # ---------------------------------------------------------------- validation
    def validate(self) -> Report:
        results: list[Result] = []
        for s in self.top_shapes():
            f = self.target_focus(s)
            if f is not None:
                results += self.evaluate(s, f)
        return Report(results, self.name)

    def failing(self, s, focus: Focus) -> set:
        """The focus nodes that do not conform to shape `s`."""
        return {r.focus for r in self.evaluate(s, focus)}

    def evaluate(self, s, focus: Focus) -> list[Result]:
        g = self.g
        if g.value(s, sh("deactivated")) == ox.Literal(True):
            return []
        path_t = g.value(s, sh("path"))
        path = path_sparql(g, path_t) if path_t is not None else None
        severity = g.value(s, sh("severity"), VIOLATION)
        messages = tuple(g.objects(s, sh("message")))

        def value_pattern(t: str, v: str) -> str:
            if path is None:
                return f"{{ {focus(t)} }} BIND({t} AS {v})"
            return f"{{ {focus(t)} }} {t} {path} {v} ."

        def values_focus(v: str) -> str:
            t = self.fresh()
            return value_pattern(t, v)

        ctx = _Ctx(self, s, focus, path, path_t, severity, messages, value_pattern, values_focus)
        out: list[Result] = []
        for local in _SHAPE_PARAMS:
            if not g.objects(s, sh(local)):
                continue
            fn = getattr(ctx, "c_" + local, None)
            if fn is not None:
                out += fn()
        if g.objects(s, sh("qualifiedValueShape")) and path is None:
            pass
        return out


class _Ctx:
    """Evaluation of the constraints of one shape over one focus pattern."""

    def __init__(self, eng: SparqlEngine, s, focus, path, path_t, severity, messages, value_pattern, values_focus):
        self.e, self.g, self.s = eng, eng.g, s
        self.focus, self.path, self.path_t = focus, path, path_t
        self.severity, self.messages = severity, messages
        self.V, self.values_focus = value_pattern, values_focus

    # -- result helpers
    def res(self, component: str, focus, value=None, path_t="same", path_text=None, messages=None, constraint=None):
        if path_t == "same":
            path_t, path_text = self.path_t, self.path
        return Result(focus=focus, shape=self.s, component=sh(component + "ConstraintComponent"),
                      severity=self.severity, path=path_t, path_text=path_text,
                      value=value, messages=messages if messages is not None else self.messages,
                      constraint=constraint)

    def node_value(self, v):
        """sh:value for a node shape is the focus node; for a property shape, the value node."""
        return v

    def pairs_where(self, component: str, cond: str, extra: str = "", also: str = "") -> list[Result]:
        q = f"SELECT DISTINCT ?this ?value {also} WHERE {{ {self.V('?this', '?value')} {extra} FILTER({cond}) }}"
        return [self.res(component, r["this"], r["value"]) for r in self.e.run(q)]

    def pairs(self) -> list[tuple]:
        q = f"SELECT DISTINCT ?this ?value WHERE {{ {self.V('?this', '?value')} }}"
        return [(r["this"], r["value"]) for r in self.e.run(q)]

    def focus_nodes(self) -> list:
        q = f"SELECT DISTINCT ?this WHERE {{ {self.focus('?this')} }}"
        return [r["this"] for r in self.e.run(q)]

    def objs(self, local):
        return self.g.objects(self.s, sh(local))

    # -- value type
    def c_class(self):
        out = []
        for c in self.objs("class"):
            out += self.pairs_where("Class", "true",
                                    f"FILTER NOT EXISTS {{ ?value {_TYPE_OF} {term_sparql(c)} }}")
        return out

    def c_datatype(self):
        out = []
        for d in self.objs("datatype"):
            for t, v in self.pairs():
                ok = isinstance(v, ox.Literal) and v.datatype == d and well_formed(v)
                if not ok:
                    out.append(self.res("Datatype", t, v))
        return out

    def c_nodeKind(self):
        kinds = {"BlankNode": "isBlank(?value)", "IRI": "isIRI(?value)", "Literal": "isLiteral(?value)",
                 "BlankNodeOrIRI": "(isBlank(?value) || isIRI(?value))",
                 "BlankNodeOrLiteral": "(isBlank(?value) || isLiteral(?value))",
                 "IRIOrLiteral": "(isIRI(?value) || isLiteral(?value))"}
        out = []
        for k in self.objs("nodeKind"):
            cond = kinds.get(k.value.replace("http://www.w3.org/ns/shacl#", "")) if isinstance(k, ox.NamedNode) else None
            if cond is None:
                raise ShapesError(f"unknown sh:nodeKind {k}")
            out += self.pairs_where("NodeKind", f"!{cond}")
        return out

    # -- cardinality
    def _count(self, component, op, n):
        q = (f"SELECT ?this WHERE {{ {{ {self.focus('?this')} }} OPTIONAL {{ ?this {self.path} ?value }} }} "
             f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) {op} {int(n.value)})")
        return [self.res(component, r["this"]) for r in self.e.run(q)]

    def c_minCount(self):
        return [r for n in self.objs("minCount") for r in self._count("MinCount", "<", n)] if self.path else []

    def c_maxCount(self):
        return [r for n in self.objs("maxCount") for r in self._count("MaxCount", ">", n)] if self.path else []

    # -- value range
    def _range(self, local, component, op):
        return [r for lim in self.objs(local)
                for r in self.pairs_where(component, f"!COALESCE(?value {op} {term_sparql(lim)}, false)")]

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
        return [r for n in self.objs("minLength") for r in self.pairs_where(
            "MinLength", f"isBlank(?value) || !COALESCE(STRLEN(STR(?value)) >= {int(n.value)}, false)")]

    def c_maxLength(self):
        return [r for n in self.objs("maxLength") for r in self.pairs_where(
            "MaxLength", f"isBlank(?value) || !COALESCE(STRLEN(STR(?value)) <= {int(n.value)}, false)")]

    def c_pattern(self):
        flags = self.g.value(self.s, sh("flags"))
        fl = f", {term_sparql(ox.Literal(flags.value))}" if flags is not None else ""
        return [r for p in self.objs("pattern") for r in self.pairs_where(
            "Pattern", f"isBlank(?value) || !COALESCE(REGEX(STR(?value), {term_sparql(ox.Literal(p.value))}{fl}), false)")]

    def c_languageIn(self):
        out = []
        for lst in self.objs("languageIn"):
            tags = [t.value for t in self.g.items(lst)]
            cond = " || ".join(f"langMatches(lang(?value), {term_sparql(ox.Literal(t))})" for t in tags) or "false"
            out += self.pairs_where("LanguageIn", f"!isLiteral(?value) || !COALESCE({cond}, false)")
        return out

    def c_uniqueLang(self):
        if not self.path or ox.Literal(True) not in self.objs("uniqueLang"):
            return []
        q = (f"SELECT DISTINCT ?this ?lang WHERE {{ {self.V('?this', '?a')} ?this {self.path} ?b . "
             f"FILTER(!sameTerm(?a, ?b) && lang(?a) != '' && lang(?a) = lang(?b)) BIND(lang(?a) AS ?lang) }}")
        return [self.res("UniqueLang", r["this"]) for r in self.e.run(q)]

    # -- property pairs
    def c_equals(self):
        out = []
        for p in self.objs("equals"):
            pp = term_sparql(p)
            out += self.pairs_where("Equals", "true", f"FILTER NOT EXISTS {{ ?this {pp} ?value }}")
            own = f"?this {self.path} ?value" if self.path else "FILTER(sameTerm(?this, ?value))"
            q = (f"SELECT DISTINCT ?this ?value WHERE {{ {{ {self.focus('?this')} }} ?this {pp} ?value . "
                 f"FILTER NOT EXISTS {{ {own} }} }}")
            out += [self.res("Equals", r["this"], r["value"]) for r in self.e.run(q)]
        return out

    def c_disjoint(self):
        return [r for p in self.objs("disjoint") for r in self.pairs_where("Disjoint", "true", f"?this {term_sparql(p)} ?value .")]

    def _compare(self, local, component, op):
        out = []
        for p in self.objs(local):
            if not self.path:
                continue
            out += self.pairs_where(component, f"!COALESCE(?value {op} ?other, false)", f"?this {term_sparql(p)} ?other .",
                                    also="?other")
        return out

    def c_lessThan(self):
        return self._compare("lessThan", "LessThan", "<")

    def c_lessThanOrEquals(self):
        return self._compare("lessThanOrEquals", "LessThanOrEquals", "<=")

    # -- logical
    def _check_nested(self, shape) -> set:
        return self.e.failing(shape, self.values_focus)

    def c_not(self):
        out = []
        for n in self.objs("not"):
            bad = self._check_nested(n)
            out += [self.res("Not", t, v) for t, v in self.pairs() if v not in bad]
        return out

    def c_and(self):
        out = []
        for lst in self.objs("and"):
            bad = set().union(*[self._check_nested(m) for m in self.g.items(lst)])
            out += [self.res("And", t, v) for t, v in self.pairs() if v in bad]
        return out

    def c_or(self):
        out = []
        for lst in self.objs("or"):
            members = self.g.items(lst)
            bads = [self._check_nested(m) for m in members]
            out += [self.res("Or", t, v) for t, v in self.pairs() if all(v in b for b in bads)]
        return out

    def c_xone(self):
        out = []
        for lst in self.objs("xone"):
            bads = [self._check_nested(m) for m in self.g.items(lst)]
            out += [self.res("Xone", t, v) for t, v in self.pairs() if sum(v not in b for b in bads) != 1]
        return out

    def c_node(self):
        out = []
        for n in self.objs("node"):
            bad = self._check_nested(n)
            out += [self.res("Node", t, v) for t, v in self.pairs() if v in bad]
        return out

    def c_property(self):
        out = []
        mult = Counter(v for _, v in self.pairs()) if self.path else None
        for p in self.objs("property"):
            for r in self.e.evaluate(p, self.values_focus):
                # one result per way the enclosing shape reaches the value node
                out += [r] * (mult[r.focus] if mult is not None else 1)
        return out

    def c_qualifiedValueShape(self):
        if not self.path:
            return []
        out = []
        disjoint = self.g.value(self.s, sh("qualifiedValueShapesDisjoint")) == ox.Literal(True)
        qmin, qmax = self.g.value(self.s, sh("qualifiedMinCount")), self.g.value(self.s, sh("qualifiedMaxCount"))
        for q in self.objs("qualifiedValueShape"):
            bad = self._check_nested(q)
            siblings = []
            if disjoint:
                for parent in self.g.subjects(sh("property"), self.s):
                    for ps in self.g.objects(parent, sh("property")):
                        for sq in self.g.objects(ps, sh("qualifiedValueShape")):
                            if sq != q and sq not in siblings:
                                siblings.append(sq)
            sib_ok = [self._conforming(sq) for sq in siblings]
            counts: Counter = Counter()
            for t in self.focus_nodes():
                counts[t] += 0
            for t, v in self.pairs():
                if v not in bad and not any(v in ok for ok in sib_ok):
                    counts[t] += 1
            for t, n in counts.items():
                if qmin is not None and n < int(qmin.value):
                    out.append(self.res("QualifiedMinCount", t))
                if qmax is not None and n > int(qmax.value):
                    out.append(self.res("QualifiedMaxCount", t))
        return out

    def _conforming(self, shape) -> set:
        bad = self._check_nested(shape)
        return {v for _, v in self.pairs() if v not in bad}

    # -- other
    def c_closed(self):
        if ox.Literal(True) not in self.objs("closed"):
            return []
        allowed = {p for ps in self.objs("property") for p in self.g.objects(ps, sh("path")) if isinstance(p, ox.NamedNode)}
        for lst in self.objs("ignoredProperties"):
            allowed.update(self.g.items(lst))
        cond = " && ".join(f"?p != {term_sparql(p)}" for p in sorted(allowed, key=str)) or "true"
        q = f"SELECT DISTINCT ?this ?p ?o WHERE {{ {self.V('?this', '?x')} ?x ?p ?o . FILTER({cond}) }}"
        return [self.res("Closed", r["this"], r["o"], path_t=r["p"], path_text=term_sparql(r["p"]))
                for r in self.e.run(q)]

    def c_hasValue(self):
        out = []
        for val in self.objs("hasValue"):
            if self.path:
                q = (f"SELECT DISTINCT ?this WHERE {{ {{ {self.focus('?this')} }} "
                     f"FILTER NOT EXISTS {{ ?this {self.path} ?value . FILTER(sameTerm(?value, {term_sparql(val)})) }} }}")
                out += [self.res("HasValue", r["this"]) for r in self.e.run(q)]
            else:
                out += [self.res("HasValue", r.focus) for r in
                        self.pairs_where("HasValue", f"!sameTerm(?value, {term_sparql(val)})")]
        return out

    def c_in(self):
        out = []
        for lst in self.objs("in"):
            allowed = set(self.g.items(lst))
            out += [self.res("In", t, v) for t, v in self.pairs() if v not in allowed]
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
            query = prefix_lines(self.g, c) + insert_focus(text, self.focus("?this"))
            msgs = tuple(self.g.objects(c, sh("message"))) or self.messages
            for r in self.e.run(query):
                sol = {v: r[v] for v in ("this", "path", "value")}
                value = sol["value"] if sol["value"] is not None else (sol["this"] if not self.path else None)
                path_t, path_text = (sol["path"], term_sparql(sol["path"])) if sol["path"] is not None else (self.path_t, self.path)
                texts = tuple(ox.Literal(_fill(m.value, r), language=m.language) if m.language else ox.Literal(_fill(m.value, r))
                              for m in msgs)
                out.append(self.res("SPARQL", sol["this"], value, path_t=path_t, path_text=path_text,
                                    messages=texts, constraint=c))
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


def insert_focus(select: str, focus_pattern: str) -> str:
    """The query with the focus pattern joined first in its WHERE clause (pre-binding of $this)."""
    m = re.search(r"(?i)\bWHERE\s*\{", select) or re.search(r"\{", select)
    if not m:
        raise ShapesError("SPARQL constraint has no WHERE clause")
    i = m.end()
    return select[:i] + f" {{ {focus_pattern} }} " + select[i:]


def _fill(template: str, row) -> str:
    """The message with {?var} / {$var} replaced by the solution's values."""
    def rep(m):
        try:
            v = row[m.group(1)]
        except (KeyError, TypeError):
            return m.group(0)
        return v.value if v is not None and not isinstance(v, ox.BlankNode) else (str(v) if v is not None else "")
    return re.sub(r"\{[?$](\w+)\}", rep, template)
