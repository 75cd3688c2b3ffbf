"""Set-up of the penalized least-squares problem, shared by estimators, paths and CV.

:class:`QuadraticProblem` holds validated data and everything that does not depend on the
penalty (centred response, column means, curvatures), so a path or a CV fold prepares once
and solves for many alphas with warm starts.
"""

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .._config import _numba_threads
from .._kernels.linalg import csr_gram, matvec, xt_dot_weighted
from .._validation import csc_parts
from ._cd import CONSTANT_COLUMN_RTOL, column_stats, enet_ws_solve

DEFAULT_P0 = 10
# Paths and CV folds solve on the compressed design (see QuadraticProblem) when n_samples is at
# least this many times n_features, and n_features is at most COMPRESS_MAX_FEATURES (the Gram
# matrix is n_features^2 doubles: 32 MB at 2000).
COMPRESS_MIN_RATIO = 2
COMPRESS_MAX_FEATURES = 2000
# Below this relative tolerance the rounding of the Gram matrix (about eps * cond(X)^2 of the
# objective) could exceed the gap asked for: such solves run on X itself.
COMPRESS_MIN_TOL = 1e-10
# Single solves on a dense design that could be compressed start on X (a few epochs on a small
# working set cost less than the Gram matrix) and switch to the compressed design once their
# epochs have done, or would within WORK_LOOKAHEAD_EPOCHS epochs on the working sets ahead
# (see _cd._ahead_work), about the Gram matrix's cost: n p^2 / 2 multiply-adds at BLAS speed,
# about GRAM_SPEED_RATIO times as many per second as coordinate descent does (measured 12 at
# 10000 x 500 on 2 cores).
GRAM_SPEED_RATIO = 10
SWITCH_MIN_ENTRIES = 10 ** 6  # smaller designs: too fast for the switch to be worth its risk
GRAM_BLOCK_ROWS = 8192


def _compressible(n_samples, n_features):
    return n_samples >= COMPRESS_MIN_RATIO * n_features and n_features <= COMPRESS_MAX_FEATURES


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


def x_dot(parts, n_samples, w):
    """``X @ w`` (``parts`` from :func:`csc_parts`) by skreg's kernel, on numba's threads: no
    BLAS call, whose threads would spin on and stall the next parallel kernel."""
    out = np.empty(n_samples)
    with _numba_threads():
        matvec(*parts, n_samples, w, out)
    return out


