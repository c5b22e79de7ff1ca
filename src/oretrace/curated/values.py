"""The values of curated fields, read and checked against the ontology: quantities with their unit,
ontology properties in snake_case (entity references, code-list individuals, typed literals) and
years. A mixin of the reader (reader.Reader), which gives `problem`, `onto`, `iris`, `today` and
`references`.
"""

from __future__ import annotations

import re

from .. import reference
from ..units import UNITS
from ..vocab import DCTERMS, KINDS, OT, QUDT, RDFS, XSD
from . import format as fmt
from .model import Lit, Node
from .yamlio import line_of

YEAR_PROPERTIES = {OT + p for p in ("year", "periodStart", "periodEnd", "relationStart", "issuedNotBefore")}
RATIO_MAX = {"percent": 100.0, "ppm": 1_000_000.0}  # a share or concentration cannot exceed the whole
_ENGLISH_TEXT = {DCTERMS + "description", RDFS + "comment"}  # annotations in English; data properties stay xsd:string


class ValueReader:
    def read_quantity(self, f, line, sid, node: Node, q: dict):
        unit = q.get("unit")
        if unit not in UNITS:
            return  # reported by the format check
        node.values.append((QUDT + "hasUnit", UNITS[unit].iri))
        nums = {}
        for k, prop in (("value", QUDT + "numericValue"), ("min", OT + "minValue"), ("max", OT + "maxValue")):
            if q.get(k) is None:
                continue
            val = q[k]
            cap = RATIO_MAX.get(unit)
            if cap is not None and val > cap:
                what = "share" if unit == "percent" else "concentration"
                self.problem(f, line, sid, f"{what} of {fmt.decimal_text(val)} {'%' if unit == 'percent' else unit} is over "
                                           f"{'100 %' if unit == 'percent' else '1,000,000 ppm'} (a part cannot exceed the whole; check the unit)")
            nums[k] = val
            node.values.append((prop, Lit(fmt.decimal_text(val), XSD + "decimal")))
        if "value" in nums and ("min" in nums or "max" in nums):
            self.problem(f, line, sid, "quantity gives both a value and a range (give value, or min and/or max)")
        if "min" in nums and "max" in nums and nums["min"] > nums["max"]:
            self.problem(f, line, sid, f"quantity min {fmt.decimal_text(nums['min'])} is above max {fmt.decimal_text(nums['max'])} (swap them)")
        for k, prop in (("approximate", OT + "approximate"), ("estimated", OT + "estimated")):
            if q.get(k) is not None:
                node.values.append((prop, Lit("true" if q[k] else "false", XSD + "boolean")))
        for k, prop in (("standard_uncertainty", OT + "standardUncertainty"), ("relative_uncertainty", OT + "relativeUncertainty")):
            if q.get(k) is not None:
                node.values.append((prop, Lit(fmt.decimal_text(q[k]), XSD + "decimal")))
        if q.get("standard_uncertainty") is not None and q.get("relative_uncertainty") is not None:
            self.problem(f, line, sid, "quantity gives both standard_uncertainty and relative_uncertainty (give one)")

    def property_values(self, f, line, sid, node: Node, key: str, raw, what: str = "property"):
        prop = self.onto.resolve_property(str(key))
        if prop is None:
            hint = "see data/README.md" if what == "source field" else "use an ontology property in snake_case, e.g. operated_by"
            self.problem(f, line, sid, f"unknown {what} {str(key)[:60]!r} ({hint})")
            return
        if self.deprecated_term(f, line, sid, prop, key):
            return
        vals = raw if isinstance(raw, list) else [raw]
        for i, val in enumerate(vals):
            lit = self.value(f, line_of(raw, i, line) if isinstance(raw, list) else line, sid, prop, val)
            if lit is not None:
                node.values.append((prop, lit))

    def value(self, f, line, sid, prop: str, v):
        """A checked RDF value for property `prop`: an IRI string or a Lit."""
        name = _local(prop)
        if prop in self.onto.object_properties:
            if isinstance(v, str) and fmt.REF.fullmatch(v):
                kind = v.split("/", 1)[0]
                if kind not in KINDS:
                    self.problem(f, line, sid, f"bad reference {v!r}: unknown kind {kind!r} (use one of {', '.join(KINDS)})")
                    return None
                self.references.append((v, f, line, sid, None))
                return self.iris.ref(v)
            if isinstance(v, str) and fmt.INDIVIDUAL.fullmatch(v):
                ind = self.onto.resolve_individual(v)
                if ind:
                    scheme = self.onto.value_schemes.get(prop)
                    if scheme and scheme not in self.onto.schemes.get(ind, ()):
                        codes = sorted(_local(c) for c, ss in self.onto.schemes.items() if scheme in ss)
                        self.problem(f, line, sid, f"{name}: {v} is not in {_local(scheme)} (use one of {', '.join(codes)})")
                        return None
                    if self.deprecated_term(f, line, sid, ind, v):
                        return None
                    return ind
            shown = repr(v)[:60] if isinstance(v, str) else fmt._kind_name(v)
            self.problem(f, line, sid, f"{name}: {shown} is not an entity reference (kind/slug) or an ontology individual "
                                       "(e.g. Indium, Truck, RoyaltyNotDeclared, TotalProduction)")
            return None
        rng = self.onto.ranges.get(prop, XSD + "string")
        if isinstance(v, (dict, list)):
            self.problem(f, line, sid, f"{name} takes single values, not a {'mapping' if isinstance(v, dict) else 'list'} (write the value itself)")
            return None
        try:
            if rng == XSD + "integer":
                if prop in YEAR_PROPERTIES:
                    y = fmt.T_YEAR.parse(v)
                    return Lit(str(y), XSD + "integer") if self.check_year(f, line, sid, y) else None
                if isinstance(v, bool) or not isinstance(v, int):
                    raise fmt.Invalid(f"must be a whole number, not {str(v)[:40]!r} (write it without quotes, e.g. 2018)")
                return Lit(str(fmt.Number("n", "", integer=True).parse(v)), XSD + "integer")
            if rng == XSD + "decimal":
                return Lit(fmt.decimal_text(fmt.Number("n", "").parse(v)), XSD + "decimal")
            if rng == XSD + "boolean":
                return Lit("true" if fmt.T_BOOL.parse(v) else "false", XSD + "boolean")
            if prop == OT + "commodityCode":
                code = fmt.Pattern("hs", "an HS code (six digits)", re.compile(r"[0-9]{4}(\.?[0-9]{2})?"),
                                   '"260800"', 7).parse(v if isinstance(v, str) else "")
                code = code.replace(".", "")
                if code not in reference.hs_codes():
                    raise fmt.Invalid(f"{v!r} is not an HS 2022 code oretrace knows (check it in the HS nomenclature and "
                                      "add it to src/oretrace/resources/hs_codes.tsv)")
                return Lit(code)
            if rng == XSD + "anyURI":
                return Lit(fmt.T_URL.parse(v), XSD + "anyURI")
            return Lit(fmt.Text("text", "", 2000).parse(v), lang="en" if prop in _ENGLISH_TEXT else None)
        except fmt.Invalid as e:
            self.problem(f, line, sid, f"{name}: {e}")
            return None

    def deprecated_term(self, f, line, sid, iri: str, written) -> bool:
        """Report the use of a deprecated ontology term; True if it is one."""
        if iri not in self.onto.deprecated:
            return False
        repl = self.onto.deprecated[iri]
        self.problem(f, line, sid, f"{written} is a deprecated term of the ontology (" +
                     (f"use {_local(repl)} instead; see docs/modelling.md)" if repl else "see docs/modelling.md)"))
        return True

    def check_year(self, f, line, sid, y) -> bool:
        if y > self.today.year:
            self.problem(f, line, sid, f"year {y} is in the future (a source can only report the past; check the figure)")
            return False
        return True


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]
