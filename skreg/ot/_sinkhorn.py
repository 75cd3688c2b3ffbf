"""Entropic optimal transport by Sinkhorn's algorithm, stable at any epsilon."""

import contextlib
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from .._config import _numba_threads
from ._kernels import (
    ABSORB,
    DEGENERATE,
    _n_blocks,
    build_kernel,
    count_kernel,
    fill_kernel,
    lse_cols,
    lse_rows,
    plan_sums,
    reduced_minima,
    scaling_loop,
    solve_dense,
)

METHODS = ("auto", "stabilized", "log")
#: dense kernels up to this many bytes in "auto" (beyond: the log domain, O(n + m) memory
#: with a cost given as points)
_DENSE_BYTES = 2 * 1024**3
_BOUND = 1e30  # scalings leave [1/bound, bound] -> absorbed into the potentials
#: "stabilized" problems with at most this many plan entries are solved serially (one
#: thread: the parallel loops' start-up costs more than they save, most of all on a busy
#: machine)
_SERIAL_ENTRIES = 1 << 16
_BOUND_TRUNCATED = 1e3  # absorption bound with a truncated kernel


@dataclass(frozen=True)
class OTResult:
    """Outcome of an optimal transport solver of :mod:`skreg.ot`.

    For the entropic solvers the plan is ``P_ij = exp((f_i + g_j - C_ij) / epsilon)`` (rows
    and columns of zero mass are zero); other solvers state their plan.

    Attributes
    ----------
    f, g : ndarray of shape (n,) and (m,)
        Dual potentials (defined up to ``f + c``, ``g - c``). For a point of zero mass the
        potential is the entropic c-transform of the other one (finite).
    plan : ndarray of shape (n, m) or None
        The transport plan; None when it was not formed (``return_plan=False``, or a cost
        given as points whose plan would not fit in memory): use :meth:`plan_rows` (lazy,
        row blocks) or :meth:`sparse_plan` (the entries above a threshold).
    cost : float
        Transport cost ``<P, C>``.
    objective : float
        Dual objective ``<f, a> + <g, b> - epsilon sum_ij P_ij``, equal at convergence to
        the primal ``<P, C> + epsilon sum_ij P_ij (log P_ij - 1)`` (POT's entropic problem,
        same plan as with ``KL(P | a b^T)``) up to the error of the marginals.
    n_iter : int
        Sinkhorn iterations (pairs of half-updates) over all epsilon stages.
    converged : bool
        Whether the final L1 marginal error is at most ``tol``.
    marginal_error_a, marginal_error_b : float
        ``||P 1 - a||_1`` and ``||P^T 1 - b||_1``.
    epsilon : float
    method : str
        "stabilized", "log" or "sns" (:func:`sinkhorn_newton_sparse`).
    n_absorptions : int
        Kernel rebuilds (stabilized method), epsilon stages included.
    n_newton : int
        Newton steps (:func:`sinkhorn_newton_sparse`; 0 otherwise).
    dual_history : ndarray or None
        Dual objective after the warm-up and after every Newton step (non-decreasing).
    """

    f: np.ndarray
    g: np.ndarray
    plan: object
    cost: float
    objective: float
    n_iter: int
    converged: bool
    marginal_error_a: float
    marginal_error_b: float
    epsilon: float
    method: str
    n_absorptions: int = 0
    n_newton: int = 0
    dual_history: np.ndarray = None
    _cost_args: tuple = None

    def sparse_plan(self, threshold=0.0, block_rows=1024):
        """The plan as a ``scipy.sparse`` CSR matrix of its entries above ``threshold``.

        Entropic plans are formed ``block_rows`` rows at a time from the potentials, so a
        plan that does not fit in memory densely (a cost given as points) can be kept
        sparse: memory is ``block_rows x m`` plus the entries kept. Quadratic and
        sparsity-constrained plans have exact zeros (``threshold=0`` keeps exactly their
        support); entropic plans are positive wherever they do not underflow, so pass a
        threshold (e.g. ``1e-12 * mass``) to keep their effective support.

        Parameters
        ----------
        threshold : float, default=0.0
            Entries ``<= threshold`` are dropped.
        block_rows : int, default=1024
            Rows formed at a time (entropic plans).

        Returns
        -------
        plan : scipy.sparse.csr_matrix of shape (n, m)
        """
        _positive(block_rows, "block_rows", integer=True)
        if not (isinstance(threshold, numbers.Real) and np.isfinite(threshold)
                and threshold >= 0):
            raise ValueError(f"threshold must be a non-negative number, got {threshold!r}.")
        n, m = len(self.f), len(self.g)
        blocks = []
        for start in range(0, n, block_rows):
            rows = self.plan_rows(start, min(start + block_rows, n))
            blocks.append(sp.csr_matrix(np.where(rows > threshold, rows, 0.0)))
        return sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((n, m))

    def plan_rows(self, start, stop):
        """Rows ``start:stop`` of an entropic plan, computed from the potentials."""
        if self._cost_args is None:
            return np.asarray(self.plan[start:stop])
        C, X, Y, fly, rows, cols = self._cost_args
        f = self.f[start:stop]
        sub_C = C if fly else C[start:stop]
        sub_X = X[start:stop] if fly else X
        K = np.empty((len(f), len(self.g)))
        with _numba_threads():
            build_kernel(sub_C, sub_X, Y, fly, f, self.g, self.epsilon, K)
        # points of zero mass have finite potentials (c-transforms) but no mass
        K[~rows[start:stop]] = 0.0
        K[:, ~cols] = 0.0
        return K


