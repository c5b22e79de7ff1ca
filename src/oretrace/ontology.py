"""The ontology as the schema of curated data: its classes, properties, ranges and individuals."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from .errors import InputError
from .vocab import DCTERMS, OT, OWL, PREFIXES, RDF, RDFS, SKOS

RDF_TYPE = RDF + "type"


@dataclass
class Ontology:
    """What the curated-file checker needs to know of the ontology."""

    files: list[Path]
    classes: set[str] = field(default_factory=set)
    superclasses: dict[str, set[str]] = field(default_factory=dict)  # reflexive-transitive
    object_properties: set[str] = field(default_factory=set)
    datatype_properties: set[str] = field(default_factory=set)
    annotation_properties: set[str] = field(default_factory=set)
    ranges: dict[str, str] = field(default_factory=dict)
    individuals: dict[str, set[str]] = field(default_factory=dict)  # IRI -> asserted classes
    labels: dict[str, str] = field(default_factory=dict)
    deprecated: dict[str, str | None] = field(default_factory=dict)  # deprecated term -> its replacement
    schemes: dict[str, set[str]] = field(default_factory=dict)  # concept -> the concept schemes it is in
    value_schemes: dict[str, str] = field(default_factory=dict)  # property -> the scheme its values come from
    nquads: str = ""  # the merged ontology as N-Triples, sorted
    triples: list = field(default_factory=list)  # the same triples (blank nodes as in nquads), for readers of the schema

    def is_a(self, cls: str, ancestor: str) -> bool:
        return ancestor in self.superclasses.get(cls, {cls})

    def resolve_class(self, name: str) -> str | None:
        return self._resolve(name, self.classes)

    def resolve_property(self, key: str) -> str | None:
        """A curated-file key (snake_case or prefix:local) to a property IRI."""
        if ":" in key:
            name = key
        else:
            head, *rest = key.split("_")
            name = head + "".join(w[:1].upper() + w[1:] for w in rest)
        return self._resolve(name, self.object_properties | self.datatype_properties | self.annotation_properties)

    def resolve_individual(self, name: str) -> str | None:
        return self._resolve(name, set(self.individuals))

    @staticmethod
    def _resolve(name: str, pool: set[str]) -> str | None:
        if ":" in name:
            prefix, local = name.split(":", 1)
            iri = PREFIXES.get(prefix, "\0") + local
        else:
            iri = OT + name
        return iri if iri in pool else None


def reachable(start: str, neighbours) -> set[str]:
    """`start` and everything reachable from it through `neighbours(node)` (the superclasses of a
    class, the sub-properties of a property...)."""
    seen, todo = {start}, [start]
    while todo:
        for n in neighbours(todo.pop()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def load(ontology_dir: Path) -> Ontology:
    """Read every *.ttl file of the ontology folder."""
    files = sorted(Path(ontology_dir).glob("*.ttl"))
    return _load(tuple(files), tuple(f.stat().st_mtime_ns for f in files))


@lru_cache(maxsize=4)
def _load(files: tuple[Path, ...], _mtimes) -> Ontology:
    onto = Ontology(files=list(files))
    triples: list[ox.Triple] = []
    for f in files:
        try:
            triples += [q.triple for q in ox.parse(path=str(f), format=ox.RdfFormat.TURTLE)]
        except (SyntaxError, OSError) as e:
            raise OntologyError(f"{f}: cannot parse ontology module: {e}") from None
    sub: dict[str, set[str]] = {}
    replaced: list[tuple[str, str]] = []
    for t in triples:
        s, p, o = t.subject, t.predicate.value, t.object
        if not isinstance(s, ox.NamedNode):
            continue
        s, iri = s.value, isinstance(o, ox.NamedNode)
        if p == RDF_TYPE and iri:
            o = o.value
            if o == OWL + "Class":
                onto.classes.add(s)
            elif o in (OWL + "ObjectProperty", OWL + "TransitiveProperty"):
                onto.object_properties.add(s)
            elif o == OWL + "DatatypeProperty":
                onto.datatype_properties.add(s)
            elif o == OWL + "AnnotationProperty":
                onto.annotation_properties.add(s)
            elif o != OWL + "NamedIndividual" and o != OWL + "Ontology":
                onto.individuals.setdefault(s, set()).add(o)
        elif p == RDFS + "subClassOf" and iri:
            sub.setdefault(s, set()).add(o.value)
        elif p == RDFS + "range" and iri:
            onto.ranges[s] = o.value
        elif p == RDFS + "label" and isinstance(o, ox.Literal):
            onto.labels.setdefault(s, o.value)
        elif p == OWL + "deprecated" and not isinstance(o, ox.BlankNode) and o.value == "true":
            onto.deprecated.setdefault(s, None)
        elif p == SKOS + "inScheme" and iri:
            onto.schemes.setdefault(s, set()).add(o.value)
        elif p == OT + "valueScheme" and iri:
            onto.value_schemes[s] = o.value
        elif p == DCTERMS + "isReplacedBy" and not isinstance(o, ox.BlankNode):
            replaced.append((s, o.value))
    for s, o in replaced:
        if s in onto.deprecated:
            onto.deprecated[s] = o
    for ind in list(onto.individuals):
        if ind in onto.classes or ind in onto.object_properties or ind in onto.datatype_properties:
            del onto.individuals[ind]
    for c in onto.classes:
        onto.superclasses[c] = reachable(c, lambda x: sub.get(x, ()))
    # blank nodes get labels from their content (RDF canonicalization), so that two builds write the same bytes
    ds = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in set(triples))
    ds.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    lines = sorted((f"{q.triple} .\n", q.triple) for q in ds)
    onto.nquads = "".join(line for line, _ in lines)
    onto.triples = [t for _, t in lines]  # in the order of nquads
    return onto


class OntologyError(InputError):
    """The ontology files cannot be read."""

    prefix = ""

