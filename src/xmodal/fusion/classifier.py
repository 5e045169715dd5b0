"""FusionClassifier: classify image-text items from either modality, both fused, or a common space."""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from xmodal.fusion.blocks import BlockScaler, concat_blocks
from xmodal.fusion.holdout import stratified_holdout
from xmodal.fusion.items import Items
from xmodal.fusion.late import COMBINERS, choose_weight, stacking_features
from xmodal.fusion.linear import DEFAULT_CS, LinearClassifier, check_training_labels
from xmodal.fusion.names import METHODS

MODALITIES = ("image", "text")
_A = {"image": "an image", "text": "a text"}


def _unit_rows(Z):
    norms = np.linalg.norm(Z, axis=1, keepdims=True)
    return Z / np.where(norms > 0, norms, 1.0)


def _rows(X, mask):
    return X[np.flatnonzero(mask)]


class FusionClassifier(BaseEstimator, ClassifierMixin):
    """Classify items that have an image, a text, or both.

    Methods
    -------
    ``"image"``, ``"text"``
        One modality's classifier (on its normalised block).
    ``"early"``
        One classifier on the concatenated blocks, each block normalised first
        (:class:`~xmodal.fusion.blocks.BlockScaler`) so neither dominates by size or scale.
    ``"late-mean"``, ``"late-product"``, ``"late-stacking"``
        Per-modality class probabilities combined by a weighted mean, a weighted product, or a
        logistic regression learnt on validation probabilities (:mod:`xmodal.fusion.late`).
    ``"common"``
        A projection (default :class:`~xmodal.projection.selection.CCACV`) maps both modalities
        into its common space; an item is the normalised mean of its unit-length embeddings, and
        one classifier is trained on item embeddings and on each modality's embeddings alone.

    An item missing one modality (an all-zero row, or a False in ``Items.*_present``) is
    classified by the classifier of the modality it has, whatever the method; ``"common"``
    handles it natively.

    Validation: classifier C (:class:`~xmodal.fusion.linear.LinearClassifier`), fusion weights and
    the stacking model are chosen on the validation items passed to :meth:`fit`, or, when none
    are passed, on a stratified ``val_size`` share carved from the training items (seeded);
    the classifiers are then refitted on training and validation items. The projection of
    ``"common"`` is fitted on training items only, so the validation items stay held out.

    Parameters
    ----------
    method : str
        One of ``METHODS``.
    classifier : {"logreg", "svm"}
        Multinomial logistic regression or calibrated linear SVM.
    Cs : sequence of float
        C values tried.
    block_norm : {"l2", "hellinger", "standard"}
        Per-block normalisation (see :class:`~xmodal.fusion.blocks.BlockScaler`).
    projection : estimator or "default"
        For ``"common"``: ``fit(X_image, X_text[, y])``, ``transform_image``, ``transform_text``.
    fit_projection : bool
        False: ``projection`` is already fitted (for instance on another collection) and is used
        as it is.
    val_size : float
        Share of each class carved from the training items for validation when none is given.
    seed : int

    Attributes
    ----------
    classes_ : ndarray
    validation_ : dict
        ``source`` ("given" or "carved from train"), ``n_items``.
    image_classifier_, text_classifier_, early_classifier_, common_classifier_ : LinearClassifier or None
    projection_ : fitted projection or None
    scalers_ : dict of str -> BlockScaler
        The per-modality block normalisation, fitted on the training items.
    weight_ : float or None
        Image weight of ``"late-mean"`` / ``"late-product"`` (1/2 when no validation item has
        both modalities).
    weight_scores_ : dict or None
        Validation log-loss per image weight.
    stacker_ : LinearClassifier or None
        The stacking model of ``"late-stacking"``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 600)
    >>> Xi = np.eye(3)[y] + rng.normal(scale=0.8, size=(600, 3))
    >>> Xt = np.eye(3)[y] + rng.normal(scale=0.8, size=(600, 3))
    >>> train, test = Items(Xi[:400], Xt[:400], y[:400]), Items(Xi[400:], Xt[400:], y[400:])
    >>> fused = FusionClassifier("late-product", block_norm="standard").fit(train)
    >>> image = FusionClassifier("image", block_norm="standard").fit(train)
    >>> bool(fused.score(test) > image.score(test))
    True
    """

    def __init__(self, method="late-product", classifier="logreg", Cs=DEFAULT_CS, block_norm="l2",
                 projection="default", fit_projection=True, val_size=0.2, seed=0):
        self.method = method
        self.classifier = classifier
        self.Cs = Cs
        self.block_norm = block_norm
        self.projection = projection
        self.fit_projection = fit_projection
        self.val_size = val_size
        self.seed = seed

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, items, val=None):
        """Fit on training ``items`` (an :class:`~xmodal.fusion.items.Items` with labels).

        Parameters
        ----------
        items : Items
            Training items; at least two classes.
        val : Items or None
            Validation items; default: a stratified share of ``items`` (``val_size``).
        """
        return self._fit(items, val, parts={})

    def _fit(self, items, val, parts):
        if self.method not in METHODS:
            raise ValueError(f"unknown fusion method {self.method!r}; choose from {list(METHODS)}")
        if not isinstance(items, Items):
            raise TypeError(f"items must be an xmodal.fusion.items.Items, got {type(items).__name__}")
        if items.labels is None:
            raise ValueError("the training items have no labels")
        check_training_labels(items.labels)
        train, val = self._validation_split(items, val)
        self.classes_ = np.unique(np.concatenate([train.labels, val.labels]))
        key = (id(train), id(val))
        if parts.get("data") != key:
            parts.clear()
            parts["data"] = key
        self._parts, self._train, self._val = parts, train, val
        try:
            return self._fit_method()
        finally:
            del self._parts, self._train, self._val

    def _validation_split(self, items, val):
        if val is not None:
            if not isinstance(val, Items) or val.labels is None:
                raise ValueError("val must be labelled Items")
            self.validation_ = {"source": "given", "n_items": len(val)}
            return items, val
        fit_index, val_index = stratified_holdout(items.labels, self.val_size, self.seed)
        self.validation_ = {"source": f"carved from train (stratified {self.val_size:.0%}, seed {self.seed})",
                            "n_items": len(val_index)}
        return items.take(fit_index), items.take(val_index)

    def _fit_method(self):
        method = self.method
        for name in ("image_classifier_", "text_classifier_", "early_classifier_", "common_classifier_",
                     "projection_", "weight_", "weight_scores_", "stacker_"):
            setattr(self, name, None)
        self.scalers_ = {}
        if method == "common":
            self.projection_ = self._part("projection")
            self.common_classifier_ = self._part("common")
            return self
        # single-modality classifiers: the method's own, and the fallback for items missing a modality
        for modality in MODALITIES:
            needed = method == modality or method.startswith("late")
            if not getattr(self._train, f"{modality}_present").any():
                if needed:
                    raise ValueError(f"method {method!r} needs training items with {_A[modality]}; none has one")
            else:
                try:
                    setattr(self, f"{modality}_classifier_", self._part(modality))
                    self.scalers_[modality] = self._part(f"scaler-{modality}")
                except ValueError:
                    if needed:
                        raise
        if method == "early":
            self.early_classifier_ = self._part("early")
        elif method in COMBINERS:
            p_image, p_text, y = self._val_probabilities()
            if len(y):
                self.weight_, self.weight_scores_ = choose_weight(COMBINERS[method], p_image, p_text, y, self.classes_)
            else:
                self.weight_ = 0.5
        elif method == "late-stacking":
            p_image, p_text, y = self._val_probabilities()
            if len(np.unique(y)) < 2:
                raise ValueError("late-stacking learns from validation items with both modalities, and needs "
                                 f"at least two classes among them; got {len(y)} item(s) of {len(np.unique(y))} "
                                 "class(es). Give more validation items or use late-product")
            self.stacker_ = LinearClassifier("logreg", self.Cs, seed=self.seed).fit(
                stacking_features(p_image, p_text), y)
        return self

    def _part(self, name):
        """A fitted part, shared between classifiers fitted on the same data (see :func:`fit_methods`)."""
        if name not in self._parts:
            self._parts[name] = getattr(self, f"_fit_{name.split('-')[0]}")(*name.split("-")[1:])
        return self._parts[name]

    def _fit_scaler(self, modality):
        X = getattr(self._train, f"X_{modality}")
        rows = _rows(X, getattr(self._train, f"{modality}_present"))
        return BlockScaler(self.block_norm).fit(rows)

    def _block(self, items, modality, mask):
        return self._part(f"scaler-{modality}").transform(_rows(getattr(items, f"X_{modality}"), mask))

    def _linear(self, X, y, X_val, y_val, what):
        try:
            check_training_labels(y, f"training items with {what}")
        except ValueError as err:
            raise ValueError(f"cannot fit the {what} classifier: {err}") from None
        return LinearClassifier(self.classifier, self.Cs, seed=self.seed).fit(X, y, X_val, y_val)

    def _fit_image(self):
        return self._fit_single("image")

    def _fit_text(self):
        return self._fit_single("text")

    def _fit_single(self, modality):
        train, val = self._train, self._val
        in_train, in_val = getattr(train, f"{modality}_present"), getattr(val, f"{modality}_present")
        return self._linear(self._block(train, modality, in_train), train.labels[in_train],
                            self._block(val, modality, in_val) if in_val.any() else None, val.labels[in_val],
                            _A[modality])

    def _fit_early(self):
        train, val = self._train, self._val
        both_train = train.image_present & train.text_present
        both_val = val.image_present & val.text_present
        return self._linear(self._early_rows(train, both_train), train.labels[both_train],
                            self._early_rows(val, both_val) if both_val.any() else None, val.labels[both_val],
                            "both an image and a text")

    def _early_rows(self, items, mask):
        return concat_blocks([self._block(items, m, mask) for m in MODALITIES])

    def _fit_projection(self):
        if not self.fit_projection:
            if not (hasattr(self.projection, "transform_image") and hasattr(self.projection, "transform_text")):
                raise ValueError("fit_projection=False needs a fitted projection with transform_image / transform_text")
            return self.projection
        from xmodal.pipeline import default_projection

        projection = default_projection(seed=self.seed) if isinstance(self.projection, str) and \
            self.projection == "default" else clone(self.projection)
        train = self._train
        both = train.image_present & train.text_present
        if both.sum() < 3:
            raise ValueError(f"the common space needs training items with both an image and a text; got {both.sum()}")
        kwargs = {"y": train.labels[both]} if "y" in inspect.signature(projection.fit).parameters else {}
        return projection.fit(_rows(train.X_image, both), _rows(train.X_text, both), **kwargs)

    @staticmethod
    def _common_rows(projection, items, augment=False):
        """Each item's unit mean embedding; with ``augment``, also each modality's embedding alone."""
        k = None
        Z = {}
        for modality in MODALITIES:
            mask = getattr(items, f"{modality}_present")
            if mask.any():
                transform = getattr(projection, f"transform_{modality}")
                Z[modality] = (mask, _unit_rows(np.asarray(transform(_rows(getattr(items, f"X_{modality}"), mask)),
                                                           dtype=np.float64)))
                k = Z[modality][1].shape[1]
        total = np.zeros((len(items), k))
        for mask, rows in Z.values():
            total[mask] += rows
        fused = _unit_rows(total)
        if not augment:
            return fused, items.labels
        both = items.image_present & items.text_present
        extra = [rows[both[mask]] for mask, rows in Z.values()]
        labels = [items.labels] + [items.labels[both]] * len(extra)
        return np.vstack([fused] + extra), np.concatenate(labels)

    def _fit_common(self):
        projection = self._part("projection")
        X, y = self._common_rows(projection, self._train, augment=True)
        X_val, y_val = self._common_rows(projection, self._val) if len(self._val) else (None, None)
        return self._linear(X, y, X_val, y_val, "common-space embeddings")

    def _val_probabilities(self):
        """Held-out probabilities of the validation items that have both modalities."""
        val = self._val
        both = val.image_present & val.text_present
        out = []
        for modality in MODALITIES:
            present = getattr(val, f"{modality}_present")
            proba = np.zeros((len(val), len(self.classes_)))
            clf = getattr(self, f"{modality}_classifier_")
            if clf.val_proba_ is not None:
                position = {c: i for i, c in enumerate(self.classes_)}
                cols = [position[c] for c in clf.classes_]
                proba[np.ix_(np.flatnonzero(present), cols)] = clf.val_proba_
            out.append(proba[both])
        return out[0], out[1], val.labels[both]

    # -- prediction ---------------------------------------------------------------------------
    def predict_proba(self, items):
        """Class probabilities, shape (n_items, n_classes), columns in the order of ``classes_``."""
        check_is_fitted(self, "classes_")
        if not isinstance(items, Items):
            raise TypeError(f"items must be an xmodal.fusion.items.Items, got {type(items).__name__}")
        if self.method == "common":
            return self.common_classifier_.predict_proba(self._common_rows(self.projection_, items)[0],
                                                          self.classes_)
        image, text = items.image_present, items.text_present
        proba = np.zeros((len(items), len(self.classes_)))
        single = {}
        for modality, mask in (("image", image), ("text", text)):
            if mask.any():
                clf = getattr(self, f"{modality}_classifier_")
                if clf is None:
                    raise ValueError(f"{int(mask.sum())} item(s) have an {modality} but no training item had one")
                single[modality] = clf.predict_proba(self._scaled(items, modality, mask), self.classes_)
        both = image & text
        if image.any():
            proba[image] = single["image"]
        if text.any():
            proba[text & ~image] = single["text"][~image[text]]
        if not both.any() or self.method == "image":
            return proba
        p_image, p_text = single["image"][both[image]], single["text"][both[text]]
        if self.method == "text":
            proba[both] = p_text
        elif self.method == "early":
            rows = concat_blocks([self._scaled(items, m, both) for m in MODALITIES])
            proba[both] = self.early_classifier_.predict_proba(rows, self.classes_)
        elif self.method in COMBINERS:
            proba[both] = COMBINERS[self.method](p_image, p_text, self.weight_)
        else:
            proba[both] = self.stacker_.predict_proba(stacking_features(p_image, p_text), self.classes_)
        return proba

    def _scaled(self, items, modality, mask):
        return self.scalers_[modality].transform(_rows(getattr(items, f"X_{modality}"), mask))

    def predict(self, items):
        """The most probable class of each item."""
        return self.classes_[np.argmax(self.predict_proba(items), axis=1)]

    def score(self, items, y=None):
        """Accuracy on labelled ``items``."""
        return float(np.mean(self.predict(items) == (items.labels if y is None else np.asarray(y))))


def fit_methods(methods, items, val=None, **params):
    """One fitted :class:`FusionClassifier` per method, sharing the parts they have in common.

    The image, text, early and common-space classifiers are each fitted once, however many
    methods use them; the result is the same as fitting each method on its own.

    Returns
    -------
    dict of method -> FusionClassifier

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 60)
    >>> items = Items(y[:, None] + rng.normal(size=(60, 2)), y[:, None] + rng.normal(size=(60, 2)), y)
    >>> fitted = fit_methods(["image", "late-mean"], items)
    >>> fitted["image"].image_classifier_ is fitted["late-mean"].image_classifier_
    True
    """
    if items.labels is None:
        raise ValueError("the training items have no labels")
    check_training_labels(items.labels)
    first = FusionClassifier(**params)
    train, val = first._validation_split(items, val)
    parts, out = {}, {}
    for method in methods:
        clf = FusionClassifier(method=method, **params)._fit(train, val, parts)
        clf.validation_ = dict(first.validation_)
        out[method] = clf
    return out
