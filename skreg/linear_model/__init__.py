"""The Lasso family: penalized linear models solved by working-set coordinate descent.

Lasso, ElasticNet and WeightedLasso (penalized least squares), SparseLogisticRegression
(l1 / elastic-net logistic regression), their cross-validated versions and the paths.
"""

from ._coordinate_descent import ElasticNet, Lasso, WeightedLasso
from ._cv import ElasticNetCV, LassoCV
from ._logistic import SparseLogisticRegression
from ._path import enet_path, lasso_path

__all__ = [
    "ElasticNet",
    "ElasticNetCV",
    "Lasso",
    "LassoCV",
    "SparseLogisticRegression",
    "WeightedLasso",
    "enet_path",
    "lasso_path",
]
