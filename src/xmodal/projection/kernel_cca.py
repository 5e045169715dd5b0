"""Regularised kernel CCA: CCA between explicit (exact or Nyström) kernel feature maps."""

from __future__ import annotations

from sklearn.base import BaseEstimator

from ._base import store_init_params
from ._kernel_components import KernelComponentsMixin, orient_components
from .feature_maps import fit_view_maps

__all__ = ["KernelCCA", "orient_components"]


class KernelCCA(KernelComponentsMixin, BaseEstimator):
    """Regularised kernel canonical correlation analysis with out-of-sample projection.

    Each modality is mapped by a :class:`~xmodal.projection.feature_maps.KernelFeatureMap`
    (its own kernel: e.g. chi2 for bag-of-words image histograms, linear for text), centred
    with the training statistics, and regularised CCA (:class:`~xmodal.projection.cca.CCA`,
    closed form: ``eigh`` whitening + ``svd``) is solved between the two maps. With every
    training row a landmark this is exact kernel CCA with the ridge ``lambda ||f||^2`` in the
    RKHS, ``lambda = reg * (mean eigenvalue of the kernel covariance)``; beyond ``n_landmarks``
    rows it is the Nyström approximation (cost ``O(n m^2)``, memory ``O(n m)``).

    A linear kernel reproduces linear CCA (same correlations and projections, when the feature
    count is below the number of rows). A new row is projected on its own: text queries need
    no image.

    Parameters
    ----------
    n_components : int or None, default=None
        Components kept (None: the smaller rank of the two maps).
    kernel_image, kernel_text : str, default="rbf"
        Kernel per modality: "linear", "polynomial", "rbf", "chi2" or "intersection".
    gamma_image, gamma_text : float or None, default=None
        Kernel widths; None sets each from its training rows.
    degree : int, default=2
        Polynomial degree.
    coef0 : float, default=1.0
        Polynomial offset.
    reg_image, reg_text : float, default=0.1
        Relative ridges (see :class:`~xmodal.projection.cca.CCA`).
    correlation_power : float, default=0.0
        Components scaled by ``correlations_ ** correlation_power`` in the common space.
    n_landmarks : int, default=1000
        Nyström landmarks per modality (exact kernel CCA up to this many training rows).
    eigenvalue_floor : float, default=1e-10
        Relative eigenvalue floor (rank of kernel matrices and covariances).
    seed : int, default=0
        Seed of the landmark sample.

    Attributes
    ----------
    n_components_ : int
    correlations_ : ndarray of shape (n_components_,)
        Regularised canonical correlations, descending.
    component_weights_ : ndarray of shape (n_components_,)
        Same as ``correlations_``.
    image_map_, text_map_ : KernelFeatureMap
        The fitted feature maps.
    image_weights_, text_weights_ : ndarray of shape (r, n_components_)
        Canonical directions in the feature-map coordinates.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = rng.uniform(-2, 2, size=(300, 1))
    >>> X_image = np.hstack([t, rng.normal(size=(300, 2))])
    >>> X_text = np.hstack([t ** 2, rng.normal(size=(300, 1))])  # non-linear relation
    >>> linear = KernelCCA(n_components=1, kernel_image="linear", kernel_text="linear").fit(X_image, X_text)
    >>> kcca = KernelCCA(n_components=1, kernel_image="rbf", kernel_text="linear").fit(X_image, X_text)
    >>> bool(kcca.correlations_[0] > 0.9 > linear.correlations_[0])
    True
    """

    def __init__(self, n_components=None, kernel_image="rbf", kernel_text="rbf", gamma_image=None, gamma_text=None,
                 degree=2, coef0=1.0, reg_image=0.1, reg_text=0.1, correlation_power=0.0, n_landmarks=1000,
                 eigenvalue_floor=1e-10, seed=0):
        store_init_params(self, locals())

    def fit(self, X_image, X_text, y=None):
        """Fit the feature maps and the canonical directions; ``y`` is ignored. Returns self."""
        X_image, X_text, _ = self._check_fit_input(X_image, X_text, y)
        Phi_image, Phi_text = fit_view_maps(self, X_image, X_text)
        self.correlations_ = self._solve_cca_on_maps(Phi_image, Phi_text)
        self.component_weights_ = self.correlations_
        return self

    def _check_labels(self, y, n_pairs):
        return None  # unsupervised: y is ignored
