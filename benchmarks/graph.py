"""Benchmark skreg's graph family (``skreg.graph``) against scipy and cvxpy.

Run from the repository root::

    python benchmarks/graph.py                  # full run (an hour or more on 2 loaded cores)
    python benchmarks/graph.py --quick          # small sizes, smoke test (~3 min)
    python benchmarks/graph.py --cases '^tik/ct' --repeats 3
    python benchmarks/graph.py --list

Three parts:

1. **Tikhonov** (``tik/`` cases): ``graph_tikhonov`` (penalty ``alpha/2 ||L w||^2``, solver
   "cg" and, for p <= 4096, "direct") against scipy's ``lsqr`` on the stacked system
   ``[K; sqrt(alpha) L] w = [y; 0]`` and ``spsolve`` on the sparse normal matrix
   ``K^T K + alpha L^T L``, on CT (``make_tomography``) and deblurring (``make_deblurring``)
   problems with the grid Laplacian (radius 1) and a data Laplacian (radius 4). Every solver
   is set to reach the same relative error (1e-6) of the solution against a tight reference
   solve; time, ratio skreg / anchor and (largest images) peak memory are reported.
2. **l1** (``l1/`` cases): ``graph_l1`` (graphLa: l1 of a data Laplacian; graph TV: l1 of
   the incidence matrix of the grid graph) against ``skreg.reference.graph_regression``
   (cvxpy + Clarabel) at equal objective (relative difference <= 1e-6) on small CT problems
   and a tabular design with a chain graph; target: >= 50x faster than cvxpy. Then
   (``l1-large/`` cases) the time and memory of one l1 solve on 64-256 pixel images.
3. **Compile time** of the numba-backed pieces (fresh processes, empty then warm cache).

Results go to ``benchmarks/results/graph.{json,md,png}`` (quick: ``graph_quick.*``); see
``benchmarks/README.md``.
"""

import argparse
import dataclasses
import gc
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import time
import traceback
import warnings
from datetime import datetime, timezone

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr, spsolve

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # benchmark the checkout's skreg, not an install

from _harness import (  # noqa: E402
    REPO_ROOT,
    format_seconds,
    fresh_process_timings,
    log,
    machine_info,
    n_repeats,
    search_tol,
    time_fit,
    versions,
    write_json,
)

N_CPUS = os.cpu_count() or 1
NOISE = 0.01  # relative noise ||e|| / ||K x|| of the imaging problems
SEED = 0
BLUR_SIGMA = 1.5
DATA_RADIUS = 4  # window radius of the data Laplacians (graphLa)
DATA_SIGMA = 1e-3  # bandwidth of the data-Laplacian weights (images in [0, 1])
TIK_TARGET = 1e-6  # relative error ||w - w_ref|| / ||w_ref|| every Tikhonov solver must reach
L1_TARGET = 1e-6  # relative objective excess (f_skreg - f_cvxpy) / |f_cvxpy|
SPEEDUP_TARGET = 50.0  # cvxpy time / skreg time (l1)
DIRECT_MAX = 4096  # skreg solver="direct" and the dense reference solve up to this many unknowns
NORMAL_MAX_NNZ = 5e7  # spsolve is "n/a" when K^T K + alpha L^T L would have more nonzeros
REF_TOL = 1e-14  # atol = btol of the lsqr reference solve (p > DIRECT_MAX)
LARGE_CUTOFF_S = 120.0  # l1-large: skip a size when the previous one took longer than this
#: tolerances searched, two per decade, loosest first
TOLS = tuple(10.0 ** (-k / 2.0) for k in range(4, 25))
#: alpha of the Tikhonov cases: the discrepancy-principle alpha (tau = 1.01, noise_level = the
#: true ||e||) measured with GraphLaplacianRegression(alpha_selection="discrepancy") on these
#: very problems (seed 0, 1 % noise); sizes not listed are extrapolated geometrically from the
#: two largest measured ones
TIK_ALPHAS = {
    ("ct", "grid1"): {32: 6.5e-3, 64: 4.0e-2, 128: 2.6e-1},
    ("blur", "grid1"): {32: 1.4e-5, 64: 2.1e-5, 128: 4.3e-5},
    ("ct", "data4"): {32: 2.8e2, 64: 1.3e4},
    ("blur", "data4"): {32: 2.4, 64: 54.0},
}
L1_ALPHA_NOTE = (
    "CT: close to the alpha of the best reconstruction error on a half-decade grid (measured "
    "with graph_l1 at 16, 32, 48 pixels): TV 3e-2 (s/32)^1.5, graphLa 0.3 (s/32)^3; chain: "
    "graphLa 1 ||e||_2, TV 2 ||e||_2 (best error on the same grid at p = 100, 300, 1000)"
)


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def _fmt(value, spec=".1e"):
    return "-" if value is None else format(value, spec)


def _median(values):
    return float(np.median(values)) if values else None


def _set_threads(n):
    import skreg

    skreg.set_num_threads(n)


class Threads:
    """``Threads(1)``: numba and BLAS on one thread; ``Threads(None)``: all cores, BLAS as is."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        from threadpoolctl import threadpool_limits

        self._limits = threadpool_limits(limits=self.n, user_api="blas")
        _set_threads(self.n or N_CPUS)
        return self

    def __exit__(self, *exc):
        self._limits.restore_original_limits()
        _set_threads(N_CPUS)


def one_thread_timing(fit, measure, tol, repeats):
    """skreg at ``tol`` with numba and BLAS on one thread (after one untimed call)."""
    with Threads(1):
        fit(tol)
        out = _timing(fit, measure, tol, repeats)
    out.pop("_coef")
    return {k: out[k] for k in ("times", "median_s", "min_s", "repeats", "error",
                                "cpu_per_wall")}


def blas_probe(n=1024, repeats=5):
    """Dense Cholesky of an n x n SPD matrix with BLAS on all cores and on one (ms).

    Documents the machine's state: on an oversubscribed machine, multi-threaded BLAS calls
    can be an order of magnitude slower than single-threaded ones.
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n))
    M = A.T @ A + n * np.eye(n)
    out = {}
    for label, limit in (("all", None), ("1", 1)):
        with threadpool_limits(limits=limit, user_api="blas"):
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                sla.cho_factor(M)
                times.append(time.perf_counter() - start)
        out[f"cholesky_{n}_blas_{label}_ms"] = [round(t * 1e3, 1) for t in times]
    return out


def _status_kb(field):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class PeakMemory:
    """Peak resident memory of a block above the resident memory at its start (MiB).

    Linux: the high-water mark ``VmHWM`` is reset through ``/proc/self/clear_refs`` (``5``)
    before the block, so the peak is the block's own, whatever ran before in the process.
    Elsewhere (or if that fails): ``ru_maxrss`` after minus resident memory before, which
    is only right when the block sets a new process-wide peak.
    """

    def __enter__(self):
        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
            self.method = "VmHWM reset via /proc/self/clear_refs"
            self.base_kb = _status_kb("VmRSS")
        except OSError:
            self.method = "ru_maxrss delta"
            self.base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return self

    def __exit__(self, *exc):
        if self.method.startswith("VmHWM"):
            peak = _status_kb("VmHWM")
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.base_mb = self.base_kb / 1024.0
        self.peak_mb = max(peak - self.base_kb, 0) / 1024.0


def _nbytes(A):
    if sp.issparse(A):
        return int(A.data.nbytes + A.indices.nbytes + A.indptr.nbytes)
    return int(np.asarray(A).nbytes)


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def _extrapolate(table, size):
    if size in table:
        return table[size], "discrepancy principle (measured)"
    (s1, a1), (s2, a2) = sorted(table.items())[-2:]
    slope = np.log(a2 / a1) / np.log(s2 / s1)
    return float(a2 * (size / s2) ** slope), (
        f"extrapolated from the measured discrepancy alphas at {s1} and {s2} "
        f"(alpha ~ size^{slope:.2f})")


def tik_alpha(kind, graph, size):
    return _extrapolate(TIK_ALPHAS[(kind, graph)], size)


def l1_alpha(kind, graph, size, noise_level):
    if kind == "ct":
        return 3e-2 * (size / 32) ** 1.5 if graph == "tv" else 0.3 * (size / 32) ** 3
    return (2.0 if graph == "tv" else 1.0) * noise_level


