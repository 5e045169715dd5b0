"""Word-vector files: GloVe text, word2vec text and binary, and xmodal's memory-mapped cache.

The in-memory form is gensim's :class:`~gensim.models.KeyedVectors`. Files are parsed here rather
than by gensim so that a malformed file is reported with its path and line (or record), GloVe
files whose words contain spaces (as in glove.840B) are read correctly, and nothing is unpickled.

The cache is a folder holding ``vectors.npy`` (float32, memory-mapped on load), ``words.txt``
(one word per line, UTF-8) and ``meta.json``; it is written whole or not at all
(:func:`~xmodal.text.cache.atomic_folder`).
"""

from __future__ import annotations

import hashlib
import json
import mmap
import re
import shutil
from pathlib import Path

import numpy as np

from xmodal.text.cache import atomic_folder, cache_folder

FORMATS = ("auto", "glove", "word2vec", "word2vec-binary")
CACHE_VERSION = 1
_HEADER = re.compile(rb"^\s*(\d+)\s+(\d+)\s*$")


def keyed_vectors(words, matrix):
    """A gensim ``KeyedVectors`` over ``words`` (row i of ``matrix`` is the vector of ``words[i]``).

    The matrix is used as given (a memory map stays one); it must be 2-D float32 with one row
    per word, and the words must be distinct.

    Examples
    --------
    >>> import numpy as np
    >>> kv = keyed_vectors(["cat", "dog"], np.eye(2, dtype=np.float32))
    >>> kv["dog"].tolist(), kv.vector_size
    ([0.0, 1.0], 2)
    """
    from gensim.models import KeyedVectors

    words = list(words)
    if matrix.ndim != 2 or matrix.dtype != np.float32:
        raise ValueError(f"word vectors must be a 2-D float32 matrix, got {matrix.ndim}-D {matrix.dtype}")
    if matrix.shape[0] != len(words):
        raise ValueError(f"{len(words)} words but {matrix.shape[0]} vectors")
    key_to_index = dict(zip(words, range(len(words))))
    if len(key_to_index) != len(words):
        raise ValueError(f"{len(words) - len(key_to_index)} duplicate word(s) among {len(words)}")
    kv = KeyedVectors(vector_size=matrix.shape[1], dtype=np.float32)
    kv.index_to_key = words
    kv.key_to_index = key_to_index
    kv.vectors = matrix
    return kv


# --------------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------------


def read_vectors(path, format="auto"):
    """Read word vectors from a GloVe or word2vec file.

    Parameters
    ----------
    path : str or Path
    format : {"auto", "glove", "word2vec", "word2vec-binary"}
        ``"glove"``: text, one ``word v1 ... vd`` line per word, no header (a word may contain
        spaces: the last ``d`` fields are the vector). ``"word2vec"``: the same after a
        ``count dim`` header line. ``"word2vec-binary"``: the header, then per word its UTF-8
        bytes, a space and ``dim`` little-endian float32. ``"auto"`` tells them apart by the
        header line and by whether what follows it is text.

    Returns
    -------
    gensim.models.KeyedVectors
        A word seen twice keeps its first vector.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        A malformed file, naming the path and the line or record at fault.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.txt")
    >>> _ = open(path, "w").write("cat 1 0\\ndog 0 1\\n")
    >>> read_vectors(path)["dog"].tolist()
    [0.0, 1.0]
    """
    path = Path(path)
    if format not in FORMATS:
        raise ValueError(f"format must be one of {list(FORMATS)}, got {format!r}")
    if not path.is_file():
        raise FileNotFoundError(f"word-vector file {path} does not exist" if not path.exists()
                                else f"word-vector path {path} is not a file")
    if path.stat().st_size == 0:
        raise ValueError(f"word-vector file {path} is empty")
    if format == "auto":
        format = detect_format(path)
    if format == "word2vec-binary":
        words, matrix = _read_binary(path)
    else:
        words, matrix = _read_text(path, header=format == "word2vec")
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise ValueError(f"{path}: the vector of {words[row]!r} (vector {row + 1}) holds NaN or infinite values")
    return keyed_vectors(*_first_occurrences(words, matrix))


def detect_format(path) -> str:
    """``"glove"``, ``"word2vec"`` or ``"word2vec-binary"``, from the first bytes of the file."""
    with open(path, "rb") as handle:
        first = handle.readline(4096)
        if not _HEADER.match(first):
            return "glove"
        sample = handle.read(4096)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(sample) - 3:  # a character cut by the sample's end is not evidence
            return "word2vec-binary"
    if any(b < 9 or 13 < b < 32 for b in sample):
        return "word2vec-binary"
    return "word2vec"


def _first_occurrences(words, matrix):
    seen, keep = set(), []
    for i, w in enumerate(words):
        if w not in seen:
            seen.add(w)
            keep.append(i)
    if len(keep) == len(words):
        return words, matrix
    return [words[i] for i in keep], matrix[keep]


