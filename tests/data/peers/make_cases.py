"""Generate tests/data/peers/cases.json: the peers' own test inputs, run through the peers.

Each case is one call that a peer's own test suite makes (or its sample-input generator yields),
translated to the cece command a user would type, with the value the peer itself computed.
tests/test_peers.py runs every case in-process through the CLI; the suite never needs a peer.

Run by hand when the cases should change (in an environment with the peers):

    pip install torch==2.13.0 scikit-learn==1.9.1 scipy keras==3.15.1 optax expecttest
    KERAS_BACKEND=torch python tests/data/peers/make_cases.py

Sources (the file each case's ``source`` names):

* PyTorch (``torch/testing/_internal/``, shipped in the torch wheel and imported from it):
  ``common_methods_invocations.py`` (the OpInfo ``sample_inputs`` of
  ``nn.functional.cross_entropy``, ``nll_loss``, ``binary_cross_entropy``,
  ``binary_cross_entropy_with_logits``, ``kl_div``), ``common_modules.py`` (the ModuleInfo
  ``module_inputs`` of ``CrossEntropyLoss``, ``NLLLoss``, ``BCELoss``, ``BCEWithLogitsLoss``,
  ``KLDivLoss``), ``common_nn.py`` (``criterion_tests``: the ``*_no_batch_dim_*`` cases), and
  cases after ``test/test_nn.py``'s loss tests (``test_cross_entropy_label_smoothing_*``,
  ``test_bce_with_logits_*``, ``test_KLDivLoss_batch_mean*``: their shapes and options, inputs
  drawn here with a fixed seed), in float64 and float32 (the OpInfo samples in float16 too;
  float64 inputs rounded to 8 significant digits first). The peer value is the torch function
  on the exact stored input, computed in float64; the tolerance is torch.testing's for the
  input's dtype.
* scikit-learn ``sklearn/metrics/tests/test_classification.py`` (``test_log_loss*``):
  ``sklearn.metrics.log_loss``.
* Keras ``keras/src/losses/losses_test.py`` (BinaryCrossentropy, CategoricalCrossentropy,
  SparseCategoricalCrossentropy, KLDivergence, the focal losses): the Keras loss objects, torch
  backend.
* optax ``optax/losses/_classification_test.py``: ``softmax_cross_entropy``,
  ``safe_softmax_cross_entropy``, ``softmax_cross_entropy_with_integer_labels``,
  ``sigmoid_binary_cross_entropy``, ``kl_divergence``, ``kl_divergence_with_log_targets``.
* SciPy ``scipy/stats/tests/test_entropy.py`` and ``scipy/special/tests/test_basic.py``
  (``rel_entr``): ``scipy.stats.entropy``, ``scipy.special.rel_entr``.

Translation rules (the README's "Conventions by library" says the same for users):

* ``F.cross_entropy`` → ``cece categorical --from logits``; ``(N, C, d…)`` → ``--class-axis 1``;
  an unbatched ``(C,)`` input is one row; ``weight`` → ``--weight``, ``ignore_index`` →
  ``--ignore-index``, ``label_smoothing`` → ``--label-smoothing``, ``reduction`` → ``-r``.
* ``F.nll_loss`` takes log-probabilities: ``--from log-probs``. The OpInfo/ModuleInfo inputs are
  unnormalised random numbers; a case keeps them as drawn (a positive value is not a
  log-probability: outside nll_loss' documented domain, cece must refuse) and adds the same
  sample through ``log_softmax`` (inside it: the values must agree).
* ``F.binary_cross_entropy`` → ``cece binary --from probs``; ``_with_logits`` → ``--from
  logits``; ``pos_weight`` of one value or one per column → ``--pos-weight``; torch's
  ``weight=`` → ``--rescale`` (needs it); ``reduction='sum'``/``'none'`` over several columns is
  element-wise in torch → ``--elementwise`` (needs it).
* ``F.kl_div(input, target)`` = KL(target ‖ exp(input)) → ``cece kl TARGET INPUT --from probs
  --q-from log-probs`` (``log_target=True``: ``--from log-probs``); ``batchmean`` on 2-D is
  cece's mean; ``sum`` is ``-r sum``; ``mean`` (torch: over elements) and ``none`` need
  ``--elementwise``; ``batchmean`` on a 1-D input divides by the number of classes in torch
  (a convention cece does not follow: one row's KL is the row's KL), so that case compares
  with torch's ``sum``. Raw random inputs are mapped to distributions first (log_softmax,
  softmax), as a user's would be.
* ``sklearn.metrics.log_loss`` → ``cece categorical --from probs`` (``normalize=False`` →
  ``-r sum``; ``labels=`` → ``--classes`` with ``--labels-as name``; ``sample_weight=`` →
  ``--sample-weight``); a 1-D ``y_pred`` (P(positive)) → ``cece binary --from probs``.
* Keras: ``from_logits`` → ``--from logits``; probabilities → ``--from probs`` on the float32
  array Keras computes with (Keras clips to [1e-7, 1 - 1e-7] in float32, whose upper end is
  cece's default eps for float32, 2**-23), ``--renormalize`` for the categorical losses (they
  divide by the row sum); ``sample_weight`` (the mean still divides by the count) →
  ``--rescale`` (needs it); the focal losses' alpha/gamma → ``--focal-alpha``/``--focal-gamma``.
* ``scipy.stats.entropy(pk)`` normalises ``pk``: ``cece entropy --from probs --renormalize``;
  its default ``axis=0`` on 2-D → ``--class-axis 0``; ``entropy(pk, qk)`` → ``cece kl``.

A case whose translation needs an option another part of the work adds has ``needs`` (the
test marks it xfail(strict=True) until the feature lands). A case outside the peer's own
domain has ``expect: "error"``: cece must exit 2 with one ``cece: error:`` line.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import scipy
import sklearn
import torch
import torch.nn.functional as F

OUT = pathlib.Path(__file__).parent / "cases.json"
# torch.testing's default tolerances by dtype
TORCH_TOL = {"float64": (1e-7, 1e-7), "float32": (1.3e-6, 1e-5), "float16": (1e-3, 1e-5)}
CASES: list[dict] = []


def arr(a, as_: str = "npy") -> dict:
    a = np.asarray(a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else a)
    if a.dtype in (np.float32, np.float16):  # the shortest decimal that reads back exactly
        data = [float(str(v)) for v in a.ravel()]
    elif a.dtype.kind == "f":
        data = [float(v) for v in a.ravel()]
    elif a.dtype.kind == "b":
        data = [int(v) for v in a.ravel()]
    else:
        data = [int(v) for v in a.ravel()]
    dtype = "int64" if a.dtype.kind in "iub" else str(a.dtype)
    return {"dtype": dtype, "shape": list(a.shape), "data": data, "as": as_}


def num(v):
    """A peer's result as JSON: a float, or a flat list of floats."""
    a = np.asarray(v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else v, np.float64)
    if a.ndim == 0:
        return float(a)
    return [float(x) for x in a.ravel()]


def add(
    cid,
    peer,
    source,
    call,
    argv,
    arrays,
    expected=None,
    *,
    expect="value",
    tol=(1e-7, 1e-7),
    needs=None,
    note=None,
):
    case = {
        "id": cid,
        "peer": peer,
        "source": source,
        "call": call,
        "argv": argv,
        "arrays": arrays,
        "expect": expect,
        "expected": expected if expect == "value" else None,
        "rtol": tol[0],
        "atol": tol[1],
    }
    if needs:
        case["needs"] = needs
    if note:
        case["note"] = note
    CASES.append(case)


def r8(t: torch.Tensor) -> torch.Tensor:
    """float64 inputs rounded to 8 significant digits before the peer sees them: the file stays
    small, and the peer and cece compute on the very same numbers."""
    if t.dtype != torch.float64:
        return t
    a = t.detach().numpy()
    return torch.from_numpy(np.array([float(f"{v:.8g}") for v in a.ravel()]).reshape(a.shape))


def shape(t) -> str:
    return "x".join(str(s) for s in t.shape) or "scalar"


# ---------------------------------------------------------------------------------------------
# PyTorch: translate one call of a loss function


