"""Items to classify: one per image, with its image features and its captions' mean text features.

A manifest may give an image several captions (Flickr8k: five). Labels belong to images, so the
unit of classification is the *image*: an item is one image, its image feature row, and the
mean of the text feature rows of its captions. A caption whose text vector is all zero (no word
known to the fitted vocabulary) says nothing and is left out of the mean; an item none of whose
captions is informative has no text, and is classified from its image alone (and the other way
round for an all-zero image row).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def present_rows(X) -> np.ndarray:
    """True for each row of ``X`` (dense or scipy.sparse) holding at least one non-zero value.

    Examples
    --------
    >>> import numpy as np
    >>> present_rows(np.array([[0.0, 1.0], [0.0, 0.0]]))
    array([ True, False])
    """
    if hasattr(X, "tocsr"):
        X = X.tocsr()
        X.eliminate_zeros()
        return np.diff(X.indptr) > 0
    return np.any(np.asarray(X) != 0, axis=1)


def _rows(X, index):
    return X[np.asarray(index)] if X is not None else None


@dataclass
class Items:
    """Items with up to two modalities, each present or missing per item.

    Parameters
    ----------
    X_image : ndarray or sparse matrix of shape (n_items, d_image), or None
        Image feature rows (rows of missing images are ignored; None: no item has an image).
    X_text : ndarray or sparse matrix of shape (n_items, d_text), or None
        Text feature rows.
    labels : ndarray of shape (n_items,) or None
    image_present, text_present : bool ndarray of shape (n_items,) or None
        Which items have each modality; default: the rows that are not all zero.
    ids : ndarray of str, shape (n_items,) or None
    splits : ndarray of str, shape (n_items,) or None

    Examples
    --------
    >>> import numpy as np
    >>> items = Items(np.eye(3), np.array([[1.0], [0.0], [2.0]]), labels=np.array(["a", "b", "a"]))
    >>> items.text_present
    array([ True, False,  True])
    """

    X_image: object = None
    X_text: object = None
    labels: np.ndarray | None = None
    image_present: np.ndarray | None = None
    text_present: np.ndarray | None = None
    ids: np.ndarray | None = None
    splits: np.ndarray | None = None

    def __post_init__(self):
        if self.X_image is None and self.X_text is None:
            raise ValueError("items need image features, text features, or both; got neither")
        counts = {name: X.shape[0] for name, X in (("X_image", self.X_image), ("X_text", self.X_text))
                  if X is not None}
        if len(set(counts.values())) > 1:
            raise ValueError(f"X_image and X_text must have one row per item; got {counts}")
        n = next(iter(counts.values()))
        for name, X in (("image", self.X_image), ("text", self.X_text)):
            attr = f"{name}_present"
            given = getattr(self, attr)
            if X is None:
                setattr(self, attr, np.zeros(n, dtype=bool))
                continue
            present = present_rows(X)
            if given is not None:
                given = np.asarray(given, dtype=bool)
                if given.shape != (n,):
                    raise ValueError(f"{attr} must have one entry per item ({n}), got shape {given.shape}")
                present &= given
            setattr(self, attr, present)
        for name in ("labels", "ids", "splits"):
            value = getattr(self, name)
            if value is not None:
                value = np.asarray(value)
                if value.shape != (n,):
                    raise ValueError(f"{name} must have one entry per item ({n}), got shape {value.shape}")
                setattr(self, name, value)
        if self.ids is None:
            self.ids = np.array([str(i) for i in range(n)])
        empty = np.flatnonzero(~self.image_present & ~self.text_present)
        if empty.size:
            raise ValueError(f"{empty.size} item(s) have neither an image nor a text (all-zero rows), "
                             f"first: item {self.ids[empty[0]]!r}")

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, index) -> "Items":
        """The items at ``index`` (ints or a boolean mask), in that order."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return Items(_rows(self.X_image, index), _rows(self.X_text, index),
                     None if self.labels is None else self.labels[index],
                     self.image_present[index], self.text_present[index], self.ids[index],
                     None if self.splits is None else self.splits[index])

    def subset(self, *splits) -> "Items":
        """The items of the given split(s)."""
        if self.splits is None:
            raise ValueError("these items have no split; give splits or use take()")
        return self.take(np.isin(self.splits, splits))


def caption_mean(X_text, text_image, n_images):
    """Per image, the mean of its captions' non-zero text rows (all zero when it has none).

    Parameters
    ----------
    X_text : ndarray or sparse matrix of shape (n_texts, d)
    text_image : int array of shape (n_texts,)
        Image index of each text.
    n_images : int

    Returns
    -------
    ndarray or sparse CSR matrix of shape (n_images, d) (sparse in, sparse out)

    Examples
    --------
    >>> import numpy as np
    >>> caption_mean(np.array([[1.0, 0.0], [3.0, 2.0], [0.0, 0.0]]), np.array([0, 0, 1]), 2)
    array([[2., 1.],
           [0., 0.]])
    """
    import scipy.sparse as sp

    text_image = np.asarray(text_image, dtype=np.int64)
    informative = present_rows(X_text)
    counts = np.bincount(text_image[informative], minlength=n_images).astype(np.float64)
    weight = np.where(informative, 1.0 / np.maximum(counts[text_image], 1.0), 0.0)
    averaging = sp.csr_matrix((weight, (text_image, np.arange(len(text_image)))), shape=(n_images, len(text_image)))
    mean = averaging @ X_text
    return sp.csr_matrix(mean) if sp.issparse(X_text) else np.asarray(mean)


def items_from_collection(collection, image_features, text_features) -> Items:
    """One item per image of ``collection``: its image row and the mean of its captions' rows.

    Parameters
    ----------
    collection : xmodal.datasets.collection.Collection
    image_features : ndarray of shape (n_images, d_image)
        Rows in the order of ``collection.images``.
    text_features : ndarray or sparse matrix of shape (n_texts, d_text)
        Rows in the order of ``collection.texts``.

    Returns
    -------
    Items
        With the collection's labels, image ids and splits.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.datasets.collection import Collection
    >>> c = Collection(np.eye(2), np.array([[1.0], [3.0], [5.0]]), np.array([0, 0, 1]), labels=np.array([0, 1]))
    >>> items_from_collection(c, c.images, c.texts).X_text.ravel()
    array([2., 5.])
    """
    if image_features.shape[0] != collection.n_images:
        raise ValueError(f"image_features has {image_features.shape[0]} rows for {collection.n_images} images")
    if text_features.shape[0] != collection.n_texts:
        raise ValueError(f"text_features has {text_features.shape[0]} rows for {collection.n_texts} texts")
    return Items(image_features, caption_mean(text_features, collection.text_image, collection.n_images),
                 labels=collection.labels, ids=collection.image_ids, splits=collection.splits)
