"""Reading a manifest: a CSV of ``image,text`` rows with optional ``label`` and ``split``."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from xmodal.datasets.collection import SPLITS, Collection


class ManifestError(ValueError):
    """A manifest file or one of its rows is unusable; the message names the file and line."""


def read_manifest(path, label_column: str | None = "label", on_error: str = "raise",
                  check_images: bool = True) -> Collection:
    """Read a manifest CSV into a :class:`Collection`.

    The CSV has a header with at least ``image`` and ``text``. ``image`` is a path relative to the
    manifest's folder, or absolute. Rows sharing an image are several captions of that image.
    Optional columns: the label column (``label`` unless ``label_column`` names another one) and
    ``split`` (``train`` / ``val`` / ``test``); every other column is kept as per-row metadata.

    Parameters
    ----------
    path : str or os.PathLike
        The manifest file.
    label_column : str or None
        Column that holds the class label. ``"label"`` is used when present; pass another column
        name (for instance ``"subcategory"``) to use it instead, or None to ignore labels.
    on_error : {"raise", "skip"}
        What to do with a bad row (missing or unreadable image, empty text, unknown split, an image
        given two different labels or splits): raise :class:`ManifestError` naming the file and
        line, or drop the row and record the reason in ``Collection.skipped``.
    check_images : bool
        Decode every image once while reading, so a corrupt file is found here rather than halfway
        through feature extraction.

    Returns
    -------
    Collection

    Examples
    --------
    >>> import tempfile, os, numpy as np, cv2
    >>> d = tempfile.mkdtemp()
    >>> _ = cv2.imwrite(os.path.join(d, "a.png"), np.zeros((8, 8, 3), np.uint8))
    >>> with open(os.path.join(d, "m.csv"), "w") as f:
    ...     _ = f.write("image,text\\na.png,a black square\\na.png,darkness\\n")
    >>> c = read_manifest(os.path.join(d, "m.csv"))
    >>> c.n_images, c.n_texts
    (1, 2)
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"{path}: manifest file not found")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in ("image", "text") if c not in header]
        if missing:
            raise ManifestError(f"{path}: missing column(s) {missing}; the header is {header}")
        if label_column is not None and label_column != "label" and label_column not in header:
            raise ManifestError(f"{path}: no column {label_column!r} to use as the label; the header is {header}")
        use_label = label_column is not None and label_column in header
        rows = list(enumerate(reader, start=2))
    if not rows:
        raise ManifestError(f"{path}: the manifest has a header but no rows")
    extra = [c for c in header if c not in ("image", "text", "split", label_column)]
    images, image_index, texts, text_image = [], {}, [], []
    labels, splits, metadata, skipped = [], [], {c: [] for c in extra}, []
    bad_images: dict[str, str] = {}
    from xmodal.images.io import ImageReadError, read_image

    for line, row in rows:
        def fail(reason):
            message = f"{path}, line {line}: {reason}"
            if on_error == "raise":
                raise ManifestError(message)
            skipped.append(message)

        if None in row or any(row.get(c) is None for c in header):
            fail(f"expected {len(header)} fields, found a different number")
            continue
        text = row["text"].strip()
        rel = row["image"].strip()
        split = row.get("split", "").strip() or None
        label = row[label_column].strip() if use_label else None
        if not rel:
            fail("empty image path")
            continue
        if not text:
            fail(f"empty text for image {rel!r}")
            continue
        if split is not None and split not in SPLITS:
            fail(f"unknown split {split!r}; expected one of {list(SPLITS)}")
            continue
        if use_label and not label:
            fail(f"empty {label_column!r} for image {rel!r}")
            continue
        full = rel if os.path.isabs(rel) else os.path.normpath(path.parent.resolve() / rel)
        if rel not in image_index:
            if rel not in bad_images:
                if not os.path.isfile(full):
                    bad_images[rel] = f"image file not found: {full}"
                elif check_images:
                    try:
                        read_image(full)
                    except ImageReadError as err:
                        bad_images[rel] = str(err)
            if rel in bad_images:
                fail(bad_images[rel])
                continue
            image_index[rel] = len(images)
            images.append(full)
            labels.append(label)
            splits.append(split)
        i = image_index[rel]
        if labels[i] != label:
            fail(f"image {rel!r} has label {label!r} here but {labels[i]!r} on an earlier row")
            continue
        if splits[i] != split:
            fail(f"image {rel!r} has split {split!r} here but {splits[i]!r} on an earlier row")
            continue
        texts.append(text)
        text_image.append(i)
        for c in extra:
            metadata[c].append(row[c])
    if not texts:
        raise ManifestError(f"{path}: no usable rows ({len(skipped)} skipped)")
    # an image whose rows were all dropped keeps no texts: drop it too
    used = np.unique(np.asarray(text_image))
    has_split = any(s is not None for s in splits)
    if has_split and any(s is None for s in splits):
        raise ManifestError(f"{path}: some rows have a split and others do not")
    collection = Collection(
        images=images, texts=texts, text_image=np.asarray(text_image),
        image_ids=np.array(list(image_index)),
        labels=np.array(labels) if use_label else None,
        splits=np.array(splits) if has_split else None,
        metadata={c: np.array(v) for c, v in metadata.items()}, skipped=skipped)
    if len(used) < collection.n_images:
        collection = collection.take(used)
        collection.skipped = skipped
    return collection
