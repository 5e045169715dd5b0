"""Shared building blocks for the closed-form projections of :mod:`xmodal.projection`.

Every projection (linear CCA here; kernel CCA and supervised variants later) needs the
same few pieces, collected in this module so that they behave identically everywhere:

- the constructor of every estimator (:func:`store_init_params`);
- input validation of one view (:func:`check_view`), of a pair of views whose rows are
  image-text pairs (:func:`check_paired_views`) and of class labels (:func:`check_labels`,
  :func:`require_labels`);
- rows scaled to unit norm, for cosine similarity (:func:`unit_rows`);
- centred products computed without densifying sparse input (:func:`column_mean`,
  :func:`centred_dot`, :func:`centred_transpose_dot`, :func:`centred_cross_product`,
  :func:`centred_products`, :func:`centred_gram`);
- whitening of a symmetric positive semi-definite matrix with floored eigenvalues
  (:func:`eigh_descending`, :func:`whitening_factor`, :func:`inverse_sqrt_psd`) and the
  matching numerical rank (:func:`numerical_rank`), with a Cholesky shortcut for
  well-conditioned covariances (:func:`cholesky_whitening`);
- deterministic sign fixing of fitted directions (:func:`sign_flips`);
- the symmetric-definite generalised eigenproblem ``A w = lambda B w`` (:func:`generalized_eigh`).

Dense inputs are returned as C-ordered ``float64`` arrays and sparse inputs as ``float64``
CSR matrices; nothing here ever densifies an ``n x d`` sparse matrix.
"""

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from scipy.linalg import blas, lapack

__all__ = [
    "store_init_params",
    "check_view",
    "check_paired_views",
    "check_labels",
    "require_labels",
    "unit_rows",
    "column_mean",
    "centred_dot",
    "centred_transpose_dot",
    "centred_cross_product",
    "centred_products",
    "centred_gram",
    "eigh_descending",
    "whitening_factor",
    "cholesky_whitening",
    "inverse_sqrt_psd",
    "numerical_rank",
    "sign_flips",
    "generalized_eigh",
]


def store_init_params(estimator, params):
    """Store every ``__init__`` argument as the attribute of the same name, unchanged.

    The scikit-learn constructor convention (no validation, no conversion), written once:
    an estimator's ``__init__`` calls ``store_init_params(self, locals())``. Its explicit
    signature stays the list of parameters that ``get_params`` and ``clone`` read.

    Parameters
    ----------
    estimator : estimator
        The object being constructed.
    params : dict
        ``locals()`` at the start of ``__init__`` (``self`` and ``__class__`` are skipped).

    Examples
    --------
    >>> from xmodal.projection._base import store_init_params
    >>> class Model:
    ...     def __init__(self, alpha=1.0, seed=0):
    ...         store_init_params(self, locals())
    >>> vars(Model(alpha=0.5))
    {'alpha': 0.5, 'seed': 0}
    """
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def check_view(X, name="X", *, n_features=None, min_rows=1, feature_label="features"):
    """Validate one modality's feature matrix.

    Parameters
    ----------
    X : array-like or scipy.sparse matrix of shape (n_samples, n_features)
        Real-valued features, one row per item.
    name : str, default="X"
        Name of the argument, used in error messages.
    n_features : int or None, default=None
        If given, the number of columns ``X`` must have (the count seen in ``fit``).
    min_rows : int, default=1
        Minimum number of rows.
    feature_label : str, default="features"
        What the columns are called in the feature-count error (e.g. "image features").

    Returns
    -------
    X : ndarray of shape (n_samples, n_features) or scipy.sparse.csr_matrix
        A C-ordered ``float64`` array, or a ``float64`` CSR matrix if ``X`` was sparse.

    Raises
    ------
    TypeError
        If ``X`` is not numeric (strings, objects, complex numbers).
    ValueError
        If ``X`` is not 2-D, has too few rows, no columns, the wrong number of columns,
        or contains NaN or infinity.

    Examples
    --------
    >>> from xmodal.projection._base import check_view
    >>> check_view([[1, 2], [3, 4]], "X_image").dtype
    dtype('float64')
    """
    if sp.issparse(X):
        if X.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got a sparse matrix of dtype {X.dtype}.")
        if X.ndim != 2:
            raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}.")
        X = sp.csr_matrix(X, dtype=np.float64)
        values = X.data
    else:
        try:
            array = np.asarray(X)
        except Exception as error:  # ragged nested lists and similar
            raise TypeError(f"{name} could not be converted to a numeric array: {error}") from None
        if np.iscomplexobj(array):
            raise TypeError(f"{name} must hold real numbers, got complex dtype {array.dtype}.")
        if array.dtype.kind == "O":
            try:
                array = array.astype(np.float64)
            except (TypeError, ValueError):
                raise TypeError(
                    f"{name} must hold real numbers, got an array of dtype {array.dtype}."
                ) from None
        elif array.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got an array of dtype {array.dtype}.")
        if array.ndim != 2:
            hint = " Reshape a single item with X.reshape(1, -1)." if array.ndim == 1 else ""
            raise ValueError(
                f"{name} must be 2-D (n_samples, n_features), got {array.ndim}-D "
                f"with shape {array.shape}.{hint}"
            )
        X = np.ascontiguousarray(array, dtype=np.float64)
        values = X
    n_rows, n_columns = X.shape
    if n_rows < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} row(s), got {n_rows}.")
    if n_columns == 0:
        raise ValueError(f"{name} has no columns (shape {X.shape}); at least 1 feature is needed.")
    if n_features is not None and n_columns != n_features:
        raise ValueError(
            f"{name} has {n_columns} features, but the projection was fitted with "
            f"{n_features} {feature_label}."
        )
    if not np.isfinite(values.sum()) and not np.isfinite(values).all():  # a finite sum: all finite
        n_bad = int(values.size - np.count_nonzero(np.isfinite(values)))
        raise ValueError(f"{name} contains {n_bad} NaN or infinite value(s); all features must be finite.")
    return X


