r"""Accelerated (projected) gradient for Cauchy-Schwarz-regularized problems (numba).

One kernel, :func:`minimize_cs`, minimizes

.. math:: F(x) = \tfrac12 x^\top H x - c^\top x + \alpha\, r(x)
          \quad \text{subject to } x \in \{x_{ls} + \ker A\},

where ``r`` is a Cauchy-Schwarz regularizer (:func:`._regularizers.cs_value_grad`). It serves
both uses in skreg:

* recovery (:func:`cs_recover`): ``H`` empty (no data term), ``alpha = 1`` and the affine set
  ``{Ax = b}`` given by an orthonormal basis ``Q`` of the row space of ``A`` and the
  least-norm solution ``x_ls``: the projection is ``x - Q Q^T x + x_ls`` and the projected
  gradient ``(I - Q Q^T) grad``;
* regression (:class:`CSRegression`): ``H = X^T S X / sum(s)``, ``c = X^T S y / sum(s)`` and no
  constraint (``Q`` with no columns).

The method is Nesterov's accelerated gradient with backtracking on the step (the regularizers
are quartic or higher: their gradients have no global Lipschitz constant) and the adaptive
"function" restart of O'Donoghue and Candes (momentum is dropped when F increases), so F
can increase only at the step that drops the momentum.
"""

import numpy as np
from numba import njit, prange

from .._kernels.linalg import norm2
from ._regularizers import cs_value_grad

# stop modes
RELATIVE_TO_BOUND = 0  # ||grad|| ||x|| <= tol * (Cauchy-Schwarz bound): scale-free, recovery
RELATIVE_TO_DATA = 1  # ||grad|| <= tol * gscale: regression (gscale = ||c||)
#: reproject onto the affine set every this many iterations (rounding drift)
REPROJECT_EVERY = 100
#: sin^2 = r / bound at which r is rounding noise (a difference of two numbers of the size of
#: the bound): the structure is found to machine precision and the gradient test, whose
#: terms also cancel, may never be met
SIN2_FLOOR = 5e-16


@njit(cache=True, nogil=True)
def _objective(x, code, C, K, normalized, alpha, H, c, grad, tmp):
    value, bound = cs_value_grad(x, code, C, K, normalized, tmp)
    F = alpha * value
    for i in range(x.shape[0]):
        grad[i] = alpha * tmp[i]
    if H.shape[0] > 0:
        Hx = H @ x
        for i in range(x.shape[0]):
            F += x[i] * (0.5 * Hx[i] - c[i])
            grad[i] += Hx[i] - c[i]
    return F, value, bound


@njit(cache=True, nogil=True)
def _project_tangent(g, Q):
    """``g <- g - Q Q^T g``: the component of g in the null space of A."""
    if Q.shape[1] == 0:
        return
    t = Q.T @ g
    g -= Q @ t


@njit(cache=True, nogil=True)
def _project_affine(x, Q, xls):
    """``x <- x - Q Q^T x + x_ls``: the closest point of {Ax = b}."""
    if Q.shape[1] == 0:
        return
    t = Q.T @ x
    x -= Q @ t
    x += xls


@njit(cache=True, nogil=True)
def _stopped(g, x, r, bound, stop_mode, tol, gscale):
    gnorm = norm2(g)
    if stop_mode == RELATIVE_TO_BOUND:
        return gnorm * norm2(x) <= tol * bound or r <= SIN2_FLOOR * bound
    return gnorm <= tol * gscale


