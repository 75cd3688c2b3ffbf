"""Class-based optimal transport: group-lasso and sum-of-norms regularized plans.

Both problems add a class regularizer to the quadratically regularized problem of
:func:`~skreg.ot.quadratic_ot`; both regularizers are support functions,
``lam R(P) = max_{Z in B} <Z, L P>`` with ``L`` linear and ``B`` a product of l2 balls, so the
concave dual

    max_{f, g, Z in B} <f, a> + <g, b> - (1 / (2 eps)) ||[f 1^T + 1 g^T - C - L^T Z]_+||^2

is smooth, and the plan ``P = [f 1^T + 1 g^T - C - L^T Z]_+ / eps`` has exact zeros. One solver
serves both: accelerated projected gradient ascent (FISTA) with backtracking on the step and
gradient-based adaptive restart (O'Donoghue & Candes, 2015), the projection onto ``B`` in
closed form.

- group lasso: ``L`` is the identity and ``B`` one ball per (class, target) block; the
  maximization over ``Z`` is in closed form (a block soft-threshold of the positive part), so
  the solver runs on ``(f, g)`` only and the kernel thresholds the blocks of the plan;
- sum of norms: ``L P`` stacks the row differences ``P_i - P_i'`` of the fused pairs, ``Z``
  has one row per pair (``n_pairs * m`` floats).

The step-size test needs no objective value (it would cancel catastrophically near the
optimum): the dual is ``h(U)`` plus a linear term, with ``U = A x - C`` affine in the dual
variables ``x`` and ``h`` (1 / eps)-smooth, and along a step only the entries positive at
either end matter, so ``sum_{U or U+ > 0} (U+ - U)^2 <= eps L ||x+ - y||^2`` certifies the
step ``1 / L`` (the local Lipschitz constant is set by the support of the plan, far below the
global bound ``(sqrt(n + m) + ||L||)^2 / eps`` when the plan is sparse). The restart test and
the stopping test (marginal errors, and for the sum of norms the gap of ``Z`` in the support
function) need no objective value either, so marginal errors down to about 1e-12 of the mass
are reachable.

Cost. The extrapolated point's ``U`` is the same affine combination of the last two ``U``
matrices (and its ``Z`` is formed on the fly), so an iteration is one fused pass over the
``n x m`` matrices (``U`` at the candidate, the step-size test, ``U`` and the plan at the next
extrapolated point), two for the group lasso's thresholds, plus, for the sum of norms, a few
over the ``n_pairs x m`` dual variable. The kernels are serial: each pass depends on the
previous one, and on the (shared, 2-core) development machine a parallel launch cost more than
a whole 300 x 300 pass; blocks of rows in parallel are the natural next step for large
problems, to be kept only where measured to pay. FISTA needs about ``sqrt(kappa)`` iterations
per digit, ``kappa`` the condition number of the dual on the support of the plan: small
epsilons (sparse plans, whose supports are nearly trees) need thousands of iterations.
"""

import numbers
import warnings

import numpy as np
from numba import njit
from sklearn.exceptions import ConvergenceWarning

from ._quadratic import _sqeuclidean, _sumsq
from ._sinkhorn import OTResult, _check_cost, _check_problem, _positive

REGULARIZERS = ("group_lasso", "sum_of_norms")
# the step-size estimate shrinks by this factor after every accepted step (grows by 2 on a
# rejected one)
_SHRINK = 0.9


# ---------------------------------------------------------------------------------------------
# numba kernels (serial, see the module notes)


