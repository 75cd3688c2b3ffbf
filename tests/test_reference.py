"""Tests of skreg.reference: objectives, duality gaps and the cvxpy ground truth."""

import dataclasses
import warnings

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import minimize_scalar
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, QuantileRegressor

from skreg import reference
from skreg.reference import (
    ReferenceResult,
    enet,
    enet_duality_gap,
    enet_null_objective,
    enet_objective,
    lad_duality_gap,
    lad_lasso,
    lad_null_objective,
    lad_objective,
    logistic_duality_gap,
    logistic_null_objective,
    logistic_objective,
    quantile_duality_gap,
    quantile_lasso,
    quantile_null_objective,
    quantile_objective,
    relative_duality_gap,
    sparse_logistic,
    sqrt_lasso,
    sqrt_lasso_duality_gap,
    sqrt_lasso_null_objective,
    sqrt_lasso_objective,
)


def _regression(n=30, p=12, sparse=False, seed=0):
    rng = np.random.default_rng(seed)
    if sparse:
        X = sp.random(n, p, density=0.4, random_state=seed, format="csc",
                      data_rvs=rng.standard_normal)
    else:
        X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:4] = [2.0, -1.5, 1.0, 0.5]
    y = np.asarray(X @ w).ravel() + 0.3 * rng.standard_normal(n) + 1.0
    return X, y


def _classification(n=40, p=8, sparse=False, seed=0):
    X, y = _regression(n, p, sparse, seed)
    y = np.where(y > np.median(y), 1.0, -1.0)
    flip = np.random.default_rng(seed + 1).random(n) < 0.15  # not separable
    y[flip] *= -1.0
    return X, y


def _sample_weight(n, seed=0):
    sw = np.random.default_rng(seed).uniform(0.2, 2.0, n)
    sw[:2] = 0.0  # zero weights: those samples drop out
    return sw


def _alpha_max(X, y, sw=None):
    sw = np.ones(len(y)) if sw is None else sw
    r = sw * (y - np.dot(sw, y) / sw.sum())
    return np.abs(np.asarray(X.T @ r)).max() / sw.sum()


def _dense(X):
    return X.toarray() if sp.issparse(X) else X


# ------------------------------------------------------------------------------------------------
# objectives
# ------------------------------------------------------------------------------------------------
def test_objectives_match_explicit_formulas():
    X, y = _regression(seed=1)
    yl = np.where(y > 1.0, 1.0, -1.0)
    rng = np.random.default_rng(2)
    coef, b = rng.standard_normal(X.shape[1]), 0.3
    sw = _sample_weight(len(y))
    v = rng.uniform(0, 2, X.shape[1])
    alpha, rho = 0.2, 0.7
    S = sw.sum()
    pen = alpha * sum(v[j] * (rho * abs(coef[j]) + (1 - rho) / 2 * coef[j] ** 2)
                      for j in range(len(coef)))
    quad = sum(sw[i] * (y[i] - X[i] @ coef - b) ** 2 for i in range(len(y))) / (2 * S)
    logi = sum(sw[i] * np.log1p(np.exp(-yl[i] * (X[i] @ coef + b))) for i in range(len(y))) / S
    kw = dict(alpha=alpha, l1_ratio=rho, sample_weight=sw, weights=v)
    assert_allclose(enet_objective(X, y, coef, b, **kw), quad + pen, rtol=1e-13)
    assert_allclose(logistic_objective(X, yl, coef, b, **kw), logi + pen, rtol=1e-13)
    # defaults: l1_ratio=1, unit weights, intercept 0
    assert_allclose(enet_objective(X, y, coef, alpha=0.1),
                    np.mean((y - X @ coef) ** 2) / 2 + 0.1 * np.abs(coef).sum(), rtol=1e-13)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "lil"])
def test_objectives_and_gaps_sparse_equal_dense(fmt):
    X, y = _regression(sparse=True, seed=3)
    yl = np.where(y > 1.0, 1.0, -1.0)
    Xs = sp.csc_matrix(X).asformat(fmt)
    Xd = X.toarray()
    coef = np.random.default_rng(0).standard_normal(X.shape[1])
    kw = dict(alpha=0.05, l1_ratio=0.8, sample_weight=_sample_weight(len(y)))
    for func, target in [(enet_objective, y), (logistic_objective, yl),
                         (enet_duality_gap, y), (logistic_duality_gap, yl)]:
        assert_allclose(func(Xs, target, coef, 0.2, **kw), func(Xd, target, coef, 0.2, **kw),
                        rtol=1e-12)


def test_logistic_objective_is_stable():
    X = np.array([[1e3], [-1e3]])
    y = np.array([1.0, 1.0])
    val = logistic_objective(X, y, np.array([1.0]), alpha=0.0)
    assert np.isfinite(val)
    assert_allclose(val, 1e3 / 2)


