"""One sample's loss, step by step, with its numbers (``cece explain``).

The steps follow the way the seeds teach it (seed 001: logits → exp → sum → softmax → log →
the true class's term → negate), with a step for each option that changes the result: the
smoothed target, the dense dot product, class / positive / sample weights, the clip, the base.
Each step carries its exact value (for JSON and the tests) and a formula with the numbers
written out (for people), so what is printed can be checked by hand.

The values are computed here straight from the formulas in float64; the tests hold them equal
to the library's losses (:mod:`cece.losses`), which compute the same thing the stable way.
"""

from __future__ import annotations

import math
from dataclasses import field

import numpy as np

from cece.losses import validate
from cece.losses.terms import weighted_mean
from cece.options import BASES
from cece.report.numbers import MINUS, given, num
from cece.structs import struct

SHOWN = 8  # vectors longer than this are shown by their ends


@struct
class Step:
    name: str
    formula: str
    value: object = None  # float, list of floats, or None


@struct
class Explanation:
    """The steps of one sample's loss, then the loss itself (in nats and in the unit)."""

    title: str
    steps: list[Step] = field(default_factory=list)
    nats: float = math.nan
    notes: list[str] = field(default_factory=list)
    value: float = math.nan  # the sample's loss in the unit asked for
    unit: str = "nats"

    def add(self, name: str, formula: str, value: object = None) -> None:
        self.steps.append(Step(name, formula, value))


# -- numbers as the steps print them ----------------------------------------------------------------


