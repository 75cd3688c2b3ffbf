"""Benchmark skreg's Cauchy-Schwarz family (``skreg.cauchy_schwarz``) against numpy, cvxpy, HiGHS.

Run from the repository root::

    python benchmarks/cauchy_schwarz.py            # full run (5-10 min on 2 cores)
    python benchmarks/cauchy_schwarz.py --quick    # 3 problems per cell, about 1 min
    python benchmarks/cauchy_schwarz.py --parts cs,threads --repeats 3

Four parts, all in this process (JIT compilation excluded by a warm-up and reported
separately: the first call of each public function in this process, and, unless
``--skip-compile``, cold and warm compile timings in fresh processes):

1. **cs** -- ``cs_recover`` (binary, one-sided binary, ternary priors; N = 100, M/N = 0.4, 0.6,
   0.8; 10 restarts) against the *same algorithm written with numpy alone*
   (:func:`np_cs_recover` below: SVD basis of the affine set, accelerated projected gradient
   with backtracking and function restart, the same stopping rule, the same random starts).
   Both run on one thread (numba threads and BLAS); the benchmark checks that they reach the
   same ``sin^2`` and the same success on every problem and reports the median time per
   problem and the speed-up numpy / skreg.
2. **norm** -- ``l1_recover`` and ``linf_recover`` (numba ADMM with a certified duality gap,
   ``tol=1e-6``) against cvxpy (``skreg.reference.l1_recover`` / ``linf_recover``, Clarabel)
   and ``scipy.optimize.linprog(method="highs")`` on the LP form, N = 100, M/N = 0.3, 0.5, 0.7,
   at equal accuracy: the relative objective difference of every solver to the best feasible
   objective found is reported per problem (target <= 1e-6).
3. **threads** -- a batch of 100 problems in one call with ``n_threads=1`` and ``n_threads=2``
   (all cores of the machine) for ``cs_recover`` and ``l1_recover``: wall time and speed-up.
4. **regression** -- ``CSRegression`` / ``CSRegressionCV`` fit time and iterations on a tabular
   problem (n = 2000, p = 50; full mode also 20000 x 200), next to scikit-learn's
   ``LinearRegression`` for scale.

Results go to ``benchmarks/results/cauchy_schwarz.{json,md,png}`` (quick:
``cauchy_schwarz_quick.*``); see ``benchmarks/README.md``.
"""

import argparse
import os
import sys
import time
import traceback
import warnings
from datetime import datetime, timezone

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # benchmark the checkout's skreg, not an install

from _harness import (  # noqa: E402
    REPO_ROOT,
    format_seconds,
    fresh_process_timings,
    log,
    machine_info,
    n_repeats,
    versions,
    write_json,
)

# the transcription below uses the solver's own constants (reprojection period, sin^2 floor)
from skreg.cauchy_schwarz._solver import REPROJECT_EVERY, SIN2_FLOOR  # noqa: E402

N_CPUS = os.cpu_count() or 1
N = 100  # unknowns of every recovery problem
SEED = 0
PRIORS = ("binary", "one_sided_binary", "ternary")
CS_RATIOS = (0.4, 0.6, 0.8)  # M / N of the Cauchy-Schwarz recovery problems
NORM_RATIOS = (0.3, 0.5, 0.7)  # M / N of the l1 / l-infinity problems
N_RESTARTS = 10
CS_MAX_ITER = 5000  # cs_recover's defaults
CS_TOL = 1e-10
CS_ZERO_TOL = 1e-13
SUCCESS_TOL = 1e-6  # recovery succeeds when ||x - x_true|| <= SUCCESS_TOL ||x_true||
ITER_BOUND = 1000  # cells with more iterations per problem are "iteration-bound" in part 1
SIN2_AGREE = 1e-8  # |sin2_skreg - sin2_numpy| below this counts as the same sin^2
NORM_TOL = 1e-6  # tol of l1_recover / linf_recover: certified relative duality gap
OBJ_TARGET = 1e-6  # relative objective difference to the best feasible objective
FEAS_TOL = 1e-8  # ||Ax - b|| / ||b|| above which a solution counts as infeasible
L1_SPARSITY = 0.1  # nonzeros / N of the l1 problems
BATCH = 100  # problems of the multi-core batch
BATCH_PRIOR, BATCH_CS_RATIO, BATCH_L1_RATIO = "binary", 0.6, 0.5
REG_NOISE = 2.0  # ||e|| / ||X w - mean|| of the regression problems
POWER_PAIRS = {"binary": (0, 2), "one_sided_binary": (1, 2), "ternary": (1, 3)}


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def _fmt(value, spec=".1e"):
    return "-" if value is None else format(value, spec)


def _median(values):
    values = [v for v in values if v is not None]
    return float(np.median(values)) if values else None


