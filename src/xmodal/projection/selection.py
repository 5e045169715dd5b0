"""Choosing projection hyper-parameters by cross-validated retrieval MAP on the training set."""

from __future__ import annotations

import itertools

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from xmodal.projection.cca import CCA


def _unit_rows(Z):
    norms = np.linalg.norm(Z, axis=1, keepdims=True)
    return Z / np.where(norms > 0, norms, 1.0)


def crossmodal_map(Z_image, Z_text, relevant) -> float:
    """Mean of image->text and text->image MAP for cosine similarity in the common space.

    ``relevant`` is (n_images, n_texts): True where the text is relevant to the image.
    """
    from xmodal.evaluation.metrics import mean_average_precision

    scores = _unit_rows(Z_image) @ _unit_rows(Z_text).T
    return 0.5 * (mean_average_precision(scores, relevant) + mean_average_precision(scores.T, relevant.T))


def group_folds(groups, n_folds, seed):
    """Assign each group (image) to one of ``n_folds`` folds at random, seeded; rows follow their group."""
    uniq, inverse = np.unique(groups, return_inverse=True)
    if len(uniq) < n_folds:
        raise ValueError(f"cv={n_folds} folds need at least {n_folds} distinct images, got {len(uniq)}")
    fold_of_group = np.random.default_rng(seed).permutation(len(uniq)) % n_folds
    return fold_of_group[inverse]


class CCACV(BaseEstimator):
    """Regularised CCA with its hyper-parameters chosen by cross-validated retrieval MAP.

    Rows are image-text pairs; ``groups`` says which rows share an image (several captions), so a
    fold never splits an image's captions between training and validation. On each fold CCA is
    fitted for every ``reg`` (applied to both views) and, from that one fit, every number of
    components and correlation power is scored by the mean of image->text and text->image MAP
    (cosine similarity) on the held-out pairs, with relevance "same label" when ``y`` is given
    and "same image" otherwise. The best setting is refitted on all rows. The test split is never
    seen.

    Parameters
    ----------
    regs : sequence of float
        Relative ridge values tried (see :class:`~xmodal.projection.cca.CCA`).
    n_components : sequence of int
        Numbers of components tried (values above the maximum possible are dropped).
    powers : sequence of float
        Exponents of canonical-correlation weighting tried.
    cv : int
        Number of folds.
    seed : int
        Seed of the fold assignment.

    Attributes
    ----------
    best_params_ : dict
        ``reg``, ``n_components`` and ``correlation_power`` of the chosen setting.
    best_score_ : float
        Its mean cross-validated MAP.
    cv_results_ : list of dict
        Every setting with its mean score.
    estimator_ : CCA
        The CCA refitted on all rows with ``best_params_``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(300, 2))
    >>> Xi = z @ rng.normal(size=(2, 6)) + 0.5 * rng.normal(size=(300, 6))
    >>> Xt = z @ rng.normal(size=(2, 5)) + 0.5 * rng.normal(size=(300, 5))
    >>> model = CCACV(n_components=(1, 2), cv=3).fit(Xi, Xt)
    >>> model.transform_text(Xt).shape[1] == model.best_params_["n_components"]
    True
    """

    def __init__(self, regs=(1e-3, 1e-2, 0.1, 1.0), n_components=(8, 16, 32, 64, 128), powers=(0.0, 1.0, 2.0, 4.0),
                 cv=3, seed=0):
        self.regs = regs
        self.n_components = n_components
        self.powers = powers
        self.cv = cv
        self.seed = seed

    def fit(self, X_image, X_text, y=None, groups=None):
        """Choose the setting by cross-validation, then refit on all rows.

        Parameters
        ----------
        X_image, X_text : array-like or sparse, shape (n_pairs, d_image) / (n_pairs, d_text)
        y : array-like of shape (n_pairs,) or None
            Class labels; relevance is "same label" when given.
        groups : array-like of shape (n_pairs,) or None
            Image identity of each row; default: every row is its own image.
        """
        if not isinstance(self.cv, (int, np.integer)) or self.cv < 2:
            raise ValueError(f"cv must be an int >= 2, got {self.cv!r}")
        for name in ("regs", "n_components", "powers"):
            if len(getattr(self, name)) == 0:
                raise ValueError(f"{name} must list at least one value")
        n = X_image.shape[0]
        if X_text.shape[0] != n:
            raise ValueError(f"X_image has {n} rows but X_text has {X_text.shape[0]}")
        groups = np.arange(n) if groups is None else np.asarray(groups)
        if groups.shape != (n,):
            raise ValueError(f"groups must have one entry per row ({n}), got shape {groups.shape}")
        if y is not None:
            y = np.asarray(y)
            if y.shape != (n,):
                raise ValueError(f"y must have one label per row ({n}), got shape {y.shape}")
        folds = group_folds(groups, self.cv, self.seed)
        settings = list(itertools.product(self.regs, sorted(set(self.n_components)), self.powers))
        totals = {s: [] for s in settings}
        for fold in range(self.cv):
            train, val = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
            # one image row per validation group; every validation row is a text
            _, first = np.unique(groups[val], return_index=True)
            val_images = val[first]
            if y is not None:
                relevant = y[val_images][:, None] == y[val][None, :]
            else:
                relevant = groups[val_images][:, None] == groups[val][None, :]
            for reg in self.regs:
                model = CCA(n_components=None, reg_image=reg, reg_text=reg).fit(X_image[train], X_text[train])
                Zi, Zt = model.transform_image(X_image[val_images]), model.transform_text(X_text[val])
                for power in self.powers:
                    scored = {}  # requests above the rank all use every component: score that once
                    for k in sorted(set(self.n_components)):
                        k_fit = min(k, model.n_components_)
                        if k_fit not in scored:
                            w = model.correlations_[:k_fit] ** power
                            scored[k_fit] = crossmodal_map(Zi[:, :k_fit] * w, Zt[:, :k_fit] * w, relevant)
                        totals[(reg, k, power)].append(scored[k_fit])
        self.cv_results_ = [
            {"reg": r, "n_components": k, "correlation_power": p, "score": float(np.mean(v))}
            for (r, k, p), v in totals.items()
        ]
        best = max(self.cv_results_, key=lambda row: row["score"])  # first of equals: fewest components
        estimator = CCA(reg_image=best["reg"], reg_text=best["reg"], correlation_power=best["correlation_power"])
        estimator.fit(X_image, X_text)
        if best["n_components"] < estimator.n_components_:
            estimator.set_params(n_components=best["n_components"]).fit(X_image, X_text)
        self.estimator_ = estimator
        self.best_score_ = best["score"]
        self.best_params_ = {"reg": best["reg"], "n_components": estimator.n_components_,
                             "correlation_power": best["correlation_power"]}
        return self

    def transform_image(self, X):
        """Project image features into the common space (see :meth:`CCA.transform_image`)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.transform_image(X)

    def transform_text(self, X):
        """Project text features into the common space (see :meth:`CCA.transform_text`)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.transform_text(X)
