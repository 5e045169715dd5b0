"""A visual codebook: k-means centres over a seeded sample of local descriptors."""

from __future__ import annotations

import numpy as np


def fit_codebook(descriptors: np.ndarray, n_words: int, seed: int = 0) -> np.ndarray:
    """Cluster descriptors into ``n_words`` visual words with MiniBatchKMeans.

    Parameters
    ----------
    descriptors : ndarray of shape (n, d)
        A sample of local descriptors (float).
    n_words : int
        Codebook size; must not exceed the number of descriptors.
    seed : int
        Seed of the k-means initialisation and mini-batches.

    Returns
    -------
    ndarray of float32, shape (n_words, d)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((300, 4))
    >>> fit_codebook(X, 5).shape
    (5, 4)
    """
    from sklearn.cluster import MiniBatchKMeans

    if len(descriptors) < n_words:
        raise ValueError(
            f"only {len(descriptors)} descriptors to build a codebook of {n_words} words; "
            "use fewer words or more images")
    kmeans = MiniBatchKMeans(n_clusters=n_words, batch_size=4096, n_init=3, max_no_improvement=20,
                             random_state=seed)
    kmeans.fit(np.asarray(descriptors, dtype=np.float32))
    return kmeans.cluster_centers_.astype(np.float32)


def assign_words(descriptors: np.ndarray, codebook: np.ndarray, block: int = 4096) -> np.ndarray:
    """Index of the nearest codeword (Euclidean) for each descriptor.

    Uses ``argmin ||x - c||^2 = argmax (x . c - ||c||^2 / 2)``, one BLAS product per block of rows.

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    descriptors = np.asarray(descriptors, dtype=np.float32)
    half_norms = 0.5 * np.einsum("ij,ij->i", codebook, codebook)
    out = np.empty(len(descriptors), dtype=np.int64)
    for start in range(0, len(descriptors), block):
        scores = descriptors[start:start + block] @ codebook.T
        scores -= half_norms
        out[start:start + block] = scores.argmax(axis=1)
    return out
