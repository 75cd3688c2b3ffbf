"""EntropicOTMapper: a transformer that moves samples along an entropic transport map."""

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from .._validation import _check_not_complex, check_sample_weight, check_X
from ._map import COSTS, elastic_cost, entropic_map
from ._newton import sinkhorn_newton_sparse
from ._sinkhorn import sinkhorn

METHODS = ("log", "sns")
REFERENCES = ("gaussian", "uniform")


class EntropicOTMapper(TransformerMixin, BaseEstimator):
    r"""Transport samples onto a target distribution with an entropic optimal transport map.

    ``fit`` solves the entropic OT problem between the (weighted) training samples and the
    target samples (``X_target``, or a sample of a reference distribution) with cost
    :math:`c(x, y) = h(x - y)`; ``transform`` applies the entropic map

    .. math::

        T(z) = z - \nabla h^*\Big(\sum_j p_j(z)\, \nabla h(z - y_j)\Big), \qquad
        p_j(z) \propto \exp\big((g_j - h(z - y_j))/\varepsilon\big)

    to any point (:func:`~skreg.ot.entropic_map`): with ``cost="sqeuclidean"`` it is the
    barycentric projection :math:`\sum_j p_j(z) y_j`, equal on the training samples to
    :math:`(PY)_i / a_i`; with ``cost="elastic"``
    (:math:`h = \tfrac12\|\cdot\|^2 + \lambda\|\cdot\|_1`) the displacements are sparse across
    features. Without ``X_target`` the target is the reference distribution: a multivariate
    quantile transform through optimal transport. ``inverse_transform`` maps back with the
    source potential.

    Parameters
    ----------
    epsilon : float, default=0.05
        Entropic regularization as a fraction of the mean cost between source and target
        (``sum_ij a_i b_j C_ij``), so the same value suits data of any scale; the absolute
        value used is ``epsilon_``.
    cost : {"sqeuclidean", "elastic"}, default="sqeuclidean"
        ``h(z) = ||z||^2``, or ``||z||^2 / 2 + elastic_l1 ||z||_1``.
    elastic_l1 : float, default=0.0
        Weight of the l1 part of the elastic cost.
    method : {"log", "sns"}, default="log"
        Solver: :func:`~skreg.ot.sinkhorn` (stabilized scaling or log domain, epsilon
        scaling) or :func:`~skreg.ot.sinkhorn_newton_sparse`.
    reference : {"gaussian", "uniform"}, default="gaussian"
        Target distribution when ``fit`` gets no ``X_target``: standard normal, or uniform on
        the unit cube, sampled with ``n_reference`` points.
    n_reference : int, default=500
        Number of reference points.
    tol : float, default=1e-6
        L1 marginal error of the OT solve, relative to the mass.
    max_iter : int, default=100000
        Iterations of the solver (Newton steps for "sns").
    random_state : int, RandomState instance or None, default=None
        Seeds the reference sample.

    Attributes
    ----------
    epsilon_ : float
        The absolute regularization used.
    target_ : ndarray of shape (n_target, n_features)
        The target points of positive weight (``X_target`` or the reference sample).
    source_ : ndarray of shape (n_source, n_features)
        The training samples of positive weight (kept for ``inverse_transform``).
    f_, g_ : ndarray
        Source and target potentials on those points.
    n_iter_ : int
        Solver iterations.
    converged_ : bool
        Whether the marginal error reached ``tol``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    skreg.ot.sinkhorn, skreg.ot.entropic_map

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.ot import EntropicOTMapper
    >>> rng = np.random.default_rng(0)
    >>> X = rng.exponential(size=(300, 2))  # skewed data
    >>> Z = EntropicOTMapper(epsilon=0.01, random_state=0).fit_transform(X)  # onto N(0, I)
    >>> bool(abs(Z.mean()) < 0.1 and abs(Z.std() - 1.0) < 0.1)
    True
    """

    def __init__(self, epsilon=0.05, *, cost="sqeuclidean", elastic_l1=0.0, method="log",
                 reference="gaussian", n_reference=500, tol=1e-6, max_iter=100_000,
                 random_state=None):
        self.epsilon = epsilon
        self.cost = cost
        self.elastic_l1 = elastic_l1
        self.method = method
        self.reference = reference
        self.n_reference = n_reference
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def _check_params(self):
        for name, kind in (("epsilon", numbers.Real), ("tol", numbers.Real),
                           ("elastic_l1", numbers.Real), ("n_reference", numbers.Integral),
                           ("max_iter", numbers.Integral)):
            value = getattr(self, name)
            if not isinstance(value, kind) or isinstance(value, bool):
                what = "an int" if kind is numbers.Integral else "a number"
                raise TypeError(f"{name} must be {what}, got {value!r}.")
            if not np.isfinite(value) or value < 0 or (value == 0 and name != "elastic_l1"):
                what = "non-negative" if name == "elastic_l1" else "positive"
                raise ValueError(f"{name} must be {what} and finite, got {value}.")
        for name, allowed in (("cost", COSTS), ("method", METHODS),
                              ("reference", REFERENCES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got "
                                 f"{getattr(self, name)!r}.")
        if self.cost == "sqeuclidean" and self.elastic_l1 != 0:
            raise ValueError('elastic_l1 applies to cost="elastic" only.')

    def fit(self, X, y=None, *, X_target=None, target_weight=None, sample_weight=None):
        """Solve the OT problem between ``X`` and the target.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source samples.
        y : None
            Ignored.
        X_target : array-like of shape (n_target, n_features), default=None
            Target samples; None means a sample of ``reference``.
        target_weight : array-like of shape (n_target,), default=None
            Weights of the target samples (uniform by default).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the source samples (uniform by default).

        Returns
        -------
        self : object
        """
        self._check_params()
        X = check_X(self, X, reset=True, accept_sparse=False)
        a = check_sample_weight(sample_weight, X.shape[0])
        if X_target is None:
            if target_weight is not None:
                raise ValueError("target_weight needs X_target.")
            rng = check_random_state(self.random_state)
            shape = (int(self.n_reference), X.shape[1])
            Y = (rng.standard_normal(shape) if self.reference == "gaussian"
                 else rng.uniform(size=shape))
        else:
            _check_not_complex(X_target, "X_target")
            Y = check_array(X_target, dtype=np.float64)
            if Y.shape[1] != X.shape[1]:
                raise ValueError(f"X_target has {Y.shape[1]} features, X has {X.shape[1]}.")
        b = check_sample_weight(target_weight, Y.shape[0])
        a, b = a / a.sum(), b / b.sum()
        if self.cost == "elastic":
            C = elastic_cost(X, Y, float(self.elastic_l1))
            mean_cost = float(a @ C @ b)
            cost_arg = C
        else:
            # sum_ij a_i b_j ||x_i - y_j||^2 without forming C
            mx, my = a @ X, b @ Y
            mean_cost = float(a @ (X * X).sum(1) + b @ (Y * Y).sum(1) - 2.0 * mx @ my)
            cost_arg = (X, Y)
        eps = float(self.epsilon) * max(mean_cost, np.finfo(float).tiny)
        if self.method == "sns":
            res = sinkhorn_newton_sparse(a, b, cost_arg, eps, tol=float(self.tol),
                                         max_iter=int(self.max_iter), return_plan=False,
                                         warn=False)
            n_iter = res.n_iter + res.n_newton
        else:
            res = sinkhorn(a, b, cost_arg, eps, tol=float(self.tol),
                           max_iter=int(self.max_iter), return_plan=False, warn=False)
            n_iter = res.n_iter
        if not res.converged:
            warnings.warn(
                f"the OT solve did not reach tol={self.tol} in {n_iter} iterations (L1 "
                f"marginal errors {res.marginal_error_a:.2e}, {res.marginal_error_b:.2e}); "
                f"increase max_iter or epsilon.", ConvergenceWarning, stacklevel=2)
        self.epsilon_ = eps
        # points of zero weight carry no mass: the maps average over the others only
        self.source_, self.f_ = X[a > 0], res.f[a > 0]
        self.target_, self.g_ = Y[b > 0], res.g[b > 0]
        self.n_iter_ = max(int(n_iter), 1)
        self.converged_ = bool(res.converged)
        return self

    def _map(self, Z, Y, potential):
        return entropic_map(Z, Y, potential, self.epsilon_, cost=self.cost,
                            l1=float(self.elastic_l1) if self.cost == "elastic" else 0.0)

    def transform(self, X):
        """Move samples along the entropic map onto the target.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = check_X(self, X, reset=False, accept_sparse=False)
        return self._map(X, self.target_, self.g_)

    def inverse_transform(self, X):
        """Move target-side samples back onto the source with the source potential.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        _check_not_complex(X, "X")
        X = check_array(X, dtype=np.float64)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but EntropicOTMapper is "
                             f"expecting {self.n_features_in_} features as input.")
        return self._map(X, self.source_, self.f_)
