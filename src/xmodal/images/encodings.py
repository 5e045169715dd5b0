"""Encoding a set of local descriptors as one vector."""

from __future__ import annotations

import numpy as np

from xmodal.images.codebook import assign_words


def bovw_histogram(descriptors: np.ndarray, codebook: np.ndarray) -> np.ndarray:
    """Bag-of-visual-words: the L1-normalised histogram of nearest codewords.

    An image with no descriptors gets the all-zero histogram (it then matches nothing).

    Returns
    -------
    ndarray of float32, shape (n_words,)
    """
    n_words = len(codebook)
    if len(descriptors) == 0:
        return np.zeros(n_words, np.float32)
    counts = np.bincount(assign_words(descriptors, codebook), minlength=n_words).astype(np.float32)
    return counts / counts.sum()


def hellinger_l2(block: np.ndarray) -> np.ndarray:
    """Square root then L2 normalisation of non-negative histogram rows (zero rows stay zero).

    The square root turns the dot product of two L1-normalised histograms into the Bhattacharyya
    coefficient (the Hellinger kernel), which suits bursty visual-word counts better than raw counts.
    """
    block = np.sqrt(np.maximum(block, 0.0))
    norms = np.linalg.norm(block, axis=1, keepdims=True)
    return (block / np.where(norms > 0, norms, 1.0)).astype(np.float32)
