"""Unit tests of skreg._validation: the input checks every estimator relies on."""

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from skreg._validation import (
    SPARSE_FORMATS,
    check_feature_weights,
    check_sample_weight,
    check_X,
    check_X_y,
    check_X_y_arrays,
    csc_parts,
)


class _Dummy(BaseEstimator):
    """Minimal estimator to record n_features_in_ / feature_names_in_ on."""


def _X(n=6, p=4, seed=0):
    return np.random.RandomState(seed).normal(size=(n, p))


def _non_canonical_csc():
    """3 x 2 CSC with a duplicate entry and unsorted row indices in column 0."""
    data = np.array([1.0, 2.0, 5.0, 3.0])
    indices = np.array([2, 0, 2, 1], dtype=np.int32)  # column 0: rows 2, 0, 2 ; column 1: row 1
    indptr = np.array([0, 3, 4], dtype=np.int32)
    X = sp.csc_matrix((data, indices, indptr), shape=(3, 2))
    dense = np.array([[2.0, 0.0], [0.0, 3.0], [6.0, 0.0]])
    return X, dense


# --------------------------------------------------------------------------------------------
# check_X


def test_check_X_dense_is_float64_fortran_and_records_features():
    est = _Dummy()
    X = np.arange(12, dtype=np.int64).reshape(4, 3)
    Xv = check_X(est, X, reset=True)
    assert Xv.dtype == np.float64
    assert Xv.flags.f_contiguous
    np.testing.assert_array_equal(Xv, X)
    assert est.n_features_in_ == 3
    check_X(est, X[:, :3], reset=False)
    with pytest.raises(ValueError, match="X has 2 features, but _Dummy is expecting 3"):
        check_X(est, X[:, :2], reset=False)


def test_check_X_does_not_copy_valid_fortran_input():
    X = np.asfortranarray(_X())
    assert check_X(_Dummy(), X, reset=True) is X


def test_check_X_records_feature_names():
    pd = pytest.importorskip("pandas")
    est = _Dummy()
    df = pd.DataFrame(_X(p=3), columns=["a", "b", "c"])
    check_X(est, df, reset=True)
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c"])


@pytest.mark.parametrize(
    "X, exc, match",
    [
        (np.array([[1.0, np.nan]]), ValueError, "NaN"),
        (np.array([[1.0, np.inf]]), ValueError, "infinity"),
        (np.array([[1.0 + 1j, 2.0]]), ValueError, "Complex data not supported: X"),
        (np.array([["a", "b"]], dtype=object), ValueError, "could not convert"),
        (np.ones(3), ValueError, "Expected 2D array"),
        (np.ones((0, 3)), ValueError, "0 sample"),
        (np.ones((3, 0)), ValueError, "0 feature"),
    ],
    ids=["nan", "inf", "complex", "strings", "1d", "no-samples", "no-features"],
)
def test_check_X_errors(X, exc, match):
    with pytest.raises(exc, match=match):
        check_X(_Dummy(), X, reset=True)


@pytest.mark.parametrize("fmt", ["lil", "dok", "dia", "bsr"])
def test_check_X_unsupported_sparse_format(fmt):
    X = sp.csr_matrix(_X()).asformat(fmt)
    with pytest.raises(TypeError, match=f"sparse format '{fmt}' is not supported.*tocsc"):
        check_X(_Dummy(), X, reset=True)
    with pytest.raises(TypeError, match=f"'{fmt}'"):
        check_X_y(_Dummy(), X, np.ones(X.shape[0]))
    with pytest.raises(TypeError, match=f"'{fmt}'"):
        check_X_y_arrays(X, np.ones(X.shape[0]))


def test_check_X_sparse_rejected_when_not_accepted():
    with pytest.raises(TypeError, match="[Ss]parse"):
        check_X(_Dummy(), sp.csc_matrix(_X()), reset=True, accept_sparse=False)


@pytest.mark.parametrize("fmt", SPARSE_FORMATS)
@pytest.mark.parametrize("container", ["matrix", "array"])
def test_check_X_sparse_becomes_canonical_csc(fmt, container):
    X = _X(8, 5)
    X[X < 0.3] = 0.0
    Xs = sp.csr_matrix(X) if container == "matrix" else sp.csr_array(X)
    Xs = Xs.asformat(fmt)
    Xv = check_X(_Dummy(), Xs, reset=True)
    assert sp.issparse(Xv) and Xv.format == "csc"
    assert Xv.has_canonical_format
    assert Xv.dtype == np.float64
    assert Xv.indices.dtype == Xv.indptr.dtype == np.int32
    np.testing.assert_array_equal(Xv.toarray(), X)


def test_check_X_sparse_int_data_is_converted():
    Xs = sp.csc_matrix(np.array([[1, 0], [0, 2]], dtype=np.int64))
    Xv = check_X(_Dummy(), Xs, reset=True)
    assert Xv.dtype == np.float64
    assert Xs.dtype == np.int64


