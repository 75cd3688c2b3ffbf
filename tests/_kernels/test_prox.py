"""Tests of skreg._kernels.prox: soft thresholding and the exact elastic-net coordinate step."""

import numpy as np
import pytest

from skreg._kernels.prox import enet_coordinate, soft_threshold


@pytest.mark.parametrize(
    "x, t, expected",
    [
        (3.0, 1.0, 2.0),
        (-3.0, 1.0, -2.0),
        (0.5, 1.0, 0.0),
        (-0.5, 1.0, 0.0),
        (1.0, 1.0, 0.0),  # at the threshold: exactly zero
        (-1.0, 1.0, 0.0),
        (0.0, 0.0, 0.0),
        (2.5, 0.0, 2.5),  # t = 0 is the identity
        (-2.5, 0.0, -2.5),
        (1e300, 1.0, 1e300),
    ],
)
def test_soft_threshold_exact_values(x, t, expected):
    assert soft_threshold(x, t) == expected


def test_soft_threshold_matches_numpy_formula():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal(500) * 3.0
    ts = rng.uniform(0.0, 2.0, 500)
    got = np.array([soft_threshold(x, t) for x, t in zip(xs, ts)])
    expected = np.sign(xs) * np.maximum(np.abs(xs) - ts, 0.0)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "u, L, l1, l2, positive, expected",
    [
        (3.0, 2.0, 1.0, 0.5, False, 2.0 / 2.5),
        (-3.0, 2.0, 1.0, 0.5, False, -2.0 / 2.5),
        (0.7, 2.0, 1.0, 0.5, False, 0.0),
        (3.0, 2.0, 1.0, 0.0, False, 1.0),  # pure l1
        (3.0, 2.0, 0.0, 0.0, False, 1.5),  # unpenalized: u / L
        (-3.0, 2.0, 0.0, 1.0, False, -1.0),  # pure l2
        (-3.0, 2.0, 1.0, 0.5, True, 0.0),  # positive clips negative solutions
        (3.0, 2.0, 1.0, 0.5, True, 2.0 / 2.5),
        (-3.0, 2.0, 0.0, 0.0, True, 0.0),
        (3.0, 0.0, 1.0, 0.0, False, 0.0),  # zero curvature and no l2: stays 0
        (3.0, 0.0, 1.0, 4.0, False, 0.5),  # the l2 term alone gives curvature
    ],
)
def test_enet_coordinate_exact_values(u, L, l1, l2, positive, expected):
    assert enet_coordinate(u, L, l1, l2, positive) == pytest.approx(expected, rel=1e-15,
                                                                    abs=0.0)


def _coordinate_objective(t, u, L, l1, l2):
    return 0.5 * L * t * t - u * t + l1 * np.abs(t) + 0.5 * l2 * t * t


@pytest.mark.parametrize("positive", [False, True])
def test_enet_coordinate_is_the_minimizer_brute_force(positive):
    """Compare with a dense grid search, then refine it by golden sections (1e-12)."""
    rng = np.random.default_rng(1)
    for _ in range(60):
        u = rng.standard_normal() * 3.0
        L = rng.uniform(0.1, 3.0)
        l1 = rng.uniform(0.0, 2.0) if rng.random() < 0.8 else 0.0
        l2 = rng.uniform(0.0, 2.0) if rng.random() < 0.7 else 0.0
        t_star = enet_coordinate(u, L, l1, l2, positive)
        f_star = _coordinate_objective(t_star, u, L, l1, l2)
        if positive:
            assert t_star >= 0.0
        # brute force: grid over a box that contains the minimizer (|t*| <= |u| / (L + l2))
        bound = abs(u) / (L + l2) + 1.0
        lo = 0.0 if positive else -bound
        grid = np.linspace(lo, bound, 20001)
        if not positive:
            grid = np.union1d(grid, [0.0])
        f_grid = _coordinate_objective(grid, u, L, l1, l2)
        k = int(np.argmin(f_grid))
        # golden-section refinement of the bracket around the grid minimizer (convex in t)
        a, b = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
        g = (np.sqrt(5.0) - 1.0) / 2.0
        for _ in range(200):
            c, d = b - g * (b - a), a + g * (b - a)
            if _coordinate_objective(c, u, L, l1, l2) <= _coordinate_objective(d, u, L, l1, l2):
                b = d
            else:
                a = c
        t_brute = 0.5 * (a + b)
        f_brute = min(_coordinate_objective(t_brute, u, L, l1, l2), f_grid[k])
        assert f_star <= f_brute + 1e-12
        # strongly convex in t (curvature L + l2 >= 0.1): the minimizers agree too
        assert abs(t_star - t_brute) <= 1e-6
        # optimality condition: 0 in (L + l2) t - u + l1 d|t| (+ normal cone of t >= 0)
        grad = (L + l2) * t_star - u
        if t_star > 0:
            assert grad + l1 == pytest.approx(0.0, abs=1e-12)
        elif t_star < 0:
            assert grad - l1 == pytest.approx(0.0, abs=1e-12)
        elif positive:
            assert grad + l1 >= -1e-12
        else:
            assert abs(grad) <= l1 + 1e-12
