"""Training word vectors on the user's own texts (gensim Word2Vec or FastText).

This is how a language without pretrained vectors is served: the same tokeniser that feeds
TF-IDF (character n-grams for Chinese, Japanese, Korean and Thai) feeds the training.
"""

from __future__ import annotations

import zlib

METHODS = ("word2vec", "fasttext")


def stable_hash(text: str) -> int:
    """A hash of ``text`` that is the same in every process (Python's ``hash`` of str is not).

    gensim seeds each word's initial vector with ``hashfxn(word + str(seed))``; with this
    function training with one worker is reproducible across runs.
    """
    return zlib.crc32(text.encode("utf-8"))


def train_word_vectors(texts, method="word2vec", tokenizer=None, vector_size=100, window=5, min_count=2,
                       epochs=20, sg=1, seed=0, workers=1, bucket=100_000):
    """Train word vectors on ``texts``.

    Parameters
    ----------
    texts : list of str
    method : {"word2vec", "fasttext"}
        FastText also learns character n-gram vectors (``bucket`` hash buckets), so it gives a
        vector to any word, seen or not.
    tokenizer : callable or None
        ``str -> list[str]``; default :class:`~xmodal.text.tokenize.WordTokenizer` with no stop
        words (function words are useful context while training).
    vector_size, window, min_count, epochs, sg : int
        As in gensim; ``sg=1`` is skip-gram, which suits small corpora. The defaults favour a
        few thousand short texts (more epochs than gensim's 5).
    seed : int
    workers : int
        With one worker (default) the result is reproducible.
    bucket : int
        FastText n-gram buckets (gensim's 2 million would take 800 MB at 100 dimensions).

    Returns
    -------
    gensim.models.KeyedVectors
        ``FastTextKeyedVectors`` for ``"fasttext"``.

    Examples
    --------
    >>> texts = ["a red car on the road", "a blue car on a road", "a red bus"] * 20
    >>> kv = train_word_vectors(texts, vector_size=8, epochs=5)
    >>> kv.vector_size, "car" in kv.key_to_index
    (8, True)
    """
    from gensim.models import FastText, Word2Vec

    from xmodal.text.tokenize import WordTokenizer

    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    for name, value in (("vector_size", vector_size), ("window", window), ("min_count", min_count),
                        ("epochs", epochs), ("workers", workers), ("bucket", bucket)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, not a single string")
    tokenizer = tokenizer or WordTokenizer(stop_words=None)
    sentences = [tokens for tokens in map(tokenizer, texts) if tokens]
    if not sentences:
        raise ValueError("no tokens in the training texts: nothing to learn word vectors from")
    params = dict(vector_size=vector_size, window=window, min_count=min_count, epochs=epochs, sg=sg, seed=seed,
                  workers=workers, hashfxn=stable_hash)
    if method == "fasttext":
        model = FastText(bucket=bucket, **params)
    else:
        model = Word2Vec(**params)
    model.build_vocab(sentences)
    if not model.wv.index_to_key:
        raise ValueError(f"no token occurs at least min_count={min_count} times in the training texts")
    model.train(sentences, total_examples=len(sentences), epochs=epochs)
    return model.wv
