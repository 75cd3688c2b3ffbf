"""GraphLaplacianRegression: agreement with the cvxpy reference, graphs (grid, image_shape,
data-dependent, user matrices), recovery of piecewise-constant signals and CT images, and the
scikit-learn conventions (warm_start, Pipeline, GridSearchCV)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import reference as ref
from skreg.datasets import filtered_back_projection, make_tomography
from skreg.graph import (
    GraphLaplacianRegression,
    data_laplacian,
    graph_tikhonov,
    grid_laplacian,
    incidence_matrix,
)

GAP = 1e-5  # relative objective gap against cvxpy


class _Oracle(RegressorMixin, BaseEstimator):
    """A 'preliminary reconstruction' that returns given coefficients."""

    def __init__(self, coef=None):
        self.coef = coef

    def fit(self, X, y):
        self.coef_ = np.asarray(self.coef, dtype=float)
        self.intercept_ = 0.0
        return self

    def predict(self, X):
        return X @ self.coef_


def _problem(n=30, p=20, seed=0, intercept=0.0, noise=0.1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.repeat([0.0, 1.0, -0.5, 0.5], p // 4 + 1)[:p]
    e = noise * rng.standard_normal(n)
    return X, X @ w + intercept + e, w, float(np.linalg.norm(e))


def _penalty_operator(est):
    L = est.laplacian_
    return incidence_matrix(L) if est.penalty == "tv" else L


def _objective(est, X, y, sw=None, alpha=None):
    penalty = "l2" if est.penalty == "l2" else "l1"
    return ref.graph_objective(X, y, _penalty_operator(est), est.coef_, est.intercept_,
                               alpha=est.alpha_ if alpha is None else alpha, penalty=penalty,
                               sample_weight=sw)


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return est.fit(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# Agreement with the reference


@pytest.mark.parametrize("penalty", ["l2", "l1", "tv"])
@pytest.mark.parametrize("fit_intercept, weighted", [(False, False), (True, True)])
@pytest.mark.parametrize("shape", [(30, 20), (15, 24)])
def test_matches_reference(penalty, fit_intercept, weighted, shape):
    X, y, _, _ = _problem(*shape, intercept=1.5)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, len(y)) if weighted else None
    alpha = 0.5
    est = _quiet_fit(GraphLaplacianRegression(alpha=alpha, penalty=penalty,
                                              fit_intercept=fit_intercept), X, y,
                     sample_weight=sw)
    G = _penalty_operator(est)
    r = ref.graph_regression(X, y, G, alpha=alpha, penalty="l2" if penalty == "l2" else "l1",
                             sample_weight=sw, fit_intercept=fit_intercept)
    obj = _objective(est, X, y, sw)
    assert (obj - r.objective) / r.objective <= GAP
    assert est.alpha_ == alpha
    assert est.n_iter_ >= 1
    if penalty == "l2":
        np.testing.assert_allclose(est.coef_, r.coef, rtol=1e-5, atol=1e-6)
    resid = y - est.predict(X)
    w = np.ones_like(y) if sw is None else sw
    assert est.residual_norm_ == pytest.approx(np.sqrt(w @ (resid * resid)), rel=1e-10)
    # solver="cvxpy" is the reference itself
    cv = GraphLaplacianRegression(alpha=alpha, penalty=penalty, fit_intercept=fit_intercept,
                                  solver="cvxpy").fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(cv.coef_, r.coef, rtol=1e-8, atol=1e-10)
    assert cv.intercept_ == pytest.approx(r.intercept, rel=1e-8, abs=1e-10)
    assert cv.residual_norm_ == pytest.approx(np.sqrt(w @ (y - cv.predict(X)) ** 2), rel=1e-10)


@pytest.mark.parametrize("penalty, solver", [(pen, sol) for pen in ("l2", "l1", "tv")
                                             for sol in ("direct", "cg", "pdhg")
                                             if not (pen == "l2" and sol == "pdhg")])
def test_solvers_agree_and_sparse_X(penalty, solver):
    X, y, _, _ = _problem(intercept=1.0)
    base = _quiet_fit(GraphLaplacianRegression(alpha=0.5, penalty=penalty, fit_intercept=True,
                                               solver="direct"), X, y)
    for Xin in (X, sp.csr_matrix(X)):
        est = _quiet_fit(GraphLaplacianRegression(
            alpha=0.5, penalty=penalty, fit_intercept=True, solver=solver,
            tol=1e-9 if solver == "pdhg" else 1e-7, max_iter=100000), Xin, y)
        assert abs(_objective(est, X, y) - _objective(base, X, y)) <= 1e-6 * _objective(
            base, X, y)
        np.testing.assert_allclose(est.predict(Xin), est.predict(X), rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Graphs


@pytest.mark.parametrize("radius", [None, 2])
@pytest.mark.parametrize("penalty", ["l2", "tv"])
def test_image_shape_equals_grid_matrix(radius, penalty):
    X, y, _, _ = _problem(30, 20)
    est = GraphLaplacianRegression(alpha=0.3, penalty=penalty, image_shape=(4, 5),
                                   radius=radius).fit(X, y)
    L = grid_laplacian((4, 5), 1 if radius is None else radius)
    assert (est.laplacian_ != L).nnz == 0
    explicit = GraphLaplacianRegression(alpha=0.3, penalty=penalty, graph=L).fit(X, y)
    np.testing.assert_allclose(est.coef_, explicit.coef_, rtol=1e-12, atol=1e-14)
    # a 2-D grid is not the chain of the default
    chain = GraphLaplacianRegression(alpha=0.3, penalty=penalty, radius=radius).fit(X, y)
    assert chain.laplacian_.shape == L.shape and abs(chain.laplacian_ - L).max() > 0
    # a dense array as graph matrix
    dense = GraphLaplacianRegression(alpha=0.3, penalty=penalty, graph=L.toarray()).fit(X, y)
    np.testing.assert_allclose(dense.coef_, explicit.coef_, rtol=1e-12, atol=1e-14)


def test_graph_data_default_preliminary():
    X, y, _, _ = _problem(30, 20)
    est = GraphLaplacianRegression(alpha=0.5, graph="data", image_shape=(4, 5), sigma=0.05,
                                   fit_intercept=True).fit(X, y)
    pre = est.preliminary_
    assert isinstance(pre, GraphLaplacianRegression)
    assert pre.penalty == "l2" and pre.graph == "grid" and pre.radius == 1
    # its alpha is its own (GCV): this estimator's alpha is on the data Laplacian's scale
    assert pre.alpha_selection == "gcv" and pre.fit_intercept and pre.image_shape == (4, 5)
    tik = GraphLaplacianRegression(alpha_selection="gcv", image_shape=(4, 5),
                                   fit_intercept=True).fit(X, y)
    np.testing.assert_allclose(pre.coef_, tik.coef_, rtol=1e-12)
    L = data_laplacian(pre.coef_.reshape(4, 5), radius=4, sigma=0.05)
    np.testing.assert_allclose(est.laplacian_.toarray(), L.toarray(), rtol=1e-12, atol=1e-15)
    explicit = GraphLaplacianRegression(alpha=0.5, graph=L, fit_intercept=True).fit(X, y)
    np.testing.assert_allclose(est.coef_, explicit.coef_, rtol=1e-10, atol=1e-12)
    # refitting on the grid graph drops the stale preliminary_
    est.set_params(graph="grid").fit(X, y)
    assert not hasattr(est, "preliminary_")


def test_graph_data_preliminary_follows_alpha_selection():
    X, y, _, noise_level = _problem(30, 20)
    est = GraphLaplacianRegression(graph="data", alpha_selection="discrepancy",
                                   noise_level=noise_level, radius=2, sigma=0.1).fit(X, y)
    pre = est.preliminary_
    assert pre.alpha_selection == "discrepancy" and pre.noise_level == noise_level
    assert pre.residual_norm_ == pytest.approx(1.01 * noise_level, rel=1e-3)
    np.testing.assert_allclose(est.laplacian_.toarray(),
                               data_laplacian(pre.coef_, radius=2, sigma=0.1).toarray(),
                               rtol=1e-12, atol=1e-15)
    assert est.residual_norm_ == pytest.approx(1.01 * noise_level, rel=1e-3)


@pytest.mark.parametrize("weighted", [False, True])
def test_graph_data_user_preliminary(weighted):
    X, y, _, _ = _problem(30, 20)
    sw = np.random.default_rng(2).uniform(0.5, 2.0, 30) if weighted else None
    ridge = Ridge(alpha=2.0)
    est = GraphLaplacianRegression(alpha=0.5, penalty="l1", graph="data", preliminary=ridge,
                                   radius=3, sigma=0.1).fit(X, y, sample_weight=sw)
    assert est.preliminary_ is not ridge and not hasattr(ridge, "coef_")
    expected = Ridge(alpha=2.0).fit(X, y, sample_weight=sw).coef_
    np.testing.assert_allclose(est.preliminary_.coef_, expected, rtol=1e-10)
    L = data_laplacian(expected, radius=3, sigma=0.1)
    np.testing.assert_allclose(est.laplacian_.toarray(), L.toarray(), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize(
    "graph, match",
    [
        (sp.random(40, 20, density=0.2, random_state=0), "square"),
        (grid_laplacian(21), "columns|features"),
        (sp.csr_matrix(np.triu(np.ones((20, 20)))), "symmetric"),
        ("chain", "graph"),
        (np.full((20, 20), np.nan), "NaN"),
    ],
)
def test_bad_graph_matrix_raises(graph, match):
    X, y, _, _ = _problem(30, 20)
    with pytest.raises(ValueError, match=match):
        GraphLaplacianRegression(graph=graph).fit(X, y)


def test_non_integer_image_shape_raises():
    X, y, _, _ = _problem(30, 16)
    with pytest.raises((ValueError, TypeError), match="image_shape"):
        GraphLaplacianRegression(image_shape=(2.5, 8)).fit(X, y)


@pytest.mark.parametrize(
    "preliminary",
    [KNeighborsRegressor(n_neighbors=3), _Oracle(np.ones(7)), _Oracle(np.ones((2, 20)))],
)
def test_preliminary_without_matching_coef_raises(preliminary):
    X, y, _, _ = _problem(30, 20)
    with pytest.raises(ValueError, match="coef_"):
        GraphLaplacianRegression(graph="data", preliminary=preliminary).fit(X, y)


@pytest.mark.parametrize(
    "params, exc, match",
    [
        ({"image_shape": (4, 6)}, ValueError, "image_shape"),
        ({"image_shape": (2, 2, 5)}, ValueError, "image_shape"),
        ({"image_shape": "4x5"}, TypeError, "image_shape"),
        ({"penalty": "l0"}, ValueError, "penalty"),
        ({"solver": "lsqr"}, ValueError, "solver"),
        ({"solver": "pdhg", "penalty": "l2"}, ValueError, "pdhg"),
        ({"alpha": -1.0}, ValueError, "alpha"),
        ({"alpha": np.inf}, ValueError, "alpha"),
        ({"tol": 0.0}, ValueError, "tol"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"sigma": 0.0}, ValueError, "sigma"),
        ({"radius": 0}, ValueError, "radius"),
        ({"fit_intercept": "no"}, TypeError, "fit_intercept"),
        ({"warm_start": 1}, TypeError, "warm_start"),
    ],
)
def test_parameter_errors(params, exc, match):
    X, y, _, _ = _problem(30, 20)
    with pytest.raises(exc, match=match):
        GraphLaplacianRegression(**params).fit(X, y)


# --------------------------------------------------------------------------------------------
# Recovery


def _piecewise_constant(seed=0):
    rng = np.random.default_rng(seed)
    p, n = 60, 40
    w = np.repeat([0.0, 2.0, -1.0, 1.0], p // 4)
    X = rng.standard_normal((n, p))
    e = 0.2 * rng.standard_normal(n)
    return X, X @ w + e, w, float(np.linalg.norm(e))


def test_piecewise_constant_signal_recovery():
    X, y, w, noise_level = _piecewise_constant()

    def error(**params):
        est = GraphLaplacianRegression(alpha_selection="discrepancy", noise_level=noise_level,
                                       **params).fit(X, y)
        return np.linalg.norm(est.coef_ - w) / np.linalg.norm(w)

    err_l2, err_tv = error(penalty="l2"), error(penalty="tv")
    assert err_tv < 0.5 * err_l2
    assert err_tv < 0.05
    # graphLa+Psi with a perfect preliminary: the graph is cut at the jumps
    err_oracle = error(penalty="l2", graph="data", preliminary=_Oracle(w))
    assert err_oracle < 0.5 * err_l2
    # and the default (Tikhonov) preliminary already helps
    assert error(penalty="l2", graph="data") < err_l2


def test_tomography_beats_fbp():
    ds = make_tomography(size=16, n_angles=20, noise=0.01, random_state=0)
    fbp = filtered_back_projection(ds.y, ds.angles, 16, n_detectors=ds.n_detectors).ravel()

    def error(x):
        return np.linalg.norm(x - ds.coef) / np.linalg.norm(ds.coef)

    err_fbp = error(fbp)
    A = ds.operator
    l2 = GraphLaplacianRegression(image_shape=ds.shape, alpha=0.1,
                                  alpha_selection="discrepancy",
                                  noise_level=ds.noise_level).fit(A, ds.y)
    tv = _quiet_fit(GraphLaplacianRegression(image_shape=ds.shape, penalty="tv", alpha=0.025),
                    A, ds.y)
    data = _quiet_fit(GraphLaplacianRegression(image_shape=ds.shape, penalty="l1", graph="data",
                                               alpha=1.0), A, ds.y)
    for est in (l2, tv, data):
        assert error(est.coef_) < 0.5 * err_fbp
    assert error(tv.coef_) < error(l2.coef_)
    assert l2.residual_norm_ == pytest.approx(1.01 * ds.noise_level, rel=1e-3)


# --------------------------------------------------------------------------------------------
# scikit-learn conventions


@pytest.mark.parametrize("penalty, solver", [("l1", "direct"), ("tv", "cg"), ("l2", "cg")])
def test_warm_start(penalty, solver):
    X, y, _, _ = _problem(30, 20)
    est = GraphLaplacianRegression(alpha=0.5, penalty=penalty, solver=solver, warm_start=True)
    _quiet_fit(est, X, y)
    first = est.coef_.copy()
    _quiet_fit(est, X, y)
    np.testing.assert_allclose(est.coef_, first, rtol=1e-5, atol=1e-6)
    # the fit starts from coef_ (CG: one iteration from a far-away coef_ stays far from the
    # solution; ADMM restarts from the last fit's (z, u), whose w-step does not need coef_)
    x0 = np.linspace(-1.0, 1.0, 20)
    est.coef_ = x0.copy()
    est.set_params(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        G = _penalty_operator(est)
        if penalty == "l2" and solver == "cg":
            res = graph_tikhonov(X, y, G, 0.5, solver=solver, tol=1e-10, max_iter=1, x0=x0)
            np.testing.assert_allclose(est.coef_, res.coef, rtol=1e-10, atol=1e-12)
            assert not np.allclose(est.coef_, first, atol=1e-3)
    # a coef_ of another length is ignored (cold start)
    est.set_params(max_iter=None)
    _quiet_fit(est, X[:, :12], y)
    assert est.coef_.shape == (12,)


@pytest.mark.parametrize("solver", ["direct", "pdhg"])
def test_warm_start_l1_refit_is_cheap(solver):
    # the refit restarts from the last fit's ADMM (z, u, rho) or PDHG duals
    X, y, _, _ = _problem(30, 20)
    est = GraphLaplacianRegression(alpha=2.0, penalty="tv", solver=solver, warm_start=True,
                                   max_iter=100000)
    _quiet_fit(est, X, y)
    cold_iter = est.n_iter_
    _quiet_fit(est, X, y)
    assert est.n_iter_ < 0.5 * cold_iter


def test_convergence_warning():
    X, y, _, _ = _problem(30, 20)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        GraphLaplacianRegression(alpha=0.5, penalty="tv", max_iter=2).fit(X, y)


def test_pipeline_and_grid_search():
    X, y, _, _ = _problem(60, 16, intercept=3.0, noise=0.3)
    pipe = make_pipeline(StandardScaler(), GraphLaplacianRegression(fit_intercept=True))
    search = GridSearchCV(pipe, {"graphlaplacianregression__alpha": [0.01, 1.0, 100.0],
                                 "graphlaplacianregression__penalty": ["l2", "tv"]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["graphlaplacianregression__alpha"] in (0.01, 1.0, 100.0)
    assert search.best_score_ > 0.5
    best = search.best_estimator_[-1]
    assert best.coef_.shape == (16,) and best.n_features_in_ == 16
    assert search.predict(X).shape == (60,)


def test_predict_and_inputs_unmodified():
    X, y, _, _ = _problem(30, 20, intercept=2.0)
    sw = np.linspace(0.5, 1.5, 30)
    L = grid_laplacian(20)
    copies = [a.copy() for a in (X, y, sw)]
    L_copy = L.copy()
    for a in (X, y, sw):
        a.setflags(write=False)
    est = GraphLaplacianRegression(alpha=0.5, penalty="tv", graph=L, fit_intercept=True)
    est.fit(X, y, sample_weight=sw)
    for a, c in zip((X, y, sw), copies):
        np.testing.assert_array_equal(a, c)
    assert (L != L_copy).nnz == 0
    np.testing.assert_allclose(est.predict(X), X @ est.coef_ + est.intercept_)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :10])
