"""The in-memory form of a dataset: images, their captions, labels and splits."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SPLITS = ("train", "val", "test")


@dataclass
class Collection:
    """Images and texts, with which text describes which image.

    A collection holds ``n_images`` images and ``n_texts`` texts. Every text belongs to one image
    (``text_image[j]`` is the image index of text ``j``); an image may have several texts (captions).
    Images are either file paths (raw pipeline) or rows of a precomputed feature matrix; texts are
    either strings or rows of a precomputed feature matrix.

    Parameters
    ----------
    images : list of str or ndarray of shape (n_images, d_image)
        Image paths, or precomputed image features.
    texts : list of str or ndarray of shape (n_texts, d_text)
        Texts, or precomputed text features.
    text_image : ndarray of shape (n_texts,)
        Index into ``images`` of the image each text describes.
    image_ids : ndarray of str, shape (n_images,)
        A name per image (its path relative to the manifest, or its row number).
    labels : ndarray of shape (n_images,) or None
        One class label per image (texts inherit their image's label). With labels, relevance is
        "same label"; without, a text is relevant only to its own image.
    splits : ndarray of str, shape (n_images,) or None
        ``"train"``, ``"val"`` or ``"test"`` per image.
    metadata : dict of str -> ndarray of shape (n_texts,)
        Extra manifest columns, one value per text row.
    skipped : list of str
        Rows dropped while reading (with ``on_error="skip"``), one message each.

    Examples
    --------
    >>> import numpy as np
    >>> c = Collection(images=["a.jpg", "b.jpg"], texts=["a cat", "a kitten", "a dog"],
    ...                text_image=np.array([0, 0, 1]), labels=np.array(["cat", "dog"]),
    ...                splits=np.array(["train", "test"]))
    >>> c.subset("train").texts
    ['a cat', 'a kitten']
    """

    images: list | np.ndarray
    texts: list | np.ndarray
    text_image: np.ndarray
    image_ids: np.ndarray | None = None
    labels: np.ndarray | None = None
    splits: np.ndarray | None = None
    metadata: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)

    def __post_init__(self):
        self.text_image = np.asarray(self.text_image, dtype=np.int64)
        n_images, n_texts = len(self.images), len(self.texts)
        if self.text_image.shape != (n_texts,):
            raise ValueError(
                f"text_image has shape {self.text_image.shape}, expected ({n_texts},) (one image index per text)")
        if n_texts and (self.text_image.min() < 0 or self.text_image.max() >= n_images):
            raise ValueError(f"text_image holds indices outside 0..{n_images - 1}")
        if self.image_ids is None:
            self.image_ids = np.array([str(i) for i in range(n_images)])
        self.image_ids = np.asarray(self.image_ids).astype(str)
        for name in ("image_ids", "labels", "splits"):
            value = getattr(self, name)
            if value is not None and len(value) != n_images:
                raise ValueError(f"{name} has {len(value)} entries but there are {n_images} images")
        if self.labels is not None:
            self.labels = np.asarray(self.labels)
        if self.splits is not None:
            self.splits = np.asarray(self.splits).astype(str)
            unknown = sorted(set(self.splits) - set(SPLITS))
            if unknown:
                raise ValueError(f"unknown split(s) {unknown}; expected one of {list(SPLITS)}")
        for key, column in self.metadata.items():
            if len(column) != n_texts:
                raise ValueError(f"metadata column {key!r} has {len(column)} entries, expected {n_texts}")

    @property
    def n_images(self) -> int:
        return len(self.images)

    @property
    def n_texts(self) -> int:
        return len(self.texts)

    @property
    def has_labels(self) -> bool:
        return self.labels is not None

    @property
    def text_labels(self) -> np.ndarray | None:
        """The label of each text (its image's label), or None."""
        return None if self.labels is None else self.labels[self.text_image]

    def split_names(self) -> list[str]:
        """The splits present, in the order train, val, test."""
        if self.splits is None:
            return []
        present = set(self.splits)
        return [s for s in SPLITS if s in present]

    def subset(self, split: str) -> "Collection":
        """The images of one split with their texts, re-indexed from 0."""
        if self.splits is None:
            raise ValueError("this collection has no split column; give one or split it with with_random_split")
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {list(SPLITS)}")
        return self.take(np.flatnonzero(self.splits == split))

    def take(self, image_index) -> "Collection":
        """The given images (by index) with all their texts, re-indexed from 0."""
        image_index = np.asarray(image_index, dtype=np.int64)
        new_position = np.full(self.n_images, -1, dtype=np.int64)
        new_position[image_index] = np.arange(len(image_index))
        text_index = np.flatnonzero(new_position[self.text_image] >= 0)
        # keep texts grouped in the order of the selected images
        text_index = text_index[np.argsort(new_position[self.text_image[text_index]], kind="stable")]
        return Collection(
            images=_take(self.images, image_index),
            texts=_take(self.texts, text_index),
            text_image=new_position[self.text_image[text_index]],
            image_ids=self.image_ids[image_index],
            labels=None if self.labels is None else self.labels[image_index],
            splits=None if self.splits is None else self.splits[image_index],
            metadata={k: np.asarray(v)[text_index] for k, v in self.metadata.items()},
        )

    def with_random_split(self, test_size: float | int = 0.2, seed: int = 0) -> "Collection":
        """A copy whose images are split at random into train and test (seeded, by image)."""
        n = self.n_images
        n_test = int(round(test_size * n)) if isinstance(test_size, float) else int(test_size)
        if not 0 < n_test < n:
            raise ValueError(f"test_size={test_size!r} leaves no train or no test images out of {n}")
        order = np.random.default_rng(seed).permutation(n)
        splits = np.full(n, "train", dtype=object)
        splits[order[:n_test]] = "test"
        return Collection(self.images, self.texts, self.text_image, self.image_ids, self.labels,
                          splits.astype(str), dict(self.metadata))


def _take(items, index):
    if isinstance(items, np.ndarray) or hasattr(items, "tocsr"):
        return items[index]
    return [items[i] for i in index]
