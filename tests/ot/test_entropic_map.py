"""skreg.ot.entropic_map and elastic_cost."""

import numpy as np
import pytest

from skreg.ot import elastic_cost, entropic_map, sinkhorn, sinkhorn_newton_sparse


def _clouds(n=80, m=60, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = 0.8 * rng.standard_normal((m, d)) + 1.0
    return X, Y


@pytest.mark.parametrize("factor", [0.5, 0.05])
def test_equals_the_barycentric_projection_on_the_sources(factor):
    X, Y = _clouds()
    rng = np.random.default_rng(1)
    a = rng.uniform(0.5, 1.5, len(X))
    a /= a.sum()
    C = ((X[:, None] - Y[None]) ** 2).sum(-1)
    eps = factor * np.median(C)
    res = sinkhorn(a, None, C, eps, tol=1e-12)
    TX = entropic_map(X, Y, res.g, eps)
    np.testing.assert_allclose(TX, res.plan @ Y / a[:, None], atol=1e-9)


def test_elastic_with_zero_l1_is_the_half_squared_cost_map():
    X, Y = _clouds()
    C = elastic_cost(X, Y, 0.0)
    np.testing.assert_allclose(C, 0.5 * ((X[:, None] - Y[None]) ** 2).sum(-1), rtol=1e-14)
    eps = 0.05 * np.median(C)
    res = sinkhorn(None, None, C, eps, tol=1e-12)
    Z = np.random.default_rng(2).standard_normal((7, 3))
    T_el = entropic_map(Z, Y, res.g, eps, cost="elastic", l1=0.0)
    # same plan as the squared cost at twice epsilon: same weights, barycentric map
    res2 = sinkhorn(None, None, 2 * C, 2 * eps, tol=1e-12)
    np.testing.assert_allclose(T_el, entropic_map(Z, Y, res2.g, 2 * eps), atol=1e-8)


def _numpy_elastic_map(Z, Y, g, eps, l1):
    out = np.empty_like(Z)
    for i, z in enumerate(Z):
        U = z - Y
        h = 0.5 * (U**2).sum(1) + l1 * np.abs(U).sum(1)
        logits = (g - h) / eps
        p = np.exp(logits - logits.max())
        p /= p.sum()
        w = p @ (U + l1 * np.sign(U))
        out[i] = z - np.sign(w) * np.maximum(np.abs(w) - l1, 0.0)
    return out


def test_elastic_map_formula_and_feature_sparse_displacements():
    # the target is the source moved along feature 0 only; where the weights p(z) are
    # spread (moderate epsilon), the soft-threshold zeroes the other features' displacement
    rng = np.random.default_rng(3)
    X = rng.standard_normal((150, 5))
    Y = X[rng.permutation(150)] + np.array([2.0, 0, 0, 0, 0])
    Z = X[:20]
    l1 = 2.0
    C = elastic_cost(X, Y, l1)
    eps = 0.2 * np.median(C)
    res = sinkhorn(None, None, C, eps, tol=1e-9)
    assert res.converged
    TZ = entropic_map(Z, Y, res.g, eps, cost="elastic", l1=l1)
    np.testing.assert_allclose(TZ, _numpy_elastic_map(Z, Y, res.g, eps, l1), atol=1e-12)
    disp = Z - TZ
    assert np.mean(disp[:, 1:] == 0.0) >= 0.9  # 95% measured
    assert np.all(disp[:, 0] != 0.0)
    assert abs(np.mean(np.abs(disp[:, 0])) - 2.0) < 0.2
    # without the l1 part every feature moves
    C0 = elastic_cost(X, Y, 0.0)
    res0 = sinkhorn(None, None, C0, 0.2 * np.median(C0), tol=1e-9)
    disp0 = Z - entropic_map(Z, Y, res0.g, 0.2 * np.median(C0), cost="elastic")
    assert np.all(disp0[:, 1:] != 0.0)


def test_translation_is_recovered_out_of_sample():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((300, 2))
    Y = X + np.array([3.0, -1.0])
    # a near-permutation plan: Sinkhorn needs over 1e5 iterations for tol=1e-9, SNS ~12 steps
    res = sinkhorn_newton_sparse(None, None, (X, Y), 0.005, tol=1e-9)
    assert res.converged
    Z = 0.5 * rng.standard_normal((10, 2))
    np.testing.assert_allclose(entropic_map(Z, Y, res.g, 0.005), Z + [3.0, -1.0], atol=0.15)


def test_errors():
    X, Y = _clouds()
    g = np.zeros(len(Y))
    with pytest.raises(ValueError, match="cost"):
        entropic_map(X, Y, g, 0.1, cost="euclidean")
    with pytest.raises(ValueError, match="columns"):
        entropic_map(X[:, :2], Y, g, 0.1)
    with pytest.raises(ValueError, match="g must be"):
        entropic_map(X, Y, g[:-1], 0.1)
    with pytest.raises(ValueError, match="epsilon"):
        entropic_map(X, Y, g, 0.0)
    with pytest.raises(ValueError, match="elastic"):
        entropic_map(X, Y, g, 0.1, l1=0.5)
    with pytest.raises(ValueError, match="l1"):
        elastic_cost(X, Y, -1.0)
    with pytest.raises(ValueError, match="NaN"):
        entropic_map(np.full((2, 3), np.nan), Y, g, 0.1)
