"""Square-root Lasso: a scale search over warm-started Lasso solves, certified by its own gap.

The problem (``S = sum_i s_i``, ``rho(w)^2 = sum_i s_i (y_i - x_i w - b)^2 / S``)

    min_w  rho(w) + alpha sum_j v_j |w_j|

is, through the concomitant scale ``sigma`` (Owen 2007; Belloni, Chernozhukov and Wang 2011),

    min_{w, sigma > 0}  rho(w)^2 / (2 sigma) + sigma / 2 + alpha sum_j v_j |w_j|,

jointly convex. For a fixed ``sigma`` the minimizer in ``w`` is the Lasso solution ``w(lambda)``
at ``lambda = alpha sigma``, and ``f(sigma)``, the partial minimum, is convex with
``2 f'(sigma) = 1 - rho(w(alpha sigma))^2 / sigma^2``. The optimal scale is therefore the root
of the non-increasing function ``q(sigma) = rho(w(alpha sigma)) / sigma - 1``. The fixed-point
map ``sigma <- rho(w(alpha sigma))`` moves monotonically towards the root from either side;
secant steps inside the bracket accelerate it. Each step is one warm-started call of the
working-set coordinate-descent kernel, and the loop stops on the duality gap of the
square-root problem itself (not on the root-finding residual).

When the residual can vanish (``p >= n`` and a small alpha) the root is ``sigma = 0`` and the
solution is the minimum-l1 interpolant; ``sigma`` then decreases geometrically until the gap
certifies the interpolating fit. No step divides by a zero residual.
"""

from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit

from .._config import _numba_threads, _single_threaded_blas
from .._kernels.select import cho_solve, cholesky
from ._cd import (
    _correlations,
    _dual_scale,
    _project_unpenalized,
    _residual_stats,
    _unpenalized_columns,
)
from ._problem import DEFAULT_P0, SolveResult, weighted_gram, x_dot
from ._quantile import SMALL_PROGRAM

MAX_SCALE_STEPS = 100
LASSO_TOL_RATIO = 0.3  # the Lasso gap allowed per step, relative to the remaining budget
INTERPOLATION_SCALE = 0.05  # below sigma / rho(0), the interpolating solution is tried
INTERPOLATION_SUPPORT = 0.9  # ... when nnz is above this fraction of n
# the interpolant's coefficients below these fractions of the largest are tried as exact zeros
# (the interior point leaves such residue off the support; the certificate decides)
RESIDUE_LEVELS = (1e-5, 1e-7)
FUSED_SUPPORT = 64  # dense supports up to this size are polished in one compiled call
# n k^2 below which a Gram product is single-threaded in BLAS itself (OpenBLAS threads a
# GEMM above 4 x 65536 multiply-adds; this stays well under it)
TINY_PRODUCT = 65536
# a support whose Gram matrix has a Cholesky pivot below this times sqrt(max G_jj) is taken
# as collinear (condition number above ~1e14; exact collinearity leaves pivots ~1e-8)
PIVOT_FLOOR = 1e-7


@dataclass(frozen=True)
class SqrtResult(SolveResult):
    """:class:`SolveResult` with the concomitant noise estimate ``sigma = rho(w)``."""

    sigma: float = 0.0


