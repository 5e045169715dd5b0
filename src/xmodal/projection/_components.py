"""Transform shared by projections made of nested, weighted components.

CCA-like solvers (kernel CCA, MMD alignment, Gram alignment, three-view CCA) produce ordered
components, each with a weight (a canonical correlation or an eigenvalue). The common space
scales component ``j`` by ``component_weights_[j] ** correlation_power``; the first ``k``
components of a fit are the fit with ``k`` components, so cross-validation can score every
``n_components`` and power from one fit (:mod:`xmodal.projection.selection`).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["WeightedComponentsMixin", "check_correlation_power"]


def check_correlation_power(value):
    """Raise a ValueError unless ``value`` is a finite number >= 0."""
    if (not isinstance(value, numbers.Real) or isinstance(value, bool) or not np.isfinite(value)
            or value < 0):
        raise ValueError(f"correlation_power must be a finite number >= 0, got {value!r}.")


class WeightedComponentsMixin:
    """``transform_image`` / ``transform_text`` for component projections.

    A subclass sets ``component_weights_`` (k,) in ``fit`` and has a ``correlation_power``
    parameter. ``_unweighted(X, modality)`` returns the (n, k) float64 coordinates of the rows
    of ``X`` (``modality`` is ``"image"`` or ``"text"``); the default maps them by the fitted
    ``{modality}_map_`` (a feature map), subtracts ``{modality}_mean_`` and multiplies by
    ``{modality}_weights_``. Override it for other projections.
    """

    def _unweighted(self, X, modality):
        self._check_fitted()
        coords = getattr(self, f"{modality}_map_").transform(X)
        return (coords - getattr(self, f"{modality}_mean_")) @ getattr(self, f"{modality}_weights_")

    def transform_image(self, X):
        """Project image features into the common space.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix of shape (n_images, d_image)
            Image features with the columns seen in ``fit``; no text is needed.

        Returns
        -------
        projection : ndarray of shape (n_images, n_components_), float32
        """
        return self._weighted(self._unweighted(X, "image"))

    def transform_text(self, X):
        """Project text features into the common space.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix of shape (n_texts, d_text)
            Text features with the columns seen in ``fit``; no image is needed.

        Returns
        -------
        projection : ndarray of shape (n_texts, n_components_), float32
        """
        return self._weighted(self._unweighted(X, "text"))

    def _weighted(self, Z):
        check_correlation_power(self.correlation_power)
        return (Z * self.component_weights_ ** float(self.correlation_power)).astype(np.float32)

    def _check_fitted(self):
        check_is_fitted(self, "component_weights_")
