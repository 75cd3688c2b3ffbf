"""Interior-point kernel for the l1-penalized quantile (pinball) regression on a working set.

On a working set of columns ``B`` (the selected features, plus a column of ones for the
intercept) the quantile Lasso is the linear program, in its dual form,

    max_theta  y^T theta
    s.t.       -c_i <= theta_i <= a_i                   (a = tau sw / S, c = (1 - tau) sw / S)
               B_j^T theta = eta_j,  -lo_j <= eta_j <= hi_j    (penalized columns)
               B_j^T theta = 0                                (unpenalized columns, intercept)

whose equality multipliers are the coefficients ``beta = (w, b)``: the Lagrangian gives back
``sum_i sw_i rho_tau(y_i - B_i beta) / S + sum_j (hi_j beta_j^+ + lo_j beta_j^-)``. With
``x = (theta + c, eta + lo)`` it reads ``min -y^T theta  s.t.  A x = rhs, 0 <= x <= u``, the
bounded-variable form solved by the Frisch-Newton method of Portnoy and Koenker (1997):
Mehrotra's predictor-corrector on the primal-dual central path, one Cholesky factorization of
the ``k x k`` normal matrix ``A D A^T = B^T D_theta B + D_eta`` per iteration, solved twice.

``theta = 0, eta = 0`` is strictly feasible (when every sample has positive weight and every
penalized column a positive level), so the primal iterates stay feasible up to rounding.
"""

import numpy as np
from numba import njit

from .._kernels.select import cho_solve

STEP_FRACTION = 0.99995


@njit(cache=True, nogil=True)
def _a_dot(B, eta_col, v, out):
    """``out = A v``: ``B^T v[:n]`` minus the eta entries on their columns' rows."""
    n = B.shape[0]
    out[:] = np.dot(B.T, v[:n])
    for e in range(eta_col.shape[0]):
        out[eta_col[e]] -= v[n + e]


@njit(cache=True, nogil=True)
def _at_dot(B, eta_col, u, out):
    """``out = A^T u``: ``B u`` on the theta block, ``-u[col]`` on the eta block."""
    n = B.shape[0]
    out[:n] = np.dot(B, u)
    for e in range(eta_col.shape[0]):
        out[n + e] = -u[eta_col[e]]


@njit(cache=True, nogil=True)
def _normal_matrix(B, eta_col, D, Bs):
    """``A diag(D) A^T`` through ``Bs = sqrt(D_theta) B`` (a BLAS product)."""
    n, k = B.shape
    for j in range(k):
        for i in range(n):
            Bs[i, j] = B[i, j] * np.sqrt(D[i])
    M = np.dot(Bs.T, Bs)
    for e in range(eta_col.shape[0]):
        M[eta_col[e], eta_col[e]] += D[n + e]
    # a relative ridge keeps the factorization defined when columns are (near) collinear or
    # the iterates approach a degenerate vertex; the Newton direction is barely changed
    trace = 0.0
    for j in range(k):
        trace += M[j, j]
    ridge = 1e-13 * trace / k + 1e-300
    for j in range(k):
        M[j, j] += ridge
    return M, ridge


@njit(cache=True, nogil=True)
def _max_step(v, dv, cap):
    """Largest step in [0, cap] keeping ``v + step * dv >= 0``."""
    step = cap
    for i in range(v.shape[0]):
        if dv[i] < 0.0:
            t = -v[i] / dv[i]
            if t < step:
                step = t
    return step


@njit(cache=True, nogil=True)
def _max_step_neg(s, dx, cap):
    """Largest step in [0, cap] keeping ``s - step * dx >= 0``."""
    step = cap
    for i in range(s.shape[0]):
        if dx[i] > 0.0:
            t = s[i] / dx[i]
            if t < step:
                step = t
    return step


