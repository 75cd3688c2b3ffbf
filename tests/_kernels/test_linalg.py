"""Tests of skreg._kernels.linalg: column products on dense and CSC designs, and CSR row
products, vs numpy."""

import numpy as np
import pytest
import scipy.sparse as sp

from skreg._kernels.linalg import (
    CSR_PARALLEL_MIN_NNZ,
    PARALLEL_MIN_WORK,
    PASS_BLOCKS,
    add_columns,
    csr_gram,
    csr_gram_parallel,
    csr_gram_work,
    csr_matvec,
    csr_matvec_serial,
    matvec,
    pass_work,
    weighted_col_moments,
    xt_dot,
    xt_dot_weighted,
)

N_SAMPLES, N_FEATURES = 23, 11
EMPTY_COLS = (2, 7)


def _dense_matrix(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N_SAMPLES, N_FEATURES))
    X[rng.random(X.shape) < 0.6] = 0.0
    X[:, list(EMPTY_COLS)] = 0.0  # empty columns (no stored entries in CSC)
    X[:, 0] = 0.0
    X[5, 0] = 3.0  # a column with a single entry
    rows, cols = np.indices(X.shape)
    X[rows > cols + 12] = 0.0  # columns that end early (staircase), as in "dense-ends"
    return np.asfortranarray(X)


def _parts(X, kind):
    """The kernel's ``(Xd, data, indices, indptr, is_sparse)`` for the requested storage."""
    empty_i = np.empty(0, dtype=np.int32)
    if kind == "dense":
        return (np.asfortranarray(X), np.empty(0), empty_i, empty_i, False)
    if kind == "dense-ends":
        # column ends (indptr[j + 1]): the rows below hold NaN, which no kernel may read
        nonzero = X != 0.0
        ends = np.where(nonzero.any(axis=0), X.shape[0] - np.argmax(nonzero[::-1], axis=0), 0)
        assert 0 < ends.min() < ends.max() < X.shape[0] or not nonzero.any(axis=0).all()
        Xd = np.asfortranarray(X.copy())
        for j, end in enumerate(ends):
            Xd[end:, j] = np.nan
        return (Xd, np.empty(0), empty_i, np.concatenate(([0], ends)).astype(np.int32), False)
    Xs = sp.csc_matrix(X)
    Xs.eliminate_zeros()
    Xs.sort_indices()
    itype = np.int32 if kind == "csc32" else np.int64
    assert all(Xs.indptr[j] == Xs.indptr[j + 1] for j in EMPTY_COLS)
    return (
        np.empty((0, 0), order="F"),
        Xs.data.copy(),
        Xs.indices.astype(itype),
        Xs.indptr.astype(itype),
        True,
    )


KINDS = ["dense", "dense-ends", "csc32", "csc64"]


def _freeze(parts):
    """Read-only views of the kernel inputs: any write into them raises."""
    out = []
    for a in parts:
        if isinstance(a, np.ndarray):
            a = a.view()
            a.flags.writeable = False
        out.append(a)
    return tuple(out)


