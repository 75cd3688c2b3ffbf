"""Estimators of loss-based weighted OMP: :class:`WeightedOMP` and :class:`WeightedOMPCV`."""

import numbers

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import check_cv
from sklearn.utils import check_scalar

from .._config import _numba_threads, _parallel_plan
from .._validation import check_feature_weights, check_sample_weight, check_X_y
from ..linear_model._base import LinearPredictorMixin
from ..linear_model._cv import _check_folds
from ..linear_model._path import alpha_grid, check_alphas
from ._solver import GreedyProblem, check_omp_params

_OBJECTIVE = r"""
    With the columns :math:`a_j` of ``X`` (centred when ``fit_intercept``) scaled to unit
    (sample-weighted) l2 norm, the iteration greedily decreases

    .. math:: G(z) = F(y - b - Az) + \alpha P_w(z),

    :math:`F(r) = \sum_i s_i r_i^2` (``loss="lasso"``), :math:`\sqrt{\sum_i s_i r_i^2}`
    (``"sqrt"``) or :math:`\sum_i s_i |r_i|` (``"lad"``), with ``s`` the sample weights, and
    :math:`P_w(z) = \sum_j w_j |z_j|` (``penalty="l1"``) or :math:`\sum_{j: z_j \ne 0}
    w_j^2` (``"l0"``). This is the paper's convention: no 1/2 and no 1/n factor, and
    ``alpha`` and ``weights`` act on the coefficients :math:`z_j = \|a_j\| w_j` of the
    normalized columns (``coef_`` is reported in the scale of ``X``).

    Each iteration computes, for every feature, the best decrease
    :math:`\Delta_j = \min_t G(z + t e_j) - G(z)` in closed form (a weighted median for
    lad), adds :math:`j^* = \arg\min_j \Delta_j` to the support and refits the support
    without penalty: least squares (lasso, sqrt) or least absolute deviations (lad, an exact
    linear program). With ``alpha=0`` and the l0-lasso rule this is plain orthogonal
    matching pursuit.
"""


class _GreedyBase(RegressorMixin, LinearPredictorMixin, BaseEstimator):
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    def predict(self, X):
        """Predict with the fitted linear model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._decision_function(X)

    def _set_result(self, res):
        self.coef_ = res.coef
        self.intercept_ = res.intercept
        self.coef_path_ = res.coef_path
        self.intercept_path_ = res.intercept_path
        self.support_ = res.support
        self.loss_path_ = res.loss_path
        self.n_iter_ = res.n_iter
        self.n_nonzero_coefs_ = int(res.support.size)
        self.stop_reason_ = res.stop_reason


class WeightedOMP(_GreedyBase):
    __doc__ = (
        r"""Loss-based weighted orthogonal matching pursuit (greedy LASSO, SR-LASSO, LAD-LASSO).

    The greedy counterparts of the weighted LASSO, square-root LASSO and LAD-LASSO of
    Mohammad-Taheri and Brugiapaglia (arXiv 2303.00844). The sqrt rule inherits the
    square-root LASSO's noise-blind choice of ``alpha``; the lad rule is robust to gross
    outliers in ``y``.
