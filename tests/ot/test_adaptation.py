"""skreg.ot domain adaptation: OTMappingAdapter, ClassRegularizedOTAdapter, OTLabelPropagation,
SelectSource and make_da_pipeline."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skreg.ot import (
    ClassRegularizedOTAdapter,
    OTLabelPropagation,
    OTMappingAdapter,
    SelectSource,
    make_da_pipeline,
    sinkhorn,
)

ADAPTERS = [OTMappingAdapter, ClassRegularizedOTAdapter]


@pytest.fixture(autouse=True)
def _serial_kernels():
    # problems of <= 200 points: threads do not pay, and on a loaded machine the parallel
    # Sinkhorn loop waits for its second thread at every iteration
    with threadpool_limits(limits=1, user_api="numba"):
        yield


def _domains(ns, nt):
    return np.r_[np.ones(ns, dtype=int), -np.ones(nt, dtype=int)]


def _stack(Xs, ys, Xt):
    """Rows and labels of a DA fit: source labels, -1 on the target rows."""
    return np.vstack([Xs, Xt]), np.r_[ys, -np.ones(len(Xt), dtype=int)]


def _shifted_blobs(n=100, shift=(2.0, 0.0), seed=0):
    """Two classes 2 apart along x; the target is a fresh sample shifted by ``shift``."""
    rng = np.random.default_rng(seed)
    ys, yt = np.repeat([0, 1], n // 2), np.repeat([0, 1], n // 2)
    Xs = 0.5 * rng.standard_normal((n, 2)) + 2.0 * ys[:, None] * [1.0, 0.0]
    Xt = 0.5 * rng.standard_normal((n, 2)) + 2.0 * yt[:, None] * [1.0, 0.0] + shift
    return Xs, ys, Xt, yt


def _rotated_moons(n=100, degrees=40, seed=0):
    """Two moons; the target is another sample rotated about the source's centre."""
    from sklearn.datasets import make_moons

    Xs, ys = make_moons(n, noise=0.1, random_state=seed)
    Xt, yt = make_moons(n, noise=0.1, random_state=seed + 1)
    t = np.deg2rad(degrees)
    R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    c = Xs.mean(axis=0)
    return Xs, ys, (Xt - c) @ R.T + c, yt


# --------------------------------------------------------------------------------------------
# the DA experiments


def test_adaptation_improves_target_accuracy():
    Xs, ys, Xt, yt = _shifted_blobs()
    X, y = _stack(Xs, ys, Xt)
    source_only = LogisticRegression().fit(Xs, ys).score(Xt, yt)
    adapted = make_da_pipeline(OTMappingAdapter(), LogisticRegression()).fit(X, y)
    scaled = make_da_pipeline(StandardScaler(), OTMappingAdapter(),
                              LogisticRegression()).fit(X, y)
    # measured: 0.52 source only, 0.99 and 0.99 adapted
    assert source_only < 0.6
    assert adapted.score(Xt, yt) >= source_only + 0.3
    assert scaled.score(Xt, yt) >= source_only + 0.3
    assert adapted.score(Xt, yt) >= 0.95


def test_class_regularized_adapter_on_rotated_moons():
    # the entropic plan projects each source point onto an average over target points of
    # both moons (the tips mix); the sparse class-regularized plans keep the moons apart
    Xs, ys, Xt, yt = _rotated_moons()
    X, y = _stack(Xs, ys, Xt)
    knn = KNeighborsClassifier(5)
    source_only = clone(knn).fit(Xs, ys).score(Xt, yt)
    ot = make_da_pipeline(OTMappingAdapter(), clone(knn)).fit(X, y)
    group = make_da_pipeline(ClassRegularizedOTAdapter(), clone(knn)).fit(X, y)
    son = make_da_pipeline(ClassRegularizedOTAdapter(regularizer="sum_of_norms", n_neighbors=5),
                           clone(knn)).fit(X, y)
    acc_ot, acc_group, acc_son = (p.score(Xt, yt) for p in (ot, group, son))
    # measured: 0.87 source only, 0.89 entropic, 0.98 group lasso, 0.98 sum of norms
    assert acc_group >= acc_ot + 0.05
    assert acc_son >= acc_ot + 0.05
    assert acc_group >= 0.95 and acc_ot >= source_only


