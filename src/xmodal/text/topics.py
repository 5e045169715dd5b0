"""Topic features: LDA topic proportions (scikit-learn's variational Bayes LDA)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from xmodal.text.features import DEFAULT_N_TOPICS
from xmodal.text.pooling import check_texts


class TopicEncoder(BaseEstimator, TransformerMixin):
    """Texts -> LDA topic proportions (dense float32, rows sum to 1).

    The Wikipedia benchmark's text side (Rasiwasia et al. 2010) is 10-topic LDA.

    Parameters
    ----------
    n_topics : int
        Default 10, chosen by cross-validation on Flickr8k-1k captions for LDA beside TF-IDF
        (as in the Wikipedia benchmark's released features).
    tokenizer : callable or None
        ``str -> list[str]``; default :class:`~xmodal.text.tokenize.WordTokenizer`.
    min_df : int
        Ignore terms found in fewer training texts.
    max_features : int or None
        Keep the most frequent terms only.
    max_iter : int
        Passes of batch variational Bayes.
    seed : int

    Attributes
    ----------
    vectorizer_ : sklearn.feature_extraction.text.CountVectorizer
    lda_ : sklearn.decomposition.LatentDirichletAllocation
    n_empty_ : int
        Texts of the last ``transform`` with no known term: their row is zero, not LDA's prior.

    Examples
    --------
    >>> texts = ["dog cat pet", "cat pet fur", "car road wheel", "road car engine"] * 5
    >>> enc = TopicEncoder(n_topics=2, min_df=1).fit(texts)
    >>> X = enc.transform(["dog pet", "car wheel", "zebra"])
    >>> X.shape, bool(X[0].argmax() != X[1].argmax()), X[2].tolist()
    ((3, 2), True, [0.0, 0.0])
    """

    def __init__(self, n_topics=DEFAULT_N_TOPICS, tokenizer=None, min_df=2, max_features=20000, max_iter=30, seed=0):
        self.n_topics = n_topics
        self.tokenizer = tokenizer
        self.min_df = min_df
        self.max_features = max_features
        self.max_iter = max_iter
        self.seed = seed

    def fit(self, texts, y=None):
        """Learn the vocabulary and the topics from ``texts``."""
        from sklearn.decomposition import LatentDirichletAllocation
        from sklearn.feature_extraction.text import CountVectorizer

        from xmodal.text.tokenize import WordTokenizer

        if not isinstance(self.n_topics, (int, np.integer)) or self.n_topics < 1:
            raise ValueError(f"n_topics must be a positive int, got {self.n_topics!r}")
        texts = check_texts(texts)
        vectorizer = CountVectorizer(tokenizer=self.tokenizer or WordTokenizer(), lowercase=False, token_pattern=None,
                                     min_df=self.min_df, max_features=self.max_features)
        try:
            counts = vectorizer.fit_transform(texts)
        except ValueError as err:
            raise ValueError(f"no vocabulary could be learnt from {len(texts)} texts: {err}") from None
        self.vectorizer_ = vectorizer
        self.lda_ = LatentDirichletAllocation(n_components=self.n_topics, learning_method="batch",
                                              max_iter=self.max_iter, random_state=self.seed).fit(counts)
        return self

    def transform(self, texts):
        """Topic proportions, float32 (n_texts, n_topics); zero rows for texts with no known term."""
        check_is_fitted(self, "lda_")
        counts = self.vectorizer_.transform(check_texts(texts))
        empty = counts.getnnz(axis=1) == 0
        X = self.lda_.transform(counts).astype(np.float32)
        X[empty] = 0.0
        self.n_empty_ = int(empty.sum())
        return X
