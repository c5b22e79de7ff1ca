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

For imported data, the superclasses of each stated type are concluded while the import streams
into the bulk loader (`TypeClosure`), and `infer(..., closed=True)` starts from there.
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

from .ontology import reachable
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


def schema(onto_triples) -> Schema:
    """Read the rules' schema from the ontology's triples (ontology.Ontology.triples)."""
    from .shacl import Graph

    g = Graph(onto_triples)
    N = ox.NamedNode

    def iri(t) -> bool:
        return isinstance(t, ox.NamedNode)

    def pairs(p: str):
        return g.pos.get(N(p), ())

    classes = {c.value for c in g.subjects(N(RDF + "type"), N(OWL + "Class")) if iri(c)}
    edges: dict[str, set[str]] = {c: set() for c in classes}
    for s, o in pairs(RDFS + "subClassOf"):
        if iri(s) and iri(o):
            edges.setdefault(s.value, set()).add(o.value)
    definitions = {}
    for c, expr in pairs(OWL + "equivalentClass"):
        if not iri(c):
            continue
        for op in g.objects(expr, N(OWL + "intersectionOf")):
            for m in g.items(op):
                if iri(m):
                    edges.setdefault(c.value, set()).add(m.value)
        for op in g.objects(expr, N(OWL + "unionOf")):
            for m in g.items(op):
                if iri(m):
                    edges.setdefault(m.value, set()).add(c.value)
    # properties: sub-properties, inverses, transitivity
    subprops: dict[str, set[str]] = {}
    for s, o in pairs(RDFS + "subPropertyOf"):
        subprops.setdefault(o.value, set()).add(s.value)
    inverse: dict[str, set[str]] = {}
    for s, o in pairs(OWL + "inverseOf"):
        inverse.setdefault(s.value, set()).add(o.value)
        inverse.setdefault(o.value, set()).add(s.value)
    transitive = {p.value for p in g.subjects(N(RDF + "type"), N(OWL + "TransitiveProperty"))}

    def below(p: str) -> set[str]:
        return reachable(p, lambda q: subprops.get(q, ()))

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
        if iri(node):
            return f"{var} a <{node.value}> ."
        ops = g.objects(node, N(OWL + "intersectionOf"))
        if ops:
            # restrictions first, named classes last: the restrictions are the selective part
            members = sorted(g.items(ops[0]), key=iri)
            return " ".join(pattern(m, var) for m in members)
        ops = g.objects(node, N(OWL + "unionOf"))
        if ops:
            # a sub-select, so that the union is evaluated once rather than once per row of what it is joined to
            union = " UNION ".join("{ " + pattern(m, var) + " }" for m in g.items(ops[0]))
            return f"{{ SELECT DISTINCT {var} WHERE {{ {union} }} }}"
        ops = g.objects(node, N(OWL + "oneOf"))
        if ops:
            return f"VALUES {var} {{ {' '.join(f'<{m.value}>' for m in g.items(ops[0]))} }}"
        prop = g.value(node, N(OWL + "onProperty"))
        if prop is not None:
            hv = g.value(node, N(OWL + "hasValue"))
            if hv is not None:
                return f"{var} {path(prop.value)} <{hv.value}> ."
            svf = g.value(node, N(OWL + "someValuesFrom"))
            if svf is not None:
                y = fresh()
                # the filler first: few individuals are in it, many have the property
                return f"{pattern(svf, y)} {var} {path(prop.value)} {y} ."
        raise RuleError(f"class expression {node} uses an OWL construct the SPARQL rules do not translate")

    for c, expr in pairs(OWL + "equivalentClass"):
        if iri(c) and not iri(expr):
            definitions[c.value] = pattern(expr, "?x")

    supers: dict[str, set[str]] = {}
    for c in edges:
        seen = reachable(c, lambda x: edges.get(x, ()))
        supers[c] = {d for d in seen - {c} if d in classes and d != OWL + "Thing"}

    def named(cls) -> set[str]:
        return {cls.value} if iri(cls) and cls.value in classes else set()

    dom: dict[str, set[str]] = {}
    rng: dict[str, set[str]] = {}
    for p, c in pairs(RDFS + "domain"):
        for q in below(p.value):
            dom.setdefault(q, set()).update(named(c))
            for inv in inverse.get(q, ()):
                rng.setdefault(inv, set()).update(named(c))
    for p, c in pairs(RDFS + "range"):
        for q in below(p.value):
            rng.setdefault(q, set()).update(named(c))
            for inv in inverse.get(q, ()):
                dom.setdefault(inv, set()).update(named(c))
    return Schema(classes, supers, {k: v for k, v in dom.items() if v}, {k: v for k, v in rng.items() if v}, definitions)


