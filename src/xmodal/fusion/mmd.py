"""Maximum mean discrepancy (MMD) between two samples, with a permutation test.

With a Gaussian kernel ``k(x, y) = exp(-|x - y|^2 / h)``, the squared MMD between the
distributions of ``X`` and ``Y`` is ``E k(x, x') + E k(y, y') - 2 E k(x, y)``: zero when the two
distributions are the same, larger the more they differ (Gretton et al., "A kernel two-sample
test", JMLR 2012). The unbiased estimate leaves out the ``k(x, x)`` terms, so it can be slightly
negative for two samples of one distribution. ``h`` is the median squared distance between all
pooled points (the median heuristic), so the figure does not depend on the features' scale.
The p-value counts how often a random relabelling of the pooled points gives an MMD at least as
large: a small p-value says the two samples differ beyond chance.
"""

from __future__ import annotations

import numpy as np


def _dense_or_sparse(X, name):
    if hasattr(X, "tocsr"):
        return X.tocsr().astype(np.float64)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_items, n_features), got shape {X.shape}")
    return X


def squared_distances(X):
    """All pairwise squared Euclidean distances between the rows of ``X`` (dense or sparse)."""
    gram = X @ X.T
    gram = gram.toarray() if hasattr(gram, "toarray") else np.asarray(gram)
    norms = np.diag(gram)
    return np.maximum(norms[:, None] + norms[None, :] - 2.0 * gram, 0.0)


def _mmd2_from_kernel(K, in_x):
    """Unbiased MMD^2 of the rows marked ``in_x`` against the others, from the pooled kernel."""
    a, b = in_x.astype(np.float64), (~in_x).astype(np.float64)
    n, m = a.sum(), b.sum()
    diag = np.diag(K)
    kxx = (a @ K @ a - a @ diag) / (n * (n - 1))
    kyy = (b @ K @ b - b @ diag) / (m * (m - 1))
    kxy = (a @ K @ b) / (n * m)
    return kxx + kyy - 2.0 * kxy


def mmd_test(X, Y, n_permutations=200, max_items=500, seed=0) -> dict:
    """Squared MMD between the rows of ``X`` and of ``Y`` (Gaussian kernel), with a p-value.

    Parameters
    ----------
    X, Y : ndarray or sparse matrix, shape (n, d) and (m, d)
        Two samples in the same feature space, at least 2 rows each.
    n_permutations : int
        Random relabellings for the p-value (0: no test, ``p_value`` is None).
    max_items : int
        Each sample is subsampled to at most this many rows (seeded), bounding the cost.
    seed : int

    Returns
    -------
    dict
        ``mmd2`` (unbiased estimate), ``p_value``, ``bandwidth`` (the ``h`` used), ``n_x``, ``n_y``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> same = mmd_test(rng.normal(size=(100, 3)), rng.normal(size=(100, 3)))
    >>> shifted = mmd_test(rng.normal(size=(100, 3)), rng.normal(size=(100, 3)) + 1.0)
    >>> bool(same["p_value"] > 0.05), bool(shifted["p_value"] < 0.01), shifted["mmd2"] > same["mmd2"]
    (True, True, True)
    """
    X, Y = _dense_or_sparse(X, "X"), _dense_or_sparse(Y, "Y")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must share a feature space; got {X.shape[1]} and {Y.shape[1]} columns")
    if X.shape[0] < 2 or Y.shape[0] < 2:
        raise ValueError(f"MMD needs at least 2 rows in each sample; got {X.shape[0]} and {Y.shape[0]}")
    if max_items < 2:
        raise ValueError(f"max_items must be at least 2, got {max_items!r}")
    rng = np.random.default_rng(seed)
    X = X[np.sort(rng.choice(X.shape[0], max_items, replace=False))] if X.shape[0] > max_items else X
    Y = Y[np.sort(rng.choice(Y.shape[0], max_items, replace=False))] if Y.shape[0] > max_items else Y
    import scipy.sparse as sp

    pooled = sp.vstack([X, Y]).tocsr() if sp.issparse(X) or sp.issparse(Y) else np.vstack([X, Y])
    D = squared_distances(pooled)
    off_diagonal = D[~np.eye(len(D), dtype=bool)]
    h = float(np.median(off_diagonal))
    if not h > 0:
        h = float(off_diagonal.mean()) if off_diagonal.mean() > 0 else 1.0
    K = np.exp(-D / h)
    in_x = np.zeros(len(D), dtype=bool)
    in_x[:X.shape[0]] = True
    observed = float(_mmd2_from_kernel(K, in_x))
    p_value = None
    if n_permutations:
        exceed = sum(int(_mmd2_from_kernel(K, rng.permutation(in_x)) >= observed) for _ in range(n_permutations))
        p_value = (1 + exceed) / (1 + n_permutations)
    return {"mmd2": observed, "p_value": p_value, "bandwidth": h, "n_x": int(X.shape[0]), "n_y": int(Y.shape[0])}
