"""Data generators (sparse regression, compressive sensing, function approximation, CT and
deblurring, optimal transport point clouds) and loaders of real data sets."""

from ._function_approximation import (
    function_approximation_error,
    hyperbolic_cross,
    make_function_approximation,
    tensor_basis,
)
from ._generators import (
    make_compressive_sensing,
    make_correlated_regression,
    make_sparse_regression,
)
from ._loaders import load_khan, load_nci60, load_nyse
from ._point_clouds import make_point_clouds
from ._tomography import (
    blur_operator,
    filtered_back_projection,
    make_deblurring,
    make_tomography,
    parallel_beam_operator,
    random_ellipses_phantom,
    shepp_logan_phantom,
)

__all__ = [
    "blur_operator",
    "filtered_back_projection",
    "function_approximation_error",
    "hyperbolic_cross",
    "load_khan",
    "load_nci60",
    "load_nyse",
    "make_compressive_sensing",
    "make_correlated_regression",
    "make_deblurring",
    "make_function_approximation",
    "make_point_clouds",
    "make_sparse_regression",
    "make_tomography",
    "parallel_beam_operator",
    "random_ellipses_phantom",
    "shepp_logan_phantom",
    "tensor_basis",
]
