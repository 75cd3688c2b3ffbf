"""Proximal operators and thresholds."""

from numba import njit


@njit(cache=True, nogil=True, inline="always")
def soft_threshold(x, t):
    """Soft thresholding ``sign(x) * max(|x| - t, 0)``."""
    if x > t:
        return x - t
    if x < -t:
        return x + t
    return 0.0


@njit(cache=True, nogil=True, inline="always")
def enet_coordinate(u, L, l1, l2, positive):
    """Minimizer of ``L/2 t^2 - u t + l1 |t| + l2/2 t^2`` (over ``t >= 0`` if ``positive``).

    This is the exact coordinate-wise minimizer of a quadratic with curvature ``L`` plus an
    elastic-net penalty; ``u = L * w_j - grad_j``.
    """
    denom = L + l2
    if denom <= 0.0:
        return 0.0
    if positive:
        return max(u - l1, 0.0) / denom
    return soft_threshold(u, l1) / denom
