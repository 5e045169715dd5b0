"""Exact (brute-force) top-k search: BLAS scores per block of queries, Numba top-k selection."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import numpy as np

from xmodal.search.kernels import normalize_rows
from xmodal.search.topk import _topk_rows_kernel

__all__ = ["ExactIndex"]

FORMAT_NAME = "xmodal.ExactIndex"
FORMAT_VERSION = 1
METRICS = ("cosine", "inner_product")
_VECTORS_FILE = "vectors.npy"
_IDS_FILE = "ids.npy"
_META_FILE = "index.json"
_INDEX_FILES = frozenset({_VECTORS_FILE, _IDS_FILE, _META_FILE})


def _as_float_matrix(x, name, allow_1d=False):
    """``x`` as a C-contiguous finite float32 2-D array (a view when no conversion is needed)."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {x.dtype}")
    if allow_1d and x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        expected = "a 1-D or 2-D" if allow_1d else "a 2-D"
        raise ValueError(f"{name} must be {expected} array, got shape {x.shape}")
    if x.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column, got shape {x.shape}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    finite = np.isfinite(x)
    if not finite.all():
        row = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise ValueError(
            f"{name} contains NaN or infinite values (first in row {row}; values beyond the float32 "
            "range become infinite)")
    return x


def _as_ids(ids, n, name="ids"):
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


def _check_unique(ids, name="ids"):
    """Raise ValueError listing a few values that occur more than once in ``ids``."""
    values, counts = np.unique(ids, return_counts=True)
    duplicated = values[counts > 1]
    if duplicated.size:
        shown = ", ".join(repr(v.item()) for v in duplicated[:5])
        more = f" and {duplicated.size - 5} more" if duplicated.size > 5 else ""
        raise ValueError(f"{name} must be unique; duplicated: {shown}{more}")


