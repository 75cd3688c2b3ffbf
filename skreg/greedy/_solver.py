r"""Loss-based weighted orthogonal matching pursuit: the iteration and its refits.

Mohammad-Taheri and Brugiapaglia, "The greedy side of the LASSO" (arXiv 2303.00844). With
the columns of ``A`` scaled to unit l2 norm, each iteration

1. computes, for every coordinate ``j``, the best decrease ``Delta_j`` of
   :math:`G(z) = F(Az - y) + \lambda P_w(z)` along ``e_j`` (:mod:`._rules`);
2. picks :math:`j^* = \arg\min_j \Delta_j` and adds it to the support ``S``;
3. refits :math:`z_S = \arg\min \|A_S z - y\|` without penalty: least squares (lasso and
   sqrt losses, an updated Cholesky factor of :math:`A_S^T A_S`) or least absolute deviations
   (lad loss, the interior-point linear-program kernel of the LAD-Lasso followed by a vertex
   step, so that the residual has exact zeros like a simplex solution).

The least-squares iteration is one numba kernel; the lad iteration loops in Python over the
parallel weighted-median kernel and the linear-program refit (both compiled).
"""

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from numba import njit
from sklearn.utils import check_scalar

from .._config import _numba_threads, _single_threaded_blas
from .._kernels.linalg import REDUCE
from .._kernels.select import cho_solve
from .._validation import (
    check_bool,
    check_feature_weights,
    check_sample_weight,
    check_X_y_arrays,
)
from ..linear_model._interior_point import quantile_ipm
from ..linear_model._quantile import weighted_quantile
from ._rules import (
    L0,
    L1,
    LAD,
    LASSO,
    LOSSES,
    PENALTIES,
    SQRT,
    col_dot,
    lad_decreases,
    ls_decreases,
)

# a best decrease above -DECREASE_RTOL * G(0) is no decrease: rounding of the rules (for
# plain OMP, |c_j| < 3e-8 ||y||: scikit-learn's orthogonal_mp stops at |c_j|^2 < eps); the lad
# refit is a linear program solved to ~1e-12, hence its looser level
DECREASE_RTOL = {LASSO: 1e-15, SQRT: 1e-15, LAD: 1e-10}
DEPENDENT = 1e-12  # a new column whose part orthogonal to A_S has squared norm below this
LAD_TOL = 1e-13  # relative duality gap of the lad refit

# why the iteration stopped
STOP_REASONS = ("max_iter", "n_nonzero_coefs", "tol", "no_decrease", "dependent")
MAX_ITER, N_NONZERO, TOL, NO_DECREASE, DEP = range(5)
PREMATURE = (
    "Weighted OMP stopped early: the column chosen at iteration {it} depends linearly on the "
    "selected ones (its part orthogonal to them has squared norm {d:.1e})."
)


@dataclass(frozen=True)
class OMPResult:
    """Outcome of :func:`weighted_omp`.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        Final coefficients, in the scale of the columns of ``X``.
    intercept : float
        Final intercept (0.0 without ``fit_intercept``).
    support : ndarray of int64
        Selected features, in the order of selection.
    coef_path : ndarray of shape (n_features, n_steps)
        Coefficients after each completed iteration (one that refitted, or in the paper's
        ``"add"`` mode one that re-selected a feature).
    intercept_path : ndarray of shape (n_steps,)
        Intercept after each completed iteration.
    loss_path : ndarray of shape (n_steps,)
        Regularized loss :math:`G` (in the normalized scale) after each completed iteration.
    n_iter : int
        Evaluations of the selection rule: ``n_steps``, plus 1 when the last one found no
        decrease or a dependent column (then nothing changed).
    stop_reason : str
        One of ``"max_iter"``, ``"n_nonzero_coefs"``, ``"tol"``, ``"no_decrease"`` (no
        coordinate gives a strict decrease, or the best one is already selected),
        ``"dependent"`` (the chosen column depends linearly on the selected ones).
    """

    coef: np.ndarray
    intercept: float
    support: np.ndarray
    coef_path: np.ndarray
    intercept_path: np.ndarray
    loss_path: np.ndarray
    n_iter: int
    stop_reason: str


