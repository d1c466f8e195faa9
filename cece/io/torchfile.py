"""``torch.save`` files (.pt, .pth): a tensor, or ``file.pt:key`` in a dict, list or tuple.

Read only through PyTorch's restricted unpickler, ``torch.load(..., weights_only=True)``
(pytorch ``torch/serialization.py``: with ``weights_only`` passed explicitly, no environment
variable turns it off), memory-mapped (``mmap=True``, zip archives) on the CPU. Never the
general unpickler: a file that needs it is refused. Without torch installed, one line says
what to install or how to save instead.

A ``torch.save`` archive is a zip file, like .npz; it is told apart by its ``data.pkl``
member (``archive/data.pkl``), so it is never listed as arrays of an .npz.
"""

from __future__ import annotations

import os
from typing import BinaryIO

import numpy as np

from cece.errors import InputError
from cece.io.arrays import ArrayInput
from cece.io.bfloat16 import BF16

# torch's legacy (non-zip) format: pickle protocol 2, then the magic number as a long1
LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
SAVE_INSTEAD = "save a tensor, or NumPy: np.save('x.npy', tensor.float().numpy())"


def is_archive(path: str | BinaryIO) -> bool:
    """A zip file written by ``torch.save`` (it has a ``data.pkl`` member)."""
    import zipfile  # start-up: only when a file's bytes say zip

    try:
        with zipfile.ZipFile(path) as zf:
            return any(n == "data.pkl" or n.endswith("/data.pkl") for n in zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def read(path: str | BinaryIO, name: str, key: str | None) -> ArrayInput:
    """The tensor in the file (a path, or an open remote file: read, not mapped), or the one
    ``key`` names (dict key, list/tuple index)."""
    try:
        import torch
    except ImportError:
        raise InputError(
            name,
            "is a torch.save file; reading it needs PyTorch (pip install torch)",
            hint="without torch: np.save('x.npy', tensor.float().numpy()) where it was saved",
        ) from None
    obj = _load(torch, path, name)
    if key is not None:
        obj = _member(obj, key, name)
    elif not isinstance(obj, torch.Tensor):
        keys = _keys(obj, torch)
        if len(keys) != 1:
            shown = ", ".join(keys[:10]) + (", ..." if len(keys) > 10 else "")
            raise InputError(
                name,
                f"holds a {type(obj).__name__} of {len(keys)} tensors ({shown}); say which one"
                if keys
                else f"holds a {type(obj).__name__} without tensors",
                hint=f"use {name}:{keys[0]}" if keys else SAVE_INSTEAD,
            )
        obj = _member(obj, keys[0], name)
    if not isinstance(obj, torch.Tensor):
        raise InputError(name, f"holds a {type(obj).__name__}, not a tensor", hint=SAVE_INSTEAD)
    return _array(torch, obj.detach(), name)


def _load(torch, path: str | BinaryIO, name: str):
    mapped = isinstance(path, str | os.PathLike) and is_archive(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=mapped)
    except Exception as exc:  # UnpicklingError (refused objects), RuntimeError, EOFError, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "Weights only load failed" in first or "weights_only" in str(exc):
            raise InputError(
                name,
                "holds objects PyTorch's restricted loader (weights_only=True) refuses; "
                "cece never runs the general unpickler",
                hint="save tensors only: torch.save({'logits': logits}, path)",
            ) from None
        raise InputError(name, f"not a readable torch.save file ({first})") from None


def _keys(obj, torch) -> list[str]:
    """The members of a dict/list/tuple that are tensors, as ``:key`` would name them."""
    if isinstance(obj, dict):
        return [str(k) for k, v in obj.items() if isinstance(v, torch.Tensor)]
    if isinstance(obj, (list, tuple)):
        return [str(i) for i, v in enumerate(obj) if isinstance(v, torch.Tensor)]
    return []


def _member(obj, key: str, name: str, under: str = ""):
    """``key`` in a dict (its string form), or an index of a list/tuple; dotted paths go down
    nested containers when no key has the whole name. ``under``: the path above, for the
    message (``has no member 'logit' under 'outputs'; the dict holds logits``)."""
    if isinstance(obj, dict):
        by_name = {str(k): v for k, v in obj.items()}
        if key in by_name:
            return by_name[key]
    elif (
        isinstance(obj, (list, tuple))
        and key.lstrip("-").isdigit()
        and -len(obj) <= int(key) < len(obj)
    ):
        return obj[int(key)]
    head, dot, rest = key.partition(".")
    if dot and isinstance(obj, (dict, list, tuple)):
        try:
            inner = _member(obj, head, name)
        except InputError:
            pass
        else:
            return _member(inner, rest, name, f"{under}.{head}" if under else head)
    at = f"has no member {key!r}" + (f" under {under!r}" if under else "")
    if isinstance(obj, dict):
        members = [str(k) for k in obj]
        shown = ", ".join(members[:12]) + (", …" if len(members) > 12 else "")
        raise InputError(name, f"{at}; the dict holds {shown or 'nothing'}")
    if isinstance(obj, (list, tuple)):
        held = f"0..{len(obj) - 1}" if obj else "nothing"
        raise InputError(name, f"{at}; the {type(obj).__name__} holds {held}")
    raise InputError(name, f"{at} ({type(obj).__name__} at that level)")


def _array(torch, t, name: str) -> ArrayInput:
    stored = str(t.dtype).removeprefix("torch.")
    if t.dtype == torch.bfloat16:
        bits = t.view(torch.int16).numpy().view(BF16)
        return ArrayInput(
            name, bits, stored=True, bfloat16=True, stored_dtype=stored, torch_saved=True
        )
    if t.is_complex() or (t.dtype.itemsize == 1 and t.is_floating_point()):
        raise InputError(
            name,
            f"holds a {stored} tensor, which cece does not read",
            hint="save it as float32: tensor.float()",
        )
    try:
        array = t.numpy()
    except (TypeError, RuntimeError) as exc:
        raise InputError(name, f"holds a {stored} tensor cece cannot read ({exc})") from None
    return ArrayInput(name, np.asarray(array), stored=True, stored_dtype=stored, torch_saved=True)
