"""Classification of image-text items by cross-modal fusion, and transfer of fitted parts.

Modules (nothing heavy is imported until a name is used)::

    items        one item per image: its image features, the mean of its captions' text features
    holdout      seeded stratified validation split, few-shot samples
    blocks       per-block normalisation and concatenation (early fusion)
    linear       LinearClassifier: logistic regression or calibrated linear SVM, C chosen on val
    late         combining per-modality class probabilities (weighted mean, product, stacking)
    classifier   FusionClassifier: image, text, early, late-*, common (in a projection's space)
    report       accuracy, macro-F1, per-class precision / recall / F1, confusion matrix (+ PNG)
    mmd          maximum mean discrepancy with a permutation test
    shift        domain-shift report between two collections
    transfer     parts fitted on collection A used on collection B, with few-shot re-fitting
    command      the ``xmodal classify`` command and the ``--fit-on / --evaluate-on`` options
    names        the choices (methods, classifiers, ...), light enough for the command line
"""

from xmodal._lazy import lazy_names

_LAZY = {
    "FusionClassifier": "xmodal.fusion.classifier",
    "LinearClassifier": "xmodal.fusion.linear",
    "Items": "xmodal.fusion.items",
    "items_from_collection": "xmodal.fusion.items",
    "classification_report": "xmodal.fusion.report",
    "domain_shift_report": "xmodal.fusion.shift",
    "mmd_test": "xmodal.fusion.mmd",
    "transfer_evaluate": "xmodal.fusion.transfer",
    "Transfer": "xmodal.fusion.transfer",
    "fit_methods": "xmodal.fusion.classifier",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_names("xmodal.fusion", _LAZY, globals())
