"""``all_estimators()``: every public estimator class of skreg, found by inspection."""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

_SKIP_SUBPACKAGES = {"reference", "utils", "datasets", "_kernels"}


def all_estimators(type_filter=None):
    """List skreg's public estimators.

    Walks the public sub-packages of skreg and collects the classes that derive from
    :class:`sklearn.base.BaseEstimator`, are exported without a leading underscore and are
    not abstract. A new family is found as soon as its sub-package exports its estimators.

    Parameters
    ----------
    type_filter : {"regressor", "classifier", "transformer", "cluster"} or list, default=None
        Keep only estimators of these kinds (by scikit-learn's ``estimator_type`` tag).

    Returns
    -------
    estimators : list of (name, class) tuples
        Sorted by name.
    """
    import skreg

    found = {}
    for info in pkgutil.iter_modules(skreg.__path__):
        if info.name.startswith("_") or info.name in _SKIP_SUBPACKAGES:
            continue
        module = importlib.import_module(f"skreg.{info.name}")
        for name in getattr(module, "__all__", dir(module)):
            obj = getattr(module, name, None)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not name.startswith("_")
                and not inspect.isabstract(obj)
                and obj.__module__.startswith("skreg.")
            ):
                found[name] = obj
    estimators = sorted(found.items())
    if type_filter is None:
        return estimators
    if isinstance(type_filter, str):
        kinds = [type_filter]
    elif isinstance(type_filter, (list, tuple)):
        kinds = list(type_filter)
    else:
        raise TypeError(
            f"type_filter must be None, a string or a list of strings, got {type_filter!r}."
        )
    valid = {"regressor", "classifier", "transformer", "cluster"}
    unknown = set(kinds) - valid
    if unknown:
        raise ValueError(f"type_filter must be among {sorted(valid)}, got {sorted(unknown)}.")
    return [
        (name, cls)
        for name, cls in estimators
        if cls().__sklearn_tags__().estimator_type in kinds
        or ("transformer" in kinds and hasattr(cls, "transform"))
    ]
