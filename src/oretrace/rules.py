"""Classify large graphs with SPARQL rules over Oxigraph, where HermiT cannot go.

HermiT classifies the curated graph (thousands of triples) in seconds, but it holds the whole
graph in the JVM and its time grows faster than linearly, so it cannot take millions of
imported triples. `infer(store, ...)` gives the same `rdf:type` conclusions for the OWL
constructs the ontology uses, by rules written in SPARQL and run inside Oxigraph:

* the class hierarchy: told `rdfs:subClassOf`, plus what the defined classes imply (a class
  defined as an intersection is below each named part; each named member of a union is below
  the union);
* `rdfs:domain` and `rdfs:range`, through sub-properties and `owl:inverseOf`;
* each defined class (`owl:equivalentClass` of `intersectionOf`, `unionOf`, `someValuesFrom`,
  `hasValue`, `oneOf`), with transitive properties and sub-properties as property paths.

Rules run in rounds until a round adds nothing; each round's conclusions are streamed to an
N-Triples file and bulk-loaded into the inferred graph. As in `reason.infer`, only individuals
typed in the data (outside the ontology graph) are classified, only named ontology classes are
concluded, and nothing already known is added. Each round costs a few scans of the typed
individuals, so time grows linearly with the data (see bench/ for figures).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .vocab import OWL, RDF, RDFS

MAX_ROUNDS = 10
WORKERS = max(1, min(4, os.cpu_count() or 1))  # rule queries evaluated side by side


class RuleError(Exception):
    """The ontology uses a construct the rules do not translate."""


@dataclass
class Schema:
    classes: set[str]
    supers: dict[str, set[str]]                 # class -> all named superclasses (not itself)
    domains: dict[str, set[str]]                # property -> classes of its subjects
    ranges: dict[str, set[str]]                 # property -> classes of its objects
    definitions: dict[str, str] = field(default_factory=dict)  # defined class -> SPARQL pattern over ?x


def schema(onto_nt: str) -> Schema:
    """Read the rules' schema from the ontology (N-Triples text)."""
    import rdflib
    from rdflib.collection import Collection

    g = rdflib.Graph()
    g.parse(data=onto_nt, format="nt")
    R, O = rdflib.RDF, rdflib.OWL
    classes = {str(c) for c in g.subjects(R.type, O.Class) if isinstance(c, rdflib.URIRef)}
    edges: dict[str, set[str]] = {c: set() for c in classes}
    for s, o in g.subject_objects(rdflib.RDFS.subClassOf):
        if isinstance(s, rdflib.URIRef) and isinstance(o, rdflib.URIRef):
            edges.setdefault(str(s), set()).add(str(o))
    definitions = {}
    for c, expr in g.subject_objects(O.equivalentClass):
        if not isinstance(c, rdflib.URIRef):
            continue
        c = str(c)
        for op in g.objects(expr, O.intersectionOf):
            for m in Collection(g, op):
                if isinstance(m, rdflib.URIRef):
                    edges.setdefault(c, set()).add(str(m))
        for op in g.objects(expr, O.unionOf):
            for m in Collection(g, op):
                if isinstance(m, rdflib.URIRef):
                    edges.setdefault(str(m), set()).add(c)
    # properties: sub-properties, inverses, transitivity
    subprops: dict[str, set[str]] = {}
    for s, o in g.subject_objects(rdflib.RDFS.subPropertyOf):
        subprops.setdefault(str(o), set()).add(str(s))
    inverse: dict[str, set[str]] = {}
    for s, o in g.subject_objects(O.inverseOf):
        inverse.setdefault(str(s), set()).add(str(o))
        inverse.setdefault(str(o), set()).add(str(s))
    transitive = {str(p) for p in g.subjects(R.type, O.TransitiveProperty)}

    def below(p: str) -> set[str]:
        seen, todo = {p}, [p]
        while todo:
            for q in subprops.get(todo.pop(), ()):
                if q not in seen:
                    seen.add(q)
                    todo.append(q)
        return seen

    def path(p: str) -> str:
        alts = []
        for q in sorted(below(p)):
            alts.append(f"<{q}>")
            for inv in sorted(inverse.get(q, ())):
                alts.append(f"^<{inv}>")
        text = "|".join(dict.fromkeys(alts))
        return f"({text})+" if p in transitive else f"({text})"

    counter = [0]

    def fresh() -> str:
        counter[0] += 1
        return f"?v{counter[0]}"

    def pattern(node, var: str) -> str:
        if isinstance(node, rdflib.URIRef):
            return f"{var} a <{node}> ."
        ops = list(g.objects(node, O.intersectionOf))
        if ops:
            # restrictions first, named classes last: the restrictions are the selective part
            members = sorted(Collection(g, ops[0]), key=lambda m: isinstance(m, rdflib.URIRef))
            return " ".join(pattern(m, var) for m in members)
        ops = list(g.objects(node, O.unionOf))
        if ops:
            # a sub-select, so that the union is evaluated once rather than once per row of what it is joined to
            union = " UNION ".join("{ " + pattern(m, var) + " }" for m in Collection(g, ops[0]))
            return f"{{ SELECT DISTINCT {var} WHERE {{ {union} }} }}"
        ops = list(g.objects(node, O.oneOf))
        if ops:
            return f"VALUES {var} {{ {' '.join(f'<{m}>' for m in Collection(g, ops[0]))} }}"
        prop = g.value(node, O.onProperty)
        if prop is not None:
            hv = g.value(node, O.hasValue)
            if hv is not None:
                return f"{var} {path(str(prop))} <{hv}> ."
            svf = g.value(node, O.someValuesFrom)
            if svf is not None:
                y = fresh()
                # the filler first: few individuals are in it, many have the property
                return f"{pattern(svf, y)} {var} {path(str(prop))} {y} ."
        raise RuleError(f"class expression {node} uses an OWL construct the SPARQL rules do not translate")

    for c, expr in g.subject_objects(O.equivalentClass):
        if isinstance(c, rdflib.URIRef) and not isinstance(expr, rdflib.URIRef):
            definitions[str(c)] = pattern(expr, "?x")

    supers: dict[str, set[str]] = {}
    for c in edges:
        seen, todo = set(), [c]
        while todo:
            for d in edges.get(todo.pop(), ()):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        supers[c] = {d for d in seen - {c} if d in classes and d != OWL + "Thing"}

    def named(cls) -> set[str]:
        return {str(cls)} if isinstance(cls, rdflib.URIRef) and str(cls) in classes else set()

    dom: dict[str, set[str]] = {}
    rng: dict[str, set[str]] = {}
    for p, c in g.subject_objects(rdflib.RDFS.domain):
        for q in below(str(p)):
            dom.setdefault(q, set()).update(named(c))
            for inv in inverse.get(q, ()):
                rng.setdefault(inv, set()).update(named(c))
    for p, c in g.subject_objects(rdflib.RDFS.range):
        for q in below(str(p)):
            rng.setdefault(q, set()).update(named(c))
            for inv in inverse.get(q, ()):
                dom.setdefault(inv, set()).update(named(c))
    return Schema(classes, supers, {k: v for k, v in dom.items() if v}, {k: v for k, v in rng.items() if v}, definitions)