class QuadraticProblem:
    """``1/(2 S) sum_i sw_i (y_i - x_i w - b)^2`` prepared for repeated solves.

    Parameters
    ----------
    X : ndarray (float64, Fortran) or CSC matrix, validated; with ``moments``, also a
        callable returning it, called only if a solve needs X itself (tolerances below
        ``COMPRESS_MIN_TOL``, residuals, correlations).
    y : ndarray of shape (n_samples,), float64.
    sample_weight : ndarray of shape (n_samples,), validated (non-negative, positive sum).
    fit_intercept : bool
    compress : bool, default=False
        Solve on a compressed design from the start (paths and CV folds, which solve many
        penalties on one problem); without it, a solve on a dense X switches to it once its
        epochs have cost about as much as the compression (``GRAM_SPEED_RATIO``). The
        compressed design: with ``n_samples >= COMPRESS_MIN_RATIO * n_features``, the
        Gram matrix ``G = X~^T D X~ / S`` is factored once as ``G = R^T R`` and every solve
        runs on the ``n_features``-row design ``R`` and response ``z_c`` with
        ``R^T z_c = X~^T D z / S``, for which ``1/2 ||z_c - R w||^2`` equals the datafit up to
        a constant. Coordinate updates then cost ``O(n_features)`` instead of
        ``O(n_samples)``, and the duality gap of the compressed problem bounds the same
        suboptimality.
    moments : tuple, optional
        The raw sums of a dense X from :func:`weighted_moments` (with ``d = sample_weight``
        and ``v = y``): column statistics and the compressed design come from them, without
        a pass over X, and solves compress from the start.
    """

    def __init__(self, X, y, sample_weight, fit_intercept, compress=False, moments=None):
        self._design = X
        self._parts = None
        self.n_samples = y.shape[0]
        self.fit_intercept = bool(fit_intercept)
        self.d = np.ascontiguousarray(sample_weight, dtype=np.float64)
        self.unit_d = bool(np.all(self.d == 1.0))
        self.S = float(self.d.sum())
        if (moments is None and compress and not callable(X) and not sp.issparse(X)
                and _compressible(*X.shape)):
            # the sums first (BLAS) and the column statistics from them: a numba pass over X
            # just before would leave its threads spinning into the Gram product (10000 x
            # 500: 40-50 ms instead of 33)
            v0 = float(self.d @ y / self.S) if self.fit_intercept else 0.0
            moments = weighted_moments(X, self.d, y, v0)
        self.n_features = X.shape[1] if moments is None else moments[0].shape[0]
        self.mu = np.zeros(self.n_features)
        self.lips = np.empty(self.n_features)
        self.normx = np.empty(self.n_features)
        if moments is None:
            with _numba_threads():
                self.sd = column_stats(*self.parts, np.arange(self.n_features), self.d,
                                       self.unit_d, self.fit_intercept, self.S, self.mu,
                                       self.lips, self.normx)
        else:  # column_stats from the sums: X is not needed
            G, c = moments[0], moments[1]
            self.sd = self.S
            if self.fit_intercept:
                self.mu[:] = c / self.sd
            second = np.diag(G)
            nrm2 = second - self.mu * self.mu * self.sd
            nrm2[(nrm2 <= CONSTANT_COLUMN_RTOL * second) | (nrm2 <= 0.0)] = 0.0
            self.lips[:] = nrm2 / self.S
            self.normx[:] = np.sqrt(nrm2)
        self.y_offset = float(self.d @ y / self.sd) if self.fit_intercept else 0.0
        self.z = np.ascontiguousarray(y - self.y_offset, dtype=np.float64)
        if self.fit_intercept:
            # a second pass: the mean's rounding (an ulp of y's level: 1e-7 at 1e9) leaves z
            # a mean that implicit centering takes for 0, and the gap would stall at its size
            shift = float(self.d @ self.z / self.sd)
            self.z -= shift
            self.y_offset += shift
        if self.fit_intercept and np.max(np.abs(self.z), initial=0.0) <= 8 * np.finfo(
                np.float64).eps * np.max(np.abs(y), initial=0.0):
            # y is constant up to rounding: centering leaves only noise, which a path or a
            # relative tolerance must not try to fit; every alpha gives w = 0.
            self.z[:] = 0.0
        self.null_objective = 0.5 * float(self.d @ (self.z * self.z)) / self.S
        self._moments = moments
        self._compressed = None
        self._alpha_max_known = {}  # _penalty_key -> alpha_max, filled by alpha_max
        compressible = _compressible(self.n_samples, self.n_features)
        # with the sums given, compressing costs only the factorization
        self.compress = compressible and (bool(compress) or moments is not None)
        self.switch_work = 0  # multiply-adds of epochs on X after which a solve compresses
        if (compressible and not self.compress and not sp.issparse(X)
                and self.n_samples * self.n_features >= SWITCH_MIN_ENTRIES):
            self.switch_work = (self.n_samples * self.n_features ** 2
                                // (2 * GRAM_SPEED_RATIO))

    def _compressed_problem(self):
        """``(parts, z_c, lips, normx)`` of the compressed design ``R`` (built once)."""
        if self._compressed is None:
            if self._moments is None:
                G, b = weighted_gram(self.X, self.d, self.S, self.mu, self.sd, self.z)
            else:
                G, b = self._centred_moments()
            R, zc = _gram_factor(G, b)
            k, p = R.shape
            parts = _column_end_parts(R)
            lips = np.empty(p)
            normx = np.empty(p)
            with _numba_threads():
                column_stats(*parts, np.arange(p), np.ones(k), True, False, 1.0, np.zeros(p),
                             lips, normx)
            # columns constant after centering stay fixed, as on X (R keeps rounding there)
            lips[self.lips == 0.0] = 0.0
            normx[self.lips == 0.0] = 0.0
            self._compressed = (parts, np.ascontiguousarray(zc), lips, normx)
        return self._compressed

    @property
    def X(self):
        """The design (built on first use when the problem was given a callable)."""
        if callable(self._design):
            self._design = self._design()
        return self._design

    @property
    def parts(self):
        """The kernel's design arguments (see :func:`skreg._validation.csc_parts`)."""
        if self._parts is None:
            self._parts = csc_parts(self.X)
        return self._parts

    def _centred_moments(self):
        """``(G, b)`` of :func:`weighted_gram` from the raw sums given as ``moments``."""
        G, c, g, v0 = self._moments
        if not np.any(self.z):  # y constant (z zeroed in __init__): nothing to correlate
            g, c, v0 = np.zeros_like(g), np.zeros_like(c), self.y_offset
        # X^T D z = X^T D (y - v0) - c (y_offset - v0): the sums were taken about v0, the
        # whole data's weighted mean, so that this correction is small (no cancellation)
        b = (g - c * (self.y_offset - v0)) / self.S
        G = G / self.S
        _centre(G, b, self.mu, self.sd, self.S, float(self.d @ self.z))
        return G, b

    def correlations(self, coef=None):
        """``X~^T (sw * r) / S`` with ``r = z - X~ coef``: minus the datafit gradient."""
        if coef is None and self._moments is not None:  # at 0: a sum taken, no pass over X
            return self._centred_moments()[1]
        out = np.empty(self.n_features)
        cols = np.arange(self.n_features)
        r = self.z
        if coef is not None:
            r = self.z - x_dot(self.parts, self.n_samples, coef) + float(self.mu @ coef)
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
        self._alpha_max_known[_penalty_key(l1_ratio, weights)] = amax
        return (amax, rho) if return_rho else amax

    def solve(self, alpha, l1_ratio=1.0, weights=None, positive=False, coef_init=None,
              max_iter=1000, tol=1e-4, p0=DEFAULT_P0):
        """Solve for one penalty; returns :class:`SolveResult`."""
        v = np.ones(self.n_features) if weights is None else weights
        if alpha >= self._alpha_max_known.get(_penalty_key(l1_ratio, weights), np.inf):
            # at or above alpha_max (computed on this problem) every penalized coefficient is
            # 0 exactly, as in the program that gave alpha_max; the solver's correlations,
            # summed in another order, could round a unit above the bound and move one
            l1 = np.where(v > 0, np.inf, 0.0)
            l2 = np.zeros(self.n_features)
        else:
            l1 = alpha * l1_ratio * v
            l2 = alpha * (1.0 - l1_ratio) * v
        return self._solve_levels(l1, l2, positive, coef_init, max_iter, tol, p0)

    def _solve_levels(self, l1, l2, positive, coef_init, max_iter, tol, p0):
        w, _, s, n_epochs, gap, converged = self.run(l1, l2, positive, coef_init, max_iter,
                                                     tol * self.null_objective, p0,
                                                     residual=False)
        intercept = self.y_offset - s if self.fit_intercept else 0.0
        return SolveResult(w, float(intercept), int(n_epochs), float(max(gap, 0.0)),
                           bool(converged))

    def run(self, l1, l2, positive, coef_init, max_iter, tol_abs, p0=DEFAULT_P0,
            residual=True):
        """The kernel on per-feature levels, to an absolute duality gap ``tol_abs``.

        Returns ``(w, r, s, n_epochs, gap, converged)``: the true centred residual is
        ``r + s`` (see :mod:`._cd`). Without ``residual``, ``r`` may be None (a compressed
        solve does not form it).
        """
        w = np.zeros(self.n_features) if coef_init is None else np.array(coef_init, dtype=float)
        if positive:
            np.maximum(w, 0.0, out=w)
        tight = tol_abs < COMPRESS_MIN_TOL * self.null_objective
        if not tight and (self.compress or self._compressed is not None):
            return self._run_compressed(l1, l2, positive, w, max_iter, tol_abs, p0, residual)
        max_work = 0 if tight else self.switch_work
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
                float(tol_abs), int(p0), True, True, int(max_work))
        if max_work > 0 and not converged and n_epochs < max_iter:  # stopped by max_work
            w, r, s, more, gap, converged = self._run_compressed(
                l1, l2, positive, w, max_iter - n_epochs, tol_abs, p0, residual)
            n_epochs += more
        return w, r, s, n_epochs, gap, converged

    def _run_compressed(self, l1, l2, positive, w, max_iter, tol_abs, p0, residual):
        """:meth:`run` on the compressed design (``compress``); same returns."""
        parts, zc, lips, normx = self._compressed_problem()
        k, p = zc.shape[0], self.n_features
        rc = np.empty(k)
        with _numba_threads():
            matvec(*parts, k, w, rc)
        rc = zc - rc
        screened = np.zeros(p, dtype=np.bool_)
        with _numba_threads():
            _, n_epochs, gap, _, converged = enet_ws_solve(
                *parts, zc, np.ones(k), True, 1.0, np.zeros(p), float(k), lips, normx, l1, l2,
                bool(positive), w, rc, 0.0, screened, int(max_iter), float(tol_abs), int(p0),
                True, True, 0)
        r = None
        if residual:  # the residual of the original problem, at the solution
            r = np.empty(self.n_samples)
            with _numba_threads():
                matvec(*self.parts, self.n_samples, w, r)
            r = self.z - r
        return w, r, float(self.mu @ w), n_epochs, gap, converged


