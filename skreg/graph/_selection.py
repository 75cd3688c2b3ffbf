r"""Choice of ``alpha``: the discrepancy principle and generalized cross-validation (GCV).

Both need the residual norm :math:`\|r_\alpha\|` of the regularized solution as a function of
``alpha`` (non-decreasing for any convex penalty), and GCV needs the trace of the influence
matrix :math:`H_\alpha = A (A^\top A + \alpha G^\top G)^{-1} A^\top` (Tikhonov only).

For the direct back end, the pencil :math:`(A^\top A, G^\top G)` is diagonalized once
(:class:`_Pencil`) and every ``alpha`` then costs ``O(p)``; otherwise each ``alpha`` is a
warm-started solve and the trace is estimated with Hutchinson's estimator.
"""

import warnings

import numpy as np
import scipy.linalg as sla
from scipy.optimize import brentq, minimize_scalar
from sklearn.utils import check_random_state

__all__ = []

#: GCV scans ``alpha`` over this many decades on each side of the balanced value.
GCV_DECADES = 8


class _Pencil:
    r"""Simultaneous diagonalization of ``M = A^T A`` and ``N = G^T G``.

    With :math:`B = M / s_M + N / s_N` (``s`` the mean diagonals) and the generalized
    eigenpairs :math:`N V / s_N = B V \mathrm{diag}(\mu)`, :math:`V^\top B V = I`:
    :math:`M + \alpha N = s_M V^{-\top} \mathrm{diag}(m + \beta \mu) V^{-1}` with
    :math:`m = \mathrm{diag}(V^\top M V) / s_M = 1 - \mu` and
    :math:`\beta = \alpha s_N / s_M`. When ``A`` and ``G`` share a null vector, ``B`` is
    singular: a tiny ridge makes it definite, the shared null directions (where the ridge
    carries the whole of ``B``) get ``m = mu = 0`` and are left out, which gives the
    least-norm minimizer.
    """

    #: directions with ``m + beta mu`` below this (relative to 1) are null directions
    NULL_TOL = 1e-10

    def __init__(self, M, N, rhs, t_norm_sq):
        p = M.shape[0]
        self.s_m = max(np.trace(M) / p, np.finfo(float).tiny)
        self.s_n = max(np.trace(N) / p, np.finfo(float).tiny)
        B = M / self.s_m + N / self.s_n
        try:
            mu, V = sla.eigh(N / self.s_n, B, check_finite=False)
            m = 1.0 - mu
        except sla.LinAlgError:
            ridge = 1e-12 * np.trace(B) / p
            B[np.diag_indices(p)] += ridge
            mu, V = sla.eigh(N / self.s_n, B, check_finite=False)
            # V^T (M/s_M + N/s_N + ridge I) V = I: the ridge share of each direction tells
            # the shared null vectors (share ~1) from the others (share ~1e-12)
            share = ridge * np.einsum("ij,ij->j", V, V)
            null = share > 0.5
            m = np.where(null, 0.0, 1.0 - mu - share)
            mu = np.where(null, 0.0, mu)
            if null.any():  # projected out of every coefficient vector: the least-norm one
                self._null_basis = np.linalg.qr(V[:, null])[0]
        self.mu = np.clip(mu, 0.0, None)
        self.m = np.clip(m, 0.0, None)
        self.V = V
        self.z = V.T @ rhs
        self.t_norm_sq = t_norm_sq

    def _d(self, alpha):
        beta = alpha * self.s_n / self.s_m
        denom = self.m + beta * self.mu
        ok = denom > self.NULL_TOL
        return np.where(ok, 1.0 / (self.s_m * np.where(ok, denom, 1.0)), 0.0)

    _null_basis = None

    def coef(self, alpha):
        w = self.V @ (self._d(alpha) * self.z)
        if self._null_basis is not None:
            w -= self._null_basis @ (self._null_basis.T @ w)
        return w

    def residual_sq(self, alpha):
        d = self._d(alpha)
        z2 = self.z**2
        val = self.t_norm_sq - 2.0 * np.dot(d, z2) + self.s_m * np.dot(d * d * self.m, z2)
        return max(val, 0.0)

    def trace(self, alpha):
        return float(np.sum(self.s_m * self._d(alpha) * self.m))

    def balanced_alpha(self):
        return self.s_m / self.s_n


