"""Tests for xmodal.search: kernels, top-k selection and the exact index."""

import doctest
import json
import os

import numpy as np
import pytest

from xmodal.search import exact, kernels, topk
from xmodal.search.exact import ExactIndex
from xmodal.search.kernels import cosine, inner_product, normalize_rows
from xmodal.search.topk import topk_rows


# ----------------------------------------------------------------------------- references


def reference_topk(scores, k):
    """Full sort of every row: by score descending, then by column position ascending."""
    scores = np.asarray(scores)
    positions = np.arange(scores.shape[1])
    order = np.array([np.lexsort((positions, -row))[:k] for row in scores]).reshape(scores.shape[0], -1)
    return order, np.take_along_axis(scores, order, axis=1)


def reference_cosine_matrix(Q, V):
    Q = np.asarray(Q, dtype=np.float64)
    V = np.asarray(V, dtype=np.float64)
    qn = np.linalg.norm(Q, axis=1)
    vn = np.linalg.norm(V, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        S = (Q @ V.T) / np.outer(qn, vn)
    S[~np.isfinite(S)] = 0.0
    return S


def integer_data(rng, n, d, low=-3, high=4):
    """Small integers: every score is exact in float32 whatever the summation order."""
    return rng.integers(low, high, size=(n, d)).astype(np.float32)


# ----------------------------------------------------------------------------- kernels


def test_kernels_match_numpy_formulas():
    rng = np.random.default_rng(0)
    for d in (1, 3, 17, 128):
        a = rng.standard_normal(d).astype(np.float32)
        b = rng.standard_normal(d).astype(np.float32)
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        assert inner_product(a, b) == pytest.approx(float(a64 @ b64), rel=1e-9, abs=1e-9)
        expected = a64 @ b64 / (np.linalg.norm(a64) * np.linalg.norm(b64))
        assert cosine(a, b) == pytest.approx(float(expected), rel=1e-9, abs=1e-9)


def test_kernels_hand_computed_and_zero_vectors():
    a = np.array([1, 2, 3], np.float32)
    b = np.array([4, -5, 6], np.float32)
    assert inner_product(a, b) == 12.0
    assert cosine(np.array([3, 4], np.float32), np.array([4, 3], np.float32)) == pytest.approx(24 / 25)
    zero = np.zeros(3, np.float32)
    assert cosine(zero, b) == 0.0
    assert cosine(a, zero) == 0.0
    assert cosine(zero, zero) == 0.0
    assert inner_product(zero, b) == 0.0
    # identical and opposite vectors stay within [-1, 1]
    v = np.random.default_rng(1).standard_normal(33).astype(np.float32)
    assert -1.0 <= cosine(v, -v) <= -1.0 + 1e-12
    assert 1.0 - 1e-12 <= cosine(v, v) <= 1.0


def test_kernels_reject_length_mismatch():
    with pytest.raises(ValueError, match="same length"):
        inner_product(np.ones(3, np.float32), np.ones(2, np.float32))
    with pytest.raises(ValueError, match="same length"):
        cosine(np.ones(3, np.float32), np.ones(2, np.float32))


def test_normalize_rows():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((20, 7))
    X[[3, 11]] = 0.0
    X_before = X.copy()
    out = normalize_rows(X)
    assert out.dtype == np.float32 and out.flags.c_contiguous and out.shape == X.shape
    np.testing.assert_array_equal(X, X_before)  # input untouched
    norms = np.linalg.norm(X, axis=1)
    expected = np.divide(X, norms[:, None], out=np.zeros_like(X), where=norms[:, None] > 0)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(out[[3, 11]], 0.0)
    assert normalize_rows(np.array([[3, 4]])).tolist() == [[pytest.approx(0.6), pytest.approx(0.8)]]


def test_normalize_rows_extreme_magnitudes_and_errors():
    X = np.array([[1e30, -1e30, 1e30], [1e-30, 0.0, 1e-30], [3e38, 3e38, 0]], dtype=np.float32)
    out = normalize_rows(X)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="2-D"):
        normalize_rows(np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        normalize_rows(np.array([[1.0, np.nan]]))
    with pytest.raises(TypeError, match="numeric"):
        normalize_rows(np.array([["a", "b"]]))


# ----------------------------------------------------------------------------- topk_rows


@pytest.mark.parametrize("k", [1, 2, 5, 29, 30, 31, 100])
def test_topk_rows_matches_stable_sort_with_ties(k):
    rng = np.random.default_rng(3)
    S = rng.integers(0, 4, size=(50, 30)).astype(np.float32)  # many ties
    S[0] = 1.0  # a row of all-equal values
    S[1] = np.arange(30)  # ascending: the heap root is replaced at every column
    S[2] = -np.arange(30)  # descending
    idx, val = topk_rows(S, k)
    ref_idx, ref_val = reference_topk(S, min(k, 30))
    assert idx.dtype == np.int64 and val.dtype == np.float32
    assert idx.shape == (50, min(k, 30))
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(val, ref_val)
    np.testing.assert_array_equal(val, np.take_along_axis(S, idx, axis=1))
    assert np.all(np.diff(val, axis=1) <= 0)


def test_topk_rows_random_continuous_and_layouts():
    rng = np.random.default_rng(4)
    S = rng.standard_normal((40, 257))
    ref_idx, _ = reference_topk(S.astype(np.float32), 10)
    for scores in (S, S.astype(np.float32), np.asfortranarray(S), S.T.copy().T):
        idx, val = topk_rows(scores, 10)
        np.testing.assert_array_equal(idx, ref_idx)
        np.testing.assert_array_equal(val, S.astype(np.float32)[np.arange(40)[:, None], ref_idx])


def test_topk_rows_hand_example_and_edges():
    idx, val = topk_rows([[0.5, 2.0, 2.0, -1.0]], 3)
    assert idx.tolist() == [[1, 2, 0]]
    assert val.tolist() == [[2.0, 2.0, 0.5]]
    idx, val = topk_rows(np.empty((0, 5)), 3)
    assert idx.shape == (0, 3) and val.shape == (0, 3)
    idx, val = topk_rows(np.empty((2, 0)), 3)
    assert idx.shape == (2, 0)


def test_topk_rows_validation():
    with pytest.raises(ValueError, match="k must be >= 1"):
        topk_rows(np.ones((2, 3)), 0)
    with pytest.raises(TypeError, match="k must be an integer"):
        topk_rows(np.ones((2, 3)), True)
    with pytest.raises(TypeError, match="k must be an integer"):
        topk_rows(np.ones((2, 3)), 2.0)
    with pytest.raises(ValueError, match="2-D"):
        topk_rows(np.ones(3), 1)
    with pytest.raises(ValueError, match="NaN"):
        topk_rows(np.array([[1.0, np.nan]]), 1)
    with pytest.raises(ValueError, match="NaN or infinite"):
        topk_rows(np.array([[1.0, np.inf]]), 1)


# ----------------------------------------------------------------------------- ExactIndex search


@pytest.mark.parametrize("k", [1, 4, 24, 25, 40])
def test_inner_product_search_matches_bruteforce(k):
    rng = np.random.default_rng(5)
    V = integer_data(rng, 25, 6)
    V[10] = V[3]  # exact duplicates -> ties broken by insertion order
    V[20] = V[3]
    V[7] = 0.0
    Q = integer_data(rng, 13, 6)
    Q[0] = V[3]
    ids = np.arange(100, 125)[::-1]  # ids unrelated to positions
    index = ExactIndex(metric="inner_product", batch_size=4)
    index.add(V, ids=ids)
    got_ids, got_scores = index.search(Q, k=k)

    S = Q.astype(np.float64) @ V.astype(np.float64).T
    ref_pos, ref_scores = reference_topk(S, min(k, 25))
    assert got_ids.shape == got_scores.shape == (13, min(k, 25))
    assert got_scores.dtype == np.float32
    np.testing.assert_array_equal(got_ids, ids[ref_pos])
    np.testing.assert_array_equal(got_scores, ref_scores.astype(np.float32))
    np.testing.assert_array_equal(index.similarity(Q), S.astype(np.float32))


def test_cosine_search_matches_bruteforce_random():
    rng = np.random.default_rng(6)
    V = rng.standard_normal((300, 16)).astype(np.float32)
    Q = rng.standard_normal((37, 16)).astype(np.float32)
    index = ExactIndex(metric="cosine", batch_size=8)
    index.add(V)
    S = index.similarity(Q)
    np.testing.assert_allclose(S, reference_cosine_matrix(Q, V), atol=2e-6)
    ref_pos, ref_scores = reference_topk(S, 12)
    ids, scores = index.search(Q, k=12)
    np.testing.assert_array_equal(ids, ref_pos)
    np.testing.assert_array_equal(scores, ref_scores)
    # the best match of a stored vector (as query) is itself
    ids, scores = index.search(V[:20], k=1)
    np.testing.assert_array_equal(ids[:, 0], np.arange(20))
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-6)


