"""The evaluation protocol: fit on the training split, rank the test split in every direction."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from xmodal.evaluation.metrics import chance_report, precision_recall_curve, retrieval_report
from xmodal.evaluation.relevance import relevance_from_ids, relevance_from_labels


@dataclass
class Evaluation:
    """What :func:`evaluate_pipeline` measured.

    Attributes
    ----------
    directions : dict of str -> dict
        Per direction (``"image->text"``, ``"text->image"``, and ``"image->image"`` when there are
        labels), the :func:`~xmodal.evaluation.metrics.retrieval_report` of the pipeline.
    chance : dict of str -> dict
        The same reports for a random ranking (exact expectation).
    timings : dict of str -> float
        Seconds per stage.
    relevance : str
        ``"label"`` or ``"pair"``.
    image_embeddings, text_embeddings : ndarray
        The test images and texts in the common space.
    counts : dict
        Train / test image and text counts.
    """

    directions: dict
    chance: dict
    timings: dict
    relevance: str
    image_embeddings: np.ndarray
    text_embeddings: np.ndarray
    counts: dict = field(default_factory=dict)


def cosine_scores(queries: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """Cosine similarity of every query to every gallery row (exact, blocked; zero rows score 0)."""
    from xmodal.search.exact import ExactIndex

    index = ExactIndex(metric="cosine")
    index.add(gallery)
    return index.similarity(queries)


def rank_all_directions(Z_image, Z_text, text_image, labels=None, ks=(1, 5, 10)):
    """Score image->text, text->image and (with labels) image->image retrieval.

    Parameters
    ----------
    Z_image : ndarray (n_images, k); Z_text : ndarray (n_texts, k)
    text_image : ndarray (n_texts,)
        Image index of each text.
    labels : ndarray (n_images,) or None
        With labels relevance is "same label"; without, a text is relevant only to its own image
        and image->image is not scored (every image would be relevant to itself only).

    Returns
    -------
    (reports, chance) : two dicts keyed by direction
        Each report is :func:`~xmodal.evaluation.metrics.retrieval_report` plus ``"pr_curve"``
        (11-point interpolated precision-recall curve: ``{"recall": [...], "precision": [...]}``).
    """
    text_image = np.asarray(text_image)
    scores = cosine_scores(Z_image, Z_text)
    if labels is not None:
        labels = np.asarray(labels)
        relevant = relevance_from_labels(labels, labels[text_image])
    else:
        relevant = relevance_from_ids(np.arange(len(Z_image)), text_image)
    pairs = {"image->text": (scores, relevant), "text->image": (scores.T, relevant.T)}
    if labels is not None and len(Z_image) > 1:
        n = len(Z_image)
        off_diagonal = ~np.eye(n, dtype=bool)  # a query image is not in its own gallery
        same = cosine_scores(Z_image, Z_image)[off_diagonal].reshape(n, n - 1)
        rel = relevance_from_labels(labels, labels)[off_diagonal].reshape(n, n - 1)
        pairs["image->image"] = (same, rel)
    reports, chance = {}, {}
    for direction, (s, r) in pairs.items():
        reports[direction] = {**retrieval_report(s, r, ks=ks), "pr_curve": _pr_curve(s, r)}
        chance[direction] = {**chance_report(r, ks=ks), "pr_curve": _pr_curve(np.zeros(r.shape), r)}
    return reports, chance


def _pr_curve(scores, relevant) -> dict:
    recall, precision = precision_recall_curve(scores, relevant)
    return {"recall": recall.tolist(), "precision": precision.tolist()}


def evaluate_pipeline(pipeline, collection, use_labels=True, ks=(1, 5, 10)) -> Evaluation:
    """Fit ``pipeline`` on the train (and val) split of ``collection`` and evaluate it on test.

    Relevance is "same label" when the collection has labels (and ``use_labels``), otherwise
    "this text describes this image". Labels reach the pipeline's fit only through the training
    split; the test split is used once, for the figures returned.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.datasets.collection import Collection
    >>> from xmodal.pipeline import Pipeline
    >>> from xmodal.projection.cca import CCA
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(80, 2))
    >>> c = Collection(z @ rng.normal(size=(2, 5)), z @ rng.normal(size=(2, 4)), np.arange(80),
    ...                splits=np.array(["train"] * 60 + ["test"] * 20))
    >>> ev = evaluate_pipeline(Pipeline(None, None, CCA(n_components=2)), c)
    >>> ev.directions["text->image"]["MAP"] > ev.chance["text->image"]["MAP"]
    True
    """
    if collection.splits is None:
        raise ValueError("the collection has no train/test split")
    train_names = [s for s in ("train", "val") if s in set(collection.splits)]
    if "train" not in train_names or "test" not in set(collection.splits):
        raise ValueError(f"need train and test splits, found {collection.split_names()}")
    train = collection.take(np.flatnonzero(np.isin(collection.splits, train_names)))
    test = collection.subset("test")
    labelled = use_labels and collection.has_labels
    pipeline.fit(train.images, train.texts, train.text_image, labels=train.labels if labelled else None)
    timings = dict(pipeline.timings_)
    start = time.perf_counter()
    Z_image = pipeline.embed_images(test.images)
    timings["embed test images"] = time.perf_counter() - start
    start = time.perf_counter()
    Z_text = pipeline.embed_texts(test.texts)
    timings["embed test texts"] = time.perf_counter() - start
    start = time.perf_counter()
    reports, chance = rank_all_directions(Z_image, Z_text, test.text_image,
                                          labels=test.labels if labelled else None, ks=ks)
    timings["search + metrics"] = time.perf_counter() - start
    counts = {"train images": train.n_images, "train texts": train.n_texts,
              "test images": test.n_images, "test texts": test.n_texts}
    return Evaluation(reports, chance, timings, "label" if labelled else "pair", Z_image, Z_text, counts)
