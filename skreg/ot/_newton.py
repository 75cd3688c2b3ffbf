"""Sinkhorn-Newton-Sparse: Newton steps on the entropic dual with a sparsified Hessian."""

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, cg

from ._kernels import build_kernel
from ._sinkhorn import (
    _DENSE_BYTES,
    _positive,
    _Problem,
    _run_sinkhorn,
    _threads,
    _warn_unconverged,
)

_ARMIJO = 1e-4
# ridge of the Newton system relative to the largest marginal (Levenberg-Marquardt)
_LM_START, _LM_MIN = 1e-3, 1e-12
#: linear_solver="auto" factors the exact Hessian up to this many potentials (n + m)
_DIRECT_MAX = 2000
LINEAR_SOLVERS = ("auto", "direct", "cg")


def _sparsify(P, keep):
    """The ``keep`` largest entries of every row of ``P`` and of every column, as CSR."""
    n, m = P.shape
    kr = min(keep, m)
    kc = min(keep, n)
    rows_idx = np.argpartition(P, m - kr, axis=1)[:, m - kr:]
    cols_idx = np.argpartition(P, n - kc, axis=0)[n - kc:, :]
    r = np.concatenate([np.repeat(np.arange(n), kr), cols_idx.ravel()])
    c = np.concatenate([rows_idx.ravel(), np.tile(np.arange(m), kc)])
    mask = sp.coo_matrix((np.ones(len(r), dtype=bool), (r, c)), shape=(n, m)).tocsr()
    mask.sum_duplicates()
    rr, cc = mask.nonzero()
    return sp.csr_matrix((P[rr, cc], (rr, cc)), shape=(n, m))


