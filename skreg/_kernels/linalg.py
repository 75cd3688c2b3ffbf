"""Column access, matrix-vector products and parallel passes for dense and CSC designs, and
row products and Gram matrices of CSR operators.

Every column function takes the design as ``Xd, data, indices, indptr, is_sparse`` so one
compiled kernel serves dense and sparse inputs; the branch on ``is_sparse`` is outside the
inner loops. A dense design has empty ``data, indices, indptr``, or, when its columns end
early (the upper-triangular factor of a compressed design, whose column ``j`` is zero below
row ``j``), ``indptr[j + 1]`` = the rows holding column ``j``, from the top, and the loops
skip the zeros below (:func:`dense_rows`). The CSR functions take ``data, indices, indptr``
(scipy's order).
"""

import numpy as np
from numba import njit, prange

# Reductions may be reassociated so that LLVM vectorizes them (a plain float sum is a serial
# dependency chain); inputs are validated finite, so no other fast-math assumption is taken.
REDUCE = {"reassoc", "contract"}


@njit(cache=True, nogil=True)
def dense_rows(Xd, indptr, j):
    """How many leading rows of a dense design hold column ``j``: all of them, or with a
    non-empty ``indptr`` (column ends, see the module docstring), ``indptr[j + 1]``."""
    return Xd.shape[0] if indptr.shape[0] == 0 else indptr[j + 1]


@njit(cache=True, nogil=True)
def add_columns(Xd, data, indices, indptr, is_sparse, cols, coefs, out):
    """In-place ``out += sum_k coefs[k] X[:, cols[k]]``, skipping zero coefficients (``out``
    is a work buffer, never a user array)."""
    for k in range(cols.shape[0]):
        a = coefs[k]
        if a == 0.0:
            continue
        j = cols[k]
        if is_sparse:
            for t in range(indptr[j], indptr[j + 1]):
                out[indices[t]] += a * data[t]
        else:
            for i in range(dense_rows(Xd, indptr, j)):
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
#: a scalar loop's multiply-add against a BLAS one, roughly: a Gram matrix summed over the
#: stored entries of a sparse operator (:func:`csr_gram`) must save this factor over the
#: dense BLAS product to be chosen
SPARSE_PENALTY = 20.0
#: a CSR product goes parallel from this many stored entries (~0.1 ms on one core). Lower than
#: ``PARALLEL_MIN_WORK``: its callers (the graph solvers' iterations) keep BLAS on one thread
#: while they run with a sparse operator, so no BLAS worker spins against the region; on 64 x
#: 64 CT (342k entries) two threads took CG from 89 to 57 ms (scipy's lsqr: 67 ms).
CSR_PARALLEL_MIN_NNZ = 100_000


@njit(cache=True, nogil=True)
def pass_work(indptr, is_sparse, n_samples, cols):
    """Multiply-adds of a pass over ``cols``: stored entries (CSC), ``n_samples`` each (dense)
    or the rows holding each column (dense with column ends)."""
    if not is_sparse and indptr.shape[0] == 0:
        return n_samples * cols.shape[0]
    work = 0
    for k in range(cols.shape[0]):
        j = cols[k]
        work += indptr[j + 1] - (indptr[j] if is_sparse else 0)
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
                # two accumulators and unsigned indices: see _csr_rows (gathers)
                t = indptr[j]
                end = indptr[j + 1]
                if unit_d:
                    while t + 1 < end:
                        acc += data[t] * v[np.uintp(indices[t])]
                        acc2 += data[t + 1] * v[np.uintp(indices[t + 1])]
                        t += 2
                    if t < end:
                        acc += data[t] * v[np.uintp(indices[t])]
                else:
                    while t + 1 < end:
                        i = np.uintp(indices[t])
                        i2 = np.uintp(indices[t + 1])
                        acc += data[t] * d[i] * v[i]
                        acc2 += data[t + 1] * d[i2] * v[i2]
                        t += 2
                    if t < end:
                        i = np.uintp(indices[t])
                        acc += data[t] * d[i] * v[i]
                acc += acc2
        elif moments:
            for i in range(dense_rows(Xd, indptr, j)):
                x = Xd[i, j]
                dx = x if unit_d else d[i] * x
                acc += dx
                acc2 += dx * x
        else:
            for i in range(dense_rows(Xd, indptr, j)):
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


@njit(cache=True, nogil=True)
def _csr_rows(data, indices, indptr, x, out, start, stop):
    """``out[i] = A[i] @ x`` for CSR ``A`` and ``start <= i < stop``.

    Written for this CPU's sake: no ``fastmath`` (a reassociated loop is vectorized with
    gather instructions, which made the product twice as slow on AMD EPYC: 63 against 31 us
    on a 1504 x 1024 CT operator with 44k entries, where scipy takes 25 us), two accumulators,
    an unsigned index (skips numba's negative-index check; CSR indices are non-negative), and
    the row loop in the same function as the entry loop (a call per row, not inlined across
    cached kernels, cost another 40%).
    """
    for i in range(start, stop):
        a0 = 0.0
        a1 = 0.0
        k = indptr[i]
        end = indptr[i + 1]
        while k + 1 < end:
            a0 += data[k] * x[np.uintp(indices[k])]
            a1 += data[k + 1] * x[np.uintp(indices[k + 1])]
            k += 2
        if k < end:
            a0 += data[k] * x[np.uintp(indices[k])]
        out[i] = a0 + a1


