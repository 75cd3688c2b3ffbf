"""Reduced version of examples/plot_ot_sinkhorn_newton.py (Tang et al., ICLR 2024).

After a Sinkhorn warm-up, Newton steps reach a tiny marginal error in far fewer steps than
Sinkhorn needs iterations, with a monotone dual and the same plan. Two clouds as in the
example, ``n = m = 150``, epsilon = 0.005 x median cost, ``tol = 1e-9``.

With uniform weights (the example's assignment problem) Sinkhorn does not reach ``1e-9``
within 10**6 iterations at this epsilon, too long for a test: the comparison to ``tol`` and
of the plans is made with random weights (a non-degenerate problem, where Sinkhorn converges
in about two thousand iterations); the uniform case checks that Sinkhorn is still far from
``tol`` after many times SNS's work.
"""

import numpy as np
import pytest

from skreg.ot import sinkhorn, sinkhorn_newton_sparse

N = 150
TOL = 1e-9


def _clouds(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, 2))
    Y = 0.8 * rng.standard_normal((N, 2)) + 1.0
    C = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=-1)
    w = rng.uniform(0.5, 1.5, (2, N))
    return C, w[0] / w[0].sum(), w[1] / w[1].sum(), 0.005 * np.median(C)


def _assert_monotone_dual(res):
    hist = res.dual_history
    assert len(hist) == res.n_newton + 1
    assert np.all(np.diff(hist) >= -1e-12 * np.abs(hist).max()), np.diff(hist).min()


@pytest.mark.parametrize("seed", [0, 1])
def test_newton_steps_against_sinkhorn_iterations(seed):
    C, a, b, eps = _clouds(seed)
    ref = sinkhorn(a, b, C, eps, tol=TOL, epsilon_scaling=None, max_iter=100_000)
    res = sinkhorn_newton_sparse(a, b, C, eps, tol=TOL)
    assert ref.converged and res.converged
    assert max(res.marginal_error_a, res.marginal_error_b) <= TOL
    # at least 10x fewer Newton steps than Sinkhorn iterations at the same tol
    assert 10 * res.n_newton <= ref.n_iter, (res.n_newton, ref.n_iter)
    _assert_monotone_dual(res)
    np.testing.assert_allclose(res.plan, ref.plan, rtol=0, atol=1e-8)


def test_uniform_weights_sinkhorn_far_behind():
    C, _, _, eps = _clouds()
    res = sinkhorn_newton_sparse(None, None, C, eps, tol=TOL)
    assert res.converged and res.n_newton <= 15, res.n_newton
    _assert_monotone_dual(res)
    # Sinkhorn with 100x the iterations of SNS (warm-up and Newton steps) is still far off
    budget = 100 * (res.n_iter + res.n_newton)
    ref = sinkhorn(None, None, C, eps, tol=TOL, epsilon_scaling=None, max_iter=budget,
                   warn=False)
    assert not ref.converged
    assert max(ref.marginal_error_a, ref.marginal_error_b) > 100 * TOL
    # ... though on its way to the same plan
    np.testing.assert_allclose(res.plan, ref.plan, rtol=0, atol=1e-5)
