"""cvxpy (Clarabel) formulations of the sparse linear models: skreg's ground truth."""

import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from scipy.special import expit

from ._objectives import (
    _as_X,
    _check_feature_weights,
    _check_labels,
    _check_penalty,
    _check_sample_weight,
    _check_y,
    _columns,
    _matvec,
    _rmatvec,
    enet_objective,
    logistic_objective,
    relative_duality_gap,
)

__all__ = ["ReferenceResult", "enet", "sparse_logistic"]

# Clarabel settings of the reference solves (names of clarabel.DefaultSettings, passed through
# cvxpy's solver options), tried in order. Clarabel's accuracy on these problems is erratic (the
# exponential cones of the logistic loss especially): the point it returns is polished (see
# _polish) and certified with the independent duality gap of skreg.reference, and the next
# setting is only tried when that gap is not small enough.
_CLARABEL_ATTEMPTS = (
    {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "tol_ktratio": 1e-10,
     "max_iter": 500},
    {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10, "tol_ktratio": 1e-8,
     "max_iter": 500},
    {},  # Clarabel's defaults (1e-8)
)
# Relative duality gap (gap / null objective) below which a solve is accepted without trying the
# next setting, and below which a point is certified optimal whatever Clarabel's status says.
_GAP_DONE = 1e-11
_GAP_CERTIFIED = 1e-9


@dataclass(frozen=True)
class ReferenceResult:
    """Solution of a reference (cvxpy) solve.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        Coefficients. Clarabel's interior point is polished by Newton's method on its active set
        when that lowers the duality gap, so zero coefficients are usually exactly 0.
    intercept : float
        Intercept (0.0 when ``fit_intercept=False``).
    objective : float
        Primal objective at ``(coef, intercept)``, recomputed in numpy with
        :func:`~skreg.reference.enet_objective` or :func:`~skreg.reference.logistic_objective`
        (not cvxpy's value).
    status : str
        ``"optimal"``: Clarabel reported the solve optimal, or the point is certified by a
        relative duality gap below 1e-9 (a solve Clarabel flagged "optimal_inaccurate" whose
        polished point is in fact exact). Anything else raises a RuntimeError instead.
    solve_time : float
        Wall-clock seconds of the whole solve: cvxpy compilation, Clarabel (all attempts),
        polishing and certification.
    dual_gap : float
        Relative duality gap of ``(coef, intercept)``:
        :func:`~skreg.reference.relative_duality_gap` (gap over the null objective).
    """

    coef: np.ndarray
    intercept: float
    objective: float
    status: str
    solve_time: float
    dual_gap: float = float("nan")


def _prepare(X, y, alpha, l1_ratio, sample_weight, weights):
    X = _as_X(X)
    n_samples, n_features = X.shape
    y = _check_y(y, n_samples)
    alpha, l1_ratio = _check_penalty(alpha, l1_ratio)
    sw = _check_sample_weight(sample_weight, n_samples)
    v = _check_feature_weights(weights, n_features)
    return X, y, alpha, l1_ratio, sw, v


def _drop_zero_weight_rows(X, y, sw):
    """Samples with zero weight do not enter the objective: remove them from the problem."""
    keep = sw > 0
    if keep.all():
        return X, y, sw
    if sp.issparse(X):
        X = sp.csr_matrix(X)
    return X[keep], y[keep], sw[keep]


def _cvxpy_matrix(X):
    """Keep sparse data sparse (CSR for the products X @ w); dense stays dense."""
    if sp.issparse(X):
        return sp.csr_matrix(X)
    return X


def _penalty_expr(cp, w, alpha, l1_ratio, v):
    terms = []
    if alpha > 0 and l1_ratio > 0:
        terms.append(alpha * l1_ratio * cp.norm1(cp.multiply(v, w)))
    if alpha > 0 and l1_ratio < 1:
        terms.append(0.5 * alpha * (1.0 - l1_ratio) * cp.sum_squares(cp.multiply(np.sqrt(v), w)))
    return terms


