"""The losses as plain functions over NumPy arrays (the library API).

Each returns one value per sample (``reduction="none"``) or its reduction, in nats (divide by
``log(base)`` for other units). The math lives in :mod:`cece.losses.softmax`,
:mod:`cece.losses.sigmoid` and :mod:`cece.losses.divergence`; these wrappers check their
arguments (:mod:`cece.losses.validate`, the rules and wording the command line uses) and add
the reduction, with PyTorch's definitions of the mean.

Invalid input raises :class:`cece.errors.CeceError`, a ``ValueError``: a wrong shape, a label
outside 0..C-1, NaN or ±inf, a probability outside [0, 1], an option outside its domain.
No function returns a number for input it cannot give a meaningful number for.
"""

from __future__ import annotations

import numpy as np

from cece.losses import broadcast, validate
from cece.losses import temperature as temperature_scaling
from cece.losses.divergence import entropy, kl_divergence
from cece.losses.sigmoid import binary_terms
from cece.losses.softmax import categorical_terms
from cece.losses.terms import KINDS, Terms, compute_dtype, default_eps, reduce_terms, weigh

__all__ = [
    "KINDS",
    "Terms",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "compute_dtype",
    "default_eps",
    "entropy",
    "kl_divergence",
    "reduce_terms",
]


def categorical_cross_entropy(
    preds: np.ndarray,
    targets: np.ndarray,
    *,
    kind: str = "logits",
    reduction: str = "mean",
    weight: np.ndarray | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    sample_weight: np.ndarray | None = None,
    focal_gamma: float | None = None,
    focal_alpha: float | None = None,
    eps: float | None = None,
    renormalize: bool = False,
    class_axis: int = -1,
    rescale: np.ndarray | float | None = None,
    temperature: float | None = None,
) -> float | np.ndarray:
    """Categorical (softmax) cross-entropy in nats, as ``torch.nn.functional.cross_entropy``.

    Shapes: ``preds`` is (N, C) with C ≥ 2, or any rank with the classes on ``class_axis``
    (the last by default, as the CLI; PyTorch's (N, C, d…) is ``class_axis=1``): the other axes
    are samples. ``targets`` is class indices of the predictions' shape without the class axis,
    or dense rows (one-hot or probabilities) of the predictions' shape. A 1-D ``preds`` is one
    sample (PyTorch's unbatched input) with a scalar index or a (C,) target row.

    .. math::

        \\ell_n = -\\sum_c w_c\\, t_{n,c} \\log q_{n,c},\\qquad
        t_n = (1-\\varepsilon)\\,t_n + \\varepsilon / C

    with ``q = softmax(preds)`` for ``kind="logits"`` (through the max shift, so any finite
    logits work), ``q = clip(preds, eps, 1 − eps)`` for ``kind="probs"`` and
    ``log q = preds`` for ``kind="log-probs"``; ``0 · log 0 = 0``. The ``mean`` divides by
    ``Σ_n s_n w_{y_n}`` over the samples not ignored (index targets, PyTorch) or by
    ``Σ_n s_n`` (dense targets; PyTorch: N); it is NaN when every sample is ignored. Focal loss
    (Keras ``CategoricalFocalCrossentropy``) replaces each ``−log q_c`` by
    ``α (1 − q_c)^γ (−log q_c)``.

    Args:
        preds: (N, C) logits, probabilities or log-probabilities, finite; logits and
            log-probabilities may be −inf (a class of probability 0: a −inf on the target
            gives ``inf``), but not a whole row; with ``renormalize``, probability rows may be
            counts (values ≥ 0, a positive sum).
        targets: (N,) integral class indices in 0..C-1 (or equal to ``ignore_index``; (N, 1)
            is squeezed, as Keras' sparse labels), or (N, C) target rows in [0, 1].
        kind: what ``preds`` hold: ``"logits"`` (the default, as PyTorch), ``"probs"`` (values
            in [0, 1]) or ``"log-probs"`` (values ≤ 0).
        reduction: ``"mean"`` (PyTorch's weighted mean), ``"sum"`` or ``"none"``.
        weight: (C,) finite class weights (negative ones allowed, as in PyTorch).
        ignore_index: a label whose samples are skipped (index targets only).
        label_smoothing: ε in [0, 1].
        sample_weight: (N,) finite weights ≥ 0; the mean becomes Σ sᵢℓᵢ / Σ sᵢwᵢ (scikit-learn).
        focal_gamma: γ ≥ 0. focal_alpha: α ≥ 0 (default 1; Keras' default is 0.25).
        eps: probability clip in [0, 0.5) (default: the machine epsilon of the dtype,
            scikit-learn's rule); 0 turns it off.
        renormalize: divide probability rows by their sum first (Keras).
        class_axis: the axis of ``preds`` that holds the classes.
        rescale: finite factors on each sample's loss (Keras' ``sample_weight``): one value or
            one per sample; unlike ``sample_weight`` the mean still divides by the count.
        temperature: T, a finite number > 0: the logits are divided by T (in float64) before
            the softmax, as distillation code's ``cross_entropy(logits / T, y)``; logits only
            (``kind="logits"``); None or 1 changes nothing.

    Returns:
        A float for ``mean``/``sum``; for ``none``, one value per sample in the predictions'
        shape without the class axis (N,) for (N, C).

    Raises:
        ValueError (:class:`cece.errors.CeceError`): for any invalid argument.

    >>> x = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    >>> round(categorical_cross_entropy(x, np.array([0, 2])), 12)
    1.275268796472
    >>> categorical_cross_entropy(x, np.array([5, 0]))
    Traceback (most recent call last):
    ...
    cece.errors.InputError: targets: row 0: label 5 is out of range for 3 classes (expected 0..2)
    """
    temperature_scaling.check_temperature(temperature, "temperature")
    x = validate.as_array(preds, "preds")
    t = validate.as_array(targets, "targets", "class indices or target rows")
    validate.check_integer(class_axis, "class_axis")
    validate.not_empty(x, "preds", class_axis)
    x, t, samples = broadcast.move_classes(x, t, class_axis)
    if sample_weight is not None and np.shape(sample_weight) == samples and len(samples) > 1:
        sample_weight = np.reshape(sample_weight, -1)
    preds, targets, weight, sample_weight = validate.categorical_args(
        x,
        t,
        kind=kind,
        reduction=reduction,
        weight=weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        sample_weight=sample_weight,
        focal_gamma=focal_gamma,
        focal_alpha=focal_alpha,
        eps=eps,
        renormalize=renormalize,
    )
    preds = temperature_scaling.divide(preds, temperature, kind, "preds")
    # Weights near 1e308 times a loss overflow to inf: the mean is refused in words
    # (reduce_terms), sum and none are inf as PyTorch gives them; no numpy RuntimeWarning
    # leaks from the library.
    with np.errstate(over="ignore"):
        terms = categorical_terms(
            preds,
            targets,
            kind=kind,
            weight=weight,
            ignore_index=ignore_index,
            label_smoothing=label_smoothing,
            sample_weight=sample_weight,
            focal_gamma=focal_gamma,
            focal_alpha=focal_alpha,
            eps=eps,
            renormalize=renormalize,
        )
        if rescale is not None:
            r = np.asarray(rescale)
            r = r.reshape(-1) if r.shape == samples and len(samples) > 1 else r
            f = broadcast.element_factors(r, 1, len(preds), "rescale")[:, 0]
            terms.loss, terms.numerator = weigh(f, terms.loss), weigh(f, terms.numerator)
        out = reduce_terms(terms, reduction)
    return out.reshape(samples) if isinstance(out, np.ndarray) else out


