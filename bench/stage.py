#!/usr/bin/env python3
"""One benchmark stage in a fresh process: `python bench/stage.py STAGE JSON-ARGS`.

Prints one JSON object: the stage's own figures plus `seconds` and `peak_mb` (the largest
resident set of this process and of its children, e.g. the HermiT JVM or the oxigraph CLI).
Run by bench/harness.py, which owns limits (time, memory) and the table.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, kids) / 1024, 1)


def settings(a):
    from oretrace.config import Settings

    os.environ["ORETRACE_BUILD"] = a["build_dir"]
    return Settings(root=Path(a["root"]))


def st_import(a):
    from oretrace.importers import write_import

    s = settings(a)
    out = Path(a["build_dir"]) / "imports" / "synthetic.nq"
    out.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    res, _ = write_import(s, "trade", Path(a["csv"]), out, name="synthetic", skip_bad_rows=True, quiet=True,
                          options={"title": "Synthetic trade statistics (oretrace benchmark)",
                                   "creator": "oretrace synthetic data generator"})
    return {"seconds": time.perf_counter() - t, "quads": res.quads, "rows": res.rows, "skipped": len(res.skipped)}


def st_build(a):
    from oretrace.build import build

    s = settings(a)
    t = time.perf_counter()
    r = build(s, quiet=True, validation=False)
    return {"seconds": time.perf_counter() - t, "quads": r.manifest["counts"]["quads"],
            "timings": {k: round(v, 2) for k, v in r.timings.items()}, "release": str(r.release),
            "rules": r.manifest.get("reasoning"), "dumps_left_out": sorted(r.manifest.get("dumps_left_out", {}))}


def st_oxigraph_load(a):
    loc = Path(a["work"]) / "oxigraph-ref"
    t = time.perf_counter()
    subprocess.run(["oxigraph", "load", "--location", str(loc), "--file", a["nq"]], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"seconds": time.perf_counter() - t}


def _rdflib_graph(nq: str, skip_graph: str | None):
    import rdflib

    ds = rdflib.Dataset(default_union=True)  # SPARQL's default graph = the union, as in oretrace
    ds.parse(nq, format="nquads")
    if skip_graph:
        ds.remove_graph(rdflib.URIRef(skip_graph))
    return ds


def st_rdflib_load(a):
    t = time.perf_counter()
    ds = _rdflib_graph(a["nq"], a.get("skip_graph"))
    return {"seconds": time.perf_counter() - t}


def _findings_keys(report) -> set:
    return {r.key(bnodes=False) for r in report.results}


def st_validate_oretrace(a):
    import pyoxigraph as ox

    from oretrace import shacl, validate

    s = settings(a)
    st = ox.Store.read_only(str(Path(a["release"]) / "store"))
    shapes = validate.load_shapes(s.shapes_dir)
    t = time.perf_counter()
    rep = shacl.validate(st, shapes, engine="sparql", union=True)
    sec = time.perf_counter() - t
    Path(a["findings"]).write_text(json.dumps(sorted(_findings_keys(rep))))
    return {"seconds": sec, "findings": len(rep.results)}


def st_validate_pyshacl(a):
    import rdflib

    from oretrace import validate
    from oretrace.shacl import pyshacl_engine

    s = settings(a)
    ds = _rdflib_graph(a["nq"], a.get("skip_graph"))
    g = rdflib.Graph()
    for s_, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s_, p, o))
    del ds
    shapes = validate.load_shapes(s.shapes_dir)
    shapes_g = rdflib.Graph()  # the shapes as rdflib reads them, like the data (plain literals stay plain)
    for f in sorted(s.shapes_dir.glob("*.ttl")):
        shapes_g.parse(f, format="turtle")
    pyshacl_engine.rdflib_graph = lambda triples: g if triples == "DATA" else shapes_g
    eng = pyshacl_engine.PyshaclEngine([], shapes)
    eng.data_triples = "DATA"
    t = time.perf_counter()
    rep = eng.validate()
    sec = time.perf_counter() - t
    Path(a["findings"]).write_text(json.dumps(sorted(_findings_keys(rep))))
    return {"seconds": sec, "findings": len(rep.results)}


def _catalogue(a):
    from oretrace import query
    from oretrace.vocab import IRIs

    s = settings(a)
    out = []
    for name, nq in query.catalogue(s.queries_dir).items():
        out.append((name, query.with_prefixes(query.bind(nq, {}, IRIs(s.base)))))
    return out


def st_query_oretrace(a):
    import pyoxigraph as ox

    from oretrace import query

    st = ox.Store.read_only(str(Path(a["release"]) / "store"))
    per = {}
    for name, text in _catalogue(a):
        times = []
        for _ in range(a.get("repeat", 3)):
            t = time.perf_counter()
            res = query.run_store(st, text)
            times.append(time.perf_counter() - t)
        per[name] = {"median": statistics.median(times), "rows": len(res.rows)}
    return {"seconds": max((v["median"] for v in per.values()), default=0.0), "queries": per}


def st_query_rdflib(a):
    import signal

    ds = _rdflib_graph(a["nq"], a.get("skip_graph"))
    limit = int(a.get("query_limit", 120))
    per = {}

    class Late(Exception):
        pass

    def alarm(*_):
        raise Late()

    signal.signal(signal.SIGALRM, alarm)
    for name, text in _catalogue(a):
        t = time.perf_counter()
        signal.alarm(limit)
        try:
            res = ds.query(text)
            n = len(list(res)) if res.type == "SELECT" else 1
            per[name] = {"median": time.perf_counter() - t, "rows": n}
        except Late:
            per[name] = {"median": None, "stopped": f"stopped at the {limit} s limit"}
        except Exception as e:  # rdflib rejects some SPARQL 1.1 the catalogue uses
            per[name] = {"median": None, "error": f"{type(e).__name__}: {str(e)[:120]}"}
        finally:
            signal.alarm(0)
    done = [v["median"] for v in per.values() if v["median"] is not None]
    return {"seconds": max(done) if done else None, "queries": per}


STAGES = {k[3:]: v for k, v in globals().items() if k.startswith("st_")}


def main() -> int:
    stage, args = sys.argv[1], json.loads(sys.argv[2])
    out = STAGES[stage](args)
    out["peak_mb"] = peak_mb()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
