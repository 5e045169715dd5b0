"""Tests for Gram alignment, semantic (correlation) matching and three-view CCA."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from xmodal.projection.cca import CCA
from xmodal.projection.gram_alignment import GramAlignment
from xmodal.projection.kernel_cca import KernelCCA
from xmodal.projection.selection import crossmodal_map
from xmodal.projection.semantic import SemanticCorrelationMatching, SemanticMatching, posterior_embedding
from xmodal.projection.three_view import ThreeViewCCA


def _classes(n=300, n_classes=4, seed=0, noise=1.5, nuisance=0.0, draw=0):
    """Class-structured views; ``nuisance`` adds a strongly paired factor unrelated to the class.

    ``seed`` fixes the class centres and mixing, ``draw`` the items (another draw: a test set).
    """
    rng = np.random.default_rng([seed, draw])
    y = rng.integers(0, n_classes, size=n)
    model = np.random.default_rng(100 + seed)  # class centres and mixing shared by train and test draws
    X_image = np.eye(n_classes)[y] @ model.normal(size=(n_classes, 6)) * 2 + noise * rng.normal(size=(n, 6))
    X_text = np.eye(n_classes)[y] @ model.normal(size=(n_classes, 5)) * 2 + noise * rng.normal(size=(n, 5))
    shared = rng.normal(size=(n, 2)) * nuisance
    X_image += shared @ model.normal(size=(2, 6))
    X_text += shared @ model.normal(size=(2, 5))
    return X_image, X_text, y


def _label_map(model, X_image, X_text, y):
    Z_image, Z_text = model.transform_image(X_image), model.transform_text(X_text)
    return crossmodal_map(Z_image, Z_text, y[:, None] == y[None, :])


# ---------------------------------------------------------------------- Gram alignment


def test_identity_target_is_cca():
    X_image, X_text, y = _classes(seed=1)
    gram = GramAlignment(label_weight=0.0, kernel_weight=0.0).fit(X_image, X_text)
    cca = CCA().fit(X_image, X_text)
    np.testing.assert_allclose(gram.alignments_, cca.correlations_, atol=1e-10)


@pytest.mark.parametrize("label_weight, kernel_weight", [(0.7, 0.0), (0.3, 0.4)])
def test_alignment_of_the_cross_gram_with_the_target_is_the_sum_of_singular_values(label_weight, kernel_weight):
    X_image, X_text, y = _classes(n=150, seed=2)
    gram = GramAlignment(label_weight=label_weight, kernel_weight=kernel_weight, target_kernel="rbf",
                         reg_image=0.0, reg_text=0.0).fit(X_image, X_text, y)
    n = len(y)
    same = (y[:, None] == y[None, :]).astype(float)
    K_label = same / same.sum(axis=1, keepdims=True)  # sum_c 1_c 1_c' / n_c
    K_target = (1 - label_weight - kernel_weight) * np.eye(n) + label_weight * K_label
    if kernel_weight:
        for modality, X in (("image", X_image), ("text", X_text)):
            from xmodal.projection.feature_maps import KernelFeatureMap

            F = KernelFeatureMap("rbf").fit_transform(X)
            K_target += kernel_weight / 2 * (F @ F.T) / np.linalg.eigvalsh(F @ F.T).max()
    assert np.linalg.eigvalsh(K_target).max() <= 1 + 1e-9
    Z_image = gram._unweighted(X_image, "image")
    Z_text = gram._unweighted(X_text, "text")
    # the centred alignment <H G H, K_T> of the cross Gram G = Z_i Z_t' is the sum of the singular values
    np.testing.assert_allclose(np.trace(Z_image.T @ K_target @ Z_text) / (n - 1), gram.alignments_.sum(), rtol=1e-8)
    np.testing.assert_allclose(Z_image.T @ Z_image / (n - 1), np.eye(gram.n_components_), atol=1e-8)
    assert np.all((gram.alignments_ >= 0) & (gram.alignments_ <= 1 + 1e-12))
    assert np.all(np.diff(gram.alignments_) <= 0)


def test_label_target_beats_cca_when_pairs_are_noisy():
    X_image, X_text, y = _classes(n=400, seed=3, nuisance=3.0)
    T_image, T_text, t = _classes(n=200, seed=3, nuisance=3.0, draw=1)  # same class centres, new items
    gram = GramAlignment(n_components=3, label_weight=0.9).fit(X_image, X_text, y)
    cca = CCA(n_components=3).fit(X_image, X_text)
    assert _label_map(gram, T_image, T_text, t) > _label_map(cca, T_image, T_text, t)


def test_gram_alignment_errors():
    X_image, X_text, y = _classes(n=60, seed=4)
    with pytest.raises(ValueError, match="label_weight > 0 needs class labels"):
        GramAlignment(label_weight=0.5).fit(X_image, X_text)
    with pytest.raises(ValueError, match="label_weight \\+ kernel_weight must be at most 1"):
        GramAlignment(label_weight=0.7, kernel_weight=0.6).fit(X_image, X_text, y)
    with pytest.raises(ValueError, match="kernel_weight must be a number in \\[0, 1\\]"):
        GramAlignment(kernel_weight=-0.1).fit(X_image, X_text, y)


# ---------------------------------------------------------------------- semantic matching


def test_match_embedding_cosine_is_the_prior_weighted_posterior_product():
    rng = np.random.default_rng(5)
    P, Q = rng.dirichlet(np.ones(3), size=4), rng.dirichlet(np.ones(3), size=5)
    priors = np.array([0.5, 0.3, 0.2])
    A, B = posterior_embedding(P, "match", priors, "image"), posterior_embedding(Q, "match", priors, "text")
    np.testing.assert_allclose(np.linalg.norm(A, axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(B, axis=1), 1.0)
    np.testing.assert_allclose(A @ B.T, (P / priors) @ Q.T / (1 / priors.min()), atol=1e-12)
    with pytest.raises(ValueError, match="output must be one of"):
        posterior_embedding(P, "softmax")


def test_semantic_matching_embeds_the_classifier_posteriors():
    X_image, X_text, y = _classes(seed=6)
    sm = SemanticMatching(C=10.0, output="probability").fit(X_image, X_text, y)
    np.testing.assert_allclose(sm.transform_image(X_image).sum(axis=1), 1.0, atol=1e-5)
    predicted = sm.classes_[np.argmax(sm.transform_text(X_text), axis=1)]
    assert np.mean(predicted == y) > 0.8
    sm.set_params(output="match")
    assert _label_map(sm, X_image, X_text, y) > 0.6
    # sparse text is accepted
    sparse = SemanticMatching().fit(X_image, sp.csr_matrix(np.abs(X_text)), y)
    assert sparse.transform_text(sp.csr_matrix(np.abs(X_text[:3]))).shape == (3, 6)


def test_scm_is_cca_then_semantic_matching():
    X_image, X_text, y = _classes(seed=7)
    scm = SemanticCorrelationMatching(n_components=3, reg=0.1).fit(X_image, X_text, y)
    assert isinstance(scm.cca_, CCA) and scm.cca_.n_components_ == 3
    kernel_scm = SemanticCorrelationMatching(n_components=3, kernel_image="rbf").fit(X_image, X_text, y)
    assert isinstance(kernel_scm.cca_, KernelCCA)
    assert _label_map(scm, X_image, X_text, y) > 0.6
    np.testing.assert_array_equal(clone(scm).fit(X_image, X_text, y).transform_text(X_text), scm.transform_text(X_text))


@pytest.mark.parametrize("model", [SemanticMatching(), SemanticCorrelationMatching(), ThreeViewCCA()])
def test_supervised_projections_need_labels(model):
    X_image, X_text, y = _classes(n=50, seed=8)
    with pytest.raises(ValueError, match="is supervised: fit needs class labels y"):
        model.fit(X_image, X_text)
    with pytest.raises(ValueError, match="at least 2 classes"):
        model.fit(X_image, X_text, np.zeros(50))


def test_classifier_parameter_errors():
    X_image, X_text, y = _classes(n=50, seed=9)
    with pytest.raises(ValueError, match="C must be a finite number > 0"):
        SemanticMatching(C=0).fit(X_image, X_text, y)
    with pytest.raises(ValueError, match="output must be one of"):
        SemanticCorrelationMatching(output="raw").fit(X_image, X_text, y)


# ---------------------------------------------------------------------- three-view CCA


def test_three_view_cca_solves_gongs_eigenproblem():
    X_image, X_text, y = _classes(seed=10)
    model = ThreeViewCCA(reg_image=0.1, reg_text=0.2, reg_label=0.3).fit(X_image, X_text, y)
    Phi = [model.image_map_.transform(X_image), model.text_map_.transform(X_text)]
    labels = (y[:, None] == model.classes_[None, :]).astype(float)
    Phi.append(labels - labels.mean(axis=0))
    stacked = np.hstack(Phi)
    S = stacked.T @ stacked / len(y)
    D = np.zeros_like(S)
    start = 0
    for block, reg in zip(Phi, (0.1, 0.2, 0.3)):
        size = block.shape[1]
        cov = S[start:start + size, start:start + size]
        D[start:start + size, start:start + size] = cov + reg * np.trace(cov) / size * np.eye(size)
        start += size
    D += 1e-10 * np.trace(D) / len(D) * np.eye(len(D))
    W = np.vstack([model.image_weights_, model.text_weights_, model.label_weights_])
    np.testing.assert_allclose(S @ W, D @ W * model.eigenvalues_, atol=1e-9)
    assert np.all(np.diff(model.eigenvalues_) <= 0) and 0 <= model.eigenvalues_.min() <= model.eigenvalues_.max() <= 3
    # the embedding is weighted by eigenvalue ** power (Gong et al.: 4)
    np.testing.assert_allclose(model.transform_image(X_image),
                               Phi[0] @ model.image_weights_ * model.eigenvalues_ ** 4, rtol=1e-5, atol=1e-6)


def test_three_view_cca_uses_the_labels():
    """True labels beat shuffled ones when a strong paired nuisance competes with the class signal."""
    X_image, X_text, y = _classes(n=400, seed=11, nuisance=3.0)
    T_image, T_text, t = _classes(n=200, seed=11, nuisance=3.0, draw=1)
    shuffled = np.random.default_rng(0).permutation(y)
    with_labels = ThreeViewCCA(n_components=3).fit(X_image, X_text, y)
    with_noise = ThreeViewCCA(n_components=3).fit(X_image, X_text, shuffled)
    assert _label_map(with_labels, T_image, T_text, t) > _label_map(with_noise, T_image, T_text, t) + 0.04


def test_instance_weight_mixes_class_and_cca_cosines():
    X_image, X_text, y = _classes(seed=12, nuisance=3.0)  # pairs share a factor beyond their class
    w = 0.3
    pure = SemanticMatching(C=1.0).fit(X_image, X_text, y)
    mixed = SemanticMatching(C=1.0, instance_weight=w).fit(X_image, X_text, y)
    cca = CCA(reg_image=0.1, reg_text=0.1, correlation_power=1.0).fit(X_image, X_text)

    def cosines(A, B):
        A = A / np.linalg.norm(A, axis=1, keepdims=True)
        B = B / np.linalg.norm(B, axis=1, keepdims=True)
        return A @ B.T

    expected = (1 - w) * cosines(pure.transform_image(X_image[:20]), pure.transform_text(X_text[:30])) \
        + w * cosines(cca.transform_image(X_image[:20]), cca.transform_text(X_text[:30]))
    np.testing.assert_allclose(cosines(mixed.transform_image(X_image[:20]), mixed.transform_text(X_text[:30])),
                               expected, atol=1e-5)
    # within a class the pure posteriors barely separate the items; the mixed space finds the own caption
    pair = np.eye(len(y), dtype=bool)
    assert crossmodal_map(mixed.transform_image(X_image), mixed.transform_text(X_text), pair) > \
        2 * crossmodal_map(pure.transform_image(X_image), pure.transform_text(X_text), pair)
    scm = SemanticCorrelationMatching(instance_weight=w).fit(X_image, X_text, y)
    assert scm.transform_text(X_text[:3]).shape == (3, 6 + scm.cca_.n_components_)
    with pytest.raises(ValueError, match="instance_weight must be a number in \\[0, 1\\)"):
        SemanticMatching(instance_weight=1.0).fit(X_image, X_text, y)


# ---------------------------------------------------------------------- distillation (soft image targets)


def _noisy_labels(n, seed, draw, flip=0.4):
    """True classes ``z``; labels ``y`` with ``flip`` of them redrawn at random; a text that knows ``z`` well."""
    rng = np.random.default_rng([seed, draw])
    model = np.random.default_rng(100 + seed)
    z = rng.integers(0, 4, n)
    y = np.where(rng.random(n) < flip, rng.integers(0, 4, n), z)
    X_image = np.eye(4)[z] @ model.normal(size=(4, 30)) + 2.5 * rng.normal(size=(n, 30))
    X_text = np.eye(4)[z] @ model.normal(size=(4, 5)) * 3 + 0.5 * rng.normal(size=(n, 5))
    return X_image, X_text, y, z


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_distillation_from_the_text_corrects_noisy_labels_for_the_image_classifier(seed):
    X_image, X_text, y, _ = _noisy_labels(200, seed, 0)
    T_image, _, _, z = _noisy_labels(500, seed, 1)
    accuracy = {}
    for a in (0.0, 0.8):
        sm = SemanticMatching(C=10.0, output="probability", distillation=a).fit(X_image, X_text, y)
        accuracy[a] = np.mean(sm.classes_[sm.transform_image(T_image).argmax(axis=1)] == z)
    assert accuracy[0.8] > accuracy[0.0] + 0.05  # measured: +0.10 to +0.17


def test_no_distillation_is_the_hard_label_model_and_the_text_side_never_changes():
    X_image, X_text, y = _classes(seed=4)
    plain = SemanticMatching(C=1.0).fit(X_image, X_text, y)
    zero = SemanticMatching(C=1.0, distillation=0.0).fit(X_image, X_text, y)
    soft = SemanticMatching(C=1.0, distillation=0.5).fit(X_image, X_text, y)
    np.testing.assert_array_equal(zero.transform_image(X_image), plain.transform_image(X_image))
    np.testing.assert_array_equal(soft.transform_text(X_text), plain.transform_text(X_text))
    assert not np.allclose(soft.transform_image(X_image), plain.transform_image(X_image))


def test_out_of_fold_posteriors_never_see_their_own_row():
    from xmodal.projection.semantic import out_of_fold_posteriors

    n = 90
    y = np.repeat([0, 1, 2], n // 3)
    Z = np.eye(n) * 10.0  # each row's only feature is its own: in-sample it is memorised, out of fold unseen
    P = out_of_fold_posteriors(Z, y, C=100.0, max_iter=500, seed=0)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert P.max() < 0.5  # unseen rows get about the class frequencies of the other folds (1/3 each)
    inside = SemanticMatching(C=100.0, output="probability").fit(Z, Z, y).transform_text(Z)
    assert inside.max(axis=1).min() > 0.9  # the in-sample classifier is sure of every training row


def test_distillation_is_validated():
    X_image, X_text, y = _classes(n=60)
    for bad in (-0.1, 1.5, True, float("nan")):
        with pytest.raises(ValueError, match="distillation must be a number in \\[0, 1\\]"):
            SemanticMatching(distillation=bad).fit(X_image, X_text, y)


def test_soft_target_regression_is_logistic_regression_on_one_hot_targets_and_stationary_on_soft_ones():
    from sklearn.linear_model import LogisticRegression

    from xmodal.projection.soft_targets import SoftTargetLogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 8))
    y = rng.integers(0, 3, size=400)
    X[:, 0] += y
    onehot = np.eye(3)[y]
    ours = SoftTargetLogisticRegression(C=0.5).fit(X, onehot, classes=np.arange(3))
    theirs = LogisticRegression(C=0.5, tol=1e-10, max_iter=5000).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-5)
    sparse = SoftTargetLogisticRegression(C=0.5).fit(sp.csr_matrix(X), onehot, classes=np.arange(3))
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)), ours.predict_proba(X), atol=1e-6)
    soft = 0.5 * onehot + 0.5 * rng.dirichlet(np.ones(3), size=400)
    model = SoftTargetLogisticRegression(C=0.5).fit(X, soft, classes=np.arange(3))
    residual = model.predict_proba(X) - soft  # optimum: C X'(S - T) + W = 0 and 1'(S - T) = 0
    np.testing.assert_allclose(0.5 * X.T @ residual + model.coef_.T, 0.0, atol=1e-4)
    np.testing.assert_allclose(residual.sum(axis=0), 0.0, atol=1e-4)


def test_a_distilled_model_saves_and_loads_without_pickle(tmp_path):
    from xmodal.persistence import load_object, save_object

    X_image, X_text, y = _classes(n=200, seed=5)
    model = SemanticMatching(distillation=0.5, instance_weight=0.1).fit(X_image, X_text, y)
    again = load_object(save_object(model, tmp_path / "sm"))
    np.testing.assert_array_equal(again.transform_image(X_image), model.transform_image(X_image))
    np.testing.assert_array_equal(again.transform_text(X_text), model.transform_text(X_text))
