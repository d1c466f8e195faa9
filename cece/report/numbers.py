"""The one number formatter: fixed precision for tables, full precision for machines.

Tables use fixed precision; JSON, JSONL, CSV and ``-q`` carry full-precision floats, with
``inf``/``nan`` as the strings ``"inf"``/``"nan"`` in JSON, which has neither (CONTRACT §4).
"""

from __future__ import annotations

import math

import numpy as np


def fmt(x: float | int | None, digits: int = 6) -> str:
    """Fixed precision for tables; tiny and huge values in scientific notation."""
    if x is None:
        return "-"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else ""
    if isinstance(x, (int, np.integer)):
        return f"{x:,}"
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0 or 1e-4 <= abs(x) < 1e7:
        return f"{x:.{digits}f}"
    return f"{x:.{digits - 2}e}"


def plain(value):
    """JSON-safe copy: numpy scalars → Python; non-finite floats → "inf"/"-inf"/"nan"."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def number(x: float) -> str:
    """A bare number for -q and CSV: full precision, inf/nan spelled out."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    return str(plain(float(x)))
