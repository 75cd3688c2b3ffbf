"""Data generators for sparse regression problems and loaders of real data sets."""

from ._generators import (
    make_compressive_sensing,
    make_correlated_regression,
    make_sparse_regression,
)
from ._loaders import load_khan, load_nci60

__all__ = [
    "load_khan",
    "load_nci60",
    "make_compressive_sensing",
    "make_correlated_regression",
    "make_sparse_regression",
]
