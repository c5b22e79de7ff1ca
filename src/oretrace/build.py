"""`oretrace build`: curated files and imports -> RDF -> reasoning -> store, dumps and manifest.

The build is one declared list of stages, `STAGES`. Each stage is a function: its parameters
name what it needs, the dictionary it returns holds what it gives (its `gives`), and `build()`
runs the list in order over one dictionary of values, numbers the progress lines from the list
and times each stage. A build without imports is the same list, with nothing for the `imports`
stage to load: the curated-only build is not a second path (tests/test_build.py builds with and
without an empty import and compares the dumps byte for byte).

    read       the ontology and the curated files               -> onto, curation
    rdf        statements -> quads                              -> asserted, onto_quads
    imports    starts, beside the reasoner, the rules' schema and
               the bulk load of build/imports/*.nq (with the superclasses of their types)  -> loading
    reason     HermiT classifies the curated graph              -> hermit
    load       the curated quads into the store                 -> loaded
    rules      SPARQL rules to a fixpoint                       -> rules_stats, rules_nq
    index      lookup tables for the catalogue                  -> tables
    validate   the SHACL report (left out with validation=False) -> report
    reconcile  reconciled balances (off by default)             -> reconciled
    dump       dataset.nq, TriG, Turtle, JSON-LD; the counts of the
               store, made while dataset.nq is copied           -> dumps, left_out, counts
    describe   VoID (void.ttl and the void graph), manifest.json -> version, manifest
    publish    the release becomes build/current                -> release

`describe` follows `dump` because the description lists the dumps with their checksums, and the
version is a hash of them.

What is classified. HermiT classifies the curated entities and sources; the SPARQL rules
(rules.py) classify everything else that is typed in the store: imported data, the metadata of
statements and citations in the provenance graph, the build's descriptions of its graphs. So
statement metadata is classified (a statement graph is a `prov:Entity` in {base}/graph/inferred),
with or without imports. It is kept from HermiT only because it doubles HermiT's time, and the
rules give the same types as HermiT (tests/test_scale_rules.py).

The build is deterministic (the same input gives byte-identical dumps and manifest) and atomic
(it is assembled in a staging directory and published by one rename; a failure leaves the
previous build as it was).
"""

from __future__ import annotations

import hashlib
import inspect
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import __version__, crash, curated, describe, dumps as dumps_mod, index, ontology, rdf, reason, rules, store as store_mod
from .config import Settings
from .progress import Progress
from .vocab import OT, PROV, RDF, RDFS, IRIs

FULL_DUMPS_MAX = 250_000  # quads; above it only dataset.nq is written (the others take several times as long as a load)
PROGRESS_EVERY = 10.0  # seconds between progress lines of a long step
A = ox.NamedNode(RDF + "type")


@dataclass
class BuildResult:
    release: Path
    manifest: dict
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def import_files(settings: Settings, pending: dict[str, Path] | None = None) -> list[tuple[str, Path]]:
    """The imports a build includes: every build/imports/<name>.nq, with pending ones added or replacing."""
    files = {p.name[:-3]: p for p in sorted((settings.build_dir / "imports").glob("*.nq")) if not p.name.startswith(".")}
    files.update(pending or {})
    return sorted(files.items())


# ------------------------------------------------------------------ the stages
def read(settings: Settings, progress: Progress) -> dict:
    onto = ontology.load(settings.ontology_dir)
    cur = curated.read(settings, onto, progress=progress.done)
    progress.done(f"{len(cur.statements)} statements, {len(cur.sources)} sources, {len(cur.entities)} entities")
    return {"onto": onto, "curation": cur}


def make_rdf(curation: curated.Curation, onto: ontology.Ontology, iris: IRIs, progress: Progress) -> dict:
    asserted = list(rdf.curation_quads(curation, iris))
    onto_quads = rdf.ontology_quads(onto.nquads, iris)
    progress.done(f"{len(asserted)} asserted quads, {len(onto_quads)} ontology triples")
    return {"asserted": asserted, "onto_quads": onto_quads}