def blas_one_thread():
    """Context manager: BLAS on one thread (restored on exit)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def timed_runs(fn, repeats):
    """Call ``fn()`` once, then up to ``repeats - 1`` more times (5 / 3 / 1 rule of the harness).

    Returns ``(last result, times, cpu seconds / wall seconds, warnings seen)``.
    """
    times, cpu = [], []
    caught_all = []
    result = None
    k = repeats
    i = 0
    while i < k:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            c0, t0 = time.process_time(), time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        caught_all += [f"{type(w.message).__name__}: {w.message}"[:200] for w in caught]
        if i == 0:
            k = min(repeats, n_repeats(times[0], repeats))
        i += 1
    return result, times, float(sum(cpu) / max(sum(times), 1e-12)), sorted(set(caught_all))


def svd_probe(repeats=3, batch=20):
    """Median ms of a batched thin SVD of ``batch`` 60 x 100 matrices (what ``cs_recover`` /
    ``l1_recover`` start with), with BLAS on all threads and on one.

    Documents the machine's state: on oversubscribed cores, multi-threaded BLAS calls on small
    matrices can be orders of magnitude slower than single-threaded ones.
    """
    from threadpoolctl import threadpool_limits

    A = np.random.default_rng(0).standard_normal((batch, 60, 100))
    out = {"batch": batch}
    for key, limit in (("all_ms", None), ("one_ms", 1)):
        with threadpool_limits(limits=limit, user_api="blas"):
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                np.linalg.svd(A, full_matrices=False)
                times.append(time.perf_counter() - start)
        out[key] = float(np.median(times) * 1e3)
    return out


def git_commit():
    """The checked-out commit, read from ``.git`` (no git command is run)."""
    try:
        with open(os.path.join(REPO_ROOT, ".git", "HEAD")) as handle:
            head = handle.read().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        path = os.path.join(REPO_ROOT, ".git", ref)
        if os.path.exists(path):
            with open(path) as handle:
                return handle.read().strip()
        with open(os.path.join(REPO_ROOT, ".git", "packed-refs")) as handle:
            for line in handle:
                if line.strip().endswith(" " + ref):
                    return line.split()[0]
    except OSError:
        pass
    return "unknown"


# --------------------------------------------------------------------------------------------
# the same recovery algorithm, numpy only
# --------------------------------------------------------------------------------------------
def np_affine_set(A, b):
    """Orthonormal basis ``Q`` (N, M) of the row space of ``A`` and the least-norm solution.

    The formulas of ``skreg.cauchy_schwarz._recover._affine_sets`` for one problem (thin SVD,
    rank cut at ``s_max max(M, N) eps``).
    """
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > s[0] * max(A.shape) * np.finfo(np.float64).eps
    s_inv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    Q = np.ascontiguousarray((Vt * keep[:, None]).T)
    xls = Q @ (s_inv * (U.T @ b))
    return Q, xls


def np_value_grad(x, p, q):
    """``l = S_2p S_2q - S_(p+q)^2``, its Cauchy-Schwarz bound ``S_2p S_2q`` and gradient.

    Entrywise powers by repeated multiplication, as the numba kernel computes them.
    """
    pw = [None, x]
    for _ in range(2, 2 * q + 1):
        pw.append(pw[-1] * x)
    A = float(pw[2 * p].sum()) if p > 0 else float(x.shape[0])
    B = float(pw[2 * q].sum())
    C = float(pw[p + q].sum())
    bound = A * B
    value = max(bound - C * C, 0.0)
    grad = (A * 2 * q) * pw[2 * q - 1] - (2.0 * C * (p + q)) * pw[p + q - 1]
    if p > 0:
        grad += (2 * p * B) * pw[2 * p - 1]
    return value, bound, grad


def np_minimize(x0, p, q, Q, xls, max_iter, tol, zero_tol=-1.0):
    """Accelerated projected gradient of ``l`` on ``{x_ls + ker A}``: numpy transcription of
    ``skreg.cauchy_schwarz._solver.minimize_cs`` (recovery mode: no data term, alpha = 1).

    Nesterov momentum, backtracking on the step ``1 / L`` (accept when ``F`` decreases by
    ``||g||^2 / (2 L)`` up to a rounding slack of ``1e-13`` times the bound), function restart
    (momentum dropped when ``F`` increases), ``L <- 0.9 L`` after each step, reprojection onto
    the affine set every ``REPROJECT_EVERY`` iterations, stop when ``||P grad|| ||x|| <= tol *
    bound`` or ``l <= SIN2_FLOOR * bound`` (the rounding floor of ``sin^2``); the two constants
    are skreg's own.
    Returns ``(x, value, bound, n_iter, converged, first_zero)``; ``first_zero`` (a diagnostic,
    not used by the method) is the first iteration with ``value <= zero_tol * bound``.
    """

    def project_affine(v):
        return v - Q @ (Q.T @ v) + xls

    def project_tangent(g):
        return g - Q @ (Q.T @ g)

    def stopped(g, v, value, bound):
        return (np.linalg.norm(g) * np.linalg.norm(v) <= tol * bound
                or value <= SIN2_FLOOR * bound)

    x = project_affine(x0)
    Fx, bx, gx = np_value_grad(x, p, q)
    gx = project_tangent(gx)
    if stopped(gx, x, Fx, bx):
        return x, Fx, bx, 0, True, 0
    first_zero = None
    gnorm = np.linalg.norm(gx)
    xnorm = np.linalg.norm(x)
    h = 1e-4 * (xnorm if xnorm > 0.0 else 1.0) / gnorm
    _, _, gt = np_value_grad(x - h * gx, p, q)
    gt = project_tangent(gt)
    L = np.linalg.norm(gt - gx) / (h * gnorm)
    if not (L > 0.0) or not np.isfinite(L):
        L = 1.0
    y, gy, Fy = x.copy(), gx.copy(), Fx
    t = 1.0
    for it in range(1, max_iter + 1):
        gy2 = float(gy @ gy)
        slack = 1e-13 * (abs(Fy) + bx)
        while True:
            xn = y - gy / L
            Fn, bn, gn = np_value_grad(xn, p, q)
            if Fn <= Fy - 0.5 * gy2 / L + slack:
                break
            L *= 2.0
            if L > 1e300:  # no decrease possible at machine precision
                return x, Fx, bx, it, False, first_zero
        if it % REPROJECT_EVERY == 0:
            xn = project_affine(xn)
            Fn, bn, gn = np_value_grad(xn, p, q)
        gn = project_tangent(gn)
        if Fn > Fx:  # function restart
            t = 1.0
            y, gy, Fy = xn, gn, Fn
        else:
            t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_next
            t = t_next
            y = xn + beta * (xn - x)
            Fy, _, gy = np_value_grad(y, p, q)
            gy = project_tangent(gy)
        x, gx, Fx, bx = xn, gn, Fn, bn
        if first_zero is None and Fx <= zero_tol * bx:
            first_zero = it
        if stopped(gx, x, Fx, bx):
            return x, Fx, bx, it, True, first_zero
        L = max(0.9 * L, 1e-30)
    return x, Fx, bx, max_iter, False, first_zero


def np_cs_recover(A, b, prior, *, n_restarts=N_RESTARTS, max_iter=CS_MAX_ITER, tol=CS_TOL,
                  zero_tol=CS_ZERO_TOL, random_state=None):
    """``cs_recover`` of one problem with numpy alone (same starts, same selection).

    Starts: the least-norm solution, then ``n_restarts - 1`` Gaussian points (drawn exactly as
    ``cs_recover`` draws them: ``RandomState(random_state).standard_normal((1, R, N)) *
    ||x_ls|| / sqrt(M)``) projected onto the affine set; keep the smallest ``sin^2``; stop
    once ``sin^2 <= zero_tol``. Returns a dict like ``CSRecoveryResult``.
    """
    p, q = POWER_PAIRS[prior]
    Q, xls = np_affine_set(np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64))
    rng = np.random.RandomState(random_state)
    std = np.linalg.norm(xls) / np.sqrt(max(Q.shape[1], 1))
    Z = rng.standard_normal((1, n_restarts, xls.shape[0]))[0] * std
    Z[0] = 0.0
    best = None
    n_iter = 0
    for r in range(n_restarts):
        x, value, bound, it, conv, first_zero = np_minimize(Z[r], p, q, Q, xls, max_iter, tol,
                                                           zero_tol)
        n_iter += it
        s2 = value / bound if bound > 0.0 else (0.0 if value <= 0.0 else np.inf)
        conv = conv or s2 <= zero_tol
        if best is None or s2 < best["sin2"]:
            best = {"x": x, "objective": value, "sin2": s2, "converged": conv, "restart": r,
                    "kept_iter": it, "kept_first_zero": first_zero}
        if best["sin2"] <= zero_tol:
            break
    best["n_iter"] = n_iter
    return best


# --------------------------------------------------------------------------------------------
# LP anchors (scipy.optimize.linprog, HiGHS)
# --------------------------------------------------------------------------------------------
def highs_l1(A, b):
    """``min ||x||_1 s.t. Ax = b`` as the LP ``min 1^T (u + v), A (u - v) = b, u, v >= 0``."""
    M, n = A.shape
    res = linprog(np.ones(2 * n), A_eq=np.hstack([A, -A]), b_eq=b, bounds=(0, None),
                  method="highs")
    if res.x is None:
        raise RuntimeError(f"linprog: {res.message}")
    return {"x": res.x[:n] - res.x[n:], "status": int(res.status), "n_iter": int(res.nit)}


def highs_linf(A, b):
    """``min ||x||_inf s.t. Ax = b`` as the LP ``min t, -t <= x_i <= t, Ax = b`` (sparse)."""
    M, n = A.shape
    eye = sp.identity(n, format="csr")
    ones = sp.csr_matrix(np.ones((n, 1)))
    A_ub = sp.vstack([sp.hstack([eye, -ones]), sp.hstack([-eye, -ones])], format="csr")
    A_eq = sp.csr_matrix(np.hstack([A, np.zeros((M, 1))]))
    c = np.zeros(n + 1)
    c[-1] = 1.0
    bounds = [(None, None)] * n + [(0, None)]
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(2 * n), A_eq=A_eq, b_eq=b, bounds=bounds,
                  method="highs")
    if res.x is None:
        raise RuntimeError(f"linprog: {res.message}")
    return {"x": res.x[:n], "status": int(res.status), "n_iter": int(res.nit)}


# --------------------------------------------------------------------------------------------
# problems
# --------------------------------------------------------------------------------------------
def cs_problem(prior, M, seed):
    """Gaussian ``A`` (M, N) and ``x_true`` on the prior's set with a random scale in [0.5, 2].

    Entries uniform over the levels: ``{-a, a}``, ``{0, a}`` or ``{-a, 0, a}``.
    """
    rng = np.random.default_rng(seed)
    levels = {"binary": [-1.0, 1.0], "one_sided_binary": [0.0, 1.0],
              "ternary": [-1.0, 0.0, 1.0]}[prior]
    x = rng.uniform(0.5, 2.0) * rng.choice(levels, size=N)
    A = rng.standard_normal((M, N))
    return A, A @ x, x


def norm_problem(norm, M, seed):
    """l1: ``x_true`` with ``L1_SPARSITY * N`` Gaussian nonzeros; linf: ``x_true`` in {-1, 1}^N."""
    rng = np.random.default_rng(seed)
    if norm == "l1":
        x = np.zeros(N)
        k = max(1, int(round(L1_SPARSITY * N)))
        x[rng.choice(N, k, replace=False)] = rng.standard_normal(k)
    else:
        x = rng.choice([-1.0, 1.0], size=N)
    A = rng.standard_normal((M, N))
    return A, A @ x, x


def _seed(*parts):
    """A reproducible integer seed for one problem."""
    return int(np.random.SeedSequence([SEED, *parts]).generate_state(1)[0])


# --------------------------------------------------------------------------------------------
# warm-up (in-process first calls) and compile timings (fresh processes)
# --------------------------------------------------------------------------------------------
def warm_up():
    """First call of each public function in this process (JIT compile or cache load)."""
    from sklearn.exceptions import ConvergenceWarning

    from skreg.cauchy_schwarz import (
        CSRegression,
        CSRegressionCV,
        cs_recover,
        l1_recover,
        linf_recover,
        ternary,
    )

    rng = np.random.default_rng(1)
    A = rng.standard_normal((12, 20))
    x = rng.choice([-1.0, 1.0], 20)
    X = rng.standard_normal((60, 5))
    y = X @ np.array([1.0, -1.0, 0.0, 1.0, 0.0]) + 0.1 * rng.standard_normal(60)
    calls = [
        ("ternary", lambda: ternary(x)),
        ("cs_recover", lambda: cs_recover(A, A @ x, "binary", n_restarts=2, random_state=0,
                                          n_threads=1)),
        ("cs_recover_batch", lambda: cs_recover(np.stack([A, A]), np.stack([A @ x, A @ x]),
                                                "ternary", n_restarts=2, random_state=0)),
        ("l1_recover", lambda: l1_recover(A, A @ x, n_threads=1)),
        ("linf_recover", lambda: linf_recover(np.stack([A, A]), np.stack([A @ x, A @ x]))),
        ("CSRegression", lambda: CSRegression(alpha=1.0).fit(X, y)),
        ("CSRegressionCV", lambda: CSRegressionCV(n_alphas=3, cv=2).fit(X, y)),
    ]
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, fn in calls:
            start = time.perf_counter()
            fn()
            out[name] = time.perf_counter() - start
    return out


_COMPILE_SCRIPT = r"""
import json, time, warnings
t0 = time.perf_counter()
import numpy as np
import skreg
from skreg.cauchy_schwarz import (CSRegression, CSRegressionCV, cs_recover, l1_recover,
                                  linf_recover, ternary)
