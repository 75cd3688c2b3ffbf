"""The tour behind ``python -m skreg``: every family of skreg beside its baseline, run on the spot.

Each ``section_*`` function fits one family on embedded data, appends rows to the table (skreg
against scikit-learn, POT or the cvxpy reference of :mod:`skreg.reference` on the same
objective) and, with ``--plots DIR``, draws its figure (:mod:`skreg._tour_plots`).
"""

import sys
import time
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

#: Relative tolerance of the exact fits: both sides converge far below the differences shown.
TOL = 1e-10


@dataclass
class Row:
    """One line of the table.

    ``score`` and ``baseline`` are the same metric (``metric``) for skreg and for the baseline;
    ``same_problem`` says whether both solve the same problem, the only case where the speed-up
    column means something (a different method, e.g. l-infinity minimization against the
    Cauchy-Schwarz recovery, gets its time shown and no ratio). ``objective_diff`` is the relative
    difference of the two objectives on one formula (NaN: not comparable).
    """

    label: str
    metric: str
    score: float
    baseline: float = np.nan
    seconds: float = np.nan
    baseline_seconds: float = np.nan
    objective_diff: float = np.nan
    same_problem: bool = True


class Tour:
    """Table rows, timings, progress lines and figures of one run of the tour."""

    def __init__(self, repeats, plots=None, stream=None):
        self.repeats = repeats
        self.stream = sys.stdout if stream is None else stream
        self.plots = None if plots is None else Path(plots)
        self.rows = []
        self.figures = []
        self.start = time.perf_counter()

    def echo(self, text=""):
        """Write a line of the report."""
        self.stream.write(f"{text}\n")
        self.stream.flush()

    def progress(self, message):
        """One line with the time since the start, before a step that takes a while."""
        self.echo(f"  [{time.perf_counter() - self.start:5.1f} s] {message}")

    def timed(self, fit, repeats=None):
        """Median wall time of ``fit()`` over ``repeats`` runs (default: ``--repeats``).

        Repetitions stop early once the runs so far took more than a second in all (a slow
        baseline is timed once or twice); the last result is returned with the median.
        """
        times = []
        out = None
        for _ in range(self.repeats if repeats is None else repeats):
            t0 = time.perf_counter()
            out = fit()
            times.append(time.perf_counter() - t0)
            if sum(times) > 1.0:
                break
        return float(np.median(times)), out

    def add(self, *args, **kwargs):
        self.rows.append(Row(*args, **kwargs))

    def plot(self, name, **data):
        """Draw the figure ``skreg._tour_plots.<name>(**data)`` and save it as ``DIR/name.png``."""
        if self.plots is None:
            return
        import matplotlib.pyplot as plt

        from skreg import _tour_plots

        fig = getattr(_tour_plots, name)(**data)
        path = self.plots / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        self.figures.append(path)


def relative_difference(ours, theirs):
    """``(ours - theirs) / |theirs|``: negative when skreg's objective is lower."""
    return (ours - theirs) / abs(theirs)


def relative_error(estimate, truth):
    """``||estimate - truth|| / ||truth||`` along the last axis."""
    return np.linalg.norm(estimate - truth, axis=-1) / np.linalg.norm(truth, axis=-1)


# ------------------------------------------------------------------------------- warm-up


