"""Fused parallel Numba scans over a stored collection: top-k, score tiles, threshold matches.

All functions work on *positions* (row numbers of the stored arrays) and *keys* (larger = closer:
a similarity, or minus a distance; see :mod:`xmodal.search.metrics`). Dense metrics read float32
rows ``Qf`` / ``Vf``; Hamming reads packed bits viewed as uint64 words ``Qb`` / ``Vb``. The unused
pair is passed as an empty 2-D array of its dtype, so one compiled scan serves every metric.

:func:`fused_topk` computes each (query, item) key with the kernels of
:mod:`xmodal.search.kernels` and offers it straight to the query's heap: the collection is read
once per group of queries, in blocks small enough to stay in the core's cache while every query
of the group visits them. Work is split over (item range x query range) units in parallel; heaps
of different item ranges are merged at the end.
"""

from __future__ import annotations

import numba
import numpy as np

from xmodal.search import metrics as _m
from xmodal.search.kernels import (chi_squared, hamming, hellinger, histogram_intersection, inner_product, l1,
                                   squared_euclidean)
from xmodal.search.topk import EMPTY_KEY, EMPTY_TIE, heap_sort, merge_heaps, select_block

_BLOCK = 256  # items per cache block: 256 rows of 128 float32 = 128 KiB


@numba.njit(fastmath=True, cache=True)
def block_keys(code, Qf, Vf, Qb, Vb, i, start, out):
    """Keys of query row ``i`` against stored rows ``start .. start + len(out)`` into ``out``.

    The metric is chosen once per block, so each loop below is a plain kernel call per item.
    """
    n = out.shape[0]
    if code == _m.HAMMING:
        qb = Qb[i]
        for j in range(n):
            out[j] = -hamming(qb, Vb[start + j])
    elif code == _m.INNER:
        qf = Qf[i]
        for j in range(n):
            out[j] = inner_product(qf, Vf[start + j])
    elif code == _m.SQEUCLIDEAN:
        qf = Qf[i]
        for j in range(n):
            out[j] = -squared_euclidean(qf, Vf[start + j])
    elif code == _m.L1:
        qf = Qf[i]
        for j in range(n):
            out[j] = -l1(qf, Vf[start + j])
    elif code == _m.CHI2:
        qf = Qf[i]
        for j in range(n):
            out[j] = -chi_squared(qf, Vf[start + j])
    elif code == _m.HELLINGER:
        qf = Qf[i]
        for j in range(n):
            out[j] = -hellinger(qf, Vf[start + j])
    else:
        qf = Qf[i]
        for j in range(n):
            out[j] = histogram_intersection(qf, Vf[start + j])


@numba.njit(fastmath=True, cache=True)
def _fused_unit(code, Qf, Vf, Qb, Vb, tie_keys, mask, j0, j1, q0, q1, keys, ties, positions):
    """Offer stored rows ``j0 .. j1`` to the heaps of queries ``q0 .. q1``, one cache block at a time."""
    block = np.empty(_BLOCK, dtype=np.float32)
    for b0 in range(j0, j1, _BLOCK):
        b1 = min(b0 + _BLOCK, j1)
        for i in range(q0, q1):
            block_keys(code, Qf, Vf, Qb, Vb, i, b0, block[:b1 - b0])
            select_block(block[:b1 - b0], b0, tie_keys, mask, keys[i], ties[i], positions[i])


@numba.njit(fastmath=True, cache=True)
def _fused_topk_serial(code, Qf, Vf, Qb, Vb, k, tie_keys, mask, start, stop):
    n_queries = max(Qf.shape[0], Qb.shape[0])
    keys = np.full((n_queries, k), EMPTY_KEY, dtype=np.float32)
    ties = np.full((n_queries, k), EMPTY_TIE, dtype=np.int64)
    positions = np.full((n_queries, k), -1, dtype=np.int64)
    _fused_unit(code, Qf, Vf, Qb, Vb, tie_keys, mask, start, stop, 0, n_queries, keys, ties, positions)
    for i in range(n_queries):
        heap_sort(keys[i], ties[i], positions[i])
    return positions, keys


@numba.njit(fastmath=True, cache=True, parallel=True)
def _fused_topk_parallel(code, Qf, Vf, Qb, Vb, k, tie_keys, mask, start, stop, n_item_parts, n_query_parts):
    n_queries = max(Qf.shape[0], Qb.shape[0])
    keys = np.full((n_item_parts, n_queries, k), EMPTY_KEY, dtype=np.float32)
    ties = np.full((n_item_parts, n_queries, k), EMPTY_TIE, dtype=np.int64)
    positions = np.full((n_item_parts, n_queries, k), -1, dtype=np.int64)
    n_items = stop - start
    for unit in numba.prange(n_item_parts * n_query_parts):
        part = unit // n_query_parts
        group = unit % n_query_parts
        _fused_unit(code, Qf, Vf, Qb, Vb, tie_keys, mask,
                    start + part * n_items // n_item_parts, start + (part + 1) * n_items // n_item_parts,
                    group * n_queries // n_query_parts, (group + 1) * n_queries // n_query_parts,
                    keys[part], ties[part], positions[part])
    merge_heaps(keys, ties, positions)
    return positions[0], keys[0]