out = {"import_s": time.perf_counter() - t0}
def timed(key, fn):
    start = time.perf_counter()
    fn()
    out[key] = time.perf_counter() - start
rng = np.random.default_rng(1)
A = rng.standard_normal((12, 20))
x = rng.choice([-1.0, 1.0], 20)
X = rng.standard_normal((60, 5))
y = X @ np.array([1.0, -1.0, 0.0, 1.0, 0.0]) + 0.1 * rng.standard_normal(60)
warnings.simplefilter("ignore")
timed("ternary_s", lambda: ternary(x))
timed("cs_recover_s", lambda: cs_recover(A, A @ x, "binary", n_restarts=2, random_state=0))
timed("l1_recover_s", lambda: l1_recover(A, A @ x))
timed("linf_recover_s", lambda: linf_recover(A, A @ x))
timed("CSRegression_s", lambda: CSRegression(alpha=1.0).fit(X, y))
timed("CSRegressionCV_s", lambda: CSRegressionCV(n_alphas=3, cv=2).fit(X, y))
print("RESULT " + json.dumps(out))
"""

COMPILE_PIECES = {
    "import_s": "`import skreg` (+ numpy, scipy)",
    "ternary_s": "first `ternary(x)` (the regularizer kernel `cs_value_grad`)",
    "cs_recover_s": "first `cs_recover` (parallel `recover_batch` + `minimize_cs`)",
    "l1_recover_s": "first `l1_recover` (parallel ADMM `norm_min_batch`)",
    "linf_recover_s": "first `linf_recover` (same kernel as l1)",
    "CSRegression_s": "first `CSRegression.fit` (`minimize_cs` with a data term)",
    "CSRegressionCV_s": "first `CSRegressionCV.fit` (same kernels)",
}


def compile_timings(timeout=900):
    """First calls in fresh processes with an empty, then the filled, ``NUMBA_CACHE_DIR``."""
    return fresh_process_timings(_COMPILE_SCRIPT, timeout=timeout)


# --------------------------------------------------------------------------------------------
# part 1: cs_recover vs the numpy transcription
# --------------------------------------------------------------------------------------------
def _outcome(x, x_true):
    return float(np.linalg.norm(x - x_true) / np.linalg.norm(x_true))


def run_cs_part(args):
    from skreg.cauchy_schwarz import cs_recover

    records = []
    for prior in PRIORS:
        for ratio in CS_RATIOS:
            M = int(round(ratio * N))
            rec = {"part": "cs", "prior": prior, "ratio": ratio, "M": M, "N": N,
                   "problems": []}
            for i in range(args.cs_problems):
                seed = _seed(1, PRIORS.index(prior), M, i)
                A, b, x_true = cs_problem(prior, M, seed)
                with blas_one_thread():
                    res, t_sk, cpu_sk, w_sk = timed_runs(
                        lambda A=A, b=b, pr=prior, s=seed: cs_recover(
                            A, b, pr, n_restarts=N_RESTARTS, max_iter=CS_MAX_ITER, tol=CS_TOL,
                            zero_tol=CS_ZERO_TOL, random_state=s, n_threads=1), args.repeats)
                    ref, t_np, cpu_np, _ = timed_runs(
                        lambda A=A, b=b, pr=prior, s=seed: np_cs_recover(A, b, pr,
                                                                         random_state=s),
                        args.repeats)
                err_sk, err_np = _outcome(res.x, x_true), _outcome(ref["x"], x_true)
                prob = {
                    "seed": seed,
                    "skreg": {"median_s": _median(t_sk), "times": t_sk, "cpu_per_wall": cpu_sk,
                              "sin2": float(res.sin2), "n_iter": int(res.n_iter),
                              "restart": int(res.restart), "converged": bool(res.converged),
                              "error": err_sk, "success": err_sk <= SUCCESS_TOL,
                              "warnings": w_sk},
                    "numpy": {"median_s": _median(t_np), "times": t_np, "cpu_per_wall": cpu_np,
                              "sin2": float(ref["sin2"]), "n_iter": int(ref["n_iter"]),
                              "restart": int(ref["restart"]),
                              "converged": bool(ref["converged"]), "error": err_np,
                              "success": err_np <= SUCCESS_TOL, "kept_iter": ref["kept_iter"],
                              "kept_first_zero": ref["kept_first_zero"]},
                }
                prob["same_success"] = prob["skreg"]["success"] == prob["numpy"]["success"]
                prob["sin2_diff"] = abs(prob["skreg"]["sin2"] - prob["numpy"]["sin2"])
                prob["same_sin2"] = prob["sin2_diff"] <= SIN2_AGREE
                prob["same_restart"] = prob["skreg"]["restart"] == prob["numpy"]["restart"]
                prob["x_diff"] = float(np.linalg.norm(res.x - ref["x"])
                                       / np.linalg.norm(x_true))
                prob["speedup"] = prob["numpy"]["median_s"] / prob["skreg"]["median_s"]
                rec["problems"].append(prob)
            _summarize_cs(rec)
            records.append(rec)
            log(f"  cs {prior:16s} M/N {ratio}: skreg {format_seconds(rec['skreg_median_s'])}"
                f" numpy {format_seconds(rec['numpy_median_s'])} speed-up "
                f"{rec['speedup']:.1f}; success {rec['skreg_success']}/{rec['numpy_success']} "
                f"of {rec['n']}; same outcome {rec['same_outcome']}/{rec['n']}; max dsin2 "
                f"{rec['max_sin2_diff']:.1e}")
    return records


def _summarize_cs(rec):
    probs = rec["problems"]
    rec["n"] = len(probs)
    for impl in ("skreg", "numpy"):
        rec[f"{impl}_median_s"] = _median([p[impl]["median_s"] for p in probs])
        rec[f"{impl}_success"] = sum(p[impl]["success"] for p in probs)
        rec[f"{impl}_median_iter"] = _median([p[impl]["n_iter"] for p in probs])
        rec[f"{impl}_s_per_iter"] = (sum(p[impl]["median_s"] for p in probs)
                                     / max(sum(p[impl]["n_iter"] for p in probs), 1))
    rec["speedup"] = rec["numpy_median_s"] / rec["skreg_median_s"]
    rec["median_problem_speedup"] = _median([p["speedup"] for p in probs])
    rec["same_success"] = sum(p["same_success"] for p in probs)
    rec["same_sin2"] = sum(p["same_sin2"] for p in probs)
    rec["same_outcome"] = sum(p["same_success"] and p["same_sin2"] for p in probs)
    rec["same_restart"] = sum(p["same_restart"] for p in probs)
    rec["max_sin2_diff"] = float(max(p["sin2_diff"] for p in probs))
    rec["iter_ratio"] = rec["numpy_median_iter"] / max(rec["skreg_median_iter"], 1)
    found = [p["numpy"] for p in probs if p["numpy"]["kept_first_zero"] is not None]
    rec["numpy_found"] = len(found)
    rec["numpy_kept_iter"] = [f["kept_iter"] for f in found]
    rec["numpy_kept_first_zero"] = [f["kept_first_zero"] for f in found]


# --------------------------------------------------------------------------------------------
# part 2: l1_recover / linf_recover vs cvxpy and HiGHS
# --------------------------------------------------------------------------------------------
NORM_SOLVERS = ("skreg", "cvxpy", "highs")


def _norm_solve(name, norm, A, b):
    """Run one solver; return ``{"x", ...}`` (the whole call is what is timed)."""
    if name == "skreg":
        from skreg.cauchy_schwarz import l1_recover, linf_recover

        fn = l1_recover if norm == "l1" else linf_recover
        res = fn(A, b, tol=NORM_TOL, n_threads=1)
        return {"x": res.x, "duality_gap": float(res.duality_gap), "n_iter": int(res.n_iter),
                "converged": bool(res.converged)}
    if name == "cvxpy":
        from skreg import reference

        fn = reference.l1_recover if norm == "l1" else reference.linf_recover
        res = fn(A, b)
        return {"x": res.coef, "status": str(res.status), "solve_time": res.solve_time}
    return (highs_l1 if norm == "l1" else highs_linf)(A, b)


def run_norm_part(args):
    records = []
    order = {"l1": 1, "linf": np.inf}
    for norm in ("l1", "linf"):
        for ratio in NORM_RATIOS:
            M = int(round(ratio * N))
            rec = {"part": "norm", "norm": norm, "ratio": ratio, "M": M, "N": N,
                   "problems": []}
            for i in range(args.norm_problems):
                seed = _seed(2, order[norm] if norm == "l1" else 2, M, i)
                A, b, x_true = norm_problem(norm, M, seed)
                prob = {"seed": seed}
                for name in NORM_SOLVERS:
                    try:
                        with blas_one_thread():
                            out, times, cpu, caught = timed_runs(
                                lambda n=name, nm=norm, A=A, b=b: _norm_solve(n, nm, A, b),
                                args.repeats)
                    except Exception as exc:
                        prob[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                        continue
                    x = np.asarray(out.pop("x"), dtype=np.float64)
                    out.update(median_s=_median(times), times=times, cpu_per_wall=cpu,
                               warnings=caught,
                               objective=float(np.linalg.norm(x, order[norm])),
                               residual=float(np.linalg.norm(A @ x - b) / np.linalg.norm(b)),
                               recovery_error=_outcome(x, x_true))
                    prob[name] = out
                feasible = [prob[n]["objective"] for n in NORM_SOLVERS
                            if "objective" in prob[n] and prob[n]["residual"] <= FEAS_TOL]
                f_best = min(feasible) if feasible else None
                prob["best_objective"] = f_best
                for name in NORM_SOLVERS:
                    e = prob[name]
                    if "objective" in e and f_best is not None:
                        e["rel_objective_diff"] = (e["objective"] - f_best) / f_best
                        e["equal_accuracy"] = bool(abs(e["rel_objective_diff"]) <= OBJ_TARGET
                                                   and e["residual"] <= FEAS_TOL)
                sk = prob["skreg"]
                if "objective" in sk:  # the certificate: optimum >= objective (1 - gap)
                    lower = sk["objective"] * (1.0 - sk["duality_gap"])
                    prob["certified_lower_bound"] = lower
                    prob["certificate_holds"] = bool(f_best is None or f_best >= lower
                                                     * (1 - 1e-12))
                for name in ("cvxpy", "highs"):
                    if prob[name].get("median_s") and sk.get("median_s"):
                        prob[f"speedup_vs_{name}"] = prob[name]["median_s"] / sk["median_s"]
                rec["problems"].append(prob)
            _summarize_norm(rec)
            records.append(rec)
            log(f"  {norm:4s} M/N {ratio}: skreg {format_seconds(rec['skreg_median_s'])}, "
                f"cvxpy {format_seconds(rec['cvxpy_median_s'])}, HiGHS "
                f"{format_seconds(rec['highs_median_s'])}; speed-up vs cvxpy "
                f"{_fmt(rec['speedup_vs_cvxpy'], '.1f')}, vs HiGHS "
                f"{_fmt(rec['speedup_vs_highs'], '.2f')}; max |dobj| skreg "
                f"{_fmt(rec['skreg_max_rel_diff'])} cvxpy {_fmt(rec['cvxpy_max_rel_diff'])} "
                f"HiGHS {_fmt(rec['highs_max_rel_diff'])}")
    return records


def _summarize_norm(rec):
    probs = rec["problems"]
    rec["n"] = len(probs)
    for name in NORM_SOLVERS:
        ok = [p[name] for p in probs if "median_s" in p[name]]
        rec[f"{name}_median_s"] = _median([e["median_s"] for e in ok])
        diffs = [abs(e["rel_objective_diff"]) for e in ok if "rel_objective_diff" in e]
        rec[f"{name}_max_rel_diff"] = float(max(diffs)) if diffs else None
        rec[f"{name}_equal_accuracy"] = sum(e.get("equal_accuracy", False) for e in ok)
        rec[f"{name}_max_residual"] = float(max(e["residual"] for e in ok)) if ok else None
        rec[f"{name}_errors"] = [p[name]["error"] for p in probs if "error" in p[name]]
        rec[f"{name}_cpu_per_wall"] = _median([e["cpu_per_wall"] for e in ok])
    for name in ("cvxpy", "highs"):
        a, s = rec[f"{name}_median_s"], rec["skreg_median_s"]
        rec[f"speedup_vs_{name}"] = a / s if a and s else None
        rec[f"median_problem_speedup_vs_{name}"] = _median(
            [p.get(f"speedup_vs_{name}") for p in probs])
    rec["skreg_median_iter"] = _median([p["skreg"].get("n_iter") for p in probs])
    rec["skreg_max_gap"] = float(max(p["skreg"].get("duality_gap", np.nan) for p in probs))
    rec["certificate_holds"] = sum(p.get("certificate_holds", False) for p in probs)


# --------------------------------------------------------------------------------------------
# part 3: threads
# --------------------------------------------------------------------------------------------
def run_threads_part(args):
    from skreg.cauchy_schwarz import cs_recover, l1_recover

    records = []
    P = args.batch
    M_cs = int(round(BATCH_CS_RATIO * N))
    M_l1 = int(round(BATCH_L1_RATIO * N))
    cs = [cs_problem(BATCH_PRIOR, M_cs, _seed(3, i)) for i in range(P)]
    l1 = [norm_problem("l1", M_l1, _seed(4, i)) for i in range(P)]
    jobs = [
        ("cs_recover", f"prior={BATCH_PRIOR!r}, M/N={BATCH_CS_RATIO}, {N_RESTARTS} restarts",
         np.stack([p[0] for p in cs]), np.stack([p[1] for p in cs]),
         lambda A, b, t: cs_recover(A, b, BATCH_PRIOR, n_restarts=N_RESTARTS, random_state=0,
                                    n_threads=t)),
        ("l1_recover", f"M/N={BATCH_L1_RATIO}, tol={NORM_TOL:g}",
         np.stack([p[0] for p in l1]), np.stack([p[1] for p in l1]),
         lambda A, b, t: l1_recover(A, b, tol=NORM_TOL, n_threads=t)),
    ]
    for name, setting, A, b, fn in jobs:
        rec = {"part": "threads", "function": name, "setting": setting, "batch": P, "N": N,
               "M": A.shape[1], "runs": {}}
        results = {}
        settings = [(1, True)] + ([(N_CPUS, True)] if N_CPUS > 1 else [])
        times = {threads: [] for threads, _ in settings}
        cpu = {threads: [] for threads, _ in settings}
        # the two settings alternate (A B A B ...), so that a change of the machine's load
        # during the measurement hits both
        with blas_one_thread():
            for _ in range(max(args.repeats, 5)):
                for threads, _ in settings:
                    c0, t0 = time.process_time(), time.perf_counter()
                    results[str(threads)] = fn(A, b, threads)
                    times[threads].append(time.perf_counter() - t0)
                    cpu[threads].append(time.process_time() - c0)
        for threads, _ in settings:
            rec["runs"][str(threads)] = {
                "median_s": _median(times[threads]), "times": times[threads],
                "min_s": float(min(times[threads])),
                "cpu_per_wall": float(sum(cpu[threads]) / sum(times[threads])),
                "per_problem_s": _median(times[threads]) / P}
        if N_CPUS > 1:  # the same call with BLAS as is (the default for a user)
            key = f"{N_CPUS} blas-as-is"
            res, t_asis, cpu_asis, _ = timed_runs(lambda f=fn, A=A, b=b: f(A, b, N_CPUS),
                                                  1 if args.quick else 3)
            rec["runs"][key] = {"median_s": _median(t_asis), "times": t_asis,
                                "min_s": float(min(t_asis)), "cpu_per_wall": cpu_asis,
                                "per_problem_s": _median(t_asis) / P}
        # the serial part: validation + batched SVD of the affine sets (private helper)
        from skreg.cauchy_schwarz._recover import _affine_sets

        with blas_one_thread():
            _, prep, _, _ = timed_runs(lambda A=A, b=b: _affine_sets(A, b), 3)
        rec["prep_s"] = _median(prep)
        one = rec["runs"]["1"]["median_s"]
        if N_CPUS > 1:
            many = rec["runs"][str(N_CPUS)]["median_s"]
            if one > rec["prep_s"] and many > rec["prep_s"]:
                rec["speedup_after_prep"] = (one - rec["prep_s"]) / (many - rec["prep_s"])
            rec["speedup"] = one / rec["runs"][str(N_CPUS)]["median_s"]
            rec["speedup_min"] = rec["runs"]["1"]["min_s"] / rec["runs"][str(N_CPUS)]["min_s"]
            rec["identical_results"] = bool(np.array_equal(results["1"].x,
                                                           results[str(N_CPUS)].x))
        if name == "cs_recover":
            rec["success"] = int(sum(_outcome(results["1"].x[i], cs[i][2]) <= SUCCESS_TOL
                                     for i in range(P)))
        records.append(rec)
        log(f"  {name} batch {P}: 1 thread {format_seconds(one)}"
            + (f", {N_CPUS} threads {format_seconds(rec['runs'][str(N_CPUS)]['median_s'])}, "
               f"speed-up {rec['speedup']:.2f} (min-based {rec['speedup_min']:.2f})"
               if N_CPUS > 1 else ""))
    return records


# --------------------------------------------------------------------------------------------
# part 4: regression estimators
# --------------------------------------------------------------------------------------------
def regression_data(n, p, prior, seed):
    """Gaussian X (n, p), coefficients on the prior's set (scale 0.5), noise ``REG_NOISE``."""
    rng = np.random.default_rng(seed)
    levels = {"binary": [-1.0, 1.0], "one_sided_binary": [0.0, 1.0],
              "ternary": [-1.0, 0.0, 1.0]}[prior]
    coef = 0.5 * rng.choice(levels, size=p)
    X = rng.standard_normal((n, p))
    clean = X @ coef + 3.0
    e = rng.standard_normal(n)
    e *= REG_NOISE * np.linalg.norm(clean - clean.mean()) / np.linalg.norm(e)
    return X, clean + e, coef