def chain_design(p, seed=SEED):
    """Gaussian X (p/2 x p), piecewise-constant coef (10 blocks), 5 % relative noise."""
    rng = np.random.default_rng(seed)
    n = p // 2
    X = rng.standard_normal((n, p))
    cuts = np.sort(rng.choice(np.arange(1, p), 9, replace=False))
    coef = np.repeat(rng.choice([-1.0, 0.0, 1.0, 2.0], 10), np.diff(np.r_[0, cuts, p]))
    clean = X @ coef
    e = rng.standard_normal(n)
    e *= 0.05 * np.linalg.norm(clean) / np.linalg.norm(e)
    return X, clean + e, coef, float(np.linalg.norm(e))


def build_base(kind, size):
    """Operator, data and (imaging) the preliminary reconstruction of the data Laplacians."""
    from skreg.datasets import filtered_back_projection, make_deblurring, make_tomography
    from skreg.graph import graph_tikhonov, grid_laplacian

    start = time.perf_counter()
    out = {"kind": kind, "size": size}
    if kind == "chain":
        X, y, coef, eta = chain_design(size)
        out.update(K=X, y=y, coef=coef, noise_level=eta, shape=(size,))
        out["build_s"] = time.perf_counter() - start
        return out
    if kind == "ct":
        ds = make_tomography(size, n_angles=size, noise=NOISE, random_state=SEED)
    else:
        ds = make_deblurring(size, sigma=BLUR_SIGMA, noise=NOISE, random_state=SEED)
    K = sp.csr_matrix(ds.operator)
    out.update(K=K, y=ds.y, coef=ds.coef, noise_level=ds.noise_level, shape=(size, size))
    out["build_s"] = time.perf_counter() - start
    start = time.perf_counter()
    if kind == "ct":
        prelim = filtered_back_projection(ds.y, ds.angles, size, n_detectors=ds.n_detectors)
        out["prelim_name"] = "filtered back-projection (ram-lak)"
    else:
        alpha, _ = tik_alpha("blur", "grid1", size)
        res = graph_tikhonov(K, ds.y, grid_laplacian((size, size)), alpha, solver="cg",
                             tol=1e-8)
        prelim = res.coef.reshape(size, size)
        out["prelim_name"] = f"graph_tikhonov grid radius 1, alpha {alpha:.3g}, cg tol 1e-8"
    out["prelim"] = prelim
    out["prelim_s"] = time.perf_counter() - start
    out["prelim_error"] = float(np.linalg.norm(prelim.ravel() - ds.coef)
                                / np.linalg.norm(ds.coef))
    return out


class DataCache:
    """Build a (kind, size) base problem on demand; keep only the last one."""

    def __init__(self):
        self._key = None
        self._value = None

    def get(self, kind, size):
        if (kind, size) != self._key:
            self._value = None
            gc.collect()
            self._value = build_base(kind, size)
            self._key = (kind, size)
            v = self._value
            log(f"  data {kind}{size}: K {v['K'].shape} built in {v['build_s']:.1f} s"
                + (f", preliminary in {v['prelim_s']:.1f} s" if "prelim_s" in v else ""))
        return self._value


def penalty_operator(base, graph):
    """``(G, seconds, description)`` of a case's penalty operator."""
    from skreg.graph import data_laplacian, grid_laplacian, incidence_matrix

    start = time.perf_counter()
    shape = base["shape"]
    if graph == "grid1":
        G, desc = grid_laplacian(shape, 1), "grid_laplacian(radius=1)"
    elif graph == "data4" or (graph == "graphla" and base["kind"] != "chain"):
        G = data_laplacian(base["prelim"], shape, DATA_RADIUS, DATA_SIGMA)
        desc = (f"data_laplacian(radius={DATA_RADIUS}, sigma={DATA_SIGMA:g}) of the "
                f"{base['prelim_name']}")
    elif graph == "graphla":  # chain
        G, desc = grid_laplacian(shape, 1), "grid_laplacian of the chain (l1 of L w)"
    elif graph == "tv":
        G = incidence_matrix(grid_laplacian(shape, 1))
        desc = "incidence_matrix(grid_laplacian(radius=1)) (graph TV)"
    else:
        raise ValueError(graph)
    return sp.csr_matrix(G), time.perf_counter() - start, desc


# --------------------------------------------------------------------------------------------
# solvers (one function for this process and the spawned workers)
# --------------------------------------------------------------------------------------------
def _stacked(K, G, alpha):
    A = sp.vstack([sp.csr_matrix(K), np.sqrt(alpha) * G], format="csr")
    return A


def solve(name, K, y, G, alpha, tol=None, max_iter=None):
    """Run one solver; return a dict with ``coef`` and solver details."""
    from sklearn.exceptions import ConvergenceWarning

    from skreg.graph import graph_l1, graph_tikhonov

    if name in ("skreg-cg", "skreg-direct"):
        kw = {"solver": name.split("-")[1]}
        if name == "skreg-cg":
            kw.update(tol=tol, max_iter=max_iter)
        res = graph_tikhonov(K, y, G, alpha, **kw)
        return {"coef": res.coef, "n_iter": int(res.n_iter), "converged": bool(res.converged)}
    if name in ("skreg-l1", "skreg-l1-pdhg"):
        kw = {"solver": "pdhg"} if name == "skreg-l1-pdhg" else {}
        res = graph_l1(K, y, G, alpha, tol=tol, max_iter=max_iter or 10000, **kw)
        return {"coef": res.coef, "n_iter": int(res.n_iter), "converged": bool(res.converged),
                "solver": res.solver}
    if name == "scipy-lsqr":
        start = time.perf_counter()
        A = _stacked(K, G, alpha)
        b = np.concatenate([y, np.zeros(G.shape[0])])
        build = time.perf_counter() - start
        out = lsqr(A, b, atol=tol, btol=tol, conlim=0.0, iter_lim=max_iter)
        if out[1] == 7:
            warnings.warn(f"lsqr stopped at iter_lim={max_iter}", ConvergenceWarning,
                          stacklevel=2)
        return {"coef": out[0], "n_iter": int(out[2]), "istop": int(out[1]),
                "converged": out[1] != 7, "build_s": build}
    if name == "scipy-spsolve":
        start = time.perf_counter()
        M = (K.T @ K + alpha * (G.T @ G)).tocsc()
        rhs = K.T @ y
        form = time.perf_counter() - start
        coef = spsolve(M, rhs)
        return {"coef": np.asarray(coef), "form_s": form,
                "solve_s": time.perf_counter() - start - form, "normal_nnz": int(M.nnz)}
    if name == "cvxpy":
        from skreg.reference import graph_regression

        res = graph_regression(K, y, G, alpha=alpha, penalty="l1")
        return {"coef": res.coef, "status": str(res.status), "solve_time": res.solve_time}
    raise ValueError(name)


def warm_up(name):
    """One call on a tiny problem of the same kind (JIT from the cache, first-call costs)."""
    from skreg.graph import grid_laplacian

    rng = np.random.default_rng(0)
    K = sp.random(40, 30, density=0.3, format="csr", random_state=0)
    y = K @ rng.standard_normal(30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solve(name, K, y, grid_laplacian(30), 0.1, tol=1e-6, max_iter=200)
        if name.startswith("skreg-l1") or name == "cvxpy":  # the dense X of the chain cases
            solve(name, K.toarray(), y, grid_laplacian(30), 0.1, tol=1e-6, max_iter=200)


def _worker(conn, name, data, tol, max_iter, max_repeats):
    """Spawned child: warm up, solve once (peak memory measured), repeat if under 10 s."""
    try:
        _set_threads(N_CPUS)
        start = time.perf_counter()
        warm_up(name)
        conn.send(("warm", time.perf_counter() - start))
        args = (data["K"], data["y"], data["G"], data["alpha"])
        for i in range(max_repeats):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with PeakMemory() as mem:
                    cpu, start = time.process_time(), time.perf_counter()
                    out = solve(name, *args, tol=tol, max_iter=max_iter)
                    seconds = time.perf_counter() - start
                    cpu = time.process_time() - cpu
            out.update(seconds=seconds, cpu_s=cpu, peak_mb=mem.peak_mb, base_mb=mem.base_mb,
                       memory_method=mem.method,
                       warnings=sorted({f"{type(w.message).__name__}: {w.message}"[:200]
                                        for w in caught}))
            if i:
                out.pop("coef")
            conn.send(("run", out))
            if i == 0:
                max_repeats = min(max_repeats, n_repeats(seconds, max_repeats))
                if seconds >= 10.0:
                    break
        conn.send(("done", None))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:500] + "\n"
                   + traceback.format_exc()[-1500:]))