def torch_categorical(cid, source, fn, x, t, kw, *, log_softmax=False):
    """F.cross_entropy / F.nll_loss → cece categorical."""
    kw = dict(kw)
    dtype = str(x.dtype).removeprefix("torch.")
    if x.numel() == 0 or t.numel() == 0:
        return
    if log_softmax:
        x = torch.log_softmax(x.double(), 1 if x.ndim > 1 else 0).to(x.dtype)
    x, t = r8(x), r8(t)
    weight = kw.get("weight")
    reduction = kw.get("reduction", "mean")
    ii = kw.get("ignore_index", -100)
    ls = float(kw.get("label_smoothing", 0.0))
    expected = getattr(F, fn)(
        x.double(),
        t if t.dtype == torch.long else t.double(),
        weight=None if weight is None else weight.double(),
        reduction=reduction,
        **({"ignore_index": ii} if t.dtype == torch.long else {}),
        **({"label_smoothing": ls} if fn == "cross_entropy" else {}),
    )
    call = (
        f"F.{fn}(input[{shape(x)}], target[{shape(t)}{'' if t.dtype == torch.long else ' probs'}]"
    )
    call += "".join(f", {k}={v!r}" for k, v in kw.items() if k != "weight")
    call += ", weight=[...])" if weight is not None else ")"
    if log_softmax:
        call = call.replace("input[", "log_softmax(input)[")
    note = None
    unbatched = (x, t) if x.ndim == 1 else None
    if x.ndim == 1:  # unbatched: one row
        x, t = x[None], t[None]
        note = "unbatched (C,) input: one row"
    kind = "logits" if fn == "cross_entropy" else "log-probs"
    argv = ["categorical", "{preds}", "{labels}", "--from", kind, "-r", reduction]
    if x.ndim > 2:
        argv += ["--class-axis", "1"]
    needs = None
    if weight is not None:
        argv += ["--weight", ",".join(repr(float(w)) for w in weight)]
        if bool((weight < 0).any()):
            needs = "negative-class-weights"
    if t.dtype == torch.long and ("ignore_index" in kw or bool((t == ii).any())):
        argv += ["--ignore-index", str(ii)]
    if ls:
        argv += ["--label-smoothing", repr(ls)]
    expect = "value"
    if kind == "log-probs" and bool((x > 0).any()):
        expect, needs = "error", None  # not log-probabilities: outside nll_loss' domain
        note = "input has positive values: not log-probabilities"
    add(
        cid,
        "torch",
        source,
        call,
        argv,
        {"preds": arr(x), "labels": arr(t)},
        num(expected),
        expect=expect,
        tol=TORCH_TOL[dtype],
        needs=needs,
        note=note,
    )
    if unbatched is not None:
        # the same call with the arrays as PyTorch takes them: x (C,), y () or (C,) probabilities.
        # A 0-d label makes one sample of C classes; (C,) probabilities beside (C,) predictions
        # are refused today as ambiguous (N binary scores?), though PyTorch's domain has them
        dense = unbatched[1].dtype != torch.long
        add(
            cid + "-1d",
            "torch",
            source,
            call,
            argv,
            {"preds": arr(unbatched[0]), "labels": arr(unbatched[1])},
            num(expected),
            expect=expect,
            tol=TORCH_TOL[dtype],
            needs=needs or ("unbatched-dense-1d" if dense and expect == "value" else None),
            note="unbatched input as given",
        )


def torch_binary(cid, source, fn, x, t, kw):
    """F.binary_cross_entropy[_with_logits] → cece binary."""
    dtype = str(x.dtype).removeprefix("torch.")
    if x.numel() == 0:
        return
    reduction = kw.get("reduction", "mean")
    weight, pos_weight = kw.get("weight"), kw.get("pos_weight")
    logits = fn == "binary_cross_entropy_with_logits"
    t = t.to(x.dtype)
    x, t = r8(x), r8(t)
    extra = {} if pos_weight is None else {"pos_weight": pos_weight.double()}
    expect = "value"
    note = None
    if not logits and (bool((x < 0).any()) or bool((x > 1).any())):
        expect, note = "error", "input outside [0, 1]: not probabilities"
    if bool((t < 0).any()) or bool((t > 1).any()):
        expect, note = "error", "target outside [0, 1]"
    expected = None
    if expect == "value":
        expected = num(
            getattr(F, fn)(
                x.double(),
                t.double(),
                weight=None if weight is None else weight.double(),
                reduction=reduction,
                **extra,
            )
        )
    call = f"F.{fn}(input[{shape(x)}], target[{shape(t)}], reduction={reduction!r}"
    call += ", weight=[...]" if weight is not None else ""
    call += f", pos_weight[{shape(pos_weight)}]" if pos_weight is not None else ""
    call += ")"
    argv = ["binary", "{preds}", "{labels}", "--from", "logits" if logits else "probs"]
    argv += ["-r", reduction]
    if not logits and x.dtype == torch.float16:
        argv += ["--eps", "0"]  # torch does not clip; float16's own eps (1e-3) would
    arrays = {"preds": arr(x), "labels": arr(t)}
    needs = None
    columns = x.shape[-1] if x.ndim >= 2 else 1
    if pos_weight is not None:
        if pos_weight.numel() == 1:
            argv += ["--pos-weight", repr(float(pos_weight.reshape(-1)[0]))]
        elif x.ndim >= 2 and pos_weight.ndim == 1 and pos_weight.shape[0] == columns:
            argv += ["--pos-weight", ",".join(repr(float(w)) for w in pos_weight)]
        else:
            argv += ["--pos-weight", "{pos_weight}"]
            arrays["pos_weight"] = arr(torch.broadcast_to(pos_weight, x.shape).contiguous())
            needs = "pos-weight-elementwise"
    if weight is not None:
        argv += ["--rescale", "{rescale}"]
        arrays["rescale"] = arr(torch.broadcast_to(weight, x.shape).contiguous())
        needs = "rescale"
    if reduction in ("sum", "none") and x.ndim >= 2 and x.numel() != x.shape[0]:
        argv += ["--elementwise"]
        needs = needs or "elementwise"
    if expect == "error":
        needs = None
    add(
        cid,
        "torch",
        source,
        call,
        argv,
        arrays,
        expected,
        expect=expect,
        tol=TORCH_TOL[dtype],
        needs=needs,
        note=note,
    )


def torch_kl(cid, source, x, t, kw, *, raw=False):
    """F.kl_div(input=log q, target=p) → cece kl P Q."""
    dtype = str(x.dtype).removeprefix("torch.")
    if x.numel() == 0 or x.ndim == 0:
        return
    reduction = kw.get("reduction", "mean")
    log_target = bool(kw.get("log_target", False))
    note = None
    expect = "value"
    if raw:
        bad_t = bool((t > 0).any()) if log_target else bool(((t < 0) | (t > 1)).any())
        bad_t = bad_t or not bool(torch.isfinite(t).all()) or not bool(torch.isfinite(x).all())
        if not (bool((x > 0).any()) or bad_t):
            return  # only the raw samples outside the domain are kept
        expect, note = "error", "raw sample: not log-probabilities / probabilities"
    else:
        if not (bool(torch.isfinite(x).all()) and bool(torch.isfinite(t).all())):
            return  # a NaN sample (KLDivLoss' module inputs take log of negatives): raw only
        x = torch.log_softmax(x.double(), -1).to(x.dtype)
        t = (torch.log_softmax if log_target else torch.softmax)(t.double(), -1).to(t.dtype)
    x, t = r8(x), r8(t)
    call = f"F.kl_div({'' if raw else 'log_softmax'}(input)[{shape(x)}], target[{shape(t)}]"
    call += f", reduction={reduction!r}, log_target={log_target})"
    argv = ["kl", "{p}", "{q}", "--from", "log-probs" if log_target else "probs"]
    if not log_target:
        argv += ["--q-from", "log-probs"]
    needs = None
    torch_reduction = reduction
    if reduction == "batchmean" and x.ndim == 2:
        argv += ["-r", "mean"]
    elif reduction == "batchmean":
        # torch divides by input.size(0): for a 1-D input the number of classes. cece's mean
        # is over rows (one row here), so the case compares cece's sum with torch's sum.
        argv += ["-r", "sum"]
        torch_reduction = "sum"
        note = "torch batchmean divides by input.size(0); compared as sums"
    elif reduction == "sum" or raw:  # a raw sample is refused for its values, whatever -r
        argv += ["-r", "sum"]
    else:  # mean over elements, or the elements themselves
        argv += ["-r", reduction, "--elementwise"]
        needs = "elementwise"
    expected = None
    if expect == "value":
        expected = num(
            F.kl_div(x.double(), t.double(), reduction=torch_reduction, log_target=log_target)
        )
    if expect == "error":
        needs = None
    add(
        cid,
        "torch",
        source,
        call,
        argv,
        {"p": arr(t), "q": arr(x)},
        expected,
        expect=expect,
        tol=TORCH_TOL[dtype],
        needs=needs,
        note=note,
    )


def torch_dispatch(cid, source, fn, x, t, kw):
    if fn == "cross_entropy":
        torch_categorical(cid, source, fn, x, t, kw)
    elif fn == "nll_loss":
        torch_categorical(cid + "-raw", source, fn, x, t, kw)
        torch_categorical(cid, source, fn, x, t, kw, log_softmax=True)
    elif fn in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        torch_binary(cid, source, fn, x, t, kw)
    elif fn == "kl_div":
        torch_kl(cid + "-raw", source, x, t, kw, raw=True)
        torch_kl(cid, source, x, t, kw)


def torch_opinfo():
    from torch.testing._internal.common_methods_invocations import op_db

    src = "torch/testing/_internal/common_methods_invocations.py"
    names = ["cross_entropy", "nll_loss", "binary_cross_entropy"]
    names += ["binary_cross_entropy_with_logits", "kl_div"]
    for name in names:
        (op,) = [o for o in op_db if o.name == f"nn.functional.{name}" and not o.variant_test_name]
        for dtype in (torch.float64, torch.float32, torch.float16):
            torch.manual_seed(0)
            for i, s in enumerate(op.sample_inputs("cpu", dtype, requires_grad=False)):
                (t, *rest), kw = s.args, dict(s.kwargs)
                if rest or (dtype == torch.float16 and i % 2):
                    continue  # float16: every other sample
                tag = str(dtype).removeprefix("torch.float")
                torch_dispatch(
                    f"torch-opinfo-{name}-{i:03d}-f{tag}",
                    f"{src}: sample_inputs of nn.functional.{name}",
                    name,
                    s.input,
                    t,
                    kw,
                )