def _penalty_key(l1_ratio, weights):
    return float(l1_ratio), None if weights is None else np.asarray(weights).tobytes()


def weighted_moments(X, d, v, v0, rows=None):
    """Raw weighted sums of a dense X over ``rows`` (all rows: None), about ``v0``.

    Returns ``(X_r^T D_r X_r, X_r^T d_r, X_r^T D_r (v_r - v0), v0)`` with ``D = diag(d)``:
    the ``moments`` of :class:`QuadraticProblem`. Sums over a subset of rows are the whole
    data's sums minus those of the other rows, which is how cross-validation folds get their
    Gram matrices (:class:`skreg.linear_model.ElasticNetCV`).
    """
    if rows is not None:
        X, d, v = X[rows], d[rows], v[rows]
    return _raw_gram(X, d), X.T @ d, X.T @ (d * (v - v0)), v0


def _raw_gram(X, d):
    """``X^T diag(d) X`` of a dense X (numpy's BLAS; row blocks when d is not constant)."""
    p = X.shape[1]
    if X.shape[0] == 0:
        return np.zeros((p, p))
    # numpy's BLAS for every dense product and factorization: its ``X.T @ X`` is a
    # symmetric rank-k update, and mixing it with scipy's BLAS (another OpenBLAS, whose
    # threads would compete with numpy's still spinning ones) was three times slower
    if np.all(d == d[0]):
        G = X.T @ X
        G *= d[0]
        return G
    G = np.zeros((p, p))  # on row blocks of sqrt(d) X (no full copy of X)
    root = np.sqrt(d)
    for start in range(0, X.shape[0], GRAM_BLOCK_ROWS):
        stop = start + GRAM_BLOCK_ROWS
        block = X[start:stop] * root[start:stop, None]
        G += block.T @ block
    return G


