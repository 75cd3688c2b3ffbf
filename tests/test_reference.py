"""Tests of skreg.reference: objectives, duality gaps and the cvxpy ground truth."""

import dataclasses
import warnings

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import minimize_scalar
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression

from skreg import reference
from skreg.reference import (
    ReferenceResult,
    enet,
    enet_duality_gap,
    enet_null_objective,
    enet_objective,
    logistic_duality_gap,
    logistic_null_objective,
    logistic_objective,
    relative_duality_gap,
    sparse_logistic,
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
