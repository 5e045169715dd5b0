"""Closed-form regularised canonical correlation analysis (CCA) between images and texts."""

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._base import (
    centred_cross_product,
    centred_dot,
    centred_gram,
    centred_products,
    centred_transpose_dot,
    check_paired_views,
    check_view,
    cholesky_whitening,
    column_mean,
    eigh_descending,
    numerical_rank,
    sign_flips,
    store_init_params,
    whitening_factor,
)
from ._components import check_correlation_power

__all__ = ["CCA"]

_SOLVERS = ("auto", "primal", "dual")


class CCA(BaseEstimator):
    """Regularised canonical correlation analysis, solved in closed form.

    Finds image directions ``w_j`` and text directions ``v_j`` that maximise the regularised
    correlation of paired projections::

        rho_j = w_j' C_it v_j / sqrt((w_j' (C_ii + l_i I) w_j) (v_j' (C_tt + l_t I) v_j))

    subject to each new pair being uncorrelated with the previous ones, where ``C_ii``,
    ``C_tt`` and ``C_it`` are the image, text and cross covariances of the training pairs
    (denominator ``n - 1``). The ridge is relative, so the result does not depend on the
    scale of the features: ``l = reg * trace(C) / d``, the mean eigenvalue times ``reg``.
    ``reg = 0`` is plain CCA.

    Solution: each view is whitened by the inverse square root of its regularised covariance
    (``scipy.linalg.eigh``; eigenvalues floored at ``eigenvalue_floor`` times the largest;
    a covariance that is safely full rank is whitened by its Cholesky factor instead, the
    same solution at a tenth of the cost), and the singular value decomposition
    (``scipy.linalg.svd``) of the whitened cross covariance gives the canonical pairs:
    singular values are the ``rho_j`` and singular vectors, mapped back through the
    whitening, are the weights. The covariances are accumulated over blocks of rows, each
    centred once, so no centred copy of the data is made. Whitening keeps only the
    directions in which the centred training data varies (eigenvalues of the unregularised
    covariance above ``eigenvalue_floor`` times the largest): the regularised solution has
    no component outside them, so a feature that is constant in training gets zero weight
    instead of an amplified rounding error. A view with more features
    than pairs (``d > n``, e.g. a TF-IDF vocabulary) is solved in the span of its centred
    training rows instead (the regularised weights lie in that span; the same absolute ridge
    is used there, so this is exact): the basis comes from the ``n x n`` Gram matrix of the
    centred rows, computed without densifying sparse input, and the weights are mapped back
    to ``d`` dimensions. No covariance is ever inverted, so duplicated or constant columns
    and ``d > n`` do not fail.

    Weights satisfy ``w' (C_ii + l_i I) w = 1`` (likewise for text): with ``reg = 0`` the
    projected training data has unit variance per component; with ``reg > 0`` the variance
    is smaller, most for directions of low variance. Components are ordered by ``rho``,
    descending, and their signs fixed deterministically (the largest-magnitude entry of each
    image weight column is positive; the same flip is applied to the text column), so
    refitting, or fitting on the rows in another order, gives the same weights.

    Parameters
    ----------
    n_components : int or None, default=None
        Number of canonical pairs to keep. ``None`` keeps the maximum, the smaller of the
        ranks of the two views' centred training data.
    reg_image : float, default=0.1
        Relative ridge on the image covariance (>= 0).
    reg_text : float, default=0.1
        Relative ridge on the text covariance (>= 0).
    correlation_power : float, default=0.0
        Projections are multiplied by ``correlations_ ** correlation_power`` (>= 0), which
        down-weights weakly correlated components in the common space; 0 leaves them
        unweighted. Read at transform time, so it can be changed after fitting.
    eigenvalue_floor : float, default=1e-10
        Relative floor on the eigenvalues used for whitening, in (0, 1). It is also the
        threshold below which a direction counts as outside a view's span when
        determining its rank.

    Attributes
    ----------
    n_components_ : int
        Number of canonical pairs kept.
    correlations_ : ndarray of shape (n_components_,)
        Regularised canonical correlations ``rho_j``, descending, in [0, 1]. With ``reg = 0``
        they are the correlations of the projected training pairs; with ``reg > 0`` they are
        a lower bound on them.
    image_mean_ : ndarray of shape (d_image,)
        Mean of the training image features.
    text_mean_ : ndarray of shape (d_text,)
        Mean of the training text features.
    image_weights_ : ndarray of shape (d_image, n_components_)
        Image canonical directions, one per column.
    text_weights_ : ndarray of shape (d_text, n_components_)
        Text canonical directions, one per column.
    image_lambda_ : float
        Absolute ridge added to the image covariance, ``reg_image * trace(C_ii) / d_image``.
    text_lambda_ : float
        Absolute ridge added to the text covariance, ``reg_text * trace(C_tt) / d_text``.

    See Also
    --------
    sklearn.cross_decomposition.CCA : Iterative (NIPALS) CCA without regularisation.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection.cca import CCA
    >>> rng = np.random.default_rng(0)
    >>> shared = rng.normal(size=(500, 1))
    >>> X_image = np.hstack([shared, rng.normal(size=(500, 3))])
    >>> X_text = np.hstack([shared + 0.3 * rng.normal(size=(500, 1)), rng.normal(size=(500, 5))])
    >>> cca = CCA(n_components=2, reg_image=0.0, reg_text=0.0).fit(X_image, X_text)
    >>> round(float(cca.correlations_[0]), 2)
    0.96
    >>> cca.transform_text(X_text[:3]).shape
    (3, 2)
    """

    def __init__(
        self,
        n_components=None,
        reg_image=0.1,
        reg_text=0.1,
        correlation_power=0.0,
        eigenvalue_floor=1e-10,
    ):
        store_init_params(self, locals())

    def fit(self, X_image, X_text, y=None):
        """Fit the canonical directions to paired training data.

        Parameters
        ----------
        X_image : array-like or scipy.sparse matrix of shape (n_pairs, d_image)
            Image features; row ``i`` pairs with row ``i`` of ``X_text``.
        X_text : array-like or scipy.sparse matrix of shape (n_pairs, d_text)
            Text features (sparse TF-IDF is fine and is never densified).
        y : ignored
            Accepted for API compatibility with supervised projections.

        Returns
        -------
        self : CCA
            The fitted estimator.
        """
        self._fit(X_image, X_text)
        return self

    def fit_transform(self, X_image, X_text, y=None):
        """Fit, then return the projections of both training views.

        The projections are computed from the whitened training coordinates of the fit,
        and equal ``transform_image(X_image)`` and ``transform_text(X_text)``.

        Parameters
        ----------
        X_image : array-like or scipy.sparse matrix of shape (n_pairs, d_image)
            Image features.
        X_text : array-like or scipy.sparse matrix of shape (n_pairs, d_text)
            Text features.
        y : ignored
            Accepted for API compatibility.

        Returns
        -------
        image_projection : ndarray of shape (n_pairs, n_components_), float32
        text_projection : ndarray of shape (n_pairs, n_components_), float32
        """
        solution = self._fit(X_image, X_text)
        image_scores, text_scores = solution.image_scores, solution.text_scores
        scale = self.correlations_ ** self.correlation_power
        return (image_scores * scale).astype(np.float32), (text_scores * scale).astype(np.float32)

    def transform_image(self, X):
        """Project image features into the common space.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix of shape (n_images, d_image)
            Image features with the columns seen in ``fit``.

        Returns
        -------
        projection : ndarray of shape (n_images, n_components_), float32
            ``(X - image_mean_) @ image_weights_ * correlations_ ** correlation_power``.
        """
        return self._project(X, "image")

    def transform_text(self, X):
        """Project text features into the common space.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix of shape (n_texts, d_text)
            Text features with the columns seen in ``fit``.

        Returns
        -------
        projection : ndarray of shape (n_texts, n_components_), float32
            ``(X - text_mean_) @ text_weights_ * correlations_ ** correlation_power``.
        """
        return self._project(X, "text")

    # ------------------------------------------------------------------ internals

    def _fit(self, X_image, X_text):
        """Validate, solve, store the fitted attributes; return the solution (training scores on demand)."""
        _check_parameters(self)
        X_image, X_text = check_paired_views(X_image, X_text)
        solution = _solve_cca(
            X_image,
            X_text,
            n_components=self.n_components,
            reg_image=float(self.reg_image),
            reg_text=float(self.reg_text),
            eigenvalue_floor=float(self.eigenvalue_floor),
        )
        self.n_components_ = solution.correlations.shape[0]
        self.correlations_ = solution.correlations
        self.image_mean_ = solution.image_mean
        self.text_mean_ = solution.text_mean
        self.image_weights_ = solution.image_weights
        self.text_weights_ = solution.text_weights
        self.image_lambda_ = solution.image_lambda
        self.text_lambda_ = solution.text_lambda
        return solution

    @property
    def component_weights_(self):
        """The canonical correlations, the weights raised to ``correlation_power`` in the common space."""
        check_is_fitted(self)
        return self.correlations_

    def _unweighted(self, X, modality):
        """``(X - mean) @ weights`` for one modality, float64, before correlation weighting."""
        check_is_fitted(self)
        if modality == "image":
            mean, weights = self.image_mean_, self.image_weights_
        else:
            mean, weights = self.text_mean_, self.text_weights_
        X = check_view(X, "X", n_features=weights.shape[0], feature_label=f"{modality} features")
        return centred_dot(X, mean, weights)

    def _project(self, X, modality):
        check_is_fitted(self)
        check_correlation_power(self.correlation_power)
        projection = self._unweighted(X, modality)
        projection *= self.correlations_ ** float(self.correlation_power)
        return projection.astype(np.float32)


