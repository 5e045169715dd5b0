"""Classification figures: accuracy, macro-F1, per-class precision / recall / F1, confusion matrix."""

from __future__ import annotations

import numpy as np


class MissingExtraError(ImportError, ValueError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def require_matplotlib():
    """Import matplotlib (Agg backend) and return ``pyplot``, or raise :class:`MissingExtraError`."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingExtraError("the confusion-matrix PNG needs matplotlib: pip install 'xmodal[plot]'") from None
    return plt


def _ratio(numerator, denominator):
    return np.divide(numerator, denominator, out=np.zeros(len(numerator)), where=denominator > 0)


def confusion_matrix(y_true, y_pred, classes):
    """Counts ``C[i, j]`` of items of class ``classes[i]`` predicted as ``classes[j]``.

    Examples
    --------
    >>> confusion_matrix(["a", "b", "b"], ["a", "a", "b"], ["a", "b"])
    array([[1, 0],
           [1, 1]])
    """
    position = {c: i for i, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        matrix[position[t], position[p]] += 1
    return matrix


def classification_report(y_true, y_pred, training_classes=None) -> dict:
    """Accuracy, macro-F1 and per-class precision / recall / F1.

    Per-class figures are listed for every class seen in training, in the test labels or in the
    predictions. A class with no prediction has precision 0, one with no test item recall 0.
    Macro-F1 averages over the classes present in the test labels or the predictions (as
    scikit-learn does), so a class found only in test counts, with F1 0: the classifier could
    not have predicted it, and the report says so (``unseen_in_training``).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_items,)
    training_classes : array-like or None
        The classes the classifier was trained on (to name the unseen ones).

    Returns
    -------
    dict
        ``accuracy``, ``macro_f1``, ``n_items``, ``classes`` (list), ``per_class`` (list of dicts:
        ``class``, ``precision``, ``recall``, ``f1``, ``support``, ``predicted``),
        ``unseen_in_training`` (classes in ``y_true`` absent from ``training_classes``),
        ``confusion`` (list of rows, order of ``classes``).

    Examples
    --------
    >>> r = classification_report(["a", "a", "b", "c"], ["a", "b", "b", "b"], training_classes=["a", "b"])
    >>> r["accuracy"], round(r["macro_f1"], 3), r["unseen_in_training"]
    (0.5, 0.389, ['c'])
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or y_true.size == 0:
        raise ValueError(f"y_true and y_pred must be 1-D of the same non-zero length; got {y_true.shape} "
                         f"and {y_pred.shape}")
    known = np.asarray([] if training_classes is None else list(training_classes))
    classes = np.unique(np.concatenate([known.astype(y_true.dtype) if known.size else y_true[:0], y_true, y_pred]))
    matrix = confusion_matrix(y_true, y_pred, classes)
    hits = np.diag(matrix).astype(np.float64)
    support, predicted = matrix.sum(axis=1), matrix.sum(axis=0)
    precision, recall = _ratio(hits, predicted), _ratio(hits, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    averaged = (support > 0) | (predicted > 0)
    unseen = sorted(set(y_true.tolist()) - set(known.tolist())) if training_classes is not None else []
    return {
        "accuracy": float(hits.sum() / y_true.size),
        "macro_f1": float(f1[averaged].mean()),
        "n_items": int(y_true.size),
        "classes": classes.tolist(),
        "per_class": [{"class": c, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(s),
                       "predicted": int(n)}
                      for c, p, r, f, s, n in zip(classes.tolist(), precision, recall, f1, support, predicted)],
        "unseen_in_training": unseen,
        "confusion": matrix.tolist(),
    }


def format_classification_report(report: dict) -> str:
    """The per-class table, then accuracy and macro-F1, as plain text.

    Examples
    --------
    >>> print(format_classification_report(classification_report(["a", "b"], ["a", "a"])))
    class  precision  recall      f1  support
    a          0.500   1.000   0.667        1
    b          0.000   0.000   0.000        1
    accuracy 0.500   macro-F1 0.333   (2 items)
    """
    width = max([5] + [len(str(row["class"])) for row in report["per_class"]]) + 2
    lines = [f"{'class':<{width}}{'precision':>9}{'recall':>8}{'f1':>8}{'support':>9}"]
    unseen = set(report["unseen_in_training"])
    for row in report["per_class"]:
        note = "   (not in training)" if row["class"] in unseen else ""
        lines.append(f"{str(row['class']):<{width}}{row['precision']:>9.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}"
                     f"{row['support']:>9d}{note}")
    lines.append(f"accuracy {report['accuracy']:.3f}   macro-F1 {report['macro_f1']:.3f}   ({report['n_items']} items)")
    return "\n".join(lines)


def plot_confusion(report: dict, path, title=None) -> None:
    """Write the confusion matrix of ``report`` as a PNG (rows: true class; needs ``xmodal[plot]``).

    Cells show counts; colours show each row's share, so small classes read as well as big ones.
    """
    plt = require_matplotlib()
    from xmodal._atomic import atomic_path

    matrix = np.asarray(report["confusion"])
    names = [str(c) for c in report["classes"]]
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = 2.5 + 0.55 * len(names)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    for i in range(len(names)):
        for j in range(len(names)):
            if matrix[i, j]:
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if shares[i, j] > 0.6 else "black")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    ax.set_title(title or f"accuracy {report['accuracy']:.3f}, macro-F1 {report['macro_f1']:.3f}")
    fig.tight_layout()
    try:
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        plt.close(fig)
