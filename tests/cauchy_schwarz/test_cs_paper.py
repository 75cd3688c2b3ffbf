"""Published claims of the Cauchy-Schwarz regularizers (Taner, Wang and Studer, "Cauchy-Schwarz
Regularizers", ICLR 2025, arXiv 2503.01639), on a reduced version of the gallery example
plot_cauchy_schwarz_recovery.py.

Recovery of x from M < N Gaussian measurements b = A x: Cauchy-Schwarz recovery
(cs_recover) needs fewer measurements than l-infinity minimization for binary vectors, and far
fewer than l1 minimization for one-sided binary and ternary vectors. Here N = 40 and 50 trials
per point (one batched call each); a trial succeeds when ||x_hat - x|| / ||x|| < 1e-2. Then
one point each of eigenvector recovery (N = 30) and of scaled orthogonal 8 x 8 matrices, on
both sides of the dimension count K (K - 1) / 2 + 1 = 29, and the diabetes regression of the
example (binary and ternary coefficients: the Cauchy-Schwarz fit against rounding the
least-squares solution). The margins of the assertions were measured on seeds 0-7 (see the
comments at each assertion); the test runs seed 0.

cs_recover emits a ConvergenceWarning when failed trials run out of iterations, and the ADMM
baselines when they do not certify their duality gap (low M/N); the solver calls record the
warnings so that they do not reach the test output (helper _recover), and the assertions look
at the recovered vectors.
"""

import warnings

import numpy as np
import pytest
from scipy.stats import ortho_group
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import RepeatedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg.cauchy_schwarz import (
    CSRegression,
    CSRegressionCV,
    cs_recover,
    l1_recover,
    linf_recover,
)

SEED = 0
N, N_TRIALS, SUCCESS_TOL = 40, 50, 1e-2


def _draw(prior, rng, size):
    if prior == "binary":
        return rng.choice([-1.0, 1.0], size=size)
    if prior == "one_sided_binary":
        return rng.integers(0, 2, size=size).astype(np.float64)
    return rng.integers(-1, 2, size=size).astype(np.float64)


def _relative_error(x_hat, x):
    axes = tuple(range(1, x.ndim))
    return np.linalg.norm(x_hat - x, axis=axes) / np.linalg.norm(x, axis=axes)


def _recover(function, *args, **kwargs):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        return function(*args, **kwargs)


def _sweep(prior, baseline, stage, ratio):
    """Success rates of CS recovery and of the convex baseline, and the CS residual."""
    M = int(round(ratio * N))
    rng = np.random.default_rng([SEED, stage, M])
    A = rng.standard_normal((N_TRIALS, M, N))
    x = _draw(prior, rng, (N_TRIALS, N))
    b = np.einsum("pmn,pn->pm", A, x)
    cs = _recover(cs_recover, A, b, prior, random_state=SEED)
    base = _recover(baseline, A, b)
    residual = np.linalg.norm(np.einsum("pmn,pn->pm", A, cs.x) - b, axis=1)
    return (np.mean(_relative_error(cs.x, x) < SUCCESS_TOL),
            np.mean(_relative_error(base.x, x) < SUCCESS_TOL),
            float(np.max(residual / np.linalg.norm(b, axis=1))))


def test_binary_needs_fewer_measurements_than_linf():
    # pooled over M/N = 0.45 and 0.5 (100 trials each method), success rates CS / linf on
    # seeds 0-7: 0.68 / 0.42, 0.55 / 0.41, 0.61 / 0.34, 0.57 / 0.32, 0.70 / 0.39,
    # 0.66 / 0.26, 0.66 / 0.43, 0.73 / 0.48: CS ahead by 0.14 to 0.40
    cs, base = [], []
    for ratio in (0.45, 0.5):
        rate_cs, rate_base, residual = _sweep("binary", linf_recover, 0, ratio)
        cs.append(rate_cs)
        base.append(rate_base)
        assert residual < 1e-8  # every CS solution satisfies Ax = b
    assert np.mean(cs) >= np.mean(base) + 0.08, (cs, base)
    # at M/N = 0.6 both recover nearly always: CS 0.94-1.00, linf 0.86-0.94 on seeds 0-7
    rate_cs, rate_base, _ = _sweep("binary", linf_recover, 0, 0.6)
    assert rate_cs >= 0.85 and rate_base >= 0.7, (rate_cs, rate_base)


def test_one_sided_binary_needs_far_fewer_measurements_than_l1():
    # at M/N = 0.6 on seeds 0-7: CS 0.82-0.96, l1 0.00-0.06
    rate_cs, rate_base, residual = _sweep("one_sided_binary", l1_recover, 1, 0.6)
    assert rate_cs >= 0.7, rate_cs
    assert rate_base <= 0.2, rate_base
    assert residual < 1e-8


def test_ternary_needs_far_fewer_measurements_than_l1():
    # at M/N = 0.75 on seeds 0-7: CS 0.88-0.96, l1 0.00-0.04
    rate_cs, rate_base, residual = _sweep("ternary", l1_recover, 2, 0.75)
    assert rate_cs >= 0.75, rate_cs
    assert rate_base <= 0.2, rate_base
    assert residual < 1e-8


