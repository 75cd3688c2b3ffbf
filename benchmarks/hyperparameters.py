"""Benchmark hyperparameter learning: ImplicitDiffSearchCV against LassoCV and GridSearchCV.

Run from the repository root::

    python benchmarks/hyperparameters.py            # full run (about 10-20 min on 2 cores)
    python benchmarks/hyperparameters.py --quick    # small problems, about 1 min

All methods run in this process, side by side, on the same 5 folds (``KFold(5, shuffle=True,
random_state=0)``), after a warm-up on a tiny problem that excludes JIT compilation (compile
time is reported separately, from fresh processes, unless ``--skip-compile``):

* **grid** -- the reference: the CV mean squared error of ``skreg.Lasso`` on a 100-point
  geometric grid over ``[alpha_max / 1e3, alpha_max]`` (``LassoCV(alphas=grid).mse_path_``),
  whose minimum ``B`` is the target;
* **LassoCV** -- skreg's and scikit-learn's, 100 alphas, ``eps=1e-3``;
* **GridSearchCV** -- over ``skreg.Lasso`` with the same 100 alphas (timed once, and only up
  to ``n * p = 3e6``: 500 cold fits take many minutes beyond);
* **ImplicitDiffSearchCV** -- with each optimizer (line_search, hoag, maid, adam, gd) and the
  default start (``init="path"``: a coarse scan down from ``alpha_max``, 3 points per decade,
  until the criterion rises twice, or once above 1% of the best; its evaluations are counted).

Every skreg solver runs at ``tol=1e-6`` (relative duality gap); scikit-learn's LassoCV at its
default ``tol=1e-4`` (its own gap scale; it is given the advantage). The measure is the time
until the CV criterion is within 1% of ``B``: a grid method has to finish (its total time);
for ImplicitDiffSearchCV it is the set-up time plus the wall time of its evaluations
(``path_["time"]``) up to the first one within 1% (its total fit time is also reported). The
criterion each method ends at is re-evaluated on the grid's scale (at the alpha it chose, same
folds, ``tol=1e-8``) and reported relative to ``B``.

A second part learns one strength per feature (``WeightedLasso``, ``params="weights"``, started
at the single-alpha optimum) and reports its CV criterion and its test error on held-out data
next to LassoCV and the single-alpha search: more hyperparameters can overfit the validation
criterion, and the table says when they do.

Results go to ``benchmarks/results/hyperparameters.{json,md,png}`` (quick:
``hyperparameters_quick.*``); see ``benchmarks/README.md``.
"""

import argparse
import os
import sys
import time
import warnings
from datetime import datetime, timezone

import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # benchmark the checkout's skreg, not an install

from _harness import (  # noqa: E402
    format_seconds,
    fresh_process_timings,
    log,
    machine_info,
    versions,
    write_json,
)

