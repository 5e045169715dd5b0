"""Image -> image search: a global-encoding shortlist, re-ranked by descriptor matching and RANSAC.

:class:`ImageSearch` indexes images by an :class:`~xmodal.images.encoder.ImageEncoder` vector
(BoVW, VLAD, ...) in an exact cosine index, keeps each image's keypoints for verification, and at
query time re-ranks the top ``shortlist`` candidates by the number of RANSAC homography inliers
among the matches that pass Lowe's ratio test. ``flip=True`` also queries the mirror image, which
is what horizontally flipped copies need (SIFT is not mirror-invariant).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xmodal.images.descriptors import BINARY_DESCRIPTORS, LocalFeatures, as_float
from xmodal.images.extraction import ExtractionSettings, extract_task, map_images

MATCHERS = ("bf", "flann")


def match_descriptors(query: np.ndarray, gallery: np.ndarray, binary: bool = False, ratio: float = 0.8,
                      matcher: str = "bf") -> np.ndarray:
    """Pairs ``(i_query, i_gallery)`` whose nearest neighbour passes Lowe's ratio test.

    Parameters
    ----------
    query, gallery : ndarray
        float32 descriptors (L2) or packed uint8 bits (``binary=True``, Hamming).
    ratio : float
        Keep a match when its distance is below ``ratio`` times the second-nearest distance.
    matcher : {"bf", "flann"}
        Brute force, or FLANN (KD-trees for floats, LSH for bits).

    Returns
    -------
    ndarray of int64, shape (n_matches, 2)

    Examples
    --------
    >>> import numpy as np
    >>> g = np.eye(4, dtype=np.float32)
    >>> match_descriptors(g[[2, 0]] + 0.01, g).tolist()
    [[0, 2], [1, 0]]
    """
    import cv2

    if matcher not in MATCHERS:
        raise ValueError(f"matcher must be one of {list(MATCHERS)}, got {matcher!r}")
    if len(query) == 0 or len(gallery) < 2:
        return np.zeros((0, 2), np.int64)
    if matcher == "bf":
        engine = cv2.BFMatcher(cv2.NORM_HAMMING if binary else cv2.NORM_L2)
    elif binary:
        engine = cv2.FlannBasedMatcher({"algorithm": 6, "table_number": 6, "key_size": 12, "multi_probe_level": 1},
                                       {"checks": 50})
    else:
        engine = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 4}, {"checks": 64})
    pairs = engine.knnMatch(query, gallery, k=2)
    # LSH may find a single candidate: with no second-nearest to compete, it passes the test
    kept = [(m[0].queryIdx, m[0].trainIdx) for m in pairs
            if len(m) == 1 or (len(m) == 2 and m[0].distance < ratio * m[1].distance)]
    return np.array(kept, dtype=np.int64).reshape(-1, 2)


def ransac_inliers(query_points: np.ndarray, gallery_points: np.ndarray, threshold: float = 5.0) -> int:
    """Number of point pairs consistent with one RANSAC homography (0 with fewer than 4 pairs).

    OpenCV's RNG is reseeded first, so the count is deterministic.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.random.default_rng(0).random((20, 2)).astype(np.float32) * 100
    >>> ransac_inliers(p, p * 0.5 + 10)
    20
    """
    import cv2

    if len(query_points) < 4:
        return 0
    cv2.setRNGSeed(0)
    _, mask = cv2.findHomography(np.asarray(query_points, np.float32), np.asarray(gallery_points, np.float32),
                                 cv2.RANSAC, threshold, maxIters=2000, confidence=0.995)
    return 0 if mask is None else int(mask.sum())


def verify_pair(query: LocalFeatures, gallery: LocalFeatures, kind: str, ratio: float = 0.8,
                threshold: float = 5.0, matcher: str = "bf") -> int:
    """RANSAC inliers among the ratio-test matches of two images' local features."""
    binary = kind in BINARY_DESCRIPTORS
    q = query.descriptors if binary else as_float(query.descriptors, kind)
    g = gallery.descriptors if binary else as_float(gallery.descriptors, kind)
    pairs = match_descriptors(q, g, binary=binary, ratio=ratio, matcher=matcher)
    if len(pairs) < 4:
        return 0
    return ransac_inliers(query.positions[pairs[:, 0]], gallery.positions[pairs[:, 1]], threshold)


@dataclass
class SearchResult:
    """What :meth:`ImageSearch.search` found.

    Attributes
    ----------
    ids : ndarray of int64, shape (n_queries, k)
        Gallery positions, best first.
    similarity : ndarray of float32, shape (n_queries, k)
        Cosine similarity of the encodings.
    inliers : ndarray of int64, shape (n_queries, k)
        RANSAC inliers of verified candidates; -1 where no verification was run.
    candidates : ndarray of int64, shape (n_queries, max(k, shortlist))
        The order by encoding similarity alone, before re-ranking.
    """

    ids: np.ndarray
    similarity: np.ndarray
    inliers: np.ndarray
    candidates: np.ndarray


