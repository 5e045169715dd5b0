"""Reporting evaluation results: a plain-text table and a JSON file."""

from __future__ import annotations

import json

from xmodal._atomic import atomic_path

COLUMNS = ("MAP", "R@1", "R@5", "R@10", "median_rank")


def format_table(directions: dict, chance: dict, columns=COLUMNS) -> str:
    """One row per direction: each figure, with the chance level of a random ranking beside it.

    Examples
    --------
    >>> print(format_table({"text->image": {"MAP": 0.5}}, {"text->image": {"MAP": 0.1}}, columns=("MAP",)))
    direction           MAP (chance)
    text->image       0.500  (0.100)
    """
    widths = [max(9, len(c) + 1) for c in columns]
    head = f"{'direction':<14}" + "".join(f"{c:>{w}} {'(chance)':>8}" for c, w in zip(columns, widths))
    lines = [head.rstrip()]
    for name, report in directions.items():
        cells = []
        for c, w in zip(columns, widths):
            value, base = report.get(c), chance.get(name, {}).get(c)
            cells.append(f"{_fmt(value):>{w}} {'(' + _fmt(base) + ')':>8}")
        lines.append(f"{name:<14}" + "".join(cells))
    return "\n".join(lines)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value != value:
        return "nan"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"


def format_timings(timings: dict) -> str:
    """``stage 1.2 s, stage 0.3 s, ...`` in the order the stages ran."""
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())


def write_json(path, payload: dict) -> None:
    """Write ``payload`` as indented JSON atomically (temporary file, then rename)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, default=_plain) + "\n", encoding="utf-8")


def _plain(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
