"""Tokenisation: Unicode-aware words, with character n-grams for scripts written without spaces.

Every text is NFKC-normalised (full-width letters and digits become ASCII, ligatures are split)
and case-folded, then cut into tokens of four kinds, left to right:

- a run of Han, Hiragana, Katakana or Hangul characters, or a run of Thai characters, becomes its
  character n-grams (unigrams and bigrams by default), because these scripts do not separate
  words by spaces: "猫在沙发上" gives 猫, 猫在, 在, 在沙, ... A Thai vowel or tone mark stays with
  the consonant it sits on;
- a number (``12``, ``3.5``, ``1,000``) is dropped, kept, or replaced by ``"<num>"``;
- a word is a run of letters, digits and combining marks (so Devanagari or decomposed accents
  stay whole), with inner apostrophes kept (``o'neill``) and an English possessive ``'s``
  removed (``dog's`` -> ``dog``); hyphens and all other punctuation separate words;
- any other character is a separator, except symbols such as emoji (Unicode category ``So``)
  when ``symbols="keep"``, each of which is then a token.

Stop words are removed last, from tokens of every kind.
"""

from __future__ import annotations

import functools
import re
import unicodedata

NUMBER_TOKEN = "<num>"

# Scripts written without spaces between words: Han (with the iteration marks), Hiragana,
# Katakana (with the prolonged sound mark), Hangul syllables and jamo; and Thai.
_CJK_RANGES = ("\u3005-\u3007\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
               "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\U00020000-\U0003134f")
_THAI_RANGES = "\u0e01-\u0e4e"
_THAI_MARKS = frozenset(chr(c) for c in [0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)])  # above / below
NUMBERS = ("drop", "keep", "mask")
SYMBOLS = ("drop", "keep")


def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop-word list (318 words).

    Examples
    --------
    >>> "the" in english_stop_words()
    True
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def _ranges(codepoints) -> str:
    """Sorted code points -> a regex character-class body of ranges."""
    parts, start, prev = [], None, None
    for cp in codepoints:
        if start is None:
            start = prev = cp
        elif cp == prev + 1:
            prev = cp
        else:
            parts.append((start, prev))
            start = prev = cp
    if start is not None:
        parts.append((start, prev))
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in parts)


@functools.cache
def _token_pattern() -> re.Pattern:
    """The tokenising regex (built on first use: listing the combining marks takes ~20 ms)."""
    marks = _ranges(c for c in range(0x20000) if unicodedata.category(chr(c))[0] == "M")
    letters = f"[^\\W_{_CJK_RANGES}{_THAI_RANGES}]"
    marks = f"[{marks}\U000e0100-\U000e01ef]"  # + variation selectors supplement
    word = f"(?:{letters}+|{marks}+)+"  # runs, not single characters, alternate: faster
    return re.compile(
        f"([{_CJK_RANGES}]+)"
        f"|([{_THAI_RANGES}]+)"
        f"|(\\d+(?:[.,]\\d+)*(?![.,]?(?:{letters}|{marks})))"
        f"|((?:\\d+(?:[.,]\\d+)+)?{word}(?:['’]{word})*)"
        f"|(\\S)"
    )


def _characters(run: str, kind: str) -> list[str]:
    """A run cut into characters; for Thai, a mark stays with the character before it."""
    if kind != "thai":
        return list(run)
    chars: list[str] = []
    for ch in run:
        if ch in _THAI_MARKS and chars:
            chars[-1] += ch
        else:
            chars.append(ch)
    return chars


def char_ngrams(chars: list[str], ngram_range=(1, 2)) -> list[str]:
    """Character n-grams of a run, interleaved by start position: ``a, ab, b, bc, c``.

    Examples
    --------
    >>> char_ngrams(list("猫在家"))
    ['猫', '猫在', '在', '在家', '家']
    """
    lo, hi = ngram_range
    out = []
    for i in range(len(chars)):
        for n in range(lo, hi + 1):
            if i + n <= len(chars):
                out.append("".join(chars[i:i + n]))
    return out


