"""Tokenisation: Unicode-aware word splitting with an English stop-word list."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+", re.UNICODE)


def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop-word list."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


class WordTokenizer:
    """Split text into lower-cased words (NFKC-normalised), dropping stop words and lone numbers.

    A callable ``str -> list[str]``; any such callable can be given to :class:`TextEncoder` instead.

    Parameters
    ----------
    stop_words : "english", None or iterable of str
    keep_numbers : bool

    Examples
    --------
    >>> WordTokenizer()("Two dogs are running on the GRASS!")
    ['dogs', 'running', 'grass']
    """

    def __init__(self, stop_words="english", keep_numbers=False):
        self.stop_words = stop_words
        self.keep_numbers = keep_numbers
        if stop_words == "english":
            self._stop = english_stop_words()
        elif stop_words is None:
            self._stop = frozenset()
        elif isinstance(stop_words, str):
            raise ValueError(f"stop_words must be 'english', None or a list of words, got {stop_words!r}")
        else:
            self._stop = frozenset(w.casefold() for w in stop_words)

    def __call__(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"expected a str, got {type(text).__name__}")
        text = unicodedata.normalize("NFKC", text).casefold()
        words = _WORD.findall(text)
        return [w for w in words if w not in self._stop and (self.keep_numbers or not w.isdigit())]

    def __repr__(self):
        return f"WordTokenizer(stop_words={self.stop_words!r}, keep_numbers={self.keep_numbers!r})"