class TypeClosure:
    """The named superclasses of the types an N-Quads stream states, concluded as the stream passes.

    `start(out)` begins a stream, `feed` is given its bytes in order and `finish` ends it; for
    every `rdf:type` line outside the ontology graph it writes, to `out`, one N-Quads line in the inferred graph per named superclass of
    the type. Appended to the same stream, the conclusions load in the same bulk load as the
    data (blank nodes keep their identity). A subject's consecutive type lines give its
    conclusions once, less the classes among them; the store merges other repeats. Where the
    stream also states a class that is some class's superclass, `stated_pairs` holds the subject and class (or, past
    STATED_MAX of them or for a blank node, `stated_supers` the class), so that conclusions
    already stated can be taken out after the load (`remove_stated`)."""

    STATED_MAX = 100_000

    TYPE = b" <" + (RDF + "type").encode() + b"> <"

    def __init__(self, sc: Schema, onto_graph: str, inferred_graph: str):
        self.supers = {c.encode(): [d.encode() for d in sorted(ds)] for c, ds in sc.supers.items() if ds}
        self.super_classes = {d for ds in self.supers.values() for d in ds}
        self.onto = f"<{onto_graph}>".encode()
        self.suffix = b"> <" + inferred_graph.encode() + b"> .\n"
        self.out, self.tail, self.subject, self.said, self.told, self.lines = None, b"", b"", set(), set(), []
        self.stated_supers: set[str] = set()
        self.stated_pairs: set[tuple[bytes, bytes]] = set()
        self.watch: set[bytes] = set()  # subjects (as written, `<iri>`) whose conclusions are noted in `watched`
        self.watched: set[tuple[bytes, bytes]] = set()
        self.concluded = 0

    def start(self, out) -> None:
        """Begin a stream whose conclusions go to the binary file `out`."""
        self.out, self.tail, self.subject = out, b"", b""

    def feed(self, chunk: bytes) -> None:
        data = self.tail + chunk if self.tail else chunk
        end = data.rfind(b"\n") + 1
        self.tail = data[end:]
        if end:
            self._scan(data, end)

    def finish(self) -> None:
        """Scan a last line that has no line end, and write what is pending."""
        if self.tail:
            data, self.tail = self.tail + b"\n", b""
            self._scan(data, len(data))
        self._flush()
        self._write()

    def _scan(self, data: bytes, end: int) -> None:
        find, rfind, supers, n = data.find, data.rfind, self.supers, len(self.TYPE)
        pos = find(self.TYPE, 0, end)
        while pos >= 0:
            stop = find(b"\n", pos)
            start = rfind(b"\n", 0, pos) + 1
            subject = data[start:pos].strip()
            close = find(b">", pos + n, stop)
            # the predicate position: one IRI or blank node before it (a literal or a triple term never is)
            if close > 0 and b" " not in subject and (subject[:1] == b"<" or subject[:2] == b"_:"):
                cls = data[pos + n:close]
                graph = data[close + 1:stop].strip()
                if not graph.startswith(self.onto):
                    if subject != self.subject:
                        self._flush()
                        self.subject = subject
                    if cls in self.super_classes:
                        self.told.add(cls)
                        if subject[:1] == b"<" and len(self.stated_pairs) < self.STATED_MAX:
                            self.stated_pairs.add((subject, cls))
                        else:
                            self.stated_supers.add(cls.decode())
                    ds = supers.get(cls)
                    if ds:
                        self.said.update(ds)
            pos = find(self.TYPE, stop, end)
        self._write()

    def _flush(self) -> None:
        """Conclude the superclasses of the current subject's run of type lines, less those it states."""
        if self.said:
            head, watched = self.subject + self.TYPE, self.subject in self.watch
            for d in sorted(self.said - self.told):
                self.lines.append(head + d + self.suffix)
                if watched:
                    self.watched.add((self.subject, d))
        self.said, self.told = set(), set()

    def _write(self) -> None:
        if self.lines:
            self.concluded += len(self.lines)
            self.out.write(b"".join(self.lines))
            self.lines = []


