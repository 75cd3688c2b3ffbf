"""Hyperparameter learning by implicit differentiation.

:class:`ImplicitDiffSearchCV` learns regularization strengths (one per feature if wanted) by
gradient descent on a cross-validation criterion; :func:`hypergradient` gives that gradient for
one fit.
"""

from ._search import HypergradientResult, ImplicitDiffSearchCV, hypergradient

__all__ = ["HypergradientResult", "ImplicitDiffSearchCV", "hypergradient"]