def check_paired_views(X_image, X_text, *, min_rows=2):
    """Validate the two views of a paired training set.

    Row ``i`` of ``X_image`` and row ``i`` of ``X_text`` describe the same image-text pair.

    Parameters
    ----------
    X_image : array-like or scipy.sparse matrix of shape (n_pairs, d_image)
        Image features.
    X_text : array-like or scipy.sparse matrix of shape (n_pairs, d_text)
        Text features.
    min_rows : int, default=2
        Minimum number of pairs (covariances need at least two).

    Returns
    -------
    X_image, X_text : ndarray or scipy.sparse.csr_matrix
        The validated views, as returned by :func:`check_view`.

    Raises
    ------
    TypeError, ValueError
        See :func:`check_view`; also a ValueError naming both row counts when they differ.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import check_paired_views
    >>> X_image, X_text = check_paired_views(np.ones((3, 2)), np.zeros((3, 5)))
    >>> X_image.shape, X_text.shape
    ((3, 2), (3, 5))
    """
    X_image = check_view(X_image, "X_image", min_rows=1)
    X_text = check_view(X_text, "X_text", min_rows=1)
    if X_image.shape[0] != X_text.shape[0]:
        raise ValueError(
            f"X_image and X_text must have one row per image-text pair, but X_image has "
            f"{X_image.shape[0]} rows and X_text has {X_text.shape[0]} rows."
        )
    if X_image.shape[0] < min_rows:
        raise ValueError(
            f"At least {min_rows} image-text pairs are needed to estimate covariances, "
            f"got {X_image.shape[0]}."
        )
    return X_image, X_text


def check_labels(y, n_pairs):
    """Validate class labels, one per image-text pair; None passes through.

    Parameters
    ----------
    y : array-like of shape (n_pairs,) or None
    n_pairs : int

    Returns
    -------
    y : ndarray of shape (n_pairs,) or None

    Raises
    ------
    ValueError
        If ``y`` does not hold exactly one label per pair.

    Examples
    --------
    >>> from xmodal.projection._base import check_labels
    >>> check_labels(["a", "b"], 2)
    array(['a', 'b'], dtype='<U1')
    """
    if y is None:
        return None
    y = np.asarray(y)
    if y.shape != (n_pairs,):
        raise ValueError(f"y must hold one label per image-text pair ({n_pairs}), got shape {y.shape}.")
    return y


