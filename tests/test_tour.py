"""``python -m skreg``: the tour runs every family, matches the baselines, writes its figures."""

import re

import pytest

from skreg.__main__ import main

LABELS = (
    "Lasso(alpha=1)", "ElasticNet", "WeightedLasso", "LassoCV", "SqrtLasso", "LADLasso",
    "WeightedOMP(5 features, same as sklearn)", "WeightedOMP(lad, l1), CS, 10% corrupted",
    "SparseLogisticRegression", "GridSearchCV", "graphLa+FBP", "FBP alone",
    "cs_recover(binary)", "cs_recover(one_sided_binary)", "linf_recover",
    "sinkhorn(eps=0.05 median)", "sinkhorn_newton_sparse", "quadratic_ot",
    "ImplicitDiffSearchCV",
)
FIGURES = ("lasso_path", "robust", "compressive_sensing", "ct_images", "recovery_rates",
           "ot_plans", "hyperparameter_search")


def _row(out, label):
    """The numbers of the table row that starts with ``label``."""
    line = next(line for line in out.splitlines() if line.startswith(label))
    return [float(v) for v in re.findall(r"[+-]?\d+\.\d+(?:e[+-]\d\d)?", line[56:])]


def test_tour_runs_matches_the_baselines_and_writes_the_figures(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    main(["--repeats", "1", "--plots", str(tmp_path / "figures")])
    out = capsys.readouterr().out
    for label in LABELS:
        assert label in out, label
    # every relative objective difference printed is at rounding level (graphLa: ADMM to 1e-8)
    diffs = [float(d) for d in re.findall(r" ([+-]\d\.\de[+-]\d\d)$", out, flags=re.M)]
    assert len(diffs) >= 11  # 12 with POT installed (the test extra has it)
    assert max(abs(d) for d in diffs) < 1e-8
    # what each family is there to show
    lad_cs, omp_cs = _row(out, "WeightedOMP(lad, l1), CS")[:2]
    assert lad_cs < 0.01 < 1.0 < omp_cs  # the lad rule recovers x, OMP chases the outliers
    gla, gla_cvxpy = _row(out, "graphLa+FBP")[:2]
    fbp = _row(out, "  (FBP alone")[0]
    assert gla < 0.5 * fbp and gla == pytest.approx(gla_cvxpy, abs=1e-4)
    for prior in ("binary", "one_sided_binary"):
        cs, convex = _row(out, f"cs_recover({prior})")[:2]
        assert cs > convex
    lad = _row(out, "LADLasso(alpha=0.05)")[0]
    lasso_bad = _row(out, "  (Lasso(alpha=1) on the same corrupted y)")[0]
    assert lad > lasso_bad + 0.3
    for name in FIGURES:
        path = tmp_path / "figures" / f"{name}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"figure: {path}" in out


def test_help_explains_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--repeats", "--threads", "--plots DIR"):
        assert option in out
    assert "graphLa" in out and "Cauchy-Schwarz" in out


@pytest.mark.parametrize("argv, message", [
    (["--repeats", "0"], "--repeats must be >= 1"),
    (["--threads", "0"], "--threads must be >= 1"),
])
def test_bad_options_are_rejected(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
