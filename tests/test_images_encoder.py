"""ImageEncoder: every encoding and descriptor, bad images under each on_error policy, cache, workers."""

import cv2
import numpy as np
import pytest

from xmodal.images.encoder import ImageEncoder
from xmodal.images.io import ImageReadError


def _paths(image_folder):
    folder, names = image_folder
    return [str(folder / n) for n in names]


@pytest.mark.parametrize("features, encoding, pyramid, dim", [
    ("dense-sift+hsv", "bovw", "1x1", 12 + 128),
    ("dense-rootsift", "soft", "1x1+2x2", 12 * 5),
    ("rootsift", "vlad", "1x1", 4 * 128),
    ("dense-sift", "fisher", "1x1+3x1", 4 * 2 * 8 * 4),
    ("orb+lbp", "bovw", "1x1", 12 + 100),
    ("orb", "vlad", "1x1", 4 * 256),
    ("gist+hog", "bovw", "1x1", 512 + 1764),
])
def test_every_encoding_gives_unit_rows(image_folder, features, encoding, pyramid, dim):
    paths = _paths(image_folder)
    n_words = 12 if encoding in ("bovw", "soft") else 4
    enc = ImageEncoder(features, encoding=encoding, n_words=n_words, pyramid=pyramid, pca_dim=8, out_dim=None,
                       n_jobs=1, min_side=240 if "orb" in features else 96)  # ORB keeps 31 px from the borders
    X = enc.fit_transform(paths)
    assert X.shape == (6, dim) == (6, enc.n_features_out_) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-4)
    np.testing.assert_allclose(enc.transform(paths), X, atol=1e-5)  # fit_transform == fit + transform


def test_encoder_separates_the_two_kinds(image_folder):
    X = ImageEncoder(n_words=12, n_jobs=1, seed=3).fit_transform(_paths(image_folder))
    sim = X @ X.T  # even index: red disc, odd: blue square
    assert sim[0, 2] > sim[0, 1] and sim[1, 3] > sim[1, 2]


def test_workers_give_identical_features(image_folder):
    paths = _paths(image_folder) * 2
    one = ImageEncoder("sift+hsv", n_words=10, n_jobs=1, seed=3).fit(paths)
    two = ImageEncoder("sift+hsv", n_words=10, n_jobs=2, seed=3)
    np.testing.assert_array_equal(one.transform(paths), two.fit_transform(paths))  # two worker processes


def _bad_folder(tmp_path, image_folder):
    paths = _paths(image_folder)
    (tmp_path / "text.jpg").write_text("not an image")
    ok, data = cv2.imencode(".jpg", cv2.imread(paths[0]))
    (tmp_path / "cut.jpg").write_bytes(data.tobytes()[:200])
    cv2.imwrite(str(tmp_path / "dot.png"), np.zeros((1, 1, 3), np.uint8))
    rgba = np.zeros((90, 90, 4), np.uint8)
    cv2.circle(rgba, (45, 45), 30, (30, 30, 220, 255), -1)  # an opaque disc on a transparent ground
    cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    cv2.imwrite(str(tmp_path / "deep.png"), (cv2.imread(paths[1], cv2.IMREAD_GRAYSCALE).astype(np.uint16) * 257))
    bad = [str(tmp_path / n) for n in ("text.jpg", "cut.jpg", "dot.png")]
    odd = [str(tmp_path / "rgba.png"), str(tmp_path / "deep.png")]
    return paths, bad, odd


def test_on_error_policies_and_report(tmp_path, image_folder):
    paths, bad, odd = _bad_folder(tmp_path, image_folder)
    images = paths[:3] + bad + odd + paths[3:]  # 11 images, 3 bad
    with pytest.raises(ImageReadError, match="text.jpg: not a readable image"):
        ImageEncoder(n_words=8, n_jobs=1).fit(images)
    zero = ImageEncoder(n_words=8, n_jobs=1, on_error="zero")
    X = zero.fit_transform(images)
    assert X.shape[0] == 11 and not X[3:6].any() and np.allclose(np.linalg.norm(np.delete(X, [3, 4, 5], 0), axis=1), 1)
    assert zero.report_["encoded"] == 8 and zero.report_["unreadable"] == 2 and zero.report_["too small"] == 1
    assert zero.report_["upscaled"] == 8  # the 80x96 / 90x90 images are brought up to min_side=96
    assert any("cut.jpg: truncated JPEG" in e for e in zero.errors_)
    assert any("dot.png: image is 1x1 pixels" in e for e in zero.errors_)
    skip = ImageEncoder(n_words=8, n_jobs=1, on_error="skip")
    Y = skip.fit_transform(images)
    np.testing.assert_array_equal(skip.kept_, [0, 1, 2, 6, 7, 8, 9, 10])
    np.testing.assert_allclose(Y, np.delete(X, [3, 4, 5], 0), atol=1e-6)  # bad images never enter the codebook
    T = skip.transform(bad + paths[:1])
    assert T.shape == (1, skip.n_features_out_) and skip.report_["unreadable"] == 2
    with pytest.raises(ImageReadError, match="cut.jpg"):
        ImageEncoder(n_words=8, n_jobs=1).fit(paths).transform(bad[1:2])