@njit(cache=True, nogil=True)
def sqrt_lasso_gap(Xd, data, indices, indptr, is_sparse, z, d, unit_d, S, mu, sd, lips, l1,
                   positive, w, r, s):
    """``(primal, gap)`` of the square-root Lasso at ``w`` (residual ``r + s``).

    Dual: ``max theta^T z`` over ``sum_i theta_i^2 S / d_i <= 1``, ``|X~_j^T theta| <= l1_j``
    (one-sided when positive) and, implicitly through the centring, ``1^T theta = 0``. The
    point is ``theta = t d r' / (S rho')`` with ``r'`` the residual after refitting the
    unpenalized features (so their constraints hold exactly) and ``t <= 1`` the scaling into
    the l1 constraints. A zero ``r'`` gives ``theta = 0``.
    """
    n = r.shape[0]
    p = w.shape[0]
    l2 = np.zeros(p)
    rdr, _ = _residual_stats(r, s, z, d, unit_d)
    primal = np.sqrt(max(rdr, 0.0) / S)
    for j in range(p):
        if w[j] != 0.0:
            primal += l1[j] * abs(w[j])
    unpen, XU = _unpenalized_columns(Xd, data, indices, indptr, is_sparse, n, l1, l2, lips, mu)
    r_dual = np.empty(n)
    if unpen.shape[0] > 0:
        _project_unpenalized(XU, unpen, w, positive, d, unit_d, r, s, r_dual)
    else:
        for i in range(n):
            r_dual[i] = r[i] + s
    rdr_dual, rdz_dual = _residual_stats(r_dual, 0.0, z, d, unit_d)
    if not rdr_dual > 0.0:
        return primal, primal
    rho_dual = np.sqrt(rdr_dual / S)
    cols = np.arange(p)
    c = np.empty(p)
    _correlations(Xd, data, indices, indptr, is_sparse, cols, d, unit_d, r_dual, 0.0, mu, sd,
                  S, c)
    for j in range(p):
        c[j] /= rho_dual
    scale = _dual_scale(cols, c, l1, l2, positive)
    dual = scale * rdz_dual / (S * rho_dual)
    return primal, primal - dual


