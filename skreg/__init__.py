"""skreg: exact and fast classical regularized models with a scikit-learn API.

Every convex model has a numba solver certified by its duality gap and a cvxpy formulation
in :mod:`skreg.reference` (``solver="cvxpy"``) to verify any fit.
"""

__version__ = "0.1.0"

# _config first: it sets numba's cache location before any jitted module is imported.
from ._config import get_cache_dir, get_num_threads, set_num_threads  # noqa: I001

# The families are imported on first use (PEP 562): ``import skreg`` followed by one Lasso fit
# does not pay for the optimal-transport, graph or greedy modules and what they import.
_FAMILIES = {
    "linear_model": (
        "ElasticNet", "ElasticNetCV", "LADLasso", "LADLassoCV", "Lasso", "LassoCV",
        "QuantileLasso", "SparseLogisticRegression", "SqrtLasso", "SqrtLassoCV",
        "WeightedLasso", "enet_path", "lad_lasso_path", "lasso_path", "pivotal_alpha",
        "sqrt_lasso_path",
    ),
    "greedy": ("WeightedOMP", "WeightedOMPCV", "weighted_omp"),
    "graph": ("GraphLaplacianRegression", "LaplacianRidge"),
    "cauchy_schwarz": ("CSRegression", "CSRegressionCV"),
    "model_selection": ("ImplicitDiffSearchCV", "hypergradient"),
    "ot": (
        "ClassRegularizedOTAdapter", "EntropicOTMapper", "OTLabelPropagation",
        "OTMappingAdapter", "SelectSource", "make_da_pipeline",
    ),
}
_SUBMODULES = (*_FAMILIES, "datasets", "reference", "utils")
_HOME = {name: family for family, names in _FAMILIES.items() for name in names}


def __getattr__(name):
    import importlib

    if name in _HOME:
        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_HOME, *_SUBMODULES})


__all__ = ["get_cache_dir", "get_num_threads", "set_num_threads", *sorted(_HOME), "__version__"]
