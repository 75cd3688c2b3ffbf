"""numba kernels of entropic optimal transport.

The cost is either a dense matrix ``C`` (``on_the_fly=False``) or the squared Euclidean
distance between rows of ``X`` and ``Y`` computed where it is needed (``on_the_fly=True``:
memory O(n + m)); one kernel serves both, branching on the flag per entry.

Two loop shapes: the log-domain updates (an exp per entry per half-iteration, stable at any
epsilon) and the scaling loop on the stabilized kernel ``K_ij = exp((f_i + g_j - C_ij)/eps)``
(two matrix-vector products per iteration, no exp; Schmitzer 2019), whose scalings are
absorbed into the potentials ``f, g`` by the caller when they leave ``[1/bound, bound]``.
Column reductions over a row-major matrix accumulate in one private row per block of rows.
"""

import numpy as np
from numba import get_num_threads, njit, prange

REDUCE = {"reassoc", "contract"}

#: scaling_loop exit codes
CONVERGED, MAX_ITER, ABSORB, DEGENERATE = 0, 1, 2, 3


@njit(cache=True, nogil=True, inline="always")
def _cost(C, X, Y, on_the_fly, i, j):
    if on_the_fly:
        acc = 0.0
        for k in range(X.shape[1]):
            d = X[i, k] - Y[j, k]
            acc += d * d
        return acc
    return C[i, j]


def _n_blocks(n):
    return max(1, min(n, 4 * get_num_threads()))


# ---------------------------------------------------------------------------------------------
# log domain


@njit(cache=True, nogil=True, parallel=True, fastmath=REDUCE)
def lse_rows(C, X, Y, on_the_fly, g, eps, log_a, out):
    """``out_i = eps * (log_a_i - LSE_j((g_j - C_ij) / eps))`` (the f-update), two passes."""
    n = out.shape[0]
    m = g.shape[0]
    for i in prange(n):
        mx = -np.inf
        for j in range(m):
            v = g[j] - _cost(C, X, Y, on_the_fly, i, j)
            if v > mx:
                mx = v
        s = 0.0
        for j in range(m):
            s += np.exp((g[j] - _cost(C, X, Y, on_the_fly, i, j) - mx) / eps)
        out[i] = eps * log_a[i] - mx - eps * np.log(s)


