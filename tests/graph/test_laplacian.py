"""Graph Laplacians: grid, data-dependent (graphLa), kNN and incidence matrices against brute-force
dense constructions, their invariants and their input checks."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import laplacian as csgraph_laplacian
from scipy.spatial.distance import cdist
from sklearn.neighbors import kneighbors_graph

from skreg.graph import data_laplacian, grid_laplacian, incidence_matrix, knn_laplacian


def _coords(shape):
    dims = (1, shape[0]) if len(shape) == 1 else shape
    return np.array(list(itertools.product(range(dims[0]), range(dims[1]))))


def _window_mask(shape, radius):
    """Dense boolean adjacency: 0 < max_k |p_k - q_k| <= radius, nodes in C order."""
    c = _coords(shape)
    cheb = np.abs(c[:, None, :] - c[None, :, :]).max(axis=2)
    return (cheb > 0) & (cheb <= radius)


def _dense_laplacian(W):
    return np.diag(W.sum(axis=1)) - W


def _brute_data_weights(x, shape, radius, sigma):
    v = np.asarray(x, dtype=float).ravel()
    W = np.where(_window_mask(shape, radius), np.exp(-((v[:, None] - v[None, :]) ** 2) / sigma),
                 0.0)
    norm = np.linalg.norm(W)
    return W / norm if norm > 0 else W


def _check_laplacian_invariants(L, unnormalized=True):
    assert sp.isspmatrix_csr(L)
    assert L.has_sorted_indices
    A = L.toarray()
    np.testing.assert_allclose(A, A.T, atol=1e-15)
    assert np.linalg.eigvalsh(A).min() >= -1e-12
    if unnormalized:
        np.testing.assert_allclose(A @ np.ones(A.shape[0]), 0.0, atol=1e-12)


# --------------------------------------------------------------------------------------------
# grid_laplacian


@pytest.mark.parametrize("shape", [(1,), (2,), (7,), (1, 5), (5, 1), (4, 4), (3, 6)])
@pytest.mark.parametrize("radius", [1, 2, 3])
def test_grid_laplacian_matches_brute_force(shape, radius):
    L = grid_laplacian(shape, radius)
    expected = _dense_laplacian(_window_mask(shape, radius).astype(float))
    n = int(np.prod(shape))
    assert L.shape == (n, n)
    np.testing.assert_array_equal(L.toarray(), expected)
    _check_laplacian_invariants(L)


def test_grid_laplacian_int_shape_is_a_chain():
    np.testing.assert_array_equal(grid_laplacian(6, 2).toarray(),
                                  grid_laplacian((6,), 2).toarray())
    # default radius 1 on a 2-D grid: the 8 neighbours of an interior pixel
    assert grid_laplacian((3, 3)).diagonal()[4] == 8.0


@pytest.mark.parametrize("shape, radius", [((6,), 1), ((4, 5), 1), ((4, 5), 2), ((1,), 1)])
def test_grid_laplacian_normalized_matches_csgraph(shape, radius):
    W = _window_mask(shape, radius).astype(float)
    L = grid_laplacian(shape, radius, normalized=True)
    np.testing.assert_allclose(L.toarray(), csgraph_laplacian(W, normed=True), atol=1e-14)
    _check_laplacian_invariants(L, unnormalized=False)


# --------------------------------------------------------------------------------------------
# data_laplacian


@pytest.mark.parametrize("shape", [(9,), (4, 5), (6, 3)])
@pytest.mark.parametrize("radius", [1, 2, 4])
@pytest.mark.parametrize("sigma", [1e-3, 0.05, 1.0])
def test_data_laplacian_matches_brute_force(shape, radius, sigma):
    rng = np.random.default_rng(radius)
    x = rng.random(shape)
    L = data_laplacian(x, radius=radius, sigma=sigma)
    W = _brute_data_weights(x, shape, radius, sigma)
    np.testing.assert_allclose(L.toarray(), _dense_laplacian(W), rtol=1e-12, atol=1e-15)
    _check_laplacian_invariants(L)


def test_data_laplacian_flat_input_with_shape():
    rng = np.random.default_rng(0)
    x = rng.random((4, 6))
    L2 = data_laplacian(x, radius=2, sigma=0.1)
    L1 = data_laplacian(x.ravel(), shape=(4, 6), radius=2, sigma=0.1)
    np.testing.assert_array_equal(L1.toarray(), L2.toarray())
    # a chain is a different graph than the 2-D window
    assert abs(data_laplacian(x.ravel(), radius=2, sigma=0.1) - L2).max() > 1e-3


def test_data_laplacian_constant_image_is_scaled_grid():
    """Equal values: every weight is 1 before scaling, so L is the grid Laplacian / ||W||_F."""
    shape, radius = (5, 4), 2
    L = data_laplacian(np.full(shape, 0.3), radius=radius, sigma=1e-3)
    G = grid_laplacian(shape, radius)
    n_edges_twice = -(G - sp.diags(G.diagonal())).sum()
    np.testing.assert_allclose(L.toarray(), G.toarray() / np.sqrt(n_edges_twice), rtol=1e-13)


def test_data_laplacian_cuts_edges():
    x = np.r_[np.zeros(5), np.ones(5)]
    L = data_laplacian(x, radius=1, sigma=1e-3).toarray()
    assert L[4, 5] == 0.0  # exp(-1000) underflows: no edge across the jump
    assert L[3, 4] < 0.0 and L[5, 6] < 0.0


@pytest.mark.parametrize("shape, radius", [((7,), 2), ((4, 4), 1)])
def test_data_laplacian_normalized_matches_csgraph(shape, radius):
    x = np.random.default_rng(3).random(shape)
    W = _brute_data_weights(x, shape, radius, 0.05)
    L = data_laplacian(x, radius=radius, sigma=0.05, normalized=True)
    np.testing.assert_allclose(L.toarray(), csgraph_laplacian(W, normed=True), atol=1e-13)
    _check_laplacian_invariants(L, unnormalized=False)


def test_normalized_laplacian_isolated_nodes_zero_rows():
    # nodes 2 and 3 are isolated: their weights exp(-100^2) underflow to 0
    x = np.array([0.0, 0.0, 100.0, 200.0])
    L = data_laplacian(x, radius=1, sigma=1.0, normalized=True).toarray()
    W = _brute_data_weights(x, (4,), 1, 1.0)
    np.testing.assert_allclose(L, csgraph_laplacian(W, normed=True), atol=1e-14)
    np.testing.assert_array_equal(L[2:], 0.0)
    np.testing.assert_array_equal(L[:, 2:], 0.0)
    np.testing.assert_allclose(L[:2, :2], [[1.0, -1.0], [-1.0, 1.0]])
    # unnormalized: isolated nodes have a zero row too, and the components are still PSD
    Lu = data_laplacian(x, radius=1, sigma=1.0)
    np.testing.assert_array_equal(Lu.toarray()[2:], 0.0)
    _check_laplacian_invariants(Lu)


# --------------------------------------------------------------------------------------------
# knn_laplacian


def _brute_knn_weights(P, k, heat=False, bandwidth=None):
    D = cdist(P, P)
    np.fill_diagonal(D, np.inf)
    W = np.zeros_like(D)
    chosen = []
    for i in range(P.shape[0]):
        nbrs = np.argsort(D[i])[:k]
        chosen.append(D[i, nbrs])
        W[i, nbrs] = 1.0 if not heat else D[i, nbrs]
    if heat:
        h = np.mean(np.concatenate(chosen)) if bandwidth is None else bandwidth
        W = np.where(W > 0, np.exp(-(W**2) / (2 * h * h)), 0.0)
    return np.maximum(W, W.T)


@pytest.mark.parametrize("k", [1, 3, 6])
@pytest.mark.parametrize("heat", [False, True])
def test_knn_laplacian_samples_matches_brute_force(k, heat):
    X = np.random.default_rng(k).standard_normal((25, 3))
    weights = "heat" if heat else "connectivity"
    L = knn_laplacian(X, n_neighbors=k, weights=weights)
    np.testing.assert_allclose(L.toarray(), _dense_laplacian(_brute_knn_weights(X, k, heat)),
                               rtol=1e-12, atol=1e-14)
    _check_laplacian_invariants(L)


def test_knn_laplacian_matches_sklearn_kneighbors_graph():
    X = np.random.default_rng(0).standard_normal((30, 4))
    G = kneighbors_graph(X, 5, mode="connectivity", include_self=False)
    W = G.maximum(G.T).toarray()
    np.testing.assert_allclose(knn_laplacian(X, 5).toarray(), _dense_laplacian(W))


def test_knn_laplacian_heat_bandwidth_and_normalized():
    X = np.random.default_rng(1).standard_normal((20, 2))
    W = _brute_knn_weights(X, 4, heat=True, bandwidth=0.7)
    L = knn_laplacian(X, 4, weights="heat", bandwidth=0.7)
    np.testing.assert_allclose(L.toarray(), _dense_laplacian(W), rtol=1e-12, atol=1e-14)
    Ln = knn_laplacian(X, 4, weights="heat", bandwidth=0.7, normalized=True)
    np.testing.assert_allclose(Ln.toarray(), csgraph_laplacian(W, normed=True), atol=1e-13)
    _check_laplacian_invariants(Ln, unnormalized=False)


def test_knn_laplacian_sparse_equals_dense():
    X = np.random.default_rng(4).standard_normal((30, 6))
    X[np.abs(X) < 0.6] = 0.0  # about half the entries: no ties between distances
    X = sp.csr_matrix(X)
    for on in ("samples", "features"):
        np.testing.assert_allclose(knn_laplacian(X, 3, on=on).toarray(),
                                   knn_laplacian(X.toarray(), 3, on=on).toarray())


def test_knn_laplacian_on_features():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    X[:, 4] = 3.0 * X[:, 1] + 7.0  # perfectly correlated with feature 1
    X[:, 5] = -X[:, 0]  # anti-correlated: far away (squared distance 4)
    L = knn_laplacian(X, n_neighbors=1, on="features")
    assert L.shape == (6, 6)
    A = L.toarray()
    assert A[1, 4] == -1.0 and A[4, 1] == -1.0
    assert A[0, 5] == 0.0
    # points = standardized columns
    Z = X - X.mean(axis=0)
    P = (Z / np.linalg.norm(Z, axis=0)).T
    np.testing.assert_allclose(
        knn_laplacian(X, n_neighbors=2, on="features").toarray(),
        _dense_laplacian(_brute_knn_weights(P, 2)),
    )
    _check_laplacian_invariants(L)


def test_knn_laplacian_neighbors_capped_and_one_sample():
    X = np.random.default_rng(0).standard_normal((5, 2))
    complete = np.full((5, 5), -1.0) + 5.0 * np.eye(5)
    np.testing.assert_array_equal(knn_laplacian(X, n_neighbors=100).toarray(), complete)
    np.testing.assert_array_equal(knn_laplacian(X, n_neighbors=4).toarray(), complete)
    L1 = knn_laplacian(X[:1])
    assert L1.shape == (1, 1) and L1.toarray()[0, 0] == 0.0
    L1 = knn_laplacian(X[:, :1], on="features")
    assert L1.shape == (1, 1) and L1.toarray()[0, 0] == 0.0


def test_knn_laplacian_duplicate_points_no_self_loops():
    X = np.array([[0.0], [0.0], [0.0], [5.0], [5.1]])
    for weights in ("connectivity", "heat"):
        L = knn_laplacian(X, 2, weights=weights)
        _check_laplacian_invariants(L)
        A = L.toarray()
        np.testing.assert_allclose(np.diag(A), -(A - np.diag(np.diag(A))).sum(axis=1))


# --------------------------------------------------------------------------------------------
# incidence_matrix


@pytest.mark.parametrize(
    "make_L",
    [
        lambda: grid_laplacian(8),
        lambda: grid_laplacian((4, 5), 2),
        lambda: data_laplacian(np.random.default_rng(0).random((5, 4)), radius=2, sigma=0.05),
        lambda: data_laplacian(np.r_[np.zeros(4), np.ones(4)], radius=1),
        lambda: knn_laplacian(np.random.default_rng(1).standard_normal((15, 2)), 3,
                              weights="heat"),
    ],
)
def test_incidence_matrix_reproduces_laplacian(make_L):
    L = make_L()
    B = incidence_matrix(L)
    assert sp.isspmatrix_csr(B) and B.shape[1] == L.shape[0]
    np.testing.assert_allclose((B.T @ B).toarray(), L.toarray(), rtol=1e-12, atol=1e-15)
    # one row per edge p < q: +sqrt(w) at p, -sqrt(w) at q
    assert np.all(np.diff(B.indptr) == 2)
    Bd = B.toarray()
    first = np.argmax(Bd != 0, axis=1)
    assert np.all(Bd[np.arange(B.shape[0]), first] > 0)
    # the same from a dense array
    np.testing.assert_allclose(incidence_matrix(L.toarray()).toarray(), Bd)


def test_incidence_matrix_total_variation():
    x = np.array([0.0, 0.0, 1.0, 3.0])
    B = incidence_matrix(grid_laplacian(4))
    assert np.abs(B @ x).sum() == 3.0


# --------------------------------------------------------------------------------------------
# Inputs are never modified; validation


def test_inputs_not_modified_and_read_only():
    rng = np.random.default_rng(0)
    x = rng.random((4, 5))
    x.setflags(write=False)
    x_copy = x.copy()
    data_laplacian(x, radius=2, sigma=0.1)
    np.testing.assert_array_equal(x, x_copy)
    X = rng.standard_normal((12, 3))
    X.setflags(write=False)
    X_copy = X.copy()
    knn_laplacian(X, 3, on="features", weights="heat")
    knn_laplacian(X, 3)
    np.testing.assert_array_equal(X, X_copy)
    L = grid_laplacian((3, 3))
    L_copy = L.copy()
    incidence_matrix(L)
    assert (L != L_copy).nnz == 0 and L.has_sorted_indices


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: grid_laplacian((0,)), ValueError, "shape"),
        (lambda: grid_laplacian((2, 3, 4)), ValueError, "shape"),
        (lambda: grid_laplacian(-3), ValueError, "shape"),
        (lambda: grid_laplacian((2.5, 3)), ValueError, "shape"),
        (lambda: grid_laplacian(2.5), TypeError, "shape"),
        (lambda: grid_laplacian(True), TypeError, "shape"),
        (lambda: grid_laplacian(5, 0), ValueError, "radius"),
        (lambda: grid_laplacian(5, 1.5), ValueError, "radius"),
        (lambda: grid_laplacian(5, True), ValueError, "radius"),
        (lambda: grid_laplacian(5, normalized="yes"), TypeError, "normalized"),
        (lambda: data_laplacian(np.ones(4), radius=0), ValueError, "radius"),
        (lambda: data_laplacian(np.ones(4), sigma=0.0), ValueError, "sigma"),
        (lambda: data_laplacian(np.ones(4), sigma=-1.0), ValueError, "sigma"),
        (lambda: data_laplacian(np.ones(4), sigma=np.nan), ValueError, "sigma"),
        (lambda: data_laplacian(np.ones(4), sigma=np.inf), ValueError, "sigma"),
        (lambda: data_laplacian(np.ones(4), sigma="1"), ValueError, "sigma"),
        (lambda: data_laplacian(np.r_[1.0, np.nan, 0.0]), ValueError, "x_prelim"),
        (lambda: data_laplacian(np.r_[1.0, np.inf, 0.0]), ValueError, "x_prelim"),
        (lambda: data_laplacian(np.ones(6), shape=(2, 4)), ValueError, "x_prelim"),
        (lambda: data_laplacian(np.ones((2, 2, 2))), ValueError, "x_prelim"),
        (lambda: data_laplacian(np.ones(4) + 1j), TypeError, "x_prelim"),
        (lambda: data_laplacian(np.array(["a", "b"])), TypeError, "x_prelim"),
        (lambda: data_laplacian(np.ones(4), normalized=1), TypeError, "normalized"),
        (lambda: knn_laplacian(np.ones((5, 2)), on="rows"), ValueError, "on"),
        (lambda: knn_laplacian(np.ones((5, 2)), weights="gauss"), ValueError, "weights"),
        (lambda: knn_laplacian(np.ones((5, 2)), n_neighbors=0), ValueError, "n_neighbors"),
        (lambda: knn_laplacian(np.ones((5, 2)), n_neighbors=2.0), ValueError, "n_neighbors"),
        (lambda: knn_laplacian(np.ones((5, 2)), weights="heat", bandwidth=0.0), ValueError,
         "bandwidth"),
        (lambda: knn_laplacian(np.ones((5, 2)), weights="heat", bandwidth=np.inf), ValueError,
         "bandwidth"),
        (lambda: knn_laplacian(np.ones((5, 2)) + 1j), ValueError, "Complex"),
        (lambda: knn_laplacian(np.r_[[[np.nan, 1.0]], np.ones((4, 2))]), ValueError, "NaN"),
        (lambda: knn_laplacian(sp.lil_matrix(np.ones((5, 2)))), TypeError, "lil"),
        (lambda: knn_laplacian(np.ones((5, 2)), normalized=None), TypeError, "normalized"),
    ],
)
def test_validation_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
