"""Tests for xmodal.search.Index: every backend against a plain-numpy reference, the buffer,
tombstones, filters, reproducibility, the automatic choice and safe persistence."""

import doctest
import json
import os

import numpy as np
import pytest

from test_search import reference_scores, reference_search
from xmodal.search import annoy_backend, index as index_module, lsh
from xmodal.search.index import Index
from xmodal.search.tuning import recall_at_k

BACKENDS = [("exact", "cosine"), ("exact", "l1"), ("annoy", "cosine"), ("annoy", "sqeuclidean"),
            ("annoy", "inner_product"), ("lsh", "cosine"), ("lsh", "hamming")]


def clustered(rng, n, d=16, metric="cosine"):
    """Points around 30 centres (what real embeddings look like); packed bits for Hamming."""
    d = 64 if metric == "hamming" else d  # 8-byte codes: duplicate codes are rare
    centres = rng.standard_normal((30, d))
    X = (centres[rng.integers(0, 30, n)] + 0.35 * rng.standard_normal((n, d))).astype(np.float32)
    if metric == "hamming":
        return np.packbits(X > 0, axis=1)
    return X


def data_and_queries(rng, n, n_queries, metric="cosine"):
    """A clustered collection and fresh queries from the same clusters."""
    both = clustered(rng, n + n_queries, metric=metric)
    return both[:n], both[n:]


def build(backend, metric, X, ids=None, **params):
    index = Index(metric=metric, backend=backend, tuning_size=100, **params)
    index.add(X, ids=ids)
    return index.build()


def check_against_reference(index, metric, Q, X, ids, k, min_recall):
    """Scores are exact for the ids returned, sorted, ties by id; recall vs numpy brute force."""
    got_ids, got_scores = index.search(Q, k=k)
    ref_ids, ref_scores = reference_search(metric, Q, X, ids, k)
    assert got_ids.shape == (len(Q), k)
    position = {v: i for i, v in enumerate(ids.tolist())}
    S = reference_scores(metric, Q, X)
    for row, (r_ids, r_scores) in enumerate(zip(got_ids, got_scores)):
        cols = [position[v] for v in r_ids.tolist()]
        np.testing.assert_allclose(r_scores, S[row, cols], rtol=1e-5, atol=1e-5)
        assert len(set(cols)) == k  # no duplicates
        assert np.all(np.diff(r_scores) <= 1e-6) or np.all(np.diff(r_scores) >= -1e-6)
    recall = recall_at_k(got_ids, ref_ids)
    assert recall >= min_recall, recall
    return recall


@pytest.mark.parametrize("backend,metric", BACKENDS)
def test_every_backend_against_numpy_bruteforce(backend, metric):
    rng = np.random.default_rng(0)
    X, Q = data_and_queries(rng, 3000, 60, metric)
    ids = rng.permutation(10**6)[:3000]
    index = build(backend, metric, X, ids, n_trees=10)
    assert index.backend_ == backend and len(index) == 3000
    if backend != "exact":
        assert index.tuning_["reached"] and index.tuning_["recall"] >= 0.95
        assert index.build_info_["reproducible"]
    recall = check_against_reference(index, metric, Q, X, ids, 10, 1.0 if backend == "exact" else 0.85)
    if backend == "exact":
        assert recall == 1.0
    # k larger than the collection: every row, in exact order
    big_ids, big_scores = index.search(Q[:2], k=5000)
    ref_ids, _ = reference_search(metric, Q[:2], X, ids, 3000)
    assert big_ids.shape == (2, 3000)
    np.testing.assert_array_equal(np.sort(big_ids, axis=1), np.sort(ref_ids, axis=1))


