"""Temperature scaling: logits divided by ``T`` before the softmax (``softmax(x / T)``).

As distillation code writes it (Hinton et al. 2015; PyTorch users'
``F.cross_entropy(logits / T, y)``, ``F.kl_div(F.log_softmax(s / T), F.softmax(t / T))``):
``T > 1`` flattens the distribution, ``T < 1`` sharpens it, ``T = 1`` changes nothing. Only
logits are divided (log-probabilities are logits too, read with ``--from logits``);
probabilities are refused, since ``p / T`` is not a temperature. The division is done in
float64, so float16/bfloat16 logits are not rounded again after it. This module imports only
numpy, :mod:`cece.errors` and the kernels' buffers.
"""

from __future__ import annotations

import math

import numpy as np

from cece import _native as kernels
from cece.errors import InputError, OptionError, describe


def check_temperature(value: object, option: str = "--temperature") -> float | None:
    """``--temperature must be a finite number > 0; got 0``; the value as a float."""
    if value is None:
        return None
    odd = (bool, np.bool_, np.complexfloating)  # numbers, but not real ones for an option
    if isinstance(value, odd) or not isinstance(value, (int, float, np.number)):
        raise OptionError(f"{option} must be a finite number > 0; got {describe(value)}")
    t = float(value)
    if not (math.isfinite(t) and t > 0):
        raise OptionError(f"{option} must be a finite number > 0; got {t:g}")
    return t


def temperature_kind(
    kind: str, name: str, option: str = "--temperature", kind_option: str = "--from logits"
) -> None:
    """A temperature divides logits; probabilities and log-probabilities are refused. The
    library names its arguments (``temperature``, ``kind='logits'``) where the CLI names its
    options; the wording is the same."""
    if kind == "logits":
        return
    if kind == "probs":
        found, hint = "probabilities", f"pass logits, or log p with {kind_option}"
    else:
        found = "log-probabilities"
        hint = f"log-probabilities are logits up to a constant: {kind_option} reads them so"
    raise OptionError(
        f"{option} divides logits before the softmax; {name} holds {found}", hint=hint
    )


def soften(
    x: np.ndarray,
    temperature: float,
    start: int = 0,
    name: str = "logits",
    buffer: str = "x",
    option: str = "--temperature",
) -> np.ndarray:
    """``x / T`` in float64. Finite logits stay finite (a ``T`` below 1 that would overflow
    float64 is an error naming the row); −inf (masked classes) stays −inf. ``T = 1`` returns
    ``x`` itself: the run is the one without a temperature, to the last bit. In the engine's
    workers the result is a reused buffer, one per ``buffer`` name (kl softens P and Q)."""
    if temperature == 1:
        return x
    x = np.asarray(x)
    out = kernels.output(f"softened {buffer}", x.size, np.float64).reshape(
        x.shape
    )  # reused in workers
    with np.errstate(over="ignore"):  # an overflow is an error below, not a warning
        np.divide(x, temperature, out=out, dtype=np.float64)  # in float64, not x's dtype
    if temperature < 1:  # only a division by T < 1 can overflow
        grown = np.isinf(out)
        if grown.any():
            grown &= np.isfinite(np.asarray(x, dtype=np.float64))
            if grown.any():
                row = int(np.argwhere(grown.reshape(len(out), -1))[0][0])
                raise InputError(
                    name,
                    f"logits / {option} {temperature:g} overflow float64",
                    row=start + row,
                    hint=f"use a larger {option}",
                )
    return out


def divide(
    x: np.ndarray, value: object, kind: str, name: str, kind_arg: str = "kind"
) -> np.ndarray:
    """The library's ``temperature=`` on checked rows ``x`` of ``kind``: ``x / T`` (``x``
    itself for None or 1), with the CLI's rules and wording (arguments named as the library
    names them: ``temperature must be a finite number > 0; got 0``)."""
    t = check_temperature(value, "temperature")
    if t is None:
        return x
    temperature_kind(kind, name, "temperature", f"{kind_arg}='logits'")
    return soften(x, t, name=name, buffer=name, option="temperature")
