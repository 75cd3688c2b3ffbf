""":class:`LaplacianRidge`: manifold regularization (Laplacian regularized least squares)."""

import numbers

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.utils import check_consistent_length, check_scalar
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._offsets import shift_columns, unshift_intercept
from .._validation import _check_not_complex, _check_sparse_format, check_bool, check_X
from ._laplacian import knn_laplacian

__all__ = ["LaplacianRidge"]

_KERNELS = ("linear", "rbf", "poly", "polynomial", "sigmoid", "laplacian", "cosine")


def _check_y_unlabeled(y, n_samples):
    """y as float64 with NaN marking unlabeled samples; infinity is an error."""
    if y is None:
        raise ValueError("LaplacianRidge requires y to be passed, but the target y is None.")
    _check_not_complex(y, "y")
    arr = np.asarray(y)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"y must be numeric, got dtype {arr.dtype}.") from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = column_or_1d(arr, warn=True)  # DataConversionWarning, as scikit-learn
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {arr.shape}.")
    if arr.shape[0] != n_samples:
        raise ValueError(f"y has {arr.shape[0]} entries but X has {n_samples} samples.")
    y = np.array(arr, dtype=np.float64, copy=True)
    if np.any(np.isinf(y)):
        raise ValueError("y contains infinity (NaN marks unlabeled samples, inf is an error).")
    if np.all(np.isnan(y)):
        raise ValueError("y has no labeled sample: every entry is NaN.")
    return y


