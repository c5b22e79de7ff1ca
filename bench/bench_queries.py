"""Latency of every catalogue query on the embedded store and through `oretrace serve`, a bounded load
test of the endpoint, and the W3C SPARQL 1.1 Protocol test pass count.

    python bench/bench_queries.py [--runs 30] [--concurrent 200] [--json out.json]

Reads the current build (run `oretrace build` first; ORETRACE_BUILD selects another build folder).
Target: every catalogue query under 100 ms at the median on the curated graph.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from oretrace import query, serve, store
from oretrace.config import settings as make_settings
from oretrace.vocab import IRIs

ROOT = Path(__file__).resolve().parents[1]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def http_query(port: int, text: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/sparql", body=text.encode(), headers={
            "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def timed(fn, runs: int) -> list[float]:
    fn()
    fn()  # warm caches
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def protocol_pass_count() -> str:
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_w3c_protocol.py")],
                       capture_output=True, text=True, cwd=ROOT)
    m = re.search(r"(\d+ passed[^\n]*)", p.stdout)
    return m.group(1) if m else p.stdout.strip().splitlines()[-1:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--concurrent", type=int, default=200)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--no-protocol", action="store_true", help="skip the W3C protocol tests")
    args = ap.parse_args()

    s = make_settings(ROOT)
    iris = IRIs(s.base)
    try:
        st = store.open_store(s)
        man = store.manifest(s)
    except store.NoBuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    cat = query.catalogue(s.queries_dir)
    results = {"build": man["version"], "triples": man["counts"]["triples"], "runs": args.runs, "queries": {}}
    print(f"build {man['version']}: {man['counts']['triples']} triples; {len(cat)} catalogue queries, {args.runs} runs each")
    print(f"{'query':34} {'rows':>5} {'embedded p50':>13} {'p95':>7} {'server p50':>11} {'p95':>7}  (ms)")
    with serve.for_settings(s) as srv:
        for name, nq in cat.items():
            text = query.bind(nq, {}, iris)
            rows = len(query.run_store(st, text).rows)
            emb = timed(lambda: query.run_store(st, text).rows, args.runs)

            def over_http():
                status, body = http_query(srv.port, text)
                assert status == 200, (name, status, body[:200])
            via = timed(over_http, args.runs)
            r = {"rows": rows, "embedded_p50": statistics.median(emb), "embedded_p95": pct(emb, 95),
                 "server_p50": statistics.median(via), "server_p95": pct(via, 95)}
            results["queries"][name] = r
            flag = "  over 100 ms" if max(r["embedded_p50"], r["server_p50"]) > 100 else ""
            print(f"{name:34} {rows:>5} {r['embedded_p50']:>13.1f} {r['embedded_p95']:>7.1f} "
                  f"{r['server_p50']:>11.1f} {r['server_p95']:>7.1f}{flag}")

        # bounded load test: N requests at once, cycling through the catalogue
        texts = [query.bind(nq, {}, iris) for nq in cat.values()]

        def one(i):
            t = time.perf_counter()
            try:
                status, _ = http_query(srv.port, texts[i % len(texts)])
            except OSError:
                status = 0
            return status, (time.perf_counter() - t) * 1000

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrent) as pool:
            done = list(pool.map(one, range(args.concurrent)))
        wall = time.perf_counter() - t0
        lat = [ms for _, ms in done]
        ok = sum(1 for status, _ in done if status == 200)
        load = {"requests": args.concurrent, "ok": ok, "failed": args.concurrent - ok, "wall_s": wall,
                "p50": statistics.median(lat), "p95": pct(lat, 95), "p99": pct(lat, 99), "max": max(lat)}
        results["load"] = load
    print(f"\nload test: {load['requests']} concurrent requests, {load['ok']} ok, {load['failed']} failed, "
          f"{load['wall_s']:.2f} s wall; latency p50 {load['p50']:.0f} ms, p95 {load['p95']:.0f} ms, "
          f"p99 {load['p99']:.0f} ms, max {load['max']:.0f} ms")
    slow = [n for n, r in results["queries"].items() if max(r["embedded_p50"], r["server_p50"]) > 100]
    print(f"queries over 100 ms at the median: {', '.join(slow) if slow else 'none'}")
    if not args.no_protocol:
        results["w3c_protocol"] = protocol_pass_count()
        print(f"W3C SPARQL 1.1 protocol tests: {results['w3c_protocol']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0 if load["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
