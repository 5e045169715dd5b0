"""Argument checks shared by the search indexes; every message names the argument or row at fault."""

from __future__ import annotations

import numpy as np


def as_vectors(x, metric, name, allow_1d=False):
    """``x`` as a C-contiguous 2-D array in the metric's storage dtype, checked.

    Float metrics: finite values (float32); histogram metrics: also non-negative. Hamming: packed
    bits as ``uint8`` (``numpy.packbits`` output); other dtypes are refused rather than guessed.
    """
    x = np.asarray(x)
    if allow_1d and x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        expected = "a 1-D or 2-D" if allow_1d else "a 2-D"
        raise ValueError(f"{name} must be {expected} array, got shape {x.shape}")
    if x.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column, got shape {x.shape}")
    if metric.binary:
        if x.dtype != np.uint8:
            raise TypeError(f"{name} must be packed bits of dtype uint8 for metric {metric.name!r} "
                            f"(see numpy.packbits), got dtype {x.dtype}")
        return np.ascontiguousarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {x.dtype}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    finite = np.isfinite(x)
    if not finite.all():
        row = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise ValueError(f"{name} contains NaN or infinite values (first in row {row}; values beyond the "
                         "float32 range become infinite)")
    if metric.histogram and x.size and x.min() < 0:
        row = int(np.flatnonzero((x < 0).any(axis=1))[0])
        raise ValueError(f"{name} has negative entries (first in row {row}); metric {metric.name!r} compares "
                         "non-negative histograms")
    return x


def as_ids(ids, n, name="ids"):
    """``ids`` as a 1-D int64 or unicode array of length ``n``."""
    ids = np.asarray(ids)
    if ids.size == 0 and ids.dtype.kind == "f":  # an empty list
        ids = ids.astype(np.int64)
    if ids.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {ids.shape}")
    if ids.shape[0] != n:
        raise ValueError(f"{name} has {ids.shape[0]} entries but vectors has {n} rows")
    if ids.dtype.kind == "O" and all(isinstance(v, str) for v in ids):
        ids = ids.astype(str)
    if ids.dtype.kind in "iu":
        if ids.dtype.kind == "u" and ids.size and ids.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{name} holds values beyond the int64 range")
        return ids.astype(np.int64)
    if ids.dtype.kind == "U":
        return ids
    raise TypeError(f"{name} must hold integers or strings, got dtype {ids.dtype}")


def check_unique(ids, name="ids"):
    """Raise ValueError listing a few values that occur more than once in ``ids``."""
    values, counts = np.unique(ids, return_counts=True)
    duplicated = values[counts > 1]
    if duplicated.size:
        shown = ", ".join(repr(v.item()) for v in duplicated[:5])
        more = f" and {duplicated.size - 5} more" if duplicated.size > 5 else ""
        raise ValueError(f"{name} must be unique; duplicated: {shown}{more}")


def check_int(value, name, minimum=1):
    """``value`` as an int >= ``minimum`` (bools and floats refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_number(value, name, low=None, high=None):
    """``value`` as a finite float within ``[low, high]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be a finite number in [{low}, {high}], got {value}")
    return value


def id_kinds_match(new_ids, held_ids, n_held):
    """Raise TypeError when string ids would be mixed with integer ids."""
    if n_held and (new_ids.dtype.kind == "U") != (held_ids.dtype.kind == "U"):
        held = "string" if held_ids.dtype.kind == "U" else "integer"
        given = "string" if new_ids.dtype.kind == "U" else "integer"
        raise TypeError(f"ids are {given}s but this index holds {held} ids")


def read_only(a):
    """A read-only view of ``a``."""
    view = a.view()
    view.flags.writeable = False
    return view
