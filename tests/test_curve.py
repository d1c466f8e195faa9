"""`cece curve` (terminal plot, points, image) and `--hist`."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
import scipy.stats

from cece.tools import curve

from conftest import run_cece


def test_points_follow_the_formula_and_the_minimum_is_the_entropy():
    run = run_cece("curve", "--binary", "-t", "0.3", "-t", "1", "-f", "csv", "--points", "11")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "target,p,loss"
    rows = [tuple(float(v) for v in line.split(",")) for line in lines[1:]]
    assert len(rows) == 22
    for y, p, loss in rows:
        want = -(y * math.log(p) if y and p else 0) - (
            (1 - y) * math.log(1 - p) if y < 1 and p < 1 else 0
        )
        if (p == 0 and y > 0) or (p == 1 and y < 1):
            assert loss == math.inf
        else:
            assert loss == pytest.approx(want, rel=1e-12, abs=1e-15)
    soft = [(p, loss) for y, p, loss in rows if y == 0.3]
    best = min(soft, key=lambda r: r[1])
    assert best[0] == pytest.approx(0.3)
    assert best[1] == pytest.approx(scipy.stats.entropy([0.3, 0.7]), rel=1e-12)


def test_json_points_in_bits():
    doc = json.loads(run_cece("curve", "-f", "json", "-b", "2", "--points", "5").out)
    c = doc["curves"][0]
    assert doc["unit"] == "bits" and c["target"] == 1.0
    assert c["p"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert c["loss"][0] == "inf" and c["loss"][1] == pytest.approx(2.0) and c["loss"][4] == 0.0


def test_terminal_plot_has_axes_labels_and_legend():
    run = run_cece(
        "curve",
        "--binary",
        "-t",
        "1",
        "-t",
        "0.3",
        "--classes",
        "4",
        "--width",
        "50",
        "--height",
        "12",
    )
    lines = run.out.splitlines()
    assert lines[0] == "binary cross-entropy as a function of the predicted probability (nats)"
    assert "loss (nats)" in lines
    assert any("p, the predicted probability of the positive class" in line for line in lines)
    assert any(line.strip() == "● y = 1" for line in lines)
    assert any("minimum of y = 0.3: H = 0.6109 nats at p = 0.3" in line for line in lines)
    assert any("uniform guess over 4 classes: log 4 = 1.386 nats" in line for line in lines)
    plot = [line for line in lines if "┤" in line]
    assert len(plot) == 12
    assert max(len(line.split("┤", 1)[1]) for line in plot) <= 50
    # y = 1: high at the left edge, 0 at the right: the top row starts, the bottom row ends, with it
    assert "●" in plot[0].split("┤")[1][:3] and plot[-1].rstrip().endswith("●")


def test_png_is_written_and_worth_looking_at(tmp_path):
    from PIL import Image

    path = tmp_path / "c.png"
    run = run_cece("curve", "--binary", "-t", "1", "-t", "0.3", "-o", path)
    assert run.code == 0, run.err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as img:
        assert img.format == "PNG" and img.width >= 800 and img.height >= 500
        pixels = np.asarray(img.convert("L"), dtype=float)
    assert pixels.std() > 10  # not blank
    assert len(list(tmp_path.iterdir())) == 1  # no temporary file left behind


def test_svg(tmp_path):
    path = tmp_path / "c.svg"
    assert run_cece("curve", "-o", path).code == 0
    text = path.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text


def test_missing_matplotlib_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    run = run_cece("curve", "-o", tmp_path / "c.png")
    line = run.error_line()
    assert "needs matplotlib, which is not installed" in line
    assert "pip install 'cece[plot]'" in run.err
    assert not (tmp_path / "c.png").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["-t", "1.5"], "--target 1.5 is outside [0, 1]"),
        (["--classes", "1"], "--classes must be ≥ 2"),
        (["--points", "2", "-f", "csv"], "--points must be between 3 and 100000"),
        (["-f", "csv", "-o", "x.png"], "writes an image; -f csv writes text"),
    ],
)
def test_curve_errors(args, message):
    assert message in run_cece("curve", *args).error_line()


def test_curve_module_loss_is_finite_at_hard_targets_ends():
    assert curve.loss_at(np.array([1.0]), 1.0)[0] == 0.0
    assert curve.loss_at(np.array([0.0]), 0.0)[0] == 0.0


# -- --hist -------------------------------------------------------------------------------------


def test_hist_counts_every_sample(write):
    rng = np.random.default_rng(1)
    x = write("x.npy", rng.normal(size=(1000, 5)))
    y = write("y.npy", rng.integers(0, 5, 1000))
    doc = json.loads(run_cece("categorical", x, y, "--hist", "-f", "json").out)
    h = doc["histogram"]
    assert sum(h["counts"]) == 1000 and h["infinite"] == 0 and len(h["edges"]) == 21
    assert h["edges"][0] == doc["stats"]["min"] and h["edges"][-1] == pytest.approx(
        doc["stats"]["max"]
    )
    run = run_cece("categorical", x, y, "--hist", "--rows", "0")
    assert "histogram of 1,000 per-sample losses (nats)" in run.out
    bars = [line for line in run.out.splitlines() if " – " in line]
    assert len(bars) == 20
    assert sum(int(line.split()[3].replace(",", "")) for line in bars) == 1000


def test_hist_counts_infinite_losses_apart():
    run = run_cece(
        "categorical",
        "[[1,0],[0.5,0.5]]",
        "[0,1]",
        "--from",
        "probs",
        "--eps",
        "0",
        "--hist",
        "-f",
        "json",
    )
    h = json.loads(run.out)["histogram"]
    assert h["infinite"] == 0 and sum(h["counts"]) == 2
    run = run_cece(
        "categorical",
        "[[0,1],[0.5,0.5]]",
        "[0,1]",
        "--from",
        "probs",
        "--eps",
        "0",
        "--hist",
        "-f",
        "json",
    )
    h = json.loads(run.out)["histogram"]
    assert h["infinite"] == 1 and sum(h["counts"]) == 1


def test_hist_needs_the_tables():
    line = run_cece("binary", "0.7", "0.6", "--hist", "-q").error_line()
    assert "--hist draws under the tables" in line


def test_hist_of_equal_losses_is_one_bin():
    doc = json.loads(run_cece("entropy", "[[0.5,0.5],[0.5,0.5]]", "--hist", "-f", "json").out)
    assert doc["histogram"]["counts"] == [2]
    assert doc["histogram"]["edges"] == [math.log(2)] * 2
