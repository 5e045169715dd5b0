"""Similarity kernels: one Numba function per similarity, plus row normalisation.

Each kernel takes two 1-D float32 vectors of the same length and returns a Python float; the sums
are accumulated in float64. The batch path of :class:`xmodal.search.exact.ExactIndex` does not call
these (it uses one BLAS matrix product per block of queries); they are the single-pair reference
and the building blocks for approximate indexes.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["inner_product", "cosine", "normalize_rows"]


@numba.njit(fastmath=True, cache=True)
def inner_product(a, b):
    """Inner product of two vectors.

    ``inner_product(a, b) = sum_i a[i] * b[i]``

    Parameters
    ----------
    a, b : ndarray of shape (d,), float32
        Vectors of the same length.

    Returns
    -------
    float
        The inner product, accumulated in float64.

    Examples
    --------
    >>> import numpy as np
    >>> inner_product(np.array([1, 2, 3], np.float32), np.array([4, 5, 6], np.float32))
    32.0
    """
    if a.shape[0] != b.shape[0]:
        raise ValueError("inner_product: a and b must have the same length")
    result = 0.0
    for i in range(a.shape[0]):
        result += np.float64(a[i]) * np.float64(b[i])
    return result


@numba.njit(fastmath=True, cache=True)
def cosine(a, b):
    """Cosine similarity of two vectors; 0.0 if either vector is all zeros.

    ``cosine(a, b) = sum_i a[i] * b[i] / (sqrt(sum_i a[i]**2) * sqrt(sum_i b[i]**2))``, clipped to
    ``[-1, 1]`` against rounding. When ``|a| = 0`` or ``|b| = 0`` the formula is undefined and the
    result is defined as ``0.0`` (a zero vector is unrelated to everything, itself included).

    Parameters
    ----------
    a, b : ndarray of shape (d,), float32
        Vectors of the same length.

    Returns
    -------
    float
        The cosine similarity, in ``[-1, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> cosine(np.array([1, 0], np.float32), np.array([1, 1], np.float32))  # doctest: +ELLIPSIS
    0.7071067811...
    >>> cosine(np.array([0, 0], np.float32), np.array([1, 1], np.float32))
    0.0
    """
    if a.shape[0] != b.shape[0]:
        raise ValueError("cosine: a and b must have the same length")
    dot = 0.0
    norm_a = 0.0
    norm_b = 0.0
    for i in range(a.shape[0]):
        x = np.float64(a[i])
        y = np.float64(b[i])
        dot += x * y
        norm_a += x * x
        norm_b += y * y
    if norm_a == 0.0 or norm_b == 0.0:
        return 0.0
    result = dot / (np.sqrt(norm_a) * np.sqrt(norm_b))
    if result > 1.0:
        return 1.0
    if result < -1.0:
        return -1.0
    return result


def normalize_rows(X):
    """Scale every row of ``X`` to unit Euclidean norm; all-zero rows stay zero.

    ``normalize_rows(X)[i] = X[i] / sqrt(sum_j X[i, j]**2)``. Each row is first divided by its
    largest absolute value, so rows with very large or very small entries neither overflow nor
    underflow.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Finite numeric values.

    Returns
    -------
    ndarray of shape (n, d), float32
        A new C-contiguous array; the input is not modified.

    Examples
    --------
    >>> import numpy as np
    >>> normalize_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]], dtype=float32)
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"normalize_rows: X must be a 2-D array, got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"normalize_rows: X must be numeric, got dtype {X.dtype}")
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.size == 0:
        return X.copy()
    if not np.isfinite(X).all():
        raise ValueError("normalize_rows: X contains NaN or infinite values")
    scale = np.maximum(X.max(axis=1), -X.min(axis=1))
    scale[scale == 0] = 1.0
    out = X / scale[:, None]
    norms = np.sqrt(np.einsum("ij,ij->i", out, out))
    norms[norms == 0] = 1.0
    out /= norms[:, None]
    return out
