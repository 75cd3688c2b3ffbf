"""Scaling out: skreg's internal parallel loops run on a dask.distributed cluster.

One ``LocalCluster`` with two worker processes serves the module. Under
``joblib.parallel_backend("dask")`` scikit-learn's GridSearchCV over a skreg Pipeline,
LassoCV, ImplicitDiffSearchCV and the batched solvers (sinkhorn_batch, cs_recover,
l1_recover) give the results of a serial run, their tasks run on the workers (dask's task
stream says where), and numba uses one thread per dask thread in a worker.
"""

import os

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skreg
from skreg.cauchy_schwarz import cs_recover, l1_recover
from skreg.model_selection import ImplicitDiffSearchCV
from skreg.ot import sinkhorn_batch

pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")


THREADS_BEFORE = skreg.get_num_threads()  # in this process, before any cluster starts
_NANNY_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "MALLOC_TRIM_THRESHOLD_")


@pytest.fixture(scope="module")
def client():
    # distributed's Nanny sets its pre-spawn environment (OMP_NUM_THREADS=1, ...) in this
    # process too and leaves it there: restored afterwards, for the tests that follow
    saved = {k: os.environ.get(k) for k in _NANNY_ENV}
    # dashboard_address=":0": a free port for the scheduler's HTTP server (None still binds
    # 8787, which another cluster on the machine may hold); silence_logs: the workers' INFO
    # lines would flood a failing test's output
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=40)
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _regression(n=80, p=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:5] = rng.standard_normal(5) * 2.0
    return X, X @ w + 0.5 * rng.standard_normal(n) + 1.0


def _on_dask(client, fit):
    """``fit()`` under the dask backend; returns its result and the workers of its tasks."""
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        out = fit()
    return out, [t["worker"] for t in stream.data]


def _check_ran_on_workers(client, workers, at_least=2):
    """At least ``at_least`` tasks ran, all on the cluster's workers (other processes: see
    the first test). Which worker runs what is dask's choice: small tasks may all go to one."""
    assert len(workers) >= at_least
    assert set(workers) <= set(client.scheduler_info()["workers"])


def test_workers_are_other_processes_with_one_numba_thread(client):
    # the nanny sets OMP_NUM_THREADS=1 in the workers (distributed.nanny.pre-spawn-environ);
    # skreg's kernels follow it: one numba thread per dask thread, no oversubscription
    info = client.run(lambda: (os.getpid(), os.environ.get("OMP_NUM_THREADS"),
                               skreg.get_num_threads()))
    assert len(info) == 2
    for pid, omp, n_threads in info.values():
        assert pid != os.getpid()
        assert omp == "1"
        assert n_threads == 1
    # inside a task too, and for the path a fold of LassoCV takes
    assert client.submit(skreg.get_num_threads, pure=False).result() == 1
    from skreg._config import _effective_num_threads

    assert client.submit(_effective_num_threads, pure=False).result() == 1
    # this process, where the nanny also set OMP_NUM_THREADS=1, keeps its threads
    assert os.environ.get("OMP_NUM_THREADS") == "1"
    assert skreg.get_num_threads() == THREADS_BEFORE


