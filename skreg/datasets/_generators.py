"""Synthetic sparse-recovery problems: correlated dense designs and sparse designs."""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

__all__ = [
    "make_compressive_sensing",
    "make_correlated_regression",
    "make_sparse_regression",
]


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


def _check_nonnegative_real(value, name, *, maximum=np.inf):
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not np.isfinite(value)
        or not 0.0 <= value <= maximum
    ):
        bound = "a finite number >= 0" if np.isinf(maximum) else f"a number in [0, {maximum:g}]"
        raise ValueError(f"{name} must be {bound}, got {value!r}.")
    return float(value)


def make_compressive_sensing(
    n_samples=100,
    n_features=300,
    *,
    n_nonzero=10,
    noise_level=0.0,
    outlier_fraction=0.0,
    outlier_magnitude=100.0,
    return_outliers=False,
    random_state=None,
):
    r"""Generate a compressive-sensing problem: Gaussian measurements of a sparse vector.

    The measurement matrix has independent entries :math:`X_{ij} \sim N(0, 1 / n)`
    (``n = n_samples``), so every column has unit *expected* squared norm,
    :math:`E \|X_{:, j}\|_2^2 = 1` (the usual compressive-sensing normalization). Estimators
    whose penalty assumes standardized columns, :math:`\sum_i X_{ij}^2 / n = 1` (e.g. the
    pivotal alpha of :class:`skreg.SqrtLasso`), need ``X * sqrt(n)`` and the coefficients
    ``coef / sqrt(n)``.

    The true coefficient vector has ``n_nonzero`` nonzero entries at random positions, with
    random signs and magnitudes :math:`1 + |z|`, :math:`z \sim N(0, 1)`: every nonzero is
    at least 1 in absolute value (a well-separated support) and the magnitudes vary.

    The measurements are ``y = X coef + e + o``:

    * ``e`` is dense Gaussian noise rescaled so that :math:`\|e\|_2` equals ``noise_level``
      exactly (``noise_level`` is always the l2 norm of the noise vector in skreg);
    * ``o`` is a gross corruption: ``round(outlier_fraction * n_samples)`` measurements at
      random positions get :math:`\pm` ``outlier_magnitude`` added (random signs), the other
      entries of ``o`` are zero.

    For a fixed ``random_state``, ``X``, ``coef``, the direction of ``e`` and the order in
    which measurements are corrupted do not depend on ``noise_level``, ``outlier_fraction``
    or ``outlier_magnitude``: a sweep over these parameters changes only what they control,
    and the corrupted sets are nested (those at 5% are among those at 10%).

    Parameters
    ----------
    n_samples : int, default=100
        Number of measurements ``n`` (rows of ``X``).
    n_features : int, default=300
        Signal dimension ``p`` (columns of ``X``).
    n_nonzero : int, default=10
        Number of nonzero coefficients ``s``; at most ``n_features``.
    noise_level : float, default=0.0
        The l2 norm :math:`\|e\|_2` of the Gaussian noise vector, ``>= 0``.
    outlier_fraction : float, default=0.0
        Fraction of grossly corrupted measurements, in ``[0, 1]``; the number corrupted is
        ``round(outlier_fraction * n_samples)`` (Python's ``round``).
    outlier_magnitude : float, default=100.0
        Size of each corruption, ``>= 0``; it is added with a random sign.
    return_outliers : bool, default=False
        If True, also return the boolean mask of the corrupted measurements.
    random_state : int, RandomState instance or None, default=None
        Seed or generator for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Measurement matrix, float64, Fortran-ordered, entries :math:`N(0, 1/n)`.
    y : ndarray of shape (n_samples,)
        Measurements ``X coef + e + o``.
    coef : ndarray of shape (n_features,)
        True coefficients, with ``n_nonzero`` nonzero entries of magnitude at least 1.
    outliers : ndarray of shape (n_samples,), dtype=bool
        True for the corrupted measurements. Only returned if ``return_outliers=True``.

    See Also
    --------
    make_correlated_regression : Sparse linear model on a correlated Gaussian design.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.datasets import make_compressive_sensing
    >>> X, y, coef = make_compressive_sensing(50, 200, n_nonzero=5, noise_level=0.1,
    ...                                       random_state=0)
    >>> X.shape, int((coef != 0).sum()), round(float(np.linalg.norm(y - X @ coef)), 12)
    ((50, 200), 5, 0.1)
    >>> X, y, coef, outliers = make_compressive_sensing(
    ...     50, 200, n_nonzero=5, outlier_fraction=0.1, return_outliers=True, random_state=0)
    >>> int(outliers.sum()), np.abs(y - X @ coef)[outliers]
    (5, array([100., 100., 100., 100., 100.]))
    """
    n_samples = _check_positive_int(n_samples, "n_samples")
    n_features = _check_positive_int(n_features, "n_features")
    n_nonzero = _check_positive_int(n_nonzero, "n_nonzero", minimum=0)
    if n_nonzero > n_features:
        raise ValueError(f"n_nonzero={n_nonzero} must not exceed n_features={n_features}.")
    noise_level = _check_nonnegative_real(noise_level, "noise_level")
    outlier_fraction = _check_nonnegative_real(outlier_fraction, "outlier_fraction", maximum=1.0)
    outlier_magnitude = _check_nonnegative_real(outlier_magnitude, "outlier_magnitude")
    rng = check_random_state(random_state)

    # Fortran order, as the coordinate solvers use: the transpose of a C-ordered (p, n) array.
    X = rng.standard_normal((n_features, n_samples)).T
    X /= np.sqrt(n_samples)

    coef = np.zeros(n_features)
    support = rng.choice(n_features, size=n_nonzero, replace=False)
    signs = rng.choice(np.array([-1.0, 1.0]), size=n_nonzero)
    coef[support] = signs * (1.0 + np.abs(rng.standard_normal(n_nonzero)))

    # Every draw happens whatever the parameters, so that X, coef, the direction of the noise
    # and the corruption order depend on random_state only.
    noise = rng.standard_normal(n_samples)
    order = rng.permutation(n_samples)
    outlier_signs = rng.choice(np.array([-1.0, 1.0]), size=n_samples)

    norm = np.linalg.norm(noise)
    if noise_level == 0.0 or norm == 0.0:
        noise[:] = 0.0
    else:
        noise *= noise_level / norm

    n_outliers = round(outlier_fraction * n_samples)
    outliers = np.zeros(n_samples, dtype=bool)
    outliers[order[:n_outliers]] = True

    y = X @ coef + noise
    y[outliers] += outlier_magnitude * outlier_signs[outliers]
    if return_outliers:
        return X, y, coef, outliers
    return X, y, coef
