"""skreg.ot group_sparse_ot: against cvxpy, lam = 0 against quadratic_ot, class structure,
invariances, zero masses, tiny epsilon, read-only inputs, errors."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skreg.ot._group import group_sparse_ot
from skreg.ot._quadratic import quadratic_ot
from skreg.reference._ot import group_sparse_objective
from skreg.reference._ot import group_sparse_ot as reference_group_sparse_ot

pytest.importorskip("cvxpy")
# every solve here converges, but the one that is meant not to (and says so)
pytestmark = pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")

REGULARIZERS = ["group_lasso", "sum_of_norms"]


def _problem(n=24, m=20, n_classes=3, seed=0):
    """Labelled source points (classes shifted apart), unlabelled targets, random weights."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % n_classes
    X = rng.standard_normal((n, 2)) + 1.5 * labels[:, None]
    Y = rng.standard_normal((m, 2)) + 1.0
    a = rng.uniform(0.5, 1.5, n)
    b = rng.uniform(0.5, 1.5, m)
    C = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    return a / a.sum(), b / b.sum(), C, labels


def _reference(a, b, C, labels, eps, lam, regularizer, n_neighbors=None):
    with warnings.catch_warnings():  # Clarabel's "optimal_inaccurate" retry, if any
        warnings.simplefilter("ignore", UserWarning)
        return reference_group_sparse_ot(a, b, C, labels, eps, lam, regularizer=regularizer,
                                         n_neighbors=n_neighbors)


def _purity(P, labels):
    """Fraction of the mass every target column receives from its main class."""
    per_class = np.stack([P[labels == c].sum(0) for c in np.unique(labels)])
    return per_class.max(0).sum() / P.sum()


# (n, m, seed, epsilon, lam) in units of the median cost: a dense plan, a sparse one, a
# tiny epsilon (nearly the unregularized class-based problem) with a strong regularizer
CASES = [(24, 20, 0, 1.0, 0.1), (30, 24, 1, 0.05, 0.01), (20, 30, 2, 0.002, 0.05)]


@pytest.fixture(scope="module")
def reference_problems():
    out = []
    for regularizer in REGULARIZERS:
        for n, m, seed, eps_f, lam_f in CASES:
            a, b, C, labels = _problem(n, m, seed=seed)
            med = np.median(C)
            eps, lam = eps_f * med, lam_f * med
            P_ref = _reference(a, b, C, labels, eps, lam, regularizer)
            out.append((regularizer, a, b, C, labels, eps, lam, P_ref))
    return out


def test_matches_cvxpy_reference(reference_problems):
    tol = 1e-10
    for regularizer, a, b, C, labels, eps, lam, P_ref in reference_problems:
        res = group_sparse_ot(a, b, C, labels, eps, lam, regularizer=regularizer, tol=tol,
                              max_iter=200_000)
        assert res.converged, (regularizer, eps, res.n_iter)
        assert res.method == regularizer
        assert max(res.marginal_error_a, res.marginal_error_b) <= tol
        ref_obj = group_sparse_objective(P_ref, C, labels, eps, lam, regularizer)
        assert abs(res.objective - ref_obj) <= 1e-6 * abs(ref_obj), (regularizer, eps)
        assert np.abs(res.plan - P_ref).max() <= 1e-4 * P_ref.max(), (regularizer, eps)
        # the result's fields are the plan's
        np.testing.assert_allclose(
            res.objective, group_sparse_objective(res.plan, C, labels, eps, lam, regularizer),
            rtol=1e-13)
        np.testing.assert_allclose(res.cost, np.sum(res.plan * C), rtol=1e-13)
        np.testing.assert_allclose(res.marginal_error_a, np.abs(res.plan.sum(1) - a).sum(),
                                   rtol=1e-9, atol=1e-16)
        assert np.all(res.plan >= 0)
    # the small epsilon gives a sparse plan (exact zeros)
    assert (res.plan == 0).mean() > 0.8