def run_isolated(name, data, tol=None, max_iter=None, *, budget, max_repeats, warm_budget=300):
    """Run ``solve(name, ...)`` in a *spawned* process, killed after ``budget`` s per run.

    Spawned, not forked: numba's and Clarabel's thread pools make a forked child unsafe. The
    child gets the arrays, warms up on a tiny problem, solves once (peak resident memory
    above the baseline after loading the data and warming up, see :class:`PeakMemory`) and,
    for runs under 10 s, repeats up to ``n_repeats``. Times are taken in the child around
    the solve only. Returns ``{"runs": [...], "warmup_s"}`` plus ``timeout`` / ``failure``.
    """
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(sender, name, data, tol, max_iter, max_repeats),
                       daemon=True)
    proc.start()
    sender.close()
    out = {"runs": []}
    try:
        timeout = warm_budget
        while True:
            if not receiver.poll(timeout):
                out["timeout"] = budget if "warmup_s" in out else warm_budget
                break
            try:
                kind, payload = receiver.recv()
            except EOFError:
                out["failure"] = f"worker died (exit code {proc.exitcode})"
                break
            if kind == "warm":
                out["warmup_s"] = payload
                timeout = budget
            elif kind == "run":
                out["runs"].append(payload)
            elif kind == "error":
                out["failure"] = payload
                break
            else:
                break
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receiver.close()
    if out["runs"] and "timeout" in out:
        out["repeat_timeout"] = out.pop("timeout")  # a repeat overran: keep what ran
    return out


def _isolated_summary(iso, measure=None):
    """JSON-friendly summary of :func:`run_isolated`'s output (coef dropped)."""
    runs = iso["runs"]
    out = {k: iso[k] for k in ("warmup_s", "timeout", "failure", "repeat_timeout") if k in iso}
    if not runs:
        return out
    first = runs[0]
    times = [r["seconds"] for r in runs]
    out.update(
        times=times, median_s=_median(times), min_s=float(min(times)), repeats=len(times),
        cpu_per_wall=float(sum(r["cpu_s"] for r in runs) / max(sum(times), 1e-12)),
        peak_mb=first["peak_mb"], base_mb=first["base_mb"],
        memory_method=first["memory_method"], warnings=first["warnings"],
    )
    for key in ("n_iter", "converged", "istop", "status", "solve_time", "solver",
                "normal_nnz", "build_s"):
        if key in first:
            out[key] = first[key]
    for key in ("form_s", "solve_s"):
        if key in first:
            out[f"median_{key}"] = _median([r[key] for r in runs])
    if measure is not None:
        out["error"] = float(measure(first))
    return out


# --------------------------------------------------------------------------------------------
# in-process timing (skreg and lsqr): tolerance search + repeats
# --------------------------------------------------------------------------------------------
def _public(result):
    return {k: v for k, v in result.items() if k != "coef"}


def search_and_time(fit, measure, *, target, hint, budget, max_repeats):
    """Loosest tol of ``TOLS`` reaching ``target``, then the median of repeats at that tol.

    A fit of 10 s or more is timed once, by the search's own run at the found tol. The
    coefficients of the last timed fit are returned under ``"_coef"`` (popped by callers).
    """
    search = search_tol(fit, measure, target=target, tols=TOLS, hint=hint,
                        max_fit_seconds=budget)
    out = {"trials": search["trials"], "best_error": search["best_gap"],
           "reason": search["reason"], "exception": search["error"]}
    if search["tol"] is None:
        return out
    out["tol"] = search["tol"]
    if search["seconds"] >= 10.0:
        out.update(times=[search["seconds"]], median_s=search["seconds"],
                   min_s=search["seconds"], repeats=1, error=search["gap"],
                   max_error=search["gap"], cpu_per_wall=None, timed_by_search=True,
                   _coef=search["result"]["coef"], **_public(search["result"]))
        return out
    out.update(_timing(fit, measure, search["tol"], n_repeats(search["seconds"], max_repeats)))
    return out


def _timing(fit, measure, tol, repeats):
    timing = time_fit(fit, measure, tol, repeats)
    return {"times": timing["times"], "median_s": timing["median_s"],
            "min_s": timing["min_s"], "repeats": timing["repeats"],
            "error": timing["gaps"][-1], "max_error": timing["max_gap"],
            "cpu_per_wall": timing["cpu_per_wall"], "_coef": timing["result"]["coef"],
            **_public(timing["result"])}


def time_untuned(fit, measure, max_repeats):
    """Solvers without a tolerance (direct): one run to size the repeats, then repeats."""
    start = time.perf_counter()
    fit(None)
    out = _timing(fit, measure, None, n_repeats(time.perf_counter() - start, max_repeats))
    out.pop("_coef")
    return out


