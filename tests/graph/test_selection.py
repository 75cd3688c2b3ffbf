"""Choice of alpha: the pencil closed forms, the discrepancy principle and GCV (direct and
Hutchinson) against brute-force dense computations."""

import warnings

import numpy as np
import pytest

from skreg.graph import GraphLaplacianRegression, grid_laplacian, incidence_matrix
from skreg.graph._selection import _Pencil, discrepancy_alpha

ALPHAS = [1e-3, 0.1, 10.0, 1e3]


def _smooth_problem(n, p, noise=0.1, seed=0, intercept=0.0, rows_sum_to_zero=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if rows_sum_to_zero:
        X -= X.mean(axis=1, keepdims=True)  # X @ 1 = 0: X shares the null vector of L
    w = np.sin(2 * np.pi * np.linspace(0, 1, p))
    e = noise * rng.standard_normal(n)
    return X, X @ w + intercept + e, w, float(np.linalg.norm(e))


def _operator(kind, p):
    L = grid_laplacian(p)
    return (L if kind == "laplacian" else incidence_matrix(L)).toarray()


def _brute(X, y, G, alpha, pinv=False):
    """Coefficients, squared residual and trace of the influence matrix, densely."""
    K = X.T @ X + alpha * G.T @ G
    Kinv = np.linalg.pinv(K) if pinv else np.linalg.inv(K)
    coef = Kinv @ (X.T @ y)
    H = X @ Kinv @ X.T
    r = y - X @ coef
    return coef, float(r @ r), float(np.trace(H))


def _pencil(X, y, G):
    return _Pencil(X.T @ X, G.T @ G, X.T @ y, float(y @ y))


def _gcv_curve(X, y, G, alphas, sw=None, fit_intercept=False):
    """Brute-force GCV n ||S^1/2 r||^2 / (n - tr H - [intercept])^2 of the Tikhonov smoother."""
    n = X.shape[0]
    sw = np.ones(n) if sw is None else sw
    if fit_intercept:
        X = X - sw @ X / sw.sum()
        y = y - sw @ y / sw.sum()
    s = np.sqrt(sw)
    A, t = s[:, None] * X, s * y
    out = []
    for a in np.atleast_1d(alphas):
        H = A @ np.linalg.solve(A.T @ A + a * G.T @ G, A.T)
        r = t - H @ t
        out.append(n * (r @ r) / (n - np.trace(H) - fit_intercept) ** 2)
    return np.array(out)


# --------------------------------------------------------------------------------------------
# _Pencil


@pytest.mark.parametrize("shape", [(15, 10), (8, 20)])
@pytest.mark.parametrize("kind", ["laplacian", "incidence"])
def test_pencil_closed_forms(shape, kind):
    X, y, _, _ = _smooth_problem(*shape, seed=1)
    G = _operator(kind, shape[1])
    pencil = _pencil(X, y, G)
    for alpha in ALPHAS:
        coef, res_sq, trace = _brute(X, y, G, alpha)
        np.testing.assert_allclose(pencil.coef(alpha), coef, rtol=1e-8, atol=1e-10)
        assert pencil.residual_sq(alpha) == pytest.approx(res_sq, rel=1e-8, abs=1e-12)
        assert pencil.trace(alpha) == pytest.approx(trace, rel=1e-9)
    assert pencil.balanced_alpha() == pytest.approx(np.trace(X.T @ X) / np.trace(G.T @ G))


def test_pencil_limits():
    """alpha -> 0: least squares (n > p); alpha -> inf: the projection on null(G)."""
    X, y, _, _ = _smooth_problem(30, 8)
    G = _operator("laplacian", 8)
    pencil = _pencil(X, y, G)
    ls = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(pencil.coef(0.0), ls, rtol=1e-9)
    assert pencil.trace(0.0) == pytest.approx(8.0)
    # alpha -> inf: w constant, the best constant fit, one degree of freedom
    c = X.sum(axis=1)
    w_inf = (c @ y) / (c @ c)
    np.testing.assert_allclose(pencil.coef(1e10), np.full(8, w_inf), rtol=1e-4)
    assert pencil.trace(1e10) == pytest.approx(1.0, rel=1e-5)


def test_pencil_shared_null_vector_coef_and_residual():
    """X @ 1 = 0 and L @ 1 = 0: the least-norm minimizer."""
    X, y, _, _ = _smooth_problem(15, 10, seed=2, rows_sum_to_zero=True)
    G = _operator("laplacian", 10)
    pencil = _pencil(X, y, G)
    for alpha in ALPHAS:
        coef, res_sq, _ = _brute(X, y, G, alpha, pinv=True)
        np.testing.assert_allclose(pencil.coef(alpha), coef, rtol=1e-2, atol=1e-3)
        assert pencil.residual_sq(alpha) == pytest.approx(res_sq, rel=1e-8)


def test_pencil_shared_null_vector_trace():
    X, y, _, _ = _smooth_problem(15, 10, seed=2, rows_sum_to_zero=True)
    G = _operator("laplacian", 10)
    pencil = _pencil(X, y, G)
    for alpha in ALPHAS:
        _, _, trace = _brute(X, y, G, alpha, pinv=True)
        assert pencil.trace(alpha) == pytest.approx(trace, rel=1e-8)


def test_pencil_shared_null_vector_coef_accuracy():
    X, y, _, _ = _smooth_problem(15, 10, seed=2, rows_sum_to_zero=True)
    G = _operator("laplacian", 10)
    pencil = _pencil(X, y, G)
    for alpha in ALPHAS:
        coef, _, _ = _brute(X, y, G, alpha, pinv=True)
        np.testing.assert_allclose(pencil.coef(alpha), coef, rtol=1e-8, atol=1e-10)


# --------------------------------------------------------------------------------------------
# discrepancy_alpha


def _saturating(a):
    return np.sqrt(a) / (1.0 + np.sqrt(a))  # increasing from 0 to 1, equals 1/2 at a = 1


@pytest.mark.parametrize("alpha0", [1e-6, 0.3, 1.0, 50.0, 1e7])
@pytest.mark.parametrize("target", [0.1, 0.5, 0.9])
def test_discrepancy_alpha_finds_root(alpha0, target):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alpha = discrepancy_alpha(_saturating, target, alpha0)
    expected = (target / (1.0 - target)) ** 2
    assert alpha == pytest.approx(expected, rel=2e-3)
    assert _saturating(alpha) == pytest.approx(target, rel=1e-3)


def test_discrepancy_alpha_exact_start():
    calls = []

    def residual(a):
        calls.append(a)
        return _saturating(a)

    assert discrepancy_alpha(residual, 0.5, 1.0) == 1.0
    assert calls == [1.0]


def test_discrepancy_alpha_out_of_reach_warns():
    def residual(a):
        return 1.0 + _saturating(a)  # range (1, 2)

    with pytest.warns(UserWarning, match="below the residual of every alpha"):
        low = discrepancy_alpha(residual, 0.5, 1.0)
    assert low < 1e-30
    with pytest.warns(UserWarning, match="exceeds the residual of every alpha"):
        high = discrepancy_alpha(residual, 3.0, 1.0)
    assert high > 1e30


# --------------------------------------------------------------------------------------------
# GraphLaplacianRegression(alpha_selection="discrepancy")


@pytest.mark.parametrize("penalty", ["l2", "l1", "tv"])
@pytest.mark.parametrize("solver", ["direct", "cg"])
def test_discrepancy_principle_residual(penalty, solver):
    X, y, _, noise_level = _smooth_problem(40, 24, noise=0.1)
    est = GraphLaplacianRegression(alpha=1.0, penalty=penalty, alpha_selection="discrepancy",
                                   noise_level=noise_level, solver=solver)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, y)
    assert est.residual_norm_ == pytest.approx(1.01 * noise_level, rel=1e-3)
    r = y - est.predict(X)
    assert np.linalg.norm(r) == pytest.approx(est.residual_norm_, rel=1e-10)
    assert est.alpha_ > 0 and est.alpha_ != 1.0


