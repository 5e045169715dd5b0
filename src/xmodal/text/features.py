"""Names of the text features, and parsing ``"a+b"`` feature lists (no heavy imports here)."""

from __future__ import annotations

from xmodal._blocks import parse_blocks

POOLINGS = ("mean", "tfidf", "sif")
SOURCES = ("glove", "word2vec", "fasttext", "vectors")
FEATURES = ("tfidf", "char-tfidf", "lda") + tuple(f"{s}-{p}" for s in SOURCES for p in POOLINGS)
DEFAULT_FEATURES = "tfidf"
ON_EMPTY = ("zero", "raise")
# SIF's a, chosen by 3-fold CV on the Flickr8k-1k training split (benchmarks/text_features.py sweep):
# 1e-3 (the paper's value, meant for frequencies from a large corpus) 0.054, 1e-2 0.063, 1e-1 0.066, 1 0.066.
DEFAULT_SIF_A = 0.1
# LDA topics, chosen the same way, for LDA beside TF-IDF (how it helps; alone it is far behind every other
# feature): tfidf+lda 0.0949 with 10 topics, 0.0923 with 50 (lda alone: 0.037 and 0.048). The Wikipedia
# benchmark's released text features are 10-topic LDA too.
DEFAULT_N_TOPICS = 10


def parse_features(features) -> tuple[str, ...]:
    """``"a+b"`` or ``("a", "b")`` -> ``("a", "b")``, checked against :data:`FEATURES`.

    Examples
    --------
    >>> parse_features("tfidf+glove-sif")
    ('tfidf', 'glove-sif')
    """
    return parse_blocks(features, FEATURES, "text feature")
