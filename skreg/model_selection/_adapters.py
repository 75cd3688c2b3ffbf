"""The implicit-differentiation protocol of each supported model.

For a fitted model with parameters ``beta`` (coefficients on the support and the intercept,
or kernel dual coefficients) that solve ``G(beta, lambda) = 0`` (the optimality condition on
the support), the implicit function theorem gives, for a criterion ``C`` of the predictions,

    dC/dtheta = -(d_theta G)^T H^{-1} grad_beta C,     H = d_beta G,

with ``theta`` the log-levels of the penalties. Off the support of an l1 solution the
derivative of the coefficients is exactly zero (the support is locally constant), so ``H`` is
the Hessian of the datafit restricted to the support plus the smooth part of the penalty.

Each adapter turns a fitted estimator and its training data into a :class:`Linearization`
(``H`` as a dense matrix or a product, the map from the criterion's gradient with respect to
the predictions to ``grad_beta C``, and the cross-derivatives), and maps the hyperparameters
the user names to and from the optimization variables (``log`` for strengths, ``logit`` for
``l1_ratio``).
"""

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.metrics.pairwise import pairwise_kernels

from ..linear_model._problem import QuadraticProblem

__all__ = ["get_adapter"]


@dataclass
class Linearization:
    """``H`` and the pieces of ``dC/dtheta = -cross^T H^{-1} rhs`` of one fitted model.

    Attributes
    ----------
    size : int
        Number of differentiated parameters (support size plus the intercept).
    matvec : callable
        ``v -> H v``.
    dense : callable
        ``() -> H`` as a dense array (for the direct solver).
    rhs : callable
        ``(X_val, g) -> grad_beta C`` where ``g`` is the gradient of the criterion with
        respect to the predictions ``decision(X_val)``.
    level_grads : callable
        ``v -> dict`` of derivatives with respect to the log-levels, with ``v = H^{-1} rhs``.
    key : tuple
        Identifies the parameter set (support), to reuse a previous ``v`` as a warm start.
    """

    size: int
    matvec: object
    dense: object
    rhs: object
    level_grads: object
    key: tuple


def _as_dense_cols(X, cols):
    sub = X[:, cols]
    return sub.toarray() if sp.issparse(sub) else np.asarray(sub, dtype=np.float64)


def _design_linearization(X, cols, h, fit_intercept, *, pen_diag=None, pen_matvec=None,
                          pen_dense=None, rank_one=None, level_grads, key):
    """``H = A^T diag(h) A + P - u u^T`` with ``A = [X[:, cols], 1]`` (1 with an intercept).

    ``P`` acts on the coefficient block only: a diagonal (``pen_diag``) or a product and a
    dense form (``pen_matvec``, ``pen_dense``); ``u`` is an optional rank-one correction.
    """
    XS = X[:, cols]
    if sp.issparse(XS):
        XS = XS.tocsc()
    k = len(cols)
    size = k + int(fit_intercept)

    def a_mv(v):
        out = XS @ v[:k]
        if fit_intercept:
            out = out + v[k]
        return out

    def at_mv(r):
        top = XS.T @ r
        return np.append(top, r.sum()) if fit_intercept else np.asarray(top)

    def matvec(v):
        out = at_mv(h * a_mv(v))
        if pen_diag is not None:
            out[:k] += pen_diag * v[:k]
        if pen_matvec is not None:
            out[:k] += pen_matvec(v[:k])
        if rank_one is not None:
            out -= rank_one * (rank_one @ v)
        return out

    def dense():
        A = XS.toarray() if sp.issparse(XS) else np.asarray(XS)
        if fit_intercept:
            A = np.column_stack([A, np.ones(A.shape[0])])
        H = (A * h[:, None]).T @ A
        if pen_diag is not None:
            H[np.arange(k), np.arange(k)] += pen_diag
        if pen_dense is not None:
            H[:k, :k] += pen_dense()
        if rank_one is not None:
            H -= np.outer(rank_one, rank_one)
        return H

    def rhs(X_val, g):
        top = X_val[:, cols].T @ g
        top = np.asarray(top).ravel()
        return np.append(top, g.sum()) if fit_intercept else top

    return Linearization(size, matvec, dense, rhs, level_grads, key)


