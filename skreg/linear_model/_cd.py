"""Working-set coordinate descent for penalized least squares, and prox-Newton for logistic loss.

The quadratic problem solved by :func:`enet_ws_solve` is

    min_w  1/(2 S) sum_i d_i (z_i - (X~ w)_i)^2 + sum_j ( l1_j |w_j| + l2_j / 2 w_j^2 )

with ``X~ = X - 1 mu^T`` implicitly centred columns (``mu = 0`` without intercept, and then
``z`` is not centred either). Lasso, ElasticNet and WeightedLasso are this problem with
``d = sample_weight``; each prox-Newton step of the logistic solver is this problem with
``d`` the Hessian weights. Per-feature levels ``l1_j, l2_j`` carry alpha, l1_ratio and the
penalty weights, so one kernel serves every model.

Centering without touching X: the residual is stored as ``r`` with the true residual
``r + s`` (a scalar shift ``s = mu^T w``), so a coordinate update touches only the non-zeros
of a sparse column. The gradient then reads ``-(X_j^T (d r) + s mu_j sum(d)) / S``.

Algorithm: outer iterations compute every feature's correlation in one parallel pass,
the duality gap (stop when ``gap <= tol_abs``), gap-safe screening of provably-zero features
and a working set of ``max(p0, 2 nnz)`` features ranked by their distance to the dual
constraint; inner iterations run cyclic coordinate descent on the working set with Anderson
extrapolation every ``K`` epochs, until the working-set gap is below 0.3 times the outer gap.
Once the signs on the working set stop changing, an active-set Newton step solves the
quadratic on the current support exactly (:func:`_newton_point`), at most as often as the
epochs run since pay for its Gram matrix: coordinate descent finds the support long before
its coefficients converge when the support's columns are ill-conditioned (small alpha,
p > n), and the Newton step ends that slow phase.
"""

import numpy as np
from numba import njit

from .._kernels.linalg import (
    REDUCE,
    add_columns,
    dense_rows,
    matvec,
    pass_work,
    weighted_col_moments,
    xt_dot_weighted,
)
from .._kernels.prox import enet_coordinate
from .._kernels.select import cho_solve, cholesky, smallest_k_indices, solve_spd

ANDERSON_K = 5
GAP_CHECK_EVERY = 10
INNER_TOL_RATIO = 0.3
NEWTON_RIDGE = 1e-11
NEWTON_MAX_SUPPORT = 2000  # larger supports: conjugate gradients, no Gram matrix (32 MB here)
CG_MIN_ITER = 5
CG_KEEP_BUDGET = 0.5
WORK_LOOKAHEAD_EPOCHS = 30
# a Newton model of the logistic solver runs on a subset of the features only below this fraction
CANDIDATE_MAX_FRACTION = 0.3
# a column is constant after centering when its centred squared norm is below this fraction
# of its raw one (its coefficient is then never moved)
CONSTANT_COLUMN_RTOL = 1e-12


@njit(cache=True, nogil=True)
def copy_into(src, dst):
    """``dst[:] = src`` for 1-D arrays of equal length, as a loop: slice assignment would
    compile numba's shape-mismatch error formatting into every kernel that uses it."""
    for i in range(src.shape[0]):
        dst[i] = src[i]


@njit(cache=True, nogil=True)
def penalty_value(w, l1, l2):
    """``sum_j l1_j |w_j| + l2_j / 2 w_j^2``."""
    acc = 0.0
    for j in range(w.shape[0]):
        if w[j] != 0.0:
            acc += l1[j] * abs(w[j]) + 0.5 * l2[j] * w[j] * w[j]
    return acc


@njit(cache=True, nogil=True)
def _dual_scale(cols, c, l1, l2, positive):
    """Largest scaling in (0, 1] making ``scale * c`` feasible for the pure-l1 features."""
    scale = 1.0
    for k in range(cols.shape[0]):
        j = cols[k]
        if l2[j] == 0.0 and l1[j] > 0.0:
            a = max(c[k], 0.0) if positive else abs(c[k])
            if a * scale > l1[j]:
                scale = l1[j] / a
    return scale


@njit(cache=True, nogil=True)
def _conj_penalty_sum(cols, c, scale, l1, l2, positive):
    """``sum_j h_j^*(scale * c_j)`` over features with a finite (l2 > 0) conjugate."""
    acc = 0.0
    for k in range(cols.shape[0]):
        j = cols[k]
        if l2[j] > 0.0:
            u = scale * c[k]
            a = u if positive else abs(u)
            excess = a - l1[j]
            if excess > 0.0:
                acc += excess * excess / (2.0 * l2[j])
    return acc


@njit(cache=True, nogil=True, fastmath=REDUCE)
def _residual_stats(r, s, z, d, unit_d):
    """``(sum d (r+s)^2, sum d (r+s) z)`` for the true residual ``r + s``."""
    rdr = 0.0
    rdz = 0.0
    for i in range(r.shape[0]):
        rt = r[i] + s
        di = 1.0 if unit_d else d[i]
        rdr += di * rt * rt
        rdz += di * rt * z[i]
    return rdr, rdz


@njit(cache=True, nogil=True)
def _quadratic_gap(cols, c, w, rdr, rdr_dual, rdz_dual, S, l1, l2, positive):
    """Primal, duality gap and dual scaling, from correlations ``c`` of the features ``cols``.

    The primal uses ``rdr = sum d r^2`` of the current residual; the dual point is
    ``theta = scale * d r' / S`` for a residual ``r'`` with ``c[k] = X~_{cols[k]}^T d r' / S``,
    ``rdr_dual = sum d r'^2`` and ``rdz_dual = sum d r' z`` (``r' = r`` unless unpenalized
    features are projected out, see :func:`_project_unpenalized`). Features outside ``cols``
    are held at zero (working set) or proven zero (screened), so the gap is that of the
    restricted problem.
    """
    primal = 0.5 * rdr / S
    for k in range(cols.shape[0]):
        j = cols[k]
        wj = w[j]
        if wj != 0.0:
            primal += l1[j] * abs(wj) + 0.5 * l2[j] * wj * wj
    scale = _dual_scale(cols, c, l1, l2, positive)
    dual = scale * rdz_dual / S - 0.5 * scale * scale * rdr_dual / S
    dual -= _conj_penalty_sum(cols, c, scale, l1, l2, positive)
    return primal, primal - dual, scale


