"""Graph-Laplacian regularization: Tikhonov, graphLa+Psi and manifold regularization.

Graph builders return scipy CSR Laplacians; :class:`GraphLaplacianRegression` puts the
graph on the coefficients (pixels, ordered features), :class:`LaplacianRidge` on the samples
(semi-supervised manifold regularization). :func:`graph_tikhonov` and :func:`graph_l1` are
the functional solvers.
"""

from ._laplacian import data_laplacian, grid_laplacian, incidence_matrix, knn_laplacian
from ._manifold import LaplacianRidge
from ._regression import GraphLaplacianRegression
from ._solvers import GraphResult, graph_l1, graph_tikhonov

__all__ = [
    "GraphLaplacianRegression",
    "GraphResult",
    "LaplacianRidge",
    "data_laplacian",
    "graph_l1",
    "graph_tikhonov",
    "grid_laplacian",
    "incidence_matrix",
    "knn_laplacian",
]
