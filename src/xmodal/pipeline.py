"""Pipeline: image encoder + text encoder + projection, fitted on paired data."""

from __future__ import annotations

import inspect
import time
import warnings

import numpy as np

_QUERY_SAMPLE = 250  # training images, and texts, kept in the common space to tune approximate galleries


def default_image_encoder(**params):
    """The default image side: dense RootSIFT Fisher vector (64 Gaussians, PCA to 256) + HSV histogram."""
    from xmodal.images.encoder import ImageEncoder

    return ImageEncoder(**params)


def default_text_encoder(**params):
    """The default text side: word TF-IDF (sublinear tf, English stop words removed)."""
    from xmodal.text.encoder import TextEncoder

    return TextEncoder(**params)


def default_projection(**params):
    """The default projection (see :func:`xmodal.projection.options.default_projection`)."""
    from xmodal.projection.options import default_projection as make

    return make(**params)


class Pipeline:
    """Images and texts into one common space, where cosine similarity ranks either for the other.

    Parameters
    ----------
    image_encoder : transformer or None
        ``fit_transform(images)`` / ``transform(images)`` -> (n, d) features. None: the images
        passed in are already feature rows (a features file). Default: dense RootSIFT Fisher vector (PCA
        to 256) + HSV histogram.
    text_encoder : transformer or None
        Same for texts. Default: word TF-IDF.
    projection : estimator
        ``fit(X_image, X_text, y=None[, groups])``, ``transform_image``, ``transform_text``.
        Default: :class:`~xmodal.projection.auto.AutoProjection`: CCA with its settings
        cross-validated on the training rows or, when ``fit`` gets labels, whichever of CCA and
        the supervised projections cross-validates best.

    Attributes
    ----------
    timings_ : dict of str -> float
        Seconds spent per stage in ``fit`` (``image features``, ``text features``, ``projection``).
    skipped_images_ : ndarray of int
        Images of ``fit`` left out because the image encoder could not read them (its
        ``on_error="skip"``); their texts were left out too, with a warning.
    query_sample_ : dict of str -> ndarray
        Up to 250 training images and 250 training texts in the common space (``"image"``,
        ``"text"``, seeded sample): the queries a gallery's approximate index is tuned on, since
        both kinds search both galleries.
    galleries_ : dict of str -> xmodal.gallery.Gallery
        The ``"image"`` and ``"text"`` collections searched, made by the first ``add_images`` /
        ``add_texts``: searched exactly below 50 000 items, from there with the backend (exact,
        Annoy or LSH) that :class:`~xmodal.search.index.Index` measures fastest.
        Put a ``Gallery(modality, approximate_from=..., backend=...)`` there first to choose otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection.cca import CCA
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(50, 2))
    >>> pipe = Pipeline(None, None, CCA(n_components=2)).fit(z @ rng.normal(size=(2, 4)), z @ rng.normal(size=(2, 3)))
    >>> pipe.embed_images(rng.normal(size=(3, 4))).shape
    (3, 2)
    """

    def __init__(self, image_encoder="default", text_encoder="default", projection="default"):
        self.image_encoder = default_image_encoder() if image_encoder == "default" else image_encoder
        self.text_encoder = default_text_encoder() if text_encoder == "default" else text_encoder
        self.projection = default_projection() if projection == "default" else projection

    def fit(self, images, texts, text_image=None, labels=None):
        """Fit encoders and projection.

        Parameters
        ----------
        images : list of paths / arrays, or ndarray of features, length n_images
        texts : list of str, or ndarray of features, length n_texts
        text_image : array of int, shape (n_texts,), optional
            Which image each text describes; default: text i describes image i.
        labels : array of shape (n_images,), optional
            Class labels; the default projection uses them to score its cross-validation.
        """
        n_images, n_texts = len(images), len(texts)
        text_image = np.arange(n_texts) if text_image is None else np.asarray(text_image, dtype=np.int64)
        if text_image.shape != (n_texts,):
            raise ValueError(f"text_image must hold one image index per text ({n_texts})")
        if text_image.min() < 0 or text_image.max() >= n_images:
            raise ValueError(f"text_image holds indices outside 0..{n_images - 1}")
        self.timings_ = {}
        start = time.perf_counter()
        X_image = self._features(self.image_encoder, images, fit=True)
        self.timings_["image features"] = time.perf_counter() - start
        labels = None if labels is None else np.asarray(labels)[text_image]
        texts, text_image, labels = self._drop_unread(n_images, texts, text_image, labels)
        start = time.perf_counter()
        X_text = self._features(self.text_encoder, texts, fit=True)
        self.timings_["text features"] = time.perf_counter() - start
        start = time.perf_counter()
        fit_projection(self.projection, X_image, X_text, text_image, labels)
        self.timings_["projection"] = time.perf_counter() - start
        rng = np.random.default_rng(0)
        pick = (lambda n: np.sort(rng.choice(n, size=min(n, _QUERY_SAMPLE), replace=False)))
        self.query_sample_ = {"image": self.projection.transform_image(X_image[pick(X_image.shape[0])]),
                              "text": self.projection.transform_text(X_text[pick(X_text.shape[0])])}
        return self

    def _drop_unread(self, n_images, texts, text_image, labels):
        """Leave out the texts of images the encoder skipped (``on_error="skip"``); renumber the rest."""
        kept = getattr(self.image_encoder, "kept_", None)
        self.skipped_images_ = np.setdiff1d(np.arange(n_images), kept if kept is not None else np.arange(n_images))
        if not self.skipped_images_.size:
            return texts, text_image, labels
        row = np.full(n_images, -1)
        row[kept] = np.arange(len(kept))
        with_image = row[text_image] >= 0
        warnings.warn(f"{self.skipped_images_.size} of {n_images} images could not be read and were left out "
                      f"with their {int((~with_image).sum())} texts (skipped_images_ lists them)", stacklevel=3)
        texts = texts[with_image] if isinstance(texts, np.ndarray) else [t for t, w in zip(texts, with_image) if w]
        return texts, row[text_image[with_image]], None if labels is None else labels[with_image]

    @staticmethod
    def _features(encoder, items, fit):
        if encoder is None:
            return np.asarray(items, dtype=np.float64)
        return encoder.fit_transform(items) if fit else encoder.transform(items)

    def image_features(self, images):
        """Image feature rows before projection."""
        return self._features(self.image_encoder, images, fit=False)

    def text_features(self, texts):
        """Text feature rows before projection."""
        return self._features(self.text_encoder, texts, fit=False)

    def embed_images(self, images):
        """Images in the common space, float32 (n, k)."""
        return self.projection.transform_image(self.image_features(images))

    def embed_texts(self, texts):
        """Texts in the common space, float32 (n, k)."""
        return self.projection.transform_text(self.text_features(texts))

    # -- collections and queries ------------------------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "timings_"):
            raise ValueError("this Pipeline is not fitted yet: call fit(images, texts) first")

    def _gallery(self, modality):
        from xmodal.gallery import Gallery

        galleries = self.__dict__.setdefault("galleries_", {})
        if modality not in galleries:
            galleries[modality] = Gallery(modality)
        return galleries[modality]

    def add_images(self, images, ids=None, metadata=None):
        """Embed ``images`` (paths or arrays) and add them to the image gallery.

        Parameters
        ----------
        images : list of paths or arrays
        ids : list of str, optional
            Default: the path of each image, or its running number for arrays.
        metadata : dict of str -> list, optional
            Extra columns returned with each hit (one value per image).
        """
        self._check_fitted()
        images = list(images)
        if not images:
            raise ValueError("no images to add")
        gallery = self._gallery("image")
        is_path = [not isinstance(im, np.ndarray) for im in images]
        if ids is None:
            ids = [str(im) if p else str(len(gallery) + i) for i, (im, p) in enumerate(zip(images, is_path))]
        metadata = dict(metadata or {})
        metadata.setdefault("path", [str(im) if p else "" for im, p in zip(images, is_path)])
        gallery.add(self.embed_images(images), ids, metadata, queries=self._tuning_queries())
        return self

    def add_texts(self, texts, ids=None, metadata=None):
        """Embed ``texts`` and add them to the text gallery (ids default to running numbers)."""
        self._check_fitted()
        texts = list(texts)
        if not texts:
            raise ValueError("no texts to add")
        gallery = self._gallery("text")
        ids = [str(len(gallery) + i) for i in range(len(texts))] if ids is None else ids
        metadata = dict(metadata or {})
        metadata.setdefault("text", texts)
        gallery.add(self.embed_texts(texts), ids, metadata, queries=self._tuning_queries())
        return self

    def _tuning_queries(self):
        """Training images and texts in the common space, for tuning an approximate gallery (None: a model
        saved before they were kept, whose galleries tune on their own items)."""
        sample = getattr(self, "query_sample_", None)
        return None if sample is None else np.vstack([sample["image"], sample["text"]])

    def search_text(self, query, k=10, target="image", threshold=None):
        """Rank the ``target`` gallery ("image" or "text") for a text query (or a list of them).

        Returns a :class:`~xmodal.gallery.SearchResult` for one query, a list for a list. With
        ``threshold``, only hits scoring at least that (cosine in the common space) are kept;
        ``k=None`` then returns every such hit.
        """
        self._check_fitted()
        single = isinstance(query, str)
        queries = [query] if single else list(query)
        for i, q in enumerate(queries):
            if not isinstance(q, str) or not q.strip():
                raise ValueError(f"query {i} is empty: give some words to search for")
        features = self.text_features(queries)
        empty = np.flatnonzero(_row_norms(features) == 0)
        if empty.size:
            raise ValueError(f"query {queries[empty[0]]!r} has no word the model knows; nothing to rank by")
        results = self._search(self.projection.transform_text(features), target, k, threshold)
        return results[0] if single else results

    def search_image(self, image, k=10, target="image", threshold=None):
        """Rank the ``target`` gallery for an image query (a path, an array, or a list of them)."""
        self._check_fitted()
        single = isinstance(image, (str, bytes)) or hasattr(image, "__fspath__") or (
            isinstance(image, np.ndarray) and image.ndim in (2, 3) and image.dtype != object)
        images = [image] if single else list(image)
        results = self._search(self.embed_images(images), target, k, threshold)
        return results[0] if single else results

    def _search(self, Z, target, k, threshold):
        if target not in ("image", "text"):
            raise ValueError(f"target must be 'image' or 'text', got {target!r}")
        return self._gallery(target).search(Z, k=k, threshold=threshold)

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory):
        """Save the fitted pipeline and its galleries to ``directory`` (atomically; no pickle).

        See :mod:`xmodal.persistence`. Returns the directory as a Path.
        """
        from xmodal.persistence import save_object

        self._check_fitted()
        return save_object(self, directory)

    @classmethod
    def load(cls, directory, mmap=True):
        """Load a pipeline written by :meth:`save` (arrays memory-mapped unless ``mmap=False``)."""
        from xmodal.persistence import ModelFileError, load_object

        obj = load_object(directory, mmap=mmap)
        if not isinstance(obj, cls):
            raise ModelFileError(f"{directory}: holds a {type(obj).__name__}, not a {cls.__name__}")
        return obj


def _row_norms(X):
    if hasattr(X, "multiply"):
        return np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    return np.linalg.norm(np.asarray(X, dtype=np.float64), axis=1)


def fit_projection(projection, X_image, X_text, text_image, text_labels=None):
    """Fit ``projection`` on each text row paired with its image's row; returns the projection.

    ``text_labels`` (one per text row) reach ``fit`` as ``y`` and the image index of each text as
    ``groups`` (so cross-validation never splits an image's captions), when ``fit`` takes them.
    """
    text_image = np.asarray(text_image)
    parameters = inspect.signature(projection.fit).parameters
    kwargs = {}
    if text_labels is not None and "y" in parameters:
        kwargs["y"] = np.asarray(text_labels)
    if "groups" in parameters:
        kwargs["groups"] = text_image
    return projection.fit(X_image[text_image], X_text, **kwargs)
