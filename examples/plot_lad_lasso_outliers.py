"""
======================================================================
LAD-Lasso: sparse recovery from grossly corrupted measurements
======================================================================

The LAD-Lasso of Wang, Li and Jiang (2007), "Robust regression shrinkage and consistent
variable selection through the LAD-Lasso" (*Journal of Business & Economic Statistics*
25(3)), replaces the squared loss by the absolute loss::

    LADLasso:   1 / n ||y - X w||_1           + alpha ||w||_1
    Lasso:      1 / (2 n) ||y - X w||_2^2     + alpha ||w||_1
    SqrtLasso:  1 / sqrt(n) ||y - X w||_2     + alpha ||w||_1

A measurement corrupted by a gross error pulls on the absolute loss with a bounded force (the
sign of its residual), whereas it dominates the squared loss and its square root. In
compressive sensing the l1 datafit is the classical remedy for sparse corruptions ("dense
error correction", Wright and Ma 2010; "justice pursuit", Laska, Davenport and Baraniuk
2009): the LAD-Lasso recovers the signal as if the corrupted measurements were not there.

Data: :func:`skreg.datasets.make_compressive_sensing` with ``n = 100`` Gaussian
measurements of a 5-sparse vector in dimension ``p = 300``, small dense noise
(``||e||_2 = 0.1``, against ``||X coef||_2`` about 4) and 0%, 5%, 10% or 20% of the
measurements corrupted by ``+-100``. For a given draw the design, the signal and the dense
noise are the same at every corruption level, and the corrupted sets are nested.

**Choice of alpha (an oracle).** For each method, draw and corruption level we fit a grid of
4 values per decade from the method's ``alpha_max`` (the smallest alpha giving ``w = 0``)
down three decades for the Lasso, two for the square-root Lasso and the LAD-Lasso (their
best alpha on clean data lies within a few steps of ``alpha_max``; the Lasso's, proportional
to the noise, lies about two decades below), and keep the alpha with the smallest recovery
error
``||w_hat - w*||_2 / ||w*||_2`` -- a choice that needs the true signal. It favours the
Lasso and the square-root Lasso (no cross-validation could do better), and still they
cannot compete: as soon as 5% of the measurements are corrupted, their best alpha is
``alpha_max`` itself, i.e. the zero estimate (relative error 1) beats every fit.

As in the square-root Lasso example, we fit on standardized columns ``sqrt(n) X``
(``sum_i x_ij^2 / n`` about 1), with true coefficients ``coef / sqrt(n)``, and no intercept.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import skreg
from skreg.datasets import make_compressive_sensing

n_samples, n_features, n_nonzero = 100, 300, 5
noise_level = 0.1
fractions = [0.0, 0.05, 0.1, 0.2]
seeds = [0, 1, 2]
# name: (estimator factory, number of decades of the grid below alpha_max). More epochs than
# the default 1000 for the coordinate-descent methods: with gross outliers their fits at small
# alpha chase the outliers (p > n) and need up to about 3500 epochs to reach the tolerance.
methods = {
    "Lasso": (lambda alpha: skreg.Lasso(alpha=alpha, fit_intercept=False, max_iter=10_000), 3),
    "SqrtLasso": (
        lambda alpha: skreg.SqrtLasso(alpha=alpha, fit_intercept=False, max_iter=20_000), 2),
    "LADLasso": (lambda alpha: skreg.LADLasso(alpha=alpha, fit_intercept=False), 2),
}


def alpha_max(name, X, y):
    """Smallest alpha whose solution is ``w = 0`` (no intercept)."""
    n = X.shape[0]
    if name == "Lasso":
        return np.abs(X.T @ y).max() / n
    if name == "SqrtLasso":
        return np.abs(X.T @ y).max() / (np.sqrt(n) * np.linalg.norm(y))
    return np.abs(X.T @ np.sign(y)).max() / n


def relative_error(coef, coef_true):
    return np.linalg.norm(coef - coef_true) / np.linalg.norm(coef_true)


start = time.perf_counter()
best_error = {name: np.zeros((len(seeds), len(fractions))) for name in methods}
curves = {}  # error along the grid, first draw, 20% corruption (for the right panel)
for s, seed in enumerate(seeds):
    for i, fraction in enumerate(fractions):
        X, y, coef = make_compressive_sensing(
            n_samples, n_features, n_nonzero=n_nonzero, noise_level=noise_level,
            outlier_fraction=fraction, outlier_magnitude=100.0, random_state=seed,
        )
        X_std = np.sqrt(n_samples) * X
        coef_std = coef / np.sqrt(n_samples)
        for name, (make, n_decades) in methods.items():
            ratios = 10.0 ** (-np.arange(0, 4 * n_decades + 1) / 4)
            alphas = alpha_max(name, X_std, y) * ratios
            errors = [relative_error(make(alpha).fit(X_std, y).coef_, coef_std)
                      for alpha in alphas]
            best_error[name][s, i] = min(errors)
            if s == 0 and fraction == fractions[-1]:
                curves[name] = (ratios, errors)
print(f"{len(seeds)} draws x {len(fractions)} corruption levels: "
      f"{time.perf_counter() - start:.1f} s")
for name in methods:
    mean = best_error[name].mean(axis=0)
    print(f"{name:>9}: mean best relative error at {fractions} corruption: "
          f"{np.array2string(mean, precision=4)}")
lad = best_error["LADLasso"].mean(axis=0)
print(f"LADLasso error / its corruption-free error: {np.array2string(lad / lad[0], precision=2)}")

# %%
# Left: the LAD-Lasso's error with 20% of the measurements grossly corrupted stays close to
# its error on clean data (the dense noise sets it), while the Lasso and the square-root
# Lasso fall to the zero estimate at 5% already. Right: along the whole alpha grid (first
# draw, 20% corruption) no alpha gives the two least-squares methods a useful estimate. The
# LAD-Lasso's robustness needs a large enough alpha too: a decade below its ``alpha_max`` it
# also fits the corrupted measurements (with ``p > n`` it can interpolate all of them).
fig, (ax_frac, ax_path) = plt.subplots(1, 2, figsize=(11, 4.2))
styles = {"Lasso": ("s", "-"), "SqrtLasso": ("^", "--"), "LADLasso": ("o", "-")}
for name in methods:
    marker, ls = styles[name]
    errors = best_error[name]
    ax_frac.errorbar(100 * np.array(fractions), errors.mean(axis=0),
                     yerr=[errors.mean(axis=0) - errors.min(axis=0),
                           errors.max(axis=0) - errors.mean(axis=0)],
                     marker=marker, ls=ls, capsize=3, label=name)
    ratios, errors = curves[name]
    ax_path.plot(ratios, errors, marker=marker, ls=ls, ms=4, label=name)
for ax in (ax_frac, ax_path):
    ax.axhline(1.0, color="0.6", lw=0.8, ls=":", label="w = 0")
ax_frac.set_yscale("log")
ax_frac.set_xlabel("corrupted measurements (%), magnitude 100")
ax_frac.set_ylabel("relative recovery error ||w - w*|| / ||w*||")
ax_frac.set_title(f"Best alpha per method (oracle), {len(seeds)} draws (min-max bars)")
ax_frac.legend()
ax_path.set_xscale("log")
ax_path.set_yscale("log")
ax_path.invert_xaxis()
ax_path.set_xlabel("alpha / alpha_max")
ax_path.set_title("Error along the alpha grid, 20% corrupted (first draw)")
ax_path.legend()
fig.tight_layout()
plt.show()
