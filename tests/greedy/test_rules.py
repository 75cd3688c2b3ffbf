"""The selection rules of loss-based weighted OMP against a brute-force 1-D minimization.

``coordinate_decrease`` returns, for every coordinate ``j``, ``Delta_j = min_t G(z + t e_j) -
G(z)`` with ``G(z) = F(y - Az) + alpha P_w(z)``. Here the 1-D minimum is found without the
closed forms: lad (piecewise linear in ``t``) at every breakpoint ``r_i / a_ij``, at the
penalty's kink/jump ``t = -z_j`` and at ``t = 0``; lasso and sqrt (smooth away from ``t = -z_j``)
by bounded Brent on both sides of ``t = -z_j`` plus the candidates ``0``, ``-z_j`` and ``c_j``
(where ``||r - t a_j||`` has its minimum, a kink of the sqrt loss when ``r`` is parallel to
``a_j``). Agreement is required to ``1e-12 * G(z)``.
"""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from skreg.greedy import coordinate_decrease

RULES = [(loss, pen) for loss in ("lasso", "sqrt", "lad") for pen in ("l0", "l1")]
TINY = np.finfo(float).tiny
ALPHAS = (0.0, 0.05, 0.5, 3.0, 1e3)


def objective(A, y, z, loss, penalty, alpha, w, sw):
    """``G(z)``, written from the definition."""
    r = y - A @ z
    if loss == "lasso":
        fit = sw @ (r * r)
    elif loss == "sqrt":
        fit = np.sqrt(sw @ (r * r))
    else:
        fit = sw @ np.abs(r)
    pen = w @ np.abs(z) if penalty == "l1" else (w * w) @ (z != 0)
    return fit + alpha * pen


def _brent(phi, lo, hi):
    """Minimum of ``phi`` (smooth and convex) on the open interval ``(lo, hi)``: bounded Brent,
    then again in a variable shifted to the first answer (Brent's tolerance is relative to
    ``|x|``; shifted, it is relative to the distance from the first answer)."""
    opts = {"xatol": 1e-15, "maxiter": 1000}
    first = minimize_scalar(phi, bounds=(lo, hi), method="bounded", options=opts)
    t0 = float(first.x)
    h = 1e-6 * (hi - lo)
    a, b = max(lo, t0 - h) - t0, min(hi, t0 + h) - t0
    if not b > a:
        return first.fun
    second = minimize_scalar(lambda s: phi(t0 + s), bounds=(a, b), method="bounded",
                             options=opts)
    return min(first.fun, second.fun)


def brute_decrease(A, y, z, j, loss, penalty, alpha, w, sw):
    """``min_t G(z + t e_j) - G(z)`` without the closed forms."""
    g0 = objective(A, y, z, loss, penalty, alpha, w, sw)

    def phi(t):
        zz = z.copy()
        zz[j] = z[j] + t
        return objective(A, y, zz, loss, penalty, alpha, w, sw) - g0

    r = y - A @ z
    a = A[:, j]
    cands = [0.0, -z[j]]
    if loss == "lad":
        nz = a != 0
        cands.extend(r[nz] / a[nz])
        return min(phi(t) for t in cands)
    c = sw @ (a * r)
    cands.append(c)
    vals = [phi(t) for t in cands]
    half = 2.0 * (abs(z[j]) + np.sqrt(sw @ (r * r))) + 1.0  # |t| <= |z_j| + |c_j| suffices
    vals.append(_brent(phi, -z[j] - half, -z[j]))
    vals.append(_brent(phi, -z[j], -z[j] + half))
    return min(vals)


def assert_matches_brute(A, y, z, loss, penalty, alpha, w, sw):
    delta = coordinate_decrease(A, y, z, loss=loss, penalty=penalty, alpha=alpha, weights=w,
                                sample_weight=sw)
    g0 = objective(A, y, z, loss, penalty, alpha, w, sw)
    tol = 1e-12 * max(g0, TINY)
    assert delta.shape == (A.shape[1],)
    assert np.all(delta <= 0.0)
    for j in range(A.shape[1]):
        ref = brute_decrease(A, y, z, j, loss, penalty, alpha, w, sw)
        assert abs(delta[j] - ref) <= tol, (j, alpha, delta[j], ref, g0)
    return delta


