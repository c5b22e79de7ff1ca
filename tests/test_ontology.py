"""The ontology: every term labelled and defined, reused terms real, consistent on its own."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from oretrace import ontology, reason
from oretrace.units import UNITS
from oretrace.vocab import OT, PREFIXES, RDFS, SKOS

from conftest import ROOT, shared_path


@pytest.fixture(scope="module")
def onto():
    return ontology.load(ROOT / "ontology")


def test_every_oretrace_term_has_label_and_definition(onto):
    triples = list(ox.parse(onto.nquads, format=ox.RdfFormat.N_TRIPLES))
    subjects = {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(OT)}
    labelled = {t.subject.value for t in triples if t.predicate.value == RDFS + "label"}
    defined = {t.subject.value for t in triples if t.predicate.value == SKOS + "definition"}
    assert len(subjects) > 150
    assert sorted(subjects - labelled) == []
    assert sorted(subjects - defined) == []


def test_required_families_are_modelled(onto):
    for name in ("Concentrate", "IntermediateProduct", "RefinedMetal", "Compound", "Component", "EndProduct",
                 "MiningCooperative", "StateMiningCompany", "CommodityTrader", "PortTerminalOperator", "GovernmentBody",
                 "Mine", "ConcentrationPlant", "BorderPost", "Port", "PortTerminal", "Smelter", "Refinery", "Fumer", "Factory",
                 "Extraction", "Concentration", "TruckTransport", "SeaTransport", "InlandWaterwayTransport", "RailTransport",
                 "Roasting", "Leaching", "Electrolysis", "Smelting", "Refining", "Fuming", "Sputtering", "Recycling",
                 "Export", "Import", "ProductionObservation", "CapacityObservation", "TradeShareObservation",
                 "ContentObservation", "RecyclingRateObservation", "EndUseShareObservation", "Law", "Regulation",
                 "Guidance", "Royalty", "RoyaltyStatus", "Citation", "Statement",
                 "IndiumBearingMaterial", "IndiumBearingExport", "ThreeTGMaterial", "ExportFromConflictAffectedArea"):
        assert onto.resolve_class(name), name


def _vocabulary_terms() -> set[str]:
    base = shared_path("external", "ontologies", "npm-vocabulary")
    terms = set()
    for nq in base.glob("*/*.nq"):
        for line in nq.read_text(encoding="utf-8", errors="replace").splitlines():
            m = re.match(r"^<([^>]+)>", line)
            if m:
                terms.add(m.group(1))
    return terms


def test_reused_terms_exist_in_the_published_vocabularies(onto):
    terms = _vocabulary_terms()
    reused = set()
    for t in ox.parse(onto.nquads, format=ox.RdfFormat.N_TRIPLES):
        for node in (t.subject, t.predicate, t.object):
            if isinstance(node, ox.NamedNode):
                for p in ("prov", "org", "geo", "qudt"):
                    if node.value.startswith(PREFIXES[p]):
                        reused.add(node.value)
    assert len(reused) > 10
    assert sorted(reused - terms) == []


def test_units_are_real_qudt_units():
    """Every unit is QUDT's, except the prices per mass QUDT lacks, which the ontology declares itself."""
    terms = _vocabulary_terms()
    ours = {u.iri for u in UNITS.values() if u.iri.startswith(OT)}
    assert sorted(u.iri for u in UNITS.values() if u.iri not in terms and u.iri not in ours) == []
    assert sorted(ours) == [OT + "EUR-PER-KiloGM", OT + "USD-PER-KiloGM"]


def test_every_unit_has_a_label_and_a_symbol(settings):
    """units.ttl gives each unit curated files may use an English label and the symbol the app prints."""
    import rdflib

    g = rdflib.Graph().parse(settings.ontology_dir / "units.ttl")
    for u in UNITS.values():
        labels = [o for o in g.objects(rdflib.URIRef(u.iri), rdflib.RDFS.label) if o.language == "en"]
        symbols = list(g.objects(rdflib.URIRef(u.iri), rdflib.URIRef("http://qudt.org/schema/qudt/symbol")))
        assert len(labels) == 1 and len(symbols) == 1, u


def test_hs_codes_exist_in_the_nomenclature():
    from oretrace.reference import hs_codes

    csv = shared_path("external", "hs-codes", "datasets-harmonized-system", "data", "harmonized-system.csv").read_text()
    known = {line.split(",")[1] for line in csv.splitlines()[1:] if line.count(",") >= 4}
    assert hs_codes() and sorted(set(hs_codes()) - known) == []


def test_ontology_alone_is_consistent_with_hermit(onto):
    triples = list(ox.parse(onto.nquads, format=ox.RdfFormat.N_TRIPLES))
    types, supers = reason._hermit(triples)
    assert OT + "IndiumBearingExport" in supers.get(OT + "IndiumBearingMineralExport", set())


def test_indium_bearing_mineral_export_classified_from_definitions(tmp_path):
    """A concentrate that contains indium, exported, is classified by HermiT, not by a hand-kept list."""
    onto_ = ontology.load(ROOT / "ontology")
    N = ox.NamedNode
    a = N("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    flow, mat = N("http://example.org/flow/1"), N("http://example.org/material/c")
    g = N("http://example.org/g")
    quads = [ox.Quad(flow, a, N(OT + "Export"), g), ox.Quad(flow, N(OT + "material"), mat, g),
             ox.Quad(mat, a, N(OT + "Concentrate"), g), ox.Quad(mat, N(OT + "containsElement"), N(OT + "Indium"), g)]
    inferred = {(t.subject.value, t.object.value) for t in reason.infer(onto_, quads)}
    assert (flow.value, OT + "IndiumBearingMineralExport") in inferred
    assert (flow.value, OT + "IndiumBearingExport") in inferred
    assert (mat.value, OT + "IndiumBearingMaterial") in inferred
    assert (mat.value, OT + "ThreeTGMaterial") not in inferred


def test_a_broken_module_is_named_with_its_line(tmp_path):
    (tmp_path / "good.ttl").write_text("@prefix ot: <https://w3id.org/oretrace/ontology#> .\not:A a ot:B .\n", encoding="utf-8")
    (tmp_path / "bad.ttl").write_text('@prefix ot: <https://w3id.org/oretrace/ontology#> .\not:A a ot:B ;\n  ot:c "x .\n',
                                      encoding="utf-8")
    with pytest.raises(ontology.OntologyError) as e:
        ontology.load(tmp_path)
    assert str(tmp_path / "bad.ttl") in str(e.value) and "line 3" in str(e.value)


def test_blank_nodes_are_labelled_from_their_content(tmp_path):
    """Two folders holding the same triples, written in another order with other blank node names, give
    the same N-Triples: the dumps and the build version do not depend on how a module is written."""
    head = "@prefix ot: <https://w3id.org/oretrace/ontology#> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "m.ttl").write_text(head + "ot:X owl:equivalentClass [ owl:unionOf (ot:P ot:Q) ] .\not:Y a owl:Class .\n", encoding="utf-8")
    (b / "m.ttl").write_text(head + "ot:Y a owl:Class .\n_:zz owl:unionOf ( ot:P ot:Q ) .\not:X owl:equivalentClass _:zz .\n",
                             encoding="utf-8")
    na, nb = ontology.load(a).nquads, ontology.load(b).nquads
    assert na == nb and "_:" in na and na.count("\n") == 7  # two list cells: first and rest each
