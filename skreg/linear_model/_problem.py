"""Set-up of the penalized least-squares problem, shared by estimators, paths and CV.

:class:`QuadraticProblem` holds validated data and everything that does not depend on the
penalty (centred response, column means, curvatures), so a path or a CV fold prepares once
and solves for many alphas with warm starts.
"""

from dataclasses import dataclass

import numpy as np

from .._config import _numba_threads
from .._kernels.linalg import matvec, xt_dot_weighted
from .._validation import csc_parts
from ._cd import column_stats, enet_ws_solve

DEFAULT_P0 = 10


@dataclass(frozen=True)
class SolveResult:
    """Outcome of one solve (elastic net, square-root Lasso, quantile Lasso).

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
    intercept : float
    n_iter : int
        Solver iterations: coordinate-descent epochs (quadratic and square-root models),
        interior-point iterations (quantile models).
    dual_gap : float
        Duality gap at ``coef`` in units of the objective.
    converged : bool
        Whether ``dual_gap <= tol * null_objective`` was reached.
    """

    coef: np.ndarray
    intercept: float
    n_iter: int
    dual_gap: float
    converged: bool


class QuadraticProblem:
    """``1/(2 S) sum_i sw_i (y_i - x_i w - b)^2`` prepared for repeated solves.

    Parameters
    ----------
    X : ndarray (float64, Fortran) or CSC matrix, validated.
    y : ndarray of shape (n_samples,), float64.
    sample_weight : ndarray of shape (n_samples,), validated (non-negative, positive sum).
    fit_intercept : bool
    """

    def __init__(self, X, y, sample_weight, fit_intercept):
        self.parts = csc_parts(X)
        self.n_samples, self.n_features = X.shape
        self.fit_intercept = bool(fit_intercept)
        self.d = np.ascontiguousarray(sample_weight, dtype=np.float64)
        self.unit_d = bool(np.all(self.d == 1.0))
        self.S = float(self.d.sum())
        self.mu = np.zeros(self.n_features)
        self.lips = np.empty(self.n_features)
        self.normx = np.empty(self.n_features)
        with _numba_threads():
            self.sd = column_stats(*self.parts, self.n_features, self.d, self.unit_d,
                                   self.fit_intercept, self.S, self.mu, self.lips, self.normx)
        self.y_offset = float(self.d @ y / self.sd) if self.fit_intercept else 0.0
        self.z = np.ascontiguousarray(y - self.y_offset, dtype=np.float64)
        if self.fit_intercept and np.max(np.abs(self.z), initial=0.0) <= 8 * np.finfo(
                np.float64).eps * np.max(np.abs(y), initial=0.0):
            # y is constant up to rounding: centering leaves only noise, which a path or a
            # relative tolerance must not try to fit; every alpha gives w = 0.
            self.z[:] = 0.0
        self.null_objective = 0.5 * float(self.d @ (self.z * self.z)) / self.S

    def correlations(self, coef=None):
        """``X~^T (sw * r) / S`` with ``r = z - X~ coef``: minus the datafit gradient."""
        out = np.empty(self.n_features)
        cols = np.arange(self.n_features)
        r = self.z
        if coef is not None:
            xw = np.empty(self.n_samples)
            with _numba_threads():
                matvec(*self.parts, self.n_samples, coef, xw)
            r = self.z - xw + float(self.mu @ coef)
        with _numba_threads():
            xt_dot_weighted(*self.parts, cols, self.d, r, self.unit_d, out)
        # centred columns would subtract mu_j * sum(sw * r), which is 0: r is centred
        return out / self.S

    def alpha_max(self, l1_ratio=1.0, weights=None, return_rho=False):
        """Smallest alpha for which every penalized coefficient is 0.

        Unpenalized features (weight 0) are fitted first: the bound is taken at the
        residual of that least-squares fit. Returns ``inf`` when no feature carries an l1
        penalty (``l1_ratio = 0`` or all weights 0). With ``return_rho``, also returns that
        residual's scale ``rho = sqrt(sum_i d_i r_i^2 / S)`` (the square-root Lasso's bound
        is ``alpha_max / rho``).
        """
        v = np.ones(self.n_features) if weights is None else weights
        pen = v > 0
        w = None
        rho = np.sqrt(2.0 * self.null_objective)
        if l1_ratio <= 0 or not np.any(pen):
            return (np.inf, rho) if return_rho else np.inf
        if np.any(~pen & (self.lips > 0)):
            l1 = np.where(pen, np.inf, 0.0)
            w, r, s, _, _, _ = self.run(l1, np.zeros(self.n_features), False, None, 10_000,
                                        1e-12 * self.null_objective)
            rho = float(np.sqrt(self.d @ ((r + s) ** 2) / self.S))
        corr = np.abs(self.correlations(w))
        amax = float(np.max(corr[pen] / v[pen]) / l1_ratio)
        return (amax, rho) if return_rho else amax

    def solve(self, alpha, l1_ratio=1.0, weights=None, positive=False, coef_init=None,
              max_iter=1000, tol=1e-4, p0=DEFAULT_P0):
        """Solve for one penalty; returns :class:`SolveResult`."""
        v = np.ones(self.n_features) if weights is None else weights
        l1 = alpha * l1_ratio * v
        l2 = alpha * (1.0 - l1_ratio) * v
        return self._solve_levels(l1, l2, positive, coef_init, max_iter, tol, p0)

    def _solve_levels(self, l1, l2, positive, coef_init, max_iter, tol, p0):
        w, _, s, n_epochs, gap, converged = self.run(l1, l2, positive, coef_init, max_iter,
                                                     tol * self.null_objective, p0)
        intercept = self.y_offset - s if self.fit_intercept else 0.0
        return SolveResult(w, float(intercept), int(n_epochs), float(max(gap, 0.0)),
                           bool(converged))

    def run(self, l1, l2, positive, coef_init, max_iter, tol_abs, p0=DEFAULT_P0):
        """The kernel on per-feature levels, to an absolute duality gap ``tol_abs``.

        Returns ``(w, r, s, n_epochs, gap, converged)``: the true centred residual is
        ``r + s`` (see :mod:`._cd`).
        """
        w = np.zeros(self.n_features) if coef_init is None else np.array(coef_init, dtype=float)
        if positive:
            np.maximum(w, 0.0, out=w)
        r = np.empty(self.n_samples)
        with _numba_threads():
            matvec(*self.parts, self.n_samples, w, r)
        r = self.z - r
        s0 = float(self.mu @ w)
        screened = np.zeros(self.n_features, dtype=np.bool_)
        with _numba_threads():
            s, n_epochs, gap, _, converged = enet_ws_solve(
                *self.parts, self.z, self.d, self.unit_d, self.S, self.mu, self.sd, self.lips,
                self.normx, l1, l2, bool(positive), w, r, s0, screened, int(max_iter),
                float(tol_abs), int(p0), True, True)
        return w, r, s, n_epochs, gap, converged