def test_cosine_ties_between_scaled_copies_follow_insertion_order():
    base = np.array([[1.0, 2.0, -3.0], [0.5, 0.0, 1.0]], dtype=np.float32)
    # 4x and 0.5x copies normalise to bit-identical rows, so their scores tie exactly
    V = np.vstack([base[1], 4 * base[0], base[0], 0.5 * base[0], base[1] * 2])
    index = ExactIndex(metric="cosine")
    index.add(V, ids=["b1", "a4", "a1", "a05", "b2"])
    ids, scores = index.search(base[0], k=5)
    assert ids.tolist() == [["a4", "a1", "a05", "b1", "b2"]]
    assert scores[0, 0] == scores[0, 1] == scores[0, 2]
    assert scores[0, 3] == scores[0, 4]


def test_cosine_with_zero_vectors():
    V = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0], [1, 1, 0]], dtype=np.float32)
    index = ExactIndex(metric="cosine")
    index.add(V)
    np.testing.assert_array_equal(index.vectors[[0, 3]], 0.0)
    # zero stored vectors score 0.0 against any query
    S = index.similarity(np.array([[1, 0, 0], [-1, 0, 0]], dtype=np.float32))
    np.testing.assert_allclose(S, [[0, 1, 0, 0, np.sqrt(0.5)], [0, -1, 0, 0, -np.sqrt(0.5)]], atol=1e-6)
    ids, scores = index.search(np.array([-1.0, 0.0, 0.0]), k=5)
    assert ids.tolist() == [[0, 2, 3, 4, 1]]  # the three zeros tie; insertion order breaks it
    # a zero query scores 0.0 against everything: the first k in insertion order
    ids, scores = index.search(np.zeros(3), k=3)
    assert ids.tolist() == [[0, 1, 2]]
    np.testing.assert_array_equal(scores, 0.0)


