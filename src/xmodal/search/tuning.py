"""Recall-targeted tuning of an approximate index, measured on a held-out sample of its own items.

A sample of stored items serves as queries. Each one's true neighbours are its exact top-k among
the *other* items (the item itself is left out of both the truth and the approximate answer, so
finding itself earns nothing). The approximate backend is then asked with a growing search effort
(Annoy's ``search_k``, LSH's probes per table) until its recall@k on the sample reaches the
target; the last doubling is refined by bisection. Reaching means with 95 % one-sided confidence:
the lower bound ``mean - 1.645 sd / sqrt(n)`` of the per-query recalls must reach the target, so
that new queries like the sample's get the target on average, not just the sample (on GloVe, an
effort whose 300-query sample mean was 0.95 gave 0.93 on 1 000 other queries). The choice depends
only on recall, never on timings, so two tunings of the same index agree.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["HeldOutSample", "lower_confidence_bound", "recall_at_k", "tune_effort"]


def recall_at_k(found, truth):
    """Mean over rows of ``|found[i] & truth[i]| / |truth[i]|`` (-1 entries ignored).

    Examples
    --------
    >>> recall_at_k(np.array([[1, 2, 3], [4, 5, -1]]), np.array([[3, 2, 9], [4, 5, 6]]))
    0.6666666666666666
    """
    hits = _per_query_recall(found, truth)
    return float(np.mean(hits)) if hits.size else 1.0


def lower_confidence_bound(values, z=1.645):
    """One-sided lower confidence bound of a mean: ``mean - z * sd / sqrt(n)`` (the mean for n < 2).

    Examples
    --------
    >>> round(lower_confidence_bound(np.array([1.0, 0.5])), 3)
    0.339
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return float(values.mean()) if values.size else 1.0
    return float(values.mean() - z * values.std(ddof=1) / np.sqrt(values.size))


def _per_query_recall(found, truth):
    found = np.asarray(found)
    truth = np.asarray(truth)
    return np.array([np.intersect1d(f[f >= 0], t[t >= 0]).size / max(1, (t >= 0).sum())
                     for f, t in zip(found, truth)], dtype=np.float64)


class HeldOutSample:
    """Stored items used as queries, with their exact top-k among the other items.

    Parameters
    ----------
    store : ExactIndex
        The stored vectors.
    k : int
        Neighbours per query (recall@k).
    size : int
        Number of sampled items (at most ``len(store)``).
    seed : int
        Seed of the sample.
    queries : array-like, optional
        Outside queries to use instead of stored items (none of them is left out).
    mask : ndarray of uint8, optional
        Searchable stored positions (0 = deleted); only those are sampled and returned.

    Attributes
    ----------
    positions : ndarray or None
        Stored positions of the sampled items (``None`` for outside queries).
    queries : Queries
        Prepared queries.
    truth : ndarray of shape (n_sample, k)
        Exact neighbours (positions), self excluded.
    """

    def __init__(self, store, k, size, seed, queries=None, mask=None):
        live = np.arange(len(store)) if mask is None else np.flatnonzero(mask)
        if live.size < 2:
            raise ValueError("tuning needs at least 2 searchable items")
        self.k = min(k, live.size - (queries is None))
        self.mask = mask
        if queries is None:
            rng = np.random.default_rng(seed)
            self.positions = np.sort(rng.choice(live, size=min(size, live.size), replace=False))
            self.queries = store.prepare(store.vectors[self.positions])
        else:
            self.positions = None
            self.queries = store.prepare(queries)
        self.truth = self.without_self(store.topk_positions(self.queries, self.k + 1, mask)[0])

    def without_self(self, positions):
        """Drop each sampled item from its own answer row, keeping the first ``k`` others."""
        positions = np.asarray(positions)
        if self.positions is None:
            return positions[:, :self.k]
        out = np.full((positions.shape[0], self.k), -1, dtype=np.int64)
        for i, (row, own) in enumerate(zip(positions, self.positions)):
            others = row[row != own][:self.k]
            out[i, :others.size] = others
        return out

    def recalls(self, search):
        """Recall@k of ``search(queries, k) -> positions`` for each sampled query, against the exact truth."""
        return _per_query_recall(self.without_self(search(self.queries, self.k + (self.positions is not None))),
                                 self.truth)

    def seconds_per_query(self, search, n_queries=30, repeats=3):
        """Single-query latency of ``search``, as a user would query: each of ``n_queries`` queries
        is timed ``repeats`` times, its fastest time kept (robust to a busy, shared CPU), and the
        mean over queries returned."""
        best = []
        for r in range(min(n_queries, self.queries.n)):
            query = self.queries.take(slice(r, r + 1))
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                search(query, self.k)
                times.append(time.perf_counter() - start)
            best.append(min(times))
        return float(np.mean(best))


def tune_effort(recall_of, target, first, last, refine_steps=3):
    """Smallest effort in ``[first, last]`` whose recall reaches ``target``.

    Efforts are tried doubling from ``first``; once one reaches the target, the interval since the
    previous one is bisected ``refine_steps`` times.

    Parameters
    ----------
    recall_of : callable
        ``effort -> recall``.
    target : float
    first, last : int
        Smallest and largest effort tried.
    refine_steps : int

    Returns
    -------
    effort : int
        The chosen effort (``last`` if the target is never reached).
    reached : bool
        Whether the target was reached.
    curve : list of (effort, recall)
        Every measurement, in the order made.

    Examples
    --------
    >>> tune_effort(lambda e: min(1.0, e / 100), 0.9, 10, 1000)[:2]
    (90, True)
    """
    curve = []
    low, effort = None, first
    while True:
        effort = min(effort, last)
        r = recall_of(effort)
        curve.append((int(effort), float(r)))
        if r >= target:
            break
        if effort >= last:
            return int(last), False, curve
        low, effort = effort, effort * 2
    high = effort
    if low is not None:
        for _ in range(refine_steps):
            middle = (low + high) // 2
            if middle <= low or middle >= high:
                break
            r = recall_of(middle)
            curve.append((int(middle), float(r)))
            if r >= target:
                high = middle
            else:
                low = middle
    return int(high), True, curve
