r"""
==================================================================
Hyperparameter learning by implicit differentiation: Lasso, wLasso
==================================================================

Bertrand, Klopfenstein, Blondel, Vaiter, Gramfort and Salmon, "Implicit differentiation of
Lasso-type models for hyperparameter optimization" (ICML 2020; JMLR 23, 2022), choose the
regularization of a Lasso by gradient descent on a held-out or cross-validation criterion
instead of a grid. With :math:`\theta = \log\alpha`, :math:`\hat w_k(\theta)` the Lasso fitted
on the training part of fold :math:`k` and :math:`\mathcal L_k` its held-out mean squared
error, the problem is the bilevel

.. math::

   \min_\theta \; \mathcal C(\theta) = \frac1K \sum_{k=1}^K \mathcal L_k\big(\hat
   w_k(\theta)\big), \qquad \hat w_k(\theta) \in \arg\min_w \frac{1}{2 n_k} \|y_k - X_k
   w\|_2^2 + e^\theta \|w\|_1 .

On the support :math:`S` of :math:`\hat w` the Lasso solution is smooth in :math:`\theta`,
and the implicit function theorem gives :math:`\partial \hat w_S / \partial\theta = -\alpha
(X_S^\top X_S / n)^{-1} \mathrm{sign}(\hat w_S)` (and 0 off the support), so the
hypergradient costs one linear solve of the size of the support. The paper's key result,
checked here: **gradient descent on** :math:`\theta` **reaches the best value of a grid
search much faster than the grid search**. The paper also learns one strength per feature
(the weighted Lasso, :math:`p` hyperparameters, out of reach of any grid), which **overfits
the validation data** on some of its datasets.

:class:`skreg.model_selection.ImplicitDiffSearchCV` implements the search; its optimizers
``"line_search"`` (default) and Pedregosa's ``"hoag"`` are compared below. The grid searches
are :class:`skreg.LassoCV` (a warm-started path on each fold, 100 alphas from
:math:`\alpha_{\max}` to :math:`\alpha_{\max}/10^3`) and
:class:`sklearn.model_selection.GridSearchCV` over :class:`skreg.Lasso` on the same 100
alphas (every fit from scratch).

**Set-up.** A dense Gaussian design with Toeplitz correlations
(:func:`skreg.datasets.make_correlated_regression`, :math:`\mathrm{corr}(x_i, x_j) =
0.5^{|i-j|}`), 300 training samples (5-fold CV), 1000 test samples, 3000 features, 5 true
features with coefficients :math:`\pm 1`, signal-to-noise ratio :math:`\|Xw\|/\|e\| = 10`.
Every model is fitted once on a tiny problem first, so that no timing includes the numba
compilation.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, train_test_split

from skreg import Lasso, LassoCV, WeightedLasso
from skreg.datasets import make_correlated_regression
from skreg.model_selection import ImplicitDiffSearchCV

seed = 0
n_train, n_test, n_features, n_informative = 300, 1000, 3000, 5
repeats = 3  # the cheap searches are timed 3 times and their fastest run kept
t_total = time.perf_counter()

# The warm-up: every estimator and optimizer of the example on a 30 x 50 problem.
start = time.perf_counter()
X_tiny, y_tiny, _ = make_correlated_regression(30, 50, random_state=seed)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    LassoCV(cv=3).fit(X_tiny, y_tiny)
    GridSearchCV(Lasso(), {"alpha": [1.0, 0.1]}, cv=3).fit(X_tiny, y_tiny)
    for optimizer in ("line_search", "hoag"):
        ImplicitDiffSearchCV(Lasso(), cv=3, optimizer=optimizer).fit(X_tiny, y_tiny)
    ImplicitDiffSearchCV(WeightedLasso(alpha=0.1), params="weights", cv=3, max_iter=3).fit(
        X_tiny, y_tiny)
print(f"warm-up (numba compilation or cache load): {time.perf_counter() - start:.1f} s")

X_all, y_all, coef_true = make_correlated_regression(
    n_train + n_test, n_features, rho=0.5, n_informative=n_informative, snr=10.0,
    random_state=seed)
X, X_test, y, y_test = train_test_split(X_all, y_all, train_size=n_train, random_state=seed)
X, X_test = np.asfortranarray(X), np.asfortranarray(X_test)
folds = list(KFold(n_splits=5, shuffle=True, random_state=seed).split(X))
true_support = np.flatnonzero(coef_true)


def fastest_fit(make, repeats):
    """Fit ``make()`` ``repeats`` times; the fitted estimator and wall time of the fastest run
    (without the final refit of a search)."""
    best = None
    for _ in range(repeats):
        estimator = make()
        start = time.perf_counter()
        estimator.fit(X, y)
        seconds = time.perf_counter() - start - getattr(estimator, "refit_time_", 0.0)
        if best is None or seconds < best[1]:
            best = (estimator, seconds)
    return best


# %%
# Grid searches
# -------------
# :class:`~skreg.LassoCV` computes the whole path on each fold; its time per grid point is
# not observable, so its wall time (which includes its final refit on all the training
# data, one Lasso fit) is spread evenly over the 100 alphas.
# :class:`~sklearn.model_selection.GridSearchCV` reports the fit and score times of every
# candidate (summed here over the folds); the alphas are given from :math:`\alpha_{\max}`
# down, the order in which they are run, and the rest of its wall time (the search's own
# overhead) is put at the start of its curve, so that the curve ends at the measured wall
# time. Both use the Lasso's default ``tol=1e-4`` (relative duality gap) and
# ``max_iter=5000`` epochs. ``LassoCV`` is timed 3 times (fastest run kept),
# ``GridSearchCV`` once (its 500 fits average out the noise of a shared machine).
lasso_cv, t_lasso_cv = fastest_fit(lambda: LassoCV(cv=folds, max_iter=5000), repeats)
alphas = lasso_cv.alphas_  # decreasing, alphas[0] = alpha_max of the training data
alpha_max = alphas[0]
cv_curve = lasso_cv.mse_path_.mean(axis=1)
grid_best = cv_curve.min()

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    grid, t_grid = fastest_fit(
        lambda: GridSearchCV(Lasso(max_iter=5000), {"alpha": list(alphas)}, cv=folds,
                             scoring="neg_mean_squared_error", refit=False), 1)
grid_curve = -grid.cv_results_["mean_test_score"]
per_candidate = (grid.cv_results_["mean_fit_time"]
                 + grid.cv_results_["mean_score_time"]) * len(folds)

# %%
# Implicit differentiation
# ------------------------
# By default (``init="path"``) the search does not trust a single starting point: the CV
# criterion of a Lasso is not convex in :math:`\alpha`, so it first scans
# :math:`\alpha_{\max} 10^{-k/3}`, :math:`k = 0, 1, \dots` (large alphas first, where the
# fits are cheap), until the criterion has risen twice in a row (or once to more than 1%
# above the best value), and starts the gradient
# descent from the best point of that coarse grid. The paper's set-up, a descent from a fixed
# start (:math:`\alpha_{\max}/10` in the authors' sparse-ho examples), is
# ``init="estimator"`` with the estimator's ``alpha``; it is run too, with the line search.
# ``path_`` holds one row per evaluation (a fit of the 5 folds and their hypergradient) with
# its criterion and wall time; the setup of the search (the folds, the bounds of
# :math:`\alpha`) is put at the start of the curve and the final refit is left out, as for
# the grids. Each search is timed 3 times, the fastest run kept.
#
# The inner accuracy matters more here than for a grid. The last steps of the line search
# change :math:`\alpha` by a fraction of a percent; with warm starts and a loose ``tol`` a
# refit at such a nearby :math:`\alpha` can stop at once on the previous solution (its
# duality gap is already below the tolerance), the criterion does not move and the search
# stops early. The searches therefore use ``Lasso(tol=1e-6)``. ``"hoag"`` sets the inner
# tolerance itself, along the schedule :math:`10^{-3} \times 0.8^k`: its early evaluations
# are cheap and inexact, and ``path_["exact"]`` marks those made at least as accurately as
# the estimator's own ``tol``. Only these count below (and for ``best_params_``: the best
# inexact point is evaluated again at ``tol=1e-6``), since an inexact criterion can be off
# by more than the 1% that matters here.
lasso_tight = Lasso(tol=1e-6, max_iter=5000)
makers = {
    "line_search": lambda: ImplicitDiffSearchCV(lasso_tight, cv=folds),
    "hoag": lambda: ImplicitDiffSearchCV(lasso_tight, cv=folds, optimizer="hoag"),
    "line_search from alpha_max/10": lambda: ImplicitDiffSearchCV(
        clone(lasso_tight).set_params(alpha=alpha_max / 10), cv=folds, init="estimator"),
}
searches, wall = {}, {}
for name, make in makers.items():
    searches[name], wall[name] = fastest_fit(make, repeats)

# %%
# The curves (best criterion so far against cumulative time) and the table. "s to 1%" is
# the time at which a method has first evaluated a point within 1% of the best grid value
# (a grid search only knows that it has found its best point at the end of the grid).
curves = {
    "LassoCV (path)": (t_lasso_cv * np.arange(1, len(alphas) + 1) / len(alphas),
                       np.minimum.accumulate(cv_curve), len(alphas), t_lasso_cv),
    "GridSearchCV": ((t_grid - per_candidate.sum()) + np.cumsum(per_candidate),
                     np.minimum.accumulate(grid_curve), len(alphas), t_grid),
}
for name, search in searches.items():
    times = search.path_["time"]
    offset = wall[name] - times.sum()  # setup and optimizer overhead
    exact = np.where(search.path_["exact"], search.path_["criterion"], np.inf)
    curves[f"implicit diff. ({name})"] = (offset + np.cumsum(times),
                                          np.minimum.accumulate(exact), search.n_iter_,
                                          wall[name])


def time_to_reach(times, best_so_far, level):
    hit = np.flatnonzero(best_so_far <= level)
    return times[hit[0]] if hit.size else np.nan


start_value = searches["line_search from alpha_max/10"].path_["criterion"][0]
print(f"\nalpha_max = {alpha_max:.4g}; best grid CV MSE = {grid_best:.5f} at alpha = "
      f"{lasso_cv.alpha_ / alpha_max:.4f} alpha_max; at alpha_max/10: {start_value:.5f} "
      f"({start_value / grid_best - 1:+.0%})")
print(f"{'method':>45} | {'wall s':>7} | {'fits/fold':>9} | {'CV MSE':>8} | {'vs grid':>8} | "
      f"{'s to 1%':>8} | {'s to 0.1%':>9}")
reach = {}
for name, (times, best_so_far, n_fits, seconds) in curves.items():
    reach[name] = time_to_reach(times, best_so_far, 1.01 * grid_best)
    to_01 = time_to_reach(times, best_so_far, 1.001 * grid_best)
    print(f"{name:>45} | {seconds:7.2f} | {n_fits:9d} | {best_so_far[-1]:8.5f} | "
          f"{best_so_far[-1] / grid_best - 1:+8.2%} | {reach[name]:8.3f} | {to_01:9.3f}")
for name, search in searches.items():
    _, best_so_far, _, _ = curves[f"implicit diff. ({name})"]
    first = int(np.argmax(best_so_far <= 1.01 * grid_best)) + 1
    print(f"{name}: alpha = {search.best_params_['alpha'] / alpha_max:.4f} alpha_max after "
          f"{search.n_iter_} evaluations ({search.path_['exact'].sum()} exact; within 1% "
          f"from the {first}th), {search.path_['n_inner_iter'].sum()} coordinate-descent "
          f"epochs over the folds")
hoag_path = searches["hoag"].path_
idle = hoag_path["n_inner_iter"] <= len(folds)
print(f"hoag: {idle.sum()} of {len(idle)} evaluations ran a single epoch per fold (the warm "
      f"start already met the tolerance), {np.sum(idle & ~hoag_path['exact'])} of them "
      f"inexact")
for name in searches:
    key = f"implicit diff. ({name})"
    print(f"{name}: {t_lasso_cv / wall[name]:.1f}x less time than LassoCV and "
          f"{t_grid / wall[name]:.0f}x less than GridSearchCV in total; within 1% of the "
          f"grid's best {reach['LassoCV (path)'] / reach[key]:.1f}x and "
          f"{reach['GridSearchCV'] / reach[key]:.0f}x sooner")

# %%
# Left: the best CV criterion found so far against the time spent, in percent above the
# best grid value (logarithmic time; the vertical scale is logarithmic above 0.1% and
# linear below, so that points below the best grid value show as negative). Right: the CV
# curve of the grid and the points evaluated by the gradient searches (the scan of
# ``init="path"`` is the regularly spaced run of points from :math:`\alpha_{\max}` down;
# only the exact evaluations are drawn).
colors = {"line_search": ("C3", "o"), "hoag": ("C2", "s"),
          "line_search from alpha_max/10": ("C1", "^")}
styles = {"LassoCV (path)": ("C0", "-"), "GridSearchCV": ("C7", "-")}
styles.update({f"implicit diff. ({name})": (color, marker + "-")
               for name, (color, marker) in colors.items()})
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
ax = axes[0]
for name, (times, best_so_far, _, _) in curves.items():
    color, style = styles[name]
    ax.step(times, 100 * (best_so_far / grid_best - 1), style, where="post", color=color,
            label=name, markersize=3)
ax.axhline(1.0, color="k", ls=":", lw=1, label="best grid value + 1%")
ax.axhline(0.0, color="k", lw=0.5)
ax.set_xscale("log")
ax.set_yscale("symlog", linthresh=0.1)
ax.set_ylim(-1.0, 2e4)
ax.set_xlabel("time (s)")
ax.set_ylabel("best CV MSE so far, % above the best grid value")
ax.set_title(f"5-fold CV, n = {n_train}, p = {n_features}")
ax.legend(fontsize=7, loc="upper right")
ax = axes[1]
ax.plot(alphas / alpha_max, cv_curve, color="C0", label="grid (LassoCV)")
for name, search in searches.items():
    color, marker = colors[name]
    exact = search.path_["exact"]
    ax.plot(search.path_["alpha"][exact] / alpha_max, search.path_["criterion"][exact],
            marker, color=color, mfc="none", label=f"{name} evaluations")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel(r"$\alpha / \alpha_{\max}$")
ax.set_ylabel("CV mean squared error")
ax.set_title("where the gradient searches evaluate")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# One strength per feature: the weighted Lasso
# --------------------------------------------
# :class:`~skreg.WeightedLasso` penalizes :math:`\alpha \sum_j v_j |w_j|`; with
# ``params="weights"`` the search learns the 3000 weights :math:`v_j` (in log scale, with
# :math:`\alpha` fixed), starting from :math:`v = 1` at the :math:`\alpha` found by the
# line search above, so its first evaluation is the single-:math:`\alpha` Lasso. The model
# is then refitted on all the training data and judged on the 1000 test samples, next to the
# single-:math:`\alpha` Lasso refitted the same way and to the true coefficients (the noise
# level: the best any model can do).
alpha_single = searches["line_search"].best_params_["alpha"]
start = time.perf_counter()
weighted = ImplicitDiffSearchCV(WeightedLasso(alpha=alpha_single, tol=1e-6, max_iter=5000),
                                params="weights", cv=folds).fit(X, y)
t_weighted = time.perf_counter() - start
models = {"Lasso (one alpha)": searches["line_search"].best_estimator_,
          "weighted Lasso": weighted.best_estimator_}
cv_value = {"Lasso (one alpha)": -searches["line_search"].best_score_,
            "weighted Lasso": -weighted.best_score_}
test_value, selected = {}, {}
for name, model in models.items():
    test_value[name] = np.mean((y_test - model.predict(X_test)) ** 2)
    selected[name] = np.flatnonzero(model.coef_)
noise_mse = np.mean((y_test - X_test @ coef_true) ** 2)
print(f"\nweighted Lasso: {weighted.n_iter_} evaluations, {t_weighted:.1f} s")
print(f"{'model':>18} | {'CV MSE':>8} | {'test MSE':>8} | {'features':>8} | {'true ones':>9}")
for name in models:
    print(f"{name:>18} | {cv_value[name]:8.5f} | {test_value[name]:8.5f} | "
          f"{len(selected[name]):8d} | {np.isin(true_support, selected[name]).sum():5d} / "
          f"{n_informative}")
print(f"{'true coefficients':>18} | {'':>8} | {noise_mse:8.5f} |")
ratio_cv = cv_value["weighted Lasso"] / cv_value["Lasso (one alpha)"]
ratio_test = test_value["weighted Lasso"] / test_value["Lasso (one alpha)"]
verdict = "overfits the validation data" if ratio_test > 1 else "also helps on the test set"
print(f"weighted / single: CV MSE x {ratio_cv:.2f}, test MSE x {ratio_test:.2f}: the "
      f"weighted Lasso {verdict}")
v = weighted.best_params_["weights"]
others = np.setdiff1d(selected["weighted Lasso"], true_support)
print(f"learned weights: median {np.median(v):.2f}, {np.sum(v < 1)} below 1; on the true "
      f"features {np.array2string(v[true_support], precision=3)}; on the {len(others)} "
      f"other selected features from {v[others].min():.1e} to {v[others].max():.2f}")

# %%
# Left: the learned weights (log scale; the true features in red). Right: CV and test error
# of the two models.
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [2, 1]})
ax = axes[0]
ax.semilogy(np.arange(n_features), v, ".", color="0.6", markersize=2,
            label="weight $v_j$ (all features)")
ax.semilogy(selected["weighted Lasso"], v[selected["weighted Lasso"]], "x", color="C0",
            label="selected by the weighted Lasso")
ax.semilogy(true_support, v[true_support], "o", color="C3", mfc="none",
            label="true features")
ax.set_xlabel("feature")
ax.set_title("learned penalty weights (start: 1)")
ax.legend(fontsize=8)
ax = axes[1]
positions = np.arange(2)
ax.bar(positions - 0.2, [cv_value[m] for m in models], 0.4, color="C0",
       label="CV (validation)")
ax.bar(positions + 0.2, [test_value[m] for m in models], 0.4, color="C1", label="test")
ax.axhline(noise_mse, color="k", ls=":", lw=1, label="true coefficients (test)")
ax.set_xticks(positions)
ax.set_xticklabels(list(models))
ax.set_ylabel("mean squared error")
ax.set_ylim(0, 1.4 * max(max(cv_value.values()), max(test_value.values())))
ax.legend(fontsize=8, loc="upper left", ncols=2)
fig.tight_layout()
plt.show()
print(f"\ntotal {time.perf_counter() - t_total:.0f} s")

# %%
# Conclusions
# -----------
# The data, the folds and every criterion are deterministic (seed 0): the criteria, counts
# and ratios of criteria below are those printed above. The times vary from run to run and
# from machine to machine; the ones quoted are from runs on a 2-core machine (repeated runs
# agreed within about 10%), and the printed table is the reference.
#
# **Against GridSearchCV the paper's claim holds clearly.** The 100-alpha grid has its best
# CV MSE, 0.06067, at :math:`0.0248\,\alpha_{\max}`. The line search ends at
# :math:`0.0262\,\alpha_{\max}` with 0.06058, 0.16% *below* the grid's best (it is not
# restricted to the grid points), after 13 evaluations of the 5 folds: 8 for the
# ``init="path"`` scan, whose 6th point is already within 1% of the grid's best, and 5 for
# the descent. That point was reached after about 0.1 s, the end after about 0.3 s, where
# ``GridSearchCV``, which refits every candidate from scratch, needs about 1.2 s to get
# within 1% and 6 to 7 s in all: 12 to 13 times sooner, about 20 times less in total.
#
# **Against LassoCV the gain is modest.** The warm-started path is itself cheap (about 0.5 s
# for 100 alphas on 5 folds), and the gradient searches are within 1% of the best grid
# value only 2 to 2.5 times sooner and finish 1.3 to 3 times sooner; reaching the grid's
# best within 0.1% takes the default search about as long as ``LassoCV``. The paper's set-up,
# a line search from :math:`\alpha_{\max}/10` (95% above the best value here), needs no
# scan: 9 evaluations, 900 coordinate-descent epochs, the same final point, in about 0.15 s,
# 3 times less than ``LassoCV``. Its risk, a local minimum of the non-convex CV curve, does
# not materialize on this problem (it does on smaller ones, whose CV curves are noisier);
# the scan is the default for that reason.
#
# **HOAG brings nothing here.** Its evaluations at loose tolerances are cheap, but 10 of them
# stop after one epoch on the previous warm-started solution, so that neither the criterion
# nor the solution moves; only 9 of its 25 evaluations are exact (the scan and the final
# check), and its best exact point is the best point of the scan, 0.19% above the grid's
# best. For one hyperparameter, the exact line search is both faster and better.
#
# **The weighted Lasso overfits the validation data.** Learning the 3000 weights lowers the
# CV MSE from 0.0606 to 0.0241 (x 0.40), but the test MSE rises from 0.0540 to 0.0690
# (x 1.28), against 0.0491 for the true coefficients. The learned weights lower the
# penalties of the 5 true features (weights 0.002 to 0.18), but also those of the 32 other
# features that the weighted Lasso keeps (weights from 1e-5 to 0.23; 37 features in all,
# against 60 for the single-alpha Lasso, both with the 5 true ones): with 3000
# hyperparameters for 300 samples the weights adapt to the noise of the validation folds.
# This is what the paper reports on some of its datasets; more hyperparameters need more
# validation data, and only held-out test data can tell.
