"""Tests of skreg.datasets: synthetic generators and the ISLP-backed loaders."""

import importlib.util

import numpy as np
import pytest
import scipy.sparse as sp

from skreg.datasets import (
    _loaders,
    function_approximation_error,
    hyperbolic_cross,
    load_khan,
    load_nci60,
    make_compressive_sensing,
    make_correlated_regression,
    make_function_approximation,
    make_point_clouds,
    make_sparse_regression,
    tensor_basis,
)

# ISLP is a genuine optional dependency that is only read from disk, never imported (it
# depends on torch), so its presence is checked without importing it.
requires_islp = pytest.mark.skipif(
    importlib.util.find_spec("ISLP") is None,
    reason="ISLP data files not installed (pip install --no-deps ISLP)",
)


# --------------------------------------------------------------------------------------------
# make_correlated_regression
# --------------------------------------------------------------------------------------------
def test_correlated_shapes_dtype_and_order():
    X, y, coef = make_correlated_regression(30, 70, n_informative=5, random_state=0)
    assert X.shape == (30, 70)
    assert y.shape == (30,)
    assert coef.shape == (70,)
    assert X.dtype == y.dtype == coef.dtype == np.float64
    assert X.flags.f_contiguous
    assert np.count_nonzero(coef) == 5
    assert set(np.abs(coef[coef != 0])) == {1.0}


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9, -0.6])
def test_correlated_toeplitz_correlation(rho):
    n_features = 8
    X, _, _ = make_correlated_regression(
        40_000, n_features, rho=rho, n_informative=2, random_state=1
    )
    emp = np.corrcoef(X, rowvar=False)
    lags = np.abs(np.subtract.outer(np.arange(n_features), np.arange(n_features)))
    expected = float(rho) ** lags
    # standard error of an empirical correlation is (1 - r^2) / sqrt(n) <= 0.005 here
    np.testing.assert_allclose(emp, expected, atol=0.03)
    np.testing.assert_allclose(X.var(axis=0), 1.0, atol=0.05)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=0.03)


@pytest.mark.parametrize("snr", [0.5, 3.0, 100.0])
def test_correlated_snr(snr):
    X, y, coef = make_correlated_regression(50, 40, snr=snr, random_state=2)
    signal = X @ coef
    noise = y - signal
    assert np.linalg.norm(signal) / np.linalg.norm(noise) == pytest.approx(snr, rel=1e-10)


def test_correlated_noiseless():
    X, y, coef = make_correlated_regression(20, 30, snr=np.inf, random_state=0)
    np.testing.assert_allclose(y, X @ coef)


def test_correlated_reproducible():
    a = make_correlated_regression(20, 50, rho=0.8, random_state=42)
    b = make_correlated_regression(20, 50, rho=0.8, random_state=42)
    c = make_correlated_regression(20, 50, rho=0.8, random_state=43)
    for left, right in zip(a, b):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(a[0], c[0])
    # a RandomState instance is accepted and advanced
    rng = np.random.RandomState(0)
    first = make_correlated_regression(5, 6, n_informative=2, random_state=rng)[0]
    second = make_correlated_regression(5, 6, n_informative=2, random_state=rng)[0]
    assert not np.array_equal(first, second)


