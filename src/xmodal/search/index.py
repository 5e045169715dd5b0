"""One search interface over every backend: exact, Annoy, LSH, chosen by measurement or forced.

:class:`Index` keeps every vector (the exact store of :class:`~xmodal.search.exact.ExactIndex`)
and, once built, an approximate structure over the rows present at build time. It adds what Annoy
lacks:

* **adding after a build**: new rows go to an exact buffer searched alongside the approximate
  structure and merged with its answers, until the next :meth:`Index.build`;
* **deleting**: tombstones, skipped by every search and dropped by the next build;
* **filters**: ``allowed=`` ids or a predicate on ids; a filter that keeps few rows is answered
  by an exact search of just those rows, and a query whose approximate answer falls short of
  ``k`` allowed rows is answered exactly, so every query gets ``min(k, allowed)`` results;
* **batch queries**: a 2-D array of queries in one call (Annoy's are spread over threads);
* **reproducible builds**: seeded; Annoy is built single-threaded unless ``n_jobs`` says otherwise;
* **safe persistence**: see :mod:`xmodal.search.persist`.

Approximate answers are re-scored exactly, so every backend returns true scores, ranked like the
exact search (ties by id). :meth:`Index.search_radius` is always exact.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from xmodal.search import persist
from xmodal.search._validation import as_ids, check_int, check_number, read_only
from xmodal.search.exact import ExactIndex
from xmodal.search.metrics import get_metric
from xmodal.search.topk import select_candidates
from xmodal.search.tuning import HeldOutSample, lower_confidence_bound, tune_effort

__all__ = ["Index"]

FORMAT_NAME = "xmodal.Index"
FORMAT_VERSION = 1
BACKENDS = ("auto", "exact", "annoy", "lsh")
_VECTORS, _IDS, _DELETED = "vectors.npy", "ids.npy", "deleted.npy"
_FILTER_EXACT_FRACTION = 4  # a filter keeping under 1/4 of the built rows: exact search of those rows


def _approximate_backend(name, metric, params, n_items):
    """A fresh, unbuilt approximate backend (imports Annoy only when it is used)."""
    if name == "annoy":
        from xmodal.search.annoy_backend import AnnoyBackend, default_n_trees

        return AnnoyBackend(metric, params["n_trees"] or default_n_trees(n_items), params["seed"], params["n_jobs"])
    from xmodal.search.lsh import LSHBackend

    return LSHBackend(metric, params["n_tables"], params["n_bits"], params["seed"])


def _supports(name, metric):
    from xmodal.search.annoy_backend import ANNOY_METRICS
    from xmodal.search.lsh import LSH_METRICS

    return metric in (ANNOY_METRICS if name == "annoy" else LSH_METRICS)


class Index:
    """Nearest-neighbour search by any metric, exact or approximate, behind one interface.

    Parameters
    ----------
    metric : str, default="cosine"
        Any metric of :class:`~xmodal.search.exact.ExactIndex`. Annoy serves ``"cosine"``,
        ``"sqeuclidean"`` and ``"inner_product"``; LSH ``"cosine"`` and ``"hamming"``.
    backend : {"auto", "exact", "annoy", "lsh"}, default="auto"
        ``"auto"`` picks at :meth:`build` time by measurement (see Notes); the others force one.
    target_recall : float, default=0.95
        Recall@``recall_k`` an approximate backend is tuned to reach; 1.0 means exact.
    recall_k : int, default=10
        The ``k`` of the recall target.
    n_trees : int or None
        Annoy trees (default: 50, fewer below 100 000 rows).
    n_tables, n_bits : int or None
        LSH tables and bits per code (default: 16 tables, ``log2(n / 16)`` bits).
    seed : int, default=0
        Seed of the tuning sample, Annoy's trees and LSH's hyperplanes.
    n_jobs : int, default=1
        Annoy build and query threads. 1 keeps a seeded Annoy build reproducible (byte-identical
        file); any other value builds faster but not reproducibly (recorded in ``build_info_``).
    tuning_size : int, default=500
        Held-out items used to tune and to measure recall.
    min_speedup : float, default=2.0
        ``"auto"`` takes an approximate backend only if its measured single-query latency beats
        exact search by this factor at the target recall.
    batch_size, block_bytes : int
        Tiling of the exact search (see :class:`~xmodal.search.exact.ExactIndex`).

    Attributes
    ----------
    backend_ : str
        The backend in use: ``"exact"`` before the first :meth:`build`.
    effort_ : int or None
        Tuned ``search_k`` (Annoy) or probes per table (LSH).
    tuning_ : dict or None
        Recall measured on the held-out sample: target, reached (the 95 % lower confidence bound
        of the sample's recall reaches the target), chosen effort, mean recall and its lower bound
        there, the curve of lower bounds, and an ``n_trees`` / ``n_tables`` advice.
    selection_ : dict or None
        For ``backend="auto"``: the latencies measured and why the backend was chosen.
    build_info_ : dict
        Rows built, build seconds, whether the build is reproducible.

    Notes
    -----
    How ``"auto"`` chooses: with ``target_recall >= 1`` it is exact. Otherwise it measures the
    exact search's single-query latency on held-out items (or the ``queries`` given to
    :meth:`build`); for each approximate backend that
    serves the metric it first measures the backend's latency floor on a 2 000-row probe index
    (Python call, candidate re-scoring) and skips it when exact search is already within
    ``min_speedup`` of that floor; else it builds the backend, tunes it to the recall target and
    times it. The fastest backend that is ``min_speedup`` times faster than exact wins.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> index = Index(metric="cosine", backend="lsh", seed=0)
    >>> index.add(rng.standard_normal((500, 8)), ids=np.arange(1000, 1500))
    >>> _ = index.build()
    >>> ids, scores = index.search(index.vectors_of([1007]), k=3)
    >>> int(ids[0, 0]), float(scores[0, 0].round(4))
    (1007, 1.0)
    >>> index.delete([1007])
    >>> int(index.search(index.vectors_of([1008]), k=1, allowed=lambda ids: ids % 2 == 0)[0][0, 0]) % 2
    0
    """

    def __init__(self, metric="cosine", backend="auto", target_recall=0.95, recall_k=10, n_trees=None,
                 n_tables=None, n_bits=None, seed=0, n_jobs=1, tuning_size=500, min_speedup=2.0,
                 batch_size=1024, block_bytes=32 * 2**20):
        self.metric = metric
        self.backend = backend
        self.target_recall = target_recall
        self.recall_k = recall_k
        self.n_trees = n_trees
        self.n_tables = n_tables
        self.n_bits = n_bits
        self.seed = seed
        self.n_jobs = n_jobs
        self.tuning_size = tuning_size
        self.min_speedup = min_speedup
        self.batch_size = batch_size
        self.block_bytes = block_bytes
        self._check_params()
        self._store = ExactIndex(metric, batch_size=batch_size, block_bytes=block_bytes)
        self._deleted = np.zeros(0, dtype=bool)
        self._approx = None
        self._id_order = None
        self.backend_ = "exact"
        self.n_built_ = 0
        self.effort_ = None
        self.tuning_ = None
        self.selection_ = None
        self.build_info_ = {}

    def _check_params(self):
        get_metric(self.metric)
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.backend in ("annoy", "lsh") and not _supports(self.backend, self.metric):
            raise ValueError(f"backend {self.backend!r} does not serve metric {self.metric!r}")
        check_number(self.target_recall, "target_recall", 0.0, 1.0)
        check_int(self.recall_k, "recall_k")
        for name in ("n_trees", "n_tables", "n_bits"):
            if getattr(self, name) is not None:
                check_int(getattr(self, name), name)
        check_int(self.seed, "seed", minimum=0)
        if check_int(self.n_jobs, "n_jobs", minimum=-1) == 0:
            raise ValueError("n_jobs must be -1 (all cores) or >= 1, got 0")
        check_int(self.tuning_size, "tuning_size", minimum=10)
        check_number(self.min_speedup, "min_speedup", 1.0, None)

    def get_params(self):
        """The constructor parameters, as a dict."""
        names = ("metric", "backend", "target_recall", "recall_k", "n_trees", "n_tables", "n_bits", "seed",
                 "n_jobs", "tuning_size", "min_speedup", "batch_size", "block_bytes")
        return {name: getattr(self, name) for name in names}

    def __len__(self):
        return len(self._store) - int(self._deleted.sum())

    def __repr__(self):
        return (f"Index(metric={self.metric!r}, backend={self.backend!r}) using {self.backend_} with "
                f"{len(self)} vectors ({self.n_buffered} unbuilt, {self.n_deleted} deleted)")

    @property
    def dim(self):
        """Vector dimension, ``None`` while empty."""
        return self._store.dim

    @property
    def ids(self):
        """Ids of the live (not deleted) vectors, in insertion order (read-only)."""
        return read_only(np.asarray(self._store.ids)[~self._deleted])

    @property
    def n_deleted(self):
        """Tombstoned rows, dropped at the next :meth:`build`."""
        return int(self._deleted.sum())

    @property
    def n_buffered(self):
        """Rows added since the last build, searched exactly."""
        return len(self._store) - self.n_built_

    # ------------------------------------------------------------------ content

    def add(self, vectors, ids=None):
        """Add vectors with their ids (see :meth:`ExactIndex.add`); searchable at once.

        After a build, they are searched exactly alongside the approximate backend until the
        next :meth:`build`. An id that was deleted cannot be reused before that build.
        """
        if ids is not None and self.n_deleted:
            given = as_ids(ids, np.asarray(ids).shape[0] if np.ndim(ids) else -1)
            held = np.asarray(self._store.ids)
            if given.dtype.kind == held.dtype.kind:
                reused = np.intersect1d(given, held[self._deleted])
                if reused.size:
                    raise ValueError(f"id {reused[0].item()!r} was deleted; call build() before adding it again")
        before = len(self._store)
        self._store.add(vectors, ids)
        self._deleted = np.concatenate([self._deleted, np.zeros(len(self._store) - before, dtype=bool)])
        self._id_order = None

    def _positions_of(self, ids, name="ids", missing="raise"):
        """Stored positions of ``ids``; unknown ids raise KeyError (or are dropped)."""
        held = np.asarray(self._store.ids)
        ids = np.asarray(ids)
        if ids.ndim != 1:
            ids = ids.reshape(-1)
        if len(held) == 0 or ids.size == 0:
            if ids.size and missing == "raise":
                raise KeyError(f"{name}: id {ids[0].item()!r} is not in the index")
            return np.empty(0, dtype=np.int64)
        if ids.dtype.kind != held.dtype.kind and not (ids.dtype.kind in "iu" and held.dtype.kind == "i"):
            raise TypeError(f"{name} are {ids.dtype} but the index holds {held.dtype} ids")
        if self._id_order is None:
            self._id_order = np.argsort(held, kind="stable")
        sorted_ids = held[self._id_order]
        where = np.clip(np.searchsorted(sorted_ids, ids), 0, len(held) - 1)
        found = sorted_ids[where] == ids
        if missing == "raise" and not found.all():
            raise KeyError(f"{name}: id {ids[~found][0].item()!r} is not in the index")
        return self._id_order[where[found]]

    def delete(self, ids):
        """Mark ids as deleted: no search returns them; the next :meth:`build` drops them.

        Raises KeyError for an id not in the index or already deleted.
        """
        positions = self._positions_of(ids)
        if self._deleted[positions].any():
            gone = np.asarray(self._store.ids)[positions[self._deleted[positions]][0]]
            raise KeyError(f"ids: id {gone.item()!r} is already deleted")
        self._deleted[positions] = True

    def vectors_of(self, ids):
        """Stored vectors (as stored: unit rows for cosine) of the given live ids, in that order."""
        positions = self._positions_of(ids)
        if self._deleted[positions].any():
            raise KeyError("ids: some of these ids are deleted")
        return np.asarray(self._store.vectors)[positions]

    # ------------------------------------------------------------------ building

    def build(self, queries=None):
        """Drop deleted rows, then build (or rebuild) the backend over every row and tune it.

        Parameters
        ----------
        queries : array-like of shape (n_queries, dim), optional
            Representative queries, e.g. the text embeddings that will search an image gallery.
            When given, the recall target is tuned, and ``backend="auto"`` measured, on them;
            by default on a held-out sample of the index's own items. Own items are easier
            queries than outside ones when the collection holds near-duplicates (each item's
            neighbours are then its own copies), so pass real queries when you have them.

        Returns
        -------
        self
        """
        import time

        if len(self._store) == 0:
            raise ValueError("the index is empty: add vectors before building")
        if self.n_deleted:
            keep = ~self._deleted
            store = ExactIndex(self.metric, batch_size=self.batch_size, block_bytes=self.block_bytes)
            store._set_arrays(np.ascontiguousarray(np.asarray(self._store.vectors)[keep]),
                              np.asarray(self._store.ids)[keep])
            self._store, self._deleted, self._id_order = store, np.zeros(keep.sum(), dtype=bool), None
        self._approx, self.effort_, self.tuning_, self.selection_ = None, None, None, None
        self.n_built_ = len(self._store)
        start = time.perf_counter()
        if self.backend == "auto":
            self._choose_backend(queries)
        elif self.backend == "exact":
            self.backend_ = "exact"
        else:
            self._approx = _approximate_backend(self.backend, self.metric, self.get_params(), self.n_built_)
            self._approx.build(self._store)
            self.backend_ = self.backend
            self.tune(queries=queries)
        self.build_info_ = {"n_built": self.n_built_, "seconds": time.perf_counter() - start,
                            "reproducible": self.backend_ != "annoy" or self.n_jobs == 1}
        return self

    def _sample(self, queries=None):
        mask = self._mask(None)
        return HeldOutSample(self._store, self.recall_k, self.tuning_size, self.seed, queries=queries, mask=mask)

    def tune(self, target_recall=None, queries=None):
        """Pick the approximate backend's search effort for a recall target, by measurement.

        Parameters
        ----------
        target_recall : float, optional
            Default: the ``target_recall`` parameter.
        queries : array-like, optional
            Representative outside queries (e.g. text embeddings for an image index); default: a
            held-out sample of the index's own items.

        Returns
        -------
        dict
            :attr:`tuning_`.
        """
        if self._approx is None:
            raise ValueError("tune() needs an approximate backend: build() with backend 'annoy' or 'lsh' first")
        target = self.target_recall if target_recall is None else check_number(target_recall, "target_recall", 0, 1)
        sample = self._sample(queries)
        self.tuning_ = self._tune_on(sample, target)
        return self.tuning_

    def _tune_on(self, sample, target):
        first, last = self._approx.effort_range(self.recall_k)

        def search_at(effort):
            return lambda q, k: self._search_positions(q, k, self._mask(None), effort)[0]

        means = {}

        def lower_bound_at(effort):  # one search per effort gives both the bound and the mean
            recalls = sample.recalls(search_at(effort))
            means[effort] = float(recalls.mean())
            return lower_confidence_bound(recalls)

        effort, reached, curve = tune_effort(lower_bound_at, target, first, last)
        self.effort_ = effort
        if self._approx.kind == "annoy":
            advice = {"n_trees": self._approx.n_trees if reached else 2 * self._approx.n_trees}
        else:
            advice = {"n_tables": self._approx.n_tables if reached else 2 * self._approx.n_tables}
        return {"target_recall": float(target), "recall_k": sample.k, "reached": bool(reached),
                "effort": int(effort), "recall": means[effort],
                "recall_lower_bound": float(dict(curve)[effort]), "curve": curve,
                "advice": advice, "sample_size": int(sample.queries.n)}

    def _choose_backend(self, queries=None):
        """``backend="auto"``: measure exact and each candidate backend, keep the fastest (see Notes)."""
        candidates = [name for name in ("annoy", "lsh") if _supports(name, self.metric)]
        self.backend_ = "exact"
        if self.target_recall >= 1.0 or not candidates:
            why = "target_recall is 1.0" if self.target_recall >= 1.0 else f"no approximate backend serves {self.metric}"
            self.selection_ = {"chosen": "exact", "reason": why}
            return
        sample = self._sample(queries)
        exact_seconds = sample.seconds_per_query(lambda q, k: self._store.topk_positions(q, k))
        measured = {"exact": {"seconds_per_query": exact_seconds}}
        best = None
        for name in candidates:
            floor = self._latency_floor(name, sample)
            if exact_seconds < self.min_speedup * floor:  # confirm before skipping: a busy moment must not decide
                exact_seconds = min(exact_seconds, sample.seconds_per_query(lambda q, k: self._store.topk_positions(q, k)))
                floor = min(floor, self._latency_floor(name, sample))
                measured["exact"]["seconds_per_query"] = exact_seconds
            entry = {"floor_seconds_per_query": floor}
            measured[name] = entry
            if exact_seconds < self.min_speedup * floor:
                entry["skipped"] = "exact search is already within min_speedup of this backend's latency floor"
                continue
            self._approx = _approximate_backend(name, self.metric, self.get_params(), self.n_built_).build(self._store)
            tuning = self._tune_on(sample, self.target_recall)
            seconds = sample.seconds_per_query(
                lambda q, k: self._search_positions(q, k, None, self.effort_))
            entry.update(seconds_per_query=seconds, speedup=exact_seconds / seconds, reached=tuning["reached"],
                         effort=tuning["effort"], recall=tuning["recall"])
            if tuning["reached"] and exact_seconds >= self.min_speedup * seconds and (
                    best is None or seconds < best[1]):
                best = (name, seconds, self._approx, tuning)
        self._approx, self.effort_, self.tuning_ = None, None, None
        if best is not None:
            self.backend_, _, self._approx, self.tuning_ = best
            self.effort_ = self.tuning_["effort"]
        self.selection_ = {"chosen": self.backend_, "min_speedup": self.min_speedup, "measured": measured}

    def _latency_floor(self, name, sample):
        """Single-query latency of backend ``name`` on a 2 000-row probe index at its least effort."""
        rows = np.sort(np.random.default_rng(self.seed).choice(self.n_built_, min(self.n_built_, 2000), replace=False))
        probe = ExactIndex(self.metric, batch_size=self.batch_size, block_bytes=self.block_bytes)
        probe._set_arrays(np.ascontiguousarray(np.asarray(self._store.vectors)[rows]), np.arange(rows.size))
        backend = _approximate_backend(name, self.metric, {**self.get_params(), "n_trees": 10}, rows.size)
        backend.build(probe)
        effort = backend.effort_range(self.recall_k)[0]
        return sample.seconds_per_query(lambda q, k: backend.search(probe, q, k, effort, None))

    # ------------------------------------------------------------------ searching

    def _mask(self, allowed):
        """uint8 mask of searchable positions (None when everything is), from tombstones and ``allowed``."""
        n = len(self._store)
        if allowed is None:
            return self._deleted.view(np.uint8) ^ 1 if self._deleted.any() else None
        if callable(allowed):
            keep = np.asarray(allowed(np.asarray(self._store.ids)))
            if keep.shape != (n,) or keep.dtype != bool:
                raise ValueError(f"allowed(ids) must return a boolean array of shape ({n},), got "
                                 f"{keep.dtype} of shape {keep.shape}")
        else:
            keep = np.zeros(n, dtype=bool)
            keep[self._positions_of(np.asarray(allowed), name="allowed", missing="drop")] = True
        return (keep & ~self._deleted).view(np.uint8)

    def _search_positions(self, queries, k, mask, effort=None):
        """Positions and keys of the best ``k`` searchable rows, through the backend in use."""
        store, built = self._store, self.n_built_
        if self._approx is None:
            return store.topk_positions(queries, k, mask)
        allowed_built = built if mask is None else int(np.count_nonzero(mask[:built]))
        if allowed_built * _FILTER_EXACT_FRACTION < built:
            return store.topk_positions(queries, k, mask)
        effort = self.effort_ if effort is None else effort
        fetch = min(built, math.ceil(k * built / max(allowed_built, 1)))
        if self._approx.kind == "annoy":
            effort = int(effort * max(1.0, fetch / self.recall_k))
            positions, keys = self._approx.search(store, queries, fetch, effort, mask)
            positions, keys = positions[:, :k], keys[:, :k]
        else:
            positions, keys = self._approx.search(store, queries, k, effort, mask)
        short = np.flatnonzero((positions >= 0).sum(axis=1) < min(k, allowed_built))
        if short.size:  # the approximate answer fell short of k allowed rows: answer those exactly
            positions[short], keys[short] = store.topk_positions(queries.take(short), k, mask, 0, built)
        if len(store) > built:
            extra_positions, extra_keys = store.topk_positions(queries, k, mask, built, None)
            ties = store._derived("ties")
            positions, keys = select_candidates(np.hstack([positions, extra_positions]),
                                                np.hstack([keys, extra_keys]), ties, np.empty(0, np.uint8), k)
        return positions, keys

    def _prepared(self, queries, allowed):
        if len(self._store) == 0:
            raise ValueError("the index is empty: add vectors before searching")
        return self._store.prepare(queries), self._mask(allowed)

    def search(self, queries, k=10, allowed=None):
        """Ids and scores of the ``k`` closest live vectors for each query, best first.

        Parameters
        ----------
        queries : array-like of shape (n_q, d) or (d,)
            One query per row.
        k : int, default=10
            Results per query; clipped to the number of searchable rows.
        allowed : array-like of ids, or callable, optional
            Only these ids may be returned (ids not in the index are ignored), or a predicate
            ``f(ids) -> bool array`` over the array of all stored ids.

        Returns
        -------
        ids : ndarray of shape (n_q, min(k, searchable))
        scores : ndarray of shape (n_q, min(k, searchable)), float32
            Exact scores (similarities descending, distances ascending), ties by id.
        """
        k = check_int(k, "k")
        queries, mask = self._prepared(queries, allowed)
        searchable = len(self._store) if mask is None else int(np.count_nonzero(mask))
        k = min(k, searchable)
        if k == 0:
            return np.empty((queries.n, 0), dtype=self._store.ids.dtype), np.empty((queries.n, 0), np.float32)
        positions, keys = self._search_positions(queries, k, mask)
        return np.asarray(self._store.ids)[positions], get_metric(self.metric).from_key(keys)

    def search_radius(self, queries, threshold, allowed=None):
        """Every live vector within ``threshold`` of each query (exact on every backend).

        Parameters
        ----------
        queries : array-like of shape (n_q, d) or (d,)
        threshold : float
            Similarity floor (``score >= threshold``) or distance ceiling (``score <= threshold``).
        allowed : array-like of ids, or callable, optional
            As in :meth:`search`.

        Returns
        -------
        ids, scores : lists of ndarray
            One array per query, best first, ties by id.
        """
        threshold = check_number(threshold, "threshold")
        queries, mask = self._prepared(queries, allowed)
        metric = get_metric(self.metric)
        found = self._store.threshold_positions(queries, np.float32(metric.to_key(threshold)), mask)
        ids = np.asarray(self._store.ids)
        return [ids[p] for p, _ in found], [metric.from_key(s) for _, s in found]

    # ------------------------------------------------------------------ persistence

    def _backend_files(self):
        if self._approx is None:
            return {}
        if self._approx.kind == "annoy":
            from xmodal.search.annoy_backend import FILE_NAME

            return {FILE_NAME: self._approx.save}
        return {name: (lambda p, a=array: persist.write_npy(p, a)) for name, array in self._approx.arrays.items()}

    def save(self, directory):
        """Write the index to a directory, atomically (see :mod:`xmodal.search.persist`).

        Holds ``vectors.npy``, ``ids.npy``, ``deleted.npy``, the backend's files (``annoy.ann``,
        or the LSH tables as ``.npy``) and ``index.json`` with the format version, parameters,
        tuning and every file's size and SHA-256.
        """
        if len(self._store) == 0:
            raise ValueError("cannot save an empty index: add vectors first")
        from xmodal.search.annoy_backend import FILE_NAME
        from xmodal.search.lsh import ARRAYS

        store = self._store
        writers = {_VECTORS: lambda p: persist.write_npy(p, store.vectors),
                   _IDS: lambda p: persist.write_npy(p, store.ids),
                   _DELETED: lambda p: persist.write_npy(p, self._deleted.view(np.uint8)),
                   **self._backend_files()}
        approx = self._approx
        meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "params": self.get_params(),
                "backend_": self.backend_, "n_items": len(store), "dim": store.dim, "n_built": self.n_built_,
                "effort": self.effort_, "tuning": self.tuning_, "selection": self.selection_,
                "build_info": self.build_info_,
                "backend_state": None if approx is None else (
                    {"n_trees": approx.n_trees} if approx.kind == "annoy" else
                    {"n_tables": approx.n_tables, "n_bits": approx.n_bits})}
        owned = {_VECTORS, _IDS, _DELETED, FILE_NAME, *ARRAYS}
        persist.write_index_directory(directory, writers, meta, owned, "Index")
        if approx is not None and approx.kind == "annoy":
            approx.saved_at(Path(os.path.abspath(os.fspath(directory))) / FILE_NAME)

    @classmethod
    def load(cls, directory, mmap=True, verify=True):
        """Read an index written by :meth:`save`; nothing is unpickled, the Annoy file is memory-mapped.

        Parameters
        ----------
        directory : str or os.PathLike
        mmap : bool, default=True
            Memory-map the ``.npy`` arrays.
        verify : bool, default=True
            Check every file's SHA-256 (reads each byte once); sizes are always checked.

        Returns
        -------
        Index

        Raises
        ------
        ValueError
            Naming the file at fault: not an index, a newer format version, a missing, truncated
            or corrupted file, or arrays that do not fit together.
        """
        from xmodal.search.annoy_backend import FILE_NAME
        from xmodal.search.lsh import ARRAYS

        directory = Path(os.fspath(directory))
        meta_path = directory / persist.META_FILE
        meta = persist.read_meta(directory, FORMAT_NAME, FORMAT_VERSION)
        try:
            index = cls(**meta["params"])
            backend = meta["backend_"]
            n_items, n_built, effort = meta["n_items"], meta["n_built"], meta["effort"]
            if backend not in BACKENDS[1:] or not (isinstance(n_built, int) and 0 <= n_built <= n_items):
                raise ValueError(f"inconsistent backend_ {backend!r} or n_built {n_built!r}")
            state = meta["backend_state"]
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{meta_path}: invalid index description ({err})") from None
        backend_files = [] if backend == "exact" else ([FILE_NAME] if backend == "annoy" else list(ARRAYS))
        persist.check_files(directory, meta, [_VECTORS, _IDS, _DELETED, *backend_files], verify=verify)
        store = index._store
        vectors, ids = store._read_arrays(directory, _VECTORS, _IDS, mmap)
        if vectors.shape[0] != n_items:
            raise ValueError(f"{meta_path}: n_items is {n_items} but {directory / _VECTORS} has {vectors.shape[0]} rows")
        deleted = persist.load_npy(directory / _DELETED, mmap=False)
        if deleted.dtype != np.uint8 or deleted.shape != (n_items,) or deleted.max(initial=0) > 1:
            raise ValueError(f"{directory / _DELETED}: expected {n_items} uint8 flags (0 or 1)")
        store._set_arrays(vectors, ids)
        index._deleted = deleted.astype(bool)
        index.backend_, index.n_built_, index.effort_ = backend, n_built, effort
        index.tuning_, index.selection_, index.build_info_ = meta.get("tuning"), meta.get("selection"), meta.get(
            "build_info") or {}
        if backend != "exact":
            params = {**index.get_params(), **(state or {})}
            approx = _approximate_backend(backend, index.metric, params, n_built)
            if backend == "annoy":
                approx.load(directory / FILE_NAME, store.dim, n_built)
            else:
                arrays = {name: persist.load_npy(directory / name, mmap) for name in ARRAYS}
                approx.check_arrays(arrays, n_built, directory)
            if not isinstance(effort, int) or effort < 1:
                raise ValueError(f"{meta_path}: effort must be a positive integer, got {effort!r}")
            index._approx = approx
        return index
