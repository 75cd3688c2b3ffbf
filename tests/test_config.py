"""Tests for skreg._config: thread control, threadpoolctl controller, numba cache fallback."""

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import numba
import numpy as np
import pytest
from numba import njit, prange
from threadpoolctl import threadpool_info, threadpool_limits

from skreg import _config
from skreg._config import (
    _effective_num_threads,
    _is_writable_dir,
    _numba_threads,
    _select_cache_dir,
    get_cache_dir,
    get_num_threads,
    set_num_threads,
)

MAX_THREADS = numba.config.NUMBA_NUM_THREADS
CONFIG_SOURCE = Path(_config.__file__)
REPO_ROOT = CONFIG_SOURCE.parent.parent


@pytest.fixture(autouse=True)
def _reset_threads(monkeypatch):
    """Run every test with the default settings and restore them afterwards."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(_config, "_OMP_NUM_THREADS_AT_IMPORT", None)
    set_num_threads(None)
    yield
    set_num_threads(None)
    _config._threadpool_limit = None


@njit(parallel=True)
def _threads_used(n):
    """Return (number of distinct thread ids seen in a prange, numba.get_num_threads())."""
    ids = np.zeros(n, dtype=np.int64)
    for i in prange(n):
        ids[i] = numba.get_thread_id()
    return ids.max() + 1, numba.get_num_threads()


def _numba_entries():
    return [info for info in threadpool_info() if info["user_api"] == "numba"]


# ---------------------------------------------------------------------------------------------
# set_num_threads / get_num_threads
# ---------------------------------------------------------------------------------------------


def test_set_get_round_trip():
    assert get_num_threads() == MAX_THREADS
    set_num_threads(1)
    assert get_num_threads() == 1
    set_num_threads(np.int64(1))
    assert get_num_threads() == 1
    set_num_threads(-1)
    assert get_num_threads() == MAX_THREADS
    set_num_threads(-MAX_THREADS)  # joblib convention: cores + 1 + n
    assert get_num_threads() == 1
    set_num_threads(MAX_THREADS)
    assert get_num_threads() == MAX_THREADS
    set_num_threads(None)
    assert get_num_threads() == MAX_THREADS


@pytest.mark.parametrize("bad", [1.0, "2", True, [1]])
def test_set_num_threads_type_error(bad):
    with pytest.raises(TypeError, match="must be an int or None"):
        set_num_threads(bad)


def test_set_num_threads_zero():
    with pytest.raises(ValueError, match="n=0"):
        set_num_threads(0)


@pytest.mark.parametrize(
    ("n", "expected"), [(MAX_THREADS + 1, MAX_THREADS), (-MAX_THREADS - 5, 1)]
)
def test_set_num_threads_out_of_range_is_clamped(n, expected):
    with pytest.warns(UserWarning, match="NUMBA_NUM_THREADS"):
        set_num_threads(n)
    assert get_num_threads() == expected


def test_omp_num_threads_caps_default_only(monkeypatch):
    # the value skreg saw at import (monkeypatched here; see the subprocess test below)
    monkeypatch.setattr(_config, "_OMP_NUM_THREADS_AT_IMPORT", "1")
    assert get_num_threads() == 1
    monkeypatch.setattr(_config, "_OMP_NUM_THREADS_AT_IMPORT", "1,1")
    assert get_num_threads() == 1
    set_num_threads(-1)  # an explicit request wins over the environment
    assert get_num_threads() == MAX_THREADS
    set_num_threads(None)
    monkeypatch.setattr(_config, "_OMP_NUM_THREADS_AT_IMPORT", "not-a-number")
    assert get_num_threads() == MAX_THREADS


def test_omp_num_threads_is_read_at_import():
    # like an OpenMP runtime: the value at import counts, a later change does not (dask's
    # nanny sets OMP_NUM_THREADS=1 in the client process when a LocalCluster starts workers)
    code = textwrap.dedent("""
        import os
        import skreg
        before = skreg.get_num_threads()
        os.environ["OMP_NUM_THREADS"] = "1"
        print(before, skreg.get_num_threads())
    """)
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [str(MAX_THREADS)] * 2
    env["OMP_NUM_THREADS"] = "1"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["1", "1"]


def test_per_call_n_threads():
    assert _effective_num_threads(1) == 1
    assert _effective_num_threads(-1) == MAX_THREADS
    with pytest.raises(TypeError, match="n_threads"):
        _effective_num_threads(2.5)
    with threadpool_limits(limits=1):
        assert _effective_num_threads(-1) == 1


def test_setting_applies_to_all_python_threads():
    set_num_threads(1)
    seen = []
    worker = threading.Thread(target=lambda: seen.append(_effective_num_threads()))
    worker.start()
    worker.join()
    assert seen == [1]


def test_thread_local_numba_setting_is_honoured():
    seen = []

    def work():
        numba.set_num_threads(1)
        seen.append(_effective_num_threads())

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert seen == [1]
    assert _effective_num_threads() == MAX_THREADS  # the main thread is not affected


# ---------------------------------------------------------------------------------------------
# threadpoolctl controller
# ---------------------------------------------------------------------------------------------


def test_threadpool_info_lists_numba_controller():
    entries = _numba_entries()
    assert len(entries) == 1
    (entry,) = entries
    assert entry["internal_api"] == "skreg_numba"
    assert entry["version"] == numba.__version__
    assert entry["num_threads"] == get_num_threads()
    set_num_threads(1)
    assert _numba_entries()[0]["num_threads"] == 1


@pytest.mark.parametrize("user_api", [None, "numba"])
def test_threadpool_limits_caps_and_restores(user_api):
    with threadpool_limits(limits=1, user_api=user_api):
        assert get_num_threads() == 1
        # the limit is process-wide: it also applies in other Python threads
        seen = []
        worker = threading.Thread(target=lambda: seen.append(_effective_num_threads()))
        worker.start()
        worker.join()
        assert seen == [1]
    assert get_num_threads() == MAX_THREADS
    assert _config._threadpool_limit is None


def test_threadpool_limits_leaves_no_stale_cap():
    set_num_threads(1)
    with threadpool_limits(limits=1):
        assert get_num_threads() == 1
    set_num_threads(None)
    assert get_num_threads() == MAX_THREADS


def test_threadpool_limits_nested():
    with threadpool_limits(limits={"numba": 2}):
        with threadpool_limits(limits=1):
            assert get_num_threads() == 1
        assert get_num_threads() == min(2, MAX_THREADS)
    assert get_num_threads() == MAX_THREADS


def test_numba_threads_limits_a_parallel_kernel():
    before = numba.get_num_threads()
    with threadpool_limits(limits=1), _numba_threads() as n:
        n_ids, n_inside = _threads_used(1000)
    assert n == 1
    assert (n_ids, n_inside) == (1, 1)
    assert numba.get_num_threads() == before  # restored

    with _numba_threads(n_threads=1) as n:
        assert _threads_used(1000) == (1, 1)

    with _numba_threads() as n:
        n_ids, n_inside = _threads_used(1000)
    assert n == n_inside == MAX_THREADS
    assert 1 <= n_ids <= MAX_THREADS


def test_loky_workers_do_not_oversubscribe():
    joblib = pytest.importorskip("joblib")
    n_jobs = 2
    results = joblib.Parallel(n_jobs=n_jobs, backend="loky")(
        joblib.delayed(get_num_threads)() for _ in range(n_jobs)
    )
    assert all(r <= max(joblib.cpu_count() // n_jobs, 1) for r in results)


def test_parallel_plan_follows_joblib():
    joblib = pytest.importorskip("joblib")
    from skreg._config import _parallel_plan

    # None means 1 unless in a joblib.parallel_backend context (scikit-learn's convention)
    assert _parallel_plan(None, 5) == (1, None)
    assert _parallel_plan(1, 5) == (1, None)
    # threads of this process share its numba threads; never more jobs than tasks
    assert _parallel_plan(2, 5) == (2, max(1, MAX_THREADS // 2))
    assert _parallel_plan(4, 3)[0] == 3
    assert _parallel_plan(-1, 100)[0] == joblib.cpu_count()
    with joblib.parallel_backend("threading", n_jobs=2):
        assert _parallel_plan(None, 5) == (2, max(1, MAX_THREADS // 2))
    # other processes (loky, dask) use their own default threads: OMP_NUM_THREADS
    with joblib.parallel_backend("loky", n_jobs=2):
        assert _parallel_plan(None, 5) == (2, None)
    with joblib.parallel_backend("sequential"):
        assert _parallel_plan(2, 5) == (1, None)
    for bad, exc in ((0, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(exc, match="n_jobs"):
            _parallel_plan(bad, 5)


def test_single_threaded_blas_blocks_may_overlap_in_threads():
    # joblib thread tasks enter and leave the process-wide BLAS limit in any order; the
    # limit must hold while one of them is inside and be undone after the last one
    from concurrent.futures import ThreadPoolExecutor

    from skreg._config import _single_threaded_blas

    np.ones((4, 4)) @ np.ones((4, 4))  # BLAS loaded

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    if not before:
        pytest.skip("no BLAS found by threadpoolctl")
    barrier = threading.Barrier(2)
    inside = []

    def task(k):
        with _single_threaded_blas():
            barrier.wait()
            threading.Event().wait(0.02 * (k + 1))  # the first in leaves first
            inside.append(blas_threads())

    with ThreadPoolExecutor(2) as pool:  # its threads stay alive, as joblib's do
        list(pool.map(task, range(2)))
        assert all(all(n == 1 for n in seen) for seen in inside)
        assert blas_threads() == before


# ---------------------------------------------------------------------------------------------
# numba cache fallback
# ---------------------------------------------------------------------------------------------


def _not_a_directory(tmp_path):
    """Return a path nobody (not even root) can create a directory at: its parent is a file."""
    blocker = tmp_path / "regular_file"
    blocker.write_text("")
    return blocker / "sub"


def _make_package(root, name="pkg", blocked=False):
    """Create a package with a sub-package; optionally make the sub-package's cache unusable."""
    pkg = root / name
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    if blocked:
        # a regular file where numba wants its __pycache__ directory: not writable, even by root
        (pkg / "sub" / "__pycache__").write_text("")
    return pkg