"""
        + _OBJECTIVE
        + r"""
    Parameters
    ----------
    loss : {"lasso", "sqrt", "lad"}, default="lasso"
        Data-fit term ``F``.
    penalty : {"l0", "l1"}, default="l0"
        Penalty ``P_w``.
    alpha : float, default=0.0
        Penalty level :math:`\ge 0`.
    weights : array-like of shape (n_features,), default=None
        Penalty weights :math:`w_j \ge 0` (ones by default); 0 leaves a feature unpenalized.
    n_nonzero_coefs : int, default=None
        Maximum number of selected features (at most ``min(n_samples, n_features)`` are).
        By default ``max_iter`` if given, else all with ``tol``, else 10% of the features (at
        least 1), as in scikit-learn's
        :class:`~sklearn.linear_model.OrthogonalMatchingPursuit`.
    max_iter : int, default=None
        Maximum number of iterations, by default the maximum number of selected features.
        With ``on_no_decrease="add"`` an iteration may select nothing new.
    tol : float, default=None
        Stop when the data fit ``F`` of the residual is at most ``tol`` (for lasso the
        squared norm, as scikit-learn's OMP; for sqrt the norm; for lad the weighted
        absolute sum).
    fit_intercept : bool, default=True
        Fit an unpenalized intercept ``b``.
    on_no_decrease : {"stop", "add"}, default="stop"
        ``"stop"``: stop when no feature strictly decreases ``G`` or the best one is already
        selected (a fixed point of the iteration). ``"add"``: the paper's Algorithm 1, which
        always adds the argmin (the first index on ties), even without a decrease.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients of the last iteration.
    intercept_ : float
        Intercept (0.0 when ``fit_intercept=False``).
    coef_path_ : ndarray of shape (n_features, n_steps)
        Coefficients after each completed iteration, one column per iteration.
    intercept_path_ : ndarray of shape (n_steps,)
        Intercept after each completed iteration.
    support_ : ndarray of int64
        Selected features in the order of selection.
    loss_path_ : ndarray of shape (n_steps,)
        The regularized loss ``G`` (normalized scale) after each completed iteration.
    n_iter_ : int
        Evaluations of the selection rule: ``n_steps``, plus 1 when the last one found no
        decrease (or a dependent column) and changed nothing.
    n_nonzero_coefs_ : int
        Number of selected features.
    stop_reason_ : str
        ``"max_iter"``, ``"n_nonzero_coefs"``, ``"tol"``, ``"no_decrease"`` or
        ``"dependent"`` (the chosen column depends linearly on the selected ones; a
        ``RuntimeWarning`` is raised).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (only when X has string feature names).

    See Also
    --------
    weighted_omp : The functional interface.
    WeightedOMPCV : ``alpha`` and the number of iterations chosen by cross-validation.
    skreg.SqrtLasso, skreg.LADLasso : The convex models the rules come from.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.datasets import make_compressive_sensing
    >>> from skreg.greedy import WeightedOMP
    >>> X, y, coef = make_compressive_sensing(80, 200, n_nonzero=5, noise_level=0.01,
    ...                                       outlier_fraction=0.1, random_state=0)
    >>> omp = WeightedOMP(loss="lad", penalty="l1", alpha=2.0, fit_intercept=False,
    ...                   max_iter=20).fit(X, y)
    >>> sorted(omp.support_.tolist()) == np.flatnonzero(coef).tolist()
    True
    """
    )

    def __init__(self, loss="lasso", penalty="l0", alpha=0.0, weights=None,
                 n_nonzero_coefs=None, max_iter=None, tol=None, fit_intercept=True,
                 on_no_decrease="stop"):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.weights = weights
        self.n_nonzero_coefs = n_nonzero_coefs
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.on_no_decrease = on_no_decrease

    def fit(self, X, y, sample_weight=None):
        """Run the greedy iteration.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (dense).
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative weights of the residuals.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, y = check_X_y(self, X, y, accept_sparse=False)
        n_samples, n_features = X.shape
        nnz, n_iter = check_omp_params(self.loss, self.penalty, self.alpha,
                                       self.n_nonzero_coefs, self.max_iter, self.tol,
                                       self.on_no_decrease, self.fit_intercept, n_samples,
                                       n_features)
        sw = check_sample_weight(sample_weight, n_samples)
        v = None if self.weights is None else check_feature_weights(self.weights, n_features)
        problem = GreedyProblem(X, y, sw, self.loss, self.fit_intercept)
        res = problem.run(float(self.alpha), v, self.penalty, nnz, n_iter, self.tol,
                          self.on_no_decrease == "stop")
        self._set_result(res)
        return self


