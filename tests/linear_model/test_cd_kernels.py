"""Tests of the numba building blocks of skreg/linear_model/_cd.py.

The duality gap and primal value that the working-set solver computes (from its stored
residual and implicit centering) are compared at random points with the independent numpy
implementation of :mod:`skreg.reference`; the kernels must not write into their inputs.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from skreg._kernels.linalg import matvec
from skreg._validation import csc_parts
from skreg.linear_model import ElasticNet
from skreg.linear_model._cd import (
    CANDIDATE_MAX_FRACTION,
    NEWTON_MAX_SUPPORT,
    WORK_LOOKAHEAD_EPOCHS,
    _ahead_work,
    _face_cg_point,
    _newton_candidates,
    _newton_point,
    _screen_and_rank,
    _step_on_face,
    column_stats,
    enet_ws_solve,
    logistic_gap,
    logistic_loss,
    penalty_value,
)
from skreg.reference import (
    enet,
    enet_duality_gap,
    enet_objective,
    logistic_duality_gap,
    logistic_objective,
)

P0 = 10


def _design(kind, n=25, p=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if kind == "sparse":
        X[rng.random(X.shape) < 0.6] = 0.0
        X[:, 4] = 0.0  # an empty column
        Xs = sp.csc_matrix(X)
        Xs.sort_indices()
        return Xs
    return np.asfortranarray(X)


def _prepare(X, y, sw, fit_intercept):
    """The kernel inputs, as skreg.linear_model._problem.QuadraticProblem builds them."""
    n, p = X.shape
    parts = csc_parts(X)
    d = np.ones(n) if sw is None else np.ascontiguousarray(sw, dtype=np.float64)
    unit_d = sw is None
    S = float(d.sum())
    mu, lips, normx = np.zeros(p), np.empty(p), np.empty(p)
    sd = column_stats(*parts, np.arange(p), d, unit_d, fit_intercept, S, mu, lips, normx)
    y_offset = float(d @ y / sd) if fit_intercept else 0.0
    z = np.ascontiguousarray(y - y_offset)
    return dict(parts=parts, d=d, unit_d=unit_d, S=S, mu=mu, sd=sd, lips=lips, normx=normx,
                z=z, y_offset=y_offset)


def _kernel_gap(prep, w, l1, l2, positive):
    """Primal, gap and implicit intercept of the kernel at ``w`` (no epoch is run)."""
    parts, z = prep["parts"], prep["z"]
    Xw = np.empty(z.shape[0])
    matvec(*parts, z.shape[0], w, Xw)
    r = z - Xw
    s0 = float(prep["mu"] @ w)
    w_work = w.copy()
    screened = np.zeros(w.shape[0], dtype=np.bool_)
    s, n_epochs, gap, primal, _ = enet_ws_solve(
        *parts, z, prep["d"], prep["unit_d"], prep["S"], prep["mu"], prep["sd"], prep["lips"],
        prep["normx"], l1, l2, positive, w_work, r, s0, screened, 0, 0.0, P0, True, True, 0)
    assert n_epochs == 0
    np.testing.assert_array_equal(w_work, w)  # no epoch: w untouched
    return primal, gap, prep["y_offset"] - s


CASES = [
    # (kind, fit_intercept, weighted samples, l1_ratio, positive)
    ("dense", True, False, 1.0, False),
    ("dense", False, False, 1.0, False),
    ("dense", True, True, 1.0, False),
    ("dense", False, True, 0.5, False),
    ("dense", True, False, 0.3, False),
    ("dense", True, False, 0.0, False),
    ("dense", True, True, 1.0, True),
    ("dense", False, False, 0.6, True),
    ("sparse", True, False, 1.0, False),
    ("sparse", False, True, 1.0, False),
    ("sparse", True, True, 0.5, False),
    ("sparse", True, False, 1.0, True),
]


@pytest.mark.parametrize("kind, fit_intercept, weighted, l1_ratio, positive", CASES)
def test_gap_at_random_points_matches_reference(kind, fit_intercept, weighted, l1_ratio,
                                                 positive):
    rng = np.random.default_rng(42)
    X = _design(kind)
    n, p = X.shape
    y = rng.standard_normal(n) + 1.5
    sw = None
    if weighted:
        sw = rng.uniform(0.0, 2.0, n)
        sw[[0, 5]] = 0.0
    v = rng.uniform(0.5, 2.0, p)  # penalty weights, all positive
    prep = _prepare(X, y, sw, fit_intercept)
    for trial in range(8):
        alpha = 10.0 ** rng.uniform(-2.5, 0.0)
        w = rng.standard_normal(p) * rng.uniform(0.01, 1.0)
        w[rng.random(p) < 0.4] = 0.0
        if positive:
            w = np.abs(w)
        if trial == 0:
            w[:] = 0.0
        l1 = alpha * l1_ratio * v
        l2 = alpha * (1.0 - l1_ratio) * v
        primal, gap, intercept = _kernel_gap(prep, w, l1, l2, positive)
        kw = dict(alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw, weights=v)
        ref_primal = enet_objective(X, y, w, intercept, **kw)
        ref_gap = enet_duality_gap(X, y, w, intercept, positive=positive,
                                   fit_intercept=fit_intercept, **kw)
        scale = max(1.0, ref_primal)
        assert primal == pytest.approx(ref_primal, rel=1e-12, abs=1e-13)
        assert abs(gap - ref_gap) <= 1e-11 * scale, (trial, gap, ref_gap)
        assert gap >= -1e-13 * scale


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gap_bounds_suboptimality_with_unpenalized_features(fit_intercept):
    rng = np.random.default_rng(3)
    X = _design("dense", n=30, p=6, seed=3)
    y = X @ np.array([1.0, 2.0, 0.0, 0.0, 3.0, 0.0]) + 0.1 * rng.standard_normal(30)
    v = np.array([0.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    prep = _prepare(X, y, None, fit_intercept)
    for alpha in (10.0, 0.1):
        ref = enet(X, y, alpha=alpha, weights=v, fit_intercept=fit_intercept)
        for w in (np.zeros(6), 0.5 * ref.coef):
            primal, gap, intercept = _kernel_gap(prep, w, alpha * v, 0.0 * v, False)
            subopt = primal - ref.objective
            assert subopt > 1e-6  # these points are far from optimal
            assert gap >= subopt * (1 - 1e-9), (alpha, gap, subopt)


@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_column_stats(kind, fit_intercept):
    rng = np.random.default_rng(1)
    X = _design(kind)
    Xd = X.toarray() if sp.issparse(X) else X
    n, p = X.shape
    d = rng.uniform(0.0, 2.0, n)
    S = float(d.sum())
    mu, lips, normx = np.zeros(p), np.empty(p), np.empty(p)
    sd = column_stats(*csc_parts(X), np.arange(p), d, False, fit_intercept, S, mu, lips, normx)
    assert sd == pytest.approx(d.sum(), rel=1e-14)
    exp_mu = d @ Xd / d.sum() if fit_intercept else np.zeros(p)
    Xc = Xd - exp_mu
    np.testing.assert_allclose(mu, exp_mu, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lips, d @ Xc**2 / S, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(normx, np.sqrt(d @ Xc**2), rtol=1e-12, atol=1e-14)
    assert lips[4] == 0.0 if kind == "sparse" else True  # empty column


@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_column_stats_on_a_subset_fills_only_those_features(kind):
    rng = np.random.default_rng(3)
    X = _design(kind)
    n, p = X.shape
    d = rng.uniform(0.0, 2.0, n)
    S = float(d.sum())
    full = [np.zeros(p), np.empty(p), np.empty(p)]
    column_stats(*csc_parts(X), np.arange(p), d, False, True, S, *full)
    cols = np.array([p - 1, 0, 3], dtype=np.int64)
    sub = [np.full(p, -7.0), np.full(p, -7.0), np.full(p, -7.0)]
    sd = column_stats(*csc_parts(X), cols, d, False, True, S, *sub)
    assert sd == pytest.approx(S, rel=1e-14)
    others = np.setdiff1d(np.arange(p), cols)
    for got, exp in zip(sub, full):
        np.testing.assert_array_equal(got[cols], exp[cols])
        assert np.all(got[others] == -7.0)


def test_newton_candidates_keep_support_violators_and_the_best_ranked():
    # ten scored features, then twenty with c = 0 (so the candidates stay below
    # CANDIDATE_MAX_FRACTION of the features)
    c = np.r_[0.1, 0.95, 2.0, 0.2, 0.5, 1.5, 0.0, 0.3, -3.0, 0.05, np.zeros(20)]
    l1 = np.ones(30)
    l1[6] = 0.0  # unpenalized: always a candidate
    w = np.zeros(30)
    w[3] = 1.0  # the support: always a candidate
    screened = _newton_candidates(c, w, l1, False, 1, True)
    # forced {3, 6}; violators {2, 5, 8}; max(p0, 2 forced, 3 violators) = 3 ranked: the
    # violators themselves (p0 = 1)
    assert set(np.flatnonzero(~screened)) == {2, 3, 5, 6, 8}
    screened = _newton_candidates(c, w, l1, False, 4, True)
    assert set(np.flatnonzero(~screened)) == {1, 2, 3, 5, 6, 8}  # + the next best: 1
    # positive: only c_j > l1_j violates (feature 8 is far from its one-sided constraint)
    screened = _newton_candidates(c, w, l1, True, 1, True)
    assert set(np.flatnonzero(~screened)) == {2, 3, 5, 6}
    assert not np.any(_newton_candidates(c, w, l1, False, 1, False))  # no restriction
    # 2 + 10 candidates > CANDIDATE_MAX_FRACTION * 30: every feature
    assert CANDIDATE_MAX_FRACTION * 30 < 12
    assert not np.any(_newton_candidates(c, w, l1, False, 10, True))
    # no support, no violator, p0 = 0: still the best-ranked feature
    screened = _newton_candidates(c, np.zeros(30), np.full(30, 10.0), False, 0, True)
    assert set(np.flatnonzero(~screened)) == {8}


def test_column_stats_constant_column_has_zero_curvature():
    rng = np.random.default_rng(2)
    X = np.asfortranarray(rng.standard_normal((20, 3)))
    X[:, 1] = 7.0
    d = np.ones(20)
    mu, lips, normx = np.zeros(3), np.empty(3), np.empty(3)
    column_stats(*csc_parts(X), np.arange(3), d, True, True, 20.0, mu, lips, normx)
    assert lips[1] == 0.0 and normx[1] == 0.0
    assert mu[1] == pytest.approx(7.0)


def test_penalty_value():
    rng = np.random.default_rng(4)
    w = rng.standard_normal(15)
    w[::3] = 0.0
    l1, l2 = rng.uniform(0, 1, 15), rng.uniform(0, 1, 15)
    expected = np.sum(l1 * np.abs(w) + 0.5 * l2 * w**2)
    assert penalty_value(w, l1, l2) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("positive", [False, True])
def test_logistic_gap_at_random_points_matches_reference(kind, fit_intercept, l1_ratio,
                                                         positive):
    rng = np.random.default_rng(5)
    X = _design(kind, n=40, p=10, seed=5)
    n, p = X.shape
    y = np.where(rng.random(n) < 0.4, 1.0, -1.0)
    sw = rng.uniform(0.0, 2.0, n)
    sw[3] = 0.0
    S = float(sw.sum())
    parts = csc_parts(X)
    for _ in range(6):
        alpha = 10.0 ** rng.uniform(-3, -0.5)
        w = rng.standard_normal(p) * 0.5
        w[rng.random(p) < 0.5] = 0.0
        if positive:
            w = np.abs(w)
        b = rng.standard_normal() if fit_intercept else 0.0
        eta = np.asarray(X @ w).ravel() + b
        l1 = np.full(p, alpha * l1_ratio)
        l2 = np.full(p, alpha * (1.0 - l1_ratio))
        grad = np.empty(n)
        primal, gap = logistic_gap(*parts, y, sw, S, eta, w, l1, l2, positive, fit_intercept,
                                   grad, np.empty(p))
        kw = dict(alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw)
        ref_primal = logistic_objective(X, y, w, b, **kw)
        ref_gap = logistic_duality_gap(X, y, w, b, positive=positive,
                                       fit_intercept=fit_intercept, **kw)
        assert primal == pytest.approx(ref_primal, rel=1e-12)
        assert gap == pytest.approx(ref_gap, rel=1e-9, abs=1e-12)
        # grad is minus the loss gradient in eta: sw y sigma(-y eta) / S
        np.testing.assert_allclose(grad, sw * y / (1.0 + np.exp(y * eta)) / S, rtol=1e-12,
                                   atol=1e-15)
        loss = logistic_loss(eta, y, sw, S)
        assert loss == pytest.approx(logistic_objective(X, y, w, b, alpha=0.0,
                                                        sample_weight=sw), rel=1e-13)


def test_logistic_loss_is_stable_for_large_margins():
    eta = np.array([800.0, -800.0, 0.0])
    y = np.array([1.0, 1.0, -1.0])
    d = np.ones(3)
    loss = logistic_loss(eta, y, d, 3.0)
    assert np.isfinite(loss)
    assert loss == pytest.approx((0.0 + 800.0 + np.log(2.0)) / 3.0, rel=1e-14)


@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_ws_solver_does_not_write_into_inputs(kind):
    rng = np.random.default_rng(6)
    X = _design(kind, n=30, p=40, seed=6)
    n, p = X.shape
    y = rng.standard_normal(n)
    sw = rng.uniform(0.5, 1.5, n)
    prep = _prepare(X, y, sw, True)
    l1 = np.full(p, 0.05)
    l2 = np.full(p, 0.01)
    inputs = [*prep["parts"], prep["z"], prep["d"], prep["mu"], prep["lips"], prep["normx"],
              l1, l2]
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in inputs]
    w = np.zeros(p)
    r = prep["z"].copy()
    screened = np.zeros(p, dtype=np.bool_)
    s, n_epochs, gap, primal, converged = enet_ws_solve(
        *prep["parts"], prep["z"], prep["d"], False, prep["S"], prep["mu"], prep["sd"],
        prep["lips"], prep["normx"], l1, l2, False, w, r, 0.0, screened, 10_000, 1e-12, P0,
        True, True, 0)
    assert converged and n_epochs > 0
    for a, b in zip(inputs, before):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
    # the work buffers hold a consistent state: r = z - X w, s = mu^T w
    Xd = X.toarray() if sp.issparse(X) else X
    np.testing.assert_allclose(r, prep["z"] - Xd @ w, atol=1e-10)
    assert s == pytest.approx(prep["mu"] @ w, abs=1e-12)
    intercept = prep["y_offset"] - s
    # l1 = alpha l1_ratio = 0.05 and l2 = alpha (1 - l1_ratio) = 0.01
    kw = dict(alpha=0.06, l1_ratio=0.05 / 0.06, sample_weight=sw)
    assert abs(gap - enet_duality_gap(X, y, w, intercept, **kw)) <= 1e-11
    assert primal == pytest.approx(enet_objective(X, y, w, intercept, **kw), rel=1e-12)


# --------------------------------------------------------------------------------------------
# the active-set Newton step


def _newton(prep, w, l1, l2):
    """``_newton_point`` over the whole feature set as working set; ``(ok, out)``."""
    p = w.shape[0]
    ws = np.arange(p)
    support = np.flatnonzero(w)
    out = np.full(p, np.nan)
    col = np.empty(prep["z"].shape[0])
    ok = _newton_point(*prep["parts"], ws, support, prep["z"], prep["d"], prep["unit_d"],
                       prep["S"], prep["mu"], l1, l2, w, col, out)
    return ok, out


NEWTON_CASES = [
    # (kind, fit_intercept, weighted, l1_ratio)
    ("dense", True, False, 1.0),
    ("dense", False, True, 0.5),
    ("sparse", True, True, 1.0),
    ("sparse", False, False, 0.7),
]


def _newton_problem(kind, fit_intercept, weighted, seed, y_shift):
    """``(X, y, sample_weight, kernel inputs)`` of a 40 x 15 problem."""
    rng = np.random.default_rng(seed)
    X = _design(kind, n=40, p=15, seed=seed)
    y = rng.standard_normal(40) + y_shift
    sw = rng.uniform(0.2, 2.0, 40) if weighted else None
    return X, y, sw, _prepare(X, y, sw, fit_intercept)


@pytest.mark.parametrize("kind, fit_intercept, weighted, l1_ratio", NEWTON_CASES)
def test_newton_point_is_the_solution_once_the_signs_are_right(kind, fit_intercept, weighted,
                                                                l1_ratio):
    """From any point with the optimum's signs, one Newton step lands on the optimum."""
    X, y, sw, prep = _newton_problem(kind, fit_intercept, weighted, 11, 1.0)
    rng = np.random.default_rng(12)
    p = X.shape[1]
    corr = np.abs(X.T @ (prep["d"] * prep["z"]))
    alpha = 0.2 * np.max(corr) / prep["S"] / l1_ratio  # a fifth of alpha_max
    opt = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-14,
                     max_iter=100_000).fit(X, y, sample_weight=sw)
    w_opt = opt.coef_
    assert 3 <= np.count_nonzero(w_opt) < p
    l1 = np.full(p, alpha * l1_ratio)
    l2 = np.full(p, alpha * (1.0 - l1_ratio))
    w0 = w_opt * rng.uniform(0.2, 3.0, p)  # same signs, far from the optimum
    w_before = w0.copy()
    ok, out = _newton(prep, w0, l1, l2)
    assert ok
    np.testing.assert_array_equal(w0, w_before)
    # the optimum, to the accuracy of the reference fit (a 1e-14 gap gives ~1e-7) ...
    np.testing.assert_allclose(out, w_opt, rtol=1e-5, atol=1e-8)
    f_out = _objective(X, y, sw, fit_intercept, prep, out, alpha, l1_ratio)
    f_opt = _objective(X, y, sw, fit_intercept, prep, w_opt, alpha, l1_ratio)
    assert f_out <= f_opt * (1.0 + 1e-13)
    # ... and exactly stationary on the support: X~_A^T d (z - X~ w) / S = l1 sign + l2 w
    Xd = X.toarray() if sp.issparse(X) else np.asarray(X)
    Xc = Xd - prep["mu"]
    sup = np.flatnonzero(w_opt)
    grad = Xc[:, sup].T @ (prep["d"] * (prep["z"] - Xc @ out)) / prep["S"]
    np.testing.assert_allclose(grad, l1[sup] * np.sign(out[sup]) + l2[sup] * out[sup],
                               rtol=0, atol=1e-11)


