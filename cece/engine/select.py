"""The median and the histogram of losses held in parts, exactly, without gathering them.

Each shard's losses stay where they were computed (this process for the local engine, a
worker's memory for Dask). The median is found by a radix select: the losses are mapped to
unsigned keys that sort as the floats do, every part counts its keys by their next 16 bits
under the prefix found so far, and the rank's digit is read from the summed counts; once the
bucket holds few keys, they are fetched and sorted. Four rounds at most for 64-bit keys, one
or two in practice. The histogram's counts add up over parts, bin by bin, since a value's bin
depends on the value and the common range alone.

Both engines run this one code (through an ``ask`` callback that answers requests part by
part), so their medians and histograms agree to the bit — and with a single file's, since
the order statistics are exact and :func:`~cece.engine.reduce.midpoint` is the one formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from cece.engine.reduce import midpoint

Ask = Callable[[list[tuple]], list[list]]  # requests → per part, the answers in order

FIRST = 20  # bits of a key counted in the first round (made by the parts with their losses)
DIGIT = 16  # bits counted in each later round
FEW = 1 << 16  # a bucket this small is fetched and sorted


def keys_of(losses: np.ndarray) -> np.ndarray:
    """Unsigned 64-bit keys in the order of the float64 values (−0.0 just before +0.0):
    the sign bit set for values ≥ +0.0, every bit flipped for negative ones."""
    bits = np.ascontiguousarray(losses, dtype=np.float64).view(np.uint64)
    flip = np.negative(bits >> np.uint64(63))  # all ones for a negative value, else 0
    return bits ^ (flip | np.uint64(1 << 63))


def values_of(keys: np.ndarray) -> np.ndarray:
    """The float64 values of keys (:func:`keys_of` undone)."""
    high = keys >> np.uint64(63)  # 1 for a value ≥ +0.0
    flip = np.negative(np.uint64(1) - high) | np.uint64(1 << 63)
    return (keys ^ flip).view(np.float64)


def value_of(key: int) -> float:
    """The float64 value of one key."""
    return float(values_of(np.array([key], dtype=np.uint64))[0])


def spread(losses: np.ndarray) -> tuple[float, float, int]:
    """Finite minimum, finite maximum and the count of infinite losses (a histogram's range)."""
    finite = np.isfinite(losses)
    if finite.all():
        if not len(losses):
            return math.inf, -math.inf, 0
        return float(losses.min()), float(losses.max()), 0
    kept = losses[finite]
    lo, hi = (float(kept.min()), float(kept.max())) if len(kept) else (math.inf, -math.inf)
    return lo, hi, int(len(losses) - len(kept))


def answer(keys: np.ndarray | None, requests: list[tuple]) -> list:
    """Answer requests about one part's losses, held as :func:`keys_of` keys (run where they
    are held):

    * ``("digits", prefix, bits)``: the next digits (:func:`width` bits) of the keys whose
      top ``bits`` bits are ``prefix``, with their counts;
    * ``("keys", prefix, bits)``: those keys themselves;
    * ``("hist", lo, hi, bins)``: the counts of finite losses in ``bins`` equal bins of [lo, hi].
    """
    held = np.empty(0, np.uint64) if keys is None else keys
    out: list = []
    for request in requests:
        if request[0] == "hist":
            _, lo, hi, bins = request
            values = values_of(held)
            out.append(np.histogram(values[np.isfinite(values)], bins=bins, range=(lo, hi))[0])
            continue
        _, prefix, bits = request
        under = held if bits == 0 else held[(held >> np.uint64(64 - bits)) == np.uint64(prefix)]
        if request[0] == "keys":
            out.append(np.sort(under))
        else:
            wide = width(bits)
            shift = np.uint64(64 - bits - wide)
            digits = ((under >> shift) & np.uint64((1 << wide) - 1)).view(np.int64)
            counts = np.bincount(digits, minlength=1 << wide)
            present = np.flatnonzero(counts)
            out.append((present, counts[present]))
    return out


def width(bits: int) -> int:
    """The bits of a key counted after the first ``bits``."""
    return FIRST if bits == 0 else min(DIGIT, 64 - bits)


def median(ask: Ask, count: int, first: list | None = None) -> float:
    """The exact median of ``count`` losses held in parts (nan for none); ``first``: each
    part's answer to the first round, ``("digits", 0, 0)``, if the parts made it already."""
    if not count:
        return math.nan
    half = count // 2
    ranks = [half - 1, half] if count % 2 == 0 else [half]
    found = select(ask, ranks, first)
    return midpoint(found[0] if len(found) == 2 else None, found[-1])


def select(ask: Ask, ranks: list[int], first: list | None = None) -> list[float]:
    """The values of the given 0-based ranks, in the losses' sorted order. With the first
    round made by the parts, a rank takes one more round in practice: its 20-bit bucket
    holds few enough keys to be fetched."""
    # per rank: (prefix, bits consumed, rank within the bucket)
    state = {r: (0, 0, r) for r in ranks}
    done: dict[int, float] = {}
    while len(done) < len(ranks):
        buckets = sorted({state[r][:2] for r in ranks if r not in done})
        requests = [("digits", prefix, bits) for prefix, bits in buckets]
        if first is not None and buckets == [(0, 0)]:
            replies, first = [[reply] for reply in first], None
        else:
            replies = ask(requests)
        fetch: list[tuple[int, int]] = []
        for i, (prefix, bits) in enumerate(buckets):
            digits, counts = _summed(reply[i] for reply in replies)
            below = np.cumsum(counts)
            for r in ranks:
                if r in done or state[r][:2] != (prefix, bits):
                    continue
                within = state[r][2]
                at = int(np.searchsorted(below, within, side="right"))
                before = int(below[at - 1]) if at else 0
                wide = width(bits)
                nested = ((prefix << wide) | int(digits[at]), bits + wide, within - before)
                state[r] = nested
                if int(counts[at]) <= FEW or nested[1] == 64:
                    fetch.append(nested[:2])
        if fetch:
            fetch = sorted(set(fetch))
            replies = ask([("keys", prefix, bits) for prefix, bits in fetch])
            for i, bucket in enumerate(fetch):
                keys = np.sort(np.concatenate([reply[i] for reply in replies]))
                for r in ranks:
                    if r not in done and state[r][:2] == bucket:
                        done[r] = value_of(keys[state[r][2]])
    return [done[r] for r in ranks]


def _summed(replies) -> tuple[np.ndarray, np.ndarray]:
    """Digit counts of every part, added: (digits ascending, counts)."""
    digits, counts = zip(*replies)
    every = np.concatenate(digits)
    unique, where = np.unique(every, return_inverse=True)
    summed = np.bincount(where, weights=np.concatenate(counts), minlength=len(unique))
    return unique, summed.astype(np.int64)


def histogram(
    ask: Ask, spreads: list[tuple[float, float, int]], count: int, *, bins: int = 20
) -> dict:
    """:func:`cece.engine.reduce.histogram` of the ``count`` losses held in parts (their
    :func:`spread` each), bin counts added."""
    lo = min(s[0] for s in spreads)
    hi = max(s[1] for s in spreads)
    infinite = sum(s[2] for s in spreads)
    if lo > hi:
        return {"edges": [], "counts": [], "infinite": infinite}
    if hi == lo:
        return {"edges": [lo, hi], "counts": [count - infinite], "infinite": infinite}
    counts = sum(reply[0] for reply in ask([("hist", lo, hi, bins)]))
    edges = np.histogram_bin_edges(np.empty(0), bins=bins, range=(lo, hi))
    return {"edges": edges.tolist(), "counts": np.asarray(counts).tolist(), "infinite": infinite}