def test_null_objectives():
    X, y = _regression(seed=4)
    sw = _sample_weight(len(y))
    for fit_intercept in (True, False):
        best = (minimize_scalar(lambda b: enet_objective(X, y, np.zeros(X.shape[1]), b,
                                                         alpha=1.0, sample_weight=sw)).fun
                if fit_intercept else enet_objective(X, y, np.zeros(X.shape[1]), alpha=1.0,
                                                     sample_weight=sw))
        assert_allclose(enet_null_objective(y, sample_weight=sw, fit_intercept=fit_intercept),
                        best, rtol=1e-10)
    yl = np.where(y > 0.5, 1.0, -1.0)
    best = minimize_scalar(lambda b: logistic_objective(X, yl, np.zeros(X.shape[1]), b,
                                                        alpha=1.0, sample_weight=sw)).fun
    assert_allclose(logistic_null_objective(yl, sample_weight=sw), best, rtol=1e-10)
    assert_allclose(logistic_null_objective(yl, fit_intercept=False), np.log(2))
    assert logistic_null_objective(np.ones(5)) == 0.0  # one class: b -> inf


def test_relative_duality_gap():
    X, y = _regression(seed=5)
    coef = np.ones(X.shape[1])
    kw = dict(alpha=0.1, sample_weight=_sample_weight(len(y)))
    assert_allclose(relative_duality_gap("enet", X, y, coef, 0.5, **kw),
                    enet_duality_gap(X, y, coef, 0.5, **kw)
                    / enet_null_objective(y, sample_weight=kw["sample_weight"]))
    with pytest.raises(ValueError, match="model must be one of"):
        relative_duality_gap("lasso", X, y, coef, **kw)


def test_input_validation():
    X, y = _regression(seed=6)
    coef = np.zeros(X.shape[1])
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        enet_objective(X, y, coef, alpha=1.0, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="weights"):
        enet_duality_gap(X, y, coef, alpha=1.0, weights=-np.ones(X.shape[1]))
    with pytest.raises(ValueError, match="labels -1 and \\+1"):
        logistic_objective(X, y, coef, alpha=1.0)
    with pytest.raises(ValueError, match="coef has"):
        enet_objective(X, y, coef[:-1], alpha=1.0)
    with pytest.raises(ValueError, match="l1_ratio"):
        enet(X, y, alpha=1.0, l1_ratio=1.5)
    with pytest.raises(ValueError, match="NaN"):
        enet_objective(np.full_like(X, np.nan), y, coef, alpha=1.0)
    with pytest.raises(ValueError, match="alpha"):
        enet(X, y, alpha=-1.0)


# ------------------------------------------------------------------------------------------------
# (a) quadratic reference vs scikit-learn
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("weighted, positive", [(False, False), (True, False), (False, True),
                                                (True, True)])
def test_enet_matches_sklearn(sparse, fit_intercept, l1_ratio, weighted, positive):
    X, y = _regression(sparse=sparse, seed=7)
    sw = _sample_weight(len(y)) if weighted else None
    alpha = 0.1 * _alpha_max(X, y, sw)
    ref = enet(X, y, alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw,
               fit_intercept=fit_intercept, positive=positive)
    assert isinstance(ref, ReferenceResult)
    assert ref.status == "optimal"
    assert ref.dual_gap <= 1e-9
    params = dict(alpha=alpha, fit_intercept=fit_intercept, positive=positive, tol=1e-12,
                  max_iter=100_000)
    est = Lasso(**params) if l1_ratio == 1.0 else ElasticNet(l1_ratio=l1_ratio, **params)
    est.fit(X, y, sample_weight=sw)
    assert_allclose(ref.coef, est.coef_, rtol=1e-6, atol=1e-6)
    assert_allclose(ref.intercept, est.intercept_, rtol=1e-6, atol=1e-6)
    sk_obj = enet_objective(X, y, est.coef_, est.intercept_, alpha=alpha, l1_ratio=l1_ratio,
                            sample_weight=sw)
    assert_allclose(ref.objective, sk_obj, rtol=1e-8)
    assert ref.objective <= sk_obj * (1 + 1e-12)
    if positive:
        assert np.all(ref.coef >= 0)


# ------------------------------------------------------------------------------------------------
# (b) logistic reference vs scikit-learn
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_sparse_logistic_matches_sklearn(sparse, fit_intercept, l1_ratio):
    X, y = _classification(sparse=sparse, seed=8)
    sw = _sample_weight(len(y), seed=1)
    S = sw.sum()
    alpha = 0.02
    ref = sparse_logistic(X, y, alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw,
                          fit_intercept=fit_intercept)
    assert ref.status == "optimal"
    # sklearn: l1_ratio * ||w||_1 + (1 - l1_ratio) / 2 ||w||^2 + C sum_i sw_i loss_i,
    # i.e. the reference objective times C S with alpha = 1 / (C S).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # saga's ConvergenceWarning at tol=1e-12
        clf = LogisticRegression(C=1.0 / (alpha * S), l1_ratio=l1_ratio, solver="saga",
                                 tol=1e-12, max_iter=100_000, fit_intercept=fit_intercept)
        clf.fit(_dense(X) if not sparse else sp.csr_matrix(X), y, sample_weight=sw)
    b = float(clf.intercept_[0]) if fit_intercept else 0.0
    sk_obj = logistic_objective(X, y, clf.coef_.ravel(), b, alpha=alpha, l1_ratio=l1_ratio,
                                sample_weight=sw)
    assert ref.objective <= sk_obj + 1e-10
    assert_allclose(ref.objective, sk_obj, rtol=1e-8)
    assert_allclose(ref.coef, clf.coef_.ravel(), rtol=1e-6, atol=1e-6)
    assert_allclose(ref.intercept, b, rtol=1e-6, atol=1e-6)


