"""The ``xmodal`` command line: parses arguments and calls the library, nothing more."""

from __future__ import annotations

import argparse
import sys

from xmodal.images import options as image_options
from xmodal.projection import options as projection_options
from xmodal.text import options as text_options

EVALUATE_EXAMPLE = """examples:
  xmodal evaluate --manifest ../shared/data/noto-emoji/manifest.csv
  xmodal evaluate --manifest flickr8k.csv --json out.json --save-embeddings emb.npz
  xmodal evaluate --features wikipedia.npz --projection cca --reg 0.1 --n-components 10
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xmodal", description="Classical cross-modal retrieval (images <-> text).")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="fit and query the default pipeline on a generated corpus (no download)")
    demo.add_argument("--out", default="xmodal-demo", help="folder for results.png (default: %(default)s)")
    demo.add_argument("--n-images", type=int, default=400, help="corpus size (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--quiet", action="store_true", help="no progress bars")

    ev = sub.add_parser("evaluate", help="fit on the train split, report retrieval figures on the test split",
                        epilog=EVALUATE_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = ev.add_mutually_exclusive_group(required=True)
    source.add_argument("--manifest", help="CSV with columns image,text[,label][,split]")
    source.add_argument("--features", help=".npz with image_train, text_train, image_test, text_test[, label_*]")
    ev.add_argument("--label-column", default="label", help="manifest column used as the label (default: %(default)s)")
    ev.add_argument("--no-labels", action="store_true", help="ignore labels: relevance is caption-image identity")
    ev.add_argument("--skip-bad-rows", action="store_true", help="drop unusable manifest rows and report them")
    ev.add_argument("--test-size", type=float, default=0.2,
                    help="test fraction when the manifest has no split column (default: %(default)s)")
    image_options.add_arguments(ev)
    text_options.add_arguments(ev)
    projection_options.add_arguments(ev)
    ev.add_argument("--seed", type=int, default=0, help="seed of split, codebook and CV folds")
    ev.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    ev.add_argument("--save-embeddings", metavar="OUT.npz", help="write the test items in the common space")
    ev.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def _version() -> str:
    from xmodal import __version__

    return f"xmodal {__version__}"


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            from xmodal.demo import run_demo

            run_demo(out_dir=args.out, n_images=args.n_images, seed=args.seed, progress=not args.quiet)
        elif args.command == "evaluate":
            _evaluate(args)
    except (ValueError, TypeError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


def _evaluate(args) -> None:
    import numpy as np

    from xmodal._atomic import savez_atomic
    from xmodal.evaluation.protocol import evaluate_pipeline
    from xmodal.evaluation.report import format_table, format_timings, write_json
    from xmodal.pipeline import Pipeline

    if args.manifest:
        from xmodal.datasets.manifest import read_manifest

        collection = read_manifest(args.manifest, label_column=None if args.no_labels else args.label_column,
                                   on_error="skip" if args.skip_bad_rows else "raise")
        for message in collection.skipped:
            print(f"skipped: {message}", file=sys.stderr)
        if collection.skipped:
            print(f"skipped {len(collection.skipped)} bad row(s)", file=sys.stderr)
        if collection.splits is None:
            collection = collection.with_random_split(args.test_size, seed=args.seed)
        image_encoder = image_options.from_arguments(args)
        text_encoder = text_options.from_arguments(args)
        source = f"manifest {args.manifest}"
    else:
        from xmodal.datasets.features import read_features

        collection = read_features(args.features)
        image_encoder = text_encoder = None
        source = f"features {args.features}"
    projection = projection_options.from_arguments(args)
    pipeline = Pipeline(image_encoder, text_encoder, projection)
    evaluation = evaluate_pipeline(pipeline, collection, use_labels=not args.no_labels)
    counts = evaluation.counts
    print(f"{source}: train {counts['train images']} images / {counts['train texts']} texts, "
          f"test {counts['test images']} images / {counts['test texts']} texts; "
          f"relevance: {'same label' if evaluation.relevance == 'label' else 'caption of the image'}")
    described = projection_options.describe(projection)
    if hasattr(projection, "best_score_"):
        print(f"projection: {described['name']}, chosen by cross-validation on train: {described['params']} "
              f"(CV MAP {projection.best_score_:.3f})")
    print(format_table(evaluation.directions, evaluation.chance))
    print(f"time: {format_timings(evaluation.timings)}")
    if args.json:
        write_json(args.json, {"source": source, "relevance": evaluation.relevance, "counts": counts,
                               "projection": described,
                               "directions": evaluation.directions, "chance": evaluation.chance,
                               "timings": evaluation.timings})
        print(f"wrote {args.json}")
    if args.save_embeddings:
        test = collection.subset("test")
        arrays = dict(image=evaluation.image_embeddings, text=evaluation.text_embeddings,
                      image_ids=test.image_ids, text_image=test.text_image)
        if evaluation.relevance == "label":
            arrays.update(image_labels=test.labels.astype(str), text_labels=test.text_labels.astype(str))
        savez_atomic(args.save_embeddings, **arrays)
        print(f"wrote {args.save_embeddings}")


if __name__ == "__main__":
    sys.exit(main())
