"""skreg.ot quadratic_ot and sparsity_constrained_ot: against cvxpy and exact OT, limits in
epsilon, sparsity, invariances, errors."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from skreg.ot import _quadratic
from skreg.ot._quadratic import quadratic_ot, sparsity_constrained_ot
from skreg.reference._ot import quadratic_ot as reference_quadratic_ot

ot = pytest.importorskip("ot")

FORMULATIONS = ["dual", "semi-dual"]


def _clouds(n=40, m=30, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = 0.8 * rng.standard_normal((m, d)) + 1.0
    a = rng.uniform(0.5, 1.5, n)
    b = rng.uniform(0.5, 1.5, m)
    return X, Y, a / a.sum(), b / b.sum()


def _sqdist(X, Y):
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)


def _primal(P, C, eps):
    return np.sum(P * C) + 0.5 * eps * np.sum(P * P)


@pytest.fixture(scope="module")
def reference_problems():
    """Two small problems and their cvxpy (Clarabel) plans: a sparse and a denser one."""
    out = []
    for (n, m, seed), eps in [((20, 30, 0), 0.05), ((40, 25, 1), 2.0)]:
        X, Y, a, b = _clouds(n, m, seed=seed)
        C = _sqdist(X, Y)
        out.append((a, b, C, eps, reference_quadratic_ot(a, b, C, eps)))
    return out


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_matches_cvxpy_reference(reference_problems, formulation):
    for a, b, C, eps, P_ref in reference_problems:
        # the reference is polished onto its support: exact zeros, marginals to ~1e-15
        assert np.abs(P_ref.sum(1) - a).sum() < 1e-11
        res = quadratic_ot(a, b, C, eps, formulation=formulation, tol=1e-11, max_iter=5000)
        assert res.converged, (res.marginal_error_a, res.marginal_error_b)
        assert res.method == "quadratic-" + formulation
        np.testing.assert_allclose(res.plan, P_ref, rtol=0, atol=1e-9)
        ref_obj = _primal(P_ref, C, eps)
        assert abs(res.objective - ref_obj) <= 1e-9 * ref_obj
        np.testing.assert_allclose(res.objective, _primal(res.plan, C, eps), rtol=1e-14)
        np.testing.assert_allclose(res.cost, np.sum(res.plan * C), rtol=1e-14)
        # same support: the zeros of the plan are exact zeros, the same as the reference's
        np.testing.assert_array_equal(res.plan > 0, P_ref > 0)
        assert (P_ref > 0).mean() < 0.5
        # the plan is [f + g - C]_+ / eps
        T = res.f[:, None] + res.g[None, :] - C
        np.testing.assert_allclose(res.plan, np.maximum(T, 0) / eps, rtol=0, atol=1e-12)


@pytest.mark.filterwarnings("ignore:.*`disp` and `iprint`:DeprecationWarning")  # POT's call
@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_matches_pot_smooth_ot(formulation):
    # POT's L-BFGS solvers of the same duals (reg_type="l2": (eps / 2) ||P||^2) stop at
    # marginal errors of ~1e-7: agreement up to that
    X, Y, a, b = _clouds(n=30, m=25, seed=11)
    C = _sqdist(X, Y)
    eps = 0.2
    pot_solver = (ot.smooth.smooth_ot_dual if formulation == "dual"
                  else ot.smooth.smooth_ot_semi_dual)
    with threadpool_limits(limits=1, user_api="blas"):  # small BLAS calls: threads cost
        P_pot = pot_solver(a, b, C, eps, reg_type="l2", stopThr=1e-15, numItermax=10_000)
    pot_err = np.abs(P_pot.sum(1) - a).sum() + np.abs(P_pot.sum(0) - b).sum()
    res = quadratic_ot(a, b, C, eps, formulation=formulation, tol=1e-12, max_iter=5000)
    assert res.converged
    assert np.abs(res.plan - P_pot).max() <= max(10 * pot_err, 1e-12)
    assert np.abs(res.plan - P_pot).max() <= 1e-5


def test_formulations_agree_and_points_equal_the_matrix():
    X, Y, a, b = _clouds(n=50, m=35, d=3, seed=2)
    C = _sqdist(X, Y)
    eps = 0.5
    dual = quadratic_ot(a, b, (X, Y), eps, formulation="dual", tol=1e-12, max_iter=5000)
    semi = quadratic_ot(a, b, C, eps, formulation="semi-dual", tol=1e-12, max_iter=5000)
    assert dual.converged and semi.converged
    np.testing.assert_allclose(dual.plan, semi.plan, rtol=0, atol=1e-12)
    # potentials up to a constant on the support's (connected) graph
    shift = np.mean(dual.f - semi.f)
    np.testing.assert_allclose(dual.f - shift, semi.f, atol=1e-10)
    np.testing.assert_allclose(dual.g + shift, semi.g, atol=1e-10)
    # the semi-dual's columns are exact
    assert semi.marginal_error_b <= 1e-14


@pytest.mark.parametrize("formulation", FORMULATIONS)
@pytest.mark.parametrize("tol", [1e-4, 1e-9])
def test_marginals_within_tol_at_any_mass(formulation, tol):
    X, Y, a, b = _clouds(seed=3)
    mass = 3.0
    res = quadratic_ot(mass * a, mass * b, (X, Y), 0.3, formulation=formulation, tol=tol,
                       max_iter=5000)
    assert res.converged
    err_a = np.abs(res.plan.sum(1) - mass * a).sum()
    err_b = np.abs(res.plan.sum(0) - mass * b).sum()
    assert max(err_a, err_b) <= tol * mass
    np.testing.assert_allclose([res.marginal_error_a, res.marginal_error_b], [err_a, err_b],
                               rtol=1e-6, atol=1e-15)
    assert np.all(res.plan >= 0)


def test_sparse_plan_at_small_epsilon_and_dense_entropic_plan():
    X, Y, a, b = _clouds(n=60, m=50, seed=4)
    C = _sqdist(X, Y)
    res = quadratic_ot(a, b, C, 0.05, tol=1e-9, max_iter=5000)
    assert res.converged
    nnz = np.count_nonzero(res.plan)
    # a vertex of the transport polytope has at most n + m - 1 nonzeros: the quadratic plan
    # is close to that, far from the n m of the entropic plan
    assert nnz <= 2 * (60 + 50)
    assert np.count_nonzero(res.plan == 0.0) >= 0.9 * res.plan.size


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_small_epsilon_approaches_exact_ot(formulation):
    # <P_eps, C> <= emd + (eps / 2) ||P_emd||^2; here (unique optimal plan) small epsilons
    # give the exact plan itself (exact regularization of linear programs)
    X, Y, a, b = _clouds(n=30, m=25, seed=0)
    C = _sqdist(X, Y)
    P_emd = ot.emd(a, b, C)
    emd = np.sum(P_emd * C)
    gaps = []
    for eps in (3.0, 0.3, 1e-3):
        res = quadratic_ot(a, b, C, eps, formulation=formulation, tol=1e-10, max_iter=20_000)
        assert res.converged
        bound = 0.5 * eps * np.sum(P_emd ** 2)
        assert emd - 1e-9 * emd <= res.cost <= emd + bound + 1e-9 * emd
        gaps.append(res.cost - emd)
    assert gaps[0] > 100 * gaps[1] > 1e-4 * emd
    assert abs(gaps[2]) <= 1e-9 * emd
    np.testing.assert_allclose(res.plan, P_emd, rtol=0, atol=1e-9)


def test_large_epsilon_gives_the_dense_closed_form():
    # when it is positive, P = a/m + b/n - mass/(n m) - Pi(C) / eps is the exact solution
    # (Pi: projection onto the matrices with zero row and column sums); with uniform weights
    # it tends to the independent coupling a b^T
    X, Y, a, b = _clouds(n=30, m=20, seed=5)
    C = _sqdist(X, Y)
    n, m = C.shape
    piC = C - C.mean(1, keepdims=True) - C.mean(0, keepdims=True) + C.mean()
    for wa, wb in [(a, b), (np.full(n, 1 / n), np.full(m, 1 / m))]:
        P_inf = wa[:, None] / m + wb[None, :] / n - 1.0 / (n * m)
        eps = 10 * np.abs(piC).max() / P_inf.min()
        res = quadratic_ot(wa, wb, C, eps, tol=1e-12)
        assert res.converged and np.all(res.plan > 0)
        np.testing.assert_allclose(res.plan, P_inf - piC / eps, rtol=1e-9, atol=0)
        assert np.abs(res.plan - P_inf).max() <= 0.1 * P_inf.min()
    np.testing.assert_allclose(P_inf, np.outer(wa, wb), rtol=1e-12)


def test_sparsity_constrained_columns_have_at_most_k_nonzeros():
    X, Y, a, b = _clouds(n=40, m=30, seed=6)
    C = _sqdist(X, Y)
    eps = 5.0
    free = quadratic_ot(a, b, C, eps, tol=1e-10)
    assert (free.plan > 0).sum(0).max() == 6
    errors = []
    for k in (1, 2, 3, 5):
        res = sparsity_constrained_ot(a, b, C, eps, k, tol=1e-8)
        assert res.method == "sparsity-constrained"
        assert (res.plan > 0).sum(0).max() <= k
        np.testing.assert_allclose(res.plan.sum(0), b, rtol=1e-13)
        assert res.marginal_error_b <= 1e-14
        assert np.all(res.plan >= 0)
        np.testing.assert_allclose(res.marginal_error_a, np.abs(res.plan.sum(1) - a).sum())
        # each column is the projection onto the simplex of its kept entries
        T = res.f[:, None] + res.g[None, :] - C
        np.testing.assert_allclose(res.plan[res.plan > 0], T[res.plan > 0] / eps, atol=1e-12)
        errors.append(res.marginal_error_a)
    # the cardinality constraint is not convex: for small k the plan from the semi-dual only
    # approximately meets the row marginals (k = 1 puts 30 columns on at most 30 of 40 rows)
    assert errors[0] > errors[1] > errors[2] > 1e-3
    assert res.converged and errors[3] <= 1e-8
    # k = 5 < 6: a feasible plan, sparser than and not as good as the unconstrained one
    assert res.objective > free.objective + 1e-6


def test_sparsity_constrained_with_large_k_equals_quadratic_ot():
    X, Y, a, b = _clouds(n=35, m=30, seed=7)
    C = _sqdist(X, Y)
    eps = 2.0
    free = quadratic_ot(a, b, C, eps, tol=1e-11, max_iter=5000)
    k_free = int((free.plan > 0).sum(0).max())
    assert 1 < k_free < 35
    for k in (35, k_free):  # no constraint, and the largest column support of the solution
        res = sparsity_constrained_ot(a, b, C, eps, k, tol=1e-11, max_iter=5000)
        assert res.converged
        np.testing.assert_allclose(res.plan, free.plan, rtol=0, atol=1e-11)
        np.testing.assert_allclose(res.objective, free.objective, rtol=1e-10)
    # one less than needed: a different (sparser) plan
    res = sparsity_constrained_ot(a, b, C, eps, k_free - 1, tol=1e-11)
    assert (res.plan > 0).sum(0).max() <= k_free - 1
    assert np.abs(res.plan - free.plan).max() > 1e-6


@pytest.mark.parametrize("n, seed", [(8, 0), (30, 1), (60, 2)])
def test_sparsity_constrained_k1_uniform_square_is_exact_ot(n, seed):
    X, Y, _, _ = _clouds(n=n, m=n, seed=seed)
    C = _sqdist(X, Y)
    u = np.full(n, 1.0 / n)
    P_emd = ot.emd(u, u, C)
    for eps in (1e-3, 1.0, 1e3):  # the k = 1 plan does not depend on epsilon
        res = sparsity_constrained_ot(None, None, C, eps, 1)
        assert res.converged
        np.testing.assert_array_equal(res.plan * n, np.round(res.plan * n))
        np.testing.assert_allclose(res.plan, P_emd, rtol=0, atol=1e-15)
        np.testing.assert_allclose(res.cost, np.sum(P_emd * C), rtol=1e-12)
    # a permutation matrix over n
    np.testing.assert_array_equal(np.sort((res.plan * n).sum(0)), np.ones(n))
    np.testing.assert_array_equal((res.plan > 0).sum(1), np.ones(n))


def test_sparsity_constrained_spreads_ties():
    # a cost made of ties: the columns' choices among tied rows are spread over the rows
    # (the first rows of every column would give an infeasible plan at the optimum)
    res = sparsity_constrained_ot(None, None, np.zeros((5, 5)), 1.0, 1)
    assert res.converged
    np.testing.assert_array_equal(res.plan * 5, np.eye(5))
    res = sparsity_constrained_ot(None, None, 1.0 - np.eye(4), 1.0, 1)  # the identity
    np.testing.assert_array_equal(res.plan * 4, np.eye(4))
    res = sparsity_constrained_ot(None, None, np.eye(4), 1.0, 1)  # a derangement
    assert res.converged and np.all(np.diag(res.plan) == 0)
    res = sparsity_constrained_ot(None, None, np.zeros((4, 6)), 1.0, 2)
    assert res.converged and (res.plan > 0).sum(0).max() <= 2


@pytest.mark.parametrize("solver", ["dual", "semi-dual", "sparse"])
def test_invariant_to_a_constant_added_to_the_cost(solver):
    X, Y, a, b = _clouds(seed=8)
    C = _sqdist(X, Y)
    eps = 0.5

    def solve(cost):
        if solver == "sparse":
            return sparsity_constrained_ot(a, b, cost, eps, 3, tol=1e-11)
        return quadratic_ot(a, b, cost, eps, formulation=solver, tol=1e-11, max_iter=5000)

    r1, r2 = solve(C), solve(C + 7.5)
    np.testing.assert_allclose(r2.plan, r1.plan, rtol=0, atol=1e-10)
    np.testing.assert_allclose(r2.cost, r1.cost + 7.5, rtol=1e-9)
    np.testing.assert_array_equal(r2.plan > 1e-9, r1.plan > 1e-9)


def test_zero_mass_points_get_empty_rows_and_columns():
    X, Y, a, b = _clouds(seed=9)
    a, b = a.copy(), b.copy()
    a[[3, 7]] = 0.0
    b[5] = 0.0
    a /= a.sum()
    b /= b.sum()
    C = _sqdist(X, Y)
    eps = 0.5
    keep_a, keep_b = np.flatnonzero(a), np.flatnonzero(b)
    sub = quadratic_ot(a[keep_a], b[keep_b], C[np.ix_(keep_a, keep_b)], eps, tol=1e-11)
    P_ref = reference_quadratic_ot(a, b, C, eps)
    np.testing.assert_allclose(sub.plan, P_ref[np.ix_(keep_a, keep_b)], atol=1e-10)
    for formulation in FORMULATIONS:
        res = quadratic_ot(a, b, C, eps, formulation=formulation, tol=1e-11)
        assert res.converged
        assert np.all(res.plan[[3, 7]] == 0.0) and np.all(res.plan[:, 5] == 0.0)
        np.testing.assert_allclose(res.plan[np.ix_(keep_a, keep_b)], sub.plan, atol=1e-12)
        assert np.all(np.isfinite(res.f)) and np.all(np.isfinite(res.g))
        # their potentials keep their row / column empty: [f + g - C]_+ = 0 there
        T = res.f[:, None] + res.g[None, :] - C
        assert np.all(T[[3, 7]] <= 1e-12) and np.all(T[:, 5] <= 1e-12)


@pytest.mark.parametrize("k", [None, 45, 2, 40])
def test_parallel_kernels_equal_the_serial_ones(k, monkeypatch):
    # problems below _PARALLEL_MIN entries run the serial kernels: force the parallel ones
    # (k=None: the dual; 45: the semi-dual; 2 and 40: top-k by insertion and by sorting)
    X, Y, a, b = _clouds(n=45, m=38, seed=12)
    C = _sqdist(X, Y)
    C -= C.min()
    rng = np.random.default_rng(0)

    def evaluate():
        with _quadratic._threads():
            if k is None:
                oracle = _quadratic._DualOracle(C.copy(), a, b, 0.5)
            else:
                oracle = _quadratic._SemiDualOracle(C.copy(), a, b, 0.5, k)
            y = 0.1 * rng.standard_normal(oracle.n_var)
            out = [oracle(y), oracle(2 * y)]
            oracle.absorb(y)
            out.append(oracle(-y))
            return out, oracle.solution()

    state = rng.bit_generator.state
    serial, serial_solution = evaluate()
    rng.bit_generator.state = state
    monkeypatch.setattr(_quadratic, "_PARALLEL_MIN", 0)
    parallel, parallel_solution = evaluate()
    for (v1, g1, e1), (v2, g2, e2) in zip(serial, parallel):
        np.testing.assert_allclose(v2, v1, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g2, g1, rtol=0, atol=1e-14)
        np.testing.assert_allclose(e2, e1, rtol=1e-12)
    for s1, s2 in zip(serial_solution, parallel_solution):
        np.testing.assert_allclose(s2, s1, rtol=0, atol=1e-14)


def test_non_convergence_is_reported():
    X, Y, a, b = _clouds(seed=10)
    res = quadratic_ot(a, b, (X, Y), 0.01, tol=1e-12, max_iter=5)
    assert not res.converged
    assert res.n_iter == 5
    assert max(res.marginal_error_a, res.marginal_error_b) > 1e-12


def test_user_arrays_untouched_and_read_only():
    X, Y, a, b = _clouds()
    C = _sqdist(X, Y)
    for arr in (a, b, C, X, Y):
        arr.setflags(write=False)
    copies = [arr.copy() for arr in (a, b, C, X, Y)]
    quadratic_ot(a, b, C, 0.5, formulation="dual")
    quadratic_ot(a, b, C, 0.5, formulation="semi-dual")
    quadratic_ot(a, b, (X, Y), 0.5)
    sparsity_constrained_ot(a, b, C, 0.5, 2)
    reference_quadratic_ot(a[:10] / a[:10].sum(), b[:8] / b[:8].sum(), C[:10, :8], 0.5)
    for arr, ref in zip((a, b, C, X, Y), copies):
        np.testing.assert_array_equal(arr, ref)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(epsilon=0.0), ValueError, "epsilon"),
    (dict(epsilon=-1.0), ValueError, "epsilon"),
    (dict(epsilon=np.inf), ValueError, "epsilon"),
    (dict(epsilon="1"), TypeError, "epsilon"),
    (dict(formulation="primal"), ValueError, "formulation"),
    (dict(tol=0.0), ValueError, "tol"),
    (dict(max_iter=0), ValueError, "max_iter"),
    (dict(max_iter=10.5), TypeError, "max_iter"),
])
def test_bad_parameters(kwargs, exc, match):
    X, Y, a, b = _clouds()
    params = dict(epsilon=0.1) | kwargs
    with pytest.raises(exc, match=match):
        quadratic_ot(a, b, _sqdist(X, Y), **params)


@pytest.mark.parametrize("k, exc, match", [
    (0, ValueError, "k must be positive"),
    (-2, ValueError, "k must be positive"),
    (41, ValueError, "k must be at most"),
    (2.0, TypeError, "k must be an int"),
    (True, TypeError, "k must be an int"),
    (None, TypeError, "k must be an int"),
])
def test_bad_k(k, exc, match):
    X, Y, a, b = _clouds(n=40)
    with pytest.raises(exc, match=match):
        sparsity_constrained_ot(a, b, _sqdist(X, Y), 0.1, k)


@pytest.mark.parametrize("solve", [
    lambda a, b, C: quadratic_ot(a, b, C, 0.1),
    lambda a, b, C: sparsity_constrained_ot(a, b, C, 0.1, 2),
    lambda a, b, C: reference_quadratic_ot(a, b, C, 0.1),
], ids=["quadratic_ot", "sparsity_constrained_ot", "reference"])
def test_bad_inputs(solve):
    X, Y, a, b = _clouds()
    C = _sqdist(X, Y)
    with pytest.raises(ValueError, match="same total mass"):
        solve(a, 2 * b, C)
    with pytest.raises(ValueError, match="non-negative"):
        solve(-a, b, C)
    with pytest.raises(ValueError, match="entries"):
        solve(a[:-1], b, C)
    C_nan = C.copy()
    C_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        solve(a, b, C_nan)
    with pytest.raises(ValueError, match="columns"):
        solve(a, b, (X, Y[:, :1]))
    with pytest.raises(TypeError, match="complex"):
        solve(a, b, C + 1j)
    with pytest.raises(ValueError, match="2-D"):
        solve(a, b, C[0])


@pytest.mark.parametrize("k", [1, 3, 40])
def test_column_support_when_the_mass_is_below_the_rounding_of_the_scores(k):
    """A column whose candidates all round onto the threshold (``gamma`` far below the
    rounding of ``y - C``): they share the mass, never an empty support (the semi-dual
    divided by the support size, a ZeroDivisionError on a k = 1 problem with tiny eps)."""
    from skreg.ot._quadratic import _column_support

    n = 40
    CT = np.full((3, n), -1e8)
    y = np.zeros(n)
    idx = np.empty(n, np.int64)
    buf = np.empty(min(k, n))
    rho, theta = _column_support(CT, 1, y, 1e-12, k, idx, buf)
    assert rho == min(k, n)
    p = y[idx[:rho]] - CT[1, idx[:rho]] - theta
    assert np.all(np.abs(p) <= 1e-7)  # the mass 1e-12 is below the rounding of 1e8
    # a mass above the rounding gives the exact split
    rho, theta = _column_support(CT, 1, y, 3.0, k, idx, buf)
    assert rho == min(k, n)
    np.testing.assert_allclose(y[idx[:rho]] - CT[1, idx[:rho]] - theta, 3.0 / rho, rtol=1e-6)