class WordTokenizer:
    """Text -> list of tokens (see the module docstring for the rules).

    A callable ``str -> list[str]``; any such callable can be given to
    :class:`~xmodal.text.encoder.TextEncoder` instead.

    Parameters
    ----------
    stop_words : "english", None or iterable of str
        Tokens to drop: scikit-learn's English list, none, or your own (case-folded like the text).
    numbers : {"drop", "keep", "mask"}
        What becomes of a number (``12``, ``3.5``, ``1,000``): dropped, kept as written, or
        replaced by ``"<num>"``. Tokens mixing letters and digits (``mp3``) are words.
    symbols : {"drop", "keep"}
        Symbols such as emoji (category ``So``) are dropped, or each kept as a token.
    lowercase : bool
        Case-fold the text (Unicode-aware: ``"Straße"`` -> ``"strasse"``).
    ngram_range : tuple (min_n, max_n)
        Character n-grams for runs of Han, Kana, Hangul and Thai.
    strip_possessive : bool
        Remove a final ``'s`` / ``’s`` from words.

    Examples
    --------
    >>> WordTokenizer()("Two dogs are running on the GRASS!")
    ['dogs', 'running', 'grass']
    >>> WordTokenizer()("一只猫")
    ['一', '一只', '只', '只猫', '猫']
    >>> WordTokenizer(numbers="mask", symbols="keep")("3 cats 🐈")
    ['<num>', 'cats', '🐈']
    """

    def __init__(self, stop_words="english", numbers="drop", symbols="drop", lowercase=True, ngram_range=(1, 2),
                 strip_possessive=True):
        self.stop_words = stop_words
        self.numbers = numbers
        self.symbols = symbols
        self.lowercase = lowercase
        self.ngram_range = ngram_range
        self.strip_possessive = strip_possessive
        if numbers not in NUMBERS:
            raise ValueError(f"numbers must be one of {list(NUMBERS)}, got {numbers!r}")
        if symbols not in SYMBOLS:
            raise ValueError(f"symbols must be one of {list(SYMBOLS)}, got {symbols!r}")
        lo, hi = ngram_range
        if not (isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi):
            raise ValueError(f"ngram_range must be (min_n, max_n) with 1 <= min_n <= max_n, got {ngram_range!r}")
        if stop_words == "english":
            self._stop = english_stop_words()
        elif stop_words is None:
            self._stop = frozenset()
        elif isinstance(stop_words, str):
            raise ValueError(f"stop_words must be 'english', None or a list of words, got {stop_words!r}")
        else:
            self._stop = frozenset(unicodedata.normalize("NFKC", w).casefold() if lowercase else w
                                   for w in stop_words)

    def __call__(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"expected a str, got {type(text).__name__}")
        text = unicodedata.normalize("NFKC", text)
        if self.lowercase:
            text = text.casefold()
        tokens: list[str] = []
        append = tokens.append
        strip = self.strip_possessive
        pattern = _token_pattern()
        for chunk in text.split():
            if chunk.isascii() and chunk.isalpha():  # the common case, without the regex
                append(chunk)
                continue
            for cjk, thai, number, word, other in pattern.findall(chunk):
                if word:
                    append(word[:-2] if strip and len(word) > 2 and word[-1] == "s" and word[-2] in "'’" else word)
                elif number:
                    if self.numbers != "drop":
                        append(number if self.numbers == "keep" else NUMBER_TOKEN)
                elif other:
                    if self.symbols == "keep" and unicodedata.category(other) == "So":
                        append(other)
                else:
                    kind, run = ("cjk", cjk) if cjk else ("thai", thai)
                    tokens.extend(char_ngrams(_characters(run, kind), self.ngram_range))
        stop = self._stop
        return [t for t in tokens if t not in stop] if stop else tokens

    def __repr__(self):
        return (f"WordTokenizer(stop_words={self.stop_words!r}, numbers={self.numbers!r}, symbols={self.symbols!r}, "
                f"lowercase={self.lowercase!r}, ngram_range={self.ngram_range!r}, "
                f"strip_possessive={self.strip_possessive!r})")