@njit(cache=True, nogil=True, parallel=True, fastmath=REDUCE)
def lse_cols(C, X, Y, on_the_fly, f, eps, log_b, out, n_blocks):
    """``out_j = eps * (log_b_j - LSE_i((f_i - C_ij) / eps))`` (the g-update).

    Row-major access: each block of rows keeps its own column maxima, then its own sums.
    """
    n = f.shape[0]
    m = out.shape[0]
    mx = np.full((n_blocks, m), -np.inf)
    for blk in prange(n_blocks):
        for i in range(blk * n // n_blocks, (blk + 1) * n // n_blocks):
            for j in range(m):
                v = f[i] - _cost(C, X, Y, on_the_fly, i, j)
                if v > mx[blk, j]:
                    mx[blk, j] = v
    colmax = np.empty(m)
    for j in range(m):
        best = -np.inf
        for blk in range(n_blocks):
            if mx[blk, j] > best:
                best = mx[blk, j]
        colmax[j] = best
    acc = np.zeros((n_blocks, m))
    for blk in prange(n_blocks):
        for i in range(blk * n // n_blocks, (blk + 1) * n // n_blocks):
            for j in range(m):
                acc[blk, j] += np.exp((f[i] - _cost(C, X, Y, on_the_fly, i, j) - colmax[j])
                                      / eps)
    for j in prange(m):
        s = 0.0
        for blk in range(n_blocks):
            s += acc[blk, j]
        out[j] = eps * log_b[j] - colmax[j] - eps * np.log(s)


@njit(cache=True, nogil=True, parallel=True)
def sum_blocks(acc, out):
    """``out[j] = sum_blk acc[blk, j]``: the per-block partial sums of a reduction over rows
    (or columns) of a row-major matrix, combined."""
    for j in prange(out.shape[0]):
        s = 0.0
        for blk in range(acc.shape[0]):
            s += acc[blk, j]
        out[j] = s


@njit(cache=True, nogil=True, parallel=True, fastmath=REDUCE)
def plan_sums(C, X, Y, on_the_fly, f, g, eps, rows, cols, n_blocks):
    """Row and column sums of ``P_ij = exp((f_i + g_j - C_ij) / eps)`` and ``<P, C>``."""
    n = f.shape[0]
    m = g.shape[0]
    acc = np.zeros((n_blocks, m))
    costs = np.zeros(n_blocks)
    for blk in prange(n_blocks):
        c_blk = 0.0
        for i in range(blk * n // n_blocks, (blk + 1) * n // n_blocks):
            r = 0.0
            for j in range(m):
                c = _cost(C, X, Y, on_the_fly, i, j)
                p = np.exp((f[i] + g[j] - c) / eps)
                r += p
                acc[blk, j] += p
                c_blk += p * c
            rows[i] = r
        costs[blk] = c_blk
    sum_blocks(acc, cols)
    return costs.sum()


# ---------------------------------------------------------------------------------------------
# stabilized kernel


@njit(cache=True, nogil=True, parallel=True)
def build_kernel(C, X, Y, on_the_fly, f, g, eps, K):
    """``K_ij = exp((f_i + g_j - C_ij) / eps)`` (the plan at absorbed potentials)."""
    n, m = K.shape
    tiny = np.finfo(np.float64).tiny
    for i in prange(n):
        for j in range(m):
            k = np.exp((f[i] + g[j] - _cost(C, X, Y, on_the_fly, i, j)) / eps)
            # subnormal entries (below 2.2e-308) carry no mass but slow every product ~5x
            K[i, j] = k if k >= tiny else 0.0


@njit(cache=True, nogil=True, parallel=True)
def reduced_minima(C, X, Y, on_the_fly, f, g, rowmin, colmin, n_blocks):
    """Row and column minima of the reduced cost ``C_ij - f_i - g_j`` (the largest kernel
    entries), column minima by blocks of rows."""
    n = f.shape[0]
    m = g.shape[0]
    acc = np.full((n_blocks, m), np.inf)
    for blk in prange(n_blocks):
        for i in range(blk * n // n_blocks, (blk + 1) * n // n_blocks):
            r_min = np.inf
            for j in range(m):
                r = _cost(C, X, Y, on_the_fly, i, j) - f[i] - g[j]
                if r < r_min:
                    r_min = r
                if r < acc[blk, j]:
                    acc[blk, j] = r
            rowmin[i] = r_min
    for j in prange(m):
        best = np.inf
        for blk in range(n_blocks):
            if acc[blk, j] < best:
                best = acc[blk, j]
        colmin[j] = best


@njit(cache=True, nogil=True, inline="always")
def _kept(C, X, Y, on_the_fly, f, g, rowmin, colmin, width, i, j):
    """Reduced cost of entry (i, j), or inf if the truncation drops it (its kernel entry is
    below ``exp(-width)`` times the largest of its row and of its column)."""
    r = _cost(C, X, Y, on_the_fly, i, j) - f[i] - g[j]
    return r if (r <= rowmin[i] + width or r <= colmin[j] + width) else np.inf


@njit(cache=True, nogil=True, parallel=True)
def count_kernel(C, X, Y, on_the_fly, f, g, rowmin, colmin, width, counts):
    """Entries of the truncated kernel, per row."""
    m = g.shape[0]
    for i in prange(counts.shape[0]):
        c = 0
        for j in range(m):
            if _kept(C, X, Y, on_the_fly, f, g, rowmin, colmin, width, i, j) < np.inf:
                c += 1
        counts[i] = c


@njit(cache=True, nogil=True, parallel=True)
def fill_kernel(C, X, Y, on_the_fly, f, g, eps, rowmin, colmin, width, indptr, indices, data):
    """The truncated kernel ``K_ij = exp((f_i + g_j - C_ij) / eps)`` in CSR form (``indptr``
    from :func:`count_kernel`); subnormal entries are zeros."""
    m = g.shape[0]
    tiny = np.finfo(np.float64).tiny
    for i in prange(indptr.shape[0] - 1):
        p = indptr[i]
        for j in range(m):
            r = _kept(C, X, Y, on_the_fly, f, g, rowmin, colmin, width, i, j)
            if r < np.inf:
                k = np.exp(-r / eps)
                indices[p] = j
                data[p] = k if k >= tiny else 0.0
                p += 1


@njit(cache=True, nogil=True, parallel=True, fastmath=REDUCE)
def _kv(K, indptr, indices, data, sparse, v, Kv):
    """``Kv = K v`` for a dense kernel or a truncated one in CSR form (``sparse``)."""
    for i in prange(Kv.shape[0]):
        s = 0.0
        if sparse:
            for p in range(indptr[i], indptr[i + 1]):
                s += data[p] * v[indices[p]]
        else:
            for j in range(v.shape[0]):
                s += K[i, j] * v[j]
        Kv[i] = s


@njit(cache=True, nogil=True, parallel=True, fastmath=REDUCE)
def _col_sums(K, indptr, indices, data, sparse, u, acc, n_blocks):
    """``acc[blk] = K[rows of blk]^T u[rows of blk]``: ``K^T u`` as per-block partial sums."""
    n = u.shape[0]
    m = acc.shape[1]
    for blk in prange(n_blocks):
        for j in range(m):
            acc[blk, j] = 0.0
        for i in range(blk * n // n_blocks, (blk + 1) * n // n_blocks):
            ui = u[i]
            if sparse:
                for p in range(indptr[i], indptr[i + 1]):
                    acc[blk, indices[p]] += data[p] * ui
            else:
                for j in range(m):
                    acc[blk, j] += K[i, j] * ui


@njit(cache=True, nogil=True, parallel=True, fastmath=REDUCE)
def scaling_loop(K, indptr, indices, data, sparse, a, b, u, v, max_iter, check_every, tol,
                 bound, n_blocks, omega, err):
    """Sinkhorn's scaling iterations ``u = a / K v``, ``v = b / K^T u`` on a fixed kernel:
    dense ``K``, or (``sparse``) the truncated kernel ``(indptr, indices, data)`` in CSR form.

    Every ``check_every`` iterations the L1 error of the row marginal (the columns are exact
    after the v-update) is measured from the product ``K v`` the next u-update needs anyway.
    Returns ``(n_iter, err, code, omega)``: CONVERGED (err <= tol), MAX_ITER, ABSORB (a
    scaling left ``[1/bound, bound]``: the caller moves them into the potentials and rebuilds
    K) or
    DEGENERATE (a row or column of K vanished: the caller takes a log-domain step).

    ``omega`` in [1, 2) over-relaxes the updates (``u <- u^(1 - omega) (a / K v)^omega``,
    Thibault et al. 2021); 1 is Sinkhorn. With ``omega > 1`` the columns are not exact after
    the v-update, so checks also measure the column error (one more product ``K^T u``), and
    ``omega`` is halved towards 1 whenever the error grows between two checks (``err``: the
    error at the last check, inf at the start).
    """
    n, m = a.shape[0], b.shape[0]
    Kv = np.empty(n)
    acc = np.zeros((n_blocks, m))
    it = 0
    while True:
        _kv(K, indptr, indices, data, sparse, v, Kv)
        if it % check_every == 0 or it >= max_iter:
            e = 0.0
            for i in range(n):
                e += abs(u[i] * Kv[i] - a[i])
            if omega != 1.0:
                _col_sums(K, indptr, indices, data, sparse, u, acc, n_blocks)
                for j in range(m):
                    s = 0.0
                    for blk in range(n_blocks):
                        s += acc[blk, j]
                    e += abs(v[j] * s - b[j])
                if e > err:
                    omega = 1.0 + 0.5 * (omega - 1.0) if omega > 1.01 else 1.0
            err = e
            if err <= tol:
                return it, err, CONVERGED, omega
        if it >= max_iter:
            return it, err, MAX_ITER, omega
        bad = False
        for i in range(n):
            ui = a[i] / Kv[i] if Kv[i] > 0.0 else np.inf
            if not np.isfinite(ui):  # K v vanished or is subnormal: a[i] / Kv[i] overflows
                bad = True
            else:
                u[i] = ui if omega == 1.0 else u[i] ** (1.0 - omega) * ui ** omega
        if bad:
            return it, err, DEGENERATE, omega
        _col_sums(K, indptr, indices, data, sparse, u, acc, n_blocks)
        out = False
        for j in prange(m):
            s = 0.0
            for blk in range(n_blocks):
                s += acc[blk, j]
            vj = b[j] / s if s > 0.0 else np.inf
            if np.isfinite(vj):
                v[j] = vj if omega == 1.0 else v[j] ** (1.0 - omega) * vj ** omega
        for j in range(m):
            s = 0.0
            for blk in range(n_blocks):
                s += acc[blk, j]
            if not (s > 0.0 and np.isfinite(b[j] / s)):
                return it, err, DEGENERATE, omega
        for j in range(m):
            vj = v[j]
            if not (vj > 0.0) or vj > bound or vj < 1.0 / bound:
                out = True
        for i in range(n):
            if u[i] > bound or u[i] < 1.0 / bound:
                out = True
        it += 1
        if out:
            return it, err, ABSORB, omega


# ---------------------------------------------------------------------------------------------
# batches of small dense problems: one serial solve per problem, problems in parallel


@njit(cache=True, nogil=True)
def _absorb_build(C, a, b, f, g, u, v, eps, K):
    """Move the scalings into the potentials (points of positive mass only), reset them and
    rebuild ``K`` at the new potentials (rows and columns of zero mass are zero)."""
    n, m = C.shape
    tiny = np.finfo(np.float64).tiny
    for i in range(n):
        if a[i] > 0.0:
            f[i] += eps * np.log(u[i])
            u[i] = 1.0
    for j in range(m):
        if b[j] > 0.0:
            g[j] += eps * np.log(v[j])
            v[j] = 1.0
    for i in range(n):
        for j in range(m):
            k = 0.0
            if a[i] > 0.0 and b[j] > 0.0:
                k = np.exp((f[i] + g[j] - C[i, j]) / eps)
            K[i, j] = k if k >= tiny else 0.0


@njit(cache=True, nogil=True)
def _c_transform_rows(C, a, b, g, eps, f, only_zero_mass):
    """``f_i = eps log a_i - eps LSE_j((g_j - C_ij) / eps)`` over the columns of positive
    mass; points of zero mass get the c-transform without ``log a_i``."""
    n, m = C.shape
    for i in range(n):
        if only_zero_mass and a[i] > 0.0:
            continue
        mx = -np.inf
        for j in range(m):
            if b[j] > 0.0 and g[j] - C[i, j] > mx:
                mx = g[j] - C[i, j]
        s = 0.0
        for j in range(m):
            if b[j] > 0.0:
                s += np.exp((g[j] - C[i, j] - mx) / eps)
        f[i] = -mx - eps * np.log(s) + (eps * np.log(a[i]) if a[i] > 0.0 else 0.0)


@njit(cache=True, nogil=True)
def solve_dense(C, a, b, f, g, epsilon, factor, tol, max_iter, check_every, bound, K):
    """Stabilized Sinkhorn (absorption, epsilon scaling) on one dense problem, serially.

    ``f, g`` (warm start) are updated in place and ``K`` ends as the plan. The same
    iterations as :func:`scaling_loop` and the absorption of ``_stabilized``, for problems
    small enough that one thread per problem is the efficient split. Returns
    ``(n_iter, row_error, n_kernel_builds)``.
    """
    n, m = C.shape
    mass = a.sum()
    start = max(C.max() - C.min(), epsilon)
    n_stage = 1
    if factor > 0.0:
        e = epsilon
        while e / factor < start:
            e /= factor
            n_stage += 1
    u, v, Kv, KTu = np.ones(n), np.ones(m), np.empty(n), np.empty(m)
    it = 0
    n_abs = 0
    err = np.inf
    last_stage = False
    for stage in range(n_stage):
        eps = epsilon / factor ** (n_stage - 1 - stage) if factor > 0.0 else epsilon
        last_stage = stage == n_stage - 1
        stage_tol = tol if last_stage else max(tol, 1e-2 * mass)
        _absorb_build(C, a, b, f, g, u, v, eps, K)
        n_abs += 1
        while True:
            for i in range(n):
                s = 0.0
                for j in range(m):
                    s += K[i, j] * v[j]
                Kv[i] = s
            if it % check_every == 0 or it >= max_iter:
                err = 0.0
                for i in range(n):
                    err += abs(u[i] * Kv[i] - a[i])
                if err <= stage_tol:
                    break
            if it >= max_iter:
                break
            degenerate = False
            for i in range(n):
                if a[i] > 0.0:
                    if Kv[i] > 0.0 and np.isfinite(a[i] / Kv[i]):
                        u[i] = a[i] / Kv[i]
                    else:
                        degenerate = True
                else:
                    u[i] = 0.0
            out = False
            if not degenerate:
                KTu[:] = 0.0
                for i in range(n):
                    ui = u[i]
                    for j in range(m):
                        KTu[j] += K[i, j] * ui
                for j in range(m):
                    if b[j] > 0.0:
                        s = KTu[j]
                        if s > 0.0 and np.isfinite(b[j] / s):
                            v[j] = b[j] / s
                            if v[j] > bound or v[j] < 1.0 / bound:
                                out = True
                        else:
                            degenerate = True
                    else:
                        v[j] = 0.0
                for i in range(n):
                    if a[i] > 0.0 and (u[i] > bound or u[i] < 1.0 / bound):
                        out = True
            it += 1
            if degenerate:
                # a row or column of K underflowed: one exact log-domain iteration
                _absorb_build(C, a, b, f, g, u, v, eps, K)
                n_abs += 1
                _c_transform_rows(C, a, b, g, eps, f, False)
                _c_transform_rows(C.T, b, a, f, eps, g, False)
                _absorb_build(C, a, b, f, g, u, v, eps, K)
                n_abs += 1
            elif out:
                _absorb_build(C, a, b, f, g, u, v, eps, K)
                n_abs += 1
        if it >= max_iter:
            break
    if not last_stage:
        # stopped in an earlier stage: one exact iteration at the target epsilon, so the
        # potentials belong to it
        _absorb_build(C, a, b, f, g, u, v, epsilon, K)
        n_abs += 1
        _c_transform_rows(C, a, b, g, epsilon, f, False)
        _c_transform_rows(C.T, b, a, f, epsilon, g, False)
    _absorb_build(C, a, b, f, g, u, v, epsilon, K)  # the plan
    _c_transform_rows(C, a, b, g, epsilon, f, True)
    _c_transform_rows(C.T, b, a, f, epsilon, g, True)
    return it, err, n_abs


@njit(cache=True, nogil=True, parallel=True)
def solve_dense_batch(C, a, b, f, g, epsilon, factor, tol, max_iter, check_every, bound, P,
                      n_iter, err, n_abs):
    """:func:`solve_dense` on ``C[k], a[k], b[k]`` for every k, problems in parallel."""
    for k in prange(C.shape[0]):
        n_iter[k], err[k], n_abs[k] = solve_dense(C[k], a[k], b[k], f[k], g[k], epsilon[k], factor,
                                        tol[k], max_iter, check_every, bound, P[k])
