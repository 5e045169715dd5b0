"""The user cache folder, and folders written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path


def cache_folder() -> Path:
    """``$XMODAL_CACHE`` if set, else ``~/.cache/xmodal`` (not created here).

    Examples
    --------
    >>> cache_folder().is_absolute() or "XMODAL_CACHE" in os.environ
    True
    """
    configured = os.environ.get("XMODAL_CACHE")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "xmodal"


@contextlib.contextmanager
def atomic_folder(path):
    """Yield a fresh temporary folder beside ``path``; on success it is renamed to ``path``.

    On an error inside the block the temporary folder is removed, so ``path`` either does not
    exist or holds everything the block wrote. If another process created ``path`` first, its
    copy is kept and ours is discarded.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "entry"
    >>> with atomic_folder(target) as tmp:
    ...     _ = (tmp / "a.txt").write_text("done")
    >>> (target / "a.txt").read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    tmp.mkdir()
    try:
        yield tmp
        try:
            os.rename(tmp, path)
        except OSError:
            if not path.is_dir():  # not a lost race: a real failure
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
