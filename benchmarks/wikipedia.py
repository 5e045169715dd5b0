"""The Wikipedia benchmark table: xmodal's projections beside the published rows.

Rasiwasia et al., "A New Approach to Cross-Modal Multimedia Retrieval", ACM MM 2010: released
features (128-word SIFT BoVW, 10-topic LDA), 2173 train / 693 test pairs, 10 categories.
MAP over all 693 test queries against the 693-item test gallery, relevance = same category.

    python benchmarks/wikipedia.py [--data ../shared/data/wikipedia] [--json OUT]
"""

import argparse
import platform
import time
from pathlib import Path

from xmodal.datasets.wikipedia import wikipedia_collection
from xmodal.evaluation.protocol import evaluate_pipeline
from xmodal.evaluation.report import write_json
from xmodal.pipeline import Pipeline
from xmodal.projection.cca import CCA
from xmodal.projection.selection import CCACV

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = [  # (method, image query MAP, text query MAP), Rasiwasia et al. 2010, table 2
    ("CCA (published)", 0.249, 0.196),
    ("SM (published)", 0.225, 0.223),
    ("SCM (published)", 0.277, 0.226),
]


def methods():
    """xmodal's rows: name -> a fresh projection."""
    return {
        "xmodal CCA (reg 0.1, all components)": lambda: CCA(reg_image=0.1, reg_text=0.1),
        "xmodal CCA, CV-chosen (default)": lambda: CCACV(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "wikipedia")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    collection = wikipedia_collection(args.data)
    rows = [{"method": m, "image->text": i, "text->image": t, "source": "published"} for m, i, t in PUBLISHED]
    chance = None
    for name, make in methods().items():
        start = time.perf_counter()
        projection = make()
        ev = evaluate_pipeline(Pipeline(None, None, projection), collection)
        chance = ev.chance
        rows.append({"method": name, "image->text": ev.directions["image->text"]["MAP"],
                     "text->image": ev.directions["text->image"]["MAP"], "source": "measured",
                     "params": getattr(projection, "best_params_", None), "seconds": time.perf_counter() - start})
    rows.append({"method": "chance (random ranking)", "image->text": chance["image->text"]["MAP"],
                 "text->image": chance["text->image"]["MAP"], "source": "exact expectation"})
    print(f"Wikipedia benchmark, MAP over 693 test queries ({platform.machine()}, {platform.python_version()})")
    print(f"{'method':<40} {'image->text':>11} {'text->image':>11} {'average':>8}")
    for r in rows:
        avg = (r["image->text"] + r["text->image"]) / 2
        extra = f"   CV chose {r['params']}" if r.get("params") else ""
        print(f"{r['method']:<40} {r['image->text']:>11.3f} {r['text->image']:>11.3f} {avg:>8.3f}{extra}")
    if args.json:
        write_json(args.json, {"benchmark": "wikipedia", "rows": rows})
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
