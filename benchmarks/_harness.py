"""Shared machinery of the benchmark scripts: accuracy (duality gaps), tolerance search, timing.

Every solver, skreg's and the anchors', is judged by the *same* accuracy measure computed here
from the coefficients it returns: the relative duality gap ``gap / P(0, b_opt)`` of the problem
as skreg states it (see ``.notes/CONTRACT.md``). Solvers' own ``tol`` parameters mean different
things, so :func:`search_tol` finds, per solver and case, the loosest ``tol`` at which the
measured relative gap is below the target, and :func:`time_fit` times the fit at that ``tol``.
"""

import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: tolerances tried by the tolerance search, loosest first
TOLS = tuple(10.0**-k for k in range(2, 13))


def log(*args):
    """Print a progress line immediately."""
    print(*args, flush=True)


# --------------------------------------------------------------------------------------------
# duality gaps
# --------------------------------------------------------------------------------------------
class GapMeter:
    """Relative duality gaps of the benchmarked problems, from ``skreg.reference``.

    The gap of every solver's output is computed by the benchmark itself (never taken from
    the solver) and divided by the objective at ``w = 0`` with the best intercept.
    """

    backend = "skreg.reference"

    def __init__(self):
        from skreg.reference import (
            enet_duality_gap,
            enet_null_objective,
            logistic_duality_gap,
            logistic_null_objective,
        )

        self._enet = (enet_duality_gap, enet_null_objective)
        self._logistic = (logistic_duality_gap, logistic_null_objective)

    @staticmethod
    def _relative(funcs, X, y, coef, intercept, alpha, l1_ratio, fit_intercept):
        gap_fn, null_fn = funcs
        coef = np.asarray(coef, dtype=np.float64).ravel()
        intercept = float(np.ravel(intercept)[0]) if np.ndim(intercept) else float(intercept)
        gap = gap_fn(
            X, y, coef, intercept, alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept
        )
        return float(gap) / float(null_fn(y, fit_intercept=fit_intercept))

    def enet(self, X, y, coef, intercept=0.0, *, alpha, l1_ratio=1.0, fit_intercept=True):
        """Relative gap of the elastic net (sklearn scaling) at ``(coef, intercept)``."""
        return self._relative(self._enet, X, y, coef, intercept, alpha, l1_ratio, fit_intercept)

    def logistic(self, X, y, coef, intercept=0.0, *, alpha, l1_ratio=1.0, fit_intercept=False):
        """Relative gap of penalized logistic regression (``y`` in {-1, 1}, mean loss)."""
        return self._relative(
            self._logistic, X, y, coef, intercept, alpha, l1_ratio, fit_intercept
        )


def alpha_max_enet(X, y, *, l1_ratio=1.0, fit_intercept=True):
    """Smallest alpha for which the elastic-net solution is zero (sklearn scaling)."""
    # X.T @ (y - mean(y)) equals the correlation with the centred columns of X
    y_c = y - y.mean() if fit_intercept else y
    corr = X.T @ y_c
    return float(np.abs(corr).max() / (X.shape[0] * l1_ratio))


def alpha_max_logistic(X, y):
    """Smallest alpha for which l1 logistic regression without intercept gives zero."""
    return float(np.abs(X.T @ y).max() / (2.0 * X.shape[0]))


# --------------------------------------------------------------------------------------------
# tolerance search and timing
# --------------------------------------------------------------------------------------------
class FitFailed(Exception):
    """Raised by a solver wrapper when the underlying library errors out."""


def _run(fit, tol):
    """Run ``fit(tol)``; return (result, wall seconds, convergence warning seen, CPU seconds).

    The CPU time is the whole process's (all threads): CPU / wall is the number of cores the
    fit kept busy on average.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cpu_start = time.process_time()
        start = time.perf_counter()
        result = fit(tol)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
    convergence = any("onverge" in type(w.message).__name__ for w in caught)
    return result, seconds, convergence, cpu


def _measure(measure, result):
    """``measure(result)`` on one BLAS thread.

    The measurement is not timed, but a multi-threaded BLAS call in it would leave OpenBLAS's
    worker threads spinning for ~0.1 s, and the next timed fit would share the cores with
    them (measured on 2 cores: a 12 ms SqrtLasso fit took 24-32 ms after a gap computation).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return float(measure(result))


def _run_measured(fit, measure, tol):
    result, seconds, conv, _ = _run(fit, tol)
    return result, seconds, conv, _measure(measure, result)


class FitTimeout(Exception):
    """A fit run in a child process exceeded its time limit and was killed."""


def _run_isolated(fit, measure, tol, timeout):
    """Run ``_run_measured`` in a forked child process, killed after ``timeout`` seconds.

    The child inherits the data (copy-on-write), so nothing but the result is pickled. Only
    for solvers that do not use an OpenMP thread pool (forking after libgomp has started its
    threads can deadlock the child): the anchors, not skreg's parallel kernels.
    """
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)

    def child():
        try:
            payload = ("ok", _run_measured(fit, measure, tol))
        except BaseException as exc:  # sent to the parent, which records it
            payload = ("error", f"{type(exc).__name__}: {exc}")
        sender.send(payload)

    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise FitTimeout(f"fit killed after {timeout:g} s (tol={tol:g})")
        try:
            status, payload = receiver.recv()
        except EOFError:
            raise RuntimeError(f"fit process died (exit code {proc.exitcode})") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receiver.close()
    if status == "error":
        raise RuntimeError(payload)
    return payload