class _Spec:
    """The problem being solved, as the polisher and the gap certificate need it."""

    def __init__(self, model, X, y, alpha, l1_ratio, sw, v, fit_intercept, positive):
        self.model = model
        self.X, self.y, self.sw, self.v = X, y, sw, v
        self.alpha, self.l1_ratio = alpha, l1_ratio
        self.fit_intercept, self.positive = bool(fit_intercept), bool(positive)

    def objective(self, coef, intercept):
        func = enet_objective if self.model == "enet" else logistic_objective
        return func(self.X, self.y, coef, intercept, alpha=self.alpha, l1_ratio=self.l1_ratio,
                    sample_weight=self.sw, weights=self.v)

    def relative_gap(self, coef, intercept):
        return relative_duality_gap(
            self.model, self.X, self.y, coef, intercept, alpha=self.alpha,
            l1_ratio=self.l1_ratio, sample_weight=self.sw, weights=self.v,
            positive=self.positive, fit_intercept=self.fit_intercept)

    def datafit_derivatives(self, z):
        """Value, first and second derivatives (per sample) of the datafit at z = Xw + b."""
        sw, y, S = self.sw, self.y, self.sw.sum()
        if self.model == "enet":
            r = y - z
            return 0.5 * np.dot(sw, r**2) / S, -sw * r / S, sw / S
        margin = y * z
        p = expit(-margin)
        value = np.dot(sw, np.logaddexp(0.0, -margin)) / S
        return value, -sw * y * p / S, sw * p * expit(margin) / S


def _newton(spec, B, lin, ridge, u, max_iter=50):
    """Damped Newton on ``datafit(B u) + lin.u + ridge.u^2 / 2`` (smooth, convex)."""

    def value(u):
        return spec.datafit_derivatives(B @ u)[0] + lin @ u + 0.5 * ridge @ (u * u)

    for _ in range(max_iter):
        f0, d1, d2 = spec.datafit_derivatives(B @ u)
        f0 += lin @ u + 0.5 * ridge @ (u * u)
        grad = B.T @ d1 + lin + ridge * u
        hess = (B * d2[:, None]).T @ B + np.diag(ridge)
        try:
            step = -linalg.solve(hess, grad, assume_a="pos")
        except (linalg.LinAlgError, ValueError):
            step = -linalg.lstsq(hess, grad)[0]
        decrement = -grad @ step
        if not np.isfinite(decrement) or decrement <= 0:
            break
        if decrement <= 1e-12 * max(1.0, abs(f0)):
            # Quadratic-convergence region: one last full step squares the error.
            return u + step
        t = 1.0
        while t > 1e-12:
            if value(u + t * step) <= f0 - 1e-4 * t * decrement:
                break
            t *= 0.5
        else:
            break
        u = u + t * step
    return u