def test_correlated_classification_labels():
    X, y, coef = make_correlated_regression(200, 30, classification=True, snr=5.0, random_state=0)
    assert set(np.unique(y)) == {-1.0, 1.0}
    # labels agree with the sign of the noiseless signal for most samples
    assert np.mean(y == np.sign(X @ coef)) > 0.8


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"rho": 1.0}, "rho"),
        ({"rho": -1.5}, "rho"),
        ({"n_informative": 300}, "n_informative"),
        ({"snr": 0.0}, "snr"),
        ({"snr": np.nan}, "snr"),
        ({"n_samples": 0}, "n_samples"),
        ({"n_features": 2.5}, "n_features"),
    ],
)
def test_correlated_invalid_parameters(kwargs, match):
    params = {"n_samples": 10, "n_features": 200, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_correlated_regression(**params)


# --------------------------------------------------------------------------------------------
# make_sparse_regression
# --------------------------------------------------------------------------------------------
def test_sparse_regression_format_and_density():
    X, y, coef = make_sparse_regression(400, 2000, density=0.01, n_informative=7, random_state=0)
    assert sp.issparse(X) and X.format == "csc"
    assert X.dtype == np.float64
    assert X.shape == (400, 2000) and y.shape == (400,) and coef.shape == (2000,)
    assert X.nnz == round(0.01 * 400 * 2000)
    assert X.has_sorted_indices
    assert np.count_nonzero(coef) == 7
    # the informative features are nonempty columns, so the signal is not degenerate
    support = np.flatnonzero(coef)
    assert np.all(np.diff(X.indptr)[support] > 0)


def test_sparse_regression_snr_and_reproducible():
    X, y, coef = make_sparse_regression(300, 1000, density=0.02, snr=4.0, random_state=3)
    signal = X @ coef
    assert np.linalg.norm(signal) / np.linalg.norm(y - signal) == pytest.approx(4.0, rel=1e-10)
    X2, y2, coef2 = make_sparse_regression(300, 1000, density=0.02, snr=4.0, random_state=3)
    assert (X != X2).nnz == 0
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(coef, coef2)


def test_sparse_classification():
    X, y, _ = make_sparse_regression(500, 300, density=0.05, classification=True, random_state=0)
    assert set(np.unique(y)) == {-1.0, 1.0}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"density": 0.0}, "density"),
        ({"density": 1.5}, "density"),
        ({"n_informative": 10_000}, "n_informative"),
        ({"snr": -1.0}, "snr"),
    ],
)
def test_sparse_regression_invalid_parameters(kwargs, match):
    params = {"n_samples": 50, "n_features": 100, "density": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_sparse_regression(**params)


# --------------------------------------------------------------------------------------------
# loaders
# --------------------------------------------------------------------------------------------
@requires_islp
def test_load_nci60():
    bunch = load_nci60()
    assert bunch.data.shape == (64, 6830)
    assert bunch.data.dtype == np.float64
    assert np.all(np.isfinite(bunch.data))
    assert bunch.target.shape == (64,)
    assert all(isinstance(label, str) for label in bunch.target)
    assert len(bunch.target_names) == 14
    assert "RENAL" in bunch.target_names
    assert np.sum(bunch.target == "RENAL") == 9
    assert bunch.feature_names.shape == (6830,)
    assert "ISLP" in bunch.DESCR and "licence" in bunch.DESCR
    X, y = load_nci60(return_X_y=True)
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)


@requires_islp
def test_load_khan():
    bunch = load_khan()
    assert bunch.data.shape == (83, 2308)
    assert bunch.target.shape == (83,)
    np.testing.assert_array_equal(bunch.target_names, [1, 2, 3, 4])
    assert bunch.train_mask.sum() == 63 and bunch.train_mask[:63].all()
    assert np.all(np.isfinite(bunch.data))
    assert "ISLP" in bunch.DESCR
    X_train, y_train = load_khan(subset="train", return_X_y=True)
    X_test, y_test = load_khan(subset="test", return_X_y=True)
    assert X_train.shape == (63, 2308) and X_test.shape == (20, 2308)
    np.testing.assert_array_equal(np.vstack([X_train, X_test]), bunch.data)
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), bunch.target)
    with pytest.raises(ValueError, match="subset"):
        load_khan(subset="validation")


@pytest.mark.parametrize("loader", [load_nci60, load_khan])
def test_loaders_without_islp(loader, monkeypatch):
    monkeypatch.setattr(_loaders, "_find_islp_spec", lambda: None)
    with pytest.raises(ImportError, match="pip install --no-deps ISLP"):
        loader()


# --------------------------------------------------------------------------------------------
# make_compressive_sensing
# --------------------------------------------------------------------------------------------
def test_compressive_sensing_shapes_and_design():
    X, y, coef = make_compressive_sensing(80, 3000, n_nonzero=12, random_state=0)
    assert X.shape == (80, 3000) and y.shape == (80,) and coef.shape == (3000,)
    assert X.dtype == y.dtype == coef.dtype == np.float64
    assert X.flags.f_contiguous
    # entries N(0, 1/n): unit expected squared column norm, variance n * (1/n)^2 * 2 = 2/n
    col_sq_norms = (X**2).sum(axis=0)
    assert col_sq_norms.mean() == pytest.approx(1.0, abs=4 * np.sqrt(2 / 80 / 3000))
    assert X.std() == pytest.approx(1 / np.sqrt(80), rel=0.02)
    # s-sparse, magnitudes 1 + |N(0, 1)| >= 1, both signs
    nonzero = coef[coef != 0]
    assert nonzero.size == 12
    assert np.all(np.abs(nonzero) >= 1.0)
    assert np.any(nonzero > 0) and np.any(nonzero < 0)
    # noiseless and uncorrupted by default
    np.testing.assert_array_equal(y, X @ coef)


