"""skreg.reference for the graph family: objectives by hand, closed forms of the cvxpy
solutions and input checks."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.kernel_ridge import KernelRidge
from sklearn.metrics.pairwise import rbf_kernel

from skreg import reference as ref
from skreg.graph import grid_laplacian, incidence_matrix, knn_laplacian

_X = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 1.0]])
_Y = np.array([1.0, -1.0, 2.0])
_G = np.array([[1.0, -1.0], [0.0, 2.0]])


# --------------------------------------------------------------------------------------------
# Objectives by hand


def test_graph_objective_by_hand():
    coef = np.array([0.5, -1.0])
    # X @ coef = [-1.5, -2.5, -1.0]; r = y - Xw - b with b = 0.5: [2.0, 1.0, 2.5]
    # G @ coef = [1.5, -2.0]
    r2 = 4.0 + 1.0 + 6.25
    assert ref.graph_objective(_X, _Y, _G, coef, 0.5, alpha=0.3, penalty="l2") == (
        pytest.approx(0.5 * r2 + 0.3 * 0.5 * (2.25 + 4.0)))
    assert ref.graph_objective(_X, _Y, _G, coef, 0.5, alpha=0.3, penalty="l1") == (
        pytest.approx(0.5 * r2 + 0.3 * 3.5))
    sw = np.array([2.0, 0.0, 1.0])
    assert ref.graph_objective(_X, _Y, _G, coef, 0.5, alpha=0.3, penalty="l1",
                               sample_weight=sw) == pytest.approx(0.5 * (8.0 + 6.25) + 1.05)
    # sparse inputs, no intercept, the default penalty is l2
    no_b = 0.5 * (2.5**2 + 1.5**2 + 3.0**2) + 0.3 * 0.5 * 6.25
    assert ref.graph_objective(sp.csr_matrix(_X), _Y, sp.csr_matrix(_G), coef,
                               alpha=0.3) == pytest.approx(no_b)


def test_graph_objective_docstring_example():
    assert ref.graph_objective(np.eye(2), [1.0, 0.0], [[1.0, -1.0]], [0.5, 0.5], alpha=1.0,
                               penalty="l1") == pytest.approx(0.25)


def test_laplacian_ridge_objective_by_hand():
    K = np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]])
    L = np.array([[1.0, -1.0, 0.0], [-1.0, 2.0, -1.0], [0.0, -1.0, 1.0]])
    y = np.array([1.0, np.nan, 0.0])
    a = np.array([1.0, 0.0, -1.0])
    # f = K a = [2, 0, -2]; labeled residuals y - f - b (b = 0.5): [-1.5, 1.5]
    # a^T K a = a . f = 4; f^T L f = (2 - 0)^2 + (0 + 2)^2 = 8; n = 3, n_l = 2
    expected = 0.5 * (2.25 + 2.25) / 2 + 0.5 * 0.1 * 4.0 + 0.5 * 2.0 / 9.0 * 8.0
    assert ref.laplacian_ridge_objective(K, y, L, a, 0.5, alpha=0.1,
                                         manifold_alpha=2.0) == pytest.approx(expected)
    assert ref.laplacian_ridge_objective(K, y, sp.csr_matrix(L), a, 0.5, alpha=0.1,
                                         manifold_alpha=2.0) == pytest.approx(expected)
    assert ref.laplacian_ridge_objective(np.eye(2), [1.0, np.nan], np.zeros((2, 2)),
                                         [1.0, 0.0], alpha=1.0,
                                         manifold_alpha=0.0) == pytest.approx(0.5)


# --------------------------------------------------------------------------------------------
# graph_regression


def _closed_form(X, y, G, alpha, sw, fit_intercept):
    n, p = X.shape
    Xa = np.c_[X, np.ones(n)] if fit_intercept else X
    P = np.zeros((Xa.shape[1], Xa.shape[1]))
    P[:p, :p] = G.T @ G
    theta = np.linalg.solve(Xa.T @ (sw[:, None] * Xa) + alpha * P, Xa.T @ (sw * y))
    return theta[:p], (theta[p] if fit_intercept else 0.0)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("shape", [(20, 8), (6, 10)])
def test_graph_regression_l2_closed_form(fit_intercept, sparse, shape):
    rng = np.random.default_rng(0)
    X = rng.standard_normal(shape)
    y = rng.standard_normal(shape[0]) + 2.0
    sw = rng.uniform(0.5, 2.0, shape[0])
    G = grid_laplacian(shape[1])
    r = ref.graph_regression(sp.csr_matrix(X) if sparse else X, y, G, alpha=0.7,
                             sample_weight=sw, fit_intercept=fit_intercept)
    coef, b = _closed_form(X, y, G.toarray(), 0.7, sw, fit_intercept)
    np.testing.assert_allclose(r.coef, coef, rtol=1e-6, atol=1e-8)
    assert r.intercept == pytest.approx(b, rel=1e-6, abs=1e-8)
    assert r.objective == pytest.approx(
        ref.graph_objective(X, y, G, r.coef, r.intercept, alpha=0.7, sample_weight=sw),
        rel=1e-12)
    assert r.status == "optimal" and r.solve_time >= 0.0


def test_graph_regression_l1_examples():
    r = ref.graph_regression(np.eye(2), [1.0, 0.0], [[1.0, -1.0]], alpha=1.0, penalty="l1")
    np.testing.assert_allclose(r.coef, [0.5, 0.5], atol=1e-7)
    # graph TV with X = I: piecewise-constant denoising; the segment means shrink by
    # alpha / (segment length) towards each other
    y = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    B = incidence_matrix(grid_laplacian(6))
    r = ref.graph_regression(np.eye(6), y, B, alpha=0.3, penalty="l1")
    np.testing.assert_allclose(r.coef, [0.1] * 3 + [0.9] * 3, atol=1e-7)
    # alpha large: the constant mean
    r = ref.graph_regression(np.eye(6), y, B, alpha=10.0, penalty="l1")
    np.testing.assert_allclose(r.coef, 0.5, atol=1e-7)


def test_graph_regression_alpha_zero_least_squares():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((15, 4))
    y = rng.standard_normal(15)
    r = ref.graph_regression(X, y, grid_laplacian(4), alpha=0.0, penalty="l1")
    np.testing.assert_allclose(r.coef, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-7)


# --------------------------------------------------------------------------------------------
# laplacian_ridge


def test_laplacian_ridge_supervised_is_kernel_ridge():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 3))
    y = rng.standard_normal(12)
    K = rbf_kernel(X, gamma=0.5)
    L = knn_laplacian(X, 3)
    r = ref.laplacian_ridge(K, y, L, alpha=0.1, manifold_alpha=0.0, fit_intercept=False)
    kr = KernelRidge(alpha=0.1 * 12, kernel="precomputed").fit(K, y)
    np.testing.assert_allclose(K @ r.coef, K @ kr.dual_coef_, rtol=1e-6, atol=1e-8)
    assert r.intercept == 0.0


def test_laplacian_ridge_stationarity():
    """With an unnormalized L (L 1 = 0): the normal equations of the kernel form."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((14, 2))
    y = rng.standard_normal(14) + 3.0
    y[::2] = np.nan
    lab = ~np.isnan(y)
    K = rbf_kernel(X, gamma=0.7)
    L = knn_laplacian(X, 3).toarray()
    r = ref.laplacian_ridge(K, y, L, alpha=0.05, manifold_alpha=4.0)
    f = K @ r.coef + r.intercept
    n, n_l = 14, lab.sum()
    J = lab.astype(float)
    # gradient in f (through K a): J (f - y) / n_l + alpha a + gamma / n^2 L f = 0 (times K)
    resid = np.where(lab, f - np.nan_to_num(y), 0.0)
    grad = K @ (J * resid / n_l + 0.05 * r.coef + 4.0 / n**2 * (L @ f))
    np.testing.assert_allclose(grad, 0.0, atol=1e-7)
    assert resid[lab].sum() == pytest.approx(0.0, abs=1e-7)
    assert r.objective == pytest.approx(
        ref.laplacian_ridge_objective(K, y, L, r.coef, r.intercept, alpha=0.05,
                                      manifold_alpha=4.0), rel=1e-12)


# --------------------------------------------------------------------------------------------
# Input errors


@pytest.mark.parametrize("func", [
    lambda **kw: ref.graph_objective(coef=np.zeros(2), **kw),
    ref.graph_regression,
])
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"penalty": "l0"}, ValueError, "penalty"),
        ({"penalty": "tv"}, ValueError, "penalty"),
        ({"G": np.ones((2, 3))}, ValueError, "columns"),
        ({"y": _Y[:2]}, ValueError, "y"),
        ({"y": np.r_[_Y[:2], np.nan]}, ValueError, "NaN"),
        ({"X": _X * np.nan}, ValueError, "NaN"),
        ({"X": _X + 1j}, TypeError, "real"),
        ({"X": _X[0]}, ValueError, "2-D"),
        ({"sample_weight": -np.ones(3)}, ValueError, "sample_weight"),
        ({"sample_weight": np.zeros(3)}, ValueError, "sample_weight"),
        ({"sample_weight": np.ones(2)}, ValueError, "sample_weight"),
    ],
)
def test_graph_input_errors(func, kwargs, exc, match):
    args = {"X": _X, "y": _Y, "G": _G, "alpha": 0.5}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        func(**args)