@dataclass(frozen=True)
class Param:
    """One hyperparameter as the optimizer sees it.

    ``transform`` is "log" (strengths, weights) or "logit" (``l1_ratio``); ``size`` is 1 for a
    scalar and ``n_features`` for per-feature weights (only the positive weights move).
    """

    name: str
    transform: str
    size: int = 1


def _forward(value, transform):
    value = np.asarray(value, dtype=np.float64)
    if transform == "log":
        return np.log(value)
    return np.log(value) - np.log1p(-value)


def _backward(theta, transform):
    if transform == "log":
        return np.exp(theta)
    return expit(theta)


class _Adapter:
    """Base: hyperparameter bookkeeping; subclasses add ``linearize`` and the bounds."""

    #: Hyperparameters that can be learned, the default, and sets that may not be combined.
    names = ("alpha",)
    default = "alpha"
    exclusive = ()
    #: Whether the penalty is an l1 penalty (alpha_max bound, support-restricted Hessian).
    sparse = False

    def __init__(self, est):
        self.est = est

    def check(self):
        """Raise ValueError for configurations whose derivative is not implemented."""

    def resolve(self, names):
        names = tuple(names)
        bad = [n for n in names if n not in self.names]
        if bad:
            raise ValueError(
                f"{type(self.est).__name__} has no learnable hyperparameter "
                f"{bad[0]!r}: choose among {list(self.names)}."
            )
        if len(set(names)) != len(names):
            raise ValueError(f"params names a hyperparameter twice: {list(names)}.")
        for group in self.exclusive:
            if set(group) <= set(names):
                raise ValueError(
                    f"{' and '.join(group)} cannot be learned together for "
                    f"{type(self.est).__name__}: they scale the same penalty."
                )
        return names

    def param(self, name, n_features):
        transform = "logit" if name == "l1_ratio" else "log"
        return Param(name, transform, n_features if name == "weights" else 1)

    def value(self, est, name, n_features):
        """Current value of a hyperparameter (weights None -> ones)."""
        value = getattr(est, name)
        if name == "weights" and value is None:
            return np.ones(n_features)
        return value

    def param_grads(self, est, names, levels):
        """Chain rule from the level derivatives of :meth:`linearize` to ``names``."""
        return [np.atleast_1d(levels[name]) for name in names]

    def refit(self, est, task):
        """Refit ``est`` on the task's data without ``fit``'s validation; False if this
        adapter has no such shortcut (``fit`` is then called)."""
        return False

    def decision(self, est, X):
        """Predictions the criterion sees: the decision function (a linear score)."""
        coef = getattr(est, "coef_", None)
        if coef is not None:
            b = np.ravel(getattr(est, "intercept_", 0.0))
            return np.asarray(X @ np.ravel(coef)).ravel() + (float(b[0]) if b.size else 0.0)
        return np.asarray(est.predict(X), dtype=np.float64).ravel()

    def converged(self, est):
        n_iter = getattr(est, "n_iter_", None)
        max_iter = getattr(est, "max_iter", None)
        if n_iter is None or max_iter is None:
            return True
        return int(np.max(n_iter)) < int(max_iter)

    def bounds(self, name, value, X, y, sw):
        """Box for the transformed hyperparameter (default: 30 natural-log units around)."""
        t = _forward(value, self.param(name, 1).transform)
        return t - 30.0, t + 30.0


# ---------------------------------------------------------------------------------------------
# l1 models of skreg: Lasso, ElasticNet, WeightedLasso, SparseLogisticRegression, SqrtLasso


