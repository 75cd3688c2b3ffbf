"""Selection and tiny dense linear algebra that compile fast (no sort, no LAPACK)."""

import numpy as np
from numba import njit

from .linalg import REDUCE


@njit(cache=True, nogil=True)
def _sift_down(heap, start, size):
    """Restore the max-heap property below ``start``."""
    i = start
    while True:
        left = 2 * i + 1
        if left >= size:
            return
        big = left
        right = left + 1
        if right < size and heap[right] > heap[left]:
            big = right
        if heap[big] <= heap[i]:
            return
        heap[i], heap[big] = heap[big], heap[i]
        i = big


@njit(cache=True, nogil=True)
def kth_smallest(values, k):
    """The k-th smallest entry of ``values`` (1 <= k <= len), in O(n log k)."""
    heap = np.empty(k)
    for i in range(k):
        heap[i] = values[i]
    for i in range(k // 2 - 1, -1, -1):
        _sift_down(heap, i, k)
    for i in range(k, values.shape[0]):
        if values[i] < heap[0]:
            heap[0] = values[i]
            _sift_down(heap, np.int64(0), k)  # not a literal 0: one compilation
    return heap[0]


@njit(cache=True, nogil=True)
def smallest_k_indices(values, items, k):
    """``items`` (int64) at the ``k`` smallest ``values``, kept in their original order.

    Ties at the threshold are taken in order of appearance, so exactly ``k`` are returned.
    """
    n = values.shape[0]
    if k >= n:
        return items.copy()
    out = np.empty(k, dtype=np.int64)
    thr = kth_smallest(values, k)
    n_below = 0
    for i in range(n):
        if values[i] < thr:
            n_below += 1
    n_ties = k - n_below
    m = 0
    for i in range(n):
        v = values[i]
        if v < thr or (v == thr and n_ties > 0):
            if v == thr:
                n_ties -= 1
            out[m] = items[i]
            m += 1
    return out


@njit(cache=True, nogil=True, fastmath=REDUCE)
def cho_solve(L, rhs, k):
    """Solve ``L L^T x = rhs`` with the leading ``k x k`` block of the lower-triangular ``L``
    (and ``rhs[:k]``); returns a new array of length ``k``.

    Both passes read ``L`` by rows (contiguous for a C-ordered ``L``): a dot product per row
    forward, an axpy per row backward.
    """
    x = rhs[:k].copy()
    for i in range(k):
        acc = x[i]
        for q in range(i):
            acc -= L[i, q] * x[q]
        x[i] = acc / L[i, i]
    for i in range(k - 1, -1, -1):
        xi = x[i] / L[i, i]
        x[i] = xi
        for q in range(i):
            x[q] -= xi * L[i, q]
    return x


@njit(cache=True, nogil=True)
def cholesky(G):
    """Lower-triangular ``L`` with ``L L^T = G`` for a small symmetric matrix ``G``.

    Returns ``(L, ok)``; ``ok`` is False when ``G`` is not numerically positive definite.
    """
    m = G.shape[0]
    Lc = np.zeros((m, m))
    for i in range(m):
        for j in range(i + 1):
            acc = G[i, j]
            for k in range(j):
                acc -= Lc[i, k] * Lc[j, k]
            if i == j:
                if not acc > 0.0:
                    return Lc, False
                Lc[i, i] = np.sqrt(acc)
            else:
                Lc[i, j] = acc / Lc[j, j]
    return Lc, True


@njit(cache=True, nogil=True)
def solve_spd(G, rhs):
    """Solve ``G x = rhs`` for a small symmetric positive definite ``G`` (Cholesky).

    Returns ``(x, ok)``; ``ok`` is False when ``G`` is not numerically positive definite.
    """
    m = G.shape[0]
    Lc, ok = cholesky(G)
    if not ok:
        return np.zeros(m), False
    return cho_solve(Lc, rhs, m), True


@njit(cache=True, nogil=True)
def weighted_median(values, weights, n):
    """A minimizer ``t`` of ``sum_i weights_i |values_i - t|`` over the first ``n`` entries.

    Weighted quickselect (three-way partition, median-of-three pivot): expected O(n), no
    sort. ``values`` and ``weights`` are scratch buffers: their first ``n`` entries are
    reordered. Weights must be non-negative with a positive sum. The returned point is one
    of the values; ``t`` is a minimizer exactly when the weight strictly below it and the
    weight strictly above it are each at most half the total.
    """
    total = 0.0
    for i in range(n):
        total += weights[i]
    half = 0.5 * total
    lo = 0
    hi = n - 1
    below = 0.0  # weight of the entries left of [lo, hi]: all smaller than the range
    while lo < hi:
        a = values[lo]
        b = values[(lo + hi) // 2]
        c = values[hi]
        if a > b:
            a, b = b, a
        pivot = b if b <= c else (a if a > c else c)
        # three-way partition of [lo, hi]: [lo, lt) < pivot, [lt, gt] == pivot, (gt, hi] >
        lt = lo
        i = lo
        gt = hi
        while i <= gt:
            v = values[i]
            if v < pivot:
                values[i], values[lt] = values[lt], values[i]
                weights[i], weights[lt] = weights[lt], weights[i]
                lt += 1
                i += 1
            elif v > pivot:
                values[i], values[gt] = values[gt], values[i]
                weights[i], weights[gt] = weights[gt], weights[i]
                gt -= 1
            else:
                i += 1
        w_less = 0.0
        for k in range(lo, lt):
            w_less += weights[k]
        if below + w_less > half:
            hi = lt - 1
            continue
        w_eq = 0.0
        for k in range(lt, gt + 1):
            w_eq += weights[k]
        if below + w_less + w_eq >= half:
            return pivot
        below += w_less + w_eq
        lo = gt + 1
    return values[min(lo, hi)]  # lo > hi only through rounding of the weight sums