@njit(cache=True, nogil=True)
def _unpenalized_columns(Xd, data, indices, indptr, is_sparse, n_samples, l1, l2, lips, mu):
    """Indices ``U`` of the unpenalized non-constant features and ``X~_U^T`` (one row per
    feature, so each row is contiguous)."""
    n_u = 0
    for j in range(l1.shape[0]):
        if l1[j] == 0.0 and l2[j] == 0.0 and lips[j] > 0.0:
            n_u += 1
    unpen = np.empty(n_u, dtype=np.int64)
    XU = np.zeros((n_u, n_samples))
    one = np.ones(1)
    k = 0
    for j in range(l1.shape[0]):
        if l1[j] == 0.0 and l2[j] == 0.0 and lips[j] > 0.0:
            unpen[k] = j
            for i in range(n_samples):
                XU[k, i] = -mu[j]
            add_columns(Xd, data, indices, indptr, is_sparse, unpen[k:k + 1], one, XU[k])
            k += 1
    return unpen, XU


@njit(cache=True, nogil=True)
def _project_unpenalized(XU, unpen, w, positive, d, unit_d, r, s, out):
    """``out`` = true residual ``r + s`` minus its d-weighted fit on the unpenalized columns.

    Unpenalized features need ``X~_j^T theta = 0`` (``<= 0`` at ``w_j = 0`` when positive);
    refitting them exactly on the residual is the projection of the dual point onto that
    subspace in the metric of the dual objective, which keeps the gap a valid bound at any
    ``w``. With ``positive``, features at zero are left out (their one-sided constraint is
    then not enforced).
    """
    n_u, n = XU.shape
    for i in range(n):
        out[i] = r[i] + s
    keep = np.empty(n_u, dtype=np.int64)
    m = 0
    for k in range(n_u):
        if not positive or w[unpen[k]] > 0.0:
            keep[m] = k
            m += 1
    if m == 0:
        return
    G = np.empty((m, m))
    rhs = np.empty(m)
    trace = 0.0
    for a in range(m):
        ca = keep[a]
        acc = 0.0
        for i in range(n):
            acc += XU[ca, i] * (1.0 if unit_d else d[i]) * out[i]
        rhs[a] = acc
        for b in range(a + 1):
            cb = keep[b]
            acc = 0.0
            for i in range(n):
                acc += XU[ca, i] * (1.0 if unit_d else d[i]) * XU[cb, i]
            G[a, b] = acc
            G[b, a] = acc
        trace += G[a, a]
    for a in range(m):
        G[a, a] += 1e-12 * trace
    beta, ok = solve_spd(G, rhs)
    if not ok:
        return
    for a in range(m):
        ca = keep[a]
        for i in range(n):
            out[i] -= beta[a] * XU[ca, i]


@njit(cache=True, nogil=True)
def _correlations(Xd, data, indices, indptr, is_sparse, cols, d, unit_d, r, s, mu, sd, S, out):
    """``out[k] = X~_{cols[k]}^T d (r + s) / S`` (parallel over ``cols``)."""
    xt_dot_weighted(Xd, data, indices, indptr, is_sparse, cols, d, r, unit_d, out)
    for k in range(cols.shape[0]):
        out[k] = (out[k] + s * mu[cols[k]] * sd) / S


@njit(cache=True, nogil=True, fastmath=REDUCE)
def _cd_epoch(Xd, data, indices, indptr, is_sparse, ws, d, unit_d, r, s, mu, sd, S, lips,
              l1, l2, positive, w):
    """One cyclic pass of exact coordinate minimization over ``ws``; returns the new shift.

    The column loops are written out (as in :func:`xt_dot_weighted`): on short columns a
    call per coordinate costs as much as the coordinate's arithmetic.
    """
    for k in range(ws.shape[0]):
        j = ws[k]
        L = lips[j]
        if L <= 0.0:
            continue
        acc = 0.0
        if is_sparse:
            # two accumulators and unsigned indices, as in xt_dot_weighted (gathers)
            acc2 = 0.0
            t = indptr[j]
            end = indptr[j + 1]
            if unit_d:
                while t + 1 < end:
                    acc += data[t] * r[np.uintp(indices[t])]
                    acc2 += data[t + 1] * r[np.uintp(indices[t + 1])]
                    t += 2
                if t < end:
                    acc += data[t] * r[np.uintp(indices[t])]
            else:
                while t + 1 < end:
                    i = np.uintp(indices[t])
                    i2 = np.uintp(indices[t + 1])
                    acc += data[t] * d[i] * r[i]
                    acc2 += data[t + 1] * d[i2] * r[i2]
                    t += 2
                if t < end:
                    i = np.uintp(indices[t])
                    acc += data[t] * d[i] * r[i]
            acc += acc2
        elif unit_d:
            for i in range(dense_rows(Xd, indptr, j)):
                acc += Xd[i, j] * r[i]
        else:
            for i in range(dense_rows(Xd, indptr, j)):
                acc += Xd[i, j] * d[i] * r[i]
        grad = -(acc + s * mu[j] * sd) / S
        old = w[j]
        new = enet_coordinate(L * old - grad, L, l1[j], l2[j], positive)
        if new != old:
            delta = new - old
            if is_sparse:
                for t in range(indptr[j], indptr[j + 1]):
                    r[np.uintp(indices[t])] -= delta * data[t]
            else:
                for i in range(dense_rows(Xd, indptr, j)):
                    r[i] -= delta * Xd[i, j]
            s += delta * mu[j]
            w[j] = new
    return s


