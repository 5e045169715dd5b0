"""Command-line options of the text stage (``xmodal evaluate``): added to a parser, read back."""

from __future__ import annotations


def add_arguments(parser) -> None:
    """Add the text-feature options to an ``argparse`` parser."""
    group = parser.add_argument_group("text features (manifests)")
    group.add_argument("--text-features", default="tfidf",
                       help="text representation: tfidf or char-tfidf (default: %(default)s)")


def from_arguments(args):
    """The :class:`~xmodal.text.encoder.TextEncoder` the parsed options describe."""
    from xmodal.text.encoder import TextEncoder

    return TextEncoder(features=args.text_features)