def solve_sqrt_lasso(problem, X, y, alpha, weights=None, positive=False, coef_init=None,
                     max_iter=1000, tol=1e-4, p0=DEFAULT_P0):
    """Square-root Lasso on a prepared :class:`QuadraticProblem` (of ``X``, ``y``).

    ``tol`` is relative to the objective at ``w = 0`` (with the best intercept), ``rho(0)``;
    ``max_iter`` caps the coordinate-descent epochs summed over the scale steps.
    Returns :class:`SqrtResult`.
    """
    p = problem.n_features
    v = np.ones(p) if weights is None else weights
    l1 = alpha * v
    zeros = np.zeros(p)
    rho0 = np.sqrt(2.0 * problem.null_objective)
    tol_abs = tol * rho0
    w = np.zeros(p) if coef_init is None else np.array(coef_init, dtype=np.float64)
    if rho0 == 0.0:
        intercept = problem.y_offset if problem.fit_intercept else 0.0
        return SqrtResult(np.zeros(p), float(intercept), 0, 0.0, True, 0.0)
    parts = problem.parts

    def gap_at(w, r, s):
        with _numba_threads():
            return sqrt_lasso_gap(*parts, problem.z, problem.d, problem.unit_d, problem.S,
                                  problem.mu, problem.sd, problem.lips, l1, bool(positive),
                                  w, r, s)

    def rho_of(r, s):
        return float(np.sqrt(problem.d @ ((r + s) ** 2) / problem.S))

    # start: the residual scale of the initial coefficients
    r = problem.z - _xw(problem, w)
    s = float(problem.mu @ w)
    sigma = rho_of(r, s)
    n_epochs = 0
    converged = False
    gap = np.inf
    hist = []  # (sigma, q) pairs for the secant steps
    lo, hi = 0.0, np.inf
    mismatch = None
    tight = LASSO_TOL_RATIO
    polished = None
    sigma_next = None
    tried_interpolation = False
    best = [np.inf, None]  # (gap, (w, r, s)): returned when the tolerance is not reached

    def keep(gap_value, point):
        if gap_value < best[0]:
            best[0], best[1] = gap_value, point

    def interpolate():
        """``(point, gap)``: the minimum-l1 interpolant, certified by the larger of its two
        dual values; first without its interior-point residue (the coefficients below
        ``RESIDUE_LEVELS`` times ``max |w|``, largest level first), kept if that point is
        certified too (exact zeros)."""
        w_i, r_i, s_i, dual = _interpolant(problem, X, y, alpha, v, positive, max_iter, tol,
                                           w)
        w_max = np.max(np.abs(w_i), initial=0.0)
        found = None
        for level in (*RESIDUE_LEVELS, 0.0):
            tiny = (np.abs(w_i) <= level * w_max) & (w_i != 0) & (v > 0)
            if level > 0.0 and not np.any(tiny):
                continue
            if level > 0.0:
                w_0 = np.where(tiny, 0.0, w_i)
                point = (w_0, problem.z - _xw(problem, w_0), float(problem.mu @ w_0))
            else:
                point = (w_i, r_i, s_i)
            primal, gap_c = gap_at(*point)
            gap_c = min(gap_c, primal - dual)
            keep(gap_c, point)
            if found is None or gap_c < found[1]:
                found = (point, gap_c)
            if gap_c <= tol_abs:
                return point, gap_c
        return found

    n_rows = int(np.count_nonzero(problem.d > 0))
    can_interpolate = problem.n_features + problem.fit_intercept >= n_rows
    if sigma < INTERPOLATION_SCALE * rho0:
        # a (nearly) interpolating start, typically the previous solution on a path: the
        # Lasso at so small a scale would crawl; test the interpolant first
        if can_interpolate:
            tried_interpolation = True
            point, gap_c = interpolate()
            if gap_c <= tol_abs:
                w, r, s = point
                intercept = problem.y_offset - s if problem.fit_intercept else 0.0
                return SqrtResult(w, float(intercept), 0, float(max(gap_c, 0.0)), True,
                                  rho_of(r, s))
        sigma = INTERPOLATION_SCALE * rho0
    for _ in range(MAX_SCALE_STEPS):
        if sigma <= 0.0:
            sigma = 1e-3 * rho0 if not hist else 1e-3 * hist[-1][0]
        # the Lasso at lambda = alpha sigma, to a gap that leaves room in the budget: loose
        # while the scale is far from its root, LASSO_TOL_RATIO * tol at the end
        budget = tight * tol_abs
        if mismatch is not None:
            budget = max(budget, 0.1 * mismatch)
        elif coef_init is None:
            budget = max(budget, 1e-3 * rho0)
        w, r, s, ep, _, _ = problem.run(l1 * sigma, zeros, positive, w,
                                        max(max_iter - n_epochs, 1), budget * sigma, p0)
        n_epochs += ep
        _, gap = gap_at(w, r, s)
        keep(gap, (w, r, s))
        rho = rho_of(r, s)
        if gap <= tol_abs:
            converged = True
            break
        mismatch = (rho - sigma) ** 2 / (2.0 * sigma) if sigma > 0 else np.inf
        if ep == 0:
            # the Lasso already met its budget here, and the scale with it: the certificate
            # needs a more accurate Lasso (its dual feasibility, not only its objective: a
            # feature whose constraint is violated by 0.2% at a 1e-8 Lasso gap); without
            # this, the steps would repeat the same point to MAX_SCALE_STEPS
            tight = 0.01 * tight
        support = np.sign(w).astype(np.int8).tobytes()  # the support with its signs
        if mismatch <= gap and support != polished:
            # the scale is (nearly) right: the gap is limited by the Lasso's accuracy, which
            # the certificate needs to first order; finish exactly on the support (once
            # per support and signs)
            polished = support
            cand, sigma_next = _polish(problem, l1, positive, w)
            if cand is not None:
                _, gap_c = gap_at(*cand)
                keep(gap_c, cand)
                if gap_c < gap:
                    w, r, s = cand
                    gap = gap_c
                    if gap <= tol_abs:
                        converged = True
                        break
            tight = 0.01 * tight
        q = rho / sigma - 1.0
        # a slow descent with a support nearly as large as the sample: a sign that the
        # scale is heading to 0 (interpolation) rather than to a positive root
        slow = len(hist) >= 2 and q < 0.0 and hist[-1][1] < 0.0 and q < 0.5 * hist[-1][1]
        # an interpolating optimum has a support of about the sample size; a small residual
        # alone only says that the noise is small (high signal-to-noise ratio)
        saturated = np.count_nonzero(w) >= INTERPOLATION_SUPPORT * (n_rows - 1)
        if (can_interpolate and not tried_interpolation and rho < sigma and saturated
                and (rho < INTERPOLATION_SCALE * rho0 or slow)):
            # the scale keeps shrinking (fast, or slowly without nearing a root): the optimum
            # may interpolate (sigma = 0), where the Lasso steps converge ever more slowly;
            # try the minimum-l1 interpolant directly
            tried_interpolation = True
            point, gap_c = interpolate()
            if gap_c <= tol_abs:
                w, r, s = point
                gap = gap_c
                converged = True
                break
        if n_epochs >= max_iter:
            break
        if q > 0.0:
            lo = max(lo, sigma)
        else:
            hi = min(hi, sigma)
        hist.append((sigma, q))
        new = rho  # fixed point: monotone towards the root from either side
        if sigma_next is not None and lo < sigma_next < hi and sigma_next > 0.0:
            # the root on the current support: exact if the support is right, and a
            # Newton-like step when signs still change on the way
            new = sigma_next
        elif len(hist) >= 2:
            (s1, q1), (s2, q2) = hist[-2], hist[-1]
            if q1 != q2:
                sec = s2 - q2 * (s2 - s1) / (q2 - q1)
                if lo < sec < hi and 0.1 * s2 < sec < 10.0 * s2:
                    new = sec
        if not new > 0.0:
            new = 0.5 * sigma  # interpolation: the residual vanished at this scale
        sigma = new
        sigma_next = None
    if not converged and best[1] is not None and best[0] < gap:
        # a tolerance below what the certificate can reach (e.g. an interpolating optimum
        # at tol < 1e-10) must not leave a worse point than one already found
        gap = best[0]
        w, r, s = best[1]
    intercept = problem.y_offset - s if problem.fit_intercept else 0.0
    return SqrtResult(w, float(intercept), int(n_epochs), float(max(gap, 0.0)), converged,
                      rho_of(r, s))