def remove_stated(store: ox.Store, closure: TypeClosure, onto_graph: str, inferred_graph: str,
                  also=()) -> int:
    """Take out of the inferred graph the superclass types that the stream also stated, and the
    (subject, class) pairs of `also` (types the curated data states); return how many."""
    a, ig = ox.NamedNode(RDF + "type"), ox.NamedNode(inferred_graph)

    def term(subject: bytes):
        if b"\\" in subject:  # an IRI with escapes: let the parser read it
            return next(iter(ox.parse(subject + b" <urn:p> <urn:o> .", format=ox.RdfFormat.N_TRIPLES))).subject
        return ox.NamedNode(subject[1:-1].decode())

    pairs = [(term(x), ox.NamedNode(c.decode())) for x, c in sorted(closure.stated_pairs)]
    pairs += [(x, c) for x, c in also if c.value.encode() in closure.super_classes]
    for c in sorted(closure.stated_supers):
        q = (f"SELECT DISTINCT ?x WHERE {{ GRAPH <{inferred_graph}> {{ ?x a <{c}> }} GRAPH ?g {{ ?x a <{c}> }} "
             f"FILTER(?g != <{inferred_graph}> && ?g != <{onto_graph}>) }}")
        pairs += [(r["x"], ox.NamedNode(c)) for r in store.query(q, use_default_graph_as_union=False)]
    removed = 0
    for x, c in pairs:
        quad = ox.Quad(x, a, c, ig)
        if quad in store:
            store.remove(quad)
            removed += 1
    return removed


def _new_first(pattern: str, gained: set[str] | None) -> str:
    """The pattern with its top-level `?x a <C> .` for a class that gained members moved to the
    front, so that a definition checked again starts from the class that changed."""
    if not gained:
        return pattern
    for c in sorted(gained):
        part = f"?x a <{c}> ."
        i = pattern.find(part)
        while i >= 0:
            if pattern.count("{", 0, i) == pattern.count("}", 0, i):  # not inside a group
                return part + " " + (pattern[:i] + pattern[i + len(part):]).strip()
            i = pattern.find(part, i + 1)
    return pattern


