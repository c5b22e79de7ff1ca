#!/usr/bin/env python3
"""Benchmark `oretrace build` on the curated graph: wall time and peak memory, over several runs.

    python3 bench/bench_build.py [--runs 5]
    python3 bench/bench_build.py --runs 10 --against ../old-checkout    # alternate with an earlier commit

Each run is a fresh process building into a temporary folder (reasoning included, JVM start-up
included). Peak memory is the largest resident set of the build process and its children (the
HermiT JVM). Target (issue 2): under 5 s wall on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(build_dir: str, root: Path = ROOT) -> tuple[float, float, float]:
    """One build of the checkout at `root` (its own src/ on the path) into `build_dir`."""
    env = dict(os.environ, ORETRACE_BUILD=build_dir,
               PYTHONPATH=os.pathsep.join([str(root / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    code = ("import resource,sys,time;from oretrace.build import build;from oretrace.config import Settings;"
            "t=time.perf_counter();build(Settings(root=sys.argv[1]),quiet=True);w=time.perf_counter()-t;"
            "print(w, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024)")
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, str(root)], env=env, capture_output=True, text=True, check=True)
    total = time.perf_counter() - t
    inner, py_mb, jvm_mb = (float(x) for x in out.stdout.split())
    return total, inner, max(py_mb, jvm_mb)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--against", metavar="DIR", type=Path,
                    help="another checkout (a git worktree of an earlier commit): its builds alternate with this one's, "
                         "run for run, so that both see the same machine")
    args = ap.parse_args()
    if args.against:
        return against(args.against.resolve(), args.runs)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            total, inner, peak = one_run(os.path.join(tmp, f"b{i}"))
            rows.append({"wall_s": round(total, 3), "build_s": round(inner, 3), "peak_mb": round(peak, 1)})
            print(f"run {i + 1}/{args.runs}: process {total:.2f} s, build() {inner:.2f} s, peak {peak:.0f} MB", file=sys.stderr)
        man = json.loads(Path(tmp, "b0", "current", "manifest.json").read_text())
    walls = [r["wall_s"] for r in rows]
    summary = {"runs": rows, "median_wall_s": statistics.median(walls), "max_wall_s": max(walls),
               "median_build_s": statistics.median(r["build_s"] for r in rows),
               "peak_mb": max(r["peak_mb"] for r in rows), "counts": man["counts"]}
    c = man["counts"]
    print(f"build of the curated graph ({c['curated_statements']} statements, {c['triples']} triples): "
          f"median {summary['median_wall_s']:.2f} s wall (process incl. Python start), "
          f"build() {summary['median_build_s']:.2f} s, max {summary['max_wall_s']:.2f} s, peak {summary['peak_mb']:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


def against(other: Path, runs: int) -> int:
    """This checkout and `other`, built alternately (A B A B ...): medians of both."""
    if not (other / "src" / "oretrace" / "build.py").is_file():
        print(f"error: {other} is not an oretrace checkout (no src/oretrace/build.py)", file=sys.stderr)
        return 2
    trees = {"this": ROOT, "other": other}
    times: dict[str, list[tuple[float, float, float]]] = {k: [] for k in trees}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            for k, root in trees.items():
                times[k].append(one_run(os.path.join(tmp, f"{k}{i}"), root))
            print(f"run {i + 1}/{runs}: " + ", ".join(f"{k} build() {times[k][-1][1]:.2f} s" for k in trees), file=sys.stderr)
    for k, root in trees.items():
        rows = times[k]
        print(f"{k} ({root}): median {statistics.median(r[0] for r in rows):.2f} s wall, build() median "
              f"{statistics.median(r[1] for r in rows):.2f} s (min {min(r[1] for r in rows):.2f}, max "
              f"{max(r[1] for r in rows):.2f}), peak {max(r[2] for r in rows):.0f} MB, {runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