def exactly_normalisable_data(rng, n, d=16):
    """Rows of 1, 4 or 16 entries +-1 times a power of two: their unit rows, and all cosine
    scores between them, are exact in float32 whatever the summation order."""
    X = np.zeros((n, d), dtype=np.float32)
    for row in X:
        cols = rng.choice(d, size=rng.choice([1, 4, 16]), replace=False)
        row[cols] = rng.choice([-1.0, 1.0], size=cols.size) * 2.0 ** rng.integers(-3, 4)
    return X


def test_batch_size_smaller_than_query_count_gives_same_answer():
    rng = np.random.default_rng(7)
    data = {
        "inner_product": (integer_data(rng, 60, 8), integer_data(rng, 23, 8)),
        "cosine": (exactly_normalisable_data(rng, 60), exactly_normalisable_data(rng, 23)),
    }
    for metric, (V, Q) in data.items():
        results = {}
        for batch_size in (1, 2, 3, 7, 22, 23, 1024):
            index = ExactIndex(metric=metric, batch_size=batch_size)
            index.add(V)
            results[batch_size] = index.search(Q, k=9) + (index.similarity(Q),)
        ref_pos, ref_scores = reference_topk(results[1024][2], 9)
        assert (np.diff(ref_scores, axis=1) == 0).sum() > 20  # the data really has ties
        np.testing.assert_array_equal(results[1024][0], ref_pos)
        for batch_size, arrays in results.items():
            for a, b in zip(arrays, results[1024]):
                np.testing.assert_array_equal(a, b, err_msg=f"{metric}, batch_size={batch_size}")
    # general float data: equal up to float32 rounding of the BLAS summation order
    rng = np.random.default_rng(8)
    V = rng.standard_normal((80, 12))
    Q = rng.standard_normal((30, 12))
    small, big = ExactIndex(batch_size=4), ExactIndex(batch_size=1000)
    small.add(V)
    big.add(V)
    np.testing.assert_allclose(small.similarity(Q), big.similarity(Q), atol=1e-6)
    np.testing.assert_array_equal(small.search(Q, 5)[0], big.search(Q, 5)[0])


