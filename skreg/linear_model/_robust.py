"""SqrtLasso, LADLasso and QuantileLasso: scale-free and outlier-robust sparse regression."""

import numbers

import numpy as np
from scipy.special import ndtri
from sklearn.base import RegressorMixin
from sklearn.utils import check_scalar

from .._offsets import shift_columns, unshift_intercept
from .._validation import check_feature_weights, check_sample_weight, check_X_y, csc_parts
from ._base import PenalizedLinearModel, check_common_params, warn_not_converged
from ._problem import QuadraticProblem, x_dot
from ._quantile import QuantileProblem
from ._sqrt import solve_sqrt_lasso


def pivotal_alpha(n_samples, n_features, *, c=1.1, level=0.05):
    """Noise-blind penalty of the square-root Lasso (Belloni, Chernozhukov and Wang, 2011).

    ``alpha = c * Phi^{-1}(1 - level / (2 p)) / sqrt(n)``, with ``Phi^{-1}`` the standard
    normal quantile: about ``c * sqrt(2 log(p) / n)``. With columns scaled to
    ``sum_i x_ij^2 / n = 1``, it exceeds the score ``||X^T e||_inf / (sqrt(n) ||e||)`` of
    Gaussian noise ``e`` with probability ``1 - level`` whatever the noise level, which gives
    the square-root Lasso its near-oracle rate without knowing the noise level.

    Parameters
    ----------
    n_samples, n_features : int
        Size of the design ``n`` and ``p``.
    c : float, default=1.1
        Slack factor above the noise score (1.1 in the paper).
    level : float, default=0.05
        Probability that the noise score exceeds ``alpha / c``.

    Returns
    -------
    alpha : float
    """
    check_scalar(n_samples, "n_samples", numbers.Integral, min_val=1)
    check_scalar(n_features, "n_features", numbers.Integral, min_val=1)
    check_scalar(c, "c", numbers.Real, min_val=0.0, include_boundaries="neither")
    check_scalar(level, "level", numbers.Real, min_val=0.0, max_val=1.0,
                 include_boundaries="neither")
    return float(c * ndtri(1.0 - level / (2.0 * n_features)) / np.sqrt(n_samples))


_COMMON_PARAMS_DOC = """
    weights : array-like of shape (n_features,), default=None
        Non-negative penalty weights ``v``; None means all ones. A zero weight leaves that
        feature unpenalized.
    fit_intercept : bool, default=True
        Whether to fit an unpenalized intercept ``b``.
    max_iter : int, default=1000
        Maximum number of solver iterations: {iter_what}.
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol`` times the objective at ``w = 0``
        (with the best intercept): a certified relative accuracy.
    warm_start : bool, default=False
        Start from the previous ``coef_`` when refitting.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    solver : {solvers}, default="{default_solver}"
        ``"{default_solver}"``: {solver_what}. ``"cvxpy"``: solve the same objective with
        :mod:`skreg.reference` (cvxpy + Clarabel), to verify a fit."""

_ATTRS_DOC = """
    coef_ : ndarray of shape (n_features,)
        Coefficients ``w``.
    intercept_ : float
        Intercept ``b`` (0.0 when ``fit_intercept=False``).
    dual_gap_ : float
        Duality gap at the solution, in units of the objective.
    n_iter_ : int
        Number of solver iterations run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names."""


