"""skreg.ot.sinkhorn_newton_sparse: same solution as Sinkhorn, far fewer iterations."""

import numpy as np
import pytest

from skreg.ot import sinkhorn, sinkhorn_newton_sparse


def _problem(n=150, m=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    Y = 0.8 * rng.standard_normal((m, 2)) + 1.0
    C = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    a = rng.uniform(0.5, 1.5, n)
    b = rng.uniform(0.5, 1.5, m)
    return X, Y, C, a / a.sum(), b / b.sum()


@pytest.mark.parametrize("factor", [1e-1, 1e-2, 1e-3])
def test_same_plan_as_sinkhorn(factor):
    _, _, C, a, b = _problem()
    eps = factor * np.median(C)
    ref = sinkhorn(a, b, C, eps, tol=1e-11)
    res = sinkhorn_newton_sparse(a, b, C, eps, tol=1e-11)
    assert res.converged and res.method == "sns"
    np.testing.assert_allclose(res.plan, ref.plan, atol=1e-9)
    shift = np.mean(res.f - ref.f)
    np.testing.assert_allclose(res.f - shift, ref.f, atol=1e-6 * eps + 1e-9)
    np.testing.assert_allclose(res.g + shift, ref.g, atol=1e-6 * eps + 1e-9)
    assert res.marginal_error_a <= 1e-11 and res.marginal_error_b <= 1e-11


def test_far_fewer_iterations_than_sinkhorn_at_small_epsilon():
    _, _, C, a, b = _problem()
    eps = 1e-3 * np.median(C)
    ref = sinkhorn(a, b, C, eps, tol=1e-8)
    res = sinkhorn_newton_sparse(a, b, C, eps, tol=1e-8)
    assert ref.converged and res.converged
    # warm-up Sinkhorn iterations plus Newton steps, against Sinkhorn alone
    assert 10 * (res.n_iter + res.n_newton) <= ref.n_iter, (res.n_iter, res.n_newton,
                                                            ref.n_iter)
    assert res.n_newton <= 15


def test_dual_objective_increases_monotonically():
    _, _, C, a, b = _problem(seed=1)
    eps = 3e-3 * np.median(C)
    res = sinkhorn_newton_sparse(a, b, C, eps, tol=1e-10, keep=5)
    hist = res.dual_history
    assert len(hist) == res.n_newton + 1
    assert np.all(np.diff(hist) >= -1e-13 * np.abs(hist).max())  # up to rounding
    assert res.converged


def test_points_and_zero_mass():
    X, Y, C, a, b = _problem()
    a = a.copy()
    a[:3] = 0.0
    a /= a.sum()
    eps = 1e-2 * np.median(C)
    r1 = sinkhorn_newton_sparse(a, b, C, eps, tol=1e-10)
    r2 = sinkhorn_newton_sparse(a, b, (X, Y), eps, tol=1e-10)
    np.testing.assert_allclose(r1.plan, r2.plan, atol=1e-12)
    assert np.all(r1.plan[:3] == 0.0) and np.all(np.isfinite(r1.f))


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(keep=0), ValueError, "keep"),
    (dict(warmup_tol=-1.0), ValueError, "warmup_tol"),
    (dict(cg_tol=0.0), ValueError, "cg_tol"),
    (dict(max_iter=1.5), TypeError, "max_iter"),
])
def test_bad_parameters(kwargs, exc, match):
    _, _, C, a, b = _problem(n=10, m=8)
    with pytest.raises(exc, match=match):
        sinkhorn_newton_sparse(a, b, C, 0.1, **kwargs)


def test_direct_and_cg_newton_systems_give_the_same_solution():
    # a translation: the plan is close to a permutation, its Hessian ill-conditioned
    rng = np.random.default_rng(4)
    X = rng.standard_normal((120, 2))
    Y = X + np.array([3.0, -1.0])
    direct = sinkhorn_newton_sparse(None, None, (X, Y), 0.01, tol=1e-9, linear_solver="direct")
    cg = sinkhorn_newton_sparse(None, None, (X, Y), 0.01, tol=1e-9, linear_solver="cg")
    assert direct.converged and cg.converged
    np.testing.assert_allclose(direct.plan, cg.plan, atol=1e-9)
    assert direct.n_newton <= cg.n_newton
    with pytest.raises(ValueError, match="linear_solver must be one of"):
        sinkhorn_newton_sparse(None, None, (X, Y), 0.01, linear_solver="lu")
