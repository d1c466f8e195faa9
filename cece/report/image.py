"""Images of ``cece curve`` (PNG, SVG, PDF) through matplotlib, the ``plot`` extra."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from cece.errors import OptionError

if TYPE_CHECKING:
    from cece.tools.curve import Figure


def drawer(path: str) -> Callable[[Figure, IO[bytes]], None]:
    """A function that draws a figure into a byte stream in the format ``path`` names.

    matplotlib is imported here, so a missing one is one line before anything is written.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        raise OptionError(
            f"writing {path} needs matplotlib, which is not installed",
            hint="pip install 'cece[plot]'",
        ) from None
    fmt = Path(path).suffix.lower().lstrip(".")
    return lambda fig, stream: save_image(fig, stream, fmt)


def save_image(fig: Figure, stream: IO[bytes], fmt: str) -> None:
    """Draw the figure as ``fmt`` (png, svg, pdf) into ``stream``."""
    import matplotlib.pyplot as plt

    figure_, ax = plt.subplots(figsize=(7, 4.5), dpi=150, layout="constrained")
    top = fig.y_top
    for c in fig.curves:
        ax.plot(c.p, np.minimum(c.loss, top * 1.05), lw=2, label=fig.label(c))
        if 0 < c.target < 1:
            ax.plot([c.minimum[0]], [c.minimum[1]], "o", color=ax.lines[-1].get_color())
            ax.annotate(
                f"minimum H({c.target:g}) = {c.minimum[1]:.3g} at p = {c.target:g}",
                c.minimum,
                textcoords="offset points",
                xytext=(8, -14),
                fontsize=8,
                bbox={"fc": "white", "ec": "none", "alpha": 0.8},
            )
    for level, text in fig.levels:
        ax.axhline(level, color="grey", ls="--", lw=1)
        ax.annotate(
            text,
            (0.99, level),
            xycoords=("axes fraction", "data"),
            ha="right",
            va="bottom",
            fontsize=8,
            color="grey",
            bbox={"fc": "white", "ec": "none", "alpha": 0.8},
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, top)
    ax.set_xlabel(fig.x_label)
    ax.set_ylabel(fig.y_label)
    ax.set_title(fig.title)
    ax.grid(alpha=0.3)
    ax.legend(title="target")
    figure_.savefig(stream, format=fmt)
    plt.close(figure_)