def queries(sc: Schema, onto_graph: str, classes: set[str] | None = None, first: bool = True,
            present=lambda kind, iri: True, definitions: bool | set[str] = True,
            supers: bool = True) -> list[list[tuple[str, str, bool]]]:
    """The rules of one round, in phases: a list of phases, each a list of (name, CONSTRUCT, needs
    the typed-in-data check).

    There is one query per concluded class, so no two queries of a phase conclude the same
    triple, and each subtracts what is already known with MINUS (a hash join: one scan of each
    side rather than a lookup per row). Superclasses come first, so that domains and ranges,
    which depend only on triples and run in the first round only, rarely find anything left;
    later rounds close only the classes that gained members in the round before (`classes`)
    and re-check the definitions named in `definitions` (True: all). `present(kind, iri)` tells whether a class has members or
    a property has triples; rules about absent ones are left out. `supers=False` leaves out the
    superclass phase (when the data's types were closed as they were loaded, see TypeClosure)."""
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
        # all the members at first (MINUS: one scan of each side); in later rounds the few that are
        # new, each looked up (FILTER NOT EXISTS), rather than a scan of all the superclass's members
        known = f"MINUS {{ ?x a <{d}> }}" if classes is None else f"FILTER NOT EXISTS {{ ?x a <{d}> }}"
        sup.append((f"superclass {d}", f"CONSTRUCT {{ ?x a <{d}> }} WHERE {{ {{ {union} }} {known} }}", False))
    if supers:
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
        which = sc.definitions if definitions is True else definitions
        # a definition starts from the class that gained members, or in the first round from a
        # defined class it names: before the rules run, those hold only HermiT's curated members
        first_class = set(sc.definitions) if classes is None else classes
        phases.append([(f"defined {c}", f"CONSTRUCT {{ ?x a <{c}> }} WHERE {{ {{ {_new_first(sc.definitions[c], first_class)} "
                                        f"FILTER(!isLiteral(?x)) }} MINUS {{ ?x a <{c}> }} }}", True) for c in sorted(which)])
    if not supers and first and definitions and not (
            {n.split(" ", 1)[1] for n, _, _ in phases[0]} & {n.split(" ", 1)[1] for n, _, _ in phases[1]}):
        # nothing to close first: domains, ranges and definitions are one phase when they conclude
        # different classes (a definition that needs a type concluded beside it is checked again
        # in the next round)
        phases = [phases[0] + phases[1]]
    return phases


def infer(store: ox.Store, onto_nt: str, onto_graph: str, inferred_graph: str, progress=None,
          nquads_out: Path | None = None, closed: bool = False, sc: Schema | None = None) -> dict:
    """Run the rules to a fixpoint, adding conclusions to `inferred_graph`; return counts and timings.

    With `nquads_out`, the conclusions are also written there as N-Quads (in `inferred_graph`).
    `closed=True` says that every type in the store already has its named superclasses (the
    data went through TypeClosure, the curated graph through HermiT): the first round then
    starts with domains, ranges and definitions. `sc`: the schema of `onto_nt`, if the caller has it."""
    sc = sc or schema(ox.parse(onto_nt.encode(), format=ox.RdfFormat.N_TRIPLES))
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
    out = open(nquads_out, "wb") if nquads_out else None
    try:
        with tempfile.TemporaryDirectory(prefix="oretrace-rules-") as tmp:
            # semi-naive: the superclass phase concludes whole closures, so a later round closes only
            # the classes that domains, ranges and definitions added to, and re-checks the
            # definitions only when a class they mention gained members
            deps = {c: set(re.findall(r"<([^>]+)>", text)) for c, text in sc.definitions.items()}
            classes, recheck = None, set(sc.definitions)
            for rnd in range(1, MAX_ROUNDS + 1):
                gained: dict[str, int] = {}
                open_classes: set[str] = set()
                for phase in queries(sc, onto_graph, classes, rnd == 1, present, definitions=recheck,
                                     supers=not (closed and rnd == 1)):
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
                            append_as_nquads(batch, out, inferred_graph)
                    os.unlink(batch)
                added = sum(gained.values())
                stats["rounds"] = rnd
                stats["inferred"] += added
                if progress:
                    progress(f"rules round {rnd}: {added:,} types")
                if not added:
                    break
                # a definition is checked again only when a class it mentions gained members
                classes, recheck = open_classes, {c for c, ms in deps.items() if ms & set(gained)}
                if not classes and not recheck:
                    break
            else:
                raise RuleError(f"the rules did not reach a fixpoint in {MAX_ROUNDS} rounds")
    finally:
        if out:
            out.close()
    stats["seconds"] = time.perf_counter() - t0
    return stats


def append_as_nquads(nt: Path, out, graph: str) -> None:
    """Append an N-Triples file to the binary file `out` as N-Quads in `graph`."""
    suffix = f" <{graph}> .\n".encode()
    with open(nt, "rb") as f:
        for lines in iter(lambda: f.readlines(1 << 22), []):
            out.write(b"".join(lines).replace(b" .\n", suffix))


def _lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return n