# --------------------------------------------------------------------------------------------
# sparse canonicalization and index dtypes


def test_non_canonical_csc_is_canonicalized_without_touching_the_input():
    X, dense = _non_canonical_csc()
    assert not X.has_canonical_format
    data, indices, indptr = X.data.copy(), X.indices.copy(), X.indptr.copy()
    Xv = check_X(_Dummy(), X, reset=True)
    assert Xv is not X
    assert Xv.has_canonical_format and Xv.has_sorted_indices
    assert Xv.nnz == 3  # the duplicate (2, 0) was summed
    np.testing.assert_array_equal(Xv.toarray(), dense)
    # the caller's matrix is untouched: same arrays, same (non-canonical) content
    np.testing.assert_array_equal(X.data, data)
    np.testing.assert_array_equal(X.indices, indices)
    np.testing.assert_array_equal(X.indptr, indptr)
    for a in (Xv.data, Xv.indices, Xv.indptr):
        assert not np.shares_memory(a, X.data)
        assert not np.shares_memory(a, X.indices)


def test_non_canonical_csc_in_check_X_y_and_arrays():
    X, dense = _non_canonical_csc()
    indices = X.indices.copy()
    Xv, _ = check_X_y(_Dummy(), X, np.arange(3.0))
    Xa, _ = check_X_y_arrays(X, np.arange(3.0))
    for Z in (Xv, Xa):
        assert Z.has_canonical_format
        np.testing.assert_array_equal(Z.toarray(), dense)
    np.testing.assert_array_equal(X.indices, indices)


def test_coo_with_duplicates_is_summed():
    X = sp.coo_matrix((np.array([1.0, 2.0, 4.0]), (np.array([0, 0, 1]), np.array([1, 1, 0]))),
                      shape=(2, 2))
    Xv = check_X(_Dummy(), X, reset=True)
    np.testing.assert_array_equal(Xv.toarray(), [[0.0, 3.0], [4.0, 0.0]])
    assert X.nnz == 3  # the input still holds its duplicates


def test_int64_indices_are_downcast_to_int32_when_they_fit():
    X = sp.csc_matrix(_X(5, 3))
    X.indices = X.indices.astype(np.int64)
    X.indptr = X.indptr.astype(np.int64)
    Xv = check_X(_Dummy(), X, reset=True)
    assert Xv.indices.dtype == Xv.indptr.dtype == np.int32
    np.testing.assert_array_equal(Xv.toarray(), X.toarray())
    assert X.indices.dtype == X.indptr.dtype == np.int64  # input untouched


def test_int64_indices_stay_int64_when_row_numbers_do_not_fit_int32():
    # more rows than int32 can number (only 3 stored entries, so this is cheap): downcasting
    # the row indices would wrap them around
    n_rows = np.iinfo(np.int32).max + 10
    big_row = n_rows - 5
    X = sp.csc_matrix(
        (np.array([1.0, 2.0, 3.0]), np.array([0, big_row, 1], dtype=np.int64),
         np.array([0, 2, 3], dtype=np.int64)),
        shape=(n_rows, 2),
    )
    Xv = check_X(_Dummy(), X, reset=True)
    assert Xv.indices.dtype == Xv.indptr.dtype == np.int64
    np.testing.assert_array_equal(Xv.indices, [0, big_row, 1])
    np.testing.assert_array_equal(Xv.indptr, [0, 2, 3])


# --------------------------------------------------------------------------------------------
# the shortcut for arrays that are already valid (float64, Fortran, finite)


def test_valid_arrays_are_returned_as_they_are():
    est = _Dummy()
    X, y = np.asfortranarray(_X()), np.arange(6.0)
    Xv, yv = check_X_y(est, X, y)
    assert Xv is X and yv is y
    assert est.n_features_in_ == 4 and not hasattr(est, "feature_names_in_")
    assert check_X(est, X, reset=False) is X
    with pytest.raises(ValueError, match="X has 3 features, but _Dummy is expecting 4"):
        check_X(est, np.asfortranarray(_X(p=3)), reset=False)


def test_shortcut_forgets_the_feature_names_of_an_earlier_fit():
    pd = pytest.importorskip("pandas")
    est = _Dummy()
    check_X_y(est, pd.DataFrame(_X(), columns=list("abcd")), np.arange(6.0))
    assert hasattr(est, "feature_names_in_")
    # predicting on an array after a fit on names warns (sklearn's path, not the shortcut)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        check_X(est, np.asfortranarray(_X()), reset=False)
    check_X_y(est, np.asfortranarray(_X()), np.arange(6.0))
    assert not hasattr(est, "feature_names_in_")
    check_X(est, np.asfortranarray(_X()), reset=True)
    assert not hasattr(est, "feature_names_in_")


