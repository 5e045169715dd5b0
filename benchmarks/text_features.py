"""Text features benchmark: retrieval per text feature on Flickr8k-1k, and throughput.

Parts (the first positional argument):

- ``flickr``: Flickr8k-1k (800 train / 200 test images, 5 captions each, the seeded split of
  data_scripts/flickr8k.py). The image side is fixed -- the default ``ImageEncoder`` (dense SIFT
  BoVW + HSV), computed once -- and so is the projection, ``CCACV`` with its defaults. Per text
  feature: the projection's 3-fold cross-validated MAP on the training split (how defaults are
  chosen), then text->image and image->text R@1/5/10 and median rank on the test split.
- ``sweep``: the same training-split CV score for settings of the text side (SIF's ``a``, LDA
  topics, stop words, numbers); the test split is not read.
- ``throughput``: texts per second per feature (fit on the 4000 training captions, transform of
  all 5000), and the GloVe load time cold (conversion from the package into an empty cache) and
  warm (memory-mapped cache), as ratios to ``numpy.load`` of the raw matrix in the same process.

    python benchmarks/text_features.py flickr [--features tfidf,glove-sif] [--json OUT]
    python benchmarks/text_features.py sweep [--json OUT]
    python benchmarks/text_features.py throughput [--json OUT]

``--image-cache FILE.npz`` keeps the image features between runs (they take 60-90 s).
"""

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from xmodal.datasets.collection import Collection
from xmodal.evaluation.protocol import evaluate_pipeline
from xmodal.evaluation.report import write_json
from xmodal.pipeline import Pipeline
from xmodal.projection.selection import CCACV
from xmodal.text.encoder import TextEncoder
from xmodal.text.tokenize import WordTokenizer

ROOT = Path(__file__).resolve().parents[1]
FLICKR_FEATURES = ["tfidf", "lda", "glove-mean", "glove-tfidf", "glove-sif", "word2vec-sif", "tfidf+lda",
                   "tfidf+glove-sif", "tfidf+lda+glove-sif"]
SWEEP = [  # (setting, TextEncoder parameters); the flickr part gives the defaults' CV scores
    ("glove-sif a=1e-2", dict(features="glove-sif", sif_a=1e-2)),
    ("glove-sif a=1e-1", dict(features="glove-sif", sif_a=1e-1)),
    ("glove-sif a=1", dict(features="glove-sif", sif_a=1.0)),
    ("glove-sif zipf a=1e-3", dict(features="glove-sif", sif_frequencies="zipf")),
    ("glove-sif zipf a=1e-4", dict(features="glove-sif", sif_frequencies="zipf", sif_a=1e-4)),
    ("tfidf, no stop words", dict(features="tfidf", tokenizer=WordTokenizer(stop_words=None))),
    ("tfidf, uni+bigrams", dict(features="tfidf", ngram_range=(1, 2))),
    ("lda 50 topics", dict(features="lda", n_topics=50)),
    ("tfidf+glove-sif a=1e-1", dict(features="tfidf+glove-sif", sif_a=1e-1)),
    ("tfidf+glove-mean", dict(features="tfidf+glove-mean")),
    ("tfidf+lda+glove-sif a=1e-1", dict(features="tfidf+lda+glove-sif", sif_a=1e-1)),
    ("tfidf+lda, no stop words", dict(features="tfidf+lda", tokenizer=WordTokenizer(stop_words=None))),
]


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def flickr_collection(manifest):
    """The Flickr8k-1k manifest (written from ../shared/data when not given) as a Collection."""
    from xmodal.datasets.flickr8k import write_flickr8k_manifest
    from xmodal.datasets.manifest import read_manifest

    if manifest is None:
        manifest = Path(tempfile.mkdtemp()) / "flickr8k.csv"
        write_flickr8k_manifest(ROOT.parent / "shared" / "data" / "flickr8k-1k", manifest)
    return read_manifest(manifest, label_column=None)