def test_one_dimensional_query_and_empty_query_batch():
    index = ExactIndex(metric="inner_product")
    index.add(np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
    ids, scores = index.search(np.array([1.0, 1.0]), k=2)
    assert ids.tolist() == [[1, 2]] and scores.tolist() == [[2.0, 2.0]]
    assert index.similarity([0.0, 1.0]).tolist() == [[0.0, 2.0, 1.0]]
    ids, scores = index.search(np.empty((0, 2)), k=2)
    assert ids.shape == (0, 2) and scores.shape == (0, 2)


# ----------------------------------------------------------------------------- ExactIndex add / ids


def test_add_appends_and_default_ids_continue():
    rng = np.random.default_rng(9)
    V = rng.standard_normal((10, 4))
    one = ExactIndex()
    one.add(V)
    two = ExactIndex()
    two.add(V[:6])
    two.add(V[6:])
    assert len(two) == 10 and two.dim == 4
    np.testing.assert_array_equal(two.ids, np.arange(10))
    np.testing.assert_array_equal(two.vectors, one.vectors)
    Q = rng.standard_normal((5, 4))
    for a, b in zip(one.search(Q, 3), two.search(Q, 3)):
        np.testing.assert_array_equal(a, b)


def test_add_stores_a_copy_and_properties_are_read_only():
    V = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    index = ExactIndex(metric="inner_product")
    index.add(V)
    V[:] = 100.0
    assert index.vectors.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError):
        index.vectors[0, 0] = 5.0
    with pytest.raises(ValueError):
        index.ids[0] = 5


def test_string_ids():
    index = ExactIndex(metric="inner_product")
    index.add(np.eye(3), ids=["cat", "dog", "a-much-longer-id"])
    index.add(np.ones((1, 3)), ids=np.array(["bird"], dtype=object))
    assert index.ids.dtype.kind == "U"
    ids, scores = index.search(np.array([0.0, 1.0, 0.0]), k=2)
    assert ids.tolist() == [["dog", "bird"]]
    with pytest.raises(TypeError, match="string"):
        index.add(np.ones((1, 3)))  # default ids are integers
    with pytest.raises(TypeError, match="string"):
        index.add(np.ones((1, 3)), ids=[7])
    with pytest.raises(ValueError, match="unique.*'cat'"):
        index.add(np.ones((1, 3)), ids=["cat"])
    assert len(index) == 4  # failed adds changed nothing


def test_id_validation():
    index = ExactIndex()
    with pytest.raises(ValueError, match="unique.*5"):
        index.add(np.ones((3, 2)), ids=[5, 6, 5])
    with pytest.raises(ValueError, match="ids has 2 entries but vectors has 3 rows"):
        index.add(np.ones((3, 2)), ids=[1, 2])
    with pytest.raises(ValueError, match="1-D"):
        index.add(np.ones((2, 2)), ids=[[1], [2]])
    with pytest.raises(TypeError, match="integers or strings"):
        index.add(np.ones((2, 2)), ids=[1.5, 2.5])
    index.add(np.ones((2, 2)), ids=[1, 0])
    index.add(np.ones((1, 2)))  # default ids continue from len(index): 2
    with pytest.raises(ValueError, match="unique.*2"):
        index.add(np.ones((1, 2)), ids=[2])
    assert index.ids.tolist() == [1, 0, 2]
    with pytest.raises(ValueError, match="unique.*3"):
        index.add(np.ones((2, 2)), ids=[3, 3])
    assert len(index) == 3


