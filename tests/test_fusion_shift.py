"""MMD and the domain-shift report."""

import numpy as np
import pytest
import scipy.sparse as sp

from xmodal.fusion.items import Items
from xmodal.fusion.mmd import mmd_test
from xmodal.fusion.shift import (DomainShiftWarning, domain_shift_report, format_shift, unseen_visual_words,
                                 unseen_vocabulary, warn_about)


def naive_mmd2(X, Y, h):
    """Unbiased MMD^2 written as the textbook double sums."""
    k = lambda a, b: np.exp(-np.sum((a - b) ** 2) / h)  # noqa: E731
    n, m = len(X), len(Y)
    kxx = sum(k(X[i], X[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    kyy = sum(k(Y[i], Y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    kxy = sum(k(X[i], Y[j]) for i in range(n) for j in range(m)) / (n * m)
    return kxx + kyy - 2 * kxy


def test_mmd_matches_the_textbook_sums_dense_and_sparse():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(12, 3)), rng.normal(size=(9, 3)) + 0.5
    result = mmd_test(X, Y, n_permutations=0)
    assert result["p_value"] is None and (result["n_x"], result["n_y"]) == (12, 9)
    assert result["mmd2"] == pytest.approx(naive_mmd2(X, Y, result["bandwidth"]))
    pooled = np.vstack([X, Y])
    d2 = np.sum((pooled[:, None] - pooled[None]) ** 2, axis=-1)
    assert result["bandwidth"] == pytest.approx(np.median(d2[~np.eye(21, dtype=bool)]))
    sparse = mmd_test(sp.csr_matrix(np.abs(X)), sp.csr_matrix(np.abs(Y)), n_permutations=0)
    assert sparse["mmd2"] == pytest.approx(mmd_test(np.abs(X), np.abs(Y), n_permutations=0)["mmd2"])


def test_mmd_permutation_test_tells_shifted_from_same():
    rng = np.random.default_rng(1)
    same = [mmd_test(rng.normal(size=(80, 4)), rng.normal(size=(80, 4)), n_permutations=100, seed=s)["p_value"]
            for s in range(10)]
    assert np.mean(np.array(same) < 0.05) <= 0.3  # about 5% false alarms expected
    shifted = mmd_test(rng.normal(size=(80, 4)), rng.normal(size=(80, 4)) * 2.0, n_permutations=100)
    assert shifted["p_value"] < 0.02
    big = mmd_test(rng.normal(size=(900, 2)), rng.normal(size=(700, 2)), max_items=100, n_permutations=0)
    assert (big["n_x"], big["n_y"]) == (100, 100)
    with pytest.raises(ValueError, match="same feature space|share a feature space"):
        mmd_test(np.ones((3, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        mmd_test(np.ones((1, 2)), np.ones((3, 2)))


def test_unseen_vocabulary_and_visual_words():
    assert unseen_vocabulary({"a", "b"}, {"a", "b"}) == 0.0
    assert unseen_vocabulary({"a"}, {"x", "y"}) == 1.0
    assert unseen_vocabulary(None, {"x"}) is None
    rng = np.random.default_rng(0)
    codebook = rng.normal(size=(200, 16))
    assert unseen_visual_words(codebook, codebook + 1e-3) == 0.0
    assert unseen_visual_words(codebook, codebook + 50.0) == 1.0
    assert unseen_visual_words(codebook, None) is None
    # words drawn from the same distribution are mostly within reach
    assert unseen_visual_words(codebook, rng.normal(size=(200, 16))) < 0.5


def test_report_warns_when_no_target_text_has_a_known_word():
    rng = np.random.default_rng(0)
    source = Items(rng.normal(size=(50, 4)), rng.random((50, 3)))
    target = Items(rng.normal(size=(40, 4)) + 3.0, np.zeros((40, 3)))
    report = domain_shift_report(source, target, n_permutations=50)
    assert report["texts without a known word"] == 1.0
    assert report["mmd"]["text"] is None and report["mmd"]["image"]["p_value"] < 0.05
    assert "no text of the target collection has a word of the source's vocabulary" in report["warnings"][0]
    with pytest.warns(DomainShiftWarning, match="vocabulary"):
        warn_about(report)
    line = format_shift(report)
    assert line.startswith("MMD² image") and "texts without a known word 100%" in line


def test_vocabulary_and_visual_words_are_read_from_either_encoder_layout():
    from types import SimpleNamespace

    from xmodal.fusion.shift import _codebook, _vocabulary

    words = np.arange(6.0).reshape(3, 2)
    assert _codebook(SimpleNamespace(codebook_=words)) is words
    assert _codebook(SimpleNamespace(encoding_=SimpleNamespace(centres_=words))) is words
    assert _codebook(SimpleNamespace(features="hsv")) is None
    assert _vocabulary(SimpleNamespace(vectorizer_=SimpleNamespace(vocabulary_={"cat": 0}))) == {"cat"}
    blocks = {"tfidf": SimpleNamespace(vocabulary_={"cat": 0, "dog": 1}), "glove": SimpleNamespace()}
    assert _vocabulary(SimpleNamespace(blocks_=blocks)) == {"cat", "dog"}
    assert _vocabulary(None) is None
