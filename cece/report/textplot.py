"""Plots drawn with characters: the loss curve (``cece curve``) and loss histograms (``--hist``).

Pure functions from numbers to lines of text, so they render the same on a terminal, in a pipe
and in a test; colour is added by :mod:`cece.render`, which also owns the image files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cece.report.numbers import fixed, short
from cece.structs import struct

MARKERS = "●○◆×+"
BAR = "█"
PARTIAL = " ▏▎▍▌▋▊▉"  # eighths of a bar


@struct
class Series:
    label: str
    x: np.ndarray
    y: np.ndarray


def line_plot(
    series: list[Series],
    *,
    width: int = 60,
    height: int = 15,
    y_max: float | None = None,
    x_label: str = "",
    y_label: str = "",
    marks: Sequence[tuple[float, str]] = (),
    levels: Sequence[tuple[float, str]] = (),
    x_range: tuple[float, float] = (0.0, 1.0),
) -> list[str]:
    """Curves on a ``width``×``height`` grid of characters, with axes, ticks and a legend.

    Values above ``y_max`` are cut off at the top edge (shown by ↑). ``marks`` are vertical
    markers at given x (e.g. the minimum of a soft target's curve at p = y); ``levels``
    horizontal ones at given y (e.g. the loss of a uniform guess).
    """
    x0, x1 = x_range
    finite = np.concatenate([s.y[np.isfinite(s.y)] for s in series]) if series else np.zeros(1)
    top = float(y_max if y_max is not None else (finite.max() if len(finite) else 1.0))
    top = top if top > 0 else 1.0
    grid = [[" "] * width for _ in range(height)]

    def row_of(v: float) -> int:  # 0 = top line
        return height - 1 - round(min(v, top) / top * (height - 1))

    for v, _ in levels:
        if 0 <= v <= top:
            grid[row_of(v)] = ["┄"] * width
    for x, _ in marks:
        col = round((x - x0) / (x1 - x0) * (width - 1))
        for r in range(height):
            grid[r][col] = "┊"
    for k, s in enumerate(series):
        marker = MARKERS[k % len(MARKERS)]
        cols = np.round((s.x - x0) / (x1 - x0) * (width - 1)).astype(int)
        prev = None
        for col, v in zip(cols, s.y):
            if not 0 <= col < width or math.isnan(v):
                continue
            r = 0 if v > top else row_of(v)
            grid[r][col] = "↑" if v > top else marker
            if prev is not None and abs(prev[1] - r) > 1 and abs(prev[0] - col) <= 1:
                lo, hi = sorted((prev[1], r))
                for rr in range(lo + 1, hi):  # join steep parts into one line
                    if grid[rr][col] == " ":
                        grid[rr][col] = marker
            prev = (col, r)
    labels = {0: short(top), height - 1: "0", (height - 1) // 2: short(top / 2)}
    pad = max(len(v) for v in labels.values())
    lines = [f"{y_label}" if y_label else ""]
    for r in range(height):
        lines.append(f"{labels.get(r, ''):>{pad}} ┤{''.join(grid[r])}".rstrip())
    axis = [" "] * width
    ticks = {0: short(x0), (width - 1) // 2: short((x0 + x1) / 2), width - 1: short(x1)}
    for col in ticks:
        axis[col] = "┬"
    lines.append(" " * pad + " └" + "".join(axis).replace(" ", "─"))
    under = [" "] * (width + 4)
    for col, text in ticks.items():
        start = max(0, min(col - len(text) // 2, width + 4 - len(text)))
        under[start : start + len(text)] = text
    lines.append(" " * (pad + 2) + "".join(under).rstrip())
    if x_label:
        lines.append(" " * (pad + 2) + x_label.center(width).rstrip())
    legend = [f"{MARKERS[k % len(MARKERS)]} {s.label}" for k, s in enumerate(series)]
    legend += [f"┊ {label}" for _, label in marks]
    legend += [f"┄ {label}" for _, label in levels]
    for item in legend:
        lines.append(" " * (pad + 2) + item)
    return lines if y_label else lines[1:]


def histogram_lines(hist: dict, *, width: int = 40, unit: str = "") -> list[str]:
    """``[0.10, 0.20)  ████▍   123`` lines, one per bin, bars scaled to the fullest."""
    counts, edges = hist["counts"], hist["edges"]
    if not counts:
        return ["(no finite losses to draw)"] + (
            [f"inf: {hist['infinite']}"] if hist.get("infinite") else []
        )
    most = max(counts) or 1
    step = (edges[-1] - edges[0]) / len(counts)
    decimals = min(8, max(0, 1 - math.floor(math.log10(step)))) if step > 0 else 6
    lo = [fixed(edges[i], decimals) for i in range(len(counts))]
    hi = [fixed(edges[i + 1], decimals) for i in range(len(counts))]
    wl, wh = max(map(len, lo)), max(map(len, hi))
    labels = [f"{a:>{wl}} – {b:>{wh}}" for a, b in zip(lo, hi)]
    pad = max(len(v) for v in labels)
    digits = len(f"{max(counts):,}")
    lines = []
    for label, count in zip(labels, counts):
        eighths = round(count / most * width * 8)
        bar = BAR * (eighths // 8) + (PARTIAL[eighths % 8] if eighths % 8 else "")
        if count and not bar:
            bar = PARTIAL[1]
        lines.append(f"{label:>{pad}}  {count:>{digits},}  {bar}".rstrip())
    if hist.get("infinite"):
        lines.append(f"{'inf':>{pad}}  {hist['infinite']:>{digits},}")
    return lines
