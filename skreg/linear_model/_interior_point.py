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
Mehrotra's predictor-corrector on the primal-dual central path, one factorization of the
normal matrix ``M = A D A^T = B^T D_theta B + D_eta`` per iteration, solved twice.

``M`` is ``k x k`` (``k`` working-set columns), formed in one of two ways, the cheaper by a
count of multiply-adds:

- ``DENSE``: a BLAS product of ``sqrt(D_theta) B`` (``n k^2``);
- ``SPARSE``: accumulated row by row over the non-zeros of ``B`` (``sum_i nnz_i^2``, sparse
  designs), the products by ``B`` then also running over its non-zeros only.

Both are then factorized by Cholesky (``k^3 / 3``). With more columns than rows (``k > n``)
:func:`quantile_ipm_primal` solves the same pair of programs from the primal side, with
``n x n`` normal matrices (``n^2 k`` and ``n^3 / 3``). (The dual's ``k x k`` matrix through
Sherman-Morrison-Woodbury was tried first: it divides by the vanishing scalings of the
active penalties, and the dual residual diverged as the iterates converged.) The primal form
in turn loses rank at degenerate vertices (more zero residuals than active columns); it
detects this and says so, and the caller solves that program in the dual form.

``theta = 0, eta = 0`` is strictly feasible (when every sample has positive weight and every
penalized column a positive level), so the primal iterates stay feasible up to rounding.
"""

import numpy as np
from numba import njit

from .._kernels.linalg import REDUCE, SPARSE_PENALTY, csr_gram, csr_matvec_serial
from .._kernels.select import cho_solve

STEP_FRACTION = 0.99995
# refinement steps of the normal-equation solves (see _solve_normal): numpy scalars, not int
# literals, so that each kernel taking them compiles once (a literal 0 and a literal 2 were
# two specializations of every kernel on the way: 2.8 s of the first LADLasso fit)
NO_REFINE, REFINE = np.int64(0), np.int64(2)
AUTO, DENSE, SPARSE = -1, 0, 1


@njit(cache=True, nogil=True)
def _row_counts(B):
    """Non-zeros of each row of ``B`` (a column-major scan)."""
    n, k = B.shape
    counts = np.zeros(n, dtype=np.int64)
    for j in range(k):
        for i in range(n):
            if B[i, j] != 0.0:
                counts[i] += 1
    return counts


@njit(cache=True, nogil=True)
def _csr_of(B, counts):
    """CSR arrays ``(data, indices, indptr)`` of ``B`` and of ``B^T`` (its columns), indices
    ascending."""
    n, k = B.shape
    indptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        indptr[i + 1] = indptr[i] + counts[i]
    nnz = indptr[n]
    indices = np.empty(nnz, dtype=np.int64)
    data = np.empty(nnz)
    t_indptr = np.zeros(k + 1, dtype=np.int64)
    t_indices = np.empty(nnz, dtype=np.int64)
    t_data = np.empty(nnz)
    fill = indptr[:n].copy()
    t = 0
    for j in range(k):
        for i in range(n):
            v = B[i, j]
            if v != 0.0:
                indices[fill[i]] = j
                data[fill[i]] = v
                fill[i] += 1
                t_indices[t] = i
                t_data[t] = v
                t += 1
        t_indptr[j + 1] = t
    return (data, indices, indptr), (t_data, t_indices, t_indptr)


@njit(cache=True, nogil=True)
def _choose_mode(B, counts):
    """``SPARSE`` when accumulating ``M`` over the non-zeros is cheaper than the BLAS
    product (weighted by ``SPARSE_PENALTY``), else ``DENSE``."""
    n, k = B.shape
    sparse = 0.0
    for i in range(n):
        sparse += SPARSE_PENALTY * float(counts[i]) ** 2
    return SPARSE if sparse < n * float(k) * k else DENSE


@njit(cache=True, nogil=True)
def _bt_dot(op, v, out):
    """``out = B^T v[:n]``."""
    B, rows, cols, sparse = op
    n = B.shape[0]
    if sparse:
        csr_matvec_serial(cols[0], cols[1], cols[2], v[:n], out)
    else:
        out[:] = np.dot(B.T, v[:n])


@njit(cache=True, nogil=True)
def _b_dot(op, u, out):
    """``out[:n] = B u``."""
    B, rows, cols, sparse = op
    n = B.shape[0]
    if sparse:
        csr_matvec_serial(rows[0], rows[1], rows[2], u, out[:n])
    else:
        out[:n] = np.dot(B, u)


@njit(cache=True, nogil=True)
def _a_dot(op, eta_col, v, out):
    """``out = A v``: ``B^T v[:n]`` minus the eta entries on their columns' rows."""
    n = op[0].shape[0]
    _bt_dot(op, v, out)
    for e in range(eta_col.shape[0]):
        out[eta_col[e]] -= v[n + e]


