"""Tests for xmodal.projection.kernel_cca.KernelCCA: agreement with linear CCA and explicit feature maps."""

from itertools import combinations_with_replacement

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from xmodal.projection.cca import CCA
from xmodal.projection.kernel_cca import KernelCCA


def _planted(n, d_image, d_text, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    X_image = z @ rng.normal(size=(2, d_image)) + rng.normal(size=(n, d_image))
    X_text = z @ rng.normal(size=(2, d_text)) + rng.normal(size=(n, d_text))
    return X_image, X_text


def _same_up_to_column_sign(A, B, atol):
    signs = np.sign(np.sum(A * B, axis=0))
    np.testing.assert_allclose(A * signs, B, atol=atol)


def _quadratic_map(X, gamma, coef0):
    """Explicit features of (gamma x.y + coef0)^2: their inner products are the kernel."""
    n, d = X.shape
    columns = [np.full(n, coef0), *(np.sqrt(2 * coef0 * gamma) * X.T)]
    for i, j in combinations_with_replacement(range(d), 2):
        factor = gamma if i == j else np.sqrt(2) * gamma
        columns.append(factor * X[:, i] * X[:, j])
    return np.column_stack(columns)


def test_linear_kernel_reproduces_linear_cca_on_test_rows():
    X_image, X_text = _planted(300, 6, 4, seed=0)
    T_image, T_text = _planted(17, 6, 4, seed=1)  # fewer test rows than training rows
    kcca = KernelCCA(kernel_image="linear", kernel_text="linear", reg_image=0.3, reg_text=0.05).fit(X_image, X_text)
    cca = CCA(reg_image=0.3, reg_text=0.05).fit(X_image, X_text)
    np.testing.assert_allclose(kcca.correlations_, cca.correlations_, atol=1e-10)
    _same_up_to_column_sign(kcca.transform_image(T_image), cca.transform_image(T_image), atol=1e-5)
    _same_up_to_column_sign(kcca.transform_text(T_text), cca.transform_text(T_text), atol=1e-5)


def test_linear_kernel_through_the_kernel_matrix_reproduces_dual_cca():
    """d > n_landmarks >= n: the map goes through the centred n x n kernel (KernelCenterer statistics)."""
    rng = np.random.default_rng(2)
    n, d = 40, 90
    X_image = sp.random(n, d, density=0.3, random_state=3, format="csr")
    X_text = rng.normal(size=(n, 5)) + X_image[:, :5].toarray()
    T_image = sp.random(6, d, density=0.3, random_state=4, format="csr")
    reg = 0.5
    cca = CCA(reg_image=reg, reg_text=reg).fit(X_image, X_text)
    # same absolute ridge: CCA divides the trace by d, the kernel map by its n columns
    kcca = KernelCCA(kernel_image="linear", kernel_text="linear", reg_image=reg * n / d, reg_text=reg,
                     n_landmarks=50).fit(X_image, X_text)
    assert kcca.image_map_.projection_ is not None and kcca.image_map_.n_features_out_ == n
    np.testing.assert_allclose(kcca.correlations_, cca.correlations_, atol=1e-8)
    _same_up_to_column_sign(kcca.transform_image(T_image), cca.transform_image(T_image), atol=1e-4)


def test_polynomial_kernel_equals_cca_on_the_explicit_feature_map():
    rng = np.random.default_rng(5)
    n = 400
    X_image = rng.normal(size=(n, 3))
    X_text = np.column_stack([X_image[:, 0] * X_image[:, 1], X_image[:, 2] ** 2]) + 0.3 * rng.normal(size=(n, 2))
    gamma, coef0 = 0.5, 1.0
    kcca = KernelCCA(kernel_image="polynomial", kernel_text="linear", gamma_image=gamma, coef0=coef0, degree=2,
                     reg_image=0.0, reg_text=0.0).fit(X_image, X_text)
    explicit = CCA(reg_image=0.0, reg_text=0.0).fit(_quadratic_map(X_image, gamma, coef0), X_text)
    np.testing.assert_allclose(kcca.correlations_, explicit.correlations_, atol=1e-8)
    assert kcca.correlations_[0] > 0.9  # the product / square relations are found
    T = rng.normal(size=(9, 3))
    _same_up_to_column_sign(kcca.transform_image(T), explicit.transform_image(_quadratic_map(T, gamma, coef0)),
                            atol=1e-4)


def test_rbf_kernel_recovers_a_planted_nonlinear_correlation():
    rng = np.random.default_rng(6)
    angle = rng.uniform(0, 2 * np.pi, size=500)
    X_image = np.column_stack([np.cos(angle), np.sin(angle)]) + 0.05 * rng.normal(size=(500, 2))
    X_text = np.column_stack([np.cos(2 * angle), rng.normal(size=500)])  # a quadratic function of the image
    linear = CCA(reg_image=0.0, reg_text=0.0).fit(X_image, X_text)
    kcca = KernelCCA(kernel_image="rbf", kernel_text="linear", reg_image=0.01, reg_text=0.0).fit(X_image, X_text)
    assert linear.correlations_[0] < 0.2
    assert kcca.correlations_[0] > 0.95
    Z_image, Z_text = kcca.transform_image(X_image), kcca.transform_text(X_text)
    assert np.corrcoef(Z_image[:, 0], Z_text[:, 0])[0, 1] > 0.95
    assert np.all(np.diff(kcca.correlations_) <= 0)


def test_training_rows_projected_out_of_sample_have_the_fitted_correlations():
    X_image, X_text = _planted(600, 5, 4, seed=7)
    kcca = KernelCCA(kernel_image="rbf", kernel_text="rbf", reg_image=0.0, reg_text=0.0, n_landmarks=150,
                     n_components=3).fit(X_image, X_text)
    Z_image = kcca.transform_image(X_image).astype(np.float64)
    Z_text = kcca.transform_text(X_text).astype(np.float64)
    n = len(X_image)
    np.testing.assert_allclose(Z_image.T @ Z_text / (n - 1), np.diag(kcca.correlations_), atol=1e-5)
    np.testing.assert_allclose(Z_image.T @ Z_image / (n - 1), np.eye(3), atol=1e-5)
    assert Z_image.dtype == np.float32 or kcca.transform_image(X_image).dtype == np.float32


def test_signs_are_deterministic_under_row_permutation_and_refit():
    X_image, X_text = _planted(200, 4, 3, seed=8)
    order = np.random.default_rng(0).permutation(200)
    params = dict(kernel_image="rbf", kernel_text="linear", gamma_image=0.2, n_components=3)
    first = KernelCCA(**params).fit(X_image, X_text)
    permuted = KernelCCA(**params).fit(X_image[order], X_text[order])
    np.testing.assert_allclose(permuted.transform_image(X_image), first.transform_image(X_image), atol=1e-5)
    np.testing.assert_allclose(permuted.transform_text(X_text), first.transform_text(X_text), atol=1e-5)
    again = clone(first).fit(X_image, X_text)
    np.testing.assert_array_equal(again.transform_text(X_text), first.transform_text(X_text))


def test_correlation_power_and_errors():
    X_image, X_text = _planted(150, 4, 3, seed=9)
    kcca = KernelCCA(kernel_image="chi2", kernel_text="linear", n_components=2)
    with pytest.raises(ValueError, match="kernel 'chi2' needs non-negative features.*X_image"):
        kcca.fit(X_image, X_text)
    kcca.fit(np.abs(X_image), X_text)
    plain = kcca.transform_text(X_text).astype(np.float64)
    kcca.set_params(correlation_power=2.0)
    np.testing.assert_allclose(kcca.transform_text(X_text), plain * kcca.correlations_ ** 2, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="correlation_power must be"):
        kcca.set_params(correlation_power=-1.0).transform_text(X_text)
    with pytest.raises(ValueError, match="reg_image must be a finite number >= 0"):
        KernelCCA(reg_image=-1.0).fit(X_image, X_text)
    with pytest.raises(ValueError, match="X_image has 150 rows and X_text has 149 rows"):
        KernelCCA().fit(X_image, X_text[:149])
