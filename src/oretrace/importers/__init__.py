"""`oretrace import KIND FILE`: real open data into the graph, row by row, each row with its provenance.

One path for data: an importer never writes into a store. It streams the file in batches,
checks every row, and writes provenance-carrying N-Quads to a temporary file; the import's own
SHACL shapes (`shapes/imports/<kind>.ttl`) are checked on a sample; then a new build release is
made that includes every `build/imports/*.nq` plus this one, and only when that release is
published is the file renamed to `build/imports/<name>.nq`. An import that fails or is
interrupted leaves the published store as it was.

Kinds: trade (bilateral trade statistics), usgs (USGS world production tables), minmod (MinMod
mineral-site records), rmi (smelter lists in the layout of the RMI conformant lists).
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..vocab import IRIs
from ..progress import Progress
from .common import MAX_LISTED, Emitter, ImportFailure, RowError, clean_stale, slugify, staged_path

KINDS = {"trade": "trade", "usgs": "usgs", "minmod": "minmod", "rmi": "rmi"}
SAMPLE_STATEMENTS = 300


@dataclass
class Context:
    """What an importer module gets: settings, the input, options, the emitter and the error list."""

    settings: Settings
    iris: IRIs
    path: Path
    name: str
    options: dict
    quiet: bool = False
    emitter: Emitter | None = None
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0

    def bad(self, line: int, message: str, file: str | None = None) -> None:
        self.errors.append(RowError(file or self.path.name, line, message))

    def progress(self, label: str) -> Progress:
        size = self.path.stat().st_size if self.path.is_file() else None
        return Progress(label=label, total_bytes=size, quiet=self.quiet)


@dataclass
class ImportResult:
    name: str
    file: Path
    statements: int
    quads: int
    rows: int
    skipped: list[RowError]
    notes: list[str]
    seconds: float
    build: object = None


def module(kind: str):
    if kind not in KINDS:
        raise ImportFailure([f"unknown import kind {kind!r} (use one of {', '.join(KINDS)})"])
    return importlib.import_module(f"oretrace.importers.{KINDS[kind]}")


def _list(errors: list[RowError]) -> list[str]:
    out = [str(e) for e in errors[:MAX_LISTED]]
    if len(errors) > MAX_LISTED:
        out.append(f"... and {len(errors) - MAX_LISTED} more faulty rows")
    return out


def write_import(settings: Settings, kind: str, path: Path, out: Path, name: str | None = None,
                 skip_bad_rows: bool = False, options: dict | None = None, quiet: bool = False) -> tuple[ImportResult, Emitter]:
    """Turn `path` into the N-Quads file `out` (no store is touched); raise ImportFailure on faulty input."""
    t0 = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise ImportFailure([f"{path}: no such file (check the path)"])
    mod = module(kind)
    name = name or f"{kind}-{slugify(path.stem)}"
    if slugify(name) != name:
        raise ImportFailure([f"--name {name!r}: use lower-case letters, digits and '-' (e.g. {slugify(name)})"])
    ctx = Context(settings, IRIs(settings.base), path, name, dict(options or {}), quiet)
    ds = mod.dataset(ctx)
    inputs = sorted(path.glob("*.json")) if path.is_dir() else [path]
    em = Emitter(ctx.iris, name, kind, ds, inputs, out)
    em.sample_until = SAMPLE_STATEMENTS
    ctx.emitter = em
    try:
        mod.run(ctx)
    finally:
        em.close()
    if ctx.errors and not skip_bad_rows:
        raise ImportFailure(_list(ctx.errors) + [
            f"{len(ctx.errors)} faulty row{'s' if len(ctx.errors) != 1 else ''} in {path.name}; nothing was imported "
            "(fix the rows, or run again with --skip-bad-rows to import the others and list these)"])
    if em.statements == 0:
        raise ImportFailure([f"{path.name}: no rows to import (is it the right file for 'oretrace import {kind}'?)"])
    res = ImportResult(name, out, em.statements, em.quads, ctx.rows, list(ctx.errors), ctx.notes,
                       time.perf_counter() - t0)
    return res, em


def check_shapes(settings: Settings, kind: str, em: Emitter) -> list[str]:
    """SHACL findings of the import's own shapes on a sample of its statements (pySHACL)."""
    shapes = settings.shapes_dir / "imports" / f"{kind}.ttl"
    if not shapes.is_file() or not em.sample:
        return []
    import rdflib
    from pyshacl import validate

    import warnings

    data = rdflib.Dataset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's own N-Quads parser warns about itself
        data.parse(data="".join(em.sample), format="nquads")
    from .. import ontology

    g = rdflib.Graph()
    g.parse(data=ontology.load(settings.ontology_dir).nquads, format="nt")  # the classes of ontology individuals
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for s, p, o, _ in data.quads((None, None, None, None)):
            g.add((s, p, o))
    conforms, report, _ = validate(g, shacl_graph=str(shapes), inference="none", advanced=True)
    if conforms:
        return []
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    out = []
    for r in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        out.append(f"{report.value(r, SH.focusNode)}: {report.value(r, SH.resultMessage)} "
                   f"(path {report.value(r, SH.resultPath)})")
    return sorted(out)


