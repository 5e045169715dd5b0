"""Fusion classification: image only, text only, early fusion, each late fusion, common-space fusion.

Test accuracy and macro-F1 of every :class:`xmodal.fusion.classifier.FusionClassifier` method on

- Wikipedia (Rasiwasia et al. 2010), the released features: 128-word SIFT BoVW and 10-topic LDA,
  2173 train / 693 test image-text pairs, 10 categories;
- Noto Emoji (../shared/data/noto-emoji): 1906 PNGs with their Unicode names, 9 categories,
  seeded 3:1 train/test; image features: the default ImageEncoder fitted on the train images;
  text: the default TextEncoder (TF-IDF) fitted on the train texts.

Common-space fusion uses CCA with its settings chosen by cross-validation on the training items
(CCACV), the supervised CCA variants being another issue's subject.

Neither dataset has a val split: classifier C, fusion weights and the stacking model are chosen
on a stratified 20% carved from train (seed 0); classifiers are then refitted on all of train.
The test split is used once per method, for the figures printed.

    python benchmarks/fusion.py [--data ../shared/data] [--datasets wikipedia,noto-emoji]
                                [--classifier logreg|svm] [--json OUT]
"""

import argparse
import platform
import time
from pathlib import Path

import numpy as np

from xmodal.evaluation.report import write_json
from xmodal.fusion.classifier import METHODS, fit_methods
from xmodal.fusion.items import Items
from xmodal.fusion.report import classification_report

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ("wikipedia", "noto-emoji")


def wikipedia_items(folder):
    """Train and test items of the Wikipedia benchmark (one image-text pair per item)."""
    from xmodal.datasets.wikipedia import wikipedia_collection

    c = wikipedia_collection(folder)
    items = Items(c.images, c.texts, labels=c.labels, ids=c.image_ids, splits=c.splits)
    return items.subset("train"), items.subset("test"), {"image features": "128-word SIFT BoVW (released)",
                                                          "text features": "10-topic LDA (released)"}


def emoji_items(folder, seed=0, jobs=None):
    """Train and test items of Noto Emoji, encoded with the default encoders fitted on train."""
    from xmodal.datasets.manifest import read_manifest
    from xmodal.fusion.encoded import encode
    from xmodal.pipeline import default_image_encoder, default_text_encoder

    collection = read_manifest(Path(folder) / "manifest.csv", check_images=False)
    image_encoder, text_encoder = default_image_encoder(seed=seed, n_jobs=jobs), default_text_encoder()
    timings = {}
    train = encode(image_encoder, text_encoder, collection.subset("train"), fit=True, timings=timings)
    test = encode(image_encoder, text_encoder, collection.subset("test"), fit=False, timings=timings)
    return train.items(), test.items(), {"image features": f"default ImageEncoder ({train.X_image.shape[1]} dims)",
                                         "text features": f"default TextEncoder ({train.X_text.shape[1]} terms)",
                                         "encoding seconds": round(sum(timings.values()), 1)}


def describe(model):
    """The choices made on validation, in a few words."""
    parts = []
    for name in ("image", "text", "early", "common"):
        clf = getattr(model, f"{name}_classifier_", None)
        used = model.method == name or (name in ("image", "text") and model.method.startswith("late"))
        if clf is not None and used:
            parts.append(f"C[{name}]={clf.C_:g}")
    if model.weight_ is not None:
        parts.append(f"w_image={model.weight_:g}")
    if model.projection_ is not None:
        params = getattr(model.projection_, "best_params_", None)
        parts.append(f"{type(model.projection_).__name__} {params}" if params else type(model.projection_).__name__)
    return ", ".join(parts)


def run_dataset(name, train, test, classifier, seed):
    from xmodal.projection.selection import CCACV

    start = time.perf_counter()
    models = fit_methods(METHODS, train, classifier=classifier, seed=seed, projection=CCACV(seed=seed))
    seconds = time.perf_counter() - start
    rows = []
    for method, model in models.items():
        report = classification_report(test.labels, model.predict(test), model.classes_)
        rows.append({"dataset": name, "method": method, "accuracy": report["accuracy"],
                     "macro_f1": report["macro_f1"], "chosen": describe(model)})
    validation = next(iter(models.values())).validation_
    return rows, validation, seconds


def gain(rows):
    """Best fusion minus best single modality, for accuracy and macro-F1."""
    by = {r["method"]: r for r in rows}
    out = {}
    for metric in ("accuracy", "macro_f1"):
        single = max(("image", "text"), key=lambda m: by[m][metric])
        fused = max((m for m in by if m not in ("image", "text")), key=lambda m: by[m][metric])
        out[metric] = {"best single": single, "best fusion": fused,
                       "margin": by[fused][metric] - by[single][metric]}
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated, from %(default)s")
    parser.add_argument("--classifier", default="logreg", choices=("logreg", "svm"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=None, help="image-encoding processes (default: all cores)")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    names = args.datasets.split(",")
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        parser.error(f"unknown dataset(s) {unknown}; choose from {list(DATASETS)}")
    results = []
    print(f"Fusion classification, test split, classifier {args.classifier} "
          f"({platform.machine()}, {platform.python_version()}, seed {args.seed})")
    for name in names:
        if name == "wikipedia":
            train, test, features = wikipedia_items(args.data / name)
        else:
            train, test, features = emoji_items(args.data / name, args.seed, args.jobs)
        rows, validation, seconds = run_dataset(name, train, test, args.classifier, args.seed)
        margins = gain(rows)
        print(f"\n{name}: {len(train)} train items ({validation['n_items']} for validation, "
              f"{validation['source']}), {len(test)} test items, {len(np.unique(train.labels))} classes; "
              f"{features['image features']}, {features['text features']}; classifiers fitted in {seconds:.0f} s")
        print(f"{'method':<15}{'accuracy':>9}{'macro-F1':>10}   chosen on validation")
        for r in rows:
            print(f"{r['method']:<15}{r['accuracy']:>9.3f}{r['macro_f1']:>10.3f}   {r['chosen']}")
        for metric, g in margins.items():
            print(f"{metric}: best fusion ({g['best fusion']}) - best single modality ({g['best single']}) "
                  f"= {g['margin']:+.3f}")
        results.append({"dataset": name, "features": features, "validation": validation, "rows": rows,
                        "fusion margin": margins, "seconds": seconds})
    if args.json:
        write_json(args.json, {"benchmark": "fusion", "classifier": args.classifier, "results": results})
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
