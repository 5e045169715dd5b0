"""Gallery: the indexed items of one modality, their ids and metadata, searched in the common space."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

APPROXIMATE_FROM = 50_000  # items from which a gallery's index is built (exact search below)


@dataclass
class SearchResult:
    """The hits of one query, best first.

    Attributes
    ----------
    ids : ndarray of str
    scores : ndarray of float32
        Cosine similarity in the common space.
    metadata : list of dict
        The stored metadata of each hit (for images at least ``path``, for texts ``text``).
    """

    ids: np.ndarray
    scores: np.ndarray
    metadata: list

    def __len__(self):
        return len(self.ids)

    def to_dicts(self) -> list[dict]:
        """One plain dict per hit: ``{"rank", "id", "score", **metadata}`` (JSON-ready)."""
        return [{"rank": r, "id": str(i), "score": float(s), **m}
                for r, (i, s, m) in enumerate(zip(self.ids, self.scores, self.metadata), 1)]


class Gallery:
    """Embedded items of one modality with string ids and per-item metadata columns.

    Searched by cosine similarity through an :class:`xmodal.search.index.Index`, whose ids are
    positions ``0..n-1`` into :attr:`ids` and :attr:`metadata`. A gallery smaller than
    ``approximate_from`` is searched exactly. From that size on the index is built with
    ``backend``: ``"auto"`` measures exact search against Annoy and LSH tuned to the recall target
    and keeps exact search unless one is ``min_speedup`` times faster. It is rebuilt (and measured
    again) once the items added since the last build reach half of those built; until then they are
    searched exactly beside the built part. Approximate hits carry exact scores; threshold queries
    are always exact.

    Parameters
    ----------
    modality : {"image", "text"}
    approximate_from : int, default=50000
        Number of items from which the index is built.
    **index_params
        Further parameters of :class:`~xmodal.search.index.Index` (``backend``,
        ``target_recall``, ``seed``, ``n_trees``, ...); the metric is always cosine.

    Attributes
    ----------
    index : xmodal.search.index.Index
    ids : ndarray of str
    metadata : dict of str -> ndarray of str

    Examples
    --------
    >>> import numpy as np
    >>> g = Gallery("text")
    >>> g.add(np.eye(3, dtype=np.float32), ids=["a", "b", "c"], metadata={"text": ["x", "y", "z"]})
    >>> g.search(np.array([[0.0, 1.0, 0.1]]), k=2)[0].to_dicts()[0]["text"]
    'y'

    A large gallery (here, forced to LSH from 1000 items) still finds an item's own vector first:

    >>> X = np.random.default_rng(0).standard_normal((2000, 16))
    >>> big = Gallery("image", approximate_from=1000, backend="lsh")
    >>> big.add(X, ids=[f"im{i}" for i in range(2000)])
    >>> big.index.backend_, big.search(X[[42]], k=1)[0].ids.tolist()
    ('lsh', ['im42'])
    """

    def __init__(self, modality, approximate_from=APPROXIMATE_FROM, **index_params):
        from xmodal.search.index import Index

        if modality not in ("image", "text"):
            raise ValueError(f"modality must be 'image' or 'text', got {modality!r}")
        if isinstance(approximate_from, bool) or not isinstance(approximate_from, (int, np.integer)) \
                or approximate_from < 10:
            raise ValueError(f"approximate_from must be an int >= 10, got {approximate_from!r}")
        if index_params.get("metric", "cosine") != "cosine":
            raise ValueError("a gallery is searched by cosine similarity; metric cannot be changed")
        index_params.pop("metric", None)
        self.modality = modality
        self.approximate_from = int(approximate_from)
        self.index_params = index_params
        self.index = Index(metric="cosine", **index_params)
        self.ids = np.zeros(0, dtype=str)
        self.metadata: dict[str, np.ndarray] = {}

    def __len__(self):
        return len(self.index)

    def add(self, vectors, ids, metadata=None, queries=None):
        """Add embedded items; ``metadata`` maps column names to one string per item.

        Builds the index when the gallery reaches ``approximate_from`` items, and rebuilds it
        when the items added since the last build reach half of those built; ``queries``
        (embedded, like the searches it will serve) are what an approximate index is then tuned
        on (see :meth:`xmodal.search.index.Index.build`).
        """
        n = len(vectors)
        ids = np.asarray([str(i) for i in ids])
        if ids.shape != (n,):
            raise ValueError(f"got {len(ids)} ids for {n} items")
        metadata = {k: np.asarray([str(v) for v in values]) for k, values in (metadata or {}).items()}
        for key, values in metadata.items():
            if values.shape != (n,):
                raise ValueError(f"metadata column {key!r} has {len(values)} values for {n} items")
        if len(np.unique(ids)) != n:
            raise ValueError("ids must be unique; the new items repeat an id")
        clash = ids[np.isin(ids, self.ids)]
        if clash.size:
            raise ValueError(f"{clash.size} id(s) already in the {self.modality} gallery, e.g. {clash[0]!r}")
        before = len(self)
        self.index.add(vectors, ids=np.arange(before, before + n))
        self.ids = np.concatenate([self.ids, ids])
        for key in set(self.metadata) | set(metadata):  # columns missing on one side are filled with ""
            old = self.metadata.get(key, np.full(before, "", dtype=str))
            new = metadata.get(key, np.full(n, "", dtype=str))
            self.metadata[key] = np.concatenate([np.asarray(old), new])
        index = self.index
        if index.backend != "exact" and len(index) >= self.approximate_from and (
                index.n_built_ == 0 or 2 * index.n_buffered >= index.n_built_):
            index.build(queries=queries)

    def search(self, queries, k=10, threshold=None) -> list[SearchResult]:
        """Top-``k`` hits per query row (with ``threshold``: only hits scoring at least that; ``k=None``: all)."""
        if len(self) == 0:
            raise ValueError(f"the {self.modality} gallery is empty: add {self.modality}s first")
        if k is None and threshold is None:
            raise ValueError("give k, threshold, or both")
        if k is not None and (not isinstance(k, (int, np.integer)) or k < 1):
            raise ValueError(f"k must be a positive int, got {k!r}")
        if threshold is None:
            hits = zip(*self.index.search(queries, k=k))
        else:  # exact on every backend: every hit at or above the threshold, best first
            hits = ((rows[:k], scores[:k]) for rows, scores in zip(*self.index.search_radius(queries, threshold)))
        results = []
        for rows, row_scores in hits:
            meta = [{key: str(column[r]) for key, column in self.metadata.items()} for r in rows]
            results.append(SearchResult(self.ids[rows], row_scores, meta))
        return results

    # -- persistence (the hooks of xmodal.persistence) ------------------------------------------
    def _save_files(self, folder):
        """Write the index to ``folder`` with :meth:`Index.save`; return the rest of the state."""
        if len(self):
            self.index.save(folder)
        else:
            folder.mkdir(parents=True)
        return {"modality": self.modality, "approximate_from": self.approximate_from,
                "index_params": self.index_params, "ids": self.ids, "metadata": self.metadata}

    @classmethod
    def _load_files(cls, folder, state, mmap):
        """A gallery from :meth:`_save_files`'s folder and state (``folder=None``: an older model)."""
        from xmodal.search.index import Index

        gallery = cls(state["modality"], state.get("approximate_from", APPROXIMATE_FROM),
                      **state.get("index_params", {}))
        if folder is None:  # saved when galleries held an ExactIndex: it becomes the index's store
            store = state["index"]
            if len(store):
                gallery.index._store, gallery.index._deleted = store, np.zeros(len(store), dtype=bool)
        elif len(state["ids"]):
            gallery.index = Index.load(folder, mmap=mmap, verify=False)  # sizes checked, not checksums
        gallery.ids, gallery.metadata = state["ids"], state["metadata"]
        if len(gallery.index) != len(gallery.ids):
            raise ValueError(f"{folder}: the {gallery.modality} index holds {len(gallery.index)} items "
                             f"but the gallery has {len(gallery.ids)} ids")
        return gallery
