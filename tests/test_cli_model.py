"""xmodal fit / index / query / evaluate --pr-png: the paths the README tutorial does not walk."""

import json

import cv2
import numpy as np
import pytest

from xmodal.cli import main
from xmodal.datasets.synthetic import write_sample_collection


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    manifest = write_sample_collection(folder / "photos", n_images=40, n_extra=4, seed=3)
    assert main(["fit", "--manifest", str(manifest), "--out", str(folder / "m"), "--n-words", "32", "--quiet",
                 "--train-only"]) == 0
    return folder


def test_query_json_and_threshold(model, capsys):
    capsys.readouterr()
    assert main(["query", str(model / "m"), "--text", "a green triangle", "-k", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["target"] == "image" and [h["rank"] for h in out["hits"]] == [1, 2, 3, 4]
    assert all(h["path"].endswith(".png") and h["split"] in ("train", "test") for h in out["hits"])
    assert main(["query", str(model / "m"), "--text", "a green triangle", "--threshold", "2.0"]) == 0
    assert "no hit at or above 2.0" in capsys.readouterr().out


def test_index_adds_and_rejects_repeats(model, capsys, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(str(p) for p in sorted((model / "photos" / "extra").iterdir())[:2]) + "\n")
    texts = tmp_path / "notes.txt"
    texts.write_text("a note about a purple cross\n\nanother note\n")
    assert main(["index", str(model / "m"), "--images", str(listing), "--texts", str(texts), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "added 2 images" in out and "added 2 texts" in out and "42 images, 82 texts indexed" in out
    assert main(["index", str(model / "m"), "--images", str(listing), "--quiet"]) == 2
    assert "already in the image gallery" in capsys.readouterr().err


@pytest.mark.parametrize("argv, pattern", [
    (["query", "{m}", "--text", "   "], "query 0 is empty"),
    (["query", "{tmp}", "--text", "a circle"], "not an xmodal model directory"),
    (["query", "{m}", "--image", "{tmp}/missing.png"], "missing.png: cannot read"),
    (["index", "{m}"], "give --images and/or --texts"),
    (["index", "{m}", "--images", "{tmp}"], "no image files found"),
])
def test_errors_are_one_line(model, capsys, tmp_path, argv, pattern):
    argv = [a.format(m=model / "m", tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and pattern in err and "Traceback" not in err


def test_evaluate_writes_precision_recall_plot(model, tmp_path, capsys):
    assert main(["evaluate", "--manifest", str(model / "photos" / "manifest.csv"), "--n-words", "32", "--quiet",
                 "--projection", "cca", "--n-components", "8", "--pr-png", str(tmp_path / "pr.png"),
                 "--json", str(tmp_path / "r.json")]) == 0
    image = cv2.imread(str(tmp_path / "pr.png"))
    assert image is not None and image.shape[0] > 200
    report = json.loads((tmp_path / "r.json").read_text())
    curve = report["directions"]["text->image"]["pr_curve"]
    assert curve["recall"][0] == 0.0 and curve["recall"][-1] == 1.0
    assert np.all(np.diff(curve["precision"]) <= 1e-12)  # interpolated precision never rises
