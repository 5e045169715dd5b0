import json

import numpy as np
import pytest

from conftest import write_csv
from xmodal.cli import main
from xmodal.datasets.features import write_features
from xmodal.evaluation.metrics import mean_average_precision
from xmodal.evaluation.relevance import relevance_from_labels


def planted_features(path, seed=0, n_train=300, n_test=100, n_classes=4):
    """Both views are noisy linear maps of a class-dependent latent: learnable, not trivial."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, 3)) * 2

    A, B = rng.normal(size=(3, 12)), rng.normal(size=(3, 7))
    yt, ys = rng.integers(0, n_classes, n_train), rng.integers(0, n_classes, n_test)
    zt, zs = centres[yt] + rng.normal(size=(n_train, 3)), centres[ys] + rng.normal(size=(n_test, 3))
    write_features(path, zt @ A + 0.5 * rng.normal(size=(n_train, 12)), zt @ B + 0.5 * rng.normal(size=(n_train, 7)),
                   zs @ A + 0.5 * rng.normal(size=(n_test, 12)), zs @ B + 0.5 * rng.normal(size=(n_test, 7)), yt, ys)
    return path


def test_evaluate_features_writes_json_and_recomputable_embeddings(tmp_path, capsys):
    f = planted_features(tmp_path / "f.npz")
    code = main(["evaluate", "--features", str(f), "--json", str(tmp_path / "r.json"),
                 "--save-embeddings", str(tmp_path / "e.npz")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "image->text" in out and "text->image" in out and "image->image" in out and "(chance)" in out
    report = json.loads((tmp_path / "r.json").read_text())
    for direction in ("image->text", "text->image"):
        assert report["directions"][direction]["MAP"] > 2 * report["chance"][direction]["MAP"]
    # anyone can recompute the figures from the saved embeddings by cosine similarity
    with np.load(tmp_path / "e.npz", allow_pickle=False) as e:
        Zi = e["image"] / np.linalg.norm(e["image"], axis=1, keepdims=True)
        Zt = e["text"] / np.linalg.norm(e["text"], axis=1, keepdims=True)
        rel = relevance_from_labels(e["image_labels"], e["text_labels"])
    assert mean_average_precision(Zi @ Zt.T, rel) == pytest.approx(report["directions"]["image->text"]["MAP"], abs=1e-5)
    assert mean_average_precision(Zt @ Zi.T, rel.T) == pytest.approx(report["directions"]["text->image"]["MAP"], abs=1e-5)


def test_evaluate_manifest_end_to_end(tmp_path, capsys):
    import cv2

    from xmodal.datasets.synthetic import make_shapes_corpus

    corpus = make_shapes_corpus(n_images=72, captions_per_image=2, image_size=96, seed=1)
    rows = []
    for i, (img, caps, label) in enumerate(zip(corpus.images, corpus.captions, corpus.labels)):
        cv2.imwrite(str(tmp_path / f"s{i}.png"), img)
        rows += [[f"s{i}.png", c, label, "test" if i % 4 == 0 else "train"] for c in caps]
    m = write_csv(tmp_path / "m.csv", ["image", "text", "label", "split"], rows)
    code = main(["evaluate", "--manifest", str(m), "--n-words", "32", "--quiet", "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "test images: 18 encoded" in out  # the image loader's outcome counts
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["counts"] == {"train images": 54, "train texts": 108, "test images": 18, "test texts": 36}
    assert report["directions"]["image->text"]["MAP"] > report["chance"]["image->text"]["MAP"]
    # without labels: relevance is the caption's own image, image->image is not scored
    assert main(["evaluate", "--manifest", str(m), "--n-words", "32", "--quiet", "--no-labels",
                 "--projection", "cca", "--n-components", "8", "--json", str(tmp_path / "p.json")]) == 0
    pair = json.loads((tmp_path / "p.json").read_text())
    assert pair["relevance"] == "pair" and "image->image" not in pair["directions"]
    assert pair["chance"]["text->image"]["R@1"] == pytest.approx(1 / 18)
    assert pair["directions"]["text->image"]["R@5"] > 1.5 * pair["chance"]["text->image"]["R@5"]


@pytest.mark.parametrize("make, pattern", [
    (lambda p: None, "manifest file not found"),
    (lambda p: write_csv(p / "in.csv", ["image", "text"], [["gone.png", "a caption"]]), "line 2: image file not found"),
])
def test_bad_manifest_gives_error_line_not_traceback(tmp_path, capsys, make, pattern):
    make(tmp_path)
    code = main(["evaluate", "--manifest", str(tmp_path / "in.csv")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and pattern in err and "Traceback" not in err


def test_nan_features_file_is_rejected(tmp_path, capsys):
    rng = np.random.default_rng(0)
    a = rng.random((5, 3))
    a[1, 2] = np.nan
    np.savez(tmp_path / "f.npz", image_train=a, text_train=rng.random((5, 2)),
             image_test=rng.random((3, 3)), text_test=rng.random((3, 2)))
    assert main(["evaluate", "--features", str(tmp_path / "f.npz")]) == 2
    assert "image_train holds 1 NaN" in capsys.readouterr().err


def test_demo_runs_and_beats_chance(tmp_path):
    from xmodal.demo import run_demo

    lines = []
    result = run_demo(out_dir=tmp_path, echo=lines.append, progress=False)  # the demo as users run it
    ev = result["evaluation"]
    for direction in ("image->text", "text->image"):  # measured: 2.0-2.8x (label MAP), 3.2-4.2x (pair R@10)
        assert ev.directions[direction]["MAP"] > 1.8 * ev.chance[direction]["MAP"], direction
        reports, chance = result["pairs"]
        assert reports[direction]["R@10"] > 2.5 * chance[direction]["R@10"], direction
    assert result["grid"].exists() and result["grid"].stat().st_size > 1000
    assert any("text -> image" in line for line in lines)