@pytest.mark.parametrize("noise_level", [1e-3, 0.5, 20.0])
def test_compressive_sensing_noise_level_is_the_noise_norm(noise_level):
    X, y, coef = make_compressive_sensing(60, 100, noise_level=noise_level, random_state=1)
    assert np.linalg.norm(y - X @ coef) == pytest.approx(noise_level, rel=1e-12)


def test_compressive_sensing_outliers():
    n, magnitude = 120, 37.5
    X, y, coef, outliers = make_compressive_sensing(
        n, 50, n_nonzero=5, noise_level=0.3, outlier_fraction=0.15,
        outlier_magnitude=magnitude, return_outliers=True, random_state=2,
    )
    assert outliers.dtype == bool and outliers.shape == (n,)
    assert outliers.sum() == round(0.15 * n) == 18
    # the same draw without corruption differs exactly by +-magnitude on the corrupted samples
    X0, y0, coef0 = make_compressive_sensing(
        n, 50, n_nonzero=5, noise_level=0.3, random_state=2
    )
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(coef, coef0)
    assert np.linalg.norm(y0 - X0 @ coef0) == pytest.approx(0.3, rel=1e-12)
    diff = y - y0
    np.testing.assert_array_equal(diff[~outliers], 0.0)
    np.testing.assert_allclose(np.abs(diff[outliers]), magnitude, rtol=1e-12)
    assert np.any(diff[outliers] > 0) and np.any(diff[outliers] < 0)


def test_compressive_sensing_sweeps_are_nested():
    """X, coef and the noise direction depend on the seed only; corrupted sets are nested."""
    kw = dict(n_nonzero=4, return_outliers=True, random_state=5)
    X1, y1, c1, m1 = make_compressive_sensing(100, 30, noise_level=0.1, outlier_fraction=0.05,
                                              **kw)
    X2, y2, c2, m2 = make_compressive_sensing(100, 30, noise_level=2.0, outlier_fraction=0.2,
                                              **kw)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(c1, c2)
    assert m1.sum() == 5 and m2.sum() == 20
    assert np.all(m2[m1])  # the 5% are among the 20%
    clean = ~m2
    np.testing.assert_allclose((y2 - X2 @ c2)[clean], 20 * (y1 - X1 @ c1)[clean], rtol=1e-10)


def test_compressive_sensing_edge_cases():
    X, y, coef = make_compressive_sensing(10, 20, n_nonzero=0, noise_level=1.0, random_state=0)
    assert not np.any(coef)
    assert np.linalg.norm(y) == pytest.approx(1.0, rel=1e-12)
    X, y, coef, outliers = make_compressive_sensing(
        10, 20, n_nonzero=20, outlier_fraction=1.0, return_outliers=True, random_state=0
    )
    assert np.count_nonzero(coef) == 20 and outliers.all()
    # round(0.25 * 10) = 2 (Python rounds half to even), round(0.26 * 10) = 3
    for fraction, expected in [(0.25, 2), (0.26, 3), (0.04, 0)]:
        *_, outliers = make_compressive_sensing(
            10, 5, n_nonzero=1, outlier_fraction=fraction, return_outliers=True, random_state=0
        )
        assert outliers.sum() == expected


