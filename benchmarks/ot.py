"""Benchmark the optimal transport solvers of ``skreg.ot`` against POT.

Run from the repository root::

    python benchmarks/ot.py               # full run: n = 1000, 4000, 20000 (about an hour
                                          # with the default 120 s budget on 2 cores)
    python benchmarks/ot.py --quick       # n = 500, 1000 and a 10 s budget: about 5 min
    python benchmarks/ot.py --sizes 1000,4000 --dims 2 --eps-factors 0.01 --budget 60
    python benchmarks/ot.py --solvers 'skreg|POT sinkhorn$'   # a subset of the solvers

All solvers run in this process, side by side, on the same data, after a warm-up on a tiny
problem that excludes JIT compilation (compile time is reported separately, from fresh
processes, unless ``--skip-compile``):

* **Data**: ``X ~ N(0, I_d)``, ``Y ~ 0.8 N(0, I_d) + 1`` (the first ``n`` of 20000 points drawn
  once per ``d``), uniform weights, squared Euclidean cost; ``epsilon = factor x median`` of
  the cost, the median estimated on 10^6 random pairs of the n = 20000 sample (the same
  epsilon for every n). Target: L1 marginal error ``max(||P 1 - a||_1, ||P^T 1 - b||_1)``
  <= 1e-6.
* **Solvers**: skreg ``sinkhorn(method="stabilized")`` on the cost matrix; skreg
  ``sinkhorn(method="log")`` on the points ``(X, Y)`` (cost on the fly, O(n) memory); skreg
  ``sinkhorn_newton_sparse`` (SNS) on the cost matrix; skreg ``sinkhorn(truncation=1e-30)``
  ("skreg truncated", the stabilized method on a truncated sparse kernel); POT
  ``ot.sinkhorn(method="sinkhorn")`` (the kernel ``exp(-M / reg)``) and
  ``method="sinkhorn_log"``; POT ``ot.emd`` (exact, for the cost gap; in a spawned process
  killed after ``--emd-seconds``, and only up to ``--emd-max-n``); regot's ``sinkhorn_ssns``
  when regot is installed. skreg's solvers run at their defaults (``tol=1e-6``, epsilon
  scaling 0.5, checks every 10 iterations).
* **Equal accuracy**: every solver's L1 marginal error is measured here, from the plan it
  returns or (skreg without a plan) from its potentials, never taken from the solver. POT's
  ``stopThr`` is compared with ``||b - P^T 1||_2`` (the row marginal is exact after its
  u-update), an L2 norm: L2 <= L1 <= sqrt(m) L2. POT starts at ``stopThr = 1e-6`` (the loosest
  threshold that can reach L1 = 1e-6); when it stops with a measured L1 error above 1e-6 it is
  continued (``warmstart`` from its own last iterate: the same iterates as one longer run) with
  ``stopThr = 0.9 * 1e-6 * L2 / L1`` from the measured L2/L1 ratio, up to 5 times: POT's total
  time and iterations are the sums. The thresholds used are in the JSON.
* **Budget**: every solver gets ``--budget`` seconds (default 120, quick 10). Its per-iteration
  time is measured on short runs of the same call (iteration caps 20, 80, 320, ... until a
  run takes a tenth of the budget; SNS: Newton steps 1, 4, 16, ...) and its iteration cap is
  set so that the run ends within the budget; a run stopped by that cap is reported as "not
  converged within budget". A solver that was not converged within the budget at a smaller
  n of the same (d, epsilon) runs with a tenth of the budget at the larger sizes (enough to
  measure its per-iteration time). POT's kernel Sinkhorn that reports "numerical errors" or
  returns a plan with NaN/inf is reported as "failed". A dense solver whose n x n float64
  arrays (cost, kernel, plan, POT's temporaries) would exceed ``--max-dense-gib`` (default 4
  GiB) is "skipped: memory" (at n = 20000 only skreg's log method runs).
* **Per iteration**: wall time / iterations of the run, and a steady-state time per iteration:
  the slope between two warm-started runs of k and 2k iterations from the solver's own final
  iterate (no stopping, no epsilon scaling, so neither the set-up nor absorptions count).
* **Derived**: per-iteration ratios skreg stabilized / POT kernel (target <= 1.5) and POT
  sinkhorn_log / skreg stabilized (target >= 20); iterations of skreg stabilized / Newton
  steps of SNS (target >= 10); log-log slopes of time and per-iteration time in n; a thread
  part: skreg's steady-state per-iteration time at n = 4000 (quick 1000) with
  ``skreg.set_num_threads(1)`` and all cores.

Results go to ``benchmarks/results/ot.{json,md,png}`` (quick: ``ot_quick.*``); see
``benchmarks/README.md``.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone

import numpy as np
from scipy.spatial.distance import cdist

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

# this file is named ot.py: drop its folder from the path so that ``import ot`` is POT
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]

TOL = 1e-6
N_MEDIAN_PAIRS = 1_000_000
N_POOL = 20_000  # points drawn per d; the median of the cost is estimated on this sample
SOLVERS = ("skreg stabilized", "skreg log (X, Y)", "skreg SNS", "POT sinkhorn",
           "POT sinkhorn_log", "POT emd", "regot ssns", "skreg truncated")
ITERATIVE = SOLVERS[:5] + SOLVERS[6:]
#: n x n float64 arrays each solver holds at its peak (cost, kernel, plan, temporaries)
DENSE_ARRAYS = {"skreg stabilized": 3, "skreg log (X, Y)": 0, "skreg SNS": 4,
                "POT sinkhorn": 5, "POT sinkhorn_log": 5, "POT emd": 3, "regot ssns": 3,
                "skreg truncated": 2}
#: skreg forms the plan of a cost given as points only up to this size (skreg.ot._sinkhorn)
SKREG_PLAN_BYTES = 2 * 1024**3
POT_MAX_CONTINUATIONS = 5
GROWTH = 4  # factor between the iteration caps of the probing runs


# --------------------------------------------------------------------------------------------
# data and accuracy
# --------------------------------------------------------------------------------------------
def point_pool(d, seed=0):
    """``N_POOL`` points of each measure; the cases take the first n of them."""
    from skreg.datasets import make_point_clouds

    return make_point_clouds(N_POOL, N_POOL, d, random_state=np.random.default_rng([seed, d]))


def median_cost(X, Y, seed=0):
    """Median of the squared Euclidean cost over ``N_MEDIAN_PAIRS`` random pairs."""
    rng = np.random.default_rng([seed, 1])
    i = rng.integers(0, len(X), N_MEDIAN_PAIRS)
    j = rng.integers(0, len(Y), N_MEDIAN_PAIRS)
    return float(np.median(np.sum((X[i] - Y[j]) ** 2, axis=1)))


def dense_bytes(solver, n):
    count = DENSE_ARRAYS[solver]
    if solver == "skreg log (X, Y)" and 8 * n * n <= SKREG_PLAN_BYTES:
        count = 1  # the returned plan
    return count * 8 * n * n


def measure_plan(P, a, b, C):
    """L1 marginal errors and ``<P, C>`` of a dense plan."""
    rows, cols = P.sum(axis=1), P.sum(axis=0)
    err_a = float(np.abs(rows - a).sum())
    err_b = float(np.abs(cols - b).sum())
    return {"err_a": err_a, "err_b": err_b, "l1_error": max(err_a, err_b),
            "l2_error_b": float(np.linalg.norm(cols - b)), "cost": float(np.sum(P * C)),
            "finite": bool(np.all(np.isfinite(P))), "measured_from": "plan"}


def measure_potentials(f, g, a, b, X, Y, eps, block_entries=4_000_000):
    """The same from the potentials, ``P_ij = exp((f_i + g_j - C_ij) / eps)``, in row blocks
    (the cost recomputed with scipy's cdist: O(block) memory)."""
    n, m = len(f), len(g)
    rows, cols, cost = np.empty(n), np.zeros(m), 0.0
    step = max(1, block_entries // m)
    for s in range(0, n, step):
        Cb = cdist(X[s:s + step], Y, "sqeuclidean")
        Pb = np.exp((f[s:s + step, None] + g[None, :] - Cb) / eps)
        rows[s:s + step] = Pb.sum(axis=1)
        cols += Pb.sum(axis=0)
        cost += float(np.sum(Pb * Cb))
    err_a = float(np.abs(rows - a).sum())
    err_b = float(np.abs(cols - b).sum())
    return {"err_a": err_a, "err_b": err_b, "l1_error": max(err_a, err_b),
            "l2_error_b": float(np.linalg.norm(cols - b)), "cost": cost,
            "finite": bool(np.isfinite(cost)), "measured_from": "potentials"}


# --------------------------------------------------------------------------------------------
# solver adapters: run(cap) -> dict(wall, units, status, iterations, accuracy, state)
#   units: what the cap counts (Sinkhorn iterations; Newton steps for SNS)
#   status: "converged" (measured L1 <= TOL), "cap" (stopped by the cap), "failed: ...",
#           "stopped above target" (the solver stopped by itself above TOL)
# --------------------------------------------------------------------------------------------
class Problem:
    def __init__(self, X, Y, eps, need_cost):
        self.X, self.Y, self.eps = X, Y, eps
        self.n = len(X)
        self.a = np.full(self.n, 1.0 / self.n)
        self.b = np.full(len(Y), 1.0 / len(Y))
        self.C = cdist(X, Y, "sqeuclidean") if need_cost else None


def _timed(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        out = fn()
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    return out, wall, cpu, [f"{type(w.message).__name__}: {w.message}"[:200] for w in caught]


def _skreg_accuracy(pb, res):
    if res.plan is not None:
        return measure_plan(res.plan, pb.a, pb.b, pb.C if pb.C is not None
                            else cdist(pb.X, pb.Y, "sqeuclidean"))
    return measure_potentials(res.f, res.g, pb.a, pb.b, pb.X, pb.Y, pb.eps)


def _skreg_outcome(pb, res, wall, cpu, warns, capped):
    """Status from the measured accuracy; a run stopped by its cap that does not claim
    convergence is measured later, by :func:`budgeted`, only if it is the final run (without
    a plan the measurement is an O(n m) pass over the potentials)."""
    if capped and not res.converged:
        acc, status = None, "cap"
    else:
        acc = _skreg_accuracy(pb, res)
        ok = acc["finite"] and acc["l1_error"] <= TOL
        status = "converged" if ok else ("cap" if capped else (
            "failed: non-finite plan" if not acc["finite"] else "stopped above target"))
    return {"wall": wall, "cpu": cpu, "status": status, "accuracy": acc, "warnings": warns,
            "measure": lambda: _skreg_accuracy(pb, res),
            "reported": {"converged": res.converged, "marginal_error_a": res.marginal_error_a,
                         "marginal_error_b": res.marginal_error_b, "cost": res.cost,
                         "n_absorptions": res.n_absorptions},
            "state": (res.f, res.g)}


def run_skreg_sinkhorn(pb, method, cap, truncation=None):
    from skreg.ot import sinkhorn

    cost = pb.C if method == "stabilized" else (pb.X, pb.Y)
    res, wall, cpu, warns = _timed(lambda: sinkhorn(pb.a, pb.b, cost, pb.eps, method=method,
                                                    tol=TOL, max_iter=cap, warn=False,
                                                    truncation=truncation))
    out = _skreg_outcome(pb, res, wall, cpu, warns, res.n_iter >= cap)
    out.update(units=res.n_iter, iterations=res.n_iter)
    return out


def run_skreg_sns(pb, cap):
    from skreg.ot import sinkhorn_newton_sparse

    res, wall, cpu, warns = _timed(lambda: sinkhorn_newton_sparse(
        pb.a, pb.b, pb.C, pb.eps, tol=TOL, max_iter=cap, warn=False))
    out = _skreg_outcome(pb, res, wall, cpu, warns, res.n_newton >= cap)
    out.update(units=res.n_newton, iterations=res.n_iter + res.n_newton,
               warmup_iterations=res.n_iter, newton_steps=res.n_newton)
    return out


def run_pot(pb, method, cap):
    """POT's Sinkhorn, continued (warm start) with a tighter ``stopThr`` until the measured
    L1 error reaches TOL: see the module docstring."""
    import ot

    used, wall, cpu, thresholds, warns = 0, 0.0, 0.0, [], []
    thr, warm, status, acc, state = TOL, None, None, None, None
    for _ in range(POT_MAX_CONTINUATIONS + 1):
        remaining = cap - used
        if remaining <= 0:
            status = "cap"
            break

        def solve(thr=thr, warm=warm, remaining=remaining):
            return ot.sinkhorn(pb.a, pb.b, pb.C, pb.eps, method=method, numItermax=remaining,
                               stopThr=thr, log=True, warn=True, warmstart=warm)

        try:
            (P, info), w, c, caught = _timed(solve)
        except Exception as exc:
            status = f"failed: {type(exc).__name__}: {exc}"[:300]
            break
        wall += w
        cpu += c
        used += int(info["niter"]) + 1
        thresholds.append(thr)
        warns += caught
        numerical = [m for m in caught if "numerical errors" in m]
        acc = measure_plan(P, pb.a, pb.b, pb.C)
        if not acc["finite"]:
            status = "failed: NaN/inf in the plan"
            break
        if numerical:
            status = f"failed: {numerical[0].split(': ', 1)[-1]}"
            break
        state = ((np.log(info["u"]), np.log(info["v"])) if method == "sinkhorn"
                 else (info["log_u"], info["log_v"]))
        if acc["l1_error"] <= TOL:
            status = "converged"
            break
        if any("did not converge" in m for m in caught):
            status = "cap"
            break
        # stopped on its own L2 criterion above the L1 target: continue, tighter
        thr = 0.9 * TOL * acc["l2_error_b"] / acc["l1_error"]
        warm = state
    else:
        status = "stopped above target"
    return {"wall": wall, "cpu": cpu, "status": status, "accuracy": acc, "warnings": warns,
            "units": used, "iterations": used, "stop_thresholds": thresholds,
            "pot_calls": len(thresholds), "state": state}


def run_regot(pb, cap):
    import regot

    # regot's tol bounds a norm of the marginal errors; L2 <= tol / sqrt(n + m) implies
    # L1 <= tol (for the stacked errors, so for each side)
    tol = TOL / np.sqrt(2 * pb.n)
    res, wall, cpu, warns = _timed(lambda: regot.sinkhorn_ssns(pb.C, pb.a, pb.b, pb.eps,
                                                               tol=tol, max_iter=cap))
    iters = int(getattr(res, "niter", -1))
    acc = measure_plan(np.asarray(res.plan), pb.a, pb.b, pb.C)
    ok = acc["finite"] and acc["l1_error"] <= TOL
    status = "converged" if ok else ("cap" if iters >= cap else "stopped above target")
    return {"wall": wall, "cpu": cpu, "status": status, "accuracy": acc, "warnings": warns,
            "units": iters, "iterations": iters, "regot_tol": tol, "state": None}


def adapter(name, pb):
    if name == "skreg stabilized":
        return lambda cap: run_skreg_sinkhorn(pb, "stabilized", cap)
    if name == "skreg log (X, Y)":
        return lambda cap: run_skreg_sinkhorn(pb, "log", cap)
    if name == "skreg truncated":
        return lambda cap: run_skreg_sinkhorn(pb, "stabilized", cap, truncation=1e-30)
    if name == "skreg SNS":
        return lambda cap: run_skreg_sns(pb, cap)
    if name == "POT sinkhorn":
        return lambda cap: run_pot(pb, "sinkhorn", cap)
    if name == "POT sinkhorn_log":
        return lambda cap: run_pot(pb, "sinkhorn_log", cap)
    if name == "regot ssns":
        return lambda cap: run_regot(pb, cap)
    raise ValueError(name)


def budgeted(run, budget, first_cap, probe_seconds, max_repeats):
    """Probe the per-unit time with growing caps, then run with the cap that fits the budget.

    Returns the measured run (with ``probes``, ``cap``, ``times``) or the failed one.
    """
    probes = []
    cap = first_cap
    try:
        while True:
            out = run(cap)
            probes.append({"cap": cap, "wall": out["wall"], "units": out["units"],
                           "status": out["status"]})
            if out["status"] != "cap" or out["wall"] >= probe_seconds or out["wall"] >= budget:
                break
            cap *= GROWTH
        if out["status"] == "cap" and out["wall"] < budget:
            last = probes[-1]
            rate = last["wall"] / max(last["units"], 1)
            if len(probes) >= 2:
                prev = probes[-2]
                du = last["units"] - prev["units"]
                if du > 0 and last["wall"] > prev["wall"]:
                    rate = (last["wall"] - prev["wall"]) / du
            cap = int(last["units"] + max(budget - last["wall"], 0.0) / max(rate, 1e-12))
            if cap > last["units"]:
                out = run(cap)
            else:
                cap = last["cap"]
        times = [out["wall"]]
        if out["status"] == "converged":
            for _ in range(n_repeats(out["wall"], max_repeats) - 1):
                again = run(cap)
                times.append(again["wall"])
    except Exception as exc:  # a solver crashing must not stop the benchmark
        return {"status": f"failed: {type(exc).__name__}: {exc}"[:300], "probes": probes}
    measure = out.pop("measure", None)
    if out.get("accuracy") is None and measure is not None:
        out["accuracy"] = measure()
    out["cap"] = cap
    out["probes"] = probes
    out["times"] = times
    out["wall_median"] = float(np.median(times))
    if out["status"] == "cap":
        out["status"] = "not converged within budget"
    return out


# --------------------------------------------------------------------------------------------
# steady-state time per iteration: slope between warm-started runs of k and 2k iterations
# --------------------------------------------------------------------------------------------
def steady_runner(name, pb, state):
    """``fixed(k) -> (wall, iterations done)``, warm-started from ``state``, never stopping."""
    if state is None or not all(np.all(np.isfinite(s)) for s in state):
        return None
    if name in ("skreg stabilized", "skreg log (X, Y)"):
        from skreg.ot import sinkhorn

        method = "stabilized" if name == "skreg stabilized" else "log"
        cost = pb.C if method == "stabilized" else (pb.X, pb.Y)

        def fixed(k):
            res, wall, _, _ = _timed(lambda: sinkhorn(
                pb.a, pb.b, cost, pb.eps, method=method, tol=1e-300, max_iter=k,
                epsilon_scaling=None, init=state, return_plan=False, warn=False))
            return wall, res.n_iter
        return fixed
    if name in ("POT sinkhorn", "POT sinkhorn_log"):
        import ot

        method = name.split()[1]

        def fixed(k):
            (_, info), wall, _, caught = _timed(lambda: ot.sinkhorn(
                pb.a, pb.b, pb.C, pb.eps, method=method, numItermax=k, stopThr=0.0,
                log=True, warn=False, warmstart=state))
            done = int(info["niter"]) + 1
            if any("numerical errors" in m for m in caught):
                done = -1
            return wall, done
        return fixed
    return None


def steady_per_iteration(fixed, per_iter_guess, seconds, repeats=None):
    """Slope of the wall time between k and 2k iterations (min over ``repeats``: 2, or 1
    when k iterations take more than 4 ``seconds``)."""
    k = int(max(5, min(100_000, seconds / max(per_iter_guess, 1e-9))))
    if repeats is None:
        repeats = 1 if k * per_iter_guess > 4 * seconds else 2
    best = {}
    for kk in (k, 2 * k):
        walls = []
        for _ in range(repeats):
            wall, done = fixed(kk)
            if done != kk:
                return None, k
            walls.append(wall)
        best[kk] = min(walls)
    slope = (best[2 * k] - best[k]) / k
    return (slope if slope > 0 else None), k


# --------------------------------------------------------------------------------------------
# POT emd in a spawned process (killed after a timeout)
# --------------------------------------------------------------------------------------------
_EMD_SCRIPT = r"""
import json, sys, time
import numpy as np
import ot
d = sys.argv[1]
a, b, M = (np.load(f"{d}/{k}.npy") for k in "abM")
t0 = time.perf_counter()
P, info = ot.emd(a, b, M, numItermax=2_000_000_000, log=True)
wall = time.perf_counter() - t0
print("RESULT " + json.dumps({"wall": wall, "cost": float(np.sum(P * M)),
      "err_a": float(np.abs(P.sum(1) - a).sum()), "err_b": float(np.abs(P.sum(0) - b).sum()),
      "warning": info.get("warning"), "result_code": int(info.get("result_code", -1))}))
"""


def run_emd(pb, timeout):
    with tempfile.TemporaryDirectory(prefix="skreg-ot-emd-") as tmp:
        for key, arr in (("a", pb.a), ("b", pb.b), ("M", pb.C)):
            np.save(os.path.join(tmp, key + ".npy"), arr)
        try:
            proc = subprocess.run([sys.executable, "-c", _EMD_SCRIPT, tmp], cwd=REPO_ROOT,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"status": f"not finished within {timeout:g} s (killed)"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
        return {"status": f"failed: {tail[0] if tail else proc.returncode}"[:300]}
    res = json.loads(lines[-1][len("RESULT "):])
    l1 = max(res["err_a"], res["err_b"])
    status = "converged" if (l1 <= TOL and not res["warning"]) else (
        f"failed: {res['warning'] or 'marginals off'}")
    return {"status": status, "wall": res["wall"], "wall_median": res["wall"],
            "times": [res["wall"]], "iterations": None,
            "accuracy": {"err_a": res["err_a"], "err_b": res["err_b"], "l1_error": l1,
                         "cost": res["cost"], "measured_from": "plan"},
            "note": "spawned process (timeout); time of ot.emd alone"}


# --------------------------------------------------------------------------------------------
# one case
# --------------------------------------------------------------------------------------------
def first_cap(name):
    return 1 if name in ("skreg SNS", "regot ssns") else 20


def summarize_record(rec):
    """Per-iteration time and the printed line of one solver's record."""
    wall = rec.get("wall_median")
    its = rec.get("iterations")
    if wall is not None and its:
        rec["per_iteration_s"] = wall / its
    return rec


def run_case(case, pool, args, solvers, history, regot_ok):
    d, n, factor, eps = case["d"], case["n"], case["eps_factor"], case["epsilon"]
    X, Y = pool[0][:n], pool[1][:n]
    limit = args.max_dense_gib * 1024**3
    runnable = {}
    records = {}
    for name in solvers:
        if name == "regot ssns" and not regot_ok:
            records[name] = {"status": "regot not installed"}
        elif dense_bytes(name, n) > limit:
            records[name] = {"status": f"skipped: memory ({dense_bytes(name, n) / 1024**3:.1f} "
                                       f"GiB of n x n arrays > {args.max_dense_gib:g} GiB)"}
        elif name == "POT emd" and n > args.emd_max_n:
            records[name] = {"status": f"skipped: n > {args.emd_max_n} (--emd-max-n)"}
        else:
            runnable[name] = True
    # the cost matrix: for every solver but skreg's on-the-fly one (and for measuring the
    # latter's plan when it returns one)
    need_cost = any(s != "skreg log (X, Y)" or dense_bytes(s, n) > 0 for s in runnable)
    pb = Problem(X, Y, eps, need_cost)
    key = (d, factor)
    states = {}
    for name in solvers:
        if name not in runnable:
            continue
        if name == "POT emd":
            rec = run_emd(pb, args.emd_seconds)
        else:
            budget = args.budget
            hopeless = history.get((key, name))
            if hopeless is not None:
                budget = args.budget / 10
            rec = budgeted(adapter(name, pb), budget, first_cap(name), budget / 10,
                           args.repeats)
            rec["budget_s"] = budget
            if hopeless is not None:
                rec["reduced_budget"] = f"not converged within budget at n={hopeless}"
            if rec["status"] == "not converged within budget" and hopeless is None:
                history[(key, name)] = n
            states[name] = rec.pop("state", None)
        summarize_record(rec)
        records[name] = rec
        acc = rec.get("accuracy") or {}
        extra = ""
        if name == "skreg SNS" and "newton_steps" in rec:
            extra = f" (warm-up {rec['warmup_iterations']} + Newton {rec['newton_steps']})"
        if name.startswith("POT sinkhorn") and rec.get("pot_calls", 1) > 1:
            extra = f" ({rec['pot_calls']} POT calls, stopThr {rec['stop_thresholds'][-1]:.2g})"
        log(f"    {name:18s} {rec['status'][:60]:30s} "
            f"{format_seconds(rec.get('wall_median')):>9s} it {rec.get('iterations')}{extra} "
            f"L1 {acc.get('l1_error', float('nan')):.2e}")
    # steady-state per-iteration times
    for name, state in states.items():
        rec = records[name]
        fixed = steady_runner(name, pb, state)
        if fixed is None or not rec.get("per_iteration_s"):
            continue
        try:
            slope, k = steady_per_iteration(fixed, rec["per_iteration_s"], args.steady_seconds)
        except Exception as exc:
            rec["steady_error"] = f"{type(exc).__name__}: {exc}"[:200]
            continue
        rec["steady_per_iteration_s"] = slope
        rec["steady_k"] = k
    # costs against the exact one
    emd = records.get("POT emd", {})
    emd_cost = (emd.get("accuracy") or {}).get("cost") if emd.get("status") == "converged" \
        else None
    case["emd_cost"] = emd_cost
    for rec in records.values():
        acc = rec.get("accuracy") or {}
        if (emd_cost and acc.get("cost") is not None and rec is not emd
                and rec.get("status") == "converged"):
            rec["cost_gap_vs_emd"] = (acc["cost"] - emd_cost) / emd_cost
    case["records"] = {s: records[s] for s in solvers if s in records}
    case["derived"] = derived(records)
    return case, states


def _per_iter(rec, steady=False):
    if rec is None or rec.get("per_iteration_s") is None:
        return None
    if rec.get("status", "").startswith(("failed", "skipped")):
        return None
    return rec.get("steady_per_iteration_s") if steady else rec["per_iteration_s"]


def derived(records):
    st, pk = records.get("skreg stabilized"), records.get("POT sinkhorn")
    pl, sns = records.get("POT sinkhorn_log"), records.get("skreg SNS")
    lg = records.get("skreg log (X, Y)")
    out = {}
    for steady in (False, True):
        suffix = "_steady" if steady else ""
        s, k, p, q = (_per_iter(r, steady) for r in (st, pk, pl, lg))
        out["stabilized_over_pot_kernel" + suffix] = s / k if s and k else None
        out["pot_log_over_stabilized" + suffix] = p / s if p and s else None
        out["skreg_log_over_pot_log" + suffix] = q / p if q and p else None
    if st and pk and st.get("status") == "converged" and pk.get("status") == "converged":
        out["time_stabilized_over_pot_kernel"] = st["wall_median"] / pk["wall_median"]
    if st and sns and st.get("status") == "converged" and sns.get("status") == "converged":
        out["sinkhorn_over_newton_steps"] = st["iterations"] / max(sns["newton_steps"], 1)
        out["sinkhorn_over_sns_total"] = st["iterations"] / max(sns["iterations"], 1)
        out["time_sns_over_stabilized"] = sns["wall_median"] / st["wall_median"]
    return out


# --------------------------------------------------------------------------------------------
# threads, warm-up, compile
# --------------------------------------------------------------------------------------------
def run_threads(pool, n, eps, state, seconds, blas_threads=None):
    """skreg stabilized (and log) steady-state time per iteration, 1 thread vs all cores."""
    import skreg

    X, Y = pool[0][:n], pool[1][:n]
    pb = Problem(X, Y, eps, True)
    out = {"n": n, "epsilon": eps, "cpu_count": os.cpu_count(), "runs": {}}
    previous = skreg.get_num_threads()
    skreg.set_num_threads(None)
    all_threads = skreg.get_num_threads()
    try:
        for name in ("skreg stabilized", "skreg log (X, Y)", "POT sinkhorn"):
            st = state.get(name)
            if st is None:
                continue
            fixed = steady_runner(name, pb, st)
            if fixed is None:
                continue
            counts = (1, all_threads) if name.startswith("skreg") else (None,)
            for threads in counts:
                if threads is not None:
                    skreg.set_num_threads(threads)
                wall, _ = fixed(10)
                slope, k = steady_per_iteration(fixed, wall / 10, seconds)
                label = (f"{name} {threads}t" if threads else
                         f"{name} (BLAS threads: {blas_threads or 'as is'})")
                out["runs"][label] = slope
                log(f"  threads: {label}: {format_seconds(slope)} per iteration (k={k})")
    finally:
        skreg.set_num_threads(previous)
    runs = out["runs"]
    for name in ("skreg stabilized", "skreg log (X, Y)"):
        one, alln = runs.get(f"{name} 1t"), runs.get(f"{name} {all_threads}t")
        if one and alln:
            out[f"{name} speed-up"] = one / alln
    return out


def warm_up():
    """Compile (or load from the cache) every kernel the timed calls use."""
    from skreg.ot import sinkhorn, sinkhorn_newton_sparse

    X, Y = point_pool(2)
    # above skreg.ot._sinkhorn._SERIAL_ENTRIES plan entries: the parallel kernels the
    # benchmark sizes use (smaller problems run the serial kernel)
    X, Y = X[:300], Y[:260]
    C = cdist(X, Y, "sqeuclidean")
    for method in ("stabilized", "log"):
        for cost in (C, (X, Y)):
            res = sinkhorn(None, None, cost, 0.05, method=method, warn=False)
            sinkhorn(None, None, cost, 0.05, method=method, epsilon_scaling=None,
                     init=(res.f, res.g), max_iter=20, tol=1e-300, return_plan=False,
                     warn=False)
    for solver in ("direct", "cg"):
        sinkhorn_newton_sparse(None, None, C, 0.05, linear_solver=solver, warn=False)
        sinkhorn_newton_sparse(None, None, (X, Y), 0.05, linear_solver=solver, warn=False)
    import ot

    a, b = np.full(len(X), 1 / len(X)), np.full(len(Y), 1 / len(Y))
    for method in ("sinkhorn", "sinkhorn_log"):
        ot.sinkhorn(a, b, C, 0.5, method=method, numItermax=20, warn=False)


_COMPILE_SCRIPT = r"""
import json, sys, time
import numpy as np
t0 = time.perf_counter()
import skreg
from skreg.ot import sinkhorn, sinkhorn_newton_sparse
t1 = time.perf_counter()
skreg.set_num_threads(None if sys.argv[1] == "all" else int(sys.argv[1]))
rng = np.random.default_rng(0)
# 300 x 260: above the size solved by the serial kernel, as the benchmark sizes
X, Y = rng.standard_normal((300, 2)), rng.standard_normal((260, 2)) + 1.0
C = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
sinkhorn(None, None, C, 0.05, method="stabilized")
t2 = time.perf_counter()
sinkhorn(None, None, (X, Y), 0.05, method="log")
t3 = time.perf_counter()
sinkhorn_newton_sparse(None, None, C, 0.05)
t4 = time.perf_counter()
print("RESULT " + json.dumps({"import_s": t1 - t0, "first_stabilized_s": t2 - t1,
                              "first_log_points_s": t3 - t2, "first_sns_s": t4 - t3}))
"""


# --------------------------------------------------------------------------------------------
# summary, markdown, plot
# --------------------------------------------------------------------------------------------
def slope_loglog(ns, values):
    pts = [(np.log(n), np.log(v)) for n, v in zip(ns, values) if v]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


def summary(payload):
    cases = payload["cases"]
    out = {"targets": {}, "scaling": {}, "failures": []}

    def collect(key):
        return [(c["d"], c["n"], c["eps_factor"], c["derived"].get(key)) for c in cases
                if c["derived"].get(key) is not None]

    targets = out["targets"]
    for key, goal, better in (("stabilized_over_pot_kernel", 1.5, "<="),
                              ("stabilized_over_pot_kernel_steady", 1.5, "<="),
                              ("pot_log_over_stabilized", 20.0, ">="),
                              ("pot_log_over_stabilized_steady", 20.0, ">="),
                              ("sinkhorn_over_newton_steps", 10.0, ">="),
                              ("sinkhorn_over_sns_total", None, None),
                              ("time_stabilized_over_pot_kernel", None, None),
                              ("time_sns_over_stabilized", None, None)):
        vals = collect(key)
        if goal is None:  # information, no target
            met = "-"
        else:
            ok = [(v <= goal) if better == "<=" else (v >= goal) for *_, v in vals]
            met = f"{sum(ok)}/{len(ok)}"
        targets[key] = {"goal": "-" if goal is None else f"{better} {goal:g}", "values": vals,
                        "median": float(np.median([v for *_, v in vals])) if vals else None,
                        "met": met}
    for name in ITERATIVE:
        for d in sorted({c["d"] for c in cases}):
            for f in sorted({c["eps_factor"] for c in cases}, reverse=True):
                sel = [c for c in cases if c["d"] == d and c["eps_factor"] == f]
                recs = [(c["n"], c["records"].get(name, {})) for c in sel]
                ns = [n for n, r in recs if r.get("status") == "converged"]
                walls = [r["wall_median"] for _, r in recs if r.get("status") == "converged"]
                ns_it = [n for n, r in recs if _per_iter(r)]
                per = [_per_iter(r) for _, r in recs if _per_iter(r)]
                s_time, s_iter = slope_loglog(ns, walls), slope_loglog(ns_it, per)
                if s_time is not None or s_iter is not None:
                    out["scaling"][f"{name} d={d} eps={f:g}"] = {
                        "time_slope": s_time, "per_iteration_slope": s_iter}
    for c in cases:
        for name, r in c["records"].items():
            st = r.get("status", "")
            if not (st == "converged" or st.startswith("skipped") or "not installed" in st):
                out["failures"].append(f"d={c['d']} n={c['n']} eps={c['eps_factor']:g} "
                                       f"x median: {name}: {st}")
    return out


def _fmt(v, spec=".2e"):
    return "-" if v is None else format(v, spec)


def markdown(payload):
    meta = payload["meta"]
    lines = [f"# Optimal transport ({payload['mode']})", "",
             f"`{payload.get('command', '')}`", "",
             f"{payload['date']}, {payload['machine']['cpu_count']} cores; skreg "
             f"{payload['versions'].get('skreg')} on {meta['skreg_threads']} thread(s), POT "
             f"{payload['versions'].get('ot')} (BLAS threads: "
             f"{meta.get('blas_threads') or 'as is'}); load average at start "
             f"{meta['load_average_start'][0]:.1f}, at end "
             f"{meta.get('load_average_end', [float('nan')])[0]:.1f}; "
             f"target: L1 marginal error <= {TOL:g} (measured here from each plan or the "
             f"potentials); budget {meta['budget_s']:g} s per solver; epsilon = factor x "
             f"median of the squared Euclidean cost (median: "
             + ", ".join(f"d={d}: {m:.4g}" for d, m in meta["medians"].items()) + ").", "",
             f"POT: {meta['pot_stop_rule']}", "",
             "Columns: time (median of the timed runs), iterations (SNS: Sinkhorn warm-up + "
             "Newton steps), time per iteration (wall / iterations) and its steady-state value "
             "(slope between warm-started runs of k and 2k iterations), the L1 error measured "
             "here, <P, C> and its relative gap to ot.emd's.", ""]
    for c in payload["cases"]:
        lines += [f"## d={c['d']}, n={c['n']}, epsilon = {c['eps_factor']:g} x median = "
                  f"{c['epsilon']:.4g}", "",
                  "| solver | status | time | iterations | per iteration | steady | L1 error | "
                  "<P, C> | gap vs emd |", "|---|---|---|---|---|---|---|---|---|"]
        for name, r in c["records"].items():
            acc = r.get("accuracy") or {}
            its = r.get("iterations")
            if name == "skreg SNS" and "newton_steps" in r:
                its = f"{r['warmup_iterations']} + {r['newton_steps']}"
            elif name.startswith("POT sinkhorn") and r.get("pot_calls", 1) > 1:
                its = f"{its} ({r['pot_calls']} calls)"
            status = r.get("status", "")
            if r.get("reduced_budget"):
                status += f" (budget {r['budget_s']:g} s: {r['reduced_budget']})"
            cost = acc.get("cost")
            lines.append(
                f"| {name} | {status} | {format_seconds(r.get('wall_median'))} | "
                f"{'-' if its is None else its} | {format_seconds(r.get('per_iteration_s'))} | "
                f"{format_seconds(r.get('steady_per_iteration_s'))} | "
                f"{_fmt(acc.get('l1_error'))} | {_fmt(cost, '.6g')} | "
                f"{_fmt(r.get('cost_gap_vs_emd'), '+.2e')} |")
        dv = c["derived"]
        lines += ["", "Ratios: per iteration skreg stabilized / POT kernel "
                  f"{_fmt(dv.get('stabilized_over_pot_kernel'), '.2f')} (steady "
                  f"{_fmt(dv.get('stabilized_over_pot_kernel_steady'), '.2f')}); POT log / "
                  f"skreg stabilized {_fmt(dv.get('pot_log_over_stabilized'), '.1f')} (steady "
                  f"{_fmt(dv.get('pot_log_over_stabilized_steady'), '.1f')}); skreg log / POT "
                  f"log {_fmt(dv.get('skreg_log_over_pot_log'), '.2f')}; Sinkhorn iterations / "
                  f"Newton steps {_fmt(dv.get('sinkhorn_over_newton_steps'), '.1f')} (/ SNS "
                  f"total {_fmt(dv.get('sinkhorn_over_sns_total'), '.1f')}).", ""]
    s = payload.get("summary", {})
    if s:
        lines += ["## Targets", "", "| ratio | goal | median | met | values (d, n, eps factor: "
                  "value) |", "|---|---|---|---|---|"]
        names = {"stabilized_over_pot_kernel": "per iteration: skreg stabilized / POT kernel",
                 "stabilized_over_pot_kernel_steady": "the same, steady state",
                 "pot_log_over_stabilized": "per iteration: POT sinkhorn_log / skreg stabilized",
                 "pot_log_over_stabilized_steady": "the same, steady state",
                 "sinkhorn_over_newton_steps": "iterations: skreg stabilized / SNS Newton steps",
                 "sinkhorn_over_sns_total": "iterations: skreg stabilized / SNS warm-up + Newton",
                 "time_stabilized_over_pot_kernel": "time (both converged): skreg stabilized / "
                                                    "POT kernel",
                 "time_sns_over_stabilized": "time (both converged): SNS / skreg stabilized"}
        for key, t in s["targets"].items():
            vals = "; ".join(f"{d}, {n}, {f:g}: {v:.3g}" for d, n, f, v in t["values"])
            lines.append(f"| {names[key]} | {t['goal']} | {_fmt(t['median'], '.3g')} | "
                         f"{t['met']} | {vals or '-'} |")
        lines.append("")
        if s["scaling"]:
            lines += ["## Scaling with n (log-log slopes)", "",
                      "| solver, d, epsilon factor | time (converged runs) | per iteration |",
                      "|---|---|---|"]
            for k, v in s["scaling"].items():
                lines.append(f"| {k} | {_fmt(v['time_slope'], '.2f')} | "
                             f"{_fmt(v['per_iteration_slope'], '.2f')} |")
            lines.append("")
        if s["failures"]:
            lines += ["## Not converged, failed", ""] + [f"- {x}" for x in s["failures"]] + [""]
    th = payload.get("threads")
    if th:
        lines += [f"## Threads (n={th['n']}, d=2, epsilon = 0.01 x median; steady-state time "
                  "per iteration)", ""]
        lines += [f"- {k}: {format_seconds(v)}" for k, v in th["runs"].items()]
        lines += [f"- {k}: {v:.2f}x" for k, v in th.items() if k.endswith("speed-up")]
        lines.append("")
    comp = payload.get("compile")
    if comp:
        lines += ["## Compile (fresh processes, empty then warm NUMBA_CACHE_DIR)", ""]
        for state in ("cold", "warm"):
            lines.append(f"- {state}: " + ", ".join(
                f"{k} {v:.2f} s" if isinstance(v, float) else f"{k} {v}"
                for k, v in comp[state].items()))
        lines.append("")
    lines += [f"regot: {meta['regot']}.", ""]
    return "\n".join(lines)


def plot(payload, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    cases = payload["cases"]
    groups = sorted({(c["d"], c["eps_factor"]) for c in cases}, key=lambda g: (g[0], -g[1]))
    names = [s for s in SOLVERS if any(s in c["records"] for c in cases)]
    colors = {s: f"C{i}" for i, s in enumerate(SOLVERS)}
    ncol = max(len(groups), 1)
    fig = plt.figure(figsize=(4.2 * ncol, 8))
    grid = fig.add_gridspec(2, ncol)
    for k, (d, f) in enumerate(groups):
        ax = fig.add_subplot(grid[0, k])
        sel = sorted((c for c in cases if c["d"] == d and c["eps_factor"] == f),
                     key=lambda c: c["n"])
        for name in names:
            pts = [(c["n"], c["records"][name]) for c in sel if name in c["records"]]
            pts = [(n, r) for n, r in pts if r.get("wall_median") is not None]
            if not pts:
                continue
            ok = [(n, r["wall_median"]) for n, r in pts if r["status"] == "converged"]
            if len(ok) > 1:  # lines through the converged runs only
                ax.plot(*zip(*ok), "-", color=colors[name], lw=1, alpha=0.6)
            for n, r in pts:
                ok = r["status"] == "converged"
                ax.plot(n, r["wall_median"], "o" if ok else "x", color=colors[name],
                        ms=5, label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n")
        ax.set_ylabel("seconds")
        ax.set_title(f"d={d}, eps={f:g} x median (x: not converged or failed)", fontsize=8)
    handles = {}
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    if fig.axes:
        fig.axes[0].legend(handles.values(), handles.keys(), fontsize=6)
    ax = fig.add_subplot(grid[1, :])
    bar_names = [s for s in names if s != "POT emd"]
    width = 0.8 / max(len(bar_names), 1)
    labels = []
    for i, c in enumerate(cases):
        labels.append(f"d={c['d']}\nn={c['n']}\n{c['eps_factor']:g}")
        for j, name in enumerate(bar_names):
            r = c["records"].get(name, {})
            v = r.get("steady_per_iteration_s") or r.get("per_iteration_s")
            if v is None:
                continue
            if r.get("status", "").startswith("failed"):
                continue
            ax.bar(i + (j - (len(bar_names) - 1) / 2) * width, v, width, color=colors[name],
                   label=name)
    ax.set_yscale("log")
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels(labels, fontsize=6)
    ax.set_ylabel("seconds per iteration (steady state, else wall / iterations)")
    ax.set_title("time per Sinkhorn iteration (SNS: wall / (warm-up iterations + Newton "
                 "steps); failed runs left out)", fontsize=8)
    handles = {}
    for h, lab in zip(*ax.get_legend_handles_labels()):
        handles.setdefault(lab, h)
    ax.legend(handles.values(), handles.keys(), fontsize=6, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def replot(json_path):
    """Redraw the figure (and the markdown) of a finished or interrupted run from its JSON."""
    with open(json_path) as handle:
        payload = json.load(handle)
    base = json_path[:-len(".json")]
    with open(base + ".md", "w") as handle:
        handle.write(markdown(payload))
    plot(payload, base + ".png")


# --------------------------------------------------------------------------------------------
def _floats(text, kind=float):
    return [kind(x) for x in text.split(",") if x.strip()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="n = 500, 1000 and a 10 s budget (about 5 min)")
    parser.add_argument("--sizes", default=None, help="comma-separated n (default 1000,4000,"
                        "20000; quick 500,1000)")
    parser.add_argument("--dims", default="2,10", help="comma-separated d (default 2,10)")
    parser.add_argument("--eps-factors", default="0.01,0.001",
                        help="epsilon / median of the cost (default 0.01,0.001)")
    parser.add_argument("--solvers", default=None,
                        help="regex on the solver names (re.search): " + ", ".join(SOLVERS))
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds per solver run (default 120, quick 10)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="at most this many timed runs of a converged solver (5 / 3 / 1 "
                        "for runs under 1 s / 10 s / above; default 3, quick 1)")
    parser.add_argument("--steady-seconds", type=float, default=None,
                        help="length of the shorter steady-state run (default 0.5, quick 0.1)")
    parser.add_argument("--max-dense-gib", type=float, default=4.0,
                        help="skip a solver whose n x n float64 arrays exceed this (default 4)")
    parser.add_argument("--emd-max-n", type=int, default=4000)
    parser.add_argument("--emd-seconds", type=float, default=None,
                        help="ot.emd is killed after this (default 600, quick 60)")
    parser.add_argument("--threads", type=int, default=None,
                        help="skreg.set_num_threads for the comparison (default: all cores; "
                        "the thread part always measures 1 thread and all cores)")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit BLAS (numpy, used by POT) to this many threads with "
                        "threadpoolctl (default: as is)")
    parser.add_argument("--skip-compile", action="store_true")
    parser.add_argument("--skip-threads", action="store_true")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    quick = args.quick
    sizes = _floats(args.sizes, int) if args.sizes else ([500, 1000] if quick
                                                          else [1000, 4000, 20000])
    dims = _floats(args.dims, int)
    factors = _floats(args.eps_factors)
    args.budget = args.budget or (10.0 if quick else 120.0)
    args.repeats = args.repeats or (1 if quick else 3)
    args.steady_seconds = args.steady_seconds or (0.1 if quick else 0.5)
    args.emd_seconds = args.emd_seconds or (60.0 if quick else 600.0)
    solvers = [s for s in SOLVERS if args.solvers is None or re.search(args.solvers, s)]
    output = args.output or os.path.join(HERE, "results", "ot" + ("_quick" if quick else ""))
    try:
        import regot  # noqa: F401

        regot_ok, regot_note = True, f"regot {getattr(regot, '__version__', '?')}: sinkhorn_ssns"
    except ImportError:
        regot_ok, regot_note = False, "regot not installed"
    import skreg

    skreg.set_num_threads(args.threads)
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.blas_threads, user_api="blas")
    load_start = os.getloadavg()
    start = time.perf_counter()
    t0 = time.perf_counter()
    warm_up()
    warm = time.perf_counter() - t0
    log(f"warm-up (JIT compile or cache load) {format_seconds(warm)}; {regot_note}")
    pools = {d: point_pool(d) for d in dims}
    medians = {d: median_cost(*pools[d]) for d in dims}
    payload = {
        "mode": "quick" if quick else "full",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        "machine": machine_info(),
        "versions": versions(["skreg", "numpy", "scipy", "numba", "ot", "regot"]),
        "meta": {"tol_l1": TOL, "budget_s": args.budget, "sizes": sizes, "dims": dims,
                 "eps_factors": factors, "medians": medians, "solvers": solvers,
                 "skreg_threads": skreg.get_num_threads(), "blas_threads": args.blas_threads,
                 "load_average_start": load_start,
                 "repeats": args.repeats,
                 "max_dense_gib": args.max_dense_gib, "dense_arrays": DENSE_ARRAYS,
                 "emd_max_n": args.emd_max_n, "emd_seconds": args.emd_seconds,
                 "regot": regot_note,
                 "pot_stop_rule": (
                     "stopThr is compared with ||b - P^T 1||_2 (L2 <= L1 <= sqrt(m) L2); "
                     f"first stopThr = {TOL:g}, then, while the measured L1 error is above "
                     f"{TOL:g}, continued from its last iterate (warmstart) with stopThr = 0.9 "
                     f"x {TOL:g} x L2 / L1 (measured), at most {POT_MAX_CONTINUATIONS} times; "
                     "time and iterations are the sums")},
        "warm_up_s": warm, "cases": [],
    }
    history, thread_state = {}, None
    n_threads = 1000 if quick else 4000
    for d in dims:
        for factor in factors:
            for n in sizes:
                case = {"d": d, "n": n, "eps_factor": factor, "epsilon": factor * medians[d],
                        "median": medians[d]}
                log(f"d={d} n={n} epsilon={factor:g} x median = {case['epsilon']:.4g}")
                case, states = run_case(case, pools[d], args, solvers, history, regot_ok)
                if d == dims[0] and factor == max(factors) and n == n_threads:
                    thread_state = (case["epsilon"], states)
                payload["cases"].append(case)
                payload["summary"] = summary(payload)
                write_json(output + ".json", payload)
    if not args.skip_threads:
        if thread_state is None:  # the thread case was not part of this run
            eps = max(factors) * medians[dims[0]]
            pb = Problem(pools[dims[0]][0][:n_threads], pools[dims[0]][1][:n_threads], eps,
                         True)
            st = {}
            for name in ("skreg stabilized", "skreg log (X, Y)"):
                rec = budgeted(adapter(name, pb), args.budget, 20, args.budget / 10, 1)
                st[name] = rec.get("state")
            thread_state = (eps, st)
        log(f"threads (n={n_threads}, d={dims[0]}, epsilon={max(factors):g} x median)")
        payload["threads"] = run_threads(pools[dims[0]], n_threads, thread_state[0],
                                         thread_state[1], args.steady_seconds * 2,
                                         args.blas_threads)
    payload["meta"]["load_average_end"] = os.getloadavg()
    if not args.skip_compile:
        payload["compile"] = fresh_process_timings(
            _COMPILE_SCRIPT, (str(args.threads or "all"),), timeout=900)
    payload["summary"] = summary(payload)
    payload["total_s"] = time.perf_counter() - start
    write_json(output + ".json", payload)
    with open(output + ".md", "w") as handle:
        handle.write(markdown(payload))
    plot(payload, output + ".png")
    log(f"done in {format_seconds(payload['total_s'])}: {output}.{{json,md,png}}")


if __name__ == "__main__":
    main()
