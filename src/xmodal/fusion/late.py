"""Late fusion: combining the class probabilities of an image classifier and a text classifier.

With ``p_image`` and ``p_text`` the per-modality probabilities of one item and ``w`` the image's
weight in [0, 1]:

- weighted mean: ``w p_image + (1 - w) p_text``;
- weighted product: ``p_image**w * p_text**(1 - w)``, renormalised (a weighted geometric mean: a
  class must be plausible to both modalities);
- stacking: a multinomial logistic regression on ``[log p_image, log p_text]``, learnt on
  held-out (validation) probabilities.

``w`` is chosen on validation items by log-loss; equal scores go to the weight closest to 1/2.
"""

from __future__ import annotations

import numpy as np

from xmodal.fusion.linear import PROBA_FLOOR, log_loss

WEIGHTS = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))


def weighted_mean(p_image, p_text, weight):
    """``weight * p_image + (1 - weight) * p_text``.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_mean(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), 0.25)
    array([[0.25, 0.75]])
    """
    return weight * np.asarray(p_image) + (1.0 - weight) * np.asarray(p_text)


def weighted_product(p_image, p_text, weight):
    """``p_image**weight * p_text**(1 - weight)``, each row renormalised to sum to 1.

    Probabilities are floored at 1e-9 first, so a class one modality rules out keeps a trace.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_product(np.array([[0.5, 0.5]]), np.array([[0.2, 0.8]]), 0.5).round(3)
    array([[0.333, 0.667]])
    """
    logits = (weight * np.log(np.maximum(p_image, PROBA_FLOOR))
              + (1.0 - weight) * np.log(np.maximum(p_text, PROBA_FLOOR)))
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return out / out.sum(axis=1, keepdims=True)


COMBINERS = {"late-mean": weighted_mean, "late-product": weighted_product}


def choose_weight(combine, p_image, p_text, y, classes, weights=WEIGHTS):
    """The image weight whose combined validation probabilities have the lowest log-loss.

    Returns
    -------
    (weight, scores) : float, dict of weight -> log-loss

    Examples
    --------
    >>> import numpy as np
    >>> p_image = np.array([[0.9, 0.1], [0.2, 0.8]])
    >>> p_text = np.array([[0.5, 0.5], [0.5, 0.5]])
    >>> choose_weight(weighted_mean, p_image, p_text, np.array([0, 1]), np.array([0, 1]))[0]
    1.0
    """
    scores = {float(w): log_loss(combine(p_image, p_text, w), y, classes) for w in weights}
    order = sorted(scores, key=lambda w: (scores[w], abs(w - 0.5)))
    return order[0], scores


def stacking_features(p_image, p_text):
    """``[log p_image, log p_text]`` (floored): the input of the stacking classifier."""
    return np.hstack([np.log(np.maximum(p_image, PROBA_FLOOR)), np.log(np.maximum(p_text, PROBA_FLOOR))])
