"""The build: deterministic, atomic, reasoned, with provenance for every statement graph."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from oretrace import build as build_mod
from oretrace import dumps, query
from oretrace.config import Settings
from oretrace.errors import InputError
from oretrace.store import current_release
from oretrace.vocab import IRIs

ROOT = Path(__file__).resolve().parents[1]


def _build_into(root: Path, build_dir: Path) -> build_mod.BuildResult:
    return build_mod.build(Settings(root=root, build=build_dir), quiet=True)


def test_manifest_matches_dumps(built):
    rel = current_release(built)
    man = json.loads((rel / "manifest.json").read_text())
    assert set(man["dumps"]) == {"dataset.trig", "dataset.nq", "default.ttl", "default.jsonld", "void.ttl"}
    for name, info in man["dumps"].items():
        data = (rel / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == info["sha256"], name
        assert len(data) == info["bytes"]
    c = man["counts"]
    assert c["curated_statements"] > 100 and c["sources"] > 10 and c["entities"] > 50
    nq_lines = (rel / "dataset.nq").read_text().count("\n")
    assert nq_lines == c["quads"]


def test_two_builds_are_byte_identical(tmp_path):
    a = _build_into(ROOT, tmp_path / "a")
    b = _build_into(ROOT, tmp_path / "b")
    assert a.manifest == b.manifest
    for name in a.manifest["dumps"]:
        assert (a.release / name).read_bytes() == (b.release / name).read_bytes(), name
    assert (a.release / "manifest.json").read_bytes() == (b.release / "manifest.json").read_bytes()


def test_failed_build_leaves_previous_release(minimal_project, tmp_path, monkeypatch):
    project_copy = minimal_project
    first = _build_into(project_copy, tmp_path / "b")
    before = (tmp_path / "b" / "current").resolve()

    def boom(*a, **k):
        raise OSError("disk full (simulated)")

    (project_copy / "data" / "entities" / "curators.yaml").write_text(
        (project_copy / "data" / "entities" / "curators.yaml").read_text().replace("oretrace core team", "oretrace core team (changed)"))
    monkeypatch.setattr(dumps, "write_dataset", boom)
    with pytest.raises(OSError):
        _build_into(project_copy, tmp_path / "b")
    assert (tmp_path / "b" / "current").resolve() == before
    assert json.loads((before / "manifest.json").read_text()) == first.manifest
    leftovers = [p.name for p in (tmp_path / "b" / "releases").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_inferred_types_are_in_their_own_graph(built, store):
    iris = IRIs(built.base)
    res = query.run_store(store, query.with_prefixes(f"""
        SELECT (COUNT(*) AS ?n) (SUM(IF(?p = rdf:type, 1, 0)) AS ?types) WHERE {{
          GRAPH <{iris.inferred_graph}> {{ ?s ?p ?o }} }}"""))
    n, types = (int(v.value) for v in res.rows[0])
    assert n > 0 and n == types
    # nothing inferred is also asserted in a statement graph
    dup = query.run_store(store, query.with_prefixes(f"""
        ASK {{ GRAPH <{iris.inferred_graph}> {{ ?s a ?c }} GRAPH ?g {{ ?s a ?c }}
               FILTER(STRSTARTS(STR(?g), "{iris.base}/id/statement/")) }}"""))
    assert dup.boolean is False
    marked = query.run_store(store, query.with_prefixes(f"ASK {{ <{iris.inferred_graph}> a ot:InferredGraph ; prov:wasGeneratedBy ?a }}"))
    assert marked.boolean


def test_reasoner_classifies_defined_classes(built, store):
    res = query.run_store(store, query.with_prefixes(f"""
        SELECT ?x WHERE {{ GRAPH <{IRIs(built.base).inferred_graph}> {{ ?x a ot:IndiumBearingMineralExport }} }}"""))
    assert len(res.rows) >= 1


def test_every_statement_graph_has_source_and_locator(built, store):
    iris = IRIs(built.base)
    text = """
        SELECT ?g WHERE {
          GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "BASE/id/statement/"))
          FILTER NOT EXISTS { GRAPH <PROV> {
            ?g prov:wasDerivedFrom ?doc ; ot:citation ?c . ?c ot:document ?doc ; ot:locatorText ?loc } }
        } LIMIT 5"""
    res = query.run_store(store, query.with_prefixes(text.replace("BASE", iris.base).replace("PROV", iris.provenance_graph)))
    assert res.rows == []


def test_inconsistency_fails_the_build_naming_the_statement(minimal_project, tmp_path):
    project_copy = minimal_project
    (project_copy / "data" / "entities" / "zz-bad.yaml").write_text("""\
curator: curator/oretrace-core
curated_on: 2026-01-01
source: oretrace-project
entities:
  - id: actor/contradiction
    a: CivilSocietyOrganisation
    label: An actor
    at: {section: test}
