"""Loaders of real data: gene expression read from the ISLP package (without importing it) and
the NYSE series shipped with skreg."""

import csv
import gzip
import importlib.util
import os

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_khan", "load_nci60", "load_nyse"]

_INSTALL_HINT = (
    "this data set is read from the data files of the ISLP package, which is not installed. "
    "Install only its wheel (ISLP's own dependencies, torch included, are not needed) with:\n"
    "    pip install --no-deps ISLP"
)

_SOURCE = """\
Source and licence
------------------
The files are read from the data directory of the ISLP package (version 0.6.0 or later), the
companion package of G. James, D. Witten, T. Hastie, R. Tibshirani and J. Taylor, "An
Introduction to Statistical Learning, with Applications in Python", Springer, 2023
(https://www.statlearning.com). ISLP is distributed under a BSD-style licence (three-clause:
redistribution with the copyright notice, no endorsement); install it with
``pip install --no-deps ISLP``. skreg does not import ISLP (which depends on torch): it only
locates the package directory and reads the files.
"""

_NCI60_DESCR = (
    """\
.. _nci60_dataset:

NCI60 cancer cell-line microarray data
--------------------------------------

**Data set characteristics**

:Number of samples: 64 cancer cell lines
:Number of features: 6830 gene-expression measurements (cDNA microarray)
:Target: cancer type of each cell line, as a string; 14 distinct labels
    (BREAST, CNS, COLON, K562A-repro, K562B-repro, LEUKEMIA, MCF7A-repro, MCF7D-repro,
    MELANOMA, NSCLC, OVARIAN, PROSTATE, RENAL, UNKNOWN)
:Missing values: none

The NCI60 panel of the US National Cancer Institute, with gene expression measured by
D. T. Ross et al., "Systematic variation in gene expression patterns in human cancer cell
lines", Nature Genetics 24(3), 227-235, 2000. The version here is the one used in the
unsupervised-learning chapter of "An Introduction to Statistical Learning". The genes carry no
names in the source; ``feature_names`` are positional (``"G0001"`` ...).

"""
    + _SOURCE
)

_KHAN_DESCR = (
    """\
.. _khan_dataset:

Khan small round blue cell tumour data
--------------------------------------

**Data set characteristics**

:Number of samples: 83 (63 training and 20 test tissue samples, in that order)
:Number of features: 2308 gene-expression measurements
:Target: tumour class coded 1, 2, 3 or 4, as in the source
:Missing values: none

Gene-expression profiles of four types of small round blue cell tumours of childhood
(Ewing's sarcoma, rhabdomyosarcoma, neuroblastoma and Burkitt's lymphoma) from J. Khan et al.,
"Classification and diagnostic prediction of cancers using gene expression profiling and
artificial neural networks", Nature Medicine 7(6), 673-679, 2001, in the version used in the
support-vector-machine chapter of "An Introduction to Statistical Learning". The class codes are
kept as integers, as in the source files. The original train/test split is preserved: ``subset``
selects it, and with ``subset="all"`` the boolean ``train_mask`` marks the training rows.

"""
    + _SOURCE
)

