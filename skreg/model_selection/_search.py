"""ImplicitDiffSearchCV and hypergradient: hyperparameters learned by gradient descent."""

import numbers
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy.sparse.linalg import LinearOperator, cg
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state, indexable
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from .._config import _numba_threads, _parallel_plan, _single_threaded_blas
from .._offsets import shift_columns, subtract_shift
from .._validation import _check_not_complex, _check_sparse_format, _normalize_csc, check_bool
from .._validation import check_sample_weight as _check_sw
from ..linear_model._cv import _check_folds
from ._adapters import _backward, _forward, get_adapter
from ._criteria import CRITERIA, HeldOutLoss, Sure
from ._optimizers import OPTIMIZERS, RUNNERS

LINEAR_SOLVERS = ("auto", "direct", "cg", "neumann")
INITS = ("path", "estimator")
_DIRECT_MAX = 2000  # "auto": dense direct solve up to this many differentiated parameters
_LINEAR_RTOL = 1e-8  # relative residual of CG / Neumann unless an optimizer asks for less
_SPARSE_TOL = 1e-6  # inner relative duality gap of l1 models during a search, at most


# ---------------------------------------------------------------------------------------------
# estimator / pipeline plumbing


def _split_estimator(estimator):
    """``(preprocessing or None, final step, prefix of the final step's parameters)``."""
    if isinstance(estimator, Pipeline):
        name, final = estimator.steps[-1]
        if final is None or final == "passthrough":
            raise ValueError("the Pipeline's last step must be an estimator.")
        pre = Pipeline(estimator.steps[:-1]) if len(estimator.steps) > 1 else None
        return pre, final, f"{name}__"
    return None, estimator, ""


def _resolve_params(params, adapter, prefix):
    """Names (without the pipeline prefix) and initial values given by the user (or None)."""
    if params is None:
        params = adapter.default
    if isinstance(params, str):
        items = [(params, None)]
    elif isinstance(params, dict):
        if not params:
            raise ValueError("params must name at least one hyperparameter.")
        items = list(params.items())
    elif isinstance(params, (list, tuple)) and params and all(isinstance(p, str) for p in params):
        items = [(p, None) for p in params]
    else:
        raise TypeError(
            f"params must be a hyperparameter name, a list of names or a dict of initial "
            f"values, got {params!r}."
        )
    names, init = [], {}
    for name, value in items:
        if not isinstance(name, str):
            raise TypeError(f"hyperparameter names must be strings, got {name!r}.")
        short = name[len(prefix):] if prefix and name.startswith(prefix) else name
        names.append(short)
        if value is not None:
            init[short] = value
    return adapter.resolve(names), init


def _take(X, idx):
    """Rows ``idx`` of a DataFrame/Series, sparse matrix or array-like."""
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    if sp.issparse(X):
        return X.tocsr()[idx] if X.format == "coo" else X[idx]
    return np.asarray(X)[idx]


def _to_float_X(X):
    _check_sparse_format(X)
    _check_not_complex(X, "X")
    X = check_array(X, accept_sparse=("csc", "csr", "coo"), dtype=np.float64, order="F")
    return _normalize_csc(X) if sp.issparse(X) else X


# ---------------------------------------------------------------------------------------------
# tasks: a fold (or a SURE fit) with its model, data and warm starts


@dataclass
class _Task:
    est: object
    X: object
    y: np.ndarray
    sw: np.ndarray
    X_val: object
    y_val: np.ndarray
    sw_val: np.ndarray
    y_val_pm: np.ndarray = None
    v: np.ndarray = None
    key: tuple = None
    state: dict = None
    pre: object = None
    n_iter: int = 0
    converged: bool = True
    lin: object = field(default=None, repr=False)


