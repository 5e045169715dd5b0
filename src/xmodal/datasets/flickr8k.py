"""Flickr8k (Hodosh et al., JAIR 2013): captioned photos to a manifest with a seeded split."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from xmodal._atomic import atomic_path


def read_flickr8k_captions(folder) -> tuple[Path, dict]:
    """Find the images folder and the captions of a Flickr8k copy.

    Accepted layouts: ``captions.txt`` (CSV ``image,caption``) beside ``images/`` or ``Images/``
    (the 1k sample in ``shared/data`` and common re-packagings), or the original release with
    ``Flickr8k.token.txt`` (``name.jpg#n<TAB>caption``) and a ``Flicker8k_Dataset/`` /
    ``Flickr8k_Dataset/`` image folder, found anywhere below ``folder``.

    Returns
    -------
    (image_folder, captions) : Path, dict of image name -> list of captions (file order)
    """
    folder = Path(folder)
    captions: dict[str, list[str]] = {}
    if (folder / "captions.txt").is_file():
        with open(folder / "captions.txt", newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                captions.setdefault(row["image"].strip(), []).append(row["caption"].strip())
        candidates = [folder / "images", folder / "Images"]
    else:
        tokens = sorted(folder.rglob("Flickr8k.token.txt"))
        if not tokens:
            raise FileNotFoundError(f"{folder}: no captions.txt or Flickr8k.token.txt found")
        for line in tokens[0].read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                key, text = line.split("\t", 1)
                captions.setdefault(key.split("#")[0].strip(), []).append(text.strip())
        candidates = sorted(folder.rglob("Flicker8k_Dataset")) + sorted(folder.rglob("Flickr8k_Dataset"))
    image_folder = next((c for c in candidates if c.is_dir()), None)
    if image_folder is None:
        raise FileNotFoundError(f"{folder}: no image folder found (looked for {[str(c) for c in candidates]})")
    return image_folder, captions


def write_flickr8k_manifest(folder, out, n_train=800, n_test=200, seed=0) -> dict:
    """Write a manifest (``image,text,split``) for ``n_train + n_test`` images of a Flickr8k copy.

    Images are those present on disk that have captions, sorted by name; a seeded permutation picks
    ``n_train`` train and ``n_test`` test images (all their captions go with them). Paths are written
    relative to the manifest's folder. The file is written atomically.

    Returns
    -------
    dict with the counts written.
    """
    image_folder, captions = read_flickr8k_captions(folder)
    names = sorted(n for n in captions if (image_folder / n).is_file())
    if n_train < 1 or n_test < 1:
        raise ValueError("n_train and n_test must be positive")
    if len(names) < n_train + n_test:
        raise ValueError(f"{folder}: {len(names)} captioned images found, fewer than {n_train} + {n_test}")
    order = np.random.default_rng(seed).permutation(len(names))
    chosen = {names[i]: "train" for i in order[:n_train]} | {names[i]: "test" for i in order[n_train:n_train + n_test]}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    n_rows = 0
    with atomic_path(out) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["image", "text", "split"])
            for name in names:
                if name in chosen:
                    rel = os.path.relpath(image_folder / name, out.parent.resolve())
                    for text in captions[name]:
                        writer.writerow([rel, text, chosen[name]])
                        n_rows += 1
    return {"train images": n_train, "test images": n_test, "rows": n_rows}
