"""Copy detection on Flickr8k-1k: find the original of a transformed copy among all 1000 photos.

For 200 seeded images, six transformed copies each (70 % crop, rotation 10-30 degrees, 0.5x scale,
JPEG quality 20, brightness +-40 %, horizontal flip) are queried against the 1000 originals.
R@1 (the original ranked first) per transform and encoding, from the encoding alone (exact cosine
search, ``xmodal.search.ExactIndex``) and after re-ranking the top ``--shortlist`` by RootSIFT
ratio-test matches and RANSAC homography inliers (``xmodal.images.matching.ImageSearch``). The
last column queries flips with ``flip=True`` (the mirror of the query is searched as well).

    python benchmarks/copy_detection.py [--encodings NAME ...] [--shortlist 20] [--json OUT]
"""

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "flickr8k-1k"
TRANSFORMS = ("crop70", "rotate", "scale0.5", "jpeg20", "brightness", "flip")
ENCODINGS = {
    "rootsift bovw1000": dict(features="rootsift", n_words=1000),
    "rootsift vlad64": dict(features="rootsift", encoding="vlad", n_words=64),
    "dense-rootsift bovw500 +hsv": dict(features="dense-rootsift+hsv", n_words=500),
    "orb bovw500": dict(features="orb", n_words=500),
}


def transformed(image: np.ndarray, name: str, rng) -> np.ndarray:
    """One transformed copy of a BGR image (random parameters drawn from ``rng``)."""
    import cv2

    h, w = image.shape[:2]
    if name == "crop70":  # a window of 70 % of the width and height at a random place
        ch, cw = round(0.7 * h), round(0.7 * w)
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        return np.ascontiguousarray(image[y:y + ch, x:x + cw])
    if name == "rotate":  # 10-30 degrees either way, same canvas, black corners
        angle = rng.uniform(10, 30) * rng.choice([-1, 1])
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    if name == "scale0.5":
        return cv2.resize(image, (round(w / 2), round(h / 2)), interpolation=cv2.INTER_AREA)
    if name == "jpeg20":
        return cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 20])[1], cv2.IMREAD_COLOR)
    if name == "brightness":  # +-40 %
        factor = 1.0 + 0.4 * rng.choice([-1, 1])
        return np.clip(image.astype(np.float32) * factor, 0, 255).astype(np.uint8)
    if name == "flip":
        return np.ascontiguousarray(image[:, ::-1])
    raise ValueError(name)


def main(argv=None):
    import cv2

    from xmodal.images.encoder import ImageEncoder
    from xmodal.images.matching import ImageSearch

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--n-queries", type=int, default=200)
    parser.add_argument("--shortlist", type=int, default=20, help="candidates re-ranked by RANSAC")
    parser.add_argument("--encodings", nargs="+", choices=list(ENCODINGS), default=list(ENCODINGS)[:3],
                        metavar="NAME", help=f"shortlist encodings (default: the first three): {list(ENCODINGS)}")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"{args.data} not found (the Flickr8k-1k sample of ../shared/data)")
    paths = sorted(str(p) for p in (args.data / "images").iterdir())
    rng = np.random.default_rng(args.seed)
    chosen = np.sort(rng.choice(len(paths), args.n_queries, replace=False))
    queries = {t: [transformed(cv2.imread(paths[i]), t, rng) for i in chosen] for t in TRANSFORMS}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"data: Flickr8k-1k, {len(paths)} originals, {len(chosen)} queries per transform; "
          f"re-ranking: top {args.shortlist}, RootSIFT, ratio 0.8, RANSAC 5 px")
    print(f"{'encoding':<30} {'R@1':<10} " + " ".join(f"{t:>10}" for t in TRANSFORMS) + f" {'flip=True':>10} {'s':>6}")
    cache = tempfile.mkdtemp(prefix="xmodal-copy-cache-")
    rows = []
    for name in args.encodings:
        start = time.perf_counter()
        encoder = ImageEncoder(**ENCODINGS[name], seed=args.seed, n_jobs=args.jobs, cache=cache)
        search = ImageSearch(encoder, shortlist=args.shortlist, n_jobs=args.jobs).fit(paths)
        row = {"encoding": name, "plain": {}, "reranked": {}}
        for t in TRANSFORMS + ("flip, flip=True",):
            search.flip = t == "flip, flip=True"
            result = search.search(queries[t.split(",")[0]], k=1)
            row["reranked"][t] = float(np.mean(result.ids[:, 0] == chosen))
            row["plain"][t] = float(np.mean(result.candidates[:, 0] == chosen))
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
        for kind in ("plain", "reranked"):
            values = [row[kind][t] for t in TRANSFORMS] + [row[kind]["flip, flip=True"]]
            label = "encoding only" if kind == "plain" else "+ RANSAC"
            print(f"{name if kind == 'plain' else '':<30} {label:<10} " + " ".join(f"{v:>10.3f}" for v in values)
                  + (f" {row['seconds']:>6.0f}" if kind == "reranked" else ""), flush=True)
    if args.json:
        from xmodal.evaluation.report import write_json

        write_json(args.json, {"benchmark": "copy_detection", "shortlist": args.shortlist, "rows": rows})
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
