"""Column access, matrix-vector products and parallel passes for dense and CSC designs.

Every function takes the design as ``Xd, data, indices, indptr, is_sparse`` so one compiled
kernel serves dense and sparse inputs; the branch on ``is_sparse`` is outside the inner loops.
"""

import numpy as np
from numba import njit, prange

# Reductions may be reassociated so that LLVM vectorizes them (a plain float sum is a serial
# dependency chain); inputs are validated finite, so no other fast-math assumption is taken.
REDUCE = {"reassoc", "contract"}


@njit(cache=True, nogil=True)
def add_columns(Xd, data, indices, indptr, is_sparse, cols, coefs, out):
    """In-place ``out += sum_k coefs[k] X[:, cols[k]]``, skipping zero coefficients (``out``
    is a work buffer, never a user array)."""
    n = out.shape[0]
    for k in range(cols.shape[0]):
        a = coefs[k]
        if a == 0.0:
            continue
        j = cols[k]
        if is_sparse:
            for t in range(indptr[j], indptr[j + 1]):
                out[indices[t]] += a * data[t]
        else:
            for i in range(n):
                out[i] += a * Xd[i, j]


@njit(cache=True, nogil=True)
def matvec(Xd, data, indices, indptr, is_sparse, n_samples, w, out):
    """``out = X @ w``, touching only the columns where ``w`` is non-zero."""
    for i in range(n_samples):
        out[i] = 0.0
    add_columns(Xd, data, indices, indptr, is_sparse, np.arange(w.shape[0]), w, out)


# Below this many multiply-adds a pass runs serially (about 0.3 ms on one core). Launching a
# parallel region costs tens of microseconds on an idle machine, but milliseconds when another
# thread busy-waits on the other cores (OpenBLAS workers spin for up to ~0.1 s after a
# multi-threaded BLAS call: measured 4 ms for a two-thread region), so only passes long enough
# to absorb such a stall go parallel.
PARALLEL_MIN_WORK = 1_000_000


@njit(cache=True, nogil=True)
def pass_work(indptr, is_sparse, n_samples, cols):
    """Multiply-adds of a pass over ``cols``: stored entries (CSC) or ``n_samples`` each."""
    if not is_sparse:
        return n_samples * cols.shape[0]
    work = 0
    for k in range(cols.shape[0]):
        work += indptr[cols[k] + 1] - indptr[cols[k]]
    return work


@njit(cache=True, nogil=True, fastmath=REDUCE)
def _column_sums_block(Xd, data, indices, indptr, is_sparse, cols, d, v, unit_d, moments, out,
                       out2, start, stop):
    """Column reductions for ``start <= k < stop``, ``j = cols[k]``: ``out[k] = X_j @ (d * v)``,
    or with ``moments``, ``out[k] = sum_i d_i X_ij`` and ``out2[k] = sum_i d_i X_ij^2``.

    The column loops are written out in each pass kernel (here, :func:`add_columns` and the
    coordinate descent epoch) rather than taken from a per-column function: on short columns
    (tens of rows, or tens of stored entries) a call per column costs as much as the
    column's arithmetic. The two reductions share one kernel (and one parallel region), so
    that they compile once.
    """
    for k in range(start, stop):
        j = cols[k]
        acc = 0.0
        acc2 = 0.0
        if is_sparse:
            if moments:
                for t in range(indptr[j], indptr[j + 1]):
                    x = data[t]
                    dx = x if unit_d else d[indices[t]] * x
                    acc += dx
                    acc2 += dx * x
            else:
                for t in range(indptr[j], indptr[j + 1]):
                    i = indices[t]
                    acc += (data[t] if unit_d else data[t] * d[i]) * v[i]
        elif moments:
            for i in range(Xd.shape[0]):
                x = Xd[i, j]
                dx = x if unit_d else d[i] * x
                acc += dx
                acc2 += dx * x
        else:
            for i in range(Xd.shape[0]):
                acc += (Xd[i, j] if unit_d else Xd[i, j] * d[i]) * v[i]
        out[k] = acc
        if moments:
            out2[k] = acc2


# a parallel pass splits its columns into this many blocks, one call each (several per
# thread, so that columns of uneven cost still balance)
PASS_BLOCKS = 256


