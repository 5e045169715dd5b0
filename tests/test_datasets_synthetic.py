import doctest
import math
import re
import time
from collections import Counter

import numpy as np
import pytest

from xmodal.datasets import synthetic
from xmodal.datasets.synthetic import SHAPE_KINDS, SyntheticCorpus, make_shapes_corpus

# Written out independently of the module: the words a caption may use for each kind.
SYNONYMS = {
    "circle": ["circle", "disc", "round shape"],
    "square": ["square", "box", "block"],
    "triangle": ["triangle", "three-sided shape", "wedge"],
    "star": ["star", "five-pointed star", "pentagram"],
    "ellipse": ["ellipse", "oval", "egg shape"],
    "cross": ["cross", "plus sign", "plus shape"],
}
# Area / radius**2 of each kind as drawn (hand-computed from the geometry).
AREA_FACTOR = {
    "circle": math.pi,
    "square": 2.0,  # circumradius r -> side r * sqrt(2)
    "triangle": 3 * math.sqrt(3) / 4,  # equilateral, circumradius r
    "star": 10 * 0.5 * 0.45 * math.sin(math.radians(36)),  # 5 points, inner radius 0.45 r
    "ellipse": math.pi * 0.55,  # semi-axes r and 0.55 r
    "cross": 2 * (2 * 0.6) - 0.6**2,  # two 2r x 0.6r bars minus their overlap
}
BASE_BGR = {
    "red": (40, 40, 220),
    "green": (60, 175, 50),
    "blue": (210, 90, 30),
    "yellow": (40, 215, 235),
    "orange": (20, 135, 250),
    "purple": (150, 40, 125),
    "pink": (185, 120, 245),
    "cyan": (220, 205, 40),
}


@pytest.fixture(scope="module")
def corpus():
    return make_shapes_corpus(n_images=120, captions_per_image=3, image_size=96, seed=3)


def test_types_shapes_and_dtypes(corpus):
    assert isinstance(corpus, SyntheticCorpus)
    assert len(corpus) == 120
    assert len(corpus.images) == len(corpus.captions) == len(corpus.labels) == 120
    assert len(corpus.scenes) == len(corpus.background_kinds) == 120
    assert corpus.label_names == list(SHAPE_KINDS)
    assert len(SHAPE_KINDS) == 6
    for image in corpus.images:
        assert isinstance(image, np.ndarray)
        assert image.shape == (96, 96, 3)
        assert image.dtype == np.uint8
    for captions in corpus.captions:
        assert len(captions) == 3
        assert all(isinstance(c, str) and c for c in captions)
    assert set(corpus.labels) <= set(corpus.label_names)


def test_same_seed_gives_identical_corpus():
    a = make_shapes_corpus(n_images=30, captions_per_image=2, image_size=64, seed=11)
    b = make_shapes_corpus(n_images=30, captions_per_image=2, image_size=64, seed=11)
    assert a.labels == b.labels
    assert a.captions == b.captions
    assert a.scenes == b.scenes
    for x, y in zip(a.images, b.images):
        np.testing.assert_array_equal(x, y)


def test_different_seed_gives_different_corpus():
    a = make_shapes_corpus(n_images=30, image_size=64, seed=1)
    b = make_shapes_corpus(n_images=30, image_size=64, seed=2)
    assert a.captions != b.captions
    differing = sum(not np.array_equal(x, y) for x, y in zip(a.images, b.images))
    assert differing == 30


@pytest.mark.parametrize("n_images", [1, 7, 300])
def test_labels_are_balanced(n_images):
    corpus = make_shapes_corpus(n_images=n_images, captions_per_image=1, image_size=32, seed=0)
    counts = Counter(corpus.labels)
    assert sum(counts.values()) == n_images
    full = [counts.get(kind, 0) for kind in SHAPE_KINDS]
    assert max(full) - min(full) <= 1
    if n_images == 300:
        assert full == [50] * 6


def test_labels_are_shuffled_not_cyclic(corpus):
    cyclic = [SHAPE_KINDS[i % 6] for i in range(len(corpus))]
    assert corpus.labels != cyclic