def test_discrepancy_principle_weights_intercept_and_tau():
    X, y, _, noise_level = _smooth_problem(40, 24, noise=0.1, intercept=2.0)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, 40)
    est = GraphLaplacianRegression(alpha=1.0, alpha_selection="discrepancy",
                                   noise_level=noise_level, tau=1.3, fit_intercept=True)
    est.fit(X, y, sample_weight=sw)
    r = y - est.predict(X)
    assert np.sqrt(sw @ (r * r)) == pytest.approx(1.3 * noise_level, rel=1e-3)
    assert est.residual_norm_ == pytest.approx(1.3 * noise_level, rel=1e-3)


def test_discrepancy_principle_out_of_reach_warns():
    X, y, _, _ = _smooth_problem(40, 12)
    ls_res = np.linalg.norm(y - X @ np.linalg.lstsq(X, y, rcond=None)[0])
    est = GraphLaplacianRegression(alpha_selection="discrepancy", noise_level=0.1 * ls_res)
    with pytest.warns(UserWarning, match="below the residual"):
        est.fit(X, y)
    assert est.residual_norm_ == pytest.approx(ls_res, rel=1e-6)
    est.set_params(noise_level=10.0 * np.linalg.norm(y))
    with pytest.warns(UserWarning, match="exceeds the residual"):
        est.fit(X, y)


# --------------------------------------------------------------------------------------------
# GCV


@pytest.mark.parametrize("fit_intercept, weighted", [(False, False), (True, False),
                                                     (True, True)])