@njit(cache=True, nogil=True)
def _gram_rows(data, indices, indptr, t_data, t_indices, t_indptr, d, unit_d, F, start, stop):
    """Rows ``start <= j < stop`` of ``F = A^T diag(d) A``: ``F[j] = sum_i d_i A_ij A[i]``
    over the stored entries of column ``j`` (Gustavson's order: each row of ``F`` is written
    while it sits in cache)."""
    for j in range(start, stop):
        row = F[j]
        for a in range(t_indptr[j], t_indptr[j + 1]):
            i = np.uintp(t_indices[a])
            v = t_data[a] if unit_d else t_data[a] * d[i]
            for b in range(indptr[i], indptr[i + 1]):
                row[np.uintp(indices[b])] += v * data[b]


@njit(cache=True, nogil=True, parallel=True)
def _gram_parallel(data, indices, indptr, t_data, t_indices, t_indptr, d, unit_d, F):
    p = F.shape[0]
    n_blocks = min(p, PASS_BLOCKS)
    for blk in prange(n_blocks):
        _gram_rows(data, indices, indptr, t_data, t_indices, t_indptr, d, unit_d, F,
                   blk * p // n_blocks, (blk + 1) * p // n_blocks)


@njit(cache=True, nogil=True)
def csr_gram_work(indptr):
    """``sum_i nnz_i^2``: the multiply-adds of :func:`csr_gram`."""
    work = 0
    for i in range(indptr.shape[0] - 1):
        c = np.int64(indptr[i + 1] - indptr[i])
        work += c * c
    return work


@njit(cache=True, nogil=True)
def csr_gram(data, indices, indptr, t_data, t_indices, t_indptr, d, unit_d, F):
    """``F += A^T diag(d) A`` (dense ``p x p``) from the CSR arrays of ``A`` (``n x p``) and
    of ``A^T``, in ``sum_i nnz_i^2`` multiply-adds (:func:`csr_gram_work`), on the calling
    thread (a kernel that calls this one does not compile a parallel region).

    For rows of tens of entries, several times faster than scipy's sparse product followed by
    ``toarray``. Symmetric up to rounding (``F[j, k]`` and ``F[k, j]`` multiply in another
    order). ``unit_d``: ``d`` is all ones (not read). ``F`` is passed in so that a caller can
    hand over ``np.zeros`` from Python (pages zeroed lazily, on first touch).
    """
    _gram_rows(data, indices, indptr, t_data, t_indices, t_indptr, d, unit_d, F, np.int64(0),
               F.shape[0])  # not a literal 0: one compiled _gram_rows for every caller


@njit(cache=True, nogil=True)
def csr_gram_parallel(data, indices, indptr, t_data, t_indices, t_indptr, d, unit_d, F):
    """:func:`csr_gram`, rows of ``F`` in parallel when the work reaches
    ``PARALLEL_MIN_WORK``."""
    if csr_gram_work(indptr) >= PARALLEL_MIN_WORK:
        _gram_parallel(data, indices, indptr, t_data, t_indices, t_indptr, d, unit_d, F)
    else:
        _gram_rows(data, indices, indptr, t_data, t_indices, t_indptr, d, unit_d, F,
                   np.int64(0), F.shape[0])


@njit(cache=True, nogil=True, parallel=True)
def _csr_matvec_parallel(data, indices, indptr, x, out):
    n_rows = indptr.shape[0] - 1
    n_blocks = min(n_rows, PASS_BLOCKS)
    for b in prange(n_blocks):
        _csr_rows(data, indices, indptr, x, out, b * n_rows // n_blocks,
                  (b + 1) * n_rows // n_blocks)


@njit(cache=True, nogil=True)
def csr_matvec_serial(data, indices, indptr, x, out):
    """``out = A @ x`` for CSR ``A`` on the calling thread."""
    _csr_rows(data, indices, indptr, x, out, np.int64(0), indptr.shape[0] - 1)


@njit(cache=True, nogil=True)
def csr_matvec(data, indices, indptr, x, out):
    """``out = A @ x`` for CSR ``A`` (pass a CSC matrix's arrays for ``A.T @ x``).

    Parallel over rows when the matrix has at least ``CSR_PARALLEL_MIN_NNZ`` stored entries.
    """
    n_rows = indptr.shape[0] - 1
    if indptr[n_rows] >= CSR_PARALLEL_MIN_NNZ:
        _csr_matvec_parallel(data, indices, indptr, x, out)
    else:
        _csr_rows(data, indices, indptr, x, out, np.int64(0), n_rows)