def warm_up(X, y):
    """Fit every solver of the tour once on tiny problems: compiles or loads the numba kernels."""
    import skreg
    from skreg.cauchy_schwarz import cs_recover, l1_recover, linf_recover
    from skreg.graph import GraphLaplacianRegression
    from skreg.ot import quadratic_ot, sinkhorn, sinkhorn_newton_sparse

    skreg.Lasso(alpha=1.0).fit(X, y)
    skreg.SparseLogisticRegression(alpha=0.01).fit(X, y > np.median(y))
    skreg.SqrtLasso().fit(X, y)
    skreg.LADLasso(alpha=0.05).fit(X, y)
    skreg.WeightedOMP(n_nonzero_coefs=5).fit(X, y)
    skreg.WeightedOMP(loss="lad", penalty="l1", alpha=0.1).fit(X, y)
    skreg.WeightedOMP(loss="lad", penalty="l1", alpha=0.1, fit_intercept=False).fit(X, y)
    rng = np.random.default_rng(0)
    Xs, Yt = rng.standard_normal((300, 2)), 0.8 * rng.standard_normal((280, 2)) + 1.0
    sinkhorn(None, None, (Xs, Yt), 0.1, method="stabilized")
    sinkhorn_newton_sparse(None, None, (Xs[:50], Yt[:40]), 0.1)
    quadratic_ot(None, None, (Xs[:20], Yt[:20]), 0.5)
    A = rng.standard_normal((2, 6, 10))
    b = A @ np.ones(10)
    cs_recover(A, b, "binary", n_restarts=1)
    linf_recover(A, b)
    l1_recover(A, b)
    GraphLaplacianRegression(1.0, penalty="l1").fit(rng.standard_normal((8, 10)), np.ones(8))


# ------------------------------------------------------------------------------- sections


def section_lasso(tour, data):
    """Lasso, ElasticNet, WeightedLasso and LassoCV on diabetes against scikit-learn/cvxpy."""
    from sklearn import linear_model as sklm
    from sklearn.model_selection import KFold

    import skreg
    from skreg.reference import enet_objective

    X_tr, X_te, y_tr, y_te = data["X_tr"], data["X_te"], data["y_tr"], data["y_te"]
    tour.progress("Lasso, ElasticNet, WeightedLasso, LassoCV on diabetes (vs scikit-learn)")

    def compare(label, ours, theirs, objective):
        t_ours, m_ours = tour.timed(lambda: ours().fit(X_tr, y_tr))
        t_sk, m_sk = tour.timed(lambda: theirs().fit(X_tr, y_tr))
        tour.add(label, "R^2", m_ours.score(X_te, y_te), m_sk.score(X_te, y_te), t_ours, t_sk,
                 relative_difference(objective(m_ours), objective(m_sk)))
        return m_ours

    alpha = 1.0
    lasso = compare(
        "Lasso(alpha=1)",
        lambda: skreg.Lasso(alpha=alpha, tol=TOL),
        lambda: sklm.Lasso(alpha=alpha, tol=TOL, max_iter=100_000),
        lambda m: enet_objective(X_tr, y_tr, m.coef_, m.intercept_, alpha=alpha),
    )
    compare(
        "ElasticNet(alpha=1, l1_ratio=0.5)",
        lambda: skreg.ElasticNet(alpha=alpha, l1_ratio=0.5, tol=TOL),
        lambda: sklm.ElasticNet(alpha=alpha, l1_ratio=0.5, tol=TOL, max_iter=100_000),
        lambda m: enet_objective(X_tr, y_tr, m.coef_, m.intercept_, alpha=alpha, l1_ratio=0.5),
    )
    # WeightedLasso: leave age and sex unpenalized (always in the model); scikit-learn has
    # no weighted Lasso, so the comparison is the cvxpy reference on the same objective.
    weights = np.array([0.0, 0.0] + [1.0] * (X_tr.shape[1] - 2))
    t_w, wl = tour.timed(lambda: skreg.WeightedLasso(alpha=alpha, weights=weights, tol=TOL)
                         .fit(X_tr, y_tr))
    t_ref, ref = tour.timed(lambda: skreg.WeightedLasso(alpha=alpha, weights=weights,
                                                        solver="cvxpy").fit(X_tr, y_tr), 1)
    obj = [enet_objective(X_tr, y_tr, m.coef_, m.intercept_, alpha=alpha, weights=weights)
           for m in (wl, ref)]
    tour.add("WeightedLasso(age, sex free) vs cvxpy", "R^2", wl.score(X_te, y_te),
             ref.score(X_te, y_te), t_w, t_ref, relative_difference(*obj))

    cv = KFold(5)
    t_cv, lcv = tour.timed(lambda: skreg.LassoCV(cv=cv, tol=1e-6).fit(X_tr, y_tr))
    t_skcv, skcv = tour.timed(lambda: sklm.LassoCV(cv=cv, alphas=lcv.alphas_, tol=1e-6)
                              .fit(X_tr, y_tr))
    tour.add(f"LassoCV (alpha_={lcv.alpha_:.3g}; sklearn {skcv.alpha_:.3g})", "R^2",
             lcv.score(X_te, y_te), skcv.score(X_te, y_te), t_cv, t_skcv)

    if tour.plots is not None:
        # centred data: the path of the model with an intercept
        alphas, coefs, _ = skreg.lasso_path(X_tr - X_tr.mean(axis=0), y_tr - y_tr.mean(),
                                            alphas=lcv.alphas_)
        tour.plot("lasso_path", alphas=alphas, coefs=coefs,
                  names=data["names"], alpha_cv=lcv.alpha_, mse_path=lcv.mse_path_)
    return lasso


