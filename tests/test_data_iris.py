"""The life of an IRI (docs/modelling.md): every entity IRI ever released still resolves in the graph,
as the entity itself or as a deprecated entity that names its replacement or is withdrawn."""

from __future__ import annotations

from oretrace.vocab import DCTERMS, OWL, IRIs

from conftest import ROOT


def released() -> list[str]:
    lines = (ROOT / "data" / "released-iris.txt").read_text().splitlines()
    return [x for x in lines if x.strip() and not x.startswith("#")]


def test_every_released_iri_is_still_in_the_graph(built, store):
    iris = IRIs(built.base)
    missing = []
    for ref in released():
        iri = iris.ref(ref)
        if not store.query(f"ASK {{ <{iri}> ?p ?o }}", use_default_graph_as_union=True):
            missing.append(ref)
    assert not missing, f"released IRIs that no longer resolve: {missing[:10]}"


def test_deprecated_entities_name_a_live_replacement_or_none(built, store):
    rows = list(store.query(f"""SELECT ?x ?r WHERE {{ ?x <{OWL}deprecated> true OPTIONAL {{ ?x <{DCTERMS}isReplacedBy> ?r }} }}""",
                            use_default_graph_as_union=True))
    assert rows, "the curated data deprecates at least one entity (flow/fr-indium-domestic-use-2018)"
    for r in rows:
        if r["r"] is not None:
            assert store.query(f"ASK {{ <{r['r'].value}> ?p ?o FILTER NOT EXISTS {{ <{r['r'].value}> <{OWL}deprecated> true }} }}",
                               use_default_graph_as_union=True)


def test_the_release_list_is_complete(built, store):
    """Every entity of this build is listed, so the next release is held to it too (add new ones with
    `oretrace iris --update`, which appends and never removes)."""
    from oretrace.iris import entity_refs

    listed = set(released())
    assert set(entity_refs(store, IRIs(built.base))) <= listed