def test_eigenvector_recovery():
    # C = G + G^T (30 x 30), x a random eigenvector times a scale in [0.5, 2], M = 12 (M/N = 0.4)
    rng = np.random.default_rng([SEED, 10])
    n = 30
    G = rng.standard_normal((n, n))
    C = G + G.T
    _, V = np.linalg.eigh(C)
    which = rng.integers(0, n, size=N_TRIALS)
    x = (V[:, which] * rng.uniform(0.5, 2.0, size=N_TRIALS)).T
    A = rng.standard_normal((N_TRIALS, 12, n))
    res = _recover(cs_recover, A, np.einsum("pmn,pn->pm", A, x), "eigenvector", C=C,
                   random_state=SEED)
    ok = _relative_error(res.x, x) < SUCCESS_TOL
    # success rate 0.90-0.98 on seeds 0-7
    assert ok.mean() >= 0.8, ok.mean()
    # the failures are spurious stationary points, not other eigenvectors: on seeds 0-7 the
    # successes have sin2 <= 5e-16 and the failures sin2 >= 0.17
    assert np.all(res.sin2[ok] < 1e-10), res.sin2[ok].max()
    assert np.all(res.sin2[~ok] > 1e-3), res.sin2[~ok]


@pytest.mark.parametrize("M", [26, 38])
def test_orthogonal_recovery_follows_the_dimension_count(M):
    # X = a Q, Q Haar-orthogonal 8 x 8, a in [0.5, 2]: a manifold of dimension 8 * 7 / 2 + 1 = 29
    K = 8
    rng = np.random.default_rng([SEED, 12, M])
    X = ortho_group.rvs(K, size=N_TRIALS, random_state=rng.integers(2**31))
    X = X * rng.uniform(0.5, 2.0, size=(N_TRIALS, 1, 1))
    x = X.transpose(0, 2, 1).reshape(N_TRIALS, K * K)  # X.ravel(order="F") of every trial
    A = rng.standard_normal((N_TRIALS, M, K * K))
    res = _recover(cs_recover, A, np.einsum("pmn,pn->pm", A, x), "orthogonal", n_columns=K,
                   random_state=SEED)
    assert res.x.shape == (N_TRIALS, K, K)
    ok = _relative_error(res.x, X) < SUCCESS_TOL
    if M < 29:
        # below the dimension count Ax = b meets the manifold in a set of dimension 29 - M:
        # CS finds a scaled orthogonal matrix (sin2 ~ 0) on every trial, never X (seeds 0-7)
        assert not ok.any()
        assert np.all(res.sin2 < 1e-10), res.sin2.max()
    else:
        # M = 38: success 1.00 on seeds 0-7 except one failure (0.98) on seed 1
        assert ok.mean() >= 0.9, ok.mean()


@pytest.fixture(scope="module")
def diabetes():
    """Mean test MSE over RepeatedKFold(5 x 20) of an estimator after StandardScaler."""
    X, y = load_diabetes(return_X_y=True)
    cv = RepeatedKFold(n_splits=5, n_repeats=20, random_state=SEED)

    def mse(estimator):
        return -cross_val_score(make_pipeline(StandardScaler(), estimator), X, y, cv=cv,
                                scoring="neg_mean_squared_error").mean()

    return mse


def test_binary_cs_regression_beats_rounding(diabetes):
    # rounding the least-squares solution to {-a, a} (alpha = 0) against the CS fit (alpha =
    # 0.1) and CSRegressionCV; MSE differences to rounding (about 3840-3920) over
    # RepeatedKFold(5 x 20) with random_state 0-9: alpha = 0.1 -387 to -454, CV -377 to -437;
    # continuous least squares is at 3012-3028
    rounding = diabetes(CSRegression(prior="binary", alpha=0.0))
    assert diabetes(CSRegression(prior="binary", alpha=0.1)) <= rounding - 200.0
    cv_fit = diabetes(CSRegressionCV(prior="binary"))
    assert cv_fit <= rounding - 200.0
    # quantizing costs accuracy: the continuous least-squares fit is still better
    assert diabetes(LinearRegression()) <= cv_fit - 200.0


def test_ternary_cs_regression_close_to_rounding(diabetes):
    # for {-a, 0, a} the gain of the CS fit over rounding is small and not robust: MSE
    # difference CS (alpha = 0.5) - rounding (about 3355-3440) over RepeatedKFold(5 x 20) with
    # random_state 0-9: -23.0 (seed 0), -37.3, -18.4, -27.4, +23.3, +1.9, -40.6, -36.6, -28.8,
    # -34.6. We assert "not worse than rounding by more than 2%", and the sign on seed 0 only.
    rounding = diabetes(CSRegression(prior="ternary", alpha=0.0))
    cs = diabetes(CSRegression(prior="ternary", alpha=0.5))
    assert cs <= 1.02 * rounding, (cs, rounding)
    if SEED == 0:
        assert cs <= rounding, (cs, rounding)
