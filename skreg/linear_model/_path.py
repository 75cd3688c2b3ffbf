"""Regularization paths with warm starts: ``lasso_path``, ``enet_path``, ``sqrt_lasso_path``
and ``lad_lasso_path``.

Along a decreasing grid of alphas each solve starts from the previous solution, and the
solver's first outer iteration screens with the gap-safe rule at that warm start
(sequential screening). With ``n_jobs > 1`` the grid is cut into contiguous blocks solved in
parallel through joblib (threads by default; any joblib backend, dask included, applies).
"""

import numbers
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_scalar

from .._config import _numba_threads, _parallel_plan
from .._offsets import shift_columns, unshift_intercept
from .._validation import (
    check_bool,
    check_feature_weights,
    check_sample_weight,
    check_X_y_arrays,
)
from ._problem import QuadraticProblem, SolveResult
from ._quantile import QuantileProblem
from ._sqrt import solve_sqrt_lasso, sqrt_alpha_max


def alpha_grid(alpha_max, eps=1e-3, n_alphas=100):
    """``n_alphas`` values from ``alpha_max`` down to ``eps * alpha_max``, log-spaced."""
    check_scalar(eps, "eps", numbers.Real, min_val=0.0, include_boundaries="neither")
    check_scalar(n_alphas, "n_alphas", numbers.Integral, min_val=1)
    if not np.isfinite(alpha_max):
        raise ValueError(
            "cannot build an alpha grid without an l1 penalty (l1_ratio=0 or all weights 0): "
            "pass alphas explicitly."
        )
    if alpha_max <= 0.0:  # y is constant (after centering): every alpha gives w = 0
        return np.full(n_alphas, np.finfo(float).resolution)
    return np.geomspace(alpha_max, alpha_max * eps, num=n_alphas)


def check_alphas(alphas):
    """Validate a user grid; returned sorted in decreasing order (as paths are solved)."""
    arr = np.asarray(alphas, dtype=np.float64).ravel()
    if arr.size == 0:
        raise ValueError("alphas must contain at least one value.")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError("alphas must be finite and non-negative.")
    return np.sort(arr)[::-1]


def _solve_block(solve_one, n_features, alphas, coef_init, n_threads):
    coefs = np.empty((n_features, alphas.shape[0]))
    intercepts = np.empty(alphas.shape[0])
    gaps = np.empty(alphas.shape[0])
    n_iters = np.empty(alphas.shape[0], dtype=np.int64)
    n_failed = 0
    w = coef_init
    with _numba_threads(n_threads):
        for k, alpha in enumerate(alphas):
            res = solve_one(float(alpha), w)
            w = res.coef
            coefs[:, k] = res.coef
            intercepts[k] = res.intercept
            gaps[k] = res.dual_gap
            n_iters[k] = res.n_iter
            n_failed += not res.converged
    return coefs, intercepts, gaps, n_iters, n_failed


def solve_path(solve_one, n_features, alphas, *, coef_init=None, n_jobs=None):
    """Solve ``solve_one(alpha, coef_init)`` for each alpha (decreasing) with warm starts.

    ``solve_one`` returns a :class:`SolveResult`; it must be thread-safe (the prepared
    problems are: every call allocates its own buffers) and picklable for process and dask
    backends. With more than one job (see :func:`skreg._config._parallel_plan`) the grid is
    cut into contiguous blocks, each warm-started along itself and solved in a joblib task.
    Returns ``(coefs (n_features, n_alphas), intercepts, dual_gaps, n_iters, n_failed)``.
    """
    n_jobs, n_threads = _parallel_plan(n_jobs, alphas.shape[0])
    if n_jobs == 1:
        return _solve_block(solve_one, n_features, alphas, coef_init, None)
    blocks = np.array_split(np.arange(alphas.shape[0]), n_jobs)
    parts = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_solve_block)(solve_one, n_features, alphas[b],
                              coef_init if b[0] == 0 else None, n_threads)
        for b in blocks
    )
    return (
        np.concatenate([p[0] for p in parts], axis=1),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.concatenate([p[3] for p in parts]),
        sum(p[4] for p in parts),
    )


