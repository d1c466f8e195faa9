"""One binary sample's loss, step by step (``cece explain --binary``): the two terms
y·log p and (1 − y)·log(1 − p), from a logit or a probability, with pos_weight, smoothing and
clipping shown where they apply."""

from __future__ import annotations

import math

import numpy as np

from cece.losses import validate
from cece.report.numbers import MINUS, given, num
from cece.tools.explain import SHOWN, Explanation, paren, sample_weighted


def binary(
    x,
    y,
    *,
    kind: str = "logits",
    pos_weight=None,
    label_smoothing: float = 0.0,
    sample_weight: float | None = None,
    eps: float | None = None,
    digits: int = 4,
) -> Explanation:
    """The sigmoid cross-entropy of one sample of K ≥ 1 columns (the mean over its columns).

    Each column: −((1 − y)·log(1 − p) + w₊·y·log p), p = σ(x) for logits (PyTorch's
    ``binary_cross_entropy_with_logits``); smoothing y·(1 − ε) + ε/2 (Keras).
    """
    validate.check_choice(kind, ("logits", "probs"), "kind")
    validate.binary_args(  # as the library checks them: invalid input gives no steps
        np.atleast_1d(x)[None],
        np.atleast_1d(y)[None],
        name=kind,
        kind=kind,
        reduction="mean",
        pos_weight=pos_weight,
        label_smoothing=label_smoothing,
        sample_weight=None if sample_weight is None else [sample_weight],
        focal_gamma=None,
        focal_alpha=None,
        eps=eps,
    )
    x = np.atleast_1d(np.asarray(x, dtype=np.float64)).ravel()
    y = np.atleast_1d(np.asarray(y, dtype=np.float64)).ravel()
    k = len(x)
    pw = (
        None
        if pos_weight is None
        else np.broadcast_to(np.asarray(pos_weight, dtype=np.float64), (k,))
    )
    ex = Explanation("binary cross-entropy of one sample" + (f" ({k} columns)" if k > 1 else ""))
    n_ = lambda v: num(v, digits)  # noqa: E731
    g_ = lambda v: given(v, digits)  # noqa: E731
    losses = []
    ex.add(
        "formula",
        f"loss = {MINUS}((1 {MINUS} y)·log(1 {MINUS} p) + "
        f"{'w₊·' if pw is not None else ''}y·log p)" + (", for each column" if k > 1 else ""),
    )
    for j in range(k):
        tag = f"[{j}]" if k > 1 else ""
        xj, yj = float(x[j]), float(y[j])
        if kind == "logits":
            p = _sigmoid(xj)
            ex.add(f"sigmoid{tag}", f"p = σ(x) = 1 / (1 + e^{paren(g_(-xj))}) = {n_(p)}", p)
            lp, l1p = _log_sigmoid(xj), _log_sigmoid(-xj)
            ps, p1s = n_(p), n_(_sigmoid(-xj))
        else:
            p = xj
            lp = math.log(p) if p > 0 else -math.inf
            l1p = math.log1p(-p) if p < 1 else -math.inf
            ps, p1s = g_(p), g_(1 - p)
            if eps and not eps <= p <= 1 - eps:
                clipped = min(max(p, eps), 1 - eps)
                ex.add(
                    f"clip{tag}",
                    f"p = {g_(p)} clipped to [eps, 1 {MINUS} eps] = "
                    f"{n_(clipped)} (eps = {eps:.3g})",
                    clipped,
                )
                p, lp, l1p = clipped, math.log(clipped), math.log1p(-clipped)
                ps, p1s = n_(p), n_(1 - p)
        ys: float | str  # the smoothed target, then the text of the target
        if label_smoothing:
            ys = yj * (1 - label_smoothing) + label_smoothing / 2
            ex.add(
                f"smooth{tag}",
                f"y = y·(1 {MINUS} ε) + ε/2 = {g_(yj)}·{g_(1 - label_smoothing)}"
                f" + {g_(label_smoothing)}/2 = {n_(ys)}",
                ys,
            )
            yj = ys
        wj = 1.0 if pw is None else float(pw[j])
        ys, y1s = (n_(yj), n_(1 - yj)) if label_smoothing else (g_(yj), g_(1 - yj))
        wtxt = f"{g_(wj)}·" if pw is not None else ""
        neg = (1 - yj) * l1p if yj < 1 else 0.0
        pos = wj * yj * lp if yj > 0 else 0.0
        loss = -(neg + pos)
        ex.add(f"substitute{tag}", f"= {MINUS}({y1s}·log {p1s} + {wtxt}{ys}·log {ps})")
        ex.add(f"logs{tag}", f"= {MINUS}({y1s}·{paren(n_(l1p))} + {wtxt}{ys}·{paren(n_(lp))})")
        ex.add(f"negate{tag}", f"= {n_(loss)}", loss)
        if 0 < yj < 1 and pw is None:
            h = -(yj * math.log(yj) + (1 - yj) * math.log1p(-yj))
            ex.add(
                f"split{tag}",
                f"= H(y) + KL(y‖p) = {n_(h)} + {n_(loss - h)} (the least "
                f"reachable, at p = y, is H(y) = {n_(h)})",
                [h, loss - h],
            )
        losses.append(loss)
    if kind == "logits":
        ex.notes.append(
            f"cece computes each term from x directly, as max(x, 0) {MINUS} x·y + "
            f"log(1 + e^{MINUS}|x|): the same value, finite for any logit"
        )
    loss = float(np.mean(losses))
    if k > 1:
        ex.add(
            "mean over columns",
            f"loss = ({' + '.join(n_(v) for v in losses[:SHOWN])}"
            f"{' + …' if k > SHOWN else ''}) / {k} = {n_(loss)}",
            loss,
        )
    return sample_weighted(ex, loss, sample_weight, digits)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def _log_sigmoid(x: float) -> float:
    """log σ(x) = −log(1 + e^−x), without overflow."""
    return -(math.log1p(math.exp(-x)) if x >= 0 else -x + math.log1p(math.exp(x)))


# -- the unit and the reduction ---------------------------------------------------------------------
