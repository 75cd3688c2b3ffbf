"""Benchmark skreg's robust sparse regressions (SqrtLasso, LADLasso) against their anchors.

Run from the repository root::

    python benchmarks/robust.py                 # full run (~25 min on 2 cores)
    python benchmarks/robust.py --quick         # tiny sizes, smoke test (~3 min)
    python benchmarks/robust.py --cases '^lad/' --repeats 3

Anchors: cvxpy + Clarabel (both models, Clarabel's default settings, the raw solve a user
runs), skglm's experimental ``SqrtLasso`` (prox-Newton), scikit-learn's
``QuantileRegressor(solver="highs")`` (the exact LP) and skglm's ``PDCD_WS`` solver with the
``Pinball(0.5)`` datafit (LAD). Every solver is judged by the relative duality gap of its
output, measured here with ``skreg.reference`` (never taken from the solver): the target is
<= 1e-6. Solvers with a ``tol`` (skreg, skglm) are timed at the loosest ``tol`` in 1e-2 ...
1e-12 reaching it; cvxpy and HiGHS run once at their own settings and their achieved gap is
reported. Results go to ``benchmarks/results/robust.{json,md,png}``; see
``benchmarks/README.md``.
"""

import argparse
import dataclasses
import json
import multiprocessing
import os
import re
import subprocess
import sys
import time
import warnings
from datetime import datetime, timezone

import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # benchmark the checkout's skreg, not an install

