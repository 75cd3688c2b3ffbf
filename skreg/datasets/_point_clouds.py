"""Two Gaussian point clouds: the optimal transport test problem of the tour and benchmarks."""

import numbers

import numpy as np
from sklearn.utils import check_random_state

from ._generators import _check_positive_int

__all__ = ["make_point_clouds"]


def _check_real(value, name, *, positive):
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
            or not np.isfinite(value) or (positive and value <= 0)):
        kind = "a finite number > 0" if positive else "a finite number"
        raise ValueError(f"{name} must be {kind}, got {value!r}.")
    return float(value)


def make_point_clouds(n_source=1000, n_target=None, n_features=2, *, scale=0.8, shift=1.0,
                      random_state=None):
    r"""Draw a source and a target point cloud for optimal transport.

    .. math:: x_i \sim N(0, I_d), \qquad y_j \sim \text{scale} \cdot N(0, I_d) + \text{shift},

    ``d = n_features``, all points independent. With the defaults (``scale=0.8``,
    ``shift=1``) this is the test problem of Tang et al. (Sinkhorn-Newton-Sparse, ICLR 2024)
    used by skreg's benchmarks and tour. The squared Euclidean cost between a source and a
    target point has the mean ``d (1 + scale^2 + shift^2)`` (2.64 d by default), and the
    optimal transport map between the two Gaussian distributions is ``x -> scale x + shift``.

    The source points are drawn first, all of them, then the target points, from one
    generator: the first ``k`` points of a large draw are not the points of a draw of size
    ``k`` (except for the source cloud), so to take nested subsets draw once and slice.

    Parameters
    ----------
    n_source : int, default=1000
        Number of source points ``n``.
    n_target : int, default=None
        Number of target points ``m``; ``n_source`` by default.
    n_features : int, default=2
        Dimension ``d`` of the points.
    scale : float, default=0.8
        Standard deviation of the target cloud, > 0.
    shift : float, default=1.0
        Added to every coordinate of the target points.
    random_state : int, RandomState instance, numpy Generator or None, default=None
        Seed or generator for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_source, n_features)
        Source points.
    Y : ndarray of shape (n_target, n_features)
        Target points.

    See Also
    --------
    skreg.ot.sinkhorn : accepts the clouds as ``(X, Y)`` (squared Euclidean cost on the fly).

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.datasets import make_point_clouds
    >>> X, Y = make_point_clouds(2000, 1500, n_features=3, random_state=0)
    >>> X.shape, Y.shape
    ((2000, 3), (1500, 3))
    >>> np.round(Y.mean(axis=0) - X.mean(axis=0), 1) + 0.0
    array([1., 1., 1.])
    """
    n_source = _check_positive_int(n_source, "n_source")
    if n_target is None:
        n_target = n_source
    if not isinstance(n_target, numbers.Integral) or isinstance(n_target, bool) or n_target < 1:
        raise ValueError(f"n_target must be an integer >= 1 or None, got {n_target!r}.")
    n_features = _check_positive_int(n_features, "n_features")
    scale = _check_real(scale, "scale", positive=True)
    shift = _check_real(shift, "shift", positive=False)
    rng = (random_state if isinstance(random_state, np.random.Generator)
           else check_random_state(random_state))
    X = rng.standard_normal((n_source, n_features))
    Y = scale * rng.standard_normal((int(n_target), n_features)) + shift
    return X, Y