OPTIMIZERS = ("line_search", "hoag", "maid", "adam", "gd")
TOL = 1e-6
N_ALPHAS = 100
TARGET = 0.01
GRID_SEARCH_MAX_SIZE = 3_000_000  # n * p above which GridSearchCV (500 cold fits) is skipped


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def make_dense(n, p, seed=0, n_true=10, snr=3.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[rng.choice(p, n_true, replace=False)] = rng.choice([-1.0, 1.0], n_true) * (
        1.0 + rng.random(n_true))
    signal = X @ w
    y = signal + np.std(signal) / snr * rng.standard_normal(n)
    return np.asfortranarray(X), y


def make_sparse(n, p, density, seed=0, n_true=20, snr=3.0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csc", random_state=seed,
                  data_rvs=rng.standard_normal)
    w = np.zeros(p)
    w[rng.choice(p, n_true, replace=False)] = rng.choice([-1.0, 1.0], n_true) * (
        1.0 + rng.random(n_true))
    signal = X @ w
    y = signal + np.std(signal) / snr * rng.standard_normal(n)
    return X, y


def load_diabetes_poly():
    """Diabetes (442 x 10, bundled with scikit-learn) with degree-3 interactions: 285 columns."""
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    X, y = load_diabetes(return_X_y=True)
    X = PolynomialFeatures(3, include_bias=False).fit_transform(X)
    return np.asfortranarray(StandardScaler().fit_transform(X)), y.astype(float)


def load_nci60_gene():
    """NCI-60 expression (64 cell lines x 6830 genes, shipped with skreg): one gene predicted
    from all others (the most variable gene as the target)."""
    from sklearn.preprocessing import StandardScaler

    from skreg.datasets import load_nci60

    data = np.asarray(load_nci60().data, dtype=float)
    j = int(np.argmax(data.std(axis=0)))
    y = data[:, j].copy()
    X = np.delete(data, j, axis=1)
    return np.asfortranarray(StandardScaler().fit_transform(X)), y


def cases(quick):
    out = [("dense 100x1000", lambda: make_dense(100, 1000)),
           ("sparse 500x5000 (1%)", lambda: make_sparse(500, 5000, 0.01)),
           ("diabetes poly3 442x285", load_diabetes_poly)]
    if quick:
        out.insert(1, ("dense 200x2000", lambda: make_dense(200, 2000)))
        return out
    out[1:1] = [("dense 500x5000", lambda: make_dense(500, 5000)),
                ("dense 1000x20000", lambda: make_dense(1000, 20000))]
    out.insert(4, ("sparse 2000x20000 (0.5%)", lambda: make_sparse(2000, 20000, 0.005)))
    out.append(("NCI-60 gene 64x6829", load_nci60_gene))
    return out


# --------------------------------------------------------------------------------------------
# methods
# --------------------------------------------------------------------------------------------
def folds_of(X):
    from sklearn.model_selection import KFold

    return list(KFold(5, shuffle=True, random_state=0).split(np.zeros(X.shape[0])))


def alpha_max(X, y):
    yc = y - y.mean()
    Xm = np.asarray(X.mean(axis=0)).ravel()
    corr = np.asarray(X.T @ yc).ravel() - Xm * yc.sum()
    return float(np.max(np.abs(corr)) / X.shape[0])


def cv_criterion(X, y, folds, alpha, tol=1e-8):
    """CV mean squared error at one alpha (mean over folds), tight solves."""
    from skreg import Lasso

    out = []
    for tr, te in folds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = Lasso(alpha=alpha, tol=tol, max_iter=100_000).fit(X[tr], y[tr])
        r = y[te] - m.predict(X[te])
        out.append(float(r @ r) / len(te))
    return float(np.mean(out))


def timed(fn, repeats):
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), result


def run_case(name, X, y, repeats, n_jobs):
    from sklearn.linear_model import LassoCV as SkLassoCV
    from sklearn.model_selection import GridSearchCV

    from skreg import Lasso, LassoCV
    from skreg.model_selection import ImplicitDiffSearchCV

    folds = folds_of(X)
    amax = alpha_max(X, y)
    grid = np.geomspace(amax, amax / 1e3, N_ALPHAS)
    ref = LassoCV(alphas=grid, cv=folds, tol=1e-8, max_iter=100_000).fit(X, y)
    curve = ref.mse_path_.mean(axis=1)
    B = float(curve.min())
    rec = {"case": name, "n": X.shape[0], "p": X.shape[1], "sparse": sp.issparse(X),
           "alpha_max": amax, "grid_best": B, "grid_best_alpha": float(ref.alphas_[
               np.argmin(curve)]), "methods": {}}
    log(f"{name}: grid best {B:.6g} at alpha/alpha_max = {rec['grid_best_alpha'] / amax:.3g}")

    def add(method, seconds, alpha, extra=None):
        crit = cv_criterion(X, y, folds, alpha)
        entry = {"time_s": seconds, "time_to_target_s": seconds, "alpha": float(alpha),
                 "criterion": crit, "rel_gap": (crit - B) / B}
        entry.update(extra or {})
        rec["methods"][method] = entry
        log(f"  {method:28s} {format_seconds(entry['time_to_target_s']):>9s} "
            f"(total {format_seconds(seconds)}) alpha/amax {alpha / amax:.3g} "
            f"criterion/B - 1 = {entry['rel_gap']:+.2e}")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, m = timed(lambda: LassoCV(n_alphas=N_ALPHAS, eps=1e-3, cv=folds, tol=TOL,
                                     n_jobs=n_jobs).fit(X, y), repeats)
        add("skreg LassoCV", t, m.alpha_)
        sk_kw = {"alphas": N_ALPHAS} if _sklearn_alphas_int() else {"n_alphas": N_ALPHAS}
        t, m = timed(lambda: SkLassoCV(eps=1e-3, cv=folds, n_jobs=n_jobs, **sk_kw).fit(X, y),
                     repeats)
        add("sklearn LassoCV", t, m.alpha_)
        if X.shape[0] * X.shape[1] <= GRID_SEARCH_MAX_SIZE:  # cold fits: minutes above
            t, m = timed(lambda: GridSearchCV(Lasso(tol=TOL, max_iter=100_000),
                                              {"alpha": grid}, cv=folds,
                                              scoring="neg_mean_squared_error",
                                              n_jobs=n_jobs).fit(X, y), 1)
            add("GridSearchCV(skreg Lasso)", t, m.best_params_["alpha"])
        for opt in OPTIMIZERS:
            max_iter = 100 if opt in ("adam", "gd") else 50

            def fit(opt=opt, max_iter=max_iter):
                return ImplicitDiffSearchCV(Lasso(tol=TOL, max_iter=100_000), cv=folds,
                                            optimizer=opt, max_iter=max_iter,
                                            n_jobs=n_jobs).fit(X, y)

            t, s = timed(fit, repeats)
            path = s.path_
            setup = max(t - float(np.sum(path["time"])) - s.refit_time_, 0.0)
            cum = setup + np.cumsum(path["time"])
            ok = np.flatnonzero(path["exact"] & (path["criterion"] <= (1 + TARGET) * B))
            to_target = float(cum[ok[0]]) if len(ok) else None
            add(f"ImplicitDiff {opt}", t, s.best_params_["alpha"], {
                "time_to_target_s": to_target, "n_evaluations": int(s.n_iter_),
                "n_inner_iter": int(np.sum(path["n_inner_iter"])),
                "trace": {"time": cum.tolist(), "criterion": path["criterion"].tolist(),
                          "exact": path["exact"].tolist()}})
    base = rec["methods"]["skreg LassoCV"]["time_s"]
    base_sk = rec["methods"]["sklearn LassoCV"]["time_s"]
    for entry in rec["methods"].values():
        tt = entry["time_to_target_s"]
        entry["ratio_vs_skreg_LassoCV"] = tt / base if tt is not None else None
        entry["ratio_vs_sklearn_LassoCV"] = tt / base_sk if tt is not None else None
    return rec