def _objective(X, y, sw, fit_intercept, prep, w, alpha, l1_ratio):
    """The objective at ``w`` with the best intercept (the kernel's implicit one)."""
    b = prep["y_offset"] - float(prep["mu"] @ w) if fit_intercept else 0.0
    return enet_objective(X, y, w, b, alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw)


def _face_points(seed, p, count):
    """``count`` random points with about 30 % zeros: random, mostly wrong, signs."""
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(count):
        w0 = rng.standard_normal(p)
        w0[rng.random(p) < 0.3] = 0.0
        points.append(w0)
    return points


@pytest.mark.parametrize("kind, fit_intercept, weighted, l1_ratio", NEWTON_CASES)
def test_newton_point_keeps_signs_and_lowers_the_objective(kind, fit_intercept, weighted,
                                                          l1_ratio):
    """From a point with wrong signs the step stops where the first coefficient reaches 0."""
    X, y, sw, prep = _newton_problem(kind, fit_intercept, weighted, 5, 0.0)
    p = X.shape[1]
    alpha = 0.05
    l1 = np.full(p, alpha * l1_ratio)
    l2 = np.full(p, alpha * (1.0 - l1_ratio))
    n_truncated = 0
    for w0 in _face_points(6, p, 10):
        ok, out = _newton(prep, w0, l1, l2)
        assert ok
        assert np.all(out[w0 == 0.0] == 0.0)  # the support does not grow
        assert np.all(out * w0 >= 0.0)  # no sign changes: coefficients stop at zero
        f0 = _objective(X, y, sw, fit_intercept, prep, w0, alpha, l1_ratio)
        f1 = _objective(X, y, sw, fit_intercept, prep, out, alpha, l1_ratio)
        assert f1 < f0
        new_zeros = np.count_nonzero(w0) - np.count_nonzero(out)
        assert new_zeros in (0, 1)
        n_truncated += new_zeros
        if new_zeros == 0:  # the full step: the minimizer on this face (KKT on the support)
            ok_again, again = _newton(prep, out, l1, l2)
            assert ok_again
            np.testing.assert_allclose(again, out, rtol=1e-9, atol=1e-12)
    assert n_truncated >= 3  # random signs are mostly wrong


