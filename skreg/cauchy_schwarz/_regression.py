"""Least squares with Cauchy-Schwarz penalties: :class:`CSRegression`, :class:`CSRegressionCV`."""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import check_cv

from .._config import _numba_threads, _parallel_plan, _single_threaded_blas
from .._offsets import shift_columns, unshift_intercept
from .._validation import check_bool, check_sample_weight, check_X_y
from ..linear_model._base import LinearPredictorMixin
from ..linear_model._cv import _check_folds
from ..linear_model._path import check_alphas
from ._recover import _check_positive_int, _check_tol
from ._regularizers import BINARY, ONE_SIDED_BINARY, PRIOR_CODES, TERNARY
from ._solver import RELATIVE_TO_DATA, minimize_cs

__all__ = ["CSRegression", "CSRegressionCV"]

_DISCRETE_PRIORS = ("binary", "one_sided_binary", "ternary")
_NO_BASIS = np.zeros((0, 0))
_NO_VECTOR = np.zeros(0)

_OBJECTIVE = r"""
    The coefficients minimize

    .. math:: \frac{1}{2 \sum_i s_i} \sum_i s_i (y_i - x_i^\top w - b)^2
              + \alpha \, \|w\|_2^2 \sin^2\theta(w),
              \qquad \sin^2\theta(w) = \frac{\ell(w)}{\|g(w)\|^2 \|h(w)\|^2} \in [0, 1],

    with ``s`` the sample weights and :math:`\ell = \|g\|^2\|h\|^2 - \langle g, h\rangle^2`
    the Cauchy-Schwarz regularizer of ``prior`` (:func:`binary`: ``g = w^2, h = 1``;
    :func:`one_sided_binary`: ``g = w, h = w^2``; :func:`ternary`: ``g = w, h = w^3``). The
    penalty is the regularizer divided by its Cauchy-Schwarz bound (a scale-free
    :math:`\sin^2` of the angle between ``g`` and ``h``) times :math:`\|w\|^2`: homogeneous of
    degree 2 like the squared loss, so ``alpha`` does not depend on the scale of ``y`` (the
    raw :math:`\ell` is of degree 4 to 8), and like a ridge penalty it is at most
    :math:`\alpha\|w\|^2`. It vanishes exactly when ``w`` lies on the prior's set (``{-a,
    a}``, ``{0, a}`` or ``{-a, 0, a}`` in every entry) for some scale ``a``: the scale is
    learned, not fixed.

    The problem is not convex. It is solved by accelerated gradient with backtracking from
    the least-squares solution (minimum-norm when it is not unique). The minimizer
    (``coef_continuous_``) is then snapped to the nearest point of the set (a one-dimensional
    k-means with the centres ``-a, 0, a`` tied together) and the scale ``a`` and the
    intercept are refit by weighted least squares with the pattern fixed: ``coef_`` always
    lies on the set ``levels_``. With ``alpha=0`` this is rounding the least-squares
    solution; larger ``alpha`` lets the fit choose which coefficients to move.
"""


def _check_prior(prior):
    if prior not in _DISCRETE_PRIORS:
        raise ValueError(f"prior must be one of {_DISCRETE_PRIORS}, got {prior!r}.")
    return PRIOR_CODES[prior]