def _polish(problem, l1, positive, w):
    """Exact solution on the support of ``w``, if its signs are those of the optimum.

    On a fixed support ``A`` with signs ``g``, the Lasso solution is affine in lambda,
    ``w_A = u0 - lambda u1`` (``G u0 = X~_A^T D z``, ``G u1 = l1_A g / alpha``,
    ``G = X~_A^T D X~_A``, ``D = d / S``), and its residual is ``e0 + lambda X~_A u1`` with
    ``e0`` the least-squares residual, D-orthogonal to the span of ``X~_A``. The scale
    equation ``rho(alpha sigma) = sigma`` is then
    ``sigma^2 = e0^T D e0 / (1 - alpha^2 u1^T G u1)``: one square root, no iteration. It also
    covers interpolation (``e0 = 0``, ``sigma = 0``). Returns ``(candidate, sigma)``: the
    candidate ``(w, r, s)``, or None when ``G`` is singular, the scale equation has no root
    or a sign flips; ``sigma`` the scale root on this support (None if there is none), a
    Newton-like next scale when the signs flip.
    """
    forced = (w != 0) | ((l1 == 0) & (problem.lips > 0))
    cols = np.flatnonzero(forced).astype(np.int64)
    if cols.size == 0 or cols.size >= problem.n_samples:
        return None, None
    # small dense algebra (the support's Gram matrix and products with its n x |A| block):
    # single-threaded BLAS, whose threads would otherwise spin after each call and stall the
    # next parallel kernel (measured: a 0.6 ms gap took 4 ms after a 5000 x 18 product)
    sparse = sp.issparse(problem.X)
    work = problem.n_samples * cols.size ** 2
    fused = not sparse and cols.size <= FUSED_SUPPORT
    # the fused call's only BLAS product is its Gram matrix; below TINY_PRODUCT BLAS runs it
    # on the calling thread and no limit is needed (entering one costs ~8 us)
    limit = (sparse or work < SMALL_PROGRAM) and not (fused and work < TINY_PRODUCT)
    with _single_threaded_blas() if limit else nullcontext():
        return _polish_on(problem, l1, positive, w, cols, fused)


