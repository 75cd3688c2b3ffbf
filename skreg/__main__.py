"""``python -m skreg``: a tour of skreg on real data, with scikit-learn run side by side.

Fits the Lasso family, the square-root Lasso and the LAD Lasso (with a tenth of the targets
grossly corrupted) on the diabetes data (442 patients, 10 baseline variables, disease
progression after one year; Efron et al. 2004) and SparseLogisticRegression on the Wisconsin
breast-cancer data (569 tumours, 30 features), both bundled with scikit-learn; solves entropic
and quadratically regularized optimal transport between two point clouds (against POT and
cvxpy) and learns the Lasso's alpha by implicit differentiation (against LassoCV). Prints the
coefficients, held-out scores, fit times and the agreement with scikit-learn (or POT, cvxpy)
on the same objective.
"""

import argparse
import sys
import time
import warnings

import numpy as np


def _timed(fit, repeats):
    """Median wall time of ``fit()`` over ``repeats`` runs, and its last result."""
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fit()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def _progress(msg):
    print(f"  .. {msg}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skreg",
        description=(
            "A tour of skreg: fits the Lasso family on real data bundled with scikit-learn "
            "(diabetes, breast cancer) and compares coefficients, scores and fit times with "
            "scikit-learn on the same objectives. The first run compiles skreg's numba "
            "kernels (cached on disk afterwards); compile time is reported separately."
        ),
    )
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed repetitions per fit, median reported (default 5)")
    parser.add_argument("--threads", type=int, default=None,
                        help="numba threads for skreg (default: all cores)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")

    t_import = time.perf_counter()
    import sklearn
    from sklearn import linear_model as sklm
    from sklearn.datasets import load_breast_cancer, load_diabetes
    from sklearn.model_selection import GridSearchCV, KFold, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import skreg
    from skreg.reference import enet_objective, logistic_objective

    t_import = time.perf_counter() - t_import
    if args.threads is not None:
        skreg.set_num_threads(args.threads)

    print(f"skreg {skreg.__version__} tour (scikit-learn {sklearn.__version__}, "
          f"{skreg.get_num_threads()} numba thread(s))")
    print(f"imports: {t_import:.2f} s")

    # ---------------------------------------------------------------- regression data
    diabetes = load_diabetes(scaled=False)
    X = StandardScaler().fit_transform(diabetes.data)
    y = diabetes.target
    names = diabetes.feature_names
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)

    _progress("first fit (compiles the numba kernels unless they are cached)")
    t0 = time.perf_counter()
    skreg.Lasso(alpha=1.0).fit(X_tr, y_tr)
    skreg.SparseLogisticRegression(alpha=0.01).fit(X_tr, y_tr > np.median(y_tr))
    skreg.SqrtLasso().fit(X_tr, y_tr)
    skreg.LADLasso(alpha=0.05).fit(X_tr, y_tr)
    skreg.WeightedOMP(n_nonzero_coefs=5).fit(X_tr, y_tr)
    skreg.WeightedOMP(loss="lad", penalty="l1", alpha=0.1).fit(X_tr, y_tr)
    from skreg.ot import quadratic_ot, sinkhorn, sinkhorn_newton_sparse

    rng = np.random.default_rng(0)
    Xs, Yt = rng.standard_normal((300, 2)), 0.8 * rng.standard_normal((280, 2)) + 1.0
    sinkhorn(None, None, (Xs, Yt), 0.1, method="stabilized")
    sinkhorn_newton_sparse(None, None, (Xs[:50], Yt[:40]), 0.1)
    quadratic_ot(None, None, (Xs[:20], Yt[:20]), 0.5)
    t_first = time.perf_counter() - t0
    print(f"first fits incl. compilation/cache load: {t_first:.2f} s")

    tol = 1e-10  # both libraries converged far below the differences shown
    rows = []

    def compare(label, ours, theirs, objective, score_name="R^2"):
        t_ours, m_ours = _timed(lambda: ours().fit(X_tr, y_tr), args.repeats)
        t_sk, m_sk = _timed(lambda: theirs().fit(X_tr, y_tr), args.repeats)
        obj_ours, obj_sk = objective(m_ours), objective(m_sk)
        rows.append((label, m_ours.score(X_te, y_te), m_sk.score(X_te, y_te), t_ours, t_sk,
                     (obj_ours - obj_sk) / abs(obj_sk), score_name))
        return m_ours

    _progress("Lasso, ElasticNet, WeightedLasso on diabetes")
    alpha = 1.0
    lasso = compare(
        "Lasso(alpha=1)",
        lambda: skreg.Lasso(alpha=alpha, tol=tol),
        lambda: sklm.Lasso(alpha=alpha, tol=tol, max_iter=100_000),
        lambda m: enet_objective(X_tr, y_tr, m.coef_, m.intercept_, alpha=alpha),
    )
    compare(
        "ElasticNet(alpha=1, l1_ratio=0.5)",
        lambda: skreg.ElasticNet(alpha=alpha, l1_ratio=0.5, tol=tol),
        lambda: sklm.ElasticNet(alpha=alpha, l1_ratio=0.5, tol=tol, max_iter=100_000),
        lambda m: enet_objective(X_tr, y_tr, m.coef_, m.intercept_, alpha=alpha, l1_ratio=0.5),
    )
    # WeightedLasso: leave age and sex unpenalized (always in the model); scikit-learn has
    # no weighted Lasso, so the comparison is the cvxpy reference on the same objective.
    weights = np.array([0.0, 0.0] + [1.0] * (X.shape[1] - 2))
    t_w, wl = _timed(lambda: skreg.WeightedLasso(alpha=alpha, weights=weights, tol=tol)
                     .fit(X_tr, y_tr), args.repeats)
    t_ref, ref = _timed(lambda: skreg.WeightedLasso(alpha=alpha, weights=weights,
                                                    solver="cvxpy").fit(X_tr, y_tr), 1)
    obj = [enet_objective(X_tr, y_tr, m.coef_, m.intercept_, alpha=alpha, weights=weights)
           for m in (wl, ref)]
    rows.append(("WeightedLasso(age, sex free) vs cvxpy", wl.score(X_te, y_te),
                 ref.score(X_te, y_te), t_w, t_ref, (obj[0] - obj[1]) / obj[1], "R^2"))

    _progress("LassoCV (100 alphas x 5 folds) on diabetes")
    cv = KFold(5)
    t_cv, lcv = _timed(lambda: skreg.LassoCV(cv=cv, tol=1e-6).fit(X_tr, y_tr), args.repeats)
    t_skcv, skcv = _timed(lambda: sklm.LassoCV(cv=cv, alphas=lcv.alphas_, tol=1e-6)
                          .fit(X_tr, y_tr), args.repeats)
    rows.append((f"LassoCV (alpha_={lcv.alpha_:.3g}; sklearn {skcv.alpha_:.3g})",
                 lcv.score(X_te, y_te), skcv.score(X_te, y_te), t_cv, t_skcv, np.nan, "R^2"))

    # ---------------------------------------------------------------- robust regression
    _progress("SqrtLasso (pivotal alpha) vs cvxpy; LADLasso vs QuantileRegressor, 10% outliers")
    from skreg.reference import lad_objective, sqrt_lasso_objective

    t_sq, sq = _timed(lambda: skreg.SqrtLasso(tol=tol).fit(X_tr, y_tr), args.repeats)
    t_sqref, sqref = _timed(lambda: skreg.SqrtLasso(solver="cvxpy").fit(X_tr, y_tr), 1)
    obj = [sqrt_lasso_objective(X_tr, y_tr, m.coef_, m.intercept_, alpha=sq.alpha_)
           for m in (sq, sqref)]
    rows.append((f"SqrtLasso(pivotal alpha={sq.alpha_:.3f}) vs cvxpy", sq.score(X_te, y_te),
                 sqref.score(X_te, y_te), t_sq, t_sqref, (obj[0] - obj[1]) / obj[1], "R^2"))
    # a tenth of the training targets grossly wrong (+-1000): LAD is barely moved
    rng = np.random.default_rng(0)
    bad = rng.choice(len(y_tr), size=len(y_tr) // 10, replace=False)
    y_bad = y_tr.copy()
    y_bad[bad] += 1000.0 * rng.choice([-1.0, 1.0], size=bad.size)
    alpha_lad = 0.05
    t_lad, lad = _timed(lambda: skreg.LADLasso(alpha=alpha_lad, tol=1e-8).fit(X_tr, y_bad),
                        args.repeats)
    t_qr, qr = _timed(lambda: sklm.QuantileRegressor(quantile=0.5, alpha=alpha_lad / 2,
                                                     solver="highs").fit(X_tr, y_bad),
                      args.repeats)
    obj = [lad_objective(X_tr, y_bad, m.coef_, m.intercept_, alpha=alpha_lad)
           for m in (lad, qr)]
    rows.append(("LADLasso(alpha=0.05), 10% outliers", lad.score(X_te, y_te),
                 qr.score(X_te, y_te), t_lad, t_qr, (obj[0] - obj[1]) / obj[1], "R^2"))
    lasso_bad = skreg.Lasso(alpha=alpha).fit(X_tr, y_bad)
    rows.append(("  (Lasso(alpha=1) on the same corrupted y)", lasso_bad.score(X_te, y_te),
                 np.nan, np.nan, np.nan, np.nan, "R^2"))

    # ---------------------------------------------------------------- greedy
    _progress("WeightedOMP: OMP vs scikit-learn; the greedy LAD rule on the corrupted y")
    # standardized columns: OMP on them is OMP on unit-norm centred columns, as in skreg
    t_omp, omp = _timed(lambda: skreg.WeightedOMP(n_nonzero_coefs=5).fit(X_tr, y_tr),
                        args.repeats)
    t_skomp, skomp = _timed(lambda: sklm.OrthogonalMatchingPursuit(n_nonzero_coefs=5)
                            .fit(X_tr, y_tr), args.repeats)
    rss = [float(np.sum((y_tr - m.predict(X_tr)) ** 2)) for m in (omp, skomp)]
    same = "same" if np.array_equal(np.flatnonzero(omp.coef_),
                                    np.flatnonzero(skomp.coef_)) else "DIFFERENT"
    rows.append((f"WeightedOMP(5 features, {same} as sklearn)", omp.score(X_te, y_te),
                 skomp.score(X_te, y_te), t_omp, t_skomp, (rss[0] - rss[1]) / rss[1], "R^2"))
    t_glad, glad = _timed(lambda: skreg.WeightedOMP(loss="lad", penalty="l1", alpha=0.1,
                                                    n_nonzero_coefs=10).fit(X_tr, y_bad),
                          args.repeats)
    rows.append((f"WeightedOMP(lad, l1, a=0.1), 10% outliers ({glad.n_nonzero_coefs_} feat.)",
                 glad.score(X_te, y_te), np.nan, t_glad, np.nan, np.nan, "R^2"))
    omp_bad = skreg.WeightedOMP(n_nonzero_coefs=5).fit(X_tr, y_bad)
    rows.append(("  (OMP, 5 features, on the same corrupted y)", omp_bad.score(X_te, y_te),
                 np.nan, np.nan, np.nan, np.nan, "R^2"))

    # ---------------------------------------------------------------- classification data
    _progress("SparseLogisticRegression on breast cancer")
    cancer = load_breast_cancer()
    Xc_tr, Xc_te, yc_tr, yc_te = train_test_split(
        cancer.data, cancer.target, test_size=0.25, random_state=0, stratify=cancer.target)
    scaler = StandardScaler().fit(Xc_tr)
    Xc_tr, Xc_te = scaler.transform(Xc_tr), scaler.transform(Xc_te)
    alpha_c = 0.01
    C = 1.0 / (alpha_c * Xc_tr.shape[0])
    t_lr, lr = _timed(lambda: skreg.SparseLogisticRegression(alpha=alpha_c, tol=tol)
                      .fit(Xc_tr, yc_tr), args.repeats)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_sklr, sklr = _timed(lambda: sklm.LogisticRegression(
            C=C, l1_ratio=1.0, solver="saga", tol=1e-10, max_iter=20_000).fit(Xc_tr, yc_tr),
            args.repeats)
    y_pm = np.where(yc_tr == 1, 1.0, -1.0)
    obj = [logistic_objective(Xc_tr, y_pm, m.coef_.ravel(), float(np.ravel(m.intercept_)[0]),
                              alpha=alpha_c) for m in (lr, sklr)]
    rows.append((f"SparseLogisticRegression ({np.sum(lr.coef_ != 0)} of 30 features)",
                 lr.score(Xc_te, yc_te), sklr.score(Xc_te, yc_te), t_lr, t_sklr,
                 (obj[0] - obj[1]) / obj[1], "accuracy"))

    # ---------------------------------------------------------------- sklearn tooling
    _progress("GridSearchCV over a Pipeline(StandardScaler, ElasticNet) on raw diabetes")
    raw_tr, raw_te = train_test_split(diabetes.data, test_size=0.25, random_state=0)
    grid = GridSearchCV(make_pipeline(StandardScaler(), skreg.ElasticNet()),
                        {"elasticnet__alpha": [0.1, 0.3, 1.0, 3.0],
                         "elasticnet__l1_ratio": [0.2, 0.5, 0.9]}, cv=cv)
    t_grid, grid = _timed(lambda: grid.fit(raw_tr, y_tr), 1)
    rows.append((f"GridSearchCV(Pipeline) best {grid.best_params_['elasticnet__alpha']:g}/"
                 f"{grid.best_params_['elasticnet__l1_ratio']:g}", grid.score(raw_te, y_te),
                 np.nan, t_grid, np.nan, np.nan, "R^2"))

    # ---------------------------------------------------------------- optimal transport
    _progress("entropic and sparse optimal transport between two point clouds")
    from skreg.reference import quadratic_ot as quadratic_ot_cvxpy

    Xs, Yt = rng.standard_normal((500, 2)), 0.8 * rng.standard_normal((500, 2)) + 1.0
    C_ot = ((Xs[:, None, :] - Yt[None, :, :]) ** 2).sum(-1)
    eps_ot = 0.05 * float(np.median(C_ot))

    def entropic(P):
        Q = P[P > 0]
        return float(np.sum(P * C_ot) + eps_ot * np.sum(Q * (np.log(Q) - 1.0)))

    t_sh, sh = _timed(lambda: sinkhorn(None, None, C_ot, eps_ot, tol=1e-10), args.repeats)
    try:
        import ot as pot
    except ImportError:  # POT is in the test and bench extras, not a dependency
        pot = None
    if pot is not None:
        u = np.full(500, 1 / 500)
        t_pot, P_pot = _timed(lambda: pot.sinkhorn(u, u, C_ot, eps_ot, stopThr=1e-11,
                                                   numItermax=100_000), args.repeats)
        rows.append(("sinkhorn(eps=0.05 median), 500 pts vs POT", sh.cost,
                     float(np.sum(P_pot * C_ot)), t_sh, t_pot,
                     (entropic(sh.plan) - entropic(P_pot)) / abs(entropic(P_pot)), "cost"))
    else:
        rows.append(("sinkhorn(eps=0.05 median), 500 pts (no POT)", sh.cost, np.nan, t_sh,
                     np.nan, np.nan, "cost"))
    # at a tenth of that epsilon POT's kernel Sinkhorn underflows at iteration 0; Newton steps
    t_sns, sns = _timed(lambda: sinkhorn_newton_sparse(None, None, C_ot, eps_ot / 10,
                                                       tol=1e-9), args.repeats)
    rows.append((f"sinkhorn_newton_sparse(eps=0.005 median), {sns.n_newton} steps",
                 sns.cost, np.nan, t_sns, np.nan, np.nan, "cost"))
    C_q = C_ot[:80, :80]
    eps_q = float(np.median(C_q))
    t_q, q = _timed(lambda: quadratic_ot(None, None, C_q, eps_q, tol=1e-11), args.repeats)
    t_qref, P_qref = _timed(lambda: quadratic_ot_cvxpy(None, None, C_q, eps_q), 1)

    def quadratic(P):
        return float(np.sum(P * C_q) + 0.5 * eps_q * np.sum(P * P))

    rows.append((f"quadratic_ot, 80 pts ({np.mean(q.plan > 0):.0%} nonzero) vs cvxpy", q.cost,
                 float(np.sum(P_qref * C_q)), t_q, t_qref,
                 (quadratic(q.plan) - quadratic(P_qref)) / quadratic(P_qref), "cost"))

    # ---------------------------------------------------------------- hyperparameters
    _progress("ImplicitDiffSearchCV (gradient descent on log alpha) vs LassoCV on diabetes")
    t_ids, ids = _timed(lambda: skreg.ImplicitDiffSearchCV(skreg.Lasso(), cv=cv)
                        .fit(X_tr, y_tr), 1)
    t_lcv, sk_lcv = _timed(lambda: sklm.LassoCV(cv=cv).fit(X_tr, y_tr), 1)
    rows.append((f"ImplicitDiffSearchCV a={ids.best_params_['alpha']:.3g} (LassoCV "
                 f"{sk_lcv.alpha_:.3g})", ids.score(X_te, y_te),
                 sk_lcv.score(X_te, y_te), t_ids, t_lcv, np.nan, "R^2"))

    # ---------------------------------------------------------------- report
    print()
    print("Lasso(alpha=1) coefficients on standardized diabetes features:")
    for name, c_ours in zip(names, lasso.coef_):
        print(f"  {name:>4s} {c_ours:10.3f}")
    print(f"  intercept {lasso.intercept_:.3f}; {np.sum(lasso.coef_ != 0)} of "
          f"{len(names)} features selected")
    print()
    header = (f"{'model':50s} {'score':>8s} {'baseline':>8s} {'skreg s':>9s} {'base s':>9s}"
              f" {'speed-up':>8s} {'rel. obj. diff':>14s}")
    print(header)
    print("-" * len(header))
    for label, s_ours, s_sk, t_ours, t_sk, dobj, _ in rows:
        dobj_txt = "" if not np.isfinite(dobj) else f"{dobj:+.1e}"
        sk_txt = f"{s_sk:8.4f}" if np.isfinite(s_sk) else f"{'':8s}"
        t_sk_txt = f"{t_sk:9.4f}" if np.isfinite(t_sk) else f"{'':9s}"
        t_txt = f"{t_ours:9.4f}" if np.isfinite(t_ours) else f"{'':9s}"
        ratio_txt = (f"{t_sk / t_ours:7.1f}x" if np.isfinite(t_sk) and np.isfinite(t_ours)
                     else f"{'':8s}")
        print(f"{label:50s} {s_ours:8.4f} {sk_txt} {t_txt} {t_sk_txt} {ratio_txt} "
              f"{dobj_txt:>14s}")
    print()
    print("score: R^2 (regression) or accuracy (classification) on a held-out quarter.")
    print("rel. obj. diff: (skreg objective - baseline objective) / baseline objective on the")
    print("same formula (skreg.reference); negative means skreg found a lower objective.")
    print("Baseline for WeightedLasso and SqrtLasso is cvxpy (skreg.reference): scikit-learn has")
    print("no such model; for LADLasso it is QuantileRegressor(quantile=0.5, alpha=alpha/2,")
    print("solver='highs'), the same objective halved. Scores are on the clean held-out targets.")
    print("For WeightedOMP the last column compares training residual sums of squares with")
    print("scikit-learn's OrthogonalMatchingPursuit. Optimal transport rows: score is the")
    print("transport cost <P, C>, the baselines are POT's ot.sinkhorn (if installed) and the")
    print("cvxpy reference, the last column compares the regularized objectives.")
    print(f"Times: median of {args.repeats} fits, compilation excluded "
          f"(first fits took {t_first:.2f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
