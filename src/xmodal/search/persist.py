"""Safe index directories: written atomically, read without unpickling, checked before use.

An index directory holds ``index.json`` (format name, version, parameters, and the size and
SHA-256 of every other file) beside its data files (``.npy`` arrays, an Annoy file). It is
written to a temporary sibling directory that is renamed into place only when complete; an
existing index directory is swapped out only after that. Reading checks the format name, refuses
newer versions, and compares each file's size (a truncated copy) and, unless asked not to, its
checksum (a corrupted one) before anything is loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import numpy as np

META_FILE = "index.json"
_CHUNK = 1 << 22


def file_digest(path):
    """SHA-256 hex digest of a file, read in 4 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_npy(path, array):
    """``numpy.save`` without pickling, flushed to disk."""
    with open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def _check_replaceable(target, owned, kind):
    if target.is_symlink() or not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a directory; not replacing it")
    unexpected = sorted(set(os.listdir(target)) - set(owned) - {META_FILE})
    if unexpected:
        raise FileExistsError(f"{target} exists and holds files an {kind} does not write "
                              f"({', '.join(unexpected[:5])}); not replacing it")


def write_index_directory(directory, writers, meta, owned, kind, checksums=True):
    """Write an index directory atomically.

    Parameters
    ----------
    directory : str or os.PathLike
        Target; created (with its parents) or replaced when it is empty or holds only files in
        ``owned`` and ``index.json``.
    writers : dict of str -> callable
        File name -> function writing that file at the path it is given.
    meta : dict
        JSON-serialisable metadata; a ``"files"`` entry with each file's size (and SHA-256 when
        ``checksums``) is added.
    owned : iterable of str
        Every file name this kind of index may write (anything else blocks a replacement).
    kind : str
        Class name, for messages.
    """
    target = Path(os.path.abspath(os.fspath(directory)))
    if target.exists() or target.is_symlink():
        _check_replaceable(target, owned, kind)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        files = {}
        for name, write in writers.items():
            write(tmp / name)
            entry = {"bytes": (tmp / name).stat().st_size}
            if checksums:
                entry["sha256"] = file_digest(tmp / name)
            files[name] = entry
        with open(tmp / META_FILE, "w", encoding="utf-8") as f:
            json.dump({**meta, "files": files}, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        if target.exists() or target.is_symlink():
            _check_replaceable(target, owned, kind)
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


def read_meta(directory, format_name, version):
    """The checked ``index.json`` of an index directory (ValueError naming the file otherwise)."""
    meta_path = Path(os.fspath(directory)) / META_FILE
    if not meta_path.is_file():
        raise ValueError(f"{meta_path}: index file not found")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{meta_path}: not a readable JSON index file ({err})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{meta_path}: expected a JSON object, got {type(meta).__name__}")
    if meta.get("format") != format_name:
        raise ValueError(f"{meta_path}: format is {meta.get('format')!r}, expected {format_name!r}")
    found = meta.get("version")
    if isinstance(found, bool) or not isinstance(found, int):
        raise ValueError(f"{meta_path}: version must be an integer, got {found!r}")
    if found > version:
        raise ValueError(f"{meta_path}: format version {found} is newer than the supported version "
                         f"{version}; upgrade xmodal")
    if found < 1:
        raise ValueError(f"{meta_path}: invalid format version {found}")
    return meta


def check_files(directory, meta, names, verify=True):
    """Check that each of ``names`` exists with the size (and checksum) recorded in ``meta``."""
    directory = Path(os.fspath(directory))
    files = meta.get("files", {})
    if not isinstance(files, dict):
        raise ValueError(f"{directory / META_FILE}: 'files' must be an object")
    for name in names:
        path = directory / name
        if not path.is_file():
            raise ValueError(f"{path}: index file not found")
        entry = files.get(name)
        if not isinstance(entry, dict):
            continue  # written without a record (ExactIndex format 1): checked when read
        size = path.stat().st_size
        if entry.get("bytes") != size:
            raise ValueError(f"{path}: {size} bytes but {entry.get('bytes')} were written; the file is "
                             "truncated or was replaced")
        if verify and "sha256" in entry and file_digest(path) != entry["sha256"]:
            raise ValueError(f"{path}: checksum does not match the one written; the file is corrupted")


def load_npy(path, mmap):
    """``numpy.load`` without pickling; ValueError naming the file if it cannot be read."""
    try:
        return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
    except (OSError, ValueError, EOFError) as err:
        raise ValueError(f"{path}: not a readable .npy file ({err})") from None
