"""Locality-sensitive hashing in Numba, with multi-probe: the other approximate backend.

* Cosine: random-hyperplane hashing (SimHash, Charikar 2002). Each of ``n_tables`` tables hashes
  a row to the signs of its projections on ``n_bits`` Gaussian directions; two rows at angle
  ``theta`` agree on a bit with probability ``1 - theta / pi``.
* Hamming: bit sampling (Indyk & Motwani 1998). Each table reads ``n_bits`` randomly chosen bit
  positions of the packed code; two codes at Hamming distance ``h`` of ``B`` bits agree on one with
  probability ``1 - h / B``.

Multi-probe (Lv et al., VLDB 2007): besides its own bucket, a query visits in each table the
buckets whose codes differ in one or two bits, the bits whose projection was closest to zero
first (for Hamming every bit is equally uncertain, so they go in their sampled order).
``n_probes`` buckets per table is the search effort the tuner picks. Candidates found in any table
are re-scored exactly once each and the best ``k`` kept (ties by id).

Each table is the stored positions sorted by code plus the distinct codes with their offsets, so
a probe is a binary search. Hyperplanes and sampled bits come from a seeded generator, and the
build is single-pass and deterministic: two builds with one seed are identical.
"""

from __future__ import annotations

import numba
import numpy as np

from xmodal.search.metrics import HAMMING
from xmodal.search.scan import block_keys
from xmodal.search.topk import EMPTY_KEY, EMPTY_TIE, heap_offer, heap_sort

LSH_METRICS = ("cosine", "hamming")
ARRAYS = ("lsh_projections.npy", "lsh_order.npy", "lsh_codes.npy", "lsh_offsets.npy", "lsh_table_starts.npy")


def default_shape(n_items):
    """``(n_tables, n_bits)`` when none are given: 16 tables, buckets of ~16 rows on uniform data."""
    return 16, int(min(32, max(4, round(np.log2(max(n_items, 2) / 16)))))


@numba.njit(fastmath=True, cache=True, parallel=True)
def _sign_codes(projections, n_tables, n_bits):
    """uint64 code per (table, row) from the signs of projections of shape (n, n_tables * n_bits)."""
    n = projections.shape[0]
    codes = np.zeros((n_tables, n), dtype=np.uint64)
    for i in numba.prange(n):
        for t in range(n_tables):
            code = np.uint64(0)
            for b in range(n_bits):
                if projections[i, t * n_bits + b] > 0:
                    code |= np.uint64(1) << np.uint64(b)
            codes[t, i] = code
    return codes


@numba.njit(fastmath=True, cache=True, parallel=True)
def _sampled_codes(bits, sampled, n_tables, n_bits):
    """uint64 code per (table, row) from sampled bit positions of packed uint8 rows (numpy.packbits order)."""
    n = bits.shape[0]
    codes = np.zeros((n_tables, n), dtype=np.uint64)
    for i in numba.prange(n):
        for t in range(n_tables):
            code = np.uint64(0)
            for b in range(n_bits):
                position = sampled[t, b]
                if (bits[i, position >> 3] >> (7 - (position & 7))) & 1:
                    code |= np.uint64(1) << np.uint64(b)
            codes[t, i] = code
    return codes


@numba.njit(fastmath=True, cache=True)
def _probe_codes(code, margins, n_probes):
    """The query's own code, then codes with one or two bits flipped, least certain bits first."""
    n_bits = margins.shape[0]
    order = np.argsort(margins)
    n_pairs = n_bits * (n_bits - 1) // 2
    scores = np.empty(n_bits + n_pairs, dtype=np.float64)
    flips = np.empty((n_bits + n_pairs, 2), dtype=np.int64)
    e = 0
    for a in range(n_bits):
        scores[e] = margins[order[a]] ** 2
        flips[e, 0] = order[a]
        flips[e, 1] = -1
        e += 1
    for a in range(n_bits):
        for b in range(a + 1, n_bits):
            scores[e] = margins[order[a]] ** 2 + margins[order[b]] ** 2
            flips[e, 0] = order[a]
            flips[e, 1] = order[b]
            e += 1
    chosen = np.argsort(scores, kind="mergesort")[:max(0, n_probes - 1)]
    out = np.empty(chosen.shape[0] + 1, dtype=np.uint64)
    out[0] = code
    for c in range(chosen.shape[0]):
        f = flips[chosen[c]]
        probe = code ^ (np.uint64(1) << np.uint64(f[0]))
        if f[1] >= 0:
            probe ^= np.uint64(1) << np.uint64(f[1])
        out[c + 1] = probe
    return out


