"""Objective functions, null objectives and duality gaps of the sparse linear models.

Everything here is plain numpy / scipy and independent of every solver, so that any fit (skreg's
own kernels, scikit-learn, skglm, celer, cvxpy) can be measured with the same yardstick.

Notation (shared by every function of this module): ``X`` is ``(n, p)``, dense or any
``scipy.sparse`` matrix/array; ``sw`` are the sample weights (default ones) and
``S = sum(sw)``; ``v`` are the per-feature penalty weights (default ones, ``v_j = 0`` leaves
``w_j`` unpenalized); the penalty is

.. math::

    \\Omega(w) = \\alpha \\sum_j v_j \\Big(\\rho |w_j| + \\frac{1 - \\rho}{2} w_j^2\\Big),

with :math:`\\rho` = ``l1_ratio``, plus the constraint :math:`w \\geq 0` when ``positive=True``.
The square-root, quantile (pinball) and LAD Lasso use the l1 penalty only
(:math:`\\rho = 1`). Their gaps differ in kind: the square-root Lasso gap is built from the
residual like the elastic-net and logistic ones, while the quantile and LAD gaps solve their dual
linear program (HiGHS) and are the exact suboptimality.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from scipy.special import entr, expit

__all__ = [
    "enet_duality_gap",
    "enet_null_objective",
    "enet_objective",
    "lad_duality_gap",
    "lad_null_objective",
    "lad_objective",
    "logistic_duality_gap",
    "logistic_null_objective",
    "logistic_objective",
    "quantile_duality_gap",
    "quantile_null_objective",
    "quantile_objective",
    "relative_duality_gap",
    "sqrt_lasso_duality_gap",
    "sqrt_lasso_null_objective",
    "sqrt_lasso_objective",
]


# ------------------------------------------------------------------------------------------------
# input handling
# ------------------------------------------------------------------------------------------------
def _as_X(X):
    """Return X as a float64 2-D ndarray or a float64 scipy.sparse matrix (format kept)."""
    if sp.issparse(X):
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, got a sparse input with ndim={X.ndim}.")
        if X.format not in ("csr", "csc", "coo"):
            X = X.tocsr()
        if np.iscomplexobj(X.data):
            raise TypeError("X must be real, got a complex sparse matrix.")
        if X.dtype != np.float64:
            X = X.astype(np.float64)
        if not np.all(np.isfinite(X.data)):
            raise ValueError("X contains NaN or infinity.")
        return X
    X = np.asarray(X)
    if np.iscomplexobj(X):
        raise TypeError("X must be real, got a complex array.")
    X = X.astype(np.float64, copy=False)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array, got an array with ndim={X.ndim}.")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinity.")
    return X


def _as_vector(a, name, size=None):
    a = np.asarray(a)
    if np.iscomplexobj(a):
        raise TypeError(f"{name} must be real, got a complex array.")
    a = a.astype(np.float64, copy=False)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array with shape {a.shape}.")
    if size is not None and a.shape[0] != size:
        raise ValueError(f"{name} has {a.shape[0]} entries, expected {size}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return a


def _check_y(y, n_samples=None):
    return _as_vector(y, "y", n_samples)


def _check_labels(y):
    if not np.all((y == 1.0) | (y == -1.0)):
        raise ValueError("y must contain only the labels -1 and +1 for the logistic model.")


def _check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples)
    sw = _as_vector(sample_weight, "sample_weight", n_samples)
    if np.any(sw < 0):
        raise ValueError("sample_weight must be non-negative.")
    if not sw.sum() > 0:
        raise ValueError("sample_weight must have a positive sum.")
    return sw


def _check_feature_weights(weights, n_features):
    if weights is None:
        return np.ones(n_features)
    v = _as_vector(weights, "weights", n_features)
    if np.any(v < 0):
        raise ValueError("weights (per-feature penalty weights) must be non-negative.")
    return v


def _check_penalty(alpha, l1_ratio):
    for name, val in (("alpha", alpha), ("l1_ratio", l1_ratio)):
        if not isinstance(val, numbers.Real) or isinstance(val, bool):
            raise TypeError(f"{name} must be a real number, got {val!r}.")
        if not np.isfinite(val):
            raise ValueError(f"{name} must be finite, got {val!r}.")
    if alpha < 0:
        raise ValueError(f"alpha must be non-negative, got {alpha!r}.")
    if not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}.")
    return float(alpha), float(l1_ratio)


def _check_quantile(quantile):
    if not isinstance(quantile, numbers.Real) or isinstance(quantile, bool):
        raise TypeError(f"quantile must be a real number, got {quantile!r}.")
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be in the open interval (0, 1), got {quantile!r}.")
    return float(quantile)


def _check_intercept(intercept):
    intercept = np.asarray(intercept, dtype=np.float64)
    if intercept.size != 1:
        raise ValueError(f"intercept must be a scalar, got shape {intercept.shape}.")
    intercept = float(intercept.reshape(()))
    if not np.isfinite(intercept):
        raise ValueError("intercept must be finite.")
    return intercept


def _check_problem(X, y, coef, intercept, alpha, l1_ratio, sample_weight, weights):
    """Validate and convert the arguments shared by the objective and gap functions."""
    X = _as_X(X)
    n_samples, n_features = X.shape
    y = _check_y(y, n_samples)
    coef = _as_vector(coef, "coef", n_features)
    intercept = _check_intercept(intercept)
    alpha, l1_ratio = _check_penalty(alpha, l1_ratio)
    sw = _check_sample_weight(sample_weight, n_samples)
    v = _check_feature_weights(weights, n_features)
    return X, y, coef, intercept, alpha, l1_ratio, sw, v


def _penalty(coef, alpha, l1_ratio, v):
    return alpha * np.sum(v * (l1_ratio * np.abs(coef) + 0.5 * (1.0 - l1_ratio) * coef**2))


def _pinball(u, quantile):
    """Pinball loss ``rho_tau(u) = u (tau - 1[u < 0]) = max(tau u, (tau - 1) u)``."""
    return np.maximum(quantile * u, (quantile - 1.0) * u)


def _matvec(X, coef):
    return np.asarray(X @ coef, dtype=np.float64).ravel()


def _rmatvec(X, theta):
    return np.asarray(X.T @ theta, dtype=np.float64).ravel()


def _columns(X, idx):
    """Dense copy of the columns ``idx`` of X (dense or sparse)."""
    if sp.issparse(X):
        return sp.csc_matrix(X)[:, idx].toarray()
    return X[:, idx]


# ------------------------------------------------------------------------------------------------
# primal objectives
# ------------------------------------------------------------------------------------------------
def enet_objective(X, y, coef, intercept=0.0, *, alpha, l1_ratio=1.0, sample_weight=None,
                   weights=None):
    """Elastic-net (Lasso, weighted Lasso) primal objective.

    .. math::

        P(w, b) = \\frac{1}{2S} \\sum_{i=1}^n sw_i (y_i - x_i^\\top w - b)^2
                  + \\alpha \\sum_{j=1}^p v_j \\Big(\\rho |w_j|
                  + \\frac{1 - \\rho}{2} w_j^2\\Big),

    with :math:`S = \\sum_i sw_i` and :math:`\\rho` = ``l1_ratio``. This is scikit-learn's
    scaling of :class:`~sklearn.linear_model.ElasticNet` (``sample_weight`` rescaled to sum to
    ``n``).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix, dense or any ``scipy.sparse`` format.
    y : ndarray of shape (n_samples,)
        Target.
    coef : ndarray of shape (n_features,)
        Coefficients :math:`w`.
    intercept : float, default=0.0
        Intercept :math:`b`.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    l1_ratio : float, default=1.0
        Mixing parameter :math:`\\rho \\in [0, 1]`; ``1`` is the Lasso.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights :math:`sw` (ones if None).
    weights : ndarray of shape (n_features,), default=None
        Non-negative penalty weights :math:`v` (ones if None).

    Returns
    -------
    objective : float
        :math:`P(w, b)`.
    """
    X, y, coef, intercept, alpha, l1_ratio, sw, v = _check_problem(
        X, y, coef, intercept, alpha, l1_ratio, sample_weight, weights)
    r = y - _matvec(X, coef) - intercept
    return float(0.5 * np.dot(sw, r**2) / sw.sum() + _penalty(coef, alpha, l1_ratio, v))


def logistic_objective(X, y, coef, intercept=0.0, *, alpha, l1_ratio=1.0, sample_weight=None,
                       weights=None):
    """Sparse (elastic-net penalized) binary logistic regression primal objective.

    .. math::

        P(w, b) = \\frac{1}{S} \\sum_{i=1}^n sw_i \\log\\big(1 + e^{-y_i (x_i^\\top w + b)}\\big)
                  + \\alpha \\sum_{j=1}^p v_j \\Big(\\rho |w_j|
                  + \\frac{1 - \\rho}{2} w_j^2\\Big),

    with labels :math:`y_i \\in \\{-1, +1\\}`, :math:`S = \\sum_i sw_i` and :math:`\\rho` =
    ``l1_ratio``. scikit-learn's ``LogisticRegression(C=C, l1_ratio=1)`` solves this problem with
    :math:`\\alpha = 1 / (C S)`. The loss is evaluated with :func:`numpy.logaddexp`, so it never
    overflows.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix, dense or any ``scipy.sparse`` format.
    y : ndarray of shape (n_samples,)
        Labels in ``{-1, +1}``.
    coef : ndarray of shape (n_features,)
        Coefficients :math:`w`.
    intercept : float, default=0.0
        Intercept :math:`b`.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    l1_ratio : float, default=1.0
        Mixing parameter :math:`\\rho \\in [0, 1]`.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights :math:`sw` (ones if None).
    weights : ndarray of shape (n_features,), default=None
        Non-negative penalty weights :math:`v` (ones if None).

    Returns
    -------
    objective : float
        :math:`P(w, b)`.
    """
    X, y, coef, intercept, alpha, l1_ratio, sw, v = _check_problem(
        X, y, coef, intercept, alpha, l1_ratio, sample_weight, weights)
    _check_labels(y)
    margin = y * (_matvec(X, coef) + intercept)
    loss = np.dot(sw, np.logaddexp(0.0, -margin)) / sw.sum()
    return float(loss + _penalty(coef, alpha, l1_ratio, v))


def sqrt_lasso_objective(X, y, coef, intercept=0.0, *, alpha, sample_weight=None,
                         weights=None):
    """Square-root Lasso primal objective.

    .. math::

        P(w, b) = \\sqrt{\\frac{1}{S} \\sum_{i=1}^n sw_i (y_i - x_i^\\top w - b)^2}
                  + \\alpha \\sum_{j=1}^p v_j |w_j|,

    with :math:`S = \\sum_i sw_i`. With unit weights this is
    :math:`\\|y - Xw - b\\|_2 / \\sqrt{n} + \\alpha \\|w\\|_1` (Belloni, Chernozhukov and
    Wang, 2011): the datafit is the root mean squared residual, so the optimal ``alpha`` does not
    depend on the noise level.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix, dense or any ``scipy.sparse`` format.
    y : ndarray of shape (n_samples,)
        Target.
    coef : ndarray of shape (n_features,)
        Coefficients :math:`w`.
    intercept : float, default=0.0
        Intercept :math:`b`.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights :math:`sw` (ones if None).
    weights : ndarray of shape (n_features,), default=None
        Non-negative penalty weights :math:`v` (ones if None).

    Returns
    -------
    objective : float
        :math:`P(w, b)`.
    """
    X, y, coef, intercept, alpha, _, sw, v = _check_problem(
        X, y, coef, intercept, alpha, 1.0, sample_weight, weights)
    r = y - _matvec(X, coef) - intercept
    return float(np.sqrt(np.dot(sw, r**2) / sw.sum()) + _penalty(coef, alpha, 1.0, v))


def quantile_objective(X, y, coef, intercept=0.0, *, alpha, quantile=0.5, sample_weight=None,
                       weights=None):
    """Quantile (pinball-loss) Lasso primal objective.

    .. math::

        P(w, b) = \\frac{1}{S} \\sum_{i=1}^n sw_i \\rho_\\tau(y_i - x_i^\\top w - b)
                  + \\alpha \\sum_{j=1}^p v_j |w_j|,
        \\qquad \\rho_\\tau(u) = u \\, (\\tau - \\mathbb{1}[u < 0]),

    with :math:`S = \\sum_i sw_i` and :math:`\\tau` = ``quantile`` in :math:`(0, 1)`. This is
    exactly the objective of :class:`~sklearn.linear_model.QuantileRegressor` (with
    ``weights=None``); ``quantile=0.5`` gives half the LAD objective, see
    :func:`lad_objective`.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix, dense or any ``scipy.sparse`` format.
    y : ndarray of shape (n_samples,)
        Target.
    coef : ndarray of shape (n_features,)
        Coefficients :math:`w`.
    intercept : float, default=0.0
        Intercept :math:`b`.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    quantile : float, default=0.5
        The quantile :math:`\\tau`, ``0 < quantile < 1``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights :math:`sw` (ones if None).
    weights : ndarray of shape (n_features,), default=None
        Non-negative penalty weights :math:`v` (ones if None).

    Returns
    -------
    objective : float
        :math:`P(w, b)`.
    """
    X, y, coef, intercept, alpha, _, sw, v = _check_problem(
        X, y, coef, intercept, alpha, 1.0, sample_weight, weights)
    tau = _check_quantile(quantile)
    r = y - _matvec(X, coef) - intercept
    return float(np.dot(sw, _pinball(r, tau)) / sw.sum() + _penalty(coef, alpha, 1.0, v))


def lad_objective(X, y, coef, intercept=0.0, *, alpha, sample_weight=None, weights=None):
    """LAD (least absolute deviation) Lasso primal objective.

    .. math::

        P(w, b) = \\frac{1}{S} \\sum_{i=1}^n sw_i |y_i - x_i^\\top w - b|
                  + \\alpha \\sum_{j=1}^p v_j |w_j|,

    with :math:`S = \\sum_i sw_i`. Since :math:`|u| = 2 \\rho_{1/2}(u)`, the LAD objective at
    ``alpha`` is twice the quantile objective (:func:`quantile_objective`) at ``quantile=0.5``
    and ``alpha / 2``; it is computed that way (both factors are exact in floating point).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix, dense or any ``scipy.sparse`` format.
    y : ndarray of shape (n_samples,)
        Target.
    coef : ndarray of shape (n_features,)
        Coefficients :math:`w`.
    intercept : float, default=0.0
        Intercept :math:`b`.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights :math:`sw` (ones if None).
    weights : ndarray of shape (n_features,), default=None
        Non-negative penalty weights :math:`v` (ones if None).

    Returns
    -------
    objective : float
        :math:`P(w, b)`.
    """
    _check_penalty(alpha, 1.0)
    return 2.0 * quantile_objective(X, y, coef, intercept, alpha=alpha / 2.0, quantile=0.5,
                                    sample_weight=sample_weight, weights=weights)


# ------------------------------------------------------------------------------------------------
# null objectives (w = 0, best intercept): the scale of relative duality gaps
# ------------------------------------------------------------------------------------------------
def enet_null_objective(y, *, sample_weight=None, fit_intercept=True):
    """Quadratic objective at :math:`w = 0` with the best intercept.

    .. math::

        P_0 = \\min_b \\frac{1}{2S} \\sum_i sw_i (y_i - b)^2
            = \\frac{1}{2S} \\sum_i sw_i (y_i - \\bar y)^2,
        \\qquad \\bar y = \\frac{1}{S} \\sum_i sw_i y_i,

    and :math:`P_0 = \\frac{1}{2S} \\sum_i sw_i y_i^2` (``b = 0``) when ``fit_intercept=False``.
    The penalty vanishes at ``w = 0``. A relative duality gap is ``gap / P_0``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Target.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights (ones if None).
    fit_intercept : bool, default=True
        Whether the intercept is optimized (otherwise it is 0).

    Returns
    -------
    null_objective : float
        :math:`P_0 \\geq 0`.
    """
    y = _check_y(y)
    sw = _check_sample_weight(sample_weight, y.shape[0])
    S = sw.sum()
    if fit_intercept:
        y = y - np.dot(sw, y) / S
    return float(0.5 * np.dot(sw, y**2) / S)


def logistic_null_objective(y, *, sample_weight=None, fit_intercept=True):
    """Logistic objective at :math:`w = 0` with the best intercept.

    With :math:`\\pi = \\frac{1}{S} \\sum_{i: y_i = +1} sw_i` (weighted share of the positive
    class), the best intercept is :math:`b = \\log(\\pi / (1 - \\pi))` and

    .. math::

        P_0 = \\min_b \\frac{1}{S} \\sum_i sw_i \\log(1 + e^{-y_i b})
            = -\\pi \\log \\pi - (1 - \\pi) \\log(1 - \\pi)

    (binary entropy in nats, 0 when one class has all the weight); :math:`P_0 = \\log 2` when
    ``fit_intercept=False``. A relative duality gap is ``gap / P_0``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Labels in ``{-1, +1}``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights (ones if None).
    fit_intercept : bool, default=True
        Whether the intercept is optimized (otherwise it is 0).

    Returns
    -------
    null_objective : float
        :math:`P_0 \\geq 0`.
    """
    y = _check_y(y)
    _check_labels(y)
    sw = _check_sample_weight(sample_weight, y.shape[0])
    if not fit_intercept:
        return float(np.log(2.0))
    pi = min(max(np.dot(sw, y > 0) / sw.sum(), 0.0), 1.0)
    return float(entr(pi) + entr(1.0 - pi))


def sqrt_lasso_null_objective(y, *, sample_weight=None, fit_intercept=True):
    """Square-root Lasso objective at :math:`w = 0` with the best intercept.

    .. math::

        P_0 = \\min_b \\sqrt{\\frac{1}{S} \\sum_i sw_i (y_i - b)^2}
            = \\sqrt{\\frac{1}{S} \\sum_i sw_i (y_i - \\bar y)^2},
        \\qquad \\bar y = \\frac{1}{S} \\sum_i sw_i y_i,

    (the ``sw``-weighted standard deviation of ``y``), and
    :math:`P_0 = \\sqrt{\\frac{1}{S} \\sum_i sw_i y_i^2}` (``b = 0``) when
    ``fit_intercept=False``. A relative duality gap is ``gap / P_0``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Target.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights (ones if None).
    fit_intercept : bool, default=True
        Whether the intercept is optimized (otherwise it is 0).

    Returns
    -------
    null_objective : float
        :math:`P_0 \\geq 0`.
    """
    return float(np.sqrt(2.0 * enet_null_objective(y, sample_weight=sample_weight,
                                                   fit_intercept=fit_intercept)))


def quantile_null_objective(y, *, quantile=0.5, sample_weight=None, fit_intercept=True):
    """Quantile-Lasso objective at :math:`w = 0` with the best intercept.

    .. math::

        P_0 = \\min_b \\frac{1}{S} \\sum_i sw_i \\rho_\\tau(y_i - b),

    attained at any ``sw``-weighted :math:`\\tau`-quantile of ``y``, and
    :math:`P_0 = \\frac{1}{S} \\sum_i sw_i \\rho_\\tau(y_i)` (``b = 0``) when
    ``fit_intercept=False``. The function of :math:`b` is convex and piecewise linear with kinks
    at the :math:`y_i` (``sw_i > 0``), so its minimum is computed exactly: after sorting
    ``y`` (:math:`O(n \\log n)`), the minimizer is the first sorted :math:`y_{(k)}` whose
    cumulative weight reaches :math:`\\tau S` (the right derivative turns non-negative there);
    the objective is evaluated directly at it and at its two neighbours (against the rounding
    of the cumulative sum), and the smallest value is returned. A relative duality gap is
    ``gap / P_0``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Target.
    quantile : float, default=0.5
        The quantile :math:`\\tau`, ``0 < quantile < 1``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights (ones if None).
    fit_intercept : bool, default=True
        Whether the intercept is optimized (otherwise it is 0).

    Returns
    -------
    null_objective : float
        :math:`P_0 \\geq 0`.
    """
    y = _check_y(y)
    tau = _check_quantile(quantile)
    sw = _check_sample_weight(sample_weight, y.shape[0])
    S = sw.sum()
    if not fit_intercept:
        return float(np.dot(sw, _pinball(y, tau)) / S)
    keep = sw > 0
    y, sw = y[keep], sw[keep]
    order = np.argsort(y, kind="stable")
    ys, cum = y[order], np.cumsum(sw[order])
    k = int(np.searchsorted(cum, tau * S, side="left"))
    candidates = ys[max(k - 1, 0): k + 2]
    values = [np.dot(sw, _pinball(y - b, tau)) / S for b in candidates]
    return float(min(values))


def lad_null_objective(y, *, sample_weight=None, fit_intercept=True):
    """LAD-Lasso objective at :math:`w = 0` with the best intercept.

    .. math::

        P_0 = \\min_b \\frac{1}{S} \\sum_i sw_i |y_i - b|,

    attained at any ``sw``-weighted median of ``y``
    (:math:`\\frac{1}{S} \\sum_i sw_i |y_i|` when ``fit_intercept=False``). It is twice
    :func:`quantile_null_objective` at ``quantile=0.5``, and computed that way.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Target.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights (ones if None).
    fit_intercept : bool, default=True
        Whether the intercept is optimized (otherwise it is 0).

    Returns
    -------
    null_objective : float
        :math:`P_0 \\geq 0`.
    """
    return 2.0 * quantile_null_objective(y, quantile=0.5, sample_weight=sample_weight,
                                         fit_intercept=fit_intercept)


# ------------------------------------------------------------------------------------------------
# duality gaps
# ------------------------------------------------------------------------------------------------
def _enet_conjugate_sum(g, a, c, positive):
    """``sum_j h_j^*(g_j)`` for the features with a finite (strongly convex) conjugate.

    ``h_j(t) = a_j |t| + c_j / 2 t^2`` (+ indicator of ``t >= 0``), ``c_j > 0``:
    ``h_j^*(s) = max(|s| - a_j, 0)^2 / (2 c_j)`` (``max(s - a_j, 0)^2 / (2 c_j)`` if positive).
    """
    excess = g - a if positive else np.abs(g) - a
    return float(np.sum(np.maximum(excess, 0.0) ** 2 / (2.0 * c)))


def _l1_scaling(g, a, positive):
    """Largest ``s <= 1`` such that ``s |g_j| <= a_j`` (``s max(g_j, 0) <= a_j`` if positive)."""
    if g.size == 0:
        return 1.0
    viol = np.maximum(g, 0.0) if positive else np.abs(g)
    with np.errstate(divide="ignore"):
        ratios = np.where(viol > 0, a / np.where(viol > 0, viol, 1.0), np.inf)
    return float(min(1.0, ratios.min()))


def _project_dual(X, sq, phi0, free, fit_intercept, positive):
    """Project a dual direction onto the linear constraints of the unpenalized directions.

    ``phi = theta / sqrt(sw)`` (Euclidean metric; samples with ``sw_i = 0`` have ``theta_i = 0``
    by construction). The constraints on ``theta = sq * phi`` are ``sum_i theta_i = 0`` with
    ``fit_intercept`` and ``x_j.theta = 0`` for the unpenalized features ``free``; with
    ``positive`` those only need ``x_j.theta <= 0``: equality is imposed on the violated ones,
    re-projecting from ``phi0`` until none is violated (at the optimum nothing is violated and
    the projection is the identity, whatever the solver's rounding of ``w_j`` near 0).
    """
    S = float(np.dot(sq, sq))

    def project(cols):
        if cols.size == 0:
            if fit_intercept:
                return phi0 - sq * (np.dot(sq, phi0) / S)
            return phi0
        B = sq[:, None] * _columns(X, cols)
        if fit_intercept:
            B = np.column_stack([sq, B])
        return phi0 - B @ np.linalg.lstsq(B, phi0, rcond=None)[0]

    if not positive or free.size == 0:
        return project(free)
    active = free[:0]
    while True:
        phi = project(active)
        g_free = _rmatvec(X, sq * phi)[free]
        tol = 1e-13 * max(1.0, np.abs(g_free).max(initial=0.0))
        violated = np.setdiff1d(free[g_free > tol], active)
        if violated.size == 0:
            return phi
        active = np.union1d(active, violated)


def enet_duality_gap(X, y, coef, intercept=0.0, *, alpha, l1_ratio=1.0, sample_weight=None,
                     weights=None, positive=False, fit_intercept=True):
    """Duality gap of the elastic-net objective, computed from the primal point only.

    Primal (see :func:`enet_objective`):
    :math:`P(w, b) = \\frac{1}{2S} \\sum_i sw_i (y_i - x_i^\\top w - b)^2 + \\sum_j h_j(w_j)`,
    :math:`h_j(t) = \\alpha v_j (\\rho |t| + \\frac{1 - \\rho}{2} t^2)`
    (+ indicator of :math:`t \\geq 0` when ``positive``). Fenchel dual, over
    :math:`\\theta \\in \\mathbb{R}^n` with :math:`\\theta_i = 0` where :math:`sw_i = 0`:

    .. math::

        D(\\theta) = \\theta^\\top (y - b_0 \\mathbf{1})
                     - \\frac{S}{2} \\sum_{i: sw_i > 0} \\frac{\\theta_i^2}{sw_i}
                     - \\sum_j h_j^*(x_j^\\top \\theta),

    where :math:`h_j^*(s) = \\max(|s| - \\alpha v_j \\rho, 0)^2 / (2 \\alpha v_j (1 - \\rho))`
    (:math:`\\max(s - \\alpha v_j \\rho, 0)^2 / \\ldots` when ``positive``) if
    :math:`\\alpha v_j (1 - \\rho) > 0`, and the indicator of
    :math:`|s| \\leq \\alpha v_j \\rho` (:math:`s \\leq \\alpha v_j \\rho` when ``positive``)
    otherwise. With ``fit_intercept`` the intercept is a free variable, the dual requires
    :math:`\\sum_i \\theta_i = 0` and :math:`b_0 = 0`; without it the given ``intercept`` is a
    fixed offset :math:`b_0`. The returned gap is :math:`P(w, b) - D(\\theta)` with the dual point
    built from the residual :math:`r = y - Xw - b`:

    1. :math:`\\theta_i = sw_i r_i / S` (optimal when :math:`(w, b)` is);
    2. projected (orthogonally in the metric :math:`\\sum_i \\theta_i^2 / sw_i`) onto the linear
       constraints of the unpenalized directions: :math:`\\sum_i \\theta_i = 0` with
       ``fit_intercept`` -- i.e. :math:`\\theta_i = sw_i (r_i - \\bar r) / S` with
       :math:`\\bar r` the ``sw``-weighted mean of ``r``, the residual at the *given* intercept,
       recentred -- and :math:`x_j^\\top \\theta = 0` for every feature with
       :math:`\\alpha v_j = 0` (with ``positive`` they only need
       :math:`x_j^\\top \\theta \\leq 0`: equality is imposed on the violated ones, re-projecting
       until none is violated);
    3. when :math:`\\rho = 1`, scaled by
       :math:`\\min(1, \\min_{j: \\alpha v_j > 0} \\alpha v_j / |x_j^\\top \\theta|)`
       (:math:`\\max(x_j^\\top \\theta, 0)` in the denominator when ``positive``), which makes
       every :math:`h_j^*` finite and keeps the linear constraints of step 2.

    The dual point is therefore always feasible and the gap is a valid upper bound on
    :math:`P(w, b) - P^\\star` for *any* ``coef`` and ``intercept`` (up to rounding); at the
    optimum every step is the identity and the gap is 0. Steps 1-3 reduce, for the Lasso without
    zero weights, to the usual rescaled-residual gap; the recentring makes it a sound stopping
    measure even when a solver updates the intercept lazily.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix, dense or any ``scipy.sparse`` format.
    y : ndarray of shape (n_samples,)
        Target.
    coef : ndarray of shape (n_features,)
        Coefficients :math:`w`.
    intercept : float, default=0.0
        Intercept :math:`b`.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    l1_ratio : float, default=1.0
        Mixing parameter :math:`\\rho \\in [0, 1]`.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights; samples with ``sw_i = 0`` drop out.
    weights : ndarray of shape (n_features,), default=None
        Non-negative penalty weights :math:`v`; ``v_j = 0`` leaves ``w_j`` unpenalized.
    positive : bool, default=False
        Whether the problem constrains ``coef >= 0``.
    fit_intercept : bool, default=True
        Whether the intercept is a free (unpenalized) variable of the problem.

    Returns
    -------
    gap : float
        Absolute duality gap :math:`P(w, b) - D(\\theta) \\geq 0` (up to rounding); ``inf`` if
        ``positive`` and some ``coef`` is negative. Divide by :func:`enet_null_objective` for
        the relative gap used as ``tol`` scale by skreg.
    """
    X, y, coef, intercept, alpha, l1_ratio, sw, v = _check_problem(
        X, y, coef, intercept, alpha, l1_ratio, sample_weight, weights)
    if positive and np.any(coef < 0):
        return float("inf")
    fit_intercept = bool(fit_intercept)
    S = sw.sum()
    primal = enet_objective(X, y, coef, intercept, alpha=alpha, l1_ratio=l1_ratio,
                            sample_weight=sw, weights=v)
    r = y - _matvec(X, coef) - intercept

    # Work with phi = theta / sqrt(sw): the metric sum theta_i^2 / sw_i becomes Euclidean and
    # samples with sw_i = 0 have theta_i = 0 by construction.
    sq = np.sqrt(sw)
    phi = sq * r / S
    pen = alpha * v
    free = np.flatnonzero(pen == 0)  # unpenalized features
    penalized = np.flatnonzero(pen > 0)

    phi = _project_dual(X, sq, phi, free, fit_intercept, positive)

    theta = sq * phi
    g = _rmatvec(X, theta)
    conj = 0.0
    if l1_ratio == 1.0:
        s = _l1_scaling(g[penalized], pen[penalized], positive)
        theta *= s
        phi *= s
    elif penalized.size:
        p_ = penalized
        conj = _enet_conjugate_sum(g[p_], l1_ratio * pen[p_], (1.0 - l1_ratio) * pen[p_],
                                   positive)
    offset_y = y if fit_intercept else y - intercept
    dual = np.dot(theta, offset_y) - 0.5 * S * np.dot(phi, phi) - conj
    return float(primal - dual)


def logistic_duality_gap(X, y, coef, intercept=0.0, *, alpha, l1_ratio=1.0, sample_weight=None,
                         weights=None, positive=False, fit_intercept=True):
    """Duality gap of the sparse logistic objective, computed from the primal point only.

    Primal (see :func:`logistic_objective`):
    :math:`P(w, b) = \\frac{1}{S} \\sum_i sw_i \\ell(y_i (x_i^\\top w + b)) + \\sum_j h_j(w_j)`
    with :math:`\\ell(t) = \\log(1 + e^{-t})` and :math:`h_j` as in :func:`enet_duality_gap`.
    Since :math:`\\ell^*(-p) = p \\log p + (1 - p) \\log(1 - p) = -H(p)` for
    :math:`p \\in [0, 1]` (binary entropy, :math:`0 \\log 0 = 0`), writing
    :math:`\\theta_i = sw_i y_i p_i / S` the Fenchel dual is

    .. math::

        D(\\theta) = \\frac{1}{S} \\sum_i sw_i H(p_i) - b_0 \\sum_i \\theta_i
                     - \\sum_j h_j^*(x_j^\\top \\theta),
        \\qquad p \\in [0, 1]^n,

    with :math:`\\sum_i \\theta_i = 0` and :math:`b_0 = 0` when ``fit_intercept`` (otherwise the
    given ``intercept`` is the fixed offset :math:`b_0`). The dual point is built from
    :math:`p_i = \\sigma(-y_i (x_i^\\top w + b))` (:math:`\\sigma` the logistic sigmoid; optimal
    when :math:`(w, b)` is):

    1. with ``fit_intercept``, :math:`\\sum_i \\theta_i = 0` means
       :math:`\\sum_{y_i = +1} sw_i p_i = \\sum_{y_i = -1} sw_i p_i`; the :math:`p_i` of the
       heavier class are multiplied by the ratio of the two sums (at most 1, so
       :math:`p` stays in :math:`[0, 1]`);
    2. when :math:`\\rho = 1`, :math:`p` (hence :math:`\\theta`) is scaled by
       :math:`\\min(1, \\min_{j: \\alpha v_j > 0} \\alpha v_j / |x_j^\\top \\theta|)`
       (:math:`\\max(x_j^\\top \\theta, 0)` in the denominator when ``positive``).

    Unpenalized features (:math:`\\alpha v_j = 0`) need :math:`x_j^\\top \\theta = 0`
    (:math:`\\leq 0` when ``positive``), which no scaling can enforce while keeping
    :math:`p \\in [0, 1]`; their :math:`h_j^*` is taken as 0, so with such features the gap is a
    valid bound only when their coefficients are optimal (it is still exact, 0, at the optimum
    and a sound stopping measure). Without unpenalized features the gap is a valid upper bound
    on :math:`P(w, b) - P^\\star` for any ``coef`` and ``intercept``.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix, dense or any ``scipy.sparse`` format.
    y : ndarray of shape (n_samples,)
        Labels in ``{-1, +1}``.
    coef : ndarray of shape (n_features,)
        Coefficients :math:`w`.
    intercept : float, default=0.0
        Intercept :math:`b`.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    l1_ratio : float, default=1.0
        Mixing parameter :math:`\\rho \\in [0, 1]`.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights; samples with ``sw_i = 0`` drop out.
    weights : ndarray of shape (n_features,), default=None
        Non-negative penalty weights :math:`v`; ``v_j = 0`` leaves ``w_j`` unpenalized.
    positive : bool, default=False
        Whether the problem constrains ``coef >= 0``.
    fit_intercept : bool, default=True
        Whether the intercept is a free (unpenalized) variable of the problem.

    Returns
    -------
    gap : float
        Absolute duality gap :math:`P(w, b) - D(\\theta) \\geq 0` (up to rounding); ``inf`` if
        ``positive`` and some ``coef`` is negative. Divide by :func:`logistic_null_objective`
        for the relative gap.
    """
    X, y, coef, intercept, alpha, l1_ratio, sw, v = _check_problem(
        X, y, coef, intercept, alpha, l1_ratio, sample_weight, weights)
    _check_labels(y)
    if positive and np.any(coef < 0):
        return float("inf")
    S = sw.sum()
    primal = logistic_objective(X, y, coef, intercept, alpha=alpha, l1_ratio=l1_ratio,
                                sample_weight=sw, weights=v)
    margin = y * (_matvec(X, coef) + intercept)
    p = expit(-margin)  # in [0, 1]
    q = expit(margin)  # 1 - p, computed without cancellation
    pos = y > 0
    if fit_intercept:
        mass_pos = np.dot(sw[pos], p[pos])
        mass_neg = np.dot(sw[~pos], p[~pos])
        heavy = None
        if mass_pos > mass_neg:
            heavy, ratio = pos, mass_neg / mass_pos
        elif mass_neg > mass_pos:
            heavy, ratio = ~pos, mass_pos / mass_neg
        if heavy is not None:
            p[heavy] *= ratio
            q[heavy] = 1.0 - p[heavy]
    theta = sw * y * p / S
    pen = alpha * v
    penalized = np.flatnonzero(pen > 0)
    g = _rmatvec(X, theta)
    conj = 0.0
    if l1_ratio == 1.0:
        s = _l1_scaling(g[penalized], pen[penalized], positive)
        if s < 1.0:
            theta *= s
            p *= s
            q = 1.0 - p
    elif penalized.size:
        p_ = penalized
        conj = _enet_conjugate_sum(g[p_], l1_ratio * pen[p_], (1.0 - l1_ratio) * pen[p_],
                                   positive)
    p = np.clip(p, 0.0, 1.0)
    q = np.clip(q, 0.0, 1.0)
    dual = np.dot(sw, entr(p) + entr(q)) / S - conj
    if not fit_intercept:
        dual -= intercept * theta.sum()
    return float(primal - dual)


# Relative size (against the null datafit) of the refitted residual below which the square-root
# Lasso gap also tries the interpolation dual point (see sqrt_lasso_duality_gap).
_SQRT_INTERPOLATION_TOL = 1e-6
# Relative violation of the linear dual constraints above which a normalized dual point of the
# square-root Lasso is discarded (see _linear_violation).
_LINEAR_RTOL = 1e-10


def _l1_dual_lp(X, target, lower, upper, pen, positive, fit_intercept):
    """Solve ``max_theta theta.target`` over the l1-penalized dual polytope with HiGHS.

    Constraints: ``lower <= theta <= upper`` (both 0 where ``sw_i = 0``: those samples are left
    out of the LP), ``|x_j.theta| <= pen_j`` (``x_j.theta <= pen_j`` if positive; equality to 0
    for ``pen_j = 0`` unless positive) and ``sum_i theta_i = 0`` with ``fit_intercept``.
    Returns the full-length theta (not yet exactly feasible: HiGHS works to tolerances) and the
    primal solution read from the LP's marginals: ``coef`` and, with ``fit_intercept``, the
    intercept (else None).
    """
    from scipy.optimize import linprog

    n_samples, n_features = X.shape
    keep = np.flatnonzero(upper - lower > 0)
    theta, coef = np.zeros(n_samples), np.zeros(n_features)
    if keep.size == 0:
        return theta, coef, (0.0 if fit_intercept else None)
    Xk = (sp.csr_matrix(X)[keep] if sp.issparse(X) else X[keep]).T  # (p, m)
    penalized = np.flatnonzero(pen > 0)
    free = np.flatnonzero(pen == 0)
    stack = sp.vstack if sp.issparse(Xk) else np.vstack
    ub_rows, ub_rhs, eq_rows = [Xk[penalized]], [pen[penalized]], []
    if not positive:
        ub_rows.append(-Xk[penalized])
        ub_rhs.append(pen[penalized])
        if free.size:
            eq_rows.append(Xk[free])
    elif free.size:
        ub_rows.append(Xk[free])
        ub_rhs.append(np.zeros(free.size))
    if fit_intercept:
        ones = np.ones((1, keep.size))
        eq_rows.append(sp.csr_matrix(ones) if sp.issparse(Xk) else ones)
    A_ub = stack(ub_rows)
    b_ub = np.concatenate(ub_rhs)
    A_eq = stack(eq_rows) if eq_rows else None
    b_eq = np.zeros(A_eq.shape[0]) if eq_rows else None
    if A_ub.shape[0] == 0:
        A_ub, b_ub = None, None
    res = linprog(-target[keep], A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq,
                  bounds=np.column_stack([lower[keep], upper[keep]]), method="highs",
                  options={"primal_feasibility_tolerance": 1e-10,
                           "dual_feasibility_tolerance": 1e-10})
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"HiGHS failed on the dual LP (status {res.status}): {res.message}")
    theta[keep] = res.x
    # Primal solution: minus the marginals (sensitivities) of the constraints.
    m_ub = res.ineqlin.marginals if A_ub is not None else np.zeros(0)
    m_eq = res.eqlin.marginals if A_eq is not None else np.zeros(0)
    k = penalized.size
    coef[penalized] = -m_ub[:k]
    if not positive:
        coef[penalized] += m_ub[k:2 * k]
        coef[free] = -m_eq[:free.size]
    else:
        coef[free] = -m_ub[k:k + free.size]
    intercept = float(-m_eq[-1]) if fit_intercept else None
    return theta, coef, intercept


def _make_feasible(X, sw, theta, pen, positive, fit_intercept):
    """Exactly feasible version of an (almost) feasible l1-dual point, as ``phi`` and ``g``.

    Projects ``phi = theta / sqrt(sw)`` onto the linear constraints of the unpenalized
    directions (:func:`_project_dual`), then returns ``(phi, g, s)`` with ``g = X.T theta`` and
    ``s`` the l1 scaling (:func:`_l1_scaling`): ``s sqrt(sw) phi`` satisfies every linear and
    l1 constraint. Scalings by a factor in [0, 1] keep all of them, so the caller may scale
    further into its own (box or ball) constraint.
    """
    sq = np.sqrt(sw)
    phi0 = np.divide(theta, sq, out=np.zeros_like(theta), where=sq > 0)
    free = np.flatnonzero(pen == 0)
    penalized = np.flatnonzero(pen > 0)
    phi = _project_dual(X, sq, phi0, free, fit_intercept, positive)
    phi = _project_dual(X, sq, phi, free, fit_intercept, positive)  # twice is enough
    g = _rmatvec(X, sq * phi)
    s = _l1_scaling(g[penalized], pen[penalized], positive)
    return phi, g, s


def _sqrt_interpolation_dual(X, sw, coef, pen, positive, fit_intercept):
    """Smallest dual point of the interpolation (basis pursuit) face of the support of ``coef``.

    With ``T`` the support of ``coef`` (relative threshold 1e-10) and ``s`` its signs, the
    optimal dual points of an interpolating square-root Lasso solution are the ``theta`` with
    ``x_j.theta = pen_j s_j`` on ``T`` (0 for the unpenalized features, and
    ``sum_i theta_i = 0`` with an intercept), ``|x_j.theta| <= pen_j`` elsewhere (one-sided
    when positive; ``<= 0`` for unpenalized features at 0), and in the ellipsoid
    ``sum_i S theta_i^2 / sw_i <= 1``. The one of smallest ellipsoid norm is computed exactly:
    with ``theta = D psi``, ``D = diag(sqrt(sw / S))``, the equalities fix ``psi`` up to a null
    space, ``psi = psi_0 + N z``, and the smallest ``z`` under the inequalities is a least
    distance problem, solved by non-negative least squares (Lawson and Hanson, 1974, ch. 23).
    Returns ``theta`` (full length, 0 where ``sw_i = 0``); the caller makes it exactly feasible.
    Whatever ``coef`` is, the result only serves as a candidate dual point.
    """
    from scipy.optimize import nnls

    keep = np.flatnonzero(sw > 0)
    S = sw.sum()
    theta = np.zeros(X.shape[0])
    Xk = sp.csr_matrix(X)[keep] if sp.issparse(X) else X[keep]
    d = np.sqrt(sw[keep] / S)
    XD = np.asarray((sp.diags(d) @ Xk).T.todense() if sp.issparse(Xk) else (d[:, None] * Xk).T)
    mag = coef if positive else np.abs(coef)
    on = mag > 1e-10 * mag.max(initial=0.0)
    signs = np.where(coef < 0, -1.0, 1.0)
    free = pen == 0
    eq = on | (free & (not positive))
    A, c = XD[eq], np.where(free[eq], 0.0, pen[eq] * signs[eq])
    if fit_intercept:
        A, c = np.vstack([A, d]), np.append(c, 0.0)
    off = np.flatnonzero(~eq)
    G, h = XD[off], pen[off]  # x_j.theta <= pen_j (pen_j = 0: unpenalized, positive, at 0)
    if not positive:
        two_sided = off[pen[off] > 0]
        G, h = np.vstack([G, -XD[two_sided]]), np.concatenate([h, pen[two_sided]])
    if A.shape[0]:
        U, sv, Vt = np.linalg.svd(A, full_matrices=True)
        rank = int(np.sum(sv > sv.max(initial=0.0) * max(A.shape) * np.finfo(float).eps))
        psi0 = Vt[:rank].T @ ((U[:, :rank].T @ c) / sv[:rank])
        N = Vt[rank:].T
    else:
        psi0, N = np.zeros(keep.size), np.eye(keep.size)
    z = np.zeros(N.shape[1])
    if G.shape[0] and N.shape[1]:
        # least distance: min ||z|| s.t. GN z <= h - G psi0, i.e. E z >= f with E = -GN
        E, f = -G @ N, G @ psi0 - h
        M = np.vstack([E.T, f[None, :]])
        try:
            u, _ = nnls(M, np.append(np.zeros(N.shape[1]), 1.0), maxiter=50 * sum(M.shape))
        except RuntimeError:  # iteration limit: keep z = 0 (still a valid candidate)
            u = None
        if u is not None:
            res = M @ u
            res[-1] -= 1.0
            if res[-1] < -1e-14:  # else the face is empty: keep z = 0
                z = -res[:-1] / res[-1]
    theta[keep] = d * (psi0 + N @ z)
    return theta


def _linear_violation(X, sw, theta, free, fit_intercept, positive):
    """Largest violation of the linear dual constraints, relative to the size of ``theta``.

    ``sum_i theta_i = 0`` (with ``fit_intercept``) and ``x_j.theta = 0`` (``<= 0`` if
    positive) for the unpenalized features ``free``, each violation divided by
    ``||col|| ||theta||`` over the samples with ``sw_i > 0``. A dual point that is rescaled
    (normalized) after its projection must be checked: when the unpenalized directions span
    every sample the projection is rounding noise, and so is its normalization.
    """
    norm = np.linalg.norm(theta)
    if norm == 0:
        return 0.0
    w = (sw > 0).astype(np.float64)
    viol = []
    if fit_intercept:
        viol.append(abs(theta.sum()) / (np.sqrt(w.sum()) * norm))
    if free.size:
        g = _rmatvec(X, theta)[free]
        if positive:
            g = np.maximum(g, 0.0)
        col_norms = np.sqrt(_rmatvec(X.multiply(X) if sp.issparse(X) else X * X, w)[free])
        viol.append(float(np.max(np.abs(g) / np.maximum(col_norms * norm, np.finfo(float).tiny))))
    return max(viol, default=0.0)


def sqrt_lasso_duality_gap(X, y, coef, intercept=0.0, *, alpha, sample_weight=None,
                           weights=None, positive=False, fit_intercept=True):
    """Duality gap of the square-root Lasso objective, computed from the primal point only.

    Primal (see :func:`sqrt_lasso_objective`):
    :math:`P(w, b) = \\|D (y - Xw - b)\\|_2 + \\sum_j \\alpha v_j |w_j|` with
    :math:`D = \\mathrm{diag}(\\sqrt{sw_i / S})` (+ :math:`w \\geq 0` when ``positive``).
    The conjugate of :math:`\\|D \\cdot\\|_2` is the indicator of the ellipsoid
    :math:`\\|D^{-1} \\theta\\|_2 \\leq 1`, so the dual is

    .. math::

        \\max_\\theta \\ \\theta^\\top (y - b_0 \\mathbf{1}) \\quad \\text{s.t.} \\quad
        \\sum_{i: sw_i > 0} \\frac{S \\theta_i^2}{sw_i} \\leq 1, \\quad
        |x_j^\\top \\theta| \\leq \\alpha v_j,

        (\\theta_i = 0 \\text{ where } sw_i = 0;\\ x_j^\\top \\theta \\leq \\alpha v_j
        \\text{ when positive}),

    with :math:`\\sum_i \\theta_i = 0` and :math:`b_0 = 0` when ``fit_intercept`` (otherwise the
    given ``intercept`` is the fixed offset :math:`b_0`). The returned gap is
    :math:`P(w, b) - \\theta^\\top (y - b_0 \\mathbf{1})` at a feasible :math:`\\theta` built
    from the residual :math:`r = y - Xw - b`, as in :func:`enet_duality_gap`:

    1. :math:`\\theta \\propto sw \\odot r`, projected (metric
       :math:`\\sum_i \\theta_i^2 / sw_i`) onto :math:`\\sum_i \\theta_i = 0` with
       ``fit_intercept`` and :math:`x_j^\\top \\theta = 0` for the unpenalized features
       (:math:`\\leq 0` with ``positive``, imposed on the violated ones). With only the intercept
       this is the residual at the best intercept for the given ``coef`` (recentred); with
       unpenalized features, the residual after refitting them by weighted least squares;
    2. normalized onto the ellipsoid: :math:`\\theta = sw \\odot \\tilde r / (S \\tilde\\rho)`
       with :math:`\\tilde\\rho = \\sqrt{\\sum_i sw_i \\tilde r_i^2 / S}` (optimal when
       :math:`(w, b)` is and :math:`r \\neq 0`);
    3. scaled by :math:`\\min(1, \\min_{j: \\alpha v_j > 0} \\alpha v_j / |x_j^\\top \\theta|)`
       (:math:`\\max(x_j^\\top \\theta, 0)` in the denominator when ``positive``); the dual value
       of the segment :math:`[0, \\theta]` is linear, so the larger of its ends (0 at
       :math:`\\theta = 0`) is kept.

    If the refitted residual vanishes (:math:`\\tilde\\rho = 0`, exact interpolation) the dual
    point of step 2 is :math:`\\theta = 0`, i.e. the gap is :math:`P(w, b)`. At an
    interpolating optimum (for ``p > n``, or noise-free data, and small ``alpha`` the
    square-root Lasso solution interpolates the data) the residual carries no dual information,
    so when :math:`\\tilde\\rho \\leq 10^{-6} P_0` (:func:`sqrt_lasso_null_objective`) a second
    dual point is tried: with :math:`T` the support of ``coef`` and :math:`s` its signs, the
    point of smallest ellipsoid norm among those with :math:`x_j^\\top \\theta = \\alpha v_j s_j`
    on :math:`T` and the linear and l1 constraints above (a least distance problem, solved
    exactly by non-negative least squares, :func:`scipy.optimize.nnls`), made exactly feasible
    and scaled into the ellipsoid. When ``coef`` is an interpolating optimum this is an optimal
    dual point and the gap is the (vanishing) datafit. The larger of the two dual values is
    used. Both dual points are feasible (up to rounding), so the gap is a valid upper bound on
    :math:`P(w, b) - P^\\star` for *any* ``coef`` and ``intercept``.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix, dense or any ``scipy.sparse`` format.
    y : ndarray of shape (n_samples,)
        Target.
    coef : ndarray of shape (n_features,)
        Coefficients :math:`w`.
    intercept : float, default=0.0
        Intercept :math:`b`.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights; samples with ``sw_i = 0`` drop out.
    weights : ndarray of shape (n_features,), default=None
        Non-negative penalty weights :math:`v`; ``v_j = 0`` leaves ``w_j`` unpenalized.
    positive : bool, default=False
        Whether the problem constrains ``coef >= 0``.
    fit_intercept : bool, default=True
        Whether the intercept is a free (unpenalized) variable of the problem.

    Returns
    -------
    gap : float
        Absolute duality gap :math:`P(w, b) - D(\\theta) \\geq 0` (up to rounding); ``inf`` if
        ``positive`` and some ``coef`` is negative. Divide by
        :func:`sqrt_lasso_null_objective` for the relative gap.
    """
    X, y, coef, intercept, alpha, _, sw, v = _check_problem(
        X, y, coef, intercept, alpha, 1.0, sample_weight, weights)
    if positive and np.any(coef < 0):
        return float("inf")
    fit_intercept, positive = bool(fit_intercept), bool(positive)
    S = sw.sum()
    primal = sqrt_lasso_objective(X, y, coef, intercept, alpha=alpha, sample_weight=sw,
                                  weights=v)
    r = y - _matvec(X, coef) - intercept
    offset_y = y if fit_intercept else y - intercept
    pen = alpha * v
    sq = np.sqrt(sw)
    free = np.flatnonzero(pen == 0)
    penalized = np.flatnonzero(pen > 0)

    dual = 0.0
    # Projected twice: the direction is normalized below, so its constraint violations must be
    # small relative to itself, not to the residual (the refitted residual may be rounding noise,
    # e.g. when the unpenalized features interpolate the data).
    phi = _project_dual(X, sq, sq * r, free, fit_intercept, positive)
    phi = _project_dual(X, sq, phi, free, fit_intercept, positive)
    norm = np.linalg.norm(phi)
    if norm > 0:
        theta = sq * (phi / norm) / np.sqrt(S)  # sum_i S theta_i^2 / sw_i = 1
        if _linear_violation(X, sw, theta, free, fit_intercept, positive) <= _LINEAR_RTOL:
            g = _rmatvec(X, theta)
            s = _l1_scaling(g[penalized], pen[penalized], positive)
            dual = max(dual, s * float(np.dot(theta, offset_y)))

    rho = norm / np.sqrt(S)
    if rho <= _SQRT_INTERPOLATION_TOL * sqrt_lasso_null_objective(
            y, sample_weight=sw, fit_intercept=fit_intercept):
        theta = _sqrt_interpolation_dual(X, sw, coef, pen, positive, fit_intercept)
        phi, _, s = _make_feasible(X, sw, theta, pen, positive, fit_intercept)
        phi_norm = np.linalg.norm(phi)
        if phi_norm > 0:
            s = min(s, 1.0 / (np.sqrt(S) * phi_norm))  # into the ellipsoid
        theta = sq * phi
        if _linear_violation(X, sw, theta, free, fit_intercept, positive) <= _LINEAR_RTOL:
            dual = max(dual, s * float(np.dot(theta, offset_y)))
    return float(primal - dual)


def quantile_duality_gap(X, y, coef, intercept=0.0, *, alpha, quantile=0.5, sample_weight=None,
                         weights=None, positive=False, fit_intercept=True):
    """Exact suboptimality of the quantile-Lasso objective, by solving its dual LP.

    Primal (see :func:`quantile_objective`):
    :math:`P(w, b) = \\frac{1}{S} \\sum_i sw_i \\rho_\\tau(y_i - x_i^\\top w - b)
    + \\sum_j \\alpha v_j |w_j|` (+ :math:`w \\geq 0` when ``positive``). Since
    :math:`\\frac{sw_i}{S} \\rho_\\tau(u) = \\max \\{\\theta_i u : \\theta_i \\in
    [(\\tau - 1) sw_i / S, \\tau sw_i / S]\\}`, the dual is the linear program

    .. math::

        D^\\star = \\max_\\theta \\ \\theta^\\top (y - b_0 \\mathbf{1}) \\quad \\text{s.t.} \\quad
        \\frac{(\\tau - 1) sw_i}{S} \\leq \\theta_i \\leq \\frac{\\tau sw_i}{S}, \\quad
        |x_j^\\top \\theta| \\leq \\alpha v_j

    (:math:`x_j^\\top \\theta \\leq \\alpha v_j` when ``positive``), with
    :math:`\\sum_i \\theta_i = 0` and :math:`b_0 = 0` when ``fit_intercept`` (otherwise the
    given ``intercept`` is the fixed offset :math:`b_0`). A dual point built from the residual
    (a subgradient of the pinball loss) is a poor certificate for a linear program, so the dual
    LP is solved to optimality with HiGHS (:func:`scipy.optimize.linprog`, sparse ``X`` kept
    sparse); its solution is then made exactly feasible (re-projected onto the linear
    constraints, see :func:`enet_duality_gap`, and scaled into the box and l1 constraints, a
    change at the level of HiGHS's tolerances). By strong duality :math:`D^\\star = P^\\star`,
    so the returned :math:`P(w, b) - D^\\star` is the exact suboptimality
    :math:`P(w, b) - P^\\star` of *any* ``(coef, intercept)`` (up to rounding), independent
    of the solver that produced it; it costs one LP solve of size ``n_samples`` by
    ``2 n_features`` per call.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix, dense or any ``scipy.sparse`` format.
    y : ndarray of shape (n_samples,)
        Target.
    coef : ndarray of shape (n_features,)
        Coefficients :math:`w`.
    intercept : float, default=0.0
        Intercept :math:`b`.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    quantile : float, default=0.5
        The quantile :math:`\\tau`, ``0 < quantile < 1``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights; samples with ``sw_i = 0`` drop out.
    weights : ndarray of shape (n_features,), default=None
        Non-negative penalty weights :math:`v`; ``v_j = 0`` leaves ``w_j`` unpenalized.
    positive : bool, default=False
        Whether the problem constrains ``coef >= 0``.
    fit_intercept : bool, default=True
        Whether the intercept is a free (unpenalized) variable of the problem.

    Returns
    -------
    gap : float
        :math:`P(w, b) - D^\\star \\geq 0` (up to rounding); ``inf`` if ``positive`` and some
        ``coef`` is negative. Divide by :func:`quantile_null_objective` for the relative gap.

    Raises
    ------
    RuntimeError
        If HiGHS does not solve the dual LP.
    """
    X, y, coef, intercept, alpha, _, sw, v = _check_problem(
        X, y, coef, intercept, alpha, 1.0, sample_weight, weights)
    tau = _check_quantile(quantile)
    if positive and np.any(coef < 0):
        return float("inf")
    fit_intercept, positive = bool(fit_intercept), bool(positive)
    S = sw.sum()
    primal = quantile_objective(X, y, coef, intercept, alpha=alpha, quantile=tau,
                                sample_weight=sw, weights=v)
    offset_y = y if fit_intercept else y - intercept
    pen = alpha * v
    lower, upper = (tau - 1.0) * sw / S, tau * sw / S
    theta = _l1_dual_lp(X, offset_y, lower, upper, pen, positive, fit_intercept)[0]
    phi, _, s = _make_feasible(X, sw, theta, pen, positive, fit_intercept)
    theta = np.sqrt(sw) * phi
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(theta > upper, upper / theta, np.where(theta < lower, lower / theta, 1.0))
    s = min(s, float(ratio.min(initial=1.0)))
    return float(primal - max(0.0, s * float(np.dot(theta, offset_y))))


def lad_duality_gap(X, y, coef, intercept=0.0, *, alpha, sample_weight=None, weights=None,
                    positive=False, fit_intercept=True):
    """Exact suboptimality of the LAD-Lasso objective, by solving its dual LP.

    The LAD objective (:func:`lad_objective`) at ``alpha`` is twice the quantile objective at
    ``quantile=0.5`` and ``alpha / 2``, so this is twice :func:`quantile_duality_gap` there:
    the dual is :math:`\\max_\\theta \\theta^\\top (y - b_0 \\mathbf{1})` subject to
    :math:`|\\theta_i| \\leq sw_i / S`, :math:`|x_j^\\top \\theta| \\leq \\alpha v_j`
    (:math:`x_j^\\top \\theta \\leq \\alpha v_j` when ``positive``) and
    :math:`\\sum_i \\theta_i = 0` with ``fit_intercept``, solved with HiGHS. The returned
    :math:`P(w, b) - D^\\star` is the exact suboptimality :math:`P(w, b) - P^\\star` of any
    point (strong duality), at the cost of one LP solve.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix, dense or any ``scipy.sparse`` format.
    y : ndarray of shape (n_samples,)
        Target.
    coef : ndarray of shape (n_features,)
        Coefficients :math:`w`.
    intercept : float, default=0.0
        Intercept :math:`b`.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights; samples with ``sw_i = 0`` drop out.
    weights : ndarray of shape (n_features,), default=None
        Non-negative penalty weights :math:`v`; ``v_j = 0`` leaves ``w_j`` unpenalized.
    positive : bool, default=False
        Whether the problem constrains ``coef >= 0``.
    fit_intercept : bool, default=True
        Whether the intercept is a free (unpenalized) variable of the problem.

    Returns
    -------
    gap : float
        :math:`P(w, b) - D^\\star \\geq 0` (up to rounding); ``inf`` if ``positive`` and some
        ``coef`` is negative. Divide by :func:`lad_null_objective` for the relative gap.

    Raises
    ------
    RuntimeError
        If HiGHS does not solve the dual LP.
    """
    _check_penalty(alpha, 1.0)
    return 2.0 * quantile_duality_gap(X, y, coef, intercept, alpha=alpha / 2.0, quantile=0.5,
                                      sample_weight=sample_weight, weights=weights,
                                      positive=positive, fit_intercept=fit_intercept)


_GAPS = {
    "enet": (enet_duality_gap, enet_null_objective),
    "logistic": (logistic_duality_gap, logistic_null_objective),
    "sqrt_lasso": (sqrt_lasso_duality_gap, sqrt_lasso_null_objective),
    "quantile": (quantile_duality_gap, quantile_null_objective),
    "lad": (lad_duality_gap, lad_null_objective),
}


def relative_duality_gap(model, X, y, coef, intercept=0.0, **kwargs):
    """Duality gap divided by the null objective (skreg's ``tol`` scale).

    .. math::

        \\text{relative gap} = \\frac{P(w, b) - D(\\theta)}{P_0},
        \\qquad P_0 = \\min_{b} P(0, b) \\ (b = 0 \\text{ without intercept}),

    with :math:`P_0` from the model's null objective (:func:`enet_null_objective`,
    :func:`logistic_null_objective`, :func:`sqrt_lasso_null_objective`,
    :func:`quantile_null_objective` or :func:`lad_null_objective`). If :math:`P_0 = 0`
    (constant target, or a single class) the absolute gap is returned.

    Parameters
    ----------
    model : {"enet", "logistic", "sqrt_lasso", "quantile", "lad"}
        Which objective: quadratic (Lasso, ElasticNet, WeightedLasso), logistic, square-root
        Lasso, quantile (pinball) Lasso or LAD Lasso.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : ndarray of shape (n_samples,)
        Target (labels in ``{-1, +1}`` for ``"logistic"``).
    coef : ndarray of shape (n_features,)
        Coefficients.
    intercept : float, default=0.0
        Intercept.
    **kwargs : dict
        Keyword arguments of the model's duality gap (:func:`enet_duality_gap`,
        :func:`logistic_duality_gap`, :func:`sqrt_lasso_duality_gap`,
        :func:`quantile_duality_gap`, :func:`lad_duality_gap`): ``alpha``, ``l1_ratio``
        (``"enet"`` and ``"logistic"`` only), ``quantile`` (``"quantile"`` only, also passed to
        the null objective), ``sample_weight``, ``weights``, ``positive``, ``fit_intercept``.

    Returns
    -------
    relative_gap : float
        The duality gap over :math:`P_0`.
    """
    if model not in _GAPS:
        raise ValueError(f"model must be one of {sorted(_GAPS)}, got {model!r}.")
    gap_func, null_func = _GAPS[model]
    gap = gap_func(X, y, coef, intercept, **kwargs)
    null_kwargs = dict(sample_weight=kwargs.get("sample_weight"),
                       fit_intercept=kwargs.get("fit_intercept", True))
    if model == "quantile":
        null_kwargs["quantile"] = kwargs.get("quantile", 0.5)
    null = null_func(y, **null_kwargs)
    return gap / null if null > 0 else gap
