"""Tests for xmodal.evaluation.metrics: hand-computed cases, sklearn agreement, chance levels, ties."""

import doctest
import itertools
import json
import math

import numpy as np
import pytest

from xmodal.evaluation import metrics
from xmodal.evaluation.metrics import (
    average_precision,
    chance_report,
    f1_at_k,
    first_relevant_rank,
    hit_at_k,
    mean_average_precision,
    median_rank,
    precision_at_k,
    precision_recall_curve,
    r_precision,
    recall_at_k,
    retrieval_report,
)


# --------------------------------------------------------------------------------------------------
# An independent reference: metrics of explicit rankings (no ties), one ranking per row.
# --------------------------------------------------------------------------------------------------


def ranked_reference(ranked, k):
    """Metrics of rankings given as ranked relevance (n_rankings, n), relevant first = rank 1."""
    ranked = np.asarray(ranked, dtype=float)
    n = ranked.shape[1]
    rank = np.arange(1, n + 1)
    hits = np.cumsum(ranked, axis=1)
    n_rel = hits[:, -1]
    safe = np.maximum(n_rel, 1)
    ap = (ranked * hits / rank).sum(axis=1) / safe
    k = min(k, n)
    rp_cut = np.maximum(n_rel, 1).astype(int)
    first = np.where(n_rel > 0, np.argmax(ranked > 0, axis=1) + 1.0, np.nan)
    return {
        "ap": ap,
        "p": hits[:, k - 1] / k,
        "recall": np.where(n_rel > 0, hits[:, k - 1] / safe, 0.0),
        "hit": (hits[:, k - 1] > 0).astype(float),
        "rp": np.where(n_rel > 0, hits[np.arange(len(hits)), rp_cut - 1] / rp_cut, 0.0),
        "first": first,
    }


def reference_from_scores(scores, relevant, k):
    """Reference metrics of untied score matrices (each row ranked by argsort)."""
    order = np.argsort(-scores, axis=1)
    return ranked_reference(np.take_along_axis(relevant, order, axis=1), k)


def reference_interpolated_precision(ranked_row, levels):
    ranked_row = np.asarray(ranked_row, dtype=float)
    hits = np.cumsum(ranked_row)
    precision = hits / np.arange(1, len(hits) + 1)
    recall = hits / hits[-1]
    return np.array([precision[recall >= level - 1e-12].max() for level in levels])


# --------------------------------------------------------------------------------------------------
# Hand-computed cases
# --------------------------------------------------------------------------------------------------


def test_hand_computed_untied_ranking():
    # Gallery order is scrambled on purpose; by score the ranking is
    #   rank: 1  2  3  4  5
    #   item: c  a  e  b  d        (scores .9 .8 .7 .6 .5)
    #   rel : R  .  R  .  R
    # AP = (1/1 + 2/3 + 3/5) / 3 = 0.755555...
    # P@1 = 1, P@2 = 1/2, P@3 = 2/3, P@5 = 3/5; R-precision = P@3 = 2/3
    # recall@2 = 1/3; hit@1 = 1; first relevant rank = 1
    scores = np.array([[0.8, 0.6, 0.9, 0.5, 0.7]])
    relevant = np.array([[False, False, True, True, True]])
    assert average_precision(scores, relevant)[0] == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    assert precision_at_k(scores, relevant, 1)[0] == pytest.approx(1.0)
    assert precision_at_k(scores, relevant, 2)[0] == pytest.approx(0.5)
    assert precision_at_k(scores, relevant, 3)[0] == pytest.approx(2 / 3)
    assert precision_at_k(scores, relevant, 5)[0] == pytest.approx(3 / 5)
    assert recall_at_k(scores, relevant, 2)[0] == pytest.approx(1 / 3)
    assert r_precision(scores, relevant)[0] == pytest.approx(2 / 3)
    assert hit_at_k(scores, relevant, 1)[0] == 1.0
    assert first_relevant_rank(scores, relevant)[0] == 1.0
    # F1@2 = 2 * (1/2)(1/3) / (1/2 + 1/3) = 2/5
    assert f1_at_k(scores, relevant, 2)[0] == pytest.approx(0.4)


