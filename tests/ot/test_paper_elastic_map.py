"""Reduced version of examples/plot_ot_elastic_map.py (Cuturi, Klein and Ablin, ICML 2023): with
the elastic cost the entropic map's displacements are sparse across features and recover the
features that the true map moves; with the squared Euclidean cost every feature moves."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from skreg.ot import EntropicOTMapper, elastic_cost, entropic_map, sinkhorn

N_FEATURES, N_SAMPLES = 6, 120
SHIFT = np.array([3.0, -3.0, 0.0, 0.0, 0.0, 0.0])  # the true map moves 2 of 6 features
MOVING = SHIFT != 0


@pytest.fixture(autouse=True)
def _serial_kernels():
    with threadpool_limits(limits=1, user_api="numba"):
        yield


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N_SAMPLES, N_FEATURES))
    Y = rng.standard_normal((N_SAMPLES, N_FEATURES)) + SHIFT  # an independent target sample
    Z = rng.standard_normal((100, N_FEATURES))  # new source points
    return X, Y, Z


def _elastic_displacements(X, Y, Z, lam, eps_fraction=0.1):
    C = elastic_cost(X, Y, lam)
    eps = eps_fraction * np.median(C)
    res = sinkhorn(None, None, C, eps, tol=1e-6, max_iter=100_000)
    assert res.converged
    return entropic_map(Z, Y, res.g, eps, cost="elastic", l1=lam) - Z


def test_elastic_map_recovers_the_moving_features():
    X, Y, Z = _data()
    D = _elastic_displacements(X, Y, Z, lam=6.0)
    # measured: 93.8% exact zeros on the 4 still features (the others are points in the
    # tails, drawn towards the target sample), mean displacements 2.75 and -2.74, 2.5% of
    # the displacements of the moving features exactly 0
    assert np.mean(D[:, ~MOVING] == 0.0) >= 0.9
    np.testing.assert_allclose(D[:, MOVING].mean(axis=0), SHIFT[MOVING], rtol=0.25)
    assert np.mean(D[:, MOVING] == 0.0) <= 0.05
    # without the l1 part (and with the squared Euclidean cost) no displacement is exactly 0
    D0 = _elastic_displacements(X, Y, Z, lam=0.0)
    assert np.all(D0 != 0.0)
    C = ((X[:, None] - Y[None]) ** 2).sum(-1)
    eps = 0.1 * np.median(C)
    res = sinkhorn(None, None, C, eps, tol=1e-6, max_iter=100_000)
    D_sq = entropic_map(Z, Y, res.g, eps) - Z
    assert np.all(D_sq != 0.0)
    np.testing.assert_allclose(D_sq, D0, atol=1e-6)  # h = ||z||^2 / 2: the same map


def test_entropic_ot_mapper_elastic_is_feature_sparse():
    X, Y, Z = _data(1)
    D = EntropicOTMapper(epsilon=0.1, cost="elastic", elastic_l1=6.0).fit(
        X, X_target=Y).transform(Z) - Z
    assert np.mean(D[:, ~MOVING] == 0.0) >= 0.9  # measured: 0.95
    np.testing.assert_allclose(D[:, MOVING].mean(axis=0), SHIFT[MOVING], rtol=0.25)  # 2.93, -3.14
    D0 = EntropicOTMapper(epsilon=0.1).fit(X, X_target=Y).transform(Z) - Z
    assert np.all(D0 != 0.0)