def require_labels(y, n_pairs, estimator_name):
    """Validate the labels of a supervised estimator: present, one per pair, at least two classes.

    Parameters
    ----------
    y : array-like of shape (n_pairs,) or None
    n_pairs : int
    estimator_name : str
        Named in the error messages.

    Returns
    -------
    y : ndarray of shape (n_pairs,)

    Raises
    ------
    ValueError
        If ``y`` is None, does not hold one label per pair, or has a single class.

    Examples
    --------
    >>> from xmodal.projection._base import require_labels
    >>> require_labels([0, 1, 1], 3, "Model")
    array([0, 1, 1])
    """
    y = check_labels(y, n_pairs)
    if y is None:
        raise ValueError(f"{estimator_name} is supervised: fit needs class labels y (one per image-text pair).")
    if len(np.unique(y)) < 2:
        raise ValueError(f"{estimator_name} needs at least 2 classes in y, got {len(np.unique(y))}.")
    return y


def unit_rows(Z):
    """``Z`` with every non-zero row divided by its Euclidean norm (zero rows stay zero).

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import unit_rows
    >>> unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    norms = np.linalg.norm(Z, axis=1, keepdims=True)
    return Z / np.where(norms > 0, norms, 1.0)


def column_mean(X):
    """Mean of each column of a dense array or sparse matrix.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)

    Returns
    -------
    mean : ndarray of shape (n_features,), float64

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from xmodal.projection._base import column_mean
    >>> column_mean(sp.csr_matrix([[1.0, 0.0], [3.0, 2.0]]))
    array([2., 1.])
    """
    if sp.issparse(X):
        return np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
    return np.asarray(X, dtype=np.float64).mean(axis=0)


def centred_dot(X, mean, W):
    """``(X - mean) @ W`` as ``X @ W - mean @ W``: no centred copy, sparse ``X`` stays sparse.

    A projection is linear, so the subtraction after the product loses only the digits of
    ``|mean| / spread`` (a covariance, which squares them, is centred explicitly instead).

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
    mean : ndarray of shape (n_features,)
    W : ndarray of shape (n_features, k)

    Returns
    -------
    product : ndarray of shape (n_samples, k)

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import centred_dot
    >>> centred_dot(np.array([[1.0, 2.0]]), np.array([1.0, 1.0]), np.eye(2))
    array([[0., 1.]])
    """
    return np.asarray(X @ W) - mean @ W


def centred_transpose_dot(X, mean, M):
    """``(X - mean).T @ M`` without densifying a sparse ``X``.

    Computed as ``X.T @ M - outer(mean, M.sum(axis=0))``.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
    mean : ndarray of shape (n_features,)
    M : ndarray of shape (n_samples, k)

    Returns
    -------
    product : ndarray of shape (n_features, k)

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import centred_transpose_dot
    >>> X = np.array([[0.0], [2.0]])
    >>> centred_transpose_dot(X, X.mean(axis=0), np.array([[1.0], [1.0]]))
    array([[0.]])
    """
    return np.asarray(X.T @ M) - np.outer(mean, M.sum(axis=0))


def centred_cross_product(X, mean_x, Y, mean_y):
    """``(X - mean_x).T @ (Y - mean_y)`` for dense or sparse ``X`` and ``Y``.

    A dense operand is centred explicitly (most accurate); two dense operands are centred a
    block of rows at a time into a small reused buffer (see :func:`row_blocks`), so no
    ``n x d`` temporary is allocated; two sparse operands use
    ``X.T @ Y - n * outer(mean_x, mean_y)`` so that neither is densified.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, d_x)
    mean_x : ndarray of shape (d_x,)
    Y : ndarray or scipy.sparse matrix of shape (n_samples, d_y)
    mean_y : ndarray of shape (d_y,)

    Returns
    -------
    product : ndarray of shape (d_x, d_y)

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import centred_cross_product
    >>> X = np.array([[0.0], [2.0]])
    >>> centred_cross_product(X, X.mean(axis=0), X, X.mean(axis=0))
    array([[2.]])
    """
    if not sp.issparse(X) and not sp.issparse(Y):
        if X is Y and mean_x is mean_y:  # a covariance: half the work, as a symmetric rank-k update
            return _accumulate_centred(X, mean_x, None, None, ("xx",))[0]
        return _accumulate_centred(X, mean_x, Y, mean_y, ("xy",))[0]
    if not sp.issparse(Y):
        return centred_transpose_dot(X, mean_x, Y - mean_y)
    if not sp.issparse(X):
        return centred_transpose_dot(Y, mean_y, X - mean_x).T
    product = (X.T @ Y).toarray()
    return product - X.shape[0] * np.outer(mean_x, mean_y)


def centred_products(X, mean_x, Y, mean_y):
    """The three centred products of two dense views in one pass over their rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, d_x)
    mean_x : ndarray of shape (d_x,)
    Y : ndarray of shape (n_samples, d_y)
    mean_y : ndarray of shape (d_y,)

    Returns
    -------
    xx : ndarray of shape (d_x, d_x)
        ``(X - mean_x).T @ (X - mean_x)``.
    yy : ndarray of shape (d_y, d_y)
        ``(Y - mean_y).T @ (Y - mean_y)``.
    xy : ndarray of shape (d_x, d_y)
        ``(X - mean_x).T @ (Y - mean_y)``.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import centred_products
    >>> X, Y = np.array([[0.0], [2.0]]), np.array([[1.0], [0.0]])
    >>> [float(p[0, 0]) for p in centred_products(X, X.mean(0), Y, Y.mean(0))]
    [2.0, 0.5, -1.0]
    """
    return _accumulate_centred(X, mean_x, Y, mean_y, ("xx", "yy", "xy"))


def _accumulate_centred(X, mean_x, Y, mean_y, wanted):
    """Centred products of dense views, ``wanted`` from "xx", "yy", "xy", over row blocks.

    Each block is centred once into a reused buffer and added with one BLAS call per
    product into a Fortran-ordered accumulator: a symmetric rank-k update (``dsyrk``, half
    the work; mirrored at the end) for "xx" and "yy", ``dgemm`` for "xy".
    """
    d_x, d_y = X.shape[1], (0 if Y is None else Y.shape[1])
    sizes = {"xx": (d_x, d_x), "yy": (d_y, d_y), "xy": (d_x, d_y)}
    products = {name: np.zeros(sizes[name], order="F") for name in wanted}
    buffer_x = buffer_y = None
    for rows in row_blocks(X.shape[0], max(d_x, d_y)):
        buffer_x = centred_block(X, mean_x, rows, buffer_x)
        if Y is not None:
            buffer_y = centred_block(Y, mean_y, rows, buffer_y)
        for name in wanted:
            if name == "xy":
                blas.dgemm(1.0, buffer_x.T, buffer_y.T, beta=1.0, c=products[name], trans_b=1,
                           overwrite_c=1)
            else:
                block = buffer_x if name == "xx" else buffer_y
                blas.dsyrk(1.0, block.T, beta=1.0, c=products[name], trans=0, lower=0, overwrite_c=1)
    return [np.ascontiguousarray(products[name] if name == "xy"
                                 else np.triu(products[name]) + np.triu(products[name], 1).T)
            for name in wanted]


#: Dense row blocks are centred into buffers of about this size (fits the L2/L3 caches and
#: avoids allocating, and page-faulting, a full centred copy of an ``n x d`` matrix).
_BLOCK_BYTES = 4 << 20


def row_blocks(n_rows, n_columns):
    """Slices of consecutive rows, each block about ``_BLOCK_BYTES`` of float64 (>= 64 rows).

    Examples
    --------
    >>> from xmodal.projection._base import row_blocks
    >>> [(block.start, block.stop) for block in row_blocks(5, 1 << 20)]
    [(0, 5)]
    """
    step = max(64, _BLOCK_BYTES // (8 * max(int(n_columns), 1)))
    return [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


def centred_block(X, mean, rows, buffer=None):
    """``X[rows] - mean`` written into ``buffer`` (reused when large enough); returns the block."""
    size = rows.stop - rows.start
    if buffer is None or buffer.shape[0] < size:
        buffer = np.empty((size, X.shape[1]))
    block = buffer[:size]
    np.subtract(X[rows], mean, out=block)
    return block


def centred_gram(X, mean):
    """Gram matrix ``(X - mean) @ (X - mean).T`` of the centred rows.

    For sparse ``X`` this is ``X X^T - a 1^T - 1 a^T + (mean . mean)`` with ``a = X @ mean``,
    so the ``n x d`` matrix is never densified (only the ``n x n`` result is dense).

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
    mean : ndarray of shape (n_features,)

    Returns
    -------
    gram : ndarray of shape (n_samples, n_samples), symmetric

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import centred_gram
    >>> X = np.array([[0.0], [2.0]])
    >>> centred_gram(X, X.mean(axis=0))
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    if sp.issparse(X):
        row_dot_mean = np.asarray(X @ mean).ravel()
        gram = (X @ X.T).toarray()
        gram -= row_dot_mean[:, None]
        gram -= row_dot_mean[None, :]
        gram += float(mean @ mean)
    else:
        centred = X - mean
        gram = centred @ centred.T
    return (gram + gram.T) / 2.0


