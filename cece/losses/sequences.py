"""Per-sequence losses and the normalised perplexities of language-model evaluation.

A language model's loss is reported two ways, and they differ:

* **token-pooled** (Hugging Face's loss, lm-eval-harness' ``perplexity``): one mean over every
  scored token of every sequence, ``Σ_s Σ_t ℓ_st / Σ_s n_s``;
* **per sequence**: each sequence's own mean ``m_s = Σ_t w_st ℓ_st / Σ_t w_st`` (the weighted
  mean within it, the same definition as the pooled mean, so that with equal weights
  ``pooled = Σ_s n_s m_s / Σ_s n_s``), and their plain mean ``Σ_s m_s / S`` over the ``S``
  sequences that have a scored token (``sequence_mean``).

Normalised by the text instead of the tokens, as lm-eval-harness does for its
``loglikelihood_rolling`` tasks (``lm_eval/api/metrics.py``: ``weighted_perplexity(items) =
exp(-weighted_mean(items))``, ``bits_per_byte(items) = -weighted_mean(items) / log(2)``,
``weighted_mean(items) = sum(a) / sum(b)`` over the documents' ``(loglikelihood, count)``
pairs; ``lm_eval/tasks/wikitext/preprocess_wikitext.py`` ``process_results``: the counts are
``len(page.encode("utf-8"))`` bytes and ``len(re.split(r"\\s+", page))`` words):

.. math::

    \\text{bits\\_per\\_byte} = \\frac{\\sum_{d,t} \\text{nll}_{dt}}{\\ln 2 \\sum_d \\text{bytes}_d},
    \\quad
    \\text{byte\\_perplexity} = \\exp \\frac{\\sum \\text{nll}}{\\sum \\text{bytes}},
    \\quad
    \\text{word\\_perplexity} = \\exp \\frac{\\sum \\text{nll}}{\\sum \\text{words}}

with the nll in nats, pooled over the documents (not a mean of per-document ratios).
"""

from __future__ import annotations

import math

import numpy as np

from cece.errors import InputError, OptionError, describe
from cece.losses import validate

LN2 = math.log(2)


def counts(values: object, option: str) -> np.ndarray:
    """Byte or word counts (``--bytes``, ``--words``): whole numbers ≥ 1, as int64.

    >>> counts([12, 7], "--bytes").tolist()
    [12, 7]
    """
    try:
        c = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise OptionError(f"{option} takes whole numbers (a total, or one a sequence)") from None
    if not len(c):
        raise OptionError(f"{option}: no counts")
    bad = np.flatnonzero(~np.isfinite(c) | (c != np.round(c)))
    where = (lambda i: "") if len(c) == 1 else (lambda i: f" at position {i}")
    if bad.size:
        i = int(bad[0])
        raise OptionError(f"{option}: count {c[i]:g}{where(i)} is not a whole number")
    low = np.flatnonzero(c <= 0)
    if low.size:
        i = int(low[0])
        raise OptionError(f"{option}: count {c[i]:g}{where(i)}; counts must be ≥ 1")
    if c.max() >= 2.0**53:
        raise OptionError(f"{option}: count {c.max():g} is too large to hold exactly")
    return c.astype(np.int64)


def per_count(nll_sum: float, count: int) -> float:
    """``Σ nll / count`` in nats: lm-eval-harness' ``weighted_mean`` of (loglikelihood, count)
    pairs, negated (``nll = −loglikelihood``). ``count`` is a whole number ≥ 1 and ``nll_sum``
    ≥ 0 (inf allowed), else :class:`~cece.errors.OptionError`."""
    c = counts(count, "count")
    if len(c) != 1:
        raise OptionError(f"count: one total; got {len(c)} counts (their sum is the total)")
    if isinstance(nll_sum, (bool, np.bool_)) or not isinstance(
        nll_sum, (int, float, np.floating, np.integer)
    ):
        raise OptionError(f"a summed negative log-likelihood is a number; got {describe(nll_sum)}")
    if not nll_sum >= 0:  # nan too
        raise OptionError(f"a summed negative log-likelihood is ≥ 0; got {nll_sum:g}")
    return float(nll_sum) / int(c[0])


def bits_per_byte(nll_sum: float, n_bytes: int) -> float:
    """lm-eval-harness' ``bits_per_byte``: ``Σ nll (nats) / Σ bytes / ln 2``.

    >>> round(bits_per_byte(2 * math.log(2), 4), 12)
    0.5
    """
    return per_count(nll_sum, n_bytes) / LN2