@pytest.mark.parametrize("backend,metric", [("annoy", "cosine"), ("lsh", "cosine"), ("lsh", "hamming")])
def test_add_after_build_delete_and_filters(backend, metric):
    rng = np.random.default_rng(1)
    X, Q = data_and_queries(rng, 2000, 20, metric)
    index = build(backend, metric, X, n_trees=10)
    # rows added after the build are searched exactly and merged: a copy of the query is found first
    index.add(Q[:5], ids=np.arange(10_000, 10_005))
    assert index.n_buffered == 5
    ids, scores = index.search(Q[:5], k=3)
    assert ids[:, 0].tolist() == list(range(10_000, 10_005))
    # deleted ids are never returned, and rebuilt away
    victims = index.search(Q, k=4)[0][:, :2].ravel()
    victims = np.unique(victims)
    index.delete(victims)
    assert index.n_deleted == victims.size and len(index) == 2005 - victims.size
    ids, _ = index.search(Q, k=10)
    assert not np.isin(ids, victims).any() and ids.shape == (20, 10)
    with pytest.raises(KeyError, match="already deleted"):
        index.delete(victims[:1])
    with pytest.raises(KeyError, match="not in the index"):
        index.delete([-5])
    with pytest.raises(ValueError, match="was deleted.*build"):
        index.add(Q[:1], ids=victims[:1])
    # a broad filter (predicate) and a narrow one (id list): only allowed ids, k of them, exact when narrow
    ids, _ = index.search(Q, k=10, allowed=lambda all_ids: all_ids % 3 != 0)
    assert ids.shape == (20, 10) and np.all(ids % 3 != 0) and not np.isin(ids, victims).any()
    allowed = np.arange(0, 2000, 37)
    ids, scores = index.search(Q, k=10, allowed=list(allowed) + [99_999_999])  # unknown ids are ignored
    live = np.setdiff1d(allowed, victims)
    ref_ids, ref_scores = reference_search(metric, Q, X[live], live, 10)
    np.testing.assert_array_equal(ids, ref_ids)
    # a filter that allows nothing returns empty rows
    ids, scores = index.search(Q, k=10, allowed=[])
    assert ids.shape == scores.shape == (20, 0)
    with pytest.raises(ValueError, match="boolean array"):
        index.search(Q, k=3, allowed=lambda all_ids: all_ids)
    # rebuild: tombstones dropped, buffer built in, deleted ids reusable
    index.build()
    assert index.n_deleted == 0 and index.n_buffered == 0 and len(index) == 2005 - victims.size
    index.add(Q[:1], ids=victims[:1])
    assert index.search(Q[:1], k=1)[0][0, 0] in (victims[0], 10_000)


def test_search_radius_is_exact_on_every_backend():
    rng = np.random.default_rng(2)
    X, Q = data_and_queries(rng, 1500, 5)
    ids = np.arange(1500)
    S = reference_scores("cosine", Q, X)
    for backend in ("exact", "annoy", "lsh"):
        index = build(backend, "cosine", X, ids, n_trees=5)
        index.delete([int(np.argmax(S[0]))])
        found_ids, found_scores = index.search_radius(Q, 0.8, allowed=lambda i: i < 1000)
        for row in range(5):
            keep = (S[row] >= 0.8) & (ids < 1000) & (ids != np.argmax(S[0]))
            assert sorted(found_ids[row].tolist()) == sorted(ids[keep & ~np.isclose(S[row], 0.8)].tolist()) or \
                np.isclose(S[row], 0.8, atol=1e-6).any()
            assert np.all(np.diff(found_scores[row]) <= 0)


def test_reproducible_seeded_builds(tmp_path):
    rng = np.random.default_rng(3)
    X, Q = data_and_queries(rng, 2500, 30)
    for backend in ("annoy", "lsh"):
        first, second = (build(backend, "cosine", X, n_trees=8, seed=7) for _ in range(2))
        assert first.effort_ == second.effort_
        for a, b in zip(first.search(Q, k=10), second.search(Q, k=10)):
            np.testing.assert_array_equal(a, b)
        first.save(tmp_path / f"{backend}1")
        second.save(tmp_path / f"{backend}2")
        files = json.loads((tmp_path / f"{backend}1" / "index.json").read_text())["files"]
        again = json.loads((tmp_path / f"{backend}2" / "index.json").read_text())["files"]
        assert files == again  # byte-identical files, Annoy's included
    other_seed = build("annoy", "cosine", X, n_trees=8, seed=8)
    other_seed.save(tmp_path / "annoy3")
    third = json.loads((tmp_path / "annoy3" / "index.json").read_text())["files"]
    annoy_files = json.loads((tmp_path / "annoy1" / "index.json").read_text())["files"]
    assert third["annoy.ann"]["sha256"] != annoy_files["annoy.ann"]["sha256"]  # the seed matters
    threaded = Index(backend="annoy", n_jobs=2, n_trees=4, tuning_size=50)
    threaded.add(X)
    assert threaded.build().build_info_["reproducible"] is False


