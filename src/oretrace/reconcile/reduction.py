"""Eliminating the unmeasured quantities of one connected part of a reconciliation problem.

Balance networks (every coefficient +1 or -1, each quantity an outflow of at most one balance and an
inflow of at most one) are reduced on their graph: unmeasured flows are contracted, and the bridges
of the graph of unmeasured flows tell which of them the balances determine. Any other set of linear
balances is reduced densely by singular value decompositions. Both give a `_Reduced` system for
solver._core (see solver's module text for the method).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

@dataclass
class _Reduced:
    """One component after eliminating its unmeasured quantities."""

    A: sp.csr_matrix             # reduced balances x the component's free measured quantities
    c: np.ndarray
    G: sp.csr_matrix             # determinable unmeasured = G @ measured + g0
    g0: np.ndarray
    det: np.ndarray              # local indices (into the component's unmeasured) of the determinable ones
    row_names: list[list[str]]
    problems: list[str]


def _group(labels: np.ndarray, n: int) -> list[np.ndarray]:
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n + 1))
    return [order[bounds[k]:bounds[k + 1]] for k in range(n)]


def _is_network(sub: sp.csc_matrix) -> bool:
    """Every column has at most one +1 and at most one -1 and nothing else."""
    if sub.nnz == 0:
        return True
    data = sub.data
    if not np.all((data == 1.0) | (data == -1.0)):
        return False
    col = np.repeat(np.arange(sub.shape[1]), np.diff(sub.indptr))
    pos = np.bincount(col[data > 0], minlength=sub.shape[1])
    neg = np.bincount(col[data < 0], minlength=sub.shape[1])
    return bool(pos.max(initial=0) <= 1 and neg.max(initial=0) <= 1)


# ------------------------------------------------------------------ network reduction
def _ends(Mc: sp.csc_matrix, env: int) -> tuple[np.ndarray, np.ndarray]:
    """(tail, head) of each column: the row it leaves (-1) and the row it enters (+1); `env` for none."""
    ncol = Mc.shape[1]
    tail = np.full(ncol, env, dtype=np.int64)
    head = np.full(ncol, env, dtype=np.int64)
    coo = Mc.tocoo()
    neg = coo.data < 0
    tail[coo.col[neg]] = coo.row[neg]
    head[coo.col[~neg]] = coo.row[~neg]
    return tail, head


def _reduce_network(A: sp.csc_matrix, B: sp.csc_matrix, c: np.ndarray, names: list[str],
                    ynames: list[str]) -> _Reduced:
    nr = A.shape[0]
    env = nr  # the environment: a node without a balance
    nn = nr + 1
    xt, xh = _ends(A, env)
    yt, yh = _ends(B, env)
    ny = len(yt)
    problems: list[str] = []
    # super-nodes: nodes joined by unmeasured flows
    if ny:
        gu = sp.coo_matrix((np.ones(ny), (yt, yh)), shape=(nn, nn))
        _, sup = csgraph.connected_components(gu, directed=False)
    else:
        sup = np.arange(nn)
    s_env = sup[env]
    # measured flows between super-nodes; those inside one super-node are not redundant
    su, sv = sup[xt], sup[xh]
    across = su != sv
    nsup = int(sup.max()) + 1
    # parts of the contracted graph: one balance of each closed part (not holding the environment) is implied
    if across.any():
        gx = sp.coo_matrix((np.ones(int(across.sum())), (su[across], sv[across])), shape=(nsup, nsup))
        _, part = csgraph.connected_components(gx, directed=False)
    else:
        part = np.arange(nsup)
    csup = np.bincount(sup[:nr], weights=c, minlength=nsup)
    members = _group(sup[:nr], nsup)
    keep = np.ones(nsup, dtype=bool)
    keep[s_env] = False
    env_part = part[s_env]
    first: dict[int, int] = {}
    for s in range(nsup):
        p = int(part[s])
        if p == env_part or s == s_env:
            continue
        if p not in first:
            first[p] = s
    for p, s in first.items():
        in_part = np.flatnonzero(part == p)
        total = float(csup[in_part].sum())
        scale = max(1.0, float(np.abs(csup[in_part]).max()))
        if abs(total) > 1e-9 * scale:
            bal = sorted(names[r] for s2 in in_part for r in members[s2])
            problems.append(f"the balances {', '.join(bal)} cannot all hold: they exchange nothing with the rest and "
                            f"their fixed terms sum to {total:.6g}, not 0")
        keep[s] = False
    kept = np.flatnonzero(keep)
    rowpos = np.full(nsup, -1)
    rowpos[kept] = np.arange(len(kept))
    # reduced incidence matrix over the kept super-nodes
    ri, ci, di = [], [], []
    idx = np.flatnonzero(across)
    for ends, sign in ((sv, 1.0), (su, -1.0)):
        rp = rowpos[ends[idx]]
        ok = rp >= 0
        ri.append(rp[ok])
        ci.append(idx[ok])
        di.append(np.full(int(ok.sum()), sign))
    Ar = sp.csr_matrix((np.concatenate(di), (np.concatenate(ri), np.concatenate(ci))), shape=(len(kept), A.shape[1]))
    cr = csup[kept]
    row_names = [sorted(names[r] for r in members[s]) for s in kept]
    # determinable unmeasured flows: the bridges of the graph of unmeasured flows
    det = np.zeros(ny, dtype=bool)
    G = sp.csr_matrix((0, A.shape[1]))
    g0 = np.zeros(0)
    if ny:
        bridge = _bridges(nn, yt, yh)
        det = bridge
        if bridge.any():
            W, coef = _bridge_sides(nn, env, yt, yh, bridge)
            Acsr = A.tocsr()
            WA = (W @ Acsr).tocsr()
            WA.eliminate_zeros()
            G = sp.diags(-coef) @ WA
            g0 = -coef * (W @ c)
    return _Reduced(Ar, cr, sp.csr_matrix(G), np.asarray(g0, float), np.flatnonzero(det), row_names, problems)


def _bridges(nn: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which edges (a[i]-b[i], parallel edges allowed) are bridges: on no cycle (iterative Tarjan)."""
    m = len(a)
    ends = np.concatenate([a, b])
    other = np.concatenate([b, a]).tolist()
    eid = np.concatenate([np.arange(m), np.arange(m)])
    order = np.argsort(ends, kind="stable")
    other = np.asarray(other)[order].tolist()
    eid = eid[order].tolist()
    start = np.searchsorted(ends[order], np.arange(nn + 1)).tolist()
    tin = [-1] * nn
    low = [0] * nn
    is_bridge = [False] * m
    timer = 0
    for root in range(nn):
        if tin[root] != -1 or start[root] == start[root + 1]:
            continue
        tin[root] = low[root] = timer
        timer += 1
        stack = [[root, -1, start[root]]]
        while stack:
            top = stack[-1]
            v, pe, i = top
            if i < start[v + 1]:
                top[2] = i + 1
                e = eid[i]
                if e == pe:
                    continue
                w = other[i]
                if tin[w] == -1:
                    tin[w] = low[w] = timer
                    timer += 1
                    stack.append([w, e, start[w]])
                elif tin[w] < low[v]:
                    low[v] = tin[w]
            else:
                stack.pop()
                if stack:
                    u = stack[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
                    if low[v] > tin[u]:
                        is_bridge[pe] = True
    return np.asarray(is_bridge, dtype=bool)


def _bridge_sides(nn: int, env: int, a: np.ndarray, b: np.ndarray, bridge: np.ndarray):
    """For each bridge: a set of nodes on one side of it (never holding the environment), as the rows
    of a sparse indicator matrix W, and the coefficient (+1 or -1) the bridge has in that side's balance."""
    nonb = ~bridge
    nb = np.flatnonzero(bridge)
    g = sp.coo_matrix((np.ones(int(nonb.sum())), (a[nonb], b[nonb])), shape=(nn, nn))
    nblob, blob = csgraph.connected_components(g, directed=False)
    # the bridge forest over blobs (two-edge-connected parts); roots: the environment's blob, then any
    ba, bb = blob[a[nb]], blob[b[nb]]
    adj: list[list[tuple[int, int]]] = [[] for _ in range(nblob)]
    for k, (x, y) in enumerate(zip(ba.tolist(), bb.tolist())):
        adj[x].append((y, k))
        adj[y].append((x, k))
    size = np.bincount(np.delete(blob, env), minlength=nblob)
    tin = np.full(nblob, -1)
    tout = np.zeros(nblob, dtype=np.int64)
    child_of = np.full(len(nb), -1)      # the blob below each bridge
    tree_of = np.full(nblob, -1)
    has_env = np.zeros(nblob, dtype=bool)
    sub_size = size.astype(np.int64).copy()
    timer = 0
    roots = [int(blob[env])] + [x for x in range(nblob)]
    for t, root in enumerate(roots):
        if tin[root] != -1:
            continue
        tin[root] = timer
        timer += 1
        tree_of[root] = root
        stack = [(root, iter(adj[root]))]
        order = [root]
        while stack:
            v, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                tout[v] = timer
                continue
            w, k = nxt
            if tin[w] != -1:
                continue
            child_of[k] = w
            tin[w] = timer
            timer += 1
            tree_of[w] = root
            order.append(w)
            stack.append((w, iter(adj[w])))
        if t == 0:
            has_env[root] = True
    # subtree sizes (in nodes with a balance), children before parents
    parent_blob = np.full(nblob, -1)
    for k in range(len(nb)):
        w = child_of[k]
        p = bb[k] if ba[k] == w else ba[k]
        parent_blob[w] = p
    for v in np.argsort(-tin, kind="stable"):
        p = parent_blob[v]
        if p >= 0:
            sub_size[p] += sub_size[v]
    tree_total = np.zeros(nblob, dtype=np.int64)
    np.add.at(tree_total, tree_of, size)
    # nodes ordered by the entry time of their blob: a subtree is a contiguous range
    nodes = np.delete(np.arange(nn), env)
    nodes = nodes[np.argsort(tin[blob[nodes]], kind="stable")]
    key = tin[blob[nodes]]
    rows_i, cols_i = [], []
    coef = np.empty(len(nb))
    for k in range(len(nb)):
        w = child_of[k]
        lo, hi = np.searchsorted(key, tin[w]), np.searchsorted(key, tout[w])
        root = tree_of[w]
        inside = nodes[lo:hi]
        if not has_env[root] and 2 * sub_size[w] > tree_total[root]:
            # the other side is smaller (allowed: this tree has no environment)
            rlo, rhi = np.searchsorted(key, tin[root]), np.searchsorted(key, tout[root])
            side = np.concatenate([nodes[rlo:lo], nodes[hi:rhi]])
            in_side_is_child = False
        else:
            side = inside
            in_side_is_child = True
        e = nb[k]
        head_in_child = blob[b[e]] == w
        # the bridge enters the side (coefficient +1 there) when its head lies in it
        coef[k] = 1.0 if head_in_child == in_side_is_child else -1.0
        rows_i.append(np.full(len(side), k))
        cols_i.append(side)
    ri = np.concatenate(rows_i) if rows_i else np.zeros(0, np.int64)
    ci = np.concatenate(cols_i) if cols_i else np.zeros(0, np.int64)
    W = sp.csr_matrix((np.ones(len(ri)), (ri, ci)), shape=(len(nb), nn - 1))
    return W, coef


# ------------------------------------------------------------------ general reduction
def _reduce_general(A: np.ndarray, B: np.ndarray, c: np.ndarray, names: list[str]) -> _Reduced:
    n, nx = A.shape
    ny = B.shape[1]
    problems: list[str] = []
    eps = np.finfo(float).eps
    if ny:
        U, s, Vt = np.linalg.svd(B, full_matrices=True)
        tol = max(n, ny) * eps * (s[0] if s.size else 0.0)
        k = int((s > tol).sum())
        P = U[:, k:].T
        null = Vt[k:].T                              # ny x (ny - k)
        scale = 1e-8
        det = np.flatnonzero(np.linalg.norm(null, axis=1) < scale) if null.size else np.arange(ny)
        Bp = (Vt[:k].T / s[:k]) @ U[:, :k].T         # pseudo-inverse, ny x n
    else:
        P = np.eye(n)
        det = np.zeros(0, dtype=np.int64)
        Bp = np.zeros((0, n))
    Ap, cp = P @ A, P @ c
    if Ap.size:
        Ua, sa, _ = np.linalg.svd(Ap, full_matrices=True)
        tola = max(Ap.shape) * eps * (sa[0] if sa.size else 0.0)
        ka = int((sa > tola).sum())
    else:
        Ua, ka = np.eye(Ap.shape[0]), 0
    Ar = Ua[:, :ka].T @ Ap
    cr = Ua[:, :ka].T @ cp
    # combinations of balances in which no adjustable quantity is left: their constants must vanish
    left = Ua[:, ka:].T @ cp if Ap.shape[0] else np.zeros(0)
    scale = max(1.0, float(np.abs(c).max()) if c.size else 1.0)
    if left.size and np.abs(left).max() > 1e-9 * scale:
        w = np.abs(P.T @ Ua[:, ka:] @ (left / np.linalg.norm(left)))
        involved = [names[i] for i in np.flatnonzero(w > 1e-6 * w.max())]
        problems.append(f"the balances {', '.join(involved)} cannot all hold: a combination of them leaves no "
                        f"measured or unknown quantity to adjust, yet its fixed terms do not sum to 0 "
                        f"(off by {float(np.linalg.norm(left)):.6g})")
    # reduced rows named by the balances that weigh in them
    combo = P.T @ Ua[:, :ka]
    row_names = []
    for j in range(ka):
        w = np.abs(combo[:, j])
        row_names.append([names[i] for i in np.flatnonzero(w > 1e-6 * w.max())] if w.size and w.max() > 0 else [])
    G = -(Bp[det] @ A) if det.size else np.zeros((0, nx))
    g0 = -(Bp[det] @ c) if det.size else np.zeros(0)
    Ar[np.abs(Ar) < 1e-13 * max(1.0, np.abs(Ar).max() if Ar.size else 1.0)] = 0.0
    return _Reduced(sp.csr_matrix(Ar), cr, sp.csr_matrix(G), g0, det, row_names, problems)
