"""Tie-aware retrieval metrics: MAP, P@K, R@K, F1@K, R-precision, hit@K, ranks, PR curves.

Every metric takes ``scores`` of shape (n_queries, n_gallery), where a higher score means more
similar, and ``relevant``, a boolean matrix of the same shape.

Ties
----
Ranking by ``argsort`` breaks tied scores by gallery order, so a constant scorer gets a perfect MAP
whenever the relevant items happen to be stored first. Here every metric is instead the *expected
value under a uniformly random ordering of tied scores* (McSherry & Najork, "Computing information
retrieval performance measures efficiently in the presence of tied scores", ECIR 2008). Untied
scores give the usual values; a constant scorer gives exactly the chance level of a random ranking,
whatever the gallery order.

The ranked list is cut into tie groups. For a group of ``t`` items holding ``r`` relevant ones,
preceded by ``T`` items holding ``R`` relevant ones, each of the ``t`` positions is relevant with
probability ``r / t``, so the expected number of relevant items in the top ``K`` (``K`` inside or
at the end of that group) is

    E[hits@K] = R + (K - T) * r / t.

Queries without relevant items
------------------------------
They are *not* skipped (skipping inflates MAP): their AP, P@K, R@K, F1@K, R-precision and hit@K
are 0 and they count in every mean. Their first-relevant rank is ``nan`` and the median rank is
taken over the queries that have a relevant item. :func:`retrieval_report` says how many there were.

``k`` larger than ``n_gallery`` is clipped to ``n_gallery``.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

__all__ = [
    "average_precision",
    "chance_report",
    "f1_at_k",
    "first_relevant_rank",
    "hit_at_k",
    "mean_average_precision",
    "median_rank",
    "precision_at_k",
    "precision_recall_curve",
    "r_precision",
    "recall_at_k",
    "retrieval_report",
]

# Queries are ranked in blocks of about this many matrix entries, to bound temporary memory.
_BLOCK_ENTRIES = 1 << 20
# Slack when comparing a query's recall to an interpolation level such as 0.30000000000000004.
_RECALL_SLACK = 1e-9


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------


def _check_relevant(relevant, shape=None):
    """Return ``relevant`` as a 2-D bool array (accepting 0/1 integers), or raise."""
    relevant = np.asarray(relevant)
    if relevant.ndim != 2:
        raise ValueError(
            f"relevant must be a 2-D array (n_queries, n_gallery); got {relevant.ndim} dimension(s)"
        )
    if shape is not None and relevant.shape != shape:
        raise ValueError(
            f"relevant has shape {relevant.shape} but scores has shape {shape}; they must match"
        )
    if relevant.shape[0] == 0 or relevant.shape[1] == 0:
        raise ValueError(
            f"relevant must have at least one query and one gallery item; got shape {relevant.shape}"
        )
    if relevant.dtype == np.bool_:
        return relevant
    if relevant.dtype.kind not in "iu":
        raise TypeError(
            f"relevant must be boolean (or integers 0/1); got dtype {relevant.dtype}. "
            "Convert it explicitly, e.g. relevant.astype(bool)"
        )
    bad = (relevant != 0) & (relevant != 1)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"relevant must contain only 0 and 1; found {relevant[i, j]} at position ({i}, {j})"
        )
    return relevant.astype(bool)


def _check_inputs(scores, relevant):
    """Return ``(scores, relevant)`` validated: 2-D, same shape, finite numeric scores, bool relevance."""
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"scores must be a 2-D array (n_queries, n_gallery); got {scores.ndim} dimension(s)")
    if scores.dtype == np.bool_:
        raise TypeError("scores must be numeric, got a boolean array; were scores and relevant swapped?")
    if scores.dtype.kind not in "iuf":
        raise TypeError(f"scores must be a numeric array; got dtype {scores.dtype}")
    relevant = _check_relevant(relevant, shape=scores.shape)
    if scores.dtype.kind == "f":
        finite = np.isfinite(scores)
        if not finite.all():
            i, j = np.argwhere(~finite)[0]
            raise ValueError(
                f"scores must be finite; found {scores[i, j]} at position ({i}, {j})"
            )
    return scores, relevant


def _check_k(k, n_gallery, name="k"):
    """Return ``k`` as an int clipped to ``n_gallery``; raise unless it is a positive integer."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, Integral):
        raise TypeError(f"{name} must be a positive integer; got {k!r}")
    if k < 1:
        raise ValueError(f"{name} must be a positive integer; got {k}")
    return min(int(k), n_gallery)


