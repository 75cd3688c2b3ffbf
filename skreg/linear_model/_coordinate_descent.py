"""Lasso, ElasticNet and WeightedLasso: penalized least squares by working-set CD."""

import numpy as np
from sklearn.base import RegressorMixin

from .._offsets import shift_columns, unshift_intercept
from .._validation import check_feature_weights, check_sample_weight, check_X_y
from ._base import PenalizedLinearModel, check_common_params, warn_not_converged
from ._problem import QuadraticProblem

_PARAMS_DOC = """
    fit_intercept : bool, default=True
        Whether to fit an unpenalized intercept ``b``. With sparse X the intercept is
        handled by implicit centering: X is never densified.
    max_iter : int, default=1000
        Maximum number of coordinate-descent epochs (passes over the working set).
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol`` times the objective at ``w = 0``
        (with the best intercept): a certified relative accuracy.
    warm_start : bool, default=False
        Start from the previous ``coef_`` when refitting.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    solver : {"cd", "cvxpy"}, default="cd"
        ``"cd"``: the numba working-set coordinate descent. ``"cvxpy"``: solve the same
        objective with :mod:`skreg.reference` (cvxpy + Clarabel), to verify a fit."""

_ATTRS_DOC = """
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients ``w``.
    intercept_ : float
        Intercept ``b`` (0.0 when ``fit_intercept=False``).
    dual_gap_ : float
        Duality gap at the solution, in units of the objective.
    n_iter_ : int
        Number of coordinate-descent epochs run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names."""


class ElasticNet(RegressorMixin, PenalizedLinearModel):
    __doc__ = f"""Linear regression with combined l1 and l2 penalties.

    Minimizes, with ``S = sum_i s_i`` (``s`` the sample weights, ones by default)::

        1 / (2 S) * sum_i s_i (y_i - x_i w - b)^2
            + alpha * l1_ratio * ||w||_1 + alpha * (1 - l1_ratio) / 2 * ||w||_2^2

    the objective of :class:`sklearn.linear_model.ElasticNet`, solved to a certified
    duality gap by working-set coordinate descent with gap-safe screening and Anderson
    acceleration (numba, parallel over features for full passes).

    Parameters
    ----------
    alpha : float, default=1.0
        Overall penalty strength, ``alpha >= 0``.
    l1_ratio : float, default=0.5
        Mix of the penalties, ``0 <= l1_ratio <= 1`` (1 is the Lasso).
{_PARAMS_DOC}
{_ATTRS_DOC}

    See Also
    --------
    Lasso, WeightedLasso, ElasticNetCV, enet_path

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import ElasticNet
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([0.1, 1.0, 2.1, 2.9])
    >>> ElasticNet(alpha=0.01).fit(X, y).coef_.round(2)
    array([0.96, 0.09])
    """

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, max_iter=1000,
                 tol=1e-4, warm_start=False, positive=False, solver="cd"):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.solver = solver

    def _penalty(self, n_features):
        """``(l1_ratio, feature weights or None)`` after validation."""
        check_common_params(self)
        return float(self.l1_ratio), None

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {{array-like, sparse matrix}} of shape (n_samples, n_features)
            Training data (CSC, CSR or COO sparse matrices are accepted).
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative weights of the squared residuals.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, y = check_X_y(self, X, y)
        l1_ratio, weights = self._penalty(X.shape[1])
        sw = check_sample_weight(sample_weight, X.shape[0])
        alpha = float(self.alpha)
        X, shift = shift_columns(X, self.fit_intercept)
        if self.solver == "cvxpy":
            from ..reference import enet, enet_duality_gap

            ref = enet(X, y, alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw,
                       weights=weights, fit_intercept=self.fit_intercept,
                       positive=self.positive)
            self.coef_ = np.asarray(ref.coef, dtype=np.float64)
            self.intercept_ = float(ref.intercept)
            self.n_iter_ = 1
            self.dual_gap_ = float(enet_duality_gap(
                X, y, self.coef_, self.intercept_, alpha=alpha, l1_ratio=l1_ratio,
                sample_weight=sw, weights=weights, positive=self.positive,
                fit_intercept=self.fit_intercept))
            self.intercept_ = unshift_intercept(self.intercept_, self.coef_, shift)
            return self
        problem = QuadraticProblem(X, y, sw, self.fit_intercept)
        res = problem.solve(alpha, l1_ratio, weights, self.positive,
                            coef_init=self._warm_coef(X.shape[1]), max_iter=self.max_iter,
                            tol=self.tol)
        if not res.converged:
            warn_not_converged(res.dual_gap, self.tol * problem.null_objective, res.n_iter)
        self.coef_ = res.coef
        self.intercept_ = unshift_intercept(res.intercept, res.coef, shift)
        self.n_iter_ = max(res.n_iter, 1)
        self.dual_gap_ = res.dual_gap
        return self

    def predict(self, X):
        """Predict ``X w + b``.

        Parameters
        ----------
        X : {{array-like, sparse matrix}} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._decision_function(X)


class Lasso(ElasticNet):
    __doc__ = f"""Linear regression with an l1 penalty.

    Minimizes, with ``S = sum_i s_i`` (``s`` the sample weights, ones by default)::

        1 / (2 S) * sum_i s_i (y_i - x_i w - b)^2 + alpha * ||w||_1

    the objective of :class:`sklearn.linear_model.Lasso`, solved to a certified duality
    gap by working-set coordinate descent with gap-safe screening and Anderson
    acceleration (numba, parallel over features for full passes).

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength, ``alpha >= 0``.
{_PARAMS_DOC}
{_ATTRS_DOC}

    See Also
    --------
    ElasticNet, WeightedLasso, LassoCV, lasso_path

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import Lasso
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([0.1, 1.0, 2.1, 2.9])
    >>> Lasso(alpha=0.01).fit(X, y).coef_.round(2)
    array([0.95, 0.06])
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, max_iter=1000, tol=1e-4,
                 warm_start=False, positive=False, solver="cd"):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.solver = solver

    def _penalty(self, n_features):
        check_common_params(self, l1_ratio=False)
        return 1.0, None


class WeightedLasso(ElasticNet):
    __doc__ = f"""Lasso with one penalty weight per feature.

    Minimizes, with ``S = sum_i s_i`` (``s`` the sample weights, ones by default)::

        1 / (2 S) * sum_i s_i (y_i - x_i w - b)^2 + alpha * sum_j v_j |w_j|

    where ``v = weights >= 0``. A zero weight leaves that feature unpenalized (it enters
    every fit, as in an adaptive or group-informed Lasso).

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength, ``alpha >= 0``.
    weights : array-like of shape (n_features,), default=None
        Non-negative penalty weights ``v``; None means all ones (the Lasso).
{_PARAMS_DOC}
{_ATTRS_DOC}

    See Also
    --------
    Lasso
    """

    def __init__(self, alpha=1.0, *, weights=None, fit_intercept=True, max_iter=1000,
                 tol=1e-4, warm_start=False, positive=False, solver="cd"):
        self.alpha = alpha
        self.weights = weights
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.solver = solver

    def _penalty(self, n_features):
        check_common_params(self, l1_ratio=False)
        return 1.0, check_feature_weights(self.weights, n_features)
