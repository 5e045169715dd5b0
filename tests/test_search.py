"""Tests for xmodal.search: kernels, top-k selection and the exact index, against plain numpy."""

import doctest
import json
import os

import numpy as np
import pytest

from xmodal.search import exact, kernels, metrics, persist, topk, tuning
from xmodal.search.exact import ExactIndex
from xmodal.search.kernels import (chi_squared, cosine, hamming, hellinger, histogram_intersection, inner_product,
                                   l1, normalize_rows, squared_euclidean)
from xmodal.search.topk import topk_rows

# ----------------------------------------------------------------------------- plain-numpy references


def reference_scores(metric, Q, V):
    """Score matrix (metric units) by the textbook formula, in float64 numpy."""
    if metric == "hamming":
        return np.unpackbits(Q[:, None, :] ^ V[None, :, :], axis=2).sum(axis=2).astype(np.float64)
    Q = np.asarray(Q, dtype=np.float64)
    V = np.asarray(V, dtype=np.float64)
    a, b = Q[:, None, :], V[None, :, :]
    if metric == "inner_product":
        return Q @ V.T
    if metric == "cosine":
        qn, vn = np.linalg.norm(Q, axis=1), np.linalg.norm(V, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            S = (Q @ V.T) / np.outer(qn, vn)
        S[~np.isfinite(S)] = 0.0
        return S
    if metric == "sqeuclidean":
        return ((a - b) ** 2).sum(axis=2)
    if metric == "l1":
        return np.abs(a - b).sum(axis=2)
    if metric == "chi2":
        total = a + b
        with np.errstate(invalid="ignore", divide="ignore"):
            terms = np.where(total > 0, (a - b) ** 2 / np.where(total > 0, total, 1), 0.0)
        return terms.sum(axis=2)
    if metric == "hellinger":
        sa, sb = a.sum(axis=2), b.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            p, q = a / np.where(sa > 0, sa, 1)[..., None], b / np.where(sb > 0, sb, 1)[..., None]
        H = np.sqrt(np.maximum(0.0, 1.0 - np.sqrt(p * q).sum(axis=2)))
        H[(sa == 0) ^ (sb == 0)] = 1.0
        H[(sa == 0) & (sb == 0)] = 0.0
        return H
    if metric == "intersection":
        return np.minimum(a, b).sum(axis=2)
    raise KeyError(metric)


def reference_search(metric, Q, V, ids, k):
    """Brute force: every score, sorted best first, ties by id."""
    S = reference_scores(metric, Q, V)
    key = S if metrics.get_metric(metric).higher_is_better else -S
    tie = np.argsort(np.argsort(ids, kind="stable"), kind="stable")  # rank of each id
    order = np.array([np.lexsort((tie, -row))[:k] for row in key]).reshape(len(Q), -1)
    return ids[order], np.take_along_axis(S, order, axis=1)


def reference_topk(scores, k):
    """Full sort of every row: by score descending, then by column position ascending."""
    scores = np.asarray(scores)
    positions = np.arange(scores.shape[1])
    order = np.array([np.lexsort((positions, -row))[:k] for row in scores]).reshape(scores.shape[0], -1)
    return order, np.take_along_axis(scores, order, axis=1)


def assert_same_ranking(got_ids, got_scores, ref_ids, ref_scores, exact=True):
    """Equal ids and scores; with ``exact=False`` scores to float32 rounding and ids wherever the
    reference has no near-tie (a near-tie may be ordered either way by rounding)."""
    if exact:
        np.testing.assert_array_equal(got_ids, ref_ids)
        np.testing.assert_array_equal(got_scores, ref_scores.astype(np.float32))
        return
    k = got_ids.shape[1]  # a reference one entry longer also checks the last place against the next
    np.testing.assert_allclose(got_scores, ref_scores[:, :k], rtol=1e-5, atol=1e-5)
    for row_ids, row_ref, row_scores in zip(got_ids, ref_ids, ref_scores):
        gaps = np.abs(np.diff(row_scores))
        clear = np.ones(row_scores.size, dtype=bool)
        clear[:-1] &= gaps > 1e-5
        clear[1:] &= gaps > 1e-5
        np.testing.assert_array_equal(row_ids[clear[:k]], row_ref[:k][clear[:k]])


def integer_data(rng, n, d, low=-3, high=4):
    """Small integers: every BLAS score is exact in float32 whatever the summation order."""
    return rng.integers(low, high, size=(n, d)).astype(np.float32)


def data_for(metric, rng, n, d=12):
    """Exactly representable data for ``metric`` with duplicates (exact ties) and empty rows."""
    if metric == "hamming":
        X = rng.integers(0, 256, size=(n, d), dtype=np.uint8)
    elif metrics.get_metric(metric).histogram:
        X = rng.integers(0, 4, size=(n, d)).astype(np.float32)
    else:
        X = integer_data(rng, n, d)
    X[n // 3] = X[0]  # duplicates tie exactly: the smaller id wins
    if metric != "hamming":
        X[n // 2] = 0  # a zero vector / empty histogram
    return X


ALL_METRICS = tuple(metrics.METRICS)
EXACT_REPRESENTABLE = ("inner_product", "sqeuclidean", "l1", "intersection", "hamming")


# ----------------------------------------------------------------------------- kernels


@pytest.mark.parametrize("metric,kernel", [
    ("inner_product", inner_product), ("cosine", cosine), ("sqeuclidean", squared_euclidean), ("l1", l1),
    ("chi2", chi_squared), ("hellinger", hellinger), ("intersection", histogram_intersection)])
def test_float_kernels_match_numpy_formula(metric, kernel):
    rng = np.random.default_rng(0)
    for d in (1, 3, 17, 128):
        X = rng.random((6, d)).astype(np.float32) * 3
        X[1] = 0.0  # zero vector / empty histogram
        X[2, : d // 2] = 0.0  # sparse histogram
        if metric in ("inner_product", "cosine", "sqeuclidean", "l1"):
            X[3] -= 1.5  # negative entries
        ref = reference_scores(metric, X, X)
        got = np.array([[kernel(a, b) for b in X] for a in X])
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-7 if metric == "hellinger" else 1e-9)  # sqrt near 0


def test_kernels_hand_computed_and_edge_cases():
    a = np.array([1, 2, 3], np.float32)
    b = np.array([4, -5, 6], np.float32)
    z = np.zeros(3, np.float32)
    assert inner_product(a, b) == 12.0
    assert cosine(np.array([3, 4], np.float32), np.array([4, 3], np.float32)) == pytest.approx(24 / 25)
    assert cosine(z, b) == cosine(a, z) == cosine(z, z) == 0.0
    assert squared_euclidean(a, b) == 9 + 49 + 9
    assert l1(a, b) == 3 + 7 + 3
    h1, h2 = np.array([1, 0, 2], np.float32), np.array([3, 0, 2], np.float32)
    assert chi_squared(h1, h2) == pytest.approx(4 / 4)  # bin 2 empty in both: skipped, not 0/0
    assert chi_squared(z, z) == 0.0 and chi_squared(z, h2) == 5.0
    assert hellinger(h1, h1 * 7) == pytest.approx(0.0, abs=1e-7)
    assert hellinger(np.array([1, 0], np.float32), np.array([0, 1], np.float32)) == 1.0
    assert hellinger(z, z) == 0.0 and hellinger(z, h1) == 1.0 and hellinger(h1, z) == 1.0
    assert histogram_intersection(h1, h2) == 3.0 and histogram_intersection(z, h2) == 0.0
    bits = np.packbits(np.array([[1, 0, 1, 1, 0, 0, 0, 0, 1], [0, 0, 1, 0, 0, 0, 0, 0, 0]], np.uint8), axis=1)
    assert hamming(bits[0], bits[1]) == 3
    assert hamming(bits[0], bits[0]) == 0
    orb = np.random.default_rng(1).integers(0, 256, size=(2, 32), dtype=np.uint8)
    expected = int(np.unpackbits(orb[0] ^ orb[1]).sum())
    assert hamming(orb[0], orb[1]) == expected == hamming(orb[0].view(np.uint64), orb[1].view(np.uint64))
    v = np.random.default_rng(2).standard_normal(33).astype(np.float32)
    assert -1.0 <= cosine(v, -v) <= -1.0 + 1e-12
    assert 1.0 - 1e-12 <= cosine(v, v) <= 1.0


@pytest.mark.parametrize("kernel", [inner_product, cosine, squared_euclidean, l1, chi_squared, hellinger,
                                    histogram_intersection])
def test_kernels_reject_length_mismatch(kernel):
    with pytest.raises(ValueError, match="same length"):
        kernel(np.ones(3, np.float32), np.ones(2, np.float32))
    with pytest.raises(ValueError, match="same length"):
        hamming(np.ones(3, np.uint8), np.ones(2, np.uint8))


# ----------------------------------------------------------------------------- normalize_rows / topk_rows


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


# ----------------------------------------------------------------------------- ExactIndex: every metric


@pytest.mark.parametrize("metric", ALL_METRICS)
@pytest.mark.parametrize("n_queries", [1, 9])
def test_exact_search_matches_numpy_bruteforce(metric, n_queries):
    rng = np.random.default_rng(5)
    V = data_for(metric, rng, 300)
    Q = data_for(metric, rng, n_queries)
    Q[0] = V[0]
    ids = rng.permutation(5000)[:300]  # ids unrelated to positions: ties follow ids
    index = ExactIndex(metric=metric)
    index.add(V, ids=ids)
    for k in (1, 7, 300, 1000):
        got_ids, got_scores = index.search(Q, k=k)
        ref_ids, ref_scores = reference_search(metric, Q, V, ids, min(k, 300))
        assert got_ids.shape == got_scores.shape == (n_queries, min(k, 300)) and got_scores.dtype == np.float32
        assert_same_ranking(got_ids, got_scores, ref_ids, ref_scores, exact=metric in EXACT_REPRESENTABLE)
    np.testing.assert_allclose(index.similarity(Q), reference_scores(metric, Q, V), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("metric", ["inner_product", "sqeuclidean", "l1", "hamming"])
def test_tiles_and_parallel_parts_give_identical_answers(metric):
    rng = np.random.default_rng(6)
    V, Q = data_for(metric, rng, 2500), data_for(metric, rng, 40)
    ids = np.arange(2500)[::-1].copy()
    results = []
    for batch_size, block_bytes in [(1024, 32 * 2**20), (3, 4096), (7, 40_000)]:
        index = ExactIndex(metric=metric, batch_size=batch_size, block_bytes=block_bytes)
        index.add(V, ids=ids)
        results.append(index.search(Q, k=12))
        results.append(index.search(Q[:1], k=12))  # single query: parallel over items
        results.append(index.search_radius(Q[:5], threshold=np.sort(index.similarity(Q[:1])[0])[100]))
    ref_ids, ref_scores = reference_search(metric, Q, V, ids, 12)
    for got in results[0::3]:
        assert_same_ranking(*got, ref_ids, ref_scores)
    for got in results[1::3]:
        assert_same_ranking(*got, ref_ids[:1], ref_scores[:1])
    for got in results[2::3]:
        for a, b in zip(got, results[2]):
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("metric", ["inner_product", "cosine"])
def test_large_batches_on_worker_threads_match_numpy_with_ties_and_masks(metric):
    # 700 queries take the fused path (a BLAS tile and its selection per worker thread), and so do
    # batches of 100 on two threads
    rng = np.random.default_rng(8)
    V = integer_data(rng, 3000, 16)  # inner products exact in float32: every tie is a real tie
    V[1500:1510] = V[7]  # tied rows: broken by id, whichever thread sees them
    Q = integer_data(rng, 700, 16)
    Q[:5] = V[7]
    ids = rng.permutation(10_000)[:3000]
    index = ExactIndex(metric=metric, block_bytes=64 * 2**10)  # many narrow tiles
    index.add(V, ids=ids)
    got = index.search(Q, k=15)
    if metric == "inner_product":  # cosine's float32 rounding reorders near-ties against float64 numpy
        assert_same_ranking(*got, *reference_search(metric, Q, V, ids, 15))
    # batches of 50 and 10: BLAS tiles selected in parallel; 5 and 1: the Numba scan (float64 sums)
    wider = index.search(Q, k=16)
    for size in (50, 10, 5, 1):
        chunks = [index.search(Q[i:i + size], k=16) for i in range(0, 700 if size > 5 else 40, size)]
        part_ids, part_scores = (np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks]))
        n = len(part_ids)
        if metric == "inner_product":  # integer data: every path computes the same exact scores
            np.testing.assert_array_equal(part_ids, wider[0][:n])
            np.testing.assert_array_equal(part_scores, wider[1][:n])
        else:  # cosine of integer rows is rounded: float32 BLAS and float64 scan sums may differ in the last bit
            np.testing.assert_allclose(part_scores, wider[1][:n], rtol=1e-6, atol=1e-6)
            gaps = np.abs(np.diff(wider[1][:n], axis=1))
            clear = np.ones((n, 16), dtype=bool)
            clear[:, :-1] &= gaps > 1e-6
            clear[:, 1:] &= gaps > 1e-6
            np.testing.assert_array_equal(part_ids[:, :15][clear[:, :15]], wider[0][:n, :15][clear[:, :15]])
    from xmodal.search.index import Index  # a filter reaches the fused path as a mask

    masked = Index(metric=metric, backend="exact")
    masked.add(V, ids=ids)
    allowed = np.sort(ids)[::2]
    keep = np.isin(ids, allowed)
    for batch in (Q, Q[:3]):  # the fused path and the scan
        hits, scores = masked.search(batch, k=5, allowed=allowed)
        assert np.isin(hits, allowed).all()
        if metric == "inner_product":
            assert_same_ranking(hits, scores, *reference_search(metric, batch, V[keep], ids[keep], 5))


@pytest.mark.parametrize("metric", ["cosine", "sqeuclidean", "chi2", "hamming", "intersection"])
def test_search_radius_matches_numpy(metric):
    rng = np.random.default_rng(7)
    V, Q = data_for(metric, rng, 200), data_for(metric, rng, 6)
    ids = np.array([f"item{i:03d}" for i in range(200)])
    index = ExactIndex(metric=metric)
    index.add(V, ids=ids)
    S = reference_scores(metric, Q, V)
    threshold = float(np.median(S))
    got_ids, got_scores = index.search_radius(Q, threshold)
    higher = metrics.get_metric(metric).higher_is_better
    for i in range(len(Q)):
        inside = S[i] >= threshold if higher else S[i] <= threshold
        ref_ids, ref_scores = reference_search(metric, Q[i:i + 1], V[inside], ids[inside], inside.sum())
        border = np.isclose(S[i], threshold, rtol=1e-6, atol=1e-6).any()
        if not border:
            assert_same_ranking(got_ids[i][None], got_scores[i][None], ref_ids, ref_scores,
                                exact=metric in EXACT_REPRESENTABLE)


def test_ties_are_broken_by_id_not_insertion_order():
    base = np.array([[1.0, 2.0, -3.0], [0.5, 0.0, 1.0]], dtype=np.float32)
    # 4x and 0.5x copies normalise to bit-identical rows, so their cosine scores tie exactly
    V = np.vstack([base[1], 4 * base[0], base[0], 0.5 * base[0], base[1] * 2])
    index = ExactIndex(metric="cosine")
    index.add(V, ids=["b1", "a4", "a1", "a05", "b2"])
    ids, scores = index.search(base[0], k=5)
    assert ids.tolist() == [["a05", "a1", "a4", "b1", "b2"]]
    assert scores[0, 0] == scores[0, 1] == scores[0, 2] and scores[0, 3] == scores[0, 4]
    index = ExactIndex(metric="l1")
    index.add(np.zeros((4, 2)), ids=[30, 10, 40, 20])
    assert index.search(np.ones(2), k=4)[0].tolist() == [[10, 20, 30, 40]]


def test_cosine_with_zero_vectors():
    V = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0], [1, 1, 0]], dtype=np.float32)
    index = ExactIndex(metric="cosine")
    index.add(V)
    np.testing.assert_array_equal(index.vectors[[0, 3]], 0.0)
    S = index.similarity(np.array([[1, 0, 0], [-1, 0, 0]], dtype=np.float32))
    np.testing.assert_allclose(S, [[0, 1, 0, 0, np.sqrt(0.5)], [0, -1, 0, 0, -np.sqrt(0.5)]], atol=1e-6)
    ids, scores = index.search(np.array([-1.0, 0.0, 0.0]), k=5)
    assert ids.tolist() == [[0, 2, 3, 4, 1]]
    ids, scores = index.search(np.zeros(3), k=3)  # a zero query scores 0.0 against everything
    assert ids.tolist() == [[0, 1, 2]]
    np.testing.assert_array_equal(scores, 0.0)


