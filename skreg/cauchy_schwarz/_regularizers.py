r"""Cauchy-Schwarz regularizers: values and gradients (numba kernels and public functions).

Every regularizer of Taner, Wang and Studer (ICLR 2025) has the form

.. math:: \ell(x) = \|g(x)\|^2 \|h(x)\|^2 - \langle g(x), h(x)\rangle^2 \ \ge 0,

which vanishes exactly when ``g(x)`` and ``h(x)`` are linearly dependent. Dividing by its
Cauchy-Schwarz bound :math:`\|g\|^2\|h\|^2` gives :math:`\sin^2\theta(g(x), h(x)) \in [0, 1]`,
the scale-free "distance" to the structure that the solvers use in their stopping rules.

The three discrete priors are power pairs ``g = x^p``, ``h = x^q`` (entrywise powers,
``x^0 = 1``) with :math:`S_k = \sum_n x_n^k`:

========================  =====  =====  ==========================  ===================
prior                     ``p``  ``q``  :math:`\ell(x)`             zero set
========================  =====  =====  ==========================  ===================
``binary``                0      2      :math:`N S_4 - S_2^2`       :math:`\{-a, a\}^N`
``one_sided_binary``      1      2      :math:`S_2 S_4 - S_3^2`     :math:`\{0, a\}^N`
``ternary``               1      3      :math:`S_2 S_6 - S_4^2`     :math:`\{-a, 0, a\}^N`
========================  =====  =====  ==========================  ===================

and two matrix priors: ``eigenvector`` (``g = Cx``, ``h = x``) and ``orthogonal``
(``g = X^T X``, ``h = I_K``, inner product of matrices).

One kernel, :func:`cs_value_grad`, evaluates all of them from an integer code; the solvers
(:mod:`._solver`) and the public functions below share it.
"""

import numpy as np
from numba import njit

__all__ = ["binary", "eigenvector", "one_sided_binary", "orthogonal", "ternary"]

# prior codes of the kernels
BINARY, ONE_SIDED_BINARY, TERNARY, EIGENVECTOR, ORTHOGONAL = 0, 1, 2, 3, 4
PRIOR_CODES = {"binary": BINARY, "one_sided_binary": ONE_SIDED_BINARY, "ternary": TERNARY,
               "eigenvector": EIGENVECTOR, "orthogonal": ORTHOGONAL}
#: the entrywise power pairs (p, q) of the discrete priors
POWER_PAIRS = {BINARY: (0, 2), ONE_SIDED_BINARY: (1, 2), TERNARY: (1, 3)}
#: the homogeneity degree of l: l(c x) = c^degree l(x)
DEGREES = {BINARY: 4, ONE_SIDED_BINARY: 6, TERNARY: 8, EIGENVECTOR: 4, ORTHOGONAL: 4}


@njit(cache=True, nogil=True)
def _power(v, k):
    out = 1.0
    for _ in range(k):
        out *= v
    return out


@njit(cache=True, nogil=True)
def _power_pair(x, p, q, normalized, grad):
    """``l = S_2p S_2q - S_(p+q)^2`` (or ``S_2 l / (S_2p S_2q)``) and its gradient into grad.

    Returns ``(value, bound)`` with ``bound = S_2p S_2q``, the Cauchy-Schwarz bound.
    """
    n = x.shape[0]
    A = 0.0  # S_2p
    B = 0.0  # S_2q
    C = 0.0  # S_(p+q)
    S2 = 0.0
    for i in range(n):
        v = x[i]
        A += _power(v, 2 * p)
        B += _power(v, 2 * q)
        C += _power(v, p + q)
        S2 += v * v
    bound = A * B
    value = bound - C * C
    if value < 0.0:  # rounding: l >= 0 by Cauchy-Schwarz
        value = 0.0
    if not normalized:
        for i in range(n):
            v = x[i]
            dA = 2 * p * _power(v, 2 * p - 1) if p > 0 else 0.0
            dB = 2 * q * _power(v, 2 * q - 1)
            dC = (p + q) * _power(v, p + q - 1)
            grad[i] = dA * B + A * dB - 2.0 * C * dC
        return value, bound
    # normalized: P = S_2 (1 - rho), rho = C^2 / (A B) = cos^2 of the angle between g and h
    if bound <= 0.0:
        for i in range(n):
            grad[i] = 0.0
        return 0.0, 0.0
    rho = C * C / bound
    sin2 = max(1.0 - rho, 0.0)
    for i in range(n):
        v = x[i]
        dA = 2 * p * _power(v, 2 * p - 1) if p > 0 else 0.0
        dB = 2 * q * _power(v, 2 * q - 1)
        dC = (p + q) * _power(v, p + q - 1)
        drho = 2.0 * C * dC / bound - rho * (dA / A + dB / B)
        grad[i] = 2.0 * v * sin2 - S2 * drho
    return S2 * sin2, S2