def test_hand_computed_ranking_with_ties():
    # rank groups by score:   .9 | .5 .5 .5 | .1
    # relevant:               .  | one of 3 | R
    # The middle group (T=1 items before, t=3, r=1, R=0) puts its relevant item at rank 2, 3 or 4
    # with probability 1/3 each:
    #   AP = (1/2 + 2/5)/2 = .45,  (1/3 + 2/5)/2 = .3667,  (1/4 + 2/5)/2 = .325
    #   E[AP] = (13/36 + 2/5) / 2 = 137/360
    # P@2 = (0 + (2 - 1) * 1/3) / 2 = 1/6 = R-precision (n_rel = 2)
    # hit@2 = 1/3, hit@3 = 2/3, hit@4 = 1; first relevant rank = 1 + (3 + 1)/(1 + 1) = 3
    scores = np.array([[0.5, 0.9, 0.1, 0.5, 0.5]])
    relevant = np.array([[0, 0, 1, 1, 0]])
    assert average_precision(scores, relevant)[0] == pytest.approx(137 / 360)
    assert precision_at_k(scores, relevant, 2)[0] == pytest.approx(1 / 6)
    assert r_precision(scores, relevant)[0] == pytest.approx(1 / 6)
    assert hit_at_k(scores, relevant, 1)[0] == 0.0
    assert hit_at_k(scores, relevant, 2)[0] == pytest.approx(1 / 3)
    assert hit_at_k(scores, relevant, 3)[0] == pytest.approx(2 / 3)
    assert hit_at_k(scores, relevant, 4)[0] == pytest.approx(1.0)
    assert first_relevant_rank(scores, relevant)[0] == pytest.approx(3.0)
    # P@4 ends exactly on the group boundary: 1 relevant in the top 4.
    assert precision_at_k(scores, relevant, 4)[0] == pytest.approx(1 / 4)


def test_hand_computed_median_rank():
    # query 0: relevant at rank 1; query 1: rank 4; query 2: rank 2; query 3: no relevant item.
    # median over queries with a relevant item = median(1, 4, 2) = 2
    scores = np.tile([0.9, 0.8, 0.7, 0.6], (4, 1))
    relevant = np.array([[1, 0, 0, 1], [0, 0, 0, 1], [0, 1, 1, 0], [0, 0, 0, 0]], dtype=bool)
    ranks = first_relevant_rank(scores, relevant)
    np.testing.assert_array_equal(ranks[:3], [1.0, 4.0, 2.0])
    assert np.isnan(ranks[3])
    assert median_rank(scores, relevant) == 2.0
    # Even number of ranks: median(1, 4) = 2.5
    assert median_rank(scores[:2], relevant[:2]) == 2.5
    # No query with a relevant item: nan
    assert np.isnan(median_rank(scores[3:], relevant[3:]))


def test_query_without_relevant_items_counts_as_zero_in_map():
    # query 0: relevant at rank 1 -> AP 1; query 1: relevant at rank 2 -> AP 1/2; query 2: none.
    # MAP = (1 + 1/2 + 0) / 3 = 1/2, not 3/4 as it would be if query 2 were skipped.
    scores = np.tile([0.9, 0.8, 0.7], (3, 1))
    relevant = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=bool)
    np.testing.assert_allclose(average_precision(scores, relevant), [1.0, 0.5, 0.0])
    assert mean_average_precision(scores, relevant) == pytest.approx(0.5)
    for function in (precision_at_k, recall_at_k, f1_at_k, hit_at_k):
        assert function(scores, relevant, 2)[2] == 0.0
    assert r_precision(scores, relevant)[2] == 0.0
    report = retrieval_report(scores, relevant, ks=(1,))
    assert report["MAP"] == pytest.approx(0.5)
    assert report["R@1"] == pytest.approx(1 / 3)
    assert report["n_queries"] == 3
    assert report["n_without_relevant"] == 1
    assert report["median_rank"] == 1.5


