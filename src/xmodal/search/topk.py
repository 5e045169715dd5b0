"""Row-wise top-k selection with a deterministic tie-break, in Numba.

Each row is scanned once while a size-``k`` heap keeps the best entries seen so far ("best" = larger
value, then lower column index); the heap is then sorted in place. Cost per row is ``O(n_columns log k)`` at worst and close to
``O(n_columns)`` on typical data with ``k << n_columns`` (most entries fail the single comparison
against the heap root); there is no full sort. Rows are processed in parallel.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["topk_rows"]


@numba.njit(fastmath=True, cache=True)
def _worse(values, indices, p, q):
    """True if entry ``p`` ranks below entry ``q`` (smaller value, or equal value and higher index)."""
    return values[p] < values[q] or (values[p] == values[q] and indices[p] > indices[q])


@numba.njit(fastmath=True, cache=True)
def _sift_down(values, indices, start, size):
    """Restore the heap property below ``start`` in a heap whose root is its worst entry."""
    pos = start
    while True:
        child = 2 * pos + 1
        if child >= size:
            return
        if child + 1 < size and _worse(values, indices, child + 1, child):
            child += 1
        if not _worse(values, indices, child, pos):
            return
        values[pos], values[child] = values[child], values[pos]
        indices[pos], indices[child] = indices[child], indices[pos]
        pos = child


@numba.njit(fastmath=True, cache=True)
def _select_row(row, k, out_indices, out_values):
    """Write the ``k`` best entries of ``row`` into the outputs, best first."""
    for j in range(k):
        out_values[j] = row[j]
        out_indices[j] = j
    for start in range(k // 2 - 1, -1, -1):
        _sift_down(out_values, out_indices, start, k)
    for j in range(k, row.shape[0]):
        # Columns arrive in increasing order, so an equal value never beats the current worst.
        if row[j] > out_values[0]:
            out_values[0] = row[j]
            out_indices[0] = j
            _sift_down(out_values, out_indices, 0, k)
    # Heap sort: move the worst remaining entry to the end of the shrinking heap.
    for end in range(k - 1, 0, -1):
        out_values[0], out_values[end] = out_values[end], out_values[0]
        out_indices[0], out_indices[end] = out_indices[end], out_indices[0]
        _sift_down(out_values, out_indices, 0, end)


@numba.njit(fastmath=True, cache=True, parallel=True)
def _topk_rows_kernel(scores, k):
    """Top-``k`` of every row of a finite, C-contiguous float32 matrix; ``1 <= k <= n_columns``."""
    n_rows = scores.shape[0]
    indices = np.empty((n_rows, k), dtype=np.int64)
    values = np.empty((n_rows, k), dtype=np.float32)
    for i in numba.prange(n_rows):
        _select_row(scores[i], k, indices[i], values[i])
    return indices, values


def topk_rows(scores, k):
    """Indices and values of the ``k`` largest entries of every row, sorted descending.

    Ties are broken by the lower column index, so the result is fully deterministic: it equals a
    stable descending sort of each row, truncated to ``k``.

    Parameters
    ----------
    scores : array-like of shape (n_rows, n_columns)
        Finite numeric scores; converted to float32 before selection (so float64 values that differ
        only beyond float32 precision count as ties).
    k : int
        Number of entries to keep per row, ``k >= 1``; clipped to ``n_columns``.

    Returns
    -------
    indices : ndarray of shape (n_rows, min(k, n_columns)), int64
        Column indices, best first.
    values : ndarray of shape (n_rows, min(k, n_columns)), float32
        ``scores[i, indices[i]]``, non-increasing along each row.

    Examples
    --------
    >>> import numpy as np
    >>> indices, values = topk_rows(np.array([[0.1, 0.9, 0.5, 0.9]]), k=3)
    >>> indices
    array([[1, 3, 2]])
    >>> values
    array([[0.9, 0.9, 0.5]], dtype=float32)
    """
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"topk_rows: scores must be a 2-D array, got shape {scores.shape}")
    if scores.dtype.kind not in "biuf":
        raise TypeError(f"topk_rows: scores must be numeric, got dtype {scores.dtype}")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"topk_rows: k must be an integer, got {type(k).__name__}")
    if k < 1:
        raise ValueError(f"topk_rows: k must be >= 1, got {k}")
    scores = np.ascontiguousarray(scores, dtype=np.float32)
    n_rows, n_columns = scores.shape
    k = min(int(k), n_columns)
    if k == 0 or n_rows == 0:
        return np.empty((n_rows, k), dtype=np.int64), np.empty((n_rows, k), dtype=np.float32)
    if not np.isfinite(scores).all():
        raise ValueError("topk_rows: scores contains NaN or infinite values")
    return _topk_rows_kernel(scores, k)
