"""The one number formatter: every number cece shows goes through a function here.

* :func:`fmt`: tables, fixed precision (scientific when tiny or huge);
* :func:`number`, :func:`plain`: machines (``-q``, CSV, JSON), full precision, with
  ``inf``/``nan`` as the strings ``"inf"``/``"nan"`` in JSON, which has neither;
* :func:`num`, :func:`given`: the steps of ``cece explain`` (a real minus sign, as the
  formulas are written);
* :func:`short`: plot axes, three significant digits;
* :func:`sig`: a value quoted in a sentence (``min 0.0123457``).
"""

from __future__ import annotations

import math

import numpy as np

MINUS = "\u2212"  # −, as the formulas in the seeds write it

# Negative zero is never shown: −log 1 and −(log-prob 0) are -0.0 in IEEE arithmetic, and a
# zero loss printed as "-0.0" reads as a bug. ``x + 0.0`` turns -0.0 into 0.0 and leaves every
# other value (and inf, nan) as it is.


def fmt(x: float | int | None, digits: int = 6) -> str:
    """Fixed precision for tables; tiny and huge values in scientific notation."""
    if x is None:
        return "-"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else ""
    if isinstance(x, (int, np.integer)):
        return f"{x:,}"
    x = float(x) + 0.0
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0 or 1e-4 <= abs(x) < 1e7:
        return fixed(x, digits)
    return f"{x:.{digits - 2}e}"


def fixed(x: float, decimals: int) -> str:
    """``x`` with ``decimals`` fixed decimals, never a signed zero (``-0.000`` → ``0.000``)."""
    text = f"{float(x) + 0.0:.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def plain(value):
    """JSON-safe copy: numpy scalars → Python; non-finite floats → "inf"/"-inf"/"nan"."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return value + 0.0
    return value


def number(x: float) -> str:
    """A bare number for -q and CSV: full precision, inf/nan spelled out."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    return str(plain(float(x)))


def num(v: float, digits: int = 4) -> str:
    """A computed value: fixed decimals (0.0900), scientific when tiny or huge."""
    v = float(v)
    if math.isnan(v) or math.isinf(v):
        text = "inf" if v > 0 else f"{MINUS}inf" if v < 0 else "nan"
        return text
    if v != 0 and not 10.0**-digits <= abs(v) < 1e7:
        text = f"{abs(v):.{digits}e}"
    else:
        text = f"{abs(v):.{digits}f}"
    return (MINUS if v < 0 and float(text.replace("e", "0e")) != 0 else "") + text


def given(v: float, digits: int = 4) -> str:
    """A value the user gave (or a simple derived one, 1 − 0.7): as short as it is exact."""
    v = float(v)
    if not math.isfinite(v) or abs(v) >= 1e7:
        return num(v, digits)
    r = round(v, digits)
    if abs(v - r) <= 1e-12 * max(1.0, abs(v)):
        text = f"{abs(r):.{digits}f}".rstrip("0").rstrip(".")
        return (MINUS if r < 0 else "") + text
    return num(v, digits)


def short(v: float) -> str:
    """An axis label: 3 significant digits, no trailing zeros."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
    return f"{v:.2e}"


def sig(v: float | None, digits: int = 6) -> str:
    """A value quoted in a sentence: ``digits`` significant digits; ``-`` for none."""
    return "-" if v is None else f"{v + 0.0:.{digits}g}"
