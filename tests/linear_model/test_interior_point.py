"""The interior-point kernel of the quantile Lasso: its two normal-matrix forms."""

import numpy as np
import pytest

from skreg.linear_model._interior_point import (
    AUTO,
    DENSE,
    SPARSE,
    _choose_mode,
    _csr_of,
    _row_counts,
    quantile_ipm,
)


def _program(density, seed=0, n=40, k=70, tau=0.3):
    """A working-set program: sparse penalized columns, an unpenalized column of ones."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, k - 1)) * (rng.random((n, k - 1)) < density)
    B = np.asfortranarray(np.c_[Z, np.ones(n)])
    y = Z[:, :3] @ np.array([2.0, -1.0, 1.5]) + rng.standard_normal(n)
    a = np.full(n, tau / n)
    c = np.full(n, (1.0 - tau) / n)
    eta_col = np.arange(k - 1, dtype=np.int64)
    hi = rng.uniform(0.01, 0.05, k - 1)
    return B, y, a, c, eta_col, hi


def _certificate(B, y, a, c, eta_col, hi, lo, theta, beta):
    """Primal and dual objectives of the program, and the dual point's violations."""
    r = y - B @ beta
    tau = a / (a + c)
    primal = float(np.sum((a + c) * np.where(r >= 0, tau * r, (tau - 1) * r)))
    pen = beta[eta_col]
    primal += float(hi @ np.maximum(pen, 0.0) + lo @ np.maximum(-pen, 0.0))
    corr = B.T @ theta
    unpen = np.setdiff1d(np.arange(B.shape[1]), eta_col)
    viol = max(np.max(corr[eta_col] - hi), np.max(-lo - corr[eta_col]),
               np.max(np.abs(corr[unpen]), initial=0.0), 0.0)
    return primal, float(y @ theta), viol


def test_sparse_structure_is_the_csr_of_the_block_and_its_transpose():
    import scipy.sparse as sp

    B, *_ = _program(0.2)
    rows, cols = _csr_of(B, _row_counts(B))
    R = sp.csr_matrix(rows, shape=B.shape)
    C = sp.csr_matrix(cols, shape=B.T.shape)
    np.testing.assert_array_equal(R.toarray(), B)
    np.testing.assert_array_equal(C.toarray(), B.T)
    for _data, indices, indptr in (rows, cols):  # ascending within a row
        assert all(np.all(np.diff(indices[indptr[i]:indptr[i + 1]]) > 0)
                   for i in range(len(indptr) - 1))


def test_mode_follows_the_density():
    sparse_block, *_ = _program(0.02, n=400, k=200)
    dense_block, *_ = _program(1.0, n=400, k=200)
    assert _choose_mode(sparse_block, _row_counts(sparse_block)) == SPARSE
    assert _choose_mode(dense_block, _row_counts(dense_block)) == DENSE


@pytest.mark.parametrize("density", [0.1, 0.5])
@pytest.mark.parametrize("positive", [False, True])
def test_dense_and_sparse_forms_solve_the_same_program(density, positive):
    B, y, a, c, eta_col, hi = _program(density, seed=int(10 * density))
    # positivity as the kernel receives it: a lower level no |B_j^T theta| can reach
    lo = hi + 2.0 * np.abs(B[:, eta_col]).sum(axis=0) * max(a.max(), c.max()) if positive \
        else hi.copy()
    sols = {}
    for mode in (AUTO, DENSE, SPARSE):
        theta, beta, n_iter, gap, ok = quantile_ipm(B, y, a, c, eta_col, hi, lo, 200,
                                                    1e-13, mode)
        assert ok and n_iter < 200
        primal, dual, viol = _certificate(B, y, a, c, eta_col, hi, lo, theta, beta)
        assert viol <= 1e-12
        assert primal - dual <= 1e-10 * abs(primal)
        assert np.all(theta <= a) and np.all(theta >= -c)
        sols[mode] = (primal, beta)
    for mode in (AUTO, SPARSE):
        assert sols[mode][0] == pytest.approx(sols[DENSE][0], rel=1e-10)
        np.testing.assert_allclose(sols[mode][1], sols[DENSE][1], atol=1e-7)
    if positive:
        assert np.all(sols[DENSE][1][eta_col] >= -1e-9)