@numba.njit(fastmath=True, cache=True)
def _query_range(code_kind, query_codes, query_margins, order, codes, offsets, table_starts, n_probes,
                 Qf, Vf, Qb, Vb, tie_keys, mask, q0, q1, seen, keys, ties, positions, examined):
    """Multi-probe LSH top-k for queries ``q0 .. q1`` into their heaps (``seen``: per-row stamps)."""
    n_tables = query_codes.shape[0]
    use_mask = mask.shape[0] > 0
    key = np.empty(1, dtype=np.float32)
    for i in range(q0, q1):
        for t in range(n_tables):
            table_codes = codes[table_starts[t]:table_starts[t + 1]]
            table_offsets = offsets[table_starts[t] + t:table_starts[t + 1] + t + 1]
            for probe in _probe_codes(query_codes[t, i], query_margins[t, i], n_probes):
                b = np.searchsorted(table_codes, probe)
                if b >= table_codes.shape[0] or table_codes[b] != probe:
                    continue
                for r in range(table_offsets[b], table_offsets[b + 1]):
                    p = order[t, r]
                    if seen[p] == i:
                        continue
                    seen[p] = i
                    if use_mask and mask[p] == 0:
                        continue
                    examined[i] += 1
                    block_keys(code_kind, Qf, Vf, Qb, Vb, i, p, key)
                    heap_offer(keys[i], ties[i], positions[i], key[0], tie_keys[p], p)
        heap_sort(keys[i], ties[i], positions[i])


