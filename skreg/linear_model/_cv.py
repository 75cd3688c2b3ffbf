"""Cross-validated models: LassoCV, ElasticNetCV (alpha and l1_ratio), SqrtLassoCV, LADLassoCV.

Each fold solves the whole warm-started path on its training part (one prepared problem per
fold) and scores every alpha on its held-out part; folds run in parallel through joblib.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.extmath import safe_sparse_dot

from .._config import _numba_threads, _parallel_plan, _single_threaded_blas
from .._offsets import shift_columns, unshift_intercept
from .._validation import check_sample_weight, check_X_y
from ._base import PenalizedLinearModel, check_common_params, warn_not_converged
from ._path import (
    alpha_grid,
    check_alphas,
    enet_solver,
    lad_solver,
    solve_path,
    sqrt_solver,
)
from ._problem import (
    COMPRESS_MAX_FEATURES,
    COMPRESS_MIN_RATIO,
    QuadraticProblem,
    weighted_moments,
)
from ._quantile import QuantileProblem
from ._sqrt import sqrt_alpha_max


class _TrainingRows:
    """``X[rows]`` as the kernels take it (Fortran, or CSC with sorted indices), copied on the
    first call only: a fold problem built from shared sums may never need it."""

    def __init__(self, X, rows):
        self._X = X
        self._rows = rows
        self._copy = None

    def __call__(self):
        if self._copy is None:
            X_train = self._X[self._rows]
            if not hasattr(X_train, "format"):
                X_train = np.asfortranarray(X_train)
            else:
                X_train = X_train.tocsc()
                X_train.sort_indices()
            self._copy = X_train
        return self._copy


def _fold_losses(X, y, sw, train, test, grids, make_solvers, loss, n_threads):
    """Weighted held-out loss of every (grid row, alpha) on one fold.

    ``make_solvers(X_train, y_train, sw_train, train)`` prepares the fold's problem once and
    returns one ``solve_one`` per row of ``grids`` (see :func:`solve_path`); ``X_train`` is a
    :class:`_TrainingRows` (call it for the array). ``loss`` maps held-out residuals to
    per-sample losses (squared or absolute).
    """
    with _numba_threads(n_threads):
        solvers = make_solvers(_TrainingRows(X, train), y[train], sw[train], train)
        out = np.empty(grids.shape)
        n_failed = 0
        for i, solve_one in enumerate(solvers):
            coefs, intercepts, _, _, failed = solve_path(solve_one, X.shape[1], grids[i],
                                                         n_jobs=1)
            n_failed += failed
            with _single_threaded_blas():
                pred = safe_sparse_dot(X[test], coefs) + intercepts
            out[i] = sw[test] @ loss(y[test][:, None] - pred) / sw[test].sum()
    return out, n_failed


def _check_folds(folds, sw):
    for k, (train, test) in enumerate(folds):
        for part, idx in (("training", train), ("test", test)):
            if not sw[idx].sum() > 0:  # no model (training) or no score (test) on this fold
                raise ValueError(
                    f"CV fold {k}: the sample weights of its {part} samples sum to zero; "
                    f"every fold needs positive weight in both parts (shuffle the samples "
                    f"or pass another cv)."
                )


def _folds(est, X, y, sw):
    """The (train, test) index pairs of ``est.cv``, checked."""
    # imported here: sklearn.model_selection adds ~0.1 s to importing the estimators
    from sklearn.model_selection import check_cv

    folds = list(check_cv(est.cv).split(X, y))
    _check_folds(folds, sw)
    return folds


def _cv_paths(est, X, y, sw, grids, make_solvers, loss, folds=None):
    """Held-out losses ``(n_rows, n_alphas, n_folds)`` of every fold, in parallel."""
    if folds is None:
        folds = _folds(est, X, y, sw)
    n_jobs, n_threads = _parallel_plan(est.n_jobs, len(folds))
    jobs = (delayed(_fold_losses)(X, y, sw, train, test, grids, make_solvers, loss, n_threads)
            for train, test in folds)
    if n_jobs == 1:
        results = [f(*a, **k) for f, a, k in jobs]
    else:
        results = Parallel(n_jobs=n_jobs, prefer="threads")(jobs)
    n_failed = sum(r[1] for r in results)
    if n_failed:
        warnings.warn(
            f"{n_failed} fold fits did not reach the duality-gap tolerance; increase "
            f"max_iter or loosen tol.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return np.stack([r[0] for r in results], axis=-1)


def _other_rows(n_samples, train):
    """The rows outside ``train``, or None when ``train`` repeats a row (its sums are then
    not the whole data's minus those of the other rows)."""
    mask = np.ones(n_samples, dtype=bool)
    mask[train] = False
    other = np.flatnonzero(mask)
    return other if other.size + train.size == n_samples else None


def _shared_moments(X, y, sw, folds):
    """The whole data's raw sums (:class:`_FoldSums`) when the folds' Gram matrices cost
    less as differences from them, else None.

    A fold's Gram matrix is the whole data's minus that of the rows outside its training
    part (or, when those are more, the sum over its training rows). When the rows outside
    the training parts partition the data (KFold and the like), the whole data's sums are
    the sum of theirs: with ``k`` folds, ``n`` rows enter Gram matrices instead of
    ``(k - 1) n``; otherwise ``n`` plus the smaller parts. Only for dense designs whose folds
    are compressed (see :class:`QuadraticProblem`).
    """
    n, p = X.shape
    if sp.issparse(X) or p > COMPRESS_MAX_FEATURES:
        return None
    shared = plain = 0
    outside = []
    for train, _ in folds:
        if train.size < COMPRESS_MIN_RATIO * p:
            return None
        other = _other_rows(n, train)
        outside.append(other)
        plain += train.size
        shared += train.size if other is None else min(other.size, train.size)
    partition = (all(other is not None for other in outside)
                 and sum(other.size for other in outside) == n
                 and np.unique(np.concatenate(outside)).size == n)
    if partition and n < plain:
        return _FoldSums(X, y, sw, outside)
    if not n + shared < plain:
        return None
    return _FoldSums(X, y, sw)


class _FoldSums:
    """Raw sums (:func:`weighted_moments`) of the whole data (``full``) and of the folds'
    training rows (:meth:`fold`), about the whole data's weighted mean of ``y``.

    With ``blocks`` (row sets that partition the data), the sums over each block are taken
    once: ``full`` is their sum, and a fold whose other rows are a block gets ``full`` minus
    that block's sums.
    """

    def __init__(self, X, y, sw, blocks=None):
        self._data = (X, y, sw)
        v0 = float(sw @ y) / float(sw.sum())
        self._blocks = {}
        if blocks is None:
            self.full = weighted_moments(X, sw, y, v0)
            return
        sums = [weighted_moments(X, sw, y, v0, rows) for rows in blocks]
        self.full = tuple(sum(part[i] for part in sums) for i in range(3)) + (v0,)
        self._blocks = {rows.tobytes(): part for rows, part in zip(blocks, sums)}

    def fold(self, train):
        """The raw sums of the rows ``train``."""
        X, y, sw = self._data
        v0 = self.full[3]
        other = _other_rows(X.shape[0], train)
        if other is not None:
            block = self._blocks.get(other.tobytes())
            if block is None and other.size < train.size:
                block = weighted_moments(X, sw, y, v0, other)
            if block is not None:
                return tuple(a - b for a, b in zip(self.full[:3], block[:3])) + (v0,)
        return weighted_moments(X, sw, y, v0, train)


def _grid(est, alpha_max):
    if est.alphas is None:
        return alpha_grid(alpha_max, est.eps, est.n_alphas)
    return check_alphas(est.alphas)


class ElasticNetCV(RegressorMixin, PenalizedLinearModel):
    """Elastic net with alpha (and optionally l1_ratio) chosen by cross-validation.

    For each candidate, the objective of :class:`ElasticNet`::

        1 / (2 S) * sum_i s_i (y_i - x_i w - b)^2
            + alpha * l1_ratio * ||w||_1 + alpha * (1 - l1_ratio) / 2 * ||w||_2^2

    is solved along a warm-started path on each training fold; the pair with the lowest
    mean held-out (sample-weighted) squared error is refitted on all the data.

    Parameters
    ----------
    l1_ratio : float or array-like of floats, default=0.5
        Mix of the penalties; a list is searched too.
    eps : float, default=1e-3
        Length of each path: ``alpha_min / alpha_max = eps``.
    n_alphas : int, default=100
        Number of alphas per path when ``alphas`` is None.
    alphas : array-like, default=None
        Explicit grid (shared by every l1_ratio). None: ``n_alphas`` log-spaced values below
        ``alpha_max`` computed on the whole data, per l1_ratio.
    fit_intercept : bool, default=True
        Whether to fit an unpenalized intercept.
    max_iter : int, default=1000
        Maximum coordinate-descent epochs per fit.
    tol : float, default=1e-4
        Relative duality-gap tolerance per fit (see :class:`Lasso`).
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn: None means 5-fold :class:`~sklearn.model_selection.KFold`.
    n_jobs : int, default=None
        Folds (times l1_ratios) run in parallel through joblib: threads by default, or the backend
        of an enclosing ``joblib.parallel_backend`` (loky, dask, ...). None means 1 unless in a
        ``joblib.parallel_backend`` context; -1 means all processors.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    verbose : int, default=0
        Unused; kept for scikit-learn compatibility.

    Attributes
    ----------
    alpha_ : float
        Selected alpha.
    l1_ratio_ : float
        Selected l1_ratio.
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The grid(s) searched, decreasing.
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)
        Held-out mean squared error for each fold.
    coef_ : ndarray of shape (n_features,)
        Coefficients of the refitted model.
    intercept_ : float
        Intercept of the refitted model.
    dual_gap_ : float
        Duality gap of the refit.
    n_iter_ : int
        Coordinate-descent epochs of the refit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    LassoCV, ElasticNet, enet_path
    """

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, n_alphas=100, alphas=None,
                 fit_intercept=True, max_iter=1000, tol=1e-4, cv=None, n_jobs=None,
                 positive=False, verbose=0):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.n_alphas = n_alphas
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.n_jobs = n_jobs
        self.positive = positive
        self.verbose = verbose

    def _l1_ratios(self):
        ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=np.float64))
        if ratios.ndim != 1 or ratios.size == 0:
            raise ValueError("l1_ratio must be a float or a non-empty 1-D list of floats.")
        if np.any(~np.isfinite(ratios)) or np.any((ratios < 0) | (ratios > 1)):
            raise ValueError(f"l1_ratio values must lie in [0, 1], got {ratios}.")
        return ratios

    def fit(self, X, y, sample_weight=None):
        """Fit the paths on every fold, select the best parameters and refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative sample weights (used in fitting and in the held-out error).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, y = check_X_y(self, X, y)
        check_common_params(self, alpha=False, l1_ratio=False)  # l1_ratio may be a list
        ratios = self._l1_ratios()
        sw = check_sample_weight(sample_weight, X.shape[0])
        X, shift = shift_columns(X, self.fit_intercept)
        folds = _folds(self, X, y, sw)
        sums = _shared_moments(X, y, sw, folds)
        problem = QuadraticProblem(X, y, sw, self.fit_intercept,
                                   moments=None if sums is None else sums.full)
        grids = np.stack([_grid(self, problem.alpha_max(r)) for r in ratios])

        def make_solvers(X_train, y_train, sw_train, train):
            if sums is None:
                fold = QuadraticProblem(X_train(), y_train, sw_train, self.fit_intercept,
                                        compress=True)
            else:
                fold = QuadraticProblem(X_train, y_train, sw_train, self.fit_intercept,
                                        moments=sums.fold(train))
            return [enet_solver(fold, l1_ratio=r, positive=self.positive,
                                max_iter=self.max_iter, tol=self.tol) for r in ratios]

        mse = _cv_paths(self, X, y, sw, grids, make_solvers, np.square, folds)
        mean = mse.mean(axis=-1)
        i_best, k_best = np.unravel_index(np.argmin(mean), mean.shape)
        self.l1_ratio_ = float(ratios[i_best])
        self.alpha_ = float(grids[i_best, k_best])
        res = problem.solve(self.alpha_, self.l1_ratio_, None, self.positive,
                            max_iter=self.max_iter, tol=self.tol)
        if not res.converged:
            warn_not_converged(res.dual_gap, self.tol * problem.null_objective, res.n_iter)
        single = np.ndim(self.l1_ratio) == 0
        self.alphas_ = grids[0] if single else grids
        self.mse_path_ = mse[0] if single else mse
        self.coef_ = res.coef
        self.intercept_ = unshift_intercept(res.intercept, res.coef, shift)
        self.dual_gap_ = res.dual_gap
        self.n_iter_ = max(res.n_iter, 1)
        return self

    def predict(self, X):
        """Predict with the refitted model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._decision_function(X)


