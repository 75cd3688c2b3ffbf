r"""Recovery of structured vectors from underdetermined linear systems ``Ax = b``.

:func:`cs_recover` minimizes a Cauchy-Schwarz regularizer on the affine set (non-convex:
random restarts); :func:`l1_recover` and :func:`linf_recover` are the convex baselines.
All three accept one problem (``A`` of shape ``(M, N)``, ``b`` of shape ``(M,)``) or a batch
solved in parallel: ``b`` of shape ``(P, M)`` (one ``A``) or ``A`` of shape ``(P, M, N)``
with ``b`` of shape ``(P, M)``.
"""

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from .._config import (
    _effective_num_threads,
    _numba_threads,
    _parallel_plan,
    _single_threaded_blas,
)
from ._norm_min import NORM_CODES, norm_min_batch
from ._regularizers import EIGENVECTOR, ORTHOGONAL, PRIOR_CODES, _as_real_array
from ._solver import recover_batch

__all__ = ["CSRecoveryResult", "NormRecoveryResult", "cs_recover", "l1_recover",
           "linf_recover"]


@dataclass
class CSRecoveryResult:
    """Result of :func:`cs_recover` (arrays get a leading batch axis for a batch).

    Attributes
    ----------
    x : ndarray of shape (N,), or (n_rows, n_columns) for ``prior="orthogonal"``
        The recovered vector (matrix); it satisfies ``Ax = b`` to rounding.
    objective : float or ndarray
        The regularizer ``l(x)``.
    sin2 : float or ndarray
        ``l(x)`` divided by its Cauchy-Schwarz bound ``||g(x)||^2 ||h(x)||^2``: the squared
        sine of the angle between ``g(x)`` and ``h(x)``, in [0, 1] and scale-free; 0 when ``x``
        has the structure exactly.
    n_iter : int or ndarray
        Gradient iterations, summed over the restarts.
    converged : bool or ndarray
        Whether the kept run met the gradient test within ``max_iter``, or found the
        structure (``sin2 <= zero_tol``).
    restart : int or ndarray
        Which start gave ``x``: 0 is the least-norm solution, ``k >= 1`` the k-th random one.
    """

    x: np.ndarray
    objective: object
    sin2: object
    n_iter: object
    converged: object
    restart: object


@dataclass
class NormRecoveryResult:
    """Result of :func:`~skreg.cauchy_schwarz.l1_recover` and
    :func:`~skreg.cauchy_schwarz.linf_recover` (batched like the inputs).

    Attributes
    ----------
    x : ndarray of shape (N,)
        The minimum-norm solution; it satisfies ``Ax = b`` to rounding.
    objective : float or ndarray
        ``||x||_1`` or ``||x||_inf``.
    duality_gap : float or ndarray
        Certified gap of ``x`` relative to ``objective``: the optimum lies within
        ``objective * (1 - duality_gap)`` and ``objective``.
    n_iter : int or ndarray
        ADMM iterations.
    converged : bool or ndarray
        Whether ``duality_gap <= tol`` was reached within ``max_iter``.
    """

    x: np.ndarray
    objective: object
    duality_gap: object
    n_iter: object
    converged: object


def _check_positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def _check_tol(tol):
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise TypeError(f"tol must be a real number, got {type(tol).__name__}.")
    if not (0.0 < tol < 1.0):
        raise ValueError(f"tol must be in (0, 1), got {tol}.")
    return float(tol)