@njit(cache=True, nogil=True)
def minimize_cs(x0, code, C, K, normalized, alpha, H, c, Q, xls, stop_mode, gscale,
                max_iter, tol):
    """Minimize ``F`` from ``x0`` (first projected onto the affine set).

    Returns ``(x, F, r, bound, n_iter, converged)``: the last iterate, the objective, the
    regularizer value ``r(x)`` and its Cauchy-Schwarz bound (``r / bound = sin^2``), the
    number of iterations and whether the gradient test was met (in recovery also: ``sin^2``
    at the rounding floor ``SIN2_FLOOR``). ``x0`` is not modified.
    """
    n = x0.shape[0]
    x = x0.copy()
    _project_affine(x, Q, xls)
    gx = np.empty(n)
    tmp = np.empty(n)
    Fx, rx, bx = _objective(x, code, C, K, normalized, alpha, H, c, gx, tmp)
    _project_tangent(gx, Q)
    if _stopped(gx, x, rx, bx, stop_mode, tol, gscale):
        return x, Fx, rx, bx, 0, True
    # initial curvature estimate: a secant along the gradient
    gnorm = norm2(gx)
    xnorm = norm2(x)
    h = 1e-4 * (xnorm if xnorm > 0.0 else 1.0) / gnorm
    xt = x - h * gx
    gt = np.empty(n)
    _objective(xt, code, C, K, normalized, alpha, H, c, gt, tmp)
    _project_tangent(gt, Q)
    L = norm2(gt - gx) / (h * gnorm)
    if not (L > 0.0) or not np.isfinite(L):
        L = 1.0
    L_min = 1e-30
    y = x.copy()
    gy = gx.copy()
    Fy = Fx
    xn = np.empty(n)
    gn = np.empty(n)
    t = 1.0
    for it in range(1, max_iter + 1):
        gy2 = 0.0
        for i in range(n):
            gy2 += gy[i] * gy[i]
        # F is a difference of terms of the size of the Cauchy-Schwarz bound: accept
        # decreases below that rounding level
        slack = 1e-13 * (abs(Fy) + alpha * bx)
        stalled = False
        while True:
            for i in range(n):
                xn[i] = y[i] - gy[i] / L
            Fn, rn, bn = _objective(xn, code, C, K, normalized, alpha, H, c, gn, tmp)
            if Fn <= Fy - 0.5 * gy2 / L + slack:
                break
            L *= 2.0
            if L > 1e300:
                stalled = True
                break
        if stalled:  # no decrease possible at machine precision: return the best point
            return x, Fx, rx, bx, it, False
        if stop_mode == RELATIVE_TO_BOUND and it % REPROJECT_EVERY == 0:
            _project_affine(xn, Q, xls)
            Fn, rn, bn = _objective(xn, code, C, K, normalized, alpha, H, c, gn, tmp)
        _project_tangent(gn, Q)
        if Fn > Fx:  # function restart: drop the momentum
            t = 1.0
            for i in range(n):
                y[i] = xn[i]
                gy[i] = gn[i]
            Fy = Fn
        else:
            t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_next
            t = t_next
            for i in range(n):
                y[i] = xn[i] + beta * (xn[i] - x[i])
            Fy, _, _ = _objective(y, code, C, K, normalized, alpha, H, c, gy, tmp)
            _project_tangent(gy, Q)
        for i in range(n):
            x[i] = xn[i]
            gx[i] = gn[i]
        Fx, rx, bx = Fn, rn, bn
        if _stopped(gx, x, rx, bx, stop_mode, tol, gscale):
            return x, Fx, rx, bx, it, True
        L = max(0.9 * L, L_min)
    return x, Fx, rx, bx, max_iter, False


_EMPTY_H = np.zeros((0, 0))
_EMPTY_C = np.zeros(0)


@njit(cache=True, nogil=True)
def _sin2(r, bound):
    if bound > 0.0:
        return r / bound
    return 0.0 if r <= 0.0 else np.inf


@njit(parallel=True, cache=True, nogil=True)
def recover_batch(Qs, xls, problem_basis, task_problem, X0, code, C, K, max_iter, tol,
                  zero_tol):
    """CS recovery of many problems, one task per ``prange`` iteration.

    Task ``t`` solves problem ``p = task_problem[t]`` (affine set: basis
    ``Qs[problem_basis[p]]``, least-norm solution ``xls[p]``) from the starting points
    ``X0[t, 0], X0[t, 1], ...`` in turn, keeps the one with the smallest ``sin^2`` and stops
    early once ``sin^2 <= zero_tol`` (the structure is found). Returns ``x (T, N)``,
    ``value, sin2 (T,)``, ``n_iter`` (summed over restarts), ``converged`` (of the kept
    run: the gradient test, or ``sin2 <= zero_tol``) and ``restart`` (index of the kept run).
    """
    T, R, N = X0.shape
    out_x = np.empty((T, N))
    out_value = np.empty(T)
    out_sin2 = np.empty(T)
    out_iter = np.zeros(T, dtype=np.int64)
    out_conv = np.zeros(T, dtype=np.bool_)
    out_restart = np.zeros(T, dtype=np.int64)
    for t in prange(T):
        p = task_problem[t]
        Q = Qs[problem_basis[p]]
        best = np.inf
        for r in range(R):
            x, _, val, bound, it, conv = minimize_cs(
                X0[t, r], code, C, K, False, 1.0, _EMPTY_H, _EMPTY_C, Q, xls[p],
                RELATIVE_TO_BOUND, 0.0, max_iter, tol)
            out_iter[t] += it
            s2 = _sin2(val, bound)
            conv = conv or s2 <= zero_tol  # the structure is found
            if s2 < best or r == 0:
                best = s2
                out_x[t] = x
                out_value[t] = val
                out_sin2[t] = s2
                out_conv[t] = conv
                out_restart[t] = r
            if best <= zero_tol:
                break
    return out_x, out_value, out_sin2, out_iter, out_conv, out_restart
