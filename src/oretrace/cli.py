"""The `oretrace` command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .config import settings as make_settings
from .errors import EXIT_BUG, EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, InputError  # noqa: F401  (codes read by commands)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def cmd_check(args, s) -> int:
    from . import curated, ontology

    try:
        cur = curated.read(s, ontology.load(s.ontology_dir))
    except InputError as e:
        e.then = "nothing was built."
        raise
    print(f"ok: {len(cur.statements)} statements, {len(cur.sources)} sources, {len(cur.entities)} entities")
    return EXIT_OK


def cmd_format(args, s) -> int:
    from .curated.artefacts import write_artefacts

    stale = write_artefacts(s, write=args.write)
    for p in stale:
        print(("wrote " if args.write else "stale: ") + str(p.relative_to(s.root) if p.is_relative_to(s.root) else p))
    if stale and not args.write:
        _err("the artefacts of the curated format are stale: run `oretrace format --write`")
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_build(args, s) -> int:
    from . import build

    try:
        r = build.build(s, quiet=args.quiet, reconcile=args.reconcile)
    except InputError as e:
        e.then = "nothing was written and the previous build is unchanged."
        raise
    c = r.manifest["counts"]
    print(f"built {r.manifest['version']} in {r.seconds:.1f} s: {c['curated_statements']} curated statements, "
          f"{c['sources']} sources, {c['entities']} entities, {c['triples']} triples ({c['inferred']} inferred)")
    return EXIT_OK


def _one_line(msg: str) -> str:
    return " ".join(str(msg).split())


def _query_text(args, s, cat, iris) -> str:
    """The SPARQL text to run: a catalogue query or a .rq file with its parameters bound, or the text given."""
    from . import query

    bindings = {}
    for b in args.param or []:
        if "=" not in b:
            raise query.QueryError(f"--param {b!r}: write name=value")
        k, v = b.split("=", 1)
        bindings[k] = v
    q = args.query
    if q in cat:
        return query.bind(cat[q], bindings, iris)
    if q.endswith(".rq"):
        path = Path(q)
        if not path.is_file():
            raise query.QueryError(f"no such query file: {q}")
        try:
            return query.bind(query.parse_named(path), bindings, iris) if bindings else path.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise query.QueryError(f"{q}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    if all(c.isalnum() or c in "-_" for c in q):
        raise query.QueryError(f"no catalogue query named {q!r} (see oretrace query --list)")
    if bindings:
        raise query.QueryError("--param binds the parameters of a catalogue query or .rq file, not of SPARQL text")
    return q


def cmd_query(args, s) -> int:
    from . import backend, query
    from .vocab import IRIs

    iris = IRIs(s.base)
    try:
        cat = query.catalogue(s.queries_dir)
    except (OSError, UnicodeDecodeError) as e:
        raise query.QueryError(_one_line(e)) from None
    if args.list:
        for name, nq in cat.items():
            params = " ".join(f"{p.name}={p.default}" if p.default else p.name for p in nq.params)
            print(f"{name:38} {nq.title}" + (f"  [{params}]" if params else ""))
        return EXIT_OK
    if not args.query:
        _err("error: give a query: a catalogue name (see --list), a .rq file, or SPARQL text")
        return EXIT_INPUT
    try:
        text = query.with_prefixes(_query_text(args, s, cat, iris))
        res = backend.for_settings(s, args.endpoint).run(text, timeout=args.timeout)
    except OSError as e:
        raise query.QueryError(_one_line(e)) from None
    print(query.format_result(res, args.format, iris))
    return EXIT_OK


def cmd_stats(args, s) -> int:
    from . import query, store
    from .vocab import IRIs

    man = store.manifest(s)
    st = store.open_store(s)
    c = man["counts"]
    print(f"oretrace {man['version']}  base {man['base']}")
    for k in ("curated_statements", "sources", "entities", "triples", "quads", "graphs", "inferred"):
        print(f"  {k.replace('_', ' '):20} {c[k]:>8}")
    res = query.run_store(st, query.with_prefixes(
        "SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE { VALUES ?class { ot:Actor ot:Site ot:Place ot:Material ot:Process "
        "ot:Flow ot:Observation ot:RiskObservation ot:LegalInstrument ot:Source } ?x a ?class } GROUP BY ?class ORDER BY DESC(?n)"))
    print("  entities by kind:")
    for cls, n in res.rows:
        print(f"    {query.value_text(cls, iris=IRIs(s.base)):24} {n.value:>6}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="oretrace", description="An open knowledge graph of critical-mineral supply chains.")
    ap.add_argument("--version", action="version", version=f"oretrace {__version__}")
    ap.add_argument("--root", type=Path, help="project folder (default: found from the current directory)")
    ap.add_argument("--base", help="IRI base of the data (default https://w3id.org/oretrace or $ORETRACE_BASE)")
    ap.add_argument("--build", type=Path, metavar="DIR",
                    help="build folder (default $ORETRACE_BUILD, else build/ in the project folder)")
    sub = ap.add_subparsers(dest="cmd", required=True)

    sub.add_parser("check", help="check the curated files without building")
    fm = sub.add_parser("format", help="check (or --write) the JSON Schemas and README tables made from the curated format")
    fm.add_argument("--write", action="store_true", help="rewrite data/schema/*.json and data/README.md's field tables")
    b = sub.add_parser("build", help="curated files -> RDF -> reasoning -> store and dumps")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    b.add_argument("--reconcile", action="store_true",
                   help="add the reconciled balances ({base}/graph/reconciled) to the build")
    q = sub.add_parser("query", help="run a named query, a .rq file or SPARQL text")
    q.add_argument("query", nargs="?", help="catalogue name, .rq file, or SPARQL text")
    q.add_argument("--list", action="store_true", help="list the query catalogue")
    q.add_argument("-p", "--param", action="append", metavar="NAME=VALUE", help="bind a parameter of a named query")
    q.add_argument("-f", "--format", choices=("table", "csv", "tsv", "json"), default="table")
    q.add_argument("--endpoint", help="run against this SPARQL 1.1 endpoint instead of the built store")
    q.add_argument("--timeout", type=float, help="stop the query after this many seconds (default: no limit on the "
                                                 "built store, 30 s on an endpoint)")
    sub.add_parser("stats", help="summarise the built graph")

    from . import commands  # validation, serving, import and benchmark commands register themselves

    handlers = {"check": cmd_check, "format": cmd_format, "build": cmd_build, "query": cmd_query, "stats": cmd_stats}
    handlers.update(commands.register(sub))
    args = ap.parse_args(argv)
    s = make_settings(args.root, args.base, args.build)
    return run(handlers[args.cmd], args, s)


def run(handler, args, s) -> int:
    """Run a command; the one place where errors become exit codes: an InputError is printed as
    it is (exit 2), anything else is a bug named in one line (exit 70; ORETRACE_DEBUG=1 shows
    the traceback)."""
    try:
        return handler(args, s)
    except InputError as e:
        for line in e.lines():
            _err(line)
        return e.exit_code
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:
        if os.environ.get("ORETRACE_DEBUG"):
            raise
        _err(f"error: a bug in oretrace {__version__}: {type(e).__name__}: {_one_line(e)} "
             "(ORETRACE_DEBUG=1 shows where; please report it)")
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
