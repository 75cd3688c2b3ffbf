"""
======================================================================
Greedy LASSO rules against iterations, and against the convex LASSOs
======================================================================

Loss-based weighted OMP (Mohammad-Taheri and Brugiapaglia, "The greedy side of the LASSO",
arXiv 2303.00844; :func:`skreg.greedy.weighted_omp`) is a greedy counterpart of three convex
programs, written here in the paper's convention (unit-norm columns, no 1/2, no 1/n)::

    LASSO       min_z ||Az - y||_2^2 + lambda ||z||_1
    SR-LASSO    min_z ||Az - y||_2   + lambda ||z||_1
    LAD-LASSO   min_z ||Az - y||_1   + lambda ||z||_1

Its six rules (l0 or l1 penalty, for each loss) add, at each iteration, the coordinate whose
one-coordinate move decreases the regularized loss most, and refit the support without
penalty; they stop when no coordinate decreases it any more.

We follow the recovery error ``||x - x_true|| / ||x_true||`` along 150 iterations on Gaussian
compressive sensing (:func:`skreg.datasets.make_compressive_sensing`, ``m = 100``
measurements of a 15-sparse vector in dimension ``N = 200``, columns scaled to unit norm,
dense noise ``||e||_2 = 0.01``), median over a few draws, for each rule at its best
``lambda`` on a small grid (4 values per decade), and for plain OMP (the l0-lasso rule at
``lambda = 0``, which runs until the residual is negligible: about 95 features here, all
``m = 100`` with outliers). Once a rule stops (no coordinate decreases its loss; the default
``on_no_decrease="stop"``) its estimate no longer changes, so its curve is flat from there on.

The horizontal lines are skreg's convex solutions at their best ``lambda``: :class:`skreg.Lasso`
(``alpha = lambda / (2 m)``), :class:`skreg.SqrtLasso` (``alpha = lambda / sqrt(m)``) and
:class:`skreg.LADLasso` (``alpha = lambda / m``), computed along their regularization paths
(:func:`skreg.lasso_path`, :func:`skreg.sqrt_lasso_path`, :func:`skreg.lad_lasso_path`, the
same exact solvers) on a grid from each method's ``lambda_max`` (where the solution is 0)
down 4 decades (LASSO), 1.25 (SR-LASSO) or 2 (LAD-LASSO). The right panel repeats the
experiment with 10% of the measurements corrupted by ``+-100``.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import skreg
from skreg.datasets import make_compressive_sensing
from skreg.greedy import weighted_omp

n_samples, n_features, n_nonzero, n_iter = 100, 200, 15, 150
noise_level = 1e-2
settings = {"no outliers": 0.0, "10% outliers (+-100)": 0.1}
n_trials = 5
# (loss, penalty): log10 of the lambda grid of the greedy rules (4 values per decade)
rules = {
    ("lasso", "l0"): np.arange(-16, 1) / 4,
    ("sqrt", "l0"): np.arange(-12, 1) / 4,
    ("lad", "l0"): np.arange(-12, 3) / 4,
    ("lasso", "l1"): np.arange(-12, 3) / 4,
    ("sqrt", "l1"): np.arange(-6, 1) / 4,
    ("lad", "l1"): np.arange(-3, 3) / 4,
}
names = {rule: f"{rule[1]}-{rule[0]}" for rule in rules}
m = n_samples
# convex counterparts: (path, skreg alpha from the paper's lambda, lambda_max, decades)
convex = {
    "LASSO": (skreg.lasso_path, lambda lam: lam / (2 * m),
              lambda A, y: 2 * np.abs(A.T @ y).max(), 4),
    "SR-LASSO": (skreg.sqrt_lasso_path, lambda lam: lam / np.sqrt(m),
                 lambda A, y: np.abs(A.T @ y).max() / np.linalg.norm(y), 1.25),
    "LAD-LASSO": (skreg.lad_lasso_path, lambda lam: lam / m,
                  lambda A, y: np.abs(A.T @ np.sign(y)).max(), 2),
}


def normalized_problem(outlier_fraction, seed):
    X, y, coef = make_compressive_sensing(
        n_samples, n_features, n_nonzero=n_nonzero, noise_level=noise_level,
        outlier_fraction=outlier_fraction, random_state=seed,
    )
    norms = np.linalg.norm(X, axis=0)
    return X / norms, y, coef * norms


def relative_error(coef, x_true):
    """Relative error of one estimate (n_features,) or of each column of a path."""
    diff = coef - (x_true if coef.ndim == 1 else x_true[:, None])
    return np.linalg.norm(diff, axis=0) / np.linalg.norm(x_true)


def error_by_iteration(res, x_true):
    """Error after iterations 0..n_iter; flat after the rule stops."""
    errors = np.empty(n_iter + 1)
    errors[0] = 1.0  # z = 0
    path = relative_error(res.coef_path, x_true)
    n_done = path.size
    errors[1:n_done + 1] = path
    errors[n_done + 1:] = path[-1] if n_done else 1.0
    return errors


start = time.perf_counter()
results = {}
for setting, fraction in settings.items():
    problems = [normalized_problem(fraction, seed) for seed in range(n_trials)]
    greedy = {}
    for (loss, penalty), grid in [(("lasso", "l0"), None)] + list(rules.items()):
        lambdas = [0.0] if grid is None else 10.0 ** grid
        # curves[t, k]: errors of trial t at lambda k along the iterations
        curves = np.empty((n_trials, len(lambdas), n_iter + 1))
        for t, (A, y, x_true) in enumerate(problems):
            for k, lam in enumerate(lambdas):
                res = weighted_omp(A, y, loss=loss, penalty=penalty, alpha=lam,
                                   max_iter=n_iter, n_nonzero_coefs=n_iter)
                curves[t, k] = error_by_iteration(res, x_true)
        median = np.median(curves, axis=0)
        final = median[:, -1]
        best = np.flatnonzero(final <= final.min() * (1 + 1e-6))[0]  # smallest on ties
        label = "OMP (l0-lasso, lambda = 0)" if grid is None else names[loss, penalty]
        greedy[label] = (lambdas[best], median[best])
    lines = {}
    for name, (path, to_alpha, lambda_max, decades) in convex.items():
        errors = []
        for A, y, x_true in problems:
            lambdas = lambda_max(A, y) * 10.0 ** (-np.arange(int(4 * decades) + 1) / 4)
            # max_iter above the default: with outliers, the LASSO's coordinate descent needs
            # up to ~22000 epochs at some lambdas of the grid (it chases the outliers)
            coefs = path(A, y, alphas=to_alpha(lambdas), fit_intercept=False, tol=1e-8,
                         max_iter=50_000)[1]
            errors.append(relative_error(coefs, x_true))
        median = np.median(errors, axis=0)
        lines[name] = median.min()
    results[setting] = greedy, lines
print(f"{n_trials} trials x {len(settings)} settings: {time.perf_counter() - start:.1f} s")

for setting, (greedy, lines) in results.items():
    print(f"\n{setting}: median relative error after {n_iter} iterations (best lambda)")
    for label, (lam, curve) in greedy.items():
        changing = np.flatnonzero(curve != curve[-1])
        stop = changing[-1] + 1 if changing.size else 0
        print(f"  {label:>27}: lambda = {lam:8.3g}, error {curve[-1]:.3e} "
              f"(flat from iteration {stop})")
    for name, err in lines.items():
        print(f"  {name:>27}: best error {err:.3e}")
    best_greedy = min(curve[-1] for _, curve in greedy.values())
    print(f"  best greedy / best convex error: {best_greedy / min(lines.values()):.2f}")

# %%
# Without outliers (left) the greedy rules at their best ``lambda`` stop right after the 15
# true features and return the least-squares fit on the true support, below the convex
# solutions, whose l1 penalty shrinks the coefficients. The four least-squares rules follow
# the same (OMP) path here and differ only in where they stop, so their curves coincide;
# plain OMP goes on and fits the noise. With 10% gross outliers (right) only the lad rules
# and the LAD-LASSO stay accurate. The least-squares rules end with errors of 70-80 at every
# ``lambda`` of their grids, except the l1-sqrt rule, whose best ``lambda`` selects nothing
# (error 1); the best LASSO and SR-LASSO are the zero vector too.
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
styles = {
    "OMP (l0-lasso, lambda = 0)": ("k", ":"),
    "l0-lasso": ("C0", "-"), "l0-sqrt": ("C1", "--"), "l0-lad": ("C2", "-"),
    "l1-lasso": ("C3", "-."), "l1-sqrt": ("C4", "--"), "l1-lad": ("C5", "-"),
}
line_styles = {"LASSO": ("C3", "-"), "SR-LASSO": ("C4", "--"), "LAD-LASSO": ("C5", "-.")}
iterations = np.arange(n_iter + 1)
for ax, (setting, (greedy, lines)) in zip(axes, results.items()):
    for label, (_, curve) in greedy.items():
        color, ls = styles[label]
        ax.plot(iterations, curve, color=color, ls=ls, lw=1.6, label=label)
    for name, err in lines.items():
        color, ls = line_styles[name]
        ax.axhline(err, color=color, ls=ls, lw=1.2, alpha=0.8, label=f"{name} (convex)")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_title(f"{setting}, {n_trials} trials (median)")
axes[0].set_ylabel("||x - x_true|| / ||x_true||")
fig.suptitle(f"m = {n_samples}, N = {n_features}, s = {n_nonzero}, ||e|| = {noise_level:g}; "
             "each method at its best lambda (printed above)")
fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=5, fontsize=8)
fig.tight_layout(rect=(0, 0.12, 1, 1))
plt.show()