def binary_cross_entropy(
    probs: np.ndarray,
    targets: np.ndarray,
    *,
    reduction: str = "mean",
    pos_weight: float | np.ndarray | None = None,
    label_smoothing: float = 0.0,
    sample_weight: np.ndarray | None = None,
    focal_gamma: float | None = None,
    focal_alpha: float | None = None,
    eps: float | None = None,
    rescale: float | np.ndarray | None = None,
    elementwise: bool = False,
) -> float | np.ndarray:
    """Binary cross-entropy of probabilities in nats, as ``torch.nn.functional.
    binary_cross_entropy`` (with scikit-learn's clipping of ``p`` to [eps, 1 − eps]).

    Shapes: ``probs`` and ``targets`` are both (N,) or both (N, K) (K independent labels per
    sample, multi-label).

    .. math::

        \\ell = -\\big(w_+\\, y \\log p + (1 - y) \\log (1 - p)\\big),\\qquad
        p \\leftarrow \\mathrm{clip}(p, \\varepsilon, 1 - \\varepsilon)

    with ``log(1 − p)`` taken as ``log1p(−p)`` and ``0 · log 0 = 0``. A sample's loss is the
    mean over its K elements; ``mean`` is the mean over all N·K elements, ``sum`` their sum.

    Args:
        probs: probabilities in [0, 1].
        targets: the same shape, values in [0, 1] (hard 0/1 or soft).
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (one value per sample).
        pos_weight: weight of the positive term, > 0: a scalar, one per column (PyTorch) or
            one per element (N, K).
        label_smoothing: ε in [0, 1]; targets become y(1 − ε) + ε/2 (Keras).
        sample_weight: (N,) weights ≥ 0; the mean becomes Σ sᵢΣₖℓᵢₖ / (K Σ sᵢ).
        focal_gamma: γ ≥ 0; focal_alpha: α in [0, 1] (Keras ``BinaryFocalCrossentropy``).
        eps: the clip, in [0, 0.5) (default: the machine epsilon of the dtype); 0 turns it off.
        rescale: finite factors on each element's loss (PyTorch's ``weight=``; Keras'
            ``sample_weight`` one per row): one, one per column (K,), one per row (N, 1) (or
            (N,) where N ≠ K) or one per element (N, K); the mean still divides by N·K.
        elementwise: with ``none``, one value per element (the predictions' shape, as PyTorch)
            instead of one per sample.

    Returns:
        A float for ``mean``/``sum``; for ``none`` an (N,) float64 array (with
        ``elementwise``: the predictions' shape).

    >>> round(binary_cross_entropy(np.array([0.7]), np.array([0.6])), 12)
    0.695594088094
    """
    return _binary(
        probs,
        targets,
        "probs",
        reduction=reduction,
        pos_weight=pos_weight,
        label_smoothing=label_smoothing,
        sample_weight=sample_weight,
        focal_gamma=focal_gamma,
        focal_alpha=focal_alpha,
        eps=eps,
        rescale=rescale,
        elementwise=elementwise,
    )