@njit(cache=True, nogil=True)
def _at_dot(op, eta_col, u, out):
    """``out = A^T u``: ``B u`` on the theta block, ``-u[col]`` on the eta block."""
    n = op[0].shape[0]
    _b_dot(op, u, out)
    for e in range(eta_col.shape[0]):
        out[n + e] = -u[eta_col[e]]


@njit(cache=True, nogil=True)
def _factorize(op, eta_col, D, work):
    """``(F, L, ridge)``: ``F = M + ridge I`` at scaling ``D`` and its Cholesky factor."""
    B, rows, cols, sparse = op
    n, k = B.shape
    if sparse:
        # serial: LAPACK's threads may still spin from the last factorization
        F = np.zeros((k, k))
        csr_gram(*rows, *cols, D[:n], False, F)
    else:  # work (k x n) holds (sqrt(D_theta) B)^T
        sq = np.sqrt(D[:n])
        for j in range(k):
            for i in range(n):
                work[j, i] = B[i, j] * sq[i]
        F = np.dot(work, work.T)
    for e in range(eta_col.shape[0]):
        F[eta_col[e], eta_col[e]] += D[n + e]
    # a relative ridge keeps the factorization defined when columns are (near) collinear or
    # the iterates approach a degenerate vertex; the Newton direction is barely changed
    trace = 0.0
    for j in range(k):
        trace += F[j, j]
    ridge = 1e-13 * trace / k + 1e-300
    for j in range(k):
        F[j, j] += ridge
    return F, np.linalg.cholesky(F), ridge


@njit(cache=True, nogil=True)
def _solve_normal(F, ridge, L, rhs, n_refine):
    """``(F - ridge I)^{-1} rhs`` from the Cholesky factor ``L`` of ``F``, with ``n_refine``
    steps of iterative refinement. The step taken gets two: the ridge would otherwise leave
    the primal equality residual of each step at the ridge's size, and the certificate needs
    it at rounding level. The predictor only sets step lengths and the centring, and gets
    none (same iteration counts on the benchmark cases, a third fewer triangular solves)."""
    k = rhs.shape[0]
    sol = cho_solve(L, rhs, k)
    res = np.empty(k)
    for _ in range(n_refine):
        res[:] = np.dot(F, sol)
        for j in range(k):
            res[j] = rhs[j] - res[j] + ridge * sol[j]
        corr = cho_solve(L, res, k)
        for j in range(k):
            sol[j] += corr[j]
    return sol


