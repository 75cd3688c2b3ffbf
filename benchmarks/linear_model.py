"""Benchmark skreg's Lasso family against scikit-learn, skglm and celer, side by side.

Run from the repository root::

    python benchmarks/linear_model.py                 # full run (~30 min on 2 cores)
    python benchmarks/linear_model.py --quick         # tiny sizes, smoke test (~5 min)
    python benchmarks/linear_model.py --only-anchors --quick --cases 'lasso/'

Every solver is timed at equal accuracy: the relative duality gap of its output, measured here
with ``skreg.reference`` (never taken from the solver), must be <= 1e-6. For each (case, solver)
the loosest ``tol`` reaching it is searched over 1e-2, 1e-3, ..., 1e-12, then the fit at that
``tol`` is timed (median and min of up to 5 repeats). Results go to
``benchmarks/results/linear_model.{json,md,png}``; see ``benchmarks/README.md``.
"""

import argparse
import dataclasses
import os
import re
import sys
import time
from datetime import datetime, timezone

import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # benchmark the checkout's skreg, not an install

from _harness import (  # noqa: E402
    TOLS,
    GapMeter,
    alpha_max_enet,
    alpha_max_logistic,
    compile_timings,
    format_seconds,
    log,
    machine_info,
    n_repeats,
    search_tol,
    time_fit,
    versions,
    write_json,
)

TARGET = 1e-6
N_CPUS = os.cpu_count() or 1
# Iteration caps high enough that ``tol`` (not the cap) stops every solver; the search stops
# when a fit exceeds --max-fit-seconds without reaching the target.
MAX_ITER_CD = 100_000  # scikit-learn CD epochs, skreg
MAX_ITER_WS = 1000  # outer (working-set) iterations of skglm / celer
MAX_EPOCHS = 100_000  # inner epochs of skglm / celer
MAX_ITER_LOGREG = 1000  # skreg prox-Newton iterations
MAX_ITER_SAGA = 100_000  # scikit-learn saga epochs
MAX_ITER_LIBLINEAR = 100_000


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Data:
    """A design matrix and a response, with what the report needs to describe them."""

    name: str
    X: object
    y: np.ndarray
    description: str

    @property
    def shape(self):
        return self.X.shape

    @property
    def kind(self):
        return "sparse" if sp.issparse(self.X) else "dense"


def _nci60_xy():
    from skreg.datasets import load_nci60

    X, labels = load_nci60(return_X_y=True)
    std = X.std(axis=0)
    std[std == 0] = 1.0
    X = np.asfortranarray((X - X.mean(axis=0)) / std)
    y = np.where(labels == "RENAL", 1.0, -1.0)
    return X, y


def dataset_specs(quick):
    """Name -> (builder, description) of every data set used by the cases."""
    from skreg.datasets import make_correlated_regression, make_sparse_regression

    if quick:
        dense = [(0.5, 100, 500), (0.9, 100, 500), (0.5, 1000, 50), (0.9, 1000, 50)]
        sparse_size, density = (1000, 3000), 1e-2
        clf_size = (200, 500)
    else:
        dense = [
            (0.5, 500, 5000),
            (0.9, 500, 5000),
            (0.5, 2000, 20000),
            (0.9, 2000, 20000),
            (0.5, 10000, 500),
            (0.9, 10000, 500),
        ]
        sparse_size, density = (20000, 50000), 1e-3
        clf_size = (2000, 5000)

    specs = {}
    for rho, n, p in dense:

        def build(rho=rho, n=n, p=p):
            X, y, _ = make_correlated_regression(n, p, rho=rho, snr=3.0, random_state=0)
            return X, y

        specs[f"dense-rho{rho}-n{n}-p{p}"] = (
            build,
            f"Gaussian, Toeplitz correlation {rho}^|i-j|, 10 informative, snr 3",
        )
    n, p = sparse_size

    def build_sparse(n=n, p=p, classification=False):
        X, y, _ = make_sparse_regression(
            n, p, density=density, snr=3.0, classification=classification, random_state=0
        )
        return X, y

    specs[f"sparse-n{n}-p{p}"] = (build_sparse, f"CSC, density {density:g}, snr 3")
    specs[f"sparse-clf-n{n}-p{p}"] = (
        lambda: build_sparse(classification=True),
        f"CSC, density {density:g}, labels sign(Xw + e), snr 3",
    )
    n, p = clf_size

    def build_clf(n=n, p=p):
        X, y, _ = make_correlated_regression(
            n, p, rho=0.5, snr=3.0, classification=True, random_state=0
        )
        return X, y

    specs[f"dense-clf-rho0.5-n{n}-p{p}"] = (
        build_clf,
        "Gaussian, Toeplitz correlation 0.5^|i-j|, labels sign(Xw + e), snr 3",
    )
    specs["nci60-renal"] = (
        _nci60_xy,
        "NCI60 microarray (ISLP), 64 x 6830, standardized; y = +1 RENAL / -1 other",
    )
    return specs


class DataCache:
    """Build data sets on demand and keep only the last one (the big ones take 300+ MB)."""

    def __init__(self, specs):
        self.specs = specs
        self._name = None
        self._data = None

    def get(self, name):
        if name != self._name:
            self._data = None  # free the previous one first
            builder, description = self.specs[name]
            start = time.perf_counter()
            X, y = builder()
            self._data = Data(name, X, np.ascontiguousarray(y, dtype=np.float64), description)
            self._name = name
            log(f"  data {name}: {X.shape} built in {time.perf_counter() - start:.1f} s")
        return self._data


