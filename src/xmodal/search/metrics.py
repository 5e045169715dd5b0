"""The measures an index can search by, and what each needs of the vectors.

Every search ranks by a *key* that is larger for closer items: the similarity itself, or minus
the distance. :class:`Metric` says which, how vectors are stored, and which engine scores them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Metric", "METRICS", "get_metric"]

# Codes of the per-pair measure used inside the Numba scans (xmodal.search.scan.pair_key).
INNER = 0
SQEUCLIDEAN = 1
L1 = 2
CHI2 = 3
HELLINGER = 4
INTERSECTION = 5
HAMMING = 6


@dataclass(frozen=True)
class Metric:
    """One measure of closeness.

    Attributes
    ----------
    name : str
        The name used by the indexes (``metric=...``).
    code : int
        The per-pair measure computed by the Numba scans (cosine is the inner product of
        unit-normalised rows).
    higher_is_better : bool
        True for similarities (scores sorted descending), False for distances (ascending).
    blas : bool
        Scored with float32 matrix products when many queries are searched at once.
    normalize : bool
        Rows are unit-normalised when stored and when queried.
    histogram : bool
        Entries must be non-negative.
    binary : bool
        Vectors are packed bits (``uint8`` rows), not floats.
    """

    name: str
    code: int
    higher_is_better: bool
    blas: bool = False
    normalize: bool = False
    histogram: bool = False
    binary: bool = False

    def to_key(self, scores):
        """Ranking keys (larger = closer) from scores in the metric's own units."""
        return scores if self.higher_is_better else -scores

    def from_key(self, keys):
        """Scores in the metric's own units from ranking keys."""
        return keys if self.higher_is_better else -keys

    @property
    def dtype(self):
        """The dtype vectors are stored in."""
        return np.dtype(np.uint8) if self.binary else np.dtype(np.float32)


METRICS = {m.name: m for m in (
    Metric("inner_product", INNER, True, blas=True),
    Metric("cosine", INNER, True, blas=True, normalize=True),
    Metric("sqeuclidean", SQEUCLIDEAN, False, blas=True),
    Metric("l1", L1, False),
    Metric("chi2", CHI2, False, histogram=True),
    Metric("hellinger", HELLINGER, False, histogram=True),
    Metric("intersection", INTERSECTION, True, histogram=True),
    Metric("hamming", HAMMING, False, binary=True),
)}


def get_metric(name):
    """The :class:`Metric` called ``name``; ValueError listing the choices otherwise.

    Examples
    --------
    >>> get_metric("cosine").higher_is_better
    True
    >>> get_metric("hamming").binary
    True
    """
    if not isinstance(name, str) or name not in METRICS:
        raise ValueError(f"metric must be one of {tuple(METRICS)}, got {name!r}")
    return METRICS[name]
