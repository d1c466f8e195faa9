"""Every CeceError survives pickling (a worker process can hand one back) and is a ValueError
(library callers catch it as one)."""

from __future__ import annotations

import pickle

import pytest

from cece import errors

CASES = [
    errors.CeceError("plain message", hint="a hint"),
    errors.CeceError("no hint"),
    errors.InputError("f.csv", "msg", row=3, hint="h"),
    errors.InputError("f.csv", "msg", line=4, column="dog"),
    errors.InputError("targets", "label 5 is out of range for 3 classes (expected 0..2)", row=0),
    errors.OptionError("--eps must be in [0, 0.5); got 0.5"),
    errors.StrictError("3 row(s) do not sum to 1 (--strict)", hint="--renormalize"),
]


def _subclasses(cls: type) -> set[type]:
    out = {cls}
    for sub in cls.__subclasses__():
        out |= _subclasses(sub)
    return out


@pytest.mark.parametrize("cls", sorted(_subclasses(errors.CeceError), key=lambda c: c.__name__))
def test_every_subclass_survives_pickle(cls):
    """Whatever its __init__ takes (subclasses added later too): rebuilt from its state."""
    error = cls.__new__(cls)
    error.args = ("a message",)
    error.message, error.hint, error.extra = "a message", "a hint", {"row": 3}
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is cls and (str(back), back.hint, back.extra) == (
        str(error),
        "a hint",
        {"row": 3},
    )


@pytest.mark.parametrize("error", CASES, ids=lambda e: f"{type(e).__name__}:{e}")
def test_errors_survive_pickle(error):
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(error, protocol=protocol))
        assert type(back) is type(error)
        assert str(back) == str(error) and back.message == error.message
        assert back.hint == error.hint and back.args == error.args
        assert back.exit_code == error.exit_code
        assert getattr(back, "source", None) == getattr(error, "source", None)
        assert isinstance(back, ValueError)


def test_input_error_message_after_pickling():
    back = pickle.loads(pickle.dumps(errors.InputError("f.csv", "msg", row=3, hint="h")))
    assert (str(back), back.hint, back.source) == ("f.csv: row 3: msg", "h", "f.csv")


def test_errors_are_value_errors():
    with pytest.raises(ValueError, match="row 3: msg"):
        raise errors.InputError("f.csv", "msg", row=3)
