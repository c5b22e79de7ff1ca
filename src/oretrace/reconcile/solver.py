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
import scipy.sparse as sp
from scipy.sparse import csgraph
from threadpoolctl import threadpool_limits

from . import factor
from .reduction import _group, _is_network, _reduce_general, _reduce_network, _Reduced


def _stats():
    """scipy.stats, imported when a test statistic is first needed: it takes about a second to import,
    which every `oretrace` command would pay, since the CLI registers `reconcile` with the others."""
    from scipy import stats

    return stats

#: largest component (balances x quantities) that the general (non-network) path accepts
GENERAL_MAX_CELLS = 25_000_000

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
                                    float(_stats().chi2.sf(out["chi2"], out["dof"])) if out["dof"] else 1.0))
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
    chi2_crit = float(_stats().chi2.ppf(1 - alpha, total_dof)) if total_dof else 0.0
    z_crit = _sidak(alpha, adjusted_count)
    z_nodal = _sidak(alpha, len(nodal))
    for t in nodal:
        t.flagged = t.z > z_nodal
    return Result(list(problem.ids), list(status), np.where(measured, problem.value, np.nan),
                  np.where(measured, problem.sd, np.nan), est, se, adj, z, alpha, float(total_chi2), int(total_dof),
                  chi2_crit, float(_stats().chi2.sf(total_chi2, total_dof)) if total_dof else 1.0, z_crit,
                  components, nodal, problems)


def _sidak(alpha: float, tests: int) -> float:
    """Two-sided standard-normal critical value for `tests` tests at family level alpha (Sidak)."""
    if tests <= 0:
        return float(_stats().norm.isf(alpha / 2))
    beta = -math.expm1(math.log1p(-alpha) / tests)   # 1 - (1 - alpha) ** (1 / tests), accurately
    return float(_stats().norm.isf(beta / 2))


def _tol(problem: Problem, r: int, fixed_value: np.ndarray) -> float:
    """The size below which the sum of the fixed terms of balance r counts as zero."""
    row = problem.matrix.getrow(r)
    terms = np.abs(row.data * fixed_value[row.indices]) if row.nnz else np.zeros(0)
    terms = terms[np.isfinite(terms)]
    return 1e-9 * max(1.0, abs(float(problem.constant[r])), float(terms.max()) if terms.size else 0.0)


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
    with threadpool_limits(limits=1, user_api="blas") if r > factor.DENSE_FIRST else contextlib.nullcontext():
        solver = factor._SPD(S)
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
