"""Regularised kernel CCA: CCA between explicit (exact or Nyström) kernel feature maps."""

from __future__ import annotations

from sklearn.base import BaseEstimator

from ._base import check_paired_views, sign_flips
from ._components import WeightedComponentsMixin
from .cca import _check_parameters, _solve_cca
from .feature_maps import fit_view_maps

__all__ = ["KernelCCA", "orient_components"]


def orient_components(image_scores, *paired):
    """Deterministic signs from the training image scores, applied to ``image_scores`` and ``paired``.

    The sign of each component makes its largest-magnitude training image score positive. It
    depends only on the fitted function, not on the basis a solver happened to return, so the
    same data in another row order (or another feature-map basis) gives the same signs.

    Returns
    -------
    flipped : list of ndarray
        ``image_scores`` and every array of ``paired``, columns multiplied by the signs.
    """
    signs = sign_flips(image_scores)
    return [array * signs for array in (image_scores, *paired)]


class KernelCCA(WeightedComponentsMixin, BaseEstimator):
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
        self.n_components = n_components
        self.kernel_image = kernel_image
        self.kernel_text = kernel_text
        self.gamma_image = gamma_image
        self.gamma_text = gamma_text
        self.degree = degree
        self.coef0 = coef0
        self.reg_image = reg_image
        self.reg_text = reg_text
        self.correlation_power = correlation_power
        self.n_landmarks = n_landmarks
        self.eigenvalue_floor = eigenvalue_floor
        self.seed = seed

    def fit(self, X_image, X_text, y=None):
        """Fit the feature maps and the canonical directions; ``y`` is ignored. Returns self."""
        _check_parameters(self)
        X_image, X_text = check_paired_views(X_image, X_text)
        Phi_image, Phi_text = fit_view_maps(self, X_image, X_text)
        solution = _solve_cca(Phi_image, Phi_text, n_components=self.n_components, reg_image=float(self.reg_image),
                              reg_text=float(self.reg_text), eigenvalue_floor=float(self.eigenvalue_floor),
                              solver_image="primal", solver_text="primal")
        _, self.image_weights_, self.text_weights_ = orient_components(
            solution.image_scores, solution.image_weights, solution.text_weights)
        self.image_mean_, self.text_mean_ = solution.image_mean, solution.text_mean
        self.correlations_ = solution.correlations
        self.component_weights_ = self.correlations_
        self.n_components_ = len(self.correlations_)
        return self
