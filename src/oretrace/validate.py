"""`oretrace validate`: check the built graph (data plus the reasoner's inferred types) against
the SHACL shapes in shapes/, report the findings grouped by rule with the statements and curated
file:line to change, and store the report in the graph `{base}/graph/validation`.

Exit codes: 0 no violations (warnings allowed), 1 violations, 2 unusable input.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import textwrap
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import shacl
from .config import Settings
from .errors import EXIT_FINDINGS, EXIT_OK, InputError
from .shacl.model import SEVERITY_ORDER, Graph, Report, Result
from .vocab import DCTERMS, OT, PREFIXES, PROV, RDF, RDFS, SH, XSD, IRIs

OTSH = "https://w3id.org/oretrace/shapes#"
FORMATS = ("text", "turtle", "json", "markdown")


# ------------------------------------------------------------------ inputs
def _parse_file(path: Path, fmt=None) -> list[ox.Quad]:
    fmt = fmt or {".ttl": ox.RdfFormat.TURTLE, ".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS,
                  ".nt": ox.RdfFormat.N_TRIPLES}.get(path.suffix)
    if fmt is None:
        raise InputError(f"{path}:1: unknown RDF file type {path.suffix!r} (use .ttl, .trig, .nq or .nt)")
    try:
        return list(ox.parse(path=str(path), format=fmt, base_iri=path.resolve().as_uri()))
    except SyntaxError as e:
        line = getattr(e, "lineno", None) or 1
        msg = str(e.args[0]) if e.args else str(e)
        raise InputError(f"{path}:{line}: not valid {fmt.name.replace('_', '-')}: {msg} (fix the syntax on this line)") from None
    except (OSError, ValueError) as e:
        raise InputError(f"{path}:1: cannot be read: {e}") from None


def load_shapes(shapes_dir: Path) -> list[ox.Triple]:
    """The triples of every shapes/*.ttl file; InputError names the file and line of a syntax error."""
    files = sorted(Path(shapes_dir).glob("*.ttl"))
    if not files:
        raise InputError(f"{shapes_dir}:1: no shapes files (*.ttl) found")
    out: list[ox.Triple] = []
    for f in files:
        out += [ox.Triple(q.subject, q.predicate, q.object) for q in _parse_file(f, ox.RdfFormat.TURTLE)]
    return out


def data_store(store: ox.Store, iris: IRIs) -> ox.Store:
    """A store whose union of graphs is the data to validate: `store` itself, or, when it already
    holds a validation report, an in-memory copy without that graph."""
    report = ox.NamedNode(iris.validation_graph)
    if not store.contains_named_graph(report):
        return store
    copy = ox.Store()
    copy.bulk_extend(q for q in store if q.graph_name != report)
    return copy


# ------------------------------------------------------------------ findings
@dataclass
class Where:
    """A place in the curated files to look at: a statement (file, line, id), or only a file."""

    statement: str | None
    file: str
    line: int | None
    graph: str | None = None
    note: str | None = None

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line else self.file
        extra = self.statement or self.note
        return f"{loc} ({extra})" if extra else loc


@dataclass
class Finding:
    result: Result
    rule: str
    label: str
    message: str
    where: list[Where] = field(default_factory=list)

    @property
    def severity(self) -> str:
        return self.result.severity.value.rsplit("#", 1)[-1]


@dataclass
class Outcome:
    findings: list[Finding]
    report: Report
    seconds: float
    engine: str
    shapes: Graph  # the shapes graph, indexed

    @property
    def violations(self) -> int:
        return sum(f.severity == "Violation" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity != "Violation" for f in self.findings)

    def by_rule(self) -> dict[str, list[Finding]]:
        groups: dict[str, list[Finding]] = defaultdict(list)
        for f in self.findings:
            groups[f.rule].append(f)
        return dict(sorted(groups.items(), key=lambda kv: (SEVERITY_ORDER.get(kv[1][0].result.severity, 9), kv[0])))


def _text(term, iris: IRIs) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        v = term.value
        if v.startswith(iris.base + "/id/"):
            return v[len(iris.base) + 4:]
        for p, ns in PREFIXES.items():
            if v.startswith(ns):
                return f"{p}:{v[len(ns):]}"
        return v
    return term.value if isinstance(term, ox.Literal) else str(term)


def _lookup(store: ox.Store, iris: IRIs, nodes: list) -> tuple[dict, dict]:
    """Labels of nodes, and where in the curated files each is stated: the statements about it
    (id, file, line); for a locator, those of the statement or source it belongs to; for a
    source, the file of the document that describes or cites it."""
    iri_nodes = sorted({n for n in nodes if isinstance(n, ox.NamedNode)}, key=str)
    labels: dict = {}
    where: dict = defaultdict(list)
    if not iri_nodes:
        return labels, where
    # a locator `<x>#citation` is looked up as its owner `<x>`
    owner = {n: ox.NamedNode(n.value.split("#", 1)[0]) for n in iri_nodes}
    looked = sorted(set(iri_nodes) | set(owner.values()), key=str)
    values = " ".join(f"<{n.value}>" for n in looked)
    pg = f"<{iris.provenance_graph}>"
    for r in store.query(f"SELECT ?n (SAMPLE(?l) AS ?label) WHERE {{ VALUES ?n {{ {values} }} ?n <{RDFS}label> ?l }} GROUP BY ?n",
                         use_default_graph_as_union=True):
        labels[r["n"]] = r["label"].value
    found: dict = defaultdict(list)
    # the statements about a node, and a statement itself (two queries: Oxigraph plans the
    # union of both, joined with the statements' records, badly when there are many nodes)
    origin = f"?g <{DCTERMS}identifier> ?id ; <{OT}curatedFile> ?file ; <{OT}curatedLine> ?line ."
    for q in (f"SELECT ?n ?g ?id ?file ?line WHERE {{ GRAPH {pg} {{ VALUES ?n {{ {values} }} ?g <{OT}about> ?n . "
              f"{origin} }} }}",
              f"SELECT ?n ?g ?id ?file ?line WHERE {{ GRAPH {pg} {{ VALUES ?g {{ {values} }} ?g a <{OT}Statement> "
              f"BIND(?g AS ?n) {origin} }} }}"):
        for r in store.query(q):
            found[r["n"]].append(Where(r["id"].value, r["file"].value, int(r["line"].value), r["g"].value))
    # a source records the file and line that describe it
    # (the node list inside the graph pattern, first: Oxigraph then starts from the nodes rather
    # than from every typed node of the provenance graph)
    q = f"""SELECT ?n ?file ?line ?doc WHERE {{
        GRAPH {pg} {{ VALUES ?n {{ {values} }} ?n a ?type ; <{OT}curatedFile> ?file ; <{OT}curatedLine> ?line .
          FILTER NOT EXISTS {{ ?n <{DCTERMS}identifier> ?id }} OPTIONAL {{ ?n <{OT}describedBy> ?doc }} }} }}"""
    for r in store.query(q):
        if not found.get(r["n"]):
            note = "under cited_sources" if r["doc"] is not None else "under source"
            found[r["n"]].append(Where(None, r["file"].value, int(r["line"].value), note=note))
    # (builds from before sources recorded it: the file of the document that describes the source,
    # or of the statements taken from it; the source files, data/sources/, come first)
    # (only for the nodes not found yet)
    rest = " ".join(f"<{n.value}>" for n in looked if not found.get(n))
    q = f"""SELECT DISTINCT ?n ?file ?doc WHERE {{
        VALUES ?n {{ {rest} }}
        GRAPH {pg} {{
          {{ ?n <{OT}describedBy> ?doc . ?g <{PROV}wasDerivedFrom> ?doc }}
          UNION {{ ?n a ?type . FILTER NOT EXISTS {{ ?n <{OT}describedBy> ?any }} ?g <{PROV}wasDerivedFrom> ?n }}
          ?g <{OT}curatedFile> ?file . }} }}"""
    files: dict = defaultdict(set)
    for r in (store.query(q) if rest else []):
        doc = r["doc"].value.rsplit("/", 1)[-1] if r["doc"] is not None else None
        files[r["n"]].add((not r["file"].value.startswith("data/sources/"), r["file"].value, doc))
    for n, fs in files.items():
        if not found.get(n):
            _, f, doc = min(fs, key=lambda x: (x[0], x[1]))
            note = "under cited_sources" if doc else "under source"
            found[n].append(Where(None, f, None, note=note))
    for n in iri_nodes:
        ws = found.get(n) or found.get(owner[n]) or []
        if ws:
            where[n] = sorted({(w.file, w.line or 0, w.statement or ""): w for w in ws}.values(),
                              key=lambda w: (w.file, w.line or 0))
        if n not in labels and owner[n] in labels and owner[n] != n:
            labels[n] = f"locator of {labels[owner[n]]}"
    return labels, where


def run(settings: Settings, store: ox.Store, iris: IRIs, engine: str = shacl.DEFAULT_ENGINE,
        shapes: list[ox.Triple] | None = None) -> Outcome:
    """Validate the store's data (all graphs but the report) against the shapes."""
    shapes = shapes if shapes is not None else load_shapes(settings.shapes_dir)
    t0 = time.perf_counter()
    store = data_store(store, iris)
    g = Graph(shapes)
    report = shacl.validate(store, shapes, engine=engine, union=True, shapes_graph=g)
    seconds = time.perf_counter() - t0
    labels, where = _lookup(store, iris, [r.focus for r in report.results])
    findings = []
    for r in report.sorted():
        name = g.value(r.shape, shacl.sh("name"))
        rule = name.value if name is not None else _text(r.shape, iris)
        msgs = [m.value for m in r.messages] or [f"{_text(r.component, iris)} not satisfied"]
        findings.append(Finding(r, rule, labels.get(r.focus) or _text(r.focus, iris), msgs[0], where.get(r.focus, [])))
    return Outcome(findings, report, seconds, engine, g)


# ------------------------------------------------------------------ the report graph
def _h(*parts) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:20]


def report_quads(outcome: Outcome, iris: IRIs) -> list[ox.Quad]:
    """The SHACL report as quads in `{base}/graph/validation`, with hash-based IRIs (no blank nodes)."""
    G = ox.NamedNode(iris.validation_graph)
    N, L = ox.NamedNode, ox.Literal
    rep = N(f"{iris.base}/id/validation/report")
    a = N(RDF + "type")
    out = {ox.Quad(rep, a, N(SH + "ValidationReport"), G),
           ox.Quad(rep, N(SH + "conforms"), L("true" if outcome.report.conforms else "false", datatype=N(XSD + "boolean")), G)}
    g = outcome.shapes

    def skolem(t):
        return N(f"{iris.base}/id/validation/shape/{_h(t)}") if isinstance(t, ox.BlankNode) else t

    shapes_seen = set()
    for f in outcome.findings:
        r = f.result
        node = N(f"{iris.base}/id/validation/result/{_h(*r.key())}")
        out.add(ox.Quad(rep, N(SH + "result"), node, G))
        out.add(ox.Quad(node, a, N(SH + "ValidationResult"), G))
        if not isinstance(r.focus, ox.BlankNode):
            out.add(ox.Quad(node, N(SH + "focusNode"), r.focus, G))
        if isinstance(r.path, ox.NamedNode):
            out.add(ox.Quad(node, N(SH + "resultPath"), r.path, G))
        if r.path_text:
            out.add(ox.Quad(node, N(OTSH + "pathText"), L(r.path_text), G))
        if r.value is not None and not isinstance(r.value, ox.BlankNode):
            out.add(ox.Quad(node, N(SH + "value"), r.value, G))
        out.add(ox.Quad(node, N(SH + "sourceShape"), skolem(r.shape), G))
        out.add(ox.Quad(node, N(SH + "sourceConstraintComponent"), r.component, G))
        out.add(ox.Quad(node, N(SH + "resultSeverity"), r.severity, G))
        for m in r.messages or (L(f.message, language="en"),):
            out.add(ox.Quad(node, N(SH + "resultMessage"), m, G))
        for w in f.where:
            if w.graph:
                out.add(ox.Quad(node, N(OTSH + "statement"), N(w.graph), G))
                out.add(ox.Quad(node, N(OT + "statementId"), L(w.statement), G))
            else:
                out.add(ox.Quad(node, N(OT + "curatedFile"), L(w.file), G))
                if w.line:
                    out.add(ox.Quad(node, N(OT + "curatedLine"), L(str(w.line), datatype=N(XSD + "integer")), G))
        shapes_seen.add(r.shape)
    for s in shapes_seen:
        for p in ("name", "severity", "message"):
            for o in g.objects(s, shacl.sh(p)):
                out.add(ox.Quad(skolem(s), N(SH + p), o, G))
        for o in g.objects(s, ox.NamedNode(RDF + "type")):
            out.add(ox.Quad(skolem(s), a, o, G))
    return sorted(out, key=lambda q: (str(q.subject), str(q.predicate), str(q.object)))


def build_step(settings: Settings, store: ox.Store, iris: IRIs):
    """The SHACL report of a freshly loaded store, as quads in graph `iris.validation_graph`."""
    shapes = load_shapes(settings.shapes_dir)
    outcome = run(settings, store, iris, shacl.DEFAULT_ENGINE, shapes)
    return report_quads(outcome, iris)


# ------------------------------------------------------------------ output
WIDTH = 100  # the widest text report, whatever the terminal
MORE = 4     # curated places listed per finding before "+N more"


def width() -> int:
    """The width of text output: the terminal's (COLUMNS honoured), at most WIDTH, at least 60."""
    return max(60, min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns))


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[:max(n - 1, 0)] + "…"


def _wrap(text: str, indent: str, w: int, first: str | None = None) -> list[str]:
    return textwrap.wrap(text, w, initial_indent=first if first is not None else indent, subsequent_indent=indent,
                         break_on_hyphens=False) or [first or indent]


def _where_lines(f: Finding, indent: str, w: int) -> list[str]:
    lines = []
    for k, loc in enumerate(f.where[:MORE]):
        head = indent + ("change: " if k == 0 else " " * 8)
        lines += _wrap(str(loc), indent + " " * 10, w, first=head)
    if len(f.where) > MORE:
        lines.append(f"{indent}        (+{len(f.where) - MORE} more statements)")
    return lines


def format_text(o: Outcome, iris: IRIs, w: int | None = None) -> str:
    """The findings grouped by rule, most severe first, each line at most `w` columns; a rule's
    message is printed once when all its findings share it; a summary closes the report."""
    w = w or width()
    lines = []
    groups = o.by_rule()
    for rule, fs in groups.items():
        lines += _wrap(f"{fs[0].severity.upper():9} {len(fs):>3}  {rule}", " " * 16, w, first="")
        shared = len({f.message for f in fs}) == 1
        if shared:
            lines += _wrap(fs[0].message, "    ", w)
        for f in fs:
            focus = _text(f.result.focus, iris)
            label = f"  {f.label}" if f.label and f.label != focus else ""
            lines.append(_clip(f"  - {focus}{label}", w))
            if not shared:
                lines += _wrap(f.message, " " * 6, w)
            lines += _where_lines(f, " " * 6, w)
        lines.append("")
    if groups:
        lines.append("summary:")
        lines += [_clip(f"  {fs[0].severity.lower():9} {len(fs):>3}  {rule}", w) for rule, fs in groups.items()]
    v, n = o.violations, o.warnings
    lines.append(f"{v} violation{'s' if v != 1 else ''}, {n} warning{'s' if n != 1 else ''} "
                 f"({len(groups)} rule{'s' if len(groups) != 1 else ''} fired; {o.engine} engine, {o.seconds:.2f} s)")
    return "\n".join(lines)


def _md(s: str) -> str:
    return s.replace("|", "\\|")


def format_markdown(o: Outcome, iris: IRIs) -> str:
    """The findings as a Markdown document: a table of rules, then one section per rule."""
    groups = o.by_rule()
    lines = ["# Validation report", "",
             f"{o.violations} violations, {o.warnings} warnings ({o.engine} engine).", ""]
    if groups:
        lines += ["| rule | severity | findings |", "|---|---|---:|"]
        lines += [f"| {_md(rule)} | {fs[0].severity} | {len(fs)} |" for rule, fs in groups.items()]
    for rule, fs in groups.items():
        lines += ["", f"## {rule} ({fs[0].severity}, {len(fs)})", ""]
        shared = len({f.message for f in fs}) == 1
        if shared:
            lines += [fs[0].message, ""]
        for f in fs:
            focus = _text(f.result.focus, iris)
            label = f" — {f.label}" if f.label and f.label != focus else ""
            text = f"- `{focus}`{label}" + ("" if shared else f": {f.message}")
            if f.where:
                text += " (change: " + "; ".join(f"`{w}`" for w in f.where[:MORE])
                text += f"; +{len(f.where) - MORE} more)" if len(f.where) > MORE else ")"
            lines.append(text)
    return "\n".join(lines)


def format_json(o: Outcome, iris: IRIs) -> str:
    """The findings as JSON: totals, then rules with their findings and the curated places."""
    return json.dumps({
        "conforms": o.report.conforms, "violations": o.violations, "warnings": o.warnings, "engine": o.engine,
        "rules": [{"rule": rule, "severity": fs[0].severity, "count": len(fs), "findings": [{
            "focus": _text(f.result.focus, iris), "label": f.label, "message": f.message, "severity": f.severity,
            "path": f.result.path_text, "value": _text(f.result.value, iris),
            "shape": _text(f.result.shape, iris), "component": _text(f.result.component, iris),
            "statements": [{"id": w.statement, "file": w.file, "line": w.line, "note": w.note} for w in f.where]}
            for f in fs]}
            for rule, fs in o.by_rule().items()]}, indent=1, ensure_ascii=False)


def format_turtle(o: Outcome, iris: IRIs) -> str:
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in report_quads(o, iris)]
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes={**PREFIXES, "otsh": OTSH}).decode()


# ------------------------------------------------------------------ command line
def cmd_validate(args, settings: Settings) -> int:
    from . import store as store_mod

    iris = IRIs(settings.base)
    shapes_dir = Path(args.shapes) if args.shapes else settings.shapes_dir
    try:
        shapes = load_shapes(shapes_dir)
        if args.data:
            # the file with the ontology beside it, for the class hierarchy, the code lists and units
            st = ox.Store()
            st.bulk_extend(_parse_file(Path(args.data)))
            og = ox.NamedNode(iris.ontology_graph)
            for f in sorted(settings.ontology_dir.glob("*.ttl")):
                st.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, og) for q in _parse_file(f, ox.RdfFormat.TURTLE))
        else:
            st = store_mod.open_store(settings)
        outcome = run(settings, st, iris, args.engine, shapes)
    except shacl.ShapesError as e:
        raise InputError(f"{shapes_dir}: the shapes cannot be used: {e}") from None
    if args.format == "text":
        print(format_text(outcome, iris))
    elif args.format == "markdown":
        print(format_markdown(outcome, iris))
    elif args.format == "json":
        print(format_json(outcome, iris))
    else:
        print(format_turtle(outcome, iris))
    return EXIT_FINDINGS if outcome.violations else EXIT_OK


def register(sub) -> dict:
    p = sub.add_parser("validate", help="check the built graph against the SHACL shapes")
    p.add_argument("-f", "--format", choices=FORMATS, default="text")
    p.add_argument("--engine", choices=shacl.ENGINES, default=shacl.DEFAULT_ENGINE,
                   help=f"SHACL engine (default {shacl.DEFAULT_ENGINE}; pyshacl is the reference)")
    p.add_argument("--shapes", help="folder of shapes files (default: shapes/)")
    p.add_argument("--data", help="validate this RDF file (.ttl, .trig, .nq, .nt), with the ontology, instead of the current build")
    return {"validate": cmd_validate}
