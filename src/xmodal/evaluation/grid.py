"""A PNG picture of retrieval results: one row per query, its results left to right.

Every cell of the grid has the same size (see :func:`grid_cell_size`): a square tile of
``thumb_size`` pixels inside a border, and a strip of text under it. The query tile has a
grey border and the word "query" under it; each result tile has a green border if it is
relevant, a red one if not, and its score under it. Rows with fewer results than the
longest row are padded with white cells.
"""

from __future__ import annotations

from numbers import Integral, Real
import os
from pathlib import Path

import numpy as np

from xmodal._atomic import write_bytes_atomic

__all__ = ["write_result_grid", "grid_cell_size", "RELEVANT_BGR", "IRRELEVANT_BGR", "QUERY_BGR"]

#: Border colours (BGR).
RELEVANT_BGR = (0, 170, 0)
IRRELEVANT_BGR = (0, 0, 210)
QUERY_BGR = (110, 110, 110)

_CANVAS_BGR = (255, 255, 255)
_TEXT_TILE_BGR = (225, 245, 250)
_INK_BGR = (30, 30, 30)
_GAP = 4
_MIN_THUMB_SIZE = 16


def grid_cell_size(thumb_size):
    """Size of one cell of the grid, in pixels.

    Parameters
    ----------
    thumb_size : int
        Side of the square thumbnail inside the cell.

    Returns
    -------
    height, width : int
        ``width = thumb_size + 2 * border + 2 * gap`` and
        ``height = width + label_height``, with ``border = max(2, round(thumb_size / 24))``,
        ``label_height = max(14, round(thumb_size / 5))`` and ``gap = 4``.

    Examples
    --------
    >>> from xmodal.evaluation.grid import grid_cell_size
    >>> grid_cell_size(96)
    (131, 112)
    """
    thumb_size = _check_thumb_size(thumb_size)
    border, label_height = _border_width(thumb_size), _label_height(thumb_size)
    width = thumb_size + 2 * border + 2 * _GAP
    return width + label_height, width


def write_result_grid(path, rows, thumb_size=96):
    """Write a PNG showing queries and their ranked results.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; must end in ``.png`` (any case). Its folder must exist. The file is
        written atomically: to a temporary file in the same folder, then renamed.
    rows : sequence of dict
        One dict per query: ``{"query": item, "results": [(item, score, relevant), ...]}``.
        An item is an image (``uint8``, ``uint16`` or float in [0, 1] array; 2-D grayscale,
        ``H x W x 1``, BGR or BGRA, alpha composited over white) or a ``str`` drawn wrapped
        on a light tile (ASCII only: other characters become ``'?'``). ``score`` is a real
        number printed with three decimals; ``relevant`` selects a green (True), red (False)
        or grey (None: unknown) border. Images are resized to fit the thumbnail, keeping their aspect ratio.
    thumb_size : int, default=96
        Side of each square thumbnail in pixels (at least 16).

    Returns
    -------
    path : pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        If ``rows`` is empty or malformed, ``path`` does not end in ``.png`` or an image
        has an unsupported shape.
    TypeError
        If an item is neither an array nor a string, or a score / relevance has the wrong type.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from xmodal.evaluation.grid import write_result_grid, grid_cell_size
    >>> image = np.zeros((40, 60, 3), dtype=np.uint8)
    >>> out = os.path.join(tempfile.mkdtemp(), "results.png")
    >>> rows = [{"query": "a red circle", "results": [(image, 0.91, True), (image, 0.5, False)]}]
    >>> written = write_result_grid(out, rows, thumb_size=64)
    >>> import cv2
    >>> cv2.imread(str(written)).shape == (grid_cell_size(64)[0], 3 * grid_cell_size(64)[1], 3)
    True
    """
    import cv2

    path = Path(os.fspath(path))
    if path.suffix.lower() != ".png":
        raise ValueError(f"path must end in '.png', got {str(path)!r}")
    thumb_size = _check_thumb_size(thumb_size)
    if isinstance(rows, (str, bytes, dict)) or not hasattr(rows, "__len__"):
        raise TypeError(f"rows must be a list of dicts, got {type(rows).__name__}")
    if len(rows) == 0:
        raise ValueError("rows must not be empty")
    checked = [_check_row(row, i) for i, row in enumerate(rows)]

    n_columns = 1 + max(len(results) for _, results in checked)
    cell_height, cell_width = grid_cell_size(thumb_size)
    canvas = np.empty((len(checked) * cell_height, n_columns * cell_width, 3), dtype=np.uint8)
    canvas[:] = _CANVAS_BGR
    for r, (query, results) in enumerate(checked):
        cells = [(query, "query", QUERY_BGR)]
        cells += [
            (item, f"{score:.3f}", QUERY_BGR if relevant is None else RELEVANT_BGR if relevant else IRRELEVANT_BGR)
            for item, score, relevant in results
        ]
        for c, (item, label, colour) in enumerate(cells):
            where = f"rows[{r}]['query']" if c == 0 else f"rows[{r}]['results'][{c - 1}]"
            cell = canvas[r * cell_height:(r + 1) * cell_height, c * cell_width:(c + 1) * cell_width]
            _draw_cell(cv2, cell, item, label, colour, thumb_size, where)

    ok, encoded = cv2.imencode(".png", canvas)
    if not ok:  # pragma: no cover - PNG encoding of a uint8 BGR array does not fail
        raise RuntimeError(f"could not encode the grid for {str(path)!r} as PNG")
    write_bytes_atomic(path, encoded.tobytes())
    return path


