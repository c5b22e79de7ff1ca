"""`oretrace import KIND FILE`: real open data into the graph, row by row, each row with its provenance.

One path for data: an importer never writes into a store. It streams the file in batches,
checks every row, and writes provenance-carrying N-Quads to a temporary file; the import's own
SHACL shapes (`shapes/imports/<kind>.ttl`) are checked on a sample; then a new build release is
made that includes every `build/imports/*.nq` plus this one, and only when that release is
published is the file renamed to `build/imports/<name>.nq`. An import that fails leaves the
published store as it was; one that is killed leaves it as it was or, killed after its release
was published, leaves the import for the next writer to put in place (store.recover). Input is
read by `reading.py`: every bad input is a `file:line: what and how to fix it`, exit 2.

Kinds: trade (bilateral trade statistics), usgs (USGS world production tables), minmod (MinMod
mineral-site records), rmi (smelter lists in the layout of the RMI conformant lists).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import crash, store
from ..config import Settings
from ..vocab import IRIs
from ..progress import Progress
from .common import MAX_LISTED, Emitter, ImportFailure, RowError, slugify, staged_path
from .reading import CONTROL, check_path

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
    warnings: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0

    def bad(self, line: int, message: str, file: str | None = None) -> None:
        self.errors.append(RowError(file or self.path.name, line, message))

    def warn(self, line: int, message: str, file: str | None = None) -> None:
        """A row that is imported but looks implausible: listed with its file and line."""
        self.warnings.append(RowError(file or self.path.name, line, message))

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
    warnings: list[RowError] = field(default_factory=list)


def module(kind: str):
    if kind not in KINDS:
        raise ImportFailure([f"unknown import kind {kind!r} (use one of {', '.join(KINDS)})"])
    return importlib.import_module(f"oretrace.importers.{KINDS[kind]}")


def _list(errors: list[RowError], what: str = "faulty rows", prefix: str = "") -> list[str]:
    out = [f"{prefix}{e}" for e in errors[:MAX_LISTED]]
    if len(errors) > MAX_LISTED:
        out.append(f"{prefix}... and {len(errors) - MAX_LISTED} more {what}")
    return out


THIS_YEAR = time.gmtime().tm_year


def check_options(options: dict) -> None:
    """The dataset options as the importers use them, or ImportFailure saying which is wrong."""
    problems = []
    pub = options.get("publisher")
    if pub is not None and not re.fullmatch(r"[a-z]+/[a-z0-9][a-z0-9-]*", pub):
        problems.append(f"--publisher {pub!r}: write the publishing actor as actor/<slug>, e.g. actor/usgs")
    for key in ("title", "creator"):
        v = options.get(key)
        if v is not None and (not v.strip() or len(v) > 500 or CONTROL.search(v)):
            problems.append(f"--{key} {v[:60]!r}: give a text of 1 to 500 characters without control characters")
    year = options.get("year")
    if year is not None and not 1800 <= int(year) <= THIS_YEAR + 1:
        problems.append(f"--year {year}: not a year between 1800 and {THIS_YEAR + 1}")
    if problems:
        raise ImportFailure(problems)


def write_import(settings: Settings, kind: str, path: Path, out: Path, name: str | None = None,
                 skip_bad_rows: bool = False, options: dict | None = None, quiet: bool = False) -> tuple[ImportResult, Emitter]:
    """Turn `path` into the N-Quads file `out` (no store is touched); raise ImportFailure on faulty input."""
    t0 = time.perf_counter()
    path = Path(path)
    mod = module(kind)
    check_path(path, folder_ok=kind == "minmod")
    name = name or f"{kind}-{slugify(path.stem)}"
    if slugify(name) != name or len(name) > 100:
        raise ImportFailure([f"--name {name[:120]!r}: use at most 100 lower-case letters, digits and '-' "
                             f"(e.g. {slugify(name)[:100]})"])
    options = {k: v for k, v in (options or {}).items() if v is not None}
    check_options(options)
    ctx = Context(settings, IRIs(settings.base), path, name, options, quiet)
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
        raise ImportFailure(_list(ctx.errors) + _list(ctx.warnings, "warnings", "warning: ") + [
            f"{len(ctx.errors)} faulty row{'s' if len(ctx.errors) != 1 else ''} in {path.name}; nothing was imported "
            "(fix the rows, or run again with --skip-bad-rows to import the others and list these)"])
    if em.statements == 0:
        raise ImportFailure([f"{path.name}:1: no rows to import after the header (is it the right file for "
                             f"'oretrace import {kind}'?)"])
    res = ImportResult(name, out, em.statements, em.quads, ctx.rows, list(ctx.errors), ctx.notes,
                       time.perf_counter() - t0, warnings=list(ctx.warnings))
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
    """Import `path` and publish a build that includes it; on any failure the published store is unchanged.

    The order makes every prefix of the work consistent (see store.py): the N-Quads are written
    to a temporary file and made durable, the release that includes them is published (one
    rename of build/current decides), and only then is the file renamed into build/imports."""
    from .. import build as build_mod

    imports_dir = settings.build_dir / "imports"
    with store.writer(settings):
        name = name or f"{kind}-{slugify(Path(path).stem)}"
        tmp = staged_path(imports_dir, name)
        try:
            res, em = write_import(settings, kind, Path(path), tmp, name, skip_bad_rows, options, quiet)
            crash.point("import:written")
            findings = check_shapes(settings, kind, em)
            if findings:
                raise ImportFailure(findings[:MAX_LISTED] + [
                    f"{len(findings)} SHACL finding(s) of shapes/imports/{kind}.ttl on the first statements; "
                    "nothing was imported"])
            if build:
                if not quiet:
                    print(f"import {name}: {res.rows:,} rows -> {res.quads:,} quads; building a release with it",
                          file=sys.stderr, flush=True)
                res.build = build_mod.build(settings, quiet=quiet, pending_imports={name: tmp})
                crash.point("import:published")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, imports_dir / f"{name}.nq")
        store.fsync_dir(imports_dir)
        crash.point("import:renamed")
        res.file = imports_dir / f"{name}.nq"
        return res


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
    p.add_argument("--encoding", help="the file's text encoding when it is not UTF-8 and has no byte order mark "
                                      "(e.g. cp1252, latin-1, utf-16)")
    p.add_argument("--flow", choices=("export", "import"),
                   help="trade: whose declarations the rows are, for a file without a flow column: the exporters' "
                        "(default) or the importers'")
    p.add_argument("--decimal-comma", action="store_true",
                   help="trade, usgs: the file writes 0,5 for a half and 1.234 for a thousand and more")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return {"import": cmd_import}


def cmd_import(args, settings) -> int:
    from .. import curated, ontology, reason

    try:
        res = run_import(settings, args.kind, args.file, args.name, args.skip_bad_rows,
                         {"unit": args.unit, "title": args.title, "creator": args.creator,
                          "publisher": args.publisher, "year": args.year, "encoding": args.encoding,
                          "decimal_comma": args.decimal_comma or None, "flow": args.flow}, args.quiet)
    except ImportFailure as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        print("the published store is unchanged.", file=sys.stderr)
        return e.code
    except (curated.CurationError, ontology.OntologyError, reason.InconsistencyError, reason.ReasonerError) as e:
        print(f"error: the build with this import failed: {e}\nthe published store is unchanged.", file=sys.stderr)
        return 2
    except OSError as e:  # the machine's, not the input's: a full disk, a folder that cannot be written
        print(f"error: {e.strerror or e}{f': {e.filename}' if e.filename else ''}\nthe published store is unchanged.",
              file=sys.stderr)
        return 1
    for n in res.notes:
        print(f"note: {n}", file=sys.stderr)
    for line in _list(res.warnings, "warnings", "warning: "):
        print(line, file=sys.stderr)
    if res.skipped:
        print(f"skipped {len(res.skipped)} faulty row(s):", file=sys.stderr)
        for line in _list(res.skipped):
            print(f"  {line}", file=sys.stderr)
    version = res.build.manifest["version"] if res.build else "-"
    print(f"imported {res.name}: {res.rows:,} rows, {res.statements:,} statements, {res.quads:,} quads; "
          f"published {version}")
    return 0