def _fold_errors(X, y, sw, train, test, alphas, est, v, nnz, n_iter, n_threads):
    """Held-out error ``(n_alphas, n_iter)`` of one fold after iterations 1, ..., n_iter."""
    problem = GreedyProblem(np.asfortranarray(X[train]), y[train], sw[train], est.loss,
                            est.fit_intercept)
    out = np.empty((alphas.size, n_iter))
    absolute = est.loss == "lad"
    with _numba_threads(n_threads):
        for a, alpha in enumerate(alphas):
            res = problem.run(float(alpha), v, est.penalty, nnz, n_iter, None,
                              est.on_no_decrease == "stop")
            coefs = np.zeros((X.shape[1], n_iter + 1))
            intercepts = np.empty(n_iter + 1)
            intercepts[0] = problem.null_intercept
            k = res.coef_path.shape[1]
            coefs[:, 1:k + 1] = res.coef_path
            intercepts[1:k + 1] = res.intercept_path
            # a path that stopped keeps its last model (the null one if it stopped at once)
            coefs[:, k + 1:] = coefs[:, [k]]
            intercepts[k + 1:] = intercepts[k]
            resid = y[test][:, None] - X[test] @ coefs[:, 1:] - intercepts[1:]
            err = np.abs(resid) if absolute else resid * resid
            out[a] = sw[test] @ err / sw[test].sum()
    return out


