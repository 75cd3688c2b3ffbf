"""Input checks shared by every skreg estimator.

Validation happens at the edges only: estimators call these helpers once in ``fit`` /
``predict`` and hand the numba kernels arrays they can trust (float64, finite, dense X
Fortran-ordered, sparse X as CSC with int32 or int64 indices). Every failure is a
``ValueError`` or ``TypeError`` whose message names the problem; nothing here modifies the
caller's arrays.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_X_y as _sk_check_X_y
from sklearn.utils.validation import validate_data

__all__ = [
    "SPARSE_FORMATS",
    "check_feature_weights",
    "check_sample_weight",
    "check_X",
    "check_X_y",
    "check_X_y_arrays",
    "csc_parts",
]

#: Sparse formats accepted as they are (csc) or by a conversion that keeps memory linear in the
#: number of stored entries (csr, coo). Other scipy formats (lil, dok, dia, bsr) are
#: construction formats: we ask the user to convert them rather than silently doing so.
SPARSE_FORMATS = ("csc", "csr", "coo")


def _check_sparse_format(X):
    if sp.issparse(X) and X.format not in SPARSE_FORMATS:
        raise TypeError(
            f"sparse format {X.format!r} is not supported: pass X as a CSC, CSR or COO "
            f"sparse matrix (for example X.tocsc())."
        )


def _check_not_complex(arr, name):
    dtype = getattr(arr, "dtype", None)
    # pandas extension dtypes (strings, categoricals, nullable ints) are not numpy dtypes and
    # cannot be complex; np.issubdtype would raise on them
    if isinstance(dtype, np.dtype) and np.issubdtype(dtype, np.complexfloating):
        # ValueError with sklearn's wording, as check_array raises it (check_complex_data).
        raise ValueError(f"Complex data not supported: {name} has dtype {dtype}.")


def _normalize_csc(X):
    """Return X as canonical CSC with float64 data and int32 indices when they fit."""
    X = sp.csc_matrix(X) if not isinstance(X, sp.csc_matrix) else X
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()  # also sorts indices
    # int32 only if both the entry count (indptr) and the row numbers (indices) fit in it
    int32_max = np.iinfo(np.int32).max
    idx_dtype = np.int32 if max(X.nnz, X.shape[0]) < int32_max else np.int64
    if X.indices.dtype != idx_dtype or X.indptr.dtype != idx_dtype:
        X = sp.csc_matrix(
            (X.data, X.indices.astype(idx_dtype), X.indptr.astype(idx_dtype)), shape=X.shape
        )
    return X


def _finish_X(X):
    if sp.issparse(X):
        return _normalize_csc(X)
    return X


def _is_plain(arr, ndim):
    """Whether ``arr`` is already what validation would return: a float64 numpy array (not a
    subclass) of ``ndim`` dimensions, none empty, Fortran-ordered if 2-D, and finite.

    ``True`` lets the estimators skip sklearn's ``validate_data`` (about 0.1 ms a call, as
    long as a whole fit on a small data set); anything else, including a sum that overflows
    an all-finite array, takes the full checks and their error messages.
    """
    return (type(arr) is np.ndarray and arr.dtype == np.float64 and arr.ndim == ndim
            and arr.size > 0 and (ndim == 1 or arr.flags.f_contiguous)
            and bool(np.isfinite(np.add.reduce(arr, axis=None))))


def _record_features(estimator, X):
    """What ``validate_data(reset=True)`` records for a numpy X: the feature count, and no
    feature names (a name list of an earlier fit on a DataFrame is dropped)."""
    estimator.n_features_in_ = X.shape[1]
    if hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_


def check_X(estimator, X, *, reset, accept_sparse=True):
    """Validate X alone (``predict``-time or unsupervised ``fit``).

    Returns float64 X: Fortran-ordered if dense, canonical CSC if sparse. ``reset=True``
    records ``n_features_in_`` (and ``feature_names_in_``), ``reset=False`` checks them.
    """
    if _is_plain(X, 2):
        if reset:
            _record_features(estimator, X)
            return X
        # an estimator fitted with feature names warns about a numpy X: sklearn's path
        if (not hasattr(estimator, "feature_names_in_")
                and getattr(estimator, "n_features_in_", X.shape[1]) == X.shape[1]):
            return X
    _check_not_complex(X, "X")
    _check_sparse_format(X)
    X = validate_data(
        estimator,
        X,
        reset=reset,
        accept_sparse=list(SPARSE_FORMATS) if accept_sparse else False,
        dtype=np.float64,
        order="F",
        ensure_all_finite=True,
    )
    return _finish_X(X)


def check_X_y(estimator, X, y, *, accept_sparse=True, y_numeric=True):
    """Validate training data: X as in :func:`check_X`, y a finite 1-D array.

    y is float64 when ``y_numeric`` (regressors); classifiers pass ``y_numeric=False`` and
    get y back unchanged in dtype (labels).
    """
    if y is None:  # validate_data would skip y (and choke on y_numeric) for untagged estimators
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )
    if (y_numeric and _is_plain(X, 2) and _is_plain(y, 1)
            and y.shape[0] == X.shape[0]):
        _record_features(estimator, X)
        return X, np.ascontiguousarray(y)
    _check_not_complex(X, "X")
    _check_not_complex(y, "y")
    _check_sparse_format(X)
    X, y = validate_data(
        estimator,
        X,
        y,
        accept_sparse=list(SPARSE_FORMATS) if accept_sparse else False,
        dtype=np.float64,
        order="F",
        ensure_all_finite=True,
        y_numeric=y_numeric,
        multi_output=False,
    )
    if y_numeric:
        y = np.ascontiguousarray(y, dtype=np.float64)
    return _finish_X(X), y


def check_X_y_arrays(X, y, *, accept_sparse=True):
    """:func:`check_X_y` for the functional API (paths): no estimator to record features on."""
    _check_not_complex(X, "X")
    _check_not_complex(y, "y")
    _check_sparse_format(X)
    X, y = _sk_check_X_y(
        X,
        y,
        accept_sparse=list(SPARSE_FORMATS) if accept_sparse else False,
        dtype=np.float64,
        order="F",
        ensure_all_finite=True,
        y_numeric=True,
        multi_output=False,
    )
    return _finish_X(X), np.ascontiguousarray(y, dtype=np.float64)


def check_bool(value, name):
    """Raise TypeError unless ``value`` is a bool (Python or numpy); return it as ``bool``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}.")
    return bool(value)


