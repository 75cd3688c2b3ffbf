r"""Numba kernels of the l1-analysis ADMM (:func:`skreg.graph.graph_l1`).

ADMM on :math:`\min_w \tfrac12\|Aw - t\|^2 + \alpha\|z\|_1` s.t. :math:`Gw = z`, in scaled form
with over-relaxation, is a fixed-point iteration :math:`x \mapsto T(x)` on the pair
:math:`x = (z, u)` (``u``: the scaled multiplier). The kernels here run that iteration with
Anderson acceleration (type II, Walker & Ni 2011; safeguarded as in Zhang, O'Donoghue & Boyd
2020: an accelerated point is kept only while the fixed-point residual does not grow) and the
stopping test of Boyd et al. (2011, section 3.3.1) on the primal and dual residuals.

The ``w``-step solves :math:`(A^\top A + \rho G^\top G) w = A^\top t + \rho G^\top (z - u)`
with a dense factor computed once per ``rho`` by the caller: a lower Cholesky factor
(``factor_kind = 0``) or, when the pencil is singular, the pseudo-inverse (``1``).
"""

import numpy as np
from numba import njit

from .._kernels.linalg import REDUCE, csr_matvec_serial, norm2
from .._kernels.select import cho_solve, solve_spd

#: status codes returned by :func:`admm_dense`
CONVERGED, MAX_ITER, RHO_CHANGE = 0, 1, 2
#: a rho update is asked for when the residual ratio calls for a change by more than this
RHO_CHANGE_MIN = 10.0


@njit(cache=True, nogil=True, fastmath=REDUCE)
def _dense_matvec(P, b, out):
    for i in range(P.shape[0]):
        acc = 0.0
        for j in range(P.shape[1]):
            acc += P[i, j] * b[j]
        out[i] = acc


@njit(cache=True, nogil=True)
def anderson_store(d_f, gram, slot, n_stored):
    """Update row and column ``slot`` of ``gram`` (the inner products of the rows of ``d_f``)
    after row ``slot`` of ``d_f`` was overwritten; rows ``0 .. n_stored - 1`` are in use.
    One new row costs ``n_stored`` inner products instead of ``n_stored^2 / 2``."""
    for c in range(n_stored):
        acc = 0.0
        for i in range(d_f.shape[1]):
            acc += d_f[slot, i] * d_f[c, i]
        gram[slot, c] = acc
        gram[c, slot] = acc


@njit(cache=True, nogil=True)
def anderson_point(d_tx, d_f, gram, n_stored, tx, f, out):
    """Type-II Anderson mixing: ``out = T(x) - sum_a gamma_a (T(x_{a+1}) - T(x_a))`` with
    ``gamma = argmin || f - sum_a gamma_a (f_{a+1} - f_a) ||`` (``f = T(x) - x``, in the norm
    the caller scaled ``f`` to), from the first ``n_stored`` rows of the memories ``d_tx``
    (differences of ``T(x)``, possibly extended with quantities linear in ``x``) and ``d_f``,
    whose inner products ``gram`` the caller keeps (:func:`anderson_store`).

    Returns False (``out`` untouched) when the least-squares system is singular.
    """
    k = n_stored
    H = np.empty((k, k))
    b = np.empty(k)
    trace = 0.0
    for a in range(k):
        for c in range(k):
            H[a, c] = gram[a, c]
        trace += H[a, a]
        acc = 0.0
        for i in range(f.shape[0]):
            acc += d_f[a, i] * f[i]
        b[a] = acc
    if not trace > 0.0:
        return False
    for a in range(k):
        H[a, a] += 1e-10 * trace
    gamma, ok = solve_spd(H, b)
    if not ok:
        return False
    for i in range(tx.shape[0]):
        acc = tx[i]
        for a in range(k):
            acc -= gamma[a] * d_tx[a, i]
        out[i] = acc
    return True


@njit(cache=True, nogil=True)
def rho_scale(r_norm, primal_scale, s_norm, dual_scale):
    """Residual balancing (as in OSQP): the factor ``sqrt(relative primal residual / relative
    dual residual)`` to apply to ``rho``, or 1 when it is within ``RHO_CHANGE_MIN`` of 1."""
    rel_pri = r_norm / max(primal_scale, 1e-300)
    rel_dual = s_norm / max(dual_scale, 1e-300)
    if rel_pri <= 0.0 or rel_dual <= 0.0:
        return 1.0
    scale = np.sqrt(rel_pri / rel_dual)
    if 1.0 / RHO_CHANGE_MIN <= scale <= RHO_CHANGE_MIN:
        return 1.0
    return scale