def test_is_writable_dir(tmp_path):
    assert _is_writable_dir(tmp_path)
    assert _is_writable_dir(tmp_path / "new" / "dir")  # created
    assert (tmp_path / "new" / "dir").is_dir()
    assert not _is_writable_dir(_not_a_directory(tmp_path))


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere"
)
def test_is_writable_dir_read_only(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert not _is_writable_dir(ro)
    finally:
        ro.chmod(0o755)


def test_select_cache_dir_writable_package_keeps_default(tmp_path):
    pkg = _make_package(tmp_path)
    assert _select_cache_dir(pkg, tmp_path / "user") is None
    assert not (tmp_path / "user").exists()


def test_select_cache_dir_falls_back_to_user_dir(tmp_path):
    pkg = _make_package(tmp_path, blocked=True)
    user = tmp_path / "user" / "skreg" / "numba"
    assert _select_cache_dir(pkg, user) == str(user)
    assert user.is_dir()
    # a package path that is not a directory at all (e.g. inside a zip file) also falls back
    assert _select_cache_dir(_not_a_directory(tmp_path), user) == str(user)


def test_select_cache_dir_falls_back_to_temp_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    pkg = _make_package(tmp_path, blocked=True)
    chosen = _select_cache_dir(pkg, _not_a_directory(tmp_path))
    assert Path(chosen).parent == tmp_path / "tmp"
    assert Path(chosen).is_dir()
    assert _is_writable_dir(chosen)


def test_user_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _config._user_cache_dir() == os.path.join(str(tmp_path), "skreg", "numba")


def test_get_cache_dir_matches_numba_config():
    assert get_cache_dir() == (numba.config.CACHE_DIR or None)


def _subprocess_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    home = tmp_path / "home_is_a_file"
    home.write_text("")
    env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def test_import_with_unwritable_home(tmp_path):
    env = _subprocess_env(tmp_path, PYTHONPATH=str(REPO_ROOT))
    code = "import skreg._config as c; print(c.get_num_threads())"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_cache_fallback_end_to_end(tmp_path):
    """A read-only install and an unusable HOME: numba alone fails, skreg falls back."""
    site = tmp_path / "site"
    pkg = site / "skreg"
    pkg.mkdir(parents=True)
    shutil.copy(CONFIG_SOURCE, pkg / "_config.py")
    (pkg / "__init__.py").write_text("")  # the real one imports _config first
    (pkg / "_kernel.py").write_text(
        textwrap.dedent(
            """
            from numba import njit

            @njit(cache=True)
            def add_one(x):
                return x + 1
            """
        )
    )
    (pkg / "__pycache__").write_text("")  # the in-tree cache directory cannot be created
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = _subprocess_env(tmp_path, PYTHONPATH=str(site), TMPDIR=str(tmpdir))

    def run(code):
        return subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    # without the fallback, numba cannot cache the kernel: the import fails
    proc = run("import skreg._kernel")
    assert proc.returncode != 0
    assert "no locator available" in proc.stderr

    # with skreg._config imported first, the kernel is cached in a fresh temporary directory
    proc = run(
        "import skreg._config as c, skreg._kernel as k, os;"
        "print(c.get_cache_dir()); print(os.environ['NUMBA_CACHE_DIR']); print(k.add_one(1))"
    )
    assert proc.returncode == 0, proc.stderr
    cache_dir, env_dir, result = proc.stdout.split()
    assert cache_dir == env_dir
    assert Path(cache_dir).parent == tmpdir
    assert result == "2"
    assert not Path(cache_dir).exists()  # removed at exit

    # with a usable user cache directory, that one is used (and kept)
    xdg = tmp_path / "xdg"
    env["XDG_CACHE_HOME"] = str(xdg)
    proc = run(
        "import skreg._config as c, skreg._kernel as k; k.add_one(1); print(c.get_cache_dir())"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(xdg / "skreg" / "numba")
    assert any((xdg / "skreg" / "numba").rglob("*.nbi"))

    # an unwritable NUMBA_CACHE_DIR set by the user is replaced, with a warning
    env["NUMBA_CACHE_DIR"] = str(_not_a_directory(tmp_path))
    proc = run(
        "import skreg._config as c, skreg._kernel as k; k.add_one(1); print(c.get_cache_dir())"
    )
    assert proc.returncode == 0, proc.stderr
    assert "RuntimeWarning" in proc.stderr
    assert proc.stdout.strip() == str(xdg / "skreg" / "numba")


def test_single_threaded_blas_limits_blas_and_restores():
    import numpy as np  # noqa: F401  (loads the BLAS that threadpoolctl must see)
    from threadpoolctl import threadpool_info

    from skreg._config import _single_threaded_blas

    def blas_threads():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = blas_threads()
    with _single_threaded_blas():
        assert all(n == 1 for n in blas_threads())
    assert blas_threads() == before