from _harness import (  # noqa: E402
    REPO_ROOT,
    TOLS,
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
MAX_ITER_SKREG = 100_000  # CD epochs (SqrtLasso) / interior-point iterations (LADLasso)
MAX_ITER_SKGLM = 1000  # prox-Newton outer iterations (SqrtLasso), PDCD_WS working sets
MAX_PN_ITER = 1000  # skglm SqrtLasso: prox-Newton iterations per subproblem
MAX_EPOCHS_PDCD = 100_000  # skglm PDCD_WS: epochs per subproblem
OUTLIER_FRACTION = 0.1
OUTLIER_SIZE = 100.0


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Data:
    """A design, a clean response (SqrtLasso) and one with gross outliers (LADLasso)."""

    name: str
    X: object
    y: np.ndarray
    y_out: np.ndarray
    description: str
    _centred: tuple = None

    @property
    def shape(self):
        return self.X.shape

    @property
    def kind(self):
        return "sparse" if sp.issparse(self.X) else "dense"

    def centred(self):
        """``(X, y)`` for the problems without intercept: centred if dense, as is if sparse.

        Centring makes the intercept of the square-root Lasso 0, so the problem without
        intercept on centred data is the problem with intercept (skglm's SqrtLasso is
        benchmarked without intercept). A sparse X is not centred (that would densify it).
        """
        if self._centred is None:
            if self.kind == "sparse":
                self._centred = (self.X, self.y)
            else:
                Xc = np.asfortranarray(self.X - self.X.mean(axis=0))
                self._centred = (Xc, self.y - self.y.mean())
        return self._centred


def _with_outliers(y, seed=1):
    """``y`` with 10 % of its entries shifted by +-100 (random entries and signs)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(y.size, int(round(OUTLIER_FRACTION * y.size)), replace=False)
    y = y.copy()
    y[idx] += OUTLIER_SIZE * rng.choice(np.array([-1.0, 1.0]), idx.size)
    return y


def _standardize(X):
    std = X.std(axis=0)
    std[std == 0] = 1.0
    return np.asfortranarray((X - X.mean(axis=0)) / std)


def _diabetes_xy():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    return _standardize(X), (y - y.mean()) / y.std()


def _nci60_xy():
    from skreg.datasets import load_nci60

    X, _ = load_nci60(return_X_y=True)
    X = np.asarray(X, dtype=np.float64)
    target = int(np.argmax(X.var(axis=0)))  # the most variable gene, from all the others
    y = X[:, target]
    X = np.delete(X, target, axis=1)
    return _standardize(X), (y - y.mean()) / y.std()


def dataset_specs(quick):
    """Name -> (builder, description) of every data set used by the cases."""
    from skreg.datasets import make_correlated_regression, make_sparse_regression

    if quick:
        dense = [(100, 300), (500, 50)]
        sparse_size, density = (300, 1000), 2e-2
    else:
        dense = [(200, 1000), (1000, 5000), (5000, 500)]
        sparse_size, density = (2000, 10000), 1e-2
    specs = {}
    for n, p in dense:

        def build(n=n, p=p):
            X, y, _ = make_correlated_regression(n, p, rho=0.5, snr=3.0, random_state=0)
            return X, y

        specs[f"dense-n{n}-p{p}"] = (
            build,
            "Gaussian, Toeplitz correlation 0.5^|i-j|, 10 informative, snr 3",
        )
    n, p = sparse_size

    def build_sparse(n=n, p=p):
        X, y, _ = make_sparse_regression(n, p, density=density, snr=3.0, random_state=0)
        return X, y

    specs[f"sparse-n{n}-p{p}"] = (build_sparse, f"CSC, density {density:g}, snr 3")
    specs["diabetes"] = (
        _diabetes_xy,
        "scikit-learn diabetes, 442 x 10, standardized X, y standardized",
    )
    if not quick:
        specs["nci60-gene"] = (
            _nci60_xy,
            "NCI60 microarray (ISLP), 64 x 6829 standardized; y = the most variable gene "
            "(standardized) from the others",
        )
    return specs


class DataCache:
    """Build data sets on demand and keep only the last one."""

    def __init__(self, specs):
        self.specs = specs
        self._name = None
        self._data = None

    def get(self, name):
        if name != self._name:
            self._data = None
            builder, description = self.specs[name]
            start = time.perf_counter()
            X, y = builder()
            y = np.ascontiguousarray(y, dtype=np.float64)
            self._data = Data(name, X, y, _with_outliers(y), description)
            self._name = name
            log(f"  data {name}: {X.shape} built in {time.perf_counter() - start:.1f} s")
        return self._data


def alpha_max_sqrt(X, y):
    """Smallest alpha giving w = 0 for the square-root Lasso without intercept."""
    return float(np.abs(X.T @ y).max() / (np.sqrt(X.shape[0]) * np.linalg.norm(y)))


def alpha_max_lad(X, y):
    """``||X^T sign(y - median(y))||_inf / n``: the LAD Lasso's alpha_max (with intercept)."""
    return float(np.abs(X.T @ np.sign(y - np.median(y))).max() / X.shape[0])


# --------------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Case:
    """One problem: a family (sqrt, lad, sqrt-path, lad-path, sqrt-cv, lad-cv), data, alpha."""

    family: str
    dataset: str
    ratio: float = None  # alpha / alpha_max (single-alpha families)

    @property
    def name(self):
        tail = "" if self.ratio is None else f"/a{self.ratio:g}"
        return f"{self.family}/{self.dataset}{tail}"


# LADLasso at 0.1 alpha_max on the 1000 x 5000 design (skreg ~70 s, HiGHS ~160 s, the
# reference dual LP of the gap ~270 s on 2 cores) and on the 2000 x 10000 CSC design (HiGHS
# ~270 s, nearly interpolating: 1980 non-zeros): only with --extended
EXTENDED = {"lad/dense-n1000-p5000/a0.1", "lad/sparse-n2000-p10000/a0.1"}


def make_cases(specs, extended=False):
    names = list(specs)
    dense = [k for k in names if k.startswith("dense-")]

    def n_p(name):
        n, p = re.search(r"-n(\d+)-p(\d+)", name).groups()
        return int(n), int(p)

    wide = min((k for k in dense if n_p(k)[0] < n_p(k)[1]), key=lambda k: n_p(k)[1])
    tall = next(k for k in dense if n_p(k)[0] > n_p(k)[1])
    ratios = (0.5, 0.1)
    cases = [Case(f, d, r) for f in ("sqrt", "lad") for d in names for r in ratios]
    cases = [c for c in cases if extended or c.name not in EXTENDED]
    # LAD paths are measured with one reference dual LP per alpha (4-11 s each on the
    # 5000 x 500 design): the tall design only for the square-root Lasso
    cases += [Case("sqrt-path", d) for d in (wide, tall, "diabetes")]
    # SqrtLassoCV on the wide design: each fold's path enters the interpolation regime and
    # takes minutes (the full-data path: 200 s at tol 1e-2): the tall design instead
    cases += [Case("sqrt-cv", d) for d in (tall, "diabetes")]
    cases += [Case("lad-path", d) for d in (wide, "diabetes")]
    cases += [Case("lad-cv", d) for d in (wide, "diabetes")]
    return cases


# --------------------------------------------------------------------------------------------
# solvers
# --------------------------------------------------------------------------------------------
def _caught(fn):
    """Run ``fn()``; return its value and the warnings it raised (class: message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn()
    messages = [f"{type(w.message).__name__}: {w.message}"[:300] for w in caught]
    return value, messages


def _convergence(messages):
    return [m for m in messages if "onverge" in m.split(":", 1)[0]]


def _result(coef, intercept=0.0, **extra):
    out = {"coef": np.asarray(coef, dtype=np.float64).ravel().copy(),
           "intercept": float(intercept)}
    out.update(extra)
    return out


def _skreg_result(est, messages):
    return _result(
        est.coef_,
        est.intercept_,
        n_iter=int(est.n_iter_),
        dual_gap=float(est.dual_gap_),
        warnings=messages,
    )


# square-root Lasso, fit_intercept=False on centred data (dense) --------------------------
def sqrt_skreg(X, y, alpha, tol):
    import skreg

    est = skreg.SqrtLasso(alpha=alpha, fit_intercept=False, tol=tol, max_iter=MAX_ITER_SKREG)
    est, messages = _caught(lambda: est.fit(X, y))
    return _skreg_result(est, messages)


def sqrt_skglm(X, y, alpha, tol):
    from skglm.experimental import SqrtLasso

    # skglm: ||y - Xw||_2 + alpha' ||w||_1 = sqrt(n) * skreg's objective at alpha' / sqrt(n)
    est = SqrtLasso(
        alpha=alpha * np.sqrt(X.shape[0]),
        fit_intercept=False,
        tol=tol,
        max_iter=MAX_ITER_SKGLM,
        max_pn_iter=MAX_PN_ITER,
    )
    est, messages = _caught(lambda: est.fit(X, y))
    return _result(est.coef_, 0.0, warnings=messages)


def sqrt_cvxpy(X, y, alpha, tol=None):
    import cvxpy as cp

    n, p = X.shape
    w = cp.Variable(p)
    objective = cp.norm(y - X @ w, 2) / np.sqrt(n) + alpha * cp.norm1(w)
    problem = cp.Problem(cp.Minimize(objective))
    _, messages = _caught(lambda: problem.solve(solver=cp.CLARABEL))
    if w.value is None:
        raise RuntimeError(f"cvxpy status {problem.status}")
    return _result(w.value, 0.0, status=problem.status, warnings=messages)


# LAD Lasso, fit_intercept=True on y with outliers -------------------------------------------
def lad_skreg(X, y, alpha, tol):
    import skreg

    est = skreg.LADLasso(alpha=alpha, tol=tol, max_iter=MAX_ITER_SKREG)
    est, messages = _caught(lambda: est.fit(X, y))
    return _skreg_result(est, messages)


def lad_highs(X, y, alpha, tol=None):
    from sklearn.linear_model import QuantileRegressor

    # (1/n) sum |r| + alpha ||w||_1 = 2 [(1/n) sum rho_0.5(r) + (alpha / 2) ||w||_1]
    est = QuantileRegressor(quantile=0.5, alpha=alpha / 2.0, solver="highs")
    est, messages = _caught(lambda: est.fit(X, y))
    return _result(est.coef_, est.intercept_, warnings=messages)


def lad_cvxpy(X, y, alpha, tol=None):
    import cvxpy as cp

    n, p = X.shape
    w, b = cp.Variable(p), cp.Variable()
    objective = cp.sum(cp.abs(y - X @ w - b)) / n + alpha * cp.norm1(w)
    problem = cp.Problem(cp.Minimize(objective))
    _, messages = _caught(lambda: problem.solve(solver=cp.CLARABEL))
    if w.value is None:
        raise RuntimeError(f"cvxpy status {problem.status}")
    return _result(w.value, float(b.value), status=problem.status, warnings=messages)


def lad_skglm(X, y, alpha, tol):
    from skglm.experimental import PDCD_WS, Pinball
    from skglm.penalties import WeightedL1

    if sp.issparse(X):
        raise ValueError("n/a: skglm's PDCD_WS does not support sparse X")
    # PDCD_WS has no intercept: a column of ones with penalty weight 0 is the intercept.
    # Pinball is a sum: sum_i rho_0.5(r_i) + (n alpha / 2) ||w||_1 = (n / 2) * LAD objective.
    n, p = X.shape
    Xa = np.hstack([X, np.ones((n, 1))])
    penalty = WeightedL1(n * alpha / 2.0, np.r_[np.ones(p), 0.0])
    solver = PDCD_WS(tol=tol, max_iter=MAX_ITER_SKGLM, max_epochs=MAX_EPOCHS_PDCD)
    (coef, _, _), messages = _caught(lambda: solver.solve(Xa, y, Pinball(0.5), penalty))
    return _result(coef[:p], coef[p], warnings=messages)


# paths (decreasing grid): return {"coefs": (p, n_alphas), "intercepts": (n_alphas,)} ------
def _check_alphas(alphas, returned):
    if not np.allclose(np.asarray(returned), alphas, rtol=1e-10):
        raise RuntimeError("path solver did not return the requested alphas in order")


def sqrt_path_skreg(X, y, alphas, tol, n_jobs=1):
    from skreg.linear_model import sqrt_lasso_path

    out, messages = _caught(
        lambda: sqrt_lasso_path(
            X, y, alphas=alphas, fit_intercept=False, tol=tol, max_iter=MAX_ITER_SKREG,
            n_jobs=n_jobs,
        )
    )
    _check_alphas(alphas, out[0])
    return {"coefs": np.asarray(out[1]), "intercepts": np.zeros(alphas.size),
            "warnings": messages}


def sqrt_path_skglm(X, y, alphas, tol, n_jobs=None):
    from skglm.experimental import SqrtLasso

    est = SqrtLasso(fit_intercept=False, tol=tol, max_iter=MAX_ITER_SKGLM, max_pn_iter=MAX_PN_ITER)
    out, messages = _caught(lambda: est.path(X, y, alphas=alphas * np.sqrt(X.shape[0])))
    _check_alphas(alphas * np.sqrt(X.shape[0]), out[0])
    return {"coefs": np.asarray(out[1]).T, "intercepts": np.zeros(alphas.size),
            "warnings": messages}


def lad_path_skreg(X, y, alphas, tol, n_jobs=1):
    from skreg.linear_model import lad_lasso_path

    out, messages = _caught(
        lambda: lad_lasso_path(
            X, y, alphas=alphas, tol=tol, max_iter=MAX_ITER_SKREG, n_jobs=n_jobs,
            return_intercept=True,
        )
    )
    _check_alphas(alphas, out[0])
    return {"coefs": np.asarray(out[1]), "intercepts": np.asarray(out[-1]),
            "warnings": messages}


def lad_path_highs(X, y, alphas, tol=None, n_jobs=None):
    coefs, intercepts, messages = [], [], []
    for alpha in alphas:
        res = lad_highs(X, y, alpha)
        coefs.append(res["coef"])
        intercepts.append(res["intercept"])
        messages += res["warnings"]
    return {"coefs": np.array(coefs).T, "intercepts": np.array(intercepts),
            "warnings": messages}


# cross-validation (5-fold KFold, no shuffle) -------------------------------------------------
def _cv_skreg(class_name):
    def fit(X, y, alphas, tol, n_jobs=1):
        from sklearn.model_selection import KFold

        from skreg import linear_model

        est = getattr(linear_model, class_name)(
            alphas=alphas, cv=KFold(5), tol=tol, max_iter=MAX_ITER_SKREG, n_jobs=n_jobs
        )
        est, messages = _caught(lambda: est.fit(X, y))
        return _result(est.coef_, est.intercept_, alpha=float(est.alpha_), warnings=messages)

    return fit


@dataclasses.dataclass
class Solver:
    """A library's solver for one family.

    ``mode``: ``"search"`` (a ``tol`` is searched, see ``_harness.search_tol``) or ``"fixed"``
    (run once at the library's own settings, its achieved gap reported). ``variants`` are the
    skreg configurations timed (label -> threads, n_jobs); the first is the one searched.
    """

    name: str
    library: str
    fit: object
    mode: str = "search"
    is_skreg: bool = False
    threads: str = ""
    budget_factor: float = 1.0
    kinds: tuple = ("dense", "sparse")


SKREG_THREAD_VARIANTS = (("Nt", N_CPUS, None), ("1t", 1, None))
SKREG_JOB_VARIANTS = (("j1", N_CPUS, 1), ("j2", N_CPUS, 2))

SOLVERS = {
    "sqrt": [
        Solver("skreg", "skreg", sqrt_skreg, is_skreg=True),
        Solver("skglm", "skglm", sqrt_skglm, threads="numba prox-Newton, no parallel loops"),
        Solver("cvxpy", "cvxpy", sqrt_cvxpy, mode="fixed",
               threads="cvxpy canonicalization + Clarabel (Rust), single-threaded"),
    ],
    "lad": [
        Solver("skreg", "skreg", lad_skreg, is_skreg=True),
        Solver("highs", "sklearn", lad_highs, mode="fixed",
               threads="QuantileRegressor -> scipy linprog HiGHS, single-threaded"),
        Solver("cvxpy", "cvxpy", lad_cvxpy, mode="fixed",
               threads="cvxpy canonicalization + Clarabel (Rust), single-threaded"),
        # primal-dual CD needs 10-30 s for 1e-6 on 200 x 1000 already: a quarter of the
        # budget shows it and saves minutes per case
        Solver("skglm-pdcd", "skglm", lad_skglm, kinds=("dense",), budget_factor=0.25,
               threads="numba PDCD_WS, no parallel loops"),
    ],
    "sqrt-path": [
        Solver("skreg", "skreg", sqrt_path_skreg, is_skreg=True),
        Solver("skglm", "skglm", sqrt_path_skglm, threads="numba prox-Newton, warm-started"),
    ],
    "lad-path": [
        Solver("skreg", "skreg", lad_path_skreg, is_skreg=True),
        Solver("highs", "sklearn", lad_path_highs, mode="fixed",
               threads="one QuantileRegressor(highs) per alpha, single-threaded"),
    ],
    "sqrt-cv": [Solver("skreg", "skreg", _cv_skreg("SqrtLassoCV"), is_skreg=True)],
    "lad-cv": [Solver("skreg", "skreg", _cv_skreg("LADLassoCV"), is_skreg=True)],
}

#: skreg API each family needs; a family whose import fails is skipped with this message
SKREG_API = {
    "sqrt": ("skreg", "SqrtLasso"),
    "lad": ("skreg", "LADLasso"),
    "sqrt-path": ("skreg.linear_model", "sqrt_lasso_path"),
    "lad-path": ("skreg.linear_model", "lad_lasso_path"),
    "sqrt-cv": ("skreg.linear_model", "SqrtLassoCV"),
    "lad-cv": ("skreg.linear_model", "LADLassoCV"),
}


def skreg_api_error(family):
    module, name = SKREG_API[family]
    try:
        getattr(__import__(module, fromlist=[name]), name)
    except (ImportError, AttributeError) as exc:
        return f"skipped: {module}.{name} not available ({type(exc).__name__}: {exc})"
    return None


# --------------------------------------------------------------------------------------------
# accuracy
# --------------------------------------------------------------------------------------------
class LadGap:
    """Relative LAD gap from ``skreg.reference``, with its dual LP solved once per alpha.

    ``lad_duality_gap`` with ``fit_intercept=True`` is ``P(w, b) - D`` where ``D`` is the
    (made exactly feasible) optimum of the dual LP, which does not depend on ``(w, b)``. The
    first call for an alpha runs ``relative_duality_gap("lad", ...)`` (one HiGHS solve, up to
    minutes on the largest problems) and stores ``D``; later calls compute ``P(w, b)`` with
    ``lad_objective`` and subtract it: the same number, without re-solving the LP for every
    solver output. :meth:`check` compares the two on a given point.
    """

    def __init__(self, X, y):
        from skreg.reference import lad_null_objective

        self.X, self.y = X, y
        self.null = float(lad_null_objective(y, fit_intercept=True))
        self._dual = {}
        self.lp_seconds = 0.0
        self.max_discrepancy = 0.0

    def _full(self, coef, intercept, alpha):
        from skreg.reference import relative_duality_gap

        start = time.perf_counter()
        rel = relative_duality_gap("lad", self.X, self.y, coef, intercept, alpha=alpha)
        self.lp_seconds += time.perf_counter() - start
        return float(rel)

    def objective(self, coef, intercept, alpha):
        from skreg.reference import lad_objective

        return float(lad_objective(self.X, self.y, coef, intercept, alpha=alpha))

    def prime(self, alpha):
        """Solve the dual LP of ``alpha`` (at the null point: any point gives the same D)."""
        key = float(alpha)
        if key not in self._dual:
            coef, intercept = np.zeros(self.X.shape[1]), float(np.median(self.y))
            rel = self._full(coef, intercept, alpha)
            self._dual[key] = self.objective(coef, intercept, alpha) - rel * self.null

    def __call__(self, coef, intercept, alpha):
        self.prime(alpha)
        return (self.objective(coef, intercept, alpha) - self._dual[float(alpha)]) / self.null

    def check(self, coef, intercept, alpha):
        """Full reference computation at this point; records the difference to the cache."""
        full = self._full(coef, intercept, alpha)
        self.max_discrepancy = max(self.max_discrepancy, abs(full - self(coef, intercept, alpha)))
        return full


class SqrtGap:
    """Relative square-root Lasso gap and objective (``skreg.reference``)."""

    def __init__(self, X, y, fit_intercept):
        from skreg.reference import sqrt_lasso_null_objective

        self.X, self.y, self.fit_intercept = X, y, fit_intercept
        self.null = float(sqrt_lasso_null_objective(y, fit_intercept=fit_intercept))

    def __call__(self, coef, intercept, alpha):
        from skreg.reference import relative_duality_gap

        return float(
            relative_duality_gap(
                "sqrt_lasso", self.X, self.y, coef, intercept, alpha=alpha,
                fit_intercept=self.fit_intercept,
            )
        )

    def objective(self, coef, intercept, alpha):
        from skreg.reference import sqrt_lasso_objective

        return float(sqrt_lasso_objective(self.X, self.y, coef, intercept, alpha=alpha))


# --------------------------------------------------------------------------------------------
# warm-up and the isolated runs of the fixed-settings anchors
# --------------------------------------------------------------------------------------------
def warm_calls(family, kind, is_skreg):
    """``[(args, kwargs)]`` of the warm-up fits: a tiny problem of the family and kind."""
    rng = np.random.default_rng(0)
    if kind == "sparse":
        X = sp.random(40, 60, density=0.2, format="csc", rng=rng)
    else:
        X = np.asfortranarray(rng.standard_normal((40, 60)))
    y = X @ np.r_[np.ones(3), np.zeros(57)] + 0.1 * rng.standard_normal(40)
    model = family.split("-")[0]
    if model == "lad":
        y = _with_outliers(y)
    amax = (alpha_max_sqrt if model == "sqrt" else alpha_max_lad)(X, y)
    if family in ("sqrt", "lad"):
        return [((X, y, ratio * amax, 1e-4), {}) for ratio in (0.5, 0.1)]
    grid = amax * np.geomspace(1, 1e-1, 5)
    return [((X, y, grid, 1e-4), {"n_jobs": j}) for j in ((1, 2) if is_skreg else (None,))]


def _fixed_worker(conn, fit, fit_args, warm, max_repeats):
    """Child process: warm up, fit once, then (fits under 10 s) time up to 5 repeats."""
    import traceback

    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        start = time.perf_counter()
        for args, kwargs in warm:
            fit(*args, **kwargs)
        conn.send(("warm", time.perf_counter() - start))
        args, kwargs = fit_args

        def one():
            cpu, start = time.process_time(), time.perf_counter()
            result = fit(*args, **kwargs)
            seconds = time.perf_counter() - start
            return {"result": result, "seconds": seconds, "cpu": time.process_time() - cpu}

        first = one()
        conn.send(("fit", first))
        if first["seconds"] < 10.0:
            for _ in range(n_repeats(first["seconds"], max_repeats)):
                conn.send(("fit", one()))
        conn.send(("done", None))
    except BaseException as exc:
        conn.send(("error", (f"{type(exc).__name__}: {exc}"[:500], traceback.format_exc())))


def run_fixed_isolated(fit, fit_args, warm, budget, max_repeats, warm_budget=300.0):
    """Run an anchor at its own settings in a *spawned* process, killed after ``budget`` s.

    cvxpy/Clarabel and HiGHS start worker threads of their own on problems of some size, and a
    forked child of a process where they have run can deadlock (seen with Clarabel: every
    forked cvxpy solve hung after the first in-process one). So these anchors never run in
    the benchmark process: a fresh interpreter gets the data, warms up on a tiny problem
    (imports, first-call costs), fits once (the budget applies) and, for fits under 10 s,
    repeats the fit up to 5 times. Times are measured in the child around the fit only.

    Returns ``{"runs": [{"result", "seconds", "cpu"}], "warmup_s"}`` (first run first), or
    with ``"timeout": True`` / ``"error"``.
    """
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_fixed_worker, args=(sender, fit, fit_args, warm, max_repeats),
                       daemon=True)
    proc.start()
    sender.close()
    out = {"runs": []}
    try:
        timeout = warm_budget
        while True:
            if not receiver.poll(timeout):
                out["timeout"] = True
                break
            try:
                kind, payload = receiver.recv()
            except EOFError:
                out["error"] = f"anchor process died (exit code {proc.exitcode})"
                break
            if kind == "warm":
                out["warmup_s"] = payload
                timeout = budget
            elif kind == "fit":
                out["runs"].append(payload)
                timeout = budget
            elif kind == "error":
                out["error"], out["traceback"] = payload[0], payload[1][-2000:]
                break
            else:
                break
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receiver.close()
    if out["runs"] and out.pop("timeout", False):
        out["runs"] = out["runs"][:1]  # a repeat overran the budget: keep the first fit
    return out


# --------------------------------------------------------------------------------------------
# running one case
# --------------------------------------------------------------------------------------------
class Runner:
    """Runs cases; keeps the tolerance hints, the warm-up state and all records."""

    def __init__(self, args):
        self.args = args
        self.records = []
        self.hints = {}  # (family, solver) -> last tol found
        self.path_tols = {}  # (model, dataset) -> skreg's tol on that path (used by CV)
        self.warmed = {}
        self.lad_checks = []

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
        start = time.perf_counter()
        try:
            for args, kwargs in warm_calls(family, kind, solver.is_skreg):
                solver.fit(*args, **kwargs)
        except Exception as exc:
            self.warmed[key] = f"warm-up failed: {type(exc).__name__}: {exc}"[:500]
            return None
        return time.perf_counter() - start

    # one case -------------------------------------------------------------------------------
    def run_case(self, case, data):
        family = case.family
        problem = self._problem(case, data)
        log(f"[{case.name}] {data.shape[0]} x {data.shape[1]} {data.kind} {problem['label']}")
        api_error = skreg_api_error(family) if not self.args.only_anchors else None
        if api_error and family.endswith("-cv"):
            log(f"    {api_error}")
            self._record(case, data, SOLVERS[family][0], problem, error=api_error)
            return
        for solver in SOLVERS[family]:
            if solver.is_skreg and self.args.only_anchors:
                continue
            if solver.is_skreg and api_error:
                self._record(case, data, solver, problem, error=api_error)
                continue
            if data.kind not in solver.kinds:
                self._record(case, data, solver, problem,
                             error=f"n/a: {solver.name} does not support {data.kind} X")
                continue
            budget = (self.args.max_fit_seconds * problem.get("budget_factor", 1.0)
                      * solver.budget_factor)
            if solver.mode == "fixed":  # warmed up in its own process
                self._run_fixed(case, data, solver, problem, budget)
                continue
            warmup_s = self.warm_up(family, solver, data.kind)
            warmup_error = self.warmed[(family, solver.name, data.kind)]
            if warmup_error:
                self._record(case, data, solver, problem, error=warmup_error)
                continue
            self._run_search(case, data, solver, problem, budget, warmup_s)

    def _variants(self, solver, family):
        if not solver.is_skreg:
            return (("", None, None),)
        if family.endswith("-path") or family.endswith("-cv"):
            return SKREG_JOB_VARIANTS
        return SKREG_THREAD_VARIANTS if N_CPUS > 1 else (("1t", 1, None),)

    def _run_search(self, case, data, solver, problem, budget, warmup_s):
        family = case.family
        variants = self._variants(solver, family)
        _, threads0, jobs0 = variants[0]
        if solver.is_skreg:
            self._set_skreg_threads(threads0)
        model = family.split("-")[0]
        hint = self.hints.get((family, solver.name))
        if family.endswith("-cv"):  # the refit needs about the path's tol on the same data
            hint = self.path_tols.get((model, case.dataset), hint)
        if hint is None and family.endswith("-path"):
            hint = self.hints.get((model, solver.name))
        search = search_tol(
            problem["fit"](solver, jobs0),
            problem["measure"],
            target=TARGET,
            hint=hint,
            max_fit_seconds=budget,
            isolate=not solver.is_skreg,
        )
        if search["tol"] is None and not search["error"] and "objective" in problem:
            search = self._best_effort(problem, solver, jobs0, search, budget)
        if search["tol"] is not None:
            self.hints[(family, solver.name)] = search["tol"]
            if solver.is_skreg and family.endswith("-path"):
                self.path_tols[(family.split("-")[0], case.dataset)] = search["tol"]
        for label, n_threads, n_jobs in variants:
            if solver.is_skreg:
                self._set_skreg_threads(n_threads)
            timing = None
            if search["tol"] is not None:
                reuse = (n_threads, n_jobs) == (threads0, jobs0)
                try:
                    timing = self._time(problem, solver, search, n_jobs, reuse)
                except Exception as exc:
                    search = {**search, "error": f"{type(exc).__name__}: {exc}"[:500]}
            self._record(case, data, solver, problem, search=search, timing=timing,
                         variant=label, n_threads=n_threads, n_jobs=n_jobs, warmup_s=warmup_s)
        if solver.is_skreg:
            self._set_skreg_threads(N_CPUS)

    @staticmethod
    def _best_effort(problem, solver, n_jobs, search, budget):
        """Not reached: refit at the tol of the best gap (if quick) to record its output."""
        tried = [t for t in search["trials"] if t[1] is not None]
        if not tried:
            return search
        tol, _, seconds = min(tried, key=lambda t: t[1])
        if seconds > budget / 4:
            return search
        try:
            result, _ = _caught(lambda: problem["fit"](solver, n_jobs)(tol))
        except Exception:
            return search
        return {**search, "result": result}

    def _time(self, problem, solver, search, n_jobs, reuse):
        fit = problem["fit"](solver, n_jobs)
        first_trial = search["trials"][0][0] == search["tol"]
        long_fit = search["seconds"] >= 10.0 and not (solver.is_skreg and first_trial)
        if long_fit and reuse:
            return self._single_timing(search["seconds"], search["gap"], search["result"], True)
        if not reuse:  # another thread / job count: one untimed fit gives the duration
            first = time_fit(fit, problem["measure"], search["tol"], 1)
            k = n_repeats(first["median_s"], self.args.repeats)
            if k == 1 and first["median_s"] >= 10.0:
                return {**first, "from_search": False}
        else:
            k = n_repeats(search["seconds"], self.args.repeats)
        return time_fit(fit, problem["measure"], search["tol"], k)

    @staticmethod
    def _single_timing(seconds, gap, result, from_search):
        return {"times": [seconds], "median_s": seconds, "min_s": seconds, "repeats": 1,
                "gaps": [gap], "max_gap": gap, "result": result, "from_search": from_search,
                "cpu_per_wall": None}

    def _run_fixed(self, case, data, solver, problem, budget):
        """Run in a fresh process (see :func:`run_fixed_isolated`), measure the gaps here."""
        search = {"tol": None, "gap": None, "seconds": None, "result": None, "best_gap": None,
                  "trials": [], "reason": None, "error": None, "fixed": True}
        timing, warmup_s = None, None
        out = run_fixed_isolated(solver.fit, problem["fit_args"],
                                 warm_calls(case.family, data.kind, False), budget,
                                 self.args.repeats)
        warmup_s = out.get("warmup_s")
        if out.get("error"):
            search.update(reason="error", error=out["error"], traceback=out.get("traceback"))
        elif out.get("timeout"):
            search.update(reason=f"timeout: killed after {budget:g} s", timeout_s=budget)
        else:
            first, runs = out["runs"][0], out["runs"][1:] or out["runs"][:1]
            gap = float(problem["measure"](first["result"]))
            search.update(gap=gap, best_gap=gap, seconds=first["seconds"],
                          result=first["result"], trials=[(None, gap, first["seconds"])])
            gaps = [float(problem["measure"](r["result"])) for r in runs]
            times = [r["seconds"] for r in runs]
            timing = {"result": runs[-1]["result"], "times": times,
                      "median_s": float(np.median(times)), "min_s": float(np.min(times)),
                      "repeats": len(runs), "gaps": gaps, "max_gap": float(np.max(gaps)),
                      "from_search": len(out["runs"]) == 1,
                      "cpu_per_wall": float(sum(r["cpu"] for r in runs) / max(sum(times), 1e-12))}
        self._record(case, data, solver, problem, search=search, timing=timing,
                     warmup_s=warmup_s)

    # problems -------------------------------------------------------------------------------
    def _problem(self, case, data):
        """Closures fitting and measuring this case, for any solver of its family."""
        model, _, kind = case.family.partition("-")
        if model == "sqrt" and kind != "cv":
            X, y = data.centred()
            fit_intercept = False
            amax = alpha_max_sqrt(X, y)
            meter = SqrtGap(X, y, fit_intercept)
        elif model == "sqrt":
            X, y = data.X, data.y
            fit_intercept = True
            amax = alpha_max_sqrt(*data.centred())
            meter = SqrtGap(X, y, fit_intercept)
        else:
            X, y = data.X, data.y_out
            fit_intercept = True
            amax = alpha_max_lad(X, y)
            meter = LadGap(X, y)
        note = "no intercept, centred data" if (model == "sqrt" and kind != "cv"
                                                and data.kind == "dense") else (
            "no intercept, data not centred" if model == "sqrt" and kind != "cv"
            else "with intercept" + (", 10% outliers +-100 in y" if model == "lad" else ""))
        if kind == "":
            alpha = case.ratio * amax
            if model == "lad":
                start = time.perf_counter()
                meter.prime(alpha)
                log(f"  reference dual LP solved in {time.perf_counter() - start:.1f} s")

            def measure(result):
                return meter(result["coef"], result["intercept"], alpha)

            def objective(result):
                return meter.objective(result["coef"], result["intercept"], alpha)

            def fit(solver, n_jobs):
                return lambda tol: solver.fit(X, y, alpha, tol)

            return dict(label=f"alpha = {case.ratio:g} alpha_max = {alpha:.4g}, {note}",
                        alpha=alpha, fit=fit, fit_args=((X, y, alpha, None), {}),
                        measure=measure, objective=objective,
                        meter=meter, null=meter.null, fit_intercept=fit_intercept)
        if kind == "path":
            alphas = amax * np.geomspace(1.0, self.args.eps, self.args.n_alphas)
            if model == "lad":
                start = time.perf_counter()
                for a in alphas:
                    meter.prime(a)
                log(f"  {alphas.size} reference dual LPs solved in "
                    f"{time.perf_counter() - start:.1f} s")

            def measure(result):
                return max(meter(result["coefs"][:, k], result["intercepts"][k], a)
                           for k, a in enumerate(alphas))

            def fit(solver, n_jobs):
                return lambda tol: solver.fit(X, y, alphas, tol, n_jobs=n_jobs)

            return dict(label=f"{alphas.size} alphas down to {self.args.eps:g} alpha_max, "
                              f"{note}", alpha=None, fit=fit, measure=measure, meter=meter,
                        fit_args=((X, y, alphas, None), {"n_jobs": None}),
                        null=meter.null, budget_factor=2.0, fit_intercept=fit_intercept)
        # cv
        alphas = amax * np.geomspace(1.0, self.args.eps, self.args.n_alphas)

        def measure(result):
            return meter(result["coef"], result["intercept"], result["alpha"])

        def fit(solver, n_jobs):
            return lambda tol: solver.fit(X, y, alphas, tol, n_jobs=n_jobs)

        return dict(label=f"5-fold KFold (no shuffle), {alphas.size} alphas down to "
                          f"{self.args.eps:g} alpha_max, {note}; tol searched on the refit's gap",
                    alpha=None, fit=fit, measure=measure, meter=meter, null=meter.null,
                    fit_intercept=fit_intercept)

    # records --------------------------------------------------------------------------------
    def _record(self, case, data, solver, problem, *, search=None, timing=None, variant="",
                n_threads=None, n_jobs=None, warmup_s=None, error=None):
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
            "problem": problem["label"],
            "fit_intercept": problem["fit_intercept"],
            "solver": solver.name,
            "library": solver.library,
            "mode": solver.mode,
            "is_skreg": solver.is_skreg,
            "variant": variant,
            "threads": n_threads if solver.is_skreg else "as is",
            "n_jobs": n_jobs,
            "threads_note": solver.threads,
            "target_rel_gap": TARGET,
            "null_objective": problem["null"],
            "warmup_s": warmup_s,
        }
        if error is None and search is not None:
            error = search["error"]
            rec.update(
                tol=search["tol"],
                rel_gap_search=search["gap"],
                best_gap=search["best_gap"],
                not_reached_reason=search["reason"],
                search_trials=[{"tol": t, "rel_gap": g, "seconds": s}
                               for t, g, s in search["trials"]],
                timeout_s=search.get("timeout_s"),
                traceback=search.get("traceback"),
                tol_source=search.get("tol_source"),
            )
            if solver.mode == "fixed":
                rec["reached"] = search["gap"] is not None and search["gap"] <= TARGET
                rec["ran"] = search["gap"] is not None
            else:
                rec["reached"] = search["tol"] is not None and search["gap"] is not None \
                    and search["gap"] <= TARGET
                rec["ran"] = search["tol"] is not None
        else:
            rec.update(tol=None, reached=False, ran=False, best_gap=None)
        rec["error"] = error
        result = None
        if timing is not None:
            result = timing.get("result")
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
            rec["gap_ok_in_timed_runs"] = bool(timing["max_gap"] <= TARGET)
        elif search is not None and search.get("result") is not None:
            result = search["result"]
        if isinstance(result, dict):
            rec["warnings"] = sorted(set(result.get("warnings", [])))[:10]
            rec["convergence_warnings"] = _convergence(result.get("warnings", []))[:5]
            if "alpha" in result:
                rec["alpha_selected"] = result["alpha"]
            if "status" in result:
                rec["solver_status"] = result["status"]
            if "coef" in result and problem.get("objective") is not None:
                rec["objective"] = problem["objective"](result)
                rec["nnz"] = int(np.count_nonzero(result["coef"]))
            if solver.is_skreg and "dual_gap" in result:
                rec["skreg_reported_rel_gap"] = result["dual_gap"] / problem["null"]
                rec["skreg_n_iter"] = result.get("n_iter")
            # the LAD gap cache against the full reference computation, once per case
            # (skipped where the LP takes more than a minute: the cache is exact by construction)
            if (case.family == "lad" and solver.is_skreg and "coef" in result
                    and problem["meter"].lp_seconds < 60.0
                    and not any(c["case"] == case.name for c in self.lad_checks)):
                meter = problem["meter"]
                full = meter.check(result["coef"], result["intercept"], problem["alpha"])
                self.lad_checks.append({"case": case.name, "full": full,
                                        "cached": meter(result["coef"], result["intercept"],
                                                        problem["alpha"])})
        self.records.append(rec)
        tag = f" [{variant}]" if variant else ""
        if error:
            msg = f"ERROR {error[:160]}"
        elif timing is not None:
            tol = "own settings" if rec.get("tol") is None else f"tol={rec['tol']:.0e}"
            msg = (f"{tol} gap={timing['max_gap']:.1e} median {format_seconds(timing['median_s'])}"
                   f" min {format_seconds(timing['min_s'])} (x{timing['repeats']})")
            if rec.get("convergence_warnings"):
                msg += f" CONVERGENCE WARNING: {rec['convergence_warnings'][0][:80]}"
        else:
            best = rec["best_gap"]
            best = "-" if best is None else f"{best:.1e}"
            msg = f"NOT REACHED best gap {best} ({rec.get('not_reached_reason')})"
        log(f"    {solver.name:<12}{tag:<6} {msg}")


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
ANCHORS = {
    "sqrt": ("cvxpy", "skglm"),
    "lad": ("highs", "cvxpy", "skglm-pdcd"),
    "sqrt-path": ("skglm",),
    "lad-path": ("highs",),
    "sqrt-cv": (),
    "lad-cv": (),
}
TARGETS = {  # (family, anchor): (max ratio skreg / anchor, description)
    ("sqrt", "cvxpy"): (1 / 20, "SqrtLasso >= 20x faster than cvxpy"),
    ("sqrt", "skglm"): (1.0, "SqrtLasso not slower than skglm SqrtLasso (goal: half its time)"),
    ("lad", "highs"): (1 / 10, "LADLasso >= 10x faster than QuantileRegressor(highs)"),
}


def _label(rec):
    return f"skreg {rec['variant']}" if rec["is_skreg"] else rec["solver"]


def summarize(records):
    """Per-case rows (times, ratios skreg / each anchor, objective excess) and a summary."""
    by_case = {}
    for rec in records:
        by_case.setdefault(rec["case"], []).append(rec)
    rows = []
    for case, recs in by_case.items():
        family = recs[0]["family"]
        skreg_recs = {r["variant"]: r for r in recs if r["is_skreg"]}
        main = skreg_recs.get("Nt") or skreg_recs.get("j1") or skreg_recs.get("1t")
        row = {"case": case, "family": family, "records": recs,
               "shape": f"{recs[0]['n_samples']} x {recs[0]['n_features']}",
               "format": recs[0]["format"], "ratios": {}, "ratios_1t": {}, "bounds": {}}
        # objective excess over the best objective found (single fits)
        objs = [r["objective"] for r in recs if r.get("objective") is not None]
        if objs:
            best = min(objs)
            null = None
            for r in recs:
                if r.get("objective") is not None:
                    r["rel_obj_excess"] = None
            for r in recs:
                if r.get("objective") is None:
                    continue
                null = null or _null_of(r)
                r["rel_obj_excess"] = (r["objective"] - best) / null if null else None
                gap = r.get("rel_gap", r.get("best_gap"))
                # a certified gap must bound the excess over any other point's objective
                r["gap_bounds_excess"] = (gap is None or r["rel_obj_excess"] is None
                                          or r["rel_obj_excess"] <= gap + 1e-12)
        for anchor in ANCHORS[family]:
            arec = next((r for r in recs if r["solver"] == anchor), None)
            if arec is None or main is None or not main.get("reached"):
                continue
            if main.get("median_s") is None:
                continue
            usable = arec.get("median_s") is not None and (
                arec["mode"] == "fixed" or arec.get("reached"))
            if usable:
                row["ratios"][anchor] = main["median_s"] / arec["median_s"]
                one = skreg_recs.get("1t")
                if one and one.get("median_s") is not None:
                    row["ratios_1t"][anchor] = one["median_s"] / arec["median_s"]
            elif arec.get("timeout_s"):
                row["bounds"][anchor] = main["median_s"] / arec["timeout_s"]  # ratio below this
        if "j1" in skreg_recs and "j2" in skreg_recs:
            a, b = skreg_recs["j1"].get("median_s"), skreg_recs["j2"].get("median_s")
            row["jobs_speedup"] = a / b if a and b else None
        rows.append(row)

    summary = {"targets": {}, "median_ratios": {}, "correctness": [], "errors": []}
    for (family, anchor), (limit, text) in TARGETS.items():
        vals = {r["case"]: r["ratios"][anchor] for r in rows
                if r["family"] == family and anchor in r["ratios"]}
        bounds = {r["case"]: r["bounds"][anchor] for r in rows
                  if r["family"] == family and anchor in r["bounds"]}
        met = [c for c, v in vals.items() if v <= limit] + [
            c for c, v in bounds.items() if v <= limit]
        unmet = [c for c, v in vals.items() if v > limit]
        undetermined = [c for c, v in bounds.items() if v > limit]  # anchor killed
        summary["targets"][f"{family}/{anchor}"] = {
            "target": text, "max_ratio": limit, "ratios": vals, "timeout_bounds": bounds,
            "met": met, "unmet": unmet, "undetermined": undetermined,
            "goal_half_met": ([c for c, v in vals.items() if v <= 0.5]
                              if anchor == "skglm" else None),
        }
    for family, anchors in ANCHORS.items():
        for anchor in anchors:
            vals = [r["ratios"][anchor] for r in rows
                    if r["family"] == family and anchor in r["ratios"]]
            if vals:
                summary["median_ratios"][f"{family}/{anchor}"] = {
                    "n_cases": len(vals), "median": float(np.median(vals)),
                    "geomean": float(np.exp(np.mean(np.log(vals)))),
                }
    summary["jobs_speedup"] = {r["case"]: r.get("jobs_speedup") for r in rows
                               if r.get("jobs_speedup") is not None}
    for rec in records:
        label = f"{rec['case']} {_label(rec)}"
        if rec["is_skreg"]:
            if rec.get("error") and not rec["error"].startswith("skipped"):
                summary["correctness"].append(f"{label}: error {rec['error']}")
            elif not rec.get("reached"):
                summary["correctness"].append(
                    f"{label}: target gap not reached (best {rec.get('best_gap')}, "
                    f"{rec.get('not_reached_reason')})")
            if rec.get("convergence_warnings"):
                summary["correctness"].append(
                    f"{label}: convergence warning at tol={rec.get('tol')}: "
                    f"{rec['convergence_warnings'][0]}")
            if rec.get("rel_obj_excess") is not None and rec["rel_obj_excess"] > TARGET:
                summary["correctness"].append(
                    f"{label}: objective {rec['rel_obj_excess']:.2e} (relative) above the best "
                    "found by another solver")
            rep, got = rec.get("skreg_reported_rel_gap"), rec.get("rel_gap")
            if rep is not None and got is not None and got > 10 * max(rep, 1e-14) \
                    and got > 1e-12 and got > (rec.get("tol") or 0.0):
                summary["correctness"].append(
                    f"{label}: reported relative gap {rep:.1e} but measured {got:.1e} "
                    f"> tol={rec.get('tol')}")
        if rec.get("gap_bounds_excess") is False:
            summary["correctness"].append(
                f"{label}: measured gap {rec.get('rel_gap')} below its objective excess "
                f"{rec.get('rel_obj_excess')} (reference gap not an upper bound?)")
        if rec.get("error") and not rec["error"].startswith(("n/a", "skipped")):
            summary["errors"].append(f"{label}: {rec['error']}")
    cpu = {}
    for rec in records:
        if rec.get("cpu_per_wall") is not None:
            cpu.setdefault(_label(rec), []).append(rec["cpu_per_wall"])
    summary["cpu_per_wall"] = {k: float(np.median(v)) for k, v in sorted(cpu.items())}
    return rows, summary


def _null_of(rec):
    return rec.get("null_objective")


def _cell(rec):
    if rec is None:
        return "-"
    if rec.get("error"):
        err = rec["error"]
        return "n/a" if err.startswith("n/a") else ("skipped" if err.startswith("skipped")
                                                     else "error")
    if rec.get("timeout_s") and rec.get("median_s") is None:
        return f"> {format_seconds(rec['timeout_s'])}"
    if rec.get("median_s") is None:
        best = rec.get("best_gap")
        return "n.r." if best is None else f"n.r. ({best:.0e})"
    text = format_seconds(rec["median_s"])
    if rec["mode"] == "fixed":
        text += f" ({rec['rel_gap']:.0e})"
    if rec["mode"] != "fixed" and not rec.get("gap_ok_in_timed_runs", True):
        text += "*"
    if rec.get("convergence_warnings"):
        text += " !"
    return text


def _fmt_ratio(value):
    if value is None:
        return "-"
    if value < 0.001:
        return f"{value:.1e}"
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


FAMILY_TITLES = {
    "sqrt": "SqrtLasso (fit_intercept=False: centred dense data; sparse data not centred)",
    "lad": "LADLasso (fit_intercept=True, 10% of y shifted by +-100)",
    "sqrt-path": "sqrt_lasso_path (centred data, fit_intercept=False)",
    "lad-path": "lad_lasso_path (fit_intercept=True, outliers in y)",
    "sqrt-cv": "SqrtLassoCV (5-fold KFold, fit_intercept=True)",
    "lad-cv": "LADLassoCV (5-fold KFold, fit_intercept=True, outliers in y)",
}


def _resumed_runs(previous_meta, done):
    """The runs the kept cases ``done`` come from: the previous run's own cases and those it
    had resumed itself, each run listing only the cases still kept (a case run again is
    attributed to the run that measured it last)."""
    earlier = previous_meta.get("resumed_from", [])
    earlier = [earlier] if isinstance(earlier, dict) else earlier
    inherited = {c for run in earlier for c in run.get("cases", [])}
    runs = [dict(run, cases=sorted(set(run.get("cases", [])) & done)) for run in earlier]
    runs.append({"date": previous_meta["date"], "git": previous_meta.get("git"),
                 "argv": previous_meta.get("argv"), "cases": sorted(done - inherited)})
    return [run for run in runs if run["cases"]]


def write_markdown(path, rows, summary, meta, compile_info):
    lines = [
        "# skreg robust regression benchmark (SqrtLasso, LADLasso)",
        "",
        f"Generated {meta['date']} by `python benchmarks/robust.py {' '.join(meta['argv'])}` on "
        f"{meta['machine']['cpu_count']} cores ({meta['machine']['processor']}); skreg at "
        f"{meta['git']['commit'][:10]}{' + uncommitted changes' if meta['git']['dirty'] else ''}."
        + "".join(
            f" {len(run['cases'])} cases come from an earlier run ({run['date']}, skreg at "
            f"{(run.get('git') or {}).get('commit', '?')[:10]}), resumed with `--resume`."
            for run in meta.get("resumed_from", [])
        ),
        "",
        f"Accuracy: relative duality gaps measured with skreg.reference (`relative_duality_gap`"
        f", \"sqrt_lasso\" / \"lad\"). skreg and skglm are timed at their loosest `tol` reaching "
        f"a gap <= {TARGET:g} (searched over 1e-2 ... 1e-12); cvxpy (Clarabel defaults) and "
        "HiGHS run at their own settings, their achieved gap in parentheses. Times are medians. "
        "`n.r. (g)`: target not reached, best gap g; `> t`: killed after t seconds; `*`: a timed "
        "repeat above the target; `!`: convergence warning. Ratios: skreg (all threads, or "
        "n_jobs=1 for paths) / anchor, < 1: skreg faster.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "",
    ]
    for family in FAMILY_TITLES:
        fam_rows = [r for r in rows if r["family"] == family]
        if not fam_rows:
            continue
        solvers = []
        for r in fam_rows:
            for rec in r["records"]:
                if _label(rec) not in solvers:
                    solvers.append(_label(rec))
        anchors = [a for a in ANCHORS[family] if any(a in r["ratios"] or a in r["bounds"]
                                                     for r in fam_rows)]
        lines += [f"## {FAMILY_TITLES[family]}", ""]
        header = ["case", "n x p"] + solvers + [f"skreg / {a}" for a in anchors]
        if family.endswith("-path") or family.endswith("-cv"):
            header.append("j1 / j2")
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(["---"] * len(header)) + "|")
        for r in fam_rows:
            cells = {_label(rec): _cell(rec) for rec in r["records"]}
            line = [r["case"].split("/", 1)[1],
                    r["shape"] + (" (csc)" if r["format"] == "sparse" else "")]
            line += [cells.get(s, "-") for s in solvers]
            for a in anchors:
                if a in r["ratios"]:
                    line.append(_fmt_ratio(r["ratios"][a]))
                elif a in r["bounds"]:
                    line.append("< " + _fmt_ratio(r["bounds"][a]))
                else:
                    line.append("-")
            if family.endswith("-path") or family.endswith("-cv"):
                line.append(_fmt_ratio(r.get("jobs_speedup")))
            lines.append("| " + " | ".join(line) + " |")
        lines.append("")
    # accuracy table of the single fits
    acc_rows = [r for r in rows if r["family"] in ("sqrt", "lad")]
    if acc_rows:
        lines += ["## Accuracy of the single fits", "",
                  "Relative gap of the timed output / objective excess over the best objective "
                  "found by any solver on the case (both relative to the null objective).", ""]
        solvers = []
        for r in acc_rows:
            for rec in r["records"]:
                if _label(rec) not in solvers:
                    solvers.append(_label(rec))
        lines.append("| case | " + " | ".join(solvers) + " |")
        lines.append("|" + "|".join(["---"] * (len(solvers) + 1)) + "|")
        for r in acc_rows:
            cells = {}
            for rec in r["records"]:
                gap = rec.get("rel_gap", rec.get("best_gap"))
                exc = rec.get("rel_obj_excess")
                if gap is None and exc is None:
                    cells[_label(rec)] = "-"
                else:
                    cells[_label(rec)] = (("-" if gap is None else f"{gap:.0e}") + " / "
                                          + ("-" if exc is None else f"{exc:.0e}"))
            lines.append("| " + r["case"] + " | "
                         + " | ".join(cells.get(s, "-") for s in solvers) + " |")
        lines.append("")
    lines += ["## Targets", ""]
    for t in summary["targets"].values():
        n = len(t["ratios"]) + len(t["timeout_bounds"])
        if not n:
            lines.append(f"- {t['target']}: no comparable case.")
            continue
        vals = ", ".join(f"{c.split('/', 1)[1]} {_fmt_ratio(v)}" for c, v in t["ratios"].items())
        text = (f"- {t['target']} (ratio <= {_fmt_ratio(t['max_ratio'])}): met in "
                f"{len(t['met'])} of {n} cases, not met in {len(t['unmet'])}"
                + (": " + ", ".join(c.split("/", 1)[1] for c in t["unmet"]) if t["unmet"]
                   else "")
                + (f", undetermined in {len(t['undetermined'])} (anchor killed)"
                   if t["undetermined"] else "") + f" (all ratios: {vals}")
        if t["timeout_bounds"]:
            text += "; anchor killed: " + ", ".join(
                f"{c.split('/', 1)[1]} < {_fmt_ratio(v)}" for c, v in t["timeout_bounds"].items())
        text += ")."
        if t["goal_half_met"] is not None:
            text += f" Goal (ratio <= 0.5) met in {len(t['goal_half_met'])} of {n}."
        lines.append(text)
    for key, s in summary["median_ratios"].items():
        lines.append(f"- median ratio skreg / {key}: {s['median']:.3g} "
                     f"(geometric mean {s['geomean']:.3g}, {s['n_cases']} cases)")
    if summary["jobs_speedup"]:
        lines.append("- n_jobs=1 / n_jobs=2 time: " + ", ".join(
            f"{c}: {v:.2f}" for c, v in summary["jobs_speedup"].items()))
    if compile_info:
        for est, res in compile_info.items():
            parts = []
            for state in ("cold", "warm"):
                r = res.get(state, {})
                if "error" in r:
                    parts.append(f"{state}: error {r['error']}")
                else:
                    parts.append(f"{state} {r['total_s']:.2f} s (import {r['import_s']:.2f} s "
                                 f"+ first fit {r['first_fit_s']:.2f} s)")
            lines.append(f"- Compile, `import skreg` + first `{est}.fit` (fresh process, empty "
                         f"then warm NUMBA_CACHE_DIR): " + "; ".join(parts) + ".")
    lines += ["", "## Correctness notes (skreg)", ""]
    lines += [f"- {c}" for c in summary["correctness"]] or ["- none"]
    if meta.get("lad_gap_cache"):
        c = meta["lad_gap_cache"]
        lines.append(f"- LAD gap cache vs full reference computation: max difference "
                     f"{c['max_discrepancy']:.1e} over {c['n_checks']} checks.")
    if summary["errors"]:
        lines += ["", "Errors (recorded, benchmark continued):", ""]
        lines += [f"- {e}" for e in summary["errors"]]
    lines += ["", "Thread use (CPU time / wall time of the timed fits, median over cases):", ""]
    for label, value in summary["cpu_per_wall"].items():
        lines.append(f"- {label}: {value:.2f}")
    lines.append("")
    with open(path, "w") as handle:
        handle.write("\n".join(lines))


def write_plot(path, rows):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not installed: no plot")
        return False
    bars = []  # (case, anchor, ratio)
    for r in rows:
        for anchor, value in r["ratios"].items():
            bars.append((r["case"], anchor, value))
    if not bars:
        return False
    anchors = sorted({b[1] for b in bars})
    cases = list(dict.fromkeys(b[0] for b in bars))
    height = max(3.0, 0.32 * len(cases) + 1.5)
    fig, ax = plt.subplots(figsize=(9, height))
    width = 0.8 / len(anchors)
    ypos = np.arange(len(cases))
    for i, anchor in enumerate(anchors):
        vals = [next((b[2] for b in bars if b[0] == c and b[1] == anchor), np.nan) for c in cases]
        ax.barh(ypos - 0.4 + (i + 0.5) * width, vals, height=width, label=anchor)
    ax.axvline(1.0, color="k", lw=1)
    for x, style in ((1 / 20, ":"), (1 / 10, "--")):
        ax.axvline(x, color="grey", lw=0.8, ls=style)
    ax.set_xscale("log")
    ax.set_yticks(ypos, cases, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("time skreg / time anchor (log scale, < 1: skreg faster; "
                  "dotted 1/20, dashed 1/10)")
    ax.set_title("skreg SqrtLasso / LADLasso vs anchors")
    ax.legend(loc="lower right", fontsize=8)
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
    parser.add_argument("--repeats", type=int, default=None,
                        help="max timed repeats (default 5, quick: 3)")
    parser.add_argument(
        "--max-fit-seconds", type=float, default=None,
        help="time budget of one fit: anchors are killed at this limit, skreg's tol search "
        "stops after a longer fit (default 60, quick: 10; paths x2, skglm PDCD_WS x0.25)",
    )
    parser.add_argument("--skip-compile", action="store_true", help="skip compile timings")
    parser.add_argument("--extended", action="store_true",
                        help="also run LADLasso at 0.1 alpha_max on 1000 x 5000 and on the "
                        "2000 x 10000 CSC design (~15 min each)")
    parser.add_argument("--n-alphas", type=int, default=None,
                        help="path/CV grid size (default 30, quick: 10)")
    parser.add_argument("--eps", type=float, default=None,
                        help="path/CV alpha_min / alpha_max (default 1e-2, quick: 1e-1)")
    parser.add_argument(
        "--resume", action="store_true",
        help="keep the measurements (and compile timings) of the cases already in the output "
        "JSON, e.g. of an interrupted run, and run only the others",
    )
    parser.add_argument(
        "--rerun", default=None, metavar="REGEX",
        help="with --resume: run the cases matching REGEX again (re.search), e.g. after a "
        "change of one solver, and keep the others",
    )
    parser.add_argument("--output", default=None,
                        help="output path without extension (default "
                        "benchmarks/results/robust, quick: benchmarks/results/robust_quick)")
    args = parser.parse_args(argv)
    if args.rerun and not args.resume:
        parser.error("--rerun needs --resume")
    defaults = {"max_fit_seconds": (60.0, 10.0), "repeats": (5, 3), "n_alphas": (30, 10),
                "eps": (1e-2, 1e-1)}
    for key, (full, quick) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, quick if args.quick else full)
    if args.output is None:
        args.output = os.path.join(HERE, "results", "robust" + ("_quick" if args.quick else ""))
    return args


def git_state():
    def run(*cmd):
        try:
            return subprocess.run(["git", *cmd], cwd=REPO_ROOT, capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except Exception:
            return ""

    status = run("status", "--short", "--", "skreg")
    return {"commit": run("rev-parse", "HEAD") or "unknown", "dirty": bool(status),
            "skreg_changes": status.splitlines()}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    # BLAS for the bookkeeping only (gaps, alpha_max, data): one thread, so that OpenBLAS's
    # spinning workers do not steal the cores from the numba regions timed right after.
    # (cvxpy/Clarabel and HiGHS are single-threaded here as well.)
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
    runner = Runner(args)
    meta = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "argv": argv,
        "args": vars(args),
        "target_rel_gap": TARGET,
        "tols": list(TOLS),
        "gap_backend": "skreg.reference.relative_duality_gap",
        "git": git_state(),
        "versions": versions(["skreg", "numpy", "scipy", "sklearn", "numba", "skglm", "cvxpy",
                              "clarabel"]),
        "machine": machine_info(),
        "anchor_threads": sorted({f"{s.name}: {s.threads}" for fam in SOLVERS.values()
                                  for s in fam if s.threads}),
        "alpha_mapping": {
            "skglm SqrtLasso": "alpha' = alpha sqrt(n), fit_intercept=False (objective "
                               "||y - Xw||_2 + alpha' ||w||_1)",
            "sklearn QuantileRegressor": "quantile=0.5, alpha' = alpha / 2 (objective halved)",
            "skglm PDCD_WS + Pinball(0.5)": "WeightedL1(n alpha / 2) on [X, 1] with weight 0 on "
                                            "the column of ones (= unpenalized intercept)",
            "cvxpy": "skreg's objective written directly, Clarabel defaults",
        },
    }
    compile_info = None
    payload = {"meta": meta, "compile": None, "measurements": runner.records, "summary": None}
    if args.resume and os.path.exists(args.output + ".json"):
        with open(args.output + ".json") as handle:
            previous = json.load(handle)
        names = {c.name for c in cases}
        rerun = re.compile(args.rerun) if args.rerun else None
        kept = [r for r in previous["measurements"]
                if r["case"] in names and not (rerun and rerun.search(r["case"]))]
        runner.records.extend(kept)
        done = {r["case"] for r in kept}
        cases = [c for c in cases if c.name not in done]
        compile_info = previous.get("compile")
        payload["compile"] = compile_info
        meta["resumed_from"] = _resumed_runs(previous["meta"], done)
        if previous["meta"].get("lad_gap_cache"):
            runner.lad_checks.extend(previous["meta"]["lad_gap_cache"]["checks"])
        log(f"resuming: {len(done)} cases kept from {args.output}.json, {len(cases)} to run")
    if not args.only_anchors and not args.skip_compile and compile_info is None:
        log("compile timings (fresh subprocesses, empty then warm NUMBA_CACHE_DIR)")
        compile_info = compile_timings(["SqrtLasso", "LADLasso"])
        payload["compile"] = compile_info

    def finish_meta():
        if runner.lad_checks:
            meta["lad_gap_cache"] = {
                "n_checks": len(runner.lad_checks),
                "max_discrepancy": float(max(abs(c["full"] - c["cached"])
                                             for c in runner.lad_checks)),
                "checks": runner.lad_checks,
            }

    data_cache = DataCache(specs)
    for i, case in enumerate(cases, 1):
        log(f"({i}/{len(cases)}, {time.perf_counter() - t_start:.0f} s elapsed)")
        try:
            data = data_cache.get(case.dataset)
        except ImportError as exc:  # NCI60 needs the ISLP data files
            log(f"[{case.name}] skipped: {exc}")
            continue
        runner.run_case(case, data)
        _, summary = summarize(runner.records)
        payload["summary"] = summary
        finish_meta()
        write_json(args.output + ".json", payload)

    rows, summary = summarize(runner.records)
    payload["summary"] = summary
    finish_meta()
    meta["total_s"] = time.perf_counter() - t_start
    write_json(args.output + ".json", payload)
    write_markdown(args.output + ".md", rows, summary, meta, compile_info)
    plotted = write_plot(args.output + ".png", rows)
    log(f"done in {meta['total_s']:.0f} s: {args.output}.json, .md"
        + (", .png" if plotted else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