def sinkhorn_newton_sparse(a, b, C, epsilon, *, tol=1e-6, max_iter=100, warmup_tol=1e-2,
                           warmup_max_iter=1000, keep=None, linear_solver="auto",
                           cg_tol=1e-10, init=None, return_plan=True, warn=True):
    r"""Entropic optimal transport by Sinkhorn-Newton-Sparse (Tang et al., ICLR 2024).

    Solves the same problem as :func:`sinkhorn` (same plan and potentials) in two phases:
    Sinkhorn iterations (stabilized, with epsilon scaling) until the L1 marginal error is
    ``warmup_tol``, then Newton steps on the concave dual

    .. math::

        L(f, g) = \langle f, a\rangle + \langle g, b\rangle
        - \varepsilon \sum_{ij} e^{(f_i + g_j - C_{ij})/\varepsilon}

    whose Hessian is ``-(1/eps) [[diag(P 1), P], [P^T, diag(P^T 1)]]``. The plan block is
    sparsified to the ``keep`` largest entries of each row and column (near convergence the
    plan is concentrated, more so at small epsilon; ``keep`` doubles whenever a full step
    decreases the marginal error by less than 4x) and the diagonal is kept exact, so the
    system stays diagonally dominant. A Levenberg-Marquardt ridge (relaxed after full steps,
    stiffened after damped ones) keeps the steps finite where the sparsified plan splits
    into weakly coupled blocks. The system is solved by conjugate gradient with a Jacobi
    preconditioner (the gauge direction ``(1, -1)`` is orthogonal to the gradient), and the
    step is taken by a backtracking line search on ``L``: the dual increases monotonically
    (up to rounding, where steps are accepted on a decreasing marginal error).
    Newton converges in far fewer iterations than Sinkhorn, most of all at small epsilon.

    Parameters
    ----------
    a, b : array-like of shape (n,) and (m,), or None
        Weights as in :func:`sinkhorn` (None: uniform).
    C : array-like of shape (n, m), or tuple ``(X, Y)``
        Cost matrix or points (squared Euclidean cost). The dense plan is formed at every
        Newton step (n x m floats).
    epsilon : float
        Entropic regularization.
    tol : float, default=1e-6
        Target L1 error of the marginals, relative to the total mass.
    max_iter : int, default=100
        Maximum number of Newton steps.
    warmup_tol : float, default=1e-2
        Relative L1 marginal error at which the Sinkhorn warm-up hands over to Newton.
    warmup_max_iter : int, default=1000
        Maximum number of Sinkhorn warm-up iterations.
    keep : int, default=None
        Entries kept per row and per column in the sparsified Hessian; default
        ``max(10, ceil(sqrt(max(n, m))))``.
    linear_solver : {"auto", "direct", "cg"}, default="auto"
        How the Newton systems are solved. "direct": the exact (dense) Hessian factored by
        Cholesky, ``(n + m)^3 / 3`` flops per step (exact Newton steps); "cg": conjugate
        gradient on the sparsified Hessian, cheap per iteration but slow where the plan is
        close to a permutation (small epsilon: its Hessian is ill-conditioned, thousands of
        CG iterations per step were measured at 300 points); "auto": "direct" when
        ``n + m <= 2000``, else "cg".
    cg_tol : float, default=1e-10
        Smallest relative residual of the conjugate-gradient solves; each solve stops at
        ``max(cg_tol, min(1e-2, marginal error / mass))`` (inexact Newton: early steps need
        only a rough direction).
    init : tuple of ndarray (f, g), default=None
        Initial potentials.
    return_plan : bool, default=True
        Form the plan.
    warn : bool, default=True
        Warn (ConvergenceWarning) when ``tol`` is not reached within ``max_iter``.

    Returns
    -------
    result : OTResult
        With ``method="sns"``, ``n_iter`` the warm-up Sinkhorn iterations, ``n_newton`` the
        Newton steps and ``dual_history`` the dual objective along them.

    References
    ----------
    X. Tang, M. Shavlovsky, H. Rahmanian, E. Tardini, K. K. Thekumparampil, T. Xiao and
    L. Ying, "Accelerating Sinkhorn algorithm with sparse Newton iterations", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.ot import sinkhorn_newton_sparse
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((50, 2)), rng.standard_normal((40, 2)) + 1.0
    >>> res = sinkhorn_newton_sparse(None, None, (X, Y), epsilon=0.01, tol=1e-9)
    >>> bool(res.converged), res.n_newton < 30
    (True, True)
    """
    pb = _Problem(a, b, C, epsilon, tol, max_iter, init)
    _positive(warmup_tol, "warmup_tol")
    _positive(warmup_max_iter, "warmup_max_iter", integer=True)
    _positive(cg_tol, "cg_tol")
    n, m = len(pb.a_s), len(pb.b_s)
    if 8 * n * m > 2 * _DENSE_BYTES:
        raise ValueError(f"sinkhorn_newton_sparse forms the dense {n} x {m} plan at every "
                         f"Newton step, over 4 GiB here: use sinkhorn(method='log').")
    if linear_solver not in LINEAR_SOLVERS:
        raise ValueError(f"linear_solver must be one of {LINEAR_SOLVERS}, got "
                         f"{linear_solver!r}.")
    direct = linear_solver == "direct" or (linear_solver == "auto" and n + m <= _DIRECT_MAX)
    if keep is None:
        keep = max(10, int(np.ceil(np.sqrt(max(n, m)))))
    _positive(keep, "keep", integer=True)
    eps = pb.epsilon
    with _threads():
        warm_tol = max(pb.tol_abs, warmup_tol * pb.mass)
        f, g, n_sinkhorn, n_abs = _run_sinkhorn(pb, pb.f0, pb.g0, eps, "stabilized",
                                                warm_tol, warmup_max_iter, 10, 0.5)
        P = np.empty((n, m))
        history = []
        n_newton = 0
        lm = _LM_START
        last_t, last_err = 0.0, np.inf
        for _ in range(max_iter + 1):
            build_kernel(*pb.sub.args(), f, g, eps, P)
            rows, cols = P.sum(axis=1), P.sum(axis=0)
            dual = float(f @ pb.a_s + g @ pb.b_s - eps * rows.sum())
            history.append(dual)
            grad = np.concatenate([pb.a_s - rows, pb.b_s - cols])
            err = max(np.abs(grad[:n]).sum(), np.abs(grad[n:]).sum())
            if err <= pb.tol_abs or n_newton >= max_iter:
                break
            if n_newton and last_t == 1.0 and err > 0.25 * last_err:
                # full steps but a slow (linear) decrease: the sparsified Hessian is too
                # coarse for Newton's quadratic convergence, keep more of the plan
                keep = min(2 * keep, max(n, m))
            ridge = lm * max(rows.max(), cols.max())
            # inexact Newton: CG only as accurate as the current marginal error warrants
            rtol = max(cg_tol, min(1e-2, err / pb.mass))
            step = _newton_direction(P, rows, cols, grad, eps, keep, rtol, ridge, direct)
            f, g, ok, last_t = _line_search(pb, f, g, step, grad, dual)
            # Levenberg-Marquardt: a full step relaxes the ridge, a damped one stiffens it
            lm = max(lm / 4.0, _LM_MIN) if last_t == 1.0 else min(lm * 8.0, 1.0)
            last_err = err
            n_newton += 1
            if not ok:  # no ascent along the Newton direction: Sinkhorn steps instead
                f, g, it, _ = _run_sinkhorn(pb, f, g, eps, "stabilized", pb.tol_abs, 10, 10,
                                            None)
                n_sinkhorn += it
        res = pb.result(f, g, "sns", n_sinkhorn, n_abs, return_plan, n_newton=n_newton,
                        dual_history=np.array(history))
    if warn:
        _warn_unconverged(res, "sinkhorn_newton_sparse", tol)
    return res


