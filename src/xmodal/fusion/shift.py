"""Domain-shift report: how far collection B is from collection A, before reusing A's fitted parts on B.

Figures (each None when it cannot be computed):

- MMD between A and B in the image feature space, the text feature space and the common space
  (image and text embeddings separately), all computed with A's fitted encoders and projection,
  each with a permutation p-value (:func:`~xmodal.fusion.mmd.mmd_test`);
- ``vocabulary unseen``: the share of B's vocabulary (the terms B's own text encoder kept) that
  A's vocabulary lacks;
- ``texts without a known word``: the share of B's items whose text has no term of A's
  vocabulary (their text vector is all zero: the text side says nothing about them);
- ``visual words unseen``: the share of B's visual words (its own codebook's centres) farther
  from every visual word of A than ``quantile`` of A's words are from their nearest neighbour
  in A's codebook, i.e. regions of descriptor space A's codebook does not cover.

Reading it (``benchmarks/transfer.py``): between the train and test splits of one collection the
MMD² figures stay below 0.01 (p-values mostly above 0.05); between Flickr8k photos and Noto Emoji
drawings they are 0.05 to 0.30 with p = 0.005 (the smallest 200 permutations can give) in every
space, and zero-shot retrieval there is at chance. A p-value under 0.01 with an MMD² well above
the within-collection figure says: do not reuse the parts as they are; re-fit at least the
projection on a few target pairs (and the codebook / vocabulary on the target's unlabelled
images and texts when the unseen shares are high). Many texts without a known word make the
text side useless.
"""

from __future__ import annotations

import warnings

import numpy as np

from xmodal.fusion.mmd import mmd_test


class DomainShiftWarning(UserWarning):
    """Transfer from one collection to another is unlikely to work (for instance, no shared word)."""


def _vocabulary(text_encoder):
    """Terms of a fitted text encoder: its ``vectorizer_.vocabulary_``, or those of its blocks (``blocks_``)."""
    parts = [getattr(text_encoder, "vectorizer_", None)] + list(getattr(text_encoder, "blocks_", {}).values())
    vocabularies = [getattr(part, "vocabulary_", None) for part in parts]
    vocabularies = [set(v) for v in vocabularies if v is not None]
    return set().union(*vocabularies) if vocabularies else None


def _codebook(image_encoder):
    """Visual words of a fitted image encoder: ``codebook_``, or its encoding's ``centres_`` (None if neither)."""
    encoding = getattr(image_encoder, "encoding_", None)
    for owner, name in ((image_encoder, "codebook_"), (encoding, "centres_"), (encoding, "codebook_")):
        value = getattr(owner, name, None)
        if value is not None:
            return value
    return None


def unseen_vocabulary(source_vocabulary, target_vocabulary):
    """Share of ``target_vocabulary`` absent from ``source_vocabulary`` (None if either is missing).

    Examples
    --------
    >>> unseen_vocabulary({"cat", "dog"}, {"cat", "car", "bus", "dog"})
    0.5
    """
    if source_vocabulary is None or target_vocabulary is None or not len(target_vocabulary):
        return None
    target = set(target_vocabulary)
    return len(target - set(source_vocabulary)) / len(target)


def unseen_visual_words(source_codebook, target_codebook, quantile=0.9):
    """Share of the target's visual words that lie outside the source codebook's reach.

    A target word is unseen when its distance to the nearest source word exceeds the
    ``quantile`` of the source words' distances to their nearest other source word.

    Examples
    --------
    >>> import numpy as np
    >>> grid = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> unseen_visual_words(grid, np.array([[0.1, 0.0], [5.0, 5.0]]))
    0.5
    """
    if source_codebook is None or target_codebook is None:
        return None
    from scipy.spatial.distance import cdist

    source = np.asarray(source_codebook, dtype=np.float64)
    target = np.asarray(target_codebook, dtype=np.float64)
    if len(source) < 2 or source.shape[1] != target.shape[1]:
        return None
    within = cdist(source, source)
    np.fill_diagonal(within, np.inf)
    reach = np.quantile(within.min(axis=1), quantile)
    return float(np.mean(cdist(target, source).min(axis=1) > reach))