def _check_ks(ks, n_gallery):
    """Return ``[(k_as_given, k_clipped), ...]`` for an iterable of positive integers."""
    if isinstance(ks, Integral):
        ks = (ks,)
    try:
        ks = list(ks)
    except TypeError:
        raise TypeError(f"ks must be an iterable of positive integers; got {ks!r}") from None
    if not ks:
        raise ValueError("ks must contain at least one cutoff")
    return [(int(k), _check_k(k, n_gallery, name=f"ks[{i}]")) for i, k in enumerate(ks)]


# --------------------------------------------------------------------------------------------------
# Tie groups of a block of queries
# --------------------------------------------------------------------------------------------------


class _TiedRanking:
    """Tie-group bookkeeping for a block of queries, at every rank position (private).

    For the item at rank position ``p`` (0-based) of query ``q``, with its tie group:

    - ``n_before[q, p]``        T, number of items ranked strictly above the group;
    - ``group_size[q, p]``      t, number of items in the group;
    - ``relevant_before[q, p]`` R, number of relevant items strictly above the group;
    - ``relevant_in[q, p]``     r, number of relevant items in the group.
    """

    def __init__(self, scores, relevant):
        n_rows, n_gallery = scores.shape
        # Ascending sort reversed: descending order, with ties in some order that does not matter.
        order = np.argsort(scores, axis=1)[:, ::-1]
        ranked_scores = np.take_along_axis(scores, order, axis=1)
        ranked_relevant = np.take_along_axis(relevant, order, axis=1)
        starts_group = np.ones((n_rows, n_gallery), dtype=bool)
        np.not_equal(ranked_scores[:, 1:], ranked_scores[:, :-1], out=starts_group[:, 1:])
        ends_group = np.ones((n_rows, n_gallery), dtype=bool)
        ends_group[:, :-1] = starts_group[:, 1:]
        positions = np.arange(n_gallery)
        group_start = np.maximum.accumulate(np.where(starts_group, positions, 0), axis=1)
        group_stop = np.minimum.accumulate(
            np.where(ends_group, positions + 1, n_gallery)[:, ::-1], axis=1
        )[:, ::-1]
        cumulative = np.zeros((n_rows, n_gallery + 1), dtype=np.int64)
        np.cumsum(ranked_relevant, axis=1, out=cumulative[:, 1:])
        self.n_gallery = n_gallery
        self.n_before = group_start
        self.group_size = group_stop - group_start
        self.relevant_before = np.take_along_axis(cumulative, group_start, axis=1)
        self.relevant_in = np.take_along_axis(cumulative, group_stop, axis=1) - self.relevant_before
        self.n_relevant = cumulative[:, -1]

    def _groups_at(self, cutoffs):
        """(T, t, R, r) of the group holding rank ``cutoffs`` (1-based, one per query)."""
        index = (cutoffs - 1)[:, None]
        return tuple(
            np.take_along_axis(a, index, axis=1)[:, 0]
            for a in (self.n_before, self.group_size, self.relevant_before, self.relevant_in)
        )

    def _cutoffs(self, k):
        return np.broadcast_to(np.asarray(k, dtype=np.int64), self.n_relevant.shape)

    def expected_hits(self, k):
        """E[number of relevant items in the top k] = R + (k - T) r / t (k scalar or per query)."""
        cutoffs = self._cutoffs(k)
        n_before, size, rel_before, rel_in = self._groups_at(cutoffs)
        # Integer product first, so that a cutoff at the end of a group gives exactly R + r.
        return rel_before + ((cutoffs - n_before) * rel_in) / size

    def average_precision(self):
        """Expected AP of each query (0 for a query without relevant items)."""
        n_rows = self.n_relevant.size
        contributing = self.relevant_in > 0  # only groups holding a relevant item contribute
        if np.count_nonzero(contributing) < contributing.size // 4:
            rows, positions = np.nonzero(contributing)
            pick = (rows, positions)
        else:  # dense: cheaper to compute every position than to gather
            rows = np.repeat(np.arange(n_rows), self.n_gallery)
            positions = np.tile(np.arange(self.n_gallery), n_rows)
            pick = (slice(None),)
        rank = positions + 1
        size = self.group_size[pick].ravel()
        rel_in = self.relevant_in[pick].ravel()
        within = rank - self.n_before[pick].ravel()  # j = 1..t, position inside the tie group
        expected_count = (
            self.relevant_before[pick].ravel() + 1 + (within - 1) * (rel_in - 1) / np.maximum(size - 1, 1)
        )
        per_position = (rel_in / size) * expected_count / rank
        total = np.bincount(rows, weights=per_position, minlength=n_rows)
        return total / np.maximum(self.n_relevant, 1)

    def hit(self, k):
        """P(at least one relevant item in the top k) under random tie order."""
        from scipy.special import gammaln

        cutoffs = self._cutoffs(k)
        n_before, size, rel_before, rel_in = self._groups_at(cutoffs)
        drawn = cutoffs - n_before  # items taken from the straddling group
        # Hypergeometric P(no relevant among `drawn` of `size` items holding `rel_in`) > 0 only if
        # there are at least `drawn` non-relevant items in the group.
        uncertain = (rel_before == 0) & (rel_in > 0) & (size - rel_in >= drawn)
        hit = np.where(rel_before > 0, 1.0, np.where(rel_in > 0, 1.0, 0.0))
        if uncertain.any():
            t = size[uncertain].astype(np.float64)
            r = rel_in[uncertain]
            m = drawn[uncertain]
            log_miss = (gammaln(t - r + 1) - gammaln(t + 1)) + (gammaln(t - m + 1) - gammaln(t - r - m + 1))
            hit[uncertain] = -np.expm1(log_miss)
        return hit

    def first_relevant_rank(self):
        """Expected 1-based rank of the first relevant item, T + (t + 1) / (r + 1); nan if none."""
        first = np.argmax(self.relevant_in > 0, axis=1)
        n_before, size, _, rel_in = self._groups_at(first + 1)
        rank = n_before + (size + 1) / (rel_in + 1)
        return np.where(self.n_relevant > 0, rank, np.nan)

    def interpolated_precision(self, levels):
        """Interpolated precision at each recall level, per query (rows without relevant: nan)."""
        rank = np.arange(1, self.n_gallery + 1)
        hits = self.relevant_before + ((rank - self.n_before) * self.relevant_in) / self.group_size
        precision = hits / rank
        recall = hits / np.maximum(self.n_relevant, 1)[:, None]
        best_from = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
        out = np.empty((hits.shape[0], len(levels)))
        for i, level in enumerate(levels):
            # Recall never decreases with rank: count the cutoffs still below the level.
            first = np.count_nonzero(recall < level - _RECALL_SLACK, axis=1)
            first = np.minimum(first, self.n_gallery - 1)
            out[:, i] = best_from[np.arange(hits.shape[0]), first]
        out[self.n_relevant == 0] = np.nan
        return out


