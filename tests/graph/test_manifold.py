"""LaplacianRidge (manifold regularization): the cvxpy reference, the supervised special cases
(Ridge, KernelRidge), the semi-supervised benefit and the handling of unlabeled targets."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_moons
from sklearn.exceptions import DataConversionWarning
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import Ridge
from sklearn.metrics.pairwise import rbf_kernel

from skreg import reference as ref
from skreg.graph import LaplacianRidge, knn_laplacian


def _data(n=30, p=5, seed=0, unlabeled_every=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + 2.0 + 0.1 * rng.standard_normal(n)
    y_semi = y.copy()
    if unlabeled_every:
        y_semi[::unlabeled_every] = np.nan
    return X, y, y_semi


def _kernel_matrix(kernel, X, gamma):
    return X @ X.T if kernel == "linear" else rbf_kernel(X, gamma=gamma)


# --------------------------------------------------------------------------------------------
# Reference


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("graph", [("connectivity", False), ("heat", False)])
def test_matches_reference(kernel, fit_intercept, graph):
    X, _, y = _data()
    params = dict(alpha=0.05, manifold_alpha=5.0, kernel=kernel, gamma=0.2, n_neighbors=4,
                  graph_weights=graph[0], normalized_laplacian=graph[1],
                  fit_intercept=fit_intercept)
    est = LaplacianRidge(**params).fit(X, y)
    L = knn_laplacian(X, 4, weights=graph[0], normalized=graph[1])
    np.testing.assert_allclose(est.laplacian_.toarray(), L.toarray())
    K = _kernel_matrix(kernel, X, 0.2)
    r = ref.laplacian_ridge(K, y, L, alpha=0.05, manifold_alpha=5.0,
                            fit_intercept=fit_intercept)
    f_ref = K @ r.coef + r.intercept
    np.testing.assert_allclose(est.predict(X), f_ref, rtol=1e-6, atol=1e-7)
    if kernel == "linear":
        np.testing.assert_allclose(est.coef_, X.T @ r.coef, rtol=1e-6, atol=1e-7)
        assert not hasattr(est, "dual_coef_")
    else:
        obj = ref.laplacian_ridge_objective(K, y, L, est.dual_coef_, est.intercept_,
                                            alpha=0.05, manifold_alpha=5.0)
        assert (obj - r.objective) / r.objective <= 1e-8
        assert not hasattr(est, "coef_")
    if not fit_intercept:
        assert est.intercept_ == 0.0
    assert est.n_labeled_ == int(np.sum(~np.isnan(y)))
    cv = LaplacianRidge(**params, solver="cvxpy").fit(X, y)
    np.testing.assert_allclose(cv.predict(X), f_ref, rtol=1e-10, atol=1e-10)
    assert cv.intercept_ == pytest.approx(r.intercept, abs=1e-10)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weights", ["connectivity", "heat"])
def test_normalized_laplacian_kernel_matches_reference(fit_intercept, weights):
    X, _, y = _data()
    est = LaplacianRidge(alpha=0.05, manifold_alpha=5.0, kernel="rbf", gamma=0.2,
                         n_neighbors=4, graph_weights=weights, normalized_laplacian=True,
                         fit_intercept=fit_intercept).fit(X, y)
    L = knn_laplacian(X, 4, weights=weights, normalized=True)
    np.testing.assert_allclose(est.laplacian_.toarray(), L.toarray())
    K = rbf_kernel(X, gamma=0.2)
    r = ref.laplacian_ridge(K, y, L, alpha=0.05, manifold_alpha=5.0,
                            fit_intercept=fit_intercept)
    np.testing.assert_allclose(est.predict(X), K @ r.coef + r.intercept, rtol=1e-6, atol=1e-7)


def _linear_kernel(x, z):
    return float(np.dot(x, z))


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_normalized_laplacian_linear_primal_matches_dual(fit_intercept):
    X, _, y = _data()
    params = dict(alpha=0.05, manifold_alpha=5.0, n_neighbors=4, graph_weights="heat",
                  normalized_laplacian=True, fit_intercept=fit_intercept)
    primal = LaplacianRidge(kernel="linear", **params).fit(X, y)
    dual = LaplacianRidge(kernel=_linear_kernel, **params).fit(X, y)
    cvx = LaplacianRidge(kernel="linear", solver="cvxpy", **params).fit(X, y)
    sparse = LaplacianRidge(kernel="linear", **params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(dual.predict(X), cvx.predict(X), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(sparse.predict(X), cvx.predict(X), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(primal.predict(X), dual.predict(X), rtol=1e-6, atol=1e-7)


def test_normalized_laplacian_intercept_in_manifold_term():
    X, _, y = _data()
    est = LaplacianRidge(alpha=0.05, manifold_alpha=5.0, kernel="rbf", gamma=0.2,
                         n_neighbors=4, normalized_laplacian=True).fit(X, y)
    K = rbf_kernel(X, gamma=0.2)
    L = est.laplacian_.toarray()
    lab = ~np.isnan(y)
    n = len(y)
    Ka = K @ est.dual_coef_
    f = Ka + est.intercept_
    # the documented objective smooths Ka, never the intercept (L @ 1 != 0 here): its
    # derivatives in b and in a vanish at the fitted (a, b)
    grad_b = -np.sum(y[lab] - f[lab]) / lab.sum()
    assert abs(grad_b) < 1e-8
    resid = np.where(lab, f - np.nan_to_num(y), 0.0)
    grad_a = K @ (resid / lab.sum() + 0.05 * est.dual_coef_ + 5.0 / n**2 * (L @ Ka))
    assert np.max(np.abs(grad_a)) < 1e-8


# --------------------------------------------------------------------------------------------
# Supervised special cases


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_all_labeled_no_manifold_is_ridge(fit_intercept, sparse):
    X, y, _ = _data(unlabeled_every=0)
    n = X.shape[0]
    Xin = sp.csr_matrix(X) if sparse else X
    est = LaplacianRidge(alpha=0.1, manifold_alpha=0.0, fit_intercept=fit_intercept).fit(Xin, y)
    ridge = Ridge(alpha=0.1 * n, fit_intercept=fit_intercept).fit(X, y)
    np.testing.assert_allclose(est.coef_, ridge.coef_, rtol=1e-10, atol=1e-12)
    assert est.intercept_ == pytest.approx(ridge.intercept_, rel=1e-10, abs=1e-12)


def test_labeled_subset_no_manifold_is_ridge_on_labeled():
    """NaN rows only shape the graph: without it they are ignored (1/(2 n_l) scaling)."""
    X, _, y = _data()
    lab = ~np.isnan(y)
    est = LaplacianRidge(alpha=0.1, manifold_alpha=0.0).fit(X, y)
    ridge = Ridge(alpha=0.1 * lab.sum()).fit(X[lab], y[lab])
    np.testing.assert_allclose(est.coef_, ridge.coef_, rtol=1e-10)
    assert est.intercept_ == pytest.approx(ridge.intercept_, rel=1e-10)
    ker = LaplacianRidge(alpha=0.1, manifold_alpha=0.0, kernel="rbf", gamma=0.3,
                         fit_intercept=False).fit(X, y)
    kr = KernelRidge(alpha=0.1 * lab.sum(), kernel="rbf", gamma=0.3).fit(X[lab], y[lab])
    X_new = X[:7] + 0.05
    np.testing.assert_allclose(ker.predict(X_new), kr.predict(X_new), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ker.dual_coef_[~lab], 0.0, atol=1e-9)


def test_all_labeled_no_manifold_is_kernel_ridge():
    X, y, _ = _data(unlabeled_every=0)
    n = X.shape[0]
    est = LaplacianRidge(alpha=0.1, manifold_alpha=0.0, kernel="rbf", gamma=0.2,
                         fit_intercept=False).fit(X, y)
    kr = KernelRidge(alpha=0.1 * n, kernel="rbf", gamma=0.2).fit(X, y)
    np.testing.assert_allclose(est.dual_coef_, kr.dual_coef_, rtol=1e-9, atol=1e-12)
    X_new = np.random.default_rng(5).standard_normal((6, X.shape[1]))
    np.testing.assert_allclose(est.predict(X_new), kr.predict(X_new), rtol=1e-9, atol=1e-12)
    # with an intercept: b is the mean residual and a is kernel ridge on y - b
    est = LaplacianRidge(alpha=0.1, manifold_alpha=0.0, kernel="rbf", gamma=0.2).fit(X, y)
    b = est.intercept_
    kr = KernelRidge(alpha=0.1 * n, kernel="rbf", gamma=0.2).fit(X, y - b)
    np.testing.assert_allclose(est.dual_coef_, kr.dual_coef_, rtol=1e-8, atol=1e-10)
    K = rbf_kernel(X, gamma=0.2)
    assert b == pytest.approx(np.mean(y - K @ est.dual_coef_), rel=1e-10)
    assert abs(b) > 0.5  # y has a mean of about 2: the intercept carries it


def test_linear_kernel_paths_agree():
    """kernel="linear": the primal solve and the dual (kernel) solve are the same model."""
    X, _, y = _data(n=20, p=30)  # p > n
    primal = LaplacianRidge(alpha=0.05, manifold_alpha=3.0, n_neighbors=3).fit(X, y)
    dual = LaplacianRidge(alpha=0.05, manifold_alpha=3.0, n_neighbors=3, kernel="linear",
                          solver="cvxpy").fit(X, y)
    np.testing.assert_allclose(primal.coef_, dual.coef_, rtol=1e-6, atol=1e-8)
    assert primal.intercept_ == pytest.approx(dual.intercept_, rel=1e-6)


# --------------------------------------------------------------------------------------------
# Semi-supervised benefit


def test_two_moons_few_labels():
    X, labels = make_moons(100, noise=0.05, random_state=0)
    y = labels.astype(float)
    seen = np.r_[np.flatnonzero(labels == 0)[:2], np.flatnonzero(labels == 1)[:2]]
    y_semi = np.full(100, np.nan)
    y_semi[seen] = y[seen]
    unl = np.isnan(y_semi)

    def errors(manifold_alpha, kernel):
        est = LaplacianRidge(alpha=1e-3, manifold_alpha=manifold_alpha, kernel=kernel,
                             gamma=1.0, n_neighbors=5).fit(X, y_semi)
        pred = est.predict(X[unl])
        return np.mean((pred - y[unl]) ** 2), np.mean((pred > 0.5) == labels[unl])

    mse_sup, acc_sup = errors(0.0, "rbf")
    mse_semi, acc_semi = errors(100.0, "rbf")
    assert mse_semi < 0.5 * mse_sup
    assert acc_semi > acc_sup and acc_semi >= 0.95
    # the linear model cannot separate the moons, but the graph still helps it
    assert errors(100.0, "linear")[0] < errors(0.0, "linear")[0]


# --------------------------------------------------------------------------------------------
# Inputs


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_sparse_equals_dense(kernel):
    X, _, y = _data()
    X[np.abs(X) < 0.5] = 0.0
    dense = LaplacianRidge(alpha=0.1, manifold_alpha=2.0, kernel=kernel, gamma=0.3,
                           n_neighbors=4).fit(X, y)
    for fmt in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        est = LaplacianRidge(alpha=0.1, manifold_alpha=2.0, kernel=kernel, gamma=0.3,
                             n_neighbors=4).fit(fmt(X), y)
        np.testing.assert_allclose(est.predict(fmt(X)), dense.predict(X), rtol=1e-9,
                                   atol=1e-12)
        assert est.intercept_ == pytest.approx(dense.intercept_, rel=1e-9)


def test_kernel_predict_uses_training_samples():
    X, _, y = _data()
    est = LaplacianRidge(alpha=0.1, manifold_alpha=2.0, kernel="rbf", gamma=0.3).fit(X, y)
    assert est.X_fit_.shape == X.shape  # labeled and unlabeled samples
    np.testing.assert_array_equal(est.X_fit_, X)
    X_new = np.random.default_rng(9).standard_normal((8, X.shape[1]))
    expected = rbf_kernel(X_new, X, gamma=0.3) @ est.dual_coef_ + est.intercept_
    np.testing.assert_allclose(est.predict(X_new), expected, rtol=1e-12)
    # a callable kernel with kernel_params is the same model
    def rbf(x, z, gamma):  # a callable kernel is called on pairs of samples
        return float(np.exp(-gamma * np.sum((x - z) ** 2)))

    call = LaplacianRidge(alpha=0.1, manifold_alpha=2.0, kernel=rbf,
                          kernel_params={"gamma": 0.3}).fit(X, y)
    np.testing.assert_allclose(call.predict(X_new), est.predict(X_new), rtol=1e-12)
    with pytest.raises(ValueError, match="features"):
        est.predict(X_new[:, :2])


def test_inputs_unmodified():
    X, _, y = _data()
    X.setflags(write=False)
    y.setflags(write=False)
    X_copy, y_copy = X.copy(), y.copy()
    LaplacianRidge(kernel="rbf").fit(X, y)
    LaplacianRidge().fit(X, y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_column_vector_y_warns():
    X, _, y = _data()
    with pytest.warns(DataConversionWarning):
        est = LaplacianRidge().fit(X, y[:, None])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flat = LaplacianRidge().fit(X, y)
    np.testing.assert_allclose(est.coef_, flat.coef_)


@pytest.mark.parametrize(
    "y_bad, match",
    [
        (lambda y: np.where(np.arange(len(y)) == 1, np.inf, y), "infinity"),
        (lambda y: np.where(np.arange(len(y)) == 1, -np.inf, y), "infinity"),
        (lambda y: np.full(len(y), np.nan), "no labeled"),
        (lambda y: y[:-1], "samples|inconsistent"),
        (lambda y: np.c_[y, y], "1-D|shape"),
        (lambda y: None, "requires y"),
        (lambda y: np.array(["a"] * len(y)), "numeric"),
    ],
)
def test_bad_y_raises(y_bad, match):
    X, _, y = _data()
    with pytest.raises(ValueError, match=match):
        LaplacianRidge().fit(X, y_bad(y))


def test_complex_y_raises():
    X, _, y = _data()
    with pytest.raises(ValueError, match="[Cc]omplex"):
        LaplacianRidge().fit(X, y + 1j)


@pytest.mark.parametrize(
    "params, exc, match",
    [
        ({"alpha": -1.0}, ValueError, "alpha"),
        ({"alpha": np.inf}, ValueError, "alpha"),
        ({"manifold_alpha": -0.1}, ValueError, "manifold_alpha"),
        ({"manifold_alpha": np.nan}, ValueError, "manifold_alpha"),
        ({"n_neighbors": 0}, ValueError, "n_neighbors"),
        ({"kernel": "gauss"}, ValueError, "kernel"),
        ({"graph_weights": "gauss"}, ValueError, "weights"),
        ({"fit_intercept": "yes"}, TypeError, "fit_intercept"),
        ({"normalized_laplacian": 1}, TypeError, "normalized_laplacian"),
        ({"solver": "direct"}, ValueError, "solver"),
    ],
)
def test_parameter_errors(params, exc, match):
    X, _, y = _data()
    with pytest.raises(exc, match=match):
        LaplacianRidge(**params).fit(X, y)


def test_bad_X_raises():
    X, _, y = _data()
    with pytest.raises(ValueError, match="[Cc]omplex"):
        LaplacianRidge().fit(X + 1j, y)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LaplacianRidge().fit(Xn, y)
    with pytest.raises(TypeError, match="lil"):
        LaplacianRidge().fit(sp.lil_matrix(X), y)