# --------------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Case:
    """One benchmark problem: a family (lasso, enet, logreg, path, cv), data, alpha ratio."""

    family: str
    dataset: str
    ratio: float = None  # alpha / alpha_max (single-alpha families)
    l1_ratio: float = 1.0

    @property
    def name(self):
        tail = "" if self.ratio is None else f"/a{self.ratio:g}"
        return f"{self.family}/{self.dataset}{tail}"


# datasets whose 0.001 alpha_max Lasso fits take 30-60+ s per library (minutes per case with
# the tol search): only with --extended, to keep the full run near 30 min on 2 cores
BIG = "-n2000-p20000"


def make_cases(specs, extended=False):
    regression = [k for k in specs if k.startswith("dense-rho") or k.startswith("sparse-n")]
    regression.append("nci60-renal")
    dense = [k for k in specs if k.startswith("dense-rho")]

    def n_p(name):
        n, p = re.search(r"-n(\d+)-p(\d+)", name).groups()
        return int(n), int(p)

    wide = next(k for k in dense if n_p(k)[0] < n_p(k)[1])  # p > n, rho 0.5, smallest
    tall = [k for k in dense if n_p(k)[0] > n_p(k)[1]]  # n > p: rho 0.5, rho 0.9
    sparse_name = next(k for k in specs if k.startswith("sparse-n"))
    classification = sorted(k for k in specs if "clf" in k) + ["nci60-renal"]
    ratios = (0.1, 0.01, 0.001)
    cases = []
    cases += [
        Case("lasso", d, r)
        for d in regression
        for r in ratios
        if extended or not (d.endswith(BIG) and r == 0.001)
    ]
    cases += [Case("enet", d, r, l1_ratio=0.5) for d in (wide, sparse_name) for r in ratios[:2]]
    cases += [Case("logreg", d, r) for d in classification for r in ratios]
    # paths and CV solve 100 problems (x 5 folds): one p > n and one n > p design plus NCI60;
    # scikit-learn's LassoCV on the 500 x 5000 design alone takes 4 min per fit
    cases += [Case("path", d) for d in (wide, tall[-1], "nci60-renal")]
    cases += [Case("cv", d) for d in (tall[0], "nci60-renal")]
    return cases


# --------------------------------------------------------------------------------------------
# solvers: each returns what the family's measure needs
# --------------------------------------------------------------------------------------------
def _coef_intercept(est):
    intercept = est.intercept_
    intercept = float(np.ravel(intercept)[0]) if np.ndim(intercept) else float(intercept)
    return np.ravel(est.coef_).copy(), intercept


# single-alpha elastic net / Lasso (fit_intercept=True) --------------------------------------
def enet_skreg(data, alpha, l1_ratio, tol):
    import skreg

    if l1_ratio == 1.0:
        est = skreg.Lasso(alpha=alpha, tol=tol, max_iter=MAX_ITER_CD)
    else:
        est = skreg.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=tol, max_iter=MAX_ITER_CD)
    return _coef_intercept(est.fit(data.X, data.y))


def enet_sklearn(data, alpha, l1_ratio, tol):
    from sklearn.linear_model import ElasticNet, Lasso

    if l1_ratio == 1.0:
        est = Lasso(alpha=alpha, tol=tol, max_iter=MAX_ITER_CD)
    else:
        est = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=tol, max_iter=MAX_ITER_CD)
    return _coef_intercept(est.fit(data.X, data.y))


def enet_skglm(data, alpha, l1_ratio, tol):
    import skglm

    kw = dict(alpha=alpha, tol=tol, max_iter=MAX_ITER_WS, max_epochs=MAX_EPOCHS)
    if l1_ratio == 1.0:
        est = skglm.Lasso(**kw)
    else:
        est = skglm.ElasticNet(l1_ratio=l1_ratio, **kw)
    return _coef_intercept(est.fit(data.X, data.y))


def enet_celer(data, alpha, l1_ratio, tol):
    import celer

    kw = dict(alpha=alpha, tol=tol, max_iter=MAX_ITER_WS, max_epochs=MAX_EPOCHS)
    if l1_ratio == 1.0:
        est = celer.Lasso(**kw)
    else:
        est = celer.ElasticNet(l1_ratio=l1_ratio, **kw)
    return _coef_intercept(est.fit(data.X, data.y))


# l1 logistic regression, fit_intercept=False (liblinear penalizes the intercept and celer has
# none, so the common objective has no intercept); C = 1 / (alpha * n) ----------------------
def logreg_skreg(data, alpha, l1_ratio, tol):
    import skreg

    est = skreg.SparseLogisticRegression(
        alpha=alpha, fit_intercept=False, tol=tol, max_iter=MAX_ITER_LOGREG
    )
    return _coef_intercept(est.fit(data.X, data.y))


def _logreg_sklearn(solver, max_iter):
    def fit(data, alpha, l1_ratio, tol):
        from sklearn.linear_model import LogisticRegression

        est = LogisticRegression(
            C=1.0 / (alpha * data.shape[0]),
            l1_ratio=1.0,
            solver=solver,
            fit_intercept=False,
            tol=tol,
            max_iter=max_iter,
            random_state=0,  # both solvers shuffle: fixed for reproducible gaps
        )
        return _coef_intercept(est.fit(data.X, data.y))

    return fit


def logreg_skglm(data, alpha, l1_ratio, tol):
    import skglm

    est = skglm.SparseLogisticRegression(
        alpha=alpha, fit_intercept=False, tol=tol, max_iter=MAX_ITER_WS, max_epochs=MAX_EPOCHS
    )
    return _coef_intercept(est.fit(data.X, data.y))


