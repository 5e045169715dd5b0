"""Threshold retrieval: everything scoring at least a threshold is returned.

Ranked metrics (MAP, R@K) judge an ordering; an application that must *decide* (show these
images, hide those) needs a similarity threshold. For a threshold ``t`` the retrieved set is
every (query, gallery) pair with score ``>= t``, pooled over all queries, and

- precision = relevant pairs retrieved / pairs retrieved (0 when nothing is retrieved),
- recall = relevant pairs retrieved / relevant pairs,
- F1 = their harmonic mean.

Pooled over pairs, image->text and text->image retrieve the same pairs, so they share one
figure ("image-text"); "image-image" leaves out each image's pair with itself. Tied scores fall
on the same side of any threshold, so the figures never depend on the order of tied items.

:func:`best_threshold` picks the threshold that maximises F1 on validation pairs (halfway to
the next lower score, so the choice sits in the gap between two scores); :func:`evaluate_threshold`
applies it, unchanged, to the test split.
"""

from __future__ import annotations

import numpy as np

from xmodal.evaluation.metrics import _check_inputs


def _pooled(scores, relevant, mask=None):
    scores, relevant = _check_inputs(scores, relevant)
    if mask is not None:
        return scores[mask].astype(np.float64), relevant[mask]
    return scores.ravel().astype(np.float64), relevant.ravel()


def _figures(n_hits, n_retrieved, n_relevant):
    precision = np.divide(n_hits, n_retrieved, out=np.zeros(np.shape(n_hits)), where=np.asarray(n_retrieved) > 0)
    recall = np.divide(n_hits, n_relevant, out=np.zeros(np.shape(n_hits)), where=np.asarray(n_relevant) > 0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros(np.shape(n_hits)), where=denominator > 0)
    return precision, recall, f1


def threshold_metrics(scores, relevant, threshold, mask=None) -> dict:
    """Precision, recall and F1 of every pair with score ``>= threshold``.

    Parameters
    ----------
    scores : ndarray (n_queries, n_gallery)
    relevant : bool ndarray, same shape
    threshold : float
    mask : bool ndarray, same shape, or None
        Pairs to count (for instance, all but the diagonal for image->image).

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``, ``retrieved``, ``relevant``, ``threshold``.

    Examples
    --------
    >>> import numpy as np
    >>> m = threshold_metrics(np.array([[0.9, 0.5, 0.1]]), np.array([[True, False, True]]), 0.5)
    >>> m["precision"], m["recall"], m["f1"]
    (0.5, 0.5, 0.5)
    """
    s, r = _pooled(scores, relevant, mask)
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    above = s >= threshold
    n_hits, n_retrieved, n_relevant = int(r[above].sum()), int(above.sum()), int(r.sum())
    p, rec, f = _figures(np.array([n_hits]), np.array([n_retrieved]), n_relevant)
    return {"precision": float(p[0]), "recall": float(rec[0]), "f1": float(f[0]), "retrieved": n_retrieved,
            "relevant": n_relevant, "threshold": float(threshold)}


def threshold_curve(scores, relevant, mask=None) -> dict:
    """Precision, recall and F1 at every distinct score used as the threshold (highest first).

    Returns
    -------
    dict of ndarray
        ``thresholds`` (distinct scores, descending), ``precision``, ``recall``, ``f1``,
        ``retrieved`` (pairs with score >= each threshold).

    Examples
    --------
    >>> import numpy as np
    >>> c = threshold_curve(np.array([[0.9, 0.5, 0.5, 0.1]]), np.array([[1, 0, 1, 0]]))
    >>> c["thresholds"].tolist(), c["recall"].tolist()
    ([0.9, 0.5, 0.1], [0.5, 1.0, 1.0])
    """
    s, r = _pooled(scores, relevant, mask)
    order = np.argsort(-s, kind="stable")
    s, r = s[order], r[order]
    hits = np.cumsum(r)
    last = np.flatnonzero(np.append(s[1:] != s[:-1], True))  # end of each tie group
    p, rec, f = _figures(hits[last].astype(np.float64), (last + 1).astype(np.float64), float(r.sum()))
    return {"thresholds": s[last], "precision": p, "recall": rec, "f1": f, "retrieved": last + 1}