@njit(cache=True, nogil=True)
def _anderson_weights(hist):
    """Anderson mixing coefficients from the last ``K + 1`` iterates (rows of ``hist``)."""
    K = hist.shape[0] - 1
    m = hist.shape[1]
    G = np.empty((K, K))
    trace = 0.0
    for a in range(K):
        for b in range(a + 1):
            acc = 0.0
            for k in range(m):
                acc += (hist[a + 1, k] - hist[a, k]) * (hist[b + 1, k] - hist[b, k])
            G[a, b] = acc
            G[b, a] = acc
        trace += G[a, a]
    if not trace > 0.0:
        return np.zeros(K), False
    for a in range(K):
        G[a, a] += 1e-10 * trace
    coefs, ok = solve_spd(G, np.ones(K))
    tot = coefs.sum()
    if not ok or not np.isfinite(tot) or tot == 0.0:
        return coefs, False
    return coefs / tot, True


@njit(cache=True, nogil=True)
def _candidates(screened):
    """Indices of the features not screened out."""
    n_cand = 0
    for j in range(screened.shape[0]):
        if not screened[j]:
            n_cand += 1
    cand = np.empty(n_cand, dtype=np.int64)
    k = 0
    for j in range(screened.shape[0]):
        if not screened[j]:
            cand[k] = j
            k += 1
    return cand


@njit(cache=True, nogil=True)
def _screen_and_rank(cand, c, scale, radius, w, l1, lips, normx, positive, use_screening,
                     screened, p0):
    """Gap-safe screening, then the working set: support, unpenalized, closest to activation.

    A zero feature is screened (provably zero at the optimum) when its dual constraint holds
    strictly on the whole gap-safe sphere. The others are ranked by the distance of the dual
    point to their constraint, ``(l1_j - |x_j^T theta|) / ||x_j||``; the working set keeps the
    ``max(p0, 2 nnz)`` closest plus every non-zero and unpenalized feature, in index order.
    """
    n_cand = cand.shape[0]
    scores = np.empty(n_cand)
    n_forced = 0
    nnz = 0
    for k in range(n_cand):
        j = cand[k]
        u = scale * c[k]
        a = u if positive else abs(u)
        if w[j] != 0.0:
            nnz += 1
            n_forced += 1
            scores[k] = -np.inf
        elif l1[j] == 0.0 and lips[j] > 0.0:
            n_forced += 1
            scores[k] = -np.inf
        elif use_screening and l1[j] > 0.0 and a + radius * normx[j] < l1[j]:
            screened[j] = True
            scores[k] = np.inf
        elif normx[j] == 0.0:
            scores[k] = np.finfo(np.float64).max  # constant column: last, before screened
        else:
            scores[k] = (l1[j] - a) / normx[j]
    n_keep = 0
    for k in range(n_cand):
        if not screened[cand[k]]:
            n_keep += 1
    ws_size = min(max(p0, 2 * nnz, n_forced), n_keep)
    return smallest_k_indices(scores, cand, ws_size)


@njit(cache=True, nogil=True)
def _move_if_better(Xd, data, indices, indptr, is_sparse, ws, w_cand, z, d, unit_d, r, s, mu,
                    S, l1, l2, w, r_acc):
    """Move ``w`` on ``ws`` to ``w_cand`` if that lowers the objective; returns the shift and
    whether ``w`` moved.

    ``w`` and ``r`` are updated in place when the candidate is accepted; ``r_acc`` is a work
    buffer.
    """
    m = ws.shape[0]
    copy_into(r, r_acc)
    s_acc = s
    minus_delta = np.empty(m)
    for k in range(m):
        j = ws[k]
        minus_delta[k] = w[j] - w_cand[k]
        s_acc -= minus_delta[k] * mu[j]
    add_columns(Xd, data, indices, indptr, is_sparse, ws, minus_delta, r_acc)
    rdr_cur, _ = _residual_stats(r, s, z, d, unit_d)
    rdr_acc, _ = _residual_stats(r_acc, s_acc, z, d, unit_d)
    p_cur = 0.5 * rdr_cur / S
    p_acc = 0.5 * rdr_acc / S
    for k in range(m):
        j = ws[k]
        p_cur += l1[j] * abs(w[j]) + 0.5 * l2[j] * w[j] * w[j]
        p_acc += l1[j] * abs(w_cand[k]) + 0.5 * l2[j] * w_cand[k] * w_cand[k]
    if p_acc >= p_cur:
        return s, False
    for k in range(m):
        w[ws[k]] = w_cand[k]
    copy_into(r_acc, r)
    return s_acc, True


@njit(cache=True, nogil=True)
def _anderson_point(hist, positive, out):
    """Anderson extrapolation of the last iterates (rows of ``hist``) into ``out``.

    Returns False when the mixing weights are not defined (then ``out`` is not set).
    """
    coefs, ok = _anderson_weights(hist)
    if not ok:
        return False
    K = coefs.shape[0]
    for k in range(out.shape[0]):
        acc = 0.0
        for q in range(K):
            acc += coefs[q] * hist[q + 1, k]
        out[k] = max(acc, 0.0) if positive else acc
    return True