def run_regression_part(args):
    from sklearn.linear_model import LinearRegression

    from skreg import CSRegression, CSRegressionCV

    records = []
    for n, p in args.regression_sizes:
        for prior in PRIORS:
            X, y, coef = regression_data(n, p, prior, _seed(5, n, p, PRIORS.index(prior)))
            rec = {"part": "regression", "prior": prior, "n": n, "p": p, "estimators": {}}
            ests = [
                ("CSRegression", lambda pr=prior: CSRegression(prior=pr, alpha=1.0)),
                ("CSRegressionCV", lambda pr=prior: CSRegressionCV(prior=pr)),
                ("CSRegressionCV n_jobs=2", lambda pr=prior: CSRegressionCV(prior=pr,
                                                                             n_jobs=2)),
                ("LinearRegression (sklearn)", LinearRegression),
            ]
            for name, make in ests:
                with blas_one_thread():
                    model, times, cpu, caught = timed_runs(
                        lambda m=make, X=X, y=y: m().fit(X, y), max(args.repeats, 3))
                e = {"median_s": _median(times), "times": times, "cpu_per_wall": cpu,
                     "warnings": caught,
                     "coef_error": float(np.linalg.norm(model.coef_ - coef)
                                         / np.linalg.norm(coef))}
                if name.startswith("CS"):
                    scale = model.scale_ if model.scale_ != 0 else 1.0
                    e.update(n_iter=int(model.n_iter_), scale=float(model.scale_),
                             pattern_correct=float(np.mean(np.round(model.coef_ / scale)
                                                           == np.round(coef / 0.5))))
                if name.startswith("CSRegressionCV"):
                    e.update(alpha=float(model.alpha_), n_alphas=int(model.alphas_.shape[0]),
                             n_folds=int(model.mse_path_.shape[1]))
                rec["estimators"][name] = e
            records.append(rec)
            cs = rec["estimators"]
            log(f"  {prior:16s} {n} x {p}: " + "; ".join(
                f"{k} {format_seconds(v['median_s'])}"
                + (f" ({v['n_iter']} it)" if "n_iter" in v else "") for k, v in cs.items()))
    return records


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
PRIOR_SHORT = {"binary": "binary", "one_sided_binary": "one-sided", "ternary": "ternary"}


