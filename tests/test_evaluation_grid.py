import doctest
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from xmodal.evaluation import grid
from xmodal.evaluation.grid import (
    IRRELEVANT_BGR,
    QUERY_BGR,
    RELEVANT_BGR,
    grid_cell_size,
    write_result_grid,
)

GAP = 4  # margin around the bordered tile inside a cell


def solid(bgr, height=40, width=40):
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = bgr
    return image


def cell_origin(row, column, thumb_size):
    height, width = grid_cell_size(thumb_size)
    return row * height, column * width


def border_pixel(canvas, row, column, thumb_size):
    y, x = cell_origin(row, column, thumb_size)
    return tuple(int(v) for v in canvas[y + GAP, x + GAP])


def tile_centre(canvas, row, column, thumb_size):
    y, x = cell_origin(row, column, thumb_size)
    border = max(2, round(thumb_size / 24))
    top = GAP + border
    return tuple(int(v) for v in canvas[y + top + thumb_size // 2, x + top + thumb_size // 2])


def test_cell_size_hand_computed():
    # border 4, label strip 19, gap 4 on each side
    assert grid_cell_size(96) == (96 + 8 + 8 + 19, 96 + 8 + 8)
    # minimum border 2 and label strip 14
    assert grid_cell_size(16) == (16 + 4 + 8 + 14, 16 + 4 + 8)


def test_png_with_expected_size_and_borders(tmp_path):
    path = tmp_path / "grid.png"
    rows = [
        {"query": "a red circle", "results": [(solid((0, 0, 255)), 0.9, True), ("a red disc", 0.5, False),
                                               (solid((255, 0, 0)), 0.1, False)]},
        {"query": solid((0, 255, 0)), "results": [("green square", 0.7, True)]},
    ]
    written = write_result_grid(path, rows, thumb_size=64)
    assert written == path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    canvas = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    cell_height, cell_width = grid_cell_size(64)
    assert canvas.shape == (2 * cell_height, 4 * cell_width, 3)

    assert border_pixel(canvas, 0, 0, 64) == QUERY_BGR
    assert border_pixel(canvas, 0, 1, 64) == RELEVANT_BGR
    assert border_pixel(canvas, 0, 2, 64) == IRRELEVANT_BGR
    assert border_pixel(canvas, 0, 3, 64) == IRRELEVANT_BGR
    assert border_pixel(canvas, 1, 0, 64) == QUERY_BGR
    assert border_pixel(canvas, 1, 1, 64) == RELEVANT_BGR
    # green is green and red is red
    b, g, r = RELEVANT_BGR
    assert g > 120 and b < 60 and r < 60
    b, g, r = IRRELEVANT_BGR
    assert r > 120 and b < 60 and g < 60
    # the unused cells of the short row are white
    y, x = cell_origin(1, 2, 64)
    assert (canvas[y:, x:] == 255).all()
    # image tiles show the image
    assert tile_centre(canvas, 0, 1, 64) == (0, 0, 255)
    assert tile_centre(canvas, 0, 3, 64) == (255, 0, 0)
    assert tile_centre(canvas, 1, 0, 64) == (0, 255, 0)
    assert os.listdir(tmp_path) == ["grid.png"]


def test_text_tile_has_light_background_and_ink(tmp_path):
    path = write_result_grid(tmp_path / "t.png", [{"query": "hello world", "results": []}], thumb_size=64)
    canvas = cv2.imread(str(path))
    assert canvas.shape == grid_cell_size(64) + (3,)
    top = GAP + max(2, round(64 / 24))
    tile = canvas[top:top + 64, top:top + 64].astype(int)
    corner = tile[-2, -2]
    assert corner.min() > 200 and not (corner == 255).all()  # light, distinct from the white canvas
    assert (tile.sum(axis=2) < 300).sum() > 20  # dark text pixels


def test_score_is_printed_under_the_tile(tmp_path):
    def strip(score):
        path = write_result_grid(tmp_path / "s.png", [{"query": "q", "results": [(solid(0), score, True)]}],
                                 thumb_size=64)
        canvas = cv2.imread(str(path))
        height, width = grid_cell_size(64)
        label_top = GAP + 64 + 2 * max(2, round(64 / 24))
        return canvas[label_top:height, width:2 * width]

    a, b = strip(0.25), strip(0.75)
    assert (a < 128).any()  # something is written
    assert not np.array_equal(a, b)  # and it depends on the score
    np.testing.assert_array_equal(strip(0.25), a)


def test_non_ascii_text_is_drawn_as_question_marks(tmp_path):
    a = cv2.imread(str(write_result_grid(tmp_path / "a.png", [{"query": "caf\u00e9 \u4e2d", "results": []}])))
    b = cv2.imread(str(write_result_grid(tmp_path / "b.png", [{"query": "caf? ?", "results": []}])))
    np.testing.assert_array_equal(a, b)


def test_long_text_is_wrapped_inside_the_tile(tmp_path):
    text = "word " * 200 + "averyveryveryverylongwordwithoutanyspaces"
    path = write_result_grid(tmp_path / "long.png", [{"query": text, "results": []}], thumb_size=48)
    canvas = cv2.imread(str(path))
    assert canvas.shape == grid_cell_size(48) + (3,)
    # the border around the text tile is intact: text never spills over it
    border = max(2, round(48 / 24))
    ring = np.concatenate([canvas[GAP, GAP:GAP + 48 + 2 * border], canvas[GAP + 48 + 2 * border - 1,
                                                                          GAP:GAP + 48 + 2 * border]])
    assert (ring == QUERY_BGR).all()


def test_grayscale_bgra_and_other_dtypes(tmp_path):
    gray = np.full((30, 30), 77, dtype=np.uint8)
    gray1 = np.full((30, 30, 1), 99, dtype=np.uint8)
    bgra_opaque = np.zeros((30, 30, 4), dtype=np.uint8)
    bgra_opaque[:] = (10, 20, 30, 255)
    bgra_clear = np.zeros((30, 30, 4), dtype=np.uint8)
    as_float = np.full((30, 30, 3), 0.5, dtype=np.float32)
    as_u16 = np.full((30, 30), 257 * 40, dtype=np.uint16)
    rows = [{"query": gray, "results": [(gray1, 1.0, True), (bgra_opaque, 0.5, True), (bgra_clear, 0.2, False),
                                         (as_float, 0.1, False), (as_u16, 0.0, False)]}]
    canvas = cv2.imread(str(write_result_grid(tmp_path / "g.png", rows, thumb_size=32)))
    assert tile_centre(canvas, 0, 0, 32) == (77, 77, 77)
    assert tile_centre(canvas, 0, 1, 32) == (99, 99, 99)
    assert tile_centre(canvas, 0, 2, 32) == (10, 20, 30)
    assert tile_centre(canvas, 0, 3, 32) == (255, 255, 255)  # fully transparent over white
    assert tile_centre(canvas, 0, 4, 32) == (128, 128, 128)
    assert tile_centre(canvas, 0, 5, 32) == (40, 40, 40)


def test_images_keep_their_aspect_ratio(tmp_path):
    wide = solid((0, 0, 0), height=20, width=80)  # resized to 64 x 16, centred vertically
    canvas = cv2.imread(str(write_result_grid(tmp_path / "w.png", [{"query": wide, "results": []}],
                                              thumb_size=64)))
    top = GAP + max(2, round(64 / 24))
    tile = canvas[top:top + 64, top:top + 64]
    dark_rows = np.flatnonzero((tile < 50).all(axis=(1, 2)))
    assert len(dark_rows) == 16 and dark_rows[0] == 24
    assert (tile[:24] == 255).all() and (tile[40:] == 255).all()


def test_overwrites_atomically_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "out.PNG"
    path.write_bytes(b"old")
    write_result_grid(str(path), [{"query": "q", "results": [("r", 1.0, True)]}])
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert sorted(os.listdir(tmp_path)) == ["out.PNG"]


def test_failed_rename_keeps_old_file_and_removes_temporary(tmp_path, monkeypatch):
    path = tmp_path / "out.png"
    path.write_bytes(b"old")

    def failing_replace(src, dst):
        assert Path(src).parent == Path(dst).parent == tmp_path  # same folder
        assert Path(src).exists()
        raise OSError("disk full")

    monkeypatch.setattr(grid.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_result_grid(path, [{"query": "q", "results": []}])
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.png"]


def test_returns_a_path(tmp_path):
    result = write_result_grid(str(tmp_path / "r.png"), [{"query": "q", "results": []}])
    assert isinstance(result, Path) and result == tmp_path / "r.png"


@pytest.mark.parametrize(
    "name, rows, kwargs, error, match",
    [
        ("e.png", [], {}, ValueError, "rows"),
        ("e.jpg", [{"query": "q", "results": []}], {}, ValueError, "png"),
        ("e", [{"query": "q", "results": []}], {}, ValueError, "png"),
        ("e.png", [{"query": "q"}], {}, ValueError, "results"),
        ("e.png", [{"results": []}], {}, ValueError, "query"),
        ("e.png", [{"query": "q", "results": [("r", 1.0)]}], {}, ValueError, r"rows\[0\]\['results'\]\[0\]"),
        ("e.png", [{"query": 3, "results": []}], {}, TypeError, "query"),
        ("e.png", [{"query": "q", "results": [("r", "high", True)]}], {}, TypeError, "score"),
        ("e.png", [{"query": "q", "results": [("r", 1.0, 1)]}], {}, TypeError, "relevant"),
        ("e.png", [{"query": np.zeros((2, 2, 2, 3), np.uint8), "results": []}], {}, ValueError, "shape"),
        ("e.png", [{"query": np.zeros((0, 5), np.uint8), "results": []}], {}, ValueError, "empty"),
        ("e.png", [{"query": np.zeros((5, 5), np.int8), "results": []}], {}, TypeError, "dtype"),
        ("e.png", [{"query": "q", "results": []}], {"thumb_size": 8}, ValueError, "thumb_size"),
        ("e.png", ["not a dict"], {}, TypeError, r"rows\[0\]"),
        ("e.png", "not rows", {}, TypeError, "rows"),
    ],
)
def test_bad_input(tmp_path, name, rows, kwargs, error, match):
    with pytest.raises(error, match=match):
        write_result_grid(tmp_path / name, rows, **kwargs)
    assert os.listdir(tmp_path) == []


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_result_grid(tmp_path / "nope" / "g.png", [{"query": "q", "results": []}])


def test_docstring_examples():
    result = doctest.testmod(grid, verbose=False)
    assert result.attempted > 0 and result.failed == 0
