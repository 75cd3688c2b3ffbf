"""Tests of skreg/linear_model/_problem.py: the compressed (Gram-factor) solves of paths and
CV folds must solve the same problem as the solves on X."""

import numpy as np
import pytest
import scipy.sparse as sp

from skreg.linear_model import _problem
from skreg.linear_model._problem import QuadraticProblem, _gram_factor, weighted_gram
from skreg.reference import enet_duality_gap, enet_objective


def _data(n=400, p=30, seed=0, rank_deficient=False, sparse=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if sparse:
        X[rng.random(X.shape) < 0.6] = 0.0
    if rank_deficient:
        X[:, 3] = X[:, 2]  # duplicate column
        X[:, 7] = 2.5  # constant column (zero once centred)
    y = X[:, :5] @ np.array([2.0, -1.0, 1.5, 0.5, -2.0]) + rng.standard_normal(n) + 1.0
    Xin = sp.csc_matrix(X) if sparse else np.asfortranarray(X)
    return X, Xin, y


def _weights(kind, n, rng):
    return {"unit": np.ones(n), "constant": np.full(n, 2.5),
            "random": rng.uniform(0.0, 2.0, n)}[kind]


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weights", ["unit", "constant", "random"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("rank_deficient", [False, True])
def test_gram_factor_reproduces_the_datafit(sparse, weights, fit_intercept, rank_deficient,
                                            monkeypatch):
    monkeypatch.setattr(_problem, "GRAM_BLOCK_ROWS", 64)  # several row blocks
    X, Xin, y = _data(sparse=sparse, rank_deficient=rank_deficient)
    n, p = X.shape
    d = _weights(weights, n, np.random.default_rng(1))
    S = d.sum()
    mu = X.T @ d / S if fit_intercept else np.zeros(p)
    z = y - (d @ y / S if fit_intercept else 0.0)
    X0 = X.copy()
    R, zc = _gram_factor(*weighted_gram(Xin, d, S, mu, S, z))
    np.testing.assert_array_equal(X, X0)
    Xc = X - mu
    G = Xc.T @ (Xc * (d / S)[:, None])
    np.testing.assert_allclose(R.T @ R, G, rtol=0, atol=1e-13 * np.abs(G).max())
    np.testing.assert_allclose(R.T @ zc, Xc.T @ (d * z) / S, rtol=0, atol=1e-12)
    expected_rank = p - (2 if fit_intercept else 1) if rank_deficient else p
    assert R.shape == (expected_rank, p)
    # the datafit up to a constant, at random points
    rng = np.random.default_rng(2)
    const = None
    for _ in range(4):
        w = rng.standard_normal(p)
        full = 0.5 * d @ (z - Xc @ w) ** 2 / S
        small = 0.5 * np.sum((zc - R @ w) ** 2)
        const = full - small if const is None else const
        assert full - small == pytest.approx(const, rel=1e-9, abs=1e-12)


CASES = [
    # (sparse, weights, fit_intercept, l1_ratio, positive, unpenalized)
    (False, "unit", True, 1.0, False, False),
    (False, "random", True, 0.5, False, False),
    (False, "random", False, 1.0, True, False),
    (False, "unit", True, 1.0, False, True),
    (True, "unit", True, 1.0, False, False),
    (True, "random", False, 0.7, False, True),
]


@pytest.mark.parametrize("sparse, weights, fit_intercept, l1_ratio, positive, unpenalized",
                         CASES)
@pytest.mark.parametrize("rank_deficient", [False, True])
def test_compressed_solves_match_solves_on_X(sparse, weights, fit_intercept, l1_ratio,
                                             positive, unpenalized, rank_deficient):
    X, Xin, y = _data(sparse=sparse, rank_deficient=rank_deficient, seed=3)
    n, p = X.shape
    sw = _weights(weights, n, np.random.default_rng(4))
    v = np.ones(p)
    if unpenalized:
        v[:3] = 0.0
    compressed = QuadraticProblem(Xin, y, sw, fit_intercept, compress=True)
    plain = QuadraticProblem(Xin, y, sw, fit_intercept)
    assert compressed.compress and not plain.compress
    assert plain.switch_work == 0  # small design: never switches to the compressed one
    amax = plain.alpha_max(l1_ratio, v)
    coef = None
    for ratio in (0.3, 0.03, 0.003):  # warm-started, as in a path
        alpha = ratio * amax
        a = compressed.solve(alpha, l1_ratio, v, positive, coef_init=coef, tol=1e-9)
        b = plain.solve(alpha, l1_ratio, v, positive, tol=1e-9)
        coef = a.coef
        assert a.converged and b.converged
        kw = dict(alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw, weights=v)
        f_a = enet_objective(X, y, a.coef, a.intercept, **kw)
        f_b = enet_objective(X, y, b.coef, b.intercept, **kw)
        assert f_a == pytest.approx(f_b, rel=1e-8)
        # the reported gap is the gap of the original problem, up to rounding
        gap = enet_duality_gap(X, y, a.coef, a.intercept, positive=positive,
                               fit_intercept=fit_intercept, **kw)
        assert a.dual_gap <= 1e-9 * compressed.null_objective
        assert gap <= 1e-9 * compressed.null_objective + 1e-12 * f_a
        if positive:
            assert np.all(a.coef >= 0)
        assert a.coef[7] == 0.0 or not rank_deficient or not fit_intercept


@pytest.mark.parametrize("rank_deficient", [False, True])
def test_compressed_design_passes_skip_the_zeros_of_its_factor(rank_deficient):
    """Column j of the upper-triangular factor ends at row j: the kernels' passes stop
    there (the design's column ends); an eigenvalue factor (rank-deficient) is dense."""
    X, Xin, y = _data(rank_deficient=rank_deficient, seed=8)
    p = X.shape[1]
    problem = QuadraticProblem(Xin, y, np.ones(X.shape[0]), True, compress=True)
    Rd, _, _, indptr, is_sparse = problem._compressed_problem()[0]
    assert not is_sparse and indptr.shape == (p + 1,)
    if rank_deficient:
        k = Rd.shape[0]
        assert k < p
        constant = problem.lips == 0.0  # the constant column: all zero in R
        np.testing.assert_array_equal(indptr[1:][~constant], k)
    else:
        np.testing.assert_array_equal(indptr[1:], np.arange(1, p + 1))
    for j in range(p):
        assert not np.any(Rd[indptr[j + 1]:, j])


def test_compression_only_where_it_pays_and_tolerances_allow():
    _, Xin, y = _data(n=50, p=30)
    assert not QuadraticProblem(Xin, y, np.ones(50), True, compress=True).compress  # n < 2 p
    _, Xin, y = _data(n=400, p=30)
    problem = QuadraticProblem(Xin, y, np.ones(400), True, compress=True)
    assert problem.compress
    alpha = 0.01 * problem.alpha_max()
    problem.solve(alpha, tol=1e-12)  # below COMPRESS_MIN_TOL: on X, no Gram matrix formed
    assert problem._compressed is None
    problem.solve(alpha, tol=1e-6)
    assert problem._compressed is not None


def test_path_on_a_tall_design_matches_sklearn():
    from sklearn.linear_model import lasso_path as sk_lasso_path

    from skreg.linear_model import lasso_path

    X, Xin, y = _data(n=600, p=40, seed=5)
    Xc = np.asfortranarray(X - X.mean(axis=0))
    yc = y - y.mean()
    # tol = COMPRESS_MIN_TOL: the smallest tolerance still solved on the compressed design
    alphas, coefs, gaps = lasso_path(Xc, yc, n_alphas=20, eps=1e-3, tol=1e-10)
    _, sk_coefs, _ = sk_lasso_path(Xc, yc, alphas=alphas, tol=1e-14, max_iter=100_000)
    np.testing.assert_allclose(coefs, sk_coefs, rtol=0, atol=1e-5)
    assert np.all(gaps <= 1e-10 * 0.5 * np.mean(yc ** 2))


@pytest.mark.parametrize("fit_intercept, weights, l1_ratio", [
    (True, "unit", 1.0), (False, "random", 0.6)])
def test_single_solves_switch_to_the_compressed_design(fit_intercept, weights, l1_ratio,
                                                       monkeypatch):
    """A solve on X that has done (or is about to do) the Gram matrix's work goes on on the
    compressed design: same solution, certified gap, epochs of both parts counted."""
    X, Xin, y = _data(n=2000, p=40, seed=6)
    sw = _weights(weights, 2000, np.random.default_rng(7))
    monkeypatch.setattr(_problem, "SWITCH_MIN_ENTRIES", 1)
    switching = QuadraticProblem(Xin, y, sw, fit_intercept)
    assert switching.switch_work == 2000 * 40 ** 2 // (2 * _problem.GRAM_SPEED_RATIO)
    plain = QuadraticProblem(Xin, y, sw, fit_intercept)
    plain.switch_work = 0
    amax = plain.alpha_max(l1_ratio)
    alpha = 0.002 * amax
    a = switching.solve(alpha, l1_ratio, tol=1e-9, max_iter=10_000)
    assert switching._compressed is not None
    b = plain.solve(alpha, l1_ratio, tol=1e-9, max_iter=10_000)
    assert plain._compressed is None
    assert a.converged and b.converged and a.n_iter > 0
    kw = dict(alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw)
    f_a = enet_objective(X, y, a.coef, a.intercept, **kw)
    assert f_a == pytest.approx(enet_objective(X, y, b.coef, b.intercept, **kw), rel=1e-8)
    gap = enet_duality_gap(X, y, a.coef, a.intercept, fit_intercept=fit_intercept, **kw)
    assert gap <= 1e-9 * plain.null_objective + 1e-12 * f_a
    # once built, the compressed design serves the next solves directly
    c = switching.solve(0.5 * alpha, l1_ratio, coef_init=a.coef, tol=1e-9, max_iter=10_000)
    assert c.converged
    # below COMPRESS_MIN_TOL, solves stay on X whatever the work
    tight = QuadraticProblem(Xin, y, sw, fit_intercept)
    tight.solve(alpha, l1_ratio, tol=1e-12, max_iter=100_000)
    assert tight._compressed is None


def test_no_switch_on_sparse_or_wide_designs(monkeypatch):
    monkeypatch.setattr(_problem, "SWITCH_MIN_ENTRIES", 1)
    _, Xin, y = _data(n=400, p=30, sparse=True)
    assert QuadraticProblem(Xin, y, np.ones(400), True).switch_work == 0
    _, Xin, y = _data(n=50, p=30)
    assert QuadraticProblem(Xin, y, np.ones(50), True).switch_work == 0
    _, Xin, y = _data(n=400, p=30)
    assert QuadraticProblem(Xin, y, np.ones(400), True).switch_work > 0


def test_solves_at_alpha_max_are_exactly_zero():
    """At alpha_max the penalized coefficients are 0 exactly (not of order eps), also with an
    unpenalized feature, whose least-squares fit is the solution."""
    X, Xin, y = _data(n=60, p=20, seed=8)
    v = np.ones(20)
    v[2] = 0.0
    problem = QuadraticProblem(Xin, y, np.ones(60), True)
    amax = problem.alpha_max(1.0, v)
    for alpha in (amax, 2.0 * amax):
        res = problem.solve(alpha, 1.0, v, tol=1e-12, max_iter=10_000)
        assert np.all(np.delete(res.coef, 2) == 0.0) and res.converged
        A = np.column_stack([X[:, 2], np.ones(60)])
        ls = np.linalg.lstsq(A, y, rcond=None)[0]
        assert res.coef[2] == pytest.approx(ls[0], rel=1e-8)
        assert res.intercept == pytest.approx(ls[1], rel=1e-8)
    # just below alpha_max, the solver runs on the original levels
    res = problem.solve(0.9 * amax, 1.0, v, tol=1e-12, max_iter=10_000)
    assert np.count_nonzero(np.delete(res.coef, 2)) >= 1


@pytest.mark.parametrize("weights", ["unit", "random"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_problem_from_moments_is_the_problem_on_X(weights, fit_intercept):
    """Given the raw sums (as CV folds are), the problem has the same column statistics and
    solutions as the one prepared from X, and builds X only for a solve that needs it."""
    X, Xin, y = _data(n=400, p=30, seed=9, rank_deficient=True)
    y = y + 1e4  # the sums are taken about the weighted mean of y: no cancellation
    sw = _weights(weights, 400, np.random.default_rng(10))
    v0 = float(sw @ y / sw.sum())
    moments = _problem.weighted_moments(Xin, sw, y, v0)
    calls = []

    def design():
        calls.append(1)
        return Xin

    given = QuadraticProblem(design, y, sw, fit_intercept, moments=moments)
    plain = QuadraticProblem(Xin, y, sw, fit_intercept)  # statistics from a pass over X
    assert given.compress and given.n_features == 30
    for name in ("mu", "lips", "normx"):
        np.testing.assert_allclose(getattr(given, name), getattr(plain, name), rtol=1e-10,
                                   atol=1e-12)
    assert given.lips[7] == 0.0 or not fit_intercept  # constant column stays fixed
    amax = plain.alpha_max()
    for ratio in (0.5, 0.05, 0.005):
        a = given.solve(ratio * amax, tol=1e-9)
        b = plain.solve(ratio * amax, tol=1e-9)
        assert a.converged and b.converged
        np.testing.assert_allclose(a.coef, b.coef, rtol=0, atol=1e-6)
        assert a.intercept == pytest.approx(b.intercept, rel=1e-9)
    assert not calls  # compressed solves never touch X
    tight = given.solve(0.05 * amax, tol=1e-12, max_iter=100_000)  # below COMPRESS_MIN_TOL
    assert calls == [1] and tight.converged
    np.testing.assert_allclose(tight.coef, plain.solve(0.05 * amax, tol=1e-12).coef,
                               rtol=0, atol=1e-7)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_compressed_problems_on_dense_X_start_from_the_sums(fit_intercept, monkeypatch):
    """With ``compress`` (paths, CV folds) a dense tall X gets its sums from BLAS first and
    its column statistics from them: no numba pass over X runs before the Gram product
    (its threads would still spin into it). Same statistics and correlations as a pass."""
    X, Xin, y = _data(n=400, p=30, seed=12, rank_deficient=True)
    sw = np.random.default_rng(13).uniform(0.5, 2.0, 400)
    plain = QuadraticProblem(Xin, y, sw, fit_intercept)

    def no_pass(*args):
        raise AssertionError("a pass over X before the Gram product")

    with monkeypatch.context() as m:
        m.setattr(_problem, "column_stats", no_pass)
        m.setattr(_problem, "xt_dot_weighted", no_pass)
        summed = QuadraticProblem(Xin, y, sw, fit_intercept, compress=True)
        corr = summed.correlations()
    assert summed._moments is not None and summed.compress
    for name in ("mu", "lips", "normx"):
        np.testing.assert_allclose(getattr(summed, name), getattr(plain, name), rtol=1e-10,
                                   atol=1e-12)
    np.testing.assert_allclose(corr, plain.correlations(), rtol=1e-10, atol=1e-12)
    # sparse or wide designs keep their pass
    assert QuadraticProblem(sp.csc_matrix(X), y, sw, fit_intercept, compress=True)._moments \
        is None
    assert QuadraticProblem(np.asfortranarray(Xin[:40]), y[:40], sw[:40], fit_intercept,
                            compress=True)._moments is None


def test_problem_from_moments_with_constant_y():
    _, Xin, _ = _data(n=200, p=20, seed=11)
    y = np.full(200, 3.0)
    sw = np.ones(200)
    given = QuadraticProblem(lambda: Xin, y, sw, True,
                             moments=_problem.weighted_moments(Xin, sw, y, 0.0))
    res = given.solve(1e-3, tol=1e-6)
    assert np.all(res.coef == 0.0) and res.intercept == pytest.approx(3.0, rel=1e-15)
