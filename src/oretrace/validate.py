"""`oretrace validate`: check the built graph (data plus the reasoner's inferred types) against
the SHACL shapes in shapes/, report the findings grouped by rule with the statements and curated
file:line to change, and store the report in the graph `{base}/graph/validation`.

Exit codes: 0 no violations (warnings allowed), 1 violations, 2 unusable input.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import shacl
from .config import Settings
from .shacl.model import SEVERITY_ORDER, Graph, Report, Result
from .vocab import DCTERMS, OT, PREFIXES, PROV, RDF, RDFS, SH, XSD, IRIs

OTSH = "https://w3id.org/oretrace/shapes#"
EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
FORMATS = ("text", "turtle", "json", "markdown")


class InputError(Exception):
    """A shapes or data file cannot be used; the message names the file and line."""


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
    statement: str | None
    file: str
    line: int | None
    graph: str | None = None

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line else self.file
        return f"{loc} ({self.statement})" if self.statement else loc


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
    """Labels of nodes, and the curated statements (id, file, line) that mention each as subject."""
    iri_nodes = sorted({n for n in nodes if isinstance(n, ox.NamedNode)}, key=str)
    labels: dict = {}
    where: dict = defaultdict(list)
    if not iri_nodes:
        return labels, where
    values = " ".join(f"<{n.value}>" for n in iri_nodes)
    pg = f"<{iris.provenance_graph}>"
    for r in store.query(f"SELECT ?n (SAMPLE(?l) AS ?label) WHERE {{ VALUES ?n {{ {values} }} ?n <{RDFS}label> ?l }} GROUP BY ?n",
                         use_default_graph_as_union=True):
        labels[r["n"]] = r["label"].value
    q = f"""SELECT ?n ?g ?id ?file ?line WHERE {{
        GRAPH {pg} {{
          {{ VALUES ?n {{ {values} }} ?g <{OT}about> ?n }}
          UNION {{ VALUES ?g {{ {values} }} ?g a <{OT}Statement> BIND(?g AS ?n) }}
          ?g <{DCTERMS}identifier> ?id ; <{OT}curatedFile> ?file ; <{OT}curatedLine> ?line .
        }} }}"""
    for r in store.query(q):
        where[r["n"]].append(Where(r["id"].value, r["file"].value, int(r["line"].value), r["g"].value))
    # a source: the curated file of the statements taken from it, or of the document that names it
    q = f"""SELECT ?n (MIN(?file) AS ?f) WHERE {{
        VALUES ?n {{ {values} }}
        GRAPH {pg} {{
          {{ ?g <{PROV}wasDerivedFrom> ?n }} UNION {{ ?n <{OT}describedBy> ?doc . ?g <{PROV}wasDerivedFrom> ?doc }}
          ?g <{OT}curatedFile> ?file . }} }} GROUP BY ?n"""
    for r in store.query(q):
        if r["f"] is not None and not where.get(r["n"]):
            where[r["n"]].append(Where(None, r["f"].value, None))
    for n in where:
        where[n] = sorted({(w.file, w.line or 0, w.statement or ""): w for w in where[n]}.values(),
                          key=lambda w: (w.file, w.line or 0))
    return labels, where


def run(settings: Settings, store: ox.Store, iris: IRIs, engine: str = shacl.DEFAULT_ENGINE,
        shapes: list[ox.Triple] | None = None) -> Outcome:
    """Validate the store's data (all graphs but the report) against the shapes."""
    shapes = shapes if shapes is not None else load_shapes(settings.shapes_dir)
    t0 = time.perf_counter()
    store = data_store(store, iris)
    report = shacl.validate(store, shapes, engine=engine, union=True)
    seconds = time.perf_counter() - t0
    g = Graph(shapes)
    labels, where = _lookup(store, iris, [r.focus for r in report.results])
    findings = []
    for r in report.sorted():
        name = g.value(r.shape, shacl.sh("name"))
        rule = name.value if name is not None else _text(r.shape, iris)
        msgs = [m.value for m in r.messages] or [f"{_text(r.component, iris)} not satisfied"]
        findings.append(Finding(r, rule, labels.get(r.focus) or _text(r.focus, iris), msgs[0], where.get(r.focus, [])))
    return Outcome(findings, report, seconds, engine)


# ------------------------------------------------------------------ the report graph
def _h(*parts) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:20]