def normalized_perplexity(nll_sum: float, count: int) -> float:
    """lm-eval-harness' ``weighted_perplexity``: ``exp(Σ nll (nats) / Σ count)`` (bytes or
    words); inf where the exponent passes float64's range."""
    x = per_count(nll_sum, count)
    return math.exp(x) if x < 709.78 else (math.inf if x == x else math.nan)


def perplexity(mean_nats: float) -> float:
    """``exp(mean)``, inf past float64's range, nan for nan."""
    if mean_nats != mean_nats:
        return math.nan
    return math.exp(mean_nats) if mean_nats < 709.78 else math.inf


def run_starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal consecutive ``keys`` starts (indices; the first is 0).

    >>> run_starts(np.array([4, 4, 9, 9, 9, 4])).tolist()
    [0, 2, 5]
    """
    keys = np.asarray(keys).ravel()
    if not len(keys):
        return np.zeros(0, dtype=np.intp)
    return np.concatenate([[0], np.flatnonzero(keys[1:] != keys[:-1]) + 1])


def sequence_ids(values: object, name: str, start: int = 0) -> np.ndarray:
    """Sequence ids as int64: whole numbers (``--sequence-ids``)."""
    v = np.asarray(values)
    if v.dtype.kind in "iub":
        return v.astype(np.int64).ravel()
    if v.dtype.kind != "f":
        raise InputError(name, f"holds {v.dtype} values; --sequence-ids needs integer ids")
    f = v.astype(np.float64).ravel()
    bad = np.flatnonzero(~np.isfinite(f) | (f != np.round(f)) | (np.abs(f) >= 2.0**53))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            name, f"sequence id {f[i]:g} is not a whole number; expected integer ids", row=start + i
        )
    return f.astype(np.int64)


def per_sequence(
    loss: np.ndarray,
    sequences: np.ndarray,
    *,
    weight: np.ndarray | None = None,
    valid: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each sequence's token count and weighted mean loss: ``(ids, tokens, means)``.

    ``loss`` holds one loss per token (nats), ``sequences`` one id per token, each sequence's
    tokens contiguous (a run of equal ids); an id that comes back after another one is refused.
    ``weight`` (optional) weights each token, ``valid`` (optional) says which tokens count.
    A sequence without a counted token has mean nan.

    >>> ids, n, m = per_sequence(np.array([1.0, 3.0, 2.0]), np.array([7, 7, 8]))
    >>> ids.tolist(), n.tolist(), m.tolist()
    ([7, 8], [2, 1], [2.0, 2.0])
    """
    loss = np.asarray(loss, dtype=np.float64).ravel()
    seq = sequence_ids(sequences, "sequences")
    if len(seq) != len(loss):
        raise OptionError(f"sequences has {len(seq)} ids; expected one per token ({len(loss)})")
    if np.isnan(loss).any():
        raise OptionError(f"loss: NaN at token {int(np.flatnonzero(np.isnan(loss))[0])}")
    w = np.ones_like(loss)
    if weight is not None:
        w = validate.weights_vector(weight, "token weights", "weight")
        validate.check_count(len(w), len(loss), "weight", "one per token")
    ok = np.ones(len(loss), bool) if valid is None else np.asarray(valid, bool).ravel()
    validate.check_count(len(ok), len(loss), "valid", "one per token")
    starts = run_starts(seq)
    ids = seq[starts]
    if len(np.unique(ids)) != len(ids):
        again = next(i for i, k in enumerate(ids) if k in set(ids[:i].tolist()))
        raise OptionError(
            f"sequences: id {int(ids[again])} comes back at token {int(starts[again])} after "
            "other ids; a sequence's tokens must be contiguous"
        )
    if not len(loss):
        return ids, np.zeros(0, np.int64), np.zeros(0)
    tokens = np.add.reduceat(ok.astype(np.int64), starts)
    num = np.add.reduceat(np.where(ok, w * loss, 0.0), starts)
    den = np.add.reduceat(np.where(ok, w, 0.0), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(tokens > 0, num / np.where(den == 0, np.nan, den), np.nan)
    return ids, tokens, means


def mask_values(mask: np.ndarray, name: str, *, start: int | None = None, column=None):
    """An attention mask as booleans (True: scored), all 0 or 1; a column's block: row ``start``."""
    validate.check_numbers(mask, name, "a mask of 0 and 1")
    bad = (mask != 0) & (mask != 1)
    if bad.any():
        at = np.unravel_index(int(np.argmax(bad)), mask.shape)
        value, row = describe(mask[at].item()), None if start is None else start + int(at[0])
        where = "" if row is not None else f" at {list(map(int, at))}"
        message = f"mask value {value}{where}; expected 0 or 1"
        raise InputError(name, message, row=row, column=column)
    return mask != 0