@njit(cache=True, nogil=True)
def _penalty(z, ell, penalty):
    p = 0.0
    for j in range(z.shape[0]):
        if z[j] != 0.0:
            p += ell[j] * (abs(z[j]) if penalty == L1 else 1.0)
    return p


@njit(cache=True, nogil=True)
def _select(delta, in_support, strict, thr):
    """``(j*, stop)``: the argmin of ``delta`` (first one on ties); ``stop`` when strict and
    it decreases nothing or is already selected."""
    best = 0
    for j in range(1, delta.shape[0]):
        if delta[j] < delta[best]:
            best = j
    stop = strict and (delta[best] >= -thr or in_support[best])
    return best, stop


@njit(cache=True, nogil=True)
def ls_omp(X, mu, inv, root, y, ell, loss, penalty, max_iter, max_nnz, tol_fit, strict, thr,
           support, path_z, path_loss):
    """Weighted OMP for the lasso (``loss=0``) and sqrt (``loss=1``) rules.

    The columns ``a_j = root * (X[:, j] - mu_j) * inv_j`` have unit norm (``inv_j = 0``:
    an empty column); ``X`` is only read, and the selected columns are gathered into a
    small buffer ``A_S``. ``ell``: the per-coordinate penalty levels. Outputs: ``support``
    (max_nnz,), ``path_z`` (max_nnz, max_iter) the support coefficients after each
    iteration, ``path_loss`` (max_iter,). Returns ``(n_iter, n_selected, stop, dependence)``.
    """
    m, N = X.shape
    z = np.zeros(N)
    in_support = np.zeros(N, dtype=np.bool_)
    r = y.copy()
    corr = np.empty(N)
    delta = np.empty(N)
    AS = np.empty((max_nnz, m)).T  # the selected columns a_j (Fortran layout)
    Lc = np.zeros((max_nnz, max_nnz))  # Cholesky factor of A_S^T A_S
    rhs = np.zeros(max_nnz)  # A_S^T y
    zs = np.zeros(max_nnz)
    k = np.int64(0)  # not a literal: one compiled col_dot
    stop = MAX_ITER
    dep = 0.0
    for it in range(max_iter):
        if k == max_nnz:
            return it, k, N_NONZERO, dep
        ls_decreases(X, mu, inv, root, r, z, ell, loss, penalty, corr, delta)
        j, no_gain = _select(delta, in_support, strict, thr)
        if no_gain:
            return it, k, NO_DECREASE, dep
        if not in_support[j]:
            for i in range(m):
                AS[i, k] = root[i] * (X[i, j] - mu[j]) * inv[j]
            # new row of the Cholesky factor: L v = A_S^T a_j, d = ||a_j||^2 - ||v||^2
            vv = 0.0
            for p in range(k):
                acc = col_dot(AS, p, AS[:, k])
                for q in range(p):
                    acc -= Lc[p, q] * Lc[k, q]
                Lc[k, p] = acc / Lc[p, p]
                vv += Lc[k, p] * Lc[k, p]
            d = col_dot(AS, k, AS[:, k]) - vv
            if d <= DEPENDENT:
                return it, k, DEP, d
            Lc[k, k] = np.sqrt(d)
            rhs[k] = col_dot(AS, k, y)
            support[k] = j
            in_support[j] = True
            k += 1
            zs[:k] = cho_solve(Lc, rhs, k)  # z_S = (L L^T)^{-1} A_S^T y
            for i in range(m):
                r[i] = y[i]
            for p in range(k):
                z[support[p]] = zs[p]
                for i in range(m):
                    r[i] -= zs[p] * AS[i, p]
        R2 = 0.0
        for i in range(m):
            R2 += r[i] * r[i]
        fit = R2 if loss == LASSO else np.sqrt(R2)
        for p in range(k):
            path_z[p, it] = zs[p]
        path_loss[it] = fit + _penalty(z, ell, penalty)
        if fit <= tol_fit:
            return it + 1, k, TOL, dep
    return max_iter, k, stop, dep


