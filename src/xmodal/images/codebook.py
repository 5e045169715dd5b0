"""Visual codebooks: k-means over float descriptors, k-majority over binary ones, nearest codewords by BLAS.

Descriptors reach this module as float32 rows (:func:`xmodal.images.descriptors.as_float`); binary
descriptors arrive as 0.0 / 1.0 bit vectors, for which the squared Euclidean distance equals the
Hamming distance, so one tiled BLAS routine (:func:`nearest_codewords`) assigns both kinds.
"""

from __future__ import annotations

import numpy as np


def nearest_codewords(X: np.ndarray, codebook: np.ndarray, k: int = 1, block: int = 4096):
    """The ``k`` nearest codewords of each row by squared Euclidean distance, in BLAS tiles.

    ``||x - c||^2 = ||x||^2 + ||c||^2 - 2 x.c``: one float32 matrix product per block of ``block``
    rows, then ``argmin`` / ``argpartition``. Memory is bounded by ``block * n_words`` floats.

    Parameters
    ----------
    X : ndarray of float32, shape (n, d)
    codebook : ndarray of float32, shape (n_words, d)
    k : int
        Neighbours per row, nearest first (ties: lower index first for ``k=1``).
    block : int
        Rows per tile.

    Returns
    -------
    indices : ndarray of int64, shape (n, k)
    distances : ndarray of float32, shape (n, k)
        Squared distances (never negative).

    Examples
    --------
    >>> import numpy as np
    >>> C = np.array([[0.0, 0.0], [10.0, 0.0]], np.float32)
    >>> idx, d2 = nearest_codewords(np.array([[9.0, 1.0]], np.float32), C)
    >>> int(idx[0, 0]), float(d2[0, 0])
    (1, 2.0)
    """
    X = np.asarray(X, dtype=np.float32)
    codebook = np.asarray(codebook, dtype=np.float32)
    if X.ndim != 2 or codebook.ndim != 2 or X.shape[1] != codebook.shape[1]:
        raise ValueError(f"descriptors of shape {X.shape} do not match a codebook of shape {codebook.shape}")
    k = int(k)
    if not 1 <= k <= len(codebook):
        raise ValueError(f"k must be in 1..{len(codebook)}, got {k}")
    c_norms = np.einsum("ij,ij->i", codebook, codebook)
    indices = np.empty((len(X), k), np.int64)
    distances = np.empty((len(X), k), np.float32)
    for start in range(0, len(X), block):
        x = X[start:start + block]
        d2 = x @ codebook.T
        d2 *= -2.0
        d2 += c_norms
        d2 += np.einsum("ij,ij->i", x, x)[:, None]
        if k == 1:
            idx = d2.argmin(axis=1)[:, None]
        else:
            idx = np.argpartition(d2, k - 1, axis=1)[:, :k]
            order = np.argsort(np.take_along_axis(d2, idx, axis=1), axis=1, kind="stable")
            idx = np.take_along_axis(idx, order, axis=1)
        indices[start:start + block] = idx
        distances[start:start + block] = np.maximum(np.take_along_axis(d2, idx, axis=1), 0.0)
    return indices, distances


