"""
=====================================================================
Graph penalty on ordered features: forecasting NYSE volatility
=====================================================================

When the features of a design are *ordered* (the wavelengths of a spectrum, the lags of a
time series), neighbouring coefficients usually have similar values. A chain graph over the
ordered features encodes that prior, and
:class:`~skreg.graph.GraphLaplacianRegression` with ``penalty="l2"`` minimizes::

    1/2 ||y - X w - b||_2^2 + alpha/2 ||L w||_2^2

with ``L`` the chain's Laplacian: the penalty is zero for coefficients that are constant along
the chain (a moving average) and grows with their roughness. Ridge shrinks every coefficient
towards zero instead, and the Lasso keeps a few of them.

The data are the daily New York Stock Exchange series of ISLP (1962-1986,
:func:`skreg.datasets.load_nyse`). We forecast tomorrow's absolute Dow Jones return
``|r_t|`` (in percent, a noisy proxy of the day's volatility) from the previous ``n_lags``
days of two series: ``|r|`` itself and ``log_volume``. The features are ordered by lag within
each series, so the graph is block diagonal: one chain over the lags of each series. Volatility
has a long memory: ``|r_t|`` is correlated with ``|r_{t-k}|`` for weeks, through many small
effects spread over the lags. This is the setting where the graph penalty pays: it beats Ridge
and the Lasso in time-series cross-validated error, by a modest margin (see the end).

The data ship with skreg (:func:`skreg.datasets.load_nyse`): nothing is downloaded.
"""

# %%
# The lagged design
# -----------------
# Row ``t`` of ``X`` holds ``|r_{t-1}|, ..., |r_{t-n_lags}|`` and then
# ``log_volume_{t-1}, ..., log_volume_{t-n_lags}``; the target is ``|r_t|``.
import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LassoCV, RidgeCV
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg.datasets import load_nyse
from skreg.graph import GraphLaplacianRegression, grid_laplacian

nyse = load_nyse()
abs_return = 100 * np.abs(nyse.data[:, 0])  # |DJ_return|, in percent
series = {"|return|": abs_return, "log_volume": nyse.data[:, 1]}


def lagged_design(series, target, n_lags):
    """Columns: lags 1..n_lags of each series, in series order; rows: days n_lags.. end."""
    n = target.shape[0]
    X = np.column_stack([s[n_lags - k : n - k] for s in series for k in range(1, n_lags + 1)])
    return X, target[n_lags:]


n_lags = 40
X, y = lagged_design(list(series.values()), abs_return, n_lags)
print(f"design: {X.shape[0]} days x {X.shape[1]} features ({len(series)} series x {n_lags} lags)")

# One chain over the lags of each series: grid_laplacian(n_lags) is the 1-D chain.
chain = sp.block_diag([grid_laplacian(n_lags)] * len(series), format="csr")

# %%
# Cross-validation that respects time
# -----------------------------------
# Volatility clusters in time, so shuffled K-fold would put the neighbours of every test day in
# the training set. :class:`~sklearn.model_selection.TimeSeriesSplit` forecasts forward only:
# each model is trained on a rolling window of the 1000 previous trading days (four years) and
# tested on the next 250 (one year), 20 times; inside each window ``alpha`` is tuned by a
# second, inner time-series split. Every model sees the same data; the features are
# standardized inside the pipeline (on the training window only).
window, horizon = 1000, 250
n_splits = (X.shape[0] - window) // horizon
outer = TimeSeriesSplit(n_splits=n_splits, max_train_size=window, test_size=horizon)
inner = TimeSeriesSplit(n_splits=5)

models = {
    "training mean": DummyRegressor(),
    "Ridge": make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 6, 17), cv=inner)),
    "Lasso": make_pipeline(StandardScaler(), LassoCV(cv=inner, max_iter=10_000)),
    "graph l2 (chain)": GridSearchCV(
        make_pipeline(
            StandardScaler(),
            GraphLaplacianRegression(penalty="l2", graph=chain, fit_intercept=True),
        ),
        {"graphlaplacianregression__alpha": np.logspace(-1, 9, 11)},
        cv=inner,
        scoring="neg_mean_squared_error",
    ),
    # graph total variation: sum of |w_p - w_q| over the edges, piecewise-constant curves
    "graph tv (chain)": GridSearchCV(
        make_pipeline(
            StandardScaler(),
            GraphLaplacianRegression(penalty="tv", graph=chain, fit_intercept=True, tol=1e-5),
        ),
        {"graphlaplacianregression__alpha": np.logspace(0, 4, 5)},
        cv=inner,
        scoring="neg_mean_squared_error",
    ),
}

