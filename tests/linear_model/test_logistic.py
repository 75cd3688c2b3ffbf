"""Tests of SparseLogisticRegression (skreg/linear_model/_logistic.py).

Ground truths: scikit-learn's LogisticRegression (l1 / elastic net, solver="saga", tight tol),
which solves the same problem with ``alpha = 1 / (C n)``, and skreg.reference (cvxpy +
Clarabel, numpy objective and duality gap).
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from skreg import SparseLogisticRegression
from skreg.reference import (
    logistic_duality_gap,
    logistic_null_objective,
    logistic_objective,
    relative_duality_gap,
    sparse_logistic,
)
from skreg.utils._testing import fit_requiring_convergence as _fit_no_warning

BIG_ITER = 1000


def _pm(y01):
    return np.where(y01 > 0, 1.0, -1.0)


def _n_gt_p(seed=0, n=100, p=10, offset=0.3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:4] = [1.0, -1.0, 0.5, 2.0]
    y = (X @ w + offset + 0.5 * rng.standard_normal(n) > 0).astype(int)
    return X, y


def _p_gg_n(seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((30, 200))
    y = (X[:, :3] @ np.ones(3) + 0.5 * rng.standard_normal(30) > 0).astype(int)
    return X, y


def _sparse(seed=2):
    rng = np.random.default_rng(seed)
    X = sp.random(100, 60, density=0.2, random_state=seed, format="csc")
    y = (X @ rng.standard_normal(60) + 0.1 * rng.standard_normal(100) > 0).astype(int)
    return X, y


def _alpha_max(X, y01, sample_weight=None, fit_intercept=True):
    """Smallest alpha giving w = 0 (l1_ratio = 1)."""
    X = X.toarray() if sp.issparse(X) else X
    sw = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    S = sw.sum()
    if fit_intercept:
        pi = sw @ y01 / S
        resid = y01 - pi
    else:
        resid = y01 - 0.5
    return float(np.max(np.abs(X.T @ (sw * resid))) / S)


# --------------------------------------------------------------------------------------------
# scikit-learn

@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("C", [0.1, 1.0])
def test_matches_sklearn_saga(fit_intercept, l1_ratio, C):
    X, y = _n_gt_p()
    n = X.shape[0]
    alpha = 1.0 / (C * n)
    ours = _fit_no_warning(SparseLogisticRegression(alpha=alpha, l1_ratio=l1_ratio,
                                                    fit_intercept=fit_intercept, tol=1e-12,
                                                    max_iter=BIG_ITER), X, y)
    theirs = LogisticRegression(C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-12,
                                max_iter=100_000, fit_intercept=fit_intercept)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        theirs.fit(X, y)
    b_theirs = float(theirs.intercept_[0]) if fit_intercept else 0.0
    kw = dict(alpha=alpha, l1_ratio=l1_ratio)
    p_ours = logistic_objective(X, _pm(y), ours.coef_, ours.intercept_, **kw)
    p_theirs = logistic_objective(X, _pm(y), theirs.coef_.ravel(), b_theirs, **kw)
    assert p_ours <= p_theirs + 1e-9
    assert np.count_nonzero(theirs.coef_) >= 2
    # well conditioned (n = 100 > p = 10): the coefficients agree too
    np.testing.assert_allclose(ours.coef_, theirs.coef_.ravel(), rtol=0, atol=1e-6)
    assert ours.intercept_ == pytest.approx(b_theirs, abs=1e-6)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)


# --------------------------------------------------------------------------------------------
# cvxpy reference: relative objective gap <= 1e-6

REF_CASES = {
    # name: (data, alpha / alpha_max, l1_ratio, fit_intercept, positive, sample weights)
    "l1-p>>n": (_p_gg_n, 0.3, 1.0, True, False, False),
    "l1-p>>n-nointercept": (_p_gg_n, 0.3, 1.0, False, False, False),
    "enet-p>>n": (_p_gg_n, 0.3, 0.5, True, False, False),
    "enet-p>>n-nointercept": (_p_gg_n, 0.3, 0.5, False, False, False),
    "l1-n>p": (_n_gt_p, 0.1, 1.0, True, False, False),
    "enet-n>p": (_n_gt_p, 0.1, 0.5, True, False, False),
    "enet-n>p-nointercept": (_n_gt_p, 0.1, 0.3, False, False, False),
    "l1-positive": (_p_gg_n, 0.2, 1.0, True, True, False),
    "enet-positive-nointercept": (_n_gt_p, 0.1, 0.7, False, True, False),
    "l1-sample-weight": (_p_gg_n, 0.2, 1.0, True, False, True),
    "enet-sample-weight": (_n_gt_p, 0.05, 0.5, True, False, True),
    "l1-sparse": (_sparse, 0.1, 1.0, True, False, False),
    "enet-sparse-nointercept": (_sparse, 0.1, 0.5, False, False, False),
    "enet-sparse-sample-weight": (_sparse, 0.1, 0.5, True, False, True),
}


def _ref_case(name):
    data, frac, l1_ratio, fit_intercept, positive, weighted = REF_CASES[name]
    X, y = data()
    sw = None
    if weighted:
        sw = np.random.default_rng(5).uniform(0.2, 2.0, X.shape[0])
        sw[[0, 7]] = 0.0
    alpha = frac * _alpha_max(X, y, sw, fit_intercept)
    est = SparseLogisticRegression(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                                   positive=positive)
    kw = dict(alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw)
    return X, y, sw, est, kw, fit_intercept, positive


@pytest.mark.parametrize("name", list(REF_CASES))
def test_objective_matches_cvxpy_reference(name):
    X, y, sw, est, kw, fit_intercept, positive = _ref_case(name)
    est.set_params(tol=1e-8, max_iter=BIG_ITER)
    _fit_no_warning(est, X, y, sw)
    ref = sparse_logistic(X, _pm(y), fit_intercept=fit_intercept, positive=positive, **kw)
    ours = logistic_objective(X, _pm(y), est.coef_, est.intercept_, **kw)
    rel = (ours - ref.objective) / ref.objective
    assert rel <= 1e-6, rel
    assert np.count_nonzero(ref.coef) >= 2
    if positive:
        assert np.all(est.coef_ >= 0)
    rgap = relative_duality_gap("logistic", X, _pm(y), est.coef_, est.intercept_,
                                positive=positive, fit_intercept=fit_intercept, **kw)
    assert rgap <= 1e-8 * (1 + 1e-6), rgap


@pytest.mark.parametrize("name", ["l1-p>>n", "enet-n>p", "enet-sparse-sample-weight"])
def test_solver_cvxpy_gives_reference_solution(name):
    X, y, sw, est, kw, fit_intercept, positive = _ref_case(name)
    est.set_params(solver="cvxpy").fit(X, y, sample_weight=sw)
    ref = sparse_logistic(X, _pm(y), fit_intercept=fit_intercept, positive=positive, **kw)
    np.testing.assert_allclose(est.coef_, ref.coef, rtol=0, atol=1e-8)
    assert est.intercept_ == pytest.approx(ref.intercept, abs=1e-8)
    assert est.dual_gap_ <= 1e-9 * logistic_null_objective(_pm(y), sample_weight=sw,
                                                           fit_intercept=fit_intercept)
    est_cd = _fit_no_warning(est.set_params(solver="cd", tol=1e-10), X, y, sw)
    ours = logistic_objective(X, _pm(y), est_cd.coef_, est_cd.intercept_, **kw)
    assert (ours - ref.objective) / ref.objective <= 1e-9


# --------------------------------------------------------------------------------------------
# duality gap semantics

@pytest.mark.parametrize("name", ["l1-p>>n", "l1-p>>n-nointercept", "enet-n>p",
                                  "enet-n>p-nointercept", "l1-positive", "enet-sample-weight",
                                  "enet-sparse-sample-weight"])
@pytest.mark.parametrize("tol", [1e-4, 1e-8])
def test_dual_gap_semantics(name, tol):
    X, y, sw, est, kw, fit_intercept, positive = _ref_case(name)
    est.set_params(tol=tol, max_iter=BIG_ITER)
    _fit_no_warning(est, X, y, sw)
    null = logistic_null_objective(_pm(y), sample_weight=sw, fit_intercept=fit_intercept)
    assert 0.0 <= est.dual_gap_ <= tol * null
    ref_gap = logistic_duality_gap(X, _pm(y), est.coef_, est.intercept_, positive=positive,
                                   fit_intercept=fit_intercept, **kw)
    assert abs(est.dual_gap_ - ref_gap) <= 1e-10, (est.dual_gap_, ref_gap)
    rel = relative_duality_gap("logistic", X, _pm(y), est.coef_, est.intercept_,
                               positive=positive, fit_intercept=fit_intercept, **kw)
    assert rel <= tol, rel


# --------------------------------------------------------------------------------------------
# behaviour

def test_convergence_warning_when_max_iter_too_small():
    X, y = _p_gg_n()
    with pytest.warns(ConvergenceWarning):
        est = SparseLogisticRegression(alpha=0.01, max_iter=1, tol=1e-12).fit(X, y)
    assert est.n_iter_ == 1


def test_tight_tol_is_reached():
    w = np.array([1.0, -1.0, 0.5, 2.0, 0, 0, 0, 0, 0, 0])
    failures = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((100, 10))
        y = (X @ w + 0.3 + 0.5 * rng.standard_normal(100) > 0).astype(int)
        null = logistic_null_objective(_pm(y))
        for alpha in (0.001, 0.005, 0.02):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                est = SparseLogisticRegression(alpha=alpha, tol=1e-12).fit(X, y)
            if caught or est.dual_gap_ > 1e-12 * null:
                failures.append((seed, alpha, est.dual_gap_))
    assert not failures, failures


def test_warm_start_reuses_coef():
    X, y = _p_gg_n()
    est = SparseLogisticRegression(alpha=0.02, tol=1e-10, warm_start=True)
    _fit_no_warning(est, X, y)
    first_iter, coef = est.n_iter_, est.coef_.copy()
    assert first_iter > 1
    _fit_no_warning(est, X, y)
    assert est.n_iter_ < first_iter
    np.testing.assert_allclose(est.coef_, coef, atol=1e-6)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_alpha_max_gives_zero_coef(fit_intercept, weighted):
    X, y = _n_gt_p()
    sw = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0]) if weighted else None
    amax = _alpha_max(X, y, sw, fit_intercept)
    swa = np.ones(X.shape[0]) if sw is None else sw
    pi = swa @ y / swa.sum()
    for factor in (1.0 + 1e-9, 10.0):
        est = SparseLogisticRegression(alpha=factor * amax, fit_intercept=fit_intercept,
                                       tol=1e-12).fit(X, y, sample_weight=sw)
        assert np.all(est.coef_ == 0.0)
        expected_b = np.log(pi / (1 - pi)) if fit_intercept else 0.0
        assert est.intercept_ == pytest.approx(expected_b, rel=1e-9, abs=1e-12)
    est = _fit_no_warning(SparseLogisticRegression(alpha=(1 - 1e-4) * amax,
                                                   fit_intercept=fit_intercept, tol=1e-12),
                          X, y, sw)
    assert np.count_nonzero(est.coef_) == 1


def test_positive_gives_nonnegative_coef():
    X, y = _n_gt_p()
    free = _fit_no_warning(SparseLogisticRegression(alpha=0.005, tol=1e-8), X, y)
    assert np.any(free.coef_ < 0)
    est = _fit_no_warning(SparseLogisticRegression(alpha=0.005, positive=True, tol=1e-8),
                          X, y)
    assert np.all(est.coef_ >= 0) and np.count_nonzero(est.coef_) > 0


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_and_dense_agree(fit_intercept):
    X, y = _sparse()
    dense = X.toarray()
    sw = np.random.default_rng(1).uniform(0.0, 2.0, X.shape[0])
    params = dict(alpha=0.003, l1_ratio=0.7, fit_intercept=fit_intercept, tol=1e-13)
    ref = _fit_no_warning(SparseLogisticRegression(**params), dense, y, sw)
    for Xs in (sp.csc_matrix(X), sp.csr_matrix(X), sp.coo_matrix(X)):
        est = _fit_no_warning(SparseLogisticRegression(**params), Xs, y, sw)
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=0, atol=1e-7)
        assert est.intercept_ == pytest.approx(ref.intercept_, abs=1e-7)
        np.testing.assert_allclose(est.decision_function(Xs), ref.decision_function(dense),
                                   atol=1e-7)


def test_labels_classes_and_probabilities():
    X, y = _n_gt_p()
    labels = np.array(["no", "yes"])[y]
    est = _fit_no_warning(SparseLogisticRegression(alpha=0.01, tol=1e-10), X, labels)
    np.testing.assert_array_equal(est.classes_, ["no", "yes"])
    num = _fit_no_warning(SparseLogisticRegression(alpha=0.01, tol=1e-10), X, y)
    np.testing.assert_allclose(est.coef_, num.coef_)
    proba = est.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)
    scores = est.decision_function(X)
    np.testing.assert_allclose(scores, X @ est.coef_ + est.intercept_, rtol=1e-12)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-scores)), rtol=1e-12)
    np.testing.assert_array_equal(est.predict(X), np.where(scores > 0, "yes", "no"))
    np.testing.assert_allclose(est.predict_log_proba(X), np.log(proba), rtol=1e-10,
                               atol=1e-12)
    # +-1 labels and {0, 1} labels give the same model
    pm = _fit_no_warning(SparseLogisticRegression(alpha=0.01, tol=1e-10), X, _pm(y))
    np.testing.assert_allclose(pm.coef_, num.coef_, atol=1e-12)


def test_more_than_two_classes_is_an_error():
    X, _ = _n_gt_p()
    y = np.arange(X.shape[0]) % 3
    with pytest.raises(ValueError, match="2 classes|binary"):
        SparseLogisticRegression().fit(X, y)


def test_zero_sample_weights_equal_dropping_samples():
    X, y = _n_gt_p()
    sw = np.random.default_rng(3).uniform(0.5, 2.0, X.shape[0])
    sw[::5] = 0.0
    keep = sw > 0
    params = dict(alpha=0.005, tol=1e-9)
    a = _fit_no_warning(SparseLogisticRegression(**params), X, y, sw)
    b = _fit_no_warning(SparseLogisticRegression(**params), X[keep], y[keep], sw[keep])
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=0, atol=1e-7)
    assert a.intercept_ == pytest.approx(b.intercept_, abs=1e-7)