def test_one_dimensional_query_and_empty_query_batch():
    index = ExactIndex(metric="inner_product")
    index.add(np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
    ids, scores = index.search(np.array([1.0, 1.0]), k=2)
    assert ids.tolist() == [[1, 2]] and scores.tolist() == [[2.0, 2.0]]
    assert index.similarity([0.0, 1.0]).tolist() == [[0.0, 2.0, 1.0]]
    ids, scores = index.search(np.empty((0, 2)), k=2)
    assert ids.shape == (0, 2) and scores.shape == (0, 2)


# ----------------------------------------------------------------------------- ExactIndex add / ids / validation


def test_add_appends_and_default_ids_continue():
    rng = np.random.default_rng(9)
    V = rng.standard_normal((10, 4))
    one, two = ExactIndex(), ExactIndex()
    one.add(V)
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


def test_string_ids_and_duplicates():
    index = ExactIndex(metric="inner_product")
    index.add(np.eye(3), ids=["cat", "dog", "a-much-longer-id"])
    index.add(np.ones((1, 3)), ids=np.array(["bird"], dtype=object))
    assert index.ids.dtype.kind == "U"
    assert index.search(np.array([0.0, 1.0, 0.0]), k=2)[0].tolist() == [["bird", "dog"]]
    with pytest.raises(TypeError, match="string"):
        index.add(np.ones((1, 3)))
    with pytest.raises(TypeError, match="string"):
        index.add(np.ones((1, 3)), ids=[7])
    with pytest.raises(ValueError, match="unique.*'cat'"):
        index.add(np.ones((1, 3)), ids=["cat"])
    assert len(index) == 4  # failed adds changed nothing
    fresh = ExactIndex()
    with pytest.raises(ValueError, match="unique.*5"):
        fresh.add(np.ones((3, 2)), ids=[5, 6, 5])
    with pytest.raises(ValueError, match="ids has 2 entries but vectors has 3 rows"):
        fresh.add(np.ones((3, 2)), ids=[1, 2])
    with pytest.raises(TypeError, match="integers or strings"):
        fresh.add(np.ones((2, 2)), ids=[1.5, 2.5])
    fresh.add(np.ones((2, 2)), ids=[1, 0])
    fresh.add(np.ones((1, 2)))  # default ids continue from len(index): 2
    assert fresh.ids.tolist() == [1, 0, 2]


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
    with pytest.raises(ValueError, match="NaN.*row 0"):
        index.add(np.array([[np.nan, 2.0]]))
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
    with pytest.raises(ValueError, match="NaN.*row 1"):
        index.search_radius(np.array([[1.0, 1.0, 1.0], [1.0, -np.inf, 1.0]]), 0.5)
    with pytest.raises(ValueError, match="k must be >= 1"):
        index.search(np.ones(3), k=0)
    with pytest.raises(TypeError, match="k must be an integer"):
        index.search(np.ones(3), k=None)
    with pytest.raises(ValueError, match="threshold"):
        index.search_radius(np.ones(3), threshold=np.nan)
    overflow = ExactIndex(metric="inner_product")
    overflow.add(np.full((2, 4), 1e30))
    with pytest.raises(ValueError, match="overflow"):
        overflow.search(np.full(4, 1e30))
    histograms = ExactIndex(metric="chi2")
    with pytest.raises(ValueError, match="negative entries.*row 1"):
        histograms.add(np.array([[1.0, 2.0], [0.5, -1.0]]))
    bits = ExactIndex(metric="hamming")
    with pytest.raises(TypeError, match="uint8"):
        bits.add(np.ones((2, 4)))
    bits.add(np.ones((2, 5), dtype=np.uint8))
    assert bits.dim == 5 and bits.vectors.shape == (2, 5)
    with pytest.raises(TypeError, match="uint8"):
        bits.search(np.ones((1, 5), dtype=np.int64))


# ----------------------------------------------------------------------------- save / load


def _make_index(metric, str_ids):
    rng = np.random.default_rng(10)
    V = data_for(metric, rng, 50, d=5)
    ids = np.array([f"item-{i}" for i in range(50)]) if str_ids else rng.permutation(1000)[:50]
    index = ExactIndex(metric=metric, batch_size=16)
    index.add(V, ids=ids)
    return index, data_for(metric, rng, 20, d=5)


@pytest.mark.parametrize("metric,str_ids", [("cosine", True), ("inner_product", False), ("hamming", False)])
def test_save_load_round_trip(tmp_path, metric, str_ids):
    index, Q = _make_index(metric, str_ids)
    path = tmp_path / "idx"
    index.save(path)
    assert sorted(os.listdir(tmp_path)) == ["idx"]  # no temporary directory left behind
    meta = json.loads((path / "index.json").read_text())
    assert meta["format"] == "xmodal.ExactIndex" and meta["version"] == 1
    assert meta["metric"] == metric and meta["batch_size"] == 16
    assert set(meta["files"]) == {"vectors.npy", "ids.npy"}
    expected = index.search(Q, k=7)
    for mmap in (True, False):
        loaded = ExactIndex.load(path, mmap=mmap)
        assert (loaded.metric, loaded.batch_size, len(loaded), loaded.dim) == (metric, 16, 50, 5)
        np.testing.assert_array_equal(loaded.ids, index.ids)
        np.testing.assert_array_equal(loaded.vectors, index.vectors)
        got = loaded.search(Q, k=7)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])


