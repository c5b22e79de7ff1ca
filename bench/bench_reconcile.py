"""Benchmark: reconcile one connected balance network of 10,000 nodes and 30,000 flows.

    python bench/bench_reconcile.py [--nodes 10000] [--flows 30000] [--unmeasured 0.15]
                                    [--structure regional|random] [--errors 10] [--seed 1] [--json out.json]

The network is synthetic but shaped like trade and processing networks: every node exchanges
flows with nodes near it in a ranking (regional trade, a processing chain), plus one flow to or
from outside per node that closes its true balance (production, consumption or stock change);
`--structure random` joins nodes uniformly at random instead (an expander graph, the worst case
for sparse factorisation). True flows are balanced; measurements carry Gaussian noise with a
standard uncertainty of 2-15 % of the true value; `--errors` measurements get a gross error of
+15 standard uncertainties. The run happens in a child process, so that the peak memory printed
(max RSS, and the rise over the RSS after the network was built) is the reconciliation's own.

Prints the time to build the problem from Python objects, the time to reconcile it (values,
standard errors, classification, global and measurement tests), the peak memory, and how many of
the injected gross errors the measurement test names among its flagged measurements.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np


def network(nodes: int, flows: int, unmeasured: float, structure: str, errors: int, seed: int):
    from oretrace.reconcile.solver import Balance, Quantity

    rng = np.random.default_rng(seed)
    inner = flows - nodes                     # one outside flow per node closes its balance
    if inner < nodes - 1:
        raise SystemExit(f"--flows must be at least 2 * nodes - 1 ({2 * nodes - 1}) for a connected network")
    # a spanning path keeps the network in one piece; the rest joins nodes near each other
    a = np.arange(nodes - 1)
    b = a + 1
    k = inner - (nodes - 1)
    if structure == "regional":
        u = rng.integers(0, nodes, k)
        off = rng.geometric(0.08, k) * rng.choice([-1, 1], k)
        v = np.clip(u + off, 0, nodes - 1)
        v = np.where(v == u, np.where(u > 0, u - 1, u + 1), v)
    else:
        u = rng.integers(0, nodes, k)
        v = (u + rng.integers(1, nodes, k)) % nodes
    tail = np.concatenate([a, u])
    head = np.concatenate([b, v])
    flip = rng.random(inner) < 0.5
    tail, head = np.where(flip, head, tail), np.where(flip, tail, head)
    true_inner = rng.uniform(10, 1000, inner)
    bal = np.bincount(head, true_inner, nodes) - np.bincount(tail, true_inner, nodes)
    true_out = np.abs(bal)
    out_leaves = bal > 0                      # a surplus leaves the node; a deficit enters it
    true = np.concatenate([true_inner, true_out])
    sd = true * rng.uniform(0.02, 0.15, flows)
    value = true + rng.normal(0, sd)
    is_unmeasured = rng.random(flows) < unmeasured
    candidates = np.flatnonzero(~is_unmeasured)
    bad = rng.choice(candidates, errors, replace=False) if errors else np.zeros(0, int)
    value[bad] += 15 * sd[bad]
    qs = [Quantity(f"f{i}") if is_unmeasured[i] else Quantity(f"f{i}", float(value[i]), float(sd[i]))
          for i in range(flows)]
    terms: list[list[tuple[str, float]]] = [[] for _ in range(nodes)]
    for i, (t, h) in enumerate(zip(tail.tolist(), head.tolist())):
        terms[t].append((f"f{i}", -1.0))
        terms[h].append((f"f{i}", 1.0))
    for j in range(nodes):
        terms[j].append((f"f{inner + j}", -1.0 if out_leaves[j] else 1.0))
    bs = [Balance(f"n{j}", tuple(t)) for j, t in enumerate(terms)]
    return qs, bs, {f"f{i}" for i in bad}


def measure(a) -> dict:
    from oretrace.reconcile import solver

    qs, bs, bad = network(a.nodes, a.flows, a.unmeasured, a.structure, a.errors, a.seed)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    p = solver.Problem.build(qs, bs)
    t1 = time.perf_counter()
    r = solver.reconcile(p)
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    named = [q for q in r.flagged if q in bad]
    counts = {s: r.status.count(s) for s in sorted(set(r.status))}
    return {"nodes": a.nodes, "flows": a.flows, "structure": a.structure, "unmeasured_share": a.unmeasured,
            "build_s": round(t1 - t0, 3), "reconcile_s": round(t2 - t1, 3), "total_s": round(t2 - t0, 3),
            "peak_rss_mb": round(rss, 1), "rss_rise_mb": round(rss - rss_before, 1),
            "components": len(r.components), "dof": r.dof, "chi2": round(r.chi2, 1),
            "chi2_critical": round(r.chi2_critical, 1), "statuses": counts, "flagged": len(r.flagged),
            "gross_errors": len(bad), "gross_errors_flagged": len(named),
            "top_flagged_are_gross_errors": sum(q in bad for q in r.flagged[:len(bad)])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=10_000)
    ap.add_argument("--flows", type=int, default=30_000)
    ap.add_argument("--unmeasured", type=float, default=0.15, help="share of flows without a measurement")
    ap.add_argument("--structure", choices=("regional", "random"), default="regional")
    ap.add_argument("--errors", type=int, default=10, help="measurements given a gross error")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(measure(a)))
        return 0
    print(f"reconciling {a.nodes} nodes, {a.flows} flows ({a.structure}, {a.unmeasured:.0%} unmeasured) ...",
          file=sys.stderr)
    args = [sys.executable, __file__, "--child"] + sys.argv[1:]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return out.returncode
    res = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{res['nodes']} nodes, {res['flows']} flows ({res['structure']}): build {res['build_s']} s, "
          f"reconcile {res['reconcile_s']} s, total {res['total_s']} s; peak RSS {res['peak_rss_mb']} MB "
          f"(+{res['rss_rise_mb']} MB while reconciling)")
    print(f"  {res['components']} component(s), dof {res['dof']}, chi2 {res['chi2']} (critical {res['chi2_critical']}); "
          f"statuses {res['statuses']}")
    print(f"  {res['flagged']} measurements flagged; {res['gross_errors_flagged']} of {res['gross_errors']} gross errors "
          f"among them, {res['top_flagged_are_gross_errors']} among the first {res['gross_errors']}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