@njit(cache=True, nogil=True)
def _eigenvector(x, C, grad):
    """``||Cx||^2 ||x||^2 - (x^T C x)^2`` and its gradient; returns (value, bound)."""
    Cx = C @ x
    nCx = Cx @ Cx
    nx = x @ x
    xCx = x @ Cx
    bound = nCx * nx
    value = max(bound - xCx * xCx, 0.0)
    CtCx = C.T @ Cx
    Ctx = C.T @ x
    for i in range(x.shape[0]):
        grad[i] = 2.0 * (CtCx[i] * nx + nCx * x[i] - xCx * (Cx[i] + Ctx[i]))
    return value, bound


@njit(cache=True, nogil=True)
def _orthogonal(x, K, grad):
    """``K ||X^T X||_F^2 - ||X||_F^4`` for ``X`` stored column after column in ``x``."""
    n_rows = x.shape[0] // K
    Xt = x.reshape((K, n_rows))  # row j is column j of X
    G = Xt @ Xt.T
    fro2 = 0.0
    for i in range(x.shape[0]):
        fro2 += x[i] * x[i]
    gram2 = 0.0
    for a in range(K):
        for b in range(K):
            gram2 += G[a, b] * G[a, b]
    bound = K * gram2
    value = max(bound - fro2 * fro2, 0.0)
    GXt = G @ Xt
    for a in range(K):
        for i in range(n_rows):
            grad[a * n_rows + i] = 4.0 * (K * GXt[a, i] - fro2 * Xt[a, i])
    return value, bound


@njit(cache=True, nogil=True)
def cs_value_grad(x, code, C, K, normalized, grad):
    """Value of the regularizer ``code`` at ``x`` and its gradient (written into ``grad``).

    ``C`` is the matrix of the eigenvector prior (ignored otherwise), ``K`` the number of
    columns of the orthogonal prior. ``normalized`` (discrete priors only) evaluates
    ``S_2 * l / (S_2p S_2q) = ||x||^2 sin^2(theta)``, homogeneous of degree 2. Returns
    ``(value, bound)``; ``bound`` is the Cauchy-Schwarz bound ``||g||^2 ||h||^2`` (``S_2``
    when normalized), so ``value / bound`` is scale-free.
    """
    if code == BINARY:
        return _power_pair(x, 0, 2, normalized, grad)
    if code == ONE_SIDED_BINARY:
        return _power_pair(x, 1, 2, normalized, grad)
    if code == TERNARY:
        return _power_pair(x, 1, 3, normalized, grad)
    if code == EIGENVECTOR:
        return _eigenvector(x, C, grad)
    return _orthogonal(x, K, grad)


_NO_MATRIX = np.zeros((0, 0))


def _as_real_array(x, name, ndim=None):
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers, got {type(x).__name__}.")
    arr = np.asarray(x)
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real; complex values are not supported.")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}.")
    arr = np.array(arr, dtype=np.float64, order="C")  # a copy: kernels never see user memory
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return arr


def _discrete(x, code):
    arr = _as_real_array(x, "x")
    flat = arr.ravel()
    grad = np.empty_like(flat)
    value, _ = cs_value_grad(flat, code, _NO_MATRIX, 1, False, grad)
    return float(value), grad.reshape(arr.shape)


def binary(x):
    r"""Symmetric binary Cauchy-Schwarz regularizer :math:`N S_4 - S_2^2`.

    .. math:: \ell(x) = N \sum_n x_n^4 - \Big(\sum_n x_n^2\Big)^2
              = \|1\|^2 \|x^2\|^2 - \langle 1, x^2 \rangle^2 \ \ge 0,

    zero exactly on :math:`\{-a, +a\}^N` for every scale :math:`a \ge 0` (all ``|x_n|``
    equal), homogeneous of degree 4.

    Parameters
    ----------
    x : array-like
        The vector (any shape: all entries count, ``N = x.size``).

    Returns
    -------
    value : float
    gradient : ndarray of the shape of ``x``
        :math:`4 N x^3 - 4 S_2 x`.

    Examples
    --------
    >>> from skreg.cauchy_schwarz import binary
    >>> binary([2.0, -2.0, 2.0])[0]
    0.0
    >>> value, grad = binary([1.0, 0.0])
    >>> value, grad.tolist()
    (1.0, [4.0, 0.0])
    """
    return _discrete(x, BINARY)