def search_tol(
    fit, measure, *, target, tols=TOLS, hint=None, max_fit_seconds=np.inf, isolate=False
):
    """Find the loosest ``tol`` at which ``measure(fit(tol)) <= target``.

    The search assumes that the measured gap decreases when ``tol`` decreases. It starts at
    ``hint`` (default: the loosest tolerance), moves to looser tolerances while the target is
    reached and to tighter ones while it is not.

    Parameters
    ----------
    fit : callable
        ``fit(tol) -> result``; may raise.
    measure : callable
        ``measure(result) -> float``, the relative duality gap.
    target : float
        Relative gap to reach.
    tols : sequence of float
        Candidate tolerances, loosest first.
    hint : float or None
        Tolerance to try first (e.g. the one found on a similar case).
    max_fit_seconds : float
        Time budget of one fit: with ``isolate`` a fit running longer is killed; otherwise
        the search stops after a fit that took longer without reaching the target.
    isolate : bool, default=False
        Run each fit in a forked child process so that it can be killed (see
        :func:`_run_isolated`).

    Returns
    -------
    dict
        ``tol`` (None if never reached), ``gap`` at that tol, ``seconds`` of that fit,
        ``result``, ``best_gap`` over all tries, ``trials`` (list of (tol, gap, seconds)),
        ``reason`` why the search stopped if the target was not reached, and ``error`` (str)
        if a fit raised.
    """
    tols = list(tols)
    start = 0
    if hint is not None:
        start = int(np.argmin([abs(np.log10(t) - np.log10(hint)) for t in tols]))
    trials = []
    outcome = {}  # index -> (gap, seconds, result, convergence warning)

    def attempt(index):
        """Fit at ``tols[index]``: 'ok' (target reached), 'fail' or 'timeout'."""
        try:
            if isolate:
                run = _run_isolated(fit, measure, tols[index], max_fit_seconds)
            else:
                run = _run_measured(fit, measure, tols[index])
        except FitTimeout:
            trials.append((tols[index], None, max_fit_seconds))
            return "timeout"
        result, seconds, conv, gap = run
        trials.append((tols[index], gap, seconds))
        outcome[index] = (gap, seconds, result, conv)
        return "ok" if gap <= target else "fail"

    def failure(reason, error=None):
        gaps = [t[1] for t in trials if t[1] is not None]
        return {
            "tol": None,
            "gap": None,
            "seconds": None,
            "result": None,
            "best_gap": min(gaps, default=None),
            "trials": trials,
            "reason": reason,
            "error": error,
        }

    killed = f"fit killed after {max_fit_seconds:g} s"
    found = None
    try:
        index = start
        status = attempt(index)
        # the hint may be tighter than this case needs: after a timeout try one looser tol
        # (two timeouts at most, to bound the time spent on a hopeless solver)
        while status == "timeout" and index > 0 and len(trials) < 2:
            index -= 1
            status = attempt(index)
        if status == "timeout":
            return failure(f"{killed} at every tol tried (down to tol={tols[index]:g})")
        if status == "ok":
            found = index
            while index > 0:  # loosest tol that still reaches the target
                index -= 1
                if attempt(index) != "ok":
                    break
                found = index
        elif index < start:
            return failure(f"{killed} at tol={tols[index + 1]:g}, not reached at looser tols")
        else:
            while found is None:
                gap, seconds, _, conv = outcome[index]
                if seconds > max_fit_seconds:
                    return failure(f"fit took {seconds:.1f} s > {max_fit_seconds:g} s budget")
                if index + 1 >= len(tols):
                    return failure(f"not reached at tol={tols[-1]:g}")
                index += 1
                status = attempt(index)
                if status == "ok":
                    found = index
                elif status == "timeout":
                    return failure(f"{killed} at tol={tols[index]:g}")
                elif outcome[index][3] and outcome[index][0] >= gap * (1 - 1e-9):
                    # iteration cap: a tighter tol cannot help
                    return failure(
                        f"gap stalls at tol={tols[index]:g} with a convergence warning "
                        "(iteration cap reached)"
                    )
    except Exception as exc:  # an anchor crashing must not stop the benchmark
        if found is None:
            return failure("error", f"{type(exc).__name__}: {exc}"[:500])
    gap, seconds, result, conv = outcome[found]
    return {
        "tol": tols[found],
        "gap": gap,
        "seconds": seconds,
        "result": result,
        "convergence_warning": conv,
        "best_gap": min(t[1] for t in trials if t[1] is not None),
        "trials": trials,
        "reason": None,
        "error": None,
    }


def n_repeats(seconds, max_repeats):
    """Number of timed repeats for a fit that takes ``seconds``: 5 / 3 / 1 (capped)."""
    if seconds < 1.0:
        k = 5
    elif seconds < 10.0:
        k = 3
    else:
        k = 1
    return max(1, min(k, max_repeats))


