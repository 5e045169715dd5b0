"""Encoding the set of local descriptors of an image as one vector.

Four encodings share one shape: ``fit(sample)`` learns a vocabulary from a sample of float
descriptors, ``assign(X)`` computes what each descriptor contributes (nearest words, kernel
weights or GMM posteriors; once per image), ``pool(X, assigned, rows)`` sums the contributions of
the descriptors in one spatial region, and ``normalise(V)`` applies the encoding's usual
normalisation to pooled rows. :func:`encode_regions` runs them over a spatial pyramid.

- :class:`BagOfWords` hard (nearest word) or soft (kernel codebook, van Gemert et al. 2008)
  assignment, optional idf weighting, then power ("square root") and L2 normalisation.
- :class:`VLAD` sum of residuals to the nearest word (Jegou et al. 2010) with intra-normalisation
  (Arandjelovic & Zisserman 2013), power and L2 normalisation.
- :class:`FisherVector` gradients with respect to the means and variances of a diagonal GMM fitted
  on PCA-reduced descriptors; improved Fisher vector (Perronnin et al. 2010): power + L2.

Binary descriptors (ORB) arrive as 0/1 floats: bag-of-words uses a k-majority codebook and Hamming
distance (squared Euclidean on bits); VLAD and Fisher vectors treat the bits as floats (VLAD
residuals to binary centres, PCA + GMM on the bit vectors).
"""

from __future__ import annotations

import warnings

import numpy as np

from xmodal.images.codebook import fit_binary_codebook, fit_codebook, nearest_codewords, single_threaded

ENCODINGS = ("bovw", "soft", "vlad", "fisher")