@njit(cache=True, nogil=True)
def _newton_point(Xd, data, indices, indptr, is_sparse, ws, support, z, d, unit_d, S, mu, l1,
                  l2, w, col, out):
    """Active-set step on the support of ``w``, into ``out``: toward the minimizer of the
    objective on the face where ``w`` keeps its signs, stopped where a sign would change.

    On that face the objective is the quadratic
    ``1/(2S) ||z - X~_A w_A||_d^2 + (l1_A sign(w_A))^T w_A + 1/2 w_A^T diag(l2_A) w_A``;
    one linear solve with the Gram matrix of the support gives its minimizer, the exact
    solution once coordinate descent has found the support and signs (which it does long
    before the coefficients converge on an ill-conditioned support). When a sign would
    change, the step stops where the first coefficient reaches zero, so the objective still
    decreases and the support shrinks. A support with more features than the rank of its
    columns (p > n) has a singular Gram matrix: the small ridge then makes the step follow
    the null space, along which the l1 term decreases, until a coefficient leaves.
    ``support`` lists positions in ``ws``; ``col`` is a work buffer (n_samples). Returns
    False when the linear solve fails.
    """
    m = support.shape[0]
    n = col.shape[0]
    G = np.empty((m, m))
    rhs = np.empty(m)
    cols = ws[support]
    row = np.empty(m)
    one = np.ones(1)
    trace = 0.0
    for a in range(m):
        j = cols[a]
        for i in range(n):
            col[i] = -mu[j]
        add_columns(Xd, data, indices, indptr, is_sparse, cols[a:a + 1], one, col)
        # the centred columns are d-orthogonal to ones, so X~_k^T d X~_j = X_k^T d X~_j
        xt_dot_weighted(Xd, data, indices, indptr, is_sparse, cols[:a + 1], d, col, unit_d,
                        row)
        for c in range(a + 1):
            G[a, c] = row[c] / S
            G[c, a] = G[a, c]
        acc = 0.0
        for i in range(n):
            acc += (1.0 if unit_d else d[i]) * col[i] * z[i]
        rhs[a] = acc / S - (l1[j] if w[j] > 0.0 else -l1[j])
        G[a, a] += l2[j]
        trace += G[a, a]
    # a small ridge keeps the factorization defined on rank-deficient supports; one step of
    # iterative refinement with the exact G removes its bias where G is only ill-conditioned
    for a in range(m):
        G[a, a] += NEWTON_RIDGE * trace
    Lc, ok = cholesky(G)
    if not ok:
        return False
    sol = cho_solve(Lc, rhs, m)
    for a in range(m):
        G[a, a] -= NEWTON_RIDGE * trace
    res = np.empty(m)
    for a in range(m):
        acc = rhs[a]
        for c in range(m):
            acc -= G[a, c] * sol[c]
        res[a] = acc
    corr = cho_solve(Lc, res, m)
    for a in range(m):
        sol[a] += corr[a]
    _step_on_face(ws, support, w, sol, bool(False), out)  # noqa: UP018
    return True


@njit(cache=True, nogil=True)
def _step_on_face(ws, support, w, sol, project, out):
    """``out`` = ``w`` on ``ws``, moved toward ``sol`` on the support (positions ``support``).

    Either stopped where the first coefficient reaches zero, which is set to 0 (a descent
    step that only shrinks the support), or, with ``project``, moved the whole way with the
    coefficients that change sign set to 0 (several leave at once; not always a descent).
    """
    m = support.shape[0]
    step = 1.0
    first = -1
    if not project:
        for a in range(m):
            wj = w[ws[support[a]]]
            if (wj > 0.0 and sol[a] <= 0.0) or (wj < 0.0 and sol[a] >= 0.0):
                t = wj / (wj - sol[a])
                if t < step:
                    step = t
                    first = a
    for k in range(ws.shape[0]):
        out[k] = w[ws[k]]
    for a in range(m):
        wj = w[ws[support[a]]]
        if (wj > 0.0 and sol[a] <= 0.0) or (wj < 0.0 and sol[a] >= 0.0):
            out[support[a]] = 0.0 if project else wj + step * (sol[a] - wj)
        else:
            out[support[a]] = wj + step * (sol[a] - wj)
    if first >= 0:
        out[support[first]] = 0.0


@njit(cache=True, nogil=True)
def _face_cg_point(Xd, data, indices, indptr, is_sparse, ws, support, d, unit_d, r, s, S, mu,
                   sd, lips, l1, l2, w, max_iter, col, sol):
    """Matrix-free version of :func:`_newton_point`, for supports too large for their Gram
    matrix or whose signs still change: at most ``max_iter`` conjugate-gradient iterations
    on the face's quadratic, from ``w``, each two passes over the support's columns (one
    coordinate descent epoch's work). CG contracts the error by about ``1 - 1/sqrt(kappa)``
    per iteration where cyclic coordinate descent gets ``1 - 1/kappa`` per epoch, which is
    the slow phase on an ill-conditioned support. The same small ridge as the Cholesky step
    bounds the step along directions of zero curvature (p > n). ``sol`` receives the
    approximate minimizer on the support; returns False when CG did not move.
    """
    m = support.shape[0]
    cols = np.empty(m, dtype=np.int64)
    trace = 0.0
    for a in range(m):
        cols[a] = ws[support[a]]
        trace += lips[cols[a]] + l2[cols[a]]
    ridge = NEWTON_RIDGE * trace
    # minus the gradient of the face's quadratic at w
    res = np.empty(m)
    _correlations(Xd, data, indices, indptr, is_sparse, cols, d, unit_d, r, s, mu, sd, S, res)
    for a in range(m):
        j = cols[a]
        res[a] -= (l1[j] if w[j] > 0.0 else -l1[j]) + l2[j] * w[j]
    delta = np.zeros(m)
    p = res.copy()
    hp = np.empty(m)
    rr = 0.0
    for a in range(m):
        rr += res[a] * res[a]
    rr_stop = 1e-24 * rr
    moved = False
    for _ in range(max_iter):
        if not rr > rr_stop:
            break
        # hp = (X~_A^T D X~_A / S + diag(l2_A) + ridge I) p, with col = X~_A p (which is
        # d-orthogonal to ones when centred, so X~_A^T D col = X_A^T D col)
        col[:] = 0.0
        add_columns(Xd, data, indices, indptr, is_sparse, cols, p, col)
        shift = 0.0
        for a in range(m):
            shift += mu[cols[a]] * p[a]
        for i in range(col.shape[0]):
            col[i] -= shift
        xt_dot_weighted(Xd, data, indices, indptr, is_sparse, cols, d, col, unit_d, hp)
        for a in range(m):
            hp[a] = hp[a] / S + (l2[cols[a]] + ridge) * p[a]
        php = 0.0
        for a in range(m):
            php += p[a] * hp[a]
        if not php > 0.0:
            break
        alpha = rr / php
        rr_new = 0.0
        for a in range(m):
            delta[a] += alpha * p[a]
            res[a] -= alpha * hp[a]
            rr_new += res[a] * res[a]
        moved = True
        beta = rr_new / rr
        rr = rr_new
        for a in range(m):
            p[a] = res[a] + beta * p[a]
    for a in range(m):
        sol[a] = w[cols[a]] + delta[a]
    return moved


