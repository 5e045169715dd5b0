"""Sentence embeddings: hand-computed mean / IDF / SIF weights and the OOV policy."""

import math

import numpy as np
import pytest

from xmodal.text.pooling import SentenceEmbedder
from xmodal.text.vectors import keyed_vectors

WORDS = ["red", "car", "bus", "sky"]
VECTORS = np.array([[1, 0, 0], [0, 2, 0], [0, 0, 3], [1, 1, 1]], dtype=np.float32)
TRAIN = ["red car", "red bus", "red car car"]


def embedder(pooling, **params):
    return SentenceEmbedder(keyed_vectors(WORDS, VECTORS.copy()), pooling=pooling, tokenizer=str.split, **params)


def test_mean_pooling_by_hand():
    X = embedder("mean").fit(TRAIN).transform(["red car", "car car red zebra", "sky"])
    np.testing.assert_allclose(X[0], [0.5, 1, 0])
    np.testing.assert_allclose(X[1], (VECTORS[1] * 2 + VECTORS[0]) / 3)  # zebra has no vector: skipped
    np.testing.assert_allclose(X[2], VECTORS[3])  # known word not seen in training still counts


def test_idf_weighted_mean_by_hand():
    emb = embedder("tfidf").fit(TRAIN)
    idf = {w: math.log((1 + 3) / (1 + df)) + 1 for w, df in {"red": 3, "car": 2, "bus": 1}.items()}
    assert emb.weights_ == pytest.approx(idf)
    assert emb.default_weight_ == pytest.approx(math.log(4) + 1)
    X = emb.transform(["red car car", "sky"])
    expected = (idf["red"] * VECTORS[0] + 2 * idf["car"] * VECTORS[1]) / 3
    np.testing.assert_allclose(X[0], expected, rtol=1e-6)
    np.testing.assert_allclose(X[1], emb.default_weight_ * VECTORS[3], rtol=1e-6)


def reference_sif(train, texts, a, n_removed=1):
    """Arora et al. 2017, written out directly: weights from training counts, SVD of training rows."""
    counts = {}
    for t in train:
        for w in t.split():
            counts[w] = counts.get(w, 0) + 1
    total = sum(counts.values())
    lookup = dict(zip(WORDS, VECTORS.astype(np.float64)))

    def embed(text):
        words = [w for w in text.split() if w in lookup]
        if not words:
            return np.zeros(3)
        return sum(a / (a + counts.get(w, 0) / total) * lookup[w] for w in words) / len(words)

    T = np.array([embed(t) for t in train])
    u = np.linalg.svd(T, full_matrices=False)[2][:n_removed]
    X = np.array([embed(t) for t in texts])
    return X - X @ u.T @ u


@pytest.mark.parametrize("a", [1e-3, 0.1, 10.0])
def test_sif_matches_the_reference(a):
    texts = ["red car", "bus sky red", "car", "zebra"]
    emb = embedder("sif", sif_a=a).fit(TRAIN)
    assert emb.weights_["car"] == pytest.approx(a / (a + 3 / 7))
    X = emb.transform(texts)
    np.testing.assert_allclose(X, reference_sif(TRAIN, texts, a), rtol=1e-5, atol=1e-6)
    # the removed direction is gone from every row
    np.testing.assert_allclose(X @ emb.components_.T, 0, atol=1e-5)
    assert emb.n_empty_ == 1 and not X[3].any()


def test_sif_zipf_frequencies_come_from_the_vector_rank():
    a = 0.01
    emb = embedder("sif", sif_a=a, sif_frequencies="zipf", sif_components=0).fit(TRAIN)
    harmonic = math.log(4) + 0.5772
    p = {w: 1 / ((rank + 1) * harmonic) for rank, w in enumerate(WORDS)}
    assert emb.weights_ == pytest.approx({w: a / (a + p[w]) for w in ("red", "car", "bus")})
    X = emb.transform(["sky red"])  # "sky" was not in training: its weight still comes from its rank
    expected = (a / (a + p["sky"]) * VECTORS[3] + a / (a + p["red"]) * VECTORS[0]) / 2
    np.testing.assert_allclose(X[0], expected, rtol=1e-6)


def test_oov_policy_counts_or_raises():
    emb = embedder("mean").fit(TRAIN)
    X = emb.transform(["", "   ", "zebra yak", "red zebra"])
    assert emb.n_empty_ == 3 and not X[:3].any() and X[3].any()
    assert emb.oov_rate_ == pytest.approx(3 / 4)
    strict = embedder("mean", on_empty="raise").fit(TRAIN)
    with pytest.raises(ValueError, match=r"text 1 \('zebra'\) has no token with a word vector \(2 such"):
        strict.transform(["red", "zebra", ""])
    # every training text unknown: no direction to remove, rows stay zero
    emb = embedder("sif").fit(["zebra", "yak"])
    assert emb.components_.shape == (0, 3) and not emb.transform(["zebra"]).any()


def test_bad_parameters():
    with pytest.raises(ValueError, match="pooling"):
        embedder("max").fit(TRAIN)
    with pytest.raises(ValueError, match="sif_a"):
        embedder("sif", sif_a=0).fit(TRAIN)
    with pytest.raises(ValueError, match="on_empty"):
        embedder("sif", on_empty="skip").fit(TRAIN)
    with pytest.raises(ValueError, match="sif_frequencies"):
        embedder("sif", sif_frequencies="wiki").fit(TRAIN)
    with pytest.raises(TypeError, match="KeyedVectors"):
        SentenceEmbedder({"red": [1.0]}).fit(TRAIN)
