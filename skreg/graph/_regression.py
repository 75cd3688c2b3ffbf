""":class:`GraphLaplacianRegression`: Tikhonov, graphLa and graph-TV regularized regression."""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_scalar

from .._offsets import shift_columns, unshift_intercept
from .._validation import check_bool, check_sample_weight, check_X_y
from ..linear_model._base import LinearPredictorMixin
from ._laplacian import data_laplacian, grid_laplacian, incidence_matrix
from ._selection import _Pencil, discrepancy_alpha, gcv_alpha_cg, gcv_alpha_direct
from ._solvers import (
    _check_penalty_operator,
    _check_solver,
    _Design,
    _l1_solve,
    _NormalSystem,
    _Penalty,
)

__all__ = ["GraphLaplacianRegression"]

_PENALTIES = ("l2", "l1", "tv")
_SELECTIONS = ("fixed", "discrepancy", "gcv")


class GraphLaplacianRegression(RegressorMixin, LinearPredictorMixin, BaseEstimator):
    r"""Least squares regularized by a graph Laplacian on the coefficients (graphLa+Psi).

    The graph lives on the unknowns: pixels of an image (``X`` is then the forward operator
    of an inverse problem, ``coef_`` the reconstruction) or ordered features of a design
    matrix (spectra, lagged series). Minimizes

    .. math::

        \tfrac12 \sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha R(w), \qquad
        R(w) = \begin{cases}
        \tfrac12 \|L w\|_2^2 & \text{penalty="l2" (Tikhonov)} \\
        \|L w\|_1 & \text{penalty="l1" (graphLa)} \\
        \sum_{p<q} \sqrt{w_{pq}}\, |w_p - w_q| & \text{penalty="tv" (graph total variation)}
        \end{cases}

    with ``L = D - W`` the Laplacian of the graph, ``s`` the sample weights and ``b`` an
    intercept (``fit_intercept=True``). The "tv" penalty is :math:`\|B w\|_1` with ``B`` the
    weighted incidence matrix (:func:`~skreg.graph.incidence_matrix`).

    With ``graph="data"`` this is graphLa+Psi (Bianchi et al.): a preliminary estimator
    ``Psi`` (``preliminary``) is fitted first, and the graph is built from its coefficients
    :math:`\tilde x` with weights :math:`\exp(-(\tilde x_p - \tilde x_q)^2/\sigma)`
    (:func:`~skreg.graph.data_laplacian`): edges of :math:`\tilde x` are not smoothed.

    Parameters
    ----------
    alpha : float, default=1.0
        Regularization strength (the starting value when ``alpha_selection`` is not
        "fixed").
    penalty : {"l2", "l1", "tv"}, default="l2"
        Regularizer (see above).
    graph : {"grid", "data"} or sparse matrix, default="grid"
        "grid": the window graph of :func:`~skreg.graph.grid_laplacian` on ``image_shape``;
        "data": the graphLa graph of the preliminary reconstruction; a matrix of shape
        (n_features, n_features): a graph Laplacian (symmetric, used as given).
    preliminary : regressor with ``coef_``, default=None
        ``Psi`` for ``graph="data"``: any regressor fitted on ``(X, y)`` whose ``coef_`` is a
        preliminary reconstruction. By default a Tikhonov ``GraphLaplacianRegression`` on the
        grid graph (radius 1) with this estimator's ``noise_level``, ``tau`` and
        ``fit_intercept``, whose alpha is chosen by this estimator's ``alpha_selection``, or by
        GCV when that is "fixed" (this estimator's ``alpha`` is on the scale of the data
        Laplacian, not of the grid graph).
    image_shape : tuple of int, default=None
        Shape of the unknowns, ``(n_rows, n_cols)`` with ``n_rows * n_cols = n_features``
        (C order). By default the features form a chain (1-D grid).
    radius : int, default=None
        Window radius of the grid/data graph: 1 for "grid", 4 for "data" by default.
    sigma : float, default=1e-3
        Bandwidth of the data-dependent weights, in squared units of the coefficients.
    alpha_selection : {"fixed", "discrepancy", "gcv"}, default="fixed"
        "discrepancy": the ``alpha`` at which the weighted residual norm equals
        ``tau * noise_level`` (the discrepancy principle); "gcv": the minimizer of
        generalized cross-validation (penalty="l2" only).
    noise_level : float, default=None
        The l2 norm of the noise vector, :math:`\|e\|_2` (required for "discrepancy").
    tau : float, default=1.01
        Safety factor of the discrepancy principle.
    fit_intercept : bool, default=False
        Fit an unpenalized intercept (design matrices); inverse problems have none.
    solver : {"auto", "direct", "cg", "pdhg", "cvxpy"}, default="auto"
        Linear algebra of the Tikhonov solve and of the ADMM ``w``-step: "direct" factors the
        dense normal matrix, "cg" runs preconditioned conjugate gradients with parallel sparse
        products. "pdhg" ("l1" and "tv" only) runs the preconditioned primal-dual hybrid
        gradient instead of ADMM: sparse products only, no linear solve. "auto" is "direct"
        up to 2048 features for "l2" ("cg" beyond), and for "l1" and "tv" up to 4096
        features with a dense ``X`` or 1024 with a sparse ``X`` ("pdhg" beyond). "cvxpy"
        solves the final problem with :func:`skreg.reference.graph_regression` (alpha
        selection still uses "auto").
    tol : float, default=1e-7
        Relative tolerance of the ADMM or PDHG residuals ("l1", "tv"); the CG residual of the
        normal equations ("l2") is ``1e-3 * tol``.
    max_iter : int, default=None
        ADMM or PDHG iterations (default 10000) or CG iterations (default
        ``10 * n_features``).
    n_probes : int, default=10
        Random probes of the trace estimate of GCV with the "cg" back end.
    random_state : int, RandomState instance or None, default=None
        Seeds the GCV probes.
    warm_start : bool, default=False
        Start from the previous ``coef_`` (iterative back ends).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The reconstruction / coefficients.
    intercept_ : float
        0.0 unless ``fit_intercept``.
    alpha_ : float
        The ``alpha`` used for the final fit.
    laplacian_ : scipy.sparse.csr_matrix of shape (n_features, n_features)
        The graph Laplacian.
    preliminary_ : estimator
        The fitted preliminary estimator (``graph="data"`` only).
    residual_norm_ : float
        :math:`\|S^{1/2}(y - Xw - b)\|_2` at the solution.
    n_iter_ : int
        ADMM iterations (l1, tv) or CG iterations (l2); 1 for a direct Tikhonov solve.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    skreg.graph.graph_tikhonov, skreg.graph.graph_l1 : the functional solvers.
    LaplacianRidge : the graph on samples instead (manifold regularization).

    References
    ----------
    D. Bianchi, D. Evangelista, S. Aleotti, M. Donatelli, E. Loli Piccolomini and W. Li, "A
    data-dependent regularization method based on the graph Laplacian", arXiv:2312.16936.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.graph import GraphLaplacianRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((30, 20))
    >>> coef = np.r_[np.zeros(10), np.ones(10)]  # smooth along the ordered features
    >>> y = X @ coef + 0.1 * rng.standard_normal(30)
    >>> model = GraphLaplacianRegression(alpha=0.5, penalty="tv").fit(X, y)
    >>> np.round(model.coef_[[0, 5, 14, 19]], 1) + 0.0
    array([0., 0., 1., 1.])
    """

    def __init__(self, alpha=1.0, *, penalty="l2", graph="grid", preliminary=None,
                 image_shape=None, radius=None, sigma=1e-3, alpha_selection="fixed",
                 noise_level=None, tau=1.01, fit_intercept=False, solver="auto", tol=1e-7,
                 max_iter=None, n_probes=10, random_state=None, warm_start=False):
        self.alpha = alpha
        self.penalty = penalty
        self.graph = graph
        self.preliminary = preliminary
        self.image_shape = image_shape
        self.radius = radius
        self.sigma = sigma
        self.alpha_selection = alpha_selection
        self.noise_level = noise_level
        self.tau = tau
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.n_probes = n_probes
        self.random_state = random_state
        self.warm_start = warm_start

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ----------------------------------------------------------------------------------------
    def _check_params(self, n_features, sparse=False):
        check_scalar(self.alpha, "alpha", numbers.Real, min_val=0.0)
        if not np.isfinite(self.alpha):
            raise ValueError(f"alpha must be finite, got {self.alpha}.")
        if self.penalty not in _PENALTIES:
            raise ValueError(f"penalty must be one of {_PENALTIES}, got {self.penalty!r}.")
        if self.alpha_selection not in _SELECTIONS:
            raise ValueError(
                f"alpha_selection must be one of {_SELECTIONS}, got {self.alpha_selection!r}."
            )
        if self.alpha_selection == "gcv" and self.penalty != "l2":
            raise ValueError(
                "alpha_selection='gcv' needs the linear smoother of penalty='l2'; use "
                "'discrepancy' (with noise_level) for the l1 and tv penalties."
            )
        if self.alpha_selection == "discrepancy":
            if self.noise_level is None:
                raise ValueError(
                    "alpha_selection='discrepancy' needs noise_level, the l2 norm of the "
                    "noise vector ||e||_2."
                )
            check_scalar(self.noise_level, "noise_level", numbers.Real, min_val=0.0,
                         include_boundaries="neither")
            check_scalar(self.tau, "tau", numbers.Real, min_val=0.0,
                         include_boundaries="neither")
        if self.alpha_selection != "fixed" and self.alpha == 0:
            raise ValueError("alpha is the starting value of the search: it must be > 0.")
        check_scalar(self.tol, "tol", numbers.Real, min_val=0.0, include_boundaries="neither")
        if np.isnan(self.tol):
            raise ValueError("tol must not be NaN.")
        if self.max_iter is not None:
            check_scalar(self.max_iter, "max_iter", numbers.Integral, min_val=1)
        check_scalar(self.n_probes, "n_probes", numbers.Integral, min_val=1)
        check_scalar(self.sigma, "sigma", numbers.Real, min_val=0.0,
                     include_boundaries="neither")
        for name in ("fit_intercept", "warm_start"):
            check_bool(getattr(self, name), name)
        if self.solver not in ("auto", "direct", "cg", "pdhg", "cvxpy"):
            raise ValueError(
                f"solver must be 'auto', 'direct', 'cg', 'pdhg' or 'cvxpy', got {self.solver!r}."
            )
        if self.solver == "pdhg" and self.penalty == "l2":
            raise ValueError("solver='pdhg' solves the 'l1' and 'tv' penalties, not 'l2'.")
        shape = self._shape(n_features)
        return shape, _check_solver("auto" if self.solver == "cvxpy" else self.solver,
                                    n_features, l1=self.penalty != "l2", sparse=sparse)

    def _shape(self, n_features):
        if self.image_shape is None:
            return (n_features,)
        try:
            shape = tuple(self.image_shape)
            if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                       for s in shape):
                raise TypeError
            shape = tuple(int(s) for s in shape)
        except TypeError:
            raise TypeError(
                f"image_shape must be a tuple of ints, got {self.image_shape!r}."
            ) from None
        if len(shape) not in (1, 2) or any(s < 1 for s in shape):
            raise ValueError(f"image_shape must be 1 or 2 positive ints, got {shape}.")
        if int(np.prod(shape)) != n_features:
            raise ValueError(
                f"image_shape {shape} has {int(np.prod(shape))} entries but X has "
                f"{n_features} features."
            )
        return shape

    def _default_preliminary(self):
        # this estimator's alpha is on the scale of the data Laplacian (W / ||W||_F): the
        # grid-graph Tikhonov fit chooses its own alpha (GCV unless a search is asked for)
        selection = "gcv" if self.alpha_selection == "fixed" else self.alpha_selection
        return GraphLaplacianRegression(
            alpha=1.0, penalty="l2", graph="grid", image_shape=self.image_shape,
            radius=1, alpha_selection=selection, noise_level=self.noise_level,
            tau=self.tau, fit_intercept=self.fit_intercept, solver=self.solver
            if self.solver != "cvxpy" else "auto", tol=self.tol, n_probes=self.n_probes,
            random_state=self.random_state,
        )

    def _laplacian(self, X, y, sample_weight, shape):
        n_features = X.shape[1]
        graph = self.graph
        if isinstance(graph, str):
            if graph == "grid":
                return grid_laplacian(shape, 1 if self.radius is None else self.radius)
            if graph == "data":
                prelim = (self._default_preliminary() if self.preliminary is None
                          else clone(self.preliminary))
                if sample_weight is not None:
                    prelim.fit(X, y, sample_weight=sample_weight)
                else:
                    prelim.fit(X, y)
                x_prelim = np.asarray(getattr(prelim, "coef_", None), dtype=np.float64)
                if x_prelim.size != n_features:
                    raise ValueError(
                        f"preliminary {type(prelim).__name__} must have a coef_ with "
                        f"{n_features} entries (one per feature), got shape {x_prelim.shape}."
                    )
                self.preliminary_ = prelim
                return data_laplacian(x_prelim.reshape(shape), shape,
                                      4 if self.radius is None else self.radius, self.sigma)
            raise ValueError(
                f"graph must be 'grid', 'data' or a sparse matrix, got {graph!r}."
            )
        L = _check_penalty_operator(graph, n_features)
        if L.shape != (n_features, n_features):
            raise ValueError(
                f"graph must be a square Laplacian of shape ({n_features}, {n_features}), got "
                f"{L.shape}."
            )
        if abs(L - L.T).max() > 1e-10 * max(abs(L).max(), 1.0) if L.nnz else False:
            raise ValueError("graph must be a symmetric Laplacian matrix.")
        return L

    # ----------------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the model (and, for ``graph="data"``, the preliminary estimator first).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Design matrix or forward operator.
        y : array-like of shape (n_samples,)
            Observations.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the squared residuals.

        Returns
        -------
        self : GraphLaplacianRegression
            The fitted estimator.
        """
        X, y = check_X_y(self, X, y)
        sw = check_sample_weight(sample_weight, X.shape[0])
        shape, solver = self._check_params(X.shape[1], sp.issparse(X))
        if hasattr(self, "preliminary_"):
            del self.preliminary_
        L = self._laplacian(X, y, sample_weight, shape)
        G = incidence_matrix(L) if self.penalty == "tv" else L
        # the graph comes from X as given (a preliminary fit may have no intercept); the
        # penalized fit runs on shifted columns when they are far from zero
        X, shift = shift_columns(X, self.fit_intercept)
        design = _Design(X, y, sw, self.fit_intercept)
        penalty = _Penalty(G)
        system = _NormalSystem(design, penalty, solver)
        x0 = self._warm_coef(X.shape[1]) if self.warm_start else None
        coef0 = np.zeros(X.shape[1]) if x0 is None else x0
        alpha = float(self.alpha)

        if self.penalty == "l2":
            fit = self._tikhonov_fitter(design, system)
        else:
            previous = getattr(self, "_admm_state", None) if x0 is not None else None
            if previous is not None and previous[0].shape[0] != penalty.shape[0]:  # new graph
                previous = None
            fit = self._admm_fitter(design, penalty, system, previous)
        if self.alpha_selection == "discrepancy":
            target = self.tau * self.noise_level
            alpha = discrepancy_alpha(lambda a: fit(a, coef0)[2], target, alpha)
        elif self.alpha_selection == "gcv":
            if solver == "direct":
                alpha = gcv_alpha_direct(self._pencil(design, system), X.shape[0],
                                         self.fit_intercept)
            else:
                alpha = gcv_alpha_cg(design, system, int(self.n_probes), self.random_state,
                                     1e-3 * self.tol)
        if self.solver == "cvxpy":
            from ..reference import graph_regression

            ref = graph_regression(X, y, G, alpha=alpha,
                                   penalty="l2" if self.penalty == "l2" else "l1",
                                   sample_weight=sw, fit_intercept=self.fit_intercept)
            coef, n_iter, converged = ref.coef, 0, True
            residual = float(np.linalg.norm(design.dot(coef) - design.t))
        else:
            coef, n_iter, residual, converged = fit(alpha, coef0)
        if not converged:
            warnings.warn(
                f"{'ADMM' if self.penalty != 'l2' else 'Conjugate gradients'} did not "
                f"converge in {n_iter} iterations (tol={self.tol:g}); increase max_iter or "
                "loosen tol.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.coef_ = coef
        self.intercept_ = unshift_intercept(design.intercept(coef), coef, shift)
        self.alpha_ = alpha
        self.laplacian_ = L
        self.residual_norm_ = residual
        self.n_iter_ = max(int(n_iter), 1)
        return self

    def _pencil(self, design, system):
        rhs = design.tdot(design.t)
        return _Pencil(system.M, system.N, rhs, float(np.dot(design.t, design.t)))

    def _tikhonov_fitter(self, design, system):
        """``fit(alpha, x0) -> (coef, n_iter, residual_norm, converged)`` for penalty l2."""
        rhs = design.tdot(design.t)
        state = {"x0": None}

        def fit(alpha, x0):
            start = state["x0"] if state["x0"] is not None else x0
            before = system.n_iter
            coef, ok = system.solve(rhs, alpha, x0=start, rtol=1e-3 * self.tol, from_start=False,
                                    max_iter=self.max_iter)
            state["x0"] = coef
            res = float(np.linalg.norm(design.dot(coef) - design.t))
            return coef, system.n_iter - before, res, ok

        return fit

    def _admm_fitter(self, design, penalty, system, previous=None):
        """Same as :meth:`_tikhonov_fitter` for the l1 and tv penalties (warm-started).

        ``previous``: the ADMM state ``(z, u, rho)`` of the last fit (``warm_start``).
        """
        state = {"x0": None, "admm": previous}
        max_iter = 10000 if self.max_iter is None else int(self.max_iter)

        def fit(alpha, x0):
            start = state["x0"] if state["x0"] is not None else x0
            coef, n_iter, ok, admm_state = _l1_solve(design, penalty, system, alpha,
                                                     start.copy(), self.tol, max_iter,
                                                     state=state["admm"])
            state["x0"], state["admm"] = coef, admm_state
            self._admm_state = admm_state
            res = float(np.linalg.norm(design.dot(coef) - design.t))
            return coef, n_iter, res, ok

        return fit

    def predict(self, X):
        """Predict ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._decision_function(X)
