"""Checks that every public skreg estimator must pass.

* scikit-learn's estimator checks, on default parameters and on a "meaningful" instance
  (small alpha, tight tolerance) where the checks compare non-zero models;
* a matrix of bad inputs x estimators: each must raise a ``ValueError``/``TypeError`` naming
  the problem (never a numba error, never a silent wrong answer);
* input handling: pickling, cloning, float32, read-only memmaps, non-contiguous arrays,
  pandas, sparse formats, and the caller's arrays left untouched.

New estimators are discovered by :func:`skreg.utils.all_estimators`; each one must get an entry
in ``MEANINGFUL_PARAMS`` (``test_every_estimator_has_meaningful_params`` fails otherwise).
"""

import inspect
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import LeaveOneGroupOut
from sklearn.utils import shuffle
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import has_fit_parameter

from skreg import Lasso, SparseLogisticRegression
from skreg.utils import all_estimators

ESTIMATORS = dict(all_estimators())

# Parameters under which the estimator checks compare real (non-zero) models. The
# sample-weight equivalence checks compare predictions with rtol=1e-7, so the solvers must be
# converged far beyond the default relative duality gap tol=1e-4: tol=1e-12 (certified by the
# duality gap) with enough epochs for the ill-conditioned 15 x 30 problem of those checks. The
# CV grids are short (5 alphas, 3 folds) and stop at eps=1e-2 * alpha_max: at 1e-3 * alpha_max
# the elastic net is so weakly strongly-convex that tol=1e-12 still leaves ~1e-7 differences.
# The interior point of LADLasso/QuantileLasso certifies gaps down to ~1e-10 (tol=1e-10).
# SqrtLassoCV's grid stops at 0.5 alpha_max: below ~0.3 alpha_max the square-root Lasso
# interpolates the 15 distinct samples of those checks, and its interpolating solution is
# certified through the LAD program, to ~1e-10 only.
# WeightedLasso keeps weights=None: the checks use several numbers of features, and the
# ``weights`` parameter is exercised by the tests below.
# ImplicitDiffSearchCV starts at the Lasso's alpha=1e-3 (init="estimator") for 3 steps: in the
# sample-weight checks the held-out groups are copies of training rows, so the criterion falls
# towards alpha -> 0, where the 15 x 30 Lasso does not converge to tol=1e-12; a longer search
# would also compare two descents whose Armijo tests differ by rounding.
MEANINGFUL_PARAMS = {
    "CSRegression": dict(prior="ternary", alpha=1e-3),
    "CSRegressionCV": dict(prior="ternary", n_alphas=4, cv=3, max_iter=20_000),
    "ElasticNet": dict(alpha=1e-3, tol=1e-12, max_iter=10_000),
    "ElasticNetCV": dict(n_alphas=5, cv=3, eps=1e-2, tol=1e-12, max_iter=10_000),
    "EntropicOTMapper": dict(epsilon=0.05, n_reference=40, tol=1e-11, random_state=0),
    "GraphLaplacianRegression": dict(alpha=0.1, penalty="l1", fit_intercept=True, tol=1e-10),
    "ImplicitDiffSearchCV": dict(estimator=Lasso(alpha=1e-3, tol=1e-12, max_iter=10_000),
                                 cv=3, init="estimator", max_iter=3),
    # Domain adaptation: the checks' data has no target row (y == -1 / NaN), so the adapters
    # are the identity and OTLabelPropagation transports the source onto itself.
    "ClassRegularizedOTAdapter": dict(epsilon=0.05, lam=0.5, tol=1e-9),
    "OTLabelPropagation": dict(epsilon=0.1, tol=1e-9),
    "OTMappingAdapter": dict(epsilon=0.1, tol=1e-9),
    "SelectSource": dict(estimator=SparseLogisticRegression(alpha=1e-3, tol=1e-12)),
    "LADLasso": dict(alpha=1e-3, tol=1e-10),
    # the interior point's certified gap ends near 1e-10 relative: one fold of the
    # sample-weight check's data stops at 1.2e-10 on some CPUs
    "LADLassoCV": dict(n_alphas=5, cv=3, eps=1e-2, tol=1e-9),
    "Lasso": dict(alpha=1e-3, tol=1e-12, max_iter=10_000),
    "LaplacianRidge": dict(alpha=1e-3, manifold_alpha=0.1, n_neighbors=5),
    "LassoCV": dict(n_alphas=5, cv=3, eps=1e-2, tol=1e-12, max_iter=10_000),
    "QuantileLasso": dict(quantile=0.3, alpha=1e-3, tol=1e-10),
    "SparseLogisticRegression": dict(alpha=1e-3, tol=1e-12),
    "SqrtLasso": dict(alpha=0.1, tol=1e-12, max_iter=10_000),
    "SqrtLassoCV": dict(n_alphas=5, cv=3, eps=0.5, tol=1e-12, max_iter=10_000),
    "WeightedLasso": dict(alpha=1e-3, tol=1e-12, max_iter=10_000),
    "WeightedOMP": dict(loss="sqrt", penalty="l1", alpha=0.05, n_nonzero_coefs=5),
    "WeightedOMPCV": dict(loss="lad", penalty="l1", n_alphas=3, cv=3),
}
# More instances for the estimator checks where one meaningful instance cannot cover the
# estimator's distinct code paths (the greedy lad rules refit by linear programming; the
# graph penalties and the conjugate-gradient back end; kernel manifold regularization).
EXTRA_INSTANCES = {
    "GraphLaplacianRegression": [
        dict(alpha=0.1, penalty="tv", fit_intercept=True, tol=1e-10),
        dict(alpha=0.1, penalty="l2", fit_intercept=True, solver="cg", tol=1e-10),
    ],
    "LaplacianRidge": [dict(alpha=1e-3, manifold_alpha=0.1, kernel="rbf", n_neighbors=5)],
    "WeightedOMP": [dict(loss="lad", penalty="l1", alpha=0.1, n_nonzero_coefs=5),
                    dict(loss="lasso", penalty="l1", alpha=0.01, n_nonzero_coefs=5)],
}