def logreg_celer(data, alpha, l1_ratio, tol):
    import celer

    est = celer.LogisticRegression(
        C=1.0 / (alpha * data.shape[0]), tol=tol, max_iter=MAX_ITER_WS, max_epochs=MAX_EPOCHS
    )
    return _coef_intercept(est.fit(data.X, data.y))


# Lasso path on centred data (fit_intercept=False for all); returns coefs (p, n_alphas) -----
def _check_alphas(alphas, returned):
    returned = np.asarray(returned)
    if not np.allclose(returned, alphas, rtol=1e-10):
        raise RuntimeError("path solver did not return the requested alphas in order")


def path_skreg(X, y, alphas, tol):
    import skreg

    out = skreg.lasso_path(X, y, alphas=alphas, tol=tol, max_iter=MAX_ITER_CD)
    _check_alphas(alphas, out[0])
    return np.asarray(out[1])


def path_sklearn(X, y, alphas, tol):
    from sklearn.linear_model import lasso_path

    out = lasso_path(X, y, alphas=alphas, tol=tol, max_iter=MAX_ITER_CD)
    _check_alphas(alphas, out[0])
    return out[1]


def path_skglm(X, y, alphas, tol):
    import skglm

    est = skglm.Lasso(fit_intercept=False, tol=tol, max_iter=MAX_ITER_WS, max_epochs=MAX_EPOCHS)
    out = est.path(X, y, alphas)
    _check_alphas(alphas, out[0])
    return out[1]


def path_celer(X, y, alphas, tol):
    from celer import celer_path

    out = celer_path(
        X,
        y,
        "lasso",
        alphas=alphas,
        tol=tol,
        max_iter=MAX_ITER_WS,
        max_epochs=MAX_EPOCHS,
        prune=True,
    )
    _check_alphas(alphas, out[0])
    return out[1]


# LassoCV with the same alpha grid and the same folds (KFold(5), no shuffle) -----------------
def _cv(estimator_factory):
    def fit(data, alphas, tol):
        from sklearn.model_selection import KFold

        est = estimator_factory(alphas=alphas, cv=KFold(5), tol=tol)
        est.fit(data.X, data.y)
        coef, intercept = _coef_intercept(est)
        return {"coef": coef, "intercept": intercept, "alpha": float(est.alpha_)}

    return fit


def _cv_skreg(**kw):
    import skreg

    return skreg.LassoCV(max_iter=MAX_ITER_CD, **kw)


def _cv_sklearn(**kw):
    from sklearn.linear_model import LassoCV

    return LassoCV(max_iter=MAX_ITER_CD, **kw)


def _cv_celer(**kw):
    import celer

    return celer.LassoCV(max_iter=MAX_ITER_WS, max_epochs=MAX_EPOCHS, **kw)


@dataclasses.dataclass
class Solver:
    """A library's solver for one family. ``fit`` signature depends on the family."""

    name: str
    library: str
    fit: object
    is_skreg: bool = False
    path: object = None  # cv family: the path function used for the per-fold tol search
    threads: str = ""  # how the anchor uses threads (static description)
    budget_factor: float = 1.0  # fraction of --max-fit-seconds allowed to one search fit


SINGLE_THREADED = "single-threaded compiled loops (BLAS calls may use BLAS threads)"
SOLVERS = {
    "enet": [
        Solver("skreg", "skreg", enet_skreg, is_skreg=True),
        Solver("sklearn", "sklearn", enet_sklearn, threads="Cython CD; " + SINGLE_THREADED),
        Solver("skglm", "skglm", enet_skglm, threads="numba, no parallel loops"),
        Solver("celer", "celer", enet_celer, threads="Cython; " + SINGLE_THREADED),
    ],
    "logreg": [
        Solver("skreg", "skreg", logreg_skreg, is_skreg=True),
        Solver(
            "sklearn-saga",
            "sklearn",
            _logreg_sklearn("saga", MAX_ITER_SAGA),
            threads="Cython SAGA, single-threaded",
            # saga is far from 1e-6 within any reasonable time on these problems: a tenth of
            # the budget is enough to show it and saves minutes per case
            budget_factor=0.1,
        ),
        Solver(
            "sklearn-liblinear",
            "sklearn",
            _logreg_sklearn("liblinear", MAX_ITER_LIBLINEAR),
            threads="liblinear (C++), single-threaded",
        ),
        Solver("skglm", "skglm", logreg_skglm, threads="numba, no parallel loops"),
        Solver("celer", "celer", logreg_celer, threads="Cython prox-Newton; " + SINGLE_THREADED),
    ],
    "path": [
        Solver("skreg", "skreg", path_skreg, is_skreg=True),
        Solver("sklearn", "sklearn", path_sklearn, threads="Cython CD; " + SINGLE_THREADED),
        Solver("skglm", "skglm", path_skglm, threads="numba, no parallel loops"),
        Solver("celer", "celer", path_celer, threads="Cython; " + SINGLE_THREADED),
    ],
    "cv": [
        Solver("skreg", "skreg", _cv(_cv_skreg), is_skreg=True, path=path_skreg),
        Solver(
            "sklearn",
            "sklearn",
            _cv(_cv_sklearn),
            path=path_sklearn,
            threads="Cython CD, folds sequential (n_jobs=None)",
        ),
        Solver(
            "celer",
            "celer",
            _cv(_cv_celer),
            path=path_celer,
            threads="Cython, folds sequential (n_jobs=None)",
        ),
    ],
}
SOLVERS["lasso"] = SOLVERS["enet"]


def family_of(case):
    return "enet" if case.family in ("lasso", "enet") else case.family