def _vertex(B, y, sw, coef, fit):
    """Move a least-absolute-deviations fit to a vertex: interpolate the ``k`` rows with the
    smallest residuals (a simplex basis); keep it when the loss does not increase."""
    k = B.shape[1]
    r = y - B @ coef
    rows = np.argsort(np.abs(r) / np.where(sw > 0, 1.0, np.inf), kind="stable")[:k]
    try:
        vert = np.linalg.solve(B[rows], y[rows])
    except np.linalg.LinAlgError:
        return coef, fit
    if not np.all(np.isfinite(vert)):
        return coef, fit
    fit_v = float(sw @ np.abs(y - B @ vert))
    if fit_v <= fit * (1.0 + 1e-13):
        return vert, fit_v
    return coef, fit


def lad_refit(B, y, sw):
    """``argmin_z sum_i sw_i |y_i - B_i z|`` exactly (interior point, then a vertex)."""
    rows = np.flatnonzero(sw > 0)
    Br = np.asfortranarray(B[rows])
    yr = np.ascontiguousarray(y[rows])
    s = np.ascontiguousarray(sw[rows])
    scale = float(s @ np.abs(yr))
    empty = np.empty(0, dtype=np.int64)
    none = np.empty(0)
    with _single_threaded_blas():
        _, coef, _, _, ok = quantile_ipm(Br, yr, s, s, empty, none, none, 200,
                                         LAD_TOL * max(scale, np.finfo(float).tiny))
    fit = float(s @ np.abs(yr - Br @ coef))
    return _vertex(Br, yr, s, coef, fit)[0]


def lad_omp(X, mu, inv, y, sw, ell, penalty, fit_intercept, b0, max_iter, max_nnz, tol_fit,
            strict, thr):
    """Weighted OMP for the lad rules; same outputs as :func:`ls_omp` plus the intercepts.

    The dense algebra between the kernels (the refits, products with the support) is small:
    it runs on single-threaded BLAS, whose worker threads would otherwise spin between calls
    and stall the parallel rule pass (:func:`skreg._config._single_threaded_blas`).
    """
    with _single_threaded_blas():
        return _lad_omp(X, mu, inv, y, sw, ell, penalty, fit_intercept, b0, max_iter,
                        max_nnz, tol_fit, strict, thr)


def _lad_omp(X, mu, inv, y, sw, ell, penalty, fit_intercept, b0, max_iter, max_nnz, tol_fit,
             strict, thr):
    m, N = X.shape
    z = np.zeros(N)
    in_support = np.zeros(N, dtype=bool)
    support = np.zeros(max_nnz, dtype=np.int64)
    path_z = np.zeros((max_nnz, max_iter))
    path_b = np.zeros(max_iter)
    path_loss = np.zeros(max_iter)
    b = b0
    r = y - b
    delta = np.empty(N)
    k = 0
    dep = 0.0
    ones = np.ones((m, 1))
    root = np.sqrt(sw)
    Q = np.zeros((m, max_nnz))  # orthonormal basis of the sqrt(sw)-scaled support columns
    AS = np.zeros((m, max_nnz))  # the selected columns a_j = (X[:, j] - mu_j) inv_j
    for it in range(max_iter):
        if k == max_nnz:
            return it, k, N_NONZERO, dep, support, path_z, path_b, path_loss
        with _numba_threads():
            lad_decreases(X, mu, inv, r, sw, z, ell, penalty, delta)
        j, no_gain = _select(delta, in_support, strict, thr)
        if no_gain:
            return it, k, NO_DECREASE, dep, support, path_z, path_b, path_loss
        if not in_support[j]:
            # the linear-dependence test of the least-squares refit (unit weighted-norm
            # columns), on an incrementally orthogonalized basis (Gram-Schmidt twice)
            AS[:, k] = (X[:, j] - mu[j]) * inv[j]
            v = root * AS[:, k]
            for _ in range(2):
                v -= Q[:, :k] @ (Q[:, :k].T @ v)
            d = float(v @ v)
            if d <= DEPENDENT:
                return it, k, DEP, d, support, path_z, path_b, path_loss
            Q[:, k] = v / np.sqrt(d)
            support[k] = j
            in_support[j] = True
            k += 1
            B = AS[:, :k]
            if fit_intercept:
                B = np.hstack([B, ones])
            coef = lad_refit(B, y, sw)
            z[:] = 0.0
            z[support[:k]] = coef[:k]
            b = float(coef[k]) if fit_intercept else 0.0
            r = y - B @ coef
        fit = float(sw @ np.abs(r))
        path_z[:k, it] = z[support[:k]]
        path_b[it] = b
        path_loss[it] = fit + _penalty(z, ell, penalty)
        if fit <= tol_fit:
            return it + 1, k, TOL, dep, support, path_z, path_b, path_loss
    return max_iter, k, MAX_ITER, dep, support, path_z, path_b, path_loss


