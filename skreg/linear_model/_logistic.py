"""Sparse (l1 / elastic-net) binary logistic regression by prox-Newton."""

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from .._config import _numba_threads
from .._offsets import shift_columns, unshift_intercept
from .._validation import check_sample_weight, check_X_y, csc_parts
from ._base import PenalizedLinearModel, check_common_params, warn_not_converged
from ._cd import logistic_prox_newton
from ._problem import DEFAULT_P0

MAX_EPOCHS = 100_000


def logistic_null_objective(y_pm, sample_weight, fit_intercept):
    """Logistic loss at ``w = 0`` with the best intercept (``y_pm`` in {-1, +1})."""
    S = sample_weight.sum()
    if not fit_intercept:
        return float(np.log(2.0)), 0.0
    pos = sample_weight[y_pm > 0].sum() / S
    if pos <= 0.0 or pos >= 1.0:
        return 0.0, 0.0
    b0 = float(np.log(pos / (1.0 - pos)))
    loss = float(sample_weight @ np.logaddexp(0.0, -y_pm * b0) / S)
    return loss, b0


class SparseLogisticRegression(ClassifierMixin, PenalizedLinearModel):
    """Binary logistic regression with an l1 or elastic-net penalty.

    Minimizes, with labels mapped to ``y_i`` in {-1, +1} and ``S = sum_i s_i``
    (``s`` the sample weights, ones by default)::

        1 / S * sum_i s_i log(1 + exp(-y_i (x_i w + b)))
            + alpha * l1_ratio * ||w||_1 + alpha * (1 - l1_ratio) / 2 * ||w||_2^2

    scikit-learn's ``LogisticRegression(C=C)`` with an l1 penalty and an unpenalized
    intercept is the case ``alpha = 1 / (C * n_samples)``, ``l1_ratio = 1``. Solved by
    prox-Newton: each step minimizes the quadratic model of the loss plus the exact penalty
    with the working-set coordinate descent of :class:`Lasso`, followed by a backtracking
    line search; it stops on the duality gap.

    Parameters
    ----------
    alpha : float, default=0.01
        Penalty strength, ``alpha >= 0``. Above ``max_j |X_j^T (y - mean)| / (2 n)``-like
        values (about 0.5 for standardized features) every coefficient is zero, so the default
        is smaller than the Lasso's; ``alpha = 1 / n`` matches ``LogisticRegression(C=1)``.
    l1_ratio : float, default=1.0
        Mix of the penalties, ``0 <= l1_ratio <= 1`` (1 is the pure l1 penalty).
    fit_intercept : bool, default=True
        Whether to fit an unpenalized intercept ``b``.
    max_iter : int, default=100
        Maximum number of prox-Newton steps.
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol`` times the objective at ``w = 0``
        (with the best intercept).
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_`` when refitting.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    solver : {"cd", "cvxpy"}, default="cd"
        ``"cd"``: numba prox-Newton with working-set coordinate descent. ``"cvxpy"``: the
        same objective with :mod:`skreg.reference` (cvxpy + Clarabel).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Class labels; ``classes_[1]`` is the positive class.
    coef_ : ndarray of shape (n_features,)
        Coefficients ``w``.
    intercept_ : float
        Intercept ``b``.
    dual_gap_ : float
        Duality gap at the solution, in units of the objective.
    n_iter_ : int
        Number of prox-Newton steps.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    Lasso, ElasticNet
    """

    def __init__(self, alpha=0.01, *, l1_ratio=1.0, fit_intercept=True, max_iter=100,
                 tol=1e-4, warm_start=False, positive=False, solver="cd"):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.solver = solver

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # binary only
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (CSC, CSR or COO sparse matrices are accepted).
        y : array-like of shape (n_samples,)
            Binary target labels.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative weights of the per-sample losses.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, y = check_X_y(self, X, y, y_numeric=False)
        check_common_params(self)
        check_classification_targets(y)
        classes, y_idx = np.unique(y, return_inverse=True)
        if classes.shape[0] != 2:
            raise ValueError(
                f"Only binary classification is supported: SparseLogisticRegression "
                f"needs exactly 2 classes, y has {classes.shape[0]} class(es) "
                f"{classes.tolist()[:5]}."
            )
        self.classes_ = classes
        y_pm = np.where(y_idx == 1, 1.0, -1.0)
        sw = check_sample_weight(sample_weight, X.shape[0])
        alpha, l1_ratio = float(self.alpha), float(self.l1_ratio)
        X, shift = shift_columns(X, self.fit_intercept)
        if self.solver == "cvxpy":
            from ..reference import logistic_duality_gap, sparse_logistic

            ref = sparse_logistic(X, y_pm, alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw,
                                  fit_intercept=self.fit_intercept, positive=self.positive)
            self.coef_ = np.asarray(ref.coef, dtype=np.float64)
            self.intercept_ = float(ref.intercept)
            self.n_iter_ = 1
            self.dual_gap_ = float(logistic_duality_gap(
                X, y_pm, self.coef_, self.intercept_, alpha=alpha, l1_ratio=l1_ratio,
                sample_weight=sw, positive=self.positive, fit_intercept=self.fit_intercept))
            self.intercept_ = unshift_intercept(self.intercept_, self.coef_, shift)
            return self
        n_features = X.shape[1]
        null_obj, b0 = logistic_null_objective(y_pm, sw, self.fit_intercept)
        w = self._warm_coef(n_features)
        if w is None:
            w, b = np.zeros(n_features), b0
        else:
            if self.positive:
                np.maximum(w, 0.0, out=w)
            # the previous intercept, on the shifted columns
            b = (float(self.intercept_) + (0.0 if shift is None else float(shift @ w))
                 if self.fit_intercept else 0.0)
        l1 = np.full(n_features, alpha * l1_ratio)
        l2 = np.full(n_features, alpha * (1.0 - l1_ratio))
        tol_abs = self.tol * null_obj
        with _numba_threads():
            b, n_newton, _, gap, converged = logistic_prox_newton(
                *csc_parts(X), y_pm, sw, float(sw.sum()), bool(self.fit_intercept), l1, l2,
                bool(self.positive), w, float(b), int(self.max_iter), MAX_EPOCHS, tol_abs,
                DEFAULT_P0)
        if not converged:
            warn_not_converged(gap, tol_abs, n_newton)
        self.coef_ = w
        self.intercept_ = unshift_intercept(float(b), w, shift) if self.fit_intercept else 0.0
        self.n_iter_ = max(int(n_newton), 1)
        self.dual_gap_ = float(max(gap, 0.0))
        return self

    def decision_function(self, X):
        """Signed score ``X w + b`` of the positive class ``classes_[1]``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return self._decision_function(X)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)  # checks fitted before classes_ is read
        return self.classes_[(scores > 0).astype(int)]

    def predict_proba(self, X):
        """Class probabilities, columns ordered as ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
        """
        p1 = expit(self.decision_function(X))
        return np.column_stack([1.0 - p1, p1])

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, 2)
        """
        t = self.decision_function(X)
        return np.column_stack([-np.logaddexp(0.0, t), -np.logaddexp(0.0, -t)])
