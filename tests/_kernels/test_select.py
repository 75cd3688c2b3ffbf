"""Tests of skreg._kernels.select: k-th smallest, k smallest indices, tiny SPD solves."""

import numpy as np
import pytest

from skreg._kernels.select import (
    cholesky,
    kth_smallest,
    smallest_k_indices,
    solve_spd,
    weighted_median,
)


def _reference_smallest_k(values, items, k):
    """``items`` at the k smallest values (ties by first appearance), in original order."""
    order = np.argsort(values, kind="stable")[:k]
    return items[np.sort(order)]


@pytest.mark.parametrize("n", [1, 2, 7, 50, 333])
def test_kth_smallest_matches_numpy(n):
    rng = np.random.default_rng(n)
    values = rng.standard_normal(n)
    expected = np.sort(values)
    for k in sorted({1, 2, n // 2, n - 1, n} & set(range(1, n + 1))):
        assert kth_smallest(values, k) == expected[k - 1]


def test_kth_smallest_with_ties_and_infinities():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 5, size=40).astype(np.float64)
    values[[3, 17]] = np.inf
    values[[5, 9]] = -np.inf
    expected = np.sort(values)
    for k in range(1, values.size + 1):
        assert kth_smallest(values, k) == expected[k - 1]


def test_kth_smallest_does_not_modify_input():
    values = np.random.default_rng(3).standard_normal(30)
    before = values.copy()
    kth_smallest(values, 10)
    np.testing.assert_array_equal(values, before)


@pytest.mark.parametrize("n", [1, 5, 64, 257])
def test_smallest_k_indices_random(n):
    rng = np.random.default_rng(10 + n)
    values = rng.standard_normal(n)
    items = rng.permutation(3 * n)[:n].astype(np.int64)
    for k in sorted({1, n // 3, n - 1, n} - {0}):
        got = smallest_k_indices(values, items, k)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, _reference_smallest_k(values, items, k))


def test_smallest_k_indices_ties_taken_in_order_of_appearance():
    rng = np.random.default_rng(1)
    values = rng.integers(0, 4, size=60).astype(np.float64)
    values[::7] = -np.inf  # always selected first
    values[1::11] = np.inf
    items = np.arange(100, 160, dtype=np.int64)
    for k in range(1, values.size + 1):
        got = smallest_k_indices(values, items, k)
        assert got.shape == (k,)
        np.testing.assert_array_equal(got, _reference_smallest_k(values, items, k))


def test_smallest_k_indices_all_equal_and_k_ge_n():
    values = np.zeros(9)
    items = np.arange(9, dtype=np.int64)[::-1].copy()
    np.testing.assert_array_equal(smallest_k_indices(values, items, 4), items[:4])
    # k = n and k > n return every item (a copy, not the input array)
    for k in (9, 12):
        got = smallest_k_indices(values, items, k)
        np.testing.assert_array_equal(got, items)
        assert not np.shares_memory(got, items)


def test_smallest_k_indices_does_not_modify_inputs():
    rng = np.random.default_rng(5)
    values = rng.standard_normal(40)
    items = np.arange(40, dtype=np.int64)
    v0, i0 = values.copy(), items.copy()
    smallest_k_indices(values, items, 13)
    np.testing.assert_array_equal(values, v0)
    np.testing.assert_array_equal(items, i0)


@pytest.mark.parametrize("m", [1, 2, 5, 12])
def test_solve_spd_matches_numpy(m):
    rng = np.random.default_rng(m)
    A = rng.standard_normal((m + 3, m))
    G = A.T @ A + 0.1 * np.eye(m)
    rhs = rng.standard_normal(m)
    G0, rhs0 = G.copy(), rhs.copy()
    x, ok = solve_spd(G, rhs)
    assert ok
    expected = np.linalg.solve(G, rhs)
    np.testing.assert_allclose(x, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(G @ x, rhs, rtol=1e-10, atol=1e-12)
    # inputs untouched
    np.testing.assert_array_equal(G, G0)
    np.testing.assert_array_equal(rhs, rhs0)


def test_solve_spd_ill_conditioned_but_pd():
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    G = Q @ np.diag(np.logspace(0, -8, 6)) @ Q.T
    G = 0.5 * (G + G.T)
    rhs = rng.standard_normal(6)
    x, ok = solve_spd(G, rhs)
    assert ok
    np.testing.assert_allclose(G @ x, rhs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "G",
    [
        np.array([[1.0, 2.0], [2.0, 1.0]]),  # indefinite
        np.array([[1.0, 1.0], [1.0, 1.0]]),  # singular
        np.array([[-1.0]]),
        np.array([[np.nan]]),
    ],
)
def test_solve_spd_reports_not_positive_definite(G):
    x, ok = solve_spd(G, np.ones(G.shape[0]))
    assert not ok
    assert x.shape == (G.shape[0],)
    _, ok = cholesky(G)
    assert not ok


@pytest.mark.parametrize("m", [1, 4, 9])
def test_cholesky_matches_numpy(m):
    rng = np.random.default_rng(m)
    A = rng.standard_normal((m + 2, m))
    G = A.T @ A + 0.01 * np.eye(m)
    G0 = G.copy()
    L, ok = cholesky(G)
    assert ok
    np.testing.assert_allclose(L, np.linalg.cholesky(G), rtol=1e-12, atol=1e-13)
    np.testing.assert_array_equal(G, G0)


# --------------------------------------------------------------------------------------------
# weighted_median
# --------------------------------------------------------------------------------------------
def _wabs(values, weights, t):
    return float(weights @ np.abs(values - t))


def _brute_weighted_median_value(values, weights):
    """``min_t sum_i w_i |v_i - t|``: piecewise linear, so attained at one of the values."""
    return min(_wabs(values, weights, t) for t in values)


def _check_weighted_median(values, weights, n=None):
    n = values.size if n is None else n
    v, w = values.copy(), weights.copy()
    t = weighted_median(v, w, n)
    vals, wts = values[:n], weights[:n]
    assert t in vals  # one of the points
    best = _brute_weighted_median_value(vals, wts)
    got = _wabs(vals, wts, t)
    assert got <= best + 1e-12 * max(best, 1e-300), (got, best)
    # the buffers are reordered, never altered: same (value, weight) pairs, tail untouched
    pairs = sorted(zip(v[:n].tolist(), w[:n].tolist()))
    assert pairs == sorted(zip(vals.tolist(), wts.tolist()))
    np.testing.assert_array_equal(v[n:], values[n:])
    np.testing.assert_array_equal(w[n:], weights[n:])
    return t


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 31, 200])
def test_weighted_median_random(n):
    rng = np.random.default_rng(100 + n)
    for _ in range(30):
        values = rng.standard_normal(n)
        weights = rng.exponential(size=n)
        _check_weighted_median(values, weights)


@pytest.mark.parametrize("n", [2, 3, 6, 17, 64])
def test_weighted_median_ties_and_zero_weights(n):
    rng = np.random.default_rng(200 + n)
    for _ in range(60):
        values = rng.integers(-3, 4, size=n).astype(np.float64)  # many ties
        weights = rng.integers(0, 4, size=n).astype(np.float64)  # exact sums, zeros mixed in
        if weights.sum() == 0:
            weights[rng.integers(n)] = 1.0
        _check_weighted_median(values, weights)
        weights = rng.exponential(size=n) * (rng.random(n) < 0.5)
        if weights.sum() == 0:
            weights[0] = 0.5
        _check_weighted_median(values, weights)


def test_weighted_median_small_cases():
    assert _check_weighted_median(np.array([3.5]), np.array([2.0])) == 3.5
    # a dominant weight decides alone
    assert _check_weighted_median(np.array([1.0, 5.0]), np.array([1.0, 3.0])) == 5.0
    assert _check_weighted_median(np.array([1.0, 5.0]), np.array([3.0, 1.0])) == 1.0
    # equal weights: every t in [1, 5] is a minimizer, and one of the points is returned
    assert _check_weighted_median(np.array([5.0, 1.0]), np.array([1.0, 1.0])) in (1.0, 5.0)
    # zero-weight points never pull the median
    values = np.array([-10.0, 0.0, 2.0, 10.0, 11.0])
    assert _check_weighted_median(values, np.array([0.0, 1.0, 0.0, 0.0, 0.0])) == 0.0
    assert _check_weighted_median(values, np.array([5.0, 0.0, 0.0, 1.0, 1.0])) == -10.0
    # half the weight at a point: that point (or its flat neighbourhood) is optimal
    t = _check_weighted_median(np.array([0.0, 1.0, 2.0]), np.array([2.0, 1.0, 1.0]))
    assert t in (0.0, 1.0)
    # odd count, unit weights: the plain median
    values = np.array([7.0, -1.0, 3.0, 100.0, 2.0])
    assert _check_weighted_median(values, np.ones(5)) == 3.0


def test_weighted_median_uses_only_first_n_entries():
    rng = np.random.default_rng(3)
    values = rng.standard_normal(12)
    weights = rng.exponential(size=12)
    values[8:] = 1e6  # junk past n with overwhelming weight
    weights[8:] = 1e6
    t = _check_weighted_median(values, weights, n=8)
    assert t in values[:8]


def test_weighted_median_extreme_weight_ratios():
    rng = np.random.default_rng(4)
    for _ in range(20):
        values = rng.standard_normal(25) * 10.0 ** rng.integers(-5, 6, size=25)
        weights = 10.0 ** rng.uniform(-8, 8, size=25)
        _check_weighted_median(values, weights)