@njit(cache=True, nogil=True, fastmath=REDUCE)
def _column_stats(X, sw, S, center):
    """Per column: weighted mean (0 without ``center``), weighted norm of the centred column
    ``sqrt(sum_i sw_i (x_ij - mu_j)^2)`` (two passes: no cancellation) and of the raw one."""
    m, N = X.shape
    mu = np.zeros(N)
    norm = np.empty(N)
    raw = np.empty(N)
    for j in range(N):
        if center:
            acc = 0.0
            for i in range(m):
                acc += sw[i] * X[i, j]
            mu[j] = acc / S
        acc = 0.0
        acc_raw = 0.0
        if center:
            for i in range(m):
                e = X[i, j] - mu[j]
                acc += sw[i] * e * e
                acc_raw += sw[i] * X[i, j] * X[i, j]
        else:
            for i in range(m):
                acc += sw[i] * X[i, j] * X[i, j]
            acc_raw = acc
        norm[j] = np.sqrt(acc)
        raw[j] = np.sqrt(acc_raw)
    return mu, norm, raw


class GreedyProblem:
    """Validated data prepared for the iteration, without copying ``X``.

    The iteration works on the columns ``a_j = root * (X[:, j] - mu_j) / norm_j``: centred
    (with an intercept), of unit weighted norm ``sqrt(sum_i sw_i a_ij^2) = 1`` (constant or
    zero columns become zero columns, never selected), formed on the fly by the kernels.
    lasso and sqrt: ``root = sqrt(sw)`` scales the rows, so that the plain l2 loss of the
    scaled residual is the weighted loss; lad: ``root = 1``, the weights enter the medians
    and the linear program.
    """

    def __init__(self, X, y, sample_weight, loss, fit_intercept):
        self.loss = LOSSES[loss]
        self.fit_intercept = bool(fit_intercept)
        sw = np.asarray(sample_weight, dtype=np.float64)
        self.sw = sw
        self.X = X  # only read: the kernels form the normalized columns on the fly
        self.x_mean, norms, raw = _column_stats(X, sw, float(sw.sum()), self.fit_intercept)
        self.y_mean = float(sw @ y) / float(sw.sum()) if fit_intercept else 0.0
        # constant (or zero) columns: centred norm at rounding level of the raw one
        zero = norms <= 1e-10 * np.maximum(raw, np.finfo(float).tiny)
        self.norms = np.where(zero, 1.0, norms)
        self.inv = np.where(zero, 0.0, 1.0 / self.norms)
        self.y_level = 0.0
        if self.loss == LAD:
            self.root = np.ones(X.shape[0])
            # the intercept is fitted in the refits, whose linear programs are taken about
            # y's weighted median (invariant to it; their tolerance scales with |y|)
            y = np.asarray(y, dtype=np.float64)
            if fit_intercept:
                self.y_level = weighted_quantile(y, sw, 0.5)
            self.y = y - self.y_level
        else:
            self.root = np.sqrt(sw)
            self.y = self.root * (np.asarray(y, dtype=np.float64) - self.y_mean)
        self.null_fit = self.data_fit(self.null_residual())

    @property
    def null_intercept(self):
        """Intercept of the model without features (in the scale of ``y``)."""
        if not self.fit_intercept:
            return 0.0
        return self.y_level if self.loss == LAD else self.y_mean

    def null_residual(self):
        """Residual of the model without features (in the iteration's scale)."""
        return self.y

    def alpha_max(self, weights, penalty):
        r"""Smallest ``alpha`` at which no penalized coordinate decreases ``G`` from the
        model without features (the first iteration then stops).

        Closed forms at :math:`z = 0`, per coordinate: l0 rules :math:`-\Delta_j(0) /
        w_j^2`; l1-lasso :math:`2 |c_j| / w_j`; l1-sqrt :math:`|c_j| / (R w_j)`; l1-lad
        :math:`(|\sum_{r_i \ne 0} s_i a_{ij} \mathrm{sign}(r_i)| - \sum_{r_i = 0} s_i
        |a_{ij}|) / w_j`. Returns ``inf`` when a coordinate with weight 0 can decrease ``G``
        (it is selected at every alpha) and 0 when nothing can be decreased.
        """
        N = self.X.shape[1]
        v = np.ones(N) if weights is None else np.asarray(weights, dtype=np.float64)
        r = self.null_residual()
        X, mu, inv = self.X, self.x_mean, self.inv
        pen = PENALTIES[penalty]
        z = np.zeros(N)
        delta = np.empty(N)
        corr = np.empty(N)
        with _numba_threads():
            if self.loss == LAD:
                lad_decreases(X, mu, inv, r, self.sw, z, np.zeros(N), L0, delta)
            else:
                ls_decreases(X, mu, inv, self.root, r, z, np.zeros(N), self.loss, L0, corr,
                             delta)
        if pen == L0:
            gain = np.maximum(-delta, 0.0)
            gain[gain <= DECREASE_RTOL[self.loss] * self.null_fit] = 0.0
            scale = v * v
        elif self.loss == LAD:
            # sum_i s_i sign(r_i) a_ij - sum_{r_i = 0} s_i |a_ij|, a_j = (x_j - mu_j) inv_j
            sgn = self.sw * np.sign(r)
            gain = np.abs(inv * (X.T @ sgn - mu * sgn.sum()))
            on = r == 0
            if np.any(on):
                gain -= (self.sw[on] @ np.abs(X[on] - mu)) * inv
            gain = np.maximum(gain, 0.0)
            scale = v
        else:
            c = np.abs(corr)
            R = float(np.sqrt(r @ r))
            gain = 2.0 * c if self.loss == LASSO else (c / R if R > 0 else 0.0 * c)
            gain[c <= np.sqrt(DECREASE_RTOL[self.loss]) * max(R, np.finfo(float).tiny)] = 0.0
            scale = v
        gain = gain * (inv > 0)
        if np.any((scale == 0) & (gain > 0)):
            return np.inf
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(scale > 0, gain / scale, 0.0)
        return float(ratio.max(initial=0.0))

    def data_fit(self, r):
        if self.loss == LASSO:
            return float(r @ r)
        if self.loss == SQRT:
            return float(np.sqrt(r @ r))
        return float(self.sw @ np.abs(r))

    def run(self, alpha, weights, penalty, n_nonzero_coefs, max_iter, tol, strict):
        """Iterate; returns :class:`OMPResult` in the scale of ``X``."""
        pen = PENALTIES[penalty]
        N = self.X.shape[1]
        v = np.ones(N) if weights is None else weights
        ell = alpha * (v if pen == L1 else v * v)
        ell = np.ascontiguousarray(ell, dtype=np.float64)
        max_nnz = int(min(n_nonzero_coefs, N))
        tol_fit = -1.0 if tol is None else float(tol)
        thr = DECREASE_RTOL[self.loss] * self.null_fit
        if self.loss == LAD:
            n_iter, k, stop, dep, support, path_z, path_b, path_loss = lad_omp(
                self.X, self.x_mean, self.inv, self.y, self.sw, ell, pen, self.fit_intercept,
                0.0, max_iter, max_nnz, tol_fit, strict, thr)
        else:
            support = np.zeros(max_nnz, dtype=np.int64)
            path_z = np.zeros((max_nnz, max_iter))
            path_loss = np.zeros(max_iter)
            with _numba_threads():
                n_iter, k, stop, dep = ls_omp(self.X, self.x_mean, self.inv, self.root, self.y,
                                              ell, self.loss, pen, max_iter, max_nnz, tol_fit,
                                              strict, thr, support, path_z, path_loss)
            path_b = None
        if stop == MAX_ITER and k == max_nnz:  # both limits reached: report the support's
            stop = N_NONZERO
        if stop == DEP:
            warnings.warn(PREMATURE.format(it=n_iter + 1, d=dep), RuntimeWarning, stacklevel=3)
        # n_iter counts completed iterations (one path column each); the rule was evaluated
        # once more when it found no decrease or a dependent column
        n_rules = n_iter + (1 if stop in (NO_DECREASE, DEP) else 0)
        support = support[:k].copy()
        coef_path = np.zeros((N, n_iter))
        coef_path[support] = path_z[:k, :n_iter] * self.inv[support, None]
        if path_b is None:  # least squares on centred data: the intercept follows the means
            intercept_path = self.y_mean - self.x_mean @ coef_path
        else:
            intercept_path = self.y_level + path_b[:n_iter] - self.x_mean @ coef_path
        if n_iter:
            coef = coef_path[:, -1].copy()
            intercept = float(intercept_path[-1])
        else:
            coef = np.zeros(N)
            intercept = self.null_intercept
        if not self.fit_intercept:
            intercept = 0.0
            intercept_path = np.zeros(n_iter)
        return OMPResult(coef, intercept, support, coef_path, intercept_path,
                         path_loss[:n_iter].copy(), int(n_rules), STOP_REASONS[stop])