def torch_modules():
    from torch.testing._internal.common_modules import module_db

    src = "torch/testing/_internal/common_modules.py"
    fns = {
        "CrossEntropyLoss": "cross_entropy",
        "NLLLoss": "nll_loss",
        "BCELoss": "binary_cross_entropy",
        "BCEWithLogitsLoss": "binary_cross_entropy_with_logits",
        "KLDivLoss": "kl_div",
    }
    for m in module_db:
        name = m.module_cls.__name__
        if name not in fns:
            continue
        for dtype in (torch.float64, torch.float32):
            torch.manual_seed(0)
            inputs = m.module_inputs_func(
                m, device="cpu", dtype=dtype, requires_grad=False, training=False
            )
            for i, mi in enumerate(inputs):
                if dtype == torch.float32 and (i % 3 or mi.forward_input.args[0].numel() > 100):
                    continue  # float32: every third small sample (the file stays small)
                if mi.forward_input.args[0].numel() > 300 and i % 2:
                    continue  # the large (N, C, d1, d2, d3, d4) samples: every other one
                if mi.constructor_input.args or len(mi.forward_input.args) != 2:
                    continue
                x, t = mi.forward_input.args
                kw = dict(mi.constructor_input.kwargs)
                if not isinstance(t, torch.Tensor) or kw.get("size_average") is not None:
                    continue
                if kw.get("reduce") is not None:
                    continue
                tag = str(dtype).removeprefix("torch.float")
                torch_dispatch(
                    f"torch-module-{name}-{i:03d}-f{tag}",
                    f"{src}: module_inputs of {name}",
                    fns[name],
                    x,
                    t,
                    kw,
                )


def torch_criterion_tests():
    from torch.testing._internal import common_nn

    src = "torch/testing/_internal/common_nn.py: criterion_tests"
    fns = {
        "NLLLoss": "nll_loss",
        "BCELoss": "binary_cross_entropy",
        "BCEWithLogitsLoss": "binary_cross_entropy_with_logits",
        "KLDivLoss": "kl_div",
    }
    for test in common_nn.criterion_tests:
        name = test["fullname"].split("_", 1)[0]
        if name not in fns:
            continue
        for dtype in (torch.float64, torch.float32):
            torch.manual_seed(0)
            x = test["input_fn"]() if "input_fn" in test else torch.randn(test["input_size"])
            t = test["target_fn"]() if "target_fn" in test else torch.randn(test["target_size"])
            x = x.to(dtype)
            t = t if t.dtype == torch.long else t.to(dtype)
            kw = {"reduction": test["fullname"].rsplit("_", 1)[-1]}
            tag = str(dtype).removeprefix("torch.float")
            torch_dispatch(f"torch-nn-{test['fullname']}-f{tag}", src, fns[name], x, t, kw)


def torch_test_nn():
    """Cases after test/test_nn.py's loss tests: their shapes and options, inputs drawn here."""
    src = "test/test_nn.py"
    g = torch.Generator().manual_seed(1234)
    for dtype in (torch.float64, torch.float32):
        tag = str(dtype).removeprefix("torch.float")
        # test_cross_entropy_label_smoothing_consistent_index_target_and_probs /
        # _with_probs / _weight_ignore_indices: N=10, C=5, (N, C, 2, 2) layouts
        for j, (n, c, extra) in enumerate([(10, 5, ()), (4, 5, (2, 2)), (4, 3, (3,))]):
            x = torch.randn((n, c, *extra), generator=g, dtype=torch.float64).to(dtype)
            idx = torch.randint(0, c, (n, *extra), generator=g)
            probs = torch.softmax(torch.randn((n, c, *extra), generator=g, dtype=torch.float64), 1)
            w = torch.rand(c, generator=g, dtype=torch.float64)
            for ls in (0.0, 0.1, 1.0):
                for red in ("mean", "sum", "none"):
                    torch_categorical(
                        f"torch-test_nn-ce-ls{j}-{ls}-{red}-idx-f{tag}",
                        f"{src}: test_cross_entropy_label_smoothing_consistent_index_target_and_probs",
                        "cross_entropy",
                        x,
                        idx,
                        {"label_smoothing": ls, "reduction": red},
                    )
                    torch_categorical(
                        f"torch-test_nn-ce-ls{j}-{ls}-{red}-probs-f{tag}",
                        f"{src}: test_cross_entropy_label_smoothing_with_probs",
                        "cross_entropy",
                        x,
                        probs.to(dtype),
                        {"label_smoothing": ls, "reduction": red},
                    )
                ig = idx.clone()
                ig[::3] = 1
                torch_categorical(
                    f"torch-test_nn-ce-ls{j}-{ls}-weight-ignore-f{tag}",
                    f"{src}: test_cross_entropy_label_smoothing_weight_ignore_indices",
                    "cross_entropy",
                    x,
                    ig,
                    {"label_smoothing": ls, "weight": w, "ignore_index": 1},
                )
        # test_bce_with_logits_* : gives the same result as sigmoid + bce; pos_weight broadcast
        x = torch.randn(64, 4, generator=g, dtype=torch.float64).to(dtype)
        y = (torch.rand(64, 4, generator=g) > 0.5).to(dtype)
        pw = torch.rand(4, generator=g, dtype=torch.float64).to(dtype)
        for red in ("mean", "sum", "none"):
            torch_binary(
                f"torch-test_nn-bcel-{red}-f{tag}",
                f"{src}: test_bce_with_logits_gives_same_result_as_sigmoid_and_bce_loss",
                "binary_cross_entropy_with_logits",
                x,
                y,
                {"reduction": red},
            )
            torch_binary(
                f"torch-test_nn-bce-{red}-f{tag}",
                f"{src}: test_bce_with_logits_gives_same_result_as_sigmoid_and_bce_loss",
                "binary_cross_entropy",
                torch.sigmoid(x),
                y,
                {"reduction": red},
            )
            torch_binary(
                f"torch-test_nn-bcel-pw-{red}-f{tag}",
                f"{src}: test_bce_with_logits_has_correct_forward_grad / pos_weight",
                "binary_cross_entropy_with_logits",
                x,
                y,
                {"reduction": red, "pos_weight": pw},
            )
        torch_binary(
            f"torch-test_nn-bcel-pw-scalar-f{tag}",
            f"{src}: test_bce_with_logits_broadcasts_pos_weights",
            "binary_cross_entropy_with_logits",
            x,
            y,
            {"pos_weight": pw[:1]},
        )
        torch_binary(
            f"torch-test_nn-bcel-weight-f{tag}",
            f"{src}: test_bce_with_logits_broadcasts_weights",
            "binary_cross_entropy_with_logits",
            x,
            y,
            {"weight": pw},
        )
        # test_bce_with_logits_stability: large logits
        xs = torch.tensor([[88.0, -88.0, 1e4, -1e4]], dtype=dtype)
        ys = torch.tensor([[1.0, 0.0, 0.0, 1.0]], dtype=dtype)
        torch_binary(
            f"torch-test_nn-bcel-stability-f{tag}",
            f"{src}: test_bce_with_logits_stability",
            "binary_cross_entropy_with_logits",
            xs,
            ys,
            {},
        )
        # test_kl_div_* : log_target and reductions
        for red in ("batchmean", "sum", "mean", "none"):
            for lt in (False, True):
                xk = torch.randn(5, 7, generator=g, dtype=torch.float64).to(dtype)
                tk = torch.randn(5, 7, generator=g, dtype=torch.float64).to(dtype)
                torch_kl(
                    f"torch-test_nn-kl-{red}-lt{int(lt)}-f{tag}",
                    f"{src}: test_KLDivLoss_batch_mean[_log_target] (shapes, options)",
                    xk,
                    tk,
                    {"reduction": red, "log_target": lt},
                )


# ---------------------------------------------------------------------------------------------
# scikit-learn


