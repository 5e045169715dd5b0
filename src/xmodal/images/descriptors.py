"""Local descriptors: SIFT / RootSIFT / ORB at detected keypoints, and dense SIFT on a multi-scale grid.

Every descriptor is stored as uint8 rows (SIFT: 128 values 0..255 as OpenCV rounds them; ORB: 32
bytes of packed bits) next to its keypoint position, and turned into floats only where an encoding
needs them (:func:`as_float`): RootSIFT and the 0/1 bit view of ORB are computed there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

#: Local descriptor names. ``dense-*`` are computed on a regular grid at several patch sizes.
LOCAL_DESCRIPTORS = ("sift", "rootsift", "orb", "dense-sift", "dense-rootsift", "dense-sift-cv", "dense-rootsift-cv")
#: Descriptors whose rows are packed bits compared by Hamming distance.
BINARY_DESCRIPTORS = ("orb",)


@dataclass
class LocalFeatures:
    """Keypoint positions and descriptors of one image.

    Attributes
    ----------
    positions : ndarray of float32, shape (n, 2)
        ``(x, y)`` in pixels of the image the descriptors were computed on.
    descriptors : ndarray of uint8, shape (n, 128) or (n, 32)
        SIFT values or packed ORB bits.
    shape : tuple of int
        ``(height, width)`` of that image.
    """

    positions: np.ndarray
    descriptors: np.ndarray
    shape: tuple

    def __len__(self):
        return len(self.descriptors)


def describe_local(gray: np.ndarray, kind: str = "dense-sift", *, step: int = 4, bin_sizes=(4, 8),
                   max_keypoints: int = 500, contrast_threshold: float = 0.04,
                   fast_threshold: int = 20) -> LocalFeatures:
    """Local descriptors of one grey image.

    Parameters
    ----------
    gray : ndarray of uint8, shape (h, w)
    kind : {"sift", "rootsift", "orb", "dense-sift", "dense-rootsift", "dense-sift-cv", "dense-rootsift-cv"}
        ``rootsift`` variants store plain SIFT here; the square root is taken in :func:`as_float`.
        ``-cv`` variants compute the dense grid with OpenCV (``bin_sizes`` are then keypoint sizes).
    step : int
        Grid spacing in pixels (dense).
    bin_sizes : tuple of int
        Spatial bin widths in pixels of the dense descriptors, one grid per width: a descriptor
        covers 4 x 4 bins, so width 4 describes 16 x 16 pixel patches (dense scales).
    max_keypoints : int
        Keypoint budget of SIFT and ORB (the strongest responses are kept).
    contrast_threshold : float
        SIFT's difference-of-Gaussian contrast threshold (lower: more, weaker keypoints).
    fast_threshold : int
        ORB's FAST corner threshold.

    Returns
    -------
    LocalFeatures
        With zero rows when nothing is found (a flat image has no keypoints).

    Examples
    --------
    >>> import numpy as np
    >>> img = (np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8)
    >>> describe_local(img, "dense-sift", step=8, bin_sizes=(4,)).descriptors.shape
    (49, 128)
    >>> len(describe_local(np.full((64, 64), 9, np.uint8), "sift"))
    0
    """
    if kind not in LOCAL_DESCRIPTORS:
        raise ValueError(f"unknown local descriptor {kind!r}; choose from {list(LOCAL_DESCRIPTORS)}")
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError(f"expected a 2-D uint8 grey image, got {gray.dtype} of shape {gray.shape}")
    if kind.endswith("-cv"):
        positions, desc = dense_sift_opencv(gray, step=step, sizes=bin_sizes)
        return LocalFeatures(positions, desc, gray.shape)
    if kind.startswith("dense-"):
        positions, desc = dense_sift(gray, step=step, bin_sizes=bin_sizes)
        return LocalFeatures(positions, desc, gray.shape)
    if kind == "orb":
        detector = _orb(int(max_keypoints), int(fast_threshold))
        width = 32
    else:
        detector = _sift(int(max_keypoints), float(contrast_threshold))
        width = 128
    keypoints, desc = detector.detectAndCompute(gray, None)
    if desc is None or len(keypoints) == 0:
        return LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, width), np.uint8), gray.shape)
    positions = np.array([kp.pt for kp in keypoints], dtype=np.float32).reshape(-1, 2)
    if desc.dtype != np.uint8:  # SIFT: whole numbers in 0..255 stored as float
        desc = np.clip(np.rint(desc), 0, 255).astype(np.uint8)
    return LocalFeatures(positions, desc, gray.shape)


@functools.lru_cache(maxsize=8)
def _sift(max_keypoints, contrast_threshold):
    import cv2

    return cv2.SIFT_create(nfeatures=max_keypoints, contrastThreshold=contrast_threshold)


@functools.lru_cache(maxsize=8)
def _orb(max_keypoints, fast_threshold):
    import cv2

    return cv2.ORB_create(nfeatures=max_keypoints, fastThreshold=fast_threshold)


def dense_sift(gray: np.ndarray, step: int = 4, bin_sizes=(4, 8)) -> tuple[np.ndarray, np.ndarray]:
    """SIFT descriptors on a dense grid, computed for the whole grid at once (as VLFeat's dsift).

    For each bin width ``b``: the image is smoothed (sigma ``b / 6``), its gradient magnitude is
    split between the two nearest of 8 orientations, each orientation map is filtered by a
    triangular kernel of half-width ``b`` (bilinear spatial binning), and the 4 x 4 bins around
    every grid point are read off and weighted by a Gaussian window (sigma 2 bins). Each 128-d
    descriptor is L2-normalised, clipped at 0.2 and renormalised as in Lowe's SIFT, then scaled to
    0..255. Patches with almost no gradient (mean magnitude below 0.5 grey level per pixel) get
    the zero descriptor, so flat regions fall in one visual word instead of amplified noise.

    Parameters
    ----------
    gray : ndarray of uint8, shape (h, w)
    step : int
        Grid spacing in pixels.
    bin_sizes : tuple of int
        Bin widths; a patch is ``4 * b`` pixels wide and must fit inside the image.

    Returns
    -------
    positions : ndarray of float32, shape (n, 2)
        Patch centres ``(x, y)``.
    descriptors : ndarray of uint8, shape (n, 128)
        Layout (bin row, bin column, orientation) as OpenCV's SIFT.
    """
    import cv2

    image = gray.astype(np.float32)
    h, w = image.shape
    all_pos, all_desc = [], []
    window = np.exp(-((np.arange(4) - 1.5) ** 2) / (2 * 2.0 ** 2)).astype(np.float32)
    window = window[:, None] * window[None, :]  # (4, 4) Gaussian weight per spatial bin
    for b in bin_sizes:
        b = int(b)
        half = 2 * b
        xs = np.arange(half, w - half + 1, step)
        ys = np.arange(half, h - half + 1, step)
        if len(xs) == 0 or len(ys) == 0:
            continue
        smooth = cv2.GaussianBlur(image, (0, 0), b / 6.0) if b >= 2 else image
        gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=1, scale=0.5)
        gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=1, scale=0.5)
        magnitude, angle = cv2.cartToPolar(gx, gy)  # angle in radians, [0, 2 pi)
        t = angle * (8.0 / (2.0 * np.pi))
        channels = np.empty((h, w, 8), np.float32)
        for k in range(8):
            distance = np.abs(t - k)
            distance = np.minimum(distance, 8.0 - distance)
            channels[:, :, k] = magnitude * np.maximum(0.0, 1.0 - distance)
        kernel = np.concatenate([np.arange(1, b + 1), np.arange(b - 1, 0, -1)]).astype(np.float32) / b ** 2
        binned = cv2.sepFilter2D(channels, -1, kernel, kernel, borderType=cv2.BORDER_REFLECT)
        offsets = ((np.arange(4) - 1.5) * b).astype(np.int64)  # b even: whole pixels; odd: rounded down
        cells = np.empty((len(ys), len(xs), 4, 4, 8), np.float32)
        for i, oy in enumerate(offsets):
            rows = binned[ys + oy]
            for j, ox in enumerate(offsets):
                cells[:, :, i, j, :] = rows[:, xs + ox, :] * window[i, j]
        desc = cells.reshape(-1, 128)
        mean_magnitude = desc.sum(axis=1) / window.sum()
        norms = np.linalg.norm(desc, axis=1, keepdims=True)
        desc = desc / np.maximum(norms, 1e-12)
        np.minimum(desc, 0.2, out=desc)
        desc /= np.maximum(np.linalg.norm(desc, axis=1, keepdims=True), 1e-12)
        desc[mean_magnitude < 0.5] = 0.0
        all_desc.append(np.minimum(np.rint(desc * 512.0), 255).astype(np.uint8))
        gx_, gy_ = np.meshgrid(xs, ys)
        all_pos.append(np.stack([gx_.ravel(), gy_.ravel()], axis=1).astype(np.float32))
    if not all_desc:
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.uint8)
    return np.concatenate(all_pos), np.concatenate(all_desc)


def dense_sift_opencv(gray: np.ndarray, step: int = 8, sizes=(8, 16)) -> tuple[np.ndarray, np.ndarray]:
    """SIFT descriptors computed by OpenCV at grid keypoints of diameter ``sizes`` (``dense-sift-cv``).

    OpenCV describes a keypoint of size ``s`` from its Gaussian scale space at sigma ``s / 2`` over a
    window about ``6 s`` pixels wide, so these patches are large and smooth; about ten times slower
    than :func:`dense_sift`.
    """
    import cv2

    h, w = gray.shape
    keypoints = [cv2.KeyPoint(float(x), float(y), float(size)) for size in sizes
                 for y in range(size // 2, h - size // 2 + 1, step) for x in range(size // 2, w - size // 2 + 1, step)]
    desc = _sift(500, 0.04).compute(gray, keypoints)[1] if keypoints else None
    if desc is None or len(desc) == 0:
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.uint8)
    positions = np.array([kp.pt for kp in keypoints], dtype=np.float32)
    return positions, np.clip(np.rint(desc), 0, 255).astype(np.uint8)


def as_float(descriptors: np.ndarray, kind: str) -> np.ndarray:
    """Stored uint8 descriptors as the float32 vectors the codebooks and encodings work on.

    ``sift`` / ``dense-sift``: the values as floats. ``rootsift`` / ``dense-rootsift``: L1-normalised
    then square-rooted (Arandjelovic & Zisserman 2012), so Euclidean distance between them is the
    Hellinger distance between the SIFT histograms (rows have unit L2 norm; zero rows stay zero).
    ``orb``: the 256 bits as 0.0 / 1.0, for which the squared Euclidean distance *is* the Hamming
    distance, so one BLAS nearest-codeword routine serves binary and float descriptors.

    Examples
    --------
    >>> import numpy as np
    >>> as_float(np.array([[0, 4, 12]], np.uint8), "rootsift").astype(float).round(3).tolist()
    [[0.0, 0.5, 0.866]]
    >>> as_float(np.array([[5]], np.uint8), "orb").tolist()
    [[0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0]]
    """
    if kind in BINARY_DESCRIPTORS:
        return np.unpackbits(descriptors, axis=1).astype(np.float32)
    out = descriptors.astype(np.float32)
    if kind.endswith("rootsift"):
        out /= np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
        np.sqrt(out, out=out)
    return out