@dataclass
class ImportLoad:
    """The bulk load of the imports, running beside the reasoner (`done`), through the superclass
    closure of the rules' schema."""

    files: list[tuple[str, Path]]
    readers: list[dumps_mod.ImportReader] = field(default_factory=list)
    head_sha: object = field(default_factory=hashlib.sha256)  # of what the loader read: the start of dataset.nq
    schema: rules.Schema | None = None
    closure: rules.TypeClosure | None = None
    seconds: float = 0.0
    done: Future | None = None

    @property
    def bytes_read(self) -> int:
        return sum(r.bytes for r in self.readers)

    @property
    def records(self) -> dict[str, dict]:
        """Each import as the manifest records it."""
        return {name: {"sha256": r.sha.hexdigest(), "quads": r.lines, "bytes": path.stat().st_size}
                for (name, path), r in zip(self.files, self.readers)}


def start_imports(store: ox.Store, imports: list[tuple[str, Path]], onto: ontology.Ontology, asserted: list[ox.Quad],
                  iris: IRIs, staging: Path, pool: ThreadPoolExecutor, progress: Progress) -> dict:
    load = ImportLoad(imports, schema=rules.schema(onto.triples))
    load.closure = closure = rules.TypeClosure(load.schema, iris.ontology_graph, iris.inferred_graph)
    # the curated subjects are watched, so that their superclass types are written once
    closure.watch = {f"<{q.subject.value}>".encode() for q in asserted if isinstance(q.subject, ox.NamedNode)}

    def run() -> None:
        t = time.perf_counter()
        for _, path in imports:
            reader = dumps_mod.ImportReader(path, closure, staging / f".closure-{len(load.readers)}.nq", load.head_sha)
            load.readers.append(reader)
            try:
                # Oxigraph parses and indexes without holding Python's lock
                store.bulk_load(input=reader, format=ox.RdfFormat.N_QUADS)
            finally:
                reader.close()
        load.seconds = time.perf_counter() - t

    load.done = pool.submit(run)
    size = sum(p.stat().st_size for _, p in imports)
    progress.done(f"{len(imports)} import file(s), {size / 1e6:,.1f} MB, loading beside the reasoner")
    return {"loading": load}


def classify_curated(onto: ontology.Ontology, asserted: list[ox.Quad], iris: IRIs, progress: Progress) -> dict:
    """HermiT's types of the curated graph (statement metadata left out, see the module's docstring)."""
    ig = ox.NamedNode(iris.inferred_graph)
    hermit = [ox.Quad(t.subject, t.predicate, t.object, ig)
              for t in reason.infer(onto, reason.reasoning_input(asserted, iris.provenance_graph))]
    progress.done(f"{len(hermit)} inferred types")
    return {"hermit": hermit}


def graph_descriptions(iris: IRIs) -> list[ox.Quad]:
    """What made the inferred graph: HermiT and the SPARQL rules (graph {base}/graph/metadata)."""
    N, L = ox.NamedNode, ox.Literal
    ig, mg = N(iris.inferred_graph), N(iris.metadata_graph)
    hermit, by_rules = N(iris.base + "/id/activity/hermit-classification"), N(iris.base + "/id/activity/rules-classification")
    return [
        ox.Quad(ig, A, N(OT + "InferredGraph"), mg),
        ox.Quad(ig, N(PROV + "wasGeneratedBy"), hermit, mg),
        ox.Quad(ig, N(RDFS + "comment"), L("rdf:type triples inferred by the HermiT reasoner, with the named superclasses of every type", language="en"), mg),
        ox.Quad(hermit, A, N(PROV + "Activity"), mg),
        ox.Quad(hermit, N(RDFS + "label"), L("classification by HermiT (owlready2)", language="en"), mg),
        ox.Quad(ig, N(PROV + "wasGeneratedBy"), by_rules, mg),
        ox.Quad(by_rules, A, N(PROV + "Activity"), mg),
        ox.Quad(by_rules, N(RDFS + "label"), L(
            "classification of imported data by SPARQL rules over Oxigraph, equivalent to the ontology's "
            "defined classes, domains, ranges and superclasses", language="en"), mg),
    ]