class _RobustLinearModel(RegressorMixin, PenalizedLinearModel):
    """Shared ``fit``: validation, the numba solver or the cvxpy reference, attributes."""

    _solvers = ("cd", "cvxpy")

    def _alpha_value(self, n_samples, n_features):
        check_common_params(self, l1_ratio=False)
        return float(self.alpha)

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (CSC, CSR or COO sparse matrices are accepted).
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative weights of the samples' losses.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, y = check_X_y(self, X, y)
        alpha = self._alpha_value(*X.shape)
        weights = check_feature_weights(self.weights, X.shape[1])
        sw = check_sample_weight(sample_weight, X.shape[0])
        X, shift = shift_columns(X, self.fit_intercept)
        res = None
        if self.solver == "cvxpy":
            coef, intercept, gap = self._fit_reference(X, y, alpha, sw, weights)
            self.coef_ = np.asarray(coef, dtype=np.float64)
            self.intercept_ = float(intercept)
            self.n_iter_ = 1
            self.dual_gap_ = float(gap)
        else:
            res, null = self._fit_numba(X, y, alpha, sw, weights)
            if not res.converged:
                warn_not_converged(res.dual_gap, self.tol * null, res.n_iter)
            self.coef_ = res.coef
            self.intercept_ = res.intercept
            self.n_iter_ = max(res.n_iter, 1)
            self.dual_gap_ = res.dual_gap
        self.alpha_ = alpha
        self._set_extra(X, y, sw, res)
        self.intercept_ = unshift_intercept(self.intercept_, self.coef_, shift)
        return self

    def _set_extra(self, X, y, sw, res):
        """Attributes beyond the coefficients; ``res`` is the numba solver's result (None
        with ``solver="cvxpy"``)."""

    def predict(self, X):
        """Predict ``X w + b``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._decision_function(X)


class SqrtLasso(_RobustLinearModel):
    __doc__ = f"""Square-root Lasso: sparse regression whose best alpha ignores the noise level.

    Minimizes, with ``S = sum_i s_i`` (``s`` the sample weights, ones by default)::

        sqrt( 1 / S * sum_i s_i (y_i - x_i w - b)^2 ) + alpha * sum_j v_j |w_j|

    (with unit weights, ``||y - X w - b||_2 / sqrt(n) + alpha ||w||_1``). Unlike the Lasso,
    whose good alpha is proportional to the noise level, the datafit is homogeneous of degree
    one in the residual, so a good alpha depends only on ``n`` and ``p``: ``alpha="pivotal"``
    uses :func:`pivotal_alpha` (Belloni, Chernozhukov and Wang, 2011).

    The solver searches the concomitant scale ``sigma`` (the problem is the Lasso at
    ``alpha * sigma`` with ``sigma`` the residual RMS), each step a warm-started working-set
    coordinate descent, finishes exactly on the support, and handles interpolating solutions
    (residual 0, ``p >= n`` with a small alpha) through the minimum-l1 interpolant; it stops
    on the duality gap of the square-root problem.

    Parameters
    ----------
    alpha : float or "pivotal", default="pivotal"
        Penalty strength, ``alpha >= 0``. ``"pivotal"``:
        ``1.1 * Phi^{{-1}}(1 - 0.05 / (2 p)) / sqrt(n)``, about ``1.1 sqrt(2 log(p) / n)``,
        meant for columns with ``sum_i x_ij^2 / n = 1`` (standardize X first).
{_COMMON_PARAMS_DOC.format(iter_what="coordinate-descent epochs summed over the scale steps",
                           solvers='{"cd", "cvxpy"}', default_solver="cd",
                           solver_what="the numba scale search over coordinate descent")}

    Attributes
    ----------
    alpha_ : float
        The alpha used (the pivotal value when ``alpha="pivotal"``).
    sigma_ : float
        Concomitant noise estimate, the residual RMS
        ``sqrt(sum_i s_i (y_i - x_i w - b)^2 / S)`` (0 for an interpolating fit).
{_ATTRS_DOC}

    See Also
    --------
    Lasso, LADLasso, SqrtLassoCV, sqrt_lasso_path, pivotal_alpha

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import SqrtLasso
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 20))
    >>> y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.standard_normal(100)
    >>> model = SqrtLasso().fit(X, y)
    >>> np.flatnonzero(model.coef_)
    array([0, 1])
    """

    def __init__(self, alpha="pivotal", *, weights=None, fit_intercept=True, max_iter=1000,
                 tol=1e-4, warm_start=False, positive=False, solver="cd"):
        self.alpha = alpha
        self.weights = weights
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.solver = solver

    def _alpha_value(self, n_samples, n_features):
        if isinstance(self.alpha, str):
            if self.alpha != "pivotal":
                raise TypeError(f'alpha must be a float or "pivotal", got {self.alpha!r}.')
            check_common_params(self, alpha=False, l1_ratio=False)
            return pivotal_alpha(n_samples, n_features)
        return super()._alpha_value(n_samples, n_features)

    def _fit_numba(self, X, y, alpha, sw, weights):
        problem = QuadraticProblem(X, y, sw, self.fit_intercept)
        res = solve_sqrt_lasso(problem, X, y, alpha, weights, self.positive,
                               coef_init=self._warm_coef(X.shape[1]), max_iter=self.max_iter,
                               tol=self.tol)
        return res, np.sqrt(2.0 * problem.null_objective)

    def _fit_reference(self, X, y, alpha, sw, weights):
        from ..reference import sqrt_lasso, sqrt_lasso_duality_gap

        ref = sqrt_lasso(X, y, alpha=alpha, sample_weight=sw, weights=weights,
                         fit_intercept=self.fit_intercept, positive=self.positive)
        gap = sqrt_lasso_duality_gap(X, y, ref.coef, ref.intercept, alpha=alpha,
                                     sample_weight=sw, weights=weights,
                                     positive=self.positive, fit_intercept=self.fit_intercept)
        return ref.coef, ref.intercept, gap

    def _set_extra(self, X, y, sw, res):
        if res is not None:  # the numba solver's rho of its final residual is sigma_
            self.sigma_ = float(res.sigma)
            return
        # skreg's kernel: a multi-threaded BLAS product here would leave OpenBLAS's threads
        # spinning into the caller's next fit
        resid = y - x_dot(csc_parts(X), X.shape[0], self.coef_) - self.intercept_
        self.sigma_ = float(np.sqrt(sw @ (resid * resid) / sw.sum()))


class QuantileLasso(_RobustLinearModel):
    __doc__ = f"""Linear quantile regression with an l1 penalty.

    Minimizes, with ``S = sum_i s_i`` (``s`` the sample weights, ones by default)::

        1 / S * sum_i s_i rho_tau(y_i - x_i w - b) + alpha * sum_j v_j |w_j|

    with the pinball loss ``rho_tau(u) = u (tau - 1[u < 0])``, ``tau = quantile``: the
    objective of :class:`sklearn.linear_model.QuantileRegressor` (plus penalty weights).
    :class:`LADLasso` is ``tau = 0.5`` up to a factor 2:
    ``LADLasso(alpha) = 2 * QuantileLasso(quantile=0.5, alpha=alpha / 2)``.

    The linear program is solved exactly on a working set of features by a primal-dual
    interior-point method (Mehrotra predictor-corrector, numba); its dual point is checked
    against every feature, the violated ones join the working set, and the loop stops on the
    certified duality gap of the full problem. Zero coefficients are exactly 0.

    Parameters
    ----------
    quantile : float, default=0.5
        The quantile ``tau`` to model, ``0 < tau < 1``.
    alpha : float, default=1.0
        Penalty strength, ``alpha >= 0``.
{_COMMON_PARAMS_DOC.format(iter_what="interior-point iterations summed over the working sets",
                           solvers='{"ipm", "cvxpy"}', default_solver="ipm",
                           solver_what="the numba working-set interior point")}

    Attributes
    ----------
    alpha_ : float
        The alpha used.
{_ATTRS_DOC}

    See Also
    --------
    LADLasso, sklearn.linear_model.QuantileRegressor

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import QuantileLasso
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    >>> y = np.array([0.0, 1.0, 2.0, 3.0, 40.0])
    >>> QuantileLasso(quantile=0.5, alpha=0.01).fit(X, y).coef_
    array([1.])
    """

    _solvers = ("ipm", "cvxpy")

    def __init__(self, quantile=0.5, *, alpha=1.0, weights=None, fit_intercept=True,
                 max_iter=1000, tol=1e-4, warm_start=False, positive=False, solver="ipm"):
        self.quantile = quantile
        self.alpha = alpha
        self.weights = weights
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.solver = solver

    def _tau_scale(self):
        """``(tau, factor)``: the objective is ``factor`` times the pinball problem at
        ``alpha / factor``."""
        check_scalar(self.quantile, "quantile", numbers.Real, min_val=0.0, max_val=1.0,
                     include_boundaries="neither")
        return float(self.quantile), 1.0

    def _fit_numba(self, X, y, alpha, sw, weights):
        tau, factor = self._tau_scale()
        problem = QuantileProblem(X, y, sw, self.fit_intercept, tau)
        warm = self._warm_coef(X.shape[1])
        res = problem.solve(alpha / factor, weights, self.positive, coef_init=warm,
                            max_iter=self.max_iter, tol=self.tol)
        res = type(res)(res.coef, res.intercept, res.n_iter, factor * res.dual_gap,
                        res.converged)
        return res, factor * problem.null_objective

    def _fit_reference(self, X, y, alpha, sw, weights):
        from ..reference import quantile_duality_gap, quantile_lasso

        tau, factor = self._tau_scale()
        kw = dict(sample_weight=sw, weights=weights, fit_intercept=self.fit_intercept,
                  positive=self.positive)
        ref = quantile_lasso(X, y, alpha=alpha / factor, quantile=tau, **kw)
        gap = quantile_duality_gap(X, y, ref.coef, ref.intercept, alpha=alpha / factor,
                                   quantile=tau, **kw)
        return ref.coef, ref.intercept, factor * gap


class LADLasso(QuantileLasso):
    __doc__ = f"""Least-absolute-deviation Lasso: sparse regression robust to gross outliers in y.

    Minimizes, with ``S = sum_i s_i`` (``s`` the sample weights, ones by default)::

        1 / S * sum_i s_i |y_i - x_i w - b| + alpha * sum_j v_j |w_j|

    the median regression with an l1 penalty (Wang, Li and Jiang, 2007). It is
    :class:`QuantileLasso` at ``quantile=0.5`` up to a factor 2:
    ``LADLasso(alpha) = 2 * QuantileLasso(quantile=0.5, alpha=alpha / 2)``, solved by the
    same working-set interior point to a certified duality gap.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength, ``alpha >= 0``.
{_COMMON_PARAMS_DOC.format(iter_what="interior-point iterations summed over the working sets",
                           solvers='{"ipm", "cvxpy"}', default_solver="ipm",
                           solver_what="the numba working-set interior point")}

    Attributes
    ----------
    alpha_ : float
        The alpha used.
{_ATTRS_DOC}

    See Also
    --------
    QuantileLasso, SqrtLasso, LADLassoCV, lad_lasso_path

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import LADLasso
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    >>> y = np.array([0.0, 1.0, 2.0, 3.0, 40.0])
    >>> LADLasso(alpha=0.01).fit(X, y).coef_
    array([1.])
    """

    def __init__(self, alpha=1.0, *, weights=None, fit_intercept=True, max_iter=1000,
                 tol=1e-4, warm_start=False, positive=False, solver="ipm"):
        self.alpha = alpha
        self.weights = weights
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.solver = solver

    def _tau_scale(self):
        return 0.5, 2.0
