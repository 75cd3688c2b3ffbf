"""Recovery of structured solutions of underdetermined systems: cs_recover (every prior,
batches, restarts, threads, rank-deficient and inconsistent systems, validation) and the
convex baselines l1_recover / linf_recover against the cvxpy reference."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skreg import reference as ref
from skreg.cauchy_schwarz import (
    CSRecoveryResult,
    NormRecoveryResult,
    binary,
    cs_recover,
    eigenvector,
    l1_recover,
    linf_recover,
    one_sided_binary,
    orthogonal,
    ternary,
)

LEVELS = {"binary": [-1.0, 1.0], "one_sided_binary": [0.0, 1.0], "ternary": [-1.0, 0.0, 1.0]}
REGULARIZER = {"binary": binary, "one_sided_binary": one_sided_binary, "ternary": ternary}
# M/N about 0.7 (ternary, the hardest, a little more)
N_ROWS = {"binary": 28, "one_sided_binary": 28, "ternary": 30}
N = 40

# the cvxpy reference may warn about its own accuracy (third-party noise)
cvxpy_noise = pytest.mark.filterwarnings("ignore:Solution may be inaccurate:UserWarning")


def _discrete_problem(prior, seed, a=0.7, M=None):
    rng = np.random.default_rng(seed)
    x = a * rng.choice(LEVELS[prior], size=N)
    A = rng.standard_normal((M or N_ROWS[prior], N))
    return A, A @ x, x


def _assert_feasible(A, x, b, rtol=1e-8):
    r = np.asarray(A) @ np.asarray(x) - b
    assert np.linalg.norm(r) <= rtol * (np.linalg.norm(b) + np.linalg.norm(A) *
                                        np.linalg.norm(x))


# ------------------------------------------------------------------------------------------
# cs_recover: recovery
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prior", list(LEVELS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cs_recover_discrete(prior, seed):
    A, b, x = _discrete_problem(prior, seed, a=0.3 + 0.4 * seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = cs_recover(A, b, prior, random_state=seed)
    assert isinstance(res, CSRecoveryResult)
    assert res.x.shape == (N,)
    np.testing.assert_allclose(res.x, x, atol=1e-6)
    assert res.sin2 < 1e-12
    assert res.converged is True
    _assert_feasible(A, res.x, b)
    # objective and sin2 are those of the public regularizer
    value, _ = REGULARIZER[prior](res.x)
    assert res.objective == pytest.approx(value, abs=1e-12 * np.linalg.norm(res.x) ** 8)
    assert isinstance(res.objective, float) and isinstance(res.sin2, float)
    assert isinstance(res.n_iter, int) and isinstance(res.restart, int)
    assert 0 <= res.restart < 10


def _eigen_problem(seed, k):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((20, 20))
    C = B + B.T
    _, V = np.linalg.eigh(C)
    x = 2.0 * V[:, k]
    A = rng.standard_normal((10, 20))
    return A, C, x


@pytest.mark.parametrize("seed, k", [(0, 2), (1, 15), (2, 0), (3, 19)])
def test_cs_recover_eigenvector(seed, k):
    A, C, x = _eigen_problem(seed, k)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = cs_recover(A, A @ x, "eigenvector", C=C, random_state=seed)
    np.testing.assert_allclose(res.x, x, atol=1e-6)
    assert res.sin2 < 1e-12
    _assert_feasible(A, res.x, A @ x)
    value, _ = eigenvector(res.x, C)
    Cx = C @ res.x
    assert res.objective == pytest.approx(value, abs=1e-12 * (Cx @ Cx) * (res.x @ res.x))


def test_cs_recover_no_warning_once_the_structure_is_found():
    A, C, x = _eigen_problem(0, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = cs_recover(A, A @ x, "eigenvector", C=C, random_state=0)
    assert res.converged
    assert res.sin2 <= 1e-13
    np.testing.assert_allclose(res.x, x, atol=1e-7)


@pytest.mark.parametrize("seed", [0, 1])
def test_cs_recover_orthogonal(seed):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    X = 1.5 * Q
    A = rng.standard_normal((20, 25))
    b = A @ X.ravel(order="F")
    res = cs_recover(A, b, "orthogonal", n_columns=5, random_state=seed)
    assert res.x.shape == (5, 5)
    np.testing.assert_allclose(res.x, X, atol=1e-6)
    assert res.sin2 < 1e-12
    _assert_feasible(A, res.x.ravel(order="F"), b)
    assert res.objective == pytest.approx(orthogonal(res.x)[0], abs=1e-12 * 5 * 1.5**8 * 5)


def test_cs_recover_orthogonal_rectangular_batch():
    rng = np.random.default_rng(3)
    Xs = np.stack([2.0 * np.linalg.qr(rng.standard_normal((6, 3)))[0] for _ in range(2)])
    A = rng.standard_normal((16, 18))
    b = np.stack([A @ X.ravel(order="F") for X in Xs])
    res = cs_recover(A, b, "orthogonal", n_columns=3, random_state=0)
    assert res.x.shape == (2, 6, 3)
    np.testing.assert_allclose(res.x, Xs, atol=1e-6)
    for x, s2 in zip(res.x, res.sin2):
        G = x.T @ x
        np.testing.assert_allclose(G, np.trace(G) / 3 * np.eye(3), atol=1e-8 * np.trace(G))
        assert s2 < 1e-12
    for x, bb in zip(res.x, b):
        _assert_feasible(A, x.ravel(order="F"), bb)


# ------------------------------------------------------------------------------------------
# cs_recover: batches, determinism, threads, restarts
# ------------------------------------------------------------------------------------------


def _batch_b(P=4, seed=0, prior="binary"):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((N_ROWS[prior], N))
    X = 0.5 * rng.choice(LEVELS[prior], size=(P, N))
    return A, X @ A.T, X


def test_cs_recover_batch_of_right_hand_sides():
    A, B, X = _batch_b()
    res = cs_recover(A, B, "binary", random_state=0)
    assert res.x.shape == (4, N)
    for arr in (res.objective, res.sin2, res.n_iter, res.converged, res.restart):
        assert isinstance(arr, np.ndarray) and arr.shape == (4,)
    assert res.converged.dtype == bool
    np.testing.assert_allclose(res.x, X, atol=1e-6)
    assert np.all(res.sin2 < 1e-12)
    for p in range(4):
        single = cs_recover(A, B[p], "binary", random_state=0)
        np.testing.assert_allclose(single.x, res.x[p], atol=1e-8)
        _assert_feasible(A, res.x[p], B[p])


def test_cs_recover_batch_of_matrices():
    rng = np.random.default_rng(1)
    P = 3
    As = rng.standard_normal((P, N_ROWS["one_sided_binary"], N))
    X = 0.8 * rng.choice(LEVELS["one_sided_binary"], size=(P, N))
    B = np.einsum("pmn,pn->pm", As, X)
    res = cs_recover(As, B, "one_sided_binary", random_state=0)
    assert res.x.shape == (P, N) and res.sin2.shape == (P,)
    np.testing.assert_allclose(res.x, X, atol=1e-6)
    for p in range(P):
        _assert_feasible(As[p], res.x[p], B[p])
        single = cs_recover(As[p], B[p], "one_sided_binary", random_state=0)
        np.testing.assert_allclose(single.x, res.x[p], atol=1e-8)
    # a batch of one is still a batch
    res1 = cs_recover(As[:1], B[:1], "one_sided_binary", random_state=0)
    assert res1.x.shape == (1, N) and res1.sin2.shape == (1,)
    res1 = cs_recover(As[0], B[:1], "one_sided_binary", random_state=0)
    assert res1.x.shape == (1, N)


def test_cs_recover_deterministic_with_random_state():
    A, b, _ = _discrete_problem("ternary", 4)
    r1 = cs_recover(A, b, "ternary", random_state=7)
    r2 = cs_recover(A, b, "ternary", random_state=7)
    r3 = cs_recover(A, b, "ternary", random_state=np.random.RandomState(7))
    for r in (r2, r3):
        np.testing.assert_array_equal(r.x, r1.x)
        assert (r.sin2, r.n_iter, r.restart) == (r1.sin2, r1.n_iter, r1.restart)
    A, B, _ = _batch_b(P=3, prior="ternary", seed=5)
    r1 = cs_recover(A, B, "ternary", random_state=3)
    r2 = cs_recover(A, B, "ternary", random_state=3)
    np.testing.assert_array_equal(r1.x, r2.x)
    np.testing.assert_array_equal(r1.restart, r2.restart)


@pytest.mark.parametrize("batch", [False, True])
def test_cs_recover_threads_agree(batch):
    if batch:
        A, b, x = _batch_b(P=4, seed=5)
    else:
        A, b, x = _discrete_problem("binary", 5, a=0.5)
    r1 = cs_recover(A, b, "binary", random_state=0, n_threads=1)
    r2 = cs_recover(A, b, "binary", random_state=0, n_threads=2)
    np.testing.assert_allclose(r1.x, x, atol=1e-6)
    np.testing.assert_allclose(r2.x, r1.x, atol=1e-8)
    assert np.all(np.asarray(r2.sin2) < 1e-12)


@pytest.mark.parametrize("shared_A", [True, False])
@pytest.mark.parametrize("n_jobs", [2, 3])
def test_batches_n_jobs_give_identical_results(shared_A, n_jobs):
    # trials cut into chunks of problems solved by the same kernels in joblib tasks; with
    # fewer problems than threads (rounds of starts) as well, decided for the whole batch
    rng = np.random.default_rng(3)
    P, M, N = 5, 14, 20
    A = rng.standard_normal((M, N) if shared_A else (P, M, N))
    x = rng.choice([-1.0, 1.0], size=(P, N))
    b = x @ A.T if shared_A else np.einsum("pmn,pn->pm", A, x)
    for problems in (slice(None), slice(0, 1)):
        A_p = A if shared_A else A[problems]
        r1 = cs_recover(A_p, b[problems], "binary", n_restarts=3, random_state=0)
        r2 = cs_recover(A_p, b[problems], "binary", n_restarts=3, random_state=0,
                        n_jobs=n_jobs)
        for name in ("x", "objective", "sin2", "n_iter", "converged", "restart"):
            np.testing.assert_array_equal(getattr(r2, name), getattr(r1, name))
    for f in (l1_recover, linf_recover):
        r1, r2 = f(A, b), f(A, b, n_jobs=n_jobs)
        for name in ("x", "objective", "duality_gap", "n_iter", "converged"):
            np.testing.assert_array_equal(getattr(r2, name), getattr(r1, name))
    with pytest.raises(ValueError, match="n_jobs"):
        l1_recover(A, b, n_jobs=0)


def test_cs_recover_first_start_is_the_least_norm_solution():
    rng = np.random.default_rng(6)
    x = 0.4 * rng.choice([-1.0, 1.0], size=N)
    # x in the row space of A: it is the least-norm solution of Ax = Ax
    A = rng.standard_normal((N_ROWS["binary"], N))
    A[0] = x
    b = A @ x
    for n_threads in (1, 2):
        res = cs_recover(A, b, "binary", random_state=0, n_threads=n_threads)
        assert res.restart == 0
        assert res.sin2 < 1e-13
        np.testing.assert_allclose(res.x, x, atol=1e-12)
    # sequential restarts stop at once: the least-norm start is already on the set
    res = cs_recover(A, b, "binary", random_state=0, n_threads=1)
    assert res.n_iter == 0


def test_cs_recover_single_start_ignores_random_state():
    A, b, _ = _discrete_problem("binary", 8)
    r1 = cs_recover(A, b, "binary", n_restarts=1, random_state=0)
    r2 = cs_recover(A, b, "binary", n_restarts=1, random_state=123)
    assert r1.restart == 0 and r2.restart == 0
    np.testing.assert_array_equal(r1.x, r2.x)
    # the least-norm start is used: the same run as the first of many restarts
    assert r1.sin2 <= 1e-13  # this start finds the structure ...
    r3 = cs_recover(A, b, "binary", n_restarts=5, random_state=0, n_threads=1)
    assert r3.restart == 0  # ... so sequential restarts stop after it
    assert r3.n_iter == r1.n_iter
    np.testing.assert_array_equal(r3.x, r1.x)


def test_cs_recover_rank_deficient():
    rng = np.random.default_rng(9)
    A0 = rng.standard_normal((28, N))
    A = np.vstack([A0, A0[:3] + A0[3:6], 2.0 * A0[:2]])  # rank 28, 33 rows
    x = 0.6 * rng.choice([-1.0, 0.0, 1.0], size=N)
    res = cs_recover(A, A @ x, "ternary", random_state=0)
    np.testing.assert_allclose(res.x, x, atol=1e-6)
    _assert_feasible(A, res.x, A @ x)
    # a rank-one matrix
    a = rng.standard_normal(N)
    A1 = np.outer(rng.standard_normal(3), a)
    x1 = 0.5 * np.sign(a)  # the least-norm solution of a rank-one system is a multiple of a
    res = cs_recover(A1, A1 @ x1, "binary", random_state=0)
    _assert_feasible(A1, res.x, A1 @ x1)
    assert res.sin2 < 1e-12


def test_cs_recover_inconsistent_system():
    rng = np.random.default_rng(10)
    A = rng.standard_normal((50, N))  # overdetermined
    with pytest.raises(ValueError, match="inconsistent"):
        cs_recover(A, rng.standard_normal(50), "binary")
    A0 = rng.standard_normal((20, N))
    A = np.vstack([A0, A0[:1]])
    b = np.append(A0 @ np.ones(N), A0[0] @ np.ones(N) + 1.0)
    with pytest.raises(ValueError, match="inconsistent"):
        cs_recover(A, b, "binary")
    # in a batch, only one problem inconsistent
    B = np.stack([A @ np.ones(N), b])
    with pytest.raises(ValueError, match=r"inconsistent.*\[1\]"):
        cs_recover(A, B, "binary")
    for f in (l1_recover, linf_recover):
        with pytest.raises(ValueError, match="inconsistent"):
            f(A, b)


def test_overdetermined_consistent_system():
    rng = np.random.default_rng(11)
    A = rng.standard_normal((50, 20))
    x = rng.choice([-1.0, 1.0], size=20)
    for f, kw in [(cs_recover, {"random_state": 0}), (l1_recover, {}), (linf_recover, {})]:
        res = f(A, A @ x, **kw)
        np.testing.assert_allclose(res.x, x, atol=1e-12)  # the only solution


@pytest.mark.parametrize("n_threads, exc", [(0, ValueError), (1.5, TypeError),
                                            ("2", TypeError)])
def test_bad_n_threads(small, n_threads, exc):
    A, b = small
    for f, kw in [(cs_recover, {"random_state": 0}), (l1_recover, {}), (linf_recover, {})]:
        with pytest.raises(exc, match="n_threads"):
            f(A, b, n_threads=n_threads, **kw)


def test_cs_recover_zero_right_hand_side():
    A, _, _ = _discrete_problem("binary", 0)
    res = cs_recover(A, np.zeros(A.shape[0]), "ternary", random_state=0)
    np.testing.assert_array_equal(res.x, 0.0)
    assert res.sin2 == 0.0 and res.objective == 0.0


def test_cs_recover_convergence_warning():
    A, b, _ = _discrete_problem("binary", 1)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        res = cs_recover(A, b, "binary", max_iter=1, random_state=0)
    assert res.converged is False
    _assert_feasible(A, res.x, b)  # still on the affine set
    A, B, _ = _batch_b(P=3)
    with pytest.warns(ConvergenceWarning, match="3 of 3"):
        res = cs_recover(A, B, "binary", max_iter=1, random_state=0)
    assert not np.any(res.converged)


def test_cs_recover_does_not_modify_inputs():
    A, b, _ = _discrete_problem("binary", 2)
    C = np.eye(N)
    A_copy, b_copy = A.copy(), b.copy()
    A.flags.writeable = False
    b.flags.writeable = False
    cs_recover(A, b, "binary", random_state=0)
    cs_recover(A.tolist(), b.tolist(), "eigenvector", C=C, n_restarts=2, random_state=0)
    np.testing.assert_array_equal(A, A_copy)
    np.testing.assert_array_equal(b, b_copy)
    np.testing.assert_array_equal(C, np.eye(N))


# ------------------------------------------------------------------------------------------
# cs_recover: validation
# ------------------------------------------------------------------------------------------


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 6))
    return A, A @ np.ones(6)


def test_cs_recover_bad_prior(small):
    A, b = small
    for prior in ["quaternary", "Binary", None, 0]:
        with pytest.raises(ValueError, match="prior must be one of"):
            cs_recover(A, b, prior)


def test_cs_recover_matrix_arguments(small):
    A, b = small
    with pytest.raises(ValueError, match="needs the matrix C"):
        cs_recover(A, b, "eigenvector")
    with pytest.raises(ValueError, match="only used with"):
        cs_recover(A, b, "binary", C=np.eye(6))
    with pytest.raises(ValueError, match="C must have shape"):
        cs_recover(A, b, "eigenvector", C=np.eye(5))
    with pytest.raises(ValueError):
        cs_recover(A, b, "eigenvector", C=np.ones(6))
    with pytest.raises(ValueError, match="NaN"):
        cs_recover(A, b, "eigenvector", C=np.full((6, 6), np.nan))
    with pytest.raises(TypeError):
        cs_recover(A, b, "eigenvector", C=np.eye(6) + 0j)
    with pytest.raises(ValueError, match="needs n_columns"):
        cs_recover(A, b, "orthogonal")
    with pytest.raises(ValueError, match="not a multiple"):
        cs_recover(A, b, "orthogonal", n_columns=4)
    with pytest.raises(ValueError, match=">= 1"):
        cs_recover(A, b, "orthogonal", n_columns=0)
    for bad in [2.0, True, "2"]:
        with pytest.raises(TypeError, match="n_columns must be an integer"):
            cs_recover(A, b, "orthogonal", n_columns=bad)
    with pytest.raises(ValueError, match="only used with"):
        cs_recover(A, b, "ternary", n_columns=2)
    res = cs_recover(A, b, "orthogonal", n_columns=np.int64(3), random_state=0)
    assert res.x.shape == (2, 3)


@pytest.mark.parametrize("name, bad, exc", [
    ("n_restarts", 0, ValueError), ("n_restarts", -1, ValueError),
    ("n_restarts", 1.5, TypeError), ("n_restarts", True, TypeError),
    ("n_restarts", "3", TypeError),
    ("max_iter", 0, ValueError), ("max_iter", 10.0, TypeError), ("max_iter", None, TypeError),
    ("tol", 0.0, ValueError), ("tol", 1.0, ValueError), ("tol", -1e-3, ValueError),
    ("tol", np.nan, ValueError), ("tol", "1e-3", TypeError), ("tol", True, TypeError),
    ("zero_tol", -1.0, ValueError), ("zero_tol", "0", ValueError),
])
def test_cs_recover_bad_parameters(small, name, bad, exc):
    A, b = small
    with pytest.raises(exc, match=name):
        cs_recover(A, b, "binary", **{name: bad})


@pytest.mark.parametrize("f", [cs_recover, l1_recover, linf_recover])
def test_bad_systems(f):
    A = np.ones((3, 5))
    b = np.ones(3)
    cases = [
        (np.ones(5), b, ValueError), (np.ones((2, 3, 5, 1)), b, ValueError),
        (A, np.ones((2, 2, 3)), ValueError), (A, np.ones(4), ValueError),
        (np.ones((2, 3, 5)), np.ones((3, 3)), ValueError),
        (np.where(np.eye(3, 5) > 0, np.nan, A), b, ValueError), (A, b * np.inf, ValueError),
        (A + 0j, b, TypeError), (A, b + 1j, TypeError), ("A", b, TypeError),
        (np.zeros((3, 0)), b, ValueError),
    ]
    for A_, b_, exc in cases:
        with pytest.raises(exc):
            f(A_, b_)


# ------------------------------------------------------------------------------------------
# l1_recover / linf_recover against cvxpy
# ------------------------------------------------------------------------------------------


def _norm_problem(norm, ratio, seed, n=60, k=12):
    rng = np.random.default_rng(seed)
    M = int(round(ratio * n))
    A = rng.standard_normal((M, n))
    if norm == "l1":
        x = np.zeros(n)
        x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    else:
        x = rng.choice([-1.0, 1.0], size=n)
    return A, A @ x, x


NORM_FUNCS = {"l1": (l1_recover, ref.l1_recover), "linf": (linf_recover, ref.linf_recover)}


@cvxpy_noise
@pytest.mark.parametrize("norm", ["l1", "linf"])
@pytest.mark.parametrize("ratio, seed", [(0.3, 0), (0.45, 1), (0.6, 2), (0.8, 3)])
def test_norm_recover_matches_cvxpy(norm, ratio, seed):
    A, b, x_true = _norm_problem(norm, ratio, seed)
    f, f_ref = NORM_FUNCS[norm]
    res = f(A, b)
    expected = f_ref(A, b)
    assert isinstance(res, NormRecoveryResult)
    assert res.converged is True
    assert 0.0 <= res.duality_gap <= 1e-9
    assert res.objective == pytest.approx(expected.objective, rel=1e-7)
    assert res.objective == pytest.approx(ref.norm_recover_objective(res.x, norm), rel=1e-14)
    # the certificate: the reference cannot be better than objective * (1 - gap)
    assert expected.objective >= res.objective * (1 - res.duality_gap) - 1e-7 * res.objective
    _assert_feasible(A, res.x, b)
    if ratio == 0.3:  # too few measurements: the convex baseline does not find x_true
        assert np.abs(res.x - x_true).max() > 1e-3


@pytest.mark.parametrize("seed", [0, 1])
def test_l1_recover_exact_sparse_recovery(seed):
    A, b, x = _norm_problem("l1", 0.7, seed, k=6)
    res = l1_recover(A, b)
    np.testing.assert_allclose(res.x, x, atol=1e-7)
    assert res.objective == pytest.approx(np.abs(x).sum(), rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_linf_recover_exact_binary_recovery(seed):
    A, b, x = _norm_problem("linf", 0.8, seed)
    res = linf_recover(A, b)
    np.testing.assert_allclose(res.x, x, atol=1e-7)
    assert res.objective == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("f", [l1_recover, linf_recover])
def test_norm_recover_zero_right_hand_side(f):
    A = np.random.default_rng(0).standard_normal((10, 20))
    res = f(A, np.zeros(10))
    np.testing.assert_array_equal(res.x, 0.0)
    assert res.objective == 0.0 and res.duality_gap == 0.0 and res.converged is True
    res = f(A, np.zeros((2, 10)))
    assert res.x.shape == (2, 20) and np.all(res.x == 0.0)


@pytest.mark.parametrize("norm", ["l1", "linf"])
def test_norm_recover_batch_equals_single(norm):
    f, _ = NORM_FUNCS[norm]
    rng = np.random.default_rng(4)
    A = rng.standard_normal((30, 50))
    X = rng.standard_normal((3, 50)) * (rng.random((3, 50)) < 0.2)
    B = X @ A.T
    res = f(A, B)
    assert res.x.shape == (3, 50)
    for arr in (res.objective, res.duality_gap, res.n_iter, res.converged):
        assert arr.shape == (3,)
    As = rng.standard_normal((3, 30, 50))
    Bs = np.einsum("pmn,pn->pm", As, X)
    res_a = f(As, Bs)
    for p in range(3):
        single = f(A, B[p])
        np.testing.assert_allclose(res.x[p], single.x, rtol=1e-9, atol=1e-9)
        assert res.objective[p] == pytest.approx(single.objective, rel=1e-12)
        single = f(As[p], Bs[p])
        np.testing.assert_allclose(res_a.x[p], single.x, rtol=1e-9, atol=1e-9)
        _assert_feasible(As[p], res_a.x[p], Bs[p])
    res2 = f(A, B, n_threads=1)
    np.testing.assert_allclose(res2.x, res.x, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f", [l1_recover, linf_recover])
def test_norm_recover_convergence_warning_and_parameters(f):
    A, b, _ = _norm_problem("l1", 0.5, 0)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        res = f(A, b, max_iter=1)
    assert res.converged is False and res.n_iter == 1
    assert res.duality_gap > 1e-9
    _assert_feasible(A, res.x, b)  # the returned x is feasible even so
    for kwargs, exc in [({"max_iter": 0}, ValueError), ({"max_iter": 2.5}, TypeError),
                        ({"tol": 0.0}, ValueError), ({"tol": 2.0}, ValueError),
                        ({"tol": "1"}, TypeError), ({"max_iter": True}, TypeError)]:
        with pytest.raises(exc):
            f(A, b, **kwargs)


@pytest.mark.parametrize("f", [l1_recover, linf_recover])
def test_norm_recover_looser_tol(f):
    A, b, _ = _norm_problem("linf", 0.4, 5)
    res = f(A, b, tol=1e-3)
    assert res.converged is True and res.duality_gap <= 1e-3
    tight = f(A, b)
    assert res.n_iter <= tight.n_iter
    assert res.objective >= tight.objective * (1 - 1e-12)
    assert res.objective * (1 - res.duality_gap) <= tight.objective * (1 + 1e-12)


# ------------------------------------------------------------------------------------------
# the reference functions
# ------------------------------------------------------------------------------------------


def test_norm_recover_objective():
    assert ref.norm_recover_objective([3.0, -4.0]) == 7.0
    assert ref.norm_recover_objective([3.0, -4.0], "l1") == 7.0
    assert ref.norm_recover_objective([3.0, -4.0], "linf") == 4.0
    assert ref.norm_recover_objective([[1, -2], [3, 0]], "l1") == 6.0  # flattened
    assert ref.norm_recover_objective([[1, -2], [3, 0]], "linf") == 3.0
    assert isinstance(ref.norm_recover_objective(np.ones(3)), float)
    for bad in ["l2", "L1", None, 1]:
        with pytest.raises(ValueError, match="norm must be"):
            ref.norm_recover_objective([1.0], bad)


@pytest.mark.parametrize("f", [ref.l1_recover, ref.linf_recover])
def test_reference_input_validation(f):
    A = np.ones((3, 5))
    for A_, b_ in [(np.ones(5), np.ones(3)), (A, np.ones((3, 1))), (A, np.ones(4)),
                   (np.ones((2, 3, 5)), np.ones(3))]:
        with pytest.raises(ValueError, match="A must be"):
            f(A_, b_)


@cvxpy_noise
def test_reference_result_fields():
    A, b, x = _norm_problem("l1", 0.7, 0, k=5)
    res = ref.l1_recover(A, b)
    assert res.coef.shape == (60,) and res.intercept == 0.0
    assert res.status in ("optimal", "optimal_inaccurate")
    assert res.objective == pytest.approx(np.abs(x).sum(), rel=1e-6)
    res = ref.linf_recover(A, b)
    assert res.objective == pytest.approx(np.abs(res.coef).max(), rel=1e-12)
    _assert_feasible(A, res.coef, b, rtol=1e-6)