def _sklearn_alphas_int():
    import inspect

    from sklearn.linear_model import LassoCV as SkLassoCV

    return "n_alphas" not in inspect.signature(SkLassoCV).parameters


def run_weighted(name, X, y, n_jobs):
    """Per-feature strengths: CV criterion on the training part, error on a held-out test."""
    from sklearn.model_selection import train_test_split

    from skreg import Lasso, LassoCV, WeightedLasso
    from skreg.model_selection import ImplicitDiffSearchCV

    idx_tr, idx_te = train_test_split(np.arange(X.shape[0]), test_size=0.3, random_state=0)
    Xtr, ytr, Xte, yte = X[idx_tr], y[idx_tr], X[idx_te], y[idx_te]
    folds = folds_of(Xtr)
    out = {"case": name, "n_train": len(idx_tr), "n_test": len(idx_te), "p": X.shape[1]}

    def test_mse(model):
        r = yte - model.predict(Xte)
        return float(r @ r) / len(yte)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        cvm = LassoCV(n_alphas=N_ALPHAS, cv=folds, tol=TOL, n_jobs=n_jobs).fit(Xtr, ytr)
        t_cv = time.perf_counter() - t0
        out["LassoCV"] = {"cv_criterion": float(cvm.mse_path_.mean(axis=1).min()),
                          "test_mse": test_mse(cvm), "time_s": t_cv,
                          "n_nonzero": int(np.count_nonzero(cvm.coef_))}
        t0 = time.perf_counter()
        single = ImplicitDiffSearchCV(Lasso(tol=TOL, max_iter=100_000), cv=folds,
                                      n_jobs=n_jobs).fit(Xtr, ytr)
        t_single = time.perf_counter() - t0
        alpha = single.best_params_["alpha"]
        out["ImplicitDiff alpha"] = {
            "cv_criterion": -single.best_score_, "test_mse": test_mse(single),
            "time_s": t_single, "n_nonzero": int(np.count_nonzero(single.best_estimator_.coef_))}
        t0 = time.perf_counter()
        weighted = ImplicitDiffSearchCV(
            WeightedLasso(alpha=alpha, tol=TOL, max_iter=100_000),
            {"weights": np.ones(X.shape[1])}, cv=folds, max_iter=100, n_jobs=n_jobs,
        ).fit(Xtr, ytr)
        t_w = time.perf_counter() - t0
        out["ImplicitDiff weights"] = {
            "cv_criterion": -weighted.best_score_, "test_mse": test_mse(weighted),
            "time_s": t_w, "n_evaluations": int(weighted.n_iter_),
            "n_nonzero": int(np.count_nonzero(weighted.best_estimator_.coef_))}
    out["overfits_validation"] = bool(
        out["ImplicitDiff weights"]["cv_criterion"] < out["ImplicitDiff alpha"]["cv_criterion"]
        and out["ImplicitDiff weights"]["test_mse"] > out["ImplicitDiff alpha"]["test_mse"])
    for key in ("LassoCV", "ImplicitDiff alpha", "ImplicitDiff weights"):
        e = out[key]
        log(f"  weighted part {name}: {key:22s} CV {e['cv_criterion']:.5g} test "
            f"{e['test_mse']:.5g} nnz {e['n_nonzero']} ({format_seconds(e['time_s'])})")
    return out


