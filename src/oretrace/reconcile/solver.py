"""Weighted least-squares data reconciliation under linear balance constraints.

The method of material-flow analysis (STAN; Cencic 2016) and of process data reconciliation
(Crowe 1983, Madron 1992, Narasimhan and Jordache 2000):

* quantities are *measured* (a value and a standard uncertainty), *fixed* (known exactly: a
  standard uncertainty of 0) or *unmeasured*;
* balances are linear equations ``sum(coefficient * quantity) + constant = 0``; a node's mass
  balance is ``inflows - outflows - stock change = 0``;
* the reconciled measured values minimise ``sum(((x - measured) / sd) ** 2)`` subject to the
  balances, the unmeasured quantities being free; then every measured and every determinable
  unmeasured quantity gets its reconciled value and standard error (from the covariance of the
  estimate, linear error propagation);
* an unmeasured quantity that the balances do not fix (one of a loop of unmeasured flows, two
  unmeasured outlets of one node) is reported as *not determinable*; a measured quantity that no
  balance ties to other measurements is *not redundant*: it keeps its value and uncertainty;
* the global test compares the weighted sum of squared adjustments with the chi-square
  distribution (degrees of freedom: the number of independent reduced balances); the measurement
  test divides each adjustment by its own standard deviation (the normalised adjustment, a
  standard normal variable when there is no gross error) and flags those beyond the two-sided
  critical value with Sidak's correction for the number of tests.

Unmeasured quantities are eliminated by projection, so the estimate of the measured ones is the
closed-form solution ``x = m - Q A' (A Q A')^-1 (A m + c)`` of the reduced problem. Balance
networks (every coefficient +1 or -1, each quantity an outflow of at most one balance and an
inflow of at most one) are reduced on their graph (contracting unmeasured flows, bridges of the
graph of unmeasured flows for determinability), which scales to tens of thousands of flows; any
other set of linear balances is reduced with dense singular value decompositions, component by
component.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import scipy.linalg as sl
import scipy.sparse as sp
from scipy import stats
from scipy.sparse import csgraph
from scipy.sparse import linalg as spl
from threadpoolctl import threadpool_limits

#: reduced systems (independent balances of one connected part) up to this size are solved with a
#: dense Cholesky factor; larger ones with a sparse LU factorisation when its factors stay sparse
#: (at most SPARSE_FILL of a dense matrix), else densely up to DENSE_MAX, beyond which always sparse.
DENSE_FIRST = 400
SPARSE_FILL = 0.1
DENSE_MAX = 7000
#: Takahashi's recurrence for the variances when its work (the sum of squared column counts of the
#: factor) stays below this; beyond, one solve per column
SELECTED_MAX_PAIRS = 3e7
#: largest component (balances x quantities) that the general (non-network) path accepts
GENERAL_MAX_CELLS = 25_000_000
_BLOCK = 256        # columns of the inverse per step (dense factor)
_SPARSE_BLOCK = 16  # (sparse factor: small blocks keep SuperLU's solves in cache)

ADJUSTED, NOT_REDUNDANT, FIXED, DETERMINED, NOT_DETERMINABLE = (
    "adjusted", "not redundant", "fixed", "determined", "not determinable")


class ProblemError(ValueError):
    """The reconciliation problem is malformed (the message says which quantity or balance)."""


# ------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class Quantity:
    """A quantity of the network: measured (value and sd > 0), fixed (sd == 0) or unmeasured (no value)."""

    id: str
    value: float | None = None
    sd: float | None = None

    @property
    def measured(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Balance:
    """``sum(coefficient * quantity) + constant = 0``."""

    id: str
    terms: tuple[tuple[str, float], ...]
    constant: float = 0.0


def node(id: str, inflows: Iterable[str] = (), outflows: Iterable[str] = (),
         stock_change: str | None = None) -> Balance:
    """The mass balance of a node: ``inflows - outflows - stock change = 0``."""
    terms = [(q, 1.0) for q in inflows] + [(q, -1.0) for q in outflows]
    if stock_change is not None:
        terms.append((stock_change, -1.0))
    return Balance(id, tuple(terms))


@dataclass
class Problem:
    """A reconciliation problem in array form: balances x quantities."""

    ids: list[str]
    value: np.ndarray          # the measured value; nan where unmeasured
    sd: np.ndarray             # the standard uncertainty; nan where unmeasured, 0 where fixed
    matrix: sp.csr_matrix      # coefficients, one row per balance
    constant: np.ndarray       # one per balance
    balance_ids: list[str]

    @classmethod
    def build(cls, quantities: Sequence[Quantity], balances: Sequence[Balance]) -> "Problem":
        index: dict[str, int] = {}
        for q in quantities:
            if q.id in index:
                raise ProblemError(f"quantity {q.id!r} is given twice (give each quantity once)")
            index[q.id] = len(index)
        n = len(index)
        value = np.full(n, np.nan)
        sd = np.full(n, np.nan)
        for i, q in enumerate(quantities):
            if q.value is None:
                if q.sd is not None:
                    raise ProblemError(f"quantity {q.id!r} has a standard uncertainty but no value "
                                       "(give both for a measurement, neither for an unmeasured quantity)")
                continue
            if q.sd is None:
                raise ProblemError(f"measured quantity {q.id!r} has no standard uncertainty (give sd; 0 means known exactly)")
            value[i], sd[i] = float(q.value), float(q.sd)
            if not math.isfinite(value[i]):
                raise ProblemError(f"quantity {q.id!r} has value {q.value!r}, which is not a finite number")
        rows, cols, data, const, bids, seen = [], [], [], [], [], set()
        for r, b in enumerate(balances):
            if b.id in seen:
                raise ProblemError(f"balance {b.id!r} is given twice (give each balance once)")
            seen.add(b.id)
            bids.append(b.id)
            const.append(float(b.constant))
            for qid, coef in b.terms:
                if qid not in index:
                    raise ProblemError(f"balance {b.id!r} names quantity {qid!r}, which is not among the quantities")
                rows.append(r)
                cols.append(index[qid])
                data.append(float(coef))
        m = sp.csr_matrix((np.asarray(data, float), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
                          shape=(len(bids), n))
        m.sum_duplicates()
        m.eliminate_zeros()
        return cls(list(index), value, sd, m, np.asarray(const, float), bids)

    def check(self) -> None:
        n = len(self.ids)
        if self.value.shape != (n,) or self.sd.shape != (n,) or self.matrix.shape[1] != n:
            raise ProblemError("value, sd and the matrix columns must match the quantities")
        if self.matrix.shape[0] != len(self.balance_ids) or self.constant.shape != (len(self.balance_ids),):
            raise ProblemError("the matrix rows and constants must match the balances")
        meas = ~np.isnan(self.value)
        bad = meas & ~np.isfinite(self.value)
        if bad.any():
            raise ProblemError(f"quantity {self.ids[int(np.argmax(bad))]!r} has a value that is not a finite number")
        bad = meas & ~(np.isfinite(self.sd) & (self.sd >= 0))
        if bad.any():
            i = int(np.argmax(bad))
            raise ProblemError(f"quantity {self.ids[i]!r} has standard uncertainty {float(self.sd[i]):g} "
                               "(give a finite number >= 0; 0 means known exactly)")
        bad = ~meas & ~np.isnan(self.sd)
        if bad.any():
            raise ProblemError(f"quantity {self.ids[int(np.argmax(bad))]!r} has a standard uncertainty but no value")
        if not np.all(np.isfinite(self.matrix.data)):
            raise ProblemError("a balance coefficient is not a finite number")
        bad = ~np.isfinite(self.constant)
        if bad.any():
            raise ProblemError(f"balance {self.balance_ids[int(np.argmax(bad))]!r} has a constant that is not a finite number")


# ------------------------------------------------------------------ results
@dataclass
class Estimate:
    id: str
    status: str
    measured: float | None
    sd: float | None
    value: float | None          # reconciled (or determined) value; None when not determinable
    se: float | None             # its standard error
    adjustment: float | None
    z: float | None              # normalised adjustment |adjustment| / sd(adjustment)
    flagged: bool


@dataclass
class NodalTest:
    balances: list[str]          # the balances summed into this reduced balance
    residual: float              # of the measured values before reconciliation
    sd: float
    z: float
    flagged: bool


@dataclass
class Component:
    """One connected part of the network, reconciled on its own."""

    balances: list[str]
    method: str                  # "network" or "general"
    dof: int
    chi2: float
    p_value: float


@dataclass
class Result:
    ids: list[str]
    status: list[str]
    measured: np.ndarray
    sd: np.ndarray
    value: np.ndarray            # reconciled or determined; nan when not determinable
    se: np.ndarray
    adjustment: np.ndarray       # nan unless adjusted
    z: np.ndarray                # nan unless adjusted
    alpha: float
    chi2: float
    dof: int
    chi2_critical: float
    p_value: float
    z_critical: float
    components: list[Component]
    nodal: list[NodalTest]
    problems: list[str] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def passed(self) -> bool:
        """True when the global chi-square test accepts the measurements at level alpha."""
        return self.dof == 0 or self.chi2 <= self.chi2_critical

    def estimate(self, qid: str) -> Estimate:
        if not self._index:
            self._index = {q: i for i, q in enumerate(self.ids)}
        i = self._index[qid]
        return self._estimate(i)

    def _estimate(self, i: int) -> Estimate:
        def num(a):
            v = float(a[i])
            return None if math.isnan(v) else v
        return Estimate(self.ids[i], self.status[i], num(self.measured), num(self.sd), num(self.value), num(self.se),
                        num(self.adjustment), num(self.z), bool(not math.isnan(self.z[i]) and self.z[i] > self.z_critical))

    def estimates(self) -> list[Estimate]:
        return [self._estimate(i) for i in range(len(self.ids))]

    def ids_with(self, status: str) -> list[str]:
        return [q for q, s in zip(self.ids, self.status) if s == status]

    @property
    def not_determinable(self) -> list[str]:
        return self.ids_with(NOT_DETERMINABLE)

    @property
    def not_redundant(self) -> list[str]:
        return self.ids_with(NOT_REDUNDANT)

    @property
    def flagged(self) -> list[str]:
        """Measured quantities failing the measurement test, least consistent first."""
        return [e.id for e in self.least_consistent() if e.flagged]

    def least_consistent(self, n: int | None = None) -> list[Estimate]:
        """Adjusted measurements by decreasing normalised adjustment."""
        order = [i for i in np.argsort(-np.nan_to_num(self.z, nan=-1.0), kind="stable") if not math.isnan(self.z[i])]
        return [self._estimate(int(i)) for i in order[:n]]


# ------------------------------------------------------------------ the solve
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


def reconcile(problem: Problem, alpha: float = 0.05) -> Result:
    """Reconcile the measured quantities of `problem` under its balances (see the module text)."""
    if not 0 < alpha < 1:
        raise ProblemError(f"alpha {alpha} must lie between 0 and 1")
    problem.check()
    n = len(problem.ids)
    M = problem.matrix.tocsc()
    measured = ~np.isnan(problem.value)
    fixed = measured & (problem.sd == 0)
    free = measured & ~fixed
    unmeasured = ~measured
    const = problem.constant.copy()
    if fixed.any():
        const += M[:, np.flatnonzero(fixed)] @ problem.value[fixed]
    status = np.empty(n, dtype=object)
    status[fixed] = FIXED
    status[free] = NOT_REDUNDANT
    status[unmeasured] = NOT_DETERMINABLE
    est = np.where(measured, problem.value, np.nan)
    se = np.where(measured, problem.sd, np.nan)
    adj = np.full(n, np.nan)
    z = np.full(n, np.nan)
    problems: list[str] = []
    components: list[Component] = []
    nodal: list[NodalTest] = []

    var_idx = np.flatnonzero(free | unmeasured)
    Mv = M[:, var_idx].tocsr()
    nb = Mv.shape[0]
    # rows that keep no variable: their fixed terms must balance by themselves
    row_nnz = np.diff(Mv.indptr)
    for r in np.flatnonzero(row_nnz == 0):
        if abs(const[r]) > _tol(problem, r, np.where(fixed, problem.value, 0.0)):
            problems.append(f"balance {problem.balance_ids[r]!r} cannot hold: it has no measured or unknown quantity "
                            f"and its fixed terms sum to {const[r]:.6g}, not 0")
    # connected parts: balances joined through shared variables
    nv = len(var_idx)
    adjm = sp.bmat([[None, Mv], [Mv.T, None]], format="csr") if nb and nv else sp.csr_matrix((nb + nv, nb + nv))
    ncomp, label = csgraph.connected_components(adjm, directed=False)
    row_lab, col_lab = label[:nb], label[nb:]
    rows_by = _group(row_lab, ncomp)
    cols_by = _group(col_lab, ncomp)
    total_chi2, total_dof = 0.0, 0
    adjusted_count = 0
    pending_z: list[tuple[np.ndarray, np.ndarray]] = []
    for k in range(ncomp):
        rows = rows_by[k]
        cols = var_idx[cols_by[k]]
        if len(rows) == 0 or len(cols) == 0 or row_nnz[rows].sum() == 0:
            continue  # a quantity in no balance keeps its state; empty rows were checked above
        sub = M[rows][:, cols].tocsc()
        xcols = cols[free[cols]]
        ycols = cols[unmeasured[cols]]
        xl = np.flatnonzero(free[cols])
        yl = np.flatnonzero(unmeasured[cols])
        A = sub[:, xl]
        B = sub[:, yl]
        c = const[rows]
        names = [problem.balance_ids[r] for r in rows]
        if _is_network(sub):
            red = _reduce_network(A.tocsc(), B.tocsc(), c, names, [problem.ids[i] for i in ycols])
            method = "network"
        else:
            cells = len(rows) * len(cols)
            if cells > GENERAL_MAX_CELLS:
                raise ProblemError(
                    f"the balances {', '.join(names[:3])}{' ...' if len(names) > 3 else ''} form one part of "
                    f"{len(rows)} balances and {len(cols)} quantities, too large for the general method; only balance "
                    "networks (coefficients +1/-1, each quantity an inflow of at most one balance and an outflow of at "
                    "most one) are reduced at this size")
            red = _reduce_general(A.toarray(), B.toarray(), c, names)
            method = "general"
        problems += red.problems
        out = _core(red, problem.value[xcols], problem.sd[xcols] ** 2)
        total_chi2 += out["chi2"]
        total_dof += out["dof"]
        components.append(Component(names, method, out["dof"], out["chi2"],
                                    float(stats.chi2.sf(out["chi2"], out["dof"])) if out["dof"] else 1.0))
        red_mask = out["redundant"]
        est[xcols] = out["x"]
        se[xcols] = np.sqrt(out["var_x"])
        status[xcols[red_mask]] = ADJUSTED
        adj[xcols[red_mask]] = out["adj"][red_mask]
        pending_z.append((xcols[red_mask], out["z"][red_mask]))
        adjusted_count += int(red_mask.sum())
        det = ycols[red.det]
        est[det] = out["y"]
        se[det] = np.sqrt(out["var_y"])
        status[det] = DETERMINED
        for names_r, resid, sdv in zip(red.row_names, out["res"], out["res_sd"]):
            nodal.append(NodalTest(names_r, float(resid), float(sdv), float(abs(resid) / sdv) if sdv > 0 else 0.0, False))
    for cols_z, zs in pending_z:
        z[cols_z] = zs
    chi2_crit = float(stats.chi2.ppf(1 - alpha, total_dof)) if total_dof else 0.0
    z_crit = _sidak(alpha, adjusted_count)
    z_nodal = _sidak(alpha, len(nodal))
    for t in nodal:
        t.flagged = t.z > z_nodal
    return Result(list(problem.ids), list(status), np.where(measured, problem.value, np.nan),
                  np.where(measured, problem.sd, np.nan), est, se, adj, z, alpha, float(total_chi2), int(total_dof),
                  chi2_crit, float(stats.chi2.sf(total_chi2, total_dof)) if total_dof else 1.0, z_crit,
                  components, nodal, problems)


def _sidak(alpha: float, tests: int) -> float:
    """Two-sided standard-normal critical value for `tests` tests at family level alpha (Sidak)."""
    if tests <= 0:
        return float(stats.norm.isf(alpha / 2))
    beta = -math.expm1(math.log1p(-alpha) / tests)   # 1 - (1 - alpha) ** (1 / tests), accurately
    return float(stats.norm.isf(beta / 2))


def _tol(problem: Problem, r: int, fixed_value: np.ndarray) -> float:
    """The size below which the sum of the fixed terms of balance r counts as zero."""
    row = problem.matrix.getrow(r)
    terms = np.abs(row.data * fixed_value[row.indices]) if row.nnz else np.zeros(0)
    terms = terms[np.isfinite(terms)]
    return 1e-9 * max(1.0, abs(float(problem.constant[r])), float(terms.max()) if terms.size else 0.0)


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


# ------------------------------------------------------------------ the reduced system
class _SPD:
    """Solves with a symmetric positive definite matrix and gives diag(K' S^-1 K) for sparse K."""

    def __init__(self, S: sp.csr_matrix):
        self.n = n = S.shape[0]
        self._inv = None
        self.dense = True
        self.selected = None
        if n > DENSE_FIRST:
            try:
                # diagonal pivots only (safe for a positive definite matrix): then L U = L D L'
                lu = spl.splu(S.tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                              options={"SymmetricMode": True})
            except RuntimeError:      # numerically singular: the dense pseudo-inverse below copes
                lu = None
            if lu is not None and (lu.L.nnz + lu.U.nnz <= SPARSE_FILL * n * n or n > DENSE_MAX):
                self.lu, self.mode, self.dense = lu, "sparse", False
                if np.array_equal(lu.perm_r, lu.perm_c):
                    self.selected = _SelectedInverse.of(lu)
                return
        Sd = S.toarray(order="F")
        try:
            self.cf = sl.cho_factor(Sd, lower=True, overwrite_a=True, check_finite=False)
            self.mode = "cholesky"
        except (np.linalg.LinAlgError, ValueError):
            self.pinv = sl.pinvh(S.toarray())
            self.mode = "pinv"

    def solve(self, b: np.ndarray) -> np.ndarray:
        if self.mode == "cholesky" and self.cf is None:
            return self._inverse() @ b
        if self.mode == "cholesky":
            return sl.cho_solve(self.cf, b, check_finite=False)
        if self.mode == "pinv":
            return self.pinv @ b
        return self.lu.solve(b)

    def _inverse(self) -> np.ndarray:
        if self._inv is None:
            if self.mode == "pinv":
                self._inv = self.pinv
            else:
                from scipy.linalg import lapack
                c, lower = self.cf
                inv, info = lapack.dpotri(c, lower=1, overwrite_c=1)
                if info != 0:
                    raise np.linalg.LinAlgError(f"dpotri failed ({info})")
                _symmetrise_lower(inv)
                self._inv = inv
                self.cf = None  # overwritten
        return self._inv

    def quad_diag(self, K: sp.spmatrix) -> np.ndarray:
        """diag(K' S^-1 K) for a sparse K with n rows."""
        K = sp.csc_matrix(K)
        out = np.zeros(K.shape[1])
        if K.nnz == 0 or self.n == 0:
            return out
        if self.dense:
            return self._by_inverse_columns(K, out, self._inverse().__getitem__)
        todo = np.arange(K.shape[1])
        if self.selected is not None:
            done, values = self.selected.quad_diag(K)
            out[done] = values[done]
            todo = np.flatnonzero(~done & (np.diff(K.indptr) > 0))
        if len(todo) == 0:
            return out
        Kt = K[:, todo]
        if len(todo) <= self.n:
            # one solve per column of K
            for j0 in range(0, len(todo), _SPARSE_BLOCK):
                E = Kt[:, j0:j0 + _SPARSE_BLOCK].toarray()
                out[todo[j0:j0 + _SPARSE_BLOCK]] = np.einsum("ij,ij->j", E, self.lu.solve(E))
            return out
        part = self._by_inverse_columns(Kt, np.zeros(len(todo)), self._sparse_columns)
        out[todo] = part
        return out

    def _sparse_columns(self, index):
        J = index[1]
        E = np.zeros((self.n, len(J)))
        E[J, np.arange(len(J))] = 1.0
        return self.lu.solve(E)

    def _by_inverse_columns(self, K: sp.csc_matrix, out: np.ndarray, columns) -> np.ndarray:
        """diag(K' S^-1 K) from the columns of S^-1, a block at a time."""
        KT = K.T.tocsr()
        KTc = KT.tocsc()
        rows_used = np.flatnonzero(np.diff(K.tocsr().indptr))
        step = _BLOCK if self.dense else _SPARSE_BLOCK
        for j0 in range(0, len(rows_used), step):
            J = rows_used[j0:j0 + step]
            Z = columns((slice(None), J))
            KZ = KT @ Z                              # (cols of K) x |J|
            out += np.asarray(KTc[:, J].multiply(KZ).sum(axis=1)).ravel()
        return out


class _SelectedInverse:
    """The entries of S^-1 on the pattern of its factor (S permuted = L D L'), by Takahashi's recurrence
    (Takahashi, Fagan and Chen 1973; Erisman and Tinney 1975): for j from the last column back,
    Z[r, j] = -Z[r, r] L[r, j] and Z[j, j] = 1/d[j] - L[r, j]' Z[r, j], r the rows below j in column
    j of L, whose Z[r, r] the elimination tree guarantees to be on the pattern already computed.
    Enough for the variances of a balance network, whose pairs of ends are adjacent in S."""

    def __init__(self, perm, zd, ip, ix, zv):
        self.perm, self.zd, self.ip, self.ix, self.zv = perm, zd, ip, ix, zv
        n = len(zd)
        self.keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(ip)) * n + ix

    @classmethod
    def of(cls, lu) -> "_SelectedInverse | None":
        L = lu.L.tocsc()
        L.sort_indices()
        n = L.shape[0]
        d = lu.U.diagonal()
        col = np.repeat(np.arange(n), np.diff(L.indptr))
        keep = L.indices > col
        ix = L.indices[keep].astype(np.int64)
        lv = L.data[keep]
        cnt = np.bincount(col[keep], minlength=n)
        if float((cnt.astype(np.float64) ** 2).sum()) > SELECTED_MAX_PAIRS:
            return None   # the factor has filled in: one solve per column is cheaper
        ip = np.concatenate([[0], np.cumsum(cnt)])
        keys = np.repeat(np.arange(n, dtype=np.int64), cnt) * n + ix
        zv = np.zeros(len(ix))
        zd = np.zeros(n)
        ipl = ip.tolist()
        tri: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for j in range(n - 1, -1, -1):
            p0, p1 = ipl[j], ipl[j + 1]
            if p0 == p1:
                zd[j] = 1.0 / d[j]
                continue
            rows = ix[p0:p1]
            l = lv[p0:p1]
            m = p1 - p0
            M = np.diag(zd[rows])
            if m > 1:
                if m not in tri:
                    tri[m] = np.triu_indices(m, 1)
                a, b = tri[m]
                vals = zv[np.searchsorted(keys, rows[a] * n + rows[b])]
                M[b, a] = vals
                M[a, b] = vals
            zc = -(M @ l)
            zv[p0:p1] = zc
            zd[j] = 1.0 / d[j] - l @ zc
        # S[i, k] = B[perm_c[i], perm_c[k]] with B = L U
        return cls(np.asarray(lu.perm_c, dtype=np.int64), zd, ip, ix, zv)

    def entries(self, i: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, value) of S^-1[i, k] for index arrays in the original order."""
        n = len(self.zd)
        bi, bk = self.perm[i], self.perm[k]
        lo, hi = np.minimum(bi, bk), np.maximum(bi, bk)
        found = np.ones(len(i), dtype=bool)
        val = np.zeros(len(i))
        diag = lo == hi
        val[diag] = self.zd[lo[diag]]
        off = ~diag
        if off.any():
            key = lo[off] * n + hi[off]
            pos = np.minimum(np.searchsorted(self.keys, key), max(len(self.keys) - 1, 0))
            hit = (self.keys[pos] == key) if len(self.keys) else np.zeros(len(key), dtype=bool)
            found[off] = hit
            v = np.where(hit, self.zv[pos] if len(self.zv) else 0.0, 0.0)
            val[off] = v
        return found, val

    def quad_diag(self, K: sp.csc_matrix, most: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """(done, values) of diag(K' S^-1 K) for the columns of K with at most `most` entries whose
        pairs all lie on the pattern."""
        m = K.shape[1]
        done = np.zeros(m, dtype=bool)
        out = np.zeros(m)
        counts = np.diff(K.indptr)
        for t in range(1, most + 1):
            cols = np.flatnonzero(counts == t)
            if len(cols) == 0:
                continue
            base = K.indptr[cols][:, None] + np.arange(t)[None, :]
            rows, vals = K.indices[base], K.data[base]            # len(cols) x t
            a, b = np.triu_indices(t)                              # pairs with a <= b
            f, z = self.entries(rows[:, a].ravel(), rows[:, b].ravel())
            f = f.reshape(len(cols), -1).all(axis=1)
            w = np.where(a == b, 1.0, 2.0)
            q = (vals[:, a] * vals[:, b] * z.reshape(len(cols), -1) * w).sum(axis=1)
            done[cols] = f
            out[cols] = q
        return done, out


def _symmetrise_lower(a: np.ndarray, block: int = 512) -> None:
    """Copy the lower triangle of a square array onto its upper triangle, in place, block by block."""
    n = a.shape[0]
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        blk = a[i0:i1, i0:i1]
        blk[:] = np.tril(blk) + np.tril(blk, -1).T
        if i1 < n:
            a[i0:i1, i1:] = a[i1:, i0:i1].T


def _core(red: _Reduced, xm: np.ndarray, q: np.ndarray) -> dict:
    A, c = red.A, red.c
    r, nx = A.shape
    out = {"x": xm.copy(), "var_x": q.copy(), "adj": np.zeros(nx), "z": np.full(nx, np.nan),
           "redundant": np.zeros(nx, dtype=bool), "chi2": 0.0, "dof": r, "res": np.zeros(r), "res_sd": np.zeros(r)}
    G, g0 = red.G, red.g0
    if r == 0:
        out["y"] = G @ xm + g0
        out["var_y"] = np.maximum(np.asarray(G.multiply(G) @ q).ravel(), 0.0)
        return out
    AQ = sp.csr_matrix(A.multiply(q[None, :]))      # A diag(q)
    S = (AQ @ A.T).tocsr()
    S = (S + S.T) * 0.5
    # the sparse factor's many small triangular solves only lose time to BLAS threads (and on a
    # busy machine, a lot of it); the dense factorisations keep them
    with threadpool_limits(limits=1, user_api="blas") if r > DENSE_FIRST else contextlib.nullcontext():
        solver = _SPD(S)
        res = A @ xm + c
        lam = solver.solve(res)
        adj = -(AQ.T @ lam)
        vadj = solver.quad_diag(AQ)                  # variance of each adjustment
        vy = solver.quad_diag(sp.csr_matrix(AQ @ G.T)) if G.shape[0] else np.zeros(0)
    colnz = np.diff(A.tocsc().indptr) > 0
    redundant = colnz & (vadj > 1e-12 * q)
    x = xm + adj
    var_x = np.maximum(q - vadj, 0.0)
    z = np.full(nx, np.nan)
    z[redundant] = np.abs(adj[redundant]) / np.sqrt(vadj[redundant])
    adj[~redundant] = 0.0
    x[~redundant] = xm[~redundant]
    var_x[~redundant] = q[~redundant]
    out.update(x=x, var_x=var_x, adj=adj, z=z, redundant=redundant, chi2=float(max(res @ lam, 0.0)), res=res,
               res_sd=np.sqrt(np.maximum(S.diagonal(), 0.0)))
    if G.shape[0]:
        gq = np.asarray(G.multiply(G) @ q).ravel()
        out["y"] = G @ x + g0
        out["var_y"] = np.maximum(gq - vy, 0.0)      # Var(G x) = G Q G' - (A Q G')' S^-1 (A Q G')
    else:
        out["y"] = np.zeros(0)
        out["var_y"] = np.zeros(0)
    return out


# ------------------------------------------------------------------ convenience
def solve(quantities: Sequence[Quantity], balances: Sequence[Balance], alpha: float = 0.05) -> Result:
    """Build the problem from quantities and balances and reconcile it."""
    return reconcile(Problem.build(quantities, balances), alpha)
