"""Published claims of implicit differentiation for hyperparameter learning (Bertrand,
Klopfenstein, Blondel, Vaiter, Gramfort and Salmon, "Implicit differentiation of Lasso-type
models for hyperparameter optimization", ICML 2020; JMLR 2022), on a reduced version of the
gallery example plot_implicit_differentiation.py.

(a) Gradient descent on the 5-fold CV criterion of a Lasso (ImplicitDiffSearchCV, optimizers
"line_search" and "hoag") reaches the best value of a 100-alpha grid (LassoCV, from alpha_max
down to alpha_max / 1e3) within 1%, with far fewer fits per fold than the grid's 100 and fewer
coordinate-descent epochs than the grid's warm-started path. (b) Learning one penalty weight
per feature (WeightedLasso, params="weights"), started from the single alpha found in (a),
lowers the CV criterion (that it overfits the validation data, as the example shows, is not
asserted: it is a property of the data, not of the method).

Dense Toeplitz design (rho = 0.5), n = 200, p = 1000, 5 true features, SNR 10; the margins of
the assertions were measured on seeds 0-7 (see the comments at each assertion); the test runs
seed 0. Counts, never timings, are asserted.
"""

import numpy as np
import pytest
from sklearn.model_selection import KFold

from skreg import Lasso, LassoCV, WeightedLasso, lasso_path
from skreg.datasets import make_correlated_regression
from skreg.model_selection import ImplicitDiffSearchCV

SEED = 0
N, P, N_GRID = 200, 1000, 100


@pytest.fixture(scope="module")
def problem():
    X, y, _ = make_correlated_regression(N, P, rho=0.5, n_informative=5, snr=10.0,
                                         random_state=SEED)
    folds = list(KFold(n_splits=5, shuffle=True, random_state=SEED).split(X))
    grid = LassoCV(cv=folds, n_alphas=N_GRID, max_iter=5000).fit(X, y)
    # the grid's cost: coordinate-descent epochs of the warm-started path on every fold
    # (LassoCV's own algorithm, the cheapest way to evaluate the grid)
    epochs = sum(
        lasso_path(X[train], y[train], alphas=grid.alphas_, fit_intercept=True,
                   max_iter=5000, return_n_iter=True)[3].sum()
        for train, _ in folds)
    single = ImplicitDiffSearchCV(Lasso(tol=1e-6, max_iter=5000), cv=folds).fit(X, y)
    return dict(X=X, y=y, folds=folds, grid=grid, grid_best=grid.mse_path_.mean(axis=1).min(),
                grid_epochs=epochs, single=single)


@pytest.mark.parametrize("optimizer", ["line_search", "hoag"])
def test_reaches_the_grid_minimum_with_fewer_fits(problem, optimizer):
    if optimizer == "line_search":
        search = problem["single"]
    else:
        # hoag sets the inner tol along its schedule; the evaluations at least as accurate
        # as the Lasso's own tol=1e-6 are marked exact, and only they count
        search = ImplicitDiffSearchCV(Lasso(tol=1e-6, max_iter=5000), cv=problem["folds"],
                                      optimizer=optimizer).fit(problem["X"], problem["y"])
    grid_best = problem["grid_best"]
    n_folds = len(problem["folds"])
    assert search.n_splits_ == n_folds
    # best CV MSE relative to the grid's best, seeds 0-7: line_search -0.22% to +0.15%,
    # hoag -0.11% to +0.15% (the search is not restricted to the grid points)
    assert -search.best_score_ <= 1.01 * grid_best, (-search.best_score_, grid_best)
    np.testing.assert_allclose(search.path_["criterion"][search.best_index_],
                               -search.best_score_)
    # fits per fold: every evaluation fits each fold once; seeds 0-7: line_search 13-20
    # evaluations, hoag 20-32, against the grid's 100 (the initial scan of alpha_max *
    # 10^(-k/3) included); the first exact evaluation within 1% of the grid's best is the
    # 6th to 12th for line_search, the 6th to 32nd for hoag (on seeds 2-5 its final exact
    # check of the best inexact point)
    assert search.n_iter_ * n_folds < N_GRID * n_folds
    assert search.n_iter_ <= 50, search.n_iter_
    criterion = np.where(search.path_["exact"], search.path_["criterion"], np.inf)
    first = int(np.argmax(criterion <= 1.01 * grid_best)) + 1
    assert criterion[first - 1] <= 1.01 * grid_best
    assert first <= 40, first
    # inner work: coordinate-descent epochs summed over the folds and evaluations; seeds 0-7:
    # line_search 1435-1985, hoag 1739-2244, against 3790-4170 for the warm-started
    # 100-alpha path
    epochs = int(search.path_["n_inner_iter"].sum())
    assert epochs < problem["grid_epochs"], (epochs, problem["grid_epochs"])
    assert search.path_["converged"].all()


def test_one_weight_per_feature_lowers_the_cv_criterion(problem):
    single = problem["single"]
    alpha = single.best_params_["alpha"]
    weighted = ImplicitDiffSearchCV(WeightedLasso(alpha=alpha, tol=1e-6, max_iter=5000),
                                    params="weights", cv=problem["folds"]).fit(
        problem["X"], problem["y"])
    # the first evaluation is the single-alpha Lasso (all weights 1)
    np.testing.assert_allclose(weighted.path_["criterion"][0], -single.best_score_,
                               rtol=1e-3)
    # CV MSE weighted / single, seeds 0-7: 0.35-0.63 (it is the validation data that are
    # fitted: on held-out test data the weighted Lasso is often worse, see the example)
    assert -weighted.best_score_ <= -single.best_score_
    assert -weighted.best_score_ <= 0.9 * -single.best_score_
    weights = weighted.best_params_["weights"]
    assert weights.shape == (P,)
    assert np.all(weights > 0) and np.any(weights != 1.0)