class LassoCV(ElasticNetCV):
    """Lasso with alpha chosen by cross-validation.

    For each alpha of the grid, the objective of :class:`Lasso`::

        1 / (2 S) * sum_i s_i (y_i - x_i w - b)^2 + alpha * ||w||_1

    is solved along a warm-started path on each training fold; the alpha with the lowest
    mean held-out (sample-weighted) squared error is refitted on all the data.

    Parameters
    ----------
    eps : float, default=1e-3
        Length of the path: ``alpha_min / alpha_max = eps``.
    n_alphas : int, default=100
        Number of alphas when ``alphas`` is None.
    alphas : array-like, default=None
        Explicit grid; None: ``n_alphas`` log-spaced values below ``alpha_max``.
    fit_intercept : bool, default=True
        Whether to fit an unpenalized intercept.
    max_iter : int, default=1000
        Maximum coordinate-descent epochs per fit.
    tol : float, default=1e-4
        Relative duality-gap tolerance per fit (see :class:`Lasso`).
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn: None means 5-fold KFold.
    n_jobs : int, default=None
        Folds run in parallel through joblib: threads by default, or the backend of an enclosing
        ``joblib.parallel_backend`` (loky, dask, ...). None means 1 unless in a
        ``joblib.parallel_backend`` context; -1 means all processors.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    verbose : int, default=0
        Unused; kept for scikit-learn compatibility.

    Attributes
    ----------
    alpha_ : float
        Selected alpha.
    alphas_ : ndarray of shape (n_alphas,)
        The grid searched, decreasing.
    mse_path_ : ndarray of shape (n_alphas, n_folds)
        Held-out mean squared error for each fold.
    coef_ : ndarray of shape (n_features,)
        Coefficients of the refitted model.
    intercept_ : float
        Intercept of the refitted model.
    dual_gap_ : float
        Duality gap of the refit.
    n_iter_ : int
        Coordinate-descent epochs of the refit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    ElasticNetCV, Lasso, lasso_path
    """

    def __init__(self, *, eps=1e-3, n_alphas=100, alphas=None, fit_intercept=True,
                 max_iter=1000, tol=1e-4, cv=None, n_jobs=None, positive=False, verbose=0):
        self.eps = eps
        self.n_alphas = n_alphas
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.n_jobs = n_jobs
        self.positive = positive
        self.verbose = verbose

    def _l1_ratios(self):
        return np.ones(1)

    @property
    def l1_ratio(self):
        """Always 1 (the Lasso)."""
        return 1.0