# --------------------------------------------------------------------------------------------------
# Agreement with references on untied data
# --------------------------------------------------------------------------------------------------


def test_average_precision_matches_sklearn_without_ties():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(40, 60))
    assert all(len(np.unique(row)) == row.size for row in scores)
    relevant = rng.random((40, 60)) < 0.15
    relevant[:, 0] = True  # every query has a relevant item (sklearn needs one)
    ours = average_precision(scores, relevant)
    expected = [sklearn_metrics.average_precision_score(relevant[i], scores[i]) for i in range(40)]
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("k", [1, 3, 10, 60])
def test_cutoff_metrics_match_reference_without_ties(k):
    rng = np.random.default_rng(k)
    scores = rng.random((30, 60)).astype(np.float32)
    relevant = rng.random((30, 60)) < 0.1
    relevant[0] = False  # include a query without relevant items
    ref = reference_from_scores(scores, relevant, k)
    np.testing.assert_allclose(precision_at_k(scores, relevant, k), ref["p"], atol=1e-12)
    np.testing.assert_allclose(recall_at_k(scores, relevant, k), ref["recall"], atol=1e-12)
    np.testing.assert_allclose(hit_at_k(scores, relevant, k), ref["hit"], atol=1e-12)
    np.testing.assert_allclose(r_precision(scores, relevant), ref["rp"], atol=1e-12)
    np.testing.assert_allclose(first_relevant_rank(scores, relevant), ref["first"], atol=1e-12)
    np.testing.assert_allclose(average_precision(scores, relevant), ref["ap"], atol=1e-12)


def test_precision_recall_curve_matches_reference_without_ties():
    rng = np.random.default_rng(3)
    scores = rng.random((20, 30))
    relevant = rng.random((20, 30)) < 0.2
    relevant[:, 5] = True
    relevant[7] = False  # a query without relevant items is left out of the average
    levels, precision = precision_recall_curve(scores, relevant)
    np.testing.assert_allclose(levels, np.linspace(0, 1, 11))
    order = np.argsort(-scores, axis=1)
    ranked = np.take_along_axis(relevant, order, axis=1)
    expected = np.mean(
        [reference_interpolated_precision(ranked[i], levels) for i in range(20) if i != 7], axis=0
    )
    np.testing.assert_allclose(precision, expected, atol=1e-12)
    assert np.all(np.diff(precision) <= 1e-12)  # interpolated precision never increases