def fit_codebook(descriptors: np.ndarray, n_words: int, seed: int = 0) -> np.ndarray:
    """Cluster float descriptors into ``n_words`` visual words with MiniBatchKMeans.

    Parameters
    ----------
    descriptors : ndarray of shape (n, d)
        A sample of local descriptors (float).
    n_words : int
        Codebook size; must not exceed the number of descriptors.
    seed : int
        Seed of the k-means++ initialisation and mini-batches (one initialisation, at most 20
        passes over the sample, early stopping after 20 mini-batches without improvement).

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

    _check_sample(descriptors, n_words)
    kmeans = MiniBatchKMeans(n_clusters=n_words, batch_size=4096, n_init=1, max_iter=20, max_no_improvement=20,
                             random_state=seed)
    with single_threaded():
        kmeans.fit(np.asarray(descriptors, dtype=np.float32))
    return kmeans.cluster_centers_.astype(np.float32)


def single_threaded():
    """Context in which BLAS and OpenMP use one thread.

    scikit-learn's k-means and mixture kernels slow down many-fold when their threads compete for
    cores with other processes (measured: 73 s instead of 9 s for 100k SIFT descriptors and 500
    words on a shared 2-core machine), so codebooks are fitted single-threaded.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def fit_binary_codebook(bits: np.ndarray, n_words: int, seed: int = 0, max_iter: int = 15) -> np.ndarray:
    """k-majority clustering of binary descriptors (Grana et al. 2013): Hamming k-means with bitwise votes.

    Centres start at ``n_words`` distinct descriptors drawn with the seed; each iteration assigns
    every descriptor to its nearest centre by Hamming distance and sets each centre bit to the
    majority bit of its members (a tie keeps the previous bit). An emptied cluster is re-seeded
    with the descriptor farthest from its centre. Centres stay binary, so they are valid ORB
    descriptors and Hamming distance keeps its meaning.

    Parameters
    ----------
    bits : ndarray of float32, shape (n, n_bits)
        0.0 / 1.0 bit vectors (:func:`~xmodal.images.descriptors.as_float` of ORB).
    n_words : int
    seed : int
    max_iter : int
        Iterations at most; stops early when no assignment changes.

    Returns
    -------
    ndarray of float32 0.0 / 1.0, shape (n_words, n_bits)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> centres = rng.random((2, 64)) < 0.5
    >>> bits = np.repeat(centres, 50, axis=0) ^ (rng.random((100, 64)) < 0.05)
    >>> C = fit_binary_codebook(bits.astype(np.float32), 2)
    >>> sorted(C.astype(bool).tolist()) == sorted(centres.tolist())
    True
    """
    bits = np.asarray(bits, dtype=np.float32)
    _check_sample(bits, n_words)
    if not np.isin(bits, (0.0, 1.0)).all():
        raise ValueError("binary descriptors must be 0/1 bit vectors")
    rng = np.random.default_rng(seed)
    unique_rows = np.unique(bits, axis=0)
    if len(unique_rows) < n_words:
        raise ValueError(f"only {len(unique_rows)} distinct binary descriptors for {n_words} words")
    centres = unique_rows[np.sort(rng.choice(len(unique_rows), n_words, replace=False))].copy()
    labels = None
    for _ in range(max_iter):
        idx, d2 = nearest_codewords(bits, centres)
        new_labels = idx[:, 0]
        if labels is not None and np.array_equal(new_labels, labels):
            break
        labels = new_labels
        counts = np.bincount(labels, minlength=n_words).astype(np.float32)
        order = np.argsort(labels, kind="stable")
        present = np.flatnonzero(counts)
        starts = np.searchsorted(labels[order], present)
        votes = np.add.reduceat(bits[order], starts, axis=0)
        half = counts[present, None] / 2.0
        centres[present] = np.where(votes > half, 1.0, np.where(votes < half, 0.0, centres[present]))
        empty = np.flatnonzero(counts == 0)
        if len(empty):
            far = np.argsort(-d2[:, 0], kind="stable")[:len(empty)]
            centres[empty] = bits[far]
    return centres


def _check_sample(descriptors, n_words):
    if len(descriptors) < n_words:
        raise ValueError(
            f"only {len(descriptors)} descriptors to build a codebook of {n_words} words; "
            "use fewer words or more images")


def assign_words(descriptors: np.ndarray, codebook: np.ndarray, block: int = 4096) -> np.ndarray:
    """Index of the nearest codeword (Euclidean; Hamming for 0/1 bit rows) of each descriptor.

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    return nearest_codewords(descriptors, codebook, k=1, block=block)[0][:, 0]