def test_loaded_index_can_grow_and_be_saved_over_its_own_directory(tmp_path):
    index, Q = _make_index("cosine", True)
    path = tmp_path / "idx"
    index.save(path)
    loaded = ExactIndex.load(path)  # memory-mapped from path
    loaded.add(np.ones((1, 5)), ids=["extra"])
    index.add(np.ones((1, 5)), ids=["extra"])
    loaded.save(path)
    assert sorted(os.listdir(tmp_path)) == ["idx"]
    again = ExactIndex.load(path)
    assert len(again) == 51
    for a, b in zip(again.search(Q, 5), index.search(Q, 5)):
        np.testing.assert_array_equal(a, b)


def test_save_replaces_only_index_directories(tmp_path):
    index, _ = _make_index("inner_product", False)
    (tmp_path / "empty").mkdir()
    index.save(tmp_path / "empty")
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
    index.save(tmp_path / "a" / "b" / "c")
    assert len(ExactIndex.load(tmp_path / "a" / "b" / "c")) == 50


def test_failed_save_leaves_existing_index_untouched(tmp_path, monkeypatch):
    index, _ = _make_index("cosine", False)
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

    monkeypatch.setattr(persist, "write_npy", failing_write)
    with pytest.raises(OSError, match="disk full"):
        bigger.save(path)
    assert sorted(os.listdir(tmp_path)) == ["idx"]
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
    for change, message in [({"format": "something.Else"}, "format"), ({"version": 2}, "version 2.*newer"),
                            ({"metric": "hamming2"}, "metric")]:
        (path / "index.json").write_text(json.dumps({**meta, **change}))
        with pytest.raises(ValueError, match=f"index.json.*{message}"):
            ExactIndex.load(path)
    (path / "index.json").write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="index.json.*JSON object"):
        ExactIndex.load(path)
    os.remove(fresh() / "vectors.npy")
    with pytest.raises(ValueError, match="vectors.npy.*not found"):
        ExactIndex.load(path)
    data = (fresh() / "vectors.npy").read_bytes()
    (path / "vectors.npy").write_bytes(data[:-7])  # partial copy
    with pytest.raises(ValueError, match="vectors.npy.*truncated"):
        ExactIndex.load(path)
    corrupted = bytearray(data)
    corrupted[-3] ^= 0xFF
    (path / "vectors.npy").write_bytes(bytes(corrupted))  # same size, one flipped byte
    with pytest.raises(ValueError, match="vectors.npy.*corrupted"):
        ExactIndex.load(path)
    assert len(ExactIndex.load(path, verify=False)) == 50  # size still right: loads when not verified
    # files rewritten without their record (as by ExactIndex format 1 before checksums): shapes still checked
    meta = json.loads((fresh() / "index.json").read_text())
    (path / "index.json").write_text(json.dumps({k: v for k, v in meta.items() if k != "files"}))
    np.save(path / "ids.npy", np.array(["a", 1], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="ids.npy"):
        ExactIndex.load(path)
    np.save(path / "ids.npy", np.array(["a", "b"]))
    with pytest.raises(ValueError, match="ids.npy.*2 ids"):
        ExactIndex.load(path)
    np.save(path / "ids.npy", np.array(["a"] * 50))
    with pytest.raises(ValueError, match="ids.npy.*unique"):
        ExactIndex.load(path)
    np.save(path / "vectors.npy", np.ones((50, 5)))  # float64
    with pytest.raises(ValueError, match="vectors.npy.*float32"):
        ExactIndex.load(path)
    (path / "vectors.npy").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="vectors.npy.*readable"):
        ExactIndex.load(path)


