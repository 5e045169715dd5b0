"""Exact and approximate nearest-neighbour search.

* :class:`~xmodal.search.index.Index` — one interface over every backend (exact, Annoy, LSH),
  chosen by measurement or forced; add, delete, filters, threshold search, safe save / load.
* :class:`~xmodal.search.exact.ExactIndex` — exact top-k and threshold search by any metric.
* :mod:`~xmodal.search.kernels` — one Numba function per similarity or distance.

Names are imported on first use, so ``import xmodal.search`` does not load Numba or Annoy.
"""

from xmodal._lazy import lazy_names

_LAZY = {"Index": "xmodal.search.index", "ExactIndex": "xmodal.search.exact", "METRICS": "xmodal.search.metrics"}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_names("xmodal.search", _LAZY, globals())
