"""LinearClassifier: multinomial logistic regression or a calibrated linear SVM, C chosen on held-out data."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from xmodal.fusion.names import CLASSIFIERS

DEFAULT_CS = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)
DEFAULT_C = 1.0
PROBA_FLOOR = 1e-9


def check_training_labels(y, name="training labels"):
    """``y`` as a 1-D array of at least two classes, or a ValueError that says what is wrong.

    Examples
    --------
    >>> check_training_labels(["cat", "cat"])
    Traceback (most recent call last):
    ...
    ValueError: the training labels hold a single class ('cat', 2 items); a classifier needs at least two classes
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"the {name} must be a non-empty 1-D array, got shape {y.shape}")
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(f"the {name} hold a single class ({classes[0].item()!r}, {y.size} items); "
                         "a classifier needs at least two classes")
    return y


def aligned_proba(estimator, X, classes):
    """``estimator.predict_proba(X)`` with one column per entry of ``classes`` (0 for classes it never saw)."""
    proba = estimator.predict_proba(X)
    out = np.zeros((proba.shape[0], len(classes)))
    position = {c: i for i, c in enumerate(classes)}
    for j, cls in enumerate(estimator.classes_):
        out[:, position[cls]] = proba[:, j]
    return out


def log_loss(proba, y, classes):
    """Mean negative log-probability of the true class (floored, so unseen classes cost a finite amount)."""
    position = {c: i for i, c in enumerate(classes)}
    rows = np.arange(len(y))
    cols = np.array([position[c] for c in y])
    return float(-np.mean(np.log(np.maximum(proba[rows, cols], PROBA_FLOOR))))


