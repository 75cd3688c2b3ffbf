"""Column shifts that keep the implicit centering of a design exact.

Every skreg solver that fits an intercept centres X implicitly: ``X~ = X - 1 mu^T`` is never
formed, and its products are X's products corrected by the column means ``mu``
(``X~^T r = X^T r - mu sum(r)``, Gram matrices ``X^T X - S mu mu^T``, squared norms
``sum x^2 - S mu^2``). Each correction subtracts numbers of size ``mu_j^2`` (or ``mu_j``
times the residual's scale) from each other, so a column whose mean is ``R`` times its
standard deviation loses about ``R^2 eps`` of relative accuracy: coefficients off by ~1e-7 at
``R = 1e4`` and meaningless from ``R ~ 1e7`` (a year, a timestamp or a physical reading with
a small spread around a large value).

The intercept makes the model invariant to shifting columns: fitting ``X - 1 c^T`` gives the
same coefficients ``w`` and the intercept ``b + c^T w``. :func:`shift_columns` finds the
columns of X that sit far from zero against their spread and returns a shifted copy
(X itself, not copied, when there are none: the common case of centred, standardized or
moderately offset data); :func:`unshift_intercept` maps the intercept fitted on the copy back
to X (and :func:`subtract_shift` applies the same shift to other data, e.g. held-out
rows). In a sparse X, a column's mean exceeds ``R`` standard deviations only when fewer than
``n / R^2`` of its entries are zeros (each zero lies ``|mean|`` from the mean): such columns
are found from the stored counts alone, and the far ones are stored full, shifted.
"""

import numpy as np
import scipy.sparse as sp

from ._config import _numba_threads
from ._kernels.linalg import weighted_col_moments

__all__ = ["shift_columns", "subtract_shift", "unshift_intercept"]

#: Columns whose |mean| exceeds this many standard deviations (on the sampled rows) are
#: shifted. Below it, implicit centering loses at most ~1e2 eps of relative accuracy.
OFFSET_RATIO = 10.0
#: Rows read to find them (the first ones: contiguous in a Fortran-ordered X), so that the
#: check costs SAMPLE_ROWS x n_features reads whatever n_samples.
SAMPLE_ROWS = 32


def shift_columns(X, fit_intercept):
    """Shift the columns of X whose mean is large against their spread.

    Dense X: the check reads the first ``m = min(n_samples, SAMPLE_ROWS)`` rows. Any ``m`` of
    ``n`` rows have squared deviations from the column's mean at most ``n / m`` times the
    mean squared deviation of all of them, so their mean and standard deviation are within
    ``k = sqrt(n / m)`` standard deviations of the column's: a column that passes the check
    has ``|mean| <= (OFFSET_RATIO + 1) k std`` (at most ~2000 std for a million rows, where
    implicit centering still holds ~1e-9 relative accuracy; typically the sample's ratio is
    the column's within tens of percent). A shifted column is centred on the sample's mean.

    Sparse X: only the columns with fewer than ``n / OFFSET_RATIO^2`` zeros can be far (the
    stored counts tell, at no cost); their means and spreads are taken over all the rows,
    and a shifted column is centred on its mean.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or sparse matrix
        Validated design (float64; dense in any order, Fortran read without a copy; sparse
        canonical: CSC, or another format converted to it when shifted).
    fit_intercept : bool
        Without an intercept the model is not invariant to shifts: X is returned as is.

    Returns
    -------
    X_fit : ndarray or sparse matrix
        ``subtract_shift(X, shift)`` when some column is shifted, otherwise ``X`` itself.
    shift : ndarray of shape (n_features,) or None
        The shift of each column (0 for the columns left as they are), or None when X is
        returned as is.
    """
    if not fit_intercept or X.shape[0] < 2 or X.shape[1] == 0:
        return X, None
    shift = _sparse_shift(X) if sp.issparse(X) else _dense_shift(X)
    if shift is None:
        return X, None
    return subtract_shift(X, shift), shift


def _far(mean, var):
    # a one-pass variance's own cancellation only makes a far column look farther
    return mean * mean > OFFSET_RATIO**2 * np.maximum(var, 0.0)


def _dense_shift(X):
    n, p = X.shape
    m = min(n, SAMPLE_ROWS)
    if not X.flags.f_contiguous:  # a Fortran copy of the sampled rows only
        X = np.asfortranarray(X[:m])
    # the column-sums kernel over the first m rows of each column (dense column ends)
    ends = np.full(p + 1, m, dtype=np.int32)
    ends[0] = 0
    first, second = np.empty(p), np.empty(p)
    with _numba_threads():
        weighted_col_moments(X, np.empty(0), np.empty(0, dtype=np.int32), ends, False,
                             np.arange(p), np.ones(X.shape[0]), True, first, second)
    mean = first / m
    far = _far(mean, second / m - mean * mean)
    return np.where(far, mean, 0.0) if np.any(far) else None


def _sparse_shift(X):
    X = X.tocsc()
    n, p = X.shape
    counts = np.diff(X.indptr)
    # each zero lies |mean| from the mean: a column with n0 zeros has std >= |mean| sqrt(n0/n)
    cand = np.flatnonzero((n - counts) * OFFSET_RATIO**2 < n)
    if cand.size == 0:
        return None
    dense = X[:, cand].toarray()
    mean = dense.mean(axis=0)
    far = _far(mean, dense.var(axis=0))
    if not np.any(far):
        return None
    shift = np.zeros(p)
    shift[cand[far]] = mean[far]
    return shift


def subtract_shift(X, shift):
    """``X - 1 shift^T``: a new Fortran-ordered array for dense X; for a sparse X (canonical),
    a new canonical CSC matrix whose columns with a non-zero shift are stored full."""
    if not sp.issparse(X):
        return np.asfortranarray(X - shift)
    X = X.tocsc()
    n, p = X.shape
    cols = np.flatnonzero(shift)
    counts = np.diff(X.indptr)
    is_far = np.zeros(p, dtype=bool)
    is_far[cols] = True
    indptr = np.concatenate(([0], np.cumsum(np.where(is_far, n, counts))))
    idx_dtype = np.int32 if max(indptr[-1], n) < np.iinfo(np.int32).max else np.int64
    data = np.empty(indptr[-1])
    indices = np.empty(indptr[-1], dtype=idx_dtype)
    # the other columns' entries, each moved by the change of its column's start
    col = np.repeat(np.arange(p), counts)
    keep = ~is_far[col]
    pos = np.arange(X.nnz)[keep] + (indptr[:-1] - X.indptr[:-1])[col[keep]]
    data[pos] = X.data[keep]
    indices[pos] = X.indices[keep]
    # the shifted columns, full
    full = indptr[cols][:, None] + np.arange(n)
    data[full] = (X[:, cols].toarray() - shift[cols]).T
    indices[full] = np.arange(n)
    return sp.csc_matrix((data, indices, indptr.astype(idx_dtype)), shape=X.shape)


def unshift_intercept(intercept, coef, shift):
    """The intercept on the original columns of a model fitted on ``X - 1 shift^T``.

    ``intercept`` is a float or an array with one entry per row of a 2-D ``coef`` (classes or
    targets); ``shift`` None returns it unchanged.
    """
    if shift is None:
        return intercept
    correction = np.asarray(coef) @ shift
    if np.ndim(intercept) == 0:
        return float(intercept - correction)
    return np.asarray(intercept, dtype=np.float64) - correction