# --------------------------------------------------------------------------------------------
# running one case
# --------------------------------------------------------------------------------------------
class Runner:
    """Runs cases, keeps the tolerance hints, the warm-up state and all records."""

    def __init__(self, args, gaps):
        self.args = args
        self.gaps = gaps
        self.records = []
        self.hints = {}  # (family, solver) -> last tol found: starting point of the next search
        self.warmed = {}  # (family, solver, kind) -> warm-up error or None
        self.skreg_error = None

    # threads --------------------------------------------------------------------------------
    def _set_skreg_threads(self, n):
        import skreg

        skreg.set_num_threads(n)

    # warm-up --------------------------------------------------------------------------------
    def warm_up(self, family, solver, kind):
        """Fit once on a tiny problem of the same kind so that JIT compile is not timed."""
        key = (family, solver.name, kind)
        if key in self.warmed:
            return None
        self.warmed[key] = None
        rng = np.random.default_rng(0)
        if kind == "sparse":
            X = sp.random(40, 60, density=0.2, format="csc", rng=rng)
        else:
            X = np.asfortranarray(rng.standard_normal((40, 60)))
        y = X @ np.r_[np.ones(3), np.zeros(57)] + 0.1 * rng.standard_normal(40)
        if family == "logreg":
            y = np.where(y > 0, 1.0, -1.0)
        data = Data("warm-up", X, y, "")
        start = time.perf_counter()
        try:
            if family == "enet":
                solver.fit(data, 0.1 * alpha_max_enet(X, y), 1.0, 1e-4)
                solver.fit(data, 0.1 * alpha_max_enet(X, y, l1_ratio=0.5), 0.5, 1e-4)
            elif family == "logreg":
                solver.fit(data, 0.1 * alpha_max_logistic(X, y), 1.0, 1e-4)
            elif family == "path":
                Xc, yc = X - X.mean(axis=0), y - y.mean()
                amax = alpha_max_enet(Xc, yc, fit_intercept=False)
                solver.fit(np.asfortranarray(Xc), yc, amax * np.geomspace(1, 1e-2, 5), 1e-4)
            elif family == "cv":
                amax = alpha_max_enet(X, y)
                solver.fit(data, amax * np.geomspace(1, 1e-2, 5), 1e-4)
                solver.path(
                    np.asfortranarray(X - X.mean(axis=0)),
                    y - y.mean(),
                    amax * np.geomspace(1, 1e-2, 5),
                    1e-4,
                )
        except Exception as exc:  # the solver is skipped, with this error, for the family
            self.warmed[key] = f"warm-up failed: {type(exc).__name__}: {exc}"[:500]
            return None
        return time.perf_counter() - start

    # one case -------------------------------------------------------------------------------
    def run_case(self, case, data):
        family = family_of(case)
        problem = self._problem(case, data)
        log(f"[{case.name}] {data.shape[0]} x {data.shape[1]} {data.kind} {problem['label']}")
        for solver in SOLVERS[case.family]:
            if solver.is_skreg and self.args.only_anchors:
                continue
            if solver.is_skreg and self.skreg_error:
                self._record(case, data, solver, problem, error=self.skreg_error)
                continue
            warmup_s = self.warm_up(family, solver, data.kind)
            warmup_error = self.warmed[(family, solver.name, data.kind)]
            if warmup_error:
                self._record(case, data, solver, problem, error=warmup_error)
                continue
            if solver.is_skreg:
                self._set_skreg_threads(N_CPUS)
            hint = self.hints.get((family, solver.name))
            if hint is None and family == "cv":  # the fold paths need about the path's tol
                hint = self.hints.get(("path", solver.name))
            if hint is None and family == "path":  # ... and a path about the single fits' tol
                hint = self.hints.get(("enet", solver.name))
            search = search_tol(
                problem["search_fit"](solver),
                problem["search_measure"],
                target=TARGET,
                hint=hint,
                max_fit_seconds=self.args.max_fit_seconds
                * problem.get("budget_factor", 1.0)
                * solver.budget_factor,
                isolate=not solver.is_skreg,  # anchors can be killed at the time budget
            )
            if search["tol"] is not None:
                self.hints[(family, solver.name)] = search["tol"]
            thread_counts = [N_CPUS, 1] if solver.is_skreg and N_CPUS > 1 else [None]
            if solver.is_skreg and N_CPUS == 1:
                thread_counts = [1]
            for n_threads in thread_counts:
                if n_threads is not None:
                    self._set_skreg_threads(n_threads)
                timing = None
                if search["tol"] is not None:
                    # the search ran with all threads: its fit can stand in for a timing
                    # only for that thread count
                    reuse = n_threads is None or n_threads == N_CPUS
                    try:
                        timing = self._time(problem, solver, search, reuse)
                    except Exception as exc:  # e.g. the CV estimator fails, not the path
                        search = {**search, "error": f"{type(exc).__name__}: {exc}"[:500]}
                self._record(
                    case,
                    data,
                    solver,
                    problem,
                    search=search,
                    timing=timing,
                    threads=n_threads,
                    warmup_s=warmup_s,
                )
            if solver.is_skreg:
                self._set_skreg_threads(N_CPUS)

    def _time(self, problem, solver, search, reuse):
        fit = problem["timed_fit"](solver)
        # a long fit (>= 10 s, timed once anyway): the search's run at this tol is the
        # measurement, unless it was skreg's first fit on this problem (its warm-up)
        first_trial = search["trials"][0][0] == search["tol"]
        long_fit = search["seconds"] >= 10.0 and not (solver.is_skreg and first_trial)
        if long_fit and problem["timed_is_search"] and reuse:
            return {
                "times": [search["seconds"]],
                "median_s": search["seconds"],
                "min_s": search["seconds"],
                "repeats": 1,
                "gaps": [search["gap"]],
                "max_gap": search["gap"],
                "result": search["result"],
                "from_search": True,
            }
        if not problem["timed_is_search"]:
            # cv: the searched callable (fold paths) is not the timed one; one untimed fit
            # first gives its duration (and the skreg warm-up on the actual problem)
            first = time_fit(fit, problem["timed_measure"], search["tol"], 1)
            k = n_repeats(first["median_s"], self.args.repeats)
            if k == 1:  # a long fit (>= 10 s): compiled and warm already, it is the timing
                return {**first, "from_search": False}
        else:
            k = n_repeats(search["seconds"], self.args.repeats)
        return time_fit(fit, problem["timed_measure"], search["tol"], k)

    def _problem(self, case, data):
        """Closures fitting and measuring this case, for any solver of its family."""
        gaps = self.gaps
        X, y = data.X, data.y
        if case.family in ("lasso", "enet"):
            l1 = case.l1_ratio
            alpha = case.ratio * alpha_max_enet(X, y, l1_ratio=l1)

            def measure(result):
                coef, intercept = result
                return gaps.enet(X, y, coef, intercept, alpha=alpha, l1_ratio=l1)

            def fit(solver):
                return lambda tol: solver.fit(data, alpha, l1, tol)

            label = f"alpha = {case.ratio:g} alpha_max = {alpha:.4g}, l1_ratio = {l1:g}"
            return dict(
                label=label,
                alpha=alpha,
                search_fit=fit,
                search_measure=measure,
                timed_fit=fit,
                timed_measure=measure,
                timed_is_search=True,
            )
        if case.family == "logreg":
            alpha = case.ratio * alpha_max_logistic(X, y)

            def measure(result):
                coef, _ = result
                return gaps.logistic(X, y, coef, 0.0, alpha=alpha, fit_intercept=False)

            def fit(solver):
                return lambda tol: solver.fit(data, alpha, 1.0, tol)

            label = f"alpha = {case.ratio:g} alpha_max = {alpha:.4g}, no intercept"
            return dict(
                label=label,
                alpha=alpha,
                search_fit=fit,
                search_measure=measure,
                timed_fit=fit,
                timed_measure=measure,
                timed_is_search=True,
            )
        if case.family == "path":
            Xc = X - X.mean(axis=0)
            Xc = np.asfortranarray(Xc)
            yc = y - y.mean()
            alphas = self._alpha_grid(alpha_max_enet(Xc, yc, fit_intercept=False))

            def measure(coefs):
                return max(
                    gaps.enet(Xc, yc, coefs[:, k], 0.0, alpha=a, fit_intercept=False)
                    for k, a in enumerate(alphas)
                )

            def fit(solver):
                return lambda tol: solver.fit(Xc, yc, alphas, tol)

            label = f"{alphas.size} alphas down to {self.args.eps:g} alpha_max, centred data"
            return dict(
                label=label,
                alpha=None,
                search_fit=fit,
                search_measure=measure,
                timed_fit=fit,
                timed_measure=measure,
                timed_is_search=True,
                budget_factor=3.0,  # 100 warm-started fits: three times the budget
            )
        if case.family == "cv":
            from sklearn.model_selection import KFold

            alphas = self._alpha_grid(alpha_max_enet(X, y))
            folds = []
            for train, _ in KFold(5).split(X):
                Xt = X[train]
                Xt = np.asfortranarray(Xt - Xt.mean(axis=0))
                yt = y[train] - y[train].mean()
                folds.append((Xt, yt))

            def fold_measure(all_coefs):
                return max(
                    gaps.enet(Xt, yt, coefs[:, k], 0.0, alpha=a, fit_intercept=False)
                    for (Xt, yt), coefs in zip(folds, all_coefs)
                    for k, a in enumerate(alphas)
                )

            def fold_fit(solver):
                return lambda tol: [solver.path(Xt, yt, alphas, tol) for Xt, yt in folds]

            def refit_measure(result):
                return gaps.enet(X, y, result["coef"], result["intercept"], alpha=result["alpha"])

            def cv_fit(solver):
                return lambda tol: solver.fit(data, alphas, tol)

            label = (
                f"5-fold KFold (no shuffle), {alphas.size} alphas down to "
                f"{self.args.eps:g} alpha_max; tol searched on the fold paths"
            )
            return dict(
                label=label,
                alpha=None,
                search_fit=fold_fit,
                search_measure=fold_measure,
                timed_fit=cv_fit,
                timed_measure=refit_measure,
                timed_is_search=False,
                cv=True,
                budget_factor=len(folds),  # the search fits 5 paths: 5 times the budget
            )
        raise ValueError(case.family)

    def _alpha_grid(self, alpha_max):
        return alpha_max * np.geomspace(1.0, self.args.eps, self.args.n_alphas)

    def _record(
        self,
        case,
        data,
        solver,
        problem,
        *,
        search=None,
        timing=None,
        threads=None,
        warmup_s=None,
        error=None,
    ):
        rec = {
            "case": case.name,
            "family": case.family,
            "dataset": case.dataset,
            "dataset_description": data.description,
            "n_samples": data.shape[0],
            "n_features": data.shape[1],
            "format": data.kind,
            "alpha_ratio": case.ratio,
            "alpha": problem["alpha"],
            "l1_ratio": case.l1_ratio,
            "problem": problem["label"],
            "solver": solver.name,
            "library": solver.library,
            "is_skreg": solver.is_skreg,
            "threads": threads if solver.is_skreg else "as is",
            "threads_note": solver.threads,
            "target_rel_gap": TARGET,
            "warmup_s": warmup_s,
        }
        if error is None and search is not None:
            error = search["error"]
            rec.update(
                tol=search["tol"],
                reached=search["tol"] is not None,
                rel_gap_search=search["gap"],
                best_gap=search["best_gap"],
                not_reached_reason=search["reason"],
                search_trials=[
                    {"tol": t, "rel_gap": g, "seconds": s} for t, g, s in search["trials"]
                ],
                convergence_warning=search.get("convergence_warning"),
            )
        else:
            rec.update(tol=None, reached=False, best_gap=None)
        rec["error"] = error
        if timing is not None:
            rec.update(
                median_s=timing["median_s"],
                min_s=timing["min_s"],
                repeats=timing["repeats"],
                times=timing["times"],
                rel_gap=timing["max_gap"],
                rel_gaps=timing["gaps"],
                timing_from_search=timing.get("from_search", False),
                cpu_per_wall=timing.get("cpu_per_wall"),
            )
            if problem.get("cv") and isinstance(timing.get("result"), dict):
                rec["alpha_selected"] = timing["result"]["alpha"]
            rec["gap_ok_in_timed_runs"] = bool(timing["max_gap"] <= TARGET)
        self.records.append(rec)
        thr = "" if not solver.is_skreg else f" [{threads} thr]"
        if error:
            msg = f"ERROR {error[:160]}"
        elif timing is not None:
            msg = (
                f"tol={search['tol']:.0e} gap={timing['max_gap']:.1e} "
                f"median {format_seconds(timing['median_s'])} "
                f"min {format_seconds(timing['min_s'])} (x{timing['repeats']})"
            )
        else:
            best = rec["best_gap"]
            best = "-" if best is None else f"{best:.1e}"
            msg = f"NOT REACHED best gap {best} ({rec.get('not_reached_reason')})"
        log(f"    {solver.name:<18}{thr:<9} {msg}")


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def _cell(rec):
    if rec is None:
        return "-"
    if rec.get("error"):
        return "error"
    if not rec.get("reached"):
        best = rec.get("best_gap")
        return "n.r." if best is None else f"n.r. ({best:.0e})"
    star = "" if rec.get("gap_ok_in_timed_runs", True) else "*"
    return format_seconds(rec.get("median_s")) + star


