"""The whole query catalogue on Virtuoso: every query of queries/ (with its default parameters) gives the
same answers on a real Virtuoso server, into which the build was bulk-loaded, as on the embedded
store. Answers are compared as normalised result sets (tests/sparql_compare.py), not as counts."""

from __future__ import annotations

import pytest

from oretrace import query
from oretrace.vocab import IRIs

from conftest import ROOT
from sparql_compare import differences

pytestmark = pytest.mark.server

CAT = query.catalogue(ROOT / "queries")


@pytest.mark.parametrize("name", sorted(CAT))
def test_same_answers_on_virtuoso(built, store, virtuoso_published, name):
    nq = CAT[name]
    text = query.with_prefixes(query.bind(nq, {}, IRIs(built.base)))
    local = query.run_store(store, text)
    try:
        remote = query.run_endpoint(virtuoso_published.sparql, text, timeout=300)
    except query.QueryError as e:
        pytest.fail(f"{name} does not run on Virtuoso: {str(e)[:600]}")
    diff = differences(local, remote, text)
    assert not diff, f"{name} answers differently on Virtuoso:\n" + "\n".join(diff)
    assert local.rows or local.boolean is not None or name in EMPTY_ON_CURATED, f"{name} gave no rows: nothing was compared"


# queries whose answer on the curated graph is empty by design (their own tests build data that fills them)
EMPTY_ON_CURATED = {"source-disagreements"}


def test_risk_classes_lie_at_most_four_levels_below_risk_observation(store):
    """queries/risks-in-place.rq writes the class hierarchy out four levels deep (see its comment)."""
    rows = query.run_store(store, query.with_prefixes(
        "SELECT ?kind WHERE { ?kind rdfs:subClassOf+ ot:RiskObservation . "
        "FILTER NOT EXISTS { { ?kind rdfs:subClassOf ot:RiskObservation } "
        "UNION { ?kind rdfs:subClassOf/rdfs:subClassOf ot:RiskObservation } "
        "UNION { ?kind rdfs:subClassOf/rdfs:subClassOf/rdfs:subClassOf ot:RiskObservation } "
        "UNION { ?kind rdfs:subClassOf/rdfs:subClassOf/rdfs:subClassOf/rdfs:subClassOf ot:RiskObservation } } }")).rows
    assert rows == [], f"risk classes deeper than four levels: {rows}; extend the hierarchy in risks-in-place.rq"
    deepest = query.run_store(store, query.with_prefixes(
        "ASK { ?k rdfs:subClassOf/rdfs:subClassOf ot:RiskObservation }")).boolean
    assert deepest, "the hierarchy test above looks at a hierarchy that has depth"
