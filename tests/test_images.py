"""Image reading: formats, odd images (alpha, palette, 16-bit, EXIF, tiny) and bad files built on the fly."""

import cv2
import numpy as np
import pytest

from xmodal.images.io import ImageReadError, read_image


def _gradient(h=30, w=40):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 6 % 256, y * 8 % 256, (x + y) * 3 % 256], axis=2).astype(np.uint8)


def test_read_image_channels_alpha_and_depth(tmp_path):
    gray = np.full((5, 7), 100, np.uint8)
    assert read_image(gray).shape == (5, 7, 3) and (read_image(gray) == 100).all()
    bgra = np.zeros((4, 4, 4), np.uint8)
    bgra[:2, :, 3] = 255  # top half opaque black, bottom half fully transparent
    bgra[2:, :, 3] = 0
    cv2.imwrite(str(tmp_path / "a.png"), bgra)
    img = read_image(tmp_path / "a.png")
    assert (img[:2] == 0).all() and (img[2:] == 255).all()  # transparent composited on white
    half = bgra.copy()
    half[:, :, 3] = 128  # half-transparent black on white -> 255 * (1 - 128/255) = 127
    cv2.imwrite(str(tmp_path / "h.png"), half)
    assert (read_image(tmp_path / "h.png") == 127).all()
    deep = np.array([[65535, 1000], [0, 32768]], np.uint16)
    cv2.imwrite(str(tmp_path / "d.png"), deep)
    np.testing.assert_array_equal(read_image(tmp_path / "d.png")[:, :, 0], [[255, 4], [0, 128]])  # v * 255 / 65535
    big = np.zeros((400, 200, 3), np.uint8)
    assert read_image(big, max_side=100).shape == (100, 50, 3)
    assert read_image(np.zeros((10, 30), np.uint8), min_side=20).shape == (20, 60, 3)


def test_palette_and_grey_alpha_pngs(tmp_path):
    from PIL import Image

    pal = Image.new("P", (4, 2))
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)  # index 0 red, index 1 blue
    pal.putpixel((0, 0), 1)
    pal.save(tmp_path / "p.png", transparency=0)  # index 0 transparent
    img = read_image(tmp_path / "p.png")
    assert img[0, 0].tolist() == [255, 0, 0]  # blue pixel, in BGR
    assert (img[1] == 255).all()  # transparent red composited on white
    Image.new("LA", (3, 3), (10, 255)).save(tmp_path / "la.png")
    assert (read_image(tmp_path / "la.png") == 10).all()


@pytest.mark.parametrize("ext", [".bmp", ".tif", ".webp", ".png", ".jpg"])
def test_formats_round_trip(tmp_path, ext):
    img = _gradient()
    path = tmp_path / f"g{ext}"
    assert cv2.imwrite(str(path), img)
    out = read_image(path)
    assert out.shape == img.shape and out.dtype == np.uint8
    if ext in (".bmp", ".tif", ".png"):
        np.testing.assert_array_equal(out, img)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_opencv_colour_decoder(tmp_path, orientation):
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.jpg"
    Image.fromarray(_gradient()[:, :, ::-1]).save(path, exif=exif.tobytes(), quality=95)
    reference = cv2.imread(str(path), cv2.IMREAD_COLOR)  # OpenCV's colour decoder applies EXIF orientation
    out = read_image(path)
    assert out.shape == reference.shape
    np.testing.assert_array_equal(out, reference)
    if orientation in (5, 6, 7, 8):
        assert out.shape[:2] == (40, 30)  # portrait after a quarter turn


def test_bad_files_name_the_file(tmp_path):
    with pytest.raises(ImageReadError, match="nope.jpg: cannot read"):
        read_image(tmp_path / "nope.jpg")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty.png: empty file"):
        read_image(tmp_path / "empty.png")
    (tmp_path / "text.jpg").write_text("not an image at all")
    with pytest.raises(ImageReadError, match="text.jpg: not a readable image"):
        read_image(tmp_path / "text.jpg")
    ok, data = cv2.imencode(".jpg", (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8))
    (tmp_path / "cut.jpg").write_bytes(data.tobytes()[: len(data) // 2])
    with pytest.raises(ImageReadError, match="cut.jpg: truncated JPEG") as info:
        read_image(tmp_path / "cut.jpg")
    assert info.value.path.endswith("cut.jpg") and info.value.kind == "unreadable"
    ok, data = cv2.imencode(".png", _gradient())
    (tmp_path / "cut.png").write_bytes(data.tobytes()[: len(data) // 2])
    with pytest.raises(ImageReadError, match="cut.png: not a readable image"):
        read_image(tmp_path / "cut.png")
    with pytest.raises(ImageReadError, match="NaN"):
        read_image(np.full((3, 3), np.nan, np.float32))
    cv2.imwrite(str(tmp_path / "dot.png"), np.zeros((1, 1, 3), np.uint8))
    assert read_image(tmp_path / "dot.png", min_side=16).shape == (16, 16, 3)  # upscaled when allowed
    with pytest.raises(ImageReadError, match=r"dot.png: image is 1x1 pixels, smaller than reject_below=8") as info:
        read_image(tmp_path / "dot.png", reject_below=8)
    assert info.value.kind == "too small"