def section_robust(tour, data):
    """SqrtLasso (pivotal alpha) against cvxpy; LADLasso against QuantileRegressor (outliers)."""
    from sklearn import linear_model as sklm

    import skreg
    from skreg.reference import lad_objective, sqrt_lasso_objective

    X_tr, X_te, y_tr, y_te = data["X_tr"], data["X_te"], data["y_tr"], data["y_te"]
    y_bad = data["y_bad"]
    tour.progress("SqrtLasso (pivotal alpha) vs cvxpy; LADLasso vs QuantileRegressor, "
                  "10% outliers")
    t_sq, sq = tour.timed(lambda: skreg.SqrtLasso(tol=TOL).fit(X_tr, y_tr))
    t_ref, ref = tour.timed(lambda: skreg.SqrtLasso(solver="cvxpy").fit(X_tr, y_tr), 1)
    obj = [sqrt_lasso_objective(X_tr, y_tr, m.coef_, m.intercept_, alpha=sq.alpha_)
           for m in (sq, ref)]
    tour.add(f"SqrtLasso(pivotal alpha={sq.alpha_:.3f}) vs cvxpy", "R^2", sq.score(X_te, y_te),
             ref.score(X_te, y_te), t_sq, t_ref, relative_difference(*obj))

    alpha = 0.05
    t_lad, lad = tour.timed(lambda: skreg.LADLasso(alpha=alpha, tol=1e-8).fit(X_tr, y_bad))
    t_qr, qr = tour.timed(lambda: sklm.QuantileRegressor(quantile=0.5, alpha=alpha / 2,
                                                         solver="highs").fit(X_tr, y_bad))
    obj = [lad_objective(X_tr, y_bad, m.coef_, m.intercept_, alpha=alpha) for m in (lad, qr)]
    tour.add("LADLasso(alpha=0.05), 10% outliers", "R^2", lad.score(X_te, y_te),
             qr.score(X_te, y_te), t_lad, t_qr, relative_difference(*obj))
    lasso_bad = skreg.Lasso(alpha=1.0).fit(X_tr, y_bad)
    tour.add("  (Lasso(alpha=1) on the same corrupted y)", "R^2", lasso_bad.score(X_te, y_te))

    tour.plot("robust", names=data["names"],
              coefs={"Lasso, clean y": data["lasso"].coef_,
                     "Lasso, 10% outliers": lasso_bad.coef_,
                     "LADLasso, 10% outliers": lad.coef_})


