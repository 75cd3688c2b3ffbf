"""Reference (cvxpy) solutions of the convex baselines of Cauchy-Schwarz recovery."""

import numpy as np

from ._graph import _solve
from ._linear_model import ReferenceResult

__all__ = ["l1_recover", "linf_recover", "norm_recover_objective"]

_NORMS = {"l1": 1, "linf": np.inf}


def norm_recover_objective(x, norm="l1"):
    """``||x||_1`` or ``||x||_inf``: the objective of :func:`l1_recover` / :func:`linf_recover`.

    Parameters
    ----------
    x : array-like of shape (N,)
    norm : {"l1", "linf"}, default="l1"

    Returns
    -------
    objective : float
    """
    if norm not in _NORMS:
        raise ValueError(f"norm must be 'l1' or 'linf', got {norm!r}.")
    return float(np.linalg.norm(np.asarray(x, dtype=np.float64).ravel(), _NORMS[norm]))


def _recover(A, b, norm):
    import cvxpy as cp

    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if A.ndim != 2 or b.ndim != 1 or A.shape[0] != b.shape[0]:
        raise ValueError(f"A must be (M, N) and b (M,), got {A.shape} and {b.shape}.")
    x = cp.Variable(A.shape[1])
    problem = cp.Problem(cp.Minimize(cp.norm(x, _NORMS[norm])), [A @ x == b])
    status, seconds = _solve(problem, [x])
    coef = np.asarray(x.value, dtype=np.float64)
    return ReferenceResult(coef=coef, intercept=0.0, objective=norm_recover_objective(coef, norm),
                           status=status, solve_time=seconds)


def l1_recover(A, b):
    r"""Reference solution of :func:`skreg.cauchy_schwarz.l1_recover` (cvxpy, Clarabel).

    .. math:: \min_x \|x\|_1 \quad \text{subject to } Ax = b.

    Parameters
    ----------
    A : array-like of shape (M, N)
    b : array-like of shape (M,)

    Returns
    -------
    result : ReferenceResult
        ``coef`` is the solution ``x``; ``objective`` its l1 norm.
    """
    return _recover(A, b, "l1")


def linf_recover(A, b):
    r"""Reference solution of :func:`skreg.cauchy_schwarz.linf_recover` (cvxpy, Clarabel).

    .. math:: \min_x \|x\|_\infty \quad \text{subject to } Ax = b.

    Parameters
    ----------
    A : array-like of shape (M, N)
    b : array-like of shape (M,)

    Returns
    -------
    result : ReferenceResult
        ``coef`` is the solution ``x``; ``objective`` its l-infinity norm.
    """
    return _recover(A, b, "linf")
