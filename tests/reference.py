"""A naive reference, written straight from the formulas with Python floats and loops.

Slow and simple on purpose: it shares no code with cece, so a sign slip or a wrong denominator
in cece shows up as a mismatch. Formulas (PyTorch's cross_entropy docs; Keras'
CategoricalFocalCrossentropy; scikit-learn's log_loss for sample weights):

    q        = softmax(x) | p (clipped to [eps, 1-eps]) | exp(log p)
    t        = (1 - ε)·t + ε/C            (t = one-hot(y) for index targets)
    f_c      = α (1 - q_c)^γ · (-log q_c)  (focal; γ = 0, α = 1 gives plain -log q_c)
    ℓ_n      = Σ_c w_c t_c f_c              (0 for ignored samples)
    mean     = Σ s_n ℓ_n / Σ s_n·w[y_n]     (index targets) or Σ s_n ℓ_n / Σ s_n (dense)
"""

from __future__ import annotations

import math


def _q(row: list[float], kind: str, eps: float, renormalize: bool) -> list[float]:
    if kind == "logits" or (kind == "log-probs" and renormalize):
        m = max(row)
        z = sum(math.exp(v - m) for v in row)
        return [math.exp(v - m) / z for v in row]
    if kind == "log-probs":
        return [math.exp(v) for v in row]
    p = list(row)
    if renormalize:
        total = sum(p)
        p = [v / total for v in p]
    if eps > 0:
        p = [min(max(v, eps), 1 - eps) for v in p]
    return p


def _neg_log(row: list[float], q: list[float], kind: str, renormalize: bool) -> list[float]:
    if kind == "logits" or (kind == "log-probs" and renormalize):
        m = max(row)
        lse = m + math.log(sum(math.exp(v - m) for v in row))
        return [lse - v for v in row]
    if kind == "log-probs":
        return [-v for v in row]
    return [-math.log(v) if v > 0 else math.inf for v in q]


def categorical(
    preds,
    targets,
    *,
    kind="logits",
    weight=None,
    ignore_index=None,
    label_smoothing=0.0,
    sample_weight=None,
    focal_gamma=None,
    focal_alpha=None,
    eps=2.220446049250313e-16,
    renormalize=False,
    reduction="mean",
):
    preds = [[float(v) for v in row] for row in preds]
    n, c = len(preds), len(preds[0])
    w = [1.0] * c if weight is None else [float(v) for v in weight]
    s = [1.0] * n if sample_weight is None else [float(v) for v in sample_weight]
    gamma = 0.0 if focal_gamma is None else focal_gamma
    alpha = 1.0 if focal_alpha is None else focal_alpha
    losses, numer, denom = [], [], []
    for i in range(n):
        target = targets[i]
        dense = hasattr(target, "__len__")
        if not dense and ignore_index is not None and int(target) == ignore_index:
            losses.append(0.0)
            continue
        t = (
            [float(v) for v in target]
            if dense
            else [1.0 if k == int(target) else 0.0 for k in range(c)]
        )
        t = [(1 - label_smoothing) * v + label_smoothing / c for v in t]
        q = _q(preds[i], kind, eps, renormalize)
        nlq = _neg_log(preds[i], q, kind, renormalize)
        loss = 0.0
        for k in range(c):
            if t[k] == 0:
                continue  # 0 · log 0 = 0
            f = alpha * (1 - q[k]) ** gamma * nlq[k] if gamma or alpha != 1 else nlq[k]
            loss += w[k] * t[k] * f
        losses.append(loss)
        numer.append(s[i] * loss)
        denom.append(s[i] * (1.0 if dense else w[int(target)]))
    if reduction == "none":
        return losses
    if reduction == "sum":
        return math.fsum(numer)
    total = math.fsum(denom)
    return math.fsum(numer) / total if total else math.nan


def entropy(t: list[float]) -> float:
    return -math.fsum(v * math.log(v) for v in t if v > 0)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def binary(
    preds,
    targets,
    *,
    kind="logits",
    pos_weight=None,
    label_smoothing=0.0,
    sample_weight=None,
    focal_gamma=None,
    focal_alpha=None,
    eps=2.220446049250313e-16,
    reduction="mean",
):
    """Element-wise BCE (PyTorch), Keras' smoothing y(1-ε)+ε/2 and focal factor (1-p_t)^γ with
    α-balancing α·y + (1-α)(1-y); a sample's loss is the mean over its K elements."""
    rows = [[float(v) for v in row] for row in preds]
    n, k = len(rows), len(rows[0])
    pw = (
        [1.0] * k
        if pos_weight is None
        else ([float(pos_weight)] * k if not hasattr(pos_weight, "__len__") else list(pos_weight))
    )
    s = [1.0] * n if sample_weight is None else [float(v) for v in sample_weight]
    per_sample, numer, denom = [], [], []
    for i in range(n):
        elements = []
        for j in range(k):
            y = float(targets[i][j]) * (1 - label_smoothing) + label_smoothing / 2
            x = rows[i][j]
            if kind == "logits":
                neg_log_p, neg_log_q = _softplus(-x), _softplus(x)
                p = 1 / (1 + math.exp(-x)) if x > -700 else 0.0
            else:
                p = min(max(x, eps), 1 - eps) if eps > 0 else x
                neg_log_p = -math.log(p) if p > 0 else math.inf
                neg_log_q = -math.log(1 - p) if p < 1 else math.inf
            loss = (pw[j] * y * neg_log_p if y else 0.0) + ((1 - y) * neg_log_q if y < 1 else 0.0)
            if focal_gamma is not None or focal_alpha is not None:
                p_t = y * p + (1 - y) * (1 - p)
                loss *= (1 - p_t) ** (focal_gamma or 0.0)
                if focal_alpha is not None:
                    loss *= focal_alpha * y + (1 - focal_alpha) * (1 - y)
            elements.append(loss)
        per_sample.append(math.fsum(elements) / k)
        numer.append(s[i] * math.fsum(elements))
        denom.append(s[i] * k)
    if reduction == "none":
        return per_sample
    if reduction == "sum":
        return math.fsum(numer)
    return math.fsum(numer) / math.fsum(denom)


def kl(p: list[float], q: list[float]) -> float:
    """KL(p‖q) = Σ p log(p/q): 0 where p = 0, inf where q = 0 < p (nats)."""
    total = 0.0
    for a, b in zip(p, q):
        if a > 0:
            if b == 0:
                return math.inf
            total += a * math.log(a / b)
    return total
