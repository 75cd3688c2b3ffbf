r"""Solvers of graph-regularized least squares (functional API).

Both problems have the form

.. math:: \min_{w, b} \ \tfrac12 \sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha\, R(Gw),

with :math:`R = \tfrac12\|\cdot\|_2^2` (:func:`graph_tikhonov`) or :math:`\|\cdot\|_1`
(:func:`graph_l1`), ``G`` a penalty operator (a graph Laplacian ``L``, or an incidence matrix
``B`` for graph total variation), ``s`` sample weights and ``b`` an optional intercept.

Two linear-algebra back ends serve both: ``"direct"`` forms the ``p x p`` normal matrix and
factors it (dense Cholesky; a generalized eigendecomposition when many values of ``alpha``
are needed), ``"cg"`` never forms it and runs preconditioned conjugate gradients with
multi-core numba sparse matrix-vector products. ``"auto"`` picks ``"direct"`` up to
``DIRECT_MAX_FEATURES`` unknowns. The l1 problem is solved by ADMM on either back end (with
``"direct"``, the loop is one numba kernel, :mod:`skreg.graph._admm`) or, with ``"pdhg"``
(``"auto"`` for large problems), by the preconditioned primal-dual hybrid gradient method,
which needs no linear solve.
"""

import contextlib
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from .._config import _numba_threads, _single_threaded_blas
from .._kernels.linalg import SPARSE_PENALTY, csr_gram_parallel, csr_gram_work, csr_matvec
from .._validation import check_bool, check_sample_weight, check_X_y_arrays
from ._admm import (
    CONVERGED,
    RHO_CHANGE,
    admm_dense,
    anderson_point,
    anderson_store,
    rho_scale,
)
from ._cg import normal_apply, normal_cg

__all__ = ["GraphResult", "graph_l1", "graph_tikhonov"]

#: ``solver="auto"`` factors the dense normal matrix up to this many unknowns: for a single
#: Tikhonov solve (conjugate gradients are cheaper beyond), and for ADMM, whose many w-steps
#: then cost two triangular solves each (measured on 64 x 64 CT: 14 ms per step and 4-6 s in
#: all, where CG w-steps on the ill-conditioned system took ~300 iterations each).
DIRECT_MAX_FEATURES = 2048
DIRECT_MAX_FEATURES_ADMM = 4096
#: l1 with a sparse X: ``solver="auto"`` is PDHG above this many unknowns (on CT, PDHG at 48 x
#: 48 pixels took 0.4-0.7 s where the direct ADMM took 0.5-2.9 s, and 1 s against 3-9 s at
#: 64 x 64; with dense Gaussian designs PDHG needs 5-7x more steps and ADMM is kept)
PDHG_MIN_FEATURES_SPARSE = 1024
INNER_RTOL = 1e-2
#: ADMM settings: over-relaxation, steps between residual-balancing checks of rho, initial
#: rho as a multiple of the ratio of the mean diagonals of A^T A and G^T G, and the Anderson
#: memory of the "direct" loop (0: plain ADMM)
RELAX = 1.6
BALANCE_EVERY = 200
RHO_SCALE = 3.0
ANDERSON_MEMORY = 10
#: primal step scale of the preconditioned PDHG (its dual steps are divided by it), and the
#: Anderson memory of its loop (0: plain PDHG)
PDHG_BALANCE = 1.0
PDHG_ANDERSON_MEMORY = 5


@dataclass
class GraphResult:
    """Result of :func:`graph_tikhonov` and :func:`graph_l1`.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        The minimizer ``w``.
    intercept : float
        ``b`` (0.0 without an intercept).
    objective : float
        The objective at ``(coef, intercept)``.
    residual_norm : float
        :math:`\\|S^{1/2}(y - Xw - b)\\|_2`.
    n_iter : int
        Iterations: conjugate-gradient steps (Tikhonov, ``"cg"``), ADMM or PDHG steps (l1), 0 for a
        direct Tikhonov solve.
    converged : bool
        Whether the stopping criterion was met within ``max_iter``.
    solver : str
        The back end used, ``"direct"``, ``"cg"`` or ``"pdhg"``.
    """

    coef: np.ndarray
    intercept: float
    objective: float
    residual_norm: float
    n_iter: int
    converged: bool
    solver: str