@pytest.mark.parametrize("shape", [(40, 30), (60, 20)])
def test_gcv_direct_minimizes_brute_force_curve(fit_intercept, weighted, shape):
    X, y, _, _ = _smooth_problem(*shape, noise=0.3, intercept=3.0)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, shape[0]) if weighted else None
    est = GraphLaplacianRegression(alpha_selection="gcv", solver="direct",
                                   fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    G = est.laplacian_.toarray()
    grid = np.logspace(np.log10(est.alpha_) - 3, np.log10(est.alpha_) + 3, 601)
    curve = _gcv_curve(X, y, G, grid, sw, fit_intercept)
    at_alpha = _gcv_curve(X, y, G, est.alpha_, sw, fit_intercept)[0]
    assert at_alpha <= curve.min() * (1 + 1e-8)
    # the minimum is interior: the search did not stop at an end of its range
    assert 0 < np.argmin(curve) < len(grid) - 1
    # the final fit uses that alpha
    ref = GraphLaplacianRegression(alpha=est.alpha_, fit_intercept=fit_intercept,
                                   solver="direct").fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_gcv_direct_underdetermined(fit_intercept):
    X, y, _, _ = _smooth_problem(25, 40, noise=0.3, intercept=3.0)
    est = GraphLaplacianRegression(alpha_selection="gcv", solver="direct",
                                   fit_intercept=fit_intercept).fit(X, y)
    G = est.laplacian_.toarray()
    grid = np.logspace(-3, 6, 181)
    curve = _gcv_curve(X, y, G, grid, None, fit_intercept)
    assert 0 < np.argmin(curve) < len(grid) - 1  # an interior minimum near alpha ~ 1e3
    at_alpha = _gcv_curve(X, y, G, est.alpha_, None, fit_intercept)[0]
    assert at_alpha <= curve.min() * (1 + 1e-6)


def test_gcv_direct_shared_null_vector():
    X, y, _, _ = _smooth_problem(16, 10, noise=0.3, rows_sum_to_zero=True, seed=3)
    est = GraphLaplacianRegression(alpha_selection="gcv", solver="direct").fit(X, y)
    G = est.laplacian_.toarray()
    n = X.shape[0]

    def gcv(a):
        H = X @ np.linalg.pinv(X.T @ X + a * G.T @ G) @ X.T
        r = y - H @ y
        return n * (r @ r) / (n - np.trace(H)) ** 2

    grid = np.logspace(np.log10(est.alpha_) - 3, np.log10(est.alpha_) + 3, 601)
    assert gcv(est.alpha_) <= min(gcv(a) for a in grid) * (1 + 1e-8)


def test_gcv_cg_close_to_direct():
    X, y, _, _ = _smooth_problem(200, 30, noise=0.5, seed=1)
    direct = GraphLaplacianRegression(alpha_selection="gcv", solver="direct").fit(X, y)
    cg = GraphLaplacianRegression(alpha_selection="gcv", solver="cg", random_state=0).fit(X, y)
    assert direct.alpha_ / 3 < cg.alpha_ < 3 * direct.alpha_
    again = GraphLaplacianRegression(alpha_selection="gcv", solver="cg", random_state=0).fit(X, y)
    assert again.alpha_ == cg.alpha_  # random_state seeds the probes
    # the GCV value at the cg alpha is close to the optimum
    G = direct.laplacian_.toarray()
    best = _gcv_curve(X, y, G, direct.alpha_)[0]
    assert _gcv_curve(X, y, G, cg.alpha_)[0] <= 1.05 * best


@pytest.mark.parametrize(
    "params, match",
    [
        ({"alpha_selection": "gcv", "penalty": "l1"}, "gcv"),
        ({"alpha_selection": "gcv", "penalty": "tv"}, "gcv"),
        ({"alpha_selection": "discrepancy"}, "noise_level"),
        ({"alpha_selection": "discrepancy", "noise_level": 0.0}, "noise_level"),
        ({"alpha_selection": "discrepancy", "noise_level": -1.0}, "noise_level"),
        ({"alpha_selection": "discrepancy", "noise_level": 1.0, "tau": 0.0}, "tau"),
        ({"alpha_selection": "gcv", "alpha": 0.0}, "alpha"),
        ({"alpha_selection": "discrepancy", "noise_level": 1.0, "alpha": 0.0}, "alpha"),
        ({"alpha_selection": "lcurve"}, "alpha_selection"),
        ({"alpha_selection": "gcv", "n_probes": 0}, "n_probes"),
    ],
)
def test_selection_parameter_errors(params, match):
    X, y, _, _ = _smooth_problem(20, 10)
    with pytest.raises(ValueError, match=match):
        GraphLaplacianRegression(**params).fit(X, y)
