"""Namespaces and the IRI policy: `{base}/id/{kind}/{slug}` for entities, `{base}/graph/...` for graphs."""

from __future__ import annotations

import re

OT = "https://w3id.org/oretrace/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
GEO = "http://www.opengis.net/ont/geosparql#"
QUDT = "http://qudt.org/schema/qudt/"
UNIT = "http://qudt.org/vocab/unit/"
SH = "http://www.w3.org/ns/shacl#"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"

PREFIXES = {
    "ot": OT, "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "skos": SKOS,
    "dcterms": DCTERMS, "prov": PROV, "org": ORG, "geo": GEO, "qudt": QUDT, "unit": UNIT,
    "sh": SH, "void": VOID, "dcat": DCAT,
}

# Entity kinds that may appear in `{base}/id/{kind}/{slug}`; each maps to the ontology class
# every entity of that kind must fall under.
KINDS = {
    "actor": OT + "Actor",
    "site": OT + "Site",
    "place": OT + "Place",
    "country": OT + "Country",
    "region": OT + "Region",
    "material": OT + "Material",
    "process": OT + "Process",
    "flow": OT + "Flow",
    "observation": OT + "Observation",
    "law": OT + "LegalInstrument",
    "royalty": OT + "Royalty",
    "risk": OT + "RiskObservation",
    "project": OT + "Project",
    "vessel": OT + "Vessel",
    "curator": OT + "Curator",
    "source": OT + "Source",
    "event": OT + "Event",
    "status": OT + "OperationalStatus",
}

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CODE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")
STATEMENT_ID = re.compile(r"^[a-z0-9]+(?:[-/.][a-z0-9]+)*$")
REF = re.compile(r"^(?P<kind>[a-z]+)/(?P<slug>[A-Za-z0-9-]+)$")


def prefix_block(names=None) -> str:
    """SPARQL PREFIX lines for the standard prefixes."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items() if names is None or p in names)


class IRIs:
    """IRIs of one dataset under one base."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def entity(self, kind: str, slug: str) -> str:
        return f"{self.base}/id/{kind}/{slug}"

    def ref(self, ref: str) -> str:
        kind, slug = ref.split("/", 1)
        return self.entity(kind, slug)

    def statement(self, sid: str) -> str:
        return f"{self.base}/id/statement/{sid}"

    def citation(self, sid: str) -> str:
        return f"{self.base}/id/statement/{sid}#citation"

    def graph(self, name: str) -> str:
        return f"{self.base}/graph/{name}"

    # the named graphs the build makes
    provenance_graph = property(lambda self: self.graph("provenance"))
    ontology_graph = property(lambda self: self.graph("ontology"))
    inferred_graph = property(lambda self: self.graph("inferred"))
    validation_graph = property(lambda self: self.graph("validation"))
    metadata_graph = property(lambda self: self.graph("metadata"))

    @property
    def dataset(self) -> str:
        return f"{self.base}/id/dataset/oretrace"

    def split(self, iri: str):
        """(kind, slug) of an entity IRI under this base, or None."""
        prefix = self.base + "/id/"
        if not iri.startswith(prefix):
            return None
        rest = iri[len(prefix):]
        if "/" not in rest:
            return None
        kind, slug = rest.split("/", 1)
        return kind, slug
