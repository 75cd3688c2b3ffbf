"""Synthetic sparse-recovery problems: correlated dense designs and sparse designs."""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

__all__ = ["make_correlated_regression", "make_sparse_regression"]


def _check_positive_int(value, name, *, minimum=1):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _check_snr(snr):
    if not isinstance(snr, numbers.Real) or isinstance(snr, bool) or np.isnan(snr) or snr <= 0:
        raise ValueError(f"snr must be a positive number (np.inf for no noise), got {snr!r}.")
    return float(snr)


def _sparse_coef(n_features, n_informative, rng, candidates=None):
    """Return a coefficient vector with ``n_informative`` entries equal to +1 or -1."""
    coef = np.zeros(n_features)
    pool = np.arange(n_features) if candidates is None else candidates
    support = rng.choice(pool, size=n_informative, replace=False)
    coef[support] = rng.choice(np.array([-1.0, 1.0]), size=n_informative)
    return coef


def _add_noise(signal, snr, rng, classification):
    """Return ``signal + noise`` with ``||signal|| / ||noise|| = snr`` (labels if classification).

    The noise is Gaussian; with ``classification=True`` the sign of the noisy signal is returned
    as labels in ``{-1.0, +1.0}`` (zero is mapped to +1).
    """
    noise = rng.standard_normal(signal.shape[0])
    norm_signal = np.linalg.norm(signal)
    if np.isinf(snr):
        noise[:] = 0.0
    elif norm_signal > 0.0:
        noise *= norm_signal / (snr * np.linalg.norm(noise))
    # else: no signal (n_informative=0), the noise stays standard normal
    y = signal + noise
    if classification:
        y = np.where(y >= 0.0, 1.0, -1.0)
    return y


def make_correlated_regression(
    n_samples=100,
    n_features=200,
    *,
    rho=0.5,
    n_informative=10,
    snr=3.0,
    classification=False,
    random_state=None,
):
    r"""Generate a sparse linear model with a Toeplitz-correlated Gaussian design.

    Each row of ``X`` is a centred Gaussian vector with unit variances and correlations
    :math:`\operatorname{corr}(x_i, x_j) = \rho^{|i - j|}`, the classical hard case for
    sparse recovery when :math:`\rho` is close to one. The columns are generated in
    :math:`O(n p)` by the AR(1) recursion along features

    .. math:: x_0 = z_0, \qquad x_j = \rho\, x_{j-1} + \sqrt{1 - \rho^2}\, z_j,

    with :math:`z_j` independent standard normal vectors. The true coefficient vector has
    ``n_informative`` entries equal to :math:`\pm 1` (random positions, random signs) and the
    Gaussian noise :math:`e` is scaled so that :math:`\|X w\|_2 / \|e\|_2 = \mathrm{snr}`;
    ``y = X w + e``.

    Parameters
    ----------
    n_samples : int, default=100
        Number of samples (rows of ``X``).
    n_features : int, default=200
        Number of features (columns of ``X``).
    rho : float, default=0.5
        Correlation between neighbouring features, in the open interval ``(-1, 1)``.
    n_informative : int, default=10
        Number of nonzero coefficients; at most ``n_features``.
    snr : float, default=3.0
        Signal-to-noise ratio :math:`\|X w\|_2 / \|e\|_2`; ``np.inf`` gives noiseless data.
    classification : bool, default=False
        If True, return labels ``y = sign(X w + e)`` in ``{-1.0, +1.0}`` instead of the
        continuous response (a binary problem for sparse logistic regression).
    random_state : int, RandomState instance or None, default=None
        Seed or generator for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Design matrix, float64, Fortran-ordered (the layout the coordinate solvers use).
    y : ndarray of shape (n_samples,)
        Response (or labels in ``{-1.0, +1.0}`` if ``classification=True``).
    coef : ndarray of shape (n_features,)
        True coefficients, with ``n_informative`` nonzero entries equal to +1 or -1.

    See Also
    --------
    make_sparse_regression : The same model on a sparse random design.

    Examples
    --------
    >>> from skreg.datasets import make_correlated_regression
    >>> X, y, coef = make_correlated_regression(50, 300, rho=0.9, random_state=0)
    >>> X.shape, X.flags.f_contiguous, int((coef != 0).sum())
    ((50, 300), True, 10)
    """
    n_samples = _check_positive_int(n_samples, "n_samples")
    n_features = _check_positive_int(n_features, "n_features")
    n_informative = _check_positive_int(n_informative, "n_informative", minimum=0)
    if n_informative > n_features:
        raise ValueError(f"n_informative={n_informative} must not exceed n_features={n_features}.")
    if not isinstance(rho, numbers.Real) or isinstance(rho, bool) or not -1.0 < rho < 1.0:
        raise ValueError(f"rho must be a number in the open interval (-1, 1), got {rho!r}.")
    rho = float(rho)
    snr = _check_snr(snr)
    rng = check_random_state(random_state)

    # The transpose of a C-ordered (p, n) array is a Fortran-ordered (n, p) array whose
    # columns are contiguous, so the recursion below runs in place, one column at a time.
    X = rng.standard_normal((n_features, n_samples)).T
    scale = np.sqrt(1.0 - rho * rho)
    buffer = np.empty(n_samples)
    for j in range(1, n_features):
        column = X[:, j]
        column *= scale
        np.multiply(X[:, j - 1], rho, out=buffer)
        column += buffer

    coef = _sparse_coef(n_features, n_informative, rng)
    y = _add_noise(X @ coef, snr, rng, classification)
    return X, y, coef