@pytest.mark.parametrize("where", ["X", "y"])
@pytest.mark.parametrize("value, match", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_shortcut_still_rejects_non_finite_values(where, value, match):
    X, y = np.asfortranarray(_X()), np.arange(6.0)
    if where == "X":
        X[2, 1] = value
    else:
        y[3] = value
    with pytest.raises(ValueError, match=f"{where} contains {match}"):
        check_X_y(_Dummy(), X, y)
    if where == "X":
        with pytest.raises(ValueError, match=f"X contains {match}"):
            check_X(_Dummy(), X, reset=True)


def test_shortcut_accepts_finite_values_whose_sum_overflows():
    X = np.asfortranarray(np.full((4, 2), 1e308))
    y = np.full(4, 1e308)
    Xv, yv = check_X_y(_Dummy(), X, y)
    np.testing.assert_array_equal(Xv, X)
    np.testing.assert_array_equal(yv, y)


# --------------------------------------------------------------------------------------------
# check_X_y / check_X_y_arrays


def test_check_X_y_regression():
    est = _Dummy()
    X, y = _X(), np.arange(6)
    Xv, yv = check_X_y(est, X, y)
    assert Xv.flags.f_contiguous and Xv.dtype == np.float64
    assert yv.dtype == np.float64 and yv.flags.c_contiguous
    assert est.n_features_in_ == 4


def test_check_X_y_labels_keep_their_dtype():
    y = np.array(["a", "b", "a", "b", "a", "b"])
    _, yv = check_X_y(_Dummy(), _X(), y, y_numeric=False)
    np.testing.assert_array_equal(yv, y)


def test_check_X_y_pandas_string_labels():
    pd = pytest.importorskip("pandas")
    y = pd.Series(["a", "b", "a", "b", "a", "b"], dtype="string")
    _, yv = check_X_y(_Dummy(), _X(), y, y_numeric=False)
    assert list(yv) == list(y)


@pytest.mark.parametrize("func", ["check_X_y", "check_X_y_arrays"])
@pytest.mark.parametrize(
    "X, y, exc, match",
    [
        (_X(), np.r_[np.nan, np.ones(5)], ValueError, "y contains NaN"),
        (_X(), np.r_[np.inf, np.ones(5)], ValueError, "y contains infinity"),
        (_X(), np.ones(6) + 1j, ValueError, "Complex data not supported: y"),
        (_X() + 0j, np.ones(6), ValueError, "Complex data not supported: X"),
        (_X(), np.ones(5), ValueError, "inconsistent numbers of samples"),
        (_X(), np.ones((6, 2)), ValueError, "y should be a 1d array"),
        (_X(), None, ValueError, "requires y"),
    ],
    ids=["nan-y", "inf-y", "complex-y", "complex-X", "length", "2d-y", "no-y"],
)
def test_check_X_y_errors(func, X, y, exc, match):
    with pytest.raises(exc, match=match):
        if func == "check_X_y":
            check_X_y(_Dummy(), X, y)
        else:
            check_X_y_arrays(X, y)


def test_check_X_y_arrays_outputs():
    X, y = _X(), np.arange(6, dtype=np.int32)
    Xv, yv = check_X_y_arrays(X, y)
    assert Xv.flags.f_contiguous and Xv.dtype == np.float64
    assert yv.dtype == np.float64
    np.testing.assert_array_equal(yv, y)


# --------------------------------------------------------------------------------------------
# check_sample_weight


def test_check_sample_weight_defaults_and_scalars():
    np.testing.assert_array_equal(check_sample_weight(None, 3), np.ones(3))
    np.testing.assert_array_equal(check_sample_weight(2, 3), np.full(3, 2.0))
    np.testing.assert_array_equal(check_sample_weight(np.float32(0.5), 2), [0.5, 0.5])
    np.testing.assert_array_equal(check_sample_weight([1, 0, 2], 3), [1.0, 0.0, 2.0])
    assert check_sample_weight([1, 0, 2], 3).dtype == np.float64


def test_check_sample_weight_returns_a_new_array():
    sw = np.array([1.0, 2.0, 3.0])
    out = check_sample_weight(sw, 3)
    assert not np.shares_memory(out, sw)
    out[0] = 10.0
    assert sw[0] == 1.0
    ro = np.array([1.0, 2.0])
    ro.setflags(write=False)
    assert check_sample_weight(ro, 2).flags.writeable


@pytest.mark.parametrize(
    "sw, exc, match",
    [
        (np.array([1.0, -1.0, 1.0]), ValueError, "non-negative"),
        (-1.0, ValueError, "non-negative"),
        (np.zeros(3), ValueError, "sums to zero"),
        (0.0, ValueError, "sums to zero"),
        (np.array([1.0, np.nan, 1.0]), ValueError, "NaN or infinity"),
        (np.array([1.0, np.inf, 1.0]), ValueError, "NaN or infinity"),
        (np.nan, ValueError, "NaN or infinity"),
        (np.ones(2), ValueError, "2 entries but X has 3 samples"),
        (np.ones((3, 1)), ValueError, r"1-D .*shape \(3, 1\)"),
        (np.array(1.0), ValueError, "1-D"),
        (1 + 1j, TypeError, "real"),
        (np.complex64(1 + 1j), TypeError, "real"),
        (np.ones(3) + 0j, ValueError, "Complex data not supported: sample_weight"),
        (np.array(["a", "b", "c"]), TypeError, "numeric"),
        (np.array([1, 2, 3], dtype=object), TypeError, "numeric"),
    ],
    ids=[
        "negative", "negative-scalar", "all-zero", "zero-scalar", "nan", "inf", "nan-scalar",
        "length", "2d", "0d", "complex-scalar", "numpy-complex-scalar", "complex-array",
        "strings", "object",
    ],
)
def test_check_sample_weight_errors(sw, exc, match):
    with pytest.raises(exc, match=match):
        check_sample_weight(sw, 3)


# --------------------------------------------------------------------------------------------
# check_feature_weights


def test_check_feature_weights_valid():
    np.testing.assert_array_equal(check_feature_weights(None, 3), np.ones(3))
    v = np.array([0, 1, 2])
    out = check_feature_weights(v, 3)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, v)
    out[0] = 5.0
    assert v[0] == 0  # a copy, never the caller's array