# --------------------------------------------------------------------------- validation


def _check_thumb_size(thumb_size):
    if isinstance(thumb_size, bool) or not isinstance(thumb_size, Integral):
        raise TypeError(f"thumb_size must be an int, got {type(thumb_size).__name__}")
    if thumb_size < _MIN_THUMB_SIZE:
        raise ValueError(f"thumb_size must be >= {_MIN_THUMB_SIZE}, got {thumb_size}")
    return int(thumb_size)


def _check_item(item, where):
    if isinstance(item, str):
        return item
    if isinstance(item, np.ndarray):
        return _as_bgr(item, where)
    raise TypeError(f"{where} must be an image array or a str, got {type(item).__name__}")


def _check_row(row, index):
    where = f"rows[{index}]"
    if not isinstance(row, dict):
        raise TypeError(f"{where} must be a dict, got {type(row).__name__}")
    missing = {"query", "results"} - set(row)
    if missing:
        raise ValueError(f"{where} is missing the key(s) {sorted(missing)}")
    query = _check_item(row["query"], f"{where}['query']")
    results = row["results"]
    if isinstance(results, (str, bytes, dict)) or not hasattr(results, "__iter__"):
        raise TypeError(f"{where}['results'] must be a list of (item, score, relevant) tuples")
    checked = []
    for j, result in enumerate(results):
        at = f"{where}['results'][{j}]"
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise ValueError(f"{at} must be a tuple (item, score, relevant)")
        item, score, relevant = result
        if isinstance(score, (bool, np.bool_)) or not isinstance(score, Real):
            raise TypeError(f"{at}: score must be a real number, got {type(score).__name__}")
        if relevant is not None and not isinstance(relevant, (bool, np.bool_)):
            raise TypeError(f"{at}: relevant must be a bool or None, got {type(relevant).__name__}")
        checked.append((_check_item(item, at), float(score), None if relevant is None else bool(relevant)))
    return query, checked


