"""Tests for the pieces the projections share: constructor, checks, stacked eigenproblem, delegation."""

import inspect

import numpy as np
import pytest
from sklearn.base import clone

from xmodal.projection._base import require_labels, store_init_params, unit_rows
from xmodal.projection._kernel_components import class_indicators, orient_components, ridged_block_diagonal
from xmodal.projection.auto import AutoProjection
from xmodal.projection.cca import CCA
from xmodal.projection.feature_maps import KernelFeatureMap
from xmodal.projection.gram_alignment import GramAlignment
from xmodal.projection.kernel_cca import KernelCCA
from xmodal.projection.kernel_cca import orient_components as public_orient_components
from xmodal.projection.mmd import MMDAlignment
from xmodal.projection.selection import CCACV, ProjectionSearchCV
from xmodal.projection.semantic import SemanticCorrelationMatching, SemanticMatching
from xmodal.projection.three_view import ThreeViewCCA

ESTIMATORS = [CCA, KernelFeatureMap, KernelCCA, GramAlignment, MMDAlignment, ThreeViewCCA, SemanticMatching,
              SemanticCorrelationMatching, CCACV, AutoProjection]


def _views(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    X_image = np.eye(3)[y] @ rng.normal(size=(3, 5)) + rng.normal(size=(n, 5))
    X_text = np.eye(3)[y] @ rng.normal(size=(3, 4)) + rng.normal(size=(n, 4))
    return X_image, X_text, y


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_constructor_stores_every_argument_as_given(cls):
    names = [name for name in inspect.signature(cls.__init__).parameters if name != "self"]
    values = {name: object() for name in names}  # identity survives: nothing converted or validated
    estimator = cls(**values)
    assert set(vars(estimator)) == set(names)
    assert all(getattr(estimator, name) is value for name, value in values.items())
    assert clone(cls()).get_params() == cls().get_params()


def test_store_init_params_skips_self_and_class_cell():
    class Model:
        def __init__(self, a=1, b=None):
            store_init_params(self, locals())
            super().__init__()  # makes __class__ a local

    assert vars(Model(b=2)) == {"a": 1, "b": 2}


def test_search_transforms_delegate_to_the_refitted_estimator():
    X_image, X_text, _ = _views()
    search = ProjectionSearchCV([("cca", CCA())], cv=2).fit(X_image, X_text)
    np.testing.assert_array_equal(search.transform_image(X_image), search.estimator_.transform_image(X_image))
    np.testing.assert_array_equal(search.transform_text(X_text), search.estimator_.transform_text(X_text))
    with pytest.raises(Exception, match="not fitted"):
        CCACV().transform_text(X_text)


def test_ridged_block_diagonal_by_hand():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(30, 5))
    S = A.T @ A / 30
    D = ridged_block_diagonal(S, (2, 3), (0.5, 0.0), 1e-3)
    expected = np.zeros((5, 5))
    expected[:2, :2] = S[:2, :2] + 0.5 * np.trace(S[:2, :2]) / 2 * np.eye(2)
    expected[2:, 2:] = S[2:, 2:]
    expected += 1e-3 * np.trace(expected) / 5 * np.eye(5)
    np.testing.assert_allclose(D, expected, rtol=1e-14)
    assert not np.shares_memory(D, S)


def test_class_indicators():
    classes, indicators, counts = class_indicators(np.array(["b", "a", "b"]))
    assert classes.tolist() == ["a", "b"]
    np.testing.assert_array_equal(indicators, [[0, 1], [1, 0], [0, 1]])
    np.testing.assert_array_equal(counts, [1.0, 2.0])


def test_orient_components_keeps_its_public_name_and_makes_the_largest_image_score_positive():
    assert public_orient_components is orient_components
    scores = np.array([[1.0, 3.0], [-2.0, 1.0]])
    flipped, other = orient_components(scores, np.ones((1, 2)))
    np.testing.assert_array_equal(flipped, [[-1.0, 3.0], [2.0, 1.0]])
    np.testing.assert_array_equal(other, [[-1.0, 1.0]])


def test_require_labels_and_unit_rows():
    with pytest.raises(ValueError, match="Model is supervised"):
        require_labels(None, 3, "Model")
    with pytest.raises(ValueError, match="at least 2 classes"):
        require_labels([1, 1, 1], 3, "Model")
    np.testing.assert_allclose(np.linalg.norm(unit_rows(np.array([[1.0, 1.0], [2.0, 0.0]])), axis=1), 1.0)


def test_label_policies_of_the_kernel_projections():
    X_image, X_text, y = _views()
    KernelCCA(kernel_image="linear", kernel_text="linear").fit(X_image, X_text, y[:5])  # y is ignored
    with pytest.raises(ValueError, match="one label per image-text pair"):
        MMDAlignment().fit(X_image, X_text, y[:5])
    MMDAlignment().fit(X_image, X_text)  # labels optional
    with pytest.raises(ValueError, match="label_weight > 0 needs class labels"):
        GramAlignment().fit(X_image, X_text)
    GramAlignment(label_weight=0.0).fit(X_image, X_text)
    with pytest.raises(ValueError, match="ThreeViewCCA is supervised"):
        ThreeViewCCA().fit(X_image, X_text)
    with pytest.raises(ValueError, match="reg_image"):  # the shared parameters are checked first
        GramAlignment(reg_image=-1.0, label_weight=2.0).fit(X_image, X_text, y)


def test_stacked_eigenproblem_bounds_the_component_count():
    X_image, X_text, y = _views()
    for model in (MMDAlignment(n_components=5), ThreeViewCCA(n_components=5)):
        with pytest.raises(ValueError, match="n_components=5 is too large: the maximum for this data is 4"):
            model.fit(X_image, X_text, y)
    three_view = ThreeViewCCA().fit(X_image, X_text, y)
    assert three_view.n_components_ == 4 and three_view.label_weights_.shape == (3, 4)
    np.testing.assert_array_equal(three_view.image_mean_, np.zeros(5))
