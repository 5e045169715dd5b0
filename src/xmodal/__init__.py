"""xmodal: classical cross-modal retrieval (images <-> text) with no deep learning.

The package is organised as one folder per pipeline stage::

    xmodal.datasets     manifests (CSV) and features files (.npz) -> Collection
    xmodal.images       image loading, SIFT descriptors, visual codebook, BoVW, colour histograms
    xmodal.text         tokenisation (any language), TF-IDF, LDA topics, word vectors, sentence embeddings
    xmodal.projection   closed-form projections into a common space (regularised CCA and more)
    xmodal.search       exact top-k search (Numba kernels), Annoy and LSH behind one Index
    xmodal.evaluation   MAP, P@K, R@K, R-precision, Recall@K, median rank, PR curves

``import xmodal`` is kept fast: heavy dependencies (OpenCV, Numba, scikit-learn) are
imported only when the names that need them are first used.
"""

from xmodal._lazy import lazy_names

__version__ = "0.1.0"

_LAZY = {
    "CCA": "xmodal.projection.cca",
    "ImageEncoder": "xmodal.images.encoder",
    "TextEncoder": "xmodal.text.encoder",
    "ExactIndex": "xmodal.search.exact",
    "Index": "xmodal.search.index",
    "Pipeline": "xmodal.pipeline",
    "Collection": "xmodal.datasets.collection",
    "read_manifest": "xmodal.datasets.manifest",
    "read_features": "xmodal.datasets.features",
}

__all__ = sorted(_LAZY) + ["__version__"]


__getattr__, __dir__ = lazy_names("xmodal", _LAZY, globals())