def test_precision_recall_curve_hand_computed():
    # ranking: R . R .  -> (recall, precision) at each cutoff: (.5, 1) (.5, .5) (1, 2/3) (1, .5)
    # interpolated at recall 0, .5, 1: max(1, 2/3) = 1, 1, 2/3
    levels, precision = precision_recall_curve([[4.0, 3.0, 2.0, 1.0]], [[1, 0, 1, 0]], n_points=3)
    np.testing.assert_allclose(levels, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(precision, [1.0, 1.0, 2 / 3])
    _, none = precision_recall_curve([[4.0, 3.0]], [[0, 0]])
    assert np.all(np.isnan(none))


# --------------------------------------------------------------------------------------------------
# Ties: constant scorer = chance level; Monte-Carlo tie breaking
# --------------------------------------------------------------------------------------------------


def expected_random_ap(n, r):
    """Closed form of E[AP] for a uniformly random ranking of n items with r relevant."""
    harmonic = sum(1.0 / j for j in range(1, n + 1))
    return (harmonic + (r - 1) * (n - harmonic) / (n - 1)) / n


def test_constant_scorer_equals_analytic_chance_level():
    n = 12
    n_rel = np.array([1, 2, 5, 12, 3])
    relevant = np.zeros((5, n), dtype=bool)
    for i, r in enumerate(n_rel):
        relevant[i, :r] = True  # relevant items first: gallery order would give a perfect score
    scores = np.full((5, n), 0.25)
    for k in (1, 3, 7, 12):
        np.testing.assert_allclose(precision_at_k(scores, relevant, k), n_rel / n, rtol=1e-12)
        np.testing.assert_allclose(recall_at_k(scores, relevant, k), np.full(5, k / n), rtol=1e-12)
        expected_hit = [1 - math.comb(n - r, k) / math.comb(n, k) for r in n_rel]
        np.testing.assert_allclose(hit_at_k(scores, relevant, k), expected_hit, rtol=1e-10)
    np.testing.assert_allclose(hit_at_k(scores, relevant, 1), n_rel / n, rtol=1e-10)
    np.testing.assert_allclose(r_precision(scores, relevant), n_rel / n, rtol=1e-12)
    np.testing.assert_allclose(first_relevant_rank(scores, relevant), (n + 1) / (n_rel + 1), rtol=1e-12)
    np.testing.assert_allclose(
        average_precision(scores, relevant), [expected_random_ap(n, r) for r in n_rel], rtol=1e-12
    )


def test_constant_scorer_ap_equals_exhaustive_mean_over_all_rankings():
    # n = 7 items, 3 relevant: average the AP of all 7! orderings exactly.
    relevant_row = np.array([1, 1, 1, 0, 0, 0, 0], dtype=bool)
    rankings = np.array([relevant_row[list(p)] for p in itertools.permutations(range(7))])
    exact = ranked_reference(rankings, k=3)
    scores = np.zeros((1, 7))
    assert average_precision(scores, relevant_row[None])[0] == pytest.approx(exact["ap"].mean(), abs=1e-12)
    assert precision_at_k(scores, relevant_row[None], 3)[0] == pytest.approx(exact["p"].mean(), abs=1e-12)
    assert hit_at_k(scores, relevant_row[None], 3)[0] == pytest.approx(exact["hit"].mean(), abs=1e-12)
    expected_first = exact["first"].mean()
    assert first_relevant_rank(scores, relevant_row[None])[0] == pytest.approx(expected_first, abs=1e-12)


def test_constant_scorer_is_independent_of_gallery_order():
    rng = np.random.default_rng(5)
    relevant = rng.random((6, 20)) < 0.3
    relevant[:, 0] = True
    scores = np.ones((6, 20))
    report = retrieval_report(scores, relevant)
    for _ in range(3):
        permutation = rng.permutation(20)
        shuffled = retrieval_report(scores, relevant[:, permutation])
        assert shuffled == pytest.approx(report, rel=1e-12)
    # Sorting relevant items first (what gallery-order tie breaking rewards) changes nothing.
    relevant_first = -np.sort(-relevant.astype(int), axis=1)
    assert retrieval_report(scores, relevant_first) == pytest.approx(report, rel=1e-12)
    assert report["MAP"] < 0.7  # far from the perfect MAP a gallery-order tie break would give


def test_chance_report_equals_constant_scorer_and_analytic_values():
    rng = np.random.default_rng(8)
    n = 25
    relevant = rng.random((10, n)) < 0.2
    relevant[3] = False
    report = chance_report(relevant, ks=(1, 5))
    assert report == pytest.approx(retrieval_report(np.zeros((10, n)), relevant, ks=(1, 5)))
    n_rel = relevant.sum(axis=1)
    assert report["P@5"] == pytest.approx(np.mean(n_rel / n))
    assert report["R@1"] == pytest.approx(np.mean(n_rel / n))
    assert report["recall@5"] == pytest.approx(np.mean(np.where(n_rel > 0, 5 / n, 0.0)))
    assert report["R-precision"] == pytest.approx(np.mean(n_rel / n))
    expected_map = np.mean([expected_random_ap(n, r) if r else 0.0 for r in n_rel])
    assert report["MAP"] == pytest.approx(expected_map)
    assert report["n_without_relevant"] == 1


def test_constant_scorer_precision_recall_curve_is_flat_at_base_rate():
    relevant = np.array([[1, 0, 0, 0, 1, 0, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0]], dtype=bool)
    _, precision = precision_recall_curve(np.zeros((2, 8)), relevant)
    np.testing.assert_allclose(precision, np.full(11, (2 / 8 + 4 / 8) / 2), rtol=1e-12)


def test_tie_aware_values_equal_mean_over_random_tie_breakings():
    # Scores with heavy ties; breaking ties uniformly at random many times and averaging the
    # untied metrics must converge to the tie-aware values.
    rng = np.random.default_rng(11)
    scores = np.array(
        [
            [0.3, 0.3, 0.9, 0.3, 0.1, 0.3, 0.9, 0.1, 0.5, 0.5],
            [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.7, 0.7, 0.2],
            [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        ]
    )
    relevant = np.array(
        [
            [1, 0, 0, 1, 1, 0, 1, 0, 0, 0],
            [0, 1, 0, 0, 1, 0, 0, 0, 0, 1],
            [0, 0, 1, 0, 0, 0, 0, 1, 0, 0],
        ],
        dtype=bool,
    )
    n_trials = 40_000
    k = 3
    for q in range(3):
        # Jitter below the smallest gap between distinct scores keeps their order and shuffles ties.
        jitter = rng.uniform(0.0, 0.01, size=(n_trials, 10))
        broken = scores[q] + jitter
        order = np.argsort(-broken, axis=1)
        mc = ranked_reference(relevant[q][order], k)
        one_scores, one_relevant = scores[q : q + 1], relevant[q : q + 1]
        assert average_precision(one_scores, one_relevant)[0] == pytest.approx(mc["ap"].mean(), abs=0.006)
        assert precision_at_k(one_scores, one_relevant, k)[0] == pytest.approx(mc["p"].mean(), abs=0.006)
        assert recall_at_k(one_scores, one_relevant, k)[0] == pytest.approx(mc["recall"].mean(), abs=0.006)
        assert hit_at_k(one_scores, one_relevant, k)[0] == pytest.approx(mc["hit"].mean(), abs=0.01)
        assert r_precision(one_scores, one_relevant)[0] == pytest.approx(mc["rp"].mean(), abs=0.006)
        assert first_relevant_rank(one_scores, one_relevant)[0] == pytest.approx(mc["first"].mean(), abs=0.05)


def test_metrics_invariant_to_gallery_permutation_with_ties():
    rng = np.random.default_rng(2)
    scores = rng.integers(0, 4, size=(15, 30)).astype(float)  # many ties
    relevant = rng.random((15, 30)) < 0.25
    permutation = rng.permutation(30)
    before = retrieval_report(scores, relevant, ks=(1, 3, 10))
    after = retrieval_report(scores[:, permutation], relevant[:, permutation], ks=(1, 3, 10))
    assert after == pytest.approx(before, rel=1e-12)


def test_untied_scores_order_preserving_transform_changes_nothing():
    rng = np.random.default_rng(4)
    scores = rng.normal(size=(10, 40))
    relevant = rng.random((10, 40)) < 0.2
    report = retrieval_report(scores, relevant)
    assert retrieval_report(np.exp(scores), relevant) == pytest.approx(report)
    assert retrieval_report(scores.astype(np.float32), relevant) == pytest.approx(report)


# --------------------------------------------------------------------------------------------------
# Report, blocks, clipping
# --------------------------------------------------------------------------------------------------


def test_retrieval_report_keys_values_and_json():
    rng = np.random.default_rng(6)
    scores = rng.random((12, 20))
    relevant = rng.random((12, 20)) < 0.2
    relevant[0] = False
    report = retrieval_report(scores, relevant, ks=(1, 5, 10))
    assert list(report) == [
        "MAP", "R@1", "R@5", "R@10", "P@1", "P@5", "P@10",
        "recall@1", "recall@5", "recall@10", "R-precision", "median_rank",
        "n_queries", "n_without_relevant",
    ]  # fmt: skip
    json.dumps(report, allow_nan=False)
    assert all(type(v) is float for key, v in report.items() if not key.startswith("n_"))
    assert type(report["n_queries"]) is int and report["n_queries"] == 12
    assert report["n_without_relevant"] == int((relevant.sum(axis=1) == 0).sum())
    assert report["MAP"] == pytest.approx(mean_average_precision(scores, relevant))
    assert report["R@5"] == pytest.approx(hit_at_k(scores, relevant, 5).mean())
    assert report["P@10"] == pytest.approx(precision_at_k(scores, relevant, 10).mean())
    assert report["recall@5"] == pytest.approx(recall_at_k(scores, relevant, 5).mean())
    assert report["R-precision"] == pytest.approx(r_precision(scores, relevant).mean())
    assert report["median_rank"] == pytest.approx(median_rank(scores, relevant))


def test_report_median_rank_is_none_without_any_relevant_item():
    report = retrieval_report(np.random.default_rng(0).random((3, 4)), np.zeros((3, 4), dtype=bool))
    assert report["median_rank"] is None
    assert report["MAP"] == 0.0 and report["n_without_relevant"] == 3
    json.dumps(report, allow_nan=False)


def test_k_larger_than_gallery_is_clipped():
    rng = np.random.default_rng(9)
    scores = rng.random((4, 6))
    relevant = rng.random((4, 6)) < 0.5
    for function in (precision_at_k, recall_at_k, f1_at_k, hit_at_k):
        np.testing.assert_array_equal(function(scores, relevant, 100), function(scores, relevant, 6))
    report = retrieval_report(scores, relevant, ks=(1, 50))
    assert report["P@50"] == pytest.approx(precision_at_k(scores, relevant, 6).mean())


def test_f1_is_harmonic_mean_of_expected_precision_and_recall():
    rng = np.random.default_rng(12)
    scores = rng.integers(0, 3, size=(10, 15)).astype(float)
    relevant = rng.random((10, 15)) < 0.3
    relevant[:, 0] = True
    p = precision_at_k(scores, relevant, 4)
    r = recall_at_k(scores, relevant, 4)
    expected = np.where(p + r > 0, 2 * p * r / np.where(p + r > 0, p + r, 1), 0.0)
    np.testing.assert_allclose(f1_at_k(scores, relevant, 4), expected, atol=1e-12)


def test_results_do_not_depend_on_block_size(monkeypatch):
    rng = np.random.default_rng(10)
    scores = rng.integers(0, 5, size=(23, 17)).astype(float)
    relevant = rng.random((23, 17)) < 0.3
    whole = retrieval_report(scores, relevant)
    curve = precision_recall_curve(scores, relevant)[1]
    monkeypatch.setattr(metrics, "_BLOCK_ENTRIES", 40)  # blocks of 2 queries
    assert retrieval_report(scores, relevant) == pytest.approx(whole, rel=1e-12)
    np.testing.assert_allclose(precision_recall_curve(scores, relevant)[1], curve, rtol=1e-12)


def test_integer_relevance_and_integer_scores_are_accepted():
    scores = np.array([[3, 1, 2]])
    relevant = np.array([[0, 1, 1]])
    # ranking: .  R  R  -> AP = (1/2 + 2/3) / 2
    assert average_precision(scores, relevant)[0] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert average_precision(scores.astype(np.uint8), relevant.astype(np.uint8))[0] == pytest.approx(7 / 12)


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------


GOOD_SCORES = np.array([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]])
GOOD_RELEVANT = np.array([[True, False, False], [False, True, False]])


@pytest.mark.parametrize(
    "scores, relevant, error, pattern",
    [
        (np.array([0.1, 0.2]), np.array([True, False]), ValueError, "scores must be a 2-D"),
        (GOOD_SCORES, GOOD_RELEVANT[0], ValueError, "relevant must be a 2-D"),
        (GOOD_SCORES, GOOD_RELEVANT[:, :2], ValueError, "relevant has shape"),
        (np.array([[0.1, np.nan, 0.3]]), [[1, 0, 0]], ValueError, r"scores must be finite.*\(0, 1\)"),
        (np.array([[0.1, 0.2, np.inf]]), np.array([[1, 0, 0]]), ValueError, "scores must be finite"),
        (np.array([[0.1, 0.2, -np.inf]]), np.array([[1, 0, 0]]), ValueError, "scores must be finite"),
        (GOOD_SCORES, [[1, 0, 2], [0, 0, 0]], ValueError, r"relevant must contain only 0 and 1.*\(0, 2\)"),
        (GOOD_SCORES, np.array([[1, 0, -1], [0, 0, 0]]), ValueError, "relevant must contain only 0 and 1"),
        (GOOD_SCORES, GOOD_RELEVANT.astype(float), TypeError, "relevant must be boolean"),
        (GOOD_SCORES, GOOD_RELEVANT.astype(str), TypeError, "relevant must be boolean"),
        (GOOD_RELEVANT, GOOD_RELEVANT, TypeError, "scores must be numeric"),
        (GOOD_SCORES.astype(str), GOOD_RELEVANT, TypeError, "scores must be a numeric"),
        (np.zeros((0, 3)), np.zeros((0, 3), dtype=bool), ValueError, "at least one query"),
        (np.zeros((2, 0)), np.zeros((2, 0), dtype=bool), ValueError, "at least one query"),
    ],
)
def test_invalid_inputs_raise(scores, relevant, error, pattern):
    with pytest.raises(error, match=pattern):
        average_precision(scores, relevant)
    with pytest.raises(error, match=pattern):
        retrieval_report(scores, relevant)


@pytest.mark.parametrize(
    "k, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError), (True, TypeError), ("3", TypeError)]
)
def test_invalid_k_raises(k, error):
    for function in (precision_at_k, recall_at_k, f1_at_k, hit_at_k):
        with pytest.raises(error, match="k must be a positive integer"):
            function(GOOD_SCORES, GOOD_RELEVANT, k)


def test_numpy_integer_k_is_accepted():
    np.testing.assert_array_equal(
        precision_at_k(GOOD_SCORES, GOOD_RELEVANT, np.int64(2)), precision_at_k(GOOD_SCORES, GOOD_RELEVANT, 2)
    )


def test_invalid_ks_and_n_points_raise():
    with pytest.raises(ValueError, match=r"ks\[1\] must be a positive integer"):
        retrieval_report(GOOD_SCORES, GOOD_RELEVANT, ks=(1, 0))
    with pytest.raises(ValueError, match="at least one cutoff"):
        retrieval_report(GOOD_SCORES, GOOD_RELEVANT, ks=())
    with pytest.raises(TypeError, match="ks"):
        chance_report(GOOD_RELEVANT, ks=1.5)
    with pytest.raises(ValueError, match="n_points"):
        precision_recall_curve(GOOD_SCORES, GOOD_RELEVANT, n_points=1)
    with pytest.raises(TypeError, match="n_points"):
        precision_recall_curve(GOOD_SCORES, GOOD_RELEVANT, n_points=2.0)
    with pytest.raises(ValueError, match="relevant must contain only 0 and 1"):
        chance_report([[0, 3]])


def test_docstring_examples_run():
    result = doctest.testmod(metrics, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
