"""@struct (cece/structs.py) makes the class @dataclass would, without compiling its methods at
import: the same instances, errors, repr and frozenness, checked against @dataclass itself."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cece.structs import struct

from conftest import ROOT


@struct
class Point:
    """A struct."""

    x: int
    y: float = 0.5
    tags: list[str] = field(default_factory=list)
    note: str | None = field(default=None, repr=False)


@dataclass(eq=False)
class PointDC:
    """Its dataclass twin (the oracle)."""

    x: int
    y: float = 0.5
    tags: list[str] = field(default_factory=list)
    note: str | None = field(default=None, repr=False)


@struct(frozen=True)
class Frozen:
    """A frozen struct."""

    a: int
    b: str = "b"


@dataclass(frozen=True, eq=False)
class FrozenDC:
    """Its dataclass twin."""

    a: int
    b: str = "b"


CALLS = [
    ((1,), {}),
    ((1, 2.0), {}),
    ((), {"x": 3, "tags": ["t"]}),
    ((4,), {"note": "n", "y": 1.5}),
    ((5, 2.5, ["a", "b"], "z"), {}),
]


def state(obj: object) -> dict:
    return dict(vars(obj))


@pytest.mark.parametrize("args, kwargs", CALLS)
def test_instances_are_the_dataclasss(args, kwargs):
    ours, theirs = Point(*args, **kwargs), PointDC(*args, **kwargs)
    assert state(ours) == state(theirs)
    assert repr(ours).replace("Point(", "PointDC(", 1) == repr(theirs)


@given(
    x=st.integers(),
    y=st.none() | st.floats(allow_nan=False),
    tags=st.none() | st.lists(st.text(max_size=3), max_size=3),
    positional=st.integers(0, 3),
)
def test_any_call_builds_what_the_dataclass_builds(x, y, tags, positional):
    given_ = {"x": x, "y": y, "tags": tags}
    given_ = {k: v for k, v in given_.items() if v is not None}
    names = list(given_)[:positional]
    args = [given_.pop(n) for n in names]
    ours, theirs = Point(*args, **given_), PointDC(*args, **given_)
    assert state(ours) == state(theirs)


def test_a_default_factory_gives_each_instance_its_own_value():
    a, b = Point(1), Point(2)
    a.tags.append("x")
    assert b.tags == []


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((), {}, r"missing 1 required positional argument: 'x'"),
        ((1,), {"z": 2}, r"got an unexpected keyword argument 'z'"),
        ((1,), {"x": 2}, r"got multiple values for argument 'x'"),
        ((1, 2, [], None, 5), {}, r"positional arguments but 6 were given"),
    ],
)
def test_wrong_calls_raise_typeerror_as_the_dataclass_does(args, kwargs, message):
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)
    with pytest.raises(TypeError, match=message):
        PointDC(*args, **kwargs)


def test_frozen_structs_refuse_assignment_and_deletion():
    f = Frozen(1)
    for obj in (f, FrozenDC(1)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            obj.a = 2  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            del obj.b  # type: ignore[misc]
    assert (f.a, f.b) == (1, "b")
    Point(1).x = 5  # a struct that is not frozen takes assignments


def test_dataclass_functions_work_on_structs():
    f = Frozen(1, "c")
    g = dataclasses.replace(f, a=2)
    assert (g.a, g.b) == (2, "c") and (f.a, f.b) == (1, "c")
    assert [x.name for x in dataclasses.fields(Point)] == ["x", "y", "tags", "note"]
    assert dataclasses.asdict(Point(1, tags=["t"])) == {
        "x": 1,
        "y": 0.5,
        "tags": ["t"],
        "note": None,
    }
    assert dataclasses.is_dataclass(Point) and dataclasses.is_dataclass(Frozen(1))


def test_frozen_structs_copy_and_pickle():
    f = Frozen(3, "q")
    for g in (copy.copy(f), copy.deepcopy(f), pickle.loads(pickle.dumps(f))):
        assert (g.a, g.b) == (3, "q") and type(g) is Frozen


def test_structs_compare_by_identity():
    """eq=False, as the classes they replace: value comparison stays with @dataclass."""
    a = Point(1)
    assert a == a and a != Point(1)


def test_no_class_is_a_dataclass_compared_by_identity():
    """A class not compared by value is a @struct: a @dataclass(eq=False) would compile its
    methods at import again."""
    found = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in sorted((ROOT / "cece").rglob("*.py"))
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.match(r"\s*@dataclass\(.*eq=False", line)
    ]
    assert not found, found


def test_a_loss_run_compiles_few_dataclass_methods():
    """The classes a loss run imports compile no per-class methods at import but those of the
    one compared by value (callgrind: 503 M → 451 M instructions for a 1000-value binary run)."""
    import subprocess
    import sys

    code = (
        "import dataclasses\n"
        "made = []\n"
        "orig = dataclasses._create_fn\n"
        "def spy(name, *a, **k):\n"
        "    made.append(name)\n"
        "    return orig(name, *a, **k)\n"
        "dataclasses._create_fn = spy\n"
        "import cece.cli.run, cece.engine.binary, cece.engine.categorical, cece.cli.direct\n"
        "print(len(made))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    # RatioMoments, compared by value, stays a dataclass: __init__, __repr__, __eq__; 57 before
    assert int(out.stdout) <= 3, out.stdout