def _polish(spec, coef, intercept, max_rounds=10):
    """Refine an interior-point solution by Newton's method on its active set.

    On a fixed support T with fixed signs s the objective is smooth,
    ``datafit(X_T w_T + b) + sum_{j in T} alpha v_j (rho s_j w_j + (1 - rho) / 2 w_j^2)``,
    and Newton's method solves it to machine precision. Coefficients whose sign flips leave T,
    zero coefficients that violate their optimality condition enter it, until both hold. The
    caller keeps the polished point only if its duality gap is smaller.
    """
    X, positive = spec.X, spec.positive
    n_features = X.shape[1]
    pen = spec.alpha * spec.v
    kink = pen * spec.l1_ratio  # weight of |w_j| (non-differentiable at 0 when > 0)
    ridge = pen * (1.0 - spec.l1_ratio)
    # Initial support: clearly non-zero coefficients whose optimality condition is (nearly)
    # tight, |g_j| ~ kink_j (an interior point leaves every coefficient slightly non-zero).
    thresh = 1e-9 * max(1.0, np.abs(coef).max(initial=0.0))
    g = _rmatvec(X, spec.datafit_derivatives(_matvec(X, coef) + intercept)[1])
    tight = (kink == 0) | ((-g if positive else np.abs(g)) >= kink * (1.0 - 1e-4))
    in_T = ((coef > thresh) if positive else (np.abs(coef) > thresh)) & tight
    if not positive:
        in_T |= kink == 0  # smooth unconstrained coordinates are always free
    signs = np.where(coef < 0, -1.0, 1.0)
    w = np.where(in_T, coef, 0.0)
    b = intercept if spec.fit_intercept else 0.0
    for _ in range(max_rounds):
        idx = np.flatnonzero(in_T)
        B = _columns(X, idx)
        lin, rdg, u = kink[idx] * signs[idx], ridge[idx], w[idx]
        if spec.fit_intercept:
            B = np.column_stack([B, np.ones(X.shape[0])])
            lin, rdg, u = np.append(lin, 0.0), np.append(rdg, 0.0), np.append(u, b)
        u = _newton(spec, B, lin, rdg, u)
        w = np.zeros(n_features)
        w[idx] = u[: idx.size]
        if spec.fit_intercept:
            b = float(u[-1])
        # Sign changes: the smooth model was wrong there; those coefficients become zero.
        bad = in_T & (((kink > 0) & (w * signs <= 0)) | (positive & (w < 0)))
        if bad.any():
            in_T &= ~bad
            w[bad] = 0.0
            continue
        # Optimality of the zero coefficients: |g_j| <= kink_j (g_j >= -kink_j if positive).
        g = _rmatvec(X, spec.datafit_derivatives(_matvec(X, w) + b)[1])
        slack = 1e-10 * kink + 1e-14 * max(1.0, np.abs(g).max(initial=0.0))
        excess = -g if positive else np.abs(g)
        violated = ~in_T & (excess > kink + slack)
        if not violated.any():
            break
        in_T |= violated
        signs[violated] = 1.0 if positive else -np.sign(g[violated])
    return w, b


def _solve(problem, w, b, spec):
    """Solve, polish, certify with the duality gap; retry with looser settings if needed.

    Returns the best point (smallest relative duality gap) among the solves that produced one,
    with its gap. It is accepted if its relative gap is below ``_GAP_CERTIFIED`` or if Clarabel
    reported it optimal; otherwise a RuntimeError is raised.
    """
    import cvxpy as cp

    statuses, candidates = [], []
    elapsed = 0.0
    for opts in _CLARABEL_ATTEMPTS:
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                # An inaccurate solve is handled here: polished, certified or retried.
                warnings.filterwarnings("ignore", message="Solution may be inaccurate",
                                        category=UserWarning)
                # warm_start=False: a retry must not inherit the settings of the cached solver.
                problem.solve(solver=cp.CLARABEL, warm_start=False, **opts)
            status = problem.status
        except cp.error.SolverError as exc:
            status = f"solver error: {exc}"
        statuses.append(status)
        if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) and w.value is not None:
            coef = np.asarray(w.value, dtype=np.float64).ravel().copy()
            if spec.positive:
                coef = np.maximum(coef, 0.0)  # remove the interior point's rounding
            intercept = 0.0 if b is None else float(np.asarray(b.value).reshape(()))
            gap = spec.relative_gap(coef, intercept)
            with np.errstate(all="ignore"):
                try:
                    pcoef, pintercept = _polish(spec, coef, intercept)
                    pgap = spec.relative_gap(pcoef, pintercept)
                except (linalg.LinAlgError, ValueError, FloatingPointError):
                    pgap = np.inf
            if pgap < gap:
                coef, intercept, gap = pcoef, pintercept, pgap
            candidates.append((gap, status == cp.OPTIMAL, status, coef, intercept))
        elapsed += time.perf_counter() - start
        if candidates and min(c[0] for c in candidates) <= _GAP_DONE:
            break
    accepted = [c for c in candidates if c[0] <= _GAP_CERTIFIED or c[1]]
    if not accepted:
        raise RuntimeError(
            "The reference cvxpy/Clarabel solve did not reach status 'optimal' with any of its "
            f"tolerance settings (1e-12, 1e-10, defaults): statuses {statuses}; best relative "
            f"duality gap {min((c[0] for c in candidates), default=np.inf):.3g}."
        )
    gap, _, _, coef, intercept = min(accepted, key=lambda c: c[0])
    return coef, intercept, gap, elapsed


