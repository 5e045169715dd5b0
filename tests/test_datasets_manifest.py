import os

import numpy as np
import pytest

from conftest import write_csv
from xmodal.datasets.manifest import ManifestError, read_manifest


def rows_for(names):
    kinds = ["disc", "square"]
    rows = []
    for i, n in enumerate(names):
        split = "test" if i >= 4 else "train"
        rows.append([n, f"a {kinds[i % 2]} picture number {i}", kinds[i % 2], split, f"src{i}"])
        rows.append([n, f"another {kinds[i % 2]}", kinds[i % 2], split, f"src{i}"])
    return rows


def test_reads_images_captions_labels_splits_and_metadata(image_folder):
    folder, names = image_folder
    m = write_csv(folder / "m.csv", ["image", "text", "label", "split", "source"], rows_for(names))
    c = read_manifest(m)
    assert c.n_images == 6 and c.n_texts == 12
    assert list(c.text_image) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert c.images[0] == os.path.normpath(folder / "img0.png")
    assert list(c.labels) == ["disc", "square"] * 3
    assert list(c.splits) == ["train"] * 4 + ["test"] * 2
    assert list(c.metadata["source"][:3]) == ["src0", "src0", "src1"]
    test = c.subset("test")
    assert test.n_images == 2 and list(test.text_image) == [0, 0, 1, 1]
    assert list(test.texts) == ["a disc picture number 4", "another disc", "a square picture number 5", "another square"]


def test_label_column_option_and_absolute_paths(image_folder):
    folder, names = image_folder
    rows = [[str(folder / r[0])] + r[1:] for r in rows_for(names)]
    m = write_csv(folder / "sub.csv", ["image", "text", "label", "split", "source"], rows)
    c = read_manifest(m, label_column="source")
    assert list(c.labels[:2]) == ["src0", "src1"]
    assert "label" in c.metadata  # the unused label column is kept as metadata
    assert read_manifest(m, label_column=None).labels is None
    with pytest.raises(ManifestError, match="no column 'nope'"):
        read_manifest(m, label_column="nope")


@pytest.mark.parametrize("corrupt, pattern", [
    (lambda folder, rows: rows.__setitem__(3, ["missing.png", "text", "disc", "train", "s"]), "line 5: image file not found"),
    (lambda folder, rows: rows.__setitem__(2, [rows[2][0], "   ", "square", "train", "s"]), "line 4: empty text"),
    (lambda folder, rows: rows.__setitem__(1, [rows[1][0], "t", "disc", "validation", "s"]), "line 3: unknown split 'validation'"),
    (lambda folder, rows: rows.__setitem__(1, [rows[1][0], "t", "square", "train", "s"]), "line 3: image 'img0.png' has label 'square'"),
])
def test_bad_rows_raise_with_file_and_line_or_are_skipped(image_folder, corrupt, pattern):
    folder, names = image_folder
    rows = rows_for(names)
    corrupt(folder, rows)
    m = write_csv(folder / "bad.csv", ["image", "text", "label", "split", "source"], rows)
    with pytest.raises(ManifestError, match=pattern) as info:
        read_manifest(m)
    assert "bad.csv" in str(info.value)
    c = read_manifest(m, on_error="skip")
    assert len(c.skipped) == 1 and pattern.split(": ", 1)[1] in c.skipped[0]
    assert c.n_texts == 11


def test_truncated_jpeg_and_non_image_are_reported(image_folder):
    folder, names = image_folder
    data = (folder / "img3.jpg").read_bytes()
    (folder / "img3.jpg").write_bytes(data[: len(data) // 2])
    (folder / "img1.png").write_text("this is not a PNG")
    m = write_csv(folder / "m.csv", ["image", "text", "label", "split", "source"], rows_for(names))
    with pytest.raises(ManifestError, match=r"line 4: .*img1.png: not a readable image"):
        read_manifest(m)
    c = read_manifest(m, on_error="skip")
    assert c.n_images == 4 and len(c.skipped) == 4  # two rows for each of the two bad images
    assert any("truncated JPEG" in s for s in c.skipped)


def test_malformed_manifests(tmp_path, image_folder):
    folder, names = image_folder
    with pytest.raises(ManifestError, match="not found"):
        read_manifest(tmp_path / "nope.csv")
    m = write_csv(tmp_path / "cols.csv", ["img", "caption"], [["a", "b"]])
    with pytest.raises(ManifestError, match=r"missing column\(s\) \['image', 'text'\]"):
        read_manifest(m)
    m = write_csv(tmp_path / "empty.csv", ["image", "text"], [])
    with pytest.raises(ManifestError, match="no rows"):
        read_manifest(m)
    m = write_csv(folder / "allbad.csv", ["image", "text"], [[names[0], ""]])
    with pytest.raises(ManifestError, match="no usable rows"):
        read_manifest(m, on_error="skip")
    with pytest.raises(ValueError, match="on_error"):
        read_manifest(m, on_error="ignore")
