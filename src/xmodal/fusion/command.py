"""The ``xmodal classify`` command, and the ``--fit-on A --evaluate-on B`` options of ``xmodal evaluate``.

The CLI registers them (``xmodal.cli``): ``add_classify_parser(subparsers)`` adds ``classify``,
run by ``run_classify(args)``; ``add_transfer_arguments(parser, source_group)`` adds the transfer
options to ``evaluate``, run by ``run_transfer(args)`` when ``args.fit_on`` is set.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from xmodal.fusion.names import BLOCK_NORMS, CLASSIFIERS, METHODS, REFITS

# early fusion was best or tied on a selection split carved from the training items of Noto Emoji
# and Wikipedia (the test splits were not looked at); see the report of issue 8
DEFAULT_METHOD = "early"

CLASSIFY_EXAMPLE = """examples:
  xmodal classify --manifest ../shared/data/noto-emoji/manifest.csv --confusion-png confusion.png
  xmodal classify --features wikipedia.npz --method all --json figures.json
  xmodal classify --manifest photos.csv --method early --classifier svm

An item is one image: its image features and the mean of its captions' text features (captions
with no known word left out). An item whose text (or image) is empty is classified from the
other modality alone. C, fusion weights and the stacking model are chosen on the val split, or on
a stratified --val-size share carved from train when there is none; test is used once.
"""

TRANSFER_EXAMPLE = """transfer (--fit-on A --evaluate-on B):
  xmodal evaluate --fit-on flickr8k.csv --evaluate-on ../shared/data/noto-emoji/manifest.csv \
                  --refit classifier --shots 5
