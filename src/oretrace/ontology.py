"""The ontology as the schema of curated data: its classes, properties, ranges and individuals."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import InputError
from .vocab import DCTERMS, OT, OWL, PREFIXES, RDFS, SKOS


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
    import rdflib
    from rdflib.compare import to_canonical_graph

    onto = Ontology(files=list(files))
    g = rdflib.Graph()
    for f in files:
        try:
            g.parse(f, format="turtle")
        except Exception as e:  # rdflib raises several parser exception types
            raise OntologyError(f"{f}: cannot parse ontology module: {e}") from e
    sub: dict[str, set[str]] = {}
    a = rdflib.RDF.type
    for s, p, o in g:
        if not isinstance(s, rdflib.URIRef):
            continue
        s, p = str(s), str(p)
        if p == str(a) and isinstance(o, rdflib.URIRef):
            o = str(o)
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
        elif p == RDFS + "subClassOf" and isinstance(o, rdflib.URIRef):
            sub.setdefault(s, set()).add(str(o))
        elif p == RDFS + "range" and isinstance(o, rdflib.URIRef):
            onto.ranges[s] = str(o)
        elif p == RDFS + "label" and isinstance(o, rdflib.Literal):
            onto.labels.setdefault(s, str(o))
        elif p == OWL + "deprecated" and str(o) == "true":
            onto.deprecated.setdefault(s, None)
        elif p == SKOS + "inScheme" and isinstance(o, rdflib.URIRef):
            onto.schemes.setdefault(s, set()).add(str(o))
        elif p == OT + "valueScheme" and isinstance(o, rdflib.URIRef):
            onto.value_schemes[s] = str(o)
    for s, o in g.subject_objects(rdflib.URIRef(DCTERMS + "isReplacedBy")):
        if str(s) in onto.deprecated:
            onto.deprecated[str(s)] = str(o)
    for ind in list(onto.individuals):
        if ind in onto.classes or ind in onto.object_properties or ind in onto.datatype_properties:
            del onto.individuals[ind]
    for c in onto.classes:
        onto.superclasses[c] = reachable(c, lambda x: sub.get(x, ()))
    # blank nodes get stable labels, so that two builds write the same bytes
    canon = to_canonical_graph(g)
    onto.nquads = "".join(sorted(line + "\n" for line in canon.serialize(format="nt").splitlines() if line.strip()))
    return onto


class OntologyError(InputError):
    """The ontology files cannot be read."""

    prefix = ""

