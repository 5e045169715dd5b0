"""Choosing a projection and its hyper-parameters by cross-validated retrieval MAP on the training set.

One engine (:func:`cross_validate_projections`) scores a list of candidate projections on the
same folds. Folds never split an image's captions (``groups``); each validation fold is a
small retrieval problem (one row per image as the image gallery, every caption as a text
query) scored by the mean of image->text and text->image MAP under cosine similarity, with
relevance "same label" when labels are given and "same image" otherwise. For projections
made of nested weighted components (CCA and the other eigen-solvers), every number of
components and weighting power is scored from one fit per fold. The test split is never seen.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from xmodal.projection._base import store_init_params, unit_rows
from xmodal.projection.cca import CCA
from xmodal.projection.feature_maps import sharing_feature_maps

__all__ = ["crossmodal_map", "group_folds", "cross_validate_projections", "ProjectionSearchCV", "CCACV"]


def crossmodal_map(Z_image, Z_text, relevant) -> float:
    """Mean of image->text and text->image MAP for cosine similarity in the common space.

    ``relevant`` is (n_images, n_texts): True where the text is relevant to the image.

    Examples
    --------
    >>> import numpy as np
    >>> crossmodal_map(np.eye(2), np.eye(2), np.eye(2, dtype=bool))
    1.0
    """
    from xmodal.evaluation.metrics import mean_average_precision

    scores = unit_rows(Z_image) @ unit_rows(Z_text).T
    return 0.5 * (mean_average_precision(scores, relevant) + mean_average_precision(scores.T, relevant.T))


def group_folds(groups, n_folds, seed):
    """Assign each group (image) to one of ``n_folds`` folds at random, seeded; rows follow their group.

    Examples
    --------
    >>> folds = group_folds([0, 0, 1, 1, 2, 2], 3, seed=0)
    >>> bool((folds[0::2] == folds[1::2]).all()), sorted(set(folds.tolist()))
    (True, [0, 1, 2])
    """
    uniq, inverse = np.unique(groups, return_inverse=True)
    if len(uniq) < n_folds:
        raise ValueError(f"cv={n_folds} folds need at least {n_folds} distinct images, got {len(uniq)}")
    fold_of_group = np.random.default_rng(seed).permutation(len(uniq)) % n_folds
    return fold_of_group[inverse]


def _check_fit_inputs(X_image, X_text, y, groups, cv):
    if not isinstance(cv, numbers.Integral) or isinstance(cv, bool) or cv < 2:
        raise ValueError(f"cv must be an int >= 2, got {cv!r}")
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
    return y, groups


def _validation_folds(groups, y, cv, seed):
    """Yield ``(train_rows, val_image_rows, val_text_rows, relevant)`` per fold."""
    folds = group_folds(groups, cv, seed)
    for fold in range(cv):
        train, val = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        _, first = np.unique(groups[val], return_index=True)  # one image row per validation group
        val_images = val[first]
        if y is not None:
            relevant = y[val_images][:, None] == y[val][None, :]
        else:
            relevant = groups[val_images][:, None] == groups[val][None, :]
        yield train, val_images, val, relevant


def _has_components(model):
    return hasattr(model, "_unweighted") and hasattr(model, "component_weights_")


def cross_validate_projections(candidates, X_image, X_text, y=None, groups=None, *, n_components=(None,),
                               powers=(None,), cv=3, seed=0):
    """Cross-validated MAP of every candidate projection (and component / power variant).

    Parameters
    ----------
    candidates : list of estimator
        Unfitted projections; each is cloned and fitted on every training fold (with ``y``
        when given). A candidate that turns out to have weighted components
        (``component_weights_``) is also scored at every ``n_components`` and ``powers`` value,
        from the same fit (fit it with all components).
    X_image, X_text : array-like or sparse
    y : array-like of shape (n_pairs,) or None
    groups : array-like of shape (n_pairs,) or None
    n_components : sequence of int or None, default=(None,)
        Component counts scored for component projections (None: all fitted).
    powers : sequence of float or None, default=(None,)
        Weighting powers scored for component projections (None: the candidate's own).
    cv : int, default=3
    seed : int, default=0

    Returns
    -------
    results : list of dict
        ``candidate`` (index), ``n_components``, ``correlation_power`` (None for projections
        without components) and ``score`` (mean over folds), in candidate order, then
        ``n_components``, then power.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(120, 2))
    >>> Xi, Xt = z @ rng.normal(size=(2, 5)), z @ rng.normal(size=(2, 4)) + 0.1 * rng.normal(size=(120, 4))
    >>> rows = cross_validate_projections([CCA(reg_image=0.1, reg_text=0.1)], Xi, Xt, n_components=(1, 2))
    >>> [row["n_components"] for row in rows]
    [1, 2]
    """
    y, groups = _check_fit_inputs(X_image, X_text, y, groups, cv)
    if len(candidates) == 0:
        raise ValueError("candidates must list at least one projection")
    ks = sorted(set(n_components), key=lambda k: (k is None, k or 0))
    totals = {}
    for train, val_images, val, relevant in _validation_folds(groups, y, cv, seed):
        fit_kwargs = {} if y is None else {"y": y[train]}
        with sharing_feature_maps():  # candidates differing only in a regulariser share the fold's maps
            models = [clone(candidate).fit(X_image[train], X_text[train], **fit_kwargs) for candidate in candidates]
        for index, model in enumerate(models):
            if not _has_components(model):
                score = crossmodal_map(model.transform_image(X_image[val_images]),
                                       model.transform_text(X_text[val]), relevant)
                totals.setdefault((index, None, None), []).append(score)
                continue
            Zi, Zt = model._unweighted(X_image[val_images], "image"), model._unweighted(X_text[val], "text")
            weights = model.component_weights_
            scored = {}  # requests above the fitted count all use every component: score those once
            for k in ks:
                k_fit = len(weights) if k is None else min(k, len(weights))
                for power in powers:
                    if (k_fit, power) not in scored:
                        w = weights[:k_fit] ** float(model.correlation_power if power is None else power)
                        scored[k_fit, power] = crossmodal_map(Zi[:, :k_fit] * w, Zt[:, :k_fit] * w, relevant)
                    totals.setdefault((index, k, power), []).append(scored[k_fit, power])
    return [{"candidate": c, "n_components": k, "correlation_power": p, "score": float(np.mean(v))}
            for (c, k, p), v in totals.items()]


def _refit_best(candidates, best, X_image, X_text, y):
    """Fit the winning candidate on all rows with its component count and power."""
    estimator = clone(candidates[best["candidate"]])
    if best["correlation_power"] is not None:
        estimator.set_params(correlation_power=best["correlation_power"])
    kwargs = {} if y is None else {"y": y}
    estimator.fit(X_image, X_text, **kwargs)
    k = best["n_components"]
    if k is not None and k < estimator.n_components_:
        estimator.set_params(n_components=k).fit(X_image, X_text, **kwargs)
    return estimator


class RefittedProjectionMixin:
    """``transform_image`` / ``transform_text`` of a search: those of the projection it refitted, ``estimator_``."""

    def transform_image(self, X):
        """Project image features with the chosen projection, float32 (n, k)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.transform_image(X)

    def transform_text(self, X):
        """Project text features with the chosen projection, float32 (n, k)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.transform_text(X)


class ProjectionSearchCV(RefittedProjectionMixin, BaseEstimator):
    """The best of several candidate projections, chosen by cross-validated retrieval MAP.

    Every candidate is scored on the same folds by :func:`cross_validate_projections` (with
    every ``n_components`` / ``powers`` variant for component projections); the best is
    refitted on all rows. Ties go to the earlier candidate, then to fewer components.

    Parameters
    ----------
    candidates : list of (str, estimator)
        Named unfitted projections. Component projections should have ``n_components=None``.
    n_components : sequence of int or None, default=(None,)
    powers : sequence of float or None, default=(None,)
    cv : int, default=3
    seed : int, default=0

    Attributes
    ----------
    chosen_ : str
        Name of the winning candidate.
    best_params_ : dict
        ``method`` (its name), then the winner's parameters that differ from their defaults,
        with the chosen ``n_components`` and ``correlation_power``.
    best_score_ : float
    cv_results_ : list of dict
        Every candidate / variant with its name and mean score.
    estimator_ : estimator
        The winner refitted on all rows.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection.semantic import SemanticMatching
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, size=240)
    >>> Xi = np.eye(3)[y] + 0.8 * rng.normal(size=(240, 3))
    >>> Xt = np.eye(3)[y] @ rng.normal(size=(3, 4)) + 0.8 * rng.normal(size=(240, 4))
    >>> search = ProjectionSearchCV([("cca", CCA()), ("sm", SemanticMatching())]).fit(Xi, Xt, y)
    >>> search.chosen_ in ("cca", "sm"), search.transform_text(Xt[:2]).shape[0]
    (True, 2)
    """

    def __init__(self, candidates, n_components=(None,), powers=(None,), cv=3, seed=0):
        store_init_params(self, locals())

    def fit(self, X_image, X_text, y=None, groups=None):
        """Score every candidate by cross-validation, then refit the best on all rows; returns self."""
        names = [name for name, _ in self.candidates]
        if len(set(names)) != len(names):
            raise ValueError(f"candidate names must be unique, got {names}")
        estimators = [estimator for _, estimator in self.candidates]
        results = cross_validate_projections(estimators, X_image, X_text, y, groups, n_components=self.n_components,
                                             powers=self.powers, cv=self.cv, seed=self.seed)
        for row in results:
            row["method"] = names[row["candidate"]]
        best = max(results, key=lambda row: row["score"])  # first of equals
        y = None if y is None else np.asarray(y)
        self.estimator_ = _refit_best(estimators, best, X_image, X_text, y)
        self.cv_results_ = results
        self.best_score_ = best["score"]
        self.chosen_ = best["method"]
        params = _changed_params(self.estimator_)
        if _has_components(self.estimator_):
            params.update(n_components=self.estimator_.n_components_,
                          correlation_power=self.estimator_.correlation_power)
        self.best_params_ = {"method": self.chosen_, **params}
        return self


def _changed_params(estimator):
    """Parameters of ``estimator`` that differ from its class defaults."""
    defaults = type(estimator)().get_params(deep=False)
    return {name: value for name, value in estimator.get_params(deep=False).items()
            if name not in defaults or defaults[name] != value}


class CCACV(RefittedProjectionMixin, BaseEstimator):
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
        store_init_params(self, locals())

    def fit(self, X_image, X_text, y=None, groups=None):
        """Choose the setting by cross-validation, then refit on all rows.

        Parameters
        ----------
        X_image, X_text : array-like or sparse, shape (n_pairs, d_image) / (n_pairs, d_text)
        y : array-like of shape (n_pairs,) or None
            Class labels; relevance is "same label" when given (CCA itself ignores them).
        groups : array-like of shape (n_pairs,) or None
            Image identity of each row; default: every row is its own image.
        """
        for name in ("regs", "n_components", "powers"):
            if len(getattr(self, name)) == 0:
                raise ValueError(f"{name} must list at least one value")
        candidates = cca_candidates(self.regs)
        y_scoring = None if y is None else np.asarray(y)
        results = cross_validate_projections(candidates, X_image, X_text, y_scoring, groups,
                                             n_components=self.n_components, powers=self.powers, cv=self.cv,
                                             seed=self.seed)
        self.cv_results_ = [{"reg": self.regs[r["candidate"]], "n_components": r["n_components"],
                             "correlation_power": r["correlation_power"], "score": r["score"]} for r in results]
        best = max(results, key=lambda row: row["score"])  # first of equals: fewest components
        self.estimator_ = _refit_best(candidates, best, X_image, X_text, None)
        self.best_score_ = best["score"]
        self.best_params_ = {"reg": self.regs[best["candidate"]], "n_components": self.estimator_.n_components_,
                             "correlation_power": best["correlation_power"]}
        return self


def cca_candidates(regs):
    """One all-component CCA per relative ridge (applied to both views)."""
    return [CCA(n_components=None, reg_image=reg, reg_text=reg) for reg in regs]

