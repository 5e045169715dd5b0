import numpy as np
import pytest

from xmodal.datasets.features import FeaturesFileError, read_features, write_features


def arrays(rng, n_train=6, n_test=4):
    return (rng.random((n_train, 3)), rng.random((n_train, 2)), rng.random((n_test, 3)), rng.random((n_test, 2)))


def test_round_trip_with_labels(tmp_path):
    rng = np.random.default_rng(0)
    a = arrays(rng)
    f = tmp_path / "f.npz"
    write_features(f, *a, label_train=np.arange(6) % 2, label_test=np.arange(4) % 2)
    c = read_features(f)
    assert c.n_images == c.n_texts == 10
    np.testing.assert_array_equal(c.images[:6], a[0])
    np.testing.assert_array_equal(c.texts[6:], a[3])
    assert list(c.splits) == ["train"] * 6 + ["test"] * 4
    assert list(c.labels) == [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]
    assert list(tmp_path.iterdir()) == [f]  # nothing temporary left behind


@pytest.mark.parametrize("edit, pattern", [
    (lambda d: d["image_train"].__setitem__((2, 1), np.nan), r"image_train holds 1 NaN .* row 2, column 1"),
    (lambda d: d.__setitem__("text_test", d["text_test"][:3]), "image_test has 4 rows but text_test has 3"),
    (lambda d: d.__setitem__("image_test", d["image_test"][:, :2]), "image_train has 3 columns but image_test has 2"),
    (lambda d: d.pop("text_train"), r"missing array\(s\) \['text_train'\]"),
    (lambda d: d.__setitem__("label_train", np.zeros(6)), "both label_train and label_test"),
    (lambda d: d.__setitem__("image_train", np.zeros(6)), "non-empty 2-D"),
])
def test_bad_features_files_name_the_array(tmp_path, edit, pattern):
    rng = np.random.default_rng(1)
    names = ("image_train", "text_train", "image_test", "text_test")
    data = dict(zip(names, arrays(rng)))
    edit(data)
    f = tmp_path / "bad.npz"
    np.savez(f, **data)
    with pytest.raises(FeaturesFileError, match=pattern) as info:
        read_features(f)
    assert "bad.npz" in str(info.value)


def test_not_an_npz(tmp_path):
    f = tmp_path / "x.npz"
    f.write_text("hello")
    with pytest.raises(FeaturesFileError, match="not a readable .npz"):
        read_features(f)
    with pytest.raises(FeaturesFileError, match="not found"):
        read_features(tmp_path / "none.npz")