def make_sparse_regression(
    n_samples=1000,
    n_features=10000,
    *,
    density=1e-3,
    n_informative=10,
    snr=3.0,
    classification=False,
    random_state=None,
):
    r"""Generate a sparse linear model on a sparse random design in CSC format.

    ``X`` is a ``scipy.sparse.random`` matrix with the given density and standard normal
    nonzero entries (some columns may be empty). The true coefficient vector has
    ``n_informative`` entries equal to :math:`\pm 1`, placed at random among the nonempty
    columns, and the Gaussian noise :math:`e` is scaled so that
    :math:`\|X w\|_2 / \|e\|_2 = \mathrm{snr}`; ``y = X w + e``.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples (rows of ``X``).
    n_features : int, default=10000
        Number of features (columns of ``X``).
    density : float, default=1e-3
        Fraction of nonzero entries of ``X``, in ``(0, 1]``.
    n_informative : int, default=10
        Number of nonzero coefficients; at most the number of nonempty columns.
    snr : float, default=3.0
        Signal-to-noise ratio :math:`\|X w\|_2 / \|e\|_2`; ``np.inf`` gives noiseless data.
    classification : bool, default=False
        If True, return labels ``y = sign(X w + e)`` in ``{-1.0, +1.0}`` instead of the
        continuous response (a binary problem for sparse logistic regression).
    random_state : int, RandomState instance or None, default=None
        Seed or generator for reproducible output.

    Returns
    -------
    X : scipy.sparse.csc_matrix of shape (n_samples, n_features)
        Design matrix, float64, with sorted indices.
    y : ndarray of shape (n_samples,)
        Response (or labels in ``{-1.0, +1.0}`` if ``classification=True``).
    coef : ndarray of shape (n_features,)
        True coefficients, with ``n_informative`` nonzero entries equal to +1 or -1.

    See Also
    --------
    make_correlated_regression : The same model on a dense correlated design.

    Examples
    --------
    >>> from skreg.datasets import make_sparse_regression
    >>> X, y, coef = make_sparse_regression(200, 1000, density=0.01, random_state=0)
    >>> X.format, X.shape, X.nnz
    ('csc', (200, 1000), 2000)
    """
    n_samples = _check_positive_int(n_samples, "n_samples")
    n_features = _check_positive_int(n_features, "n_features")
    n_informative = _check_positive_int(n_informative, "n_informative", minimum=0)
    if (
        not isinstance(density, numbers.Real)
        or isinstance(density, bool)
        or not 0.0 < density <= 1.0
    ):
        raise ValueError(f"density must be a number in (0, 1], got {density!r}.")
    snr = _check_snr(snr)
    rng = check_random_state(random_state)

    X = sp.random(
        n_samples,
        n_features,
        density=density,
        format="csc",
        dtype=np.float64,
        rng=rng,
        data_rvs=rng.standard_normal,
    )
    X = sp.csc_matrix(X)
    X.sum_duplicates()
    X.sort_indices()

    nonempty = np.flatnonzero(np.diff(X.indptr) > 0)
    if n_informative > nonempty.size:
        raise ValueError(
            f"n_informative={n_informative} exceeds the number of nonempty columns "
            f"({nonempty.size}); increase density or n_samples."
        )
    coef = _sparse_coef(n_features, n_informative, rng, candidates=nonempty)
    y = _add_noise(X @ coef, snr, rng, classification)
    return X, y, coef
