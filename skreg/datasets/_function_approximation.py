"""High-dimensional polynomial function approximation from random samples.

The experiment of Mohammad-Taheri & Brugiapaglia, "The greedy side of the LASSO"
(arXiv:2303.00844): a smooth function of ``d`` variables is sampled at random points and
approximated in a tensor-product Chebyshev or Legendre basis indexed by a hyperbolic cross.
"""

import numbers

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = [
    "function_approximation_error",
    "hyperbolic_cross",
    "make_function_approximation",
    "tensor_basis",
]

_BASES = ("chebyshev", "legendre")

# Rows of basis evaluated at once by function_approximation_error (bounds its memory).
_CHUNK = 4096


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------
def _check_int(value, name, *, minimum=1):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _check_basis(basis):
    if not isinstance(basis, str) or basis not in _BASES:
        raise ValueError(f"basis must be one of {_BASES}, got {basis!r}.")
    return basis


def _check_indices(indices):
    """Return ``indices`` as a 2-D int64 array of nonnegative multi-indices (a new array)."""
    arr = np.asarray(indices)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"indices must be an array of integers (multi-indices), got dtype {arr.dtype}."
        )
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(
            f"indices must be a 2-D array of shape (n_indices, dimension) with dimension >= 1, "
            f"got shape {arr.shape}."
        )
    if arr.size and arr.min() < 0:
        raise ValueError("indices must be nonnegative multi-indices; found a negative entry.")
    return arr.astype(np.int64)


