"""Tests for xmodal.projection.cca (closed-form regularised CCA) and its shared _base helpers."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.cross_decomposition import CCA as SklearnCCA
from sklearn.exceptions import NotFittedError

from xmodal.projection import _base
from xmodal.projection._base import (
    centred_cross_product,
    centred_gram,
    centred_products,
    cholesky_whitening,
    check_paired_views,
    column_mean,
    inverse_sqrt_psd,
    sign_flips,
)
from xmodal.projection.cca import CCA, _leading_singular_pairs, _solve_cca


# ---------------------------------------------------------------------- helpers


def _paired_gaussian(n, d_image, d_text, rhos, seed=0):
    """Views with planted canonical correlations ``rhos`` on known directions.

    Returns the views and the true image / text directions (columns) of the planted pairs.
    """
    rng = np.random.default_rng(seed)
    k = len(rhos)
    shared = rng.normal(size=(n, k))
    image_latent = np.hstack([shared, rng.normal(size=(n, d_image - k))])
    noise = rng.normal(size=(n, k))
    text_shared = shared * rhos + noise * np.sqrt(1.0 - np.asarray(rhos) ** 2)
    text_latent = np.hstack([text_shared, rng.normal(size=(n, d_text - k))])
    mix_image = rng.normal(size=(d_image, d_image)) + 2 * np.eye(d_image)
    mix_text = rng.normal(size=(d_text, d_text)) + 2 * np.eye(d_text)
    X_image = image_latent @ mix_image + 5.0
    X_text = text_latent @ mix_text - 3.0
    # latent_j = X @ inv(mix)[:, j] (up to the offset), so these are the true directions
    return X_image, X_text, np.linalg.inv(mix_image)[:, :k], np.linalg.inv(mix_text)[:, :k]


def _abs_cosine(a, b):
    return abs(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b))


def _column_correlations(A, B):
    return np.array([np.corrcoef(A[:, j], B[:, j])[0, 1] for j in range(A.shape[1])])


def _sparse_views(n=40, d_image=300, d_text=6, seed=3):
    """Sparse image view with d > n (dual path) paired with a small dense text view."""
    rng = np.random.default_rng(seed)
    X_image = sp.random(n, d_image, density=0.08, random_state=seed, format="csr")
    X_text = np.asarray(X_image[:, :d_text].todense()) + 0.1 * rng.normal(size=(n, d_text))
    return X_image, X_text


# ---------------------------------------------------------------------- reference agreement


def test_matches_sklearn_cca_on_well_posed_data():
    X_image, X_text, _, _ = _paired_gaussian(2000, 5, 4, [0.8, 0.5, 0.3])
    reference = SklearnCCA(n_components=4, scale=False, max_iter=5000, tol=1e-12).fit(X_image, X_text)
    ref_image, ref_text = reference.transform(X_image, X_text)
    ref_correlations = _column_correlations(ref_image, ref_text)

    ours = CCA(reg_image=0.0, reg_text=0.0).fit(X_image, X_text)
    assert ours.n_components_ == 4
    ours_correlations = _column_correlations(
        ours.transform_image(X_image).astype(np.float64), ours.transform_text(X_text).astype(np.float64)
    )
    np.testing.assert_allclose(ours_correlations, ref_correlations, atol=1e-3)
    np.testing.assert_allclose(ours.correlations_, ref_correlations, atol=1e-3)
    assert _abs_cosine(ours.image_weights_[:, 0], reference.x_rotations_[:, 0]) > 1 - 1e-6
    assert _abs_cosine(ours.text_weights_[:, 0], reference.y_rotations_[:, 0]) > 1 - 1e-6


def test_recovers_planted_correlations_and_directions():
    rhos = [0.9, 0.6]
    X_image, X_text, true_image, true_text = _paired_gaussian(4000, 6, 5, rhos, seed=1)
    cca = CCA(reg_image=0.0, reg_text=0.0).fit(X_image, X_text)
    np.testing.assert_allclose(cca.correlations_[:2], rhos, atol=0.03)
    assert cca.correlations_[2] < 0.1  # nothing else is correlated
    for j in range(2):
        assert _abs_cosine(cca.image_weights_[:, j], true_image[:, j]) > 0.99
        assert _abs_cosine(cca.text_weights_[:, j], true_text[:, j]) > 0.99


# ---------------------------------------------------------------------- invariants


def test_components_ordered_unit_variance_and_decorrelated_without_regularisation():
    X_image, X_text, _, _ = _paired_gaussian(1500, 7, 5, [0.85, 0.7, 0.4, 0.2], seed=2)
    cca = CCA(reg_image=0.0, reg_text=0.0)
    Z_image, Z_text = (Z.astype(np.float64) for Z in cca.fit_transform(X_image, X_text))
    k = cca.n_components_
    assert k == 5
    assert np.all(np.diff(cca.correlations_) <= 0)
    n = X_image.shape[0]
    np.testing.assert_allclose(Z_image.T @ Z_image / (n - 1), np.eye(k), atol=1e-5)
    np.testing.assert_allclose(Z_text.T @ Z_text / (n - 1), np.eye(k), atol=1e-5)
    np.testing.assert_allclose(Z_image.T @ Z_text / (n - 1), np.diag(cca.correlations_), atol=1e-5)
    np.testing.assert_allclose(Z_image.mean(axis=0), 0.0, atol=1e-5)


def test_regularised_weights_are_normalised_by_the_ridged_covariance():
    X_image, X_text, _, _ = _paired_gaussian(500, 6, 4, [0.8, 0.4], seed=4)
    reg_image, reg_text = 0.5, 0.2
    cca = CCA(reg_image=reg_image, reg_text=reg_text).fit(X_image, X_text)
    for X, reg, weights, lam in (
        (X_image, reg_image, cca.image_weights_, cca.image_lambda_),
        (X_text, reg_text, cca.text_weights_, cca.text_lambda_),
    ):
        cov = np.cov(X, rowvar=False)
        d = X.shape[1]
        assert lam == pytest.approx(reg * np.trace(cov) / d, rel=1e-12)
        ridged = cov + lam * np.eye(d)
        np.testing.assert_allclose(weights.T @ ridged @ weights, np.eye(weights.shape[1]), atol=1e-10)
    # regularised correlations are a lower bound on the empirical ones
    empirical = _column_correlations(X_image @ cca.image_weights_, X_text @ cca.text_weights_)
    assert np.all(cca.correlations_ <= empirical + 1e-12)
    assert np.all(np.diff(cca.correlations_) <= 0)


def test_regularisation_is_scale_free():
    X_image, X_text, _, _ = _paired_gaussian(400, 6, 4, [0.8, 0.4], seed=5)
    base = CCA(reg_image=0.3, reg_text=0.3).fit(X_image, X_text)
    scaled = CCA(reg_image=0.3, reg_text=0.3).fit(1000.0 * X_image, 0.01 * X_text)
    np.testing.assert_allclose(scaled.correlations_, base.correlations_, rtol=1e-9)
    np.testing.assert_allclose(scaled.image_weights_ * 1000.0, base.image_weights_, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(scaled.text_weights_ * 0.01, base.text_weights_, rtol=1e-7, atol=1e-12)
    assert scaled.image_lambda_ == pytest.approx(base.image_lambda_ * 1e6, rel=1e-9)


@pytest.mark.parametrize("make_views", ["dense_primal", "sparse_dual"])
def test_refit_and_row_permutation_give_the_same_weights(make_views):
    if make_views == "dense_primal":
        X_image, X_text, _, _ = _paired_gaussian(600, 6, 5, [0.9, 0.5], seed=6)
    else:
        X_image, X_text = _sparse_views()
    params = dict(n_components=3, reg_image=0.2, reg_text=0.1)
    first = CCA(**params).fit(X_image, X_text)
    second = CCA(**params).fit(X_image, X_text)
    np.testing.assert_allclose(second.image_weights_, first.image_weights_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(second.text_weights_, first.text_weights_, rtol=0, atol=1e-12)

    order = np.random.default_rng(0).permutation(X_image.shape[0])
    permuted = CCA(**params).fit(X_image[order], X_text[order])
    scale = np.abs(first.image_weights_).max()
    np.testing.assert_allclose(permuted.image_weights_, first.image_weights_, atol=1e-8 * scale)
    np.testing.assert_allclose(permuted.text_weights_, first.text_weights_,
                               atol=1e-8 * np.abs(first.text_weights_).max())
    np.testing.assert_allclose(permuted.correlations_, first.correlations_, atol=1e-10)


def test_sign_convention_is_deterministic():
    X_image, X_text, _, _ = _paired_gaussian(500, 5, 4, [0.9, 0.6, 0.3], seed=7)
    cca = CCA(reg_image=0.1, reg_text=0.1).fit(X_image, X_text)
    columns = np.arange(cca.n_components_)
    pivots = cca.image_weights_[np.abs(cca.image_weights_).argmax(axis=0), columns]
    assert np.all(pivots > 0)
    # paired projections are positively correlated
    assert np.all(_column_correlations(X_image @ cca.image_weights_, X_text @ cca.text_weights_) > 0)
    # negating the image view: the image weights keep their convention, so the text
    # weights must flip to keep the pairs positively correlated
    negated = CCA(reg_image=0.1, reg_text=0.1).fit(-X_image, X_text)
    np.testing.assert_allclose(negated.image_weights_, cca.image_weights_, atol=1e-10)
    np.testing.assert_allclose(negated.text_weights_, -cca.text_weights_, atol=1e-10)


def test_sign_flips_helper():
    weights = np.array([[0.1, -0.9, 0.0], [-0.8, 0.2, 0.0], [0.3, 0.5, 0.0]])
    np.testing.assert_array_equal(sign_flips(weights), [-1.0, -1.0, 1.0])
    assert np.all((weights * sign_flips(weights))[[1, 0], [0, 1]] > 0)


# ---------------------------------------------------------------------- degenerate input


def _fit_without_warnings(X_image, X_text, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cca = CCA(**params).fit(X_image, X_text)
        Z_image, Z_text = cca.transform_image(X_image), cca.transform_text(X_text)
    for array in (cca.image_weights_, cca.text_weights_, cca.correlations_, Z_image, Z_text):
        assert np.all(np.isfinite(array))
    return cca, Z_image, Z_text


@pytest.mark.parametrize("reg", [0.0, 0.1])
def test_duplicated_and_constant_columns_are_handled(reg):
    X_image, X_text, _, _ = _paired_gaussian(300, 4, 3, [0.9, 0.5], seed=8)
    X_image = np.hstack([X_image, X_image[:, :1], np.full((300, 1), 7.0)])  # rank stays 4
    X_text = np.hstack([X_text, 2.0 * X_text[:, 1:2]])  # rank stays 3
    cca, Z_image, Z_text = _fit_without_warnings(X_image, X_text, reg_image=reg, reg_text=reg)
    assert cca.n_components_ == 3
    # the redundant columns change nothing: same correlations as on the clean views
    clean = CCA(reg_image=reg, reg_text=reg).fit(X_image[:, :4], X_text[:, :3])
    if reg == 0.0:
        np.testing.assert_allclose(cca.correlations_, clean.correlations_, atol=1e-6)
        np.testing.assert_allclose(Z_image, clean.transform_image(X_image[:, :4]), atol=1e-4)
    assert cca.correlations_[0] > 0.7
    # the constant column gets no weight; the duplicated pair shares its weight equally
    weights = cca.image_weights_
    scale = np.abs(weights).max()
    np.testing.assert_allclose(weights[5], 0.0, atol=1e-9 * scale)
    np.testing.assert_allclose(weights[0], weights[4], atol=1e-9 * scale)


@pytest.mark.parametrize("reg", [0.0, 0.5])
def test_more_features_than_samples_is_finite(reg):
    rng = np.random.default_rng(9)
    X_image = rng.normal(size=(30, 80))
    X_text = rng.normal(size=(30, 50))
    cca, Z_image, Z_text = _fit_without_warnings(X_image, X_text, reg_image=reg, reg_text=reg)
    assert cca.n_components_ == 29  # centred rows span n - 1 dimensions
    if reg == 0.0:
        # unregularised CCA with d > n correlates the training pairs perfectly
        np.testing.assert_allclose(cca.correlations_, 1.0, atol=1e-6)
    else:
        assert np.all(cca.correlations_ < 1.0)


def test_constant_view_is_rejected():
    X_image = np.ones((10, 3))
    X_text = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="X_image has zero variance"):
        CCA().fit(X_image, X_text)


# ---------------------------------------------------------------------- primal vs dual


@pytest.mark.parametrize("sparse_input", [True, False])
def test_primal_and_dual_paths_agree(sparse_input):
    X_image, X_text = _sparse_views(n=50, d_image=200, d_text=8, seed=10)
    if not sparse_input:
        X_image = X_image.toarray()
    X_text = np.hstack([X_text, np.random.default_rng(1).normal(size=(50, 60))])  # d_text > n too
    X_image, X_text = check_paired_views(X_image, X_text)
    common = dict(n_components=6, reg_image=0.3, reg_text=0.2, eigenvalue_floor=1e-10)
    dual = _solve_cca(X_image, X_text, solver_image="dual", solver_text="dual", **common)
    for solver_image, solver_text in (("primal", "primal"), ("primal", "dual"), ("dual", "primal")):
        other = _solve_cca(X_image, X_text, solver_image=solver_image, solver_text=solver_text, **common)
        np.testing.assert_allclose(other.correlations, dual.correlations, atol=1e-9)
        np.testing.assert_allclose(other.image_weights, dual.image_weights,
                                   atol=1e-8 * np.abs(dual.image_weights).max())
        np.testing.assert_allclose(other.text_weights, dual.text_weights,
                                   atol=1e-8 * np.abs(dual.text_weights).max())
        assert other.image_lambda == pytest.approx(dual.image_lambda, rel=1e-10)
    # the public estimator picks the dual path here and gives the same answer
    cca = CCA(**common).fit(X_image, X_text)
    np.testing.assert_allclose(cca.image_weights_, dual.image_weights, atol=1e-12)


def test_dual_path_matches_primal_for_plain_cca_with_more_samples_than_features():
    X_image, X_text, _, _ = _paired_gaussian(150, 5, 4, [0.9, 0.6, 0.3], seed=23)
    X_image, X_text = check_paired_views(X_image, X_text)
    common = dict(n_components=4, reg_image=0.0, reg_text=0.0, eigenvalue_floor=1e-10)
    primal = _solve_cca(X_image, X_text, **common)
    dual = _solve_cca(X_image, X_text, solver_image="dual", solver_text="dual", **common)
    np.testing.assert_allclose(dual.correlations, primal.correlations, atol=1e-10)
    np.testing.assert_allclose(dual.image_weights, primal.image_weights, atol=1e-8)
    np.testing.assert_allclose(dual.text_weights, primal.text_weights, atol=1e-8)
    np.testing.assert_allclose(dual.image_scores, primal.image_scores, atol=1e-8)


def test_sparse_and_dense_input_agree():
    X_image, X_text = _sparse_views(n=120, d_image=40, d_text=6, seed=11)  # primal: d < n
    sparse_fit = CCA(n_components=4).fit(X_image, sp.csr_matrix(X_text))
    dense_fit = CCA(n_components=4).fit(X_image.toarray(), X_text)
    np.testing.assert_allclose(sparse_fit.correlations_, dense_fit.correlations_, atol=1e-10)
    np.testing.assert_allclose(sparse_fit.image_weights_, dense_fit.image_weights_, atol=1e-8)
    np.testing.assert_allclose(
        sparse_fit.transform_image(X_image), dense_fit.transform_image(X_image.toarray()), atol=1e-5
    )


def test_sparse_dual_path_never_densifies_the_data(monkeypatch):
    n, d = 40, 100_000
    X_image = sp.random(n, d, density=2e-3, random_state=12, format="csr")
    X_text = np.random.default_rng(12).normal(size=(n, 5)) + X_image[:, :5].toarray()

    def guarded(self, *args, **kwargs):
        if max(self.shape) >= d:
            raise AssertionError(f"densified a sparse matrix of shape {self.shape}")
        return original(self, *args, **kwargs)

    original = sp.csr_matrix.toarray
    for cls in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        monkeypatch.setattr(cls, "toarray", guarded)
        monkeypatch.setattr(cls, "todense", guarded)
    cca = CCA(n_components=3).fit(X_image, X_text)
    Z = cca.transform_image(X_image)
    assert Z.shape == (n, 3) and Z.dtype == np.float32
    assert cca.image_weights_.shape == (d, 3)


# ---------------------------------------------------------------------- transform


@pytest.mark.parametrize("make_views", ["dense_primal", "sparse_dual"])
def test_single_modality_transform_equals_joint_training_projection(make_views):
    if make_views == "dense_primal":
        X_image, X_text, _, _ = _paired_gaussian(400, 6, 5, [0.9, 0.5], seed=13)
    else:
        X_image, X_text = _sparse_views(seed=13)
    cca = CCA(n_components=3, correlation_power=2.0)
    joint_image, joint_text = cca.fit_transform(X_image, X_text)
    image_alone = cca.transform_image(X_image)
    text_alone = cca.transform_text(X_text)
    assert image_alone.dtype == np.float32 and image_alone.shape == (X_image.shape[0], 3)
    np.testing.assert_allclose(image_alone, joint_image, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(text_alone, joint_text, rtol=1e-5, atol=1e-6)
    # and one query at a time gives the same rows
    np.testing.assert_allclose(cca.transform_text(X_text[2:3]), text_alone[2:3], rtol=1e-5, atol=1e-6)


def test_transform_follows_the_documented_formula():
    X_image, X_text, _, _ = _paired_gaussian(300, 5, 4, [0.8], seed=14)
    cca = CCA(n_components=2, correlation_power=1.5).fit(X_image, X_text)
    expected = (X_image - X_image.mean(axis=0)) @ cca.image_weights_ * cca.correlations_ ** 1.5
    np.testing.assert_allclose(cca.transform_image(X_image), expected, rtol=1e-5, atol=1e-6)


def test_correlation_power_scales_components():
    X_image, X_text, _, _ = _paired_gaussian(500, 5, 4, [0.9, 0.5, 0.2], seed=15)
    cca = CCA(n_components=3, correlation_power=0.0).fit(X_image, X_text)
    plain = cca.transform_text(X_text).astype(np.float64)
    cca.set_params(correlation_power=4.0)
    powered = cca.transform_text(X_text).astype(np.float64)
    np.testing.assert_allclose(powered, plain * cca.correlations_ ** 4, rtol=1e-5, atol=1e-7)
    ratio = np.linalg.norm(powered, axis=0) / np.linalg.norm(plain, axis=0)
    assert ratio[0] > ratio[1] > ratio[2]


# ---------------------------------------------------------------------- estimator API


def test_clone_and_get_params():
    cca = CCA(n_components=3, reg_image=0.4, reg_text=0.0, correlation_power=2.0, eigenvalue_floor=1e-8)
    assert cca.get_params() == dict(
        n_components=3, reg_image=0.4, reg_text=0.0, correlation_power=2.0, eigenvalue_floor=1e-8
    )
    X_image, X_text, _, _ = _paired_gaussian(200, 5, 4, [0.8], seed=16)
    cca.fit(X_image, X_text, y=np.arange(200))  # y is accepted and ignored
    copy = clone(cca)
    assert copy.get_params() == cca.get_params()
    assert not hasattr(copy, "image_weights_")
    np.testing.assert_array_equal(copy.fit(X_image, X_text).correlations_, cca.correlations_)


def test_n_components_default_and_maximum():
    X_image, X_text, _, _ = _paired_gaussian(200, 6, 4, [0.8], seed=17)
    assert CCA().fit(X_image, X_text).n_components_ == 4
    with pytest.raises(ValueError, match="n_components=5 is too large.*maximum.* 4"):
        CCA(n_components=5).fit(X_image, X_text)


# ---------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "params, error, message",
    [
        (dict(n_components=0), ValueError, "n_components must be >= 1"),
        (dict(n_components=2.5), TypeError, "n_components must be a positive int"),
        (dict(n_components=True), TypeError, "n_components must be a positive int"),
        (dict(reg_image=-0.1), ValueError, "reg_image must be a finite number >= 0"),
        (dict(reg_text=np.inf), ValueError, "reg_text must be a finite number >= 0"),
        (dict(correlation_power=-1), ValueError, "correlation_power must be"),
        (dict(eigenvalue_floor=0.0), ValueError, r"eigenvalue_floor must be a number in \(0, 1\)"),
        (dict(eigenvalue_floor=1.5), ValueError, r"eigenvalue_floor must be a number in \(0, 1\)"),
    ],
)
def test_invalid_parameters_are_rejected_in_fit(params, error, message):
    X_image, X_text, _, _ = _paired_gaussian(50, 3, 3, [0.5], seed=18)
    cca = CCA(**params)  # __init__ stores without validating
    with pytest.raises(error, match=message):
        cca.fit(X_image, X_text)


@pytest.mark.parametrize(
    "X_image, X_text, error, message",
    [
        (np.ones((5, 2)), np.ones((4, 2)), ValueError, "X_image has 5 rows and X_text has 4 rows"),
        (np.ones((1, 2)), np.ones((1, 2)), ValueError, "At least 2 image-text pairs"),
        (np.ones(5), np.ones((5, 2)), ValueError, "X_image must be 2-D"),
        (np.ones((5, 2)), np.ones((5, 2, 1)), ValueError, "X_text must be 2-D"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), np.ones((2, 2)), ValueError, "X_image contains 1 NaN"),
        (np.ones((2, 2)), sp.csr_matrix([[np.inf, 0.0], [0.0, 1.0]]), ValueError, "X_text contains 1 NaN or inf"),
        (np.array([["a", "b"], ["c", "d"]]), np.ones((2, 2)), TypeError, "X_image must hold real numbers"),
        (np.ones((3, 2)), np.ones((3, 2)) * 1j, TypeError, "X_text must hold real numbers"),
        (np.ones((3, 0)), np.ones((3, 2)), ValueError, "X_image has no columns"),
    ],
)
def test_invalid_views_are_rejected(X_image, X_text, error, message):
    with pytest.raises(error, match=message):
        CCA().fit(X_image, X_text)


def test_transform_validation():
    X_image, X_text, _, _ = _paired_gaussian(100, 5, 4, [0.8], seed=19)
    with pytest.raises(NotFittedError):
        CCA().transform_image(X_image)
    cca = CCA(n_components=2).fit(X_image, X_text)
    with pytest.raises(ValueError, match="X has 4 features, but the projection was fitted with 5 image features"):
        cca.transform_image(X_text)
    with pytest.raises(ValueError, match="fitted with 4 text features"):
        cca.transform_text(X_image)
    bad = X_text.copy()
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        cca.transform_text(bad)
    with pytest.raises(ValueError, match="reshape"):
        cca.transform_text(X_text[0])


# ---------------------------------------------------------------------- _base helpers


def test_inverse_sqrt_psd_whitens_and_floors():
    rng = np.random.default_rng(20)
    A = rng.normal(size=(6, 6))
    spd = A @ A.T + 0.1 * np.eye(6)
    inv_sqrt, eigenvalues = inverse_sqrt_psd(spd, return_eigenvalues=True)
    np.testing.assert_allclose(inv_sqrt @ spd @ inv_sqrt, np.eye(6), atol=1e-8)
    np.testing.assert_allclose(inv_sqrt, inv_sqrt.T)
    assert np.all(np.diff(eigenvalues) <= 0)
    singular = np.diag([4.0, 1.0, 0.0])
    floored = inverse_sqrt_psd(singular, floor=1e-6)
    np.testing.assert_allclose(np.diag(floored), [0.5, 1.0, 1.0 / np.sqrt(4e-6)])
    with pytest.raises(ValueError, match="no positive eigenvalue"):
        inverse_sqrt_psd(np.zeros((3, 3)))


def test_centred_products_match_dense_for_sparse_input():
    X = sp.random(30, 12, density=0.3, random_state=21, format="csr")
    Y = sp.random(30, 7, density=0.3, random_state=22, format="csr")
    Xd, Yd = X.toarray(), Y.toarray()
    mx, my = column_mean(X), column_mean(Y)
    np.testing.assert_allclose(mx, Xd.mean(axis=0))
    np.testing.assert_allclose(centred_gram(X, mx), (Xd - mx) @ (Xd - mx).T, atol=1e-12)
    expected = (Xd - mx).T @ (Yd - my)
    np.testing.assert_allclose(centred_cross_product(X, mx, Y, my), expected, atol=1e-12)
    np.testing.assert_allclose(centred_cross_product(X, mx, Yd, my), expected, atol=1e-12)
    np.testing.assert_allclose(centred_cross_product(Xd, mx, Y, my), expected, atol=1e-12)


def test_dense_products_over_many_row_blocks_match_numpy(monkeypatch):
    monkeypatch.setattr(_base, "_BLOCK_BYTES", 8 * 13 * 64)  # 64-row blocks: 4 of them, the last short
    rng = np.random.default_rng(23)
    X, Y = rng.normal(size=(230, 13)) + 100.0, rng.normal(size=(230, 5)) - 7.0
    mx, my = column_mean(X), column_mean(Y)
    assert len(_base.row_blocks(230, 13)) == 4
    xx, yy, xy = centred_products(X, mx, Y, my)
    np.testing.assert_allclose(xx, (X - mx).T @ (X - mx), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(yy, (Y - my).T @ (Y - my), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(xy, (X - mx).T @ (Y - my), rtol=1e-12, atol=1e-10)
    assert np.array_equal(xx, xx.T) and np.array_equal(yy, yy.T)
    np.testing.assert_array_equal(centred_cross_product(X, mx, X, mx), xx)
    np.testing.assert_array_equal(centred_cross_product(X, mx, Y, my), xy)


def test_cholesky_whitening_whitens_and_declines_near_singular_covariances():
    rng = np.random.default_rng(24)
    A = rng.normal(size=(200, 6))
    cov = A.T @ A / 199
    for lam in (0.0, 0.3):
        factor = cholesky_whitening(cov, lam, 1e-10, 200)
        np.testing.assert_allclose(factor.T @ (cov + lam * np.eye(6)) @ factor, np.eye(6), atol=1e-10)
        assert np.allclose(factor, np.triu(factor))
    duplicated = np.hstack([A, A[:, :1]])  # rank 6 of 7
    assert cholesky_whitening(duplicated.T @ duplicated, 0.5, 1e-10, 200) is None
    nearly = np.diag([1.0, 1.0, 1e-11])  # below the 1e-10 floor: the eigen-route must decide
    assert cholesky_whitening(nearly, 0.0, 1e-10, 3) is None


def test_cholesky_shortcut_gives_the_eigen_route_solution(monkeypatch):
    X_image, X_text, _, _ = _paired_gaussian(400, 8, 6, [0.9, 0.6, 0.3])
    for reg in (0.0, 0.2):
        fast = CCA(reg_image=reg, reg_text=reg).fit(X_image, X_text)
        with monkeypatch.context() as patch:
            patch.setattr("xmodal.projection.cca.cholesky_whitening", lambda *args: None)
            slow = CCA(reg_image=reg, reg_text=reg).fit(X_image, X_text)
        np.testing.assert_allclose(fast.correlations_, slow.correlations_, atol=1e-10)
        np.testing.assert_allclose(fast.image_weights_, slow.image_weights_, atol=1e-8)
        np.testing.assert_allclose(fast.text_weights_, slow.text_weights_, atol=1e-8)


@pytest.mark.parametrize("shape", [(40, 12), (12, 40)])
def test_few_leading_singular_pairs_match_the_full_svd(shape):
    rng = np.random.default_rng(25)
    matrix = rng.normal(size=shape)
    left, values, right = _leading_singular_pairs(matrix, 3)  # 4 * 3 <= 12: the Gram route
    full_left, full_values, full_right_t = np.linalg.svd(matrix, full_matrices=False)
    np.testing.assert_allclose(values, full_values[:3], rtol=1e-10)
    signs = np.sign(np.sum(left * full_left[:, :3], axis=0))
    np.testing.assert_allclose(left * signs, full_left[:, :3], atol=1e-9)
    np.testing.assert_allclose(right * signs, full_right_t[:3].T, atol=1e-9)
    rank_one = np.outer(rng.normal(size=shape[0]), rng.normal(size=shape[1]))
    _, values, _ = _leading_singular_pairs(rank_one, 3)  # zero singular values: full SVD instead
    np.testing.assert_allclose(values, np.linalg.svd(rank_one, compute_uv=False)[:3], atol=1e-10)
