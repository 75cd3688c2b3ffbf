"""Tests of lasso_path and enet_path (skreg/linear_model/_path.py).

Coefficients at tiny alphas with p > n are ill-conditioned, so paths are compared with
scikit-learn through the objective at each alpha (skreg.reference.enet_objective).
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sklm
from sklearn.exceptions import ConvergenceWarning

from skreg import (
    ElasticNet,
    Lasso,
    WeightedLasso,
    enet_path,
    lad_lasso_path,
    lasso_path,
    sqrt_lasso_path,
)
from skreg.reference import enet_duality_gap, enet_null_objective, enet_objective


def _centred(seed=0, n=40, p=120):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X -= X.mean(axis=0)
    y = X[:, :5] @ np.array([1.0, -2.0, 1.5, 1.0, -1.0]) + rng.standard_normal(n)
    y -= y.mean()
    return np.asfortranarray(X), y


def _n_gt_p(seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, 20))
    y = X[:, :4] @ np.ones(4) + rng.standard_normal(60) + 3.0
    return X, y


def _sklearn_path(func, X, y, **kw):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        return func(X, y, **kw)


def _no_warning_path(func, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return func(X, y, **kw)


def _objectives(X, y, alphas, coefs, l1_ratio, intercepts=None, **kw):
    b = np.zeros(len(alphas)) if intercepts is None else intercepts
    return np.array([enet_objective(X, y, coefs[:, k], b[k], alpha=a, l1_ratio=l1_ratio, **kw)
                     for k, a in enumerate(alphas)])


# --------------------------------------------------------------------------------------------
# scikit-learn

@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.1])
@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_path_objectives_match_sklearn(l1_ratio, fmt):
    X, y = _centred()
    Xf = sp.csc_matrix(X) if fmt == "csc" else X
    a_sk, c_sk, _ = _sklearn_path(sklm.enet_path, Xf, y, l1_ratio=l1_ratio, alphas=100,
                                  tol=1e-10, max_iter=100_000)
    if l1_ratio == 1.0:
        alphas, coefs, gaps = _no_warning_path(lasso_path, Xf, y, tol=1e-10, max_iter=100_000)
    else:
        alphas, coefs, gaps = _no_warning_path(enet_path, Xf, y, l1_ratio=l1_ratio, tol=1e-10,
                                               max_iter=100_000)
    np.testing.assert_allclose(alphas, a_sk, rtol=1e-12)
    assert coefs.shape == (X.shape[1], 100) and gaps.shape == (100,)
    p_ours = _objectives(X, y, a_sk, coefs, l1_ratio)
    p_sk = _objectives(X, y, a_sk, c_sk, l1_ratio)
    rel = (p_ours - p_sk) / p_sk
    assert np.max(np.abs(rel)) <= 1e-7, np.max(np.abs(rel))
    # path starts at alpha_max: w = 0
    assert np.all(coefs[:, 0] == 0.0)
    assert np.count_nonzero(coefs[:, -1]) > 10


@pytest.mark.parametrize("l1_ratio", [1.0, 0.7, 0.2])
@pytest.mark.parametrize("eps, n_alphas", [(1e-3, 100), (1e-2, 7), (0.5, 1)])
@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_default_grid_equals_sklearn(l1_ratio, eps, n_alphas, fmt):
    X, y = _centred(seed=3, n=30, p=50)
    Xf = sp.csc_matrix(X) if fmt == "csc" else X
    a_sk, _, _ = _sklearn_path(sklm.enet_path, Xf, y, l1_ratio=l1_ratio, eps=eps,
                               alphas=n_alphas, max_iter=10)
    alphas, _, _ = enet_path(Xf, y, l1_ratio=l1_ratio, eps=eps, n_alphas=n_alphas,
                             max_iter=10_000, tol=1e-6)
    np.testing.assert_allclose(alphas, a_sk, rtol=1e-12)


def test_lasso_path_with_explicit_alphas():
    X, y = _centred()
    grid = np.array([0.5, 0.05, 0.2, 0.01])  # any order: solved and returned decreasing
    a_sk, c_sk, _ = _sklearn_path(sklm.lasso_path, X, y, alphas=np.sort(grid)[::-1],
                                  tol=1e-12, max_iter=100_000)
    alphas, coefs, _ = _no_warning_path(lasso_path, X, y, alphas=grid, tol=1e-12,
                                        max_iter=100_000)
    np.testing.assert_array_equal(alphas, np.sort(grid)[::-1])
    p_ours = _objectives(X, y, alphas, coefs, 1.0)
    p_sk = _objectives(X, y, a_sk, c_sk, 1.0)
    assert np.max(np.abs(p_ours - p_sk) / p_sk) <= 1e-9


# --------------------------------------------------------------------------------------------
# return values, gaps, options

def test_return_shapes():
    X, y = _n_gt_p()
    n_features = X.shape[1]
    out = lasso_path(X, y, n_alphas=9)
    assert len(out) == 3
    out = lasso_path(X, y, n_alphas=9, return_n_iter=True)
    assert len(out) == 4
    alphas, coefs, gaps, n_iter = out
    assert alphas.shape == (9,) and coefs.shape == (n_features, 9) and gaps.shape == (9,)
    assert n_iter.shape == (9,) and np.issubdtype(n_iter.dtype, np.integer)
    out = enet_path(X, y, n_alphas=9, return_intercept=True)
    assert len(out) == 4 and out[3].shape == (9,)
    np.testing.assert_array_equal(out[3], 0.0)  # fit_intercept=False by default
    alphas, coefs, gaps, n_iter, intercepts = enet_path(
        X, y, n_alphas=9, return_n_iter=True, return_intercept=True, fit_intercept=True)
    assert n_iter.shape == (9,) and intercepts.shape == (9,)
    assert np.all(np.diff(alphas) < 0)


@pytest.mark.parametrize("tol", [1e-4, 1e-10])
def test_path_dual_gaps(tol):
    X, y = _centred()
    alphas, coefs, gaps = _no_warning_path(enet_path, X, y, l1_ratio=0.8, n_alphas=20,
                                           tol=tol, max_iter=100_000)
    null = enet_null_objective(y, fit_intercept=False)
    assert np.all(gaps >= 0) and np.all(gaps <= tol * null)
    for k in (0, 7, 19):
        ref = enet_duality_gap(X, y, coefs[:, k], alpha=alphas[k], l1_ratio=0.8,
                               fit_intercept=False)
        assert abs(gaps[k] - ref) <= 1e-10


@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_intercept_path_matches_estimator(fmt, weighted):
    X, y = _n_gt_p()
    Xf = sp.csc_matrix(X) if fmt == "csc" else X
    sw = np.random.default_rng(0).uniform(0.0, 2.0, X.shape[0]) if weighted else None
    alphas, coefs, _, intercepts = _no_warning_path(
        lasso_path, Xf, y, n_alphas=12, eps=1e-2, fit_intercept=True, sample_weight=sw,
        tol=1e-12, max_iter=100_000, return_intercept=True)
    # the grid starts at alpha_max of the centred problem
    assert np.all(coefs[:, 0] == 0.0)
    assert intercepts[0] == pytest.approx(np.average(y, weights=sw), rel=1e-12)
    assert np.count_nonzero(coefs[:, 1]) >= 1
    for k, alpha in enumerate(alphas):
        est = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(Xf, y, sample_weight=sw)
        p_est = enet_objective(X, y, est.coef_, est.intercept_, alpha=alpha, sample_weight=sw)
        p_path = enet_objective(X, y, coefs[:, k], intercepts[k], alpha=alpha,
                                sample_weight=sw)
        assert abs(p_path - p_est) <= 1e-12 * max(1.0, p_est)
        np.testing.assert_allclose(coefs[:, k], est.coef_, rtol=0, atol=1e-6)
        assert intercepts[k] == pytest.approx(est.intercept_, abs=1e-6)


@pytest.mark.parametrize("path", [enet_path, sqrt_lasso_path, lad_lasso_path])
def test_path_intercepts_on_far_columns(path):
    """Columns far from zero (1e7 standard deviations) are fitted on shifted copies: the
    coefficients do not move and the intercepts returned are those of the columns given."""
    X, y = _n_gt_p()
    offsets = 1e7 * np.linspace(-1.0, 2.0, X.shape[1])
    kw = dict(fit_intercept=True, tol=1e-10, return_intercept=True)
    alphas, coefs, _, intercepts = _no_warning_path(path, X, y, n_alphas=5, eps=0.05, **kw)
    _, coefs_far, _, intercepts_far = _no_warning_path(path, X + offsets, y, alphas=alphas,
                                                       **kw)
    assert np.count_nonzero(coefs[:, -1]) >= 2
    np.testing.assert_allclose(coefs_far, coefs, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose((X + offsets) @ coefs_far + intercepts_far,
                               X @ coefs + intercepts, rtol=0, atol=1e-6)


def test_weights_and_positive_path_match_estimators():
    X, y = _n_gt_p()
    rng = np.random.default_rng(2)
    v = rng.uniform(0.5, 2.0, X.shape[1])
    alphas, coefs, _, intercepts = _no_warning_path(
        lasso_path, X, y, n_alphas=6, eps=0.05, weights=v, positive=True, fit_intercept=True,
        tol=1e-12, max_iter=100_000, return_intercept=True)
    assert np.all(coefs >= 0)
    for k, alpha in enumerate(alphas):
        est = WeightedLasso(alpha=alpha, weights=v, positive=True, tol=1e-12,
                            max_iter=100_000).fit(X, y)
        kw = dict(alpha=alpha, weights=v)
        assert enet_objective(X, y, coefs[:, k], intercepts[k], **kw) == pytest.approx(
            enet_objective(X, y, est.coef_, est.intercept_, **kw), rel=1e-12)


def test_path_with_unpenalized_feature_starts_at_its_least_squares_fit():
    X, y = _n_gt_p()
    v = np.ones(X.shape[1])
    v[2] = 0.0
    alphas, coefs, _, intercepts = lasso_path(X, y, weights=v, n_alphas=5, fit_intercept=True,
                                              tol=1e-12, return_intercept=True)
    A = np.column_stack([X[:, 2], np.ones(X.shape[0])])
    ls = np.linalg.lstsq(A, y, rcond=None)[0]
    assert np.all(np.delete(coefs[:, 0], 2) == 0.0)
    assert coefs[2, 0] == pytest.approx(ls[0], rel=1e-8)
    assert intercepts[0] == pytest.approx(ls[1], rel=1e-8)


def test_enet_path_matches_elasticnet():
    X, y = _centred(n=30, p=60)
    alphas, coefs, _ = _no_warning_path(enet_path, X, y, l1_ratio=0.3, n_alphas=8, eps=1e-2,
                                        tol=1e-12, max_iter=100_000)
    for k, alpha in enumerate(alphas):
        est = ElasticNet(alpha=alpha, l1_ratio=0.3, fit_intercept=False, tol=1e-12,
                         max_iter=100_000).fit(X, y)
        kw = dict(alpha=alpha, l1_ratio=0.3)
        assert enet_objective(X, y, coefs[:, k], **kw) == pytest.approx(
            enet_objective(X, y, est.coef_, **kw), rel=1e-11)


@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_n_jobs_gives_the_same_path(fmt, l1_ratio):
    X, y = _centred()
    Xf = sp.csc_matrix(X) if fmt == "csc" else X
    kw = dict(l1_ratio=l1_ratio, n_alphas=30, tol=1e-12, max_iter=100_000,
              return_n_iter=True)
    a1, c1, g1, _ = _no_warning_path(enet_path, Xf, y, **kw)
    a2, c2, g2, it2 = _no_warning_path(enet_path, Xf, y, n_jobs=2, **kw)
    np.testing.assert_array_equal(a1, a2)
    p1 = _objectives(X, y, a1, c1, l1_ratio)
    p2 = _objectives(X, y, a2, c2, l1_ratio)
    assert np.max(np.abs(p1 - p2) / p1) <= 1e-11
    null = enet_null_objective(y, fit_intercept=False)
    assert np.all(g2 <= 1e-12 * null)
    assert np.all(it2 >= 0)
    # n_jobs=-1 and n_jobs larger than the grid are accepted too
    a3, c3, _, _ = _no_warning_path(enet_path, Xf, y, n_jobs=-1, **kw)
    p3 = _objectives(X, y, a3, c3, l1_ratio)
    assert np.max(np.abs(p1 - p3) / p1) <= 1e-11
    a4, c4, _, _ = _no_warning_path(enet_path, Xf, y, alphas=a1[:3], n_jobs=8,
                                    **{k: v for k, v in kw.items() if k != "n_alphas"})
    p4 = _objectives(X, y, a4, c4, l1_ratio)
    assert np.max(np.abs(p1[:3] - p4) / p1[:3]) <= 1e-11


def test_coef_init_is_used():
    X, y = _centred()
    alpha = 0.05
    solution = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=100_000).fit(X, y)
    _, cold, _, it_cold = _no_warning_path(lasso_path, X, y, alphas=[alpha], tol=1e-10,
                                           max_iter=100_000, return_n_iter=True)
    _, warm, _, it_warm = _no_warning_path(lasso_path, X, y, alphas=[alpha], tol=1e-10,
                                           max_iter=100_000, return_n_iter=True,
                                           coef_init=solution.coef_)
    assert it_warm[0] < it_cold[0]
    assert it_warm[0] <= 1
    np.testing.assert_allclose(warm[:, 0], solution.coef_, atol=1e-6)
    # a poor initial point is still driven to the solution
    _, far, _ = _no_warning_path(lasso_path, X, y, alphas=[alpha], tol=1e-12,
                                 max_iter=100_000, coef_init=np.full(X.shape[1], 3.0))
    kw = dict(alpha=alpha)
    assert enet_objective(X, y, far[:, 0], **kw) == pytest.approx(
        enet_objective(X, y, solution.coef_, **kw), rel=1e-10)
    with pytest.raises(ValueError, match="coef_init"):
        lasso_path(X, y, alphas=[alpha], coef_init=np.zeros(3))


def test_path_convergence_warning():
    X, y = _centred()
    with pytest.warns(ConvergenceWarning):
        lasso_path(X, y, n_alphas=5, eps=1e-3, max_iter=1, tol=1e-12)


def test_lasso_path_rejects_l1_ratio():
    X, y = _n_gt_p()
    with pytest.raises(TypeError):
        lasso_path(X, y, l1_ratio=0.5)
