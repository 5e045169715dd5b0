"""Feature blocks named as ``"a+b"``: one parser for the image and text stages."""

from __future__ import annotations


def parse_blocks(features, known, what) -> tuple[str, ...]:
    """``"a+b"`` or ``("a", "b")`` -> ``("a", "b")``, each checked against ``known``.

    Parameters
    ----------
    features : str or sequence of str
        Block names joined with ``+``, or a sequence of them.
    known : collection of str
        The names the stage accepts.
    what : str
        What a block is called in error messages, e.g. ``"image feature"``.

    Returns
    -------
    names : tuple of str

    Examples
    --------
    >>> parse_blocks("dense-sift+hsv", {"dense-sift", "hsv"}, "image feature")
    ('dense-sift', 'hsv')
    >>> parse_blocks("hsv+hsv", {"hsv"}, "image feature")
    Traceback (most recent call last):
    ...
    ValueError: image features ('hsv', 'hsv') name one feature twice
    """
    names = tuple(features.split("+")) if isinstance(features, str) else tuple(features)
    if not names:
        raise ValueError(f"no {what} given; choose from {list(known)}")
    for name in names:
        if name not in known:
            raise ValueError(f"unknown {what} {name!r}; choose from {list(known)} (join several with +)")
    if len(set(names)) != len(names):
        raise ValueError(f"{what}s {names} name one feature twice")
    return names