class WeightedOMPCV(_GreedyBase):
    __doc__ = (
        r"""Weighted OMP with ``alpha`` and the number of iterations chosen by cross-validation.

    For every ``alpha`` of the grid, the greedy iteration of :class:`WeightedOMP` runs on
    each training fold for up to ``max_iter`` iterations; every iterate (and the model
    without features) is scored on the held-out fold by the mean (sample-weighted) squared
    error (lasso, sqrt) or absolute error (lad: outliers in a validation fold do not drive
    the choice). The pair ``(alpha, iterations)`` with the lowest mean error over the folds
    is refitted on all the data.
"""
        + _OBJECTIVE
        + r"""
    Parameters
    ----------
    loss : {"lasso", "sqrt", "lad"}, default="lasso"
        Data-fit term ``F``.
    penalty : {"l0", "l1"}, default="l0"
        Penalty ``P_w``.
    alphas : array-like, default=None
        Candidate penalty levels. By default ``n_alphas`` values log-spaced from
        ``alpha_max`` (no feature can decrease ``G``) down to ``eps * alpha_max``, and 0.
    n_alphas : int, default=10
        Number of nonzero alphas when ``alphas`` is None.
    eps : float, default=1e-3
        Length of the default grid: ``alpha_min / alpha_max = eps``.
    weights : array-like of shape (n_features,), default=None
        Penalty weights :math:`w_j \ge 0`.
    max_iter : int, default=None
        Maximum number of iterations of each path; by default
        ``min(max(int(0.1 * n_features), 5), n_features)`` (as scikit-learn's
        :class:`~sklearn.linear_model.OrthogonalMatchingPursuitCV`).
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    on_no_decrease : {"stop", "add"}, default="stop"
        See :class:`WeightedOMP`.
    cv : int, cross-validation generator or iterable, default=None
        Determines the splits (5-fold by default), as in scikit-learn.
    n_jobs : int, default=None
        Folds run in parallel through joblib: threads by default, or the backend of an enclosing
        ``joblib.parallel_backend`` (loky, dask, ...). None means 1 unless in a
        ``joblib.parallel_backend`` context; -1 means all processors.

    Attributes
    ----------
    alpha_ : float
        Selected penalty level.
    alphas_ : ndarray of shape (n_alphas,)
        The grid, in decreasing order.
    max_iter_ : int
        Selected number of iterations: the refit runs at most this many.
    cv_errors_ : ndarray of shape (n_alphas, max_iter, n_folds)
        Held-out error of every alpha, iteration count (1, ..., max_iter; a path that
        stopped keeps its last model) and fold: mean squared error (lasso, sqrt) or mean
        absolute error (lad).
    coef_ : ndarray of shape (n_features,)
        Coefficients of the refit. Its ``intercept_``, ``coef_path_``, ``intercept_path_``,
        ``support_``, ``loss_path_``, ``n_iter_``, ``n_nonzero_coefs_`` and ``stop_reason_``
        are set as in :class:`WeightedOMP`.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (only when X has string feature names).

    See Also
    --------
    WeightedOMP : The estimator at fixed ``alpha``.

    Examples
    --------
    >>> from skreg.datasets import make_compressive_sensing
    >>> from skreg.greedy import WeightedOMPCV
    >>> X, y, coef = make_compressive_sensing(100, 200, n_nonzero=5, noise_level=0.1,
    ...                                       random_state=0)
    >>> cv = WeightedOMPCV(loss="sqrt", penalty="l1", max_iter=15).fit(X, y)
    >>> int(cv.n_nonzero_coefs_) >= 5
    True
    """
    )

    def __init__(self, loss="lasso", penalty="l0", alphas=None, n_alphas=10, eps=1e-3,
                 weights=None, max_iter=None, fit_intercept=True, on_no_decrease="stop",
                 cv=None, n_jobs=None):
        self.loss = loss
        self.penalty = penalty
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.eps = eps
        self.weights = weights
        self.max_iter = max_iter
        self.fit_intercept = fit_intercept
        self.on_no_decrease = on_no_decrease
        self.cv = cv
        self.n_jobs = n_jobs

    def _grid(self, problem, v):
        if self.alphas is not None:
            return check_alphas(self.alphas)
        check_scalar(self.n_alphas, "n_alphas", numbers.Integral, min_val=1)
        check_scalar(self.eps, "eps", numbers.Real, min_val=0.0, include_boundaries="neither")
        if np.isnan(self.eps):
            raise ValueError("eps must not be NaN.")
        alpha_max = problem.alpha_max(v, self.penalty)
        if not np.isfinite(alpha_max):
            raise ValueError(
                "cannot build an alpha grid: an unpenalized feature (weight 0) is selected "
                "at every alpha; pass alphas explicitly."
            )
        return np.append(alpha_grid(alpha_max, self.eps, self.n_alphas), 0.0)

    def fit(self, X, y, sample_weight=None):
        """Cross-validate ``alpha`` and the number of iterations, then refit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (dense).
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative weights of the residuals (also of the held-out errors).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, y = check_X_y(self, X, y, accept_sparse=False)
        n_samples, n_features = X.shape
        max_iter = self.max_iter
        if max_iter is None:
            max_iter = min(max(int(0.1 * n_features), 5), n_features)
        nnz, n_iter = check_omp_params(self.loss, self.penalty, 0.0, None, max_iter, None,
                                       self.on_no_decrease, self.fit_intercept, n_samples,
                                       n_features)
        nnz = min(n_iter, min(n_samples, n_features))
        sw = check_sample_weight(sample_weight, n_samples)
        v = None if self.weights is None else check_feature_weights(self.weights, n_features)
        problem = GreedyProblem(X, y, sw, self.loss, self.fit_intercept)
        alphas = self._grid(problem, v)
        folds = list(check_cv(self.cv).split(X, y))
        _check_folds(folds, sw)
        n_jobs, n_threads = _parallel_plan(self.n_jobs, len(folds))
        jobs = (delayed(_fold_errors)(X, y, sw, train, test, alphas, self, v, nnz, n_iter,
                                      n_threads)
                for train, test in folds)
        if n_jobs == 1:
            errors = [f(*a, **k) for f, a, k in jobs]
        else:
            errors = Parallel(n_jobs=n_jobs, prefer="threads")(jobs)
        errors = np.stack(errors, axis=-1)
        mean = errors.mean(axis=-1)
        a, k = np.unravel_index(np.argmin(mean), mean.shape)  # first: largest alpha, fewest
        self.alphas_ = alphas
        self.alpha_ = float(alphas[a])
        self.cv_errors_ = errors
        # the refit is WeightedOMP(alpha=alpha_, max_iter=max_iter_)
        res = problem.run(self.alpha_, v, self.penalty, min(nnz, int(k) + 1), int(k) + 1,
                          None, self.on_no_decrease == "stop")
        self._set_result(res)
        self.max_iter_ = int(k) + 1
        return self
