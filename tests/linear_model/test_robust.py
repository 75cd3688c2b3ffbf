"""SqrtLasso, LADLasso, QuantileLasso, their paths and CV: exactness against the references."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import QuantileRegressor

from skreg import (
    LADLasso,
    LADLassoCV,
    QuantileLasso,
    SqrtLasso,
    SqrtLassoCV,
    lad_lasso_path,
    pivotal_alpha,
    sqrt_lasso_path,
)
from skreg import reference as ref
from skreg.datasets import make_correlated_regression, make_sparse_regression

GAP = 1e-6  # the bar: relative objective gap against the references


def _data(kind, seed=0, outliers=False):
    """Small problems of the shapes that matter: p >> n, n >> p, correlated columns."""
    n, p, rho = {"wide": (40, 120, 0.3), "tall": (150, 12, 0.3), "corr": (60, 40, 0.9)}[kind]
    X, y, _ = make_correlated_regression(n, p, rho=rho, n_informative=4, snr=5.0,
                                         random_state=seed)
    y = y.copy()
    if outliers:
        rng = np.random.default_rng(seed)
        idx = rng.choice(n, size=n // 10, replace=False)
        y[idx] += 100.0 * rng.choice([-1.0, 1.0], size=idx.size)
    return X, y


def _sqrt_max(X, y, fit_intercept=True):
    yc = y - y.mean() if fit_intercept else y
    Xc = X - X.mean(axis=0) if fit_intercept else X
    return np.max(np.abs(Xc.T @ yc)) / (np.sqrt(len(y)) * np.linalg.norm(yc))


def _lad_max(X, y):
    return np.max(np.abs(X.T @ np.sign(y - np.median(y)))) / len(y)


def _quiet_fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return est.fit(X, y, **kw)


def _rel(obj, best):
    return (obj - best) / abs(best)


# --------------------------------------------------------------------------------------------
# SqrtLasso


@pytest.mark.parametrize("kind", ["wide", "tall", "corr"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("frac", [0.5, 0.1])
def test_sqrt_lasso_matches_reference(kind, fit_intercept, frac):
    X, y = _data(kind)
    alpha = frac * _sqrt_max(X, y, fit_intercept)
    est = _quiet_fit(SqrtLasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-8), X, y)
    r = ref.sqrt_lasso(X, y, alpha=alpha, fit_intercept=fit_intercept)
    obj = ref.sqrt_lasso_objective(X, y, est.coef_, est.intercept_, alpha=alpha)
    assert _rel(obj, r.objective) <= GAP
    gap = ref.relative_duality_gap("sqrt_lasso", X, y, est.coef_, est.intercept_,
                                   alpha=alpha, fit_intercept=fit_intercept)
    assert gap <= 1e-7
    resid = y - X @ est.coef_ - est.intercept_
    assert est.sigma_ == pytest.approx(np.linalg.norm(resid) / np.sqrt(len(y)), rel=1e-12)
    assert est.alpha_ == alpha


@pytest.mark.parametrize("options", [
    dict(sample_weight=True), dict(weights=True), dict(positive=True), dict(sparse=True),
    dict(sample_weight=True, weights=True, positive=True, sparse=True),
])
def test_sqrt_lasso_options_match_reference(options):
    X, y = _data("wide", seed=1)
    rng = np.random.default_rng(1)
    sw = rng.integers(0, 4, size=len(y)).astype(float) if options.get("sample_weight") else None
    v = rng.uniform(0.0, 2.0, size=X.shape[1]) if options.get("weights") else None
    if v is not None:
        v[:3] = 0.0  # unpenalized features
    Xf = sp.csc_matrix(X) if options.get("sparse") else X
    # 0.5 alpha_max: with 3 unpenalized features and 40 samples, smaller alphas put the
    # support within a few features of the sample size, where certifying 1e-8 takes more
    # than the default max_iter (near-interpolating fits are ill-conditioned)
    alpha = 0.5 * _sqrt_max(X, y)
    positive = bool(options.get("positive"))
    est = _quiet_fit(SqrtLasso(alpha=alpha, weights=v, positive=positive, tol=1e-8), Xf, y,
                     sample_weight=sw)
    r = ref.sqrt_lasso(X, y, alpha=alpha, sample_weight=sw, weights=v, positive=positive)
    obj = ref.sqrt_lasso_objective(X, y, est.coef_, est.intercept_, alpha=alpha,
                                   sample_weight=sw, weights=v)
    assert _rel(obj, r.objective) <= GAP
    if positive:
        assert np.all(est.coef_ >= 0)
    # sigma_ is the weighted residual RMS of the returned coefficients
    s = np.ones(len(y)) if sw is None else sw
    resid = y - X @ est.coef_ - est.intercept_
    assert est.sigma_ == pytest.approx(np.sqrt(s @ resid ** 2 / s.sum()), rel=1e-10)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sqrt_lasso_interpolation(fit_intercept):
    # p > n and a small alpha: the optimum interpolates (residual 0), no division by zero
    X, y = _data("wide", seed=2)
    alpha = 0.02 * _sqrt_max(X, y, fit_intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = SqrtLasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-8).fit(X, y)
    assert est.sigma_ <= 1e-8 * np.std(y)
    r = ref.sqrt_lasso(X, y, alpha=alpha, fit_intercept=fit_intercept)
    obj = ref.sqrt_lasso_objective(X, y, est.coef_, est.intercept_, alpha=alpha)
    assert _rel(obj, r.objective) <= GAP
    # at most n non-negligible coefficients (the interpolant comes from an interior point:
    # a few ~1e-9 residues may remain when zeroing them would cost the certificate)
    big = np.abs(est.coef_) > 1e-6 * np.max(np.abs(est.coef_))
    assert np.count_nonzero(big) <= len(y)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_interpolant_from_a_support_equals_the_cold_one(fit_intercept):
    """The minimum-l1 interpolant starts its working set from the current iterate's support
    (rounds saved on p >> n): same point and certificate as from the empty set."""
    from skreg.linear_model._problem import QuadraticProblem
    from skreg.linear_model._sqrt import _interpolant

    X, y = _data("wide", seed=2)
    alpha = 0.02 * _sqrt_max(X, y, fit_intercept)
    problem = QuadraticProblem(X, y, np.ones(len(y)), fit_intercept)
    v = np.ones(X.shape[1])
    cold = _interpolant(problem, X, y, alpha, v, False, 1000, 1e-8)
    start = np.zeros(X.shape[1])
    start[np.argsort(-np.abs(cold[0]))[:10]] = 1.0  # part of the support, and a stray one
    start[np.argmin(np.abs(cold[0]))] = 1.0
    warm = _interpolant(problem, X, y, alpha, v, False, 1000, 1e-8, start)
    l1_cold, l1_warm = np.abs(cold[0]).sum(), np.abs(warm[0]).sum()
    assert l1_warm == pytest.approx(l1_cold, rel=1e-8)
    # interpolates: the centred residual r + s (s = mu^T w, the intercept's share) vanishes
    assert np.max(np.abs(warm[1] + warm[2])) <= 1e-8 * np.max(np.abs(problem.z))
    # each dual value certifies its point (the dual points may differ: not unique)
    for w, r, s, dual in (cold, warm):
        primal = np.sqrt(np.mean((r + s) ** 2)) + alpha * np.abs(w).sum()
        assert 0.0 <= primal - dual <= 1e-5 * primal


def test_sqrt_lasso_is_the_lasso_at_alpha_sigma():
    # concomitant characterization: w solves the Lasso at alpha * sigma
    X, y = _data("tall", seed=3)
    alpha = 0.2 * _sqrt_max(X, y)
    est = _quiet_fit(SqrtLasso(alpha=alpha, tol=1e-10), X, y)
    lasso = ref.enet(X, y, alpha=alpha * est.sigma_)
    np.testing.assert_allclose(est.coef_, lasso.coef, atol=1e-7)


def test_pivotal_alpha():
    n, p = 200, 1000
    from scipy.stats import norm

    expected = 1.1 * norm.ppf(1 - 0.05 / (2 * p)) / np.sqrt(n)
    assert pivotal_alpha(n, p) == pytest.approx(expected, rel=1e-12)
    # about 1.1 sqrt(2 log p / n): within 10% at these sizes
    assert pivotal_alpha(n, p) == pytest.approx(1.1 * np.sqrt(2 * np.log(p) / n), rel=0.1)
    X, y = _data("tall")
    assert SqrtLasso().fit(X, y).alpha_ == pivotal_alpha(*X.shape)
    with pytest.raises(TypeError, match="pivotal"):
        SqrtLasso(alpha="oracle").fit(X, y)
    with pytest.raises(ValueError, match="level"):
        pivotal_alpha(10, 10, level=1.5)


def test_sqrt_lasso_scale_free():
    # the objective is 1-homogeneous: scaling y scales w and keeps the support
    X, y = _data("tall", seed=4)
    a = SqrtLasso(alpha=0.2 * _sqrt_max(X, y), tol=1e-10).fit(X, y)
    b = SqrtLasso(alpha=0.2 * _sqrt_max(X, y), tol=1e-10).fit(X, 1000.0 * y)
    np.testing.assert_allclose(b.coef_, 1000.0 * a.coef_, rtol=1e-6, atol=1e-9)
    assert b.sigma_ == pytest.approx(1000.0 * a.sigma_, rel=1e-8)


# --------------------------------------------------------------------------------------------
# LADLasso and QuantileLasso


@pytest.mark.parametrize("kind", ["wide", "tall", "corr"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("frac", [0.5, 0.1])
def test_lad_lasso_matches_references(kind, fit_intercept, frac):
    X, y = _data(kind, outliers=True)
    alpha = frac * _lad_max(X, y)
    est = _quiet_fit(LADLasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-8), X, y)
    obj = ref.lad_objective(X, y, est.coef_, est.intercept_, alpha=alpha)
    r = ref.lad_lasso(X, y, alpha=alpha, fit_intercept=fit_intercept)
    assert _rel(obj, r.objective) <= GAP
    # scikit-learn's exact LP: QuantileRegressor minimizes the pinball mean + alpha ||w||_1
    qr = QuantileRegressor(quantile=0.5, alpha=alpha / 2, fit_intercept=fit_intercept,
                           solver="highs").fit(X, y)
    obj_qr = ref.lad_objective(X, y, qr.coef_, qr.intercept_, alpha=alpha)
    assert _rel(obj, obj_qr) <= GAP
    gap = ref.relative_duality_gap("lad", X, y, est.coef_, est.intercept_, alpha=alpha,
                                   fit_intercept=fit_intercept)
    assert gap <= 1e-7
    assert est.dual_gap_ <= 1e-8 * ref.lad_null_objective(y, fit_intercept=fit_intercept)


@pytest.mark.parametrize("options", [
    dict(sample_weight=True), dict(weights=True), dict(positive=True), dict(sparse=True),
    dict(sample_weight=True, weights=True, positive=True, sparse=True),
])
def test_lad_lasso_options_match_reference(options):
    X, y = _data("wide", seed=5, outliers=True)
    rng = np.random.default_rng(5)
    sw = rng.integers(0, 4, size=len(y)).astype(float) if options.get("sample_weight") else None
    v = rng.uniform(0.0, 2.0, size=X.shape[1]) if options.get("weights") else None
    if v is not None:
        v[:3] = 0.0
    Xf = sp.csc_matrix(X) if options.get("sparse") else X
    alpha = 0.3 * _lad_max(X, y)
    positive = bool(options.get("positive"))
    est = _quiet_fit(LADLasso(alpha=alpha, weights=v, positive=positive, tol=1e-8), Xf, y,
                     sample_weight=sw)
    r = ref.lad_lasso(X, y, alpha=alpha, sample_weight=sw, weights=v, positive=positive)
    obj = ref.lad_objective(X, y, est.coef_, est.intercept_, alpha=alpha, sample_weight=sw,
                            weights=v)
    assert _rel(obj, r.objective) <= GAP
    if positive:
        assert np.all(est.coef_ >= 0)


@pytest.mark.parametrize("frac", [0.3, 0.05])
def test_lad_lasso_on_a_sparse_design_matches_references(frac):
    # a genuinely sparse design: the interior point accumulates its normal matrix over the
    # non-zeros (the dense-data CSC case above takes the BLAS form)
    X, y, _ = make_sparse_regression(80, 300, density=0.03, n_informative=5, snr=5.0,
                                     random_state=3)
    y = y.copy()
    y[::10] += 100.0
    alpha = frac * _lad_max(X.toarray(), y)
    est = _quiet_fit(LADLasso(alpha=alpha, tol=1e-8), X, y)
    obj = ref.lad_objective(X.toarray(), y, est.coef_, est.intercept_, alpha=alpha)
    assert _rel(obj, ref.lad_lasso(X.toarray(), y, alpha=alpha).objective) <= GAP
    qr = QuantileRegressor(quantile=0.5, alpha=alpha / 2, solver="highs").fit(X, y)
    assert _rel(obj, ref.lad_objective(X.toarray(), y, qr.coef_, qr.intercept_,
                                       alpha=alpha)) <= GAP
    dense = _quiet_fit(LADLasso(alpha=alpha, tol=1e-8), X.toarray(), y)
    assert abs(_rel(obj, ref.lad_objective(X.toarray(), y, dense.coef_, dense.intercept_,
                                           alpha=alpha))) <= GAP


def _programs_seen(monkeypatch, primal_fails=False):
    """Record the working-set sizes of the LAD programs and the form that solved each;
    with ``primal_fails``, the primal form reports failure on every program."""
    from skreg.linear_model import _quantile

    seen = []
    primal, dual = _quantile.quantile_ipm_primal, _quantile.quantile_ipm

    def primal_kernel(*args):
        out = primal(*args)
        seen.append(("primal", args[0].shape[1], out[4] and not primal_fails))
        return (*out[:4], False) if primal_fails else out

    def dual_kernel(*args):
        seen.append(("dual", args[0].shape[1], True))
        return dual(*args)

    monkeypatch.setattr(_quantile, "quantile_ipm_primal", primal_kernel)
    monkeypatch.setattr(_quantile, "quantile_ipm", dual_kernel)
    return seen


@pytest.mark.parametrize("primal_fails", [False, True])
def test_lad_lasso_near_interpolation_solves_the_whole_program(monkeypatch, primal_fails):
    # p >> n at a small alpha: the support nears n, the working sets pass n columns and the
    # program is solved with every feature at once, in the primal form; when that form
    # fails, the regular working sets (in the dual form) finish the job
    X, y = _data("wide", seed=2, outliers=True)
    n, p = X.shape
    alpha = 0.05 * _lad_max(X, y)
    seen = _programs_seen(monkeypatch, primal_fails)
    est = _quiet_fit(LADLasso(alpha=alpha, tol=1e-8), X, y)
    whole = [s for s in seen if s[1] == p + 1]  # every feature and the intercept
    assert whole and whole[0][0] == "primal"
    if primal_fails:
        assert len(whole) == 1  # not retried in the dual form at full size
        assert any(form == "dual" and k > n for form, k, _ in seen)
    else:
        assert whole[0][2]
    obj = ref.lad_objective(X, y, est.coef_, est.intercept_, alpha=alpha)
    assert _rel(obj, ref.lad_lasso(X, y, alpha=alpha).objective) <= GAP
    qr = QuantileRegressor(quantile=0.5, alpha=alpha / 2, solver="highs").fit(X, y)
    assert _rel(obj, ref.lad_objective(X, y, qr.coef_, qr.intercept_, alpha=alpha)) <= GAP
    assert ref.relative_duality_gap("lad", X, y, est.coef_, est.intercept_,
                                    alpha=alpha) <= 1e-7


def test_primal_form_blas_threads_follow_the_task_threads(monkeypatch):
    # a primal program large enough for BLAS threads gets them only when its task has more
    # than one thread: not after set_num_threads(1), nor in the threads of a parallel CV
    from contextlib import contextmanager

    import skreg
    from skreg import _config
    from skreg.linear_model import _quantile

    if skreg.get_num_threads() < 2:
        pytest.skip("one thread: BLAS is single-threaded either way")
    X, y, _ = make_correlated_regression(100, 1000, rho=0.3, n_informative=4, snr=5.0,
                                         random_state=0)
    alpha = 0.05 * _lad_max(X, y)
    limited = []  # whether each kernel call ran inside the single-threaded BLAS block
    inside = [False]
    limit = _quantile._single_threaded_blas

    @contextmanager
    def recording():
        with limit():
            inside[0] = True
            try:
                yield
            finally:
                inside[0] = False

    monkeypatch.setattr(_quantile, "_single_threaded_blas", recording)
    seen = _programs_seen(monkeypatch)
    for name in ("quantile_ipm", "quantile_ipm_primal"):
        kernel = getattr(_quantile, name)

        def watched(*args, kernel=kernel):
            limited.append(inside[0])
            return kernel(*args)

        monkeypatch.setattr(_quantile, name, watched)
    fits = {}
    # the setting is restored at teardown (set_num_threads(previous) would leave a user
    # setting behind where there was none, and the dask tests read it)
    monkeypatch.setattr(_config, "_user_num_threads", _config._user_num_threads)
    for n_threads in (2, 1):
        limited.clear()
        seen.clear()
        skreg.set_num_threads(n_threads)
        fits[n_threads] = _quiet_fit(LADLasso(alpha=alpha, tol=1e-8), X, y)
        big = [form == "primal" and 100 * 100 * k >= 1e7 for form, k, _ in seen]
        assert any(big)  # the whole program (1001 columns) in the primal form
        expected = [not b if n_threads == 2 else True for b in big]
        assert limited == expected
    np.testing.assert_allclose(fits[1].coef_, fits[2].coef_, atol=1e-9)


@pytest.mark.parametrize("tau", [0.1, 0.3, 0.8])
def test_quantile_lasso_matches_quantile_regressor(tau):
    X, y = _data("tall", seed=6, outliers=True)
    alpha = 0.05
    est = _quiet_fit(QuantileLasso(quantile=tau, alpha=alpha, tol=1e-8), X, y)
    qr = QuantileRegressor(quantile=tau, alpha=alpha, solver="highs").fit(X, y)
    obj = ref.quantile_objective(X, y, est.coef_, est.intercept_, alpha=alpha, quantile=tau)
    obj_qr = ref.quantile_objective(X, y, qr.coef_, qr.intercept_, alpha=alpha, quantile=tau)
    assert _rel(obj, obj_qr) <= GAP


def test_lad_is_twice_the_median_lasso():
    X, y = _data("wide", seed=7, outliers=True)
    alpha = 0.2 * _lad_max(X, y)
    lad = LADLasso(alpha=alpha, tol=1e-9).fit(X, y)
    med = QuantileLasso(quantile=0.5, alpha=alpha / 2, tol=1e-9).fit(X, y)
    np.testing.assert_allclose(lad.coef_, med.coef_, atol=1e-7)
    assert lad.dual_gap_ == pytest.approx(2 * med.dual_gap_, rel=1e-6, abs=1e-12)


def test_lad_lasso_exact_zeros_and_outlier_robustness():
    X, y = _data("tall", seed=8, outliers=True)
    clean = _data("tall", seed=8)[1]
    alpha = 0.05 * _lad_max(X, clean)
    est = LADLasso(alpha=alpha).fit(X, y)
    est_clean = LADLasso(alpha=alpha).fit(X, clean)
    # zeros are exact (no interior-point residue) and the outliers barely move the fit
    assert np.all((est.coef_ == 0) | (np.abs(est.coef_) > 1e-6))
    assert np.linalg.norm(est.coef_ - est_clean.coef_) < 0.2 * np.linalg.norm(est_clean.coef_)


def test_quantile_lasso_bad_quantile():
    X, y = _data("tall")
    for tau in (0.0, 1.0, -0.2):
        with pytest.raises(ValueError, match="quantile"):
            QuantileLasso(quantile=tau).fit(X, y)
    with pytest.raises(ValueError, match="solver"):
        LADLasso(solver="cd").fit(X, y)


# --------------------------------------------------------------------------------------------
# shared behaviour


@pytest.mark.parametrize("Est", [SqrtLasso, LADLasso])
def test_cvxpy_solver_agrees(Est):
    X, y = _data("wide", seed=9, outliers=Est is LADLasso)
    alpha = 0.3 * (_sqrt_max(X, y) if Est is SqrtLasso else _lad_max(X, y))
    fast = Est(alpha=alpha, tol=1e-9).fit(X, y)
    slow = Est(alpha=alpha, solver="cvxpy").fit(X, y)
    np.testing.assert_allclose(fast.predict(X), slow.predict(X), atol=1e-5 * np.std(y))
    assert slow.dual_gap_ <= 1e-6


@pytest.mark.parametrize("Est", [SqrtLasso, LADLasso])
def test_warm_start(Est):
    X, y = _data("wide", seed=10, outliers=Est is LADLasso)
    alpha = 0.3 * (_sqrt_max(X, y) if Est is SqrtLasso else _lad_max(X, y))
    cold = Est(alpha=alpha, tol=1e-8).fit(X, y)
    est = Est(alpha=alpha, tol=1e-8, warm_start=True).fit(X, y)
    est.fit(X, y)
    np.testing.assert_allclose(est.coef_, cold.coef_, atol=1e-6)
    assert est.n_iter_ <= cold.n_iter_


# --------------------------------------------------------------------------------------------
# paths and CV


@pytest.mark.parametrize("path, model", [(sqrt_lasso_path, "sqrt_lasso"),
                                         (lad_lasso_path, "lad")])
def test_paths_are_certified_and_parallel_equal(path, model):
    X, y = _data("wide", seed=11, outliers=model == "lad")
    alphas, coefs, gaps, n_iters, intercepts = path(
        X, y, n_alphas=8, eps=0.05, tol=1e-8, return_n_iter=True, return_intercept=True)
    assert alphas.shape == (8,) and coefs.shape == (X.shape[1], 8)
    assert np.all(np.diff(alphas) < 0)
    assert np.all(coefs[:, 0] == 0)  # alpha_max
    assert np.count_nonzero(coefs[:, -1]) > 0
    for k in range(8):
        gap = ref.relative_duality_gap(model, X, y, coefs[:, k], intercepts[k],
                                       alpha=alphas[k])
        assert gap <= 1e-6
    par = path(X, y, alphas=alphas, tol=1e-8, n_jobs=2)
    np.testing.assert_allclose(par[1], coefs, atol=1e-6)


def test_sqrt_lasso_path_into_interpolation_has_exact_zeros_and_reference_certificates():
    # p >> n and alpha down to 0.01 alpha_max: the optimum interpolates (sigma = 0) along the
    # second half of the path; the minimum-l1 interpolant has at most n - 1 non-zeros here
    # (centred data), without the interior point's residue (which left up to 65 non-zeros,
    # and made the reference's certificate, built on the support, 2.6e-3)
    X, y, _ = make_correlated_regression(40, 200, rho=0.5, snr=3.0, random_state=0)
    X = np.asfortranarray(X - X.mean(axis=0))
    y = y - y.mean()
    alphas = _sqrt_max(X, y, fit_intercept=False) * np.logspace(0, -2, 30)
    _, coefs, gaps = sqrt_lasso_path(X, y, alphas=alphas, tol=1e-6, fit_intercept=False,
                                     max_iter=100_000)
    assert np.all(np.count_nonzero(coefs, axis=0) <= X.shape[0] - 1)
    assert np.count_nonzero(coefs[:, -1]) == X.shape[0] - 1  # interpolating
    for k in range(alphas.size):
        gap = ref.relative_duality_gap("sqrt_lasso", X, y, coefs[:, k], 0.0, alpha=alphas[k],
                                       fit_intercept=False)
        assert gap <= GAP


def test_sqrt_lasso_warm_start_tightens_a_lasso_already_within_budget():
    # a fold of SqrtLassoCV's 5000 x 500 benchmark, warm-started from the path's previous
    # alpha: the first Lasso step met its budget with one feature's dual constraint violated
    # by 0.2% (the certificate's bottleneck), and the next 99 scale steps repeated that
    # point without an epoch, ending unconverged at a 2e-3 gap
    X, y, _ = make_correlated_regression(5000, 500, rho=0.5, snr=3.0, random_state=0)
    alphas = _sqrt_max(X, y) * np.logspace(0, -2, 30)  # SqrtLassoCV's grid on all the data
    train = np.r_[0:2000, 3000:5000]
    X, y = np.asfortranarray(X[train]), y[train]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        _, coefs, gaps, n_iters = sqrt_lasso_path(X, y, alphas=alphas, tol=1e-5,
                                                  max_iter=100_000, return_n_iter=True)
    null = ref.sqrt_lasso_null_objective(y)
    assert np.all(gaps <= 1e-5 * null)
    assert np.all(n_iters < 1000)


@pytest.mark.parametrize("Est, attr", [(SqrtLassoCV, "mse_path_"), (LADLassoCV, "mae_path_")])
def test_cv(Est, attr):
    X, y = _data("tall", seed=12, outliers=Est is LADLassoCV)
    est = Est(n_alphas=10, cv=3).fit(X, y)
    assert getattr(est, attr).shape == (10, 3)
    assert est.alpha_ in est.alphas_
    assert est.alpha_ < est.alphas_[0]
    assert np.count_nonzero(est.coef_) > 0
    mean = getattr(est, attr).mean(axis=1)
    assert est.alpha_ == est.alphas_[np.argmin(mean)]
    par = Est(n_alphas=10, cv=3, n_jobs=2).fit(X, y)
    assert par.alpha_ == est.alpha_
    np.testing.assert_allclose(par.coef_, est.coef_, atol=1e-8)
    if Est is SqrtLassoCV:
        assert est.sigma_ > 0


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_support_system_of_dense_and_sparse_designs(fit_intercept):
    """The square-root Lasso's exact finish on a support: the solves with its Gram matrix,
    the residual terms and the products, computed on the sparse columns directly, on the
    dense design, or in one compiled call, equal numpy's on the centred, weighted design;
    the finishing step agrees between dense and sparse."""
    from skreg.linear_model._problem import QuadraticProblem
    from skreg.linear_model._sqrt import _dense_support_solve, _polish, _support_solve

    rng = np.random.default_rng(5)
    n, p = 80, 40
    X = rng.standard_normal((n, p))
    X[rng.random((n, p)) < 0.5] = 0.0
    y = X[:, :4] @ np.array([1.0, -2.0, 0.5, 1.5]) + 0.3 * rng.standard_normal(n) + 2.0
    sw = rng.uniform(0.0, 2.0, n)
    cols = np.array([0, 1, 2, 3, 7, 19], dtype=np.int64)
    c = rng.standard_normal(cols.size)
    out = {}
    for fmt, Xin in (("dense", np.asfortranarray(X)), ("csc", sp.csc_matrix(X))):
        problem = QuadraticProblem(Xin, y, sw, fit_intercept)
        D = sw / problem.S
        Xc = X[:, cols] - problem.mu[cols]
        G = Xc.T @ (Xc * D[:, None])
        u0 = np.linalg.solve(G, Xc.T @ (D * problem.z))
        u1 = np.linalg.solve(G, c)
        e0 = problem.z - Xc @ u0
        expected = (u0, u1, e0 @ (D * e0), u1 @ G @ u1, X[:, cols] @ u0, X[:, cols] @ u1)
        solvers = [_support_solve(problem, cols, c)]
        if fmt == "dense":
            solvers.append(_dense_support_solve(Xin, cols, problem.d, problem.S, problem.mu,
                                                problem.sd, problem.z, c))
        for ok, *got in solvers:
            assert ok
            for g, e in zip(got, expected):
                np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)
        w = np.zeros(p)
        w[cols[:4]] = [0.9, -1.8, 0.4, 1.3]
        l1 = np.full(p, 0.02)
        out[fmt] = _polish(problem, l1, False, w)
    # a collinear support is refused, not solved
    Xdup = np.asfortranarray(np.c_[X, X[:, 0]])
    problem = QuadraticProblem(Xdup, y, sw, fit_intercept)
    dup = np.array([0, 1, p], dtype=np.int64)
    assert not _dense_support_solve(Xdup, dup, problem.d, problem.S, problem.mu, problem.sd,
                                    problem.z, np.ones(3))[0]
    assert not _support_solve(problem, dup, np.ones(3))[0]
    (cand_d, sigma_d), (cand_s, sigma_s) = out["dense"], out["csc"]
    assert sigma_d == pytest.approx(sigma_s, rel=1e-10)
    assert cand_d is not None and cand_s is not None  # signs kept: a candidate each
    np.testing.assert_allclose(cand_d[0], cand_s[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cand_d[1] + cand_d[2], cand_s[1] + cand_s[2], rtol=1e-9,
                               atol=1e-12)
