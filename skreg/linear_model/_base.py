"""Shared plumbing of the linear estimators: parameter checks, prediction, warm starts."""

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_scalar
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted

from .._validation import check_bool, check_X

SOLVERS = ("cd", "cvxpy")


def check_common_params(est, *, alpha=True, l1_ratio=True):
    """Validate the parameters shared by the penalized linear models (``fit`` time).

    ``alpha`` and ``l1_ratio`` are checked when asked for; ``max_iter``, ``tol`` and the
    boolean switches and ``solver`` whenever the estimator has them (CV estimators have no
    ``warm_start`` or ``solver``).
    """
    if alpha:
        check_scalar(est.alpha, "alpha", numbers.Real, min_val=0.0)
        if not np.isfinite(est.alpha):
            raise ValueError(f"alpha must be finite, got {est.alpha}.")
    if l1_ratio:
        check_scalar(est.l1_ratio, "l1_ratio", numbers.Real, min_val=0.0, max_val=1.0)
    check_scalar(est.max_iter, "max_iter", numbers.Integral, min_val=1)
    check_scalar(est.tol, "tol", numbers.Real, min_val=0.0)
    # check_scalar lets NaN through (every comparison with NaN is False)
    for name in ("l1_ratio", "tol", "eps"):
        if (name != "l1_ratio" or l1_ratio) and hasattr(est, name):
            value = getattr(est, name)
            if isinstance(value, numbers.Real) and np.isnan(value):
                raise ValueError(f"{name} must not be NaN.")
    for name in ("fit_intercept", "warm_start", "positive"):
        if hasattr(est, name):
            check_bool(getattr(est, name), name)
    solvers = getattr(est, "_solvers", SOLVERS)
    if hasattr(est, "solver") and est.solver not in solvers:
        raise ValueError(f"solver must be one of {solvers}, got {est.solver!r}.")


def warn_not_converged(gap, tol_abs, n_iter, what="Objective"):
    warnings.warn(
        f"{what} did not converge after {n_iter} iterations: duality gap {gap:.3e} > "
        f"tolerance {tol_abs:.3e}. Increase max_iter, loosen tol, or scale the features.",
        ConvergenceWarning,
        stacklevel=3,
    )


class LinearPredictorMixin:
    """``decision_function``/``predict`` for fitted ``coef_`` and ``intercept_``."""

    def _decision_function(self, X):
        check_is_fitted(self)
        X = check_X(self, X, reset=False)
        return safe_sparse_dot(X, self.coef_) + self.intercept_

    def _warm_coef(self, n_features):
        """Initial coefficients: the previous fit's when ``warm_start`` applies."""
        coef = getattr(self, "coef_", None)
        if self.warm_start and coef is not None and coef.shape == (n_features,):
            return np.array(coef, dtype=np.float64)
        return None


class PenalizedLinearModel(LinearPredictorMixin, BaseEstimator):
    """Base of the sparse linear models: tags shared by all of them."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