def _random_problem(seed, point, weighted, m=11, N=5):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, N))
    if weighted:
        sw = rng.uniform(0.2, 3.0, m)
        sw[[1, 4]] = 0.0  # rows that do not count
    else:
        sw = np.ones(m)
    A /= np.sqrt(sw @ (A * A))
    y = 2.0 * rng.standard_normal(m)
    z = np.zeros(N)
    support = np.array([0, 2, 3])
    if point == "random":  # inside the support z_j != 0, outside z_j = 0
        z[support] = rng.standard_normal(support.size)
    elif point == "lsq":  # weighted least squares on the support: c_j = 0 there
        root = np.sqrt(sw)
        z[support] = np.linalg.lstsq(A[:, support] * root[:, None], root * y, rcond=None)[0]
    elif point == "far":  # large coefficients: moving to 0 matters
        z[support] = 10.0 * rng.standard_normal(support.size)
    w = rng.uniform(0.3, 2.0, N)
    w[3] = 0.0  # an unpenalized coordinate, in the support
    w[4] = 0.0  # and one outside
    return A, y, z, w, sw


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("point", ["zero", "random", "lsq", "far"])
@pytest.mark.parametrize("loss, penalty", RULES)
def test_rules_match_brute_force(loss, penalty, point, weighted):
    A, y, z, w, sw = _random_problem(7, point, weighted)
    for alpha in ALPHAS:
        assert_matches_brute(A, y, z, loss, penalty, alpha, w, sw)


@pytest.mark.parametrize("loss, penalty", RULES)
def test_rules_uniform_weights_default(loss, penalty):
    A, y, z, _, sw = _random_problem(3, "random", False)
    for alpha in (0.0, 0.7):
        got = coordinate_decrease(A, y, z, loss=loss, penalty=penalty, alpha=alpha)
        ones = coordinate_decrease(A, y, z, loss=loss, penalty=penalty, alpha=alpha,
                                   weights=np.ones(A.shape[1]), sample_weight=np.ones(11))
        np.testing.assert_array_equal(got, ones)
        assert_matches_brute(A, y, z, loss, penalty, alpha, np.ones(A.shape[1]), sw)


@pytest.mark.parametrize("loss", ["lasso", "sqrt"])
@pytest.mark.parametrize("penalty", ["l0", "l1"])
def test_ls_sample_weight_is_sqrt_row_scaling(loss, penalty):
    """For lasso and sqrt, weighting the squared residuals by s is scaling rows by sqrt(s)."""
    A, y, z, w, sw = _random_problem(11, "random", True)
    root = np.sqrt(sw)
    for alpha in (0.0, 0.3, 2.0):
        weighted = coordinate_decrease(A, y, z, loss=loss, penalty=penalty, alpha=alpha,
                                       weights=w, sample_weight=sw)
        scaled = coordinate_decrease(A * root[:, None], y * root, z, loss=loss,
                                     penalty=penalty, alpha=alpha, weights=w)
        g0 = objective(A, y, z, loss, penalty, alpha, w, sw)
        np.testing.assert_allclose(weighted, scaled, rtol=0, atol=1e-12 * g0)


def test_lad_zero_sample_weight_rows_are_ignored():
    """lad: a row with weight 0 counts as absent, whatever its data."""
    A, y, z, w, sw = _random_problem(5, "random", True)
    keep = sw > 0
    for penalty in ("l0", "l1"):
        for alpha in (0.0, 0.4):
            full = coordinate_decrease(A, y, z, loss="lad", penalty=penalty, alpha=alpha,
                                       weights=w, sample_weight=sw)
            y2 = y.copy()
            y2[~keep] = 1e6
            moved = coordinate_decrease(A, y2, z, loss="lad", penalty=penalty, alpha=alpha,
                                        weights=w, sample_weight=sw)
            dropped = coordinate_decrease(A[keep], y[keep], z, loss="lad", penalty=penalty,
                                          alpha=alpha, weights=w, sample_weight=sw[keep])
            np.testing.assert_allclose(moved, full, rtol=1e-13, atol=1e-13)
            np.testing.assert_allclose(dropped, full, rtol=1e-13, atol=1e-13)


