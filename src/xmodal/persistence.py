"""Saving fitted objects to a directory of ``.npy`` arrays plus one JSON file, and loading them without pickle.

An object is written as its class name and its attribute dictionary, walked recursively:
numbers, strings, lists, tuples, sets and dicts go into ``model.json``; every numpy array goes
into its own ``arrays/<attribute path>.npy`` (memory-mapped on load); sparse matrices as their
CSR arrays; nested objects (encoders, projections, scikit-learn vectorisers, indexes) the same
way. Loading rebuilds objects only from an allow-list of module prefixes (``xmodal.``,
``sklearn.``) with ``cls.__new__`` and the saved attributes: no pickle, no code from the file
runs. A directory is written under a temporary name and renamed into place, so a crash leaves
either the old model or the new one, never half of one.

An xmodal class that keeps part of its state in a format of its own (a gallery's search index,
with its Annoy file) defines ``_save_files(self, folder) -> state``, writing into ``folder``
(``files/<attribute path>/`` inside the model directory, so within the same atomic rename) and
returning the rest of its state (encoded as above), and a classmethod
``_load_files(cls, folder, state, mmap) -> object``. ``folder`` is ``None`` for an entry written
before the class kept files: ``state`` is then its plain attribute dictionary.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

FORMAT = "xmodal.model"
VERSION = 2  # 2: objects may own a folder under files/ (a model without one is still written as 1)
MODEL_FILE = "model.json"
ARRAYS = "arrays"
FILES = "files"
ALLOWED_MODULES = ("xmodal.", "sklearn.")


class ModelFileError(ValueError):
    """A model directory is missing, incomplete, edited by hand, or from a newer xmodal."""


def save_object(obj, directory) -> Path:
    """Write ``obj`` to ``directory`` (created or replaced atomically).

    Parameters
    ----------
    obj : object
        An xmodal or scikit-learn object whose attributes are numbers, strings, containers, numpy
        arrays, scipy sparse matrices or further such objects.
    directory : str or Path
        Target folder. An existing folder is replaced only if it holds an xmodal model (or is empty).

    Returns
    -------
    Path

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from xmodal.projection.cca import CCA
    >>> rng = np.random.default_rng(0)
    >>> model = CCA(n_components=2).fit(rng.normal(size=(30, 4)), rng.normal(size=(30, 3)))
    >>> path = save_object(model, os.path.join(tempfile.mkdtemp(), "cca"))
    >>> again = load_object(path)
    >>> bool(np.allclose(again.transform_text(np.ones((1, 3))), model.transform_text(np.ones((1, 3)))))
    True
    """
    from xmodal import __version__

    target = Path(directory)
    if target.exists() and not (target.is_dir() and (not any(target.iterdir()) or (target / MODEL_FILE).is_file())):
        raise FileExistsError(f"{target}: exists and is not an xmodal model directory; not replacing it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        (tmp / ARRAYS).mkdir()
        writer = _Writer(tmp)
        root = writer.encode(obj, "root")
        document = {"format": FORMAT, "version": VERSION if writer.folders else 1, "xmodal": __version__,
                    "libraries": _library_versions(), "root": root, "arrays": writer.manifest,
                    **({"files": writer.folders} if writer.folders else {})}
        with open(tmp / MODEL_FILE, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.rename(target, old)
        os.rename(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_object(directory, mmap: bool = True):
    """Rebuild the object saved by :func:`save_object`.

    Parameters
    ----------
    directory : str or Path
    mmap : bool
        Memory-map the arrays (fast start, pages read on demand) instead of reading them.

    Raises
    ------
    ModelFileError
        Missing or unreadable ``model.json``, wrong format, newer version, a missing array file or
        one whose shape or dtype differs from what was saved, a class outside the allow-list.
    """
    directory = Path(directory)
    path = directory / MODEL_FILE
    if not path.is_file():
        raise ModelFileError(f"{directory}: not an xmodal model directory ({MODEL_FILE} is missing)")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelFileError(f"{path}: not valid JSON ({err}); was it edited by hand?") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not an xmodal model file (format {document.get('format')!r})"
                             if isinstance(document, dict) else f"{path}: not an xmodal model file")
    version = document.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ModelFileError(f"{path}: format version {version!r} is newer than this xmodal reads ({VERSION}); "
                             "upgrade xmodal")
    try:
        reader = _Reader(directory, document.get("arrays", {}), document.get("files", []), mmap)
        return reader.decode(document["root"])
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ModelFileError(f"{path}: inconsistent model description ({err.__class__.__name__}: {err}); "
                             "was it edited by hand?") from None


def _library_versions() -> dict:
    import scipy
    import sklearn

    return {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__}


def _safe_name(where: str, taken) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", where)[:150]
    while name in taken:
        name += "_"
    return name


class _Writer:
    def __init__(self, root: Path):
        self.root, self.folder = root, root / ARRAYS
        self.manifest: dict[str, dict] = {}
        self.folders: list[str] = []

    def array(self, value: np.ndarray, where: str) -> str:
        if value.dtype == object:
            if all(isinstance(v, str) for v in value.ravel()):
                value = value.astype(str)
            else:
                raise TypeError(f"{where}: cannot save an object array without pickle")
        file = _safe_name(where, {f[:-4] for f in self.manifest}) + ".npy"
        np.save(self.folder / file, np.ascontiguousarray(value), allow_pickle=False)
        self.manifest[file] = {"shape": list(value.shape), "dtype": value.dtype.str}
        return file

    def encode(self, value, where: str):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, (float, np.floating)):
            value = float(value)
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.ndarray):
            return {"__array__": self.array(value, where)}
        if hasattr(value, "tocsr") and hasattr(value, "indptr"):
            csr = value.tocsr()
            return {"__csr__": [self.array(csr.data, f"{where}.data"), self.array(csr.indices, f"{where}.indices"),
                                self.array(csr.indptr, f"{where}.indptr"), list(csr.shape)]}
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v, f"{where}.{i}") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, f"{where}.{i}") for i, v in enumerate(value)]
        if isinstance(value, (set, frozenset)):
            kind = "__frozenset__" if isinstance(value, frozenset) else "__set__"
            return {kind: [self.encode(v, where) for v in sorted(value, key=repr)]}
        if isinstance(value, dict):
            return {"__dict__": [[self.encode(k, f"{where}.key"), self.encode(v, f"{where}.{k}")]
                                 for k, v in value.items()]}
        if isinstance(value, np.dtype):
            return {"__dtype__": value.str}
        if isinstance(value, type) and issubclass(value, np.generic):
            return {"__numpy_type__": value.__name__}
        if isinstance(value, Path):
            return {"__path__": str(value)}
        cls = type(value)
        qualname = f"{cls.__module__}.{cls.__qualname__}"
        if not cls.__module__.startswith(ALLOWED_MODULES) or not hasattr(value, "__dict__"):
            raise TypeError(f"{where}: cannot save a {qualname} without pickle (only xmodal and scikit-learn "
                            "objects, numbers, strings, containers and arrays are saved)")
        if hasattr(cls, "_save_files"):
            name = _safe_name(where, self.folders)
            self.folders.append(name)
            state = value._save_files(self.root / FILES / name)
            return {"__object__": qualname, "files": name, "state": self.encode(state, where)}
        return {"__object__": qualname,
                "state": {k: self.encode(v, f"{where}.{k}") for k, v in vars(value).items()}}


class _Reader:
    def __init__(self, directory: Path, manifest: dict, folders: list, mmap: bool):
        self.directory, self.folder, self.manifest, self.mmap = directory, directory / ARRAYS, manifest, mmap
        self.folders = folders

    def array(self, file: str) -> np.ndarray:
        expected = self.manifest.get(file)
        path = self.folder / file
        if expected is None or "/" in file or "\\" in file:
            raise ModelFileError(f"{path}: not listed in the model's array manifest")
        if not path.is_file():
            raise ModelFileError(f"{path}: array file missing; the model directory is incomplete")
        try:
            value = np.load(path, mmap_mode="r" if self.mmap else None, allow_pickle=False)
        except (ValueError, OSError) as err:
            raise ModelFileError(f"{path}: unreadable array ({err})") from None
        if list(value.shape) != expected["shape"] or value.dtype.str != expected["dtype"]:
            raise ModelFileError(f"{path}: holds {value.dtype.str} {list(value.shape)}, the model expects "
                                 f"{expected['dtype']} {expected['shape']}; was it replaced by hand?")
        return value

    def decode(self, value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict) or len(value) not in (1, 2, 3):
            raise ValueError(f"unexpected entry {str(value)[:80]!r}")
        if "__object__" in value:
            return self.instance(value["__object__"], value["state"], value.get("files"))
        (kind, body), = value.items()
        if kind == "__array__":
            return self.array(body)
        if kind == "__csr__":
            from scipy import sparse

            data, indices, indptr, shape = body
            return sparse.csr_matrix((np.asarray(self.array(data)), np.asarray(self.array(indices)),
                                      np.asarray(self.array(indptr))), shape=tuple(shape))
        if kind == "__float__":
            return float(body)
        if kind == "__tuple__":
            return tuple(self.decode(v) for v in body)
        if kind == "__set__":
            return {self.decode(v) for v in body}
        if kind == "__frozenset__":
            return frozenset(self.decode(v) for v in body)
        if kind == "__dict__":
            return {self.decode(k): self.decode(v) for k, v in body}
        if kind == "__dtype__":
            return np.dtype(body)
        if kind == "__numpy_type__":
            kind_type = getattr(np, body, None)
            if not (isinstance(kind_type, type) and issubclass(kind_type, np.generic)):
                raise ModelFileError(f"unknown numpy type {body!r}")
            return kind_type
        if kind == "__path__":
            return Path(body)
        raise ValueError(f"unknown entry kind {kind!r}")

    def instance(self, qualname: str, state: dict, files=None):
        module_name, _, name = qualname.rpartition(".")
        if not module_name.startswith(ALLOWED_MODULES):
            raise ModelFileError(f"class {qualname!r} is not one xmodal loads (allowed: {ALLOWED_MODULES})")
        try:
            cls = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError):
            raise ModelFileError(f"class {qualname!r} no longer exists in this version of its library") from None
        if files is not None:
            return self.files_instance(cls, qualname, self.decode(state), files)
        attributes = {k: self.decode(v) for k, v in state.items()}
        if hasattr(cls, "_load_files"):  # written before the class kept files of its own
            return cls._load_files(None, attributes, self.mmap)
        obj = cls.__new__(cls)
        obj.__dict__.update(attributes)
        return obj

    def files_instance(self, cls, qualname: str, state, files):
        """An object that saved part of its state in a folder of its own (see the module notes)."""
        folder = self.directory / FILES / str(files)
        if not isinstance(files, str) or files not in list(self.folders or []) or "/" in files or "\\" in files \
                or files in (".", ".."):
            raise ModelFileError(f"{folder}: not listed in the model's folders")
        if not hasattr(cls, "_load_files"):
            raise ModelFileError(f"{folder}: class {qualname!r} does not read a folder of its own")
        if not folder.is_dir():
            raise ModelFileError(f"{folder}: folder missing; the model directory is incomplete")
        try:
            return cls._load_files(folder, state, self.mmap)
        except ValueError as err:
            raise ModelFileError(str(err)) from None
