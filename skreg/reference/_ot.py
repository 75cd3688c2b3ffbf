"""cvxpy (Clarabel) formulation of quadratically regularized optimal transport."""

import numpy as np

from ._graph import _solve

__all__ = ["group_sparse_ot", "quadratic_ot"]

# supports tried for the polish: entries above these fractions of the largest plan entry
_SUPPORT_THRESHOLDS = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4)


def _check_inputs(a, b, C, epsilon):
    from ..ot._sinkhorn import _check_cost, _check_weights, _positive

    C, X, Y, fly = _check_cost(C)
    if fly:
        C = np.zeros((X.shape[0], Y.shape[0]))
        for k in range(X.shape[1]):
            C += (X[:, k, None] - Y[None, :, k]) ** 2
    n, m = C.shape
    a = _check_weights(a, n, "a")
    b = _check_weights(b, m, "b")
    if abs(a.sum() - b.sum()) > 1e-8 * max(a.sum(), b.sum()):
        raise ValueError(f"a and b must have the same total mass, got {a.sum()!r} and "
                         f"{b.sum()!r} (normalize them, or use unbalanced transport).")
    _positive(epsilon, "epsilon")
    return a, b, C, float(epsilon)


def _polish(P, a, b, C, eps):
    """The exact plan on the support of Clarabel's interior-point ``P``, if KKT certifies it.

    On a support ``S`` the optimality conditions are ``eps P_ij = f_i + g_j - C_ij`` on ``S``
    with the marginals of ``P``: a linear system in ``(f, g)`` (a graph Laplacian of the
    support). Its solution is the optimum when ``P > 0`` on ``S`` and
    ``f_i + g_j - C_ij <= 0`` off ``S`` (the multipliers of ``P >= 0`` are non-negative).
    Returns None when no thresholded support passes.
    """
    n, m = C.shape
    scale = max(float(np.abs(C).max()), eps * float(P.max()), np.finfo(float).tiny)
    for thr in _SUPPORT_THRESHOLDS:
        S = P > thr * P.max()
        r, c = S.sum(axis=1), S.sum(axis=0)
        if np.any(r[a > 0] == 0) or np.any(c[b > 0] == 0):
            continue
        Sf = S.astype(float)
        L = np.block([[np.diag(r.astype(float)), Sf], [Sf.T, np.diag(c.astype(float))]])
        CS = np.where(S, C, 0.0)
        rhs = np.concatenate([eps * a + CS.sum(axis=1), eps * b + CS.sum(axis=0)])
        fg = np.linalg.lstsq(L, rhs, rcond=None)[0]
        fg += np.linalg.lstsq(L, rhs - L @ fg, rcond=None)[0]  # one refinement step
        f, g = fg[:n], fg[n:]
        # rows / columns of zero mass: the largest potential that keeps them empty
        empty_r, empty_c = r == 0, c == 0
        if np.any(empty_c):
            g[empty_c] = (C[np.ix_(~empty_r, empty_c)] - f[~empty_r, None]).min(axis=0)
        if np.any(empty_r):
            f[empty_r] = (C[empty_r] - g[None, :]).min(axis=1)
        T = f[:, None] + g[None, :] - C
        Q = np.where(S, T / eps, 0.0)
        if (np.all(T[S] > 0) and np.all(T[~S] <= 1e-11 * scale)
                and np.abs(Q.sum(axis=1) - a).sum() <= 1e-11 * a.sum()
                and np.abs(Q.sum(axis=0) - b).sum() <= 1e-11 * a.sum()):
            return Q
    return None


