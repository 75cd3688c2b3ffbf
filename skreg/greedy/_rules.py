r"""Selection rules of loss-based weighted OMP: the best one-coordinate decrease of the loss.

For the regularized loss :math:`G(z) = F(Az - y) + \lambda P_w(z)` with unit-norm columns
:math:`a_j`, the rule of coordinate ``j`` is

.. math:: \Delta_j = \min_t G(z + t e_j) - G(z) \le 0,

computed in closed form (lasso, sqrt) or by a weighted median (lad), for ``j`` inside and
outside the support alike. With :math:`r = y - Az`, :math:`c_j = a_j^T r`, :math:`R = \|r\|_2`,
:math:`\rho_j^2 = R^2 - c_j^2` and :math:`u = z_j + t` the new value of the coordinate,

* lasso, :math:`F = \|\cdot\|_2^2`: :math:`F(r - t a_j) - F(r) = (u - v_j)^2 - c_j^2` with
  :math:`v_j = z_j + c_j`;
* sqrt, :math:`F = \|\cdot\|_2`: :math:`F(r - t a_j) = \sqrt{(u - v_j)^2 + \rho_j^2}`;
* lad, :math:`F = \sum_i s_i |\cdot|`: :math:`F(r - t a_j) = \sum_i s_i |a_{ij}| |r_i / a_{ij} -
  t|` (+ the rows with :math:`a_{ij} = 0`), minimized by a weighted median;

and the penalty moves from :math:`\ell_j |z_j|` to :math:`\ell_j |u|` (``l1``, :math:`\ell_j =
\lambda w_j`) or from :math:`\ell_j 1[z_j \ne 0]` to :math:`\ell_j 1[u \ne 0]` (``l0``,
:math:`\ell_j = \lambda w_j^2`). The minimizers:

* l1-lasso: :math:`u = \mathrm{soft}(v_j, \ell_j / 2)`; outside the support this is
  :math:`\Delta_j = -\max(|c_j| - \ell_j / 2, 0)^2`;
* l1-sqrt: :math:`u = 0` when :math:`\ell_j \ge |v_j| / \sqrt{v_j^2 + \rho_j^2}`, else
  :math:`u = v_j - \mathrm{sign}(v_j) \ell_j \rho_j / \sqrt{1 - \ell_j^2}` with value
  :math:`\ell_j |v_j| + \sqrt{1 - \ell_j^2} \rho_j`; outside the support,
  :math:`\Delta_j = \ell_j |c_j| + \sqrt{1 - \ell_j^2}\rho_j - R` when
  :math:`\ell_j < |c_j| / R` and 0 otherwise (without that condition the formula reports a
  decrease that does not exist);
* l0 (every loss): the better of :math:`u = 0` and the unpenalized minimizer; outside the
  support, :math:`\min(\ell_j - c_j^2, 0)` (lasso) and :math:`\min(\rho_j - R + \ell_j, 0)`
  (sqrt);
* l1-lad: the weighted median of the points :math:`r_i / a_{ij}` (weights
  :math:`s_i |a_{ij}|`) and :math:`-z_j` (weight :math:`\ell_j`).

Differences of nearly equal norms are evaluated in cancellation-free forms (e.g.
:math:`\rho - R = -c^2 / (\rho + R)`), so that decreases are accurate relative to themselves.
"""

import numpy as np
from numba import njit, prange

from .._kernels.linalg import REDUCE
from .._kernels.select import weighted_median
from .._validation import check_feature_weights, check_sample_weight, check_X_y_arrays

LASSO, SQRT, LAD = 0, 1, 2
NEAR_PARALLEL = 1e-4  # rho^2 / R^2 below which rho is formed explicitly
PARALLEL_WORK = 200_000  # multiply-adds of a lad rule pass above which columns run in parallel
L0, L1 = 0, 1
LOSSES = {"lasso": LASSO, "sqrt": SQRT, "lad": LAD}
PENALTIES = {"l0": L0, "l1": L1}


@njit(cache=True, nogil=True)
def _sqrt_gap(d, R2, R):
    """``sqrt(R^2 + d) - R`` as ``d / (sqrt(R^2 + d) + R)`` (no cancellation)."""
    den = np.sqrt(max(R2 + d, 0.0)) + R
    return d / den if den > 0.0 else 0.0