def section_greedy(tour, data):
    """WeightedOMP: OMP equal to scikit-learn's; the greedy LAD rule on corrupted CS data."""
    from sklearn import linear_model as sklm

    import skreg
    from skreg.datasets import make_compressive_sensing

    X_tr, X_te, y_tr, y_te = data["X_tr"], data["X_te"], data["y_tr"], data["y_te"]
    tour.progress("WeightedOMP: OMP vs scikit-learn; the greedy LAD rule on corrupted "
                  "compressive sensing")
    # standardized columns: OMP on them is OMP on unit-norm centred columns, as in skreg
    t_omp, omp = tour.timed(lambda: skreg.WeightedOMP(n_nonzero_coefs=5).fit(X_tr, y_tr))
    t_sk, skomp = tour.timed(lambda: sklm.OrthogonalMatchingPursuit(n_nonzero_coefs=5)
                             .fit(X_tr, y_tr))
    rss = [float(np.sum((y_tr - m.predict(X_tr)) ** 2)) for m in (omp, skomp)]
    same = "same" if np.array_equal(np.flatnonzero(omp.coef_),
                                    np.flatnonzero(skomp.coef_)) else "DIFFERENT"
    tour.add(f"WeightedOMP(5 features, {same} as sklearn)", "R^2", omp.score(X_te, y_te),
             skomp.score(X_te, y_te), t_omp, t_sk, relative_difference(*rss))

    # compressive sensing: 100 Gaussian measurements of a 10-sparse x in dimension 300, a tenth
    # of them corrupted by +-100 (the lad rule of Mohammad-Taheri and Brugiapaglia); columns
    # scaled to unit norm, as in the paper
    A, b, x, outliers = make_compressive_sensing(
        100, 300, n_nonzero=10, noise_level=0.01, outlier_fraction=0.1,
        outlier_magnitude=100.0, return_outliers=True, random_state=0)
    norms = np.linalg.norm(A, axis=0)
    A, x = A / norms, x * norms
    t_lad, lad = tour.timed(lambda: skreg.WeightedOMP(
        loss="lad", penalty="l1", alpha=1.0, n_nonzero_coefs=30, fit_intercept=False).fit(A, b))
    t_sk, sk = tour.timed(lambda: sklm.OrthogonalMatchingPursuit(
        n_nonzero_coefs=10, fit_intercept=False).fit(A, b))
    tour.add(f"WeightedOMP(lad, l1), CS, 10% corrupted ({np.count_nonzero(lad.coef_)} feat.)",
             "rel.err", relative_error(lad.coef_, x), relative_error(sk.coef_, x), t_lad, t_sk,
             same_problem=False)

    tour.plot("compressive_sensing", truth=x,
              estimates={"WeightedOMP(lad, l1)": lad.coef_,
                         "OMP (scikit-learn, 10 features)": sk.coef_})


def section_logistic(tour):
    """SparseLogisticRegression on breast cancer against scikit-learn's saga."""
    from sklearn import linear_model as sklm
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    import skreg
    from skreg.reference import logistic_objective

    tour.progress("SparseLogisticRegression on breast cancer (vs scikit-learn's saga)")
    cancer = load_breast_cancer()
    X_tr, X_te, y_tr, y_te = train_test_split(
        cancer.data, cancer.target, test_size=0.25, random_state=0, stratify=cancer.target)
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    alpha = 0.01
    C = 1.0 / (alpha * X_tr.shape[0])
    t_lr, lr = tour.timed(lambda: skreg.SparseLogisticRegression(alpha=alpha, tol=TOL)
                          .fit(X_tr, y_tr))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_sk, sk = tour.timed(lambda: sklm.LogisticRegression(
            C=C, l1_ratio=1.0, solver="saga", tol=1e-10, max_iter=20_000).fit(X_tr, y_tr))
    y_pm = np.where(y_tr == 1, 1.0, -1.0)
    obj = [logistic_objective(X_tr, y_pm, m.coef_.ravel(), float(np.ravel(m.intercept_)[0]),
                              alpha=alpha) for m in (lr, sk)]
    tour.add(f"SparseLogisticRegression ({np.sum(lr.coef_ != 0)} of 30 features)", "accuracy",
             lr.score(X_te, y_te), sk.score(X_te, y_te), t_lr, t_sk, relative_difference(*obj))