def queries(sc: Schema, onto_graph: str, classes: set[str] | None = None, first: bool = True,
            present=lambda kind, iri: True, definitions: bool = True) -> list[list[tuple[str, str, bool]]]:
    """The rules of one round, in phases: a list of phases, each a list of (name, CONSTRUCT, needs
    the typed-in-data check).

    There is one query per concluded class, so no two queries of a phase conclude the same
    triple, and each subtracts what is already known with MINUS (a hash join: one scan of each
    side rather than a lookup per row). Superclasses come first, so that domains and ranges,
    which depend only on triples and run in the first round only, rarely find anything left;
    later rounds close only the classes that gained members in the round before (`classes`)
    and re-check the defined classes. `present(kind, iri)` tells whether a class has members or
    a property has triples; rules about absent ones are left out."""
    phases = []
    by_super: dict[str, list[str]] = {}
    for c in sorted(sc.supers if classes is None else classes & set(sc.supers)):
        if sc.supers.get(c) and present("class", c):
            for d in sc.supers[c]:
                by_super.setdefault(d, []).append(c)
    sup = []
    for d in sorted(by_super):
        # members of a subclass stated in a data graph or already inferred (never only in the ontology graph)
        union = " UNION ".join(f"{{ ?x a <{c}> MINUS {{ GRAPH <{onto_graph}> {{ ?x a <{c}> }} }} }}" for c in by_super[d])
        sup.append((f"superclass {d}", f"CONSTRUCT {{ ?x a <{d}> }} WHERE {{ {{ {union} }} MINUS {{ ?x a <{d}> }} }}", False))
    phases.append(sup)
    if first:
        by_class: dict[str, list[str]] = {}
        for p in sorted(sc.domains):
            if present("property", p):
                for d in sc.domains[p]:
                    by_class.setdefault(d, []).append(f"{{ ?x <{p}> ?o }}")
        for p in sorted(sc.ranges):
            if present("property", p):
                for d in sc.ranges[p]:
                    by_class.setdefault(d, []).append(f"{{ ?s <{p}> ?x FILTER(!isLiteral(?x)) }}")
        phases.append([(f"domain-range {d}", f"CONSTRUCT {{ ?x a <{d}> }} WHERE {{ {{ {' UNION '.join(pats)} }} "
                                             f"MINUS {{ ?x a <{d}> }} }}", True) for d, pats in sorted(by_class.items())])
    if definitions:
        phases.append([(f"defined {c}", f"CONSTRUCT {{ ?x a <{c}> }} WHERE {{ {{ {sc.definitions[c]} FILTER(!isLiteral(?x)) }} "
                                        f"MINUS {{ ?x a <{c}> }} }}", True) for c in sorted(sc.definitions)])
    return phases


