"""Transfer: codebook, vocabulary and projection fitted on one collection, used on another.

Directions (A -> B): Flickr8k-1k photos -> Noto Emoji drawings, and the reverse. For each:

- "A" rows: image encoder (codebook), text encoder (vocabulary) and projection fitted on every
  image and caption of A, then B encoded with them; re-fitted on a few labelled items of B's
  train split (``--shots`` per class, seeded): nothing, the classifier, the projection, or both;
- "B itself" rows: the same parts fitted on B's own train split (images and captions, no labels),
  the classifier on the same few labelled items; and the ceiling, a classifier on all of B's
  labelled train items.

Figures on B's test split: retrieval MAP (image->text, text->image) with relevance "same category"
for Noto Emoji and "caption of the image" for Flickr8k (plus R@10 there), and classification in
the projection's common space (Noto Emoji only: Flickr8k has no labels, so its "shots" are
images, as many as the emoji direction uses: 9 x shots). The domain-shift report of each source
(MMD in every space with permutation p-values, unseen vocabulary and visual words) is printed
beside its rows; for "B itself" it compares B's train and test splits (the no-shift reference).

The projection is CCA with its settings cross-validated on the data it is fitted on (CCACV), in
every row, so that rows differ only in what was fitted where.

    python benchmarks/transfer.py [--directions flickr->emoji,emoji->flickr] [--shots 1,5,10] [--json OUT]
"""

import argparse
import platform
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from xmodal.evaluation.report import write_json
from xmodal.fusion.classifier import FusionClassifier
from xmodal.fusion.report import classification_report
from xmodal.fusion.shift import format_shift
from xmodal.fusion.transfer import Transfer

ROOT = Path(__file__).resolve().parents[1]
DIRECTIONS = ("flickr->emoji", "emoji->flickr")


def load(name, data, workdir, seed):
    from xmodal.datasets.manifest import read_manifest

    if name == "emoji":
        return read_manifest(data / "noto-emoji" / "manifest.csv", check_images=False)
    from xmodal.datasets.flickr8k import write_flickr8k_manifest

    manifest = Path(workdir) / "flickr8k.csv"
    write_flickr8k_manifest(data / "flickr8k-1k", manifest, seed=seed)
    return read_manifest(manifest, check_images=False)


def pipeline(seed, jobs):
    from xmodal.pipeline import Pipeline, default_image_encoder, default_text_encoder
    from xmodal.projection.selection import CCACV

    return Pipeline(default_image_encoder(seed=seed, n_jobs=jobs), default_text_encoder(), CCACV(seed=seed))


def unlabelled(collection):
    from xmodal.datasets.collection import Collection

    return Collection(collection.images, collection.texts, collection.text_image, collection.image_ids, None,
                      collection.splits, dict(collection.metadata))


def row(setting, refit, result, labelled_items):
    r = {"parts fitted on": setting, "re-fit": refit, "labelled": labelled_items, "timings": result.timings}
    for direction in ("image->text", "text->image"):
        r[f"{direction} MAP"] = result.directions[direction]["MAP"]
        r[f"{direction} R@10"] = result.directions[direction]["R@10"]
        r[f"{direction} chance MAP"] = result.chance[direction]["MAP"]
    c = result.classification
    r["accuracy"], r["macro_f1"] = (c["accuracy"], c["macro_f1"]) if c else (None, None)
    return r


