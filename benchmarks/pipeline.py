"""Fit once, keep, query: where the time goes in the Pipeline, and how it grows with the collection.

On the Flickr8k-1k manifest (800 train images / 4000 captions fit; 1000 images and 5000 captions
indexed): fit time per stage, index time, save and load time, the latency of a cold one-shot
script (new process: load + one text query) and warm text and image queries (an image query
includes its feature extraction), and peak memory. Then the collection is grown by repeating
items with noise (images: pixel noise; texts: a dropped word; gallery vectors: Gaussian noise)
to show how indexing and query time scale.

    python benchmarks/pipeline.py [--data ../shared/data/flickr8k-1k] [--sizes 1000 10000 100000] [--json OUT]
"""

import argparse
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from xmodal.datasets.flickr8k import write_flickr8k_manifest
from xmodal.datasets.manifest import read_manifest
from xmodal.evaluation.report import write_json
from xmodal.gallery import Gallery
from xmodal.images.io import read_image
from xmodal.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, *args, repeat=1, **kwargs):
    """(result of the last call, median seconds per call)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return result, float(np.median(times))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def noisy_images(paths, n, seed):
    """``n`` arrays: the images repeated, each copy with Gaussian pixel noise (sigma 8)."""
    rng = np.random.default_rng(seed)
    base = [read_image(p) for p in paths]
    out = []
    for i in range(n):
        img = base[i % len(base)].astype(np.float32) + rng.normal(0, 8, base[i % len(base)].shape)
        out.append(np.clip(img, 0, 255).astype(np.uint8))
    return out


def noisy_texts(texts, n, seed):
    """``n`` texts: the texts repeated, each copy with one word dropped at random."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        words = texts[i % len(texts)].split()
        if len(words) > 2:
            del words[rng.integers(len(words))]
        out.append(" ".join(words))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "flickr8k-1k")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000],
                        help="gallery sizes for the scaling table")
    parser.add_argument("--image-sizes", type=int, nargs="+", default=[1000, 2000],
                        help="image counts for the image-indexing scaling rows (feature extraction is slow)")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    rows, work = {}, Path(tempfile.mkdtemp(prefix="xmodal-bench-"))
    manifest = work / "flickr8k.csv"
    write_flickr8k_manifest(args.data, manifest)
    collection = read_manifest(manifest)
    train = collection.take(np.flatnonzero(collection.splits == "train"))

    pipeline = Pipeline()
    pipeline.image_encoder.set_params(progress=False)
    _, rows["fit (total)"] = timed(pipeline.fit, train.images, train.texts, train.text_image)
    for stage, seconds in pipeline.timings_.items():
        rows[f"fit: {stage}"] = seconds
    _, rows["index 1000 images"] = timed(pipeline.add_images, collection.images, ids=collection.image_ids)
    _, rows["index 5000 texts"] = timed(pipeline.add_texts, collection.texts)
    model = work / "model"
    _, rows["save"] = timed(pipeline.save, model)
    _, rows["load (warm file cache)"] = timed(Pipeline.load, model, repeat=5)
    script = ("import sys, time; t = time.perf_counter(); from xmodal.pipeline import Pipeline; "
              "p = Pipeline.load(sys.argv[1]); p.search_text('a dog runs on the grass', k=10); "
              "print(time.perf_counter() - t)")
    cold = []
    for _ in range(3):
        start = time.perf_counter()
        inside = subprocess.run([sys.executable, "-c", script, str(model)], capture_output=True, text=True,
                                check=True).stdout
        cold.append((time.perf_counter() - start, float(inside)))
    rows["cold script: process start + import + load + 1 text query"] = float(np.median([c[0] for c in cold]))
    rows["cold script: import + load + 1 text query (inside the process)"] = float(np.median([c[1] for c in cold]))
    loaded = Pipeline.load(model)
    loaded.search_text("a dog", k=10)  # first call compiles the Numba top-k (cached on disk afterwards)
    _, rows["warm text query (k=10)"] = timed(loaded.search_text, "a dog runs on the grass", k=10, repeat=20)
    _, rows["warm image query, path incl. extraction (k=10)"] = timed(
        loaded.search_image, collection.images[0], k=10, repeat=10)
    _, rows["warm batch of 100 text queries"] = timed(loaded.search_text, collection.texts[:100], k=10, repeat=3)
    rows["peak RSS (MB)"] = peak_rss_mb()

    scaling = []
    for n in args.image_sizes:
        images = noisy_images(collection.images, n, seed=n)
        grown = Pipeline.load(model, mmap=False)
        _, seconds = timed(grown.add_images, images, ids=[f"noisy{i}" for i in range(n)])
        scaling.append({"what": "index images (extract + embed + add)", "n": n, "seconds": seconds,
                        "per item ms": 1000 * seconds / n})
    dim = loaded.galleries_["image"].index.dim
    rng = np.random.default_rng(0)
    index = loaded.galleries_["image"].index
    base = np.asarray(index.vectors_of(index.ids))
    for n in args.sizes:
        texts = noisy_texts(collection.texts, n, seed=n)
        grown = Pipeline.load(model, mmap=False)
        _, seconds = timed(grown.add_texts, texts, ids=[f"noisy{i}" for i in range(n)])
        scaling.append({"what": "index texts (embed + add)", "n": n, "seconds": seconds,
                        "per item ms": 1000 * seconds / n})
        vectors = base[np.arange(n) % len(base)] + rng.normal(0, 0.05, (n, dim)).astype(np.float32)
        grown.galleries_["image"] = Gallery("image")
        grown.galleries_["image"].add(vectors, ids=np.arange(n))
        _, seconds = timed(grown.search_text, "a dog runs on the grass", k=10, repeat=10)
        scaling.append({"what": "text query against n images (k=10)", "n": n, "seconds": seconds,
                        "per item ms": 1000 * seconds / n})

    print(f"Pipeline on Flickr8k-1k ({platform.machine()}, {platform.python_version()}, "
          f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores)")
    for name, value in rows.items():
        unit = "" if "MB" in name else " s"
        print(f"  {name:<66} {value:10.4f}{unit}")
    print("scaling (collection grown by repeating items with noise)")
    print(f"  {'what':<44} {'n':>8} {'seconds':>10} {'ms / item':>10}")
    for r in scaling:
        print(f"  {r['what']:<44} {r['n']:>8} {r['seconds']:>10.4f} {r['per item ms']:>10.4f}")
    fit_stages = {k: v for k, v in rows.items() if k.startswith("fit: ")}
    print(f"dominant fit stage: {max(fit_stages, key=fit_stages.get)[5:]}")
    if args.json:
        write_json(args.json, {"benchmark": "pipeline", "rows": rows, "scaling": scaling})
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
