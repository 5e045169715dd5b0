"""The ``xmodal classify`` command functions, called through a parser built here."""

import argparse
import json
import sys

import numpy as np
import pytest

from conftest import write_csv
from xmodal.datasets.features import write_features
from xmodal.fusion.command import add_classify_parser, run_classify
from xmodal.fusion.report import MissingExtraError, classification_report, plot_confusion


def parse(argv):
    parser = argparse.ArgumentParser(prog="xmodal")
    add_classify_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["classify"] + argv)


def complementary_features(path, seed=0, n_train=400, n_test=200):
    """The image tells {0,1} from {2,3}, the text {0,2} from {1,3}: only fusion names the class."""
    rng = np.random.default_rng(seed)

    def draw(n):
        y = rng.integers(0, 4, n)
        image = np.hstack([np.eye(2)[y // 2] + 0.35 * rng.normal(size=(n, 2)), rng.random((n, 4))])
        text = np.hstack([np.eye(2)[y % 2] + 0.35 * rng.normal(size=(n, 2)), rng.random((n, 3))])
        return image, text, np.array(["cat", "dog", "owl", "fox"])[y]

    (it, tt, yt), (is_, ts, ys) = draw(n_train), draw(n_test)
    write_features(path, it, tt, is_, ts, yt, ys)
    return str(path)


def test_classify_features_all_methods(tmp_path, capsys):
    f = complementary_features(tmp_path / "f.npz")
    payload = run_classify(parse(["--features", f, "--method", "all", "--block-norm", "standard",
                                  "--projection", "cca", "--n-components", "2", "--json", str(tmp_path / "r.json")]))
    out = capsys.readouterr().out
    assert "400 train items (80 of them for validation, carved from train (stratified 20%, seed 0))" in out
    assert "best fusion" in out and "macro-F1" in out and "precision" in out
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["methods"] == payload["methods"]
    methods = saved["methods"]
    assert max(methods["image"]["accuracy"], methods["text"]["accuracy"]) < 0.6
    assert methods["late-product"]["accuracy"] > 0.8 and methods["early"]["accuracy"] > 0.8
    report = saved["report"]
    assert report["n_items"] == 200 and len(report["per_class"]) == 4


def test_classify_manifest_with_captions_missing_text_and_confusion_png(tmp_path, capsys):
    import cv2

    from xmodal.datasets.synthetic import make_shapes_corpus

    corpus = make_shapes_corpus(n_images=60, captions_per_image=2, image_size=96, seed=2)
    rows = []
    for i, (img, caps, label) in enumerate(zip(corpus.images, corpus.captions, corpus.labels)):
        cv2.imwrite(str(tmp_path / f"s{i}.png"), img)
        split = "test" if i % 4 == 0 else ("val" if i % 4 == 1 else "train")
        texts = ["zzz qqq", "zzz qqq"] if i % 8 == 0 else caps  # a test item whose captions have no known word
        rows += [[f"s{i}.png", t, label, split] for t in texts]
    m = write_csv(tmp_path / "m.csv", ["image", "text", "label", "split"], rows)
    png = tmp_path / "confusion.png"
    payload = run_classify(parse(["--manifest", str(m), "--image-features", "hsv", "--quiet", "--method", "late-mean",
                                  "--confusion-png", str(png)]))
    out = capsys.readouterr().out
    assert payload["validation"]["source"] == "given" and payload["counts"] == {"train": 30, "validation": 15,
                                                                                  "test": 15}
    assert "test items missing a modality (classified from the other alone): 0 without image, 8 without text" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_classify_errors(tmp_path, monkeypatch):
    f = complementary_features(tmp_path / "f.npz", n_train=40, n_test=20)
    with np.load(f) as data:
        arrays = dict(data)
    write_features(tmp_path / "one.npz", arrays["image_train"], arrays["text_train"], arrays["image_test"],
                   arrays["text_test"], np.array(["cat"] * 40), arrays["label_test"])
    with pytest.raises(ValueError, match="single class .'cat', 40 items."):
        run_classify(parse(["--features", str(tmp_path / "one.npz")]))
    write_features(tmp_path / "nolabel.npz", arrays["image_train"], arrays["text_train"], arrays["image_test"],
                   arrays["text_test"])
    with pytest.raises(ValueError, match="no labels"):
        run_classify(parse(["--features", str(tmp_path / "nolabel.npz")]))
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the plot extra were not installed
    with pytest.raises(MissingExtraError, match=r"pip install 'xmodal\[plot\]'"):
        run_classify(parse(["--features", f, "--confusion-png", str(tmp_path / "c.png")]))
    with pytest.raises(ValueError, match="matplotlib"):  # the CLI reports it as "error: ..." (exit 2)
        plot_confusion(classification_report(["a"], ["a"]), tmp_path / "c.png")
    with pytest.raises(SystemExit):
        parse(["--features", f, "--method", "middle"])