def summarize(records):
    """Per-case rows: skreg times, best anchor, ratios; plus the summary numbers."""
    rows = []
    by_case = {}
    for rec in records:
        by_case.setdefault(rec["case"], []).append(rec)
    for case, recs in by_case.items():
        anchors = [r for r in recs if not r["is_skreg"]]
        ok = [r for r in anchors if r.get("reached") and r.get("median_s") is not None]
        best = min(ok, key=lambda r: r["median_s"]) if ok else None
        sk = {r["threads"]: r for r in recs if r["is_skreg"]}
        sk_all = next((r for t, r in sk.items() if t not in (1,)), sk.get(1))
        sk_one = sk.get(1)
        row = {
            "case": case,
            "family": recs[0]["family"],
            "shape": f"{recs[0]['n_samples']} x {recs[0]['n_features']}",
            "format": recs[0]["format"],
            "records": recs,
            "best_anchor": best["solver"] if best else None,
            "best_anchor_s": best["median_s"] if best else None,
        }
        for label, rec in (("ratio_1", sk_one), ("ratio_all", sk_all)):
            if best and rec and rec.get("reached") and rec.get("median_s") is not None:
                row[label] = rec["median_s"] / best["median_s"]
            else:
                row[label] = None
        sklearn_rec = next((r for r in anchors if r["solver"] == "sklearn"), None)
        if sk_all and sk_all.get("median_s") and sklearn_rec and sklearn_rec.get("median_s"):
            row["ratio_vs_sklearn"] = sk_all["median_s"] / sklearn_rec["median_s"]
        else:
            row["ratio_vs_sklearn"] = None
        rows.append(row)

    def stats(key):
        vals = [r[key] for r in rows if r[key] is not None]
        return {
            "n_cases": len(vals),
            "n_slower": int(sum(v > 1 for v in vals)),
            "median": float(np.median(vals)) if vals else None,
            "geomean": float(np.exp(np.mean(np.log(vals)))) if vals else None,
        }

    summary = {"one_thread": stats("ratio_1"), "all_threads": stats("ratio_all")}
    summary["path_vs_sklearn"] = {
        r["case"]: r["ratio_vs_sklearn"] for r in rows if r["family"] == "path"
    }
    summary["cv_vs_sklearn"] = {
        r["case"]: r["ratio_vs_sklearn"] for r in rows if r["family"] == "cv"
    }
    summary["cv_alpha_selected"] = {
        r["case"]: {
            _solver_label(rec): rec["alpha_selected"]
            for rec in r["records"]
            if rec.get("alpha_selected") is not None
        }
        for r in rows
        if r["family"] == "cv"
    }
    cpu = {}
    for rec in records:
        if rec.get("cpu_per_wall") is not None:
            cpu.setdefault(_solver_label(rec), []).append(rec["cpu_per_wall"])
    summary["cpu_per_wall"] = {k: float(np.median(v)) for k, v in sorted(cpu.items())}
    summary["errors"] = sorted(
        {f"{r['solver']} ({r['family']}): {r['error']}" for r in records if r.get("error")}
    )
    return rows, summary