def _fit_task(task, adapter):
    """Fit a task's model: through ``fit`` the first time (which validates every parameter),
    then through the adapter's solver shortcut when it has one (no re-validation of the
    fold's data, the prepared problem reused)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if task.state is None or not adapter.refit(task.est, task):
            task.est.fit(task.X, task.y, sample_weight=task.sw)
            task.state = task.state or {}
            task.converged = adapter.converged(task.est)
    n_iter = getattr(task.est, "n_iter_", None)
    task.n_iter = int(np.max(n_iter)) if n_iter is not None else 1
    return task


def _solve_linear(lin, b, v0, method, rtol):
    """``H v = b`` by a dense solve, warm-started CG or a truncated Neumann series."""
    if lin.size == 0:
        return np.zeros(0)
    if method == "auto":
        method = "direct" if lin.size <= _DIRECT_MAX else "cg"
    if method == "direct":
        H = lin.dense()
        try:
            return scipy.linalg.solve(H, b, assume_a="pos", check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            return scipy.linalg.lstsq(H, b, check_finite=False)[0]
    op = LinearOperator((lin.size, lin.size), matvec=lin.matvec, dtype=np.float64)
    if method == "cg":
        v, _ = cg(op, b, x0=v0, rtol=rtol, atol=0.0, maxiter=10 * lin.size + 100)
        return v
    # Neumann series: v = eta sum_k (I - eta H)^k b, eta = 1 / ||H|| (power iteration)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(lin.size)
    for _ in range(30):
        x = op.matvec(x)
        x /= np.linalg.norm(x)
    eta = 1.0 / float(x @ op.matvec(x))
    v = term = eta * b
    for _ in range(1000):
        term = term - eta * op.matvec(term)
        v = v + term
        if np.linalg.norm(term) <= rtol * np.linalg.norm(v):
            break
    return v


def _task_hypergradient(task, adapter, names, g, method, rtol):
    est = task.est
    with _single_threaded_blas():
        lin = adapter.linearize(est, task.X, task.y, task.sw)
        b = lin.rhs(task.X_val, g)
        v0 = task.v if (task.key == lin.key and task.v is not None) else None
        v = _solve_linear(lin, b, v0, method, rtol)
    # returned, not only stored: under a process or dask backend the task is a copy
    return adapter.param_grads(est, names, lin.level_grads(v)), v, lin.key


# ---------------------------------------------------------------------------------------------
# the problem: hyperparameters <-> theta, and one evaluation of (criterion, hypergradient)


class _Problem:
    def __init__(self, adapter, names, init, tasks, criterion, X_ref, y_ref, sw_ref,
                 linear_solver, n_jobs, start_in_box=True):
        self.adapter, self.names, self.tasks = adapter, names, tasks
        self.criterion, self.linear_solver, self.n_jobs = criterion, linear_solver, n_jobs
        n_features = tasks[0].X.shape[1]
        est0 = adapter.est
        self.params, self.masks, self.base = [], [], {}
        theta, lo, hi = [], [], []
        for name in names:
            value = init.get(name, adapter.value(est0, name, n_features))
            value = self._check_value(name, value, n_features)
            p = adapter.param(name, n_features)
            self.params.append(p)
            if name == "weights":
                mask = value > 0
                if not np.any(mask):
                    raise ValueError("weights are all zero: no penalty to learn.")
                self.base[name] = value
                self.masks.append(mask)
                t = _forward(value[mask], "log")
                theta.append(t)
                # a box keeps the inner problems sane: a feature 1e4 times less penalized is
                # in effect unpenalized, one 1e3 times more is out of the model
                lo.append(t - np.log(1e4))
                hi.append(t + np.log(1e3))
                continue
            self.masks.append(None)
            b_lo, b_hi = self._bounds(name, value, X_ref, y_ref, sw_ref)
            t = float(_forward(value, p.transform))
            if start_in_box:
                if adapter.sparse and name == "alpha" and t >= b_hi:
                    t = b_hi - np.log(10.0)  # at or above alpha_max: start at alpha_max / 10
                t = min(max(t, b_lo), b_hi)
            theta.append(np.array([t]))
            lo.append(np.array([b_lo]))
            hi.append(np.array([b_hi]))
        self.theta0 = np.concatenate(theta)
        # the values as given, used when theta0 itself is evaluated (exp(log(a)) != a)
        self.values0 = {name: init.get(name, adapter.value(est0, name, n_features))
                        for name in names}
        self.lo, self.hi = np.concatenate(lo), np.concatenate(hi)
        self.init = init
        self.records = []
        self.n_not_converged = 0
        tol = adapter.est.get_params().get("tol")
        self.base_tol = float(tol) if isinstance(tol, numbers.Real) and tol > 0 else None
        if self.base_tol is not None and adapter.sparse:
            # A warm-started refit at a nearby alpha already meets a loose relative duality
            # gap (1e-4 of the null objective) at the previous solution: the criterion would
            # not move and the hypergradient would describe the old solution.
            self.base_tol = min(self.base_tol, _SPARSE_TOL)

    def _check_value(self, name, value, n_features):
        if name == "weights":
            value = np.asarray(value, dtype=np.float64)
            if value.shape != (n_features,) or not np.all(np.isfinite(value)) or np.any(
                    value < 0):
                raise ValueError(
                    f"initial weights must be {n_features} finite non-negative numbers.")
            return value
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError(f"the initial value of {name} must be a number, got {value!r}.")
        value = float(value)
        if name == "l1_ratio":
            if not 0.0 < value < 1.0:
                raise ValueError(
                    f"l1_ratio must be strictly between 0 and 1 to be learned (its logit is "
                    f"optimized), got {value}.")
        elif not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be positive and finite to be learned (its log is "
                             f"optimized), got {value}.")
        return value

    def _bounds(self, name, value, X_ref, y_ref, sw_ref):
        """Box of a scalar: for an l1 alpha, below the largest alpha_max of the tasks."""
        if not (self.adapter.sparse and name == "alpha"):
            return self.adapter.bounds(name, value, X_ref, y_ref, sw_ref)
        his, los = [], []
        for task in self.tasks:
            a = get_adapter(task.est)
            b_lo, b_hi = a.bounds(name, value, task.X, task.y, task.sw)
            los.append(b_lo)
            his.append(b_hi)
        return min(los), max(his)

    def hyperparams(self, theta):
        """``{name: value}`` of a theta (weights as an array)."""
        out, i = {}, 0
        for p, mask in zip(self.params, self.masks, strict=True):
            if mask is None:
                out[p.name] = float(_backward(theta[i], p.transform))
                i += 1
            else:
                k = int(mask.sum())
                w = self.base[p.name].copy()
                w[mask] = _backward(theta[i:i + k], "log")
                out[p.name] = w
                i += k
        return out

    def _grad_vector(self, grads):
        return np.concatenate([g if m is None else g[m]
                               for g, m in zip(grads, self.masks, strict=True)])

    def evaluate(self, theta, inner_tol, linear_tol):
        start = time.perf_counter()
        values = (dict(self.values0) if np.array_equal(theta, self.theta0)
                  else self.hyperparams(theta))
        base_tol = self.base_tol
        if base_tol is not None:  # the inner accuracy: the estimator's or the optimizer's
            inner_tol = base_tol if inner_tol is None else float(inner_tol)
        for task in self.tasks:
            task.est.set_params(**values)
            if base_tol is not None:
                task.est.set_params(tol=inner_tol)
        tasks = self._parallel(delayed(_fit_task)(t, self.adapter) for t in self.tasks)
        self.tasks = tasks
        preds = [self.adapter.decision(t.est, t.X_val) for t in tasks]
        value, gs = self.criterion(tasks, preds)
        rtol = _LINEAR_RTOL if linear_tol is None else min(float(linear_tol), 1e-2)
        out = self._parallel(
            delayed(_task_hypergradient)(t, self.adapter, self.names, g, self.linear_solver,
                                         rtol)
            for t, g in zip(tasks, gs, strict=True))
        grads = []
        for t, (g, v, key) in zip(tasks, out, strict=True):
            t.v, t.key = v, key  # the warm start of the next linear solve
            grads.append(g)
        grad = sum(self._grad_vector(g) for g in grads)
        converged = all(t.converged for t in tasks)
        if not converged:
            self.n_not_converged += 1
        self.records.append(dict(
            theta=np.array(theta, copy=True), values=values, criterion=float(value),
            grad_norm=float(np.linalg.norm(grad)), n_inner_iter=sum(t.n_iter for t in tasks),
            time=time.perf_counter() - start, converged=converged,
            exact=base_tol is None or inner_tol <= base_tol))
        return float(value), grad

    def scan(self, fun, per_decade=3):
        """Coarse start for an l1 ``alpha`` whose initial value the user did not give.

        Evaluates ``alpha_max * 10^(-k / per_decade)``, k = 0, 1, ..., (warm-started from
        large to small alpha, where the fits are cheap) until the criterion has risen twice
        in a row, or once to more than 1% above the best value, or the lower bound is
        reached, and returns the best point and a first step that stays within half a grid
        cell. The CV criterion of the Lasso is not convex in alpha: a local descent from an
        arbitrary start can stop in a shallow local minimum.
        """
        i = self.names.index("alpha")
        best = (np.inf, self.theta0, None)
        previous, rises = np.inf, 0
        for k in range(100):
            t = self.hi[i] - k * np.log(10.0) / per_decade
            if t < self.lo[i]:
                break
            theta = self.theta0.copy()
            theta[i] = t
            f, g = fun(theta, None, None)
            if f < best[0]:
                best = (f, theta, g)
            rises = rises + 1 if f > previous else 0
            previous = f
            if rises >= 2 or (rises and f > 1.01 * best[0]):
                break
        f, theta, g = best
        gmax = float(np.max(np.abs(g))) if g is not None else 0.0
        step = 0.5 * np.log(10.0) / per_decade / gmax if gmax > 0 else None
        return theta, step, (f, g)

    def _parallel(self, jobs):
        """Run the per-task jobs through joblib (in turn when there is one job).

        The jobs return what they change (a fitted task, a gradient), so that process and
        dask backends, which run them on copies, give the results of threads.
        """
        jobs = list(jobs)
        n_jobs, n_threads = _parallel_plan(self.n_jobs, len(jobs))
        if n_jobs == 1:
            return [f(*a, **k) for f, a, k in jobs]
        return Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_in_threads)(n_threads, f, a, k) for f, a, k in jobs)


def _in_threads(n_threads, func, args, kwargs):
    """``func(*args, **kwargs)`` with its numba kernels on ``n_threads`` threads."""
    with _numba_threads(n_threads):
        return func(*args, **kwargs)


def _estimate_noise_level(X, y, sw):
    """``||e||_2`` estimated without knowing it (noise-blind).

    The square-root Lasso at its pivotal alpha (Belloni, Chernozhukov and Wang, 2011) starts
    a scaled-Lasso iteration with refitting: the Lasso at ``alpha = sigma * alpha_pivotal``
    (the square-root Lasso's equivalent at noise level ``sigma``) selects a support S, least
    squares on S removes the l1 shrinkage, and ``sigma^2 = RSS / (n - |S| - 1)`` corrects for
    the fitted degrees of freedom; repeated until sigma settles. The refit matters with strong
    signals, where the shrunk residual alone overestimates the noise several times over.
    """
    from ..linear_model import Lasso, SqrtLasso, pivotal_alpha

    n, p = X.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SqrtLasso().fit(X, y, sample_weight=sw)
        sigma, coef = float(model.sigma_), model.coef_
        lasso = Lasso(warm_start=True, max_iter=10_000)
        for _ in range(20):
            support = np.flatnonzero(coef)
            dof = len(support) + 1
            if dof >= n or sigma <= 0:
                break
            A = X[:, support]
            A = np.column_stack([A.toarray() if sp.issparse(A) else np.asarray(A),
                                 np.ones(n)])
            root = np.sqrt(sw)
            beta = scipy.linalg.lstsq(A * root[:, None], y * root, check_finite=False)[0]
            r = y - A @ beta
            refit = float(np.sqrt(sw @ (r * r) / (sw.sum() * (n - dof) / n)))
            if abs(refit - sigma) <= 1e-3 * sigma:
                sigma = refit
                break
            sigma = refit
            lasso.set_params(alpha=sigma * pivotal_alpha(n, p)).fit(X, y, sample_weight=sw)
            coef = lasso.coef_
    return float(sigma * np.sqrt(n))


def _build(estimator, params, X, y, sample_weight, criterion, cv, noise_level, random_state,
           linear_solver, n_jobs, classifier, start_in_box=True):
    """Tasks, criterion and problem for a search (or one hypergradient)."""
    pre, final, prefix = _split_estimator(estimator)
    adapter = get_adapter(clone(final))
    names, init = _resolve_params(params, adapter, prefix)
    if criterion == "auto":
        criterion = "log_loss" if classifier else "mse"
    if classifier and criterion != "log_loss":
        raise ValueError(f'criterion={criterion!r} is for regressors: use "log_loss" with a '
                         f"classifier.")
    if not classifier and criterion == "log_loss":
        raise ValueError('criterion="log_loss" needs a classifier.')
    n = len(y)
    sw = None if sample_weight is None else _check_sw(sample_weight, n)

    def make_task(train_idx, val_idx, y_train=None):
        Xtr = _take(X, train_idx)
        Xva = _take(X, val_idx)
        p = None
        if pre is not None:
            p = clone(pre)
            Xtr = p.fit_transform(Xtr, _take(y, train_idx))
            Xva = p.transform(Xva)
        Xtr, Xva = _to_float_X(Xtr), _to_float_X(Xva)
        # far-from-zero columns shifted on both parts alike (invariant with an intercept)
        Xtr, shift = shift_columns(Xtr, bool(final.get_params().get("fit_intercept")))
        if shift is not None:
            Xva = subtract_shift(Xva, shift)
        ytr = _take(y, train_idx) if y_train is None else y_train
        swtr = np.ones(len(train_idx)) if sw is None else sw[train_idx]
        swva = np.ones(len(val_idx)) if sw is None else sw[val_idx]
        est = clone(final)
        if "warm_start" in est.get_params():
            est.set_params(warm_start=True)
        task = _Task(est, Xtr, ytr, swtr, Xva, _take(y, val_idx), swva, pre=p)
        if classifier:
            classes = np.unique(ytr)
            if len(classes) != 2:
                raise ValueError(
                    f"implicit differentiation of a classifier needs binary targets; a "
                    f"training part has {len(classes)} class(es).")
            task.y_val_pm = np.where(task.y_val == classes[1], 1.0, -1.0)
        return task

    if criterion == "sure":
        if classifier:
            raise ValueError('criterion="sure" is for regressors.')
        if sw is not None:
            raise ValueError('criterion="sure" does not support sample_weight.')
        idx = np.arange(n)
        task1 = make_task(idx, idx)
        if noise_level is None:
            noise_level = _estimate_noise_level(task1.X, task1.y, task1.sw)
        sigma = float(noise_level) / np.sqrt(n)
        if not sigma > 0:
            raise ValueError("noise_level must be positive for SURE (the estimate is 0: the "
                             "data are fitted exactly; pass noise_level).")
        rng = check_random_state(random_state)
        delta = rng.standard_normal(n)
        eps = 2.0 * sigma / n ** 0.3
        task2 = make_task(idx, idx, y_train=task1.y + eps * delta)
        tasks = [task1, task2]
        crit = Sure(task1.y, sigma, delta, eps)
        X_ref, y_ref, sw_ref = task1.X, task1.y, task1.sw
    else:
        folds = list(cv)
        if sw is not None:
            _check_folds(folds, sw)
        tasks = [make_task(tr, va) for tr, va in folds]
        crit = HeldOutLoss(criterion)
        X_ref, y_ref, sw_ref = tasks[0].X, tasks[0].y, tasks[0].sw
    problem = _Problem(adapter, names, init, tasks, crit, X_ref, y_ref, sw_ref, linear_solver,
                       n_jobs, start_in_box)
    return problem, prefix


def _check_y(y, classifier):
    if y is None:
        raise ValueError("ImplicitDiffSearchCV requires y to be passed, but the target y is "
                         "None.")
    _check_not_complex(y, "y")
    y = column_or_1d(check_array(y, ensure_2d=False, dtype=None if classifier else np.float64,
                                 ensure_all_finite=True), warn=True)
    return y


# ---------------------------------------------------------------------------------------------
# public API


@dataclass(frozen=True)
class HypergradientResult:
    """Outcome of :func:`hypergradient`.

    Attributes
    ----------
    value : float
        The criterion at the estimator's hyperparameters.
    gradient : dict
        ``{name: derivative}`` with respect to the transformed hyperparameter: ``log`` of
        strengths (``alpha``, ``C``) and of per-feature ``weights`` (an array, 0 for zero
        weights and off the support), ``logit`` of ``l1_ratio``.
    estimator : estimator
        The estimator fitted on the training data (a clone: the input is not modified).
    n_iter : int
        Inner solver iterations summed over the fits.
    converged : bool
        Whether every inner fit converged (if not, the gradient is not meaningful).
    """

    value: float
    gradient: dict
    estimator: object
    n_iter: int
    converged: bool


def hypergradient(estimator, X, y, X_val=None, y_val=None, criterion="auto", *, params=None,
                  sample_weight=None, noise_level=None, random_state=None,
                  linear_solver="auto"):
    """Gradient of a validation criterion with respect to an estimator's hyperparameters.

    Fits ``estimator`` on ``(X, y)`` and differentiates ``criterion`` on ``(X_val, y_val)``
    through the solution by implicit differentiation (Bertrand et al., 2020/2022): for l1
    models, the linear system is restricted to the support of the solution. Derivatives are
    taken with respect to ``log(alpha)`` (``log(C)``, ``log(weights)``) and ``logit(l1_ratio)``.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A supported model (see :class:`ImplicitDiffSearchCV`), or a Pipeline ending in one
        (the preprocessing is fitted on ``X`` only).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Training targets.
    X_val, y_val : array-like, default=None
        Validation data ("mse", "log_loss"); unused by "sure".
    criterion : {"auto", "mse", "log_loss", "sure"}, default="auto"
        Held-out mean squared error, held-out logistic loss (classifiers), or the
        finite-difference Monte-Carlo SURE on the training data (no validation set).
        "auto": "log_loss" for classifiers, "mse" otherwise.
    params : str, list of str or dict, default=None
        The hyperparameters to differentiate (default: the model's regularization strength,
        ``alpha``, or ``C`` for LogisticRegression).
    sample_weight : array-like of shape (n_samples,), default=None
        Training sample weights.
    noise_level : float, default=None
        SURE's noise level ``||e||_2`` (estimated by the square-root Lasso when None).
    random_state : int, RandomState instance or None, default=None
        Seeds SURE's Monte-Carlo direction.
    linear_solver : {"auto", "direct", "cg", "neumann"}, default="auto"
        How ``H v = grad C`` is solved (see :class:`ImplicitDiffSearchCV`).

    Returns
    -------
    result : HypergradientResult

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import Lasso
    >>> from skreg.model_selection import hypergradient
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 10))
    >>> y = X[:, 0] + 0.5 * rng.standard_normal(60)
    >>> res = hypergradient(Lasso(alpha=0.5, tol=1e-10), X[:40], y[:40], X[40:], y[40:])
    >>> bool(res.gradient["alpha"] > 0)  # alpha = 0.5 is too large: decreasing it helps
    True
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}.")
    if linear_solver not in LINEAR_SOLVERS:
        raise ValueError(f"linear_solver must be one of {LINEAR_SOLVERS}, got "
                         f"{linear_solver!r}.")
    classifier = is_classifier(estimator)
    X, y = indexable(X, _check_y(y, classifier))
    if criterion == "sure":
        Xall, yall, cv = X, y, None
    else:
        if X_val is None or y_val is None:
            raise ValueError(f"criterion={criterion!r} needs X_val and y_val.")
        y_val = _check_y(y_val, classifier)
        Xall = sp.vstack([sp.csr_matrix(X), sp.csr_matrix(X_val)]).tocsc() if (
            sp.issparse(X) or sp.issparse(X_val)) else _concat(X, X_val)
        yall = np.concatenate([y, y_val])
        n = len(y)
        cv = [(np.arange(n), np.arange(n, n + len(y_val)))]
    sw_all = None
    if sample_weight is not None:
        sw_all = _check_sw(sample_weight, len(y))
        if criterion != "sure":  # the validation part is unweighted
            sw_all = np.concatenate([sw_all, np.ones(len(yall) - len(y))])
    problem, _ = _build(estimator, params, Xall, yall, sw_all, criterion, cv, noise_level,
                        random_state, linear_solver, None, classifier, start_in_box=False)
    value, grad = problem.evaluate(problem.theta0, None, None)
    out, i = {}, 0
    for p, mask in zip(problem.params, problem.masks, strict=True):
        if mask is None:
            out[p.name] = float(grad[i])
            i += 1
        else:
            k = int(mask.sum())
            full = np.zeros(len(mask))
            full[mask] = grad[i:i + k]
            out[p.name] = full
            i += k
    rec = problem.records[-1]
    task = problem.tasks[0]
    fitted = task.est
    if "warm_start" in fitted.get_params():  # the search's setting, not the user's
        fitted.set_params(warm_start=_split_estimator(estimator)[1].get_params()["warm_start"])
    if task.pre is not None:
        fitted = Pipeline([*task.pre.steps, (estimator.steps[-1][0], fitted)])
    return HypergradientResult(value, out, fitted, rec["n_inner_iter"], rec["converged"])


