"""Softmax cross-entropy: one loss value per sample, for logits, probabilities or log-probs.

Semantics of ``torch.nn.functional.cross_entropy`` (class weights, ignore_index, label
smoothing, index and dense targets) plus Keras' focal loss and scikit-learn's sample weights.
Numerical choices, stated where they are made:

* log-softmax through the max shift: with ``m = max_c x_c`` and ``d = x − m``,
  ``−log softmax(x)_c = log1p(Σ_{c'≠argmax} e^{d_c'}) − d_c``. Leaving the arg-max term out of
  the sum and taking ``log1p`` keeps full *relative* precision for confident, correct
  predictions, where the loss is tiny (PyTorch's ``log(Σ)`` loses it).
* Everything is computed in float64; float16/float32 inputs are converted a block at a time
  (the compiled kernels convert as they read, bfloat16 bits too).
* A temperature divides the logits (``softmax(x / T)``): inside the fused kernel's pass where
  it can (:func:`cece._native.scales`), else in float64 first
  (:func:`cece.losses.temperature.soften`).
* Probabilities are clipped to ``[eps, 1 − eps]`` before the log (scikit-learn's rule);
  ``eps = 0`` turns clipping off, and a zero probability on a target class then gives ``inf``.
* ``0 · log 0 = 0``: classes with zero target mass contribute nothing, even where ``log q`` is
  ``−inf`` (scipy's ``xlogy`` convention).
"""

from __future__ import annotations

import math

import numpy as np

from cece import _native as kernels
from cece.losses.divergence import renormalized
from cece.losses.fused import fused, index_logits
from cece.losses.temperature import soften, temperature_kind
from cece.losses.terms import KINDS, Terms, compute_dtype, count_clip_moves, default_eps, weigh

# -- −log q for one block of predictions -----------------------------------------------------------