def write_markdown(path, payload):
    meta = payload["meta"]
    cs = payload["cs"]
    norm = payload["norm"]
    threads = payload["threads"]
    reg = payload["regression"]
    machine = meta["machine"]
    lines = [
        "# skreg Cauchy-Schwarz benchmark (cs_recover, l1_recover, linf_recover, CSRegression)",
        "",
        f"Generated {meta['date']} by `python benchmarks/cauchy_schwarz.py "
        f"{' '.join(meta['argv'])}` on {machine['cpu_count']} cores "
        f"({machine['processor']}), shared with other jobs (load average at start "
        f"{meta['load_average_start']}, at the start of each part "
        + ", ".join(f"{k} {v}" for k, v in meta.get("load_average_parts", {}).items())
        + f", at end {meta.get('load_average_end', '-')}); skreg at "
        f"{meta['commit'][:10]} (working tree); total {meta.get('total_s', 0):.0f} s. "
        "Everything runs in this one process; JIT compilation is excluded by a warm-up (first "
        "calls below) and timed separately in fresh processes.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + f". Threads: numba {meta['numba_threads']} (threading layer "
        f"{meta['numba_threading_layer']}), skreg {meta['skreg_threads']}, BLAS "
        + ", ".join(str(t) for t in meta["blas_threads"]) + ".",
        "",
    ]
    if cs:
        lines += [
            "## Part 1: `cs_recover` vs the same algorithm in numpy",
            "",
            f"N = {N}, Gaussian A (M x N), x_true uniform over the prior's levels times a "
            f"random scale in [0.5, 2]; {N_RESTARTS} starts (least-norm + random), "
            f"max_iter {CS_MAX_ITER}, tol {CS_TOL:g}, zero_tol {CS_ZERO_TOL:g}. numpy: "
            "`np_cs_recover` in this file, a line-by-line transcription of `minimize_cs` "
            "(same SVD basis, same starts from the same seed, same backtracking, restart and "
            "stopping rules). Both on one thread (n_threads=1, BLAS limited to 1). Success: "
            f"||x - x_true|| <= {SUCCESS_TOL:g} ||x_true||. `same`: problems where both reach "
            f"the same success and |sin2_skreg - sin2_numpy| <= {SIN2_AGREE:g}. Times: median "
            "over problems of the per-problem time (one call = all restarts). Speed-up = numpy "
            "/ skreg (> 1: skreg faster).",
            "",
            "| prior | M/N | problems | success skreg / numpy | same | max abs dsin2 | "
            "iterations skreg / numpy (median) | skreg | numpy | speed-up | us / iteration "
            "skreg / numpy |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in cs:
            lines.append(
                f"| {PRIOR_SHORT[r['prior']]} | {r['ratio']} | {r['n']} | "
                f"{r['skreg_success']} / {r['numpy_success']} | {r['same_outcome']} | "
                f"{r['max_sin2_diff']:.1e} | {r['skreg_median_iter']:.0f} / "
                f"{r['numpy_median_iter']:.0f} | {format_seconds(r['skreg_median_s'])} | "
                f"{format_seconds(r['numpy_median_s'])} | {r['speedup']:.1f} | "
                f"{r['skreg_s_per_iter'] * 1e6:.1f} / {r['numpy_s_per_iter'] * 1e6:.0f} |")
        s = payload["summary"]["cs"]
        lines += ["", f"- Median speed-up over the {s['cells']} cells {s['median_speedup']:.1f} "
                  f"(range {s['min_speedup']:.1f} - {s['max_speedup']:.1f}). Cells whose "
                  f"time is in the iterations (median >= {ITER_BOUND} iterations per problem, "
                  "typically no start finds the structure and all run to a local minimum): "
                  f"{s['iter_cells']} cells, median speed-up "
                  f"{_fmt(s['iter_median_speedup'], '.1f')}; the others (the structure found "
                  "by the first start in ~20 iterations) cost about a millisecond, mostly the "
                  "fixed cost of a call (input validation, SVD of A), the same in both "
                  f"(median speed-up {_fmt(s['other_median_speedup'], '.1f')}; their "
                  "us / iteration includes that fixed cost). Same outcome on "
                  f"{s['same_outcome']} of {s['n']} problems (same kept restart on "
                  f"{s['same_restart']}); iteration counts differ where many iterations run, "
                  "since numba's sequential sums and numpy's pairwise sums round differently "
                  "and the non-convex trajectories drift apart.", ""]
        fl = payload["summary"].get("cs_floor") or {}
        if fl.get("n"):
            lines[-1:-1] = [
                f"- On the {fl['n']} problems where the numpy run reached sin2 <= "
                f"{CS_ZERO_TOL:g}, its kept start got there after a median of "
                f"{fl['median_first_zero']:.0f} iterations and stopped after "
                f"{fl['median_total']:.0f} ({100 * fl['share_after']:.0f} % of its iterations "
                "came after the structure was found; the stopping rule includes sin2 <= "
                f"{SIN2_FLOOR:g}, the rounding floor, since the gradient test alone "
                "cannot be met there reliably)."]
    if norm:
        lines += [
            "## Part 2: `l1_recover` / `linf_recover` vs cvxpy and HiGHS",
            "",
            f"N = {N}, Gaussian A; l1: x_true with {int(round(L1_SPARSITY * N))} Gaussian "
            "nonzeros; linf: x_true in {-1, 1}^N. skreg: numba ADMM with polishing, "
            f"`tol={NORM_TOL:g}` (the certified relative duality gap), n_threads=1. cvxpy: "
            "`skreg.reference.l1_recover` / `linf_recover` (Clarabel at tight tolerances; the "
            "whole call: problem construction, canonicalization, solve). HiGHS: "
            "`scipy.optimize.linprog(method=\"highs\")` on the LP form (l1: x = u - v, u, v "
            ">= 0, 2N variables; linf: min t, -t <= x_i <= t, sparse constraint matrix; "
            "building the LP counted). BLAS on one thread. **Equal accuracy**: `dobj` is the "
            "largest |f - f_best| / f_best over the problems, f_best the smallest objective "
            f"among the feasible solutions (||Ax - b|| <= {FEAS_TOL:g} ||b||); `ok` counts "
            f"problems with |dobj| <= {OBJ_TARGET:g} and feasible. Speed-up = anchor time / "
            "skreg time (ratio of the median times; > 1: skreg faster).",
            "",
            "| norm | M/N | problems | skreg | cvxpy | HiGHS | dobj skreg / cvxpy / HiGHS | "
            "ok skreg / cvxpy / HiGHS | speed-up vs cvxpy | speed-up vs HiGHS | "
            "ADMM iter (median) |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in norm:
            lines.append(
                f"| {r['norm']} | {r['ratio']} | {r['n']} | "
                f"{format_seconds(r['skreg_median_s'])} | {format_seconds(r['cvxpy_median_s'])}"
                f" | {format_seconds(r['highs_median_s'])} | {_fmt(r['skreg_max_rel_diff'])} / "
                f"{_fmt(r['cvxpy_max_rel_diff'])} / {_fmt(r['highs_max_rel_diff'])} | "
                f"{r['skreg_equal_accuracy']} / {r['cvxpy_equal_accuracy']} / "
                f"{r['highs_equal_accuracy']} | {_fmt(r['speedup_vs_cvxpy'], '.1f')} | "
                f"{_fmt(r['speedup_vs_highs'], '.2f')} | {_fmt(r['skreg_median_iter'], '.0f')} "
                "|")
        s = payload["summary"]["norm"]
        lines += ["", f"- Median speed-up vs cvxpy {_fmt(s['median_speedup_vs_cvxpy'], '.1f')},"
                  f" vs HiGHS {_fmt(s['median_speedup_vs_highs'], '.2f')} over {s['cells']} "
                  f"cells; skreg's certificate (optimum >= objective (1 - gap)) consistent "
                  f"with every feasible anchor objective on {s['certificate_holds']} of "
                  f"{s['n']} problems; largest skreg duality gap {_fmt(s['max_gap'])}. "
                  "CPU / wall of the anchors (median): cvxpy "
                  f"{_fmt(s['cvxpy_cpu_per_wall'], '.2f')}, HiGHS "
                  f"{_fmt(s['highs_cpu_per_wall'], '.2f')}.", ""]
        errors = [f"{r['norm']} {r['ratio']} {n}: {e}" for r in norm for n in NORM_SOLVERS
                  for e in r[f"{n}_errors"]]
        lines += [f"- error: {e}" for e in errors]
        lines.append("")
    if threads:
        lines += [
            "## Part 3: multi-core, a batch in one call",
            "",
            f"The machine has {machine['cpu_count']} cores (os.cpu_count()); `n_threads=1` "
            f"against `n_threads={N_CPUS}` (all of them). One call solves the whole batch (A "
            "of shape (P, M, N)); the problems are distributed over the numba threads "
            "(prange). BLAS (the batched SVD of the affine sets) limited to one thread, so "
            "that only `n_threads` changes; the last column repeats the all-threads call with "
            "BLAS as is (see the probe). Median of at least 5 calls, the 1-thread and "
            "all-threads calls alternating. `serial part`: the input "
            "validation and the batched SVD of the affine sets (the private `_affine_sets`, "
            "timed alone), which runs before the parallel kernel whatever `n_threads`; "
            "`speed-up of the rest` = (1 thread - serial) / (all threads - serial). `CPU / "
            "wall`: process CPU time over wall time of the all-threads calls (about 2 when "
            "both threads got a core; about 1 when the machine's other jobs left this process "
            "one core, and then no speed-up is possible).",
            "",
            "| function | setting | batch | 1 thread | per problem | "
            f"{N_CPUS} threads | per problem | CPU / wall | speed-up | serial part | speed-up "
            f"of the rest | identical x | {N_CPUS} threads, BLAS as is |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in threads:
            one = r["runs"]["1"]
            many = r["runs"].get(str(N_CPUS), {})
            asis = r["runs"].get(f"{N_CPUS} blas-as-is", {})
            lines.append(
                f"| `{r['function']}` | {r['setting']} | {r['batch']} | "
                f"{format_seconds(one['median_s'])} | {format_seconds(one['per_problem_s'])} | "
                f"{format_seconds(many.get('median_s'))} | "
                f"{format_seconds(many.get('per_problem_s'))} | "
                f"{_fmt(many.get('cpu_per_wall'), '.2f')} | "
                f"{_fmt(r.get('speedup'), '.2f')} | {format_seconds(r.get('prep_s'))} | "
                f"{_fmt(r.get('speedup_after_prep'), '.2f')} | "
                f"{r.get('identical_results', '-')} | {format_seconds(asis.get('median_s'))} |")
        lines.append("")
        for r in threads:
            if "success" in r:
                lines.append(f"- `{r['function']}` batch: {r['success']} of {r['batch']} "
                             "problems recovered.")
        probe = meta.get("svd_probe_start")
        if probe:
            lines.append(
                f"- BLAS probe (batched thin SVD of {probe['batch']} matrices 60 x 100, the "
                "factorization `cs_recover` / `l1_recover` start with), median ms with BLAS on "
                f"all threads / one thread: start {probe['all_ms']:.2f} / "
                f"{probe['one_ms']:.2f}, end "
                f"{meta['svd_probe_end']['all_ms']:.2f} / {meta['svd_probe_end']['one_ms']:.2f}"
                " (a large first number: multi-threaded BLAS waiting for descheduled threads "
                "on the shared cores).")
        lines.append("")
    if reg:
        lines += [
            "## Part 4: `CSRegression` / `CSRegressionCV` fits",
            "",
            "Gaussian X (n x p), coefficients 0.5 times a pattern drawn uniformly on the "
            f"prior's set, intercept 3, Gaussian noise with ||e|| = {REG_NOISE:g} ||X w - "
            "mean|| (noisy enough that rounding least squares is not always right). "
            "`CSRegression(alpha=1)`; `CSRegressionCV` with its defaults (20 alphas, 5 folds, "
            "warm-started path per fold, then the final continuation up to alpha_), with "
            "`n_jobs=None` and `n_jobs=2` (folds in threads). numba threads as is, BLAS on one "
            "thread (see the probe); median of at least 3 fits. `iter`: gradient iterations "
            "(`n_iter_`; for the CV estimator the final refit's continuation). `pattern`: "
            "fraction of coefficients on the right level. scikit-learn's `LinearRegression` "
            "(the least-squares fit alone) for scale.",
            "",
            "| prior | n x p | CSRegression | iter | pattern | CSRegressionCV | iter | alpha_ | "
            "pattern | CV n_jobs=2 | LinearRegression |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in reg:
            e = r["estimators"]
            a, c, c2 = e["CSRegression"], e["CSRegressionCV"], e["CSRegressionCV n_jobs=2"]
            lr = e["LinearRegression (sklearn)"]
            lines.append(
                f"| {PRIOR_SHORT[r['prior']]} | {r['n']} x {r['p']} | "
                f"{format_seconds(a['median_s'])} | {a['n_iter']} | {a['pattern_correct']:.2f}"
                f" | {format_seconds(c['median_s'])} | {c['n_iter']} | {c['alpha']:.2g} | "
                f"{c['pattern_correct']:.2f} | {format_seconds(c2['median_s'])} | "
                f"{format_seconds(lr['median_s'])} |")
        lines.append("")
    first = payload.get("first_calls")
    comp = payload.get("compile")
    if first or comp:
        lines += ["## Compile time", "",
                  "First call of each piece: in this process before any timing (numba "
                  "loads the kernels from the on-disk cache if it is filled, compiles "
                  "otherwise), and in fresh processes with an empty, then the filled, "
                  "`NUMBA_CACHE_DIR` (cold = compilation, warm = cache load). Later pieces "
                  "reuse kernels compiled by earlier ones.", ""]
        if first:
            lines.append("- In this process: " + ", ".join(
                f"{k} {format_seconds(v)}" for k, v in first.items()) + ".")
            lines.append("")
        if comp:
            lines += ["| piece | cold | warm |", "|---|---|---|"]
            for key, text in list(COMPILE_PIECES.items()) + [("total_s", "total")]:
                cells = []
                for state in ("cold", "warm"):
                    res = comp.get(state, {})
                    cells.append(f"{res[key]:.2f} s" if key in res else
                                 f"error: {res.get('error', '-')}"[:80])
                lines.append(f"| {text} | " + " | ".join(cells) + " |")
            lines.append("")
    errors = meta.get("errors") or []
    for e in errors:
        lines.append(f"- part {e['part']} failed: {e['error']}")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def summarize(payload):
    s = {}
    cs = payload["cs"]
    if cs:
        sp_ = [r["speedup"] for r in cs]
        first = [v for r in cs for v in r["numpy_kept_first_zero"]]
        total = [v for r in cs for v in r["numpy_kept_iter"]]
        s["cs_floor"] = {"n": len(first), "median_first_zero": _median(first),
                         "median_total": _median(total),
                         "share_after": (float(np.sum(total) - np.sum(first)) / np.sum(total)
                                         if total else None)}
        heavy = [r["speedup"] for r in cs if r["skreg_median_iter"] >= ITER_BOUND]
        light = [r["speedup"] for r in cs if r["skreg_median_iter"] < ITER_BOUND]
        s["cs"] = {"iter_cells": len(heavy), "iter_median_speedup": _median(heavy),
                   "other_median_speedup": _median(light),
                   "cells": len(cs), "median_speedup": float(np.median(sp_)),
                   "min_speedup": float(min(sp_)), "max_speedup": float(max(sp_)),
                   "same_outcome": sum(r["same_outcome"] for r in cs),
                   "same_restart": sum(r["same_restart"] for r in cs),
                   "n": sum(r["n"] for r in cs)}
    norm = payload["norm"]
    if norm:
        s["norm"] = {"cells": len(norm), "n": sum(r["n"] for r in norm),
                     "certificate_holds": sum(r["certificate_holds"] for r in norm),
                     "max_gap": float(max(r["skreg_max_gap"] for r in norm))}
        for name in ("cvxpy", "highs"):
            s["norm"][f"median_speedup_vs_{name}"] = _median(
                [r[f"speedup_vs_{name}"] for r in norm])
            s["norm"][f"{name}_cpu_per_wall"] = _median([r[f"{name}_cpu_per_wall"]
                                                         for r in norm])
    if payload["threads"]:
        s["threads"] = {r["function"]: r.get("speedup") for r in payload["threads"]}
    return s


def write_plot(path, payload):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not installed: no plot")
        return False
    cs, norm, threads, reg = (payload[k] for k in ("cs", "norm", "threads", "regression"))
    panels = [p for p in ("cs", "norm", "threads", "regression") if payload[p]]
    if not panels:
        return False
    from matplotlib.ticker import NullFormatter

    ncols = 2 if len(panels) > 1 else 1
    nrows = (len(panels) + 1) // 2
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.0 * ncols, 4.6 * nrows), squeeze=False)
    axes = list(axes.ravel())
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    if cs:
        ax = axes.pop(0)
        ypos = np.arange(len(cs))
        ax.barh(ypos - 0.2, [r["skreg_median_s"] for r in cs], height=0.4, label="skreg")
        ax.barh(ypos + 0.2, [r["numpy_median_s"] for r in cs], height=0.4, label="numpy")
        for y, r in zip(ypos, cs):
            ax.text(r["numpy_median_s"] * 1.1, y + 0.2, f"{r['speedup']:.0f}x", va="center",
                    fontsize=7)
        ax.set_xscale("log")
        ax.set_yticks(ypos, [f"{PRIOR_SHORT[r['prior']]} {r['ratio']}" for r in cs],
                      fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("median seconds per recovery (1 thread)")
        ax.set_title("cs_recover vs numpy (same algorithm)", fontsize=9)
        ax.legend(fontsize=7)
    if norm:
        ax = axes.pop(0)
        ypos = np.arange(len(norm))
        for j, (name, label) in enumerate((("skreg", "skreg (ADMM)"), ("cvxpy", "cvxpy"),
                                           ("highs", "HiGHS"))):
            ax.barh(ypos - 0.27 + 0.27 * j, [r[f"{name}_median_s"] or np.nan for r in norm],
                    height=0.27, label=label)
        ax.set_xscale("log")
        ax.set_yticks(ypos, [f"{r['norm']} {r['ratio']}" for r in norm], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("median seconds per problem (equal objective)")
        ax.set_title("l1 / linf recovery", fontsize=9)
        ax.legend(fontsize=7)
    if threads:
        ax = axes.pop(0)
        names = [r["function"] for r in threads]
        xpos = np.arange(len(threads))
        keys = [k for k in ("1", str(N_CPUS)) if all(k in r["runs"] for r in threads)]
        for j, k in enumerate(keys):
            ax.bar(xpos - 0.2 + 0.4 * j, [r["runs"][k]["median_s"] for r in threads],
                   width=0.4, label=f"n_threads={k} (BLAS 1 thread)")
        for x, r in zip(xpos, threads):
            if r.get("speedup"):
                ax.text(x, r["runs"]["1"]["median_s"] * 1.02, f"{r['speedup']:.2f}x",
                        ha="center", fontsize=8)
        ax.set_xticks(xpos, names)
        ax.set_ylabel(f"seconds for a batch of {threads[0]['batch']}")
        ax.set_title(f"threads ({N_CPUS} cores)", fontsize=9)
        ax.legend(fontsize=7)
    if reg:
        ax = axes.pop(0)
        ypos = np.arange(len(reg))
        names = ("CSRegression", "CSRegressionCV", "LinearRegression (sklearn)")
        for j, name in enumerate(names):
            ax.barh(ypos - 0.27 + 0.27 * j, [r["estimators"][name]["median_s"] for r in reg],
                    height=0.27, label=name)
        ax.set_xscale("log")
        ax.set_yticks(ypos, [f"{PRIOR_SHORT[r['prior']]} {r['n']}x{r['p']}" for r in reg],
                      fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("fit seconds")
        ax.set_title("CSRegression fits", fontsize=9)
        ax.legend(fontsize=7)
    for ax in fig.axes:
        ax.xaxis.set_minor_formatter(NullFormatter())
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------
PARTS = ("cs", "norm", "threads", "regression")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer problems (< 2 min)")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated subset of {','.join(PARTS)}")
    parser.add_argument("--repeats", type=int, default=None,
                        help="max timed calls per problem (default 3, quick 1)")
    parser.add_argument("--cs-problems", type=int, default=None,
                        help="problems per (prior, M/N) of part 1 (default 20, quick 3)")
    parser.add_argument("--norm-problems", type=int, default=None,
                        help="problems per (norm, M/N) of part 2 (default 20, quick 3)")
    parser.add_argument("--batch", type=int, default=BATCH, help="problems of part 3")
    parser.add_argument("--skip-compile", action="store_true",
                        help="skip the compile timings in fresh processes")
    parser.add_argument("--output", default=None,
                        help="output path without extension (default "
                        "benchmarks/results/cauchy_schwarz, quick: ..._quick)")
    args = parser.parse_args(argv)
    full = not args.quick
    defaults = {"repeats": (3, 1), "cs_problems": (20, 3), "norm_problems": (20, 3)}
    for key, (f, q) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, f if full else q)
    args.regression_sizes = [(2000, 50)] + ([(20000, 200)] if full else [])
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {PARTS}")
    if args.output is None:
        args.output = os.path.join(HERE, "results",
                                   "cauchy_schwarz" + ("_quick" if args.quick else ""))
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    import numba
    from threadpoolctl import threadpool_info

    import skreg

    t_start = time.perf_counter()
    skreg.set_num_threads(N_CPUS)
    meta = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "argv": argv,
        "args": {k: v for k, v in vars(args).items()},
        "commit": git_commit(),
        "versions": versions(["skreg", "numpy", "scipy", "numba", "cvxpy", "clarabel",
                              "sklearn"]),
        "machine": machine_info(),
        "numba_threads": int(numba.config.NUMBA_NUM_THREADS),
        "skreg_threads": int(skreg.get_num_threads()),
        "numba_threading_layer": None,
        "blas_threads": [f"{pool['prefix']} {pool['num_threads']}"
                         for pool in threadpool_info() if pool["user_api"] == "blas"],
        "load_average_start": " ".join(f"{v:.1f}" for v in os.getloadavg()),
        "constants": {"N": N, "n_restarts": N_RESTARTS, "cs_max_iter": CS_MAX_ITER,
                      "cs_tol": CS_TOL, "cs_zero_tol": CS_ZERO_TOL,
                      "success_tol": SUCCESS_TOL, "sin2_agree": SIN2_AGREE,
                      "norm_tol": NORM_TOL, "objective_target": OBJ_TARGET,
                      "feasibility_tol": FEAS_TOL, "l1_sparsity": L1_SPARSITY,
                      "regression_noise": REG_NOISE},
        "timing": "all solvers in this process, after a warm-up; per problem: one call, "
                  "repeated up to --repeats times for calls < 10 s (5 / 3 / 1 rule of the "
                  "harness), median kept; parts 1-2 with numba and BLAS on one thread",
    }
    payload = {"meta": meta, "first_calls": None, "compile": None, "cs": [], "norm": [],
               "threads": [], "regression": [], "summary": None}
    meta["svd_probe_start"] = svd_probe()
    log(f"SVD probe (ms, BLAS all / one thread): {meta['svd_probe_start']}")
    log("warm-up (first calls in this process)")
    payload["first_calls"] = warm_up()
    log("  " + ", ".join(f"{k} {v:.2f} s" for k, v in payload["first_calls"].items()))
    meta["numba_threading_layer"] = numba.threading_layer()  # known after a parallel call
    # warm the anchors too (imports, first-call costs)
    A0 = np.random.default_rng(0).standard_normal((5, 10))
    b0 = A0 @ np.ones(10)
    for norm in ("l1", "linf"):
        for name in ("cvxpy", "highs"):
            _norm_solve(name, norm, A0, b0)
    np_cs_recover(A0, b0, "binary", n_restarts=1, max_iter=10)
    svd_probe(1, 1)
    runners = {"cs": run_cs_part, "norm": run_norm_part, "threads": run_threads_part,
               "regression": run_regression_part}
    meta["errors"] = []
    for part in PARTS:
        if part not in args.parts:
            continue
        log(f"part {part} ({time.perf_counter() - t_start:.0f} s elapsed)")
        meta.setdefault("load_average_parts", {})[part] = " ".join(
            f"{v:.1f}" for v in os.getloadavg())
        try:
            payload[part] = runners[part](args)
        except Exception as exc:  # record and go on
            log(f"    ERROR {type(exc).__name__}: {exc}")
            meta["errors"].append({"part": part, "error": f"{type(exc).__name__}: {exc}"[:500],
                                   "traceback": traceback.format_exc()[-2000:]})
        payload["summary"] = summarize(payload)
        write_json(args.output + ".json", payload)
    if not args.skip_compile:
        log("compile timings (fresh subprocesses, empty then warm NUMBA_CACHE_DIR)")
        payload["compile"] = compile_timings()
    payload["summary"] = summarize(payload)
    meta["total_s"] = time.perf_counter() - t_start
    meta["load_average_end"] = " ".join(f"{v:.1f}" for v in os.getloadavg())
    meta["svd_probe_end"] = svd_probe()
    write_json(args.output + ".json", payload)
    write_markdown(args.output + ".md", payload)
    plotted = write_plot(args.output + ".png", payload)
    log(f"done in {meta['total_s']:.0f} s: {args.output}.json, .md"
        + (", .png" if plotted else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