def test_images_without_keypoints_keep_their_global_blocks(image_folder):
    enc = ImageEncoder("sift+hsv", encoding="bovw", n_words=4, out_dim=None, n_jobs=1).fit(_paths(image_folder))
    blank = enc.transform([np.full((100, 100, 3), 200, np.uint8), np.full((100, 100), 0, np.uint8)])
    assert not blank[:, :4].any() and blank[:, 4:].any()  # empty BoVW, colour still there
    np.testing.assert_allclose(np.linalg.norm(blank, axis=1), np.sqrt(0.5), rtol=1e-5)
    assert enc.report_["no keypoints"] == 2 and enc.report_["encoded"] == 2
    reduced = ImageEncoder(features="sift+hsv", n_words=4, out_dim=3, n_jobs=1).fit(_paths(image_folder))
    assert not reduced.transform([np.full((100, 100, 3), 200, np.uint8)])[0, :3].any()  # PCA keeps it empty


def test_cache_reuses_features_by_content(tmp_path, image_folder):
    paths = _paths(image_folder)
    cache = tmp_path / "cache"
    first = ImageEncoder("sift+hsv", n_words=6, n_jobs=1, cache=cache)
    X = first.fit_transform(paths)
    assert first.report_["from cache"] == 0 and len(list(cache.rglob("*.npz"))) == 6
    again = ImageEncoder("sift+hsv", n_words=6, n_jobs=1, cache=cache)
    np.testing.assert_array_equal(again.fit_transform(paths), X)
    assert again.report_["from cache"] == 6
    copy = tmp_path / "renamed.png"
    copy.write_bytes(open(paths[0], "rb").read())  # same content, new name: still a hit
    again.transform([str(copy)])
    assert again.report_["from cache"] == 1
    other = ImageEncoder("sift+hsv", n_words=6, n_jobs=1, cache=cache, max_keypoints=50)
    other.fit(paths)
    assert other.report_["from cache"] == 0  # other extraction parameters: other key


def test_validation_messages(image_folder):
    paths = _paths(image_folder)
    with pytest.raises(ValueError, match="unknown image feature 'surf'"):
        ImageEncoder(features="dense-sift+surf").fit(paths)
    with pytest.raises(ValueError, match="one local descriptor"):
        ImageEncoder(features="sift+dense-sift").fit(paths)
    with pytest.raises(ValueError, match="n_words must be a positive int"):
        ImageEncoder(n_words=0).fit(paths)
    with pytest.raises(ValueError, match="unknown encoding 'vlab'"):
        ImageEncoder(encoding="vlab").fit(paths)
    with pytest.raises(ValueError, match="on_error must be one of"):
        ImageEncoder(on_error="ignore").fit(paths)
    with pytest.raises(ValueError, match="n_jobs must be None, -1 or a positive int"):
        ImageEncoder(n_jobs=0, n_words=4).fit(paths)
    with pytest.raises(TypeError, match="not a single image"):
        ImageEncoder().fit(paths[0])
    with pytest.raises(ValueError, match="only .* descriptors to build a codebook of 500 words"):
        ImageEncoder("sift", encoding="bovw", n_jobs=1).fit(paths[:1])


def test_out_dim_reduces_the_local_block_by_pca(image_folder):
    paths = _paths(image_folder)
    enc = ImageEncoder("rootsift+hsv", encoding="vlad", n_words=4, out_dim=3, n_jobs=1)
    X = enc.fit_transform(paths)
    assert X.shape == (6, 3 + 128) and enc.reduction_[1].shape == (3, 4 * 128)
    np.testing.assert_allclose(np.linalg.norm(X[:, :3], axis=1), np.sqrt(0.5), rtol=1e-4)
    np.testing.assert_allclose(enc.transform(paths), X, atol=1e-5)
    capped = ImageEncoder("rootsift", encoding="vlad", n_words=4, out_dim=50, n_jobs=1).fit(paths)
    assert capped.n_features_out_ == 5  # six training images span five dimensions around their mean


def test_default_encoder_runs_in_a_script_without_a_main_guard(tmp_path):
    # Spawned workers re-import an unguarded script and crash it; the library default stays in-process.
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "import numpy as np\n"
        "from xmodal.images.encoder import ImageEncoder\n"
        "images = np.random.default_rng(0).integers(0, 255, size=(240, 24, 24, 3), dtype=np.uint8)\n"
        "print(ImageEncoder('hsv').fit_transform(list(images)).shape)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(240, 128)"


def test_workers_in_an_unguarded_script_fail_with_the_remedy(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "unguarded_workers.py"
    script.write_text(
        "import numpy as np\n"
        "from xmodal.images.encoder import ImageEncoder\n"
        "images = np.random.default_rng(0).integers(0, 255, size=(8, 24, 24, 3), dtype=np.uint8)\n"
        "ImageEncoder('hsv', n_jobs=2).fit_transform(list(images))\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "RuntimeError: the 2 image worker processes died" in done.stderr
    assert 'if __name__ == "__main__":' in done.stderr.splitlines()[-1]
