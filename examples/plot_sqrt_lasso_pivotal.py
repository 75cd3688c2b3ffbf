"""
======================================================================
Square-root Lasso: the best alpha does not depend on the noise level
======================================================================

Belloni, Chernozhukov and Wang (2011), "Square-root lasso: pivotal recovery of sparse
signals via conic programming" (*Biometrika* 98(4)), replace the Lasso's squared loss by its
square root::

    Lasso:      1 / (2 n) ||y - X w||_2^2   + alpha ||w||_1
    SqrtLasso:  1 / sqrt(n) ||y - X w||_2   + alpha ||w||_1

The Lasso's penalty must be proportional to the noise level ``sigma`` (the theory asks for
``alpha ~ sigma sqrt(2 log(p) / n)``), and ``sigma`` is rarely known. The square-root datafit
is homogeneous of degree one in the residual, so scaling the noise scales its gradient and
the penalty together: a good alpha depends only on ``n`` and ``p``. The paper's *pivotal*
choice ``alpha = 1.1 Phi^{-1}(1 - 0.05 / (2 p)) / sqrt(n)`` (:func:`skreg.pivotal_alpha`)
needs no estimate of ``sigma``.

We check this on compressive-sensing data (:func:`skreg.datasets.make_compressive_sensing`:
Gaussian measurements of a 5-sparse vector in dimension ``p = 400`` from ``n = 200``
measurements) with a noise norm ``||e||_2`` spanning two decades, and record the recovery
error ``||w_hat - w*||_2 / ||w*||_2`` along an alpha grid with 4 values per decade,
averaged over 3 draws (the design, the support and the direction of the noise change with
the draw; the noise level only scales the noise).

The generator's columns have entries ``N(0, 1/n)`` (unit *expected* norm). The pivotal alpha
is stated for standardized columns, ``sum_i x_ij^2 / n = 1``, so we fit on ``sqrt(n) X``;
the true coefficients on that scale are ``w* = coef / sqrt(n)``. No intercept is fitted (the
model has none).
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import skreg
from skreg.datasets import make_compressive_sensing

n_samples, n_features, n_nonzero = 200, 400, 5
noise_levels = np.logspace(-2, 0, 5)  # ||e||_2, two decades; ||X coef||_2 is about 4 here
seeds = [0, 1, 2]
# 4 values per decade; each grid covers the region where the best alpha can be
lasso_alphas = 10.0 ** (np.arange(-20, -3) / 4)[::-1]  # 1e-5 ... 1e-1
sqrt_alphas = 10.0 ** (np.arange(-6, 1) / 4)[::-1]  # 1 ... 10^-1.5
alpha_pivotal = skreg.pivotal_alpha(n_samples, n_features)


def relative_error(coef, coef_true):
    return np.linalg.norm(coef - coef_true) / np.linalg.norm(coef_true)


start = time.perf_counter()
errors = {
    "Lasso": np.zeros((len(noise_levels), len(lasso_alphas))),
    "SqrtLasso": np.zeros((len(noise_levels), len(sqrt_alphas))),
}
pivotal_errors = np.zeros(len(noise_levels))
for seed in seeds:
    for i, noise_level in enumerate(noise_levels):
        X, y, coef = make_compressive_sensing(
            n_samples, n_features, n_nonzero=n_nonzero, noise_level=noise_level,
            random_state=seed,
        )
        X_std = np.sqrt(n_samples) * X  # sum_i x_ij^2 / n is about 1
        coef_std = coef / np.sqrt(n_samples)
        for k, alpha in enumerate(lasso_alphas):
            lasso = skreg.Lasso(alpha=alpha, fit_intercept=False).fit(X_std, y)
            errors["Lasso"][i, k] += relative_error(lasso.coef_, coef_std) / len(seeds)
        # max_iter above the default: near the interpolation regime (small alpha, p > n) the
        # scale search needs more coordinate-descent epochs than the default 1000.
        for k, alpha in enumerate(sqrt_alphas):
            sqrt_lasso = skreg.SqrtLasso(alpha=alpha, fit_intercept=False, max_iter=20_000)
            sqrt_lasso.fit(X_std, y)
            errors["SqrtLasso"][i, k] += relative_error(sqrt_lasso.coef_, coef_std) / len(seeds)
        pivotal = skreg.SqrtLasso(fit_intercept=False, max_iter=20_000).fit(X_std, y)
        pivotal_errors[i] += relative_error(pivotal.coef_, coef_std) / len(seeds)
elapsed = time.perf_counter() - start
print(f"{len(seeds)} draws x {len(noise_levels)} noise levels: {elapsed:.1f} s")

grids = {"Lasso": lasso_alphas, "SqrtLasso": sqrt_alphas}
best = {name: errors[name].argmin(axis=1) for name in errors}
for name in errors:
    best_alphas = ", ".join(f"{alpha:.2g}" for alpha in grids[name][best[name]])
    best_errors = errors[name].min(axis=1) / noise_levels
    print(f"{name}: best alpha index per noise level {best[name].tolist()} "
          f"(alpha = {best_alphas}); best error / noise level "
          f"{np.array2string(best_errors, precision=3)}")
print(f"SqrtLasso at the pivotal alpha {alpha_pivotal:.3f}: error / noise level "
      f"{np.array2string(pivotal_errors / noise_levels, precision=3)}")

# %%
# The Lasso's best alpha moves one grid step per quarter decade of noise, i.e. in proportion
# to the noise level (8 steps over two decades). The square-root Lasso's best alpha is the
# same grid value at every noise level. The pivotal alpha (dotted) is a conservative,
# noise-blind choice: above the error-minimizing grid value here, but its error is a constant
# multiple of the noise level, as the near-oracle bound of the paper predicts, without ever
# looking at ``sigma``.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
colors = plt.cm.viridis(np.linspace(0.0, 0.9, len(noise_levels)))
for ax, name in zip(axes, ["Lasso", "SqrtLasso"]):
    for i, noise_level in enumerate(noise_levels):
        curve = errors[name][i]
        ax.plot(grids[name], curve, "o-", ms=3, color=colors[i],
                label=f"||e|| = {noise_level:.2g}")
        k = best[name][i]
        ax.plot(grids[name][k], curve[k], "*", ms=14, color=colors[i], mec="k")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("alpha")
    ax.set_title(f"{name}: best alpha (stars)")
pivotal_line = axes[1].axvline(alpha_pivotal, color="k", ls=":")
axes[1].legend([pivotal_line], [f"pivotal alpha = {alpha_pivotal:.2f}"], loc="lower right",
               fontsize=8)
axes[0].set_ylabel("relative recovery error ||w - w*|| / ||w*||")
axes[0].legend(fontsize=8, loc="lower right")
fig.tight_layout()
plt.show()
