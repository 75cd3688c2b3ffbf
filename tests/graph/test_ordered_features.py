"""The graph penalty on ordered features (a time-lagged design) against Ridge and the Lasso.

A reduced version of ``examples/plot_graph_ordered_features.py`` on the NYSE data (shipped
with skreg, from ISLP), and the tests of :func:`skreg.datasets.load_nyse`.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LassoCV, RidgeCV
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skreg.datasets import _loaders, load_nyse
from skreg.graph import GraphLaplacianRegression, grid_laplacian


# --------------------------------------------------------------------------------------------
# load_nyse
# --------------------------------------------------------------------------------------------
def test_load_nyse():
    nyse = load_nyse()
    assert nyse.data.shape == (6051, 3)
    assert nyse.data.dtype == np.float64
    assert np.all(np.isfinite(nyse.data))
    assert list(nyse.feature_names) == ["DJ_return", "log_volume", "log_volatility"]
    # first rows of ISLP's NYSE.csv
    np.testing.assert_allclose(
        nyse.data[:2],
        [[-0.004461, 0.032573, -13.1274025527484], [0.007813, 0.346202, -11.7493047230798]],
        rtol=0, atol=1e-12,
    )
    np.testing.assert_array_equal(nyse.target, nyse.data[:, 1])
    assert nyse.target.base is not nyse.data  # a copy: editing it leaves data alone
    assert list(nyse.target_names) == ["log_volume"]
    assert nyse.dates.dtype == np.dtype("datetime64[D]")
    assert str(nyse.dates[0]) == "1962-12-03" and str(nyse.dates[-1]) == "1986-12-31"
    assert np.all(np.diff(nyse.dates).astype(int) > 0)  # in time order
    assert list(nyse.day_of_week[:5]) == ["mon", "tues", "wed", "thur", "fri"]
    assert set(nyse.day_of_week) == {"mon", "tues", "wed", "thur", "fri"}
    assert nyse.train_mask.dtype == bool and nyse.train_mask.sum() == 4281
    assert np.all(nyse.dates[nyse.train_mask] < np.datetime64("1980-01-01"))
    assert np.all(nyse.dates[~nyse.train_mask] >= np.datetime64("1980-01-01"))
    assert "ISLP" in nyse.DESCR and "licence" in nyse.DESCR
    X, y = load_nyse(return_X_y=True)
    np.testing.assert_array_equal(X, nyse.data)
    np.testing.assert_array_equal(y, nyse.target)


def test_load_nyse_without_islp(monkeypatch):
    # the data ship with skreg: ISLP is not needed
    monkeypatch.setattr(_loaders, "_find_islp_spec", lambda: None)
    assert load_nyse().data.shape == (6051, 3)


# --------------------------------------------------------------------------------------------
# The comparison of the example, reduced
# --------------------------------------------------------------------------------------------
def _lagged_design(n_lags):
    """|r_t| (in %) from lags 1..n_lags of |r| and of log_volume, as in the example."""
    data = load_nyse().data
    abs_return = 100 * np.abs(data[:, 0])
    n = abs_return.shape[0]
    X = np.column_stack([s[n_lags - k : n - k] for s in (abs_return, data[:, 1])
                         for k in range(1, n_lags + 1)])
    return X, abs_return[n_lags:]


def test_chain_penalty_beats_ridge_and_lasso_on_lagged_volatility():
    n_lags = 30
    X, y = _lagged_design(n_lags)
    chain = sp.block_diag([grid_laplacian(n_lags)] * 2, format="csr")
    # rolling three-year windows, each tested on the next year (the last 10 years of the data);
    # alpha of every model is tuned by an inner time-series split of the training window only
    outer = TimeSeriesSplit(n_splits=10, max_train_size=750, test_size=250)
    inner = TimeSeriesSplit(n_splits=4)
    models = {
        "ridge": make_pipeline(StandardScaler(),
                               RidgeCV(alphas=np.logspace(-1, 5, 13), cv=inner)),
        "lasso": make_pipeline(StandardScaler(),
                               LassoCV(alphas=30, cv=inner, max_iter=10_000)),
        "graph": GridSearchCV(
            make_pipeline(StandardScaler(),
                          GraphLaplacianRegression(penalty="l2", graph=chain,
                                                   fit_intercept=True)),
            {"graphlaplacianregression__alpha": np.logspace(0, 8, 9)},
            cv=inner,
            scoring="neg_mean_squared_error",
        ),
    }
    mse, last = {}, {}
    # one BLAS thread: small dense solves are faster so, and the result is deterministic
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # LassoCV at its smallest alphas
        for name, model in models.items():
            cv = cross_validate(model, X, y, cv=outer, scoring="neg_mean_squared_error",
                                return_estimator=True)
            mse[name] = -cv["test_score"]
            est = cv["estimator"][-1]
            last[name] = getattr(est, "best_estimator_", est)[-1].coef_.reshape(2, n_lags)
    # measured: graph 0.324, ridge 0.335, lasso 0.343 (mean test MSE over the 10 years)
    assert mse["graph"].mean() < 0.98 * mse["ridge"].mean()
    assert mse["graph"].mean() < 0.98 * mse["lasso"].mean()
    assert np.sum(mse["graph"] < mse["ridge"]) >= 6
    assert np.sum(mse["graph"] < mse["lasso"]) >= 6
    # and its coefficient curves over the lags are smooth: far less total variation than
    # Ridge's, for a comparable size
    roughness = {k: np.abs(np.diff(c, axis=1)).sum() / np.abs(c).sum() for k, c in last.items()
                 if np.any(c)}
    assert roughness["graph"] < 0.2 * roughness["ridge"]