def run_threads(X, y, repeats):
    """ImplicitDiffSearchCV with folds in 1 and 2 threads (n_jobs) on one problem."""
    from skreg import Lasso
    from skreg.model_selection import ImplicitDiffSearchCV

    folds = folds_of(X)
    out = {"n": X.shape[0], "p": X.shape[1], "runs": {}}
    for n_jobs in (1, os.cpu_count()):
        t, _ = timed(lambda n_jobs=n_jobs: ImplicitDiffSearchCV(
            Lasso(tol=TOL, max_iter=100_000), cv=folds, n_jobs=n_jobs).fit(X, y), repeats)
        out["runs"][str(n_jobs)] = t
        log(f"  threads: n_jobs={n_jobs}: {format_seconds(t)}")
    return out


_COMPILE_SCRIPT = r"""
import json, time
import numpy as np
t0 = time.perf_counter()
import skreg
from skreg.model_selection import ImplicitDiffSearchCV
t1 = time.perf_counter()
rng = np.random.default_rng(0)
X = rng.standard_normal((60, 100)); y = X[:, :3].sum(axis=1) + rng.standard_normal(60)
ImplicitDiffSearchCV(skreg.Lasso(), cv=3, max_iter=3).fit(X, y)
t2 = time.perf_counter()
print("RESULT " + json.dumps({"import_s": t1 - t0, "first_search_s": t2 - t1}))
"""


def warm_up():
    from skreg import Lasso, LassoCV, WeightedLasso
    from skreg.model_selection import ImplicitDiffSearchCV

    X, y = make_dense(40, 60)
    Xs, ys = make_sparse(40, 60, 0.3)
    for A, b in ((X, y), (Xs, ys)):
        LassoCV(n_alphas=5, cv=3).fit(A, b)
        for opt in OPTIMIZERS:
            ImplicitDiffSearchCV(Lasso(), cv=3, optimizer=opt, max_iter=3).fit(A, b)
        ImplicitDiffSearchCV(WeightedLasso(alpha=0.05), "weights", cv=3, max_iter=3).fit(A, b)


# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------
def markdown(payload):
    lines = [f"# Hyperparameter learning ({payload['mode']})", "",
             f"{payload['date']}, {payload['machine']['cpu_count']} cores; skreg solvers at "
             f"tol={TOL}, 5 folds; time until the CV criterion is within {TARGET:.0%} of the "
             f"best of a {N_ALPHAS}-point grid (grid methods: total time). Ratio = that time / "
             f"skreg LassoCV's (sklearn LassoCV's in brackets); criterion = relative gap to the "
             f"grid best at the alpha each method returns.", ""]
    for rec in payload["cases"]:
        lines += [f"## {rec['case']} (n={rec['n']}, p={rec['p']})", "",
                  "| method | time to 1% | total | ratio vs LassoCV | criterion/B - 1 | "
                  "evaluations |", "|---|---|---|---|---|---|"]
        for name, e in rec["methods"].items():
            ratio = e["ratio_vs_skreg_LassoCV"]
            ratio_s = "not reached" if ratio is None else (
                f"{ratio:.3f} ({e['ratio_vs_sklearn_LassoCV']:.3f})")
            lines.append(
                f"| {name} | {format_seconds(e['time_to_target_s'])} | "
                f"{format_seconds(e['time_s'])} | {ratio_s} | {e['rel_gap']:+.2e} | "
                f"{e.get('n_evaluations', '-')} |")
        lines.append("")
    if payload.get("weighted"):
        lines += ["## One strength per feature (WeightedLasso)", "",
                  "| case | model | CV criterion | test MSE | non-zeros | time |",
                  "|---|---|---|---|---|---|"]
        for w in payload["weighted"]:
            for key in ("LassoCV", "ImplicitDiff alpha", "ImplicitDiff weights"):
                e = w[key]
                lines.append(f"| {w['case']} | {key} | {e['cv_criterion']:.5g} | "
                             f"{e['test_mse']:.5g} | {e['n_nonzero']} | "
                             f"{format_seconds(e['time_s'])} |")
            lines.append(f"| {w['case']} | overfits the validation criterion? | "
                         f"{'yes' if w['overfits_validation'] else 'no'} | | | |")
        lines.append("")
    if payload.get("threads"):
        th = payload["threads"]
        lines += [f"## Folds in threads ({th['n']}x{th['p']})", ""]
        lines += [f"- n_jobs={k}: {format_seconds(v)}" for k, v in th["runs"].items()]
        lines.append("")
    if payload.get("compile"):
        c = payload["compile"]
        lines += ["## Compile (fresh processes)", ""]
        for state in ("cold", "warm"):
            lines.append(f"- {state}: " + ", ".join(
                f"{k} {v:.2f} s" if isinstance(v, float) else f"{k} {v}"
                for k, v in c[state].items()))
        lines.append("")
    ratios = [e["ratio_vs_skreg_LassoCV"] for rec in payload["cases"]
              for k, e in rec["methods"].items() if k == "ImplicitDiff line_search"]
    if ratios and all(r is not None for r in ratios):
        lines += [f"Median ratio (line_search / skreg LassoCV): {np.median(ratios):.3f}; "
                  f"max {np.max(ratios):.3f}.", ""]
    return "\n".join(lines)


