"""Reference objectives and cvxpy formulations of the graph-regularized models."""

import time

import numpy as np
import scipy.sparse as sp

from ._linear_model import ReferenceResult
from ._objectives import _as_X, _check_sample_weight, _check_y

__all__ = ["graph_objective", "graph_regression", "laplacian_ridge",
           "laplacian_ridge_objective"]

_PENALTIES = ("l2", "l1")
_CLARABEL_TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12,
                   "max_iter": 500}


def _check_G(G, n_features):
    G = sp.csr_matrix(G, dtype=np.float64)
    if G.shape[1] != n_features:
        raise ValueError(f"G has {G.shape[1]} columns but X has {n_features} features.")
    return G


def _check_graph_penalty(penalty):
    if penalty not in _PENALTIES:
        raise ValueError(f"penalty must be one of {_PENALTIES}, got {penalty!r}.")


def graph_objective(X, y, G, coef, intercept=0.0, *, alpha, penalty="l2", sample_weight=None):
    r"""Objective of :class:`~skreg.graph.GraphLaplacianRegression`.

    .. math:: \tfrac12 \sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha R(Gw), \quad
              R = \tfrac12 \|\cdot\|_2^2 \ (\text{"l2"}) \text{ or } \|\cdot\|_1 \ (\text{"l1"}).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    G : {array-like, sparse matrix} of shape (n_penalty, n_features)
        Penalty operator (a graph Laplacian, or an incidence matrix for graph TV).
    coef : array-like of shape (n_features,)
    intercept : float, default=0.0
    alpha : float
    penalty : {"l2", "l1"}, default="l2"
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    objective : float

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.reference import graph_objective
    >>> graph_objective(np.eye(2), [1.0, 0.0], [[1.0, -1.0]], [0.5, 0.5], alpha=1.0,
    ...                 penalty="l1")
    0.25
    """
    _check_graph_penalty(penalty)
    X = _as_X(X)
    y = _check_y(y, X.shape[0])
    sw = _check_sample_weight(sample_weight, X.shape[0])
    G = _check_G(G, X.shape[1])
    coef = np.asarray(coef, dtype=np.float64)
    r = y - X @ coef - float(intercept)
    g = G @ coef
    pen = 0.5 * np.dot(g, g) if penalty == "l2" else np.abs(g).sum()
    return float(0.5 * np.dot(sw, r * r) + alpha * pen)


def _solve(problem, variables):
    import cvxpy as cp

    start = time.perf_counter()
    status = None
    for opts in (_CLARABEL_TIGHT, {}):
        try:
            problem.solve(solver=cp.CLARABEL, warm_start=False, **opts)
            status = problem.status
        except cp.error.SolverError as exc:
            status = f"solver error: {exc}"
        if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) and variables[0].value is not None:
            break
    else:
        raise RuntimeError(f"The reference cvxpy/Clarabel solve failed: status {status}.")
    return status, time.perf_counter() - start


def graph_regression(X, y, G, *, alpha, penalty="l2", sample_weight=None, fit_intercept=False):
    r"""Reference solution of :class:`~skreg.graph.GraphLaplacianRegression` (cvxpy).

    Minimizes :func:`graph_objective` over ``coef`` (and ``intercept`` when
    ``fit_intercept``) with Clarabel at tight tolerances.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    G : {array-like, sparse matrix} of shape (n_penalty, n_features)
    alpha : float
    penalty : {"l2", "l1"}, default="l2"
    sample_weight : array-like of shape (n_samples,), default=None
    fit_intercept : bool, default=False

    Returns
    -------
    result : ReferenceResult
        ``coef``, ``intercept``, ``objective`` (recomputed by :func:`graph_objective`),
        ``status``, ``solve_time``.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.reference import graph_regression
    >>> res = graph_regression(np.eye(2), [1.0, 0.0], [[1.0, -1.0]], alpha=1.0,
    ...                        penalty="l1")
    >>> np.round(res.coef, 6) + 0.0
    array([0.5, 0.5])
    """
    import cvxpy as cp

    _check_graph_penalty(penalty)
    X = _as_X(X)
    y = _check_y(y, X.shape[0])
    sw = _check_sample_weight(sample_weight, X.shape[0])
    G = _check_G(G, X.shape[1])
    Xm = sp.csr_matrix(X) if sp.issparse(X) else X
    w = cp.Variable(X.shape[1])
    b = cp.Variable() if fit_intercept else None
    pred = Xm @ w + (b if b is not None else 0.0)
    fit = 0.5 * cp.sum_squares(cp.multiply(np.sqrt(sw), pred - y))
    pen = 0.5 * cp.sum_squares(G @ w) if penalty == "l2" else cp.norm1(G @ w)
    problem = cp.Problem(cp.Minimize(fit + alpha * pen))
    status, elapsed = _solve(problem, [w])
    coef = np.asarray(w.value, dtype=np.float64).ravel().copy()
    intercept = float(b.value) if b is not None else 0.0
    obj = graph_objective(X, y, G, coef, intercept, alpha=alpha, penalty=penalty,
                          sample_weight=sw)
    return ReferenceResult(coef=coef, intercept=intercept, objective=obj, status=status,
                           solve_time=elapsed)