def sklearn_cases():
    from sklearn.metrics import log_loss

    src = "sklearn/metrics/tests/test_classification.py"
    tol = (1e-7, 0.0)  # assert_allclose's default rtol

    def cat(cid, test, y_true, y_prob, argv_extra=(), needs=None, **kw):
        value = log_loss(y_true, y_prob, **kw)
        labels = np.asarray(y_true)
        argv = ["categorical", "{preds}", "{labels}", "--from", "probs", *argv_extra]
        if kw.get("normalize") is False:
            argv += ["-r", "sum"]
        arrays = {"preds": arr(np.asarray(y_prob, np.float64), "literal")}
        arrays["labels"] = (
            {"strings": [str(v) for v in labels], "as": "csv"}
            if labels.dtype.kind in "UO"
            else arr(labels, "literal")
        )
        call = f"log_loss({list(y_true)!r}, y_prob{''.join(f', {k}={v!r}' for k, v in kw.items())})"
        add(
            cid, "sklearn", f"{src}: {test}", call, argv, arrays, float(value), tol=tol, needs=needs
        )

    y_true = ["no", "no", "no", "yes", "yes", "yes"]
    y_prob = [[0.5, 0.5], [0.1, 0.9], [0.01, 0.99], [0.9, 0.1], [0.75, 0.25], [0.001, 0.999]]
    cat("sklearn-log_loss-symbolic", "test_log_loss", y_true, y_prob, ["--classes", "no,yes"])
    y_true, y_prob = [1, 0, 2], [[0.2, 0.7, 0.1], [0.6, 0.2, 0.2], [0.6, 0.1, 0.3]]
    cat("sklearn-log_loss-multiclass", "test_log_loss", y_true, y_prob, normalize=True)
    cat("sklearn-log_loss-doubled", "test_log_loss", y_true * 2, y_prob * 2, normalize=False)
    y_true, y_prob = (
        ["ham", "spam", "spam", "ham"],
        [[0.3, 0.7], [0.6, 0.4], [0.4, 0.6], [0.7, 0.3]],
    )
    cat("sklearn-log_loss-strings", "test_log_loss", y_true, y_prob, ["--classes", "ham,spam"])
    cat(
        "sklearn-log_loss-pandas",
        "test_log_loss_pandas_input",
        y_true,
        y_prob,
        ["--classes", "ham,spam"],
    )
    y_score = np.array([[0.1, 0.9], [0.1, 0.9]])
    cat(
        "sklearn-log_loss-labels",
        "test_log_loss",
        [2, 2],
        y_score,
        ["--classes", "1,2", "--labels-as", "name"],
        labels=[1, 2],
    )
    y_score2 = [[0.7, 0.1, 0.2], [0.2, 0.7, 0.1], [0.1, 0.7, 0.2]]
    cat(
        "sklearn-log_loss-labels3",
        "test_log_loss",
        [1, 2, 2],
        y_score2,
        ["--classes", "1,2,3", "--labels-as", "name"],
        labels=[1, 2, 3],
    )
    # issue 12 item 2: --classes alone is scikit-learn's labels= (refused today as ambiguous)
    cat(
        "sklearn-log_loss-labels3-classes-only",
        "test_log_loss",
        [1, 2, 2],
        y_score2,
        ["--classes", "1,2,3"],
        needs="classes-as-labels",
        labels=[1, 2, 3],
    )
    y_true, y_prob = [0, 1, 1, 0], [[0.2, 0.7], [0.6, 0.3], [0.4, 0.7], [0.8, 0.3]]
    cat(
        "sklearn-log_loss-not-probabilities",
        "test_log_loss_not_probabilities_warning",
        y_true,
        y_prob,
    )
    y_true, y_prob = [0, 1, 1, 0], [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]
    cat("sklearn-log_loss-y_proba", "test_log_loss_y_pred_deprecation", y_true, y_prob)
    for j, (y_true, y_prob) in enumerate(
        [([0, 1, 0], [[1, 0], [0, 1], [1, 0]]), ([0, 1, 2], [[1, 0, 0], [0, 1, 0], [0, 0, 1]])]
    ):
        cat(f"sklearn-log_loss-perfect-{j}", "test_log_loss_perfect_predictions", y_true, y_prob)
    # errors: y_true values outside labels=; class count that does not match y_pred
    add(
        "sklearn-log_loss-classes-mismatch",
        "sklearn",
        f"{src}: test_log_loss",
        "log_loss([1, 0, 2], [[0.3, 0.7], [0.6, 0.4], [0.4, 0.6]]) raises ValueError",
        ["categorical", "{preds}", "{labels}", "--from", "probs"],
        {
            "preds": arr(np.array([[0.3, 0.7], [0.6, 0.4], [0.4, 0.6]]), "literal"),
            "labels": arr(np.array([1, 0, 2]), "literal"),
        },
        expect="error",
    )
    add(
        "sklearn-log_loss-label-not-in-labels",
        "sklearn",
        f"{src}: test_log_loss",
        "log_loss(['a','b','c'], ..., labels=['a','c','d']) raises ValueError",
        ["categorical", "{preds}", "{labels}", "--from", "probs", "--classes", "a,c,d"],
        {
            "preds": arr(np.array([[0.9, 0.1, 0.0], [0.1, 0.9, 0.0], [0.1, 0.1, 0.8]]), "literal"),
            "labels": {"strings": ["a", "b", "c"], "as": "csv"},
        },
        expect="error",
    )
    add(
        "sklearn-log_loss-row-count",
        "sklearn",
        f"{src}: test_log_loss",
        "log_loss([2, 2], 3 rows) raises ValueError (inconsistent numbers of samples)",
        ["categorical", "{preds}", "{labels}", "--from", "probs", "--classes", "1,2"],
        {
            "preds": arr(np.array([[0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]), "literal"),
            "labels": arr(np.array([2, 2]), "literal"),
        },
        expect="error",
    )
    # 1-D y_pred: P(positive class); eps by dtype (test_log_loss_eps), 16-bit needs float16 eps
    for dt in ("float64", "float32", "float16"):
        y_prob = np.array([1, 0], dtype=dt)
        value = log_loss(np.array([0, 1], dtype=dt), y_prob)
        add(
            f"sklearn-log_loss-eps-{dt}",
            "sklearn",
            f"{src}: test_log_loss_eps",
            f"log_loss([0, 1], np.array([1, 0], dtype={dt}))",
            ["binary", "{preds}", "{labels}", "--from", "probs"],
            {"preds": arr(y_prob), "labels": arr(np.array([0, 1]))},
            float(value),
            # scikit-learn computes in the input's dtype: for float16 its value is −log 2⁻¹⁰
            # rounded to float16 (6.9296875), cece's the exact 6.931471805599453
            tol=(1e-3, 0.0) if dt == "float16" else (1e-7, 0.0),
            needs="float16-eps" if dt == "float16" else None,
        )
    # y_true as a label-indicator matrix (log_loss binarizes it the same way): dense targets
    for j, (yi, pi) in enumerate(
        [
            ([[1, 0], [0, 1], [0, 1]], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]),
            (
                [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
                [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25], [0.2, 0.6, 0.2], [0.3, 0.3, 0.4]],
            ),
        ]
    ):
        value = log_loss(np.array(yi), np.array(pi))
        add(
            f"sklearn-log_loss-indicator-{j}",
            "sklearn",
            f"{src}: test_log_loss (label indicator y_true)",
            "log_loss(Y_indicator, P)",
            ["categorical", "{preds}", "{labels}", "--from", "probs"],
            {"preds": arr(np.array(pi, float), "literal"), "labels": arr(np.array(yi), "literal")},
            float(value),
            tol=(1e-7, 0.0),
        )
    # a 1-D y_pred is P(positive class) (log_loss' binary form): cece binary; cece categorical
    # must not read it as one row of classes (a 1-D literal or .npy: refused as ambiguous)
    rng = np.random.default_rng(1)
    for j in range(10):
        n = int(rng.integers(2, 12))
        p1 = np.round(rng.uniform(0.01, 0.99, n), 4)
        y1 = rng.integers(0, 2, n)
        y1[:2] = [0, 1]
        value = log_loss(y1, p1)
        add(
            f"sklearn-log_loss-binary-1d-{j:02d}",
            "sklearn",
            "sklearn/metrics/_classification.py: log_loss (1-D y_pred: P(positive))",
            "log_loss(y, p[N])",
            ["binary", "{preds}", "{labels}", "--from", "probs"],
            {"preds": arr(p1, "literal" if j % 2 else "npy"), "labels": arr(y1)},
            float(value),
            tol=(1e-7, 0.0),
        )
    y_s = ["no", "yes", "yes", "no", "yes"]
    p_s = np.array([0.2, 0.7, 0.6, 0.1, 0.45])
    add(
        "sklearn-log_loss-binary-1d-strings",
        "sklearn",
        f"{src}: test_log_loss (symbolic labels)",
        "log_loss(['no','yes',...], p[N]) (positive: the last label in sorted order)",
        ["binary", "{preds}", "{labels}", "--from", "probs", "--positive", "yes"],
        {"preds": arr(p_s), "labels": {"strings": ["label", *y_s], "as": "csv"}},
        float(log_loss(y_s, p_s)),
        tol=(1e-7, 0.0),
    )
    for as_ in ("npy", "literal"):
        add(
            f"sklearn-log_loss-1d-categorical-{as_}",
            "sklearn",
            "sklearn/metrics/_classification.py: log_loss (1-D y_pred)",
            "log_loss([0,1,1,0,1], p[5]) = 0.3989…; cece categorical cannot tell N scores from "
            "one row of N classes",
            ["categorical", "{preds}", "{labels}", "--from", "probs"],
            {"preds": arr(p_s, as_), "labels": arr(np.array([0, 1, 1, 0, 1]), as_)},
            expect="error",
            needs="1d-literal-refusal" if as_ == "literal" else None,
            note="ambiguous 1-D PREDS: refuse, naming cece binary",
        )
    # sample_weight (scikit-learn's weighted mean) on random cases, as its common tests do
    rng = np.random.default_rng(0)
    for j in range(20):
        n, c = int(rng.integers(3, 12)), int(rng.integers(2, 6))
        p = rng.dirichlet(np.ones(c), n)
        y = rng.integers(0, c, n)
        y[:c] = np.arange(c)
        w = np.round(rng.uniform(0.1, 3.0, n), 3)
        value = log_loss(y, p, sample_weight=w)
        add(
            f"sklearn-log_loss-sample_weight-{j:02d}",
            "sklearn",
            "sklearn/metrics/tests/test_common.py: sample_weight invariance of log_loss",
            "log_loss(y, p, sample_weight=w)",
            ["categorical", "{preds}", "{labels}", "--from", "probs", "--sample-weight", "{w}"],
            {"preds": arr(p), "labels": arr(y), "w": arr(w, "literal")},
            float(value),
            tol=(1e-7, 0.0),
        )


# ---------------------------------------------------------------------------------------------
# Keras (losses_test.py inputs; the Keras loss objects compute, torch backend)


