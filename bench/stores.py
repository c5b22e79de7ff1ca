#!/usr/bin/env python3
"""The store axis of the benchmark: the same build in Oxigraph and in OpenLink Virtuoso, side by side.

    python bench/stores.py --triples 1000000 10000000 --json bench/results/stores.json
    oretrace bench --stores --triples 1000000          (the same, through the command line)

For each size N, synthetic trade statistics (seeded, as in bench/harness.py) are imported and
built by oretrace (bench/stage.py, fresh processes); the release's dataset.nq and void.ttl are
then loaded, one store after the other:

  load   oxigraph  `oxigraph load` of dataset.nq (and void.ttl into its graph) into a new folder:
                   wall time, peak resident memory of the loader (getrusage of the child), disk size
  load   virtuoso  a throwaway Virtuoso (tests/virtuoso_server.py) and its bulk loader
                   (oretrace.virtuoso.bulk_load: ld_dir + rdf_loader_run + checkpoint): wall time,
                   the server's peak resident set (VmHWM) at the end of the load, database size
  query  each      every catalogue query (queries/*.rq, default parameters, as the catalogue tests
                   run them) through backend.EndpointBackend against `oxigraph serve-read-only
                   --union-default-graph` and against Virtuoso's /sparql, up to three runs each
                   (fewer once a query has taken 30 s): the median, the row count, and the server's
                   peak resident set over the query phase

A query is stopped at --query-limit seconds (the client's limit; each server has its own limit a
little above it, and after a stopped query the bench waits until the server is idle again, so
that a runaway query does not slow the next one). For every query the two answers are compared:
row counts, and the rows term by term (tests/sparql_compare.py, the catalogue tests' comparison).

Figures are wall-clock on whatever machine runs this; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests")]

import harness  # noqa: E402  (bench/harness.py: run_stage)

REPEAT = 3
REPEAT_BUDGET_S = 30.0  # no further runs of a query once its runs so far took this long


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ processes
def _status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_rss_mb(pid: int) -> float | None:
    kb = _status_kb(pid, "VmHWM")
    return None if kb is None else round(kb / 1024, 1)


def reset_peak(pid: int) -> bool:
    """Set the process's peak resident set (VmHWM) back to its current resident set (Linux >= 4.0)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def wait_idle(pid: int, max_s: float = 180.0) -> float:
    """Wait until the process uses (almost) no CPU for two seconds; the seconds waited."""
    t0 = time.monotonic()
    quiet = 0
    last = cpu_seconds(pid)
    while last is not None and time.monotonic() - t0 < max_s and quiet < 2:
        time.sleep(1.0)
        now = cpu_seconds(pid)
        if now is None:
            break
        quiet = quiet + 1 if now - last < 0.05 else 0
        last = now
    return round(time.monotonic() - t0, 1)


def folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2 ** 20, 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ the data
def prepare(n: int, work: Path, seed: int, fault_rate: float) -> dict:
    """Synthetic data at N triples, imported and built by oretrace; the release's paths and counts."""
    from oretrace.importers import synthetic

    work.mkdir(parents=True, exist_ok=True)
    build_dir = work / "build"
    current = build_dir / "current"
    base = {"root": str(ROOT), "build_dir": str(build_dir), "work": str(work), "csv": str(work / "trade.csv")}
    if not (current / "manifest.json").is_file():  # a kept work folder (--keep) is reused
        info = synthetic.generate(work / "trade.csv", n, seed, fault_rate)
        log(f"N={n:,}: {info['rows']:,} rows generated")
        for stage in ("import", "build"):
            res = harness.run_stage(stage, base)
            if res.get("seconds") is None:
                raise RuntimeError(f"the {stage} stage at N={n:,} failed: {res.get('status')}")
            log(f"  {stage} {res['seconds']:.1f} s, peak {res['peak_mb']:.0f} MB")
    release = current.resolve()
    man = json.loads((release / "manifest.json").read_text())
    from oretrace.config import Settings
    from oretrace.vocab import IRIs

    os.environ["ORETRACE_BUILD"] = str(build_dir)
    iris = IRIs(Settings(root=ROOT).base)
    return {"release": release, "nq": release / "dataset.nq", "void": release / "void.ttl",
            "quads": man["counts"]["quads"], "iris": iris, "void_graph": iris.graph("void"),
            "unnamed_graph": iris.graph("unnamed")}