def _check_weights(w, n, name):
    if w is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(w)
    if np.iscomplexobj(w):
        raise TypeError(f"{name} must be real, got complex values.")
    if w.dtype == object or not np.issubdtype(w.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {w.dtype}.")
    w = np.array(w, dtype=np.float64).ravel() if w.ndim <= 1 else None
    if w is None:
        raise ValueError(f"{name} must be 1-D.")
    if w.shape[0] != n:
        raise ValueError(f"{name} has {w.shape[0]} entries, the cost has {n} on that side.")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} contains NaN or infinity.")
    if np.any(w < 0):
        raise ValueError(f"{name} must be non-negative.")
    if w.sum() <= 0:
        raise ValueError(f"{name} must have a positive total mass.")
    return w


def _check_points(P, name):
    P = np.asarray(P)
    if np.iscomplexobj(P):
        raise TypeError(f"{name} must be real, got complex values.")
    if P.ndim == 1:
        P = P[:, None]
    if P.ndim != 2 or P.shape[0] == 0 or P.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array of points, got shape "
                         f"{P.shape}.")
    P = np.ascontiguousarray(P, dtype=np.float64)
    if not np.all(np.isfinite(P)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return P


def _check_cost(C):
    """``(C, X, Y, on_the_fly)`` from a matrix or ``(X, Y[, "sqeuclidean"])``."""
    if isinstance(C, tuple):
        if len(C) == 3:
            X, Y, metric = C
            if metric != "sqeuclidean":
                raise ValueError(f'only metric="sqeuclidean" is computed on the fly, got '
                                 f'{metric!r}: pass the cost matrix instead.')
        elif len(C) == 2:
            X, Y = C
        else:
            raise ValueError("a cost given as points is (X, Y) or (X, Y, 'sqeuclidean').")
        X, Y = _check_points(X, "X"), _check_points(Y, "Y")
        if X.shape[1] != Y.shape[1]:
            raise ValueError(f"X and Y must have the same number of columns, got "
                             f"{X.shape[1]} and {Y.shape[1]}.")
        return np.zeros((1, 1)), X, Y, True
    C = np.asarray(C)
    if np.iscomplexobj(C):
        raise TypeError("C must be real, got complex values.")
    if C.ndim != 2 or C.shape[0] == 0 or C.shape[1] == 0:
        raise ValueError(f"C must be a non-empty 2-D cost matrix, got shape {C.shape}.")
    C = np.ascontiguousarray(C, dtype=np.float64)
    if not np.all(np.isfinite(C)):
        raise ValueError("C contains NaN or infinity.")
    empty = np.zeros((1, 1))
    return C, empty, empty, False


@contextlib.contextmanager
def _threads():
    """skreg's numba threads, and one BLAS thread: the solvers' dense linear algebra is on
    vectors, or on systems of n + m unknowns that a busy machine's BLAS threads slow down
    far more than they help (a 300 x 300 Cholesky took 0.4 s instead of 1 ms)."""
    with threadpool_limits(limits=1, user_api="blas"), _numba_threads():
        yield


def _sqeuclidean(X, Y):
    """Squared Euclidean distances between the rows of X and Y (differences, no
    cancellation)."""
    C = np.zeros((X.shape[0], Y.shape[0]))
    for k in range(X.shape[1]):
        C += (X[:, k, None] - Y[None, :, k]) ** 2
    return C


def _check_problem(a, b, n, m, epsilon, tol, max_iter):
    """Weights of equal mass and the settings every OT solver validates the same way."""
    a = _check_weights(a, n, "a")
    b = _check_weights(b, m, "b")
    if abs(a.sum() - b.sum()) > 1e-8 * max(a.sum(), b.sum()):
        raise ValueError(f"a and b must have the same total mass, got {a.sum()!r} and "
                         f"{b.sum()!r} (normalize them, or use unbalanced transport).")
    _positive(epsilon, "epsilon")
    _positive(tol, "tol")
    _positive(max_iter, "max_iter", integer=True)
    return a, b


def _check_relaxation(relaxation):
    _positive(relaxation, "relaxation")
    if not 1.0 <= relaxation < 2.0:
        raise ValueError(f"relaxation must be in [1, 2), got {relaxation}.")
    return float(relaxation)


def _warn_unconverged(res, solver, tol):
    """A ConvergenceWarning naming the solver and the errors reached, if ``res`` is not
    converged."""
    if not res.converged:
        warnings.warn(f"{solver} did not reach tol={tol} in {res.n_iter} iterations (L1 "
                      f"marginal errors {res.marginal_error_a:.2e}, "
                      f"{res.marginal_error_b:.2e}): increase max_iter.", ConvergenceWarning,
                      stacklevel=3)


def _positive(value, name, integer=False):
    kind = numbers.Integral if integer else numbers.Real
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{name} must be {'an int' if integer else 'a number'}, got {value!r}.")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be positive and finite, got {value}.")