def report_quads(outcome: Outcome, iris: IRIs, shapes: list[ox.Triple]) -> list[ox.Quad]:
    """The SHACL report as quads in `{base}/graph/validation`, with hash-based IRIs (no blank nodes)."""
    G = ox.NamedNode(iris.validation_graph)
    N, L = ox.NamedNode, ox.Literal
    rep = N(f"{iris.base}/id/validation/report")
    a = N(RDF + "type")
    out = {ox.Quad(rep, a, N(SH + "ValidationReport"), G),
           ox.Quad(rep, N(SH + "conforms"), L("true" if outcome.report.conforms else "false", datatype=N(XSD + "boolean")), G)}
    g = Graph(shapes)

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
    return report_quads(outcome, iris, shapes)


# ------------------------------------------------------------------ output
def _where_text(f: Finding) -> str:
    return "; ".join(str(w) for w in f.where[:4]) + (f" (+{len(f.where) - 4} more)" if len(f.where) > 4 else "")


def format_text(o: Outcome, iris: IRIs) -> str:
    lines = []
    for rule, fs in o.by_rule().items():
        lines.append(f"{fs[0].severity.upper():9} {len(fs):>4}  {rule}")
        for f in fs:
            lines.append(f"    - {f.label}  [{_text(f.result.focus, iris)}]")
            lines.append(f"      {f.message}")
            if f.where:
                lines.append(f"      change: {_where_text(f)}")
    lines.append(f"{o.violations} violation{'s' if o.violations != 1 else ''}, {o.warnings} warning{'s' if o.warnings != 1 else ''} "
                 f"({len(o.by_rule())} rules fired; {o.engine} engine, {o.seconds:.2f} s)")
    return "\n".join(lines)


def format_markdown(o: Outcome, iris: IRIs) -> str:
    lines = ["# Validation report", "", f"{o.violations} violations, {o.warnings} warnings ({o.engine} engine).", "",
             "| rule | severity | findings |", "|---|---|---:|"]
    groups = o.by_rule()
    lines += [f"| {rule} | {fs[0].severity} | {len(fs)} |" for rule, fs in groups.items()]
    for rule, fs in groups.items():
        lines += ["", f"## {rule} ({fs[0].severity}, {len(fs)})", ""]
        for f in fs:
            lines.append(f"- **{f.label}** (`{_text(f.result.focus, iris)}`): {f.message}"
                         + (f" Change: {_where_text(f)}." if f.where else ""))
    return "\n".join(lines)


def format_json(o: Outcome, iris: IRIs) -> str:
    return json.dumps({
        "conforms": o.report.conforms, "violations": o.violations, "warnings": o.warnings, "engine": o.engine,
        "rules": [{"rule": rule, "severity": fs[0].severity, "count": len(fs), "findings": [{
            "focus": _text(f.result.focus, iris), "label": f.label, "message": f.message,
            "path": f.result.path_text, "value": _text(f.result.value, iris),
            "shape": _text(f.result.shape, iris), "component": _text(f.result.component, iris),
            "statements": [{"id": w.statement, "file": w.file, "line": w.line} for w in f.where]} for f in fs]}
            for rule, fs in o.by_rule().items()]}, indent=1)


def format_turtle(o: Outcome, iris: IRIs, shapes) -> str:
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in report_quads(o, iris, shapes)]
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes={**PREFIXES, "otsh": OTSH}).decode()


# ------------------------------------------------------------------ command line
def cmd_validate(args, settings: Settings) -> int:
    from . import store as store_mod

    iris = IRIs(settings.base)
    shapes_dir = Path(args.shapes) if args.shapes else settings.shapes_dir
    try:
        shapes = load_shapes(shapes_dir)
        if args.data:
            st = ox.Store()
            st.bulk_extend(_parse_file(Path(args.data)))
        else:
            st = store_mod.open_store(settings)
        outcome = run(settings, st, iris, args.engine, shapes)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except store_mod.NoBuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except shacl.ShapesError as e:
        print(f"error: {shapes_dir}: the shapes cannot be used: {e}", file=sys.stderr)
        return EXIT_INPUT
    if args.format == "text":
        print(format_text(outcome, iris))
    elif args.format == "markdown":
        print(format_markdown(outcome, iris))
    elif args.format == "json":
        print(format_json(outcome, iris))
    else:
        print(format_turtle(outcome, iris, shapes))
    return EXIT_FINDINGS if outcome.violations else EXIT_OK


def register(sub) -> dict:
    p = sub.add_parser("validate", help="check the built graph against the SHACL shapes")
    p.add_argument("-f", "--format", choices=FORMATS, default="text")
    p.add_argument("--engine", choices=shacl.ENGINES, default=shacl.DEFAULT_ENGINE,
                   help=f"SHACL engine (default {shacl.DEFAULT_ENGINE}; pyshacl is the reference)")
    p.add_argument("--shapes", help="folder of shapes files (default: shapes/)")
    p.add_argument("--data", help="validate this RDF file (.ttl, .trig, .nq, .nt) instead of the current build")
    return {"validate": cmd_validate}