# ---------------------------------------------------------------------- validation


def _is_real_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)


def _check_parameters(estimator):
    n_components = estimator.n_components
    if n_components is not None:
        if not isinstance(n_components, numbers.Integral) or isinstance(n_components, bool):
            raise TypeError(f"n_components must be a positive int or None, got {n_components!r}.")
        if n_components < 1:
            raise ValueError(f"n_components must be >= 1 (or None), got {n_components}.")
    for name in ("reg_image", "reg_text"):
        value = getattr(estimator, name)
        if not _is_real_number(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
    check_correlation_power(estimator.correlation_power)
    floor = estimator.eigenvalue_floor
    if not _is_real_number(floor) or not 0 < floor < 1:
        raise ValueError(f"eigenvalue_floor must be a number in (0, 1), got {floor!r}.")


# ---------------------------------------------------------------------- solver


@dataclass
class _WhitenedView:
    """One view prepared for the SVD: whitened coordinates, and the way back to weights.

    Both paths whiten within the span of the centred training rows (the ``rank`` leading
    eigenvectors), where the regularised solution lies.
    Primal (``d <= n``): ``factor`` (d, rank) whitens ``C + lambda I``: ``V_r diag(e_r) ** -1/2``
    from its eigendecomposition (floored), or ``L^{-T}`` from its Cholesky factor when ``C``
    is safely full rank (the same whitening up to a rotation, which the SVD absorbs);
    whitened coordinates are ``(X - mean) @ factor`` (never formed) and weights
    ``factor @ a``.
    Dual (``d > n``): ``coords`` (n, rank) are the whitened coordinates of the training rows in
    an orthonormal basis of their centred span, from the Gram matrix, and weights are
    ``(X - mean).T @ row_map @ a``.
    """

    X: object
    mean: np.ndarray
    lam: float
    rank: int
    factor: np.ndarray = None
    coords: np.ndarray = None
    row_map: np.ndarray = None

    @property
    def is_primal(self):
        return self.factor is not None

    def weights(self, directions):
        """Map whitened directions (r, k) to feature-space weights (d, k)."""
        if self.is_primal:
            return self.factor @ directions
        return centred_transpose_dot(self.X, self.mean, self.row_map @ directions)

    def scores(self, directions):
        """Projections (n, k) of the training rows onto whitened directions (r, k)."""
        if self.is_primal:
            return centred_dot(self.X, self.mean, self.factor @ directions)
        return self.coords @ directions


def _resolved_solver(X, solver):
    """The solver of one view, "primal" or "dual" ("auto": dual when there are more features than rows)."""
    if solver == "auto":
        return "dual" if X.shape[1] > X.shape[0] else "primal"
    return solver


def _whiten_view(X, reg, floor, solver, name, mean=None, scatter=None):
    """Prepare one view: mean, absolute ridge, rank and whitening (primal or dual).

    ``mean`` and ``scatter`` (the primal ``(X - mean).T @ (X - mean)``) are computed here
    unless given.
    """
    n_samples, n_features = X.shape
    mean = column_mean(X) if mean is None else mean
    solver = _resolved_solver(X, solver)
    size = max(n_samples, n_features)

    if solver == "primal":
        if scatter is None:
            scatter = centred_cross_product(X, mean, X, mean)
        cov = scatter / (n_samples - 1)
        cov = (cov + cov.T) / 2.0
        total_variance = float(np.trace(cov))
    else:
        gram = centred_gram(X, mean)
        total_variance = float(np.trace(gram)) / (n_samples - 1)
    if not total_variance > 0.0:
        raise ValueError(
            f"{name} has zero variance: every row is identical, so there is no direction to "
            "correlate."
        )
    lam = reg * total_variance / n_features

    if solver == "primal":
        factor = cholesky_whitening(cov, lam, floor, size)
        if factor is not None:
            rank = n_features
        else:
            eigenvalues, eigenvectors = eigh_descending(cov + lam * np.eye(n_features))
            rank = _checked_rank(numerical_rank(eigenvalues - lam, floor, size), name)
            factor = whitening_factor(eigenvalues, eigenvectors, floor)[:, :rank]
        view = _WhitenedView(X, mean, lam, rank, factor=factor)
    else:
        eigenvalues, eigenvectors = eigh_descending(gram)
        rank = _checked_rank(numerical_rank(eigenvalues, floor, size), name)
        gram_values = eigenvalues[:rank]
        basis = eigenvectors[:, :rank]
        regularised = gram_values / (n_samples - 1) + lam
        regularised = np.maximum(regularised, floor * regularised.max())
        coords = basis * np.sqrt(gram_values / regularised)
        row_map = basis / np.sqrt(gram_values * regularised)
        view = _WhitenedView(X, mean, lam, rank, coords=coords, row_map=row_map)
    return view


def _checked_rank(rank, name):
    if rank == 0:
        raise ValueError(f"{name} has no variance above eigenvalue_floor; it cannot be correlated.")
    return rank


def _whitened_cross_covariance(image, text, n_samples, cross=None):
    """Cross covariance of the two views' whitened coordinates, shape (r_image, r_text).

    ``cross``, the primal ``(X_image - mean).T @ (X_text - mean)``, is computed unless given.
    """
    if image.is_primal and text.is_primal:
        if cross is None:
            cross = centred_cross_product(image.X, image.mean, text.X, text.mean)
        product = image.factor.T @ cross @ text.factor
    elif image.is_primal:
        product = image.factor.T @ centred_transpose_dot(image.X, image.mean, text.coords)
    elif text.is_primal:
        product = centred_transpose_dot(text.X, text.mean, image.coords).T @ text.factor
    else:
        product = image.coords.T @ text.coords
    return product / (n_samples - 1)


def _leading_singular_pairs(matrix, k):
    """The ``k`` leading singular triplets ``(U_k, s_k, V_k)`` of ``matrix``, descending.

    For few components (``4 k <= min(shape)``), the top ``k`` eigenpairs of the smaller Gram
    matrix (``scipy.linalg.eigh`` with ``subset_by_index``) give ``s`` and one side's vectors,
    and the other side is ``matrix @ v / s``: a fraction of a full SVD's cost. That is
    accurate while the ``k``-th singular value is well above rounding (``s_k > 1e-4 s_1``,
    checked); otherwise, and for many components, the full SVD (``gesdd``, ``gesvd`` if it
    fails to converge) is used.
    """
    short = min(matrix.shape)
    if 4 * k <= short:
        transposed = matrix.shape[0] < matrix.shape[1]
        tall = matrix.T if transposed else matrix
        values, right = linalg.eigh(tall.T @ tall, subset_by_index=[short - k, short - 1],
                                    check_finite=False)
        singular = np.sqrt(np.maximum(values[::-1], 0.0))
        if singular[0] > 0.0 and singular[-1] > 1e-4 * singular[0]:
            right = right[:, ::-1]
            left = tall @ right / singular
            return (right, singular, left) if transposed else (left, singular, right)
    try:
        left, singular, right_t = linalg.svd(matrix, full_matrices=False, check_finite=False)
    except linalg.LinAlgError:
        left, singular, right_t = linalg.svd(matrix, full_matrices=False, check_finite=False,
                                             lapack_driver="gesvd")
    return left[:, :k], singular[:k], right_t[:k].T


@dataclass
class _CCASolution:
    correlations: np.ndarray
    image_mean: np.ndarray
    text_mean: np.ndarray
    image_weights: np.ndarray
    text_weights: np.ndarray
    image_lambda: float
    text_lambda: float
    image_view: _WhitenedView
    text_view: _WhitenedView
    image_directions: np.ndarray
    text_directions: np.ndarray

    @property
    def image_scores(self):
        """Projections of the training images, computed on demand (``fit`` alone skips them)."""
        return self.image_view.scores(self.image_directions)

    @property
    def text_scores(self):
        """Projections of the training texts, computed on demand."""
        return self.text_view.scores(self.text_directions)


def _solve_cca(
    X_image,
    X_text,
    *,
    n_components,
    reg_image,
    reg_text,
    eigenvalue_floor,
    solver_image="auto",
    solver_text="auto",
    cross=None,
):
    """Closed-form regularised CCA on validated views.

    ``solver_image`` / ``solver_text`` choose "primal" (whiten the d x d covariance),
    "dual" (work in the span of the centred rows) or "auto" (dual when d > n).
    ``cross``, if given, replaces the whitened cross covariance: a function of the two
    whitened views (``_WhitenedView``) returning the (r_image, r_text) matrix whose singular
    vectors are the directions (used by Gram alignment with a target kernel).
    """
    for name, solver in (("solver_image", solver_image), ("solver_text", solver_text)):
        if solver not in _SOLVERS:
            raise ValueError(f"{name} must be one of {_SOLVERS}, got {solver!r}.")
    n_samples = X_image.shape[0]
    image_scatter = text_scatter = cross_scatter = image_mean = text_mean = None
    fused = cross is None and all(not sp.issparse(X) and _resolved_solver(X, solver) == "primal"
                                  for X, solver in ((X_image, solver_image), (X_text, solver_text)))
    if fused:  # one pass over the rows for the three products
        image_mean, text_mean = column_mean(X_image), column_mean(X_text)
        image_scatter, text_scatter, cross_scatter = centred_products(X_image, image_mean, X_text, text_mean)
    image = _whiten_view(X_image, reg_image, eigenvalue_floor, solver_image, "X_image", image_mean, image_scatter)
    text = _whiten_view(X_text, reg_text, eigenvalue_floor, solver_text, "X_text", text_mean, text_scatter)

    max_components = min(image.rank, text.rank)
    if n_components is None:
        n_components = max_components
    elif n_components > max_components:
        raise ValueError(
            f"n_components={n_components} is too large: the maximum for this data is "
            f"{max_components} (the smaller rank of the centred views: X_image has rank "
            f"{image.rank}, X_text has rank {text.rank})."
        )

    if cross is None:
        cross = _whitened_cross_covariance(image, text, n_samples, cross_scatter)
    else:
        cross = cross(image, text)
    image_directions, correlations, text_directions = _leading_singular_pairs(cross, n_components)
    correlations = np.clip(correlations, 0.0, 1.0)

    image_weights = image.weights(image_directions)
    text_weights = text.weights(text_directions)
    signs = sign_flips(image_weights)
    image_weights *= signs
    text_weights *= signs
    image_directions = image_directions * signs
    text_directions = text_directions * signs

    return _CCASolution(
        correlations=correlations,
        image_mean=image.mean,
        text_mean=text.mean,
        image_weights=image_weights,
        text_weights=text_weights,
        image_lambda=float(image.lam),
        text_lambda=float(text.lam),
        image_view=image,
        text_view=text,
        image_directions=image_directions,
        text_directions=text_directions,
    )