# y = NaN marks an unlabeled sample for semi-supervised estimators (not an error).
SEMI_SUPERVISED = {"LaplacianRidge"}
# Penalties that couple coefficients (a graph on the features): the coefficient of a column
# that carries no information is set by its neighbours, not by shrinkage to zero.
COUPLED_COEFFICIENTS = {"GraphLaplacianRegression"}


def _is_transformer(est):
    """Unsupervised transformers (no y, no coefficients): the y and model cases differ."""
    return hasattr(est, "transform") and not hasattr(est, "predict")


def _output(est, X):
    """What a fitted estimator returns for X: predictions, or the transformed data."""
    return est.transform(X) if _is_transformer(est) else est.predict(X)


def _coef_or_output(est, X):
    """The fitted coefficients, or for a model without any its output on X (a transformer's
    transformed data, a nonparametric classifier's class probabilities)."""
    model = _fitted(est)
    if hasattr(model, "coef_"):
        return model.coef_
    return est.transform(X) if _is_transformer(est) else est.predict_proba(X)


def _fitted(est):
    """The fitted model of an estimator, of a search (its refitted best estimator) or of a
    meta-estimator (its fitted ``estimator_``)."""
    for name in ("best_estimator_", "estimator_"):
        if hasattr(est, name):
            return getattr(est, name)
    return est


def _model_params(est):
    """Parameters of the model: of the inner estimator for a search."""
    return est.estimator.get_params() if "estimator" in est.get_params() else est.get_params()


def _set_model_params(est, **params):
    """Set parameters of the model (of the inner estimator for a search); returns est."""
    if "estimator" in est.get_params():
        params = {f"estimator__{k}": v for k, v in params.items()}
    return est.set_params(**params)


def _meaningful(name):
    return ESTIMATORS[name](**MEANINGFUL_PARAMS[name])


def _check_instances():
    instances = []
    for name, cls in ESTIMATORS.items():
        instances.append(cls())
        if name in MEANINGFUL_PARAMS:
            instances.append(_meaningful(name))
        instances.extend(cls(**params) for params in EXTRA_INSTANCES.get(name, []))
    return instances



def _is_default(est):
    return est.get_params() == type(est)().get_params()


_SW_REASON = (
    "default tol=1e-4 certifies a relative duality gap of 1e-4 only: the CV refit at a small "
    "alpha (default grid down to 1e-3 * alpha_max) then differs by up to ~1e-4 between the "
    "weighted and the repeated data, while the check asserts rtol=1e-7. The meaningful "
    "instance (tol=1e-12, 1e-9 for LADLassoCV) runs and passes this check."
)


_DA_REASON = (
    "domain adaptation: without sample_domain, y == -1 marks a target sample of unknown label "
    "(as in scikit-learn's semi-supervised estimators, which this check exempts by name), so "
    "labels [-1, 1] leave one class."
)


def _expected_failed_checks(est):
    """Checks that are inapplicable to one instance, each with its reason (see module doc)."""
    cv_models = ("LassoCV", "ElasticNetCV", "SqrtLassoCV", "LADLassoCV",
                 "ImplicitDiffSearchCV")
    if _is_default(est) and type(est).__name__ in cv_models:
        return {
            "check_sample_weight_equivalence_on_dense_data": _SW_REASON,
            "check_sample_weight_equivalence_on_sparse_data": _SW_REASON,
        }
    if is_classifier(est) and "sample_domain" in inspect.signature(est.fit).parameters:
        return {"check_classifiers_classes": _DA_REASON}
    return {}