def laplacian_ridge_objective(K, y, L, dual_coef, intercept=0.0, *, alpha, manifold_alpha):
    r"""Objective of :class:`~skreg.graph.LaplacianRidge` in its kernel form.

    .. math:: \frac{1}{2 n_l} \sum_{i \text{ labeled}} (y_i - (K a)_i - b)^2
              + \frac{\alpha}{2} a^\top K a
              + \frac{\gamma}{2 n^2} (K a)^\top L (K a),

    with ``gamma = manifold_alpha``, ``n`` the number of samples and ``n_l`` the labeled
    ones (``y`` not NaN). For the linear model ``K = X X^T`` and ``w = X^T a``.

    Parameters
    ----------
    K : array-like of shape (n_samples, n_samples)
        Kernel (Gram) matrix of all samples, labeled and unlabeled.
    y : array-like of shape (n_samples,)
        Targets, NaN for unlabeled samples.
    L : {array-like, sparse matrix} of shape (n_samples, n_samples)
        Graph Laplacian of the samples.
    dual_coef : array-like of shape (n_samples,)
    intercept : float, default=0.0
    alpha, manifold_alpha : float

    Returns
    -------
    objective : float

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.reference import laplacian_ridge_objective
    >>> laplacian_ridge_objective(np.eye(2), [1.0, np.nan], np.zeros((2, 2)), [1.0, 0.0],
    ...                           alpha=1.0, manifold_alpha=0.0)
    0.5
    """
    K = np.asarray(K, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    a = np.asarray(dual_coef, dtype=np.float64)
    labeled = ~np.isnan(y)
    f = K @ a
    r = y[labeled] - f[labeled] - intercept
    n = K.shape[0]
    Lf = L @ f
    return float(0.5 * np.dot(r, r) / labeled.sum() + 0.5 * alpha * a @ f
                 + 0.5 * manifold_alpha / n**2 * np.dot(f, Lf))


def laplacian_ridge(K, y, L, *, alpha, manifold_alpha, fit_intercept=True):
    r"""Reference solution of :class:`~skreg.graph.LaplacianRidge` (kernel form, cvxpy).

    Minimizes :func:`laplacian_ridge_objective` over the dual coefficients ``a`` (and the
    intercept): with ``K = U diag(lambda) U^T`` and ``f = K a``, the problem is written in
    ``c = diag(sqrt(lambda)) U^T a`` so that every term is a sum of squares.

    Parameters
    ----------
    K : array-like of shape (n_samples, n_samples)
        Positive semi-definite kernel matrix of all samples.
    y : array-like of shape (n_samples,)
        Targets, NaN for unlabeled samples.
    L : {array-like, sparse matrix} of shape (n_samples, n_samples)
        Graph Laplacian (positive semi-definite).
    alpha, manifold_alpha : float
    fit_intercept : bool, default=True

    Returns
    -------
    result : ReferenceResult
        ``coef`` holds the dual coefficients ``a``.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.reference import laplacian_ridge
    >>> res = laplacian_ridge(np.eye(2), [1.0, np.nan], np.zeros((2, 2)), alpha=1.0,
    ...                       manifold_alpha=0.0, fit_intercept=False)
    >>> np.round(res.coef, 6) + 0.0
    array([0.5, 0. ])
    """
    import cvxpy as cp

    K = np.asarray(K, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    labeled = ~np.isnan(y)
    n = K.shape[0]
    n_l = int(labeled.sum())
    lam, U = np.linalg.eigh(0.5 * (K + K.T))
    keep = lam > lam.max() * n * np.finfo(float).eps
    root = np.sqrt(lam[keep])
    F = U[:, keep] * root  # f = F c with c = root * U^T a
    Ld = L.toarray() if sp.issparse(L) else np.asarray(L, dtype=np.float64)
    ev, Q = np.linalg.eigh(0.5 * (Ld + Ld.T))
    R = (Q * np.sqrt(np.clip(ev, 0.0, None))).T  # L = R^T R
    c = cp.Variable(int(keep.sum()))
    b = cp.Variable() if fit_intercept else None
    f = F @ c
    pred = f[np.flatnonzero(labeled)] + (b if b is not None else 0.0)
    obj = (0.5 / n_l * cp.sum_squares(pred - y[labeled]) + 0.5 * alpha * cp.sum_squares(c)
           + 0.5 * manifold_alpha / n**2 * cp.sum_squares(R @ F @ c))
    problem = cp.Problem(cp.Minimize(obj))
    status, elapsed = _solve(problem, [c])
    a = U[:, keep] @ (np.asarray(c.value).ravel() / root)
    intercept = float(b.value) if b is not None else 0.0
    value = laplacian_ridge_objective(K, y, L, a, intercept, alpha=alpha,
                                      manifold_alpha=manifold_alpha)
    return ReferenceResult(coef=a, intercept=intercept, objective=value, status=status,
                           solve_time=elapsed)