_NYSE_DESCR = (
    """\
.. _nyse_dataset:

New York Stock Exchange daily returns, volume and volatility
------------------------------------------------------------

**Data set characteristics**

:Number of samples: 6051 trading days, 1962-12-03 to 1986-12-31, in time order
:Number of features: 3 daily series: DJ_return, log_volume, log_volatility
:Target: log_volume, the series forecast from lagged values of all three
:Missing values: none

Daily series of the New York Stock Exchange assembled by B. LeBaron and A. S. Weigend, "A
bootstrap evaluation of the effect of data splitting on financial time series", IEEE
Transactions on Neural Networks 9(1), 213-220, 1998, in the version used for time-series
forecasting in the deep-learning chapter of "An Introduction to Statistical Learning":

- ``DJ_return``: the return of the Dow Jones Industrial Average, the difference of the log of
  the index between consecutive trading days;
- ``log_volume``: the fraction of all outstanding shares traded that day relative to a 100-day
  moving average of past turnover, on the log scale (so the series is detrended);
- ``log_volatility``: the log of the volatility, based on the absolute values of daily price
  movements.

The target is ``log_volume`` itself: a model forecasts it from the values of the three series on
the previous days (a lagged design), never from the same day. ``train_mask`` marks the days
before 1980, the training period of the source.

Source and licence
------------------
A gzip copy of ``NYSE.csv`` from the data directory of the ISLP package (version 0.6.0), the
companion package of G. James, D. Witten, T. Hastie, R. Tibshirani and J. Taylor, "An
Introduction to Statistical Learning, with Applications in Python", Springer, 2023
(https://www.statlearning.com), shipped with skreg under ISLP's BSD-style licence (three-clause:
redistribution with the copyright notice, no endorsement; full text in
``skreg/datasets/data/NYSE_LICENSE.txt``).
"""
)


def _find_islp_spec():
    """Return the module spec of ISLP (None if not installed); ISLP is not imported."""
    try:
        return importlib.util.find_spec("ISLP")
    except (ImportError, ValueError):
        return None


def _islp_data_dir():
    """Return the path of ISLP's data directory without importing ISLP."""
    spec = _find_islp_spec()
    locations = None if spec is None else spec.submodule_search_locations
    if not locations:
        raise ImportError(_INSTALL_HINT)
    for location in locations:
        data_dir = os.path.join(location, "data")
        if os.path.isdir(data_dir):
            return data_dir
    raise ImportError("ISLP is installed but has no data directory. " + _INSTALL_HINT)