def one_sided_binary(x):
    r"""One-sided binary Cauchy-Schwarz regularizer :math:`S_2 S_4 - S_3^2`.

    .. math:: \ell(x) = \|x\|^2 \|x^2\|^2 - \langle x, x^2 \rangle^2 \ \ge 0,

    zero exactly on :math:`\{0, a\}^N` for every scale :math:`a` (of either sign): all nonzero
    entries equal. Homogeneous of degree 6.

    Parameters
    ----------
    x : array-like
        The vector (any shape: all entries count).

    Returns
    -------
    value : float
    gradient : ndarray of the shape of ``x``
        :math:`2 S_4 x + 4 S_2 x^3 - 6 S_3 x^2`.

    Examples
    --------
    >>> from skreg.cauchy_schwarz import one_sided_binary
    >>> one_sided_binary([0.0, 3.0, 3.0, 0.0])[0]
    0.0
    >>> one_sided_binary([1.0, -1.0])[0]
    4.0
    """
    return _discrete(x, ONE_SIDED_BINARY)


def ternary(x):
    r"""Symmetric ternary Cauchy-Schwarz regularizer :math:`S_2 S_6 - S_4^2`.

    .. math:: \ell(x) = \|x\|^2 \|x^3\|^2 - \langle x, x^3 \rangle^2 \ \ge 0,

    zero exactly on :math:`\{-a, 0, a\}^N` for every scale :math:`a \ge 0`: all nonzero
    entries have the same magnitude. Homogeneous of degree 8.

    Parameters
    ----------
    x : array-like
        The vector (any shape: all entries count).

    Returns
    -------
    value : float
    gradient : ndarray of the shape of ``x``
        :math:`2 S_6 x + 6 S_2 x^5 - 8 S_4 x^3`.

    Examples
    --------
    >>> from skreg.cauchy_schwarz import ternary
    >>> ternary([0.5, 0.0, -0.5])[0]
    0.0
    >>> ternary([1.0, 2.0])[0]
    36.0
    """
    return _discrete(x, TERNARY)


def _check_square(C, n):
    C = _as_real_array(C, "C", ndim=2)
    if C.shape != (n, n):
        raise ValueError(f"C must be square of shape ({n}, {n}) to match x, got {C.shape}.")
    return C


def eigenvector(x, C):
    r"""Eigenvector Cauchy-Schwarz regularizer of a matrix ``C``.

    .. math:: \ell(x) = \|Cx\|^2 \|x\|^2 - (x^\top C x)^2 \ \ge 0,

    zero exactly when ``Cx`` is a multiple of ``x``: ``x`` is an eigenvector of ``C`` (with a
    real eigenvalue), or zero. Homogeneous of degree 4.

    Parameters
    ----------
    x : array-like of shape (N,)
    C : array-like of shape (N, N)
        Any real square matrix (usually symmetric).

    Returns
    -------
    value : float
    gradient : ndarray of shape (N,)
        :math:`2\|x\|^2 C^\top C x + 2\|Cx\|^2 x - 2 (x^\top C x)(C + C^\top) x`.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.cauchy_schwarz import eigenvector
    >>> C = np.diag([1.0, 2.0])
    >>> eigenvector([0.0, 5.0], C)[0]
    0.0
    >>> eigenvector([1.0, 1.0], C)[0]
    1.0
    """
    x = _as_real_array(x, "x", ndim=1)
    C = _check_square(C, x.shape[0])
    grad = np.empty_like(x)
    value, _ = cs_value_grad(x, EIGENVECTOR, C, 1, False, grad)
    return float(value), grad


def orthogonal(X):
    r"""Orthogonal-columns Cauchy-Schwarz regularizer.

    For ``X`` with ``K`` columns,

    .. math:: \ell(X) = K \|X^\top X\|_F^2 - \|X\|_F^4
              = \|X^\top X\|_F^2 \|I_K\|_F^2 - \langle X^\top X, I_K \rangle^2 \ \ge 0,

    zero exactly when :math:`X^\top X = a I_K` for some :math:`a \ge 0`: orthogonal columns of
    a common norm (a scaled orthogonal matrix when ``X`` is square). Homogeneous of degree 4.

    Parameters
    ----------
    X : array-like of shape (N, K)

    Returns
    -------
    value : float
    gradient : ndarray of shape (N, K)
        :math:`4 K X X^\top X - 4 \|X\|_F^2 X`.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.cauchy_schwarz import orthogonal
    >>> orthogonal(3.0 * np.eye(2))[0]
    0.0
    >>> orthogonal(np.array([[1.0, 1.0], [0.0, 1.0]]))[0]
    5.0
    """
    X = _as_real_array(X, "X", ndim=2)
    K = X.shape[1]
    flat = np.ascontiguousarray(X.T).ravel()  # column after column
    grad = np.empty_like(flat)
    value, _ = cs_value_grad(flat, ORTHOGONAL, _NO_MATRIX, K, False, grad)
    return float(value), grad.reshape((K, X.shape[0])).T.copy()
