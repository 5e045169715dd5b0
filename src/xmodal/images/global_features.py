"""Global image descriptors: colour histograms."""

from __future__ import annotations

import numpy as np


def hsv_histogram(image: np.ndarray, bins=(8, 4, 4)) -> np.ndarray:
    """Joint HSV colour histogram, L1-normalised.

    Parameters
    ----------
    image : ndarray of uint8, shape (h, w, 3), BGR
    bins : tuple of 3 ints
        Bins for hue (0..180 in OpenCV), saturation and value.

    Returns
    -------
    ndarray of float32, shape (prod(bins),)

    Examples
    --------
    >>> import numpy as np
    >>> float(hsv_histogram(np.zeros((4, 4, 3), np.uint8)).sum())
    1.0
    """
    import cv2

    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, list(bins), [0, 180, 0, 256, 0, 256]).ravel()
    total = hist.sum()
    return (hist / total if total > 0 else hist).astype(np.float32)