def section_tooling(tour, data):
    """GridSearchCV over a Pipeline(StandardScaler, ElasticNet) on the raw diabetes data."""
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import skreg

    tour.progress("GridSearchCV over a Pipeline(StandardScaler, ElasticNet) on raw diabetes")
    grid = GridSearchCV(make_pipeline(StandardScaler(), skreg.ElasticNet()),
                        {"elasticnet__alpha": [0.1, 0.3, 1.0, 3.0],
                         "elasticnet__l1_ratio": [0.2, 0.5, 0.9]}, cv=KFold(5))
    t_grid, grid = tour.timed(lambda: grid.fit(data["raw_tr"], data["y_tr"]), 1)
    best = grid.best_params_
    tour.add(f"GridSearchCV(Pipeline) best {best['elasticnet__alpha']:g}/"
             f"{best['elasticnet__l1_ratio']:g}", "R^2",
             grid.score(data["raw_te"], data["y_te"]), seconds=t_grid)


def section_graph(tour):
    """graphLa+FBP on a small CT phantom: the discrepancy principle, then cvxpy on the same fit."""
    from sklearn.metrics import root_mean_squared_error
    from threadpoolctl import threadpool_limits

    from skreg.datasets import filtered_back_projection, make_tomography
    from skreg.graph import GraphLaplacianRegression, data_laplacian
    from skreg.reference import graph_objective, graph_regression

    tour.progress("graphLa+FBP on a 24 x 24 CT phantom (24 angles, 1% noise) vs cvxpy")
    size = 24
    ct = make_tomography(size, n_angles=24, noise=0.01, random_state=0)
    K, y, truth = ct.operator, ct.y, ct.image.ravel()
    fbp = filtered_back_projection(y, ct.angles, size, n_detectors=ct.n_detectors).ravel()
    L = data_laplacian(fbp.reshape(size, size), radius=4, sigma=1e-3)
    # BLAS on one thread: the ADMM's dense triangular solves are tiny here
    with threadpool_limits(1, user_api="blas"):
        # lambda by the discrepancy principle (Bianchi et al.), ADMM at a loose tolerance
        t_dp, dp = tour.timed(lambda: GraphLaplacianRegression(
            1.0, penalty="l1", graph=L, alpha_selection="discrepancy",
            noise_level=ct.noise_level, tol=1e-4).fit(K, y), 1)
        lam = dp.alpha_
        t_gla, gla = tour.timed(lambda: GraphLaplacianRegression(
            lam, penalty="l1", graph=L, tol=1e-8).fit(K, y), 1)
    t_ref, ref = tour.timed(lambda: graph_regression(K, y, L, alpha=lam, penalty="l1"), 1)
    obj = [graph_objective(K, y, L, w, alpha=lam, penalty="l1") for w in (gla.coef_, ref.coef)]
    tour.add(f"graphLa+FBP (lambda={lam:.3g} by discrepancy) vs cvxpy", "RMSE",
             root_mean_squared_error(truth, gla.coef_), root_mean_squared_error(truth, ref.coef),
             t_gla, t_ref, relative_difference(*obj))
    tour.add("  (the discrepancy search for lambda, ADMM tol 1e-4)", "RMSE",
             root_mean_squared_error(truth, dp.coef_), seconds=t_dp)
    tour.add("  (FBP alone, the Psi of graphLa+FBP)", "RMSE",
             root_mean_squared_error(truth, fbp))

    tour.plot("ct_images", truth=truth, size=size,
              images={"FBP": fbp, f"graphLa+FBP, lambda = {lam:.3g}": gla.coef_})


