"""Turn the Wikipedia benchmark's released features into an xmodal features file.

    python data_scripts/wikipedia.py [--source ../shared/data/wikipedia] [--out wikipedia.npz]
    xmodal evaluate --features wikipedia.npz
"""

import argparse
from pathlib import Path

from xmodal.datasets.features import write_features
from xmodal.datasets.wikipedia import load_wikipedia_features

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=ROOT.parent / "shared" / "data" / "wikipedia", type=Path)
    parser.add_argument("--out", default="wikipedia.npz", type=Path)
    args = parser.parse_args(argv)
    data = load_wikipedia_features(args.source)
    write_features(args.out, data["image_train"], data["text_train"], data["image_test"], data["text_test"],
                   data["label_train"], data["label_test"])
    print(f"wrote {args.out}: train {len(data['label_train'])} pairs, test {len(data['label_test'])} pairs, "
          f"{len(set(data['label_train']))} categories")


if __name__ == "__main__":
    main()
