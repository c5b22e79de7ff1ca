"""The `oretrace` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .config import settings as make_settings

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def cmd_check(args, s) -> int:
    from . import curated, ontology

    try:
        cur = curated.read(s, ontology.load(s.ontology_dir))
    except curated.CurationError as e:
        for p in e.problems:
            _err(str(p))
        _err(f"{len(e.problems)} problem{'s' if len(e.problems) != 1 else ''} in the curated files; nothing was built.")
        return EXIT_INPUT
    except ontology.OntologyError as e:
        _err(str(e))
        return EXIT_INPUT
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
    from . import build, curated, ontology, reason

    try:
        r = build.build(s, quiet=args.quiet)
    except curated.CurationError as e:
        for p in e.problems:
            _err(str(p))
        _err(f"{len(e.problems)} problem{'s' if len(e.problems) != 1 else ''} in the curated files; "
             "nothing was written and the previous build is unchanged.")
        return EXIT_INPUT
    except ontology.OntologyError as e:
        _err(f"{e}\nnothing was written and the previous build is unchanged.")
        return EXIT_INPUT
    except reason.InconsistencyError as e:
        _err(f"error: {e}\nfix or remove one of these statements; nothing was written and the previous build is unchanged.")
        return EXIT_INPUT
    except reason.ReasonerError as e:
        _err(f"error: {e}")
        return EXIT_INPUT
    c = r.manifest["counts"]
    print(f"built {r.manifest['version']} in {r.seconds:.1f} s: {c['curated_statements']} curated statements, "
          f"{c['sources']} sources, {c['entities']} entities, {c['triples']} triples ({c['inferred']} inferred)")
    return EXIT_OK


def _result_for(args, s, text):
    from . import query, store

    text = query.with_prefixes(text)
    if args.endpoint:
        return query.run_endpoint(args.endpoint, text)
    return query.run_store(store.open_store(s), text)


def cmd_query(args, s) -> int:
    from . import query, store
    from .vocab import IRIs

    iris = IRIs(s.base)
    try:
        cat = query.catalogue(s.queries_dir)
    except query.QueryError as e:
        _err(str(e))
        return EXIT_INPUT
    if args.list:
        for name, nq in cat.items():
            params = " ".join(f"{p.name}={p.default}" if p.default else p.name for p in nq.params)
            print(f"{name:38} {nq.title}" + (f"  [{params}]" if params else ""))
        return EXIT_OK
    if not args.query:
        _err("give a query: a catalogue name (see --list), a .rq file, or SPARQL text")
        return EXIT_INPUT
    bindings = {}
    for b in args.param or []:
        if "=" not in b:
            _err(f"--param {b!r}: write name=value")
            return EXIT_INPUT
        k, v = b.split("=", 1)
        bindings[k] = v
    q = args.query
    try:
        if q in cat:
            text = query.bind(cat[q], bindings, iris)
        elif q.endswith(".rq") and Path(q).is_file():
            text = query.bind(query.parse_named(Path(q)), bindings, iris) if bindings else Path(q).read_text()
        elif q.endswith(".rq"):
            _err(f"no such query file: {q}")
            return EXIT_INPUT
        elif re.match(r"^[\w-]+$", q):
            _err(f"no catalogue query named {q!r} (see oretrace query --list)")
            return EXIT_INPUT
        else:
            text = q
        res = _result_for(args, s, text)
    except query.QueryError as e:
        _err(f"error: {e}")
        return EXIT_INPUT
    except store.NoBuildError as e:
        _err(f"error: {e}")
        return EXIT_INPUT
    print(query.format_result(res, args.format, iris))
    return EXIT_OK


def cmd_stats(args, s) -> int:
    from . import query, store
    from .vocab import IRIs

    try:
        man = store.manifest(s)
        st = store.open_store(s)
    except store.NoBuildError as e:
        _err(f"error: {e}")
        return EXIT_INPUT
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
    q = sub.add_parser("query", help="run a named query, a .rq file or SPARQL text")
    q.add_argument("query", nargs="?", help="catalogue name, .rq file, or SPARQL text")
    q.add_argument("--list", action="store_true", help="list the query catalogue")
    q.add_argument("-p", "--param", action="append", metavar="NAME=VALUE", help="bind a parameter of a named query")
    q.add_argument("-f", "--format", choices=("table", "csv", "tsv", "json"), default="table")
    q.add_argument("--endpoint", help="run against this SPARQL 1.1 endpoint instead of the built store")
    sub.add_parser("stats", help="summarise the built graph")

    from . import commands  # validation, serving, import and benchmark commands register themselves

    handlers = {"check": cmd_check, "format": cmd_format, "build": cmd_build, "query": cmd_query, "stats": cmd_stats}
    handlers.update(commands.register(sub))
    args = ap.parse_args(argv)
    s = make_settings(args.root, args.base, args.build)
    try:
        return handlers[args.cmd](args, s)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK


import re  # noqa: E402  (used by cmd_query)

if __name__ == "__main__":
    sys.exit(main())