def _polish_on(problem, l1, positive, w, cols, fused):
    """:func:`_polish` on the support ``cols`` (the BLAS thread count already chosen);
    ``fused``: the support's algebra in one compiled call (small dense problems)."""
    sign = np.sign(w[cols])
    c = l1[cols] * sign  # lambda = sigma here
    if fused:
        ok, u0, u1, a0, a2, xu0, xu1 = _dense_support_solve(
            problem.parts[0], cols, problem.d, problem.S, problem.mu, problem.sd, problem.z, c)
    else:
        ok, u0, u1, a0, a2, xu0, xu1 = _support_solve(problem, cols, c)
    if not ok or not a2 < 1.0:
        return None, None
    sigma = float(np.sqrt(max(a0, 0.0) / (1.0 - a2)))
    wa = u0 - sigma * u1
    pen = l1[cols] > 0
    if np.any(np.sign(wa[pen]) != sign[pen]) or (positive and np.any(wa < 0)):
        return None, sigma
    new = np.zeros_like(w)
    new[cols] = wa
    r = problem.z - (xu0 - sigma * xu1)
    return (new, r, float(problem.mu @ new)), sigma


def _support_solve(problem, cols, c):
    """``(ok, u0, u1, a0, a2, X_A u0, X_A u1)`` of :func:`_polish` on the support ``cols``
    (any design; see :func:`_dense_support_solve` for the compiled dense version)."""
    XA = problem.X[:, cols]  # a CSC design stays sparse: weighted_gram centres implicitly
    G, b = weighted_gram(XA, problem.d, problem.S, problem.mu[cols], problem.sd, problem.z)
    try:
        L = np.linalg.cholesky(G)
    except np.linalg.LinAlgError:
        return (False,) + (None,) * 6
    if not np.all(np.isfinite(L)) or np.min(np.abs(np.diag(L))) <= PIVOT_FLOOR * np.sqrt(
            np.max(np.diag(G))):
        return (False,) + (None,) * 6
    k = cols.size
    u0 = cho_solve(L, b, k)
    u1 = cho_solve(L, c, k)
    xu0 = np.asarray(XA @ u0).ravel()
    xu1 = np.asarray(XA @ u1).ravel()
    e0 = problem.z - xu0 + float(problem.mu[cols] @ u0)
    a0 = float(problem.d @ (e0 * e0)) / problem.S
    a2 = float(u1 @ (G @ u1))
    return True, u0, u1, a0, a2, xu0, xu1