def _centre(G, b, mu, sd, S, dz):
    """Centre ``(G, b) = (X^T D X, X^T D z)`` (``D = diag(d) / S``) in place:
    ``X~ = X - 1 mu^T`` with ``sd = sum(d)`` and ``dz = d^T z``."""
    if np.any(mu):
        G -= (sd / S) * np.outer(mu, mu)
        b -= mu * (dz / S)


def weighted_gram(X, d, S, mu, sd, z):
    """``(G, b) = (X~^T D X~, X~^T D z)`` with ``D = diag(d) / S`` and ``X~ = X - 1 mu^T``.

    ``mu`` is the d-weighted column mean (or 0), so ``X~^T D X~ = X^T D X - (sd / S) mu mu^T``
    and X is never centred (a sparse X stays sparse).
    """
    p = X.shape[1]
    if sp.issparse(X):
        # summed over pairs of stored entries of each row (csr_gram): a support of 707
        # columns of a 1%-dense CSC design took 0.6 ms, against 10 ms for scipy's product
        cols = sp.csc_matrix(X)
        rows = cols.tocsr()
        dS = d / S
        G = np.zeros((p, p))
        csr_gram(rows.data, rows.indices, rows.indptr, cols.data, cols.indices, cols.indptr,
                 dS, False, G)  # symmetric to rounding: Cholesky reads one triangle
        b = np.asarray(cols.T @ (dS * z)).ravel()
    else:
        b = X.T @ (d * z) / S
        G = _raw_gram(X, d)
        G /= S
    _centre(G, b, mu, sd, S, float(d @ z))
    return G, b


def _column_end_parts(R):
    """:func:`csc_parts` of a dense ``R`` with the column ends the kernels read (see
    :mod:`skreg._kernels.linalg`): column ``j`` stops at its last non-zero row, so passes
    over an upper-triangular factor skip its zeros (half the work)."""
    Xd, data, indices, indptr, is_sparse = csc_parts(R)
    nonzero = R != 0.0
    ends = np.where(nonzero.any(axis=0), R.shape[0] - np.argmax(nonzero[::-1], axis=0), 0)
    indptr = np.concatenate(([0], ends)).astype(indptr.dtype)
    return Xd, data, indices, indptr, is_sparse


def _gram_factor(G, b):
    """``(R, z_c)`` with ``R^T R = G`` and ``R^T z_c = b`` (``G, b`` of :func:`weighted_gram`).

    ``R`` is the upper Cholesky factor when ``G`` is positive definite, otherwise
    ``Lambda_+^(1/2) V_+^T`` from its eigenvalues above rounding (rank-deficient designs), so
    that ``1/2 ||z_c - R w||^2`` equals the datafit up to a constant for every ``w`` in both
    cases (``X~^T D z`` lies in the range of ``G``).
    """
    floor = G.shape[0] * np.finfo(np.float64).eps * max(float(np.max(np.diag(G))), 0.0)
    try:
        L = np.linalg.cholesky(G)
        if np.min(np.diag(L)) ** 2 > floor:  # not numerically singular
            zc = scipy.linalg.solve_triangular(L, b, lower=True, check_finite=False)
            return np.asfortranarray(L.T), zc
    except np.linalg.LinAlgError:
        pass
    lam, V = np.linalg.eigh(G)
    keep = lam > floor
    root = np.sqrt(lam[keep])
    R = root[:, None] * V[:, keep].T
    zc = (V[:, keep].T @ b) / root
    return np.asfortranarray(R), zc
