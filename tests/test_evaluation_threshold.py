"""Threshold retrieval: pooled precision / recall / F1 above a similarity threshold, chosen on val."""

import numpy as np
import pytest

from xmodal.evaluation.threshold import best_threshold, evaluate_threshold, threshold_curve, threshold_metrics


def brute_force(scores, relevant, t, mask=None):
    s, r = scores.ravel(), relevant.ravel().astype(bool)
    if mask is not None:
        s, r = scores[mask], relevant[mask].astype(bool)
    kept = s >= t
    hits = (kept & r).sum()
    p = hits / kept.sum() if kept.sum() else 0.0
    rec = hits / r.sum() if r.sum() else 0.0
    return p, rec, (2 * p * rec / (p + rec) if p + rec else 0.0)


def test_metrics_by_hand_and_inclusive_threshold():
    scores = np.array([[0.9, 0.7, 0.2], [0.7, 0.1, 0.6]])
    relevant = np.array([[1, 0, 1], [1, 0, 0]], dtype=bool)
    m = threshold_metrics(scores, relevant, 0.7)  # keeps 0.9, 0.7, 0.7: two of the three relevant
    assert (m["retrieved"], m["relevant"]) == (3, 3)
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    nothing = threshold_metrics(scores, relevant, 5.0)
    assert nothing["precision"] == 0.0 and nothing["recall"] == 0.0 and nothing["f1"] == 0.0
    with pytest.raises(ValueError, match="finite"):
        threshold_metrics(scores, relevant, float("nan"))
    with pytest.raises(ValueError, match="shape"):
        threshold_metrics(scores, relevant[:1], 0.5)


def test_curve_matches_brute_force_and_never_splits_ties():
    rng = np.random.default_rng(0)
    scores = np.round(rng.random((20, 30)), 1)  # many ties
    relevant = rng.random((20, 30)) < 0.2
    curve = threshold_curve(scores, relevant)
    assert np.all(np.diff(curve["thresholds"]) < 0) and len(curve["thresholds"]) == len(np.unique(scores))
    for t, p, r, f in zip(curve["thresholds"], curve["precision"], curve["recall"], curve["f1"]):
        assert (p, r, f) == pytest.approx(brute_force(scores, relevant, t))
    # reordering the gallery (and so the order of tied items) changes nothing
    order = rng.permutation(30)
    again = threshold_curve(scores[:, order], relevant[:, order])
    assert np.allclose(again["f1"], curve["f1"])


def test_best_threshold_sits_in_the_gap_and_maximises_f1():
    scores = np.array([[0.95, 0.9, 0.4, 0.3, 0.1]])
    relevant = np.array([[1, 1, 0, 1, 0]], dtype=bool)
    t, m = best_threshold(scores, relevant)
    # keeping 0.95, 0.9 gives F1 0.8; keeping down to 0.3 gives 0.857 (the best); the cut is halfway to 0.1
    assert t == pytest.approx(0.2) and m["f1"] == pytest.approx(6 / 7)
    rng = np.random.default_rng(1)
    s, r = rng.random((15, 15)), rng.random((15, 15)) < 0.3
    mask = ~np.eye(15, dtype=bool)
    t, m = best_threshold(s, r, mask)
    assert m["f1"] == pytest.approx(max(brute_force(s, r, x, mask)[2] for x in np.unique(s[mask])))
    everything = best_threshold(np.array([[0.5, 0.4]]), np.array([[1, 1]], dtype=bool))
    assert everything[0] == 0.4 and everything[1]["recall"] == 1.0


def test_evaluate_threshold_chooses_on_val_and_applies_to_test():
    from xmodal.datasets.collection import Collection
    from xmodal.pipeline import Pipeline
    from xmodal.projection.cca import CCA

    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 400)
    z = np.eye(4)[y] + 0.3 * rng.normal(size=(400, 4))
    splits = np.array(["train"] * 250 + ["val"] * 50 + ["test"] * 100)
    c = Collection(z @ rng.normal(size=(4, 9)), z @ rng.normal(size=(4, 6)), np.arange(400), labels=y, splits=splits)
    result = evaluate_threshold(Pipeline(None, None, CCA(n_components=3)), c)
    assert result["validation"] == {"source": "val split", "n_images": 50}
    for kind in ("image-text", "image-image"):
        assert result[kind]["test"]["threshold"] == result[kind]["threshold"]
        assert result[kind]["test"]["f1"] > 0.7
    pipeline = Pipeline(None, None, CCA(n_components=3))
    carved = evaluate_threshold(pipeline, Collection(c.images, c.texts, c.text_image, labels=y,
                                                     splits=np.where(splits == "val", "train", splits)))
    assert carved["validation"]["source"].startswith("carved from train") and carved["validation"]["n_images"] == 60
    unlabelled = evaluate_threshold(Pipeline(None, None, CCA(n_components=3)), c, use_labels=False)
    assert set(unlabelled) == {"validation", "image-text"}
    with pytest.raises(ValueError, match="train and test"):
        evaluate_threshold(pipeline, Collection(c.images, c.texts, c.text_image))
