"""Benchmark skreg's loss-based weighted OMP (``skreg.greedy``) against its anchors.

Run from the repository root::

    python benchmarks/greedy.py                  # full run (~10 min on 2 loaded cores)
    python benchmarks/greedy.py --quick          # tiny sizes, smoke test (~2 min)
    python benchmarks/greedy.py --cases '^omp/' --repeats 3
    python benchmarks/greedy.py --list

Two parts:

1. **OMP parity and speed** (``omp/`` and ``omp-est/`` cases): ``weighted_omp(X, y,
   n_nonzero_coefs=K)`` (alpha = 0, l0-lasso rule, no intercept) against scikit-learn's
   ``orthogonal_mp`` (plain and ``precompute=True``, the Gram variant) on unit-norm-column
   designs: same selection order (``return_path=True``) and coefficients within 1e-10 are
   checked on every case, and the time ratio skreg / sklearn is measured (target <= 1.5).
   ``WeightedOMP(fit_intercept=True)`` is compared with ``OrthogonalMatchingPursuit`` on data
   whose centred columns have unit norm.
2. **Rules vs convex solvers at equal recovery error** (``cs/`` cases): compressive-sensing
   instances (``skreg.datasets.make_compressive_sensing``, unit-norm columns). For each of
   the six rules (lasso / sqrt / lad x l0 / l1, budget ``K = 2 s`` iterations) and for the
   convex counterparts (``skreg.Lasso``, ``SqrtLasso``, ``LADLasso`` and the same estimators
   with ``solver="cvxpy"``) alpha is swept (4 per decade) to the best relative recovery
   error ``||x - x_true|| / ||x_true||``; each method is then timed at its best alpha.

Results go to ``benchmarks/results/greedy.{json,md,png}`` (quick: ``greedy_quick.*``); see
``benchmarks/README.md``.
"""

import argparse
import dataclasses
import multiprocessing
import os
import re
import subprocess
import sys
import time
import warnings
from datetime import datetime, timezone

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # benchmark the checkout's skreg, not an install

from _harness import (  # noqa: E402
    REPO_ROOT,
    format_seconds,
    log,
    machine_info,
    n_repeats,
    versions,
    write_json,
)
from _harness import compile_timings as _harness_compile_timings  # noqa: E402

N_CPUS = os.cpu_count() or 1
PARITY_TOL = 1e-10  # max |coef difference| allowed against scikit-learn
RATIO_TARGET = 1.5  # skreg OMP time / best scikit-learn time
GRAM_MAX_WORK = 5e10  # m N^2 above which the Gram anchor is not run (minutes per call)
PER_DECADE = 4  # alpha grid density of the sweeps
DECADES = 4  # sweeps from alpha_max down to alpha_max * 10^-DECADES
PATIENCE = 2  # a sweep stops after this many alphas worse than the best so far
CONVEX_TOL = 1e-6
OUTLIER_FRACTION = 0.1
OUTLIER_SIZE = 100.0
RELATIVE_NOISE = 1e-2  # ||e||_2 / ||X x_true||_2
RULES = {"lasso": ("lasso-l0", "lasso-l1"), "sqrt": ("sqrt-l0", "sqrt-l1"),
         "lad": ("lad-l0", "lad-l1")}
