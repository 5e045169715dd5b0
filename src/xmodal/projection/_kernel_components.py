"""Fit steps shared by the component projections solved between two kernel feature maps.

Kernel CCA, Gram alignment, MMD alignment and three-view CCA check the same parameters,
validate the paired views (and their labels), map each modality by a centred
:class:`~xmodal.projection.feature_maps.KernelFeatureMap`, solve for directions in the map
coordinates and orient them by the training image scores. :class:`KernelComponentsMixin`
holds those steps once; each estimator keeps only its own objective.
"""

from __future__ import annotations

import numpy as np

from ._base import check_labels, check_paired_views, generalized_eigh, sign_flips
from ._components import WeightedComponentsMixin
from .cca import _check_parameters, _solve_cca

__all__ = ["KernelComponentsMixin", "class_indicators", "orient_components", "ridged_block_diagonal"]


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


def class_indicators(y):
    """The classes of ``y`` and its 0/1 class-membership matrix with the class sizes.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
    indicators : ndarray of shape (n, n_classes)
        ``indicators[i, c] = 1`` when row ``i`` has class ``classes[c]``, else 0.
    counts : ndarray of shape (n_classes,), float64
    """
    classes, index = np.unique(y, return_inverse=True)
    indicators = np.zeros((len(y), len(classes)))
    indicators[np.arange(len(y)), index] = 1.0
    return classes, indicators, np.bincount(index).astype(np.float64)


def ridged_block_diagonal(S, sizes, regs, eigenvalue_floor):
    """The constraint matrix of a stacked generalised eigenproblem: ridged diagonal blocks of ``S``.

    Block ``v`` (``sizes[v]`` rows and columns, in order) is ``S_vv + l_v I`` with the relative
    ridge ``l_v = regs[v] * trace(S_vv) / sizes[v]``; the off-diagonal blocks are zero. Then
    ``eigenvalue_floor * trace / dim`` is added to the whole diagonal, which keeps the matrix
    definite when a ridge is 0 on a rank-deficient block.

    Parameters
    ----------
    S : ndarray of shape (dim, dim)
        Stacked covariance; not modified.
    sizes : sequence of int
        Block sizes, summing to ``dim``.
    regs : sequence of float
        Relative ridge per block.
    eigenvalue_floor : float

    Returns
    -------
    D : ndarray of shape (dim, dim)
    """
    D = np.zeros_like(S)
    start = 0
    for size, reg in zip(sizes, regs):
        block = slice(start, start + size)
        D[block, block] = S[block, block] + float(reg) * np.trace(S[block, block]) / size * np.eye(size)
        start += size
    D[np.diag_indices_from(D)] += float(eigenvalue_floor) * np.trace(D) / len(D)
    return D


class KernelComponentsMixin(WeightedComponentsMixin):
    """Checks and solver steps of the component projections between two kernel feature maps.

    A subclass has the parameters of :func:`~xmodal.projection.feature_maps.fit_view_maps`
    and ``n_components``, ``reg_image``, ``reg_text``, ``correlation_power`` and
    ``eigenvalue_floor``; it extends :meth:`_check_params` with its own parameters and
    :meth:`_check_labels` with what its ``fit`` needs of ``y``. Its ``fit`` calls
    :meth:`_check_fit_input`, fits the maps and solves with :meth:`_solve_cca_on_maps` or
    :meth:`_solve_stacked_eigenproblem`, which store the oriented ``image_weights_`` /
    ``text_weights_``, the means and ``n_components_``.
    """

    def _check_params(self):
        """Raise a ValueError (or TypeError) on an invalid parameter."""
        _check_parameters(self)

    def _check_labels(self, y, n_pairs):
        """The validated labels, or None: optional by default (checked when given)."""
        return check_labels(y, n_pairs)

    def _check_fit_input(self, X_image, X_text, y):
        """Check the parameters, then the paired views, then the labels; returns ``X_image, X_text, y``."""
        self._check_params()
        X_image, X_text = check_paired_views(X_image, X_text)
        return X_image, X_text, self._check_labels(y, X_image.shape[0])

    def _solve_cca_on_maps(self, Phi_image, Phi_text, cross=None):
        """Regularised CCA between the centred maps (``cross``: see ``cca._solve_cca``); returns the correlations."""
        solution = _solve_cca(Phi_image, Phi_text, n_components=self.n_components, reg_image=float(self.reg_image),
                              reg_text=float(self.reg_text), eigenvalue_floor=float(self.eigenvalue_floor),
                              solver_image="primal", solver_text="primal", cross=cross)
        _, self.image_weights_, self.text_weights_ = orient_components(
            solution.image_scores, solution.image_weights, solution.text_weights)
        self.image_mean_, self.text_mean_ = solution.image_mean, solution.text_mean
        self.n_components_ = len(solution.correlations)
        return solution.correlations

    def _solve_stacked_eigenproblem(self, S, D, Phi_image, Phi_text, *, largest):
        """Leading solutions of ``S w = e D w`` over the stacked coordinates ``[image, text, other views]``.

        Returns
        -------
        eigenvalues : ndarray of shape (n_components_,)
            Descending if ``largest``, else ascending.
        other_weights : ndarray of shape (dim - p - q, n_components_)
            The directions of the views stacked after the text (empty when there are none).
        """
        p, q = Phi_image.shape[1], Phi_text.shape[1]
        k = min(p, q) if self.n_components is None else self.n_components
        if k > min(p, q):
            raise ValueError(f"n_components={k} is too large: the maximum for this data is {min(p, q)} "
                             f"(the smaller feature-map rank: image {p}, text {q}).")
        eigenvalues, W = generalized_eigh(S, D, k, largest=largest)
        _, self.image_weights_, self.text_weights_, other_weights = orient_components(
            Phi_image @ W[:p], W[:p], W[p:p + q], W[p + q:])
        self.image_mean_, self.text_mean_ = np.zeros(p), np.zeros(q)  # the maps are centred already
        self.n_components_ = k
        return eigenvalues, other_weights