def enet_solver(problem, *, l1_ratio=1.0, weights=None, positive=False, max_iter=1000,
                tol=1e-4):
    """``solve_one(alpha, coef_init)`` of the elastic net on a :class:`QuadraticProblem`."""
    def solve_one(alpha, coef_init):
        return problem.solve(alpha, l1_ratio, weights, positive, coef_init=coef_init,
                             max_iter=max_iter, tol=tol)
    return solve_one


def _n_jobs(n_jobs, n_tasks):
    """Jobs for ``n_tasks`` tasks: :func:`skreg._config._parallel_plan` without the threads."""
    return _parallel_plan(n_jobs, n_tasks)[0]


def enet_path(X, y, *, l1_ratio=0.5, eps=1e-3, n_alphas=100, alphas=None,
              fit_intercept=False, sample_weight=None, weights=None, positive=False,
              max_iter=1000, tol=1e-4, coef_init=None, return_n_iter=False,
              return_intercept=False, n_jobs=None):
    """Elastic-net regularization path by warm-started working-set coordinate descent.

    For each alpha of a decreasing grid, minimizes (``S = sum_i s_i``)::

        1 / (2 S) * sum_i s_i (y_i - x_i w - b)^2
            + alpha * sum_j v_j (l1_ratio |w_j| + (1 - l1_ratio) / 2 w_j^2)

    with ``v = weights`` (ones by default). Compatible with
    :func:`sklearn.linear_model.enet_path` (same return values); ``fit_intercept``,
    ``sample_weight`` and ``weights`` are extensions.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Target values.
    l1_ratio : float, default=0.5
        Mix of the penalties, ``0 < l1_ratio <= 1`` when the grid is computed.
    eps : float, default=1e-3
        Length of the path: ``alpha_min / alpha_max = eps``.
    n_alphas : int, default=100
        Number of alphas when ``alphas`` is None.
    alphas : array-like, default=None
        Explicit grid (solved in decreasing order). None: ``n_alphas`` log-spaced values
        from ``alpha_max``, the smallest alpha giving ``w = 0``.
    fit_intercept : bool, default=False
        Fit an unpenalized intercept (False, as scikit-learn's path, which assumes centred
        data).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights ``s``.
    weights : array-like of shape (n_features,), default=None
        Non-negative penalty weights ``v``.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    max_iter : int, default=1000
        Maximum coordinate-descent epochs per alpha.
    tol : float, default=1e-4
        Relative duality-gap tolerance per alpha (see :class:`Lasso`).
    coef_init : array-like of shape (n_features,), default=None
        Start of the first solve.
    return_n_iter : bool, default=False
        Also return the number of epochs per alpha.
    return_intercept : bool, default=False
        Also return the intercept per alpha (last).
    n_jobs : int, default=None
        Blocks of the grid run in parallel through joblib: threads by default, or the backend of an
        enclosing ``joblib.parallel_backend`` (loky, dask, ...). None means 1 unless in a
        ``joblib.parallel_backend`` context; -1 means all processors.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The grid, decreasing.
    coefs : ndarray of shape (n_features, n_alphas)
        Coefficients along the path.
    dual_gaps : ndarray of shape (n_alphas,)
        Duality gap at each solution (units of the objective).
    n_iters : ndarray of shape (n_alphas,)
        Only when ``return_n_iter``.
    intercepts : ndarray of shape (n_alphas,)
        Only when ``return_intercept``.
    """
    check_scalar(l1_ratio, "l1_ratio", numbers.Real, min_val=0.0, max_val=1.0)
    X, y, sw, v, coef_init, shift = _path_inputs(X, y, sample_weight, weights, coef_init,
                                                 max_iter, tol, fit_intercept)
    problem = QuadraticProblem(X, y, sw, fit_intercept, compress=True)
    if alphas is None:
        alphas = alpha_grid(problem.alpha_max(l1_ratio, v), eps, n_alphas)
    else:
        alphas = check_alphas(alphas)
    solve_one = enet_solver(problem, l1_ratio=float(l1_ratio), weights=v,
                            positive=bool(positive), max_iter=max_iter, tol=tol)
    return _path_output(alphas, *solve_path(solve_one, X.shape[1], alphas,
                                            coef_init=coef_init, n_jobs=n_jobs),
                        return_n_iter, return_intercept, shift)


