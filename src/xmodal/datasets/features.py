"""Features files: precomputed image and text features in one ``.npz``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from xmodal._atomic import savez_atomic
from xmodal.datasets.collection import Collection

REQUIRED = ("image_train", "text_train", "image_test", "text_test")


class FeaturesFileError(ValueError):
    """A features file is missing, malformed, or holds inconsistent arrays."""


def read_features(path) -> Collection:
    """Read a features file into a :class:`Collection` of paired feature rows.

    The ``.npz`` holds ``image_train``, ``text_train``, ``image_test``, ``text_test`` (2-D, finite,
    row ``i`` of the image array paired with row ``i`` of the text array) and optionally
    ``label_train`` and ``label_test`` (1-D, one label per row). Nothing is unpickled.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Collection
        ``images`` and ``texts`` are float arrays; ``splits`` is ``train`` / ``test``.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "f.npz")
    >>> rng = np.random.default_rng(0)
    >>> write_features(f, rng.random((6, 3)), rng.random((6, 2)), rng.random((4, 3)), rng.random((4, 2)))
    >>> read_features(f).n_images
    10
    """
    path = Path(path)
    if not path.is_file():
        raise FeaturesFileError(f"{path}: features file not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise FeaturesFileError(f"{path}: not a readable .npz features file ({err})") from None
    missing = [k for k in REQUIRED if k not in arrays]
    if missing:
        raise FeaturesFileError(f"{path}: missing array(s) {missing}; found {sorted(arrays)}")
    has_labels = "label_train" in arrays or "label_test" in arrays
    if has_labels and not ("label_train" in arrays and "label_test" in arrays):
        raise FeaturesFileError(f"{path}: give both label_train and label_test, or neither")
    for split in ("train", "test"):
        image, text = arrays[f"image_{split}"], arrays[f"text_{split}"]
        for name, a in ((f"image_{split}", image), (f"text_{split}", text)):
            if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
                raise FeaturesFileError(f"{path}: {name} must be a non-empty 2-D array, got shape {a.shape}")
            if not np.issubdtype(a.dtype, np.number):
                raise FeaturesFileError(f"{path}: {name} must be numeric, got dtype {a.dtype}")
            bad = ~np.isfinite(a)
            if bad.any():
                r, c = np.argwhere(bad)[0]
                raise FeaturesFileError(
                    f"{path}: {name} holds {int(bad.sum())} NaN or infinite value(s), first at row {r}, column {c}")
        if image.shape[0] != text.shape[0]:
            raise FeaturesFileError(
                f"{path}: image_{split} has {image.shape[0]} rows but text_{split} has {text.shape[0]}; "
                "rows must be paired")
        if has_labels:
            labels = arrays[f"label_{split}"]
            if labels.ndim != 1 or labels.shape[0] != image.shape[0]:
                raise FeaturesFileError(
                    f"{path}: label_{split} has shape {labels.shape}, expected ({image.shape[0]},)")
    for modality in ("image", "text"):
        d_train, d_test = arrays[f"{modality}_train"].shape[1], arrays[f"{modality}_test"].shape[1]
        if d_train != d_test:
            raise FeaturesFileError(
                f"{path}: {modality}_train has {d_train} columns but {modality}_test has {d_test}")
    n_train, n_test = arrays["image_train"].shape[0], arrays["image_test"].shape[0]
    n = n_train + n_test
    return Collection(
        images=np.vstack([arrays["image_train"], arrays["image_test"]]).astype(np.float64),
        texts=np.vstack([arrays["text_train"], arrays["text_test"]]).astype(np.float64),
        text_image=np.arange(n),
        image_ids=np.array([f"train/{i}" for i in range(n_train)] + [f"test/{i}" for i in range(n_test)]),
        labels=np.concatenate([arrays["label_train"], arrays["label_test"]]) if has_labels else None,
        splits=np.array(["train"] * n_train + ["test"] * n_test),
    )


def write_features(path, image_train, text_train, image_test, text_test, label_train=None, label_test=None):
    """Write a features file atomically (temporary name in the same folder, then rename).

    Parameters are the arrays :func:`read_features` expects; labels are optional but go together.
    """
    arrays = dict(image_train=image_train, text_train=text_train, image_test=image_test, text_test=text_test)
    if (label_train is None) != (label_test is None):
        raise ValueError("give both label_train and label_test, or neither")
    if label_train is not None:
        arrays.update(label_train=np.asarray(label_train), label_test=np.asarray(label_test))
    if Path(path).suffix != ".npz":
        raise ValueError(f"{path}: a features file must end in .npz")
    savez_atomic(path, **arrays)