# --------------------------------------------------------------------------------------------
# Linear algebra: the centred, weighted design and the penalty operator
# --------------------------------------------------------------------------------------------
class _SparseOp:
    """A CSR matrix and its transpose, applied with the parallel numba kernel."""

    def __init__(self, A):
        A = sp.csr_matrix(A, dtype=np.float64)
        A.sort_indices()
        At = A.T.tocsr()
        self.shape = A.shape
        self._a = (A.data, A.indices, A.indptr)
        self._at = (At.data, At.indices, At.indptr)
        self.matrix = A

    def dot(self, x):
        out = np.empty(self.shape[0])
        csr_matvec(*self._a, x, out)
        return out

    def tdot(self, r):
        out = np.empty(self.shape[1])
        csr_matvec(*self._at, r, out)
        return out

    def gram(self, d=None):
        """Dense ``A^T diag(d) A`` (``d = 1`` by default): summed over pairs of stored
        entries, or as a dense BLAS product when the rows are so full that it is cheaper
        (``SPARSE_PENALTY``)."""
        n, p = self.shape
        if n * float(p) * p < SPARSE_PENALTY * csr_gram_work(self._a[2]):
            D = self.matrix.toarray()
            if d is not None:
                D *= np.sqrt(d)[:, None]
            return D.T @ D
        F = np.zeros((p, p))
        csr_gram_parallel(*self._a, *self._at, np.empty(0) if d is None else d, d is None, F)
        return F


class _Design:
    r"""``A = S^{1/2} (X - 1 \bar x^\top)`` and ``t = S^{1/2} (y - \bar y)`` as operators.

    ``\bar x``, ``\bar y`` are the ``s``-weighted means when fitting an intercept, else 0.
    X itself is never copied (dense X is applied with BLAS, sparse X with numba kernels).
    """

    def __init__(self, X, y, sw, fit_intercept):
        self.n_samples, self.n_features = X.shape
        self.sparse = sp.issparse(X)
        self.X = _SparseOp(X) if self.sparse else X
        self.sqrt_sw = np.sqrt(sw)
        self.unit_weights = bool(np.all(sw == 1.0))
        self.sw = sw
        self.fit_intercept = fit_intercept
        if fit_intercept:
            self.x_mean = self._xt(sw) / sw.sum()
            # a constant y is centred exactly (its rounded weighted mean would leave ~1e-17)
            self.y_mean = float(y[0]) if np.all(y == y[0]) else float(np.dot(sw, y) / sw.sum())
        else:
            self.x_mean = np.zeros(self.n_features)
            self.y_mean = 0.0
        self.t = self.sqrt_sw * (y - self.y_mean)
        self.y = y

    def _x(self, v):
        return self.X.dot(v) if self.sparse else self.X @ v

    def _xt(self, r):
        return self.X.tdot(r) if self.sparse else self.X.T @ r

    def dot(self, v):
        out = self._x(v)
        if self.fit_intercept:
            out -= np.dot(self.x_mean, v)
        if not self.unit_weights:
            out *= self.sqrt_sw
        return out

    def tdot(self, r):
        u = r if self.unit_weights else self.sqrt_sw * r
        out = self._xt(u)
        if self.fit_intercept:
            out -= self.x_mean * u.sum()
        return out

    def gram(self):
        """Dense ``A^T A`` (``p x p``)."""
        if self.sparse:
            M = self.X.gram(None if self.unit_weights else self.sw)
        else:
            Xs = self.X * self.sqrt_sw[:, None]
            M = Xs.T @ Xs
        if self.fit_intercept:
            M -= self.sw.sum() * np.outer(self.x_mean, self.x_mean)
        return M

    def col_sq_norms(self):
        if self.sparse:
            Xs = self.X.matrix
            sq = np.asarray(Xs.multiply(Xs).T @ self.sw).ravel()
        else:
            sq = (self.X**2).T @ self.sw
        return np.maximum(sq - self.sw.sum() * self.x_mean**2, 0.0)

    def intercept(self, coef):
        return self.y_mean - float(np.dot(self.x_mean, coef)) if self.fit_intercept else 0.0

    def abs_sums(self):
        """Row and column sums of ``|A|`` (the diagonal preconditioners of PDHG), without
        forming ``A``: for sparse X, the centring enters through the stored entries only."""
        xm = self.x_mean
        if self.sparse:
            D = self.X.matrix.copy()
            if self.fit_intercept:
                cols = D.indices
                D.data = np.abs(D.data - xm[cols]) - np.abs(xm[cols])
            else:
                D.data = np.abs(D.data)
            rows = np.asarray(D.sum(axis=1)).ravel() + np.abs(xm).sum()
            cols = D.T @ self.sqrt_sw + np.abs(xm) * self.sqrt_sw.sum()
            return self.sqrt_sw * rows, np.asarray(cols).ravel()
        rows = np.empty(self.n_samples)
        cols = np.zeros(self.n_features)
        for start in range(0, self.n_samples, 1024):  # blocks: no copy of X
            block = np.abs(self.X[start:start + 1024] - xm)
            rows[start:start + 1024] = block.sum(axis=1)
            cols += self.sqrt_sw[start:start + 1024] @ block
        return self.sqrt_sw * rows, cols


def _blas_for_level1(design):
    """BLAS on one thread while an iterative solver runs with a sparse X: BLAS then only does
    vector operations, and its idle threads, busy-waiting after each call, took cores from the
    numba products (CT 128 x 128: CG 1.9 s -> 0.56 s, PDHG 17.5 s -> 6.9 s). A dense X keeps
    BLAS threads for its products."""
    return _single_threaded_blas() if design.sparse else contextlib.nullcontext()


