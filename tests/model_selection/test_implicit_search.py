"""ImplicitDiffSearchCV: the learned criterion against a 100-point grid on the same folds (dense,
sparse, real data; every optimizer), the path record and the refit at the best point,
delegation, reproducibility, pipelines without leakage, nesting in GridSearchCV, per-feature
weights, classifiers, SURE, sample weights, convergence warnings and parameter errors."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    LeaveOneGroupOut,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import shuffle

from skreg import ElasticNet, Lasso, LassoCV, SparseLogisticRegression, WeightedLasso
from skreg.model_selection import ImplicitDiffSearchCV

PATH_KEYS = ("criterion", "grad_norm", "n_inner_iter", "time", "converged", "exact")


def _kfold():
    return KFold(5, shuffle=True, random_state=0)


def _sparse_regression(n=100, p=200, seed=0, noise=1.0, k=10):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:k] = 2.0 * rng.standard_normal(k)
    return X, X @ w + 1.0 + noise * rng.standard_normal(n)


def _sparse_matrix_regression(n=100, p=50, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.2, random_state=seed, format="csc",
                  data_rvs=rng.standard_normal)
    w = np.zeros(p)
    w[:10] = 2.0 * rng.standard_normal(10)
    return X, X @ w + 0.5 * rng.standard_normal(n)


def _classification(n=100, p=20, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:4] = [1.5, -1.0, 1.0, 0.5]
    return X, (X @ w + 0.3 + 0.7 * rng.standard_normal(n) > 0).astype(int)


def _alpha_max(X, y):
    return float(np.max(np.abs(X.T @ (y - y.mean())))) / len(y)


def _grid_mse(X, y, cv, n_alphas=100):
    """Mean held-out MSE of the Lasso on a geometric grid over [alpha_max / 1e3, alpha_max]."""
    amax = _alpha_max(X, y)
    grid = np.geomspace(amax / 1e3, amax, n_alphas)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # near-interpolating fits
        cvm = LassoCV(alphas=grid, cv=cv, tol=1e-7, max_iter=100_000).fit(X, y)
    return cvm.alphas_, cvm.mse_path_.mean(axis=1)


# ------------------------------------------------------------------------------------------
# against the grid
# ------------------------------------------------------------------------------------------


def _diabetes():
    return load_diabetes(return_X_y=True)


@pytest.mark.parametrize("data", [_sparse_regression, _sparse_matrix_regression, _diabetes],
                         ids=["dense", "sparse", "diabetes"])
def test_search_within_one_percent_of_the_grid(data):
    X, y = data()
    cv = _kfold()
    alphas, mse = _grid_mse(X, y, cv)
    search = ImplicitDiffSearchCV(Lasso(tol=1e-8, max_iter=100_000), cv=cv).fit(X, y)
    best_grid = mse.min()
    crit = -search.best_score_
    assert crit <= 1.01 * best_grid, (crit, best_grid)
    # the criterion is the same CV MSE as the grid's: not better than the grid by more
    # than the grid's resolution allows
    assert crit >= 0.99 * best_grid
    alpha = search.best_params_["alpha"]
    assert alphas.min() < alpha < alphas.max()
    assert search.n_splits_ == 5


@pytest.mark.parametrize("optimizer, kw, slack", [
    ("line_search", {}, 0.01),
    ("hoag", {"max_iter": 100}, 0.01),
    ("maid", {"max_iter": 100}, 0.01),
    ("gd", {"max_iter": 100}, 0.01),
    ("adam", {"max_iter": 100, "learning_rate": 0.3}, 0.02),
])
def test_every_optimizer_reaches_the_grid_minimum(optimizer, kw, slack):
    X, y = _sparse_regression(n=100, p=30, seed=1)
    cv = _kfold()
    _, mse = _grid_mse(X, y, cv)
    search = ImplicitDiffSearchCV(Lasso(tol=1e-10, max_iter=100_000), cv=cv,
                                  optimizer=optimizer, **kw).fit(X, y)
    assert -search.best_score_ <= (1 + slack) * mse.min(), (-search.best_score_, mse.min())
    # the best record is an exact evaluation (inexact ones are evaluated again)
    assert search.path_["exact"][search.best_index_]
    if optimizer in ("hoag", "maid"):
        assert not np.all(search.path_["exact"])  # they do use inexact inner solves


# ------------------------------------------------------------------------------------------
# path_, best_*, refit
# ------------------------------------------------------------------------------------------


def test_path_records_every_evaluation():
    X, y = _sparse_regression(n=100, p=30, seed=1)
    search = ImplicitDiffSearchCV(Lasso(tol=1e-10, max_iter=100_000), cv=_kfold()).fit(X, y)
    path = search.path_
    assert set(path) == {"alpha", *PATH_KEYS}
    for key, col in path.items():
        assert len(col) == search.n_iter_, key
    assert search.n_iter_ >= 3
    b = search.best_index_
    assert path["criterion"][b] == -search.best_score_
    assert path["criterion"][b] == path["criterion"][path["exact"]].min()
    assert search.best_params_ == {"alpha": path["alpha"][b]}
    assert np.all(path["alpha"] > 0)
    assert np.all(path["grad_norm"] >= 0)
    assert np.all(path["n_inner_iter"] >= 5)  # at least one epoch per fold
    assert np.all(path["time"] >= 0)
    assert path["converged"].dtype == bool and np.all(path["converged"])
    assert np.all(path["exact"])  # line_search uses the estimator's own accuracy
    # each recorded criterion is the CV MSE at that alpha (check two rows by hand)
    for k in (0, b):
        est = Lasso(alpha=path["alpha"][k], tol=1e-10, max_iter=100_000)
        mse = -cross_val_score(est, X, y, cv=_kfold(), scoring="neg_mean_squared_error")
        np.testing.assert_allclose(path["criterion"][k], mse.mean(), rtol=1e-7)


def test_refit_is_at_the_best_evaluated_point_not_the_last():
    X, y = _sparse_regression(n=100, p=30, seed=1)
    # adam with a large step overshoots: the last evaluations are worse than the best
    search = ImplicitDiffSearchCV(Lasso(tol=1e-10, max_iter=100_000), cv=_kfold(),
                                  optimizer="adam", learning_rate=1.0, max_iter=10).fit(X, y)
    crit = search.path_["criterion"]
    assert search.best_index_ != search.n_iter_ - 1
    assert crit[-1] > crit[search.best_index_]
    alpha = search.path_["alpha"][search.best_index_]
    assert search.best_estimator_.alpha == alpha
    assert search.best_params_["alpha"] == alpha


def test_best_estimator_and_delegation():
    X, y = _sparse_regression(n=100, p=30, seed=1)
    est = Lasso(tol=1e-10, max_iter=100_000)
    search = ImplicitDiffSearchCV(est, cv=_kfold()).fit(X, y)
    ref = clone(est).set_params(**search.best_params_).fit(X, y)
    np.testing.assert_array_equal(search.best_estimator_.coef_, ref.coef_)
    assert search.best_estimator_.intercept_ == ref.intercept_
    assert not hasattr(est, "coef_")  # the input estimator is not fitted
    assert est.alpha == 1.0 and est.warm_start is False
    np.testing.assert_array_equal(search.predict(X), ref.predict(X))
    assert search.score(X, y) == ref.score(X, y)
    assert search.n_features_in_ == X.shape[1]
    assert search.refit_time_ >= 0
    assert not hasattr(search, "predict_proba")
    assert not hasattr(search, "decision_function")


def test_init_path_scan_and_estimator_start():
    X, y = _sparse_regression(n=100, p=30, seed=1)
    cv = _kfold()
    est = Lasso(alpha=0.5, tol=1e-10, max_iter=100_000)
    # "path" (default): a scan down from the largest fold alpha_max, a third of a decade apart
    path = ImplicitDiffSearchCV(est, cv=cv).fit(X, y)
    fold_amax = max(_alpha_max(X[tr], y[tr]) for tr, _ in cv.split(X))
    alphas = path.path_["alpha"]
    np.testing.assert_allclose(alphas[0], 0.999 * fold_amax, rtol=1e-10)
    np.testing.assert_allclose(alphas[1:3] / alphas[:2], 10 ** (-1 / 3), rtol=1e-10)
    # "estimator": the descent starts at the estimator's alpha
    start = ImplicitDiffSearchCV(est, cv=cv, init="estimator").fit(X, y)
    np.testing.assert_allclose(start.path_["alpha"][0], 0.5, rtol=1e-12)
    # an initial value given in a dict is always used as given
    given = ImplicitDiffSearchCV(est, {"alpha": 0.2}, cv=cv).fit(X, y)
    np.testing.assert_allclose(given.path_["alpha"][0], 0.2, rtol=1e-12)
    for s in (path, start, given):
        assert s.best_params_["alpha"] == s.path_["alpha"][s.best_index_]
    # the scan exists for l1 alphas only: a smooth model starts at its own value
    from sklearn.linear_model import Ridge

    ridge = ImplicitDiffSearchCV(Ridge(alpha=7.0), cv=cv).fit(X, y)
    np.testing.assert_allclose(ridge.path_["alpha"][0], 7.0, rtol=1e-12)
    with pytest.raises(ValueError, match="init"):
        ImplicitDiffSearchCV(est, init="grid").fit(X, y)


def test_n_jobs_verbose_pandas_and_estimator_type(capsys):
    pd = pytest.importorskip("pandas")
    from sklearn.base import is_classifier, is_regressor

    X, y = _sparse_regression(n=100, p=30, seed=1)
    est = Lasso(tol=1e-10, max_iter=100_000)
    serial = ImplicitDiffSearchCV(est, cv=_kfold()).fit(X, y)
    threaded = ImplicitDiffSearchCV(est, cv=_kfold(), n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(serial.path_["criterion"], threaded.path_["criterion"])
    assert serial.best_params_ == threaded.best_params_
    capsys.readouterr()
    loud = ImplicitDiffSearchCV(est, cv=_kfold(), verbose=1).fit(X, y)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "ImplicitDiffSearchCV" in ln]
    assert len(lines) == loud.n_iter_
    cols = [f"f{j}" for j in range(X.shape[1])]
    framed = ImplicitDiffSearchCV(est, cv=_kfold()).fit(pd.DataFrame(X, columns=cols),
                                                        pd.Series(y))
    assert list(framed.feature_names_in_) == cols
    assert framed.best_params_ == serial.best_params_
    assert is_regressor(ImplicitDiffSearchCV(est))
    assert is_regressor(ImplicitDiffSearchCV())
    assert is_classifier(ImplicitDiffSearchCV(LogisticRegression()))


def test_refit_false():
    X, y = _sparse_regression(n=60, p=20, seed=1)
    search = ImplicitDiffSearchCV(Lasso(tol=1e-8), cv=3, refit=False).fit(X, y)
    assert not hasattr(search, "best_estimator_")
    assert search.best_params_["alpha"] > 0
    with pytest.raises((AttributeError, NotFittedError), match="refit"):
        search.predict(X)
    with pytest.raises((AttributeError, NotFittedError), match="refit"):
        search.score(X, y)
    unfitted = ImplicitDiffSearchCV(Lasso())
    with pytest.raises(NotFittedError):
        unfitted.predict(X)


def test_clone_reproducibility_and_no_state_between_fits():
    X, y = _sparse_regression(n=100, p=30, seed=1)
    X2, y2 = _sparse_regression(n=80, p=30, seed=5)
    search = ImplicitDiffSearchCV(Lasso(tol=1e-10, max_iter=100_000), cv=_kfold())
    a = clone(search).fit(X, y)
    b = clone(search).fit(X, y)
    for key in a.path_:
        np.testing.assert_array_equal(a.path_[key] if key != "time" else 0,
                                      b.path_[key] if key != "time" else 0)
    assert a.best_params_ == b.best_params_
    # the same instance on other data, then back: nothing carried over (warm starts)
    search.fit(X, y)
    first = (dict(search.best_params_), search.path_["alpha"].copy(), search.n_iter_)
    search.fit(X2, y2)
    assert search.best_params_ != first[0]
    search.fit(X, y)
    assert search.best_params_ == first[0]
    np.testing.assert_array_equal(search.path_["alpha"], first[1])
    assert search.n_iter_ == first[2]
    np.testing.assert_array_equal(search.best_estimator_.coef_, a.best_estimator_.coef_)


def test_pipeline_no_leakage():
    X, y = _sparse_regression(n=100, p=30, seed=2)
    X = X * np.linspace(0.2, 5.0, X.shape[1]) + 4.0
    pipe = make_pipeline(StandardScaler(), Lasso(tol=1e-12, max_iter=100_000))
    cv = _kfold()
    search = ImplicitDiffSearchCV(pipe, "lasso__alpha", cv=cv).fit(X, y)
    assert set(search.best_params_) == {"lasso__alpha"}
    assert "lasso__alpha" in search.path_
    best = search.best_params_["lasso__alpha"]
    by_hand = -cross_val_score(clone(pipe).set_params(lasso__alpha=best), X, y, cv=cv,
                               scoring="neg_mean_squared_error").mean()
    np.testing.assert_allclose(-search.best_score_, by_hand, rtol=1e-8)
    # the unprefixed name is accepted and gives the same search
    short = ImplicitDiffSearchCV(pipe, "alpha", cv=cv).fit(X, y)
    assert short.best_params_ == search.best_params_
    # with the scaler fitted once on all the data (leakage) the criterion would differ
    Xs = StandardScaler().fit_transform(X)
    leaky = -cross_val_score(Lasso(alpha=best, tol=1e-12, max_iter=100_000), Xs, y, cv=cv,
                             scoring="neg_mean_squared_error").mean()
    assert not np.isclose(leaky, by_hand, rtol=1e-6)
    assert search.best_estimator_.named_steps["lasso"].alpha == best
    np.testing.assert_allclose(
        search.predict(X), clone(pipe).set_params(lasso__alpha=best).fit(X, y).predict(X))


def test_nested_in_grid_search():
    X, y = _sparse_regression(n=80, p=20, seed=3)
    inner = ImplicitDiffSearchCV(ElasticNet(l1_ratio=0.5, tol=1e-8, max_iter=10_000), cv=3)
    gs = GridSearchCV(inner, {"estimator__l1_ratio": [0.2, 0.8]}, cv=3).fit(X, y)
    assert gs.best_params_["estimator__l1_ratio"] in (0.2, 0.8)
    assert gs.best_estimator_.best_estimator_.l1_ratio == gs.best_params_["estimator__l1_ratio"]
    assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))


def test_elastic_net_learns_alpha_and_l1_ratio():
    X, y = _sparse_regression(n=100, p=30, seed=1)
    cv = _kfold()
    one = ImplicitDiffSearchCV(ElasticNet(l1_ratio=0.5, tol=1e-10, max_iter=100_000), cv=cv)
    two = clone(one).set_params(params=["alpha", "l1_ratio"])
    one.fit(X, y)
    two.fit(X, y)
    assert set(two.path_) == {"alpha", "l1_ratio", *PATH_KEYS}
    assert 0 < two.best_params_["l1_ratio"] < 1
    assert -two.best_score_ <= -one.best_score_ * (1 + 1e-9)


def test_weighted_lasso_per_feature_weights():
    X, y = _sparse_regression(n=100, p=60, seed=1)
    cv = _kfold()
    single = ImplicitDiffSearchCV(WeightedLasso(tol=1e-10, max_iter=100_000), cv=cv).fit(X, y)
    alpha = single.best_params_["alpha"]
    est = WeightedLasso(alpha=alpha, weights=np.ones(X.shape[1]), tol=1e-10,
                        max_iter=100_000)
    search = ImplicitDiffSearchCV(est, "weights", cv=cv).fit(X, y)
    W = search.path_["weights"]
    assert W.shape == (search.n_iter_, X.shape[1])
    np.testing.assert_array_equal(W[0], np.ones(X.shape[1]))
    # more freedom: at least as good (it starts at the single-alpha optimum)
    assert -search.best_score_ <= -single.best_score_ * (1 + 1e-9)
    assert search.best_params_["weights"].shape == (X.shape[1],)
    assert search.best_estimator_.alpha == alpha
    # a weight moves only if its feature is in the support of some fold at some evaluation
    folds = list(cv.split(X, y))
    ever = np.zeros(X.shape[1], dtype=bool)
    for w in W:
        for tr, _ in folds:
            fit = WeightedLasso(alpha=alpha, weights=w, tol=1e-10, max_iter=100_000)
            ever |= fit.fit(X[tr], y[tr]).coef_ != 0
    moved = np.any(W != W[0], axis=0)
    assert np.all(ever[moved])
    assert np.all(W[:, ~ever] == 1.0)
    assert (~ever).sum() >= 3  # the test says something
    # the relevant features (the first 10) end up less penalized than the others
    logw = np.log(search.best_params_["weights"])
    assert logw[:10].mean() < logw[10:].mean() - 1.0


def _every_regressor():
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.linear_model import Ridge

    from skreg import GraphLaplacianRegression, SqrtLasso
    from skreg.graph import grid_laplacian

    return {
        "elastic_net": (ElasticNet(l1_ratio=0.5, tol=1e-10, max_iter=100_000), None),
        "sqrt_lasso": (SqrtLasso(alpha=0.2, tol=1e-10, max_iter=100_000), None),
        "sqrt_lasso_weights": (SqrtLasso(alpha=0.2, tol=1e-10, max_iter=100_000), "weights"),
        "ridge": (Ridge(alpha=100.0), None),
        "kernel_ridge": (KernelRidge(alpha=10.0, kernel="rbf", gamma=0.01), None),
        "graph_l2": (GraphLaplacianRegression(alpha=100.0, graph=grid_laplacian((20,)),
                                              fit_intercept=True, tol=1e-12), None),
    }


@pytest.mark.parametrize("case", sorted(_every_regressor()))
def test_every_supported_regressor_improves_its_criterion(case):
    est, params = _every_regressor()[case]
    X, y = _sparse_regression(n=80, p=20, seed=6, k=5)
    cv = _kfold()
    search = ImplicitDiffSearchCV(est, params, cv=cv, max_iter=20).fit(X, y)
    crit = search.path_["criterion"]
    assert search.n_iter_ >= 2
    assert -search.best_score_ < crit[0]
    assert np.all(search.path_["converged"])
    # the recorded criterion at the best point is the CV MSE of the model with best_params_
    best = clone(est).set_params(**search.best_params_)
    by_hand = -cross_val_score(best, X, y, cv=cv, scoring="neg_mean_squared_error").mean()
    np.testing.assert_allclose(-search.best_score_, by_hand, rtol=1e-6)
    np.testing.assert_allclose(search.predict(X), clone(best).fit(X, y).predict(X),
                               rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------------------------------
# classifiers
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("est, name", [
    (SparseLogisticRegression(alpha=0.05, tol=1e-10, max_iter=1000), "alpha"),
    (LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10, max_iter=1000), "C"),
], ids=["sparse_logistic", "logistic_l2"])
def test_classifiers_log_loss(est, name):
    X, y = _classification()
    labels = np.array(["no", "yes"])[y]
    search = ImplicitDiffSearchCV(est, cv=5).fit(X, labels)
    assert set(search.best_params_) == {name}
    np.testing.assert_array_equal(search.classes_, ["no", "yes"])
    # default folds of a classifier are stratified
    strat = ImplicitDiffSearchCV(est, cv=StratifiedKFold(5)).fit(X, labels)
    np.testing.assert_array_equal(strat.path_[name], search.path_[name])
    np.testing.assert_array_equal(strat.path_["criterion"], search.path_["criterion"])
    # the criterion is the held-out log loss, averaged over the folds
    best = clone(est).set_params(**search.best_params_)
    losses = []
    for tr, te in StratifiedKFold(5).split(X, labels):
        fit = clone(best).fit(X[tr], labels[tr])
        losses.append(log_loss(labels[te], fit.predict_proba(X[te]), labels=fit.classes_))
    np.testing.assert_allclose(-search.best_score_, np.mean(losses), rtol=1e-6)
    ref = clone(best).fit(X, labels)
    np.testing.assert_allclose(search.predict_proba(X), ref.predict_proba(X), rtol=1e-10)
    np.testing.assert_allclose(search.decision_function(X), ref.decision_function(X),
                               rtol=1e-10)
    np.testing.assert_array_equal(search.predict(X), ref.predict(X))
    assert search.score(X, labels) == ref.score(X, labels)
    if hasattr(ref, "predict_log_proba"):
        np.testing.assert_allclose(search.predict_log_proba(X), ref.predict_log_proba(X),
                                   rtol=1e-8)
    # learning improved the criterion over the starting point
    assert -search.best_score_ <= search.path_["criterion"][0]


# ------------------------------------------------------------------------------------------
# SURE
# ------------------------------------------------------------------------------------------


def test_sure_search_prediction_risk_near_oracle():
    rng = np.random.default_rng(4)
    n, p = 100, 60
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:8] = 2.0 * rng.standard_normal(8)
    mean = X @ w + 1.0
    y = mean + rng.standard_normal(n)
    search = ImplicitDiffSearchCV(Lasso(tol=1e-10, max_iter=100_000), criterion="sure",
                                  noise_level=np.sqrt(n), random_state=0).fit(X, y)
    assert search.n_splits_ == 2
    amax = _alpha_max(X, y)
    risks = [np.mean((Lasso(alpha=a, tol=1e-8).fit(X, y).predict(X) - mean) ** 2)
             for a in np.geomspace(amax / 1e3, amax, 60)]
    risk = np.mean((search.predict(X) - mean) ** 2)
    assert risk <= 2.0 * min(risks), (risk, min(risks))
    # a prediction risk far below the one at alpha_max (a real choice was made)
    assert risk < 0.2 * risks[-1]
    with pytest.raises(ValueError, match="sample_weight"):
        clone(search).fit(X, y, sample_weight=np.ones(n))


# ------------------------------------------------------------------------------------------
# sample weights
# ------------------------------------------------------------------------------------------


def test_integer_sample_weight_equals_repeated_rows():
    # as tests/test_common.py's _sample_weight_check_fit: the weighted part is one group
    rng = np.random.RandomState(42)
    n = 15
    X = rng.rand(n, 2 * n)
    y = X[:, :3] @ [3.0, -2.0, 1.0] + 0.1 * rng.randn(n)
    sw = rng.randint(0, 5, size=n)
    sw[0] = max(sw[0], 1)
    X_w, y_w, sw_w = shuffle(X, y, sw, random_state=0)
    groups = np.repeat([0, 1, 2], n)
    Xw, yw = np.vstack([X_w, X, X]), np.hstack([y_w, y, y])
    sww = np.hstack([sw_w, np.ones(2 * n)])
    rep = np.repeat(np.arange(n), sw_w)
    Xr, yr = np.vstack([X_w[rep], X, X]), np.hstack([y_w[rep], y, y])
    groups_r = np.repeat([0, 1, 2], [len(rep), n, n])
    est = Lasso(alpha=0.01, tol=1e-12, max_iter=100_000)
    weighted = ImplicitDiffSearchCV(
        est, cv=list(LeaveOneGroupOut().split(Xw, groups=groups))).fit(Xw, yw,
                                                                      sample_weight=sww)
    repeated = ImplicitDiffSearchCV(
        est, cv=list(LeaveOneGroupOut().split(Xr, groups=groups_r))).fit(Xr, yr)
    assert weighted.n_iter_ == repeated.n_iter_
    np.testing.assert_allclose(weighted.path_["alpha"], repeated.path_["alpha"], rtol=1e-6)
    np.testing.assert_allclose(weighted.path_["criterion"], repeated.path_["criterion"],
                               rtol=1e-6)
    np.testing.assert_allclose(weighted.best_params_["alpha"], repeated.best_params_["alpha"],
                               rtol=1e-6)
    np.testing.assert_allclose(weighted.best_estimator_.coef_, repeated.best_estimator_.coef_,
                               rtol=1e-5, atol=1e-8)
    unweighted = ImplicitDiffSearchCV(
        est, cv=list(LeaveOneGroupOut().split(Xw, groups=groups))).fit(Xw, yw)
    assert not np.isclose(unweighted.best_score_, weighted.best_score_, rtol=1e-4)


# ------------------------------------------------------------------------------------------
# warnings and errors
# ------------------------------------------------------------------------------------------


def test_non_converged_inner_solves_warn():
    X, y = _sparse_regression(n=60, p=20, seed=1)
    search = ImplicitDiffSearchCV(Lasso(max_iter=1, tol=1e-14), cv=3, max_iter=3)
    with pytest.warns(ConvergenceWarning, match="did not converge") as record:
        search.fit(X, y)
    assert any("max_iter" in str(r.message) for r in record)
    assert not np.all(search.path_["converged"])


def test_converged_search_does_not_warn():
    X, y = _sparse_regression(n=60, p=20, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ImplicitDiffSearchCV(Lasso(tol=1e-8, max_iter=10_000), cv=3).fit(X, y)


@pytest.mark.parametrize("params, exc, match", [
    ({"optimizer": "newton"}, ValueError, "optimizer"),
    ({"criterion": "mae"}, ValueError, "criterion"),
    ({"linear_solver": "lu"}, ValueError, "linear_solver"),
    ({"max_iter": 0}, ValueError, "max_iter"),
    ({"max_iter": 2.5}, TypeError, "max_iter"),
    ({"tol": -1e-3}, ValueError, "tol"),
    ({"tol": "small"}, TypeError, "tol"),
    ({"learning_rate": 0.0}, ValueError, "learning_rate"),
    ({"learning_rate": np.inf}, ValueError, "learning_rate"),
    ({"noise_level": -1.0}, ValueError, "noise_level"),
    ({"refit": "yes"}, TypeError, "refit"),
    ({"criterion": "log_loss"}, ValueError, "log_loss"),
    ({"params": "l1_ratio"}, ValueError, "l1_ratio"),
    ({"params": {"alpha": -1.0}}, ValueError, "alpha"),
    ({"estimator": Lasso(positive=True)}, ValueError, "positive"),
])
def test_bad_parameters(params, exc, match):
    X, y = _sparse_regression(n=40, p=10, seed=1)
    search = ImplicitDiffSearchCV(Lasso(), cv=3).set_params(**params)
    with pytest.raises(exc, match=match):
        search.fit(X, y)


def test_criterion_estimator_mismatch():
    X, y = _classification(n=60)
    with pytest.raises(ValueError, match="log_loss"):
        ImplicitDiffSearchCV(SparseLogisticRegression(), criterion="mse", cv=3).fit(X, y)
    with pytest.raises(ValueError, match="sure"):
        ImplicitDiffSearchCV(SparseLogisticRegression(), criterion="sure").fit(X, y)
    with pytest.raises(ValueError, match="regressor|classifier"):
        ImplicitDiffSearchCV(Lasso(), criterion="log_loss", cv=3).fit(X, y.astype(float))


def test_unsupported_estimator_and_missing_y():
    X, y = _sparse_regression(n=40, p=10, seed=1)
    from sklearn.linear_model import Lasso as SkLasso

    with pytest.raises(TypeError, match="not supported"):
        ImplicitDiffSearchCV(SkLasso(), cv=3).fit(X, y)
    with pytest.raises(ValueError, match="requires y"):
        ImplicitDiffSearchCV(Lasso(), cv=3).fit(X, None)


def test_default_estimator_is_lasso_and_user_arrays_untouched():
    X, y = _sparse_regression(n=60, p=20, seed=1)
    sw = np.linspace(0.5, 2.0, len(y))
    copies = [a.copy() for a in (X, y, sw)]
    for a in (X, y, sw):
        a.setflags(write=False)
    search = ImplicitDiffSearchCV(cv=3).fit(X, y, sample_weight=sw)
    assert isinstance(search.best_estimator_, Lasso)
    for a, c in zip((X, y, sw), copies, strict=True):
        np.testing.assert_array_equal(a, c)