def iteration_cap(name, K, y, G, alpha, budget, probe=30):
    """Iterations that fit in ``budget`` s, from a ``probe``-iteration run (>= 100)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        solve(name, K, y, G, alpha, tol=1e-300 if name == "scipy-lsqr" else 1e-16,
              max_iter=probe)
        per_iter = (time.perf_counter() - start) / probe
    return int(max(100, min(budget / max(per_iter, 1e-9), 50 * K.shape[1]))), per_iter


# --------------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Case:
    part: str  # "tik", "l1", "l1-large"
    kind: str  # "ct", "blur", "chain"
    size: int  # pixels per side, or p for the chain
    graph: str  # "grid1", "data4" (tik); "graphla", "tv" (l1)

    @property
    def dataset(self):
        return f"{self.kind}{self.size}" if self.kind != "chain" else f"chain-p{self.size}"

    @property
    def name(self):
        return f"{self.part}/{self.dataset}/{self.graph}"


def make_cases(quick):
    if quick:
        tik = [("ct", 32), ("blur", 32)]
        l1 = [("ct", 16), ("chain", 100)]
        large = [32]
    else:
        tik = [("ct", s) for s in (32, 64, 128, 256)] + [("blur", s) for s in (64, 128, 256)]
        l1 = [("ct", s) for s in (16, 24, 32, 48)] + [("chain", p) for p in (100, 300, 1000)]
        large = [64, 128, 256]
    cases = [Case("tik", k, s, g) for k, s in tik for g in ("grid1", "data4")]
    cases += [Case("l1", k, s, g) for k, s in l1 for g in ("graphla", "tv")]
    cases += [Case("l1-large", "ct", s, g) for g in ("graphla", "tv") for s in large]
    return cases


# --------------------------------------------------------------------------------------------
# part 1: Tikhonov
# --------------------------------------------------------------------------------------------
def reference_solution(K, y, G, alpha, budget):
    """Tight solve: dense Cholesky (p <= DIRECT_MAX) or lsqr at atol = btol = 1e-14."""
    p = K.shape[1]
    start = time.perf_counter()
    rhs = K.T @ y
    if p <= DIRECT_MAX:
        M = (K.T @ K).toarray() + alpha * (G.T @ G).toarray()
        try:
            w = sla.cho_solve(sla.cho_factor(M, lower=True), rhs)
            method = "dense Cholesky of K^T K + alpha L^T L (scipy.linalg)"
        except sla.LinAlgError:
            w = sla.lstsq(M, rhs)[0]
            method = "dense least squares (normal matrix singular)"
        info = {"method": method}
    else:
        cap, _ = iteration_cap("scipy-lsqr", K, y, G, alpha, budget)
        res = solve("scipy-lsqr", K, y, G, alpha, tol=REF_TOL, max_iter=cap)
        w = res["coef"]
        info = {"method": f"scipy lsqr on the stacked system, atol = btol = {REF_TOL:g}, "
                "conlim off", "n_iter": res["n_iter"], "istop": res["istop"],
                "iter_cap": cap}
    info["seconds"] = time.perf_counter() - start
    normal = K.T @ (K @ w) + alpha * (G.T @ (G @ w)) - rhs
    info["normal_residual"] = float(np.linalg.norm(normal) / np.linalg.norm(rhs))
    return w, info


def normal_nnz_estimate(K, G, n_cols=256, seed=0):
    """nnz of K^T K + alpha G^T G, extrapolated from a random subset of its columns."""
    p = K.shape[1]
    cols = np.sort(np.random.default_rng(seed).choice(p, min(p, n_cols), replace=False))
    Kc = sp.csc_matrix(K)
    Gc = sp.csc_matrix(G)
    sub = Kc.T @ Kc[:, cols] + Gc.T @ Gc[:, cols]
    return int(sub.nnz * p / cols.size)


def run_tik_case(case, data, args, hints):
    base = data.get(case.kind, case.size)
    K, y = base["K"], base["y"]
    G, lap_s, lap_desc = penalty_operator(base, case.graph)
    alpha, alpha_src = tik_alpha(case.kind, case.graph, case.size)
    p = K.shape[1]
    rec = {"case": case.name, "part": "tik", "kind": case.kind, "size": case.size,
           "graph": case.graph, "n_samples": K.shape[0], "n_features": p, "K_nnz": int(K.nnz),
           "L_nnz": int(G.nnz), "input_mb": (_nbytes(K) + _nbytes(G)) / 2**20,
           "alpha": alpha, "alpha_source": alpha_src, "penalty_operator": lap_desc,
           "laplacian_s": lap_s, "data_build_s": base["build_s"], "solvers": {}}
    if "prelim_name" in base and case.graph == "data4":
        rec.update(preliminary=base["prelim_name"], prelim_s=base["prelim_s"],
                   prelim_error=base["prelim_error"])
    budget = args.max_fit_seconds
    w_ref, rec["reference"] = reference_solution(K, y, G, alpha, 2 * budget)
    if p <= DIRECT_MAX and p >= 1024:  # how accurate is the lsqr reference of larger sizes?
        chk = solve("scipy-lsqr", K, y, G, alpha, tol=REF_TOL, max_iter=50 * p)
        rec["reference"]["lsqr_reference_check"] = float(
            np.linalg.norm(chk["coef"] - w_ref) / np.linalg.norm(w_ref))
    ref_norm = float(np.linalg.norm(w_ref))
    rec["reference"]["recovery_error"] = float(np.linalg.norm(w_ref - base["coef"])
                                               / np.linalg.norm(base["coef"]))
    log(f"    alpha {alpha:.3g}; reference {format_seconds(rec['reference']['seconds'])} "
        f"(normal residual {rec['reference']['normal_residual']:.1e}, recovery error "
        f"{rec['reference']['recovery_error']:.3f})")

    def measure(result):
        return float(np.linalg.norm(result["coef"] - w_ref) / ref_norm)

    solvers = rec["solvers"]
    for name in ("skreg-cg", "scipy-lsqr"):
        cap, per_iter = iteration_cap(name, K, y, G, alpha, budget)
        key = (case.kind, case.graph, name)
        entry = search_and_time(
            lambda tol, n=name, c=cap: solve(n, K, y, G, alpha, tol=tol, max_iter=c),
            measure, target=TIK_TARGET, hint=hints.get(key, 1e-8), budget=budget,
            max_repeats=args.repeats)
        entry.update(iter_cap=cap, probe_s_per_iter=per_iter)
        entry.pop("_coef", None)
        if entry.get("tol") is not None:
            hints[key] = entry["tol"]
            if name.startswith("skreg"):
                entry["1t"] = one_thread_timing(
                    lambda tol, c=cap, n=name: solve(n, K, y, G, alpha, tol=tol, max_iter=c),
                    measure, entry["tol"], entry["repeats"])
        solvers[name] = entry
    if p <= DIRECT_MAX:
        def direct(tol):
            return solve("skreg-direct", K, y, G, alpha)

        entry = time_untuned(direct, measure, args.repeats)
        entry["1t"] = one_thread_timing(direct, measure, None, entry["repeats"])
        solvers["skreg-direct"] = entry
    else:
        solvers["skreg-direct"] = {"skipped": f"p = {p} > {DIRECT_MAX}"}
    est = normal_nnz_estimate(K, G)
    if est > NORMAL_MAX_NNZ:
        solvers["scipy-spsolve"] = {
            "skipped": f"K^T K + alpha L^T L would have ~{est:.1e} nonzeros (estimated from "
            f"256 columns) > {NORMAL_MAX_NNZ:.0e}", "normal_nnz_estimate": est}
    else:
        iso = run_isolated("scipy-spsolve", {"K": K, "y": y, "G": G, "alpha": alpha},
                           budget=args.spsolve_seconds, max_repeats=args.repeats)
        solvers["scipy-spsolve"] = _isolated_summary(iso, measure)
        solvers["scipy-spsolve"]["normal_nnz_estimate"] = est
    if case.size >= args.memory_min_size:
        rec["memory"] = measure_memory(K, y, G, alpha, solvers, args)
    # ratios: skreg / anchor, anchor time = its whole call (lsqr: stacking included; spsolve:
    # forming the normal matrix included)
    anchors = {n: solvers[n].get("median_s") for n in ("scipy-lsqr", "scipy-spsolve")
               if solvers[n].get("median_s") is not None and solvers[n].get("error", 1.0)
               <= TIK_TARGET}
    rec["best_anchor"] = min(anchors, key=anchors.get) if anchors else None
    rec["ratios"] = {}
    for ours in ("skreg-cg", "skreg-direct"):
        for label, t in (("", solvers[ours].get("median_s")),
                         (" 1t", solvers[ours].get("1t", {}).get("median_s"))):
            if t is None:
                continue
            for n, ta in anchors.items():
                rec["ratios"][f"{ours}/{n}{label}"] = t / ta
            if anchors:
                rec["ratios"][f"{ours}/best{label}"] = t / anchors[rec["best_anchor"]]
    msg = []
    for n, s in solvers.items():
        if s.get("median_s") is not None:
            tol = f" tol {s['tol']:.0e}" if s.get("tol") else ""
            msg.append(f"{n} {format_seconds(s['median_s'])}{tol} err {_fmt(s.get('error'))}")
        else:
            msg.append(f"{n} " + (s.get("skipped") or s.get("reason") or str(s.get("timeout"))
                                  or "-")[:60])
    log("    " + "; ".join(msg))
    return rec


def measure_memory(K, y, G, alpha, solvers, args):
    """Peak memory of each solver at its found tol, each in a fresh spawned process."""
    out = {}
    data = {"K": K, "y": y, "G": G, "alpha": alpha}
    for name in ("skreg-cg", "skreg-direct", "scipy-lsqr"):
        s = solvers.get(name, {})
        if s.get("median_s") is None:
            continue
        iso = run_isolated(name, data, s.get("tol"), s.get("iter_cap"),
                           budget=max(3 * s["median_s"], 60.0), max_repeats=1)
        out[name] = _isolated_summary(iso)
        log(f"    memory {name}: peak +{out[name].get('peak_mb', float('nan')):.0f} MiB "
            f"({format_seconds(out[name].get('median_s'))} in a fresh process)")
    sp_ = solvers.get("scipy-spsolve", {})
    if "peak_mb" in sp_:
        out["scipy-spsolve"] = {k: sp_[k] for k in ("peak_mb", "base_mb", "memory_method",
                                                    "median_s")}
    return out


# --------------------------------------------------------------------------------------------
# part 2: l1 against cvxpy, and large l1 solves
# --------------------------------------------------------------------------------------------
def run_l1_case(case, data, args, hints):
    from skreg.reference import graph_objective

    base = data.get(case.kind, case.size)
    K, y = base["K"], base["y"]
    G, lap_s, lap_desc = penalty_operator(base, case.graph)
    alpha = l1_alpha(case.kind, case.graph, case.size, base["noise_level"])
    rec = {"case": case.name, "part": "l1", "kind": case.kind, "size": case.size,
           "graph": case.graph, "n_samples": K.shape[0], "n_features": K.shape[1],
           "G_shape": list(G.shape), "G_nnz": int(G.nnz), "alpha": alpha,
           "penalty_operator": lap_desc, "laplacian_s": lap_s, "solvers": {}}

    def objective(coef):
        return graph_objective(K, y, G, coef, alpha=alpha, penalty="l1")

    iso = run_isolated("cvxpy", {"K": K, "y": y, "G": G, "alpha": alpha},
                       budget=args.cvxpy_seconds, max_repeats=args.repeats)
    cvx = _isolated_summary(iso)
    rec["solvers"]["cvxpy"] = cvx
    if not iso["runs"]:
        log(f"    cvxpy failed: {cvx.get('failure') or 'killed after ' + str(cvx.get('timeout'))}")
        f_ref = None
    else:
        f_ref = objective(iso["runs"][0]["coef"])
        cvx["objective"] = f_ref
        cvx["recovery_error"] = float(np.linalg.norm(iso["runs"][0]["coef"] - base["coef"])
                                      / np.linalg.norm(base["coef"]))
    variants = ["skreg-l1"] + (["skreg-l1-pdhg"] if case.kind != "chain" else [])
    for name in variants:
        key = (case.kind, case.graph, name)
        if f_ref is None:  # no reference: time at the hinted tol, objective unverified
            tol = hints.get(key, 1e-7)

            def fit(t, n=name):
                return solve(n, K, y, G, alpha, tol=t)

            start = time.perf_counter()
            fit(tol)
            entry = {"tol": tol, "note": "no cvxpy reference: timed at the hinted tol",
                     **_timing(fit, lambda r: np.nan, tol,
                               n_repeats(time.perf_counter() - start, args.repeats))}
        else:
            def measure(result):
                return max(0.0, (objective(result["coef"]) - f_ref) / abs(f_ref))

            entry = search_and_time(lambda t, n=name: solve(n, K, y, G, alpha, tol=t),
                                    measure, target=L1_TARGET, hint=hints.get(key, 1e-6),
                                    budget=args.max_fit_seconds, max_repeats=args.repeats)
        coef = entry.pop("_coef", None)
        if entry.get("tol") is not None:
            hints[key] = entry["tol"]
            entry["objective"] = objective(coef)
            entry["recovery_error"] = float(np.linalg.norm(coef - base["coef"])
                                            / np.linalg.norm(base["coef"]))
            if f_ref is not None:
                entry["signed_rel_objective_diff"] = (entry["objective"] - f_ref) / abs(f_ref)
            entry["1t"] = one_thread_timing(lambda t, n=name: solve(n, K, y, G, alpha, tol=t),
                                            lambda r: np.nan, entry["tol"], entry["repeats"])
            if cvx.get("median_s"):
                entry["speedup_vs_cvxpy"] = cvx["median_s"] / entry["median_s"]
                entry["speedup_vs_cvxpy_1t"] = cvx["median_s"] / entry["1t"]["median_s"]
                entry["target_met"] = max(entry["speedup_vs_cvxpy"],
                                          entry["speedup_vs_cvxpy_1t"]) >= SPEEDUP_TARGET
        rec["solvers"][name] = entry
    msg = [f"cvxpy {format_seconds(cvx.get('median_s'))} ({cvx.get('status', '-')})"]
    for name in variants:
        e = rec["solvers"][name]
        if e.get("median_s") is None:
            msg.append(f"{name} not reached: {e.get('reason')}")
        else:
            msg.append(f"{name} {format_seconds(e['median_s'])} tol {e['tol']:.0e} dobj "
                       f"{_fmt(e.get('signed_rel_objective_diff'))} speed-up "
                       f"{_fmt(e.get('speedup_vs_cvxpy'), '.2f')}")
    log(f"    alpha {alpha:.3g}: " + "; ".join(msg))
    return rec


def run_l1_large_case(case, data, args, hints, previous):
    from skreg.graph._solvers import DIRECT_MAX_FEATURES_ADMM

    rec = {"case": case.name, "part": "l1-large", "kind": case.kind, "size": case.size,
           "graph": case.graph}
    if previous is not None:
        prev_s = previous.get("seconds")
        if previous.get("skipped") or previous.get("timeout") or previous.get("failure"):
            rec["skipped"] = f"the previous size ({previous['size']}) did not complete"
        elif prev_s is not None and prev_s > LARGE_CUTOFF_S:
            rec["skipped"] = (f"the previous size ({previous['size']}) took {prev_s:.0f} s > "
                              f"{LARGE_CUTOFF_S:.0f} s")
        if rec.get("skipped"):
            log(f"    skipped: {rec['skipped']}")
            return rec
    base = data.get(case.kind, case.size)
    K, y = base["K"], base["y"]
    G, lap_s, lap_desc = penalty_operator(base, case.graph)
    alpha = l1_alpha(case.kind, case.graph, case.size, base["noise_level"])
    p = K.shape[1]
    name = "skreg-l1"
    # the tol found on the small cases for the back end that "auto" picks at this size
    hint_name = "skreg-l1" if p <= DIRECT_MAX_FEATURES_ADMM else "skreg-l1-pdhg"
    tol = hints.get((case.kind, case.graph, hint_name))
    rec.update(n_samples=K.shape[0], n_features=p, K_nnz=int(K.nnz), G_nnz=int(G.nnz),
               input_mb=(_nbytes(K) + _nbytes(G)) / 2**20, alpha=alpha,
               penalty_operator=lap_desc, laplacian_s=lap_s,
               tol=tol if tol is not None else 1e-7,
               tol_source=f"found on the small CT cases for {hint_name} (equal objective "
               "with cvxpy)"
               if tol is not None else "graph_l1's default (no small case ran)",
               expected_solver="direct" if p <= DIRECT_MAX_FEATURES_ADMM else "pdhg")
    iso = run_isolated(name, {"K": K, "y": y, "G": G, "alpha": alpha}, rec["tol"],
                       budget=args.max_large_seconds, max_repeats=1)
    rec.update(_isolated_summary(iso))
    if iso["runs"]:
        coef = iso["runs"][0]["coef"]
        rec["seconds"] = iso["runs"][0]["seconds"]
        from skreg.reference import graph_objective

        rec["objective"] = graph_objective(K, y, G, coef, alpha=alpha, penalty="l1")
        rec["recovery_error"] = float(np.linalg.norm(coef - base["coef"])
                                      / np.linalg.norm(base["coef"]))
        log(f"    alpha {alpha:.3g} tol {rec['tol']:.0e}: {format_seconds(rec['seconds'])} "
            f"({rec.get('solver')}, {rec.get('n_iter')} iterations, converged "
            f"{rec.get('converged')}), peak +{rec['peak_mb']:.0f} MiB, recovery error "
            f"{rec['recovery_error']:.3f}")
    else:
        log(f"    no result: {rec.get('failure') or 'killed after ' + str(rec.get('timeout'))} s")
    return rec


# --------------------------------------------------------------------------------------------
# part 3: compile timings
# --------------------------------------------------------------------------------------------
_COMPILE_SCRIPT = r"""
import json, time, warnings
t0 = time.perf_counter()
import numpy as np
import scipy.sparse as sp
import skreg
from skreg.graph import (data_laplacian, graph_l1, graph_tikhonov, grid_laplacian,
                         incidence_matrix)
