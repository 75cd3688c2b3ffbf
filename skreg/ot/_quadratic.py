"""Quadratically regularized and sparsity-constrained optimal transport (sparse plans).

Both problems are solved by L-BFGS (scipy's L-BFGS-B, unconstrained) on a concave dual:

- quadratic regularization (Blondel, Seguy & Rolet, 2018):
  ``min_{P in U(a, b)} <P, C> + (eps / 2) ||P||_F^2`` through its smooth dual in ``(f, g)``
  or its smooth semi-dual in ``f``; the plan ``P = [f 1^T + 1 g^T - C]_+ / eps`` has exact
  zeros;
- sparsity constraints (Liu, Puigcerver & Blondel, 2023): the same problem with at most ``k``
  nonzeros per column of the plan, through its semi-dual, whose column problems are top-k
  restricted projections onto the simplex.

Precision. Near the optimum the dual objective changes by far less than its own magnitude
times the machine precision, and L-BFGS's line search stalls (at marginal errors of about
1e-8 of the mass when the objective is summed naively). The solvers therefore restart L-BFGS
after absorbing the current potentials into the cost (``C <- C - f 1^T - 1 g^T``, as the
stabilized Sinkhorn absorbs its scalings), and the numba kernels evaluate the objective
relative to the absorbed point, entry by entry: where the support of the plan (of a column,
for the semi-duals) is unchanged, the change of ``||P||^2`` is computed from the shift of the
potentials alone, without cancellation. Marginal errors of 1e-12 of the mass are then
reachable. The kernels are serial below 2^16 entries and parallel (blocks of rows, or of
columns) above.
"""

import numpy as np
from numba import get_num_threads, njit, prange
from scipy.optimize import minimize

from ._kernels import _n_blocks, sum_blocks
from ._sinkhorn import (
    OTResult,
    _check_cost,
    _check_problem,
    _positive,
    _sqeuclidean,
    _threads,
    _warn_unconverged,
)

FORMULATIONS = ("dual", "semi-dual")
_MAXCOR = 20  # L-BFGS memory
# restarts in a row that do not halve the best marginal error before the solver gives up
_MAX_STALLS = 5
# top-k column supports by insertion up to this k (beyond: a sort)
_INSERTION_K = 32
# plans of fewer entries are evaluated by the serial kernels
_PARALLEL_MIN = 1 << 16


def _sumsq(A):
    # not np.vdot: a multithreaded BLAS dot is far slower than this loop on a loaded machine
    return float(np.einsum("ij,ij->", A, A))


# ---------------------------------------------------------------------------------------------
# numba kernels. The cost C is the cost with the potentials of the last absorbed point
# subtracted, so the plan at the absorbed point is P0 = [-C]_+ / eps (dual) and the
# objectives are evaluated relative to that point, entry by entry, exactly where the plan's
# support does not change (see the module notes).


@njit(cache=True, nogil=True)
def _dual_block(C, yf, yg, eps, i0, i1, rows, cols):
    """Rows ``i0:i1`` of ``P = [yf_i + yg_j - C_ij]_+ / eps``: their sums into ``rows``, added
    into ``cols``; returns their part of ``(eps / 2)(||P||^2 - ||P0||^2)``, computed as
    ``eps sum_ij D_ij (P0_ij + D_ij / 2)`` with ``D = P - P0 = (yf_i + yg_j) / eps`` where
    both are positive."""
    m = C.shape[1]
    inv = 1.0 / eps
    v = 0.0
    for i in range(i0, i1):
        r = 0.0
        for j in range(m):
            t0 = -C[i, j]
            s = yf[i] + yg[j]
            t = t0 + s
            if t > 0.0:
                p = t * inv
                r += p
                cols[j] += p
                if t0 > 0.0:
                    d = s * inv
                    v += d * (t0 * inv + 0.5 * d)
                else:
                    v += 0.5 * p * p
            elif t0 > 0.0:
                p0 = t0 * inv
                v -= 0.5 * p0 * p0
        rows[i] = r
    return eps * v


