"""skreg.ot.EntropicOTMapper: the entropic map as a scikit-learn transformer."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

from skreg.ot import EntropicOTMapper, entropic_map, sinkhorn


def _data(n=120, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.exponential(size=(n, d))
    Y = 0.5 * rng.standard_normal((90, d)) + 2.0
    return X, Y


def test_training_samples_go_to_their_barycentric_projection():
    X, Y = _data()
    rng = np.random.default_rng(1)
    sw, tw = rng.uniform(0.5, 1.5, len(X)), rng.uniform(0.5, 1.5, len(Y))
    m = EntropicOTMapper(0.05, tol=1e-11).fit(X, X_target=Y, sample_weight=sw,
                                              target_weight=tw)
    a, b = sw / sw.sum(), tw / tw.sum()
    res = sinkhorn(a, b, (X, Y), m.epsilon_, tol=1e-11)
    np.testing.assert_allclose(m.transform(X), res.plan @ Y / a[:, None], atol=1e-8)
    C = ((X[:, None] - Y[None]) ** 2).sum(-1)
    assert m.epsilon_ == pytest.approx(0.05 * a @ C @ b, rel=1e-12)


def test_quantile_transform_onto_the_reference():
    X, _ = _data(n=400)
    Z = EntropicOTMapper(0.01, random_state=0).fit_transform(X)
    np.testing.assert_allclose(Z.mean(0), 0.0, atol=0.1)
    np.testing.assert_allclose(Z.std(0), 1.0, atol=0.1)
    U = EntropicOTMapper(0.01, reference="uniform", random_state=0).fit_transform(X)
    assert U.min() > -0.05 and U.max() < 1.05
    # monotone in each coordinate for a 1-D problem: OT in 1-D is the quantile map
    x = np.random.default_rng(2).exponential(size=(200, 1))
    z = EntropicOTMapper(0.005, random_state=0).fit_transform(x).ravel()
    order = np.argsort(x.ravel())
    assert np.all(np.diff(z[order]) >= -1e-9)


def test_inverse_transform_round_trip_at_small_epsilon():
    X, Y = _data()
    m = EntropicOTMapper(0.002, tol=1e-8).fit(X, X_target=Y)
    back = m.inverse_transform(m.transform(X))
    assert np.mean(np.linalg.norm(back - X, axis=1)) < 0.1 * np.mean(np.linalg.norm(X, axis=1))


def test_sns_equals_log_and_elastic_cost():
    X, Y = _data()
    m1 = EntropicOTMapper(0.02, tol=1e-10).fit(X, X_target=Y)
    m2 = EntropicOTMapper(0.02, method="sns", tol=1e-10).fit(X, X_target=Y)
    np.testing.assert_allclose(m2.transform(X), m1.transform(X), atol=1e-7)
    el = EntropicOTMapper(0.05, cost="elastic", elastic_l1=0.5, tol=1e-9).fit(X, X_target=Y)
    np.testing.assert_allclose(
        el.transform(X[:5]),
        entropic_map(X[:5], el.target_, el.g_, el.epsilon_, cost="elastic", l1=0.5))


def test_parameters_untouched_pipeline_and_zero_weights():
    X, Y = _data()
    m = EntropicOTMapper(0.05, random_state=0)
    params = m.get_params()
    m.fit(X)
    assert m.get_params() == params
    y = X.sum(1)
    pipe = make_pipeline(EntropicOTMapper(0.05, random_state=0), LinearRegression()).fit(X, y)
    assert pipe.predict(X).shape == (len(X),)
    # zero-weight samples carry no mass: same map as without them
    sw = np.ones(len(X))
    sw[:10] = 0.0
    m0 = EntropicOTMapper(0.05, tol=1e-11).fit(X, X_target=Y, sample_weight=sw)
    m1 = EntropicOTMapper(0.05, tol=1e-11).fit(X[10:], X_target=Y)
    np.testing.assert_allclose(m0.transform(X), m1.transform(X), atol=1e-8)
    np.testing.assert_allclose(m0.inverse_transform(Y), m1.inverse_transform(Y), atol=1e-8)


def test_errors_and_convergence_warning():
    X, Y = _data()
    with pytest.raises(ValueError, match="features"):
        EntropicOTMapper().fit(X, X_target=Y[:, :1])
    with pytest.raises(ValueError, match="target_weight needs X_target"):
        EntropicOTMapper().fit(X, target_weight=np.ones(5))
    with pytest.raises(ValueError, match="elastic_l1"):
        EntropicOTMapper(elastic_l1=0.5).fit(X)
    with pytest.raises(ValueError, match="method"):
        EntropicOTMapper(method="kernel").fit(X)
    with pytest.raises(ValueError, match="epsilon"):
        EntropicOTMapper(epsilon=0.0).fit(X)
    m = EntropicOTMapper().fit(X)
    with pytest.raises(ValueError, match="features"):
        m.inverse_transform(X[:, :1])
    with pytest.warns(ConvergenceWarning, match="did not reach"):
        EntropicOTMapper(1e-4, max_iter=5, tol=1e-12).fit(X, X_target=Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clone(m).fit(X)