@njit(cache=True, nogil=True)
def _pass(Cr, fp, gp, Zp, adj_ptr, adj_k, adj_s, starts, lam, eps, beta, Uy, Ux, Up, Un, P,
          rows, cols, norms):
    """One pass at a candidate ``x+`` of the solver.

    ``Up = f+ 1^T + 1 g+^T - Cr - L^T Z+`` (the affine part of the dual at ``x+``); the
    extrapolated point's ``Un = Up + beta (Up - Ux)``; the plan ``P`` at ``Un`` with its row
    and column sums. Each block of rows ``starts[c]:starts[c + 1]`` (a class) is finished
    before the next: with ``lam > 0`` (group lasso) its column blocks are thresholded,
    ``P = max(0, 1 - lam / ||[U_block]_+||) [U_block]_+ / eps``; with ``lam = 0``,
    ``P = [U]_+ / eps``. Returns ``sum (Up - Uy)^2`` over the entries where ``Up`` or
    ``Uy`` is positive (the step-size test).
    """
    m = Cr.shape[1]
    inv = 1.0 / eps
    q = 0.0
    for j in range(m):
        cols[j] = 0.0
    for c in range(starts.shape[0] - 1):
        i0, i1 = starts[c], starts[c + 1]
        for j in range(m):
            norms[j] = 0.0
        for i in range(i0, i1):
            fi = fp[i]
            for j in range(m):
                Up[i, j] = fi + gp[j] - Cr[i, j]
            for t in range(adj_ptr[i], adj_ptr[i + 1]):
                k = adj_k[t]
                s = adj_s[t]
                for j in range(m):
                    Up[i, j] -= s * Zp[k, j]
            for j in range(m):
                u = Up[i, j]
                u0 = Uy[i, j]
                if u > 0.0 or u0 > 0.0:
                    d = u - u0
                    q += d * d
                un = u + beta * (u - Ux[i, j])
                Un[i, j] = un
                if un > 0.0:
                    norms[j] += un * un
        for j in range(m):
            if lam > 0.0:
                s = np.sqrt(norms[j])
                norms[j] = (1.0 - lam / s) * inv if s > lam else 0.0
            else:
                norms[j] = inv
        for i in range(i0, i1):
            r = 0.0
            for j in range(m):
                u = Un[i, j]
                p = norms[j] * u if u > 0.0 else 0.0
                P[i, j] = p
                r += p
                cols[j] += p
            rows[i] = r
    return q


@njit(cache=True, nogil=True)
def _z_step(P, pi, pj, radius, Z, Z_prev, beta, step, Zp, buf):
    """Projected gradient step on ``Z`` from the extrapolated ``Zy = Z + beta (Z - Z_prev)``:
    ``Zp = proj_B(Zy + step L P)``, row ``k`` of ``L P`` being ``P[pi_k] - P[pj_k]``
    (``P[pi_k]`` when ``pj_k < 0``). Returns ``(||Zp - Zy||^2, <Zy - Zp, Zp - Z>)``."""
    m = P.shape[1]
    d2, rs = 0.0, 0.0
    for k in range(pi.shape[0]):
        i, i2 = pi[k], pj[k]
        nrm = 0.0
        for j in range(m):
            z = Z[k, j]
            dz = P[i, j] - P[i2, j] if i2 >= 0 else P[i, j]
            v = z + beta * (z - Z_prev[k, j]) + step * dz
            buf[j] = v
            nrm += v * v
        r = radius[k]
        sc = r / np.sqrt(nrm) if nrm > r * r else 1.0
        for j in range(m):
            z = Z[k, j]
            zy = z + beta * (z - Z_prev[k, j])
            zp = sc * buf[j]
            Zp[k, j] = zp
            d = zp - zy
            d2 += d * d
            rs -= d * (zp - z)
    return d2, rs


@njit(cache=True, nogil=True)
def _z_gap(P, pi, pj, Z, radius):
    """``(sum_k r_k ||(L P)_k|| - <Z, L P>, sum_k r_k ||(L P)_k||)``: the first is the gap
    of ``Z`` in the support function (>= 0 for ``Z`` in ``B``), a bound on the
    suboptimality of ``P`` among the plans of its own marginals."""
    m = P.shape[1]
    gap, reg = 0.0, 0.0
    for k in range(pi.shape[0]):
        i, i2 = pi[k], pj[k]
        nrm, dot = 0.0, 0.0
        for j in range(m):
            d = P[i, j] - P[i2, j] if i2 >= 0 else P[i, j]
            nrm += d * d
            dot += Z[k, j] * d
        nrm = radius[k] * np.sqrt(nrm)
        reg += nrm
        gap += nrm - dot
    return gap, reg


