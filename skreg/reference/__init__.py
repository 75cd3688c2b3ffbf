"""Ground truth for skreg's convex models.

Numpy objective functions and duality gaps computed independently of any solver, and cvxpy
(Clarabel) formulations of every convex model. Every skreg solver is compared with these.
"""

from ._cauchy_schwarz import l1_recover, linf_recover, norm_recover_objective
from ._graph import (
    graph_objective,
    graph_regression,
    laplacian_ridge,
    laplacian_ridge_objective,
)
from ._linear_model import (
    ReferenceResult,
    enet,
    lad_lasso,
    quantile_lasso,
    sparse_logistic,
    sqrt_lasso,
)
from ._objectives import (
    enet_duality_gap,
    enet_null_objective,
    enet_objective,
    lad_duality_gap,
    lad_null_objective,
    lad_objective,
    logistic_duality_gap,
    logistic_null_objective,
    logistic_objective,
    quantile_duality_gap,
    quantile_null_objective,
    quantile_objective,
    relative_duality_gap,
    sqrt_lasso_duality_gap,
    sqrt_lasso_null_objective,
    sqrt_lasso_objective,
)
from ._ot import group_sparse_ot, quadratic_ot

__all__ = [
    "ReferenceResult",
    "enet",
    "enet_duality_gap",
    "enet_null_objective",
    "graph_objective",
    "graph_regression",
    "group_sparse_ot",
    "enet_objective",
    "l1_recover",
    "lad_duality_gap",
    "lad_lasso",
    "lad_null_objective",
    "lad_objective",
    "laplacian_ridge",
    "laplacian_ridge_objective",
    "linf_recover",
    "logistic_duality_gap",
    "logistic_null_objective",
    "logistic_objective",
    "norm_recover_objective",
    "quadratic_ot",
    "quantile_duality_gap",
    "quantile_lasso",
    "quantile_null_objective",
    "quantile_objective",
    "relative_duality_gap",
    "sparse_logistic",
    "sqrt_lasso",
    "sqrt_lasso_duality_gap",
    "sqrt_lasso_null_objective",
    "sqrt_lasso_objective",
]
