"""Explicit, centred kernel feature maps (exact or Nyström) for the kernel projections."""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._base import check_view, eigh_descending, numerical_rank, store_init_params
from .kernels import KERNELS, check_kernel_input, default_gamma, kernel_matrix

__all__ = ["KernelFeatureMap", "fit_view_maps", "sharing_feature_maps"]

_GAMMA_SAMPLE = 500  # rows used to set the default kernel width
_BLOCK_ROWS = 2048  # rows whose kernel against the landmarks is held at once


class KernelFeatureMap(BaseEstimator):
    """Map rows to coordinates whose inner products are the (centred) kernel values.

    With ``m`` landmark rows ``L`` (all training rows when there are at most ``n_landmarks``,
    otherwise a seeded uniform sample), ``K_LL = U diag(e) U'`` and the map is::

        phi(x) = k(x, L) @ U_r diag(e_r) ** -1/2  -  mean of phi over the training rows

    keeping the ``r`` eigenvalues above ``eigenvalue_floor`` times the largest. So
    ``phi(x) . phi(x')`` is the Nyström approximation of ``k(x, x')``, exact when every
    training row is a landmark, and centred with the *training* statistics: for a test row
    it equals what ``sklearn.preprocessing.KernelCenterer`` fitted on the training kernel
    gives, ``k(x, x') - mean_j k(x, x_j) - mean_i k(x_i, x') + mean_ij k(x_i, x_j)``, whatever
    the number of test rows. A training row maps to its own row of the fitted coordinates.
    The linear kernel with at most ``n_landmarks`` features uses the centred features
    themselves (the same inner products, no eigendecomposition).

    Fitting costs one ``m x m`` eigendecomposition and the ``n x m`` kernel computed in
    blocks; memory is ``O(m^2 + n r)``, so ``n`` can grow past what an ``n x n`` kernel allows.

    Parameters
    ----------
    kernel : {"linear", "polynomial", "rbf", "chi2", "intersection"}, default="rbf"
        See :mod:`xmodal.projection.kernels`.
    gamma : float or None, default=None
        Kernel width; None sets it from the training rows (:func:`~xmodal.projection.kernels.default_gamma`).
    degree : int, default=2
        Polynomial degree.
    coef0 : float, default=1.0
        Polynomial offset.
    n_landmarks : int, default=1000
        Largest number of landmark rows; with more training rows the map is a Nyström approximation.
    eigenvalue_floor : float, default=1e-10
        Relative threshold below which an eigenvalue of ``K_LL`` is dropped (rank).
    seed : int, default=0
        Seed of the landmark sample.

    Attributes
    ----------
    landmarks_ : ndarray or scipy.sparse matrix of shape (m, d)
    gamma_ : float
        Kernel width used.
    projection_ : ndarray of shape (m, r) or None
        ``U_r diag(e_r) ** -1/2``; None for the linear kernel's identity map.
    mean_ : ndarray of shape (r,)
        Mean of the uncentred map over the training rows.
    n_features_out_ : int
        ``r``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3))
    >>> fmap = KernelFeatureMap("linear").fit(X)
    >>> Phi = fmap.transform(X)
    >>> bool(np.allclose(Phi @ Phi.T, (X - X.mean(0)) @ (X - X.mean(0)).T))
    True
    """

    def __init__(self, kernel="rbf", gamma=None, degree=2, coef0=1.0, n_landmarks=1000, eigenvalue_floor=1e-10,
                 seed=0):
        store_init_params(self, locals())

    def fit(self, X, y=None):
        """Choose landmarks and the kernel width, and compute the map; returns self."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None, *, name="X"):
        """Fit the map and return the centred coordinates of the training rows, shape (n, r)."""
        if self.kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}, got {self.kernel!r}.")
        if (not isinstance(self.n_landmarks, numbers.Integral) or isinstance(self.n_landmarks, bool)
                or self.n_landmarks < 1):
            raise ValueError(f"n_landmarks must be an int >= 1, got {self.n_landmarks!r}.")
        if not isinstance(self.eigenvalue_floor, numbers.Real) or not 0 < self.eigenvalue_floor < 1:
            raise ValueError(f"eigenvalue_floor must be a number in (0, 1), got {self.eigenvalue_floor!r}.")
        X = check_view(X, name, min_rows=2)
        check_kernel_input(X, self.kernel, name)
        n = X.shape[0]
        rng = np.random.default_rng(self.seed)
        if n <= self.n_landmarks:
            landmark_rows = np.arange(n)
        else:
            landmark_rows = np.sort(rng.choice(n, size=self.n_landmarks, replace=False))
        self.landmarks_ = X[landmark_rows]
        self.n_features_in_ = X.shape[1]
        if self.kernel == "linear" and X.shape[1] <= self.n_landmarks:
            # the linear kernel's own coordinates are an exact map of at most n_landmarks columns
            self.gamma_, self.projection_ = 1.0, None
            coords = self._coords(X)
            self.mean_ = coords.mean(axis=0)
            self.n_features_out_ = X.shape[1]
            return coords - self.mean_
        if self.gamma is None:
            sample = landmark_rows[:_GAMMA_SAMPLE] if len(landmark_rows) <= _GAMMA_SAMPLE else \
                np.sort(rng.choice(landmark_rows, size=_GAMMA_SAMPLE, replace=False))
            self.gamma_ = default_gamma(X[sample], self.kernel)
        else:
            self.gamma_ = float(self.gamma)
        K_LL = self._kernel(self.landmarks_)
        eigenvalues, eigenvectors = eigh_descending((K_LL + K_LL.T) / 2.0)
        rank = numerical_rank(eigenvalues, self.eigenvalue_floor, len(landmark_rows))
        if rank == 0:
            raise ValueError(f"the {self.kernel!r} kernel of {name} has no eigenvalue above eigenvalue_floor "
                             "(all-zero rows?); there is nothing to project.")
        self.projection_ = eigenvectors[:, :rank] / np.sqrt(eigenvalues[:rank])
        coords = self._coords(X)
        self.mean_ = coords.mean(axis=0)
        self.n_features_out_ = rank
        coords -= self.mean_
        return coords

    def transform(self, X, *, name="X"):
        """Centred map of new rows (training statistics), shape (n, r), float64."""
        check_is_fitted(self, "mean_")
        X = check_view(X, name, n_features=self.n_features_in_)
        check_kernel_input(X, self.kernel, name)
        coords = self._coords(X)
        coords -= self.mean_
        return coords

    def _coords(self, X):
        """Uncentred map ``k(X, L) @ projection_``, a block of rows at a time (bounded memory)."""
        if self.projection_ is None:  # linear kernel, identity map
            return np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64).copy()
        coords = np.empty((X.shape[0], self.projection_.shape[1]))
        for start in range(0, X.shape[0], _BLOCK_ROWS):
            coords[start:start + _BLOCK_ROWS] = self._kernel(X[start:start + _BLOCK_ROWS]) @ self.projection_
        return coords

    def _kernel(self, X):
        return kernel_matrix(X, self.landmarks_, self.kernel, gamma=self.gamma_, degree=self.degree,
                             coef0=self.coef0)


_SHARED_MAPS = contextvars.ContextVar("xmodal_shared_feature_maps", default=None)


@contextlib.contextmanager
def sharing_feature_maps():
    """Inside the block, identical kernel feature maps are fitted once.

    Projections that fit a map with the same parameters on the same rows (the candidates of
    one cross-validation fold, which differ only in a regulariser or ``C``) reuse the first
    fit: :func:`fit_view_maps` keys its fits by the map's parameters and a digest of the rows'
    contents. Each caller gets its own copy of the coordinates; the fitted map is shared and
    never modified. Nothing outlives the block.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection.kernel_cca import KernelCCA
    >>> rng = np.random.default_rng(0)
    >>> Xi, Xt = rng.random((60, 5)), rng.random((60, 4))
    >>> with sharing_feature_maps():
    ...     a = KernelCCA(reg_image=0.1).fit(Xi, Xt)
    ...     b = KernelCCA(reg_image=1.0).fit(Xi, Xt)
    >>> a.image_map_ is b.image_map_
    True
    """
    token = _SHARED_MAPS.set({})
    try:
        yield
    finally:
        _SHARED_MAPS.reset(token)


def _contents_digest(X):
    """Shape, kind and a digest of the values of a dense or sparse matrix."""
    digest = hashlib.blake2b(digest_size=16)
    parts = (X.data, X.indices, X.indptr) if sp.issparse(X) else (X,)
    for part in parts:
        digest.update(memoryview(np.ascontiguousarray(part)).cast("B"))
    return X.shape, sp.issparse(X), digest.hexdigest()


def fit_view_maps(estimator, X_image, X_text):
    """Fit one :class:`KernelFeatureMap` per modality from ``estimator``'s kernel parameters.

    Reads ``kernel_image``, ``kernel_text``, ``gamma_image``, ``gamma_text``, ``degree``,
    ``coef0``, ``n_landmarks``, ``eigenvalue_floor`` and ``seed`` from ``estimator``, stores the
    fitted maps as ``estimator.image_map_`` / ``estimator.text_map_`` and returns the centred
    training coordinates ``(Phi_image, Phi_text)``. The paired views must already be validated.
    Inside :func:`sharing_feature_maps`, a map already fitted there is reused.
    """
    shared = _SHARED_MAPS.get()
    maps = []
    for modality, X in (("image", X_image), ("text", X_text)):
        fmap = KernelFeatureMap(kernel=getattr(estimator, f"kernel_{modality}"),
                                gamma=getattr(estimator, f"gamma_{modality}"), degree=estimator.degree,
                                coef0=estimator.coef0, n_landmarks=estimator.n_landmarks,
                                eigenvalue_floor=estimator.eigenvalue_floor, seed=estimator.seed)
        if shared is None:
            maps.append((fmap, fmap.fit_transform(X, name=f"X_{modality}")))
            continue
        key = (tuple(sorted(fmap.get_params().items())), _contents_digest(X))
        if key not in shared:
            shared[key] = (fmap, fmap.fit_transform(X, name=f"X_{modality}"))
        fitted, coords = shared[key]
        maps.append((fitted, coords.copy()))
    (estimator.image_map_, Phi_image), (estimator.text_map_, Phi_text) = maps
    return Phi_image, Phi_text