@njit(cache=True, nogil=True)
def _support_changed(ws, w, signs):
    """Whether the signs of ``w`` on ``ws`` differ from ``signs`` (which is then updated)."""
    changed = False
    for k in range(ws.shape[0]):
        wj = w[ws[k]]
        sg = 1 if wj > 0.0 else (-1 if wj < 0.0 else 0)
        if sg != signs[k]:
            changed = True
            signs[k] = sg
    return changed


@njit(cache=True, nogil=True)
def _working_set_gap(Xd, data, indices, indptr, is_sparse, ws, d, unit_d, r, s, z, mu, sd, S,
                     l1, l2, positive, w, c_ws):
    """Duality gap of the problem restricted to ``ws`` (``c_ws`` is a work buffer)."""
    _correlations(Xd, data, indices, indptr, is_sparse, ws, d, unit_d, r, s, mu, sd, S, c_ws)
    rdr, rdz = _residual_stats(r, s, z, d, unit_d)
    _, gap_in, _ = _quadratic_gap(ws, c_ws, w, rdr, rdr, rdz, S, l1, l2, positive)
    return gap_in


@njit(cache=True, nogil=True)
def _support_positions(ws, w):
    """Positions ``k`` in ``ws`` where ``w[ws[k]]`` is non-zero."""
    n_sup = 0
    for k in range(ws.shape[0]):
        if w[ws[k]] != 0.0:
            n_sup += 1
    support = np.empty(n_sup, dtype=np.int64)
    n_sup = 0
    for k in range(ws.shape[0]):
        if w[ws[k]] != 0.0:
            support[n_sup] = k
            n_sup += 1
    return support