@njit(cache=True, nogil=True, parallel=True)
def _column_sums_parallel(Xd, data, indices, indptr, is_sparse, cols, d, v, unit_d, moments,
                          out, out2):
    m = cols.shape[0]
    n_blocks = min(m, PASS_BLOCKS)
    for b in prange(n_blocks):
        _column_sums_block(Xd, data, indices, indptr, is_sparse, cols, d, v, unit_d, moments,
                           out, out2, b * m // n_blocks, (b + 1) * m // n_blocks)


@njit(cache=True, nogil=True)
def _column_sums(Xd, data, indices, indptr, is_sparse, cols, d, v, unit_d, moments, out,
                 out2):
    """:func:`_column_sums_block` over all of ``cols``, parallel when the pass pays."""
    if pass_work(indptr, is_sparse, d.shape[0], cols) >= PARALLEL_MIN_WORK:
        _column_sums_parallel(Xd, data, indices, indptr, is_sparse, cols, d, v, unit_d,
                              moments, out, out2)
    else:
        _column_sums_block(Xd, data, indices, indptr, is_sparse, cols, d, v, unit_d, moments,
                           out, out2, np.int64(0), cols.shape[0])  # no literal: one compile


@njit(cache=True, nogil=True)
def xt_dot_weighted(Xd, data, indices, indptr, is_sparse, cols, d, v, unit_d, out):
    """``out[k] = X[:, cols[k]] @ (d * v)`` for every k; parallel over columns when it pays."""
    _column_sums(Xd, data, indices, indptr, is_sparse, cols, d, v, unit_d,
                 bool(False), out, out)  # noqa: UP018 (a literal would compile another copy)


@njit(cache=True, nogil=True)
def weighted_col_moments(Xd, data, indices, indptr, is_sparse, cols, d, unit_d, first, second):
    """``first[k] = sum_i d_i X_ij`` and ``second[k] = sum_i d_i X_ij^2``, ``j = cols[k]``.

    Parallel over columns when the pass is large enough to pay (``PARALLEL_MIN_WORK``).
    """
    _column_sums(Xd, data, indices, indptr, is_sparse, cols, d, d, unit_d,
                 bool(True), first, second)  # noqa: UP018


def xt_dot(Xd, data, indices, indptr, is_sparse, v):
    """Convenience wrapper: ``X.T @ v`` for all columns (parallel)."""
    n_features = indptr.shape[0] - 1 if is_sparse else Xd.shape[1]
    out = np.empty(n_features)
    cols = np.arange(n_features)
    xt_dot_weighted(Xd, data, indices, indptr, is_sparse, cols, v, v, True, out)
    return out


@njit(cache=True, nogil=True)
def gather_columns(Xd, data, indices, indptr, is_sparse, rows, row_pos, cols, add_ones):
    """Dense Fortran ``X[rows][:, cols]``, with a last column of ones if ``add_ones``.

    ``row_pos[i]`` is the position of sample ``i`` in ``rows`` (-1 when left out).
    """
    n = rows.shape[0]
    k = cols.shape[0] + (1 if add_ones else 0)
    B = np.zeros((k, n)).T  # Fortran order
    for q in range(cols.shape[0]):
        j = cols[q]
        if is_sparse:
            for t in range(indptr[j], indptr[j + 1]):
                pos = row_pos[indices[t]]
                if pos >= 0:
                    B[pos, q] = data[t]
        else:
            for m in range(n):
                B[m, q] = Xd[rows[m], j]
    if add_ones:
        for m in range(n):
            B[m, k - 1] = 1.0
    return B


@njit(cache=True, nogil=True)
def norm2(v):
    """Euclidean norm of a 1-D array (summed in order: callers' iterations do not depend on
    the compiler's vectorization)."""
    acc = 0.0
    for i in range(v.shape[0]):
        acc += v[i] * v[i]
    return np.sqrt(acc)


@njit(cache=True, nogil=True, fastmath=REDUCE)
def _csr_row_dot(data, indices, indptr, i, x):
    acc = 0.0
    for k in range(indptr[i], indptr[i + 1]):
        acc += data[k] * x[indices[k]]
    return acc


@njit(cache=True, nogil=True, parallel=True)
def _csr_matvec_parallel(data, indices, indptr, x, out):
    for i in prange(indptr.shape[0] - 1):
        out[i] = _csr_row_dot(data, indices, indptr, i, x)


@njit(cache=True, nogil=True)
def csr_matvec(data, indices, indptr, x, out):
    """``out = A @ x`` for CSR ``A`` (pass a CSC matrix's arrays for ``A.T @ x``).

    Parallel over rows when the matrix has at least ``PARALLEL_MIN_WORK`` stored entries.
    """
    n_rows = indptr.shape[0] - 1
    if indptr[n_rows] >= PARALLEL_MIN_WORK:
        _csr_matvec_parallel(data, indices, indptr, x, out)
    else:
        for i in range(n_rows):
            out[i] = _csr_row_dot(data, indices, indptr, i, x)