class _L1Adapter(_Adapter):
    sparse = True
    datafit = "quadratic"

    def levels(self, est, n_features):
        alpha = float(est.alpha)
        rho = float(getattr(est, "l1_ratio", 1.0))
        v = getattr(est, "weights", None)
        v = np.ones(n_features) if v is None else np.asarray(v, dtype=np.float64)
        return alpha, rho, v

    def check(self):
        if getattr(self.est, "positive", False):
            raise ValueError(
                "positive=True is not supported by implicit differentiation: the sign "
                "constraint adds a second active set."
            )
        if getattr(self.est, "solver", "cd") != "cd":
            raise ValueError('implicit differentiation needs solver="cd".')

    def bounds(self, name, value, X, y, sw):
        if name != "alpha":
            return super().bounds(name, value, X, y, sw)
        amax = self.alpha_max(X, y, sw)
        if not np.isfinite(amax) or amax <= 0:
            return super().bounds(name, value, X, y, sw)
        return np.log(amax) - np.log(1e4), np.log(amax * 0.999)

    def alpha_max(self, X, y, sw):
        alpha, rho, v = self.levels(self.est, X.shape[1])
        problem = QuadraticProblem(X, np.asarray(y, dtype=np.float64), sw,
                                   self.est.fit_intercept)
        return problem.alpha_max(rho, v if getattr(self.est, "weights", None) is not None
                                 else None)

    def curvature(self, est, X, y, sw, cols):
        """Sample curvatures ``h`` and the rank-one correction (square-root Lasso)."""
        return sw / sw.sum(), None

    def linearize(self, est, X, y, sw):
        n_features = X.shape[1]
        alpha, rho, v = self.levels(est, n_features)
        w = est.coef_
        cols = np.flatnonzero(w)
        l1 = alpha * rho * v
        l2 = alpha * (1.0 - rho) * v
        h, rank_one = self.curvature(est, X, y, sw, cols)
        k = len(cols)
        wS = w[cols]

        def level_grads(vec):
            g1 = np.zeros(n_features)
            g1[cols] = -l1[cols] * np.sign(wS) * vec[:k]
            g2 = -float(np.sum(l2[cols] * wS * vec[:k]))
            return {"l1": g1, "l2": g2}

        return _design_linearization(
            X, cols, h, est.fit_intercept, pen_diag=l2[cols] if np.any(l2) else None,
            rank_one=rank_one, level_grads=level_grads, key=tuple(cols))

    def param_grads(self, est, names, levels):
        _, rho, v = self.levels(est, len(levels["l1"]))
        g1, g2 = levels["l1"], levels["l2"]
        out = []
        for name in names:
            if name == "alpha":
                out.append(np.array([g1.sum() + g2]))
            elif name == "l1_ratio":
                out.append(np.array([(1.0 - rho) * g1.sum() - rho * g2]))
            else:  # weights: l1_ratio is 1 for the weighted models
                out.append(np.where(v > 0, g1, 0.0))
        return out


class _QuadraticL1Adapter(_L1Adapter):
    """Lasso, ElasticNet, WeightedLasso: refits reuse the fold's prepared problem."""

    def refit(self, est, task):
        problem = task.state.get("problem")
        if problem is None:
            problem = task.state["problem"] = QuadraticProblem(
                task.X, np.asarray(task.y, dtype=np.float64), task.sw, est.fit_intercept)
        l1_ratio, weights = est._penalty(task.X.shape[1])
        res = problem.solve(float(est.alpha), l1_ratio, weights, False,
                            coef_init=est._warm_coef(task.X.shape[1]),
                            max_iter=est.max_iter, tol=est.tol)
        est.coef_, est.intercept_ = res.coef, res.intercept
        est.n_iter_, est.dual_gap_ = max(res.n_iter, 1), res.dual_gap
        task.converged = res.converged
        return True


class _LassoAdapter(_QuadraticL1Adapter):
    names = ("alpha",)


class _EnetAdapter(_QuadraticL1Adapter):
    names = ("alpha", "l1_ratio")


class _WeightedAdapter(_QuadraticL1Adapter):
    names = ("alpha", "weights")
    exclusive = (("alpha", "weights"),)


class _LogisticAdapter(_L1Adapter):
    names = ("alpha", "l1_ratio")

    def _y_pm(self, est, y):
        return np.where(np.asarray(y) == est.classes_[1], 1.0, -1.0)

    def alpha_max(self, X, y, sw):
        _, rho, _ = self.levels(self.est, X.shape[1])
        classes = np.unique(y)
        y01 = (np.asarray(y) == classes[-1]).astype(np.float64)
        S = sw.sum()
        p0 = float(sw @ y01 / S) if self.est.fit_intercept else 0.5
        corr = X.T @ (sw * (y01 - p0)) / S
        return float(np.max(np.abs(corr)) / rho) if rho > 0 else np.inf

    def curvature(self, est, X, y, sw, cols):
        t = np.asarray(X @ est.coef_).ravel() + est.intercept_
        p = expit(t)
        return sw * p * (1.0 - p) / sw.sum(), None


