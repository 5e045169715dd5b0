import numpy as np
import pytest

from xmodal.text.encoder import TextEncoder
from xmodal.text.tokenize import WordTokenizer


def test_word_tokenizer():
    tok = WordTokenizer()
    assert tok("The DOG's ball, 3 times!") == ["dog's", "ball", "times"]
    assert tok("ＤＯＧ-width café") == ["dog", "width", "café"]  # NFKC and Unicode letters
    assert WordTokenizer(stop_words=None, keep_numbers=True)("the 3 dogs") == ["the", "3", "dogs"]
    assert tok("") == [] and tok("   ") == [] and tok("🙂🙂") == []
    with pytest.raises(ValueError, match="stop_words"):
        WordTokenizer(stop_words="french")


def test_tfidf_neighbours_and_empty_texts():
    texts = ["a dog runs on grass", "two dogs play on the grass", "a red car on the road", "cars on a road"]
    enc = TextEncoder(min_df=1).fit(texts)
    X = enc.transform(texts + ["", "zebra xylophone"]).toarray()
    sim = X @ X.T
    assert sim[0, 1] > sim[0, 2] and sim[2, 3] > sim[2, 0]
    assert enc.n_empty_ == 2 and not X[4].any() and not X[5].any()
    np.testing.assert_allclose(np.linalg.norm(X[:4], axis=1), 1.0, rtol=1e-5)


def test_char_tfidf_and_errors():
    enc = TextEncoder(features="char-tfidf", min_df=1).fit(["colour", "color", "banana"])
    X = enc.transform(["colour", "color", "banana"]).toarray()
    assert (X @ X.T)[0, 1] > (X @ X.T)[0, 2]
    with pytest.raises(ValueError, match="every training text is empty"):
        TextEncoder().fit(["", "  "])
    with pytest.raises(ValueError, match="no vocabulary"):
        TextEncoder(min_df=1).fit(["the a of", "and the"])
    with pytest.raises(TypeError, match="not a single string"):
        TextEncoder().fit("a text")
    with pytest.raises(TypeError, match="text 1 is a int"):
        TextEncoder().fit(["a", 3])
    with pytest.raises(ValueError, match="unknown text feature"):
        TextEncoder(features="bert").fit(["a b"])
