"""WeightedOMP and WeightedOMPCV: parity with scikit-learn's OrthogonalMatchingPursuit,
attributes, caps, cross-validation semantics and parameter validation."""

import numpy as np
import pytest
from sklearn.linear_model import OrthogonalMatchingPursuit
from sklearn.model_selection import KFold

from skreg.datasets import make_compressive_sensing
from skreg.greedy import WeightedOMP, WeightedOMPCV, weighted_omp
from skreg.greedy._solver import GreedyProblem

RULES = [(loss, pen) for loss in ("lasso", "sqrt", "lad") for pen in ("l0", "l1")]


def _centred_unit(seed, m, N, offset=3.0):
    """Data whose centred columns have unit norm (sklearn's OMP selects on the raw centred
    correlations), with nonzero column means and an intercept."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, N))
    X -= X.mean(axis=0)
    X /= np.linalg.norm(X, axis=0)
    X += offset * rng.standard_normal(N)
    y = X[:, :4] @ rng.standard_normal(4) + 5.0 + 0.1 * rng.standard_normal(m)
    return X, y


# --------------------------------------------------------------------------------------------
# WeightedOMP
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("m, N", [(40, 12), (20, 60)])
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_sklearn_omp_with_intercept(m, N, seed):
    X, y = _centred_unit(seed, m, N)
    k_max = 10
    ours = WeightedOMP(n_nonzero_coefs=k_max).fit(X, y)
    assert ours.coef_path_.shape == (N, k_max)
    for k in range(1, k_max + 1):
        sk = OrthogonalMatchingPursuit(n_nonzero_coefs=k, fit_intercept=True).fit(X, y)
        np.testing.assert_allclose(ours.coef_path_[:, k - 1], sk.coef_, rtol=0, atol=1e-10)
        assert ours.intercept_path_[k - 1] == pytest.approx(sk.intercept_, abs=1e-10)
        assert set(ours.support_[:k]) == set(np.flatnonzero(sk.coef_))
    np.testing.assert_allclose(ours.predict(X), sk.predict(X), rtol=0, atol=1e-9)


def test_tol_matches_sklearn_omp_with_intercept():
    X, y = _centred_unit(2, 40, 15)
    full = WeightedOMP(n_nonzero_coefs=10).fit(X, y)
    rss = [np.sum((y - X @ full.coef_path_[:, k] - full.intercept_path_[k]) ** 2)
           for k in range(10)]
    for stop_at in (2, 6):
        tol = 0.5 * (rss[stop_at - 1] + rss[stop_at - 2])
        ours = WeightedOMP(tol=tol).fit(X, y)
        sk = OrthogonalMatchingPursuit(tol=tol).fit(X, y)
        assert ours.stop_reason_ == "tol"
        assert ours.n_nonzero_coefs_ == stop_at == np.count_nonzero(sk.coef_)
        np.testing.assert_allclose(ours.coef_, sk.coef_, rtol=0, atol=1e-10)
        assert ours.intercept_ == pytest.approx(sk.intercept_, abs=1e-10)


@pytest.mark.parametrize("loss, penalty", RULES)
def test_estimator_matches_functional_interface(loss, penalty):
    X, y = _centred_unit(3, 30, 10)
    rng = np.random.default_rng(0)
    sw = rng.uniform(0.5, 2.0, 30)
    w = rng.uniform(0.5, 2.0, 10)
    params = {"loss": loss, "penalty": penalty, "alpha": 0.05, "weights": w,
              "n_nonzero_coefs": 5, "max_iter": 6}
    est = WeightedOMP(**params).fit(X, y, sample_weight=sw)
    res = weighted_omp(X, y, fit_intercept=True, sample_weight=sw, **params)
    np.testing.assert_array_equal(est.coef_, res.coef)
    assert est.intercept_ == res.intercept
    np.testing.assert_array_equal(est.coef_path_, res.coef_path)
    np.testing.assert_array_equal(est.intercept_path_, res.intercept_path)
    np.testing.assert_array_equal(est.support_, res.support)
    np.testing.assert_array_equal(est.loss_path_, res.loss_path)
    assert est.n_iter_ == res.n_iter and est.stop_reason_ == res.stop_reason
    assert est.n_nonzero_coefs_ == res.support.size >= 2
    assert est.n_features_in_ == 10
    np.testing.assert_allclose(est.predict(X), X @ res.coef + res.intercept, rtol=1e-14)


@pytest.mark.parametrize("loss", ["lasso", "sqrt", "lad"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("shape", [(10, 5), (6, 20)])
def test_n_nonzero_coefs_capped_by_the_shape(loss, fit_intercept, shape):
    rng = np.random.default_rng(4)
    X = rng.standard_normal(shape)
    y = rng.standard_normal(shape[0])
    est = WeightedOMP(loss=loss, n_nonzero_coefs=50, fit_intercept=fit_intercept).fit(X, y)
    assert 1 <= est.n_nonzero_coefs_ <= min(shape)
    assert len(set(est.support_.tolist())) == est.n_nonzero_coefs_
    # tol=0 alone: also capped (at most min(n_samples, n_features) iterations)
    est = WeightedOMP(loss=loss, tol=0.0, fit_intercept=fit_intercept).fit(X, y)
    assert est.n_nonzero_coefs_ <= min(shape) and est.n_iter_ <= min(shape) + 1


def test_default_fit_intercept_is_true():
    X, y = _centred_unit(5, 30, 10)
    est = WeightedOMP(n_nonzero_coefs=3).fit(X, y)
    res = weighted_omp(X, y, n_nonzero_coefs=3, fit_intercept=True)
    assert est.intercept_ == res.intercept != 0.0


# --------------------------------------------------------------------------------------------
# WeightedOMPCV
# --------------------------------------------------------------------------------------------
def _cs_problem(seed=0, outliers=0.0):
    X, y, coef = make_compressive_sensing(60, 120, n_nonzero=4, noise_level=0.05,
                                          outlier_fraction=outliers, random_state=seed)
    return X, y, coef


def _held_out_error(loss, Xtr, ytr, Xte, yte, swtr, swte, **params):
    est = WeightedOMP(loss=loss, **params).fit(Xtr, ytr, sample_weight=swtr)
    resid = yte - est.predict(Xte)
    err = np.abs(resid) if loss == "lad" else resid * resid
    return swte @ err / swte.sum()


@pytest.mark.parametrize("loss, penalty", RULES)
def test_cv_recovers_the_support(loss, penalty):
    X, y, coef = _cs_problem(3, outliers=0.1 if loss == "lad" else 0.0)
    cv = WeightedOMPCV(loss=loss, penalty=penalty, max_iter=8, cv=3, n_alphas=6).fit(X, y)
    assert sorted(cv.support_.tolist()) == np.flatnonzero(coef).tolist()
    assert 4 <= cv.max_iter_ <= 8
    assert cv.alpha_ in cv.alphas_
    assert cv.cv_errors_.shape == (7, 8, 3)  # n_alphas + the appended 0, max_iter, folds
    # the selected pair is the argmin of the fold-mean error (first one on ties)
    mean = cv.cv_errors_.mean(axis=-1)
    a, k = np.unravel_index(np.argmin(mean), mean.shape)
    assert cv.alpha_ == cv.alphas_[a] and cv.max_iter_ == k + 1


def test_cv_default_grid():
    X, y, _ = _cs_problem(1)
    cv = WeightedOMPCV(loss="sqrt", penalty="l1", n_alphas=5, eps=1e-2, max_iter=6,
                       cv=3).fit(X, y)
    amax = GreedyProblem(X, y, np.ones(60), "sqrt", True).alpha_max(None, "l1")
    assert cv.alphas_.shape == (6,)
    assert cv.alphas_[0] == pytest.approx(amax, rel=1e-12)
    assert cv.alphas_[-2] == pytest.approx(1e-2 * amax, rel=1e-12)
    assert cv.alphas_[-1] == 0.0
    assert np.all(np.diff(cv.alphas_) < 0)
    # at alpha_max no feature enters: every iteration count scores the null model
    null = cv.cv_errors_[0]
    np.testing.assert_allclose(null, np.broadcast_to(null[0], null.shape), rtol=1e-12)
    assert cv.cv_errors_[-1, -1].mean() < null[0].mean()


@pytest.mark.parametrize("loss, penalty", [("lasso", "l1"), ("sqrt", "l0"), ("lad", "l0")])
def test_cv_errors_are_held_out_errors_of_weighted_omp(loss, penalty):
    """cv_errors_[a, k, f] is the (weighted) held-out mean squared (lad: absolute) error of
    WeightedOMP(alpha=alphas_[a], max_iter=k + 1) fitted on the training part of fold f; the
    refit is WeightedOMP(alpha=alpha_, max_iter=max_iter_) on all the data."""
    X, y, _ = _cs_problem(2)
    X, y = X[:45, :40], y[:45]
    sw = np.random.default_rng(0).uniform(0.5, 2.0, 45)
    folds = KFold(3, shuffle=True, random_state=0)
    cv = WeightedOMPCV(loss=loss, penalty=penalty, alphas=[0.5, 0.05, 0.0], max_iter=5,
                       cv=folds).fit(X, y, sample_weight=sw)
    assert cv.cv_errors_.shape == (3, 5, 3)
    for f, (tr, te) in enumerate(folds.split(X, y)):
        for a, alpha in enumerate(cv.alphas_):
            for k in (0, 2, 4):
                err = _held_out_error(loss, X[tr], y[tr], X[te], y[te], sw[tr], sw[te],
                                      penalty=penalty, alpha=alpha, max_iter=k + 1,
                                      n_nonzero_coefs=k + 1)
                assert cv.cv_errors_[a, k, f] == pytest.approx(err, rel=1e-9)
    ref = WeightedOMP(loss=loss, penalty=penalty, alpha=cv.alpha_, max_iter=cv.max_iter_,
                      n_nonzero_coefs=cv.max_iter_).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(cv.support_, ref.support_)
    np.testing.assert_allclose(cv.coef_, ref.coef_, rtol=1e-12, atol=1e-14)
    assert cv.intercept_ == pytest.approx(ref.intercept_, rel=1e-12, abs=1e-14)
    assert cv.n_iter_ == ref.n_iter_ and cv.stop_reason_ == ref.stop_reason_


def test_cv_refit_matches_weighted_omp_defaults():
    """With max_iter_ below the default n_nonzero_coefs (10% of the features), the plain
    WeightedOMP(alpha=alpha_, max_iter=max_iter_) is the refit."""
    X, y, _ = _cs_problem(3)
    cv = WeightedOMPCV(loss="lasso", penalty="l0", max_iter=8, cv=3, n_alphas=4).fit(X, y)
    assert cv.max_iter_ <= int(0.1 * X.shape[1])
    ref = WeightedOMP(loss="lasso", penalty="l0", alpha=cv.alpha_,
                      max_iter=cv.max_iter_).fit(X, y)
    np.testing.assert_allclose(cv.coef_, ref.coef_, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(cv.support_, ref.support_)


@pytest.mark.parametrize("loss", ["lasso", "lad"])
def test_cv_n_jobs_gives_identical_results(loss):
    X, y, _ = _cs_problem(4)
    X, y = X[:40, :50], y[:40]
    params = {"loss": loss, "penalty": "l1", "n_alphas": 4, "max_iter": 5, "cv": 4}
    one = WeightedOMPCV(**params).fit(X, y)
    two = WeightedOMPCV(n_jobs=2, **params).fit(X, y)
    np.testing.assert_array_equal(one.cv_errors_, two.cv_errors_)
    np.testing.assert_array_equal(one.alphas_, two.alphas_)
    np.testing.assert_array_equal(one.coef_, two.coef_)
    assert one.alpha_ == two.alpha_ and one.max_iter_ == two.max_iter_


def test_cv_explicit_alphas_sorted_decreasing():
    X, y, _ = _cs_problem(5)
    cv = WeightedOMPCV(loss="sqrt", penalty="l1", alphas=[0.01, 10.0, 0.0, 0.3], max_iter=5,
                       cv=3).fit(X, y)
    np.testing.assert_array_equal(cv.alphas_, [10.0, 0.3, 0.01, 0.0])
    assert cv.cv_errors_.shape == (4, 5, 3)
    # alpha = 10 selects nothing (sqrt-l1: alpha w_j >= 1 never decreases): flat null errors
    null = cv.cv_errors_[0]
    np.testing.assert_allclose(null, np.broadcast_to(null[0], null.shape), rtol=1e-12)
    assert cv.alpha_ != 10.0


def test_cv_default_max_iter():
    X, y, _ = _cs_problem(6)
    cv = WeightedOMPCV(n_alphas=2, cv=3).fit(X[:, :30], y)
    assert cv.cv_errors_.shape[1] == 5  # min(max(int(0.1 * 30), 5), 30)
    cv = WeightedOMPCV(n_alphas=2, cv=3).fit(X, y)
    assert cv.cv_errors_.shape[1] == 12  # int(0.1 * 120)


def test_cv_grid_rejects_an_unpenalized_feature():
    X, y, _ = _cs_problem(7)
    w = np.ones(120)
    w[0] = 0.0
    with pytest.raises(ValueError, match="alphas"):
        WeightedOMPCV(weights=w, n_alphas=3, cv=3, max_iter=3).fit(X, y)
    # explicit alphas are fine, and the unpenalized feature is always selected
    cv = WeightedOMPCV(weights=w, alphas=[1e3], cv=3, max_iter=3).fit(X, y)
    assert cv.support_.tolist() == [0]


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
BAD_PARAMS = [
    ({"loss": "l2"}, ValueError, "loss"),
    ({"penalty": "elasticnet"}, ValueError, "penalty"),
    ({"on_no_decrease": True}, ValueError, "on_no_decrease"),
    ({"alpha": -1.0}, ValueError, "alpha"),
    ({"alpha": np.nan}, ValueError, "alpha"),
    ({"alpha": np.inf}, ValueError, "alpha"),
    ({"alpha": [0.1]}, TypeError, "alpha"),
    ({"n_nonzero_coefs": 0}, ValueError, "n_nonzero_coefs"),
    ({"n_nonzero_coefs": 1.5}, TypeError, "n_nonzero_coefs"),
    ({"max_iter": -2}, ValueError, "max_iter"),
    ({"max_iter": 2.0}, TypeError, "max_iter"),
    ({"tol": -1e-3}, ValueError, "tol"),
    ({"tol": np.nan}, ValueError, "tol"),
    ({"weights": np.ones(3)}, ValueError, "weights"),
    ({"weights": -np.ones(10)}, ValueError, "weights"),
    ({"fit_intercept": 1}, TypeError, "fit_intercept"),
]


@pytest.mark.parametrize("params, exc, match", BAD_PARAMS)
def test_weighted_omp_estimator_validation(params, exc, match):
    X, y = _centred_unit(0, 20, 10)
    with pytest.raises(exc, match=match):
        WeightedOMP(**params).fit(X, y)


CV_BAD_PARAMS = [
    ({"loss": "l2"}, ValueError, "loss"),
    ({"penalty": "l3"}, ValueError, "penalty"),
    ({"on_no_decrease": "never"}, ValueError, "on_no_decrease"),
    ({"max_iter": 0}, ValueError, "max_iter"),
    ({"n_alphas": 0}, ValueError, "n_alphas"),
    ({"eps": 0.0}, ValueError, "eps"),
    ({"alphas": [0.1, -1.0]}, ValueError, "alphas"),
    ({"alphas": []}, ValueError, "alphas"),
    ({"fit_intercept": "no"}, TypeError, "fit_intercept"),
]


@pytest.mark.parametrize("params, exc, match", CV_BAD_PARAMS)
def test_weighted_omp_cv_validation(params, exc, match):
    X, y = _centred_unit(0, 20, 10)
    with pytest.raises(exc, match=match):
        WeightedOMPCV(cv=3, **params).fit(X, y)


@pytest.mark.parametrize("loss, penalty", RULES)
def test_estimators_do_not_modify_inputs_and_accept_read_only(loss, penalty):
    X, y = _centred_unit(8, 24, 8)
    rng = np.random.default_rng(1)
    sw = rng.uniform(0.5, 2.0, 24)
    w = rng.uniform(0.5, 2.0, 8)
    arrays = [X, y, sw, w]
    before = [a.copy() for a in arrays]
    ref = WeightedOMP(loss=loss, penalty=penalty, alpha=0.05, weights=w.copy(),
                      n_nonzero_coefs=4).fit(X.copy(), y.copy(), sample_weight=sw.copy())
    for a in arrays:
        a.flags.writeable = False
    est = WeightedOMP(loss=loss, penalty=penalty, alpha=0.05, weights=w,
                      n_nonzero_coefs=4).fit(X, y, sample_weight=sw)
    cv = WeightedOMPCV(loss=loss, penalty=penalty, weights=w, n_alphas=2, max_iter=3,
                       cv=3).fit(X, y, sample_weight=sw)
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    assert est.weights is w  # parameters are stored as given
    assert np.all(np.isfinite(cv.coef_))