def test_in_process_workers_share_the_cores(monkeypatch):
    # workers without a nanny (here threads of this process) get no OMP_NUM_THREADS: skreg
    # divides numba's threads among the dask threads of the process instead
    from skreg import _config
    from skreg._config import _max_num_threads

    monkeypatch.setattr(_config, "_OMP_NUM_THREADS_AT_IMPORT", None)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0", silence_logs=40) as cluster, \
            distributed.Client(cluster) as c:
        n = c.submit(skreg.get_num_threads, pure=False).result()
    assert n == max(_max_num_threads() // 2, 1)
    assert skreg.get_num_threads() == _max_num_threads()  # outside a worker: unchanged


def test_grid_search_over_a_pipeline(client):
    X, y = _regression()
    grid = {"elasticnet__alpha": [0.01, 0.1, 1.0], "elasticnet__l1_ratio": [0.2, 0.8]}

    def search():
        pipe = make_pipeline(StandardScaler(), skreg.ElasticNet(tol=1e-8))
        return GridSearchCV(pipe, grid, cv=KFold(3, shuffle=True, random_state=0),
                            n_jobs=2).fit(X, y)

    serial = GridSearchCV(make_pipeline(StandardScaler(), skreg.ElasticNet(tol=1e-8)), grid,
                          cv=KFold(3, shuffle=True, random_state=0)).fit(X, y)
    dist, workers = _on_dask(client, search)
    _check_ran_on_workers(client, workers)
    assert dist.best_params_ == serial.best_params_
    np.testing.assert_allclose(dist.cv_results_["mean_test_score"],
                               serial.cv_results_["mean_test_score"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(dist.best_estimator_[-1].coef_, serial.best_estimator_[-1].coef_,
                               rtol=0, atol=1e-12)


def test_lasso_cv(client):
    X, y = _regression()
    params = dict(cv=KFold(4, shuffle=True, random_state=0), n_alphas=30, tol=1e-8)
    serial = skreg.LassoCV(**params).fit(X, y)
    dist, workers = _on_dask(client, lambda: skreg.LassoCV(n_jobs=2, **params).fit(X, y))
    _check_ran_on_workers(client, workers)
    assert dist.alpha_ == serial.alpha_
    np.testing.assert_allclose(dist.mse_path_, serial.mse_path_, rtol=1e-12, atol=0)
    np.testing.assert_allclose(dist.coef_, serial.coef_, rtol=0, atol=1e-12)


def test_lasso_cv_n_jobs_none_follows_the_backend(client):
    # as in scikit-learn: None means 1 unless in a joblib.parallel_backend context
    X, y = _regression(seed=1)
    params = dict(cv=3, n_alphas=10)
    serial = skreg.LassoCV(**params).fit(X, y)
    dist, workers = _on_dask(client, lambda: skreg.LassoCV(**params).fit(X, y))
    assert len(workers) >= 2
    np.testing.assert_allclose(dist.mse_path_, serial.mse_path_, rtol=1e-12, atol=0)


def test_implicit_diff_search_cv(client):
    X, y = _regression(n=60, p=40, seed=2)
    cv = KFold(3, shuffle=True, random_state=0)
    serial = ImplicitDiffSearchCV(skreg.Lasso(), cv=cv).fit(X, y)
    dist, workers = _on_dask(
        client, lambda: ImplicitDiffSearchCV(skreg.Lasso(), cv=cv, n_jobs=2).fit(X, y))
    _check_ran_on_workers(client, workers)
    assert dist.best_params_["alpha"] == pytest.approx(serial.best_params_["alpha"],
                                                       rel=1e-10)
    assert dist.best_score_ == pytest.approx(serial.best_score_, rel=1e-10)
    assert len(dist.path_["criterion"]) == len(serial.path_["criterion"])
    np.testing.assert_allclose(dist.best_estimator_.coef_, serial.best_estimator_.coef_,
                               rtol=0, atol=1e-10)


def test_sinkhorn_batch(client):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((6, 12, 2)), rng.standard_normal((6, 10, 2))
    default = sinkhorn_batch(None, None, (X, Y), epsilon=0.1)
    threads = sinkhorn_batch(None, None, (X, Y), epsilon=0.1, n_jobs=2)
    dist, workers = _on_dask(
        client, lambda: sinkhorn_batch(None, None, (X, Y), epsilon=0.1, n_jobs=2))
    _check_ran_on_workers(client, workers)
    for results in (threads, dist):
        for r, ref in zip(results, default):
            np.testing.assert_array_equal(r.plan, ref.plan)
            np.testing.assert_array_equal(r.f, ref.f)
            assert (r.n_iter, r.cost) == (ref.n_iter, ref.cost)


def test_recovery_trials(client):
    # a batch of trials of the phase-transition experiment, spread over the workers
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 14, 20))
    x = rng.choice([-1.0, 1.0], size=(6, 20))
    b = np.einsum("pmn,pn->pm", A, x)
    ref = cs_recover(A, b, "binary", n_restarts=3, random_state=0)
    dist, workers = _on_dask(
        client, lambda: cs_recover(A, b, "binary", n_restarts=3, random_state=0, n_jobs=2))
    _check_ran_on_workers(client, workers)
    for name in ("x", "objective", "sin2", "n_iter", "converged", "restart"):
        np.testing.assert_array_equal(getattr(dist, name), getattr(ref, name))
    ref = l1_recover(A, b)
    dist, workers = _on_dask(client, lambda: l1_recover(A, b, n_jobs=2))
    _check_ran_on_workers(client, workers)
    np.testing.assert_array_equal(dist.x, ref.x)
    np.testing.assert_array_equal(dist.n_iter, ref.n_iter)
