"""ImageEncoder: image paths or arrays -> one float32 feature vector per image."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from xmodal.images.codebook import fit_codebook
from xmodal.images.descriptors import sift_descriptors
from xmodal.images.encodings import bovw_histogram, hellinger_l2
from xmodal.images.global_features import hsv_histogram
from xmodal.images.io import read_image

LOCAL_FEATURES = ("dense-sift", "sift")
GLOBAL_FEATURES = ("hsv",)
FEATURES = LOCAL_FEATURES + GLOBAL_FEATURES


def parse_feature_names(features, known=FEATURES, what="image feature") -> tuple[str, ...]:
    """``"a+b"`` or ``("a", "b")`` -> ``("a", "b")``, checked against the known names."""
    names = tuple(features.split("+")) if isinstance(features, str) else tuple(features)
    if not names:
        raise ValueError(f"no {what} given; choose from {list(known)}")
    for name in names:
        if name not in known:
            raise ValueError(f"unknown {what} {name!r}; choose from {list(known)}")
    if len(set(names)) != len(names):
        raise ValueError(f"{what}s {names} name one feature twice")
    return names


class ImageEncoder(BaseEstimator, TransformerMixin):
    """Image -> feature vector: SIFT bag-of-visual-words and/or an HSV colour histogram.

    Each block (one local encoding, one global histogram) is square-rooted and L2-normalised
    (Hellinger), then the blocks are concatenated and scaled by ``1/sqrt(n_blocks)`` so every image
    vector has unit norm and no block dominates by its size.

    Parameters
    ----------
    features : str or tuple of str
        Blocks joined with ``+``: ``"dense-sift"`` (SIFT on a dense multi-scale grid),
        ``"sift"`` (SIFT at detected keypoints), ``"hsv"`` (8x4x4 HSV colour histogram).
    n_words : int
        Codebook size for a SIFT block.
    step, sizes : int, tuple of int
        Dense grid spacing and patch diameters, in pixels.
    max_keypoints : int
        Keypoint budget of detected SIFT.
    max_side, min_side : int
        Images are downscaled so the longest side is at most ``max_side`` and upscaled so the
        shortest side is at least ``min_side`` before description.
    sample_per_image, max_sample : int
        Descriptors sampled per training image, and in total, to fit the codebook.
    seed : int
        Seed of the descriptor sample and of k-means; the result does not depend on ``n_jobs``.
    n_jobs : int
        Threads used for extraction (OpenCV releases the GIL).
    progress : bool
        Show a progress bar (tqdm) on long runs.

    Attributes
    ----------
    feature_names_ : tuple of str
    codebook_ : ndarray of shape (n_words, 128) or None
    n_features_out_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> imgs = [(rng.random((64, 64, 3)) * 255).astype(np.uint8) for _ in range(4)]
    >>> enc = ImageEncoder(n_words=8, min_side=64).fit(imgs)
    >>> enc.transform(imgs).shape
    (4, 136)
    """

    def __init__(self, features="dense-sift+hsv", n_words=500, step=8, sizes=(8, 16), max_keypoints=500,
                 max_side=320, min_side=96, sample_per_image=150, max_sample=150_000, seed=0, n_jobs=2,
                 progress=False):
        self.features = features
        self.n_words = n_words
        self.step = step
        self.sizes = sizes
        self.max_keypoints = max_keypoints
        self.max_side = max_side
        self.min_side = min_side
        self.sample_per_image = sample_per_image
        self.max_sample = max_sample
        self.seed = seed
        self.n_jobs = n_jobs
        self.progress = progress

    # -- public API ---------------------------------------------------------------------------
    def fit(self, images, y=None):
        """Fit the codebook on descriptors sampled from ``images`` (paths or arrays)."""
        self._fit(images, keep=False)
        return self

    def fit_transform(self, images, y=None):
        """Fit and encode ``images`` with one pass of descriptor extraction."""
        return self._fit(images, keep=True)

    def transform(self, images):
        """Encode images as float32 rows of length ``n_features_out_``."""
        check_is_fitted(self, "feature_names_")
        images = self._check_images(images)
        blocks = self._extract(images, "encoding images")
        return self._encode(blocks[0], blocks[1])

    # -- internals ----------------------------------------------------------------------------
    def _validate(self):
        names = parse_feature_names(self.features)
        local = [n for n in names if n in LOCAL_FEATURES]
        if len(local) > 1:
            raise ValueError(f"use one local descriptor at a time, got {local}")
        for name in ("n_words", "step", "max_keypoints", "max_side", "min_side", "sample_per_image",
                     "max_sample", "n_jobs"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not self.sizes or any(int(s) < 4 for s in self.sizes):
            raise ValueError(f"sizes must be patch diameters >= 4 pixels, got {self.sizes!r}")
        if self.min_side > self.max_side:
            raise ValueError(f"min_side={self.min_side} exceeds max_side={self.max_side}")
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

    def _fit(self, images, keep):
        names, local = self._validate()
        images = self._check_images(images)
        self.feature_names_, self.local_feature_ = names, local
        self.codebook_ = None
        descriptors, globals_ = self._extract(images, "describing images")
        if local is not None:
            rng = np.random.default_rng(self.seed)
            per_image = min(self.sample_per_image, max(1, self.max_sample // len(images)))
            sample = []
            for d in descriptors:
                if len(d) > per_image:
                    d = d[np.sort(rng.choice(len(d), per_image, replace=False))]
                sample.append(d)
            sample = np.concatenate(sample).astype(np.float32)
            self.codebook_ = fit_codebook(sample, self.n_words, seed=self.seed)
        self.n_features_out_ = (self.n_words if local else 0) + sum(
            int(np.prod((8, 4, 4))) for n in names if n == "hsv")
        return self._encode(descriptors, globals_) if keep else None

    def _describe(self, image):
        img = read_image(image, max_side=self.max_side)
        if min(img.shape[:2]) < self.min_side:
            import cv2

            scale = self.min_side / min(img.shape[:2])
            img = cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)),
                             interpolation=cv2.INTER_CUBIC)
        local = None
        if self.local_feature_ is not None:
            desc = sift_descriptors(img, dense=self.local_feature_ == "dense-sift", step=self.step,
                                    sizes=tuple(int(s) for s in self.sizes), max_keypoints=self.max_keypoints)
            local = np.clip(np.rint(desc), 0, 255).astype(np.uint8)  # SIFT values are whole numbers <= 255
        glob = [hsv_histogram(img) for n in self.feature_names_ if n == "hsv"]
        return local, glob

    def _extract(self, images, what):
        from tqdm.auto import tqdm

        with ThreadPoolExecutor(max_workers=self.n_jobs) as pool:
            results = list(tqdm(pool.map(self._describe, images), total=len(images), desc=what,
                                disable=not self.progress or len(images) < 50, leave=False))
        return [r[0] for r in results], [r[1] for r in results]

    def _encode(self, descriptors, globals_):
        blocks = []
        if self.local_feature_ is not None:
            blocks.append(np.stack([bovw_histogram(d, self.codebook_) for d in descriptors]))
        for b in range(len(globals_[0])):
            blocks.append(np.stack([g[b] for g in globals_]))
        out = np.hstack([hellinger_l2(b) for b in blocks]) / np.sqrt(len(blocks))
        return out.astype(np.float32)
