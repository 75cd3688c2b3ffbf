"""skreg: exact and fast classical regularized models with a scikit-learn API.

Every convex model has a numba solver certified by its duality gap and a cvxpy formulation
in :mod:`skreg.reference` (``solver="cvxpy"``) to verify any fit.
"""

__version__ = "0.1.0"

# _config first: it sets numba's cache location before any jitted module is imported.
from ._config import get_cache_dir, get_num_threads, set_num_threads  # noqa: I001
from .linear_model import (
    ElasticNet,
    ElasticNetCV,
    LADLasso,
    LADLassoCV,
    Lasso,
    LassoCV,
    QuantileLasso,
    SparseLogisticRegression,
    SqrtLasso,
    SqrtLassoCV,
    WeightedLasso,
    enet_path,
    lad_lasso_path,
    lasso_path,
    pivotal_alpha,
    sqrt_lasso_path,
)
from .greedy import WeightedOMP, WeightedOMPCV, weighted_omp
from .graph import GraphLaplacianRegression, LaplacianRidge
from .cauchy_schwarz import CSRegression, CSRegressionCV
from .model_selection import ImplicitDiffSearchCV, hypergradient
from .ot import (
    ClassRegularizedOTAdapter,
    EntropicOTMapper,
    OTLabelPropagation,
    OTMappingAdapter,
    SelectSource,
    make_da_pipeline,
)

__all__ = [
    "CSRegression",
    "CSRegressionCV",
    "ClassRegularizedOTAdapter",
    "ElasticNet",
    "ElasticNetCV",
    "EntropicOTMapper",
    "GraphLaplacianRegression",
    "ImplicitDiffSearchCV",
    "LADLasso",
    "LADLassoCV",
    "LaplacianRidge",
    "Lasso",
    "LassoCV",
    "OTLabelPropagation",
    "OTMappingAdapter",
    "QuantileLasso",
    "SelectSource",
    "SparseLogisticRegression",
    "SqrtLasso",
    "SqrtLassoCV",
    "WeightedLasso",
    "WeightedOMP",
    "WeightedOMPCV",
    "enet_path",
    "get_cache_dir",
    "get_num_threads",
    "hypergradient",
    "lad_lasso_path",
    "lasso_path",
    "make_da_pipeline",
    "pivotal_alpha",
    "set_num_threads",
    "sqrt_lasso_path",
    "weighted_omp",
    "__version__",
]
