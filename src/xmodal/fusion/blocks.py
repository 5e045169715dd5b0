"""Per-block normalisation, so that blocks of different size and scale weigh the same in a fusion."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from xmodal.fusion.names import BLOCK_NORMS



class BlockScaler(BaseEstimator, TransformerMixin):
    """Scale one feature block so that its rows have (about) unit norm.

    Parameters
    ----------
    method : {"l2", "hellinger", "standard"}
        ``"l2"``: each row divided by its L2 norm (all-zero rows stay zero). ``"hellinger"``: the
        signed square root of every value, then ``"l2"`` (for histograms and proportions: bag of
        visual words counts, topic proportions; it tempers bursty bins). ``"standard"``:
        columns centred (dense input only) and divided by their training standard deviation,
        then the block divided by ``sqrt(n_columns)``, so a row's expected squared norm is 1.

    Attributes
    ----------
    n_features_in_ : int
    mean_, scale_ : ndarray of shape (n_features,) or None
        Column statistics for ``"standard"`` (``mean_`` is zero for sparse input).

    Examples
    --------
    >>> import numpy as np
    >>> BlockScaler("l2").fit_transform(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """

    def __init__(self, method="l2"):
        self.method = method

    def fit(self, X, y=None):
        """Learn the column statistics (``"standard"``) and the block width."""
        if self.method not in BLOCK_NORMS:
            raise ValueError(f"unknown block normalisation {self.method!r}; choose from {list(BLOCK_NORMS)}")
        self.n_features_in_ = X.shape[1]
        self.mean_ = self.scale_ = None
        if self.method == "standard":
            sparse = hasattr(X, "tocsr")
            if sparse:
                mean = np.asarray(X.mean(axis=0)).ravel()
                var = np.asarray(X.multiply(X).mean(axis=0)).ravel() - mean ** 2
                self.mean_ = np.zeros_like(mean)
            else:
                X = np.asarray(X, dtype=np.float64)
                self.mean_, var = X.mean(axis=0), X.var(axis=0)
            std = np.sqrt(np.maximum(var, 0.0))
            self.scale_ = np.where(std > 1e-12, std, 1.0) * np.sqrt(self.n_features_in_)
        return self

    def transform(self, X):
        """Scaled rows (sparse stays sparse)."""
        check_is_fitted(self, "n_features_in_")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} columns, the block was fitted with {self.n_features_in_}")
        sparse = hasattr(X, "tocsr")
        if self.method == "standard":
            if sparse:
                import scipy.sparse as sp

                return sp.csr_matrix(X.multiply(1.0 / self.scale_))
            return (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_
        from sklearn.preprocessing import normalize

        X = X.astype(np.float64) if sparse else np.asarray(X, dtype=np.float64)
        if self.method == "hellinger":
            if sparse:
                X = X.copy()
                X.data = np.sign(X.data) * np.sqrt(np.abs(X.data))
            else:
                X = np.sign(X) * np.sqrt(np.abs(X))
        return normalize(X)


def concat_blocks(blocks):
    """Blocks side by side, divided by ``sqrt(n_blocks)`` (unit-norm blocks give unit-norm rows).

    Any sparse block makes the result sparse CSR.

    Examples
    --------
    >>> import numpy as np
    >>> concat_blocks([np.array([[1.0, 0.0]]), np.array([[0.0, 1.0, 0.0]])]).round(3)
    array([[0.707, 0.   , 0.   , 0.707, 0.   ]])
    """
    import scipy.sparse as sp

    scale = 1.0 / np.sqrt(len(blocks))
    if any(sp.issparse(b) for b in blocks):
        return sp.csr_matrix(sp.hstack([sp.csr_matrix(b) for b in blocks]) * scale)
    return np.hstack([np.asarray(b, dtype=np.float64) for b in blocks]) * scale
