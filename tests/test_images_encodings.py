"""Descriptors, codebooks and encodings against hand-computed cases and reference implementations."""

import numpy as np
import pytest

from xmodal.images.codebook import assign_words, fit_binary_codebook, fit_codebook, nearest_codewords
from xmodal.images.descriptors import as_float, dense_sift, describe_local
from xmodal.images.encodings import (VLAD, BagOfWords, FisherVector, encode_regions, parse_pyramid, power_l2,
                                     spatial_regions)
from xmodal.images.global_features import describe_global, gist_descriptor, hsv_histogram, lbp_histogram


def test_dense_sift_grid_flat_and_edges():
    img = (np.random.default_rng(0).random((64, 80)) * 255).astype(np.uint8)
    pos, d = dense_sift(img, step=8, bin_sizes=(4,))
    # patch 16 px wide: centres 8, 16, ..., 72 across (9) and 8..56 down (7)
    assert d.shape == (7 * 9, 128) and d.dtype == np.uint8
    assert pos[:, 0].min() == 8 and pos[:, 0].max() == 72 and pos[:, 1].max() == 56
    assert dense_sift(img, step=8, bin_sizes=(32,))[1].shape == (0, 128)  # a 128 px patch does not fit
    assert not dense_sift(np.full((48, 48), 90, np.uint8), step=8, bin_sizes=(4,))[1].any()  # flat: zero
    edge = np.zeros((48, 48), np.uint8)
    edge[:, 24:] = 200  # vertical edge: gradient along +x, orientation bin 0
    _, d = dense_sift(edge, step=48, bin_sizes=(6,))
    cells = d[0].reshape(4, 4, 8).astype(float)
    assert cells[:, :, 0].sum() > 0.9 * cells.sum()
    assert np.linalg.norm(d[0] / 512.0) == pytest.approx(1.0, abs=0.02)


def test_keypoint_descriptors_and_float_views():
    rng = np.random.default_rng(1)
    img = (rng.random((120, 120)) * 255).astype(np.uint8)
    for kind, width in (("sift", 128), ("rootsift", 128), ("orb", 32)):
        f = describe_local(img, kind, max_keypoints=50)
        assert 0 < len(f) <= 60 and f.descriptors.shape[1] == width and f.positions.shape == (len(f), 2)
    flat = np.full((80, 80), 7, np.uint8)
    assert len(describe_local(flat, "sift")) == 0 and len(describe_local(flat, "orb")) == 0
    root = as_float(np.array([[1, 3, 0], [0, 0, 0]], np.uint8), "rootsift")
    np.testing.assert_allclose(root, [[0.5, np.sqrt(0.75), 0.0], [0, 0, 0]], rtol=1e-6)
    with pytest.raises(ValueError, match="unknown local descriptor 'surf'"):
        describe_local(img, "surf")