out = {"import_s": time.perf_counter() - t0}
def timed(key, fn):
    start = time.perf_counter()
    value = fn()
    out[key] = time.perf_counter() - start
    return value
rng = np.random.default_rng(0)
image = rng.random((16, 16))
L = timed("grid_laplacian_s", lambda: grid_laplacian((16, 16)))
timed("data_laplacian_s", lambda: data_laplacian(image, radius=4))
K = sp.random(300, 256, density=0.05, format="csr", random_state=0)
y = K @ image.ravel()
timed("graph_tikhonov_cg_s", lambda: graph_tikhonov(K, y, L, 0.1, solver="cg"))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    timed("graph_l1_direct_s", lambda: graph_l1(K, y, incidence_matrix(L), 0.1,
                                                solver="direct", max_iter=20))
    timed("graph_l1_pdhg_s", lambda: graph_l1(K, y, incidence_matrix(L), 0.1, solver="pdhg",
                                              max_iter=20))
print("RESULT " + json.dumps(out))
"""

COMPILE_PIECES = {
    "import_s": "`import skreg` (+ numpy, scipy)",
    "grid_laplacian_s": "first `grid_laplacian((16, 16))` (window-graph and Laplacian kernels)",
    "data_laplacian_s": "first `data_laplacian(radius=4)` (same kernels, weighted branch)",
    "graph_tikhonov_cg_s": "first `graph_tikhonov(solver=\"cg\")` on a 300 x 256 CSR K "
                           "(parallel CSR products)",
    "graph_l1_direct_s": "first `graph_l1(solver=\"direct\", max_iter=20)` with graph TV "
                         "(the ADMM kernel with Anderson acceleration)",
    "graph_l1_pdhg_s": "first `graph_l1(solver=\"pdhg\", max_iter=20)` (CSR products only)",
}


def compile_timings(timeout=900):
    """The graph pieces' first calls in fresh processes, empty then warm NUMBA_CACHE_DIR."""
    return fresh_process_timings(_COMPILE_SCRIPT, timeout=timeout)