def test_compressive_sensing_reproducible():
    kw = dict(noise_level=0.2, outlier_fraction=0.1)
    a = make_compressive_sensing(30, 60, random_state=42, **kw)
    b = make_compressive_sensing(30, 60, random_state=42, **kw)
    c = make_compressive_sensing(30, 60, random_state=43, **kw)
    assert len(a) == 3
    for left, right in zip(a, b):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(a[0], c[0])
    rng = np.random.RandomState(0)
    first = make_compressive_sensing(5, 6, n_nonzero=2, random_state=rng)[0]
    second = make_compressive_sensing(5, 6, n_nonzero=2, random_state=rng)[0]
    assert not np.array_equal(first, second)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples"),
        ({"n_features": 2.5}, "n_features"),
        ({"n_nonzero": 21}, "n_nonzero"),
        ({"n_nonzero": -1}, "n_nonzero"),
        ({"noise_level": -0.1}, "noise_level"),
        ({"noise_level": np.nan}, "noise_level"),
        ({"noise_level": np.inf}, "noise_level"),
        ({"noise_level": "0.1"}, "noise_level"),
        ({"outlier_fraction": 1.5}, "outlier_fraction"),
        ({"outlier_fraction": -0.1}, "outlier_fraction"),
        ({"outlier_magnitude": -1.0}, "outlier_magnitude"),
        ({"outlier_magnitude": np.inf}, "outlier_magnitude"),
        ({"outlier_magnitude": True}, "outlier_magnitude"),
    ],
)
def test_compressive_sensing_invalid_parameters(kwargs, match):
    params = {"n_samples": 10, "n_features": 20, "n_nonzero": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_compressive_sensing(**params)


# --------------------------------------------------------------------------------------------
# Function approximation: hyperbolic_cross, tensor_basis, make_function_approximation,
# function_approximation_error
# --------------------------------------------------------------------------------------------
def _brute_force_cross(dimension, order):
    axes = np.meshgrid(*[np.arange(order)] * dimension, indexing="ij")
    grid = np.stack(axes, axis=-1).reshape(-1, dimension)
    return {tuple(row) for row in grid if np.prod(row + 1) <= order}


@pytest.mark.parametrize("order", [1, 2, 7])
def test_hyperbolic_cross_one_dimension(order):
    indices = hyperbolic_cross(1, order)
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(indices, np.arange(order)[:, None])


def test_hyperbolic_cross_known_set_and_order():
    indices = hyperbolic_cross(2, 4)
    expected = [[0, 0], [0, 1], [1, 0], [0, 2], [1, 1], [2, 0], [0, 3], [3, 0]]
    assert indices.tolist() == expected
    assert hyperbolic_cross(3, 1).tolist() == [[0, 0, 0]]
    assert hyperbolic_cross(4, 2).shape == (5, 4)


@pytest.mark.parametrize("dimension, order", [(2, 12), (3, 10), (4, 6)])
def test_hyperbolic_cross_matches_brute_force(dimension, order):
    indices = hyperbolic_cross(dimension, order)
    assert {tuple(row) for row in indices} == _brute_force_cross(dimension, order)
    assert len({tuple(row) for row in indices}) == len(indices)  # no duplicates
    # sorted by total degree, then lexicographically
    keys = [(int(row.sum()), tuple(row)) for row in indices]
    assert keys == sorted(keys)


@pytest.mark.parametrize("dimension, basis", [(5, "chebyshev"), (10, "legendre")])
def test_function_approximation_index_set_is_largest_within_budget(dimension, basis):
    ds = make_function_approximation(3, dimension=dimension, basis=basis, random_state=0)
    n_indices = ds.indices.shape[0]
    assert n_indices <= 500
    np.testing.assert_array_equal(ds.indices, hyperbolic_cross(dimension, ds.order))
    assert hyperbolic_cross(dimension, ds.order + 1).shape[0] > 500
    assert ds.data.shape == (3, n_indices)


def _gauss_rule(basis, n_nodes):
    """Nodes and probability weights exact for polynomials of degree < 2 n_nodes."""
    if basis == "chebyshev":
        nodes = np.cos((2 * np.arange(1, n_nodes + 1) - 1) * np.pi / (2 * n_nodes))
        return nodes, np.full(n_nodes, 1.0 / n_nodes)
    nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
    return nodes, weights / 2.0


@pytest.mark.parametrize("basis", ["chebyshev", "legendre"])
@pytest.mark.parametrize("dimension, order", [(1, 15), (2, 12)])
def test_tensor_basis_is_orthonormal(basis, dimension, order):
    indices = hyperbolic_cross(dimension, order)
    nodes, weights = _gauss_rule(basis, order + 1)
    grid = np.stack(np.meshgrid(*[nodes] * dimension, indexing="ij"), -1).reshape(-1, dimension)
    w = np.prod(np.stack(np.meshgrid(*[weights] * dimension, indexing="ij"), -1), -1).ravel()
    values = tensor_basis(grid, indices, basis=basis)
    assert values.flags.f_contiguous
    gram = values.T @ (w[:, None] * values)
    np.testing.assert_allclose(gram, np.eye(len(indices)), rtol=0, atol=1e-12)


@pytest.mark.parametrize("basis", ["chebyshev", "legendre"])
def test_tensor_basis_matches_numpy_polynomial(basis):
    rng = np.random.RandomState(0)
    points = rng.uniform(-1, 1, size=(50, 2))
    indices = np.array([[0, 0], [3, 0], [0, 40], [5, 7], [60, 1]])
    if basis == "chebyshev":
        evaluate = np.polynomial.chebyshev.chebval
        scale = np.where(indices > 0, np.sqrt(2.0), 1.0)
    else:
        evaluate = np.polynomial.legendre.legval
        scale = np.sqrt(2.0 * indices + 1.0)
    expected = np.ones((50, len(indices)))
    for j, nu in enumerate(indices):
        for k in range(2):
            unit = np.zeros(nu[k] + 1)
            unit[-1] = 1.0  # the series of the single polynomial of degree nu[k]
            expected[:, j] *= scale[j, k] * evaluate(points[:, k], unit)
    np.testing.assert_allclose(tensor_basis(points, indices, basis), expected, atol=1e-11)


@pytest.mark.parametrize("basis", ["chebyshev", "legendre"])
def test_function_approximation_weights_are_sup_norms(basis):
    ds = make_function_approximation(4, dimension=2, basis=basis, max_indices=25, random_state=0)
    line = np.linspace(-1.0, 1.0, 401)  # includes the corners, where the maximum is attained
    grid = np.stack(np.meshgrid(line, line, indexing="ij"), -1).reshape(-1, 2)
    sup = np.abs(tensor_basis(grid, ds.indices, basis)).max(axis=0)
    np.testing.assert_allclose(ds.weights, sup, rtol=1e-12)
    np.testing.assert_allclose(ds.weights, tensor_basis(np.ones((1, 2)), ds.indices, basis)[0])
    if basis == "chebyshev":
        np.testing.assert_allclose(ds.weights, np.sqrt(2.0) ** (ds.indices > 0).sum(axis=1))


@pytest.mark.parametrize("basis", ["chebyshev", "legendre"])
def test_function_approximation_contents(basis):
    ds = make_function_approximation(40, dimension=3, basis=basis, max_indices=30, random_state=0)
    n_indices = ds.indices.shape[0]
    assert ds.data.shape == (40, n_indices) and n_indices <= 30
    assert ds.target.shape == (40,) and ds.points.shape == (40, 3)
    assert ds.weights.shape == (n_indices,)
    assert ds.data.dtype == ds.target.dtype == np.float64
    assert ds.data.flags.f_contiguous
    assert ds.basis == basis
    assert np.all(np.abs(ds.points) <= 1.0)
    np.testing.assert_allclose(ds.data * np.sqrt(40), tensor_basis(ds.points, ds.indices, basis))
    np.testing.assert_allclose(ds.target * np.sqrt(40), ds.function(ds.points))
    expected = np.exp(-ds.points.sum(axis=1) / 6.0)
    np.testing.assert_allclose(ds.target, expected / np.sqrt(40))


def test_function_approximation_default_function():
    ds = make_function_approximation(2, dimension=5, random_state=0)
    np.testing.assert_allclose(ds.function(np.zeros((1, 5))), [1.0])
    np.testing.assert_allclose(ds.function(np.ones((1, 4))), [np.exp(-0.5)])


def test_function_approximation_reproducible():
    a = make_function_approximation(20, dimension=3, max_indices=40, random_state=7)
    b = make_function_approximation(20, dimension=3, max_indices=40, random_state=7)
    c = make_function_approximation(20, dimension=3, max_indices=40, random_state=8)
    for key in ("data", "target", "points", "indices", "weights"):
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a.points, c.points)