def _path_inputs(X, y, sample_weight, weights, coef_init, max_iter, tol, fit_intercept):
    """Validated ``(X, y, sample_weight, weights or None, coef_init or None, shift)`` of a
    path; X with its far columns shifted (:func:`skreg._offsets.shift_columns`)."""
    X, y = check_X_y_arrays(X, y)
    check_scalar(max_iter, "max_iter", numbers.Integral, min_val=1)
    check_scalar(tol, "tol", numbers.Real, min_val=0.0)
    sw = check_sample_weight(sample_weight, X.shape[0])
    v = None if weights is None else check_feature_weights(weights, X.shape[1])
    if coef_init is not None:
        coef_init = np.array(coef_init, dtype=np.float64).ravel()
        if coef_init.shape[0] != X.shape[1]:
            raise ValueError(
                f"coef_init has {coef_init.shape[0]} entries, X has {X.shape[1]} features."
            )
    X, shift = shift_columns(X, check_bool(fit_intercept, "fit_intercept"))
    return X, y, sw, v, coef_init, shift


def _path_output(alphas, coefs, intercepts, gaps, n_iters, n_failed, return_n_iter,
                 return_intercept, shift):
    if n_failed:
        warnings.warn(
            f"{n_failed} of {alphas.shape[0]} path fits did not reach the duality-gap "
            f"tolerance; increase max_iter or loosen tol.",
            ConvergenceWarning,
            stacklevel=3,
        )
    out = [alphas, coefs, gaps]
    if return_n_iter:
        out.append(n_iters)
    if return_intercept:
        out.append(unshift_intercept(intercepts, coefs.T, shift))
    return tuple(out)


def lasso_path(X, y, *, eps=1e-3, n_alphas=100, alphas=None, **params):
    """Lasso regularization path: :func:`enet_path` with ``l1_ratio=1``.

    Minimizes, for each alpha of a decreasing grid::

        1 / (2 S) * sum_i s_i (y_i - x_i w - b)^2 + alpha * sum_j v_j |w_j|

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Target values.
    eps : float, default=1e-3
        Length of the path: ``alpha_min / alpha_max = eps``.
    n_alphas : int, default=100
        Number of alphas when ``alphas`` is None.
    alphas : array-like, default=None
        Explicit grid.
    **params
        Any other keyword of :func:`enet_path` except ``l1_ratio``.

    Returns
    -------
    alphas, coefs, dual_gaps[, n_iters][, intercepts]
        As :func:`enet_path`.
    """
    if "l1_ratio" in params:
        raise TypeError("lasso_path has l1_ratio=1; use enet_path for other values.")
    return enet_path(X, y, l1_ratio=1.0, eps=eps, n_alphas=n_alphas, alphas=alphas, **params)


_ROBUST_PATH_PARAMS = """
    Parameters
    ----------
    X : {{array-like, sparse matrix}} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Target values.
    eps : float, default=1e-3
        Length of the path: ``alpha_min / alpha_max = eps``.
    n_alphas : int, default=100
        Number of alphas when ``alphas`` is None.
    alphas : array-like, default=None
        Explicit grid (solved in decreasing order). None: ``n_alphas`` log-spaced values
        from ``alpha_max``, the smallest alpha giving ``w = 0``.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights ``s``.
    weights : array-like of shape (n_features,), default=None
        Non-negative penalty weights ``v``.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    max_iter : int, default=1000
        Maximum solver iterations per alpha ({iter_what}).
    tol : float, default=1e-4
        Relative duality-gap tolerance per alpha (see :class:`{model}`).
    coef_init : array-like of shape (n_features,), default=None
        Start of the first solve.
    return_n_iter : bool, default=False
        Also return the number of iterations per alpha.
    return_intercept : bool, default=False
        Also return the intercept per alpha (last).
    n_jobs : int, default=None
        Blocks of the grid run in parallel through joblib: threads by default, or the backend of an
        enclosing ``joblib.parallel_backend`` (loky, dask, ...). None means 1 unless in a
        ``joblib.parallel_backend`` context; -1 means all processors.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The grid, decreasing.
    coefs : ndarray of shape (n_features, n_alphas)
        Coefficients along the path.
    dual_gaps : ndarray of shape (n_alphas,)
        Duality gap at each solution (units of the objective).
    n_iters : ndarray of shape (n_alphas,)
        Only when ``return_n_iter``.
    intercepts : ndarray of shape (n_alphas,)
        Only when ``return_intercept``.
"""