def best_threshold(scores, relevant, mask=None) -> tuple[float, dict]:
    """The threshold of highest F1 (the highest such threshold on equal F1).

    The returned threshold lies halfway between the lowest score it keeps and the next lower
    distinct score (or is the lowest score, when everything is kept).

    Returns
    -------
    (threshold, metrics) : float, dict from :func:`threshold_metrics` at that threshold

    Examples
    --------
    >>> import numpy as np
    >>> best_threshold(np.array([[0.9, 0.8, 0.2, 0.1]]), np.array([[1, 1, 0, 0]]))[0]
    0.5
    """
    curve = threshold_curve(scores, relevant, mask)
    g = int(np.argmax(curve["f1"]))
    t = curve["thresholds"]
    threshold = float(t[g]) if g == len(t) - 1 else float((t[g] + t[g + 1]) / 2)
    return threshold, threshold_metrics(scores, relevant, threshold, mask)


def _pairs(Z_image, Z_text, text_image, labels):
    """(name, scores, relevant, mask) for image-text and, with labels, image-image pairs."""
    from xmodal.evaluation.protocol import cosine_scores
    from xmodal.evaluation.relevance import relevance_from_ids, relevance_from_labels

    text_image = np.asarray(text_image)
    if labels is not None:
        relevant = relevance_from_labels(labels, labels[text_image])
    else:
        relevant = relevance_from_ids(np.arange(len(Z_image)), text_image)
    out = [("image-text", cosine_scores(Z_image, Z_text), relevant, None)]
    if labels is not None and len(Z_image) > 1:
        out.append(("image-image", cosine_scores(Z_image, Z_image), relevance_from_labels(labels, labels),
                    ~np.eye(len(Z_image), dtype=bool)))
    return out


def evaluate_threshold(pipeline, collection, use_labels=True, val_size=0.2, seed=0) -> dict:
    """Fit on train, choose each threshold on val (max F1), report it on test.

    Unlike :func:`~xmodal.evaluation.protocol.evaluate_pipeline`, the pipeline is fitted on the
    train split only, so the validation images stay unseen. Without a ``val`` split, a seeded
    ``val_size`` share of the training images (stratified by label when there are labels) is held
    out as validation.

    Returns
    -------
    dict
        ``validation`` (how it was obtained), and per pair kind (``"image-text"``, and
        ``"image-image"`` with labels): ``threshold``, ``val`` and ``test`` metrics.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.datasets.collection import Collection
    >>> from xmodal.pipeline import Pipeline
    >>> from xmodal.projection.cca import CCA
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 4, 300)
    >>> z = np.eye(4)[y] + 0.2 * rng.normal(size=(300, 4))
    >>> c = Collection(z @ rng.normal(size=(4, 8)), z @ rng.normal(size=(4, 6)), np.arange(300), labels=y,
    ...                splits=np.array(["train"] * 200 + ["test"] * 100))
    >>> r = evaluate_threshold(Pipeline(None, None, CCA(n_components=3)), c)
    >>> r["image-text"]["test"]["f1"] > 0.8
    True
    """
    from xmodal.fusion.holdout import stratified_holdout

    if collection.splits is None or "train" not in set(collection.splits) or "test" not in set(collection.splits):
        raise ValueError(f"need train and test splits, found {collection.split_names()}")
    labelled = use_labels and collection.has_labels
    train = collection.subset("train")
    if "val" in set(collection.splits):
        val = collection.subset("val")
        validation = {"source": "val split", "n_images": val.n_images}
    else:
        keys = train.labels if labelled else np.zeros(train.n_images)
        fit_index, val_index = stratified_holdout(keys, val_size, seed)
        if len(val_index) == 0:
            raise ValueError(f"the training split ({train.n_images} images) is too small to hold out a validation part")
        train, val = train.take(fit_index), train.take(val_index)
        validation = {"source": f"carved from train ({val_size:.0%}, seed {seed})", "n_images": val.n_images}
    pipeline.fit(train.images, train.texts, train.text_image, labels=train.labels if labelled else None)
    result = {"validation": validation}
    chosen = {}
    for split_name, part in (("val", val), ("test", collection.subset("test"))):
        pairs = _pairs(pipeline.embed_images(part.images), pipeline.embed_texts(part.texts), part.text_image,
                       part.labels if labelled else None)
        for name, scores, relevant, mask in pairs:
            if split_name == "val":
                chosen[name], metrics = best_threshold(scores, relevant, mask)
                result[name] = {"threshold": chosen[name], "val": metrics}
            else:
                result[name]["test"] = threshold_metrics(scores, relevant, chosen[name], mask)
    return result
