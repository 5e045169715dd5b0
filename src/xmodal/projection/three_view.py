"""Three-view CCA with the class label as third view (Gong, Ke, Isard, Lazebnik, IJCV 2014)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from ._base import check_paired_views, generalized_eigh
from ._components import WeightedComponentsMixin
from .cca import _check_parameters
from .feature_maps import fit_view_maps
from .kernel_cca import orient_components
from .semantic import _require_labels

__all__ = ["ThreeViewCCA"]


class ThreeViewCCA(WeightedComponentsMixin, BaseEstimator):
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
        self.n_components = n_components
        self.kernel_image = kernel_image
        self.kernel_text = kernel_text
        self.gamma_image = gamma_image
        self.gamma_text = gamma_text
        self.degree = degree
        self.coef0 = coef0
        self.reg_image = reg_image
        self.reg_text = reg_text
        self.reg_label = reg_label
        self.correlation_power = correlation_power
        self.n_landmarks = n_landmarks
        self.eigenvalue_floor = eigenvalue_floor
        self.seed = seed

    def fit(self, X_image, X_text, y=None):
        """Fit the feature maps and the three-view directions; ``y`` (labels) is required. Returns self."""
        _check_parameters(self)
        reg_label = self.reg_label
        if not isinstance(reg_label, (int, float, np.floating)) or not np.isfinite(reg_label) or reg_label <= 0:
            raise ValueError(f"reg_label must be a finite number > 0, got {reg_label!r}.")
        X_image, X_text = check_paired_views(X_image, X_text)
        y = _require_labels(y, X_image.shape[0], type(self).__name__)
        Phi_image, Phi_text = fit_view_maps(self, X_image, X_text)
        self.classes_, index = np.unique(y, return_inverse=True)
        labels = np.zeros((len(y), len(self.classes_)))
        labels[np.arange(len(y)), index] = 1.0
        labels -= labels.mean(axis=0)
        views = [Phi_image, Phi_text, labels]
        sizes = [v.shape[1] for v in views]
        stacked = np.hstack(views)
        S = stacked.T @ stacked / len(y)
        D = np.zeros_like(S)
        start = 0
        for size, reg in zip(sizes, (self.reg_image, self.reg_text, reg_label)):
            block = slice(start, start + size)
            D[block, block] = S[block, block] + float(reg) * np.trace(S[block, block]) / size * np.eye(size)
            start += size
        D[np.diag_indices_from(D)] += float(self.eigenvalue_floor) * np.trace(D) / len(D)
        k = min(sizes[0], sizes[1]) if self.n_components is None else self.n_components
        if k > min(sizes[0], sizes[1]):
            raise ValueError(f"n_components={k} is too large: the maximum for this data is {min(sizes[:2])} "
                             f"(the smaller feature-map rank: image {sizes[0]}, text {sizes[1]}).")
        eigenvalues, W = generalized_eigh(S, D, k, largest=True)
        p, q = sizes[0], sizes[1]
        _, self.image_weights_, self.text_weights_, self.label_weights_ = orient_components(
            Phi_image @ W[:p], W[:p], W[p:p + q], W[p + q:])
        self.image_mean_, self.text_mean_ = np.zeros(p), np.zeros(q)  # the maps are centred already
        self.eigenvalues_ = np.clip(eigenvalues, 0.0, None)
        self.component_weights_ = self.eigenvalues_
        self.n_components_ = k
        return self
