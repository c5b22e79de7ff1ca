"""SHACL 1.0 section 4, the core constraint components, each evaluated set-at-a-time in SPARQL:
value type (4.1), cardinality (4.2), value range (4.3), string-based (4.4), property pair
(4.5), logical (4.6), shape-based (4.7) and other (4.8) components.

A component is the method `c_<parameter>` of `CoreComponents`: it returns its queries (`Check`),
or adds a value-level test to the one filter query of its shape (`add_filter`).
"""

from __future__ import annotations

import pyoxigraph as ox

from .model import _RANGES, LEXICAL, XSD, ShapesError, sh, term_sparql
from .plan import _TYPE_OF, RATIO, SMALL, Check, Focus, ShapeQueries, merge_prefixes

# the lexical forms of the datatypes model.LEXICAL lists, for REGEX (Python's `$` also
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



class CoreComponents(ShapeQueries):
    # -- 4.1 value type
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

    # -- 4.2 cardinality
    def _counts(self, local) -> list[int]:
        """The bounds a property shape gives (a node shape's are ignored)."""
        return [int(n.value) for n in self.objs(local)] if self.path else []

    def c_minCount(self):
        out = []
        for k in self._counts("minCount"):
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
        out = []
        for k in self._counts("maxCount"):
            if self.hash_path:
                # candidates: more than k statements (a triple may be in several graphs)
                cand = f"{{ SELECT ?this WHERE {{ ?this {self.path} ?_v }} GROUP BY ?this HAVING (COUNT(*) > {k}) }}"
                body = f"{cand} {self.focus('?this')} ?this {self.path} ?value ."
            else:
                body = self.V("?this", "?value")
            out.append(self.check("?this", body, lambda sols: [self.res("MaxCount", r["this"]) for r in sols],
                                  f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) > {k})"))
        return out

    # -- 4.3 value range
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

    # -- 4.4 string-based
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

    # -- 4.5 property pairs
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

    # -- 4.6 logical
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
            merge_prefixes(self.prefixes, prefixes)
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

    # -- 4.7 shape-based
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

    # -- 4.8 other
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