def _common_rows(projection, items, modality):
    mask = getattr(items, f"{modality}_present")
    if mask.sum() < 2:
        return None
    rows = getattr(items, f"X_{modality}")[np.flatnonzero(mask)]
    return np.asarray(getattr(projection, f"transform_{modality}")(rows))


def domain_shift_report(source, target, projection=None, source_encoders=(None, None), target_encoders=(None, None),
                        n_permutations=200, max_items=500, seed=0) -> dict:
    """How different ``target`` is from ``source``, in every space the transfer uses.

    Parameters
    ----------
    source, target : xmodal.fusion.items.Items
        Both in the *source's* feature spaces (encoded with the encoders fitted on the source).
    projection : fitted projection or None
        The source's projection, for the common-space figures.
    source_encoders, target_encoders : (image_encoder, text_encoder)
        Encoders fitted on each collection (None where unknown), for the vocabulary and
        visual-word figures (``vectorizer_.vocabulary_`` or the ``vocabulary_`` of the text
        encoder's ``blocks_``; ``codebook_`` or ``encoding_.centres_``).
    n_permutations, max_items, seed
        See :func:`~xmodal.fusion.mmd.mmd_test`.

    Returns
    -------
    dict
        ``mmd`` (space -> :func:`mmd_test` result or None), ``vocabulary unseen``,
        ``texts without a known word``, ``visual words unseen``, ``warnings`` (list of str).

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.fusion.items import Items
    >>> rng = np.random.default_rng(0)
    >>> a = Items(rng.normal(size=(60, 4)), rng.random((60, 3)))
    >>> b = Items(rng.normal(size=(60, 4)) + 2.0, np.zeros((60, 3)))
    >>> report = domain_shift_report(a, b, n_permutations=50)
    >>> report["mmd"]["image"]["p_value"] < 0.05, report["texts without a known word"]
    (True, 1.0)
    """
    mmd, messages = {}, []

    def compare(name, X, Y):
        mmd[name] = None if X is None or Y is None else mmd_test(X, Y, n_permutations, max_items, seed)

    for modality in ("image", "text"):
        rows = []
        for items in (source, target):
            mask, X = getattr(items, f"{modality}_present"), getattr(items, f"X_{modality}")
            rows.append(X[np.flatnonzero(mask)] if X is not None and mask.sum() >= 2 else None)
        compare(modality, *rows)
    if projection is not None:
        for modality in ("image", "text"):
            compare(f"common ({modality})", _common_rows(projection, source, modality),
                    _common_rows(projection, target, modality))
    empty = None
    if target.X_text is not None:
        empty = float(1.0 - target.text_present.mean())
        if empty == 1.0:
            messages.append("no text of the target collection has a word of the source's vocabulary: the text "
                            "side cannot transfer (text vectors are all zero); re-fit the text encoder on the "
                            "target or rely on images")
        elif empty > 0.5:
            messages.append(f"{empty:.0%} of the target's texts have no word of the source's vocabulary")
    report = {
        "mmd": mmd,
        "vocabulary unseen": unseen_vocabulary(_vocabulary(source_encoders[1]), _vocabulary(target_encoders[1])),
        "texts without a known word": empty,
        "visual words unseen": unseen_visual_words(_codebook(source_encoders[0]), _codebook(target_encoders[0])),
        "warnings": messages,
    }
    return report


def warn_about(report) -> None:
    """Issue each message of ``report["warnings"]`` as a :class:`DomainShiftWarning`."""
    for message in report["warnings"]:
        warnings.warn(message, DomainShiftWarning, stacklevel=3)


def format_shift(report) -> str:
    """The report on one line: ``MMD² image 0.412 (p 0.005), ...; vocabulary unseen 62%; ...``."""
    parts = []
    for space, result in report["mmd"].items():
        if result is not None:
            p = "" if result["p_value"] is None else f" (p {result['p_value']:.3f})"
            parts.append(f"{space} {result['mmd2']:.3f}{p}")
    text = "MMD² " + ", ".join(parts) if parts else "MMD² n/a"
    for key in ("vocabulary unseen", "texts without a known word", "visual words unseen"):
        if report.get(key) is not None:
            text += f"; {key} {report[key]:.0%}"
    return text