@njit(cache=True, nogil=True)
def _solve_normal(M, ridge, L, rhs):
    """``(M - ridge I)^{-1} rhs`` from the Cholesky factor ``L`` of ``M``, with two steps of
    iterative refinement: the ridge would otherwise leave the primal equality residual of
    each step at the ridge's size, and the certificate needs it at rounding level."""
    k = rhs.shape[0]
    sol = cho_solve(L, rhs, L.shape[0])
    res = np.empty(k)
    for _ in range(2):
        Msol = np.dot(M, sol)
        for j in range(k):
            res[j] = rhs[j] - Msol[j] + ridge * sol[j]
        corr = cho_solve(L, res, L.shape[0])
        for j in range(k):
            sol[j] += corr[j]
    return sol


@njit(cache=True, nogil=True)
def _direction(B, eta_col, M, ridge, L, D, x, s, z, w, rp, rd, rho_z, rho_w, dx, dy, dz, dw,
               tmp_k, tmp_n):
    """Newton direction for complementarity targets ``x z + rho_z``, ``s w + rho_w``."""
    N = x.shape[0]
    for i in range(N):
        g = rho_z[i] / x[i] - rho_w[i] / s[i] - rd[i]
        tmp_n[i] = D[i] * g
    _a_dot(B, eta_col, tmp_n, tmp_k)
    for j in range(tmp_k.shape[0]):
        tmp_k[j] = rp[j] - tmp_k[j]
    dy[:] = _solve_normal(M, ridge, L, tmp_k)
    _at_dot(B, eta_col, dy, dx)
    for i in range(N):
        g = rho_z[i] / x[i] - rho_w[i] / s[i] - rd[i]
        dx[i] = D[i] * (dx[i] + g)
        dz[i] = (rho_z[i] - z[i] * dx[i]) / x[i]
        dw[i] = (rho_w[i] + w[i] * dx[i]) / s[i]