def section_cauchy_schwarz(tour):
    """Cauchy-Schwarz recovery of binary and {0, 1} vectors against the convex baselines."""
    from sklearn.exceptions import ConvergenceWarning

    from skreg.cauchy_schwarz import cs_recover, linf_recover
    from skreg.reference import l1_recover as l1_cvxpy
    from skreg.reference import linf_recover as linf_cvxpy

    tour.progress("Cauchy-Schwarz recovery from M = N/2 measurements (30 trials) vs "
                  "l-inf / l1 minimization")
    n_trials, N, M = 30, 100, 50
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n_trials, M, N))
    priors = {"binary": rng.choice([-1.0, 1.0], size=(n_trials, N)),
              "one_sided_binary": rng.integers(0, 2, size=(n_trials, N)).astype(np.float64)}
    rates = {}
    for prior, x in priors.items():
        b = np.einsum("pmn,pn->pm", A, x)
        with warnings.catch_warnings():
            # a trial whose kept start did not converge counts as a failure unless it
            # recovered x all the same (the success test below decides)
            warnings.simplefilter("ignore", ConvergenceWarning)
            t_cs, cs = tour.timed(partial(cs_recover, A, b, prior, random_state=0), 1)
        convex = linf_cvxpy if prior == "binary" else l1_cvxpy
        t_cvx, ref = tour.timed(partial(_solve_each, convex, A, b), 1)
        ok_cs = relative_error(cs.x, x) < 1e-2
        ok_ref = relative_error(ref[0], x) < 1e-2
        rates[prior] = (ok_cs.mean(), ok_ref.mean())
        name = "linf" if prior == "binary" else "l1"
        tour.add(f"cs_recover({prior}) vs {name} min. (cvxpy): success", "rate", ok_cs.mean(),
                 ok_ref.mean(), t_cs, t_cvx, same_problem=False)
        if prior == "binary":
            # skreg's own l-infinity ADMM against cvxpy: the same convex problem
            t_linf, linf = tour.timed(partial(linf_recover, A, b), 1)
            diffs = relative_difference(linf.objective, ref[1])
            tour.add("  linf_recover (ADMM, batched) vs cvxpy, same trials", "rate",
                     np.mean(relative_error(linf.x, x) < 1e-2), ok_ref.mean(), t_linf, t_cvx,
                     diffs[np.argmax(np.abs(diffs))])

    tour.plot("recovery_rates", rates=rates,
              n_trials=n_trials, ratio=M / N)


def _solve_each(solve, A, b):
    """``solve(A[p], b[p])`` for every problem of a batch: the solutions and objectives."""
    results = [solve(A_p, b_p) for A_p, b_p in zip(A, b)]
    return np.array([r.coef for r in results]), np.array([r.objective for r in results])


def section_ot(tour):
    """Entropic OT against POT, SNS at a small epsilon, quadratic OT against cvxpy."""
    from skreg.datasets import make_point_clouds
    from skreg.ot import quadratic_ot, sinkhorn, sinkhorn_newton_sparse
    from skreg.reference import quadratic_ot as quadratic_ot_cvxpy

    tour.progress("entropic and sparse optimal transport between two point clouds")
    Xs, Yt = make_point_clouds(500, random_state=np.random.default_rng(1))
    C = ((Xs[:, None, :] - Yt[None, :, :]) ** 2).sum(-1)
    eps = 0.05 * float(np.median(C))

    def entropic(P):
        Q = P[P > 0]
        return float(np.sum(P * C) + eps * np.sum(Q * (np.log(Q) - 1.0)))

    t_sh, sh = tour.timed(lambda: sinkhorn(None, None, C, eps, tol=1e-10))
    try:
        import ot as pot
    except ImportError:  # POT is in the test and bench extras, not a dependency
        pot = None
    if pot is not None:
        u = np.full(500, 1 / 500)
        t_pot, P_pot = tour.timed(lambda: pot.sinkhorn(u, u, C, eps, stopThr=1e-11,
                                                       numItermax=100_000))
        tour.add("sinkhorn(eps=0.05 median), 500 pts vs POT", "cost", sh.cost,
                 float(np.sum(P_pot * C)), t_sh, t_pot,
                 relative_difference(entropic(sh.plan), entropic(P_pot)))
    else:
        tour.add("sinkhorn(eps=0.05 median), 500 pts (no POT)", "cost", sh.cost, seconds=t_sh)
    # at a tenth of that epsilon POT's kernel Sinkhorn underflows at iteration 0; Newton steps
    t_sns, sns = tour.timed(lambda: sinkhorn_newton_sparse(None, None, C, eps / 10, tol=1e-9))
    tour.add(f"sinkhorn_newton_sparse(eps=0.005 median), {sns.n_newton} steps", "cost",
             sns.cost, seconds=t_sns)
    n_q = 80
    C_q = C[:n_q, :n_q]
    eps_q = float(np.median(C_q))
    t_q, q = tour.timed(lambda: quadratic_ot(None, None, C_q, eps_q, tol=1e-11))
    t_ref, P_ref = tour.timed(lambda: quadratic_ot_cvxpy(None, None, C_q, eps_q), 1)

    def quadratic(P):
        return float(np.sum(P * C_q) + 0.5 * eps_q * np.sum(P * P))

    tour.add(f"quadratic_ot, {n_q} pts ({np.mean(q.plan > 0):.0%} nonzero) vs cvxpy", "cost",
             q.cost, float(np.sum(P_ref * C_q)), t_q, t_ref,
             relative_difference(quadratic(q.plan), quadratic(P_ref)))

    if tour.plots is not None:
        entropic_q = sinkhorn(None, None, C_q, 0.05 * eps_q).plan
        tour.plot("ot_plans", source=Xs[:n_q], target=Yt[:n_q],
                  plans={"entropic, eps = 0.05 median": entropic_q,
                         f"quadratic, eps = median ({np.mean(q.plan > 0):.0%} nonzero)": q.plan})


