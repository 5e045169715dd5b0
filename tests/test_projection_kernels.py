"""Tests for xmodal.projection.kernels (Numba kernel matrices) and feature_maps (centred exact / Nyström maps)."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics.pairwise import chi2_kernel, polynomial_kernel, rbf_kernel
from sklearn.preprocessing import KernelCenterer

from xmodal.projection.feature_maps import KernelFeatureMap
from xmodal.projection.kernels import default_gamma, kernel_matrix


def _histograms(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d)) ** 3
    X[rng.random((n, d)) < 0.3] = 0.0  # empty bins: 0/0 terms of chi2
    return X


# ---------------------------------------------------------------------- kernel matrices


@pytest.mark.parametrize("sparse_input", [False, True])
def test_kernels_match_sklearn_references(sparse_input):
    X, Y = _histograms(37, 9, 0), _histograms(23, 9, 1)
    Xs, Ys = (sp.csr_matrix(X), sp.csr_matrix(Y)) if sparse_input else (X, Y)
    np.testing.assert_allclose(kernel_matrix(Xs, Ys, "linear"), X @ Y.T, atol=1e-12)
    np.testing.assert_allclose(kernel_matrix(Xs, Ys, "rbf", gamma=0.7), rbf_kernel(X, Y, gamma=0.7), atol=1e-12)
    np.testing.assert_allclose(kernel_matrix(Xs, Ys, "polynomial", gamma=0.3, degree=3, coef0=0.5),
                               polynomial_kernel(X, Y, gamma=0.3, degree=3, coef0=0.5), atol=1e-10)
    np.testing.assert_allclose(kernel_matrix(Xs, Ys, "chi2", gamma=0.4), chi2_kernel(X, Y, gamma=0.4), atol=1e-12)
    by_hand = np.minimum(X[:, None, :], Y[None, :, :]).sum(axis=2)
    np.testing.assert_allclose(kernel_matrix(Xs, Ys, "intersection"), by_hand, atol=1e-12)


def test_kernel_hand_computed_values_and_blocks(monkeypatch):
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    Y = np.array([[1.0, 1.0]])
    # chi2 distances: (0^2/2 + 1/1) = 1 and (1/1 + 1/3) = 4/3
    np.testing.assert_allclose(kernel_matrix(X, Y, "chi2", gamma=1.0).ravel(), np.exp([-1.0, -4.0 / 3.0]))
    np.testing.assert_allclose(kernel_matrix(X, Y, "intersection").ravel(), [1.0, 1.0])
    # tiny blocks give the same matrix
    import xmodal.projection.kernels as kernels

    rng = np.random.default_rng(2)
    A, B = rng.random((50, 4)), rng.random((7, 4))
    full = {name: kernel_matrix(A, B, name, gamma=0.5) for name in ("rbf", "chi2")}
    monkeypatch.setattr(kernels, "_BLOCK_ENTRIES", 10)
    for name, expected in full.items():
        np.testing.assert_allclose(kernel_matrix(A, B, name, gamma=0.5), expected, atol=1e-14)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(kernel="sigmoid"), "kernel must be one of"),
        (dict(kernel="rbf", gamma=0.0), "gamma must be a finite number > 0"),
        (dict(kernel="polynomial", degree=0), "degree must be an int >= 1"),
    ],
)
def test_kernel_parameter_errors(kwargs, message):
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match=message):
        kernel_matrix(X, X, **kwargs)


def test_histogram_kernels_reject_negative_features():
    with pytest.raises(ValueError, match="kernel 'chi2' needs non-negative features.*Y has a value of -1.0"):
        kernel_matrix(np.ones((2, 2)), -np.ones((1, 2)), "chi2")
    with pytest.raises(ValueError, match="same number of features"):
        kernel_matrix(np.ones((2, 2)), np.ones((2, 3)), "rbf")


def test_default_gamma_sets_the_mean_distance_to_one():
    X = np.random.default_rng(3).normal(size=(60, 5))
    gamma = default_gamma(X, "rbf")
    distances = -np.log(kernel_matrix(X, X, "rbf", gamma=1.0))
    assert gamma * distances.mean() == pytest.approx(1.0)
    H = _histograms(40, 6, 4)
    chi = -np.log(kernel_matrix(H, H, "chi2", gamma=1.0))
    assert default_gamma(H, "chi2") * chi.mean() == pytest.approx(1.0)


# ---------------------------------------------------------------------- feature maps


@pytest.mark.parametrize("kernel", ["rbf", "chi2", "polynomial", "intersection"])
def test_exact_map_centres_test_rows_like_kernel_centerer(kernel):
    """Fewer test rows than training rows: a map that centred with test statistics would fail here."""
    X, T = _histograms(60, 5, 5), _histograms(7, 5, 6)
    fmap = KernelFeatureMap(kernel, gamma=0.8).fit(X)
    K_train = kernel_matrix(X, X, kernel, gamma=0.8)
    K_test = kernel_matrix(T, X, kernel, gamma=0.8)
    centerer = KernelCenterer().fit(K_train)
    np.testing.assert_allclose(fmap.transform(T) @ fmap.transform(X).T, centerer.transform(K_test), atol=1e-8)
    np.testing.assert_allclose(fmap.transform(X) @ fmap.transform(X).T, centerer.transform(K_train), atol=1e-8)
    # a single test row alone gives the same coordinates as within the batch
    np.testing.assert_allclose(fmap.transform(T[3:4]), fmap.transform(T)[3:4], atol=1e-12)


def test_nystrom_map_training_rows_and_approximation():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, 3))
    fmap = KernelFeatureMap("rbf", gamma=0.1, n_landmarks=80, seed=1)
    fitted = fmap.fit_transform(X)
    assert fmap.landmarks_.shape == (80, 3)
    assert fitted.shape[1] == fmap.n_features_out_ <= 80
    # out-of-sample projection of a training row equals its fitted coordinates
    np.testing.assert_allclose(fmap.transform(X), fitted, atol=1e-10)
    np.testing.assert_allclose(fitted.mean(axis=0), 0.0, atol=1e-10)
    # landmarks are reproduced exactly; others approximately (smooth kernel, 3-d data)
    exact = KernelCenterer().fit_transform(kernel_matrix(X, X, "rbf", gamma=0.1))
    error = np.abs(fitted @ fitted.T - exact)
    assert error.max() < 0.1 and error.mean() < 1e-4
    # same seed, same landmarks; other seed, other landmarks
    np.testing.assert_array_equal(KernelFeatureMap("rbf", gamma=0.1, n_landmarks=80, seed=1).fit(X).landmarks_,
                                  fmap.landmarks_)
    assert not np.array_equal(KernelFeatureMap("rbf", gamma=0.1, n_landmarks=80, seed=2).fit(X).landmarks_,
                              fmap.landmarks_)


def test_linear_map_is_the_centred_features_and_keeps_sparse_input_exact():
    X = sp.random(50, 30, density=0.2, random_state=8, format="csr")
    fmap = KernelFeatureMap("linear", n_landmarks=100)
    Phi = fmap.fit_transform(X)
    dense = X.toarray()
    np.testing.assert_allclose(Phi, dense - dense.mean(axis=0), atol=1e-12)
    # more features than landmarks: the kernel path, still exact when every row is a landmark
    kernel_path = KernelFeatureMap("linear", n_landmarks=60).set_params(n_landmarks=55)
    X_wide = sp.random(50, 80, density=0.2, random_state=9, format="csr")
    Phi_wide = kernel_path.fit_transform(X_wide)
    assert kernel_path.projection_ is not None
    centred = X_wide.toarray() - X_wide.toarray().mean(axis=0)
    np.testing.assert_allclose(Phi_wide @ Phi_wide.T, centred @ centred.T, atol=1e-8)


def test_feature_map_validation():
    with pytest.raises(ValueError, match="kernel must be one of"):
        KernelFeatureMap("cosine").fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="n_landmarks must be an int >= 1"):
        KernelFeatureMap(n_landmarks=0).fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="X_image has a value of -2.0"):
        KernelFeatureMap("chi2").fit_transform(np.array([[1.0, -2.0], [0.0, 1.0]]), name="X_image")
    fmap = KernelFeatureMap("rbf").fit(np.random.default_rng(0).normal(size=(10, 3)))
    with pytest.raises(ValueError, match="X has 2 features, but the projection was fitted with 3"):
        fmap.transform(np.ones((2, 2)))
    with pytest.raises(ValueError, match="no eigenvalue above eigenvalue_floor"):
        KernelFeatureMap("linear", n_landmarks=1).fit(np.zeros((5, 3)))