def test_newton_point_on_a_rank_deficient_support():
    """More support features than samples: the step follows the null space of the support's
    columns (the fit does not change, the l1 term falls) until a coefficient leaves."""
    rng = np.random.default_rng(8)
    X = _design("dense", n=10, p=30, seed=8)
    y = rng.standard_normal(10)
    prep = _prepare(X, y, None, True)
    alpha = 0.01
    l1 = np.full(30, alpha)
    l2 = np.zeros(30)
    w = rng.standard_normal(30)
    f_prev = _objective(X, y, None, True, prep, w, alpha, 1.0)
    for k in range(1, 6):
        ok, w_next = _newton(prep, w, l1, l2)
        assert ok
        assert np.count_nonzero(w_next) == 30 - k
        f_next = _objective(X, y, None, True, prep, w_next, alpha, 1.0)
        assert f_next < f_prev
        w, f_prev = w_next, f_next


def _face_cg(prep, w, l1, l2, max_iter):
    """``_face_cg_point`` over the whole feature set as working set; ``(moved, sol)``."""
    parts, z = prep["parts"], prep["z"]
    p = w.shape[0]
    Xw = np.empty(z.shape[0])
    matvec(*parts, z.shape[0], w, Xw)
    r = z - Xw
    support = np.flatnonzero(w)
    sol = np.full(support.shape[0], np.nan)
    col = np.empty(z.shape[0])
    moved = _face_cg_point(*parts, np.arange(p), support, prep["d"], prep["unit_d"], r,
                           float(prep["mu"] @ w), prep["S"], prep["mu"], prep["sd"],
                           prep["lips"], l1, l2, w, max_iter, col, sol)
    return moved, sol


