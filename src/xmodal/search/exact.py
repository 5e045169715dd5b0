"""Exact (brute-force) search by any metric of :mod:`xmodal.search.metrics`.

Inner product, cosine and squared Euclidean are scored with float32 BLAS matrix products over
tiles of (queries x stored rows) sized to ``block_bytes``, each tile handed to a Numba top-k
selection while it is still in cache: memory stays bounded whatever the collection size; a batch
of fewer than eight queries is scored instead by one parallel Numba pass over the rows (faster
there, see ``_SCAN_MAX_QUERIES``). The other metrics always use the fused parallel Numba scans of
:mod:`xmodal.search.scan`. Ties are broken by
id (smaller id first; string ids in sorted order), so results do not depend on insertion order.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numba
import numpy as np

from xmodal.search import persist, scan
from xmodal.search._validation import (as_ids, as_vectors, check_int, check_number, check_unique,
                                       id_kinds_match, read_only)
from xmodal.search.kernels import normalize_rows
from xmodal.search.metrics import SQEUCLIDEAN, get_metric
from xmodal.search.topk import heap_sort, merge_heaps, new_heaps, select_block

__all__ = ["ExactIndex"]

FORMAT_NAME = "xmodal.ExactIndex"
FORMAT_VERSION = 1
_VECTORS_FILE = "vectors.npy"
_IDS_FILE = "ids.npy"
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_PARALLEL_ITEMS = 32768  # a single query scans fewer rows than this on one thread
_SUBSET_FRACTION = 4  # a mask allowing under 1/4 of the rows: search a gathered copy of them
# Fewer queries than this are scored by the Numba kernels (float64 sums) in one pass over the rows, not
# by float32 matrix products, where a small product is dominated by packing the collection and by BLAS
# and Numba threads spinning against each other. Measured (two cores): one query 1.2-1.8x faster on
# 100k x 128 and 1.2-1.3x on 400k x 50; four 3x on both; eight 2.1x and 1.15x; fifteen 1.5x faster on
# 100k x 128 but 1.25x slower on 400k x 50 (the scan's work grows with the batch, the product's barely).
# So batches of up to seven take the scan. Their scores may differ from a larger batch's in the last
# float32 bit.
_SCAN_MAX_QUERIES = 8
# Batches of at least this many query rows per thread take the fused path (worker threads, each with
# single-threaded BLAS and its own selection): from 64 queries on two threads 1.3-1.5x faster than
# multi-threaded BLAS tiles followed by a parallel selection (64-511 queries on 100k x 128).
_FUSED_ROWS = 32
_FUSED_MAX_ROWS = 1024  # query rows per worker task: an equal share per thread, split above this
_FUSED_TILE_BYTES = 4 * 2**20  # one worker's score tile (measured best among 0.5-8 MB on 100k x 128)


class Queries:
    """Queries prepared for one index: converted, normalised, packed; built by :meth:`ExactIndex.prepare`."""

    __slots__ = ("floats", "words", "sq_norms", "n")

    def __init__(self, floats, words, sq_norms):
        self.floats, self.words, self.sq_norms = floats, words, sq_norms
        self.n = max(floats.shape[0], words.shape[0])

    def take(self, rows):
        """The queries at ``rows`` (a slice or index array)."""
        return Queries(*(a[rows] if a.size else a for a in (self.floats, self.words, self.sq_norms)))


def _pad_words(bits):
    """uint8 rows padded with zero bytes to a multiple of 8, so they can be read as uint64 words."""
    pad = (-bits.shape[1]) % 8
    if pad:
        bits = np.concatenate([bits, np.zeros((bits.shape[0], pad), dtype=np.uint8)], axis=1)
    return np.ascontiguousarray(bits)


_EMPTY_FLOATS = np.empty((0, 0), dtype=np.float32)
_EMPTY_WORDS = np.empty((0, 0), dtype=np.uint64)
_NO_MASK = np.empty(0, dtype=np.uint8)


class ExactIndex:
    """Exact top-k and threshold search over stored vectors.

    Parameters
    ----------
    metric : str, default="cosine"
        One of ``"cosine"``, ``"inner_product"``, ``"sqeuclidean"``, ``"l1"``, ``"chi2"``,
        ``"hellinger"``, ``"intersection"`` (similarities and distances of
        :mod:`xmodal.search.kernels`) or ``"hamming"`` (packed bits, ``uint8`` rows). Cosine stores
        unit-normalised rows and normalises queries; a zero vector scores 0.0 against everything.
        Histogram metrics refuse negative entries.
    batch_size : int, default=1024
        Query rows scored per matrix product.
    block_bytes : int, default=33554432
        Bytes of one score tile (``batch_size`` queries x as many stored rows as fit): the extra
        memory a search uses, whatever the collection size.

    Attributes
    ----------
    dim : int or None
        Vector dimension (bytes per row for Hamming), ``None`` before the first :meth:`add`.
    ids : ndarray of shape (n,)
        int64 or unicode ids in insertion order (read-only).
    vectors : ndarray of shape (n, dim)
        Stored vectors, unit-normalised for cosine (read-only).

    Examples
    --------
    >>> import numpy as np
    >>> index = ExactIndex(metric="cosine")
    >>> index.add(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), ids=["x", "y", "xy"])
    >>> ids, scores = index.search(np.array([3.0, 4.0]), k=2)
    >>> ids
    array([['xy', 'y']], dtype='<U2')
    >>> scores.round(3)
    array([[0.99, 0.8 ]], dtype=float32)
    """

    def __init__(self, metric="cosine", batch_size=1024, block_bytes=32 * 2**20):
        self.metric = metric
        self.batch_size = batch_size
        self.block_bytes = block_bytes
        self._metric = get_metric(metric)
        check_int(batch_size, "batch_size")
        check_int(block_bytes, "block_bytes", minimum=4096)
        self._vectors = None
        self._ids = np.empty(0, dtype=np.int64)
        self._n_bytes = None
        self._cache = {}

    def __len__(self):
        return 0 if self._vectors is None else self._vectors.shape[0]

    def __repr__(self):
        return (f"ExactIndex(metric={self.metric!r}, batch_size={self.batch_size}) "
                f"with {len(self)} vectors of dim {self.dim}")

    @property
    def dim(self):
        """Vector dimension (bytes per row for Hamming), or ``None`` while the index is empty."""
        if self._vectors is None:
            return None
        return self._n_bytes if self._metric.binary else self._vectors.shape[1]

    @property
    def ids(self):
        """Read-only 1-D array of ids (int64 or unicode), in insertion order."""
        return read_only(self._ids)

    @property
    def vectors(self):
        """Read-only (n, dim) array of stored vectors (unit rows for cosine)."""
        if self._vectors is None:
            return np.empty((0, 0), dtype=self._metric.dtype)
        if self._metric.binary:
            return read_only(self._vectors[:, :self._n_bytes])
        return read_only(self._vectors)

    # ------------------------------------------------------------------ adding

    def add(self, vectors, ids=None):
        """Append vectors (and their ids) to the index.

        Parameters
        ----------
        vectors : array-like of shape (n, d)
            Finite numeric values, stored as float32 (unit-normalised for cosine); non-negative for
            histogram metrics; ``uint8`` packed bits for Hamming. ``d`` must equal :attr:`dim`
            once the index holds vectors.
        ids : array-like of shape (n,), optional
            Unique integer or string ids. Default: running integers continuing from ``len(self)``
            (``0, 1, ...`` for a fresh index). Integer and string ids cannot be mixed in one index.

        Returns
        -------
        None

        Examples
        --------
        >>> import numpy as np
        >>> index = ExactIndex()
        >>> index.add(np.ones((2, 3)))
        >>> index.add(np.ones((1, 3)))
        >>> index.ids
        array([0, 1, 2])
        """
        original = vectors
        vectors = as_vectors(vectors, self._metric, "vectors")
        n, d = vectors.shape
        if self._vectors is not None and d != self.dim:
            raise ValueError(f"vectors have dimension {d} but the index holds vectors of dimension {self.dim}")
        if ids is None:
            if self._ids.dtype.kind == "U" and len(self):
                raise TypeError("ids are required: this index holds string ids, and default ids are integers")
            new_ids = np.arange(len(self), len(self) + n, dtype=np.int64)
        else:
            new_ids = as_ids(ids, n)
            id_kinds_match(new_ids, self._ids, len(self))
        if n == 0:
            return
        all_ids = new_ids if not len(self) else np.concatenate([self._ids, new_ids])
        check_unique(all_ids)
        vectors = self._stored_form(vectors)
        if self._vectors is None:
            if np.may_share_memory(vectors, np.asarray(original)):
                vectors = vectors.copy()
            self._n_bytes = d
            self._vectors = vectors
        else:
            self._vectors = np.concatenate([self._vectors, vectors])
        self._ids = all_ids
        self._cache = {}

    def _stored_form(self, vectors):
        if self._metric.normalize:
            return normalize_rows(vectors)
        if self._metric.binary:
            return _pad_words(vectors)
        return vectors

    # ------------------------------------------------------------------ derived arrays

    def _derived(self, name):
        """Arrays computed from the stored ones on first use (dropped by :meth:`add`)."""
        if name not in self._cache:
            if name == "ties":  # integer ids break ties themselves; string ids by their sorted rank
                if self._ids.dtype.kind == "U":
                    ranks = np.empty(len(self), dtype=np.int64)
                    ranks[np.argsort(self._ids, kind="stable")] = np.arange(len(self))
                    value = ranks
                else:
                    value = np.ascontiguousarray(self._ids, dtype=np.int64)
            elif name == "sq_norms":
                v = np.asarray(self._vectors, dtype=np.float32)
                value = np.einsum("ij,ij->i", v, v) if len(self) else np.empty(0, np.float32)
            elif name == "max_norm":
                value = float(np.sqrt(self._derived("sq_norms").max(initial=0.0)))
            else:
                raise KeyError(name)
            self._cache[name] = value
        return self._cache[name]

    def _floats(self):
        return _EMPTY_FLOATS if self._metric.binary else self._vectors

    def _words(self):
        return self._vectors.view(np.uint64) if self._metric.binary else _EMPTY_WORDS

    # ------------------------------------------------------------------ queries

    def prepare(self, queries, name="queries"):
        """Check and convert queries for this index (normalised for cosine, packed for Hamming).

        Parameters
        ----------
        queries : array-like of shape (n_q, d) or (d,)
        name : str
            Argument name used in error messages.

        Returns
        -------
        Queries
        """
        if self._vectors is None:
            raise ValueError("the index is empty: add vectors before searching")
        q = as_vectors(queries, self._metric, name, allow_1d=True)
        if q.shape[1] != self.dim:
            raise ValueError(f"{name} have dimension {q.shape[1]} but the index holds vectors of dimension {self.dim}")
        if self._metric.binary:
            return Queries(_EMPTY_FLOATS, _pad_words(q).view(np.uint64), np.empty(0, np.float32))
        if self._metric.normalize:
            q = normalize_rows(q)
        sq_norms = np.einsum("ij,ij->i", q, q) if self._metric.code == SQEUCLIDEAN else np.empty(0, np.float32)
        if self._metric.blas and len(q):
            self._check_overflow(q)
        return Queries(q, _EMPTY_WORDS, sq_norms)

    def _check_overflow(self, q):
        """Refuse queries whose products with stored rows could overflow float32 (Cauchy-Schwarz)."""
        with np.errstate(over="ignore"):
            q_norm = float(np.sqrt(np.einsum("ij,ij->i", q.astype(np.float64), q.astype(np.float64)).max()))
        v_norm = self._derived("max_norm")
        bound = (q_norm + v_norm) ** 2 if self._metric.code == SQEUCLIDEAN else q_norm * v_norm
        if not bound < _FLOAT32_MAX:
            raise ValueError("scores would overflow the float32 range; rescale the vectors or queries "
                             "(products and squared norms must stay below about 3.4e38)")

    def _check_k(self, k):
        return min(check_int(k, "k"), len(self))

    # ------------------------------------------------------------------ search engine (positions, keys)

    def topk_positions(self, queries, k, mask=None, start=0, stop=None):
        """Best ``k`` stored positions in ``[start, stop)`` for prepared queries, best first.

        Parameters
        ----------
        queries : Queries
            From :meth:`prepare`.
        k : int
            Results per query (``>= 1``).
        mask : ndarray of shape (len(self),), uint8, optional
            0 marks a position that must not be returned.
        start, stop : int
            The range of stored positions searched.

        Returns
        -------
        positions : ndarray of shape (n_q, k), int64
            -1 in slots left empty (fewer than ``k`` allowed rows).
        keys : ndarray of shape (n_q, k), float32
            Ranking keys (the metric's score, negated for distances).
        """
        stop = len(self) if stop is None else stop
        ties = self._derived("ties")[start:stop]
        mask = _NO_MASK if mask is None else mask[start:stop]
        if mask.size:
            allowed = np.flatnonzero(mask)
            if allowed.size * _SUBSET_FRACTION < mask.size:
                positions, keys = self._topk_arrays(queries, k, allowed + start, ties[allowed], _NO_MASK)
                return _map_positions(positions, allowed + start), keys
        positions, keys = self._topk_arrays(queries, k, slice(start, stop), ties, mask)
        positions[positions >= 0] += start
        return positions, keys

    def _rows(self, rows):
        """(floats, words, sq_norms) of the stored rows selected by a slice or position array."""
        floats, words = self._floats(), self._words()
        norms = self._derived("sq_norms") if self._metric.code == SQEUCLIDEAN else np.empty(0, np.float32)
        pick = (lambda a: a[rows] if a.size else a)
        return pick(floats), pick(words), pick(norms)

    def _topk_arrays(self, queries, k, rows, ties, mask):
        floats, words, norms = self._rows(rows)
        n = max(floats.shape[0], words.shape[0])
        if n == 0 or queries.n == 0:
            return np.full((queries.n, k), -1, dtype=np.int64), np.empty((queries.n, k), dtype=np.float32)
        threads = numba.get_num_threads()
        if self._blas_scores(queries):
            return self._blas_topk(queries, floats, norms, ties, mask, k)
        if self._metric.blas:  # a few queries: one pass over the rows scores them all, no matrix product
            query_parts, item_parts = 1, (1 if n < _PARALLEL_ITEMS else 2 * threads)
        else:
            query_parts = min(queries.n, 4 * threads) if queries.n >= 2 * threads else 1
            item_parts = 1 if query_parts > 1 or n < _PARALLEL_ITEMS else 2 * threads
        return scan.fused_topk(self._metric.code, queries.floats, floats, queries.words, words, k, ties, mask,
                               0, n, item_parts, query_parts)

    def _tile_shape(self, n_queries, n_items):
        rows = min(n_queries, self.batch_size)
        return rows, max(1, min(n_items, max(1024, self.block_bytes // (4 * rows))))

    def _blas_tiles(self, queries, floats, norms):
        """Yield ``(q0, q1, j0, tile)``: key tiles from float32 matrix products, one buffer reused."""
        rows, width = self._tile_shape(queries.n, floats.shape[0])
        buffer = np.empty(rows * width, dtype=np.float32)
        for q0 in range(0, queries.n, rows):
            q1 = min(q0 + rows, queries.n)
            block = queries.floats[q0:q1]
            for j0 in range(0, floats.shape[0], width):
                j1 = min(j0 + width, floats.shape[0])
                tile = buffer[:(q1 - q0) * (j1 - j0)].reshape(q1 - q0, j1 - j0)
                np.matmul(block, floats[j0:j1].T, out=tile)
                if self._metric.code == SQEUCLIDEAN:
                    if q1 - q0 == 1:  # one row: no parallel region to start (costly on a busy machine)
                        scan.squared_distance_row(tile[0], queries.sq_norms[q0], norms, j0)
                    else:
                        scan.squared_distance_keys(tile, queries.sq_norms[q0:q1], norms, j0)
                yield q0, q1, j0, tile

    def _numba_tiles(self, queries, floats, words):
        """Yield ``(q0, q1, j0, tile)`` key tiles computed by the Numba kernels."""
        n = max(floats.shape[0], words.shape[0])
        rows, width = self._tile_shape(queries.n, n)
        buffer = np.empty(rows * width, dtype=np.float32)
        for q0 in range(0, queries.n, rows):
            q1 = min(q0 + rows, queries.n)
            part = queries.take(slice(q0, q1))
            for j0 in range(0, n, width):
                j1 = min(j0 + width, n)
                tile = buffer[:(q1 - q0) * (j1 - j0)].reshape(q1 - q0, j1 - j0)
                scan.score_tile(self._metric.code, part.floats, floats, part.words, words, j0, tile)
                yield q0, q1, j0, tile

    def _blas_scores(self, queries):
        """Whether this batch is scored by float32 matrix products (else by the Numba kernels).

        The one rule for top-k, radius searches and similarities alike, so they agree to the last bit.
        """
        return self._metric.blas and queries.n >= _SCAN_MAX_QUERIES

    def _key_tiles(self, queries, rows=slice(None)):
        """Key tiles computed as :meth:`topk_positions` computes them for the same batch."""
        floats, words, norms = self._rows(rows)
        if self._blas_scores(queries):
            return self._blas_tiles(queries, floats, norms)
        return self._numba_tiles(queries, floats, words)

    def _blas_topk(self, queries, floats, norms, ties, mask, k):
        threads = numba.get_num_threads()
        if self._metric.code != SQEUCLIDEAN and threads > 1 and queries.n >= _FUSED_ROWS * threads:
            return self._fused_topk(queries, floats, ties, mask, k, threads)
        keys, heap_ties, positions = new_heaps(queries.n, k)
        for q0, _, j0, tile in self._blas_tiles(queries, floats, norms):
            if tile.shape[0] == 1:
                select_block(tile[0], j0, ties, mask, keys[q0], heap_ties[q0], positions[q0])
            else:
                scan.select_tile(tile, j0, ties, mask, keys, heap_ties, positions, q0)
        if queries.n == 1:
            heap_sort(keys[0], heap_ties[0], positions[0])
        else:
            merge_heaps(keys[None], heap_ties[None], positions[None])
        return positions, keys

    def _fused_topk(self, queries, floats, ties, mask, k, threads):
        """Large batches: each worker thread takes blocks of query rows and, tile by tile, computes a
        cache-sized product with single-threaded BLAS and selects from it at once, while it is hot.

        BLAS threads and Numba threads alternating on the same cores slow each other down (each
        spins while the other works); one thread doing both, per core, does not. Heaps of
        different query rows never meet, so results equal the sequential path's exactly.
        """
        from concurrent.futures import ThreadPoolExecutor

        keys, heap_ties, positions = new_heaps(queries.n, k)
        # as few, equal tasks as possible (a multiple of the threads): a bigger block of query rows
        # makes each small product more efficient, and equal shares leave no thread idle at the end
        n_tasks = threads * -(-queries.n // (threads * _FUSED_MAX_ROWS))
        rows = -(-queries.n // n_tasks)
        width = max(256, min(floats.shape[0], _FUSED_TILE_BYTES // (4 * rows),
                             self.block_bytes // (4 * rows * threads)))

        def rows_from(q0):
            q1 = min(q0 + rows, queries.n)
            buffer = np.empty((q1 - q0) * width, dtype=np.float32)
            for j0 in range(0, floats.shape[0], width):
                j1 = min(j0 + width, floats.shape[0])
                tile = buffer[:(q1 - q0) * (j1 - j0)].reshape(q1 - q0, j1 - j0)
                np.matmul(queries.floats[q0:q1], floats[j0:j1].T, out=tile)
                scan.select_rows(tile, j0, ties, mask, keys, heap_ties, positions, q0)

        with _blas_controller().limit(limits=1, user_api="blas"), ThreadPoolExecutor(threads) as pool:
            list(pool.map(rows_from, range(0, queries.n, rows)))
        merge_heaps(keys[None], heap_ties[None], positions[None])
        return positions, keys

    def threshold_positions(self, queries, key_threshold, mask=None, start=0, stop=None):
        """Every stored position in ``[start, stop)`` whose key reaches ``key_threshold``.

        Returns
        -------
        list of (positions, keys)
            One pair of 1-D arrays per query, best first (ties by id).
        """
        stop = len(self) if stop is None else stop
        mask = _NO_MASK if mask is None else np.ascontiguousarray(mask[start:stop])
        found = [[] for _ in range(queries.n)]
        for q0, q1, j0, tile in self._key_tiles(queries, slice(start, stop)):
            counts, positions, keys = scan.threshold_tile(tile, j0, np.float32(key_threshold), mask)
            if positions.size:
                bounds = np.concatenate([[0], np.cumsum(counts)])
                for r in np.flatnonzero(counts):
                    found[q0 + r].append((positions[bounds[r]:bounds[r + 1]], keys[bounds[r]:bounds[r + 1]]))
        ties = self._derived("ties")
        results = []
        for parts in found:
            positions = np.concatenate([p for p, _ in parts]) + start if parts else np.empty(0, np.int64)
            keys = np.concatenate([s for _, s in parts]) if parts else np.empty(0, np.float32)
            order = np.lexsort((ties[positions], -keys))
            results.append((positions[order], keys[order]))
        return results

    def keys_at(self, queries, positions):
        """Keys of each query against the stored rows ``positions[i]`` (-1 = empty slot)."""
        return scan.keys_of(self._metric.code, queries.floats, self._floats(), queries.words, self._words(),
                            np.ascontiguousarray(positions, dtype=np.int64))

    # ------------------------------------------------------------------ public search

    def search(self, queries, k=10):
        """Ids and scores of the ``k`` closest stored vectors for each query.

        Parameters
        ----------
        queries : array-like of shape (n_q, d) or (d,)
            Query vectors (same dtype rules as :meth:`add`); a 1-D query is one row.
        k : int, default=10
            Results per query, ``k >= 1``; clipped to ``len(self)``.

        Returns
        -------
        ids : ndarray of shape (n_q, min(k, len(self)))
            Ids of the best matches, best first (same dtype as :attr:`ids`).
        scores : ndarray of shape (n_q, min(k, len(self))), float32
            Similarities (non-increasing) or distances (non-decreasing) in the metric's units;
            equal scores are ordered by id.

        Notes
        -----
        BLAS metrics sum in float32, and the summation order can depend on the tile shape: two
        stored vectors that tie in exact arithmetic can differ in the last bit. Exactly
        representable data (e.g. small integers) gives identical results for every tile shape.

        Examples
        --------
        >>> import numpy as np
        >>> index = ExactIndex(metric="inner_product")
        >>> index.add(np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
        >>> index.search(np.array([[1.0, 1.0], [1.0, 0.0]]), k=2)
        (array([[1, 2],
               [0, 2]]), array([[2., 2.],
               [1., 1.]], dtype=float32))
        >>> index = ExactIndex(metric="sqeuclidean")
        >>> index.add(np.array([[0.0, 0.0], [3.0, 4.0]]), ids=[10, 20])
        >>> index.search(np.array([3.0, 3.0]), k=2)
        (array([[20, 10]]), array([[ 1., 18.]], dtype=float32))
        """
        k = check_int(k, "k")
        prepared = self.prepare(queries)
        k = min(k, len(self))
        positions, keys = self.topk_positions(prepared, k)
        return np.asarray(self._ids)[positions], self._metric.from_key(keys)

    def search_radius(self, queries, threshold):
        """Every stored vector within ``threshold`` of each query, best first.

        Parameters
        ----------
        queries : array-like of shape (n_q, d) or (d,)
        threshold : float
            A similarity floor (``score >= threshold``) for similarity metrics, a distance ceiling
            (``score <= threshold``) for distance metrics.

        Returns
        -------
        ids : list of ndarray
            One array per query, best first, ties by id.
        scores : list of ndarray
            Their scores.

        Examples
        --------
        >>> import numpy as np
        >>> index = ExactIndex(metric="l1")
        >>> index.add(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]), ids=["a", "b", "c"])
        >>> ids, scores = index.search_radius(np.array([[0.0, 1.0]]), threshold=1.0)
        >>> ids[0].tolist(), scores[0].tolist()
        (['a', 'b'], [1.0, 1.0])
        """
        threshold = check_number(threshold, "threshold")
        prepared = self.prepare(queries)
        key = np.float32(self._metric.to_key(threshold))
        found = self.threshold_positions(prepared, key)
        ids = np.asarray(self._ids)
        return [ids[p] for p, _ in found], [self._metric.from_key(s) for _, s in found]

    def similarity(self, queries):
        """Full score matrix between queries and every stored vector, in insertion order.

        Parameters
        ----------
        queries : array-like of shape (n_q, d) or (d,)

        Returns
        -------
        ndarray of shape (n_q, len(self)), float32
            ``scores[i, j]`` is the score (similarity or distance) of query ``i`` and the ``j``-th
            stored vector, computed exactly as in :meth:`search`.

        Examples
        --------
        >>> import numpy as np
        >>> index = ExactIndex(metric="cosine")
        >>> index.add(np.array([[1.0, 0.0], [0.0, 0.0]]))
        >>> index.similarity(np.array([[3.0, 4.0]]))
        array([[0.6, 0. ]], dtype=float32)
        """
        prepared = self.prepare(queries)
        out = np.empty((prepared.n, len(self)), dtype=np.float32)
        for q0, q1, j0, tile in self._key_tiles(prepared):
            out[q0:q1, j0:j0 + tile.shape[1]] = self._metric.from_key(tile)
        return out

    # ------------------------------------------------------------------ persistence

    def save(self, directory):
        """Write the index to ``directory`` (``vectors.npy``, ``ids.npy``, ``index.json``).

        The files are written to a temporary sibling directory, which is then renamed to
        ``directory``. An existing ``directory`` is replaced only once the new one is complete, and
        only if it is empty or holds nothing but those files (anything else raises
        ``FileExistsError`` rather than deleting unknown files). Missing parent directories are
        created. ``index.json`` records each file's size and SHA-256.

        Parameters
        ----------
        directory : str or os.PathLike

        Returns
        -------
        None

        Examples
        --------
        >>> import numpy as np, os, tempfile
        >>> index = ExactIndex()
        >>> index.add(np.eye(3), ids=["a", "b", "c"])
        >>> path = os.path.join(tempfile.mkdtemp(), "my-index")
        >>> index.save(path)
        >>> sorted(os.listdir(path))
        ['ids.npy', 'index.json', 'vectors.npy']
        """
        if self._vectors is None:
            raise ValueError("cannot save an empty index: add vectors first")
        meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "metric": self.metric,
                "batch_size": self.batch_size, "block_bytes": self.block_bytes,
                "n_vectors": len(self), "dim": self.dim}
        writers = {_VECTORS_FILE: lambda p: persist.write_npy(p, self.vectors),
                   _IDS_FILE: lambda p: persist.write_npy(p, self._ids)}
        persist.write_index_directory(directory, writers, meta, writers, "ExactIndex")

    @classmethod
    def load(cls, directory, mmap=True, verify=True):
        """Read an index written by :meth:`save`.

        Nothing is unpickled. The format and version, every file's size (and with ``verify`` its
        checksum), shapes, dtypes and ids are checked; the vectors are not re-scanned for NaN (they
        were checked when added).

        Parameters
        ----------
        directory : str or os.PathLike
        mmap : bool, default=True
            Memory-map ``vectors.npy`` and ``ids.npy`` read-only instead of reading them into memory.
            A later :meth:`add` copies them into memory.
        verify : bool, default=True
            Compare each file's SHA-256 with the one recorded (reads every byte once).

        Returns
        -------
        ExactIndex

        Examples
        --------
        >>> import numpy as np, os, tempfile
        >>> index = ExactIndex()
        >>> index.add(np.eye(3))
        >>> path = os.path.join(tempfile.mkdtemp(), "idx")
        >>> index.save(path)
        >>> loaded = ExactIndex.load(path)
        >>> len(loaded), loaded.dim, loaded.metric
        (3, 3, 'cosine')
        """
        directory = Path(os.fspath(directory))
        meta = persist.read_meta(directory, FORMAT_NAME, FORMAT_VERSION)
        meta_path = directory / persist.META_FILE
        try:
            index = cls(metric=meta.get("metric"), batch_size=meta.get("batch_size"),
                        block_bytes=meta.get("block_bytes", 32 * 2**20))
        except (TypeError, ValueError) as err:
            raise ValueError(f"{meta_path}: {err}") from None
        persist.check_files(directory, meta, (_VECTORS_FILE, _IDS_FILE), verify=verify)
        vectors, ids = index._read_arrays(directory, _VECTORS_FILE, _IDS_FILE, mmap)
        for key, actual in (("n_vectors", vectors.shape[0]), ("dim", vectors.shape[1])):
            if key in meta and meta[key] != actual:
                raise ValueError(f"{meta_path}: {key} is {meta[key]!r} but {directory / _VECTORS_FILE} says {actual}")
        index._set_arrays(vectors, ids)
        return index

    def _read_arrays(self, directory, vectors_name, ids_name, mmap):
        """Load and check a vectors / ids pair of ``.npy`` files."""
        vectors_path, ids_path = directory / vectors_name, directory / ids_name
        vectors = persist.load_npy(vectors_path, mmap)
        ids = persist.load_npy(ids_path, mmap)
        dtype = self._metric.dtype
        if vectors.dtype != dtype or vectors.ndim != 2 or 0 in vectors.shape:
            raise ValueError(f"{vectors_path}: expected a non-empty 2-D {dtype} array, got {vectors.dtype} "
                             f"of shape {vectors.shape}")
        if not vectors.flags.c_contiguous:
            raise ValueError(f"{vectors_path}: expected a C-ordered array")
        if ids.ndim != 1 or ids.dtype.kind not in "iU" or (ids.dtype.kind == "i" and ids.dtype != np.int64):
            raise ValueError(f"{ids_path}: expected a 1-D int64 or unicode array, got {ids.dtype} of shape {ids.shape}")
        if ids.shape[0] != vectors.shape[0]:
            raise ValueError(f"{ids_path}: holds {ids.shape[0]} ids but {vectors_path} has {vectors.shape[0]} rows")
        try:
            check_unique(ids)
        except ValueError as err:
            raise ValueError(f"{ids_path}: {err}") from None
        return vectors, ids

    def _set_arrays(self, vectors, ids):
        """Install checked arrays as the index's content (Hamming rows padded to whole words)."""
        self._n_bytes = vectors.shape[1]
        self._vectors = _pad_words(vectors) if self._metric.binary and vectors.shape[1] % 8 else vectors
        self._ids = ids
        self._cache = {}


@functools.cache
def _blas_controller():
    """One threadpoolctl controller for the process: building one scans the loaded libraries (~1 ms a call).

    It knows the BLAS libraries loaded when first asked, numpy's among them (the one ``np.matmul`` uses).
    """
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _map_positions(positions, rows):
    """Positions into a gathered subset mapped back to stored positions (-1 stays -1)."""
    out = np.full(positions.shape, -1, dtype=np.int64)
    found = positions >= 0
    out[found] = rows[positions[found]]
    return out
