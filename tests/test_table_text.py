"""Tables show text as given: class names are never read as rich markup or emoji codes."""

from __future__ import annotations

from conftest import run_cece


def test_class_names_that_look_like_markup_are_shown_as_they_are(write):
    labels = write("y.csv", "[cat]\n:dog:\n[bold]x\n")
    run = run_cece(
        "categorical", "[[1,2,0],[3,1,0],[0,0,4]]", labels, "--classes", "[cat],:dog:,[bold]x"
    )
    assert run.code == 0, run.err
    rows = [line.split() for line in run.out.splitlines()]
    assert rows[4][:3] == ["0", "[cat]", ":dog:"]
    assert rows[5][:3] == ["1", ":dog:", "[cat]"]
    assert rows[6][:3] == ["2", "[bold]x", "[bold]x"]
