"""Set-up and working-set solver of the l1-penalized quantile (pinball) regression.

:class:`QuantileProblem` solves

    min_{w, b}  1/S sum_i s_i rho_tau(y_i - x_i w - b) + sum_j l1_j |w_j|

(``rho_tau(u) = u (tau - 1[u < 0])``; LAD is ``tau = 1/2`` up to a factor 2) exactly, as a
linear program restricted to a working set of features and solved by the interior-point
kernels of :mod:`._interior_point` (the dual form, or the primal form for working sets with
more columns than rows). Its dual point ``theta`` is then checked against every
feature: the features whose dual constraint ``|x_j^T theta| <= l1_j`` is violated join the
working set, and scaling ``theta`` into all the constraints certifies a duality gap for the
full problem. The gap decreases with the working set and the loop ends at the tolerance
(at worst with every feature in, the full linear program). Near interpolation (supports
of about as many features as samples, p >> n) the working sets would grow past all the
features in total over their rounds, and the full program is solved at once instead.
"""

from contextlib import nullcontext

import numpy as np

from .._config import _effective_num_threads, _numba_threads, _single_threaded_blas
from .._kernels.linalg import SPARSE_PENALTY, gather_columns, xt_dot_weighted
from .._validation import csc_parts
from ._interior_point import quantile_ipm, quantile_ipm_primal
from ._problem import SolveResult, x_dot

DEFAULT_P0 = 10
IPM_TOL_RATIO = 0.1  # the working-set program is solved to this fraction of the tolerance
IPM_TOL_FLOOR = 1e-9  # ... and at least to this relative accuracy
SMALL_PROGRAM = 1e9
SMALL_PRIMAL_PROGRAM = 1e7  # the primal form's n x n products gain from threads earlier
FULL_RATIO = 4.0  # solve with all the features once the working set has this share of them
MAX_PRIMAL_FREE = 1  # unpenalized columns the primal form takes
PRIMAL_MARGIN = 1.3  # the primal form: twice the vector work, one more solve per iteration
TINY = 1e-7  # coefficients below TINY * max |w| are likely interior-point residue
RESIDUE = 1e-9  # ... and below RESIDUE * max |w| certainly
ZERO_SLACK = 1e-7  # features whose dual constraint has this relative slack are set to 0


def weighted_quantile(values, weights, tau):
    """Smallest minimizer of ``sum_i weights_i rho_tau(values_i - b)`` (a weighted quantile)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    k = int(np.searchsorted(cum, tau * cum[-1] * (1.0 - 1e-12)))
    return float(values[order[min(k, order.size - 1)]])


def pinball_mean(r, sw, S, tau):
    """``1/S sum_i sw_i rho_tau(r_i)``."""
    return float(sw @ np.where(r >= 0.0, tau * r, (tau - 1.0) * r)) / S


def _primal_form_pays(B, n_free):
    """Whether the primal form of the working-set program (``n x n`` normal matrices) is
    cheaper than the dual one (``k x k``), by counts of multiply-adds per iteration: more
    columns than rows, at most one unpenalized column (the intercept: with more, their
    Schur complement loses definiteness in rounding near the optimum and the form fails
    too often to pay), and rows too full for the dual's sparse accumulation to win."""
    n, k = B.shape
    if k <= n or n_free > MAX_PRIMAL_FREE:
        return False
    counts = np.count_nonzero(B, axis=1).astype(np.float64)
    dual = min(n * float(k) ** 2, SPARSE_PENALTY * float(counts @ counts)) + k ** 3 / 3.0
    primal = float(n) ** 2 * k + n ** 3 / 3.0 + n_free * float(n) ** 2
    return PRIMAL_MARGIN * primal < dual


