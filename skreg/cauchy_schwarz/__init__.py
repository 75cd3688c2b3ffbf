"""Cauchy-Schwarz regularizers (Taner, Wang and Studer, ICLR 2025).

Differentiable regularizers ``l(x) = ||g(x)||^2 ||h(x)||^2 - <g(x), h(x)>^2 >= 0`` that vanish
exactly on a structure at every scale: :func:`binary`, :func:`one_sided_binary`,
:func:`ternary` (discrete values), :func:`eigenvector` and :func:`orthogonal`. Each returns
the value and the gradient, ready for ``scipy.optimize.minimize(..., jac=True)`` or any
gradient method. :func:`cs_recover` recovers structured solutions of underdetermined systems
(with the convex baselines :func:`l1_recover` and :func:`linf_recover`), and
:class:`CSRegression` fits least squares whose coefficients lie on a discrete set with a
learned scale.
"""

from ._recover import (
    CSRecoveryResult,
    NormRecoveryResult,
    cs_recover,
    l1_recover,
    linf_recover,
)
from ._regression import CSRegression, CSRegressionCV
from ._regularizers import binary, eigenvector, one_sided_binary, orthogonal, ternary

__all__ = [
    "CSRecoveryResult",
    "CSRegression",
    "CSRegressionCV",
    "NormRecoveryResult",
    "binary",
    "cs_recover",
    "eigenvector",
    "l1_recover",
    "linf_recover",
    "one_sided_binary",
    "orthogonal",
    "ternary",
]
