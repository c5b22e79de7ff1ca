#!/usr/bin/env python3
"""The scale benchmark: the oretrace pipeline against the naive way and against Oxigraph's own load.

    oretrace bench --triples 100000 1000000 --json bench-results.json

For each size N, synthetic trade statistics (oretrace.importers.synthetic, seeded) are imported
and built, and the same data is handled the naive way, each stage in a fresh process so that
its peak memory is its own:

  import    oretrace   the trade importer, CSV -> N-Quads with provenance
  build     oretrace   curated graph (HermiT) + bulk load of the import + SPARQL rules + dumps
  load      oxigraph   `oxigraph load` of the release's dataset.nq: the best possible load
  load      rdflib     rdflib Dataset parse of the same N-Quads
  validate  oretrace   the SPARQL SHACL engine (oretrace.shacl) on the built store
  validate  pyshacl    pySHACL on an rdflib graph of the same quads
  query     oretrace   every catalogue query (queries/*.rq), median of 3 runs, the slowest reported
  query     rdflib     the same queries with rdflib's SPARQL engine

Naive stages run under a time limit (--naive-limit) and an address-space limit (--naive-mem-gb);
a stage that hits one is stopped and reported as such. Ratios (naive or reference / oretrace)
are printed and written with the rows.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _limits(seconds: int | None, mem_gb: float | None):
    def apply():
        if mem_gb:
            b = int(mem_gb * 1024 ** 3)
            resource.setrlimit(resource.RLIMIT_AS, (b, b))
    return apply


def run_stage(stage: str, args: dict, timeout: int | None = None, mem_gb: float | None = None) -> dict:
    cmd = [sys.executable, str(HERE / "stage.py"), stage, json.dumps(args)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=_limits(timeout, mem_gb))
    except subprocess.TimeoutExpired:
        return {"seconds": None, "peak_mb": None, "status": f"stopped at the {timeout} s limit", "limit_seconds": timeout}
    if p.returncode != 0:
        tail = (p.stderr.strip().splitlines() or ["?"])[-1]
        if "MemoryError" in p.stderr or p.returncode == -9:
            return {"seconds": None, "peak_mb": None, "status": f"stopped at the {mem_gb} GB memory limit ({tail[:100]})"}
        return {"seconds": None, "peak_mb": None, "status": f"failed: {tail[:160]}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


def bench_size(n: int, work: Path, a, log) -> list[dict]:
    from oretrace.importers import synthetic

    work.mkdir(parents=True, exist_ok=True)
    csv = work / "trade.csv"
    info = synthetic.generate(csv, n, a.seed, a.fault_rate)
    log(f"N={n:,}: {info['rows']:,} rows generated ({info['faulty']:,} deliberately faulty)")
    base = {"root": str(ROOT), "build_dir": str(work / "build"), "work": str(work), "csv": str(csv)}
    rows: list[dict] = []

    def add(stage, engine, res, **extra):
        row = {"stage": stage, "engine": engine, "triples": n, "seconds": _r(res.get("seconds")),
               "peak_mb": res.get("peak_mb")}
        if res.get("status"):
            row["status"] = res["status"]
        if res.get("limit_seconds"):
            row["limit_seconds"] = res["limit_seconds"]
        row.update(extra)
        rows.append(row)
        log(f"  {stage:9} {engine:9} " + (f"{row['seconds']:9.2f} s" if row["seconds"] is not None else f"{'-':>11}")
            + (f"  {row['peak_mb']:7.0f} MB" if row["peak_mb"] else "") + (f"  {row.get('status', '')}"))
        return res

    imp = add("import", "oretrace", run_stage("import", base), quads=None)
    rows[-1]["quads"] = imp.get("quads")
    b = add("build", "oretrace", run_stage("build", base))
    rows[-1].update({"quads": b.get("quads"), "timings": b.get("timings"), "dumps_left_out": b.get("dumps_left_out")})
    release = b.get("release")
    if not release:
        return rows
    nq = str(Path(release) / "dataset.nq")
    args = dict(base, release=release, nq=nq, findings=str(work / "findings-oretrace.json"))
    add("load", "oxigraph", run_stage("oxigraph_load", args))
    naive = n <= a.naive_max_triples
    lim = dict(timeout=a.naive_limit, mem_gb=a.naive_mem_gb)
    skipped = {"seconds": None, "peak_mb": None, "status": f"not run: above --naive-max-triples {a.naive_max_triples:,}"}
    rl = add("load", "rdflib", run_stage("rdflib_load", args, **lim) if naive else skipped)
    if naive and rl.get("seconds") is None:  # pySHACL and rdflib's SPARQL need that same in-memory graph
        naive = False
        skipped = {"seconds": None, "peak_mb": None,
                   "status": f"not run: rdflib could not load the graph ({rl.get('status', 'failed')})"}
    v = add("validate", "oretrace", run_stage("validate_oretrace", args))
    rows[-1]["findings"] = v.get("findings")
    pargs = dict(args, findings=str(work / "findings-pyshacl.json"))
    pv = add("validate", "pyshacl", run_stage("validate_pyshacl", pargs, **lim) if naive else skipped)
    rows[-1]["findings"] = pv.get("findings")
    if v.get("seconds") is not None and pv.get("seconds") is not None:
        mine = set(map(tuple, json.loads(Path(args["findings"]).read_text())))
        theirs = set(map(tuple, json.loads(Path(pargs["findings"]).read_text())))
        rows[-1]["same_findings"] = mine == theirs
        rows[-1]["findings_only_oretrace"] = len(mine - theirs)
        rows[-1]["findings_only_pyshacl"] = len(theirs - mine)
    q = add("query", "oretrace", run_stage("query_oretrace", args))
    rows[-1]["queries"] = q.get("queries")
    rq = add("query", "rdflib", run_stage("query_rdflib", dict(args, query_limit=a.query_limit), **lim) if naive else skipped)
    rows[-1]["queries"] = rq.get("queries")
    return rows


def _r(x):
    return None if x is None else round(x, 3)


def ratios(rows: list[dict]) -> list[str]:
    """Lines like 'N=1,000,000 build / oxigraph load = 1.3x'."""
    out = []
    for n in sorted({r["triples"] for r in rows}):
        get = {(r["stage"], r["engine"]): r["seconds"] for r in rows if r["triples"] == n}
        floor = {(r["stage"], r["engine"]): r["limit_seconds"] for r in rows if r["triples"] == n and r.get("limit_seconds")}
        pairs = [("build", "oretrace", "load", "oxigraph", "build / Oxigraph bulk load"),
                 ("load", "rdflib", "build", "oretrace", "rdflib parse / oretrace build"),
                 ("validate", "pyshacl", "validate", "oretrace", "pySHACL / oretrace validation"),
                 ("query", "rdflib", "query", "oretrace", "rdflib slowest query / oretrace slowest query")]
        for s1, e1, s2, e2, text in pairs:
            x, y = get.get((s1, e1)), get.get((s2, e2))
            if x is not None and y:
                out.append(f"N={n:,}: {text} = {x / y:.1f}x")
            elif (s1, e1) in floor and y:  # the naive stage was stopped: its time is at least the limit
                out.append(f"N={n:,}: {text} > {floor[(s1, e1)] / y:.0f}x (stopped at {floor[(s1, e1)]} s)")
    return out


def table(rows: list[dict]) -> str:
    lines = [f"{'stage':9} {'engine':9} {'triples':>11} {'seconds':>9} {'peak MB':>8}  note",
             "-" * 72]
    for r in rows:
        note = r.get("status", "")
        if r["stage"] == "validate" and r.get("findings") is not None:
            note = f"{r['findings']} findings" + (f", same as oretrace: {r['same_findings']}" if "same_findings" in r else "") + (f"; {note}" if note else "")
        if r["stage"] == "query" and r.get("queries"):
            qs = r["queries"]
            done = [v["median"] for v in qs.values() if v.get("median") is not None]
            note = (f"{len(qs)} queries, slowest median shown; {sum(1 for d in done if d < 1)} under 1 s"
                    + (f", {len(qs) - len(done)} stopped/failed" if len(done) < len(qs) else "") + (f"; {note}" if note else ""))
        if r["stage"] == "build" and r.get("quads"):
            note = f"{r['quads']:,} quads built" + (f"; {note}" if note else "")
        if r["stage"] == "import" and r.get("quads"):
            note = f"{r['quads']:,} quads written" + (f"; {note}" if note else "")
        sec = f"{r['seconds']:9.2f}" if r["seconds"] is not None else f"{'-':>9}"
        mb = f"{r['peak_mb']:8.0f}" if r.get("peak_mb") else f"{'-':>8}"
        lines.append(f"{r['stage']:9} {r['engine']:9} {r['triples']:>11,} {sec} {mb}  {note}"[:160])
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="oretrace bench", description=__doc__.splitlines()[0])
    add_arguments(ap)
    return run(ap.parse_args(argv))


def add_arguments(ap) -> None:
    ap.add_argument("--triples", type=int, nargs="+", default=[100_000], help="sizes to run (default 100000)")
    ap.add_argument("--json", type=Path, help="write the rows to this JSON file")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fault-rate", type=float, default=0.03)
    ap.add_argument("--naive-limit", type=int, default=1800, help="seconds before a naive stage is stopped (default 1800)")
    ap.add_argument("--naive-mem-gb", type=float, default=16.0, help="address-space limit of a naive stage (default 16)")
    ap.add_argument("--naive-max-triples", type=int, default=10_000_000, help="sizes above this skip the naive stages")
    ap.add_argument("--query-limit", type=int, default=60, help="seconds per rdflib query before it is stopped")
    ap.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary folder, removed)")


def run(a) -> int:
    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="oretrace-bench-") as tmp:
        work = a.keep or Path(tmp)
        for n in a.triples:
            rows += bench_size(n, work / f"n{n}", a, log)
            if a.json:  # written after each size, so a long run leaves what it has
                a.json.write_text(json.dumps(rows, indent=1))
    print(table(rows))
    for line in ratios(rows):
        print(line)
    return 0 if all(r.get("status", "").startswith(("stopped", "not run")) or r["seconds"] is not None for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