CONVEX = {"lasso": "Lasso", "sqrt": "SqrtLasso", "lad": "LADLasso"}


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def _caught(fn):
    """Run ``fn()``; return its value and the warnings it raised (class: message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn()
    return value, [f"{type(w.message).__name__}: {w.message}"[:300] for w in caught]


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _set_threads(n):
    import skreg

    skreg.set_num_threads(n)


class Threads:
    """``"1t"``: numba and BLAS on one thread; ``"Nt"``: skreg on all cores, BLAS as is."""

    def __init__(self, label):
        self.label = label
        self._limits = None

    def __enter__(self):
        from threadpoolctl import threadpool_limits

        if self.label == "1t":
            self._limits = threadpool_limits(limits=1, user_api="blas")
            _set_threads(1)
        else:
            self._limits = threadpool_limits(limits=None, user_api="blas")
            _set_threads(N_CPUS)
        return self

    def __exit__(self, *exc):
        self._limits.restore_original_limits()
        _set_threads(N_CPUS)


def _fmt(value, digits=2):
    if value is None:
        return "-"
    if value != 0 and (abs(value) < 1e-2 or abs(value) >= 1e4):
        return f"{value:.1e}"
    return f"{value:.{digits}f}"


def _median(values):
    return float(np.median(values)) if values else None


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def _unit_columns(X, centre):
    X = np.asarray(X, dtype=np.float64)
    if centre:
        X = X - X.mean(axis=0)
    norms = np.linalg.norm(X, axis=0)
    keep = norms > 1e-12 * max(norms.max(), 1e-300)
    return np.asfortranarray(X[:, keep] / norms[keep])


def gaussian_design(m, N, seed=0):
    """Unit-norm Gaussian columns; y = X x (10 nonzeros) + 5% relative noise."""
    rng = np.random.default_rng(seed)
    X = _unit_columns(rng.standard_normal((m, N)), centre=False)
    x = np.zeros(N)
    idx = rng.choice(N, min(10, N), replace=False)
    x[idx] = rng.choice([-1.0, 1.0], idx.size) * (1.0 + np.abs(rng.standard_normal(idx.size)))
    clean = X @ x
    noise = rng.standard_normal(m)
    y = clean + 0.05 * np.linalg.norm(clean) * noise / np.linalg.norm(noise)
    return X, y


def diabetes_design():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    return _unit_columns(X, centre=True), y - y.mean()


def nci60_design():
    from skreg.datasets import load_nci60

    X, _ = load_nci60(return_X_y=True)
    X = np.asarray(X, dtype=np.float64)
    target = int(np.argmax(X.var(axis=0)))  # the most variable gene, from all the others
    y = X[:, target] - X[:, target].mean()
    return _unit_columns(np.delete(X, target, axis=1), centre=True), y


DESCRIPTIONS = {
    "gauss": "Gaussian N(0,1) entries, columns scaled to unit l2 norm; y = X x + e, x with 10 "
             "nonzeros (+-(1 + |N(0,1)|)), ||e|| = 0.05 ||X x||",
    "diabetes": "scikit-learn diabetes (442 x 10), centred unit-norm columns, y centred",
    "nci60": "NCI60 microarray (ISLP), 64 x 6829, centred unit-norm columns; y = the most "
             "variable gene (centred) from the others",
}


def estimator_data(X, y, seed=1):
    """Data whose *centred* columns have unit norm: centred unit columns + random offsets."""
    rng = np.random.default_rng(seed)
    A = _unit_columns(X, centre=True)
    offsets = rng.uniform(-3.0, 3.0, A.shape[1])
    return np.asfortranarray(A + offsets), y - y.mean() + 3.0


def cs_instance(m, N, s, seed=0):
    """Compressive sensing: unit-norm columns, clean-ish ``y`` and ``y`` with outliers.

    ``noise_level`` (the l2 norm of the noise) is ``RELATIVE_NOISE * ||X x_true||`` (X and
    x_true do not depend on ``noise_level`` for a fixed seed). Columns are normalized to unit
    norm and ``x_true`` rescaled so that ``X x_true`` is unchanged.
    """
    from skreg.datasets import make_compressive_sensing

    X, _, coef = make_compressive_sensing(m, N, n_nonzero=s, random_state=seed)
    eta = RELATIVE_NOISE * float(np.linalg.norm(X @ coef))
    X, y, coef = make_compressive_sensing(m, N, n_nonzero=s, noise_level=eta,
                                          random_state=seed)
    _, y_out, _, mask = make_compressive_sensing(
        m, N, n_nonzero=s, noise_level=eta, outlier_fraction=OUTLIER_FRACTION,
        outlier_magnitude=OUTLIER_SIZE, return_outliers=True, random_state=seed)
    norms = np.linalg.norm(X, axis=0)
    return {"X": np.asfortranarray(X / norms), "y": y, "y_out": y_out,
            "coef": coef * norms, "eta": eta, "n_outliers": int(mask.sum())}


# --------------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Case:
    part: str  # "omp", "omp-est" or "cs"
    dataset: str  # "gauss-m100-N200", "diabetes", "nci60", "m150-N300-s10"
    k: int = None  # n_nonzero_coefs (omp cases)
    loss: str = None  # cs cases

    @property
    def name(self):
        tail = f"K{self.k}" if self.loss is None else self.loss
        return f"{self.part}/{self.dataset}/{tail}"


def omp_sizes(quick):
    if quick:
        return [(100, 200), (150, 300)]
    return [(100, 200), (150, 300), (500, 2000), (1000, 5000), (2000, 10000)]


def cs_sizes(quick):
    return [(150, 300, 10)] if quick else [(150, 300, 10), (500, 2000, 30)]


def make_cases(quick):
    cases = []
    est = []
    for m, N in omp_sizes(quick):
        ks = sorted({min(k, N) for k in (10, 50, min(m // 2, 200))})
        cases += [Case("omp", f"gauss-m{m}-N{N}", k) for k in ks]
        est.append(Case("omp-est", f"gauss-m{m}-N{N}", 50))
    cases += [Case("omp", "diabetes", k) for k in (5, 10)]
    est.append(Case("omp-est", "diabetes", 10))
    if not quick:
        cases += [Case("omp", "nci60", k) for k in (10, 32, 50)]
        est.append(Case("omp-est", "nci60", 32))
    cases += est
    for m, N, s in cs_sizes(quick):
        cases += [Case("cs", f"m{m}-N{N}-s{s}", loss=loss) for loss in ("lasso", "sqrt", "lad")]
    return cases


class DataCache:
    """Build data sets on demand and keep only the last one."""

    def __init__(self):
        self._key = None
        self._value = None

    def get(self, dataset):
        if dataset != self._key:
            self._value = None
            start = time.perf_counter()
            m_ = re.match(r"gauss-m(\d+)-N(\d+)$", dataset)
            c_ = re.match(r"m(\d+)-N(\d+)-s(\d+)$", dataset)
            if m_:
                value = gaussian_design(int(m_.group(1)), int(m_.group(2)))
            elif c_:
                value = cs_instance(*map(int, c_.groups()))
            elif dataset == "diabetes":
                value = diabetes_design()
            elif dataset == "nci60":
                value = nci60_design()
            else:
                raise ValueError(dataset)
            self._key, self._value = dataset, value
            log(f"  data {dataset} built in {time.perf_counter() - start:.1f} s")
        return self._value


# --------------------------------------------------------------------------------------------
# part 1: OMP parity and speed against scikit-learn
# --------------------------------------------------------------------------------------------
def _coef_tol(parity):
    """PARITY_TOL, relative to the largest coefficient when it exceeds 1 (e.g. diabetes, whose
    y is in its own units: coefficients up to ~800, where 1e-10 is 1e-13 relative)."""
    return PARITY_TOL * max(1.0, parity["coef_scale"])


def _order_from_path(path):
    """Order of first appearance of the nonzeros along a (n_features, n_steps) path."""
    seen, order = set(), []
    for col in np.atleast_2d(path.T):
        for j in np.flatnonzero(col):
            if j not in seen:
                seen.add(j)
                order.append(int(j))
    return order


def _first_difference(a, b):
    for i, (u, v) in enumerate(zip(a, b)):
        if u != v:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def omp_parity(X, y, k, use_gram):
    """Selection order and coefficients of skreg vs ``orthogonal_mp`` (one variant)."""
    from sklearn.linear_model import orthogonal_mp

    from skreg.greedy import weighted_omp

    res = weighted_omp(X, y, n_nonzero_coefs=k)
    # (no return_n_iter: with precompute=True, orthogonal_mp does not pass it on)
    path, messages = _caught(lambda: orthogonal_mp(
        X, y, n_nonzero_coefs=k, precompute=use_gram, return_path=True))
    path = np.asarray(path).reshape(X.shape[1], -1)
    n_iter = path.shape[1]
    coef, more = _caught(lambda: orthogonal_mp(X, y, n_nonzero_coefs=k, precompute=use_gram))
    order_sk = _order_from_path(path)
    order_skreg = [int(j) for j in res.support]
    steps = min(path.shape[1], res.coef_path.shape[1])
    first_diff = _first_difference(order_skreg, order_sk)
    return {
        "same_order": first_diff is None,
        "first_order_difference": first_diff,
        "n_selected_skreg": len(order_skreg),
        "n_selected_sklearn": len(order_sk),
        "skreg_stop_reason": res.stop_reason,
        "sklearn_n_iter": int(n_iter),
        "max_coef_diff": float(np.max(np.abs(res.coef - np.asarray(coef).ravel()))),
        "max_path_diff": float(np.max(np.abs(res.coef_path[:, :steps] - path[:, :steps])))
        if steps else 0.0,
        "coef_scale": float(np.max(np.abs(res.coef))),
        "max_relative_coef_diff": float(np.max(np.abs(res.coef - np.asarray(coef).ravel()))
                                        / max(np.max(np.abs(res.coef)), 1e-300)),
        "sklearn_warnings": sorted(set(messages + more))[:5],
    }


def omp_breakdown(X, y, k, repeats=3):
    """Where skreg's OMP time goes (1 thread): data preparation vs iteration, and one rule
    pass (``ls_decreases``, all columns) vs one BLAS ``X.T @ r``. Uses private internals."""
    try:
        from skreg._config import _numba_threads
        from skreg.greedy._rules import ls_decreases
        from skreg.greedy._solver import GreedyProblem
    except ImportError as exc:
        return {"error": f"internals not available: {exc}"}
    m, N = X.shape
    sw = np.ones(m)
    prep, run, rule, gemv = [], [], [], []
    with Threads("1t"):
        for _ in range(repeats):
            problem, t = _timed(lambda: GreedyProblem(X, y, sw, "lasso", False))
            prep.append(t)
            _, t = _timed(lambda p=problem: p.run(0.0, None, "l0", k, k, None, True))
            run.append(t)
        parts = (problem.X, problem.x_mean, problem.inv, problem.root)
        r = problem.y.copy()
        z, ell, corr, out = np.zeros(N), np.zeros(N), np.empty(N), np.empty(N)
        with _numba_threads():
            ls_decreases(*parts, r, z, ell, 0, 0, corr, out)
            for _ in range(max(repeats, 5)):
                rule.append(_timed(lambda: ls_decreases(*parts, r, z, ell, 0, 0, corr, out))[1])
                gemv.append(_timed(lambda: X.T @ r)[1])
    out = {"prepare_s": _median(prep), "iterate_s": _median(run),
           "rule_pass_s": _median(rule), "blas_gemv_s": _median(gemv)}
    out["rule_pass_over_gemv"] = out["rule_pass_s"] / out["blas_gemv_s"]
    out["rule_passes_share_of_iterate"] = min(1.0, k * out["rule_pass_s"] / out["iterate_s"])
    return out


def run_omp_case(case, X, y, args):
    """Parity (both sklearn variants) and alternating timings with 1 thread and all cores."""
    from sklearn.linear_model import orthogonal_mp

    from skreg.greedy import weighted_omp

    m, N = X.shape
    k = case.k
    gram_ok = m * N * N <= GRAM_MAX_WORK
    rec = {"case": case.name, "part": "omp", "dataset": case.dataset, "n_samples": m,
           "n_features": N, "n_nonzero_coefs": k, "gram_run": gram_ok,
           "description": DESCRIPTIONS[case.dataset.split("-")[0]]}
    if not gram_ok:
        rec["gram_skipped"] = (f"m N^2 = {m * N * N:.1e} > {GRAM_MAX_WORK:.0e}: computing X^T X "
                               "alone takes tens of seconds")
    with Threads("1t"):
        weighted_omp(X, y, n_nonzero_coefs=k)  # warm-up (JIT from the on-disk cache)
        rec["parity"] = {"plain": omp_parity(X, y, k, False)}
        if gram_ok:
            rec["parity"]["gram"] = omp_parity(X, y, k, True)
    fns = {
        "skreg": lambda: weighted_omp(X, y, n_nonzero_coefs=k),
        "sklearn": lambda: orthogonal_mp(X, y, n_nonzero_coefs=k),
    }
    if gram_ok:
        fns["sklearn-gram"] = lambda: orthogonal_mp(X, y, n_nonzero_coefs=k, precompute=True)
    rec["timings"] = {}
    for label in ("1t", "Nt") if N_CPUS > 1 else ("1t",):
        with Threads(label):
            first = {}
            for name, fn in fns.items():  # one untimed call each (warm-up, duration)
                _, first[name] = _timed(lambda f=fn: _caught(f))
            reps = n_repeats(max(first.values()), args.repeats)
            times = {name: [] for name in fns}
            for _ in range(reps):  # alternate: skreg, sklearn, sklearn-gram, skreg, ...
                for name, fn in fns.items():
                    times[name].append(_timed(lambda f=fn: _caught(f))[1])
        med = {name: _median(t) for name, t in times.items()}
        best = min((n for n in med if n != "skreg"), key=lambda n: med[n])
        rec["timings"][label] = {
            "times": times, "median_s": med, "repeats": reps, "best_sklearn": best,
            "ratio_best": med["skreg"] / med[best],
            "ratio_plain": med["skreg"] / med["sklearn"],
            "ratio_gram": med["skreg"] / med["sklearn-gram"] if "sklearn-gram" in med else None,
        }
    ratios = [t["ratio_best"] for t in rec["timings"].values()]
    if max(ratios) > 1.0 and m * N >= 1e5:
        rec["breakdown"] = omp_breakdown(X, y, k)
    p = rec["parity"]["plain"]
    t1 = rec["timings"]["1t"]
    msg = (f"order {'same' if p['same_order'] else 'DIFFERENT'} max|dcoef| "
           f"{p['max_coef_diff']:.1e}; 1t skreg {format_seconds(t1['median_s']['skreg'])} "
           f"sklearn {format_seconds(t1['median_s']['sklearn'])}")
    if "sklearn-gram" in t1["median_s"]:
        msg += f" gram {format_seconds(t1['median_s']['sklearn-gram'])}"
    msg += f" ratio {t1['ratio_best']:.2f}"
    if "Nt" in rec["timings"]:
        msg += f"; Nt ratio {rec['timings']['Nt']['ratio_best']:.2f}"
    log(f"    {msg} (x{t1['repeats']})")
    return rec


def run_estimator_case(case, X, y, args):
    """``WeightedOMP(fit_intercept=True)`` vs ``OrthogonalMatchingPursuit`` (1 thread)."""
    from sklearn.linear_model import OrthogonalMatchingPursuit

    from skreg import WeightedOMP

    Xe, ye = estimator_data(X, y)
    m, N = Xe.shape
    k = min(case.k, N)
    rec = {"case": case.name, "part": "omp-est", "dataset": case.dataset, "n_samples": m,
           "n_features": N, "n_nonzero_coefs": k}
    ours = WeightedOMP(n_nonzero_coefs=k, fit_intercept=True)
    theirs = OrthogonalMatchingPursuit(n_nonzero_coefs=k)
    with Threads("1t"):
        _, t_ours = _timed(lambda: ours.fit(Xe, ye))
        (_, msgs), t_theirs = _timed(lambda: _caught(lambda: theirs.fit(Xe, ye)))
        reps = n_repeats(max(t_ours, t_theirs), args.repeats)
        times = {"skreg": [], "sklearn": []}
        for _ in range(reps):
            times["skreg"].append(_timed(lambda: ours.fit(Xe, ye))[1])
            times["sklearn"].append(_timed(lambda: _caught(lambda: theirs.fit(Xe, ye)))[1])
    med = {n: _median(t) for n, t in times.items()}
    rec.update(
        same_support=set(ours.support_.tolist()) == set(np.flatnonzero(theirs.coef_).tolist()),
        max_coef_diff=float(np.max(np.abs(ours.coef_ - theirs.coef_))),
        intercept_diff=float(abs(ours.intercept_ - theirs.intercept_)),
        skreg_stop_reason=ours.stop_reason_, sklearn_precompute=str(theirs.precompute),
        sklearn_warnings=sorted(set(msgs))[:5], times=times, median_s=med, repeats=reps,
        ratio=med["skreg"] / med["sklearn"],
    )
    log(f"    support {'same' if rec['same_support'] else 'DIFFERENT'} max|dcoef| "
        f"{rec['max_coef_diff']:.1e} |dintercept| {rec['intercept_diff']:.1e}; skreg "
        f"{format_seconds(med['skreg'])} sklearn {format_seconds(med['sklearn'])} ratio "
        f"{rec['ratio']:.2f} (x{reps})")
    return rec


# --------------------------------------------------------------------------------------------
# part 2: rules vs convex solvers at equal recovery error
# --------------------------------------------------------------------------------------------
def greedy_alpha_max(X, y, loss, penalty):
    """Smallest alpha at which no coordinate decreases G from z = 0 (no intercept)."""
    from skreg.greedy import coordinate_decrease

    N = X.shape[1]
    if penalty == "l0":  # the l0 decrease at alpha = 0, per coordinate: -Delta_j(0)
        return float(np.max(-coordinate_decrease(X, y, np.zeros(N), loss=loss)))
    if loss == "lasso":
        return float(2.0 * np.max(np.abs(X.T @ y)))
    if loss == "sqrt":
        return float(np.max(np.abs(X.T @ y)) / np.linalg.norm(y))
    on = y != 0
    return float(np.max(np.abs(X.T @ np.sign(y)) - np.abs(X[~on]).sum(axis=0)))


def convex_alpha_max(X, y, loss):
    """alpha_max of skreg's convex objective without intercept (unit-norm columns)."""
    m = X.shape[0]
    if loss == "lasso":  # 1/(2m) ||y - Xw||^2 + alpha ||w||_1
        return float(np.max(np.abs(X.T @ y)) / m)
    if loss == "sqrt":  # ||y - Xw|| / sqrt(m) + alpha ||w||_1
        return float(np.max(np.abs(X.T @ y)) / (np.sqrt(m) * np.linalg.norm(y)))
    return float(np.max(np.abs(X.T @ np.sign(y))) / m)  # (1/m) ||y - Xw||_1 + ...


