"""`oretrace bench`: the scale benchmark (code in bench/harness.py of the project folder; with --stores,
Oxigraph beside Virtuoso, in bench/stores.py)."""

from __future__ import annotations

import importlib.util
import sys


def _harness(settings, name: str = "harness"):
    path = settings.root / "bench" / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run oretrace bench from a project checkout")
    spec = importlib.util.spec_from_file_location(f"oretrace_bench_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def register(sub) -> dict:
    p = sub.add_parser("bench", help="time import, build, validation and queries against Oxigraph, rdflib and pySHACL")
    p.set_defaults(_bench_parser=p)
    p.add_argument("--triples", type=int, nargs="+", default=[100_000], help="sizes to run (default 100000)")
    p.add_argument("--json", help="write the rows (stage, engine, triples, seconds, peak_mb) to this file")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--fault-rate", type=float, default=0.03)
    p.add_argument("--naive-limit", type=int, default=1800, help="seconds before a naive stage is stopped")
    p.add_argument("--naive-mem-gb", type=float, default=16.0, help="address-space limit of a naive stage (GB)")
    p.add_argument("--naive-max-triples", type=int, default=10_000_000, help="sizes above this skip the naive stages")
    p.add_argument("--query-limit", type=int, default=60, help="seconds per rdflib query before it is stopped")
    p.add_argument("--keep", help="keep the work folder here")
    p.add_argument("--stores", action="store_true",
                   help="the store axis instead (bench/stores.py): bulk load and every catalogue query in Oxigraph and in Virtuoso")
    p.add_argument("--virtuoso-buffers", type=int, help="with --stores: Virtuoso's NumberOfBuffers (default one per 20 triples)")
    return {"bench": cmd_bench}


def cmd_bench(args, settings) -> int:
    from pathlib import Path

    try:
        h = _harness(settings, "stores" if args.stores else "harness")
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    args.json = Path(args.json) if args.json else None
    args.keep = Path(args.keep) if args.keep else None
    return h.run(args)
