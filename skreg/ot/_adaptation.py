"""Domain adaptation through optimal transport: adapters, label propagation, source selection.

Conventions (those of the scikit-learn domain-adaptation ecosystem, e.g. skada):

- ``sample_domain`` is an integer array of shape (n_samples,): positive entries mark source
  domains, negative entries target domains (0 is not a domain). It is passed as metadata to
  ``fit`` (and ``transform``); the estimators request it by default, so that with
  ``sklearn.set_config(enable_metadata_routing=True)`` a ``Pipeline.fit(X, y,
  sample_domain=sd)`` routes it to them. Several source (target) domains are pooled.
- Target labels are unknown: the ``y`` of target rows is never used. Without
  ``sample_domain``, ``fit`` infers the domains from ``y``: target rows are those with
  ``y == -1`` (class labels) or ``y = NaN`` (regression targets), the others are source rows.
  At ``transform``/``predict`` time without ``sample_domain`` every row is a target row.
"""

import inspect
import numbers
import warnings
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from scipy.spatial.distance import cdist
from scipy.special import logsumexp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    TransformerMixin,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from .._validation import _check_not_complex, check_X
from ._group import REGULARIZERS, group_sparse_ot
from ._map import entropic_map
from ._sinkhorn import METHODS, sinkhorn

__all__ = [
    "ClassRegularizedOTAdapter",
    "OTLabelPropagation",
    "OTMappingAdapter",
    "SelectSource",
    "make_da_pipeline",
]

#: points per block of the out-of-sample computations (bounds the temporary distance matrix)
_BLOCK_ENTRIES = 1 << 20


# --------------------------------------------------------------------------------------------
# domains


def _check_sample_domain(sample_domain, n_samples):
    """``sample_domain`` as an int64 array of nonzero integers of length ``n_samples``."""
    sd = np.asarray(sample_domain)
    if sd.dtype.kind not in "iuf":
        raise ValueError(f"sample_domain must be an array of integers (positive for source "
                         f"domains, negative for target domains), got dtype {sd.dtype}.")
    if sd.ndim != 1:
        raise ValueError(f"sample_domain must be 1-D, got shape {sd.shape}.")
    if sd.shape[0] != n_samples:
        raise ValueError(f"sample_domain has {sd.shape[0]} entries, but X has {n_samples} "
                         f"samples.")
    if sd.dtype.kind == "f" and not (np.all(np.isfinite(sd)) and np.all(sd == np.round(sd))):
        raise ValueError("sample_domain must hold integers (positive for source domains, "
                         "negative for target domains), got non-integer values.")
    sd = sd.astype(np.int64)
    if np.any(sd == 0):
        raise ValueError(f"sample_domain must be nonzero (positive for source domains, "
                         f"negative for target domains), got 0 for "
                         f"{int(np.sum(sd == 0))} samples.")
    return sd


def _is_minus_one(v):
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) and v == -1


def _is_nan(v):
    return isinstance(v, numbers.Real) and v != v


def _unlabeled(y, task):
    """Rows of ``y`` that mark a target sample: ``-1`` (classification), NaN (regression).

    ``task`` is "classification", "regression" or None (unknown, e.g. a transformer in a
    pipeline): NaN marks the target rows when ``y`` has any, else ``-1`` does when ``y`` holds
    class labels (integers, possibly as floats).
    """
    y = np.asarray(y)
    if y.dtype.kind == "O":
        nan = np.fromiter((_is_nan(v) for v in y), bool, len(y))
        minus_one = np.fromiter((_is_minus_one(v) for v in y), bool, len(y))
    elif y.dtype.kind in "iuf":
        nan = np.isnan(y) if y.dtype.kind == "f" else np.zeros(len(y), bool)
        minus_one = y == -1
    else:  # strings, booleans: no marker
        return np.zeros(len(y), bool)
    if task == "regression":
        return nan
    if task == "classification":
        if nan.any():
            raise ValueError("y contains NaN: for classification, target samples (of unknown "
                             "label) are marked with y = -1, or given by sample_domain.")
        return minus_one
    if nan.any():
        return nan
    if y.dtype.kind == "f":
        finite = y[np.isfinite(y)]
        if not np.all(finite == np.round(finite)):  # continuous values: no class labels
            return np.zeros(len(y), bool)
    return minus_one


def _source_mask(est, y, sample_domain, n_samples, task):
    """Source rows at fit: from ``sample_domain``, else inferred from ``y``."""
    if sample_domain is not None:
        source = _check_sample_domain(sample_domain, n_samples) > 0
    elif y is None:
        source = np.ones(n_samples, bool)
    else:
        source = ~_unlabeled(y, task)
    if not source.any():
        raise ValueError(
            f"{type(est).__name__} found no source sample: give the source rows positive "
            f"sample_domain entries, or, without sample_domain, labels (target rows are "
            f"those with y == -1 for classification or y = NaN for regression).")
    return source


def _check_y(est, y, n_samples):
    """``y`` as a 1-D array of length ``n_samples`` (a column vector is raveled with a
    DataConversionWarning); NaN and -1 are allowed (they mark target rows)."""
    _check_not_complex(y, "y")
    y = column_or_1d(y, warn=True)
    if len(y) != n_samples:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: "
                         f"[{n_samples}, {len(y)}]")
    return y