@numba.njit(fastmath=True, cache=True, parallel=True)
def _query_parallel(code_kind, query_codes, query_margins, order, codes, offsets, table_starts, n_probes,
                    Qf, Vf, Qb, Vb, tie_keys, mask, n_parts, keys, ties, positions, examined):
    n_queries = query_codes.shape[1]
    for part in numba.prange(n_parts):
        seen = np.full(order.shape[1], -1, dtype=np.int64)
        _query_range(code_kind, query_codes, query_margins, order, codes, offsets, table_starts, n_probes,
                     Qf, Vf, Qb, Vb, tie_keys, mask, part * n_queries // n_parts,
                     (part + 1) * n_queries // n_parts, seen, keys, ties, positions, examined)


def _query(code_kind, query_codes, query_margins, order, codes, offsets, table_starts, n_probes, k,
           Qf, Vf, Qb, Vb, tie_keys, mask, n_parts):
    """Multi-probe LSH top-k: positions and keys of shape (n_queries, k), plus rows examined per query."""
    n_queries = query_codes.shape[1]
    keys = np.full((n_queries, k), EMPTY_KEY, dtype=np.float32)
    ties = np.full((n_queries, k), EMPTY_TIE, dtype=np.int64)
    positions = np.full((n_queries, k), -1, dtype=np.int64)
    examined = np.zeros(n_queries, dtype=np.int64)
    args = (code_kind, query_codes, query_margins, order, codes, offsets, table_starts, n_probes, Qf, Vf, Qb, Vb,
            tie_keys, mask)
    if n_parts == 1:  # no threads to start for one query
        _query_range(*args, 0, n_queries, np.full(order.shape[1], -1, dtype=np.int64), keys, ties, positions,
                     examined)
    else:
        _query_parallel(*args, n_parts, keys, ties, positions, examined)
    return positions, keys, examined


class LSHBackend:
    """Hash tables over the first ``n`` stored rows (see the module docstring).

    Parameters
    ----------
    metric : {"cosine", "hamming"}
    n_tables : int or None
        Hash tables (default from :func:`default_shape`).
    n_bits : int or None
        Bits per table code, at most 62 (default from :func:`default_shape`).
    seed : int
        Seed of the hyperplanes or sampled bits.
    """

    kind = "lsh"

    def __init__(self, metric, n_tables, n_bits, seed):
        if metric not in LSH_METRICS:
            raise ValueError(f"the lsh backend supports metrics {LSH_METRICS}, not {metric!r}")
        self.metric, self.n_tables, self.n_bits, self.seed = metric, n_tables, n_bits, seed
        self.arrays = None
        self.n_items = 0

    def build(self, store):
        """Hash every row of ``store`` into the tables."""
        n = len(store)
        default_tables, default_bits = default_shape(n)
        self.n_tables = self.n_tables or default_tables
        self.n_bits = self.n_bits or default_bits
        if not 1 <= self.n_bits <= 62:
            raise ValueError(f"n_bits must be between 1 and 62, got {self.n_bits}")
        rng = np.random.default_rng(self.seed)
        vectors = np.asarray(store.vectors)
        if self.metric == "hamming":
            total_bits = 8 * vectors.shape[1]
            if self.n_bits > total_bits:
                raise ValueError(f"n_bits={self.n_bits} exceeds the {total_bits} bits of each code")
            projections = np.stack([rng.choice(total_bits, self.n_bits, replace=False)
                                    for _ in range(self.n_tables)]).astype(np.int64)
            codes = _sampled_codes(vectors, projections, self.n_tables, self.n_bits)
        else:
            projections = rng.standard_normal((vectors.shape[1], self.n_tables * self.n_bits)).astype(np.float32)
            codes = np.empty((self.n_tables, n), dtype=np.uint64)
            for start in range(0, n, 65536):  # bounded memory: project 64k rows at a time
                block = vectors[start:start + 65536] @ projections
                codes[:, start:start + block.shape[0]] = _sign_codes(block, self.n_tables, self.n_bits)
        order = np.argsort(codes, axis=1, kind="stable")
        unique_codes, offsets, starts = [], [], [0]
        for t in range(self.n_tables):
            sorted_codes = codes[t, order[t]]
            first = np.flatnonzero(np.concatenate([[True], sorted_codes[1:] != sorted_codes[:-1]]))
            unique_codes.append(sorted_codes[first])
            offsets.append(np.concatenate([first, [n]]))
            starts.append(starts[-1] + first.size)
        self.arrays = {"lsh_projections.npy": projections, "lsh_order.npy": order.astype(np.int64),
                       "lsh_codes.npy": np.concatenate(unique_codes),
                       "lsh_offsets.npy": np.concatenate(offsets).astype(np.int64),
                       "lsh_table_starts.npy": np.asarray(starts, dtype=np.int64)}
        self.n_items = n
        return self

    def effort_range(self, k):
        """``(first, last)`` probes per table tried by the tuner."""
        return 1, 1 + self.n_bits + self.n_bits * (self.n_bits - 1) // 2

    def _query_codes(self, queries):
        projections = self.arrays["lsh_projections.npy"]
        if self.metric == "hamming":
            bits = queries.words.view(np.uint8)
            codes = _sampled_codes(bits, projections, self.n_tables, self.n_bits)
            margins = np.broadcast_to(np.arange(1, self.n_bits + 1, dtype=np.float64),
                                      (self.n_tables, queries.n, self.n_bits))
        else:
            p = queries.floats @ projections
            codes = _sign_codes(p, self.n_tables, self.n_bits)
            margins = np.abs(p.astype(np.float64)).reshape(queries.n, self.n_tables, self.n_bits).transpose(1, 0, 2)
        return codes, np.ascontiguousarray(margins)

    def search(self, store, queries, k, effort, mask, return_examined=False):
        """Best ``k`` allowed positions per query among the probed buckets, scored exactly."""
        codes, margins = self._query_codes(queries)
        a = self.arrays
        n_parts = 1 if queries.n < 4 else min(queries.n, 4 * numba.get_num_threads())
        positions, keys, examined = _query(
            HAMMING if self.metric == "hamming" else 0, codes, margins, a["lsh_order.npy"], a["lsh_codes.npy"],
            a["lsh_offsets.npy"], a["lsh_table_starts.npy"], int(effort), k, queries.floats, store._floats(),
            queries.words, store._words(), store._derived("ties"),
            np.empty(0, np.uint8) if mask is None else mask, n_parts)
        return (positions, keys, examined) if return_examined else (positions, keys)

    def check_arrays(self, arrays, n_items, source):
        """Check loaded table arrays against each other and ``n_items``; ValueError naming ``source``."""
        projections, order, codes, offsets, starts = (arrays[name] for name in ARRAYS)
        width = self.n_tables * self.n_bits
        problems = []
        if projections.shape[-1] != (self.n_bits if self.metric == "hamming" else width):
            problems.append(f"lsh_projections.npy has shape {projections.shape}, which does not fit "
                            f"{self.n_tables} tables of {self.n_bits} bits")
        elif order.shape != (self.n_tables, n_items) or order.dtype != np.int64:
            problems.append(f"lsh_order.npy has shape {order.shape}, expected {(self.n_tables, n_items)}")
        elif starts.shape != (self.n_tables + 1,) or starts[0] != 0 or starts[-1] != codes.shape[0]:
            problems.append("lsh_table_starts.npy does not match lsh_codes.npy")
        elif offsets.shape != (codes.shape[0] + self.n_tables,):
            problems.append("lsh_offsets.npy does not match lsh_codes.npy")
        elif n_items and (order.min() < 0 or order.max() >= n_items):
            problems.append("lsh_order.npy holds positions outside the collection")
        if problems:
            raise ValueError(f"{source}: {problems[0]}")
        self.arrays, self.n_items = dict(arrays), n_items
        return self
