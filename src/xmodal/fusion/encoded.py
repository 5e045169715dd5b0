"""A collection with its images and texts encoded by fitted encoders, rows kept aligned."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from xmodal.fusion.items import Items, caption_mean

TEXT_ROW = "__xmodal_text_row"


@dataclass
class Encoded:
    """A collection and its feature rows.

    Attributes
    ----------
    collection : Collection
        The collection (its metadata holds each text's row in ``X_text``).
    X_image : ndarray of shape (n_images, d_image)
    X_text : ndarray or sparse matrix of shape (n_texts, d_text)

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.datasets.collection import Collection
    >>> c = Collection(np.eye(2), np.array([[1.0], [3.0], [5.0]]), np.array([0, 0, 1]),
    ...                splits=np.array(["train", "test"]))
    >>> e = encode(None, None, c, fit=False)
    >>> e.subset("train").items().X_text
    array([[2.]])
    """

    collection: object
    X_image: object
    X_text: object

    def take(self, image_index) -> "Encoded":
        """The given images with all their texts (rows kept aligned)."""
        image_index = np.asarray(image_index, dtype=np.int64)
        sub = self.collection.take(image_index)
        return Encoded(sub, self.X_image[image_index], self.X_text[sub.metadata[TEXT_ROW]])

    def subset(self, *splits) -> "Encoded":
        """The images of the given split(s), with their texts."""
        if self.collection.splits is None:
            raise ValueError("the collection has no split column")
        return self.take(np.flatnonzero(np.isin(self.collection.splits, splits)))

    def items(self) -> Items:
        """One item per image: its image row and the mean of its captions' rows."""
        c = self.collection
        return Items(self.X_image, caption_mean(self.X_text, c.text_image, c.n_images), labels=c.labels,
                     ids=c.image_ids, splits=c.splits)


def _features(encoder, items, fit):
    if encoder is None:
        return items.tocsr() if hasattr(items, "tocsr") else np.asarray(items, dtype=np.float64)
    return encoder.fit_transform(items) if fit else encoder.transform(items)


def _image_features(encoder, images, fit, known):
    """Image rows; with ``known`` (an :class:`Encoded` by the same fitted encoder), image files it
    holds are not read again, their rows are copied."""
    if fit or known is None or encoder is None or not isinstance(images, list):
        return _features(encoder, images, fit)
    row_of = {path: i for i, path in enumerate(known.collection.images) if isinstance(path, str)}
    rows = [row_of.get(path) for path in images]
    new = [i for i, r in enumerate(rows) if r is None]
    if len(new) == len(images):
        return _features(encoder, images, fit)
    out = np.empty((len(images), known.X_image.shape[1]), dtype=np.asarray(known.X_image).dtype)
    seen = [i for i, r in enumerate(rows) if r is not None]
    out[seen] = known.X_image[[rows[i] for i in seen]]
    if new:
        out[new] = encoder.transform([images[i] for i in new])
    return out


def encode(image_encoder, text_encoder, collection, fit, timings=None, known=None) -> Encoded:
    """Encode every image and text of ``collection`` (fitting the encoders first when ``fit``).

    Encoders are scikit-learn style transformers; None means the collection already holds
    feature rows. Seconds per modality are added to ``timings`` when given. ``known``: an
    :class:`Encoded` made by the same fitted encoders, whose image rows are reused for the same
    image paths (encoding images is the slow part).
    """
    from xmodal.datasets.collection import Collection

    timings = {} if timings is None else timings
    start = time.perf_counter()
    X_image = _image_features(image_encoder, collection.images, fit, known)
    timings["image features"] = timings.get("image features", 0.0) + time.perf_counter() - start
    start = time.perf_counter()
    X_text = _features(text_encoder, collection.texts, fit)
    timings["text features"] = timings.get("text features", 0.0) + time.perf_counter() - start
    metadata = dict(collection.metadata)
    metadata[TEXT_ROW] = np.arange(collection.n_texts)
    tracked = Collection(collection.images, collection.texts, collection.text_image, collection.image_ids,
                         collection.labels, collection.splits, metadata)
    return Encoded(tracked, X_image, X_text)
