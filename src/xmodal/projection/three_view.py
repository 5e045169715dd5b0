"""Three-view CCA with the class label as third view (Gong, Ke, Isard, Lazebnik, IJCV 2014)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from ._base import require_labels, store_init_params
from ._kernel_components import KernelComponentsMixin, class_indicators, ridged_block_diagonal
from .feature_maps import fit_view_maps

__all__ = ["ThreeViewCCA"]


class ThreeViewCCA(KernelComponentsMixin, BaseEstimator):
    """Multi-view CCA of image, text and label, embedding weighted by eigenvalue powers.

    Views: the centred feature maps ``Phi_1`` (image), ``Phi_2`` (text) and the centred one-hot
    label matrix ``Phi_3`` (used in training only). With ``S_ab = Phi_a' Phi_b / n`` the
    directions solve the symmetric-definite generalised eigenproblem of Gong et al. (2014),
    eq. 3::

        [S_11 S_12 S_13]       [S_11 + l_1 I                          ]
        [S_21 S_22 S_23] w = e [            S_22 + l_2 I              ] w
        [S_31 S_32 S_33]       [                          S_33 + l_3 I]

    (``scipy.linalg.eigh(S, D)``, largest ``e``), ``l_v = reg_v * trace(S_vv) / dim_v``. An
    image is embedded as ``Phi_1(x) W_1 diag(e) ** p`` and a text as ``Phi_2(x) W_2 diag(e) ** p``;
    Gong et al. weight by the eigenvalues to the power ``p = 4`` and compare by the normalised
    inner product (cosine), which is what the retrieval here does. The label view pulls
    same-class items of both modalities together; no label is needed to project a new item.

    Parameters
    ----------
    n_components : int or None, default=None
        Components kept (None: the smaller of the image and text feature-map ranks).
    kernel_image, kernel_text : str, default="linear"
        Feature-map kernels (see :mod:`xmodal.projection.kernels`).
    gamma_image, gamma_text : float or None, default=None
    degree : int, default=2
    coef0 : float, default=1.0
    reg_image, reg_text : float, default=0.1
        Relative ridges of the image and text blocks of ``D``.
    reg_label : float, default=0.1
        Relative ridge of the label block (the centred one-hot matrix is rank-deficient).
    correlation_power : float, default=4.0
        The power ``p`` of the eigenvalue weighting (Gong et al. use 4).
    n_landmarks : int, default=1000
    eigenvalue_floor : float, default=1e-10
    seed : int, default=0

    Attributes
    ----------
    eigenvalues_ : ndarray of shape (n_components_,)
        ``e``, descending, in [0, 3].
    component_weights_ : ndarray
        Same as ``eigenvalues_``.
    image_weights_, text_weights_, label_weights_ : ndarray
        ``W_1``, ``W_2``, ``W_3``.
    classes_ : ndarray
    image_map_, text_map_ : KernelFeatureMap
    n_components_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, size=300)
    >>> X_image = np.eye(3)[y] @ rng.normal(size=(3, 5)) + rng.normal(size=(300, 5))
    >>> X_text = np.eye(3)[y] @ rng.normal(size=(3, 4)) + rng.normal(size=(300, 4))
    >>> model = ThreeViewCCA(n_components=2).fit(X_image, X_text, y)
    >>> bool(model.eigenvalues_[0] > model.eigenvalues_[1] > 1.0)
    True
    """

    def __init__(self, n_components=None, kernel_image="linear", kernel_text="linear", gamma_image=None,
                 gamma_text=None, degree=2, coef0=1.0, reg_image=0.1, reg_text=0.1, reg_label=0.1,
                 correlation_power=4.0, n_landmarks=1000, eigenvalue_floor=1e-10, seed=0):
        store_init_params(self, locals())

    def fit(self, X_image, X_text, y=None):
        """Fit the feature maps and the three-view directions; ``y`` (labels) is required. Returns self."""
        X_image, X_text, y = self._check_fit_input(X_image, X_text, y)
        Phi_image, Phi_text = fit_view_maps(self, X_image, X_text)
        self.classes_, labels, _ = class_indicators(y)
        labels -= labels.mean(axis=0)
        views = [Phi_image, Phi_text, labels]
        stacked = np.hstack(views)
        S = stacked.T @ stacked / len(y)
        D = ridged_block_diagonal(S, [v.shape[1] for v in views], (self.reg_image, self.reg_text, self.reg_label),
                                  self.eigenvalue_floor)
        eigenvalues, self.label_weights_ = self._solve_stacked_eigenproblem(S, D, Phi_image, Phi_text, largest=True)
        self.eigenvalues_ = np.clip(eigenvalues, 0.0, None)
        self.component_weights_ = self.eigenvalues_
        return self

    def _check_params(self):
        super()._check_params()
        reg_label = self.reg_label
        if not isinstance(reg_label, (int, float, np.floating)) or not np.isfinite(reg_label) or reg_label <= 0:
            raise ValueError(f"reg_label must be a finite number > 0, got {reg_label!r}.")

    def _check_labels(self, y, n_pairs):
        return require_labels(y, n_pairs, type(self).__name__)