class QuantileProblem:
    """``1/S sum_i s_i rho_tau(y_i - x_i w - b)`` prepared for repeated solves.

    Parameters
    ----------
    X : ndarray (float64, Fortran) or CSC matrix, validated.
    y : ndarray of shape (n_samples,), float64.
    sample_weight : ndarray of shape (n_samples,), validated (non-negative, positive sum).
    fit_intercept : bool
    quantile : float in (0, 1)
    """

    def __init__(self, X, y, sample_weight, fit_intercept, quantile):
        self.parts = csc_parts(X)
        self.n_samples, self.n_features = X.shape
        self.fit_intercept = bool(fit_intercept)
        self.tau = float(quantile)
        self.sw = np.ascontiguousarray(sample_weight, dtype=np.float64)
        self.S = float(self.sw.sum())
        # with an intercept, y is taken about the null model's intercept (its weighted
        # quantile): the programs are invariant to the shift, and their dual values and
        # tolerances then scale with the residuals, not with y's level (y + 1e8 lost 1e-4 of
        # the coefficients' accuracy); solutions add it back to their intercept
        y = np.ascontiguousarray(y, dtype=np.float64)
        self.y_shift = weighted_quantile(y, self.sw, self.tau) if self.fit_intercept else 0.0
        self.y = y - self.y_shift
        # zero-weight samples do not enter the program (their box would be a point)
        self.rows = np.flatnonzero(self.sw > 0).astype(np.int64)
        self.row_pos = np.full(self.n_samples, -1, dtype=np.int64)
        self.row_pos[self.rows] = np.arange(self.rows.size)
        swr = self.sw[self.rows]
        self.sparse = hasattr(X, "format")
        self.a = self.tau * swr / self.S
        self.c = (1.0 - self.tau) * swr / self.S
        self.y_rows = self.y[self.rows]
        # column scales over the kept rows: l1 norms (bounds of |x_j^T theta|), and which
        # columns carry information (non-zero, and not constant when there is an intercept)
        rowmask = (self.sw > 0).astype(np.float64)
        absX = abs(X) if hasattr(X, "format") else np.abs(X)
        self.col_l1 = np.asarray(absX.T @ rowmask).ravel()
        if self.fit_intercept:
            mean = np.asarray(X.T @ (self.sw / self.S)).ravel()
            sq = np.asarray(X.multiply(X).T @ (self.sw / self.S) if hasattr(X, "format")
                            else (X * X).T @ (self.sw / self.S)).ravel()
            var = np.maximum(sq - mean * mean, 0.0)
            self.informative = var > 1e-12 * np.maximum(sq, np.finfo(float).tiny)
        else:
            self.informative = self.col_l1 > 0
        self.bound = np.maximum(self.a, self.c).max()
        # the model without features: b at the weighted quantile (0 about y_shift), its dual
        # point
        self.b0 = weighted_quantile(self.y, self.sw, self.tau) if self.fit_intercept else 0.0
        self.null_objective = pinball_mean(self.y - self.b0, self.sw, self.S, self.tau)
        self.theta0 = self._null_dual()

    def _null_dual(self):
        """Dual point of ``w = 0``: ``a_i`` / ``-c_i`` by residual sign, ties balanced."""
        r = self.y_rows - self.b0
        theta = np.where(r > 0, self.a, np.where(r < 0, -self.c, 0.0))
        if self.fit_intercept:
            zero = r == 0
            excess = theta.sum()
            if excess > 0:  # the tied samples take their share of -excess within [-c, 0]
                cap = self.c[zero].sum()
                theta[zero] = -self.c[zero] * min(1.0, excess / cap) if cap > 0 else 0.0
            elif excess < 0:
                cap = self.a[zero].sum()
                theta[zero] = self.a[zero] * min(1.0, -excess / cap) if cap > 0 else 0.0
        full = np.zeros(self.n_samples)
        full[self.rows] = theta
        return full

    def _correlations(self, theta):
        out = np.empty(self.n_features)
        with _numba_threads():
            xt_dot_weighted(*self.parts, np.arange(self.n_features), theta, theta, True, out)
        return out

    def _primal(self, w, b, l1):
        xw = x_dot(self.parts, self.n_samples, w)
        return pinball_mean(self.y - xw - b, self.sw, self.S, self.tau) + float(
            l1 @ np.abs(w))

    def _dual_value(self, theta, corr, l1, positive):
        """Dual objective at ``theta`` scaled into the penalized constraints."""
        pen = (l1 > 0) & self.informative
        a = np.maximum(corr[pen], 0.0) if positive else np.abs(corr[pen])
        viol = a > l1[pen]
        scale = float(np.min(l1[pen][viol] / a[viol])) if np.any(viol) else 1.0
        return scale * float(theta @ self.y)

    def alpha_max(self, weights=None):
        """Smallest alpha for which every penalized coefficient is 0 (an upper bound when
        the null dual point is not unique, e.g. with tied targets).

        Unpenalized features (weight 0) are fitted first. Returns ``inf`` when no feature
        carries a penalty.
        """
        v = np.ones(self.n_features) if weights is None else weights
        if not np.any(v > 0):
            return np.inf
        pen = (v > 0) & self.informative
        if not np.any(pen):  # only constant (or zero) columns: w = 0 at every alpha
            return 0.0
        theta = self.theta0
        if np.any((v == 0) & self.informative):
            _, theta = self._solve_levels(np.where(v > 0, np.inf, 0.0), False, None, 1000,
                                          1e-12, DEFAULT_P0, return_theta=True)
        corr = np.abs(self._correlations(theta))
        return float(np.max(corr[pen] / v[pen]))

    def solve(self, alpha, weights=None, positive=False, coef_init=None, max_iter=1000,
              tol=1e-4, p0=DEFAULT_P0, return_theta=False):
        """Solve for one penalty level; returns :class:`SolveResult` (and the dual point
        when ``return_theta``)."""
        v = np.ones(self.n_features) if weights is None else weights
        return self._solve_levels(alpha * v, positive, coef_init, max_iter, tol, p0,
                                  return_theta)

    def _program(self, ws, l1, positive, max_iter, tol_abs, fallback=True):
        """The working-set linear program: ``(theta (full length), coef on ws, b, n_iter,
        ok)``. Without ``fallback``, a program the primal form fails on is not solved again
        in the dual form (``ok`` False, ``theta`` None)."""
        B = gather_columns(*self.parts, self.rows, self.row_pos, ws, self.fit_intercept)
        lw = l1[ws]
        pen = lw > 0
        eta_col = np.flatnonzero(pen | positive).astype(np.int64)
        hi = lw[eta_col].copy()
        # w >= 0 as an exact penalty: the lower level exceeds any |x_j^T theta| + l1_j, so
        # it is never active and the multiplier's negative part is 0
        lo = lw[eta_col] + (2.0 * self.col_l1[ws[eta_col]] * self.bound + lw[eta_col]
                            if positive else 0.0)
        n, k = B.shape
        primal = not positive and _primal_form_pays(B, k - eta_col.size)
        # each iteration of the dual form is a k x k Gram (n k^2) and its Cholesky: below
        # ~1e9 multiply-adds BLAS threads cost more than they give (they spin between calls,
        # and stall badly when the cores are shared), so small programs run BLAS
        # single-threaded; the primal form's n x n Gram (n^2 k) gains from 1e7 on, when this
        # task has more than one thread (not in a thread of a parallel path or CV, nor
        # after set_num_threads(1))
        small = ((n * n * k < SMALL_PRIMAL_PROGRAM or _effective_num_threads() <= 1)
                 if primal else min(n, k) * max(n, k) ** 2 < SMALL_PROGRAM)
        args = (B, self.y_rows, self.a, self.c, eta_col, hi, lo)
        with _single_threaded_blas() if small else nullcontext():
            ok, n_iter = False, 0
            if primal:
                theta_r, beta, n_iter, _, ok = quantile_ipm_primal(*args, int(max_iter),
                                                                   float(tol_abs))
            if primal and not ok and not fallback:
                return None, None, 0.0, n_iter, False
            if not ok:  # the primal form lost feasibility (degenerate vertex), or not used
                theta_r, beta, it, _, ok = quantile_ipm(*args, max(int(max_iter) - n_iter, 1),
                                                        float(tol_abs))
                n_iter += it
        theta = np.zeros(self.n_samples)
        theta[self.rows] = theta_r
        b = float(beta[-1]) if self.fit_intercept else 0.0
        return theta, beta[:ws.size], b, n_iter, ok

    def _solve_levels(self, l1, positive, coef_init, max_iter, tol, p0,
                      return_theta=False):
        p = self.n_features
        tol_abs = tol * self.null_objective
        finite = np.isfinite(l1)
        usable = self.informative & finite
        unpen = usable & (l1 == 0)
        in_ws = unpen.copy()
        if coef_init is not None:
            in_ws |= usable & (np.asarray(coef_init) != 0)
        w = np.zeros(p)
        n_iter = 0
        gap = np.inf
        converged = False
        # solved well below the tolerance, so that coefficients left at interior-point
        # residue are told apart from the support (a few more iterations at the end of a
        # quadratically converging phase)
        ipm_tol = min(IPM_TOL_RATIO * tol_abs, IPM_TOL_FLOOR * self.null_objective)
        refined = 0
        full_failed = False
        theta = self.theta0
        b = self.b0
        best = None
        regular_ws = None  # the working set replaced by all the features, see below
        while True:
            ws = np.flatnonzero(in_ws).astype(np.int64)
            if ws.size:
                theta_ws, coef_ws, b_ws, it, ok = self._program(
                    ws, l1, positive, max(max_iter - n_iter, 1), ipm_tol,
                    fallback=regular_ws is None)
                n_iter += it
                if not ok and regular_ws is not None:  # back to the regular working set
                    in_ws, regular_ws, full_failed = regular_ws, None, True
                    continue
                if not ok:  # the normal matrix broke down: keep the best point so far
                    break
                theta, b, regular_ws = theta_ws, b_ws, None
                w = np.zeros(p)
                w[ws] = coef_ws
                if positive:
                    np.maximum(w, 0.0, out=w)
            else:
                theta, w, b = self.theta0, np.zeros(p), self.b0
            corr = self._correlations(theta)
            dual = self._dual_value(theta, corr, np.where(finite, l1, np.inf), positive)
            l1_finite = np.where(finite, l1, 0.0)
            # values at rounding level of the largest coefficient are zero
            w[(np.abs(w) <= RESIDUE * np.max(np.abs(w), initial=0.0)) & (l1 > 0)] = 0.0
            gap = self._primal(w, b, l1_finite) - dual
            # exact zeros: the interior point leaves tiny values on features whose dual
            # constraint is slack (0 at the optimum) and, on degenerate faces, on others;
            # they are zeroed when the certified gap agrees (the dual point may be a hair
            # infeasible, which makes "slack" unreliable on its own)
            slack = (np.abs(corr) < l1 * (1.0 - ZERO_SLACK)) & (l1 > 0)
            tiny = np.abs(w) <= TINY * np.max(np.abs(w), initial=0.0)
            drop = (slack | tiny) & (l1 > 0) & (w != 0)
            support = w != 0
            if np.any(drop):
                w_zero = np.where(drop, 0.0, w)
                gap_zero = self._primal(w_zero, b, l1_finite) - dual
                if gap_zero <= max(gap, tol_abs) + 0.1 * tol_abs:
                    w, gap = w_zero, gap_zero
            # the next working set keeps the support without the slack residue
            support &= ~slack
            if best is None or gap < best[0]:
                best = (gap, w, b, theta)
            if gap <= tol_abs:
                converged = True
                break
            if n_iter >= max_iter:
                break
            a = np.maximum(corr, 0.0) if positive else np.abs(corr)
            with np.errstate(divide="ignore", invalid="ignore"):
                score = np.where(usable & (l1 > 0), a / l1, 0.0)
            # the support: coefficients that are not interior-point residue
            forced = unpen | support
            n_viol = int(np.count_nonzero((score > 1.0) & ~in_ws))
            if n_viol == 0:
                # the program was not solved tightly enough for the certificate
                if refined >= 3:
                    break
                ipm_tol *= 0.01
                refined += 1
                continue
            # next working set: the support (so the restricted optimum can only decrease),
            # then the features closest to (or beyond) their dual constraint: the violated
            # ones (at most nnz + p0 of them, so the set at most doubles) and a margin of
            # max(p0, nnz / 2) more, which keeps the support from churning between solves
            nnz = int(np.count_nonzero(forced))
            n_add = min(n_viol, nnz + p0) + max(p0, nnz // 2)
            score[forced] = 0.0
            n_add = min(n_add, int(np.count_nonzero(score > 0)))
            in_ws = forced.copy()
            if n_add > 0:
                in_ws[np.argpartition(-score, n_add - 1)[:n_add]] = True
            # a working set with more columns than the program has rows is solved in the
            # primal form, at a cost about proportional to its size; near interpolation
            # (support ~ rows) the next rounds would add up to more than all the features,
            # so they are solved at once (dense X, if the primal form holds to the end)
            k_next = int(np.count_nonzero(in_ws))
            n_usable = int(np.count_nonzero(usable))
            if (not (positive or self.sparse or full_failed) and k_next > self.rows.size
                    and n_usable <= FULL_RATIO * k_next
                    and np.count_nonzero(unpen) + self.fit_intercept <= MAX_PRIMAL_FREE):
                regular_ws, in_ws = in_ws, usable.copy()
        if best is not None:
            gap, w, b, theta = best
        res = SolveResult(w, float(b) + self.y_shift, int(n_iter), float(max(gap, 0.0)),
                          bool(converged))
        return (res, theta) if return_theta else res