def fused_topk(code, Qf, Vf, Qb, Vb, k, tie_keys, mask, start, stop, n_item_parts, n_query_parts):
    """Top-``k`` stored positions in ``[start, stop)`` for every query, best first.

    Work is split into ``n_item_parts x n_query_parts`` parallel units (one unit runs without
    starting threads). Returns ``(positions, keys)`` of shape (n_queries, k); slots left empty
    (fewer than ``k`` allowed items) hold position -1.
    """
    if n_item_parts * n_query_parts == 1:
        return _fused_topk_serial(code, Qf, Vf, Qb, Vb, k, tie_keys, mask, start, stop)
    return _fused_topk_parallel(code, Qf, Vf, Qb, Vb, k, tie_keys, mask, start, stop, n_item_parts, n_query_parts)


@numba.njit(fastmath=True, cache=True, parallel=True)
def score_tile(code, Qf, Vf, Qb, Vb, start, out):
    """Keys of every query against stored rows ``start .. start + out.shape[1]`` into ``out``."""
    n_queries, width = out.shape
    n_blocks = (width + _BLOCK - 1) // _BLOCK
    for unit in numba.prange(n_queries * n_blocks):
        i = unit // n_blocks
        b0 = (unit % n_blocks) * _BLOCK
        block_keys(code, Qf, Vf, Qb, Vb, i, start + b0, out[i, b0:min(b0 + _BLOCK, width)])


@numba.njit(fastmath=True, cache=True)
def squared_distance_row(row, query_norm, item_norms, start):
    """Turn a row of inner products into keys ``-max(|q|^2 + |v|^2 - 2 q.v, 0)``, in place."""
    for j in range(row.shape[0]):
        row[j] = -max(query_norm + item_norms[start + j] - np.float32(2.0) * row[j], np.float32(0.0))


@numba.njit(fastmath=True, cache=True, parallel=True)
def squared_distance_keys(products, query_norms, item_norms, start):
    """:func:`squared_distance_row` on every row of a tile, rows in parallel."""
    for i in numba.prange(products.shape[0]):
        squared_distance_row(products[i], query_norms[i], item_norms, start)


@numba.njit(fastmath=True, cache=True, parallel=True)
def select_tile(tile, start, tie_keys, mask, keys, ties, positions, row0):
    """Offer row ``i`` of a key tile (stored positions ``start ..``) to heap ``row0 + i``."""
    for i in numba.prange(tile.shape[0]):
        select_block(tile[i], start, tie_keys, mask, keys[row0 + i], ties[row0 + i], positions[row0 + i])


@numba.njit(fastmath=True, cache=True, nogil=True)
def select_rows(tile, start, tie_keys, mask, keys, ties, positions, row0):
    """:func:`select_tile` on the calling thread, without the GIL (one worker thread per row block)."""
    for i in range(tile.shape[0]):
        select_block(tile[i], start, tie_keys, mask, keys[row0 + i], ties[row0 + i], positions[row0 + i])


@numba.njit(fastmath=True, cache=True, parallel=True)
def threshold_tile(tile, start, threshold, mask):
    """Entries of a key tile with key >= ``threshold`` (allowed by ``mask``), row by row.

    Returns ``(counts, positions, keys)``: ``counts[i]`` matches of row ``i``, stored one row after
    the other in ``positions`` / ``keys`` (positions are stored positions, ``start + column``).
    """
    n_rows, width = tile.shape
    use_mask = mask.shape[0] > 0
    counts = np.zeros(n_rows, dtype=np.int64)
    for i in numba.prange(n_rows):
        c = 0
        for j in range(width):
            if tile[i, j] >= threshold and (not use_mask or mask[start + j] != 0):
                c += 1
        counts[i] = c
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    for i in range(n_rows):
        offsets[i + 1] = offsets[i] + counts[i]
    positions = np.empty(offsets[n_rows], dtype=np.int64)
    keys = np.empty(offsets[n_rows], dtype=np.float32)
    for i in numba.prange(n_rows):
        o = offsets[i]
        for j in range(width):
            if tile[i, j] >= threshold and (not use_mask or mask[start + j] != 0):
                positions[o] = start + j
                keys[o] = tile[i, j]
                o += 1
    return counts, positions, keys


@numba.njit(fastmath=True, cache=True, parallel=True)
def keys_of(code, Qf, Vf, Qb, Vb, positions):
    """Keys of query ``i`` against stored positions ``positions[i, :]`` (-1 = empty, key EMPTY_KEY)."""
    n_queries, width = positions.shape
    out = np.full((n_queries, width), EMPTY_KEY, dtype=np.float32)
    for i in numba.prange(n_queries):
        for e in range(width):
            if positions[i, e] >= 0:
                block_keys(code, Qf, Vf, Qb, Vb, i, positions[i, e], out[i, e:e + 1])
    return out