def binary_cross_entropy_with_logits(
    logits: np.ndarray,
    targets: np.ndarray,
    *,
    reduction: str = "mean",
    pos_weight: float | np.ndarray | None = None,
    label_smoothing: float = 0.0,
    sample_weight: np.ndarray | None = None,
    focal_gamma: float | None = None,
    focal_alpha: float | None = None,
    rescale: float | np.ndarray | None = None,
    elementwise: bool = False,
) -> float | np.ndarray:
    """Binary cross-entropy of logits in nats, as ``torch.nn.functional.
    binary_cross_entropy_with_logits``.

    Shapes: ``logits`` and ``targets`` are both (N,) or both (N, K).

    .. math::

        \\ell = w_+\\, y\\, \\mathrm{softplus}(-x) + (1 - y)\\, \\mathrm{softplus}(x),
        \\qquad \\mathrm{softplus}(x) = \\max(x, 0) + \\mathrm{log1p}(e^{-|x|})

    exact for logits of any size (x = ±100 gives exactly 100); ``0 · log 0 = 0``. Reductions,
    smoothing, sample weights and focal loss as in :func:`binary_cross_entropy`.

    Args:
        logits: finite logits, or −inf (σ = 0: 0 on target 0, ``inf`` on a target above 0;
            PyTorch gives nan there).
        targets: the same shape, values in [0, 1].
        reduction, pos_weight, label_smoothing, sample_weight, focal_gamma, focal_alpha,
            rescale, elementwise: as in :func:`binary_cross_entropy`.

    Returns:
        A float for ``mean``/``sum``; for ``none`` an (N,) float64 array (with
        ``elementwise``: the predictions' shape).

    >>> binary_cross_entropy_with_logits(np.array([100.0, -100.0]), np.array([0.0, 1.0]),
    ...                                  reduction="none")
    array([100., 100.])
    """
    return _binary(
        logits,
        targets,
        "logits",
        reduction=reduction,
        pos_weight=pos_weight,
        label_smoothing=label_smoothing,
        sample_weight=sample_weight,
        focal_gamma=focal_gamma,
        focal_alpha=focal_alpha,
        eps=None,
        rescale=rescale,
        elementwise=elementwise,
    )


def _binary(
    preds,
    targets,
    kind: str,
    *,
    reduction: str,
    pos_weight,
    label_smoothing: float,
    sample_weight,
    focal_gamma,
    focal_alpha,
    eps,
    rescale=None,
    elementwise: bool = False,
) -> float | np.ndarray:
    per_element = pos_weight is not None and np.ndim(pos_weight) == 2
    preds, targets, pw, sample_weight = validate.binary_args(
        preds,
        targets,
        name=kind,
        kind=kind,
        reduction=reduction,
        pos_weight=None if per_element else pos_weight,
        label_smoothing=label_smoothing,
        sample_weight=sample_weight,
        focal_gamma=focal_gamma,
        focal_alpha=focal_alpha,
        eps=eps,
    )
    shape = preds.shape
    if preds.ndim == 1:
        preds, targets = preds.reshape(-1, 1), targets.reshape(-1, 1)
    n, k = preds.shape
    if per_element:
        pw = broadcast.element_factors(pos_weight, k, n, "pos_weight")
    factors = None
    if rescale is not None:
        r = np.asarray(rescale)
        factors = broadcast.element_factors(
            r.reshape(-1) if len(shape) == 1 else r, k, n, "rescale"
        )
    with np.errstate(over="ignore"):  # as categorical_cross_entropy: no RuntimeWarning
        terms = binary_terms(
            preds,
            targets,
            kind=kind,
            pos_weight=pw,
            rescale=factors,
            elementwise=elementwise,
            label_smoothing=label_smoothing,
            sample_weight=sample_weight,
            focal_gamma=focal_gamma,
            focal_alpha=focal_alpha,
            eps=eps,
        )
        out = reduce_terms(terms, reduction)
    return out.reshape(shape) if isinstance(out, np.ndarray) and elementwise else out
