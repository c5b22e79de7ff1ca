"""`oretrace build`: curated files -> RDF -> reasoning -> store, dumps and manifest.

The build is deterministic (the same input gives byte-identical dumps and manifest) and atomic
(it is assembled in a staging directory and published by one rename; a failure leaves the
previous build as it was).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import __version__, crash, curated, index, ontology, rdf, reason, rules, store
from .config import Settings
from .vocab import OWL as OWL_NS, SKOS as SKOS_NS, DCAT, DCTERMS, OT, PREFIXES, PROV, RDF, RDFS, VOID, XSD, IRIs

DUMPS = {
    "dataset.trig": ox.RdfFormat.TRIG,
    "dataset.nq": ox.RdfFormat.N_QUADS,
    "default.ttl": ox.RdfFormat.TURTLE,
    "default.jsonld": ox.RdfFormat.JSON_LD,
}


class Progress:
    """Numbered progress lines on stderr."""

    def __init__(self, steps: int, quiet: bool = False):
        self.steps, self.n, self.quiet, self.t0 = steps, 0, quiet, time.perf_counter()

    def step(self, text: str) -> None:
        self.n += 1
        if not self.quiet:
            print(f"[{self.n}/{self.steps}] {text}", file=sys.stderr, flush=True)

    def rate(self, unit: str, what: str, done: float, total: float, seconds: float) -> None:
        """A line with how far a long step is, its rate and the time left."""
        if self.quiet or seconds <= 0:
            return
        r = done / seconds
        left = f"about {(total - done) / r:,.0f} s left" if r > 0 else "starting"
        print(f"      {done:,.0f} of {total:,.0f} {unit} {what} ({r:,.0f} {unit}/s, {left})", file=sys.stderr, flush=True)

    def done(self, text: str) -> None:
        if not self.quiet:
            print(f"      {text} ({time.perf_counter() - self.t0:.1f} s)", file=sys.stderr, flush=True)


PROGRESS_EVERY = 10.0  # seconds between progress lines of a long step


class _ImportReader:
    """An import file as Oxigraph's bulk loader reads it, followed by the superclass conclusions of
    its types (rules.TypeClosure, spooled to `spool`); hashes the file, counts its lines and the
    bytes read on the way, and hashes what the loader reads with `copy_sha` (the start of
    dataset.nq, which `parts` then lists: the file, a line end if it had none, the spool)."""

    CHUNK = 1 << 22

    def __init__(self, path: Path, closure: rules.TypeClosure, spool: Path, copy_sha):
        self.path, self.closure, self.spool, self.copy_sha = path, closure, spool, copy_sha
        self.f = open(path, "rb")
        self.out = open(spool, "wb")
        closure.start(self.out)
        self.sha, self.lines, self.bytes = hashlib.sha256(), 0, 0
        self.buf, self.pos, self.last, self.conclusions = b"", 0, b"\n", None

    def read(self, n: int = -1) -> bytes:
        if self.pos >= len(self.buf):
            self.buf, self.pos = self._next(), 0
            self.copy_sha.update(self.buf)
        end = len(self.buf) if n is None or n < 0 else self.pos + n
        b = self.buf[self.pos:end]
        self.pos += len(b)
        self.bytes += len(b)
        return b

    def _next(self) -> bytes:
        if self.conclusions is None:
            chunk = self.f.read(self.CHUNK)
            if chunk:
                self.sha.update(chunk)
                self.lines += chunk.count(b"\n")
                self.closure.feed(chunk)
                self.last = chunk[-1:]
                return chunk
            self.closure.finish()
            self.out.close()
            self.conclusions = open(self.spool, "rb")
            if self.last != b"\n":
                self.lines += 1
                return b"\n"
        return self.conclusions.read(self.CHUNK)

    @property
    def parts(self) -> list:
        """What the loader read, as files and bytes: the start of dataset.nq."""
        return [self.path] + ([b"\n"] if self.last != b"\n" else []) + [self.spool]

    def close(self) -> None:
        for f in (self.f, self.out, self.conclusions):
            if f is not None:
                f.close()


@dataclass
class BuildResult:
    release: Path
    manifest: dict
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def _sorted_quads(quads) -> list[ox.Quad]:
    return sorted(set(quads), key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def _write(path: Path, quads_or_triples, fmt) -> None:
    ox.serialize(quads_or_triples, str(path), format=fmt,
                 prefixes=PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None)


_sha256 = store.sha256_file


GRAPH_PARTITIONS = """SELECT ?kind (COUNT(?g) AS ?graphs) (SUM(?size) AS ?triples) WHERE {
  { SELECT ?g (COUNT(*) AS ?size) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g }
  BIND(IF(CONTAINS(STR(?g), "/id/statement/"), "statement", STRAFTER(STR(?g), "/graph/")) AS ?kind)
} GROUP BY ?kind"""


def graph_partitions_by_query(st: ox.Store) -> dict[str, tuple[int, int]]:
    """Named graphs and triples of the store by kind of graph (statement, provenance, ...), by one
    SPARQL query (GRAPH_PARTITIONS): the definition `graph_partitions` is held to."""
    return {r["kind"].value: (int(r["graphs"].value), int(r["triples"].value)) for r in st.query(GRAPH_PARTITIONS)}


def _kind(graph: str) -> str:
    return "statement" if "/id/statement/" in graph else graph.split("/graph/", 1)[1] if "/graph/" in graph else ""


GRAPH_KINDS = ("ontology", "provenance", "inferred", "validation", "index", "metadata", "void")  # the build's own graphs
PARTITION_GRAPHS_MAX = 100  # graphs of other kinds than statement counted one by one


def graph_partitions(st: ox.Store, iris: IRIs) -> dict[str, tuple[int, int]]:
    """Named graphs and triples of the store by kind of graph, as `graph_partitions_by_query` gives
    them, in a fraction of its time on large stores: the graphs are counted, not listed, when
    they are the statements the provenance graph describes and the build's own graphs; the
    statement graphs' triples are what the other graphs leave of the store's size; the counts
    run side by side."""

    def count(where: str) -> int:
        return int(next(iter(st.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")))["n"].value)

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


def _store_description(store_dir: Path, iris: IRIs, void: list[ox.Triple]) -> None:
    """Put the dataset description (build version, dumps) into the store too, in {base}/graph/void,
    so that clients of an endpoint can read it; the dumps carry it as void.ttl."""
    st = ox.Store(str(store_dir))
    g = ox.NamedNode(iris.graph("void"))
    st.extend([ox.Quad(t.subject, t.predicate, t.object, g) for t in void])
    st.flush()
    del st


def _validation_step(settings: Settings, st: ox.Store, iris: IRIs) -> list[ox.Quad]:
    """The SHACL report quads for the loaded store (graph {base}/graph/validation), if validation is present."""
    import importlib.util

    if importlib.util.find_spec("oretrace.validate") is None:
        return []
    from . import validate

    return list(validate.build_step(settings, st, iris))


def import_files(settings: Settings, pending: dict[str, Path] | None = None) -> list[tuple[str, Path]]:
    """The imports a build includes: every build/imports/<name>.nq, with pending ones added or replacing."""
    files = {p.name[:-3]: p for p in sorted((settings.build_dir / "imports").glob("*.nq")) if not p.name.startswith(".")}
    files.update(pending or {})
    return sorted(files.items())


def _graph_as_nquads(st: ox.Store, graph: ox.NamedNode, out: Path) -> None:
    """Write one graph of the store as N-Quads (Oxigraph writes it as N-Triples; the graph is added to each line)."""
    nt = out.with_suffix(".nt")
    st.dump(str(nt), ox.RdfFormat.N_TRIPLES, from_graph=graph)
    with open(out, "wb") as w:
        rules.append_as_nquads(nt, w, graph.value)
    nt.unlink()


def _dataset_from_store(st: ox.Store, staging: Path, imports: list[Path], curated: list[ox.Quad], ig: ox.NamedNode) -> str:
    """Write dataset.nq again: the import files, the curated quads outside the inferred graph, the
    inferred graph as the store holds it; return its SHA-256."""
    head, tail = staging / ".curated.nq", staging / ".inferred.nq"
    _write(head, _sorted_quads(q for q in curated if q.graph_name != ig), ox.RdfFormat.N_QUADS)
    _graph_as_nquads(st, ig, tail)
    sha = _concat(imports + [head, tail], staging / "dataset.nq")
    head.unlink()
    tail.unlink()
    return sha


def _append(paths: list[Path], w, sha) -> None:
    """Append the files, one after the other, to the binary file `w`, updating the hash `sha`."""
    for p in paths:
        with open(p, "rb") as r:
            for chunk in iter(lambda: r.read(1 << 22), b""):
                sha.update(chunk)
                w.write(chunk)


def _splice(parts: list, w) -> None:
    """Append files and bytes, in order, to the unbuffered binary file `w`; the files are copied
    by the kernel (copy_file_range) where it can."""
    for part in parts:
        if isinstance(part, bytes):
            w.write(part)
            continue
        with open(part, "rb") as r:
            size, done = os.fstat(r.fileno()).st_size, 0
            try:
                while done < size:
                    n = os.copy_file_range(r.fileno(), w.fileno(), size - done)
                    if not n:
                        break
                    done += n
            except (AttributeError, OSError):  # no copy_file_range here, or not between these files
                pass
            r.seek(done)
            shutil.copyfileobj(r, w, 1 << 22)


def _concat(paths: list[Path], out: Path) -> str:
    """Write the files one after the other into `out`, each ending with a line end; return the SHA-256 of the result."""
    h = hashlib.sha256()
    with open(out, "wb") as w:
        for p in paths:
            _append([p], w, h)
            if p.stat().st_size:
                with open(p, "rb") as r:
                    r.seek(-1, os.SEEK_END)
                    if r.read(1) != b"\n":
                        h.update(b"\n")
                        w.write(b"\n")
    return h.hexdigest()


def build(settings: Settings, quiet: bool = False, pending_imports: dict[str, Path] | None = None,
          full_dumps_max: int | None = None, validation: bool = True) -> BuildResult:
    """Run the whole data path and publish a new release; raise on any problem.

    Imported data (`build/imports/*.nq`, see `oretrace import`) is bulk-loaded into the store
    and classified by rules (rules.py: the superclasses of its types as it loads, then SPARQL
    rules); the curated graph goes through HermiT. With imports, the dumps are streamed:
    dataset.nq is each import file with its superclass types, the curated quads, then the rules'
    conclusions; TriG, Turtle and JSON-LD are written from the store up to
    `full_dumps_max` quads (default FULL_DUMPS_MAX) and left out above it (manifest says so).
    `validation=False` leaves out the SHACL step (the benchmark times it on its own).
    """
    with store.writer(settings):  # one writer at a time; what a killed one left is recovered first
        imports = import_files(settings, pending_imports)
        if not imports:
            return _build_curated(settings, quiet)
        return _build_with_imports(settings, quiet, imports, FULL_DUMPS_MAX if full_dumps_max is None else full_dumps_max,
                                   validation)


FULL_DUMPS_MAX = 250_000  # quads; above it only dataset.nq is written (the others take several times as long as a load)


def _curated_part(settings: Settings, progress: Progress, timings: dict, t0: float, onto=None, then=None):
    """Read, make RDF, reason; `then(asserted)` is called before reasoning."""
    iris = IRIs(settings.base)
    progress.step("reading ontology and curated files")
    onto = onto or ontology.load(settings.ontology_dir)
    cur = curated.read(settings, onto)
    timings["read"] = time.perf_counter() - t0
    progress.done(f"{len(cur.statements)} statements, {len(cur.sources)} sources, {len(cur.entities)} entities")

    progress.step("making RDF")
    t = time.perf_counter()
    asserted = list(rdf.curation_quads(cur, iris))
    onto_quads = rdf.ontology_quads(onto.nquads, iris)
    timings["rdf"] = time.perf_counter() - t
    progress.done(f"{len(asserted)} asserted quads, {len(onto_quads)} ontology triples")
    if then:
        then(asserted)

    progress.step("reasoning with HermiT")
    t = time.perf_counter()
    inferred_triples = reason.infer(onto, reason.reasoning_input(asserted, iris.provenance_graph))
    ig = ox.NamedNode(iris.inferred_graph)
    inferred = [ox.Quad(x.subject, x.predicate, x.object, ig) for x in inferred_triples]
    mg = ox.NamedNode(iris.metadata_graph)
    activity = ox.NamedNode(iris.base + "/id/activity/hermit-classification")
    meta = [
        ox.Quad(ig, ox.NamedNode(RDF + "type"), ox.NamedNode(OT + "InferredGraph"), mg),
        ox.Quad(ig, ox.NamedNode(PROV + "wasGeneratedBy"), activity, mg),
        ox.Quad(ig, ox.NamedNode(RDFS + "comment"), ox.Literal("rdf:type triples inferred by the HermiT reasoner, with the named superclasses of every type", language="en"), mg),
        ox.Quad(activity, ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + "Activity"), mg),
        ox.Quad(activity, ox.NamedNode(RDFS + "label"), ox.Literal("classification by HermiT (owlready2)", language="en"), mg),
    ]
    timings["reason"] = time.perf_counter() - t
    progress.done(f"{len(inferred)} inferred types")
    return onto, cur, asserted, onto_quads, inferred, meta


def _build_curated(settings: Settings, quiet: bool = False) -> BuildResult:
    iris = IRIs(settings.base)
    progress = Progress(6, quiet)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    onto, cur, asserted, onto_quads, inferred, meta = _curated_part(settings, progress, timings, t0)

    progress.step("loading the store")
    t = time.perf_counter()
    quads = _sorted_quads(onto_quads + asserted + inferred + meta)
    staging = store.staging_dir(settings)
    try:
        st = ox.Store(str(staging / "store"))
        st.bulk_extend(quads)
        st.flush()
        crash.point("build:loaded")
        timings["load"] = time.perf_counter() - t
        progress.done(f"{len(quads)} quads")
        tables = index.repeated_values(st, iris)
        st.bulk_extend(tables)
        report = _validation_step(settings, st, iris)
        st.bulk_extend(report)
        st.flush()
        quads = _sorted_quads(quads + tables + report)
        partitions = graph_partitions(st, iris)
        del st

        progress.step("writing dumps")
        t = time.perf_counter()
        default_view = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
        dumps = {}
        for name, fmt in DUMPS.items():
            path = staging / name
            _write(path, default_view if not fmt.supports_datasets else quads, fmt)
            dumps[name] = {"sha256": _sha256(path), "bytes": path.stat().st_size, "media_type": fmt.media_type}
        content_hash = hashlib.sha256(b"".join(bytes.fromhex(dumps[n]["sha256"]) for n in sorted(dumps))).hexdigest()
        version = f"{__version__}+{content_hash[:12]}"
        entities = {q.subject.value for q in asserted if isinstance(q.subject, ox.NamedNode) and iris.split(q.subject.value)
                    and iris.split(q.subject.value)[0] != "statement"}
        counts = {
            "statements": len(cur.statements),
            "curated_statements": sum(1 for s in cur.statements if not s.id.startswith(("iso-3166/", "geonames/"))),
            "sources": len(cur.sources),
            "entities": len(entities),
            "quads": len(quads),
            "triples": len(default_view),
            "graphs": len({q.graph_name for q in quads}),
            "inferred": len(inferred),
            "ontology_triples": len(onto_quads),
        }
        examples = sorted(e for e in entities if "/id/site/" in e)[:3]
        void = _with_void_partition(iris, version, counts, dumps, examples, partitions)
        _write(staging / "void.ttl", void, ox.RdfFormat.TURTLE)
        _store_description(staging / "store", iris, void)
        dumps["void.ttl"] = {"sha256": _sha256(staging / "void.ttl"), "bytes": (staging / "void.ttl").stat().st_size,
                             "media_type": "text/turtle"}
        man = {"name": "oretrace", "version": version, "base": settings.base, "counts": counts, "dumps": dumps,
               "graphs": {"ontology": iris.ontology_graph, "provenance": iris.provenance_graph,
                          "inferred": iris.inferred_graph, "metadata": iris.metadata_graph,
                          "statements": iris.base + "/id/statement/"}}
        (staging / "manifest.json").write_text(json.dumps(man, indent=2, sort_keys=True) + "\n")
        timings["dumps"] = time.perf_counter() - t
        progress.done(f"{len(dumps)} dumps, version {version}")

        progress.step("publishing the release")
        release = store.publish_release(settings, staging, version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    total = time.perf_counter() - t0
    progress.done(f"build/current -> {release.name}")
    return BuildResult(release, man, total, timings)


def _build_with_imports(settings: Settings, quiet: bool, imports: list[tuple[str, Path]], full_max: int,
                        validation: bool = True) -> BuildResult:
    """The build when imports are present: stream them into the store, classify them by rules, stream the dumps."""
    iris = IRIs(settings.base)
    progress = Progress(8 if validation else 7, quiet)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    staging = store.staging_dir(settings)
    # one thread beside the main one: the bulk load of the imports, then the index and the start of
    # dataset.nq during the rules, then the count of the graphs
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oretrace-build")
    try:
        st = ox.Store(str(staging / "store"))
        # The imports are bulk-loaded on a second thread while HermiT classifies the curated graph;
        # the named superclasses of their types are concluded as they pass and loaded with them.
        onto = ontology.load(settings.ontology_dir)
        schema = rules.schema(onto.nquads)
        closure = rules.TypeClosure(schema, iris.ontology_graph, iris.inferred_graph)
        import_quads, import_sha = {}, {}
        total_bytes = sum(p.stat().st_size for _, p in imports)
        readers: list[_ImportReader] = []
        # dataset.nq starts with what the loader reads: each import file and its superclass types
        dataset_sha = hashlib.sha256()

        def load_imports():
            for name, path in imports:
                reader = _ImportReader(path, closure, staging / f".closure-{len(readers)}.nq", dataset_sha)
                readers.append(reader)
                try:
                    # Oxigraph parses and indexes without holding Python's lock
                    st.bulk_load(input=reader, format=ox.RdfFormat.N_QUADS)
                finally:
                    reader.close()
                import_quads[name], import_sha[name] = reader.lines, reader.sha.hexdigest()

        loading: list[Future] = []
        t_load = time.perf_counter()

        def start_loading(asserted):
            # the curated subjects are watched, so that their superclass types are written once
            closure.watch = {f"<{q.subject.value}>".encode() for q in asserted if isinstance(q.subject, ox.NamedNode)}
            loading.append(background.submit(load_imports))

        try:
            onto, cur, asserted, onto_quads, inferred, meta = _curated_part(settings, progress, timings, t0, onto,
                                                                            then=start_loading)
            progress.step("loading the store")
            while wait(loading, timeout=PROGRESS_EVERY).not_done:
                progress.rate("MB", "of imports loaded", sum(r.bytes for r in readers) / 1e6, total_bytes / 1e6,
                              time.perf_counter() - t_load)
        finally:
            wait(loading)
        loading[0].result()  # re-raises what stopped the load

        rules_activity = ox.NamedNode(iris.base + "/id/activity/rules-classification")
        ig, mg = ox.NamedNode(iris.inferred_graph), ox.NamedNode(iris.metadata_graph)
        meta = meta + [
            ox.Quad(ig, ox.NamedNode(PROV + "wasGeneratedBy"), rules_activity, mg),
            ox.Quad(rules_activity, ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + "Activity"), mg),
            ox.Quad(rules_activity, ox.NamedNode(RDFS + "label"), ox.Literal(
                "classification of imported data by SPARQL rules over Oxigraph, equivalent to the ontology's "
                "defined classes, domains, ranges and superclasses", language="en"), mg),
        ]
        curated_quads = _sorted_quads(onto_quads + asserted + inferred + meta)
        # the curated types HermiT was not given (statement metadata, graph descriptions) get their superclasses here,
        # so that every type in the store is closed before the rules run
        a = ox.NamedNode(RDF + "type")
        told = {(q.subject, q.object) for q in asserted + meta if q.predicate == a}
        known = told | {(q.subject, q.object) for q in inferred}
        closed = {ox.Quad(x, a, ox.NamedNode(d), ig) for x, c in told for d in schema.supers.get(c.value, ())
                  if (x, ox.NamedNode(d)) not in known}
        closed = _sorted_quads(closed)
        st.bulk_extend(curated_quads + closed)
        # a superclass the data states is not also an inferred type
        removed = rules.remove_stated(st, closure, iris.ontology_graph, iris.inferred_graph, also=told)
        timings["load"] = time.perf_counter() - t_load
        crash.point("build:loaded")
        progress.done(f"{len(curated_quads)} curated quads, {sum(import_quads.values()):,} imported quads "
                      f"from {len(imports)} import(s), superclass types of the imports loaded with them")

        progress.step("classifying imported data with SPARQL rules")
        t = time.perf_counter()
        # the index reads only asserted values, which the rules do not change: it is made beside
        # them, then the start of dataset.nq is written (the files the loader read, by the kernel)
        indexing = background.submit(index.repeated_values, st, iris)
        dataset = open(staging / "dataset.nq", "wb", buffering=0)
        splicing = background.submit(_splice, [part for r in readers for part in r.parts], dataset)
        rules_nq = staging / ".rules.nq"
        stats = rules.infer(st, onto.nquads, iris.ontology_graph, iris.inferred_graph, progress=progress.done,
                            nquads_out=rules_nq, closed=True, sc=schema)
        tables = indexing.result()
        st.bulk_extend(tables)
        st.flush()
        timings["rules"] = time.perf_counter() - t
        progress.done(f"{stats['inferred']:,} types in {stats['rounds']} rounds")

        t = time.perf_counter()
        report = []
        if validation:
            progress.step("validating with the SHACL rules")
            report = _validation_step(settings, st, iris)
            if report:
                st.bulk_extend(report)
                st.flush()
            results = sum(1 for q in report if q.predicate.value == RDF + "type" and q.object.value.endswith("#ValidationResult"))
            progress.done(f"{results:,} findings in the report graph")
        timings["validation"] = time.perf_counter() - t

        progress.step("writing dumps")
        t = time.perf_counter()
        # the graphs by kind are counted by Oxigraph while Python writes and hashes dataset.nq
        counting = background.submit(graph_partitions, st, iris)

        # dataset.nq: each import file and its superclass types (spliced in during the rules), the
        # curated graphs with HermiT's types, the report, then the rules' types
        tail = [staging / ".curated.nq", rules_nq]
        written = {(q.subject.value, q.object.value) for q in inferred + closed}
        again = {(x[1:-1].decode(), d.decode()) for x, d in closure.watched} & written  # in dataset.nq already
        _write(tail[0], _sorted_quads([q for q in curated_quads + closed + list(report) + tables if q.graph_name != ig
                                       or (q.subject.value, q.object.value) not in again]), ox.RdfFormat.N_QUADS)
        with dataset:
            splicing.result()
            _append(tail, dataset, dataset_sha)
        for p in tail + [r.spool for r in readers]:
            p.unlink()
        dataset_sha = dataset_sha.hexdigest()
        # the superclass types written while loading are the store's unless the data stated some of
        # them or repeated them apart: then the inferred graph is written again from the store
        partitions = counting.result()
        background.shutdown()
        n_inferred = partitions.get("inferred", (0, 0))[1]
        if removed or n_inferred != len(written) - len(again) + closure.concluded + stats["inferred"]:
            progress.done("some types were both stated and inferred: writing the inferred graph from the store")
            dataset_sha = _dataset_from_store(st, staging, [p for _, p in imports], curated_quads + list(report) + tables, ig)
        in_default = int(next(iter(st.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value)
        total = in_default + sum(triples for _, triples in partitions.values())
        dumps, left_out = {}, {}
        for name, fmt in DUMPS.items():
            path = staging / name
            if name != "dataset.nq":
                if total > full_max:
                    left_out[name] = f"the graph has {total:,} quads, above the {full_max:,} for which this dump is written; use dataset.nq"
                    continue
                if fmt.supports_datasets:
                    st.dump(str(path), fmt, prefixes=PREFIXES)
                else:
                    ox.serialize(st.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"), str(path), fmt,
                                 prefixes=PREFIXES if fmt == ox.RdfFormat.TURTLE else None)
            sha = dataset_sha if name == "dataset.nq" else _sha256(path)
            dumps[name] = {"sha256": sha, "bytes": path.stat().st_size, "media_type": fmt.media_type}
        content_hash = hashlib.sha256(b"".join(bytes.fromhex(dumps[n]["sha256"]) for n in sorted(dumps))).hexdigest()
        version = f"{__version__}+{content_hash[:12]}"
        triples_exact = total <= full_max
        q = ("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
             if triples_exact else None)
        n_triples = int(next(iter(st.query(q)))["n"].value) if q else total
        n_entities = int(next(iter(st.query(
            f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ GRAPH <{iris.provenance_graph}> {{ ?g <{OT}about> ?x }} }}")))["n"].value)
        n_graphs = sum(graphs for graphs, _ in partitions.values())
        counts = {
            "statements": len(cur.statements),
            "curated_statements": sum(1 for s in cur.statements if not s.id.startswith(("iso-3166/", "geonames/"))),
            "sources": len(cur.sources),
            "entities": n_entities,
            "quads": total,
            "triples": n_triples,
            "triples_exact": triples_exact,
            "graphs": n_graphs,
            "inferred": n_inferred,
            "inferred_by_rules": n_inferred - len(inferred),
            "ontology_triples": len(onto_quads),
            "imported_quads": sum(import_quads.values()),
        }
        examples = sorted({q.subject.value for q in asserted if "/id/site/" in q.subject.value
                           and isinstance(q.subject, ox.NamedNode)})[:3]
        del st
        void = _with_void_partition(iris, version, counts, dumps, examples, partitions)
        _write(staging / "void.ttl", void, ox.RdfFormat.TURTLE)
        _store_description(staging / "store", iris, void)
        dumps["void.ttl"] = {"sha256": _sha256(staging / "void.ttl"), "bytes": (staging / "void.ttl").stat().st_size,
                             "media_type": "text/turtle"}
        man = {"name": "oretrace", "version": version, "base": settings.base, "counts": counts, "dumps": dumps,
               "graphs": {"ontology": iris.ontology_graph, "provenance": iris.provenance_graph,
                          "inferred": iris.inferred_graph, "metadata": iris.metadata_graph,
                          "statements": iris.base + "/id/statement/"},
               "imports": {name: {"sha256": import_sha[name], "quads": import_quads[name], "bytes": path.stat().st_size}
                           for name, path in imports},
               "reasoning": {"hermit_types": len(inferred), "rules_types": stats["inferred"],
                             "superclass_types_while_loading": counts["inferred_by_rules"] - stats["inferred"],
                             "rules_rounds": stats["rounds"], "rules_by_rule": stats["by_rule"]}}
        if left_out:
            man["dumps_left_out"] = left_out
        (staging / "manifest.json").write_text(json.dumps(man, indent=2, sort_keys=True) + "\n")
        timings["dumps"] = time.perf_counter() - t
        progress.done(f"{len(dumps)} dumps, version {version}")

        progress.step("publishing the release")
        release = store.publish_release(settings, staging, version)
    except BaseException:
        background.shutdown()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    progress.done(f"build/current -> {release.name}")
    return BuildResult(release, man, time.perf_counter() - t0, timings)
