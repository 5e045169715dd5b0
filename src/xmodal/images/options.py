"""Command-line options of the image stage (``xmodal evaluate``): added to a parser, read back."""

from __future__ import annotations

import argparse

from xmodal.images.descriptors import LOCAL_DESCRIPTORS
from xmodal.images.encodings import ENCODINGS
from xmodal.images.global_features import GLOBAL_FEATURES

_DEFAULTS = None


def _defaults():
    """The ImageEncoder defaults, read from its signature (one place for them), shown by ``--help``."""
    global _DEFAULTS
    if _DEFAULTS is None:
        import inspect

        from xmodal.images.encoder import ImageEncoder

        _DEFAULTS = {k: p.default for k, p in inspect.signature(ImageEncoder).parameters.items()}
    return _DEFAULTS


def _ints(text):
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    return values


def add_arguments(parser) -> None:
    """Add the image-feature options to an ``argparse`` parser."""
    d = _defaults()
    group = parser.add_argument_group("image features (manifests)")
    group.add_argument("--image-features", default=d["features"],
                       help=f"blocks joined by +: at most one local descriptor of {', '.join(LOCAL_DESCRIPTORS)} "
                            f"and any of {', '.join(GLOBAL_FEATURES)} (default: %(default)s)")
    group.add_argument("--image-encoding", default=d["encoding"], choices=ENCODINGS,
                       help="local descriptors -> one vector: hard bag of words, soft (kernel codebook), VLAD, "
                            "Fisher vector (default: %(default)s)")
    group.add_argument("--n-words", type=int, default=d["n_words"],
                       help="codebook size / GMM components (default: 500 for bovw and soft, 64 for vlad and fisher)")
    group.add_argument("--pyramid", default=d["pyramid"],
                       help="spatial pyramid, grids of ROWSxCOLUMNS joined by +, e.g. 1x1+2x2+3x1 "
                            "(default: %(default)s)")
    group.add_argument("--out-dim", type=int, default=d["out_dim"],
                       help="PCA size of the local block, fitted on the training images; 0: no reduction "
                            "(default: %(default)s)")
    group.add_argument("--idf", action="store_true", default=d["idf"], help="idf-weight visual words")
    group.add_argument("--dense-step", type=int, default=d["step"],
                       help="dense grid spacing, pixels (default: %(default)s)")
    group.add_argument("--dense-bins", type=_ints, default=",".join(str(b) for b in d["bin_sizes"]),
                       help="dense SIFT bin widths in pixels, comma-separated; a patch is 4 bins wide "
                            "(default: %(default)s)")
    group.add_argument("--max-keypoints", type=int, default=d["max_keypoints"],
                       help="keypoint budget of sift / rootsift / orb (default: %(default)s)")
    group.add_argument("--max-side", type=int, default=d["max_side"],
                       help="downscale images whose longest side exceeds this (default: %(default)s)")
    group.add_argument("--on-image-error", default=d["on_error"], choices=("raise", "zero"),
                       help="an unreadable or too small image: stop, or give it the zero vector (default: %(default)s)")
    group.add_argument("--image-cache", nargs="?", const=True, default=d["cache"], metavar="DIR",
                       help="cache per-image features by content (in DIR, else $XMODAL_CACHE or ~/.cache/xmodal)")
    group.add_argument("--jobs", type=int, default=None,
                       help="worker processes for image features (default: one per core, at most 4, for 200 "
                            "images or more)")


def from_arguments(args):
    """The :class:`~xmodal.images.encoder.ImageEncoder` the parsed options describe."""
    from xmodal.images.encoder import ImageEncoder

    return ImageEncoder(features=args.image_features, encoding=args.image_encoding, n_words=args.n_words,
                        pyramid=args.pyramid, idf=args.idf, out_dim=args.out_dim or None, step=args.dense_step,
                        bin_sizes=args.dense_bins,
                        max_keypoints=args.max_keypoints, max_side=args.max_side, on_error=args.on_image_error,
                        cache=args.image_cache, seed=args.seed, n_jobs=args.jobs, progress=not args.quiet)