def alpha_grid(alpha_max, include_max):
    ratios = 10.0 ** (-np.arange(0 if include_max else 1, PER_DECADE * DECADES + 1)
                      / PER_DECADE)
    return alpha_max * ratios, ratios


def recovery_error(coef, truth):
    return float(np.linalg.norm(np.ravel(coef) - truth) / np.linalg.norm(truth))


def greedy_fit(X, y, rule, alpha, budget):
    from skreg.greedy import weighted_omp

    loss, penalty = rule.split("-")
    return weighted_omp(X, y, loss=loss, penalty=penalty, alpha=alpha,
                        n_nonzero_coefs=budget, max_iter=budget)


def convex_fit(X, y, loss, alpha, solver):
    import skreg

    cls = getattr(skreg, CONVEX[loss])
    kwargs = dict(alpha=alpha, fit_intercept=False)
    if solver == "cvxpy":
        kwargs["solver"] = "cvxpy"
    else:
        kwargs.update(tol=CONVEX_TOL, max_iter=100_000)
    est, messages = _caught(lambda: cls(**kwargs).fit(X, y))
    return {"coef": np.asarray(est.coef_, dtype=np.float64).copy(), "warnings": messages,
            "n_iter": int(getattr(est, "n_iter_", 0))}


def sweep(fit, alphas, ratios, truth):
    """Fit along the decreasing grid; stop after PATIENCE alphas worse than the best.

    ``fit(alpha) -> (coef or None, seconds, extra)``; a None coef (fit killed) stops the
    sweep. Returns the trials and the index of the best (first on ties: largest alpha).
    """
    trials, best, worse = [], None, 0
    for alpha, ratio in zip(alphas, ratios):
        coef, seconds, extra = fit(alpha)
        if coef is None:
            trials.append({"alpha": float(alpha), "ratio": float(ratio), "error": None,
                           "seconds": seconds, **extra})
            break
        err = recovery_error(coef, truth)
        trials.append({"alpha": float(alpha), "ratio": float(ratio), "error": err,
                       "seconds": seconds, "nnz": int(np.count_nonzero(coef)), **extra})
        if best is None or err < trials[best]["error"] * (1 - 1e-9):
            best, worse = len(trials) - 1, 0
        elif err > trials[best]["error"] * (1 + 1e-6):
            worse += 1
            if worse >= PATIENCE:
                break
    return trials, best


