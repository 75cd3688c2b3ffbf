"""The Lasso family: penalized linear models solved by working-set coordinate descent.

Lasso, ElasticNet and WeightedLasso (penalized least squares), SparseLogisticRegression
(l1 / elastic-net logistic regression), SqrtLasso (scale-free), LADLasso and QuantileLasso
(robust), their cross-validated versions and the paths.
"""

from ._coordinate_descent import ElasticNet, Lasso, WeightedLasso
from ._cv import ElasticNetCV, LADLassoCV, LassoCV, SqrtLassoCV
from ._logistic import SparseLogisticRegression
from ._path import enet_path, lad_lasso_path, lasso_path, sqrt_lasso_path
from ._robust import LADLasso, QuantileLasso, SqrtLasso, pivotal_alpha

__all__ = [
    "ElasticNet",
    "ElasticNetCV",
    "LADLasso",
    "LADLassoCV",
    "Lasso",
    "LassoCV",
    "QuantileLasso",
    "SparseLogisticRegression",
    "SqrtLasso",
    "SqrtLassoCV",
    "WeightedLasso",
    "enet_path",
    "lad_lasso_path",
    "lasso_path",
    "pivotal_alpha",
    "sqrt_lasso_path",
]