def test_sparse_logistic_positive_and_exact_zeros():
    X, y = _classification(seed=9)
    ref = sparse_logistic(X, y, alpha=0.03, positive=True)
    assert np.all(ref.coef >= 0)
    assert np.any(ref.coef == 0.0)  # the polished solution has exact zeros
    assert relative_duality_gap("logistic", X, y, ref.coef, ref.intercept, alpha=0.03,
                                positive=True) <= 1e-9


# ------------------------------------------------------------------------------------------------
# (c) duality gaps
# ------------------------------------------------------------------------------------------------
GAP_SETTINGS = [
    dict(),
    dict(l1_ratio=0.6),
    dict(l1_ratio=0.0),
    dict(positive=True),
    dict(positive=True, l1_ratio=0.6),
    dict(fit_intercept=False),
    dict(weighted=True),
    dict(weighted=True, positive=True, fit_intercept=False),
    dict(zero_weight=True),
    dict(zero_weight=True, positive=True),
    dict(zero_weight=True, l1_ratio=0.5, weighted=True),
]


def _gap_problem(settings, classification=False, sparse=False, seed=10):
    settings = dict(settings)
    X, y = (_classification if classification else _regression)(sparse=sparse, seed=seed)
    kw = dict(alpha=0.0, l1_ratio=settings.pop("l1_ratio", 1.0),
              positive=settings.pop("positive", False),
              fit_intercept=settings.pop("fit_intercept", True))
    if settings.pop("weighted", False):
        kw["sample_weight"] = _sample_weight(len(y), seed)
    if settings.pop("zero_weight", False):
        v = np.ones(X.shape[1])
        v[[0, 5]] = 0.0
        kw["weights"] = v
    kw["alpha"] = (0.05 if classification else 0.2 * _alpha_max(X, y, kw.get("sample_weight")))
    return X, y, kw


@pytest.mark.parametrize("settings", GAP_SETTINGS)
def test_enet_gap_is_a_valid_bound(settings):
    """gap(w, b) >= P(w, b) - P* >= 0 for arbitrary (w, b), P* from the reference."""
    X, y, kw = _gap_problem(settings)
    ref = enet(X, y, **kw)
    objkw = {k: kw[k] for k in ("alpha", "l1_ratio") if k in kw}
    objkw.update(sample_weight=kw.get("sample_weight"), weights=kw.get("weights"))
    rng = np.random.default_rng(0)
    for _ in range(20):
        coef = rng.standard_normal(X.shape[1]) * (rng.random(X.shape[1]) < 0.6)
        if kw["positive"]:
            coef = np.abs(coef)
        b = rng.standard_normal() if kw["fit_intercept"] else 0.0
        gap = enet_duality_gap(X, y, coef, b, **kw)
        subopt = enet_objective(X, y, coef, b, **objkw) - ref.objective
        assert gap >= -1e-10
        assert gap >= subopt - 1e-10 * max(1.0, ref.objective)
    # small perturbations of the optimum: the bound still holds, and is close
    for scale in (1e-3, 1e-6):
        coef = ref.coef + scale * rng.standard_normal(X.shape[1])
        if kw["positive"]:
            coef = np.maximum(coef, 0.0)
        gap = enet_duality_gap(X, y, coef, ref.intercept, **kw)
        subopt = enet_objective(X, y, coef, ref.intercept, **objkw) - ref.objective
        assert gap >= subopt - 1e-12 * max(1.0, ref.objective)
    # at the reference solution
    assert relative_duality_gap("enet", X, y, ref.coef, ref.intercept, **kw) <= 1e-9


@pytest.mark.parametrize("settings", GAP_SETTINGS)
def test_logistic_gap(settings):
    X, y, kw = _gap_problem(settings, classification=True)
    ref = sparse_logistic(X, y, **kw)
    objkw = dict(alpha=kw["alpha"], l1_ratio=kw["l1_ratio"],
                 sample_weight=kw.get("sample_weight"), weights=kw.get("weights"))
    rng = np.random.default_rng(1)
    valid_everywhere = "weights" not in kw  # documented: unpenalized features need optimality
    for _ in range(20):
        coef = rng.standard_normal(X.shape[1]) * (rng.random(X.shape[1]) < 0.6)
        if kw["positive"]:
            coef = np.abs(coef)
        b = rng.standard_normal() if kw["fit_intercept"] else 0.0
        gap = logistic_duality_gap(X, y, coef, b, **kw)
        if valid_everywhere:
            subopt = logistic_objective(X, y, coef, b, **objkw) - ref.objective
            assert gap >= -1e-10
            assert gap >= subopt - 1e-10
    assert relative_duality_gap("logistic", X, y, ref.coef, ref.intercept, **kw) <= 1e-9


def test_gap_zero_sample_weights_and_infeasible_coef():
    X, y = _regression(seed=11)
    sw = np.zeros(len(y))
    sw[:10] = 1.0
    ref = enet(X, y, alpha=0.05, sample_weight=sw)
    sub = enet(X[:10], y[:10], alpha=0.05)  # zero weights == dropping the samples
    assert_allclose(ref.coef, sub.coef, atol=1e-8)
    assert_allclose(ref.objective, sub.objective, rtol=1e-10)
    gap = enet_duality_gap(X, y, ref.coef, ref.intercept, alpha=0.05, sample_weight=sw)
    assert np.isfinite(gap) and abs(gap) < 1e-10
    assert enet_duality_gap(X, y, -np.ones(X.shape[1]), alpha=0.05, positive=True) == np.inf
    yl = np.where(y > 1, 1.0, -1.0)
    assert logistic_duality_gap(X, yl, -np.ones(X.shape[1]), alpha=0.05, positive=True) == np.inf