def _three_clusters(n=90, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.7]])
    ys = yt = np.repeat([0, 1, 2], n // 3)
    Xs = 0.5 * rng.standard_normal((n, 2)) + centers[ys]
    Xt = 0.5 * rng.standard_normal((n, 2)) + centers[yt] + [1.0, 2.0]
    return Xs, ys, Xt, yt


@pytest.mark.parametrize("regularizer", ["group_lasso", "sum_of_norms"])
def test_class_regularizer_reduces_class_mixing(regularizer):
    # three overlapping clusters: mass sent from a source class to target points of another
    # class (true target labels, for evaluation only)
    Xs, ys, Xt, yt = _three_clusters()
    X, y = _stack(Xs, ys, Xt)
    across = ys[:, None] != yt[None, :]

    def cross_class_mass(adapter):
        return adapter.fit(X, y).plan_[across].sum()

    entropic = cross_class_mass(OTMappingAdapter())
    free = cross_class_mass(ClassRegularizedOTAdapter(lam=0.0, regularizer=regularizer))
    strong = cross_class_mass(ClassRegularizedOTAdapter(lam=2.0, regularizer=regularizer))
    # measured: 0.135 entropic, 0.147 without class regularizer, 0.074 / 0.070 with lam=2
    assert strong < 0.6 * min(entropic, free)
    acc = make_da_pipeline(ClassRegularizedOTAdapter(lam=2.0, regularizer=regularizer),
                           LogisticRegression()).fit(X, y).score(Xt, yt)
    assert acc >= 0.85  # measured: 0.91 (0.48 without adaptation)


def test_label_propagation_accuracy():
    Xs, ys, Xt, yt = _shifted_blobs()
    clf = OTLabelPropagation().fit(*_stack(Xs, ys, Xt))
    assert clf.score(Xt, yt) >= 0.95  # measured: 0.98
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    np.testing.assert_array_equal(clf.transduction_, clf.predict(Xt))
    Xs, ys, Xt, yt = _rotated_moons()
    assert OTLabelPropagation().fit(*_stack(Xs, ys, Xt)).score(Xt, yt) >= 0.85  # 0.88


def test_multiclass_string_labels_with_sample_domain():
    rng = np.random.default_rng(3)
    centers = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    idx = np.repeat([0, 1, 2], 30)
    Xs = 0.4 * rng.standard_normal((90, 2)) + centers[idx]
    Xt = 0.4 * rng.standard_normal((90, 2)) + centers[idx] + [1.0, 1.0]
    names = np.array(["a", "b", "c"])
    X = np.vstack([Xs, Xt])
    y = np.r_[names[idx], np.full(90, "?")]  # target labels: anything, never used
    clf = OTLabelPropagation().fit(X, y, sample_domain=_domains(90, 90))
    np.testing.assert_array_equal(clf.classes_, names)
    assert np.mean(clf.predict(Xt) == names[idx]) >= 0.95
    np.testing.assert_allclose(clf.predict_proba(Xt).sum(axis=1), 1.0)


# --------------------------------------------------------------------------------------------
# exactness


def test_training_projection_equals_out_of_sample_map():
    Xs, ys, Xt, _ = _shifted_blobs(n=80)
    X, y = _stack(Xs, ys, Xt)
    sd = _domains(80, 80)
    ad = OTMappingAdapter(tol=1e-10, max_iter=100_000)
    Z = ad.fit_transform(X, y)
    np.testing.assert_array_equal(Z[80:], Xt)
    np.testing.assert_allclose(ad.transform(X, sample_domain=sd), Z, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(ad.transform(X), X)  # no sample_domain: all target
    # the plan is sinkhorn's, at epsilon = 0.05 x the mean squared distance
    C = ((Xs[:, None] - Xt[None]) ** 2).sum(-1)
    assert ad.epsilon_ == pytest.approx(0.05 * C.mean(), rel=1e-12)
    res = sinkhorn(None, None, C, ad.epsilon_, tol=1e-10, max_iter=100_000)
    np.testing.assert_allclose(ad.plan_, res.plan, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(Z[:80], res.plan @ Xt / res.plan.sum(1)[:, None], atol=1e-8)
    assert ad.converged_ and ad.n_iter_ > 1


def test_mapping_matches_pot():
    ot = pytest.importorskip("ot")
    Xs, ys, Xt, _ = _shifted_blobs(n=60)
    ad = OTMappingAdapter(tol=1e-10, max_iter=100_000)
    Z = ad.fit_transform(*_stack(Xs, ys, Xt))
    pot = ot.da.SinkhornTransport(reg_e=ad.epsilon_, max_iter=100_000, tol=1e-12)
    pot.fit(Xs=Xs, Xt=Xt)
    np.testing.assert_allclose(Z[:60], pot.transform(Xs=Xs), atol=1e-6)


@pytest.mark.parametrize("regularizer", ["group_lasso", "sum_of_norms"])
def test_class_regularized_projection_and_displacement_rule(regularizer):
    Xs, ys, Xt, _ = _shifted_blobs(n=60)
    X, y = _stack(Xs, ys, Xt)
    ad = ClassRegularizedOTAdapter(regularizer=regularizer, tol=1e-9)
    Z = ad.fit_transform(X, y)
    P = ad.plan_
    assert np.any(P == 0.0)  # exact zeros
    np.testing.assert_allclose(P.sum(axis=1), 1 / 60, atol=1e-9)
    np.testing.assert_allclose(Z[:60], P @ Xt / P.sum(1)[:, None], atol=1e-12)
    np.testing.assert_array_equal(ad.transform(X, sample_domain=_domains(60, 60)), Z)
    # a new source point moves as its nearest training source point does
    delta = np.array([0.01, -0.02])
    new = ad.transform(Xs[:5] + delta, sample_domain=np.ones(5, dtype=int))
    np.testing.assert_allclose(new, ad.projection_[:5] + delta, atol=1e-12)
    # the regularizations are relative to the data
    C = ((Xs[:, None] - Xt[None]) ** 2).sum(-1)
    assert ad.epsilon_ == pytest.approx(0.05 * C.mean() * 60 * 60, rel=1e-12)
    assert ad.lam_ == pytest.approx(0.5 * C.mean(), rel=1e-12)
    np.testing.assert_array_equal(ad.classes_, [0, 1])


def test_label_propagation_proba_is_the_propagated_plan():
    Xs, ys, Xt, _ = _shifted_blobs(n=80, seed=4)
    clf = OTLabelPropagation(epsilon=0.02, tol=1e-10, max_iter=100_000)
    clf.fit(*_stack(Xs, ys, Xt))
    Y = np.eye(2)[ys]
    S = clf.plan_.T @ Y
    S /= S.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.label_distributions_, S, rtol=0, atol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(Xt), S, rtol=0, atol=1e-8)
    # new points: the c-transform column, a softmax over the source points
    z = np.array([[1.0, 0.5], [50.0, 0.0]])  # the far one: no underflow to 0 / 0
    C = ((Xs[:, None] - z[None]) ** 2).sum(-1)
    logits = (clf.f_[:, None] - C) / clf.epsilon_
    q = np.exp(logits - logits.max(axis=0))
    np.testing.assert_allclose(clf.predict_proba(z), (q / q.sum(0)).T @ Y, atol=1e-12)


# --------------------------------------------------------------------------------------------
# domains: metadata routing, inference from y, SelectSource


def _true_labels_everywhere():
    Xs, ys, Xt, yt = _shifted_blobs(n=60)
    X = np.vstack([Xs, Xt])
    return X, np.r_[ys, yt], np.r_[ys, -np.ones(60, dtype=int)], _domains(60, 60), Xt


def test_metadata_routing_through_pipeline():
    X, y_true, y_masked, sd, Xt = _true_labels_everywhere()
    ref = make_da_pipeline(StandardScaler(), OTMappingAdapter(), LogisticRegression())
    ref.fit(X, y_masked)  # routing disabled: domains from y == -1
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_da_pipeline(StandardScaler(), OTMappingAdapter(), LogisticRegression())
        pipe.fit(X, y_true, sample_domain=sd)  # the target's true labels are ignored
        np.testing.assert_array_equal(pipe[-1].estimator_.classes_, [0, 1])
        np.testing.assert_allclose(pipe[-1].estimator_.coef_, ref[-1].estimator_.coef_)
        np.testing.assert_array_equal(pipe.predict(Xt), ref.predict(Xt))
        # transform routes sample_domain too: the source rows move again
        np.testing.assert_allclose(pipe[:-1].transform(X, sample_domain=sd),
                                   ref[:-1].fit_transform(X, y_masked), atol=1e-8)
        lp = make_pipeline(StandardScaler(), OTLabelPropagation()).fit(X, y_true,
                                                                        sample_domain=sd)
    lp_ref = make_pipeline(StandardScaler(), OTLabelPropagation()).fit(X, y_masked)
    np.testing.assert_allclose(lp.predict_proba(Xt), lp_ref.predict_proba(Xt))


def test_sample_domain_by_step_name_without_routing():
    X, y_true, y_masked, sd, Xt = _true_labels_everywhere()
    pipe = make_da_pipeline(OTMappingAdapter(), LogisticRegression())
    pipe.fit(X, y_true, otmappingadapter__sample_domain=sd,
             logisticregression__sample_domain=sd)
    ref = make_da_pipeline(OTMappingAdapter(), LogisticRegression()).fit(X, y_masked)
    np.testing.assert_allclose(pipe[-1].estimator_.coef_, ref[-1].estimator_.coef_)
    np.testing.assert_array_equal(pipe.predict(Xt), ref.predict(Xt))


def test_target_labels_and_domain_numbers_never_matter():
    X, y_true, y_masked, sd, Xt = _true_labels_everywhere()
    y_junk = y_true.copy()
    y_junk[60:] = np.random.default_rng(0).integers(0, 2, 60)
    many = np.r_[np.tile([1, 2, 3], 20), np.tile([-1, -4], 30)]  # several domains: pooled
    for est in (OTMappingAdapter(), ClassRegularizedOTAdapter()):
        ref = clone(est).fit_transform(X, y_masked)
        for y_, sd_ in ((y_true, sd), (y_junk, sd), (y_junk, many)):
            np.testing.assert_allclose(clone(est).fit_transform(X, y_, sample_domain=sd_), ref,
                                       rtol=0, atol=1e-12)
    ref = OTLabelPropagation().fit(X, y_masked).predict_proba(Xt)
    for y_, sd_ in ((y_true, sd), (y_junk, many)):
        got = OTLabelPropagation().fit(X, y_, sample_domain=sd_).predict_proba(Xt)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def test_select_source_ignores_target_rows():
    X, y_true, y_masked, sd, _ = _true_labels_everywhere()
    ref = LogisticRegression().fit(X[:60], y_masked[:60])
    for fit_args in ((X, y_masked), (X, y_true, sd)):
        sel = SelectSource(LogisticRegression()).fit(*fit_args)
        np.testing.assert_array_equal(sel.classes_, [0, 1])  # never -1
        np.testing.assert_allclose(sel.estimator_.coef_, ref.coef_)
        np.testing.assert_allclose(sel.predict_proba(X), ref.predict_proba(X))
        np.testing.assert_allclose(sel.decision_function(X), ref.decision_function(X))
        assert sel.score(X[:60], y_true[:60]) == ref.score(X[:60], y_true[:60])
    assert SelectSource().fit(X, y_masked).n_features_in_ == 2
    # the default estimator is a LogisticRegression
    assert isinstance(SelectSource().fit(X, y_masked).estimator_, LogisticRegression)


def test_select_source_regression_nan_marks_target():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = X @ [1.0, -2.0, 0.5]
    y[:5] = -1.0  # a genuine regression value, not a marker
    y[30:] = np.nan  # the target rows
    sel = SelectSource(Ridge()).fit(X, y)
    np.testing.assert_allclose(sel.estimator_.coef_, Ridge().fit(X[:30], y[:30]).coef_)
    assert not hasattr(sel, "predict_proba") and not hasattr(sel, "classes_")
    pipe = make_da_pipeline(OTMappingAdapter(), Ridge()).fit(X, y)
    assert pipe.predict(X).shape == (40,)
    # a classifier's target rows are y == -1: NaN is an error
    with pytest.raises(ValueError, match="NaN.*y = -1"):
        SelectSource(LogisticRegression()).fit(X, np.where(np.isnan(y), np.nan, y > 0))


def test_select_source_transformer_learns_from_source():
    X, _, y_masked, sd, _ = _true_labels_everywhere()
    sel = SelectSource(StandardScaler()).fit(X, sample_domain=sd)
    np.testing.assert_allclose(sel.estimator_.mean_, X[:60].mean(axis=0))
    np.testing.assert_allclose(sel.transform(X[:60]).mean(axis=0), 0.0, atol=1e-12)
    sel = SelectSource(StandardScaler()).fit(X, y_masked)
    np.testing.assert_allclose(sel.estimator_.mean_, X[:60].mean(axis=0))


def test_make_da_pipeline_wrapping():
    pipe = make_da_pipeline(StandardScaler(), OTMappingAdapter(), LogisticRegression())
    assert [name for name, _ in pipe.steps] == ["standardscaler", "otmappingadapter",
                                                "logisticregression"]
    assert isinstance(pipe[-1], SelectSource)
    assert isinstance(pipe[-1].estimator, LogisticRegression)
    # not wrapped twice, nor around an estimator that selects its rows itself
    assert isinstance(make_da_pipeline(SelectSource(Ridge()))[-1].estimator, Ridge)
    assert isinstance(make_da_pipeline(OTLabelPropagation())[-1], OTLabelPropagation)
    assert isinstance(make_da_pipeline(StandardScaler(), OTMappingAdapter())[-1],
                      OTMappingAdapter)
    pipe.set_params(logisticregression__estimator__C=0.5)
    assert pipe[-1].estimator.C == 0.5
    with pytest.raises(ValueError, match="at least one step"):
        make_da_pipeline()


# --------------------------------------------------------------------------------------------
# degenerate domains and bad inputs


@pytest.mark.parametrize("Adapter", ADAPTERS)
def test_no_target_is_the_identity_with_a_warning(Adapter):
    Xs, ys, _, _ = _shifted_blobs(n=40)
    with pytest.warns(UserWarning, match="no target sample.*identity") as record:
        ad = Adapter().fit(Xs, ys)
    assert len(record) == 1
    np.testing.assert_array_equal(ad.transform(Xs, sample_domain=np.ones(40, dtype=int)), Xs)
    with pytest.warns(UserWarning, match="no target"):
        np.testing.assert_array_equal(Adapter().fit_transform(Xs, ys), Xs)
    with pytest.warns(UserWarning, match="no target"):
        Adapter().fit(Xs)  # no y, no sample_domain: all source


def test_label_propagation_without_target_transports_source_onto_itself():
    Xs, ys, _, _ = _shifted_blobs(n=40)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.warns(UserWarning, match="no target sample.*onto itself"):
            clf = OTLabelPropagation().fit(Xs, ys)
    assert clf.converged_ and clf.plan_.shape == (40, 40)
    np.testing.assert_allclose(clf.plan_, clf.plan_.T, atol=1e-12)
    np.testing.assert_allclose(clf.plan_.sum(axis=1), 1 / 40, atol=1e-6)
    assert clf.score(Xs, ys) >= 0.95


@pytest.mark.parametrize("make", [OTMappingAdapter, ClassRegularizedOTAdapter,
                                  OTLabelPropagation, SelectSource])
def test_no_source_rows(make):
    X = np.random.default_rng(0).standard_normal((10, 2))
    y = np.r_[np.zeros(5, dtype=int), np.ones(5, dtype=int)]
    with pytest.raises(ValueError, match="no source sample"):
        make().fit(X, -np.ones(10, dtype=int))
    with pytest.raises(ValueError, match="no source sample"):
        make().fit(X, y, sample_domain=-np.ones(10, dtype=int))


BAD_DOMAINS = [
    (np.ones(9, dtype=int), "9 entries.*10 samples"),
    (np.r_[np.ones(5), -0.5 * np.ones(5)], "integers.*non-integer"),
    (np.r_[np.ones(5, dtype=int), np.zeros(5, dtype=int)], "nonzero.*0 for 5 samples"),
    (np.ones((10, 1), dtype=int), "1-D"),
    (np.array(["s"] * 5 + ["t"] * 5), "array of integers"),
    (np.r_[np.ones(9), np.nan], "non-integer"),
]


@pytest.mark.parametrize("sd, match", BAD_DOMAINS)
@pytest.mark.parametrize("make", [OTMappingAdapter, ClassRegularizedOTAdapter,
                                  OTLabelPropagation, SelectSource])
def test_bad_sample_domain(make, sd, match):
    X = np.random.default_rng(0).standard_normal((10, 2))
    y = np.tile([0, 1], 5)
    with pytest.raises(ValueError, match=match):
        make().fit(X, y, sample_domain=sd)


@pytest.mark.parametrize("sd, match", BAD_DOMAINS)
def test_bad_sample_domain_at_transform(sd, match):
    Xs, ys, Xt, _ = _shifted_blobs(n=10)
    ad = OTMappingAdapter().fit(*_stack(Xs, ys, Xt))
    with pytest.raises(ValueError, match=match):
        ad.transform(Xt, sample_domain=sd)


def test_class_regularized_needs_class_labels():
    Xs, ys, Xt, _ = _shifted_blobs(n=20)
    X, sd = np.vstack([Xs, Xt]), _domains(20, 20)
    with pytest.raises(ValueError, match="requires y"):
        ClassRegularizedOTAdapter().fit(X, sample_domain=sd)
    with pytest.raises(ValueError, match="Unknown label type"):
        ClassRegularizedOTAdapter().fit(X, X[:, 0] + 0.01, sample_domain=sd)
    with pytest.raises(ValueError, match="lam"):
        ClassRegularizedOTAdapter(lam=-1.0).fit(X, np.r_[ys, ys], sample_domain=sd)
    with pytest.raises(ValueError, match="regularizer"):
        ClassRegularizedOTAdapter(regularizer="l1").fit(X, np.r_[ys, ys], sample_domain=sd)


def test_label_propagation_bad_labels():
    Xs, ys, Xt, _ = _shifted_blobs(n=20)
    X, y = _stack(Xs, ys, Xt)
    with pytest.raises(ValueError, match="binary.*1 class"):
        OTLabelPropagation().fit(X, np.where(y == 1, 0, y))
    with pytest.raises(ValueError, match="NaN"):
        OTLabelPropagation().fit(X, np.where(y == -1, np.nan, y))
    with pytest.raises(ValueError, match="requires y"):
        OTLabelPropagation().fit(X, None)


def test_unconverged_solve_warns():
    Xs, ys, Xt, _ = _shifted_blobs(n=40)
    X, y = _stack(Xs, ys, Xt)
    for est in (OTMappingAdapter(epsilon=1e-3, max_iter=5),
                ClassRegularizedOTAdapter(max_iter=2),
                OTLabelPropagation(epsilon=1e-3, max_iter=5)):
        with pytest.warns(ConvergenceWarning, match=type(est).__name__):
            est.fit(X, y)
        assert not est.converged_


def test_user_arrays_untouched_and_read_only_input():
    Xs, ys, Xt, _ = _shifted_blobs(n=30)
    X, y = _stack(Xs, ys, Xt)
    sd = _domains(30, 30)
    for arr in (X, y, sd):
        arr.setflags(write=False)
    copies = X.copy(), y.copy(), sd.copy()
    for est in (OTMappingAdapter(), ClassRegularizedOTAdapter()):
        Z = est.fit_transform(X, y, sample_domain=sd)
        assert Z is not X and Z.flags.writeable
        est.transform(X, sample_domain=sd)
        est.transform(X)
    OTLabelPropagation().fit(X, y, sample_domain=sd).predict_proba(X)
    SelectSource().fit(X, y, sample_domain=sd).predict(X)
    make_da_pipeline(OTMappingAdapter(), LogisticRegression()).fit(X, y).predict(X)
    for arr, copy in zip((X, y, sd), copies):
        np.testing.assert_array_equal(arr, copy)