def test_group_lasso_plan_is_the_block_threshold_of_the_potentials():
    a, b, C, labels = _problem(seed=3)
    eps, lam = 0.1 * np.median(C), 0.05 * np.median(C)
    res = group_sparse_ot(a, b, C, labels, eps, lam, tol=1e-12, max_iter=100_000)
    assert res.converged
    T = np.maximum(res.f[:, None] + res.g[None, :] - C, 0.0)
    expected = np.zeros_like(T)
    for c in np.unique(labels):
        rows = labels == c
        norms = np.linalg.norm(T[rows], axis=0)
        scale = np.where(norms > lam, 1.0 - lam / np.maximum(norms, 1e-300), 0.0) / eps
        expected[rows] = T[rows] * scale
    np.testing.assert_allclose(res.plan, expected, rtol=0, atol=1e-12 * res.plan.max())
    # whole (class, target) blocks vanish: exact zeros
    blocks = np.stack([res.plan[labels == c].sum(0) for c in np.unique(labels)])
    assert np.any(blocks == 0.0)


def test_sum_of_norms_knn_graph_matches_cvxpy():
    a, b, C, labels = _problem(30, 20, n_classes=2, seed=4)
    med = np.median(C)
    eps, lam = 0.05 * med, 0.02 * med
    P_ref = _reference(a, b, C, labels, eps, lam, "sum_of_norms", n_neighbors=3)
    res = group_sparse_ot(a, b, C, labels, eps, lam, regularizer="sum_of_norms",
                          n_neighbors=3, tol=1e-10, max_iter=200_000)
    assert res.converged
    ref_obj = group_sparse_objective(P_ref, C, labels, eps, lam, "sum_of_norms", n_neighbors=3)
    assert abs(res.objective - ref_obj) <= 1e-6 * ref_obj
    assert np.abs(res.plan - P_ref).max() <= 1e-4 * P_ref.max()
    # fewer pairs than all of them: a different problem (a larger objective with all pairs)
    full = group_sparse_ot(a, b, C, labels, eps, lam, regularizer="sum_of_norms",
                           tol=1e-10, max_iter=200_000)
    assert full.objective > res.objective + 1e-3 * ref_obj
    # n_neighbors at least the class size - 1: all pairs
    same = group_sparse_ot(a, b, C, labels, eps, lam, regularizer="sum_of_norms",
                           n_neighbors=14, tol=1e-10, max_iter=200_000)
    np.testing.assert_array_equal(same.plan, full.plan)


@pytest.mark.parametrize("regularizer", REGULARIZERS)
def test_lam_zero_is_quadratic_ot(regularizer):
    for eps_f in (1.0, 0.02):
        a, b, C, labels = _problem(30, 25, seed=5)
        eps = eps_f * np.median(C)
        res = group_sparse_ot(a, b, C, labels, eps, 0.0, regularizer=regularizer, tol=1e-12,
                              max_iter=100_000)
        free = quadratic_ot(a, b, C, eps, tol=1e-12, max_iter=10_000)
        assert res.converged and free.converged
        np.testing.assert_allclose(res.plan, free.plan, rtol=0, atol=1e-10 * free.plan.max())
        np.testing.assert_array_equal(res.plan > 0, free.plan > 0)
        np.testing.assert_allclose(res.objective, free.objective, rtol=1e-10)