def keras_cases():
    import keras
    from keras import losses

    src = "keras/src/losses/losses_test.py"
    tol = (1e-5, 1e-6)  # Keras computes in float32

    def case(
        cid,
        test,
        loss,
        y_true,
        y_pred,
        argv,
        sample_weight=None,
        *,
        dense=True,
        note=None,
        expected=None,
    ):
        # Keras computes in its floatx, float32: the input is the float32 array Keras saw
        y_pred = np.asarray(y_pred, np.float32)
        kwargs = {} if sample_weight is None else {"sample_weight": np.asarray(sample_weight)}
        value = keras.ops.convert_to_numpy(loss(np.asarray(y_true), y_pred, **kwargs))
        if expected is not None:
            value = expected
        arrays = {"preds": arr(y_pred)}
        arrays["labels"] = arr(np.asarray(y_true, np.float64 if dense else np.int64), "literal")
        needs = None
        if sample_weight is not None:
            # Keras' sample_weight is one factor per sample: for cece binary a column
            # [[w1], [w2], ...] (a flat list of N values is ambiguous when N equals K)
            w = np.asarray(sample_weight, np.float64).reshape(-1)
            arrays["rescale"] = arr(w.reshape(-1, 1) if argv[0] == "binary" else w, "literal")
            argv = [*argv, "--rescale", "{rescale}"]
        if loss.reduction is None:
            argv = [*argv, "-r", "none"]
        add(
            cid,
            "keras",
            f"{src}: {test}",
            f"{type(loss).__name__}{loss.get_config()!r}",
            argv,
            arrays,
            num(value),
            tol=tol,
            needs=needs,
            note=note,
        )

    # Keras clips probabilities to [1e-7, 1 - 1e-7] in float32, where 1 - 1e-7 is 1 - 2**-23:
    # cece's default eps for float32 input (2**-23) is that clip
    probs = ["--from", "probs"]
    b = ["binary", "{preds}", "{labels}"]
    c = ["categorical", "{preds}", "{labels}"]
    yt = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    yp = [[0.9, 0.1, 0.2], [0.3, 0.8, 0.1], [0.1, 0.2, 0.7]]
    bce = losses.BinaryCrossentropy
    case(
        "keras-bce-unweighted",
        "BinaryCrossentropyTest.test_unweighted",
        bce(),
        yt,
        yp,
        [*b, *probs],
    )
    yt2, yp2 = [[1, 0], [1, 0]], [[1.0, 1.0], [1.0, 0.0]]
    case(
        "keras-bce-unweighted-2",
        "BinaryCrossentropyTest.test_unweighted",
        bce(),
        yt2,
        yp2,
        [*b, *probs],
    )
    yt3, lg3 = [[1, 0, 1], [0, 1, 1]], [[10.0, -10.0, 10.0], [10.0, 10.0, -10.0]]
    lg = ["--from", "logits"]
    case(
        "keras-bce-logits",
        "BinaryCrossentropyTest.test_unweighted",
        bce(from_logits=True),
        yt3,
        lg3,
        [*b, *lg],
    )
    case(
        "keras-bce-all-correct",
        "BinaryCrossentropyTest.test_all_correct_unweighted",
        bce(),
        yt,
        np.array(yt, float),
        [*b, *probs],
    )
    lgc = [[10.0, -10.0, -10.0], [-10.0, 10.0, -10.0], [-10.0, -10.0, 10.0]]
    case(
        "keras-bce-all-correct-logits",
        "BinaryCrossentropyTest.test_all_correct_unweighted",
        bce(from_logits=True),
        yt,
        lgc,
        [*b, *lg],
    )
    case(
        "keras-bce-scalar-weighted",
        "BinaryCrossentropyTest.test_scalar_weighted",
        bce(),
        yt2,
        yp2,
        [*b, *probs],
        [2.3, 2.3],
    )
    case(
        "keras-bce-scalar-weighted-logits",
        "BinaryCrossentropyTest.test_scalar_weighted",
        bce(from_logits=True),
        yt3,
        lg3,
        [*b, *lg],
        [2.3, 2.3],
    )
    case(
        "keras-bce-sample-weighted",
        "BinaryCrossentropyTest.test_sample_weighted",
        bce(),
        yt2,
        yp2,
        [*b, *probs],
        [[1.2], [3.4]],
    )
    case(
        "keras-bce-sample-weighted-logits",
        "BinaryCrossentropyTest.test_sample_weighted",
        bce(from_logits=True),
        yt3,
        lg3,
        [*b, *lg],
        [4.0, 3.0],
    )
    case(
        "keras-bce-no-reduction",
        "BinaryCrossentropyTest.test_no_reduction",
        bce(from_logits=True, reduction=None),
        yt3,
        lg3,
        [*b, *lg],
    )
    case(
        "keras-bce-label-smoothing",
        "BinaryCrossentropyTest.test_label_smoothing",
        bce(from_logits=True, label_smoothing=0.1),
        [[1, 0, 1]],
        [[10.0, -10.0, -10.0]],
        [*b, *lg, "--label-smoothing", "0.1"],
    )

    cce = losses.CategoricalCrossentropy
    cprobs = [*probs, "--renormalize"]
    ypc = [[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]]
    lgc2 = [[8.0, 1.0, 1.0], [0.0, 9.0, 1.0], [2.0, 3.0, 5.0]]
    case(
        "keras-cce-all-correct",
        "CategoricalCrossentropyTest.test_all_correct_unweighted",
        cce(),
        yt,
        np.array(yt, float),
        [*c, *cprobs],
    )
    case(
        "keras-cce-all-correct-logits",
        "CategoricalCrossentropyTest.test_all_correct_unweighted",
        cce(from_logits=True),
        yt,
        [[10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]],
        [*c, *lg],
    )
    case(
        "keras-cce-unweighted",
        "CategoricalCrossentropyTest.test_unweighted",
        cce(),
        yt,
        ypc,
        [*c, *cprobs],
    )
    case(
        "keras-cce-unweighted-logits",
        "CategoricalCrossentropyTest.test_unweighted",
        cce(from_logits=True),
        yt,
        lgc2,
        [*c, *lg],
    )
    case(
        "keras-cce-scalar-weighted",
        "CategoricalCrossentropyTest.test_scalar_weighted",
        cce(),
        yt,
        ypc,
        [*c, *cprobs],
        [2.3] * 3,
    )
    case(
        "keras-cce-scalar-weighted-logits",
        "CategoricalCrossentropyTest.test_scalar_weighted",
        cce(from_logits=True),
        yt,
        lgc2,
        [*c, *lg],
        [2.3] * 3,
    )
    case(
        "keras-cce-sample-weighted",
        "CategoricalCrossentropyTest.test_sample_weighted",
        cce(),
        yt,
        ypc,
        [*c, *cprobs],
        [[1.2], [3.4], [5.6]],
    )
    case(
        "keras-cce-sample-weighted-logits",
        "CategoricalCrossentropyTest.test_sample_weighted",
        cce(from_logits=True),
        yt,
        lgc2,
        [*c, *lg],
        [[1.2], [3.4], [5.6]],
    )
    case(
        "keras-cce-no-reduction",
        "CategoricalCrossentropyTest.test_no_reduction",
        cce(from_logits=True, reduction=None),
        yt,
        lgc2,
        [*c, *lg],
    )
    case(
        "keras-cce-label-smoothing",
        "CategoricalCrossentropyTest.test_label_smoothing",
        cce(from_logits=True, label_smoothing=0.1),
        [[1, 0, 0]],
        [[100.0, -100.0, -100.0]],
        [*c, *lg, "--label-smoothing", "0.1"],
    )
    ytx = [[[1, 0], [0, 1], [0, 0]], [[0, 1], [1, 0], [0, 0]]]
    ypx = [[[0.8, 0.1], [0.1, 0.8], [0.1, 0.1]], [[0.1, 0.8], [0.8, 0.1], [0.1, 0.1]]]
    # the test's own expected value: smoothing spreads ε over the classes of `axis` (3);
    # Keras 3.15.1 divides by y_true.shape[-1] (2) instead, which this test at HEAD rejects
    yts_ = np.array(ytx) * 0.9 + 0.1 / 3
    want = float(np.mean(-np.sum(yts_ * np.log(np.array(ypx, np.float32)), axis=1)))
    case(
        "keras-cce-label-smoothing-axis",
        "CategoricalCrossentropyTest.test_label_smoothing_with_axis",
        cce(label_smoothing=0.1, axis=1),
        ytx,
        ypx,
        [*c, *cprobs, "--label-smoothing", "0.1", "--class-axis", "1"],
        expected=want,
        note="expected: the test's formula (num_classes along axis)",
    )

    scce = losses.SparseCategoricalCrossentropy
    yts = [0, 1, 2]
    case(
        "keras-scce-all-correct",
        "SparseCategoricalCrossentropyTest.test_all_correct_unweighted",
        scce(),
        yts,
        np.array(yt, float),
        [*c, *cprobs],
        dense=False,
    )
    case(
        "keras-scce-unweighted",
        "SparseCategoricalCrossentropyTest.test_unweighted",
        scce(),
        yts,
        ypc,
        [*c, *cprobs],
        dense=False,
    )
    case(
        "keras-scce-unweighted-logits",
        "SparseCategoricalCrossentropyTest.test_unweighted",
        scce(from_logits=True),
        yts,
        lgc2,
        [*c, *lg],
        dense=False,
    )
    case(
        "keras-scce-scalar-weighted",
        "SparseCategoricalCrossentropyTest.test_scalar_weighted",
        scce(),
        yts,
        ypc,
        [*c, *cprobs],
        [2.3] * 3,
        dense=False,
    )
    case(
        "keras-scce-sample-weighted",
        "SparseCategoricalCrossentropyTest.test_sample_weighted",
        scce(),
        yts,
        ypc,
        [*c, *cprobs],
        [[1.2], [3.4], [5.6]],
        dense=False,
    )
    case(
        "keras-scce-no-reduction",
        "SparseCategoricalCrossentropyTest.test_no_reduction",
        scce(from_logits=True, reduction=None),
        yts,
        lgc2,
        [*c, *lg],
        dense=False,
    )
    # (N, 1) sparse labels, as Keras accepts them
    value = keras.ops.convert_to_numpy(
        scce(from_logits=True)(np.array([[0], [1], [2]]), np.array(lgc2))
    )
    add(
        "keras-scce-n1-labels",
        "keras",
        f"{src}: SparseCategoricalCrossentropyTest (labels (N, 1))",
        "SparseCategoricalCrossentropy(from_logits=True)([[0],[1],[2]], logits)",
        [*c, *lg],
        {
            "preds": arr(np.array(lgc2), "literal"),
            "labels": arr(np.array([[0], [1], [2]]), "literal"),
        },
        num(value),
        tol=tol,
        note="(N, 1) sparse labels",
    )
    ignore_true = [[-1, 0], [1, -1]]
    ignore_pred = [[[0.9, 0.05, 0.05], [0.8, 0.1, 0.1]], [[0.1, 0.8, 0.1], [0.2, 0.3, 0.5]]]
    value = keras.ops.convert_to_numpy(
        scce(ignore_class=-1)(np.array(ignore_true), np.array(ignore_pred))
    )
    add(
        "keras-scce-ignore-class",
        "keras",
        f"{src}: SparseCategoricalCrossentropyTest.test_ignore_class",
        "SparseCategoricalCrossentropy(ignore_class=-1)",
        [*c, *cprobs, "--ignore-index", "-1"],
        {
            "preds": arr(np.array(ignore_pred), "literal"),
            "labels": arr(np.array(ignore_true), "literal"),
        },
        num(value),
        tol=tol,
        note="Keras' ignore_class sums over all 4 positions and divides by the 2 kept ones: "
        "PyTorch's ignore_index mean",
    )

    kld = losses.KLDivergence
    kp = np.array([0.4, 0.9, 0.12, 0.36, 0.3, 0.4], np.float32).reshape(2, 3)
    kt = np.array([0.5, 0.8, 0.12, 0.7, 0.43, 0.8], np.float32).reshape(2, 3)
    for name, w in [
        ("unweighted", None),
        ("scalar_weighted", [2.3, 2.3]),
        ("sample_weighted", [[1.2], [3.4]]),
    ]:
        value = keras.ops.convert_to_numpy(
            kld()(kt, kp, **({} if w is None else {"sample_weight": np.array(w)}))
        )
        # Keras' KLDivergence clips both to [1e-7, 1] and sums y_true·log(y_true/y_pred) over
        # the last axis: the rows here do not sum to 1 (1.42, 1.93), and cece uses them as
        # given (with a warning), as Keras does
        argv = ["kl", "{p}", "{q}", "--from", "probs"]
        arrays = {"p": arr(kt), "q": arr(kp)}
        needs = None
        if w is not None:
            argv += ["--rescale", "{rescale}"]
            arrays["rescale"] = arr(np.asarray(w, np.float64).reshape(-1), "literal")
            needs = "kl-rescale"
        add(
            f"keras-kld-{name}",
            "keras",
            f"{src}: KLDivergenceTest.test_{name}",
            f"KLDivergence()(y_true, y_pred{'' if w is None else ', sample_weight=' + str(w)})",
            argv,
            arrays,
            num(value),
            tol=tol,
            needs=needs,
        )

    bfce = losses.BinaryFocalCrossentropy
    T = "BinaryFocalCrossentropyTest."
    yf, pf = [[1, 0], [1, 0]], [[0.9, 0.8], [0.7, 0.2]]
    yfl, lf = [[1, 1, 0], [0, 1, 0]], [[1.5, -2.7, 2.9], [-3.8, 1.2, -4.5]]
    lgo = [[100.0, -100.0, -100.0], [-100.0, 100.0, -100.0], [-100.0, -100.0, 100.0]]
    fg = lambda g: ["--focal-gamma", str(g)]  # noqa: E731
    case(
        "keras-bfce-all-correct",
        T + "test_all_correct_unweighted",
        bfce(gamma=1.5),
        yt,
        np.array(yt, float),
        [*b, *probs, *fg(1.5)],
    )
    case(
        "keras-bfce-all-correct-logits",
        T + "test_all_correct_unweighted",
        bfce(gamma=2.0, from_logits=True),
        yt,
        lgo,
        [*b, *lg, *fg(2.0)],
    )
    case(
        "keras-bfce-unweighted",
        T + "test_unweighted",
        bfce(gamma=2.0),
        yf,
        pf,
        [*b, *probs, *fg(2.0)],
    )
    case(
        "keras-bfce-unweighted-logits",
        T + "test_unweighted",
        bfce(gamma=3.0, from_logits=True),
        yfl,
        lf,
        [*b, *lg, *fg(3.0)],
    )
    case(
        "keras-bfce-scalar-weighted",
        T + "test_scalar_weighted",
        bfce(gamma=2.0),
        yf,
        pf,
        [*b, *probs, *fg(2.0)],
        [1.23, 1.23],
    )
    case(
        "keras-bfce-scalar-weighted-logits",
        T + "test_scalar_weighted",
        bfce(gamma=3.0, from_logits=True),
        yfl,
        lf,
        [*b, *lg, *fg(3.0)],
        [3.21, 3.21],
    )
    case(
        "keras-bfce-sample-weighted",
        T + "test_sample_weighted",
        bfce(gamma=2.0),
        yf,
        pf,
        [*b, *probs, *fg(2.0)],
        [[1.2], [3.4]],
    )
    case(
        "keras-bfce-sample-weighted-logits",
        T + "test_sample_weighted",
        bfce(gamma=3.0, from_logits=True),
        yfl,
        lf,
        [*b, *lg, *fg(3.0)],
        [[1.2], [3.4]],
    )
    case(
        "keras-bfce-no-reduction",
        T + "test_no_reduction",
        bfce(gamma=2.0, reduction=None),
        yf,
        pf,
        [*b, *probs, *fg(2.0)],
    )
    for a in (0.25, 0.6):
        case(
            f"keras-bfce-balanced-{a}",
            T + "test_unweighted inputs, apply_class_balancing=True",
            bfce(gamma=2.0, apply_class_balancing=True, alpha=a),
            yf,
            pf,
            [*b, *probs, *fg(2.0), "--focal-alpha", str(a)],
        )
        case(
            f"keras-bfce-balanced-logits-{a}",
            T + "test_unweighted inputs, apply_class_balancing=True",
            bfce(gamma=3.0, from_logits=True, apply_class_balancing=True, alpha=a),
            yfl,
            lf,
            [*b, *lg, *fg(3.0), "--focal-alpha", str(a)],
        )

    cfce = losses.CategoricalFocalCrossentropy
    T = "CategoricalFocalCrossentropyTest."
    fa = lambda a, g: ["--focal-alpha", str(a), "--focal-gamma", str(g)]  # noqa: E731
    lgo3 = [[10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]]
    case(
        "keras-cfce-all-correct",
        T + "test_all_correct_unweighted",
        cfce(alpha=0.25, gamma=2.0),
        yt,
        np.array(yt, float),
        [*c, *cprobs, *fa(0.25, 2.0)],
    )
    case(
        "keras-cfce-all-correct-logits",
        T + "test_all_correct_unweighted",
        cfce(from_logits=True),
        yt,
        lgo3,
        [*c, *lg, *fa(0.25, 2.0)],
    )
    case(
        "keras-cfce-unweighted",
        T + "test_unweighted",
        cfce(),
        yt,
        ypc,
        [*c, *cprobs, *fa(0.25, 2.0)],
    )
    case(
        "keras-cfce-unweighted-logits",
        T + "test_unweighted",
        cfce(from_logits=True),
        yt,
        lgc2,
        [*c, *lg, *fa(0.25, 2.0)],
    )
    case(
        "keras-cfce-scalar-weighted",
        T + "test_scalar_weighted",
        cfce(),
        yt,
        ypc,
        [*c, *cprobs, *fa(0.25, 2.0)],
        [2.3] * 3,
    )
    case(
        "keras-cfce-sample-weighted",
        T + "test_sample_weighted",
        cfce(),
        yt,
        ypc,
        [*c, *cprobs, *fa(0.25, 2.0)],
        [[1.2], [3.4], [5.6]],
    )
    case(
        "keras-cfce-no-reduction",
        T + "test_no_reduction",
        cfce(from_logits=True, reduction=None),
        yt,
        lgc2,
        [*c, *lg, *fa(0.25, 2.0)],
    )
    case(
        "keras-cfce-label-smoothing",
        T + "test_label_smoothing",
        cfce(from_logits=True, label_smoothing=0.1),
        [[1, 0, 0]],
        [[4.9, -0.5, 2.05]],
        [*c, *lg, *fa(0.25, 2.0), "--label-smoothing", "0.1"],
    )