@njit(cache=True, nogil=True)
def _ahead_work(epoch_work, ws, w, cand, c, l1, positive, n_outer):
    """Work of an epoch on the working sets ahead, for the switch to a cheaper design: at
    least ``epoch_work`` (the new working set), and from the third working set on, in
    proportion to the features that are non-zero or violate their optimality condition
    (``|c_j| > l1_j``), which later working sets will hold. Not before: near the starting
    point, a correlated design can have most features violating and a sparse solution
    (Toeplitz 0.9, 10000 x 500 at 0.01 alpha_max: 443 of 500 after the first working set,
    41 non-zero at the solution)."""
    if n_outer < 2 or ws.shape[0] == 0:
        return epoch_work
    n_ahead = 0
    for k in range(cand.shape[0]):
        j = cand[k]
        if w[j] != 0.0 or (c[k] if positive else abs(c[k])) > l1[j]:
            n_ahead += 1
    return max(epoch_work, epoch_work * n_ahead // ws.shape[0])


@njit(cache=True, nogil=True)
def enet_ws_solve(Xd, data, indices, indptr, is_sparse, z, d, unit_d, S, mu, sd, lips, normx,
                  l1, l2, positive, w, r, s, screened, max_epochs, tol_abs, p0, use_screening,
                  accelerate, max_work):
    """Working-set coordinate descent on the centred weighted elastic net (module docstring).

    ``w`` (coefficients), ``r`` (stored residual ``z - X w``) and ``screened`` are updated in
    place (they are the caller's work buffers). ``lips[j] = ||X~_j||_d^2 / S`` and
    ``normx[j] = ||X~_j||_d``. ``accelerate`` turns on the Anderson and Newton steps. With
    ``max_work > 0``, the solve also stops (not converged) once its epochs have done that
    many multiply-adds (see :func:`pass_work`), or would within ``WORK_LOOKAHEAD_EPOCHS``
    epochs on a new working set: the caller then goes on with a cheaper design.
    Returns ``(s, n_epochs, gap, primal, converged)``.
    """
    n_samples = r.shape[0]
    n_epochs = 0
    n_outer = np.int64(0)  # not a literal: one compiled _ahead_work
    work_done = 0
    converged = False
    r_acc = np.empty_like(r)
    unpen, XU = _unpenalized_columns(Xd, data, indices, indptr, is_sparse, r.shape[0], l1, l2,
                                     lips, mu)
    r_dual = np.empty_like(r)
    col = np.empty_like(r)
    while True:
        # outer iteration: correlations of every candidate in one (parallel) pass, the gap
        cand = _candidates(screened)
        c = np.empty(cand.shape[0])
        rdr, rdz = _residual_stats(r, s, z, d, unit_d)
        if unpen.shape[0] > 0:
            _project_unpenalized(XU, unpen, w, positive, d, unit_d, r, s, r_dual)
            _correlations(Xd, data, indices, indptr, is_sparse, cand, d, unit_d, r_dual, 0.0,
                          mu, sd, S, c)
            rdr_dual, rdz_dual = _residual_stats(r_dual, 0.0, z, d, unit_d)
        else:
            _correlations(Xd, data, indices, indptr, is_sparse, cand, d, unit_d, r, s, mu, sd,
                          S, c)
            rdr_dual, rdz_dual = rdr, rdz
        primal, gap, scale = _quadratic_gap(cand, c, w, rdr, rdr_dual, rdz_dual, S, l1, l2,
                                            positive)
        if gap <= tol_abs:
            converged = True
            break
        if n_epochs >= max_epochs or (max_work > 0 and work_done >= max_work):
            break
        radius = np.sqrt(2.0 * max(gap, 0.0) / S)
        ws = _screen_and_rank(cand, c, scale, radius, w, l1, lips, normx, positive,
                              use_screening, screened, p0)
        # inner iterations on the working set, until its own gap is below tol_in
        tol_in = INNER_TOL_RATIO * gap
        m = ws.shape[0]
        hist = np.empty((ANDERSON_K + 1, m))
        c_ws = np.empty(m)
        w_cand = np.empty(m)
        signs = np.zeros(m, dtype=np.int8)
        sol_face = np.empty(m)
        epoch_work = pass_work(indptr, is_sparse, n_samples, ws)
        if max_work > 0 and work_done + WORK_LOOKAHEAD_EPOCHS * _ahead_work(
                epoch_work, ws, w, cand, c, l1, positive, n_outer) >= max_work:
            break
        n_outer += 1
        work_since_newton = 0
        n_hist = 0
        epoch_in = 0
        while n_epochs < max_epochs:
            s = _cd_epoch(Xd, data, indices, indptr, is_sparse, ws, d, unit_d, r, s, mu, sd, S,
                          lips, l1, l2, positive, w)
            n_epochs += 1
            epoch_in += 1
            work_since_newton += epoch_work
            work_done += epoch_work
            if max_work > 0 and work_done >= max_work:
                break
            if accelerate:
                for k in range(m):
                    hist[n_hist, k] = w[ws[k]]
                n_hist += 1
                if n_hist == ANDERSON_K + 1:
                    n_hist = 0
                    if _anderson_point(hist, positive, w_cand):
                        s, _ = _move_if_better(Xd, data, indices, indptr, is_sparse, ws, w_cand,
                                               z, d, unit_d, r, s, mu, S, l1, l2, w, r_acc)
            if epoch_in % GAP_CHECK_EVERY != 0:
                continue
            gap_in = _working_set_gap(Xd, data, indices, indptr, is_sparse, ws, d, unit_d, r,
                                      s, z, mu, sd, S, l1, l2, positive, w, c_ws)
            if gap_in <= tol_in:
                break
            # Newton step on the support: with the Gram matrix and Cholesky once the signs
            # stop changing on a support of at most NEWTON_MAX_SUPPORT features, at most as
            # often as the epochs run since pay for it; otherwise with conjugate gradients
            if not accelerate:
                continue
            changed = _support_changed(ws, w, signs)
            support = _support_positions(ws, w)
            n_sup = support.shape[0]
            if n_sup == 0:
                continue
            support_work = pass_work(indptr, is_sparse, n_samples, ws[support])
            if n_sup <= NEWTON_MAX_SUPPORT and not changed:
                newton_work = n_sup * (n_samples + support_work) + n_sup ** 3 // 3
                if work_since_newton < newton_work:
                    continue
                work_since_newton = 0
                if not _newton_point(Xd, data, indices, indptr, is_sparse, ws, support, z, d,
                                     unit_d, S, mu, l1, l2, w, col, w_cand):
                    continue
                s, _ = _move_if_better(Xd, data, indices, indptr, is_sparse, ws, w_cand, z, d,
                                       unit_d, r, s, mu, S, l1, l2, w, r_acc)
            else:
                # as many CG iterations as the epochs run since pay for (two passes each);
                # the projected step first (many coefficients may leave at once), the
                # truncated one if that does not lower the objective
                n_cg = work_since_newton // (2 * support_work + 2 * n_samples)
                if n_cg < CG_MIN_ITER:
                    continue
                if not _face_cg_point(Xd, data, indices, indptr, is_sparse, ws, support, d,
                                      unit_d, r, s, S, mu, sd, lips, l1, l2, w, n_cg, col,
                                      sol_face):
                    work_since_newton = 0
                    continue
                _step_on_face(ws, support, w, sol_face, bool(True), w_cand)  # noqa: UP018
                s, moved = _move_if_better(Xd, data, indices, indptr, is_sparse, ws, w_cand, z,
                                           d, unit_d, r, s, mu, S, l1, l2, w, r_acc)
                if not moved:
                    _step_on_face(ws, support, w, sol_face, bool(False), w_cand)  # noqa: UP018
                    s, _ = _move_if_better(Xd, data, indices, indptr, is_sparse, ws, w_cand,
                                           z, d, unit_d, r, s, mu, S, l1, l2, w, r_acc)
            gap_before = gap_in
            gap_in = _working_set_gap(Xd, data, indices, indptr, is_sparse, ws, d, unit_d, r,
                                      s, z, mu, sd, S, l1, l2, positive, w, c_ws)
            if gap_in <= tol_in:
                break
            if not gap_in < CG_KEEP_BUDGET * gap_before:
                work_since_newton = 0  # only a step that pays keeps its budget for the next
    return s, n_epochs, gap, primal, converged


# --------------------------------------------------------------------------------------------
# problem set-up shared by the estimators, paths and the logistic solver


@njit(cache=True, nogil=True)
def column_stats(Xd, data, indices, indptr, is_sparse, cols, d, unit_d, center, S, mu, lips,
                 normx):
    """Fill ``mu`` (d-weighted column means, or 0), ``lips`` and ``normx`` for the kernel, at
    the features ``cols`` (``np.arange(n_features)``: all; other entries are left as they are).

    Returns ``sum(d)``. Columns that are constant after centering get ``lips = 0`` (their
    coefficient is never moved).
    """
    sd = 0.0
    for i in range(d.shape[0]):
        sd += d[i]
    m_cols = cols.shape[0]
    first = np.empty(m_cols)
    second = np.empty(m_cols)
    weighted_col_moments(Xd, data, indices, indptr, is_sparse, cols, d, unit_d, first, second)
    for k in range(m_cols):
        j = cols[k]
        m = first[k] / sd if center else 0.0
        nrm2 = second[k] - m * m * sd
        if nrm2 <= CONSTANT_COLUMN_RTOL * second[k] or nrm2 <= 0.0:
            nrm2 = 0.0
        mu[j] = m
        lips[j] = nrm2 / S
        normx[j] = np.sqrt(nrm2)
    return sd


# --------------------------------------------------------------------------------------------
# logistic regression: prox-Newton outer loop, each step an enet_ws_solve


@njit(cache=True, nogil=True)
def _log1pexp(t):
    if t > 0.0:
        return t + np.log1p(np.exp(-t))
    return np.log1p(np.exp(t))


@njit(cache=True, nogil=True)
def _sigmoid(t):
    if t >= 0.0:
        return 1.0 / (1.0 + np.exp(-t))
    e = np.exp(t)
    return e / (1.0 + e)


@njit(cache=True, nogil=True)
def _xlogx(p):
    return p * np.log(p) if p > 0.0 else 0.0


@njit(cache=True, nogil=True)
def logistic_loss(eta, y, d, S):
    """``1/S sum_i d_i log(1 + exp(-y_i eta_i))``."""
    acc = 0.0
    for i in range(eta.shape[0]):
        if d[i] != 0.0:
            acc += d[i] * _log1pexp(-y[i] * eta[i])
    return acc / S


@njit(cache=True, nogil=True)
def logistic_gap(Xd, data, indices, indptr, is_sparse, y, d, S, eta, w, l1, l2, positive,
                 fit_intercept, grad, c):
    """Primal value and duality gap of the penalized logistic problem at ``eta = X w + b``.

    ``grad`` receives minus the loss gradient in ``eta``, ``d y sigma(-y eta) / S``; ``c`` is
    a work buffer (n_features). The dual point takes the probabilities
    ``p_i = sigma(-y_i eta_i)``; with an intercept those of the heavier class are shrunk so
    that ``sum_i theta_i = 0`` (dual feasibility for the unpenalized intercept, keeping
    ``p`` in [0, 1]), then all are scaled for the l1 constraints.
    """
    n_samples = eta.shape[0]
    n_features = w.shape[0]
    p = np.empty(n_samples)
    mass_pos = 0.0
    mass_neg = 0.0
    for i in range(n_samples):
        p[i] = _sigmoid(-y[i] * eta[i])
        grad[i] = d[i] * y[i] * p[i] / S
        if y[i] > 0:
            mass_pos += d[i] * p[i]
        else:
            mass_neg += d[i] * p[i]
    if fit_intercept and mass_pos > 0.0 and mass_neg > 0.0:
        shrink_pos = min(1.0, mass_neg / mass_pos)
        shrink_neg = min(1.0, mass_pos / mass_neg)
        for i in range(n_samples):
            p[i] *= shrink_pos if y[i] > 0 else shrink_neg
    theta = np.empty(n_samples)
    for i in range(n_samples):
        theta[i] = d[i] * y[i] * p[i] / S
    cols = np.arange(n_features)
    xt_dot_weighted(Xd, data, indices, indptr, is_sparse, cols, theta, theta,
                    bool(True), c)  # noqa: UP018 (a literal would compile another copy)
    primal = logistic_loss(eta, y, d, S) + penalty_value(w, l1, l2)
    scale = _dual_scale(cols, c, l1, l2, positive)
    dual = 0.0
    for i in range(n_samples):
        if d[i] != 0.0:
            q = scale * p[i]
            dual -= d[i] * (_xlogx(q) + _xlogx(1.0 - q))
    dual /= S
    dual -= _conj_penalty_sum(cols, c, scale, l1, l2, positive)
    return primal, primal - dual


@njit(cache=True, nogil=True)
def _newton_weights(y, d, eta, h, z):
    """Hessian weights ``h`` and working response ``z`` of the logistic loss at ``eta``."""
    for i in range(y.shape[0]):
        sig = _sigmoid(-y[i] * eta[i])
        curv = max(sig * (1.0 - sig), 1e-10)
        h[i] = d[i] * curv
        z[i] = eta[i] + (y[i] * sig / curv if d[i] != 0.0 else 0.0)


@njit(cache=True, nogil=True)
def _working_residual(h, sd, fit_intercept, eta, b, mu, w, z, r):
    """Centre ``z`` (h-weighted, with an intercept) and set ``r = z - X w``, as
    :func:`enet_ws_solve` stores it; returns ``(zbar, mu^T w)``."""
    zbar = 0.0
    if fit_intercept:
        for i in range(z.shape[0]):
            zbar += h[i] * z[i]
        zbar /= sd
    for i in range(z.shape[0]):
        z[i] -= zbar
        r[i] = z[i] - (eta[i] - b)  # X w = eta - b
    s0 = 0.0
    for j in range(w.shape[0]):
        s0 += mu[j] * w[j]
    return zbar, s0


@njit(cache=True, nogil=True)
def _logistic_step(Xd, data, indices, indptr, is_sparse, y, d, S, fit_intercept, l1, l2,
                   positive, w, w_new, b, b_new, eta, theta, c, primal, gap):
    """Armijo backtracking from ``(w, b)`` toward the Newton point ``(w_new, b_new)``.

    ``w`` and ``eta = X w + b`` are updated in place; ``theta`` holds minus the loss
    gradient at ``eta`` (from :func:`logistic_gap`), ``primal`` and ``gap`` the objective and
    gap there. Returns ``(b, decrease, stop)``: ``decrease`` is the directional derivative of
    the objective along the step, ``stop`` that no step lowers the objective or the gap.
    """
    n_samples = eta.shape[0]
    n_features = w.shape[0]
    deta = np.zeros(n_samples)
    add_columns(Xd, data, indices, indptr, is_sparse, np.arange(n_features), w_new - w, deta)
    db = b_new - b
    decrease = 0.0
    for i in range(n_samples):
        deta[i] += db
        decrease -= theta[i] * deta[i]  # gradient of the loss along the direction
    decrease += penalty_value(w_new, l1, l2) - penalty_value(w, l1, l2)
    w_try = np.empty(n_features)
    eta_try = np.empty(n_samples)
    step = 1.0
    accepted = False
    f_try = primal
    for _ in range(30):
        for i in range(n_samples):
            eta_try[i] = eta[i] + step * deta[i]
        for j in range(n_features):
            w_try[j] = w[j] + step * (w_new[j] - w[j])
        f_try = logistic_loss(eta_try, y, d, S) + penalty_value(w_try, l1, l2)
        if f_try <= primal + 1e-4 * step * min(decrease, 0.0):
            accepted = True
            break
        step *= 0.5
    if not accepted or f_try >= primal - 1e-15 * abs(primal):
        # No representable decrease of the objective is left: near the optimum the full
        # Newton step is still the best move, keep it only if it lowers the duality gap.
        for i in range(n_samples):
            eta_try[i] = eta[i] + deta[i]
        _, gap_full = logistic_gap(Xd, data, indices, indptr, is_sparse, y, d, S, eta_try,
                                   w_new, l1, l2, positive, fit_intercept, theta, c)
        if not gap_full < gap:
            return b, decrease, True
        step = 1.0
        copy_into(w_new, w_try)
    copy_into(eta_try, eta)
    copy_into(w_try, w)
    return b + step * db, decrease, False


def logistic_prox_newton(Xd, data, indices, indptr, is_sparse, y, d, S, fit_intercept, l1, l2,
                         positive, w, b, max_newton, max_epochs, tol_abs, p0):
    """Prox-Newton for the penalized logistic loss; ``w`` is updated in place.

    Each step minimizes the second-order model of the loss plus the exact penalty with
    :func:`enet_ws_solve` (Hessian weights, intercept by centering), then backtracks on the
    true objective (Armijo). Returns ``(b, n_newton, n_epochs, gap, converged)``.

    The Newton loop itself is Python (a few to a few tens of steps, each a handful of kernel
    calls): compiled, it would carry its own copy of :func:`enet_ws_solve` and everything it
    calls, several seconds of compilation on first use on top of the Lasso's.
    """
    parts = (Xd, data, indices, indptr, is_sparse)
    fit_intercept = bool(fit_intercept)
    positive = bool(positive)
    n_samples = y.shape[0]
    n_features = w.shape[0]
    eta = np.empty(n_samples)
    matvec(*parts, n_samples, w, eta)
    eta += b
    theta = np.empty(n_samples)
    c = np.empty(n_features)
    h = np.empty(n_samples)
    z = np.empty(n_samples)
    r = np.empty(n_samples)
    mu = np.zeros(n_features)  # (mu, lips, normx) are filled on each Newton model's candidates
    lips = np.zeros(n_features)
    normx = np.zeros(n_features)
    w_new = np.empty(n_features)
    total_epochs = 0
    gap = np.inf
    converged = False
    # The logistic dual cannot enforce X_j^T theta = 0 for unpenalized features (l1 = l2 = 0),
    # so with such features the gap alone does not certify: the decrease predicted by the last
    # Newton model (which handles them exactly) must also be below the tolerance.
    has_unpenalized = bool(np.any((l1 == 0.0) & (l2 == 0.0)))
    model_decrease = np.inf if has_unpenalized else 0.0
    restrict = True  # Newton models on candidate features (see _newton_candidates)
    it = 0
    for it in range(max_newton + 1):
        primal, gap = logistic_gap(*parts, y, d, S, eta, w, l1, l2, positive, fit_intercept,
                                   theta, c)
        if gap <= tol_abs and model_decrease <= tol_abs:
            converged = True
            break
        if it == max_newton or total_epochs >= max_epochs:
            break
        _newton_weights(y, d, eta, h, z)
        screened = _newton_candidates(c, w, l1, positive, p0, restrict)
        cand = np.flatnonzero(~screened)
        sd = column_stats(*parts, cand, h, False, fit_intercept, S, mu, lips, normx)
        zbar, s0 = _working_residual(h, sd, fit_intercept, eta, b, mu, w, z, r)
        w_new[:] = w
        tol_sub = max(INNER_TOL_RATIO * gap, 0.1 * tol_abs)
        s_new, ep, _, _, _ = enet_ws_solve(
            *parts, z, h, False, S, mu, sd, lips, normx, l1, l2, positive, w_new, r, s0,
            screened, max_epochs - total_epochs, tol_sub, p0, True, True, np.int64(0))
        total_epochs += int(ep)
        b_new = zbar - s_new if fit_intercept else 0.0
        b, decrease, stop = _logistic_step(*parts, y, d, S, fit_intercept, l1, l2, positive, w,
                                           w_new, b, b_new, eta, theta, c, primal, gap)
        if has_unpenalized:
            model_decrease = abs(decrease)
        if stop:
            if not restrict:
                break
            restrict = False  # the restricted model is solved: give it every feature
        else:
            restrict = True
    return b, it, total_epochs, gap, converged


def _newton_candidates(c, w, l1, positive, p0, restrict):
    """Features left out of a Newton subproblem (``screened`` for :func:`enet_ws_solve`).

    Each Newton model costs passes over its candidates (their Hessian-weighted norms, the
    correlations of its working sets), while the dual point of the current iterate already
    ranks every feature by ``|X_j^T theta| / l1_j`` (``c``, from :func:`logistic_gap`). The
    candidates are the support, the features without l1 penalty, every feature whose dual
    constraint is violated, and the next best-ranked ones, as many as the support (at least
    ``p0``). A feature left out stays at 0 for this step only: the gap of the next iterate,
    computed on every feature, decides whether it joins. Without ``restrict``, or when the
    candidates would be more than ``CANDIDATE_MAX_FRACTION`` of the features, nothing is left
    out: the passes saved are then few, and the column statistics of a scattered subset cost
    more than those of all columns (measured on the 20000 x 50000 CSC design, 45% of the
    features as candidates: 31-37 ms against 17 ms per fit).
    """
    p = w.shape[0]
    screened = np.zeros(p, dtype=np.bool_)
    if not restrict:
        return screened
    forced = (w != 0.0) | (l1 <= 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (np.maximum(c, 0.0) if positive else np.abs(c)) / l1
    score[forced] = np.inf
    n_forced = int(np.count_nonzero(forced))
    n_viol = int(np.count_nonzero(score > 1.0)) - n_forced
    k = n_forced + max(p0, n_forced, n_viol, 1)
    if k > CANDIDATE_MAX_FRACTION * p:
        return screened
    keep = np.argpartition(-score, k - 1)[:k]
    screened[:] = True
    screened[keep] = False
    return screened
