"""Relevance matrices for retrieval evaluation: which gallery items are relevant to which query.

Two ways to say "relevant", both giving a boolean matrix of shape (n_queries, n_gallery) for
:mod:`xmodal.evaluation.metrics`:

- :func:`relevance_from_labels`: same class label (category-level retrieval, e.g. Wikipedia or
  Pascal Sentences, where every item of the query's class counts);
- :func:`relevance_from_ids`: same identity (instance-level retrieval, e.g. Flickr8k / COCO, where a
  caption is relevant only to the image it describes; several captions share one image id).

Labels and ids are 1-D array-likes of integers or of strings (not a mix). Missing values
(``None``, NaN, empty or blank strings) raise a ``ValueError`` naming the position, because a
missing label silently equal to another missing label would inflate every metric.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

__all__ = ["relevance_from_ids", "relevance_from_labels"]


def _missing(name, position, value):
    return ValueError(f"{name}[{position}] is missing ({value!r}); every item needs a label")


def _check_keys(keys, name):
    """Return ``keys`` as a 1-D int64 or str array, or raise naming ``name`` and the position."""
    # A list such as [1, "a"] would silently become strings in np.asarray; keep Python objects
    # so that mixed types and None are caught element by element.
    raw = keys if isinstance(keys, np.ndarray) else np.asarray(keys, dtype=object)
    if raw.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence; got an array with {raw.ndim} dimension(s)")
    if raw.size == 0:
        raise ValueError(f"{name} is empty")
    kind = raw.dtype.kind
    if kind in "iub":
        return raw.astype(np.int64)
    if kind == "U":
        blank = np.char.str_len(np.char.strip(raw)) == 0
        if blank.any():
            position = int(np.flatnonzero(blank)[0])
            raise _missing(name, position, raw[position].item())
        return raw
    if kind == "f":
        nan = np.isnan(raw)
        if nan.any():
            position = int(np.flatnonzero(nan)[0])
            raise _missing(name, position, raw[position].item())
        fractional = ~np.isfinite(raw) | (raw != np.round(raw))
        if fractional.any():
            position = int(np.flatnonzero(fractional)[0])
            raise ValueError(
                f"{name}[{position}] is {raw[position].item()!r}; labels must be integers or strings"
            )
        return raw.astype(np.int64)
    if kind == "O":
        return _check_object_keys(raw, name)
    raise TypeError(f"{name} must hold integers or strings; got dtype {raw.dtype}")


def _check_object_keys(raw, name):
    """Validate an object array element by element (None, NaN, mixed types)."""
    is_text = None
    values = []
    for position, value in enumerate(raw):
        if value is None:
            raise _missing(name, position, value)
        if isinstance(value, str):
            if not value.strip():
                raise _missing(name, position, value)
            text = True
        elif isinstance(value, Integral):
            value = int(value)
            text = False
        elif isinstance(value, Real):
            if np.isnan(value):
                raise _missing(name, position, value)
            if not np.isfinite(value) or value != int(value):
                raise ValueError(f"{name}[{position}] is {value!r}; labels must be integers or strings")
            value = int(value)
            text = False
        else:
            raise TypeError(f"{name}[{position}] is {value!r} of type {type(value).__name__}; "
                            "labels must be integers or strings")
        if is_text is None:
            is_text = text
        elif text != is_text:
            raise TypeError(f"{name} mixes integers and strings (see position {position}); use one type")
        values.append(value)
    return np.array(values, dtype=str if is_text else np.int64)


def _equal_keys(query_keys, gallery_keys, query_name, gallery_name):
    """Boolean matrix ``query_keys[:, None] == gallery_keys[None, :]`` after validation."""
    query_keys = _check_keys(query_keys, query_name)
    gallery_keys = _check_keys(gallery_keys, gallery_name)
    query_is_text = query_keys.dtype.kind == "U"
    if query_is_text != (gallery_keys.dtype.kind == "U"):
        kinds = ("strings", "integers") if query_is_text else ("integers", "strings")
        raise TypeError(
            f"{query_name} holds {kinds[0]} but {gallery_name} holds {kinds[1]}; "
            "nothing would match. Convert both to the same type"
        )
    # Compare small integer codes rather than strings in the (n_queries, n_gallery) broadcast.
    _, codes = np.unique(np.concatenate([query_keys, gallery_keys]), return_inverse=True)
    codes = codes.ravel()
    return codes[: query_keys.size, None] == codes[None, query_keys.size :]


def relevance_from_labels(query_labels, gallery_labels):
    """Relevance by class: gallery item ``j`` is relevant to query ``i`` iff their labels are equal.

    relevant[i, j] = (query_labels[i] == gallery_labels[j])

    Parameters
    ----------
    query_labels : array-like of shape (n_queries,)
        Class label of each query: integers or strings (integer-valued floats are accepted).
    gallery_labels : array-like of shape (n_gallery,)
        Class label of each gallery item, of the same type as ``query_labels``.

    Returns
    -------
    relevant : ndarray of shape (n_queries, n_gallery), bool
        True where the labels match.

    Raises
    ------
    ValueError
        If a label is missing (None, NaN, empty or blank string), naming its position, or if an
        input is not 1-D or is empty.
    TypeError
        If one side holds strings and the other integers, or a label has another type.

    Examples
    --------
    >>> from xmodal.evaluation.relevance import relevance_from_labels
    >>> relevance_from_labels(["cat", "dog"], ["dog", "cat", "cat"])
    array([[False,  True,  True],
           [ True, False, False]])
    """
    return _equal_keys(query_labels, gallery_labels, "query_labels", "gallery_labels")


def relevance_from_ids(query_ids, gallery_ids):
    """Relevance by identity: gallery item ``j`` is relevant to query ``i`` iff it has the same id.

    relevant[i, j] = (query_ids[i] == gallery_ids[j])

    Typical use is instance-level image-text retrieval: for caption -> image search, ``query_ids``
    holds each caption's image id (several captions share one) and ``gallery_ids`` each image's id;
    for image -> caption search, swap the two, so each image query has all its captions relevant.

    Parameters
    ----------
    query_ids : array-like of shape (n_queries,)
        Id of each query: integers or strings.
    gallery_ids : array-like of shape (n_gallery,)
        Id of each gallery item, of the same type as ``query_ids``.

    Returns
    -------
    relevant : ndarray of shape (n_queries, n_gallery), bool
        True where the ids match.

    Raises
    ------
    ValueError
        If an id is missing (None, NaN, empty or blank string), naming its position, or if an
        input is not 1-D or is empty.
    TypeError
        If one side holds strings and the other integers, or an id has another type.

    Examples
    --------
    >>> from xmodal.evaluation.relevance import relevance_from_ids
    >>> caption_image_ids = [7, 7, 9]
    >>> image_ids = [9, 7]
    >>> relevance_from_ids(caption_image_ids, image_ids)
    array([[False,  True],
           [False,  True],
           [ True, False]])
    """
    return _equal_keys(query_ids, gallery_ids, "query_ids", "gallery_ids")
