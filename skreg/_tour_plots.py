"""Figures of ``python -m skreg --plots DIR``: one function per section, each returns a figure.

matplotlib is imported here only, when ``--plots`` is given (it is not a dependency of skreg).
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def lasso_path(alphas, coefs, names, alpha_cv, mse_path):
    """Lasso coefficients along the path, with LassoCV's choice and its CV error."""
    fig, (ax, ax_cv) = plt.subplots(1, 2, figsize=(11, 4))
    for name, coef in zip(names, coefs):
        ax.plot(alphas, coef, label=name)
    ax_cv.plot(alphas, mse_path, color="0.7", lw=0.8)
    ax_cv.plot(alphas, mse_path.mean(axis=1), color="k", lw=2, label="mean over folds")
    for a in (ax, ax_cv):
        a.set_xscale("log")
        a.axvline(alpha_cv, color="C3", ls="--", label=f"LassoCV alpha_ = {alpha_cv:.3g}")
        a.set_xlabel("alpha")
    ax.set_ylabel("coefficient (standardized features)")
    ax.set_title("skreg.lasso_path on diabetes")
    ax.legend(fontsize=7, ncol=2)
    ax_cv.set_ylabel("held-out mean squared error")
    ax_cv.set_title("skreg.LassoCV: 5 folds")
    ax_cv.legend(fontsize=8)
    fig.tight_layout()
    return fig


def robust(names, coefs):
    """Coefficients of the Lasso (clean and corrupted y) and of the LAD Lasso (corrupted y)."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    width = 0.8 / len(coefs)
    positions = np.arange(len(names))
    for k, (label, coef) in enumerate(coefs.items()):
        ax.bar(positions + (k - (len(coefs) - 1) / 2) * width, coef, width, label=label)
    ax.axhline(0.0, color="k", lw=0.6)
    ax.set_xticks(positions, names)
    ax.set_ylabel("coefficient")
    ax.set_title("A tenth of the targets off by +-1000: the LAD Lasso barely moves")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def compressive_sensing(truth, estimates):
    """The 10-sparse signal and its greedy recoveries from corrupted measurements."""
    fig, axes = plt.subplots(1, len(estimates), figsize=(11, 3.6), sharey=True)
    index = np.arange(truth.size)
    for ax, (label, estimate) in zip(np.atleast_1d(axes), estimates.items()):
        support = np.flatnonzero(truth)
        ax.plot(support, truth[support], "o", mfc="none", ms=9, color="k", label="true x")
        ax.vlines(index, 0.0, estimate, color="C3", lw=1.2)
        ax.plot(index[estimate != 0], estimate[estimate != 0], ".", color="C3", label=label)
        ax.axhline(0.0, color="k", lw=0.5)
        ax.set_title(label)
        ax.set_xlabel("coordinate")
        ax.legend(fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("coefficient")
    fig.suptitle("100 measurements of a 10-sparse x in dimension 300, 10% corrupted by +-100")
    fig.tight_layout()
    return fig


def ct_images(truth, images, size):
    """The phantom and its reconstructions, with their root-mean-square errors."""
    fig, axes = plt.subplots(1, len(images) + 1, figsize=(3.4 * (len(images) + 1), 3.6))
    titles = ["Shepp-Logan phantom"] + [
        f"{label}\nRMSE {np.sqrt(np.mean((image - truth) ** 2)):.3f}"
        for label, image in images.items()]
    for ax, image, title in zip(axes, [truth, *images.values()], titles):
        ax.imshow(np.asarray(image).reshape(size, size), cmap="gray", vmin=0.0, vmax=1.0)
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def recovery_rates(rates, n_trials, ratio):
    """Success rates of Cauchy-Schwarz recovery and of the convex baselines."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    labels = list(rates)
    positions = np.arange(len(labels))
    ours = [rates[p][0] for p in labels]
    convex = [rates[p][1] for p in labels]
    ax.bar(positions - 0.2, ours, 0.4, label="Cauchy-Schwarz (cs_recover)")
    ax.bar(positions + 0.2, convex, 0.4, label="l-inf (binary) / l1 (0-1) minimization")
    ax.set_xticks(positions, labels)
    ax.set_ylim(0.0, 1.05)
    ax.set_ylabel(f"success rate ({n_trials} trials)")
    ax.set_title(f"Recovery from M = {ratio:g} N Gaussian measurements, N = 100")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def ot_plans(source, target, plans):
    """Two point clouds and the transport plans between them (line width ~ mass)."""
    fig, axes = plt.subplots(1, len(plans), figsize=(5.2 * len(plans), 4.6))
    for ax, (label, plan) in zip(np.atleast_1d(axes), plans.items()):
        rows, cols = np.nonzero(plan > 1e-3 * plan.max())
        weights = plan[rows, cols] / plan.max()
        for i, j, w in zip(rows, cols, weights):
            ax.plot([source[i, 0], target[j, 0]], [source[i, 1], target[j, 1]], color="0.3",
                    lw=1.5 * w, alpha=min(1.0, 0.2 + w))
        ax.plot(*source.T, "o", color="C0", ms=4, label="source")
        ax.plot(*target.T, "o", color="C3", ms=4, label="target")
        ax.set_title(f"{label}: {rows.size} links")
        ax.set_aspect("equal")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def hyperparameter_search(alphas, mse, path_alpha, path_criterion, best):
    """LassoCV's grid of CV errors and the iterates of the implicit-differentiation search."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(alphas, mse, color="k", label="LassoCV: mean CV error on its grid")
    ax.plot(path_alpha, path_criterion, "o-", color="C3", ms=4,
            label=f"ImplicitDiffSearchCV: {len(path_alpha)} evaluations")
    ax.plot(path_alpha[best], path_criterion[best], "*", color="C3", ms=14, label="best")
    ax.set_xscale("log")
    ax.set_xlabel("alpha")
    ax.set_ylabel("held-out mean squared error")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