@njit(cache=True, nogil=True)
def _marginal_errors(rows, cols, a, b):
    ea, eb = 0.0, 0.0
    for i in range(a.shape[0]):
        ea += abs(rows[i] - a[i])
    for j in range(b.shape[0]):
        eb += abs(cols[j] - b[j])
    return ea, eb


@njit(cache=True, nogil=True)
def _converged(Cr, a, b, eps, pi, pj, radius, Z, P, rows, cols, tol_abs, tol_gap):
    """Marginal errors at most ``tol_abs`` and the gap of ``Z`` at most ``tol_gap`` times
    ``<P, Cr> + (eps / 2) ||P||^2 + lam R(P)``."""
    err_a, err_b = _marginal_errors(rows, cols, a, b)
    if max(err_a, err_b) > tol_abs:
        return False
    if pi.shape[0] == 0:
        return True
    gap, scale = _z_gap(P, pi, pj, Z, radius)
    n, m = P.shape
    for i in range(n):
        for j in range(m):
            p = P[i, j]
            scale += p * (Cr[i, j] + 0.5 * eps * p)
    return gap <= tol_gap * scale


@njit(cache=True, nogil=True)
def _fista(Cr, a, b, eps, lam_block, starts, pi, pj, radius, adj_ptr, adj_k, adj_s,
           tol_abs, tol_gap, max_iter, L_max):
    """Accelerated projected gradient ascent on the dual from ``f = g = 0, Z = 0``.

    ``lam_block > 0``: group lasso (``Z`` eliminated, the blocks thresholded by the plan
    kernel; no pairs); otherwise the pairs ``(pi, pj)`` with radii ``radius`` (sum of norms,
    or none: quadratic OT). Returns ``(f, g, Z, P, n_iter, converged)`` at the last
    iterate ``x`` (``Z`` in ``B``).
    """
    n, m = Cr.shape
    K = pi.shape[0]
    # x (last iterate), y (extrapolated point; Z's is formed on the fly), p (candidate x+)
    f, g, fy, gy = np.zeros(n), np.zeros(m), np.zeros(n), np.zeros(m)
    fp, gp = np.empty(n), np.empty(m)
    Z, Z_prev, Zp = np.zeros((K, m)), np.zeros((K, m)), np.empty((K, m))
    # U = affine part of the dual at x, at y, at x+, at the next y (swapped, never copied)
    Ux, Uy, Up, Un = np.empty((n, m)), np.empty((n, m)), np.empty((n, m)), np.empty((n, m))
    P, Pn = np.empty((n, m)), np.empty((n, m))
    rows, cols, rows_n, cols_n = np.empty(n), np.empty(m), np.empty(n), np.empty(m)
    norms, buf = np.empty(m), np.empty(m)
    Ux[:, :] = -Cr
    _pass(Cr, f, g, Z, adj_ptr, adj_k, adj_s, starts, lam_block, eps, 0.0, Ux, Ux, Up, Uy,
          P, rows, cols, norms)
    L_min = 1.0 / eps
    L = max(L_min, L_max / 16.0)
    t = 1.0
    beta = 0.0
    n_iter = 0
    converged = False
    checked = False  # whether Pn, rows_n, cols_n hold the plan at x
    while n_iter < max_iter:
        n_iter += 1
        while True:  # projected gradient step from y, backtracking on its length
            step = 1.0 / L
            d2, rs = _z_step(P, pi, pj, radius, Z, Z_prev, beta, step, Zp, buf)
            for i in range(n):
                fp[i] = fy[i] + step * (a[i] - rows[i])
                d = fp[i] - fy[i]
                d2 += d * d
                rs -= d * (fp[i] - f[i])
            for j in range(m):
                gp[j] = gy[j] + step * (b[j] - cols[j])
                d = gp[j] - gy[j]
                d2 += d * d
                rs -= d * (gp[j] - g[j])
            # adaptive restart when the momentum points against the gradient step
            if rs > 0.0:
                t_next, beta_next = 1.0, 0.0
            else:
                t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
                beta_next = (t - 1.0) / t_next
            q = _pass(Cr, fp, gp, Zp, adj_ptr, adj_k, adj_s, starts, lam_block, eps,
                      beta_next, Uy, Ux, Up, Un, Pn, rows_n, cols_n, norms)
            if q <= eps * L * d2 or L >= L_max:
                break
            L = min(2.0 * L, L_max)
        # accept: x_prev <- x <- x+, y <- x+ + beta (x+ - x)
        t, beta = t_next, beta_next
        for i in range(n):
            fy[i] = fp[i] + beta * (fp[i] - f[i])
            f[i] = fp[i]
        for j in range(m):
            gy[j] = gp[j] + beta * (gp[j] - g[j])
            g[j] = gp[j]
        Z_prev, Z, Zp = Z, Zp, Z_prev
        Ux, Up = Up, Ux
        Uy, Un = Un, Uy
        P, Pn = Pn, P
        rows, rows_n = rows_n, rows
        cols, cols_n = cols_n, cols
        checked = False
        ea, eb = _marginal_errors(rows, cols, a, b)
        if max(ea, eb) <= tol_abs:  # y nearly feasible: test x itself
            if beta == 0.0:  # y = x
                Pn[:, :] = P
                rows_n[:] = rows
                cols_n[:] = cols
            else:
                _pass(Cr, f, g, Z, adj_ptr, adj_k, adj_s, starts, lam_block, eps, 0.0, Ux,
                      Ux, Up, Up, Pn, rows_n, cols_n, norms)
            checked = True
            if _converged(Cr, a, b, eps, pi, pj, radius, Z, Pn, rows_n, cols_n, tol_abs,
                          tol_gap):
                converged = True
                break
        L = max(_SHRINK * L, L_min)
    if not checked:
        _pass(Cr, f, g, Z, adj_ptr, adj_k, adj_s, starts, lam_block, eps, 0.0, Ux, Ux, Up, Up,
              Pn, rows_n, cols_n, norms)
    return f, g, Z, Pn, n_iter, converged


