"""Multinomial logistic regression on soft targets (class distributions instead of one label per row).

Used by the class-posterior projections to train the image classifier on a mix of each pair's
label and its text's class posterior (see ``distillation`` in
:class:`~xmodal.projection.semantic.SemanticMatching`).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax

__all__ = ["SoftTargetLogisticRegression", "mixed_targets"]


def mixed_targets(y, classes, posteriors, weight):
    """``(1 - weight) * onehot(y) + weight * posteriors``: rows are distributions over ``classes``.

    Examples
    --------
    >>> import numpy as np
    >>> mixed_targets(np.array([1, 2]), np.array([1, 2]), np.array([[0.5, 0.5], [0.0, 1.0]]), 0.5)
    array([[0.75, 0.25],
           [0.  , 1.  ]])
    """
    onehot = (np.asarray(y)[:, None] == np.asarray(classes)[None, :]).astype(np.float64)
    return (1.0 - weight) * onehot + weight * np.asarray(posteriors, dtype=np.float64)


class SoftTargetLogisticRegression:
    """Softmax regression fitted to target distributions by L-BFGS.

    Minimises the cross-entropy between each row's target distribution ``t_i`` and the model's
    ``softmax(W' x_i + b)``, with an L2 penalty on ``W`` (not on ``b``)::

        C * sum_i sum_c -t_ic log softmax(W' x_i + b)_c  +  ||W||^2 / 2

    the objective of :class:`sklearn.linear_model.LogisticRegression` (multinomial, lbfgs), which
    it equals when every ``t_i`` is one-hot. The objective is convex; the gradient is
    ``C X' (S - T) + W`` and ``C 1' (S - T)`` for ``b``. ``X`` may be sparse.

    Parameters
    ----------
    C : float, default=1.0
        Inverse penalty strength.
    max_iter : int, default=1000
        L-BFGS iterations.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (n_classes, n_features)
    intercept_ : ndarray of shape (n_classes,)
    n_iter_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> T = np.array([[1.0, 0.0], [0.8, 0.2], [0.2, 0.8], [0.0, 1.0]])
    >>> model = SoftTargetLogisticRegression(C=10.0).fit(X, T, classes=np.array(["a", "b"]))
    >>> model.predict_proba(np.array([[1.5]])).round(2)
    array([[0.5, 0.5]])
    """

    def __init__(self, C=1.0, max_iter=1000):
        self.C = C
        self.max_iter = max_iter

    def fit(self, X, targets, classes):
        """Fit to ``targets`` (n, n_classes), rows summing to 1, columns in the order of ``classes``; returns self."""
        targets = np.asarray(targets, dtype=np.float64)
        n, d = X.shape
        k = targets.shape[1]
        scale = 1.0 / n  # the objective divided by C n: same minimiser, gradients of order one

        def objective(w):
            W, b = w[: d * k].reshape(d, k), w[d * k:]
            log_p = log_softmax(np.asarray(X @ W) + b, axis=1)
            residual = np.exp(log_p) - targets
            value = -scale * np.einsum("ij,ij->", targets, log_p) + 0.5 * scale / self.C * np.einsum("ij,ij->", W, W)
            grad_W = scale * np.asarray(X.T @ residual) + (scale / self.C) * W
            return value, np.concatenate([grad_W.ravel(), scale * residual.sum(axis=0)])

        result = minimize(objective, np.zeros(d * k + k), jac=True, method="L-BFGS-B",
                          options={"maxiter": self.max_iter, "ftol": 1e-12, "gtol": 1e-8})
        self.coef_ = np.ascontiguousarray(result.x[: d * k].reshape(d, k).T)
        self.intercept_ = result.x[d * k:].copy()
        self.classes_ = np.asarray(classes)
        self.n_iter_ = int(result.nit)
        return self

    def predict_proba(self, X):
        """Class probabilities, shape (n, n_classes)."""
        return np.exp(log_softmax(np.asarray(X @ self.coef_.T) + self.intercept_, axis=1))