def section_hyperparameters(tour, data):
    """ImplicitDiffSearchCV (gradient steps on log alpha) against LassoCV's grid."""
    from sklearn import linear_model as sklm
    from sklearn.model_selection import KFold

    import skreg

    X_tr, X_te, y_tr, y_te = data["X_tr"], data["X_te"], data["y_tr"], data["y_te"]
    tour.progress("ImplicitDiffSearchCV (gradient descent on log alpha) vs LassoCV on diabetes")
    cv = KFold(5)
    t_ids, ids = tour.timed(lambda: skreg.ImplicitDiffSearchCV(skreg.Lasso(), cv=cv)
                            .fit(X_tr, y_tr), 1)
    t_lcv, lcv = tour.timed(lambda: sklm.LassoCV(cv=cv).fit(X_tr, y_tr), 1)
    tour.add(f"ImplicitDiffSearchCV a={ids.best_params_['alpha']:.3g} (LassoCV "
             f"{lcv.alpha_:.3g})", "R^2", ids.score(X_te, y_te), lcv.score(X_te, y_te), t_ids,
             t_lcv, same_problem=False)

    tour.plot("hyperparameter_search",
              alphas=lcv.alphas_, mse=lcv.mse_path_.mean(axis=1),
              path_alpha=ids.path_["alpha"], path_criterion=ids.path_["criterion"],
              best=ids.best_index_)


# ------------------------------------------------------------------------------- driver