def _read_labels(path):
    """Read a one-column csv file with a header line; return the values as strings."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return [row[0].strip() for row in rows[1:] if row]


def _read_matrix(path):
    """Read a numeric csv file with a header line into a float64 array."""
    return np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)


def load_nci60(*, return_X_y=False):
    """Load the NCI60 cancer cell-line microarray data (64 samples, 6830 genes).

    The data are read from the data files of the ISLP package, which must be installed
    (``pip install --no-deps ISLP``; ISLP itself is not imported).

    =================   ==============
    Samples total       64
    Dimensionality      6830
    Features            real, gene expression
    Classes             14 cancer types
    =================   ==============

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of shape (64, 6830)
            Gene expressions, float64.
        target : ndarray of shape (64,)
            Cancer type of each cell line, as strings (e.g. ``"RENAL"``).
        target_names : ndarray of shape (14,)
            The sorted distinct labels.
        feature_names : ndarray of shape (6830,)
            Positional gene names ``"G0001"`` ... (the source has no gene names).
        DESCR : str
            Description of the data, its source and licence.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ImportError
        If ISLP is not installed.

    Notes
    -----
    Source: the NCI60 panel of the US National Cancer Institute, gene expression measured by
    D. T. Ross et al., "Systematic variation in gene expression patterns in human cancer cell
    lines", Nature Genetics 24(3), 227-235, 2000, in the version of the unsupervised-learning
    chapter of G. James, D. Witten, T. Hastie, R. Tibshirani and J. Taylor, "An Introduction to
    Statistical Learning, with Applications in Python", Springer, 2023. The files
    (``NCI60data.npy``, ``NCI60labs.csv``) are read from the data directory of the book's
    companion package ISLP (https://github.com/intro-stat-learning/ISLP), distributed under a
    three-clause BSD-style licence. Nothing is downloaded.

    Examples
    --------
    >>> from skreg.datasets import load_nci60
    >>> nci = load_nci60()  # doctest: +SKIP
    >>> nci.data.shape, (nci.target == "RENAL").sum()  # doctest: +SKIP
    ((64, 6830), 9)
    """
    data_dir = _islp_data_dir()
    X = np.load(os.path.join(data_dir, "NCI60data.npy"), allow_pickle=False)
    X = np.ascontiguousarray(X, dtype=np.float64)
    target = np.asarray(_read_labels(os.path.join(data_dir, "NCI60labs.csv")), dtype=str)
    if target.shape[0] != X.shape[0]:
        raise ValueError(
            f"NCI60 files are inconsistent: {X.shape[0]} samples but {target.shape[0]} labels."
        )
    if return_X_y:
        return X, target
    feature_names = np.array([f"G{j + 1:04d}" for j in range(X.shape[1])], dtype=object)
    return Bunch(
        data=X,
        target=target,
        target_names=np.unique(target),
        feature_names=feature_names,
        DESCR=_NCI60_DESCR,
    )


def load_khan(*, subset="all", return_X_y=False):
    """Load the Khan small round blue cell tumour data (83 samples, 2308 genes, 4 classes).

    The data are read from the data files of the ISLP package, which must be installed
    (``pip install --no-deps ISLP``; ISLP itself is not imported).

    =================   ==============
    Samples total       83 (63 train, 20 test)
    Dimensionality      2308
    Features            real, gene expression
    Classes             4 tumour types, coded 1 to 4
    =================   ==============

    Parameters
    ----------
    subset : {"all", "train", "test"}, default="all"
        Which part of the original train/test split to return; ``"all"`` stacks the 63
        training samples and then the 20 test samples.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of shape (n_samples, 2308)
            Gene expressions, float64.
        target : ndarray of shape (n_samples,)
            Tumour class codes 1 to 4, int64.
        target_names : ndarray of shape (4,)
            The distinct class codes.
        train_mask : ndarray of shape (n_samples,)
            True for the rows of the original training set.
        feature_names : ndarray of shape (2308,)
            Gene names ``"G0001"`` ... as in the ISLP loader.
        DESCR : str
            Description of the data, its source and licence.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ImportError
        If ISLP is not installed.
    ValueError
        If ``subset`` is not one of the allowed values.

    Notes
    -----
    Source: J. Khan et al., "Classification and diagnostic prediction of cancers using gene
    expression profiling and artificial neural networks", Nature Medicine 7(6), 673-679,
    2001, in the version of the support-vector-machine chapter of G. James, D. Witten,
    T. Hastie, R. Tibshirani and J. Taylor, "An Introduction to Statistical Learning, with
    Applications in Python", Springer, 2023. The files (``Khan_xtrain.csv``,
    ``Khan_ytrain.csv``, ``Khan_xtest.csv``, ``Khan_ytest.csv``) are read from the data
    directory of the book's companion package ISLP
    (https://github.com/intro-stat-learning/ISLP), distributed under a three-clause BSD-style
    licence. Nothing is downloaded.

    Examples
    --------
    >>> from skreg.datasets import load_khan
    >>> X_train, y_train = load_khan(subset="train", return_X_y=True)  # doctest: +SKIP
    >>> X_train.shape  # doctest: +SKIP
    (63, 2308)
    """
    if subset not in ("all", "train", "test"):
        raise ValueError(f"subset must be 'all', 'train' or 'test', got {subset!r}.")
    data_dir = _islp_data_dir()
    parts = []
    for name in ("train", "test") if subset == "all" else (subset,):
        X_part = _read_matrix(os.path.join(data_dir, f"Khan_x{name}.csv"))
        y_part = np.asarray(_read_labels(os.path.join(data_dir, f"Khan_y{name}.csv")))
        y_part = y_part.astype(np.float64).astype(np.int64)
        if X_part.shape[0] != y_part.shape[0]:
            raise ValueError(
                f"Khan {name} files are inconsistent: {X_part.shape[0]} samples but "
                f"{y_part.shape[0]} labels."
            )
        parts.append((X_part, y_part, np.full(y_part.shape[0], name == "train")))
    X = np.ascontiguousarray(np.vstack([part[0] for part in parts]))
    target = np.concatenate([part[1] for part in parts])
    if return_X_y:
        return X, target
    feature_names = np.array([f"G{j + 1:04d}" for j in range(X.shape[1])], dtype=object)
    return Bunch(
        data=X,
        target=target,
        target_names=np.unique(target),
        train_mask=np.concatenate([part[2] for part in parts]),
        feature_names=feature_names,
        DESCR=_KHAN_DESCR,
    )


def load_nyse(*, return_X_y=False):
    """Load the NYSE daily returns, log volume and log volatility (6051 days, 1962-1986).

    Three daily series of the New York Stock Exchange, in time order. In the deep-learning
    chapter of "An Introduction to Statistical Learning", ``log_volume`` is forecast from the
    previous days' values of all three series (a lagged design: ordered features). The data
    ship with skreg (a copy of ISLP's ``NYSE.csv``, redistributed under ISLP's BSD-style
    licence, ``skreg/datasets/data/NYSE_LICENSE.txt``): ISLP is not needed.

    =================   ==============
    Samples total       6051 trading days (4281 before 1980)
    Dimensionality      3 series
    Features            real, daily series
    Target              real, log_volume
    =================   ==============

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of shape (6051, 3)
            The series ``DJ_return``, ``log_volume`` and ``log_volatility``, float64, one row
            per trading day in time order.
        target : ndarray of shape (6051,)
            ``log_volume`` (a copy of ``data[:, 1]``): a forecast uses only earlier rows.
        feature_names : ndarray of shape (3,)
            ``["DJ_return", "log_volume", "log_volatility"]``.
        target_names : ndarray of shape (1,)
            ``["log_volume"]``.
        dates : ndarray of shape (6051,)
            Trading days, ``datetime64[D]``.
        day_of_week : ndarray of shape (6051,)
            ``"mon"``, ``"tues"``, ``"wed"``, ``"thur"`` or ``"fri"``.
        train_mask : ndarray of shape (6051,)
            True for the days before 1980, the training period of the source.
        DESCR : str
            Description of the data, its source and licence.

    (data, target) : tuple if ``return_X_y`` is True

    Notes
    -----
    Source: B. LeBaron and A. S. Weigend, "A bootstrap evaluation of the effect of data
    splitting on financial time series", IEEE Transactions on Neural Networks 9(1), 213-220,
    1998, in the version of the deep-learning chapter of G. James, D. Witten, T. Hastie,
    R. Tibshirani and J. Taylor, "An Introduction to Statistical Learning, with Applications
    in Python", Springer, 2023. The file ``skreg/datasets/data/NYSE.csv.gz`` is a gzip copy of
    ``NYSE.csv`` from the data directory of the book's companion package ISLP 0.6.0
    (https://github.com/intro-stat-learning/ISLP), redistributed under ISLP's three-clause
    BSD-style licence, whose full text is ``skreg/datasets/data/NYSE_LICENSE.txt``.

    Examples
    --------
    >>> from skreg.datasets import load_nyse
    >>> nyse = load_nyse()
    >>> nyse.data.shape, str(nyse.dates[0]), str(nyse.dates[-1])
    ((6051, 3), '1962-12-03', '1986-12-31')
    """
    path = os.path.join(os.path.dirname(__file__), "data", "NYSE.csv.gz")
    with gzip.open(path, "rt", newline="") as handle:
        rows = [row for row in csv.reader(handle) if row]
    header = [name.strip() for name in rows[0]]
    names = ["DJ_return", "log_volume", "log_volatility"]
    expected = ["date", "day_of_week", *names, "train"]
    if header != expected:
        raise ValueError(f"NYSE.csv has columns {header}, expected {expected}.")
    body = rows[1:]
    X = np.array([[float(value) for value in row[2:5]] for row in body], dtype=np.float64)
    if return_X_y:
        return X, X[:, 1].copy()
    return Bunch(
        data=X,
        target=X[:, 1].copy(),
        feature_names=np.array(names, dtype=object),
        target_names=np.array(["log_volume"], dtype=object),
        dates=np.array([row[0] for row in body], dtype="datetime64[D]"),
        day_of_week=np.array([row[1].strip() for row in body], dtype=str),
        train_mask=np.array([row[5].strip().upper() == "TRUE" for row in body]),
        DESCR=_NYSE_DESCR,
    )
