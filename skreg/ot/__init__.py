"""Entropic and sparse optimal transport: functional solvers (POT-style) and estimators."""

from ._sinkhorn import SinkhornResult, sinkhorn

__all__ = ["SinkhornResult", "sinkhorn"]
