"""Fusion classification: items, holdout, blocks, the linear classifier, late fusion, FusionClassifier."""

from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp

from xmodal.fusion.blocks import BlockScaler, concat_blocks
from xmodal.fusion.classifier import METHODS, FusionClassifier, fit_methods
from xmodal.fusion.classifier import FusionClassifier as FusionClassifierClass
from xmodal.fusion.holdout import few_shot_indices, stratified_holdout
from xmodal.fusion.items import Items, caption_mean, items_from_collection, present_rows
from xmodal.fusion.late import choose_weight, stacking_features, weighted_mean, weighted_product
from xmodal.fusion.linear import LinearClassifier, check_training_labels, log_loss
from xmodal.fusion.report import classification_report
from xmodal.projection.cca import CCA
from xmodal.projection.selection import CCACV

FEW_CS = (0.1, 10.0)  # fewer fits keep the tests fast; the default grid is tested in test_fusion_command


def complementary(n, seed=0, noise=0.35):
    """Four classes: the image tells {0,1} from {2,3}, the text tells {0,2} from {1,3}.

    Each modality alone can reach at best about 50% accuracy; together they name the class.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    image_bit, text_bit = y // 2, y % 2
    X_image = np.eye(2)[image_bit] + noise * rng.normal(size=(n, 2))
    X_text = np.eye(2)[text_bit] + noise * rng.normal(size=(n, 2))
    X_image = np.hstack([X_image, 0.3 * rng.normal(size=(n, 3))])
    X_text = np.hstack([X_text, 0.3 * rng.normal(size=(n, 4))])
    return Items(X_image, X_text, y.astype(str))


# -- holdout -------------------------------------------------------------------------------------
def test_stratified_holdout_keeps_class_shares_and_a_training_item_per_class():
    labels = np.array(["a"] * 50 + ["b"] * 10 + ["c"] * 2 + ["d"])
    train, val = stratified_holdout(labels, 0.2, seed=3)
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(len(labels)))
    counts = {c: int((labels[val] == c).sum()) for c in "abcd"}
    assert counts == {"a": 10, "b": 2, "c": 0, "d": 0}  # round(0.4) = 0; a class of one stays in train
    again = stratified_holdout(labels, 0.2, seed=3)
    assert np.array_equal(again[1], val)
    with pytest.raises(ValueError, match="fraction"):
        stratified_holdout(labels, 1.0)


def test_few_shot_indices_takes_per_class_or_the_whole_small_class():
    labels = np.array(["a"] * 7 + ["b"] * 3 + ["c"])
    chosen = few_shot_indices(labels, 5, seed=1)
    assert sorted(np.unique(labels[chosen], return_counts=True)[1].tolist()) == [1, 3, 5]
    with pytest.raises(ValueError, match="per_class"):
        few_shot_indices(labels, 0)


# -- items ---------------------------------------------------------------------------------------
def test_caption_mean_leaves_out_empty_captions_dense_and_sparse():
    X = np.array([[1.0, 0.0], [0.0, 0.0], [3.0, 2.0], [0.0, 0.0], [5.0, 5.0]])
    text_image = np.array([0, 0, 0, 1, 2])
    expected = np.array([[2.0, 1.0], [0.0, 0.0], [5.0, 5.0]])  # the empty caption of image 0 is not averaged
    assert np.allclose(caption_mean(X, text_image, 3), expected)
    out = caption_mean(sp.csr_matrix(X), text_image, 3)
    assert sp.issparse(out) and np.allclose(out.toarray(), expected)
    assert present_rows(out).tolist() == [True, False, True]


def test_items_from_collection_and_missing_modalities():
    from xmodal.datasets.collection import Collection

    c = Collection(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([[1.0], [3.0], [0.0], [2.0]]),
                   np.array([0, 0, 1, 2]), labels=np.array(["x", "y", "x"]),
                   splits=np.array(["train", "train", "test"]))
    items = items_from_collection(c, c.images, c.texts)
    assert items.X_text.ravel().tolist() == [2.0, 0.0, 2.0]
    assert items.text_present.tolist() == [True, False, True] and items.image_present.all()
    assert items.subset("test").labels.tolist() == ["x"]
    with pytest.raises(ValueError, match="neither an image nor a text"):
        Items(np.zeros((2, 2)), np.array([[1.0], [0.0]]))
    with pytest.raises(ValueError, match="one row per item"):
        Items(np.ones((2, 2)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="neither"):
        Items(None, None)
    only_text = Items(None, np.ones((2, 1)))
    assert not only_text.image_present.any()


# -- blocks --------------------------------------------------------------------------------------
def test_block_scalers_give_blocks_equal_weight():
    rng = np.random.default_rng(0)
    big = rng.normal(loc=5.0, scale=100.0, size=(400, 50))
    small = rng.random((400, 3)) * 0.01
    l2 = [BlockScaler("l2").fit_transform(b) for b in (big, small)]
    assert np.allclose([np.linalg.norm(b, axis=1) for b in l2], 1.0)
    standard = [BlockScaler("standard").fit_transform(b) for b in (big, small)]
    for b in standard:
        assert np.allclose(b.mean(axis=0), 0.0, atol=1e-9)
        assert np.mean(np.sum(b ** 2, axis=1)) == pytest.approx(1.0)
    fused = concat_blocks(l2)
    assert np.allclose(np.linalg.norm(fused, axis=1), 1.0)
    # sparse blocks stay sparse and are only scaled (no centring)
    sparse = sp.csr_matrix(np.abs(small))
    scaled = BlockScaler("standard").fit(sparse).transform(sparse)
    assert sp.issparse(scaled) and scaled.nnz == sparse.nnz
    assert sp.issparse(concat_blocks([l2[0], sparse]))
    with pytest.raises(ValueError, match="columns"):
        BlockScaler().fit(big).transform(small)
    with pytest.raises(ValueError, match="block normalisation"):
        BlockScaler("max").fit(big)


# -- linear classifier ---------------------------------------------------------------------------
def test_single_class_training_set_is_a_clear_error():
    with pytest.raises(ValueError, match="single class .'cat', 3 items.; a classifier needs at least two"):
        LinearClassifier().fit(np.eye(3), ["cat"] * 3)
    items = Items(np.eye(4) + 1, np.eye(4) + 1, np.array(["a"] * 4))
    with pytest.raises(ValueError, match="single class"):
        FusionClassifier("early").fit(items)
    with pytest.raises(ValueError, match="single class"):
        check_training_labels(np.array([1, 1]))


def test_C_is_the_one_of_lowest_validation_log_loss_and_the_model_is_refitted_on_train_and_val():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss as sk_log_loss

    items = complementary(300, seed=1)
    X, y = items.X_image, items.labels
    clf = LinearClassifier(Cs=(0.01, 1.0, 100.0)).fit(X[:200], y[:200], X[200:], y[200:])
    assert clf.selection_ == "validation"
    for C, score in clf.scores_.items():  # reference: scikit-learn's log-loss of a model fitted on train only
        reference = LogisticRegression(C=C, max_iter=3000).fit(X[:200], y[:200])
        assert score == pytest.approx(sk_log_loss(y[200:], reference.predict_proba(X[200:]), labels=clf.classes_),
                                      rel=1e-4)
    assert clf.C_ == min(clf.scores_, key=clf.scores_.get)
    assert log_loss(clf.val_proba_, y[200:], clf.classes_) == pytest.approx(clf.scores_[clf.C_])
    final = LogisticRegression(C=clf.C_, max_iter=3000).fit(X, y)
    assert np.allclose(clf.predict_proba(X), final.predict_proba(X), atol=1e-4)


def test_linear_classifier_without_validation_uses_cv_or_the_default():
    items = complementary(120, seed=2)
    clf = LinearClassifier(Cs=FEW_CS).fit(items.X_image, items.labels)
    assert clf.selection_ == "cross-validation" and clf.val_proba_ is None and set(clf.scores_) == {0.1, 10.0}
    one_each = LinearClassifier().fit(np.eye(3), ["a", "b", "c"])
    assert one_each.selection_ == "default" and one_each.C_ == 1.0
    with pytest.raises(ValueError, match="at least 2 training items per class"):
        LinearClassifier("svm").fit(np.eye(3), ["a", "b", "c"])
    svm = LinearClassifier("svm", Cs=(0.1, 1.0)).fit(items.X_image, items.labels)
    proba = svm.predict_proba(items.X_image)
    assert np.allclose(proba.sum(axis=1), 1.0) and svm.selection_ == "cross-validation"
    with pytest.raises(ValueError, match="unknown classifier"):
        LinearClassifier("tree").fit(items.X_image, items.labels)


def test_a_class_seen_only_in_validation_gets_a_column():
    X = np.array([[0.0], [0.1], [1.0], [1.1], [5.0]])
    clf = LinearClassifier(Cs=(1.0,)).fit(X[:4], ["a", "a", "b", "b"], X[4:], ["c"])
    assert clf.classes_.tolist() == ["a", "b", "c"]
    assert clf.val_proba_.shape == (1, 3) and clf.val_proba_[0, 2] == 0.0  # the train-only model never saw c
    assert clf.predict_proba(X).shape == (5, 3)


# -- late fusion ---------------------------------------------------------------------------------
def test_late_combinations_by_hand():
    p_image = np.array([[0.8, 0.2], [0.5, 0.5]])
    p_text = np.array([[0.2, 0.8], [0.9, 0.1]])
    assert np.allclose(weighted_mean(p_image, p_text, 0.5), [[0.5, 0.5], [0.7, 0.3]])
    product = weighted_product(p_image, p_text, 0.5)
    g = np.sqrt(np.array([0.5 * 0.9, 0.5 * 0.1]))
    assert np.allclose(product, [[0.5, 0.5], g / g.sum()])
    assert np.allclose(weighted_product(p_image, p_text, 1.0), p_image)
    assert np.isfinite(weighted_product(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), 0.5)).all()
    assert stacking_features(p_image, p_text).shape == (2, 4)
    # a useless text: the image's weight goes to 1
    w, scores = choose_weight(weighted_mean, np.array([[0.9, 0.1], [0.1, 0.9]]), np.full((2, 2), 0.5),
                              np.array(["a", "b"]), np.array(["a", "b"]))
    assert w == 1.0 and len(scores) == 11


# -- FusionClassifier ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def complementary_fits():
    train, test = complementary(600, seed=0), complementary(400, seed=1)
    return fit_methods(METHODS, train, block_norm="standard", Cs=FEW_CS, projection=CCA(n_components=2)), test


def test_fusion_beats_either_modality_when_they_carry_complementary_information(complementary_fits):
    fitted, test = complementary_fits
    accuracy = {m: model.score(test) for m, model in fitted.items()}
    assert accuracy["image"] < 0.6 and accuracy["text"] < 0.6
    for method in ("early", "late-mean", "late-product", "late-stacking"):
        assert accuracy[method] > 0.8, (method, accuracy)
    # a common space keeps what the modalities share; here they share nothing, so it cannot help
    assert accuracy["common"] < 0.6
    assert fitted["late-product"].validation_["source"].startswith("carved from train")


def test_the_common_space_classifies_from_what_both_modalities_share():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 700)
    z = rng.normal(size=(4, 3))[y] * 1.2 + 0.5 * rng.normal(size=(700, 3))
    X_image = z @ rng.normal(size=(3, 8)) + 1.5 * rng.normal(size=(700, 8))
    X_text = z @ rng.normal(size=(3, 6)) + 1.5 * rng.normal(size=(700, 6))
    train, test = Items(X_image[:500], X_text[:500], y[:500]), Items(X_image[500:], X_text[500:], y[500:])
    projection = CCACV(n_components=(2, 4, 8))
    model = FusionClassifier("common", block_norm="standard", Cs=FEW_CS, projection=projection).fit(train)
    assert model.score(test) > 0.6  # chance is 0.25
    assert model.projection_.best_params_["n_components"] <= 6  # at most the smaller view's dimension
    # an image alone is classified in the same space, from its own embedding
    alone = model.predict_proba(Items(X_image[500:], None, y[500:]))
    assert np.allclose(alone.sum(axis=1), 1.0) and np.mean(model.classes_[alone.argmax(1)] == y[500:]) > 0.5


def test_items_missing_a_modality_are_classified_from_the_other_alone(complementary_fits):
    fitted, test = complementary_fits
    no_text = Items(test.X_image, np.zeros_like(test.X_text), test.labels)
    no_image = Items(test.X_image, test.X_text, test.labels, image_present=np.zeros(len(test), bool))
    for method, model in fitted.items():
        if method == "common":
            continue
        image_only = model.image_classifier_.predict_proba(model.scalers_["image"].transform(test.X_image),
                                                           model.classes_)
        text_only = model.text_classifier_.predict_proba(model.scalers_["text"].transform(test.X_text),
                                                         model.classes_)
        assert np.allclose(model.predict_proba(no_text), image_only), method
        assert np.allclose(model.predict_proba(no_image), text_only), method
    common = fitted["common"]
    half = Items(test.X_image, np.vstack([test.X_text[:200], np.zeros((200, test.X_text.shape[1]))]), test.labels)
    proba = common.predict_proba(half)
    assert np.allclose(proba.sum(axis=1), 1.0)
    # in the common space an image alone is its own unit embedding
    assert np.allclose(proba[200:], common.predict_proba(Items(test.X_image[200:], None, test.labels[200:])))


def test_fit_methods_shares_parts_and_matches_separate_fits(complementary_fits):
    fitted, test = complementary_fits
    train = complementary(600, seed=0)
    alone = FusionClassifier("late-mean", block_norm="standard", Cs=FEW_CS).fit(train)
    assert np.allclose(alone.predict_proba(test), fitted["late-mean"].predict_proba(test))
    assert fitted["late-mean"].text_classifier_ is fitted["early"].text_classifier_


def test_a_class_only_in_test_is_reported_with_zero_recall():
    train = complementary(400, seed=3)
    keep = train.labels != "3"
    train = train.take(keep)
    test = complementary(200, seed=4)
    model = FusionClassifier("late-product", block_norm="standard", Cs=FEW_CS).fit(train)
    assert "3" not in model.classes_
    report = classification_report(test.labels, model.predict(test), model.classes_)
    row = next(r for r in report["per_class"] if r["class"] == "3")
    assert row["support"] > 0 and row["recall"] == 0.0 and row["predicted"] == 0
    assert report["unseen_in_training"] == ["3"]
    f1s = [r["f1"] for r in report["per_class"]]
    assert report["macro_f1"] == pytest.approx(np.mean(f1s))  # the unseen class counts, with F1 0


def test_fusion_errors_are_clear():
    train = complementary(100, seed=5)
    with pytest.raises(ValueError, match="unknown fusion method"):
        FusionClassifierClass("middle").fit(train)
    FusionClassifier = partial(FusionClassifierClass, Cs=FEW_CS)
    with pytest.raises(ValueError, match="no labels"):
        FusionClassifier().fit(Items(train.X_image, train.X_text))
    tiny_val = train.take(np.flatnonzero(train.labels == "0")[:2])
    with pytest.raises(ValueError, match="late-stacking .* at least two classes"):
        FusionClassifier("late-stacking").fit(train, val=tiny_val)
    text_only = Items(None, train.X_text, train.labels)
    with pytest.raises(ValueError, match="image"):
        FusionClassifier("late-mean").fit(text_only)
    model = FusionClassifier("text").fit(text_only)
    with pytest.raises(ValueError, match="no training item had one"):
        model.predict(Items(train.X_image, np.zeros_like(train.X_text)))


def test_classification_report_matches_scikit_learn():
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    rng = np.random.default_rng(0)
    y_true = rng.choice(list("abcd"), 200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.choice(list("abce"), 200))
    report = classification_report(y_true, y_pred, training_classes=list("abce"))
    labels = report["classes"]
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    assert np.allclose([row["precision"] for row in report["per_class"]], p)
    assert np.allclose([row["recall"] for row in report["per_class"]], r)
    assert np.allclose([row["f1"] for row in report["per_class"]], f)
    assert report["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert report["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0))
    assert report["unseen_in_training"] == ["d"]
    assert np.asarray(report["confusion"]).sum() == 200