def _mixed_classes(seed, n=30, m=20):
    """Two overlapping source classes, two well separated target clusters: by the cost
    alone each cluster takes the sources on its side, from both classes."""
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1], n // 2)
    X = rng.standard_normal((n, 2))
    X[:, 0] += np.where(labels == 1, 0.5, -0.5)
    Y = 0.5 * rng.standard_normal((m, 2))
    Y[:, 0] += np.where(np.arange(m) < m // 2, -3.0, 3.0)
    Y[:, 1] += 2.0
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1), labels


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_class_structure_is_recovered(seed):
    C, labels = _mixed_classes(seed)
    med = np.median(C)
    eps = 0.1 * med
    # group lasso: purity increases with lam up to columns fed by one class each (exact
    # zeros). (Not monotone in general: at small lam the blocks shrink unevenly.)
    purities = []
    for lam_f in (0.0, 1.0, 10.0):
        res = group_sparse_ot(None, None, C, labels, eps, lam_f * med, tol=1e-8,
                              max_iter=50_000)
        assert res.converged
        purities.append(_purity(res.plan, labels))
    assert purities[0] < 0.95 and purities[0] < purities[1] < purities[2]
    fed = np.stack([res.plan[labels == c].sum(0) > 0 for c in (0, 1)])
    assert np.all(fed.sum(0) == 1)
    # sum of norms: the rows of a class fuse into one transport profile, pure columns
    res = group_sparse_ot(None, None, C, labels, eps, 1.0 * med, regularizer="sum_of_norms",
                          tol=1e-10, max_iter=50_000)
    assert res.converged
    assert _purity(res.plan, labels) > purities[0] + 0.04
    assert _purity(res.plan, labels) > 1 - 1e-9
    for c in (0, 1):
        rows = res.plan[labels == c]
        assert np.abs(rows - rows.mean(0)).max() <= 1e-6 * rows.max()


@pytest.mark.parametrize("regularizer", REGULARIZERS)
def test_invariances(regularizer):
    a, b, C, labels = _problem(24, 18, seed=6)
    med = np.median(C)
    eps, lam = 0.1 * med, 0.03 * med
    kw = dict(regularizer=regularizer, tol=1e-12, max_iter=100_000)
    base = group_sparse_ot(a, b, C, labels, eps, lam, **kw)
    assert base.converged
    atol = 1e-9 * base.plan.max()
    # a constant added to the cost
    shifted = group_sparse_ot(a, b, C + 7.5, labels, eps, lam, **kw)
    np.testing.assert_allclose(shifted.plan, base.plan, rtol=0, atol=atol)
    np.testing.assert_allclose(shifted.objective, base.objective + 7.5 * a.sum(), rtol=1e-10)
    # source points permuted with their labels and weights
    perm = np.random.default_rng(0).permutation(len(a))
    permuted = group_sparse_ot(a[perm], b, C[perm], labels[perm], eps, lam, **kw)
    np.testing.assert_allclose(permuted.plan, base.plan[perm], rtol=0, atol=atol)
    # classes renamed (strings, in another order)
    names = np.array(["zebra", "ant", "moth"])[labels]
    renamed = group_sparse_ot(a, b, C, names, eps, lam, **kw)
    np.testing.assert_allclose(renamed.plan, base.plan, rtol=0, atol=atol)
    objects = group_sparse_ot(a, b, C, list(map(tuple, np.c_[labels, labels])), eps, lam, **kw)
    np.testing.assert_allclose(objects.plan, base.plan, rtol=0, atol=atol)
    # the cost as points
    X = np.random.default_rng(1).standard_normal((6, 2))
    Y = np.random.default_rng(2).standard_normal((5, 2))
    lab = np.array([0, 0, 1, 1, 2, 2])
    Cxy = ((X[:, None] - Y[None]) ** 2).sum(-1)
    by_points = group_sparse_ot(None, None, (X, Y), lab, 0.5, 0.1, **kw)
    by_matrix = group_sparse_ot(None, None, Cxy, lab, 0.5, 0.1, **kw)
    np.testing.assert_allclose(by_points.plan, by_matrix.plan, rtol=0, atol=1e-14)


