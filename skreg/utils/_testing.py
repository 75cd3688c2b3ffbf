"""Helpers for skreg's tests and for users' own checks of a fit."""

import warnings

from sklearn.exceptions import ConvergenceWarning

__all__ = ["fit_ignoring_convergence", "fit_requiring_convergence"]


def fit_ignoring_convergence(estimator, X, y, sample_weight=None):
    """Fit ``estimator`` silencing only its ConvergenceWarning (for reference libraries)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        return estimator.fit(X, y, sample_weight=sample_weight)


def fit_requiring_convergence(estimator, X, y, sample_weight=None):
    """Fit ``estimator`` turning a ConvergenceWarning into an error (the fit must converge)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return estimator.fit(X, y, sample_weight=sample_weight)