def test_gap_unoptimized_intercept_is_recentred():
    """With fit_intercept the gap at (w*, b* + delta) stays a valid bound (recentred theta)."""
    X, y = _regression(seed=12)
    ref = enet(X, y, alpha=0.05)
    for delta in (1e-4, 0.1, 3.0):
        gap = enet_duality_gap(X, y, ref.coef, ref.intercept + delta, alpha=0.05)
        subopt = enet_objective(X, y, ref.coef, ref.intercept + delta, alpha=0.05) - ref.objective
        assert_allclose(gap, subopt, rtol=1e-6)  # only the intercept is off: gap = 0.5 delta^2


# ------------------------------------------------------------------------------------------------
# (d) zero penalty weights leave the feature unpenalized
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["enet", "logistic"])
def test_zero_weight_feature_is_unpenalized(model):
    if model == "enet":
        X, y = _regression(seed=13)
        alpha = 0.5 * _alpha_max(X, y)
    else:
        X, y = _classification(seed=13)
        alpha = 0.05
    p = X.shape[1]
    v = np.ones(p)
    v[[1, 6]] = 0.0
    func = enet if model == "enet" else sparse_logistic
    ref = func(X, y, alpha=alpha, weights=v)
    # the same problem written independently in cvxpy: no penalty on features 1 and 6
    w, b = cp.Variable(p), cp.Variable()
    z = X @ w + b
    if model == "enet":
        loss = cp.sum_squares(y - z) / (2 * len(y))
    else:
        loss = cp.sum(cp.logistic(-cp.multiply(y, z))) / len(y)
    mask = v > 0
    prob = cp.Problem(cp.Minimize(loss + alpha * cp.norm1(w[mask])))
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    assert_allclose(ref.coef, w.value, atol=1e-6)
    assert_allclose(ref.intercept, b.value, atol=1e-6)
    # KKT: the gradient of the datafit vanishes on the unpenalized coordinates
    zref = X @ ref.coef + ref.intercept
    if model == "enet":
        grad = -X.T @ (y - zref) / len(y)
    else:
        grad = -X.T @ (y / (1 + np.exp(y * zref))) / len(y)
    assert_allclose(grad[~mask], 0.0, atol=1e-10)
    assert np.all(np.abs(grad[mask]) <= alpha * (1 + 1e-8))
    assert np.all(ref.coef[~mask] != 0)