class ImageSearch:
    """Image -> image search: encoding shortlist, then geometric re-ranking.

    Parameters
    ----------
    encoder : ImageEncoder or None
        Gives the shortlist vectors; default ``ImageEncoder("rootsift", encoding="bovw", n_words=500)``.
    verifier : str
        Keypoint descriptor used for re-ranking: ``"rootsift"``, ``"sift"`` or ``"orb"``.
    shortlist : int
        Candidates re-ranked per query (0: no re-ranking).
    ratio : float
        Lowe's ratio test threshold.
    ransac_threshold : float
        Reprojection error in pixels for a RANSAC inlier.
    min_inliers : int
        Verified candidates with fewer inliers are not promoted above the unverified order.
    matcher : {"bf", "flann"}
    flip : bool
        Also query the horizontal mirror of each query (shortlist by the better similarity,
        verification by the larger inlier count): finds mirrored copies.
    max_keypoints : int
        Keypoint budget of the verifier.
    n_jobs : int or None, default=1
        Worker processes (see :class:`~xmodal.images.encoder.ImageEncoder`).

    Attributes
    ----------
    encoder_ : ImageEncoder
        The fitted encoder.
    index_ : ExactIndex
        Cosine index of the gallery vectors.
    keypoints_ : list of LocalFeatures
        Verification features of the gallery images.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.images.encoder import ImageEncoder
    >>> rng = np.random.default_rng(0)
    >>> imgs = [(rng.random((120, 120, 3)) * 255).astype(np.uint8) for _ in range(5)]
    >>> search = ImageSearch(ImageEncoder("rootsift", n_words=16), shortlist=3).fit(imgs)
    >>> int(search.search([np.ascontiguousarray(imgs[3][10:, 5:])], k=2).ids[0, 0])
    3
    """

    def __init__(self, encoder=None, verifier="rootsift", shortlist=50, ratio=0.8, ransac_threshold=5.0,
                 min_inliers=6, matcher="bf", flip=False, max_keypoints=1000, n_jobs=1):
        self.encoder = encoder
        self.verifier = verifier
        self.shortlist = shortlist
        self.ratio = ratio
        self.ransac_threshold = ransac_threshold
        self.min_inliers = min_inliers
        self.matcher = matcher
        self.flip = flip
        self.max_keypoints = max_keypoints
        self.n_jobs = n_jobs

    def _settings(self):
        if self.verifier not in ("sift", "rootsift", "orb"):
            raise ValueError(f"verifier must be 'sift', 'rootsift' or 'orb', got {self.verifier!r}")
        if self.matcher not in MATCHERS:
            raise ValueError(f"matcher must be one of {list(MATCHERS)}, got {self.matcher!r}")
        if not isinstance(self.shortlist, (int, np.integer)) or self.shortlist < 0:
            raise ValueError(f"shortlist must be an int >= 0, got {self.shortlist!r}")
        enc = self.encoder_
        return ExtractionSettings(local=self.verifier, globals=(), max_keypoints=int(self.max_keypoints),
                                  max_side=enc.max_side, min_side=enc.min_side, reject_below=enc.reject_below)

    def fit(self, images):
        """Encode and index the gallery ``images`` and keep their verification keypoints."""
        from xmodal.images.encoder import ImageEncoder
        from xmodal.search.exact import ExactIndex

        images = ImageEncoder._check_images(images)
        self.encoder_ = (ImageEncoder("rootsift", n_words=500, n_jobs=self.n_jobs) if self.encoder is None
                         else self.encoder)
        self.encoder_.set_params(on_error="raise")
        vectors = self.encoder_.fit_transform(images)
        self.index_ = ExactIndex(metric="cosine")
        self.index_.add(vectors)
        self.keypoints_ = self._keypoints(images) if self.shortlist else []
        return self

    def _keypoints(self, images):
        extracted = map_images(extract_task, images, (self._settings(), self.encoder_._cache_dir()),
                               n_jobs=self.n_jobs)
        for e in extracted:
            if e.error is not None:
                raise e.error
        return [e.local for e in extracted]

    def search(self, queries, k=10, rerank=True) -> SearchResult:
        """The ``k`` best gallery images for each query image (paths or arrays).

        Candidates are ranked by encoding similarity; with ``rerank`` the top ``shortlist`` are
        re-ordered by RANSAC inliers (ties and candidates under ``min_inliers`` keep the
        similarity order below the verified ones).
        """
        from xmodal.images.encoder import ImageEncoder

        queries = ImageEncoder._check_images(queries)
        k = int(min(k, len(self.index_)))
        depth = max(k, self.shortlist if rerank else 0)
        variants = [queries] + ([[_mirror(q) for q in queries]] if self.flip else [])
        sims = [self.index_.similarity(self.encoder_.transform(v)) for v in variants]
        sim = np.max(sims, axis=0)
        order = np.argsort(-sim, axis=1, kind="stable")[:, :depth]
        candidates = order.copy()
        inliers = np.full(order.shape, -1, np.int64)
        if rerank and self.shortlist:
            n = min(self.shortlist, order.shape[1])
            q_features = [self._keypoints(v) for v in variants]
            tasks = [([qf[i] for qf in q_features], [self.keypoints_[j] for j in order[i, :n]])
                     for i in range(len(queries))]
            state = (self.verifier, self.ratio, self.ransac_threshold, self.matcher)
            counts = map_images(_verify_task, tasks, state, n_jobs=self.n_jobs)
            for i, c in enumerate(counts):
                inliers[i, :n] = c
                verified = np.where(c >= self.min_inliers, c, -1)
                new = np.argsort(-verified, kind="stable")  # stable: similarity order among equals
                order[i, :n], inliers[i, :n] = order[i, :n][new], inliers[i, :n][new]
        ids = order[:, :k]
        return SearchResult(ids, np.take_along_axis(sim, ids, axis=1).astype(np.float32), inliers[:, :k], candidates)


def _mirror(image):
    from xmodal.images.io import read_image

    return np.ascontiguousarray(read_image(image)[:, ::-1])


def _verify_task(task, state):
    """Worker task: inlier counts of one query (all its variants) against its candidates."""
    variants, candidates = task
    kind, ratio, threshold, matcher = state
    return np.array([max(verify_pair(q, g, kind, ratio, threshold, matcher) for q in variants) for g in candidates],
                    np.int64)
