"""Batches of entropic OT problems of equal size, solved in one call, in parallel."""

import numpy as np
from joblib import Parallel, delayed

from .._config import _numba_threads, _parallel_plan
from ._kernels import solve_dense_batch
from ._sinkhorn import (
    _BOUND,
    OTResult,
    _check_cost,
    _check_problem,
    _positive,
    _sqeuclidean,
    _warn_unconverged,
)


def _check_batch_cost(C):
    """Cost matrices of shape (B, n, m) from a 3-D array, an (n, m) matrix (shared, B = 1
    until the weights say otherwise) or points ``(X, Y)`` of shapes (B, n, d), (B, m, d)."""
    if isinstance(C, tuple):
        if len(C) not in (2, 3) or (len(C) == 3 and C[2] != "sqeuclidean"):
            raise ValueError("a batch of costs given as points is (X, Y) or "
                             "(X, Y, 'sqeuclidean') with X of shape (B, n, d), Y (B, m, d).")
        X, Y = np.asarray(C[0]), np.asarray(C[1])
        if X.ndim == 2 and Y.ndim == 2:
            return _points_cost(X[None], Y[None])
        if X.ndim != 3 or Y.ndim != 3 or X.shape[0] != Y.shape[0]:
            raise ValueError(f"points of a batch are X of shape (B, n, d) and Y of shape "
                             f"(B, m, d), got {X.shape} and {Y.shape}.")
        return _points_cost(X, Y)
    C = np.asarray(C)
    if C.ndim == 2:
        return _check_cost(C)[0][None]
    if C.ndim != 3:
        raise ValueError(f"C must be a cost matrix (n, m) or a batch of them (B, n, m), got "
                         f"shape {C.shape}.")
    if np.iscomplexobj(C):
        raise TypeError("C must be real, got complex values.")
    if 0 in C.shape:
        raise ValueError(f"C must be a non-empty batch of cost matrices, got shape {C.shape}.")
    C = np.ascontiguousarray(C, dtype=np.float64)
    if not np.all(np.isfinite(C)):
        raise ValueError("C contains NaN or infinity.")
    return C


def _points_cost(X, Y):
    Cs = []
    for Xk, Yk in zip(X, Y):
        _, Xk, Yk, _ = _check_cost((Xk, Yk))
        Cs.append(_sqeuclidean(Xk, Yk))
    return np.ascontiguousarray(np.stack(Cs))


def _batch_weights(w, B, n, name):
    """(B, n) weights from None, one shared vector (n,) or one per problem (B, n)."""
    if w is None:
        return [None] * B
    w = np.asarray(w)
    if w.ndim == 2:
        if w.shape[0] != B:
            raise ValueError(f"{name} has {w.shape[0]} rows, the batch has {B} problems.")
        return list(w)
    return [w] * B


def _batch_size(a, b, C):
    sizes = {len(C)} if len(C) > 1 else set()
    for w in (a, b):
        if w is not None and np.ndim(w) == 2:
            sizes.add(np.shape(w)[0])
    if len(sizes) > 1:
        raise ValueError(f"a, b and C give different batch sizes: {sorted(sizes)}.")
    return sizes.pop() if sizes else 1


def _solve_chunk(C, A, Bw, eps, factor, tol_mass, max_iter, check_every, n_threads):
    """:func:`solve_dense_batch` on a chunk of a batch; returns its outputs."""
    B, n, m = C.shape
    f, g = np.zeros((B, n)), np.zeros((B, m))
    P = np.empty((B, n, m))
    n_iter, err, n_abs = np.zeros(B, dtype=np.int64), np.zeros(B), np.zeros(B, dtype=np.int64)
    with _numba_threads(n_threads):
        solve_dense_batch(C, A, Bw, f, g, eps, factor, tol_mass, max_iter, check_every, _BOUND,
                          P, n_iter, err, n_abs)
    return f, g, P, n_iter, err, n_abs


