"""Fit speed of the closed-form projections against iterative / other implementations, same data, same process.

1. Linear CCA: xmodal's ``CCA`` (eigh whitening + SVD) against ``sklearn.cross_decomposition.CCA``
   (NIPALS) on the Wikipedia training features (2173 x 128 / 2173 x 10) and on a synthetic pair
   with planted correlation (20 000 x 1000 / 20 000 x 300), the same number of components.
2. The same against cca-zoo's ``CCA`` when a separate venv with cca-zoo exists (``--ccazoo-python``):
   there one child process times both cca-zoo and xmodal (xmodal's ``src`` on its path), so the
   ratio is measured in one process.
3. Kernel projections: fit time and peak traced memory (``tracemalloc``) against ``n`` for exact
   kernel CCA (every row a landmark) and the Nyström versions (1000 landmarks) of kernel CCA and
   MMD alignment, RBF kernels on the synthetic pair.

Speed is reported as ratios of runs in the same process (the machine is shared): the best of
``--repeats`` runs for each. On a machine shared with other heavy jobs, run it with
``OPENBLAS_NUM_THREADS=1`` (multi-threaded BLAS that spins on busy cores distorts both sides).

    python benchmarks/projection_speed.py [--sizes 1000 5000 20000] [--json OUT]
"""

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CCAZOO_CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[2])
from cca_zoo.linear import CCA as ZooCCA
from xmodal.projection.cca import CCA
data = np.load(sys.argv[1])
X, Y, k, repeats = data["X"], data["Y"], int(data["k"]), int(data["repeats"])
def best(fit):
    times = []
    for _ in range(repeats):
        start = time.perf_counter(); fit(); times.append(time.perf_counter() - start)
    return min(times)
import inspect
import cca_zoo
def make_zoo(k):  # cca-zoo renamed its component argument between releases
    names = inspect.signature(ZooCCA.__init__).parameters
    return ZooCCA(**{("latent_dimensions" if "latent_dimensions" in names else "n_components"): k})
out = {"version": getattr(cca_zoo, "__version__", "?"),
       "xmodal": best(lambda: CCA(n_components=k, reg_image=0.0, reg_text=0.0).fit(X, Y)),
       "ccazoo": best(lambda: make_zoo(k).fit([X, Y]))}