# --------------------------------------------------------------------------------------------
# edge cases on an exactly representable design: columns with four entries +-1/2 (unit norm)
# and dyadic coefficients, so that residuals, correlations and norms are exact
# --------------------------------------------------------------------------------------------
def _dyadic_design():
    s = np.array([
        [1, 1, 0, 1, 0],
        [1, -1, 0, 1, 0],
        [1, 1, 0, 0, 1],
        [1, -1, 0, 0, -1],
        [0, 0, 1, 1, 0],
        [0, 0, 1, -1, 0],
        [0, 0, 1, 0, 1],
        [0, 0, 1, 0, -1],
    ], dtype=np.float64)
    return 0.5 * s


@pytest.mark.parametrize("loss, penalty", RULES)
def test_rules_at_an_interpolation(loss, penalty):
    """r = 0 exactly: with alpha = 0 nothing decreases G; with alpha > 0 only moving a
    coordinate towards 0 can (brute force decides how much)."""
    A = _dyadic_design()
    z = np.array([2.0, 0.0, -1.0, 0.5, 0.0])
    y = A @ z
    assert np.array_equal(y - A @ z, np.zeros(8))
    w = np.array([1.0, 0.5, 2.0, 0.25, 1.0])
    sw = np.ones(8)
    delta = assert_matches_brute(A, y, z, loss, penalty, 0.0, w, sw)
    np.testing.assert_array_equal(delta, 0.0)
    for alpha in (0.3, 1.0, 4.0, 50.0):
        delta = assert_matches_brute(A, y, z, loss, penalty, alpha, w, sw)
        # coordinates outside the support cannot improve an exact fit
        assert delta[1] == 0.0 and delta[4] == 0.0
    # large alpha: emptying the heaviest coordinate helps (the penalty outweighs the fit)
    assert delta[2] < 0.0


@pytest.mark.parametrize("loss, penalty", RULES)
def test_rules_residual_parallel_to_column(loss, penalty):
    """r = 3 a_1 exactly (rho_1 = 0: the sqrt loss is |u - v| along a_1, not smooth)."""
    A = _dyadic_design()
    sw = np.ones(8)
    w = np.array([1.0, 1.0, 0.5, 2.0, 1.0])
    for z in (np.zeros(5), np.array([0.0, 1.0, 0.0, 0.0, 0.0]),
              np.array([0.5, -1.0, 0.0, 0.0, 0.0])):
        y = A @ z + 3.0 * A[:, 1]
        r = y - A @ z
        assert np.array_equal(r, 3.0 * A[:, 1])
        for alpha in (0.0, 0.25, 0.9, 1.0, 2.0, 10.0):
            delta = assert_matches_brute(A, y, z, loss, penalty, alpha, w, sw)
            if alpha == 0.0:  # the residual is removed entirely along a_1
                assert delta[1] < 0.0
    # the exact value where it is simple: sqrt loss, z = 0, ell = alpha < 1:
    # Delta_1 = -(1 - ell) |c| (the residual can be removed, paying ell per unit)
    y = 3.0 * A[:, 1]
    if loss == "sqrt" and penalty == "l1":
        for ell in (0.0, 0.25, 0.75):
            delta = coordinate_decrease(A, y, np.zeros(5), loss=loss, penalty=penalty,
                                        alpha=ell)
            assert delta[1] == pytest.approx(-(1.0 - ell) * 3.0, rel=1e-14)
        # ell >= 1: removing one unit of residual costs at least one unit of penalty
        delta = coordinate_decrease(A, y, np.zeros(5), loss=loss, penalty=penalty, alpha=1.0)
        assert delta[1] == 0.0


