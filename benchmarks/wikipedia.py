"""The Wikipedia benchmark table: every xmodal projection beside the published rows.

Rasiwasia et al., "A New Approach to Cross-Modal Multimedia Retrieval", ACM MM 2010: released
features (128-word SIFT BoVW, 10-topic LDA), 2173 train / 693 test pairs, 10 categories.
MAP over all 693 test queries against the 693-item test gallery, relevance = same category.
Every xmodal row except the fixed CCA chooses its settings by 3-fold cross-validated MAP on the
2173 training pairs (the "CV MAP" column); the test split is used once, for the figures.

    python benchmarks/wikipedia.py [--data ../shared/data/wikipedia] [--methods default sm ...] [--json OUT]
"""

import argparse
import platform
import time
from pathlib import Path

from xmodal.datasets.wikipedia import wikipedia_collection
from xmodal.evaluation.protocol import evaluate_pipeline
from xmodal.evaluation.report import write_json
from xmodal.pipeline import Pipeline
from xmodal.projection.auto import AutoProjection
from xmodal.projection.cca import CCA

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = [  # (method, image query MAP, text query MAP)
    ("CCA (Rasiwasia 2010)", 0.249, 0.196),
    ("SM (Rasiwasia 2010)", 0.225, 0.223),
    ("SCM (Rasiwasia 2010)", 0.277, 0.226),
    ("SCM (best later re-implementation)", 0.350, 0.250),
    ("JFSSL (Wang et al. 2016)", 0.306, 0.228),
]
SUPERVISED = {"sm", "scm", "three-view-cca", "default"}


def methods():
    """xmodal's rows: key -> (label, factory of a fresh projection)."""
    rows = {"cca": ("CCA, reg 0.1, all components", lambda: CCA(reg_image=0.1, reg_text=0.1))}
    labels = {
        "cca-cv": "CCA, CV-chosen (unsupervised)",
        "kcca": "kernel CCA (chi2 image), CV",
        "mmd": "MMD alignment (class-conditional), CV",
        "gram": "Gram alignment (label target), CV",
        "three-view-cca": "three-view CCA (Gong 2014), CV",
        "scm": "SCM (chi2 kernel CCA + LR), CV",
        "sm": "SM (chi2 kernel LR), CV",
        "default": "default: CV choice among all",
    }
    for key, label in labels.items():
        rows[key] = (label, lambda key=key: AutoProjection(method="auto" if key == "default" else key))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "wikipedia")
    parser.add_argument("--methods", nargs="+", choices=list(methods()), default=list(methods()),
                        help="rows to run (default: all)")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    collection = wikipedia_collection(args.data)
    rows = [{"method": m, "image->text": i, "text->image": t, "source": "published"} for m, i, t in PUBLISHED]
    chance = None
    available = methods()
    for key in args.methods:
        label, make = available[key]
        projection = make()
        start = time.perf_counter()
        ev = evaluate_pipeline(Pipeline(None, None, projection), collection)
        chance = ev.chance
        rows.append({"method": f"xmodal {label}", "key": key, "image->text": ev.directions["image->text"]["MAP"],
                     "text->image": ev.directions["text->image"]["MAP"], "source": "measured",
                     "supervised": key in SUPERVISED,
                     "chosen": getattr(projection, "chosen_", None),
                     "cv_map": getattr(projection, "best_score_", None),
                     "params": getattr(projection, "best_params_", None),
                     "fit_seconds": ev.timings["projection"], "seconds": time.perf_counter() - start})
        _print_row(rows[-1])  # progress while the slower rows run
    rows.append({"method": "chance (random ranking)", "image->text": chance["image->text"]["MAP"],
                 "text->image": chance["text->image"]["MAP"], "source": "exact expectation"})
    print()
    print(f"Wikipedia benchmark, MAP over 693 test queries ({platform.machine()}, {platform.node()}, "
          f"Python {platform.python_version()}); fit = projection fit incl. cross-validation, seconds")
    print(f"{'method':<52} {'img->txt':>8} {'txt->img':>8} {'average':>8} {'CV MAP':>7} {'fit s':>7}  chosen")
    for row in rows:
        _print_row(row)
    if args.json:
        write_json(args.json, {"benchmark": "wikipedia", "rows": rows})
        print(f"wrote {args.json}")


def _print_row(r):
    avg = (r["image->text"] + r["text->image"]) / 2
    cv = f"{r['cv_map']:7.3f}" if r.get("cv_map") is not None else " " * 7
    fit = f"{r['fit_seconds']:7.1f}" if r.get("fit_seconds") is not None else " " * 7
    print(f"{r['method']:<52} {r['image->text']:>8.3f} {r['text->image']:>8.3f} {avg:>8.3f} {cv} {fit}  "
          f"{r.get('chosen') or ''}", flush=True)


if __name__ == "__main__":
    main()