@pytest.mark.parametrize("basis, second_moment", [("chebyshev", 0.5), ("legendre", 1.0 / 3.0)])
def test_function_approximation_measure_and_isotropy(basis, second_moment):
    m = 20000
    ds = make_function_approximation(m, dimension=2, basis=basis, max_indices=10, random_state=0)
    # E[y^2] is 1/2 under the arcsine (Chebyshev) measure and 1/3 under the uniform one.
    assert abs(np.mean(ds.points**2) - second_moment) < 0.01
    gram = ds.data.T @ ds.data  # = (1/m) sum_i Psi(y_i) Psi(y_i)^T, expectation I
    np.testing.assert_allclose(gram, np.eye(ds.data.shape[1]), atol=0.1)


def test_function_approximation_custom_function_and_no_mutation():
    def f(y):
        out = y[:, 0] * y[:, 1]
        y[:] = 0.0  # a badly behaved function that writes into its input
        return out

    ds = make_function_approximation(30, dimension=2, max_indices=10, function=f, random_state=0)
    assert ds.function is f
    assert np.any(ds.points != 0.0)
    np.testing.assert_allclose(ds.target * np.sqrt(30), ds.points[:, 0] * ds.points[:, 1])


def test_tensor_basis_does_not_modify_inputs():
    points = np.array([[0.5, -0.25], [1.0, 0.0]])
    indices = np.array([[0, 0], [2, 1]], dtype=np.int32)
    points.flags.writeable = False
    indices.flags.writeable = False
    values = tensor_basis(points, indices)
    np.testing.assert_allclose(values[:, 0], 1.0)
    np.testing.assert_array_equal(points, [[0.5, -0.25], [1.0, 0.0]])