class _Penalty:
    """The penalty operator ``G`` (CSR) with ``G @ v``, ``G.T @ r`` and ``G^T G`` helpers."""

    def __init__(self, G):
        self.op = _SparseOp(G)
        self.shape = self.op.shape

    def dot(self, v):
        return self.op.dot(v)

    def tdot(self, r):
        return self.op.tdot(r)

    def gram(self):
        """Dense ``G^T G``."""
        return self.op.gram()

    def col_sq_norms(self):
        G = self.op.matrix
        return np.asarray(G.multiply(G).sum(axis=0)).ravel()

    def abs_sums(self):
        """Row and column sums of ``|G|``."""
        G = abs(self.op.matrix)
        return np.asarray(G.sum(axis=1)).ravel(), np.asarray(G.sum(axis=0)).ravel()


def _cholesky_solver(M, N, rho):
    """``v -> (M + rho N)^{-1} v``; a pseudo-inverse when the pencil is singular."""
    K = M + rho * N
    try:
        factor = sla.cho_factor(K, lower=True, check_finite=False)
        return lambda v: sla.cho_solve(factor, v, check_finite=False)
    except sla.LinAlgError:
        # X and G share a null vector: the minimizer is not unique, take the least-norm one
        evals, evecs = np.linalg.eigh(K)
        cutoff = evals.max() * K.shape[0] * np.finfo(float).eps
        inv = np.where(evals > cutoff, 1.0 / np.where(evals > cutoff, evals, 1.0), 0.0)
        return lambda v: evecs @ (inv * (evecs.T @ v))


def _cg_operands(design, penalty):
    """The leading arguments of :func:`~skreg.graph._cg.normal_cg` (``X``, centring, weights,
    ``G``): CSR triples of ``X`` and ``X^T`` for a sparse ``X``, the array for a dense one
    (the unused slot gets a stand-in of the other case's types, so that dense and sparse
    calls share one compiled specialization: a Fortran array, as validation gives, and int32
    indices)."""
    empty_csr = (np.empty(0), np.empty(0, dtype=np.int32), np.zeros(1, dtype=np.int32))
    if design.sparse:
        Xd, x_csr, xt_csr = np.empty((2, 2), order="F"), design.X._a, design.X._at
    else:
        Xd, x_csr, xt_csr = design.X, empty_csr, empty_csr
    return (Xd, x_csr, xt_csr, design.sparse, design.x_mean, design.sqrt_sw,
            design.unit_weights, design.fit_intercept, penalty.op._a, penalty.op._at)


class _NormalSystem:
    """Solves ``(A^T A + rho G^T G) w = rhs`` for any ``rho``, by factorization or by CG."""

    def __init__(self, design, penalty, solver):
        self.design = design
        self.penalty = penalty
        self.solver = solver
        self.n_iter = 0
        if solver == "direct":
            self.M = design.gram()
            self.N = penalty.gram()
            self._rho = None
            self._solve = None
        else:
            self.diag_m = design.col_sq_norms()
            self.diag_n = penalty.col_sq_norms()
            self._operands = _cg_operands(design, penalty)

    def solve(self, rhs, rho, x0=None, rtol=1e-10, max_iter=None, from_start=True):
        """Solve; with CG, ``rtol`` is relative to the residual at ``x0`` when
        ``from_start`` (inexact ADMM steps always progress), else to ``||rhs||`` (a warm start
        near the solution then saves iterations)."""
        if self.solver == "direct":
            if rho != self._rho:
                self._solve = _cholesky_solver(self.M, self.N, rho)
                self._rho = rho
            return self._solve(rhs), True
        p = rhs.shape[0]
        d = self.design
        diag = self.diag_m + rho * self.diag_n
        inv_diag = np.where(diag > 0.0, 1.0 / np.where(diag > 0.0, diag, 1.0), 1.0)
        with _numba_threads(), _blas_for_level1(d):
            # CG on the correction from x0: rtol is relative to the initial residual, so a
            # warm start near the solution still makes progress (inexact ADMM w-steps)
            if x0 is None or not np.any(x0):
                x0, r0 = None, rhs
            else:
                r0 = rhs - self.apply(x0, rho)
            r0_norm = np.linalg.norm(r0)
            target = rtol * (r0_norm if from_start else np.linalg.norm(rhs))
            if r0_norm <= target or r0_norm == 0.0:
                return (np.zeros(p) if x0 is None else x0.copy()), True
            dx, n_iter, converged = normal_cg(*self._operands, rho, inv_diag, r0, target,
                                              max_iter or 10 * p)
        self.n_iter += n_iter
        return (dx if x0 is None else x0 + dx), converged

    def apply(self, v, rho):
        """``(A^T A + rho G^T G) v``."""
        p = v.shape[0]
        out = np.empty(p)
        normal_apply(*self._operands, rho, np.ascontiguousarray(v, dtype=np.float64),
                      np.empty(self.design.n_samples), np.empty(self.penalty.shape[0]), out,
                      np.empty(p))
        return out