@njit(cache=True, nogil=True, parallel=True)
def _dual_eval_parallel(C, yf, yg, eps, rows, cols, n_blocks):
    """:func:`_dual_block` on all rows, blocks of rows in parallel."""
    n, m = C.shape
    acc = np.zeros((n_blocks, m))
    vals = np.zeros(n_blocks)
    for blk in prange(n_blocks):
        vals[blk] = _dual_block(C, yf, yg, eps, blk * n // n_blocks,
                                (blk + 1) * n // n_blocks, rows, acc[blk])
    sum_blocks(acc, cols)
    return vals.sum()


@njit(cache=True, nogil=True)
def _column_support(CT, j, y, gamma, k, idx, buf):
    """Top-k restricted projection of ``z = y - CT[j]`` onto ``{p >= 0, sum(p) = gamma}``.

    Returns ``(rho, theta)`` and writes the support into ``idx[:rho]``: among the ``k``
    largest entries of ``z``, those above the threshold ``theta``; ``p = z - theta`` there,
    0 elsewhere. Ties for the ``k``-th place go to the rows that follow ``j n / m``
    cyclically, so that tied columns spread over the rows instead of piling on the first
    ones (e.g. a cost with ties, k = 1). The threshold is found by Michelot's algorithm
    (exact, no sort).
    """
    n = y.shape[0]
    start = (j * n) // CT.shape[0]
    if k >= n:
        for i in range(n):
            idx[i] = i
        cnt = n
    elif k <= _INSERTION_K:
        # the k largest, kept in decreasing order in buf
        cnt = 0
        for t in range(n):
            i = start + t
            if i >= n:
                i -= n
            z = y[i] - CT[j, i]
            if cnt == k and z <= buf[k - 1]:
                continue
            pos = cnt if cnt < k else k - 1
            while pos > 0 and buf[pos - 1] < z:
                buf[pos] = buf[pos - 1]
                idx[pos] = idx[pos - 1]
                pos -= 1
            buf[pos] = z
            idx[pos] = i
            if cnt < k:
                cnt += 1
    else:
        z = np.empty(n)
        for t in range(n):
            i = start + t
            if i >= n:
                i -= n
            z[t] = CT[j, i] - y[i]
        order = np.argsort(z, kind="mergesort")
        for t in range(k):
            i = start + order[t]
            idx[t] = i - n if i >= n else i
        cnt = k
    while True:
        s = 0.0
        for t in range(cnt):
            s += y[idx[t]] - CT[j, idx[t]]
        theta = (s - gamma) / cnt
        kept = 0
        for t in range(cnt):
            i = idx[t]
            if y[i] - CT[j, i] > theta:
                idx[kept] = i
                kept += 1
        if kept == cnt or kept == 0:
            # kept == 0: every candidate rounds onto the threshold (gamma below the rounding
            # of z): they share gamma, p = z - theta at rounding level on each
            return cnt, theta
        cnt = kept


@njit(cache=True, nogil=True)
def _semi_block(CT, y, b, k, eps, theta0, rho0, M0, j0, j1, rows):
    """Column projections ``j0:j1`` at ``y``: their plan's row sums added into ``rows``, and
    their part of the semi-dual's change ``sum_j b_j (theta_j - theta0_j)
    + (eps / 2)(||P_j||^2 - ||P0_j||^2)`` from ``y = 0`` (exact in terms of ``y`` for the
    columns whose support is unchanged)."""
    n = CT.shape[1]
    inv = 1.0 / eps
    idx = np.empty(n, np.int64)
    buf = np.empty(k)
    v = 0.0
    for j in range(j0, j1):
        rho, th = _column_support(CT, j, y, eps * b[j], k, idx, buf)
        same = rho == rho0[j]
        sy = 0.0
        if same:
            for t in range(rho):
                if not M0[j, idx[t]]:
                    same = False
                    break
                sy += y[idx[t]]
        w = 0.0
        for t in range(rho):
            i = idx[t]
            p = (y[i] - CT[j, i] - th) * inv
            rows[i] += p
            if not same:
                w += 0.5 * p * p
        if same:
            dth = sy / rho
            for t in range(rho):
                i = idx[t]
                d = (y[i] - dth) * inv
                w += d * ((-CT[j, i] - theta0[j]) * inv + 0.5 * d)
            v += b[j] * dth + eps * w
        else:
            for i in range(n):
                if M0[j, i]:
                    p0 = (-CT[j, i] - theta0[j]) * inv
                    w -= 0.5 * p0 * p0
            v += b[j] * (th - theta0[j]) + eps * w
    return v


@njit(cache=True, nogil=True, parallel=True)
def _semi_eval_parallel(CT, y, b, k, eps, theta0, rho0, M0, rows, n_blocks):
    """:func:`_semi_block` on all columns (``rows`` is overwritten), blocks in parallel."""
    m, n = CT.shape
    acc = np.zeros((n_blocks, n))
    vals = np.zeros(n_blocks)
    for blk in prange(n_blocks):
        vals[blk] = _semi_block(CT, y, b, k, eps, theta0, rho0, M0, blk * m // n_blocks,
                                (blk + 1) * m // n_blocks, acc[blk])
    sum_blocks(acc, rows)
    return vals.sum()


@njit(cache=True, nogil=True)
def _semi_plan_block(CT, y, b, k, eps, j0, j1, PT, M, rho, theta):
    """Columns ``j0:j1``: transposed plan ``PT``, support ``M``, sizes and thresholds."""
    n = CT.shape[1]
    idx = np.empty(n, np.int64)
    buf = np.empty(k)
    for j in range(j0, j1):
        r, th = _column_support(CT, j, y, eps * b[j], k, idx, buf)
        rho[j] = r
        theta[j] = th
        for i in range(n):
            PT[j, i] = 0.0
            M[j, i] = False
        for t in range(r):
            i = idx[t]
            PT[j, i] = (y[i] - CT[j, i] - th) / eps
            M[j, i] = True


@njit(cache=True, nogil=True, parallel=True)
def _semi_plan_parallel(CT, y, b, k, eps, PT, M, rho, theta, n_blocks):
    m = CT.shape[0]
    for blk in prange(n_blocks):
        _semi_plan_block(CT, y, b, k, eps, blk * m // n_blocks, (blk + 1) * m // n_blocks, PT,
                         M, rho, theta)


def _blocks(n, size):
    """Blocks of rows (columns) for the parallel kernels; 1: the serial kernel, below
    ``_PARALLEL_MIN`` entries (thread launches cost more than they save there)."""
    return _n_blocks(n) if size >= _PARALLEL_MIN and get_num_threads() > 1 else 1


# ---------------------------------------------------------------------------------------------
# oracles: objective (to minimize: the negated dual, relative to the last absorbed point) and
# gradient in the shift y of the potentials from that point, and the absorption itself


class _DualOracle:
    """``-<f, a> - <g, b> + (eps / 2) ||[f + g - C]_+ / eps||^2`` over ``y = (f, g)``."""

    def __init__(self, Cr, a, b, eps):
        self.C, self.a, self.b, self.eps = Cr, a, b, eps
        self.n, self.m = Cr.shape
        self.f, self.g = np.zeros(self.n), np.zeros(self.m)
        self.n_var = self.n + self.m
        self.rows, self.cols = np.empty(self.n), np.empty(self.m)
        self.n_blocks = _blocks(self.n, self.n * self.m)

    def __call__(self, y):
        yf, yg = y[:self.n], y[self.n:]
        if self.n_blocks > 1:
            value = _dual_eval_parallel(self.C, yf, yg, self.eps, self.rows, self.cols,
                                        self.n_blocks)
        else:
            self.cols[:] = 0.0
            value = _dual_block(self.C, yf, yg, self.eps, 0, self.n, self.rows, self.cols)
        value += -(yf @ self.a) - yg @ self.b
        grad = np.concatenate([self.rows - self.a, self.cols - self.b])
        err = max(np.abs(grad[:self.n]).sum(), np.abs(grad[self.n:]).sum())
        return value, grad, err

    def absorb(self, y):
        df, dg = y[:self.n], y[self.n:]
        self.C -= df[:, None]
        self.C -= dg[None, :]
        self.f += df
        self.g += dg

    def solution(self):
        """Potentials and plan at the absorbed point."""
        P = np.maximum(-self.C, 0.0)
        P *= 1.0 / self.eps
        return self.f.copy(), self.g.copy(), P


class _SemiDualOracle:
    """``-<f, a> + sum_j b_j max_{q in simplex, ||q||_0 <= k} <q, f - C_j> - eps b_j ||q||^2/2``.

    The cost is stored transposed (one contiguous row per column of the plan). The column
    thresholds give ``g = -theta``, so the objective is ``-<f, a> - <g, b> + (eps/2)||P||^2``.
    """

    def __init__(self, Cr, a, b, eps, k):
        self.CT = np.ascontiguousarray(Cr.T)
        self.a, self.b, self.eps = a, b, eps
        self.m, self.n = self.CT.shape
        self.k = min(k, self.n)
        self.f, self.g = np.zeros(self.n), np.zeros(self.m)
        self.n_var = self.n
        self.rows = np.empty(self.n)
        self.n_blocks = _blocks(self.m, self.n * self.m)
        self.PT = np.empty((self.m, self.n))
        self.M0 = np.empty((self.m, self.n), dtype=np.bool_)
        self.rho0 = np.empty(self.m, dtype=np.int64)
        self.theta0 = np.empty(self.m)
        self._state(np.zeros(self.n))

    def _state(self, y):
        args = (self.CT, y, self.b, self.k, self.eps)
        if self.n_blocks > 1:
            _semi_plan_parallel(*args, self.PT, self.M0, self.rho0, self.theta0, self.n_blocks)
        else:
            _semi_plan_block(*args, 0, self.m, self.PT, self.M0, self.rho0, self.theta0)

    def __call__(self, y):
        args = (self.CT, y, self.b, self.k, self.eps, self.theta0, self.rho0, self.M0)
        if self.n_blocks > 1:
            value = _semi_eval_parallel(*args, self.rows, self.n_blocks)
        else:
            self.rows[:] = 0.0
            value = _semi_block(*args, 0, self.m, self.rows)
        value -= y @ self.a
        grad = self.rows - self.a
        return value, grad, np.abs(grad).sum()

    def absorb(self, y):
        self._state(y)
        theta = self.theta0.copy()
        self.CT -= y[None, :]
        self.CT += theta[:, None]
        self.f += y
        self.g -= theta
        self._state(np.zeros(self.n))

    def solution(self):
        return self.f.copy(), self.g - self.theta0, np.ascontiguousarray(self.PT.T)


class _Stop(Exception):
    """Raised by the L-BFGS callback once the marginal error is at most the tolerance."""


def _lbfgs(oracle, tol_abs, max_iter):
    """L-BFGS restarts from absorbed points: ``(f, g, plan, n_iter)`` at the point of least
    marginal error."""
    zero = np.zeros(oracle.n_var)
    best_err = oracle(zero)[2]
    best = oracle.solution()
    n_iter, stalls = 0, 0
    last = {}

    def fun(y):
        value, grad, last["err"] = oracle(y)
        return value, grad

    def callback(xk):  # one call per iteration, at the new iterate (the last evaluated point)
        last["x"], last["nit"] = np.array(xk), last["nit"] + 1
        if last["err"] <= tol_abs:
            raise _Stop

    while best_err > tol_abs and n_iter < max_iter and stalls < _MAX_STALLS:
        last["x"], last["nit"] = zero, 0
        try:
            res = minimize(fun, zero, jac=True, method="L-BFGS-B", callback=callback,
                           options={"maxiter": max_iter - n_iter, "maxcor": _MAXCOR,
                                    "ftol": 0.0, "gtol": 0.0})
            x = res.x
        except _Stop:
            x = last["x"]
        n_iter += last["nit"]
        if last["nit"] == 0 or not np.all(np.isfinite(x)):
            break
        # L-BFGS-B decreased the objective: go on from there, remember the best point
        oracle.absorb(x)
        err = oracle(zero)[2]
        stalls = 0 if err <= 0.5 * best_err else stalls + 1
        if err < best_err:
            best_err, best = err, oracle.solution()
    f, g, P = best
    return f, g, P, n_iter


# ---------------------------------------------------------------------------------------------
# problem set-up and result


class _QuadProblem:
    """Validated inputs, restricted to the points of positive mass, with the cost reduced
    (row then column minima subtracted: the plan does not change), and the result."""

    def __init__(self, a, b, C, epsilon, tol, max_iter):
        C, X, Y, fly = _check_cost(C)
        if fly:
            C = _sqeuclidean(X, Y)
        n, m = C.shape
        a, b = _check_problem(a, b, n, m, epsilon, tol, max_iter)
        self.C, self.a, self.b, self.n, self.m = C, a, b, n, m
        self.epsilon, self.mass = float(epsilon), float(a.sum())
        self.tol_abs = tol * self.mass
        self.ia, self.jb = np.flatnonzero(a > 0), np.flatnonzero(b > 0)
        Cs = C if (len(self.ia) == n and len(self.jb) == m) else C[np.ix_(self.ia, self.jb)]
        self.u = Cs.min(axis=1)
        Cr = Cs - self.u[:, None]  # a new array: the user's C is never written
        self.v = Cr.min(axis=0)
        Cr -= self.v[None, :]
        self.Cr = Cr
        self.a_s, self.b_s = a[self.ia], b[self.jb]

    def result(self, f, g, P, n_iter, method):
        n, m, C = self.n, self.m, self.C
        f = f + self.u
        g = g + self.v
        plan = np.zeros((n, m))
        plan[np.ix_(self.ia, self.jb)] = P
        f_full, g_full = np.empty(n), np.empty(m)
        f_full[self.ia], g_full[self.jb] = f, g
        # points of zero mass: the largest potential that keeps their row / column empty
        # (f_i + g_j <= C_ij on it)
        if len(self.jb) < m:
            mask = np.ones(m, bool)
            mask[self.jb] = False
            g_full[mask] = (C[np.ix_(self.ia, mask)] - f[:, None]).min(axis=0)
        if len(self.ia) < n:
            mask = np.ones(n, bool)
            mask[self.ia] = False
            f_full[mask] = (C[mask] - g_full[None, :]).min(axis=1)
        err_a = float(np.abs(plan.sum(axis=1) - self.a).sum())
        err_b = float(np.abs(plan.sum(axis=0) - self.b).sum())
        cost = float(np.einsum("ij,ij->", plan, C))
        objective = cost + 0.5 * self.epsilon * _sumsq(plan)
        converged = max(err_a, err_b) <= self.tol_abs
        return OTResult(f_full, g_full, plan, cost, objective, int(n_iter), bool(converged),
                        err_a, err_b, self.epsilon, method)


# ---------------------------------------------------------------------------------------------
# public solvers


def quadratic_ot(a, b, C, epsilon, *, formulation="dual", tol=1e-6, max_iter=1000,
                 warn=True):
    r"""Quadratically regularized optimal transport: sparse plans from a smooth dual.

    Solves (Blondel, Seguy & Rolet, 2018)

    .. math::

        \min_{P \ge 0,\ P 1 = a,\ P^\top 1 = b} \langle P, C\rangle
        + \frac{\varepsilon}{2} \|P\|_F^2

    by L-BFGS on one of its two smooth concave duals:

    - ``"dual"``: :math:`\max_{f, g} \langle f, a\rangle + \langle g, b\rangle
      - \frac{1}{2\varepsilon} \sum_{ij} [f_i + g_j - C_{ij}]_+^2`, whose gradient is the
      marginal error of the plan :math:`P = [f 1^\top + 1 g^\top - C]_+ / \varepsilon`;
    - ``"semi-dual"``: :math:`\max_f \langle f, a\rangle - \sum_j b_j \max_{q \in \Delta}
      \big(\langle q, f - C_{:j}\rangle - \frac{\varepsilon b_j}{2}\|q\|^2\big)`, whose
      inner maximizer is the Euclidean projection of :math:`(f - C_{:j}) / (\varepsilon b_j)`
      onto the simplex (closed form by sorting); column ``j`` of the plan is ``b_j`` times
      it, so the columns sum to ``b`` exactly, and the threshold of the projection gives
      ``g_j`` (the plan is again :math:`[f_i + g_j - C_{ij}]_+ / \varepsilon`).

    Unlike the entropic plan, this one has exact zeros: every point is matched with few
    others, the fewer the smaller ``epsilon``. As ``epsilon -> 0`` the cost tends to that of
    the unregularized problem (``<P, C> <= emd + (epsilon / 2) ||P_emd||^2``), and below
    some epsilon the plan is an optimal plan of it (exact regularization of linear programs);
    as ``epsilon`` grows the plan spreads towards the coupling of least Frobenius norm
    (``a_i / m + b_j / n - mass / (n m)``, the independent coupling for uniform weights),
    which it is up to ``-Pi(C) / epsilon`` once positive. L-BFGS is restarted from absorbed
    potentials (see the module notes), so marginal errors down to about 1e-12 of the mass
    are reachable. Small epsilons (compared with the cost's range times the number of
    entries of the plan) make the duals ill-conditioned: the semi-dual (``n`` variables,
    columns exact) then needs several times fewer iterations than the dual.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source weights (non-negative); None means uniform.
    b : array-like of shape (m,) or None
        Target weights, with the same total mass as ``a`` (up to 1e-8 relative).
    C : array-like of shape (n, m), or tuple ``(X, Y)`` / ``(X, Y, "sqeuclidean")``
        Cost matrix, or points whose squared Euclidean distances are the cost (the matrix is
        formed).
    epsilon : float
        Quadratic regularization, in the units of the cost times those of ``1 / P``.
    formulation : {"dual", "semi-dual"}, default="dual"
        Which concave dual L-BFGS maximizes; both give the same plan.
    tol : float, default=1e-6
        Target L1 error of the marginals (the larger of the two), relative to the total mass.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations, over all restarts.
    warn : bool, default=True
        Warn (ConvergenceWarning) when ``tol`` is not reached within ``max_iter``.

    Returns
    -------
    result : OTResult
        ``plan`` is a dense ndarray of shape (n, m) with exact zeros; ``f, g`` the
        potentials (``plan = [f_i + g_j - C_ij]_+ / epsilon`` on the rows and columns of
        positive mass; a point of zero mass gets the largest potential that keeps its row or
        column empty); ``cost = <P, C>``; ``objective`` the primal objective
        ``<P, C> + (epsilon / 2) ||P||_F^2`` at the returned plan; ``n_iter`` the L-BFGS
        iterations (over all restarts); ``converged`` whether the larger marginal error is at
        most ``tol`` times the mass; ``method`` "quadratic-dual" or "quadratic-semi-dual".

    See Also
    --------
    sinkhorn : Entropic regularization (dense plans).
    sparsity_constrained_ot : At most ``k`` nonzeros per column of the plan.
    skreg.reference.quadratic_ot : The same problem solved by cvxpy (Clarabel).
    ot.smooth.smooth_ot_dual : POT's solver of the same dual (``reg_type="l2"``).

    References
    ----------
    M. Blondel, V. Seguy, A. Rolet, "Smooth and sparse optimal transport", AISTATS 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.ot import quadratic_ot
    >>> x = np.array([[0.0], [1.0], [2.0]])
    >>> y = np.array([[0.5], [2.5]])
    >>> res = quadratic_ot(None, [0.5, 0.5], (x, y), epsilon=1.0, tol=1e-9)
    >>> res.plan.round(4) + 0.0
    array([[0.3333, 0.    ],
           [0.1667, 0.1667],
           [0.    , 0.3333]])
    >>> res.converged
    True
    """
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation must be one of {FORMULATIONS}, got {formulation!r}.")
    pb = _QuadProblem(a, b, C, epsilon, tol, max_iter)
    with _threads():
        if formulation == "dual":
            oracle = _DualOracle(pb.Cr, pb.a_s, pb.b_s, pb.epsilon)
        else:
            oracle = _SemiDualOracle(pb.Cr, pb.a_s, pb.b_s, pb.epsilon, pb.Cr.shape[0])
        f, g, P, n_iter = _lbfgs(oracle, pb.tol_abs, max_iter)
    res = pb.result(f, g, P, n_iter, "quadratic-" + formulation)
    if warn:
        _warn_unconverged(res, "quadratic_ot", tol)
    return res


def sparsity_constrained_ot(a, b, C, epsilon, k, *, tol=1e-6, max_iter=1000, warn=True):
    r"""Optimal transport with at most ``k`` nonzeros per column of the plan.

    The quadratically regularized problem of :func:`quadratic_ot` with a cardinality
    constraint on every column of the plan (Liu, Puigcerver & Blondel, 2023):

    .. math::

        \min_{P \ge 0,\ P 1 = a,\ P^\top 1 = b,\ \|P_{:j}\|_0 \le k}
        \langle P, C\rangle + \frac{\varepsilon}{2} \|P\|_F^2,

    solved by L-BFGS on its semi-dual

    .. math::

        \max_f \langle f, a\rangle - \sum_j b_j \max_{q \in \Delta,\ \|q\|_0 \le k}
        \Big(\langle q, f - C_{:j}\rangle - \frac{\varepsilon b_j}{2}\|q\|^2\Big),

    concave (a maximum of functions linear in ``f``) but nonsmooth; its inner maximizer is
    the projection onto the simplex of the ``k`` largest entries of
    :math:`(f - C_{:j}) / (\varepsilon b_j)` (0 elsewhere), and column ``j`` of the plan is
    ``b_j`` times it: every column has at most ``k`` nonzeros and sums to ``b_j``. With
    ``k = n`` (or any ``k`` at least the column supports of the solution) this is
    :func:`quadratic_ot`; with ``k = 1`` each column goes to one row, and on uniform square
    problems the plan is an optimal permutation (divided by ``n``) of the unregularized
    problem.

    The cardinality constraint is not convex: at a nondifferentiable optimum of the
    semi-dual, the plan from one inner maximizer per column may not match ``a`` exactly
    (the row marginals are then only approximately met and ``converged`` is False; the
    columns always sum to ``b``).

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source weights (non-negative); None means uniform.
    b : array-like of shape (m,) or None
        Target weights, with the same total mass as ``a`` (up to 1e-8 relative).
    C : array-like of shape (n, m), or tuple ``(X, Y)`` / ``(X, Y, "sqeuclidean")``
        Cost matrix, or points (squared Euclidean cost).
    epsilon : float
        Quadratic regularization.
    k : int
        Maximum number of nonzeros per column of the plan, in ``[1, n]``.
    tol : float, default=1e-6
        Target L1 error of the row marginals, relative to the total mass.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations, over all restarts.
    warn : bool, default=True
        Warn (ConvergenceWarning) when ``tol`` is not reached within ``max_iter``.

    Returns
    -------
    result : OTResult
        As in :func:`quadratic_ot` (dense plan, ``objective`` the primal objective at the
        plan), ``method`` "sparsity-constrained"; ``g_j`` is minus the threshold of column
        ``j``'s projection (the plan is ``[f_i + g_j - C_ij]_+ / epsilon`` on the ``k``
        kept rows of each column).

    References
    ----------
    T. Liu, J. Puigcerver, M. Blondel, "Sparsity-constrained optimal transport", ICLR 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.ot import sparsity_constrained_ot
    >>> C = np.array([[0.0, 1.0, 4.0], [1.0, 0.0, 1.0], [4.0, 1.0, 0.0]])
    >>> res = sparsity_constrained_ot(None, None, C, epsilon=10.0, k=1)
    >>> res.plan * 3
    array([[1., 0., 0.],
           [0., 1., 0.],
           [0., 0., 1.]])
    """
    pb = _QuadProblem(a, b, C, epsilon, tol, max_iter)
    _positive(k, "k", integer=True)
    if k > pb.n:
        raise ValueError(f"k must be at most the number of rows of the plan, {pb.n}; got "
                         f"{k}.")
    with _threads():
        oracle = _SemiDualOracle(pb.Cr, pb.a_s, pb.b_s, pb.epsilon, int(k))
        f, g, P, n_iter = _lbfgs(oracle, pb.tol_abs, max_iter)
    res = pb.result(f, g, P, n_iter, "sparsity-constrained")
    if warn:
        _warn_unconverged(res, "sparsity_constrained_ot", tol)
    return res
