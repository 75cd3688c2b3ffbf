"""The top-level namespace: every exported name resolves, the families load on first use."""

import subprocess
import sys

import pytest

import skreg


def test_every_exported_name_resolves():
    for name in skreg.__all__:
        assert getattr(skreg, name) is not None
    assert set(skreg.__all__) <= set(dir(skreg))
    from skreg import GraphLaplacianRegression, Lasso  # the ``from`` form goes through too

    assert Lasso.__module__.startswith("skreg.linear_model")
    assert GraphLaplacianRegression is skreg.graph.GraphLaplacianRegression
    with pytest.raises(AttributeError, match="has no attribute 'Lass'"):
        skreg.Lass  # noqa: B018


def test_import_loads_only_what_is_used():
    """``import skreg`` and a Lasso import leave the other families unloaded."""
    code = (
        "import sys, skreg\n"
        "from skreg import Lasso\n"
        "print(sorted(m for m in ('skreg.ot', 'skreg.graph', 'skreg.greedy', "
        "'skreg.cauchy_schwarz', 'skreg.model_selection', 'skreg.linear_model') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['skreg.linear_model']"