# ------------------------------------------------------------------------------------------------
# result object and failure path
# ------------------------------------------------------------------------------------------------
def test_reference_result_frozen_and_objective_recomputed():
    X, y = _regression(sparse=True, seed=14)
    ref = enet(X, y, alpha=0.1, l1_ratio=0.3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.coef = None
    assert ref.objective == enet_objective(X, y, ref.coef, ref.intercept, alpha=0.1,
                                           l1_ratio=0.3)
    assert ref.solve_time > 0
    assert_allclose(ref.dual_gap, relative_duality_gap("enet", X, y, ref.coef, ref.intercept,
                                                       alpha=0.1, l1_ratio=0.3))
    assert isinstance(ref.intercept, float)
    noint = enet(X, y, alpha=0.1, fit_intercept=False)
    assert noint.intercept == 0.0


def test_failed_solve_raises(monkeypatch):
    from skreg.reference import _linear_model

    monkeypatch.setattr(_linear_model, "_CLARABEL_ATTEMPTS", ({"max_iter": 1},))
    monkeypatch.setattr(_linear_model, "_GAP_CERTIFIED", -1.0)
    X, y = _regression(seed=15)
    with pytest.raises(RuntimeError, match="did not reach status 'optimal'"):
        enet(X, y, alpha=0.1)


def test_public_names():
    for name in reference.__all__:
        assert getattr(reference, name).__doc__


# ------------------------------------------------------------------------------------------------
# (e) square-root, quantile and LAD Lasso
# ------------------------------------------------------------------------------------------------
ROBUST_OBJECTIVES = {
    "sqrt_lasso": sqrt_lasso_objective,
    "quantile": quantile_objective,
    "lad": lad_objective,
}
ROBUST_GAPS = {
    "sqrt_lasso": sqrt_lasso_duality_gap,
    "quantile": quantile_duality_gap,
    "lad": lad_duality_gap,
}
ROBUST_SOLVERS = {"sqrt_lasso": sqrt_lasso, "quantile": quantile_lasso, "lad": lad_lasso}


def _model_kw(model, tau=0.3):
    return {"quantile": tau} if model == "quantile" else {}


def _outliers(n=40, p=10, seed=20, sparse=False):
    """Regression data with 10% of y corrupted by outliers of magnitude 100."""
    X, y = _regression(n, p, sparse=sparse, seed=seed)
    rng = np.random.default_rng(seed + 1)
    bad = rng.choice(n, n // 10, replace=False)
    y[bad] += 100.0 * rng.choice([-1.0, 1.0], bad.size)
    return X, y


def test_robust_objectives_match_explicit_formulas():
    X, y = _regression(seed=21)
    rng = np.random.default_rng(3)
    coef, b = rng.standard_normal(X.shape[1]), -0.4
    sw = _sample_weight(len(y))
    v = rng.uniform(0, 2, X.shape[1])
    alpha, tau = 0.15, 0.3
    S = sw.sum()
    pen = alpha * sum(v[j] * abs(coef[j]) for j in range(len(coef)))
    r = [y[i] - X[i] @ coef - b for i in range(len(y))]
    sqrt_fit = np.sqrt(sum(sw[i] * r[i] ** 2 for i in range(len(y))) / S)
    pinball = sum(sw[i] * r[i] * (tau - (r[i] < 0)) for i in range(len(y))) / S
    lad = sum(sw[i] * abs(r[i]) for i in range(len(y))) / S
    kw = dict(alpha=alpha, sample_weight=sw, weights=v)
    assert_allclose(sqrt_lasso_objective(X, y, coef, b, **kw), sqrt_fit + pen, rtol=1e-13)
    assert_allclose(quantile_objective(X, y, coef, b, quantile=tau, **kw), pinball + pen,
                    rtol=1e-13)
    assert_allclose(lad_objective(X, y, coef, b, **kw), lad + pen, rtol=1e-13)
    # LAD(alpha) = 2 quantile(tau=0.5, alpha / 2)
    assert_allclose(lad_objective(X, y, coef, b, **kw),
                    2 * quantile_objective(X, y, coef, b, alpha=alpha / 2, quantile=0.5,
                                           sample_weight=sw, weights=v), rtol=1e-15)
    # defaults: unit weights, intercept 0, quantile 0.5
    res = y - X @ coef
    assert_allclose(sqrt_lasso_objective(X, y, coef, alpha=0.1),
                    np.linalg.norm(res) / np.sqrt(len(y)) + 0.1 * np.abs(coef).sum(),
                    rtol=1e-13)
    assert_allclose(quantile_objective(X, y, coef, alpha=0.1),
                    0.5 * np.mean(np.abs(res)) + 0.1 * np.abs(coef).sum(), rtol=1e-13)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("model", ["sqrt_lasso", "quantile", "lad"])
def test_robust_objectives_and_gaps_sparse_equal_dense(fmt, model):
    X, y = _regression(sparse=True, seed=22)
    Xs, Xd = sp.csc_matrix(X).asformat(fmt), X.toarray()
    coef = np.random.default_rng(1).standard_normal(X.shape[1])
    kw = dict(alpha=0.05, sample_weight=_sample_weight(len(y)), **_model_kw(model))
    for func in (ROBUST_OBJECTIVES[model], ROBUST_GAPS[model]):
        assert_allclose(func(Xs, y, coef, 0.2, **kw), func(Xd, y, coef, 0.2, **kw), rtol=1e-10)


def test_robust_input_validation():
    X, y = _regression(seed=23)
    coef = np.zeros(X.shape[1])
    for tau in (0.0, 1.0, -0.2, 1.5):
        with pytest.raises(ValueError, match="quantile must be in"):
            quantile_objective(X, y, coef, alpha=0.1, quantile=tau)
        with pytest.raises(ValueError, match="quantile must be in"):
            quantile_null_objective(y, quantile=tau)
        with pytest.raises(ValueError, match="quantile must be in"):
            quantile_duality_gap(X, y, coef, alpha=0.1, quantile=tau)
        with pytest.raises(ValueError, match="quantile must be in"):
            quantile_lasso(X, y, alpha=0.1, quantile=tau)
    with pytest.raises(TypeError, match="quantile must be a real number"):
        quantile_objective(X, y, coef, alpha=0.1, quantile="median")
    for func in (sqrt_lasso_objective, quantile_objective, lad_objective,
                 sqrt_lasso_duality_gap, quantile_duality_gap, lad_duality_gap):
        with pytest.raises(ValueError, match="coef has"):
            func(X, y, coef[:-1], alpha=0.1)
        with pytest.raises(ValueError, match="y has"):
            func(X, y[:-1], coef, alpha=0.1)
        with pytest.raises(ValueError, match="alpha"):
            func(X, y, coef, alpha=-1.0)
        with pytest.raises(ValueError, match="sample_weight must be non-negative"):
            func(X, y, coef, alpha=0.1, sample_weight=-np.ones(len(y)))
    for solver in ROBUST_SOLVERS.values():
        with pytest.raises(ValueError, match="alpha"):
            solver(X, y, alpha=-1.0)
        with pytest.raises(ValueError, match="weights"):
            solver(X, y, alpha=0.1, weights=-np.ones(X.shape[1]))
    with pytest.raises(ValueError, match="model must be one of"):
        relative_duality_gap("huber", X, y, coef, alpha=0.1)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_robust_null_objectives(fit_intercept):
    _, y = _regression(n=25, seed=24)
    y[5] = y[6]  # a tie
    sw = _sample_weight(len(y))
    X0 = np.zeros((len(y), 1))
    grid = np.concatenate([y, np.linspace(y.min() - 1, y.max() + 1, 2001)])
    for weights in (None, sw, np.ones(len(y))):
        kw = dict(sample_weight=weights, fit_intercept=fit_intercept)
        # square-root Lasso: smooth in b
        if fit_intercept:
            best = minimize_scalar(lambda b, sw_=weights: sqrt_lasso_objective(
                X0, y, [0.0], b, alpha=1.0, sample_weight=sw_), tol=1e-12).fun
        else:
            best = sqrt_lasso_objective(X0, y, [0.0], alpha=1.0, sample_weight=weights)
        assert_allclose(sqrt_lasso_null_objective(y, **kw), best, rtol=1e-10)
        # quantile / LAD: piecewise linear, minimum at a data point; brute force over the data
        # points and a fine grid
        for tau in (0.1, 0.5, 0.77):
            vals = [quantile_objective(X0, y, [0.0], b, alpha=1.0, quantile=tau,
                                       sample_weight=weights)
                    for b in (grid if fit_intercept else [0.0])]
            null = quantile_null_objective(y, quantile=tau, **kw)
            assert_allclose(null, min(vals), rtol=1e-13)
        lad_vals = [lad_objective(X0, y, [0.0], b, alpha=1.0, sample_weight=weights)
                    for b in (grid if fit_intercept else [0.0])]
        assert_allclose(lad_null_objective(y, **kw), min(lad_vals), rtol=1e-13)
    # even number of unit-weight samples at tau = 0.5: the whole middle interval is optimal
    assert_allclose(quantile_null_objective(np.array([0.0, 1.0, 2.0, 10.0])), (1 + 0 + 1 + 9) / 8)
    assert quantile_null_objective(np.full(4, 3.0)) == 0.0


@pytest.mark.parametrize("model", ["quantile", "lad"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_pinball_lasso_matches_sklearn(model, fit_intercept, weighted):
    X, y = _outliers(seed=25)
    sw = _sample_weight(len(y), seed=2) if weighted else None
    alpha, tau = 0.05, (0.3 if model == "quantile" else 0.5)
    ref = ROBUST_SOLVERS[model](X, y, alpha=alpha, sample_weight=sw,
                                fit_intercept=fit_intercept, **_model_kw(model, tau))
    assert ref.status == "optimal"
    assert ref.dual_gap <= 1e-9
    # QuantileRegressor: (1/S) sum sw rho_tau + alpha ||w||_1; LAD(alpha) = 2 quantile(alpha/2)
    qr_alpha = alpha if model == "quantile" else alpha / 2
    qr = QuantileRegressor(quantile=tau, alpha=qr_alpha, fit_intercept=fit_intercept,
                           solver="highs").fit(X, y, sample_weight=sw)
    sk_obj = ROBUST_OBJECTIVES[model](X, y, qr.coef_, qr.intercept_, alpha=alpha,
                                      sample_weight=sw, **_model_kw(model, tau))
    qr_obj = quantile_objective(X, y, qr.coef_, qr.intercept_, alpha=qr_alpha, quantile=tau,
                                sample_weight=sw)
    assert_allclose(sk_obj, qr_obj if model == "quantile" else 2 * qr_obj, rtol=1e-14)
    assert_allclose(ref.objective, sk_obj, rtol=1e-6)
    assert ref.objective <= sk_obj * (1 + 1e-9)
    if not fit_intercept:
        assert ref.intercept == 0.0


@pytest.mark.parametrize("model", ["quantile", "lad"])
def test_pinball_lasso_matches_sklearn_p_greater_than_n(model):
    X, y = _outliers(n=20, p=30, seed=26)
    alpha = 0.02
    kw = _model_kw(model, 0.7)
    tau = kw.get("quantile", 0.5)
    ref = ROBUST_SOLVERS[model](X, y, alpha=alpha, **kw)
    assert ref.dual_gap <= 1e-9
    qr = QuantileRegressor(quantile=tau, alpha=alpha if model == "quantile" else alpha / 2,
                           solver="highs").fit(X, y)
    sk_obj = ROBUST_OBJECTIVES[model](X, y, qr.coef_, qr.intercept_, alpha=alpha, **kw)
    assert_allclose(ref.objective, sk_obj, rtol=1e-6)


def test_pinball_lasso_sparse_and_exact_zeros():
    X, y = _outliers(seed=27, sparse=True)
    ref = quantile_lasso(X, y, alpha=0.05, quantile=0.8)
    dense = quantile_lasso(X.toarray(), y, alpha=0.05, quantile=0.8)
    assert_allclose(ref.objective, dense.objective, rtol=1e-10)
    assert np.any(ref.coef == 0.0)  # polished onto the LP vertex: exact zeros
    assert ref.dual_gap <= 1e-12
    qr = QuantileRegressor(quantile=0.8, alpha=0.05, solver="highs").fit(X, y)
    assert_allclose(ref.coef, qr.coef_, atol=1e-8)  # (unique) vertex solution
    assert_allclose(ref.intercept, qr.intercept_, atol=1e-8)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted, positive", [(False, False), (True, False), (False, True),
                                                (True, True)])
def test_sqrt_lasso_concomitant_characterization(fit_intercept, weighted, positive):
    """At the square-root Lasso solution, with sigma its RMS residual, coef is the Lasso
    solution at alpha * sigma (an independent check through the quadratic reference)."""
    X, y = _regression(n=40, p=15, seed=28)
    sw = _sample_weight(len(y), seed=3) if weighted else None
    alpha = 0.4 * _alpha_max(X, y, sw) / np.std(y)
    ref = sqrt_lasso(X, y, alpha=alpha, sample_weight=sw, fit_intercept=fit_intercept,
                     positive=positive)
    assert ref.status == "optimal"
    assert ref.dual_gap <= 1e-9
    assert 0 < np.count_nonzero(ref.coef) < X.shape[1]
    sw_ = np.ones(len(y)) if sw is None else sw
    r = y - X @ ref.coef - ref.intercept
    sigma = np.sqrt(np.dot(sw_, r**2) / sw_.sum())
    assert_allclose(ref.objective, sigma + alpha * np.abs(ref.coef).sum(), rtol=1e-14)
    las = enet(X, y, alpha=alpha * sigma, sample_weight=sw, fit_intercept=fit_intercept,
               positive=positive)
    assert_allclose(ref.coef, las.coef, rtol=1e-8, atol=1e-10)
    assert_allclose(ref.intercept, las.intercept, rtol=1e-8, atol=1e-10)
    if positive:
        assert np.all(ref.coef >= 0)
    # and it beats any other point: the Lasso path neighbours and a perturbation
    for other in (enet(X, y, alpha=1.1 * alpha * sigma, sample_weight=sw,
                       fit_intercept=fit_intercept, positive=positive).coef,
                  ref.coef + 1e-4):
        b = ref.intercept
        assert ref.objective < sqrt_lasso_objective(X, y, other, b, alpha=alpha,
                                                    sample_weight=sw)


@pytest.mark.parametrize("model", ["sqrt_lasso", "quantile", "lad"])
def test_robust_zero_sample_weights_drop_out(model):
    X, y = _outliers(seed=29)
    sw = np.zeros(len(y))
    sw[:25] = 1.0
    kw = dict(alpha=0.05, **_model_kw(model))
    ref = ROBUST_SOLVERS[model](X, y, sample_weight=sw, **kw)
    sub = ROBUST_SOLVERS[model](X[:25], y[:25], **kw)
    assert_allclose(ref.objective, sub.objective, rtol=1e-9)
    assert_allclose(ref.dual_gap, relative_duality_gap(model, X, y, ref.coef, ref.intercept,
                                                       sample_weight=sw, **kw))


ROBUST_GAP_SETTINGS = [
    dict(),
    dict(positive=True),
    dict(fit_intercept=False),
    dict(weighted=True),
    dict(weighted=True, positive=True, fit_intercept=False),
    dict(zero_weight=True),
    dict(zero_weight=True, positive=True),
    dict(zero_weight=True, weighted=True, fit_intercept=False),
]


def _robust_gap_problem(model, settings, seed=30):
    settings = dict(settings)
    X, y = _outliers(n=30, p=12, seed=seed)
    kw = dict(positive=settings.pop("positive", False),
              fit_intercept=settings.pop("fit_intercept", True), **_model_kw(model))
    if settings.pop("weighted", False):
        kw["sample_weight"] = _sample_weight(len(y), seed)
    if settings.pop("zero_weight", False):
        v = np.ones(X.shape[1])
        v[[0, 5]] = 0.0
        kw["weights"] = v
    kw["alpha"] = 0.1 if model == "sqrt_lasso" else 0.03
    return X, y, kw


@pytest.mark.parametrize("settings", ROBUST_GAP_SETTINGS)
@pytest.mark.parametrize("model", ["sqrt_lasso", "quantile", "lad"])
def test_robust_gap_is_a_valid_bound(model, settings):
    """0 <= P(w, b) - P* <= gap(w, b) for arbitrary (w, b); gap ~ 0 at the reference solution;
    for the LP-based gaps the bound is the exact suboptimality."""
    X, y, kw = _robust_gap_problem(model, settings)
    ref = ROBUST_SOLVERS[model](X, y, **kw)
    objective, gap_func = ROBUST_OBJECTIVES[model], ROBUST_GAPS[model]
    objkw = {k: kw[k] for k in ("alpha", "quantile") if k in kw}
    objkw.update(sample_weight=kw.get("sample_weight"), weights=kw.get("weights"))
    exact = model != "sqrt_lasso"
    rng = np.random.default_rng(0)
    points = []
    for _ in range(8):
        coef = rng.standard_normal(X.shape[1]) * (rng.random(X.shape[1]) < 0.6)
        points.append((coef, rng.standard_normal() if kw["fit_intercept"] else 0.0))
    for scale in (1e-2, 1e-5):
        points.append((ref.coef + scale * rng.standard_normal(X.shape[1]),
                       ref.intercept + (scale if kw["fit_intercept"] else 0.0)))
    if kw["fit_intercept"]:
        points.append((ref.coef, ref.intercept + 0.5))  # only the intercept is off
    for coef, b in points:
        if kw["positive"]:
            coef = np.maximum(coef, 0.0)
        gap = gap_func(X, y, coef, b, **kw)
        subopt = objective(X, y, coef, b, **objkw) - ref.objective
        tol = 1e-12 * max(1.0, ref.objective)
        assert subopt >= -tol
        assert gap >= subopt - tol
        if exact:
            assert_allclose(gap, subopt, rtol=1e-9, atol=tol)
    assert relative_duality_gap(model, X, y, ref.coef, ref.intercept, **kw) <= 1e-9
    assert_allclose(ref.dual_gap, relative_duality_gap(model, X, y, ref.coef, ref.intercept,
                                                       **kw))
    if "weights" in kw and not kw["positive"]:
        assert np.all(ref.coef[kw["weights"] == 0] != 0)  # unpenalized: not shrunk to 0
    # infeasible point for the positive problem
    assert gap_func(X, y, -np.ones(X.shape[1]), **dict(kw, positive=True)) == np.inf


@pytest.mark.parametrize("model", ["sqrt_lasso", "quantile", "lad"])
def test_unpenalized_feature_kkt(model):
    """v_j = 0: the datafit's subgradient condition holds with equality on feature j."""
    X, y = _outliers(seed=31)
    v = np.ones(X.shape[1])
    v[[2, 7]] = 0.0
    alpha = 0.5 if model == "sqrt_lasso" else 0.2  # strong: most penalized coefs are 0
    kw = _model_kw(model)
    ref = ROBUST_SOLVERS[model](X, y, alpha=alpha, weights=v, **kw)
    assert np.all(ref.coef[[2, 7]] != 0)
    # the same problem written independently in cvxpy, features 2 and 7 left out of the penalty
    w, b = cp.Variable(X.shape[1]), cp.Variable()
    r = y - X @ w - b
    if model == "sqrt_lasso":
        loss = cp.norm(r, 2) / np.sqrt(len(y))
    elif model == "lad":
        loss = cp.sum(cp.abs(r)) / len(y)
    else:
        loss = cp.sum(0.3 * cp.pos(r) + 0.7 * cp.neg(r)) / len(y)
    prob = cp.Problem(cp.Minimize(loss + alpha * cp.norm1(w[v > 0])))
    prob.solve(solver=cp.CLARABEL)
    assert_allclose(ref.objective, prob.value, rtol=1e-7)
    assert ref.objective <= prob.value + 1e-12


def test_relative_duality_gap_robust_models():
    X, y = _outliers(seed=32)
    coef = np.full(X.shape[1], 0.5)
    sw = _sample_weight(len(y))
    kw = dict(alpha=0.1, sample_weight=sw)
    for fit_intercept in (True, False):
        kw["fit_intercept"] = fit_intercept
        assert_allclose(relative_duality_gap("sqrt_lasso", X, y, coef, 0.3, **kw),
                        sqrt_lasso_duality_gap(X, y, coef, 0.3, **kw)
                        / sqrt_lasso_null_objective(y, sample_weight=sw,
                                                    fit_intercept=fit_intercept))
        assert_allclose(relative_duality_gap("quantile", X, y, coef, 0.3, quantile=0.9, **kw),
                        quantile_duality_gap(X, y, coef, 0.3, quantile=0.9, **kw)
                        / quantile_null_objective(y, quantile=0.9, sample_weight=sw,
                                                  fit_intercept=fit_intercept))
        assert_allclose(relative_duality_gap("lad", X, y, coef, 0.3, **kw),
                        lad_duality_gap(X, y, coef, 0.3, **kw)
                        / lad_null_objective(y, sample_weight=sw, fit_intercept=fit_intercept))
        # LAD(alpha) = 2 quantile(0.5, alpha / 2): same relative gap
        assert_allclose(relative_duality_gap("lad", X, y, coef, 0.3, **kw),
                        relative_duality_gap("quantile", X, y, coef, 0.3, quantile=0.5,
                                             **dict(kw, alpha=0.05)), rtol=1e-10)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sqrt_lasso_gap_zero_residual(fit_intercept):
    """p > n, tiny alpha: the solution interpolates; the gap stays finite and certifies it."""
    rng = np.random.default_rng(33)
    n, p = 12, 30
    X = rng.integers(-3, 4, size=(n, p)).astype(float)
    w = np.zeros(p)
    w[[1, 4, 9]] = [2.0, -1.0, 3.0]
    y = X @ w + (2.0 if fit_intercept else 0.0)  # integers: the residual is exactly 0
    b = 2.0 if fit_intercept else 0.0
    alpha = 1e-3
    kw = dict(alpha=alpha, fit_intercept=fit_intercept)
    assert np.all(y - X @ w - b == 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gap = sqrt_lasso_duality_gap(X, y, w, b, **kw)
        ref = sqrt_lasso(X, y, **kw)
        # theta = 0 alone would give gap = P(w); the interpolation dual point does better
        assert np.isfinite(gap) and -1e-12 <= gap < sqrt_lasso_objective(X, y, w, b,
                                                                            alpha=alpha)
        assert gap >= sqrt_lasso_objective(X, y, w, b, alpha=alpha) - ref.objective - 1e-12
        assert ref.dual_gap <= 1e-9
        res = y - X @ ref.coef - ref.intercept
        assert np.sqrt(np.mean(res**2)) <= 1e-10 * np.std(y)  # interpolating solution
        assert_allclose(ref.objective, alpha * np.abs(ref.coef).sum(), rtol=1e-8)
        # a non-optimal interpolating point (least-norm) is bounded too, and not certified
        lsq = np.linalg.lstsq(np.column_stack([X, np.ones(n)]) if fit_intercept else X, y,
                              rcond=None)[0]
        coef, b2 = (lsq[:-1], lsq[-1]) if fit_intercept else (lsq, 0.0)
        gap = sqrt_lasso_duality_gap(X, y, coef, b2, **kw)
        subopt = sqrt_lasso_objective(X, y, coef, b2, alpha=alpha) - ref.objective
        assert np.isfinite(gap) and gap >= subopt - 1e-12 and subopt > 1e-6
        # y = 0: the residual of coef = 0 is exactly zero, P = P* = 0
        assert sqrt_lasso_duality_gap(X, np.zeros(n), np.zeros(p), **kw) == 0.0