def time_fit(fit, measure, tol, repeats):
    """Time ``repeats`` fits at ``tol``; return times, gaps, the worst gap, the last result.

    The repeats run back to back, as the anchors timed in their own process do, and the
    gaps are measured afterwards: a measurement between two timed fits (some solve a
    reference program) would leave the caches cold for the next one, which on the
    sub-millisecond fits had doubled their times.
    """
    times, cpu, results = [], [], []
    for _ in range(repeats):
        result, seconds, _, cpu_seconds = _run(fit, tol)
        times.append(seconds)
        cpu.append(cpu_seconds)
        results.append(result)
    gaps = [_measure(measure, r) for r in results]
    result = results[-1]
    return {
        "result": result,
        "cpu_per_wall": float(np.sum(cpu) / max(np.sum(times), 1e-12)),
        "times": times,
        "median_s": float(np.median(times)),
        "min_s": float(np.min(times)),
        "repeats": repeats,
        "gaps": gaps,
        "max_gap": float(np.max(gaps)),
    }


# --------------------------------------------------------------------------------------------
# environment, compile timings, output
# --------------------------------------------------------------------------------------------
def versions(modules):
    """Return ``{name: version or None}`` for importable modules."""
    out = {}
    for name in modules:
        try:
            module = __import__(name)
        except Exception:
            out[name] = None
            continue
        out[name] = getattr(module, "__version__", "unknown")
    return out


def machine_info():
    """Cores, platform and BLAS/OpenMP thread pools as seen by threadpoolctl."""
    info = {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
    }
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {k: pool.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
            for pool in threadpool_info()
        ]
    except Exception as exc:  # threadpoolctl missing: not essential
        info["threadpools"] = f"unavailable: {exc}"
    return info


_COMPILE_SCRIPT = r"""
import json, sys, time
import numpy as np
rng = np.random.default_rng(0)
X = np.asfortranarray(rng.standard_normal((60, 120)))
y = X[:, :5].sum(axis=1) + 0.1 * rng.standard_normal(60)
if sys.argv[1] == "SparseLogisticRegression":
    y = np.where(y > 0, 1.0, -1.0)
t0 = time.perf_counter()
import skreg
t1 = time.perf_counter()
est = getattr(skreg, sys.argv[1])(alpha=0.05)
est.fit(X, y)
t2 = time.perf_counter()
print("RESULT " + json.dumps({"import_s": t1 - t0, "first_fit_s": t2 - t1}))
"""


def fresh_process_timings(script, args=(), timeout=600, label=""):
    """Run ``script`` in fresh processes with an empty, then the filled, ``NUMBA_CACHE_DIR``.

    The script prints one line ``RESULT {json}`` of timings in seconds; the first process
    compiles every kernel it touches (cold), the second loads them from the cache (warm).

    Returns
    -------
    dict
        ``{"cold": {...}, "warm": {...}}``: the script's timings plus ``total_s`` (their
        sum), or ``error`` if the process failed.
    """
    out = {}
    with tempfile.TemporaryDirectory(prefix="skreg-numba-cache-") as cache_dir:
        env = dict(os.environ)
        env["NUMBA_CACHE_DIR"] = cache_dir
        env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
        for state in ("cold", "warm"):
            try:
                proc = subprocess.run([sys.executable, "-c", script, *args], env=env,
                                      cwd=REPO_ROOT, capture_output=True, text=True,
                                      timeout=timeout)
                lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
                if proc.returncode != 0 or not lines:
                    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
                    raise RuntimeError(tail[0] if tail else f"exit {proc.returncode}")
                res = json.loads(lines[-1][len("RESULT "):])
                res["total_s"] = float(sum(res.values()))
            except Exception as exc:
                res = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            out[state] = res
            log(f"  compile {label}{state}: " + ", ".join(
                f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in res.items()))
    return out


def compile_timings(estimators, timeout=600, script=None):
    """Time ``import skreg`` + first fit in fresh processes, with an empty then a warm cache.

    For each estimator (passed to the script as its argument) a new empty
    ``NUMBA_CACHE_DIR`` is created: see :func:`fresh_process_timings`.

    Returns
    -------
    dict
        ``{estimator: {"cold": {...}, "warm": {...}}}`` with ``import_s``, ``first_fit_s``,
        ``total_s`` and, if the subprocess failed, ``error``.
    """
    script = _COMPILE_SCRIPT if script is None else script
    return {name: fresh_process_timings(script, (name,), timeout, label=f"{name} ")
            for name in estimators}


def format_seconds(seconds):
    """Short human-readable duration."""
    if seconds is None:
        return "-"
    if seconds < 1e-2:
        return f"{seconds * 1e3:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1e3:.0f} ms"
    if seconds < 100:
        return f"{seconds:.2f} s"
    return f"{seconds:.0f} s"


def write_json(path, payload):
    """Write ``payload`` as indented JSON atomically (so partial runs leave a valid file)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(payload, handle, indent=1, default=_json_default)
    os.replace(tmp, path)


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