@dataclass
class Loaded:
    """What the load stage put in the store from Python, and whether dataset.nq can start with what
    the bulk loader read (see dumps.py)."""

    quads: list[ox.Quad]  # ontology, curated quads, HermiT's types, graph descriptions, closed types
    again: set[tuple[str, str]]  # (subject, class) of inferred types the import stream also gave
    inferred: int  # types in the inferred graph after the load
    exact: bool


def load(store: ox.Store, loading: ImportLoad, asserted: list[ox.Quad], onto_quads: list[ox.Quad], hermit: list[ox.Quad],
         iris: IRIs, progress: Progress, timings: dict) -> dict:
    t = time.perf_counter()
    while wait([loading.done], timeout=PROGRESS_EVERY).not_done:
        total = sum(p.stat().st_size for _, p in loading.files)
        progress.rate("MB", "of imports loaded", loading.bytes_read / 1e6, total / 1e6, time.perf_counter() - t)
    loading.done.result()  # re-raises what stopped the load
    timings["imports"] = loading.seconds
    ig = ox.NamedNode(iris.inferred_graph)
    meta = graph_descriptions(iris)
    # the curated types HermiT was not given (statement metadata, graph descriptions) get their
    # superclasses here, so that every type in the store is closed before the rules run
    told = {(q.subject, q.object) for q in asserted + meta if q.predicate == A}
    known = told | {(q.subject, q.object) for q in hermit}
    closed = {ox.Quad(x, A, ox.NamedNode(d), ig) for x, c in told for d in loading.schema.supers.get(c.value, ())
              if (x, ox.NamedNode(d)) not in known}
    quads = dumps_mod.sorted_quads(onto_quads + asserted + hermit + meta + list(closed))
    store.bulk_extend(quads)
    # a superclass the data states is not also an inferred type
    removed = rules.remove_stated(store, loading.closure, iris.ontology_graph, iris.inferred_graph, also=told)
    written = {(q.subject.value, q.object.value) for q in hermit + list(closed)}
    again = {(x[1:-1].decode(), d.decode()) for x, d in loading.closure.watched} & written
    inferred = int(next(iter(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ig.value}> {{ ?s ?p ?o }} }}")))["n"].value)
    exact = not removed and inferred == len(written) - len(again) + loading.closure.concluded
    imported = sum(r.lines for r in loading.readers)
    crash.point("build:loaded")
    progress.done(f"{len(quads):,} curated quads, {imported:,} imported quads from {len(loading.files)} import(s), "
                  "superclass types of the imports loaded with them")
    return {"loaded": Loaded(quads, again, inferred, exact)}


def classify_by_rules(store: ox.Store, loading: ImportLoad, onto: ontology.Ontology, iris: IRIs, staging: Path,
                      progress: Progress) -> dict:
    rules_nq = staging / ".rules.nq"
    stats = rules.infer(store, onto.nquads, iris.ontology_graph, iris.inferred_graph, progress=progress.done,
                        nquads_out=rules_nq, closed=True, sc=loading.schema)
    progress.done(f"{stats['inferred']:,} types in {stats['rounds']} rounds")
    return {"rules_stats": stats, "rules_nq": rules_nq}


def make_index(store: ox.Store, iris: IRIs, progress: Progress) -> dict:
    tables = index.repeated_values(store, iris)
    store.bulk_extend(tables)
    progress.done(f"{len(tables) // 3:,} repeated values")
    return {"tables": tables}


def validate(settings: Settings, store: ox.Store, iris: IRIs, progress: Progress) -> dict:
    from . import validate as validate_mod

    report = list(validate_mod.build_step(settings, store, iris))
    store.bulk_extend(report)
    store.flush()
    results = sum(1 for q in report if q.predicate == A and q.object.value.endswith("#ValidationResult"))
    progress.done(f"{results:,} findings in the report graph")
    return {"report": report}


def reconcile(settings: Settings, store: ox.Store, iris: IRIs, progress: Progress) -> dict:
    from .reconcile import reconcile_quads

    quads = list(reconcile_quads(store, iris, settings))
    store.bulk_extend(quads)
    store.flush()
    progress.done(f"{len(quads):,} quads in {iris.graph('reconciled')}")
    return {"reconciled": quads}