def test_every_caption_mentions_the_label_by_a_synonym(corpus):
    for label, captions in zip(corpus.labels, corpus.captions):
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, SYNONYMS[label])) + r")\b")
        for caption in captions:
            assert pattern.search(caption), (label, caption)


def test_captions_use_synonyms_and_vary(corpus):
    words = Counter(w for captions in corpus.captions for c in captions for w in re.findall(r"[a-z-]+", c))
    # several synonyms of each kind and of colours actually occur
    for kind, synonyms in SYNONYMS.items():
        used = [s for s in synonyms if any(s in c for caps in corpus.captions for c in caps)]
        assert len(used) >= 2, (kind, used)
    assert words["crimson"] + words["scarlet"] > 0 and words["red"] > 0
    # there is no single sentence skeleton: many distinct first words
    first_words = {c.split()[0] for caps in corpus.captions for c in caps}
    assert len(first_words) >= 5


def test_captions_of_one_image_differ(corpus):
    for captions in corpus.captions:
        assert len(set(captions)) == len(captions)


def test_many_captions_per_image_are_all_distinct():
    corpus = make_shapes_corpus(n_images=12, captions_per_image=20, image_size=48, seed=5)
    for captions in corpus.captions:
        assert len(captions) == 20 and len(set(captions)) == 20


def test_label_is_the_kind_of_the_largest_shape(corpus):
    for label, shapes in zip(corpus.labels, corpus.scenes):
        assert 1 <= len(shapes) <= 3
        assert shapes[0].kind == label
        areas = [AREA_FACTOR[s.kind] * s.radius**2 for s in shapes]
        assert areas[0] == max(areas)
        assert all(a < areas[0] for a in areas[1:])


def test_shapes_lie_inside_the_image(corpus):
    for shapes in corpus.scenes:
        for s in shapes:
            x, y = s.centre
            assert s.radius <= x <= 96 - s.radius
            assert s.radius <= y <= 96 - s.radius


def test_single_shape_is_drawn_in_its_colour_at_its_centre(corpus):
    checked = 0
    for image, shapes in zip(corpus.images, corpus.scenes):
        if len(shapes) != 1:
            continue
        x, y = (int(round(v)) for v in shapes[0].centre)
        patch = image[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3).astype(float).mean(axis=0)
        # colour jitter is at most 15 per channel, the 5x5 mean of the noise is small
        assert np.abs(patch - BASE_BGR[shapes[0].colour]).max() < 26, (shapes[0], patch)
        checked += 1
    assert checked > 10


def test_backgrounds_are_varied_and_textured(corpus):
    assert set(corpus.background_kinds) == {"plain", "stripes", "checkerboard", "gradient", "dots"}
    for image in corpus.images:
        assert image.std() > 5  # never a flat image


def test_default_corpus_is_fast():
    start = time.perf_counter()
    corpus = make_shapes_corpus()
    elapsed = time.perf_counter() - start
    assert len(corpus) == 300 and corpus.images[0].shape == (128, 128, 3)
    assert len(corpus.captions[0]) == 3
    assert elapsed < 4.0  # about 0.5 s on the reference machine


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_images": 0}, ValueError, "n_images"),
        ({"n_images": 2.5}, TypeError, "n_images"),
        ({"n_images": True}, TypeError, "n_images"),
        ({"captions_per_image": 0}, ValueError, "captions_per_image"),
        ({"captions_per_image": 21}, ValueError, "captions_per_image"),
        ({"image_size": 31}, ValueError, "image_size"),
        ({"image_size": "64"}, TypeError, "image_size"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 1.0}, TypeError, "seed"),
    ],
)
def test_invalid_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_shapes_corpus(**kwargs)


def test_numpy_integer_arguments_are_accepted():
    corpus = make_shapes_corpus(n_images=np.int64(6), image_size=np.int32(32), seed=np.uint8(4))
    assert len(corpus) == 6 and corpus.images[0].shape == (32, 32, 3)


def test_docstring_examples():
    result = doctest.testmod(synthetic, verbose=False)
    assert result.attempted > 0 and result.failed == 0
