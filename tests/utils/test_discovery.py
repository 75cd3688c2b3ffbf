"""Tests of skreg.utils.all_estimators: discovery of the public estimators."""

import inspect

import pytest
from sklearn.base import BaseEstimator, is_classifier, is_regressor

import skreg
from skreg.utils import all_estimators

EXPECTED = [
    "ElasticNet",
    "ElasticNetCV",
    "LADLasso",
    "LADLassoCV",
    "Lasso",
    "LassoCV",
    "QuantileLasso",
    "SparseLogisticRegression",
    "SqrtLasso",
    "SqrtLassoCV",
    "WeightedLasso",
]
REGRESSORS = ["ElasticNet", "ElasticNetCV", "LADLasso", "LADLassoCV", "Lasso", "LassoCV",
              "QuantileLasso", "SqrtLasso", "SqrtLassoCV", "WeightedLasso"]


def _names(estimators):
    return [name for name, _ in estimators]


def test_all_estimators_lists_the_public_estimators():
    estimators = all_estimators()
    # at least the foundation's estimators, sorted by name, no duplicates
    assert set(EXPECTED) <= set(_names(estimators))
    assert _names(estimators) == sorted(set(_names(estimators)))
    for name, cls in estimators:
        assert inspect.isclass(cls) and issubclass(cls, BaseEstimator)
        assert cls.__name__ == name and not name.startswith("_")
        assert cls.__module__.startswith("skreg.")
        assert not inspect.isabstract(cls)
        # every discovered estimator is public API, importable from the top level
        assert getattr(skreg, name) is cls
        assert name in skreg.__all__


def test_all_estimators_exact_list_for_the_lasso_family():
    linear = [(n, c) for n, c in all_estimators() if c.__module__.startswith("skreg.linear_model")]
    assert _names(linear) == EXPECTED


def test_all_estimators_exact_list_for_the_greedy_family():
    greedy = [(n, c) for n, c in all_estimators() if c.__module__.startswith("skreg.greedy")]
    assert _names(greedy) == ["WeightedOMP", "WeightedOMPCV"]
    assert {"WeightedOMP", "WeightedOMPCV"} <= set(_names(all_estimators("regressor")))


def test_all_estimators_exact_list_for_the_graph_family():
    graph = [(n, c) for n, c in all_estimators() if c.__module__.startswith("skreg.graph")]
    assert _names(graph) == ["GraphLaplacianRegression", "LaplacianRidge"]
    assert {"GraphLaplacianRegression", "LaplacianRidge"} <= set(
        _names(all_estimators("regressor"))
    )


def test_all_estimators_exact_list_for_the_cauchy_schwarz_family():
    family = [(n, c) for n, c in all_estimators()
              if c.__module__.startswith("skreg.cauchy_schwarz")]
    assert _names(family) == ["CSRegression", "CSRegressionCV"]
    assert {"CSRegression", "CSRegressionCV"} <= set(_names(all_estimators("regressor")))


def test_type_filter_regressor():
    regressors = all_estimators(type_filter="regressor")
    assert set(REGRESSORS) <= set(_names(regressors))
    assert "SparseLogisticRegression" not in _names(regressors)
    assert all(is_regressor(cls()) for _, cls in regressors)


def test_type_filter_classifier():
    classifiers = all_estimators(type_filter="classifier")
    assert "SparseLogisticRegression" in _names(classifiers)
    assert not set(REGRESSORS) & set(_names(classifiers))
    assert all(is_classifier(cls()) for _, cls in classifiers)


def test_type_filter_list_is_a_union():
    both = all_estimators(type_filter=["regressor", "classifier"])
    assert _names(both) == sorted(
        _names(all_estimators(type_filter="regressor"))
        + _names(all_estimators(type_filter="classifier"))
    )
    assert set(EXPECTED) <= set(_names(both))


@pytest.mark.parametrize("kind", ["transformer", "cluster"])
def test_type_filter_kinds_without_linear_models(kind):
    found = all_estimators(type_filter=kind)
    assert not set(EXPECTED) & set(_names(found))


@pytest.mark.parametrize("type_filter", ["regresor", ["regressor", "nonsense"], ["Classifier"]])
def test_invalid_type_filter(type_filter):
    with pytest.raises(ValueError, match="type_filter must be among"):
        all_estimators(type_filter=type_filter)


def test_all_estimators_exact_list_for_the_model_selection_family():
    family = [(n, c) for n, c in all_estimators()
              if c.__module__.startswith("skreg.model_selection")]
    assert _names(family) == ["ImplicitDiffSearchCV"]
    # a search is the kind of its estimator: a regressor with the default Lasso
    assert "ImplicitDiffSearchCV" in _names(all_estimators("regressor"))


def test_all_estimators_exact_list_for_the_ot_family():
    family = [(n, c) for n, c in all_estimators() if c.__module__.startswith("skreg.ot")]
    assert _names(family) == ["ClassRegularizedOTAdapter", "EntropicOTMapper",
                              "OTLabelPropagation", "OTMappingAdapter", "SelectSource"]
    transformers = _names(all_estimators("transformer"))
    for name in ("EntropicOTMapper", "OTMappingAdapter", "ClassRegularizedOTAdapter"):
        assert name in transformers
    assert "OTLabelPropagation" in _names(all_estimators("classifier"))
