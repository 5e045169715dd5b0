"""TextEncoder: texts -> one float vector per text."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from xmodal.text.tokenize import WordTokenizer

FEATURES = ("tfidf", "char-tfidf")


class TextEncoder(BaseEstimator, TransformerMixin):
    """Texts -> TF-IDF vectors (scipy sparse, rows L2-normalised).

    Parameters
    ----------
    features : {"tfidf", "char-tfidf"}
        ``"tfidf"``: words from ``tokenizer`` (unigrams, plus bigrams with ``ngram_range=(1, 2)``).
        ``"char-tfidf"``: character 1-3-grams within word boundaries, robust to typos and
        morphology but blind to word meaning.
    tokenizer : callable or None
        ``str -> list[str]``; default :class:`~xmodal.text.tokenize.WordTokenizer` (English stop
        words removed). Pass your own for other languages.
    ngram_range : tuple (min_n, max_n)
        Word n-grams for ``"tfidf"``.
    min_df : int
        Ignore terms found in fewer training texts.
    max_features : int or None
        Keep the most frequent terms only.
    sublinear_tf : bool
        Use ``1 + log(tf)`` instead of raw counts.

    Attributes
    ----------
    vectorizer_ : sklearn.feature_extraction.text.TfidfVectorizer
    vocabulary_size_ : int
    n_empty_ : int
        Texts in the last ``transform`` whose vector was all zero (no known term).

    Examples
    --------
    >>> enc = TextEncoder(min_df=1).fit(["a red car", "a blue car", "a red bus"])
    >>> enc.transform(["red car"]).shape
    (1, 4)
    """

    def __init__(self, features="tfidf", tokenizer=None, ngram_range=(1, 1), min_df=2, max_features=20000,
                 sublinear_tf=True):
        self.features = features
        self.tokenizer = tokenizer
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    def _vectorizer(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        if self.features not in FEATURES:
            raise ValueError(f"unknown text feature {self.features!r}; choose from {list(FEATURES)}")
        if not isinstance(self.min_df, (int, np.integer)) or self.min_df < 1:
            raise ValueError(f"min_df must be a positive int, got {self.min_df!r}")
        if self.tokenizer is not None and not callable(self.tokenizer):
            raise TypeError("tokenizer must be a callable str -> list[str]")
        common = dict(min_df=self.min_df, max_features=self.max_features, sublinear_tf=self.sublinear_tf,
                      dtype=np.float32)
        if self.features == "char-tfidf":
            return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), lowercase=True, **common)
        return TfidfVectorizer(tokenizer=self.tokenizer or WordTokenizer(), lowercase=False,
                               token_pattern=None, ngram_range=tuple(self.ngram_range), **common)

    @staticmethod
    def _check_texts(texts):
        if isinstance(texts, str):
            raise TypeError("texts must be a list of strings, not a single string")
        texts = list(texts)
        if not texts:
            raise ValueError("no texts given")
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"text {i} is a {type(t).__name__}, not a str")
        return texts

    def fit(self, texts, y=None):
        """Learn the vocabulary and IDF weights from ``texts``."""
        texts = self._check_texts(texts)
        if not any(t.strip() for t in texts):
            raise ValueError("every training text is empty")
        vectorizer = self._vectorizer()
        try:
            vectorizer.fit(texts)
        except ValueError as err:  # sklearn: "empty vocabulary; perhaps the documents only contain stop words"
            raise ValueError(f"no vocabulary could be learnt from {len(texts)} texts: {err}") from None
        self.vectorizer_ = vectorizer
        self.vocabulary_size_ = len(vectorizer.vocabulary_)
        return self

    def transform(self, texts):
        """TF-IDF rows (scipy.sparse CSR, float32); texts with no known term give zero rows."""
        check_is_fitted(self, "vectorizer_")
        X = self.vectorizer_.transform(self._check_texts(texts))
        self.n_empty_ = int((X.getnnz(axis=1) == 0).sum())
        return X

    def fit_transform(self, texts, y=None):
        return self.fit(texts).transform(texts)