def _affine_sets(A, b):
    """Validate a (batch of) system(s); orthonormal row-space bases and least-norm solutions.

    Returns ``Qs (n_bases, N, M)``, ``xls (P, N)``, ``problem_basis (P,)`` and ``batched``.
    Rank-deficient ``A`` is handled by the SVD (directions with singular values below the
    rank tolerance get zero columns in ``Q``); an inconsistent system raises ValueError.
    """
    A = _as_real_array(A, "A")
    b = _as_real_array(b, "b")
    if A.ndim not in (2, 3):
        raise ValueError(f"A must be 2-dimensional (M, N) or a batch (P, M, N), got shape "
                         f"{A.shape}.")
    if b.ndim not in (1, 2):
        raise ValueError(f"b must be 1-dimensional (M,) or a batch (P, M), got shape {b.shape}.")
    batched = A.ndim == 3 or b.ndim == 2
    A3 = A if A.ndim == 3 else A[None]
    B2 = b if b.ndim == 2 else b[None]
    M = A3.shape[1]
    if B2.shape[1] != M:
        raise ValueError(f"A has {M} rows but b has {B2.shape[1]} entries.")
    if A3.shape[0] > 1 and B2.shape[0] != A3.shape[0]:
        raise ValueError(f"A holds {A3.shape[0]} systems but b holds {B2.shape[0]} "
                         "right-hand sides.")
    P = B2.shape[0]
    # batched LAPACK on small matrices: one BLAS thread (multi-threaded BLAS was measured
    # 10-100x slower here on shared cores, and its spinning threads stall the numba kernels)
    with _single_threaded_blas():
        U, s, Vt = np.linalg.svd(A3, full_matrices=False)
    cut = s[:, :1] * max(A3.shape[1:]) * np.finfo(np.float64).eps
    keep = s > cut
    s_inv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    Qs = np.ascontiguousarray(np.transpose(Vt * keep[:, :, None], (0, 2, 1)))
    problem_basis = np.zeros(P, dtype=np.int64) if A3.shape[0] == 1 else np.arange(P)
    # x_ls = V diag(1/s) U^T b, per problem
    Utb = np.einsum("pmk,pm->pk", U[problem_basis], B2)
    xls = np.einsum("pnk,pk->pn", Qs[problem_basis], s_inv[problem_basis] * Utb)
    residual = np.einsum("pmn,pn->pm", A3[problem_basis], xls) - B2
    scale = np.linalg.norm(B2, axis=1) + np.linalg.norm(A3[problem_basis], axis=(1, 2)) * \
        np.linalg.norm(xls, axis=1)
    bad = np.linalg.norm(residual, axis=1) > 1e-8 * np.maximum(scale, 1e-300)
    if np.any(bad):
        raise ValueError(f"Ax = b has no solution (inconsistent system) for problem(s) "
                         f"{np.flatnonzero(bad)[:5].tolist()}: b is not in the range of A.")
    return Qs, np.ascontiguousarray(xls), problem_basis, batched


def _unbatch(batched, *arrays):
    if batched:
        return arrays
    return tuple(a[0].item() if a.ndim == 1 else a[0] for a in arrays)


def _recover_in_rounds(Qs, xls, problem_basis, Z, code, C, K, max_iter, tol, zero_tol,
                       per_round):
    """:func:`recover_batch` with one task per (problem, start), ``per_round`` starts of every
    unsolved problem at a time; the same result as trying the starts in turn."""
    P, R, N = Z.shape
    x = np.zeros((P, N))
    value = np.zeros(P)
    sin2 = np.full(P, np.inf)
    n_iter = np.zeros(P, dtype=np.int64)
    conv = np.zeros(P, dtype=bool)
    restart = np.zeros(P, dtype=np.int64)
    remaining = np.arange(P)
    for first in range(0, R, per_round):
        starts = np.arange(first, min(first + per_round, R))
        task_problem = np.repeat(remaining, starts.size)
        X0 = Z[remaining][:, starts].reshape(-1, 1, N)
        tx, tv, ts, ti, tc, _ = recover_batch(Qs, xls, problem_basis, task_problem, X0, code,
                                              C, K, max_iter, tol, zero_tol)
        for k, p in enumerate(task_problem):
            n_iter[p] += ti[k]
            if ts[k] < sin2[p] or not np.isfinite(sin2[p]):
                x[p], value[p], sin2[p], conv[p] = tx[k], tv[k], ts[k], tc[k]
                restart[p] = starts[k % starts.size]
        remaining = remaining[sin2[remaining] > zero_tol]
        if remaining.size == 0:
            break
    return x, value, sin2, n_iter, conv, restart


def _cs_chunk(Qs, xls, problem_basis, Z, code, C, K, max_iter, tol, zero_tol, per_round,
              n_threads):
    """Solve a (chunk of a) batch: :func:`recover_batch`, or rounds of ``per_round``
    starts."""
    with _numba_threads(n_threads), _single_threaded_blas():
        if per_round is None:
            return recover_batch(Qs, xls, problem_basis, np.arange(xls.shape[0]), Z, code, C,
                                 K, max_iter, tol, zero_tol)
        return _recover_in_rounds(Qs, xls, problem_basis, Z, code, C, K, max_iter, tol,
                                  zero_tol, per_round)


