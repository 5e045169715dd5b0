"""Command-line options of the image stage (``xmodal evaluate``): added to a parser, read back."""

from __future__ import annotations


def add_arguments(parser) -> None:
    """Add the image-feature options to an ``argparse`` parser."""
    group = parser.add_argument_group("image features (manifests)")
    group.add_argument("--image-features", default="dense-sift+hsv",
                       help="blocks joined by +: dense-sift, sift, hsv (default: %(default)s)")
    group.add_argument("--n-words", type=int, default=500, help="visual codebook size (default: %(default)s)")
    group.add_argument("--jobs", type=int, default=2, help="workers for image feature extraction (default: %(default)s)")


def from_arguments(args):
    """The :class:`~xmodal.images.encoder.ImageEncoder` the parsed options describe."""
    from xmodal.images.encoder import ImageEncoder

    return ImageEncoder(features=args.image_features, n_words=args.n_words, seed=args.seed, n_jobs=args.jobs,
                        progress=not args.quiet)
