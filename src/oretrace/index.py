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
    QUDT + "numericValue", OT + "minValue", OT + "maxValue", QUDT + "hasUnit", OT + "measures", OT + "year",
    OT + "periodStart", OT + "periodEnd", OT + "royaltyStatus", OT + "dueDiligenceStatus", OT + "status",
)

REPEATED = ("SELECT ?about ?compared WHERE { VALUES ?compared { %s } GRAPH ?g { ?about ?compared ?value } } "
            "GROUP BY ?about ?compared HAVING (COUNT(*) > 1)") % " ".join(f"<{p}>" for p in COMPARED)

# Figures (observations) are compared when they have the same subject: the subjects stated more than once.
SHARED = f"SELECT ?about WHERE {{ GRAPH ?g {{ ?figure <{OT}subject> ?about }} }} GROUP BY ?about HAVING (COUNT(*) > 1)"


def repeated_values(store: ox.Store, iris: IRIs) -> list[ox.Quad]:
    """The table of repeated values: one `ot:RepeatedValue` per subject and compared property
    that the store's graphs state more than once (in two graphs, or with two values), and one
    per object of `ot:subject` they state more than once (the subject of several figures)."""
    g = ox.NamedNode(iris.graph("index"))
    a, cls = ox.NamedNode(RDF + "type"), ox.NamedNode(OT + "RepeatedValue")
    prop = ox.NamedNode(OT + "repeatedProperty")
    rows = [(ox.NamedNode(OT + "repeatedSubject"), r["about"], r["compared"]) for r in store.query(REPEATED)]
    rows += [(ox.NamedNode(OT + "repeatedObject"), r["about"], ox.NamedNode(OT + "subject")) for r in store.query(SHARED)]
    quads = []
    for role, node, compared in rows:
        key = hashlib.sha256(f"{role}\n{node}\n{compared}".encode()).hexdigest()[:20]
        row = ox.NamedNode(f"{iris.base}/id/index/repeated-{key}")
        quads += [ox.Quad(row, a, cls, g), ox.Quad(row, role, node, g), ox.Quad(row, prop, compared, g)]
    return quads
