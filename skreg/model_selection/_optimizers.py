"""Outer optimizers over the transformed hyperparameters ``theta`` (log / logit scale).

Each optimizer calls ``fun(theta, inner_tol, linear_tol) -> (value, grad)``, where
``inner_tol`` (relative tolerance of the inner solver) and ``linear_tol`` (relative residual
of the linear system) are None for "the estimator's own settings", and keeps ``theta`` in the
box ``[lo, hi]``. The caller records every evaluation and keeps the best one: the optimizers
only decide where to evaluate next. All stop after ``max_iter`` iterations or when a step
moves every transformed hyperparameter by less than ``tol``.
"""

import numpy as np

OPTIMIZERS = ("line_search", "hoag", "maid", "adam", "gd")

_ARMIJO = 1e-4
_MAX_BACKTRACKS = 8


def _move(theta, direction, lo, hi, tol):
    """The projected point ``clip(theta - direction)`` and the step to it, or ``(None, None)``
    when the step changes every coordinate by less than ``tol`` (the stopping rule)."""
    new = np.clip(theta - direction, lo, hi)
    step = new - theta
    if np.max(np.abs(step)) < tol:
        return None, None
    return new, step


def _first_step(g):
    """Step length whose first move changes the largest log-hyperparameter by one unit."""
    gmax = float(np.max(np.abs(g)))
    return 1.0 / gmax if gmax > 0 else 0.0


def line_search(fun, theta, lo, hi, max_iter, tol, learning_rate=None):
    """Projected gradient with Barzilai-Borwein steps and a monotone Armijo line search.

    The first trial step of an iteration is the BB step ``s^T s / s^T y`` of the last move
    (a secant estimate of the inverse curvature; doubled previous step when the curvature is
    not positive); it is halved until the criterion decreases sufficiently. The search stops
    when no step decreases the criterion (a kink or a minimum at the current point).
    """
    f, g = fun(theta, None, None)
    t = learning_rate or _first_step(g)
    for _ in range(max_iter):
        if t <= 0 or not np.any(g):
            return
        for _ in range(_MAX_BACKTRACKS):
            new, step = _move(theta, t * g, lo, hi, tol)
            if new is None:
                return
            f_new, g_new = fun(new, None, None)
            if f_new <= f + _ARMIJO * float(g @ step):
                break
            t *= 0.5
        else:
            return
        s, yk = step, g_new - g
        theta, f, g = new, f_new, g_new
        curv = float(s @ yk)
        t = float(s @ s) / curv if curv > 0 else 2.0 * t
        if np.max(np.abs(s)) < tol:
            return


def gradient_descent(fun, theta, lo, hi, max_iter, tol, learning_rate=None):
    """Projected gradient descent with a fixed step, halved (and the move undone) whenever
    the criterion increases; the default step moves the largest log-hyperparameter by one
    unit on the first iteration."""
    f, g = fun(theta, None, None)
    t = learning_rate or _first_step(g)
    for _ in range(max_iter):
        if t <= 0 or not np.any(g):
            return
        new, _ = _move(theta, t * g, lo, hi, tol)
        if new is None:
            return
        f_new, g_new = fun(new, None, None)
        if f_new > f:
            t *= 0.5
            continue
        theta, f, g = new, f_new, g_new


def adam(fun, theta, lo, hi, max_iter, tol, learning_rate=None, beta1=0.9, beta2=0.999):
    """Adam (Kingma and Ba, 2015) in the transformed hyperparameters; step ``learning_rate``
    (default 0.1 log units) per coordinate."""
    lr = learning_rate or 0.1
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    _, g = fun(theta, None, None)
    for k in range(1, max_iter + 1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        mhat = m / (1 - beta1 ** k)
        vhat = v / (1 - beta2 ** k)
        new, _ = _move(theta, lr * mhat / (np.sqrt(vhat) + 1e-12), lo, hi, tol)
        if new is None:
            return
        theta = new
        _, g = fun(theta, None, None)


def hoag(fun, theta, lo, hi, max_iter, tol, learning_rate=None, inner_tol0=1e-4,
         decrease=0.7, inner_tol_min=1e-10):
    """HOAG (Pedregosa, 2016): gradient steps on inexact hypergradients.

    The inner solver's relative tolerance and the linear system's relative residual follow
    the summable schedule ``eps_k = inner_tol0 * decrease^k`` (floored at ``inner_tol_min``),
    so the hypergradient errors are summable and the iterates converge. The step ``1/L``
    shrinks (``L *= 2``, move undone) when the criterion increases by more than the error
    ``eps_k |f|`` allows and grows slowly (``L *= 0.9``) otherwise.
    """
    eps = inner_tol0
    f, g = fun(theta, eps, eps)
    t = learning_rate or _first_step(g)
    for _ in range(max_iter):
        if t <= 0 or not np.any(g):
            return
        new, _ = _move(theta, t * g, lo, hi, tol)
        if new is None:
            return
        eps = max(eps * decrease, inner_tol_min)
        f_new, g_new = fun(new, eps, eps)
        if f_new > f + eps * abs(f):
            t *= 0.5
            continue
        theta, f, g = new, f_new, g_new
        t /= 0.9


def maid(fun, theta, lo, hi, max_iter, tol, learning_rate=None, inner_tol0=1e-4,
         shrink=0.5, tighten=0.1, loosen=1.25, inner_tol_min=1e-12, max_backtracks=4):
    """MAID (Salehi, Mukherjee, Roberts and Ehrhardt, 2023): adaptively inexact descent.

    Each iteration runs a backtracking line search on the inexact criterion with an inexact
    sufficient-decrease test (the decrease must exceed the criterion error allowed by the
    current accuracy ``eps |f|``). When the line search fails, the accuracies of the inner
    solve and of the linear system are tightened (``eps *= tighten``) and the iteration is
    retried at the same point; after a success the step grows (``/ shrink``) and the
    accuracies loosen (``eps *= loosen``, at most ``inner_tol0``), so the inner problems are
    solved only as accurately as the outer progress needs. Its guarantees assume a strongly
    convex inner problem.
    """
    eps = inner_tol0
    f, g = fun(theta, eps, eps)
    t = learning_rate or _first_step(g)
    for _ in range(max_iter):
        if t <= 0 or not np.any(g):
            return
        accepted = False
        for _ in range(max_backtracks):
            new, step = _move(theta, t * g, lo, hi, tol)
            if new is None:
                return
            f_new, g_new = fun(new, eps, eps)
            if f_new + eps * abs(f_new) <= f - eps * abs(f) + _ARMIJO * float(g @ step):
                accepted = True
                break
            t *= shrink
        if accepted:
            theta, f, g = new, f_new, g_new
            t /= shrink
            eps = min(eps * loosen, inner_tol0)
            if np.max(np.abs(step)) < tol:
                return
            continue
        if eps <= inner_tol_min:
            return
        eps = max(eps * tighten, inner_tol_min)
        t /= shrink ** max_backtracks  # retry from the step that was tried first
        f, g = fun(theta, eps, eps)


RUNNERS = {
    "line_search": line_search,
    "gd": gradient_descent,
    "adam": adam,
    "hoag": hoag,
    "maid": maid,
}