def _read_text(path, header):
    words, values = [], []
    n_declared, dim = None, None
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, 1):
            if line_no == 1 and header:
                match = _HEADER.match(raw)
                if not match:
                    raise ValueError(f"{path}, line 1: expected a 'count dim' header, got {raw[:60]!r}")
                n_declared, dim = int(match.group(1)), int(match.group(2))
                continue
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as err:
                raise ValueError(f"{path}, line {line_no}: not UTF-8 text ({err.reason}); "
                                 "a binary word2vec file needs format='word2vec-binary'") from None
            if not line.strip():
                continue
            parts = line.rstrip(" ").split(" ")
            if dim is None:
                dim = len(parts) - 1
                if dim < 1:
                    raise ValueError(f"{path}, line {line_no}: a word with no vector values")
            if len(parts) < dim + 1:
                raise ValueError(f"{path}, line {line_no}: {len(parts) - 1} values, expected {dim}")
            words.append(" ".join(parts[:-dim]))
            values.extend(parts[-dim:])
    if not words:
        raise ValueError(f"{path}: no word vectors found")
    if n_declared is not None and n_declared != len(words):
        raise ValueError(f"{path}: the header declares {n_declared} vectors but the file holds {len(words)}")
    try:
        matrix = np.array(values, dtype=np.float32)
    except ValueError:
        first_data_line = 2 if header else 1
        for i in range(len(words)):
            try:
                np.array(values[i * dim:(i + 1) * dim], dtype=np.float32)
            except ValueError as err:
                raise ValueError(f"{path}: vector {i + 1} (word {words[i]!r}, line {first_data_line + i} "
                                 f"ignoring blank lines) is not numeric: {err}") from None
        raise
    return words, matrix.reshape(len(words), dim)


def _read_binary(path):
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = data.find(b"\n")
        match = _HEADER.match(data[:end + 1]) if end >= 0 else None
        if not match:
            raise ValueError(f"{path}: a binary word2vec file starts with a 'count dim' header line")
        n, dim = int(match.group(1)), int(match.group(2))
        matrix = np.empty((n, dim), dtype=np.float32)
        words, pos, size = [], end + 1, len(data)
        for i in range(n):
            while pos < size and data[pos:pos + 1] == b"\n":
                pos += 1
            space = data.find(b" ", pos)
            if space < 0 or space + 1 + 4 * dim > size:
                raise ValueError(f"{path}: the header declares {n} vectors but the file ends in vector {i + 1}")
            try:
                words.append(data[pos:space].decode("utf-8"))
            except UnicodeDecodeError as err:
                raise ValueError(f"{path}: the word of vector {i + 1} (byte {pos}) is not UTF-8 "
                                 f"({err.reason})") from None
            matrix[i] = np.frombuffer(data, dtype="<f4", count=dim, offset=space + 1)
            pos = space + 1 + 4 * dim
        if data[pos:].strip():
            raise ValueError(f"{path}: {size - pos} bytes after the {n} vectors the header declares")
    return words, matrix


# --------------------------------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------------------------------


def save_vectors_folder(folder, kv, source="") -> None:
    """Write ``kv`` to an existing empty ``folder`` in the cache layout (not atomic by itself)."""
    folder = Path(folder)
    words = list(kv.index_to_key)
    bad = next((w for w in words if not isinstance(w, str) or not w or "\n" in w), None)
    if bad is not None:
        raise ValueError(f"word {bad!r} cannot be stored one per line")
    np.save(folder / "vectors.npy", np.ascontiguousarray(kv.vectors, dtype=np.float32))
    (folder / "words.txt").write_text("\n".join(words), encoding="utf-8")
    meta = {"version": CACHE_VERSION, "rows": len(words), "dim": int(kv.vector_size), "source": str(source)}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def load_vectors_folder(folder):
    """Read a cache folder, the matrix memory-mapped read-only; ValueError if inconsistent."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        matrix = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        text = (folder / "words.txt").read_text(encoding="utf-8")
    except (OSError, ValueError) as err:
        raise ValueError(f"unreadable word-vector cache {folder}: {err}") from None
    words = text.split("\n") if text else []
    if meta.get("version") != CACHE_VERSION or matrix.shape != (meta.get("rows"), meta.get("dim")) \
            or len(words) != matrix.shape[0]:
        raise ValueError(f"inconsistent word-vector cache {folder}")
    return keyed_vectors(words, matrix)


def cached_vectors(key: str, build, source=""):
    """Load the cache entry ``key``, or ``build()`` the vectors, store them atomically, and load that.

    A damaged entry is removed and rebuilt. An error in ``build`` leaves no entry behind.
    """
    folder = cache_folder() / key
    if folder.is_dir():
        try:
            return load_vectors_folder(folder)
        except ValueError:
            shutil.rmtree(folder, ignore_errors=True)
    kv = build()
    with atomic_folder(folder) as tmp:
        save_vectors_folder(tmp, kv, source=source)
    return load_vectors_folder(folder)


def file_cache_key(path, format) -> str:
    """A cache key that changes when the file at ``path`` does (path, size, modification time)."""
    path = Path(path).resolve()
    stat = path.stat()
    digest = hashlib.sha1(f"{path}|{stat.st_size}|{stat.st_mtime_ns}|{format}".encode()).hexdigest()[:16]
    return f"vectors-{path.stem[:40]}-{digest}"


def load_vectors(path, format="auto", cache=False):
    """Read a word-vector file (see :func:`read_vectors`), optionally through the cache.

    With ``cache=True`` the first call converts the file into the cache folder
    (``$XMODAL_CACHE`` or ``~/.cache/xmodal``) and later calls memory-map it; a changed file
    (size or modification time) is converted again.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.txt")
    >>> _ = open(path, "w").write("2 2\\ncat 1 0\\ndog 0 1\\n")
    >>> load_vectors(path).index_to_key
    ['cat', 'dog']
    """
    if not cache:
        return read_vectors(path, format)
    if not Path(path).is_file():
        return read_vectors(path, format)  # raises the file error
    return cached_vectors(file_cache_key(path, format), lambda: read_vectors(path, format), source=str(path))
