"""Sentence embeddings from word vectors: mean, TF-IDF-weighted mean, and SIF.

SIF is Arora, Liang and Ma, "A Simple but Tough-to-Beat Baseline for Sentence Embeddings",
ICLR 2017: each word is weighted by ``a / (a + p(w))``, ``p(w)`` its frequency among the training
tokens, and the first principal component of the training sentences is removed.

OOV policy
----------
A token with no vector is skipped (a FastText model has a vector for every token, built from its
character n-grams). A text with no token left -- empty, whitespace, emoji only, or every word
unknown -- gets a zero vector and is counted in ``n_empty_`` (``on_empty="zero"``), or stops
``transform`` with a ValueError naming the text (``on_empty="raise"``).
"""

from __future__ import annotations

import collections
import math

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from xmodal.text.features import DEFAULT_SIF_A, ON_EMPTY, POOLINGS

SIF_FREQUENCIES = ("corpus", "zipf")


def check_texts(texts) -> list[str]:
    """``texts`` as a non-empty list of str, or a TypeError / ValueError naming the text at fault."""
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, not a single string")
    texts = list(texts)
    if not texts:
        raise ValueError("no texts given")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"text {i} is a {type(t).__name__}, not a str")
    return texts


class SentenceEmbedder(BaseEstimator, TransformerMixin):
    """Texts -> weighted averages of their word vectors (dense float32).

    Parameters
    ----------
    vectors : gensim.models.KeyedVectors
        Word vectors (see :mod:`xmodal.text.vectors`, :mod:`xmodal.text.glove`,
        :mod:`xmodal.text.training`).
    pooling : {"mean", "tfidf", "sif"}
        ``"mean"``: every known token weighs 1. ``"tfidf"``: each occurrence weighs the token's
        smoothed IDF over the training texts, ``ln((1 + n) / (1 + df)) + 1`` (so a token used
        twice weighs twice). ``"sif"``: ``a / (a + p(w))`` and removal of the training
        sentences' first ``sif_components`` principal directions (uncentred, as in the paper).
        Tokens not seen in training get the largest weight (``df = 0``, ``p = 0``).
    tokenizer : callable or None
        ``str -> list[str]``; default :class:`~xmodal.text.tokenize.WordTokenizer`.
    sif_a : float
        SIF's ``a``; smaller values down-weight frequent words more. The default 0.1 was chosen by
        cross-validation on Flickr8k-1k captions with frequencies from the training captions; the
        paper's 1e-3 suits ``sif_frequencies="zipf"`` (general-language frequencies).
    sif_components : int
        Principal directions removed by ``"sif"``.
    sif_frequencies : {"corpus", "zipf"}
        Where SIF's ``p(w)`` comes from: the training texts, or the rank of ``w`` in ``vectors``
        through Zipf's law, ``p = 1 / ((rank + 1) H)`` (``H`` the harmonic number of the vocabulary
        size), which stands for general-language frequencies as in the paper; only meaningful
        for vectors stored most frequent first, as GloVe's and gensim's are.
    on_empty : {"zero", "raise"}
        A text with no known token: zero vector (counted in ``n_empty_``) or ValueError.

    Attributes
    ----------
    weights_ : dict of str -> float
        Weight of each training token (empty for ``"mean"``).
    default_weight_ : float
        Weight of a token not seen in training.
    components_ : ndarray (sif_components, dim)
        Directions removed (``"sif"`` only; shape (0, dim) otherwise).
    n_empty_ : int
        Texts of the last ``transform`` with no known token.
    oov_rate_ : float
        Fraction of the last ``transform``'s tokens that had no vector.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.text.vectors import keyed_vectors
    >>> kv = keyed_vectors(["red", "car", "bus"], np.eye(3, dtype=np.float32))
    >>> emb = SentenceEmbedder(kv, pooling="mean").fit(["red car", "red bus"])
    >>> emb.transform(["red car", "zebra"]).tolist(), emb.n_empty_
    ([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0]], 1)
    """

    def __init__(self, vectors, pooling="sif", tokenizer=None, sif_a=DEFAULT_SIF_A, sif_components=1,
                 sif_frequencies="corpus", on_empty="zero"):
        self.vectors = vectors
        self.pooling = pooling
        self.tokenizer = tokenizer
        self.sif_a = sif_a
        self.sif_components = sif_components
        self.sif_frequencies = sif_frequencies
        self.on_empty = on_empty

    def _check_params(self):
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {list(POOLINGS)}, got {self.pooling!r}")
        if self.on_empty not in ON_EMPTY:
            raise ValueError(f"on_empty must be one of {list(ON_EMPTY)}, got {self.on_empty!r}")
        if not (isinstance(self.sif_a, (int, float)) and self.sif_a > 0):
            raise ValueError(f"sif_a must be a positive number, got {self.sif_a!r}")
        if not isinstance(self.sif_components, (int, np.integer)) or self.sif_components < 0:
            raise ValueError(f"sif_components must be a non-negative int, got {self.sif_components!r}")
        if self.sif_frequencies not in SIF_FREQUENCIES:
            raise ValueError(f"sif_frequencies must be one of {list(SIF_FREQUENCIES)}, got {self.sif_frequencies!r}")
        if not (hasattr(self.vectors, "key_to_index") and hasattr(self.vectors, "vectors")):
            raise TypeError(f"vectors must be a gensim KeyedVectors, got {type(self.vectors).__name__}")
        if self.tokenizer is not None and not callable(self.tokenizer):
            raise TypeError("tokenizer must be a callable str -> list[str]")

    def _tokenize(self, texts):
        from xmodal.text.tokenize import WordTokenizer

        tokenizer = self.tokenizer or WordTokenizer()
        return [tokenizer(t) for t in texts]

    def fit(self, texts, y=None):
        """Learn the token weights (and SIF's removed directions) from ``texts``."""
        self._check_params()
        tokens = self._tokenize(check_texts(texts))
        if self.pooling == "tfidf":
            df = collections.Counter(t for doc in tokens for t in set(doc))
            n = len(tokens)
            self.weights_ = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
            self.default_weight_ = math.log(1 + n) + 1
        elif self.pooling == "sif" and self.sif_frequencies == "zipf":
            seen = {t for doc in tokens for t in doc}
            self.weights_ = {t: w for t in seen if (w := self._zipf_weight(t)) is not None}
            self.default_weight_ = 1.0
        elif self.pooling == "sif":
            counts = collections.Counter(t for doc in tokens for t in doc)
            total = max(sum(counts.values()), 1)
            a = float(self.sif_a)
            self.weights_ = {t: a / (a + c / total) for t, c in counts.items()}
            self.default_weight_ = 1.0
        else:
            self.weights_, self.default_weight_ = {}, 1.0
        dim = self.vectors.vector_size
        self.components_ = np.zeros((0, dim), dtype=np.float32)
        if self.pooling == "sif" and self.sif_components > 0:
            X, empty = self._pool(tokens)
            X = X[~empty].astype(np.float64)
            if len(X):
                _, _, vt = np.linalg.svd(X, full_matrices=False)
                self.components_ = vt[: self.sif_components].astype(np.float32)
        return self

    def _zipf_weight(self, token):
        """``a / (a + p)`` with ``p`` from the token's rank in the vectors; None if it has none."""
        index = self.vectors.key_to_index
        rank = index.get(token)
        if rank is None:
            return None
        a = float(self.sif_a)
        return a / (a + 1.0 / ((rank + 1) * (math.log(len(index)) + 0.5772)))

    def _pool(self, tokens):
        """Weighted means of known token vectors; (X float32 (n, dim), empty bool (n,))."""
        import scipy.sparse as sp

        kv = self.vectors
        index = kv.key_to_index
        synthesises = getattr(kv, "bucket", 0) > 0  # FastText: a vector for any token, from its n-grams
        extra: dict[str, int] = {}
        weights, default = self.weights_, self.default_weight_
        zipf = self.pooling == "sif" and self.sif_frequencies == "zipf"
        rows, cols, vals = [], [], []
        n_known = np.zeros(len(tokens))
        n_tokens = n_oov = 0
        for i, doc in enumerate(tokens):
            for t in doc:
                n_tokens += 1
                j = index.get(t)
                if j is None and synthesises and t:
                    j = extra.setdefault(t, len(index) + len(extra))
                if j is None:
                    n_oov += 1
                    continue
                rows.append(i)
                cols.append(j)
                w = weights.get(t)
                if w is None:
                    w = self._zipf_weight(t) if zipf else None
                vals.append(default if w is None else w)
                n_known[i] += 1
        self.oov_rate_ = n_oov / n_tokens if n_tokens else 0.0
        empty = n_known == 0
        vals = np.asarray(vals, dtype=np.float64) / n_known[np.asarray(rows, dtype=np.int64)]
        # gather only the rows used: the vector matrix may be a 400,000-row memory map
        used, cols = np.unique(np.asarray(cols, dtype=np.int64), return_inverse=True)
        W = sp.csr_matrix((vals, (rows, cols)), shape=(len(tokens), len(used)))
        known = used[used < len(index)]
        table = np.empty((len(used), kv.vector_size), dtype=np.float64)
        table[: len(known)] = kv.vectors[known]
        if len(known) < len(used):
            table[len(known):] = np.stack([kv.get_vector(t) for t in extra])  # extra's order is its indices'
        X = W @ table
        return X.astype(np.float32), empty

    def transform(self, texts):
        """Sentence vectors, float32 (n_texts, dim); zero rows for texts with no known token."""
        check_is_fitted(self, "weights_")
        texts = check_texts(texts)
        X, empty = self._pool(self._tokenize(texts))
        if len(self.components_):
            X -= (X @ self.components_.T) @ self.components_
            X[empty] = 0.0
        self.n_empty_ = int(empty.sum())
        if self.on_empty == "raise" and self.n_empty_:
            i = int(np.argmax(empty))
            raise ValueError(f"text {i} ({texts[i][:60]!r}) has no token with a word vector "
                             f"({self.n_empty_} such text(s) in all)")
        return X
