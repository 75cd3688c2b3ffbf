"""Tests of skreg.datasets: synthetic generators and the ISLP-backed loaders."""

import importlib.util

import numpy as np
import pytest
import scipy.sparse as sp

from skreg.datasets import (
    _loaders,
    load_khan,
    load_nci60,
    make_compressive_sensing,
    make_correlated_regression,
    make_sparse_regression,
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