FAMILY_TITLES = {
    "lasso": "Lasso (fit_intercept=True)",
    "enet": "ElasticNet, l1_ratio=0.5 (fit_intercept=True)",
    "logreg": "Sparse logistic regression, l1 (fit_intercept=False)",
    "path": "Lasso path (centred data, fit_intercept=False)",
    "cv": "LassoCV (5-fold KFold, fit_intercept=True)",
}


def _fmt_ratio(value):
    return "-" if value is None else f"{value:.2f}"


def write_markdown(path, rows, summary, meta, compile_info):
    lines = [
        "# skreg linear_model benchmark",
        "",
        f"Generated {meta['date']} by `python benchmarks/linear_model.py "
        f"{' '.join(meta['argv'])}` on {meta['machine']['cpu_count']} cores "
        f"({meta['machine']['processor']}).",
        "",
        f"Accuracy: every time is for a fit whose relative duality gap (measured with "
        f"{meta['gap_backend']}) is <= {TARGET:g}; each solver's loosest such `tol` is searched "
        "over 1e-2 ... 1e-12. Times are medians (see the JSON for min and repeats). "
        "`n.r. (g)`: target not reached, best gap g; `*`: a timed repeat ended above the target "
        "(thread-count dependent rounding); `skreg 1t` / `skreg Nt`: 1 / all threads. "
        "Ratios are skreg / best anchor (< 1: skreg faster).",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "",
    ]
    for family in ("lasso", "enet", "logreg", "path", "cv"):
        fam_rows = [r for r in rows if r["family"] == family]
        if not fam_rows:
            continue
        solvers = ["skreg 1t", "skreg Nt"] if any(_has_skreg(r) for r in fam_rows) else []
        for r in fam_rows:
            for rec in r["records"]:
                label = _solver_label(rec)
                if label not in solvers:
                    solvers.append(label)
        lines += [f"## {FAMILY_TITLES[family]}", ""]
        header = ["case", "n x p"] + solvers + ["best anchor", "ratio 1t", "ratio Nt"]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(["---"] * len(header)) + "|")
        for r in fam_rows:
            cells = {_solver_label(rec): _cell(rec) for rec in r["records"]}
            case = r["case"].split("/", 1)[1]
            line = [case, r["shape"] + (" (csc)" if r["format"] == "sparse" else "")]
            line += [cells.get(s, "-") for s in solvers]
            line += [r["best_anchor"] or "-", _fmt_ratio(r["ratio_1"]), _fmt_ratio(r["ratio_all"])]
            lines.append("| " + " | ".join(line) + " |")
        lines.append("")
    lines += ["## Summary", ""]
    for key, title in (("one_thread", "1 thread"), ("all_threads", "all threads")):
        s = summary[key]
        if s["n_cases"]:
            lines.append(
                f"- skreg ({title}): slower than the best anchor in {s['n_slower']} of "
                f"{s['n_cases']} cases; median ratio {s['median']:.2f}, "
                f"geometric mean {s['geomean']:.2f}."
            )
        else:
            lines.append(f"- skreg ({title}): no comparable case (skreg not run or not reached).")
    for key, title in (("path_vs_sklearn", "lasso_path"), ("cv_vs_sklearn", "LassoCV")):
        vals = summary[key]
        if vals:
            text = ", ".join(f"{c.split('/', 1)[1]}: {_fmt_ratio(v)}" for c, v in vals.items())
            lines.append(f"- {title}, skreg (all threads) / scikit-learn: {text}.")
    for case, selected in summary["cv_alpha_selected"].items():
        if selected:
            text = ", ".join(f"{k} {v:.4g}" for k, v in selected.items())
            lines.append(f"- LassoCV `alpha_` selected on {case.split('/', 1)[1]}: {text}.")
    if compile_info:
        for est, res in compile_info.items():
            parts = []
            for state in ("cold", "warm"):
                r = res.get(state, {})
                if "error" in r:
                    parts.append(f"{state}: error {r['error']}")
                else:
                    parts.append(
                        f"{state} {r['total_s']:.2f} s (import {r['import_s']:.2f} s + "
                        f"first fit {r['first_fit_s']:.2f} s)"
                    )
            lines.append(
                f"- Compile, `import skreg` + first `{est}.fit`: "
                + "; ".join(parts)
                + " (targets: cold <= 10 s, warm <= 1.5 s)."
            )
    if summary["errors"]:
        lines += ["", "Errors (recorded, benchmark continued):", ""]
        lines += [f"- {e}" for e in summary["errors"]]
    lines += ["", "Thread use (CPU time / wall time of the timed fits, median over cases):", ""]
    for label, value in summary["cpu_per_wall"].items():
        lines.append(f"- {label}: {value:.2f}")
    lines.append("")
    with open(path, "w") as handle:
        handle.write("\n".join(lines))