def _check_points(points, dimension):
    """Return ``points`` as a 2-D float64 array in [-1, 1]^dimension (never the user's array)."""
    arr = np.asarray(points)
    if arr.dtype.kind == "c":
        raise TypeError("points must be real; got a complex array.")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"points must be a numeric array, got dtype {arr.dtype}.")
    arr = arr.astype(np.float64)
    if arr.ndim != 2:
        raise ValueError(
            f"points must be a 2-D array (n_points, dimension), got shape {arr.shape}."
        )
    if arr.shape[1] != dimension:
        raise ValueError(
            f"points has {arr.shape[1]} columns but the multi-indices have dimension {dimension}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("points must be finite; found NaN or infinity.")
    if arr.size and np.max(np.abs(arr)) > 1.0:
        raise ValueError("points must lie in the hypercube [-1, 1]^d; found an entry outside.")
    return arr


def _check_function(function):
    if not callable(function):
        raise TypeError(f"function must be a callable, got {type(function).__name__}.")
    return function


def _evaluate_function(function, points):
    """Evaluate ``function`` on a copy of ``points``; check the shape and finiteness."""
    values = np.asarray(function(points.copy()))
    n_points = points.shape[0]
    if values.shape != (n_points,):
        raise ValueError(
            f"function must map points of shape (n, d) to values of shape (n,); for "
            f"n={n_points} it returned shape {values.shape}."
        )
    if values.dtype.kind not in "biuf":
        raise TypeError(f"function must return real numbers, got dtype {values.dtype}.")
    values = values.astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("function returned non-finite values (NaN or infinity).")
    return values


# --------------------------------------------------------------------------------------------
# Index sets and bases
# --------------------------------------------------------------------------------------------
def _hyperbolic_cross_size(dimension, order, cache):
    """Number of multi-indices in ``d`` variables with ``prod (nu_k + 1) <= order``."""
    if dimension == 0 or order == 1:
        return 1
    key = (dimension, order)
    if key not in cache:
        # Sum over j = nu_1 + 1 of the size in d - 1 variables with budget order // j,
        # grouping the j that share the same quotient (O(sqrt(order)) groups).
        total, j = 0, 1
        while j <= order:
            quotient = order // j
            j_last = order // quotient
            total += (j_last - j + 1) * _hyperbolic_cross_size(dimension - 1, quotient, cache)
            j = j_last + 1
        cache[key] = total
    return cache[key]


def _largest_order(dimension, max_indices):
    """Largest order whose hyperbolic cross has at most ``max_indices`` indices."""
    cache = {}
    # The size is nondecreasing in the order and at least the order (the axis nu = (k, 0, ...)),
    # so the answer lies in [1, max_indices]: bisect.
    low, high = 1, max_indices
    while low < high:
        mid = (low + high + 1) // 2
        if _hyperbolic_cross_size(dimension, mid, cache) <= max_indices:
            low = mid
        else:
            high = mid - 1
    return low


def hyperbolic_cross(dimension, order):
    r"""Return the hyperbolic-cross multi-indices of a given order.

    The hyperbolic cross of order :math:`n` in :math:`d` variables is the lower set

    .. math:: \Lambda^{\mathrm{HC}}_{n, d} = \Big\{ \nu \in \mathbb{N}_0^d :
              \prod_{k=1}^{d} (\nu_k + 1) \le n \Big\},

    the standard index set of sparse polynomial approximation in high dimension: its size
    grows only like :math:`n \log(n)^{d-1}` while it contains all the total-degree
    polynomials of a single variable up to degree :math:`n - 1`.

    Parameters
    ----------
    dimension : int
        Number of variables :math:`d \ge 1`.
    order : int
        Order :math:`n \ge 1`; ``order=1`` gives the zero multi-index only.

    Returns
    -------
    indices : ndarray of shape (n_indices, dimension), dtype=int64
        The multi-indices, sorted by total degree :math:`|\nu| = \sum_k \nu_k`, then
        lexicographically (a deterministic order: the first row is the zero index).

    See Also
    --------
    tensor_basis : Evaluate the tensor-product polynomials of these indices.
    make_function_approximation : Uses the largest hyperbolic cross with at most
        ``max_indices`` indices.

    Examples
    --------
    >>> from skreg.datasets import hyperbolic_cross
    >>> hyperbolic_cross(2, 4).tolist()
    [[0, 0], [0, 1], [1, 0], [0, 2], [1, 1], [2, 0], [0, 3], [3, 0]]
    >>> hyperbolic_cross(10, 6).shape
    (186, 10)
    """
    dimension = _check_int(dimension, "dimension")
    order = _check_int(order, "order")

    # Build the set one coordinate at a time; ``budget`` is floor(order / prod (nu_j + 1)) over
    # the coordinates chosen so far, and nu_k = v is admissible iff v + 1 <= budget.
    indices = np.zeros((1, 0), dtype=np.int64)
    budget = np.array([order], dtype=np.int64)
    for _ in range(dimension):
        blocks, budgets = [], []
        for value in range(order):
            keep = budget >= value + 1
            if not keep.any():
                break
            block = np.empty((np.count_nonzero(keep), indices.shape[1] + 1), dtype=np.int64)
            block[:, :-1] = indices[keep]
            block[:, -1] = value
            blocks.append(block)
            budgets.append(budget[keep] // (value + 1))
        indices = np.concatenate(blocks)
        budget = np.concatenate(budgets)

    # np.lexsort sorts by the last key first: total degree, then nu_1, nu_2, ...
    keys = tuple(indices[:, k] for k in range(dimension - 1, -1, -1)) + (indices.sum(axis=1),)
    return np.ascontiguousarray(indices[np.lexsort(keys)])


def _univariate(y, max_degree, basis):
    """Orthonormal 1-D polynomials psi_0..psi_max_degree at ``y``: shape (len(y), max_degree+1).

    Three-term recurrences (stable on [-1, 1]), then the orthonormalizing scale.
    """
    values = np.empty((y.shape[0], max_degree + 1))
    values[:, 0] = 1.0
    if max_degree >= 1:
        values[:, 1] = y
    if basis == "chebyshev":
        # T_{k+1} = 2 y T_k - T_{k-1};  psi_k = sqrt(2) T_k for k >= 1.
        for k in range(1, max_degree):
            values[:, k + 1] = 2.0 * y * values[:, k] - values[:, k - 1]
        values[:, 1:] *= np.sqrt(2.0)
    else:
        # (k + 1) P_{k+1} = (2k + 1) y P_k - k P_{k-1};  psi_k = sqrt(2k + 1) P_k.
        for k in range(1, max_degree):
            values[:, k + 1] = ((2 * k + 1) * y * values[:, k] - k * values[:, k - 1]) / (k + 1)
        values *= np.sqrt(2.0 * np.arange(max_degree + 1) + 1.0)
    return values


def _tensor_basis(points, indices, basis):
    """Evaluate the tensor basis on validated inputs; Fortran-ordered (n_points, n_indices)."""
    out = np.ones((points.shape[0], indices.shape[0]), order="F")
    for k in range(indices.shape[1]):
        column = indices[:, k]
        active = np.flatnonzero(column)  # psi_0 = 1: only nonzero degrees contribute
        if active.size == 0:
            continue
        table = _univariate(points[:, k], int(column.max()), basis)
        out[:, active] *= table[:, column[active]]
    return out


def tensor_basis(points, indices, basis="chebyshev"):
    r"""Evaluate orthonormal tensor-product Chebyshev or Legendre polynomials.

    For a multi-index :math:`\nu \in \mathbb{N}_0^d` and a point :math:`y \in [-1, 1]^d`,

    .. math:: \Psi_\nu(y) = \prod_{k=1}^{d} \psi_{\nu_k}(y_k),

    where the univariate polynomials :math:`\psi_j` are orthonormal for a probability
    measure :math:`\varrho` on :math:`[-1, 1]`, so that
    :math:`\int \Psi_\nu \Psi_\mu \, d\varrho^{\otimes d} = \delta_{\nu\mu}`:

    * ``"chebyshev"``: the Chebyshev (arcsine) measure
      :math:`d\varrho(y) = dy / (\pi \sqrt{1 - y^2})`, with :math:`\psi_0 = 1` and
      :math:`\psi_j = \sqrt{2}\, T_j` for :math:`j \ge 1`;
    * ``"legendre"``: the uniform measure :math:`d\varrho(y) = dy / 2`, with
      :math:`\psi_j = \sqrt{2j + 1}\, P_j`.

    The univariate polynomials are computed by their three-term recurrences, once per
    coordinate up to the largest degree used in that coordinate.

    Parameters
    ----------
    points : array-like of shape (n_points, dimension)
        Evaluation points, finite, in :math:`[-1, 1]^d`.
    indices : array-like of int of shape (n_indices, dimension)
        Nonnegative multi-indices, e.g. from :func:`hyperbolic_cross`.
    basis : {"chebyshev", "legendre"}, default="chebyshev"
        Univariate polynomial family (and hence orthogonality measure).

    Returns
    -------
    values : ndarray of shape (n_points, n_indices)
        ``values[i, j]`` is :math:`\Psi_{\nu_j}(y_i)`; float64, Fortran-ordered.

    See Also
    --------
    hyperbolic_cross : The multi-indices of the function-approximation experiment.
    make_function_approximation : Measurement matrix built from this basis.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.datasets import tensor_basis
    >>> points = np.array([[0.5, -1.0], [1.0, 1.0]])
    >>> tensor_basis(points, [[0, 0], [1, 0], [1, 1]], basis="legendre").round(6)
    array([[ 1.      ,  0.866025, -1.5     ],
           [ 1.      ,  1.732051,  3.      ]])
    """
    basis = _check_basis(basis)
    indices = _check_indices(indices)
    points = _check_points(points, indices.shape[1])
    return _tensor_basis(points, indices, basis)


def _sup_norms(indices, basis):
    """Return ``||Psi_nu||_inf`` over [-1, 1]^d for each multi-index (attained at y = 1)."""
    if basis == "chebyshev":
        return np.sqrt(2.0) ** np.count_nonzero(indices, axis=1)
    return np.prod(np.sqrt(2.0 * indices + 1.0), axis=1)


def _sample_points(n_points, dimension, basis, rng):
    """Draw i.i.d. points from the orthogonality measure of ``basis`` on [-1, 1]^dimension."""
    uniform = rng.uniform(size=(n_points, dimension))
    if basis == "chebyshev":
        return np.cos(np.pi * uniform)  # arcsine (Chebyshev) distribution
    return 2.0 * uniform - 1.0


def _exp_mean(points):
    """The paper's test function ``f(y) = exp(-sum_k y_k / (2 d))``."""
    points = np.asarray(points, dtype=np.float64)
    return np.exp(-points.sum(axis=1) / (2.0 * points.shape[1]))


# --------------------------------------------------------------------------------------------
# Generator and error
# --------------------------------------------------------------------------------------------
def make_function_approximation(
    n_samples,
    *,
    dimension=5,
    basis="chebyshev",
    max_indices=500,
    function=None,
    random_state=None,
):
    r"""Generate a sparse polynomial approximation problem from random samples of a function.

    The high-dimensional function-approximation experiment of Mohammad-Taheri &
    Brugiapaglia (2023). A function :math:`f : [-1, 1]^d \to \mathbb{R}` is sampled at
    :math:`m` = ``n_samples`` points :math:`y_i` drawn i.i.d. from the orthogonality measure
    :math:`\varrho` of the basis (Chebyshev: :math:`y = \cos(\pi U)`; Legendre:
    :math:`y = 2U - 1`; :math:`U` uniform on :math:`[0, 1]^d`) and approximated as
    :math:`f \approx \sum_{\nu \in \Lambda} z_\nu \Psi_\nu` in the orthonormal tensor basis
    of :func:`tensor_basis` over the hyperbolic cross :math:`\Lambda` of the largest order
    with at most ``max_indices`` indices (:func:`hyperbolic_cross`). The coefficients solve
    the (underdetermined when :math:`m < |\Lambda|`) system :math:`A z \approx b` with

    .. math:: A_{ij} = \frac{\Psi_{\nu_j}(y_i)}{\sqrt{m}}, \qquad
              b_i = \frac{f(y_i)}{\sqrt{m}},

    normalized so that :math:`E[A^T A] = I`. The weights
    :math:`u_\nu = \|\Psi_\nu\|_{L^\infty} = \prod_k \|\psi_{\nu_k}\|_{L^\infty}`
    (:math:`\sqrt{2}^{\,|\{k : \nu_k \ne 0\}|}` for Chebyshev,
    :math:`\prod_k \sqrt{2\nu_k + 1}` for Legendre) are those of the weighted LASSO and
    weighted OMP of the paper.

    The default function is :math:`f(y) = \exp\big(-\sum_{k=1}^d y_k / (2d)\big)`; the
    paper's two cases are ``dimension=5, basis="chebyshev"`` and
    ``dimension=10, basis="legendre"``, both with ``max_indices=500``.

    Parameters
    ----------
    n_samples : int
        Number of sample points :math:`m` (rows of ``data``).
    dimension : int, default=5
        Number of variables :math:`d`.
    basis : {"chebyshev", "legendre"}, default="chebyshev"
        Polynomial basis; also fixes the sampling measure.
    max_indices : int, default=500
        Upper bound on the number of multi-indices (columns of ``data``).
    function : callable or None, default=None
        Function to approximate: maps an array of points of shape (n, d) to an array of
        finite values of shape (n,). None means the default exponential above.
    random_state : int, RandomState instance or None, default=None
        Seed or generator for the sample points.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        With the fields

        data : ndarray of shape (n_samples, n_indices)
            Measurement matrix :math:`A`, float64, Fortran-ordered.
        target : ndarray of shape (n_samples,)
            Measurements :math:`b = f(y) / \sqrt{m}`.
        points : ndarray of shape (n_samples, dimension)
            The sample points :math:`y_i`.
        indices : ndarray of shape (n_indices, dimension), dtype=int64
            The hyperbolic-cross multi-indices, one per column of ``data``.
        order : int
            Order of the hyperbolic cross.
        weights : ndarray of shape (n_indices,)
            :math:`u_\nu = \|\Psi_\nu\|_{L^\infty}`, one per column of ``data``.
        function : callable
            The function :math:`f` sampled.
        basis : str
            The basis name.

    See Also
    --------
    function_approximation_error : Relative :math:`L^2_\varrho` error of a coefficient
        vector.
    make_compressive_sensing : Gaussian measurements of a sparse vector.

    References
    ----------
    S. Mohammad-Taheri and S. Brugiapaglia, "The greedy side of the LASSO: New algorithms
    for weighted sparse recovery via loss function-based orthogonal matching pursuit",
    arXiv:2303.00844, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.datasets import function_approximation_error, make_function_approximation
    >>> ds = make_function_approximation(1000, dimension=5, random_state=0)
    >>> ds.data.shape, ds.order, ds.data.flags.f_contiguous
    ((1000, 426), 19, True)

    With more samples than indices, least squares already approximates the smooth default
    function well (sparse recovery targets ``n_samples`` well below ``n_indices``):

    >>> coef = np.linalg.lstsq(ds.data, ds.target, rcond=None)[0]
    >>> error = function_approximation_error(coef, ds.indices, ds.function, basis=ds.basis)
    >>> bool(error < 1e-4)
    True
    """
    n_samples = _check_int(n_samples, "n_samples")
    dimension = _check_int(dimension, "dimension")
    basis = _check_basis(basis)
    max_indices = _check_int(max_indices, "max_indices")
    function = _exp_mean if function is None else _check_function(function)
    rng = check_random_state(random_state)

    order = _largest_order(dimension, max_indices)
    indices = hyperbolic_cross(dimension, order)
    points = _sample_points(n_samples, dimension, basis, rng)

    scale = np.sqrt(n_samples)
    data = _tensor_basis(points, indices, basis)
    data /= scale
    target = _evaluate_function(function, points) / scale
    return Bunch(
        data=data,
        target=target,
        points=points,
        indices=indices,
        order=order,
        weights=_sup_norms(indices, basis),
        function=function,
        basis=basis,
    )


def function_approximation_error(coef, indices, function, *, basis, n_test=20000, random_state=0):
    r"""Relative :math:`L^2_\varrho` error of a polynomial approximation (Monte-Carlo).

    For coefficients :math:`z` in the orthonormal basis :math:`\Psi_\nu` of
    :func:`tensor_basis` (the scale of the solutions of :math:`A z = b` in
    :func:`make_function_approximation`), estimate

    .. math:: \frac{\| f - \sum_{\nu} z_\nu \Psi_\nu \|_{L^2_\varrho}}
                   {\| f \|_{L^2_\varrho}}
              \approx \sqrt{\frac{\sum_{i=1}^{N} \big(f(t_i) - \sum_\nu z_\nu
              \Psi_\nu(t_i)\big)^2}{\sum_{i=1}^{N} f(t_i)^2}},

    a Monte-Carlo estimate on :math:`N` = ``n_test`` fresh points :math:`t_i` drawn
    i.i.d. from the orthogonality measure :math:`\varrho` of the basis. The same
    ``random_state`` gives the same test points, so errors of different coefficient
    vectors (or different methods) are compared on a common test set.

    Parameters
    ----------
    coef : array-like of shape (n_indices,)
        Coefficients :math:`z_\nu`, one per row of ``indices``.
    indices : array-like of int of shape (n_indices, dimension)
        The multi-indices :math:`\nu`.
    function : callable
        The function :math:`f`: maps points of shape (n, d) to values of shape (n,).
    basis : {"chebyshev", "legendre"}
        Polynomial basis of the coefficients; also fixes the test measure.
    n_test : int, default=20000
        Number of Monte-Carlo test points.
    random_state : int, RandomState instance or None, default=0
        Seed or generator for the test points.

    Returns
    -------
    error : float
        The estimated relative error (1.0 for ``coef = 0``).

    See Also
    --------
    make_function_approximation : The sampling problem whose solutions are assessed here.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.datasets import function_approximation_error, hyperbolic_cross
    >>> indices = hyperbolic_cross(2, 3)
    >>> coef = np.array([1.0, 0.0, 0.5, 0.0, 0.0])
    >>> def f(y):
    ...     return 1.0 + 0.5 * np.sqrt(3.0) * y[:, 0]  # psi_0 + 0.5 psi_1(y_1), Legendre
    >>> indices[2].tolist()
    [1, 0]
    >>> round(function_approximation_error(coef, indices, f, basis="legendre"), 12)
    0.0
    >>> function_approximation_error(np.zeros(5), indices, f, basis="legendre")
    1.0
    """
    basis = _check_basis(basis)
    indices = _check_indices(indices)
    coef_arr = np.asarray(coef)
    if coef_arr.dtype.kind not in "biuf":
        raise TypeError(f"coef must be a real numeric array, got dtype {coef_arr.dtype}.")
    coef_arr = coef_arr.astype(np.float64)
    if coef_arr.shape != (indices.shape[0],):
        raise ValueError(
            f"coef must have shape (n_indices,) = ({indices.shape[0]},), got {coef_arr.shape}."
        )
    if not np.all(np.isfinite(coef_arr)):
        raise ValueError("coef must be finite; found NaN or infinity.")
    function = _check_function(function)
    n_test = _check_int(n_test, "n_test")
    rng = check_random_state(random_state)

    points = _sample_points(n_test, indices.shape[1], basis, rng)
    values = _evaluate_function(function, points)
    nonzero = np.flatnonzero(coef_arr)  # only the used basis functions are evaluated
    approx = np.zeros(n_test)
    if nonzero.size:
        for start in range(0, n_test, _CHUNK):
            rows = slice(start, start + _CHUNK)
            approx[rows] = _tensor_basis(points[rows], indices[nonzero], basis) @ coef_arr[nonzero]
    norm = np.linalg.norm(values)
    if norm == 0.0:
        raise ValueError("function vanishes on every test point: the relative error is undefined.")
    return float(np.linalg.norm(values - approx) / norm)
