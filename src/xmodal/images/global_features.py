"""Global image descriptors: HSV colour histogram, LBP texture histogram, HOG and a GIST-like gist.

Each takes a uint8 BGR image and returns a non-negative float32 vector of fixed length; the
:class:`~xmodal.images.encoder.ImageEncoder` normalises every block (power + L2) before joining them.
"""

from __future__ import annotations

import functools

import numpy as np

GLOBAL_FEATURES = ("hsv", "lbp", "hog", "gist")


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


def lbp_histogram(image: np.ndarray, radii=((8, 1), (8, 3))) -> np.ndarray:
    """Uniform local binary pattern histograms (rotation-invariant, scikit-image) over a 1x1 + 2x2 grid.

    For each ``(points, radius)`` the ``points + 2`` uniform-pattern codes are counted in the whole
    image and in each quarter, each histogram L1-normalised.

    Returns
    -------
    ndarray of float32, shape (5 * sum(points + 2),)   (100 with the default radii)

    Examples
    --------
    >>> import numpy as np
    >>> img = (np.random.default_rng(0).random((32, 32, 3)) * 255).astype(np.uint8)
    >>> h = lbp_histogram(img)
    >>> h.shape, round(float(h[:10].sum()), 4)
    ((100,), 1.0)
    """
    from skimage.feature import local_binary_pattern

    gray = _gray(image)
    h, w = gray.shape
    cells = [(slice(0, h), slice(0, w))] + [
        (slice(r * h // 2, (r + 1) * h // 2), slice(c * w // 2, (c + 1) * w // 2)) for r in range(2) for c in range(2)]
    out = []
    for points, radius in radii:
        codes = local_binary_pattern(gray, points, radius, method="uniform").astype(np.int64)
        for rows, cols in cells:
            counts = np.bincount(codes[rows, cols].ravel(), minlength=points + 2)[:points + 2]
            out.append(counts / max(counts.sum(), 1))
    return np.concatenate(out).astype(np.float32)


def hog_descriptor(image: np.ndarray, size: int = 128) -> np.ndarray:
    """Histogram of oriented gradients of the whole image resized to ``size`` x ``size`` (scikit-image).

    16-pixel cells, 2x2-cell blocks with a one-cell stride, 9 orientations, L2-Hys block norms.

    Returns
    -------
    ndarray of float32, shape (((size // 16) - 1) ** 2 * 36,)   (1764 for size 128)

    Examples
    --------
    >>> import numpy as np
    >>> hog_descriptor(np.zeros((50, 70, 3), np.uint8)).shape
    (1764,)
    """
    import cv2
    from skimage.feature import hog

    gray = cv2.resize(_gray(image), (size, size), interpolation=cv2.INTER_AREA)
    return hog(gray, orientations=9, pixels_per_cell=(16, 16), cells_per_block=(2, 2),
               block_norm="L2-Hys").astype(np.float32)


def gist_descriptor(image: np.ndarray, size: int = 128, n_scales: int = 4, n_orientations: int = 8,
                    grid: int = 4) -> np.ndarray:
    """A GIST-like scene descriptor (Oliva & Torralba 2001): Gabor energy averaged on a coarse grid.

    The grey image is resized to ``size`` x ``size``, log-compressed and contrast-normalised
    (local mean removed, divided by local standard deviation), filtered in the frequency domain by
    a bank of log-Gabor filters (``n_scales`` octaves from 0.25 cycles/pixel down,
    ``n_orientations`` orientations), and the magnitude of each response is averaged over a
    ``grid`` x ``grid`` partition.

    Returns
    -------
    ndarray of float32, shape (n_scales * n_orientations * grid * grid,)   (512 by default)

    Examples
    --------
    >>> import numpy as np
    >>> g = gist_descriptor((np.random.default_rng(0).random((60, 80, 3)) * 255).astype(np.uint8))
    >>> g.shape, bool((g >= 0).all())
    ((512,), True)
    """
    import cv2

    if size % grid:
        raise ValueError(f"size={size} must be a multiple of grid={grid}")
    gray = cv2.resize(_gray(image), (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
    gray = np.log1p(gray)
    gray -= cv2.GaussianBlur(gray, (0, 0), 4.0)
    local_std = np.sqrt(cv2.GaussianBlur(gray * gray, (0, 0), 4.0))
    gray /= 0.2 + local_std
    spectrum = np.fft.fft2(gray)
    bank = _log_gabor_bank(size, n_scales, n_orientations)
    energy = np.abs(np.fft.ifft2(spectrum[None] * bank))  # (n_filters, size, size)
    cell = size // grid
    pooled = energy.reshape(len(bank), grid, cell, grid, cell).mean(axis=(2, 4))
    return pooled.ravel().astype(np.float32)


@functools.lru_cache(maxsize=4)
def _log_gabor_bank(size, n_scales, n_orientations):
    fy, fx = np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij")
    radius = np.hypot(fx, fy)
    radius[0, 0] = 1.0
    theta = np.arctan2(fy, fx)
    filters = []
    for s in range(n_scales):
        f0 = 0.25 / 2 ** s
        radial = np.exp(-(np.log(radius / f0) ** 2) / (2 * np.log(0.55) ** 2))
        radial[0, 0] = 0.0
        for o in range(n_orientations):
            angle = o * np.pi / n_orientations
            diff = np.abs(np.angle(np.exp(1j * (theta - angle))))  # one lobe: complex (quadrature) response
            spread = np.pi / n_orientations / 1.2
            filters.append(radial * np.exp(-(diff ** 2) / (2 * spread ** 2)))
    return np.stack(filters).astype(np.float32)


def _gray(image):
    import cv2

    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


GLOBAL_FUNCTIONS = {"hsv": hsv_histogram, "lbp": lbp_histogram, "hog": hog_descriptor, "gist": gist_descriptor}


def describe_global(image: np.ndarray, name: str) -> np.ndarray:
    """The global descriptor called ``name`` (one of :data:`GLOBAL_FEATURES`) of a BGR image.

    Examples
    --------
    >>> import numpy as np
    >>> describe_global(np.zeros((8, 8, 3), np.uint8), "hsv").shape
    (128,)
    """
    if name not in GLOBAL_FUNCTIONS:
        raise ValueError(f"unknown global feature {name!r}; choose from {list(GLOBAL_FEATURES)}")
    return GLOBAL_FUNCTIONS[name](image)
