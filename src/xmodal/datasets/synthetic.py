"""A seeded corpus of captioned synthetic images, drawn with OpenCV (no download).

Each image shows one to three filled, anti-aliased shapes (circle, square, triangle, star,
ellipse, cross) in saturated colours on a textured background (plain with noise, stripes,
checkerboard, gradient, dots). Each image comes with several different captions generated
by a small grammar that uses synonyms ("circle" / "disc" / "round shape", "red" / "crimson"
/ "scarlet", ...) and varied word order, so that matching captions to images is learnable
but not trivial. The label of an image (its "scene type") is the kind of its largest shape.

The corpus is meant for the ``xmodal demo`` command, for examples and for tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral

import numpy as np

__all__ = ["SceneShape", "SyntheticCorpus", "make_shapes_corpus", "SHAPE_KINDS"]

#: The shape kinds, in label order.
SHAPE_KINDS = ("circle", "square", "triangle", "star", "ellipse", "cross")

_SHAPE_WORDS = {
    "circle": ("circle", "disc", "round shape"),
    "square": ("square", "box", "block"),
    "triangle": ("triangle", "three-sided shape", "wedge"),
    "star": ("star", "five-pointed star", "pentagram"),
    "ellipse": ("ellipse", "oval", "egg shape"),
    "cross": ("cross", "plus sign", "plus shape"),
}

# Base colours in BGR order (OpenCV convention) and their synonyms.
_COLOURS = {
    "red": (40, 40, 220),
    "green": (60, 175, 50),
    "blue": (210, 90, 30),
    "yellow": (40, 215, 235),
    "orange": (20, 135, 250),
    "purple": (150, 40, 125),
    "pink": (185, 120, 245),
    "cyan": (220, 205, 40),
}
_COLOUR_WORDS = {
    "red": ("red", "crimson", "scarlet"),
    "green": ("green", "emerald", "jade"),
    "blue": ("blue", "azure", "cobalt"),
    "yellow": ("yellow", "golden", "lemon"),
    "orange": ("orange", "tangerine", "amber"),
    "purple": ("purple", "violet", "plum"),
    "pink": ("pink", "rose", "fuchsia"),
    "cyan": ("cyan", "turquoise", "aqua"),
}
_COLOUR_NAMES = tuple(_COLOURS)

_SIZE_WORDS = {
    "big": ("big", "large", "huge"),
    "medium": ("medium", "medium-sized", "mid-sized"),
    "small": ("small", "little", "tiny"),
}

_BACKGROUNDS = ("plain", "stripes", "checkerboard", "gradient", "dots")
_BACKGROUND_WORDS = {
    "plain": ("plain", "uniform", "flat"),
    "stripes": ("striped", "stripy", "lined"),
    "checkerboard": ("checkered", "checkerboard", "chequered"),
    "gradient": ("gradient", "shaded", "fading"),
    "dots": ("dotted", "spotted", "polka-dot"),
}
_BACKGROUND_NOUNS = ("background", "backdrop")

_POSITION_WORDS = {
    (0, 0): ("at the top left", "in the top left corner", "in the upper left"),
    (0, 1): ("at the top", "near the top", "in the upper part"),
    (0, 2): ("at the top right", "in the top right corner", "in the upper right"),
    (1, 0): ("on the left", "at the left side", "near the left edge"),
    (1, 1): ("in the centre", "in the middle", "at the center"),
    (1, 2): ("on the right", "at the right side", "near the right edge"),
    (2, 0): ("at the bottom left", "in the bottom left corner", "in the lower left"),
    (2, 1): ("at the bottom", "near the bottom", "in the lower part"),
    (2, 2): ("at the bottom right", "in the bottom right corner", "in the lower right"),
}

_COUNT_WORDS = {
    1: ("one shape", "a single shape", "one object"),
    2: ("two shapes", "a pair of shapes", "two objects"),
    3: ("three shapes", "three objects", "a group of three shapes"),
}

# Radii as fractions of the image side. Secondary shapes are at most
# _SECONDARY_MAX_RATIO times the main radius: with the area factors of the
# shapes (area / radius**2 ranges from about 1.3 for a triangle to pi for a
# circle), this keeps the main shape the largest by area as well.
_MAIN_RADIUS = (0.18, 0.34)
_SECONDARY_RADIUS_MIN = 0.07
_SECONDARY_MAX_RATIO = 0.55
_BIG_FROM, _SMALL_BELOW = 0.25, 0.13

_MAX_CAPTIONS_PER_IMAGE = 20
_SUBPIXEL_SHIFT = 4  # OpenCV fixed-point bits used when drawing polygons


@dataclass(frozen=True)
class SceneShape:
    """One shape drawn in a synthetic image.

    Attributes
    ----------
    kind : str
        One of :data:`SHAPE_KINDS`.
    colour : str
        Base colour name (before jitter), e.g. ``"red"``.
    centre : tuple of float
        ``(x, y)`` in pixels.
    radius : float
        Circumradius in pixels (for an ellipse, its semi-major axis).
    angle : float
        Rotation in degrees.
    """

    kind: str
    colour: str
    centre: tuple
    radius: float
    angle: float


@dataclass
class SyntheticCorpus:
    """Captioned synthetic images returned by :func:`make_shapes_corpus`.

    Attributes
    ----------
    images : list of ndarray
        ``uint8`` BGR arrays of shape ``(image_size, image_size, 3)``.
    captions : list of list of str
        One list of distinct captions per image.
    labels : list of str
        The scene type of each image: the kind of its largest shape.
    label_names : list of str
        All possible labels, in a fixed order (:data:`SHAPE_KINDS`).
    scenes : list of list of SceneShape
        The shapes of each image, largest first (drawn in that order).
    background_kinds : list of str
        The background texture of each image.
    """

    images: list
    captions: list
    labels: list
    label_names: list
    scenes: list = field(default_factory=list)
    background_kinds: list = field(default_factory=list)

    def __len__(self):
        return len(self.images)


def _check_positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def make_shapes_corpus(n_images=300, captions_per_image=3, image_size=128, seed=0):
    """Generate a seeded corpus of captioned images of coloured shapes.

    Parameters
    ----------
    n_images : int, default=300
        Number of images. Labels are balanced: their counts differ by at most one.
    captions_per_image : int, default=3
        Number of distinct captions per image (1 to 20).
    image_size : int, default=128
        Side of the square images in pixels (at least 32).
    seed : int, default=0
        Seed of the ``numpy.random.default_rng`` generator; the corpus is a pure
        function of the four arguments.

    Returns
    -------
    corpus : SyntheticCorpus
        Images (``uint8`` BGR), captions, labels and the drawn scenes.

    Examples
    --------
    >>> from xmodal.datasets.synthetic import make_shapes_corpus
    >>> corpus = make_shapes_corpus(n_images=12, captions_per_image=2, image_size=64)
    >>> len(corpus), corpus.images[0].shape, corpus.images[0].dtype.name
    (12, (64, 64, 3), 'uint8')
    >>> sorted(set(corpus.labels)) == sorted(corpus.label_names)
    True
    >>> len(corpus.captions[0])
    2
    """
    import cv2

    n_images = _check_positive_int(n_images, "n_images")
    captions_per_image = _check_positive_int(captions_per_image, "captions_per_image")
    if captions_per_image > _MAX_CAPTIONS_PER_IMAGE:
        raise ValueError(
            f"captions_per_image must be <= {_MAX_CAPTIONS_PER_IMAGE}, got {captions_per_image}"
        )
    image_size = _check_positive_int(image_size, "image_size", minimum=32)
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")

    rng = np.random.default_rng(int(seed))
    n_kinds = len(SHAPE_KINDS)
    label_ids = rng.permutation(np.arange(n_images) % n_kinds)

    corpus = SyntheticCorpus(images=[], captions=[], labels=[], label_names=list(SHAPE_KINDS))
    for label_id in label_ids:
        main_kind = SHAPE_KINDS[int(label_id)]
        background = _BACKGROUNDS[int(rng.integers(len(_BACKGROUNDS)))]
        image, noise_sigma = _draw_background(rng, background, image_size)
        shapes = _sample_scene(rng, main_kind, image_size)
        for shape in shapes:
            _draw_shape(cv2, image, shape, _jittered_colour(rng, shape.colour))
        noise = rng.standard_normal(size=image.shape, dtype=np.float32)
        noise *= noise_sigma
        noise += image
        image = np.clip(noise, 0, 255).astype(np.uint8)
        captions = _make_captions(rng, shapes, background, image_size, captions_per_image)

        corpus.images.append(image)
        corpus.captions.append(captions)
        corpus.labels.append(main_kind)
        corpus.scenes.append(shapes)
        corpus.background_kinds.append(background)
    return corpus


# --------------------------------------------------------------------------- drawing


def _muted_colour(rng):
    grey = rng.uniform(70, 200)
    tint = rng.uniform(-20, 20, size=3)
    return np.clip(grey + tint, 0, 255)


def _draw_background(rng, kind, size):
    """Return a uint8 (size, size, 3) background texture and the noise level to add."""
    first = _muted_colour(rng)
    contrast = rng.uniform(30, 60) * rng.choice([-1.0, 1.0])
    second = np.clip(first + contrast + rng.uniform(-10, 10, size=3), 0, 255)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    if kind == "plain":
        mask = np.zeros((size, size), dtype=np.float32)
        noise_sigma = rng.uniform(6, 12)
    else:
        noise_sigma = rng.uniform(3, 6)
        if kind == "stripes":
            theta = rng.uniform(0, np.pi)
            period = rng.uniform(0.07, 0.16) * size
            phase = xs * np.cos(theta) + ys * np.sin(theta)
            mask = ((phase / period) % 1.0 < 0.5).astype(np.float32)
        elif kind == "checkerboard":
            cell = rng.uniform(0.06, 0.14) * size
            offset = rng.uniform(0, cell, size=2)
            cells = np.floor((xs + offset[0]) / cell) + np.floor((ys + offset[1]) / cell)
            mask = (cells % 2).astype(np.float32)
        elif kind == "gradient":
            theta = rng.uniform(0, 2 * np.pi)
            proj = (xs - size / 2) * np.cos(theta) + (ys - size / 2) * np.sin(theta)
            mask = (proj - proj.min()) / max(proj.max() - proj.min(), 1e-9)
            second = np.clip(first + 2.0 * contrast, 0, 255)
        elif kind == "dots":
            spacing = rng.uniform(0.08, 0.14) * size
            dot_radius = rng.uniform(0.2, 0.35) * spacing
            offset = rng.uniform(0, spacing, size=2)
            dx = (xs + offset[0]) % spacing - spacing / 2
            dy = (ys + offset[1]) % spacing - spacing / 2
            mask = (dx * dx + dy * dy <= dot_radius * dot_radius).astype(np.float32)
        else:  # pragma: no cover - _BACKGROUNDS is closed
            raise AssertionError(kind)
    image = first.astype(np.float32) + mask[..., None] * (second - first).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8), np.float32(noise_sigma)


def _jittered_colour(rng, name):
    base = np.asarray(_COLOURS[name], dtype=np.float64)
    jittered = np.clip(base + rng.uniform(-15, 15, size=3), 0, 255)
    return tuple(float(c) for c in jittered)


def _sample_scene(rng, main_kind, size):
    """Sample the shapes of one scene, largest (the label's kind) first."""
    n_shapes = int(rng.choice([1, 2, 3], p=[0.35, 0.4, 0.25]))
    main_radius = rng.uniform(*_MAIN_RADIUS) * size
    radii = [main_radius]
    upper = _SECONDARY_MAX_RATIO * main_radius
    lower = min(_SECONDARY_RADIUS_MIN * size, 0.8 * upper)
    for _ in range(n_shapes - 1):
        radii.append(rng.uniform(lower, upper))
    kinds = [main_kind] + [SHAPE_KINDS[int(k)] for k in rng.integers(len(SHAPE_KINDS), size=n_shapes - 1)]
    colour_ids = rng.choice(len(_COLOUR_NAMES), size=n_shapes, replace=False)

    centres = []
    for radius in radii:
        margin = radius + 2.0
        best, best_gap = None, -np.inf
        for _ in range(12):  # a few tries to limit overlap with shapes already placed
            candidate = rng.uniform(margin, size - margin, size=2)
            gap = min(
                (np.hypot(*(candidate - np.asarray(c))) - (radius + r) for c, r in zip(centres, radii)),
                default=np.inf,
            )
            if gap > best_gap:
                best, best_gap = candidate, gap
            if gap >= 0:
                break
        centres.append((float(best[0]), float(best[1])))

    return [
        SceneShape(
            kind=kind,
            colour=_COLOUR_NAMES[int(colour_id)],
            centre=centre,
            radius=float(radius),
            angle=float(rng.uniform(0, 360)),
        )
        for kind, colour_id, centre, radius in zip(kinds, colour_ids, centres, radii)
    ]


def _polygon(shape):
    """Vertices (n, 2) of a polygonal shape centred at the origin, unrotated."""
    r = shape.radius
    if shape.kind == "square":
        t = np.deg2rad(np.array([45.0, 135.0, 225.0, 315.0]))
        return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    if shape.kind == "triangle":
        t = np.deg2rad(np.array([-90.0, 30.0, 150.0]))
        return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    if shape.kind == "star":
        t = np.deg2rad(-90.0 + 36.0 * np.arange(10))
        rho = np.where(np.arange(10) % 2 == 0, r, 0.45 * r)
        return np.stack([rho * np.cos(t), rho * np.sin(t)], axis=1)
    if shape.kind == "cross":
        w = 0.3 * r
        return np.array(
            [[-w, -r], [w, -r], [w, -w], [r, -w], [r, w], [w, w],
             [w, r], [-w, r], [-w, w], [-r, w], [-r, -w], [-w, -w]]
        )
    raise AssertionError(shape.kind)  # pragma: no cover


def _draw_shape(cv2, image, shape, colour):
    scale = 1 << _SUBPIXEL_SHIFT
    cx, cy = shape.centre
    if shape.kind == "circle":
        centre = (int(round(cx * scale)), int(round(cy * scale)))
        cv2.circle(image, centre, int(round(shape.radius * scale)), colour, -1, cv2.LINE_AA, _SUBPIXEL_SHIFT)
        return
    if shape.kind == "ellipse":
        centre = (int(round(cx * scale)), int(round(cy * scale)))
        axes = (int(round(shape.radius * scale)), int(round(0.55 * shape.radius * scale)))
        cv2.ellipse(image, centre, axes, shape.angle, 0, 360, colour, -1, cv2.LINE_AA, _SUBPIXEL_SHIFT)
        return
    points = _polygon(shape)
    a = np.deg2rad(shape.angle)
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    points = points @ rotation.T + np.array([cx, cy])
    fixed = np.round(points * scale).astype(np.int32)
    cv2.fillPoly(image, [fixed], colour, cv2.LINE_AA, _SUBPIXEL_SHIFT)


# --------------------------------------------------------------------------- captions


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _with_article(phrase):
    vowel_sound = phrase[0] in "aeiou" and not phrase.startswith("uni")
    return ("an " if vowel_sound else "a ") + phrase


def _size_class(shape, image_size):
    fraction = shape.radius / image_size
    if fraction >= _BIG_FROM:
        return "big"
    if fraction < _SMALL_BELOW:
        return "small"
    return "medium"


def _position(shape, image_size):
    cx, cy = shape.centre
    col = min(int(3 * cx / image_size), 2)
    row = min(int(3 * cy / image_size), 2)
    return row, col


def _noun_phrase(rng, shape, image_size, article=True):
    """E.g. "a big crimson disc", "an oval", "a small pentagram"."""
    words = []
    if rng.random() < 0.6:
        words.append(_pick(rng, _SIZE_WORDS[_size_class(shape, image_size)]))
    if rng.random() < 0.85:
        words.append(_pick(rng, _COLOUR_WORDS[shape.colour]))
    words.append(_pick(rng, _SHAPE_WORDS[shape.kind]))
    phrase = " ".join(words)
    return _with_article(phrase) if article else phrase


def _background_phrase(rng, background):
    adjective = _pick(rng, _BACKGROUND_WORDS[background])
    return _with_article(f"{adjective} {_pick(rng, _BACKGROUND_NOUNS)}")


def _one_caption(rng, shapes, background, image_size):
    main, others = shapes[0], shapes[1:]
    np_main = _noun_phrase(rng, main, image_size)
    bg = _background_phrase(rng, background)
    pos = _pick(rng, _POSITION_WORDS[_position(main, image_size)])
    count = _pick(rng, _COUNT_WORDS[len(shapes)])

    templates = [
        lambda: f"{np_main} on {bg}",
        lambda: f"there is {np_main} {pos}",
        lambda: f"{np_main} {pos}",
        lambda: f"{_pick(rng, ('a picture of', 'an image of', 'a drawing of'))} {np_main}",
        lambda: f"{bg} with {np_main} {pos}",
        lambda: f"{_pick(rng, ('the largest shape is', 'the biggest object is'))} {np_main}",
        lambda: f"{_with_article(_pick(rng, _SHAPE_WORDS[main.kind]))} in "
        f"{_pick(rng, _COLOUR_WORDS[main.colour])} on {bg}",
    ]
    if others:
        np_others = [_noun_phrase(rng, s, image_size) for s in others]
        listed = [np_main] + np_others
        order = rng.permutation(len(listed))
        listed = [listed[i] for i in order]
        joined = ", ".join(listed[:-1]) + " and " + listed[-1]
        templates += [
            lambda: f"{count}: {joined}",
            lambda: f"{joined} on {bg}",
            lambda: f"{np_main} {_pick(rng, ('next to', 'beside', 'near'))} {np_others[0]}",
            lambda: f"{count} on {bg}, the largest is {np_main}",
            lambda: f"{np_main} with {' and '.join(np_others)}",
        ]
    else:
        templates += [
            lambda: f"{count}: {np_main} {pos}",
            lambda: f"only {np_main} on {bg}",
        ]
    return _pick(rng, templates)()


def _make_captions(rng, shapes, background, image_size, n_captions):
    captions = []
    for _ in range(200 * n_captions):
        caption = _one_caption(rng, shapes, background, image_size)
        if caption not in captions:
            captions.append(caption)
            if len(captions) == n_captions:
                return captions
    raise RuntimeError(  # pragma: no cover - the grammar has hundreds of variants per scene
        f"could not generate {n_captions} distinct captions for one image"
    )


def write_sample_collection(folder, n_images=60, n_extra=12, seed=0):
    """Write a generated collection to disk: PNGs, a ``manifest.csv`` and a folder of extra images.

    ``folder/manifest.csv`` has columns ``image,text,label,split`` (two captions per image, a seeded
    3:1 train/test split); ``folder/extra/`` holds ``n_extra`` uncaptioned images, for trying
    ``xmodal index``. Used by the README tutorial when no photos are at hand.

    Returns
    -------
    Path of the manifest.

    Examples
    --------
    >>> import tempfile, csv
    >>> m = write_sample_collection(tempfile.mkdtemp(), n_images=8, n_extra=2)
    >>> len(list(csv.DictReader(open(m))))
    16
    """
    import csv
    from pathlib import Path

    import cv2

    from xmodal._atomic import atomic_path

    folder = Path(folder)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "extra").mkdir(exist_ok=True)
    corpus = make_shapes_corpus(n_images=n_images + n_extra, captions_per_image=2, seed=seed)
    rng = np.random.default_rng(seed)
    splits = np.where(rng.permutation(n_images) % 4 == 0, "test", "train")
    manifest = folder / "manifest.csv"
    with atomic_path(manifest) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "text", "label", "split"])
        for i in range(n_images):
            name = f"images/shape{i:04d}.png"
            if not cv2.imwrite(str(folder / name), corpus.images[i]):
                raise OSError(f"{folder / name}: could not write image")
            for caption in corpus.captions[i]:
                writer.writerow([name, caption, corpus.labels[i], splits[i]])
    for i in range(n_images, n_images + n_extra):
        cv2.imwrite(str(folder / "extra" / f"extra{i:04d}.png"), corpus.images[i])
    return manifest