@njit(cache=True, nogil=True)
def _direction(op, eta_col, F, ridge, L, D, x, s, z, w, rp, rd, rho_z, rho_w, dx, dy, dz,
               dw, tmp_k, tmp_n, n_refine):
    """Newton direction for complementarity targets ``x z + rho_z``, ``s w + rho_w``."""
    N = x.shape[0]
    for i in range(N):
        g = rho_z[i] / x[i] - rho_w[i] / s[i] - rd[i]
        tmp_n[i] = D[i] * g
    _a_dot(op, eta_col, tmp_n, tmp_k)
    for j in range(tmp_k.shape[0]):
        tmp_k[j] = rp[j] - tmp_k[j]
    dy[:] = _solve_normal(F, ridge, L, tmp_k, n_refine)
    _at_dot(op, eta_col, dy, dx)
    for i in range(N):
        g = rho_z[i] / x[i] - rho_w[i] / s[i] - rd[i]
        dx[i] = D[i] * (dx[i] + g)
        dz[i] = (rho_z[i] - z[i] * dx[i]) / x[i]
        dw[i] = (rho_w[i] + w[i] * dx[i]) / s[i]

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
def quantile_ipm(B, y, a, c, eta_col, hi, lo, max_iter, tol_abs, mode=AUTO):
    """Solve the working-set linear program of the module docstring.

    Parameters
    ----------
    B : (n, k) float64 array, the working-set columns (and ones for the intercept).
    y : (n,) targets; a, c : (n,) positive box halves of theta.
    eta_col : (E,) int64, the penalized columns; hi, lo : (E,) their positive levels.
    max_iter : int, iteration cap.
    tol_abs : float, stop when the complementarity gap ``x^T z + s^T w`` (the duality gap
        of the linear program at primal and dual feasibility) is at most this.
    mode : int, how the normal matrix is formed (``DENSE``, ``SPARSE``); ``AUTO``
        (default) picks the cheaper.

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
    counts = _row_counts(B)
    if mode == AUTO:
        mode = _choose_mode(B, counts)
    if mode == SPARSE:
        rows, cols = _csr_of(B, counts)
    else:
        rows = (np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64))
        cols = rows
    op = (B, rows, cols, mode == SPARSE)
    work = np.empty((k, n) if mode == DENSE else (0, 0))

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
    _a_dot(op, eta_col, x, rhs)
    for e in range(E):
        if hi[e] == 0.0:  # eta = 0 is on the bound (unpenalized, positive): start inside
            x[n + e] = 0.5 * lo[e]
    s = u - x

    # dual start: least-squares multipliers, bound multipliers split from the reduced cost
    D = np.ones(N)
    tmp_k = np.empty(k)
    tmp_n = np.empty(N)
    F, L, ridge = _factorize(op, eta_col, D, work)
    _a_dot(op, eta_col, cobj, tmp_k)
    yv = _solve_normal(F, ridge, L, tmp_k, REFINE)
    _at_dot(op, eta_col, yv, tmp_n)
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
    theta = np.empty(n)
    while True:
        # residuals and the gap
        _a_dot(op, eta_col, x, rp)
        for j in range(k):
            rp[j] = rhs[j] - rp[j]
        _at_dot(op, eta_col, yv, rd)
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
        F, L, ridge = _factorize(op, eta_col, D, work)
        # numba's cholesky raises on a non-positive-definite matrix; guard on the diagonal
        # first (it is positive for any positive D with the ridge)
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
        _direction(op, eta_col, F, ridge, L, D, x, s, z, w, rp, rd, rho_z, rho_w, dx_a, dy,
                   dz_a, dw_a, tmp_k, tmp_n, NO_REFINE)
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
        _direction(op, eta_col, F, ridge, L, D, x, s, z, w, rp, rd, rho_z, rho_w, dx, dy, dz,
                   dw, tmp_k, tmp_n, REFINE)
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
    for i in range(n):
        # clip into the box: rounding may leave x a hair outside [0, u]
        theta[i] = min(max(x[i] - c[i], -c[i]), a[i])
    beta = -yv
    return theta, beta, it, gap, ok


@njit(cache=True, nogil=True, fastmath=REDUCE)
def _primal_a(BEt, bf, v, beta_f, n, E, out):
    """``out = A v + b_F beta_F = v_u - v_v + B_E (v_p - v_q) + b_F beta_F``."""
    for i in range(n):
        out[i] = v[i] - v[n + i] + bf[i] * beta_f
    for e in range(E):
        t = v[2 * n + e] - v[2 * n + E + e]
        for i in range(n):
            out[i] += t * BEt[e, i]


@njit(cache=True, nogil=True, fastmath=REDUCE)
def _primal_at(BEt, v, n, E, out):
    """``out = A^T v = (v, -v, B_E^T v, -B_E^T v)`` (contiguous rows of ``B_E^T``: the
    reductions vectorize)."""
    for i in range(n):
        out[i] = v[i]
        out[n + i] = -v[i]
    for e in range(E):
        acc = 0.0
        for i in range(n):
            acc += BEt[e, i] * v[i]
        out[2 * n + e] = acc
        out[2 * n + E + e] = -acc


@njit(cache=True, nogil=True)
def _primal_normal(BEt, bf, has_free, x, z, n, E):
    """``(M, L, ridge, w, s, ok)`` of the primal form at scaling ``D = x / z``: the normal
    matrix ``M = D_u + D_v + B_E (D_p + D_q) B_E^T`` (plus a relative ridge) and its Cholesky
    factor ``L``; with a free column ``b_F``, ``w = M^{-1} b_F`` and the Schur complement
    ``s = b_F^T w``; ``ok`` is False when the factorization fails."""
    G = np.empty((E, n))
    for e in range(E):
        sq = np.sqrt(x[2 * n + e] / z[2 * n + e] + x[2 * n + E + e] / z[2 * n + E + e])
        for i in range(n):
            G[e, i] = BEt[e, i] * sq
    M = np.dot(G.T, G)
    trace = 0.0
    for i in range(n):
        M[i, i] += x[i] / z[i] + x[n + i] / z[n + i]
        trace += M[i, i]
    ridge = 1e-13 * trace / n + 1e-300
    for i in range(n):
        M[i, i] += ridge
    w = np.zeros(n)
    try:  # numba's cholesky raises on a matrix that is not (numerically) positive definite
        L = np.linalg.cholesky(M)
    except Exception:
        return M, M, ridge, w, 0.0, False
    s = 1.0
    if has_free:
        w = _solve_normal(M, ridge, L, bf, REFINE)
        s = 0.0
        for i in range(n):
            s += bf[i] * w[i]
    ok = s > 0.0 and np.isfinite(s)
    for i in range(n):
        if not np.isfinite(L[i, i]):
            ok = False
    return M, L, ridge, w, s, ok


@njit(cache=True, nogil=True)
def _primal_direction(BEt, bf, has_free, M, L, ridge, w, s, x, z, rp, rd, rf, rho, dx, dth,
                      dz, n, E, n_refine):
    """Newton direction of the primal form for complementarity targets ``x z + rho``;
    returns the free coefficient's step.

    ``dtheta`` solves ``M dtheta + b_F dbeta = r``, ``b_F^T dtheta = rf`` (by the Schur
    complement ``s``), then ``dz = rd - A^T dtheta`` and ``dx = (rho - x dz) / z``.
    ``n_refine > 0`` also refines the direction on the primal equations ``A dx + b_F dbeta
    = rp`` (their residual, recomputed, is solved for again, the correction kept consistent
    with the other equations): with scalings ``x / z`` spread over 20 orders of magnitude,
    ``A g + M dtheta`` cancels to a few digits, and the primal residual would otherwise stall
    near 1e-11 of ``y``, above the certificates' needs.
    """
    N = x.shape[0]
    g = np.empty(N)
    for i in range(N):
        g[i] = (rho[i] - x[i] * rd[i]) / z[i]
    r = np.empty(n)
    _primal_a(BEt, bf, g, 0.0, n, E, r)
    for i in range(n):
        r[i] = rp[i] - r[i]
    target = rf
    dbeta = 0.0
    at = np.empty(N)
    for step in range(n_refine + 1):
        # step 0: the direction; then corrections for the primal residual e (rf: 0)
        t = _solve_normal(M, ridge, L, r, n_refine)
        db = 0.0
        if has_free:
            acc = 0.0
            for i in range(n):
                acc += bf[i] * t[i]
            db = (acc - target) / s
            for i in range(n):
                t[i] -= w[i] * db
        _primal_at(BEt, t, n, E, at)
        if step == 0:
            for i in range(n):
                dth[i] = t[i]
            for i in range(N):
                dz[i] = rd[i] - at[i]
                dx[i] = (rho[i] - x[i] * dz[i]) / z[i]
        else:
            for i in range(n):
                dth[i] += t[i]
            for i in range(N):
                dz[i] -= at[i]
                dx[i] += x[i] / z[i] * at[i]
        dbeta += db
        if step < n_refine:
            _primal_a(BEt, bf, dx, dbeta, n, E, r)
            for i in range(n):
                r[i] = rp[i] - r[i]
            target = 0.0
    return dbeta


@njit(cache=True, nogil=True)
def quantile_ipm_primal(B, y, a, c, eta_col, hi, lo, max_iter, tol_abs):
    """The working-set linear program of the module docstring, solved in its primal form
    with ``n x n`` normal matrices: the cheaper form when the working set has more columns
    than the program has rows (``k > n``).

    The primal is the quantile Lasso restricted to ``B`` itself, in standard form:

        min  a^T u + c^T v + hi^T p + lo^T q
        s.t. u - v + B_E (p - q) + b_F beta_F = y,   u, v, p, q >= 0,

    ``B_E`` the penalized columns (coefficients ``p - q``), ``b_F`` the unpenalized one if
    any (a free coefficient, the intercept); its dual is the program of the module
    docstring, ``theta`` the equality multipliers. Mehrotra's predictor-corrector on the
    primal-dual central path; each iteration factorizes ``M = A D A^T = D_u + D_v +
    B_E (D_p + D_q) B_E^T`` (``n x n``, ``D = x / z``), and the free column is eliminated
    through the Schur complement ``b_F^T M^{-1} b_F``. No scaling is inverted, so the
    vanishing scalings of the active constraints (which defeat the Sherman-Morrison-
    Woodbury form of the dual's ``k x k`` matrix) do no harm. The start is primal feasible
    (``u - v = y``, ``p = q``, shifted by one positive amount) and dual feasible
    (``theta = 0``, ``z`` = the costs), so the iterates stay feasible up to rounding.

    Parameters and returns as :func:`quantile_ipm` (dense ``B``, at most one unpenalized
    column, the penalized levels ``hi``, ``lo`` positive); ``ok`` is also False when the
    iterates lose feasibility, the caller's cue to solve the program in the dual form
    instead, and at once with more than one unpenalized column.
    """
    n, k = B.shape
    E = eta_col.shape[0]
    theta = np.zeros(n)
    beta = np.zeros(k)
    if k - E > 1:
        return theta, beta, 0, np.inf, False
    has_free = k - E == 1
    is_pen = np.zeros(k, dtype=np.bool_)
    for e in range(E):
        is_pen[eta_col[e]] = True
    free = -1
    for j in range(k):
        if not is_pen[j]:
            free = j
    BEt = np.empty((E, n))
    for e in range(E):
        for i in range(n):
            BEt[e, i] = B[i, eta_col[e]]
    bf = np.zeros(n)
    if has_free:
        for i in range(n):
            bf[i] = B[i, free]
    N = 2 * n + 2 * E
    cost = np.empty(N)
    x = np.empty(N)
    for i in range(n):
        cost[i] = a[i]
        cost[n + i] = c[i]
        x[i] = max(y[i], 0.0)
        x[n + i] = max(-y[i], 0.0)
    for e in range(E):
        cost[2 * n + e] = hi[e]
        cost[2 * n + E + e] = lo[e]
        x[2 * n + e] = 0.0
        x[2 * n + E + e] = 0.0
    # one shift of every x keeps u - v and p - q; it balances x^T z against the costs
    # (Mehrotra's heuristic, on the primal side only so that the dual start stays feasible)
    xz = 0.0
    csum = 0.0
    cmax = 0.0
    for i in range(N):
        xz += x[i] * cost[i]
        csum += cost[i]
        cmax = max(cmax, cost[i])
    ymax = 0.0
    for i in range(n):
        ymax = max(ymax, abs(y[i]))
    shift = max(0.5 * xz / csum, 1e-3 * (ymax + 1e-300) / n + 1e-300)
    for i in range(N):
        x[i] += shift
    z = cost.copy()
    beta_f = 0.0

    rp = np.empty(n)
    rd = np.empty(N)
    rho = np.empty(N)
    dx = np.empty(N)
    dz = np.empty(N)
    dth = np.empty(n)
    dx_a = np.empty(N)
    dz_a = np.empty(N)
    ok = True
    gap = np.inf
    it = 0
    while True:
        # residuals (rounding level from the feasible start) and the gap
        _primal_a(BEt, bf, x, beta_f, n, E, rp)
        rp_norm = 0.0
        rf = 0.0
        for i in range(n):
            rp[i] = y[i] - rp[i]
            rp_norm = max(rp_norm, abs(rp[i]))
            rf -= bf[i] * theta[i]
        _primal_at(BEt, theta, n, E, rd)
        rd_norm = abs(rf)
        gap = 0.0
        obj = 0.0
        for i in range(N):
            rd[i] = cost[i] - rd[i] - z[i]
            rd_norm = max(rd_norm, abs(rd[i]))
            gap += x[i] * z[i]
            obj += cost[i] * x[i]
        if rp_norm > 1e-9 * (1.0 + ymax) or rd_norm > 1e-9 * (1.0 + cmax):
            # the start is feasible: a residual means the normal matrix has become too
            # ill-conditioned to solve (a degenerate vertex with more zero residuals than
            # active columns, whose rows the scalings empty); the dual form copes with it
            ok = False
            break
        if gap <= max(tol_abs, 1e-13 * abs(obj)):
            break
        if it >= max_iter:
            break
        it += 1
        M, L, ridge, w, s, ok = _primal_normal(BEt, bf, has_free, x, z, n, E)
        if not ok:
            break
        # predictor (affine scaling)
        for i in range(N):
            rho[i] = -x[i] * z[i]
        _primal_direction(BEt, bf, has_free, M, L, ridge, w, s, x, z, rp, rd, rf, rho, dx_a,
                          dth, dz_a, n, E, NO_REFINE)
        step_p = _max_step(x, dx_a, 1.0)
        step_d = _max_step(z, dz_a, 1.0)
        mu = gap / N
        gap_aff = 0.0
        for i in range(N):
            gap_aff += (x[i] + step_p * dx_a[i]) * (z[i] + step_d * dz_a[i])
        sigma = (gap_aff / gap) ** 3
        # corrector, centred towards sigma * mu
        for i in range(N):
            rho[i] = sigma * mu - x[i] * z[i] - dx_a[i] * dz_a[i]
        dbeta = _primal_direction(BEt, bf, has_free, M, L, ridge, w, s, x, z, rp, rd, rf,
                                  rho, dx, dth, dz, n, E, REFINE)
        step_p = min(1.0, STEP_FRACTION * _max_step(x, dx, np.inf))
        step_d = min(1.0, STEP_FRACTION * _max_step(z, dz, np.inf))
        for i in range(N):
            x[i] += step_p * dx[i]
            z[i] += step_d * dz[i]
        beta_f += step_p * dbeta
        for i in range(n):
            theta[i] += step_d * dth[i]
    for i in range(n):
        theta[i] = min(max(theta[i], -c[i]), a[i])
    for e in range(E):
        beta[eta_col[e]] = x[2 * n + e] - x[2 * n + E + e]
    if has_free:
        beta[free] = beta_f
    return theta, beta, it, gap, ok