@njit(cache=True, nogil=True)
def ls_decrease(c, R2, rho2, z, ell, loss, penalty):
    """``Delta_j`` for a unit column of the lasso (``loss=0``) or sqrt (``loss=1``) loss.

    ``c = a_j^T r``, ``R2 = ||r||^2``, ``rho2 = ||r - c a_j||^2 = R2 - c^2`` (used by sqrt),
    ``z`` the current coefficient, ``ell`` the penalty level of the coordinate
    (``lambda w_j`` for l1, ``lambda w_j^2`` for l0).
    """
    v = z + c
    on = 1.0 if z != 0.0 else 0.0
    if loss == LASSO:
        if penalty == L1:
            if z == 0.0:
                d = abs(c) - 0.5 * ell
                return -d * d if d > 0.0 else 0.0
            u = max(abs(v) - 0.5 * ell, 0.0)  # |soft(v, ell / 2)|
            # (u - |v|)^2 - c^2 + ell (u - |z|), the first two as (u - |v| - c)(u - |v| + c)
            e = u - abs(v)
            return e * e - c * c + ell * (u - abs(z))
        # l0: u = 0 or u = v
        zero = (v - c) * (v + c) - ell * on  # v^2 - c^2 = z (z + 2c)
        keep = -c * c + ell * ((1.0 if v != 0.0 else 0.0) - on)
        return min(zero, keep)
    # sqrt
    R = np.sqrt(R2)
    rho = np.sqrt(rho2)
    zero = _sqrt_gap(z * (z + 2.0 * c), R2, R)  # sqrt(v^2 + rho^2) - R at u = 0
    if penalty == L0:
        den = rho + R
        keep = (-c * c / den if den > 0.0 else 0.0) + ell * (
            (1.0 if v != 0.0 else 0.0) - on)
        return min(zero - ell * on, keep)
    # l1: u = 0 unless ell < |v| / sqrt(v^2 + rho^2), i.e. ell^2 rho^2 < v^2 (1 - ell^2)
    if ell < 1.0 and ell * ell * rho2 < v * v * (1.0 - ell * ell):
        s = np.sqrt(1.0 - ell * ell)
        # ell |v| + s rho - R - ell |z|, with s rho - R = -(c^2 + ell^2 rho^2) / (s rho + R)
        den = s * rho + R
        drop = (c * c + ell * ell * rho2) / den if den > 0.0 else 0.0
        return ell * (abs(v) - abs(z)) - drop
    return zero - ell * abs(z)


@njit(cache=True, nogil=True)
def lad_decrease(col, r, sw, z, ell, penalty, pts, wts):
    """``Delta_j`` of the weighted-l1 (lad) loss ``sum_i sw_i |r_i|`` along column ``col``.

    ``pts`` and ``wts`` are scratch buffers of length ``len(r) + 1``.
    """
    m = r.shape[0]
    n = np.int64(0)  # not a literal: one compiled weighted_median
    for i in range(m):
        a = col[i]
        if a != 0.0 and sw[i] > 0.0:
            pts[n] = r[i] / a
            wts[n] = sw[i] * abs(a)
            n += 1
    on = 1.0 if z != 0.0 else 0.0
    if n == 0:  # the column does not touch the loss: only the penalty can move
        return -ell * on
    if penalty == L1 and ell > 0.0:
        pts[n] = -z
        wts[n] = ell
        t = weighted_median(pts, wts, n + 1)
    else:
        t = weighted_median(pts, wts, n)
    gain = 0.0  # F(r - t a) - F(r)
    back = 0.0  # F(r + z a) - F(r): the coordinate moved to 0
    for i in range(m):
        a = col[i]
        if a != 0.0:
            gain += sw[i] * (abs(r[i] - t * a) - abs(r[i]))
            back += sw[i] * (abs(r[i] + z * a) - abs(r[i]))
    if penalty == L1:
        return min(gain + ell * (abs(z + t) - abs(z)), 0.0)
    keep = gain + ell * ((1.0 if z + t != 0.0 else 0.0) - on)
    return min(keep, back - ell * on, 0.0)


@njit(cache=True, nogil=True, fastmath=REDUCE)
def col_dot(A, j, v):
    """``A[:, j] @ v`` for a dense Fortran ``A`` (a vectorized reduction)."""
    acc = 0.0
    for i in range(A.shape[0]):
        acc += A[i, j] * v[i]
    return acc


@njit(cache=True, nogil=True)
def _rho2_explicit(X, j, mu_j, s, root, r, c):
    """``||r - c a_j||^2`` with ``a_j = root * (X[:, j] - mu_j) * s`` formed entry by entry.

    Used when ``r`` is nearly parallel to ``a_j``: ``R^2 - c^2`` then cancels (error
    ``eps R^2``); rare, so one more pass over that column.
    """
    rho2 = 0.0
    for i in range(X.shape[0]):
        e = r[i] - c * root[i] * (X[i, j] - mu_j) * s
        rho2 += e * e
    return rho2


@njit(cache=True, nogil=True)
def _lad_column(X, mu, inv, r, sw, z, ell, penalty, out, j):
    m = X.shape[0]
    col = np.empty(m)
    for i in range(m):
        col[i] = (X[i, j] - mu[j]) * inv[j]
    pts = np.empty(m + 1)
    wts = np.empty(m + 1)
    out[j] = lad_decrease(col, r, sw, z[j], ell[j], penalty, pts, wts)


@njit(cache=True, nogil=True, parallel=True)
def _lad_parallel(X, mu, inv, r, sw, z, ell, penalty, out):
    for j in prange(X.shape[1]):
        # an int64 like the serial loop's index (prange's is unsigned): one compiled column
        _lad_column(X, mu, inv, r, sw, z, ell, penalty, out, np.int64(j))