def catalogue(iris) -> list[tuple[str, str]]:
    """Every catalogue query with its default parameters, as the catalogue tests run them."""
    from oretrace import query

    return [(name, query.with_prefixes(query.bind(nq, {}, iris)))
            for name, nq in sorted(query.catalogue(ROOT / "queries").items())]


# ------------------------------------------------------------------ the queries
def run_queries(url: str, pid: int, queries: list[tuple[str, str]], limit: int, label: str) -> dict:
    """name -> {median, runs, rows} or {median: None, stopped|error}; the results of the last run in `answers`."""
    from oretrace.backend import EndpointBackend, QueryTimeout
    from oretrace.sparqltext import QueryError

    be = EndpointBackend(url, timeout=limit, max_bytes=1 << 30, label=label)
    per, answers = {}, {}
    for name, text in queries:
        times, res, entry = [], None, {}
        for _ in range(REPEAT):
            t = time.perf_counter()
            try:
                res = be.run(text)
            except QueryTimeout:
                entry = {"median": None, "stopped": f"stopped at the {limit} s limit",
                         "waited_idle_s": wait_idle(pid)}
                res = None
                break
            except QueryError as e:
                entry = {"median": None, "error": f"{type(e).__name__}: {str(e)[:300]}"}
                res = None
                break
            times.append(time.perf_counter() - t)
            if sum(times) >= REPEAT_BUDGET_S:
                break
        if res is not None:
            n = 1 if res.boolean is not None else len(res.triples) if res.triples is not None else len(res.rows)
            entry = {"median": round(statistics.median(times), 4), "runs": len(times), "rows": n}
            answers[name] = res
        per[name] = entry
        shown = f"{entry['median']:8.3f} s  {entry['rows']:>9,} rows" if entry.get("median") is not None \
            else (entry.get("stopped") or entry.get("error", ""))[:90]
        log(f"    {label:8} {name:32} {shown}")
    return {"queries": per, "answers": answers}


def _wait_http(url: str, proc: subprocess.Popen, wait_s: float = 300) -> None:
    """Until the SPARQL endpoint answers (tests/browser.py's wait, on an ASK)."""
    from browser import wait_for

    wait_for(url + "?" + urllib.parse.urlencode({"query": "ASK {}"}), proc, "the SPARQL server", wait_s)