@pytest.mark.parametrize("kind, fit_intercept, weighted, l1_ratio", NEWTON_CASES)
def test_face_cg_point_reaches_the_newton_point(kind, fit_intercept, weighted, l1_ratio):
    """Run to convergence, the matrix-free step (used on supports too large for a Gram
    matrix, or whose signs still change) is the Cholesky step; a few iterations already
    lower the face's quadratic."""
    X, y, sw, prep = _newton_problem(kind, fit_intercept, weighted, 5, 0.0)
    p = X.shape[1]
    alpha = 0.05
    l1 = np.full(p, alpha * l1_ratio)
    l2 = np.full(p, alpha * (1.0 - l1_ratio))
    for w0 in _face_points(7, p, 5):
        w_before = w0.copy()
        ok, newton = _newton(prep, w0, l1, l2)
        moved, sol = _face_cg(prep, w0, l1, l2, 10 * p)
        assert ok and moved
        np.testing.assert_array_equal(w0, w_before)
        out = np.full(p, np.nan)
        _step_on_face(np.arange(p), np.flatnonzero(w0), w0, sol, False, out)
        np.testing.assert_allclose(out, newton, rtol=1e-8, atol=1e-10)

        full = w0.copy()
        full[w0 != 0.0] = sol
        _, sol2 = _face_cg(prep, w0, l1, l2, 2)
        two = w0.copy()
        two[w0 != 0.0] = sol2
        # the face's quadratic (the l1 term with w0's signs), intercept eliminated
        f_full, f_two, f_0 = (
            _objective(X, y, sw, fit_intercept, prep, v, alpha, l1_ratio)
            + np.sum(l1 * (np.sign(w0) * v - np.abs(v))) for v in (full, two, w0))
        assert f_full <= f_two < f_0