# ---------------------------------------------------------------------------------------------
# problem set-up


def _check_labels(labels, n):
    """Integer class codes ``0..K-1`` from any hashable labels (1-D, length ``n``, no NaN).

    A list is not coerced by numpy (which would turn ``[1, "a"]`` into strings, merging
    ``1`` and ``"1"``): its items are the labels, tuples included.
    """
    if isinstance(labels, np.ndarray):
        arr = labels
    elif isinstance(labels, (list, tuple)) and all(isinstance(v, tuple) for v in labels):
        arr = np.empty(len(labels), dtype=object)
        for t, v in enumerate(labels):
            arr[t] = v
    elif isinstance(labels, (list, tuple)):
        try:
            arr = np.array(labels, dtype=object)
        except ValueError as exc:  # ragged nested lists
            raise ValueError("labels must be 1-D: one label per source point.") from exc
    else:
        arr = np.asarray(labels)  # pandas, array-likes
    if arr.ndim != 1:
        raise ValueError(f"labels must be 1-D, got an array of shape {arr.shape}.")
    if arr.shape[0] != n:
        raise ValueError(f"labels has {arr.shape[0]} entries, the cost has n = {n} rows "
                         f"(source points).")
    if np.iscomplexobj(arr):
        raise TypeError("labels must not be complex.")
    if arr.dtype.kind in "fiubUS":
        if arr.dtype.kind == "f" and np.isnan(arr).any():
            raise ValueError("labels contains NaN.")
        return np.unique(arr, return_inverse=True)[1].astype(np.int64).ravel()
    codes = np.empty(n, dtype=np.int64)
    seen = {}
    for t, lab in enumerate(arr.tolist() if arr.dtype != object else arr):
        if isinstance(lab, numbers.Number) and lab != lab:
            raise ValueError("labels contains NaN.")
        try:
            codes[t] = seen.setdefault(lab, len(seen))
        except TypeError as exc:
            raise TypeError(f"labels must be hashable, got {type(lab).__name__}.") from exc
    return codes


