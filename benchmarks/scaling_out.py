"""Benchmark scaling out: serial vs joblib (threads, loky) vs a dask LocalCluster.

Run from the repository root, with dask and distributed installed (the ``[dask]`` extra)::

    python benchmarks/scaling_out.py            # about 2-3 min on 2 cores
    python benchmarks/scaling_out.py --quick    # small problems, smoke test

Workloads (the same data and folds for every mode):

* **GridSearchCV** (scikit-learn) over ``make_pipeline(StandardScaler(), skreg.ElasticNet())``:
  8 alphas x 3 l1_ratios, 5 folds (120 fits plus the refit);
* **LassoCV** (skreg): a 100-alpha path on each of 5 folds;
* **sinkhorn_batch**: a batch of 64 entropic OT problems (``n_jobs`` cuts it into chunks).

Modes:

* ``serial``: ``n_jobs=None``, no joblib context (skreg's numba kernels still use every core);
* ``serial-1t``: the same with ``skreg.set_num_threads(1)`` (no parallelism at all);
* ``threads``: joblib threads in this process, ``n_jobs=2`` (GridSearchCV under
  ``joblib.parallel_backend("threading")``; skreg's own loops use threads by default);
* ``loky``: joblib worker processes, ``n_jobs=2`` (GridSearchCV's default backend);
* ``dask``: ``with joblib.parallel_backend("dask")`` on a ``LocalCluster(n_workers=2,
  threads_per_worker=1)`` (worker processes; one numba thread each), ``n_jobs=2``.

Every mode runs once untimed (JIT compilation, worker start-up and imports), then
``--repeats`` times (default 3); the median wall time is reported with the speed-up over
``serial``. Results go to ``benchmarks/results/scaling_out.{json,md}`` (quick:
``scaling_out_quick.*``). Timings on a shared 2-core machine are noisy: read ratios, not
milliseconds.
"""

import argparse
import contextlib
import os
import statistics
import sys
import time
import warnings
from datetime import datetime, timezone

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # benchmark the checkout's skreg, not an install

from _harness import log, machine_info, versions, write_json  # noqa: E402


def _data(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 1::2] += 0.5 * X[:, ::2][:, : X[:, 1::2].shape[1]]  # correlated columns
    w = np.zeros(p)
    w[: p // 20] = rng.standard_normal(p // 20) * 2.0
    return X, X @ w + rng.standard_normal(n) + 3.0


def workloads(quick):
    import joblib
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import skreg
    from skreg.ot import sinkhorn_batch

    cv = KFold(5, shuffle=True, random_state=0)
    n, p = (300, 100) if quick else (2000, 500)
    Xg, yg = _data(n, p)
    grid = {"elasticnet__alpha": list(np.geomspace(0.005, 1.0, 4 if quick else 8)),
            "elasticnet__l1_ratio": [0.2, 0.5, 0.9]}
    n, p = (300, 200) if quick else (2000, 1000)
    Xl, yl = _data(n, p, seed=1)
    rng = np.random.default_rng(2)
    B, m = (16, 40) if quick else (64, 150)
    Xo, Yo = rng.standard_normal((B, m, 3)), rng.standard_normal((B, m, 3)) + 0.5

    def grid_search(n_jobs, backend):
        search = GridSearchCV(make_pipeline(StandardScaler(), skreg.ElasticNet()), grid,
                              cv=cv, n_jobs=n_jobs)
        ctx = (joblib.parallel_backend(backend) if backend else contextlib.nullcontext())
        with ctx, warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return search.fit(Xg, yg).best_params_

    def lasso_cv(n_jobs, backend):
        ctx = (joblib.parallel_backend(backend) if backend else contextlib.nullcontext())
        with ctx:
            return skreg.LassoCV(cv=cv, n_jobs=n_jobs).fit(Xl, yl).alpha_

    def ot_batch(n_jobs, backend):
        ctx = (joblib.parallel_backend(backend) if backend else contextlib.nullcontext())
        with ctx:
            return sinkhorn_batch(None, None, (Xo, Yo), 0.5, n_jobs=n_jobs)[0].cost

    return {
        f"GridSearchCV, Pipeline(StandardScaler, ElasticNet), {Xg.shape[0]}x{Xg.shape[1]}, "
        f"{len(grid['elasticnet__alpha']) * 3} candidates x 5 folds": grid_search,
        f"LassoCV, {Xl.shape[0]}x{Xl.shape[1]}, 100 alphas x 5 folds": lasso_cv,
        f"sinkhorn_batch, {B} problems of {m}x{m}": ot_batch,
    }


MODES = {  # name: (n_jobs, joblib backend or None, GridSearchCV's backend)
    "serial": (None, None, None),
    "serial-1t": (None, None, None),  # the same with skreg.set_num_threads(1)
    "threads": (2, None, "threading"),
    "loky": (2, "loky", None),
    "dask": (2, "dask", "dask"),
}


def _mode_args(name, workload):
    n_jobs, backend, grid_backend = MODES[name]
    if workload.startswith("GridSearchCV"):
        return n_jobs, grid_backend if name != "loky" else None  # loky: GridSearchCV default
    return n_jobs, backend


def run(args):
    from distributed import Client, LocalCluster

    tasks = workloads(args.quick)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=40)
    client = Client(cluster)
    import skreg

    worker_threads = sorted(set(client.run(skreg.get_num_threads).values()))
    log(f"dask workers: {len(client.scheduler_info()['workers'])}, numba threads per worker: "
        f"{worker_threads}; this process: {skreg.get_num_threads()}")
    results = []
    try:
        for workload, func in tasks.items():
            row = {"workload": workload, "modes": {}}
            serial_out = None
            for mode in MODES:
                n_jobs, backend = _mode_args(mode, workload)
                skreg.set_num_threads(1 if mode == "serial-1t" else None)
                out = func(n_jobs, backend)  # warm-up: JIT, worker start-up, imports
                if serial_out is None:
                    serial_out = out
                same = bool(np.all(np.asarray(out == serial_out)))
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    func(n_jobs, backend)
                    times.append(time.perf_counter() - start)
                row["modes"][mode] = {"median_s": statistics.median(times), "times_s": times,
                                      "same_result_as_serial": same}
                log(f"{workload} | {mode:7s} {statistics.median(times):7.3f} s "
                    f"(runs {', '.join(f'{t:.3f}' for t in times)}) same={same}")
            base = row["modes"]["serial"]["median_s"]
            for mode in MODES:
                row["modes"][mode]["speedup"] = base / row["modes"][mode]["median_s"]
            results.append(row)
    finally:
        client.close()
        cluster.close()
    return results


