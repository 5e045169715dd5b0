"""Gram-matrix alignment: the cross-modal similarity matrix aligned with a target kernel (labels, kernels)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator

from ._base import store_init_params
from ._kernel_components import KernelComponentsMixin, class_indicators
from .feature_maps import KernelFeatureMap, fit_view_maps

__all__ = ["GramAlignment"]

_TARGET_WEIGHTS = ("label_weight", "kernel_weight")


class GramAlignment(KernelComponentsMixin, BaseEstimator):
    r"""Projections whose cross-modal Gram matrix agrees with a target kernel (centred alignment / HSIC).

    Retrieval ranks texts for an image (and images for a text) by the entries of the
    cross-modal Gram matrix ``G = Z_i Z_t'`` of the projections ``Z_i = Phi_i A_i``,
    ``Z_t = Phi_t A_t`` (``Phi``: centred kernel feature maps, see
    :class:`~xmodal.projection.feature_maps.KernelFeatureMap`). This estimator makes ``G``
    agree with a target kernel ``K_T`` saying which image-text pairs should be similar.

    **Objective.** The centred alignment of ``G`` with ``K_T`` (the numerator of centred kernel
    alignment; HSIC's form ``tr(H G H K_T)`` with ``H = I - 11'/n``) is, because ``Phi`` is
    centred (``H Phi = Phi``)::

        <H G H, K_T>_F = tr(A_i' Phi_i' K_T Phi_t A_t)

    maximised under the whitening constraints ``A_i' (C_ii + l_i I) A_i = I`` and
    ``A_t' (C_tt + l_t I) A_t = I`` (``C``: feature-map covariances; ``l``: relative ridges).

    **Derivation.** Substituting ``A_i = S_i^{-1/2} U``, ``A_t = S_t^{-1/2} V`` (``S = C + l I``)
    turns the constraints into ``U'U = V'V = I`` and the objective into
    ``tr(U' T V)`` with ``T = S_i^{-1/2} Phi_i' K_T Phi_t S_t^{-1/2} / (n - 1)``. By von Neumann's
    trace inequality its maximum is the sum of the ``k`` largest singular values of ``T``,
    reached by its leading singular vectors: one ``eigh`` per view for the whitening and one
    ``svd``, closed form. Components are ordered by singular value (``alignments_``).

    **Why targets.** With ``K_T = I`` (an image is similar to its own caption only) ``T`` is
    the whitened cross covariance and the solution *is* CCA. Likewise maximising the HSIC of
    the two *linear* Gram matrices, ``||A_i' C_it A_t||_F^2`` under orthonormality, is solved
    by the CCA subspace. So this class is only useful with a target that adds information:

    - **label kernel** (``label_weight``): ``K_lab = sum_c 1_c 1_c' / n_c``, every same-class
      image-text pair should be similar (normalised per class, largest eigenvalue 1);
    - **kernel target** (``kernel_weight``): ``K_feat``, the mean of the two modalities' own
      ``target_kernel`` matrices (each scaled to largest eigenvalue 1), so that items similar
      in either modality's own feature space are similar across modalities;

    mixed as ``K_T = (1 - label_weight - kernel_weight) I + label_weight K_lab + kernel_weight K_feat``.
    Every part is applied in factored form (one-hot columns, Nyström maps), never as an
    ``n x n`` matrix. Since ``||K_T||_2 <= 1`` the singular values lie in [0, 1].

    Parameters
    ----------
    n_components : int or None, default=None
        Components kept (None: the smaller feature-map rank).
    label_weight : float, default=0.5
        Weight of the label kernel in the target (needs ``y`` in ``fit``).
    kernel_weight : float, default=0.0
        Weight of the feature kernel target.
    target_kernel : str, default="rbf"
        Kernel of the feature target (width set from the data).
    kernel_image, kernel_text : str, default="linear"
        Input kernels (see :mod:`xmodal.projection.kernels`).
    gamma_image, gamma_text : float or None, default=None
    degree : int, default=2
    coef0 : float, default=1.0
    reg_image, reg_text : float, default=0.1
        Relative ridges of the whitening.
    correlation_power : float, default=0.0
        Components scaled by ``alignments_ ** correlation_power``.
    n_landmarks : int, default=1000
    eigenvalue_floor : float, default=1e-10
    seed : int, default=0

    Attributes
    ----------
    alignments_ : ndarray of shape (n_components_,)
        Singular values of ``T``, descending (canonical correlations when the target is ``I``).
    component_weights_ : ndarray
        Same as ``alignments_``.
    image_weights_, text_weights_ : ndarray
        ``A_i``, ``A_t`` in feature-map coordinates.
    image_map_, text_map_ : KernelFeatureMap
    n_components_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 4, size=400)
    >>> X_image = np.eye(4)[y] @ rng.normal(size=(4, 6)) + 2 * rng.normal(size=(400, 6))
    >>> X_text = np.eye(4)[y] @ rng.normal(size=(4, 5)) + 2 * rng.normal(size=(400, 5))
    >>> model = GramAlignment(n_components=3, label_weight=1.0).fit(X_image, X_text, y)
    >>> model.transform_image(X_image[:2]).shape
    (2, 3)
    """

    def __init__(self, n_components=None, label_weight=0.5, kernel_weight=0.0, target_kernel="rbf",
                 kernel_image="linear", kernel_text="linear", gamma_image=None, gamma_text=None, degree=2, coef0=1.0,
                 reg_image=0.1, reg_text=0.1, correlation_power=0.0, n_landmarks=1000, eigenvalue_floor=1e-10,
                 seed=0):
        store_init_params(self, locals())

    def fit(self, X_image, X_text, y=None):
        """Fit the feature maps and the aligned directions; returns self.

        Parameters
        ----------
        X_image, X_text : array-like or sparse, shape (n_pairs, d_image) / (n_pairs, d_text)
        y : array-like of shape (n_pairs,) or None
            Class labels, needed when ``label_weight > 0``.
        """
        X_image, X_text, y = self._check_fit_input(X_image, X_text, y)
        weights = {name: float(getattr(self, name)) for name in _TARGET_WEIGHTS}
        Phi_image, Phi_text = fit_view_maps(self, X_image, X_text)
        factors = self._target_factors(X_image, X_text, y, weights)
        identity_weight = 1.0 - weights["label_weight"] - weights["kernel_weight"]

        def cross(image, text):
            centred_i, centred_t = Phi_image - image.mean, Phi_text - text.mean
            product = identity_weight * (centred_i.T @ centred_t)
            for weight, F in factors:
                product += weight * (centred_i.T @ F) @ (F.T @ centred_t)
            return image.factor.T @ product @ text.factor / (len(Phi_image) - 1)

        self.alignments_ = self._solve_cca_on_maps(Phi_image, Phi_text, cross=cross)
        self.component_weights_ = self.alignments_
        return self

    def _check_params(self):
        super()._check_params()
        for name in _TARGET_WEIGHTS:
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number in [0, 1], got {value!r}.")
        total = float(self.label_weight) + float(self.kernel_weight)
        if total > 1:
            raise ValueError(f"label_weight + kernel_weight must be at most 1, got {total}.")

    def _check_labels(self, y, n_pairs):
        y = super()._check_labels(y, n_pairs)
        if y is None and float(self.label_weight) > 0:
            raise ValueError("label_weight > 0 needs class labels: pass y to fit (or set label_weight=0).")
        return y

    def _target_factors(self, X_image, X_text, y, weights):
        """``[(weight, F)]`` with ``K_target part = weight * F F'`` (largest eigenvalue of ``F F'`` is 1)."""
        factors = []
        if weights["label_weight"] > 0:
            _, indicators, counts = class_indicators(y)
            factors.append((weights["label_weight"], indicators / np.sqrt(counts)))
        if weights["kernel_weight"] > 0:
            for X in (X_image, X_text):
                F = KernelFeatureMap(self.target_kernel, n_landmarks=self.n_landmarks,
                                     eigenvalue_floor=self.eigenvalue_floor, seed=self.seed).fit_transform(X)
                top = np.linalg.norm(F, ord=2)
                factors.append((weights["kernel_weight"] / 2.0, F / top))
        return factors
