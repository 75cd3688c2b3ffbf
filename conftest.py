"""pytest configuration shared by tests/ and the documentation examples."""

import os
import sys

import pytest

# Never open windows (CI has no display): select the non-interactive backend before any test or
# example imports pyplot.
try:
    import matplotlib
except ImportError:  # matplotlib is optional (it is in the [bench] and [doc] extras)
    pass
else:
    matplotlib.use("Agg")

# Only tests/ holds tests; never collect the gallery, the benchmarks or Sphinx build outputs even
# when pytest is pointed at the repository root explicitly.
collect_ignore = ["doc", "examples", "benchmarks", "build", "dist"]


def pytest_configure(config):
    # Also declared in pyproject.toml; repeated here so that the marker exists when pytest is run
    # with another configuration file (e.g. `-c /dev/null`).
    config.addinivalue_line("markers", "slow: long-running test (deselect with '-m \"not slow\"')")


def _numba_threading_info():
    """Return a one-line description of numba's threading layer and thread count."""
    # Import skreg first: it configures numba (cache directory, threads) before anything else.
    try:
        import skreg

        skreg_info = f"skreg {skreg.__version__}: get_num_threads()={skreg.get_num_threads()}"
    except Exception as exc:  # skreg broken or not importable: say so, let the tests fail
        skreg_info = f"skreg import failed: {type(exc).__name__}: {exc}"

    try:
        import numba
    except ImportError:
        return f"numba: not installed; {skreg_info}"

    try:
        # Start numba's thread pool without compiling anything, so that the layer actually
        # selected (tbb, omp or workqueue) can be reported.
        from numba.np.ufunc.parallel import _launch_threads

        _launch_threads()
        layer = numba.threading_layer()
    except Exception:  # private API moved, or no layer available: report what was requested
        layer = f"{numba.config.THREADING_LAYER} (requested)"

    return (
        f"numba {numba.__version__}: threading layer {layer}, "
        f"{numba.get_num_threads()} threads (NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}, "
        f"cpu_count={os.cpu_count()}); {skreg_info}"
    )


def pytest_report_header(config):
    return [_numba_threading_info()]


def pytest_sessionstart(session):
    # `-q` (our default addopts) hides the header; CI logs should still say how many threads the
    # kernels ran with, so print the same line once in that case.
    config = session.config
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or reporter.showheader or hasattr(config, "workerinput"):
        return
    reporter.write_line(_numba_threading_info())


@pytest.fixture(autouse=True, scope="session")
def _close_matplotlib_figures():
    """Close every matplotlib figure at the end of the session (no leaked figure warnings)."""
    yield
    plt = sys.modules.get("matplotlib.pyplot")  # only if some test or example imported it
    if plt is not None:
        plt.close("all")