def image_features(collection, cache):
    """Default ImageEncoder fitted on the train images; features of every image (train, test order)."""
    train, test = collection.subset("train"), collection.subset("test")
    ids = np.concatenate([train.image_ids, test.image_ids])
    if cache and Path(cache).is_file():
        with np.load(cache, allow_pickle=False) as f:
            if np.array_equal(f["ids"], ids):
                return f["train"], f["test"], float(f["seconds"])
    from xmodal.images.encoder import ImageEncoder

    start = time.perf_counter()
    encoder = ImageEncoder()
    X_train = encoder.fit_transform(train.images)
    X_test = encoder.transform(test.images)
    seconds = time.perf_counter() - start
    if cache:
        from xmodal._atomic import savez_atomic

        savez_atomic(cache, ids=ids, train=X_train, test=X_test, seconds=seconds)
    return X_train, X_test, seconds


def feature_collection(collection, X_train, X_test):
    """Image feature rows in place of image paths; train texts then test texts."""
    train, test = collection.subset("train"), collection.subset("test")
    return Collection(images=np.vstack([X_train, X_test]), texts=list(train.texts) + list(test.texts),
                      text_image=np.concatenate([train.text_image, test.text_image + train.n_images]),
                      splits=np.array(["train"] * train.n_images + ["test"] * test.n_images))


def run_setting(name, params, collection, evaluate_test):
    start = time.perf_counter()
    pipeline = Pipeline(None, TextEncoder(**params), CCACV())
    if evaluate_test:
        ev = evaluate_pipeline(pipeline, collection)
        directions = {d: {k: ev.directions[d][k] for k in ("R@1", "R@5", "R@10", "median_rank")}
                      for d in ("text->image", "image->text")}
        chance = {d: {k: ev.chance[d][k] for k in ("R@1", "R@5", "R@10", "median_rank")}
                  for d in ("text->image", "image->text")}
    else:
        train = collection.subset("train")
        pipeline.fit(train.images, train.texts, train.text_image)
        directions = chance = None
    encoder = pipeline.text_encoder
    return {"feature": name, "cv_map_train": pipeline.projection.best_score_, "directions": directions,
            "chance": chance, "text_dim": encoder.n_features_out_, "projection": pipeline.projection.best_params_,
            "seconds": time.perf_counter() - start}


DIRECTIONS = ("text->image", "image->text")


def retrieval_header(title):
    print(title)
    print(f"{'text feature':<32} {'dim':>6} {'CV MAP':>7} |" + " text->image R@1  R@5 R@10 medR |" * 1
          + " image->text R@1  R@5 R@10 medR | seconds", flush=True)


def retrieval_row(name, dim, cv_map, directions, seconds):
    cells = ""
    for d in DIRECTIONS:
        if directions:
            m = directions[d]
            cells += f"{'':>11} {m['R@1']:.3f} {m['R@5']:.3f} {m['R@10']:.3f} {m['median_rank']:>4.0f} |"
        else:
            cells += f"{'':>11} {'-':>5} {'-':>5} {'-':>5} {'-':>4} |"
    cv = f"{cv_map:>7.4f}" if cv_map is not None else f"{'':>7}"
    print(f"{name:<32} {dim:>6} {cv} |{cells} {seconds:>7.1f}", flush=True)


def part_retrieval(args, sweep):
    collection = flickr_collection(args.manifest)
    X_train, X_test, image_seconds = image_features(collection, args.image_cache)
    features = feature_collection(collection, X_train, X_test)
    if sweep:
        chosen = set(args.settings.split(";")) if args.settings else None
        settings = [(name, params) for name, params in SWEEP if chosen is None or name in chosen]
    else:
        settings = [(f, dict(features=f)) for f in args.features.split(",")]
    what = "training-split CV only (test split not read)" if sweep else "CV on train, then the test split"
    retrieval_header(f"Flickr8k-1k text features, {what}; image side: default ImageEncoder "
                     f"({X_train.shape[1]} dims, {image_seconds:.0f} s), projection CCACV ({machine()})")
    rows = []
    for name, params in settings:
        row = run_setting(name, params, features, evaluate_test=not sweep)
        retrieval_row(name, row["text_dim"], row["cv_map_train"], row["directions"], row["seconds"])
        rows.append(row)
    if not sweep:
        retrieval_row("chance (random ranking)", 0, None, rows[0]["chance"], 0.0)
    return {"part": "sweep" if sweep else "flickr", "machine": machine(), "image_seconds": image_seconds, "rows": rows}