# ---------------------------------------------------------------------------------------------
# optax (_classification_test.py inputs; optax computes, in float64)


def optax_cases():
    import jax

    jax.config.update("jax_enable_x64", True)
    import optax

    src = "optax/losses/_classification_test.py"
    tol = (1e-6, 1e-6)
    ys = np.array([[10.0, 1.0, -2.0], [1.0, 4.0, 0.2]])
    ts = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    c = ["categorical", "{preds}", "{labels}", "--from", "logits", "-r", "none"]

    def add_o(cid, test, call, argv, arrays, value, **kw):
        add(
            cid,
            "optax",
            f"{src}: {test}",
            call,
            argv,
            arrays,
            num(np.asarray(value)),
            tol=tol,
            **kw,
        )

    lit = lambda a: arr(np.asarray(a), "literal")  # noqa: E731
    add_o(
        "optax-softmax_ce-batched",
        "SoftmaxCrossEntropyTest.test_batched",
        "softmax_cross_entropy(ys, ts)",
        c,
        {"preds": lit(ys), "labels": lit(ts)},
        optax.losses.softmax_cross_entropy(ys, ts),
    )
    add_o(
        "optax-softmax_ce-scalar",
        "SoftmaxCrossEntropyTest.test_scalar",
        "softmax_cross_entropy(ys[0], ts[0])",
        c,
        {"preds": lit(ys[:1]), "labels": lit(ts[:1])},
        optax.losses.softmax_cross_entropy(ys[0], ts[0]),
    )
    ti = np.array([1, 0])
    add_o(
        "optax-softmax_ce_int-batched",
        "SoftmaxCrossEntropyWithIntegerLabelsTest",
        "softmax_cross_entropy_with_integer_labels(ys, [1, 0])",
        c,
        {"preds": lit(ys), "labels": lit(ti)},
        optax.losses.softmax_cross_entropy_with_integer_labels(ys, ti),
    )
    # test_axis: class axis other than the last
    rng = np.random.default_rng(0)
    for shape_, axis in [((2, 3, 4), 1), ((2, 3, 4), 0), ((5, 4, 3), 1), ((2, 3, 4, 5), 2)]:
        x = rng.standard_normal(shape_)
        t = np.exp(x - x.max(axis, keepdims=True)) * rng.random(shape_)
        t /= t.sum(axis, keepdims=True)
        value = optax.losses.softmax_cross_entropy(x, t, axis=axis)
        argv = [
            "categorical",
            "{preds}",
            "{labels}",
            "--from",
            "logits",
            "-r",
            "none",
            "--class-axis",
            str(axis),
        ]
        add_o(
            f"optax-softmax_ce-axis-{'x'.join(map(str, shape_))}-{axis}",
            "SoftmaxCrossEntropyTest.test_axis",
            f"softmax_cross_entropy(x{shape_}, t, axis={axis})",
            argv,
            {"preds": arr(x), "labels": arr(t)},
            np.moveaxis(np.asarray(value), 0, 0),
        )
        yi = rng.integers(0, shape_[axis], tuple(s for k, s in enumerate(shape_) if k != axis))
        value = optax.losses.softmax_cross_entropy_with_integer_labels(x, yi, axis=axis)
        add_o(
            f"optax-softmax_ce_int-axis-{'x'.join(map(str, shape_))}-{axis}",
            "SoftmaxCrossEntropyWithIntegerLabelsTest.test_axis",
            f"softmax_cross_entropy_with_integer_labels(x{shape_}, y, axis={axis})",
            argv,
            {"preds": arr(x), "labels": arr(yi)},
            value,
        )
    # safe_softmax_cross_entropy: -inf logits are classes of probability 0
    yss = np.array(
        [
            [10.0, 1.0, -2.0],
            [1.0, 4.0, 0.2],
            [-np.inf, 0.0, 0.0],
            [-np.inf, 0.0, 0.0],
            [-np.inf, 0.0, -np.inf],
        ]
    )
    tss = np.array(
        [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.4, 0.3, 0.3], [0.0, 1.0, 0.0]]
    )
    value = optax.losses.safe_softmax_cross_entropy(yss, tss)
    add(
        "optax-safe_softmax_ce-batched",
        "optax",
        f"{src}: SafeSoftmaxCrossEntropyTest.test_batched",
        "safe_softmax_cross_entropy(ys, ts)",
        c,
        {"preds": arr(yss), "labels": arr(tss)},
        [float(v) for v in np.asarray(value)],
        tol=tol,
        needs="neg-inf-logits",
    )
    for k in range(5):
        add(
            f"optax-safe_softmax_ce-row{k}",
            "optax",
            f"{src}: SafeSoftmaxCrossEntropyTest.test_batched (row {k})",
            f"safe_softmax_cross_entropy(ys[{k}], ts[{k}])",
            c,
            {"preds": arr(yss[k : k + 1]), "labels": arr(tss[k : k + 1])},
            [float(np.asarray(value)[k])],
            tol=tol,
            needs="neg-inf-logits" if np.isinf(yss[k]).any() else None,
        )
    # sigmoid_binary_cross_entropy: ±1e9 logits
    pairs = [
        ([-1e09, -1e-09], [1.0, 0.0]),
        ([-1e09, -1e-09], [0.0, 1.0]),
        ([1e09, 1e-09], [1.0, 0.0]),
        ([1e09, 1e-09], [0.0, 1.0]),
        ([-1e09, 1e-09], [1.0, 0.0]),
        ([-1e09, 1e-09], [0.0, 1.0]),
        ([1e09, -1e-09], [1.0, 0.0]),
        ([1e09, -1e-09], [0.0, 1.0]),
        ([0.0, 0.0], [1.0, 0.0]),
        ([0.0, 0.0], [0.0, 1.0]),
    ]
    for k, (p, y) in enumerate(pairs):
        value = np.mean(optax.losses.sigmoid_binary_cross_entropy(np.array(p), np.array(y)))
        add_o(
            f"optax-sigmoid_bce-{k}",
            "SigmoidCrossEntropyTest.test_sigmoid_cross_entropy",
            f"mean(sigmoid_binary_cross_entropy({p}, {y}))",
            ["binary", "{preds}", "{labels}", "--from", "logits"],
            {"preds": lit(p), "labels": lit(y)},
            value,
        )
    # kl_divergence(log_predictions, targets) (KLDivergenceTest setUp)
    log_ps = np.array(
        [
            [-2.9957, -3.5066, -3.9120, -1.2040, -0.6931, -2.3026],
            [-1.6094, -1.6094, -1.6094, -2.3026, -1.8971, -1.8971],
        ]
    )
    qs = np.array([[0.2, 0.2, 0.2, 0.1, 0.15, 0.15], [0.05, 0.03, 0.02, 0.3, 0.5, 0.1]])
    value = optax.losses.kl_divergence(log_ps, qs)
    add_o(
        "optax-kl-batched",
        "KLDivergenceTest.test_batched",
        "kl_divergence(log_ps, qs)",
        ["kl", "{p}", "{q}", "--from", "probs", "--q-from", "log-probs", "-r", "none"],
        {"p": lit(qs), "q": lit(log_ps)},
        value,
    )
    value = optax.losses.kl_divergence_with_log_targets(log_ps, np.log(qs))
    add_o(
        "optax-kl-log-targets",
        "KLDivergenceWithLogTargetsTest.test_batched",
        "kl_divergence_with_log_targets(log_ps, log(qs))",
        ["kl", "{p}", "{q}", "--from", "log-probs", "-r", "none"],
        {"p": lit(np.log(qs)), "q": lit(log_ps)},
        value,
    )


