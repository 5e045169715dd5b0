"""Image features on Flickr8k-1k: extraction speed against raw OpenCV, and cross-modal retrieval quality.

Data: the 1000 Flickr8k photos (about 200 px) in ../shared/data/flickr8k-1k, 5 captions each,
the seeded 800/200 split of data_scripts/flickr8k.py.

speed    For each local descriptor, the raw OpenCV loop (``cv2.imread`` + grey + ``detectAndCompute``,
         one process, no encoding) and our full extraction + encoding (``ImageEncoder.transform``,
         one process, codebook fitted beforehand) on the same images in the same run, as a ratio;
         then the same transform with 2 (``--workers``) processes.
quality  For each image encoding, with the text side (word TF-IDF) and projection (CCA chosen by
         3-fold CV) held fixed: the CV MAP on the 800 training images (the default is chosen by
         this column only; no test figure is used), then text->image and image->text R@1/5/10 and
         median rank on the 200 test images / 1000 captions.

    python benchmarks/image_features.py speed   [--n-images 1000] [--json OUT]
    python benchmarks/image_features.py quality [--configs NAME ...] [--json OUT]
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

#: Quality configurations: name -> ImageEncoder parameters (besides seed / cache / jobs); every choice the
#: default could make is spelled out, so a row keeps its meaning when the defaults change.
CONFIGS = {
    "dense-sift-cv bovw500 +hsv (old default)": dict(features="dense-sift-cv+hsv", bin_sizes=(8, 16), step=8,
                                                     encoding="bovw", out_dim=None),
    "dense-sift 12,24 step8 bovw500 +hsv": dict(features="dense-sift+hsv", bin_sizes=(12, 24), step=8,
                                                encoding="bovw", out_dim=None),
    "dense-sift bovw500 +hsv": dict(features="dense-sift+hsv", step=4, bin_sizes=(4, 8), encoding="bovw",
                                    out_dim=None),
    "dense-rootsift bovw500 +hsv": dict(features="dense-rootsift+hsv", step=4, bin_sizes=(4, 8), encoding="bovw",
                                        out_dim=None),
    "dense-rootsift step6 bovw500 +hsv": dict(features="dense-rootsift+hsv", step=6, encoding="bovw", out_dim=None),
    "dense-rootsift bovw1000 +hsv": dict(features="dense-rootsift+hsv", n_words=1000, encoding="bovw", out_dim=None),
    "dense-rootsift soft500 +hsv": dict(features="dense-rootsift+hsv", encoding="soft", out_dim=None),
    "dense-rootsift bovw500 idf +hsv": dict(features="dense-rootsift+hsv", idf=True, encoding="bovw", out_dim=None),
    "dense-rootsift bovw500 1x1+2x2 +hsv": dict(features="dense-rootsift+hsv", pyramid="1x1+2x2",
                                                encoding="bovw", out_dim=None),
    "dense-rootsift vlad64 pca256 +hsv": dict(features="dense-rootsift+hsv", encoding="vlad", out_dim=256),
    "dense-rootsift fisher64 pca256 +hsv": dict(features="dense-rootsift+hsv", encoding="fisher", out_dim=256),
    "dense-rootsift bovw500 1x1+2x2 pca256 +hsv": dict(features="dense-rootsift+hsv", pyramid="1x1+2x2",
                                                       out_dim=256, encoding="bovw"),
    "dense-rootsift bovw500 +hsv+gist": dict(features="dense-rootsift+hsv+gist", encoding="bovw", out_dim=None),
    "dense-rootsift bovw500 +hsv+lbp": dict(features="dense-rootsift+hsv+lbp", encoding="bovw", out_dim=None),
    "sift bovw500": dict(features="sift", encoding="bovw", out_dim=None),
    "rootsift bovw500": dict(features="rootsift", encoding="bovw", out_dim=None),
    "rootsift vlad64": dict(features="rootsift", encoding="vlad", out_dim=None),
    "orb bovw500 (k-majority)": dict(features="orb", encoding="bovw", out_dim=None),
    "hsv": dict(features="hsv"),
    "gist": dict(features="gist"),
    "lbp": dict(features="lbp"),
    "hog": dict(features="hog"),
}


def flickr_collection(data: Path):
    from xmodal.datasets.manifest import read_manifest
    from xmodal.datasets.flickr8k import write_flickr8k_manifest

    out = Path(tempfile.mkdtemp()) / "flickr8k.csv"
    write_flickr8k_manifest(data, out, 800, 200, 0)
    return read_manifest(out)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


# -- speed ----------------------------------------------------------------------------------------
def raw_opencv(paths, kind, encoder):
    """Seconds for the raw OpenCV loop: imread, grey, detectAndCompute (dense: compute on the grid)."""
    import cv2

    if kind in ("sift", "rootsift"):
        detector = cv2.SIFT_create(nfeatures=encoder.max_keypoints, contrastThreshold=encoder.contrast_threshold)
    else:
        detector = cv2.ORB_create(nfeatures=encoder.max_keypoints, fastThreshold=encoder.fast_threshold)
    start = time.perf_counter()
    for p in paths:
        gray = cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2GRAY)
        detector.detectAndCompute(gray, None)
    return time.perf_counter() - start


def run_speed(args, paths):
    import cv2

    from xmodal.images.encoder import ImageEncoder

    rows = []
    cases = [("sift", "bovw"), ("sift", "vlad"), ("rootsift", "bovw"), ("rootsift", "fisher"), ("orb", "bovw"),
             ("orb", "vlad"), ("dense-rootsift", "bovw"), ("dense-rootsift", "vlad")]
    cases = cases if "ratios" in args.sections else []
    for kind, encoding in cases:
        enc = ImageEncoder(kind, encoding=encoding, n_jobs=1, seed=0).fit(paths[:200])
        enc.transform(paths[:5])  # warm caches (OpenCV detector objects, BLAS)
        reference = "sift" if kind.startswith("dense") else kind
        times = {"raw": [], "ours": []}
        for _ in range(args.repeats):  # interleaved, best of: other jobs share the CPU
            times["raw"].append(raw_opencv(paths, reference, enc))
            start = time.perf_counter()
            enc.transform(paths)
            times["ours"].append(time.perf_counter() - start)
        raw, ours = min(times["raw"]), min(times["ours"])
        rows.append({"descriptor": kind, "encoding": encoding, "raw OpenCV reference": f"{reference} detectAndCompute",
                     "raw s": raw, "ours s": ours, "ratio": ours / raw, "ms/image": 1000 * ours / len(paths)})
        print(f"{kind:<15} {encoding:<7} raw {reference:<9} {raw:7.2f} s   ours {ours:7.2f} s   "
              f"ratio {ours / raw:5.2f}   {1000 * ours / len(paths):6.1f} ms/image", flush=True)
    scaling = []
    for kind, encoding in [("dense-rootsift", "bovw")] if "workers" in args.sections else []:
        enc = ImageEncoder(kind + "+hsv", encoding=encoding, seed=0, n_jobs=1).fit(paths[:200])
        base = None
        results = {}
        for jobs in [1] + [j for j in args.workers if j > 1]:
            enc.set_params(n_jobs=jobs)
            start = time.perf_counter()
            results[jobs] = enc.transform(paths)
            seconds = time.perf_counter() - start
            base = base or seconds
            same = bool(np.array_equal(results[jobs], results[1]))
            scaling.append({"features": kind + "+hsv", "encoding": encoding, "workers": jobs, "seconds": seconds,
                            "speed-up": base / seconds, "identical to 1 worker": same})
            print(f"{kind + '+hsv':<20} {encoding:<6} workers {jobs}: {seconds:6.2f} s  speed-up {base / seconds:4.2f}"
                  f"  identical output: {same}", flush=True)
    print(f"(OpenCV threads per process: {cv2.getNumThreads()}; BLAS: 1)")
    return {"per descriptor": rows, "workers": scaling}


# -- quality --------------------------------------------------------------------------------------
def run_quality(args, collection, cache_dir):
    from xmodal.evaluation.protocol import rank_all_directions
    from xmodal.images.encoder import ImageEncoder
    from xmodal.projection.selection import CCACV
    from xmodal.text.encoder import TextEncoder

    train, test = collection.subset("train"), collection.subset("test")
    text = TextEncoder()
    T_train, T_test = text.fit_transform(train.texts), text.transform(test.texts)
    rows = []
    names = args.configs or list(CONFIGS)
    for name in names:
        params = CONFIGS[name]
        enc = ImageEncoder(**params, seed=0, n_jobs=args.jobs, cache=cache_dir)
        start = time.perf_counter()
        X_train = enc.fit_transform(train.images)
        X_test = enc.transform(test.images)
        seconds = time.perf_counter() - start
        projection = CCACV(seed=0).fit(X_train[train.text_image], T_train, groups=train.text_image)
        Zi, Zt = projection.transform_image(X_test), projection.transform_text(T_test)
        reports, _ = rank_all_directions(Zi, Zt, test.text_image)
        row = {"config": name, "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
               "dim": int(X_train.shape[1]), "train CV MAP": projection.best_score_, "image seconds": seconds}
        for d in ("text->image", "image->text"):
            row[d] = {k: reports[d][k] for k in ("R@1", "R@5", "R@10", "median_rank")}
        rows.append(row)
        print(_quality_line(row), flush=True)
    return rows


def _quality_line(r):
    ti, it = r["text->image"], r["image->text"]
    return (f"{r['config']:<40} {r['dim']:>6} {r['train CV MAP']:>7.3f} | "
            f"{ti['R@1']:.3f} {ti['R@5']:.3f} {ti['R@10']:.3f} {ti['median_rank']:>5.0f} | "
            f"{it['R@1']:.3f} {it['R@5']:.3f} {it['R@10']:.3f} {it['median_rank']:>5.0f} | {r['image seconds']:6.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("speed", "quality"))
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--n-images", type=int, default=1000, help="images for the speed runs")
    parser.add_argument("--repeats", type=int, default=2, help="speed: best of this many runs")
    parser.add_argument("--workers", type=int, nargs="+", default=[2], help="speed: worker counts to compare with 1")
    parser.add_argument("--sections", nargs="+", choices=("ratios", "workers"), default=["ratios", "workers"],
                        help="speed: ratios to raw OpenCV, and/or the speed-up with worker processes")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), metavar="NAME",
                        help=f"quality: configurations to run (default: all): {list(CONFIGS)}")
    parser.add_argument("--jobs", type=int, default=2, help="quality: extraction workers")
    parser.add_argument("--cache", default=None,
                        help="quality: feature cache folder shared by configs (default: a temporary folder)")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"{args.data} not found (the Flickr8k-1k sample of ../shared/data)")
    print(f"machine: {machine()}; data: Flickr8k-1k ({args.data})")
    if args.mode == "speed":
        import cv2

        cv2.setNumThreads(1)  # one process = one thread, for the raw loop and ours alike
        paths = sorted(str(p) for p in (args.data / "images").iterdir())[:args.n_images]
        print(f"speed on {len(paths)} images, best of {args.repeats}")
        result = run_speed(args, paths)
    else:
        collection = flickr_collection(args.data)
        print("quality: 800 train / 200 test images, 5 captions each; text: word TF-IDF; projection: CCACV(seed=0)")
        print(f"{'image features':<40} {'dim':>6} {'CV MAP':>7} | {'text->image R@1 R@5 R@10 medR':<29} | "
              f"{'image->text R@1 R@5 R@10 medR':<29} | img s")
        cache = args.cache or tempfile.mkdtemp(prefix="xmodal-bench-cache-")
        result = run_quality(args, collection, cache)
    if args.json:
        from xmodal.evaluation.report import write_json

        write_json(args.json, {"benchmark": f"image_features {args.mode}", "machine": machine(), "result": result})
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