def test_input_validation():
    with pytest.raises(ValueError, match="metric"):
        ExactIndex(metric="euclidean")
    with pytest.raises(ValueError, match="batch_size"):
        ExactIndex(batch_size=0)
    with pytest.raises(TypeError, match="batch_size"):
        ExactIndex(batch_size=2.5)
    index = ExactIndex()
    with pytest.raises(ValueError, match="empty"):
        index.search(np.ones((1, 3)))
    with pytest.raises(ValueError, match="empty"):
        index.similarity(np.ones((1, 3)))
    with pytest.raises(ValueError, match="NaN.*row 1"):
        index.add(np.array([[1.0, 2.0], [np.inf, 0.0]]))
    with pytest.raises(ValueError, match="2-D"):
        index.add(np.ones(3))
    with pytest.raises(TypeError, match="numeric"):
        index.add(np.array([["a", "b"]]))
    assert len(index) == 0 and index.dim is None
    index.add(np.ones((4, 3)))
    with pytest.raises(ValueError, match="dimension 4.*dimension 3"):
        index.add(np.ones((2, 4)))
    with pytest.raises(ValueError, match="dimension 5.*dimension 3"):
        index.search(np.ones((2, 5)))
    with pytest.raises(ValueError, match="NaN.*row 0"):
        index.search(np.array([[np.nan, 1.0, 1.0]]))
    with pytest.raises(ValueError, match="k must be >= 1"):
        index.search(np.ones(3), k=0)
    with pytest.raises(TypeError, match="k must be an integer"):
        index.search(np.ones(3), k=None)
    overflow = ExactIndex(metric="inner_product")
    overflow.add(np.full((2, 4), 1e30))
    with pytest.raises(ValueError, match="overflow"):
        overflow.search(np.full(4, 1e30))


# ----------------------------------------------------------------------------- save / load


def _make_index(metric, str_ids):
    rng = np.random.default_rng(10)
    V = integer_data(rng, 50, 5)
    V[5] = 0.0
    ids = np.array([f"item-{i}" for i in range(50)]) if str_ids else rng.permutation(1000)[:50]
    index = ExactIndex(metric=metric, batch_size=16)
    index.add(V, ids=ids)
    return index, integer_data(rng, 20, 5)


@pytest.mark.parametrize("metric,str_ids", [("cosine", True), ("inner_product", False)])
def test_save_load_round_trip(tmp_path, metric, str_ids):
    index, Q = _make_index(metric, str_ids)
    path = tmp_path / "idx"
    index.save(path)
    assert sorted(os.listdir(tmp_path)) == ["idx"]  # no temporary directory left behind
    meta = json.loads((path / "index.json").read_text())
    assert meta["format"] == "xmodal.ExactIndex" and meta["version"] == 1
    assert meta["metric"] == metric and meta["batch_size"] == 16
    raw_ids = np.load(path / "ids.npy", allow_pickle=False)
    assert raw_ids.dtype.kind == ("U" if str_ids else "i")

    expected = index.search(Q, k=7)
    for mmap in (True, False):
        loaded = ExactIndex.load(path, mmap=mmap)
        assert (loaded.metric, loaded.batch_size, len(loaded), loaded.dim) == (metric, 16, 50, 5)
        assert isinstance(loaded._vectors, np.memmap) == mmap
        assert isinstance(loaded._ids, np.memmap) == mmap
        np.testing.assert_array_equal(loaded.ids, index.ids)
        np.testing.assert_array_equal(loaded.vectors, index.vectors)
        got = loaded.search(Q, k=7)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
        assert not isinstance(got[0], np.memmap)


def test_loaded_index_can_grow_and_be_saved_over_its_own_directory(tmp_path):
    index, Q = _make_index("cosine", True)
    path = tmp_path / "idx"
    index.save(path)
    loaded = ExactIndex.load(path)  # memory-mapped from path
    loaded.add(np.ones((1, 5)), ids=["extra"])
    index.add(np.ones((1, 5)), ids=["extra"])
    loaded.save(path)  # replaces the directory its old arrays were mapped from
    assert sorted(os.listdir(tmp_path)) == ["idx"]
    again = ExactIndex.load(path)
    assert len(again) == 51
    for a, b in zip(again.search(Q, 5), index.search(Q, 5)):
        np.testing.assert_array_equal(a, b)