# --------------------------------------------------------------------------------------------
# Input checks shared by the two solvers
# --------------------------------------------------------------------------------------------
def _check_penalty_operator(G, n_features):
    if not sp.issparse(G):
        arr = np.asarray(G)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"the penalty operator must be numeric, got dtype {arr.dtype}.")
        if np.iscomplexobj(arr):
            raise ValueError("Complex data not supported: the penalty operator is complex.")
        if arr.ndim != 2:
            raise ValueError(f"the penalty operator must be 2-D, got shape {arr.shape}.")
        G = sp.csr_matrix(arr.astype(np.float64))
    else:
        if np.iscomplexobj(G.data):
            raise ValueError("Complex data not supported: the penalty operator is complex.")
        G = sp.csr_matrix(G, dtype=np.float64)
    if G.shape[1] != n_features:
        raise ValueError(
            f"the penalty operator has {G.shape[1]} columns but X has {n_features} features."
        )
    if not np.all(np.isfinite(G.data)):
        raise ValueError("the penalty operator contains NaN or infinity.")
    return G


def _check_alpha(alpha):
    if not isinstance(alpha, numbers.Real) or isinstance(alpha, bool) or not np.isfinite(alpha) \
            or alpha < 0:
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}.")
    return float(alpha)


def _check_solver(solver, n_features, l1=False, sparse=False):
    """The back end: "direct", "cg" or (l1 only) "pdhg"; "auto" picks by size (and, for l1,
    by the storage of X: PDHG's diagonal steps suit sparse operators, not dense designs)."""
    allowed = ("auto", "direct", "cg", "pdhg") if l1 else ("auto", "direct", "cg")
    if solver not in allowed:
        names = ", ".join(repr(a) for a in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ValueError(f"solver must be {names}, got {solver!r}.")
    if solver == "auto":
        if l1:
            limit = PDHG_MIN_FEATURES_SPARSE if sparse else DIRECT_MAX_FEATURES_ADMM
            return "direct" if n_features <= limit else "pdhg"
        return "direct" if n_features <= DIRECT_MAX_FEATURES else "cg"
    return solver


def _check_tol_iter(tol, max_iter):
    if not isinstance(tol, numbers.Real) or isinstance(tol, bool) or not tol > 0 \
            or not np.isfinite(tol):
        raise ValueError(f"tol must be a positive number, got {tol!r}.")
    if max_iter is not None and (
        not isinstance(max_iter, numbers.Integral) or isinstance(max_iter, bool) or max_iter < 1
    ):
        raise ValueError(f"max_iter must be None or an integer >= 1, got {max_iter!r}.")


def _check_x0(x0, n_features):
    if x0 is None:
        return np.zeros(n_features)
    x0 = np.array(x0, dtype=np.float64, copy=True)
    if x0.shape != (n_features,) or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be a finite array of shape ({n_features},).")
    return x0


def _prepare(X, y, G, sample_weight, fit_intercept):
    X, y = check_X_y_arrays(X, y)
    sw = check_sample_weight(sample_weight, X.shape[0])
    design = _Design(X, y, sw, check_bool(fit_intercept, "fit_intercept"))
    penalty = _Penalty(_check_penalty_operator(G, X.shape[1]))
    return design, penalty


def _residual_norm(design, coef):
    return float(np.linalg.norm(design.dot(coef) - design.t))


# --------------------------------------------------------------------------------------------
# Tikhonov (l2)
# --------------------------------------------------------------------------------------------
def _tikhonov(design, penalty, system, alpha, x0, tol, max_iter):
    rhs = design.tdot(design.t)
    coef, converged = system.solve(rhs, alpha, x0=x0, rtol=tol, max_iter=max_iter,
                                   from_start=False)
    return coef, converged


def _tikhonov_result(design, penalty, system, coef, alpha, converged):
    res = _residual_norm(design, coef)
    pen = np.linalg.norm(penalty.dot(coef))
    return GraphResult(
        coef=coef,
        intercept=design.intercept(coef),
        objective=0.5 * res**2 + 0.5 * alpha * pen**2,
        residual_norm=res,
        n_iter=system.n_iter,
        converged=bool(converged),
        solver=system.solver,
    )


def graph_tikhonov(X, y, G, alpha, *, sample_weight=None, fit_intercept=False, solver="auto",
                   tol=1e-10, max_iter=None, x0=None):
    r"""Tikhonov regularization with a graph penalty: a ridge on ``G w``.

    Solves

    .. math:: \min_{w, b} \ \tfrac12 \sum_i s_i (y_i - x_i^\top w - b)^2
              + \tfrac{\alpha}{2} \|G w\|_2^2

    through the normal equations :math:`(A^\top A + \alpha G^\top G) w = A^\top t`
    (``A``, ``t``: the weighted, centred ``X`` and ``y``).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix or forward operator.
    y : array-like of shape (n_samples,)
        Observations.
    G : {array-like, sparse matrix} of shape (n_penalty, n_features)
        Penalty operator, typically a graph Laplacian from :mod:`skreg.graph`.
    alpha : float
        Regularization strength, >= 0.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights ``s`` of the squared residuals.
    fit_intercept : bool, default=False
        Fit an unpenalized intercept ``b``.
    solver : {"auto", "direct", "cg"}, default="auto"
        ``"direct"`` factors the dense normal matrix (Cholesky), ``"cg"`` runs Jacobi-
        preconditioned conjugate gradients with parallel sparse products; ``"auto"`` is
        ``"direct"`` up to ``DIRECT_MAX_FEATURES`` (2048) unknowns.
    tol : float, default=1e-10
        Relative residual of the normal equations at which CG stops.
    max_iter : int, default=None
        CG iteration limit (default ``10 * n_features``).
    x0 : array-like of shape (n_features,), default=None
        CG starting point (warm start).

    Returns
    -------
    result : GraphResult
        ``coef``, ``intercept``, ``objective``, ``residual_norm``, ``n_iter``,
        ``converged``, ``solver``.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.graph import graph_tikhonov, grid_laplacian
    >>> X = np.eye(5)
    >>> y = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    >>> res = graph_tikhonov(X, y, grid_laplacian(5), alpha=0.1)
    >>> np.round(res.coef, 3)
    array([-0.018,  0.164,  0.709,  0.164, -0.018])
    """
    design, penalty = _prepare(X, y, G, sample_weight, fit_intercept)
    alpha = _check_alpha(alpha)
    _check_tol_iter(tol, max_iter)
    system = _NormalSystem(design, penalty, _check_solver(solver, design.n_features))
    x0 = _check_x0(x0, design.n_features)
    coef, converged = _tikhonov(design, penalty, system, alpha, x0, tol, max_iter)
    if not converged:
        warnings.warn(
            f"conjugate gradients did not reach tol={tol:g} in {system.n_iter} iterations; "
            "increase max_iter or loosen tol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return _tikhonov_result(design, penalty, system, coef, alpha, converged)


# --------------------------------------------------------------------------------------------
# l1 analysis penalty: ADMM
# --------------------------------------------------------------------------------------------
def _l1_objective(design, penalty, coef, alpha):
    res = _residual_norm(design, coef)
    return 0.5 * res**2 + alpha * np.abs(penalty.dot(coef)).sum(), res


def _dense_factor(system, rho):
    """``(factor, kind)`` of ``A^T A + rho G^T G`` for :func:`admm_dense`: the C-ordered lower
    Cholesky factor (kind 0) or, for a singular pencil, the pseudo-inverse (kind 1)."""
    K = system.M + rho * system.N
    try:
        return np.ascontiguousarray(np.linalg.cholesky(K)), 0
    except np.linalg.LinAlgError:
        evals, evecs = np.linalg.eigh(K)
        cutoff = evals.max() * K.shape[0] * np.finfo(float).eps
        inv = np.where(evals > cutoff, 1.0 / np.where(evals > cutoff, evals, 1.0), 0.0)
        return np.ascontiguousarray((evecs * inv) @ evecs.T), 1


def _l1_solve(design, penalty, system, alpha, coef, tol, max_iter, state=None):
    """The solver of :func:`graph_l1`: ADMM (back ends ``"direct"``, ``"cg"``) or PDHG
    (``"pdhg"``). ``state`` is the fourth output of an earlier call with the same back end
    (warm start of a sequence of related problems; another back end's is ignored).

    Returns ``(coef, n_iter, converged, state)``.
    """
    A_t = design.tdot(design.t)
    if alpha == 0.0 or penalty.op.matrix.nnz == 0:
        # no penalty: least squares, solved once to full accuracy
        coef, ok = system.solve(A_t, 0.0, x0=coef, rtol=1e-12, from_start=False)
        return coef, 1, ok, None
    m = penalty.shape[0]
    t_abs = tol * 1e-3 * max(np.linalg.norm(design.t), 1e-300) / np.sqrt(max(m, 1))
    pdhg_state = state is not None and state[2] is None
    if system.solver == "pdhg":
        if not pdhg_state or state[1].shape[0] != design.n_samples:
            state = None
        return _pdhg(design, penalty, alpha, coef, tol, t_abs, max_iter, state)
    return _admm(design, penalty, system, A_t, alpha, coef, tol, t_abs, max_iter,
                 None if pdhg_state else state)


def _admm(design, penalty, system, A_t, alpha, coef, tol, t_abs, max_iter, state):
    r"""ADMM on :math:`\min \tfrac12\|Aw - t\|^2 + \alpha \|z\|_1` s.t. :math:`Gw = z`.

    Scaled form with over-relaxation ``RELAX`` and residual balancing of ``rho`` (Boyd et al.,
    2011, sections 3.3 and 3.4.1; the rule of OSQP) every ``BALANCE_EVERY`` steps. Stops when
    both residuals are below ``sqrt(dim) * t_abs + tol * scale``. With the ``"direct"`` back
    end the whole loop runs in :func:`admm_dense`, with Anderson acceleration. ``state``
    (z, u, rho) warm-starts a sequence of related problems.
    """
    m, p = penalty.shape
    if state is not None:
        z, u, rho = state
        u = u.copy()
        z = z.copy()
    else:
        z = penalty.dot(coef)
        u = np.zeros(m)
        # balance the two quadratic terms of the w-step
        rho = RHO_SCALE * max(
            np.sqrt(np.mean(_system_diag(system, design, "m"))
                    / max(np.mean(_system_diag(system, design, "n")), 1e-300)), 1e-8)
    if system.solver == "direct":
        return _admm_direct(system, penalty, A_t, alpha, rho, z, u, tol, t_abs, max_iter)
    # inexact w-steps (CG): each reduces the residual of the w-subproblem, measured from the
    # previous w, by INNER_RTOL; the errors shrink with the ADMM steps themselves
    inner_rtol = INNER_RTOL
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        rhs = A_t + rho * penalty.tdot(z - u)
        coef, _ = system.solve(rhs, rho, x0=coef, rtol=inner_rtol)
        Gw = penalty.dot(coef)
        Gw_hat = RELAX * Gw + (1.0 - RELAX) * z
        z_old = z
        v = Gw_hat + u
        z = np.sign(v) * np.maximum(np.abs(v) - alpha / rho, 0.0)
        u = u + Gw_hat - z
        r_norm = np.linalg.norm(Gw - z)
        s_norm = rho * np.linalg.norm(penalty.tdot(z - z_old))
        eps_pri = np.sqrt(m) * t_abs + tol * max(np.linalg.norm(Gw), np.linalg.norm(z))
        eps_dual = np.sqrt(p) * t_abs + tol * rho * np.linalg.norm(penalty.tdot(u))
        if r_norm <= eps_pri and s_norm <= eps_dual:
            converged = True
            break
        if it % BALANCE_EVERY == 0:
            scale = rho_scale(r_norm, max(np.linalg.norm(Gw), np.linalg.norm(z)), s_norm,
                               rho * np.linalg.norm(penalty.tdot(u)))
            rho *= scale
            u /= scale
    return coef, it, converged, (z, u, rho)


def _admm_direct(system, penalty, A_t, alpha, rho, z, u, tol, t_abs, max_iter):
    """The ``"direct"`` ADMM: :func:`admm_dense` between refactorizations at a new ``rho``."""
    g = penalty.op._a
    gt = penalty.op._at
    n_iter = 0
    while True:
        factor, kind = _dense_factor(system, rho)
        with _numba_threads():
            coef, z, u, it, status, scale = admm_dense(
                factor, kind, A_t, *g, *gt, alpha, rho, RELAX, z, u, tol, t_abs,
                max_iter - n_iter, ANDERSON_MEMORY, BALANCE_EVERY)
        n_iter += it
        if status == RHO_CHANGE:
            rho *= scale
            u = u / scale
        else:
            return coef, n_iter, status == CONVERGED, (z, u, rho)


def _pdhg(design, penalty, alpha, coef, tol, t_abs, max_iter, state):
    r"""Preconditioned primal-dual hybrid gradient (Chambolle & Pock, 2011; the diagonal steps
    of Pock & Chambolle, 2011) on :math:`\min_w F(Aw) + \alpha\|Gw\|_1`, ``F`` the squared
    loss: four sparse products per step and no linear solve, for problems too large to factor.

    Dual variables: ``q`` (datafit, ``n``) and ``r`` (penalty, ``m``, in ``[-alpha, alpha]``).
    Stops when the primal residual :math:`\|A^\top q + G^\top r\|` and the dual residual
    (Goldstein, Li & Yuan, 2015) are below ``sqrt(dim) * t_abs + tol * scale``.
    ``state`` is ``(r, q, None)`` of an earlier solve (warm start).
    """
    n, p = design.n_samples, design.n_features
    m = penalty.shape[0]
    a_rows, a_cols = design.abs_sums()
    g_rows, g_cols = penalty.abs_sums()
    # PDHG runs on the equivalent problem with c G and alpha / c, c = the ratio of the mean
    # absolute row sums of A and G: the diagonal steps then treat both blocks alike (on the
    # CT benchmarks, 2-5x fewer iterations than c = 1)
    c = float(np.mean(a_rows) / np.mean(g_rows))
    if not (np.isfinite(c) and c > 0.0):
        c = 1.0
    g_rows, g_cols, bound = c * g_rows, c * g_cols, alpha / c
    cols = a_cols + g_cols
    tau = np.where(cols > 0.0, PDHG_BALANCE / np.where(cols > 0.0, cols, 1.0), 0.0)
    inv_sig_a = PDHG_BALANCE * a_rows  # 1 / sigma (0 on an empty row: its dual stays put)
    inv_sig_g = PDHG_BALANCE * g_rows
    sig_a = np.where(a_rows > 0.0, 1.0 / np.where(a_rows > 0.0, inv_sig_a, 1.0), 0.0)
    sig_g = np.where(g_rows > 0.0, 1.0 / np.where(g_rows > 0.0, inv_sig_g, 1.0), 0.0)
    if state is not None:
        r, q = state[0] / c, state[1].copy()
    else:
        r, q = np.zeros(m), np.zeros(n)
    t = design.t
    t_norm = np.linalg.norm(t)
    # the iterate x = (w, q, r) and the products that T(x) needs, (A w, G w, A^T q, G^T r),
    # are kept in one vector: the products are linear in x, so an Anderson combination of
    # vectors carries them along exactly and an accelerated point costs no extra product
    iw, iq, ir = slice(0, p), slice(p, p + n), slice(p + n, p + n + m)
    base = p + n + m
    iAw, iGw = slice(base, base + n), slice(base + n, base + n + m)
    iAq, iGr = slice(base + n + m, base + n + m + p), slice(base + n + m + p, base + n + m + 2 * p)

    def step(x):
        """``T(x)`` (extended) and the primal and dual residuals of the step."""
        w_new = x[iw] - tau * (x[iAq] + x[iGr])
        Aw_new = design.dot(w_new)
        Gw_new = c * penalty.dot(w_new)
        q_new = (x[iq] + sig_a * (2.0 * Aw_new - x[iAw] - t)) / (1.0 + sig_a)
        r_new = np.clip(x[ir] + sig_g * (2.0 * Gw_new - x[iGw]), -bound, bound)
        at_q = design.tdot(q_new)
        gt_r = c * penalty.tdot(r_new)
        tx = np.concatenate([w_new, q_new, r_new, Aw_new, Gw_new, at_q, gt_r])
        primal = np.linalg.norm(at_q + gt_r)
        dual = np.sqrt(np.linalg.norm(inv_sig_a * (x[iq] - q_new) + Aw_new - x[iAw]) ** 2
                       + np.linalg.norm(inv_sig_g * (x[ir] - r_new) + Gw_new - x[iGw]) ** 2)
        eps_pri = np.sqrt(p) * t_abs + tol * max(np.linalg.norm(at_q), np.linalg.norm(gt_r))
        eps_dual = np.sqrt(n + m) * t_abs + tol * max(
            np.sqrt(np.dot(Aw_new, Aw_new) + np.dot(Gw_new, Gw_new)), t_norm)
        return tx, primal <= eps_pri and dual <= eps_dual

    # the diagonal of PDHG's metric: 1 / tau (cols / PDHG_BALANCE) and 1 / sigma
    sqrt_metric = np.sqrt(np.concatenate([cols / PDHG_BALANCE, inv_sig_a, inv_sig_g]))
    converged = False
    it = 0
    memory = PDHG_ANDERSON_MEMORY
    with _numba_threads(), _blas_for_level1(design):
        x = np.concatenate([coef, q, r, design.dot(coef), c * penalty.dot(coef),
                            design.tdot(q), c * penalty.tdot(r)])
        # Anderson memory (rings): differences of T(x) (extended) and of f
        d_tx = np.empty((memory, x.shape[0]))
        d_f = np.empty((memory, base))
        gram = np.empty((memory, memory))
        n_stored = head = 0
        tx_prev = f_prev = None
        f_norm_prev = np.inf
        accelerated = False
        while it < max_iter:
            it += 1
            tx, done = step(x)
            if done:
                converged = True
                x = tx
                break
            # the fixed-point residual, scaled by the diagonal of PDHG's metric (in which the
            # iteration is nonexpansive); the safeguard uses the full metric, whose cross
            # term needs K (T(x) - x), i.e. differences of the carried products
            f = sqrt_metric * (tx[:base] - x[:base])
            cross = (np.dot(tx[iq] - x[iq], tx[iAw] - x[iAw])
                     + np.dot(tx[ir] - x[ir], tx[iGw] - x[iGw]))
            f_norm = np.sqrt(max(np.dot(f, f) - 2.0 * cross, 0.0))
            if accelerated and f_norm > f_norm_prev:
                # safeguard: the accelerated point made things worse; restart plainly
                x = tx_prev
                n_stored = head = 0
                tx_prev = f_prev = None
                accelerated = False
                continue
            if memory == 0:
                x = tx
                continue
            if tx_prev is not None:
                np.subtract(tx, tx_prev, out=d_tx[head])
                np.subtract(f, f_prev, out=d_f[head])
                n_stored = min(n_stored + 1, memory)
                anderson_store(d_f, gram, head, n_stored)
                head = (head + 1) % memory
            tx_prev, f_prev, f_norm_prev = tx, f, f_norm
            x = np.empty_like(tx)
            accelerated = n_stored > 0 and anderson_point(d_tx, d_f, gram, n_stored, tx, f, x)
            if not accelerated:
                x = tx
    coef, q, r = x[iw].copy(), x[iq].copy(), c * x[ir]
    return coef, it, converged, (r, q, None)


def _system_diag(system, design, which):
    if system.solver == "direct":
        return np.diag(system.M if which == "m" else system.N)
    return system.diag_m if which == "m" else system.diag_n


def graph_l1(X, y, G, alpha, *, sample_weight=None, fit_intercept=False, solver="auto",
             tol=1e-7, max_iter=10000, x0=None):
    r"""Least squares with an l1 analysis penalty ``||G w||_1`` (graphLa, graph TV).

    Solves

    .. math:: \min_{w, b} \ \tfrac12 \sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha \|G w\|_1

    by the alternating direction method of multipliers (ADMM) on the splitting ``z = Gw``,
    with over-relaxation and residual balancing of the penalty parameter. The ``w``-step is a
    Tikhonov solve, by Cholesky factorization (``"direct"``: the whole loop then runs in one
    numba kernel, with Anderson acceleration) or by warm-started conjugate gradients whose
    accuracy tightens as ADMM converges (``"cg"``). For problems too large to factor,
    ``"pdhg"`` runs the diagonally preconditioned primal-dual hybrid gradient method
    (Chambolle & Pock, 2011): four parallel sparse products per step and no linear solve.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix or forward operator.
    y : array-like of shape (n_samples,)
        Observations.
    G : {array-like, sparse matrix} of shape (n_penalty, n_features)
        Penalty operator: a graph Laplacian ``L`` (graphLa) or an incidence matrix
        (:func:`~skreg.graph.incidence_matrix`, graph total variation).
    alpha : float
        Regularization strength, >= 0.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights ``s`` of the squared residuals.
    fit_intercept : bool, default=False
        Fit an unpenalized intercept ``b``.
    solver : {"auto", "direct", "cg", "pdhg"}, default="auto"
        ADMM with a ``"direct"`` or ``"cg"`` ``w``-step (see :func:`graph_tikhonov`), or
        PDHG; "auto" is "direct" up to ``DIRECT_MAX_FEATURES_ADMM`` (4096) unknowns with a
        dense ``X`` and up to ``PDHG_MIN_FEATURES_SPARSE`` (1024) with a sparse ``X``, and
        "pdhg" beyond.
    tol : float, default=1e-7
        Relative tolerance on the primal and dual residuals (of ADMM or PDHG).
    max_iter : int, default=10000
        ADMM or PDHG iteration limit.
    x0 : array-like of shape (n_features,), default=None
        Starting point.

    Returns
    -------
    result : GraphResult
        ``coef``, ``intercept``, ``objective``, ``residual_norm``, ``n_iter``,
        ``converged``, ``solver``.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.graph import graph_l1, incidence_matrix, grid_laplacian
    >>> X = np.eye(6)
    >>> y = np.array([0.0, 0.1, 0.0, 1.0, 1.1, 1.0])
    >>> res = graph_l1(X, y, incidence_matrix(grid_laplacian(6)), alpha=0.1)
    >>> np.round(res.coef, 3)  # graph TV: piecewise constant
    array([0.067, 0.067, 0.067, 1.   , 1.   , 1.   ])
    """
    design, penalty = _prepare(X, y, G, sample_weight, fit_intercept)
    alpha = _check_alpha(alpha)
    _check_tol_iter(tol, max_iter)
    max_iter = 10000 if max_iter is None else max_iter
    system = _NormalSystem(design, penalty, _check_solver(solver, design.n_features, l1=True,
                                                          sparse=design.sparse))
    coef0 = _check_x0(x0, design.n_features)
    coef, n_iter, converged, _ = _l1_solve(design, penalty, system, alpha, coef0, tol, max_iter)
    if not converged:
        warnings.warn(
            f"{'PDHG' if system.solver == 'pdhg' else 'ADMM'} did not reach tol={tol:g} in "
            f"{max_iter} iterations; increase max_iter or "
            "loosen tol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    obj, res = _l1_objective(design, penalty, coef, alpha)
    return GraphResult(
        coef=coef,
        intercept=design.intercept(coef),
        objective=obj,
        residual_norm=res,
        n_iter=n_iter,
        converged=converged,
        solver=system.solver,
    )
