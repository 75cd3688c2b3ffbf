"""graph_tikhonov and graph_l1: dense closed forms, the cvxpy reference, result fields, warm
starts, convergence warnings and input checks."""

import functools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from skreg import reference as ref
from skreg.graph import GraphResult, graph_l1, graph_tikhonov, grid_laplacian, incidence_matrix

GAP = 1e-5  # relative objective gap against cvxpy (typically ~1e-7)
SHAPES = {"wide": (20, 30), "tall": (40, 12)}


def _problem(shape="wide", seed=0):
    n, p = SHAPES[shape]
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.repeat([0.0, 1.0, -0.5, 0.5], p // 4 + 1)[:p]
    y = X @ w + 1.0 + 0.1 * rng.standard_normal(n)
    sw = rng.uniform(0.5, 2.0, n)
    return X, y, sw


@functools.lru_cache
def _cached_operator(kind, p):
    L = grid_laplacian(p)
    return L if kind == "laplacian" else incidence_matrix(L)


def _operator(kind, p):
    return _cached_operator(kind, p).copy()


def _closed_form(X, y, G, alpha, sw=None, fit_intercept=False):
    """Normal equations of 1/2 sum s_i (y_i - x_i w - b)^2 + alpha/2 ||G w||^2 in (w, b)."""
    n, p = X.shape
    sw = np.ones(n) if sw is None else sw
    Xa = np.c_[X, np.ones(n)] if fit_intercept else X
    Gd = G.toarray() if sp.issparse(G) else np.asarray(G)
    P = np.zeros((Xa.shape[1], Xa.shape[1]))
    P[:p, :p] = Gd.T @ Gd
    theta = np.linalg.solve(Xa.T @ (sw[:, None] * Xa) + alpha * P, Xa.T @ (sw * y))
    return theta[:p], (theta[p] if fit_intercept else 0.0)


def _rel_gap(obj, best):
    return (obj - best) / abs(best)


_REFERENCES = {}


def _reference(shape, kind, alpha, fit_intercept, weighted):
    key = (shape, kind, alpha, fit_intercept, weighted)
    if key not in _REFERENCES:
        X, y, sw = _problem(shape)
        G = _operator(kind, X.shape[1])
        _REFERENCES[key] = ref.graph_regression(
            X, y, G, alpha=alpha, penalty="l1", sample_weight=sw if weighted else None,
            fit_intercept=fit_intercept)
    return _REFERENCES[key]


def _no_warnings(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return func(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# Tikhonov


@pytest.mark.parametrize("shape", ["wide", "tall"])
@pytest.mark.parametrize("kind", ["laplacian", "incidence"])
@pytest.mark.parametrize("fit_intercept, weighted", [(False, False), (True, False),
                                                     (False, True), (True, True)])
@pytest.mark.parametrize("solver", ["direct", "cg"])
@pytest.mark.parametrize("alpha", [0.01, 1.0])
def test_tikhonov_matches_closed_form(shape, kind, fit_intercept, weighted, solver, alpha):
    X, y, sw = _problem(shape)
    G = _operator(kind, X.shape[1])
    s = sw if weighted else None
    res = _no_warnings(graph_tikhonov, X, y, G, alpha, sample_weight=s,
                       fit_intercept=fit_intercept, solver=solver)
    coef, b = _closed_form(X, y, G, alpha, s, fit_intercept)
    np.testing.assert_allclose(res.coef, coef, rtol=1e-7, atol=1e-9)
    assert res.intercept == pytest.approx(b, rel=1e-7, abs=1e-9)
    assert res.solver == solver and res.converged
    obj = ref.graph_objective(X, y, G, res.coef, res.intercept, alpha=alpha, penalty="l2",
                              sample_weight=s)
    assert res.objective == pytest.approx(obj, rel=1e-10)
    r = y - X @ res.coef - res.intercept
    w = np.ones_like(y) if s is None else s
    assert res.residual_norm == pytest.approx(np.sqrt(w @ (r * r)), rel=1e-10)
    if solver == "direct":
        assert res.n_iter == 0
    else:
        assert res.n_iter > 0


@pytest.mark.parametrize("solver", ["direct", "cg"])
def test_tikhonov_sparse_X_and_dense_G(solver):
    X, y, sw = _problem("wide", seed=1)
    L = grid_laplacian(X.shape[1])
    dense = graph_tikhonov(X, y, L, 0.3, sample_weight=sw, fit_intercept=True, solver=solver)
    for Xs in (sp.csr_matrix(X), sp.csc_matrix(X), sp.coo_matrix(X)):
        res = graph_tikhonov(Xs, y, L.toarray(), 0.3, sample_weight=sw, fit_intercept=True,
                             solver=solver)
        np.testing.assert_allclose(res.coef, dense.coef, rtol=1e-8, atol=1e-10)
        assert res.intercept == pytest.approx(dense.intercept, rel=1e-8)


def test_tikhonov_auto_and_docstring_example():
    X = np.eye(5)
    y = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    res = graph_tikhonov(X, y, grid_laplacian(5), alpha=0.1)
    assert isinstance(res, GraphResult) and res.solver == "direct"
    np.testing.assert_allclose(res.coef, _closed_form(X, y, grid_laplacian(5), 0.1)[0])
    # the smoothing is symmetric and preserves the mean of y (L 1 = 0, X = I)
    np.testing.assert_allclose(res.coef, res.coef[::-1], atol=1e-14)
    assert res.coef.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("solver", ["direct", "cg"])
def test_tikhonov_warm_start_same_answer(solver):
    X, y, _ = _problem("tall")
    L = grid_laplacian(X.shape[1])
    cold = graph_tikhonov(X, y, L, 0.5, solver=solver)
    x0 = cold.coef + 0.01
    warm = graph_tikhonov(X, y, L, 0.5, solver=solver, x0=x0)
    np.testing.assert_allclose(warm.coef, cold.coef, rtol=1e-8, atol=1e-10)
    if solver == "cg":
        again = graph_tikhonov(X, y, L, 0.5, solver="cg", x0=cold.coef)
        np.testing.assert_allclose(again.coef, cold.coef, rtol=1e-8, atol=1e-10)


# --------------------------------------------------------------------------------------------
# l1 (ADMM) against cvxpy


@pytest.mark.parametrize("shape", ["wide", "tall"])
@pytest.mark.parametrize("kind", ["laplacian", "incidence"])
@pytest.mark.parametrize("fit_intercept, weighted", [(False, False), (True, False),
                                                     (False, True), (True, True)])
@pytest.mark.parametrize("alpha", [0.02, 0.3, 3.0])
def test_l1_direct_matches_reference(shape, kind, fit_intercept, weighted, alpha):
    X, y, sw = _problem(shape)
    G = _operator(kind, X.shape[1])
    s = sw if weighted else None
    r = _reference(shape, kind, alpha, fit_intercept, weighted)
    res = _no_warnings(graph_l1, X, y, G, alpha, sample_weight=s, fit_intercept=fit_intercept,
                       solver="direct")
    assert res.converged and res.solver == "direct" and res.n_iter > 0
    obj = ref.graph_objective(X, y, G, res.coef, res.intercept, alpha=alpha, penalty="l1",
                              sample_weight=s)
    assert res.objective == pytest.approx(obj, rel=1e-10)
    assert abs(_rel_gap(obj, r.objective)) <= GAP
    if not fit_intercept:
        assert res.intercept == 0.0


@pytest.mark.parametrize("shape", ["wide", "tall"])
@pytest.mark.parametrize("kind", ["laplacian", "incidence"])
@pytest.mark.parametrize("fit_intercept, weighted, sparse, alpha", [
    (False, False, False, 0.3), (True, True, False, 0.3), (False, False, True, 0.3),
    (True, True, True, 0.3), (True, False, False, 3.0), (False, True, True, 3.0)])
@pytest.mark.parametrize("solver", ["cg", "pdhg"])
def test_l1_iterative_matches_reference(shape, kind, fit_intercept, weighted, sparse, alpha,
                                        solver):
    X, y, sw = _problem(shape)
    G = _operator(kind, X.shape[1])
    s = sw if weighted else None
    r = _reference(shape, kind, alpha, fit_intercept, weighted)
    Xs = sp.csc_matrix(X) if sparse else X
    res = _no_warnings(graph_l1, Xs, y, G, alpha, sample_weight=s,
                       fit_intercept=fit_intercept, solver=solver,
                       tol=1e-7 if solver == "cg" else 1e-9, max_iter=100000)
    assert res.converged and res.solver == solver
    obj = ref.graph_objective(X, y, G, res.coef, res.intercept, alpha=alpha, penalty="l1",
                              sample_weight=s)
    assert res.objective == pytest.approx(obj, rel=1e-10)
    assert abs(_rel_gap(obj, r.objective)) <= GAP


@pytest.mark.parametrize("kind", ["laplacian", "incidence"])
def test_l1_sparse_direct_matches_reference(kind):
    X, y, sw = _problem("wide")
    G = _operator(kind, X.shape[1])
    r = _reference("wide", kind, 0.3, True, True)
    res = graph_l1(sp.csr_matrix(X), y, G, 0.3, sample_weight=sw, fit_intercept=True,
                   solver="direct")
    assert abs(_rel_gap(res.objective, r.objective)) <= GAP
    assert res.intercept == pytest.approx(r.intercept, abs=1e-3)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept, weighted", [(False, False), (True, True)])
def test_pdhg_preconditioner_is_the_abs_sums_of_the_design(sparse, fit_intercept, weighted):
    from skreg.graph._solvers import _Design, _Penalty

    X, y, sw = _problem("wide")
    X[X < 0.3] = 0.0  # a sparse pattern, with explicit zeros kept in the CSC copy below
    sw = sw if weighted else np.ones(len(y))
    Xin = sp.csc_matrix(X) if sparse else X
    design = _Design(Xin, y, sw, fit_intercept)
    A = np.sqrt(sw)[:, None] * (X - (sw @ X / sw.sum() if fit_intercept else 0.0))
    rows, cols = design.abs_sums()
    np.testing.assert_allclose(rows, np.abs(A).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(cols, np.abs(A).sum(axis=0), rtol=1e-12)
    G = _operator("incidence", X.shape[1])
    g_rows, g_cols = _Penalty(G).abs_sums()
    np.testing.assert_allclose(g_rows, np.abs(G.toarray()).sum(axis=1))
    np.testing.assert_allclose(g_cols, np.abs(G.toarray()).sum(axis=0))


@pytest.mark.parametrize("sparse", [False, True])
def test_l1_auto_is_pdhg_above_the_direct_limit(monkeypatch, sparse):
    import skreg.graph._solvers as solvers

    X, y, _ = _problem("tall")
    Xin = sp.csr_matrix(X) if sparse else X
    G = _operator("incidence", X.shape[1])
    assert graph_l1(Xin, y, G, 0.5).solver == "direct"
    # dense X: direct up to DIRECT_MAX_FEATURES_ADMM; sparse X: up to PDHG_MIN_FEATURES_SPARSE
    limit = "PDHG_MIN_FEATURES_SPARSE" if sparse else "DIRECT_MAX_FEATURES_ADMM"
    monkeypatch.setattr(solvers, limit, X.shape[1] - 1)
    res = graph_l1(Xin, y, G, 0.5, tol=1e-9, max_iter=100000)
    assert res.solver == "pdhg" and res.converged
    direct = graph_l1(X, y, G, 0.5, solver="direct", tol=1e-10)
    assert abs(_rel_gap(res.objective, direct.objective)) <= GAP


def test_l1_tv_piecewise_constant_docstring_example():
    X = np.eye(6)
    y = np.array([0.0, 0.1, 0.0, 1.0, 1.1, 1.0])
    G = incidence_matrix(grid_laplacian(6))
    res = graph_l1(X, y, G, alpha=0.1)
    r = ref.graph_regression(X, y, G, alpha=0.1, penalty="l1")
    np.testing.assert_allclose(res.coef, r.coef, atol=1e-5)
    np.testing.assert_allclose(res.coef, [0.2 / 3] * 3 + [1.0] * 3, atol=1e-5)


@pytest.mark.parametrize("solver", ["direct", "cg"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_alpha_zero_is_least_squares(solver, fit_intercept):
    X, y, sw = _problem("tall")
    Xa = np.c_[X, np.ones(len(y))] if fit_intercept else X
    sq = np.sqrt(sw)
    theta = np.linalg.lstsq(sq[:, None] * Xa, sq * y, rcond=None)[0]
    G = _operator("laplacian", X.shape[1])
    for func in (graph_tikhonov, graph_l1):
        res = _no_warnings(func, X, y, G, 0.0, sample_weight=sw, fit_intercept=fit_intercept,
                           solver=solver)
        np.testing.assert_allclose(res.coef, theta[: X.shape[1]], rtol=1e-7, atol=1e-9)
        assert res.intercept == pytest.approx(theta[-1] if fit_intercept else 0.0, abs=1e-8)
        assert res.converged
    # no penalty: one least-squares solve
    assert graph_l1(X, y, G, 0.0, solver=solver).n_iter == 1


@pytest.mark.parametrize("solver", ["direct", "cg", "pdhg"])
def test_l1_empty_graph_is_least_squares(solver):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 5))
    y = rng.standard_normal(20)
    res = graph_l1(X, y, np.zeros((3, 5)), 0.5, solver=solver)
    assert res.converged
    np.testing.assert_allclose(res.coef, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-6,
                               atol=1e-8)


@pytest.mark.parametrize("solver", ["direct", "cg", "pdhg"])
def test_l1_warm_start_same_answer(solver):
    X, y, _ = _problem("tall")
    G = _operator("incidence", X.shape[1])
    cold = graph_l1(X, y, G, 1.0, solver=solver, tol=1e-9, max_iter=100000)
    warm = graph_l1(X, y, G, 1.0, solver=solver, tol=1e-9, x0=cold.coef, max_iter=100000)
    np.testing.assert_allclose(warm.coef, cold.coef, rtol=1e-5, atol=1e-6)
    assert warm.objective == pytest.approx(cold.objective, rel=1e-8)
    if solver != "pdhg":  # PDHG's duals restart at zero: x0 alone does not shorten it
        assert warm.n_iter <= cold.n_iter


def test_l1_auto_solver_and_result_fields():
    X, y, sw = _problem("wide")
    G = _operator("laplacian", X.shape[1])
    res = graph_l1(X, y, G, 0.3, sample_weight=sw, fit_intercept=True)
    assert isinstance(res, GraphResult)
    assert res.solver == "direct"
    assert isinstance(res.converged, bool) and res.converged
    assert isinstance(res.n_iter, int) and res.n_iter > 0
    assert isinstance(res.intercept, float)
    r = y - X @ res.coef - res.intercept
    assert res.residual_norm == pytest.approx(np.sqrt(sw @ (r * r)), rel=1e-12)
    obj = ref.graph_objective(X, y, G, res.coef, res.intercept, alpha=0.3, penalty="l1",
                              sample_weight=sw)
    assert res.objective == pytest.approx(obj, rel=1e-12)


def test_sample_weight_equals_repeated_rows():
    X, y, _ = _problem("tall")
    G = _operator("incidence", X.shape[1])
    sw = np.ones(len(y))
    sw[:5] = 2.0
    Xr = np.r_[X, X[:5]]
    yr = np.r_[y, y[:5]]
    for func in (graph_tikhonov, graph_l1):
        a = func(X, y, G, 0.5, sample_weight=sw, fit_intercept=True, solver="direct",
                 tol=1e-10)
        b = func(Xr, yr, G, 0.5, fit_intercept=True, solver="direct", tol=1e-10)
        np.testing.assert_allclose(a.coef, b.coef, rtol=1e-6, atol=1e-7)
        assert a.intercept == pytest.approx(b.intercept, rel=1e-6)


# --------------------------------------------------------------------------------------------
# Convergence warnings


def test_convergence_warnings():
    X, y, _ = _problem("wide")
    G = _operator("laplacian", X.shape[1])
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        res = graph_tikhonov(X, y, G, 1e-3, solver="cg", max_iter=1)
    assert not res.converged and res.n_iter == 1
    for solver in ("direct", "cg", "pdhg"):
        with pytest.warns(ConvergenceWarning, match="max_iter"):
            res = graph_l1(X, y, G, 0.3, solver=solver, max_iter=2)
        assert not res.converged and res.n_iter == 2


# --------------------------------------------------------------------------------------------
# Inputs: never modified, read-only works, errors are clear


@pytest.mark.parametrize("solver, func", [("direct", graph_tikhonov), ("cg", graph_tikhonov),
                                          ("direct", graph_l1), ("cg", graph_l1),
                                          ("pdhg", graph_l1)])
@pytest.mark.parametrize("sparse", [False, True])
def test_inputs_unmodified_and_read_only(solver, func, sparse):
    X, y, sw = _problem("tall")
    X = np.asfortranarray(X)
    G = _operator("incidence", X.shape[1])
    x0 = np.full(X.shape[1], 0.1)
    Xin = sp.csc_matrix(X) if sparse else X
    arrays = [y, sw, x0, G.data, G.indices, G.indptr]
    arrays += [Xin.data, Xin.indices, Xin.indptr] if sparse else [Xin]
    copies = [a.copy() for a in arrays]
    for a in arrays:
        a.setflags(write=False)
    res = func(Xin, y, G, 0.5, sample_weight=sw, fit_intercept=True, solver=solver, x0=x0)
    for a, c in zip(arrays, copies):
        np.testing.assert_array_equal(a, c)
    expected = func(X.copy(), y.copy(), G.copy(), 0.5, sample_weight=sw.copy(),
                    fit_intercept=True, solver=solver, x0=x0.copy())
    np.testing.assert_allclose(res.coef, expected.coef, rtol=1e-10, atol=1e-12)
    assert not np.shares_memory(res.coef, x0)


_X, _Y, _SW = _problem("tall")
_G = grid_laplacian(_X.shape[1])


@pytest.mark.parametrize("func", [graph_tikhonov, graph_l1])
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"alpha": -1.0}, ValueError, "alpha"),
        ({"alpha": np.nan}, ValueError, "alpha"),
        ({"alpha": np.inf}, ValueError, "alpha"),
        ({"alpha": "1"}, ValueError, "alpha"),
        ({"alpha": True}, ValueError, "alpha"),
        ({"tol": 0.0}, ValueError, "tol"),
        ({"tol": -1e-3}, ValueError, "tol"),
        ({"tol": np.nan}, ValueError, "tol"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"max_iter": 2.5}, ValueError, "max_iter"),
        ({"solver": "lsqr"}, ValueError, "solver"),
        ({"solver": "cvxpy"}, ValueError, "solver"),
        ({"solver": "PDHG"}, ValueError, "solver"),
        ({"x0": np.zeros(3)}, ValueError, "x0"),
        ({"x0": np.full(_X.shape[1], np.nan)}, ValueError, "x0"),
        ({"G": grid_laplacian(_X.shape[1] + 1)}, ValueError, "columns"),
        ({"G": np.ones(_X.shape[1])}, ValueError, "2-D"),
        ({"G": np.eye(_X.shape[1]) * np.nan}, ValueError, "NaN"),
        ({"G": np.eye(_X.shape[1]) * 1j}, ValueError, "[Cc]omplex"),
        ({"G": np.array([["a"] * _X.shape[1]])}, TypeError, "numeric"),
        ({"X": _X + 1j}, ValueError, "[Cc]omplex"),
        ({"X": np.r_[_X[:-1], np.full((1, _X.shape[1]), np.nan)]}, ValueError, "NaN"),
        ({"X": sp.lil_matrix(_X)}, TypeError, "lil"),
        ({"y": _Y[:-1]}, ValueError, "inconsistent|samples"),
        ({"y": np.r_[_Y[:-1], np.inf]}, ValueError, "infinity"),
        ({"sample_weight": -_SW}, ValueError, "sample_weight"),
        ({"sample_weight": _SW[:-1]}, ValueError, "sample_weight"),
        ({"fit_intercept": "yes"}, TypeError, "fit_intercept"),
    ],
)
def test_validation_errors(func, kwargs, exc, match):
    args = {"X": _X, "y": _Y, "G": _G, "alpha": 0.5}
    args.update({k: v for k, v in kwargs.items() if k in args})
    rest = {k: v for k, v in kwargs.items() if k not in args}
    with pytest.raises(exc, match=match):
        func(args["X"], args["y"], args["G"], args["alpha"], **rest)


def test_pdhg_is_for_l1_only():
    with pytest.raises(ValueError, match="solver must be 'auto', 'direct' or 'cg'"):
        graph_tikhonov(_X, _Y, _G, 0.5, solver="pdhg")
