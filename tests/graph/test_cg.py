"""The compiled conjugate-gradient loop (skreg.graph._cg): the normal operator it applies, its
stopping rule, and its breakdown exit."""

import numpy as np
import pytest
import scipy.sparse as sp

from skreg.graph import grid_laplacian, incidence_matrix
from skreg.graph._cg import normal_apply, normal_cg
from skreg.graph._solvers import _cg_operands, _Design, _Penalty


def _system(sparse, fit_intercept, weighted, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((25, 14))
    X[rng.random(X.shape) < 0.5] = 0.0
    y = rng.standard_normal(25)
    sw = rng.uniform(0.2, 3.0, 25) if weighted else np.ones(25)
    if weighted:
        sw[3] = 0.0
    G = incidence_matrix(grid_laplacian(14))
    design = _Design(sp.csr_matrix(X) if sparse else X, y, sw, fit_intercept)
    # the matrix A^T A + rho G^T G with A = S^(1/2) (X - 1 xbar^T), written out
    xbar = (sw @ X) / sw.sum() if fit_intercept else np.zeros(14)
    A = np.sqrt(sw)[:, None] * (X - xbar)
    return design, _Penalty(G), A.T @ A, (G.T @ G).toarray()


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept, weighted", [(False, False), (True, False), (True, True)])
def test_normal_apply_is_the_normal_matrix(sparse, fit_intercept, weighted):
    design, penalty, M, N = _system(sparse, fit_intercept, weighted)
    ops = _cg_operands(design, penalty)
    v = np.random.default_rng(1).standard_normal(14)
    for rho in (0.0, 0.7):
        out = np.empty(14)
        normal_apply(*ops, rho, v, np.empty(25), np.empty(penalty.shape[0]), out,
                     np.empty(14))
        np.testing.assert_allclose(out, (M + rho * N) @ v, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_normal_cg_solves_to_its_target(sparse):
    design, penalty, M, N = _system(sparse, True, True)
    ops = _cg_operands(design, penalty)
    K = M + 0.5 * N
    b = np.random.default_rng(2).standard_normal(14)
    inv_diag = 1.0 / np.diag(K)
    for target in (1e-3, 1e-10):
        x, n_iter, converged = normal_cg(*ops, 0.5, inv_diag, b, target, 200)
        assert converged and 0 < n_iter <= 200
        assert np.linalg.norm(b - K @ x) <= 10 * target  # recursive vs true residual
    np.testing.assert_allclose(x, np.linalg.solve(K, b), rtol=1e-8)
    # the iteration limit is reported as such; a zero right-hand side needs no step
    _, n_iter, converged = normal_cg(*ops, 0.5, inv_diag, b, 1e-14, 2)
    assert (n_iter, converged) == (2, False)
    x, n_iter, converged = normal_cg(*ops, 0.5, inv_diag, np.zeros(14), 0.0, 10)
    assert (n_iter, converged) == (0, True) and not np.any(x)


def test_normal_cg_stops_on_a_singular_direction():
    """X = 0 and rho = 0: the operator is zero, the first step breaks down, no NaN escapes."""
    design = _Design(np.zeros((5, 4)), np.ones(5), np.ones(5), False)
    penalty = _Penalty(grid_laplacian(4))
    x, n_iter, converged = normal_cg(*_cg_operands(design, penalty), 0.0, np.ones(4),
                                     np.ones(4), 1e-10, 50)
    assert (n_iter, converged) == (1, False)
    assert np.all(x == 0.0)
