"""weighted_omp: parity with scikit-learn's OMP, iteration semantics, stops, the exact lad refit,
invariances and alpha_max."""

import warnings

import numpy as np
import pytest
from scipy.optimize import linprog
from sklearn.linear_model import orthogonal_mp

from skreg.datasets import make_compressive_sensing
from skreg.greedy import coordinate_decrease, weighted_omp
from skreg.greedy._solver import GreedyProblem, lad_refit

RULES = [(loss, pen) for loss in ("lasso", "sqrt", "lad") for pen in ("l0", "l1")]
LOSSES = ("lasso", "sqrt", "lad")


def _data(seed, m=30, N=12, intercept=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, N)) * rng.uniform(0.5, 3.0, N) + rng.standard_normal(N)
    coef = np.zeros(N)
    coef[[1, N // 2, N - 1]] = [2.0, -1.5, 1.0]
    y = X @ coef + intercept + 0.3 * rng.standard_normal(m)
    return X, y


def _normalization(X, sw, fit_intercept):
    """The iteration's design: (weighted) centred columns of unit weighted norm."""
    mean = sw @ X / sw.sum() if fit_intercept else np.zeros(X.shape[1])
    Xc = X - mean
    norms = np.sqrt(sw @ (Xc * Xc))
    return Xc / norms, mean, norms


def _data_fit(loss, r, sw):
    if loss == "lasso":
        return float(sw @ (r * r))
    if loss == "sqrt":
        return float(np.sqrt(sw @ (r * r)))
    return float(sw @ np.abs(r))


def _objective(loss, penalty, alpha, w, X, y, sw, coef, intercept, norms):
    """G in the normalized scale, from a model in the scale of X."""
    z = coef * norms
    pen = w @ np.abs(z) if penalty == "l1" else (w * w) @ (z != 0)
    return _data_fit(loss, y - X @ coef - intercept, sw) + alpha * pen


def _sklearn_order(path):
    """Order in which the features enter a path of nested supports."""
    order = []
    for k in range(path.shape[1]):
        new = [j for j in np.flatnonzero(path[:, k]) if j not in order]
        assert len(new) == 1
        order.extend(new)
    return order


# --------------------------------------------------------------------------------------------
# parity with scikit-learn's orthogonal matching pursuit
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("m, N, k", [(40, 15, 10), (30, 30, 20), (25, 80, 20), (60, 300, 30)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_plain_omp_matches_sklearn_path(m, N, k, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, N))
    X /= np.linalg.norm(X, axis=0)
    y = X[:, :5] @ rng.standard_normal(5) + 0.1 * rng.standard_normal(m)
    path = orthogonal_mp(X, y, n_nonzero_coefs=k, return_path=True)
    res = weighted_omp(X, y, n_nonzero_coefs=k, max_iter=k)
    assert res.support.tolist() == _sklearn_order(path)
    assert res.coef_path.shape == path.shape
    np.testing.assert_allclose(res.coef_path, path, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.coef, path[:, -1], rtol=0, atol=1e-10)
    assert res.intercept == 0.0


@pytest.mark.parametrize("m, N", [(40, 15), (25, 80)])
@pytest.mark.parametrize("seed", [0, 3])
def test_plain_omp_tol_matches_sklearn(m, N, seed):
    """tol is the squared residual norm, checked after each refit, as scikit-learn's."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, N))
    X /= np.linalg.norm(X, axis=0)
    y = rng.standard_normal(m)
    full = weighted_omp(X, y, n_nonzero_coefs=12, max_iter=12)
    rss = np.array([np.sum((y - X @ full.coef_path[:, k]) ** 2) for k in range(12)])
    assert np.all(np.diff(rss) < 0)
    for stop_at in (2, 5, 9):
        tol = 0.5 * (rss[stop_at - 1] + rss[stop_at - 2])  # reached at iteration stop_at
        path = orthogonal_mp(X, y, tol=tol, return_path=True)
        res = weighted_omp(X, y, tol=tol)
        assert res.stop_reason == "tol"
        assert res.support.size == stop_at == path.shape[1]
        assert res.support.tolist() == _sklearn_order(path)
        np.testing.assert_allclose(res.coef_path, path, rtol=0, atol=1e-10)
        assert np.sum((y - X @ res.coef) ** 2) <= tol


# --------------------------------------------------------------------------------------------
# iteration semantics
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("loss, penalty", RULES)
def test_paths_are_consistent(loss, penalty, fit_intercept):
    """loss_path is G of the reported models; each coef_path column is supported on the first
    k selected features; the data fit never increases; with l0 (strict mode) G decreases
    strictly at every iteration, starting below G(0)."""
    X, y = _data(0, intercept=2.0 if fit_intercept else 0.0)
    rng = np.random.default_rng(1)
    sw = rng.uniform(0.5, 2.0, X.shape[0])
    w = rng.uniform(0.5, 1.5, X.shape[1])
    alpha = {"lasso": 0.2, "sqrt": 0.02, "lad": 0.1}[loss]
    res = weighted_omp(X, y, loss=loss, penalty=penalty, alpha=alpha, weights=w,
                       sample_weight=sw, fit_intercept=fit_intercept, n_nonzero_coefs=8,
                       max_iter=8)
    n_steps = res.coef_path.shape[1]
    assert n_steps >= 3
    assert res.loss_path.shape == res.intercept_path.shape == (n_steps,)
    assert res.n_iter in (n_steps, n_steps + 1)
    assert np.array_equal(res.coef, res.coef_path[:, -1])
    assert res.intercept == res.intercept_path[-1]
    if not fit_intercept:
        np.testing.assert_array_equal(res.intercept_path, 0.0)
    _, _, norms = _normalization(X, sw, fit_intercept)
    fits, gs = [], []
    for k in range(n_steps):
        assert set(np.flatnonzero(res.coef_path[:, k])) == set(res.support[:k + 1])
        coef, b = res.coef_path[:, k], res.intercept_path[k]
        fits.append(_data_fit(loss, y - X @ coef - b, sw))
        gs.append(_objective(loss, penalty, alpha, w, X, y, sw, coef, b, norms))
    np.testing.assert_allclose(res.loss_path, gs, rtol=1e-10)
    fits = np.array(fits)
    assert np.all(np.diff(fits) <= 1e-12 * fits[0])
    if loss == "lad" and fit_intercept:  # the best constant: a weighted median of y
        g0 = min(sw @ np.abs(y - t) for t in y)
    else:
        g0 = _data_fit(loss, y - (sw @ y / sw.sum() if fit_intercept else 0.0), sw)
    assert fits[0] < g0
    if penalty == "l0":
        assert np.all(np.diff(res.loss_path) < 0)
        assert res.loss_path[0] < g0


def test_l1_refit_can_increase_G_but_not_the_fit():
    """The unpenalized refit may increase the l1 penalty by more than the fit decreases: G is
    not monotone for l1 rules (only the data fit is)."""
    found = False
    for seed in range(20):
        X, y = _data(seed, m=20, N=10)
        res = weighted_omp(X, y, loss="lasso", penalty="l1", alpha=3.0, n_nonzero_coefs=8,
                           max_iter=8)
        if np.any(np.diff(res.loss_path) > 0):
            found = True
            break
    assert found


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("loss, penalty", RULES)
def test_iteration_follows_the_rule(loss, penalty, fit_intercept):
    """support[k] is the argmin of coordinate_decrease at the k-th iterate (normalized scale,
    centred data emulating the intercept)."""
    X, y = _data(2, m=25, N=10, intercept=1.0 if fit_intercept else 0.0)
    sw = np.ones(X.shape[0])
    alpha = {"lasso": 0.5, "sqrt": 0.05, "lad": 0.2}[loss]
    res = weighted_omp(X, y, loss=loss, penalty=penalty, alpha=alpha,
                       fit_intercept=fit_intercept, n_nonzero_coefs=6, max_iter=6)
    A, mean, norms = _normalization(X, sw, fit_intercept)
    z = np.zeros(X.shape[1])
    b = 0.0
    for k, j in enumerate(res.support):
        if fit_intercept:
            if loss == "lad":  # the lad intercept is refitted: residual y - b_k - A z_k
                b = (np.sort(y)[(y.size - 1) // 2] if k == 0 else
                     res.intercept_path[k - 1] + mean @ res.coef_path[:, k - 1])
            else:
                b = y.mean()
        delta = coordinate_decrease(A, y - b, z, loss=loss, penalty=penalty, alpha=alpha)
        assert np.argmin(delta) == j
        assert delta[j] < 0
        z = res.coef_path[:, k] * norms


@pytest.mark.parametrize("loss", LOSSES)
def test_stop_n_nonzero_coefs_and_max_iter(loss):
    X, y = _data(3)
    res = weighted_omp(X, y, loss=loss, n_nonzero_coefs=3, max_iter=10)
    assert res.stop_reason == "n_nonzero_coefs"
    assert res.support.size == 3 and res.n_iter == 3 and res.coef_path.shape == (12, 3)
    res = weighted_omp(X, y, loss=loss, n_nonzero_coefs=5, max_iter=2)
    assert res.stop_reason == "max_iter"
    assert res.support.size == 2 and res.n_iter == 2
    # defaults as scikit-learn's: 10% of the features, at least one
    res = weighted_omp(X, y, loss=loss)
    assert res.support.size == 1
    X2 = np.hstack([X] * 3)[:, :30] + 1e-3 * np.random.default_rng(0).standard_normal((30, 30))
    assert weighted_omp(X2, y, loss=loss).support.size == 3


@pytest.mark.parametrize("loss", LOSSES)
def test_stop_tol_on_the_data_fit(loss):
    """tol applies to F itself: squared norm (lasso), norm (sqrt), absolute sum (lad)."""
    X, y = _data(4)
    full = weighted_omp(X, y, loss=loss, n_nonzero_coefs=8, max_iter=8)
    fits = np.array([_data_fit(loss, y - X @ full.coef_path[:, k], np.ones(30))
                     for k in range(full.coef_path.shape[1])])
    assert full.coef_path.shape[1] >= 6
    for stop_at in (1, 3, 6):
        tol = fits[stop_at - 1] * (1 + 1e-9) if stop_at == 1 else \
            0.5 * (fits[stop_at - 1] + fits[stop_at - 2])
        res = weighted_omp(X, y, loss=loss, tol=tol)
        assert res.stop_reason == "tol"
        assert res.support.size == stop_at
        assert res.support.tolist() == full.support[:stop_at].tolist()
    # tol with n_nonzero_coefs: whichever comes first
    res = weighted_omp(X, y, loss=loss, tol=0.0, n_nonzero_coefs=4, max_iter=20)
    assert res.stop_reason == "n_nonzero_coefs" and res.support.size == 4


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("loss, penalty", RULES)
def test_stop_no_decrease_at_large_alpha(loss, penalty, fit_intercept):
    X, y = _data(5, intercept=3.0)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, 30)
    res = weighted_omp(X, y, loss=loss, penalty=penalty, alpha=1e6, sample_weight=sw,
                       fit_intercept=fit_intercept, max_iter=5)
    assert res.stop_reason == "no_decrease"
    assert res.n_iter == 1
    assert res.support.size == 0
    assert res.coef_path.shape == (12, 0) and res.loss_path.shape == (0,)
    np.testing.assert_array_equal(res.coef, 0.0)
    if not fit_intercept:
        assert res.intercept == 0.0
    elif loss == "lad":  # a weighted median of y
        b = res.intercept
        assert b in y
        assert sw[y < b].sum() <= sw.sum() / 2 and sw[y > b].sum() <= sw.sum() / 2
    else:
        assert res.intercept == pytest.approx(sw @ y / sw.sum(), rel=1e-14)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("loss, penalty", RULES)
def test_nothing_to_fit(loss, penalty, fit_intercept):
    """y = 0 (or a constant with an intercept): no coordinate decreases G, even at alpha=0."""
    X, _ = _data(18)
    y = np.full(30, 2.5) if fit_intercept else np.zeros(30)
    res = weighted_omp(X, y, loss=loss, penalty=penalty, fit_intercept=fit_intercept,
                       n_nonzero_coefs=4)
    assert res.support.size == 0 and res.stop_reason == "no_decrease" and res.n_iter == 1
    np.testing.assert_array_equal(res.coef, 0.0)
    assert res.intercept == (2.5 if fit_intercept else 0.0)


@pytest.mark.parametrize("loss, penalty", RULES)
def test_add_mode_runs_max_iter_and_takes_the_first_index(loss, penalty):
    """on_no_decrease="add" (the paper's Algorithm 1): when every Delta is 0 (huge alpha) the
    first index is added and refitted without penalty; then nothing new is added but the
    iteration runs to max_iter. The strict mode stops at once."""
    X, y = _data(6)
    strict = weighted_omp(X, y, loss=loss, penalty=penalty, alpha=1e8, max_iter=4,
                          n_nonzero_coefs=4)
    assert strict.stop_reason == "no_decrease" and strict.n_iter == 1
    res = weighted_omp(X, y, loss=loss, penalty=penalty, alpha=1e8, max_iter=4,
                       n_nonzero_coefs=4, on_no_decrease="add")
    assert res.stop_reason == "max_iter"
    assert res.n_iter == 4 and res.coef_path.shape == (12, 4)
    assert res.support.tolist() == [0]
    # the coefficient is the unpenalized refit on column 0
    x0 = X[:, 0]
    if loss == "lad":
        ratios = y / x0
        ref = min(ratios, key=lambda t: np.abs(y - t * x0).sum())
        assert np.abs(y - res.coef[0] * x0).sum() == pytest.approx(
            np.abs(y - ref * x0).sum(), rel=1e-12)
    else:
        assert res.coef[0] == pytest.approx(x0 @ y / (x0 @ x0), rel=1e-12)
    for k in range(4):
        np.testing.assert_array_equal(res.coef_path[:, k], res.coef)
    # G went up: the paper's mode adds without a decrease
    assert res.loss_path[0] > _data_fit(loss, y, np.ones(30))


@pytest.mark.parametrize("loss", LOSSES)
def test_add_mode_agrees_with_strict_mode_while_it_decreases(loss):
    X, y = _data(7)
    strict = weighted_omp(X, y, loss=loss, penalty="l0", alpha=0.5, max_iter=12,
                          n_nonzero_coefs=12)
    assert strict.stop_reason == "no_decrease"
    k = strict.support.size
    add = weighted_omp(X, y, loss=loss, penalty="l0", alpha=0.5, max_iter=12,
                       n_nonzero_coefs=12, on_no_decrease="add")
    assert add.support[:k].tolist() == strict.support.tolist()
    np.testing.assert_allclose(add.coef_path[:, :k], strict.coef_path, rtol=1e-10,
                               atol=1e-12)
    # it does not stop without a decrease: max_iter iterations (or every feature added)
    assert add.n_iter == add.coef_path.shape[1] == 12
    assert add.stop_reason in ("max_iter", "n_nonzero_coefs")


def test_dependent_column_strict_mode():
    """A near-duplicate (orthogonal part 2.5e-13 < 1e-12) chosen with a real decrease."""
    rng = np.random.default_rng(0)
    u = rng.standard_normal(10)
    u /= np.linalg.norm(u)
    n = rng.standard_normal(10)
    n -= (u @ n) * u
    n /= np.linalg.norm(n)
    dup = u + 5e-7 * n
    X = np.column_stack([u, dup / np.linalg.norm(dup)])
    y = u + 10.0 * n
    with pytest.warns(RuntimeWarning, match="depends linearly"):
        res = weighted_omp(X, y, n_nonzero_coefs=2)
    assert res.stop_reason == "dependent"
    assert res.support.tolist() == [1]
    assert res.n_iter == 2 and res.coef_path.shape == (2, 1)
    # the decrease it found was real (above the no-decrease threshold 1e-13 ||y||^2)
    r = y - X @ res.coef
    assert (X[:, 0] @ r) ** 2 > 1e-13 * (y @ y)


def _duplicate_design():
    """Column 0 duplicates column 2; y = 2 x_2 is interpolated exactly after one step
    (x_2 has norm 2: its normalization and the refit are exact, the residual is exactly 0)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((8, 4))
    X[:, 2] = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    X[:, 0] = X[:, 2]
    y = 2.0 * X[:, 2]
    w = np.array([2.0, 1.0, 1.0, 1.0])  # the duplicate is penalized more: 2 is taken first
    return X, y, w


@pytest.mark.parametrize("loss, penalty", [r for r in RULES if r != ("lasso", "l1")])
def test_dependent_column_add_mode(loss, penalty):
    """At the interpolation every Delta is 0: the paper's first-index rule then picks the
    duplicate column 0, which depends on the selected column 2."""
    X, y, w = _duplicate_design()
    kw = {"loss": loss, "penalty": penalty, "alpha": 0.1, "weights": w, "max_iter": 4,
          "n_nonzero_coefs": 4}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # strict mode: no warning, just no decrease
        strict = weighted_omp(X, y, **kw)
    assert strict.support.tolist() == [2] and strict.stop_reason == "no_decrease"
    with pytest.warns(RuntimeWarning, match="depends linearly"):
        res = weighted_omp(X, y, on_no_decrease="add", **kw)
    assert res.stop_reason == "dependent"
    assert res.support.tolist() == [2]
    assert res.coef_path.shape[1] == 1 and res.n_iter == 2
    np.testing.assert_allclose(res.coef, [0.0, 0.0, 2.0, 0.0], atol=1e-12)


def test_add_mode_lasso_l1_reselects_the_shrinkable_coordinate():
    """lasso-l1 at an unpenalized refit: shrinking a selected coefficient decreases G
    (Delta = -ell^2 / 4 < 0), so the argmin is the selected coordinate, not the duplicate."""
    X, y, w = _duplicate_design()
    A = X / np.linalg.norm(X, axis=0)
    z = np.array([0.0, 0.0, 4.0, 0.0])  # the refit on the normalized column 2
    delta = coordinate_decrease(A, y, z, loss="lasso", penalty="l1", alpha=0.1, weights=w)
    np.testing.assert_allclose(delta, [0.0, 0.0, -0.0025, 0.0], rtol=1e-12, atol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = weighted_omp(X, y, loss="lasso", penalty="l1", alpha=0.1, weights=w,
                           max_iter=4, n_nonzero_coefs=4, on_no_decrease="add")
    assert res.support.tolist() == [2]
    assert res.stop_reason == "max_iter" and res.n_iter == 4


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("loss", LOSSES)
def test_zero_and_constant_columns_never_selected(loss, fit_intercept):
    X, y = _data(8, m=20, N=6)
    X[:, 2] = 0.0
    if fit_intercept:
        X[:, 4] = 3.7  # constant: zero once centred
    res = weighted_omp(X, y, loss=loss, fit_intercept=fit_intercept, n_nonzero_coefs=6,
                       max_iter=6)
    assert 2 not in res.support
    assert res.coef[2] == 0.0
    if fit_intercept:
        assert 4 not in res.support and res.coef[4] == 0.0
    assert res.stop_reason == "no_decrease"
    assert res.support.size == (4 if fit_intercept else 5)


# --------------------------------------------------------------------------------------------
# the lad refit is an exact least-absolute-deviations fit
# --------------------------------------------------------------------------------------------
def _lad_lp(B, y, sw, fit_intercept):
    m, k = B.shape
    if fit_intercept:
        B = np.hstack([B, np.ones((m, 1))])
        k += 1
    c = np.concatenate([np.zeros(k), sw, sw])
    A_eq = np.hstack([B, np.eye(m), -np.eye(m)])
    bounds = [(None, None)] * k + [(0, None)] * (2 * m)
    sol = linprog(c, A_eq=A_eq, b_eq=y, bounds=bounds, method="highs")
    assert sol.status == 0
    return sol.fun


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("penalty", ["l0", "l1"])
def test_lad_refit_is_the_lp_optimum(penalty, fit_intercept):
    X, y = _data(9, m=40, N=10, intercept=1.0)
    rng = np.random.default_rng(2)
    y[rng.choice(40, 4, replace=False)] += 50.0  # outliers
    sw = rng.uniform(0.2, 2.0, 40)
    res = weighted_omp(X, y, loss="lad", penalty=penalty, alpha=0.05, sample_weight=sw,
                       fit_intercept=fit_intercept, n_nonzero_coefs=7, max_iter=7)
    assert res.coef_path.shape[1] >= 4
    scale = np.abs(y).max()
    for k in range(res.coef_path.shape[1]):
        S = res.support[:k + 1]
        r = y - X @ res.coef_path[:, k] - res.intercept_path[k]
        fit = sw @ np.abs(r)
        ref = _lad_lp(X[:, S], y, sw, fit_intercept)
        assert fit == pytest.approx(ref, rel=1e-10)
        # a vertex: at least |S| (+1) interpolated samples (zero up to the rescaling)
        n_zero = np.sum(np.abs(r) <= 1e-13 * scale)
        assert n_zero >= S.size + fit_intercept


@pytest.mark.parametrize("k", [1, 3, 6])
def test_lad_refit_kernel_has_exact_zeros(k):
    rng = np.random.default_rng(k)
    m = 30
    B = np.hstack([rng.standard_normal((m, k)), np.ones((m, 1))])
    y = B @ rng.standard_normal(k + 1) + rng.standard_cauchy(m)
    sw = rng.uniform(0.1, 3.0, m)
    sw[[0, 5]] = 0.0
    coef = lad_refit(np.asfortranarray(B), y, sw)
    r = y - B @ coef
    # a vertex: k + 1 interpolated samples (zero up to the rounding of B @ coef)
    small = np.abs(r[sw > 0]) <= 1e-14 * np.abs(y).max()
    assert np.sum(small) >= k + 1
    assert sw @ np.abs(r) == pytest.approx(_lad_lp(B, y, sw, False), rel=1e-12)


# --------------------------------------------------------------------------------------------
# invariances
# --------------------------------------------------------------------------------------------
def _assert_same_result(a, b, rtol=1e-9):
    assert a.support.tolist() == b.support.tolist()
    assert a.stop_reason == b.stop_reason and a.n_iter == b.n_iter
    scale = np.abs(a.coef_path).max(initial=1.0)
    np.testing.assert_allclose(a.coef_path, b.coef_path, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(a.intercept_path, b.intercept_path, rtol=rtol,
                               atol=rtol * scale)
    np.testing.assert_allclose(a.loss_path, b.loss_path, rtol=rtol)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("loss, penalty", RULES)
def test_integer_sample_weight_is_repetition(loss, penalty, fit_intercept):
    X, y = _data(10, m=25, N=8, intercept=1.5)
    rng = np.random.default_rng(3)
    sw = rng.integers(0, 4, 25)
    sw[:3] = [0, 1, 3]
    Xr, yr = np.repeat(X, sw, axis=0), np.repeat(y, sw)
    alpha = {"lasso": 0.5, "sqrt": 0.03, "lad": 0.3}[loss]
    kw = {"loss": loss, "penalty": penalty, "alpha": alpha, "fit_intercept": fit_intercept,
          "n_nonzero_coefs": 5, "max_iter": 5}
    a = weighted_omp(X, y, sample_weight=sw.astype(float), **kw)
    b = weighted_omp(Xr, yr, **kw)
    assert a.support.size >= 2
    _assert_same_result(a, b, rtol=1e-8)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("loss, penalty", RULES)
def test_column_scaling_invariance(loss, penalty, fit_intercept):
    """Columns are normalized internally: positive column scales change only coef's scale."""
    X, y = _data(11, intercept=1.0)
    d = np.random.default_rng(4).uniform(0.01, 100.0, X.shape[1])
    alpha = {"lasso": 0.5, "sqrt": 0.03, "lad": 0.3}[loss]
    kw = {"loss": loss, "penalty": penalty, "alpha": alpha, "fit_intercept": fit_intercept,
          "n_nonzero_coefs": 6, "max_iter": 6}
    a = weighted_omp(X, y, **kw)
    b = weighted_omp(X * d, y, **kw)
    assert a.support.tolist() == b.support.tolist() and a.support.size >= 2
    np.testing.assert_allclose(b.coef_path * d[:, None], a.coef_path, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(X @ a.coef + a.intercept, X * d @ b.coef + b.intercept,
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.loss_path, b.loss_path, rtol=1e-9)


@pytest.mark.parametrize("loss", LOSSES)
def test_y_scaling_plain_omp(loss):
    X, y = _data(12)
    a = weighted_omp(X, y, loss=loss, n_nonzero_coefs=6)
    for c in (1e-3, 7.0):
        b = weighted_omp(X, c * y, loss=loss, n_nonzero_coefs=6)
        assert a.support.tolist() == b.support.tolist()
        np.testing.assert_allclose(b.coef_path, c * a.coef_path, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("loss", ["sqrt", "lad"])
def test_l1_sqrt_and_lad_are_blind_to_the_scale_of_y(loss):
    """G(cz; cy) = c G(z; y) for the sqrt and lad losses with the l1 penalty: at a fixed alpha
    the selected support and the stop do not depend on the scale of y (the noise-blind
    property); the lasso rule's do (contrast below)."""
    X, y = _data(13, m=40, N=15, intercept=0.5)
    alpha = {"sqrt": 0.1, "lad": 1.0}[loss]
    a = weighted_omp(X, y, loss=loss, penalty="l1", alpha=alpha, fit_intercept=True,
                     max_iter=10, n_nonzero_coefs=10)
    assert a.stop_reason == "no_decrease" and 2 <= a.support.size < 10
    for c in (1e-4, 0.1, 30.0, 1e5):
        b = weighted_omp(X, c * y, loss=loss, penalty="l1", alpha=alpha, fit_intercept=True,
                         max_iter=10, n_nonzero_coefs=10)
        assert b.support.tolist() == a.support.tolist()
        assert b.stop_reason == a.stop_reason
        np.testing.assert_allclose(b.coef, c * a.coef, rtol=1e-8, atol=1e-12 * c)
    # the lasso rule at one alpha selects fewer features when y shrinks
    sizes = [weighted_omp(X, c * y, loss="lasso", penalty="l1", alpha=2.0, max_iter=10,
                          n_nonzero_coefs=10, fit_intercept=True).support.size
             for c in (0.01, 1.0, 100.0)]
    assert sizes[0] < sizes[1] < sizes[2]


@pytest.mark.parametrize("loss, penalty", RULES)
def test_zero_weight_feature_is_unpenalized(loss, penalty):
    X, y = _data(14)
    y = y + 0.5 * X[:, 9]
    w = np.ones(12)
    w[9] = 0.0
    res = weighted_omp(X, y, loss=loss, penalty=penalty, alpha=1e6, weights=w, max_iter=5,
                       n_nonzero_coefs=5, fit_intercept=True)
    assert res.support.tolist() == [9]
    assert res.stop_reason == "no_decrease"
    plain = weighted_omp(X, y, loss=loss, penalty=penalty, alpha=1e6, max_iter=5,
                         n_nonzero_coefs=5, fit_intercept=True)
    assert plain.support.size == 0


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("loss, penalty", RULES)
def test_alpha_max(loss, penalty, fit_intercept):
    """Above alpha_max no feature is selected; just below it one is."""
    X, y = _data(15, intercept=2.0)
    rng = np.random.default_rng(5)
    sw = rng.uniform(0.5, 2.0, 30)
    w = rng.uniform(0.5, 2.0, 12)
    amax = GreedyProblem(X, y, sw, loss, fit_intercept).alpha_max(w, penalty)
    assert 0 < amax < np.inf
    kw = {"loss": loss, "penalty": penalty, "weights": w, "sample_weight": sw,
          "fit_intercept": fit_intercept, "max_iter": 3}
    above = weighted_omp(X, y, alpha=1.0001 * amax, **kw)
    assert above.support.size == 0 and above.stop_reason == "no_decrease"
    below = weighted_omp(X, y, alpha=0.9 * amax, **kw)
    assert below.support.size >= 1


def test_alpha_max_infinite_with_an_unpenalized_feature():
    X, y = _data(16)
    w = np.ones(12)
    w[3] = 0.0
    for loss, penalty in RULES:
        assert GreedyProblem(X, y, np.ones(30), loss, True).alpha_max(w, penalty) == np.inf


# --------------------------------------------------------------------------------------------
# recovery on an easy compressive-sensing problem
# --------------------------------------------------------------------------------------------
RECOVERY_ALPHA = {("lasso", "l0"): 0.05, ("lasso", "l1"): 0.2, ("sqrt", "l0"): 0.05,
                  ("sqrt", "l1"): 0.3, ("lad", "l0"): 0.5, ("lad", "l1"): 2.0}


@pytest.mark.parametrize("seed", [0, 2])
@pytest.mark.parametrize("loss, penalty", RULES)
def test_every_rule_recovers_the_support(loss, penalty, seed):
    X, y, coef = make_compressive_sensing(60, 120, n_nonzero=4, noise_level=0.01,
                                          random_state=seed)
    res = weighted_omp(X, y, loss=loss, penalty=penalty, alpha=RECOVERY_ALPHA[loss, penalty],
                       max_iter=15, n_nonzero_coefs=15)
    # the penalty stops the iteration at the true support
    assert res.stop_reason == "no_decrease"
    assert sorted(res.support.tolist()) == np.flatnonzero(coef).tolist()
    assert np.linalg.norm(res.coef - coef) < 0.05


@pytest.mark.parametrize("seed", [0, 1])
def test_lad_rules_resist_outliers(seed):
    X, y, coef = make_compressive_sensing(60, 120, n_nonzero=4, noise_level=0.01,
                                          outlier_fraction=0.1, outlier_magnitude=100.0,
                                          random_state=seed)
    true = np.flatnonzero(coef).tolist()
    for penalty, alpha in (("l0", 0.5), ("l1", 0.5)):
        res = weighted_omp(X, y, loss="lad", penalty=penalty, alpha=alpha, n_nonzero_coefs=4)
        assert sorted(res.support.tolist()) == true
        assert np.linalg.norm(res.coef - coef) < 0.05
    ls = weighted_omp(X, y, loss="lasso", n_nonzero_coefs=4)
    assert np.linalg.norm(ls.coef - coef) > 1.0


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
BAD_PARAMS = [
    ({"loss": "huber"}, ValueError, "loss"),
    ({"loss": None}, ValueError, "loss"),
    ({"penalty": "l2"}, ValueError, "penalty"),
    ({"on_no_decrease": "skip"}, ValueError, "on_no_decrease"),
    ({"alpha": -0.1}, ValueError, "alpha"),
    ({"alpha": np.nan}, ValueError, "alpha"),
    ({"alpha": np.inf}, ValueError, "alpha"),
    ({"alpha": "1"}, TypeError, "alpha"),
    ({"n_nonzero_coefs": 0}, ValueError, "n_nonzero_coefs"),
    ({"n_nonzero_coefs": 2.5}, TypeError, "n_nonzero_coefs"),
    ({"max_iter": 0}, ValueError, "max_iter"),
    ({"max_iter": 3.0}, TypeError, "max_iter"),
    ({"tol": -1.0}, ValueError, "tol"),
    ({"tol": np.nan}, ValueError, "tol"),
    ({"tol": "small"}, TypeError, "tol"),
    ({"weights": -np.ones(12)}, ValueError, "weights"),
    ({"weights": np.ones(3)}, ValueError, "weights"),
    ({"sample_weight": np.ones(5)}, ValueError, "sample_weight"),
    ({"fit_intercept": "yes"}, TypeError, "fit_intercept"),
]


@pytest.mark.parametrize("kwargs, exc, match", BAD_PARAMS)
def test_weighted_omp_validation(kwargs, exc, match):
    X, y = _data(0)
    with pytest.raises(exc, match=match):
        weighted_omp(X, y, **kwargs)


@pytest.mark.parametrize("loss, penalty", RULES)
def test_inputs_not_modified_and_read_only_ok(loss, penalty):
    X, y = _data(17)
    rng = np.random.default_rng(6)
    sw = rng.uniform(0.5, 2.0, 30)
    w = rng.uniform(0.5, 2.0, 12)
    kw = {"loss": loss, "penalty": penalty, "alpha": 0.1, "fit_intercept": True,
          "n_nonzero_coefs": 4}
    ref = weighted_omp(X, y, weights=w, sample_weight=sw, **kw)
    arrays = [np.asfortranarray(X.copy()), y.copy(), sw.copy(), w.copy()]
    before = [a.copy() for a in arrays]
    for a in arrays:
        a.flags.writeable = False
    res = weighted_omp(arrays[0], arrays[1], sample_weight=arrays[2], weights=arrays[3], **kw)
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)
    _assert_same_result(res, ref, rtol=1e-12)