class _FromLogits:
    """−log softmax(x) = log_z + (m − x), from the row maxima ``m`` and ``log_z`` (kernels)."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        self.m, self.log_z, self.tops = kernels.lse_parts(x)
        self._d: np.ndarray | None = None
        self._xy: tuple[np.ndarray, np.ndarray] | None = None

    def _take(self, y: np.ndarray) -> np.ndarray:
        """x[i, y[i]], gathered once per target vector (the loss and accuracy both need it)."""
        if self._xy is None or self._xy[0] is not y:
            self._xy = (y, kernels.take(self.x, y))
        return self._xy[1]

    @property
    def d(self) -> np.ndarray:
        """x − m, row by row (only the dense-target, smoothing and focal paths need it)."""
        if self._d is None:
            self._d = self.x - self.m[:, None]
        return self._d

    def at(self, y: np.ndarray) -> np.ndarray:
        return self.log_z + (self.m - self._take(y))

    def matrix(self) -> np.ndarray:
        return self.log_z[:, None] - self.d

    def dot(self, t: np.ndarray) -> np.ndarray:
        """Σ_c t_c · (−log q_c), as two sums of non-negative terms (no cancellation)."""
        return self.log_z * t.sum(axis=1, dtype=np.float64) - _xdot(t, self.d)

    def correct(self, y: np.ndarray) -> np.ndarray:
        return kernels.argmax_correct(self.x, self.m, self._take(y), y, maybe_tied=self.tops >= 2)

    def predicted(self, rows) -> np.ndarray:
        return np.argmax(self.x[rows], axis=1)

    def q_at_rows(self, rows, y: np.ndarray) -> np.ndarray:
        x, yr = self.x[rows], y[rows]
        return np.exp(-(self.log_z[rows] + (self.m[rows] - x[kernels.arange(len(x)), yr])))


class _Picked:
    """The kinds read as they are (probabilities, log-probabilities): the block kept in its own
    dtype, each row's value at its label and the arg-max check taken once per target vector
    in one pass (``kernels.index_pick``), float64 only where a whole matrix is needed."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        self._wide: np.ndarray | None = None
        self._picked: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def wide(self) -> np.ndarray:
        """The block in float64 (exact), for the dense-target, smoothing and focal paths."""
        if self._wide is None:
            self._wide = self.x.astype(compute_dtype(self.x.dtype), copy=False)
        return self._wide

    def _pick(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(x[i, y[i]] as float64, whether y[i] is row i's first maximum), once per ``y``."""
        if self._picked is None or self._picked[0] is not y:
            self._picked = (y, *kernels.index_pick(self.x, y))
        return self._picked[1], self._picked[2]

    def correct(self, y: np.ndarray) -> np.ndarray:
        return self._pick(y)[1]

    def predicted(self, rows) -> np.ndarray:
        return np.argmax(self.x[rows], axis=1)


class _FromProbs(_Picked):
    """−log clip(p, eps, 1 − eps)."""

    def __init__(self, p: np.ndarray, eps: float) -> None:
        super().__init__(p)
        self.eps = eps
        # of the last at(y): y, then the (min, max) of its picked values and of their losses
        self.extrema: tuple[np.ndarray, tuple[float, float], tuple[float, float]] | None = None

    def _clip(self, v: np.ndarray) -> np.ndarray:
        if self.eps <= 0:
            return v
        return np.clip(v, self.eps, 1 - self.eps)

    def clipped(
        self, y: np.ndarray | None, mass: np.ndarray | None, unit: float
    ) -> tuple[int, int]:
        """Values whose clip moves the loss (``count_clip_moves``): the target class's of the
        rows in ``mass`` (``y`` given; None: every row), else every value where ``mass``
        (N, C) is set."""
        if y is None:
            assert mass is not None  # (N, C): which values carry target mass
            return count_clip_moves(self.wide, self.eps, unit, mass)
        picked = self._pick(y)[0]
        if mass is None:  # the picked values' extrema, kept by at(y)'s pass where it ran
            known = self.extrema[1] if self.extrema and self.extrema[0] is y else None
            return count_clip_moves(picked, self.eps, unit, extent=known)
        return count_clip_moves(picked[mass], self.eps, unit)

    def at(self, y: np.ndarray) -> np.ndarray:
        out, picked, loss = kernels.neg_log_clip(self._pick(y)[0], self.eps)
        self.extrema = (y, picked, loss)
        return out

    def matrix(self) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return -np.log(self._clip(self.wide))

    def dot(self, t: np.ndarray) -> np.ndarray:
        return _xdot(t, self.matrix())

    def q_at_rows(self, rows, y: np.ndarray) -> np.ndarray:
        p = self.x[rows]
        return p[kernels.arange(len(p)), y[rows]].astype(np.float64)


class _FromLogProbs(_Picked):
    """−log q = −(the given log-probabilities), used as given (like ``torch.nll_loss``)."""

    def at(self, y: np.ndarray) -> np.ndarray:
        return -self._pick(y)[0]

    def matrix(self) -> np.ndarray:
        return -self.wide

    def dot(self, t: np.ndarray) -> np.ndarray:
        return _xdot(t, self.matrix())

    def q_at_rows(self, rows, y: np.ndarray) -> np.ndarray:
        lp = self.x[rows]
        return np.exp(lp[kernels.arange(len(lp)), y[rows]].astype(np.float64))


class _Focal:
    """Focal modulation of another ``−log q``: ``f_c = α (1 − q_c)^γ · (−log q_c)`` (Keras)."""

    def __init__(
        self, base: _FromLogits | _FromProbs | _FromLogProbs, gamma: float, alpha: float
    ) -> None:
        self.base, self.gamma, self.alpha = base, gamma, alpha
        self.correct, self.predicted = base.correct, base.predicted

    def _f(self, nll: np.ndarray) -> np.ndarray:
        # 1 − q = −expm1(−nll): exact where q is close to 1 (Keras: 1 − clip(p)).
        nll = nll.astype(np.float64)
        with np.errstate(invalid="ignore"):
            f = weigh(self.alpha * np.power(-np.expm1(-nll), self.gamma), nll)
        return np.where(np.isposinf(nll) & (self.alpha != 0), np.inf, f)

    def at(self, y: np.ndarray) -> np.ndarray:
        return self._f(self.base.at(y))

    def matrix(self) -> np.ndarray:
        return self._f(self.base.matrix())

    def dot(self, t: np.ndarray) -> np.ndarray:
        return _xdot(t, self.matrix())


def _xdot(t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row-wise Σ_c t_c v_c with 0 · ±inf = 0 (only where the target has mass)."""
    with np.errstate(invalid="ignore"):  # 0 · inf, set to 0 below
        prod = np.multiply(t, v, dtype=np.float64)
    if not np.isfinite(v).all():
        prod[t == 0] = 0.0
    return prod.sum(axis=1)


def picks(kind: str, renormalize: bool) -> bool:
    """Whether class-index targets' values come from ``kernels.index_pick`` (probabilities;
    log-probabilities unless --renormalize, which makes them a softmax): :func:`_neg_log_q`."""
    return kind == "probs" or (kind == "log-probs" and not renormalize)


def _neg_log_q(preds: np.ndarray, kind: str, *, eps: float, renormalize: bool):
    if kind == "logits" or (kind == "log-probs" and renormalize):
        # log-softmax of log-probabilities renormalizes them; float32 rows as they are (no
        # float64 copy of the block): lse_parts widens them chunk by chunk, and x − m, the
        # picks and the arg-max are exact in float64 from them
        return _FromLogits(kernels.exact_float(preds))
    if kind == "probs":
        if renormalize:
            return _FromProbs(renormalized(preds.astype(compute_dtype(preds.dtype))), eps)
        return _FromProbs(preds, eps)  # read as they are: float64 only where a matrix is
    if kind == "log-probs":
        return _FromLogProbs(preds)
    raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")


# -- the categorical loss ---------------------------------------------------------------------------


def categorical_terms(
    preds: np.ndarray,
    targets: np.ndarray,
    *,
    kind: str = "logits",
    weight: np.ndarray | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    sample_weight: np.ndarray | None = None,
    focal_gamma: float | None = None,
    focal_alpha: float | None = None,
    eps: float | None = None,
    renormalize: bool = False,
    temperature: float = 1.0,
    predicted: bool = True,
) -> Terms:
    """Per-sample categorical cross-entropy of ``preds`` (N, C) against ``targets``.

    ``temperature`` T divides logits before the softmax (``F.cross_entropy(x / T, y)``);
    logits only. ``predicted=False``: the fused pass (logits, class indices) does not store
    every row's arg-max; ``details`` computes it for the rows it is asked for, the same.

    ``targets`` are class indices (N,) or dense rows (N, C): one-hot or probabilities.

    .. math::

        \\ell_n = -\\sum_c w_c\\, t_{n,c} \\log q_{n,c},\\qquad
        t_n = (1-\\varepsilon)\\,\\mathrm{onehot}(y_n) + \\varepsilon / C

    For index targets the mean divides by ``Σ_n s_n w_{y_n}`` over non-ignored samples
    (PyTorch), for dense targets by ``Σ_n s_n`` (PyTorch: ``N``); ``s`` are sample weights.
    With ``focal_gamma`` each ``−log q_c`` becomes ``α (1 − q_c)^γ (−log q_c)``.
    """
    n, n_classes = preds.shape
    if fused(
        kind,
        index_targets=targets.ndim == 1,
        label_smoothing=label_smoothing,
        focal_gamma=focal_gamma,
        focal_alpha=focal_alpha,
    ) and kernels.scales(preds, temperature):
        return index_logits(
            preds, targets, weight, ignore_index, sample_weight, temperature, predicted
        )
    if preds.dtype == kernels.BFLOAT16:  # bits reach only the fused kernel as they are
        preds = kernels.bfloat16_to_float32(preds)
    if temperature != 1:
        temperature_kind(kind, "preds", "temperature")
        preds = soften(preds, temperature)
    eps = default_eps(preds.dtype) if eps is None else eps
    nlq = _neg_log_q(preds, kind, eps=eps, renormalize=renormalize)
    plain = nlq
    if focal_gamma is not None or focal_alpha is not None:
        nlq = _Focal(nlq, focal_gamma or 0.0, 1.0 if focal_alpha is None else focal_alpha)
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    eps_ls = float(label_smoothing)
    out: dict = {}
    if targets.ndim == 1:
        y = targets.astype(np.intp, copy=False)
        valid = None if ignore_index is None else y != ignore_index
        if valid is not None:
            y = np.where(valid, y, 0)
        wy = None if w is None else w[y]
        loss = nlq.at(y) if wy is None else weigh(wy, nlq.at(y))
        if eps_ls:
            smooth = _weighted_row_sum(nlq, np.ones(n_classes) if w is None else w)
            loss = weigh(1 - eps_ls, loss) + weigh(eps_ls / n_classes, smooth)
            # unweighted and not focal, the loss is the cross-entropy the info needs
            ce = loss if (w is None and nlq is plain) else None
            out.update(_smoothed_index_info(plain, y, eps_ls, n_classes, ce))
        denom = kernels.ones(n) if wy is None else wy  # shared: a plain block (reduce)
        plain_loss = wy is None and not eps_ls and valid is None  # the loss as at(y) gave it
        if isinstance(nlq, _FromProbs) and plain_loss and nlq.extrema:
            out["extrema"] = nlq.extrema[2]  # kept in its pass
        correct = nlq.correct(y)
        if valid is not None:
            loss, denom, correct = np.where(valid, loss, 0.0), denom * valid, correct & valid
        target = y
    else:
        valid = None
        t = targets.astype(np.float64, copy=False)
        if eps_ls:
            t = (1 - eps_ls) * t + eps_ls / n_classes
        loss = nlq.dot(t if w is None else t * w)
        denom = kernels.ones(n)
        target = np.argmax(t, axis=1)
        correct = nlq.correct(target)
        ce = loss if (w is None and nlq is plain) else plain.dot(t)
        out.update(_entropy_kl(t, ce))
    s = None
    if sample_weight is not None:
        s = np.asarray(sample_weight, dtype=np.float64)
        denom = denom * s
    clipped = (0, 0)
    if isinstance(plain, _FromProbs) and eps > 0:
        unit = default_eps(preds.dtype)
        if targets.ndim == 1 and not eps_ls:  # one term per sample: its target class
            clipped = plain.clipped(target, valid, unit)  # valid None: every row
        elif targets.ndim == 1:  # smoothed index targets: every class has target mass
            mass = np.ones(preds.shape, bool)
            clipped = plain.clipped(None, mass if valid is None else mass & valid[:, None], unit)
        else:  # dense rows: the classes with target mass (all of them under smoothing)
            clipped = plain.clipped(None, t > 0, unit)

    def details(rows) -> dict[str, np.ndarray]:
        """Per-row fields for the rows shown or streamed (computed only for those)."""
        return {"predicted": nlq.predicted(rows), "p_target": plain.q_at_rows(rows, target)}

    return Terms(
        loss=loss,
        numerator=loss if s is None else weigh(s, loss),
        weight=denom,
        valid=kernels.ones(n, bool) if valid is None else valid,
        correct=correct,
        target=target,
        sample_weight=s,
        details=details,
        clipped_low=clipped[0],
        clipped_high=clipped[1],
        **out,
    )


def _weighted_row_sum(nlq, w: np.ndarray) -> np.ndarray:
    """Σ_c w_c · (−log q_c) per row; for logits without the (N, C) float64 matrix.

    A multiply and numpy's own row sums, not ``@``: BLAS's matrix-vector product may sum in an
    order that depends on its thread count, and results must not.
    """
    ones = bool(np.all(w == 1))  # v · 1 is v, to the bit: no product pass
    if isinstance(nlq, _FromLogits):  # a class of weight 0 leaves its −inf out (weigh)
        d = nlq.d
        return nlq.log_z * w.sum() - np.add.reduce(d if ones else weigh(w, d), axis=1)
    v = nlq.matrix()
    return np.add.reduce(v if ones else weigh(w, v), axis=1)


def _entropy_kl(t: np.ndarray, ce: np.ndarray) -> dict:
    """H(t) and KL(t‖q) = CE − H(t) (clamped at 0 against rounding)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tlogt = np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0)), 0.0)
    h = -tlogt.sum(axis=1)
    return {"entropy": h, "kl": np.maximum(ce - h, 0.0)}


def _smoothed_index_info(
    nlq, y: np.ndarray, eps_ls: float, n_classes: int, ce: np.ndarray | None = None
) -> dict:
    """Entropy and KL for index targets under label smoothing (a soft target); ``ce``: the
    smoothed cross-entropy where the caller has it (the same operations: not again)."""
    hi, lo = 1 - eps_ls + eps_ls / n_classes, eps_ls / n_classes
    h = -(_xlogx(hi) + (n_classes - 1) * _xlogx(lo))  # ε/C may underflow to 0: 0·log 0 = 0
    if ce is None:
        ce = (1 - eps_ls) * nlq.at(y) + lo * _weighted_row_sum(nlq, np.ones(n_classes))
    return {"entropy": np.full(len(y), h), "kl": np.maximum(ce - h, 0.0)}


def _xlogx(v: float) -> float:
    return v * math.log(v) if v > 0 else 0.0
