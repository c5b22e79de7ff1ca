"""The SHACL terms and structures both engines share: shapes-graph index, paths, results.

Terms are pyoxigraph terms throughout, so that results of either engine can be compared
term for term and written to the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..errors import InputError

SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"


def sh(local: str) -> ox.NamedNode:
    return ox.NamedNode(SH + local)


TYPE = ox.NamedNode(RDF + "type")
FIRST, REST, NIL = ox.NamedNode(RDF + "first"), ox.NamedNode(RDF + "rest"), ox.NamedNode(RDF + "nil")
VIOLATION, WARNING, INFO = sh("Violation"), sh("Warning"), sh("Info")
SEVERITY_ORDER = {VIOLATION: 0, WARNING: 1, INFO: 2}


class ShapesError(InputError):
    """The shapes graph is not usable (a malformed path, list or parameter)."""


class Graph:
    """A read-only subject -> predicate -> objects index of a set of triples."""

    def __init__(self, triples: Iterable):
        self.spo: dict = defaultdict(lambda: defaultdict(list))
        self.pos: dict = defaultdict(list)  # predicate -> [(s, o)]
        seen = set()  # a triple given twice is indexed once (a set: a list test was quadratic in a subject's objects)
        for t in triples:
            s, p, o = t.subject, t.predicate, t.object
            if (s, p, o) not in seen:
                seen.add((s, p, o))
                self.spo[s][p].append(o)
                self.pos[p].append((s, o))

    def objects(self, s, p) -> list:
        d = self.spo.get(s)
        return list(d.get(p, ())) if d else []

    def value(self, s, p, default=None):
        vs = self.objects(s, p)
        return vs[0] if vs else default

    def subjects(self, p, o=None) -> list:
        return [s for s, oo in self.pos.get(p, ()) if o is None or oo == o]

    def items(self, head) -> list:
        """The members of the RDF list starting at `head`."""
        out, seen = [], set()
        while head != NIL:
            if head in seen:
                raise ShapesError(f"cyclic RDF list at {head}")
            seen.add(head)
            first = self.objects(head, FIRST)
            if len(first) != 1:
                raise ShapesError(f"malformed RDF list at {head}")
            out.append(first[0])
            nxt = self.objects(head, REST)
            if len(nxt) != 1:
                raise ShapesError(f"malformed RDF list at {head}")
            head = nxt[0]
        return out


def term_sparql(t) -> str:
    """A term as SPARQL text (IRIs and literals; blank nodes cannot be named in a query)."""
    if isinstance(t, ox.NamedNode):
        return f"<{t.value}>"
    if isinstance(t, ox.Literal):
        return str(t)
    raise ShapesError(f"blank node {t} cannot be used as a constant in a query")


def path_sparql(g: Graph, p) -> str:
    """A SHACL property path as a SPARQL 1.1 property path."""
    if isinstance(p, ox.NamedNode):
        return f"<{p.value}>"
    if isinstance(p, ox.Literal):
        raise ShapesError(f"a literal {p} is not a property path")
    if g.objects(p, FIRST):
        members = g.items(p)
        if len(members) < 2:
            raise ShapesError("a sequence path needs at least two members")
        return "(" + "/".join(path_sparql(g, m) for m in members) + ")"
    for key, fmt in (("alternativePath", None), ("inversePath", "^{}"), ("zeroOrMorePath", "{}*"),
                     ("oneOrMorePath", "{}+"), ("zeroOrOnePath", "{}?")):
        v = g.objects(p, sh(key))
        if v:
            if key == "alternativePath":
                members = g.items(v[0])
                if len(members) < 2:
                    raise ShapesError("an alternative path needs at least two members")
                return "(" + "|".join(path_sparql(g, m) for m in members) + ")"
            inner = path_sparql(g, v[0])
            if not inner.startswith(("(", "<")):
                inner = f"({inner})"
            return "(" + fmt.format(inner) + ")"
    preds = sorted(str(q).strip("<>").replace(SH, "sh:") for q in (g.spo.get(p) or {}))
    raise ShapesError(f"a path node with {', '.join(preds) or 'no properties'} is not a well-formed SHACL path "
                      "(use an IRI, a list, sh:alternativePath, sh:inversePath, sh:zeroOrMorePath, sh:oneOrMorePath "
                      "or sh:zeroOrOnePath)")


@dataclass(frozen=True)
class Result:
    """One validation result, as in the SHACL report vocabulary."""

    focus: object
    shape: object
    component: ox.NamedNode
    severity: ox.NamedNode = VIOLATION
    path: object = None          # the path term of the shape (IRI or blank node), if any
    path_text: str | None = None  # canonical SPARQL form of the path
    value: object = None
    messages: tuple = ()
    constraint: object = None    # the sh:sparql node, for SPARQL-based constraints

    def key(self, bnodes: bool = True) -> tuple:
        """What two engines must agree on (messages aside); blank nodes as '_' unless `bnodes`."""
        def s(t):
            if t is None:
                return ""
            if isinstance(t, ox.BlankNode) and not bnodes:
                return "_"
            return str(t)
        return (s(self.focus), self.path_text or "", s(self.value), s(self.shape),
                self.component.value, self.severity.value)


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    engine: str = ""

    @property
    def conforms(self) -> bool:
        return not self.results

    def sorted(self) -> list[Result]:
        return sorted(self.results, key=lambda r: (SEVERITY_ORDER.get(r.severity, 9), r.key()))


# -- lexical forms of common XSD datatypes, to find ill-formed literals
_INT = r"[+-]?\d+"
_DEC = r"[+-]?(\d+(\.\d*)?|\.\d+)"
_FLT = r"([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN)"
_TZ = r"(Z|[+-]\d{2}:\d{2})?"
LEXICAL = {
    XSD + "integer": _INT, XSD + "int": _INT, XSD + "long": _INT, XSD + "short": _INT, XSD + "byte": _INT,
    XSD + "nonNegativeInteger": r"\+?\d+|-0+", XSD + "positiveInteger": r"\+?0*[1-9]\d*",
    XSD + "nonPositiveInteger": r"-\d+|\+?0+", XSD + "negativeInteger": r"-0*[1-9]\d*",
    XSD + "decimal": _DEC, XSD + "float": _FLT, XSD + "double": _FLT,
    XSD + "boolean": r"true|false|1|0",
    XSD + "date": r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])" + _TZ,
    XSD + "dateTime": r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?" + _TZ,
    XSD + "gYear": r"-?\d{4,}" + _TZ,
}
_RANGES = {XSD + "int": (-2**31, 2**31 - 1), XSD + "short": (-2**15, 2**15 - 1), XSD + "byte": (-128, 127),
           XSD + "long": (-2**63, 2**63 - 1)}