def quadratic_ot(a, b, C, epsilon):
    r"""Reference plan of :func:`skreg.ot.quadratic_ot` (cvxpy, Clarabel).

    .. math::

        \min_{P \ge 0,\ P 1 = a,\ P^\top 1 = b} \langle P, C\rangle
        + \frac{\varepsilon}{2} \|P\|_F^2

    solved as a second-order cone program by Clarabel at tight tolerances (for small
    problems: ``n m`` variables). The interior-point plan is then polished on its support:
    the optimality conditions restricted to the support are a linear system in the
    potentials, whose solution replaces Clarabel's plan when it satisfies all of them
    (positive on the support, non-positive reduced costs off it, marginals to 1e-11), so the
    zeros of the plan are exact zeros. Otherwise Clarabel's plan is returned with its
    negative rounding errors set to 0.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source weights (non-negative); None means uniform.
    b : array-like of shape (m,) or None
        Target weights, with the same total mass as ``a``.
    C : array-like of shape (n, m), or tuple ``(X, Y)``
        Cost matrix, or points (squared Euclidean cost).
    epsilon : float
        Quadratic regularization.

    Returns
    -------
    plan : ndarray of shape (n, m)

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.reference import quadratic_ot
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> quadratic_ot([0.5, 0.5], [0.5, 0.5], C, epsilon=1.0).round(6) + 0.0
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    import cvxpy as cp

    a, b, C, eps = _check_inputs(a, b, C, epsilon)
    n, m = C.shape
    P = cp.Variable((n, m), nonneg=True)
    objective = cp.sum(cp.multiply(C, P)) + 0.5 * eps * cp.sum_squares(P)
    problem = cp.Problem(cp.Minimize(objective),
                         [cp.sum(P, axis=1) == a, cp.sum(P, axis=0) == b])
    _solve(problem, [P])
    plan = np.maximum(np.asarray(P.value, dtype=np.float64), 0.0)
    polished = _polish(plan, a, b, C, eps)
    return plan if polished is None else polished


def group_sparse_ot(a, b, C, labels, epsilon, lam, regularizer="group_lasso",
                    n_neighbors=None):
    r"""Reference plan of :func:`skreg.ot.group_sparse_ot` (cvxpy, Clarabel).

    .. math::

        \min_{P \ge 0,\ P 1 = a,\ P^\top 1 = b} \langle P, C\rangle
        + \frac{\varepsilon}{2} \|P\|_F^2 + \lambda R(P)

    with the group lasso :math:`R(P) = \sum_j \sum_c \|P_{I_c, j}\|_2` or the sum of norms
    :math:`R(P) = \sum_c \sum_{i < i' \in I_c} \|P_{i,:} - P_{i',:}\|_2` over the same pairs
    as the solver (all pairs of a class, or its kNN graph of ``n_neighbors`` on the rows of
    ``C``), solved as a second-order cone program by Clarabel at tight tolerances (for small
    problems: ``n m`` variables and one cone per block or pair). Clarabel's interior-point
    plan is returned with its negative rounding errors set to 0; with ``lam = 0`` it is
    polished on its support as in :func:`quadratic_ot` (exact zeros). With ``lam > 0`` the
    zeros of the plan are only zeros to Clarabel's accuracy (about 1e-9 of the plan's
    largest entry).

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source weights (non-negative); None means uniform.
    b : array-like of shape (m,) or None
        Target weights, with the same total mass as ``a``.
    C : array-like of shape (n, m), or tuple ``(X, Y)``
        Cost matrix, or points (squared Euclidean cost).
    labels : array-like of shape (n,)
        Class of every source point.
    epsilon : float
        Quadratic regularization.
    lam : float
        Weight of the class regularizer (>= 0).
    regularizer : {"group_lasso", "sum_of_norms"}, default="group_lasso"
    n_neighbors : int or None, default=None
        Sum of norms: kNN graph within each class instead of all pairs.

    Returns
    -------
    plan : ndarray of shape (n, m)
        Its objective is ``<P, C> + (epsilon / 2) ||P||_F^2 + lam R(P)``: compute it with
        ``skreg.ot.group_sparse_ot``'s formula (the ``objective`` of an
        :class:`~skreg.ot.OTResult`), e.g. ``skreg.reference._ot.group_sparse_objective``.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.reference import group_sparse_ot
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> group_sparse_ot(None, None, C, [0, 1], epsilon=1.0, lam=0.5).round(6) + 0.0
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    import cvxpy as cp

    from ..ot._group import _check_labels, _check_settings, _class_pairs

    a, b, C, eps = _check_inputs(a, b, C, epsilon)
    n, m = C.shape
    codes = _check_labels(labels, n)
    _check_settings(lam, regularizer, n_neighbors)
    lam = float(lam)
    P = cp.Variable((n, m), nonneg=True)
    objective = cp.sum(cp.multiply(C, P)) + 0.5 * eps * cp.sum_squares(P)
    if lam > 0:
        if regularizer == "group_lasso":
            reg = sum(cp.sum(cp.norm(P[np.flatnonzero(codes == c), :], 2, axis=0))
                      for c in np.unique(codes))
        else:
            pi, pj = _class_pairs(C, codes, n_neighbors)
            reg = cp.sum(cp.norm(P[pi, :] - P[pj, :], 2, axis=1)) if len(pi) else 0
        objective = objective + lam * reg
    problem = cp.Problem(cp.Minimize(objective),
                         [cp.sum(P, axis=1) == a, cp.sum(P, axis=0) == b])
    _solve(problem, [P])
    plan = np.maximum(np.asarray(P.value, dtype=np.float64), 0.0)
    if lam == 0:
        polished = _polish(plan, a, b, C, eps)
        plan = plan if polished is None else polished
    return plan


def group_sparse_objective(P, C, labels, epsilon, lam, regularizer="group_lasso",
                           n_neighbors=None):
    """``<P, C> + (epsilon / 2) ||P||_F^2 + lam R(P)`` in numpy (the objective of
    :func:`group_sparse_ot`, ``C`` a cost matrix)."""
    from ..ot._group import _check_labels, _class_pairs, _regularization

    P, C = np.asarray(P, dtype=np.float64), np.asarray(C, dtype=np.float64)
    codes = _check_labels(labels, C.shape[0])
    pairs = _class_pairs(C, codes, n_neighbors) if regularizer == "sum_of_norms" else None
    return float(np.sum(P * C) + 0.5 * epsilon * np.sum(P * P)
                 + lam * _regularization(P, codes, pairs, regularizer))