@njit(cache=True, nogil=True)
def _admm_map(factor, factor_kind, A_t, g, gt, alpha, rho, relax, x, m, Tx, w, Gw, rhs, tmp):
    """One ADMM step ``Tx = T(x)``; leaves ``w`` and ``G w`` of the step in ``w``, ``Gw``.

    The products with ``G`` run on one thread: at the sizes of the direct back end (p <= 4096)
    they are small next to the triangular solves, and a parallel region per product does not
    pay."""
    for i in range(m):
        tmp[i] = x[i] - x[m + i]
    csr_matvec_serial(gt[0], gt[1], gt[2], tmp[:m], rhs)
    for j in range(rhs.shape[0]):
        rhs[j] = A_t[j] + rho * rhs[j]
    if factor_kind == 0:
        w[:] = cho_solve(factor, rhs, rhs.shape[0])
    else:
        _dense_matvec(factor, rhs, w)
    csr_matvec_serial(g[0], g[1], g[2], w, Gw)
    thresh = alpha / rho
    for i in range(m):
        z = x[i]
        u = x[m + i]
        gh = relax * Gw[i] + (1.0 - relax) * z
        v = gh + u
        zn = max(abs(v) - thresh, 0.0)
        zn = zn if v >= 0.0 else -zn
        Tx[i] = zn
        Tx[m + i] = u + gh - zn


@njit(cache=True, nogil=True)
def admm_dense(factor, factor_kind, A_t, g_data, g_indices, g_indptr, gt_data, gt_indices,
               gt_indptr, alpha, rho, relax, z, u, tol, t_abs, max_iter, memory, balance_every):
    """Run accelerated ADMM from ``(z, u)`` at a fixed ``rho``.

    Returns ``(w, z, u, n_iter, status, scale)``: ``status`` is ``CONVERGED``, ``MAX_ITER``,
    or ``RHO_CHANGE`` when residual balancing (checked every ``balance_every`` iterations, as
    in OSQP: ``scale`` is the square root of the ratio of the relative primal and dual
    residuals) asks the caller to multiply ``rho`` by ``scale`` (and refactor) before going on.
    ``memory = 0`` runs plain (over-relaxed) ADMM.
    """
    m = z.shape[0]
    p = A_t.shape[0]
    g = (g_data, g_indices, g_indptr)
    gt = (gt_data, gt_indices, gt_indptr)
    n = 2 * m
    x = np.empty(n)
    x[:m] = z
    x[m:] = u
    Tx = np.empty(n)
    f = np.empty(n)
    w = np.zeros(p)
    Gw = np.empty(m)
    rhs = np.empty(p)
    tmp = np.empty(n)
    dz = np.empty(p)
    # Anderson memory (rings): differences of T(x) and of the residuals f = T(x) - x
    d_tx = np.zeros((memory, n))
    d_f = np.zeros((memory, n))
    gram = np.zeros((memory, memory))
    f_prev = np.empty(n)
    fallback = np.empty(n)  # T(x) of the last point whose residual was accepted
    have_prev = False
    accelerated = False
    n_stored = 0
    head = np.int64(0)  # not a literal: one compiled anderson_store
    f_norm_prev = np.inf
    status = MAX_ITER
    scale = 1.0
    it = 0
    sqrt_m = np.sqrt(m)
    sqrt_p = np.sqrt(p)
    while it < max_iter:
        it += 1
        _admm_map(factor, factor_kind, A_t, g, gt, alpha, rho, relax, x, m, Tx, w, Gw, rhs,
                  tmp)
        for i in range(n):
            f[i] = Tx[i] - x[i]
        f_norm = norm2(f)
        if accelerated and f_norm > f_norm_prev:
            # safeguard: the accelerated point made things worse; restart from the plain step
            x[:] = fallback
            n_stored = 0
            head = np.int64(0)
            have_prev = False
            accelerated = False
            continue
        # stopping test (primal residual G w - z, dual residual rho G^T (z_new - z))
        for i in range(m):
            tmp[i] = Tx[i] - x[i]
        csr_matvec_serial(gt[0], gt[1], gt[2], tmp[:m], dz)
        s_norm = rho * norm2(dz)
        r2 = 0.0
        gw2 = 0.0
        zn2 = 0.0
        for i in range(m):
            d = Gw[i] - Tx[i]
            r2 += d * d
            gw2 += Gw[i] * Gw[i]
            zn2 += Tx[i] * Tx[i]
        r_norm = np.sqrt(r2)
        csr_matvec_serial(gt[0], gt[1], gt[2], Tx[m:], dz)
        eps_pri = sqrt_m * t_abs + tol * np.sqrt(max(gw2, zn2))
        eps_dual = sqrt_p * t_abs + tol * rho * norm2(dz)
        if r_norm <= eps_pri and s_norm <= eps_dual:
            status = CONVERGED
            x[:] = Tx
            break
        if balance_every > 0 and it % balance_every == 0:
            scale = rho_scale(r_norm, np.sqrt(max(gw2, zn2)), s_norm, rho * norm2(dz))
            if scale != 1.0:
                status = RHO_CHANGE
                x[:] = Tx
                break
        f_norm_prev = f_norm
        if memory == 0:
            x[:] = Tx
            continue
        if have_prev:
            for i in range(n):
                d_tx[head, i] = Tx[i] - fallback[i]
                d_f[head, i] = f[i] - f_prev[i]
            n_stored = min(n_stored + 1, memory)
            anderson_store(d_f, gram, head, n_stored)
            head = (head + 1) % memory
        fallback[:] = Tx
        f_prev[:] = f
        have_prev = True
        accelerated = n_stored > 0 and anderson_point(d_tx, d_f, gram, n_stored, Tx, f, x)
        if not accelerated:
            x[:] = Tx
    if status == MAX_ITER:
        x[:] = Tx
    return w, x[:m].copy(), x[m:].copy(), it, status, scale