def infer(store: ox.Store, onto_nt: str, onto_graph: str, inferred_graph: str, progress=None,
          nquads_out: Path | None = None) -> dict:
    """Run the rules to a fixpoint, adding conclusions to `inferred_graph`; return counts and timings.

    With `nquads_out`, the conclusions are also written there as N-Quads (in `inferred_graph`)."""
    sc = schema(onto_nt)
    target = ox.NamedNode(inferred_graph)
    skip = {ox.NamedNode(onto_graph), target}
    a = ox.NamedNode(RDF + "type")

    def present(kind: str, iri: str) -> bool:
        q = f"ASK {{ ?x a <{iri}> }}" if kind == "class" else f"ASK {{ ?x <{iri}> ?o }}"
        return bool(store.query(q, use_default_graph_as_union=True))

    def typed(t: ox.Triple) -> bool:
        # as reason.infer: only individuals with a type stated outside the ontology are classified
        return any(q.graph_name not in skip for q in store.quads_for_pattern(t.subject, a, None, None))

    stats = {"rounds": 0, "inferred": 0, "seconds": 0.0, "by_rule": {}}
    t0 = time.perf_counter()
    suffix = f" <{inferred_graph}> .\n".encode()
    out = open(nquads_out, "wb") if nquads_out else None
    try:
        with tempfile.TemporaryDirectory(prefix="oretrace-rules-") as tmp:
            # semi-naive: the superclass phase concludes whole closures, so a later round closes only
            # the classes that domains, ranges and definitions added to, and re-checks the
            # definitions only when a class they mention gained members
            deps = {m for text in sc.definitions.values() for m in re.findall(r"<([^>]+)>", text)}
            classes, recheck = None, True
            for rnd in range(1, MAX_ROUNDS + 1):
                gained: dict[str, int] = {}
                open_classes: set[str] = set()
                for phase in queries(sc, onto_graph, classes, rnd == 1, present, definitions=recheck):
                    # a phase's queries conclude different classes: they run side by side (Oxigraph
                    # evaluates and serialises without Python's lock) and their results, in the
                    # phase's order, are loaded together
                    def conclude(i: int, q: str, check: bool) -> tuple[Path, int, float]:
                        path = Path(tmp) / f"conclusions-{i}.nt"
                        tq = time.perf_counter()
                        res = store.query(q, use_default_graph_as_union=True)
                        ox.serialize(filter(typed, res) if check else res, str(path), format=ox.RdfFormat.N_TRIPLES)
                        return path, _lines(path), time.perf_counter() - tq

                    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                        done = list(pool.map(lambda args: conclude(*args), [(i, q, c) for i, (_, q, c) in enumerate(phase)]))
                    batch = Path(tmp) / "phase.nt"
                    with open(batch, "wb") as bf:
                        for (name, _, _), (path, n, tq) in zip(phase, done):
                            if tq > 1:
                                stats.setdefault("slow", []).append((rnd, name.rsplit("#", 1)[-1].rsplit("/", 1)[-1], n, round(tq, 1)))
                            if n:
                                key = name.split(" ", 1)[0] + " " + name.rsplit("#", 1)[-1]
                                stats["by_rule"][key] = stats["by_rule"].get(key, 0) + n
                                cls = name.split(" ", 1)[1]
                                gained[cls] = gained.get(cls, 0) + n
                                if not name.startswith("superclass "):
                                    open_classes.add(cls)
                                with open(path, "rb") as f:
                                    shutil.copyfileobj(f, bf, 1 << 22)
                            os.unlink(path)
                    if batch.stat().st_size:
                        store.bulk_load(path=str(batch), format=ox.RdfFormat.N_TRIPLES, to_graph=target)
                        if out:
                            with open(batch, "rb") as f:
                                for lines in iter(lambda: f.readlines(1 << 22), []):
                                    out.write(b"".join(lines).replace(b" .\n", suffix))
                    os.unlink(batch)
                added = sum(gained.values())
                stats["rounds"] = rnd
                stats["inferred"] += added
                if progress:
                    progress(f"rules round {rnd}: {added:,} types")
                if not added:
                    break
                classes, recheck = open_classes, bool(set(gained) & deps)
                if not classes and not recheck:
                    break
            else:
                raise RuleError(f"the rules did not reach a fixpoint in {MAX_ROUNDS} rounds")
    finally:
        if out:
            out.close()
    stats["seconds"] = time.perf_counter() - t0
    return stats


def _per_class(path: Path) -> dict[str, int]:
    """How many conclusions of each class an N-Triples file of rdf:type triples holds."""
    counts: dict[bytes, int] = {}
    with open(path, "rb") as f:
        for lines in iter(lambda: f.readlines(1 << 22), []):
            for line in lines:
                c = line[line.rindex(b"<") + 1:line.rindex(b">")]
                counts[c] = counts.get(c, 0) + 1
    return {k.decode(): v for k, v in counts.items()}


def _lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return n