results = {}
for name, model in models.items():
    tic = time.perf_counter()
    cv = cross_validate(model, X, y, cv=outer, scoring="neg_mean_squared_error",
                        return_estimator=True)
    results[name] = {"mse": -cv["test_score"], "estimators": cv["estimator"],
                     "time": time.perf_counter() - tic}

# %%
# Cross-validated error
# ---------------------
# Mean squared error of the forecasts on the 20 test years (mean and standard deviation over
# the folds), and the out-of-sample :math:`R^2 = 1 - \mathrm{MSE} / \mathrm{MSE}_0` against
# the naive forecast by the training window's mean (:math:`\mathrm{MSE}_0`). The ordinary
# :math:`R^2` of each test year (against the mean of that same year, which no forecaster
# knows) is negative for every model: the level of volatility moves between years. The
# spread over the years is large for the same reason, so the last two columns pair the folds:
# the graph penalty's error minus the model's (mean and standard error over the years), and in
# how many of the 20 years the graph penalty's error is the lower one.
reference = "graph l2 (chain)"
mse0 = results["training mean"]["mse"]
print(f"{'model':<17} {'MSE':>15} {'R2 oos':>15} {'l2 graph - model':>18} {'l2 wins':>8}")
for name, res in results.items():
    mse = res["mse"]
    r2 = 1 - mse / mse0
    diff = results[reference]["mse"] - mse
    res["excess"] = -diff
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    wins = "" if name == reference else f"{np.sum(diff < 0)}/{diff.size}"
    print(f"{name:<17} {mse.mean():7.4f}+-{mse.std():.4f} {r2.mean():7.3f}+-{r2.std():.3f} "
          f"{diff.mean():+9.4f}+-{se:.4f} {wins:>8}")

# %%
names = list(results)
colors = ["0.7", "tab:blue", "tab:orange", "tab:green", "tab:purple"]
fig, (ax_mse, ax_diff) = plt.subplots(1, 2, figsize=(11, 3.8))
ax_mse.bar(names, [results[n]["mse"].mean() for n in names],
           yerr=[results[n]["mse"].std() for n in names], color=colors, capsize=4)
ax_mse.set_ylabel("test MSE of |r_t|")
ax_mse.set_title("mean and std over the 20 test years")
others = [n for n in names if n != reference]
excess = [results[n]["excess"] for n in others]
ax_diff.bar(others, [e.mean() for e in excess],
            yerr=[e.std(ddof=1) / np.sqrt(e.size) for e in excess],
            color=[colors[names.index(n)] for n in others], capsize=4)
ax_diff.axhline(0, color="k", lw=0.5)
ax_diff.set_ylabel("MSE(model) - MSE(l2 graph)")
ax_diff.set_title("paired by test year: mean and standard error")
for ax in (ax_mse, ax_diff):
    ax.tick_params(axis="x", labelrotation=20)
fig.suptitle(f"{n_lags} lags of 2 series, rolling {window}-day training windows")
fig.tight_layout()

# %%
# Coefficient curves over the lags
# --------------------------------
# The coefficients of each model in the 20 training windows (thin lines; the last window,
# 1982-1985, in bold). The graph penalty gives a smooth curve in every window: every lag
# contributes a little (the long memory of volatility). Where cross-validation pushes ``alpha``
# to the top of its grid the curve is flat, the limit in which the model is the plain moving
# average of each series over the last ``n_lags`` days; elsewhere it decays with the lag. Ridge
# gives jagged curves that change from window to window, and the Lasso keeps a handful of
# lags (or none) and drops the rest.