def test_nearest_codewords_is_brute_force_and_hamming_for_bits():
    rng = np.random.default_rng(0)
    X = rng.random((500, 16)).astype(np.float32)
    C = fit_codebook(X, 10, seed=0)
    brute = ((X[:, None, :] - C[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(assign_words(X, C, block=64), brute.argmin(1))
    idx, d2 = nearest_codewords(X, C, k=3, block=77)
    np.testing.assert_array_equal(idx, np.argsort(brute, axis=1)[:, :3])
    np.testing.assert_allclose(d2, np.sort(brute, axis=1)[:, :3], atol=1e-5)
    packed = rng.integers(0, 256, (40, 32), dtype=np.uint8)
    centres = rng.integers(0, 256, (5, 32), dtype=np.uint8)
    hamming = np.unpackbits(packed[:, None, :] ^ centres[None], axis=2).sum(axis=2)
    idx, d2 = nearest_codewords(as_float(packed, "orb"), as_float(centres, "orb"), k=5)
    np.testing.assert_array_equal(d2, np.sort(hamming, axis=1))
    with pytest.raises(ValueError, match="only 5 descriptors"):
        fit_codebook(X[:5], 10)


def test_k_majority_centres_are_bitwise_majorities():
    rng = np.random.default_rng(3)
    bits = (rng.random((300, 64)) < 0.5).astype(np.float32)
    C = fit_binary_codebook(bits, 4, seed=1)
    assert set(np.unique(C)) <= {0.0, 1.0}
    labels = assign_words(bits, C)
    for w in range(4):  # converged: every centre is the majority vote of its members (ties keep the bit)
        members = bits[labels == w]
        mean = members.mean(axis=0)
        assert ((mean > 0.5) <= (C[w] == 1)).all() and ((mean < 0.5) <= (C[w] == 0)).all()


def test_bag_of_words_hard_soft_and_idf():
    sample = np.array([[0.0], [0.1], [5.0], [5.1], [10.0], [9.9]], np.float32)
    enc = BagOfWords(3, seed=0).fit(sample)
    order = np.argsort(enc.centres_[:, 0])
    X = np.array([[0.0], [0.2], [10.0]], np.float32)
    hist = enc.pool(X, enc.assign(X), np.arange(3))
    np.testing.assert_allclose(hist[order], [2 / 3, 0, 1 / 3], rtol=1e-6)
    soft = BagOfWords(3, soft=3, seed=0).fit(sample)
    idx, w = soft.assign(X)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-6)
    assert (w[:, 0] >= w[:, 1]).all()  # the nearest word weighs most
    enc_idf = BagOfWords(3, idf=True, power=1.0, seed=0).fit(sample)
    enc_idf.fit_idf(np.array([[1, 1, 0], [1, 0, 0], [1, 0, 1], [1, 0, 0]], np.float32))
    # df = 4, 1, 1 over 4 images: log(4/5) clipped to 0; log(4/2)
    np.testing.assert_allclose(enc_idf.idf_, [0.0, np.log(2), np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(enc_idf.normalise(np.array([[0.5, 0.25, 0.25]])), [[0, np.sqrt(0.5), np.sqrt(0.5)]],
                               atol=1e-6)


def test_vlad_hand_computed():
    enc = VLAD(2, power=1.0)
    enc.centres_ = np.array([[0.0, 0.0], [10.0, 10.0]], np.float32)
    X = np.array([[1.0, 0.0], [0.0, 3.0], [10.0, 12.0]], np.float32)
    v = enc.pool(X, enc.assign(X), np.arange(3))
    np.testing.assert_allclose(v, [1, 3, 0, 2])  # residual sums per word
    out = enc.normalise(v[None])[0]
    intra = np.array([1, 3, 0, 1]) / np.array([np.sqrt(10)] * 2 + [2] * 2) * [1, 1, 0, 2]
    np.testing.assert_allclose(out, intra / np.linalg.norm(intra), rtol=1e-6)


def test_fisher_vector_matches_reference_formula():
    rng = np.random.default_rng(0)
    sample = np.concatenate([rng.normal(0, 1, (300, 3)), rng.normal(4, 0.5, (300, 3))]).astype(np.float32)
    enc = FisherVector(2, pca_dim=3, power=1.0, seed=0).fit(sample)
    X = rng.normal(2, 2, (7, 3)).astype(np.float32)
    got = enc.pool(X, enc.assign(X), np.arange(7))
    Y = (X - enc.mean_) @ enc.components_.T
    dens = np.stack([enc.weights_[k] * np.prod(np.exp(-(Y - enc.means_[k]) ** 2 / (2 * enc.variances_[k]))
                                              / np.sqrt(2 * np.pi * enc.variances_[k]), axis=1) for k in range(2)], 1)
    gamma = dens / dens.sum(axis=1, keepdims=True)
    ref_mu, ref_var = [], []
    for k in range(2):
        s = np.sqrt(enc.variances_[k])
        z = (Y - enc.means_[k]) / s
        ref_mu.append((gamma[:, k:k + 1] * z).sum(0) / (7 * np.sqrt(enc.weights_[k])))
        ref_var.append((gamma[:, k:k + 1] * (z ** 2 - 1)).sum(0) / (7 * np.sqrt(2 * enc.weights_[k])))
    np.testing.assert_allclose(got, np.concatenate(ref_mu + ref_var), rtol=2e-3, atol=2e-5)


def test_pyramid_regions_partition_the_descriptors():
    assert parse_pyramid("1x1+2x2+3x1") == ((1, 1), (2, 2), (3, 1))
    with pytest.raises(ValueError, match="ROWSxCOLUMNS"):
        parse_pyramid("1x1+big")
    pos = np.random.default_rng(0).random((50, 2)).astype(np.float32) * [80, 60]
    regions = spatial_regions(pos, (60, 80), ((1, 1), (2, 2), (3, 1)))
    assert len(regions) == 8
    for level in (regions[1:5], regions[5:8]):
        np.testing.assert_array_equal(np.sort(np.concatenate(level)), np.arange(50))
    assert all(pos[regions[5], 1].max() < 20 for _ in [0])  # top stripe
    enc = BagOfWords(4).fit(np.random.default_rng(1).random((40, 2)).astype(np.float32))
    X = np.random.default_rng(2).random((50, 2)).astype(np.float32)
    v = encode_regions(enc, X, pos, (60, 80), parse_pyramid("1x1+2x2"))
    assert v.shape == (20,) and np.linalg.norm(v) == pytest.approx(1.0, rel=1e-5)


def test_power_l2_and_global_descriptors():
    np.testing.assert_allclose(power_l2(np.array([[-4.0, 9.0]]), 0.5), [[-2 / np.sqrt(13), 3 / np.sqrt(13)]],
                               rtol=1e-6)
    red = np.zeros((8, 8, 3), np.uint8)
    red[:, :, 2] = 255
    h = hsv_histogram(red)
    assert h.shape == (128,) and h.max() == 1.0  # all pixels in one bin
    flat = np.full((40, 40, 3), 100, np.uint8)
    lbp = lbp_histogram(flat)
    assert lbp.shape == (100,) and np.allclose(lbp.reshape(10, 10).sum(axis=1), 1.0)
    stripes = np.zeros((64, 64, 3), np.uint8)
    stripes[:, ::8] = 255  # vertical stripes: energy in the horizontal-frequency (orientation 0) filters
    g = gist_descriptor(stripes).reshape(4, 8, 16).sum(axis=2)
    assert g[:, 0].sum() > g[:, 4].sum() * 5
    assert describe_global(flat, "hog").shape == (1764,)
    with pytest.raises(ValueError, match="unknown global feature 'sift'"):
        describe_global(flat, "sift")