def test_projected_step_on_face():
    """``project``: the whole step, with every coefficient that changes sign set to 0."""
    w = np.array([1.0, -2.0, 0.0, 3.0, -1.0])
    ws = np.array([0, 1, 2, 3, 4])
    support = np.array([0, 1, 3, 4])
    sol = np.array([-1.0, -1.0, 0.5, 2.0])  # 0 and 4 change sign
    out = np.full(5, np.nan)
    _step_on_face(ws, support, w, sol, True, out)
    np.testing.assert_array_equal(out, [0.0, -1.0, 0.0, 0.5, 0.0])
    out_t = np.full(5, np.nan)
    _step_on_face(ws, support, w, sol, False, out_t)
    # truncated where the first coefficient reaches zero: t = min(1/2, 1/3) = 1/3 (index 4)
    t = 1.0 / 3.0
    np.testing.assert_allclose(out_t, [1.0 - 2.0 * t, -2.0 + t, 0.0, 3.0 - 2.5 * t, 0.0])


def _lasso_from_zero(prep, alpha, max_epochs, tol_abs, accelerate, max_work=0):
    """The kernel on the Lasso (unit weights) from ``w = 0``; ``(w, s, n_epochs, converged)``."""
    p = prep["mu"].shape[0]
    w = np.zeros(p)
    r = prep["z"].copy()
    screened = np.zeros(p, dtype=np.bool_)
    s, n_epochs, _, _, converged = enet_ws_solve(
        *prep["parts"], prep["z"], prep["d"], True, prep["S"], prep["mu"], prep["sd"],
        prep["lips"], prep["normx"], np.full(p, alpha), np.zeros(p), False, w, r, 0.0, screened,
        max_epochs, tol_abs, P0, True, accelerate, max_work)
    return w, s, n_epochs, converged