def _per_query(scores, relevant, compute):
    """Apply ``compute(_TiedRanking) -> dict of per-query arrays`` block by block and concatenate."""
    n_queries, n_gallery = scores.shape
    rows = max(1, _BLOCK_ENTRIES // n_gallery)
    pieces = [
        compute(_TiedRanking(scores[start : start + rows], relevant[start : start + rows]))
        for start in range(0, n_queries, rows)
    ]
    return {key: np.concatenate([piece[key] for piece in pieces]) for key in pieces[0]}


def _safe_ratio(numerator, denominator):
    """numerator / denominator, with 0 where the denominator is 0."""
    return np.where(denominator > 0, numerator / np.maximum(denominator, 1), 0.0)


# --------------------------------------------------------------------------------------------------
# Public metrics
# --------------------------------------------------------------------------------------------------


def average_precision(scores, relevant):
    """Expected average precision of each query under a random order of tied scores.

    For a query with ``n_rel`` relevant items and ranked relevance ``rel_1, rel_2, ...``,

        AP = (1 / n_rel) * sum_p rel_p * (number of relevant items in ranks 1..p) / p.

    With ties, the expectation is taken over uniformly random orders within each tie group. For a
    group of ``t`` items holding ``r`` relevant ones, preceded by ``T`` items holding ``R``
    relevant ones, the ``j``-th position of the group (``j = 1..t``, rank ``p = T + j``) is
    relevant with probability ``r / t`` and, given that, expects
    ``R + 1 + (j - 1)(r - 1)/(t - 1)`` relevant items up to it, so

        E[AP] = (1 / n_rel) * sum_groups sum_j (r / t) * (R + 1 + (j - 1)(r - 1)/(t - 1)) / (T + j).

    A query without relevant items has AP 0.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_gallery)
        Similarity of every query to every gallery item; higher is more similar. Must be finite.
    relevant : array-like of shape (n_queries, n_gallery)
        Boolean (or 0/1 integer) relevance of every gallery item to every query.

    Returns
    -------
    ap : ndarray of shape (n_queries,), float64
        Expected average precision of each query, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.evaluation.metrics import average_precision
    >>> scores = np.array([[0.9, 0.8, 0.7, 0.6], [1.0, 1.0, 1.0, 1.0]])
    >>> relevant = np.array([[0, 1, 0, 1], [1, 0, 0, 0]], dtype=bool)
    >>> average_precision(scores, relevant)  # (1/2 + 2/4) / 2, and (1 + 1/2 + 1/3 + 1/4) / 4
    array([0.5       , 0.52083333])
    """
    scores, relevant = _check_inputs(scores, relevant)
    return _per_query(scores, relevant, lambda block: {"ap": block.average_precision()})["ap"]


def mean_average_precision(scores, relevant):
    """Mean over *all* queries of the expected average precision.

    MAP = (1 / n_queries) * sum_q E[AP_q]; queries without relevant items count with AP 0
    (see :func:`average_precision`).

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_gallery)
        Similarity of every query to every gallery item; higher is more similar. Must be finite.
    relevant : array-like of shape (n_queries, n_gallery)
        Boolean (or 0/1 integer) relevance.

    Returns
    -------
    map : float
        Mean average precision, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.evaluation.metrics import mean_average_precision
    >>> scores = np.array([[0.9, 0.8, 0.7], [0.9, 0.8, 0.7]])
    >>> relevant = np.array([[1, 0, 0], [0, 0, 0]], dtype=bool)
    >>> mean_average_precision(scores, relevant)  # (1 + 0) / 2
    0.5
    """
    return float(np.mean(average_precision(scores, relevant)))


def precision_at_k(scores, relevant, k):
    """Expected precision at rank ``k`` of each query.

    P@K = E[hits@K] / K, where, for the tie group of ``t`` items (``r`` relevant) that holds rank
    ``K`` and is preceded by ``T`` items (``R`` relevant), E[hits@K] = R + (K - T) * r / t.
    ``k`` larger than ``n_gallery`` is clipped to ``n_gallery``.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_gallery)
        Similarity scores; higher is more similar. Must be finite.
    relevant : array-like of shape (n_queries, n_gallery)
        Boolean (or 0/1 integer) relevance.
    k : int
        Cutoff rank, a positive integer.

    Returns
    -------
    precision : ndarray of shape (n_queries,), float64
        Expected fraction of relevant items among the top ``k``.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.evaluation.metrics import precision_at_k
    >>> scores = np.array([[0.9, 0.5, 0.5, 0.1]])
    >>> relevant = np.array([[1, 1, 0, 0]], dtype=bool)
    >>> precision_at_k(scores, relevant, 2)  # (1 + 1 * 1/2) / 2
    array([0.75])
    """
    scores, relevant = _check_inputs(scores, relevant)
    k = _check_k(k, scores.shape[1])
    return _per_query(scores, relevant, lambda block: {"p": block.expected_hits(k) / k})["p"]


def recall_at_k(scores, relevant, k):
    """Expected fraction of each query's relevant items that are in the top ``k``.

    R@K = E[hits@K] / n_rel, with E[hits@K] as in :func:`precision_at_k`; 0 for a query without
    relevant items. This is the information-retrieval recall; for the "Recall@K" of
    image-caption papers (is *any* relevant item in the top K?) see :func:`hit_at_k`.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_gallery)
        Similarity scores; higher is more similar. Must be finite.
    relevant : array-like of shape (n_queries, n_gallery)
        Boolean (or 0/1 integer) relevance.
    k : int
        Cutoff rank, a positive integer (clipped to ``n_gallery``).

    Returns
    -------
    recall : ndarray of shape (n_queries,), float64
        Expected recall at ``k``, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.evaluation.metrics import recall_at_k
    >>> scores = np.array([[0.9, 0.8, 0.7, 0.6]])
    >>> relevant = np.array([[1, 0, 1, 1]], dtype=bool)
    >>> recall_at_k(scores, relevant, 3)  # 2 of the 3 relevant items
    array([0.66666667])
    """
    scores, relevant = _check_inputs(scores, relevant)
    k = _check_k(k, scores.shape[1])

    def compute(block):
        return {"r": _safe_ratio(block.expected_hits(k), block.n_relevant)}

    return _per_query(scores, relevant, compute)["r"]


def f1_at_k(scores, relevant, k):
    """Harmonic mean of the expected P@K and the expected R@K of each query.

    F1@K = 2 P R / (P + R) = 2 E[hits@K] / (K + n_rel), with P and R the expected values of
    :func:`precision_at_k` and :func:`recall_at_k`. Because ``2 hits / (K + n_rel)`` is linear in
    the number of hits, this is also exactly the expected F1@K under a random order of ties.
    0 for a query without relevant items.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_gallery)
        Similarity scores; higher is more similar. Must be finite.
    relevant : array-like of shape (n_queries, n_gallery)
        Boolean (or 0/1 integer) relevance.
    k : int
        Cutoff rank, a positive integer (clipped to ``n_gallery``).

    Returns
    -------
    f1 : ndarray of shape (n_queries,), float64
        F1 at ``k``, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.evaluation.metrics import f1_at_k
    >>> scores = np.array([[0.9, 0.8, 0.7, 0.6]])
    >>> relevant = np.array([[1, 0, 1, 0]], dtype=bool)
    >>> f1_at_k(scores, relevant, 2)  # P = 1/2, R = 1/2
    array([0.5])
    """
    scores, relevant = _check_inputs(scores, relevant)
    k = _check_k(k, scores.shape[1])

    def compute(block):
        return {"f1": 2.0 * block.expected_hits(k) / (k + block.n_relevant)}

    return _per_query(scores, relevant, compute)["f1"]


def r_precision(scores, relevant):
    """Expected precision at rank ``n_rel``, the number of relevant items of the query.

    R-precision = E[hits@n_rel] / n_rel (which is also the recall at ``n_rel``); 0 for a query
    without relevant items. Ties are handled as in :func:`precision_at_k`.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_gallery)
        Similarity scores; higher is more similar. Must be finite.
    relevant : array-like of shape (n_queries, n_gallery)
        Boolean (or 0/1 integer) relevance.

    Returns
    -------
    r_precision : ndarray of shape (n_queries,), float64
        Expected R-precision of each query, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.evaluation.metrics import r_precision
    >>> scores = np.array([[0.9, 0.8, 0.7, 0.6]])
    >>> relevant = np.array([[1, 0, 1, 0]], dtype=bool)
    >>> r_precision(scores, relevant)  # 1 relevant item in the top 2
    array([0.5])
    """
    scores, relevant = _check_inputs(scores, relevant)
    return _per_query(scores, relevant, lambda block: {"rp": _r_precision(block)})["rp"]


def _r_precision(block):
    cutoffs = np.maximum(block.n_relevant, 1)
    return np.where(block.n_relevant > 0, block.expected_hits(cutoffs) / cutoffs, 0.0)


def hit_at_k(scores, relevant, k):
    """Probability that at least one relevant item is in the top ``k`` (the "Recall@K" of papers).

    Image-caption retrieval papers call this Recall@K. Let the tie group holding rank ``K`` have
    ``t`` items, ``r`` of them relevant, preceded by ``T`` items holding ``R`` relevant ones; the
    top ``K`` takes ``m = K - T`` items of that group at random. Then

        hit@K = 1                                        if R > 0,
              = 1 - C(t - r, m) / C(t, m)                otherwise (hypergeometric; 0 if r = 0).

    0 for a query without relevant items.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_gallery)
        Similarity scores; higher is more similar. Must be finite.
    relevant : array-like of shape (n_queries, n_gallery)
        Boolean (or 0/1 integer) relevance.
    k : int
        Cutoff rank, a positive integer (clipped to ``n_gallery``).

    Returns
    -------
    hit : ndarray of shape (n_queries,), float64
        Probability of a hit in the top ``k``, in [0, 1]; its mean is the paper's Recall@K.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.evaluation.metrics import hit_at_k
    >>> scores = np.array([[0.9, 0.8, 0.7, 0.6], [0.5, 0.5, 0.5, 0.5]])
    >>> relevant = np.array([[0, 1, 0, 0], [0, 1, 0, 0]], dtype=bool)
    >>> hit_at_k(scores, relevant, 1)  # miss; and 1 relevant out of 4 tied items
    array([0.  , 0.25])
    """
    scores, relevant = _check_inputs(scores, relevant)
    k = _check_k(k, scores.shape[1])
    return _per_query(scores, relevant, lambda block: {"hit": block.hit(k)})["hit"]


def first_relevant_rank(scores, relevant):
    """Expected 1-based rank of the first relevant item of each query.

    If the first tie group that contains a relevant item has ``t`` items, ``r`` of them relevant,
    and is preceded by ``T`` items, the first relevant item is expected at rank

        T + (t + 1) / (r + 1)

    (the expected minimum of ``r`` positions drawn at random from ``1..t``). ``nan`` for a query
    without relevant items.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_gallery)
        Similarity scores; higher is more similar. Must be finite.
    relevant : array-like of shape (n_queries, n_gallery)
        Boolean (or 0/1 integer) relevance.

    Returns
    -------
    rank : ndarray of shape (n_queries,), float64
        Expected rank, in [1, n_gallery], or ``nan``.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.evaluation.metrics import first_relevant_rank
    >>> scores = np.array([[0.9, 0.8, 0.7], [0.9, 0.8, 0.8], [0.1, 0.2, 0.3]])
    >>> relevant = np.array([[0, 0, 1], [0, 1, 0], [0, 0, 0]], dtype=bool)
    >>> first_relevant_rank(scores, relevant)  # 3; 1 + (2 + 1) / (1 + 1); none
    array([3. , 2.5, nan])
    """
    scores, relevant = _check_inputs(scores, relevant)
    return _per_query(scores, relevant, lambda block: {"rank": block.first_relevant_rank()})["rank"]


def median_rank(scores, relevant):
    """Median over queries of the expected first-relevant rank (see :func:`first_relevant_rank`).

    median_rank = median{ E[rank of first relevant item of q] : q has a relevant item }.
    Queries without relevant items are left out; ``nan`` if no query has one.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_gallery)
        Similarity scores; higher is more similar. Must be finite.
    relevant : array-like of shape (n_queries, n_gallery)
        Boolean (or 0/1 integer) relevance.

    Returns
    -------
    median : float
        Median rank (1 is best), or ``nan``.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.evaluation.metrics import median_rank
    >>> scores = np.array([[0.9, 0.8, 0.7], [0.9, 0.8, 0.7], [0.9, 0.8, 0.7]])
    >>> relevant = np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0]], dtype=bool)
    >>> median_rank(scores, relevant)  # ranks 1, 3, 2
    2.0
    """
    return _median_of_ranks(first_relevant_rank(scores, relevant))


def _median_of_ranks(ranks):
    ranks = ranks[~np.isnan(ranks)]
    return float(np.median(ranks)) if ranks.size else float("nan")


def precision_recall_curve(scores, relevant, n_points=11):
    """Interpolated precision at evenly spaced recall levels, averaged over queries.

    For each query, precision and recall at every cutoff ``K`` are taken from the expected number
    of hits, E[hits@K] = R + (K - T) r / t (tie-aware as in :func:`precision_at_k`):
    ``P(K) = E[hits@K] / K`` and ``Rec(K) = E[hits@K] / n_rel``. The interpolated precision at
    recall level ``l`` is

        P_interp(l) = max{ P(K) : Rec(K) >= l },

    and the curve is its mean over the queries that have at least one relevant item, at the
    levels ``linspace(0, 1, n_points)`` (``n_points=11`` is the classic 11-point curve). Without
    ties this is the standard curve. With ties it is the curve of the expected hit counts (the
    maximum is not averaged over tie orders), so a constant scorer gives a flat curve at
    ``n_rel / n_gallery``.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_gallery)
        Similarity scores; higher is more similar. Must be finite.
    relevant : array-like of shape (n_queries, n_gallery)
        Boolean (or 0/1 integer) relevance.
    n_points : int, default=11
        Number of recall levels, at least 2.

    Returns
    -------
    recall_levels : ndarray of shape (n_points,), float64
        ``linspace(0, 1, n_points)``.
    precision : ndarray of shape (n_points,), float64
        Mean interpolated precision at each level; all ``nan`` if no query has a relevant item.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.evaluation.metrics import precision_recall_curve
    >>> scores = np.array([[0.9, 0.8, 0.7, 0.6]])
    >>> relevant = np.array([[1, 0, 1, 0]], dtype=bool)
    >>> levels, precision = precision_recall_curve(scores, relevant, n_points=3)
    >>> precision  # recall 0 and 0.5: max(1, 2/3); recall 1: 2/3
    array([1.        , 1.        , 0.66666667])
    """
    scores, relevant = _check_inputs(scores, relevant)
    if isinstance(n_points, (bool, np.bool_)) or not isinstance(n_points, Integral):
        raise TypeError(f"n_points must be an integer >= 2; got {n_points!r}")
    if n_points < 2:
        raise ValueError(f"n_points must be an integer >= 2; got {n_points}")
    levels = np.linspace(0.0, 1.0, int(n_points))
    curves = _per_query(scores, relevant, lambda block: {"p": block.interpolated_precision(levels)})["p"]
    with_relevant = ~np.isnan(curves[:, 0])
    if not with_relevant.any():
        return levels, np.full(levels.shape, np.nan)
    return levels, curves[with_relevant].mean(axis=0)


def _report(scores, relevant, ks):
    """Body of :func:`retrieval_report`, on validated inputs."""
    cutoffs = _check_ks(ks, scores.shape[1])

    def compute(block):
        out = {
            "ap": block.average_precision(),
            "rp": _r_precision(block),
            "rank": block.first_relevant_rank(),
            "n_rel": block.n_relevant,
        }
        for _, k in cutoffs:
            if f"hits{k}" not in out:
                out[f"hits{k}"] = block.expected_hits(k)
                out[f"hit{k}"] = block.hit(k)
        return out

    per_query = _per_query(scores, relevant, compute)
    n_rel = per_query["n_rel"]
    report = {"MAP": float(per_query["ap"].mean())}
    for given, k in cutoffs:
        report[f"R@{given}"] = float(per_query[f"hit{k}"].mean())
    for given, k in cutoffs:
        report[f"P@{given}"] = float((per_query[f"hits{k}"] / k).mean())
    for given, k in cutoffs:
        report[f"recall@{given}"] = float(_safe_ratio(per_query[f"hits{k}"], n_rel).mean())
    median = _median_of_ranks(per_query["rank"])
    report["R-precision"] = float(per_query["rp"].mean())
    report["median_rank"] = None if np.isnan(median) else median
    report["n_queries"] = int(n_rel.size)
    report["n_without_relevant"] = int(np.count_nonzero(n_rel == 0))
    return report


def retrieval_report(scores, relevant, ks=(1, 5, 10)):
    """All the summary metrics of a retrieval run in one JSON-serialisable dict.

    Every value is a mean over *all* queries of a tie-aware per-query metric (queries without
    relevant items count as 0), except the median rank, taken over queries with a relevant item.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_gallery)
        Similarity scores; higher is more similar. Must be finite.
    relevant : array-like of shape (n_queries, n_gallery)
        Boolean (or 0/1 integer) relevance.
    ks : iterable of int, default=(1, 5, 10)
        Cutoffs. A cutoff above ``n_gallery`` is clipped, but the key keeps the value given.

    Returns
    -------
    report : dict
        Keys, in this order:

        - ``"MAP"``: :func:`mean_average_precision`;
        - ``"R@k"`` for each k: mean :func:`hit_at_k` (the image-caption papers' Recall@K);
        - ``"P@k"`` for each k: mean :func:`precision_at_k`;
        - ``"recall@k"`` for each k: mean :func:`recall_at_k`;
        - ``"R-precision"``: mean :func:`r_precision`;
        - ``"median_rank"``: :func:`median_rank`, or ``None`` if no query has a relevant item;
        - ``"n_queries"``: number of queries;
        - ``"n_without_relevant"``: number of queries with no relevant item.

        Values are plain Python ``float`` / ``int`` (or ``None``), so ``json.dumps`` accepts them.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.evaluation.metrics import retrieval_report
    >>> scores = np.array([[0.9, 0.8, 0.7], [0.9, 0.8, 0.7]])
    >>> relevant = np.array([[0, 1, 0], [0, 0, 0]], dtype=bool)
    >>> report = retrieval_report(scores, relevant, ks=(1, 2))
    >>> report["MAP"], report["R@2"], report["median_rank"], report["n_without_relevant"]
    (0.25, 0.5, 2.0, 1)
    """
    scores, relevant = _check_inputs(scores, relevant)
    return _report(scores, relevant, ks)


def chance_report(relevant, ks=(1, 5, 10)):
    """:func:`retrieval_report` of a constant scorer: the exact expectation of a random ranking.

    With every score tied, each metric is its expected value over uniformly random rankings, e.g.
    E[P@K] = n_rel / n_gallery and E[hit@1] = n_rel / n_gallery for each query. Compare a run's
    report to this one to see how far it is above chance.

    Parameters
    ----------
    relevant : array-like of shape (n_queries, n_gallery)
        Boolean (or 0/1 integer) relevance.
    ks : iterable of int, default=(1, 5, 10)
        Cutoffs, as in :func:`retrieval_report`.

    Returns
    -------
    report : dict
        Same keys as :func:`retrieval_report`.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.evaluation.metrics import chance_report
    >>> relevant = np.array([[1, 0, 0, 0], [1, 1, 0, 0]], dtype=bool)
    >>> report = chance_report(relevant, ks=(1,))
    >>> round(report["P@1"], 12), round(report["R@1"], 12)  # mean of 1/4 and 2/4
    (0.375, 0.375)
    """
    relevant = _check_relevant(relevant)
    constant = np.broadcast_to(np.float32(0.0), relevant.shape)
    return _report(constant, relevant, ks)