# --------------------------------------------------------------------------------------------
# summary and report
# --------------------------------------------------------------------------------------------
def summarize(records):
    tik = [r for r in records if r["part"] == "tik"]
    l1 = [r for r in records if r["part"] == "l1"]
    large = [r for r in records if r["part"] == "l1-large"]
    s = {"tik": {}, "l1": {}, "l1_large": {}}
    for key in ("skreg-cg/scipy-lsqr", "skreg-cg/scipy-spsolve", "skreg-cg/best",
                "skreg-direct/best", "skreg-cg/scipy-lsqr 1t", "skreg-cg/scipy-spsolve 1t",
                "skreg-cg/best 1t", "skreg-direct/best 1t"):
        vals = {r["case"]: r["ratios"][key] for r in tik if key in r.get("ratios", {})}
        if vals:
            s["tik"][key] = {"median": float(np.median(list(vals.values()))),
                             "min": float(min(vals.values())), "max": float(max(vals.values())),
                             "skreg_faster": sum(v < 1 for v in vals.values()), "n": len(vals)}
    s["tik"]["not_reached"] = [f"{r['case']} {n}: {e.get('reason')}" for r in tik
                               for n, e in r["solvers"].items()
                               if e.get("median_s") is None and not e.get("skipped")]
    for name in ("skreg-l1", "skreg-l1-pdhg"):
        rows = [r["solvers"][name] for r in l1 if name in r["solvers"]]
        sp_ = [e["speedup_vs_cvxpy"] for e in rows if "speedup_vs_cvxpy" in e]
        sp1 = [e["speedup_vs_cvxpy_1t"] for e in rows if "speedup_vs_cvxpy_1t" in e]
        if sp_:
            s["l1"][name] = {
                "median_speedup_1t": float(np.median(sp1)) if sp1 else None,
                "max_speedup_1t": float(max(sp1)) if sp1 else None,
                "median_speedup": float(np.median(sp_)), "min_speedup": float(min(sp_)),
                "max_speedup": float(max(sp_)), "target_met": sum(e.get("target_met", False)
                                                                  for e in rows),
                "n": len(sp_), "max_rel_objective_diff": float(max(
                    abs(e["signed_rel_objective_diff"]) for e in rows
                    if "signed_rel_objective_diff" in e)),
            }
    s["l1_large"] = {r["case"]: r.get("seconds", r.get("skipped") or r.get("timeout"))
                     for r in large}
    return s


def _solver_cell(s, tol=True):
    if s is None:
        return "-"
    if s.get("skipped"):
        return "n/a"
    if s.get("median_s") is None:
        if s.get("timeout"):
            return f"> {format_seconds(s['timeout'])} (killed)"
        if s.get("failure"):
            return "failed"
        return "n.r. " + _fmt(s.get("best_error"))
    cell = format_seconds(s["median_s"])
    if s.get("1t", {}).get("median_s") is not None:
        cell += f"; 1t {format_seconds(s['1t']['median_s'])}"
    extra = []
    if tol and s.get("tol"):
        extra.append(f"tol {s['tol']:.0e}")
    err = s.get("error")
    extra.append(f"err {_fmt(err)}" + ("*" if err is not None and err > TIK_TARGET else ""))
    return f"{cell} ({', '.join(extra)})"


