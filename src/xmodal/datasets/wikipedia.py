"""The Wikipedia cross-modal benchmark (Rasiwasia et al., ACM MM 2010): its released features."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def load_wikipedia_features(folder) -> dict:
    """Read the released features of the Wikipedia benchmark.

    ``folder`` holds ``raw_features.mat`` (``I_tr``/``I_te``: 128-bin SIFT bag-of-words histograms,
    ``T_tr``/``T_te``: 10-topic LDA proportions) and ``trainset_txt_img_cat.list`` /
    ``testset_txt_img_cat.list`` (``text_id  image_id  category`` per row, in matrix row order).

    Returns
    -------
    dict
        ``image_train`` (2173, 128), ``text_train`` (2173, 10), ``image_test`` (693, 128),
        ``text_test`` (693, 10), ``label_train``, ``label_test`` (int, 1..10), and
        ``categories`` (the 10 names, when ``categories.list`` is present).
    """
    from scipy.io import loadmat

    folder = Path(folder)
    mat_path = folder / "raw_features.mat"
    if not mat_path.is_file():
        raise FileNotFoundError(f"{mat_path}: not found (expected the Wikipedia benchmark's released features)")
    mat = loadmat(mat_path)
    missing = [k for k in ("I_tr", "I_te", "T_tr", "T_te") if k not in mat]
    if missing:
        raise ValueError(f"{mat_path}: missing matrices {missing}")
    out = {"image_train": mat["I_tr"], "text_train": mat["T_tr"], "image_test": mat["I_te"], "text_test": mat["T_te"]}
    for split, listname in (("train", "trainset_txt_img_cat.list"), ("test", "testset_txt_img_cat.list")):
        rows = [line.split("\t") for line in (folder / listname).read_text().splitlines() if line.strip()]
        labels = np.array([int(r[2]) for r in rows])
        if len(labels) != out[f"image_{split}"].shape[0]:
            raise ValueError(f"{folder / listname}: {len(labels)} rows but the {split} matrices have "
                             f"{out[f'image_{split}'].shape[0]}")
        out[f"label_{split}"] = labels
    if (folder / "categories.list").is_file():
        out["categories"] = np.array((folder / "categories.list").read_text().split())
    return out


def wikipedia_collection(folder):
    """The Wikipedia benchmark as a :class:`~xmodal.datasets.collection.Collection` of feature rows
    (2173 train and 693 test image-text pairs, labels 1..10)."""
    from xmodal.datasets.collection import Collection

    data = load_wikipedia_features(folder)
    n_train, n_test = len(data["label_train"]), len(data["label_test"])
    return Collection(
        images=np.vstack([data["image_train"], data["image_test"]]).astype(np.float64),
        texts=np.vstack([data["text_train"], data["text_test"]]).astype(np.float64),
        text_image=np.arange(n_train + n_test),
        labels=np.concatenate([data["label_train"], data["label_test"]]),
        splits=np.array(["train"] * n_train + ["test"] * n_test),
    )