def enet(X, y, *, alpha, l1_ratio=1.0, sample_weight=None, weights=None, fit_intercept=True,
         positive=False):
    """Reference elastic-net / Lasso / weighted-Lasso solution (cvxpy + Clarabel).

    Solves exactly

    .. math::

        \\min_{w, b} \\frac{1}{2S} \\sum_{i=1}^n sw_i (y_i - x_i^\\top w - b)^2
                  + \\alpha \\sum_{j=1}^p v_j \\Big(\\rho |w_j|
                  + \\frac{1 - \\rho}{2} w_j^2\\Big)
        \\quad (\\text{s.t. } w \\geq 0 \\text{ if positive}),

    with :math:`S = \\sum_i sw_i`, :math:`\\rho` = ``l1_ratio`` and :math:`b = 0` when
    ``fit_intercept=False`` (the objective of :func:`~skreg.reference.enet_objective`). Clarabel
    runs with tolerances 1e-12 first, then 1e-10, then its defaults; each point is polished by
    Newton's method on its active set and certified with
    :func:`~skreg.reference.relative_duality_gap` (typically 1e-13 or better).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix; sparse input stays sparse in the cvxpy problem.
    y : ndarray of shape (n_samples,)
        Target.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    l1_ratio : float, default=1.0
        Mixing parameter :math:`\\rho \\in [0, 1]`; ``1`` is the Lasso.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights :math:`sw` (ones if None).
    weights : ndarray of shape (n_features,), default=None
        Non-negative penalty weights :math:`v` (ones if None); ``v_j = 0`` leaves ``w_j``
        unpenalized.
    fit_intercept : bool, default=True
        Whether to fit the (unpenalized) intercept :math:`b`.
    positive : bool, default=False
        Whether to constrain the coefficients to be non-negative.

    Returns
    -------
    result : ReferenceResult
        ``coef``, ``intercept``, ``objective`` (numpy-recomputed), ``status``, ``solve_time``,
        ``dual_gap`` (relative).

    Raises
    ------
    RuntimeError
        If no Clarabel solve (tolerances 1e-12, 1e-10, defaults) is reported optimal or
        certified by a relative duality gap below 1e-9.
    """
    import cvxpy as cp

    X, y, alpha, l1_ratio, sw, v = _prepare(X, y, alpha, l1_ratio, sample_weight, weights)
    S = sw.sum()
    Xk, yk, swk = _drop_zero_weight_rows(X, y, sw)
    sq = np.sqrt(swk)
    # sqrt(sw)-scaled rows: the datafit is a plain sum of squares (a QP for Clarabel).
    if sp.issparse(Xk):
        Xs = _cvxpy_matrix(sp.diags(sq) @ Xk)
    else:
        Xs = sq[:, None] * Xk
    w = cp.Variable(X.shape[1], nonneg=bool(positive))
    b = cp.Variable() if fit_intercept else None
    resid = sq * yk - Xs @ w
    if b is not None:
        resid = resid - b * sq
    objective = (0.5 / S) * cp.sum_squares(resid)
    for term in _penalty_expr(cp, w, alpha, l1_ratio, v):
        objective = objective + term
    problem = cp.Problem(cp.Minimize(objective))
    spec = _Spec("enet", X, y, alpha, l1_ratio, sw, v, fit_intercept, positive)
    coef, intercept, gap, elapsed = _solve(problem, w, b, spec)
    return ReferenceResult(coef, intercept, spec.objective(coef, intercept), "optimal", elapsed,
                           gap)