def check_omp_params(loss, penalty, alpha, n_nonzero_coefs, max_iter, tol, on_no_decrease,
                     fit_intercept, n_samples, n_features):
    """Validate the parameters of the iteration; returns ``(n_nonzero_coefs, max_iter)``.

    Without ``n_nonzero_coefs``: ``max_iter`` features when ``max_iter`` is given (each
    iteration adds at most one), else ``min(n_samples, n_features)`` with ``tol``, else
    ``max(int(0.1 * n_features), 1)`` as scikit-learn's ``orthogonal_mp``. At most
    ``min(n_samples, n_features)`` are selected (no more columns can be independent).
    ``max_iter`` defaults to the number of features to select.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {loss!r}.")
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {tuple(PENALTIES)}, got {penalty!r}.")
    check_bool(fit_intercept, "fit_intercept")
    if on_no_decrease not in ("stop", "add"):
        raise ValueError(f"on_no_decrease must be 'stop' or 'add', got {on_no_decrease!r}.")
    check_scalar(alpha, "alpha", numbers.Real, min_val=0.0)
    if not np.isfinite(alpha):
        raise ValueError(f"alpha must be finite, got {alpha}.")
    if tol is not None:
        check_scalar(tol, "tol", numbers.Real, min_val=0.0)
        if np.isnan(tol):
            raise ValueError("tol must not be NaN.")
    cap = min(n_samples, n_features)
    if n_nonzero_coefs is not None:
        check_scalar(n_nonzero_coefs, "n_nonzero_coefs", numbers.Integral, min_val=1)
        nnz = int(n_nonzero_coefs)
    elif max_iter is not None:
        check_scalar(max_iter, "max_iter", numbers.Integral, min_val=1)
        nnz = int(max_iter)
    elif tol is None:
        nnz = max(int(0.1 * n_features), 1)
    else:
        nnz = cap
    nnz = min(nnz, cap)
    if max_iter is not None:
        check_scalar(max_iter, "max_iter", numbers.Integral, min_val=1)
        return nnz, int(max_iter)
    return nnz, nnz


def weighted_omp(X, y, *, loss="lasso", penalty="l0", alpha=0.0, weights=None,
                 n_nonzero_coefs=None, max_iter=None, tol=None, fit_intercept=False,
                 sample_weight=None, on_no_decrease="stop"):
    r"""Loss-based weighted orthogonal matching pursuit (functional interface).

    Greedy counterpart of the weighted LASSO, square-root LASSO and LAD-LASSO
    (Mohammad-Taheri and Brugiapaglia, arXiv 2303.00844). With the columns :math:`a_j` of
    ``X`` (centred when ``fit_intercept``) scaled to unit (weighted) l2 norm, the iteration
    greedily decreases

    .. math:: G(z) = F(Az - y) + \alpha P_w(z),

    with :math:`F = \|\cdot\|_2^2` (``loss="lasso"``), :math:`\|\cdot\|_2` (``"sqrt"``) or
    :math:`\|\cdot\|_1` (``"lad"``), and :math:`P_w(z) = \sum_j w_j |z_j|` (``penalty="l1"``)
    or :math:`\sum_{j: z_j \ne 0} w_j^2` (``"l0"``), in the paper's convention: no 1/2 and no
    1/n factor. ``sample_weight`` weights the squared (lasso, sqrt) or absolute (lad)
    residuals. At each iteration the coordinate :math:`j^*` whose one-coordinate move
    decreases ``G`` most joins the support ``S``, and :math:`z_S` is refitted without penalty
    (least squares, or least absolute deviations for ``"lad"``). With ``alpha=0`` and the
    l0-lasso rule this is plain OMP (scikit-learn's ``orthogonal_mp`` on unit-norm columns).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Design matrix (dense).
    y : array-like of shape (n_samples,)
        Target.
    loss : {"lasso", "sqrt", "lad"}, default="lasso"
        Data-fit term ``F``.
    penalty : {"l0", "l1"}, default="l0"
        Penalty ``P_w``.
    alpha : float, default=0.0
        Penalty level :math:`\lambda \ge 0` (acting on the coefficients of the normalized
        columns).
    weights : array-like of shape (n_features,), default=None
        Penalty weights :math:`w_j \ge 0` (ones by default).
    n_nonzero_coefs : int, default=None
        Maximum number of selected features (at most ``min(n_samples, n_features)`` are).
        By default ``max_iter`` if given, else all with ``tol``, else 10% of the features
        (at least 1).
    max_iter : int, default=None
        Maximum number of iterations; defaults to the maximum number of selected features.
        With ``on_no_decrease="add"`` an iteration may select nothing new (the paper runs a
        fixed number of iterations).
    tol : float, default=None
        Stop when the data fit ``F`` (not squared for sqrt: :math:`\|r\|_2^2` for lasso,
        :math:`\|r\|_2` for sqrt, :math:`\sum_i s_i |r_i|` for lad) is at most ``tol``.
    fit_intercept : bool, default=False
        Fit an unpenalized intercept (columns are centred before normalization; the refits
        include the intercept).
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the residuals.
    on_no_decrease : {"stop", "add"}, default="stop"
        ``"stop"``: stop when no coordinate gives a strict decrease of ``G``, or when the
        best one is already selected (the iteration is then at a fixed point). ``"add"``:
        the paper's Algorithm 1, which always adds the argmin (the first index on ties),
        even when it decreases nothing.

    Returns
    -------
    result : OMPResult
        ``coef``, ``intercept``, ``support`` (selection order), ``coef_path``,
        ``intercept_path``, ``loss_path``, ``n_iter``, ``stop_reason``.

    See Also
    --------
    WeightedOMP : The estimator.
    coordinate_decrease : The rule :math:`\Delta_j` at any point.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.greedy import weighted_omp
    >>> from skreg.datasets import make_compressive_sensing
    >>> X, y, coef = make_compressive_sensing(60, 120, n_nonzero=4, noise_level=0.01,
    ...                                       random_state=0)
    >>> res = weighted_omp(X, y, loss="sqrt", penalty="l1", alpha=0.3, max_iter=10)
    >>> sorted(res.support.tolist()) == sorted(np.flatnonzero(coef).tolist())
    True
    >>> res.stop_reason
    'no_decrease'
    """
    X, y = check_X_y_arrays(X, y, accept_sparse=False)
    n_samples, n_features = X.shape
    sw = check_sample_weight(sample_weight, n_samples)
    v = None if weights is None else check_feature_weights(weights, n_features)
    nnz, n_iter = check_omp_params(loss, penalty, alpha, n_nonzero_coefs, max_iter, tol,
                                   on_no_decrease, fit_intercept, n_samples, n_features)
    problem = GreedyProblem(X, y, sw, loss, fit_intercept)
    return problem.run(float(alpha), v, penalty, nnz, n_iter, tol,
                       on_no_decrease == "stop")