def numerical_rank(eigenvalues, floor, size):
    """Number of eigenvalues of a PSD matrix that are numerically non-zero.

    An eigenvalue counts when it exceeds ``max(floor, size * eps) * max(eigenvalues)``.

    Parameters
    ----------
    eigenvalues : ndarray of shape (m,)
        Eigenvalues of a symmetric positive semi-definite matrix (any order).
    floor : float
        Relative threshold (the projection's ``eigenvalue_floor``).
    size : int
        Largest dimension of the data the matrix came from (sets the rounding level).

    Returns
    -------
    rank : int

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import numerical_rank
    >>> numerical_rank(np.array([4.0, 1.0, 1e-17]), 1e-10, 3)
    2
    """
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    if eigenvalues.size == 0:
        return 0
    top = float(eigenvalues.max())
    if not top > 0.0:
        return 0
    tolerance = max(float(floor), size * np.finfo(np.float64).eps) * top
    return int(np.count_nonzero(eigenvalues > tolerance))


def eigh_descending(matrix):
    """Eigendecomposition of a symmetric matrix, eigenvalues in descending order.

    Parameters
    ----------
    matrix : ndarray of shape (d, d)
        Symmetric matrix; only the lower triangle is read (``scipy.linalg.eigh``).

    Returns
    -------
    eigenvalues : ndarray of shape (d,), descending
    eigenvectors : ndarray of shape (d, d), column ``j`` pairs with ``eigenvalues[j]``

    Raises
    ------
    ValueError
        If ``matrix`` is not square.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import eigh_descending
    >>> eigh_descending(np.diag([1.0, 3.0]))[0]
    array([3., 1.])
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square, got shape {matrix.shape}.")
    eigenvalues, eigenvectors = linalg.eigh(matrix, check_finite=False, driver="evd")
    return eigenvalues[::-1], eigenvectors[:, ::-1]


def whitening_factor(eigenvalues, eigenvectors, floor=1e-10):
    """Floored whitening factor ``V diag(max(e, floor * max(e)) ** -1/2)``.

    For ``M = V diag(e) V^T`` and ``F`` the result, ``F.T @ M @ F`` is the identity on the
    directions whose eigenvalue is above the floor. Keep only the first ``r`` columns of ``F``
    to whiten within the span of the ``r`` leading eigenvectors.

    Parameters
    ----------
    eigenvalues : ndarray of shape (m,)
        Eigenvalues of a symmetric positive semi-definite matrix.
    eigenvectors : ndarray of shape (d, m)
        Matching eigenvectors, one per column.
    floor : float, default=1e-10
        Eigenvalues are floored at ``floor * max(eigenvalues)``; must be in (0, 1).

    Returns
    -------
    factor : ndarray of shape (d, m)

    Raises
    ------
    ValueError
        If ``floor`` is not in (0, 1) or no eigenvalue is positive.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import whitening_factor
    >>> whitening_factor(np.array([4.0, 0.0]), np.eye(2), floor=0.01)
    array([[0.5, 0. ],
           [0. , 5. ]])
    """
    if not 0.0 < floor < 1.0:
        raise ValueError(f"floor must be in (0, 1), got {floor!r}.")
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    top = float(eigenvalues.max()) if eigenvalues.size else 0.0
    if not top > 0.0:
        raise ValueError(
            "matrix has no positive eigenvalue (all-zero covariance?), so it cannot be whitened."
        )
    return eigenvectors / np.sqrt(np.maximum(eigenvalues, floor * top))


#: A covariance takes the Cholesky shortcut only when LAPACK's estimate of its reciprocal
#: condition number clears the rank tolerance by this factor. The exact 1-norm reciprocal
#: condition is a lower bound on ``lambda_min / lambda_max`` (often by a factor of ten or
#: more); the estimate can exceed it by a small factor at most, which the margin covers.
_CHOLESKY_MARGIN = 2.0


def cholesky_whitening(cov, lam, floor, size):
    """Whitening factor of ``cov + lam I`` by Cholesky, when ``cov`` is safely full rank.

    With ``cov + lam I = L L^T``, returns ``F = L^{-T}`` (upper triangular), so that
    ``F.T @ (cov + lam I) @ F`` is the identity: the same whitening as
    :func:`whitening_factor` up to a rotation, at a fraction of the cost of ``eigh``.
    The shortcut is taken only when ``cov`` itself is far from singular: LAPACK's
    ``dpocon`` estimate of its reciprocal condition number (a lower bound on
    ``lambda_min / lambda_max`` when exact) must exceed twice ``max(floor, size * eps)``,
    the tolerance of :func:`numerical_rank`. Then every eigenvalue counts, none is
    floored, and the eigen-route would keep all ``d`` directions too.

    Parameters
    ----------
    cov : ndarray of shape (d, d)
        Symmetric positive semi-definite matrix (unregularised covariance).
    lam : float
        Ridge added before whitening (>= 0).
    floor : float
        Relative eigenvalue floor, as in :func:`numerical_rank`.
    size : int
        Largest dimension of the data ``cov`` came from.

    Returns
    -------
    factor : ndarray of shape (d, d) or None
        ``None`` when ``cov`` is not certainly full rank; use the eigendecomposition then.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import cholesky_whitening
    >>> cov = np.array([[4.0, 2.0], [2.0, 3.0]])
    >>> factor = cholesky_whitening(cov, 0.0, 1e-10, 10)
    >>> np.allclose(factor.T @ cov @ factor, np.eye(2))
    True
    >>> cholesky_whitening(np.ones((2, 2)), 0.0, 1e-10, 10) is None
    True
    """
    cov = np.asarray(cov, dtype=np.float64)
    tolerance = max(float(floor), size * np.finfo(np.float64).eps)
    chol, info = lapack.dpotrf(cov, lower=1, clean=1)
    if info != 0:
        return None
    rcond, info = lapack.dpocon(chol, float(np.abs(cov).sum(axis=0).max()), uplo="L")
    if info != 0 or not rcond > _CHOLESKY_MARGIN * tolerance:
        return None
    if lam > 0.0:
        chol, info = lapack.dpotrf(cov + lam * np.eye(len(cov)), lower=1, clean=1)
        if info != 0:
            return None
    inverse, info = lapack.dtrtri(chol, lower=1)
    if info != 0:
        return None
    return np.ascontiguousarray(np.tril(inverse).T)


def inverse_sqrt_psd(matrix, floor=1e-10, *, return_eigenvalues=False):
    """Floored inverse square root of a symmetric positive semi-definite matrix.

    With ``matrix = V diag(e) V^T`` (``scipy.linalg.eigh``), returns
    ``V diag(max(e, floor * max(e)) ** -1/2) V^T``. Flooring keeps rank-deficient input
    (duplicated or constant columns, more features than samples) finite: directions
    without variance get a large but bounded gain instead of a division by zero.

    Parameters
    ----------
    matrix : ndarray of shape (d, d)
        Symmetric PSD matrix, e.g. a (regularised) covariance. Only the lower triangle is read.
    floor : float, default=1e-10
        Eigenvalues are floored at ``floor * max_eigenvalue``; must be in (0, 1).
    return_eigenvalues : bool, default=False
        Also return the unfloored eigenvalues, in descending order.

    Returns
    -------
    inv_sqrt : ndarray of shape (d, d)
        Symmetric matrix with ``inv_sqrt @ matrix @ inv_sqrt`` equal to the identity on the
        directions whose eigenvalue is above the floor.
    eigenvalues : ndarray of shape (d,)
        Only if ``return_eigenvalues``: the eigenvalues of ``matrix``, descending.

    Raises
    ------
    ValueError
        If ``matrix`` is not square, ``floor`` is not in (0, 1), or no eigenvalue is positive.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import inverse_sqrt_psd
    >>> inverse_sqrt_psd(np.diag([4.0, 0.25]))
    array([[0.5, 0. ],
           [0. , 2. ]])
    """
    eigenvalues, eigenvectors = eigh_descending(matrix)
    inv_sqrt = whitening_factor(eigenvalues, eigenvectors, floor) @ eigenvectors.T
    inv_sqrt = (inv_sqrt + inv_sqrt.T) / 2.0
    if return_eigenvalues:
        return inv_sqrt, eigenvalues
    return inv_sqrt


def sign_flips(weights):
    """Deterministic sign per column: +1 or -1 so that each column's largest entry is positive.

    The entry of largest absolute value in each column (first one on exact ties) decides;
    an all-zero column gets +1. Multiply the columns of ``weights`` (and of any paired weights,
    e.g. the other view's) by the result.

    Parameters
    ----------
    weights : ndarray of shape (d, k)

    Returns
    -------
    signs : ndarray of shape (k,), values in {-1.0, +1.0}

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import sign_flips
    >>> sign_flips(np.array([[0.1, 0.9], [-0.8, 0.2]]))
    array([-1.,  1.])
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 2:
        raise ValueError(f"weights must be 2-D (d, k), got shape {weights.shape}.")
    if weights.shape[0] == 0:
        return np.ones(weights.shape[1])
    rows = np.argmax(np.abs(weights), axis=0)
    pivots = weights[rows, np.arange(weights.shape[1])]
    return np.where(pivots < 0.0, -1.0, 1.0)


def generalized_eigh(A, B, n_components, *, largest=True):
    """Leading solutions of the symmetric-definite generalised eigenproblem ``A w = lambda B w``.

    Both matrices are symmetrised (``(M + M') / 2``) and passed to ``scipy.linalg.eigh(A, B)``,
    which reduces the problem by a Cholesky factor of ``B`` (``B`` must be positive definite:
    add the ridge before calling). The product ``inv(B) A`` is never formed: it is not
    symmetric, and handing it to ``eigh`` (as some libraries do) silently gives wrong answers.

    Parameters
    ----------
    A : ndarray of shape (p, p)
        Symmetric.
    B : ndarray of shape (p, p)
        Symmetric positive definite.
    n_components : int
        Number of eigenpairs, at most ``p``.
    largest : bool, default=True
        The largest eigenvalues (descending) if True, the smallest (ascending) otherwise.

    Returns
    -------
    eigenvalues : ndarray of shape (n_components,)
    eigenvectors : ndarray of shape (p, n_components)
        ``B``-orthonormal: ``W' B W = I``.

    Raises
    ------
    ValueError
        If the shapes differ or ``B`` is not positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection._base import generalized_eigh
    >>> values, vectors = generalized_eigh(np.diag([2.0, 6.0]), np.diag([1.0, 2.0]), 1)
    >>> values, np.abs(vectors)
    (array([3.]), array([[0.        ],
           [0.70710678]]))
    """
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape != B.shape:
        raise ValueError(f"A and B must be square matrices of one shape, got {A.shape} and {B.shape}.")
    p = A.shape[0]
    if not 1 <= n_components <= p:
        raise ValueError(f"n_components must be in 1..{p}, got {n_components}.")
    subset = (p - n_components, p - 1) if largest else (0, n_components - 1)
    try:
        values, vectors = linalg.eigh((A + A.T) / 2.0, (B + B.T) / 2.0, subset_by_index=subset,
                                      check_finite=False)
    except linalg.LinAlgError as error:
        raise ValueError(f"B is not positive definite ({error}); increase the regularisation.") from None
    if largest:
        values, vectors = values[::-1], vectors[:, ::-1]
    return values, vectors