def test_automatic_choice_is_measured_and_recorded():
    rng = np.random.default_rng(4)
    X = clustered(rng, 1500)
    exact_only = Index(metric="cosine", target_recall=1.0)
    exact_only.add(X)
    assert exact_only.build().backend_ == "exact"
    assert exact_only.selection_["reason"] == "target_recall is 1.0"
    no_candidate = Index(metric="l1")
    no_candidate.add(X)
    assert no_candidate.build().backend_ == "exact" and "no approximate backend" in no_candidate.selection_["reason"]
    auto = Index(metric="cosine", tuning_size=20)
    auto.add(X)
    auto.build()
    measured = auto.selection_["measured"]
    assert auto.selection_["chosen"] == auto.backend_
    assert measured["exact"]["seconds_per_query"] > 0 and {"annoy", "lsh"} <= set(measured)
    if auto.backend_ != "exact":  # chosen only with the required measured speed-up at the target
        assert measured[auto.backend_]["speedup"] >= 2.0 and measured[auto.backend_]["reached"]
    ids, _ = auto.search(X[:3], k=1)
    assert ids[:, 0].tolist() == [0, 1, 2]


def test_tune_with_outside_queries_and_unreachable_target():
    rng = np.random.default_rng(5)
    X, Q = data_and_queries(rng, 2000, 40)
    index = build("lsh", "cosine", X, n_tables=2, n_bits=12, target_recall=0.999)
    assert not index.tuning_["reached"] and index.tuning_["advice"]["n_tables"] == 4
    tuning = index.tune(target_recall=0.5, queries=Q)
    assert tuning["reached"] and tuning["recall"] >= 0.5 and tuning["sample_size"] == 40


def test_validation_and_empty_collection():
    with pytest.raises(ValueError, match="backend"):
        Index(backend="faiss")
    with pytest.raises(ValueError, match="does not serve"):
        Index(metric="l1", backend="annoy")
    with pytest.raises(ValueError, match="does not serve"):
        Index(metric="sqeuclidean", backend="lsh")
    with pytest.raises(ValueError, match="target_recall"):
        Index(target_recall=1.5)
    with pytest.raises(ValueError, match="n_jobs"):
        Index(n_jobs=0)
    empty = Index()
    with pytest.raises(ValueError, match="empty"):
        empty.search(np.ones((1, 3)))
    with pytest.raises(ValueError, match="empty"):
        empty.build()
    with pytest.raises(ValueError, match="empty"):
        empty.save("never-written")
    index = Index(backend="annoy", n_trees=3, tuning_size=20)
    index.add(np.ones((30, 3)) + np.arange(30)[:, None])
    index.build()
    with pytest.raises(ValueError, match="NaN"):
        index.search(np.array([[np.nan, 1, 1]]))
    with pytest.raises(ValueError, match="NaN"):
        index.add(np.array([[np.inf, 1, 1]]))
    with pytest.raises(ValueError, match="unique"):
        index.add(np.ones((2, 3)), ids=[100, 100])
    with pytest.raises(ValueError, match="unique.*5"):
        index.add(np.ones((1, 3)), ids=[5])


@pytest.mark.parametrize("backend,metric", [("exact", "hellinger"), ("annoy", "sqeuclidean"), ("lsh", "hamming")])
def test_save_load_round_trip(tmp_path, backend, metric):
    rng = np.random.default_rng(6)
    X = clustered(rng, 1200, metric=metric)
    if metric == "hellinger":
        X = np.abs(X)
    index = build(backend, metric, X, ids=np.array([f"doc{i}" for i in range(1200)]), n_trees=6)
    index.delete(["doc3"])
    index.add(X[:2], ids=["new0", "new1"])
    Q = X[10:40]
    expected = index.search(Q, k=8)
    path = tmp_path / "index"
    index.save(path)
    assert sorted(os.listdir(tmp_path)) == ["index"]
    for mmap in (True, False):
        loaded = Index.load(path, mmap=mmap)
        assert (loaded.backend_, loaded.n_built_, loaded.n_deleted, loaded.effort_) == (
            index.backend_, index.n_built_, 1, index.effort_)
        for a, b in zip(loaded.search(Q, k=8), expected):
            np.testing.assert_array_equal(a, b)
    loaded.save(path)  # saving a loaded (memory-mapped) index over its own directory
    for a, b in zip(Index.load(path).search(Q, k=8), expected):
        np.testing.assert_array_equal(a, b)