""")
    src = project_copy / "data" / "sources" / "oretrace-project.yaml"
    src.write_text(src.read_text().replace("statements: []", """statements:
  - id: test/actor-is-a-flow
    at: {section: test}
    says: Declares that the actor is also a flow, which the ontology forbids.
    assert:
      - about: actor/contradiction
        a: Flow"""))
    env = dict(os.environ, ORETRACE_BUILD=str(tmp_path / "b"))
    out = subprocess.run([sys.executable, "-m", "oretrace", "--root", str(project_copy), "build", "-q"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 2, out.stderr
    assert "inconsistent" in out.stderr
    assert "test/actor-is-a-flow" in out.stderr and "entity/actor/contradiction" in out.stderr
    assert not (tmp_path / "b" / "current").exists()


def test_void_describes_the_dumps_with_their_checksums(built):
    import pyoxigraph as ox

    rel = current_release(built)
    man = json.loads((rel / "manifest.json").read_text())
    st = ox.Store()
    st.load(path=str(rel / "void.ttl"), format=ox.RdfFormat.TURTLE)
    res = query.run_store(st, query.with_prefixes("""
        SELECT ?dist ?sha ?size WHERE { ?d a void:Dataset ; dcat:distribution ?dist .
          ?dist dcat:byteSize ?size ; <http://spdx.org/rdf/terms#checksum>/<http://spdx.org/rdf/terms#checksumValue> ?sha }"""), union=False)
    got = {r[0].value.rsplit("/", 1)[-1]: (r[1].value, int(r[2].value)) for r in res.rows}
    expected = {n: (i["sha256"], i["bytes"]) for n, i in man["dumps"].items() if n != "void.ttl"}
    assert got == expected
    svc = query.run_store(st, query.with_prefixes("ASK { ?s a dcat:DataService ; dcat:servesDataset ?d . ?d void:sparqlEndpoint ?e }"), union=False)
    assert svc.boolean


def test_an_empty_import_gives_the_same_graph_as_none(tmp_path):
    """One build path: the curated-only build is the build with no imports, so an empty file in
    build/imports/ changes no byte of any dump, and the manifest only lists the import."""
    plain = _build_into(ROOT, tmp_path / "plain")
    (tmp_path / "empty" / "imports").mkdir(parents=True)
    (tmp_path / "empty" / "imports" / "nothing.nq").write_bytes(b"")
    empty = _build_into(ROOT, tmp_path / "empty")
    assert set(plain.manifest["dumps"]) == set(empty.manifest["dumps"])
    for name in plain.manifest["dumps"]:
        assert (plain.release / name).read_bytes() == (empty.release / name).read_bytes(), name
    assert plain.manifest["imports"] == {} and list(empty.manifest["imports"]) == ["nothing"]
    assert empty.manifest["imports"]["nothing"]["quads"] == 0
    assert {k: v for k, v in plain.manifest.items() if k != "imports"} == \
        {k: v for k, v in empty.manifest.items() if k != "imports"}
    # statement metadata is classified in both (build.py's docstring): a statement graph is a prov:Entity
    st = ox.Store()
    st.load(path=str(plain.release / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    iris = IRIs(Settings(root=ROOT).base)
    statement = next(q.subject for q in st.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        ox.NamedNode("https://w3id.org/oretrace/ontology#Statement"), ox.NamedNode(iris.provenance_graph)))
    assert ox.Quad(statement, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                   ox.NamedNode("http://www.w3.org/ns/prov#Entity"), ox.NamedNode(iris.inferred_graph)) in st


def test_progress_steps_are_the_declared_stages(minimal_project, tmp_path, capsys):
    """One numbered line per stage of build.STAGES that is on; the reconciliation stage is off by
    default (its graph in a release: test_reconcile_graph.py); a project without the catalogue's
    reconciliation queries gets a plain error and no release."""
    with pytest.raises(InputError, match=r"reconciliation-figures\.rq: missing"):  # a project without queries/
        build_mod.build(Settings(root=minimal_project, build=tmp_path / "noqueries"), quiet=True, reconcile=True)
    assert not (tmp_path / "noqueries" / "current").exists()
    capsys.readouterr()
    shutil.copytree(ROOT / "queries", minimal_project / "queries")
    for reconcile in (False, True):
        r = build_mod.build(Settings(root=minimal_project, build=tmp_path / str(reconcile)), reconcile=reconcile)
        err = capsys.readouterr().err
        steps = [line for line in err.splitlines() if line.startswith("[")]
        titles = [s.title for s in build_mod.STAGES if s.name != "reconcile" or reconcile]
        assert steps == [f"[{i}/{len(titles)}] {t}" for i, t in enumerate(titles, 1)]
        assert set(r.timings) == {s.name for s in build_mod.STAGES if s.name != "reconcile" or reconcile}