def vector(values, fmt=num, digits: int = 4, mark: int | None = None) -> str:
    """``[0.0900, 0.2447, 0.6652]``; long rows as their ends (and the marked element)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    n = len(values)
    if n <= SHOWN:
        return "[" + ", ".join(fmt(v, digits) for v in values) + "]"
    head = ", ".join(fmt(v, digits) for v in values[:3])
    tail = ", ".join(fmt(v, digits) for v in values[-2:])
    middle = " … "
    if mark is not None and 3 <= mark < n - 2:
        middle = f" … [{mark}] {fmt(values[mark], digits)} … "
    return f"[{head},{middle}{tail}] ({n} values)"


def paren(text: str) -> str:
    return f"({text})" if text.startswith(MINUS) else text


# -- categorical ------------------------------------------------------------------------------------


def categorical(
    x,
    target,
    *,
    kind: str = "logits",
    weight=None,
    label_smoothing: float = 0.0,
    sample_weight: float | None = None,
    eps: float | None = None,
    renormalize: bool = False,
    ignored: bool = False,
    classes: list[str] | None = None,
    digits: int = 4,
    ignored_by: str = "the --ignore-index label",
) -> Explanation:
    """The softmax cross-entropy of one sample.

    ``target`` is a class index or a dense row (one-hot or soft); ``eps`` the probability clip
    (None: none); ``weight`` the class weights; ``ignored_by`` what made an ``ignored`` sample's
    label the ignore value. Follows ``torch.nn.functional.cross_entropy``
    (smoothing: t = (1 − ε)·t + ε/C; class weights inside the sum) and scikit-learn's clip.
    """
    validate.categorical_args(  # as the library checks them: invalid input gives no steps
        np.atleast_2d(x),
        np.atleast_1d(0 if ignored else target)[None]
        if np.ndim(target)
        else [0 if ignored else target],
        kind=kind,
        reduction="mean",
        weight=weight,
        ignore_index=None,
        label_smoothing=label_smoothing,
        sample_weight=None if sample_weight is None else [sample_weight],
        focal_gamma=None,
        focal_alpha=None,
        eps=eps,
        renormalize=renormalize,
    )
    x = np.asarray(x, dtype=np.float64).ravel()
    c = len(x)
    ex = Explanation("categorical cross-entropy of one sample")
    n_ = lambda v: num(v, digits)  # noqa: E731
    v_ = lambda v, mark=None: vector(v, num, digits, mark)  # noqa: E731
    dense = np.ndim(target) > 0
    y = None if dense else int(target)
    name = (lambda k: f"{k} ({classes[k]!r})") if classes else str

    if ignored:
        ex.add("label", f"y = {y}: {ignored_by}")
        ex.add("ignored", "the sample adds nothing to the sum, nor to the mean's denominator", 0.0)
        ex.nats = 0.0
        return ex

    # 1. predictions → probabilities (and their logs)
    if kind == "logits":
        ex.add("logits", f"x = {vector(x, given, digits, y)}", x.tolist())
        shift = float(np.max(x))
        if shift > 700 or shift < -700:  # exp(x) itself would overflow or vanish
            e = np.exp(x - shift)
            ex.add(
                "exponentiate", f"exp(x {MINUS} {given(shift, digits)}) = {v_(e, y)}", e.tolist()
            )
            ex.notes.append(
                f"exp(x) would overflow, so every logit is shifted by max(x) = "
                f"{given(shift, digits)} first; softmax is unchanged by the shift"
            )
            what = f"Σ exp(x {MINUS} max)"
        else:
            e = np.exp(x)
            ex.add("exponentiate", f"exp(x) = {v_(e, y)}", e.tolist())
            what = "Σ exp(x)"
        total = float(e.sum())
        ex.add("sum", f"{what} = {n_(total)}", total)
        p = e / total
        ex.add("softmax", f"p = exp(x) / {what.replace(' − max', '')} = {v_(p, y)}", p.tolist())
        logp = x - shift - math.log(total) if what != "Σ exp(x)" else np.log(e) - math.log(total)
        logp = np.asarray(logp, dtype=np.float64)
        ex.add("log", f"log p = {v_(logp, y)}", logp.tolist())
        ex.notes.append(
            f"cece computes log p = x {MINUS} max(x) {MINUS} log Σ exp(x {MINUS} "
            "max(x)) (log-sum-exp): the same numbers, with no overflow for large "
            "logits"
        )
    elif kind == "log-probs":
        ex.add("log-probabilities", f"log p = {vector(x, given, digits, y)}", x.tolist())
        logp = x
        p = np.exp(x)
        ex.add("probabilities", f"p = exp(log p) = {v_(p, y)}", p.tolist())
        if renormalize:
            total = float(p.sum())
            p = p / total
            logp = np.log(p)
            ex.add("renormalize", f"p = p / Σ p = p / {n_(total)} = {v_(p, y)}", p.tolist())
    else:
        p = x
        ex.add(
            "probabilities", f"p = {vector(x, given, digits, y)} (sum {n_(p.sum())})", x.tolist()
        )
        if renormalize:
            total = float(p.sum())
            p = p / total
            ex.add("renormalize", f"p = p / Σ p = p / {n_(total)} = {v_(p, y)}", p.tolist())
        if eps:
            clipped = np.clip(p, eps, 1 - eps)
            changed = np.flatnonzero(clipped != p)
            if len(changed):
                where = ", ".join(str(k) for k in changed[:4]) + (" …" if len(changed) > 4 else "")
                ex.add(
                    "clip",
                    f"p clipped to [eps, 1 {MINUS} eps], eps = {eps:.3g} "
                    f"(classes {where}) = {v_(clipped, y)}",
                    clipped.tolist(),
                )
            p = clipped
        with np.errstate(divide="ignore"):
            logp = np.log(p)
        if dense or label_smoothing:
            ex.add("log", f"log p = {v_(logp, y)}", logp.tolist())

    # 2. the target, smoothed if asked, and the term(s) it picks
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    if not dense and not label_smoothing:
        assert y is not None  # a class index when the target is not dense
        ex.add("true class", f"y = {name(y)} → p[{y}] = {n_(p[y])}", float(p[y]))
        loss = -float(logp[y])
        ex.add("negate", f"loss = {MINUS}log({n_(p[y])}) = {n_(loss)}", loss)
        if w is not None:
            weighted = float(w[y]) * loss
            ex.add(
                "class weight",
                f"w[{y}] · loss = {given(w[y], digits)} · {n_(loss)} = {n_(weighted)}",
                weighted,
            )
            loss = weighted
    else:
        if dense:
            t = np.asarray(target, dtype=np.float64).ravel()
            ex.add("target", f"t = {vector(t, given, digits)}", t.tolist())
        else:
            t = np.zeros(c)
            t[y] = 1.0
            ex.add(
                "true class", f"y = {name(y)} → one-hot t = {vector(t, given, digits)}", t.tolist()
            )
        if label_smoothing:
            eps_ = label_smoothing
            t = (1 - eps_) * t + eps_ / c
            ex.add(
                "smooth",
                f"t = (1 {MINUS} ε)·t + ε/C = {given(1 - eps_, digits)}·t + "
                f"{given(eps_, digits)}/{c} = {v_(t)}",
                t.tolist(),
            )
        wt = t if w is None else w * t
        with np.errstate(invalid="ignore"):
            terms = np.where(wt > 0, wt * logp, 0.0)
        loss = -float(terms.sum())
        shown = [k for k in range(c) if wt[k] != 0]
        written = " + ".join(
            (f"{given(w[k], digits)}·" if w is not None else "")
            + f"{n_(t[k]) if label_smoothing else given(t[k], digits)}·{paren(n_(logp[k]))}"
            for k in shown[:SHOWN]
        )
        more = " + …" if len(shown) > SHOWN else ""
        sym = "Σ w·t·log p" if w is not None else "Σ t·log p"
        ex.add("dot product", f"loss = {MINUS}{sym} = {MINUS}({written}{more}) = {n_(loss)}", loss)
        if w is None:
            with np.errstate(divide="ignore", invalid="ignore"):
                h = -float(np.where(t > 0, t * np.log(t), 0.0).sum())
            ex.add(
                "split",
                f"= H(t) + KL(t‖p) = {n_(h)} + {n_(loss - h)} (the least any "
                f"prediction can reach is H(t))",
                [h, loss - h],
            )
    return sample_weighted(ex, loss, sample_weight, digits)


# -- binary -----------------------------------------------------------------------------------------


def sample_weighted(
    ex: Explanation, loss: float, sample_weight: float | None, digits: int
) -> Explanation:
    """The sample weight's step (scikit-learn's ``sample_weight``), then the result."""
    if sample_weight is not None:
        weighted = float(sample_weight) * loss
        ex.add(
            "sample weight",
            f"s · loss = {given(sample_weight, digits)} · "
            f"{num(loss, digits)} = {num(weighted, digits)}",
            weighted,
        )
        loss = weighted
    ex.nats = loss
    return ex


def in_base(ex: Explanation, base: str, digits: int = 4) -> float:
    """Add the conversion step for bits / hartleys; return the loss in the unit."""
    ex.value = ex.nats
    if base == "e":
        return ex.nats
    scale, unit = BASES[base]
    ex.value = value = ex.nats / scale
    ex.unit = unit
    ex.add("unit", f"in {unit}: {num(ex.nats, digits)} / ln {base} = {num(value, digits)}", value)
    return value


def reduction_step(
    ex: Explanation,
    losses: list[float],
    count: int,
    numerator: float,
    denominator: float,
    reduction: str,
    how: str,
    unit: str,
    digits: int = 4,
    columns: int = 1,
) -> float | None:
    """The reduction over all samples, ``(ℓ₀ + ℓ₁ + …) / N``, from the run's sums (ℓᵢ: each
    sample's loss with its class weight; ``how``: what the mean divides by)."""
    n_ = lambda v: num(v, digits)  # noqa: E731
    shown = " + ".join(n_(v) for v in losses[:6]) + (" + …" if count > 6 else "")
    if reduction == "none":
        return None
    if reduction == "sum":
        if columns > 1:  # binary: the sum runs over every element, K per sample
            ex.add(
                "sum over elements",
                f"K · Σ ℓᵢ = {columns} · ({shown}) = {n_(numerator)} {unit}",
                numerator,
            )
        else:
            ex.add("sum over samples", f"Σ ℓᵢ = {shown} = {n_(numerator)} {unit}", numerator)
        return numerator
    mean = weighted_mean(numerator, denominator)
    if how == "N":
        formula = f"Σ ℓᵢ / N = ({shown}) / {count} = {n_(mean)} {unit}"
    else:
        top = {"Σ w[yᵢ]": "Σ w[yᵢ]·ℓᵢ", "Σ sᵢ": "Σ sᵢ·ℓᵢ", "Σ sᵢ·w[yᵢ]": "Σ sᵢ·w[yᵢ]·ℓᵢ"}
        den = f"{int(denominator)}" if denominator == int(denominator) else n_(denominator)
        formula = f"{top.get(how, 'Σ ℓᵢ')} / {how} = {n_(numerator)} / {den} = {n_(mean)} {unit}"
    ex.add(f"mean over {count} samples", formula, mean)
    return mean
