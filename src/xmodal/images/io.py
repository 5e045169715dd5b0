"""Reading images from disk into uint8 BGR arrays, with errors that name the file."""

from __future__ import annotations

import os

import numpy as np


class ImageReadError(ValueError):
    """An image file is missing, truncated, corrupt or not an image at all."""


def read_image(image, max_side: int | None = None) -> np.ndarray:
    """Read an image as a uint8 BGR array of shape (h, w, 3).

    Alpha (BGRA, grey+alpha, palette with transparency) is composited on white; grey images are
    expanded to three channels; 16-bit images are scaled to 8 bits. A JPEG that does not end with
    its end-of-image marker is reported as truncated instead of being returned half grey.

    Parameters
    ----------
    image : str, os.PathLike or ndarray
        A file path, or an already decoded array (uint8 grey, BGR or BGRA).
    max_side : int or None
        If given, images whose longest side exceeds it are downscaled (area interpolation).

    Returns
    -------
    ndarray of uint8, shape (h, w, 3)

    Raises
    ------
    ImageReadError
        When the file is missing, empty, truncated, corrupt or not an image; the message names it.

    Examples
    --------
    >>> import numpy as np
    >>> read_image(np.zeros((4, 5), np.uint8)).shape
    (4, 5, 3)
    """
    import cv2

    if isinstance(image, np.ndarray):
        array, name = image, "<array>"
    else:
        name = os.fspath(image)
        try:
            data = np.fromfile(name, dtype=np.uint8)
        except (FileNotFoundError, IsADirectoryError, PermissionError) as err:
            raise ImageReadError(f"{name}: cannot read image file ({err.__class__.__name__})") from None
        if data.size == 0:
            raise ImageReadError(f"{name}: empty file, not an image")
        if data[:2].tobytes() == b"\xff\xd8" and b"\xff\xd9" not in data[-1024:].tobytes():
            raise ImageReadError(f"{name}: truncated JPEG (no end-of-image marker)")
        array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
        if array is None:
            raise ImageReadError(f"{name}: not a readable image (corrupt file or unsupported format)")
    return _to_bgr8(array, name, max_side)


def _to_bgr8(array: np.ndarray, name: str, max_side: int | None) -> np.ndarray:
    import cv2

    if array.dtype == np.uint16:
        array = (array >> 8).astype(np.uint8)
    elif array.dtype in (np.float32, np.float64):
        if not np.isfinite(array).all():
            raise ImageReadError(f"{name}: image array holds NaN or infinite values")
        array = np.clip(array * (255.0 if array.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    elif array.dtype != np.uint8:
        raise ImageReadError(f"{name}: unsupported pixel type {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        array = cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)
    elif array.ndim == 3 and array.shape[2] == 4:
        alpha = array[:, :, 3:4].astype(np.float32) / 255.0
        array = (array[:, :, :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
    elif not (array.ndim == 3 and array.shape[2] == 3):
        raise ImageReadError(f"{name}: unsupported image shape {array.shape}")
    if min(array.shape[:2]) < 1:
        raise ImageReadError(f"{name}: image has no pixels")
    if max_side is not None and max(array.shape[:2]) > max_side:
        scale = max_side / max(array.shape[:2])
        size = (max(1, round(array.shape[1] * scale)), max(1, round(array.shape[0] * scale)))
        array = cv2.resize(array, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(array)