@pytest.mark.parametrize("basis", ["chebyshev", "legendre"])
def test_function_approximation_error_exact_and_zero(basis):
    indices = hyperbolic_cross(3, 8)
    coef = np.random.RandomState(0).standard_normal(len(indices))

    def f(y):
        return tensor_basis(y, indices, basis) @ coef

    # n_test above the internal chunk size exercises the chunked evaluation
    error = function_approximation_error(coef, indices, f, basis=basis, n_test=5000)
    assert error < 1e-10
    zero = function_approximation_error(np.zeros(len(indices)), indices, f, basis=basis)
    assert zero == 1.0
    # the same random_state gives the same test points
    perturbed = coef + 0.01
    e1 = function_approximation_error(perturbed, indices, f, basis=basis, random_state=3)
    e2 = function_approximation_error(perturbed, indices, f, basis=basis, random_state=3)
    assert e1 == e2 and 0.0 < e1 < 1.0


def test_function_approximation_error_monte_carlo_value():
    # f = psi_0 + psi_1(y_1), approximated by psi_0 alone: relative error 1/sqrt(2).
    indices = hyperbolic_cross(2, 2)

    def f(y):
        return 1.0 + np.sqrt(2.0) * y[:, 0]

    coef = np.array([1.0, 0.0, 0.0])
    error = function_approximation_error(coef, indices, f, basis="chebyshev", n_test=20000)
    assert abs(error - np.sqrt(0.5)) < 0.02


@pytest.mark.parametrize(
    "args, exc, match",
    [
        ((0, 3), ValueError, "dimension"),
        ((2, 0), ValueError, "order"),
        ((2.0, 3), TypeError, "dimension"),
        ((2, True), TypeError, "order"),
        (("2", 3), TypeError, "dimension"),
    ],
)
def test_hyperbolic_cross_invalid(args, exc, match):
    with pytest.raises(exc, match=match):
        hyperbolic_cross(*args)