def dump(store: ox.Store, staging: Path, loading: ImportLoad, loaded: Loaded, rules_nq: Path, rules_stats: dict,
         tables: list[ox.Quad], report: list[ox.Quad], reconciled: list[ox.Quad], pool: ThreadPoolExecutor,
         full_max: int, iris: IRIs, progress: Progress) -> dict:
    ig = ox.NamedNode(iris.inferred_graph)
    made = loaded.quads + tables + report + reconciled
    if loaded.exact:  # the types the stream gave are in dataset.nq already
        quads = [q for q in made if q.graph_name != ig or (q.subject.value, q.object.value) not in loaded.again]
    else:  # the inferred graph is written from the store
        quads = [q for q in made if q.graph_name != ig]
    tail = dumps_mod.write_tail(staging, quads)
    # the store is counted while dataset.nq is copied together (by the kernel, mostly): after the
    # sorting above, so that the two do not take turns at Python's lock
    counting = pool.submit(describe.count, store, iris, full_max)
    records = {"dataset.nq": dumps_mod.write_dataset(staging, store, loading.readers, loading.head_sha, tail,
                                                     rules_nq, loaded.exact, ig)}
    for p in [rules_nq] + [r.spool for r in loading.readers]:
        p.unlink()
    counts = counting.result()
    if loaded.exact and counts.inferred != loaded.inferred + rules_stats["inferred"]:
        raise RuntimeError(f"bug: the inferred graph has {counts.inferred:,} types, dataset.nq "
                           f"{loaded.inferred + rules_stats['inferred']:,}")
    full, left_out = dumps_mod.write_full(staging, counts.quads, full_max)
    records.update(full)
    progress.done(f"{len(records)} dumps" + (f", {len(left_out)} left out above {full_max:,} quads" if left_out else ""))
    return {"dumps": records, "left_out": left_out, "counts": counts}


def describe_dataset(store: ox.Store, staging: Path, settings: Settings, iris: IRIs, curation: curated.Curation,
                     asserted: list[ox.Quad], onto_quads: list[ox.Quad], hermit: list[ox.Quad], loading: ImportLoad,
                     rules_stats: dict, dumps: dict, left_out: dict, counts: describe.Counts, progress: Progress) -> dict:
    version = describe.version_of(dumps, __version__)
    by_rules = counts.inferred - len(hermit)
    n = {
        "statements": len(curation.statements),
        "curated_statements": sum(1 for s in curation.statements if not s.id.startswith(("iso-3166/", "geonames/"))),
        "sources": len(curation.sources),
        "entities": counts.entities,
        "quads": counts.quads,
        "triples": counts.triples,
        "triples_exact": counts.triples_exact,
        "graphs": counts.graphs,
        "inferred": counts.inferred,
        "inferred_by_rules": by_rules,
        "ontology_triples": len(onto_quads),
        "imported_quads": sum(r.lines for r in loading.readers),
    }
    examples = sorted({q.subject.value for q in asserted if isinstance(q.subject, ox.NamedNode)
                       and "/id/site/" in q.subject.value})[:3]
    dumps = dict(dumps, **{"void.ttl": describe.write_description(store, staging / "void.ttl", iris, version, n, dumps,
                                                                  examples, counts.partitions)})
    reasoning = {"hermit_types": len(hermit), "rules_types": rules_stats["inferred"],
                 "superclass_types_while_loading": by_rules - rules_stats["inferred"],
                 "rules_rounds": rules_stats["rounds"], "rules_by_rule": rules_stats["by_rule"]}
    man = describe.write_manifest(staging / "manifest.json", settings.base, version, n, dumps, left_out,
                                  loading.records, reasoning, kinds=counts.partitions or {})
    progress.done(f"version {version}")
    return {"version": version, "manifest": man}


def publish(settings: Settings, staging: Path, version: str, progress: Progress) -> dict:
    release = store_mod.publish_release(settings, staging, version)
    progress.done(f"build/current -> {release.name}")
    return {"release": release}


