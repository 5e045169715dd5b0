"""Kernel matrices for the kernel projections: Numba kernels, computed block by block.

Five kernels, each ``k(x, y)`` for feature rows ``x`` and ``y``:

==================  =============================================================  ==================
name                formula                                                        input
==================  =============================================================  ==================
``"linear"``        ``x . y``                                                      any
``"polynomial"``    ``(gamma * x . y + coef0) ** degree``                          any
``"rbf"``           ``exp(-gamma * ||x - y||^2)``                                  any
``"chi2"``          ``exp(-gamma * sum_i (x_i - y_i)^2 / (x_i + y_i))`` (0/0 = 0)  non-negative
``"intersection"``  ``sum_i min(x_i, y_i)`` (histogram intersection)               non-negative
==================  =============================================================  ==================

The inner-product kernels take one BLAS product per block and a Numba pass over it; the
histogram kernels (chi2, intersection) are Numba loops over dense rows calling the pairwise
kernels of :mod:`xmodal.search.kernels` (one definition of each formula serves both stages).
Sparse input is densified one block of rows at a time, so memory stays bounded by the block
size times the feature count plus the output.
"""

from __future__ import annotations

import numbers

import numba
import numpy as np
import scipy.sparse as sp

from xmodal.search.kernels import chi_squared, histogram_intersection

__all__ = ["KERNELS", "kernel_matrix", "default_gamma", "check_kernel_input"]

KERNELS = ("linear", "polynomial", "rbf", "chi2", "intersection")
_NEEDS_NON_NEGATIVE = ("chi2", "intersection")
_BLOCK_ENTRIES = 4_000_000  # dense entries per block of densified rows / kernel values


@numba.njit(fastmath=True, cache=True)
def _rbf_from_products(products, sq_x, sq_y, gamma):
    """In place: ``products[i, j] <- exp(-gamma * (sq_x[i] + sq_y[j] - 2 products[i, j]))``."""
    for i in range(products.shape[0]):
        for j in range(products.shape[1]):
            distance = sq_x[i] + sq_y[j] - 2.0 * products[i, j]
            if distance < 0.0:
                distance = 0.0
            products[i, j] = np.exp(-gamma * distance)
    return products


@numba.njit(fastmath=True, cache=True)
def _polynomial_from_products(products, gamma, coef0, degree):
    """In place: ``products[i, j] <- (gamma * products[i, j] + coef0) ** degree``."""
    for i in range(products.shape[0]):
        for j in range(products.shape[1]):
            products[i, j] = (gamma * products[i, j] + coef0) ** degree
    return products


@numba.njit(fastmath=True, cache=True)
def _chi2_distances(X, Y, out):
    """``out[i, j]`` = :func:`~xmodal.search.kernels.chi_squared` ``(X[i], Y[j])`` (0/0 terms skipped)."""
    for i in range(X.shape[0]):
        for j in range(Y.shape[0]):
            out[i, j] = chi_squared(X[i], Y[j])
    return out


@numba.njit(fastmath=True, cache=True)
def _intersection(X, Y, out):
    """``out[i, j]`` = :func:`~xmodal.search.kernels.histogram_intersection` ``(X[i], Y[j])``."""
    for i in range(X.shape[0]):
        for j in range(Y.shape[0]):
            out[i, j] = histogram_intersection(X[i], Y[j])
    return out


def _dense_rows(X, start, stop):
    rows = X[start:stop]
    return np.ascontiguousarray(rows.toarray() if sp.issparse(rows) else rows, dtype=np.float64)


def _squared_norms(X):
    if sp.issparse(X):
        return np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel()
    return np.einsum("ij,ij->i", X, X)


def check_kernel_input(X, kernel, name="X"):
    """Raise a ValueError naming ``name`` if ``kernel`` needs non-negative features and ``X`` has a negative one.

    Examples
    --------
    >>> import numpy as np
    >>> check_kernel_input(np.array([[0.0, 1.0]]), "chi2")
    >>> check_kernel_input(np.array([[-1.0, 1.0]]), "chi2", "X_image")
    Traceback (most recent call last):
    ...
    ValueError: kernel 'chi2' needs non-negative features (histograms), but X_image has a value of -1.0.
    """
    if kernel in _NEEDS_NON_NEGATIVE:
        values = X.data if sp.issparse(X) else X
        low = float(values.min()) if values.size else 0.0
        if low < 0.0:
            raise ValueError(f"kernel {kernel!r} needs non-negative features (histograms), but {name} has a "
                             f"value of {low}.")


