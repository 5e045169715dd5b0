"""Kernel-MMD alignment: both modalities projected so that their distributions match (TCA family)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator

from ._base import store_init_params
from ._kernel_components import KernelComponentsMixin, class_indicators, ridged_block_diagonal
from .feature_maps import fit_view_maps
from .kernels import default_gamma, kernel_matrix

__all__ = ["MMDAlignment", "mmd_squared", "class_mean_gaps"]


def mmd_squared(A, B, kernel="rbf", gamma=None):
    """Squared maximum mean discrepancy between the rows of ``A`` and of ``B`` (biased V-statistic).

    ``MMD^2 = mean k(A, A) + mean k(B, B) - 2 mean k(A, B)``, zero when the two samples have
    the same kernel mean embedding.

    Parameters
    ----------
    A : ndarray of shape (n_a, d)
    B : ndarray of shape (n_b, d)
    kernel : str, default="rbf"
        See :mod:`xmodal.projection.kernels`.
    gamma : float or None, default=None
        Kernel width; None uses :func:`~xmodal.projection.kernels.default_gamma` on the pooled rows.

    Returns
    -------
    mmd2 : float

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A = rng.normal(size=(200, 2))
    >>> mmd_squared(A, A + 3.0) > 10 * mmd_squared(A, rng.normal(size=(200, 2)))
    True
    """
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if gamma is None:
        gamma = default_gamma(np.vstack([A, B]), kernel)
    k = lambda X, Y: kernel_matrix(X, Y, kernel, gamma=gamma).mean()  # noqa: E731
    return float(k(A, A) + k(B, B) - 2.0 * k(A, B))


def class_mean_gaps(Phi_image, Phi_text, y):
    """Per class ``c``, the stacked difference ``[mean_c Phi_image ; -mean_c Phi_text]`` and its weight ``n_c / n``.

    Returns
    -------
    gaps : ndarray of shape (p + q, n_classes)
    weights : ndarray of shape (n_classes,)
    """
    _, indicators, counts = class_indicators(y)
    class_means = indicators / counts
    gaps = np.vstack([Phi_image.T @ class_means, -(Phi_text.T @ class_means)])
    return gaps, counts / len(y)


class MMDAlignment(KernelComponentsMixin, BaseEstimator):
    """Projections of both modalities that make them indistinguishable by kernel MMD, pairs kept close.

    Each modality is mapped by a centred kernel feature map (``Phi_i``, ``Phi_t``: exact or
    Nyström, see :class:`~xmodal.projection.feature_maps.KernelFeatureMap`) and projected by
    its own matrix, ``Z_i = Phi_i A_i``, ``Z_t = Phi_t A_t``; write ``W = [A_i; A_t]``. The fit
    solves::

        minimise    (1/n) sum_pairs ||z_i - z_t||^2  +  mmd_weight * sum_c (n_c/n) ||mean_c z_i - mean_c z_t||^2
        subject to  W' B W = I,   B = blockdiag(C_ii + l_i I, C_tt + l_t I)

    The second term is the class-conditional MMD with a linear kernel on the projections, i.e.
    the distance between each class's mean embedding in the RKHS of the feature map, image
    side against text side (Long et al.'s joint distribution adaptation uses the same term
    between domains). The marginal MMD is zero by construction: each modality has its own
    projection and is centred with its training mean, so the two mean embeddings coincide
    exactly; the class-conditional term is what labels add. Without labels the objective is
    the pair term alone, whose solutions are the canonical pairs (with ``reg = 0`` exactly
    CCA, eigenvalue ``1 - rho``), here solved with the joint variance constraint.

    In matrix form, with ``P = [Phi_i, -Phi_t]`` and ``g_c`` the stacked class-mean gaps
    (:func:`class_mean_gaps`), the objective is ``tr(W' M W)``,
    ``M = P'P/n + mmd_weight * sum_c (n_c/n) g_c g_c'``; the minimiser is given by the
    smallest solutions of the symmetric-definite generalised eigenproblem ``M w = nu B w``
    (:func:`~xmodal.projection._base.generalized_eigh`: ``scipy.linalg.eigh(M, B)``, never
    ``eigh`` of the non-symmetric ``inv(B) M``). Memory is ``O((p + q)^2 + n (p + q))`` with
    ``p, q <= n_landmarks``, never ``n x n``.

    Parameters
    ----------
    n_components : int or None, default=None
        Components kept (None: the smaller of the two feature-map ranks).
    mmd_weight : float, default=1.0
        Weight of the class-conditional MMD (used only when ``fit`` receives ``y``).
    kernel_image, kernel_text : str, default="linear"
        Kernel per modality (see :mod:`xmodal.projection.kernels`).
    gamma_image, gamma_text : float or None, default=None
        Kernel widths; None sets each from its training rows.
    degree : int, default=2
    coef0 : float, default=1.0
    reg_image, reg_text : float, default=0.1
        Relative ridges in ``B``: ``l = reg * trace(C) / dim``.
    correlation_power : float, default=0.0
        Components scaled by ``component_weights_ ** correlation_power``.
    n_landmarks : int, default=1000
    eigenvalue_floor : float, default=1e-10
    seed : int, default=0

    Attributes
    ----------
    eigenvalues_ : ndarray of shape (n_components_,)
        ``nu_j``, ascending (the objective per component).
    component_weights_ : ndarray of shape (n_components_,)
        ``max(1 - nu_j, 0)``: with ``mmd_weight = 0`` and no ridge, the canonical correlations.
    image_weights_, text_weights_ : ndarray
        ``A_i``, ``A_t`` in feature-map coordinates.
    image_map_, text_map_ : KernelFeatureMap
    n_components_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, size=300)
    >>> X_image = np.eye(3)[y] @ rng.normal(size=(3, 5)) + rng.normal(size=(300, 5))
    >>> X_text = np.eye(3)[y] @ rng.normal(size=(3, 4)) + rng.normal(size=(300, 4))
    >>> model = MMDAlignment(n_components=2).fit(X_image, X_text, y)
    >>> model.transform_text(X_text[:5]).shape
    (5, 2)
    """

    def __init__(self, n_components=None, mmd_weight=1.0, kernel_image="linear", kernel_text="linear",
                 gamma_image=None, gamma_text=None, degree=2, coef0=1.0, reg_image=0.1, reg_text=0.1,
                 correlation_power=0.0, n_landmarks=1000, eigenvalue_floor=1e-10, seed=0):
        store_init_params(self, locals())

    def fit(self, X_image, X_text, y=None):
        """Fit the feature maps and solve the generalised eigenproblem; returns self.

        Parameters
        ----------
        X_image, X_text : array-like or sparse, shape (n_pairs, d_image) / (n_pairs, d_text)
        y : array-like of shape (n_pairs,) or None
            Class labels; with them the class-conditional MMD term is added.
        """
        X_image, X_text, y = self._check_fit_input(X_image, X_text, y)
        Phi_image, Phi_text = fit_view_maps(self, X_image, X_text)
        M, B = self.objective_matrices(Phi_image, Phi_text, y)
        nu, _ = self._solve_stacked_eigenproblem(M, B, Phi_image, Phi_text, largest=False)
        self.eigenvalues_ = nu
        self.component_weights_ = np.clip(1.0 - nu, 0.0, None)
        return self

    def _check_params(self):
        super()._check_params()
        if (not isinstance(self.mmd_weight, numbers.Real) or isinstance(self.mmd_weight, bool)
                or not np.isfinite(self.mmd_weight) or self.mmd_weight < 0):
            raise ValueError(f"mmd_weight must be a finite number >= 0, got {self.mmd_weight!r}.")

    def objective_matrices(self, Phi_image, Phi_text, y=None):
        """The symmetric objective ``M`` and the constraint ``B`` for centred feature-map coordinates.

        Returns
        -------
        M, B : ndarray of shape (p + q, p + q)
        """
        stacked = np.hstack([Phi_image, -Phi_text])
        M = stacked.T @ stacked / len(stacked)
        B = ridged_block_diagonal(M, (Phi_image.shape[1], Phi_text.shape[1]), (self.reg_image, self.reg_text),
                                  self.eigenvalue_floor)
        if y is not None and self.mmd_weight > 0:
            gaps, weights = class_mean_gaps(Phi_image, Phi_text, y)
            M += float(self.mmd_weight) * (gaps * weights) @ gaps.T
        return M, B