@njit(cache=True, nogil=True)
def quantile_ipm(B, y, a, c, eta_col, hi, lo, max_iter, tol_abs):
    """Solve the working-set linear program of the module docstring.

    Parameters
    ----------
    B : (n, k) float64 array, the working-set columns (and ones for the intercept).
    y : (n,) targets; a, c : (n,) positive box halves of theta.
    eta_col : (E,) int64, the penalized columns; hi, lo : (E,) their positive levels.
    max_iter : int, iteration cap.
    tol_abs : float, stop when the complementarity gap ``x^T z + s^T w`` (the duality gap
        of the linear program at primal and dual feasibility) is at most this.

    Returns
    -------
    theta : (n,) the dual point (feasible for the box constraints);
    beta : (k,) the coefficients (equality multipliers);
    n_iter : int; gap : float, the final complementarity gap;
    ok : bool, False when the normal matrix could not be factorized.
    """
    n, k = B.shape
    E = eta_col.shape[0]
    N = n + E
    x = np.empty(N)
    u = np.empty(N)
    cobj = np.zeros(N)
    for i in range(n):
        x[i] = c[i]
        u[i] = a[i] + c[i]
        cobj[i] = -y[i]
    for e in range(E):
        x[n + e] = lo[e]  # eta = 0
        u[n + e] = hi[e] + lo[e]
    rhs = np.empty(k)
    _a_dot(B, eta_col, x, rhs)
    for e in range(E):
        if hi[e] == 0.0:  # eta = 0 is on the bound (unpenalized, positive): start inside
            x[n + e] = 0.5 * lo[e]
    s = u - x

    # dual start: least-squares multipliers, bound multipliers split from the reduced cost
    D = np.ones(N)
    Bs = np.empty((n, k))
    M, ridge = _normal_matrix(B, eta_col, D, Bs)
    L = np.linalg.cholesky(M)
    tmp_k = np.empty(k)
    tmp_n = np.empty(N)
    _a_dot(B, eta_col, cobj, tmp_k)
    yv = _solve_normal(M, ridge, L, tmp_k)
    _at_dot(B, eta_col, yv, tmp_n)
    rsum = 0.0
    for i in range(N):
        tmp_n[i] = cobj[i] - tmp_n[i]
        rsum += abs(tmp_n[i])
    shift = max(0.1 * rsum / N, 1e-12 * (1.0 + np.max(np.abs(cobj))))
    z = np.empty(N)
    w = np.empty(N)
    for i in range(N):
        z[i] = max(tmp_n[i], 0.0) + shift
        w[i] = max(-tmp_n[i], 0.0) + shift

    rp = np.empty(k)
    rd = np.empty(N)
    rho_z = np.empty(N)
    rho_w = np.empty(N)
    dx = np.empty(N)
    dy = np.empty(k)
    dz = np.empty(N)
    dw = np.empty(N)
    dx_a = np.empty(N)
    dz_a = np.empty(N)
    dw_a = np.empty(N)
    ok = True
    gap = np.inf
    it = 0
    while True:
        # residuals and the gap
        _a_dot(B, eta_col, x, rp)
        for j in range(k):
            rp[j] = rhs[j] - rp[j]
        _at_dot(B, eta_col, yv, rd)
        gap = 0.0
        for i in range(N):
            rd[i] = cobj[i] - rd[i] - z[i] + w[i]
            gap += x[i] * z[i] + s[i] * w[i]
        rd_norm = 0.0
        for i in range(N):
            rd_norm = max(rd_norm, abs(rd[i]))
        obj = 0.0
        for i in range(N):
            obj += cobj[i] * x[i]
        # below ~1e-13 of the objective the gap is rounding: stop there whatever tol_abs
        if (gap <= max(tol_abs, 1e-13 * abs(obj))
                and rd_norm <= 1e-9 * (1.0 + np.max(np.abs(cobj)))):
            break
        if it >= max_iter:
            break
        it += 1
        for i in range(N):
            D[i] = 1.0 / (z[i] / x[i] + w[i] / s[i])
        M, ridge = _normal_matrix(B, eta_col, D, Bs)
        # numba's cholesky raises on a non-positive-definite matrix; guard on the diagonal
        # first (it is positive for any positive D with the ridge)
        L = np.linalg.cholesky(M)
        bad = False
        for j in range(k):
            if not L[j, j] > 0.0 or not np.isfinite(L[j, j]):
                bad = True
        if bad:
            ok = False
            break
        # predictor (affine scaling)
        for i in range(N):
            rho_z[i] = -x[i] * z[i]
            rho_w[i] = -s[i] * w[i]
        _direction(B, eta_col, M, ridge, L, D, x, s, z, w, rp, rd, rho_z, rho_w, dx_a, dy,
                   dz_a, dw_a, tmp_k, tmp_n)
        step_p = min(_max_step(x, dx_a, 1.0), _max_step_neg(s, dx_a, 1.0))
        step_d = min(_max_step(z, dz_a, 1.0), _max_step(w, dw_a, 1.0))
        mu = gap / (2.0 * N)
        gap_aff = 0.0
        for i in range(N):
            gap_aff += ((x[i] + step_p * dx_a[i]) * (z[i] + step_d * dz_a[i])
                        + (s[i] - step_p * dx_a[i]) * (w[i] + step_d * dw_a[i]))
        sigma = (gap_aff / gap) ** 3
        # corrector, centred towards sigma * mu
        for i in range(N):
            rho_z[i] = sigma * mu - x[i] * z[i] - dx_a[i] * dz_a[i]
            rho_w[i] = sigma * mu - s[i] * w[i] + dx_a[i] * dw_a[i]
        _direction(B, eta_col, M, ridge, L, D, x, s, z, w, rp, rd, rho_z, rho_w, dx, dy, dz,
                   dw, tmp_k, tmp_n)
        step_p = min(1.0, STEP_FRACTION * min(_max_step(x, dx, np.inf),
                                              _max_step_neg(s, dx, np.inf)))
        step_d = min(1.0, STEP_FRACTION * min(_max_step(z, dz, np.inf),
                                              _max_step(w, dw, np.inf)))
        for i in range(N):
            x[i] += step_p * dx[i]
            s[i] -= step_p * dx[i]
            z[i] += step_d * dz[i]
            w[i] += step_d * dw[i]
        for j in range(k):
            yv[j] += step_d * dy[j]
    theta = np.empty(n)
    for i in range(n):
        # clip into the box: rounding may leave x a hair outside [0, u]
        theta[i] = min(max(x[i] - c[i], -c[i]), a[i])
    beta = -yv
    return theta, beta, it, gap, ok
