"""Annoy (random-projection trees) as an approximate backend of :class:`xmodal.search.index.Index`.

Cosine is served as Annoy's ``angular`` distance on the unit-normalised rows the store keeps,
squared Euclidean as ``euclidean`` and the inner product as ``dot``. Annoy only proposes
candidates: every returned item is re-scored exactly with the store's kernels, so scores and the
tie-break by id are the same as the exact search's.

Reproducibility: Annoy seeds each build thread with ``seed + thread``, and with several threads
the trees' node numbering and order depend on scheduling, so a multi-threaded build is not
repeatable. With ``n_jobs=1`` (the default) a seeded build writes a byte-identical file.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from xmodal.search.topk import select_candidates

ANNOY_METRICS = {"cosine": "angular", "sqeuclidean": "euclidean", "inner_product": "dot"}
FILE_NAME = "annoy.ann"


def default_n_trees(n_items):
    """Trees built when none are asked for: 50, fewer for small collections (build time grows linearly)."""
    return int(min(50, max(10, n_items // 2000)))


class AnnoyBackend:
    """Annoy forest over the first ``n`` stored rows (item id = stored position).

    Parameters
    ----------
    metric : str
        A key of ``ANNOY_METRICS``.
    n_trees : int
        Trees to build.
    seed : int
        Annoy's seed.
    n_jobs : int
        Build threads (1: reproducible; -1: all cores, not reproducible) and query threads.
    """

    kind = "annoy"

    def __init__(self, metric, n_trees, seed, n_jobs):
        if metric not in ANNOY_METRICS:
            raise ValueError(f"the annoy backend supports metrics {tuple(ANNOY_METRICS)}, not {metric!r}")
        self.metric, self.n_trees, self.seed, self.n_jobs = metric, n_trees, seed, n_jobs
        self.index = None
        self.path = None
        self.n_items = 0
        self.dim = None

    def _new(self, dim):
        from annoy import AnnoyIndex

        index = AnnoyIndex(dim, ANNOY_METRICS[self.metric])
        index.set_seed(self.seed)
        return index

    def build(self, store):
        """Build the forest over every row of ``store``."""
        vectors = np.asarray(store.vectors)
        self.dim = vectors.shape[1]
        index = self._new(self.dim)
        for position in range(vectors.shape[0]):
            index.add_item(position, vectors[position])
        index.build(self.n_trees, n_jobs=self.n_jobs)
        self.index, self.n_items, self.path = index, vectors.shape[0], None
        return self

    def effort_range(self, k):
        """``(first, last)`` search_k values tried by the tuner."""
        first = max(k, 1) * self.n_trees
        return first, max(first, 8 * self.n_items)

    def candidates(self, queries, k, search_k):
        """Annoy's ``k`` nearest stored positions per query (-1 padding), as an array."""
        floats = queries.floats
        out = np.full((queries.n, k), -1, dtype=np.int64)

        def one(i):
            found = self.index.get_nns_by_vector(floats[i], k, search_k=int(search_k))
            out[i, :len(found)] = found

        threads = max(1, self.n_jobs if self.n_jobs > 0 else 2)
        if queries.n >= 8 and threads > 1:
            with ThreadPoolExecutor(threads) as pool:  # Annoy releases the GIL while searching
                list(pool.map(one, range(queries.n)))
        else:
            for i in range(queries.n):
                one(i)
        return out

    def search(self, store, queries, k, effort, mask):
        """Best ``k`` allowed positions per query among Annoy's candidates, re-scored exactly."""
        positions = self.candidates(queries, k, effort)
        keys = store.keys_at(queries, positions)
        return select_candidates(positions, keys, store._derived("ties"),
                                 np.empty(0, np.uint8) if mask is None else mask, k)

    def save(self, path):
        """Write the Annoy file to ``path`` (from memory when the file it was read from is gone)."""
        if self.path is None or not os.path.isfile(self.path):  # e.g. saved in a folder since renamed
            self.index.save(str(path))  # Annoy then maps the file it wrote
        else:
            shutil.copyfile(self.path, path)

    def saved_at(self, path):
        """Record where the file now lives (after the directory was renamed into place)."""
        self.path = str(path)

    def load(self, path, dim, n_items):
        """Memory-map an Annoy file and check it holds ``n_items`` items and the recorded trees."""
        index = self._new(dim)
        try:
            index.load(str(path), prefault=False)
        except OSError as err:
            raise ValueError(f"{path}: not a readable Annoy file ({err})") from None
        if index.get_n_items() != n_items or index.get_n_trees() != self.n_trees:
            raise ValueError(f"{path}: holds {index.get_n_items()} items in {index.get_n_trees()} trees, "
                             f"expected {n_items} items in {self.n_trees} trees")
        self.index, self.path, self.n_items, self.dim = index, str(path), n_items, dim
        return self

    def file_bytes(self):
        """Size of the Annoy file (0 before it is saved)."""
        return os.path.getsize(self.path) if self.path else 0