def _check_alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a real number, got {type(alpha).__name__}.")
    if not (np.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha must be finite and >= 0, got {alpha}.")
    return float(alpha)


class _Gram:
    """Weighted (centred) second moments: ``H = X~^T S X~ / sum s``, ``c = X~^T S y~ / sum s``
    (``X~``, ``y~`` centred by their weighted means when fitting an intercept)."""

    def __init__(self, X, y, sw, fit_intercept):
        sw_sum = sw.sum()
        if fit_intercept:
            self.x_mean = np.asarray(X.T @ sw).ravel() / sw_sum
            # a constant y is centred exactly (its rounded mean would leave ~1e-16 |y|)
            self.y_mean = float(y[0]) if np.all(y == y[0]) else float(sw @ y / sw_sum)
        else:
            self.x_mean = np.zeros(X.shape[1])
            self.y_mean = 0.0
        Xs = X.multiply(sw[:, None]).tocsc() if sp.issparse(X) else X * sw[:, None]
        H = np.asarray((X.T @ Xs).todense() if sp.issparse(X) else X.T @ Xs) / sw_sum
        # y centred first, so that c is free of y's level (from y + 1e12 on, c fell below
        # the floor and w was 0); the mean's rounding leaves a sum(s y~) of rounding size
        yc = y - self.y_mean
        c = np.asarray(Xs.T @ yc).ravel() / sw_sum - self.x_mean * float(sw @ yc / sw_sum)
        self.H = np.ascontiguousarray(H - np.outer(self.x_mean, self.x_mean))
        self.c = np.ascontiguousarray(c)
        # below this, c is rounding noise (y constant, or orthogonal to X)
        y_scale = np.sqrt(sw @ (yc * yc) / sw_sum)
        self.c_floor = 1e-12 * np.sqrt(max(np.trace(self.H), 0.0)) * y_scale

    def least_squares(self):
        """Minimum-norm solution of ``H w = c``."""
        evals, evecs = np.linalg.eigh(self.H)
        cut = max(evals.max(initial=0.0), 0.0) * self.H.shape[0] * np.finfo(np.float64).eps
        inv = np.where(evals > cut, 1.0 / np.where(evals > cut, evals, 1.0), 0.0)
        return evecs @ (inv * (evecs.T @ self.c))

    def minimize(self, code, alpha, w0, max_iter, tol):
        gscale = float(np.linalg.norm(self.c))
        if gscale <= self.c_floor:  # y is constant or uncorrelated with X: w = 0
            return np.zeros_like(w0), 0, True
        w, _, _, _, n_iter, conv = minimize_cs(
            np.ascontiguousarray(w0, dtype=np.float64), code, _NO_BASIS, 1, True, alpha,
            self.H, self.c, _NO_BASIS, _NO_VECTOR, RELATIVE_TO_DATA, gscale, max_iter, tol)
        return w, int(n_iter), bool(conv)

    def refit_scale(self, pattern):
        """Least-squares scale ``a`` of ``w = a * pattern`` (pattern fixed)."""
        denom = pattern @ self.H @ pattern
        if not denom > 0.0:
            return 0.0
        return float(pattern @ self.c / denom)

    def intercept(self, coef):
        return self.y_mean - float(self.x_mean @ coef)


def _lloyd_magnitude(m, a):
    """1-D k-means of magnitudes ``m >= 0`` with centres {0, a}: returns (a, mask of a)."""
    mask = m > 0.5 * a
    for _ in range(100):
        if not np.any(mask):
            return 0.0, mask
        a = float(m[mask].mean())
        new = m > 0.5 * a
        if np.array_equal(new, mask):
            break
        mask = new
    return a, mask


def _snap(w, code):
    """Pattern in {-1, 1} / {0, 1} / {-1, 0, 1} of the nearest point of the prior's set."""
    if code == BINARY:
        return np.where(w < 0.0, -1.0, 1.0)
    if code == TERNARY:
        m = np.abs(w)
        _, mask = _lloyd_magnitude(m, m.max(initial=0.0))
        return np.where(mask, np.sign(w), 0.0)
    # one-sided: {0, a} with a of either sign; keep the sign with the smaller distortion
    best, best_cost = np.zeros_like(w), np.inf
    for sign in (1.0, -1.0):
        m = np.maximum(sign * w, 0.0)
        a, mask = _lloyd_magnitude(m, m.max(initial=0.0))
        cost = np.sum((sign * w - np.where(mask, a, 0.0)) ** 2)
        if cost < best_cost:
            best, best_cost = sign * mask.astype(np.float64), cost
    return best


def _levels(code, scale):
    if code == BINARY:
        return np.array([-scale, scale])
    if code == ONE_SIDED_BINARY:
        return np.sort(np.array([0.0, scale]))
    return np.array([-scale, 0.0, scale])


def _discrete_fit(gram, code, pattern):
    """Coefficients ``a * pattern`` with the least-squares scale; returns (coef, scale)."""
    if code == ONE_SIDED_BINARY:  # {0, a}: the sign belongs to the scale
        pattern = np.abs(pattern)
    a = gram.refit_scale(pattern)
    if code != ONE_SIDED_BINARY and a < 0.0:  # symmetric sets: report a positive scale
        a, pattern = -a, -pattern
    return a * pattern, a


class _CSRegressionBase(RegressorMixin, LinearPredictorMixin, BaseEstimator):
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def predict(self, X):
        """Predict with the fitted linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._decision_function(X)

    def _set_fit(self, gram, code, w, n_iter, converged):
        pattern = _snap(w, code)
        coef, scale = _discrete_fit(gram, code, pattern)
        self.coef_continuous_ = w
        self.coef_ = coef
        self.scale_ = scale
        self.levels_ = _levels(code, scale)
        self.intercept_ = gram.intercept(coef) if self.fit_intercept else 0.0
        self.n_iter_ = n_iter
        if not converged:
            warnings.warn(f"{type(self).__name__}: the gradient test was not met within "
                          f"max_iter={self.max_iter}; increase max_iter or tol.",
                          ConvergenceWarning, stacklevel=3)


class CSRegression(_CSRegressionBase):
    __doc__ = r"""Least squares whose coefficients lie on a discrete set with a learned scale.

    A linear regressor for weight quantization and discrete-valued models: binary
    (``{-a, a}``), one-sided binary (``{0, a}``) or ternary (``{-a, 0, a}``) coefficients,
    with the scale ``a`` (``scale_``) fitted to the data.
""" + _OBJECTIVE + r"""
    Parameters
    ----------
    prior : {"binary", "one_sided_binary", "ternary"}, default="ternary"
        The set of the coefficients.
    alpha : float, default=1.0
        Strength of the Cauchy-Schwarz penalty (``alpha >= 0``).
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized, not quantized) intercept.
    max_iter : int, default=5000
        Gradient iterations.
    tol : float, default=1e-6
        Stop when the gradient norm is below ``tol`` times :math:`\|X^\top S y\| / \sum_i
        s_i` (centred).
    warm_start : bool, default=False
        Start from the previous ``coef_continuous_`` instead of the least-squares solution.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The coefficients, on ``levels_``.
    intercept_ : float
        The intercept (0.0 when ``fit_intercept=False``).
    scale_ : float
        The learned scale ``a`` (may be negative for ``"one_sided_binary"``: ``{0, a}``).
    levels_ : ndarray
        The values the coefficients can take, sorted: ``[-a, a]``, ``[0, a]`` or
        ``[-a, 0, a]``.
    coef_continuous_ : ndarray of shape (n_features,)
        The minimizer of the penalized objective before snapping to ``levels_``.
    n_iter_ : int
        Gradient iterations.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (only when X has string column names).

    See Also
    --------
    CSRegressionCV : ``alpha`` chosen by cross-validation.
    skreg.cauchy_schwarz.ternary : The regularizer and its zero set.

    Notes
    -----
    Taner, Wang and Studer, "Cauchy-Schwarz Regularizers", ICLR 2025 (arXiv:2503.01639).

    The solver works on the ``p x p`` weighted Gram matrix of the (centred) features, formed
    once per fit (sparse ``X`` included): each iteration costs ``O(p^2)`` whatever the number
    of samples, and the memory is ``8 p^2`` bytes, so it suits tabular problems up to a few
    thousand features.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import CSRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 6))
    >>> y = X @ np.array([0.5, -0.5, 0.0, 0.5, 0.0, -0.5]) + 0.05 * rng.standard_normal(200)
    >>> reg = CSRegression(prior="ternary", alpha=1.0).fit(X, y)
    >>> (reg.coef_ / reg.scale_).round().tolist()
    [1.0, -1.0, 0.0, 1.0, 0.0, -1.0]
    >>> round(reg.scale_, 2)
    0.5
    """

    def __init__(self, prior="ternary", alpha=1.0, *, fit_intercept=True, max_iter=5000,
                 tol=1e-6, warm_start=False):
        self.prior = prior
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : CSRegression
        """
        code = _check_prior(self.prior)
        alpha = _check_alpha(self.alpha)
        check_bool(self.fit_intercept, "fit_intercept")
        check_bool(self.warm_start, "warm_start")
        max_iter = _check_positive_int(self.max_iter, "max_iter")
        tol = _check_tol(self.tol)
        X, y = check_X_y(self, X, y)
        sw = check_sample_weight(sample_weight, X.shape[0])
        X, shift = shift_columns(X, self.fit_intercept)
        gram = _Gram(X, y, sw, self.fit_intercept)
        w0 = None
        previous = getattr(self, "coef_continuous_", None)
        if self.warm_start and previous is not None and previous.shape == (X.shape[1],):
            w0 = previous
        with _numba_threads(), _single_threaded_blas():  # p x p BLAS calls are small
            if w0 is None:
                w0 = gram.least_squares()
            w, n_iter, conv = gram.minimize(code, alpha, w0, max_iter, tol)
        self._set_fit(gram, code, w, n_iter, conv)
        self.intercept_ = unshift_intercept(self.intercept_, self.coef_, shift)
        return self