def coefficients(estimator):
    """Coefficients of a fitted pipeline (or of the best one of a search), one row a series."""
    pipe = getattr(estimator, "best_estimator_", estimator)
    return pipe[-1].coef_.reshape(len(series), n_lags)


lags = np.arange(1, n_lags + 1)
fitted = ["Ridge", "Lasso", "graph l2 (chain)", "graph tv (chain)"]
fig, axes = plt.subplots(len(series), len(fitted), figsize=(13, 5.6), sharex=True,
                         sharey="row")
for j, name in enumerate(fitted):
    color = colors[names.index(name)]
    coefs = np.array([coefficients(est) for est in results[name]["estimators"]])
    for i, label in enumerate(series):
        ax = axes[i, j]
        ax.plot(lags, coefs[:, i].T, color=color, lw=0.6, alpha=0.35)
        ax.plot(lags, coefs[-1, i], color=color, lw=2)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(f"{name}: lagged {label}", fontsize=10)
for ax in axes[-1]:
    ax.set_xlabel("lag (trading days)")
for ax in axes[:, 0]:
    ax.set_ylabel("coefficient")
fig.tight_layout()

for name in ("graph l2 (chain)", "graph tv (chain)"):
    log_alphas = np.log10([est.best_params_["graphlaplacianregression__alpha"]
                           for est in results[name]["estimators"]])
    print(f"{name}, log10(alpha) chosen in the 20 windows:", np.round(log_alphas, 1))
print("fit + tune time per model (s): "
      + ", ".join(f"{n}: {r['time']:.1f}" for n, r in results.items()))
plt.show()

# %%
# When does the graph penalty pay?
# --------------------------------
# The margin is real but modest: about 4% lower test error than Ridge and 6% lower than the
# Lasso here, in 15 and 14 of the 20 years. Rerunning this script with other ``n_lags`` and
# ``window`` (same test years; 16 with 2000-day windows) gives, as out-of-sample
# :math:`R^2` and as the paired error difference graph - Ridge and graph - Lasso:
#
# ========  ========  ======  ======  ======  ======================  ======================
# n_lags    window    l2      Ridge   Lasso   l2 - Ridge (wins)       l2 - Lasso (wins)
# ========  ========  ======  ======  ======  ======================  ======================
# 40        250       0.030   0.003   0.006   -0.0099 +- 0.0056 (15)  -0.0079 +- 0.0057 (14)
# 40        500       0.067   0.024   0.012   -0.0191 +- 0.0075 (17)  -0.0237 +- 0.0090 (16)
# 40        1000      0.088   0.060   0.042   -0.0126 +- 0.0038 (15)  -0.0203 +- 0.0064 (14)
# 40        2000      0.075   0.064   0.064   -0.0045 +- 0.0023 (11)  -0.0048 +- 0.0026 (9)
# 10        1000      0.073   0.056   0.049   -0.0064 +- 0.0023 (14)  -0.0102 +- 0.0035 (13)
# 20        1000      0.088   0.063   0.052   -0.0092 +- 0.0027 (16)  -0.0144 +- 0.0043 (15)
# 80        1000      0.085   0.056   0.036   -0.0129 +- 0.0041 (17)  -0.0238 +- 0.0092 (15)
# ========  ========  ======  ======  ======  ======================  ======================
#
# The graph penalty has the lowest mean error in every setting, by the widest margins with many
# lags and short training windows (few samples per coefficient), by the smallest with
# 2000-day windows, where all three models approach least squares (there the difference is
# within two standard errors). Total variation on the same chain is as good as the l2 penalty
# within its standard error, at about twice the cost per fit (an ADMM solve).
#
# It is not a free lunch: the prior must fit the data. On ISLP's own task, forecasting
# ``log_volume`` from lags of the three series, the coefficient curves are not smooth (the
# previous day's volume and volatility carry most of the weight, older lags little), and the
# chain over all lags loses to both Ridge and the Lasso. Leaving lag 1 out of each chain (an
# isolated node, unpenalized) only ties with the Lasso, and a ridge penalty with the same
# unpenalized lag 1 does as well: there the gain comes from the free lag, not from smoothness.
