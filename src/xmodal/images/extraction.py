"""Per-image extraction (read, resize, local and global descriptors), optionally cached, in worker processes.

:func:`extract_image` does everything that depends on one image only; its result does not depend
on which process ran it, so extraction is deterministic whatever the number of workers.
:func:`map_images` runs a function over images in order, in-process or in a pool of spawned
worker processes (safe under pytest and in programs with threads), with a progress bar.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

import numpy as np

from xmodal.images.descriptors import LocalFeatures, describe_local
from xmodal.images.global_features import describe_global
from xmodal.images.io import ImageReadError, check_size, decode_image, read_bytes, resize_within, to_bgr8

#: Outcome names counted in :attr:`ImageEncoder.report_`.
OUTCOMES = ("encoded", "unreadable", "too small", "no keypoints", "downscaled", "upscaled", "from cache")


@dataclass(frozen=True)
class ExtractionSettings:
    """Everything that decides the per-image features (and so the cache key)."""

    local: str | None = "dense-sift"
    globals: tuple = ("hsv",)
    step: int = 4
    bin_sizes: tuple = (4, 8)
    max_keypoints: int = 500
    contrast_threshold: float = 0.04
    fast_threshold: int = 20
    max_side: int | None = 320
    min_side: int | None = 96
    reject_below: int | None = 8

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass
class Extracted:
    """What :func:`extract_image` found in one image.

    Attributes
    ----------
    local : LocalFeatures or None
        None when no local descriptor is configured or the image failed.
    globals : list of ndarray
        One vector per global feature, in the configured order.
    flags : set of str
        Outcomes among :data:`OUTCOMES` (``"downscaled"``, ``"no keypoints"``, ...).
    error : ImageReadError or None
        Why the image could not be used.
    """

    local: LocalFeatures | None = None
    globals: list = field(default_factory=list)
    flags: set = field(default_factory=set)
    error: ImageReadError | None = None


def extract_image(image, settings: ExtractionSettings, cache_dir=None) -> Extracted:
    """Read one image (path or array) and compute its local and global descriptors.

    A read failure is returned in ``error`` (not raised) so the caller applies its ``on_error``
    policy. With ``cache_dir`` the result is looked up by the SHA-256 of the file bytes (or array)
    and the settings, and stored after computing.
    """
    from xmodal.images.cache import FeatureCache, content_key

    cache = FeatureCache(cache_dir) if cache_dir is not None else None
    try:
        if isinstance(image, np.ndarray):
            name, raw = "<array>", image
        else:
            name = os.fspath(image)
            raw = read_bytes(name)
        key = content_key(raw, settings.key()) if cache is not None else None
        if cache is not None:
            hit = cache.get(key)
            if hit is not None:
                return _from_arrays(hit, settings)
        full = to_bgr8(raw, name) if isinstance(image, np.ndarray) else decode_image(raw, name)
        check_size(full, settings.reject_below, name)
    except ImageReadError as err:
        return Extracted(flags={err.kind}, error=err)
    img = resize_within(full, settings.max_side, settings.min_side)
    flags = set()
    if img.shape[0] < full.shape[0]:
        flags.add("downscaled")
    elif img.shape[0] > full.shape[0]:
        flags.add("upscaled")
    local = None
    if settings.local is not None:
        import cv2

        gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        local = describe_local(gray, settings.local, step=settings.step, bin_sizes=settings.bin_sizes,
                               max_keypoints=settings.max_keypoints, contrast_threshold=settings.contrast_threshold,
                               fast_threshold=settings.fast_threshold)
        if len(local) == 0:
            flags.add("no keypoints")
    result = Extracted(local, [describe_global(img, g) for g in settings.globals], flags)
    if cache is not None:
        cache.put(key, _to_arrays(result))
    return result


def extract_task(image, state) -> Extracted:
    """``extract_image(image, *state)``: the worker task form (``state = (settings, cache_dir)``)."""
    return extract_image(image, *state)


def _to_arrays(result: Extracted) -> dict:
    arrays = {"flags": np.array(sorted(result.flags), dtype=str)}
    if result.local is not None:
        arrays.update(positions=result.local.positions, descriptors=result.local.descriptors,
                      shape=np.array(result.local.shape, np.int64))
    arrays.update({f"global_{i}": g for i, g in enumerate(result.globals)})
    return arrays


def _from_arrays(arrays: dict, settings: ExtractionSettings) -> Extracted:
    local = None
    if settings.local is not None:
        local = LocalFeatures(arrays["positions"], arrays["descriptors"], tuple(int(v) for v in arrays["shape"]))
    flags = set(arrays["flags"].tolist()) | {"from cache"}
    return Extracted(local, [arrays[f"global_{i}"] for i in range(len(settings.globals))], flags)


def resolve_n_jobs(n_jobs, n_items: int) -> int:
    """Worker processes to use: ``None`` -> one per core (at most 4) for 200 images or more, else 1;
    ``-1`` -> one per core; never more than there are items.

    Examples
    --------
    >>> resolve_n_jobs(None, 10), resolve_n_jobs(3, 2), resolve_n_jobs(1, 500)
    (1, 2, 1)
    """
    cores = os.cpu_count() or 1
    if n_jobs is None:
        n_jobs = min(cores, 4) if n_items >= 200 else 1
    elif n_jobs == -1:
        n_jobs = cores
    elif not isinstance(n_jobs, (int, np.integer)) or isinstance(n_jobs, bool) or n_jobs < 1:
        raise ValueError(f"n_jobs must be None, -1 or a positive int, got {n_jobs!r}")
    return max(1, min(int(n_jobs), n_items))


_WORKER = {}


def _init_worker(function, state):
    import cv2

    from threadpoolctl import threadpool_limits

    cv2.setNumThreads(1)  # the pool is the parallelism: OpenCV or BLAS threads would oversubscribe the cores
    _WORKER["limits"] = threadpool_limits(limits=1)
    _WORKER["function"], _WORKER["state"] = function, state


def _call(item):
    return _WORKER["function"](item, _WORKER["state"])


def map_images(function, images, state, n_jobs=1, progress=False, desc="images") -> list:
    """``[function(image, state) for image in images]``, in order, in ``n_jobs`` processes.

    ``function`` must be a module-level function and ``state`` picklable; ``state`` is sent to
    each worker once. Workers are spawned (not forked), so this works in threaded programs and
    under pytest; results are returned in input order whatever the number of workers.
    """
    from tqdm.auto import tqdm

    images = list(images)
    bar = dict(total=len(images), desc=desc, disable=not progress or len(images) < 50, leave=False)
    n_jobs = resolve_n_jobs(n_jobs, len(images))
    if n_jobs == 1:
        return [function(image, state) for image in tqdm(images, **bar)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from concurrent.futures.process import BrokenProcessPool

    chunk = max(1, min(16, len(images) // (8 * n_jobs)))
    try:
        with ProcessPoolExecutor(n_jobs, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_init_worker, initargs=(function, state)) as pool:
            return list(tqdm(pool.map(_call, images, chunksize=chunk), **bar))
    except BrokenProcessPool as err:
        raise RuntimeError(
            f"the {n_jobs} image worker processes died. Spawned workers re-import the main script: guard its "
            "entry point with `if __name__ == \"__main__\":`, or use n_jobs=1 (in-process).") from err
