"""Reading images from disk into uint8 BGR arrays, with errors that name the file."""

from __future__ import annotations

import os

import numpy as np

#: EXIF orientation tag value -> how to turn the stored pixels upright (applied in order).
_ORIENTATIONS = {
    2: ("flip",),
    3: ("rot180",),
    4: ("flipud",),
    5: ("transpose",),
    6: ("rot270",),
    7: ("transpose", "rot180"),
    8: ("rot90",),
}


class ImageReadError(ValueError):
    """An image file is missing, truncated, corrupt, not an image at all, or too small to describe.

    Attributes
    ----------
    path : str
        The file (or ``"<array>"``) at fault.
    reason : str
        What is wrong with it.
    kind : str
        ``"unreadable"`` (missing, empty, truncated, corrupt, not an image, bad pixel type) or
        ``"too small"`` (shorter side below the rejection threshold).
    """

    def __init__(self, path, reason, kind="unreadable"):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason, self.kind = str(path), reason, kind

    def __reduce__(self):  # picklable across worker processes
        return (type(self), (self.path, self.reason, self.kind))


def read_image(image, max_side: int | None = None, min_side: int | None = None,
               reject_below: int | None = None) -> np.ndarray:
    """Read an image as a uint8 BGR array of shape (h, w, 3).

    JPEG, PNG, BMP, TIFF and WebP (whatever OpenCV decodes) are read unchanged, then: the EXIF
    orientation is applied; alpha (BGRA, grey+alpha, palette with transparency) is composited on
    white; grey images are expanded to three channels; 16-bit images are scaled to 8 bits
    (``v * 255 / 65535``, rounded). A JPEG that does not end with its end-of-image marker is reported
    as truncated instead of being returned half grey.

    Parameters
    ----------
    image : str, os.PathLike or ndarray
        A file path, or an already decoded array (uint8 / uint16 / float grey, BGR or BGRA).
    max_side : int or None
        Images whose longest side exceeds it are downscaled to it (area interpolation).
    min_side : int or None
        Images whose shortest side is below it are upscaled to it (cubic interpolation), as far as
        ``max_side`` allows.
    reject_below : int or None
        Images whose shortest side (as stored) is below it are rejected with ``ImageReadError``
        (``kind="too small"``) instead of being upscaled from next to nothing.

    Returns
    -------
    ndarray of uint8, shape (h, w, 3)

    Raises
    ------
    ImageReadError
        When the file is missing, empty, truncated, corrupt, not an image, or too small; the
        message names it.

    Examples
    --------
    >>> import numpy as np
    >>> read_image(np.zeros((4, 5), np.uint8)).shape
    (4, 5, 3)
    >>> read_image(np.zeros((40, 20), np.uint8), min_side=60, max_side=100).shape
    (100, 50, 3)
    """
    if isinstance(image, np.ndarray):
        array, name = to_bgr8(image), "<array>"
    else:
        name = os.fspath(image)
        array = decode_image(read_bytes(name), name)
    check_size(array, reject_below, name)
    return resize_within(array, max_side, min_side)


def decode_image(data: np.ndarray, name: str = "<bytes>") -> np.ndarray:
    """Encoded image bytes (uint8 array) -> upright uint8 BGR array; errors name ``name``."""
    import cv2

    if data[:2].tobytes() == b"\xff\xd8" and b"\xff\xd9" not in data[-1024:].tobytes():
        raise ImageReadError(name, "truncated JPEG (no end-of-image marker)")
    array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if array is None:
        raise ImageReadError(name, "not a readable image (corrupt file or unsupported format)")
    return to_bgr8(_apply_orientation(array, exif_orientation(data)), name)


def check_size(array: np.ndarray, reject_below: int | None, name: str = "<array>") -> None:
    """Raise ImageReadError (``kind="too small"``) when the shorter side is below ``reject_below``."""
    if reject_below is not None and min(array.shape[:2]) < reject_below:
        raise ImageReadError(name, f"image is {array.shape[1]}x{array.shape[0]} pixels, smaller than "
                                   f"reject_below={reject_below}", kind="too small")


def read_bytes(name: str) -> np.ndarray:
    """The bytes of an image file as a uint8 array; a missing or empty file raises ImageReadError."""
    try:
        data = np.fromfile(name, dtype=np.uint8)
    except (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError) as err:
        raise ImageReadError(name, f"cannot read image file ({err.__class__.__name__})") from None
    if data.size == 0:
        raise ImageReadError(name, "empty file, not an image")
    return data


def exif_orientation(data: np.ndarray) -> int:
    """The EXIF orientation (1..8) stored in encoded image bytes; 1 when there is none.

    Only files that carry an EXIF block (JPEG ``Exif``, PNG ``eXIf``, WebP ``EXIF``) or are TIFF are
    parsed (with Pillow, header only), so the common case costs one byte search.
    """
    head = data[:65536].tobytes()
    is_tiff = head[:4] in (b"II*\x00", b"MM\x00*")
    if not is_tiff and b"Exif\x00\x00" not in head and b"eXIf" not in head and b"EXIF" not in head:
        return 1
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data.tobytes())) as img:
            value = img.getexif().get(0x0112, 1)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return 1
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else 1


def _apply_orientation(array: np.ndarray, orientation: int) -> np.ndarray:
    for step in _ORIENTATIONS.get(orientation, ()):
        if step == "flip":
            array = array[:, ::-1]
        elif step == "flipud":
            array = array[::-1]
        elif step == "rot180":
            array = array[::-1, ::-1]
        elif step == "transpose":
            array = array.swapaxes(0, 1)
        elif step == "rot90":  # counter-clockwise
            array = np.rot90(array, 1)
        else:  # rot270: clockwise
            array = np.rot90(array, -1)
    return array


def to_bgr8(array: np.ndarray, name: str = "<array>") -> np.ndarray:
    """A decoded array (grey / BGR / BGRA, uint8 / uint16 / float) as contiguous uint8 BGR."""
    import cv2

    if array.dtype == np.uint16:
        array = ((array.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    elif array.dtype in (np.float32, np.float64):
        if not np.isfinite(array).all():
            raise ImageReadError(name, "image array holds NaN or infinite values")
        array = np.clip(array * (255.0 if array.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    elif array.dtype != np.uint8:
        raise ImageReadError(name, f"unsupported pixel type {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or min(array.shape[:2]) < 1:
        raise ImageReadError(name, f"unsupported image shape {array.shape} (no pixels or not 2-D)")
    array = np.ascontiguousarray(array)
    if array.ndim == 2:
        array = cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)
    elif array.shape[2] == 4:
        alpha = array[:, :, 3:4].astype(np.float32) / 255.0
        array = (array[:, :, :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
    elif array.shape[2] != 3:
        raise ImageReadError(name, f"unsupported image shape {array.shape}")
    return np.ascontiguousarray(array)


def resize_within(array: np.ndarray, max_side: int | None = None, min_side: int | None = None) -> np.ndarray:
    """Scale an image so its longest side is <= ``max_side`` and, if possible, its shortest >= ``min_side``."""
    import cv2

    h, w = array.shape[:2]
    scale = 1.0
    if max_side is not None and max(h, w) > max_side:
        scale = max_side / max(h, w)
    elif min_side is not None and min(h, w) < min_side:
        scale = min_side / min(h, w)
        if max_side is not None:
            scale = min(scale, max_side / max(h, w))
    if scale == 1.0:
        return array
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
