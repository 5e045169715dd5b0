"""Projection methods by name, each with its hyper-parameters chosen by cross-validation on the training set.

:class:`AutoProjection` is what ``xmodal evaluate`` uses: ``method="auto"`` (the default
projection) cross-validates plain CCA against the supervised projections when labels are
given and keeps the winner; a method name restricts the search to that method's grid
(:data:`METHODS`). Grids are built at fit time from the training data only: histogram
kernels (chi2) are tried on a modality only when its features are non-negative, and
kernel widths are multiples of the width set from the training rows.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from ._base import check_paired_views, store_init_params
from .cca import CCA
from .gram_alignment import GramAlignment
from .kernel_cca import KernelCCA
from .kernels import default_gamma
from .mmd import MMDAlignment
from .selection import CCACV, ProjectionSearchCV, RefittedProjectionMixin
from .semantic import SemanticCorrelationMatching, SemanticMatching
from .three_view import ThreeViewCCA

__all__ = ["AutoProjection", "METHODS", "SUPERVISED", "candidate_grid"]

METHODS = ("auto", "cca-cv", "kcca", "mmd", "gram", "sm", "scm", "three-view-cca")
SUPERVISED = ("sm", "scm", "three-view-cca")  # need labels; "mmd" and "gram" use them when given
CCA_REGS = (1e-3, 1e-2, 0.1, 1.0)
N_COMPONENTS = (8, 16, 32, 64, 128)
POWERS = (0.0, 1.0, 2.0, 4.0)
_GAMMA_SAMPLE = 500


def _non_negative(X):
    values = X.data if sp.issparse(X) else X
    return values.size == 0 or float(values.min()) >= 0.0


def _image_kernel(X_image):
    """chi2 for non-negative (histogram) image features, else rbf."""
    return "chi2" if _non_negative(X_image) else "rbf"


def _width(X, kernel, seed):
    rows = np.random.default_rng(seed).permutation(X.shape[0])[:_GAMMA_SAMPLE]
    return default_gamma(X[np.sort(rows)], kernel)


# Class-posterior methods in the default keep this share of CCA similarity, so items of one class are
# still ranked by instance similarity. 0.1 rather than 0.3: the cross-validated MAP on the training
# split prefers it on both labelled benchmarks (Wikipedia 0.273 vs 0.259, Noto Emoji 0.624 vs 0.611).
INSTANCE_WEIGHT = 0.1
# ``--projection sm`` tries image classifiers on hard labels and on labels mixed with the paired text's
# out-of-fold posterior (SemanticMatching's ``distillation``). Pure SM gains a little from it in
# cross-validation on the Wikipedia training split (C=3: 0.2869 vs 0.2863; on Noto Emoji it loses), and
# with the default's instance weight it loses on both (Wikipedia C=3: 0.2713 vs 0.2729), so the default
# leaves it out.
DISTILLATION = (0.0, 0.8)


def candidate_grid(method, X_image, X_text, labelled, seed=0):
    """The named candidates (``[(name, estimator)]``) that ``method`` cross-validates on these data.

    Parameters
    ----------
    method : str
        One of :data:`METHODS` except ``"cca-cv"`` (which is :class:`~xmodal.projection.selection.CCACV`).
    X_image, X_text : ndarray or sparse
        Validated training views (used for the kernel choice and widths only).
    labelled : bool
        Whether labels will be given to ``fit``.
    seed : int, default=0

    Returns
    -------
    candidates : list of (str, estimator)
    """
    kernel = _image_kernel(X_image)
    gamma = _width(X_image, kernel, seed)
    common = dict(kernel_image=kernel, kernel_text="linear", seed=seed)
    if method == "kcca":
        return [(f"kcca {kernel} gamma={g:.3g} reg={reg}",
                 KernelCCA(gamma_image=g, reg_image=reg, reg_text=reg, **common))
                for g in (gamma, 2 * gamma) for reg in (0.01, 0.1, 1.0)]
    if method == "mmd":
        weights = (0.0, 1.0, 10.0) if labelled else (0.0,)
        return [(f"mmd {kernel} mmd_weight={w} reg={reg}",
                 MMDAlignment(mmd_weight=w, gamma_image=gamma, reg_image=reg, reg_text=reg, **common))
                for w in weights for reg in (0.1, 1.0)]
    if method == "gram":
        targets = [(lw, 0.0) for lw in (0.5, 0.9)] if labelled else []
        targets += [(0.0, kw) for kw in (0.3, 0.6)]
        return [(f"gram {kernel} label_weight={lw} kernel_weight={kw}",
                 GramAlignment(label_weight=lw, kernel_weight=kw, gamma_image=gamma, **common))
                for lw, kw in targets]
    if not labelled and method in SUPERVISED:
        raise ValueError(f"projection {method!r} is supervised: the training data needs labels.")
    if method in ("sm", "scm"):
        return _posterior_grid(method, kernel, gamma, common, DISTILLATION)
    if method == "three-view-cca":
        return [(f"three-view-cca {kernel} reg={reg}",
                 ThreeViewCCA(gamma_image=gamma, reg_image=reg, reg_text=reg, **common)) for reg in (0.1, 1.0)]
    if method == "auto":
        candidates = [(f"cca reg={reg}", CCA(reg_image=reg, reg_text=reg)) for reg in CCA_REGS]
        if labelled:
            candidates += candidate_grid("three-view-cca", X_image, X_text, labelled, seed)
            for name in ("scm", "sm"):  # with instance similarity inside a class; hard labels (see DISTILLATION)
                for label, estimator in _posterior_grid(name, kernel, gamma, common, (0.0,)):
                    candidates.append((f"{label} instance_weight={INSTANCE_WEIGHT}",
                                       estimator.set_params(instance_weight=INSTANCE_WEIGHT)))
        return candidates
    raise ValueError(f"method must be one of {METHODS}, got {method!r}.")


def _posterior_grid(method, kernel, gamma, common, distillations):
    """The class-posterior candidates (``"sm"`` or ``"scm"``): each C with each image-target distillation."""
    if method == "sm":
        make, Cs = SemanticMatching, (0.3, 1.0, 3.0)
    else:
        make, Cs = SemanticCorrelationMatching, (0.1, 1.0)
    return [(f"{method} {kernel} C={C}" + (f" distillation={a}" if a else ""),
             make(C=C, distillation=a, gamma_image=gamma, **common)) for C in Cs for a in distillations]


class AutoProjection(RefittedProjectionMixin, BaseEstimator):
    """A projection chosen by name, or automatically, with hyper-parameters set by cross-validation.

    ``method="auto"`` (the default projection of :class:`~xmodal.pipeline.Pipeline`): without
    labels it is :class:`~xmodal.projection.selection.CCACV`; with labels (``y`` in ``fit``) it
    cross-validates CCA (every ridge, component count and correlation power of CCACV) against
    the supervised projections (three-view CCA, semantic correlation matching, semantic
    matching; chi2 kernel maps for non-negative image features) on the same folds and keeps
    the one with the best MAP. In the default, the two class-posterior methods keep the CCA
    similarity for 10% of the cosine (``instance_weight=0.1``), so that the common space still
    ranks items within a class by instance similarity (pure class posteriors tie every item of
    a class; the named methods ``sm`` / ``scm`` are the classic, pure ones). Any other method
    name searches only that method's grid (:func:`candidate_grid`). The test split is never seen: everything is chosen on ``fit``'s rows.

    Parameters
    ----------
    method : str, default="auto"
        One of :data:`METHODS`.
    cv : int, default=3
        Folds (grouped by image).
    seed : int, default=0
        Seed of the folds and of the Nyström landmarks.

    Attributes
    ----------
    chosen_ : str
        Name of the chosen candidate (e.g. ``"cca reg=0.1"``, ``"sm chi2 C=10.0"``).
    best_params_ : dict
        ``method`` and the chosen parameters.
    best_score_ : float
        Its cross-validated MAP.
    cv_results_ : list of dict
    estimator_ : estimator
        The chosen projection refitted on all rows.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(150, 2))
    >>> Xi = z @ rng.normal(size=(2, 6)) + 0.5 * rng.normal(size=(150, 6))
    >>> Xt = z @ rng.normal(size=(2, 5)) + 0.5 * rng.normal(size=(150, 5))
    >>> model = AutoProjection().fit(Xi, Xt)  # no labels: CCA chosen by cross-validation
    >>> model.chosen_, model.transform_text(Xt[:3]).shape[0]
    ('cca', 3)
    """

    def __init__(self, method="auto", cv=3, seed=0):
        store_init_params(self, locals())

    def fit(self, X_image, X_text, y=None, groups=None):
        """Cross-validate the candidates on these rows and refit the best; returns self.

        Parameters
        ----------
        X_image, X_text : array-like or sparse, shape (n_pairs, d_image) / (n_pairs, d_text)
        y : array-like of shape (n_pairs,) or None
            Class labels per pair; scores use "same label" relevance and supervised
            candidates become available.
        groups : array-like of shape (n_pairs,) or None
            Image of each pair (captions of one image are never split across folds).
        """
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}.")
        X_image, X_text = check_paired_views(X_image, X_text)
        if self.method == "cca-cv" or (self.method == "auto" and y is None):
            search = CCACV(cv=self.cv, seed=self.seed).fit(X_image, X_text, y, groups)
            self.chosen_ = "cca"
            self.best_params_ = {"method": "cca", **search.best_params_}
        else:
            candidates = candidate_grid(self.method, X_image, X_text, y is not None, self.seed)
            search = ProjectionSearchCV(candidates, n_components=N_COMPONENTS + (None,), powers=POWERS,
                                        cv=self.cv, seed=self.seed).fit(X_image, X_text, y, groups)
            self.chosen_ = search.chosen_
            self.best_params_ = search.best_params_
        self.best_score_ = search.best_score_
        self.cv_results_ = search.cv_results_
        self.estimator_ = search.estimator_
        return self
