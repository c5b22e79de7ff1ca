"""The reconciliation solver: small networks solved by hand, degenerate systems, and random networks
checked against the closed-form projection solution and against cvxpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg as sl

from oretrace.reconcile import factor
from oretrace.reconcile.solver import (ADJUSTED, DETERMINED, FIXED, NOT_DETERMINABLE, NOT_REDUNDANT, Balance,
                                       Problem, ProblemError, Quantity, node, reconcile, solve)


# ------------------------------------------------------------------ solved by hand
def test_one_node_three_measurements_by_hand():
    # in 10 +- 1, out 6 +- 1 and 3 +- 1: the residual 1 is shared equally (equal variances)
    r = solve([Quantity("a", 10, 1), Quantity("b", 6, 1), Quantity("c", 3, 1)], [node("N", ["a"], ["b", "c"])])
    a, b, c = (r.estimate(q) for q in "abc")
    assert a.value == pytest.approx(10 - 1 / 3) and b.value == pytest.approx(6 + 1 / 3) and c.value == pytest.approx(3 + 1 / 3)
    for e in (a, b, c):
        assert e.status == ADJUSTED
        assert e.se == pytest.approx(math.sqrt(2 / 3))          # 1 - 1/3
        assert e.z == pytest.approx((1 / 3) / math.sqrt(1 / 3))  # |adjustment| / sd(adjustment)
    assert r.dof == 1 and r.chi2 == pytest.approx(1 / 3)
    assert r.passed and r.flagged == []
    assert a.value - b.value - c.value == pytest.approx(0)


def test_unequal_uncertainties_move_the_weaker_figure():
    # production 40 +- 1, exports 30 +- 1, domestic use 5 +- 4: the 5 t residual goes mostly to domestic use
    r = solve([Quantity("p", 40, 1), Quantity("x", 30, 1), Quantity("d", 5, 4)], [node("FR", ["p"], ["x", "d"])])
    s = 1 + 1 + 16
    assert r.estimate("d").value == pytest.approx(5 + 5 * 16 / s)
    assert r.estimate("p").value == pytest.approx(40 - 5 * 1 / s)
    assert r.estimate("d").se == pytest.approx(math.sqrt(16 - 16 ** 2 / s))
    assert r.chi2 == pytest.approx(25 / s)


def test_gross_error_is_named():
    # a -> N1 -> b -> N2 -> c, all 10 t uncertain; b is 50 t off: all come out at the mean 116.67
    r = solve([Quantity("a", 100, 10), Quantity("b", 150, 10), Quantity("c", 100, 10)],
              [node("N1", ["a"], ["b"]), node("N2", ["b"], ["c"])])
    for q in "abc":
        assert r.estimate(q).value == pytest.approx(350 / 3)
        assert r.estimate(q).se == pytest.approx(10 / math.sqrt(3))
    assert r.chi2 == pytest.approx(50 / 3) and r.dof == 2 and not r.passed
    assert r.chi2_critical == pytest.approx(5.991464547)
    # normalised adjustments: b 33.3 / (10 sqrt(2/3)) = 4.08; a and c 2.04
    assert r.estimate("b").z == pytest.approx(100 / 3 / (10 * math.sqrt(2 / 3)))
    assert r.flagged == ["b"]
    assert [e.id for e in r.least_consistent()][0] == "b"
    # the nodal test flags both balances (each off by 50 with sd 10 sqrt 2)
    assert all(t.z == pytest.approx(50 / (10 * math.sqrt(2))) for t in r.nodal)


def test_undeterminable_flow_and_not_redundant_measurements():
    # France: production and exports measured, domestic use and stock change both unknown:
    # only their sum is fixed, so neither is determinable; nothing is adjusted
    r = solve([Quantity("p", 40, 2), Quantity("x", 30, 1.5), Quantity("d"), Quantity("s")],
              [node("FR", ["p"], ["x", "d"], stock_change="s")])
    assert r.not_determinable == ["d", "s"]
    assert r.not_redundant == ["p", "x"]
    assert r.estimate("p").value == 40 and r.estimate("p").se == 2
    assert r.dof == 0 and r.passed
    assert r.estimate("d").value is None and r.estimate("d").se is None


def test_determinable_unmeasured_flow_by_hand():
    r = solve([Quantity("p", 22, 3), Quantity("x", 16, 1), Quantity("use")], [node("BE", ["p"], ["x", "use"])])
    u = r.estimate("use")
    assert u.status == DETERMINED and u.value == pytest.approx(6) and u.se == pytest.approx(math.sqrt(10))


def test_loop_of_unmeasured_flows_is_not_determinable_but_the_rest_reconciles():
    # N1 <-> N2 through two unmeasured flows (a loop); in and out of the pair measured
    qs = [Quantity("in", 100, 5), Quantity("out", 90, 5), Quantity("u12"), Quantity("u21"), Quantity("side", 4, 1)]
    bs = [node("N1", ["in", "u21"], ["u12"]), node("N2", ["u12"], ["u21", "out", "side"])]
    r = solve(qs, bs)
    assert set(r.not_determinable) == {"u12", "u21"}
    # the pair's balance: in = out + side, 100 vs 94: residual 6 over variance 51
    assert r.dof == 1 and r.chi2 == pytest.approx(36 / 51)
    assert r.estimate("in").value == pytest.approx(100 - 6 * 25 / 51)
    assert r.estimate("side").value == pytest.approx(4 + 6 / 51)


def test_chain_of_unmeasured_flows_is_determined_through_the_tree():
    # m1 -> A -u1-> B -u2-> C -> m2, with a measured side outflow at B: u1, u2 determined
    qs = [Quantity("m1", 50, 2), Quantity("u1"), Quantity("u2"), Quantity("side", 10, 1), Quantity("m2", 41, 2)]
    bs = [node("A", ["m1"], ["u1"]), node("B", ["u1"], ["u2", "side"]), node("C", ["u2"], ["m2"])]
    r = solve(qs, bs)
    # one reduced balance: m1 = side + m2 (50 vs 51)
    s = 4 + 1 + 4
    m1 = 50 + 1 * 4 / s
    assert r.estimate("m1").value == pytest.approx(m1)
    assert r.estimate("u1").value == pytest.approx(m1)
    assert r.estimate("u2").value == pytest.approx(r.estimate("m2").value)
    assert r.estimate("u1").se == pytest.approx(r.estimate("m1").se)
    assert r.estimate("u2").status == DETERMINED


def test_fixed_quantity_and_a_balance_that_cannot_hold():
    qs = [Quantity("p", 10, 0), Quantity("x", 7, 0), Quantity("free", 2, 1)]
    bs = [node("fixed-only", ["p"], ["x"]), node("with-free", ["p"], ["free"])]
    r = solve(qs, bs)
    assert r.estimate("p").status == FIXED
    assert any("fixed-only" in p and "cannot hold" in p for p in r.problems)
    # the other balance: free = p = 10 exactly
    assert r.estimate("free").value == pytest.approx(10) and r.estimate("free").se == pytest.approx(0, abs=1e-12)


def test_closed_loop_of_measured_flows():
    # a ring of three nodes with no exchange outside: one balance is implied by the two others
    qs = [Quantity("ab", 10, 1), Quantity("bc", 12, 1), Quantity("ca", 11, 1)]
    bs = [node("A", ["ca"], ["ab"]), node("B", ["ab"], ["bc"]), node("C", ["bc"], ["ca"])]
    r = solve(qs, bs)
    assert r.dof == 2
    for q in ("ab", "bc", "ca"):
        assert r.estimate(q).value == pytest.approx(11)


def test_degenerate_inputs_do_not_crash():
    assert solve([], []).dof == 0
    r = solve([Quantity("alone", 3, 1), Quantity("nothing")], [])
    assert r.estimate("alone").status == NOT_REDUNDANT and r.estimate("nothing").status == NOT_DETERMINABLE
    # only unmeasured flows
    r = solve([Quantity("u"), Quantity("v")], [node("N", ["u"], ["v"])])
    assert r.not_determinable == ["u", "v"] and r.dof == 0
    # a balance without terms
    r = solve([Quantity("a", 1, 1)], [Balance("empty", ()), Balance("const", (), 2.0)])
    assert any("const" in p for p in r.problems) and not any("'empty'" in p for p in r.problems)
    # a quantity on both sides of one balance cancels out
    r = solve([Quantity("a", 1, 1)], [node("N", ["a"], ["a"])])
    assert r.estimate("a").status == NOT_REDUNDANT
    # wildly different scales
    r = solve([Quantity("a", 1e9, 1e-3), Quantity("b", 1e9 + 1, 1e6)], [node("N", ["a"], ["b"])])
    assert r.estimate("b").value == pytest.approx(1e9, rel=1e-12)


@pytest.mark.parametrize("qs, bs, message", [
    ([Quantity("a", 1, -1)], [], "standard uncertainty -1"),
    ([Quantity("a", 1)], [], "no standard uncertainty"),
    ([Quantity("a", None, 1)], [], "no value"),
    ([Quantity("a", float("nan"), 1)], [], "not a finite number"),
    ([Quantity("a", 1, 1), Quantity("a", 2, 1)], [], "given twice"),
    ([Quantity("a", 1, 1)], [node("N", ["a"], ["b"])], "names quantity 'b'"),
    ([Quantity("a", 1, 1)], [node("N", ["a"]), node("N", ["a"])], "balance 'N' is given twice"),
])
def test_bad_input_is_refused_with_a_reason(qs, bs, message):
    with pytest.raises(ProblemError, match=message):
        solve(qs, bs)


def test_general_coefficients_share_constraint():
    # EU exports unknown; France's exports are 46 % of them, Belgium's 24 %: two estimates of the whole
    qs = [Quantity("fr", 30, 1.5), Quantity("be", 16, 0.8), Quantity("eu")]
    bs = [Balance("fr-share", (("fr", 1.0), ("eu", -0.46))), Balance("be-share", (("be", 1.0), ("eu", -0.24)))]
    r = solve(qs, bs)
    assert r.components[0].method == "general"
    ref = closed_form(Problem.build(qs, bs))
    assert r.estimate("fr").value == pytest.approx(ref["x"][0])
    assert r.estimate("eu").value == pytest.approx(ref["y"][0])
    assert r.estimate("eu").se == pytest.approx(math.sqrt(ref["var_y"][0]))
    assert r.dof == 1 and r.chi2 == pytest.approx(ref["chi2"])
    eu = r.estimate("eu").value
    assert r.estimate("fr").value == pytest.approx(0.46 * eu) and r.estimate("be").value == pytest.approx(0.24 * eu)


# ------------------------------------------------------------------ independent checks
def closed_form(p: Problem) -> dict:
    """The textbook projection solution (Crowe 1983) with dense matrices, written independently of
    the solver: P spans the left null space of B, x = m - Q A'P'(PAQA'P')^+ P(Am + c)."""
    M = p.matrix.toarray()
    meas = ~np.isnan(p.value)
    A, B = M[:, meas], M[:, ~meas]
    m, Q = p.value[meas], np.diag(p.sd[meas] ** 2)
    c = p.constant
    P = sl.null_space(B.T).T if B.shape[1] else np.eye(M.shape[0])
    PA = P @ A
    S = PA @ Q @ PA.T
    Sp = np.linalg.pinv(S, rcond=1e-10, hermitian=True)
    r = P @ (A @ m + c)
    x = m - Q @ PA.T @ Sp @ r
    cov_x = Q - Q @ PA.T @ Sp @ PA @ Q
    out = {"x": x, "var_x": np.diag(cov_x), "chi2": float(r @ Sp @ r), "dof": int(np.linalg.matrix_rank(PA)),
           "determinable": np.zeros(0, bool), "y": np.zeros(0), "var_y": np.zeros(0)}
    if B.shape[1]:
        N = sl.null_space(B)
        det = np.linalg.norm(N, axis=1) < 1e-8 if N.size else np.ones(B.shape[1], bool)
        Bp = np.linalg.pinv(B, rcond=1e-10)
        y = -Bp @ (A @ x + c)
        cov_y = Bp @ A @ cov_x @ A.T @ Bp.T
        out.update(determinable=det, y=y, var_y=np.diag(cov_y))
    return out


def random_network(rng, nodes: int, flows: int, unmeasured: float, general: bool = False, error: float = 0.0):
    """A connected random network: a spanning tree plus random flows, some to and from outside;
    true flows balanced, measurements noisy. With `general`, some coefficients are not +-1."""
    ends = []
    for v in range(1, nodes):
        ends.append((int(rng.integers(0, v)), v))
    while len(ends) < flows:
        a, b = (int(x) for x in rng.integers(-1, nodes, 2))  # -1: outside
        if a != b:
            ends.append((a, b))
    ends = [(a, b) if rng.random() < 0.5 else (b, a) for a, b in ends]
    nf = len(ends)
    coef_out = np.ones(nf)
    if general:
        coef_out = np.where(rng.random(nf) < 0.3, rng.uniform(0.5, 2.0, nf), 1.0)
    # true values: random flows, then one extra outside flow per node to close its balance
    true = list(rng.uniform(10, 100, nf))
    bal = np.zeros(nodes)
    for i, (a, b) in enumerate(ends):
        if a >= 0:
            bal[a] -= coef_out[i] * true[i]
        if b >= 0:
            bal[b] += true[i]
    coef_out = list(coef_out)
    for v in range(nodes):
        if bal[v] > 0:
            ends.append((v, -1))
        else:
            ends.append((-1, v))
        coef_out.append(1.0)
        true.append(abs(bal[v]))
    true = np.asarray(true)
    qs, terms = [], [[] for _ in range(nodes)]
    for i, ((a, b), t) in enumerate(zip(ends, true)):
        qid = f"f{i}"
        if rng.random() < unmeasured:
            qs.append(Quantity(qid))
        else:
            sd = float(t * rng.uniform(0.02, 0.15))
            qs.append(Quantity(qid, float(t + rng.normal(0, sd)), sd))
        if a >= 0:
            terms[a].append((qid, -float(coef_out[i])))
        if b >= 0:
            terms[b].append((qid, 1.0))
    if error:
        i = next(k for k, q in enumerate(qs) if q.value is not None and q.sd > 5)
        qs[i] = Quantity(qs[i].id, qs[i].value + error * qs[i].sd, qs[i].sd)
    return qs, [Balance(f"n{v}", tuple(t)) for v, t in enumerate(terms)]


def _compare(res, ref, p):
    meas = ~np.isnan(p.value)
    xi = np.flatnonzero(meas)
    np.testing.assert_allclose(res.value[xi], ref["x"], rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(res.se[xi] ** 2, ref["var_x"], rtol=1e-6, atol=1e-8)
    assert res.dof == ref["dof"]
    assert res.chi2 == pytest.approx(ref["chi2"], rel=1e-7, abs=1e-9)
    yi = np.flatnonzero(~meas)
    det = ref["determinable"]
    assert [res.status[i] == DETERMINED for i in yi] == list(det)
    np.testing.assert_allclose(res.value[yi[det]], ref["y"][det], rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(res.se[yi[det]] ** 2, ref["var_y"][det], rtol=1e-6, atol=1e-6)
    # measured quantities not redundant exactly where the closed form leaves them unchanged
    unchanged = np.isclose(ref["var_x"], p.sd[meas] ** 2, rtol=1e-10, atol=0)
    assert [res.status[i] == NOT_REDUNDANT for i in xi] == list(unchanged)


@pytest.mark.parametrize("seed", range(12))
def test_random_networks_match_the_closed_form(seed):
    rng = np.random.default_rng(seed)
    qs, bs = random_network(rng, nodes=int(rng.integers(3, 25)), flows=int(rng.integers(5, 60)),
                            unmeasured=float(rng.uniform(0.0, 0.6)))
    p = Problem.build(qs, bs)
    res = reconcile(p)
    assert all(c.method == "network" for c in res.components)
    _compare(res, closed_form(p), p)


@pytest.mark.parametrize("seed", range(6))
def test_random_general_systems_match_the_closed_form(seed):
    rng = np.random.default_rng(100 + seed)
    qs, bs = random_network(rng, nodes=int(rng.integers(3, 15)), flows=int(rng.integers(5, 35)),
                            unmeasured=float(rng.uniform(0.0, 0.5)), general=True)
    p = Problem.build(qs, bs)
    res = reconcile(p)
    assert any(c.method == "general" for c in res.components)
    _compare(res, closed_form(p), p)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("selected", [3e7, 0], ids=["selected-inverse", "solves"])
def test_sparse_factorisation_path_matches_the_closed_form(seed, selected, monkeypatch):
    # the sparse LU factor, with the variances from Takahashi's selected inverse or from solves
    monkeypatch.setattr(factor, "DENSE_FIRST", 2)
    monkeypatch.setattr(factor, "SPARSE_FILL", 1.0)
    monkeypatch.setattr(factor, "SELECTED_MAX_PAIRS", selected)
    built = []
    real = factor._SelectedInverse.of
    monkeypatch.setattr(factor._SelectedInverse, "of", classmethod(lambda cls, lu: built.append(1) or real(lu)))
    rng = np.random.default_rng(200 + seed)
    qs, bs = random_network(rng, nodes=30, flows=80, unmeasured=0.3)
    p = Problem.build(qs, bs)
    _compare(reconcile(p), closed_form(p), p)
    assert built   # the sparse path ran


def test_gross_error_in_a_random_network_is_named_first():
    # a 25-sd error on the most redundant measurement of a clean random network
    rng = np.random.default_rng(7)
    qs, bs = random_network(rng, nodes=20, flows=70, unmeasured=0.1)
    clean = solve(qs, bs)
    assert clean.passed and clean.flagged == []
    meas = [i for i, q in enumerate(qs) if q.value is not None]
    ratio = {i: 1 - (clean.se[i] / qs[i].sd) ** 2 for i in meas}   # the share of its variance the balances remove
    i = max(meas, key=ratio.get)
    qs[i] = Quantity(qs[i].id, qs[i].value + 25 * qs[i].sd, qs[i].sd)
    r = solve(qs, bs)
    assert not r.passed
    assert r.least_consistent(1)[0].id == qs[i].id
    assert r.flagged[0] == qs[i].id


@pytest.mark.parametrize("seed", range(4))
def test_random_networks_match_cvxpy(seed):
    cp = pytest.importorskip("cvxpy")
    rng = np.random.default_rng(300 + seed)
    qs, bs = random_network(rng, nodes=int(rng.integers(4, 20)), flows=int(rng.integers(10, 50)),
                            unmeasured=0.25, general=seed % 2 == 1)
    p = Problem.build(qs, bs)
    res = reconcile(p)
    M = p.matrix.toarray()
    meas = ~np.isnan(p.value)
    x = cp.Variable(int(meas.sum()))
    y = cp.Variable(int((~meas).sum()))
    cons = [M[:, meas] @ x + (M[:, ~meas] @ y if (~meas).any() else 0) + p.constant == 0]
    cp.Problem(cp.Minimize(cp.sum_squares(cp.multiply(1 / p.sd[meas], x - p.value[meas]))), cons).solve(solver=cp.CLARABEL)
    np.testing.assert_allclose(res.value[meas], x.value, rtol=1e-5, atol=1e-4)
    det = [i for i, s in enumerate(np.array(res.status)[~meas]) if s == DETERMINED]
    np.testing.assert_allclose(res.value[np.flatnonzero(~meas)[det]], y.value[det], rtol=1e-5, atol=1e-3)
    chi2 = float(np.sum(((x.value - p.value[meas]) / p.sd[meas]) ** 2))
    assert res.chi2 == pytest.approx(chi2, rel=1e-5)
