"""The interior-point kernels of the quantile Lasso: the dual form (its dense and sparse
normal matrices) and the primal form."""

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
    quantile_ipm_primal,
)
from skreg.linear_model._quantile import _primal_form_pays


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


# --------------------------------------------------------------------------------------------
# the primal form (n x n normal matrices, for more columns than rows)


def _wide_program(seed, n=30, k=80, tau=0.5, n_free=1, exact=False):
    """``k > n`` columns, the last ``n_free`` unpenalized (a column of ones among them); with
    ``exact``, y is fitted exactly by three columns but on five rows (a degenerate vertex:
    many zero residuals, few active columns)."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, k - 1))
    B = np.asfortranarray(np.c_[Z, np.ones(n)])
    y = Z[:, :3] @ np.array([2.0, -1.0, 1.5])
    y[:5] += 10.0 * rng.standard_normal(5)
    if not exact:
        y += rng.standard_normal(n)
    a = np.full(n, tau / n)
    c = np.full(n, (1.0 - tau) / n)
    eta_col = np.arange(k - n_free, dtype=np.int64)
    hi = rng.uniform(0.005, 0.05, k - n_free)
    lo = rng.uniform(0.005, 0.05, k - n_free)
    return B, y, a, c, eta_col, hi, lo


@pytest.mark.parametrize("tau", [0.5, 0.2])
@pytest.mark.parametrize("n_free", [0, 1])
def test_primal_form_solves_the_program_of_the_dual_form(tau, n_free):
    B, y, a, c, eta_col, hi, lo = _wide_program(int(10 * tau) + n_free, tau=tau,
                                                n_free=n_free)
    args = (B.copy(), y.copy(), a, c, eta_col, hi, lo)
    theta, beta, n_iter, gap, ok = quantile_ipm_primal(*args, 200, 1e-13)
    assert ok and n_iter < 200
    np.testing.assert_array_equal(args[0], B)  # the inputs are left alone
    np.testing.assert_array_equal(args[1], y)
    primal, dual, viol = _certificate(B, y, a, c, eta_col, hi, lo, theta, beta)
    assert viol <= 1e-12
    assert 0.0 <= gap <= 1e-12
    assert primal - dual <= 1e-10 * abs(primal)
    assert np.all(theta <= a) and np.all(theta >= -c)
    theta_d, beta_d, *_ = quantile_ipm(B, y, a, c, eta_col, hi, lo, 200, 1e-13)
    assert primal == pytest.approx(_certificate(B, y, a, c, eta_col, hi, lo, theta_d,
                                                beta_d)[0], rel=1e-10)


def test_primal_form_flags_what_it_cannot_solve():
    # exact fits: at the optimum more rows have zero residual than columns are active, the
    # rows' scalings vanish and the n x n matrix loses rank. The kernel must then say so
    # (the caller solves the program in the dual form), never return a wrong point or raise
    outcomes = []
    for seed in range(6):
        for level in (0.01, 0.04):
            B, y, a, c, eta_col, hi, _ = _wide_program(seed, n=40, k=60, exact=True)
            hi = np.full_like(hi, level)
            theta, beta, _, _, ok = quantile_ipm_primal(B, y, a, c, eta_col, hi, hi, 200,
                                                        1e-13)
            outcomes.append(ok)
            if ok:
                primal, dual, viol = _certificate(B, y, a, c, eta_col, hi, hi, theta, beta)
                assert viol <= 1e-12
                assert primal - dual <= 1e-10 * abs(primal)
    assert any(outcomes)


def test_primal_form_takes_one_unpenalized_column_at_most():
    # with more, their Schur complement loses definiteness in rounding near the optimum
    B, y, a, c, eta_col, hi, lo = _wide_program(0, n_free=2)
    *_, n_iter, _, ok = quantile_ipm_primal(B, y, a, c, eta_col, hi, lo, 200, 1e-13)
    assert not ok and n_iter == 0


def test_primal_form_pays_only_past_as_many_columns_as_rows():
    rng = np.random.default_rng(0)
    tall = np.asfortranarray(rng.standard_normal((40, 30)))
    wide = np.asfortranarray(rng.standard_normal((40, 60)))
    sparse_wide = np.asfortranarray(wide * (rng.random(wide.shape) < 0.02))
    assert not _primal_form_pays(tall, 1)
    assert _primal_form_pays(wide, 1)
    assert not _primal_form_pays(wide, 2)  # one free column at most (the intercept)
    assert not _primal_form_pays(sparse_wide, 1)  # the dual's sparse accumulation wins