print(json.dumps(out))
"""


def planted_pair(n, d_image, d_text, n_shared=10, seed=0):
    """Two views sharing ``n_shared`` latent factors with correlations from 0.9 down to 0.45."""
    rng = np.random.default_rng(seed)
    rhos = np.linspace(0.9, 0.45, n_shared)
    shared = rng.normal(size=(n, n_shared))
    text_shared = shared * rhos + rng.normal(size=(n, n_shared)) * np.sqrt(1 - rhos ** 2)
    X = np.hstack([shared, rng.normal(size=(n, d_image - n_shared))]) @ rng.normal(size=(d_image, d_image))
    Y = np.hstack([text_shared, rng.normal(size=(n, d_text - n_shared))]) @ rng.normal(size=(d_text, d_text))
    return X, Y, rhos


def best_time(fit, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(fit):
    tracemalloc.start()
    fit()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def linear_rows(name, X, Y, k, repeats, sklearn_repeats, ccazoo_python):
    from sklearn.cross_decomposition import CCA as SklearnCCA

    from xmodal.projection.cca import CCA

    ours = best_time(lambda: CCA(n_components=k, reg_image=0.0, reg_text=0.0).fit(X, Y), repeats)
    rows = [{"data": name, "method": "xmodal CCA", "k": k, "seconds": ours, "ratio": 1.0}]
    if sklearn_repeats > 0:
        theirs = best_time(lambda: SklearnCCA(n_components=k, scale=False).fit(X, Y), sklearn_repeats)
        rows.append({"data": name, "method": "sklearn CCA (NIPALS)", "k": k, "seconds": theirs,
                     "ratio": theirs / ours})
    if ccazoo_python:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "data.npz"
            np.savez(path, X=X, Y=Y, k=k, repeats=repeats)
            done = subprocess.run([ccazoo_python, "-c", CCAZOO_CHILD, str(path), str(ROOT / "src")],
                                  capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            rows.append({"data": name, "method": "cca-zoo CCA", "k": k, "error": done.stderr.strip()[-300:]})
        else:
            child = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append({"data": name, "method": f"cca-zoo {child['version']} CCA (xmodal in the same child: "
                                                f"{child['xmodal']:.3f} s)", "k": k, "seconds": child["ccazoo"],
                         "ratio": child["ccazoo"] / child["xmodal"]})
    return rows


def kernel_rows(sizes, repeats):
    from xmodal.projection.kernel_cca import KernelCCA
    from xmodal.projection.mmd import MMDAlignment

    X_all, Y_all, _ = planted_pair(max(sizes), 100, 50, seed=1)
    rows = []
    for n in sizes:
        X, Y = X_all[:n], Y_all[:n]
        candidates = [("kernel CCA, Nyström m=1000", lambda: KernelCCA(n_components=10, n_landmarks=1000)),
                      ("MMD alignment, Nyström m=1000", lambda: MMDAlignment(
                          n_components=10, kernel_image="rbf", kernel_text="rbf", n_landmarks=1000))]
        if n <= 5000:
            candidates.insert(0, ("kernel CCA, exact (m=n)", lambda n=n: KernelCCA(n_components=10, n_landmarks=n)))
        for label, make in candidates:
            seconds = best_time(lambda: make().fit(X, Y), repeats if n <= 5000 else 1)
            peak = peak_memory(lambda: make().fit(X, Y))
            rows.append({"n": n, "method": label, "seconds": seconds, "peak_mb": peak / 2 ** 20})
            print(f"  n={n:>6} {label:<32} {seconds:8.2f} s  peak {peak / 2 ** 20:8.1f} MB", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "wikipedia")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--components", type=int, default=10)
    parser.add_argument("--synthetic-components", type=int, default=10,
                        help="components on the synthetic pair, every method (sklearn's time grows with it)")
    parser.add_argument("--ccazoo-python", default="/work/venv-ccazoo/bin/python",
                        help="python of a venv with cca-zoo (skipped when absent)")
    parser.add_argument("--skip-synthetic", action="store_true", help="no 20000 x 1000 / 300 linear rows")
    parser.add_argument("--skip-kernels", action="store_true")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    ccazoo = args.ccazoo_python if Path(args.ccazoo_python).exists() else None
    print(f"projection fit speed ({platform.machine()}, {platform.node()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}); best of {args.repeats} unless noted")
    linear = []
    if (args.data / "raw_features.mat").is_file():
        from xmodal.datasets.wikipedia import load_wikipedia_features

        wiki = load_wikipedia_features(args.data)
        linear += linear_rows("Wikipedia train 2173 x 128 / 10", wiki["image_train"].astype(float),
                              wiki["text_train"].astype(float), min(args.components, 9), args.repeats, args.repeats,
                              ccazoo)  # the LDA proportions sum to one: rank 9
    if not args.skip_synthetic:
        X, Y, _ = planted_pair(20000, 1000, 300)
        linear += linear_rows("synthetic 20000 x 1000 / 300", X, Y, args.synthetic_components, args.repeats, 1, ccazoo)
    print(f"\n{'data':<34} {'method':<62} {'k':>3} {'fit s':>9} {'x slower than xmodal':>21}")
    for r in linear:
        timing = f"{r['seconds']:9.3f} {r['ratio']:21.1f}" if "seconds" in r else f"error: {r['error']}"
        print(f"{r['data']:<34} {r['method']:<62} {r['k']:>3} {timing}")
    kernels = []
    if not args.skip_kernels:
        print("\nkernel projections, synthetic 100-d / 50-d pair, RBF kernels, 10 components:")
        kernels = kernel_rows(args.sizes, args.repeats)
    if args.json:
        from xmodal.evaluation.report import write_json

        write_json(args.json, {"benchmark": "projection_speed", "linear": linear, "kernels": kernels})
        print(f"wrote {args.json}")


if __name__ == "__main__":
    sys.exit(main())