@pytest.mark.parametrize("point", ["zero", "random", "far"])
def test_sqrt_l1_with_penalty_level_at_least_one(point):
    """alpha w_j >= 1 (l1-sqrt): from z_j = 0 no move helps; from z_j != 0 only towards 0."""
    A, y, z, _, sw = _random_problem(21, point, False)
    N = A.shape[1]
    for alpha in (1.0, 1.5):
        w = np.full(N, 1.0 / alpha) * np.array([1.0, 1.0, 2.0, 1.0, 3.0])  # ell = 1, 2, 3
        delta = assert_matches_brute(A, y, z, "sqrt", "l1", alpha, w, sw)
        out = z == 0
        np.testing.assert_array_equal(delta[out], 0.0)


def _threshold_case():
    """a_0^T y = 1 and ||y|| = 2: the l1-sqrt threshold |c_0| / ||r|| is exactly 1/2."""
    A = _dyadic_design()
    y = np.array([-0.5, 0.5, 1.0, 1.0, -1.0, -0.5, 0.0, 0.5])
    assert A[:, 0] @ y == 1.0 and y @ y == 4.0
    return A, y


def test_sqrt_l1_exactly_at_threshold():
    A, y = _threshold_case()
    z = np.zeros(5)
    w = np.array([1.0, 10.0, 10.0, 10.0, 10.0])  # only coordinate 0 can move
    sw = np.ones(8)
    delta = assert_matches_brute(A, y, z, "sqrt", "l1", 0.5, w, sw)
    assert delta[0] == 0.0
    below = assert_matches_brute(A, y, z, "sqrt", "l1", 0.5 - 1e-3, w, sw)
    assert below[0] < 0.0
    above = assert_matches_brute(A, y, z, "sqrt", "l1", 0.5 + 1e-3, w, sw)
    assert above[0] == 0.0


def test_sqrt_l1_published_formula_needs_its_condition():
    """The l1-sqrt decrease outside the support, ell |c| + sqrt(1 - ell^2) rho - ||r||, is
    negative for every ell != |c| / ||r|| (a cosine minus 1). Above the threshold the true
    minimum is 0 (u = 0): without the condition the formula reports a decrease that does not
    exist, and would select a coordinate that cannot improve G."""
    A, y = _threshold_case()
    z = np.zeros(5)
    sw = np.ones(8)
    w = np.ones(5)
    alpha = 0.9  # ell = 0.9 > |c_0| / ||r|| = 0.5, and < 1
    c = A.T @ y
    R = np.linalg.norm(y)
    rho = np.sqrt(R * R - c * c)
    ell = alpha * w
    formula = ell * np.abs(c) + np.sqrt(1.0 - ell * ell) * rho - R
    assert formula[0] < -0.3  # 0.9 + sqrt(0.19 * 3) - 2 = -0.345
    assert np.all(formula < 0.0)
    delta = assert_matches_brute(A, y, z, "sqrt", "l1", alpha, w, sw)
    # every |c_j| / ||r|| <= 1/2 < 0.9: nothing can be decreased
    np.testing.assert_array_equal(np.abs(c) / R, [0.5, 0.25, 0.25, 0.125, 0.125])
    np.testing.assert_array_equal(delta, 0.0)


@pytest.mark.parametrize("penalty", ["l0", "l1"])
def test_sqrt_rule_with_residual_nearly_parallel_to_a_column(penalty):
    """r = 3 a + 1e-9 e_3 with a = (0.6, 0.8, 0): the exact decrease is rho - R =
    1e-9 - sqrt(9 + 1e-18) = -2.999999999 (move to u = c, leaving rho = 1e-9)."""
    A = np.array([[0.6], [0.8], [0.0]])
    y = np.array([1.8, 2.4, 1e-9])
    z = np.zeros(1)
    delta = coordinate_decrease(A, y, z, loss="sqrt", penalty=penalty)
    exact = 1e-9 - np.sqrt(9.0 + 1e-18)
    ref = brute_decrease(A, y, z, 0, "sqrt", penalty, 0.0, np.ones(1), np.ones(3))
    assert ref == pytest.approx(exact, rel=1e-13)
    assert abs(delta[0] - exact) <= 1e-12 * np.linalg.norm(y)  # fails: -3.0 is returned