def _check_batch_size(batch_size):
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be an integer, got {type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return int(batch_size)


def _check_metric(metric):
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    return metric


def _read_only(a):
    view = a.view()
    view.flags.writeable = False
    return view


def _write_npy(path, array):
    with open(path, "wb") as f:
        np.save(f, array, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


class ExactIndex:
    """Exact top-k search by cosine similarity or inner product.

    Queries are scored in blocks of ``batch_size`` rows: one float32 BLAS product
    ``queries_block @ vectors.T`` per block, then a Numba top-k selection, so extra memory is
    bounded by ``batch_size * len(index)`` floats. Ties in score are broken by insertion order (the
    vector added first wins), so results are deterministic.

    Parameters
    ----------
    metric : {"cosine", "inner_product"}, default="cosine"
        ``"cosine"`` stores unit-normalised rows and normalises queries, so scores are cosine
        similarities in ``[-1, 1]``; a zero vector (stored or query) scores 0.0 against everything.
        ``"inner_product"`` stores the vectors as given.
    batch_size : int, default=1024
        Number of query rows scored at once.

    Attributes
    ----------
    metric : str
        The similarity in use.
    batch_size : int
        Query rows per block.
    dim : int or None
        Vector dimension, ``None`` before the first :meth:`add`.
    ids : ndarray of shape (n,)
        int64 or unicode ids in insertion order (read-only).
    vectors : ndarray of shape (n, dim)
        Stored float32 vectors, unit-normalised for cosine (read-only).

    Examples
    --------
    >>> import numpy as np
    >>> index = ExactIndex(metric="cosine")
    >>> index.add(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), ids=["x", "y", "xy"])
    >>> ids, scores = index.search(np.array([3.0, 4.0]), k=2)
    >>> ids
    array([['xy', 'y']], dtype='<U2')
    >>> scores.round(3)
    array([[0.99, 0.8 ]], dtype=float32)
    """

    def __init__(self, metric="cosine", batch_size=1024):
        self.metric = _check_metric(metric)
        self.batch_size = _check_batch_size(batch_size)
        self._vectors = None
        self._ids = np.empty(0, dtype=np.int64)

    def __len__(self):
        return 0 if self._vectors is None else self._vectors.shape[0]

    def __repr__(self):
        return (f"ExactIndex(metric={self.metric!r}, batch_size={self.batch_size}) "
                f"with {len(self)} vectors of dim {self.dim}")

    @property
    def dim(self):
        """Vector dimension, or ``None`` while the index is empty."""
        return None if self._vectors is None else self._vectors.shape[1]

    @property
    def ids(self):
        """Read-only 1-D array of ids (int64 or unicode), in insertion order."""
        return _read_only(self._ids)

    @property
    def vectors(self):
        """Read-only (n, dim) float32 array of stored vectors (unit rows for cosine)."""
        if self._vectors is None:
            return np.empty((0, 0), dtype=np.float32)
        return _read_only(self._vectors)

    def add(self, vectors, ids=None):
        """Append vectors (and their ids) to the index.

        Parameters
        ----------
        vectors : array-like of shape (n, d)
            Finite numeric values, stored as float32 (unit-normalised for cosine). ``d`` must equal
            :attr:`dim` once the index holds vectors. Zero rows are allowed and add nothing.
        ids : array-like of shape (n,), optional
            Unique integer or string ids. Default: running integers continuing from ``len(self)``
            (``0, 1, ...`` for a fresh index). Integer and string ids cannot be mixed in one index.

        Returns
        -------
        None

        Examples
        --------
        >>> import numpy as np
        >>> index = ExactIndex()
        >>> index.add(np.ones((2, 3)))
        >>> index.add(np.ones((1, 3)))
        >>> index.ids
        array([0, 1, 2])
        """
        original = vectors
        vectors = _as_float_matrix(vectors, "vectors")
        n, d = vectors.shape
        if self._vectors is not None and d != self.dim:
            raise ValueError(f"vectors have dimension {d} but the index holds vectors of dimension {self.dim}")
        if ids is None:
            if self._ids.dtype.kind == "U" and len(self):
                raise TypeError("ids are required: this index holds string ids, and default ids are integers")
            new_ids = np.arange(len(self), len(self) + n, dtype=np.int64)
        else:
            new_ids = _as_ids(ids, n)
            if len(self) and (new_ids.dtype.kind == "U") != (self._ids.dtype.kind == "U"):
                held = "string" if self._ids.dtype.kind == "U" else "integer"
                given = "string" if new_ids.dtype.kind == "U" else "integer"
                raise TypeError(f"ids are {given}s but this index holds {held} ids")
        if n == 0:
            return
        all_ids = new_ids if not len(self) else np.concatenate([self._ids, new_ids])
        _check_unique(all_ids)
        if self.metric == "cosine":
            vectors = normalize_rows(vectors)
        if self._vectors is None:
            if np.may_share_memory(vectors, np.asarray(original)):
                vectors = vectors.copy()
            self._vectors = vectors
        else:
            self._vectors = np.concatenate([self._vectors, vectors])
        self._ids = all_ids

    def _prepare_queries(self, queries):
        if self._vectors is None:
            raise ValueError("the index is empty: add vectors before searching")
        queries = _as_float_matrix(queries, "queries", allow_1d=True)
        if queries.shape[1] != self.dim:
            raise ValueError(
                f"queries have dimension {queries.shape[1]} but the index holds vectors of dimension {self.dim}")
        return queries

    def _score_blocks(self, queries, out=None):
        """Yield ``(start, stop, scores)`` for consecutive blocks of ``batch_size`` query rows.

        Scores are written into ``out[start:stop]`` when ``out`` is given, otherwise into one
        reused ``(batch_size, n)`` buffer (valid until the next block is yielded).
        """
        vectors_t = np.asarray(self._vectors).T
        n_queries = queries.shape[0]
        if out is None:
            buffer = np.empty((min(self.batch_size, n_queries), len(self)), dtype=np.float32)
        for start in range(0, n_queries, self.batch_size):
            stop = min(start + self.batch_size, n_queries)
            block = queries[start:stop]
            if self.metric == "cosine":
                block = normalize_rows(block)
            scores = out[start:stop] if out is not None else buffer[:stop - start]
            with np.errstate(over="ignore", invalid="ignore"):
                np.matmul(block, vectors_t, out=scores)
            if not np.isfinite(scores).all():
                raise ValueError(
                    "scores overflowed the float32 range; rescale the vectors or queries "
                    "(inner products must stay below about 3.4e38)")
            yield start, stop, scores

    def search(self, queries, k=10):
        """Ids and scores of the ``k`` most similar stored vectors for each query.

        Parameters
        ----------
        queries : array-like of shape (n_q, d) or (d,)
            Finite numeric query vectors; a 1-D query is one row.
        k : int, default=10
            Results per query, ``k >= 1``; clipped to ``len(self)``.

        Returns
        -------
        ids : ndarray of shape (n_q, min(k, len(self)))
            Ids of the best matches, best first (same dtype as :attr:`ids`).
        scores : ndarray of shape (n_q, min(k, len(self))), float32
            Their similarities, non-increasing along each row; equal scores are ordered by
            insertion order.

        Notes
        -----
        Scores come from float32 BLAS, whose summation order may depend on the block shape. Two
        stored vectors that tie in exact arithmetic can therefore differ in the last bit, and
        their order can change with ``batch_size`` (or with the BLAS build). Exactly
        representable data (e.g. small integers with the inner product) gives identical results
        for every ``batch_size``.

        Examples
        --------
        >>> import numpy as np
        >>> index = ExactIndex(metric="inner_product")
        >>> index.add(np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
        >>> index.search(np.array([[1.0, 1.0], [1.0, 0.0]]), k=2)
        (array([[1, 2],
               [0, 2]]), array([[2., 2.],
               [1., 1.]], dtype=float32))
        """
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"k must be an integer, got {type(k).__name__}")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        queries = self._prepare_queries(queries)
        k = min(int(k), len(self))
        indices = np.empty((queries.shape[0], k), dtype=np.int64)
        scores = np.empty((queries.shape[0], k), dtype=np.float32)
        for start, stop, block_scores in self._score_blocks(queries):
            indices[start:stop], scores[start:stop] = _topk_rows_kernel(block_scores, k)
        return np.asarray(self._ids)[indices], scores

    def similarity(self, queries):
        """Full score matrix between queries and every stored vector.

        Computed block by block exactly as in :meth:`search`, so ``search`` returns the top
        entries of this matrix.

        Parameters
        ----------
        queries : array-like of shape (n_q, d) or (d,)
            Finite numeric query vectors; a 1-D query is one row.

        Returns
        -------
        ndarray of shape (n_q, len(self)), float32
            ``scores[i, j]`` is the similarity of query ``i`` and the ``j``-th stored vector
            (in insertion order, i.e. the order of :attr:`ids`).

        Examples
        --------
        >>> import numpy as np
        >>> index = ExactIndex(metric="cosine")
        >>> index.add(np.array([[1.0, 0.0], [0.0, 0.0]]))
        >>> index.similarity(np.array([[3.0, 4.0]]))
        array([[0.6, 0. ]], dtype=float32)
        """
        queries = self._prepare_queries(queries)
        out = np.empty((queries.shape[0], len(self)), dtype=np.float32)
        for _ in self._score_blocks(queries, out=out):
            pass
        return out

    def save(self, directory):
        """Write the index to ``directory`` (``vectors.npy``, ``ids.npy``, ``index.json``).

        The files are written to a temporary sibling directory, which is then renamed to
        ``directory``. An existing ``directory`` is replaced only once the new one is complete, and
        only if it is empty or holds nothing but those three files (anything else raises
        ``FileExistsError`` rather than deleting unknown files). Missing parent directories are
        created.

        Parameters
        ----------
        directory : str or os.PathLike

        Returns
        -------
        None

        Examples
        --------
        >>> import numpy as np, os, tempfile
        >>> index = ExactIndex()
        >>> index.add(np.eye(3), ids=["a", "b", "c"])
        >>> path = os.path.join(tempfile.mkdtemp(), "my-index")
        >>> index.save(path)
        >>> sorted(os.listdir(path))
        ['ids.npy', 'index.json', 'vectors.npy']
        """
        if self._vectors is None:
            raise ValueError("cannot save an empty index: add vectors first")
        target = Path(os.path.abspath(os.fspath(directory)))
        if target.exists() or target.is_symlink():
            self._check_replaceable(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        try:
            _write_npy(tmp / _VECTORS_FILE, np.ascontiguousarray(self._vectors))
            _write_npy(tmp / _IDS_FILE, np.ascontiguousarray(self._ids))
            meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "metric": self.metric,
                    "batch_size": self.batch_size, "n_vectors": len(self), "dim": self.dim}
            with open(tmp / _META_FILE, "w", encoding="utf-8") as f:
                json.dump(meta, f, indent=2)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            if target.exists() or target.is_symlink():
                self._check_replaceable(target)
                old = target.parent / f".{target.name}.{uuid.uuid4().hex}.old"
                os.rename(target, old)
                try:
                    os.rename(tmp, target)
                except BaseException:
                    os.rename(old, target)
                    raise
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @staticmethod
    def _check_replaceable(target):
        if target.is_symlink() or not target.is_dir():
            raise FileExistsError(f"{target} exists and is not a directory; not replacing it")
        unexpected = sorted(set(os.listdir(target)) - _INDEX_FILES)
        if unexpected:
            raise FileExistsError(
                f"{target} exists and holds files an ExactIndex does not write ({', '.join(unexpected[:5])}); "
                "not replacing it")

    @classmethod
    def load(cls, directory, mmap=True):
        """Read an index written by :meth:`save`.

        Nothing is unpickled. Shapes, dtypes and ids are checked; the vectors are not re-scanned
        for NaN (they were checked when added).

        Parameters
        ----------
        directory : str or os.PathLike
        mmap : bool, default=True
            Memory-map ``vectors.npy`` and ``ids.npy`` read-only instead of reading them into memory.
            A later :meth:`add` copies them into memory.

        Returns
        -------
        ExactIndex

        Examples
        --------
        >>> import numpy as np, os, tempfile
        >>> index = ExactIndex()
        >>> index.add(np.eye(3))
        >>> path = os.path.join(tempfile.mkdtemp(), "idx")
        >>> index.save(path)
        >>> loaded = ExactIndex.load(path)
        >>> len(loaded), loaded.dim, loaded.metric
        (3, 3, 'cosine')
        """
        directory = Path(os.fspath(directory))
        meta_path = directory / _META_FILE
        if not meta_path.is_file():
            raise ValueError(f"{meta_path}: index file not found")
        try:
            with open(meta_path, encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValueError(f"{meta_path}: not a readable JSON index file ({err})") from None
        if not isinstance(meta, dict):
            raise ValueError(f"{meta_path}: expected a JSON object, got {type(meta).__name__}")
        if meta.get("format") != FORMAT_NAME:
            raise ValueError(f"{meta_path}: format is {meta.get('format')!r}, expected {FORMAT_NAME!r}")
        version = meta.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise ValueError(f"{meta_path}: version must be an integer, got {version!r}")
        if version > FORMAT_VERSION:
            raise ValueError(
                f"{meta_path}: format version {version} is newer than the supported version "
                f"{FORMAT_VERSION}; upgrade xmodal")
        if version < 1:
            raise ValueError(f"{meta_path}: invalid format version {version}")
        try:
            index = cls(metric=meta.get("metric"), batch_size=meta.get("batch_size"))
        except (TypeError, ValueError) as err:
            raise ValueError(f"{meta_path}: {err}") from None

        arrays = {}
        for name in (_VECTORS_FILE, _IDS_FILE):
            path = directory / name
            if not path.is_file():
                raise ValueError(f"{path}: index file not found")
            try:
                arrays[name] = np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
            except (OSError, ValueError, EOFError) as err:
                raise ValueError(f"{path}: not a readable .npy file ({err})") from None
        vectors, ids = arrays[_VECTORS_FILE], arrays[_IDS_FILE]
        vectors_path, ids_path = directory / _VECTORS_FILE, directory / _IDS_FILE
        if vectors.dtype != np.float32 or vectors.ndim != 2 or 0 in vectors.shape:
            raise ValueError(
                f"{vectors_path}: expected a non-empty 2-D float32 array, got {vectors.dtype} of shape {vectors.shape}")
        if not vectors.flags.c_contiguous:
            raise ValueError(f"{vectors_path}: expected a C-ordered array")
        if ids.ndim != 1 or ids.dtype.kind not in "iU" or (ids.dtype.kind == "i" and ids.dtype != np.int64):
            raise ValueError(
                f"{ids_path}: expected a 1-D int64 or unicode array, got {ids.dtype} of shape {ids.shape}")
        if ids.shape[0] != vectors.shape[0]:
            raise ValueError(f"{ids_path}: holds {ids.shape[0]} ids but {vectors_path} has {vectors.shape[0]} rows")
        for key, actual in (("n_vectors", vectors.shape[0]), ("dim", vectors.shape[1])):
            if key in meta and meta[key] != actual:
                raise ValueError(f"{meta_path}: {key} is {meta[key]!r} but {vectors_path} says {actual}")
        try:
            _check_unique(ids)
        except ValueError as err:
            raise ValueError(f"{ids_path}: {err}") from None
        index._vectors = vectors
        index._ids = ids
        return index