def _fold_path(X, y, sw, train, test, code, alphas, fit_intercept, max_iter, tol, n_threads):
    """Held-out weighted MSE of the snapped fits along increasing ``alphas`` (warm starts)."""
    gram = _Gram(X[train], y[train], sw[train], fit_intercept)
    w = gram.least_squares()
    losses = np.empty(alphas.shape[0])
    X_test, y_test, sw_test = X[test], y[test], sw[test]
    with _numba_threads(n_threads):
        for k, alpha in enumerate(alphas):
            w, _, _ = gram.minimize(code, float(alpha), w, max_iter, tol)
            coef, _ = _discrete_fit(gram, code, _snap(w, code))
            pred = np.asarray(X_test @ coef).ravel() + gram.intercept(coef)
            losses[k] = sw_test @ (y_test - pred) ** 2 / sw_test.sum()
    return losses


class CSRegressionCV(_CSRegressionBase):
    __doc__ = r"""Cross-validated :class:`CSRegression`: ``alpha`` chosen by held-out error.

    Every fold fits the path of ``alphas`` in increasing order, each fit warm-started from
    the previous minimizer (continuation: the penalty pulls the coefficients onto the set
    gradually), snaps each fit to the set and scores the held-out (weighted) mean squared
    error of the snapped model. The ``alpha`` with the smallest mean error is refit on all
    the data.
""" + _OBJECTIVE + r"""
    Parameters
    ----------
    prior : {"binary", "one_sided_binary", "ternary"}, default="ternary"
        The set of the coefficients.
    alphas : array-like or None, default=None
        The grid; None uses ``n_alphas`` values log-spaced from ``1e-4 s`` to ``10 s``, with
        ``s`` the mean (weighted, centred) variance of the features.
    n_alphas : int, default=20
        Size of the default grid.
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    max_iter : int, default=5000
        Gradient iterations per fit.
    tol : float, default=1e-6
        Gradient tolerance of every fit (see :class:`CSRegression`).
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn (None: 5-fold).
    n_jobs : int or None, default=None
        Folds run in parallel through joblib: threads by default, or the backend of an enclosing
        ``joblib.parallel_backend`` (loky, dask, ...). None means 1 unless in a
        ``joblib.parallel_backend`` context; -1 means all processors.

    Attributes
    ----------
    alpha_ : float
        The selected ``alpha``.
    alphas_ : ndarray of shape (n_alphas,)
        The grid, increasing.
    mse_path_ : ndarray of shape (n_alphas, n_folds)
        Held-out mean squared error of the snapped fits.
    coef_, intercept_, scale_, levels_, coef_continuous_, n_iter_
        Of the final fit with ``alpha_`` (see :class:`CSRegression`).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (only when X has string column names).

    See Also
    --------
    CSRegression : A single ``alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import CSRegressionCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 6))
    >>> y = X @ np.array([1.0, -1.0, 0.0, 1.0, 0.0, -1.0]) + 0.1 * rng.standard_normal(200)
    >>> reg = CSRegressionCV(prior="ternary", n_alphas=8).fit(X, y)
    >>> (reg.coef_ / reg.scale_).round().tolist()
    [1.0, -1.0, 0.0, 1.0, 0.0, -1.0]
    """

    def __init__(self, prior="ternary", *, alphas=None, n_alphas=20, fit_intercept=True,
                 max_iter=5000, tol=1e-6, cv=None, n_jobs=None):
        self.prior = prior
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.n_jobs = n_jobs

    def fit(self, X, y, sample_weight=None):
        """Fit the path on every fold, choose ``alpha_`` and refit on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights (used in the fits and the held-out errors).

        Returns
        -------
        self : CSRegressionCV
        """
        code = _check_prior(self.prior)
        check_bool(self.fit_intercept, "fit_intercept")
        max_iter = _check_positive_int(self.max_iter, "max_iter")
        tol = _check_tol(self.tol)
        X, y = check_X_y(self, X, y)
        sw = check_sample_weight(sample_weight, X.shape[0])
        X, shift = shift_columns(X, self.fit_intercept)
        gram = _Gram(X, y, sw, self.fit_intercept)
        if self.alphas is None:
            n_alphas = _check_positive_int(self.n_alphas, "n_alphas")
            s = max(float(np.trace(gram.H)) / gram.H.shape[0], np.finfo(np.float64).tiny)
            alphas = s * np.logspace(-4, 1, n_alphas)
        else:
            alphas = check_alphas(self.alphas)[::-1].copy()
        folds = list(check_cv(self.cv).split(X, y))
        _check_folds(folds, sw)
        n_jobs, n_threads = _parallel_plan(self.n_jobs, len(folds))
        if sp.issparse(X):
            X = X.tocsr()  # row indexing of the folds
        jobs = (delayed(_fold_path)(X, y, sw, train, test, code, alphas, self.fit_intercept,
                                    max_iter, tol, n_threads)
                for train, test in folds)
        with _single_threaded_blas():  # once for all folds: the limit is process-wide
            if n_jobs == 1:
                losses = [f(*a, **k) for f, a, k in jobs]
            else:
                losses = Parallel(n_jobs=n_jobs, prefer="threads")(jobs)
        self.alphas_ = alphas
        self.mse_path_ = np.column_stack(losses)
        self.alpha_ = float(alphas[np.argmin(self.mse_path_.mean(axis=1))])
        # the final fit follows the same continuation up to alpha_
        w = gram.least_squares()
        n_iter, conv = 0, True
        with _numba_threads(), _single_threaded_blas():
            for alpha in alphas[alphas <= self.alpha_]:
                w, it, conv = gram.minimize(code, float(alpha), w, max_iter, tol)
                n_iter += it
        self._set_fit(gram, code, w, n_iter, conv)
        self.intercept_ = unshift_intercept(self.intercept_, self.coef_, shift)
        return self
