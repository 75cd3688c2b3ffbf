"""Entropic and sparse optimal transport: functional solvers (POT-style) and estimators."""

from ._adaptation import (
    ClassRegularizedOTAdapter,
    OTLabelPropagation,
    OTMappingAdapter,
    SelectSource,
    make_da_pipeline,
)
from ._batch import sinkhorn_batch
from ._group import group_sparse_ot
from ._map import elastic_cost, entropic_map
from ._mapper import EntropicOTMapper
from ._newton import sinkhorn_newton_sparse
from ._quadratic import quadratic_ot, sparsity_constrained_ot
from ._sinkhorn import OTResult, sinkhorn

__all__ = [
    "ClassRegularizedOTAdapter",
    "EntropicOTMapper",
    "OTLabelPropagation",
    "OTMappingAdapter",
    "SelectSource",
    "make_da_pipeline",
    "OTResult",
    "elastic_cost",
    "entropic_map",
    "group_sparse_ot",
    "quadratic_ot",
    "sinkhorn",
    "sinkhorn_batch",
    "sinkhorn_newton_sparse",
    "sparsity_constrained_ot",
]