@pytest.mark.parametrize("regularizer", REGULARIZERS)
def test_zero_mass_points(regularizer):
    a, b, C, labels = _problem(18, 15, seed=7)
    a[[2, 9]] = 0.0
    b[4] = 0.0
    a, b = a / a.sum(), b / b.sum()
    med = np.median(C)
    eps, lam = 0.2 * med, 0.05 * med
    res = group_sparse_ot(a, b, C, labels, eps, lam, regularizer=regularizer, tol=1e-10,
                          max_iter=100_000)
    assert res.converged
    assert np.all(res.plan[[2, 9]] == 0.0) and np.all(res.plan[:, 4] == 0.0)
    assert np.all(np.isfinite(res.f)) and np.all(np.isfinite(res.g))
    # the pairs with an empty row stay in the sum of norms (as ||P_i||)
    P_ref = _reference(a, b, C, labels, eps, lam, regularizer)
    ref_obj = group_sparse_objective(P_ref, C, labels, eps, lam, regularizer)
    assert abs(res.objective - ref_obj) <= 1e-6 * ref_obj
    assert np.abs(res.plan - P_ref).max() <= 1e-4 * P_ref.max()


@pytest.mark.parametrize("regularizer", REGULARIZERS)
def test_tiny_epsilon_stays_finite(regularizer):
    a, b, C, labels = _problem(30, 30, seed=8)
    med = np.median(C)
    with pytest.warns(ConvergenceWarning, match="group_sparse_ot did not reach tol=1e-12"):
        res = group_sparse_ot(a, b, C, labels, 1e-4 * med, 0.01 * med,
                              regularizer=regularizer, tol=1e-12, max_iter=300)
    assert not res.converged and res.n_iter == 300
    for value in (res.plan, res.f, res.g, res.objective, res.cost, res.marginal_error_a,
                  res.marginal_error_b):
        assert np.all(np.isfinite(value))
    assert np.all(res.plan >= 0)


@pytest.mark.parametrize("regularizer", REGULARIZERS)
def test_read_only_inputs(regularizer):
    a, b, C, labels = _problem(12, 10, seed=9)
    C0 = C.copy()
    for arr in (a, b, C, labels):
        arr.setflags(write=False)
    res = group_sparse_ot(a, b, C, labels, 0.3, 0.1, regularizer=regularizer, tol=1e-9)
    assert res.converged
    np.testing.assert_array_equal(C, C0)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(labels=[0, 1, 0]), ValueError, "labels has 3 entries"),
    (dict(labels=np.zeros((6, 2))), ValueError, "labels must be 1-D"),
    (dict(labels=[0.0, 1.0, np.nan, 0.0, 1.0, 0.0]), ValueError, "labels contains NaN"),
    (dict(labels=[0, 1, float("nan"), "a", 1, 0]), ValueError, "labels contains NaN"),
    (dict(labels=[[0], [1], [0], [1], [0], [1]]), ValueError, "labels must be 1-D"),
    (dict(lam=-1.0), ValueError, "lam must be non-negative"),
    (dict(lam=np.inf), ValueError, "lam must be non-negative and finite"),
    (dict(lam="big"), TypeError, "lam must be a number"),
    (dict(regularizer="l1l2"), ValueError, "regularizer must be one of"),
    (dict(n_neighbors=3), ValueError, "n_neighbors applies to regularizer='sum_of_norms'"),
    (dict(regularizer="sum_of_norms", n_neighbors=0), ValueError, "n_neighbors must be"),
    (dict(regularizer="sum_of_norms", n_neighbors=2.5), TypeError, "n_neighbors must be"),
    (dict(epsilon=0.0), ValueError, "epsilon must be positive"),
    (dict(epsilon=-1.0), ValueError, "epsilon must be positive"),
    (dict(tol=0.0), ValueError, "tol must be positive"),
    (dict(max_iter=0), ValueError, "max_iter must be positive"),
    (dict(C=np.ones((5, 4))), ValueError, "labels has 6 entries, the cost has n = 5"),
    (dict(b=np.full(4, 0.5)), ValueError, "same total mass"),
])
def test_bad_inputs(kwargs, error, match):
    args = dict(a=None, b=None, C=np.arange(24.0).reshape(6, 4), labels=[0, 1, 0, 1, 0, 1],
                epsilon=1.0, lam=0.1)
    args.update(kwargs)
    a, b, C, labels = args.pop("a"), args.pop("b"), args.pop("C"), args.pop("labels")
    with pytest.raises(error, match=match):
        group_sparse_ot(a, b, C, labels, **args)