class _RobustCV(RegressorMixin, PenalizedLinearModel):
    """Shared ``fit`` of SqrtLassoCV and LADLassoCV: one path per fold, refit at the best."""

    def __init__(self, *, eps=1e-3, n_alphas=100, alphas=None, fit_intercept=True,
                 max_iter=1000, tol=1e-4, cv=None, n_jobs=None, positive=False, verbose=0):
        self.eps = eps
        self.n_alphas = n_alphas
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.n_jobs = n_jobs
        self.positive = positive
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit the paths on every fold, select the best alpha and refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative sample weights (used in fitting and in the held-out loss).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, y = check_X_y(self, X, y)
        check_common_params(self, alpha=False, l1_ratio=False)
        sw = check_sample_weight(sample_weight, X.shape[0])
        X, shift = shift_columns(X, self.fit_intercept)
        problem = self._problem(X, y, sw)
        grids = _grid(self, self._alpha_max(problem))[None, :]

        def make_solvers(X_train, y_train, sw_train, train):
            X_train = X_train()
            return [self._solver(self._problem(X_train, y_train, sw_train), X_train,
                                 y_train)]

        losses = _cv_paths(self, X, y, sw, grids, make_solvers, self._loss)[0]
        self.alpha_ = float(grids[0, np.argmin(losses.mean(axis=-1))])
        res = self._solver(problem, X, y)(self.alpha_, None)
        if not res.converged:
            warn_not_converged(res.dual_gap, self.tol * self._null(problem), res.n_iter)
        self.alphas_ = grids[0]
        setattr(self, self._path_attr, losses)
        self.coef_ = res.coef
        self.intercept_ = unshift_intercept(res.intercept, res.coef, shift)
        self.dual_gap_ = res.dual_gap
        self.n_iter_ = max(res.n_iter, 1)
        self._set_extra(res)
        return self

    def _set_extra(self, res):
        pass

    def predict(self, X):
        """Predict with the refitted model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._decision_function(X)


_ROBUST_CV_PARAMS = """
    Parameters
    ----------
    eps : float, default=1e-3
        Length of the path: ``alpha_min / alpha_max = eps``.
    n_alphas : int, default=100
        Number of alphas when ``alphas`` is None.
    alphas : array-like, default=None
        Explicit grid; None: ``n_alphas`` log-spaced values below ``alpha_max``.
    fit_intercept : bool, default=True
        Whether to fit an unpenalized intercept.
    max_iter : int, default=1000
        Maximum solver iterations per fit ({iter_what}).
    tol : float, default=1e-4
        Relative duality-gap tolerance per fit (see :class:`{model}`).
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn: None means 5-fold KFold.
    n_jobs : int, default=None
        Folds run in parallel through joblib: threads by default, or the backend of an enclosing
        ``joblib.parallel_backend`` (loky, dask, ...). None means 1 unless in a
        ``joblib.parallel_backend`` context; -1 means all processors.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    verbose : int, default=0
        Unused; kept for scikit-learn compatibility.

    Attributes
    ----------
    alpha_ : float
        Selected alpha.
    alphas_ : ndarray of shape (n_alphas,)
        The grid searched, decreasing.
    {path_attr} : ndarray of shape (n_alphas, n_folds)
        {path_what} for each fold.
    coef_ : ndarray of shape (n_features,)
        Coefficients of the refitted model.
    intercept_ : float
        Intercept of the refitted model.
    dual_gap_ : float
        Duality gap of the refit.
    n_iter_ : int
        Solver iterations of the refit.{extra_attrs}
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.
"""


class SqrtLassoCV(_RobustCV):
    __doc__ = """Square-root Lasso with alpha chosen by cross-validation.

    For each alpha of the grid, the objective of :class:`SqrtLasso`::

        sqrt( 1 / S * sum_i s_i (y_i - x_i w - b)^2 ) + alpha * ||w||_1

    is solved along a warm-started path on each training fold; the alpha with the lowest
    mean held-out (sample-weighted) squared error is refitted on all the data. (The
    pivotal alpha of :class:`SqrtLasso` needs no cross-validation; this estimator is for
    when prediction error is the criterion.)
