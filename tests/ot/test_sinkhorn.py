"""skreg.ot.sinkhorn: against POT, exact OT, invariances, small epsilon, errors."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skreg.ot import sinkhorn

ot = pytest.importorskip("ot")


def _clouds(n=40, m=30, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = 0.8 * rng.standard_normal((m, d)) + 1.0
    a = rng.uniform(0.5, 1.5, n)
    b = rng.uniform(0.5, 1.5, m)
    return X, Y, a / a.sum(), b / b.sum()


def _sqdist(X, Y):
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)


@pytest.mark.parametrize("method", ["stabilized", "log"])
@pytest.mark.parametrize("scaling", [None, 0.5])
def test_matches_pot_where_pot_converges(method, scaling):
    X, Y, a, b = _clouds()
    C = _sqdist(X, Y)
    eps = 0.1 * np.median(C)
    P_ref, log = ot.sinkhorn(a, b, C, eps, stopThr=1e-13, numItermax=100_000, log=True)
    res = sinkhorn(a, b, C, eps, method=method, tol=1e-12, epsilon_scaling=scaling)
    assert res.converged
    np.testing.assert_allclose(res.plan, P_ref, atol=1e-10, rtol=1e-7)
    # potentials up to a constant: f = eps log u (+c), g = eps log v (-c)
    f_ref, g_ref = eps * np.log(log["u"]), eps * np.log(log["v"])
    shift = np.mean(res.f - f_ref)
    np.testing.assert_allclose(res.f - shift, f_ref, atol=1e-7)
    np.testing.assert_allclose(res.g + shift, g_ref, atol=1e-7)
    np.testing.assert_allclose(res.cost, np.sum(P_ref * C), rtol=1e-8)


@pytest.mark.parametrize("method", ["stabilized", "log"])
def test_points_on_the_fly_equal_the_matrix(method):
    X, Y, a, b = _clouds(d=3)
    C = _sqdist(X, Y)
    eps = 0.05 * np.median(C)
    full = sinkhorn(a, b, C, eps, method=method, tol=1e-11)
    fly = sinkhorn(a, b, (X, Y), eps, method=method, tol=1e-11)
    np.testing.assert_allclose(fly.plan, full.plan, atol=1e-12)
    np.testing.assert_allclose(fly.cost, full.cost, rtol=1e-10)
    np.testing.assert_allclose(fly.plan_rows(5, 9), fly.plan[5:9], atol=1e-14)


@pytest.mark.parametrize("method", ["stabilized", "log"])
def test_small_epsilon_is_close_to_exact_ot(method):
    # at 1e-3 x median cost POT's kernel Sinkhorn underflows; the entropic cost is within
    # eps log(nm) of the exact one
    X, Y, a, b = _clouds(n=60, m=50)
    C = _sqdist(X, Y)
    eps = 1e-3 * np.median(C)
    with np.errstate(all="raise"):
        res = sinkhorn(a, b, C, eps, method=method, tol=1e-8)
    assert res.converged, (res.marginal_error_a, res.marginal_error_b)
    assert res.marginal_error_a <= 1e-8 and res.marginal_error_b <= 1e-8
    exact = ot.emd2(a, b, C)
    assert exact - 1e-10 <= res.cost <= exact + eps * np.log(len(a) * len(b))


@pytest.mark.parametrize("method", ["stabilized", "log"])
def test_no_nan_or_inf_at_tiny_epsilon(method):
    # 1e-4 x median cost: Sinkhorn needs ~1e5+ iterations here, but every iterate is finite
    # and the marginal error keeps decreasing
    X, Y, a, b = _clouds(n=60, m=50)
    C = _sqdist(X, Y)
    eps = 1e-4 * np.median(C)
    errors = []
    for max_iter in (2000, 8000):
        res = sinkhorn(a, b, C, eps, method=method, tol=1e-8, max_iter=max_iter)
        for arr in (res.f, res.g, res.plan):
            assert np.all(np.isfinite(arr))
        assert np.isfinite(res.cost) and np.isfinite(res.objective)
        errors.append(max(res.marginal_error_a, res.marginal_error_b))
    assert errors[1] < errors[0]
    assert res.n_iter == 8000 and not res.converged


def test_invariant_to_a_constant_added_to_the_cost():
    X, Y, a, b = _clouds()
    C = _sqdist(X, Y)
    eps = 0.05 * np.median(C)
    r1 = sinkhorn(a, b, C, eps, tol=1e-11)
    r2 = sinkhorn(a, b, C + 7.5, eps, tol=1e-11)
    np.testing.assert_allclose(r2.plan, r1.plan, atol=1e-12)
    np.testing.assert_allclose(r2.cost, r1.cost + 7.5, rtol=1e-10)


def test_permutation_equivariance():
    X, Y, a, b = _clouds()
    C = _sqdist(X, Y)
    eps = 0.05 * np.median(C)
    rng = np.random.default_rng(1)
    p, q = rng.permutation(len(a)), rng.permutation(len(b))
    r1 = sinkhorn(a, b, C, eps, tol=1e-11)
    r2 = sinkhorn(a[p], b[q], C[np.ix_(p, q)], eps, tol=1e-11)
    np.testing.assert_allclose(r2.plan, r1.plan[np.ix_(p, q)], atol=1e-12)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # POT's 1 / a
def test_zero_mass_points_get_zero_rows_and_finite_potentials():
    X, Y, a, b = _clouds()
    a = a.copy()
    a[[3, 7]] = 0.0
    a /= a.sum()
    C = _sqdist(X, Y)
    eps = 0.1 * np.median(C)
    res = sinkhorn(a, b, C, eps, tol=1e-11)
    P_ref = ot.sinkhorn(a, b, C, eps, stopThr=1e-13, numItermax=100_000)
    np.testing.assert_allclose(res.plan, P_ref, atol=1e-10)
    assert np.all(res.plan[[3, 7]] == 0.0)
    assert np.all(np.isfinite(res.f))


def test_uniform_default_weights_and_warm_start():
    X, Y, _, _ = _clouds()
    C = _sqdist(X, Y)
    eps = 0.02 * np.median(C)
    cold = sinkhorn(None, None, C, eps, tol=1e-10, epsilon_scaling=None)
    np.testing.assert_allclose(cold.plan.sum(1), 1.0 / len(X), atol=1e-10)
    warm = sinkhorn(None, None, C, eps, tol=1e-10, epsilon_scaling=None,
                    init=(cold.f, cold.g))
    assert warm.n_iter < cold.n_iter
    np.testing.assert_allclose(warm.plan, cold.plan, atol=1e-10)


def test_user_arrays_untouched_and_read_only():
    X, Y, a, b = _clouds()
    C = _sqdist(X, Y)
    for arr in (a, b, C):
        arr.setflags(write=False)
    copies = [a.copy(), b.copy(), C.copy()]
    sinkhorn(a, b, C, 0.1)
    for arr, ref in zip((a, b, C), copies):
        np.testing.assert_array_equal(arr, ref)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(epsilon=0.0), ValueError, "epsilon"),
    (dict(epsilon=-1.0), ValueError, "epsilon"),
    (dict(epsilon="1"), TypeError, "epsilon"),
    (dict(method="kernel"), ValueError, "method"),
    (dict(tol=0.0), ValueError, "tol"),
    (dict(max_iter=0), ValueError, "max_iter"),
    (dict(epsilon_scaling=1.5), ValueError, "epsilon_scaling"),
])
def test_bad_parameters(kwargs, exc, match):
    X, Y, a, b = _clouds()
    params = dict(epsilon=0.1) | kwargs
    with pytest.raises(exc, match=match):
        sinkhorn(a, b, _sqdist(X, Y), **params)


def test_bad_inputs():
    X, Y, a, b = _clouds()
    C = _sqdist(X, Y)
    with pytest.raises(ValueError, match="same total mass"):
        sinkhorn(a, 2 * b, C, 0.1)
    with pytest.raises(ValueError, match="non-negative"):
        sinkhorn(-a, b, C, 0.1)
    with pytest.raises(ValueError, match="entries"):
        sinkhorn(a[:-1], b, C, 0.1)
    C_nan = C.copy()
    C_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sinkhorn(a, b, C_nan, 0.1)
    with pytest.raises(ValueError, match="columns"):
        sinkhorn(a, b, (X, Y[:, :1]), 0.1)
    with pytest.raises(ValueError, match="sqeuclidean"):
        sinkhorn(a, b, (X, Y, "euclidean"), 0.1)
    with pytest.raises(TypeError, match="complex"):
        sinkhorn(a, b, C + 1j, 0.1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_underflow_recovery_without_epsilon_scaling(seed):
    # started cold at a tiny epsilon, whole rows of the kernel underflow: the log-domain
    # recovery must keep every value finite, and "converged" must mean both marginals
    X, Y, _, _ = _clouds(n=300, m=300, seed=seed)
    C = _sqdist(X, Y)
    res = sinkhorn(None, None, C, 1e-3 * np.median(C), method="stabilized",
                   epsilon_scaling=None, max_iter=1500)
    assert np.all(np.isfinite(res.f)) and np.all(np.isfinite(res.g))
    assert np.all(np.isfinite(res.plan))
    tol = 1e-6
    assert res.converged == (max(res.marginal_error_a, res.marginal_error_b) <= tol)
    assert res.marginal_error_b < 1e-6 or not res.converged


@pytest.mark.parametrize("method", ["stabilized", "log"])
def test_over_relaxation_gives_the_same_solution(method):
    X, Y, a, b = _clouds(n=60, m=50)
    C = _sqdist(X, Y)
    eps = 0.01 * np.median(C)
    plain = sinkhorn(a, b, C, eps, method=method, tol=1e-10)
    fast = sinkhorn(a, b, C, eps, method=method, tol=1e-10, relaxation=1.6)
    assert plain.converged and fast.converged
    np.testing.assert_allclose(fast.plan, plain.plan, atol=1e-9)
    assert fast.n_iter < plain.n_iter
    with pytest.raises(ValueError, match=r"relaxation must be in \[1, 2\)"):
        sinkhorn(a, b, C, eps, relaxation=2.0)


def test_warns_when_unconverged_and_ends_at_the_target_epsilon():
    X, Y, a, b = _clouds()
    with pytest.warns(ConvergenceWarning, match="sinkhorn did not reach tol"):
        res = sinkhorn(a, b, (X, Y), 1e-3, max_iter=5)
    # stopped in an early epsilon stage: one exact iteration at epsilon ends the solve, so
    # the columns of the returned plan are exact
    assert not res.converged and res.marginal_error_b < 1e-12


@pytest.mark.parametrize("truncation", [1e-30, 1e-4])
def test_truncated_kernel_gives_the_whole_solution(truncation):
    # 1e-30: nothing measurable is dropped; 1e-4: the truncated kernel misses mass, and the
    # iterations finish on the whole kernel
    X, Y, a, b = _clouds(n=300, m=280)
    C = _sqdist(X, Y)
    eps = 2e-3 * np.median(C)
    dense = sinkhorn(a, b, C, eps, tol=1e-11)
    sparse = sinkhorn(a, b, C, eps, tol=1e-11, truncation=truncation)
    assert dense.converged and sparse.converged
    assert sparse.marginal_error_a <= 1e-11 and sparse.marginal_error_b <= 1e-11
    np.testing.assert_allclose(sparse.plan, dense.plan, atol=1e-11)
    fly = sinkhorn(a, b, (X, Y), eps, tol=1e-11, truncation=truncation)
    np.testing.assert_allclose(fly.plan, dense.plan, atol=1e-11)


def test_truncation_errors():
    X, Y, a, b = _clouds()
    with pytest.raises(ValueError, match="truncation must be in"):
        sinkhorn(a, b, (X, Y), 0.1, truncation=1.0)
    with pytest.raises(ValueError, match="needs method='stabilized'"):
        sinkhorn(a, b, (X, Y), 0.1, truncation=1e-20, method="log")
    with pytest.raises(TypeError, match="truncation must be a number"):
        sinkhorn(a, b, (X, Y), 0.1, truncation="1e-20")


def test_lazy_and_sparse_plans_equal_the_dense_plan():
    X, Y, a, b = _clouds(n=50, m=40)
    a[3], b[7] = 0.0, 0.0  # zero-mass points: zero row and column, finite potentials
    a, b = a / a.sum(), b / b.sum()
    C = _sqdist(X, Y)
    res = sinkhorn(a, b, (X, Y), 0.01 * np.median(C), tol=1e-10)
    np.testing.assert_allclose(res.plan_rows(0, 50), res.plan, atol=1e-15)
    assert np.all(res.plan_rows(3, 4) == 0.0) and np.all(res.plan_rows(0, 50)[:, 7] == 0.0)
    threshold = 1e-12
    sparse = res.sparse_plan(threshold, block_rows=7)
    assert sparse.shape == (50, 40) and sparse.format == "csr"
    np.testing.assert_array_equal(sparse.toarray(), np.where(res.plan > threshold, res.plan, 0))
    assert sparse.nnz < res.plan.size
    with pytest.raises(ValueError, match="threshold must be a non-negative"):
        res.sparse_plan(-1.0)
    from skreg.ot import quadratic_ot

    quad = quadratic_ot(a, b, C, np.median(C), tol=1e-10)
    np.testing.assert_array_equal(quad.sparse_plan().toarray(), quad.plan)
    assert quad.sparse_plan().nnz == np.count_nonzero(quad.plan)
