"""Reduced version of examples/plot_ot_domain_adaptation.py (Rahbar et al., ICML 2023):
the sum-of-norms class regularizer fuses the transport profiles of each class, lowers the class
mixing of the plan and makes domain adaptation work where the classifier alone fails."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from skreg.ot import ClassRegularizedOTAdapter, group_sparse_ot, make_da_pipeline

CENTERS = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, np.sqrt(3.0)]])


@pytest.fixture(autouse=True)
def _serial_kernels():
    with threadpool_limits(limits=1, user_api="numba"):
        yield


def _domains(angle=30, n_per_class=10, seed=0):
    """Three Gaussian source classes; the target is a fresh sample rotated by ``angle``
    degrees about the centre, scaled by 1.2 and shifted by (2.5, 1) (as in the example)."""
    rng = np.random.default_rng(seed)
    ys = yt = np.repeat(np.arange(3), n_per_class)
    Xs = 0.45 * rng.standard_normal((len(ys), 2)) + CENTERS[ys]
    Xt = 0.45 * rng.standard_normal((len(yt), 2)) + CENTERS[yt]
    t = np.deg2rad(angle)
    rotation = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    middle = CENTERS.mean(axis=0)
    Xt = 1.2 * (Xt - middle) @ rotation.T + middle + [2.5, 1.0]
    return Xs, ys, Xt, yt


def _mixing(P, ys, yt=None):
    """Mass received from other than the majority class (no labels), or sent to the wrong
    target class (with the true target labels)."""
    received = np.stack([P[ys == c].sum(axis=0) for c in np.unique(ys)])
    if yt is None:
        return (received.sum(axis=0) - received.max(axis=0)).sum() / P.sum()
    return P[ys[:, None] != yt[None, :]].sum() / P.sum()


def test_sum_of_norms_plan_has_less_class_mixing():
    Xs, ys, Xt, yt = _domains()
    C = ((Xs[:, None] - Xt[None]) ** 2).sum(-1)
    mean_cost = C.mean()
    eps = 0.01 * mean_cost * C.size
    free = group_sparse_ot(None, None, C, ys, eps, 0.0, tol=1e-8).plan
    son = group_sparse_ot(None, None, C, ys, eps, 0.1 * mean_cost, regularizer="sum_of_norms",
                          tol=1e-8).plan
    # measured: mixing 0.103 -> 0.037, wrong-class mass 0.249 -> 0.171
    assert _mixing(son, ys) < 0.5 * _mixing(free, ys)
    assert _mixing(son, ys, yt) < _mixing(free, ys, yt) - 0.05
    # above the threshold the rows of a class are fused: one transport profile per class
    profiles = son / son.sum(axis=1, keepdims=True)
    for c in range(3):
        np.testing.assert_allclose(profiles[ys == c], profiles[ys == c][:1].repeat(10, 0),
                                   atol=1e-6)
    # a large group-lasso weight fuses the rows too: it tends to the same plan
    group = group_sparse_ot(None, None, C, ys, eps, 1000 * mean_cost, tol=1e-8).plan
    assert np.abs(group - son).sum() < 0.01


@pytest.mark.parametrize("regularizer, lam", [("sum_of_norms", 0.1), ("group_lasso", 3.0)])
def test_class_regularized_adaptation_beats_no_adaptation(regularizer, lam):
    Xs, ys, Xt, yt = _domains()
    X, y = np.vstack([Xs, Xt]), np.r_[ys, -np.ones(len(Xt), dtype=int)]
    source_only = LogisticRegression().fit(Xs, ys).score(Xt, yt)
    adapted = make_da_pipeline(ClassRegularizedOTAdapter(0.01, lam, regularizer=regularizer),
                               LogisticRegression()).fit(X, y).score(Xt, yt)
    # measured: 0.667 source only, 0.967 adapted (both regularizers)
    assert source_only < 0.75
    assert adapted >= source_only + 0.2
    assert adapted >= 0.9