@pytest.mark.parametrize(
    "points, indices, basis, exc, match",
    [
        ([[0.0, np.nan]], [[0, 1]], "chebyshev", ValueError, "finite"),
        ([[0.0, np.inf]], [[0, 1]], "chebyshev", ValueError, "finite"),
        ([[0.0, 1.5]], [[0, 1]], "chebyshev", ValueError, r"\[-1, 1\]"),
        ([[0.0, 0.5]], [[0, 1, 0]], "chebyshev", ValueError, "dimension"),
        ([0.0, 0.5], [[0, 1]], "chebyshev", ValueError, "2-D"),
        ([[0.0, 0.5j]], [[0, 1]], "chebyshev", TypeError, "complex"),
        ([["a", "b"]], [[0, 1]], "chebyshev", TypeError, "numeric"),
        ([[0.0, 0.5]], [[0.0, 1.0]], "chebyshev", TypeError, "integers"),
        ([[0.0, 0.5]], [[0, -1]], "chebyshev", ValueError, "nonnegative"),
        ([[0.0, 0.5]], [0, 1], "chebyshev", ValueError, "2-D"),
        ([[0.0, 0.5]], [[0, 1]], "hermite", ValueError, "basis"),
    ],
)
def test_tensor_basis_invalid(points, indices, basis, exc, match):
    with pytest.raises(exc, match=match):
        tensor_basis(points, indices, basis=basis)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n_samples": 0}, ValueError, "n_samples"),
        ({"n_samples": 2.5}, TypeError, "n_samples"),
        ({"dimension": 0}, ValueError, "dimension"),
        ({"dimension": "5"}, TypeError, "dimension"),
        ({"basis": "Chebyshev"}, ValueError, "basis"),
        ({"max_indices": 0}, ValueError, "max_indices"),
        ({"function": 3.0}, TypeError, "callable"),
        ({"function": lambda y: y}, ValueError, "shape"),
        ({"function": lambda y: np.full(len(y), np.nan)}, ValueError, "non-finite"),
        ({"function": lambda y: np.full(len(y), "a")}, TypeError, "real"),
    ],
)
def test_function_approximation_invalid(kwargs, exc, match):
    params = {"n_samples": 5, "dimension": 2, "max_indices": 10, **kwargs}
    with pytest.raises(exc, match=match):
        make_function_approximation(**params)


def test_function_approximation_error_invalid():
    indices = hyperbolic_cross(2, 3)

    def f(y):
        return np.exp(y[:, 0])

    coef = np.zeros(len(indices))
    with pytest.raises(ValueError, match="coef"):
        function_approximation_error(np.zeros(3), indices, f, basis="legendre")
    with pytest.raises(ValueError, match="coef"):
        function_approximation_error(np.full(len(indices), np.nan), indices, f, basis="legendre")
    with pytest.raises(ValueError, match="n_test"):
        function_approximation_error(coef, indices, f, basis="legendre", n_test=0)
    with pytest.raises(ValueError, match="basis"):
        function_approximation_error(coef, indices, f, basis="fourier")
    with pytest.raises(TypeError, match="callable"):
        function_approximation_error(coef, indices, None, basis="legendre")
    with pytest.raises(ValueError, match="undefined"):
        function_approximation_error(coef, indices, lambda y: np.zeros(len(y)), basis="legendre")


# --------------------------------------------------------------------------------------------
# make_point_clouds
# --------------------------------------------------------------------------------------------
def test_point_clouds_shapes_moments_and_reproducibility():
    X, Y = make_point_clouds(4000, 3000, n_features=3, random_state=0)
    assert X.shape == (4000, 3) and Y.shape == (3000, 3)
    assert X.dtype == Y.dtype == np.float64
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=0.06)
    np.testing.assert_allclose(X.std(axis=0), 1.0, atol=0.05)
    np.testing.assert_allclose(Y.mean(axis=0), 1.0, atol=0.06)
    np.testing.assert_allclose(Y.std(axis=0), 0.8, atol=0.05)
    X2, Y2 = make_point_clouds(4000, 3000, n_features=3, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Y, Y2)
    X3, Y3 = make_point_clouds(50, random_state=1)
    assert X3.shape == Y3.shape == (50, 2)
    assert not np.array_equal(X3, X[:50, :2])


def test_point_clouds_scale_shift_and_generator():
    # a numpy Generator is used as given: source first, then target, as the benchmarks draw
    X, Y = make_point_clouds(30, 20, 4, scale=2.0, shift=-3.0,
                             random_state=np.random.default_rng(5))
    rng = np.random.default_rng(5)
    np.testing.assert_array_equal(X, rng.standard_normal((30, 4)))
    np.testing.assert_array_equal(Y, 2.0 * rng.standard_normal((20, 4)) - 3.0)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_source": 0}, "n_source must be an integer >= 1"),
    ({"n_source": 2.5}, "n_source must be an integer >= 1"),
    ({"n_target": 0}, "n_target must be an integer >= 1 or None"),
    ({"n_features": True}, "n_features must be an integer >= 1"),
    ({"scale": 0.0}, "scale must be a finite number > 0"),
    ({"scale": np.nan}, "scale must be a finite number > 0"),
    ({"shift": np.inf}, "shift must be a finite number"),
    ({"shift": "1"}, "shift must be a finite number"),
])
def test_point_clouds_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_point_clouds(**kwargs)
