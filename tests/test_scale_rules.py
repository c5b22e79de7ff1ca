"""The SPARQL rules that classify imported data agree with HermiT on the curated graph."""

from __future__ import annotations

import pyoxigraph as ox

from oretrace import curated, ontology, query, rdf, reason, rules
from oretrace.vocab import IRIs


def test_rules_give_the_same_types_as_hermit_on_the_curated_data(settings):
    iris = IRIs(settings.base)
    onto = ontology.load(settings.ontology_dir)
    asserted = list(rdf.curation_quads(curated.read(settings, onto), iris))
    hermit = {(t.subject.value, t.object.value) for t in reason.infer(onto, asserted)}
    st = ox.Store()
    st.extend(rdf.ontology_quads(onto.nquads, iris) + asserted)
    stats = rules.infer(st, onto.nquads, iris.ontology_graph, iris.inferred_graph)
    mine = {(q.subject.value, q.object.value)
            for q in st.quads_for_pattern(None, None, None, ox.NamedNode(iris.inferred_graph))}
    assert len(hermit) > 500
    assert mine == hermit, (sorted(hermit - mine)[:10], sorted(mine - hermit)[:10])
    # the defined classes are among them (not only superclasses)
    assert any(k.startswith("defined") for k in stats["by_rule"])


def test_every_definition_of_the_ontology_is_translated(settings):
    onto = ontology.load(settings.ontology_dir)
    sc = rules.schema(onto.triples)
    for name in ("IndiumBearingMaterial", "IndiumBearingExport", "IndiumBearingMineralExport", "ThreeTGMaterial",
                 "ConflictAffectedPlace", "ExportFromConflictAffectedArea", "ThreeTGExportFromConflictAffectedArea"):
        assert "https://w3id.org/oretrace/ontology#" + name in sc.definitions


def test_build_with_imports_is_deterministic_and_streams_its_dumps(tmp_path):
    """Two builds with the same import give the same bytes; dataset.nq holds every quad of the store."""
    import json
    import os

    from conftest import ROOT
    from oretrace.build import build
    from oretrace.config import Settings
    from oretrace.importers import write_import

    results = []
    for name in ("a", "b"):
        bd = tmp_path / name
        s = Settings(root=ROOT, build=bd)
        (bd / "imports").mkdir(parents=True)
        write_import(s, "rmi", ROOT / "tests" / "fixtures" / "imports" / "rmi-smelters.csv",
                     bd / "imports" / "smelters.nq", quiet=True)
        results.append(build(s, quiet=True))
    a, b = results
    assert a.manifest == b.manifest and "smelters" in a.manifest["imports"]
    for dump in a.manifest["dumps"]:
        assert (a.release / dump).read_bytes() == (b.release / dump).read_bytes(), dump
    st = ox.Store()
    st.load(path=str(a.release / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    assert len(st) == a.manifest["counts"]["quads"]
    # the smelters were classified by the rules: a smelter is a metallurgical plant, a site, a smelter-or-refiner
    site = ox.NamedNode("https://w3id.org/oretrace/id/site/rmi-cidfix0001")
    types = {q.object.value.rsplit("#", 1)[-1] for q in st.quads_for_pattern(
        site, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), None,
        ox.NamedNode("https://w3id.org/oretrace/graph/inferred"))}
    assert {"MetallurgicalPlant", "Site", "SmelterOrRefiner"} <= types
    json.loads((a.release / "manifest.json").read_text())
    # the graphs by kind, counted while the dumps were written, are those of the published store
    from oretrace.describe import graph_partitions, graph_partitions_by_query
    from oretrace.store import open_store

    published = open_store(Settings(root=ROOT, build=tmp_path / "a"))
    void = query.run_store(published, query.with_prefixes(
        "SELECT ?kind ?graphs ?triples WHERE { GRAPH ?d { ?part ot:graphKind ?kind ; ot:namedGraphCount ?graphs ; "
        "void:triples ?triples } }"))
    iris = IRIs(Settings(root=ROOT).base)
    assert {k.value: (int(g.value), int(t.value)) for k, g, t in void.rows} == graph_partitions_by_query(published) \
        == graph_partitions(published, iris)
    # a graph of no known kind, or a statement graph the provenance graph does not describe: each graph is looked at
    copy = ox.Store()
    copy.bulk_extend(published)
    copy.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o"), ox.NamedNode("urn:x:g")))
    assert graph_partitions(copy, iris) == graph_partitions_by_query(copy)
    copy.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o"),
                     ox.NamedNode(iris.statement("undescribed"))))
    assert graph_partitions(copy, iris) == graph_partitions_by_query(copy)


def test_superclasses_concluded_while_loading_equal_those_of_the_rules(tmp_path):
    """The build concludes the superclasses of imported types as it loads them (rules.TypeClosure);
    the inferred graph is the same as when the SPARQL rules do all the work, and a superclass the
    data states is not inferred again."""
    from conftest import ROOT
    from oretrace.build import build
    from oretrace.config import Settings
    from oretrace.importers import write_import
    from oretrace.store import open_store

    s = Settings(root=ROOT, build=tmp_path)
    iris = IRIs(s.base)
    onto = ontology.load(s.ontology_dir)
    sc = rules.schema(onto.triples)
    cls = next(c for c in sorted(sc.supers) if len(sc.supers[c]) >= 2)
    sup = sorted(sc.supers[cls])[0]
    typ = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    x = "https://w3id.org/oretrace/id/test/"
    (tmp_path / "imports").mkdir()
    write_import(s, "rmi", ROOT / "tests" / "fixtures" / "imports" / "rmi-smelters.csv",
                 tmp_path / "imports" / "smelters.nq", quiet=True)
    # the last line has no line end; a literal that looks like a type line is not one
    (tmp_path / "imports" / "handmade.nq").write_text(
        f"<{x}a> {typ} <{cls}> <{x}g1> .\n"
        f"<{x}b> {typ} <{cls}> <{x}g2> .\n"
        f"<{x}c> <http://www.w3.org/2000/01/rdf-schema#label> \"<{x}d> {typ} <{cls}> <{x}g4> .\" <{x}g3> .\n"
        f"<{x}a> {typ} <{sup}> <{x}g5> .")
    result = build(s, quiet=True, validation=False)
    ig = ox.NamedNode(iris.inferred_graph)
    published = open_store(s)
    built = {(q.subject.value, q.object.value) for q in published.quads_for_pattern(None, None, None, ig)}
    assert (x + "b", sup) in built and (x + "a", sup) not in built and not any(k == x + "d" for k, _ in built)
    assert result.manifest["reasoning"]["superclass_types_while_loading"] > 0
    assert result.manifest["counts"]["inferred"] == len(built)

    # the same data, classified by HermiT (curated) and the SPARQL rules alone
    st = ox.Store()
    st.extend(q for q in published if q.graph_name != ig)
    asserted = list(rdf.curation_quads(curated.read(s, onto), iris))
    st.extend(ox.Quad(t.subject, t.predicate, t.object, ig)
              for t in reason.infer(onto, reason.reasoning_input(asserted, iris.provenance_graph)))
    rules.infer(st, onto.nquads, iris.ontology_graph, iris.inferred_graph)
    alone = {(q.subject.value, q.object.value) for q in st.quads_for_pattern(None, None, None, ig)}
    assert built == alone, (sorted(built - alone)[:5], sorted(alone - built)[:5])