def run_direction(direction, args, workdir):
    source_name, target_name = direction.split("->")
    source, target = load(source_name, args.data, workdir, args.seed), load(target_name, args.data, workdir, args.seed)
    labelled = target.labels is not None
    n_classes = 9  # Noto Emoji's categories: the labelled budget of both directions
    shots = [k if labelled else k * n_classes for k in args.shots]
    timings = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        transfer = Transfer(pipeline(args.seed, args.jobs), seed=args.seed).fit(source)
        encoded = transfer.encode(target)
        timings["fit on A + encode B"] = time.perf_counter() - start
        start = time.perf_counter()
        own = Transfer(pipeline(args.seed, args.jobs), seed=args.seed).fit(unlabelled(target.take(
            np.flatnonzero(target.splits != "test"))))
        own_encoded = own.encode(target)
        timings["fit on B train + encode B test"] = time.perf_counter() - start
        start = time.perf_counter()
        target_encoders = (own.pipeline_.image_encoder, own.pipeline_.text_encoder)
        shifts = {source_name: transfer.shift(encoded, target_encoders, n_permutations=args.permutations),
                  f"{target_name} itself": own.shift(own_encoded, target_encoders, n_permutations=args.permutations)}
        timings["domain-shift reports"] = time.perf_counter() - start
        start = time.perf_counter()
        rows = [row(source_name, "none", transfer.evaluate(encoded, "none", 0), 0)]
        for refit in ("classifier", "projection", "both") if labelled else ("projection",):
            for k in shots:
                result = transfer.evaluate(encoded, refit, k)
                rows.append(row(source_name, refit, result, result.counts["support"]))
        own_name = f"{target_name} itself"
        rows.append(row(own_name, "none", own.evaluate(own_encoded, "none", 0), 0))
        if labelled:
            for k in shots:
                result = own.evaluate(own_encoded, "classifier", k)
                rows.append(row(own_name, "classifier", result, result.counts["support"]))
            train_items = own_encoded.subset("train", "val").items()
            test_items = own_encoded.subset("test").items()
            ceiling = FusionClassifier("common", projection=own.pipeline_.projection, fit_projection=False,
                                       seed=args.seed).fit(train_items)
            report = classification_report(test_items.labels, ceiling.predict(test_items), ceiling.classes_)
            base = dict(rows[-len(shots) - 1])
            base.update({"re-fit": "classifier", "labelled": len(train_items), "accuracy": report["accuracy"],
                         "macro_f1": report["macro_f1"]})
            rows.append(base)
        timings["re-fits and evaluation"] = time.perf_counter() - start
    messages = sorted({str(w.message) for w in caught})
    return {"direction": direction, "target labelled": labelled, "rows": rows,
            "domain shift": shifts, "warnings": messages, "timings": timings,
            "counts": {"source images": source.n_images, "target test images": int((target.splits == "test").sum())}}


def fmt(value, width=7):
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.3f}"


def print_direction(result):
    source, target = result["direction"].split("->")
    print(f"\n{result['direction']}: A = {source} ({result['counts']['source images']} images), evaluated on "
          f"{result['counts']['target test images']} {target} test images")
    print(f"{'parts fitted on':<16}{'re-fit':<12}{'labelled':>8}{'i->t MAP':>9}{'t->i MAP':>9}{'i->t R@10':>10}"
          f"{'t->i R@10':>10}{'accuracy':>9}{'macro-F1':>9}")
    r0 = result["rows"][0]
    print(f"{'(chance)':<36}{fmt(r0['image->text chance MAP'], 9)}{fmt(r0['text->image chance MAP'], 9)}")
    for r in result["rows"]:
        print(f"{r['parts fitted on']:<16}{r['re-fit']:<12}{r['labelled']:>8}{fmt(r['image->text MAP'], 9)}"
              f"{fmt(r['text->image MAP'], 9)}{fmt(r['image->text R@10'], 10)}{fmt(r['text->image R@10'], 10)}"
              f"{fmt(r['accuracy'], 9)}{fmt(r['macro_f1'], 9)}")
    for name, shift in result["domain shift"].items():
        print(f"domain shift, parts from {name}: {format_shift(shift)}")
    for message in result["warnings"]:
        print(f"warning: {message}")
    print("time: " + ", ".join(f"{k} {v:.0f} s" for k, v in result["timings"].items()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--directions", default=",".join(DIRECTIONS), help="comma-separated, from %(default)s")
    parser.add_argument("--shots", default="1,5,10", help="labelled items per class (default: %(default)s)")
    parser.add_argument("--permutations", type=int, default=200, help="MMD permutation tests (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=None, help="image-encoding processes (default: all cores)")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    args.shots = [int(k) for k in args.shots.split(",")]
    directions = args.directions.split(",")
    unknown = [d for d in directions if d not in DIRECTIONS]
    if unknown:
        parser.error(f"unknown direction(s) {unknown}; choose from {list(DIRECTIONS)}")
    print(f"Transfer benchmark ({platform.machine()}, {platform.python_version()}, seed {args.seed})")
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for direction in directions:
            result = run_direction(direction, args, workdir)
            print_direction(result)
            results.append(result)
    if args.json:
        write_json(args.json, {"benchmark": "transfer", "shots": args.shots, "results": results})
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