def sqrt_solver(problem, X, y, *, weights=None, positive=False, max_iter=1000, tol=1e-4):
    """``solve_one(alpha, coef_init)`` of the square-root Lasso."""
    def solve_one(alpha, coef_init):
        return solve_sqrt_lasso(problem, X, y, alpha, weights, positive, coef_init=coef_init,
                                max_iter=max_iter, tol=tol)
    return solve_one


def lad_solver(problem, *, weights=None, positive=False, max_iter=1000, tol=1e-4):
    """``solve_one(alpha, coef_init)`` of the LAD Lasso on a median QuantileProblem: the
    objective is twice the pinball problem at ``alpha / 2``."""
    def solve_one(alpha, coef_init):
        res = problem.solve(0.5 * alpha, weights, positive, coef_init=coef_init,
                            max_iter=max_iter, tol=tol)
        return SolveResult(res.coef, res.intercept, res.n_iter, 2.0 * res.dual_gap,
                           res.converged)
    return solve_one


def sqrt_lasso_path(X, y, *, eps=1e-3, n_alphas=100, alphas=None, fit_intercept=True,
                    sample_weight=None, weights=None, positive=False, max_iter=1000,
                    tol=1e-4, coef_init=None, return_n_iter=False, return_intercept=False,
                    n_jobs=None):
    X, y, sw, v, coef_init, shift = _path_inputs(X, y, sample_weight, weights, coef_init,
                                                 max_iter, tol, fit_intercept)
    problem = QuadraticProblem(X, y, sw, fit_intercept)
    if alphas is None:
        alphas = alpha_grid(sqrt_alpha_max(problem, v), eps, n_alphas)
    else:
        alphas = check_alphas(alphas)
    solve_one = sqrt_solver(problem, X, y, weights=v, positive=bool(positive),
                            max_iter=max_iter, tol=tol)
    return _path_output(alphas, *solve_path(solve_one, X.shape[1], alphas,
                                            coef_init=coef_init, n_jobs=n_jobs),
                        return_n_iter, return_intercept, shift)


sqrt_lasso_path.__doc__ = """Square-root Lasso regularization path with warm starts.

    For each alpha of a decreasing grid, minimizes (``S = sum_i s_i``)::

        sqrt( 1 / S * sum_i s_i (y_i - x_i w - b)^2 ) + alpha * sum_j v_j |w_j|

    the objective of :class:`SqrtLasso`, each solve warm-started at the previous solution.
""" + _ROBUST_PATH_PARAMS.format(iter_what="coordinate-descent epochs", model="SqrtLasso")


def lad_lasso_path(X, y, *, eps=1e-3, n_alphas=100, alphas=None, fit_intercept=True,
                   sample_weight=None, weights=None, positive=False, max_iter=1000,
                   tol=1e-4, coef_init=None, return_n_iter=False, return_intercept=False,
                   n_jobs=None):
    X, y, sw, v, coef_init, shift = _path_inputs(X, y, sample_weight, weights, coef_init,
                                                 max_iter, tol, fit_intercept)
    problem = QuantileProblem(X, y, sw, fit_intercept, 0.5)
    if alphas is None:
        alphas = alpha_grid(2.0 * problem.alpha_max(v), eps, n_alphas)
    else:
        alphas = check_alphas(alphas)
    solve_one = lad_solver(problem, weights=v, positive=bool(positive), max_iter=max_iter,
                           tol=tol)
    return _path_output(alphas, *solve_path(solve_one, X.shape[1], alphas,
                                            coef_init=coef_init, n_jobs=n_jobs),
                        return_n_iter, return_intercept, shift)


lad_lasso_path.__doc__ = """LAD-Lasso regularization path, warm-started working sets.

    For each alpha of a decreasing grid, minimizes (``S = sum_i s_i``)::

        1 / S * sum_i s_i |y_i - x_i w - b| + alpha * sum_j v_j |w_j|

    the objective of :class:`LADLasso`. Each solve starts its working set from the previous
    solution's support.
""" + _ROBUST_PATH_PARAMS.format(iter_what="interior-point iterations", model="LADLasso")
