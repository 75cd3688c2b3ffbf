"""Tests of LassoCV and ElasticNetCV (skreg/linear_model/_cv.py) against scikit-learn."""


import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sklm
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold

from skreg import ElasticNet, ElasticNetCV, Lasso, LassoCV
from skreg.reference import enet_objective
from skreg.utils._testing import fit_ignoring_convergence as _sklearn_fit
from skreg.utils._testing import fit_requiring_convergence as _fit_no_warning


def _data(seed=0, n=60, p=40):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[rng.random((n, p)) < 0.3] = 0.0
    y = X[:, :5] @ np.array([1.0, 1.0, -1.0, 2.0, 0.5]) + rng.standard_normal(n) + 1.0
    return X, y


def _sample_weight(n, seed=1):
    sw = np.random.default_rng(seed).uniform(0.2, 2.0, n)
    sw[:3] = 0.0
    return sw


def _rel(a, b):
    return float(np.max(np.abs(a - b) / np.abs(b)))


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_lassocv_matches_sklearn(fit_intercept, weighted, fmt):
    X, y = _data()
    Xf = sp.csc_matrix(X) if fmt == "csc" else X
    sw = _sample_weight(X.shape[0]) if weighted else None
    cv = KFold(5)
    ours = _fit_no_warning(LassoCV(n_alphas=30, cv=cv, tol=1e-14, max_iter=100_000,
                                   fit_intercept=fit_intercept), Xf, y, sw)
    theirs = _sklearn_fit(sklm.LassoCV(alphas=30, cv=cv, tol=1e-14, max_iter=1_000_000,
                                       fit_intercept=fit_intercept), Xf, y, sw)
    # same default grid (alpha_max, eps, n_alphas)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    assert ours.mse_path_.shape == theirs.mse_path_.shape == (30, 5)
    assert _rel(ours.mse_path_, theirs.mse_path_) <= 1e-6
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=0, atol=1e-6)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, abs=1e-6)


@pytest.mark.parametrize("tol", [
    1e-14,
])
def test_elasticnetcv_matches_sklearn(tol):
    X, y = _data()
    cv = KFold(5)
    ratios = [0.2, 0.5, 0.9]
    ours = _fit_no_warning(ElasticNetCV(l1_ratio=ratios, n_alphas=20, cv=cv, tol=tol,
                                        max_iter=100_000), X, y)
    theirs = _sklearn_fit(sklm.ElasticNetCV(l1_ratio=ratios, alphas=20, cv=cv, tol=1e-14,
                                            max_iter=1_000_000), X, y)
    assert ours.alphas_.shape == theirs.alphas_.shape == (3, 20)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    assert ours.mse_path_.shape == theirs.mse_path_.shape == (3, 20, 5)
    assert _rel(ours.mse_path_, theirs.mse_path_) <= 1e-6
    assert ours.l1_ratio_ == theirs.l1_ratio_
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)


def test_elasticnetcv_selects_each_pair_like_sklearn():
    """Several data sets: the selected (l1_ratio, alpha) pair is sklearn's."""
    cv = KFold(5)
    for seed in range(3):
        X, y = _data(seed=10 + seed, n=50, p=30)
        ratios = [0.1, 0.5, 1.0]
        ours = _fit_no_warning(ElasticNetCV(l1_ratio=ratios, n_alphas=15, cv=cv, tol=1e-14,
                                            max_iter=100_000), X, y)
        theirs = _sklearn_fit(sklm.ElasticNetCV(l1_ratio=ratios, alphas=15, cv=cv,
                                                tol=1e-14, max_iter=1_000_000), X, y)
        assert ours.l1_ratio_ == theirs.l1_ratio_
        assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
        assert _rel(ours.mse_path_, theirs.mse_path_) <= 1e-6


def test_explicit_alphas_grid():
    X, y = _data()
    grid = [0.3, 0.01, 0.1, 0.03]
    cv = KFold(4)
    ours = _fit_no_warning(LassoCV(alphas=grid, cv=cv, tol=1e-14, max_iter=100_000), X, y)
    theirs = _sklearn_fit(sklm.LassoCV(alphas=grid, cv=cv, tol=1e-14, max_iter=1_000_000),
                          X, y)
    np.testing.assert_array_equal(ours.alphas_, np.sort(grid)[::-1])
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_)
    assert _rel(ours.mse_path_, theirs.mse_path_) <= 1e-6
    assert ours.alpha_ == theirs.alpha_


@pytest.mark.parametrize("Est, params", [(LassoCV, {}),
                                         (ElasticNetCV, {"l1_ratio": [0.3, 0.8]})])