def _run_chunks(solve, n_jobs, Qs, xls, problem_basis, per_problem, args, n_threads):
    """``solve`` on contiguous chunks of the problems in joblib tasks; outputs stacked.

    Each task gets the bases its problems use (all of them share one when ``A`` is shared),
    its rows of ``xls`` and of each array of ``per_problem``; ``args`` follow them.
    """
    P = xls.shape[0]
    jobs = []
    for c in np.array_split(np.arange(P), n_jobs):
        used, local = np.unique(problem_basis[c], return_inverse=True)
        jobs.append(delayed(solve)(np.ascontiguousarray(Qs[used]), xls[c],
                                   local.astype(np.int64).ravel(),
                                   *(a[c] for a in per_problem), *args, n_threads))
    with _single_threaded_blas():  # once, around all the tasks (the limit is process-wide)
        parts = Parallel(n_jobs=n_jobs, prefer="threads")(jobs)
    return tuple(np.concatenate(out) for out in zip(*parts))


def cs_recover(A, b, prior="binary", *, C=None, n_columns=None, n_restarts=10,
               max_iter=5000, tol=1e-10, zero_tol=1e-13, random_state=None,
               n_threads=None, n_jobs=None):
    r"""Recover a structured solution of ``Ax = b`` with a Cauchy-Schwarz regularizer.

    .. math:: \min_x \ \ell(x) \quad \text{subject to } Ax = b,

    with :math:`\ell` one of :func:`binary`, :func:`one_sided_binary`, :func:`ternary`,
    :func:`eigenvector` (of ``C``) or :func:`orthogonal` (``x`` is then the matrix ``X`` with
    ``n_columns`` columns, and ``A`` acts on its column-major vectorization
    ``X.ravel(order="F")``). The regularizers vanish on the structure at every scale, so the
    scale of the solution comes from the data.

    The problem is not convex. Each start runs an accelerated projected gradient method with
    backtracking (the projection onto ``{Ax = b}`` uses one SVD of ``A``); the first start is
    the least-norm solution, the others add a random null-space component of the size the
    null-space part of a generic solution would have. The start with the smallest
    :math:`\sin^2` (``l`` over its Cauchy-Schwarz bound) is kept; restarts stop as soon as one
    reaches ``sin2 <= zero_tol``.

    Parameters
    ----------
    A : array-like of shape (M, N) or (P, M, N)
        The measurement matrix, or one per problem of a batch.
    b : array-like of shape (M,) or (P, M)
        The measurements (one row per problem of a batch).
    prior : str, default="binary"
        The structure: ``"binary"`` (``{-a, a}^N``), ``"one_sided_binary"`` (``{0, a}^N``),
        ``"ternary"`` (``{-a, 0, a}^N``), ``"eigenvector"`` (an eigenvector of ``C``) or
        ``"orthogonal"`` (a matrix with orthogonal columns of equal norm).
    C : array-like of shape (N, N), default=None
        The matrix of ``prior="eigenvector"`` (required there, not allowed otherwise).
    n_columns : int, default=None
        ``K``, the number of columns of ``X`` for ``prior="orthogonal"`` (required there); ``N``
        must be a multiple of it.
    n_restarts : int, default=10
        Number of starts per problem (the least-norm solution and ``n_restarts - 1`` random).
    max_iter : int, default=5000
        Gradient iterations per start.
    tol : float, default=1e-10
        A start stops when :math:`\|P\nabla\ell(x)\|\,\|x\| \le tol \cdot \|g\|^2\|h\|^2`
        (projected gradient relative to the Cauchy-Schwarz bound; scale-free).
    zero_tol : float, default=1e-13
        ``sin2`` at or below which the structure counts as found and restarts stop (``sin2``
        cannot be computed below about 1e-15: it is a difference of two numbers of the size
        of the bound).
    random_state : int, RandomState instance or None, default=None
        Seeds the random starts.
    n_threads : int or None, default=None
        Threads: problems (or, for fewer problems than threads, the starts) run in parallel.
    n_jobs : int, default=None
        Chunks of the batch run in parallel through joblib: threads by default, or the backend
        of an enclosing ``joblib.parallel_backend`` (loky, dask, ...). None means 1 unless in a
        ``joblib.parallel_backend`` context; -1 means all processors. With one job (the
        default) the whole batch is one parallel kernel, the fastest on one machine; more jobs
        cut it into contiguous chunks of problems, each solved by the same kernel (the same
        results), which spreads a large batch of trials over the workers of a cluster.

    Returns
    -------
    result : CSRecoveryResult
        ``x``, ``objective``, ``sin2``, ``n_iter``, ``converged``, ``restart``; arrays with a
        leading axis of length ``P`` for a batch.

    See Also
    --------
    linf_recover : The convex baseline for binary vectors.
    l1_recover : The convex baseline for sparse vectors.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.cauchy_schwarz import cs_recover
    >>> rng = np.random.default_rng(0)
    >>> x = 0.5 * rng.choice([-1.0, 1.0], size=40)
    >>> A = rng.standard_normal((24, 40))
    >>> res = cs_recover(A, A @ x, "binary", random_state=0)
    >>> bool(np.allclose(res.x, x, atol=1e-6)), bool(res.sin2 < 1e-12)
    (True, True)
    """
    if prior not in PRIOR_CODES:
        raise ValueError(f"prior must be one of {sorted(PRIOR_CODES)}, got {prior!r}.")
    code = PRIOR_CODES[prior]
    n_restarts = _check_positive_int(n_restarts, "n_restarts")
    max_iter = _check_positive_int(max_iter, "max_iter")
    tol = _check_tol(tol)
    if isinstance(zero_tol, bool) or not isinstance(zero_tol, numbers.Real) or zero_tol < 0:
        raise ValueError(f"zero_tol must be a nonnegative real number, got {zero_tol!r}.")
    Qs, xls, problem_basis, batched = _affine_sets(A, b)
    P, N = xls.shape
    if code == EIGENVECTOR:
        if C is None:
            raise ValueError('prior="eigenvector" needs the matrix C.')
        C = _as_real_array(C, "C", ndim=2)
        if C.shape != (N, N):
            raise ValueError(f"C must have shape ({N}, {N}) to match A, got {C.shape}.")
    elif C is not None:
        raise ValueError(f'C is only used with prior="eigenvector", not {prior!r}.')
    else:
        C = np.zeros((0, 0))
    K = 1
    if code == ORTHOGONAL:
        if n_columns is None:
            raise ValueError('prior="orthogonal" needs n_columns, the number of columns of X.')
        K = _check_positive_int(n_columns, "n_columns")
        if N % K:
            raise ValueError(f"A has {N} columns, not a multiple of n_columns={K}.")
    elif n_columns is not None:
        raise ValueError(f'n_columns is only used with prior="orthogonal", not {prior!r}.')

    rng = check_random_state(random_state)
    # random starts: the null-space part of a generic solution has about sqrt((N - M)/M) times
    # the norm of the least-norm part; z ~ N(0, s^2) projected onto ker A has that norm
    M = Qs.shape[2]
    std = np.linalg.norm(xls, axis=1) / np.sqrt(max(M, 1))
    Z = rng.standard_normal((P, n_restarts, N)) * std[:, None, None]
    Z[:, 0] = 0.0  # the first start is the least-norm solution
    n_threads_eff = _effective_num_threads(n_threads)
    # one task per problem, starts in turn; or, with few problems, rounds of starts side by
    # side until the structure is found (decided for the whole batch: chunks give its results)
    per_round = None if P >= n_threads_eff or n_restarts == 1 else max(1, n_threads_eff // P)
    args = (code, C, K, max_iter, tol, float(zero_tol), per_round)
    n_jobs, task_threads = _parallel_plan(n_jobs, P)
    if n_jobs == 1:
        x, value, sin2, n_iter, conv, restart = _cs_chunk(Qs, xls, problem_basis, Z, *args,
                                                          n_threads)
    else:
        if task_threads is not None:
            task_threads = max(1, n_threads_eff // n_jobs)
        x, value, sin2, n_iter, conv, restart = _run_chunks(
            _cs_chunk, n_jobs, Qs, xls, problem_basis, (Z,), args, task_threads)
    if not np.all(conv):
        warnings.warn(f"cs_recover: {int(np.sum(~conv))} of {P} problem(s) did not meet the "
                      f"gradient test within max_iter={max_iter}; increase max_iter or tol.",
                      ConvergenceWarning, stacklevel=2)
    if code == ORTHOGONAL:
        x = np.ascontiguousarray(np.transpose(x.reshape(P, K, N // K), (0, 2, 1)))
    x, value, sin2, n_iter, conv, restart = _unbatch(
        batched, x, value, sin2, n_iter, conv, restart)
    return CSRecoveryResult(x=x, objective=value, sin2=sin2, n_iter=n_iter, converged=conv,
                            restart=restart)


def _norm_chunk(Qs, xls, problem_basis, code, max_iter, tol, n_threads):
    with _numba_threads(n_threads), _single_threaded_blas():
        return norm_min_batch(Qs, xls, problem_basis, code, max_iter, tol)


def _norm_recover(A, b, norm, max_iter, tol, n_threads, n_jobs):
    max_iter = _check_positive_int(max_iter, "max_iter")
    tol = _check_tol(tol)
    Qs, xls, problem_basis, batched = _affine_sets(A, b)
    args = (NORM_CODES[norm], max_iter, tol)
    n_jobs, task_threads = _parallel_plan(n_jobs, xls.shape[0])
    if n_jobs == 1:
        x, obj, gap, n_iter, conv = _norm_chunk(Qs, xls, problem_basis, *args, n_threads)
    else:
        if task_threads is not None:
            task_threads = max(1, _effective_num_threads(n_threads) // n_jobs)
        x, obj, gap, n_iter, conv = _run_chunks(_norm_chunk, n_jobs, Qs, xls, problem_basis,
                                                (), args, task_threads)
    if not np.all(conv):
        warnings.warn(f"{norm}_recover: {int(np.sum(~conv))} of {len(conv)} problem(s) did not "
                      f"reach a duality gap of {tol:g} within max_iter={max_iter}.",
                      ConvergenceWarning, stacklevel=3)
    x, obj, gap, n_iter, conv = _unbatch(batched, x, obj, gap, n_iter, conv)
    return NormRecoveryResult(x=x, objective=obj, duality_gap=gap, n_iter=n_iter,
                              converged=conv)


_NORM_DOC = r"""Least {name} norm solution of ``Ax = b``{purpose}.

    .. math:: \min_x \ {formula} \quad \text{{subject to }} Ax = b.

    ADMM (numba) with a certified stop: the relative duality gap of the returned ``x``
    (exactly feasible) is at most ``tol``. A batch of problems runs in parallel.

    Parameters
    ----------
    A : array-like of shape (M, N) or (P, M, N)
        The measurement matrix, or one per problem of a batch.
    b : array-like of shape (M,) or (P, M)
        The measurements (one row per problem of a batch).
    max_iter : int, default=20000
        ADMM iterations per problem.
    tol : float, default=1e-9
        Relative duality gap at which to stop.
    n_threads : int or None, default=None
        Threads over the problems of a batch.
    n_jobs : int, default=None
        Chunks of the batch run in parallel through joblib: threads by default, or the backend
        of an enclosing ``joblib.parallel_backend`` (loky, dask, ...). None means 1 unless in a
        ``joblib.parallel_backend`` context; -1 means all processors. With one job (the
        default) the whole batch is one parallel kernel, the fastest on one machine; more jobs
        cut it into contiguous chunks of problems, each solved by the same kernel (the same
        results), which spreads a large batch of trials over the workers of a cluster.

    Returns
    -------
    result : NormRecoveryResult
        ``x``, ``objective``, ``duality_gap``, ``n_iter``, ``converged``.

    See Also
    --------
    cs_recover : The non-convex Cauchy-Schwarz recovery.
    skreg.reference.{name}_recover : The same problem solved by cvxpy.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.cauchy_schwarz import {name}_recover
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((30, 40))
    >>> x = {example}
    >>> res = {name}_recover(A, A @ x)
    >>> bool(np.allclose(res.x, x, atol=1e-5)), bool(res.duality_gap <= 1e-9)
    (True, True)
    """


def l1_recover(A, b, *, max_iter=20000, tol=1e-9, n_threads=None, n_jobs=None):
    return _norm_recover(A, b, "l1", max_iter, tol, n_threads, n_jobs)


def linf_recover(A, b, *, max_iter=20000, tol=1e-9, n_threads=None, n_jobs=None):
    return _norm_recover(A, b, "linf", max_iter, tol, n_threads, n_jobs)


l1_recover.__doc__ = _NORM_DOC.format(
    name="l1", purpose=" (basis pursuit: sparse vectors)", formula=r"\|x\|_1",
    example="np.zeros(40); x[[3, 17, 29]] = [1.0, -2.0, 0.5]")
linf_recover.__doc__ = _NORM_DOC.format(
    name="linf", purpose=" (l-infinity minimization: binary vectors)", formula=r"\|x\|_\infty",
    example="rng.choice([-1.0, 1.0], size=40)")
