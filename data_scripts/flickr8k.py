"""Turn Flickr8k (the 1k sample in ../shared/data or a full download) into a manifest with a seeded split.

    python data_scripts/flickr8k.py [--source ../shared/data/flickr8k-1k] [--out flickr8k.csv]
    xmodal evaluate --manifest flickr8k.csv
"""

import argparse
from pathlib import Path

from xmodal.datasets.flickr8k import write_flickr8k_manifest

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=ROOT.parent / "shared" / "data" / "flickr8k-1k", type=Path)
    parser.add_argument("--out", default="flickr8k.csv", type=Path)
    parser.add_argument("--n-train", type=int, default=800)
    parser.add_argument("--n-test", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    counts = write_flickr8k_manifest(args.source, args.out, args.n_train, args.n_test, args.seed)
    print(f"wrote {args.out}: {counts}")


if __name__ == "__main__":
    main()