def _as_bgr(image, where):
    """Convert an image array to uint8 BGR (H, W, 3); alpha is composited over white."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ValueError(
            f"{where} must be a grayscale (H, W), BGR (H, W, 3) or BGRA (H, W, 4) image, "
            f"got shape {image.shape}"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{where} is an empty image of shape {image.shape}")
    if image.dtype == np.uint8:
        pixels = image.astype(np.float32)
    elif image.dtype == np.uint16:
        pixels = image.astype(np.float32) / 257.0
    elif np.issubdtype(image.dtype, np.floating):
        pixels = np.nan_to_num(image.astype(np.float32), nan=0.0) * 255.0
    else:
        raise TypeError(f"{where} must have dtype uint8, uint16 or float, got {image.dtype}")
    pixels = np.clip(pixels, 0.0, 255.0)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    elif pixels.shape[2] == 4:
        alpha = pixels[:, :, 3:] / 255.0
        pixels = pixels[:, :, :3] * alpha + 255.0 * (1.0 - alpha)
    return np.round(pixels).astype(np.uint8)


# --------------------------------------------------------------------------- drawing


def _border_width(thumb_size):
    return max(2, round(thumb_size / 24))


def _label_height(thumb_size):
    return max(14, round(thumb_size / 5))


def _font_scale(thumb_size):
    return max(0.3, thumb_size / 240.0)


def _draw_cell(cv2, cell, item, label, colour, thumb_size, where):
    border = _border_width(thumb_size)
    outer = thumb_size + 2 * border
    cell[_GAP:_GAP + outer, _GAP:_GAP + outer] = colour
    top = left = _GAP + border
    if isinstance(item, str):
        tile = _text_tile(cv2, item, thumb_size)
    else:
        tile = _image_tile(cv2, item, thumb_size)
    cell[top:top + thumb_size, left:left + thumb_size] = tile

    scale = _font_scale(thumb_size)
    (text_width, text_height), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    label_top = _GAP + outer
    x = max(0, (cell.shape[1] - text_width) // 2)
    y = label_top + (_label_height(thumb_size) + text_height) // 2
    cv2.putText(cell, label, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, _INK_BGR, 1, cv2.LINE_AA)


def _image_tile(cv2, image, thumb_size):
    """Fit the image in a square tile, keeping its aspect ratio (white margins)."""
    height, width = image.shape[:2]
    factor = thumb_size / max(height, width)
    new_width = min(thumb_size, max(1, round(width * factor)))
    new_height = min(thumb_size, max(1, round(height * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_width, new_height), interpolation=interpolation)
    tile = np.full((thumb_size, thumb_size, 3), 255, dtype=np.uint8)
    y0, x0 = (thumb_size - new_height) // 2, (thumb_size - new_width) // 2
    tile[y0:y0 + new_height, x0:x0 + new_width] = resized
    return tile


def _ascii(text):
    return "".join(ch if " " <= ch <= "~" or ch.isspace() else "?" for ch in text)


def _wrap(cv2, text, max_width, scale):
    """Greedy word wrap measured with cv2.getTextSize; over-long words are split."""

    def width(s):
        return cv2.getTextSize(s, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0]

    lines, current = [], ""
    for word in text.split():
        while width(word) > max_width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and width(word[:cut]) > max_width:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if width(candidate) <= max_width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _text_tile(cv2, text, thumb_size):
    tile = np.empty((thumb_size, thumb_size, 3), dtype=np.uint8)
    tile[:] = _TEXT_TILE_BGR
    scale = _font_scale(thumb_size)
    margin = max(2, thumb_size // 24)
    line_height = cv2.getTextSize("Ag", cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][1] + max(3, thumb_size // 24)
    max_width = thumb_size - 2 * margin
    lines = _wrap(cv2, _ascii(text), max_width, scale)
    max_lines = max(1, (thumb_size - 2 * margin) // line_height)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and cv2.getTextSize(last + "..", cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] > max_width:
            last = last[:-1]
        lines[-1] = last + ".."
    for i, line in enumerate(lines):
        y = margin + (i + 1) * line_height - max(3, thumb_size // 24) // 2
        cv2.putText(tile, line, (margin, y), cv2.FONT_HERSHEY_SIMPLEX, scale, _INK_BGR, 1, cv2.LINE_AA)
    return tile
