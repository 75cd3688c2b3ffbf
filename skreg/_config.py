"""Process-wide configuration of skreg's numba kernels: threads and the on-disk cache.

This module is imported by ``skreg/__init__.py`` before any numba-jitted module, because
importing it configures numba:

* **Cache location.** Every skreg kernel is decorated with ``@njit(cache=True)``. numba picks
  where to cache a function when it is *decorated* (at import of the module that defines it) and
  raises ``RuntimeError: cannot cache function ...: no locator available`` when neither the
  ``__pycache__`` directory next to the source file nor numba's user-wide cache directory is
  writable. At import, this module checks that skreg's own ``__pycache__`` directories are
  writable and, if they are not, points ``NUMBA_CACHE_DIR`` to a per-user cache directory (or,
  failing that, to a fresh temporary directory), so that ``import skreg`` never fails for lack
  of a cache. See :func:`get_cache_dir`.
* **Threads.** :func:`set_num_threads` / :func:`get_num_threads` control how many threads skreg's
  parallel kernels use, in every Python thread. A :mod:`threadpoolctl` controller (user API
  ``"numba"``) is registered so that ``threadpoolctl.threadpool_limits`` also limits them and
  ``threadpoolctl.threadpool_info`` lists them.
"""

import atexit
import contextlib
import numbers
import os
import shutil
import sys
import tempfile
import threading
import warnings

import numba