@pytest.mark.parametrize("kind", KINDS)
def test_add_columns_updates_only_the_buffer(kind):
    X = _dense_matrix()
    rng = np.random.default_rng(2)
    parts = _freeze(_parts(X, kind))
    cols = np.array([3, 0, 2, 5, 3, 10], dtype=np.int64)  # any order, repeats, empty columns
    coefs = rng.standard_normal(cols.size)
    coefs[1] = 0.0
    coefs_before = coefs.copy()
    v = rng.standard_normal(N_SAMPLES)
    expected = v + X[:, cols] @ coefs
    add_columns(*parts, cols, coefs, v)
    np.testing.assert_allclose(v, expected, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(coefs, coefs_before)


@pytest.mark.parametrize("kind", KINDS)
def test_matvec(kind):
    X = _dense_matrix()
    rng = np.random.default_rng(3)
    parts = _freeze(_parts(X, kind))
    w = rng.standard_normal(N_FEATURES)
    w[[1, 4]] = 0.0
    out = np.full(N_SAMPLES, np.nan)  # garbage on entry: matvec overwrites it
    matvec(*parts, N_SAMPLES, w, out)
    np.testing.assert_allclose(out, X @ w, rtol=1e-13, atol=1e-14)
    matvec(*parts, N_SAMPLES, np.zeros(N_FEATURES), out)
    np.testing.assert_array_equal(out, 0.0)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("unit_d", [False, True])
def test_xt_dot_weighted(kind, unit_d):
    X = _dense_matrix()
    rng = np.random.default_rng(4)
    parts = _freeze(_parts(X, kind))
    v = rng.standard_normal(N_SAMPLES)
    d = np.ones(N_SAMPLES) if unit_d else rng.uniform(0.0, 2.0, N_SAMPLES)
    d[3] = 0.0 if not unit_d else 1.0
    cols = np.array([10, 0, 2, 5, 7, 5], dtype=np.int64)  # any order, repeats, empty columns
    out = np.empty(cols.size)
    xt_dot_weighted(*parts, cols, d, v, unit_d, out)
    np.testing.assert_allclose(out, X[:, cols].T @ (d * v), rtol=1e-13, atol=1e-14)
    # convenience wrapper: all columns
    np.testing.assert_allclose(xt_dot(*parts, v), X.T @ v, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("unit_d", [False, True])
def test_weighted_col_moments(kind, unit_d):
    X = _dense_matrix()
    rng = np.random.default_rng(5)
    parts = _freeze(_parts(X, kind))
    d = np.ones(N_SAMPLES) if unit_d else rng.uniform(0.0, 2.0, N_SAMPLES)
    first = np.full(N_FEATURES, np.nan)
    second = np.full(N_FEATURES, np.nan)
    weighted_col_moments(*parts, np.arange(N_FEATURES), d, unit_d, first, second)
    np.testing.assert_allclose(first, d @ X, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(second, d @ X**2, rtol=1e-13, atol=1e-14)
    for j in EMPTY_COLS:
        assert first[j] == 0.0 and second[j] == 0.0


def test_dense_and_sparse_kernels_agree():
    """Dense and CSC agree to rounding; int32 and int64 CSC indices agree exactly."""
    X = _dense_matrix(seed=9)
    rng = np.random.default_rng(6)
    v = rng.standard_normal(N_SAMPLES)
    d = rng.uniform(0.1, 2.0, N_SAMPLES)
    cols = np.arange(N_FEATURES, dtype=np.int64)
    results = {}
    for kind in KINDS:
        parts = _parts(X, kind)
        out = np.empty(N_FEATURES)
        xt_dot_weighted(*parts, cols, d, v, False, out)
        first, second = np.empty(N_FEATURES), np.empty(N_FEATURES)
        weighted_col_moments(*parts, np.arange(N_FEATURES), d, False, first, second)
        mv = np.empty(N_SAMPLES)
        matvec(*parts, N_SAMPLES, v[:N_FEATURES], mv)
        results[kind] = np.concatenate([out, first, second, mv])
    np.testing.assert_allclose(results["csc32"], results["dense"], rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(results["dense-ends"], results["dense"], rtol=1e-13, atol=1e-14)
    np.testing.assert_array_equal(results["csc32"], results["csc64"])


@pytest.mark.parametrize("kind", KINDS)
def test_pass_work_counts_the_entries_a_pass_reads(kind):
    X = _dense_matrix()
    _, _, _, indptr, is_sparse = _parts(X, kind)
    cols = np.array([0, 4, 2, 10, 4], dtype=np.int64)
    if kind == "dense":
        per_column = np.full(N_FEATURES, N_SAMPLES)
    elif kind == "dense-ends":  # down to the last non-zero row
        per_column = np.array([np.flatnonzero(x).max() + 1 if x.any() else 0 for x in X.T])
    else:
        per_column = np.count_nonzero(X, axis=0)
    assert pass_work(indptr, is_sparse, N_SAMPLES, cols) == per_column[cols].sum()


def test_inputs_are_not_modified():
    X = _dense_matrix()
    rng = np.random.default_rng(8)
    v = rng.standard_normal(N_SAMPLES)
    d = rng.uniform(0.0, 2.0, N_SAMPLES)
    for kind in KINDS:
        parts = _parts(X, kind)
        before = [a.copy() if isinstance(a, np.ndarray) else a for a in parts]
        v0, d0 = v.copy(), d.copy()
        cols = np.arange(N_FEATURES, dtype=np.int64)
        out = np.empty(N_FEATURES)
        xt_dot_weighted(*parts, cols, d, v, False, out)
        weighted_col_moments(*parts, np.arange(N_FEATURES), d, False, np.empty(N_FEATURES),
                             np.empty(N_FEATURES))
        matvec(*parts, N_SAMPLES, np.ones(N_FEATURES), np.empty(N_SAMPLES))
        for a, b in zip(parts, before):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b)  # NaN (dense-ends) compare equal
        np.testing.assert_array_equal(v, v0)
        np.testing.assert_array_equal(d, d0)


@pytest.mark.parametrize("kind", ["dense", "csc32"])
@pytest.mark.parametrize("n_cols", [PASS_BLOCKS + 45, 37])
def test_parallel_passes_match_numpy(kind, n_cols):
    """Passes above ``PARALLEL_MIN_WORK`` run in parallel over blocks of columns: with more
    columns than blocks (uneven blocks) and fewer (one column each), every column is
    reduced once."""
    rng = np.random.default_rng(10)
    density = 1.0 if kind == "dense" else 0.7
    n = int(PARALLEL_MIN_WORK / (density * n_cols)) + 500
    X = rng.standard_normal((n, n_cols))
    if kind != "dense":
        X[rng.random(X.shape) >= density] = 0.0
    if kind == "dense":
        parts = _parts(X, kind)
        stored = n * n_cols
    else:
        Xs = sp.csc_matrix(X)
        parts = (np.empty((0, 0), order="F"), Xs.data, Xs.indices.astype(np.int32),
                 Xs.indptr.astype(np.int32), True)
        stored = Xs.nnz
    assert stored >= PARALLEL_MIN_WORK
    v = rng.standard_normal(n)
    d = rng.uniform(0.0, 2.0, n)
    cols = rng.permutation(n_cols).astype(np.int64)
    out = np.full(n_cols, np.nan)
    xt_dot_weighted(*parts, cols, d, v, False, out)
    np.testing.assert_allclose(out, X[:, cols].T @ (d * v), rtol=1e-11, atol=1e-10)
    first = np.full(n_cols, np.nan)
    second = np.full(n_cols, np.nan)
    weighted_col_moments(*parts, np.arange(n_cols), d, False, first, second)
    np.testing.assert_allclose(first, d @ X, rtol=1e-11, atol=1e-10)
    np.testing.assert_allclose(second, d @ X**2, rtol=1e-11)


@pytest.mark.parametrize("itype", [np.int32, np.int64])
@pytest.mark.parametrize("n_rows, density", [(37, 0.3), (2000, 0.06)])
def test_csr_products_match_scipy(itype, n_rows, density):
    """Serial and automatic CSR products (the second size runs the parallel branch) equal
    scipy's, on rows of odd, even, one and zero entries, without touching their inputs."""
    rng = np.random.default_rng(3)
    A = sp.random(n_rows, 1000, density=density, format="lil", random_state=rng)
    A[1] = 0.0
    A[2] = 0.0
    A[2, 5] = 1.5  # a row with one entry
    A = A.tocsr()
    A.eliminate_zeros()
    A.indices = A.indices.astype(itype)
    A.indptr = A.indptr.astype(itype)
    assert (A.nnz >= CSR_PARALLEL_MIN_NNZ) == (n_rows == 2000)
    assert len(set(np.diff(A.indptr) % 2)) == 2  # both parities of the two-accumulator loop
    x = rng.standard_normal(1000)
    before = (A.data.copy(), A.indices.copy(), x.copy())
    for kernel in (csr_matvec, csr_matvec_serial):
        out = np.full(n_rows, np.nan)
        kernel(A.data, A.indices, A.indptr, x, out)
        np.testing.assert_allclose(out, A @ x, rtol=1e-12, atol=1e-12)
        assert out[1] == 0.0
    np.testing.assert_array_equal(A.data, before[0])
    np.testing.assert_array_equal(A.indices, before[1])
    np.testing.assert_array_equal(x, before[2])


@pytest.mark.parametrize("itype", [np.int32, np.int64])
@pytest.mark.parametrize("unit_d", [True, False])
@pytest.mark.parametrize("n, p, density", [(40, 17, 0.3), (200, 120, 0.7)])
def test_csr_gram_matches_dense(itype, unit_d, n, p, density):
    """Serial and parallel kernels; the second size reaches PARALLEL_MIN_WORK."""
    rng = np.random.default_rng(4)
    A = sp.random(n, p, density=density, format="lil", random_state=rng)
    A[0] = 0.0  # an empty row
    A[1] = 0.0
    A[1, p - 1] = -2.0  # a row with one entry, in the last column
    A = A.tocsr()
    A.sort_indices()
    A.indices = A.indices.astype(itype)
    A.indptr = A.indptr.astype(itype)
    assert (csr_gram_work(A.indptr) >= PARALLEL_MIN_WORK) == (n == 200)
    d = rng.uniform(0.0, 2.0, n)
    dense = A.toarray()
    expected = dense.T @ ((np.ones(n) if unit_d else d)[:, None] * dense)
    At = A.T.tocsr()
    At.sort_indices()
    for kernel in (csr_gram, csr_gram_parallel):
        F = np.eye(p)
        kernel(A.data, A.indices, A.indptr, At.data, At.indices.astype(itype),
               At.indptr.astype(itype), np.empty(0) if unit_d else d, unit_d, F)
        np.testing.assert_allclose(F, np.eye(p) + expected, rtol=1e-12, atol=1e-12)
    assert csr_gram_work(A.indptr) == np.sum(np.diff(A.indptr) ** 2)