""" + _ROBUST_CV_PARAMS.format(
        iter_what="coordinate-descent epochs", model="SqrtLasso", path_attr="mse_path_",
        path_what="Held-out mean squared error",
        extra_attrs="\n    sigma_ : float\n        Residual RMS of the refit (the concomitant "
                    "noise estimate).") + """
    See Also
    --------
    SqrtLasso, sqrt_lasso_path, LassoCV
    """

    _path_attr = "mse_path_"
    _loss = staticmethod(np.square)

    def _problem(self, X, y, sw):
        return QuadraticProblem(X, y, sw, self.fit_intercept)

    def _alpha_max(self, problem):
        return sqrt_alpha_max(problem)

    def _null(self, problem):
        return np.sqrt(2.0 * problem.null_objective)

    def _solver(self, problem, X, y):
        return sqrt_solver(problem, X, y, positive=self.positive, max_iter=self.max_iter,
                           tol=self.tol)

    def _set_extra(self, res):
        self.sigma_ = float(res.sigma)


class LADLassoCV(_RobustCV):
    __doc__ = """LAD Lasso with alpha chosen by cross-validation.

    For each alpha of the grid, the objective of :class:`LADLasso`::

        1 / S * sum_i s_i |y_i - x_i w - b| + alpha * ||w||_1

    is solved along a path on each training fold (working sets warm-started at the previous
    support); the alpha with the lowest mean held-out (sample-weighted) absolute error is
    refitted on all the data. The absolute error keeps gross outliers in the held-out folds
    from driving the choice.
""" + _ROBUST_CV_PARAMS.format(
        iter_what="interior-point iterations", model="LADLasso", path_attr="mae_path_",
        path_what="Held-out mean absolute error", extra_attrs="") + """
    See Also
    --------
    LADLasso, lad_lasso_path, LassoCV
    """

    _path_attr = "mae_path_"
    _loss = staticmethod(np.abs)

    def _problem(self, X, y, sw):
        return QuantileProblem(X, y, sw, self.fit_intercept, 0.5)

    def _alpha_max(self, problem):
        return 2.0 * problem.alpha_max()

    def _null(self, problem):
        return 2.0 * problem.null_objective

    def _solver(self, problem, X, y):
        return lad_solver(problem, positive=self.positive, max_iter=self.max_iter,
                          tol=self.tol)
