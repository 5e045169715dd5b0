"""Precision-recall plots (matplotlib, the optional ``plot`` extra)."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'xmodal[plot]'") from None
    return plt


def plot_precision_recall(curves: dict, path, title: str = "") -> Path:
    """Write a PNG of interpolated precision-recall curves, one line per name.

    Parameters
    ----------
    curves : dict of str -> dict
        ``{"image->text": {"recall": [...], "precision": [...]}, ...}`` (the ``"pr_curve"`` entry of
        each direction's report); a key ``name + " (chance)"`` is drawn dashed in ``name``'s colour.
    path : str or Path
        Output ``.png``, written atomically.
    title : str

    Examples
    --------
    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "pr.png")
    >>> _ = plot_precision_recall({"text->image": {"recall": [0, 0.5, 1], "precision": [1, 0.6, 0.3]}}, out)
    >>> os.path.getsize(out) > 0
    True
    """
    from xmodal._atomic import atomic_path

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"{path}: the plot is written as PNG; give a .png path")
    if not curves:
        raise ValueError("no curve to plot")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.2), dpi=120)
    colours = {}
    for name, curve in curves.items():
        base = name.removesuffix(" (chance)")
        colour = colours.setdefault(base, f"C{len(colours)}")  # a curve and its chance share a colour
        chance = base != name
        ax.plot(curve["recall"], curve["precision"], "--" if chance else "-", color=colour,
                marker="" if chance else "o", ms=3, lw=1 if chance else 1.6, label=name)
    ax.set_xlabel("recall")
    ax.set_ylabel("interpolated precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
