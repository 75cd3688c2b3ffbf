"""``python -m skreg``: the tour runs and reports what the README promises."""

import re

from skreg.__main__ import main


def test_tour_runs_and_matches_the_anchors(capsys):
    main(["--repeats", "1"])
    out = capsys.readouterr().out
    for label in ("Lasso(alpha=1)", "ElasticNet", "WeightedLasso", "LassoCV", "SqrtLasso",
                  "LADLasso", "WeightedOMP(5 features, same as sklearn)",
                  "SparseLogisticRegression", "GridSearchCV", "sinkhorn(eps=0.05 median)",
                  "sinkhorn_newton_sparse", "quadratic_ot", "ImplicitDiffSearchCV"):
        assert label in out, label
    # every relative objective difference printed is at rounding level
    diffs = [float(d) for d in re.findall(r" ([+-]\d\.\de[+-]\d\d)$", out, flags=re.M)]
    assert len(diffs) >= 8  # 9 with POT installed (the test extra has it)
    assert max(abs(d) for d in diffs) < 1e-8