class _SqrtAdapter(_L1Adapter):
    names = ("alpha", "weights")
    exclusive = (("alpha", "weights"),)

    def check(self):
        super().check()
        if isinstance(self.est.alpha, str):
            raise ValueError(
                'alpha="pivotal" is a fixed rule: set a numeric alpha (for example '
                "skreg.pivotal_alpha(n_samples, n_features)) to learn it."
            )

    def alpha_max(self, X, y, sw):
        problem = QuadraticProblem(X, np.asarray(y, dtype=np.float64), sw,
                                   self.est.fit_intercept)
        weights = getattr(self.est, "weights", None)
        amax, rho = problem.alpha_max(1.0, None if weights is None
                                      else np.asarray(weights, float), return_rho=True)
        return amax / rho if rho > 0 else np.inf

    def curvature(self, est, X, y, sw, cols):
        S = sw.sum()
        r = y - np.asarray(X @ est.coef_).ravel() - est.intercept_
        rms = float(np.sqrt(sw @ (r * r) / S))
        if rms <= 1e-12 * max(float(np.sqrt(sw @ (y * y) / S)), 1e-300):
            raise ValueError(
                "the square-root Lasso fit interpolates the training data (zero residual): "
                "its solution is not differentiable in alpha. Increase alpha."
            )
        h = sw / (S * rms)
        XS = X[:, cols]
        top = np.asarray(XS.T @ (sw * r)).ravel()
        if est.fit_intercept:
            top = np.append(top, (sw * r).sum())
        return h, top / (S * rms ** 1.5)


# ---------------------------------------------------------------------------------------------
# smooth models: ridge, kernel ridge, l2 logistic regression (scikit-learn), graph Tikhonov


class _RidgeAdapter(_Adapter):
    """:class:`sklearn.linear_model.Ridge`: ``||y - Xw - b||_s^2 + alpha ||w||^2``."""

    def check(self):
        if getattr(self.est, "positive", False):
            raise ValueError("Ridge(positive=True) is not supported.")
        if np.ndim(self.est.alpha) != 0:
            raise ValueError("Ridge with one alpha per target is not supported.")

    def linearize(self, est, X, y, sw):
        if np.ndim(est.coef_) != 1:
            raise ValueError("Ridge with several targets is not supported: y must be 1-D.")
        alpha = float(est.alpha)
        w = est.coef_
        cols = np.arange(X.shape[1])
        p = len(cols)
        return _design_linearization(
            X, cols, sw, est.fit_intercept, pen_diag=np.full(p, alpha),
            level_grads=lambda v: {"alpha": -alpha * float(w @ v[:p])}, key=("all",))


class _GraphAdapter(_Adapter):
    """:class:`skreg.GraphLaplacianRegression` with ``penalty="l2"`` (Tikhonov)."""

    def check(self):
        if self.est.penalty != "l2":
            raise ValueError(
                f'GraphLaplacianRegression supports implicit differentiation with penalty='
                f'"l2" only, got penalty={self.est.penalty!r}.'
            )
        if self.est.alpha_selection != "fixed":
            raise ValueError('GraphLaplacianRegression needs alpha_selection="fixed".')
        if self.est.solver == "cvxpy":
            raise ValueError('implicit differentiation needs solver="auto", "direct" or "cg".')

    def linearize(self, est, X, y, sw):
        alpha = float(est.alpha_)
        L = sp.csr_matrix(est.laplacian_)
        w = est.coef_
        p = X.shape[1]
        LtLw = L.T @ (L @ w)
        return _design_linearization(
            X, np.arange(p), sw, est.fit_intercept,
            pen_matvec=lambda v: alpha * (L.T @ (L @ v)),
            pen_dense=lambda: alpha * (L.T @ L).toarray(),
            level_grads=lambda v: {"alpha": -alpha * float(LtLw @ v[:p])}, key=("all",))


