r"""Imaging inverse problems: CT phantoms, the parallel-beam projector, Gaussian blur and FBP.

Geometry shared by every function of this module: an image is a ``(size, size)`` array whose
row 0 is at the top, like a picture; it is flattened in C order (pixel ``(i, j)`` is entry
``i * size + j`` of ``image.ravel()``). In pixel units (pixel side 1) the image occupies the
square :math:`[-\mathrm{size}/2, \mathrm{size}/2]^2` with ``x`` to the right and ``y`` up;
pixel ``(i, j)`` is :math:`[j - \mathrm{size}/2, j + 1 - \mathrm{size}/2] \times
[\mathrm{size}/2 - i - 1, \mathrm{size}/2 - i]`. The phantoms are defined on the same square
rescaled to :math:`[-1, 1]^2`.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from numba import njit, prange
from sklearn.utils import Bunch, check_random_state

__all__ = [
    "blur_operator",
    "filtered_back_projection",
    "make_deblurring",
    "make_tomography",
    "parallel_beam_operator",
    "random_ellipses_phantom",
    "shepp_logan_phantom",
]

_FILTERS = ("ram-lak", "shepp-logan", "hann")
_PHANTOMS = ("shepp_logan", "ellipses")

# The modified Shepp-Logan phantom: Shepp & Logan (1974) geometry with the higher-contrast
# intensities of Toft (1996). One row per ellipse:
# intensity, semi-axis along x (a), semi-axis along y (b), centre x0, centre y0, angle (degrees,
# counterclockwise from the x axis to the a axis).
_SHEPP_LOGAN = np.array(
    [
        [1.0, 0.6900, 0.9200, 0.00, 0.0000, 0.0],
        [-0.8, 0.6624, 0.8740, 0.00, -0.0184, 0.0],
        [-0.2, 0.1100, 0.3100, 0.22, 0.0000, -18.0],
        [-0.2, 0.1600, 0.4100, -0.22, 0.0000, 18.0],
        [0.1, 0.2100, 0.2500, 0.00, 0.3500, 0.0],
        [0.1, 0.0460, 0.0460, 0.00, 0.1000, 0.0],
        [0.1, 0.0460, 0.0460, 0.00, -0.1000, 0.0],
        [0.1, 0.0460, 0.0230, -0.08, -0.6050, 0.0],
        [0.1, 0.0230, 0.0230, 0.00, -0.6060, 0.0],
        [0.1, 0.0230, 0.0460, 0.06, -0.6050, 0.0],
    ]
)

# A direction component smaller than this (in absolute value) is treated as exactly zero, so
# that np.pi / 2, np.pi, ... give exactly axis-parallel rays (their cosine or sine is ~1e-16).
_AXIS_SNAP = 1e-12

# Pieces of a ray shorter than _DROP * size (pixel units) are dropped: they are the rounding
# residue of rays through grid vertices, never a real intersection worth storing.
_DROP = 1e-12


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------
def _check_int(value, name, *, minimum):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _check_real(value, name, *, positive):
    """A finite real number, ``> 0`` if ``positive`` else ``>= 0``."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}.")
    value = float(value)
    bad = not np.isfinite(value) or (value <= 0.0 if positive else value < 0.0)
    if bad:
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}.")
    return value


def _check_angles(angles):
    """Return ``angles`` as a new 1-D finite float64 array with at least one entry."""
    arr = np.asarray(angles)
    if arr.dtype.kind == "c":
        raise TypeError("angles must be real; got a complex array.")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"angles must be a numeric array, got dtype {arr.dtype}.")
    if arr.ndim > 1:
        raise ValueError(f"angles must be a 1-D array (radians), got shape {arr.shape}.")
    arr = np.atleast_1d(arr).astype(np.float64)
    if arr.size == 0:
        raise ValueError("angles must contain at least one angle.")
    if not np.all(np.isfinite(arr)):
        raise ValueError("angles must be finite; found NaN or infinity.")
    return arr


def _default_n_detectors(size):
    """Smallest odd integer >= ceil(size * sqrt(2)): the detectors cover the image diagonal."""
    n = int(np.ceil(size * np.sqrt(2.0)))
    return n if n % 2 == 1 else n + 1


def _check_n_detectors(n_detectors, size):
    if n_detectors is None:
        return _default_n_detectors(size)
    return _check_int(n_detectors, "n_detectors", minimum=1)


def _check_image(image, size, name="phantom"):
    """Return a validated float64 copy of a user ``(size, size)`` image."""
    arr = np.asarray(image)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real; got a complex array.")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}.")
    if arr.ndim != 2 or arr.shape != (size, size):
        raise ValueError(
            f"{name} must be a 2-D array of shape (size, size) = ({size}, {size}), "
            f"got shape {arr.shape}."
        )
    arr = np.array(arr, dtype=np.float64, order="C", copy=True)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; found NaN or infinity.")
    return arr