def power_l2(rows: np.ndarray, power: float = 0.5) -> np.ndarray:
    """Signed power normalisation ``sign(v) |v|^power`` then L2 normalisation of each row (zero rows stay zero).

    With ``power=0.5`` on L1-normalised histograms the dot product is the Bhattacharyya coefficient
    (Hellinger kernel), which suits bursty visual-word counts better than raw counts.

    Examples
    --------
    >>> import numpy as np
    >>> power_l2(np.array([[0.25, 0.75], [0.0, 0.0]])).astype(float).round(3).tolist()
    [[0.5, 0.866], [0.0, 0.0]]
    """
    rows = np.asarray(rows, dtype=np.float32)
    if power != 1.0:
        rows = np.sign(rows) * np.abs(rows) ** np.float32(power)
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return (rows / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def hellinger_l2(block: np.ndarray) -> np.ndarray:
    """Square root then L2 normalisation of non-negative histogram rows: ``power_l2(block, 0.5)``."""
    return power_l2(np.maximum(block, 0.0), 0.5)


def bovw_histogram(descriptors: np.ndarray, codebook: np.ndarray) -> np.ndarray:
    """Bag-of-visual-words: the L1-normalised histogram of nearest codewords (zeros for no descriptor).

    Examples
    --------
    >>> import numpy as np
    >>> C = np.array([[0.0], [1.0]], np.float32)
    >>> bovw_histogram(np.array([[0.1], [0.2], [0.9]], np.float32), C).astype(float).round(3).tolist()
    [0.667, 0.333]
    """
    if len(descriptors) == 0:
        return np.zeros(len(codebook), np.float32)
    counts = np.bincount(nearest_codewords(descriptors, codebook)[0][:, 0], minlength=len(codebook))
    return (counts / counts.sum()).astype(np.float32)


class BagOfWords:
    """Hard or soft (kernel codebook) bag of visual words.

    Parameters
    ----------
    n_words : int
        Codebook size.
    soft : int
        0: hard assignment to the nearest word. ``k >= 1``: each descriptor spreads one unit over
        its ``k`` nearest words with weights ``exp(-d^2 / (2 sigma^2))``, ``sigma^2`` being the
        median squared distance of a training descriptor to its nearest word.
    idf : bool
        Weight words by ``log(n_images / (1 + df))`` (df: training images containing the word).
    binary : bool
        Descriptors are 0/1 bit vectors: k-majority codebook and Hamming distance.
    power : float
        Exponent of the power normalisation (0.5: square root; 1.0: none).
    seed : int

    Attributes
    ----------
    centres_ : ndarray of float32, shape (n_words, d)
    sigma2_ : float
        Kernel width (soft only).
    idf_ : ndarray of float32, shape (n_words,) or None
    """

    def __init__(self, n_words=500, soft=0, idf=False, binary=False, power=0.5, seed=0):
        self.n_words, self.soft, self.idf, self.binary, self.power, self.seed = n_words, soft, idf, binary, power, seed

    @property
    def dim(self):
        return self.n_words

    def fit(self, sample):
        fit = fit_binary_codebook if self.binary else fit_codebook
        self.centres_ = fit(sample, self.n_words, seed=self.seed)
        self.sigma2_ = 1.0
        if self.soft:
            d2 = nearest_codewords(sample[:20000], self.centres_)[1][:, 0]
            self.sigma2_ = float(max(np.median(d2), 1e-6))
        self.idf_ = None
        return self

    def fit_idf(self, histograms):
        """Learn idf weights from the (unnormalised or L1) whole-image histograms of the training images."""
        if self.idf:
            df = (np.asarray(histograms) > 0).sum(axis=0)
            self.idf_ = np.log(len(histograms) / (1.0 + df)).clip(min=0.0).astype(np.float32)
        return self

    def assign(self, X):
        k = max(1, int(self.soft))
        idx, d2 = nearest_codewords(X, self.centres_, k=k)
        if k == 1:
            return idx, np.ones_like(d2)
        w = np.exp(-(d2 - d2[:, :1]) / (2.0 * self.sigma2_))  # shifted for stability; normalised below
        return idx, (w / w.sum(axis=1, keepdims=True)).astype(np.float32)

    def pool(self, X, assigned, rows):
        idx, w = assigned
        if len(rows) == 0:
            return np.zeros(self.n_words, np.float32)
        hist = np.bincount(idx[rows].ravel(), weights=w[rows].ravel(), minlength=self.n_words)
        return (hist / len(rows)).astype(np.float32)

    def normalise(self, V):
        if self.idf_ is not None:
            V = V * self.idf_
        return power_l2(V, self.power)


class VLAD:
    """Vector of locally aggregated descriptors with intra-normalisation.

    Parameters
    ----------
    n_words : int
        Codebook size (typically 16-256); the vector has ``n_words * d`` entries.
    binary : bool
        0/1 bit descriptors: k-majority centres, residuals taken on the bits as floats.
    power : float
    seed : int

    Attributes
    ----------
    centres_ : ndarray of float32, shape (n_words, d)
    """

    def __init__(self, n_words=64, binary=False, power=0.5, seed=0):
        self.n_words, self.binary, self.power, self.seed = n_words, binary, power, seed

    @property
    def dim(self):
        return self.n_words * self.centres_.shape[1]

    def fit(self, sample):
        fit = fit_binary_codebook if self.binary else fit_codebook
        self.centres_ = fit(sample, self.n_words, seed=self.seed)
        return self

    def assign(self, X):
        return nearest_codewords(X, self.centres_)[0][:, 0]

    def pool(self, X, assigned, rows):
        d = self.centres_.shape[1]
        if len(rows) == 0:
            return np.zeros(self.n_words * d, np.float32)
        one_hot = np.zeros((len(rows), self.n_words), np.float32)
        one_hot[np.arange(len(rows)), assigned[rows]] = 1.0
        residuals = one_hot.T @ X[rows] - one_hot.sum(axis=0)[:, None] * self.centres_
        return residuals.ravel()

    def normalise(self, V):
        n, d = len(V), self.centres_.shape[1]
        intra = power_l2(V.reshape(n, self.n_words, d), 1.0).reshape(n, -1)
        return power_l2(intra, self.power)


_GMM_SAMPLE = 20_000  # descriptors the Fisher GMM is fitted on


class FisherVector:
    """Improved Fisher vector over a diagonal GMM fitted on PCA-reduced descriptors.

    Parameters
    ----------
    n_words : int
        Gaussians in the mixture; the vector has ``2 * n_words * pca_dim`` entries.
    pca_dim : int
        Descriptors are centred and projected on their first ``pca_dim`` principal components
        (decorrelation suits the diagonal covariances).
    power : float
    seed : int

    Attributes
    ----------
    mean_, components_ : PCA centre (d,) and axes (pca_dim, d)
    weights_, means_, variances_ : GMM mixture weights (K,), means and variances (K, pca_dim)
    """

    def __init__(self, n_words=64, pca_dim=64, power=0.5, seed=0):
        self.n_words, self.pca_dim, self.power, self.seed = n_words, pca_dim, power, seed

    @property
    def dim(self):
        return 2 * self.n_words * self.components_.shape[0]

    def fit(self, sample):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.mixture import GaussianMixture

        if len(sample) < self.n_words:
            raise ValueError(f"only {len(sample)} descriptors to fit a GMM of {self.n_words} Gaussians")
        sample = np.asarray(sample, dtype=np.float32)
        self.mean_ = sample.mean(axis=0)
        centred = sample - self.mean_
        with single_threaded():
            head = centred[:50000].astype(np.float64)
            values, vectors = np.linalg.eigh(head.T @ head)  # PCA axes from the d x d scatter (d = 128)
            self.components_ = vectors[:, ::-1][:, :min(self.pca_dim, len(values))].T.astype(np.float32)
            reduced = centred @ self.components_.T
            if len(reduced) > _GMM_SAMPLE:  # EM cost is linear in the sample; a vocabulary needs no more
                rows = np.random.default_rng(self.seed).choice(len(reduced), _GMM_SAMPLE, replace=False)
                reduced = reduced[np.sort(rows)]
            gmm = GaussianMixture(self.n_words, covariance_type="diag", reg_covar=1e-3 * float(reduced.var()),
                                  max_iter=50, init_params="k-means++", random_state=self.seed)
            with warnings.catch_warnings():  # 50 EM steps are plenty for a vocabulary; not a user error
                warnings.simplefilter("ignore", ConvergenceWarning)
                gmm.fit(reduced)
        self.weights_ = gmm.weights_.astype(np.float32)
        self.means_ = gmm.means_.astype(np.float32)
        self.variances_ = gmm.covariances_.astype(np.float32)
        return self

    def assign(self, X):
        """PCA-reduced descriptors and their GMM posteriors (one BLAS product for the log-likelihoods)."""
        Y = (X - self.mean_) @ self.components_.T
        precision = 1.0 / self.variances_
        log_p = -0.5 * ((Y * Y) @ precision.T - 2.0 * Y @ (self.means_ * precision).T
                        + (self.means_ ** 2 * precision).sum(axis=1))
        log_p += np.log(self.weights_) - 0.5 * np.log(self.variances_).sum(axis=1)
        log_p -= log_p.max(axis=1, keepdims=True)
        posteriors = np.exp(log_p)
        posteriors /= posteriors.sum(axis=1, keepdims=True)
        return Y.astype(np.float32), posteriors.astype(np.float32)

    def pool(self, X, assigned, rows):
        Y, gamma = assigned
        K, D = self.means_.shape
        if len(rows) == 0:
            return np.zeros(2 * K * D, np.float32)
        Y, gamma = Y[rows], gamma[rows]
        s0 = gamma.sum(axis=0)[:, None]
        s1 = gamma.T @ Y
        s2 = gamma.T @ (Y * Y)
        sigma = np.sqrt(self.variances_)
        n, w = float(len(rows)), self.weights_[:, None]
        g_mean = (s1 - self.means_ * s0) / (sigma * n * np.sqrt(w))
        g_var = (s2 - 2.0 * self.means_ * s1 + (self.means_ ** 2 - self.variances_) * s0) / (
            self.variances_ * n * np.sqrt(2.0 * w))
        return np.concatenate([g_mean.ravel(), g_var.ravel()]).astype(np.float32)

    def normalise(self, V):
        return power_l2(V, self.power)


def make_encoding(name, n_words, binary=False, idf=False, soft_neighbours=5, pca_dim=64, power=0.5, seed=0):
    """The encoding object called ``name`` (one of :data:`ENCODINGS`).

    Examples
    --------
    >>> type(make_encoding("vlad", 16)).__name__
    'VLAD'
    """
    if name == "bovw":
        return BagOfWords(n_words, soft=0, idf=idf, binary=binary, power=power, seed=seed)
    if name == "soft":
        return BagOfWords(n_words, soft=soft_neighbours, idf=idf, binary=binary, power=power, seed=seed)
    if name == "vlad":
        return VLAD(n_words, binary=binary, power=power, seed=seed)
    if name == "fisher":
        return FisherVector(n_words, pca_dim=pca_dim, power=power, seed=seed)
    raise ValueError(f"unknown encoding {name!r}; choose from {list(ENCODINGS)}")


def parse_pyramid(pyramid) -> tuple[tuple[int, int], ...]:
    """``"1x1+2x2+3x1"`` -> ``((1, 1), (2, 2), (3, 1))``: grids of rows x columns.

    ``3x1`` is three horizontal stripes (top, middle, bottom), as in the PASCAL VOC pyramids.

    Examples
    --------
    >>> parse_pyramid("1x1+3x1")
    ((1, 1), (3, 1))
    """
    parts = pyramid.split("+") if isinstance(pyramid, str) else list(pyramid)
    grids = []
    for part in parts:
        try:
            rows, cols = (int(v) for v in str(part).lower().split("x"))
        except ValueError:
            raise ValueError(f"pyramid level {part!r} is not ROWSxCOLUMNS (e.g. 2x2)") from None
        if not (1 <= rows <= 8 and 1 <= cols <= 8):
            raise ValueError(f"pyramid level {part!r} must have 1..8 rows and columns")
        grids.append((rows, cols))
    if not grids or len(set(grids)) != len(grids):
        raise ValueError(f"pyramid {pyramid!r} must name one or more distinct grids")
    return tuple(grids)


def spatial_regions(positions: np.ndarray, shape, grids) -> list[np.ndarray]:
    """Row indices of the descriptors inside each cell of each grid, grid by grid, row-major."""
    h, w = shape
    regions = []
    for rows, cols in grids:
        if rows == cols == 1:
            regions.append(np.arange(len(positions)))
            continue
        r = np.minimum((positions[:, 1] * rows / h).astype(np.int64), rows - 1)
        c = np.minimum((positions[:, 0] * cols / w).astype(np.int64), cols - 1)
        cell = r * cols + c
        order = np.argsort(cell, kind="stable")
        bounds = np.searchsorted(cell[order], np.arange(rows * cols + 1))
        regions.extend(order[bounds[i]:bounds[i + 1]] for i in range(rows * cols))
    return regions


def pool_regions(encoding, X, positions, shape, grids) -> np.ndarray:
    """Pooled (not yet normalised) vectors of one image's float descriptors, one row per pyramid region.

    Returns
    -------
    ndarray of float32, shape (n_regions, encoding.dim)
    """
    regions = spatial_regions(positions, shape, grids)
    if len(X) == 0:
        return np.zeros((len(regions), encoding.dim), np.float32)
    assigned = encoding.assign(X)
    return np.stack([encoding.pool(X, assigned, rows) for rows in regions])


def finish_regions(encoding, pooled) -> np.ndarray:
    """Normalise each region's pooled vector, concatenate, and scale by ``1 / sqrt(n_regions)``.

    The result has unit norm unless a region holds no descriptor (its block stays zero).
    """
    return (encoding.normalise(pooled) / np.sqrt(len(pooled))).ravel().astype(np.float32)


def encode_regions(encoding, X, positions, shape, grids) -> np.ndarray:
    """Encode one image's float descriptors over a spatial pyramid: pool, then finish.

    Returns
    -------
    ndarray of float32, shape (n_regions * encoding.dim,)

    Examples
    --------
    >>> import numpy as np
    >>> enc = BagOfWords(2).fit(np.array([[0.0], [0.1], [1.0], [0.9]], np.float32))
    >>> X, pos = np.array([[0.0], [1.0]], np.float32), np.array([[1.0, 1.0], [9.0, 1.0]], np.float32)
    >>> v = encode_regions(enc, X, pos, (10, 10), ((1, 1), (1, 2)))  # whole image, left and right halves
    >>> v.shape, round(float(np.linalg.norm(v)), 4), int((v > 0).sum())
    ((6,), 1.0, 4)
    """
    return finish_regions(encoding, pool_regions(encoding, X, positions, shape, grids))