def _check_kernel_parameters(kernel, gamma, degree, coef0):
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}.")
    if kernel in ("polynomial", "rbf", "chi2"):
        if not isinstance(gamma, numbers.Real) or isinstance(gamma, bool) or not np.isfinite(gamma) or gamma <= 0:
            raise ValueError(f"gamma must be a finite number > 0 for kernel {kernel!r}, got {gamma!r}.")
    if kernel == "polynomial":
        if not isinstance(degree, numbers.Integral) or isinstance(degree, bool) or degree < 1:
            raise ValueError(f"degree must be an int >= 1, got {degree!r}.")
        if not isinstance(coef0, numbers.Real) or not np.isfinite(coef0):
            raise ValueError(f"coef0 must be a finite number, got {coef0!r}.")


def kernel_matrix(X, Y, kernel="linear", *, gamma=1.0, degree=2, coef0=1.0):
    """Kernel values between every row of ``X`` and every row of ``Y``.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_x, d)
    Y : ndarray or scipy.sparse matrix of shape (n_y, d)
    kernel : {"linear", "polynomial", "rbf", "chi2", "intersection"}, default="linear"
        See the module docstring for the formulas.
    gamma : float, default=1.0
        Width (rbf, chi2) or scale (polynomial); ignored by linear and intersection.
    degree : int, default=2
        Polynomial degree.
    coef0 : float, default=1.0
        Polynomial offset.

    Returns
    -------
    K : ndarray of shape (n_x, n_y), float64

    Raises
    ------
    ValueError
        Unknown kernel, bad parameter, different feature counts, or negative features for a
        histogram kernel.

    Examples
    --------
    >>> import numpy as np
    >>> from xmodal.projection.kernels import kernel_matrix
    >>> X = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> kernel_matrix(X, X, "intersection")
    array([[1. , 0.5],
           [0.5, 1. ]])
    >>> np.round(kernel_matrix(X, X, "rbf", gamma=2.0), 4)
    array([[1.    , 0.3679],
           [0.3679, 1.    ]])
    """
    _check_kernel_parameters(kernel, gamma, degree, coef0)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must have the same number of features, got {X.shape[1]} and {Y.shape[1]}.")
    check_kernel_input(X, kernel, "X")
    check_kernel_input(Y, kernel, "Y")
    n_x, n_y = X.shape[0], Y.shape[0]
    out = np.empty((n_x, n_y), dtype=np.float64)
    if kernel in ("chi2", "intersection"):
        Y_dense = _dense_rows(Y, 0, n_y)
        step = max(1, _BLOCK_ENTRIES // max(1, X.shape[1] + n_y))
        for start in range(0, n_x, step):
            block = _dense_rows(X, start, start + step)
            if kernel == "chi2":
                target = out[start:start + step]
                _chi2_distances(block, Y_dense, target)
                np.exp(np.multiply(target, -float(gamma), out=target), out=target)
            else:
                _intersection(block, Y_dense, out[start:start + step])
        return out
    sq_y = _squared_norms(Y) if kernel == "rbf" else None
    YT = Y.T.tocsr() if sp.issparse(Y) else Y.T
    step = max(1, _BLOCK_ENTRIES // max(1, n_y))
    for start in range(0, n_x, step):
        rows = X[start:start + step]
        products = rows @ YT
        products = np.ascontiguousarray(products.toarray() if sp.issparse(products) else products,
                                        dtype=np.float64)
        if kernel == "rbf":
            _rbf_from_products(products, _squared_norms(rows), sq_y, float(gamma))
        elif kernel == "polynomial":
            _polynomial_from_products(products, float(gamma), float(coef0), float(degree))
        out[start:start + products.shape[0]] = products
    return out


def default_gamma(X, kernel):
    """Width of ``kernel`` that sets the typical kernel argument to 1 on the rows ``X``.

    rbf: ``1 / mean squared distance`` between the rows; chi2: ``1 / mean chi2 distance``;
    polynomial: ``1 / mean squared norm`` (so ``gamma * x . y`` is of order one). Linear and
    intersection have no width (returns 1.0). Use a sample of a few hundred rows.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n, d)
    kernel : str

    Returns
    -------
    gamma : float

    Examples
    --------
    >>> import numpy as np
    >>> default_gamma(np.array([[0.0], [2.0]]), "rbf")  # squared distances 0, 4, 4, 0
    0.5
    """
    if kernel == "polynomial":
        mean_norm = float(_squared_norms(X).mean())
        return 1.0 / mean_norm if mean_norm > 0 else 1.0
    if kernel == "rbf":
        sq = _squared_norms(X)
        gram = X @ X.T
        gram = gram.toarray() if sp.issparse(gram) else gram
        mean_distance = float(np.maximum(sq[:, None] + sq[None, :] - 2.0 * gram, 0.0).mean())
    elif kernel == "chi2":
        check_kernel_input(X, kernel)
        dense = _dense_rows(X, 0, X.shape[0])
        mean_distance = float(_chi2_distances(dense, dense, np.empty((len(dense), len(dense)))).mean())
    else:
        return 1.0
    return 1.0 / mean_distance if mean_distance > 0 else 1.0
