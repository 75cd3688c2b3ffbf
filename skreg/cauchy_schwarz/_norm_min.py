r"""Least l1 / l-infinity norm solutions of underdetermined systems (numba ADMM).

.. math:: \min_x \ \|x\|_1 \ \text{or}\ \|x\|_\infty \quad \text{subject to } Ax = b,

the convex baselines of Cauchy-Schwarz recovery (basis pursuit for sparse vectors,
l-infinity minimization for binary vectors). ADMM splits ``x`` (kept on the affine set by the
projection ``v - Q Q^T v + x_ls``) from ``z`` (prox of the norm), with over-relaxation and
residual balancing of the penalty ``rho``. Every ``CHECK_EVERY`` iterations a duality gap
certifies the feasible iterate: ``rho u`` estimates ``A^T nu``; its projection ``v`` onto the
row space, scaled into the dual-norm ball, gives the dual value ``<v, x_ls>`` (``= b^T nu``).

ADMM alone converges slowly on these linear programs once the active set is known, so every
``POLISH_EVERY`` iterations (when the gap is below ``POLISH_BELOW``) the active set of ``z``
(the support for l1, the entries at the maximum for l-infinity, with their signs) is turned
into an exact primal point and an exact dual point by two small least-squares solves; they
are kept when feasible and better, and usually close the gap to rounding.
"""

import numpy as np
from numba import njit, prange

L1, LINF = 0, 1
NORM_CODES = {"l1": L1, "linf": LINF}
CHECK_EVERY = 10
POLISH_EVERY = 50
POLISH_BELOW = 1e-2  # try polishing once the relative gap is below this
RELAX = 1.6


@njit(cache=True, nogil=True)
def _l1_ball_projection(v, radius, out):
    """Euclidean projection of ``v`` onto ``{||x||_1 <= radius}`` (sort-based)."""
    n = v.shape[0]
    total = 0.0
    for i in range(n):
        total += abs(v[i])
    if total <= radius:
        out[:] = v
        return
    a = np.sort(np.abs(v))[::-1]
    cumsum = 0.0
    theta = 0.0
    for k in range(n):
        cumsum += a[k]
        t = (cumsum - radius) / (k + 1)
        if k == n - 1 or a[k + 1] <= t:
            theta = t
            break
    for i in range(n):
        m = abs(v[i]) - theta
        out[i] = np.sign(v[i]) * m if m > 0.0 else 0.0


@njit(cache=True, nogil=True)
def _prox(v, t, code, out):
    """Prox of ``t ||.||`` (l1: soft threshold; linf: Moreau, v - P_{t B_1}(v))."""
    if code == L1:
        for i in range(v.shape[0]):
            a = abs(v[i]) - t
            out[i] = np.sign(v[i]) * a if a > 0.0 else 0.0
        return
    _l1_ball_projection(v, t, out)
    for i in range(v.shape[0]):
        out[i] = v[i] - out[i]


@njit(cache=True, nogil=True)
def _primal_norm(v, code):
    s = 0.0
    for i in range(v.shape[0]):
        if code == L1:
            s += abs(v[i])
        else:
            s = max(s, abs(v[i]))
    return s


@njit(cache=True, nogil=True)
def _dual_norm(v, code):
    return _primal_norm(v, LINF if code == L1 else L1)


@njit(cache=True, nogil=True)
def _dual_value(u, rho, Q, xls, code):
    """b^T nu for the dual point built from ``rho u``, scaled to be feasible."""
    v = Q @ (Q.T @ (rho * u))
    scale = max(1.0, _dual_norm(v, code))
    return (v @ xls) / scale


@njit(cache=True, nogil=True)
def _polish(Q, xls, z, code):
    """Primal and dual points from the active set of ``z``; returns (x, objective, dual, ok).

    Constraints in the basis ``Q``: ``Ax = b`` iff ``Q^T x = Q^T x_ls``; dual points are
    ``v = Q w`` (the row space), with ``v`` equal to the subgradient on the active set.
    """
    n, m = Q.shape
    rhs = Q.T @ xls
    zmax = 0.0
    for i in range(n):
        zmax = max(zmax, abs(z[i]))
    active = np.zeros(n, dtype=np.bool_)
    n_active = 0
    for i in range(n):
        if code == L1:
            active[i] = z[i] != 0.0
        else:
            active[i] = abs(z[i]) >= zmax * (1.0 - 1e-12) and zmax > 0.0
        n_active += active[i]
    x = np.zeros(n)
    if code == L1:
        # primal: Q_S^T x_S = Q^T x_ls
        QS = np.empty((m, n_active))
        k = 0
        for i in range(n):
            if active[i]:
                QS[:, k] = Q[i]
                k += 1
        xs = np.linalg.lstsq(QS, rhs)[0]
        k = 0
        for i in range(n):
            if active[i]:
                x[i] = xs[k]
                k += 1
        # dual: v = Q w with v_S = sign(z_S)
        QSr = np.empty((n_active, m))
        sgn = np.empty(n_active)
        k = 0
        for i in range(n):
            if active[i]:
                QSr[k] = Q[i]
                sgn[k] = np.sign(z[i])
                k += 1
        w = np.linalg.lstsq(QSr, sgn)[0]
    else:
        # primal: the free entries and the common magnitude t of the active ones (last unknown)
        n_free = n - n_active
        Bm = np.empty((m, n_free + 1))
        tcol = np.zeros(m)
        k = 0
        for i in range(n):
            if active[i]:
                tcol += np.sign(z[i]) * Q[i]
            else:
                Bm[:, k] = Q[i]
                k += 1
        Bm[:, n_free] = tcol
        sol = np.linalg.lstsq(Bm, rhs)[0]
        t = sol[n_free]
        k = 0
        for i in range(n):
            if active[i]:
                x[i] = np.sign(z[i]) * t
            else:
                x[i] = sol[k]
                k += 1
        # dual: v = Q w, v = 0 on the free entries, sum of s_i v_i over the active ones = 1
        Dm = np.zeros((n_free + 1, m))
        e = np.zeros(n_free + 1)
        e[n_free] = 1.0
        k = 0
        for i in range(n):
            if active[i]:
                Dm[n_free] += np.sign(z[i]) * Q[i]
            else:
                Dm[k] = Q[i]
                k += 1
        w = np.linalg.lstsq(Dm, e)[0]
    # feasibility of the primal point, validity of the dual point
    res = Q.T @ x - rhs
    ok = np.sqrt(res @ res) <= 1e-10 * max(np.sqrt(rhs @ rhs), 1e-300)
    v = Q @ w
    dual = (v @ xls) / max(1.0, _dual_norm(v, code))
    return x, _primal_norm(x, code), dual, ok


