"""Local descriptors: SIFT at detected keypoints or on a dense multi-scale grid."""

from __future__ import annotations

import numpy as np


def sift_descriptors(image: np.ndarray, dense: bool = True, step: int = 8, sizes=(8, 16),
                     max_keypoints: int = 500, root: bool = False) -> np.ndarray:
    """SIFT descriptors of one image.

    Parameters
    ----------
    image : ndarray of uint8, shape (h, w, 3) or (h, w)
        BGR or grey image.
    dense : bool
        True: descriptors on a regular grid (every ``step`` pixels, one per patch size in ``sizes``),
        which covers textureless regions that keypoint detectors skip. False: the strongest
        ``max_keypoints`` difference-of-Gaussian keypoints.
    step, sizes, max_keypoints
        Grid spacing and patch diameters in pixels (dense); keypoint budget (detected).
    root : bool
        Apply RootSIFT (L1-normalise, then element-wise square root; Arandjelovic & Zisserman 2012).

    Returns
    -------
    ndarray of float32, shape (n_descriptors, 128)
        Possibly with zero rows: an image with no keypoint (a flat colour) gives shape (0, 128).

    Examples
    --------
    >>> import numpy as np
    >>> img = (np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8)
    >>> sift_descriptors(img, dense=True, step=16, sizes=(16,)).shape
    (16, 128)
    """
    import cv2

    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    h, w = gray.shape
    if dense:
        keypoints = [
            cv2.KeyPoint(float(x), float(y), float(size))
            for size in sizes
            for y in range(size // 2, h - size // 2 + 1, step)
            for x in range(size // 2, w - size // 2 + 1, step)
        ]
        sift = cv2.SIFT_create()
        if keypoints:
            _, desc = sift.compute(gray, keypoints)
        else:
            desc = None
    else:
        sift = cv2.SIFT_create(nfeatures=max_keypoints)
        _, desc = sift.detectAndCompute(gray, None)
    if desc is None or len(desc) == 0:
        return np.zeros((0, 128), np.float32)
    desc = desc.astype(np.float32, copy=False)
    if root:
        desc = np.sqrt(desc / np.maximum(desc.sum(axis=1, keepdims=True), 1e-12))
    return desc