# ---------------------------------------------------------------------------------------------
# SciPy


def scipy_cases():
    from scipy import special, stats

    src = "scipy/stats/tests/test_entropy.py"
    tol = (4 * np.finfo(np.float64).eps ** 0.5, 0.0)  # ≈ xp_assert_close default, float64
    lit = lambda a: arr(np.asarray(a, np.float64), "literal")  # noqa: E731
    ent = ["entropy", "{p}", "--from", "probs", "--renormalize", "-r", "none"]
    kl = ["kl", "{p}", "{q}", "--from", "probs", "--renormalize", "-r", "none"]

    def case(cid, test, call, argv, arrays, value, needs=None):
        if needs == "renormalize-counts" and max(max(a["data"]) for a in arrays.values()) <= 1:
            needs = None  # values in [0, 1]: already accepted
        add(cid, "scipy", f"{src}: {test}", call, argv, arrays, num(value), tol=tol, needs=needs)

    pk, qk = [0.5, 0.2, 0.3], [0.1, 0.25, 0.65]
    case(
        "scipy-entropy-positive-self",
        "test_entropy_positive",
        "entropy(pk, pk)",
        kl,
        {"p": lit([pk]), "q": lit([pk])},
        [stats.entropy(pk, pk)],
    )
    case(
        "scipy-entropy-positive",
        "test_entropy_positive",
        "entropy(pk, qk)",
        kl,
        {"p": lit([pk]), "q": lit([qk])},
        [stats.entropy(pk, qk)],
    )
    ones = np.ones(16)
    case(
        "scipy-entropy-base",
        "test_entropy_base",
        "entropy(ones(16), base=2)",
        [*ent, "--base", "2"],
        {"p": lit([ones])},
        [stats.entropy(ones, base=2.0)],
        needs="renormalize-counts",
    )
    q16 = np.where(np.arange(16) < 8, 2.0, 1.0)
    case(
        "scipy-entropy-base-kl",
        "test_entropy_base",
        "entropy(ones(16), qk)",
        kl,
        {"p": lit([ones]), "q": lit([q16])},
        [stats.entropy(ones, q16)],
        needs="renormalize-counts",
    )
    case(
        "scipy-entropy-base-kl2",
        "test_entropy_base",
        "entropy(ones(16), qk, base=2)",
        [*kl, "--base", "2"],
        {"p": lit([ones]), "q": lit([q16])},
        [stats.entropy(ones, q16, base=2.0)],
        needs="renormalize-counts",
    )
    case(
        "scipy-entropy-zero",
        "test_entropy_zero",
        "entropy([0, 1, 2])",
        ent,
        {"p": lit([[0.0, 1.0, 2.0]])},
        [stats.entropy([0.0, 1.0, 2.0])],
        needs="renormalize-counts",
    )
    # 1-D inputs, as the tests pass them: one distribution (cece reads a 1-D P as one row)
    ent1 = ["entropy", "{p}", "--from", "probs", "--renormalize"]
    kl1 = ["kl", "{p}", "{q}", "--from", "probs", "--renormalize"]
    for as_ in ("literal", "npy"):
        p1, q1 = np.array(pk), np.array(qk)
        case(
            f"scipy-entropy-1d-{as_}",
            "test_entropy_positive (1-D pk)",
            "entropy(pk)",
            ent1,
            {"p": arr(p1, as_)},
            stats.entropy(p1),
        )
        case(
            f"scipy-entropy-1d-kl-{as_}",
            "test_entropy_positive (1-D pk, qk)",
            "entropy(pk, qk)",
            kl1,
            {"p": arr(p1, as_), "q": arr(q1, as_)},
            stats.entropy(p1, q1),
        )
        case(
            f"scipy-entropy-1d-base2-{as_}",
            "test_entropy_base (1-D)",
            "entropy(pk, qk, base=2)",
            [*kl1, "--base", "2"],
            {"p": arr(p1, as_), "q": arr(q1, as_)},
            stats.entropy(p1, q1, base=2),
        )
        z = np.array([0.0, 1.0, 2.0])
        case(
            f"scipy-entropy-zero-1d-{as_}",
            "test_entropy_zero (1-D)",
            "entropy([0, 1, 2])",
            ent1,
            {"p": arr(z, as_)},
            stats.entropy(z),
            needs="renormalize-counts",
        )
    # N-D arrays, axis=-1 (the distributions along the last axis; cece: one row each, C order)
    rng3 = np.random.default_rng(3)
    for j, shp in enumerate([(2, 3, 4), (3, 1, 5), (2, 2, 2, 3)]):
        p3, q3 = rng3.random(shp), rng3.random(shp)
        case(
            f"scipy-entropy-nd-{j}",
            "test_entropy_broadcasting (N-D, axis=-1)",
            f"entropy(p{shp}, axis=-1)",
            ent,
            {"p": arr(p3)},
            stats.entropy(p3, axis=-1),
        )
        case(
            f"scipy-entropy-kl-nd-{j}",
            "test_entropy_broadcasting (N-D, axis=-1)",
            f"entropy(p{shp}, q, axis=-1)",
            kl,
            {"p": arr(p3), "q": arr(q3)},
            stats.entropy(p3, q3, axis=-1),
        )
    p2 = np.array([[0.1, 0.2], [0.6, 0.3], [0.3, 0.5]])
    q2 = np.array([[0.2, 0.1], [0.3, 0.6], [0.5, 0.3]])
    ax0 = ["--class-axis", "0"]
    case(
        "scipy-entropy-2d",
        "test_entropy_2d",
        "entropy(pk, qk) (axis=0)",
        [*kl, *ax0],
        {"p": lit(p2), "q": lit(q2)},
        stats.entropy(p2, q2),
    )
    case(
        "scipy-entropy-2d-T",
        "test_entropy_transposed",
        "entropy(pk.T, qk.T)",
        kl,
        {"p": lit(p2.T), "q": lit(q2.T)},
        stats.entropy(p2, q2),
    )
    q2z = np.array([[0.0, 0.1], [0.3, 0.6], [0.5, 0.3]])
    case(
        "scipy-entropy-2d-zero",
        "test_entropy_2d_zero",
        "entropy(pk, qk with a 0) (axis=0)",
        [*kl, *ax0],
        {"p": lit(p2), "q": lit(q2z)},
        stats.entropy(p2, q2z),
    )
    p2z = np.array([[0.0, 0.2], [0.6, 0.3], [0.3, 0.5]])
    case(
        "scipy-entropy-2d-zero-p",
        "test_entropy_2d_zero",
        "entropy(pk with a 0, qk with a 0) (axis=0)",
        [*kl, *ax0],
        {"p": lit(p2z), "q": lit(q2z)},
        stats.entropy(p2z, q2z),
    )
    case(
        "scipy-entropy-axis1",
        "test_entropy_base_2d_nondefault_axis",
        "entropy(pk, axis=1)",
        ent,
        {"p": lit(p2)},
        stats.entropy(p2, axis=1),
    )
    case(
        "scipy-entropy-axis0",
        "test_base_entropy_with_axis_0_is_equal_to_default",
        "entropy(pk, axis=0)",
        [*ent, *ax0],
        {"p": lit(p2)},
        stats.entropy(p2, axis=0),
    )
    case(
        "scipy-entropy-kl-axis1",
        "test_entropy_2d_nondefault_axis",
        "entropy(pk, qk, axis=1)",
        kl,
        {"p": lit(p2), "q": lit(q2)},
        stats.entropy(p2, q2, axis=1),
    )
    add(
        "scipy-entropy-shape-mismatch",
        "scipy",
        f"{src}: test_entropy_raises_value_error",
        "entropy(pk[3x2], qk[2x2]) raises ValueError",
        kl,
        {"p": lit(p2), "q": lit(q2[:2])},
        expect="error",
    )
    rng = np.random.default_rng(74187315492831452)
    for j in range(12):
        n, c = int(rng.integers(1, 6)), int(rng.integers(2, 7))
        p = rng.random((n, c))
        q = rng.random((n, c))
        for base in (None, 2.0, 10.0):
            bargs = [] if base is None else ["--base", {2.0: "2", 10.0: "10"}[base]]
            case(
                f"scipy-entropy-random-{j:02d}-b{base}",
                "test_entropy_broadcasting (random rows)",
                f"entropy(p, base={base}, axis=1)",
                [*ent, *bargs],
                {"p": lit(p)},
                stats.entropy(p, base=base, axis=1),
            )
            case(
                f"scipy-entropy-kl-random-{j:02d}-b{base}",
                "test_entropy_broadcasting (random rows)",
                f"entropy(p, q, base={base}, axis=1)",
                [*kl, *bargs],
                {"p": lit(p), "q": lit(q)},
                stats.entropy(p, q, base=base, axis=1),
            )
    # rel_entr: KL of nearly equal distributions, full relative precision per term
    src2 = "scipy/special/tests/test_basic.py: TestRelEntr / rel_entr"
    for j, (a, b2) in enumerate(
        [(0.9456657713430001, 0.9456657713430094), (0.5, 0.5 + 1e-12), (0.3, 0.3 - 1e-13)]
    ):
        p = np.array([[a, 1 - a]])
        q = np.array([[b2, 1 - b2]])
        value = special.rel_entr(p, q).sum(axis=1)
        add(
            f"scipy-rel_entr-near-{j}",
            "scipy",
            src2,
            f"rel_entr([{a}, 1-{a}], [{b2}, 1-{b2}]).sum()",
            ["kl", "{p}", "{q}", "--from", "probs", "-r", "none"],
            {"p": lit(p), "q": lit(q)},
            num(value),
            tol=(1e-6, 0.0),
            needs="kl-precision",
        )
    value = special.rel_entr(0.9456657713430001, 0.9456657713430094)
    add(
        "scipy-rel_entr-term",
        "scipy",
        src2,
        "rel_entr(0.9456657713430001, 0.9456657713430094)",
        ["kl", "{p}", "{q}", "--from", "probs", "-r", "none"],
        {"p": lit([[0.9456657713430001]]), "q": lit([[0.9456657713430094]])},
        num([value]),
        tol=(1e-6, 0.0),
        needs="kl-precision",
    )


def main() -> None:
    for part in (
        torch_opinfo,
        torch_modules,
        torch_criterion_tests,
        torch_test_nn,
        sklearn_cases,
        scipy_cases,
        optax_cases,
        keras_cases,
    ):
        before = len(CASES)
        part()
        print(f"{part.__name__}: {len(CASES) - before} cases", file=sys.stderr)
    ids = [c["id"] for c in CASES]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    assert not dup, dup[:10]
    import jax
    import keras
    import optax

    meta = {
        "generator": "tests/data/peers/make_cases.py",
        "versions": {
            "torch": torch.__version__,
            "scikit-learn": sklearn.__version__,
            "scipy": scipy.__version__,
            "keras": keras.__version__,
            "optax": optax.__version__,
            "jax": jax.__version__,
            "numpy": np.__version__,
        },
        "count": len(CASES),
    }
    OUT.write_text(json.dumps({"meta": meta, "cases": CASES}, separators=(",", ":")) + "\n")
    print(f"{len(CASES)} cases → {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