# ----------------------------------------------------------------------------- docs


@pytest.mark.parametrize("module", [kernels, topk, exact, metrics, tuning])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("metric", ["inner_product", "cosine", "sqeuclidean"])
def test_few_queries_on_a_large_collection_scan_in_parallel_parts_and_match_numpy(metric):
    # over 32768 rows and under 8 queries: the Numba scan split over item ranges, heaps merged
    rng = np.random.default_rng(9)
    V = integer_data(rng, 40_000, 8)
    V[30_000:30_005] = V[11]  # exact ties across the item ranges of different threads
    Q = integer_data(rng, 5, 8)
    Q[0] = V[11]
    ids = rng.permutation(40_000)
    index = ExactIndex(metric=metric)
    index.add(V, ids=ids)
    for batch in (Q, Q[:1]):
        got = index.search(batch, k=20)
        if metric == "cosine":  # rounded scores: compare up to near-ties, the 21st place included
            assert_same_ranking(*got, *reference_search(metric, batch, V, ids, 21), exact=False)
        else:
            assert_same_ranking(*got, *reference_search(metric, batch, V, ids, 20))


@pytest.mark.parametrize("metric", ["cosine", "sqeuclidean"])
@pytest.mark.parametrize("n_queries", [1, 5, 40])
def test_radius_at_the_kth_score_returns_the_top_k_whatever_the_batch_path(metric, n_queries):
    # continuous data (scores rounded): radius search and similarity compute keys as top-k does
    rng = np.random.default_rng(10)
    V = rng.normal(size=(3000, 24)).astype(np.float32)
    Q = rng.normal(size=(n_queries, 24)).astype(np.float32)
    index = ExactIndex(metric=metric)
    index.add(V)
    ids, scores = index.search(Q, k=6)
    np.testing.assert_array_equal(np.take_along_axis(index.similarity(Q), ids, axis=1), scores)
    similarity = metrics.get_metric(metric).higher_is_better
    loosest = int(np.argmin(scores[:, -1]) if similarity else np.argmax(scores[:, -1]))
    radius_ids, _ = index.search_radius(Q, threshold=float(scores[loosest, -1]))
    for row, got in zip(ids, radius_ids):
        np.testing.assert_array_equal(got[:6], row)
    assert len(radius_ids[loosest]) == 6  # its own 6th score is the threshold: reached, and nothing beyond