class _KernelRidgeAdapter(_Adapter):
    """:class:`sklearn.kernel_ridge.KernelRidge`: ``(K + alpha I) c = y`` (weighted)."""

    def check(self):
        if np.ndim(self.est.alpha) != 0:
            raise ValueError("KernelRidge with one alpha per target is not supported.")
        if callable(self.est.kernel):
            return

    def _kernel(self, est, A, B):
        params = dict(est.kernel_params or {})
        if not callable(est.kernel):
            params.update(gamma=est.gamma, degree=est.degree, coef0=est.coef0)
        return pairwise_kernels(A, B, metric=est.kernel, filter_params=True, **params)

    def linearize(self, est, X, y, sw):
        if np.ndim(est.dual_coef_) != 1:
            raise ValueError("KernelRidge with several targets is not supported: y must be 1-D.")
        alpha = float(est.alpha)
        K = self._kernel(est, est.X_fit_, est.X_fit_)
        s = np.sqrt(sw)
        M = s[:, None] * K * s[None, :]
        M[np.diag_indices_from(M)] += alpha
        z = np.divide(est.dual_coef_, s, out=np.zeros_like(s), where=s > 0)

        def rhs(X_val, g):
            return s * (self._kernel(est, X_val, est.X_fit_).T @ g)

        return Linearization(
            len(z), lambda v: M @ v, lambda: M, rhs,
            lambda v: {"alpha": -alpha * float(z @ v)}, ("all",))


class _LogisticL2Adapter(_Adapter):
    """:class:`sklearn.linear_model.LogisticRegression`, binary, l2 penalty:
    ``C sum_i s_i log(1 + exp(-y_i (x_i w + b))) + ||w||^2 / 2``."""

    names = ("C",)
    default = "C"

    def check(self):
        est = self.est
        penalty = getattr(est, "penalty", "deprecated")
        l1_ratio = getattr(est, "l1_ratio", None)
        if penalty not in ("deprecated", "l2") or (l1_ratio not in (None, 0, 0.0)
                                                   and penalty != "l2"):
            raise ValueError(
                "LogisticRegression is supported with the l2 penalty only (l1_ratio=0); "
                "use skreg.SparseLogisticRegression for l1 / elastic-net penalties."
            )
        if est.class_weight is not None:
            raise ValueError("LogisticRegression(class_weight=...) is not supported: pass "
                             "the weights as sample_weight instead.")
        if not np.isfinite(est.C):
            raise ValueError("LogisticRegression(C=inf) has no penalty to learn.")

    def converged(self, est):
        return int(np.max(est.n_iter_)) < int(est.max_iter)

    def linearize(self, est, X, y, sw):
        if len(est.classes_) != 2:
            raise ValueError("LogisticRegression is supported for binary targets only.")
        C = float(est.C)
        w = est.coef_.ravel()
        b = float(est.intercept_[0]) if est.fit_intercept else 0.0
        p = expit(np.asarray(X @ w).ravel() + b)
        h = C * sw * p * (1.0 - p)
        cols = np.arange(X.shape[1])
        k = len(cols)
        return _design_linearization(
            X, cols, h, est.fit_intercept, pen_diag=np.ones(k),
            level_grads=lambda v: {"C": float(w @ v[:k])}, key=("all",))


def _adapter_class(est):
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.linear_model import LogisticRegression, Ridge

    from ..graph import GraphLaplacianRegression
    from ..linear_model import (
        ElasticNet,
        Lasso,
        SparseLogisticRegression,
        SqrtLasso,
        WeightedLasso,
    )

    # most specific first: Lasso and WeightedLasso derive from ElasticNet
    table = [
        (WeightedLasso, _WeightedAdapter),
        (Lasso, _LassoAdapter),
        (ElasticNet, _EnetAdapter),
        (SparseLogisticRegression, _LogisticAdapter),
        (SqrtLasso, _SqrtAdapter),
        (GraphLaplacianRegression, _GraphAdapter),
        (Ridge, _RidgeAdapter),
        (KernelRidge, _KernelRidgeAdapter),
        (LogisticRegression, _LogisticL2Adapter),
    ]
    for cls, adapter in table:
        if type(est) is cls:
            return adapter
    for cls, adapter in table:
        if isinstance(est, cls):
            return adapter
    supported = ", ".join(cls.__name__ for cls, _ in table)
    raise TypeError(
        f"{type(est).__name__} is not supported by implicit differentiation: the estimator "
        f"(or a Pipeline's last step) must be one of {supported}."
    )


def get_adapter(est):
    """The adapter of a (final-step) estimator, after checking its configuration."""
    adapter = _adapter_class(est)(est)
    adapter.check()
    return adapter


def is_number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)