# ------------------------------------------------------------------ Oxigraph
def bench_oxigraph(data: dict, folder: Path, queries, limit: int) -> tuple[dict, dict, dict]:
    loc = folder / "oxigraph"
    t0 = time.perf_counter()
    peak = 0.0
    for args in (["--file", str(data["nq"])], ["--file", str(data["void"]), "--graph", data["void_graph"]]):
        p = subprocess.Popen(["oxigraph", "load", "--location", str(loc), *args],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            raise RuntimeError(f"oxigraph load failed: {err.decode(errors='replace')[-500:]}")
        peak = max(peak, usage.ru_maxrss / 1024)
    load = {"seconds": round(time.perf_counter() - t0, 2), "peak_mb": round(peak, 1), "disk_mb": folder_mb(loc)}
    log(f"  load  oxigraph {load['seconds']:8.1f} s  peak {load['peak_mb']:7.0f} MB  disk {load['disk_mb']:7.0f} MB")
    port = _free_port()
    srv_log = open(folder / "oxigraph-serve.log", "wb")
    proc = subprocess.Popen(["oxigraph", "serve-read-only", "--location", str(loc), "--bind", f"127.0.0.1:{port}",
                             "--union-default-graph", "--timeout-s", str(limit + 30)],
                            stdout=srv_log, stderr=subprocess.STDOUT, start_new_session=True)
    srv_log.close()
    url = f"http://127.0.0.1:{port}/query"
    try:
        _wait_http(url, proc)
        q = run_queries(url, proc.pid, queries, limit, "oxigraph")
        q["server_peak_mb"] = peak_rss_mb(proc.pid)
    finally:
        from browser import stop  # (tests/browser.py: terminate, then kill if it lingers)

        stop(proc)
    settings = {"command": f"oxigraph serve-read-only --union-default-graph --timeout-s {limit + 30}"}
    return load, q, settings


# ------------------------------------------------------------------ Virtuoso
def virtuoso_settings(n: int, buffers: int | None) -> dict:
    """NumberOfBuffers (8 KB pages) at one page per 20 triples, between 20,000 and 1,360,000 (the 16 GB
    row of virtuoso.ini's own table); MaxDirtyBuffers three quarters of it."""
    b = buffers or max(20_000, min(1_360_000, n // 20))
    return {"buffers": b, "dirty": b * 3 // 4, "query_mem": "2G" if n >= 1_000_000 else "1G", "threads": 2}


def bench_virtuoso(data: dict, folder: Path, queries, limit: int, n: int, buffers: int | None) -> tuple[dict, dict, dict]:
    from oretrace import virtuoso
    from virtuoso_server import VirtuosoServer

    settings = virtuoso_settings(n, buffers)
    srv = VirtuosoServer(folder / "virtuoso", query_seconds=limit + 30, **settings).start()
    try:
        idle_mb = peak_rss_mb(srv.proc.pid)
        t0 = time.perf_counter()
        with srv.sql() as sql:
            virtuoso.bulk_load(sql, [(data["nq"], data["unnamed_graph"]), (data["void"], data["void_graph"])],
                               srv.load_dir, data["iris"].base)
            seconds = time.perf_counter() - t0
            quads = virtuoso.dataset_quads(sql, data["iris"].base)
        load = {"seconds": round(seconds, 2), "peak_mb": peak_rss_mb(srv.proc.pid), "disk_mb": srv.disk_mb(),
                "server_at_start_mb": idle_mb, "quads_loaded": quads}
        log(f"  load  virtuoso {load['seconds']:8.1f} s  peak {load['peak_mb']:7.0f} MB  disk {load['disk_mb']:7.0f} MB"
            f"  ({quads:,} quads)")
        load["peak_reset_for_queries"] = reset_peak(srv.proc.pid)
        q = run_queries(srv.sparql, srv.proc.pid, queries, limit, "virtuoso")
        q["server_peak_mb"] = peak_rss_mb(srv.proc.pid)
    finally:
        srv.stop()
    settings.update({"MaxQueryExecutionTime": limit + 30, "ini": "tests/virtuoso_server.py"})
    return load, q, settings


# ------------------------------------------------------------------ one size, all sizes
def compare(text: str, a, b) -> tuple[bool | None, list[str]]:
    from sparql_compare import differences

    if a is None or b is None:
        return None, []
    try:
        diff = differences(a, b, text, limit=3)
    except Exception as e:  # noqa: BLE001 - a comparison that cannot be made is reported, not fatal
        return None, [f"not compared: {type(e).__name__}: {e}"]
    return not diff, diff[:7]


def bench_size(n: int, work: Path, a) -> list[dict]:
    data = prepare(n, work, a.seed, a.fault_rate)
    queries = catalogue(data["iris"])
    log(f"N={n:,}: {data['quads']:,} quads built; {len(queries)} catalogue queries")
    import pyoxigraph as ox

    expected = data["quads"] + sum(1 for _ in ox.parse(path=str(data["void"]), format=ox.RdfFormat.TURTLE))
    rows, answers = [], {}
    for engine in ("oxigraph", "virtuoso"):
        folder = work / f"store-{engine}"
        if folder.exists():
            subprocess.run(["rm", "-rf", str(folder)], check=True)
        folder.mkdir(parents=True)
        if engine == "oxigraph":
            load, q, settings = bench_oxigraph(data, folder, queries, a.query_limit)
        else:
            load, q, settings = bench_virtuoso(data, folder, queries, a.query_limit, n, a.virtuoso_buffers)
        if engine == "virtuoso" and load["quads_loaded"] != expected:
            raise RuntimeError(f"Virtuoso holds {load['quads_loaded']:,} quads after the load, the build has {expected:,}")
        rows.append({"stage": "load", "engine": engine, "triples": n, "quads": data["quads"], **load,
                     "settings": settings})
        per = q["queries"]
        done = [v["median"] for v in per.values() if v.get("median") is not None]
        rows.append({"stage": "query", "engine": engine, "triples": n, "seconds": max(done) if done else None,
                     "peak_mb": q["server_peak_mb"], "finished": len(done), "of": len(per), "queries": per})
        answers[engine] = q["answers"]
        subprocess.run(["rm", "-rf", str(folder)], check=True)  # the next store gets the disk and the page cache
    agree = {}
    for name, text in queries:
        ox_, vt = answers["oxigraph"].get(name), answers["virtuoso"].get(name)
        same, diff = compare(text, ox_, vt)
        rows_o = rows[1]["queries"][name].get("rows")
        rows_v = rows[3]["queries"][name].get("rows")
        agree[name] = {"same_rows": None if rows_o is None or rows_v is None else rows_o == rows_v,
                       "same_answers": same, **({"differences": diff} if diff else {})}
    rows.append({"stage": "compare", "engine": "oxigraph/virtuoso", "triples": n, "seconds": None, "peak_mb": None,
                 "expected_quads": expected, "queries": agree})
    return rows


def table(rows: list[dict]) -> str:
    out = []
    for n in sorted({r["triples"] for r in rows}):
        get = {(r["stage"], r["engine"]): r for r in rows if r["triples"] == n}
        lo, lv = get[("load", "oxigraph")], get[("load", "virtuoso")]
        qo, qv = get[("query", "oxigraph")], get[("query", "virtuoso")]
        cmp_ = get[("compare", "oxigraph/virtuoso")]["queries"]
        out += [f"N = {n:,} triples ({lo['quads']:,} quads built)",
                f"{'':34} {'Oxigraph':>12} {'Virtuoso':>12}",
                f"{'bulk load, s':34} {lo['seconds']:12.1f} {lv['seconds']:12.1f}",
                f"{'bulk load, peak MB':34} {lo['peak_mb']:12.0f} {lv['peak_mb']:12.0f}",
                f"{'store on disk, MB':34} {lo['disk_mb']:12.0f} {lv['disk_mb']:12.0f}",
                f"{'server peak over the queries, MB':34} {qo['peak_mb'] or 0:12.0f} {qv['peak_mb'] or 0:12.0f}",
                f"{'queries finished':34} {str(qo['finished']) + '/' + str(qo['of']):>12} "
                f"{str(qv['finished']) + '/' + str(qv['of']):>12}",
                "", f"{'query (median s; rows)':34} {'Oxigraph':>20} {'Virtuoso':>20}  same rows / same answers"]

        def cell(v):
            if v.get("median") is None:
                return "stopped" if v.get("stopped") else "error"
            return f"{v['median']:.3f} ({v['rows']:,})"
        for name in sorted(qo["queries"]):
            c = cmp_[name]
            flag = {True: "yes", False: "NO", None: "-"}
            out.append(f"{name:34} {cell(qo['queries'][name]):>20} {cell(qv['queries'][name]):>20}  "
                       f"{flag[c['same_rows']]} / {flag[c['same_answers']]}")
        out.append("")
    return "\n".join(out)


def add_arguments(ap) -> None:
    ap.add_argument("--triples", type=int, nargs="+", default=[1_000_000], help="sizes to run (default 1000000)")
    ap.add_argument("--json", type=Path, help="write the rows to this JSON file (after each size)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fault-rate", type=float, default=0.03)
    ap.add_argument("--query-limit", type=int, default=60, help="seconds per query before it is stopped (default 60)")
    ap.add_argument("--virtuoso-buffers", type=int, help="NumberOfBuffers (default: one per 20 triples, 20,000 to 1,360,000)")
    ap.add_argument("--keep", type=Path, help="work folder to keep, and to reuse a build from (default: a temporary folder)")


def run(a) -> int:
    from virtuoso_server import unavailable

    why = unavailable()
    if why:
        print(f"error: the store benchmark needs Virtuoso: {why}", file=sys.stderr)
        return 2
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="oretrace-stores-") as tmp:
        work = a.keep or Path(tmp)
        for n in a.triples:
            rows += bench_size(n, work / f"n{n}", a)
            if a.json:
                a.json.parent.mkdir(parents=True, exist_ok=True)
                a.json.write_text(json.dumps(rows, indent=1))
    print(table(rows))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bench/stores.py", description=__doc__.splitlines()[0])
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