__all__ = ["get_cache_dir", "get_num_threads", "set_num_threads"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------------------------
# numba cache location
# ---------------------------------------------------------------------------------------------


def _is_writable_dir(path):
    """Tell whether numba could write its cache files into ``path``.

    This performs the same test as numba's cache locators: create the directory if needed,
    then create (and delete) a temporary file in it. Unlike :func:`os.access`, it gives the
    right answer for read-only file systems, ACLs and paths through a regular file.

    Parameters
    ----------
    path : str or os.PathLike
        Directory to test. It is created (with its parents) if it does not exist.

    Returns
    -------
    writable : bool
        True if a file could be created in ``path``.
    """
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError:
        return False
    return True


def _package_cache_dirs(package_dir):
    """List the in-tree ``__pycache__`` directories numba would use for a package.

    numba's default (in-tree) cache locator stores the cache of a function defined in
    ``pkg/sub/mod.py`` in ``pkg/sub/__pycache__``. This returns that directory for the package
    directory itself and for every sub-package below it.

    Parameters
    ----------
    package_dir : str or os.PathLike
        Directory of the package (the one that contains its ``__init__.py``).

    Returns
    -------
    dirs : list of str
        ``<dir>/__pycache__`` for ``package_dir`` and each sub-package directory.
    """
    package_dir = os.fspath(package_dir)
    dirs = [os.path.join(package_dir, "__pycache__")]
    if not os.path.isdir(package_dir):
        return dirs
    for root, subdirs, _ in os.walk(package_dir):
        subdirs[:] = sorted(
            d
            for d in subdirs
            if d != "__pycache__" and os.path.isfile(os.path.join(root, d, "__init__.py"))
        )
        for d in subdirs:
            dirs.append(os.path.join(root, d, "__pycache__"))
    return dirs


def _user_cache_dir():
    r"""Return skreg's per-user numba cache directory (not created).

    Returns
    -------
    path : str
        ``$XDG_CACHE_HOME/skreg/numba`` when ``XDG_CACHE_HOME`` is an absolute path, otherwise
        the platform's user cache directory: ``~/.cache/skreg/numba`` on Linux and other
        POSIX systems, ``~/Library/Caches/skreg/numba`` on macOS and
        ``%LOCALAPPDATA%\skreg\numba`` on Windows.
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        base = xdg
    elif sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = os.path.expanduser("~/.cache")
    return os.path.join(base, "skreg", "numba")


def _select_cache_dir(package_dir, user_cache_dir=None):
    """Choose where numba should cache skreg's compiled kernels.

    Parameters
    ----------
    package_dir : str or os.PathLike
        Directory of the skreg package.
    user_cache_dir : str or os.PathLike, default=None
        Per-user fallback directory; None means :func:`_user_cache_dir`.

    Returns
    -------
    cache_dir : str or None
        None if every in-tree ``__pycache__`` directory of the package is writable (numba's
        default locator then works and nothing needs to change). Otherwise ``user_cache_dir``
        (created) if it is writable, and otherwise a new private directory made with
        :func:`tempfile.mkdtemp` under :func:`tempfile.gettempdir` (a fresh directory, never a
        predictable shared path, since numba loads pickled code from its cache).
    """
    if all(_is_writable_dir(d) for d in _package_cache_dirs(package_dir)):
        return None
    if user_cache_dir is None:
        user_cache_dir = _user_cache_dir()
    user_cache_dir = os.fspath(user_cache_dir)
    if _is_writable_dir(user_cache_dir):
        return user_cache_dir
    return tempfile.mkdtemp(prefix="skreg-numba-cache-")


def _remove_temporary_cache(path, owner_pid):
    """Remove a temporary cache directory at exit of the process that created it."""
    if os.getpid() == owner_pid:
        shutil.rmtree(path, ignore_errors=True)


def _configure_numba_cache(package_dir=_PACKAGE_DIR):
    """Make sure numba can cache skreg's kernels; run once, at import of this module.

    numba 0.68 chooses the cache directory of an ``@njit(cache=True)`` function at decoration
    time (``Dispatcher.enable_caching`` -> ``numba.core.caching.CacheImpl.__init__``) by trying,
    in order, ``numba.config.CACHE_DIR`` (the ``NUMBA_CACHE_DIR`` locator), the ``__pycache__``
    next to the source file, and a numba-wide user cache directory; the first directory in which
    it can create a file wins, and it raises if there is none. ``numba.config.CACHE_DIR`` is read
    at each decoration, so setting it after ``import numba`` but before skreg's kernel modules
    are imported takes effect. ``os.environ["NUMBA_CACHE_DIR"]`` is set as well: numba
    re-reads every ``NUMBA_*`` environment variable (overwriting ``numba.config``) whenever one of
    them changes, and child processes (joblib/loky workers) inherit the setting.

    A ``NUMBA_CACHE_DIR`` set by the user is kept when it is writable. Note that setting
    ``NUMBA_CACHE_DIR`` applies to the whole process: other numba-based packages imported
    afterwards also cache into that directory (harmless, caches are keyed by source path).

    Parameters
    ----------
    package_dir : str or os.PathLike, default=skreg's directory
        Directory of the package whose kernels must be cacheable.

    Returns
    -------
    cache_dir : str or None
        The directory numba is now configured to cache into, or None for numba's default
        in-tree ``__pycache__`` directories.
    """
    requested = os.environ.get("NUMBA_CACHE_DIR") or numba.config.CACHE_DIR
    if requested and _is_writable_dir(requested):
        return requested
    user_cache_dir = _user_cache_dir()
    chosen = _select_cache_dir(package_dir, user_cache_dir)
    if chosen is None:
        # The in-tree locator works; numba falls back to it by itself when a user-provided
        # NUMBA_CACHE_DIR is not writable.
        return None
    if requested:
        warnings.warn(
            f"NUMBA_CACHE_DIR={requested!r} is not writable and skreg's package directory "
            f"is read-only; caching compiled numba kernels in {chosen!r} instead.",
            RuntimeWarning,
            stacklevel=2,
        )
    if chosen != user_cache_dir:
        # A fresh temporary directory: nobody else will reuse it, remove it at exit.
        atexit.register(_remove_temporary_cache, chosen, os.getpid())
    os.environ["NUMBA_CACHE_DIR"] = chosen
    numba.config.CACHE_DIR = chosen
    return chosen


def get_cache_dir():
    """Return the directory where skreg's compiled numba kernels are cached.

    skreg compiles its kernels once and caches them on disk. By default numba stores the cache
    in ``__pycache__`` directories inside the installed package. When that location is not
    writable (e.g. a system-wide, read-only installation), ``import skreg`` sets
    ``NUMBA_CACHE_DIR`` to ``$XDG_CACHE_HOME/skreg/numba`` (``~/.cache/skreg/numba``), or, if
    that is not writable either, to a new temporary directory removed at exit. Setting the
    ``NUMBA_CACHE_DIR`` environment variable before importing skreg chooses the location.

    Returns
    -------
    cache_dir : str or None
        The cache directory (``numba.config.CACHE_DIR``), or None when numba uses its default
        ``__pycache__`` directories next to skreg's source files.
    """
    return numba.config.CACHE_DIR or None


_configure_numba_cache()


# ---------------------------------------------------------------------------------------------
# threads
# ---------------------------------------------------------------------------------------------

# Number of threads requested with set_num_threads (an int >= 1), or None for the default.
# Module-level, hence shared by all Python threads of the process.
_user_num_threads = None
# Cap set through threadpoolctl (an int >= 1), or None when no cap is in effect.
_threadpool_limit = None


def _max_num_threads():
    """Return the size of numba's thread pool, ``numba.config.NUMBA_NUM_THREADS``."""
    return max(int(numba.config.NUMBA_NUM_THREADS), 1)


def _check_n_threads(n, name="n"):
    """Validate a thread count given by the user.

    Parameters
    ----------
    n : int or None
        Number of threads.
    name : str, default="n"
        Name of the parameter, for the error messages.

    Returns
    -------
    n : int or None
        ``n`` as a Python int (None is passed through).

    Raises
    ------
    TypeError
        If ``n`` is neither None nor an integer (bool and float are rejected).
    ValueError
        If ``n`` is 0.
    """
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be an int or None, got {n!r} of type {type(n).__name__}.")
    n = int(n)
    if n == 0:
        raise ValueError(
            f"{name}=0 is not a valid number of threads: use a positive int, None or -1 for all "
            "threads, or -k for all but k - 1 threads."
        )
    return n


def _resolve_n_threads(n, max_threads, name="n"):
    """Turn a validated, non-zero thread count into a number in ``[1, max_threads]``.

    Parameters
    ----------
    n : int
        Positive: that many threads. Negative: ``max_threads + 1 + n`` (joblib's convention,
        -1 is all threads).
    max_threads : int
        Size of numba's thread pool.
    name : str, default="n"
        Name of the parameter, for the warning.

    Returns
    -------
    n_threads : int
        The number of threads, clamped to ``[1, max_threads]`` with a :class:`UserWarning`
        when the request is outside that range.
    """
    resolved = n if n > 0 else max_threads + 1 + n
    if 1 <= resolved <= max_threads:
        return resolved
    clamped = min(max(resolved, 1), max_threads)
    warnings.warn(
        f"{name}={n} asks for {resolved} threads but numba's thread pool has "
        f"{max_threads} (numba.config.NUMBA_NUM_THREADS); using {clamped}. Set the "
        "NUMBA_NUM_THREADS environment variable before importing skreg to change the pool size.",
        UserWarning,
        stacklevel=3,
    )
    return clamped


# OMP_NUM_THREADS as it was when skreg was imported. Like an OpenMP runtime, skreg reads the
# variable once: loky and dask's nanny set it before they start a worker process, and a later
# change must not count. distributed's Nanny sets it (to 1) in the *client* process too, when
# a LocalCluster starts worker processes, and leaves it there: read at every call, it would
# silently drop skreg's kernels in the client to one thread for the rest of the session.
_OMP_NUM_THREADS_AT_IMPORT = os.environ.get("OMP_NUM_THREADS")


_env_limit_parsed = (object(), None)  # (raw value, parsed limit)


def _env_thread_limit():
    """Return the thread limit set by ``OMP_NUM_THREADS`` at import, or None if unset/invalid.

    joblib's loky backend sets ``OMP_NUM_THREADS`` (and ``NUMBA_NUM_THREADS``) in its worker
    processes to ``cpu_count() // n_jobs`` (or ``inner_max_num_threads``), and dask's nanny
    sets it to 1 in its workers (``distributed.nanny.pre-spawn-environ``); users set it to cap
    OpenMP code such as scikit-learn's. The value is the one skreg saw when it was imported.
    """
    global _env_limit_parsed
    raw = _OMP_NUM_THREADS_AT_IMPORT
    if _env_limit_parsed[0] is not raw:  # parsed once per value (read before each kernel)
        value = (raw or "").split(",")[0].strip()
        try:
            limit = int(value)
        except ValueError:
            limit = None
        _env_limit_parsed = (raw, limit if limit is not None and limit >= 1 else None)
    return _env_limit_parsed[1]


def _dask_worker_thread_limit():
    """Return the thread limit of a task running in a dask worker, or None outside one.

    dask's nanny sets ``OMP_NUM_THREADS=1`` in the worker processes it spawns (config
    ``distributed.nanny.pre-spawn-environ``), which :func:`_env_thread_limit` reads. Workers
    started without a nanny (``dask worker --no-nanny``, ``LocalCluster(processes=False)``)
    have no such variable and run ``nthreads`` tasks at a time: each task then gets
    ``NUMBA_NUM_THREADS // (dask threads of the workers of this process)`` threads, so that the
    tasks together do not use more threads than numba's pool (the number of cores).
    """
    distributed = sys.modules.get("distributed")
    if distributed is None:  # dask.distributed not imported: not in a worker
        return None
    try:
        worker = distributed.get_worker()
    except Exception:  # ValueError outside a worker task (or a changed API): no limit
        return None
    try:
        workers = [w for w in getattr(type(worker), "_instances", ())
                   if getattr(getattr(w, "status", None), "name", "running")
                   in ("init", "running", "paused")] or [worker]
        n_tasks = sum(max(int(getattr(getattr(w, "state", w), "nthreads", 1)), 1)
                      for w in workers)
    except Exception:  # pragma: no cover - defensive against changes of distributed
        n_tasks = 1
    return max(_max_num_threads() // max(n_tasks, 1), 1)


def _default_num_threads():
    """Return the thread count used when neither set_num_threads nor n_threads was given."""
    max_threads = _max_num_threads()
    env_limit = _env_thread_limit()
    if env_limit is None:
        env_limit = _dask_worker_thread_limit()
    return max_threads if env_limit is None else min(env_limit, max_threads)


def _process_num_threads(n_threads=None, *, apply_limit=True):
    """Return the process-wide number of threads, before per-thread numba settings.

    Parameters
    ----------
    n_threads : int or None, default=None
        Per-call request (an estimator's ``n_threads``); it takes the place of the value set
        with :func:`set_num_threads`.
    apply_limit : bool, default=True
        Whether to cap the result by the limit set through threadpoolctl.

    Returns
    -------
    n_threads : int
        Requested count (or skreg's setting, or the default), capped by the threadpoolctl limit
        if ``apply_limit``.
    """
    n_threads = _check_n_threads(n_threads, "n_threads")
    max_threads = _max_num_threads()
    if n_threads is not None:
        n = _resolve_n_threads(n_threads, max_threads, "n_threads")
    elif _user_num_threads is not None:
        n = min(_user_num_threads, max_threads)
    else:
        n = _default_num_threads()
    limit = _threadpool_limit
    if apply_limit and limit is not None:
        n = min(n, limit)
    return max(n, 1)


def _numba_thread_local_limit():
    """Return numba's thread count in the calling thread (None if its pool is not started).

    ``numba.get_num_threads`` starts the thread pool, so it is only called once numba's
    threading layer is initialized (``numba.threading_layer()`` raises ``ValueError`` before).
    """
    try:
        numba.threading_layer()
    except ValueError:
        return None
    return numba.get_num_threads()


def _effective_num_threads(n_threads=None):
    """Return the number of threads for a parallel kernel launched now from this thread.

    Call this right before launching a parallel kernel (or use :func:`_numba_threads`). The
    result is the first of these that applies:

    1. ``n_threads``, a per-call request (e.g. an estimator parameter);
    2. the value set with :func:`set_num_threads` (all Python threads);
    3. the default: all of numba's threads (``numba.config.NUMBA_NUM_THREADS``), or fewer if
       ``OMP_NUM_THREADS`` said so when skreg was imported (joblib/loky and dask workers set
       it), or, in a dask worker without that variable, a share of the cores per dask thread;

    then capped by the limit set through threadpoolctl (``threadpool_limits``, all Python
    threads) and by a lower ``numba.set_num_threads`` of the calling thread.

    Parameters
    ----------
    n_threads : int or None, default=None
        Per-call request: positive int, or negative for ``NUMBA_NUM_THREADS + 1 + n_threads``.

    Returns
    -------
    n_threads : int
        Number of threads, between 1 and ``numba.config.NUMBA_NUM_THREADS``.
    """
    n = _process_num_threads(n_threads)
    local = _numba_thread_local_limit()
    if local is not None:
        n = min(n, local)
    return max(n, 1)


class _numba_threads:
    """Run numba parallel kernels in this block with :func:`_effective_num_threads` threads.

    numba's ``set_num_threads`` only affects the calling Python thread, so the setting is made
    here, in the thread that launches the kernel, and the previous value is restored on exit.

    Parameters
    ----------
    n_threads : int or None, default=None
        Per-call request passed to :func:`_effective_num_threads`.

    Entering the block returns the number of threads the kernels use.

    Examples
    --------
    >>> from skreg._config import _numba_threads
    >>> with _numba_threads() as n:  # doctest: +SKIP
    ...     out = parallel_kernel(X, r)
    """

    # a class, not a generator context manager: entered before every kernel, it must cost
    # little next to a kernel on a small problem (about 4 us instead of 9)
    __slots__ = ("n_threads", "n", "previous")

    def __init__(self, n_threads=None):
        self.n_threads = n_threads

    def __enter__(self):
        # _effective_num_threads, with numba's thread count read once: it is both the cap of
        # a lower numba.set_num_threads in this thread and the value to restore
        previous = numba.get_num_threads()
        n = max(min(_process_num_threads(self.n_threads), previous), 1)
        if n != previous:
            numba.set_num_threads(n)
        self.n, self.previous = n, previous
        return n

    def __exit__(self, *exc):
        if self.n != self.previous:
            numba.set_num_threads(self.previous)
        return False


# ---------------------------------------------------------------------------------------------
# joblib: number of jobs and threads per job
# ---------------------------------------------------------------------------------------------


def _check_n_jobs(n_jobs):
    """Validate an ``n_jobs`` parameter (None, or a non-zero int) and return it."""
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(
            f"n_jobs must be an int or None, got {n_jobs!r} of type {type(n_jobs).__name__}.")
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, a positive int or -1.")
    return int(n_jobs)


def _parallel_plan(n_jobs, n_tasks, prefer="threads"):
    """Number of joblib jobs for ``n_tasks`` tasks and numba threads for each task.

    Every internal parallel loop of skreg runs its tasks through
    ``joblib.Parallel(n_jobs, prefer=prefer)``: threads by default (the kernels release the
    GIL), or the backend the user set with ``joblib.parallel_backend`` / ``parallel_config``
    (loky, dask, ...), which takes precedence over ``prefer``.

    Parameters
    ----------
    n_jobs : int or None
        The estimator's or function's ``n_jobs``: None means 1 unless in a
        ``joblib.parallel_backend`` context (then the context's ``n_jobs``); -1 means all
        processors (of the cluster, for dask).
    n_tasks : int
        Number of tasks; more jobs than tasks are not used.
    prefer : {"threads", "processes"}, default="threads"
        The backend hint given to ``joblib.Parallel``.

    Returns
    -------
    n_jobs : int
        Jobs to use, in ``[1, n_tasks]``. With 1 the caller runs the tasks in turn, in this
        thread, without joblib.
    n_threads : int or None
        numba threads per task. When the tasks are threads of this process, the threads of
        the caller are shared among them (``get_num_threads() // n_jobs``). When they run in
        other processes (loky, dask), None: each worker uses its own default, which follows
        the ``OMP_NUM_THREADS`` that loky and dask's nanny set in their workers.
    """
    import joblib

    n_jobs = _check_n_jobs(n_jobs)
    n = 1 if n_jobs is None and n_tasks <= 1 else joblib.effective_n_jobs(n_jobs)
    n = int(max(1, min(n, n_tasks)))
    if n == 1:
        return 1, None
    backend, _ = joblib.parallel.get_active_backend(prefer=prefer)
    if getattr(backend, "uses_threads", False):
        return n, max(1, _effective_num_threads() // n)
    return n, None


_blas_controllers = None  # threadpoolctl's controllers of the loaded BLAS libraries
# Threads inside _single_threaded_blas blocks, and the thread counts the outermost one found:
# the limit is process-wide, so overlapping blocks of several threads (joblib thread tasks)
# share one limit, applied by the first to enter and undone by the last to leave. (Nested
# limits would each restore the value they read on entry, and a block that started while
# another one held the limit would leave BLAS at one thread for good.)
_blas_lock = threading.Lock()
_blas_depth = 0
_blas_saved = None


def _release_blas_control():
    """Let any thread set OpenBLAS's (process-wide) pool size next.

    threadpoolctl >= 3.6 lets only one live "controlling" thread change the size of a
    pthreads OpenBLAS pool, the first to set it, and silently ignores the others; its ``with``
    blocks release that control on exit. The limit of :func:`_single_threaded_blas` may be
    undone by another thread than the one that set it (both serialized by ``_blas_lock``), so
    control is released after each change.
    """
    controller = getattr(threadpoolctl, "OpenBLASController", None)
    clear = getattr(controller, "clear_controlling_thread", None)
    if clear is not None:
        try:
            clear(force=True)
        except TypeError:  # pragma: no cover - another signature
            pass


@contextlib.contextmanager
def _single_threaded_blas():
    """Run the block with BLAS (OpenBLAS, MKL, ...) limited to one thread.

    OpenBLAS worker threads busy-wait for up to ~0.1 s after a multi-threaded call; a numba
    parallel region launched meanwhile waits for a time slice on the busy core (measured:
    a 0.4 ms two-thread pass took 4 ms right after a 300 x 300 matmul). skreg's own BLAS calls
    between kernels (held-out predictions in cross-validation) are small, so they run
    single-threaded and leave no spinning thread behind. The controller is created once,
    after numpy has loaded its BLAS, so entering the block costs a few microseconds. Blocks
    may overlap in several threads: the limit holds until the last one ends.
    """
    global _blas_controllers, _blas_depth, _blas_saved
    with _blas_lock:
        if _blas_controllers is None:
            from threadpoolctl import ThreadpoolController

            _blas_controllers = [c for c in ThreadpoolController().lib_controllers
                                 if c.user_api == "blas"]
        if _blas_depth == 0:
            # the libraries' own setters (threadpoolctl's limit() re-reads every library's
            # state: 14 us against 6, paid before each small block)
            _blas_saved = [(c, c.num_threads) for c in _blas_controllers]
            for c, _ in _blas_saved:
                c.set_num_threads(1)
            _release_blas_control()
        _blas_depth += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_depth -= 1
            if _blas_depth == 0:
                saved, _blas_saved = _blas_saved, None
                for c, n in saved:
                    if n is not None:
                        c.set_num_threads(n)
                _release_blas_control()


def set_num_threads(n=None):
    """Set the number of threads skreg's parallel numba kernels use.

    The setting is process-wide: it applies to skreg code running in any Python thread (unlike
    ``numba.set_num_threads``, which only affects the thread that calls it).

    Parameters
    ----------
    n : int or None, default=None
        - None: restore the default, all of numba's threads
          (``numba.config.NUMBA_NUM_THREADS``, the number of cores unless the
          ``NUMBA_NUM_THREADS`` environment variable says otherwise), or fewer if the
          ``OMP_NUM_THREADS`` environment variable was set when skreg was imported (as in
          joblib/loky and dask workers).
        - -1: all of numba's threads, even if ``OMP_NUM_THREADS`` is set.
        - ``n >= 1``: ``n`` threads.
        - ``n < -1``: ``NUMBA_NUM_THREADS + 1 + n`` threads (joblib's convention: -2 is all but
          one).

        A request outside ``[1, NUMBA_NUM_THREADS]`` is clamped to that range with a
        :class:`UserWarning`, so that a script written for a large machine still runs on a small
        one. numba's thread pool cannot grow after import: set the ``NUMBA_NUM_THREADS``
        environment variable before importing skreg to change its size.

    Raises
    ------
    TypeError
        If ``n`` is not an int or None.
    ValueError
        If ``n`` is 0.

    See Also
    --------
    get_num_threads : The number of threads skreg's kernels use.

    Notes
    -----
    ``threadpoolctl.threadpool_limits`` (user API ``"numba"``) caps this number further for the
    duration of its block, and a lower ``numba.set_num_threads`` made in a thread is honoured in
    that thread.

    Examples
    --------
    >>> import skreg
    >>> skreg.set_num_threads(1)
    >>> skreg.get_num_threads()
    1
    >>> skreg.set_num_threads(None)  # back to the default
    """
    global _user_num_threads
    n = _check_n_threads(n)
    _user_num_threads = None if n is None else _resolve_n_threads(n, _max_num_threads())


def get_num_threads():
    """Return the number of threads skreg's parallel kernels use when called now.

    Returns
    -------
    n_threads : int
        The value set with :func:`set_num_threads` (or the default, all of numba's threads
        unless ``OMP_NUM_THREADS`` says fewer), capped by any ``threadpoolctl.threadpool_limits``
        in effect and by a lower ``numba.set_num_threads`` of the calling thread. Between 1 and
        ``numba.config.NUMBA_NUM_THREADS``.

    See Also
    --------
    set_num_threads : Set the number of threads.
    """
    return _effective_num_threads()


# ---------------------------------------------------------------------------------------------
# threadpoolctl integration
# ---------------------------------------------------------------------------------------------


def _threadpoolctl_get_num_threads():
    """Return the count threadpoolctl sees: process-wide, without thread-local settings."""
    return _process_num_threads()


def _threadpoolctl_set_num_threads(num_threads):
    """Apply a threadpoolctl limit to skreg's numba kernels, in all Python threads.

    A limit that does not lower the current count is recorded as "no limit", so that
    ``threadpool_limits`` restoring the value it read on entry removes its cap exactly (and no
    stale cap outlives the block once :func:`set_num_threads` raises the count later).
    """
    global _threadpool_limit
    num_threads = max(int(num_threads), 1)
    uncapped = _process_num_threads(apply_limit=False)
    _threadpool_limit = num_threads if num_threads < uncapped else None


try:
    import threadpoolctl
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    threadpoolctl = None

if threadpoolctl is not None and hasattr(threadpoolctl, "register"):

    class _NumbaThreadpoolController(threadpoolctl.LibController):
        """threadpoolctl controller for the threads of skreg's numba kernels.

        threadpoolctl discovers a controller by matching the file names of the shared libraries
        loaded in the process against ``filename_prefixes``. This one matches numba's
        ``_helperlib`` extension module, which ``import numba`` always loads (and hence
        ``import skreg``), rather than the threading layer (``omppool``, ``tbbpool``,
        ``workqueue``), which numba only loads when the first parallel kernel runs. The limit
        is process-wide (all Python threads), see :func:`_effective_num_threads`.
        """

        user_api = "numba"
        internal_api = "skreg_numba"
        filename_prefixes = ("_helperlib",)
        check_symbols = ("PyInit__helperlib",)

        def get_num_threads(self):
            """Return the number of threads skreg's numba kernels may use."""
            return _threadpoolctl_get_num_threads()

        def set_num_threads(self, num_threads):
            """Limit the number of threads skreg's numba kernels may use."""
            return _threadpoolctl_set_num_threads(num_threads)

        def get_version(self):
            """Return numba's version."""
            return numba.__version__

    threadpoolctl.register(_NumbaThreadpoolController)