def _convex_worker(conn, loss, solver, X, y):
    """Child process: fits of one convex solver on request (the parent can kill it)."""
    import traceback

    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        _set_threads(1)
        rng = np.random.default_rng(0)
        Xw = _unit_columns(rng.standard_normal((30, 50)), centre=False)
        yw = Xw[:, :3].sum(axis=1) + 0.01 * rng.standard_normal(30)
        start = time.perf_counter()
        convex_fit(Xw, yw, loss, 0.1 * convex_alpha_max(Xw, yw, loss), solver)
        conn.send(("ready", time.perf_counter() - start))
        while True:
            msg = conn.recv()
            if msg is None:
                break
            out, seconds = _timed(lambda a=msg: convex_fit(X, y, loss, a, solver))
            conn.send(("fit", {**out, "seconds": seconds}))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:300] + traceback.format_exc()[-800:]))


class ConvexWorker:
    """A spawned process fitting one convex solver, killed when a fit exceeds its budget.

    Spawned (not forked): cvxpy/Clarabel and numba start threads, after which a forked child
    can deadlock. The warm-up (imports, JIT from the cache, cvxpy's first solve) happens in
    the child before the first timed fit.
    """

    def __init__(self, loss, solver, X, y, warm_budget=300.0):
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_convex_worker, args=(child, loss, solver, X, y),
                                daemon=True)
        self.proc.start()
        child.close()
        self.error = None
        self.warmup_s = None
        if not self.conn.poll(warm_budget):
            self.error = "warm-up timed out"
            self.close()
            return
        kind, payload = self.conn.recv()
        if kind != "ready":
            self.error = payload
            self.close()
        else:
            self.warmup_s = payload

    @property
    def alive(self):
        return self.error is None and self.proc.is_alive()

    def fit(self, alpha, budget):
        """``(result dict or None, seconds, extra)``; None when killed or failed."""
        if not self.alive:
            return None, None, {"killed": self.error or "worker not running"}
        self.conn.send(float(alpha))
        if not self.conn.poll(budget):
            self.error = f"killed after {budget:g} s"
            self.close()
            return None, budget, {"killed": self.error}
        try:
            kind, payload = self.conn.recv()
        except EOFError:
            self.error = f"worker died (exit code {self.proc.exitcode})"
            self.close()
            return None, None, {"killed": self.error}
        if kind == "error":
            self.error = payload
            self.close()
            return None, None, {"killed": payload[:300]}
        return payload, payload["seconds"], {"warnings": payload["warnings"][:3]}

    def close(self):
        try:
            if self.proc.is_alive() and self.error is None:
                self.conn.send(None)
                self.proc.join(5)
        except Exception:
            pass
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()


