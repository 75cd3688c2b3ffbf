"""``python -m skreg``: a tour of every family of skreg, each next to its baseline run on the spot.

See ``python -m skreg --help``; the sections live in :mod:`skreg._tour`.
"""

import argparse
import sys

DESCRIPTION = """\
A tour of skreg in about a minute (two on a cold numba cache): every family fitted on data
embedded in scikit-learn or skreg, next to the scikit-learn, POT or cvxpy baseline run on the
spot, in one table (metric, times, speed-up, relative difference of the objectives):

  * Lasso, ElasticNet, WeightedLasso, LassoCV on the diabetes data (Efron et al. 2004);
  * SqrtLasso with its pivotal (noise-blind) alpha, LADLasso with a tenth of the targets
    corrupted by +-1000;
  * WeightedOMP: plain OMP against scikit-learn's, then the greedy LAD-LASSO rule on
    compressive sensing with 10% corrupted measurements;
  * SparseLogisticRegression on the Wisconsin breast-cancer data;
  * GridSearchCV over a Pipeline(StandardScaler, ElasticNet);
  * graphLa+FBP on a 24 x 24 CT phantom, lambda by the discrepancy principle;
  * Cauchy-Schwarz recovery of binary and {0, 1} vectors against l-inf / l1 minimization;
  * entropic (Sinkhorn, Newton-sparse) and quadratically regularized (sparse) optimal
    transport between two point clouds;
  * ImplicitDiffSearchCV (hypergradient descent on alpha) against LassoCV's grid.

The first run compiles skreg's numba kernels (cached on disk afterwards); that time is
reported on its own and excluded from the table."""


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skreg", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed repetitions of each fast fit; the table shows the median "
                             "(default 5)")
    parser.add_argument("--threads", type=int, default=None,
                        help="numba threads for skreg (default: all cores)")
    parser.add_argument("--plots", metavar="DIR", default=None,
                        help="also write one PNG figure per section into DIR (created if "
                             "missing; needs matplotlib)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")
    if args.plots is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--plots needs matplotlib: pip install matplotlib")

    from skreg._tour import run

    run(repeats=args.repeats, threads=args.threads, plots=args.plots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
