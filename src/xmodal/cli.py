"""The ``xmodal`` command line: parses arguments and calls the library, nothing more."""

from __future__ import annotations

import argparse
import sys

from xmodal.fusion import command as fusion_command
from xmodal.images import options as image_options
from xmodal.projection import options as projection_options
from xmodal.text import options as text_options

FIT_EXAMPLE = """example:
  xmodal fit --manifest photos/manifest.csv --out photos-model
  xmodal query photos-model --text "a dog running on grass" -k 5
"""
INDEX_EXAMPLE = """examples:
  xmodal index photos-model --images more_photos/            # every image below the folder
  xmodal index photos-model --images list.txt --texts notes.txt
"""
QUERY_EXAMPLE = """examples:
  xmodal query photos-model --text "a dog running on grass" -k 5
  xmodal query photos-model --image photos/dog.jpg --target text --json
  xmodal query photos-model --text "red car" --threshold 0.5 --grid hits.png
"""
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
    demo.add_argument("--write-sample", metavar="DIR",
                      help="only write a small generated collection (PNGs + manifest.csv + extra/) to DIR and stop")

    ev = sub.add_parser("evaluate", help="fit on the train split, report retrieval figures on the test split",
                        epilog=EVALUATE_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = ev.add_mutually_exclusive_group(required=True)
    source.add_argument("--manifest", help="CSV with columns image,text[,label][,split]")
    source.add_argument("--features", help=".npz with image_train, text_train, image_test, text_test[, label_*]")
    _add_model_options(ev)
    fusion_command.add_transfer_arguments(ev, source_group=source)
    ev.add_argument("--test-size", type=float, default=0.2,
                    help="test fraction when the manifest has no split column (default: %(default)s)")
    ev.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    ev.add_argument("--save-embeddings", metavar="OUT.npz", help="write the test items in the common space")
    ev.add_argument("--pr-png", metavar="OUT.png",
                    help="plot precision-recall curves per direction, beside chance (needs xmodal[plot])")

    fusion_command.add_classify_parser(sub)

    fit = sub.add_parser("fit", help="fit a pipeline on a manifest, index its items, save it to a folder",
                         epilog=FIT_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    fit.add_argument("--manifest", required=True, help="CSV with columns image,text[,label][,split]")
    fit.add_argument("--out", required=True, help="model folder to write (replaced atomically if it exists)")
    fit.add_argument("--train-only", action="store_true",
                     help="fit on the train (and val) rows only; default: every row. All rows are indexed.")
    _add_model_options(fit)

    index = sub.add_parser("index", help="add images and/or texts to a saved model's galleries",
                           epilog=INDEX_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    index.add_argument("model", help="model folder written by 'xmodal fit'")
    index.add_argument("--images", help="a folder of images (searched recursively) or a file with one path per line")
    index.add_argument("--texts", help="a UTF-8 file with one text per line")
    index.add_argument("--quiet", action="store_true", help="no progress bars")

    query = sub.add_parser("query", help="search a saved model with a text or an image",
                           epilog=QUERY_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    query.add_argument("model", help="model folder written by 'xmodal fit'")
    what = query.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help="a text query")
    what.add_argument("--image", help="an image file as the query")
    query.add_argument("--target", choices=["image", "text"], default="image",
                       help="which gallery to rank (default: %(default)s)")
    query.add_argument("-k", type=int, default=10, help="number of hits (default: %(default)s)")
    query.add_argument("--threshold", type=float, help="only hits with at least this cosine score")
    query.add_argument("--json", action="store_true", help="print the hits as JSON")
    query.add_argument("--grid", metavar="OUT.png", help="also write a picture of the query and its hits")
    return parser


def _add_model_options(parser) -> None:
    """Options shared by commands that read a manifest and fit a pipeline."""
    parser.add_argument("--label-column", default="label", help="manifest column used as the label (default: %(default)s)")
    parser.add_argument("--no-labels", action="store_true", help="ignore labels: relevance is caption-image identity")
    parser.add_argument("--skip-bad-rows", action="store_true", help="drop unusable manifest rows and report them")
    image_options.add_arguments(parser)
    text_options.add_arguments(parser)
    projection_options.add_arguments(parser)
    parser.add_argument("--seed", type=int, default=0, help="seed of split, codebook and CV folds")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _version() -> str:
    from xmodal import __version__

    return f"xmodal {__version__}"


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo" and args.write_sample:
            from xmodal.datasets.synthetic import write_sample_collection

            print(f"wrote {write_sample_collection(args.write_sample, seed=args.seed)}")
        elif args.command == "demo":
            from xmodal.demo import run_demo

            run_demo(out_dir=args.out, n_images=args.n_images, seed=args.seed, progress=not args.quiet)
        elif args.command == "evaluate" and args.fit_on:
            fusion_command.run_transfer(args)
        elif args.command == "evaluate":
            _evaluate(args)
        elif args.command == "classify":
            fusion_command.run_classify(args)
        elif args.command == "fit":
            _fit(args)
        elif args.command == "index":
            _index(args)
        elif args.command == "query":
            _query(args)
    except (ValueError, TypeError, OSError, ImportError) as err:
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
        collection = _read_manifest(args)
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
    report = getattr(image_encoder, "report_", None)  # outcome counts of the last encoded batch (the test split)
    if report:
        print("test images: " + ", ".join(f"{count} {outcome}" for outcome, count in report.items() if count))
    print(format_table(evaluation.directions, evaluation.chance))
    print(f"time: {format_timings(evaluation.timings)}")
    if args.json:
        write_json(args.json, {"source": source, "relevance": evaluation.relevance, "counts": counts,
                               "projection": described,
                               "directions": evaluation.directions, "chance": evaluation.chance,
                               "timings": evaluation.timings})
        print(f"wrote {args.json}")
    if args.pr_png:
        from xmodal.evaluation.plots import plot_precision_recall

        curves = {}
        for direction, report in evaluation.directions.items():
            curves[direction] = report["pr_curve"]
            curves[f"{direction} (chance)"] = evaluation.chance[direction]["pr_curve"]
        plot_precision_recall(curves, args.pr_png, title=f"{source} ({described['name']})")
        print(f"wrote {args.pr_png}")
    if args.save_embeddings:
        test = collection.subset("test")
        arrays = dict(image=evaluation.image_embeddings, text=evaluation.text_embeddings,
                      image_ids=test.image_ids, text_image=test.text_image)
        if evaluation.relevance == "label":
            arrays.update(image_labels=test.labels.astype(str), text_labels=test.text_labels.astype(str))
        savez_atomic(args.save_embeddings, **arrays)
        print(f"wrote {args.save_embeddings}")


def _read_manifest(args):
    return fusion_command.read_manifest_reporting(args.manifest, None if args.no_labels else args.label_column,
                                                  args.skip_bad_rows)


def _fit(args) -> None:
    import time

    import numpy as np

    from xmodal.pipeline import Pipeline

    start = time.perf_counter()
    collection = _read_manifest(args)
    train = collection
    if args.train_only and collection.splits is not None:
        train = collection.take(np.flatnonzero(np.isin(collection.splits, ["train", "val"])))
    pipeline = Pipeline(image_options.from_arguments(args), text_options.from_arguments(args),
                        projection_options.from_arguments(args))
    pipeline.fit(train.images, train.texts, train.text_image, labels=train.labels)
    image_meta = {"label": collection.labels} if collection.has_labels else {}
    if collection.splits is not None:
        image_meta["split"] = collection.splits
    pipeline.add_images(collection.images, ids=collection.image_ids, metadata=image_meta)
    text_meta = {"image": collection.image_ids[collection.text_image], **collection.metadata}
    pipeline.add_texts(collection.texts, metadata=text_meta)
    pipeline.save(args.out)
    described = projection_options.describe(pipeline.projection)
    print(f"fitted on {train.n_images} images / {train.n_texts} texts; projection {described['name']} "
          f"{described['params']}; indexed {collection.n_images} images and {collection.n_texts} texts")
    print(f"wrote {args.out} in {time.perf_counter() - start:.1f} s "
          f"(query it: xmodal query {args.out} --text \"...\")")


def _index(args) -> None:
    from xmodal.datasets.listing import list_images, read_text_lines
    from xmodal.pipeline import Pipeline

    if not args.images and not args.texts:
        raise ValueError("give --images and/or --texts to add")
    pipeline = Pipeline.load(args.model, mmap=False)
    if args.images:
        images = list_images(args.images)
        if pipeline.image_encoder is not None:
            pipeline.image_encoder.progress = not args.quiet
        pipeline.add_images(images)
        print(f"added {len(images)} images")
    if args.texts:
        texts = read_text_lines(args.texts)
        pipeline.add_texts(texts)
        print(f"added {len(texts)} texts")
    pipeline.save(args.model)
    sizes = {m: len(g) for m, g in pipeline.galleries_.items()}
    print(f"wrote {args.model}: {sizes.get('image', 0)} images, {sizes.get('text', 0)} texts indexed")


def _query(args) -> None:
    import json

    from xmodal.pipeline import Pipeline

    pipeline = Pipeline.load(args.model)
    k = args.k if args.threshold is None or args.k != 10 else None
    if args.text is not None:
        result = pipeline.search_text(args.text, k=k, target=args.target, threshold=args.threshold)
    else:
        result = pipeline.search_image(args.image, k=k, target=args.target, threshold=args.threshold)
    hits = result.to_dicts()
    if args.json:
        print(json.dumps({"query": args.text if args.text is not None else args.image, "target": args.target,
                          "hits": hits}, indent=1))
    else:
        for hit in hits:
            shown = hit.get("text") or hit.get("path") or hit["id"]
            extra = f"  [{hit['label']}]" if hit.get("label") else ""
            print(f"{hit['rank']:>3}. {hit['score']:+.3f}  {shown}{extra}")
        if not hits:
            print("no hit" + (f" at or above {args.threshold}" if args.threshold is not None else ""))
    if args.grid:
        from xmodal.evaluation.grid import write_result_grid
        from xmodal.images.io import read_image

        query = args.text if args.text is not None else read_image(args.image)
        shown = [(read_image(h["path"]) if args.target == "image" and h.get("path") else h.get("text", h["id"]),
                  h["score"], None) for h in hits]
        write_result_grid(args.grid, [{"query": query, "results": shown}])
        print(f"wrote {args.grid}")


if __name__ == "__main__":
    sys.exit(main())