def discrepancy_alpha(residual, target, alpha0, *, rtol=1e-3, max_expand=40):
    """The ``alpha`` whose residual norm equals ``target`` (root in ``log(alpha)``).

    ``residual(alpha)`` is non-decreasing. The bracket is grown by factors of 10 from
    ``alpha0``; when ``target`` is out of reach (below the residual as ``alpha -> 0`` or above
    it as ``alpha -> inf``) the closest end is returned with a warning.
    """
    cache = {}

    def f(log_a):
        if log_a not in cache:
            cache[log_a] = residual(np.exp(log_a)) - target
        return cache[log_a]

    lo = hi = np.log(alpha0)
    f0 = f(lo)
    if f0 == 0.0:
        return alpha0
    step = np.log(10.0)
    if f0 > 0.0:
        for _ in range(max_expand):
            lo -= step
            if f(lo) <= 0.0:
                break
        else:
            warnings.warn(
                "discrepancy principle: the target tau * noise_level is below the residual "
                f"of every alpha down to {np.exp(lo):.3g}; using that alpha.",
                UserWarning,
                stacklevel=3,
            )
            return float(np.exp(lo))
        hi = lo + step
    else:
        for _ in range(max_expand):
            hi += step
            if f(hi) >= 0.0:
                break
        else:
            warnings.warn(
                "discrepancy principle: the target tau * noise_level exceeds the residual of "
                f"every alpha up to {np.exp(hi):.3g} (noise_level larger than the data?); "
                "using that alpha.",
                UserWarning,
                stacklevel=3,
            )
            return float(np.exp(hi))
        lo = hi - step
    log_a = brentq(f, lo, hi, xtol=rtol, rtol=1e-12)
    return float(np.exp(log_a))


def _gcv_value(n, res_sq, dof):
    """``n ||r||^2 / dof^2``; +inf when (almost) no degree of freedom is left (interpolation
    of an underdetermined problem would otherwise score 0/0 -> 0 and win)."""
    if dof <= 1e-6 * n:
        return np.inf
    return n * res_sq / dof**2


def _gcv_minimize(gcv, center, n_grid):
    """Minimize ``gcv(log_alpha)`` by a log-grid scan and a bounded refinement."""
    grid = center + np.linspace(-GCV_DECADES, GCV_DECADES, n_grid) * np.log(10.0)
    values = np.array([gcv(g) for g in grid])
    k = int(np.argmin(values))
    lo = grid[max(k - 1, 0)]
    hi = grid[min(k + 1, n_grid - 1)]
    if hi > lo:
        opt = minimize_scalar(gcv, bounds=(lo, hi), method="bounded",
                              options={"xatol": 1e-3})
        if opt.fun <= values[k]:
            return float(np.exp(opt.x))
    return float(np.exp(grid[k]))


def gcv_alpha_direct(pencil, n_samples, fit_intercept):
    r"""GCV minimizer :math:`n \|r_\alpha\|^2 / (n - \mathrm{tr} H_\alpha)^2` via the pencil."""
    extra = 1.0 if fit_intercept else 0.0

    def gcv(log_a):
        a = np.exp(log_a)
        dof = n_samples - pencil.trace(a) - extra
        return _gcv_value(n_samples, pencil.residual_sq(a), dof)

    return _gcv_minimize(gcv, np.log(pencil.balanced_alpha()), 8 * GCV_DECADES + 1)


def gcv_alpha_cg(design, system, n_probes, random_state, tol):
    r"""GCV with Hutchinson's estimate of :math:`\mathrm{tr} H_\alpha` (Rademacher probes).

    The same probes serve every ``alpha`` (a smooth GCV curve); each evaluation costs
    ``1 + n_probes`` warm-started conjugate-gradient solves.
    """
    rng = check_random_state(random_state)
    n = design.n_samples
    probes = rng.choice(np.array([-1.0, 1.0]), size=(n_probes, n))
    rhs_probes = [design.tdot(v) for v in probes]
    rhs = design.tdot(design.t)
    starts = [None] * (n_probes + 1)
    extra = 1.0 if design.fit_intercept else 0.0
    scale = np.mean(system.diag_m) / max(np.mean(system.diag_n), np.finfo(float).tiny)

    def gcv(log_a):
        a = np.exp(log_a)
        coef, _ = system.solve(rhs, a, x0=starts[0], rtol=tol, from_start=False)
        starts[0] = coef
        res_sq = float(np.sum((design.dot(coef) - design.t) ** 2))
        tr = 0.0
        for k in range(n_probes):
            sol, _ = system.solve(rhs_probes[k], a, x0=starts[k + 1], rtol=tol, from_start=False)
            starts[k + 1] = sol
            tr += float(np.dot(rhs_probes[k], sol))
        dof = n - tr / n_probes - extra
        return _gcv_value(n, res_sq, dof)

    return _gcv_minimize(gcv, np.log(max(scale, np.finfo(float).tiny)), 2 * GCV_DECADES + 1)