def test_corrupted_partial_wrong_and_newer_saved_index(tmp_path):
    rng = np.random.default_rng(7)
    X = clustered(rng, 800)
    index = build("annoy", "cosine", X, n_trees=4)
    path = tmp_path / "index"

    def fresh():
        index.save(path)
        return path

    annoy_bytes = (fresh() / "annoy.ann").read_bytes()
    flipped = bytearray(annoy_bytes)
    flipped[len(flipped) // 2] ^= 0x55
    (path / "annoy.ann").write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="annoy.ann.*corrupted"):
        Index.load(path)
    (path / "annoy.ann").write_bytes(annoy_bytes[:-100])  # partial copy
    with pytest.raises(ValueError, match="annoy.ann.*truncated"):
        Index.load(path, verify=False)
    os.remove(fresh() / "deleted.npy")
    with pytest.raises(ValueError, match="deleted.npy.*not found"):
        Index.load(path)
    meta = json.loads((fresh() / "index.json").read_text())
    (path / "index.json").write_text(json.dumps({**meta, "version": 99}))
    with pytest.raises(ValueError, match="version 99 is newer"):
        Index.load(path)
    (path / "index.json").write_text(json.dumps({**meta, "n_built": 5000}))
    with pytest.raises(ValueError, match="index.json.*n_built"):
        Index.load(path)
    (path / "index.json").write_text(json.dumps({**meta, "params": {**meta["params"], "metric": "nope"}}))
    with pytest.raises(ValueError, match="index.json.*metric"):
        Index.load(path)
    (path / "index.json").write_text("")
    with pytest.raises(ValueError, match="index.json.*JSON"):
        Index.load(path)
    from xmodal.search.exact import ExactIndex

    other = ExactIndex()
    other.add(X)
    other.save(tmp_path / "exact")
    with pytest.raises(ValueError, match="format is 'xmodal.ExactIndex', expected 'xmodal.Index'"):
        Index.load(tmp_path / "exact")
    (fresh() / "notes.txt").write_text("mine")  # a file an Index never writes: the directory is not replaced
    with pytest.raises(FileExistsError, match="notes.txt"):
        index.save(path)


def test_lsh_probe_order_and_bit_sampling():
    margins = np.array([0.5, 0.1, 0.9, 0.2])
    probes = lsh._probe_codes(np.uint64(0b1010), margins, 4)
    # own bucket, then flip the least certain bit (1), then bit 3, then bits 1 and 3 together
    assert probes.tolist() == [0b1010, 0b1000, 0b0010, 0b0000]
    bits = np.packbits(np.array([[1, 0, 0, 1, 0, 0, 0, 0, 1, 1]], np.uint8), axis=1)
    codes = lsh._sampled_codes(bits, np.array([[0, 3, 9, 1]]), 1, 4)
    assert codes.tolist() == [[0b0111]]


@pytest.mark.parametrize("module", [index_module, annoy_backend, lsh])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_build_tunes_on_given_queries_when_own_items_are_near_duplicates():
    rng = np.random.default_rng(11)
    words = rng.standard_normal((400, 16)).astype(np.float32)
    copies = np.vstack([words + 0.05 * rng.standard_normal(words.shape, dtype=np.float32) for _ in range(10)])
    outside = rng.standard_normal((200, 16)).astype(np.float32)  # no copy of these in the index
    own = Index(metric="cosine", backend="lsh", n_tables=4, n_bits=10, seed=0, target_recall=0.8, tuning_size=200)
    own.add(copies)
    own.build()
    given = Index(metric="cosine", backend="lsh", n_tables=4, n_bits=10, seed=0, target_recall=0.8, tuning_size=200)
    given.add(copies)
    given.build(queries=outside)
    truth = reference_search("cosine", outside, copies, np.arange(len(copies)), 10)[0]

    def recall(index):
        return recall_at_k(index._search_positions(index._store.prepare(outside), 10, None, index.effort_)[0], truth)

    assert given.tuning_["sample_size"] == 200
    # measured on these very queries: the mean recall there, and the reached lower bound below it
    assert given.tuning_["reached"] and recall(given) == pytest.approx(given.tuning_["recall"])
    assert given.tuning_["recall"] >= given.tuning_["recall_lower_bound"] >= 0.8
    # own items find their own copies: the effort tuned on them is smaller, and falls short here
    assert own.effort_ < given.effort_ and recall(own) < 0.8