@pytest.mark.parametrize("name", ["weights", "penalty_weights"])
@pytest.mark.parametrize(
    "w, exc, match",
    [
        (np.ones(2), ValueError, r"one entry per feature \(3\).*shape \(2,\)"),
        (np.ones((3, 1)), ValueError, r"1-D.*shape \(3, 1\)"),
        (np.array([1.0, -0.5, 1.0]), ValueError, "non-negative"),
        (np.array([1.0, np.nan, 1.0]), ValueError, "NaN or infinity"),
        (np.array([1.0, np.inf, 1.0]), ValueError, "NaN or infinity"),
        (np.ones(3) + 1j, ValueError, "Complex data not supported"),
        (np.array(["a", "b", "c"]), TypeError, "numeric"),
        (np.array([1.0, None, 2.0], dtype=object), TypeError, "numeric"),
    ],
    ids=["length", "2d", "negative", "nan", "inf", "complex", "strings", "object"],
)
def test_check_feature_weights_errors(name, w, exc, match):
    with pytest.raises(exc, match=match) as excinfo:
        check_feature_weights(w, 3, name=name)
    assert name in str(excinfo.value)  # the message names the parameter


# --------------------------------------------------------------------------------------------
# csc_parts


def test_csc_parts_dense():
    X = check_X(_Dummy(), _X(5, 3), reset=True)
    Xd, data, indices, indptr, is_sparse = csc_parts(X)
    assert Xd is X and Xd.flags.f_contiguous and Xd.dtype == np.float64
    assert is_sparse is False
    assert data.shape == (0,) and data.dtype == np.float64
    assert indices.shape == indptr.shape == (0,)
    assert indices.dtype == indptr.dtype == np.int32


@pytest.mark.parametrize("idx_dtype", [np.int32, np.int64])
def test_csc_parts_sparse(idx_dtype):
    X = sp.csc_matrix(np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]]))
    X.indices = X.indices.astype(idx_dtype)
    X.indptr = X.indptr.astype(idx_dtype)
    Xv = check_X(_Dummy(), X, reset=True)
    Xd, data, indices, indptr, is_sparse = csc_parts(Xv)
    assert is_sparse is True
    # the placeholder must be typed like a dense design by numba: F- but not C-contiguous
    assert Xd.dtype == np.float64 and Xd.flags.f_contiguous and not Xd.flags.c_contiguous
    dense_parts = csc_parts(np.asfortranarray(np.ones((3, 2))))
    assert numba.typeof(Xd) == numba.typeof(dense_parts[0])
    assert numba.typeof(data) == numba.typeof(dense_parts[1])
    assert data.dtype == np.float64
    assert indices.dtype == indptr.dtype == np.int32
    assert indptr.shape == (X.shape[1] + 1,)
    np.testing.assert_array_equal(data, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(indices, [0, 0, 1])
    np.testing.assert_array_equal(indptr, [0, 1, 1, 3])


def test_csc_parts_empty_sparse():
    Xv = check_X(_Dummy(), sp.csc_matrix((4, 3)), reset=True)
    Xd, data, indices, indptr, is_sparse = csc_parts(Xv)
    assert is_sparse
    assert data.shape == indices.shape == (0,)
    np.testing.assert_array_equal(indptr, np.zeros(4))
