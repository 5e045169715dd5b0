"""TextEncoder: texts -> one feature row per text, from one or several named feature blocks."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from xmodal.text.features import DEFAULT_FEATURES, DEFAULT_N_TOPICS, DEFAULT_SIF_A, ON_EMPTY, parse_features
from xmodal.text.pooling import check_texts


def _unit_rows(X):
    """Rows scaled to unit L2 norm (zero rows stay zero); sparse stays sparse."""
    import scipy.sparse as sp

    if sp.issparse(X):
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        return sp.diags(1.0 / np.where(norms > 0, norms, 1.0)).astype(np.float32) @ X
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def _empty_rows(X) -> np.ndarray:
    import scipy.sparse as sp

    return X.getnnz(axis=1) == 0 if sp.issparse(X) else ~X.any(axis=1)


class TextEncoder(BaseEstimator, TransformerMixin):
    """Texts -> feature rows: TF-IDF, LDA topics, pooled word vectors, or several concatenated.

    Each block's rows are scaled to unit L2 norm, and with several blocks each is then scaled by
    ``1/sqrt(n_blocks)``, so every text's row has unit norm (or is zero) and no block dominates by
    its size. The result is scipy.sparse CSR float32 when a TF-IDF block is present, else a dense
    float32 array.

    Parameters
    ----------
    features : str or tuple of str
        Blocks joined with ``+`` (``"tfidf+glove-sif"``):

        - ``"tfidf"``: word TF-IDF (scikit-learn's ``TfidfVectorizer`` on ``tokenizer``'s tokens);
        - ``"char-tfidf"``: character 1-3-grams within word boundaries;
        - ``"lda"``: LDA topic proportions (:class:`~xmodal.text.topics.TopicEncoder`);
        - ``"<source>-<pooling>"``: word vectors pooled per text
          (:class:`~xmodal.text.pooling.SentenceEmbedder`), pooling ``mean``, ``tfidf``
          (IDF-weighted mean) or ``sif``; source ``glove`` (English GloVe 6B 50d, extra
          ``xmodal[glove]``), ``word2vec`` or ``fasttext`` (trained on the training texts with
          ``train_params``) or ``vectors`` (the ``vectors`` argument).
    tokenizer : callable or None
        ``str -> list[str]``; default :class:`~xmodal.text.tokenize.WordTokenizer` (Unicode
        words, English stop words removed, character n-grams for Chinese, Japanese, Korean, Thai).
    ngram_range : tuple (min_n, max_n)
        Word n-grams for ``"tfidf"``.
    min_df : int
        Ignore terms found in fewer training texts (TF-IDF and LDA).
    max_features : int or None
        Keep the most frequent terms only (TF-IDF and LDA).
    sublinear_tf : bool
        TF-IDF with ``1 + log(tf)`` instead of raw counts.
    n_topics : int
        LDA topics (default chosen by cross-validation on Flickr8k-1k captions).
    vectors : str, Path, gensim KeyedVectors or None
        For ``"vectors-*"`` blocks: a GloVe / word2vec file (converted once into the cache
        folder, then memory-mapped) or vectors in memory.
    vectors_format : {"auto", "glove", "word2vec", "word2vec-binary"}
        Format of a ``vectors`` file.
    sif_a : float
        SIF's ``a``.
    sif_frequencies : {"corpus", "zipf"}
        SIF's word frequencies: from the training texts, or from the rank in the vectors
        (see :class:`~xmodal.text.pooling.SentenceEmbedder`).
    train_params : dict or None
        Keyword arguments of :func:`~xmodal.text.training.train_word_vectors` for the
        ``word2vec-*`` and ``fasttext-*`` blocks.
    on_empty : {"zero", "raise"}
        A text that gives a zero row in some block (empty, or no known token): keep the zero row
        (counted in ``n_empty_``) or raise a ValueError naming the text and the block.
    seed : int
        Seed of LDA and of word-vector training.

    Attributes
    ----------
    blocks_ : dict of str -> transformer
        The fitted block of each feature name.
    n_features_out_ : int
    vocabulary_size_ : int or None
        Terms of the ``"tfidf"`` or ``"char-tfidf"`` block, if any.
    n_empty_ : int
        Texts of the last ``transform`` whose whole row is zero.
    block_empty_ : dict of str -> int
        Texts of the last ``transform`` with a zero row, per block.

    Examples
    --------
    >>> enc = TextEncoder(min_df=1).fit(["a red car", "a blue car", "a red bus"])
    >>> enc.transform(["red car"]).shape
    (1, 4)
    >>> enc = TextEncoder("tfidf+lda", min_df=1, n_topics=2).fit(["a red car", "a blue car", "a red bus"])
    >>> enc.transform(["red car", "zebra"]).shape, enc.n_empty_
    ((2, 6), 1)
    """

    def __init__(self, features=DEFAULT_FEATURES, tokenizer=None, ngram_range=(1, 1), min_df=2, max_features=20000,
                 sublinear_tf=True, n_topics=DEFAULT_N_TOPICS, vectors=None, vectors_format="auto",
                 sif_a=DEFAULT_SIF_A, sif_frequencies="corpus", train_params=None, on_empty="zero", seed=0):
        self.features = features
        self.tokenizer = tokenizer
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.n_topics = n_topics
        self.vectors = vectors
        self.vectors_format = vectors_format
        self.sif_a = sif_a
        self.sif_frequencies = sif_frequencies
        self.train_params = train_params
        self.on_empty = on_empty
        self.seed = seed

    def _check_params(self):
        names = parse_features(self.features)
        if not isinstance(self.min_df, (int, np.integer)) or self.min_df < 1:
            raise ValueError(f"min_df must be a positive int, got {self.min_df!r}")
        if self.tokenizer is not None and not callable(self.tokenizer):
            raise TypeError("tokenizer must be a callable str -> list[str]")
        if self.on_empty not in ON_EMPTY:
            raise ValueError(f"on_empty must be one of {list(ON_EMPTY)}, got {self.on_empty!r}")
        if any(n.startswith("vectors-") for n in names) and self.vectors is None:
            raise ValueError(f"text features {names} need word vectors: pass vectors=PATH (a GloVe or word2vec "
                             "file) or a gensim KeyedVectors")
        return names

    def _tfidf(self, name):
        from sklearn.feature_extraction.text import TfidfVectorizer

        from xmodal.text.tokenize import WordTokenizer

        common = dict(min_df=self.min_df, max_features=self.max_features, sublinear_tf=self.sublinear_tf,
                      dtype=np.float32)
        if name == "char-tfidf":
            return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), lowercase=True, **common)
        return TfidfVectorizer(tokenizer=self.tokenizer or WordTokenizer(), lowercase=False, token_pattern=None,
                               ngram_range=tuple(self.ngram_range), **common)

    def _word_vectors(self, source, texts):
        if source == "glove":
            from xmodal.text.glove import load_glove_6b_50d

            return load_glove_6b_50d()
        if source == "vectors":
            if hasattr(self.vectors, "key_to_index"):
                return self.vectors
            from xmodal.text.vectors import load_vectors

            return load_vectors(self.vectors, format=self.vectors_format, cache=True)
        from xmodal.text.training import train_word_vectors

        params = dict(seed=self.seed)
        if self.tokenizer is not None:
            params["tokenizer"] = self.tokenizer
        params.update(self.train_params or {})
        return train_word_vectors(texts, method=source, **params)

    def _make_block(self, name, texts, sources):
        if name in ("tfidf", "char-tfidf"):
            return self._tfidf(name)
        if name == "lda":
            from xmodal.text.topics import TopicEncoder

            return TopicEncoder(n_topics=self.n_topics, tokenizer=self.tokenizer, min_df=self.min_df,
                                max_features=self.max_features, seed=self.seed)
        from xmodal.text.pooling import SentenceEmbedder

        source, pooling = name.split("-", 1)
        if source not in sources:
            sources[source] = self._word_vectors(source, texts)
        return SentenceEmbedder(sources[source], pooling=pooling, tokenizer=self.tokenizer, sif_a=self.sif_a,
                                sif_frequencies=self.sif_frequencies)

    def fit(self, texts, y=None):
        """Fit every block on ``texts``."""
        self._fit(texts)
        return self

    def _fit(self, texts):
        """Fit the blocks; return the training rows."""
        names = self._check_params()
        texts = check_texts(texts)
        if not any(t.strip() for t in texts):
            raise ValueError("every training text is empty")
        blocks, sources, parts = {}, {}, []
        for name in names:
            block = self._make_block(name, texts, sources)
            try:
                parts.append(block.fit_transform(texts))
            except ValueError as err:  # sklearn: "empty vocabulary; perhaps the documents only contain stop words"
                if not name.endswith("tfidf") or "vocabulary" not in str(err):
                    raise
                raise ValueError(f"no vocabulary could be learnt from {len(texts)} texts for {name!r}: {err}") from None
            blocks[name] = block
        self.blocks_ = blocks
        tfidf = next((b for n, b in blocks.items() if n.endswith("tfidf") and hasattr(b, "vocabulary_")), None)
        self.vocabulary_size_ = len(tfidf.vocabulary_) if tfidf is not None else None
        X = self._combine(parts, texts)
        self.n_features_out_ = X.shape[1]
        return X

    def _combine(self, parts, texts):
        import scipy.sparse as sp

        scale = 1.0 / np.sqrt(len(parts))
        self.block_empty_ = {}
        empty_all = np.ones(len(texts), dtype=bool)
        for name, X in zip(self.blocks_, parts):
            empty = _empty_rows(X)
            self.block_empty_[name] = int(empty.sum())
            empty_all &= empty
            if self.on_empty == "raise" and empty.any():
                i = int(np.argmax(empty))
                raise ValueError(f"text {i} ({texts[i][:60]!r}) gives a zero {name!r} row: no known token "
                                 f"({int(empty.sum())} such text(s) in all)")
        self.n_empty_ = int(empty_all.sum())
        parts = [_unit_rows(X) for X in parts]
        if len(parts) > 1:
            parts = [X * np.float32(scale) for X in parts]
        if any(sp.issparse(X) for X in parts):
            return sp.hstack([sp.csr_matrix(X) for X in parts], format="csr", dtype=np.float32)
        return np.hstack(parts).astype(np.float32, copy=False)

    def transform(self, texts):
        """Feature rows of ``texts`` (CSR float32 with a TF-IDF block, else dense float32)."""
        check_is_fitted(self, "blocks_")
        texts = check_texts(texts)
        return self._combine([block.transform(texts) for block in self.blocks_.values()], texts)

    def fit_transform(self, texts, y=None):
        """Fit on ``texts`` and return their rows (each block is run once)."""
        return self._fit(texts)
