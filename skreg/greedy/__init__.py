"""Loss-based weighted orthogonal matching pursuit: the greedy side of the (SR-, LAD-) LASSO.

Mohammad-Taheri and Brugiapaglia, "The greedy side of the LASSO: new algorithms for weighted
sparse recovery via loss function-based orthogonal matching pursuit" (arXiv 2303.00844).
"""

from ._omp import WeightedOMP, WeightedOMPCV
from ._rules import coordinate_decrease
from ._solver import OMPResult, weighted_omp

__all__ = ["OMPResult", "WeightedOMP", "WeightedOMPCV", "coordinate_decrease", "weighted_omp"]