def test_save_replaces_only_index_directories(tmp_path):
    index, _ = _make_index("inner_product", False)
    (tmp_path / "empty").mkdir()
    index.save(tmp_path / "empty")  # an empty directory is replaced
    assert len(ExactIndex.load(tmp_path / "empty")) == 50
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="notes.txt"):
        index.save(other)
    assert (other / "notes.txt").read_text() == "keep me"
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="not a directory"):
        index.save(tmp_path / "file")
    with pytest.raises(ValueError, match="empty index"):
        ExactIndex().save(tmp_path / "nothing")
    index.save(tmp_path / "a" / "b" / "c")  # parents are created
    assert len(ExactIndex.load(tmp_path / "a" / "b" / "c")) == 50


def test_failed_save_leaves_existing_index_untouched(tmp_path, monkeypatch):
    index, Q = _make_index("cosine", False)
    path = tmp_path / "idx"
    index.save(path)
    before = {name: (path / name).read_bytes() for name in os.listdir(path)}

    bigger = ExactIndex()
    bigger.add(np.ones((3, 5)))
    calls = []

    def failing_write(file_path, array):
        calls.append(file_path)
        if len(calls) == 2:
            raise OSError("disk full")
        with open(file_path, "wb") as f:
            np.save(f, array, allow_pickle=False)

    monkeypatch.setattr(exact, "_write_npy", failing_write)
    with pytest.raises(OSError, match="disk full"):
        bigger.save(path)
    assert sorted(os.listdir(tmp_path)) == ["idx"]  # temporary directory removed
    assert {name: (path / name).read_bytes() for name in os.listdir(path)} == before


def test_load_errors_name_the_file(tmp_path):
    index, _ = _make_index("cosine", True)
    path = tmp_path / "idx"

    def fresh():
        index.save(path)
        return path

    with pytest.raises(ValueError, match="index.json.*not found"):
        ExactIndex.load(tmp_path / "does-not-exist")

    (fresh() / "index.json").write_text("{not json")
    with pytest.raises(ValueError, match="index.json.*JSON"):
        ExactIndex.load(path)

    meta = json.loads((fresh() / "index.json").read_text())
    (path / "index.json").write_text(json.dumps({**meta, "format": "something.Else"}))
    with pytest.raises(ValueError, match="index.json.*format"):
        ExactIndex.load(path)
    (path / "index.json").write_text(json.dumps({**meta, "version": 2}))
    with pytest.raises(ValueError, match="index.json.*version 2.*newer"):
        ExactIndex.load(path)
    (path / "index.json").write_text(json.dumps({**meta, "metric": "hamming"}))
    with pytest.raises(ValueError, match="index.json.*metric"):
        ExactIndex.load(path)
    (path / "index.json").write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="index.json.*JSON object"):
        ExactIndex.load(path)

    os.remove(fresh() / "vectors.npy")
    with pytest.raises(ValueError, match="vectors.npy.*not found"):
        ExactIndex.load(path)

    np.save(fresh() / "ids.npy", np.array(["a", 1], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="ids.npy"):
        ExactIndex.load(path)
    np.save(path / "ids.npy", np.array(["a", "b"]))
    with pytest.raises(ValueError, match="ids.npy.*2 ids"):
        ExactIndex.load(path)
    np.save(path / "ids.npy", np.array(["a"] * 50))
    with pytest.raises(ValueError, match="ids.npy.*unique"):
        ExactIndex.load(path)

    np.save(fresh() / "vectors.npy", np.ones((50, 5)))  # float64
    with pytest.raises(ValueError, match="vectors.npy.*float32"):
        ExactIndex.load(path)
    (path / "vectors.npy").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="vectors.npy.*readable"):
        ExactIndex.load(path)


# ----------------------------------------------------------------------------- docs


@pytest.mark.parametrize("module", [kernels, topk, exact])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
