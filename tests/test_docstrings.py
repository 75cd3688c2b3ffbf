"""The ``Examples`` sections of the docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import skreg


def _modules():
    names = ["skreg"]
    for info in pkgutil.walk_packages(skreg.__path__, prefix="skreg."):
        if info.name == "skreg.__main__":  # the tour: a script, run by its own test
            continue
        names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             report=False)
    # the failures themselves are printed by doctest on stdout (shown by pytest on failure)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