def _has_skreg(row):
    return any(rec["is_skreg"] for rec in row["records"])


def _solver_label(rec):
    if rec["is_skreg"]:
        return "skreg 1t" if rec["threads"] == 1 else "skreg Nt"
    return rec["solver"]


def write_plot(path, rows):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not installed: no plot")
        return False

    rows = [r for r in rows if r["ratio_1"] is not None or r["ratio_all"] is not None]
    if not rows:
        return False
    height = max(3.0, 0.28 * len(rows) + 1.2)
    fig, ax = plt.subplots(figsize=(9, height))
    ypos = np.arange(len(rows))
    for offset, key, label in ((-0.2, "ratio_1", "1 thread"), (0.2, "ratio_all", "all threads")):
        vals = np.array([r[key] if r[key] is not None else np.nan for r in rows])
        ax.barh(ypos + offset, vals, height=0.4, label=label)
    ax.axvline(1.0, color="k", lw=1)
    ax.set_xscale("log")
    ax.set_yticks(ypos, [r["case"] for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("time skreg / time best anchor (log scale, < 1: skreg faster)")
    ax.set_title(f"skreg vs best anchor at equal accuracy (rel. duality gap <= {TARGET:g})")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--only-anchors", action="store_true", help="do not run skreg")
    parser.add_argument("--cases", default=None, help="regex selecting case names (re.search)")
    parser.add_argument("--list", action="store_true", help="list the case names and exit")
    parser.add_argument(
        "--repeats", type=int, default=None, help="max timed repeats (default 5, quick: 3)"
    )
    parser.add_argument(
        "--max-fit-seconds",
        type=float,
        default=None,
        help="time budget of one fit of the tol search: anchors' fits are killed at this "
        "limit, skreg's search stops after a longer fit (default 60, quick: 5; paths x3, "
        "LassoCV x5, saga x0.1)",
    )
    parser.add_argument("--skip-compile", action="store_true", help="skip compile timings")
    parser.add_argument(
        "--extended",
        action="store_true",
        help="also run the slowest cases (Lasso at 0.001 alpha_max on the 2000 x 20000 "
        "designs, about 10 more minutes each)",
    )
    parser.add_argument(
        "--n-alphas", type=int, default=None, help="path/CV grid size (default 100, quick: 20)"
    )
    parser.add_argument(
        "--eps",
        type=float,
        default=None,
        help="path/CV alpha_min / alpha_max (default 1e-3, quick: 1e-2)",
    )
    parser.add_argument(
        "--output",
        default=None,
        help="output path without extension (default benchmarks/results/linear_model, "
        "quick: benchmarks/results/linear_model_quick)",
    )
    args = parser.parse_args(argv)
    defaults = {
        "max_fit_seconds": (60.0, 5.0),
        "repeats": (5, 3),
        "n_alphas": (100, 20),
        "eps": (1e-3, 1e-2),
    }
    for key, (full, quick) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, quick if args.quick else full)
    if args.output is None:
        suffix = "_quick" if args.quick else ""
        args.output = os.path.join(HERE, "results", "linear_model" + suffix)
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    # No solver timed here uses multi-threaded BLAS (coordinate descent, saga and liblinear
    # work column by column), but the benchmark's own bookkeeping does (duality gaps,
    # alpha_max, data generation). OpenBLAS workers then busy-wait for up to ~0.1 s and steal
    # the cores from any OpenMP/numba parallel region timed right after (measured: a 0.4 ms
    # two-thread pass took 4 ms). BLAS is therefore limited to one thread for the whole run.
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    specs = dataset_specs(args.quick)
    cases = make_cases(specs, extended=args.extended)
    if args.cases:
        pattern = re.compile(args.cases)
        cases = [c for c in cases if pattern.search(c.name)]
    if args.list:
        print("\n".join(c.name for c in cases))
        return 0
    if not cases:
        log("no case matches --cases")
        return 1

    t_start = time.perf_counter()
    gaps = GapMeter()
    runner = Runner(args, gaps)
    if not args.only_anchors:
        try:
            import skreg  # noqa: F401
            from skreg import Lasso, LassoCV, SparseLogisticRegression, lasso_path  # noqa: F401
        except ImportError as exc:
            runner.skreg_error = f"skreg API not available: {exc}"
            log(runner.skreg_error)

    meta = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "argv": argv,
        "args": vars(args),
        "target_rel_gap": TARGET,
        "tols": list(TOLS),
        "gap_backend": gaps.backend,
        "versions": versions(["skreg", "numpy", "scipy", "sklearn", "numba", "skglm", "celer"]),
        "machine": machine_info(),
        "anchor_threads": sorted(
            {f"{s.name}: {s.threads}" for fam in SOLVERS.values() for s in fam if s.threads}
        ),
        "alpha_mapping": {
            "sklearn Lasso/ElasticNet, skglm Lasso/ElasticNet/SparseLogisticRegression, "
            "celer Lasso/ElasticNet": "same alpha (same scaling as skreg)",
            "sklearn LogisticRegression (l1_ratio=1), celer LogisticRegression": "C = 1/(alpha n)",
        },
    }
    compile_info = None
    payload = {"meta": meta, "compile": None, "measurements": runner.records, "summary": None}

    if not args.only_anchors and not args.skip_compile and not runner.skreg_error:
        log("compile timings (fresh subprocesses, empty then warm NUMBA_CACHE_DIR)")
        compile_info = compile_timings(["Lasso", "SparseLogisticRegression"])
        payload["compile"] = compile_info

    data_cache = DataCache(specs)
    for i, case in enumerate(cases, 1):
        log(f"({i}/{len(cases)}, {time.perf_counter() - t_start:.0f} s elapsed)")
        try:
            data = data_cache.get(case.dataset)
        except ImportError as exc:  # NCI60 needs the ISLP data files
            log(f"[{case.name}] skipped: {exc}")
            continue
        runner.run_case(case, data)
        rows, summary = summarize(runner.records)
        payload["summary"] = summary
        write_json(args.output + ".json", payload)

    rows, summary = summarize(runner.records)
    payload["summary"] = summary
    meta["total_s"] = time.perf_counter() - t_start
    write_json(args.output + ".json", payload)
    write_markdown(args.output + ".md", rows, summary, meta, compile_info)
    plotted = write_plot(args.output + ".png", rows)
    log(
        f"done in {meta['total_s']:.0f} s: {args.output}.json, .md" + (", .png" if plotted else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