def test_closed_forms_outside_support():
    """The module's stated closed forms at z = 0, on random data (one more independent check
    of the brute force)."""
    A, y, z, w, sw = _random_problem(2, "zero", False)
    c = A.T @ y
    R = np.linalg.norm(y)
    rho = np.sqrt(np.maximum(R * R - c * c, 0.0))
    alpha = 0.4
    g0 = y @ y
    got = coordinate_decrease(A, y, z, loss="lasso", penalty="l1", alpha=alpha, weights=w)
    exp = -np.maximum(np.abs(c) - alpha * w / 2, 0.0) ** 2
    np.testing.assert_allclose(got, exp, rtol=0, atol=1e-13 * g0)
    got = coordinate_decrease(A, y, z, loss="lasso", penalty="l0", alpha=alpha, weights=w)
    np.testing.assert_allclose(got, np.minimum(alpha * w * w - c * c, 0.0), rtol=0,
                               atol=1e-13 * g0)
    got = coordinate_decrease(A, y, z, loss="sqrt", penalty="l0", alpha=alpha, weights=w)
    np.testing.assert_allclose(got, np.minimum(rho - R + alpha * w * w, 0.0), rtol=0,
                               atol=1e-13 * R)


def test_docstring_example():
    delta = coordinate_decrease(np.eye(3), np.array([3.0, 1.0, 0.0]), np.zeros(3),
                                loss="lasso", penalty="l1", alpha=2.0)
    # -(|c| - alpha / 2)^2 = -(3 - 1)^2 and -(1 - 1)^2
    np.testing.assert_array_equal(delta, [-4.0, 0.0, 0.0])


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def test_rejects_non_unit_columns():
    A, y, z, _, sw = _random_problem(0, "zero", True)
    with pytest.raises(ValueError, match="unit"):
        coordinate_decrease(2.0 * A, y, z)
    # unit in the plain norm but not in the sample-weighted one
    B = A / np.linalg.norm(A, axis=0)
    with pytest.raises(ValueError, match="unit"):
        coordinate_decrease(B, y, z, sample_weight=sw)
    coordinate_decrease(B, y, z)  # fine without weights
    coordinate_decrease(A, y, z, sample_weight=sw)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"loss": "huber"}, ValueError, "loss"),
        ({"penalty": "l2"}, ValueError, "penalty"),
        ({"alpha": -1.0}, ValueError, "alpha"),
        ({"alpha": np.nan}, ValueError, "alpha"),
        ({"alpha": np.inf}, ValueError, "alpha"),
        ({"weights": -np.ones(5)}, ValueError, "weights"),
        ({"weights": np.ones(4)}, ValueError, "weights"),
        ({"sample_weight": -np.ones(11)}, ValueError, "sample_weight|negative"),
    ],
)
def test_coordinate_decrease_validation(kwargs, exc, match):
    A, y, z, _, _ = _random_problem(0, "zero", False)
    with pytest.raises(exc, match=match):
        coordinate_decrease(A, y, z, **kwargs)


def test_coordinate_decrease_rejects_bad_coef():
    A, y, _, _, _ = _random_problem(0, "zero", False)
    with pytest.raises(ValueError, match="coef"):
        coordinate_decrease(A, y, np.zeros(4))
    with pytest.raises(ValueError, match="coef"):
        coordinate_decrease(A, y, np.array([0.0, np.nan, 0.0, 0.0, 0.0]))


@pytest.mark.parametrize("loss, penalty", RULES)
def test_coordinate_decrease_does_not_modify_inputs(loss, penalty):
    A, y, z, w, sw = _random_problem(4, "random", True)
    arrays = (A, y, z, w, sw)
    before = [a.copy() for a in arrays]
    for a in arrays:
        a.flags.writeable = False
    delta = coordinate_decrease(A, y, z, loss=loss, penalty=penalty, alpha=0.3, weights=w,
                                sample_weight=sw)
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(delta))