def plot(payload, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    from matplotlib.ticker import NullFormatter

    recs = payload["cases"]
    names = list(dict.fromkeys(k for rec in recs for k in rec["methods"]))
    colors = {k: f"C{i}" for i, k in enumerate(names)}  # one color per method everywhere
    ncol = min(3, len(recs))
    nrow = int(np.ceil(len(recs) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(5 * ncol, 3.6 * nrow), squeeze=False)
    for ax, rec in zip(axes.ravel(), recs):
        B = rec["grid_best"]
        for name, e in rec["methods"].items():
            if "trace" in e:
                tr = e["trace"]
                crit = np.where(tr["exact"], tr["criterion"], np.inf)
                best = np.minimum.accumulate(crit)
                ax.step(tr["time"], np.maximum(best / B - 1, 1e-6), where="post",
                        color=colors[name], label=name.replace("ImplicitDiff ", "implicit "))
            else:
                ax.plot(e["time_s"], max(e["rel_gap"], 1e-6), "o", color=colors[name],
                        label=name)
        ax.axhline(TARGET, color="k", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("seconds")
        ax.set_ylabel("best CV criterion / grid best - 1")
        ax.set_title(rec["case"], fontsize=9)
        ax.xaxis.set_minor_formatter(NullFormatter())
    for ax in axes.ravel()[len(recs):]:
        ax.axis("off")
    handles = {}
    for ax in axes.ravel():
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    axes[0, 0].legend(handles.values(), handles.keys(), fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def replot(json_path):
    """Redraw the figure of a finished run from its JSON."""
    import json

    with open(json_path) as handle:
        payload = json.load(handle)
    plot(payload, json_path[:-len(".json")] + ".png")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small problems (about 1 min)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs (3, quick 1)")
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="n_jobs of every method (default None: one thread per fold loop, "
                        "numba kernels on all cores)")
    parser.add_argument("--skip-compile", action="store_true")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    repeats = args.repeats or (1 if args.quick else 3)
    output = args.output or os.path.join(
        HERE, "results", "hyperparameters" + ("_quick" if args.quick else ""))
    start = time.perf_counter()
    t0 = time.perf_counter()
    warm_up()
    warm = time.perf_counter() - t0
    log(f"warm-up (JIT compile or cache load) {format_seconds(warm)}")
    payload = {"mode": "quick" if args.quick else "full",
               "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "machine": machine_info(),
               "versions": versions(["skreg", "numpy", "scipy", "sklearn", "numba"]),
               "warm_up_s": warm, "cases": [], "weighted": []}
    for name, make in cases(args.quick):
        X, y = make()
        payload["cases"].append(run_case(name, X, y, repeats, args.n_jobs))
        write_json(output + ".json", payload)
    weighted_cases = ([c for c in cases(args.quick) if c[0].startswith(("dense 100x", "diabetes",
                                                                         "NCI"))])
    for name, make in weighted_cases:
        X, y = make()
        payload["weighted"].append(run_weighted(name, X, y, args.n_jobs))
        write_json(output + ".json", payload)
    X, y = make_dense(200, 2000) if args.quick else make_dense(500, 5000)
    payload["threads"] = run_threads(X, y, repeats)
    if not args.skip_compile:
        payload["compile"] = fresh_process_timings(_COMPILE_SCRIPT, timeout=900)
    payload["total_s"] = time.perf_counter() - start
    write_json(output + ".json", payload)
    with open(output + ".md", "w") as handle:
        handle.write(markdown(payload))
    plot(payload, output + ".png")
    log(f"done in {format_seconds(payload['total_s'])}: {output}.{{json,md,png}}")


if __name__ == "__main__":
    main()
