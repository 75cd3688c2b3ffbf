"""Out-of-sample entropic maps, with the squared Euclidean or an elastic (l1) cost."""

import numpy as np
from numba import njit, prange

from .._config import _numba_threads
from ._sinkhorn import _check_points, _positive

COSTS = ("sqeuclidean", "elastic")


@njit(cache=True, nogil=True, inline="always")
def _h(x, y, l1, elastic):
    """``||x - y||^2`` (sqeuclidean) or ``||x - y||^2 / 2 + l1 ||x - y||_1`` (elastic)."""
    acc = 0.0
    for k in range(x.shape[0]):
        d = x[k] - y[k]
        acc += 0.5 * d * d + l1 * abs(d) if elastic else d * d
    return acc


@njit(cache=True, nogil=True, parallel=True)
def elastic_cost_matrix(X, Y, l1, out):
    for i in prange(X.shape[0]):
        for j in range(Y.shape[0]):
            out[i, j] = _h(X[i], Y[j], l1, True)


@njit(cache=True, nogil=True, parallel=True)
def map_points(Z, Y, g, eps, l1, elastic, out):
    """``T(z) = z - grad h*(sum_j p_j(z) grad h(z - y_j))``, ``p = softmax((g - h(z - Y))/eps)``.

    For the squared Euclidean cost this is the barycentric ``sum_j p_j(z) y_j``; for the
    elastic cost ``grad h(u) = u + l1 sign(u)`` and ``grad h* = soft-threshold at l1``.
    """
    n, d = Z.shape
    m = Y.shape[0]
    for i in prange(n):
        logits = np.empty(m)
        mx = -np.inf
        for j in range(m):
            v = (g[j] - _h(Z[i], Y[j], l1, elastic)) / eps
            logits[j] = v
            if v > mx:
                mx = v
        s = 0.0
        for j in range(m):
            logits[j] = np.exp(logits[j] - mx)
            s += logits[j]
        acc = np.zeros(d)
        for j in range(m):
            p = logits[j] / s
            for k in range(d):
                u = Z[i, k] - Y[j, k]
                if elastic:
                    acc[k] += p * (u + l1 * np.sign(u))
                else:
                    acc[k] += p * u
        for k in range(d):
            w = acc[k]
            if elastic:  # soft-threshold: the displacement is sparse across features
                w = np.sign(w) * max(abs(w) - l1, 0.0)
            out[i, k] = Z[i, k] - w


def elastic_cost(X, Y, l1):
    r"""The elastic cost matrix ``C_ij = ||x_i - y_j||^2 / 2 + l1 ||x_i - y_j||_1``.

    Solve entropic OT with it (:func:`sinkhorn`) and map with
    ``entropic_map(..., cost="elastic", l1=l1)``: the displacements ``x - T(x)`` are
    sparse across features (Cuturi, Klein and Ablin, 2023).

    Parameters
    ----------
    X : array-like of shape (n, d)
    Y : array-like of shape (m, d)
    l1 : float
        Weight of the l1 part, ``>= 0``.

    Returns
    -------
    C : ndarray of shape (n, m)
    """
    X, Y = _check_points(X, "X"), _check_points(Y, "Y")
    _check_dims(X, Y)
    l1 = _check_l1(l1)
    out = np.empty((X.shape[0], Y.shape[0]))
    with _numba_threads():
        elastic_cost_matrix(X, Y, l1, out)
    return out


def _check_dims(X, Y):
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"the points must have the same number of columns, got "
                         f"{X.shape[1]} and {Y.shape[1]}.")


def _check_l1(l1):
    if not isinstance(l1, (int, float, np.floating, np.integer)) or isinstance(l1, bool):
        raise TypeError(f"l1 must be a number, got {l1!r}.")
    if not (np.isfinite(l1) and l1 >= 0):
        raise ValueError(f"l1 must be non-negative and finite, got {l1}.")
    return float(l1)


def entropic_map(Z, Y, g, epsilon, *, cost="sqeuclidean", l1=0.0):
    r"""Apply the entropic transport map estimated by an OT solve to new points.

    With ``g`` the target potential of an entropic OT problem between source samples and
    the target points ``Y`` (as returned by :func:`sinkhorn` or
    :func:`sinkhorn_newton_sparse`, plan ``P_ij = exp((f_i + g_j - C_ij)/epsilon)``) and a
    translation-invariant cost ``c(x, y) = h(x - y)``, the entropic map is (Pooladian and
    Niles-Weed, 2021; Cuturi, Klein and Ablin, 2023)

    .. math::

        T(z) = z - \nabla h^*\Big(\sum_j p_j(z)\, \nabla h(z - y_j)\Big), \qquad
        p_j(z) \propto \exp\big((g_j - h(z - y_j))/\varepsilon\big).

    For ``cost="sqeuclidean"`` (``h = ||.||^2``) it is the barycentric projection
    ``sum_j p_j(z) y_j``; on the training sources it equals ``(P Y)_i / a_i``. For
    ``cost="elastic"`` (``h = ||.||^2/2 + l1 ||.||_1``, see :func:`elastic_cost`),
    ``grad h*`` is a soft-threshold, so ``z - T(z)`` is sparse across features.

    Parameters
    ----------
    Z : array-like of shape (k, d)
        Points to map.
    Y : array-like of shape (m, d)
        Target points of the OT problem.
    g : array-like of shape (m,)
        Target potential of the OT problem (its cost must be ``cost``).
    epsilon : float
        The OT problem's regularization.
    cost : {"sqeuclidean", "elastic"}, default="sqeuclidean"
    l1 : float, default=0.0
        The elastic cost's l1 weight.

    Returns
    -------
    TZ : ndarray of shape (k, d)

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.ot import entropic_map, sinkhorn
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 2))
    >>> Y = X + [3.0, 0.0]  # a translation
    >>> res = sinkhorn(None, None, (X, Y), epsilon=0.05)
    >>> entropic_map([[0.0, 0.0]], Y, res.g, 0.05).round(1) + 0.0
    array([[3., 0.]])
    """
    if cost not in COSTS:
        raise ValueError(f"cost must be one of {COSTS}, got {cost!r}.")
    Z, Y = _check_points(Z, "Z"), _check_points(Y, "Y")
    _check_dims(Z, Y)
    g = np.asarray(g)
    if np.iscomplexobj(g):
        raise TypeError("g must be real, got complex values.")
    g = np.array(g, dtype=np.float64).ravel()
    if g.shape[0] != Y.shape[0] or not np.all(np.isfinite(g)):
        raise ValueError(f"g must be {Y.shape[0]} finite values (one per target point).")
    _positive(epsilon, "epsilon")
    l1 = _check_l1(l1)
    if cost == "sqeuclidean" and l1 != 0.0:
        raise ValueError('l1 applies to cost="elastic" only.')
    out = np.empty(Z.shape)
    with _numba_threads():
        map_points(Z, Y, g, float(epsilon), l1, cost == "elastic", out)
    return out