def test_conjugate_gradient_steps_on_a_large_sparse_support():
    """A sparse problem whose support is larger than ``NEWTON_MAX_SUPPORT``: the solver
    takes conjugate-gradient face steps, needs fewer epochs than coordinate descent
    alone, and its duality gap (checked independently) is within tolerance."""
    rng = np.random.default_rng(3)
    n, p = 3000, 4000
    X = sp.random(n, p, density=4e-3, format="csc", random_state=rng)
    X.data = rng.standard_normal(X.data.shape[0])
    X.sort_indices()
    y = X[:, :300] @ rng.standard_normal(300) + 0.5 * rng.standard_normal(n)
    prep = _prepare(X, y, None, True)
    alpha = 2e-3 * np.max(np.abs(X.T @ prep["z"])) / n
    null_objective = 0.5 * float(prep["z"] @ prep["z"]) / n
    tol = 1e-7 * null_objective
    epochs = {}
    for accelerate in (False, True):
        w, s, epochs[accelerate], converged = _lasso_from_zero(prep, alpha, 100_000, tol,
                                                               accelerate)
        assert converged
        assert np.count_nonzero(w) > NEWTON_MAX_SUPPORT
        assert enet_duality_gap(X, y, w, prep["y_offset"] - s, alpha=alpha) <= tol * 1.01
    assert epochs[True] * 2 < epochs[False], epochs