def run_cs_case(case, inst, args):
    """One loss on one instance: sweep the two rules, the skreg solver and cvxpy; time."""
    loss = case.loss
    X = inst["X"]
    y = inst["y_out"] if loss == "lad" else inst["y"]
    truth = inst["coef"]
    m, N = X.shape
    s = int(np.count_nonzero(truth))
    budget = 2 * s
    true_support = set(np.flatnonzero(truth).tolist())
    fit_budget = args.max_fit_seconds
    cvxpy_budget = 2.0 * args.max_fit_seconds
    full_cvxpy_sweep = m * N <= args.cvxpy_sweep_max_size
    rec = {"case": case.name, "part": "cs", "dataset": case.dataset, "loss": loss,
           "n_samples": m, "n_features": N, "n_nonzero": s, "iteration_budget": budget,
           "noise_level": inst["eta"], "relative_noise": RELATIVE_NOISE,
           "n_outliers": inst["n_outliers"] if loss == "lad" else 0,
           "outlier_size": OUTLIER_SIZE if loss == "lad" else 0.0, "methods": {}}
    methods = rec["methods"]
    with Threads("1t"):
        # greedy rules: in this process (no time limit needed: at most 2 s iterations)
        for rule in RULES[loss]:
            amax = greedy_alpha_max(X, y, *rule.split("-"))
            alphas, ratios = alpha_grid(amax, include_max=True)
            greedy_fit(X[:40, :60], y[:40], rule, 0.0, 5)  # warm-up

            def fit(alpha, rule=rule):
                res, seconds = _timed(lambda: greedy_fit(X, y, rule, alpha, budget))
                exact = set(np.flatnonzero(res.coef).tolist()) == true_support
                return res.coef, seconds, {"stop_reason": res.stop_reason,
                                           "n_selected": int(res.support.size),
                                           "support_exact": exact}

            trials, best = sweep(fit, alphas, ratios, truth)
            methods[rule] = {"kind": "greedy", "alpha_max": amax, "trials": trials,
                             "best": best, "alpha_scale": "paper: G = F(Az - y) + alpha P(z)"}
        # convex skreg solver: sweep in a killable child process
        name = CONVEX[loss]
        amax = convex_alpha_max(X, y, loss)
        alphas, ratios = alpha_grid(amax, include_max=False)
        worker = ConvexWorker(loss, "skreg", X, y)
        trials, best = sweep(
            lambda a: (lambda r, t, e: (None if r is None else r["coef"], t, e))(
                *worker.fit(a, fit_budget)), alphas, ratios, truth)
        worker.close()
        methods[name] = {"kind": "convex", "alpha_max": amax, "trials": trials, "best": best,
                         "alpha_scale": f"skreg.{name}", "worker_error": worker.error}
        # cvxpy (skreg's estimator with solver="cvxpy"): full sweep on small instances,
        # else only skreg's best alpha (same objective, hence the same minimizer)
        cv = f"{name}(cvxpy)"
        worker = ConvexWorker(loss, "cvxpy", X, y)
        if full_cvxpy_sweep or best is None:
            c_alphas, c_ratios = alphas, ratios
        else:
            c_alphas, c_ratios = alphas[best:best + 1], ratios[best:best + 1]
        c_trials, c_best = sweep(
            lambda a: (lambda r, t, e: (None if r is None else r["coef"], t, e))(
                *worker.fit(a, cvxpy_budget)), c_alphas, c_ratios, truth)
        methods[cv] = {"kind": "cvxpy", "alpha_max": amax, "trials": c_trials, "best": c_best,
                       "alpha_scale": f"skreg.{name}(solver='cvxpy')",
                       "sweep": "full" if full_cvxpy_sweep else "at skreg's best alpha only",
                       "warmup_s": worker.warmup_s}
        # cvxpy timing: repeats in its worker (fits under 10 s), the sweep's fit counts as one
        if c_best is not None:
            first = c_trials[c_best]["seconds"]
            times = [first]
            for _ in range(n_repeats(first, args.repeats) - 1 if first < 10.0 else 0):
                r, t, _ = worker.fit(c_trials[c_best]["alpha"], cvxpy_budget)
                if r is None:
                    break
                times.append(t)
            methods[cv]["times"] = times
        elif c_trials and str(c_trials[-1].get("killed", "")).startswith("killed after"):
            methods[cv]["timeout_s"] = cvxpy_budget
        worker.close()
        # timing of the greedy rules and the skreg solver, alternating, in this process
        fns = {}
        for key, meth in methods.items():
            if meth["kind"] == "cvxpy" or meth["best"] is None:
                continue
            alpha = meth["trials"][meth["best"]]["alpha"]
            if meth["kind"] == "greedy":
                fns[key] = (lambda a=alpha, r=key: greedy_fit(X, y, r, a, budget))
            else:
                fns[key] = (lambda a=alpha: convex_fit(X, y, loss, a, "skreg"))
        first = {}
        for key, fn in fns.items():
            _, first[key] = _timed(fn)  # untimed (JIT from the cache, first-call costs)
        reps = n_repeats(max(first.values(), default=0.0), args.repeats)
        times = {key: [] for key in fns}
        for _ in range(reps):
            for key, fn in fns.items():
                times[key].append(_timed(fn)[1])
        for key in fns:
            methods[key]["times"] = times[key]
    # summary of each method at its best alpha
    for meth in methods.values():
        b = meth["best"]
        if b is None:
            meth.update(best_alpha=None, best_error=None, median_s=None)
            continue
        t = meth["trials"][b]
        meth.update(best_alpha=t["alpha"], best_ratio=t["ratio"], best_error=t["error"],
                    nnz=t["nnz"], median_s=_median(meth.get("times", [])),
                    repeats=len(meth.get("times", [])))
        if meth["kind"] == "greedy":
            meth["stop_reason"] = t["stop_reason"]
            meth["support_exact"] = t["support_exact"]  # nonzeros == the true support
    conv, cvx = methods[CONVEX[loss]], methods[f"{CONVEX[loss]}(cvxpy)"]
    rec["comparisons"] = {}
    for rule in RULES[loss]:
        g = methods[rule]
        comp = {}
        for label, other in (("convex", conv), ("cvxpy", cvx)):
            if g.get("best_error") is not None and other.get("best_error") is not None:
                comp[f"error_ratio_{label}"] = g["best_error"] / other["best_error"]
            if g.get("median_s") and other.get("median_s"):
                comp[f"time_ratio_{label}"] = g["median_s"] / other["median_s"]
            elif g.get("median_s") and other.get("timeout_s"):
                comp[f"time_ratio_{label}_upper_bound"] = g["median_s"] / other["timeout_s"]
        rec["comparisons"][rule] = comp
    for key, meth in methods.items():
        tail = ""
        if meth.get("timeout_s"):
            tail = f" killed after {meth['timeout_s']:g} s"
        elif meth["trials"] and meth["trials"][-1].get("killed"):
            tail = f" (sweep stopped: {meth['trials'][-1]['killed'][:60]})"
        log(f"    {key:<18} best alpha {_fmt(meth.get('best_ratio'))} alpha_max err "
            f"{_fmt(meth.get('best_error'))} time {format_seconds(meth.get('median_s'))} "
            f"({len(meth['trials'])} alphas swept){tail}")
    return rec


# --------------------------------------------------------------------------------------------
# compile timings
# --------------------------------------------------------------------------------------------
_COMPILE_SCRIPT = r"""
import json, sys, time
import numpy as np
rng = np.random.default_rng(0)
X = np.asfortranarray(rng.standard_normal((60, 120)))
y = X[:, :5].sum(axis=1) + 0.1 * rng.standard_normal(60)
t0 = time.perf_counter()
import skreg
t1 = time.perf_counter()
if sys.argv[1] == "WeightedOMP":
    skreg.WeightedOMP(n_nonzero_coefs=5).fit(X, y)
else:
    loss, penalty = sys.argv[1].split("-")
    skreg.weighted_omp(X, y, loss=loss, penalty=penalty, alpha=0.1, n_nonzero_coefs=5)
t2 = time.perf_counter()
print("RESULT " + json.dumps({"import_s": t1 - t0, "first_fit_s": t2 - t1}))
"""


