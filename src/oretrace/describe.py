"""What the build says about the dataset: the graphs by kind, the counts, the VoID and DCAT
description of the dataset and its dumps (void.ttl and the graph {base}/graph/void), and
manifest.json. One writer of each; the build's `count` and `describe` stages call them.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from .vocab import OWL as OWL_NS, SKOS as SKOS_NS, DCAT, DCTERMS, OT, PREFIXES, RDF, VOID, XSD, IRIs

GRAPH_PARTITIONS = """SELECT ?kind (COUNT(?g) AS ?graphs) (SUM(?size) AS ?triples) WHERE {
  { SELECT ?g (COUNT(*) AS ?size) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g }
  BIND(IF(CONTAINS(STR(?g), "/id/statement/"), "statement", STRAFTER(STR(?g), "/graph/")) AS ?kind)
} GROUP BY ?kind"""


def graph_partitions_by_query(st: ox.Store) -> dict[str, tuple[int, int]]:
    """Named graphs and triples of the store by kind of graph (statement, provenance, ...), by one
    SPARQL query (GRAPH_PARTITIONS): the definition `graph_partitions` is held to."""
    return {r["kind"].value: (int(r["graphs"].value), int(r["triples"].value)) for r in st.query(GRAPH_PARTITIONS)}


def _count(st: ox.Store, query: str) -> int:
    return int(next(iter(st.query(query)))["n"].value)


def _kind(graph: str) -> str:
    return "statement" if "/id/statement/" in graph else graph.split("/graph/", 1)[1] if "/graph/" in graph else ""


GRAPH_KINDS = ("ontology", "provenance", "inferred", "validation", "index", "reconciled", "metadata", "void")  # the build's own graphs
PARTITION_GRAPHS_MAX = 100  # graphs of other kinds than statement counted one by one


def graph_partitions(st: ox.Store, iris: IRIs) -> dict[str, tuple[int, int]]:
    """Named graphs and triples of the store by kind of graph, as `graph_partitions_by_query` gives
    them, in a fraction of its time on large stores: the graphs are counted, not listed, when
    they are the statements the provenance graph describes and the build's own graphs; the
    statement graphs' triples are what the other graphs leave of the store's size; the counts
    run side by side."""

    def count(where: str) -> int:
        return _count(st, f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        total = pool.submit(len, st)
        own = [g for g in (iris.graph(k) for k in GRAPH_KINDS) if st.contains_named_graph(ox.NamedNode(g))]
        statements = count(f"GRAPH <{iris.provenance_graph}> {{ ?g a <{OT}Statement> }}")
        if count("GRAPH ?g { }") == statements + len(own):
            others = own
        else:  # graphs of other kinds, or statements not described: each graph is looked at
            names = list(st.named_graphs())
            graphs = [g.value for g in names if isinstance(g, ox.NamedNode)]
            others = [g for g in graphs if _kind(g) != "statement"]
            if len(others) > PARTITION_GRAPHS_MAX or len(graphs) != len(names):
                total.result()
                return graph_partitions_by_query(st)
            statements = len(graphs) - len(others)
        sizes = dict(zip(others, pool.map(lambda g: count(f"GRAPH <{g}> {{ ?s ?p ?o }}"), others)))
        in_default = count("?s ?p ?o")
        total = total.result()
    parts: dict[str, tuple[int, int]] = {}
    for g, n in sizes.items():
        if n:
            graphs_, triples = parts.get(_kind(g), (0, 0))
            parts[_kind(g)] = (graphs_ + 1, triples + n)
    if statements:
        parts["statement"] = (statements, total - in_default - sum(sizes.values()))
    return parts


def _with_void_partition(iris: IRIs, version: str, counts: dict, dumps: dict, examples: list[str],
                         partitions: dict[str, tuple[int, int]]) -> list[ox.Triple]:
    """The dataset description, its partitions including the {base}/graph/void graph it will be stored in."""
    parts = {k: v for k, v in partitions.items() if k != "void"}
    parts["void"] = (1, 0)
    size = len(dataset_description(iris, version, counts, dumps, examples, parts))
    parts["void"] = (1, size)  # the number of triples does not depend on the figures in them
    return dataset_description(iris, version, counts, dumps, examples, parts)


def dataset_description(iris: IRIs, version: str, counts: dict, dumps: dict, examples: list[str],
                        partitions: dict[str, tuple[int, int]] | None = None) -> list[ox.Triple]:
    """VoID and DCAT description of the dataset and its dumps; `partitions`: graphs and triples by
    kind of named graph, described as VoID subsets."""
    N, L = ox.NamedNode, ox.Literal
    d = N(iris.dataset)
    a = N(RDF + "type")
    t = [
        ox.Triple(d, a, N(VOID + "Dataset")),
        ox.Triple(d, a, N(DCAT + "Dataset")),
        ox.Triple(d, N(DCTERMS + "title"), L("oretrace: critical-mineral supply chains", language="en")),
        ox.Triple(d, N(DCTERMS + "description"), L("Curated statements with provenance about the supply chains of indium and of 3TG minerals.", language="en")),
        ox.Triple(d, N(DCTERMS + "license"), N("https://creativecommons.org/licenses/by/4.0/")),
        ox.Triple(d, N(OT + "buildVersion"), L(version)),
        ox.Triple(d, N(VOID + "triples"), L(str(counts["triples"]), datatype=N(XSD + "integer"))),
        ox.Triple(d, N(VOID + "entities"), L(str(counts["entities"]), datatype=N(XSD + "integer"))),
        ox.Triple(d, N(VOID + "uriSpace"), L(iris.base + "/id/")),
        ox.Triple(d, N(VOID + "sparqlEndpoint"), N(iris.base + "/sparql")),
    ]
    t += [
        ox.Triple(d, N(OWL_NS + "versionInfo"), L(version)),
        ox.Triple(d, N(DCAT + "version"), L(version)),
        ox.Triple(d, N(DCTERMS + "publisher"), N(iris.entity("actor", "oretrace"))),
    ]
    service = N(iris.base + "/sparql")
    t += [
        ox.Triple(service, a, N(DCAT + "DataService")),
        ox.Triple(service, N(DCAT + "endpointURL"), service),
        ox.Triple(service, N(DCAT + "servesDataset"), d),
        ox.Triple(service, N(DCTERMS + "conformsTo"), N("https://www.w3.org/TR/sparql11-protocol/")),
        ox.Triple(d, N(DCAT + "accessService"), service),
    ]
    for v in ("ot", "prov", "org", "qudt", "unit", "dcterms", "skos", "geo", "sh", "dcat", "void"):
        t.append(ox.Triple(d, N(VOID + "vocabulary"), N(PREFIXES[v])))
    for ex in examples:
        t.append(ox.Triple(d, N(VOID + "exampleResource"), N(ex)))
    links = N(iris.dataset + "/links/geonames")
    t += [
        ox.Triple(links, a, N(VOID + "Linkset")),
        ox.Triple(links, N(VOID + "subjectsTarget"), d),
        ox.Triple(links, N(VOID + "objectsTarget"), N("https://sws.geonames.org/")),
        ox.Triple(links, N(VOID + "linkPredicate"), N(SKOS_NS + "exactMatch")),
        ox.Triple(d, N(VOID + "subset"), links),
    ]
    integer = N(XSD + "integer")
    for kind, (graphs, triples) in sorted((partitions or {}).items()):
        part = N(f"{iris.dataset}/graphs/{kind}")
        t += [
            ox.Triple(d, N(VOID + "subset"), part),
            ox.Triple(part, a, N(VOID + "Dataset")),
            ox.Triple(part, N(OT + "graphKind"), L(kind)),
            ox.Triple(part, N(OT + "namedGraphCount"), L(str(graphs), datatype=integer)),
            ox.Triple(part, N(VOID + "triples"), L(str(triples), datatype=integer)),
        ]
    spdx = "http://spdx.org/rdf/terms#"
    for name, info in sorted(dumps.items()):
        dist = N(f"{iris.base}/dump/{name}")
        checksum = N(f"{iris.base}/dump/{name}#sha256")
        t += [
            ox.Triple(d, N(VOID + "dataDump"), dist),
            ox.Triple(d, N(DCAT + "distribution"), dist),
            ox.Triple(dist, a, N(DCAT + "Distribution")),
            ox.Triple(dist, N(DCAT + "downloadURL"), dist),
            ox.Triple(dist, N(DCAT + "mediaType"), L(info["media_type"])),
            ox.Triple(dist, N(DCAT + "byteSize"), L(str(info["bytes"]), datatype=N(XSD + "integer"))),
            ox.Triple(dist, N(spdx + "checksum"), checksum),
            ox.Triple(checksum, a, N(spdx + "Checksum")),
            ox.Triple(checksum, N(spdx + "algorithm"), N(spdx + "checksumAlgorithm_sha256")),
            ox.Triple(checksum, N(spdx + "checksumValue"), L(info["sha256"], datatype=N(XSD + "hexBinary"))),
        ]
    return sorted(t, key=str)


# ------------------------------------------------------------------ counts
@dataclass
class Counts:
    """What the store holds once every stage has added to it (the void graph aside)."""

    partitions: dict[str, tuple[int, int]]  # kind of graph -> (graphs, triples)
    quads: int
    triples: int
    triples_exact: bool  # False above the size at which distinct triples are counted
    entities: int

    @property
    def graphs(self) -> int:
        return sum(graphs for graphs, _ in self.partitions.values())

    @property
    def inferred(self) -> int:
        return self.partitions.get("inferred", (0, 0))[1]


def count(st: ox.Store, iris: IRIs, exact_max: int) -> Counts:
    """The graphs by kind, the quads, the distinct triples (counted up to `exact_max` quads,
    else given as the number of quads) and the entities: the things the statements are about."""
    partitions = graph_partitions(st, iris)
    quads = _count(st, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") + sum(t for _, t in partitions.values())
    exact = quads <= exact_max
    triples = (_count(st, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
               if exact else quads)
    entities = _count(st, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ GRAPH <{iris.provenance_graph}> {{ ?g <{OT}about> ?x }} }}")
    return Counts(partitions, quads, triples, exact, entities)


# ------------------------------------------------------------------ the description and the manifest
def version_of(dumps: dict, release: str) -> str:
    """The build's version: the release number and the start of a hash of the dumps' hashes."""
    content_hash = hashlib.sha256(b"".join(bytes.fromhex(dumps[n]["sha256"]) for n in sorted(dumps))).hexdigest()
    return f"{release}+{content_hash[:12]}"


def write_description(st: ox.Store, path: Path, iris: IRIs, version: str, counts: dict, dumps: dict,
                      examples: list[str], partitions: dict[str, tuple[int, int]]) -> dict:
    """Write the dataset description to `path` (Turtle) and into the store's graph {base}/graph/void;
    return the dump record of the file."""
    from .dumps import sha256_file

    void = _with_void_partition(iris, version, counts, dumps, examples, partitions)
    ox.serialize(void, str(path), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    g = ox.NamedNode(iris.graph("void"))
    st.extend([ox.Quad(t.subject, t.predicate, t.object, g) for t in void])
    st.flush()
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size, "media_type": "text/turtle"}


def write_manifest(path: Path, base: str, version: str, counts: dict, dumps: dict, left_out: dict,
                   imports: dict, reasoning: dict, kinds: Iterable[str] = ()) -> dict:
    """manifest.json: what the release holds, for readers of the build folder; `kinds`: the kinds of
    graph the store holds (the build's own graphs among them are listed by name, with the VoID graph)."""
    iris = IRIs(base)
    own = {k: iris.graph(k) for k in GRAPH_KINDS if k in set(kinds) | {"void"}}
    man = {"name": "oretrace", "version": version, "base": base, "counts": counts, "dumps": dumps,
           "graphs": {**own, "ontology": iris.ontology_graph, "provenance": iris.provenance_graph,
                      "inferred": iris.inferred_graph, "metadata": iris.metadata_graph,
                      "statements": iris.base + "/id/statement/"},
           "imports": imports, "reasoning": reasoning}
    if left_out:
        man["dumps_left_out"] = left_out
    path.write_text(json.dumps(man, indent=2, sort_keys=True) + "\n")
    return man