def sparse_logistic(X, y, *, alpha, l1_ratio=1.0, sample_weight=None, weights=None,
                    fit_intercept=True, positive=False):
    """Reference sparse (elastic-net penalized) logistic regression (cvxpy + Clarabel).

    Solves exactly

    .. math::

        \\min_{w, b} \\frac{1}{S} \\sum_{i=1}^n sw_i
                  \\log\\big(1 + e^{-y_i (x_i^\\top w + b)}\\big)
                  + \\alpha \\sum_{j=1}^p v_j \\Big(\\rho |w_j|
                  + \\frac{1 - \\rho}{2} w_j^2\\Big)
        \\quad (\\text{s.t. } w \\geq 0 \\text{ if positive}),

    with labels :math:`y_i \\in \\{-1, +1\\}`, :math:`S = \\sum_i sw_i`, :math:`\\rho` =
    ``l1_ratio`` and :math:`b = 0` when ``fit_intercept=False`` (the objective of
    :func:`~skreg.reference.logistic_objective`). The loss is written with ``cp.logistic``
    (exponential cones). Clarabel runs with tolerances 1e-12 first, then 1e-10, then its defaults;
    each point is polished by Newton's method on its active set and certified with
    :func:`~skreg.reference.relative_duality_gap` (typically 1e-13 or better).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix; sparse input stays sparse in the cvxpy problem.
    y : ndarray of shape (n_samples,)
        Labels in ``{-1, +1}``.
    alpha : float
        Regularization strength, ``alpha >= 0`` (with ``alpha = 0`` the problem may be
        unbounded on separable data).
    l1_ratio : float, default=1.0
        Mixing parameter :math:`\\rho \\in [0, 1]`.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights :math:`sw` (ones if None).
    weights : ndarray of shape (n_features,), default=None
        Non-negative penalty weights :math:`v` (ones if None); ``v_j = 0`` leaves ``w_j``
        unpenalized.
    fit_intercept : bool, default=True
        Whether to fit the (unpenalized) intercept :math:`b`.
    positive : bool, default=False
        Whether to constrain the coefficients to be non-negative.

    Returns
    -------
    result : ReferenceResult
        ``coef``, ``intercept``, ``objective`` (numpy-recomputed), ``status``, ``solve_time``,
        ``dual_gap`` (relative).

    Raises
    ------
    RuntimeError
        If no Clarabel solve (tolerances 1e-12, 1e-10, defaults) is reported optimal or
        certified by a relative duality gap below 1e-9.
    """
    import cvxpy as cp

    X, y, alpha, l1_ratio, sw, v = _prepare(X, y, alpha, l1_ratio, sample_weight, weights)
    _check_labels(y)
    S = sw.sum()
    Xk, yk, swk = _drop_zero_weight_rows(X, y, sw)
    # Rows multiplied by -y_i: the loss is sum_i sw_i logistic(-y_i x_i.w - y_i b).
    if sp.issparse(Xk):
        Xm = _cvxpy_matrix(sp.diags(-yk) @ Xk)
    else:
        Xm = -yk[:, None] * Xk
    w = cp.Variable(X.shape[1], nonneg=bool(positive))
    b = cp.Variable() if fit_intercept else None
    z = Xm @ w
    if b is not None:
        z = z - b * yk
    objective = cp.sum(cp.multiply(swk / S, cp.logistic(z)))
    for term in _penalty_expr(cp, w, alpha, l1_ratio, v):
        objective = objective + term
    problem = cp.Problem(cp.Minimize(objective))
    spec = _Spec("logistic", X, y, alpha, l1_ratio, sw, v, fit_intercept, positive)
    coef, intercept, gap, elapsed = _solve(problem, w, b, spec)
    return ReferenceResult(coef, intercept, spec.objective(coef, intercept), "optimal", elapsed,
                           gap)
