"""Gallery: the indexed items of one modality, their ids and metadata, searched in the common space."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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

    Parameters
    ----------
    modality : {"image", "text"}

    Examples
    --------
    >>> import numpy as np
    >>> g = Gallery("text")
    >>> g.add(np.eye(3, dtype=np.float32), ids=["a", "b", "c"], metadata={"text": ["x", "y", "z"]})
    >>> g.search(np.array([[0.0, 1.0, 0.1]]), k=2)[0].to_dicts()[0]["text"]
    'y'
    """

    def __init__(self, modality):
        from xmodal.search.exact import ExactIndex

        if modality not in ("image", "text"):
            raise ValueError(f"modality must be 'image' or 'text', got {modality!r}")
        self.modality = modality
        self.index = ExactIndex(metric="cosine")  # its ids are positions 0..n-1 into ids / metadata
        self.ids = np.zeros(0, dtype=str)
        self.metadata: dict[str, np.ndarray] = {}

    def __len__(self):
        return len(self.index)

    def add(self, vectors, ids, metadata=None):
        """Add embedded items; ``metadata`` maps column names to one string per item."""
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

    def search(self, queries, k=10, threshold=None) -> list[SearchResult]:
        """Top-``k`` hits per query row (with ``threshold``: only hits scoring at least that; ``k=None``: all)."""
        if len(self) == 0:
            raise ValueError(f"the {self.modality} gallery is empty: add {self.modality}s first")
        if k is None and threshold is None:
            raise ValueError("give k, threshold, or both")
        if k is not None and (not isinstance(k, (int, np.integer)) or k < 1):
            raise ValueError(f"k must be a positive int, got {k!r}")
        k_search = len(self) if k is None else min(k, len(self))
        positions, scores = self.index.search(queries, k=k_search)
        results = []
        for rows, row_scores in zip(positions, scores):
            if threshold is not None:
                keep = row_scores >= threshold
                rows, row_scores = rows[keep], row_scores[keep]
            meta = [{key: str(column[r]) for key, column in self.metadata.items()} for r in rows]
            results.append(SearchResult(self.ids[rows], row_scores, meta))
        return results
