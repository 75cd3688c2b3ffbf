"""skreg.ot.sinkhorn_batch: equal to sinkhorn problem by problem, shapes, warnings, errors."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skreg.ot import sinkhorn, sinkhorn_batch


def _batch(B=5, n=30, m=20, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((B, n, 2))
    Y = 0.8 * rng.standard_normal((B, m, 2)) + 1.0
    a = rng.uniform(0.5, 1.5, (B, n))
    b = rng.uniform(0.5, 1.5, (B, m))
    return X, Y, a / a.sum(1, keepdims=True), b / b.sum(1, keepdims=True)


def _sqdist(X, Y):
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)


def _assert_same(res, ref, atol=1e-9):
    assert res.converged and ref.converged
    np.testing.assert_allclose(res.plan, ref.plan, atol=atol)
    shift = np.mean(res.f - ref.f)
    np.testing.assert_allclose(res.f - shift, ref.f, atol=1e-6)
    np.testing.assert_allclose(res.g + shift, ref.g, atol=1e-6)
    np.testing.assert_allclose(res.cost, ref.cost, rtol=1e-7)
    np.testing.assert_allclose(res.objective, ref.objective, rtol=1e-7)


@pytest.mark.parametrize("scaling", [None, 0.5])
def test_each_problem_equals_sinkhorn(scaling):
    X, Y, a, b = _batch()
    a[1, 4] = 0.0  # a point of zero mass
    a[1] /= a[1].sum()
    eps = [0.05, 0.01, 0.1, 0.02, 0.005]
    results = sinkhorn_batch(a, b, (X, Y), eps, tol=1e-10, epsilon_scaling=scaling)
    assert len(results) == len(eps)
    for k, res in enumerate(results):
        ref = sinkhorn(a[k], b[k], _sqdist(X[k], Y[k]), eps[k], tol=1e-10,
                       epsilon_scaling=scaling)
        _assert_same(res, ref)
        assert res.epsilon == eps[k] and res.method == "stabilized"
        assert res.marginal_error_a <= 1e-10 and res.marginal_error_b <= 1e-10
    assert np.all(results[1].plan[4] == 0.0) and np.isfinite(results[1].f[4])


def test_shared_cost_and_weights_broadcast():
    # histograms on a fixed grid: one cost, one source, a batch of targets
    grid = np.linspace(0, 1, 25)[:, None]
    C = _sqdist(grid, grid)
    rng = np.random.default_rng(1)
    bs = rng.uniform(0.1, 1.0, (4, 25))
    bs /= bs.sum(1, keepdims=True)
    results = sinkhorn_batch(None, bs, C, 1e-3, tol=1e-9)
    assert len(results) == 4
    for bk, res in zip(bs, results):
        _assert_same(res, sinkhorn(None, bk, C, 1e-3, tol=1e-9), atol=1e-8)
    # one problem from a plain matrix, no batch dimension anywhere
    (single,) = sinkhorn_batch(None, None, C, 1e-2)
    _assert_same(single, sinkhorn(None, None, C, 1e-2), atol=1e-8)


@pytest.mark.parametrize("n_jobs", [2, 3, -1, 10])
def test_n_jobs_gives_identical_results(n_jobs):
    # chunks of the batch solved by the same kernel in joblib tasks: every problem is solved
    # by one thread in any case, so the results are the same bit for bit
    X, Y, a, b = _batch()
    eps = [0.05, 0.01, 0.1, 0.02, 0.005]
    ref = sinkhorn_batch(a, b, (X, Y), eps, tol=1e-9)
    out = sinkhorn_batch(a, b, (X, Y), eps, tol=1e-9, n_jobs=n_jobs)
    for res, r in zip(out, ref, strict=True):
        np.testing.assert_array_equal(res.plan, r.plan)
        np.testing.assert_array_equal(res.f, r.f)
        np.testing.assert_array_equal(res.g, r.g)
        assert (res.n_iter, res.cost, res.objective) == (r.n_iter, r.cost, r.objective)
    # a shared cost matrix, broadcast over the chunks
    grid = np.linspace(0, 1, 9)[:, None]
    bs = np.random.default_rng(2).uniform(0.1, 1.0, (4, 9))
    bs /= bs.sum(1, keepdims=True)
    ref = sinkhorn_batch(None, bs, _sqdist(grid, grid), 1e-2)
    out = sinkhorn_batch(None, bs, _sqdist(grid, grid), 1e-2, n_jobs=n_jobs)
    for res, r in zip(out, ref, strict=True):
        np.testing.assert_array_equal(res.plan, r.plan)
    with pytest.raises(ValueError, match="n_jobs"):
        sinkhorn_batch(a, b, (X, Y), eps, n_jobs=0)


def test_tiny_epsilon_stays_finite():
    X, Y, a, b = _batch(B=3)
    C = np.stack([_sqdist(x, y) for x, y in zip(X, Y)])
    eps = 1e-4 * np.median(C)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = sinkhorn_batch(a, b, C, eps, max_iter=20_000)
    for res in results:
        assert np.all(np.isfinite(res.f)) and np.all(np.isfinite(res.g))
        assert np.all(np.isfinite(res.plan)) and res.marginal_error_b < 1e-8


def test_one_warning_for_the_unconverged_problems():
    X, Y, a, b = _batch(B=4)
    with pytest.warns(ConvergenceWarning, match=r"sinkhorn_batch \(4 of 4 problems"):
        results = sinkhorn_batch(a, b, (X, Y), 1e-3, max_iter=5)
    assert not any(r.converged for r in results)
    # stopped in an early epsilon stage: the potentials still belong to epsilon (the columns
    # of the plan at epsilon are exact after the final exact iteration)
    assert all(r.marginal_error_b < 1e-12 for r in results)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sinkhorn_batch(a, b, (X, Y), 1e-3, max_iter=5, warn=False)


def test_user_arrays_untouched():
    X, Y, a, b = _batch(B=2)
    C = np.stack([_sqdist(x, y) for x, y in zip(X, Y)])
    for arr in (a, b, C):
        arr.setflags(write=False)
    copies = [arr.copy() for arr in (a, b, C)]
    sinkhorn_batch(a, b, C, 0.05)
    for arr, copy in zip((a, b, C), copies):
        np.testing.assert_array_equal(arr, copy)


@pytest.mark.parametrize(
    "args, exc, match",
    [
        (lambda a, b, C: (a, b[:1], C, 0.1), ValueError, "different batch sizes"),
        (lambda a, b, C: (a, b, C, [0.1, 0.2, 0.3]), ValueError, "one per problem"),
        (lambda a, b, C: (a, b, C, -1.0), ValueError, "epsilon must be positive"),
        (lambda a, b, C: (a, b, C[..., None], 0.1), ValueError, r"\(B, n, m\)"),
        (lambda a, b, C: (a, b, np.where(C > 1, np.nan, C), 0.1), ValueError, "NaN"),
        (lambda a, b, C: (a, b, C + 0j, 0.1), TypeError, "real"),
        (lambda a, b, C: (2 * a, b, C, 0.1), ValueError, "same total mass"),
        (lambda a, b, C: (a[:, :-1], b, C, 0.1), ValueError, "entries"),
        (lambda a, b, C: (a, b, (np.ones((2, 3)), np.ones((2, 4, 1))), 0.1), ValueError,
         "points of a batch"),
    ],
)
def test_bad_inputs(args, exc, match):
    X, Y, a, b = _batch(B=2)
    C = np.stack([_sqdist(x, y) for x, y in zip(X, Y)])
    with pytest.raises(exc, match=match):
        sinkhorn_batch(*args(a, b, C))

