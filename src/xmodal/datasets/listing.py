"""Collections that are not manifests: a folder of images, a list file of paths, a file of texts."""

from __future__ import annotations

from pathlib import Path

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"})


def list_images(source) -> list[str]:
    """Image paths from a folder (searched recursively, sorted) or a text file with one path per line.

    Relative paths in a list file are relative to the list file's folder; blank lines and lines
    starting with ``#`` are ignored.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("b.png", "a.jpg", "notes.txt"):
    ...     _ = (d / name).write_bytes(b"")
    >>> [pathlib.Path(p).name for p in list_images(d)]
    ['a.jpg', 'b.png']
    """
    source = Path(source)
    if source.is_dir():
        paths = sorted(str(p) for p in source.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not paths:
            raise ValueError(f"{source}: no image files found (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
        return paths
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such folder or list file")
    paths = []
    for line in source.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            path = Path(line)
            paths.append(str(path if path.is_absolute() else source.parent / path))
    if not paths:
        raise ValueError(f"{source}: the list file names no image")
    return paths


def read_text_lines(path) -> list[str]:
    """One text per non-blank line of a UTF-8 file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    texts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not texts:
        raise ValueError(f"{path}: holds no text")
    return texts
