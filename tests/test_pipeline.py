import numpy as np
import pytest

from xmodal.datasets.synthetic import make_shapes_corpus
from xmodal.images.encoder import ImageEncoder
from xmodal.images.io import ImageReadError
from xmodal.persistence import ModelFileError
from xmodal.pipeline import Pipeline


@pytest.fixture(scope="module")
def fitted():
    corpus = make_shapes_corpus(n_images=48, captions_per_image=2, image_size=96, seed=2)
    texts = [t for caps in corpus.captions for t in caps]
    pipe = Pipeline(image_encoder=ImageEncoder(n_words=24, n_jobs=1))
    pipe.fit(corpus.images, texts, np.repeat(np.arange(48), 2), labels=corpus.labels)
    pipe.add_images(corpus.images, metadata={"label": corpus.labels})
    pipe.add_texts(texts)
    return pipe, corpus, texts


def test_search_directions_and_metadata(fitted):
    pipe, corpus, texts = fitted
    hits = pipe.search_text("a big red circle", k=5)
    assert len(hits) == 5 and np.all(np.diff(hits.scores) <= 0)
    assert set(hits.to_dicts()[0]) == {"rank", "id", "score", "path", "label"}
    # an image finds itself first among images, and one of its own captions ranks high among texts
    own = pipe.search_image(corpus.images[7], k=1)
    assert own.ids[0] == "7" and own.scores[0] == pytest.approx(1.0, abs=1e-5)
    captions = pipe.search_image(corpus.images[7], k=10, target="text")
    assert {"14", "15"} & set(captions.ids)
    both = pipe.search_text(["a red circle", "a green star"], k=3, target="text")
    assert len(both) == 2 and all(len(r) == 3 for r in both)


def test_threshold_queries(fitted):
    pipe, _, _ = fitted
    every = pipe.search_text("a blue square", k=None, threshold=-1.0)
    assert len(every) == 48
    cut = float(every.scores[9])
    above = pipe.search_text("a blue square", k=None, threshold=cut)
    assert len(above) >= 10 and np.all(above.scores >= cut)
    assert len(pipe.search_text("a blue square", k=3, threshold=cut)) == 3
    with pytest.raises(ValueError, match="give k, threshold, or both"):
        pipe.search_text("a blue square", k=None)


def test_save_load_answers_identically(fitted, tmp_path):
    pipe, corpus, _ = fitted
    pipe.save(tmp_path / "model")
    loaded = Pipeline.load(tmp_path / "model")
    for query in ("a big red circle", "two shapes on a striped background"):
        a, b = pipe.search_text(query, k=8), loaded.search_text(query, k=8)
        assert list(a.ids) == list(b.ids) and np.array_equal(a.scores, b.scores) and a.metadata == b.metadata
    a, b = pipe.search_image(corpus.images[3], k=5, target="text"), loaded.search_image(corpus.images[3], k=5, target="text")
    assert list(a.ids) == list(b.ids) and np.array_equal(a.scores, b.scores)
    loaded.add_texts(["a lonely purple cross"], ids=["new"])  # a loaded model can grow
    assert loaded.search_text("purple cross", k=1, target="text").ids[0] == "new"


def test_approximate_gallery_survives_save_load_and_growing_in_place(fitted, tmp_path):
    from xmodal.gallery import Gallery

    pipe, corpus, texts = fitted
    pipe.save(tmp_path / "base")
    model = Pipeline.load(tmp_path / "base")  # a copy whose text gallery is rebuilt on Annoy
    model.galleries_["text"] = Gallery("text", approximate_from=40, backend="annoy", tuning_size=20)
    model.add_texts(texts)
    assert model.galleries_["text"].index.backend_ == "annoy"
    own = model.search_text(texts[11], k=1, target="text")
    assert model.galleries_["text"].metadata["text"][int(own.ids[0])] == texts[11]

    def same(a, b):
        for query in ("a big red circle", "a green star", texts[5]):
            x, y = a.search_text(query, k=6, target="text"), b.search_text(query, k=6, target="text")
            assert list(x.ids) == list(y.ids) and np.array_equal(x.scores, y.scores) and x.metadata == y.metadata
        x, y = a.search_image(corpus.images[3], k=None, threshold=0.2, target="text"), b.search_image(
            corpus.images[3], k=None, threshold=0.2, target="text")
        assert list(x.ids) == list(y.ids) and np.array_equal(x.scores, y.scores)

    model.save(tmp_path / "m")
    assert list((tmp_path / "m" / "files").glob("*text*/annoy.ann"))
    loaded = Pipeline.load(tmp_path / "m")
    same(model, loaded)
    for m in (model, loaded):  # what `xmodal index` does: load, add, save over the same folder
        m.add_texts(["a lonely purple cross"], ids=["new"])
    loaded.save(tmp_path / "m")
    again = Pipeline.load(tmp_path / "m")
    same(model, again)
    assert again.search_text("purple cross", k=1, target="text").ids[0] == "new"


