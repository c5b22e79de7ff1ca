"""Lookup tables the build derives from the data, in graph `{base}/graph/index`.

Some catalogue questions need one pass over every value of the dataset before they can start
(which subjects are given a property more than once?). The build answers that pass once, while
it is still busy classifying, and stores the answer as small RDF tables that the queries start
from. Each table is defined here by one SPARQL query over the whole store, so any copy of the
dataset can be checked against it (tests/test_index.py).
"""

from __future__ import annotations

import hashlib

import pyoxigraph as ox

from .vocab import OT, QUDT, RDF, IRIs

# The properties that sources can disagree on: one value per subject is expected, so two values
# given by two statements are a disagreement (queries/source-disagreements.rq).
COMPARED = (
    QUDT + "numericValue", OT + "minValue", OT + "maxValue", OT + "year",
    OT + "periodStart", OT + "periodEnd", OT + "commissioned", OT + "memberCount", OT + "rank",
    OT + "purity", OT + "storageCapacity", OT + "distanceKm", OT + "durationDays",
    QUDT + "hasUnit", OT + "royaltyStatus", OT + "dueDiligenceStatus",
)

REPEATED = ("SELECT ?about ?compared WHERE { VALUES ?compared { %s } GRAPH ?g { ?about ?compared ?value } } "
            "GROUP BY ?about ?compared HAVING (COUNT(*) > 1)") % " ".join(f"<{p}>" for p in COMPARED)


def repeated_values(store: ox.Store, iris: IRIs) -> list[ox.Quad]:
    """The table of repeated values: one `ot:RepeatedValue` per subject and compared property
    that the store's graphs state more than once (in two graphs, or with two values)."""
    g = ox.NamedNode(iris.graph("index"))
    a, cls = ox.NamedNode(RDF + "type"), ox.NamedNode(OT + "RepeatedValue")
    subject, prop = ox.NamedNode(OT + "repeatedSubject"), ox.NamedNode(OT + "repeatedProperty")
    quads = []
    for row in store.query(REPEATED):
        about, compared = row["about"], row["compared"]
        key = hashlib.sha256(f"{about}\n{compared}".encode()).hexdigest()[:20]
        node = ox.NamedNode(f"{iris.base}/id/index/repeated-{key}")
        quads += [ox.Quad(node, a, cls, g), ox.Quad(node, subject, about, g), ox.Quad(node, prop, compared, g)]
    return sorted(quads, key=str)
