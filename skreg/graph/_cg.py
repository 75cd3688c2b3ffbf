r"""The conjugate-gradient loop of the ``"cg"`` back end, compiled.

Jacobi-preconditioned CG on the normal equations

.. math:: (A^\top A + \rho\, G^\top G)\, x = b, \qquad A = S^{1/2} (X - 1 \bar x^\top),

with ``A`` never formed: ``X`` is applied as given (CSR products, or BLAS for a dense ``X``),
the centring and weights as vectors. One call runs the whole loop, where scipy's ``cg`` spent
about 40 us of Python per step on top of the products (a third of a step on 32 x 32 CT).
"""

import numpy as np
from numba import njit

from .._kernels.linalg import csr_matvec, norm2


@njit(cache=True, nogil=True)
def normal_apply(Xd, x_csr, xt_csr, is_sparse, x_mean, sqrt_sw, unit_weights, fit_intercept,
                  g_csr, gt_csr, rho, v, u, gv, out, tmp):
    """``out = (A^T A + rho G^T G) v``; ``u`` (n), ``gv`` (m) and ``tmp`` (p) are work space."""
    if is_sparse:
        csr_matvec(x_csr[0], x_csr[1], x_csr[2], v, u)
    else:
        u[:] = np.dot(Xd, v)
    if fit_intercept:
        shift = np.dot(x_mean, v)
        for i in range(u.shape[0]):
            u[i] -= shift
    if not unit_weights:
        # A^T A v = X~^T (s * X~ v): the two square roots of the weights meet
        for i in range(u.shape[0]):
            u[i] *= sqrt_sw[i] * sqrt_sw[i]
    if is_sparse:
        csr_matvec(xt_csr[0], xt_csr[1], xt_csr[2], u, out)
    else:
        out[:] = np.dot(Xd.T, u)
    if fit_intercept:
        total = u.sum()
        for j in range(out.shape[0]):
            out[j] -= x_mean[j] * total
    if rho != 0.0:
        csr_matvec(g_csr[0], g_csr[1], g_csr[2], v, gv)
        csr_matvec(gt_csr[0], gt_csr[1], gt_csr[2], gv, tmp)
        for j in range(out.shape[0]):
            out[j] += rho * tmp[j]


@njit(cache=True, nogil=True)
def normal_cg(Xd, x_csr, xt_csr, is_sparse, x_mean, sqrt_sw, unit_weights, fit_intercept,
              g_csr, gt_csr, rho, inv_diag, r0, target, max_iter):
    """Preconditioned CG from 0 on ``(A^T A + rho G^T G) dx = r0``, stopped when the residual
    norm is at most ``target`` (scipy's ``cg`` with ``atol = target``, ``rtol = 0``).

    ``x_csr``, ``xt_csr``, ``g_csr``, ``gt_csr``: ``(data, indices, indptr)`` of ``X``,
    ``X^T``, ``G`` and ``G^T`` in CSR (``X``'s unused when ``is_sparse`` is False).
    Returns ``(dx, n_iter, converged)``.
    """
    p = r0.shape[0]
    n = sqrt_sw.shape[0]
    dx = np.zeros(p)
    r = r0.copy()
    z = np.empty(p)
    d = np.empty(p)
    q = np.empty(p)
    u = np.empty(n)
    gv = np.empty(g_csr[2].shape[0] - 1)
    tmp = np.empty(p)
    if norm2(r) <= target:
        return dx, 0, True
    for j in range(p):
        z[j] = inv_diag[j] * r[j]
        d[j] = z[j]
    rz = np.dot(r, z)
    it = 0
    while it < max_iter:
        it += 1
        normal_apply(Xd, x_csr, xt_csr, is_sparse, x_mean, sqrt_sw, unit_weights,
                      fit_intercept, g_csr, gt_csr, rho, d, u, gv, q, tmp)
        dq = np.dot(d, q)
        if not dq > 0.0:
            # breakdown (a singular system along d): stop where we are
            return dx, it, False
        step = rz / dq
        for j in range(p):
            dx[j] += step * d[j]
            r[j] -= step * q[j]
        if norm2(r) <= target:
            return dx, it, True
        for j in range(p):
            z[j] = inv_diag[j] * r[j]
        rz_new = np.dot(r, z)
        beta = rz_new / rz
        rz = rz_new
        for j in range(p):
            d[j] = z[j] + beta * d[j]
    return dx, it, False
