import cv2
import numpy as np
import pytest

from xmodal.images.codebook import assign_words, fit_codebook
from xmodal.images.descriptors import sift_descriptors
from xmodal.images.encoder import ImageEncoder
from xmodal.images.encodings import bovw_histogram, hellinger_l2
from xmodal.images.global_features import hsv_histogram
from xmodal.images.io import ImageReadError, read_image


def test_read_image_channels_alpha_and_depth(tmp_path):
    gray = np.full((5, 7), 100, np.uint8)
    assert read_image(gray).shape == (5, 7, 3) and (read_image(gray) == 100).all()
    bgra = np.zeros((4, 4, 4), np.uint8)
    bgra[:2, :, 3] = 255  # top half opaque black, bottom half fully transparent
    cv2.imwrite(str(tmp_path / "a.png"), bgra)
    img = read_image(tmp_path / "a.png")
    assert (img[:2] == 0).all() and (img[2:] == 255).all()  # transparent composited on white
    deep = np.full((3, 3), 65535, np.uint16)
    cv2.imwrite(str(tmp_path / "d.png"), deep)
    assert (read_image(tmp_path / "d.png") == 255).all()
    big = np.zeros((400, 200, 3), np.uint8)
    assert read_image(big, max_side=100).shape == (100, 50, 3)


def test_read_image_errors_name_the_file(tmp_path):
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
    with pytest.raises(ImageReadError, match="cut.jpg: truncated JPEG"):
        read_image(tmp_path / "cut.jpg")
    with pytest.raises(ImageReadError, match="NaN"):
        read_image(np.full((3, 3), np.nan, np.float32))


def test_dense_sift_grid_and_flat_images():
    img = (np.random.default_rng(0).random((64, 80)) * 255).astype(np.uint8)
    d = sift_descriptors(img, dense=True, step=8, sizes=(16,))
    # centres at 8, 16, ..., up to size - 8: 7 rows x 9 columns
    assert d.shape == (7 * 9, 128) and d.dtype == np.float32
    flat = np.full((64, 64), 128, np.uint8)
    assert sift_descriptors(flat, dense=False).shape == (0, 128)
    root = sift_descriptors(img, dense=True, step=16, sizes=(16,), root=True)
    np.testing.assert_allclose((root ** 2).sum(axis=1), 1.0, rtol=1e-5)


def test_codebook_assignment_is_the_nearest_centre():
    rng = np.random.default_rng(0)
    X = rng.random((500, 16)).astype(np.float32)
    C = fit_codebook(X, 10, seed=0)
    brute = ((X[:, None, :] - C[None]) ** 2).sum(-1).argmin(1)
    np.testing.assert_array_equal(assign_words(X, C, block=64), brute)
    h = bovw_histogram(X[:50], C)
    assert h.shape == (10,) and np.isclose(h.sum(), 1.0)
    assert not bovw_histogram(np.zeros((0, 16), np.float32), C).any()
    with pytest.raises(ValueError, match="only 5 descriptors"):
        fit_codebook(X[:5], 10)


def test_hellinger_and_hsv():
    H = hellinger_l2(np.array([[0.25, 0.75], [0.0, 0.0]], np.float32))
    np.testing.assert_allclose(H[0], np.sqrt([0.25, 0.75]), rtol=1e-6)
    assert not H[1].any()
    red = np.zeros((8, 8, 3), np.uint8)
    red[:, :, 2] = 255
    h = hsv_histogram(red)
    assert h.shape == (128,) and h.max() == 1.0  # all pixels in one bin


def test_encoder_deterministic_unit_norm_and_thread_independent(image_folder):
    folder, names = image_folder
    paths = [str(folder / n) for n in names]
    a = ImageEncoder(n_words=12, n_jobs=1, seed=3).fit_transform(paths)
    enc = ImageEncoder(n_words=12, n_jobs=2, seed=3).fit(paths)
    b = enc.transform(paths)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert a.shape == (6, 12 + 128) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    # same-kind images (even index: red disc) are closer to each other than to the other kind
    sim = a @ a.T
    assert sim[0, 2] > sim[0, 1] and sim[1, 3] > sim[1, 2]


def test_encoder_blank_image_and_validation(image_folder):
    folder, names = image_folder
    paths = [str(folder / n) for n in names]
    enc = ImageEncoder(features="sift+hsv", n_words=4).fit(paths)
    blank = enc.transform([np.full((100, 100, 3), 200, np.uint8)])
    assert not blank[0, :4].any() and blank[0, 4:].any()  # no keypoints: empty BoVW, colour still there
    with pytest.raises(ValueError, match="unknown image feature 'gist'"):
        ImageEncoder(features="dense-sift+gist").fit(paths)
    with pytest.raises(ValueError, match="one local descriptor"):
        ImageEncoder(features="sift+dense-sift").fit(paths)
    with pytest.raises(ValueError, match="n_words must be a positive int"):
        ImageEncoder(n_words=0).fit(paths)
    with pytest.raises(TypeError, match="not a single image"):
        ImageEncoder().fit(paths[0])
    with pytest.raises(ImageReadError, match="missing.png"):
        enc.transform([str(folder / "missing.png")])