def _newton_direction(P, rows, cols, grad, eps, keep, cg_tol, ridge, direct):
    """Solve ``(1/eps) [[diag r, Ps], [Ps^T, diag c]] d = grad``: Cholesky on the exact
    Hessian (``direct``, ``Ps = P``), else preconditioned CG on the sparsified one."""
    n, m = P.shape
    if direct:
        H = np.empty((n + m, n + m))
        H[:n, :n] = 0.0
        H[n:, n:] = 0.0
        H[:n, n:] = P
        H[n:, :n] = P.T
        H[np.arange(n + m), np.arange(n + m)] = np.concatenate([rows, cols]) + ridge
        try:
            return la.cho_solve(la.cho_factor(H, overwrite_a=True), grad * eps)
        except la.LinAlgError:  # not positive definite in floating point: CG below
            pass
    Ps = _sparsify(P, keep)
    PsT = Ps.T.tocsr()
    # The ridge (adapted Levenberg-Marquardt style by the caller, vanishing along full steps
    # so that the local convergence stays fast): at small epsilon the sparsified plan can
    # split into blocks whose imbalance only dropped, underflowing entries couple; each block
    # then has its own near-null "gauge" direction that CG would follow to a huge step.
    diag = np.concatenate([rows, cols]) + ridge

    def matvec(x):
        top = diag[:n] * x[:n] + Ps @ x[n:]
        bottom = PsT @ x[:n] + diag[n:] * x[n:]
        return np.concatenate([top, bottom]) / eps

    op = LinearOperator((n + m, n + m), matvec=matvec, dtype=np.float64)
    pre = LinearOperator((n + m, n + m), matvec=lambda x: x * eps / diag, dtype=np.float64)
    d, _ = cg(op, grad, rtol=cg_tol, atol=0.0, maxiter=10 * (n + m), M=pre)
    return d


def _line_search(pb, f, g, step, grad, dual, max_halvings=30):
    """Backtracking (Armijo) on the dual along ``step``: ``(f, g, accepted, step length)``.

    Near the solution the dual increase falls below the rounding of the dual itself; a step
    is then accepted if the dual does not decrease beyond rounding and the marginal error
    decreases (the gradient of the dual is the marginal error).
    """
    n = len(f)
    slope = float(grad @ step)
    if not slope > 0:
        return f, g, False, 0.0
    err = np.abs(grad).sum()
    rounding = 1e-13 * (abs(dual) + 1e-300)
    t = 1.0
    for _ in range(max_halvings):
        fn, gn = f + t * step[:n], g + t * step[n:]
        rows, cols, _, new = pb.sums(fn, gn)
        if np.isfinite(new):
            if new >= dual + _ARMIJO * t * slope:
                return fn, gn, True, t
            if new >= dual - rounding and _ARMIJO * t * slope <= rounding:
                err_new = np.abs(pb.a_s - rows).sum() + np.abs(pb.b_s - cols).sum()
                if err_new < err:
                    return fn, gn, True, t
        t *= 0.5
    return f, g, False, 0.0
