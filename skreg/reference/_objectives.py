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
"""

import numbers

import numpy as np
import scipy.sparse as sp
from scipy.special import entr, expit

__all__ = [
    "enet_duality_gap",
    "enet_null_objective",
    "enet_objective",
    "logistic_duality_gap",
    "logistic_null_objective",
    "logistic_objective",
    "relative_duality_gap",
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

    def project(phi0, cols):
        if cols.size == 0:
            if fit_intercept:
                return phi0 - sq * (np.dot(sq, phi0) / S)
            return phi0
        B = sq[:, None] * _columns(X, cols)
        if fit_intercept:
            B = np.column_stack([sq, B])
        return phi0 - B @ np.linalg.lstsq(B, phi0, rcond=None)[0]

    if not positive or free.size == 0:
        phi = project(phi, free)
    else:
        # Unpenalized, positive features need x_j.theta <= 0: impose equality on the violated
        # ones, re-project, until none is violated (at the optimum nothing is violated and the
        # projection is the identity, whatever the solver's rounding of w_j near 0).
        active = free[:0]
        phi0 = phi
        while True:
            phi = project(phi0, active)
            g_free = _rmatvec(X, sq * phi)[free]
            tol = 1e-13 * max(1.0, np.abs(g_free).max(initial=0.0))
            violated = np.setdiff1d(free[g_free > tol], active)
            if violated.size == 0:
                break
            active = np.union1d(active, violated)

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


_GAPS = {
    "enet": (enet_duality_gap, enet_null_objective),
    "logistic": (logistic_duality_gap, logistic_null_objective),
}


def relative_duality_gap(model, X, y, coef, intercept=0.0, **kwargs):
    """Duality gap divided by the null objective (skreg's ``tol`` scale).

    .. math::

        \\text{relative gap} = \\frac{P(w, b) - D(\\theta)}{P_0},
        \\qquad P_0 = \\min_{b} P(0, b) \\ (b = 0 \\text{ without intercept}),

    with :math:`P_0` from :func:`enet_null_objective` or :func:`logistic_null_objective`. If
    :math:`P_0 = 0` (constant target, or a single class) the absolute gap is returned.

    Parameters
    ----------
    model : {"enet", "logistic"}
        Which objective: quadratic (Lasso, ElasticNet, WeightedLasso) or logistic.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : ndarray of shape (n_samples,)
        Target (labels in ``{-1, +1}`` for ``"logistic"``).
    coef : ndarray of shape (n_features,)
        Coefficients.
    intercept : float, default=0.0
        Intercept.
    **kwargs : dict
        Keyword arguments of :func:`enet_duality_gap` / :func:`logistic_duality_gap`
        (``alpha``, ``l1_ratio``, ``sample_weight``, ``weights``, ``positive``,
        ``fit_intercept``).

    Returns
    -------
    relative_gap : float
        The duality gap over :math:`P_0`.
    """
    if model not in _GAPS:
        raise ValueError(f"model must be one of {sorted(_GAPS)}, got {model!r}.")
    gap_func, null_func = _GAPS[model]
    gap = gap_func(X, y, coef, intercept, **kwargs)
    null = null_func(y, sample_weight=kwargs.get("sample_weight"),
                     fit_intercept=kwargs.get("fit_intercept", True))
    return gap / null if null > 0 else gap
