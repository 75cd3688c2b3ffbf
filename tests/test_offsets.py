"""Tests of skreg/_offsets.py: which columns are shifted, and the intercept mapped back."""

import numpy as np
import pytest
import scipy.sparse as sp

from skreg._offsets import (
    OFFSET_RATIO,
    SAMPLE_ROWS,
    shift_columns,
    subtract_shift,
    unshift_intercept,
)


def _design(n=200, p=6, seed=0):
    return np.asfortranarray(np.random.default_rng(seed).standard_normal((n, p)))


def test_centred_or_moderately_offset_columns_are_not_copied():
    X = _design()
    X[:, 2] += 3.0  # mean 3 std: implicit centering is exact enough
    X = np.asfortranarray(X)
    X_fit, shift = shift_columns(X, True)
    assert X_fit is X
    assert shift is None


@pytest.mark.parametrize("order", ["F", "C"])
@pytest.mark.parametrize("offset", [1e2, 1e6, -1e9])
def test_far_columns_are_shifted_in_a_copy(offset, order):
    X = _design()
    X[:, 1] += offset
    X[:, 4] = 7.0  # constant: |mean| > ratio * 0
    X = np.asarray(X, order=order)
    X_orig = X.copy()
    X_fit, shift = shift_columns(X, True)
    np.testing.assert_array_equal(X, X_orig)  # the caller's array is untouched
    assert X_fit.flags.f_contiguous
    np.testing.assert_array_equal(np.flatnonzero(shift), [1, 4])
    assert shift[1] == pytest.approx(X[:SAMPLE_ROWS, 1].mean(), rel=1e-12)
    np.testing.assert_array_equal(X_fit, X - shift)
    np.testing.assert_array_equal(X_fit[:, 4], 0.0)  # a constant column becomes exact zeros
    # what is left of the offset is within a few standard deviations
    assert abs(X_fit[:, 1].mean()) < OFFSET_RATIO * X_fit[:, 1].std()


def test_no_shift_without_intercept():
    X = _design()
    X[:, 0] += 1e8
    X = np.asfortranarray(X)
    for data in (X, sp.csc_matrix(X)):
        X_fit, shift = shift_columns(data, False)
        assert X_fit is data and shift is None


def test_sparse_far_columns_are_stored_full_and_shifted():
    rng = np.random.default_rng(2)
    n = 400
    X = np.zeros((n, 5))
    X[:, 0] = 1e6 + rng.standard_normal(n)  # full and far
    X[:, 1] = 1e6 + rng.standard_normal(n)
    X[rng.choice(n, 2, replace=False), 1] = 0.0  # far with 0.5 % zeros: std ~ 7e4 < 1e5
    X[rng.random(n) < 0.3, 2] = 1e6  # large values, but 70 % zeros: not far
    X[:, 3] = rng.standard_normal(n)  # full, centred
    Xs = sp.csc_matrix(X)
    X_fit, shift = shift_columns(Xs, True)
    assert X_fit.format == "csc" and X_fit.has_canonical_format
    np.testing.assert_array_equal(np.flatnonzero(shift), [0, 1])
    np.testing.assert_allclose(shift[:2], X[:, :2].mean(axis=0), rtol=1e-15)
    np.testing.assert_array_equal(X_fit.toarray(), X - shift)
    np.testing.assert_array_equal(np.diff(X_fit.indptr), [n, n, Xs[:, 2].nnz, n, 0])
    np.testing.assert_array_equal(Xs.toarray(), X)  # the caller's matrix is untouched
    # sparse columns with few zeros but near zero: nothing to do, X itself comes back
    X_fit, shift = shift_columns(sp.csc_matrix(X[:, 2:]), True)
    assert shift is None


@pytest.mark.parametrize("sparse", [False, True])
def test_subtract_shift_matches_dense_subtraction(sparse):
    X = _design(n=30, p=4)
    shift = np.array([0.0, 2.5, 0.0, -1e3])
    data = sp.csc_matrix(np.where(np.abs(X) < 0.5, 0.0, X)) if sparse else X
    dense = data.toarray() if sparse else data
    got = subtract_shift(data, shift)
    if sparse:
        assert got.has_canonical_format
        got = got.toarray()
    np.testing.assert_array_equal(got, dense - shift)


def test_sampled_rows_bound_the_offset_left():
    """The check reads the first rows only; data chosen so that they mislead it the most
    (their spread is all the column's spread, the other rows sit at the mean) stay within
    the documented bound ``|mean| <= (OFFSET_RATIO + 1) sqrt(n / m) std``."""
    n, m = 100_000, SAMPLE_ROWS
    col = np.full(n, 0.0)
    col[:m] = np.where(np.arange(m) % 2, 1.0, -1.0)  # sample std 1, mean 0
    level = 0.99 * OFFSET_RATIO  # the sample's ratio: just passes the check
    X = np.asfortranarray((col + level)[:, None])
    X_fit, shift = shift_columns(X, True)
    assert shift is None
    ratio = abs(X[:, 0].mean()) / X[:, 0].std()
    assert ratio > 10 * OFFSET_RATIO  # the rows the check did not read are much tighter
    assert ratio <= (OFFSET_RATIO + 1) * np.sqrt(n / m)


def test_unshift_intercept_scalar_and_per_row():
    shift = np.array([0.0, 1e6, -2.0])
    coef = np.array([3.0, 0.5, 1.0])
    assert unshift_intercept(4.0, coef, None) == 4.0
    b = unshift_intercept(4.0, coef, shift)
    assert isinstance(b, float)
    assert b == pytest.approx(4.0 - 0.5e6 + 2.0)
    coefs = np.vstack([coef, 2 * coef])  # e.g. a path: one row of coefficients per alpha
    np.testing.assert_allclose(unshift_intercept(np.array([4.0, 5.0]), coefs, shift),
                               [4.0 - 0.5e6 + 2.0, 5.0 - 1e6 + 4.0])


def test_models_on_shifted_columns_predict_alike():
    """What the estimators rely on: the least-squares fit with an intercept on X - 1 c^T has
    the same coefficients, and the mapped-back intercept gives the same predictions."""
    rng = np.random.default_rng(1)
    X = _design(n=50, p=3)
    X[:, 0] += 5e3
    X = np.asfortranarray(X)
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.standard_normal(50)

    def ols(A):
        B = np.column_stack([A - A.mean(axis=0), np.ones(A.shape[0])])
        w = np.linalg.lstsq(B, y, rcond=None)[0]
        return w[:-1], w[-1] - A.mean(axis=0) @ w[:-1]

    X_fit, shift = shift_columns(X, True)
    w0, b0 = ols(X)
    w1, b1 = ols(X_fit)
    np.testing.assert_allclose(w1, w0, rtol=1e-9)
    np.testing.assert_allclose(X @ w1 + unshift_intercept(b1, w1, shift), X @ w0 + b0,
                               rtol=1e-9)