def _class_pairs(C, codes, n_neighbors):
    """The fused pairs of the sum-of-norms regularizer: ``(pi, pj)`` with ``pi < pj``.

    All pairs of points of the same class, or (``n_neighbors``) those of a symmetrized kNN
    graph within each class on the rows of ``C`` (Euclidean distance between cost rows: the
    points a target set sees alike), ordered by ``(pi, pj)``.
    """
    out_i, out_j = [], []
    for c in np.unique(codes):
        idx = np.flatnonzero(codes == c)
        s = len(idx)
        if s < 2:
            continue
        if n_neighbors is None or n_neighbors >= s - 1:
            ii, jj = np.triu_indices(s, 1)
        else:
            Cc = C[idx]
            dist = np.empty((s, s))
            for t in range(s):
                dist[t] = np.sum((Cc - Cc[t]) ** 2, axis=1)
            np.fill_diagonal(dist, np.inf)
            nb = np.argsort(dist, axis=1, kind="stable")[:, :n_neighbors]
            A = np.zeros((s, s), dtype=bool)
            A[np.repeat(np.arange(s), n_neighbors), nb.ravel()] = True
            ii, jj = np.nonzero(np.triu(A | A.T, 1))
        out_i.append(idx[ii])
        out_j.append(idx[jj])
    if not out_i:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    pi, pj = np.concatenate(out_i), np.concatenate(out_j)
    order = np.lexsort((pj, pi))
    return pi[order].astype(np.int64), pj[order].astype(np.int64)


def _regularization(P, codes, pairs, regularizer):
    """``R(P)`` of the regularizer, in numpy, on a full plan."""
    if regularizer == "group_lasso":
        return float(sum(np.sqrt(np.einsum("ij,ij->j", P[codes == c], P[codes == c])).sum()
                         for c in np.unique(codes)))
    pi, pj = pairs
    if len(pi) == 0:
        return 0.0
    D = P[pi] - P[pj]
    return float(np.sqrt(np.einsum("ij,ij->i", D, D)).sum())


