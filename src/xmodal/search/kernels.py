"""Similarity and distance kernels: one small Numba function per measure, plus row normalisation.

Each kernel takes two 1-D vectors of the same length and returns a Python number; float sums are
accumulated in float64. Similarities (larger = closer): :func:`inner_product`, :func:`cosine`,
:func:`histogram_intersection`. Distances (smaller = closer): :func:`squared_euclidean`,
:func:`l1`, :func:`chi_squared`, :func:`hellinger`, :func:`hamming`.

The histogram kernels (chi-squared, Hellinger, intersection) expect non-negative entries; the
indexes check that when vectors are added. :func:`hamming` takes packed bits (``numpy.packbits``
output, e.g. 32-byte ORB descriptors) as unsigned integers of any width.

These are the single-pair reference and the building blocks of the fused scans in
:mod:`xmodal.search.scan`, which call them for every (query, item) pair.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["inner_product", "cosine", "squared_euclidean", "l1", "chi_squared", "hellinger",
           "histogram_intersection", "hamming", "normalize_rows"]


@numba.njit(fastmath=True, cache=True)
def _check_lengths(a, b):
    if a.shape[0] != b.shape[0]:
        raise ValueError("kernel arguments a and b must have the same length")


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
    _check_lengths(a, b)
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
    _check_lengths(a, b)
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
    return min(1.0, max(-1.0, result))


@numba.njit(fastmath=True, cache=True)
def squared_euclidean(a, b):
    """Squared Euclidean distance.

    ``squared_euclidean(a, b) = sum_i (a[i] - b[i])**2``

    Parameters
    ----------
    a, b : ndarray of shape (d,), float32
        Vectors of the same length.

    Returns
    -------
    float
        The squared distance, accumulated in float64; 0.0 for identical vectors.

    Examples
    --------
    >>> import numpy as np
    >>> squared_euclidean(np.array([0, 0], np.float32), np.array([3, 4], np.float32))
    25.0
    """
    _check_lengths(a, b)
    result = 0.0
    for i in range(a.shape[0]):
        diff = np.float64(a[i]) - np.float64(b[i])
        result += diff * diff
    return result


@numba.njit(fastmath=True, cache=True)
def l1(a, b):
    """L1 (Manhattan, city-block) distance.

    ``l1(a, b) = sum_i |a[i] - b[i]|``

    Parameters
    ----------
    a, b : ndarray of shape (d,), float32
        Vectors of the same length.

    Returns
    -------
    float
        The distance, accumulated in float64.

    Examples
    --------
    >>> import numpy as np
    >>> l1(np.array([1, -2, 3], np.float32), np.array([0, 2, 3], np.float32))
    5.0
    """
    _check_lengths(a, b)
    result = 0.0
    for i in range(a.shape[0]):
        result += abs(np.float64(a[i]) - np.float64(b[i]))
    return result


@numba.njit(fastmath=True, cache=True)
def chi_squared(a, b):
    """Symmetric chi-squared distance between two non-negative histograms.

    ``chi_squared(a, b) = sum over i with a[i] + b[i] > 0 of (a[i] - b[i])**2 / (a[i] + b[i])``

    Bins empty in both histograms contribute nothing (the 0/0 term is defined as 0), so two empty
    histograms are at distance 0.0 and an empty histogram is at distance ``sum(b)`` from ``b``.
    The histograms are used as given (not normalised).

    Parameters
    ----------
    a, b : ndarray of shape (d,), float32
        Non-negative histograms of the same length.

    Returns
    -------
    float
        The distance, accumulated in float64.

    Examples
    --------
    >>> import numpy as np
    >>> chi_squared(np.array([1, 0, 2], np.float32), np.array([3, 0, 2], np.float32))
    1.0
    >>> chi_squared(np.zeros(3, np.float32), np.array([1, 2, 0], np.float32))
    3.0
    """
    _check_lengths(a, b)
    result = 0.0
    for i in range(a.shape[0]):
        x = np.float64(a[i])
        y = np.float64(b[i])
        total = x + y
        if total > 0.0:
            result += (x - y) * (x - y) / total
    return result


@numba.njit(fastmath=True, cache=True)
def hellinger(a, b):
    """Hellinger distance between two non-negative histograms, each normalised to sum 1.

    ``hellinger(a, b) = sqrt(1 - sum_i sqrt(a[i] * b[i]) / sqrt(sum_i a[i] * sum_i b[i]))``, which
    equals ``||sqrt(p) - sqrt(q)||_2 / sqrt(2)`` for the normalised histograms ``p = a / sum(a)``,
    ``q = b / sum(b)``; it lies in ``[0, 1]``. An empty (all-zero) histogram is a distribution
    with no mass: two empty histograms are at distance 0.0, and an empty histogram is at the
    maximal distance 1.0 from any non-empty one.

    Parameters
    ----------
    a, b : ndarray of shape (d,), float32
        Non-negative histograms of the same length.

    Returns
    -------
    float
        The distance, in ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> hellinger(np.array([1, 0], np.float32), np.array([0, 5], np.float32))
    1.0
    >>> hellinger(np.array([1, 1], np.float32), np.array([2, 2], np.float32))
    0.0
    >>> hellinger(np.zeros(2, np.float32), np.zeros(2, np.float32))
    0.0
    """
    _check_lengths(a, b)
    overlap = 0.0
    sum_a = 0.0
    sum_b = 0.0
    for i in range(a.shape[0]):
        x = np.float64(a[i])
        y = np.float64(b[i])
        overlap += np.sqrt(x * y)
        sum_a += x
        sum_b += y
    if sum_a == 0.0 and sum_b == 0.0:
        return 0.0
    if sum_a == 0.0 or sum_b == 0.0:
        return 1.0
    return np.sqrt(max(0.0, 1.0 - overlap / np.sqrt(sum_a * sum_b)))


@numba.njit(fastmath=True, cache=True)
def histogram_intersection(a, b):
    """Histogram intersection similarity of two non-negative histograms (Swain & Ballard).

    ``histogram_intersection(a, b) = sum_i min(a[i], b[i])``

    For histograms normalised to sum 1 it lies in ``[0, 1]`` (1 for identical histograms). An
    empty histogram intersects nothing: its similarity to anything is 0.0.

    Parameters
    ----------
    a, b : ndarray of shape (d,), float32
        Non-negative histograms of the same length.

    Returns
    -------
    float
        The similarity, accumulated in float64.

    Examples
    --------
    >>> import numpy as np
    >>> histogram_intersection(np.array([0.5, 0.5, 0], np.float32), np.array([0.25, 0.25, 0.5], np.float32))
    0.5
    """
    _check_lengths(a, b)
    result = 0.0
    for i in range(a.shape[0]):
        result += min(np.float64(a[i]), np.float64(b[i]))
    return result


@intrinsic
def _popcount(typingctx, x):
    """Number of set bits of an unsigned integer (LLVM ``ctpop``: one POPCNT instruction)."""
    if not isinstance(x, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        (value,) = args
        width = value.type.width
        function_type = ir.FunctionType(value.type, [value.type])
        ctpop = cgutils.get_or_insert_function(builder.module, function_type, f"llvm.ctpop.i{width}")
        count = builder.call(ctpop, [value])
        return builder.zext(count, ir.IntType(64)) if width < 64 else count

    return types.int64(x), codegen


@numba.njit(fastmath=True, cache=True)
def hamming(a, b):
    """Hamming distance between two packed bit strings: the number of differing bits.

    ``hamming(a, b) = sum_i popcount(a[i] XOR b[i])``

    Parameters
    ----------
    a, b : ndarray of shape (n_words,), unsigned integers
        Packed bits of the same length and dtype, e.g. ``uint8`` rows of ``numpy.packbits`` (a
        32-byte ORB descriptor holds 256 bits) or the same bytes viewed as ``uint64``.

    Returns
    -------
    int
        The number of differing bits, between 0 and ``8 * a.nbytes``.

    Examples
    --------
    >>> import numpy as np
    >>> hamming(np.array([0b1011, 0xFF], np.uint8), np.array([0b0001, 0x0F], np.uint8))
    6
    """
    _check_lengths(a, b)
    result = 0
    for i in range(a.shape[0]):
        result += _popcount(a[i] ^ b[i])
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
