"""Entropic and sparse optimal transport: functional solvers (POT-style) and estimators."""

from ._map import elastic_cost, entropic_map
from ._mapper import EntropicOTMapper
from ._newton import sinkhorn_newton_sparse
from ._quadratic import quadratic_ot, sparsity_constrained_ot
from ._sinkhorn import OTResult, sinkhorn

__all__ = [
    "EntropicOTMapper",
    "OTResult",
    "elastic_cost",
    "entropic_map",
    "quadratic_ot",
    "sinkhorn",
    "sinkhorn_newton_sparse",
    "sparsity_constrained_ot",
]
