"""Reduced version of examples/plot_ot_sparse_plans.py (Blondel, Seguy & Rolet, AISTATS
2018; Liu, Puigcerver & Blondel, ICLR 2023).

Two 1-D Gaussian mixtures on a grid of ``n = m = 30`` points, squared distance cost, and
the example's common regularization scale ``s``: entropic epsilon ``s * median(C)``,
quadratic epsilon ``s * median(C) * n``. "Nonzero" means exactly nonzero: the quadratic
plan's zeros are exact, the entropic plan is positive everywhere (entries below 1e-12 of its
largest one do occur, from the tiny tail weights, but none is 0 at these scales).
"""

import numpy as np
import ot
import pytest

from skreg.ot import quadratic_ot, sinkhorn, sparsity_constrained_ot

N = 30
TOL = 1e-9


def _mixture(x, means, stds, weights):
    density = sum(w * np.exp(-0.5 * ((x - mu) / sd) ** 2)
                  for mu, sd, w in zip(means, stds, weights))
    return density / density.sum()


@pytest.fixture(scope="module")
def problem():
    x = np.linspace(0.0, 1.0, N)
    a = _mixture(x, [0.2, 0.6], [0.06, 0.1], [0.6, 0.4])
    b = _mixture(x, [0.4, 0.8], [0.08, 0.05], [0.5, 0.5])
    C = (x[:, None] - x[None, :]) ** 2
    return a, b, C, np.median(C)


def _quadratic(a, b, C, median, s):
    return quadratic_ot(a, b, C, s * median * N, formulation="semi-dual", tol=TOL,
                        max_iter=10_000)


def test_quadratic_plan_sparse_entropic_plan_dense(problem):
    a, b, C, median = problem
    s = 0.3
    ent = sinkhorn(a, b, C, s * median, tol=TOL)
    quad = _quadratic(a, b, C, median, s)
    assert ent.converged and quad.converged
    assert np.mean(ent.plan > 0) == 1.0
    assert np.mean(quad.plan > 0) < 0.2, np.mean(quad.plan > 0)
    # the quadratic plan is [f + g - C]_+ / eps: zeros exactly where f_i + g_j <= C_ij
    assert np.array_equal(quad.plan > 0, quad.f[:, None] + quad.g[None, :] > C)


def test_quadratic_cost_gap_decreases_with_epsilon(problem):
    a, b, C, median = problem
    emd = ot.emd2(a, b, C)
    gaps = []
    for s in (0.1, 0.01, 0.001):
        res = _quadratic(a, b, C, median, s)
        assert res.converged
        gaps.append(res.cost - emd)
    assert gaps[0] > gaps[1] > gaps[2], gaps
    assert gaps[-1] >= -1e-10  # the exact plan is the least cost (up to the marginal errors)
    assert gaps[-1] <= 1e-10  # small enough epsilon: the exact plan itself


@pytest.mark.parametrize("dim", [1, 2])
def test_k1_uniform_square_recovers_permutation(dim):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, dim))
    Y = 0.8 * rng.standard_normal((N, dim)) + 0.5
    C = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=-1)
    P_emd = ot.emd(np.full(N, 1.0 / N), np.full(N, 1.0 / N), C)
    res = sparsity_constrained_ot(None, None, C, 0.1 * np.median(C) * N, k=1, tol=TOL,
                                  max_iter=10_000)
    assert res.converged
    np.testing.assert_allclose(res.plan, P_emd, rtol=0, atol=1e-8)
    assert np.array_equal(np.sort(res.plan.argmax(axis=0)), np.arange(N))  # a permutation


@pytest.mark.parametrize("k", [2, 3])
def test_at_most_k_nonzeros_per_column(problem, k):
    a, b, C, median = problem
    res = sparsity_constrained_ot(a, b, C, 0.1 * median * N, k=k, tol=TOL, warn=False)
    assert (res.plan > 0).sum(axis=0).max() <= k
    assert np.all(res.plan >= 0)
    # every column carries its target weight exactly (the rows need not: non-convex
    # constraint, see the example)
    np.testing.assert_allclose(res.plan.sum(axis=0), b, rtol=0, atol=1e-12)