def _check_settings(lam, regularizer, n_neighbors):
    if not isinstance(lam, numbers.Real) or isinstance(lam, bool):
        raise TypeError(f"lam must be a number, got {lam!r}.")
    if not (np.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam must be non-negative and finite, got {lam}.")
    if not isinstance(regularizer, str) or regularizer not in REGULARIZERS:
        raise ValueError(f"regularizer must be one of {REGULARIZERS}, got {regularizer!r}.")
    if n_neighbors is not None:
        if regularizer != "sum_of_norms":
            raise ValueError("n_neighbors applies to regularizer='sum_of_norms' only (the "
                             "group lasso has no pairs); leave it None.")
        _positive(n_neighbors, "n_neighbors", integer=True)


# ---------------------------------------------------------------------------------------------
# public solver


def group_sparse_ot(a, b, C, labels, epsilon, lam, *, regularizer="group_lasso",
                    n_neighbors=None, tol=1e-6, max_iter=10000, warn=True):
    r"""Class-based optimal transport: group-lasso or sum-of-norms regularized sparse plans.

    The source points carry class labels (classes :math:`I_1, \dots, I_K`), the target points
    none. Solves

    .. math::

        \min_{P \ge 0,\ P 1 = a,\ P^\top 1 = b} \langle P, C\rangle
        + \frac{\varepsilon}{2} \|P\|_F^2 + \lambda R(P)

    with one of two class regularizers:

    - ``"group_lasso"`` (the l1-l2 class regularizer of Courty et al., 2017):
      :math:`R(P) = \sum_{j=1}^m \sum_{c=1}^K \|P_{I_c, j}\|_2`; each target point receives
      its mass from few classes (whole blocks :math:`P_{I_c, j}` are zero);
    - ``"sum_of_norms"`` (Rahbar et al., 2023):
      :math:`R(P) = \sum_{c=1}^K \sum_{i < i' \in I_c} w_{ii'} \|P_{i, :} - P_{i', :}\|_2`,
      with :math:`w_{ii'} = 1` on the pairs of a graph within each class (all pairs, or the
      kNN graph of ``n_neighbors``); source points of a class get fused transport profiles
      (convex clustering of the rows of the plan), which recovers the class structure.

    Both regularizers are support functions, :math:`\lambda R(P) = \max_{Z \in B}
    \langle Z, L P\rangle` (group lasso: :math:`L = I` and one l2 ball of radius
    :math:`\lambda` per block; sum of norms: :math:`L P` stacks the row differences of the
    pairs, one ball of radius :math:`\lambda w_{ii'}` per pair). The concave dual

    .. math::

        \max_{f, g,\ Z \in B} \langle f, a\rangle + \langle g, b\rangle
        - \frac{1}{2\varepsilon} \big\|[f 1^\top + 1 g^\top - C - L^\top Z]_+\big\|_F^2

    is smooth thanks to :math:`\varepsilon > 0` (its gradient is the marginal error of the
    plan :math:`P = [f 1^\top + 1 g^\top - C - L^\top Z]_+ / \varepsilon` in ``(f, g)`` and
    :math:`L P` in ``Z``), and is maximized by accelerated projected gradient (FISTA with
    backtracking and adaptive restart; the projection onto ``B`` is a rescaling per ball). For
    the group lasso the maximization over ``Z`` is in closed form: block ``(c, j)`` of the
    plan is :math:`\max(0, 1 - \lambda / \|[z]_+\|) [z]_+ / \varepsilon` with
    :math:`z = f_{I_c} + g_j - C_{I_c, j}`, so the solver runs on ``(f, g)`` only. The plan
    has exact zeros, the more the smaller ``epsilon``; as ``epsilon -> 0`` it approaches a
    solution of the unregularized class-based problem (``epsilon`` only makes the dual smooth;
    small values need more iterations). ``lam = 0`` is :func:`quadratic_ot`'s problem.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source weights (non-negative); None means uniform.
    b : array-like of shape (m,) or None
        Target weights, with the same total mass as ``a`` (up to 1e-8 relative).
    C : array-like of shape (n, m), or tuple ``(X, Y)`` / ``(X, Y, "sqeuclidean")``
        Cost matrix, or points whose squared Euclidean distances are the cost (the matrix is
        formed).
    labels : array-like of shape (n,)
        Class of every source point (any hashable values: ints, strings; no NaN).
    epsilon : float
        Quadratic regularization (> 0), in the units of the cost times those of ``1 / P``.
    lam : float
        Weight of the class regularizer (>= 0), in the units of the cost times those of
        ``1 / P``.
    regularizer : {"group_lasso", "sum_of_norms"}, default="group_lasso"
        The class regularizer ``R``.
    n_neighbors : int or None, default=None
        Sum of norms only: fuse each source point with its ``n_neighbors`` nearest points of
        the same class only (a symmetrized kNN graph on the rows of ``C``, Euclidean distance)
        instead of with all of them. The solver keeps three arrays of ``n_pairs * m`` floats
        (``n_pairs`` is ``sum_c |I_c| (|I_c| - 1) / 2`` with all pairs, at most
        ``n * n_neighbors`` with the kNN graph), and every iteration costs ``O(n_pairs m)``.
    tol : float, default=1e-6
        Target L1 error of the marginals (the larger of the two), relative to the total mass;
        for the sum of norms, the gap of ``Z`` in the support function,
        :math:`\lambda R(P) - \langle Z, L P\rangle` (a bound on the suboptimality of the
        plan among those with its own marginals), must also be at most ``tol`` times
        :math:`\langle P, \tilde C\rangle + \frac{\varepsilon}{2}\|P\|_F^2 + \lambda R(P)`
        (:math:`\tilde C` the cost less its row and column minima).
    max_iter : int, default=10000
        Maximum number of iterations (gradient steps).
    warn : bool, default=True
        Warn (ConvergenceWarning) when ``tol`` is not reached.

    Returns
    -------
    result : OTResult
        ``plan`` is a dense ndarray of shape (n, m) with exact zeros; ``f, g`` the marginal
        potentials (for the group lasso the plan is the block soft-threshold of
        ``[f_i + g_j - C_ij]_+ / epsilon``; for the sum of norms it also depends on ``Z``,
        not returned; a point of zero mass gets the largest potential that keeps its row or
        column of ``[f_i + g_j - C_ij]_+`` empty); ``cost = <P, C>``; ``objective`` the primal
        objective ``<P, C> + (epsilon / 2) ||P||_F^2 + lam R(P)`` at the returned plan;
        ``n_iter`` the gradient steps; ``converged`` whether the stopping test of ``tol``
        passed; ``method`` "group_lasso" or "sum_of_norms".

    See Also
    --------
    quadratic_ot : The same problem without class regularizer (``lam = 0``).
    skreg.reference.group_sparse_ot : The same problem solved by cvxpy (Clarabel).
    ot.da.sinkhorn_l1l2_gl : POT's entropic version of the group lasso (``eta``: ``lam``).

    References
    ----------
    N. Courty, R. Flamary, D. Tuia, A. Rakotomamonjy, "Optimal transport for domain
    adaptation", IEEE TPAMI 39(9), 2017.

    A. Rahbar, A. Panahi, M. H. Chehreghani, D. Dubhashi, H. Krim, "Recovery bounds on
    class-based optimal transport: a sum-of-norms regularization framework", ICML 2023.

    B. O'Donoghue, E. Candes, "Adaptive restart for accelerated gradient schemes",
    Found. Comput. Math. 15, 2015.

    Examples
    --------
    Source points 0 and 2 are of class "x", 1 and 3 of class "y"; point 2 is about as
    close to both targets. Without class regularizer it splits its mass; the group lasso
    sends it where the rest of its class goes:

    >>> import numpy as np
    >>> from skreg.ot import group_sparse_ot
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.6], [0.6, 0.5]])
    >>> labels = ["x", "y", "x", "y"]
    >>> free = group_sparse_ot(None, None, C, labels, epsilon=1.0, lam=0.0, tol=1e-9)
    >>> free.plan.round(3) + 0.0
    array([[0.25 , 0.   ],
           [0.   , 0.25 ],
           [0.175, 0.075],
           [0.075, 0.175]])
    >>> res = group_sparse_ot(None, None, C, labels, epsilon=1.0, lam=1.0, tol=1e-9)
    >>> res.plan.round(3) + 0.0
    array([[0.25, 0.  ],
           [0.  , 0.25],
           [0.25, 0.  ],
           [0.  , 0.25]])
    >>> res.converged, res.method
    (True, 'group_lasso')
    """
    C, X, Y, fly = _check_cost(C)
    if fly:
        C = _sqeuclidean(X, Y)
    n, m = C.shape
    a, b = _check_problem(a, b, n, m, epsilon, tol, max_iter)
    codes = _check_labels(labels, n)
    _check_settings(lam, regularizer, n_neighbors)
    eps, lam = float(epsilon), float(lam)
    mass = float(a.sum())
    tol_abs = tol * mass
    son = regularizer == "sum_of_norms"

    # points of positive mass, the sources sorted by class (contiguous blocks)
    ia, jb = np.flatnonzero(a > 0), np.flatnonzero(b > 0)
    rows = ia[np.argsort(codes[ia], kind="stable")]
    pos = np.full(n, -1, dtype=np.int64)
    pos[rows] = np.arange(len(rows))
    sorted_codes = codes[rows]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1], True])
    starts = starts.astype(np.int64)
    Cs = C[np.ix_(rows, jb)]  # a new array: the user's C is never written
    u = Cs.min(axis=1)
    Cs -= u[:, None]
    v = Cs.min(axis=0)
    Cs -= v[None, :]
    n_s, m_s = Cs.shape

    pairs = _class_pairs(C, codes, n_neighbors) if son else None
    if son and lam > 0:
        # pairs between the points of positive mass; one of zero mass leaves ||P_i||
        p1, p2 = pos[pairs[0]], pos[pairs[1]]
        keep = (p1 >= 0) | (p2 >= 0)
        p1, p2 = p1[keep], p2[keep]
        swap = p1 < 0
        p1[swap], p2[swap] = p2[swap], -1
        pi, pj = p1.astype(np.int64), p2.astype(np.int64)
    else:
        pi = pj = np.empty(0, np.int64)
    radius = np.full(len(pi), lam)
    # adjacency of L^T (row -> pairs, with the sign of the row in the pair's difference)
    ends = np.concatenate([pi, pj])
    ks = np.concatenate([np.arange(len(pi)), np.arange(len(pj))])
    signs = np.concatenate([np.ones(len(pi)), -np.ones(len(pj))])
    ok = ends >= 0
    order = np.argsort(ends[ok], kind="stable")
    adj_k = ks[ok][order].astype(np.int64)
    adj_s = signs[ok][order]
    adj_ptr = np.zeros(n_s + 1, dtype=np.int64)
    np.cumsum(np.bincount(ends[ok], minlength=n_s), out=adj_ptr[1:])
    degree = int(np.diff(adj_ptr).max()) if n_s and len(pi) else 0
    L_max = (np.sqrt(n_s + m_s) + np.sqrt(2.0 * degree)) ** 2 / eps
    lam_block = lam if not son else 0.0

    f, g, Z, P, n_iter, converged = _fista(Cs, a[rows], b[jb], eps, lam_block, starts, pi,
                                           pj, radius, adj_ptr, adj_k, adj_s, tol_abs,
                                           float(tol), int(max_iter), L_max)

    plan = np.zeros((n, m))
    plan[np.ix_(rows, jb)] = P
    f_full, g_full = np.empty(n), np.empty(m)
    f_full[rows], g_full[jb] = f + u, g + v
    # points of zero mass: the largest potential that keeps their row / column empty
    if len(jb) < m:
        mask = np.ones(m, bool)
        mask[jb] = False
        g_full[mask] = (C[np.ix_(rows, mask)] - f_full[rows, None]).min(axis=0)
    if len(rows) < n:
        mask = np.ones(n, bool)
        mask[rows] = False
        f_full[mask] = (C[mask] - g_full[None, :]).min(axis=1)
    err_a = float(np.abs(plan.sum(axis=1) - a).sum())
    err_b = float(np.abs(plan.sum(axis=0) - b).sum())
    cost = float(np.einsum("ij,ij->", plan, C))
    objective = cost + 0.5 * eps * _sumsq(plan) + lam * _regularization(plan, codes, pairs,
                                                                        regularizer)
    converged = bool(converged) and max(err_a, err_b) <= tol_abs
    if warn and not converged:
        gap, scale = _z_gap(P, pi, pj, Z, radius)
        scale += float(np.einsum("ij,ij->", P, Cs + 0.5 * eps * P))
        gap_note = f", relative gap of Z {gap / scale:.2e}" if len(pi) else ""
        warnings.warn(f"group_sparse_ot did not reach tol={tol} in {n_iter} iterations (L1 "
                      f"marginal errors {err_a:.2e}, {err_b:.2e}{gap_note}): increase "
                      f"max_iter.", ConvergenceWarning, stacklevel=2)
    return OTResult(f_full, g_full, plan, cost, objective, int(n_iter), converged, err_a,
                    err_b, eps, regularizer)