@dataclass(frozen=True)
class Stage:
    """One stage: `run`'s parameters are what it needs, `gives` what its result holds; `option`
    names the build() option that turns it on; `drops` the values no later stage may hold."""

    name: str
    title: str
    run: Callable[..., dict]
    gives: tuple[str, ...]
    option: str | None = None
    drops: tuple[str, ...] = ()

    @property
    def needs(self) -> tuple[str, ...]:
        return tuple(inspect.signature(self.run).parameters)


STAGES = (
    Stage("read", "reading ontology and curated files", read, ("onto", "curation")),
    Stage("rdf", "making RDF", make_rdf, ("asserted", "onto_quads")),
    Stage("imports", "loading the imports into the store", start_imports, ("loading",)),
    Stage("reason", "reasoning with HermiT", classify_curated, ("hermit",)),
    Stage("load", "loading the store", load, ("loaded",)),
    Stage("rules", "classifying imported data and statement metadata with SPARQL rules", classify_by_rules,
          ("rules_stats", "rules_nq")),
    Stage("index", "indexing repeated values", make_index, ("tables",)),
    Stage("validate", "validating with the SHACL rules", validate, ("report",), option="validation"),
    Stage("reconcile", "reconciling material balances", reconcile, ("reconciled",), option="reconcile"),
    Stage("dump", "writing dumps", dump, ("dumps", "left_out", "counts")),
    Stage("describe", "describing the dataset (VoID, manifest)", describe_dataset, ("version", "manifest"),
          drops=("store",)),
    Stage("publish", "publishing the release", publish, ("release",)),
)


def build(settings: Settings, quiet: bool = False, pending_imports: dict[str, Path] | None = None,
          full_dumps_max: int | None = None, validation: bool = True, reconcile: bool = False) -> BuildResult:
    """Run the stages and publish a new release; raise on any problem (nothing is then published).

    Imported data (`build/imports/*.nq`, see `oretrace import`, with `pending_imports` added) is
    bulk-loaded into the store and classified by rules; the curated graph goes through HermiT.
    TriG, Turtle and JSON-LD are written up to `full_dumps_max` quads (default FULL_DUMPS_MAX)
    and left out above it (the manifest says so). `validation=False` leaves out the SHACL stage
    (the benchmark times it on its own); `reconcile=True` adds the reconciliation stage.
    One writer at a time (store.writer); what a killed writer left is recovered first.
    """
    with store_mod.writer(settings):
        return _run_stages(settings, quiet, pending_imports, full_dumps_max, validation, reconcile)


def _run_stages(settings: Settings, quiet: bool, pending_imports: dict[str, Path] | None, full_dumps_max: int | None,
                validation: bool, reconcile: bool) -> BuildResult:
    options = {"validation": validation, "reconcile": reconcile}
    stages = [s for s in STAGES if s.option is None or options[s.option]]
    progress = Progress(len(stages), quiet)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    staging = store_mod.staging_dir(settings)
    # one thread beside the main one: the bulk load of the imports, then the counts of the store
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oretrace-build")
    values = {"settings": settings, "iris": IRIs(settings.base), "progress": progress, "timings": timings,
              "staging": staging, "pool": pool, "imports": import_files(settings, pending_imports),
              "full_max": FULL_DUMPS_MAX if full_dumps_max is None else full_dumps_max,
              "report": [], "reconciled": []}  # what the stages left out would have given
    try:
        values["store"] = ox.Store(str(staging / "store"))
        for stage in stages:
            progress.step(stage.title)
            t = time.perf_counter()
            out = stage.run(**{k: values[k] for k in stage.needs})
            if set(out) != set(stage.gives):
                raise RuntimeError(f"bug: stage {stage.name} gave {sorted(out)}, not {sorted(stage.gives)}")
            values.update(out)
            for k in stage.drops:
                del values[k]
            timings[stage.name] = timings.get(stage.name, 0.0) + time.perf_counter() - t
    except BaseException:
        pool.shutdown()  # a load still running is waited for before its folder goes
        shutil.rmtree(staging, ignore_errors=True)
        raise
    pool.shutdown()
    return BuildResult(values["release"], values["manifest"], time.perf_counter() - t0, timings)