def compile_timings(configs, timeout=600):
    """``import skreg`` + first fit in fresh processes, empty then warm NUMBA_CACHE_DIR.

    As ``_harness.compile_timings``, for the greedy entry points: ``WeightedOMP`` (the
    least-squares iteration ``ls_omp``; lasso and sqrt share it) and ``weighted_omp(loss=
    "lad")`` (the weighted-median rules and the interior-point refit).
    """
    return _harness_compile_timings(configs, timeout, script=_COMPILE_SCRIPT)


# --------------------------------------------------------------------------------------------
# summary and report
# --------------------------------------------------------------------------------------------
def summarize(records):
    omp = [r for r in records if r["part"] == "omp"]
    est = [r for r in records if r["part"] == "omp-est"]
    cs = [r for r in records if r["part"] == "cs"]
    s = {"omp": {}, "estimator": {}, "cs": {}}
    if omp:
        parity = []
        for r in omp:
            for variant, p in r["parity"].items():
                ok = p["same_order"] and p["max_coef_diff"] <= _coef_tol(p)
                parity.append({"case": r["case"], "variant": variant, "ok": ok,
                               "max_coef_diff": p["max_coef_diff"]})
        s["omp"]["parity_ok"] = sum(p["ok"] for p in parity)
        s["omp"]["parity_checked"] = len(parity)
        s["omp"]["parity_failures"] = [p for p in parity if not p["ok"]]
        s["omp"]["max_coef_diff"] = max(p["max_coef_diff"] for p in parity)
        s["omp"]["max_relative_coef_diff"] = max(
            p["max_relative_coef_diff"] for r in omp for p in r["parity"].values())
        s["omp"]["absolute_above_tol"] = [p["case"] + " " + p["variant"] for p in parity
                                          if p["max_coef_diff"] > PARITY_TOL]
        for label in ("1t", "Nt"):
            vals = {r["case"]: r["timings"][label]["ratio_best"] for r in omp
                    if label in r["timings"]}
            if vals:
                s["omp"][label] = {
                    "median_ratio_best": float(np.median(list(vals.values()))),
                    "median_ratio_plain": float(np.median(
                        [r["timings"][label]["ratio_plain"] for r in omp])),
                    "max_ratio_best": float(max(vals.values())),
                    "above_target": {c: v for c, v in vals.items() if v > RATIO_TARGET},
                    "faster": sum(v < 1.0 for v in vals.values()), "n_cases": len(vals),
                }
    if est:
        s["estimator"] = {
            "same_support": sum(r["same_support"] for r in est), "n_cases": len(est),
            "max_coef_diff": max(r["max_coef_diff"] for r in est),
            "max_intercept_diff": max(r["intercept_diff"] for r in est),
            "median_ratio": float(np.median([r["ratio"] for r in est])),
            "above_target": {r["case"]: r["ratio"] for r in est if r["ratio"] > RATIO_TARGET},
        }
    if cs:
        for key in ("error_ratio_convex", "error_ratio_cvxpy", "time_ratio_convex",
                    "time_ratio_cvxpy", "time_ratio_cvxpy_upper_bound"):
            vals = [c[key] for r in cs for c in r["comparisons"].values() if key in c]
            if vals:
                s["cs"][key] = {"median": float(np.median(vals)), "min": float(min(vals)),
                                "max": float(max(vals)), "n": len(vals)}
    return s


