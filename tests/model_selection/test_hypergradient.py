"""hypergradient: the implicit-differentiation gradient of a validation criterion, checked
against central finite differences of the criterion for every supported model, against a dense
numpy solve of the implicit-function-theorem system, across linear solvers, sparse input,
sample weights and pipelines; SURE; the result object and the errors."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import Lasso as SkLasso
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from skreg import (
    ElasticNet,
    GraphLaplacianRegression,
    Lasso,
    SparseLogisticRegression,
    SqrtLasso,
    WeightedLasso,
)
from skreg.graph import grid_laplacian
from skreg.model_selection import HypergradientResult, hypergradient

TIGHT = dict(tol=1e-13, max_iter=100_000)
RTOL = 1e-5  # finite differences vs implicit differentiation


def _regression(n=80, p=30, seed=0, noise=0.5, intercept=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:5] = [2.0, -1.5, 1.0, 0.8, -0.6]
    y = X @ w + noise * rng.standard_normal(n) + intercept
    m = (5 * n) // 8
    return X[:m], y[:m], X[m:], y[m:]


def _classification(n=80, p=30, seed=0):
    X, y, Xv, yv = _regression(n, p, seed, noise=1.0)
    t = np.median(np.concatenate([y, yv]))
    return X, (y > t).astype(int), Xv, (yv > t).astype(int)


def _forward(v, transform):
    return np.log(v) if transform == "log" else np.log(v) - np.log1p(-v)


def _backward(t, transform):
    return np.exp(t) if transform == "log" else 1.0 / (1.0 + np.exp(-t))


def _support(res):
    est = res.estimator
    return np.flatnonzero(np.ravel(est.coef_)) if hasattr(est, "coef_") else None


def _fd(est, name, X, y, Xv, yv, h=1e-5, transform="log", params=None, **kw):
    """Central difference of the criterion in the transformed ``name``; checks that the
    support does not change between theta - h, theta and theta + h."""
    params = name if params is None else params
    base = hypergradient(est, X, y, Xv, yv, params=params, **kw)
    supp = _support(base)
    t0 = _forward(est.get_params()[name], transform)
    values = []
    for s in (1.0, -1.0):
        e = clone(est).set_params(**{name: float(_backward(t0 + s * h, transform))})
        r = hypergradient(e, X, y, Xv, yv, params=params, **kw)
        if supp is not None:
            np.testing.assert_array_equal(_support(r), supp)
        assert r.converged
        values.append(r.value)
    return (values[0] - values[1]) / (2 * h), base


def _fd_weight(est, j, X, y, Xv, yv, h=1e-5, **kw):
    """Central difference in log(weights[j])."""
    base = hypergradient(est, X, y, Xv, yv, params="weights", **kw)
    supp = _support(base)
    values = []
    for s in (1.0, -1.0):
        w = np.array(est.weights, dtype=float)
        w[j] *= np.exp(s * h)
        r = hypergradient(clone(est).set_params(weights=w), X, y, Xv, yv, params="weights",
                          **kw)
        np.testing.assert_array_equal(_support(r), supp)
        values.append(r.value)
    return (values[0] - values[1]) / (2 * h), base


# ------------------------------------------------------------------------------------------
# finite differences, every supported model
# ------------------------------------------------------------------------------------------

L1D = grid_laplacian((30,))

SCALAR_CASES = {
    "lasso": (lambda: Lasso(alpha=0.1, **TIGHT), "alpha", "log", "reg"),
    "enet_alpha": (lambda: ElasticNet(alpha=0.1, l1_ratio=0.6, **TIGHT), "alpha", "log", "reg"),
    "enet_l1_ratio": (lambda: ElasticNet(alpha=0.1, l1_ratio=0.6, **TIGHT), "l1_ratio", "logit",
                      "reg"),
    "weighted_lasso_alpha": (
        lambda: WeightedLasso(alpha=0.1, weights=np.linspace(0.5, 2.0, 30), **TIGHT), "alpha",
        "log", "reg"),
    "sparse_logistic": (lambda: SparseLogisticRegression(alpha=0.02, tol=1e-13, max_iter=1000),
                        "alpha", "log", "clf"),
    "sparse_logistic_enet": (
        lambda: SparseLogisticRegression(alpha=0.02, l1_ratio=0.5, tol=1e-13, max_iter=1000),
        "l1_ratio", "logit", "clf"),
    "sqrt_lasso": (lambda: SqrtLasso(alpha=0.1, **TIGHT), "alpha", "log", "reg"),
    "graph_l2": (lambda: GraphLaplacianRegression(alpha=1.0, graph=L1D, fit_intercept=True,
                                                  tol=1e-13), "alpha", "log", "reg"),
    "ridge": (lambda: Ridge(alpha=3.0), "alpha", "log", "reg"),
    "kernel_ridge": (lambda: KernelRidge(alpha=0.3, kernel="rbf", gamma=0.02), "alpha", "log",
                     "reg"),
    "logistic_l2": (lambda: LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12,
                                               max_iter=1000), "C", "log", "clf"),
}


@pytest.mark.parametrize("case", sorted(SCALAR_CASES))
def test_hypergradient_matches_finite_differences(case):
    make, name, transform, kind = SCALAR_CASES[case]
    X, y, Xv, yv = _regression() if kind == "reg" else _classification()
    fd, res = _fd(make(), name, X, y, Xv, yv, transform=transform)
    assert res.converged
    g = res.gradient[name]
    assert abs(fd) > 1e-4  # a meaningful, non-zero derivative
    np.testing.assert_allclose(g, fd, rtol=RTOL)
    if kind == "clf":  # the default criterion of a classifier is the held-out log loss
        est = res.estimator
        t = est.decision_function(Xv)
        ypm = np.where(yv == est.classes_[1], 1.0, -1.0)
        np.testing.assert_allclose(res.value, np.mean(np.logaddexp(0, -ypm * t)), rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda: ElasticNet(alpha=0.1, l1_ratio=0.6, **TIGHT),
    lambda: SparseLogisticRegression(alpha=0.02, l1_ratio=0.5, tol=1e-13, max_iter=1000),
], ids=["enet", "sparse_logistic"])
def test_alpha_and_l1_ratio_together(make):
    est = make()
    clf = isinstance(est, SparseLogisticRegression)
    X, y, Xv, yv = _classification() if clf else _regression()
    res = hypergradient(est, X, y, Xv, yv, params=["alpha", "l1_ratio"])
    assert set(res.gradient) == {"alpha", "l1_ratio"}
    for name, transform in (("alpha", "log"), ("l1_ratio", "logit")):
        fd, single = _fd(est, name, X, y, Xv, yv, transform=transform,
                         params=["alpha", "l1_ratio"])
        np.testing.assert_allclose(res.gradient[name], fd, rtol=RTOL)
        # the same derivative as when the parameter is learned alone
        alone = hypergradient(est, X, y, Xv, yv, params=name)
        np.testing.assert_allclose(alone.gradient[name], res.gradient[name], rtol=1e-10)


@pytest.mark.parametrize("cls", [WeightedLasso, SqrtLasso])
def test_per_feature_weights_gradient(cls):
    X, y, Xv, yv = _regression()
    rng = np.random.default_rng(1)
    weights = rng.uniform(0.5, 2.0, X.shape[1])
    weights[[3, 10]] = 0.0  # unpenalized features: in the model, their weight is not learned
    est = cls(alpha=0.1, weights=weights, **TIGHT)
    res = hypergradient(est, X, y, Xv, yv, params="weights")
    g = res.gradient["weights"]
    assert g.shape == (X.shape[1],)
    supp = _support(res)
    assert 3 in supp and 10 in supp
    off = np.setdiff1d(np.arange(X.shape[1]), supp)
    assert off.size > 0
    assert np.all(g[off] == 0.0)  # exactly zero off the support
    assert g[3] == 0.0 and g[10] == 0.0  # and for zero weights
    on = [j for j in supp if weights[j] > 0]
    assert np.count_nonzero(g[on]) == len(on)
    for j in on[:3]:
        fd, _ = _fd_weight(est, j, X, y, Xv, yv)
        np.testing.assert_allclose(g[j], fd, rtol=RTOL)
    # off the support, a small change of the weight changes nothing
    j = off[0]
    fd, _ = _fd_weight(est, j, X, y, Xv, yv, h=1e-3)
    assert abs(fd) < 1e-9
    # the alpha derivative is the sum of the per-feature ones (alpha scales every weight)
    res_alpha = hypergradient(est, X, y, Xv, yv, params="alpha")
    np.testing.assert_allclose(res_alpha.gradient["alpha"], g.sum(), rtol=1e-8)


# ------------------------------------------------------------------------------------------
# variants: sparse X, no intercept, sample weights, pipelines
# ------------------------------------------------------------------------------------------

SPARSE_CASES = {
    "lasso": (lambda: Lasso(alpha=0.1, **TIGHT), "reg"),
    "enet": (lambda: ElasticNet(alpha=0.1, l1_ratio=0.6, **TIGHT), "reg"),
    "sqrt_lasso": (lambda: SqrtLasso(alpha=0.1, **TIGHT), "reg"),
    "sparse_logistic": (lambda: SparseLogisticRegression(alpha=0.02, tol=1e-13, max_iter=1000),
                        "clf"),
    "ridge": (lambda: Ridge(alpha=3.0, solver="sparse_cg", tol=1e-14), "reg"),
}


@pytest.mark.parametrize("fmt", ["csc", "csr"])
@pytest.mark.parametrize("case", sorted(SPARSE_CASES))
def test_sparse_X_equals_dense(case, fmt):
    make, kind = SPARSE_CASES[case]
    X, y, Xv, yv = _regression() if kind == "reg" else _classification()
    X = np.where(np.abs(X) < 0.5, 0.0, X)  # genuinely sparse
    Xv = np.where(np.abs(Xv) < 0.5, 0.0, Xv)
    dense = hypergradient(make(), X, y, Xv, yv)
    sparse = hypergradient(make(), sp.csr_matrix(X).asformat(fmt), y,
                           sp.csr_matrix(Xv).asformat(fmt), yv)
    name = next(iter(dense.gradient))
    assert dense.gradient[name] != 0.0
    np.testing.assert_allclose(sparse.value, dense.value, rtol=1e-8)
    np.testing.assert_allclose(sparse.gradient[name], dense.gradient[name], rtol=1e-6)


@pytest.mark.parametrize("case", ["lasso", "enet_alpha", "ridge", "logistic_l2", "sqrt_lasso",
                                  "sparse_logistic"])
def test_no_intercept(case):
    make, name, transform, kind = SCALAR_CASES[case]
    X, y, Xv, yv = _regression() if kind == "reg" else _classification()
    est = make().set_params(fit_intercept=False)
    fd, res = _fd(est, name, X, y, Xv, yv, transform=transform)
    assert np.all(np.asarray(res.estimator.intercept_) == 0.0)
    np.testing.assert_allclose(res.gradient[name], fd, rtol=RTOL)
    with_intercept = hypergradient(make(), X, y, Xv, yv, params=name)
    assert not np.isclose(with_intercept.gradient[name], res.gradient[name], rtol=1e-3)


@pytest.mark.parametrize("case", ["lasso", "enet_alpha", "sqrt_lasso", "ridge", "kernel_ridge",
                                  "logistic_l2", "sparse_logistic"])
def test_sample_weight(case):
    make, name, transform, kind = SCALAR_CASES[case]
    X, y, Xv, yv = _regression() if kind == "reg" else _classification()
    rng = np.random.default_rng(3)
    sw = rng.integers(0, 4, len(y)).astype(float)
    sw[:2] = [1.0, 2.0]
    fd, res = _fd(make(), name, X, y, Xv, yv, transform=transform, sample_weight=sw)
    np.testing.assert_allclose(res.gradient[name], fd, rtol=RTOL)
    # integer training weights are repeated training rows (the validation part is unweighted)
    rep = np.repeat(np.arange(len(y)), sw.astype(int))
    res_rep = hypergradient(make(), X[rep], y[rep], Xv, yv, params=name)
    np.testing.assert_allclose(res.value, res_rep.value, rtol=1e-7)
    np.testing.assert_allclose(res.gradient[name], res_rep.gradient[name], rtol=1e-5)
    unweighted = hypergradient(make(), X, y, Xv, yv, params=name)
    assert not np.isclose(unweighted.value, res.value, rtol=1e-4)


def test_pipeline_scaler_lasso():
    X, y, Xv, yv = _regression()
    X = X * np.linspace(0.5, 5.0, X.shape[1]) + 3.0
    Xv = Xv * np.linspace(0.5, 5.0, X.shape[1]) + 3.0
    pipe = make_pipeline(StandardScaler(), Lasso(alpha=0.1, **TIGHT))
    prefixed = hypergradient(pipe, X, y, Xv, yv, params="lasso__alpha")
    short = hypergradient(pipe, X, y, Xv, yv, params="alpha")
    default = hypergradient(pipe, X, y, Xv, yv)
    assert set(prefixed.gradient) == {"alpha"}
    np.testing.assert_allclose(short.gradient["alpha"], prefixed.gradient["alpha"], rtol=1e-12)
    np.testing.assert_allclose(default.gradient["alpha"], prefixed.gradient["alpha"],
                               rtol=1e-12)
    # the scaler is fitted on the training data only, then applied to the validation data
    sc = StandardScaler().fit(X)
    manual = hypergradient(Lasso(alpha=0.1, **TIGHT), sc.transform(X), y, sc.transform(Xv), yv)
    np.testing.assert_allclose(prefixed.value, manual.value, rtol=1e-10)
    np.testing.assert_allclose(prefixed.gradient["alpha"], manual.gradient["alpha"], rtol=1e-8)
    # and it is the derivative of the pipeline's own validation MSE
    fitted = clone(pipe).fit(X, y)
    np.testing.assert_allclose(prefixed.value, np.mean((yv - fitted.predict(Xv)) ** 2),
                               rtol=1e-9)
    h = 1e-5
    vals = [hypergradient(clone(pipe).set_params(lasso__alpha=0.1 * np.exp(s * h)), X, y, Xv,
                          yv).value for s in (1, -1)]
    np.testing.assert_allclose(prefixed.gradient["alpha"], (vals[0] - vals[1]) / (2 * h),
                               rtol=RTOL)


# ------------------------------------------------------------------------------------------
# against a dense numpy solve of the implicit-function-theorem system
# ------------------------------------------------------------------------------------------


def test_lasso_matches_dense_direct_solve():
    X, y, Xv, yv = _regression()
    alpha = 0.1
    res = hypergradient(Lasso(alpha=alpha, **TIGHT), X, y, Xv, yv)
    est = res.estimator
    S = np.flatnonzero(est.coef_)
    assert 3 <= len(S) < X.shape[1]
    A = np.column_stack([X[:, S], np.ones(len(y))])
    H = A.T @ A / len(y)
    pred = Xv @ est.coef_ + est.intercept_
    g = -2.0 * (yv - pred) / len(yv)
    grad_c = np.column_stack([Xv[:, S], np.ones(len(yv))]).T @ g
    cross = np.append(alpha * np.sign(est.coef_[S]), 0.0)
    expected = -cross @ np.linalg.solve(H, grad_c)
    np.testing.assert_allclose(res.value, np.mean((yv - pred) ** 2), rtol=1e-12)
    np.testing.assert_allclose(res.gradient["alpha"], expected, rtol=1e-9)


def test_ridge_matches_dense_direct_solve():
    X, y, Xv, yv = _regression()
    alpha = 3.0
    res = hypergradient(Ridge(alpha=alpha), X, y, Xv, yv)
    est = res.estimator
    p = X.shape[1]
    A = np.column_stack([X, np.ones(len(y))])
    H = A.T @ A
    H[np.arange(p), np.arange(p)] += alpha
    pred = Xv @ est.coef_ + est.intercept_
    g = -2.0 * (yv - pred) / len(yv)
    grad_c = np.column_stack([Xv, np.ones(len(yv))]).T @ g
    cross = np.append(alpha * est.coef_, 0.0)
    expected = -cross @ np.linalg.solve(H, grad_c)
    np.testing.assert_allclose(res.gradient["alpha"], expected, rtol=1e-8)


@pytest.mark.parametrize("make", [
    lambda: Lasso(alpha=0.1, **TIGHT),
    lambda: ElasticNet(alpha=0.1, l1_ratio=0.5, **TIGHT),
    lambda: Ridge(alpha=3.0),
    lambda: LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12, max_iter=1000),
    lambda: KernelRidge(alpha=0.3, kernel="rbf", gamma=0.02),
], ids=["lasso", "enet", "ridge", "logistic_l2", "kernel_ridge"])
def test_linear_solvers_agree(make):
    est = make()
    clf = isinstance(est, LogisticRegression)
    X, y, Xv, yv = _classification() if clf else _regression()
    out = {m: hypergradient(est, X, y, Xv, yv, linear_solver=m)
           for m in ("auto", "direct", "cg")}
    name = next(iter(out["direct"].gradient))
    ref = out["direct"].gradient[name]
    np.testing.assert_allclose(out["auto"].gradient[name], ref, rtol=1e-12)
    np.testing.assert_allclose(out["cg"].gradient[name], ref, rtol=1e-6)
    for r in out.values():
        assert r.value == out["direct"].value


def test_neumann_approximates_direct_on_well_conditioned_problem():
    X, y, Xv, yv = _regression()
    for est in (Ridge(alpha=30.0), ElasticNet(alpha=0.3, l1_ratio=0.3, **TIGHT)):
        direct = hypergradient(est, X, y, Xv, yv, linear_solver="direct")
        neumann = hypergradient(est, X, y, Xv, yv, linear_solver="neumann")
        np.testing.assert_allclose(neumann.gradient["alpha"], direct.gradient["alpha"],
                                   rtol=1e-4)


# ------------------------------------------------------------------------------------------
# SURE
# ------------------------------------------------------------------------------------------


def _sure_data(seed, n=100, p=40, sigma=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:6] = [3.0, -2.0, 2.0, 1.5, -1.0, 1.0]
    e = sigma * rng.standard_normal(n)
    return X, X @ w + 2.0 + e, X @ w + 2.0, e


def test_sure_gradient_matches_finite_differences():
    X, y, _, e = _sure_data(0)
    noise = float(np.linalg.norm(e))
    for make, name in ((lambda: Lasso(alpha=0.1, **TIGHT), "alpha"),
                       (lambda: Ridge(alpha=10.0), "alpha"),
                       (lambda: ElasticNet(alpha=0.1, l1_ratio=0.7, **TIGHT), "alpha")):
        est = make()
        kw = dict(criterion="sure", noise_level=noise, random_state=0)
        res = hypergradient(est, X, y, **kw)
        supp = _support(res)
        h = 1e-5
        vals = []
        for s in (1, -1):
            r = hypergradient(clone(est).set_params(alpha=est.alpha * np.exp(s * h)), X, y,
                              **kw)
            np.testing.assert_array_equal(_support(r), supp)
            vals.append(r.value)
        fd = (vals[0] - vals[1]) / (2 * h)
        assert abs(fd) > 1e-4
        np.testing.assert_allclose(res.gradient[name], fd, rtol=RTOL)
        # the Monte-Carlo direction is seeded: another seed gives another value
        other = hypergradient(est, X, y, criterion="sure", noise_level=noise, random_state=1)
        assert other.value != res.value
        again = hypergradient(est, X, y, **kw)
        assert again.value == res.value and again.gradient == res.gradient


def test_sure_estimates_prediction_risk():
    # averaged over noise draws, SURE is close to the prediction risk and to the exact SURE of
    # the Lasso (degrees of freedom: support size + intercept); the Monte-Carlo divergence
    # term makes a single draw noisy, hence the loose tolerance
    sure, exact, risk = [], [], []
    for seed in range(20):
        X, y, mean, e = _sure_data(seed)
        n = len(y)
        res = hypergradient(Lasso(alpha=0.2, **TIGHT), X, y, criterion="sure",
                            noise_level=np.sqrt(n) * 1.0, random_state=seed)
        pred = res.estimator.predict(X)
        dof = np.count_nonzero(res.estimator.coef_) + 1
        sure.append(res.value)
        exact.append((np.sum((y - pred) ** 2) - n + 2 * dof) / n)
        risk.append(np.mean((mean - pred) ** 2))
    sure, exact, risk = np.mean(sure), np.mean(exact), np.mean(risk)
    assert 0.0 < risk
    assert abs(sure - risk) < 0.25 * risk, (sure, risk)
    assert abs(sure - exact) < 0.25 * exact, (sure, exact)


def _blind_noise_level(X, y):
    """The noise level hypergradient estimates, read off through public results: for Ridge (a
    linear smoother) the finite-difference divergence does not depend on eps, so SURE is
    affine in sigma^2 and two known noise levels give the estimated one."""
    n = len(y)
    est = Ridge(alpha=1.0)
    kw = dict(criterion="sure", random_state=0)
    v1 = hypergradient(est, X, y, noise_level=np.sqrt(n), **kw).value  # sigma^2 = 1
    v4 = hypergradient(est, X, y, noise_level=2 * np.sqrt(n), **kw).value  # sigma^2 = 4
    blind = hypergradient(est, X, y, **kw).value
    b = (v4 - v1) / 3.0
    sigma2 = 1.0 + (blind - v1) / b
    assert sigma2 > 0
    return float(np.sqrt(sigma2 * n))


def _noise_data(seed, scale):
    rng = np.random.default_rng(seed)
    n, p = 100, 40
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:6] = scale * np.array([3.0, -2.0, 2.0, 1.5, -1.0, 1.0])
    e = rng.standard_normal(n)
    return X, X @ w + 2.0 + e, float(np.linalg.norm(e))


def test_sure_estimates_noise_level_weak_signal():
    from skreg.model_selection._search import _estimate_noise_level

    for seed in range(3):
        X, y, truth = _noise_data(seed, scale=0.1)
        est = _blind_noise_level(X, y)
        np.testing.assert_allclose(est, _estimate_noise_level(X, y, np.ones(len(y))),
                                   rtol=1e-6)
        assert truth / 1.5 < est < truth * 1.5, (est, truth)
    # the blind SURE of an l1 model is finite, and is the SURE at the estimated level
    X, y, truth = _noise_data(0, scale=0.1)
    lasso = Lasso(alpha=0.05, **TIGHT)
    blind = hypergradient(lasso, X, y, criterion="sure", random_state=0)
    known = hypergradient(lasso, X, y, criterion="sure", random_state=0,
                          noise_level=_blind_noise_level(X, y))
    assert np.isfinite(blind.value)
    np.testing.assert_allclose(blind.value, known.value, rtol=1e-6)
    np.testing.assert_allclose(blind.gradient["alpha"], known.gradient["alpha"], rtol=1e-5)


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_sure_estimates_noise_level_moderate_and_strong_signal(scale):
    # the square-root Lasso's residual alone is 2-7x the truth here (l1 shrinkage of large
    # coefficients); the refitted scaled-Lasso iteration removes that bias
    for seed in range(3):
        X, y, truth = _noise_data(seed, scale=scale)
        est = _blind_noise_level(X, y)
        assert truth / 1.5 < est < truth * 1.5, (est, truth)


# ------------------------------------------------------------------------------------------
# the result object
# ------------------------------------------------------------------------------------------


def test_result_fields_and_input_untouched():
    X, y, Xv, yv = _regression()
    est = Lasso(alpha=0.1, tol=1e-10, max_iter=10_000)
    params_before = est.get_params()
    res = hypergradient(est, X, y, Xv, yv)
    assert isinstance(res, HypergradientResult)
    assert isinstance(res.value, float)
    assert isinstance(res.gradient, dict) and set(res.gradient) == {"alpha"}
    assert isinstance(res.gradient["alpha"], float)
    assert isinstance(res.n_iter, int) and res.n_iter > 0
    assert res.converged is True
    # the estimator is a fitted clone; the input is neither fitted nor modified
    assert res.estimator is not est
    assert isinstance(res.estimator, Lasso)
    np.testing.assert_allclose(res.estimator.alpha, 0.1, rtol=1e-14)
    assert hasattr(res.estimator, "coef_")
    assert not hasattr(est, "coef_")
    assert est.get_params() == params_before
    np.testing.assert_allclose(res.value, np.mean((yv - res.estimator.predict(Xv)) ** 2),
                               rtol=1e-12)
    ref = Lasso(alpha=0.1, tol=1e-10, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(res.estimator.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    from dataclasses import FrozenInstanceError

    with pytest.raises(FrozenInstanceError):
        res.value = 0.0


def test_not_converged_is_reported():
    X, y, Xv, yv = _regression()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = hypergradient(Lasso(alpha=0.01, max_iter=1, tol=1e-14), X, y, Xv, yv)
    assert res.converged is False
    assert res.n_iter == 1


@pytest.mark.parametrize("factor", [1e-5, 0.9995, 2.0])
def test_alpha_outside_search_box_is_not_moved(factor):
    X, y, Xv, yv = _regression()
    amax = np.max(np.abs(X.T @ (y - y.mean()))) / len(y)
    res = hypergradient(Lasso(alpha=factor * amax, **TIGHT), X, y, Xv, yv)
    assert res.estimator.alpha == factor * amax
    ref = Lasso(alpha=factor * amax, **TIGHT).fit(X, y)
    np.testing.assert_allclose(res.value, np.mean((yv - ref.predict(Xv)) ** 2), rtol=1e-8)


def test_user_arrays_not_modified_and_read_only_ok():
    X, y, Xv, yv = _regression()
    sw = np.linspace(0.5, 2.0, len(y))
    weights = np.linspace(0.5, 2.0, X.shape[1])
    arrays = [X, y, Xv, yv, sw, weights]
    copies = [a.copy() for a in arrays]
    for a in arrays:
        a.setflags(write=False)
    hypergradient(WeightedLasso(alpha=0.1, weights=weights, tol=1e-10), X, y, Xv, yv,
                  params="weights", sample_weight=sw)
    hypergradient(Lasso(alpha=0.1, tol=1e-10), X, y, Xv, yv, sample_weight=sw)
    hypergradient(Lasso(alpha=0.1, tol=1e-10), X, y, criterion="sure", noise_level=4.0)
    hypergradient(Ridge(alpha=1.0), X, y, Xv, yv, sample_weight=sw, linear_solver="cg")
    Xs = sp.csc_matrix(X)
    data = Xs.data.copy()
    hypergradient(Lasso(alpha=0.1, tol=1e-10), Xs, y, sp.csc_matrix(Xv), yv)
    np.testing.assert_array_equal(Xs.data, data)
    for a, c in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(a, c)


def test_pandas_input():
    pd = pytest.importorskip("pandas")
    X, y, Xv, yv = _regression()
    cols = [f"f{j}" for j in range(X.shape[1])]
    res = hypergradient(Lasso(alpha=0.1, **TIGHT), pd.DataFrame(X, columns=cols), pd.Series(y),
                        pd.DataFrame(Xv, columns=cols), pd.Series(yv))
    ref = hypergradient(Lasso(alpha=0.1, **TIGHT), X, y, Xv, yv)
    np.testing.assert_allclose(res.gradient["alpha"], ref.gradient["alpha"], rtol=1e-10)


# ------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------


def test_errors_of_the_call():
    X, y, Xv, yv = _regression()
    _, yc, _, ycv = _classification()
    est = Lasso(alpha=0.1)
    with pytest.raises(ValueError, match="X_val"):
        hypergradient(est, X, y)
    with pytest.raises(ValueError, match="X_val"):
        hypergradient(est, X, y, criterion="mse", X_val=Xv)
    with pytest.raises(ValueError, match="criterion"):
        hypergradient(est, X, y, Xv, yv, criterion="mae")
    with pytest.raises(ValueError, match="linear_solver"):
        hypergradient(est, X, y, Xv, yv, linear_solver="lu")
    with pytest.raises(ValueError, match="log_loss"):
        hypergradient(est, X, y, Xv, yv, criterion="log_loss")
    with pytest.raises(ValueError, match="log_loss"):
        hypergradient(SparseLogisticRegression(), X, yc, Xv, ycv, criterion="mse")
    with pytest.raises(ValueError, match="sure"):
        hypergradient(SparseLogisticRegression(), X, yc, criterion="sure", noise_level=1.0)
    with pytest.raises(ValueError, match="sample_weight"):
        hypergradient(est, X, y, criterion="sure", noise_level=1.0,
                      sample_weight=np.ones(len(y)))


@pytest.mark.parametrize("est", [SkLasso(alpha=0.1), DecisionTreeRegressor()],
                         ids=["sklearn_lasso", "tree"])
def test_unsupported_estimator_type_error(est):
    X, y, Xv, yv = _regression()
    with pytest.raises(TypeError, match="not supported.*WeightedLasso.*Ridge.*KernelRidge"):
        hypergradient(est, X, y, Xv, yv)
    with pytest.raises(TypeError, match="not supported"):
        hypergradient(make_pipeline(StandardScaler(), est), X, y, Xv, yv)


@pytest.mark.parametrize("est, params, match", [
    (Lasso(alpha=0.1), "l1_ratio", "no learnable hyperparameter 'l1_ratio'"),
    (Lasso(alpha=0.1), "weights", "no learnable hyperparameter 'weights'"),
    (Ridge(), "C", "no learnable hyperparameter 'C'"),
    (LogisticRegression(), "alpha", "no learnable hyperparameter 'alpha'"),
    (Lasso(alpha=0.1), ["alpha", "alpha"], "twice"),
    (Lasso(alpha=0.1, positive=True), "alpha", "positive"),
    (Lasso(alpha=0.1, solver="cvxpy"), "alpha", "solver"),
    (WeightedLasso(alpha=0.1), ["alpha", "weights"], "together"),
    (SqrtLasso(alpha=0.1), ["alpha", "weights"], "together"),
    (ElasticNet(alpha=0.1, l1_ratio=1.0), ["alpha", "l1_ratio"], "l1_ratio"),
    (ElasticNet(alpha=0.1, l1_ratio=0.0), ["alpha", "l1_ratio"], "l1_ratio"),
    (GraphLaplacianRegression(alpha=1.0, graph=L1D, penalty="l1"), "alpha", "penalty"),
    (SqrtLasso(), "alpha", "pivotal"),
    (Lasso(alpha=0.0), "alpha", "positive"),
    (WeightedLasso(alpha=0.1, weights=np.zeros(30)), "weights", "all zero"),
    (WeightedLasso(alpha=0.1, weights=-np.ones(30)), "weights", "non-negative"),
], ids=lambda v: type(v).__name__ if hasattr(v, "fit") else None)
def test_bad_configuration_value_error(est, params, match):
    X, y, Xv, yv = _regression()
    with pytest.raises(ValueError, match=match):
        hypergradient(est, X, y, Xv, yv, params=params)
    with pytest.raises(ValueError, match=match):
        hypergradient(make_pipeline(StandardScaler(), est), X, y, Xv, yv, params=params)


def test_params_type_errors():
    X, y, Xv, yv = _regression()
    with pytest.raises(TypeError, match="params"):
        hypergradient(Lasso(), X, y, Xv, yv, params=3)
    with pytest.raises(ValueError, match="at least one"):
        hypergradient(Lasso(), X, y, Xv, yv, params={})


def test_logistic_regression_multiclass_and_class_weight():
    X, y, Xv, yv = _regression()
    edges = np.quantile(np.concatenate([y, yv]), [1 / 3, 2 / 3])
    y3, yv3 = np.digitize(y, edges), np.digitize(yv, edges)
    lr = LogisticRegression(C=0.5, solver="newton-cholesky")
    with pytest.raises(ValueError, match="binary"):
        hypergradient(lr, X, y3, Xv, yv3)
    _, yc, _, ycv = _classification()
    with pytest.raises(ValueError, match="class_weight"):
        hypergradient(LogisticRegression(class_weight="balanced"), X, yc, Xv, ycv)
    with pytest.raises(ValueError, match="l2"):
        hypergradient(LogisticRegression(l1_ratio=1.0, solver="saga"), X, yc, Xv, ycv)


def test_result_estimator_is_the_given_pipeline_fitted():
    # a Pipeline comes back whole (its preprocessing fitted on X only), with the user's
    # settings: it predicts raw validation data as the criterion saw it
    X, y, Xv, yv = _regression()
    pipe = make_pipeline(StandardScaler(), Lasso(alpha=0.1, **TIGHT))
    res = hypergradient(pipe, X, y, Xv, yv)
    assert isinstance(res.estimator, Pipeline)
    assert res.estimator.steps[-1][1].alpha == 0.1
    assert res.estimator.steps[-1][1].warm_start is False
    np.testing.assert_allclose(res.value, np.mean((yv - res.estimator.predict(Xv)) ** 2),
                               rtol=1e-10)
    assert not hasattr(pipe.steps[-1][1], "coef_")