def _make_phantom(phantom, size, rng):
    if isinstance(phantom, str):
        if phantom == "shepp_logan":
            return shepp_logan_phantom(size)
        if phantom == "ellipses":
            return random_ellipses_phantom(size, random_state=rng)
        raise ValueError(
            f"phantom must be one of {_PHANTOMS} or a (size, size) array, got {phantom!r}."
        )
    return _check_image(phantom, size)


# --------------------------------------------------------------------------------------------
# Phantoms
# --------------------------------------------------------------------------------------------
def _pixel_centres(size):
    """Pixel-centre coordinates on [-1, 1]^2: ``x`` per column, ``y`` per row (top row first)."""
    centres = (2.0 * np.arange(size) + 1.0) / size - 1.0
    return centres[np.newaxis, :], -centres[:, np.newaxis]


def _rasterize_ellipses(size, table):
    """Sum of ``intensity * indicator`` of the ellipses of ``table`` at the pixel centres."""
    x, y = _pixel_centres(size)
    image = np.zeros((size, size))
    for intensity, a, b, x0, y0, degrees in table:
        phi = np.deg2rad(degrees)
        cos, sin = np.cos(phi), np.sin(phi)
        dx, dy = x - x0, y - y0
        along = dx * cos + dy * sin  # coordinates in the ellipse's own frame
        across = -dx * sin + dy * cos
        inside = (along / a) ** 2 + (across / b) ** 2 <= 1.0
        image[inside] += intensity
    return image


def shepp_logan_phantom(size):
    r"""Return the modified Shepp-Logan head phantom as a ``(size, size)`` image.

    The phantom of Shepp & Logan (1974) is a sum of 10 ellipses with constant intensities.
    This is the *modified* version of Toft (1996): the same ellipses with higher-contrast
    intensities (1, -0.8, -0.2, -0.2 and six times 0.1), so that the values lie in
    :math:`[0, 1]` (the skull is 1, the brain 0.2, the two ventricles 0). The ellipses are
    defined on the square :math:`[-1, 1]^2` and sampled at the centres of a
    ``size`` x ``size`` grid of pixels covering it; row 0 is the top (:math:`y = +1`) side,
    column 0 the left (:math:`x = -1`) side.

    Parameters
    ----------
    size : int
        Number of pixels per side, ``>= 2``.

    Returns
    -------
    image : ndarray of shape (size, size)
        The phantom, float64, values in :math:`[0, 1]`.

    See Also
    --------
    random_ellipses_phantom : Random ellipses in the unit disk.
    make_tomography : Tomography problem built on this phantom.

    References
    ----------
    L. A. Shepp and B. F. Logan, "The Fourier reconstruction of a head section", IEEE
    Transactions on Nuclear Science, 21(3), 21-43, 1974.

    P. Toft, "The Radon transform: theory and implementation", PhD thesis, Technical
    University of Denmark, 1996.

    Examples
    --------
    >>> from skreg.datasets import shepp_logan_phantom
    >>> image = shepp_logan_phantom(64)
    >>> image.shape, float(image.min()), float(image.max())
    ((64, 64), 0.0, 1.0)
    """
    size = _check_int(size, "size", minimum=2)
    # 1 - 0.8 - 0.2 is -5.6e-17 in floating point: clip to the exact range.
    return np.clip(_rasterize_ellipses(size, _SHEPP_LOGAN), 0.0, 1.0)