@njit(cache=True, nogil=True)
def ls_decreases(X, mu, inv, root, r, z, ell, loss, penalty, corr, out):
    """``Delta_j`` of every column (lasso or sqrt), and the correlations ``a_j^T r`` in
    ``corr``, for the columns ``a_j = root * (X[:, j] - mu_j) * inv_j`` of unit norm (or 0)
    read from ``X`` without forming them: ``a_j^T r = inv_j (X[:, j]^T u - mu_j sum(u))``
    with ``u = root * r``.

    ``X^T u`` is one BLAS matrix-vector product (multi-threaded by the BLAS library where it
    pays, limited by ``threadpoolctl`` like the rest of skreg); the rules are O(N) on top.
    """
    m = r.shape[0]
    R2 = 0.0
    su = 0.0
    u = np.empty(m)
    for i in range(m):
        R2 += r[i] * r[i]
        u[i] = root[i] * r[i]
        su += u[i]
    g = np.dot(X.T, u)
    for j in range(X.shape[1]):
        c = inv[j] * (g[j] - mu[j] * su)
        corr[j] = c
        rho2 = max(R2 - c * c, 0.0)
        if loss == SQRT and rho2 < NEAR_PARALLEL * R2 and inv[j] != 0.0:
            rho2 = _rho2_explicit(X, j, mu[j], inv[j], root, r, c)
        out[j] = ls_decrease(c, R2, rho2, z[j], ell[j], loss, penalty)


@njit(cache=True, nogil=True)
def lad_decreases(X, mu, inv, r, sw, z, ell, penalty, out):
    """``Delta_j`` of every column ``a_j = (X[:, j] - mu_j) * inv_j`` of the lad loss
    (weighted medians, in parallel when the pass is large enough)."""
    if X.shape[0] * X.shape[1] >= PARALLEL_WORK // 8:  # a median costs ~8 multiply-adds
        _lad_parallel(X, mu, inv, r, sw, z, ell, penalty, out)
    else:
        for j in range(X.shape[1]):
            _lad_column(X, mu, inv, r, sw, z, ell, penalty, out, j)

def coordinate_decrease(A, y, coef, *, loss="lasso", penalty="l0", alpha=0.0, weights=None,
                        sample_weight=None):
    r"""The rule of loss-based weighted OMP: the best one-coordinate decrease of ``G``.

    Returns, for every ``j``, :math:`\Delta_j = \min_t G(z + t e_j) - G(z) \le 0` for
    :math:`G(z) = F(y - Az) + \alpha P_w(z)` (see :func:`weighted_omp` for ``F`` and
    ``P_w``), inside and outside the support of ``z`` alike, in closed form (lasso, sqrt) or
    by a weighted median (lad). No intercept: pass centred data to emulate one.

    Parameters
    ----------
    A : array-like of shape (n_samples, n_features)
        Columns of unit (sample-weighted) l2 norm, :math:`\sum_i s_i a_{ij}^2 = 1`, as the
        iteration uses them (checked to 1e-8).
    y : array-like of shape (n_samples,)
    coef : array-like of shape (n_features,)
        The current point ``z``.
    loss : {"lasso", "sqrt", "lad"}, default="lasso"
    penalty : {"l0", "l1"}, default="l0"
    alpha : float, default=0.0
    weights : array-like of shape (n_features,), default=None
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    delta : ndarray of shape (n_features,)
        The decreases (0 where no move helps). :func:`weighted_omp` adds the argmin.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.greedy import coordinate_decrease
    >>> A = np.eye(3)
    >>> coordinate_decrease(A, np.array([3.0, 1.0, 0.0]), np.zeros(3), loss="lasso",
    ...                     penalty="l1", alpha=2.0).tolist()
    [-4.0, 0.0, 0.0]
    """
    A, y = check_X_y_arrays(A, y, accept_sparse=False)
    m, N = A.shape
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {loss!r}.")
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {tuple(PENALTIES)}, got {penalty!r}.")
    z = np.asarray(coef, dtype=np.float64)
    if z.shape != (N,) or not np.all(np.isfinite(z)):
        raise ValueError(f"coef must be a finite array of shape ({N},), got {z.shape}.")
    alpha = float(alpha)
    if not (np.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha must be finite and non-negative, got {alpha}.")
    sw = check_sample_weight(sample_weight, m)
    v = check_feature_weights(weights, N)
    norms = sw @ (A * A)
    if not np.allclose(norms, 1.0, rtol=1e-8, atol=0.0):
        raise ValueError(
            "the columns of A must have unit (sample-weighted) l2 norm; got squared norms in "
            f"[{norms.min():.3g}, {norms.max():.3g}]."
        )
    code, pen = LOSSES[loss], PENALTIES[penalty]
    ell = alpha * (v if pen == L1 else v * v)
    r = y - A @ z
    out = np.empty(N)
    A = np.asfortranarray(A)
    mu, inv = np.zeros(N), np.ones(N)
    if code == LAD:
        lad_decreases(A, mu, inv, r, sw, z, ell, pen, out)
    else:
        root = np.sqrt(sw)
        ls_decreases(A, mu, inv, root, root * r, z, ell, code, pen, np.empty(N), out)
    return out
