"""Classify the curated graph with the HermiT reasoner shipped in owlready2: the third stage.

`infer(ontology, quads)` returns the inferred `rdf:type` triples: the defined classes HermiT
places individuals in (indium-bearing export, 3TG material, ...) and every named superclass of
each individual's types in the inferred class hierarchy, minus what was asserted. An
inconsistent graph raises `InconsistencyError` naming the statements that together cause it.

HermiT reads RDF/XML written by pyoxigraph (owlready2 cannot read Turtle) and is run through
its command line, the same jar and Java settings that owlready2's `sync_reasoner_hermit` uses;
its output (SubClassOf and Type axioms) is parsed here. Statement and citation metadata in the
provenance graph are left out (they would double HermiT's time): the build's SPARQL rules classify
them (build.py, rules.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox

from .errors import InputError
from .ontology import Ontology, reachable
from .vocab import OWL, RDF

_TYPE = RDF + "type"
_AXIOM = re.compile(r"^(SubClassOf|Type)\( <([^>]+)> <([^>]+)> \)$")


class ReasonerError(InputError):
    """The reasoner could not run."""


class InconsistencyError(InputError):
    """The ontology and data contradict each other."""

    def __init__(self, statements: list[str], detail: str):
        self.statements = statements
        super().__init__(detail, summary="fix or remove one of these statements")


def _java() -> list[str]:
    import owlready2

    java = getattr(owlready2, "JAVA_EXE", "java")
    if shutil.which(java) is None:
        raise ReasonerError("no Java runtime found: HermiT needs one (apt-get install -y default-jre-headless)")
    jar_dir = os.path.join(os.path.dirname(owlready2.__file__), "hermit")
    memory = getattr(getattr(owlready2, "reasoning", None), "JAVA_MEMORY", 2000)
    # HermiT runs for a second or two: the quick (C1) JIT tier alone starts and finishes sooner
    return [java, "-XX:TieredStopAtLevel=1", f"-Xmx{memory}M", "-cp", f"{jar_dir}{os.pathsep}{os.path.join(jar_dir, 'HermiT.jar')}",
            "org.semanticweb.HermiT.cli.CommandLine"]


def _hermit(triples: Iterable[ox.Triple]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Run HermiT: (direct types of each individual, direct superclasses of each class)."""
    with tempfile.TemporaryDirectory(prefix="oretrace-hermit-") as tmp:
        path = os.path.join(tmp, "input.owl")
        ox.serialize(triples, path, format=ox.RdfFormat.RDF_XML)
        try:
            out = subprocess.run(_java() + ["-c", "-I", "file://" + path], capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise ReasonerError(f"HermiT failed to run: {e}") from e
    if out.returncode != 0:
        if "InconsistentOntologyException" in out.stderr:
            raise InconsistencyError([], "HermiT found the ontology and data inconsistent")
        raise ReasonerError(f"HermiT failed (exit {out.returncode}): {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else ''}")
    types: dict[str, set[str]] = defaultdict(set)
    supers: dict[str, set[str]] = defaultdict(set)
    for line in out.stdout.splitlines():
        m = _AXIOM.match(line.strip())
        if m:
            (types if m.group(1) == "Type" else supers)[m.group(2)].add(m.group(3))
    return types, supers


def _consistent(triples: list[ox.Triple]) -> bool:
    try:
        _hermit(triples)
        return True
    except InconsistencyError:
        return False


def reasoning_input(quads: Iterable[ox.Quad], provenance_graph: str) -> list[ox.Quad]:
    """The quads HermiT sees: statement graphs and source descriptions, not statement metadata."""
    keep = []
    for q in quads:
        g = q.graph_name
        if isinstance(g, ox.NamedNode) and g.value == provenance_graph:
            s = q.subject.value if isinstance(q.subject, ox.NamedNode) else ""
            if "/id/statement/" in s:
                continue
        keep.append(q)
    return keep


def infer(onto: Ontology, asserted: Iterable[ox.Quad]) -> list[ox.Triple]:
    """Inferred rdf:type triples for the asserted quads (all graphs merged)."""
    quads = list(asserted)
    onto_triples = list(ox.parse(onto.nquads, format=ox.RdfFormat.N_TRIPLES))
    data_triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
    try:
        direct, supers = _hermit(onto_triples + data_triples)
    except InconsistencyError as e:
        culprits = explain(onto_triples, quads)
        raise InconsistencyError(culprits, f"the graph is inconsistent ({e}); statements involved: {', '.join(culprits) or 'not isolated'}") from None

    def ancestors(c: str) -> set[str]:
        return reachable(c, lambda x: supers.get(x, set()) | onto.superclasses.get(x, {x}))

    asserted_types: dict[str, set[str]] = defaultdict(set)
    for t in data_triples:
        if t.predicate.value == _TYPE and isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.NamedNode):
            asserted_types[t.subject.value].add(t.object.value)
    inferred = []
    for ind in sorted(asserted_types):
        closure: set[str] = set()
        for c in asserted_types[ind] | direct.get(ind, set()):
            closure |= ancestors(c)
        for c in sorted(closure - asserted_types[ind]):
            if c in onto.classes and c != OWL + "Thing":
                inferred.append(ox.Triple(ox.NamedNode(ind), ox.NamedNode(_TYPE), ox.NamedNode(c)))
    return inferred


def explain(onto_triples: list[ox.Triple], quads: list[ox.Quad]) -> list[str]:
    """A minimal set of statement graphs that is inconsistent with the ontology (QuickXplain)."""
    groups: dict[str, list[ox.Triple]] = defaultdict(list)
    for q in quads:
        key = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        groups[key].append(ox.Triple(q.subject, q.predicate, q.object))
    keys = sorted(groups)

    def consistent(subset: list[str]) -> bool:
        triples = {t for k in subset for t in groups[k]}
        return _consistent(onto_triples + sorted(triples, key=str))

    def qx(background: list[str], delta: bool, candidates: list[str]) -> list[str]:
        if delta and not consistent(background):
            return []
        if len(candidates) == 1:
            return candidates
        half = len(candidates) // 2
        c1, c2 = candidates[:half], candidates[half:]
        d2 = qx(background + c1, bool(c1), c2)
        d1 = qx(background + d2, bool(d2), c1)
        return d1 + d2

    if consistent(keys):
        return []
    found = qx([], False, keys)
    return sorted(k.rsplit("/id/statement/", 1)[-1] for k in found)
