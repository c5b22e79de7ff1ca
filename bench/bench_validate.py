"""Benchmark: SHACL validation of the curated graph (reasoning excluded), per engine.

    python bench/bench_validate.py [--engine sparql|pyshacl|both] [--repeat 3]

Reads the current build (`oretrace build` first; ORETRACE_BUILD is honoured). Each engine runs in
its own process so that its peak memory (max RSS) is its own. Prints one line per engine: triples,
findings, best wall time of the repeats for the validation alone and for all of `oretrace validate`
but the printing (store copy, validation, lookup of labels and curated statements), and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def measure(engine: str, repeat: int) -> dict:
    from oretrace import store, validate
    from oretrace.config import settings
    from oretrace.vocab import IRIs

    s = settings()
    iris = IRIs(s.base)
    st = validate.data_store(store.open_store(s), iris)
    shapes = validate.load_shapes(s.shapes_dir)
    triples = len({(q.subject, q.predicate, q.object) for q in st})
    times, n = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        report = validate.shacl.validate(st, shapes, engine=engine)
        times.append(time.perf_counter() - t0)
        n = len(report.results)
    # the whole of `oretrace validate` but the output: copy without the stored report, validate,
    # and look up labels and curated statements
    full = []
    raw = store.open_store(s)
    for _ in range(repeat):
        t0 = time.perf_counter()
        validate.run(s, raw, iris, engine=engine, shapes=shapes)
        full.append(time.perf_counter() - t0)
    return {"engine": engine, "triples": triples, "findings": n, "best_s": min(times), "full_s": min(full),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", choices=("sparql", "pyshacl", "both"), default="both")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(measure(a.engine, a.repeat)))
        return 0
    for eng in (("sparql", "pyshacl") if a.engine == "both" else (a.engine,)):
        out = subprocess.run([sys.executable, __file__, "--child", "--engine", eng, "--repeat", str(a.repeat)],
                             capture_output=True, text=True)
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return 2
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['engine']:8} {r['triples']:>7} triples {r['findings']:>4} findings  validation {r['best_s']:7.3f} s  "
              f"with report {r['full_s']:7.3f} s (best of {a.repeat})  peak RSS {r['peak_rss_mb']:4.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
