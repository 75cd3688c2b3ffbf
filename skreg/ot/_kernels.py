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
    for j in prange(m):
        s = 0.0
        for blk in range(n_blocks):
            s += acc[blk, j]
        cols[j] = s
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


@njit(cache=True, nogil=True, parallel=True, fastmath=REDUCE)
def scaling_loop(K, a, b, u, v, max_iter, check_every, tol, bound, n_blocks):
    """Sinkhorn's scaling iterations ``u = a / K v``, ``v = b / K^T u`` on a fixed kernel.

    Every ``check_every`` iterations the L1 error of the row marginal (the columns are exact
    after the v-update) is measured from the product ``K v`` the next u-update needs anyway.
    Returns ``(n_iter, err, code)``: CONVERGED (err <= tol), MAX_ITER, ABSORB (a scaling left
    ``[1/bound, bound]``: the caller moves them into the potentials and rebuilds K) or
    DEGENERATE (a row or column of K vanished: the caller takes a log-domain step).
    """
    n, m = K.shape
    Kv = np.empty(n)
    acc = np.zeros((n_blocks, m))
    err = np.inf
    it = 0
    while True:
        for i in prange(n):
            s = 0.0
            for j in range(m):
                s += K[i, j] * v[j]
            Kv[i] = s
        if it % check_every == 0 or it >= max_iter:
            e = 0.0
            for i in range(n):
                e += abs(u[i] * Kv[i] - a[i])
            err = e
            if err <= tol:
                return it, err, CONVERGED
        if it >= max_iter:
            return it, err, MAX_ITER
        bad = False
        for i in range(n):
            ui = a[i] / Kv[i] if Kv[i] > 0.0 else np.inf
            if not np.isfinite(ui):  # K v vanished or is subnormal: a[i] / Kv[i] overflows
                bad = True
            else:
                u[i] = ui
        if bad:
            return it, err, DEGENERATE
        for blk in prange(n_blocks):
            for j in range(m):
                acc[blk, j] = 0.0
            for i in range(blk * n // n_blocks, (blk + 1) * n // n_blocks):
                ui = u[i]
                for j in range(m):
                    acc[blk, j] += K[i, j] * ui
        out = False
        for j in prange(m):
            s = 0.0
            for blk in range(n_blocks):
                s += acc[blk, j]
            vj = b[j] / s if s > 0.0 else np.inf
            if np.isfinite(vj):
                v[j] = vj
        for j in range(m):
            s = 0.0
            for blk in range(n_blocks):
                s += acc[blk, j]
            if not (s > 0.0 and np.isfinite(b[j] / s)):
                return it, err, DEGENERATE
        for j in range(m):
            vj = v[j]
            if not (vj > 0.0) or vj > bound or vj < 1.0 / bound:
                out = True
        for i in range(n):
            if u[i] > bound or u[i] < 1.0 / bound:
                out = True
        it += 1
        if out:
            return it, err, ABSORB