def write_markdown(path, records, summary, meta, compile_info):
    omp = [r for r in records if r["part"] == "omp"]
    est = [r for r in records if r["part"] == "omp-est"]
    cs = [r for r in records if r["part"] == "cs"]
    git = meta["git"]
    lines = [
        "# skreg greedy benchmark (loss-based weighted OMP)",
        "",
        f"Generated {meta['date']} by `python benchmarks/greedy.py {' '.join(meta['argv'])}` "
        f"on {meta['machine']['cpu_count']} cores ({meta['machine']['processor']}), shared "
        f"with other jobs (load average at start {meta['load_average_start']}); skreg at "
        f"{git['commit'][:10]}{' + uncommitted changes' if git['dirty'] else ''}. Times are "
        "medians of alternating repeats (skreg, anchor, anchor, skreg, ...) in one process, "
        "after one untimed call each (JIT warm-up excluded).",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "",
    ]
    if omp:
        has_nt = any("Nt" in r["timings"] for r in omp)
        lines += [
            "## Part 1: `weighted_omp` (alpha = 0, l0-lasso) vs scikit-learn `orthogonal_mp`",
            "",
            "Unit-norm columns, no intercept, `n_nonzero_coefs=K`. Parity: same selection "
            "order as `orthogonal_mp(return_path=True)` and max |coef difference| against the "
            f"plain and Gram (`precompute=True`) variants (target <= {PARITY_TOL:g}, times "
            "max |coef| where that exceeds 1; `rel`: the largest difference / max |coef|). "
            "`1t`: "
            "numba and BLAS on one thread; `Nt`: skreg on all cores, BLAS as is. Ratio: skreg "
            "/ best scikit-learn variant (the faster of plain and Gram); target <= "
            f"{RATIO_TARGET}, < 1: skreg faster.",
            "",
        ]
        head = ["case", "m x N", "K", "order", "max dcoef plain / Gram (rel)", "skreg 1t",
                "sklearn 1t", "Gram 1t", "ratio 1t"]
        if has_nt:
            head += ["skreg Nt", "sklearn Nt", "Gram Nt", "ratio Nt"]
        lines += ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
        for r in omp:
            par = r["parity"]
            order = "same" if all(p["same_order"] for p in par.values()) else "DIFF"
            dcoef = " / ".join(f"{par[v]['max_coef_diff']:.0e}" if v in par else "-"
                               for v in ("plain", "gram"))
            dcoef += f" ({max(p['max_relative_coef_diff'] for p in par.values()):.0e})"
            if not all(p["max_coef_diff"] <= _coef_tol(p) for p in par.values()):
                dcoef += " FAIL"
            row = [r["dataset"], f"{r['n_samples']} x {r['n_features']}",
                   str(r["n_nonzero_coefs"]), order, dcoef]
            for label in ("1t", "Nt") if has_nt else ("1t",):
                t = r["timings"].get(label)
                if t is None:
                    row += ["-"] * 4
                    continue
                med = t["median_s"]
                flag = " !" if t["ratio_best"] > RATIO_TARGET else ""
                row += [format_seconds(med["skreg"]), format_seconds(med["sklearn"]),
                        format_seconds(med.get("sklearn-gram")) if "sklearn-gram" in med
                        else "skipped", f"{t['ratio_best']:.2f}{flag}"]
            lines.append("| " + " | ".join(row) + " |")
        lines += ["", "`!`: above the 1.5 target. Gram skipped where m N^2 > "
                  f"{GRAM_MAX_WORK:.0e} (X^T X alone takes tens of seconds).", ""]
        so = summary["omp"]
        lines.append(f"- Parity: {so['parity_ok']} of {so['parity_checked']} (case, variant) "
                     f"checks pass (same order and max |dcoef| <= {PARITY_TOL:g} x max(1, "
                     f"max |coef|)); largest max |dcoef| {so['max_coef_diff']:.1e}, largest "
                     f"relative {so['max_relative_coef_diff']:.1e}; "
                     f"{len(so['absolute_above_tol'])} checks above {PARITY_TOL:g} in absolute "
                     "terms.")
        for f in so["parity_failures"]:
            lines.append(f"  - FAIL {f['case']} ({f['variant']}): max |dcoef| "
                         f"{f['max_coef_diff']:.1e}")
        for label in ("1t", "Nt"):
            if label in so:
                t = so[label]
                above = ", ".join(f"{c.split('/', 1)[1]} {v:.2f}"
                                  for c, v in t["above_target"].items()) or "none"
                lines.append(
                    f"- {label}: median ratio skreg / best sklearn {t['median_ratio_best']:.2f} "
                    f"(skreg / plain {t['median_ratio_plain']:.2f}), max "
                    f"{t['max_ratio_best']:.2f}; skreg faster in {t['faster']} of "
                    f"{t['n_cases']}; above {RATIO_TARGET}: {above}.")
        broken = [r for r in omp if "breakdown" in r and "error" not in r["breakdown"]]
        if broken:
            lines += ["", "Where skreg's time goes (1 thread, cases with ratio > 1 on m N >= "
                      "1e5; private internals): data preparation (`GreedyProblem`: centring, "
                      "column scaling, copies) vs the iteration, and one rule pass "
                      "(`ls_decreases`, all N columns) vs one BLAS `X.T @ r`.", "",
                      "| case | prepare | iterate | K x rule pass / iterate | rule pass | "
                      "BLAS gemv | pass / gemv |", "|---|---|---|---|---|---|---|"]
            for r in broken:
                b = r["breakdown"]
                lines.append(
                    f"| {r['case'].split('/', 1)[1]} | {format_seconds(b['prepare_s'])} | "
                    f"{format_seconds(b['iterate_s'])} | "
                    f"{b['rule_passes_share_of_iterate']:.0%} | "
                    f"{format_seconds(b['rule_pass_s'])} | {format_seconds(b['blas_gemv_s'])} "
                    f"| {b['rule_pass_over_gemv']:.2f} |")
        lines.append("")
    if est:
        lines += ["## Part 1b: `WeightedOMP(fit_intercept=True)` vs `OrthogonalMatchingPursuit`",
                  "", "Data with centred unit-norm columns plus random column offsets, y + 3; "
                  "1 thread.", "",
                  "| case | m x N | K | support | max dcoef | dintercept | skreg | sklearn | "
                  "ratio |", "|---|---|---|---|---|---|---|---|---|"]
        for r in est:
            lines.append(
                f"| {r['dataset']} | {r['n_samples']} x {r['n_features']} | "
                f"{r['n_nonzero_coefs']} | {'same' if r['same_support'] else 'DIFF'} | "
                f"{r['max_coef_diff']:.0e} | {r['intercept_diff']:.0e} | "
                f"{format_seconds(r['median_s']['skreg'])} | "
                f"{format_seconds(r['median_s']['sklearn'])} | {r['ratio']:.2f} |")
        se = summary["estimator"]
        lines += ["", f"- Same support in {se['same_support']} of {se['n_cases']}; max |dcoef| "
                  f"{se['max_coef_diff']:.1e}, max |dintercept| {se['max_intercept_diff']:.1e}; "
                  f"median ratio {se['median_ratio']:.2f}.", ""]
    if cs:
        lines += [
            "## Part 2: rules vs convex solvers at their best recovery error",
            "",
            "`make_compressive_sensing` instances, columns scaled to unit norm (x_true "
            f"rescaled), ||e|| = {RELATIVE_NOISE:g} ||X x_true||; lad rules and LADLasso on y "
            f"with {OUTLIER_FRACTION:.0%} of the entries shifted by +-{OUTLIER_SIZE:g}. No "
            f"intercept anywhere; 1 thread. Each method's alpha is swept ({PER_DECADE} per "
            f"decade from alpha_max down to 1e-{DECADES} alpha_max, stopping {PATIENCE} alphas "
            "after the error starts rising) to the best relative recovery error "
            "||x - x_true|| / ||x_true||; rules with the budget max_iter = n_nonzero_coefs = "
            f"2 s; convex skreg solvers at tol = {CONVEX_TOL:g}; cvxpy: the same estimator "
            "with `solver=\"cvxpy\"` (skreg.reference + Clarabel; its time includes the "
            "duality-gap certificate the estimator computes), swept fully on m N <= "
            f"{meta['args']['cvxpy_sweep_max_size']:.0e}, else run at the skreg solver's best "
            "alpha only (same objective, same minimizer). Sweep fits of the convex solvers run "
            "in a killable child process; a fit over the budget stops the sweep. Timings at "
            "the best alpha only.",
            "",
            "| case | method | best alpha / alpha_max | error | nnz | time | err / convex "
            "| time / convex | time / cvxpy |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in cs:
            for key, meth in r["methods"].items():
                comp = r["comparisons"].get(key, {})
                t = format_seconds(meth.get("median_s"))
                if meth.get("timeout_s"):
                    t = f"> {format_seconds(meth['timeout_s'])}"
                if meth["kind"] == "greedy":
                    exact = ", exact support" if meth.get("support_exact") else ""
                    tag = f" ({meth.get('stop_reason')}{exact})"
                else:
                    tag = ""
                cv_ratio = comp.get("time_ratio_cvxpy")
                cv_text = _fmt(cv_ratio, 3) if cv_ratio is not None else (
                    "< " + _fmt(comp["time_ratio_cvxpy_upper_bound"], 3)
                    if "time_ratio_cvxpy_upper_bound" in comp else "-")
                lines.append(
                    f"| {r['dataset']}/{r['loss']} | {key}{tag} | "
                    f"{_fmt(meth.get('best_ratio'), 3)} | {_fmt(meth.get('best_error'), 4)} | "
                    f"{meth.get('nnz', '-')} | {t} | "
                    f"{_fmt(comp.get('error_ratio_convex'))} | "
                    f"{_fmt(comp.get('time_ratio_convex'), 3)} | {cv_text} |")
        lines.append("")
        for key, text in (("error_ratio_convex", "recovery error greedy / convex skreg"),
                          ("error_ratio_cvxpy", "recovery error greedy / cvxpy"),
                          ("time_ratio_convex", "time greedy / convex skreg"),
                          ("time_ratio_cvxpy", "time greedy / cvxpy"),
                          ("time_ratio_cvxpy_upper_bound",
                           "time greedy / cvxpy budget (cvxpy killed: upper bound)")):
            v = summary["cs"].get(key)
            if v:
                lines.append(f"- {text}: median {_fmt(v['median'], 3)} (range "
                             f"{_fmt(v['min'], 3)} - {_fmt(v['max'], 3)}, {v['n']} rules)")
        notes = []
        for r in cs:
            for key, meth in r["methods"].items():
                last = meth["trials"][-1] if meth["trials"] else {}
                if last.get("killed"):
                    notes.append(f"{r['dataset']}/{r['loss']} {key}: sweep stopped at "
                                 f"alpha/alpha_max {last['ratio']:.3g}: {last['killed'][:80]}")
        if notes:
            lines += ["", "Sweeps cut by the fit budget:", ""] + [f"- {n}" for n in notes]
        lines.append("")
    if compile_info:
        lines += ["## Compile time", "", "Fresh process, empty then warm NUMBA_CACHE_DIR: "
                  "`import skreg` + first fit on 60 x 120.", ""]
        for name, res in compile_info.items():
            parts = []
            for state in ("cold", "warm"):
                r = res.get(state, {})
                if "error" in r:
                    parts.append(f"{state}: error {r['error']}")
                else:
                    parts.append(f"{state} {r['total_s']:.2f} s (import {r['import_s']:.2f} s "
                                 f"+ first fit {r['first_fit_s']:.2f} s)")
            label = ("`WeightedOMP(n_nonzero_coefs=5).fit` (lasso/sqrt kernel)"
                     if name == "WeightedOMP" else f"`weighted_omp(loss, penalty = {name})`")
            lines.append(f"- {label}: " + "; ".join(parts) + ".")
        lines.append("")
    with open(path, "w") as handle:
        handle.write("\n".join(lines))


def write_plot(path, records):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not installed: no plot")
        return False
    omp = [r for r in records if r["part"] == "omp"]
    cs = [r for r in records if r["part"] == "cs"]
    if not omp and not cs:
        return False
    panels = int(bool(omp)) + int(bool(cs))
    fig, axes = plt.subplots(1, panels, figsize=(7 * panels, max(4.0, 0.3 * len(omp) + 2)))
    axes = np.atleast_1d(axes)
    i = 0
    if omp:
        ax = axes[i]
        i += 1
        names = [r["case"].split("/", 1)[1] for r in omp]
        ypos = np.arange(len(omp))
        for j, label in enumerate(("1t", "Nt")):
            vals = [r["timings"][label]["ratio_best"] if label in r["timings"] else np.nan
                    for r in omp]
            ax.barh(ypos - 0.2 + 0.4 * j, vals, height=0.4, label=label)
        ax.axvline(1.0, color="k", lw=1)
        ax.axvline(RATIO_TARGET, color="r", lw=1, ls="--")
        ax.set_xscale("log")
        ax.set_yticks(ypos, names, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("time skreg / best sklearn orthogonal_mp (dashed: 1.5 target)")
        ax.set_title("OMP (alpha = 0, l0-lasso) vs scikit-learn")
        ax.legend(fontsize=8)
    if cs:
        ax = axes[i]
        labels, conv, cvx, bound = [], [], [], []
        for r in cs:
            for rule, comp in r["comparisons"].items():
                labels.append(f"{r['dataset']}/{rule}")
                conv.append(comp.get("time_ratio_convex", np.nan))
                cvx.append(comp.get("time_ratio_cvxpy",
                                    comp.get("time_ratio_cvxpy_upper_bound", np.nan)))
                bound.append("time_ratio_cvxpy_upper_bound" in comp)
        ypos = np.arange(len(labels))
        ax.barh(ypos - 0.2, conv, height=0.4, label="greedy / skreg convex")
        bars = ax.barh(ypos + 0.2, cvx, height=0.4, label="greedy / cvxpy")
        for bar, b in zip(bars, bound):
            if b:
                bar.set_hatch("//")
        ax.axvline(1.0, color="k", lw=1)
        ax.set_xscale("log")
        ax.set_yticks(ypos, labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("time ratio at each method's best recovery error (hatched: upper bound)")
        ax.set_title("rules vs convex solvers")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
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
    parser.add_argument("--cases", default=None, help="regex selecting case names (re.search)")
    parser.add_argument("--list", action="store_true", help="list the case names and exit")
    parser.add_argument("--repeats", type=int, default=None,
                        help="max timed repeats (default 5, quick: 3)")
    parser.add_argument("--max-fit-seconds", type=float, default=None,
                        help="budget of one convex sweep fit, killed beyond (cvxpy: twice); "
                        "default 30, quick: 10")
    parser.add_argument("--cvxpy-sweep-max-size", type=float, default=1e5,
                        help="full cvxpy alpha sweep when m N is at most this (default 1e5), "
                        "else cvxpy runs at the skreg solver's best alpha only")
    parser.add_argument("--skip-compile", action="store_true", help="skip compile timings")
    parser.add_argument("--output", default=None,
                        help="output path without extension (default "
                        "benchmarks/results/greedy, quick: benchmarks/results/greedy_quick)")
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    if args.max_fit_seconds is None:
        args.max_fit_seconds = 10.0 if args.quick else 30.0
    if args.output is None:
        args.output = os.path.join(HERE, "results", "greedy" + ("_quick" if args.quick else ""))
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
    cases = make_cases(args.quick)
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
    meta = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "argv": argv,
        "args": vars(args),
        "git": git_state(),
        "versions": versions(["skreg", "numpy", "scipy", "sklearn", "numba", "cvxpy",
                              "clarabel"]),
        "machine": machine_info(),
        "load_average_start": " ".join(f"{v:.1f}" for v in os.getloadavg()),
        "parity_tol": PARITY_TOL,
        "ratio_target": RATIO_TARGET,
        "convex_objectives": {
            "Lasso": "1/(2m) ||y - Xw||^2 + alpha ||w||_1",
            "SqrtLasso": "||y - Xw||_2 / sqrt(m) + alpha ||w||_1",
            "LADLasso": "(1/m) ||y - Xw||_1 + alpha ||w||_1",
            "rules": "G(z) = F(Az - y) + alpha P_w(z), F = ||.||^2, ||.||_2, ||.||_1 (paper)",
        },
    }
    records = []
    payload = {"meta": meta, "compile": None, "measurements": records, "summary": None}
    if not args.skip_compile:
        log("compile timings (fresh subprocesses, empty then warm NUMBA_CACHE_DIR)")
        payload["compile"] = compile_timings(["WeightedOMP", "lad-l1"])
    data = DataCache()
    for i, case in enumerate(cases, 1):
        log(f"({i}/{len(cases)}, {time.perf_counter() - t_start:.0f} s elapsed) [{case.name}]")
        try:
            value = data.get(case.dataset)
        except ImportError as exc:  # NCI60 needs the ISLP data files
            log(f"    skipped: {exc}")
            continue
        try:
            if case.part == "omp":
                records.append(run_omp_case(case, *value, args))
            elif case.part == "omp-est":
                records.append(run_estimator_case(case, *value, args))
            else:
                records.append(run_cs_case(case, value, args))
        except Exception as exc:  # record and go on
            import traceback

            log(f"    ERROR {type(exc).__name__}: {exc}")
            records.append({"case": case.name, "part": "error",
                            "error": f"{type(exc).__name__}: {exc}"[:500],
                            "traceback": traceback.format_exc()[-2000:]})
        payload["summary"] = summarize([r for r in records if r["part"] != "error"])
        write_json(args.output + ".json", payload)
    ok = [r for r in records if r["part"] != "error"]
    payload["summary"] = summarize(ok)
    meta["total_s"] = time.perf_counter() - t_start
    write_json(args.output + ".json", payload)
    write_markdown(args.output + ".md", ok, payload["summary"], meta, payload["compile"])
    plotted = write_plot(args.output + ".png", ok)
    log(f"done in {meta['total_s']:.0f} s: {args.output}.json, .md"
        + (", .png" if plotted else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
