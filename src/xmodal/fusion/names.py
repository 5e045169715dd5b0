"""The choices of the fusion stage, in a module light enough for the command line to import."""

METHODS = ("image", "text", "early", "late-mean", "late-product", "late-stacking", "common")
CLASSIFIERS = ("logreg", "svm")
BLOCK_NORMS = ("l2", "hellinger", "standard")
REFITS = ("none", "projection", "classifier", "both")