def sinkhorn_batch(a, b, C, epsilon, *, tol=1e-6, max_iter=100_000, check_every=10,
                   epsilon_scaling=0.5, return_plan=True, warn=True, n_jobs=None):
    r"""Entropic optimal transport for a batch of problems of equal size, in parallel.

    Solves, for every ``k``, the problem of :func:`sinkhorn`

    .. math::

        \min_{P \ge 0,\ P 1 = a_k,\ P^\top 1 = b_k} \langle P, C_k\rangle
        + \varepsilon_k \sum_{ij} P_{ij} (\log P_{ij} - 1)

    by the stabilized method (scalings absorbed into the potentials, epsilon scaling, an
    exact log-domain step where the kernel underflows). Each problem is solved by one
    thread and the problems run in parallel, which beats splitting every small problem
    across threads; use :func:`sinkhorn` for a single large problem.

    Parameters
    ----------
    a : array-like of shape (B, n) or (n,), or None
        Source weights per problem, one vector shared by all, or None (uniform).
    b : array-like of shape (B, m) or (m,), or None
        Target weights, each with the mass of the matching ``a``.
    C : array-like of shape (B, n, m) or (n, m), or tuple ``(X, Y)``
        Cost matrices (a single matrix is shared by all problems), or points of shapes
        (B, n, d) and (B, m, d) whose squared Euclidean distances are the costs.
    epsilon : float or array-like of shape (B,)
        Entropic regularization, one for all problems or one per problem.
    tol : float, default=1e-6
        Target L1 error of the marginals, relative to each problem's mass.
    max_iter : int, default=100000
        Maximum number of iterations per problem, over all stages.
    check_every : int, default=10
        Iterations between marginal checks.
    epsilon_scaling : float or None, default=0.5
        As in :func:`sinkhorn`.
    return_plan : bool, default=True
        Keep the plans in the results (they are formed in any case).
    warn : bool, default=True
        Warn (ConvergenceWarning) when a problem does not reach ``tol``.
    n_jobs : int, default=None
        Chunks of the batch run in parallel through joblib: threads by default, or the backend
        of an enclosing ``joblib.parallel_backend`` (loky, dask, ...). None means 1 unless in a
        ``joblib.parallel_backend`` context; -1 means all processors. With one job (the
        default) the whole batch is one parallel kernel, the fastest on one machine; more jobs
        cut it into contiguous chunks, each solved by the same kernel (the same results), which
        spreads a large batch over the workers of a cluster.

    Returns
    -------
    results : list of OTResult
        One per problem, as :func:`sinkhorn` returns them (method "stabilized").

    See Also
    --------
    sinkhorn : One problem, every thread on it.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.ot import sinkhorn_batch
    >>> x = np.array([[0.0], [1.0], [2.0]])
    >>> Y = np.stack([x + 0.5, x - 0.5])          # two targets for the same source
    >>> X = np.stack([x, x])
    >>> results = sinkhorn_batch(None, None, (X, Y), epsilon=0.01)
    >>> [round(r.cost, 3) for r in results]
    [0.25, 0.25]
    >>> results[1].plan.round(3) + 0.0
    array([[0.333, 0.   , 0.   ],
           [0.   , 0.333, 0.   ],
           [0.   , 0.   , 0.333]])
    """
    C = _check_batch_cost(C)
    B = _batch_size(a, b, C)
    if len(C) == 1 and B > 1:
        C = np.broadcast_to(C, (B,) + C.shape[1:])
    _, n, m = C.shape
    eps = [epsilon] * B if np.ndim(epsilon) == 0 else list(np.asarray(epsilon))
    if len(eps) != B or np.ndim(epsilon) > 1:
        raise ValueError(f"epsilon must be a number or one per problem ({B}), got shape "
                         f"{np.shape(epsilon)}.")
    _positive(check_every, "check_every", integer=True)
    if epsilon_scaling is not None:
        _positive(epsilon_scaling, "epsilon_scaling")
        if epsilon_scaling >= 1:
            raise ValueError(f"epsilon_scaling must be in (0, 1), got {epsilon_scaling}.")
    A, Bw = np.empty((B, n)), np.empty((B, m))
    for k, (ak, bk) in enumerate(zip(_batch_weights(a, B, n, "a"),
                                     _batch_weights(b, B, m, "b"))):
        A[k], Bw[k] = _check_problem(ak, bk, n, m, eps[k], tol, max_iter)
    eps = np.array(eps, dtype=np.float64)
    mass = A.sum(axis=1)
    f, g = np.zeros((B, n)), np.zeros((B, m))
    P = np.empty((B, n, m))
    n_iter, err, n_abs = np.zeros(B, dtype=np.int64), np.zeros(B), np.zeros(B, dtype=np.int64)
    factor = 0.0 if epsilon_scaling is None else float(epsilon_scaling)
    n_jobs, n_threads = _parallel_plan(n_jobs, B)
    if n_jobs == 1:
        with _numba_threads():
            solve_dense_batch(np.ascontiguousarray(C), A, Bw, f, g, eps, factor,
                              0.99 * tol * mass, max_iter, check_every, _BOUND, P, n_iter, err,
                              n_abs)
    else:  # contiguous chunks of problems, each solved by the same kernel in a joblib task
        chunks = [c for c in np.array_split(np.arange(B), n_jobs) if c.size]
        parts = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_solve_chunk)(np.ascontiguousarray(C[c[0]:c[-1] + 1]), A[c], Bw[c], eps[c],
                                  factor, 0.99 * tol * mass[c], max_iter, check_every,
                                  n_threads)
            for c in chunks)
        for c, (fc, gc, Pc, ic, ec, ac) in zip(chunks, parts):
            f[c], g[c], P[c], n_iter[c], err[c], n_abs[c] = fc, gc, Pc, ic, ec, ac
    results = []
    for k in range(B):
        rows, cols = P[k].sum(axis=1), P[k].sum(axis=0)
        err_a = float(np.abs(rows - A[k]).sum())
        err_b = float(np.abs(cols - Bw[k]).sum())
        res = OTResult(
            f[k], g[k], P[k] if return_plan else None, float(np.sum(P[k] * C[k])),
            float(f[k] @ A[k] + g[k] @ Bw[k] - eps[k] * rows.sum()), int(n_iter[k]),
            bool(max(err_a, err_b) <= tol * mass[k]), err_a, err_b, float(eps[k]),
            "stabilized", int(n_abs[k]),
            _cost_args=(np.ascontiguousarray(C[k]), np.zeros((1, 1)), np.zeros((1, 1)), False,
                        A[k] > 0, Bw[k] > 0))
        results.append(res)
    late = [k for k, r in enumerate(results) if not r.converged]
    if warn and late:
        worst = max(late, key=lambda k: max(results[k].marginal_error_a,
                                            results[k].marginal_error_b))
        _warn_unconverged(results[worst], f"sinkhorn_batch ({len(late)} of {B} problems, "
                          f"e.g. problem {worst})", tol)
    return results
