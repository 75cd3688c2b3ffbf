"""CSRegression and CSRegressionCV: recovery of planted discrete coefficients with a learned
scale, the snapped coefficients and their levels, the continuous objective (numpy), sample
weights, sparse input, warm starts, the CV path and the scikit-learn conventions."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import CSRegression as TopLevelCSRegression
from skreg.cauchy_schwarz import (
    CSRegression,
    CSRegressionCV,
    binary,
    one_sided_binary,
    ternary,
)

PRIORS = ["binary", "one_sided_binary", "ternary"]
PATTERNS = {
    "binary": np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0]),
    "one_sided_binary": np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0]),
    "ternary": np.array([1.0, -1.0, 0.0, 1.0, 0.0, -1.0, 1.0, 0.0]),
}
REGULARIZER = {"binary": binary, "one_sided_binary": one_sided_binary, "ternary": ternary}


def _data(n=300, p=8, seed=0, coef=None, intercept=2.0, noise=0.01):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if coef is None:
        coef = 0.7 * PATTERNS["ternary"]
    y = X @ coef + intercept + noise * rng.standard_normal(n)
    return X, y


def _sin2(prior, w):
    """sin^2 of the angle between g(w) and h(w): the public regularizer over its bound."""
    S = {k: float(np.sum(w**k)) for k in (2, 4, 6)}
    bound = {"binary": w.size * S[4], "one_sided_binary": S[2] * S[4],
             "ternary": S[2] * S[6]}[prior]
    return REGULARIZER[prior](w)[0] / bound if bound > 0 else 0.0


def _objective(prior, alpha, X, y, w, sw=None, fit_intercept=True):
    """The docstring objective in numpy, the intercept minimized out."""
    sw = np.ones(len(y)) if sw is None else np.asarray(sw, dtype=float)
    r = y - X @ w
    b = sw @ r / sw.sum() if fit_intercept else 0.0
    loss = 0.5 * sw @ (r - b) ** 2 / sw.sum()
    return loss + alpha * (w @ w) * _sin2(prior, w)


def _lstsq(X, y, sw=None):
    sw = np.ones(len(y)) if sw is None else sw
    Z = np.column_stack([X, np.ones(len(y))]) * np.sqrt(sw)[:, None]
    sol = np.linalg.lstsq(Z, y * np.sqrt(sw), rcond=None)[0]
    return sol[:-1], sol[-1]


def _assert_on_levels(reg, prior):
    assert np.all(np.isin(reg.coef_, reg.levels_))
    assert np.all(np.diff(reg.levels_) >= 0)  # sorted
    a = reg.scale_
    expected = {"binary": [-a, a], "one_sided_binary": sorted([0.0, a]),
                "ternary": [-a, 0.0, a]}[prior]
    np.testing.assert_array_equal(reg.levels_, expected)
    if prior != "one_sided_binary":
        assert a >= 0


# ------------------------------------------------------------------------------------------
# recovery of planted coefficients
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("a", [0.7, 2.5])
def test_recovers_planted_coefficients(prior, a):
    pattern = PATTERNS[prior]
    X, y = _data(coef=a * pattern, seed=1)
    reg = CSRegression(prior=prior, alpha=1.0).fit(X, y)
    np.testing.assert_array_equal(reg.coef_ / reg.scale_, pattern)
    assert reg.scale_ == pytest.approx(a, rel=1e-2)
    assert reg.intercept_ == pytest.approx(2.0, abs=1e-2)
    _assert_on_levels(reg, prior)
    assert reg.coef_continuous_.shape == (8,) and reg.n_iter_ >= 0
    assert reg.n_features_in_ == 8
    np.testing.assert_allclose(reg.predict(X), X @ reg.coef_ + reg.intercept_, rtol=1e-12)
    # the continuous minimizer is close to the set too
    np.testing.assert_allclose(reg.coef_continuous_, reg.coef_, atol=0.02 * a)


@pytest.mark.parametrize("prior", ["binary", "ternary"])
def test_symmetric_priors_report_a_positive_scale(prior):
    pattern = PATTERNS[prior]
    X, y = _data(coef=-0.7 * pattern, seed=2)
    reg = CSRegression(prior=prior, alpha=1.0).fit(X, y)
    assert reg.scale_ == pytest.approx(0.7, rel=1e-2)
    np.testing.assert_array_equal(reg.coef_ / reg.scale_, -pattern)
    _assert_on_levels(reg, prior)


def test_one_sided_binary_negative_scale():
    pattern = PATTERNS["one_sided_binary"]
    X, y = _data(coef=-0.7 * pattern, seed=2)
    reg = CSRegression(prior="one_sided_binary", alpha=1.0).fit(X, y)
    np.testing.assert_allclose(reg.coef_, -0.7 * pattern, atol=1e-2)
    _assert_on_levels(reg, "one_sided_binary")  # fails here: coef_ has -a, levels_ [0, a]
    assert reg.scale_ == pytest.approx(-0.7, rel=1e-2)  # documented: may be negative


@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("seed", range(4))
def test_coef_always_on_levels(prior, seed):
    # random (unstructured) targets, several penalties: coef_ is on levels_ whatever happens
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, 6))
    y = X @ np.abs(rng.standard_normal(6)) + rng.standard_normal(60)
    for alpha in (0.0, 0.1, 10.0):
        reg = CSRegression(prior=prior, alpha=alpha).fit(X, y)
        _assert_on_levels(reg, prior)


@pytest.mark.parametrize("prior", ["binary", "ternary"])
def test_single_feature(prior):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 1))
    y = -0.5 * X[:, 0] + 0.01 * rng.standard_normal(50)
    reg = CSRegression(prior=prior).fit(X, y)
    assert reg.scale_ == pytest.approx(0.5, rel=1e-2)
    assert reg.coef_[0] == -reg.scale_
    _assert_on_levels(reg, prior)


def test_constant_target_gives_zero_coefficients():
    X, _ = _data(n=50)
    reg = CSRegression(prior="ternary").fit(X, np.full(50, 3.0))
    np.testing.assert_array_equal(reg.coef_, 0.0)
    assert reg.intercept_ == pytest.approx(3.0)
    assert reg.n_iter_ == 0
    _assert_on_levels(reg, "ternary")


def test_top_level_import():
    assert TopLevelCSRegression is CSRegression


# ------------------------------------------------------------------------------------------
# the continuous problem: alpha = 0, the effect of alpha, the objective
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_alpha_zero_rounds_the_least_squares_solution(prior, fit_intercept):
    X, y = _data(n=80, seed=3, coef=0.8 * PATTERNS[prior], noise=0.4)
    if not fit_intercept:
        y = y - 2.0
    reg = CSRegression(prior=prior, alpha=0.0, fit_intercept=fit_intercept).fit(X, y)
    if fit_intercept:
        w_ls, _ = _lstsq(X, y)
    else:
        w_ls = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(reg.coef_continuous_, w_ls, rtol=1e-9, atol=1e-12)
    assert reg.n_iter_ == 0
    # the pattern is a nearest-level rounding of w_ls (a fixed point of the 1-D k-means)
    pattern = reg.coef_ / reg.scale_
    if prior == "binary":
        np.testing.assert_array_equal(pattern, np.sign(w_ls))
    else:
        s = pattern[pattern != 0][0]  # the sign of the nonzero level
        m = np.maximum(s * w_ls, 0.0) if prior == "one_sided_binary" else np.abs(w_ls)
        centre = m[pattern != 0].mean()
        np.testing.assert_array_equal(pattern != 0, m > centre / 2)
        signs = s if prior == "one_sided_binary" else np.sign(w_ls[pattern != 0])
        np.testing.assert_array_equal(pattern[pattern != 0], signs)
    # the scale (and intercept) are the least-squares fit with the pattern fixed
    if fit_intercept:
        a, b = _lstsq((X @ pattern)[:, None], y)
        assert reg.intercept_ == pytest.approx(b, rel=1e-9)
    else:
        a = [(X @ pattern) @ y / np.sum((X @ pattern) ** 2)]
        assert reg.intercept_ == 0.0
    assert reg.scale_ == pytest.approx(a[0], rel=1e-9)


@pytest.mark.parametrize("prior", PRIORS)
def test_larger_alpha_moves_closer_to_the_set(prior):
    X, y = _data(n=120, seed=0, noise=0.5, intercept=1.0)
    sin2, dist = [], []
    for alpha in [0.0, 1e-3, 1e-2, 0.1, 0.3, 1.0, 3.0, 10.0]:
        reg = CSRegression(prior=prior, alpha=alpha).fit(X, y)
        sin2.append(_sin2(prior, reg.coef_continuous_))
        dist.append(np.linalg.norm(reg.coef_continuous_ - reg.coef_))
    assert np.all(np.diff(sin2) <= 1e-12)
    assert sin2[-1] < 1e-2 * sin2[0]
    assert dist[-1] < 0.1 * dist[0]


@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("alpha", [0.05, 1.0])
def test_objective_decreases_from_the_least_squares_start(prior, alpha):
    X, y = _data(n=100, seed=4, noise=0.5)
    sw = np.random.default_rng(4).uniform(0.5, 2.0, 100)
    reg = CSRegression(prior=prior, alpha=alpha).fit(X, y, sample_weight=sw)
    w_ls, _ = _lstsq(X, y, sw)
    f_cont = _objective(prior, alpha, X, y, reg.coef_continuous_, sw)
    assert f_cont <= _objective(prior, alpha, X, y, w_ls, sw) + 1e-12
    # a stationary point of the numpy objective (central differences)
    h = 1e-6
    grad = np.array([(_objective(prior, alpha, X, y, reg.coef_continuous_ + h * e, sw)
                      - _objective(prior, alpha, X, y, reg.coef_continuous_ - h * e, sw))
                     / (2 * h) for e in np.eye(8)])
    c_norm = np.linalg.norm(X.T @ (sw * (y - sw @ y / sw.sum()))) / sw.sum()
    assert np.linalg.norm(grad) <= 1e-5 * c_norm


# ------------------------------------------------------------------------------------------
# sample weights, intercept, sparse input, warm starts
# ------------------------------------------------------------------------------------------


def _assert_same_fit(r1, r2, rtol=1e-8):
    np.testing.assert_allclose(r1.coef_continuous_, r2.coef_continuous_, rtol=rtol,
                               atol=rtol * np.abs(r2.coef_continuous_).max())
    np.testing.assert_allclose(r1.coef_, r2.coef_, rtol=rtol, atol=1e-12)
    assert r1.intercept_ == pytest.approx(r2.intercept_, rel=rtol, abs=1e-12)
    assert r1.scale_ == pytest.approx(r2.scale_, rel=rtol)


@pytest.mark.parametrize("prior", PRIORS)
def test_integer_weights_equal_repeated_rows(prior):
    X, y = _data(n=60, seed=5, noise=0.5)
    sw = np.random.default_rng(5).integers(1, 4, 60)
    r1 = CSRegression(prior=prior, alpha=0.3).fit(X, y, sample_weight=sw)
    r2 = CSRegression(prior=prior, alpha=0.3).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    _assert_same_fit(r1, r2)


@pytest.mark.parametrize("prior", PRIORS)
def test_zero_weights_equal_dropped_rows(prior):
    X, y = _data(n=60, seed=6, noise=0.5)
    sw = np.random.default_rng(6).uniform(0.5, 2.0, 60)
    sw[::3] = 0.0
    y_bad = y.copy()
    y_bad[::3] = 1e3  # outliers with zero weight change nothing
    r1 = CSRegression(prior=prior, alpha=0.3).fit(X, y_bad, sample_weight=sw)
    keep = sw > 0
    r2 = CSRegression(prior=prior, alpha=0.3).fit(X[keep], y[keep], sample_weight=sw[keep])
    _assert_same_fit(r1, r2)
    # uniform weights change nothing
    r3 = CSRegression(prior=prior, alpha=0.3).fit(X, y, sample_weight=np.full(60, 2.5))
    r4 = CSRegression(prior=prior, alpha=0.3).fit(X, y)
    _assert_same_fit(r3, r4)


def test_fit_intercept_false():
    X, y = _data(seed=7, intercept=0.0)
    reg = CSRegression(prior="ternary", fit_intercept=False).fit(X, y)
    assert reg.intercept_ == 0.0
    np.testing.assert_array_equal(reg.coef_ / reg.scale_, PATTERNS["ternary"])
    assert reg.scale_ == pytest.approx(0.7, rel=1e-2)
    # with an offset in the data the two fits differ
    y2 = y + 5.0
    with_b = CSRegression(prior="ternary").fit(X, y2)
    without = CSRegression(prior="ternary", fit_intercept=False).fit(X, y2)
    assert with_b.intercept_ == pytest.approx(5.0, abs=1e-2)
    assert not np.allclose(with_b.coef_continuous_, without.coef_continuous_)


@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_equals_dense(prior, fit_intercept):
    X, y = _data(n=80, seed=8, noise=0.5)
    X[np.random.default_rng(8).random(X.shape) < 0.5] = 0.0
    sw = np.random.default_rng(9).uniform(0.5, 2.0, 80)
    dense = CSRegression(prior=prior, alpha=0.3, fit_intercept=fit_intercept).fit(
        X, y, sample_weight=sw)
    for fmt in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        sparse = CSRegression(prior=prior, alpha=0.3, fit_intercept=fit_intercept).fit(
            fmt(X), y, sample_weight=sw)
        _assert_same_fit(sparse, dense, rtol=1e-9)
        np.testing.assert_allclose(sparse.predict(fmt(X)), dense.predict(X), rtol=1e-9)


def test_warm_start():
    X, y = _data(n=120, seed=10, noise=0.5)
    cold = CSRegression(alpha=0.3).fit(X, y)
    assert cold.n_iter_ > 0
    warm = CSRegression(alpha=0.3, warm_start=True).fit(X, y)
    assert warm.n_iter_ == cold.n_iter_  # nothing to start from yet: least squares
    first = warm.coef_continuous_.copy()
    warm.fit(X, y)
    assert warm.n_iter_ <= cold.n_iter_
    assert warm.n_iter_ == 0  # already stationary
    np.testing.assert_array_equal(warm.coef_continuous_, first)
    # without warm_start, a refit starts again from least squares
    cold.fit(X, y)
    assert cold.n_iter_ > 0
    # a new alpha continues from the previous minimizer and reaches the same point
    warm.set_params(alpha=1.0).fit(X, y)
    ref = CSRegression(alpha=1.0).fit(X, y)
    np.testing.assert_allclose(warm.coef_continuous_, ref.coef_continuous_, atol=1e-5)
    # the starting point is really coef_continuous_: one iteration from it stays near it
    warm.set_params(alpha=0.3, max_iter=1)
    start = warm.coef_continuous_.copy()
    with pytest.warns(ConvergenceWarning):
        warm.fit(X, y)
    assert np.linalg.norm(warm.coef_continuous_ - start) < np.linalg.norm(start - first)
    # another number of features: falls back to least squares
    warm.set_params(max_iter=5000).fit(X[:, :5], y)
    assert warm.coef_continuous_.shape == (5,)


def test_convergence_warning():
    X, y = _data(n=100, seed=11, noise=0.5)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        reg = CSRegression(alpha=1.0, max_iter=1).fit(X, y)
    _assert_on_levels(reg, "ternary")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        CSRegression(alpha=1.0).fit(X, y)


def test_inputs_not_modified():
    X, y = _data(n=50, seed=12)
    sw = np.ones(50)
    copies = X.copy(), y.copy(), sw.copy()
    for arr in (X, y, sw):
        arr.flags.writeable = False
    CSRegression().fit(X, y, sample_weight=sw)
    for arr, c in zip((X, y, sw), copies):
        np.testing.assert_array_equal(arr, c)


# ------------------------------------------------------------------------------------------
# CSRegressionCV
# ------------------------------------------------------------------------------------------


def test_cv_attributes_and_path():
    X, y = _data(n=120, seed=13, noise=0.5)
    cv = CSRegressionCV(prior="ternary", n_alphas=5, cv=KFold(3)).fit(X, y)
    assert cv.alphas_.shape == (5,)
    assert np.all(np.diff(cv.alphas_) > 0)
    assert cv.mse_path_.shape == (5, 3)
    assert np.all(cv.mse_path_ >= 0)
    assert cv.alpha_ in cv.alphas_
    assert cv.alpha_ == cv.alphas_[np.argmin(cv.mse_path_.mean(axis=1))]
    # default grid: log-spaced over 5 decades, scaled by the mean feature variance
    s = np.mean(np.var(X, axis=0))
    np.testing.assert_allclose(cv.alphas_, s * np.logspace(-4, 1, 5), rtol=1e-10)
    # the first grid point is a cold fit from least squares on each training fold
    for k, (train, test) in enumerate(KFold(3).split(X)):
        reg = CSRegression(alpha=cv.alphas_[0]).fit(X[train], y[train])
        mse = np.mean((y[test] - reg.predict(X[test])) ** 2)
        assert cv.mse_path_[0, k] == pytest.approx(mse, rel=1e-6)
    _assert_on_levels(cv, "ternary")
    np.testing.assert_array_equal(cv.coef_ / cv.scale_, PATTERNS["ternary"])


def test_cv_user_alphas():
    X, y = _data(n=90, seed=14, noise=0.5)
    cv = CSRegressionCV(prior="binary", alphas=[3.0, 0.01, 0.3], cv=3).fit(X, y)
    np.testing.assert_array_equal(cv.alphas_, [0.01, 0.3, 3.0])
    assert cv.mse_path_.shape == (3, 3)
    assert cv.alpha_ in (0.01, 0.3, 3.0)
    _assert_on_levels(cv, "binary")
    cv1 = CSRegressionCV(prior="binary", alphas=[0.05], cv=3).fit(X, y)
    assert cv1.alpha_ == 0.05
    single = CSRegression(prior="binary", alpha=0.05).fit(X, y)
    np.testing.assert_allclose(cv1.coef_continuous_, single.coef_continuous_, rtol=1e-12)
    np.testing.assert_array_equal(cv1.coef_, single.coef_)


@pytest.mark.parametrize("prior", PRIORS)
def test_cv_n_jobs_agree(prior):
    X, y = _data(n=90, seed=15, noise=0.5)
    sw = np.random.default_rng(15).uniform(0.5, 2.0, 90)
    kw = dict(prior=prior, n_alphas=4, cv=3)
    r1 = CSRegressionCV(n_jobs=1, **kw).fit(X, y, sample_weight=sw)
    r2 = CSRegressionCV(n_jobs=2, **kw).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(r1.mse_path_, r2.mse_path_, rtol=1e-12)
    assert r1.alpha_ == r2.alpha_
    np.testing.assert_allclose(r1.coef_, r2.coef_, rtol=1e-12)


def test_cv_sparse_equals_dense():
    X, y = _data(n=90, seed=16, noise=0.5)
    X[np.random.default_rng(16).random(X.shape) < 0.4] = 0.0
    dense = CSRegressionCV(n_alphas=4, cv=3).fit(X, y)
    sparse = CSRegressionCV(n_alphas=4, cv=3).fit(sp.csc_matrix(X), y)
    np.testing.assert_allclose(sparse.mse_path_, dense.mse_path_, rtol=1e-8)
    assert sparse.alpha_ == dense.alpha_
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-8)


def test_pipeline_and_grid_search():
    X, y = _data(n=120, seed=17, noise=0.3)
    X = X * np.array([1.0, 10.0, 0.1, 1.0, 5.0, 1.0, 2.0, 1.0]) + 3.0
    pipe = make_pipeline(StandardScaler(), CSRegressionCV(n_alphas=4, cv=3)).fit(X, y)
    est = pipe[-1]
    _assert_on_levels(est, "ternary")
    assert pipe.score(X, y) > 0.8
    pipe = make_pipeline(StandardScaler(), CSRegression(alpha=0.1))
    search = GridSearchCV(pipe, {"csregression__alpha": [0.01, 1.0],
                                 "csregression__prior": ["binary", "ternary"]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["csregression__prior"] == "ternary"
    _assert_on_levels(search.best_estimator_[-1], "ternary")


# ------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("Est", [CSRegression, CSRegressionCV])
@pytest.mark.parametrize("params, exc, match", [
    (dict(prior="eigenvector"), ValueError, "prior"),
    (dict(prior="orthogonal"), ValueError, "prior"),
    (dict(prior="quaternary"), ValueError, "prior"),
    (dict(fit_intercept=1), TypeError, "fit_intercept"),
    (dict(fit_intercept="yes"), TypeError, "fit_intercept"),
    (dict(max_iter=0), ValueError, "max_iter"),
    (dict(max_iter=1.5), TypeError, "max_iter"),
    (dict(tol=0.0), ValueError, "tol"),
    (dict(tol="1e-6"), TypeError, "tol"),
])
def test_bad_parameters(Est, params, exc, match):
    X, y = _data(n=30)
    with pytest.raises(exc, match=match):
        Est(**params).fit(X, y)


@pytest.mark.parametrize("params, exc, match", [
    (dict(alpha=-1.0), ValueError, "alpha"),
    (dict(alpha=np.nan), ValueError, "alpha"),
    (dict(alpha=np.inf), ValueError, "alpha"),
    (dict(alpha="1"), TypeError, "alpha"),
    (dict(alpha=True), TypeError, "alpha"),
    (dict(alpha=None), TypeError, "alpha"),
    (dict(warm_start=1), TypeError, "warm_start"),
    (dict(warm_start=None), TypeError, "warm_start"),
])
def test_bad_regression_parameters(params, exc, match):
    X, y = _data(n=30)
    with pytest.raises(exc, match=match):
        CSRegression(**params).fit(X, y)


@pytest.mark.parametrize("params, exc", [
    (dict(n_alphas=0), ValueError), (dict(n_alphas=2.0), TypeError),
    (dict(alphas=[-1.0, 1.0]), ValueError), (dict(alphas=[]), ValueError),
    (dict(alphas=[np.nan]), ValueError),
])
def test_bad_cv_parameters(params, exc):
    X, y = _data(n=30)
    with pytest.raises(exc):
        CSRegressionCV(cv=3, **params).fit(X, y)


def test_bad_data():
    X, y = _data(n=30)
    with pytest.raises(ValueError):
        CSRegression().fit(X, y[:-1])
    with pytest.raises(ValueError):
        CSRegression().fit(X, y, sample_weight=-np.ones(30))
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError):
        CSRegression().fit(X_nan, y)
    with pytest.raises(ValueError, match="sum to zero"):
        sw = np.ones(30)
        sw[:10] = 0.0
        CSRegressionCV(cv=KFold(3)).fit(X, y, sample_weight=sw)
