"""Tests for cross-validated selection (ProjectionSearchCV, AutoProjection) and the projection CLI options."""

import argparse

import numpy as np
import pytest
from sklearn.base import clone

from xmodal.projection import options
from xmodal.projection.auto import AutoProjection, candidate_grid
from xmodal.projection.cca import CCA
from xmodal.projection.selection import (
    CCACV,
    ProjectionSearchCV,
    cross_validate_projections,
    crossmodal_map,
    group_folds,
)
from xmodal.projection.semantic import SemanticMatching


def _paired(n=150, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    return z @ rng.normal(size=(2, 6)) + 0.5 * rng.normal(size=(n, 6)), z @ rng.normal(size=(2, 5)) + 0.5 * rng.normal(
        size=(n, 5))


def _labelled(n=240, seed=0):
    """Labels carry the signal; the pairs share a strong nuisance factor unrelated to the class."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    nuisance = 3.0 * rng.normal(size=(n, 1))
    X_image = np.eye(3)[y] + 0.7 * rng.normal(size=(n, 3))
    X_text = np.eye(3)[y] @ rng.normal(size=(3, 4)) + 0.7 * rng.normal(size=(n, 4))
    return np.hstack([X_image, nuisance]), np.hstack([X_text, nuisance + 0.1 * rng.normal(size=(n, 1))]), y


def test_cross_validation_scores_match_a_hand_computed_fold_loop():
    X_image, X_text = _paired(seed=1)
    groups = np.repeat(np.arange(75), 2)  # two captions per image
    rows = cross_validate_projections([CCA(reg_image=0.1, reg_text=0.1)], X_image, X_text, groups=groups,
                                      n_components=(1,), powers=(2.0,), cv=3, seed=4)
    folds = group_folds(groups, 3, 4)
    assert all(len(set(folds[groups == g])) == 1 for g in range(75))  # an image's captions share a fold
    scores = []
    for fold in range(3):
        train, val = folds != fold, np.flatnonzero(folds == fold)
        model = CCA(n_components=1, reg_image=0.1, reg_text=0.1, correlation_power=2.0).fit(X_image[train],
                                                                                             X_text[train])
        images = val[::2]  # the first row of each group in this fold
        relevant = groups[images][:, None] == groups[val][None, :]
        scores.append(crossmodal_map(model.transform_image(X_image[images]), model.transform_text(X_text[val]),
                                     relevant))
    assert rows == [{"candidate": 0, "n_components": 1, "correlation_power": 2.0,
                     "score": pytest.approx(np.mean(scores), abs=1e-6)}]


def test_search_picks_the_supervised_candidate_when_labels_carry_the_signal():
    X_image, X_text, y = _labelled(seed=2)
    search = ProjectionSearchCV([("cca", CCA(reg_image=0.1, reg_text=0.1)), ("sm", SemanticMatching(C=10.0))],
                                n_components=(1, None)).fit(X_image, X_text, y)
    assert search.chosen_ == "sm" and search.best_params_ == {"method": "sm", "C": 10.0}
    methods = {row["method"] for row in search.cv_results_}
    assert methods == {"cca", "sm"} and len(search.cv_results_) == 3  # cca at 1 and all components, sm once
    assert search.best_score_ == max(row["score"] for row in search.cv_results_)
    assert search.transform_text(X_text[:4]).shape == (4, 5)
    with pytest.raises(ValueError, match="candidate names must be unique"):
        ProjectionSearchCV([("a", CCA()), ("a", CCA())]).fit(X_image, X_text, y)


def test_auto_without_labels_is_ccacv():
    X_image, X_text = _paired(seed=3)
    auto = AutoProjection(seed=1).fit(X_image, X_text)
    reference = CCACV(seed=1).fit(X_image, X_text)
    assert auto.chosen_ == "cca"
    assert auto.best_params_ == {"method": "cca", **reference.best_params_}
    np.testing.assert_array_equal(auto.transform_text(X_text), reference.transform_text(X_text))


def test_auto_with_labels_keeps_the_cross_validated_winner():
    X_image, X_text, y = _labelled(seed=4)
    auto = AutoProjection(seed=0).fit(X_image, X_text, y)
    winner = max(auto.cv_results_, key=lambda row: row["score"])
    assert auto.chosen_ == winner["method"] and auto.best_score_ == winner["score"]
    assert not auto.chosen_.startswith("cca")  # the paired nuisance misleads CCA; the labels do not
    assert {row["method"].split()[0] for row in auto.cv_results_} == {"cca", "three-view-cca", "scm", "sm"}
    assert auto.best_params_["method"] == auto.chosen_
    copy = clone(auto)
    assert copy.get_params() == {"method": "auto", "cv": 3, "seed": 0} and not hasattr(copy, "estimator_")


def test_candidate_grids_follow_the_data():
    X_image, X_text, y = _labelled(n=60, seed=5)
    names = [name for name, _ in candidate_grid("kcca", np.abs(X_image), X_text, labelled=False)]
    assert all(name.startswith("kcca chi2") for name in names)  # non-negative image features: chi2
    names = [name for name, _ in candidate_grid("kcca", X_image, X_text, labelled=False)]
    assert all(name.startswith("kcca rbf") for name in names)
    assert len(candidate_grid("mmd", X_image, X_text, labelled=True)) > len(
        candidate_grid("mmd", X_image, X_text, labelled=False))
    with pytest.raises(ValueError, match="projection 'sm' is supervised"):
        AutoProjection(method="sm").fit(X_image, X_text)
    with pytest.raises(ValueError, match="method must be one of"):
        AutoProjection(method="pca").fit(X_image, X_text)


@pytest.mark.parametrize("name", options.PROJECTIONS)
def test_every_projection_name_builds_an_estimator_from_the_command_line(name):
    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(["--projection", name, "--cv-folds", "4"])
    projection = options.from_arguments(args)
    if name == "cca":
        assert isinstance(projection, CCA)
    else:
        assert isinstance(projection, AutoProjection)
        assert projection.method == ("auto" if name == "default" else name) and projection.cv == 4


def test_default_projection_and_describe():
    projection = options.default_projection(seed=3)
    assert isinstance(projection, AutoProjection) and projection.method == "auto" and projection.seed == 3
    X_image, X_text = _paired(seed=6)
    described = options.describe(projection.fit(X_image, X_text))
    assert described["name"] == "AutoProjection" and described["chosen"] == "cca"
    assert described["params"]["method"] == "cca"
    assert options.describe(CCA())["params"]["reg_image"] == 0.1


def test_a_chosen_supervised_projection_saves_and_loads_without_pickle(tmp_path):
    from xmodal.persistence import load_object, save_object

    X_image, X_text, y = _labelled(seed=7)
    labels = np.array(["cat", "dog", "fish"], dtype=object)[y]  # object labels, as a manifest gives them
    auto = AutoProjection().fit(np.abs(X_image), X_text, labels)
    again = load_object(save_object(auto, tmp_path / "projection"))
    assert again.chosen_ == auto.chosen_
    np.testing.assert_array_equal(again.transform_text(X_text[:5]), auto.transform_text(X_text[:5]))
    np.testing.assert_array_equal(again.transform_image(np.abs(X_image[:5])), auto.transform_image(np.abs(X_image[:5])))


def test_candidates_of_a_fold_share_feature_maps_without_changing_any_score(monkeypatch):
    from xmodal.projection import feature_maps
    from xmodal.projection.kernel_cca import KernelCCA

    X_image, X_text, y = _labelled(n=150, seed=3)
    X_image = np.abs(X_image)  # chi2 needs histograms
    candidates = [KernelCCA(kernel_image="chi2", kernel_text="linear", reg_image=reg, reg_text=reg)
                  for reg in (0.01, 0.1, 1.0)] + [SemanticMatching(kernel_image="chi2", C=1.0)]
    fits = []
    original = feature_maps.KernelFeatureMap.fit_transform
    monkeypatch.setattr(feature_maps.KernelFeatureMap, "fit_transform",
                        lambda self, X, y=None, **kw: fits.append(self.kernel) or original(self, X, y, **kw))
    shared = cross_validate_projections(candidates, X_image, X_text, y=y, cv=3)
    assert sorted(fits) == ["chi2"] * 3 + ["linear"] * 3  # one map per modality and fold, not one per candidate
    fits.clear()
    with monkeypatch.context() as patch:  # every candidate fitting its own maps
        patch.setattr(feature_maps, "sharing_feature_maps", lambda: __import__("contextlib").nullcontext())
        patch.setattr("xmodal.projection.selection.sharing_feature_maps",
                      lambda: __import__("contextlib").nullcontext())
        alone = cross_validate_projections(candidates, X_image, X_text, y=y, cv=3)
    assert len(fits) == 4 * 2 * 3
    assert shared == alone
