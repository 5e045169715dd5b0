"""Command-line options of the search stage: added to a parser, read back as an unbuilt :class:`Index`.

The evaluation protocol scores full similarity matrices (exact by construction); these options
serve commands that build a search index over a gallery (e.g. a future ``xmodal index``).
"""

from __future__ import annotations

from xmodal.search.metrics import METRICS

BACKENDS = ("auto", "exact", "annoy", "lsh")


def add_arguments(parser) -> None:
    """Add the search options to an ``argparse`` parser.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_arguments(parser)
    >>> from_arguments(parser.parse_args(["--search-backend", "lsh"])).backend
    'lsh'
    """
    group = parser.add_argument_group("search")
    group.add_argument("--search-metric", default="cosine", choices=tuple(METRICS),
                       help="similarity or distance used to rank the gallery (default: cosine)")
    group.add_argument("--search-backend", default="auto", choices=BACKENDS,
                       help="auto: exact unless an approximate index is measured to be --min-speedup times faster "
                            "at --target-recall; exact / annoy / lsh force one")
    group.add_argument("--target-recall", type=float, default=0.95,
                       help="recall@10 an approximate backend is tuned to reach on held-out items (1.0 = exact)")
    group.add_argument("--n-trees", type=int, default=None, help="Annoy trees (default: 50, fewer for small galleries)")
    group.add_argument("--min-speedup", type=float, default=2.0,
                       help="speed-up over exact search an approximate backend must show to be chosen by auto")


def from_arguments(args):
    """The (unbuilt) :class:`~xmodal.search.index.Index` the parsed options describe."""
    from xmodal.search.index import Index

    return Index(metric=args.search_metric, backend=args.search_backend, target_recall=args.target_recall,
                 n_trees=args.n_trees, min_speedup=args.min_speedup, seed=getattr(args, "seed", 0) or 0)