def _requires_y(est):
    return ValueError(f"{type(est).__name__} requires y to be passed, but the target y is "
                      f"None.")


def _check_positive(est, name, integer=False):
    value = getattr(est, name)
    kind = numbers.Integral if integer else numbers.Real
    if not isinstance(value, kind) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be {'an int' if integer else 'a number'}, got "
                        f"{value!r}.")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be positive and finite, got {value}.")


def _mean_sqeuclidean(Xs, Xt):
    """``mean_ij ||x_i - y_j||^2`` without forming the matrix (centred: no cancellation)."""
    ms, mt = Xs.mean(axis=0), Xt.mean(axis=0)
    return float(((Xs - ms) ** 2).sum(axis=1).mean() + ((Xt - mt) ** 2).sum(axis=1).mean()
                 + ((ms - mt) ** 2).sum())


def _blocks(n_rows, n_cols):
    step = max(1, _BLOCK_ENTRIES // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _warn_unconverged(est, res, n_iter, stacklevel):
    if not res.converged:
        warnings.warn(
            f"{type(est).__name__}: the OT solve did not reach tol={est.tol} in {n_iter} "
            f"iterations (L1 marginal errors {res.marginal_error_a:.2e}, "
            f"{res.marginal_error_b:.2e}); increase max_iter or epsilon.", ConvergenceWarning,
            stacklevel=stacklevel + 1)


def _check_X(est, X, reset):
    return check_X(est, X, reset=reset, accept_sparse=False)


# --------------------------------------------------------------------------------------------
# adapters


class _BaseOTAdapter(TransformerMixin, BaseEstimator):
    """Fit a transport plan from the source rows to the target rows; map the source rows."""

    __metadata_request__fit = {"sample_domain": True}
    __metadata_request__transform = {"sample_domain": True}

    # --- to define: _check_params(), _solve(Xs, Xt, y_source) (sets the fitted attributes and
    # returns the images of the training source rows), _map_new_source(Z)

    #: how ``y`` marks the target rows without ``sample_domain`` (see ``_unlabeled``)
    _task = None

    def _fit(self, X, y, sample_domain):
        self._check_params()
        X = _check_X(self, X, reset=True)
        n = X.shape[0]
        if y is not None:
            y = _check_y(self, y, n)
        source = _source_mask(self, y, sample_domain, n, task=self._task)
        Xs, Xt = X[source], X[~source]
        self.source_, self.target_ = Xs, Xt
        if Xt.shape[0] == 0:
            warnings.warn(
                f"{type(self).__name__}: fit saw no target sample (negative sample_domain, "
                f"or y == -1 / NaN), so it cannot adapt: transform is the identity.",
                UserWarning, stacklevel=3)
            self._fit_identity(Xs)
            projection = Xs
        else:
            projection = self._solve(Xs, Xt, None if y is None else y[source])
        return X, source, projection

    def _fit_identity(self, Xs):
        self.plan_ = np.zeros((Xs.shape[0], 0))
        self.epsilon_ = None
        self.n_iter_ = 1
        self.converged_ = True

    def fit(self, X, y=None, sample_domain=None):
        """Solve the transport problem from the source rows to the target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target samples.
        y : array-like of shape (n_samples,), default=None
            Labels of the source rows; the entries of the target rows are ignored. Without
            ``sample_domain`` they mark the target rows (``-1`` or NaN).
        sample_domain : array-like of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target. None: inferred
            from ``y`` (all rows are source without ``y``).

        Returns
        -------
        self : object
        """
        self._fit(X, y, sample_domain)
        return self

    def fit_transform(self, X, y=None, sample_domain=None):
        """Fit, and return the training rows with the source rows moved onto the target.

        The source rows are replaced by their images through the fitted plan (the
        barycentric projection ``(P X_t)_i / (P 1)_i``); the target rows are unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
        sample_domain : array-like of shape (n_samples,), default=None
            As in :meth:`fit`.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
        """
        X, source, projection = self._fit(X, y, sample_domain)
        out = np.array(X, dtype=np.float64, order="C", copy=True)
        out[source] = projection
        return out

    def transform(self, X, sample_domain=None):
        """Move the source rows onto the target; leave the target rows unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sample_domain : array-like of shape (n_samples,), default=None
            Domain of each row: rows with a positive entry are source rows, mapped out of
            sample. None: every row is a target row (the identity).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = _check_X(self, X, reset=False)
        out = np.array(X, dtype=np.float64, order="C", copy=True)
        if sample_domain is None or self.target_.shape[0] == 0:
            if sample_domain is not None:
                _check_sample_domain(sample_domain, X.shape[0])
            return out
        source = _check_sample_domain(sample_domain, X.shape[0]) > 0
        if source.any():
            out[source] = self._map_new_source(out[source])
        return out

    def _check_common_params(self):
        _check_positive(self, "epsilon")
        _check_positive(self, "tol")
        _check_positive(self, "max_iter", integer=True)


class OTMappingAdapter(_BaseOTAdapter):
    r"""Domain adaptation by entropic optimal transport of the source onto the target.

    ``fit`` solves the entropic OT problem (:func:`~skreg.ot.sinkhorn`) between the source rows
    :math:`x_1, \dots, x_{n_s}` and the target rows :math:`y_1, \dots, y_{n_t}`, with uniform
    weights :math:`a = 1/n_s`, :math:`b = 1/n_t` and the squared Euclidean cost
    :math:`C_{ij} = \|x_i - y_j\|^2`:

    .. math::

        P = \operatorname*{arg\,min}_{P \ge 0,\ P 1 = a,\ P^\top 1 = b} \langle P, C\rangle
        + \varepsilon \sum_{ij} P_{ij} (\log P_{ij} - 1),
        \qquad P_{ij} = e^{(f_i + g_j - C_{ij})/\varepsilon}.

    The training source rows are moved to their barycentric projections
    :math:`\hat x_i = \sum_j P_{ij} y_j / \sum_j P_{ij}` (``fit_transform``); new source rows
    (positive ``sample_domain`` at ``transform``) are moved by the entropic map

    .. math::

        T(z) = \sum_j p_j(z)\, y_j, \qquad
        p_j(z) \propto \exp\big((g_j - \|z - y_j\|^2)/\varepsilon\big)

    (:func:`~skreg.ot.entropic_map`), which equals the barycentric projection on the training
    source rows. Target rows are left unchanged. A classifier trained on the moved source
    rows then predicts the target rows (see :func:`make_da_pipeline`).

    Domains come from ``sample_domain`` (positive: source, negative: target) or, without it,
    from ``y`` at ``fit`` (target rows have ``y == -1`` or NaN); at ``transform`` without
    ``sample_domain`` every row is a target row. When ``fit`` sees no target row the adapter
    cannot adapt: it warns (UserWarning) and ``transform`` is the identity.

    Parameters
    ----------
    epsilon : float, default=0.05
        Entropic regularization as a fraction of the mean cost between source and target
        (:math:`\frac{1}{n_s n_t}\sum_{ij} C_{ij}`), as in :class:`EntropicOTMapper`; the
        absolute value used is ``epsilon_``. Larger values blur the map (every source point
        moves towards the target mean).
    method : {"auto", "stabilized", "log"}, default="auto"
        Sinkhorn variant (see :func:`~skreg.ot.sinkhorn`).
    max_iter : int, default=10000
        Maximum number of Sinkhorn iterations (well-separated clusters need thousands).
    tol : float, default=1e-6
        L1 error of the marginals at convergence, relative to the mass.

    Attributes
    ----------
    plan_ : ndarray of shape (n_source, n_target)
        The transport plan :math:`P` (None if it was too large to form; zero columns when
        ``fit`` saw no target row).
    f_, g_ : ndarray of shape (n_source,) and (n_target,)
        Source and target potentials (None without target rows).
    source_ : ndarray of shape (n_source, n_features)
        The training source rows.
    target_ : ndarray of shape (n_target, n_features)
        The training target rows (the support of the map).
    epsilon_ : float or None
        The absolute regularization used (None without target rows).
    n_iter_ : int
        Sinkhorn iterations (at least 1, also when nothing was solved).
    converged_ : bool
        Whether the marginal error reached ``tol``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    ClassRegularizedOTAdapter : a plan that keeps source classes apart.
    OTLabelPropagation : labels the target through the plan, without a classifier.
    EntropicOTMapper : the entropic map onto a fixed target sample.

    References
    ----------
    N. Courty, R. Flamary, D. Tuia and A. Rakotomamonjy, "Optimal transport for domain
    adaptation", IEEE TPAMI 39(9), 2017. A.-A. Pooladian and J. Niles-Weed, "Entropic
    estimation of optimal transport maps", 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.ot import OTMappingAdapter
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.standard_normal((100, 2))
    >>> Xt = rng.standard_normal((80, 2)) + [4.0, 0.0]  # the target is shifted
    >>> X = np.vstack([Xs, Xt])
    >>> sample_domain = np.r_[np.ones(100, int), -np.ones(80, int)]
    >>> Z = OTMappingAdapter().fit_transform(X, sample_domain=sample_domain)
    >>> bool(np.allclose(Z[:100].mean(axis=0), Xt.mean(axis=0), atol=1e-6))  # on the target
    True
    >>> bool(np.array_equal(Z[100:], Xt))  # target rows are unchanged
    True
    """

    def __init__(self, epsilon=0.05, *, method="auto", max_iter=10_000, tol=1e-6):
        self.epsilon = epsilon
        self.method = method
        self.max_iter = max_iter
        self.tol = tol

    def _check_params(self):
        self._check_common_params()
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}.")

    def _fit_identity(self, Xs):
        super()._fit_identity(Xs)
        self.f_ = self.g_ = None

    def _solve(self, Xs, Xt, y_source):
        eps = float(self.epsilon) * max(_mean_sqeuclidean(Xs, Xt), np.finfo(float).tiny)
        res = sinkhorn(None, None, (Xs, Xt), eps, method=self.method, tol=float(self.tol),
                       max_iter=int(self.max_iter), warn=False)
        _warn_unconverged(self, res, res.n_iter, stacklevel=4)
        self.plan_, self.f_, self.g_ = res.plan, res.f, res.g
        self.epsilon_ = eps
        self.n_iter_ = max(int(res.n_iter), 1)
        self.converged_ = bool(res.converged)
        if res.plan is None:  # too large to form: the entropic map is the same projection
            return self._map_new_source(Xs)
        rows = res.plan.sum(axis=1)
        return (res.plan @ Xt) / rows[:, None]

    def _map_new_source(self, Z):
        return entropic_map(Z, self.target_, self.g_, self.epsilon_)


class ClassRegularizedOTAdapter(_BaseOTAdapter):
    r"""Domain adaptation by class-regularized optimal transport of the source onto the target.

    ``fit`` solves the quadratically regularized OT problem with a class regularizer
    (:func:`~skreg.ot.group_sparse_ot`) between the labeled source rows :math:`x_i` (classes
    :math:`I_1, \dots, I_K`, uniform weights :math:`a = 1/n_s`) and the target rows
    :math:`y_j` (uniform weights :math:`b = 1/n_t`), with :math:`C_{ij} = \|x_i - y_j\|^2`:

    .. math::

        P = \operatorname*{arg\,min}_{P \ge 0,\ P 1 = a,\ P^\top 1 = b} \langle P, C\rangle
        + \frac{\varepsilon}{2} \|P\|_F^2 + \lambda R(P),

    with the group lasso :math:`R(P) = \sum_j \sum_c \|P_{I_c, j}\|_2` (each target point
    receives its mass from few classes, so that source classes do not mix) or the sum of
    norms :math:`R(P) = \sum_c \sum_{i < i' \in I_c} \|P_{i,:} - P_{i',:}\|_2` (points of a
    class get fused transport profiles). The plan has exact zeros. The training source rows
    are moved to their barycentric projections :math:`\hat x_i = \sum_j P_{ij} y_j / \sum_j
    P_{ij}` (``fit_transform``); target rows are left unchanged.

    The plan has no out-of-sample map: a new source row :math:`z` (positive ``sample_domain``
    at ``transform``) is moved by the displacement of its nearest training source row
    :math:`x_k`, :math:`T(z) = \hat x_k + (z - x_k)` (the rule of POT's ``ot.da``); on the
    training source rows it is their projection.

    Domains come from ``sample_domain`` (positive: source, negative: target) or, without it,
    from ``y`` at ``fit`` (target rows have ``y == -1``); at ``transform`` without
    ``sample_domain`` every row is a target row. When ``fit`` sees no target row the adapter
    cannot adapt: it warns (UserWarning) and ``transform`` is the identity.

    Parameters
    ----------
    epsilon : float, default=0.05
        Quadratic regularization relative to the data: the absolute value (``epsilon_``) is
        ``epsilon`` times the mean cost :math:`\frac{1}{n_s n_t}\sum_{ij} C_{ij}` times
        :math:`n_s n_t` (the inverse of a uniform plan's entries), so that the plan's support
        spans costs within about ``epsilon`` times the mean cost of the cheapest, whatever the
        scale and size of the data. Smaller is sparser (and slower to solve).
    lam : float, default=0.5
        Weight of the class regularizer as a fraction of the mean cost (absolute: ``lam_``);
        0 gives the quadratically regularized plan without class information.
    regularizer : {"group_lasso", "sum_of_norms"}, default="group_lasso"
        The class regularizer :math:`R`.
    n_neighbors : int or None, default=None
        Sum of norms only: fuse each source point with its ``n_neighbors`` nearest points of
        its class only (None: with all of them).
    max_iter : int, default=10000
        Maximum number of gradient steps of the solver.
    tol : float, default=1e-6
        L1 error of the marginals at convergence, relative to the mass.

    Attributes
    ----------
    plan_ : ndarray of shape (n_source, n_target)
        The transport plan :math:`P` (exact zeros; zero columns when ``fit`` saw no target
        row).
    projection_ : ndarray of shape (n_source, n_features)
        The barycentric projections of the training source rows.
    classes_ : ndarray of shape (n_classes,)
        The classes of the source rows (None without target rows).
    source_ : ndarray of shape (n_source, n_features)
        The training source rows.
    target_ : ndarray of shape (n_target, n_features)
        The training target rows.
    epsilon_, lam_ : float or None
        The absolute regularizations used (None without target rows).
    n_iter_ : int
        Solver iterations (at least 1, also when nothing was solved).
    converged_ : bool
        Whether the solver's stopping test passed.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    OTMappingAdapter : entropic plan without class information, with an entropic map.
    skreg.ot.group_sparse_ot : the solver.

    References
    ----------
    N. Courty, R. Flamary, D. Tuia and A. Rakotomamonjy, "Optimal transport for domain
    adaptation", IEEE TPAMI 39(9), 2017. A. Rahbar, A. Panahi, M. H. Chehreghani, D. Dubhashi
    and H. Krim, "Recovery bounds on class-based optimal transport: a sum-of-norms
    regularization framework", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.ot import ClassRegularizedOTAdapter
    >>> rng = np.random.default_rng(0)
    >>> ys = np.repeat([0, 1], 50)
    >>> Xs = 0.5 * rng.standard_normal((100, 2)) + 2.0 * ys[:, None] * [1.0, 0.0]
    >>> Xt = Xs + [2.0, 0.0]  # the target domain is shifted
    >>> X, y = np.vstack([Xs, Xt]), np.r_[ys, -np.ones(100, int)]  # -1: target row
    >>> Z = ClassRegularizedOTAdapter().fit_transform(X, y)
    >>> Z[:50].mean(axis=0).round(1) + 0.0  # class 0 moves onto the target's class 0
    array([2. , 0.1])
    """

    _task = "classification"

    def __init__(self, epsilon=0.05, lam=0.5, *, regularizer="group_lasso", n_neighbors=None,
                 max_iter=10000, tol=1e-6):
        self.epsilon = epsilon
        self.lam = lam
        self.regularizer = regularizer
        self.n_neighbors = n_neighbors
        self.max_iter = max_iter
        self.tol = tol

    def _check_params(self):
        self._check_common_params()
        lam = self.lam
        if not isinstance(lam, numbers.Real) or isinstance(lam, (bool, np.bool_)):
            raise TypeError(f"lam must be a number, got {lam!r}.")
        if not (np.isfinite(lam) and lam >= 0):
            raise ValueError(f"lam must be non-negative and finite, got {lam}.")
        if self.regularizer not in REGULARIZERS:
            raise ValueError(f"regularizer must be one of {REGULARIZERS}, got "
                             f"{self.regularizer!r}.")
        if self.n_neighbors is not None:
            _check_positive(self, "n_neighbors", integer=True)

    def _fit_identity(self, Xs):
        super()._fit_identity(Xs)
        self.projection_ = Xs
        self.classes_ = None
        self.lam_ = None

    def _solve(self, Xs, Xt, y_source):
        if y_source is None:
            raise ValueError(f"{type(self).__name__} requires y (the labels of the source "
                             f"rows), but the target y is None.")
        if y_source.dtype.kind == "f" and not np.all(np.isfinite(y_source)):
            raise ValueError("Input y contains NaN or infinity on source rows.")
        check_classification_targets(y_source)
        self.classes_ = np.unique(y_source)
        ns, nt = Xs.shape[0], Xt.shape[0]
        mean_cost = max(_mean_sqeuclidean(Xs, Xt), np.finfo(float).tiny)
        eps = float(self.epsilon) * mean_cost * ns * nt
        lam = float(self.lam) * mean_cost
        res = group_sparse_ot(None, None, (Xs, Xt), y_source, eps, lam,
                              regularizer=self.regularizer, n_neighbors=self.n_neighbors,
                              tol=float(self.tol), max_iter=int(self.max_iter), warn=False)
        _warn_unconverged(self, res, res.n_iter, stacklevel=4)
        rows = res.plan.sum(axis=1)
        proj = Xs.copy()
        moved = rows > 0
        proj[moved] = (res.plan[moved] @ Xt) / rows[moved, None]
        self.plan_, self.projection_ = res.plan, proj
        self.epsilon_, self.lam_ = eps, lam
        self.n_iter_ = max(int(res.n_iter), 1)
        self.converged_ = bool(res.converged)
        return proj

    def _map_new_source(self, Z):
        out = np.empty_like(Z)
        for rows in _blocks(Z.shape[0], self.source_.shape[0]):
            nearest = np.argmin(cdist(Z[rows], self.source_, "sqeuclidean"), axis=1)
            out[rows] = self.projection_[nearest] + (Z[rows] - self.source_[nearest])
        return out


# --------------------------------------------------------------------------------------------
# label propagation


def _self_transport(Xs, eps, tol, max_iter):
    """Entropic OT of the uniform measure on ``Xs`` onto itself (potentials ``f = g``).

    The averaged symmetric Sinkhorn iteration ``f <- (f + T(f)) / 2``, with ``T(f)_i = eps log
    a_i - eps LSE_k((f_k - C_ik) / eps)`` (Feydy et al., AISTATS 2019), converges in a few tens
    of iterations where the alternating one oscillates for a long time on this symmetric
    problem. Dense ``n x n`` (the same size as the plan).
    """
    n = Xs.shape[0]
    C = cdist(Xs, Xs, "sqeuclidean")
    log_a = -np.log(n)
    f = np.zeros(n)
    err, n_iter = np.inf, 0
    while n_iter < max_iter:
        f = 0.5 * (f + eps * log_a - eps * logsumexp((f[None, :] - C) / eps, axis=1))
        n_iter += 1
        plan = np.exp((f[:, None] + f[None, :] - C) / eps)
        err = float(np.abs(plan.sum(axis=1) - 1.0 / n).sum())
        if err <= tol:
            break
    return SimpleNamespace(f=f, g=f, plan=plan, n_iter=n_iter, converged=err <= tol,
                           marginal_error_a=err, marginal_error_b=err)


def _ctransform_proba(Z, Xs, f, eps, onehot):
    r"""``q(z) = softmax_i((f_i - ||x_i - z||^2)/eps)``, then ``q(z)^T onehot``, by blocks."""
    out = np.empty((Z.shape[0], onehot.shape[1]))
    for rows in _blocks(Z.shape[0], Xs.shape[0]):
        logits = (f[None, :] - cdist(Z[rows], Xs, "sqeuclidean")) / eps
        logits -= logits.max(axis=1, keepdims=True)
        q = np.exp(logits)
        q /= q.sum(axis=1, keepdims=True)
        out[rows] = q @ onehot
    return out


class OTLabelPropagation(ClassifierMixin, BaseEstimator):
    r"""Label the target domain by propagating the source labels through a transport plan.

    ``fit`` solves the entropic OT problem (:func:`~skreg.ot.sinkhorn`) between the source rows
    :math:`x_i` (labels :math:`y_i`, uniform weights :math:`a = 1/n_s`) and the target rows
    :math:`z_j` (uniform weights :math:`b = 1/n_t`) with the squared Euclidean cost,

    .. math::

        P = \operatorname*{arg\,min}_{P \ge 0,\ P 1 = a,\ P^\top 1 = b} \langle P, C\rangle
        + \varepsilon \sum_{ij} P_{ij} (\log P_{ij} - 1),
        \qquad P_{ij} = e^{(f_i + g_j - C_{ij})/\varepsilon},

    and gives each target row the class distribution of the mass it receives:
    :math:`S = \operatorname{diag}(P^\top 1)^{-1} P^\top Y`, with :math:`Y` the one-hot source
    labels (``label_distributions_``). For any point :math:`z` (treated as a target point),
    ``predict_proba`` uses the entropic c-transform column

    .. math::

        q_i(z) = \frac{\exp\big((f_i - \|x_i - z\|^2)/\varepsilon\big)}
        {\sum_k \exp\big((f_k - \|x_k - z\|^2)/\varepsilon\big)}, \qquad
        p(z) = \sum_i q_i(z)\, \mathrm{onehot}(y_i),

    computed with a log-sum-exp; on the training target rows it equals the propagated
    :math:`S` (the source weights are absorbed in :math:`f` with this plan's convention).

    Domains come from ``sample_domain`` (positive: source, negative: target) or, without it,
    from ``y`` (target rows have ``y == -1``). When ``fit`` sees no target row it warns
    (UserWarning) and transports the source onto itself (no shift assumed; solved by the
    averaged symmetric Sinkhorn iteration, ``method`` unused): ``predict_proba`` is then a
    transport-smoothed vote of the source labels.

    Parameters
    ----------
    epsilon : float, default=0.05
        Entropic regularization as a fraction of the mean cost between source and target; the
        absolute value used is ``epsilon_``.
    method : {"auto", "stabilized", "log"}, default="auto"
        Sinkhorn variant (see :func:`~skreg.ot.sinkhorn`).
    max_iter : int, default=10000
        Maximum number of Sinkhorn iterations (well-separated clusters need thousands).
    tol : float, default=1e-6
        L1 error of the marginals at convergence, relative to the mass.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The classes of the source rows.
    label_distributions_ : ndarray of shape (n_target, n_classes)
        Class distribution of each training target row, :math:`S`.
    transduction_ : ndarray of shape (n_target,)
        Labels of the training target rows (argmax of ``label_distributions_``).
    plan_ : ndarray of shape (n_source, n_target)
        The transport plan (None if it was too large to form).
    f_ : ndarray of shape (n_source,)
        Source potential.
    source_ : ndarray of shape (n_source, n_features)
        The training source rows.
    source_y_ : ndarray of shape (n_source,)
        Their labels, as indices into ``classes_``.
    epsilon_ : float
        The absolute regularization used.
    n_iter_ : int
        Sinkhorn iterations.
    converged_ : bool
        Whether the marginal error reached ``tol``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    OTMappingAdapter : moves the source onto the target for any classifier.

    References
    ----------
    I. Redko, N. Courty, R. Flamary and D. Tuia, "Optimal transport for multi-source domain
    adaptation under target shift", AISTATS 2019. N. Courty, R. Flamary, D. Tuia and
    A. Rakotomamonjy, "Optimal transport for domain adaptation", IEEE TPAMI 39(9), 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.ot import OTLabelPropagation
    >>> rng = np.random.default_rng(0)
    >>> ys = np.repeat([0, 1], 50)
    >>> Xs = 0.5 * rng.standard_normal((100, 2)) + 2.0 * ys[:, None] * [1.0, 0.0]
    >>> Xt = Xs + [2.0, 0.0]  # the target domain is shifted
    >>> X, y = np.vstack([Xs, Xt]), np.r_[ys, -np.ones(100, int)]  # -1: target row
    >>> clf = OTLabelPropagation().fit(X, y)
    >>> float((clf.predict(Xt) == ys).mean())
    0.98
    """

    __metadata_request__fit = {"sample_domain": True}

    def __init__(self, epsilon=0.05, *, method="auto", max_iter=10_000, tol=1e-6):
        self.epsilon = epsilon
        self.method = method
        self.max_iter = max_iter
        self.tol = tol

    def _check_params(self):
        _check_positive(self, "epsilon")
        _check_positive(self, "tol")
        _check_positive(self, "max_iter", integer=True)
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}.")

    def fit(self, X, y, sample_domain=None):
        """Solve the transport problem and propagate the source labels to the target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target samples.
        y : array-like of shape (n_samples,)
            Labels of the source rows; the entries of the target rows are ignored. Without
            ``sample_domain``, ``y == -1`` marks the target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target.

        Returns
        -------
        self : object
        """
        self._check_params()
        if y is None:
            raise _requires_y(self)
        X = _check_X(self, X, reset=True)
        y = _check_y(self, y, X.shape[0])
        source = _source_mask(self, y, sample_domain, X.shape[0], task="classification")
        y_source = y[source]
        if y_source.dtype.kind == "f" and not np.all(np.isfinite(y_source)):
            raise ValueError("Input y contains NaN or infinity on source rows.")
        check_classification_targets(y_source)
        classes, y_idx = np.unique(y_source, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"{type(self).__name__} needs source samples of at least 2 "
                             f"classes (binary or multiclass), got 1 class: {classes[0]}.")
        Xs, Xt = X[source], X[~source]
        if Xt.shape[0] == 0:
            warnings.warn(
                f"{type(self).__name__}: fit saw no target sample (negative sample_domain, "
                f"or y == -1): the source is transported onto itself (no shift assumed).",
                UserWarning, stacklevel=2)
            Xt = Xs
        eps = float(self.epsilon) * max(_mean_sqeuclidean(Xs, Xt), np.finfo(float).tiny)
        if Xt is Xs:
            res = _self_transport(Xs, eps, float(self.tol), int(self.max_iter))
        else:
            res = sinkhorn(None, None, (Xs, Xt), eps, method=self.method,
                           tol=float(self.tol), max_iter=int(self.max_iter), warn=False)
        _warn_unconverged(self, res, res.n_iter, stacklevel=2)
        onehot = np.zeros((len(y_idx), len(classes)))
        onehot[np.arange(len(y_idx)), y_idx] = 1.0
        if res.plan is not None:
            scores = res.plan.T @ onehot
            scores /= scores.sum(axis=1, keepdims=True)
        else:
            scores = _ctransform_proba(Xt, Xs, res.f, eps, onehot)
        self.classes_ = classes
        self.source_, self.source_y_ = Xs, y_idx.astype(np.intp)
        self.plan_, self.f_ = res.plan, res.f
        self.epsilon_ = eps
        self.label_distributions_ = scores
        self.transduction_ = classes[np.argmax(scores, axis=1)]
        self.n_iter_ = max(int(res.n_iter), 1)
        self.converged_ = bool(res.converged)
        return self

    def predict_proba(self, X):
        """Class probabilities of new points (treated as target points).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = _check_X(self, X, reset=False)
        onehot = np.zeros((len(self.source_y_), len(self.classes_)))
        onehot[np.arange(len(self.source_y_)), self.source_y_] = 1.0
        return _ctransform_proba(np.ascontiguousarray(X), self.source_, self.f_,
                                 self.epsilon_, onehot)

    def predict(self, X):
        """Most probable class of new points (treated as target points).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


# --------------------------------------------------------------------------------------------
# source selection and pipelines


def _estimator_has(attr):
    def check(self):
        est = self.estimator_ if hasattr(self, "estimator_") else self._estimator()
        return hasattr(est, attr)

    return check


class SelectSource(MetaEstimatorMixin, BaseEstimator):
    """Fit an estimator on the source rows only; delegate predictions to it.

    The last step of a domain-adaptation pipeline (see :func:`make_da_pipeline`): after an
    adapter has moved the source rows onto the target domain, the wrapped estimator learns
    from the source rows, the only ones with labels, and predicts any row. Source rows are
    those with a positive ``sample_domain``, or without it those whose label is known: for a
    classifier ``y != -1``, for a regressor ``y`` not NaN (for another estimator: not NaN if
    ``y`` has NaN, else ``y != -1`` when ``y`` holds class labels). The labels of the target
    rows never reach the estimator.

    Parameters
    ----------
    estimator : estimator, default=None
        The estimator to fit on the source rows; None means
        :class:`sklearn.linear_model.LogisticRegression`.

    Attributes
    ----------
    estimator_ : estimator
        The estimator fitted on the source rows.
    classes_ : ndarray of shape (n_classes,)
        The classes of the fitted estimator (classifiers only).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    make_da_pipeline

    References
    ----------
    N. Courty, R. Flamary, D. Tuia and A. Rakotomamonjy, "Optimal transport for domain
    adaptation", IEEE TPAMI 39(9), 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skreg.ot import SelectSource
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    >>> y = np.array([0, 0, 1, 1, -1])  # the last row is a target row
    >>> SelectSource(LogisticRegression()).fit(X, y).classes_
    array([0, 1])
    """

    __metadata_request__fit = {"sample_domain": True}

    def __init__(self, estimator=None):
        self.estimator = estimator

    def _estimator(self):
        if self.estimator is None:
            from sklearn.linear_model import LogisticRegression

            return LogisticRegression()
        return self.estimator

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        sub = get_tags(self._estimator())
        tags.estimator_type = sub.estimator_type
        tags.classifier_tags = sub.classifier_tags
        tags.regressor_tags = sub.regressor_tags
        tags.transformer_tags = sub.transformer_tags
        tags.input_tags.sparse = sub.input_tags.sparse
        tags.input_tags.allow_nan = sub.input_tags.allow_nan
        tags.input_tags.pairwise = sub.input_tags.pairwise
        tags.target_tags.required = sub.target_tags.required
        return tags

    def fit(self, X, y=None, sample_domain=None):
        """Fit the estimator on the source rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target samples (passed to the estimator's own validation).
        y : array-like of shape (n_samples,)
            Labels; the entries of the target rows are ignored.
        sample_domain : array-like of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target. None: inferred
            from ``y``.

        Returns
        -------
        self : object
        """
        est = self._estimator()
        X_checked = validate_data(self, X, reset=True, accept_sparse=True, dtype=None,
                                  ensure_all_finite=False)
        n = X_checked.shape[0]
        if y is None:
            if get_tags(est).target_tags.required:
                raise _requires_y(self)
        else:
            y = _check_y(self, y, n)
        task = ("classification" if is_classifier(est)
                else "regression" if is_regressor(est) else None)
        source = _source_mask(self, y, sample_domain, n, task)
        if not source.all():
            rows = np.flatnonzero(source)
            if sp.issparse(X) and X.format not in ("csr", "csc", "lil", "dok"):
                X = X.tocsr()
            X = _safe_indexing(X, rows)
            y = None if y is None else y[rows]
        self.estimator_ = clone(est)
        if y is None:
            self.estimator_.fit(X)
        else:
            self.estimator_.fit(X, y)
        return self

    @property
    def classes_(self):
        """The classes of the fitted estimator."""
        return self.estimator_.classes_

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict with the estimator fitted on the source rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the estimator fitted on the source rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log of the class probabilities from the estimator fitted on the source rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the estimator fitted on the source rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X):
        """Transform with the estimator fitted on the source rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        X_new : array-like
        """
        check_is_fitted(self)
        return self.estimator_.transform(X)

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """Score of the estimator fitted on the source rows (e.g. on labeled target rows).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        if sample_weight is None:
            return self.estimator_.score(X, y)
        return self.estimator_.score(X, y, sample_weight=sample_weight)


def _handles_domains(est):
    """Whether ``est`` selects its rows itself (it takes ``sample_domain`` in fit)."""
    fit = getattr(est, "fit", None)
    return fit is not None and "sample_domain" in inspect.signature(fit).parameters


def make_da_pipeline(*steps, memory=None, verbose=False):
    """A :class:`~sklearn.pipeline.Pipeline` for domain adaptation.

    Like :func:`~sklearn.pipeline.make_pipeline`, except that the last step is wrapped in
    :class:`SelectSource` (it learns from the source rows only), unless it selects its rows
    itself (it already is a :class:`SelectSource`, or its ``fit`` takes ``sample_domain``, as
    :class:`OTLabelPropagation`'s does). Steps keep the names ``make_pipeline`` gives them
    (the wrapped step is named after the wrapped estimator).

    The domains reach the steps in two ways:

    - without metadata routing (scikit-learn's default): from ``y``, ``pipe.fit(X, y)`` with
      ``y == -1`` (classification) or ``y = NaN`` (regression) on the target rows; every step
      infers the same domains. ``sample_domain`` can also be passed to given steps by name,
      e.g. ``pipe.fit(X, y, otmappingadapter__sample_domain=sd,
      logisticregression__sample_domain=sd)``;
    - with ``sklearn.set_config(enable_metadata_routing=True)`` (or
      ``sklearn.config_context``): ``pipe.fit(X, y, sample_domain=sd)``, routed to every
      step that requests it (the adapters and :class:`SelectSource` do by default).

    At ``predict`` every row is a target row (the adapters leave it unchanged).

    Parameters
    ----------
    *steps : list of estimators
    memory, verbose
        As in :func:`~sklearn.pipeline.make_pipeline`.

    Returns
    -------
    pipeline : Pipeline

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skreg.ot import OTMappingAdapter, make_da_pipeline
    >>> rng = np.random.default_rng(0)
    >>> ys = np.repeat([0, 1], 50)
    >>> Xs = 0.5 * rng.standard_normal((100, 2)) + 2.0 * ys[:, None] * [1.0, 0.0]
    >>> Xt = Xs + [2.0, 0.0]  # shifted along the class direction
    >>> X, y = np.vstack([Xs, Xt]), np.r_[ys, -np.ones(100, int)]  # -1: target row
    >>> pipe = make_da_pipeline(OTMappingAdapter(), LogisticRegression())
    >>> [name for name, _ in pipe.steps]
    ['otmappingadapter', 'logisticregression']
    >>> float(pipe.fit(X, y).score(Xt, ys))
    0.97
    >>> float(LogisticRegression().fit(Xs, ys).score(Xt, ys))  # without adaptation
    0.51
    """
    if not steps:
        raise ValueError("make_da_pipeline needs at least one step.")
    pipe = make_pipeline(*steps, memory=memory, verbose=verbose)
    name, last = pipe.steps[-1]
    if (last is not None and last != "passthrough" and not isinstance(last, SelectSource)
            and not _handles_domains(last)):
        pipe.steps[-1] = (name, SelectSource(last))
    return pipe