@njit(cache=True, nogil=True)
def _dense_support_solve(Xd, cols, d, S, mu, sd, z, c):
    """:func:`_support_solve` for a dense design, in one call (a small problem's polish was
    mostly the overhead of a dozen numpy and scipy calls).

    ``G = X~_A^T D X~_A``, ``b = X~_A^T D z`` (``D = d / S``, ``X~ = X - 1 mu^T``); ``u0 =
    G^{-1} b``, ``u1 = G^{-1} c``; ``a0 = e0^T D e0`` with ``e0 = z - X~_A u0``; ``a2 = u1^T G
    u1``; and the raw products ``X_A u0``, ``X_A u1``. ``ok`` is False when ``G`` is not
    numerically positive definite (a pivot below ``PIVOT_FLOOR sqrt(max G_jj)``).
    """
    n = Xd.shape[0]
    k = cols.shape[0]
    Xs = np.empty((k, n))  # rows: sqrt(D) times the support's columns
    root = np.sqrt(d / S)
    b = np.empty(k)
    dz = 0.0
    for i in range(n):
        dz += d[i] * z[i]
    dz /= S
    for q in range(k):
        j = cols[q]
        acc = 0.0
        for i in range(n):
            v = Xd[i, j] * root[i]
            Xs[q, i] = v
            acc += v * root[i] * z[i]
        b[q] = acc - mu[j] * dz
    G = np.dot(Xs, Xs.T)
    gmax = 0.0
    for q in range(k):
        for t in range(k):
            G[q, t] -= (sd / S) * mu[cols[q]] * mu[cols[t]]
        gmax = max(gmax, G[q, q])
    empty = np.empty(0)
    L, ok = cholesky(G)
    if not ok:
        return False, empty, empty, 0.0, 0.0, empty, empty
    for q in range(k):
        if not abs(L[q, q]) > PIVOT_FLOOR * np.sqrt(gmax):
            return False, empty, empty, 0.0, 0.0, empty, empty
    u0 = cho_solve(L, b, k)
    u1 = cho_solve(L, c, k)
    xu0 = np.zeros(n)
    xu1 = np.zeros(n)
    m0 = 0.0
    for q in range(k):
        j = cols[q]
        m0 += mu[j] * u0[q]
        for i in range(n):
            xu0[i] += Xd[i, j] * u0[q]
            xu1[i] += Xd[i, j] * u1[q]
    a0 = 0.0
    for i in range(n):
        e = z[i] - xu0[i] + m0
        a0 += d[i] * e * e
    a0 /= S
    Gu1 = np.dot(G, u1)
    a2 = 0.0
    for q in range(k):
        a2 += u1[q] * Gu1[q]
    return True, u0, u1, a0, a2, xu0, xu1


def _interpolant(problem, X, y, alpha, v, positive, max_iter, tol, coef_init=None):
    """Minimum-l1 interpolant and a sqrt-Lasso dual value certifying it.

    It is the LAD Lasso at a level ``eps`` small enough that, whenever the square-root
    Lasso's optimum interpolates, the LAD dual box contains the basis-pursuit dual point
    (exact penalty): ``eps = alpha / 2 min_i sqrt(d_i / S)``. Its dual point ``theta / eps``
    satisfies ``|X~_j^T .| <= v_j``; scaled by ``alpha`` into the unit ball of the
    square-root dual it certifies the interpolant. Returns ``(w, r, s, dual)``, ``dual`` the
    square-root dual value of that point.
    """
    from ._quantile import QuantileProblem

    d = problem.d
    eps = 0.5 * alpha * float(np.sqrt(np.min(d[d > 0]) / problem.S))
    lad = QuantileProblem(X, y, d, problem.fit_intercept, 0.5)
    # the program's accuracy (its interior point stops near 1e-10 relative) is not the
    # point: the square-root gap computed below decides
    res, theta = lad.solve(eps, v, positive, coef_init=coef_init, max_iter=max_iter,
                           tol=max(min(tol, 1e-6) * 1e-2, 1e-9), return_theta=True)
    w = res.coef
    r = problem.z - _xw(problem, w)
    s = float(problem.mu @ w)
    theta_bp = alpha * theta / eps
    keep = d > 0
    norm = float(np.sqrt(np.sum(theta_bp[keep] ** 2 * problem.S / d[keep])))
    dual = min(1.0, 1.0 / norm) * float(theta_bp @ y) if norm > 0 else 0.0
    return w, r, s, dual


def sqrt_alpha_max(problem, weights=None):
    """Smallest alpha giving ``w = 0``: the Lasso's bound over ``rho`` of its residual."""
    lasso_max, rho = problem.alpha_max(1.0, weights, return_rho=True)
    if not np.isfinite(lasso_max):
        return lasso_max
    return lasso_max / rho if rho > 0 else 0.0


def _xw(problem, w):
    return x_dot(problem.parts, problem.n_samples, w)
