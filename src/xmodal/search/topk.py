"""Top-k selection with a deterministic tie-break, in Numba.

A size-``k`` heap keeps the best entries seen so far: "best" means a larger key, then a smaller
tie key (the item's id, or its rank among string ids). The heap's root is its worst entry, so a
new entry costs one comparison unless it enters the heap. :func:`select_block` scans keys 16 at a
time and skips a group whose maximum cannot enter, a comparison the compiler vectorises; on typical
data with ``k << n`` almost every group is skipped. An empty heap slot holds the key
``EMPTY_KEY`` (the most negative float32) and position -1; every real entry beats it.

The exact scans (:mod:`xmodal.search.scan`), the blocked matrix-product search
(:mod:`xmodal.search.exact`) and the LSH re-ranking all fill their heaps with these functions.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["topk_rows"]

EMPTY_KEY = np.float32(np.finfo(np.float32).min)
EMPTY_TIE = np.iinfo(np.int64).max
_GROUP = 16


def new_heaps(n_rows, k):
    """``(keys, ties, positions)`` arrays of shape (n_rows, k), every slot empty."""
    return (np.full((n_rows, k), EMPTY_KEY, dtype=np.float32),
            np.full((n_rows, k), EMPTY_TIE, dtype=np.int64),
            np.full((n_rows, k), -1, dtype=np.int64))


@numba.njit(fastmath=True, cache=True)
def _worse(keys, ties, p, q):
    """True if heap slot ``p`` ranks below slot ``q`` (smaller key, or equal key and larger tie)."""
    return keys[p] < keys[q] or (keys[p] == keys[q] and ties[p] > ties[q])


@numba.njit(fastmath=True, cache=True)
def _swap(keys, ties, positions, p, q):
    keys[p], keys[q] = keys[q], keys[p]
    ties[p], ties[q] = ties[q], ties[p]
    positions[p], positions[q] = positions[q], positions[p]


@numba.njit(fastmath=True, cache=True)
def _sift_down(keys, ties, positions, start, size):
    """Restore the heap property below ``start`` in a heap whose root is its worst entry."""
    pos = start
    while True:
        child = 2 * pos + 1
        if child >= size:
            return
        if child + 1 < size and _worse(keys, ties, child + 1, child):
            child += 1
        if not _worse(keys, ties, child, pos):
            return
        _swap(keys, ties, positions, pos, child)
        pos = child


@numba.njit(fastmath=True, cache=True)
def heap_offer(keys, ties, positions, key, tie, position):
    """Put an entry into the heap if it beats the worst one held; return whether it entered."""
    if key < keys[0] or (key == keys[0] and tie >= ties[0]):
        return False
    keys[0] = key
    ties[0] = tie
    positions[0] = position
    _sift_down(keys, ties, positions, 0, keys.shape[0])
    return True


@numba.njit(fastmath=True, cache=True)
def heap_sort(keys, ties, positions):
    """Sort a heap in place, best entry first (empty slots last)."""
    for end in range(keys.shape[0] - 1, 0, -1):
        _swap(keys, ties, positions, 0, end)
        _sift_down(keys, ties, positions, 0, end)


@numba.njit(fastmath=True, cache=True)
def select_block(block_keys, offset, tie_keys, mask, keys, ties, positions):
    """Offer ``block_keys[j]`` (item at position ``offset + j``) to a heap, skipping masked items.

    ``tie_keys`` is indexed by position; ``mask`` is empty (every item allowed) or a uint8 array
    indexed by position, 0 = skip.
    """
    n = block_keys.shape[0]
    use_mask = mask.shape[0] > 0
    for g in range(0, n, _GROUP):
        stop = min(g + _GROUP, n)
        best = block_keys[g]
        for j in range(g + 1, stop):
            best = max(best, block_keys[j])
        if best < keys[0]:
            continue
        for j in range(g, stop):
            key = block_keys[j]
            if key < keys[0]:
                continue
            position = offset + j
            if use_mask and mask[position] == 0:
                continue
            heap_offer(keys, ties, positions, key, tie_keys[position], position)


@numba.njit(fastmath=True, cache=True, parallel=True)
def merge_heaps(keys, ties, positions):
    """Merge heaps of shape (n_parts, n_rows, k) into part 0 and sort each row, best first."""
    n_parts, n_rows, k = keys.shape
    for i in numba.prange(n_rows):
        for part in range(1, n_parts):
            for e in range(k):
                if positions[part, i, e] >= 0:
                    heap_offer(keys[0, i], ties[0, i], positions[0, i],
                               keys[part, i, e], ties[part, i, e], positions[part, i, e])
        heap_sort(keys[0, i], ties[0, i], positions[0, i])


@numba.njit(fastmath=True, cache=True, parallel=True)
def _topk_rows_kernel(scores, k):
    """Top-``k`` of every row of a finite float32 matrix, ties broken by the lower column."""
    n_rows, n_columns = scores.shape
    columns = np.arange(n_columns)
    no_mask = np.empty(0, dtype=np.uint8)
    keys = np.full((n_rows, k), EMPTY_KEY, dtype=np.float32)
    ties = np.full((n_rows, k), EMPTY_TIE, dtype=np.int64)
    positions = np.full((n_rows, k), -1, dtype=np.int64)
    for i in numba.prange(n_rows):
        select_block(scores[i], 0, columns, no_mask, keys[i], ties[i], positions[i])
        heap_sort(keys[i], ties[i], positions[i])
    return positions, keys


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


@numba.njit(fastmath=True, cache=True, parallel=True)
def select_candidates(positions, keys, tie_keys, mask, k):
    """Best ``k`` of each row of candidate ``positions`` (-1 = none) with their ``keys``, best first.

    Candidates that ``mask`` forbids (0) or that repeat within a row are dropped. Returns
    ``(positions, keys)`` of shape (n_rows, k), -1 in slots left empty.
    """
    n_rows, width = positions.shape
    use_mask = mask.shape[0] > 0
    out_keys = np.full((n_rows, k), EMPTY_KEY, dtype=np.float32)
    out_ties = np.full((n_rows, k), EMPTY_TIE, dtype=np.int64)
    out_positions = np.full((n_rows, k), -1, dtype=np.int64)
    for i in numba.prange(n_rows):
        for e in range(width):
            p = positions[i, e]
            if p < 0 or (use_mask and mask[p] == 0):
                continue
            seen = False
            for f in range(k):
                if out_positions[i, f] == p:
                    seen = True
            if not seen:
                heap_offer(out_keys[i], out_ties[i], out_positions[i], keys[i, e], tie_keys[p], p)
        heap_sort(out_keys[i], out_ties[i], out_positions[i])
    return out_positions, out_keys