def check_sample_weight(sample_weight, n_samples):
    """Validate ``sample_weight``: None, a scalar or a 1-D array of length ``n_samples``.

    Weights must be finite and non-negative with a positive sum. Returns a new float64
    array (the caller's array is never modified or aliased).
    """
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float64)
    if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
        if np.iscomplexobj(sample_weight):  # Python and numpy complex scalars
            raise TypeError("sample_weight must be real, got a complex number.")
        sw = np.full(n_samples, float(sample_weight))
    else:
        arr = np.asarray(sample_weight)
        if arr.dtype == object or not (
            np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
        ):
            raise TypeError(f"sample_weight must be numeric, got dtype {arr.dtype}.")
        _check_not_complex(arr, "sample_weight")
        if arr.ndim != 1:
            raise ValueError(
                f"sample_weight must be 1-D (one weight per sample), got shape {arr.shape}."
            )
        if arr.shape[0] != n_samples:
            raise ValueError(
                f"sample_weight has {arr.shape[0]} entries but X has {n_samples} samples."
            )
        sw = np.array(arr, dtype=np.float64, copy=True)
    if not np.all(np.isfinite(sw)):
        raise ValueError("sample_weight contains NaN or infinity.")
    if np.any(sw < 0):
        raise ValueError("sample_weight must be non-negative; found negative weights.")
    if not sw.sum() > 0:
        raise ValueError("sample_weight sums to zero: at least one sample needs weight > 0.")
    return sw


def check_feature_weights(weights, n_features, name="weights"):
    """Validate per-feature penalty weights: None (all ones) or ``n_features`` values >= 0.

    A zero weight leaves the feature unpenalized. Returns a new float64 array.
    """
    if weights is None:
        return np.ones(n_features, dtype=np.float64)
    arr = np.asarray(weights)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}.")
    _check_not_complex(arr, name)
    if arr.ndim != 1 or arr.shape[0] != n_features:
        raise ValueError(
            f"{name} must be a 1-D array with one entry per feature ({n_features}), "
            f"got shape {arr.shape}."
        )
    v = np.array(arr, dtype=np.float64, copy=True)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} contains NaN or infinity.")
    if np.any(v < 0):
        raise ValueError(f"{name} must be non-negative; found negative entries.")
    return v


def csc_parts(X):
    """Split validated X into the kernel's arguments ``(Xd, data, indices, indptr, is_sparse)``.

    Dense X goes in ``Xd`` (with empty sparse arrays); CSC X in ``data, indices, indptr``
    (with a 0x0 dense placeholder), so one kernel signature serves both.
    """
    if sp.issparse(X):
        return (
            # unused placeholder; 2 x 2 so that it is F- but not C-contiguous and numba types
            # it like a dense design (one compiled kernel for both)
            np.empty((2, 2), dtype=np.float64, order="F"),
            X.data,
            X.indices,
            X.indptr,
            True,
        )
    empty_idx = np.empty(0, dtype=np.int32)
    return X, np.empty(0, dtype=np.float64), empty_idx, empty_idx, False