def test_n_jobs_gives_the_same_results(Est, params):
    X, y = _data()
    sw = _sample_weight(X.shape[0])
    kw = dict(n_alphas=15, cv=KFold(5), tol=1e-12, max_iter=100_000, **params)
    a = _fit_no_warning(Est(**kw), X, y, sw)
    b = _fit_no_warning(Est(n_jobs=2, **kw), X, y, sw)
    np.testing.assert_array_equal(a.alphas_, b.alphas_)
    assert _rel(b.mse_path_, a.mse_path_) <= 1e-9
    assert a.alpha_ == b.alpha_
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
def test_refit_is_the_estimator_at_alpha(weighted):
    X, y = _data()
    sw = _sample_weight(X.shape[0]) if weighted else None
    cv = _fit_no_warning(ElasticNetCV(l1_ratio=[0.4, 1.0], n_alphas=10, cv=KFold(3),
                                      tol=1e-12, max_iter=100_000), X, y, sw)
    Est = Lasso if cv.l1_ratio_ == 1.0 else ElasticNet
    params = {} if cv.l1_ratio_ == 1.0 else {"l1_ratio": cv.l1_ratio_}
    est = _fit_no_warning(Est(alpha=cv.alpha_, tol=1e-12, max_iter=100_000, **params),
                          X, y, sw)
    kw = dict(alpha=cv.alpha_, l1_ratio=cv.l1_ratio_, sample_weight=sw)
    assert enet_objective(X, y, cv.coef_, cv.intercept_, **kw) == pytest.approx(
        enet_objective(X, y, est.coef_, est.intercept_, **kw), rel=1e-11)
    np.testing.assert_allclose(cv.predict(X), X @ cv.coef_ + cv.intercept_, rtol=1e-12)
    assert cv.n_features_in_ == X.shape[1]
    assert cv.dual_gap_ >= 0 and cv.n_iter_ >= 1