def run_import(settings: Settings, kind: str, path: Path, name: str | None = None, skip_bad_rows: bool = False,
               options: dict | None = None, quiet: bool = False, build: bool = True) -> ImportResult:
    """Import `path` and publish a build that includes it; on any failure the published store is unchanged."""
    from .. import build as build_mod

    imports_dir = settings.build_dir / "imports"
    clean_stale(imports_dir)
    name = name or f"{kind}-{slugify(Path(path).stem)}"
    tmp = staged_path(imports_dir, name)
    try:
        res, em = write_import(settings, kind, Path(path), tmp, name, skip_bad_rows, options, quiet)
        findings = check_shapes(settings, kind, em)
        if findings:
            raise ImportFailure(findings[:MAX_LISTED] + [
                f"{len(findings)} SHACL finding(s) of shapes/imports/{kind}.ttl on the first statements; nothing was imported"], 1)
        if build:
            if not quiet:
                print(f"import {name}: {res.rows:,} rows -> {res.quads:,} quads; building a release with it",
                      file=sys.stderr, flush=True)
            res.build = build_mod.build(settings, quiet=quiet, pending_imports={name: tmp})
        os.replace(tmp, imports_dir / f"{name}.nq")
        res.file = imports_dir / f"{name}.nq"
        return res
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------ command line
def register(sub) -> dict:
    p = sub.add_parser("import", help="import a real dataset (trade, usgs, minmod, rmi) with provenance per row",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("kind", choices=sorted(KINDS), help="what kind of file it is")
    p.add_argument("file", type=Path, help="the file (for minmod also a folder of JSON files)")
    p.add_argument("--name", help="name of the import (default: KIND-FILESTEM); importing a name again replaces it")
    p.add_argument("--skip-bad-rows", action="store_true", help="import the good rows and list the faulty ones")
    p.add_argument("--unit", help="usgs: the unit of the table's figures (t or kt) where oretrace does not know it")
    p.add_argument("--title", help="trade, rmi: title of the dataset (default: from the file name)")
    p.add_argument("--creator", help="trade, rmi: who made the dataset, as written")
    p.add_argument("--publisher", help="trade, rmi: the publishing actor (actor/<slug>)")
    p.add_argument("--year", type=int, help="trade, rmi: the year the dataset was issued")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return {"import": cmd_import}


def cmd_import(args, settings) -> int:
    from .. import curated, ontology, reason

    try:
        res = run_import(settings, args.kind, args.file, args.name, args.skip_bad_rows,
                         {"unit": args.unit, "title": args.title, "creator": args.creator,
                          "publisher": args.publisher, "year": args.year}, args.quiet)
    except ImportFailure as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        print("the published store is unchanged.", file=sys.stderr)
        return e.code
    except (curated.CurationError, ontology.OntologyError, reason.InconsistencyError, reason.ReasonerError) as e:
        print(f"error: the build with this import failed: {e}\nthe published store is unchanged.", file=sys.stderr)
        return 2
    for n in res.notes:
        print(f"note: {n}", file=sys.stderr)
    if res.skipped:
        print(f"skipped {len(res.skipped)} faulty row(s):", file=sys.stderr)
        for line in _list(res.skipped):
            print(f"  {line}", file=sys.stderr)
    version = res.build.manifest["version"] if res.build else "-"
    print(f"imported {res.name}: {res.rows:,} rows, {res.statements:,} statements, {res.quads:,} quads; "
          f"published {version}")
    return 0