@njit(cache=True, nogil=True)
def norm_min(Q, xls, code, max_iter, tol):
    """ADMM for ``min ||x||`` on ``{x_ls + ker A}``: (x, objective, gap, n_iter, converged).

    ``x`` is the feasible iterate (a projection) of smallest norm seen at the checks, ``gap``
    its duality gap relative to its norm, certified by the best dual point seen.
    """
    n = xls.shape[0]
    z = xls.copy()
    u = np.zeros(n)
    x = xls.copy()
    v = np.empty(n)
    z_old = np.empty(n)
    scale = _primal_norm(xls, code)
    if scale == 0.0:  # b = 0: x = 0 is optimal
        return np.zeros(n), 0.0, 0.0, 0, True
    # rho balances the two residuals at the start: entries of u ~ (subgradient entries) / rho
    if code == L1:
        rho = n / scale
    else:
        rho = 1.0 / (n * scale)
    best_x = xls.copy()
    best_obj = scale  # the least-norm solution is feasible
    best_dual = 0.0  # nu = 0 is dual feasible
    gap = 1.0
    for it in range(1, max_iter + 1):
        # x-step: projection of z - u onto the affine set
        for i in range(n):
            v[i] = z[i] - u[i]
        x[:] = v - Q @ (Q.T @ v) + xls
        # over-relaxed z-step
        z_old[:] = z
        for i in range(n):
            v[i] = RELAX * x[i] + (1.0 - RELAX) * z_old[i] + u[i]
        _prox(v, 1.0 / rho, code, z)
        for i in range(n):
            u[i] = v[i] - z[i]
        if it % CHECK_EVERY == 0 or it == max_iter:
            # certificate: the best feasible x against the best dual value so far
            obj = _primal_norm(x, code)
            if obj < best_obj:
                best_obj = obj
                best_x[:] = x
            best_dual = max(best_dual, _dual_value(u, rho, Q, xls, code))
            gap = max(best_obj - best_dual, 0.0) / best_obj
            if gap < POLISH_BELOW and it % POLISH_EVERY == 0:
                xp, objp, dualp, ok = _polish(Q, xls, z, code)
                if ok and objp < best_obj:
                    best_obj = objp
                    best_x[:] = xp
                best_dual = max(best_dual, dualp)
                gap = max(best_obj - best_dual, 0.0) / best_obj
            if gap <= tol:
                return best_x, best_obj, gap, it, True
            # residual balancing
            r = 0.0
            s = 0.0
            for i in range(n):
                r += (x[i] - z[i]) ** 2
                s += (z[i] - z_old[i]) ** 2
            r = np.sqrt(r)
            s = rho * np.sqrt(s)
            if r > 10.0 * s:
                rho *= 2.0
                u *= 0.5
            elif s > 10.0 * r:
                rho *= 0.5
                u *= 2.0
    return best_x, best_obj, gap, max_iter, False


@njit(parallel=True, cache=True, nogil=True)
def norm_min_batch(Qs, xls, problem_basis, code, max_iter, tol):
    """:func:`norm_min` for every problem (``prange``); returns stacked results."""
    P, N = xls.shape
    out_x = np.empty((P, N))
    out_obj = np.empty(P)
    out_gap = np.empty(P)
    out_iter = np.empty(P, dtype=np.int64)
    out_conv = np.empty(P, dtype=np.bool_)
    for p in prange(P):
        x, obj, gap, it, conv = norm_min(Qs[problem_basis[p]], xls[p], code, max_iter, tol)
        out_x[p] = x
        out_obj[p] = obj
        out_gap[p] = gap
        out_iter[p] = it
        out_conv[p] = conv
    return out_x, out_obj, out_gap, out_iter, out_conv
