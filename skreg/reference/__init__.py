"""Ground truth for skreg's convex models.

Numpy objective functions and duality gaps computed independently of any solver, and cvxpy
(Clarabel) formulations of every convex model. Every skreg solver is compared with these.
"""

from ._linear_model import ReferenceResult, enet, sparse_logistic
from ._objectives import (
    enet_duality_gap,
    enet_null_objective,
    enet_objective,
    logistic_duality_gap,
    logistic_null_objective,
    logistic_objective,
    relative_duality_gap,
)

__all__ = [
    "ReferenceResult",
    "enet",
    "enet_duality_gap",
    "enet_null_objective",
    "enet_objective",
    "logistic_duality_gap",
    "logistic_null_objective",
    "logistic_objective",
    "relative_duality_gap",
    "sparse_logistic",
]
