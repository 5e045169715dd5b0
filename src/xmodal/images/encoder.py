"""ImageEncoder: image paths or arrays -> one float32 feature vector per image."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from xmodal._blocks import parse_blocks
from xmodal.images.codebook import single_threaded
from xmodal.images.descriptors import BINARY_DESCRIPTORS, LOCAL_DESCRIPTORS, as_float
from xmodal.images.encodings import ENCODINGS, finish_regions, make_encoding, parse_pyramid, pool_regions, power_l2
from xmodal.images.extraction import OUTCOMES, ExtractionSettings, extract_image, extract_task, map_images
from xmodal.images.global_features import GLOBAL_FEATURES

LOCAL_FEATURES = LOCAL_DESCRIPTORS
FEATURES = LOCAL_FEATURES + GLOBAL_FEATURES
ON_ERROR = ("raise", "skip", "zero")
#: Codebook size used when ``n_words=None``.
DEFAULT_WORDS = {"bovw": 500, "soft": 500, "vlad": 64, "fisher": 64}


class ImageEncoder(BaseEstimator, TransformerMixin):
    """Image -> feature vector: a local-descriptor encoding and/or global descriptors, one block each.

    The default (dense RootSIFT on a 4-pixel grid at 16 and 32 pixel patches, an improved Fisher
    vector over a 64-Gaussian GMM reduced to 256 dimensions by PCA, plus an HSV histogram) was
    chosen by the projection's 3-fold cross-validated MAP on the Flickr8k-1k training split
    (``benchmarks/image_features.py quality``: Fisher 0.110, VLAD 0.102, bag of words 0.099).

    The local block is a bag of visual words (hard or soft), VLAD or a Fisher vector of SIFT,
    RootSIFT, ORB or dense (Root)SIFT descriptors, optionally over a spatial pyramid; global blocks
    are an HSV colour histogram, an LBP texture histogram, HOG or a GIST-like gist. Every block is
    power- and L2-normalised, then the blocks are concatenated and scaled by ``1/sqrt(n_blocks)``,
    so every image vector has unit norm (an image whose local block is empty, e.g. a flat image
    with no keypoint, keeps its global blocks) and no block dominates by its size.

    Parallelism is by processes (``n_jobs``); BLAS and OpenMP run single-threaded inside each, as
    their threads slow down many-fold when other processes compete for the cores.

    Parameters
    ----------
    features : str or tuple of str
        Blocks joined with ``+``: at most one local descriptor (``sift``, ``rootsift``, ``orb``,
        ``dense-sift``, ``dense-rootsift``) and any of ``hsv`` (8x4x4 HSV histogram), ``lbp``
        (uniform LBP, 1x1 + 2x2 grid), ``hog`` (128 x 128 HOG), ``gist`` (4 x 8 log-Gabor energies on
        a 4 x 4 grid).
    encoding : {"bovw", "soft", "vlad", "fisher"}
        How local descriptors become one vector (see :mod:`xmodal.images.encodings`).
    n_words : int or None
        Codebook size (Gaussians for ``fisher``); None: 500 for bag of words, 64 for VLAD / Fisher.
    pyramid : str
        Spatial pyramid, grids of rows x columns joined by ``+``: ``"1x1"``, ``"1x1+2x2"``,
        ``"1x1+2x2+3x1"`` (3x1: three horizontal stripes).
    idf : bool
        Inverse document frequency weighting of visual words (bag-of-words encodings).
    soft_neighbours : int
        Nearest words sharing each descriptor in the ``soft`` encoding.
    pca_dim : int
        Descriptor dimensions kept by PCA before the ``fisher`` GMM.
    out_dim : int or None
        Reduce the local block to this many dimensions by PCA fitted on the training images (then
        L2-normalised), as for compact VLAD / Fisher vectors (Jegou et al. 2012); with fewer than
        ``out_dim + 1`` training images, to one less than their number. None: keep the full encoding.
    power : float
        Power normalisation exponent of every block (0.5: square root / Hellinger; 1.0: none).
    step, bin_sizes : int, tuple of int
        Dense grid spacing and spatial bin widths in pixels (a dense patch is 4 bins wide).
    max_keypoints, contrast_threshold, fast_threshold : int, float, int
        Keypoint budget (SIFT, ORB), SIFT contrast threshold, ORB FAST threshold.
    max_side, min_side, reject_below : int or None
        Images are downscaled so their longest side is at most ``max_side`` and upscaled so their
        shortest side is at least ``min_side`` before description; images whose shortest side is
        below ``reject_below`` pixels are rejected as too small.
    sample_per_image, max_sample : int
        Descriptors sampled per training image, and in total, to fit the codebook.
    on_error : {"raise", "skip", "zero"}
        An unreadable or too small image: raise :class:`~xmodal.images.io.ImageReadError` naming
        it; leave its row out of the output (``kept_`` lists the rows returned); or give it the
        zero vector. Such images never enter the codebook.
    cache : bool, str or Path
        Per-image feature cache keyed by file content and extraction parameters: False (default),
        True (``$XMODAL_CACHE`` or ``~/.cache/xmodal``) or a folder.
    seed : int
        Seed of the descriptor sample and of the codebook; results do not depend on ``n_jobs``.
    n_jobs : int or None, default=1
        Worker processes for extraction: 1: in-process; None: one per core (at most 4) for 200
        images or more, else in-process; -1: one per core. Workers are spawned, so a script that
        asks for them must guard its entry point with ``if __name__ == "__main__":`` (the
        ``xmodal`` command does; it uses ``None``).
    progress : bool
        Show a progress bar (tqdm) on long runs.

    Attributes
    ----------
    feature_names_ : tuple of str
    local_feature_ : str or None
    encoding_ : BagOfWords, VLAD, FisherVector or None
        The fitted encoding (codebook / GMM) of the local block.
    reduction_ : tuple of ndarray or None
        ``(mean, components)`` of the PCA applied to the local block when ``out_dim`` is set.
    grids_ : tuple of (rows, columns)
    n_features_out_ : int
    report_ : dict of str -> int
        Of the last ``fit`` / ``transform`` call: how many images were ``encoded``, ``unreadable``,
        ``too small``, had ``no keypoints``, were ``downscaled`` / ``upscaled``, came ``from cache``.
    errors_ : list of str
        The messages of the unreadable and too small images of the last call.
    kept_ : ndarray of int
        Input positions of the rows returned by the last call (all of them unless ``on_error="skip"``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> imgs = [(rng.random((64, 64, 3)) * 255).astype(np.uint8) for _ in range(4)]
    >>> enc = ImageEncoder(n_words=8, min_side=64).fit(imgs)  # default: dense RootSIFT Fisher vector, PCA + HSV
    >>> enc.transform(imgs).shape  # PCA of 4 training images keeps 3 dimensions
    (4, 131)
    >>> ImageEncoder("dense-sift+hsv", encoding="bovw", n_words=8, out_dim=None).fit_transform(imgs).shape
    (4, 136)
    >>> ImageEncoder("rootsift", encoding="bovw", n_words=20, out_dim=None).fit_transform(imgs).shape
    (4, 20)
    """

    def __init__(self, features="dense-rootsift+hsv", encoding="fisher", n_words=None, pyramid="1x1", idf=False,
                 soft_neighbours=5, pca_dim=64, out_dim=256, power=0.5, step=4, bin_sizes=(4, 8),
                 max_keypoints=500,
                 contrast_threshold=0.04, fast_threshold=20, max_side=320, min_side=96, reject_below=8,
                 sample_per_image=150, max_sample=150_000, on_error="raise", cache=False, seed=0, n_jobs=1,
                 progress=False):
        self.features = features
        self.encoding = encoding
        self.n_words = n_words
        self.pyramid = pyramid
        self.idf = idf
        self.soft_neighbours = soft_neighbours
        self.pca_dim = pca_dim
        self.out_dim = out_dim
        self.power = power
        self.step = step
        self.bin_sizes = bin_sizes
        self.max_keypoints = max_keypoints
        self.contrast_threshold = contrast_threshold
        self.fast_threshold = fast_threshold
        self.max_side = max_side
        self.min_side = min_side
        self.reject_below = reject_below
        self.sample_per_image = sample_per_image
        self.max_sample = max_sample
        self.on_error = on_error
        self.cache = cache
        self.seed = seed
        self.n_jobs = n_jobs
        self.progress = progress

    # -- public API ---------------------------------------------------------------------------
    def fit(self, images, y=None):
        """Fit the codebook (and idf weights) on descriptors sampled from ``images`` (paths or arrays)."""
        with single_threaded():
            self._fit(images, keep=False)
        return self

    def fit_transform(self, images, y=None):
        """Fit and encode ``images`` with one pass of descriptor extraction."""
        with single_threaded():
            return self._fit(images, keep=True)

    def transform(self, images):
        """Encode images as float32 rows of length ``n_features_out_`` (extraction and encoding in workers)."""
        check_is_fitted(self, "feature_names_")
        images = self._check_images(images)
        with single_threaded():
            results = map_images(_encode_one, images, self, n_jobs=self.n_jobs, progress=self.progress,
                                 desc="encoding images")
        self._apply_error_policy([r[1] for r in results])
        return self._stack([results[i][0] for i in self.kept_])

    def settings(self) -> ExtractionSettings:
        """The per-image extraction settings these parameters describe (also the cache key)."""
        names, local = self._validate()
        return ExtractionSettings(
            local=local, globals=tuple(n for n in names if n in GLOBAL_FEATURES), step=int(self.step),
            bin_sizes=tuple(int(b) for b in self.bin_sizes), max_keypoints=int(self.max_keypoints),
            contrast_threshold=float(self.contrast_threshold), fast_threshold=int(self.fast_threshold),
            max_side=self.max_side, min_side=self.min_side, reject_below=self.reject_below)

    def extract(self, images):
        """Per-image :class:`~xmodal.images.extraction.Extracted` results (read failures inside, not raised)."""
        return map_images(extract_task, self._check_images(images), (self.settings(), self._cache_dir()),
                          n_jobs=self.n_jobs, progress=self.progress, desc="describing images")

    # -- validation -----------------------------------------------------------------------------
    def _validate(self):
        names = parse_blocks(self.features, FEATURES, "image feature")
        local = [n for n in names if n in LOCAL_FEATURES]
        if len(local) > 1:
            raise ValueError(f"use one local descriptor at a time, got {local}")
        if self.encoding not in ENCODINGS:
            raise ValueError(f"unknown encoding {self.encoding!r}; choose from {list(ENCODINGS)}")
        if self.on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {list(ON_ERROR)}, got {self.on_error!r}")
        positive = ["step", "max_keypoints", "fast_threshold", "sample_per_image", "max_sample", "pca_dim",
                    "soft_neighbours"]
        positive += [n for n in ("n_words", "out_dim", "max_side", "min_side", "reject_below")
                     if getattr(self, n) is not None]
        for name in positive:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.n_words is not None and self.n_words < 2:
            raise ValueError(f"n_words must be at least 2, got {self.n_words}")
        if not self.bin_sizes or any(int(b) < 1 for b in self.bin_sizes):
            raise ValueError(f"bin_sizes must be positive bin widths in pixels, got {self.bin_sizes!r}")
        if not (isinstance(self.power, (int, float)) and 0 < self.power <= 1):
            raise ValueError(f"power must be in (0, 1], got {self.power!r}")
        if not (isinstance(self.contrast_threshold, (int, float)) and self.contrast_threshold >= 0):
            raise ValueError(f"contrast_threshold must be a number >= 0, got {self.contrast_threshold!r}")
        if self.min_side is not None and self.max_side is not None and self.min_side > self.max_side:
            raise ValueError(f"min_side={self.min_side} exceeds max_side={self.max_side}")
        parse_pyramid(self.pyramid)
        return names, (local[0] if local else None)

    @staticmethod
    def _check_images(images):
        if isinstance(images, (str, bytes)) or (isinstance(images, np.ndarray) and images.dtype != object
                                                and images.ndim in (2, 3) and images.dtype == np.uint8):
            raise TypeError("images must be a list of paths or arrays, not a single image")
        images = list(images)
        if not images:
            raise ValueError("no images given")
        return images

    def _cache_dir(self):
        from xmodal.images.cache import default_cache_dir

        if self.cache is False or self.cache is None:
            return None
        return str(default_cache_dir() if self.cache is True else self.cache)

    # -- fitting ------------------------------------------------------------------------------
    def _fit(self, images, keep):
        names, local = self._validate()
        images = self._check_images(images)
        self.feature_names_, self.local_feature_ = names, local
        self.grids_ = parse_pyramid(self.pyramid)
        self.encoding_ = self.reduction_ = None
        extracted = self.extract(images)
        rows = self._apply_error_policy(extracted)
        if not rows.size:
            raise ValueError(f"none of the {len(images)} images could be used: {self.errors_[:3]}")
        good = [extracted[i] for i in rows]
        pooled = None
        if local is not None:
            n_words = self.n_words if self.n_words is not None else DEFAULT_WORDS[self.encoding]
            self.encoding_ = make_encoding(self.encoding, int(n_words), binary=local in BINARY_DESCRIPTORS,
                                           idf=self.idf, soft_neighbours=int(self.soft_neighbours),
                                           pca_dim=int(self.pca_dim), power=float(self.power), seed=self.seed)
            self.encoding_.fit(self._sample([e.local.descriptors for e in good], rows))
            needs_idf = self.idf and self.encoding in ("bovw", "soft")
            if keep or needs_idf or self.out_dim:  # assignment and pooling are the costly part: in the workers
                pooled = map_images(_pool_one, [e.local for e in good], self, n_jobs=self.n_jobs,
                                    progress=self.progress, desc="encoding images")
            if needs_idf:
                first = self.grids_[0][0] * self.grids_[0][1]  # the first grid's cells cover every descriptor
                self.encoding_.fit_idf(np.stack([p[:first].sum(axis=0) for p in pooled]))
            if self.out_dim:
                self.reduction_ = _fit_pca(np.stack([finish_regions(self.encoding_, p) for p in pooled]),
                                           int(self.out_dim))
        local_dim = self.encoding_.dim * self._n_regions() if self.encoding_ is not None else 0
        if self.reduction_ is not None:
            local_dim = len(self.reduction_[1])
        self.n_features_out_ = int(local_dim + sum(len(g) for g in good[0].globals))
        if not keep:
            return None
        vectors = {i: self._finish(e, None if pooled is None else pooled[j])
                   for j, (i, e) in enumerate(zip(rows, good))}
        return self._stack([vectors.get(i) for i in self.kept_])

    def _sample(self, descriptor_sets, rows):
        """A seeded sample of float descriptors: the same images give the same sample on any worker count."""
        per_image = min(self.sample_per_image, max(1, self.max_sample // len(descriptor_sets)))
        sample = []
        for i, d in zip(rows, descriptor_sets):
            if len(d) > per_image:
                rng = np.random.default_rng([self.seed, int(i)])
                d = d[np.sort(rng.choice(len(d), per_image, replace=False))]
            sample.append(d)
        return as_float(np.concatenate(sample), self.local_feature_)

    def _n_regions(self):
        return sum(r * c for r, c in self.grids_)

    def _apply_error_policy(self, results):
        """Count outcomes, apply ``on_error``; return the input positions whose rows are returned."""
        results = [r if hasattr(r, "flags") else _Outcome(*r) for r in results]
        self.report_ = {name: 0 for name in OUTCOMES}
        self.errors_ = []
        failed = []
        for i, r in enumerate(results):
            for flag in r.flags:
                self.report_[flag] += 1
            if r.error is not None:
                failed.append(i)
                self.errors_.append(str(r.error))
        self.report_["encoded"] = len(results) - len(failed)
        if failed and self.on_error == "raise":
            raise results[failed[0]].error
        ok = np.setdiff1d(np.arange(len(results)), failed)
        self.kept_ = ok if self.on_error == "skip" else np.arange(len(results))
        return ok

    # -- encoding -----------------------------------------------------------------------------
    def _pool(self, local):
        return pool_regions(self.encoding_, as_float(local.descriptors, self.local_feature_), local.positions,
                            local.shape, self.grids_)

    def _finish(self, extracted, pooled=None):
        blocks = []
        if self.encoding_ is not None:
            local = finish_regions(self.encoding_, self._pool(extracted.local) if pooled is None else pooled)
            if self.reduction_ is not None:
                mean, components = self.reduction_
                if local.any():
                    local = power_l2(((local - mean) @ components.T)[None], 1.0)[0]
                else:  # an image without descriptors stays zero
                    local = np.zeros(len(components), np.float32)
            blocks.append(local)
        blocks.extend(power_l2(np.maximum(g, 0.0)[None], self.power)[0] for g in extracted.globals)
        return np.concatenate(blocks) / np.float32(np.sqrt(len(blocks)))

    def _stack(self, vectors):
        out = np.zeros((len(vectors), self.n_features_out_), np.float32)
        for i, v in enumerate(vectors):
            if v is not None:
                out[i] = v
        return out


def _fit_pca(rows, out_dim):
    """``(mean, components)``: the first ``out_dim`` principal axes of ``rows`` (fewer when there are
    fewer training rows than ``out_dim + 1``: the rest would carry no variance)."""
    out_dim = max(1, min(out_dim, len(rows) - 1, rows.shape[1]))
    mean = rows.mean(axis=0)
    _, _, vt = np.linalg.svd((rows - mean).astype(np.float64), full_matrices=False)
    return mean.astype(np.float32), vt[:out_dim].astype(np.float32)


class _Outcome:
    """The flags and error of one image, without its features (what workers send back in transform)."""

    def __init__(self, flags, error):
        self.flags, self.error = flags, error


def _pool_one(local, encoder):
    """Worker task of :meth:`ImageEncoder.fit_transform`: pooled regions of one image's descriptors."""
    return encoder._pool(local)


def _encode_one(image, encoder):
    """Worker task of :meth:`ImageEncoder.transform`: extract and encode one image."""
    extracted = extract_image(image, encoder.settings(), encoder._cache_dir())
    vector = None if extracted.error is not None else encoder._finish(extracted)
    return vector, (extracted.flags, extracted.error)