def load_diabetes_data():
    """Diabetes split, standardized, plus a copy of y with a tenth of the targets corrupted."""
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    diabetes = load_diabetes(scaled=False)
    X = StandardScaler().fit_transform(diabetes.data)
    y = diabetes.target
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    raw_tr, raw_te = train_test_split(diabetes.data, test_size=0.25, random_state=0)
    # a tenth of the training targets grossly wrong (+-1000): LAD is barely moved
    rng = np.random.default_rng(0)
    bad = rng.choice(len(y_tr), size=len(y_tr) // 10, replace=False)
    y_bad = y_tr.copy()
    y_bad[bad] += 1000.0 * rng.choice([-1.0, 1.0], size=bad.size)
    return dict(X_tr=X_tr, X_te=X_te, y_tr=y_tr, y_te=y_te, raw_tr=raw_tr, raw_te=raw_te,
                y_bad=y_bad, names=diabetes.feature_names)


def run(repeats=5, threads=None, plots=None):
    """Run the whole tour, print the table; returns the :class:`Tour` (rows, figures)."""
    t_import = time.perf_counter()
    import sklearn

    import skreg

    t_import = time.perf_counter() - t_import
    if threads is not None:
        skreg.set_num_threads(threads)
    if plots is not None:
        Path(plots).mkdir(parents=True, exist_ok=True)
    tour = Tour(repeats, plots)
    tour.echo(f"skreg {skreg.__version__} tour (scikit-learn {sklearn.__version__}, "
               f"{skreg.get_num_threads()} numba thread(s))")
    tour.echo(f"imports: {t_import:.2f} s")

    data = load_diabetes_data()
    tour.progress("first fits: compile the numba kernels (loaded from the disk cache after the "
                  "first run)")
    t0 = time.perf_counter()
    warm_up(data["X_tr"], data["y_tr"])
    t_first = time.perf_counter() - t0
    tour.echo(f"first fits incl. compilation/cache load: {t_first:.2f} s")

    data["lasso"] = section_lasso(tour, data)
    section_robust(tour, data)
    section_greedy(tour, data)
    section_logistic(tour)
    section_tooling(tour, data)
    section_graph(tour)
    section_cauchy_schwarz(tour)
    section_ot(tour)
    section_hyperparameters(tour, data)
    report(tour, data, t_first)
    return tour


def report(tour, data, t_first):
    """Print the Lasso coefficients, the table and the notes below it."""
    lasso = data["lasso"]
    tour.echo()
    tour.echo("Lasso(alpha=1) coefficients on standardized diabetes features:")
    for name, coef in zip(data["names"], lasso.coef_):
        tour.echo(f"  {name:>4s} {coef:10.3f}")
    tour.echo(f"  intercept {lasso.intercept_:.3f}; {np.sum(lasso.coef_ != 0)} of "
               f"{len(data['names'])} features selected")
    tour.echo()
    header = (f"{'model':56s} {'metric':>8s} {'skreg':>8s} {'baseline':>8s} {'skreg s':>8s} "
              f"{'base s':>8s} {'speed-up':>8s} {'rel. obj. diff':>14s}")
    tour.echo(header)
    tour.echo("-" * len(header))

    def cell(value, fmt, width):
        return format(value, fmt) if np.isfinite(value) else " " * width

    for row in tour.rows:
        ratio = (f"{row.baseline_seconds / row.seconds:7.1f}x"
                 if row.same_problem and np.isfinite(row.baseline_seconds * row.seconds)
                 else " " * 8)
        tour.echo(f"{row.label:56s} {row.metric:>8s} {cell(row.score, '8.4f', 8)} "
                   f"{cell(row.baseline, '8.4f', 8)} {cell(row.seconds, '8.4f', 8)} "
                   f"{cell(row.baseline_seconds, '8.4f', 8)} {ratio} "
                   f"{cell(row.objective_diff, '+14.1e', 14)}")
    tour.echo(NOTES.format(repeats=tour.repeats, t_first=t_first,
                            total=time.perf_counter() - tour.start))
    for path in tour.figures:
        tour.echo(f"figure: {path}")


NOTES = """
metric: R^2 (regression) or accuracy (classification) on a held-out quarter; rel.err: relative
error ||w - x|| / ||x|| of the recovered coefficients; RMSE of the reconstructed image (values in
[0, 1]); rate: fraction of the trials recovered to a relative error below 1e-2; cost: the
transport cost <P, C>. The baseline column gives the same metric for the baseline.
rel. obj. diff: (skreg objective - baseline objective) / |baseline objective| on the same
formula (skreg.reference); negative means skreg found a lower objective. The speed-up is shown
only where both sides solve the same problem.
Baselines: scikit-learn where it has the model; cvxpy (skreg.reference) for WeightedLasso,
SqrtLasso, graphLa and the convex recovery problems; QuantileRegressor(quantile=0.5,
alpha=alpha/2, solver='highs') for LADLasso, the same objective halved (scores on the clean
held-out targets); OrthogonalMatchingPursuit for WeightedOMP (training residual sums of
squares compared); POT's ot.sinkhorn (if installed) and cvxpy for optimal transport (the
regularized objectives compared); LassoCV's grid for ImplicitDiffSearchCV.
Times: median of {repeats} fits (fewer once they add up to a second; 1 for cvxpy, the searches,
graphLa and the recoveries), compilation excluded (first fits took {t_first:.2f} s); whole
tour {total:.0f} s."""
