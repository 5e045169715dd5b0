"""Transfer of fitted parts from one collection to another, few-shot re-fitting, and the CLI options."""

import argparse
import json

import numpy as np
import pytest

from xmodal.datasets.collection import Collection
from xmodal.datasets.features import write_features
from xmodal.fusion.command import add_collection_arguments, add_transfer_arguments, run_transfer
from xmodal.fusion.shift import DomainShiftWarning
from xmodal.fusion.transfer import Transfer, transfer_evaluate
from xmodal.pipeline import Pipeline
from xmodal.projection.cca import CCA


def planted(n, seed, offset=0.0, n_classes=4, n_test=None):
    """Both modalities are noisy maps of a class latent; ``offset`` shifts the image features (another domain)."""
    rng = np.random.default_rng(seed)
    maps = np.random.default_rng(99)  # the same maps in every collection: one world, several domains
    A, B = maps.normal(size=(n_classes, 10)), maps.normal(size=(n_classes, 7))
    y = rng.integers(0, n_classes, n)
    z = np.eye(n_classes)[y] + 0.3 * rng.normal(size=(n, n_classes))
    X_image = z @ A + 0.4 * rng.normal(size=(n, 10)) + offset
    X_text = z @ B + 0.4 * rng.normal(size=(n, 7))
    n_test = n // 4 if n_test is None else n_test
    splits = np.array(["train"] * (n - n_test) + ["test"] * n_test)
    return Collection(X_image, X_text, np.arange(n), labels=y, splits=splits)


def test_few_shot_classifier_and_projection_refits():
    source, target = planted(400, seed=0), planted(400, seed=1, offset=0.5)
    transfer = Transfer(Pipeline(None, None, CCA(n_components=4)), seed=0).fit(source)
    encoded = transfer.encode(target)
    zero = transfer.evaluate(encoded, "none", 0)
    # the source is labelled with the target's classes: a zero-shot classifier is trained on the source
    assert zero.counts["support"] == 0 and zero.classification["accuracy"] > 0.7
    assert zero.directions["text->image"]["MAP"] > 2 * zero.chance["text->image"]["MAP"]
    five = transfer.evaluate(encoded, "classifier", 5)
    assert five.counts["support"] == 20
    support_labels = target.labels[np.isin(target.image_ids, five.support_ids)]
    assert np.bincount(support_labels).tolist() == [5, 5, 5, 5]
    assert set(five.support_ids) <= set(target.image_ids[target.splits == "train"])
    assert five.classification["accuracy"] > 0.7
    assert five.directions == zero.directions  # the projection was not touched
    both = transfer.evaluate(encoded, "both", 10)
    assert both.directions != zero.directions and both.classification["accuracy"] > 0.6
    again = transfer.evaluate(encoded, "both", 10)
    assert np.array_equal(again.support_ids, both.support_ids)  # seeded
    with pytest.raises(ValueError, match="needs labelled target items"):
        transfer.evaluate(encoded, "projection", 0)
    with pytest.raises(ValueError, match="unknown refit"):
        transfer.evaluate(encoded, "everything", 1)


def test_unlabelled_target_takes_shots_as_images_and_has_no_classification():
    source = planted(300, seed=0)
    target = planted(200, seed=2)
    target.labels = None
    result, report = transfer_evaluate(source, target, Pipeline(None, None, CCA(n_components=3)),
                                       refit="projection", shots=30, n_permutations=20)
    assert result.counts["support"] == 30 and result.classification is None
    assert "image->image" not in result.directions  # no labels: pair relevance
    assert set(report["mmd"]) == {"image", "text", "common (image)", "common (text)"}