def part_throughput(args):
    collection = flickr_collection(args.manifest)
    train_texts = list(collection.subset("train").texts)
    texts = list(collection.texts)
    rows = []
    previous = os.environ.get("XMODAL_CACHE")
    with tempfile.TemporaryDirectory() as cache:
        from xmodal.text.glove import glove_files, load_glove_6b_50d

        matrix_path = glove_files()[0]
        load_glove_6b_50d(cache=False)  # imports gensim and pyarrow, warms the page cache

        def cold():  # a new empty cache folder each time
            os.environ["XMODAL_CACHE"] = tempfile.mkdtemp(dir=cache)
            load_glove_6b_50d()

        timings = {}
        for name, load in [("numpy.load of the raw matrix", lambda: np.load(matrix_path)),
                           ("GloVe cold (package -> cache)", cold),
                           ("GloVe warm (memory-mapped cache)", load_glove_6b_50d),
                           ("GloVe without cache (package)", lambda: load_glove_6b_50d(cache=False))]:
            seconds = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                load()
                seconds.append(time.perf_counter() - start)
            timings[name] = min(seconds)
        base = timings["numpy.load of the raw matrix"]
        loads = [{"load": k, "seconds": v, "ratio": v / base} for k, v in timings.items()]
        for feature in args.features.split(","):
            encoder = TextEncoder(features=feature)
            start = time.perf_counter()
            encoder.fit(train_texts)
            fit = time.perf_counter() - start
            start = time.perf_counter()
            encoder.transform(texts)
            transform = time.perf_counter() - start
            rows.append({"feature": feature, "fit_seconds": fit, "fit_texts_per_s": len(train_texts) / fit,
                         "transform_texts_per_s": len(texts) / transform})
    if previous is None:
        os.environ.pop("XMODAL_CACHE", None)
    else:
        os.environ["XMODAL_CACHE"] = previous
    print(f"GloVe 6B 50d load times ({machine()}), best of {args.repeats}; ratio to numpy.load of the 80 MB "
          "matrix in the same process")
    print(f"{'load':<36} {'seconds':>8} {'ratio':>7}")
    for r in loads:
        print(f"{r['load']:<36} {r['seconds']:>8.3f} {r['ratio']:>7.1f}")
    print(f"\nText feature throughput: fit on {len(train_texts)} captions, transform {len(texts)} "
          "(GloVe already cached)")
    print(f"{'feature':<24} {'fit s':>7} {'fit texts/s':>12} {'transform texts/s':>18}")
    for r in rows:
        print(f"{r['feature']:<24} {r['fit_seconds']:>7.2f} {r['fit_texts_per_s']:>12.0f} "
              f"{r['transform_texts_per_s']:>18.0f}")
    return {"part": "throughput", "machine": machine(), "loads": loads, "features": rows}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=("flickr", "sweep", "throughput"))
    parser.add_argument("--manifest", type=Path, help="Flickr8k manifest (default: written from ../shared/data)")
    parser.add_argument("--features", default=",".join(FLICKR_FEATURES), help="comma-separated feature names")
    parser.add_argument("--settings", help="sweep: only these settings, separated by ';' (default: all)")
    parser.add_argument("--image-cache", type=Path, help="npz keeping the image features between runs")
    parser.add_argument("--repeats", type=int, default=3, help="throughput: best of this many loads")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    if args.part == "throughput":
        result = part_throughput(args)
    else:
        result = part_retrieval(args, sweep=args.part == "sweep")
    if args.json:
        write_json(args.json, result)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
