"""
==========================================================
Lasso path and cross-validation on the diabetes data
==========================================================

The Lasso path shows how each coefficient enters the model as the penalty ``alpha``
decreases; :class:`skreg.LassoCV` picks ``alpha`` by 5-fold cross-validation along that
path. Both solve exactly the objective of :class:`sklearn.linear_model.Lasso`::

    1 / (2 n) ||y - X w - b||_2^2 + alpha ||w||_1

so the paths coincide with scikit-learn's (dashed) to solver tolerance; skreg certifies
each point by its duality gap.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import lasso_path as sk_lasso_path
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler

import skreg

data = load_diabetes(scaled=False)
X = StandardScaler().fit_transform(data.data)
y = data.target - data.target.mean()

alphas, coefs, gaps = skreg.lasso_path(X, y, tol=1e-10)
_, sk_coefs, _ = sk_lasso_path(X, y, alphas=alphas, tol=1e-10, max_iter=100_000)
print(f"max |skreg - sklearn| along the path: {np.abs(coefs - sk_coefs).max():.1e}")
print(f"largest relative duality gap: {np.max(gaps / (0.5 * np.mean(y**2))):.1e}")

cv = skreg.LassoCV(cv=KFold(5)).fit(X, y)

# %%
fig, (ax_path, ax_cv) = plt.subplots(1, 2, figsize=(11, 4.2))
for k, name in enumerate(data.feature_names):
    (line,) = ax_path.plot(alphas, coefs[k], label=name)
    ax_path.plot(alphas, sk_coefs[k], "--", color=line.get_color(), lw=1)
ax_path.set_xscale("log")
ax_path.invert_xaxis()
ax_path.axvline(cv.alpha_, color="k", ls=":", label="LassoCV alpha_")
ax_path.set_xlabel("alpha")
ax_path.set_ylabel("coefficient (standardized features)")
ax_path.set_title("Lasso path: skreg (solid), scikit-learn (dashed)")
ax_path.legend(fontsize=7, ncol=2)

mse = cv.mse_path_
ax_cv.plot(cv.alphas_, mse, color="0.8", lw=0.8)
ax_cv.plot(cv.alphas_, mse.mean(axis=1), "k", lw=2, label="mean over folds")
ax_cv.axvline(cv.alpha_, color="k", ls=":", label=f"alpha_ = {cv.alpha_:.3g}")
ax_cv.set_xscale("log")
ax_cv.invert_xaxis()
ax_cv.set_xlabel("alpha")
ax_cv.set_ylabel("held-out mean squared error")
ax_cv.set_title("LassoCV, 5 folds")
ax_cv.legend()
fig.tight_layout()
plt.show()
