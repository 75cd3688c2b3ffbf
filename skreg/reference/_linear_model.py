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
    _check_quantile,
    _check_sample_weight,
    _check_y,
    _columns,
    _l1_dual_lp,
    _matvec,
    _rmatvec,
    enet_objective,
    lad_objective,
    logistic_objective,
    quantile_objective,
    relative_duality_gap,
    sqrt_lasso_objective,
)

__all__ = ["ReferenceResult", "enet", "lad_lasso", "quantile_lasso", "sparse_logistic",
           "sqrt_lasso"]

# Clarabel settings of the reference solves (names of clarabel.DefaultSettings, passed through
# cvxpy's solver options), tried in order. Clarabel's accuracy on these problems is erratic (the
# exponential cones of the logistic loss and the second-order cone of the square-root Lasso
# especially): the point it returns is polished (see _Spec.polish: _polish, _polish_sqrt_lasso,
# _polish_lp) and certified with the independent duality gap of skreg.reference, and the next
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
        Coefficients. Clarabel's interior point is polished on its active set when that lowers
        the duality gap (Newton's method for the smooth losses, a closed-form fixed point for the
        square-root Lasso, the LP vertex for the quantile and LAD Lasso), so zero coefficients
        are usually exactly 0.
    intercept : float
        Intercept (0.0 when ``fit_intercept=False``).
    objective : float
        Primal objective at ``(coef, intercept)``, recomputed in numpy with the model's
        objective function (:func:`~skreg.reference.enet_objective`,
        :func:`~skreg.reference.logistic_objective`,
        :func:`~skreg.reference.sqrt_lasso_objective`,
        :func:`~skreg.reference.quantile_objective` or :func:`~skreg.reference.lad_objective`;
        not cvxpy's value).
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

    def __init__(self, model, X, y, alpha, l1_ratio, sw, v, fit_intercept, positive,
                 quantile=None):
        self.model = model
        self.X, self.y, self.sw, self.v = X, y, sw, v
        self.alpha, self.l1_ratio = alpha, l1_ratio
        self.quantile = quantile
        self.fit_intercept, self.positive = bool(fit_intercept), bool(positive)

    def _model_kwargs(self):
        """Keyword arguments of the model's objective beyond alpha and the weights."""
        if self.model in ("enet", "logistic"):
            return {"l1_ratio": self.l1_ratio}
        if self.model == "quantile":
            return {"quantile": self.quantile}
        return {}

    def objective(self, coef, intercept):
        func = _OBJECTIVES[self.model]
        return func(self.X, self.y, coef, intercept, alpha=self.alpha, sample_weight=self.sw,
                    weights=self.v, **self._model_kwargs())

    def relative_gap(self, coef, intercept):
        return relative_duality_gap(
            self.model, self.X, self.y, coef, intercept, alpha=self.alpha,
            sample_weight=self.sw, weights=self.v, positive=self.positive,
            fit_intercept=self.fit_intercept, **self._model_kwargs())

    def polish(self, coef, intercept):
        """A refined candidate point (the caller keeps it only if its gap is smaller)."""
        return _POLISHERS[self.model](self, coef, intercept)

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


_OBJECTIVES = {
    "enet": enet_objective,
    "logistic": logistic_objective,
    "sqrt_lasso": sqrt_lasso_objective,
    "quantile": quantile_objective,
    "lad": lad_objective,
}


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


def _polish_sqrt_lasso(spec, coef, intercept):
    """Refine a square-root Lasso solution: exactly on its active set, or by interpolation.

    Two kinds of candidates (see :func:`_sqrt_active_set` and :func:`_sqrt_interpolation`);
    the one with the smallest relative duality gap is returned. The caller keeps it only if its
    gap is smaller than the unpolished point's.
    """
    candidates = []
    try:
        candidates.append(_sqrt_active_set(spec, coef, intercept))
    except (linalg.LinAlgError, ValueError):
        pass
    candidates.extend(_sqrt_interpolation(spec, coef, intercept))
    if not candidates:
        return coef, intercept
    gaps = [spec.relative_gap(w, b) for w, b in candidates]
    return candidates[int(np.argmin(gaps))]


def _sqrt_interpolation(spec, coef, intercept):
    """Interpolating candidates, for a solution whose residual (nearly) vanishes.

    For ``p > n`` and small ``alpha`` the square-root Lasso solution interpolates the data (a
    basis-pursuit solution); the interior point leaves ~1e-9 everywhere. For a few thresholds,
    the coefficients above it (and the unpenalized ones and the intercept) are fitted to the
    data by weighted least squares, which interpolates when they are at most as many as the
    samples.
    """
    X, positive, fit_intercept = spec.X, spec.positive, spec.fit_intercept
    sw = spec.sw
    b0 = 0.0 if fit_intercept else intercept
    target = spec.y - b0
    r = target - _matvec(X, coef) - (intercept if fit_intercept else 0.0)
    scale = np.sqrt(np.dot(sw, target**2))
    if np.sqrt(np.dot(sw, r**2)) > 1e-6 * scale:
        return []
    sq = np.sqrt(sw)
    n_eff = np.count_nonzero(sw)
    out, seen = [], set()
    mag = coef if positive else np.abs(coef)
    for t in (1e-4, 1e-6, 1e-8):
        nz = np.flatnonzero((mag > t * mag.max(initial=0.0)) | (spec.v == 0))
        if nz.size + fit_intercept > n_eff or tuple(nz) in seen:
            continue
        seen.add(tuple(nz))
        B = _columns(X, nz)
        if fit_intercept:
            B = np.column_stack([B, np.ones(X.shape[0])])
        u = np.linalg.lstsq(sq[:, None] * B, sq * target, rcond=None)[0]
        w = np.zeros(X.shape[1])
        w[nz] = u[: nz.size]
        if positive and np.any(w < 0):
            continue
        out.append((w, float(u[-1]) if fit_intercept else intercept))
    return out


def _sqrt_active_set(spec, coef, intercept, max_rounds=50):
    """Refine a square-root Lasso solution exactly on its active set.

    On a support T with signs s (and the intercept and unpenalized features free) the optimality
    conditions of the square-root Lasso, :math:`X_T^\\top W r = S \\alpha \\sigma v_T s_T` with
    :math:`W = \\mathrm{diag}(sw)` and :math:`\\sigma = \\sqrt{r^\\top W r / S}`, are those of
    the Lasso at :math:`\\lambda = \\alpha \\sigma` (the concomitant characterization). The
    Lasso's weighted normal equations give :math:`u(\\lambda) = u_0 - \\lambda u_1` (affine), so
    :math:`\\sigma(\\lambda)^2` is a quadratic in :math:`\\lambda` and the fixed point
    :math:`\\lambda = \\alpha \\sigma(\\lambda)` is the non-negative root of a quadratic
    equation: no iteration. As in :func:`_polish`, coefficients whose sign flips leave T and zero
    coefficients that violate their optimality condition enter it (one at a time).
    Rank-deficient active sets (duplicated columns) get the minimum-norm solution.
    """
    X, positive, fit_intercept = spec.X, spec.positive, spec.fit_intercept
    sw, S, alpha = spec.sw, spec.sw.sum(), spec.alpha
    n_samples, n_features = X.shape
    sq = np.sqrt(sw)
    pen = alpha * spec.v
    b0 = 0.0 if fit_intercept else intercept
    target = spec.y - b0
    # Initial support: clearly non-zero coefficients whose optimality condition is (nearly)
    # tight, |X_j^T W r| ~ S alpha sigma v_j (an interior point leaves every coefficient slightly
    # non-zero).
    r = target - _matvec(X, coef) - (intercept if fit_intercept else 0.0)
    sigma = np.sqrt(np.dot(sw, r**2) / S)
    g = _rmatvec(X, sw * r) / S
    thresh = 1e-9 * max(1.0, np.abs(coef).max(initial=0.0))
    # (Clarabel's SOCP solutions satisfy the optimality conditions only to ~1e-3.)
    tight = (pen == 0) | ((g if positive else np.abs(g)) >= pen * sigma * (1.0 - 1e-2))
    in_T = ((coef > thresh) if positive else (np.abs(coef) > thresh)) & tight
    if not positive:
        in_T |= pen == 0
    signs = np.where(coef < 0, -1.0, 1.0)
    w, b = coef, intercept
    for _ in range(max_rounds):
        idx = np.flatnonzero(in_T)
        B = _columns(X, idx)
        c = spec.v[idx] * signs[idx]  # X_T^T W r = S lam v_T s_T
        if fit_intercept:
            B = np.column_stack([B, np.ones(n_samples)])
            c = np.append(c, 0.0)
        # Weighted least squares by SVD: minimum-norm solutions where the active set is
        # rank-deficient (duplicated columns, more coefficients than samples).
        U, sv, Vt = np.linalg.svd(sq[:, None] * B, full_matrices=False)
        rank = int(np.sum(sv > sv.max(initial=0.0) * max(B.shape) * np.finfo(float).eps))
        U, sv, Vt = U[:, :rank], sv[:rank], Vt[:rank]
        u0 = Vt.T @ ((U.T @ (sq * target)) / sv)
        u1 = S * (Vt.T @ ((Vt @ c) / sv**2))
        r0 = target - B @ u0
        r1 = B @ u1  # r(lam) = r0 + lam r1
        qa, qb, qc = (np.dot(sw, r0 * r0) / S, np.dot(sw, r0 * r1) / S,
                      np.dot(sw, r1 * r1) / S)
        # lam^2 = alpha^2 (qa + 2 qb lam + qc lam^2), lam >= 0
        a2 = alpha**2
        denom = 1.0 - a2 * qc
        if not denom > 0:
            raise ValueError("no fixed point on this support")
        half = a2 * qb
        disc = np.sqrt(max(half * half + denom * a2 * qa, 0.0))
        if half >= 0:
            lam = (half + disc) / denom
        else:
            lam = a2 * qa / (disc - half) if disc - half > 0 else 0.0
        u = u0 - lam * u1
        w = np.zeros(n_features)
        w[idx] = u[: idx.size]
        b = float(u[-1]) if fit_intercept else intercept
        bad = in_T & (((pen > 0) & (w * signs <= 0)) | (positive & (w < 0)))
        if bad.any():
            in_T &= ~bad
            w[bad] = 0.0
            continue
        r = target - _matvec(X, w) - (b if fit_intercept else 0.0)
        g = _rmatvec(X, sw * r) / S  # optimality: |g_j| <= lam v_j (g_j <= lam v_j if positive)
        bound = lam * spec.v
        slack = 1e-10 * bound + 1e-14 * max(1.0, np.abs(g).max(initial=0.0))
        excess = g if positive else np.abs(g)
        violated = ~in_T & (excess > bound + slack)
        if not violated.any():
            break
        # One at a time, the most violated first (relative to its bound): of two duplicated
        # columns only the one with the smaller penalty weight must enter.
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(violated, excess / bound, -np.inf)
        j = int(np.argmax(ratio))
        in_T[j] = True
        signs[j] = 1.0 if positive else np.sign(g[j])
    return w, b


def _polish_lp(spec, coef, intercept):
    """Move an interior-point solution of the quantile / LAD Lasso LP onto a vertex.

    At a (non-degenerate) vertex of the LP the non-zero coefficients (and the intercept) are
    determined by as many interpolated samples, :math:`y_i = x_i^\\top w + b`. Clarabel's point
    is within ~1e-8 of it: for a few thresholds, the coefficients above the threshold are the
    non-zero ones, the samples with the smallest residuals are the interpolated ones, and the
    square linear system is solved. One more candidate is the vertex HiGHS finds on the dual LP
    (the primal solution read from its marginals), for degenerate problems whose optimal face is
    not a single point (Clarabel then returns its centre). The candidate with the smallest
    (exact, LP-based) duality gap is returned; the caller keeps it only if its gap is smaller
    than Clarabel's.
    """
    X, fit_intercept, positive = spec.X, spec.fit_intercept, spec.positive
    n_features = X.shape[1]
    b0 = 0.0 if fit_intercept else intercept
    target = spec.y - b0
    r = target - _matvec(X, coef) - (intercept if fit_intercept else 0.0)
    weighted = np.flatnonzero(spec.sw > 0)
    order = weighted[np.argsort(np.abs(r[weighted]), kind="stable")]
    scale = np.abs(coef).max(initial=0.0)
    best, seen = (np.inf, coef, intercept), set()
    for t in (1e-4, 1e-6, 1e-8):
        nz = np.flatnonzero((coef if positive else np.abs(coef)) > t * scale)
        k = nz.size + fit_intercept
        if k > order.size:
            continue
        rows = np.sort(order[:k])
        key = (tuple(nz), tuple(rows))
        if key in seen:
            continue
        seen.add(key)
        B = _columns(X, nz)[rows] if nz.size else np.zeros((k, 0))
        if fit_intercept:
            B = np.column_stack([B, np.ones(k)])
        w = np.zeros(n_features)
        b = intercept
        if k:
            if np.linalg.matrix_rank(B) < k:
                continue
            u = linalg.solve(B, target[rows])
            w[nz] = u[: nz.size]
            if fit_intercept:
                b = float(u[-1])
        if positive and np.any(w < 0):
            continue
        gap = spec.relative_gap(w, b)
        if gap < best[0]:
            best = (gap, w, b)
    # The vertex found by the simplex method on the dual LP (HiGHS), read from its marginals:
    # exact where Clarabel's point is the centre of a non-unique (degenerate) optimal face.
    tau, alpha = (0.5, spec.alpha / 2.0) if spec.model == "lad" else (spec.quantile, spec.alpha)
    S = spec.sw.sum()
    _, w, b = _l1_dual_lp(X, target, (tau - 1.0) * spec.sw / S, tau * spec.sw / S,
                          alpha * spec.v, positive, fit_intercept)
    if positive:
        w = np.maximum(w, 0.0)
    b = intercept if b is None else b
    gap = spec.relative_gap(w, b)
    if gap < best[0]:
        best = (gap, w, b)
    return best[1], best[2]


_POLISHERS = {
    "enet": _polish,
    "logistic": _polish,
    "sqrt_lasso": _polish_sqrt_lasso,
    "quantile": _polish_lp,
    "lad": _polish_lp,
}


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
                    pcoef, pintercept = spec.polish(coef, intercept)
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


def sqrt_lasso(X, y, *, alpha, sample_weight=None, weights=None, fit_intercept=True,
               positive=False):
    """Reference square-root Lasso solution (cvxpy + Clarabel).

    Solves exactly

    .. math::

        \\min_{w, b} \\sqrt{\\frac{1}{S} \\sum_{i=1}^n sw_i (y_i - x_i^\\top w - b)^2}
                  + \\alpha \\sum_{j=1}^p v_j |w_j|
        \\quad (\\text{s.t. } w \\geq 0 \\text{ if positive}),

    with :math:`S = \\sum_i sw_i` and :math:`b = 0` when ``fit_intercept=False`` (the objective
    of :func:`~skreg.reference.sqrt_lasso_objective`), written as ``cp.norm`` of the
    :math:`\\sqrt{sw_i / S}`-scaled residual (a second-order cone program). Clarabel runs with
    tolerances 1e-12 first, then 1e-10, then its defaults; each point is polished exactly on its
    active set (the square-root Lasso solution is the Lasso solution at
    :math:`\\lambda = \\alpha \\sigma`, :math:`\\sigma` the root mean squared residual, a fixed
    point solved in closed form) and certified with
    :func:`~skreg.reference.relative_duality_gap` (``"sqrt_lasso"``; typically 1e-13 or
    better, where Clarabel alone reaches 1e-9 to 1e-4). For ``p > n`` (or noise-free data) and
    small ``alpha`` the solution interpolates the data; the polished point is then the
    interpolant on the support, and the gap uses the optimal dual point of the interpolation
    face (see :func:`~skreg.reference.sqrt_lasso_duality_gap`).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix; sparse input stays sparse in the cvxpy problem.
    y : ndarray of shape (n_samples,)
        Target.
    alpha : float
        Regularization strength, ``alpha >= 0``.
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

    X, y, alpha, _, sw, v = _prepare(X, y, alpha, 1.0, sample_weight, weights)
    S = sw.sum()
    Xk, yk, swk = _drop_zero_weight_rows(X, y, sw)
    sq = np.sqrt(swk / S)
    if sp.issparse(Xk):
        Xs = _cvxpy_matrix(sp.diags(sq) @ Xk)
    else:
        Xs = sq[:, None] * Xk
    w = cp.Variable(X.shape[1], nonneg=bool(positive))
    b = cp.Variable() if fit_intercept else None
    resid = sq * yk - Xs @ w
    if b is not None:
        resid = resid - b * sq
    objective = cp.norm(resid, 2)
    for term in _penalty_expr(cp, w, alpha, 1.0, v):
        objective = objective + term
    problem = cp.Problem(cp.Minimize(objective))
    spec = _Spec("sqrt_lasso", X, y, alpha, 1.0, sw, v, fit_intercept, positive)
    coef, intercept, gap, elapsed = _solve(problem, w, b, spec)
    return ReferenceResult(coef, intercept, spec.objective(coef, intercept), "optimal", elapsed,
                           gap)


def _pinball_lasso(model, X, y, alpha, quantile, sample_weight, weights, fit_intercept,
                   positive):
    """Quantile (``model="quantile"``) or LAD (``"lad"``) Lasso as an LP for Clarabel."""
    import cvxpy as cp

    X, y, alpha, _, sw, v = _prepare(X, y, alpha, 1.0, sample_weight, weights)
    S = sw.sum()
    Xk, yk, swk = _drop_zero_weight_rows(X, y, sw)
    w = cp.Variable(X.shape[1], nonneg=bool(positive))
    b = cp.Variable() if fit_intercept else None
    resid = yk - _cvxpy_matrix(Xk) @ w
    if b is not None:
        resid = resid - b
    if model == "lad":
        loss = cp.abs(resid)
    else:
        loss = quantile * cp.pos(resid) + (1.0 - quantile) * cp.neg(resid)
    objective = cp.sum(cp.multiply(swk / S, loss))
    for term in _penalty_expr(cp, w, alpha, 1.0, v):
        objective = objective + term
    problem = cp.Problem(cp.Minimize(objective))
    spec = _Spec(model, X, y, alpha, 1.0, sw, v, fit_intercept, positive, quantile=quantile)
    coef, intercept, gap, elapsed = _solve(problem, w, b, spec)
    return ReferenceResult(coef, intercept, spec.objective(coef, intercept), "optimal", elapsed,
                           gap)


def quantile_lasso(X, y, *, alpha, quantile=0.5, sample_weight=None, weights=None,
                   fit_intercept=True, positive=False):
    """Reference quantile (pinball-loss) Lasso solution (cvxpy + Clarabel).

    Solves exactly

    .. math::

        \\min_{w, b} \\frac{1}{S} \\sum_{i=1}^n sw_i \\rho_\\tau(y_i - x_i^\\top w - b)
                  + \\alpha \\sum_{j=1}^p v_j |w_j|
        \\quad (\\text{s.t. } w \\geq 0 \\text{ if positive}),

    with :math:`\\rho_\\tau(u) = u (\\tau - \\mathbb{1}[u < 0])`, :math:`\\tau` = ``quantile``,
    :math:`S = \\sum_i sw_i` and :math:`b = 0` when ``fit_intercept=False`` (the objective of
    :func:`~skreg.reference.quantile_objective`, and of
    :class:`~sklearn.linear_model.QuantileRegressor`). The loss is written with ``cp.pos`` and
    ``cp.neg``, so Clarabel receives a linear program. Clarabel runs with tolerances 1e-12 first,
    then 1e-10, then its defaults; each interior point is moved onto the LP vertex it
    approximates (the non-zero coefficients and the intercept solved from as many interpolated
    samples) when that lowers the gap, and certified with
    :func:`~skreg.reference.relative_duality_gap` (``"quantile"``: the exact suboptimality,
    from the dual LP solved by HiGHS; typically 1e-15 at a vertex).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix; sparse input stays sparse in the cvxpy problem.
    y : ndarray of shape (n_samples,)
        Target.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    quantile : float, default=0.5
        The quantile :math:`\\tau`, ``0 < quantile < 1``.
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
    quantile = _check_quantile(quantile)
    return _pinball_lasso("quantile", X, y, alpha, quantile, sample_weight, weights,
                          fit_intercept, positive)


def lad_lasso(X, y, *, alpha, sample_weight=None, weights=None, fit_intercept=True,
              positive=False):
    """Reference LAD (least absolute deviation) Lasso solution (cvxpy + Clarabel).

    Solves exactly

    .. math::

        \\min_{w, b} \\frac{1}{S} \\sum_{i=1}^n sw_i |y_i - x_i^\\top w - b|
                  + \\alpha \\sum_{j=1}^p v_j |w_j|
        \\quad (\\text{s.t. } w \\geq 0 \\text{ if positive}),

    with :math:`S = \\sum_i sw_i` and :math:`b = 0` when ``fit_intercept=False`` (the objective
    of :func:`~skreg.reference.lad_objective`). This is twice the quantile Lasso objective at
    ``quantile=0.5`` and ``alpha / 2``: the two problems have the same solutions, and
    :class:`~sklearn.linear_model.QuantileRegressor` ``(quantile=0.5, alpha=alpha / 2)``
    solves it. Written with ``cp.abs`` (a linear program for Clarabel), polished onto the LP
    vertex and certified as :func:`quantile_lasso` is.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Design matrix; sparse input stays sparse in the cvxpy problem.
    y : ndarray of shape (n_samples,)
        Target.
    alpha : float
        Regularization strength, ``alpha >= 0``.
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
    return _pinball_lasso("lad", X, y, alpha, None, sample_weight, weights, fit_intercept,
                          positive)