class LaplacianRidge(RegressorMixin, BaseEstimator):
    r"""Manifold regularization: ridge regression with a graph Laplacian on the samples.

    Laplacian regularized least squares (LapRLS, Belkin, Niyogi and Sindhwani, 2006):
    unlabeled samples (rows of ``X`` whose ``y`` is NaN) shape the function through a
    k-nearest-neighbour graph of all samples. With :math:`f = K a + b` on the ``n`` training
    samples (``K`` the kernel matrix; :math:`f = Xw + b` for ``kernel="linear"``), minimizes

    .. math::

        \frac{1}{2 n_l} \sum_{i \text{ labeled}} (y_i - f_i)^2
        + \frac{\alpha}{2} \|f\|_K^2 + \frac{\gamma}{2 n^2} (Ka)^\top L (Ka),

    (:math:`(Ka)^\top L (Ka) = f^\top L f` for the unnormalized Laplacian, whose
    :math:`L 1 = 0`; the intercept is never smoothed), with :math:`\|f\|_K^2 = a^\top K a`
    (:math:`\|w\|_2^2` and :math:`(Xw)^\top L (Xw)` for the linear model),
    :math:`\gamma` = ``manifold_alpha``, ``n_l`` the number of labeled samples and ``L`` the
    Laplacian of the kNN graph (:func:`~skreg.graph.knn_laplacian`). With every sample
    labeled and ``manifold_alpha=0`` this is kernel ridge regression (ridge for the linear
    kernel) with ``alpha`` scaled by ``1/n``.

    Parameters
    ----------
    alpha : float, default=1.0
        Strength of the ambient (RKHS) penalty.
    manifold_alpha : float, default=1.0
        Strength :math:`\gamma` of the intrinsic (graph) penalty.
    kernel : str or callable, default="linear"
        "linear" fits ``coef_`` in the primal; any other kernel of
        :func:`sklearn.metrics.pairwise.pairwise_kernels` ("rbf", "poly", ...) or a callable
        fits ``dual_coef_``.
    gamma, degree, coef0 : float, default=None, 3, 1
        Kernel parameters, as in :class:`sklearn.kernel_ridge.KernelRidge`.
    kernel_params : dict, default=None
        Extra parameters of a callable kernel.
    n_neighbors : int, default=10
        Neighbours per sample of the graph (capped at ``n_samples - 1``).
    graph_weights : {"connectivity", "heat"}, default="connectivity"
        Edge weights of the graph.
    normalized_laplacian : bool, default=False
        Use the normalized Laplacian :math:`I - D^{-1/2} W D^{-1/2}`.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    solver : {"auto", "cvxpy"}, default="auto"
        "auto" solves the optimality conditions (one dense linear system of size
        ``n_features`` (linear) or ``n_samples + 1`` (kernel)); "cvxpy" solves the kernel
        form with :func:`skreg.reference.laplacian_ridge`.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Weights of the linear model (``kernel="linear"`` only).
    dual_coef_ : ndarray of shape (n_samples,)
        Kernel expansion coefficients ``a`` (kernel models only).
    intercept_ : float
    X_fit_ : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training samples, labeled and unlabeled (kernel models only).
    laplacian_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        The graph Laplacian of the training samples.
    n_labeled_ : int
        Number of labeled training samples.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    GraphLaplacianRegression : a graph on the coefficients instead.
    sklearn.kernel_ridge.KernelRidge : the supervised special case.

    References
    ----------
    M. Belkin, P. Niyogi and V. Sindhwani, "Manifold regularization: a geometric framework
    for learning from labeled and unlabeled examples", JMLR 7 (2006) 2399-2434.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.graph import LaplacianRidge
    >>> t = np.linspace(0, 3, 60)
    >>> X = np.c_[np.cos(t), np.sin(t)]  # samples on an arc
    >>> y = np.full(60, np.nan)
    >>> y[[0, 59]] = [0.0, 3.0]  # two labels: the arc length at both ends
    >>> model = LaplacianRidge(alpha=1e-6, manifold_alpha=10.0, kernel="rbf", gamma=5.0,
    ...                        n_neighbors=2).fit(X, y)
    >>> round(float(model.predict(X[[30]])[0]), 1)  # about halfway along the arc
    1.5
    """

    def __init__(self, alpha=1.0, manifold_alpha=1.0, *, kernel="linear", gamma=None,
                 degree=3, coef0=1, kernel_params=None, n_neighbors=10,
                 graph_weights="connectivity", normalized_laplacian=False, fit_intercept=True,
                 solver="auto"):
        self.alpha = alpha
        self.manifold_alpha = manifold_alpha
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.n_neighbors = n_neighbors
        self.graph_weights = graph_weights
        self.normalized_laplacian = normalized_laplacian
        self.fit_intercept = fit_intercept
        self.solver = solver

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _check_params(self):
        for name in ("alpha", "manifold_alpha"):
            check_scalar(getattr(self, name), name, numbers.Real, min_val=0.0)
            if not np.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be finite, got {getattr(self, name)}.")
        check_scalar(self.n_neighbors, "n_neighbors", numbers.Integral, min_val=1)
        if not (callable(self.kernel) or self.kernel in _KERNELS):
            raise ValueError(f"kernel must be one of {_KERNELS} or a callable, got "
                             f"{self.kernel!r}.")
        for name in ("fit_intercept", "normalized_laplacian"):
            check_bool(getattr(self, name), name)
        if self.solver not in ("auto", "cvxpy"):
            raise ValueError(f"solver must be 'auto' or 'cvxpy', got {self.solver!r}.")

    def _kernel(self, X, Y=None):
        if callable(self.kernel):
            params = self.kernel_params or {}
        else:
            params = {"gamma": self.gamma, "degree": self.degree, "coef0": self.coef0}
        return pairwise_kernels(X, Y, metric=self.kernel, filter_params=True, **params)

    @property
    def _linear(self):
        return self.kernel == "linear"

    def fit(self, X, y):
        """Fit on labeled and unlabeled samples (``y`` is NaN for unlabeled rows).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            All training samples.
        y : array-like of shape (n_samples,)
            Targets; NaN marks an unlabeled sample.

        Returns
        -------
        self : LaplacianRidge
            The fitted estimator.
        """
        _check_not_complex(X, "X")
        _check_sparse_format(X)
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"], dtype=np.float64,
                          reset=True)
        X = sp.csr_matrix(X) if sp.issparse(X) else X
        if y is not None:
            check_consistent_length(X, y)
        y = _check_y_unlabeled(y, X.shape[0])
        self._check_params()
        labeled = ~np.isnan(y)
        n, n_l = X.shape[0], int(labeled.sum())
        # columns far from zero shifted (a copy, only if there are any): the neighbours'
        # distances do not change, but are computed from dot products, which would lose them
        X_near, shift = shift_columns(X, True)
        X_near = X_near.tocsr() if sp.issparse(X_near) else X_near
        L = knn_laplacian(X_near, self.n_neighbors, weights=self.graph_weights,
                          normalized=self.normalized_laplacian)
        gamma_n = self.manifold_alpha / n**2
        self.laplacian_ = L
        self.n_labeled_ = n_l
        if self._linear and self.fit_intercept and not self.normalized_laplacian:
            # with L 1 = 0 and an intercept the linear model is invariant to the shift too
            # (the sparse products centre implicitly); the normalized Laplacian's L 1 != 0
            # makes the columns' levels part of the model
            X = X_near
        else:
            shift = None
        if self._linear and self.solver == "auto":
            self._fit_linear(X, y, labeled, L, gamma_n)
        else:
            self._fit_kernel(X, y, labeled, L, gamma_n)
        if shift is not None:
            self.intercept_ = unshift_intercept(self.intercept_, self.coef_, shift)
        return self

    def _fit_linear(self, X, y, labeled, L, gamma_n):
        Xl = X[labeled]
        yl = y[labeled]
        n_l = yl.shape[0]
        if self.fit_intercept:
            x_mean = np.asarray(Xl.mean(axis=0)).ravel()
            # a constant y is centred exactly (its rounded mean would leave ~1e-17)
            y_mean = float(yl[0]) if np.all(yl == yl[0]) else float(yl.mean())
        else:
            x_mean = np.zeros(X.shape[1])
            y_mean = 0.0
        if sp.issparse(X):
            XtLX = np.asarray((X.T @ (L @ X)).todense())
            Gl = np.asarray((Xl.T @ Xl).todense()) - n_l * np.outer(x_mean, x_mean)
            rhs = Xl.T @ (yl - y_mean)
        else:
            # unnormalized L has L 1 = 0: centring X first changes nothing in exact
            # arithmetic and makes the product of a constant column exactly zero
            Xa = X if self.normalized_laplacian else X - X.mean(axis=0)
            XtLX = Xa.T @ (L @ Xa)
            Xc = Xl - x_mean
            Gl = Xc.T @ Xc
            rhs = Xc.T @ (yl - y_mean)
        A = Gl / n_l + self.alpha * np.eye(X.shape[1]) + gamma_n * XtLX
        A = 0.5 * (A + A.T)
        coef = _solve_psd(A, np.asarray(rhs).ravel() / n_l)
        self.coef_ = coef
        self.intercept_ = y_mean - float(np.dot(x_mean, coef))

    def _fit_kernel(self, X, y, labeled, L, gamma_n):
        K = self._kernel(X)
        n = X.shape[0]
        n_l = int(labeled.sum())
        if self.solver == "cvxpy":
            from ..reference import laplacian_ridge

            res = laplacian_ridge(K, y, L, alpha=self.alpha,
                                  manifold_alpha=self.manifold_alpha,
                                  fit_intercept=self.fit_intercept)
            a, b = res.coef, res.intercept
        else:
            # Stationarity (up to a factor K): (J K / n_l + alpha I + gamma L K) a
            # + J 1 b / n_l = J y / n_l, and sum over labeled of (K a + b - y) = 0.
            J = labeled.astype(np.float64)
            y0 = np.where(labeled, y, 0.0)
            size = n + (1 if self.fit_intercept else 0)
            A = np.zeros((size, size))
            A[:n, :n] = J[:, None] * K / n_l + self.alpha * np.eye(n) + gamma_n * (L @ K)
            rhs = np.zeros(size)
            rhs[:n] = y0 / n_l
            if self.fit_intercept:
                A[:n, n] = J / n_l
                A[n, :n] = J @ K
                A[n, n] = n_l
                rhs[n] = y0.sum()
            sol = _solve_general(A, rhs)
            a = sol[:n]
            b = float(sol[n]) if self.fit_intercept else 0.0
        if self._linear:
            self.coef_ = np.asarray(X.T @ a).ravel()
            self.intercept_ = b
        else:
            self.dual_coef_ = a
            self.intercept_ = b
            self.X_fit_ = X

    def predict(self, X):
        """Predict with the fitted function.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "intercept_")
        X = check_X(self, X, reset=False)
        if hasattr(self, "coef_"):
            return np.asarray(X @ self.coef_).ravel() + self.intercept_
        return self._kernel(X, self.X_fit_) @ self.dual_coef_ + self.intercept_


def _solve_psd(A, b):
    try:
        return sla.solve(A, b, assume_a="pos", check_finite=False)
    except (sla.LinAlgError, ValueError):
        return sla.lstsq(A, b, check_finite=False)[0]


def _solve_general(A, b):
    try:
        with np.errstate(all="ignore"):
            x = sla.solve(A, b, check_finite=False)
        if np.all(np.isfinite(x)):
            return x
    except (sla.LinAlgError, ValueError):
        pass
    return sla.lstsq(A, b, check_finite=False)[0]
