"""Every catalogue question is answered from structured values (issue 12): a free-text property (a
label, description, paraphrase, title, locator text, or a deprecated text property such as the old
ot:measure) may be read only for display, in an OPTIONAL, and never filtered on or joined through."""

from __future__ import annotations

import pytest
from rdflib import URIRef, Variable
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from oretrace.vocab import DCTERMS, OT, RDFS, SKOS

from conftest import ROOT

FREE_TEXT = {DCTERMS + "description", DCTERMS + "title", RDFS + "label", RDFS + "comment", SKOS + "altLabel",
             SKOS + "definition", OT + "paraphrase", OT + "locatorText", OT + "citedAs",
             OT + "method", OT + "measure", OT + "operationalStatus", OT + "base", OT + "condition"}
QUERIES = sorted((ROOT / "queries").glob("*.rq"))


def free_text_uses(text: str):
    """(property, object, in an OPTIONAL?, filtered on?) for each triple pattern with a free-text property."""
    found, filters = [], []

    def walk(node, optional):
        if isinstance(node, CompValue):
            if node.name == "LeftJoin":
                walk(node.p1, optional)
                walk(node.p2, True)
                if node.get("expr") is not None:
                    filters.append(node.expr)
                return
            if node.name == "BGP":
                found.extend((str(p), o, optional) for s, p, o in node.triples if isinstance(p, URIRef) and str(p) in FREE_TEXT)
                return
            if node.name == "Filter":
                filters.append(node.expr)
            for v in node.values():
                walk(v, optional)
        elif isinstance(node, (list, tuple)):
            for x in node:
                walk(x, optional)

    walk(prepareQuery(text).algebra, False)
    in_filters: set = set()

    def variables(e):
        if isinstance(e, Variable):
            in_filters.add(e)
        elif isinstance(e, CompValue):
            for v in e.values():
                variables(v)
        elif isinstance(e, (list, tuple)):
            for x in e:
                variables(x)

    for e in filters:
        variables(e)
    return [(p, o, optional, isinstance(o, Variable) and o in in_filters) for p, o, optional in found]


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_no_catalogue_query_needs_free_text(path):
    bad = [(p.rsplit("#", 1)[-1].rsplit("/", 1)[-1], str(o)) for p, o, optional, filtered in free_text_uses(path.read_text())
           if not optional or filtered]
    assert not bad, f"{path.name} answers from free text: {bad}"


def test_the_check_finds_a_query_that_filters_on_a_label():
    text = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?x WHERE { ?x a ?c . "
            "OPTIONAL { ?x rdfs:label ?l } FILTER(CONTAINS(?l, 'zinc')) }")
    assert [(o, filtered) for _, o, _, filtered in free_text_uses(text)] == [(Variable("l"), True)]
    text2 = "PREFIX ot: <https://w3id.org/oretrace/ontology#> SELECT ?x WHERE { ?x ot:measure ?m }"
    assert [optional for _, _, optional, _ in free_text_uses(text2)] == [False]