def markdown(payload):
    lines = [
        "# Scaling out: serial vs joblib threads / loky vs dask LocalCluster",
        "",
        f"Measured {payload['date']} on {payload['machine']['cpu_count']} cores "
        f"({payload['machine']['platform']}), a shared machine: other jobs may have run at "
        "the same time (load average at start "
        f"{' '.join(f'{x:.1f}' for x in payload['load_average_start_end'][0])}, at end "
        f"{' '.join(f'{x:.1f}' for x in payload['load_average_start_end'][1])}), so read the "
        "ratios, not the milliseconds. Median of "
        f"{payload['repeats']} runs after one untimed warm-up per mode. dask: "
        "`LocalCluster(n_workers=2, threads_per_worker=1)` (worker processes, one numba "
        "thread each); `n_jobs=2` everywhere except serial (`n_jobs=None`; skreg's numba "
        "kernels still use both cores; `serial, 1 numba thread`: the same after "
        "`skreg.set_num_threads(1)`). Speed-ups are over `serial`.",
        "",
        "| workload | serial | serial, 1 numba thread | threads | loky | dask |",
        "|---|---|---|---|---|---|",
    ]
    for row in payload["results"]:
        cells = []
        for mode in MODES:
            r = row["modes"][mode]
            cell = f"{r['median_s']:.3f} s"
            if mode != "serial":
                cell += f" (x{r['speedup']:.2f})"
            if not r["same_result_as_serial"]:
                cell += " [differs]"
            cells.append(cell)
        lines.append(f"| {row['workload']} | " + " | ".join(cells) + " |")
    versions_line = ", ".join(f"{k} {v}" for k, v in payload["versions"].items())
    lines += ["", f"Versions: {versions_line}", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    out = args.output or os.path.join(HERE, "results",
                                      "scaling_out_quick" if args.quick else "scaling_out")
    load_start = os.getloadavg()
    results = run(args)
    payload = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_start_end": [list(load_start), list(os.getloadavg())],
        "machine": machine_info(),
        "versions": versions(["skreg", "numpy", "numba", "sklearn", "joblib", "dask",
                              "distributed"]),
        "repeats": args.repeats,
        "quick": args.quick,
        "results": results,
    }
    write_json(out + ".json", payload)
    with open(out + ".md", "w") as handle:
        handle.write(markdown(payload))
    log(f"wrote {out}.json and {out}.md")


if __name__ == "__main__":
    main()
