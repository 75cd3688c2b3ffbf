"""Validation criteria and their gradients with respect to the predictions.

A criterion sees the predictions of every fitted task (a CV fold, or for SURE the fits on
``y`` and on ``y + eps delta``) and returns its value and, per task, the gradient with respect
to that task's predictions (``decision_function`` for classifiers). The hypergradient then
back-propagates each of these gradients through its task's model.
"""

import numpy as np
from scipy.special import expit

CRITERIA = ("auto", "mse", "log_loss", "sure")


class HeldOutLoss:
    """Mean over tasks of the weighted held-out loss (``"mse"`` or ``"log_loss"``).

    mse: ``sum_i s_i (y_i - p_i)^2 / sum_i s_i``; log_loss: ``sum_i s_i log(1 + exp(-y_i t_i))
    / sum_i s_i`` with ``y_i`` in {-1, +1} and ``t_i`` the decision function.
    """

    def __init__(self, kind):
        self.kind = kind

    def __call__(self, tasks, preds):
        value = 0.0
        grads = []
        K = len(tasks)
        for task, pred in zip(tasks, preds, strict=True):
            s = task.sw_val
            S = s.sum()
            if self.kind == "mse":
                r = task.y_val - pred
                value += float(s @ (r * r)) / S
                grads.append(-2.0 * s * r / (S * K))
            else:
                y = task.y_val_pm
                m = y * pred
                value += float(s @ np.logaddexp(0.0, -m)) / S
                grads.append(-s * y * expit(-m) / (S * K))
        return value / K, grads


class Sure:
    """Finite-difference Monte-Carlo SURE (Deledalle et al. 2014), divided by ``n``.

    With ``mu(y)`` the fitted values, ``delta ~ N(0, I)`` and ``eps = 2 sigma / n^0.3``::

        (||y - mu(y)||^2 - n sigma^2 + 2 sigma^2 delta^T (mu(y + eps delta) - mu(y)) / eps) / n

    an unbiased estimate of the prediction risk ``E ||X w* - mu(y)||^2 / n`` (up to the
    finite difference) for Gaussian noise of standard deviation ``sigma``. Tasks 0 and 1 are
    the fits on ``y`` and on ``y + eps delta``.
    """

    def __init__(self, y, sigma, delta, eps):
        self.y, self.sigma, self.delta, self.eps = y, sigma, delta, eps

    def __call__(self, tasks, preds):
        mu1, mu2 = preds
        n = len(self.y)
        r = self.y - mu1
        s2 = self.sigma ** 2
        dof = float(self.delta @ (mu2 - mu1)) / self.eps
        value = (float(r @ r) - n * s2 + 2.0 * s2 * dof) / n
        c = 2.0 * s2 * self.delta / (self.eps * n)
        return value, [-2.0 * r / n - c, c]