# --------------------------------------------------------------------------------------------
# scikit-learn's estimator checks


def test_every_estimator_has_meaningful_params():
    missing = sorted(set(ESTIMATORS) - set(MEANINGFUL_PARAMS))
    assert not missing, f"add these estimators to MEANINGFUL_PARAMS: {missing}"
    unknown = sorted(set(MEANINGFUL_PARAMS) - set(ESTIMATORS))
    assert not unknown, f"MEANINGFUL_PARAMS names estimators that do not exist: {unknown}"


# The expected failures above are tolerance effects that a given run may happen to pass
# (parallel reductions change the last digits): not strict, where scikit-learn allows it.
_XFAIL_NOT_STRICT = (
    {"xfail_strict": False}
    if "xfail_strict" in inspect.signature(parametrize_with_checks).parameters
    else {}
)


@parametrize_with_checks(_check_instances(), expected_failed_checks=_expected_failed_checks,
                         **_XFAIL_NOT_STRICT)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def _sample_weight_check_fit(est):
    """Fit ``est`` as sklearn's sample-weight equivalence check fits its weighted side.

    Same data (random_state 42, 15 x 30, integer weights including zeros); for estimators
    with a ``cv`` parameter the data is stacked three times and the folds are the groups.
    """
    rng = np.random.RandomState(42)
    n = 15
    X = rng.rand(n, 2 * n)
    y = rng.randint(0, 3, size=n)
    sw = rng.randint(0, 5, size=n)
    X_w, y_w, sw_w = shuffle(X, y, sw, random_state=0)
    if "cv" in est.get_params():
        groups = np.repeat([0, 1, 2], n)
        X_w, y_w = np.vstack([X_w, X, X]), np.hstack([y_w, y, y])
        sw_w = np.hstack([sw_w, np.ones(2 * n)])
        est.set_params(cv=list(LeaveOneGroupOut().split(X_w, groups=groups)))
    y_w = np.where(y_w == y_w.min(), 0, 1) if is_classifier(est) else y_w.astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return est.fit(X_w, y_w, sample_weight=sw_w)


@pytest.mark.parametrize("name", sorted(MEANINGFUL_PARAMS))
def test_meaningful_instance_gives_nonzero_model(name):
    # The sample-weight equivalence checks only test something if the model is not w = 0.
    if not has_fit_parameter(_meaningful(name), "sample_weight"):
        pytest.skip("no sample_weight: scikit-learn's weight checks do not run")
    if _is_transformer(_meaningful(name)):
        pytest.skip("a transformer has no coefficients that could be all zero")
    est = _sample_weight_check_fit(_meaningful(name))
    assert np.count_nonzero(_fitted(est).coef_) >= 3
    if hasattr(est, "alphas_"):  # CV chose a model below alpha_max
        assert est.alpha_ < est.alphas_.max()


# --------------------------------------------------------------------------------------------
# data helpers