def write_markdown(path, records, summary, meta, compile_info):
    tik = [r for r in records if r["part"] == "tik"]
    l1 = [r for r in records if r["part"] == "l1"]
    large = [r for r in records if r["part"] == "l1-large"]
    git = meta["git"]
    lines = [
        "# skreg graph benchmark (graph_tikhonov, graph_l1)",
        "",
        f"Generated {meta['date']} by `python benchmarks/graph.py {' '.join(meta['argv'])}` "
        f"on {meta['machine']['cpu_count']} cores ({meta['machine']['processor']}), shared "
        f"with other jobs (load average at start {meta['load_average_start']}, at end "
        f"{meta.get('load_average_end', '-')}); skreg at {git['commit'][:10]}"
        f"{' + uncommitted changes' if git['dirty'] else ''}; total {meta.get('total_s', 0):.0f}"
        " s. skreg runs with all cores (numba threads), scipy's lsqr / spsolve on one (scipy "
        "sparse products and SuperLU are single-threaded). JIT compilation is excluded "
        "(warm-up on a tiny problem first) and reported separately.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "",
    ]
    for when in ("start", "end"):
        probe = meta.get(f"blas_probe_{when}")
        if probe:
            parts = [f"BLAS {k.split('_')[3]} threads: " + ", ".join(f"{v:.0f}" for v in vals)
                     for k, vals in probe.items()]
            lines.append(f"- Machine probe at the {when}: dense Cholesky 1024 x 1024 (ms), "
                         + "; ".join(parts) + " (a large gap = oversubscribed cores: "
                         "multi-threaded BLAS and numba parallel regions wait for descheduled "
                         "threads).")
    lines.append("")
    if tik:
        lines += [
            "## Part 1: Tikhonov, `graph_tikhonov` vs scipy `lsqr` / `spsolve`",
            "",
            "Objective `1/2 ||K w - y||^2 + alpha/2 ||L w||^2`. CT: `make_tomography(s, "
            f"n_angles=s, noise={NOISE})` (Shepp-Logan); blur: `make_deblurring(s, sigma="
            f"{BLUR_SIGMA}, noise={NOISE})`. `grid1`: `grid_laplacian(radius=1)`; `data4`: "
            f"`data_laplacian(radius={DATA_RADIUS}, sigma={DATA_SIGMA:g})` of a preliminary "
            "reconstruction (CT: filtered back-projection; blur: the grid1 Tikhonov solution). "
            "alpha: the discrepancy-principle value (measured at <= 128 for grid1, <= 64 for "
            "data4; extrapolated beyond, see the JSON). **Equal accuracy**: each solver's "
            f"tolerance is the loosest of a half-decade grid (1e-2 ... 1e-12) whose solution "
            f"has relative error `||w - w_ref|| / ||w_ref|| <= {TIK_TARGET:g}` against a "
            f"tight reference (p <= {DIRECT_MAX}: dense Cholesky; above: lsqr at atol = btol "
            f"= {REF_TOL:g}); `err` is the achieved error. skreg cg: `tol` = relative "
            "residual of the normal equations; lsqr: `atol = btol = tol` on `[K; sqrt(alpha) "
            "L] w = [y; 0]`, conlim off, time includes stacking; spsolve: SuperLU on `K^T K + "
            "alpha L^T L` (time includes forming it; run in a spawned process, killed after "
            f"{meta['args']['spsolve_seconds']:g} s), n/a when it would exceed "
            f"{NORMAL_MAX_NNZ:.0e} nonzeros. Medians of 5 / 3 / 1 repeats (fits < 1 s / < 10 "
            "s / longer). Ratio = skreg / anchor (< 1: skreg faster).",
            "",
            "| case | p | nnz K | alpha | reference | skreg cg | skreg direct | lsqr | "
            "spsolve | cg / lsqr | cg / spsolve | direct / best |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]

        def pair(ratio, key):
            a, b = ratio.get(key), ratio.get(key + " 1t")
            return "-" if a is None else f"{a:.2f} / {_fmt(b, '.2f')}"

        for r in tik:
            s = r["solvers"]
            ref = r["reference"]
            ratio = r["ratios"]
            spc = _solver_cell(s.get("scipy-spsolve"), tol=False)
            if s.get("scipy-spsolve", {}).get("median_form_s") is not None:
                spc += f" [form {format_seconds(s['scipy-spsolve']['median_form_s'])}]"
            lines.append(
                f"| {r['dataset']}/{r['graph']} "
                f"| {r['n_features']} | {r['K_nnz']:.1e} | {r['alpha']:.2g} | "
                f"{format_seconds(ref['seconds'])} ({ref['method'].split(' ')[0]}, res "
                f"{ref['normal_residual']:.0e}) | {_solver_cell(s.get('skreg-cg'))} | "
                f"{_solver_cell(s.get('skreg-direct'), tol=False)} | "
                f"{_solver_cell(s.get('scipy-lsqr'))} | {spc} | "
                f"{pair(ratio, 'skreg-cg/scipy-lsqr')} | "
                f"{pair(ratio, 'skreg-cg/scipy-spsolve')} | "
                f"{pair(ratio, 'skreg-direct/best')} |")
        lines += ["", "skreg cells: all cores, then `1t` (numba and BLAS on one thread, same "
                  "tol); ratio cells: all cores / 1t. `*`: error above the target (a direct "
                  "solver has no tolerance to tighten); such an anchor is not used in ratios.",
                  ""]
        lines.append("")
        for key, text in (("skreg-cg/scipy-lsqr", "skreg cg / lsqr"),
                          ("skreg-cg/scipy-spsolve", "skreg cg / spsolve"),
                          ("skreg-cg/best", "skreg cg / best anchor"),
                          ("skreg-direct/best", "skreg direct / best anchor"),
                          ("skreg-cg/scipy-lsqr 1t", "skreg cg 1t / lsqr"),
                          ("skreg-cg/scipy-spsolve 1t", "skreg cg 1t / spsolve"),
                          ("skreg-cg/best 1t", "skreg cg 1t / best anchor"),
                          ("skreg-direct/best 1t", "skreg direct 1t / best anchor")):
            v = summary["tik"].get(key)
            if v:
                lines.append(f"- {text}: median {v['median']:.2f} (range {v['min']:.2f} - "
                             f"{v['max']:.2f}); skreg faster in {v['skreg_faster']} of {v['n']}.")
        for item in summary["tik"].get("not_reached", []):
            lines.append(f"- not reached: {item}")
        checks = [(r["case"], r["reference"]["lsqr_reference_check"]) for r in tik
                  if "lsqr_reference_check" in r["reference"]]
        if checks:
            lines.append("- lsqr reference (atol = btol = 1e-14) against the dense Cholesky "
                         "solve where both exist: " + ", ".join(f"{c.split('/', 1)[1]} {v:.0e}"
                                                                 for c, v in checks) + ".")
        spn = [(r["case"], r["solvers"]["scipy-spsolve"]) for r in tik
               if r["solvers"].get("scipy-spsolve", {}).get("skipped")]
        for c, s in spn:
            lines.append(f"- spsolve n/a on {c.split('/', 1)[1]}: {s['skipped']}.")
        mem = [r for r in tik if r.get("memory")]
        if mem:
            lines += [
                "",
                "### Memory (largest images)",
                "",
                "Peak resident memory of one solve above the process's resident memory "
                "before it (after loading the data and a warm-up), each solver in a fresh "
                "spawned process at its tolerance above; measured as the Linux high-water "
                "mark `VmHWM` reset through `/proc/self/clear_refs` just before the solve (so "
                "it counts every allocator: numpy, numba, SuperLU), not tracemalloc. `input`: "
                "K and L in CSR.",
                "",
                "| case | input | skreg cg | skreg direct | lsqr | spsolve |",
                "|---|---|---|---|---|---|",
            ]
            for r in mem:
                cells = []
                for n in ("skreg-cg", "skreg-direct", "scipy-lsqr", "scipy-spsolve"):
                    m = r["memory"].get(n)
                    cells.append(f"{m['peak_mb']:.0f} MiB ({format_seconds(m.get('median_s'))})"
                                 if m and "peak_mb" in m else "-")
                lines.append(f"| {r['case'].split('/', 1)[1]} | {r['input_mb']:.0f} MiB | "
                             + " | ".join(cells) + " |")
        lines.append("")
    if l1:
        lines += [
            "## Part 2: l1, `graph_l1` vs cvxpy (`skreg.reference.graph_regression`)",
            "",
            "Objective `1/2 ||K w - y||^2 + alpha ||G w||_1`. graphla: G = data Laplacian "
            f"(radius {DATA_RADIUS}) of the filtered back-projection (CT), the chain Laplacian "
            "(tabular); tv: G = incidence matrix of the grid / chain graph. CT: "
            "`make_tomography(s, n_angles=s)`; chain: Gaussian X (p/2 x p), piecewise-constant "
            f"coef, 5 % noise. alpha: {L1_ALPHA_NOTE}. cvxpy: `graph_regression(penalty=\"l1\")`"
            " (Clarabel at 1e-12 tolerances, falling back to defaults; a spawned process, "
            "warmed up, killed after "
            f"{meta['args']['cvxpy_seconds']:g} s; time = the whole call: problem "
            "construction, canonicalization, solve). skreg: `graph_l1` (auto back end: the "
            "direct ADMM, whole loop in numba, up to 1024 unknowns with a sparse X (CT) and "
            "4096 with a dense X (chain); PDHG beyond, i.e. ct48) and `solver=\"pdhg\"`, "
            "tol = the loosest of the half-decade grid whose "
            f"objective is within {L1_TARGET:g} (relative) of cvxpy's (`dobj`: signed "
            "(f_skreg - f_cvxpy) / |f_cvxpy|, negative = skreg lower). Speed-up = cvxpy / "
            f"skreg time (all cores / 1t: numba and BLAS on one thread, same tol); target >= "
            f"{SPEEDUP_TARGET:g} (`>= 50x`: met with either).",
            "",
            "| case | p | alpha | cvxpy | skreg | tol | dobj | speed-up | >= 50x | skreg pdhg | "
            "dobj pdhg | speed-up pdhg |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in l1:
            c = r["solvers"]["cvxpy"]
            cv = (f"{format_seconds(c['median_s'])} ({c.get('status')})" if c.get("median_s")
                  else f"> {c.get('timeout')} s" if c.get("timeout") else "error")
            row = [r["case"].split("/", 1)[1], str(r["n_features"]), f"{r['alpha']:.3g}", cv]
            for name in ("skreg-l1", "skreg-l1-pdhg"):
                e = r["solvers"].get(name)
                if e is None:
                    row += ["-"] * (5 if name == "skreg-l1" else 3)
                    continue
                t = (format_seconds(e["median_s"]) if e.get("median_s") is not None
                     else f"n.r. ({e.get('reason')})")
                if e.get("1t"):
                    t += f"; 1t {format_seconds(e['1t']['median_s'])}"
                speed = _fmt(e.get("speedup_vs_cvxpy"), ".2f")
                if e.get("speedup_vs_cvxpy_1t") is not None:
                    speed += f" / {e['speedup_vs_cvxpy_1t']:.2f}"
                if name == "skreg-l1":
                    met = ("yes" if e.get("target_met") else "NO") if "target_met" in e else "-"
                    row += [t, _fmt(e.get("tol"), ".0e"),
                            _fmt(e.get("signed_rel_objective_diff")), speed, met]
                else:
                    row += [t, _fmt(e.get("signed_rel_objective_diff")), speed]
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        for name, text in (("skreg-l1", "skreg (auto back end)"),
                           ("skreg-l1-pdhg", "skreg pdhg")):
            v = summary["l1"].get(name)
            if v:
                lines.append(
                    f"- {text}: speed-up over cvxpy median {v['median_speedup']:.2f} (range "
                    f"{v['min_speedup']:.2f} - {v['max_speedup']:.2f}; 1t: median "
                    f"{_fmt(v['median_speedup_1t'], '.2f')}, max "
                    f"{_fmt(v['max_speedup_1t'], '.2f')}); >= {SPEEDUP_TARGET:g}x "
                    f"in {v['target_met']} of {v['n']}; largest |dobj| "
                    f"{v['max_rel_objective_diff']:.1e}.")
        lines.append("")
    if large:
        lines += [
            "### One l1 solve on larger CT images",
            "",
            "`graph_l1` (auto back end: PDHG above 1024 unknowns with a sparse X) at the tol "
            "found "
            "on the small CT cases of the same penalty, in a spawned process (warmed up; peak "
            "memory as above; killed after "
            f"{meta['args']['max_large_seconds']:g} s). A size is skipped when the previous "
            f"one took more than {LARGE_CUTOFF_S:g} s. No reference here: `converged` is "
            "the solver's own stopping test.",
            "",
            "| case | p | alpha | tol | time | back end | iterations | converged | peak memory | "
            "recovery error |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in large:
            name = r["case"].split("/", 1)[1]
            if r.get("skipped"):
                lines.append(f"| {name} | - | - | - | skipped: {r['skipped']} | - | - | - | - "
                             "| - |")
                continue
            t = (format_seconds(r["seconds"]) if r.get("seconds") is not None
                 else f"> {r.get('timeout')} s (killed)" if r.get("timeout")
                 else f"failed: {str(r.get('failure'))[:60]}")
            lines.append(
                f"| {name} | {r['n_features']} | {r['alpha']:.3g} | {r['tol']:.0e} | {t} | "
                f"{r.get('solver', r.get('expected_solver'))} | {r.get('n_iter', '-')} | "
                f"{r.get('converged', '-')} | "
                + (f"{r['peak_mb']:.0f} MiB" if "peak_mb" in r else "-")
                + f" (input {r['input_mb']:.0f} MiB) | {_fmt(r.get('recovery_error'), '.3f')} |")
        lines.append("")
    if compile_info:
        lines += ["## Compile time", "",
                  "Fresh processes with an empty, then the filled, `NUMBA_CACHE_DIR`; the pieces "
                  "are called in this order (later pieces reuse kernels compiled by earlier "
                  "ones: `data_laplacian` shares the window-graph and Laplacian kernels of "
                  "`grid_laplacian`; `graph_l1` the CSR product of `graph_tikhonov`).", "",
                  "| piece | cold | warm |", "|---|---|---|"]
        for key, text in list(COMPILE_PIECES.items()) + [("total_s", "total")]:
            cells = []
            for state in ("cold", "warm"):
                res = compile_info.get(state, {})
                cells.append(f"{res[key]:.2f} s" if key in res else
                             f"error: {res.get('error', '-')}"[:80])
            lines.append(f"| {text} | " + " | ".join(cells) + " |")
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
    tik = [r for r in records if r["part"] == "tik"]
    l1 = [r for r in records if r["part"] == "l1"]
    large = [r for r in records if r["part"] == "l1-large" and r.get("seconds")]
    panels = [p for p in (tik, l1, large or None) if p]
    if not panels:
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 5.5))
    axes = list(np.atleast_1d(axes))
    if tik:
        ax = axes.pop(0)
        names = [r["case"].split("/", 1)[1] for r in tik]
        ypos = np.arange(len(tik))
        for j, (key, label) in enumerate((("skreg-cg/scipy-lsqr", "skreg cg / lsqr"),
                                          ("skreg-cg/scipy-spsolve", "skreg cg / spsolve"),
                                          ("skreg-direct/best", "skreg direct / best"))):
            vals = [r["ratios"].get(key, np.nan) for r in tik]
            ax.barh(ypos - 0.27 + 0.27 * j, vals, height=0.27, label=label)
        ax.axvline(1.0, color="k", lw=1)
        ax.set_xscale("log")
        ax.set_yticks(ypos, names, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(f"time ratio at relative error <= {TIK_TARGET:g} (< 1: skreg faster)")
        ax.set_title("Tikhonov: skreg vs scipy")
        ax.legend(fontsize=7)
    if l1:
        ax = axes.pop(0)
        names = [r["case"].split("/", 1)[1] for r in l1]
        ypos = np.arange(len(l1))
        for j, (key, label) in enumerate((("skreg-l1", "skreg (auto)"),
                                          ("skreg-l1-pdhg", "skreg pdhg"))):
            vals = [r["solvers"].get(key, {}).get("speedup_vs_cvxpy", np.nan) for r in l1]
            ax.barh(ypos - 0.2 + 0.4 * j, vals, height=0.4, label=label)
        ax.axvline(1.0, color="k", lw=1)
        ax.axvline(SPEEDUP_TARGET, color="r", lw=1, ls="--")
        ax.set_xscale("log")
        ax.set_yticks(ypos, names, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(f"speed-up cvxpy / skreg at equal objective (dashed: {SPEEDUP_TARGET:g}x)")
        ax.set_title("l1 (graphLa, graph TV) vs cvxpy")
        ax.legend(fontsize=7)
    if large:
        ax = axes.pop(0)
        for graph in ("graphla", "tv"):
            pts = [(r["n_features"], r["seconds"]) for r in large if r["graph"] == graph]
            if pts:
                ax.loglog(*zip(*pts), "o-", label=f"graph_l1 {graph}")
        for kind in ("ct", "blur"):
            for graph in ("grid1", "data4"):
                pts = [(r["n_features"], r["solvers"]["skreg-cg"]["median_s"]) for r in tik
                       if r["kind"] == kind and r["graph"] == graph
                       and r["solvers"]["skreg-cg"].get("median_s")]
                if len(pts) > 1:
                    ax.loglog(*zip(*pts), "x--", lw=0.8, label=f"graph_tikhonov cg {kind} {graph}")
        ax.set_xlabel("unknowns (pixels)")
        ax.set_ylabel("seconds")
        ax.set_title("time of one solve")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--cases", default=None, help="regex selecting case names (re.search)")
    parser.add_argument("--list", action="store_true", help="list the case names and exit")
    parser.add_argument("--repeats", type=int, default=None,
                        help="max timed repeats (default 5, quick: 3)")
    parser.add_argument("--max-fit-seconds", type=float, default=None,
                        help="budget of one in-process fit: caps CG / lsqr iterations, ends "
                        "a tol search (default 300, quick 30)")
    parser.add_argument("--spsolve-seconds", type=float, default=None,
                        help="spsolve is killed after this (default 600, quick 60)")
    parser.add_argument("--cvxpy-seconds", type=float, default=None,
                        help="a cvxpy solve is killed after this (default 600, quick 60)")
    parser.add_argument("--max-large-seconds", type=float, default=None,
                        help="one l1-large solve is killed after this (default 600, quick 60)")
    parser.add_argument("--memory-min-size", type=int, default=None,
                        help="measure Tikhonov peak memory from this image size (default 256, "
                        "quick 32)")
    parser.add_argument("--skip-compile", action="store_true", help="skip compile timings")
    parser.add_argument("--output", default=None,
                        help="output path without extension (default benchmarks/results/graph,"
                        " quick: benchmarks/results/graph_quick)")
    args = parser.parse_args(argv)
    full = not args.quick
    defaults = {"repeats": (5, 3), "max_fit_seconds": (300.0, 30.0),
                "spsolve_seconds": (600.0, 60.0), "cvxpy_seconds": (600.0, 60.0),
                "max_large_seconds": (600.0, 60.0), "memory_min_size": (256, 32)}
    for key, (f, q) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, f if full else q)
    if args.output is None:
        args.output = os.path.join(HERE, "results", "graph" + ("_quick" if args.quick else ""))
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
        "versions": versions(["skreg", "numpy", "scipy", "numba", "cvxpy", "clarabel"]),
        "machine": machine_info(),
        "load_average_start": " ".join(f"{v:.1f}" for v in os.getloadavg()),
        "objectives": {
            "tikhonov": "1/2 ||K w - y||^2 + alpha/2 ||L w||^2",
            "l1": "1/2 ||K w - y||^2 + alpha ||G w||_1",
        },
        "tik_target_relative_error": TIK_TARGET,
        "l1_target_relative_objective": L1_TARGET,
        "speedup_target": SPEEDUP_TARGET,
        "tols": list(TOLS),
        "tik_alphas_measured": {f"{k[0]}/{k[1]}": v for k, v in TIK_ALPHAS.items()},
        "l1_alpha": L1_ALPHA_NOTE,
        "timing": "skreg and lsqr in this process (median of 5 / 3 / 1 repeats for fits "
                  "< 1 s / < 10 s / longer, after a warm-up); spsolve, cvxpy, l1-large and "
                  "memory runs in spawned processes (warm-up there, times taken around the "
                  "solve)",
    }
    records = []
    payload = {"meta": meta, "compile": None, "measurements": records, "summary": None}
    _set_threads(N_CPUS)
    meta["blas_probe_start"] = blas_probe()
    log(f"BLAS probe: {meta['blas_probe_start']}")
    for name in ("skreg-cg", "skreg-direct", "scipy-lsqr", "skreg-l1", "skreg-l1-pdhg"):
        warm_up(name)
    if not args.skip_compile:
        log("compile timings (fresh subprocesses, empty then warm NUMBA_CACHE_DIR)")
        payload["compile"] = compile_timings()
    data = DataCache()
    hints = {}
    previous_large = {}
    for i, case in enumerate(cases, 1):
        log(f"({i}/{len(cases)}, {time.perf_counter() - t_start:.0f} s elapsed) [{case.name}]")
        try:
            if case.part == "tik":
                rec = run_tik_case(case, data, args, hints)
            elif case.part == "l1":
                rec = run_l1_case(case, data, args, hints)
            else:
                rec = run_l1_large_case(case, data, args, hints,
                                        previous_large.get(case.graph))
                previous_large[case.graph] = rec
            rec["dataset"] = case.dataset
            records.append(rec)
        except Exception as exc:  # record and go on
            log(f"    ERROR {type(exc).__name__}: {exc}")
            records.append({"case": case.name, "part": "error",
                            "error": f"{type(exc).__name__}: {exc}"[:500],
                            "traceback": traceback.format_exc()[-2000:]})
        payload["summary"] = summarize([r for r in records if r["part"] != "error"])
        write_json(args.output + ".json", payload)
    ok = [r for r in records if r["part"] != "error"]
    payload["summary"] = summarize(ok)
    meta["total_s"] = time.perf_counter() - t_start
    meta["load_average_end"] = " ".join(f"{v:.1f}" for v in os.getloadavg())
    meta["blas_probe_end"] = blas_probe()
    meta["errors"] = [r for r in records if r["part"] == "error"]
    write_json(args.output + ".json", payload)
    write_markdown(args.output + ".md", ok, payload["summary"], meta, payload["compile"])
    plotted = write_plot(args.output + ".png", ok)
    log(f"done in {meta['total_s']:.0f} s: {args.output}.json, .md"
        + (", .png" if plotted else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