def sinkhorn(a, b, C, epsilon, *, method="auto", tol=1e-6, max_iter=100_000, check_every=10,
             epsilon_scaling=0.5, relaxation=1.0, truncation=None, init=None,
             return_plan=True, warn=True):
    r"""Entropic optimal transport between two discrete measures, at any epsilon.

    Solves

    .. math::

        \min_{P \ge 0,\ P 1 = a,\ P^\top 1 = b} \langle P, C\rangle
        + \varepsilon \sum_{ij} P_{ij} (\log P_{ij} - 1)

    by Sinkhorn's algorithm on the dual potentials, with the plan
    :math:`P_{ij} = \exp((f_i + g_j - C_{ij})/\varepsilon)`. Two methods, both stable at any
    ``epsilon``:

    - ``"stabilized"``: the scaling iterations ``u = a / K v``, ``v = b / K^T u`` on the
      kernel ``K = exp((f + g - C) / epsilon)`` (two matrix-vector products per iteration, no
      exponential), whose scalings are absorbed into ``f, g`` (and ``K`` rebuilt) when they
      leave ``[1e-30, 1e30]`` (Schmitzer, 2019);
    - ``"log"``: log-sum-exp updates of ``f`` and ``g`` (an exponential per entry per
      iteration; with ``C = (X, Y)`` the squared distances are computed on the fly, so memory
      is ``O(n + m)``).

    ``epsilon_scaling`` solves a decreasing sequence of epsilons (each warm-started from the
    previous potentials) down to ``epsilon``: small epsilons converge in far fewer
    iterations. Convergence is the L1 error of the marginals, checked every ``check_every``
    iterations.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source weights (non-negative); None means uniform.
    b : array-like of shape (m,) or None
        Target weights, with the same total mass as ``a`` (up to 1e-8 relative).
    C : array-like of shape (n, m), or tuple ``(X, Y)`` / ``(X, Y, "sqeuclidean")``
        Cost matrix, or points whose squared Euclidean distances are the cost.
    epsilon : float
        Entropic regularization, in the units of the cost (POT's ``reg``).
    method : {"auto", "stabilized", "log"}, default="auto"
        "auto": "stabilized" when the dense kernel fits in 2 GiB, else "log".
    tol : float, default=1e-6
        Target L1 error of the marginals, relative to the total mass.
    max_iter : int, default=100000
        Maximum number of iterations over all stages.
    check_every : int, default=10
        Iterations between marginal checks.
    epsilon_scaling : float or None, default=0.5
        Factor in (0, 1) between successive epsilons, starting from the cost's range; None
        solves at ``epsilon`` directly.
    relaxation : float, default=1.0
        Over-relaxation ``omega`` in [1, 2): every half-update moves the potentials ``omega``
        times the Sinkhorn step (``u <- u^(1 - omega) (a / K v)^omega``; Thibault et al.,
        2021); 1 is Sinkhorn, the solution is the same. It pays at moderate epsilon (400
        points, epsilon = 0.01 x median cost: 1240 iterations at 1, 470 at 1.6) but not at
        small epsilon, where the iterations are far from their asymptotic regime (0.001 x
        median: 31430 at 1, 49170 at 1.3): use :func:`sinkhorn_newton_sparse` there. With
        ``omega > 1`` the checks also measure the column error (one more product), and
        ``omega`` is halved towards 1 whenever the error grows between two checks.
    truncation : float or None, default=None
        Kernel truncation (Schmitzer, 2019), for the stabilized method: at every kernel
        rebuild, the entries below ``truncation`` times the largest entry of their row and
        of their column are dropped and the kernel is kept in sparse (CSR) form, so that an
        iteration costs the number of entries kept instead of ``n m``. The scalings are
        absorbed as soon as they leave ``[1e-3, 1e3]``, so a dropped entry stays below
        ``1e6 * truncation`` of the largest plan entry of its row; e.g. 1e-30 changes
        nothing measurable. Pays at small epsilon, where the
        plan is concentrated, not at larger ones (a rebuild evaluates all ``n m`` entries
        three times): 2000 points, 1e-30, epsilon = 0.001 x median cost: 6.9 s instead of
        20.4 s; 0.01 x median: 1.9 s instead of 0.7 s. The final
        marginals are checked on the whole plan, and the iterations continue on the whole
        kernel if the truncated one fell short. Memory: the entries kept.
    init : tuple of ndarray (f, g), default=None
        Initial potentials (a previous result's ``f, g``), e.g. for a nearby problem.
    return_plan : bool, default=True
        Form the plan (n x m floats).
    warn : bool, default=True
        Warn (ConvergenceWarning) when ``tol`` is not reached within ``max_iter``.

    Returns
    -------
    result : OTResult

    See Also
    --------
    sinkhorn_batch : Many problems of equal size, in parallel.
    ot.sinkhorn : POT's Sinkhorn (same plan; its kernel version fails at small epsilon).

    References
    ----------
    B. Schmitzer, "Stabilized sparse scaling algorithms for entropy regularized transport
    problems", SIAM J. Sci. Comput. 41(3), 2019. M. Cuturi, "Sinkhorn distances: lightspeed
    computation of optimal transport", NeurIPS 2013. A. Thibault, L. Chizat, C. Dossal,
    N. Papadakis, "Overrelaxed Sinkhorn-Knopp algorithm for regularized optimal transport",
    Algorithms 14(5), 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.ot import sinkhorn
    >>> x = np.array([[0.0], [1.0], [2.0]])
    >>> y = np.array([[0.5], [2.5]])
    >>> res = sinkhorn(None, [0.5, 0.5], (x, y), epsilon=0.01)
    >>> res.plan.round(3)
    array([[0.333, 0.   ],
           [0.167, 0.167],
           [0.   , 0.333]])
    >>> res.converged
    True
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    pb = _Problem(a, b, C, epsilon, tol, max_iter, init)
    _positive(check_every, "check_every", integer=True)
    if epsilon_scaling is not None:
        _positive(epsilon_scaling, "epsilon_scaling")
        if epsilon_scaling >= 1:
            raise ValueError(f"epsilon_scaling must be in (0, 1), got {epsilon_scaling}.")
    omega = _check_relaxation(relaxation)
    dense_fits = not pb.fly or 8 * pb.n * pb.m <= _DENSE_BYTES
    if truncation is not None:
        _positive(truncation, "truncation")
        if truncation >= 1 or method == "log":
            raise ValueError(f"truncation must be in (0, 1) and needs method='stabilized' or "
                             f"'auto', got {truncation} with method={method!r}.")
        method = "stabilized"
    elif method == "auto":
        method = "stabilized" if dense_fits else "log"
    with _numba_threads():
        if method == "stabilized" and omega == 1.0 and truncation is None and \
                len(pb.a_s) * len(pb.b_s) <= _SERIAL_ENTRIES:
            f, g, n_iter, n_abs = _serial(pb, check_every, epsilon_scaling)
        else:
            f, g, n_iter, n_abs = _run_sinkhorn(pb, pb.f0, pb.g0, epsilon, method,
                                                pb.tol_loop, max_iter, check_every,
                                                epsilon_scaling, omega, truncation)
        res = pb.result(f, g, method, n_iter, n_abs, return_plan)
        if truncation is not None and not res.converged and n_iter < max_iter:
            # converged on the truncated kernel but not on the whole plan (the dropped
            # entries grew): finish on the whole kernel
            f, g, it, absorbed = _run_sinkhorn(pb, f, g, epsilon,
                                               "stabilized" if dense_fits else "log",
                                               pb.tol_loop, max_iter - n_iter, check_every,
                                               None, omega)
            res = pb.result(f, g, method, n_iter + it, n_abs + absorbed, return_plan)
    if warn:
        _warn_unconverged(res, "sinkhorn", tol)
    return res


def _serial(pb, check_every, scaling):
    """The stabilized solve of a small problem on one thread (the kernel of
    :func:`sinkhorn_batch`): ``(f, g, n_iter, n_absorptions)``."""
    sub = pb.sub
    C = _sqeuclidean(sub.X, sub.Y) if sub.fly else sub.C
    f, g = pb.f0.copy(), pb.g0.copy()
    K = np.empty(C.shape)
    n_iter, _, n_abs = solve_dense(C, pb.a_s, pb.b_s, f, g, pb.epsilon,
                                   0.0 if scaling is None else float(scaling), pb.tol_loop,
                                   pb.max_iter, check_every, _BOUND, K)
    return f, g, n_iter, n_abs


def _run_sinkhorn(pb, f, g, epsilon, method, tol_abs, max_iter, check_every, scaling,
                  omega=1.0, truncation=None):
    """Sinkhorn stages on the positive-mass subproblem: ``(f, g, n_iter, n_absorptions)``."""
    n_iter, n_abs = 0, 0
    epsilons = _schedule(pb.sub, epsilon, scaling)
    for k, eps in enumerate(epsilons):
        last = k == len(epsilons) - 1
        stage_tol = tol_abs if last else max(tol_abs, 1e-2 * pb.mass)
        budget = max_iter - n_iter
        if method == "stabilized":
            f, g, it, _, absorbed = _stabilized(pb.sub, pb.a_s, pb.b_s, f, g, eps, stage_tol,
                                                budget, check_every, omega, truncation)
            n_abs += absorbed
        else:
            f, g, it, _ = _log_domain(pb.sub, pb.a_s, pb.b_s, f, g, eps, stage_tol, budget,
                                      check_every, omega)
        n_iter += it
        if n_iter >= max_iter:
            if not last:  # out of iterations in an earlier stage: one exact iteration at
                # epsilon, so that the potentials belong to it
                blocks = _n_blocks(len(f))
                lse_rows(*pb.sub.args(), g, epsilon, np.log(pb.a_s), f)
                lse_cols(*pb.sub.args(), f, epsilon, np.log(pb.b_s), g, blocks)
                n_iter += 1
            break
    return f, g, n_iter, n_abs


class _Problem:
    """Validated inputs of an entropic OT solve, restricted to the points of positive mass,
    and the construction of its result."""

    def __init__(self, a, b, C, epsilon, tol, max_iter, init):
        C, X, Y, fly = _check_cost(C)
        n, m = (X.shape[0], Y.shape[0]) if fly else C.shape
        a, b = _check_problem(a, b, n, m, epsilon, tol, max_iter)
        self.C, self.X, self.Y, self.fly = C, X, Y, fly
        self.n, self.m, self.a, self.b = n, m, a, b
        self.epsilon, self.mass = float(epsilon), float(a.sum())
        self.tol_abs, self.max_iter = tol * self.mass, max_iter
        # the iterations measure the error on the scaled kernel, the result recomputes it
        # from the potentials (rounding differs by ~1e-4 relative): they stop 1% below tol
        self.tol_loop = 0.99 * self.tol_abs
        # points of zero mass take no part; their potentials are c-transforms at the end
        self.ia, self.jb = np.flatnonzero(a > 0), np.flatnonzero(b > 0)
        self.sub = _Subproblem(C, X, Y, fly, self.ia, self.jb, n, m)
        self.a_s, self.b_s = a[self.ia], b[self.jb]
        if init is not None:
            f, g = (np.array(p, dtype=np.float64) for p in init)
            if f.shape != (n,) or g.shape != (m,) or not (np.all(np.isfinite(f))
                                                            and np.all(np.isfinite(g))):
                raise ValueError(f"init must be finite potentials of shapes ({n},) and "
                                 f"({m},).")
            self.f0, self.g0 = f[self.ia], g[self.jb]
        else:
            self.f0, self.g0 = np.zeros(len(self.ia)), np.zeros(len(self.jb))

    def sums(self, f, g):
        """Row sums, column sums, ``<P, C>`` and the dual objective at ``(f, g)``."""
        rows, cols = np.empty(len(f)), np.empty(len(g))
        cost = plan_sums(*self.sub.args(), f, g, self.epsilon, rows, cols, _n_blocks(len(f)))
        dual = float(f @ self.a_s + g @ self.b_s - self.epsilon * rows.sum())
        return rows, cols, float(cost), dual

    def result(self, f, g, method, n_iter, n_abs, return_plan, **extra):
        """The result at ``(f, g)``: exact marginals, cost and objective from the potentials."""
        eps, n, m = self.epsilon, self.n, self.m
        rows, cols, cost, dual = self.sums(f, g)
        err_a = float(np.abs(rows - self.a_s).sum())
        err_b = float(np.abs(cols - self.b_s).sum())
        f_full, g_full = self.sub.extend(f, g, eps)
        plan = None
        if return_plan and 8 * n * m <= _DENSE_BYTES * (1 if self.fly else 4):
            plan = np.zeros((n, m))
            K = np.empty((len(self.ia), len(self.jb)))
            build_kernel(*self.sub.args(), f, g, eps, K)
            plan[np.ix_(self.ia, self.jb)] = K
        converged = max(err_a, err_b) <= self.tol_abs
        return OTResult(f_full, g_full, plan, cost, dual, int(n_iter), bool(converged), err_a,
                        err_b, eps, method, int(n_abs),
                        _cost_args=(self.C, self.X, self.Y, self.fly, self.a > 0, self.b > 0),
                        **extra)


class _Subproblem:
    """The cost restricted to the points of positive mass (no copy when none is zero)."""

    def __init__(self, C, X, Y, fly, ia, jb, n, m):
        self.full = (C, X, Y, fly)
        self.ia, self.jb = ia, jb
        whole = len(ia) == n and len(jb) == m
        if fly:
            self.C, self.X, self.Y = C, (X if whole else X[ia]), (Y if whole else Y[jb])
        else:
            self.C = C if whole else np.ascontiguousarray(C[np.ix_(ia, jb)])
            self.X, self.Y = X, Y
        self.fly = fly

    def args(self):
        return self.C, self.X, self.Y, self.fly

    def cost_range(self):
        if not self.fly:
            return float(self.C.max() - self.C.min())
        lo = np.minimum(self.X.min(axis=0), self.Y.min(axis=0))
        hi = np.maximum(self.X.max(axis=0), self.Y.max(axis=0))
        return float(np.sum((hi - lo) ** 2))

    def extend(self, f, g, eps):
        """Potentials on all points: c-transforms for the points of zero mass."""
        C, X, Y, fly = self.full
        n = X.shape[0] if fly else C.shape[0]
        m = Y.shape[0] if fly else C.shape[1]
        if len(f) == n and len(g) == m:
            return f, g
        f_full, g_full = np.empty(n), np.empty(m)
        g_full[self.jb], f_full[self.ia] = g, f
        if len(f) < n:  # f_i = -eps LSE_j((g_j - C_ij)/eps) over the positive-mass j
            Cs = C[:, self.jb] if not fly else C
            Ys = Y[self.jb] if fly else Y
            out = np.empty(n)
            lse_rows(np.ascontiguousarray(Cs), X, Ys, fly, g, eps, np.zeros(n), out)
            mask = np.ones(n, bool)
            mask[self.ia] = False
            f_full[mask] = out[mask]
        if len(g) < m:
            Cs = C[self.ia] if not fly else C
            Xs = X[self.ia] if fly else X
            out = np.empty(m)
            lse_cols(np.ascontiguousarray(Cs), Xs, Y, fly, f, eps, np.zeros(m), out,
                     _n_blocks(len(f)))
            mask = np.ones(m, bool)
            mask[self.jb] = False
            g_full[mask] = out[mask]
        return f_full, g_full


def _schedule(sub, epsilon, factor):
    if factor is None:
        return [epsilon]
    start = max(sub.cost_range(), epsilon)
    eps = [epsilon]
    while eps[-1] / factor < start:
        eps.append(eps[-1] / factor)
    return eps[::-1]


def _stabilized(sub, a, b, f, g, eps, tol, budget, check_every, omega=1.0, truncation=None):
    n, m = len(a), len(b)
    # a truncated kernel: scalings absorbed early (bound 1e3), so that a dropped entry stays
    # below 1e6 x truncation x the largest entry of its row in the plan until the next rebuild
    sparse = truncation is not None
    bound = _BOUND_TRUNCATED if sparse else _BOUND
    K = np.empty((0, 0) if sparse else (n, m))
    indptr, indices, data = np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0)
    u, v = np.ones(n), np.ones(m)
    it_total, absorbed = 0, 0
    err = np.inf
    blocks = _n_blocks(n)
    while True:
        if sparse:
            indptr, indices, data = _truncated_kernel(sub, f, g, eps, truncation)
        else:
            build_kernel(*sub.args(), f, g, eps, K)
        absorbed += 1
        u[:], v[:] = 1.0, 1.0
        it, err, code, omega = scaling_loop(K, indptr, indices, data, sparse, a, b, u, v,
                                            max(budget - it_total, 0), check_every, tol, bound,
                                            blocks, omega, err)
        it_total += it
        f = f + eps * np.log(u)
        g = g + eps * np.log(v)
        if code == DEGENERATE and it_total < budget:
            # a row of K underflowed: one exact log-domain step, then a new kernel; g last,
            # so the columns are exact, as the scaling loop's row check assumes
            lse_rows(*sub.args(), g, eps, np.log(a), f)
            lse_cols(*sub.args(), f, eps, np.log(b), g, blocks)
            it_total += 1
            continue
        if code != ABSORB or it_total >= budget:
            return f, g, it_total, err, absorbed


def _truncated_kernel(sub, f, g, eps, truncation):
    """The kernel at ``(f, g)`` without its entries below ``truncation`` times the largest
    entry of their row and of their column (so no row or column is empty), in CSR form."""
    n, m = len(f), len(g)
    rowmin, colmin = np.empty(n), np.empty(m)
    reduced_minima(*sub.args(), f, g, rowmin, colmin, _n_blocks(n))
    width = -eps * np.log(truncation)
    counts = np.empty(n, dtype=np.int64)
    count_kernel(*sub.args(), f, g, rowmin, colmin, width, counts)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices, data = np.empty(indptr[-1], dtype=np.int64), np.empty(indptr[-1])
    fill_kernel(*sub.args(), f, g, eps, rowmin, colmin, width, indptr, indices, data)
    return indptr, indices, data


def _log_domain(sub, a, b, f, g, eps, tol, budget, check_every, omega=1.0):
    log_a, log_b = np.log(a), np.log(b)
    blocks = _n_blocks(len(a))
    rows, cols = np.empty(len(a)), np.empty(len(b))
    f_new, g_new = np.empty(len(a)), np.empty(len(b))
    err = np.inf
    it = 0
    while it < budget:
        if omega == 1.0:
            lse_cols(*sub.args(), f, eps, log_b, g, blocks)
            lse_rows(*sub.args(), g, eps, log_a, f)
        else:  # over-relaxed: a step of omega times the Sinkhorn step
            lse_cols(*sub.args(), f, eps, log_b, g_new, blocks)
            g += omega * (g_new - g)
            lse_rows(*sub.args(), g, eps, log_a, f_new)
            f += omega * (f_new - f)
        it += 1
        if it % check_every == 0 or it >= budget:
            # after an exact f-update the rows are exact: measure the columns
            plan_sums(*sub.args(), f, g, eps, rows, cols, blocks)
            e = float(np.abs(cols - b).sum())
            if omega != 1.0:
                e += float(np.abs(rows - a).sum())
                if e > err:
                    omega = 1.0 + 0.5 * (omega - 1.0) if omega > 1.01 else 1.0
            err = e
            if err <= tol:
                break
    return f, g, it, err
