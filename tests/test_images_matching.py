"""Descriptor matching, RANSAC verification and image -> image search with re-ranking."""

import cv2
import numpy as np
import pytest

from xmodal.images.encoder import ImageEncoder
from xmodal.images.matching import ImageSearch, match_descriptors, ransac_inliers


def _scenes(n=8, size=160, seed=0):
    """Distinct textured scenes: random rectangles and circles on noise."""
    rng = np.random.default_rng(seed)
    scenes = []
    for _ in range(n):
        img = (rng.random((size, size, 3)) * 40).astype(np.uint8)
        for _ in range(12):
            colour = tuple(int(c) for c in rng.integers(60, 255, 3))
            x, y = (int(v) for v in rng.integers(10, size - 10, 2))
            if rng.random() < 0.5:
                cv2.rectangle(img, (x, y), (x + int(rng.integers(8, 40)), y + int(rng.integers(8, 40))), colour, -1)
            else:
                cv2.circle(img, (x, y), int(rng.integers(4, 20)), colour, -1)
        scenes.append(img)
    return scenes


@pytest.mark.parametrize("matcher", ["bf", "flann"])
def test_ratio_test_keeps_only_distinctive_matches(matcher):
    rng = np.random.default_rng(0)
    gallery = rng.random((50, 16)).astype(np.float32)
    query = gallery[[3, 7, 11]] + 0.001
    ambiguous = (gallery[20] + gallery[21]) / 2  # halfway between two: fails the ratio test
    pairs = match_descriptors(np.vstack([query, ambiguous]), gallery, matcher=matcher)
    assert pairs.tolist() == [[0, 3], [1, 7], [2, 11]]
    bits = rng.integers(0, 256, (40, 32), dtype=np.uint8)
    noisy = bits[[5, 9]].copy()
    noisy[:, 0] ^= 1  # one bit off
    assert match_descriptors(noisy, bits, binary=True, matcher=matcher).tolist() == [[0, 5], [1, 9]]


def test_ransac_counts_the_points_of_one_homography():
    rng = np.random.default_rng(1)
    p = rng.random((40, 2)).astype(np.float32) * 200
    H = np.array([[0.9, -0.2, 30], [0.25, 1.1, -10], [1e-4, 0, 1]])
    q = cv2.perspectiveTransform(p[None], H)[0]
    q[:10] = rng.random((10, 2)) * 200  # ten outliers
    assert ransac_inliers(p, q) == 30
    assert ransac_inliers(p[:3], q[:3]) == 0


def test_search_finds_transformed_copies_and_flips_need_the_mirror():
    scenes = _scenes()
    search = ImageSearch(ImageEncoder("rootsift", n_words=20, n_jobs=1), shortlist=4, n_jobs=1).fit(scenes)
    rotated = cv2.warpAffine(scenes[5], cv2.getRotationMatrix2D((80, 80), 25, 1.0), (160, 160))
    cropped = np.ascontiguousarray(scenes[2][20:140, 10:130])
    small = cv2.resize(scenes[6], (80, 80), interpolation=cv2.INTER_AREA)
    result = search.search([rotated, cropped, small], k=3)
    assert result.ids[:, 0].tolist() == [5, 2, 6]
    assert (result.inliers[:, 0] >= 10).all() and result.candidates.shape == (3, 4)
    assert (np.diff(result.inliers, axis=1) <= 0).all()  # verified candidates in inlier order
    plain = search.search([rotated], k=3, rerank=False)
    assert (plain.inliers == -1).all()
    flipped = np.ascontiguousarray(scenes[1][:, ::-1])
    assert search.search([flipped], k=1).inliers[0, 0] < 10  # SIFT does not match a mirror image
    search.flip = True
    found = search.search([flipped], k=1)
    assert found.ids[0, 0] == 1 and found.inliers[0, 0] >= 10
    with pytest.raises(ValueError, match="verifier must be"):
        ImageSearch(ImageEncoder("rootsift", n_words=20, n_jobs=1), verifier="surf").fit(scenes)