def _make_data(est, n_samples=30, n_features=6, seed=0, sparsity=0.0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    if sparsity:
        X[rng.rand(*X.shape) < sparsity] = 0.0
    w = np.zeros(n_features)
    w[: max(1, n_features // 2)] = rng.normal(size=max(1, n_features // 2)) + 2.0
    y = X @ w + 0.3 * rng.normal(size=n_samples)
    if is_classifier(est):
        y = (y > np.median(y)).astype(np.int64)
    return X, y


def _fit_quiet(est, X, y, **fit_params):
    """Fit, turning ConvergenceWarning into an error (these tests need converged models)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return est.fit(X, y, **fit_params)


def _estimator_params():
    return [pytest.param(name, id=name) for name in sorted(ESTIMATORS)]


# --------------------------------------------------------------------------------------------
# bad inputs: every estimator x every case


def _bad(est, X, y, exc, match, **fit_params):
    with pytest.raises(exc, match=match):
        est.fit(X, y, **fit_params)


def _with(X, i, j, value):
    X = np.array(X, dtype=np.float64)
    X[i, j] = value
    return X


def case_nan_X(est, X, y):
    _bad(est, _with(X, 0, 0, np.nan), y, ValueError, "NaN")


def case_inf_X(est, X, y):
    _bad(est, _with(X, 1, 2, np.inf), y, ValueError, "infinity")


def case_nan_y(est, X, y):
    if _is_transformer(est):
        pytest.skip("unsupervised transformer: y is ignored")
    y = np.array(y, dtype=np.float64)
    y[3] = np.nan
    if type(est).__name__ in SEMI_SUPERVISED:
        # NaN marks an unlabeled sample; all-NaN y has no label at all
        _fit_quiet(est, X, y)
        assert est.n_labeled_ == X.shape[0] - 1
        _bad(est, X, np.full_like(y, np.nan), ValueError, "no labeled sample")
        return
    _bad(est, X, y, ValueError, "NaN")


def case_complex_X(est, X, y):
    _bad(est, X + 1j * X, y, ValueError, "[Cc]omplex")


def case_complex_y(est, X, y):
    if _is_transformer(est):
        pytest.skip("unsupervised transformer: y is ignored")
    _bad(est, X, y + 1j, ValueError, "[Cc]omplex")


def case_object_X_with_strings(est, X, y):
    Xo = X.astype(object)
    Xo[0, 0] = "abc"
    _bad(est, Xo, y, ValueError, "abc|string|convert")


def case_empty_X(est, X, y):
    _bad(est, X[:0], y[:0], ValueError, "0 sample")


def case_zero_features(est, X, y):
    _bad(est, X[:, :0], y, ValueError, "0 feature")


def case_X_1d(est, X, y):
    _bad(est, X[:, 0], y, ValueError, "2D")


def case_y_2d(est, X, y):
    if _is_transformer(est):
        pytest.skip("unsupervised transformer: y is ignored")
    _bad(est, X, np.column_stack([y, y]), ValueError, "1d|1-D|one column|shape")


def case_y_none(est, X, y):
    if _is_transformer(est):
        pytest.skip("unsupervised transformer: y is ignored")
    _bad(est, X, None, ValueError, "requires y")


def case_length_mismatch(est, X, y):
    if _is_transformer(est):
        pytest.skip("unsupervised transformer: y is ignored")
    _bad(est, X, y[:-1], ValueError, "inconsistent numbers of samples")


def case_one_sample(est, X, y):
    name = type(est).__name__
    if _is_transformer(est):
        _fit_quiet(est, X[:1], y[:1])
        out = est.transform(X[:3])
        assert out.shape == (3, X.shape[1]) and np.all(np.isfinite(out))
        return
    if is_classifier(est):
        _bad(est, X[:1], y[:1], ValueError, "binary.*1 class")
    elif name.endswith("CV"):
        _bad(est, X[:1], y[:1], ValueError, r"n_splits=\d+.*n_samples=1")
    else:
        _fit_quiet(est, X[:1], y[:1])
        # one sample, centred by the intercept: nothing is left to explain
        np.testing.assert_array_equal(_fitted(est).coef_, 0.0)
        assert _fitted(est).intercept_ == pytest.approx(float(y[0]))
        np.testing.assert_allclose(est.predict(X[:3]), y[0])


def case_constant_y(est, X, y):
    if _is_transformer(est):
        pytest.skip("unsupervised transformer: y is ignored")
    if is_classifier(est):
        _bad(est, X, np.zeros_like(y), ValueError, "binary.*1 class")
        return
    for value in (0.0, 0.1, -3.7):
        _fit_quiet(est, X, np.full(X.shape[0], value))
        np.testing.assert_array_equal(_fitted(est).coef_, 0.0)
        assert _fitted(est).intercept_ == pytest.approx(value)


def case_constant_column(est, X, y):
    X = np.array(X)
    X[:, 1] = 3.0
    _fit_quiet(est, X, y)
    if _is_transformer(est) or not hasattr(_fitted(est), "coef_"):
        assert np.all(np.isfinite(_coef_or_output(est, X)))
        return
    assert np.count_nonzero(_fitted(est).coef_) > 0
    if type(est).__name__ in COUPLED_COEFFICIENTS:
        # centred away by the intercept: the fit is that of a zero column
        X0 = X.copy()
        X0[:, 1] = 0.0
        ref = _fit_quiet(clone(est), X0, y)
        np.testing.assert_allclose(_fitted(est).coef_, _fitted(ref).coef_, rtol=1e-6, atol=1e-8)
        return
    assert _fitted(est).coef_[1] == 0.0


def case_wrong_n_features_at_predict(est, X, y):
    _fit_quiet(est, X, y)
    with pytest.raises(ValueError, match="features"):
        _output(est, X[:, :-1])
    with pytest.raises(ValueError, match="features"):
        _output(est, np.hstack([X, X[:, :1]]))


def _sw_case(est, X, y, sw, exc, match):
    if not has_fit_parameter(est, "sample_weight"):
        pytest.skip("no sample_weight")
    _bad(est, X, y, exc, match, sample_weight=sw)


def case_negative_sample_weight(est, X, y):
    sw = np.ones(X.shape[0])
    sw[2] = -1.0
    _sw_case(est, X, y, sw, ValueError, "sample_weight.*non-negative")


def case_zero_sample_weight(est, X, y):
    _sw_case(est, X, y, np.zeros(X.shape[0]), ValueError, "sample_weight.*zero")


def case_nan_sample_weight(est, X, y):
    sw = np.ones(X.shape[0])
    sw[0] = np.nan
    _sw_case(est, X, y, sw, ValueError, "sample_weight.*NaN")


def case_sample_weight_wrong_length(est, X, y):
    _sw_case(est, X, y, np.ones(X.shape[0] - 1), ValueError, "sample_weight.*samples")


def case_sample_weight_2d(est, X, y):
    _sw_case(est, X, y, np.ones((X.shape[0], 2)), ValueError, "sample_weight.*1-D")


def _unsupported_sparse_case(fmt):
    def case(est, X, y):
        Xs = sp.csr_matrix(X).asformat(fmt)
        with pytest.raises(TypeError, match=f"'{fmt}'"):
            est.fit(Xs, y)
        _fit_quiet(est, X, y)
        with pytest.raises(TypeError, match=f"'{fmt}'"):
            _output(est, Xs)

    case.__name__ = f"case_unsupported_sparse_{fmt}"
    return case


def case_cv_fold_without_weight(est, X, y):
    # unshuffled 3-fold CV: the first fold's test part (first third) gets no weight
    sw = np.ones(X.shape[0])
    sw[: X.shape[0] // 3] = 0.0
    est.set_params(cv=3)
    _bad(est, X, y, ValueError, "fold 0.*test samples sum to zero", sample_weight=sw)
    _bad(est, X, y, ValueError, "fold 0.*training samples sum to zero", sample_weight=1.0 - sw)


GENERIC_CASES = [
    case_nan_X,
    case_inf_X,
    case_nan_y,
    case_complex_X,
    case_complex_y,
    case_object_X_with_strings,
    case_empty_X,
    case_zero_features,
    case_X_1d,
    case_y_2d,
    case_y_none,
    case_length_mismatch,
    case_one_sample,
    case_constant_y,
    case_constant_column,
    case_wrong_n_features_at_predict,
    case_negative_sample_weight,
    case_zero_sample_weight,
    case_nan_sample_weight,
    case_sample_weight_wrong_length,
    case_sample_weight_2d,
    *(_unsupported_sparse_case(fmt) for fmt in ("lil", "dok", "dia", "bsr")),
]

# Cases for estimators with a given parameter.
PARAM_CASES = {"cv": [case_cv_fold_without_weight]}

# Bad parameter values: (parameter, value, exception, regex). Applied to each estimator that has
# the parameter.
BAD_PARAMS = [
    ("alpha", -1.0, ValueError, "alpha"),
    ("alpha", np.inf, ValueError, "alpha"),
    ("alpha", "1", TypeError, "alpha"),
    ("l1_ratio", -0.1, ValueError, "l1_ratio"),
    ("l1_ratio", 1.5, ValueError, "l1_ratio"),
    ("l1_ratio", np.nan, ValueError, "l1_ratio"),
    ("fit_intercept", "yes", TypeError, "fit_intercept"),
    ("fit_intercept", 1, TypeError, "fit_intercept"),
    ("positive", None, TypeError, "positive"),
    ("warm_start", "no", TypeError, "warm_start"),
    ("solver", "newton", ValueError, "solver"),
    ("max_iter", 0, ValueError, "max_iter"),
    ("max_iter", 1.5, TypeError, "max_iter"),
    ("tol", -1e-3, ValueError, "tol"),
    ("tol", np.nan, ValueError, "tol"),
    ("eps", np.nan, ValueError, "eps"),
    ("alphas", [1.0, -0.5], ValueError, "alphas"),
    ("alphas", [], ValueError, "alphas"),
    ("alphas", [1.0, np.nan], ValueError, "alphas"),
    ("eps", 0.0, ValueError, "eps"),
    ("n_alphas", 0, ValueError, "n_alphas"),
    ("weights", np.ones(5), ValueError, "weights.*6"),
    ("weights", np.ones(7), ValueError, "weights.*6"),
    ("weights", np.array([1.0, -1.0, 1.0, 1.0, 1.0, 1.0]), ValueError, "weights.*non-negative"),
    ("weights", np.array([1.0, np.nan, 1.0, 1.0, 1.0, 1.0]), ValueError, "weights.*NaN"),
    ("weights", np.ones((6, 1)), ValueError, "weights.*1-D"),
    ("weights", np.array(["a"] * 6), TypeError, "weights.*numeric"),
]


def _bad_input_params():
    params = []
    for name in sorted(ESTIMATORS):
        for case in GENERIC_CASES:
            params.append(pytest.param(name, case, id=f"{name}-{case.__name__[5:]}"))
        est_params = ESTIMATORS[name]().get_params()
        for param, cases in PARAM_CASES.items():
            if param in est_params:
                for case in cases:
                    params.append(pytest.param(name, case, id=f"{name}-{case.__name__[5:]}"))
        for i, (param, value, exc, match) in enumerate(BAD_PARAMS):
            if param not in est_params:
                continue

            def case(est, X, y, param=param, value=value, exc=exc, match=match):
                est.set_params(**{param: value})
                _bad(est, X, y, exc, match)

            params.append(pytest.param(name, case, id=f"{name}-bad_{param}-{i}"))
    return params


@pytest.mark.parametrize("name, case", _bad_input_params())
def test_bad_input(name, case):
    est = ESTIMATORS[name](**MEANINGFUL_PARAMS[name])
    X, y = _make_data(est)
    X_orig, y_orig = X.copy(), y.copy()
    case(est, X, y)
    # whatever happened, the caller's data is untouched
    np.testing.assert_array_equal(X, X_orig)
    np.testing.assert_array_equal(y, y_orig)


# --------------------------------------------------------------------------------------------
# input handling: every estimator


def _predictions(est, X):
    out = [_output(est, X)]
    for method in ("decision_function", "predict_proba"):
        if hasattr(est, method):
            out.append(getattr(est, method)(X))
    return out


@pytest.mark.parametrize("name", _estimator_params())
def test_pickle_round_trip(name):
    est = _meaningful(name)
    X, y = _make_data(est)
    _fit_quiet(est, X, y)
    est2 = pickle.loads(pickle.dumps(est))
    for a, b in zip(_predictions(est, X), _predictions(est2, X)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(_coef_or_output(est, X), _coef_or_output(est2, X))


@pytest.mark.parametrize("name", _estimator_params())
def test_clone_refit_is_deterministic(name):
    est = _meaningful(name)
    X, y = _make_data(est)
    _fit_quiet(est, X, y)
    est2 = _fit_quiet(clone(est), X, y)
    np.testing.assert_allclose(_coef_or_output(est2, X), _coef_or_output(est, X), rtol=1e-15,
                               atol=1e-15)
    if hasattr(_fitted(est), "intercept_"):
        assert _fitted(est2).intercept_ == pytest.approx(_fitted(est).intercept_, rel=1e-15,
                                                         abs=1e-15)


@pytest.mark.parametrize("name", _estimator_params())
def test_float32_input(name):
    est = _meaningful(name)
    X, y = _make_data(est)
    X32 = X.astype(np.float32)
    est32 = _fit_quiet(clone(est), X32, y)
    est64 = _fit_quiet(clone(est), X32.astype(np.float64), y)
    assert _coef_or_output(est32, X32).dtype == np.float64
    np.testing.assert_allclose(_coef_or_output(est32, X32), _coef_or_output(est64, X32),
                               rtol=1e-6, atol=1e-6)
    assert _output(est32, X32).dtype == (np.float64 if not is_classifier(est) else y.dtype)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("name", _estimator_params())
def test_read_only_memmap(name, order, tmp_path):
    est = _meaningful(name)
    X, y = _make_data(est)
    path = tmp_path / f"X_{order}.dat"
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape, order=order)
    mm[:] = X
    mm.flush()
    del mm
    X_ro = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape, order=order)
    assert not X_ro.flags.writeable
    ref = _fit_quiet(clone(est), X, y)
    got = _fit_quiet(clone(est), X_ro, y)
    np.testing.assert_allclose(_coef_or_output(got, X), _coef_or_output(ref, X), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(_output(got, X_ro), _output(ref, X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", _estimator_params())
def test_non_contiguous_input(name):
    est = _meaningful(name)
    X, y = _make_data(est, n_samples=60, n_features=12)
    for X_view, y_view in [(X[:, ::2], y), (X[::2], y[::2])]:
        assert not (X_view.flags.c_contiguous or X_view.flags.f_contiguous)
        ref = _fit_quiet(clone(est), np.ascontiguousarray(X_view), y_view)
        got = _fit_quiet(clone(est), X_view, y_view)
        np.testing.assert_allclose(_coef_or_output(got, X_view), _coef_or_output(ref, X_view),
                                   rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(_output(got, X_view), _output(ref, X_view), rtol=1e-12,
                                   atol=1e-12)


@pytest.mark.parametrize("name", _estimator_params())
def test_pandas_input(name):
    pd = pytest.importorskip("pandas")
    est = _meaningful(name)
    X, y = _make_data(est)
    columns = [f"feat_{j}" for j in range(X.shape[1])]
    X_df = pd.DataFrame(X, columns=columns)
    y_s = pd.Series(y, name="target")
    if is_classifier(est):
        y_s = y_s.map({0: "no", 1: "yes"})
    got = _fit_quiet(clone(est), X_df, y_s)
    np.testing.assert_array_equal(got.feature_names_in_, columns)
    assert got.n_features_in_ == X.shape[1]
    ref = _fit_quiet(clone(est), X, y)
    np.testing.assert_allclose(_coef_or_output(got, X_df), _coef_or_output(ref, X), rtol=1e-12,
                               atol=1e-14)
    pred = _output(got, X_df)
    if is_classifier(est):
        assert set(pred) <= {"no", "yes"}
        np.testing.assert_array_equal(pred == "yes", ref.predict(X) == 1)
    else:
        np.testing.assert_allclose(pred, _output(ref, X), rtol=1e-12, atol=1e-12)
    # columns in another order are a user error that sklearn names
    with pytest.raises(ValueError, match="feature names"):
        _output(got, X_df[columns[::-1]])


def _accepts_sparse(est):
    return est.__sklearn_tags__().input_tags.sparse


@pytest.mark.parametrize("name", _estimator_params())
def test_dense_only_estimators_name_the_problem(name):
    est = _meaningful(name)
    if _accepts_sparse(est):
        pytest.skip("accepts sparse X")
    X, y = _make_data(est)
    for fmt in ("csr", "csc", "coo"):
        with pytest.raises(TypeError, match="dense data is required"):
            clone(est).fit(sp.csr_matrix(X).asformat(fmt), y)


def _sparse_snapshot(X):
    return X.format, X.data.copy(), getattr(X, "indices", None), getattr(X, "indptr", None)


@pytest.mark.parametrize("sparse_format", [None, "csr", "csc", "coo"])
@pytest.mark.parametrize("name", _estimator_params())
def test_user_arrays_not_modified(name, sparse_format):
    est = _meaningful(name)
    if sparse_format is not None and not _accepts_sparse(est):
        pytest.skip("dense X only (test_dense_only_estimators_name_the_problem)")
    X, y = _make_data(est, sparsity=0.5)
    sw = np.random.RandomState(1).uniform(0.5, 2.0, size=X.shape[0])
    X_in = X if sparse_format is None else sp.csr_matrix(X).asformat(sparse_format)
    y_copy, sw_copy = y.copy(), sw.copy()
    if sparse_format is None:
        X_copy = X.copy()
    else:
        X_copy = X_in.copy()
        if sparse_format in ("csr", "csc"):
            indices, indptr = X_in.indices.copy(), X_in.indptr.copy()
        else:
            row, col = X_in.row.copy(), X_in.col.copy()
    fit_params = {"sample_weight": sw} if has_fit_parameter(est, "sample_weight") else {}
    _fit_quiet(est, X_in, y, **fit_params)
    _output(est, X_in)
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(sw, sw_copy)
    if sparse_format is None:
        np.testing.assert_array_equal(X_in, X_copy)
        return
    assert X_in.format == sparse_format
    np.testing.assert_array_equal(X_in.data, X_copy.data)
    if sparse_format in ("csr", "csc"):
        np.testing.assert_array_equal(X_in.indices, indices)
        np.testing.assert_array_equal(X_in.indptr, indptr)
    else:
        np.testing.assert_array_equal(X_in.row, row)
        np.testing.assert_array_equal(X_in.col, col)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse_format", ["csr", "csc", "coo"])
@pytest.mark.parametrize("name", _estimator_params())
def test_sparse_matches_dense(name, sparse_format, fit_intercept):
    if not _accepts_sparse(_meaningful(name)):
        pytest.skip("dense X only (test_dense_only_estimators_name_the_problem)")
    est = _set_model_params(clone(_meaningful(name)), fit_intercept=fit_intercept)
    if "tol" in _model_params(est):
        _set_model_params(est, tol=1e-10)
    X, y = _make_data(est, n_samples=40, n_features=10, sparsity=0.6)
    sw = np.random.RandomState(2).uniform(0.5, 2.0, size=X.shape[0])
    fit_params = {"sample_weight": sw} if has_fit_parameter(est, "sample_weight") else {}
    dense = _fit_quiet(clone(est), X, y, **fit_params)
    Xs = sp.csr_matrix(X).asformat(sparse_format)
    sparse = _fit_quiet(clone(est), Xs, y, **fit_params)
    assert np.count_nonzero(_fitted(dense).coef_) > 0
    np.testing.assert_allclose(_fitted(sparse).coef_, _fitted(dense).coef_, rtol=1e-6, atol=1e-8)
    assert _fitted(sparse).intercept_ == pytest.approx(_fitted(dense).intercept_, rel=1e-6,
                                                       abs=1e-8)
    np.testing.assert_allclose(sparse.predict(Xs), dense.predict(X), rtol=1e-6, atol=1e-8)


def _fits_intercept(name):
    return "fit_intercept" in _model_params(_meaningful(name))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("offset", [1e4, 1e7])
@pytest.mark.parametrize("name", [p for p in _estimator_params() if _fits_intercept(p.values[0])])
def test_column_offsets_do_not_change_the_fit(name, offset, sparse):
    """With an intercept, adding constants to columns changes only the intercept. Columns
    far from zero against their spread (a year, a timestamp) used to lose ``(mean / std)^2
    eps`` of accuracy to implicit centering: coefficients off by 1e-7 at 1e4 std, 1e-5 at
    1e5 and meaningless at 1e7, before :func:`skreg._offsets.shift_columns`."""
    est = _set_model_params(clone(_meaningful(name)), fit_intercept=True)
    if sparse and not _accepts_sparse(est):
        pytest.skip("dense X only (test_dense_only_estimators_name_the_problem)")
    if _model_params(est).get("tol") is not None:
        _set_model_params(est, tol=min(_model_params(est)["tol"], 1e-10))
    X, y = _make_data(est, n_samples=40, n_features=6)
    X_far = X + offset * np.array([1.0, 0.0, -3.0, 0.0, 0.5, 2.0])  # columns 1, 3 as they are
    if sparse:  # full columns stored sparse, as a ColumnTransformer may pass numeric ones
        X_far = sp.csr_matrix(X_far)
    sw = np.random.RandomState(3).uniform(0.5, 2.0, size=X.shape[0])
    fit_params = {"sample_weight": sw} if has_fit_parameter(est, "sample_weight") else {}
    ref = _fit_quiet(clone(est), X, y, **fit_params)
    got = _fit_quiet(clone(est), X_far, y, **fit_params)
    assert np.count_nonzero(_fitted(ref).coef_) > 0
    # the data themselves carry offset * eps of rounding
    np.testing.assert_allclose(_fitted(got).coef_, _fitted(ref).coef_, rtol=1e-6,
                               atol=1e-8 + 1e-14 * offset)
    np.testing.assert_allclose(_output(got, X_far), _output(ref, X), rtol=1e-6,
                               atol=1e-8 + 1e-14 * offset)
    if hasattr(_fitted(ref), "alpha_"):
        assert _fitted(got).alpha_ == pytest.approx(_fitted(ref).alpha_, rel=1e-9)


@pytest.mark.parametrize("offset, rtol", [(1e9, 1e-6), (1e12, 1e-3)])
@pytest.mark.parametrize("name", [p for p in _estimator_params() if _fits_intercept(p.values[0])
                                  and not is_classifier(ESTIMATORS[p.values[0]]())])
def test_target_offset_changes_only_the_intercept(name, offset, rtol):
    """With an intercept, ``y + c`` gives the same coefficients; y itself then carries
    ``c eps`` of rounding (1e-4 at 1e12), hence the looser tolerance there. The LAD models
    lost 1e-4 of accuracy at 1e8 and CSRegression returned 0 at 1e12 before y was centred
    (on its quantile, its mean) ahead of their solvers."""
    est = _set_model_params(clone(_meaningful(name)), fit_intercept=True)
    if _model_params(est).get("tol") is not None:
        _set_model_params(est, tol=min(_model_params(est)["tol"], 1e-10))
    X, y = _make_data(est, n_samples=40, n_features=6)
    ref = _fit_quiet(clone(est), X, y)
    got = _fit_quiet(clone(est), X, y + offset)
    assert np.count_nonzero(_fitted(ref).coef_) > 0
    np.testing.assert_allclose(_fitted(got).coef_, _fitted(ref).coef_, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(_output(got, X) - offset, _output(ref, X), rtol=0,
                               atol=rtol * np.abs(y).max())


# --------------------------------------------------------------------------------------------
# unpenalized features (alpha=0, zero penalty weights): compared with the cvxpy reference

def _zero_penalty_cases():
    cases = []
    for name in sorted(ESTIMATORS):
        params = ESTIMATORS[name]().get_params()
        if "alpha" in params and "solver" in params:
            cases.append(pytest.param(name, dict(alpha=0.0), id=f"{name}-alpha=0"))
        if "weights" in params and "solver" in params:
            for weights in ([0, 0, 1, 1, 1, 1], [0] * 6):
                cases.append(pytest.param(name, dict(alpha=100.0, weights=weights),
                                          id=f"{name}-weights={weights}"))
    return cases


@pytest.mark.parametrize("name, params", _zero_penalty_cases())
def test_unpenalized_features_are_fitted(name, params):
    # A silent wrong answer would be worst here: the fit claims dual_gap_ = 0.
    est = ESTIMATORS[name](**params)
    if "tol" in est.get_params():
        est.set_params(tol=1e-10)
    X, y = _make_data(est, n_samples=40)
    if is_classifier(est):  # not separable, so that the unpenalized optimum exists
        y = np.where(np.random.RandomState(3).rand(40) < 0.2, 1 - y, y)
    ref = clone(est).set_params(solver="cvxpy").fit(X, y)
    assert np.count_nonzero(_fitted(ref).coef_) > 0
    got = _fit_quiet(est, X, y)
    np.testing.assert_allclose(_fitted(got).coef_, _fitted(ref).coef_, rtol=1e-4, atol=1e-5)