def _concat(X, X_val):
    if hasattr(X, "iloc") and hasattr(X_val, "iloc"):
        import pandas as pd

        return pd.concat([X, X_val], ignore_index=True)
    return np.concatenate([np.asarray(X), np.asarray(X_val)])


def _estimator_has(attr):
    def check(self):
        if hasattr(self, "best_estimator_"):
            return hasattr(self.best_estimator_, attr)
        return hasattr(self._estimator(), attr)

    return check


class ImplicitDiffSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Hyperparameters learned by gradient descent on a cross-validation criterion.

    Where :class:`~sklearn.model_selection.GridSearchCV` refits the model at every grid
    point, this search follows the gradient of the CV criterion with respect to the
    hyperparameters, obtained by implicit differentiation of the fitted models (Bertrand et
    al., 2020/2022): a few warm-started fits per fold instead of a whole grid, and one
    strength per feature becomes possible (:class:`~skreg.WeightedLasso`).

    With ``theta`` the log of the strengths (``logit`` of ``l1_ratio``), ``w_k(theta)`` the
    model fitted on the training part of fold ``k`` and ``L_k`` its held-out loss, it
    minimizes

        C(theta) = 1/K sum_k L_k(w_k(theta))

    where, for an l1 model with support ``S`` and datafit Hessian ``H_SS`` (plus the smooth
    part of the penalty), ``dC/dlog(alpha) = -(alpha sign(w_S))^T H_SS^{-1} grad_S C`` and
    off-support derivatives are exactly 0; smooth models use the same formula on all
    coefficients. The strength stays below ``alpha_max`` (where the solution, hence the
    gradient, vanishes).

    Parameters
    ----------
    estimator : estimator or Pipeline, default=None
        The model: :class:`~skreg.Lasso`, :class:`~skreg.WeightedLasso`,
        :class:`~skreg.ElasticNet`, :class:`~skreg.SparseLogisticRegression`,
        :class:`~skreg.SqrtLasso`, :class:`~skreg.GraphLaplacianRegression`
        (``penalty="l2"``), :class:`sklearn.linear_model.Ridge`,
        :class:`sklearn.kernel_ridge.KernelRidge` or binary l2
        :class:`sklearn.linear_model.LogisticRegression`, or a Pipeline ending in one
        (preprocessing is fitted on each training part, without leakage). None means
        ``skreg.Lasso()``.
    params : str, list of str or dict, default=None
        Hyperparameters to learn: names (starting from the estimator's values) or a dict of
        initial values. Allowed: ``alpha`` (all but LogisticRegression), ``l1_ratio``
        (ElasticNet, SparseLogisticRegression; learned with ``alpha``), ``weights``
        (WeightedLasso, SqrtLasso: one strength per feature, with ``alpha`` fixed), ``C``
        (LogisticRegression). Pipeline step prefixes (``"lasso__alpha"``) are accepted.
        None: ``alpha`` (``C`` for LogisticRegression). How a named l1 ``alpha`` starts is
        set by ``init``. Per-feature ``weights`` stay within ``[1e-4, 1e3]`` times their
        initial values.
    cv : int, cross-validation generator or iterable, default=5
        As in GridSearchCV (stratified folds for classifiers). Ignored by "sure".
    criterion : {"auto", "mse", "log_loss", "sure"}, default="auto"
        Held-out mean squared error, held-out logistic loss (binary classifiers), or the
        finite-difference Monte-Carlo SURE (Deledalle et al., 2014) on the whole training
        set with a known or estimated noise level. "auto": "log_loss" for classifiers,
        "mse" otherwise. Losses are weighted by ``sample_weight`` on each held-out part.
    optimizer : {"line_search", "hoag", "maid", "adam", "gd"}, default="line_search"
        "line_search": projected gradient with Barzilai-Borwein steps and an Armijo
        backtracking line search. "hoag": Pedregosa's inexact gradient steps with a summable
        schedule of inner tolerances. "maid": adaptively inexact descent (Salehi et al.,
        2023): backtracking with inner accuracies tightened only when the line search fails
        (guarantees for strongly convex inner problems). "adam": Adam with step
        ``learning_rate``. "gd": fixed-step gradient descent, step halved when the criterion
        increases. "hoag" and "maid" set the inner estimator's ``tol`` themselves.
    init : {"path", "estimator"}, default="path"
        Start of an l1 model's ``alpha`` when ``params`` gives no initial value. "path":
        scan ``alpha_max * 10^(-k/3)``, k = 0, 1, ... (large alphas first, where fits are
        cheap and warm starts carry over) until the criterion has risen twice in a row (or
        once to more than 1% above the best value), and start from the best point: the CV
        criterion is not convex in alpha, and a descent from an arbitrary start can stop in
        a shallow local minimum. "estimator": start from
        the estimator's ``alpha`` (``alpha_max / 10`` if it is at or above ``alpha_max``).
        Initial values given in a dict are always used as given. During the search the inner
        l1 models are solved to a relative duality gap of at most 1e-6 (their ``tol`` if
        smaller): a warm-started refit at a nearby alpha would otherwise stop at the previous
        solution, and the hypergradient would describe it.
    max_iter : int, default=50
        Maximum number of outer iterations. An iteration may evaluate several points (the
        backtracking of "line_search" and "maid"); the scan of ``init="path"`` comes on top.
        ``n_iter_`` counts every evaluation.
    tol : float, default=1e-3
        Stop when a step changes every transformed hyperparameter by less than ``tol``
        (1e-3: alpha within 0.1%).
    learning_rate : float, default=None
        Initial step of "line_search", "gd", "hoag" and "maid" (default: the step that moves
        the largest log-hyperparameter by one unit) and the step of "adam" (default 0.1).
    linear_solver : {"auto", "direct", "cg", "neumann"}, default="auto"
        Solver of ``H v = grad C``: "direct" (dense Cholesky on the support), "cg"
        (conjugate gradient warm-started from the previous iteration's solution), "auto"
        ("direct" up to 2000 differentiated parameters, "cg" above), or "neumann" (truncated
        Neumann series; unreliable when ``H`` is ill-conditioned, for comparison only).
    noise_level : float, default=None
        SURE's noise level, the l2 norm ``||e||_2`` of the noise vector; estimated by the
        square-root Lasso at its pivotal alpha when None.
    refit : bool, default=True
        Refit the estimator on the whole data at the best hyperparameters found (the best
        evaluated point, not the last).
    n_jobs : int, default=None
        Folds (or SURE's two fits) run in parallel through joblib: threads by default, or the
        backend of an enclosing ``joblib.parallel_backend`` (loky, dask, ...). None means 1 unless
        in a ``joblib.parallel_backend`` context; -1 means all processors.
    random_state : int, RandomState instance or None, default=None
        Seeds SURE's Monte-Carlo direction.
    verbose : int, default=0
        Print one line per evaluation when positive.

    Attributes
    ----------
    best_params_ : dict
        Hyperparameters at the best criterion (names as given, with pipeline prefixes).
    best_score_ : float
        Minus the best criterion value (greater is better, as in GridSearchCV's
        ``neg_mean_squared_error``).
    best_index_ : int
        Row of ``path_`` with the best criterion.
    best_estimator_ : estimator
        The estimator refitted on the whole data (``refit=True``).
    path_ : dict of ndarray
        One row per evaluation: the hyperparameters (one key per name; weights as 2-D),
        ``"criterion"``, ``"grad_norm"`` (norm of the hypergradient in transformed units),
        ``"n_inner_iter"`` (inner iterations over the folds), ``"time"`` (wall time of the
        evaluation, s), ``"converged"`` (all inner fits converged) and ``"exact"`` (solved at
        the estimator's accuracy; "hoag" and "maid" also make looser evaluations, which do not
        compete for ``best_params_``).
    n_iter_ : int
        Number of evaluations (fits of all folds) made.
    n_splits_ : int
        Number of folds (2 fits for SURE).
    refit_time_ : float
        Seconds to refit the best model.
    n_features_in_ : int
        Number of features seen during fit (from the refitted estimator).

    See Also
    --------
    hypergradient : the gradient for one fit, for research scripts.
    skreg.LassoCV : the grid path, the reference this search is measured against.

    References
    ----------
    Q. Bertrand, Q. Klopfenstein, M. Blondel, S. Vaiter, A. Gramfort and J. Salmon,
    "Implicit differentiation of Lasso-type models for hyperparameter optimization", ICML
    2020; JMLR 23, 2022. F. Pedregosa, "Hyperparameter optimization with approximate
    gradient", ICML 2016. M. S. Salehi, S. Mukherjee, L. Roberts and M. J. Ehrhardt, "An
    adaptively inexact first-order method for bilevel optimization with application to
    hyperparameter learning", 2023. C.-A. Deledalle, S. Vaiter, J. Fadili and G. Peyre,
    "Stein Unbiased GrAdient estimator of the Risk (SUGAR)", SIAM J. Imaging Sci., 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import Lasso
    >>> from skreg.model_selection import ImplicitDiffSearchCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 30))
    >>> y = X[:, :3] @ [2.0, -1.0, 1.0] + 0.5 * rng.standard_normal(100)
    >>> search = ImplicitDiffSearchCV(Lasso(tol=1e-8), cv=5).fit(X, y)
    >>> bool(search.best_params_["alpha"] < 0.5)
    True
    >>> np.flatnonzero(search.best_estimator_.coef_)[:3]
    array([0, 1, 2])
    """

    def __init__(self, estimator=None, params=None, *, cv=5, criterion="auto",
                 optimizer="line_search", init="path", max_iter=50, tol=1e-3,
                 learning_rate=None, linear_solver="auto", noise_level=None, refit=True,
                 n_jobs=None, random_state=None, verbose=0):
        self.estimator = estimator
        self.params = params
        self.init = init
        self.cv = cv
        self.criterion = criterion
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.linear_solver = linear_solver
        self.noise_level = noise_level
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _estimator(self):
        if self.estimator is None:
            from ..linear_model import Lasso

            return Lasso()
        return self.estimator

    @property
    def _estimator_type(self):
        return getattr(self._estimator(), "_estimator_type", None)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        sub = self._estimator().__sklearn_tags__()
        tags.estimator_type = sub.estimator_type
        tags.classifier_tags = sub.classifier_tags
        tags.regressor_tags = sub.regressor_tags
        tags.input_tags.sparse = sub.input_tags.sparse
        tags.input_tags.pairwise = sub.input_tags.pairwise
        tags.target_tags.required = True
        return tags

    def _check_params(self):
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, got {self.criterion!r}.")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}.")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got "
                             f"{self.optimizer!r}.")
        if self.linear_solver not in LINEAR_SOLVERS:
            raise ValueError(f"linear_solver must be one of {LINEAR_SOLVERS}, got "
                             f"{self.linear_solver!r}.")
        if not isinstance(self.max_iter, numbers.Integral) or isinstance(self.max_iter, bool):
            raise TypeError(f"max_iter must be an int, got {self.max_iter!r}.")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}.")
        for name in ("tol", "learning_rate", "noise_level"):
            value = getattr(self, name)
            if value is None and name != "tol":
                continue
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                raise TypeError(f"{name} must be a number, got {value!r}.")
            if not np.isfinite(value) or value < 0 or (name != "tol" and value == 0):
                kind = "non-negative" if name == "tol" else "positive"
                raise ValueError(f"{name} must be {kind} and finite, got {value}.")
        check_bool(self.refit, "refit")

    def fit(self, X, y, sample_weight=None):
        """Learn the hyperparameters, then refit at the best ones.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (anything the estimator or the Pipeline accepts).
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the training losses and of the held-out criterion.

        Returns
        -------
        self : object
            Fitted search.
        """
        self._check_params()
        estimator = self._estimator()
        classifier = is_classifier(estimator)
        y = _check_y(y, classifier)
        _check_sparse_format(X)
        _check_not_complex(X, "X")
        X, y = indexable(X, y)
        if sample_weight is not None:
            sample_weight = _check_sw(sample_weight, len(y))
        cv = None
        if self.criterion != "sure":
            splitter = check_cv(self.cv, y, classifier=classifier)
            cv = list(splitter.split(X, y))
        problem, prefix = _build(estimator, self.params, X, y, sample_weight, self.criterion,
                                 cv, self.noise_level, self.random_state, self.linear_solver,
                                 self.n_jobs, classifier)
        fun = problem.evaluate
        if self.verbose:
            def fun(theta, inner_tol, linear_tol):
                out = problem.evaluate(theta, inner_tol, linear_tol)
                rec = problem.records[-1]
                print(f"[ImplicitDiffSearchCV] {len(problem.records):3d} "
                      f"{_fmt(rec['values'])} criterion={rec['criterion']:.6g} "
                      f"|grad|={rec['grad_norm']:.3g} ({rec['time']:.3f} s)")
                return out
        theta0, step = problem.theta0.copy(), self.learning_rate
        if (self.init == "path" and problem.adapter.sparse and "alpha" in problem.names
                and "alpha" not in problem.init):
            theta0, first_step, known = problem.scan(fun)
            if step is None and self.optimizer != "adam":
                step = first_step
            fun = _reuse_first(fun, theta0, known)
        RUNNERS[self.optimizer](fun, theta0, problem.lo, problem.hi, int(self.max_iter),
                                float(self.tol), step)
        records = problem.records
        if not all(r["exact"] for r in records):
            # inexact evaluations (hoag, maid) may look better than they are: the best one
            # is evaluated again at the estimator's own accuracy, and only such evaluations
            # compete for best_params_
            best = min(records, key=lambda r: r["criterion"])
            if not best["exact"]:
                problem.evaluate(best["theta"], None, None)
        if problem.n_not_converged:
            warnings.warn(
                f"the inner solver did not converge in {problem.n_not_converged} of "
                f"{len(records)} evaluations: their hypergradients are not meaningful. "
                f"Increase the estimator's max_iter or loosen its tol.",
                ConvergenceWarning, stacklevel=2)
        crit = np.array([r["criterion"] if r["exact"] else np.inf for r in records])
        best = int(np.argmin(crit))
        self.best_index_ = best
        self.best_score_ = -float(crit[best])
        self.best_params_ = {prefix + k: v for k, v in records[best]["values"].items()}
        self.path_ = _path(records, prefix)
        self.n_iter_ = len(records)
        self.n_splits_ = len(problem.tasks)
        if self.refit:
            start = time.perf_counter()
            best_est = clone(estimator).set_params(**self.best_params_)
            if sample_weight is None:
                best_est.fit(X, y)
            else:
                best_est.fit(X, y, **_sw_param(best_est, sample_weight))
            self.refit_time_ = time.perf_counter() - start
            self.best_estimator_ = best_est
            if hasattr(best_est, "classes_"):
                self.classes_ = best_est.classes_
        return self

    @property
    def n_features_in_(self):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.n_features_in_

    @property
    def feature_names_in_(self):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.feature_names_in_

    def _check_refit(self, method):
        if not self.refit:
            raise AttributeError(f"{method} is available only after fitting with refit=True.")
        check_is_fitted(self, "best_estimator_")

    def predict(self, X):
        """Predict with the refitted best estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        self._check_refit("predict")
        return self.best_estimator_.predict(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """``decision_function`` of the refitted best estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        self._check_refit("decision_function")
        return self.best_estimator_.decision_function(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """``predict_proba`` of the refitted best estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        self._check_refit("predict_proba")
        return self.best_estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """``predict_log_proba`` of the refitted best estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        self._check_refit("predict_log_proba")
        return self.best_estimator_.predict_log_proba(X)

    def score(self, X, y, sample_weight=None):
        """``score`` of the refitted best estimator (R^2 or accuracy).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        self._check_refit("score")
        return self.best_estimator_.score(X, y, sample_weight=sample_weight)


def _reuse_first(fun, theta0, known):
    """``fun`` that answers its first call at ``theta0`` (exact accuracy) from ``known``."""
    pending = [known]

    def wrapped(theta, inner_tol, linear_tol):
        if pending and inner_tol is None and np.array_equal(theta, theta0):
            return pending.pop()
        pending.clear()
        return fun(theta, inner_tol, linear_tol)

    return wrapped


def _sw_param(est, sample_weight):
    if isinstance(est, Pipeline):
        return {f"{est.steps[-1][0]}__sample_weight": sample_weight}
    return {"sample_weight": sample_weight}


def _fmt(values):
    parts = []
    for k, v in values.items():
        if np.ndim(v):
            parts.append(f"{k}=[{np.min(v):.3g}..{np.max(v):.3g}]")
        else:
            parts.append(f"{k}={v:.6g}")
    return " ".join(parts)


def _path(records, prefix):
    path = {}
    for name in records[0]["values"]:
        path[prefix + name] = np.array([r["values"][name] for r in records])
    for key in ("criterion", "grad_norm", "n_inner_iter", "time", "converged", "exact"):
        path[key] = np.array([r[key] for r in records])
    return path