class LinearClassifier(BaseEstimator, ClassifierMixin):
    """A linear classifier with class probabilities, its C chosen on validation data.

    ``C`` is chosen among ``Cs`` by the log-loss of the validation items (the probabilities are
    what a fusion combines, so they are what is scored); without validation items, by stratified
    ``cv``-fold cross-validation on the training items; when the smallest class is too small for
    either, ``C = 1``. The model is then refitted on training and validation items together with
    the chosen C. The test split is never seen.

    Parameters
    ----------
    kind : {"logreg", "svm"}
        ``"logreg"``: multinomial logistic regression (lbfgs). ``"svm"``: linear SVM (one-vs-rest)
        with sigmoid-calibrated probabilities (``CalibratedClassifierCV``), which needs at least
        two training items per class.
    Cs : sequence of float
        Inverse regularisation strengths tried.
    cv : int
        Folds of the cross-validation used when no validation items are given.
    seed : int
        Seed of the folds and of the SVM's calibration folds.

    Attributes
    ----------
    classes_ : ndarray
        Sorted classes of training and validation items.
    C_ : float
        The chosen C.
    selection_ : str
        How it was chosen: ``"validation"``, ``"cross-validation"`` or ``"default"``.
    scores_ : dict of float -> float
        Validation (or cross-validated) log-loss per C tried.
    val_proba_ : ndarray of shape (n_val, n_classes) or None
        Probabilities of the validation items from the model fitted on training items only with
        the chosen C (held-out predictions, for choosing fusion weights).
    estimator_ : sklearn classifier
        The final model, fitted on training and validation items.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(["a", "b"], 30)
    >>> X = rng.normal(size=(60, 3)) + np.where(y == "a", 2.0, -2.0)[:, None]
    >>> clf = LinearClassifier().fit(X[::2], y[::2], X_val=X[1::2], y_val=y[1::2])
    >>> clf.selection_, str(clf.predict(np.array([[3.0, 3.0, 3.0]]))[0])
    ('validation', 'a')
    """

    def __init__(self, kind="logreg", Cs=DEFAULT_CS, cv=3, seed=0):
        self.kind = kind
        self.Cs = Cs
        self.cv = cv
        self.seed = seed

    def _model(self, C, y):
        if self.kind == "logreg":
            from sklearn.linear_model import LogisticRegression

            return LogisticRegression(C=C, max_iter=3000)
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.model_selection import StratifiedKFold
        from sklearn.svm import LinearSVC

        smallest = int(np.unique(y, return_counts=True)[1].min())
        if smallest < 2:
            raise ValueError("the calibrated linear SVM needs at least 2 training items per class "
                             f"(one class has {smallest}); use the logistic regression (kind='logreg')")
        folds = StratifiedKFold(min(3, smallest), shuffle=True, random_state=self.seed)
        return CalibratedClassifierCV(LinearSVC(C=C), method="sigmoid", cv=folds)

    def _fit_model(self, C, X, y):
        from sklearn.exceptions import ConvergenceWarning
        from threadpoolctl import threadpool_limits

        # scikit-learn (OpenMP) and SciPy's L-BFGS-B (BLAS) threads spin-wait on a busy 2-core machine
        # and make these small fits 10-25 times slower; one thread is as fast as two on an idle one
        with warnings.catch_warnings(), threadpool_limits(limits=1):
            warnings.simplefilter("ignore", ConvergenceWarning)  # the held-out log-loss judges an unconverged fit
            return self._model(C, y).fit(X, y)

    def _validate(self, X, y):
        if self.kind not in CLASSIFIERS:
            raise ValueError(f"unknown classifier {self.kind!r}; choose from {list(CLASSIFIERS)}")
        if len(self.Cs) == 0 or any(not C > 0 for C in self.Cs):
            raise ValueError(f"Cs must list positive values, got {self.Cs!r}")
        y = check_training_labels(y)
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels")
        return y

    def fit(self, X, y, X_val=None, y_val=None):
        """Choose C, then fit on ``X`` (and ``X_val``).

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n, d)
        y : array-like of shape (n,)
            At least two classes.
        X_val, y_val : validation items, or None
        """
        y = self._validate(X, y)
        has_val = X_val is not None and X_val.shape[0] > 0
        y_val = np.asarray(y_val) if has_val else np.zeros(0, dtype=y.dtype)
        if has_val and X_val.shape[0] != y_val.shape[0]:
            raise ValueError(f"X_val has {X_val.shape[0]} rows but y_val has {y_val.shape[0]} labels")
        self.classes_ = np.unique(np.concatenate([y, y_val]))
        self.val_proba_ = None
        if has_val:
            self.selection_ = "validation"
            fitted = {C: self._fit_model(C, X, y) for C in self.Cs}
            probas = {C: aligned_proba(m, X_val, self.classes_) for C, m in fitted.items()}
            self.scores_ = {C: log_loss(p, y_val, self.classes_) for C, p in probas.items()}
        else:
            self.scores_ = self._cross_validated_scores(X, y)
            self.selection_ = "cross-validation" if self.scores_ else "default"
        self.C_ = min(self.scores_, key=self.scores_.get) if self.scores_ else DEFAULT_C  # first of equals
        if has_val:
            self.val_proba_ = probas[self.C_]
            import scipy.sparse as sp

            X = sp.vstack([X, X_val]).tocsr() if sp.issparse(X) or sp.issparse(X_val) else np.vstack([X, X_val])
            y = np.concatenate([y, y_val])
        self.estimator_ = self._fit_model(self.C_, X, y)
        return self

    def _cross_validated_scores(self, X, y):
        from sklearn.model_selection import StratifiedKFold

        smallest = int(np.unique(y, return_counts=True)[1].min())
        n_folds = min(self.cv, smallest)
        # every fold's training part must hold each class (twice for the SVM's calibration)
        if n_folds < 2 or (self.kind == "svm" and smallest - -(-smallest // n_folds) < 2):
            return {}
        totals = {C: 0.0 for C in self.Cs}
        for train, val in StratifiedKFold(n_folds, shuffle=True, random_state=self.seed).split(np.zeros(len(y)), y):
            for C in self.Cs:
                model = self._fit_model(C, X[train], y[train])
                totals[C] += log_loss(aligned_proba(model, X[val], self.classes_), y[val], self.classes_) / n_folds
        return totals

    def predict_proba(self, X, classes=None):
        """Class probabilities, one column per entry of ``classes`` (default ``classes_``)."""
        check_is_fitted(self, "estimator_")
        return aligned_proba(self.estimator_, X, self.classes_ if classes is None else classes)

    def predict(self, X):
        """The most probable class of each row."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
