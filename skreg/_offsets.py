"""Column shifts that keep the implicit centering of a dense design exact.

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
columns of a dense X that sit far from zero against their spread and returns a shifted copy
(X itself, not copied, when there are none: the common case of centred, standardized or
moderately offset data); :func:`unshift_intercept` maps the intercept fitted on the copy back
to X. Sparse X is left as it is: shifting would densify it, and a sparse column's mean is
large against its spread only when it is nearly full.
"""

import numpy as np
import scipy.sparse as sp

from ._config import _numba_threads
from ._kernels.linalg import weighted_col_moments

__all__ = ["shift_columns", "unshift_intercept"]

#: Columns whose |mean| exceeds this many standard deviations (on the sampled rows) are
#: shifted. Below it, implicit centering loses at most ~1e2 eps of relative accuracy.
OFFSET_RATIO = 10.0
#: Rows read to find them (the first ones: contiguous in a Fortran-ordered X), so that the
#: check costs SAMPLE_ROWS x n_features reads whatever n_samples.
SAMPLE_ROWS = 32


def shift_columns(X, fit_intercept):
    """Shift the columns of a dense X whose mean is large against their spread.

    The check reads the first ``m = min(n_samples, SAMPLE_ROWS)`` rows. Any ``m`` of ``n`` rows
    have squared deviations from the column's mean at most ``n / m`` times the mean squared
    deviation of all of them, so their mean and standard deviation are within
    ``k = sqrt(n / m)`` standard deviations of the column's: a column that passes the check
    has ``|mean| <= (OFFSET_RATIO + 1) k std`` (at most ~2000 std for a million rows, where
    implicit centering still holds ~1e-9 relative accuracy; typically the sample's ratio is
    the column's within tens of percent). A shifted column is centred on the sample's mean.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or sparse matrix
        Validated design (float64, Fortran-ordered if dense).
    fit_intercept : bool
        Without an intercept the model is not invariant to shifts: X is returned as is.

    Returns
    -------
    X_fit : ndarray or sparse matrix
        ``X - 1 shift^T`` (a new Fortran-ordered array) when some column is shifted,
        otherwise ``X`` itself.
    shift : ndarray of shape (n_features,) or None
        The shift of each column (0 for the columns left as they are), or None when X is
        returned as is.
    """
    if not fit_intercept or sp.issparse(X) or X.shape[0] < 2 or X.shape[1] == 0:
        return X, None
    X = np.asfortranarray(X)
    n, p = X.shape
    m = min(n, SAMPLE_ROWS)
    # the column-sums kernel over the first m rows of each column (dense column ends)
    ends = np.full(p + 1, m, dtype=np.int32)
    ends[0] = 0
    first, second = np.empty(p), np.empty(p)
    with _numba_threads():
        weighted_col_moments(X, np.empty(0), np.empty(0, dtype=np.int32), ends, False,
                             np.arange(p), np.ones(n), True, first, second)
    mean = first / m
    # one-pass variance: its own cancellation only makes a far column look farther
    var = second / m - mean * mean
    far = mean * mean > OFFSET_RATIO**2 * np.maximum(var, 0.0)
    if not np.any(far):
        return X, None
    shift = np.where(far, mean, 0.0)
    return np.asfortranarray(X - shift), shift


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