def test_newton_steps_end_the_slow_phase_of_coordinate_descent():
    """Small alpha with p > n (the support's columns are nearly dependent): coordinate
    descent alone needs tens of thousands of epochs for a 1e-10 gap; with the Newton
    steps the solver gets there in a few thousand and matches cvxpy."""
    rng = np.random.default_rng(0)
    n, p = 30, 300
    X = rng.standard_normal((n, p))
    X[:, 1::2] = X[:, ::2] + 0.3 * rng.standard_normal((n, p // 2))  # correlated pairs
    X = np.asfortranarray(X)
    y = X[:, :5] @ np.array([3.0, -2.0, 1.5, 1.0, -1.0]) + 0.5 * rng.standard_normal(n)
    prep = _prepare(X, y, None, True)
    alpha = 1e-3 * np.max(np.abs(X.T @ prep["z"])) / n
    null_objective = 0.5 * float(prep["z"] @ prep["z"]) / n
    epochs = {}
    for accelerate in (False, True):
        w, s, epochs[accelerate], converged = _lasso_from_zero(
            prep, alpha, 200_000, 1e-10 * null_objective, accelerate)
        assert converged
    assert epochs[True] * 5 < epochs[False], epochs
    ref = enet(X, y, alpha=alpha, l1_ratio=1.0)
    b = prep["y_offset"] - s
    f_ref = enet_objective(X, y, ref.coef, ref.intercept, alpha=alpha)
    assert enet_objective(X, y, w, b, alpha=alpha) <= f_ref * (1.0 + 1e-6)


def test_max_work_stops_the_solver_early():
    """``max_work``: the solve stops, not converged, once its epochs have done that many
    multiply-adds or would within WORK_LOOKAHEAD_EPOCHS epochs; the point reached is a valid
    warm start (the objective went down). ``max_work = 0`` is no limit."""
    rng = np.random.default_rng(3)
    n, p = 200, 60
    X = np.asfortranarray(rng.standard_normal((n, p)))
    y = X[:, :8] @ rng.standard_normal(8) + 0.1 * rng.standard_normal(n)
    prep = _prepare(X, y, None, True)
    alpha = 1e-3 * np.max(np.abs(X.T @ prep["z"])) / n
    tol = 1e-10 * 0.5 * float(prep["z"] @ prep["z"]) / n
    w, _, n_full, converged = _lasso_from_zero(prep, alpha, 100_000, tol, True)
    assert converged and n_full > 10
    # the first working set (P0 features) would pass the budget within the look-ahead
    _, _, n_epochs, converged = _lasso_from_zero(prep, alpha, 100_000, tol, True,
                                                 max_work=n * P0 * WORK_LOOKAHEAD_EPOCHS)
    assert n_epochs == 0 and not converged
    # a budget of a few epochs: stops within the inner loop that passes it
    budget = 3 * n * P0 * WORK_LOOKAHEAD_EPOCHS
    w_part, s_part, n_epochs, converged = _lasso_from_zero(prep, alpha, 100_000, tol, True,
                                                           max_work=budget)
    assert 0 < n_epochs < n_full and not converged
    l1 = np.full(p, alpha)
    zero = _kernel_gap(prep, np.zeros(p), l1, np.zeros(p), False)[0]
    assert _kernel_gap(prep, w_part, l1, np.zeros(p), False)[0] < zero
    w_big, _, n_big, converged = _lasso_from_zero(prep, alpha, 100_000, tol, True,
                                                  max_work=10 ** 12)
    assert converged and n_big == n_full
    np.testing.assert_array_equal(w_big, w)


def test_look_ahead_counts_the_features_still_violating():
    """The work ahead of a switching solve: the new working set's epoch, and from the third
    working set on, an epoch over the non-zero and violating features, if more."""
    p, n = 50, 100
    cand = np.arange(p, dtype=np.int64)
    ws = np.arange(10, dtype=np.int64)
    w = np.zeros(p)
    w[:4] = 1.0
    c = np.zeros(p)
    c[10:30] = 2.0  # violate l1 = 1
    c[30:35] = -2.0  # violate unless positive
    c[35:40] = 0.5  # satisfy
    l1 = np.ones(p)
    epoch_work = n * ws.size
    for n_outer in (0, 1):
        assert _ahead_work(epoch_work, ws, w, cand, c, l1, False, n_outer) == epoch_work
    assert _ahead_work(epoch_work, ws, w, cand, c, l1, False, 2) == n * (4 + 25)
    assert _ahead_work(epoch_work, ws, w, cand, c, l1, True, 5) == n * (4 + 20)
    assert _ahead_work(epoch_work, ws, w, cand, np.zeros(p), l1, False, 2) == epoch_work


def test_working_set_size_and_order():
    """``max(p0, 2 nnz)`` features: every non-zero and unpenalized one, then the zeros
    closest to their dual constraint, in index order."""
    rng = np.random.default_rng(4)
    p = 60
    cand = np.arange(p, dtype=np.int64)
    c = rng.uniform(-0.9, 0.9, p)
    w = np.zeros(p)
    w[[3, 17, 40, 41, 59]] = [1.0, -2.0, 0.5, 0.1, 3.0]
    l1 = np.ones(p)
    l1[8] = 0.0  # unpenalized: always in
    lips = np.ones(p)
    normx = np.ones(p)
    screened = np.zeros(p, dtype=np.bool_)
    ws = _screen_and_rank(cand, c, 1.0, 0.0, w, l1, lips, normx, False, False, screened, 3)
    assert ws.shape[0] == 2 * 5
    assert np.all(np.diff(ws) > 0)
    forced = {3, 17, 40, 41, 59, 8}
    rest = [j for j in range(p) if j not in forced]
    closest = sorted(rest, key=lambda j: 1.0 - abs(c[j]))[: 2 * 5 - len(forced)]
    assert set(ws.tolist()) == forced | set(closest)
    assert not screened.any()