"""


# -- shared --------------------------------------------------------------------------------------
def add_collection_arguments(parser) -> None:
    """Options about reading a collection, as ``xmodal evaluate`` has them."""
    parser.add_argument("--label-column", default="label",
                        help="manifest column used as the label (default: %(default)s)")
    parser.add_argument("--skip-bad-rows", action="store_true", help="drop unusable manifest rows and report them")
    parser.add_argument("--test-size", type=float, default=0.2,
                        help="test fraction when the manifest has no split column (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of splits, codebook, folds and few-shot samples")
    parser.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def read_manifest_reporting(path, label_column, skip_bad_rows):
    """Read a manifest for a command: bad rows skipped (``skip_bad_rows``) are reported on stderr."""
    from xmodal.datasets.manifest import read_manifest

    collection = read_manifest(path, label_column=label_column, on_error="skip" if skip_bad_rows else "raise")
    for message in collection.skipped:
        print(f"skipped: {message}", file=sys.stderr)
    if collection.skipped:
        print(f"skipped {len(collection.skipped)} bad row(s) of {path}", file=sys.stderr)
    return collection


def load_collection(path, args, labels=True):
    """A manifest (``.csv``) or features file (``.npz``) as a Collection with a split; skipped rows to stderr."""
    from pathlib import Path

    if Path(path).suffix == ".npz":
        from xmodal.datasets.features import read_features

        collection = read_features(path)
    else:
        collection = read_manifest_reporting(path, args.label_column if labels else None, args.skip_bad_rows)
    if collection.splits is None:
        collection = collection.with_random_split(args.test_size, seed=args.seed)
    return collection


def _is_features(path) -> bool:
    from pathlib import Path

    return Path(path).suffix == ".npz"


def _encoders(args, path):
    """The image and text encoders the options describe (None, None for a features file)."""
    if _is_features(path):
        return None, None
    from xmodal.images import options as image_options
    from xmodal.text import options as text_options

    return image_options.from_arguments(args), text_options.from_arguments(args)


def _print_warnings(caught) -> None:
    """Each distinct warning a run raised (library deprecations left out), as ``warning: ...`` on stderr."""
    seen = set()
    for warning in caught:
        message = str(warning.message)
        if not issubclass(warning.category, (DeprecationWarning, FutureWarning)) and message not in seen:
            seen.add(message)
            print(f"warning: {message}", file=sys.stderr)


# -- classify ------------------------------------------------------------------------------------
def add_classify_parser(subparsers):
    """Add the ``classify`` subcommand to ``subparsers`` (from ``ArgumentParser.add_subparsers``)."""
    from xmodal.images import options as image_options
    from xmodal.projection import options as projection_options
    from xmodal.text import options as text_options

    parser = subparsers.add_parser(
        "classify", help="classify labelled items from image, text or both fused; report on the test split",
        epilog=CLASSIFY_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--manifest", help="CSV with columns image,text,label[,split]")
    source.add_argument("--features", help=".npz with image_train, text_train, image_test, text_test, label_*")
    add_collection_arguments(parser)
    group = parser.add_argument_group("classification")
    group.add_argument("--method", default=DEFAULT_METHOD, choices=METHODS + ("all",),
                       help="image, text, early (concatenated blocks), late-mean / late-product / late-stacking "
                            "(per-modality probabilities combined), common (a projection's common space), or all "
                            "(a table of every method, details for %(default)s) (default: %(default)s)")
    group.add_argument("--classifier", default="logreg", choices=CLASSIFIERS,
                       help="multinomial logistic regression or calibrated linear SVM (default: %(default)s)")
    group.add_argument("--block-norm", default="l2", choices=BLOCK_NORMS,
                       help="per-block normalisation before fusion (default: %(default)s)")
    group.add_argument("--val-size", type=float, default=0.2,
                       help="share of each class carved from train for validation when there is no val split "
                            "(default: %(default)s)")
    group.add_argument("--confusion-png", metavar="OUT.png", help="write the confusion matrix (needs xmodal[plot])")
    image_options.add_arguments(parser)
    text_options.add_arguments(parser)
    projection_options.add_arguments(parser)
    return parser


def _describe(model) -> str:
    parts = [f"method {model.method}", f"classifier {model.classifier}"]
    for name in ("image", "text", "early", "common"):
        clf = getattr(model, f"{name}_classifier_", None)
        if clf is not None:
            parts.append(f"C[{name}] {clf.C_:g} ({clf.selection_})")
    if model.weight_ is not None:
        parts.append(f"image weight {model.weight_:g}")
    if model.stacker_ is not None:
        parts.append(f"stacking C {model.stacker_.C_:g}")
    return ", ".join(parts)


def run_classify(args) -> dict:
    """Run ``xmodal classify``: fit on train (+val), print and return the test figures."""
    import time

    from xmodal.evaluation.report import format_timings, write_json
    from xmodal.fusion.classifier import fit_methods
    from xmodal.fusion.encoded import encode
    from xmodal.fusion.report import (classification_report, format_classification_report, plot_confusion,
                                      require_matplotlib)
    from xmodal.projection import options as projection_options

    if args.confusion_png:  # fail before the long part, not after it
        require_matplotlib()
    path = args.manifest or args.features
    collection = load_collection(path, args)
    if not collection.has_labels:
        raise ValueError(f"{path}: no labels (column {args.label_column!r}); classify needs a label per image")
    names = collection.split_names()
    if "train" not in names or "test" not in names:
        raise ValueError(f"{path}: need train and test splits, found {names}")
    image_encoder, text_encoder = _encoders(args, path)
    timings = {}
    fitted = encode(image_encoder, text_encoder, collection.take(
        [i for i, s in enumerate(collection.splits) if s != "test"]), fit=True, timings=timings)
    test = encode(image_encoder, text_encoder, collection.subset("test"), fit=False, timings=timings)
    train_items = fitted.subset("train").items()
    val_items = fitted.subset("val").items() if "val" in names else None
    test_items = test.items()
    params = dict(classifier=args.classifier, block_norm=args.block_norm, val_size=args.val_size, seed=args.seed,
                  projection=projection_options.from_arguments(args))
    methods = list(METHODS) if args.method == "all" else [args.method]
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        models = fit_methods(methods, train_items, val_items, **params)
    _print_warnings(caught)
    timings["classifiers"] = time.perf_counter() - start
    reports = {m: classification_report(test_items.labels, model.predict(test_items), model.classes_)
               for m, model in models.items()}
    main_method = DEFAULT_METHOD if args.method == "all" else args.method
    model, report = models[main_method], reports[main_method]
    source = f"{'features' if _is_features(path) else 'manifest'} {path}"
    n_val = len(val_items) if val_items is not None else model.validation_["n_items"]
    print(f"{source}: {len(train_items)} train items ({n_val} of them for validation, "
          f"{model.validation_['source']}), {len(test_items)} test items, {len(model.classes_)} classes; "
          "an item is one image with the mean of its captions' text features")
    missing = {m: int((~getattr(test_items, f"{m}_present")).sum()) for m in ("image", "text")}
    if any(missing.values()):
        print(f"test items missing a modality (classified from the other alone): "
              f"{missing['image']} without image, {missing['text']} without text")
    if args.method == "all":
        print(format_methods(reports))
        print()
    print(_describe(model))
    print(format_classification_report(report))
    if report["unseen_in_training"]:
        print(f"classes only in test (never predictable): {report['unseen_in_training']}")
    print(f"time: {format_timings(timings)}")
    payload = {"source": source, "counts": {"train": len(train_items), "validation": n_val, "test": len(test_items)},
               "validation": model.validation_, "method": main_method, "report": report,
               "methods": {m: {"accuracy": r["accuracy"], "macro_f1": r["macro_f1"]} for m, r in reports.items()},
               "timings": timings}
    if args.json:
        write_json(args.json, payload)
        print(f"wrote {args.json}")
    if args.confusion_png:
        plot_confusion(report, args.confusion_png, title=f"{main_method}: accuracy {report['accuracy']:.3f}, "
                                                         f"macro-F1 {report['macro_f1']:.3f}")
        print(f"wrote {args.confusion_png}")
    return payload


def format_methods(reports) -> str:
    """Accuracy and macro-F1 per method, and the margin of the best fusion over the best single modality."""
    lines = [f"{'method':<15}{'accuracy':>9}{'macro-F1':>9}"]
    for method, r in reports.items():
        lines.append(f"{method:<15}{r['accuracy']:>9.3f}{r['macro_f1']:>9.3f}")
    single = [m for m in ("image", "text") if m in reports]
    fused = [m for m in reports if m not in ("image", "text")]
    if single and fused:
        best_single = max(single, key=lambda m: reports[m]["accuracy"])
        best_fused = max(fused, key=lambda m: reports[m]["accuracy"])
        gain = reports[best_fused]["accuracy"] - reports[best_single]["accuracy"]
        lines.append(f"best fusion ({best_fused}) vs best single modality ({best_single}): accuracy {gain:+.3f}")
    return "\n".join(lines)


# -- transfer ------------------------------------------------------------------------------------
def add_transfer_arguments(parser, source_group=None) -> None:
    """Add ``--fit-on`` (to ``source_group`` when given, so it excludes --manifest / --features),
    ``--evaluate-on``, ``--refit``, ``--shots``, ``--fusion-method``, ``--shift-permutations``."""
    (source_group or parser).add_argument(
        "--fit-on", metavar="A", help="transfer: fit codebook, vocabulary and projection on this manifest / "
                                      "features file (all its rows), evaluate on --evaluate-on")
    group = parser.add_argument_group("transfer (--fit-on A --evaluate-on B)")
    group.add_argument("--evaluate-on", metavar="B", help="manifest / features file evaluated on its test split")
    group.add_argument("--refit", default="none", choices=REFITS,
                       help="what is re-fitted on --shots labelled items of B's train split: none (zero-shot), "
                            "projection, classifier, or both (default: %(default)s)")
    group.add_argument("--shots", type=int, default=0,
                       help="labelled items per class of B (images in all when B has no labels) (default: %(default)s)")
    group.add_argument("--fusion-method", default="common", choices=METHODS,
                       help="classifier used on B when one can be trained (default: %(default)s)")
    group.add_argument("--shift-permutations", type=int, default=200,
                       help="permutations of the MMD tests in the domain-shift report; 0 skips the report "
                            "(default: %(default)s)")


def run_transfer(args) -> dict:
    """Run ``xmodal evaluate --fit-on A --evaluate-on B``: print and return the figures on B's test split."""
    from xmodal.evaluation.report import format_table, format_timings, write_json
    from xmodal.fusion.shift import format_shift
    from xmodal.fusion.transfer import Transfer
    from xmodal.pipeline import Pipeline
    from xmodal.projection import options as projection_options

    if not args.evaluate_on:
        raise ValueError("--fit-on needs --evaluate-on B (the collection to evaluate on)")
    if getattr(args, "save_embeddings", None):
        raise ValueError("--save-embeddings is not available with --fit-on; use --json for the figures")
    if _is_features(args.fit_on) != _is_features(args.evaluate_on):
        raise ValueError("--fit-on and --evaluate-on must both be manifests or both be features files")
    use_labels = not getattr(args, "no_labels", False)
    source = load_collection(args.fit_on, args, labels=use_labels)
    target = load_collection(args.evaluate_on, args, labels=use_labels)
    image_encoder, text_encoder = _encoders(args, args.fit_on)
    pipeline = Pipeline(image_encoder, text_encoder, projection_options.from_arguments(args))
    transfer = Transfer(pipeline, method=args.fusion_method, seed=args.seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transfer.fit(source)
        encoded = transfer.encode(target)
        shift = transfer.shift(encoded, n_permutations=args.shift_permutations) if args.shift_permutations else None
        result = transfer.evaluate(encoded, args.refit, args.shots)
    _print_warnings(caught)
    counts = result.counts
    print(f"fitted on {args.fit_on} ({counts['source images']} images); evaluated on the test split of "
          f"{args.evaluate_on} ({counts['test images']} images / {counts['test texts']} texts); "
          f"re-fitted: {args.refit} on {counts['support']} labelled item(s)")
    print(format_table(result.directions, result.chance))
    if result.classification is not None:
        c = result.classification
        print(f"classification ({args.fusion_method}): accuracy {c['accuracy']:.3f}, macro-F1 {c['macro_f1']:.3f}")
    if shift is not None:
        print(f"domain shift: {format_shift(shift)}")
    timings = {**transfer.timings_, **result.timings}
    print(f"time: {format_timings(timings)}")
    payload = {"fit_on": args.fit_on, "evaluate_on": args.evaluate_on, "refit": args.refit, "shots": args.shots,
               "counts": counts, "directions": result.directions, "chance": result.chance,
               "classification": result.classification, "domain_shift": shift, "timings": timings}
    if args.json:
        write_json(args.json, payload)
        print(f"wrote {args.json}")
    return payload