def test_sample_weight_zero_equals_dropping_in_training():
    """A zero-weight sample neither trains nor scores: with a fixed split it is invisible."""
    X, y = _data()
    sw = np.ones(X.shape[0])
    drop = np.arange(0, X.shape[0], 6)
    sw[drop] = 0.0
    keep = np.setdiff1d(np.arange(X.shape[0]), drop)
    # folds over the kept samples, and the same folds with the dropped samples added to them
    folds_keep = list(KFold(3).split(X[keep]))
    folds_full = []
    for train, test in folds_keep:
        extra = drop[: drop.size // 2] if len(folds_full) == 0 else drop[drop.size // 2:]
        folds_full.append((np.sort(np.r_[keep[train], extra]), keep[test]))
    grid = np.geomspace(0.5, 0.005, 8)
    full = _fit_no_warning(LassoCV(alphas=grid, cv=folds_full, tol=1e-14, max_iter=100_000),
                           X, y, sw)
    sub = _fit_no_warning(LassoCV(alphas=grid, cv=folds_keep, tol=1e-14, max_iter=100_000),
                          X[keep], y[keep])
    assert _rel(full.mse_path_, sub.mse_path_) <= 1e-6
    assert full.alpha_ == sub.alpha_


def test_default_cv_and_int_cv():
    X, y = _data(n=50, p=10)
    est = _fit_no_warning(LassoCV(n_alphas=5, tol=1e-8), X, y)
    assert est.mse_path_.shape == (5, 5)
    est = _fit_no_warning(LassoCV(n_alphas=5, cv=3, tol=1e-8), X, y)
    assert est.mse_path_.shape == (5, 3)
    assert est.alphas_.shape == (5,)


def test_cv_convergence_warning():
    X, y = _data()
    with pytest.warns(ConvergenceWarning):
        LassoCV(n_alphas=5, cv=3, max_iter=1, tol=1e-12).fit(X, y)


def _tall(seed=2, n=400, p=30):
    rng = np.random.default_rng(seed)
    X = np.asfortranarray(rng.standard_normal((n, p)) + 5.0)  # columns far from centred
    y = X[:, :4] @ np.array([1.0, -2.0, 0.5, 1.5]) + rng.standard_normal(n) + 100.0
    return X, y


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_folds_share_the_whole_data_gram_matrix(fit_intercept, weighted, monkeypatch):
    """On a tall dense design the folds' Gram matrices are the whole data's minus those of
    the held-out rows: the same held-out errors and refit as with per-fold matrices, and no
    fold copies its rows of X."""
    from skreg.linear_model import _cv

    X, y = _tall()
    sw = _sample_weight(X.shape[0]) if weighted else None
    kw = dict(n_alphas=20, cv=KFold(5), tol=1e-9, fit_intercept=fit_intercept)
    assert _cv._shared_moments(X, y, np.ones(400), list(KFold(5).split(X))) is not None

    def no_copy(self):
        raise AssertionError("a fold copied its rows of X")

    with monkeypatch.context() as m:
        m.setattr(_cv._TrainingRows, "__call__", no_copy)
        shared = _fit_no_warning(LassoCV(**kw), X, y, sw)
    monkeypatch.setattr(_cv, "_shared_moments", lambda *args: None)
    separate = _fit_no_warning(LassoCV(**kw), X, y, sw)
    # alpha_max from the shared sums or from a pass over X: equal to rounding
    np.testing.assert_allclose(shared.alphas_, separate.alphas_, rtol=1e-12)
    assert _rel(shared.mse_path_, separate.mse_path_) <= 1e-7
    assert shared.alpha_ == pytest.approx(separate.alpha_, rel=1e-12)
    np.testing.assert_allclose(shared.coef_, separate.coef_, rtol=0, atol=1e-6)
    assert shared.intercept_ == pytest.approx(separate.intercept_, abs=1e-6)
    theirs = _sklearn_fit(sklm.LassoCV(alphas=shared.alphas_, cv=KFold(5), tol=1e-14,
                                       max_iter=1_000_000, fit_intercept=fit_intercept),
                          X, y, sw)
    assert _rel(shared.mse_path_, theirs.mse_path_) <= 1e-6


def test_gram_matrices_shared_only_where_they_pay():
    from skreg.linear_model import _cv

    X, y = _tall()
    sw = np.ones(400)
    assert _cv._shared_moments(X, y, sw, list(KFold(5).split(X))) is not None
    assert _cv._shared_moments(X, y, sw, list(KFold(2).split(X))) is None  # 2n >= n
    assert _cv._shared_moments(sp.csc_matrix(X), y, sw, list(KFold(5).split(X))) is None
    Xw, yw = _tall(n=100, p=45)  # folds of 80 rows: fewer than 2 p, not compressed
    assert _cv._shared_moments(Xw, yw, np.ones(100), list(KFold(5).split(Xw))) is None


@pytest.mark.parametrize("cv", [KFold(5), KFold(4, shuffle=True, random_state=0)])
def test_held_out_sums_of_a_partition_are_taken_once(cv, monkeypatch):
    """When the held-out rows partition the data, each block's sums are taken once (n rows
    in all), the whole data's are their sum, and each fold's are the whole minus its block:
    the sums over its training rows, to rounding."""
    from skreg.linear_model import _cv
    from skreg.linear_model._problem import weighted_moments

    X, y = _tall()
    sw = _sample_weight(400)
    rows_summed = []

    def counted(X, d, v, v0, rows=None):
        rows_summed.append(X.shape[0] if rows is None else rows.size)
        return weighted_moments(X, d, v, v0, rows)

    monkeypatch.setattr(_cv, "weighted_moments", counted)
    folds = list(cv.split(X))
    sums = _cv._shared_moments(X, y, sw, folds)
    v0 = float(sw @ y / sw.sum())
    for a, b in zip(sums.full[:3], weighted_moments(X, sw, y, v0)[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * np.abs(b).max())
    for train, _ in folds:
        for a, b in zip(sums.fold(train)[:3], weighted_moments(X, sw, y, v0, train)[:3]):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10 * np.abs(b).max())
    assert sum(rows_summed) == 400 and len(rows_summed) == len(folds)


@pytest.mark.parametrize("kind", ["subsample", "repeated"])
def test_fold_sums_of_any_split(kind):
    """Training rows that are not the complement of the test rows (ShuffleSplit), or that
    repeat rows (a bootstrap): the fold's sums are those of its training rows."""
    from skreg.linear_model import _cv
    from skreg.linear_model._problem import weighted_moments

    X, y = _tall()
    sw = _sample_weight(400)
    rng = np.random.default_rng(3)
    if kind == "subsample":
        train = np.sort(rng.choice(400, 300, replace=False))
    else:
        train = rng.choice(400, 400, replace=True)
    v0 = float(sw @ y / sw.sum())
    got = _cv._FoldSums(X, y, sw).fold(train)
    want = weighted_moments(X, sw, y, v0, train)
    for a, b in zip(got[:3], want[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-9 * np.abs(b).max())
    assert (_cv._other_rows(400, train) is None) == (kind == "repeated")