def test_target_with_no_word_in_the_source_vocabulary_warns_and_still_runs():
    from xmodal.text.encoder import TextEncoder

    def collection(n, words, seed):
        r = np.random.default_rng(seed)
        y = r.integers(0, 3, n)
        texts = [" ".join(r.choice(words[3 * c:3 * c + 3], 3)) for c in y]
        images = np.eye(3)[y] + 0.3 * r.normal(size=(n, 3))
        return Collection(images, texts, np.arange(n), labels=y,
                          splits=np.array(["train"] * (n - 40) + ["test"] * 40))

    source = collection(160, ["red", "green", "blue", "round", "square", "tall", "small", "bright", "dark"], 1)
    target = collection(120, ["rouge", "vert", "bleu", "rond", "carre", "haut", "petit", "clair", "sombre"], 2)
    pipeline = Pipeline(None, TextEncoder(min_df=1), CCA(n_components=2))
    with pytest.warns(DomainShiftWarning, match="no text of the target collection has a word"):
        result, report = transfer_evaluate(source, target, pipeline, refit="classifier", shots=10, n_permutations=20)
    assert report["texts without a known word"] == 1.0 and report["mmd"]["text"] is None
    assert result.counts["test texts without a known word"] == 40
    # every text embeds to the same point, so for an image query all texts tie: image->text is exactly at
    # chance; the classifier still works from the images
    assert result.directions["image->text"]["MAP"] == pytest.approx(result.chance["image->text"]["MAP"])
    assert result.classification["accuracy"] > 0.8


def transfer_parser():
    parser = argparse.ArgumentParser()
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--manifest")
    source.add_argument("--features")
    add_collection_arguments(parser)
    from xmodal.images import options as image_options
    from xmodal.projection import options as projection_options
    from xmodal.text import options as text_options

    image_options.add_arguments(parser)
    text_options.add_arguments(parser)
    projection_options.add_arguments(parser)
    add_transfer_arguments(parser, source)
    return parser


def write(path, collection):
    train, test = collection.subset("train"), collection.subset("test")
    write_features(path, train.images, train.texts, test.images, test.texts, train.labels, test.labels)
    return str(path)


def test_transfer_command_prints_and_writes_json(tmp_path, capsys):
    a = write(tmp_path / "a.npz", planted(300, seed=0))
    b = write(tmp_path / "b.npz", planted(200, seed=1, offset=1.0))
    args = transfer_parser().parse_args(["--fit-on", a, "--evaluate-on", b, "--refit", "classifier", "--shots", "5",
                                         "--projection", "cca", "--n-components", "4", "--shift-permutations", "20",
                                         "--json", str(tmp_path / "t.json")])
    run_transfer(args)
    out = capsys.readouterr().out
    assert "re-fitted: classifier on 20 labelled item(s)" in out
    assert "text->image" in out and "classification (common): accuracy" in out and "domain shift: MMD² image" in out
    payload = json.loads((tmp_path / "t.json").read_text())
    assert payload["counts"]["support"] == 20 and payload["domain_shift"]["mmd"]["image"]["p_value"] < 0.1
    with pytest.raises(SystemExit):  # --fit-on excludes --features
        transfer_parser().parse_args(["--fit-on", a, "--features", b])
    with pytest.raises(ValueError, match="needs --evaluate-on"):
        run_transfer(transfer_parser().parse_args(["--fit-on", a]))
    with pytest.raises(ValueError, match="both be manifests or both be features"):
        run_transfer(transfer_parser().parse_args(["--fit-on", a, "--evaluate-on", "b.csv"]))


class CountingEncoder:
    """A stand-in image encoder: a row per path (its length), recording every path it reads."""

    def __init__(self):
        self.read = []

    def fit_transform(self, images):
        return self.transform(images)

    def transform(self, images):
        self.read += list(images)
        return np.array([[len(p), 1.0] for p in images])


def test_encoding_a_target_does_not_read_the_source_images_again():
    from xmodal.fusion.encoded import encode

    paths = [f"img/{'x' * i}.png" for i in range(1, 9)]
    encoder = CountingEncoder()
    collection = Collection(paths, np.eye(8), np.arange(8), splits=np.array(["train"] * 5 + ["test"] * 3))
    source = encode(encoder, None, collection.subset("train"), fit=True)
    assert encoder.read == paths[:5]
    target = encode(encoder, None, collection, fit=False, known=source)
    assert encoder.read == paths[:5] + paths[5:]  # only the three new images were read
    assert np.array_equal(target.X_image[:, 0], [len(p) for p in paths])