def test_bad_queries_and_states(fitted, tmp_path):
    pipe, corpus, _ = fitted
    with pytest.raises(ValueError, match="query 0 is empty"):
        pipe.search_text("   ")
    with pytest.raises(ValueError, match="no word the model knows"):
        pipe.search_text("zzzz qqqq")
    (tmp_path / "q.xyz").write_bytes(b"\x00\x01 not an image format")
    with pytest.raises(ImageReadError, match="q.xyz: not a readable image"):
        pipe.search_image(tmp_path / "q.xyz")
    with pytest.raises(ValueError, match="target must be 'image' or 'text'"):
        pipe.search_text("a red circle", target="video")
    with pytest.raises(ValueError, match="already in the image gallery"):
        pipe.add_images([corpus.images[0]], ids=["0"])
    with pytest.raises(ValueError, match="not fitted yet"):
        Pipeline(None, None).search_text("a red circle")
    with pytest.raises(ModelFileError, match="not an xmodal model directory"):
        Pipeline.load(tmp_path)


def test_fit_leaves_out_unreadable_images_and_their_texts(tmp_path):
    import cv2

    corpus = make_shapes_corpus(n_images=30, captions_per_image=2, image_size=96, seed=4)
    paths = []
    for i, image in enumerate(corpus.images):
        path = tmp_path / f"s{i}.png"
        cv2.imwrite(str(path), image)
        paths.append(str(path))
    (tmp_path / "s3.png").write_bytes(b"not an image")  # image 3 and its two captions must go
    texts = [t for caps in corpus.captions for t in caps]
    text_image = np.repeat(np.arange(30), 2)
    pipe = Pipeline(image_encoder=ImageEncoder("hsv", on_error="skip"))
    with pytest.warns(UserWarning, match="1 of 30 images could not be read .* their 2 texts"):
        pipe.fit(paths, texts, text_image, labels=corpus.labels)
    assert pipe.skipped_images_.tolist() == [3]
    # the same model as one fitted on the 29 readable images and their 58 texts only
    keep = text_image != 3
    clean = Pipeline(image_encoder=ImageEncoder("hsv")).fit(
        [p for i, p in enumerate(paths) if i != 3], [t for t, k in zip(texts, keep) if k],
        np.where(text_image[keep] > 3, text_image[keep] - 1, text_image[keep]),
        labels=np.delete(np.asarray(corpus.labels), 3))
    probe = [texts[0], texts[9], "a big red circle"]
    np.testing.assert_allclose(pipe.embed_texts(probe), clean.embed_texts(probe), atol=1e-5)
    np.testing.assert_allclose(pipe.embed_images(paths[:3]), clean.embed_images(paths[:3]), atol=1e-5)


def test_approximate_galleries_are_tuned_on_training_queries_of_both_kinds(fitted, tmp_path):
    from xmodal.gallery import Gallery

    pipe, corpus, texts = fitted
    sample = pipe.query_sample_
    assert sample["image"].shape[1] == sample["text"].shape[1] == pipe.embed_texts(texts[:1]).shape[1]
    np.testing.assert_allclose(sample["text"][:1], pipe.embed_texts([texts[0]]), atol=1e-5)  # sorted seeded rows
    pipe.save(tmp_path / "m")
    model = Pipeline.load(tmp_path / "m")
    model.galleries_["text"] = Gallery("text", approximate_from=40, backend="lsh", tuning_size=20)
    model.add_texts(texts)
    tuning = model.galleries_["text"].index.tuning_
    assert tuning["sample_size"] == len(sample["image"]) + len(sample["text"])  # not 20 own items
