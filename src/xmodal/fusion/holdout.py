"""Seeded, stratified choices of items: a validation split carved from train, few-shot samples."""

from __future__ import annotations

import numpy as np


def _check_labels(labels, name="labels"):
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per item), got shape {labels.shape}")
    return labels


def stratified_holdout(labels, fraction=0.2, seed=0):
    """Split item indices into train and validation, the same fraction of every class in each.

    Each class with ``n`` items gives ``round(fraction * n)`` of them to validation, but always
    keeps at least one in train (a class of one item stays in train). Seeded, so a run is
    repeatable.

    Parameters
    ----------
    labels : array-like of shape (n_items,)
    fraction : float in (0, 1)
        Share of each class moved to validation.
    seed : int

    Returns
    -------
    train, val : ndarray of int
        Sorted item indices.

    Examples
    --------
    >>> train, val = stratified_holdout(["a"] * 5 + ["b"] * 5 + ["c"], fraction=0.2, seed=0)
    >>> len(train), len(val)
    (9, 2)
    """
    labels = _check_labels(labels)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    rng = np.random.default_rng(seed)
    val = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        n_val = min(int(round(fraction * len(members))), len(members) - 1)
        if n_val > 0:
            val.append(rng.choice(members, n_val, replace=False))
    val = np.sort(np.concatenate(val)) if val else np.zeros(0, dtype=np.int64)
    train = np.setdiff1d(np.arange(len(labels)), val)
    return train, val


def few_shot_indices(labels, per_class, seed=0):
    """``per_class`` items of every class, drawn at random (seeded); all of a smaller class.

    Parameters
    ----------
    labels : array-like of shape (n_items,)
    per_class : int >= 1
    seed : int

    Returns
    -------
    ndarray of int
        Sorted item indices.

    Examples
    --------
    >>> few_shot_indices(["a", "a", "a", "b", "b"], per_class=2, seed=0).size
    4
    """
    labels = _check_labels(labels)
    if isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer)) or per_class < 1:
        raise ValueError(f"per_class must be a positive int, got {per_class!r}")
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(labels == cls), min(per_class, int((labels == cls).sum())), replace=False)
              for cls in np.unique(labels)]
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
