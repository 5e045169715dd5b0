"""Tests for the generalised eigen-solver and xmodal.projection.mmd.MMDAlignment."""

import numpy as np
import pytest
from scipy import linalg
from sklearn.base import clone

from xmodal.projection._base import generalized_eigh
from xmodal.projection.cca import CCA
from xmodal.projection.mmd import MMDAlignment, class_mean_gaps, mmd_squared
from xmodal.projection.three_view import ThreeViewCCA


def _labelled_views(n=400, seed=0, offset=3.0):
    """Image and text views (same dimension, so MMD before projection is defined) with shared class structure."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, size=n)
    centres = rng.normal(size=(4, 4)) * 1.5
    shared = centres[y] + rng.normal(size=(n, 4))
    rotation = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    X_image = shared + 0.5 * rng.normal(size=(n, 4))
    X_text = 2.0 * (shared @ rotation) + offset + 0.5 * rng.normal(size=(n, 4))
    return X_image, X_text, y


# ---------------------------------------------------------------------- generalised eigenproblem


@pytest.mark.parametrize("largest", [True, False])
def test_generalized_eigh_residual_orthonormality_and_reference(largest):
    rng = np.random.default_rng(1)
    G = rng.normal(size=(8, 8))
    A = G + G.T
    H = rng.normal(size=(8, 8))
    B = H @ H.T + 0.5 * np.eye(8)
    values, vectors = generalized_eigh(A, B, 3, largest=largest)
    np.testing.assert_allclose(A @ vectors, B @ vectors * values, atol=1e-10)
    np.testing.assert_allclose(vectors.T @ B @ vectors, np.eye(3), atol=1e-10)
    reference = np.sort(linalg.eigvals(A, B).real)
    expected = reference[::-1][:3] if largest else reference[:3]
    np.testing.assert_allclose(values, expected, atol=1e-10)
    assert np.all(np.diff(values) <= 0) if largest else np.all(np.diff(values) >= 0)


def test_generalized_eigh_errors():
    with pytest.raises(ValueError, match="not positive definite"):
        generalized_eigh(np.eye(2), -np.eye(2), 1)
    with pytest.raises(ValueError, match="square matrices of one shape"):
        generalized_eigh(np.eye(2), np.eye(3), 1)
    with pytest.raises(ValueError, match="n_components must be in 1..2"):
        generalized_eigh(np.eye(2), np.eye(2), 3)


# ---------------------------------------------------------------------- MMD alignment


def test_without_labels_and_ridge_it_is_cca():
    X_image, X_text, _ = _labelled_views(seed=2)
    mmd = MMDAlignment(reg_image=0.0, reg_text=0.0).fit(X_image, X_text)
    cca = CCA(reg_image=0.0, reg_text=0.0).fit(X_image, X_text)
    np.testing.assert_allclose(1.0 - mmd.eigenvalues_, cca.correlations_, atol=1e-8)
    for a, b in ((mmd.transform_image(X_image), cca.transform_image(X_image)),
                 (mmd.transform_text(X_text), cca.transform_text(X_text))):
        for j in range(cca.n_components_):
            assert abs(np.corrcoef(a[:, j], b[:, j])[0, 1]) > 1 - 1e-6


def test_fitted_directions_solve_the_generalised_eigenproblem_on_out_of_sample_training_rows():
    X_image, X_text, y = _labelled_views(seed=3)
    mmd = MMDAlignment(mmd_weight=5.0, reg_image=0.2, reg_text=0.1).fit(X_image, X_text, y)
    # the training rows projected out of sample give back the maps of the fit
    Phi_image, Phi_text = mmd.image_map_.transform(X_image), mmd.text_map_.transform(X_text)
    M, B = mmd.objective_matrices(Phi_image, Phi_text, y)
    W = np.vstack([mmd.image_weights_, mmd.text_weights_])
    residual = M @ W - B @ W * mmd.eigenvalues_
    assert np.abs(residual).max() < 1e-9 * np.abs(M).max()
    np.testing.assert_allclose(W.T @ B @ W, np.eye(mmd.n_components_), atol=1e-9)
    # ... and the projections are the fitted ones
    np.testing.assert_allclose(mmd.transform_image(X_image), Phi_image @ mmd.image_weights_, atol=1e-5)
    assert np.all(np.diff(mmd.eigenvalues_) >= 0)


def test_mmd_between_projected_modalities_is_lower_than_before():
    X_image, X_text, y = _labelled_views(seed=4)
    before = mmd_squared(X_image, X_text)
    mmd = MMDAlignment(n_components=4, mmd_weight=1.0).fit(X_image, X_text, y)
    Z_image, Z_text = mmd.transform_image(X_image), mmd.transform_text(X_text)
    after = mmd_squared(Z_image, Z_text)
    assert after < 0.1 * before
    # the marginal (linear-kernel) MMD is exactly zero: each modality is centred with its training mean
    np.testing.assert_allclose(Z_image.mean(axis=0), Z_text.mean(axis=0), atol=1e-5)


def test_class_conditional_mmd_decreases_as_its_weight_grows():
    X_image, X_text, y = _labelled_views(n=300, seed=5)
    X_text = X_text + 2.0 * np.random.default_rng(0).normal(size=X_text.shape)  # pairs only loosely aligned
    gaps = []
    for weight in (0.0, 1.0, 10.0, 100.0):
        mmd = MMDAlignment(n_components=2, mmd_weight=weight).fit(X_image, X_text, y)
        Phi_image, Phi_text = mmd.image_map_.transform(X_image), mmd.text_map_.transform(X_text)
        G, w = class_mean_gaps(Phi_image, Phi_text, y)
        projected = np.vstack([mmd.image_weights_, mmd.text_weights_]).T @ G
        gaps.append(float((projected ** 2 * w).sum()))
    assert all(later <= earlier + 1e-12 for earlier, later in zip(gaps, gaps[1:]))
    assert gaps[-1] < 0.5 * gaps[0]


def test_class_mean_gaps_by_hand():
    Phi_image = np.array([[1.0], [3.0], [0.0]])
    Phi_text = np.array([[0.0], [2.0], [5.0]])
    gaps, weights = class_mean_gaps(Phi_image, Phi_text, np.array(["a", "a", "b"]))
    np.testing.assert_allclose(gaps, [[2.0, 0.0], [-1.0, -5.0]])
    np.testing.assert_allclose(weights, [2 / 3, 1 / 3])


def test_mmd_alignment_api_and_errors():
    X_image, X_text, y = _labelled_views(n=120, seed=6)
    model = MMDAlignment(n_components=2, kernel_image="rbf", kernel_text="rbf", n_landmarks=50)
    fitted = model.fit(X_image, X_text, y)
    assert fitted is model and model.transform_image(X_image[:3]).dtype == np.float32
    np.testing.assert_array_equal(clone(model).fit(X_image, X_text, y).transform_text(X_text),
                                  model.transform_text(X_text))
    with pytest.raises(ValueError, match="mmd_weight must be a finite number >= 0"):
        MMDAlignment(mmd_weight=-1).fit(X_image, X_text, y)
    with pytest.raises(ValueError, match="y must hold one label per image-text pair"):
        MMDAlignment().fit(X_image, X_text, y[:5])
    with pytest.raises(ValueError, match="n_components=9 is too large"):
        MMDAlignment(n_components=9).fit(X_image, X_text)


@pytest.mark.parametrize("make", [lambda: MMDAlignment(reg_image=0.0, reg_text=0.0, n_components=2),
                                  lambda: ThreeViewCCA(reg_image=0.0, reg_text=0.0, reg_label=1e-6, n_components=2)])
def test_near_singular_covariances_do_not_break_the_eigen_solvers(make):
    X_image, X_text, y = _labelled_views(n=200, seed=7)
    X_image = np.hstack([X_image, X_image[:, :1], np.full((200, 1), 3.0)])  # duplicated and constant columns
    X_text = np.hstack([X_text, 2.0 * X_text[:, 1:2]])
    model = make().fit(X_image, X_text, y)
    for Z in (model.transform_image(X_image), model.transform_text(X_text)):
        assert np.all(np.isfinite(Z)) and Z.shape == (200, 2)
