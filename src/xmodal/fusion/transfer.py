"""Transfer: parts fitted on collection A (codebook, vocabulary, projection) used on collection B.

:class:`Transfer` fits the unsupervised parts of a :class:`~xmodal.pipeline.Pipeline` (image
encoder, text encoder, projection) on every image and text of a *source* collection A, encodes a
*target* collection B with them, and evaluates on B's test split:

- retrieval (image->text, text->image, and image->image with labels), as ``xmodal evaluate``;
- classification, when a classifier can be had: trained on a few labelled items of B's train
  split (``shots`` per class), in the common space of the projection by default, or trained on
  A when A is labelled with B's classes;
- a domain-shift report (:mod:`xmodal.fusion.shift`) between A and B's test items.

``refit`` says what is re-fitted on the few labelled items of B (a seeded sample of ``shots``
images per class of B's train split; ``shots`` images in all when B has no labels):

``"none"``
    nothing: A's parts as they are (zero-shot);
``"projection"``
    the projection only, on the sampled pairs encoded with A's encoders;
``"classifier"``
    the classifier only, on the sampled items in A's spaces;
``"both"``
    the projection, then the classifier in its space.

B's test split is used once, for the figures returned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone

from xmodal.fusion.holdout import few_shot_indices
from xmodal.fusion.encoded import Encoded, encode
from xmodal.fusion.items import present_rows
from xmodal.fusion.names import REFITS
from xmodal.fusion.shift import domain_shift_report, warn_about



def fit_projection(projection, X_image, X_text, text_image, labels=None):
    """Fit ``projection`` as :class:`~xmodal.pipeline.Pipeline` does, from ``labels`` per *image*."""
    from xmodal.pipeline import fit_projection as fit_on_texts

    text_labels = None if labels is None else np.asarray(labels)[np.asarray(text_image)]
    return fit_on_texts(projection, X_image, X_text, text_image, text_labels)


@dataclass
class TransferResult:
    """What :meth:`Transfer.evaluate` measured on the target's test split.

    Attributes
    ----------
    refit, shots : str, int
    directions, chance : dict
        Retrieval reports per direction and their chance levels (see
        :func:`~xmodal.evaluation.protocol.rank_all_directions`).
    classification : dict or None
        :func:`~xmodal.fusion.report.classification_report`, or None when no classifier could be
        trained (no labelled item of the target and none usable from the source).
    counts : dict
        Source items, target support (labelled items used) and test items.
    support_ids : ndarray of str
        The target images used for re-fitting.
    timings : dict
    """

    refit: str
    shots: int
    directions: dict
    chance: dict
    classification: dict | None
    counts: dict
    support_ids: np.ndarray
    timings: dict = field(default_factory=dict)


class Transfer:
    """A pipeline's parts fitted on a source collection, evaluated on target collections.

    Parameters
    ----------
    pipeline : xmodal.pipeline.Pipeline or None
        Encoders and projection (unfitted); default ``Pipeline()``. Encoders may be None for
        collections of feature rows.
    method : str
        The :class:`~xmodal.fusion.classifier.FusionClassifier` method (default ``"common"``: the
        classifier works in the projection's space, so a re-fitted projection matters).
    classifier : {"logreg", "svm"}
    seed : int
        Seed of the few-shot samples and of the classifiers.

    Attributes
    ----------
    source_ : Encoded
        The source collection, encoded.
    timings_ : dict
        Seconds spent fitting on the source.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.datasets.collection import Collection
    >>> from xmodal.pipeline import Pipeline
    >>> from xmodal.projection.cca import CCA
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 200)
    >>> z = np.eye(3)[y] + 0.3 * rng.normal(size=(200, 3))
    >>> c = Collection(z @ rng.normal(size=(3, 6)), z @ rng.normal(size=(3, 5)), np.arange(200), labels=y,
    ...                splits=np.array(["train"] * 150 + ["test"] * 50))
    >>> transfer = Transfer(Pipeline(None, None, CCA(n_components=3))).fit(c.subset("train"))
    >>> result = transfer.evaluate(transfer.encode(c), refit="classifier", shots=5)
    >>> result.classification["accuracy"] > 0.8, result.counts["support"]
    (True, 15)
    """

    def __init__(self, pipeline=None, method="common", classifier="logreg", seed=0):
        self.pipeline = pipeline
        self.method = method
        self.classifier = classifier
        self.seed = seed

    def fit(self, source):
        """Fit encoders and projection on every image and text of ``source`` (a Collection)."""
        from xmodal.pipeline import Pipeline

        self.pipeline_ = Pipeline() if self.pipeline is None else self.pipeline
        self.timings_ = {}
        self.source_ = encode(self.pipeline_.image_encoder, self.pipeline_.text_encoder, source, fit=True,
                              timings=self.timings_)
        start = time.perf_counter()
        fit_projection(self.pipeline_.projection, self.source_.X_image, self.source_.X_text, source.text_image,
                       source.labels)
        self.timings_["projection"] = time.perf_counter() - start
        return self

    def encode(self, target) -> Encoded:
        """``target`` (a Collection with train and test splits) in the source's feature spaces.

        Images the source also holds (same path) are not encoded again.
        """
        if target.splits is None or "test" not in set(target.splits):
            raise ValueError(f"the target collection needs a test split; found {target.split_names()}")
        return encode(self.pipeline_.image_encoder, self.pipeline_.text_encoder, target, fit=False,
                      known=self.source_)

    def shift(self, target: Encoded, target_encoders=(None, None), **options) -> dict:
        """The domain-shift report between the source and the target's test items.

        ``target_encoders`` (image, text) fitted on the target give the vocabulary and
        visual-word figures; ``options`` go to :func:`~xmodal.fusion.shift.domain_shift_report`.
        """
        report = domain_shift_report(self.source_.items(), target.subset("test").items(), self.pipeline_.projection,
                                     (self.pipeline_.image_encoder, self.pipeline_.text_encoder), target_encoders,
                                     seed=self.seed, **options)
        warn_about(report)
        return report

    def support(self, target: Encoded, shots) -> np.ndarray:
        """Image indices of the target's labelled sample: ``shots`` per class of its train split
        (``shots`` images in all for an unlabelled target)."""
        splits = target.collection.splits
        pool = np.flatnonzero(np.isin(splits, ("train", "val")))
        if shots == 0:
            return pool[:0]
        if len(pool) == 0:
            raise ValueError("the target has no train split to draw labelled items from")
        labels = target.collection.labels
        if labels is None:
            if shots > len(pool):
                raise ValueError(f"shots={shots} but the target's train split has {len(pool)} images")
            return np.sort(np.random.default_rng(self.seed).choice(pool, shots, replace=False))
        return pool[few_shot_indices(labels[pool], shots, seed=self.seed)]

    def evaluate(self, target: Encoded, refit="none", shots=0) -> TransferResult:
        """Re-fit what ``refit`` says on ``shots`` labelled target items, then score the target's test split."""
        from xmodal.evaluation.protocol import rank_all_directions
        from xmodal.fusion.classifier import FusionClassifier
        from xmodal.fusion.report import classification_report

        if refit not in REFITS:
            raise ValueError(f"unknown refit {refit!r}; choose from {list(REFITS)}")
        if isinstance(shots, bool) or not isinstance(shots, (int, np.integer)) or shots < 0:
            raise ValueError(f"shots must be a non-negative int, got {shots!r}")
        if refit != "none" and shots == 0:
            raise ValueError(f"refit={refit!r} needs labelled target items: give shots >= 1")
        timings = {}
        support = target.take(self.support(target, shots))
        test = target.subset("test")
        projection = self.pipeline_.projection
        start = time.perf_counter()
        if refit in ("projection", "both"):
            c = support.collection
            projection = fit_projection(clone(projection), support.X_image, support.X_text, c.text_image, c.labels)
        timings["re-fit projection"] = time.perf_counter() - start
        start = time.perf_counter()
        Z_image = projection.transform_image(test.X_image)
        Z_text = projection.transform_text(test.X_text)
        labelled = test.collection.labels is not None
        directions, chance = rank_all_directions(Z_image, Z_text, test.collection.text_image,
                                                 labels=test.collection.labels if labelled else None)
        timings["retrieval"] = time.perf_counter() - start
        start = time.perf_counter()
        train_items = None
        if refit in ("classifier", "both") and labelled:
            train_items = support.items()
        elif refit == "none" and labelled and self.source_.collection.labels is not None:
            train_items = self.source_.items()
        classification = None
        if train_items is not None:
            model = FusionClassifier(self.method, self.classifier, projection=projection, fit_projection=False,
                                     seed=self.seed).fit(train_items)
            test_items = test.items()
            classification = classification_report(test_items.labels, model.predict(test_items), model.classes_)
        timings["classifier"] = time.perf_counter() - start
        counts = {"source images": self.source_.collection.n_images, "support": support.collection.n_images,
                  "test images": test.collection.n_images, "test texts": test.collection.n_texts,
                  "test texts without a known word": int((~present_rows(test.X_text)).sum())}
        return TransferResult(refit, int(shots), directions, chance, classification, counts,
                              support.collection.image_ids, timings)


def transfer_evaluate(source, target, pipeline=None, refit="none", shots=0, method="common", classifier="logreg",
                      seed=0, shift=True, n_permutations=200):
    """Fit ``pipeline`` on ``source``, use it on ``target``: one :class:`TransferResult` and the shift report.

    Returns
    -------
    (TransferResult, dict or None)
        The figures on the target's test split, and the domain-shift report (None if not ``shift``).
    """
    transfer = Transfer(pipeline, method, classifier, seed).fit(source)
    encoded = transfer.encode(target)
    report = transfer.shift(encoded, n_permutations=n_permutations) if shift else None
    return transfer.evaluate(encoded, refit, shots), report
