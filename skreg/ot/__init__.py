"""Entropic and sparse optimal transport: functional solvers (POT-style) and estimators."""

from ._newton import sinkhorn_newton_sparse
from ._sinkhorn import OTResult, sinkhorn

__all__ = ["OTResult", "sinkhorn", "sinkhorn_newton_sparse"]
