"""A run imports the sharded engine only when it may need it: `could_be_sharded` is False
only where `cece.io.shards.is_sharded` is False (start-up; cece.cli.run)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cece.cli.run import could_be_sharded
from cece.io.shards import is_sharded

TEXT = st.one_of(
    st.text(alphabet="ab/.@*?[]{},0-9 \"'", max_size=12),
    st.text(max_size=8),
    st.sampled_from(["[0,2,1]", "[[1,2],[3,4]]", "@list.txt", "preds-*.npy", "x[0-9].npy"]),
)


@settings(max_examples=2000, deadline=None)
@given(value=TEXT)
def test_no_is_never_wrong(value):
    if not could_be_sharded(value):
        assert not is_sharded(value)


@pytest.mark.parametrize(
    ("value", "sharded"),
    [
        ("[0,2,1]", False),
        ("preds.csv", False),
        ("-", False),
        (None, False),
        ("preds-*.npy", True),
        ("@shards.txt", True),
        ("x[0-9].npy", True),
    ],
)
def test_examples(value, sharded):
    assert could_be_sharded(value) is sharded
    assert is_sharded(value) is sharded


def test_a_file_with_glob_characters_is_one_file(tmp_path, cece):
    path = tmp_path / "odd[1].csv"
    path.write_text("1,2,3\n2,4,6\n")
    assert could_be_sharded(str(path)) and not is_sharded(str(path))
    run = cece("categorical", str(path), "[0,2]", "-q")
    x = np.array([[1.0, 2, 3], [2, 4, 6]])
    expected = np.mean(np.log(np.exp(x).sum(axis=1)) - x[[0, 1], [0, 2]])
    assert run.code == 0, run
    assert float(run.out) == pytest.approx(expected, rel=1e-15)
    assert run.out == cece("categorical", "[[1,2,3],[2,4,6]]", "[0,2]", "-q").out
