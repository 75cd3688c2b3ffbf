"""Graph Laplacians: pixel grids, data-dependent (graphLa) weights and k-nearest neighbours.

Every builder returns a symmetric positive semi-definite scipy CSR matrix ``L = D - W`` with
``L @ 1 = 0`` (or the normalized ``I - D^{-1/2} W D^{-1/2}``), where ``W`` holds the edge
weights and ``D`` their row sums.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from numba import njit, prange
from sklearn.neighbors import kneighbors_graph
from sklearn.utils import check_array

from .._config import _numba_threads
from .._validation import _check_not_complex, _check_sparse_format, check_bool

__all__ = [
    "data_laplacian",
    "grid_laplacian",
    "incidence_matrix",
    "knn_laplacian",
]


# --------------------------------------------------------------------------------------------
# Window graphs on a pixel grid (one kernel for grid and data-dependent weights)
# --------------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _window_count(n_rows, n_cols, radius, p):
    i = p // n_cols
    j = p - i * n_cols
    rows = min(i + radius, n_rows - 1) - max(i - radius, 0) + 1
    cols = min(j + radius, n_cols - 1) - max(j - radius, 0) + 1
    return rows * cols - 1


@njit(cache=True, nogil=True, parallel=True)
def _window_graph(n_rows, n_cols, radius, values, inv_sigma, weighted):
    """CSR arrays of the window graph: ``p ~ q`` when ``0 < max(|di|, |dj|) <= radius``.

    Weights are 1, or ``exp(-(values[p] - values[q])^2 * inv_sigma)`` when ``weighted``.
    Columns come out sorted (row-major scan of the window); no diagonal entries.
    """
    n = n_rows * n_cols
    indptr = np.zeros(n + 1, dtype=np.int64)
    for p in range(n):
        indptr[p + 1] = indptr[p] + _window_count(n_rows, n_cols, radius, p)
    nnz = indptr[n]
    indices = np.empty(nnz, dtype=np.int64)
    data = np.empty(nnz)
    for p in prange(n):
        i = p // n_cols
        j = p - i * n_cols
        k = indptr[p]
        for qi in range(max(i - radius, 0), min(i + radius, n_rows - 1) + 1):
            for qj in range(max(j - radius, 0), min(j + radius, n_cols - 1) + 1):
                q = qi * n_cols + qj
                if q == p:
                    continue
                indices[k] = q
                if weighted:
                    d = values[p] - values[q]
                    data[k] = np.exp(-d * d * inv_sigma)
                else:
                    data[k] = 1.0
                k += 1
    return indptr, indices, data


def _check_shape(shape):
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (int(shape),)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(
            f"shape must be an int or a tuple of 1 or 2 ints, got {shape!r}."
        ) from None
    if len(shape) not in (1, 2) or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in shape
    ):
        raise ValueError(f"shape must be 1 or 2 positive ints, got {shape!r}.")
    return tuple(int(s) for s in shape)


def _check_radius(radius):
    if not isinstance(radius, numbers.Integral) or isinstance(radius, bool) or radius < 1:
        raise ValueError(f"radius must be an integer >= 1, got {radius!r}.")
    return int(radius)


def _grid_dims(shape):
    return (1, shape[0]) if len(shape) == 1 else shape


@njit(cache=True, nogil=True, parallel=True)
def _laplacian_csr(indptr, indices, data, normalized):
    """CSR arrays of ``D - W`` (or ``I - D^{-1/2} W D^{-1/2}``) from sorted CSR ``W``.

    ``W`` has sorted columns and no diagonal; the diagonal is inserted at its sorted place.
    Isolated nodes get a zero row (also when normalized, so that L stays PSD).
    """
    n = indptr.shape[0] - 1
    degree = np.zeros(n)
    for p in prange(n):
        acc = 0.0
        for k in range(indptr[p], indptr[p + 1]):
            acc += data[k]
        degree[p] = acc
    scale = np.ones(n)
    if normalized:
        for p in range(n):
            scale[p] = 1.0 / np.sqrt(degree[p]) if degree[p] > 0.0 else 0.0
    out_ptr = np.empty(n + 1, dtype=np.int64)
    out_ptr[0] = 0
    for p in range(n):
        out_ptr[p + 1] = out_ptr[p] + indptr[p + 1] - indptr[p] + 1
    out_idx = np.empty(out_ptr[n], dtype=np.int64)
    out_data = np.empty(out_ptr[n])
    for p in prange(n):
        pos = out_ptr[p]
        diag = (1.0 if degree[p] > 0.0 else 0.0) if normalized else degree[p]
        placed = False
        for k in range(indptr[p], indptr[p + 1]):
            q = indices[k]
            if not placed and q > p:
                out_idx[pos] = p
                out_data[pos] = diag
                pos += 1
                placed = True
            out_idx[pos] = q
            out_data[pos] = -data[k] * scale[p] * scale[q]
            pos += 1
        if not placed:
            out_idx[pos] = p
            out_data[pos] = diag
    return out_ptr, out_idx, out_data


def _csr_from_arrays(indptr, indices, data, shape):
    idx_dtype = np.int32 if max(indptr[-1], shape[1]) < np.iinfo(np.int32).max else np.int64
    return sp.csr_matrix(
        (data, indices.astype(idx_dtype, copy=False), indptr.astype(idx_dtype, copy=False)),
        shape=shape,
    )


def _laplacian_of(W, normalized):
    """Laplacian of the weight matrix ``W`` (sorted CSR with no diagonal)."""
    check_bool(normalized, "normalized")
    with _numba_threads():
        indptr, indices, data = _laplacian_csr(
            W.indptr.astype(np.int64), W.indices.astype(np.int64), W.data, bool(normalized)
        )
    return _csr_from_arrays(indptr, indices, data, W.shape)


def _window_weights(shape, radius, values, sigma):
    n_rows, n_cols = _grid_dims(shape)
    weighted = values is not None
    vals = values if weighted else np.zeros(1)
    inv_sigma = 1.0 / sigma if weighted else 0.0
    with _numba_threads():
        indptr, indices, data = _window_graph(n_rows, n_cols, radius, vals, inv_sigma,
                                              weighted)
    n = n_rows * n_cols
    return _csr_from_arrays(indptr, indices, data, (n, n))


def grid_laplacian(shape, radius=1, *, normalized=False):
    r"""Laplacian of the window graph on a 1-D or 2-D grid.

    Pixels (or ordered features) ``p`` and ``q`` are joined with weight 1 when they lie in
    each other's :math:`(2r + 1)^d` window, :math:`0 < \max_k |p_k - q_k| \le r`. Pixels are
    numbered in C order (``image.ravel()``).

    Parameters
    ----------
    shape : int or tuple of 1 or 2 ints
        Grid shape: ``n_features`` (a chain of ordered features) or ``(n_rows, n_cols)``.
    radius : int, default=1
        Window radius ``r``: 1 joins the 8 neighbours of a pixel (2 in 1-D).
    normalized : bool, default=False
        Return the normalized Laplacian :math:`I - D^{-1/2} W D^{-1/2}`.

    Returns
    -------
    L : scipy.sparse.csr_matrix of shape (n_nodes, n_nodes)
        Symmetric positive semi-definite, ``L @ ones = 0`` (unnormalized).

    Examples
    --------
    >>> from skreg.graph import grid_laplacian
    >>> grid_laplacian(4).toarray()
    array([[ 1., -1.,  0.,  0.],
           [-1.,  2., -1.,  0.],
           [ 0., -1.,  2., -1.],
           [ 0.,  0., -1.,  1.]])
    >>> grid_laplacian((3, 3)).diagonal()
    array([3., 5., 3., 5., 8., 5., 3., 5., 3.])
    """
    shape = _check_shape(shape)
    radius = _check_radius(radius)
    return _laplacian_of(_window_weights(shape, radius, None, 1.0), normalized)


def data_laplacian(x_prelim, shape=None, radius=4, sigma=1e-3, *, normalized=False):
    r"""Data-dependent graph Laplacian of graphLa+Psi (Bianchi et al., 2023).

    Builds the window graph of :func:`grid_laplacian` on a preliminary reconstruction
    :math:`\tilde x` with weights

    .. math:: w_{pq} = \exp\left(-(\tilde x_p - \tilde x_q)^2 / \sigma\right)
              \quad\text{for } 0 < \max_k |p_k - q_k| \le r,

    scales :math:`W` by its Frobenius norm and returns :math:`L = D - W`: neighbours of
    similar intensity are tied strongly, edges in :math:`\tilde x` cut the graph.

    Parameters
    ----------
    x_prelim : array-like of shape (n_nodes,) or (n_rows, n_cols)
        The preliminary reconstruction :math:`\tilde x = \Psi(y)`.
    shape : int or tuple of 1 or 2 ints, default=None
        Grid shape; by default the shape of ``x_prelim``.
    radius : int, default=4
        Window radius ``r``.
    sigma : float, default=1e-3
        Bandwidth of the weights, in squared units of ``x_prelim`` (the paper's value for
        images scaled to [0, 1]).
    normalized : bool, default=False
        Return the normalized Laplacian :math:`I - D^{-1/2} W D^{-1/2}` instead.

    Returns
    -------
    L : scipy.sparse.csr_matrix of shape (n_nodes, n_nodes)
        Symmetric positive semi-definite, ``L @ ones = 0`` (unnormalized).

    References
    ----------
    D. Bianchi, D. Evangelista, S. Aleotti, M. Donatelli, E. Loli Piccolomini and W. Li, "A
    data-dependent regularization method based on the graph Laplacian", arXiv:2312.16936.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.graph import data_laplacian
    >>> x = np.array([0.0, 0.0, 1.0, 1.0])  # an edge between nodes 1 and 2
    >>> L = data_laplacian(x, radius=1)
    >>> np.round(L.toarray(), 3) + 0.0  # W / ||W||_F: two unit edges, the third is ~exp(-1000)
    array([[ 0.5, -0.5,  0. ,  0. ],
           [-0.5,  0.5,  0. ,  0. ],
           [ 0. ,  0. ,  0.5, -0.5],
           [ 0. ,  0. , -0.5,  0.5]])
    """
    x = np.asarray(x_prelim)
    if x.dtype == object or not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
        raise TypeError(f"x_prelim must be a real numeric array, got dtype {x.dtype}.")
    if x.ndim not in (1, 2):
        raise ValueError(f"x_prelim must be 1-D or 2-D, got shape {x.shape}.")
    shape = _check_shape(x.shape if shape is None else shape)
    if x.size != int(np.prod(shape)):
        raise ValueError(
            f"x_prelim has {x.size} entries but shape {shape} has {int(np.prod(shape))}."
        )
    values = np.ascontiguousarray(x, dtype=np.float64).ravel()
    if not np.all(np.isfinite(values)):
        raise ValueError("x_prelim contains NaN or infinity.")
    radius = _check_radius(radius)
    if not isinstance(sigma, numbers.Real) or isinstance(sigma, bool) or not sigma > 0 \
            or not np.isfinite(sigma):
        raise ValueError(f"sigma must be a positive finite number, got {sigma!r}.")
    W = _window_weights(shape, radius, values, float(sigma))
    norm = np.sqrt(np.dot(W.data, W.data))
    if norm > 0.0:
        W.data /= norm
    return _laplacian_of(W, normalized)


def knn_laplacian(X, n_neighbors=10, *, on="samples", weights="connectivity", bandwidth=None,
                  normalized=False, metric="minkowski", n_jobs=None):
    r"""Laplacian of the symmetrized k-nearest-neighbour graph of samples or of features.

    Node ``p`` is joined to its ``n_neighbors`` nearest neighbours and the graph is made
    symmetric (an edge exists if either end chose the other).

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        Data.
    n_neighbors : int, default=10
        Neighbours per node (capped at ``n_nodes - 1``).
    on : {"samples", "features"}, default="samples"
        Nodes are the rows of ``X`` (manifold regularization) or its columns. Features are
        points described by their correlations: each column is standardized to zero mean and
        unit norm, so the squared Euclidean distance between features ``j`` and ``k`` is
        :math:`2 (1 - \rho_{jk})`.
    weights : {"connectivity", "heat"}, default="connectivity"
        Edge weights: 1, or the heat kernel :math:`\exp(-d_{pq}^2 / (2 h^2))`.
    bandwidth : float, default=None
        ``h`` of the heat kernel; by default the mean distance to the chosen neighbours.
    normalized : bool, default=False
        Return the normalized Laplacian :math:`I - D^{-1/2} W D^{-1/2}` instead of
        :math:`D - W`.
    metric : str or callable, default="minkowski"
        Distance, as in :func:`sklearn.neighbors.kneighbors_graph` (Euclidean by default).
    n_jobs : int, default=None
        Parallel jobs of the neighbour search.

    Returns
    -------
    L : scipy.sparse.csr_matrix of shape (n_nodes, n_nodes)
        Symmetric positive semi-definite.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.graph import knn_laplacian
    >>> X = np.array([[0.0], [0.1], [5.0], [5.2]])
    >>> knn_laplacian(X, n_neighbors=1).toarray()
    array([[ 1., -1.,  0.,  0.],
           [-1.,  1.,  0.,  0.],
           [ 0.,  0.,  1., -1.],
           [ 0.,  0., -1.,  1.]])
    """
    _check_not_complex(X, "X")
    _check_sparse_format(X)
    X = check_array(X, accept_sparse=["csr", "csc", "coo"], dtype=np.float64)
    if on not in ("samples", "features"):
        raise ValueError(f"on must be 'samples' or 'features', got {on!r}.")
    if weights not in ("connectivity", "heat"):
        raise ValueError(f"weights must be 'connectivity' or 'heat', got {weights!r}.")
    if not isinstance(n_neighbors, numbers.Integral) or isinstance(n_neighbors, bool) \
            or n_neighbors < 1:
        raise ValueError(f"n_neighbors must be an integer >= 1, got {n_neighbors!r}.")
    if bandwidth is not None and (
        not isinstance(bandwidth, numbers.Real) or isinstance(bandwidth, bool)
        or not bandwidth > 0 or not np.isfinite(bandwidth)
    ):
        raise ValueError(f"bandwidth must be None or a positive number, got {bandwidth!r}.")
    points = _feature_points(X) if on == "features" else X
    n_nodes = points.shape[0]
    k = min(int(n_neighbors), n_nodes - 1)
    if k < 1:
        return _laplacian_of(sp.csr_matrix((n_nodes, n_nodes)), normalized)
    mode = "distance" if weights == "heat" else "connectivity"
    G = kneighbors_graph(points, k, mode=mode, metric=metric, include_self=False,
                         n_jobs=n_jobs).tocsr()
    if weights == "heat":
        h = float(np.mean(G.data)) if bandwidth is None else float(bandwidth)
        G.data = np.exp(-(G.data ** 2) / (2.0 * h * h)) if h > 0 else np.ones_like(G.data)
    W = G.maximum(G.T).tocsr()
    W.setdiag(0.0)  # duplicated points: no self-loops
    W.eliminate_zeros()
    W.sort_indices()
    return _laplacian_of(W, normalized)


def _feature_points(X):
    """Columns of X as standardized points: zero mean, unit Euclidean norm (rows)."""
    if sp.issparse(X):
        X = X.toarray()
    Z = X - X.mean(axis=0)
    norms = np.linalg.norm(Z, axis=0)
    norms[norms == 0.0] = 1.0
    return np.ascontiguousarray((Z / norms).T)


def incidence_matrix(L):
    r"""Weighted incidence matrix ``B`` of the graph of a Laplacian: ``B.T @ B = D - W``.

    One row per edge ``p < q`` of weight :math:`w_{pq} = -L_{pq} > 0`, equal to
    :math:`\sqrt{w_{pq}} (e_p - e_q)`; :math:`\|B x\|_2^2 = \sum_{p<q} w_{pq}(x_p - x_q)^2`.
    (:math:`\|Bx\|_1` is a weighted graph total variation with weights
    :math:`\sqrt{w_{pq}}`.)

    Parameters
    ----------
    L : sparse matrix or array of shape (n_nodes, n_nodes)
        A symmetric graph Laplacian (only its strictly upper triangle is read).

    Returns
    -------
    B : scipy.sparse.csr_matrix of shape (n_edges, n_nodes)

    Examples
    --------
    >>> from skreg.graph import grid_laplacian, incidence_matrix
    >>> B = incidence_matrix(grid_laplacian(3))
    >>> B.toarray()
    array([[ 1., -1.,  0.],
           [ 0.,  1., -1.]])
    >>> (B.T @ B).toarray()
    array([[ 1., -1.,  0.],
           [-1.,  2., -1.],
           [ 0., -1.,  1.]])
    """
    U = sp.triu(sp.csr_matrix(L), k=1).tocoo()
    keep = U.data < 0.0
    rows, cols, w = U.row[keep], U.col[keep], np.sqrt(-U.data[keep])
    order = np.lexsort((cols, rows))
    rows, cols, w = rows[order], cols[order], w[order]
    n_edges = rows.shape[0]
    edge = np.arange(n_edges)
    B = sp.csr_matrix(
        (np.concatenate([w, -w]), (np.concatenate([edge, edge]), np.concatenate([rows, cols]))),
        shape=(n_edges, U.shape[1]),
    )
    B.sort_indices()
    return B