def random_ellipses_phantom(size, n_ellipses=10, random_state=None):
    r"""Return a phantom made of random ellipses inside the unit disk.

    Each ellipse has semi-axes drawn uniformly in :math:`[0.05, 0.4]`, a uniform orientation
    and an intensity drawn uniformly in :math:`[0.1, 1]`; its centre is drawn so that the
    whole ellipse lies in the unit disk (centre distance at most ``1 - max(a, b)``). The
    intensities of overlapping ellipses add up and the sum is clipped to :math:`[0, 1]`.
    Geometry and sampling are those of :func:`shepp_logan_phantom` (pixel centres of a
    ``size`` x ``size`` grid on :math:`[-1, 1]^2`, row 0 at the top).

    Parameters
    ----------
    size : int
        Number of pixels per side, ``>= 2``.
    n_ellipses : int, default=10
        Number of ellipses, ``>= 1``.
    random_state : int, RandomState instance or None, default=None
        Seed or generator for reproducible output.

    Returns
    -------
    image : ndarray of shape (size, size)
        The phantom, float64, values in :math:`[0, 1]`, zero outside the unit disk.

    See Also
    --------
    shepp_logan_phantom : The classical head phantom.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.datasets import random_ellipses_phantom
    >>> image = random_ellipses_phantom(32, n_ellipses=5, random_state=0)
    >>> image.shape, bool(image.min() >= 0.0), bool(image.max() <= 1.0)
    ((32, 32), True, True)
    >>> np.array_equal(image, random_ellipses_phantom(32, n_ellipses=5, random_state=0))
    True
    """
    size = _check_int(size, "size", minimum=2)
    n_ellipses = _check_int(n_ellipses, "n_ellipses", minimum=1)
    rng = check_random_state(random_state)

    axes = rng.uniform(0.05, 0.4, size=(n_ellipses, 2))
    # centre uniform in the disk of radius 1 - max(a, b): the ellipse stays in the unit disk
    radius = (1.0 - axes.max(axis=1)) * np.sqrt(rng.uniform(size=n_ellipses))
    direction = rng.uniform(0.0, 2.0 * np.pi, size=n_ellipses)
    degrees = rng.uniform(0.0, 180.0, size=n_ellipses)
    intensity = rng.uniform(0.1, 1.0, size=n_ellipses)
    table = np.column_stack(
        [
            intensity,
            axes[:, 0],
            axes[:, 1],
            radius * np.cos(direction),
            radius * np.sin(direction),
            degrees,
        ]
    )
    return np.clip(_rasterize_ellipses(size, table), 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# Parallel-beam projector (numba)
# --------------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _n_lines_before(w0, dw, t, size):
    """Number of interior grid lines ``m`` in ``1..size-1`` crossed at parameter ``<= t``.

    The coordinate along the ray is ``w0 + t * dw`` with ``dw > 0``; line ``m`` is crossed at
    ``(m - w0) / dw``, an increasing function of ``m`` (the same formula everywhere, so the
    count is exact whatever the rounding).
    """
    k = int(np.floor(w0 + t * dw))
    k = min(max(k, 0), size - 1)
    while k < size - 1 and (k + 1 - w0) / dw <= t:
        k += 1
    while k > 0 and (k - w0) / dw > t:
        k -= 1
    return k


@njit(cache=True, nogil=True)
def _reverse(cols, vals, start, stop):
    """Reverse ``cols[start:stop]`` and ``vals[start:stop]`` in place (our own buffers)."""
    i, j = start, stop - 1
    while i < j:
        cols[i], cols[j] = cols[j], cols[i]
        vals[i], vals[j] = vals[j], vals[i]
        i += 1
        j -= 1


@njit(cache=True, nogil=True)
def _trace_ray(size, cos, sin, offset, tol, fill, cols, vals, start):
    """Intersect the ray ``<p, (cos, sin)> = offset`` with the pixel grid (Siddon).

    Returns the number of pixels with a piece longer than ``tol``. With ``fill=True`` their
    flattened indices (sorted) and intersection lengths are written to ``cols[start:]`` and
    ``vals[start:]``, output buffers owned by the caller.

    Grid coordinates: ``u = x + size/2`` (column axis) and ``v = size/2 - y`` (row axis), so
    pixel ``(i, j)`` is ``[j, j+1] x [i, i+1]``. The ray is ``p(t) = offset * (cos, sin)
    + t * (-sin, cos)``, with ``t`` the arc length.
    """
    half = 0.5 * size
    u0 = half + offset * cos
    v0 = half - offset * sin
    du = -sin
    dv = -cos
    n = 0

    if du == 0.0 or dv == 0.0:
        # Axis-parallel ray: the constant coordinate w decides the pixels; each of the size
        # pixels it crosses along the other axis contributes length 1. On a grid line, the
        # length is split in two halves between the two pixels that share the line (pixels
        # outside the image are dropped), so no length is counted twice.
        w = u0 if du == 0.0 else v0
        if w < 0.0 or w > size:
            return 0
        lo = int(np.floor(w))
        if lo == w:
            first, last, weight = lo - 1, lo, 0.5
        else:
            first, last, weight = lo, lo, 1.0
        first = max(first, 0)
        last = min(last, size - 1)
        if du == 0.0:  # vertical ray: fixed column(s), every row (emitted in C order)
            for i in range(size):
                for j in range(first, last + 1):
                    if fill:
                        cols[start + n] = i * size + j
                        vals[start + n] = weight
                    n += 1
        else:  # horizontal ray: fixed row(s), every column
            for i in range(first, last + 1):
                for j in range(size):
                    if fill:
                        cols[start + n] = i * size + j
                        vals[start + n] = weight
                    n += 1
        return n

    # Reflect the axes so that both direction components are positive; the pixel indices are
    # reflected back when written.
    flip_u = du < 0.0
    if flip_u:
        u0 = size - u0
        du = -du
    flip_v = dv < 0.0
    if flip_v:
        v0 = size - v0
        dv = -dv

    t_min = max((0.0 - u0) / du, (0.0 - v0) / dv)
    t_max = min((size - u0) / du, (size - v0) / dv)
    if not t_max - t_min > tol:
        return 0

    # The pixel is tracked by counting the crossings (the pixel that contains the midpoint of
    # each piece in exact arithmetic, and immune to rounding: no pixel is visited twice).
    col = _n_lines_before(u0, du, t_min, size)
    row = _n_lines_before(v0, dv, t_min, size)
    next_col = col + 1
    next_row = row + 1
    t_col = (next_col - u0) / du if next_col < size else np.inf
    t_row = (next_row - v0) / dv if next_row < size else np.inf
    t_cur = t_min
    while True:
        t_next = t_max
        if t_col < t_next:
            t_next = t_col
        if t_row < t_next:
            t_next = t_row
        length = t_next - t_cur
        if length > tol:
            if fill:
                i = size - 1 - row if flip_v else row
                j = size - 1 - col if flip_u else col
                cols[start + n] = i * size + j
                vals[start + n] = length
            n += 1
        if t_next >= t_max:
            break
        if t_col == t_next:
            col += 1
            next_col += 1
            t_col = (next_col - u0) / du if next_col < size else np.inf
        if t_row == t_next:
            row += 1
            next_row += 1
            t_row = (next_row - v0) / dv if next_row < size else np.inf
        t_cur = t_next

    if fill and n > 1:
        # Along the ray the row index is monotone and, within a row, so is the column index:
        # reversing runs sorts the flattened indices in O(n).
        stop = start + n
        if flip_v:
            _reverse(cols, vals, start, stop)
        if flip_u != flip_v:
            a = start
            while a < stop:
                r = cols[a] // size
                b = a + 1
                while b < stop and cols[b] // size == r:
                    b += 1
                _reverse(cols, vals, a, b)
                a = b
    return n


@njit(cache=True, nogil=True, parallel=True)
def _count_pass(size, cos, sin, offsets, tol):
    """Number of nonzeros of every ray (row of the system matrix), angle-major."""
    n_det = offsets.shape[0]
    n_rays = cos.shape[0] * n_det
    counts = np.empty(n_rays, dtype=np.int64)
    dummy_cols = np.empty(0, dtype=np.int32)
    dummy_vals = np.empty(0, dtype=np.float64)
    for ray in prange(n_rays):
        a = ray // n_det
        k = ray - a * n_det
        counts[ray] = _trace_ray(
            size, cos[a], sin[a], offsets[k], tol, False, dummy_cols, dummy_vals, 0
        )
    return counts


@njit(cache=True, nogil=True, parallel=True)
def _fill_pass(size, cos, sin, offsets, tol, indptr, indices, data):
    """Write the sorted column indices and lengths of every ray into ``indices``/``data``."""
    n_det = offsets.shape[0]
    n_rays = cos.shape[0] * n_det
    for ray in prange(n_rays):
        a = ray // n_det
        k = ray - a * n_det
        _trace_ray(size, cos[a], sin[a], offsets[k], tol, True, indices, data, indptr[ray])


def _directions(angles):
    """``cos`` and ``sin`` of the angles, exactly axis-parallel within ``_AXIS_SNAP``."""
    cos = np.cos(angles)
    sin = np.sin(angles)
    on_y = np.abs(cos) < _AXIS_SNAP  # normal along +-y: horizontal ray
    on_x = np.abs(sin) < _AXIS_SNAP  # normal along +-x: vertical ray
    cos[on_y] = 0.0
    sin[on_y] = np.sign(sin[on_y])
    sin[on_x] = 0.0
    cos[on_x] = np.sign(cos[on_x])
    return cos, sin


def _projector(size, angles, n_detectors):
    """Build the system matrix from validated arguments."""
    cos, sin = _directions(angles)
    offsets = np.arange(n_detectors, dtype=np.float64) - 0.5 * (n_detectors - 1)
    tol = _DROP * size
    counts = _count_pass(size, cos, sin, offsets, tol)
    indptr = np.zeros(counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    nnz = int(indptr[-1])
    index_dtype = np.int32 if max(nnz, size * size) < np.iinfo(np.int32).max else np.int64
    indices = np.empty(nnz, dtype=index_dtype)
    data = np.empty(nnz, dtype=np.float64)
    _fill_pass(size, cos, sin, offsets, tol, indptr, indices, data)
    shape = (angles.shape[0] * n_detectors, size * size)
    matrix = sp.csr_matrix((data, indices, indptr.astype(index_dtype)), shape=shape)
    matrix.has_sorted_indices = True
    return matrix


def parallel_beam_operator(size, angles, n_detectors=None):
    r"""Return the parallel-beam projection (Radon) system matrix with exact line lengths.

    Entry ``(ray, pixel)`` is the length of the intersection of the ray, a straight line,
    with the square pixel, so that ``A @ image.ravel()`` is the sinogram: the line integrals
    of the piecewise-constant image.

    Geometry (pixel units, pixel side 1): the image occupies
    :math:`[-\mathrm{size}/2, \mathrm{size}/2]^2`, ``x`` to the right and ``y`` up; pixel
    ``(i, j)`` (row ``i`` from the top, column ``j``) is column ``i * size + j`` of ``A``
    (C order, the order of ``image.ravel()``). For the angle :math:`\theta` and the detector
    offset :math:`s` the ray is the line
    :math:`\{p : \langle p, (\cos\theta, \sin\theta) \rangle = s\}`. The offsets are spaced
    one pixel apart and centred on 0, :math:`s_k = k - (n_{\mathrm{det}} - 1)/2`. Rows are
    angle-major: row ``a * n_detectors + k`` is angle ``a``, offset :math:`s_k`.

    The lengths are computed by a Siddon-type algorithm (the parametric crossings of the ray
    with the vertical and the horizontal grid lines are merged; each piece between
    consecutive crossings is assigned to the pixel it traverses), in two parallel passes over
    the rays (count, then fill). The total weight of a ray is the length of its chord
    through the image square, whatever the ray: through grid vertices, or along a grid line,
    in which case the length is shared half and half by the two pixels on either side of the
    line (the average of the two one-sided limits; pixels outside the image are dropped, so
    a ray along the outer boundary of the image carries half its length). Directions within
    1e-12 of an axis are treated as exactly axis-parallel, so that ``np.pi / 2`` gives an
    exactly horizontal ray. Pieces shorter than ``1e-12 * size`` (rounding residue at grid
    vertices) are dropped.

    Parameters
    ----------
    size : int
        Number of pixels per side of the image, ``>= 2``.
    angles : array-like of shape (n_angles,)
        Projection angles :math:`\theta` in radians (any finite values).
    n_detectors : int or None, default=None
        Number of detector offsets per angle. None means the smallest odd integer
        :math:`\ge \lceil \mathrm{size} \sqrt{2} \rceil`, so that the detectors cover every
        ray through the image at every angle.

    Returns
    -------
    A : scipy.sparse.csr_matrix of shape (n_angles * n_detectors, size * size)
        The system matrix, float64, nonnegative, with sorted column indices in each row.

    See Also
    --------
    filtered_back_projection : Analytic reconstruction for this geometry.
    make_tomography : Tomography problem built on this operator.

    References
    ----------
    R. L. Siddon, "Fast calculation of the exact radiological path for a three-dimensional
    CT array", Medical Physics, 12(2), 252-255, 1985.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.datasets import parallel_beam_operator
    >>> A = parallel_beam_operator(3, [0.0, np.pi / 4])
    >>> A.shape, A.format
    ((10, 9), 'csr')

    The central ray at 45 degrees crosses the three diagonal pixels along their diagonals:

    >>> A[7].toarray().reshape(3, 3).round(4)
    array([[1.4142, 0.    , 0.    ],
           [0.    , 1.4142, 0.    ],
           [0.    , 0.    , 1.4142]])
    """
    size = _check_int(size, "size", minimum=2)
    angles = _check_angles(angles)
    n_detectors = _check_n_detectors(n_detectors, size)
    return _projector(size, angles, n_detectors)


# --------------------------------------------------------------------------------------------
# Filtered back-projection
# --------------------------------------------------------------------------------------------
def _ramp_response(n_pad, filter):
    """Frequency response (rfft layout) of the windowed ramp filter, unit detector spacing."""
    n = np.arange(n_pad)
    n = np.minimum(n, n_pad - n)  # |n| in the wrapped (circular) layout
    kernel = np.zeros(n_pad)
    kernel[0] = 0.25
    odd = n % 2 == 1
    kernel[odd] = -1.0 / (np.pi * n[odd]) ** 2
    response = np.fft.rfft(kernel).real  # the kernel is even: its transform is real
    freq = np.fft.rfftfreq(n_pad)  # cycles per detector spacing, in [0, 1/2]
    if filter == "shepp-logan":
        response *= np.sinc(freq)
    elif filter == "hann":
        response *= 0.5 * (1.0 + np.cos(2.0 * np.pi * freq))
    return response


def filtered_back_projection(sinogram, angles, size, *, n_detectors=None, filter="ram-lak"):
    r"""Reconstruct an image from its parallel-beam sinogram by filtered back-projection.

    The classical analytic inversion of the Radon transform for the geometry of
    :func:`parallel_beam_operator`:

    .. math:: f \approx \frac{\pi}{n_{\theta}} A^T q, \qquad q_\theta = h * p_\theta,

    where :math:`p_\theta` is the projection at angle :math:`\theta` and :math:`h` the ramp
    filter, applied through the FFT with zero padding to at least twice the number of
    detectors (no wrap-around). The ramp is the transform of the band-limited spatial kernel
    of Ramachandran & Lakshminarayanan for unit detector spacing, :math:`h_0 = 1/4`,
    :math:`h_n = -1/(\pi^2 n^2)` for odd :math:`n` and :math:`h_n = 0` for even
    :math:`n \ne 0` (it keeps the correct zero-frequency gain, unlike a sampled
    :math:`|\nu|`). ``"shepp-logan"`` and ``"hann"`` multiply its frequency response by the
    windows :math:`\operatorname{sinc}(\nu)` and :math:`(1 + \cos 2\pi\nu)/2`
    (:math:`\nu` in cycles per detector, :math:`|\nu| \le 1/2`), which trade resolution for
    less noise.

    The weight :math:`\pi / n_\theta` assumes angles uniformly spaced over half a turn,
    e.g. ``np.linspace(0, np.pi, n_angles, endpoint=False)``.

    Parameters
    ----------
    sinogram : array-like of shape (n_angles * n_detectors,) or (n_angles, n_detectors)
        Measured projections, angle-major as produced by ``A @ image.ravel()``.
    angles : array-like of shape (n_angles,)
        Projection angles in radians.
    size : int
        Number of pixels per side of the reconstructed image, ``>= 2``.
    n_detectors : int or None, default=None
        Number of detectors per angle. None means ``sinogram.shape[1]`` for a 2-D sinogram and
        the default of :func:`parallel_beam_operator` for a flat one.
    filter : {"ram-lak", "shepp-logan", "hann"}, default="ram-lak"
        Ramp filter and its window.

    Returns
    -------
    image : ndarray of shape (size, size)
        The reconstruction, row 0 at the top.

    See Also
    --------
    parallel_beam_operator : The forward operator whose transpose back-projects.

    References
    ----------
    A. C. Kak and M. Slaney, "Principles of Computerized Tomographic Imaging", IEEE Press,
    1988, chapter 3.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.datasets import (filtered_back_projection, parallel_beam_operator,
    ...                             shepp_logan_phantom)
    >>> angles = np.linspace(0, np.pi, 90, endpoint=False)
    >>> image = shepp_logan_phantom(32)
    >>> sinogram = parallel_beam_operator(32, angles) @ image.ravel()
    >>> recon = filtered_back_projection(sinogram, angles, 32)
    >>> error = np.linalg.norm(recon - image) / np.linalg.norm(image)
    >>> recon.shape, round(float(recon.mean() / image.mean()), 2), round(float(error), 2)
    ((32, 32), 1.0, 0.36)

    The mean intensity is kept; the error is that of the edges and of the details of one
    pixel, which no band-limited reconstruction keeps at this resolution.
    """
    size = _check_int(size, "size", minimum=2)
    angles = _check_angles(angles)
    if not isinstance(filter, str) or filter not in _FILTERS:
        raise ValueError(f"filter must be one of {_FILTERS}, got {filter!r}.")
    sino = np.asarray(sinogram)
    if sino.dtype.kind == "c":
        raise TypeError("sinogram must be real; got a complex array.")
    if sino.dtype.kind not in "biuf":
        raise TypeError(f"sinogram must be a numeric array, got dtype {sino.dtype}.")
    if n_detectors is None and sino.ndim == 2:
        n_detectors = sino.shape[1]
    n_detectors = _check_n_detectors(n_detectors, size)
    n_angles = angles.shape[0]
    expected = n_angles * n_detectors
    if sino.ndim == 1 and sino.shape[0] == expected:
        pass
    elif sino.ndim == 2 and sino.shape == (n_angles, n_detectors):
        pass
    else:
        raise ValueError(
            f"sinogram must have n_angles * n_detectors = {n_angles} * {n_detectors} = "
            f"{expected} entries (flat) or shape ({n_angles}, {n_detectors}), got shape "
            f"{sino.shape}."
        )
    sino = sino.astype(np.float64).reshape(n_angles, n_detectors)
    if not np.all(np.isfinite(sino)):
        raise ValueError("sinogram must be finite; found NaN or infinity.")

    n_pad = max(64, 1 << int(np.ceil(np.log2(2 * n_detectors))))
    response = _ramp_response(n_pad, filter)
    spectrum = np.fft.rfft(sino, n=n_pad, axis=1)
    filtered = np.fft.irfft(spectrum * response, n=n_pad, axis=1)[:, :n_detectors]

    operator = _projector(size, angles, n_detectors)
    image = operator.T @ filtered.ravel()
    image *= np.pi / n_angles
    return image.reshape(size, size)


# --------------------------------------------------------------------------------------------
# Gaussian blur
# --------------------------------------------------------------------------------------------
def _blur_1d(size, sigma, radius):
    """1-D banded Toeplitz factor: ``B[i, i'] = g(i' - i) / sum(g)``, zero boundary."""
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-(offsets**2) / (2.0 * sigma**2))
    weights /= weights.sum()
    keep = np.abs(offsets) < size  # diagonals beyond the matrix do not exist
    offsets, weights = offsets[keep], weights[keep]
    diagonals = [np.full(size - abs(int(k)), w) for k, w in zip(offsets, weights)]
    return sp.diags(diagonals, offsets, shape=(size, size), format="csr")


def blur_operator(size, sigma=1.5, radius=None):
    r"""Return the Gaussian blur of a ``(size, size)`` image as a sparse matrix.

    The point-spread function is
    :math:`\mathrm{psf}(d_i, d_j) \propto \exp\big(-(d_i^2 + d_j^2) / (2\sigma^2)\big)` on the
    square window :math:`|d_i|, |d_j| \le` ``radius``, normalized to sum 1 over the full
    window. Boundary conditions are zero: pixels outside the image are dropped and the PSF
    is not renormalized near the boundary, so rows sum to 1 only for pixels at least
    ``radius`` away from the border. The PSF is separable, hence the matrix is the Kronecker
    product :math:`B \otimes B` of a 1-D banded Toeplitz blur; it is symmetric. Pixels are
    flattened in C order, as in :func:`parallel_beam_operator`.

    Parameters
    ----------
    size : int
        Number of pixels per side, ``>= 2``.
    sigma : float, default=1.5
        Standard deviation of the Gaussian in pixels, ``> 0``.
    radius : int or None, default=None
        Half-width of the window in pixels, ``>= 0``; None means
        :math:`\lceil 3 \sigma \rceil`.

    Returns
    -------
    B : scipy.sparse.csr_matrix of shape (size * size, size * size)
        The blur matrix, float64, symmetric, with sorted indices.

    See Also
    --------
    make_deblurring : Deblurring problem built on this operator.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.datasets import blur_operator
    >>> B = blur_operator(16, sigma=1.0)
    >>> B.shape, B.nnz, float(abs(B - B.T).max())
    ((256, 256), 10000, 0.0)

    Rows sum to 1 away from the border; the corner pixel loses the weight of the outside:

    >>> row_sums = np.asarray(B.sum(axis=1)).reshape(16, 16)
    >>> round(float(row_sums[8, 8]), 12), round(float(row_sums[0, 0]), 4)
    (1.0, 0.4893)
    """
    size = _check_int(size, "size", minimum=2)
    sigma = _check_real(sigma, "sigma", positive=True)
    if radius is None:
        radius = int(np.ceil(3.0 * sigma))
    else:
        radius = _check_int(radius, "radius", minimum=0)
    factor = _blur_1d(size, sigma, radius)
    matrix = sp.csr_matrix(sp.kron(factor, factor, format="csr"))
    matrix.eliminate_zeros()  # tiny weights underflow to 0 when radius >> sigma
    matrix.sort_indices()
    return matrix


# --------------------------------------------------------------------------------------------
# Problem generators
# --------------------------------------------------------------------------------------------
def _relative_noise(y_true, noise, rng):
    """Gaussian noise ``e`` with ``||e|| = noise * ||y_true||`` (zero if either is zero)."""
    e = rng.standard_normal(y_true.shape[0])  # drawn always: its direction depends on the seed
    scale = noise * np.linalg.norm(y_true)
    norm = np.linalg.norm(e)
    if scale == 0.0 or norm == 0.0:
        e[:] = 0.0
    else:
        e *= scale / norm
    return e


def make_tomography(
    size=64,
    n_angles=60,
    noise=0.01,
    *,
    phantom="shepp_logan",
    n_detectors=None,
    angle_range=np.pi,
    random_state=None,
):
    r"""Generate a parallel-beam computed-tomography problem :math:`y = A x + e`.

    :math:`A` is :func:`parallel_beam_operator` for ``n_angles`` angles uniformly spaced in
    ``[0, angle_range)`` (``np.linspace(0, angle_range, n_angles, endpoint=False)``; a
    ``angle_range`` below :math:`\pi` gives a limited-angle problem), :math:`x` the
    flattened phantom and :math:`e` Gaussian noise. The noise is *relative*: it is rescaled
    so that

    .. math:: \|e\|_2 / \|A x\|_2 = \mathrm{noise}

    exactly (``noise=0`` gives ``y == y_true``; no noise is added if :math:`Ax = 0`). Its
    absolute size, :math:`\|e\|_2`, is returned as ``noise_level`` (the meaning of
    ``noise_level`` everywhere in skreg, e.g. for the discrepancy principle). For a fixed
    ``random_state`` the direction of :math:`e` does not depend on ``noise``.

    Parameters
    ----------
    size : int, default=64
        Number of pixels per side of the image, ``>= 2``.
    n_angles : int, default=60
        Number of projection angles, ``>= 1``.
    noise : float, default=0.01
        Relative noise :math:`\|e\|_2 / \|A x\|_2`, finite, ``>= 0``.
    phantom : {"shepp_logan", "ellipses"} or ndarray of shape (size, size), default="shepp_logan"
        The image :math:`x`: :func:`shepp_logan_phantom`, :func:`random_ellipses_phantom`
        (drawn with ``random_state``) or a finite user image (copied, never modified).
    n_detectors : int or None, default=None
        Number of detectors per angle; None means the default of
        :func:`parallel_beam_operator`.
    angle_range : float, default=np.pi
        The angles cover ``[0, angle_range)``; finite, ``> 0``.
    random_state : int, RandomState instance or None, default=None
        Seed or generator for the noise (and the random phantom).

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        With the fields

        operator : scipy.sparse.csr_matrix of shape (n_angles * n_detectors, size * size)
            The system matrix :math:`A`.
        image : ndarray of shape (size, size)
            The phantom.
        coef : ndarray of shape (size * size,)
            ``image.ravel()``, the true coefficients :math:`x`.
        y : ndarray of shape (n_angles * n_detectors,)
            Noisy measurements :math:`A x + e`.
        y_true : ndarray of shape (n_angles * n_detectors,)
            Noise-free measurements :math:`A x`.
        noise_level : float
            :math:`\|e\|_2`.
        angles : ndarray of shape (n_angles,)
            The projection angles in radians.
        n_detectors : int
            Number of detectors per angle.
        shape : tuple
            ``(size, size)``.

    See Also
    --------
    make_deblurring : Gaussian deblurring problem on the same phantoms.
    filtered_back_projection : Classical analytic reconstruction.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.datasets import make_tomography
    >>> ds = make_tomography(32, n_angles=20, noise=0.05, random_state=0)
    >>> ds.operator.shape, ds.image.shape, ds.n_detectors
    ((940, 1024), (32, 32), 47)
    >>> noise = ds.y - ds.y_true
    >>> round(float(np.linalg.norm(noise) / np.linalg.norm(ds.y_true)), 12)
    0.05
    >>> bool(ds.noise_level == np.linalg.norm(noise))
    True
    """
    size = _check_int(size, "size", minimum=2)
    n_angles = _check_int(n_angles, "n_angles", minimum=1)
    noise = _check_real(noise, "noise", positive=False)
    n_detectors = _check_n_detectors(n_detectors, size)
    angle_range = _check_real(angle_range, "angle_range", positive=True)
    rng = check_random_state(random_state)

    image = _make_phantom(phantom, size, rng)
    angles = np.linspace(0.0, angle_range, n_angles, endpoint=False)
    operator = _projector(size, angles, n_detectors)
    coef = image.ravel().copy()
    y_true = operator @ coef
    e = _relative_noise(y_true, noise, rng)
    return Bunch(
        operator=operator,
        image=image,
        coef=coef,
        y=y_true + e,
        y_true=y_true,
        noise_level=float(np.linalg.norm(e)),
        angles=angles,
        n_detectors=n_detectors,
        shape=(size, size),
    )


def make_deblurring(
    size=64,
    sigma=1.5,
    noise=0.01,
    *,
    phantom="shepp_logan",
    radius=None,
    random_state=None,
):
    r"""Generate an image deblurring problem :math:`y = B x + e`.

    :math:`B` is the Gaussian :func:`blur_operator` (zero boundary conditions), :math:`x`
    the flattened phantom and :math:`e` Gaussian noise, rescaled so that

    .. math:: \|e\|_2 / \|B x\|_2 = \mathrm{noise}

    exactly (``noise=0`` gives ``y == y_true``; no noise is added if :math:`Bx = 0`). Its
    absolute size, :math:`\|e\|_2`, is returned as ``noise_level`` (the meaning of
    ``noise_level`` everywhere in skreg). For a fixed ``random_state`` the direction of
    :math:`e` does not depend on ``noise``.

    Parameters
    ----------
    size : int, default=64
        Number of pixels per side of the image, ``>= 2``.
    sigma : float, default=1.5
        Standard deviation of the Gaussian point-spread function in pixels, ``> 0``.
    noise : float, default=0.01
        Relative noise :math:`\|e\|_2 / \|B x\|_2`, finite, ``>= 0``.
    phantom : {"shepp_logan", "ellipses"} or ndarray of shape (size, size), default="shepp_logan"
        The image :math:`x`: :func:`shepp_logan_phantom`, :func:`random_ellipses_phantom`
        (drawn with ``random_state``) or a finite user image (copied, never modified).
    radius : int or None, default=None
        Half-width of the blur window; None means :math:`\lceil 3\sigma \rceil`.
    random_state : int, RandomState instance or None, default=None
        Seed or generator for the noise (and the random phantom).

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        With the fields

        operator : scipy.sparse.csr_matrix of shape (size * size, size * size)
            The blur matrix :math:`B`.
        image : ndarray of shape (size, size)
            The phantom.
        coef : ndarray of shape (size * size,)
            ``image.ravel()``, the true coefficients :math:`x`.
        y : ndarray of shape (size * size,)
            Noisy blurred image :math:`B x + e` (flattened in C order).
        y_true : ndarray of shape (size * size,)
            Noise-free blurred image :math:`B x`.
        noise_level : float
            :math:`\|e\|_2`.
        shape : tuple
            ``(size, size)``.
        sigma : float
            The standard deviation of the blur.
        radius : int
            The half-width of the blur window.

    See Also
    --------
    make_tomography : Computed-tomography problem on the same phantoms.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.datasets import make_deblurring
    >>> ds = make_deblurring(32, sigma=2.0, noise=0.1, random_state=0)
    >>> ds.operator.shape, ds.y.shape, ds.radius
    ((1024, 1024), (1024,), 6)
    >>> round(float(ds.noise_level / np.linalg.norm(ds.y_true)), 12)
    0.1
    """
    size = _check_int(size, "size", minimum=2)
    sigma = _check_real(sigma, "sigma", positive=True)
    noise = _check_real(noise, "noise", positive=False)
    if radius is None:
        radius = int(np.ceil(3.0 * sigma))
    else:
        radius = _check_int(radius, "radius", minimum=0)
    rng = check_random_state(random_state)

    image = _make_phantom(phantom, size, rng)
    operator = blur_operator(size, sigma=sigma, radius=radius)
    coef = image.ravel().copy()
    y_true = operator @ coef
    e = _relative_noise(y_true, noise, rng)
    return Bunch(
        operator=operator,
        image=image,
        coef=coef,
        y=y_true + e,
        y_true=y_true,
        noise_level=float(np.linalg.norm(e)),
        shape=(size, size),
        sigma=sigma,
        radius=radius,
    )
