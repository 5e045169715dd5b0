"""Tests for xmodal.evaluation.relevance."""

import doctest

import numpy as np
import pytest

from xmodal.evaluation import relevance
from xmodal.evaluation.relevance import relevance_from_ids, relevance_from_labels


def test_labels_integer_hand_computed():
    # queries: 0 1 0 ; gallery: 1 0 2 0
    result = relevance_from_labels([0, 1, 0], np.array([1, 0, 2, 0]))
    expected = np.array(
        [
            [False, True, False, True],
            [True, False, False, False],
            [False, True, False, True],
        ]
    )
    assert result.dtype == np.bool_
    np.testing.assert_array_equal(result, expected)


def test_labels_strings_and_tuple_input():
    result = relevance_from_labels(("cat", "dog"), np.array(["dog", "bird", "cat"]))
    np.testing.assert_array_equal(result, [[False, False, True], [True, False, False]])


def test_labels_match_broadcast_comparison_on_random_data():
    rng = np.random.default_rng(0)
    query = rng.integers(0, 7, size=50)
    gallery = rng.integers(0, 7, size=80)
    np.testing.assert_array_equal(relevance_from_labels(query, gallery), query[:, None] == gallery[None, :])
    names = np.array(["a", "bb", "c", "dd"])
    np.testing.assert_array_equal(
        relevance_from_labels(names[query % 4], names[gallery % 4]),
        (query % 4)[:, None] == (gallery % 4)[None, :],
    )


def test_integer_valued_float_labels_are_accepted():
    # e.g. a pandas integer column that went through float
    np.testing.assert_array_equal(relevance_from_labels(np.array([1.0, 2.0]), [2, 1, 1]),
                                  [[False, True, True], [True, False, False]])


def test_ids_several_captions_share_an_image():
    # captions 0, 1, 2 describe image 10; caption 3 describes image 11
    caption_image_ids = [10, 10, 10, 11]
    image_ids = [11, 10, 12]
    text_to_image = relevance_from_ids(caption_image_ids, image_ids)
    np.testing.assert_array_equal(
        text_to_image,
        [[False, True, False], [False, True, False], [False, True, False], [True, False, False]],
    )
    assert text_to_image.sum(axis=1).tolist() == [1, 1, 1, 1]
    # image -> text: image 10 has three relevant captions, image 12 none
    image_to_text = relevance_from_ids(image_ids, caption_image_ids)
    np.testing.assert_array_equal(image_to_text, text_to_image.T)
    assert image_to_text.sum(axis=1).tolist() == [1, 3, 0]


def test_ids_as_strings():
    result = relevance_from_ids(["img_2", "img_1"], ["img_1", "img_2", "img_3"])
    np.testing.assert_array_equal(result, [[False, True, False], [True, False, False]])


@pytest.mark.parametrize(
    "query, gallery, pattern",
    [
        (["a", None, "b"], ["a"], r"query_labels\[1\] is missing"),
        ([1, 2, np.nan], [1], r"query_labels\[2\] is missing"),
        (np.array([1.0, np.nan]), [1], r"query_labels\[1\] is missing"),
        (["a"], ["b", ""], r"gallery_labels\[1\] is missing"),
        (["a"], np.array(["b", "c", "  "]), r"gallery_labels\[2\] is missing"),
        ([1.5, 2.0], [1], r"query_labels\[0\] is 1.5"),
        ([[1, 2]], [1], "query_labels must be a 1-D"),
        ([], [1], "query_labels is empty"),
    ],
)
def test_labels_invalid_values_raise_value_error(query, gallery, pattern):
    with pytest.raises(ValueError, match=pattern):
        relevance_from_labels(query, gallery)


def test_ids_errors_name_the_id_arguments():
    with pytest.raises(ValueError, match=r"gallery_ids\[0\] is missing"):
        relevance_from_ids([1, 2], [None, 2])
    with pytest.raises(ValueError, match=r"query_ids\[1\] is missing"):
        relevance_from_ids(np.array(["x", ""]), ["x"])


def test_mixed_or_mismatched_types_raise_type_error():
    with pytest.raises(TypeError, match="query_labels mixes integers and strings"):
        relevance_from_labels([1, "a"], [1])
    with pytest.raises(TypeError, match="query_ids holds strings but gallery_ids holds integers"):
        relevance_from_ids(["12"], [12])
    with pytest.raises(TypeError, match="gallery_labels"):
        relevance_from_labels([1], [object()])
    with pytest.raises(TypeError, match="gallery_labels must hold integers or strings"):
        relevance_from_labels([1], np.array([1 + 2j]))


def test_docstring_examples_run():
    result = doctest.testmod(relevance, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
