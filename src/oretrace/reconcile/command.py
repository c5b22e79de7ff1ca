"""`oretrace reconcile`: reconciled material balances, element content and royalty ranges, and mirror
statistics over the current build (or any SPARQL endpoint).

Exit codes: 0 no finding, 1 findings, 2 unusable input (no build, a bad assumptions file or option).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import pyoxigraph as ox

from ..vocab import OT, IRIs
from .assumptions import AssumptionError, load
from .parts import PARTS

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _target(args, iris: IRIs) -> str | None:
    if args.element and args.material:
        raise ValueError("give --element or --material, not both")
    if args.element:
        e = args.element
        if e.startswith("http"):
            return e
        return OT + (e.split(":", 1)[1] if e.startswith("ot:") else e[:1].upper() + e[1:])
    if args.material:
        m = args.material
        if m.startswith("http"):
            return m
        if not m.startswith("material/"):
            raise ValueError(f"--material {m!r}: write material/slug")
        return iris.ref(m)
    return None


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cmd_reconcile(args, settings) -> int:
    from .run import as_json, quads, read, reconcile, text  # numpy and scipy: only when the command runs

    from .. import query, store

    iris = IRIs(settings.base)
    try:
        a = load(args.assumptions, args.set)
    except AssumptionError as e:
        _err(f"error: {e}")
        return EXIT_INPUT
    try:
        target = _target(args, iris)
    except ValueError as e:
        _err(f"error: {e}")
        return EXIT_INPUT
    parts = tuple(p.strip() for p in (args.only or ",".join(PARTS)).split(",") if p.strip())
    bad = [p for p in parts if p not in PARTS]
    if bad:
        _err(f"error: --only {', '.join(bad)}: choose from {', '.join(PARTS)}")
        return EXIT_INPUT
    try:
        if args.endpoint:
            run = lambda t: query.run_endpoint(args.endpoint, query.with_prefixes(t))
        else:
            st = store.open_store(settings)
            run = lambda t: query.run_store(st, query.with_prefixes(t))
        print("reading the figures ...", file=sys.stderr)
        data = read(run, settings)
    except (store.NoBuildError, query.QueryError) as e:
        _err(f"error: {e}")
        return EXIT_INPUT
    print(f"reconciling {len(data.figures)} figures, {len(data.flows)} flows ...", file=sys.stderr)
    report = reconcile(data, a, target, args.year, parts)
    if not (report.networks or report.estimates or report.pairs):
        what = " ".join(x for x in (args.element or args.material or "", str(args.year or "")) if x)
        _err(f"nothing to reconcile{' for ' + what if what else ''}: no figures in the pattern of docs/modelling.md "
             "(an observation with ot:measures, ot:subject, a value and a unit) make a balance, a content estimate "
             "or a mirror pair")
    if args.output:
        nq = ox.serialize(quads(report, iris), format=ox.RdfFormat.N_QUADS)
        _write_atomic(Path(args.output), nq)
        print(f"wrote {args.output} (graph {iris.graph('reconciled')})", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(as_json(report), indent=1, sort_keys=True))
    elif args.format == "nquads":
        sys.stdout.write(ox.serialize(quads(report, iris), format=ox.RdfFormat.N_QUADS).decode())
    else:
        print(text(report))
    return EXIT_FINDINGS if report.finding_count else EXIT_OK


def register(sub) -> dict:
    p = sub.add_parser("reconcile", help="reconciled material balances, element content and royalty ranges, mirror statistics")
    p.add_argument("--element", help="only this element's balances and content (e.g. Indium or ot:Indium)")
    p.add_argument("--material", help="only this material's balance (material/slug)")
    p.add_argument("--year", type=int, help="only this year")
    p.add_argument("--only", help=f"parts to run, comma-separated (default all: {','.join(PARTS)})")
    p.add_argument("--assumptions", help="an assumptions file replacing the defaults key by key "
                                         "(copy src/oretrace/reconcile/assumptions.yaml)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="change one assumption, e.g. --set uncertainty.stated=3 (repeatable)")
    p.add_argument("-f", "--format", choices=("text", "json", "nquads"), default="text")
    p.add_argument("-o", "--output", help="also write the results as N-Quads (graph {base}/graph/reconciled) to this file")
    p.add_argument("--endpoint", help="read the figures from this SPARQL 1.1 endpoint instead of the current build")
    return {"reconcile": cmd_reconcile}
