"""Kind detection over many blocks (``--from auto``): whatever thread looks at a block (the main
thread for the first ones, the worker that computes it for later ones: cece/engine/detection.py),
the verdict, the numbers, the notes and the errors are those of a look at every block in order —
the same with one thread or two, and the same as the explicit ``--from`` the verdict names."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cece.io.blocks
from cece.checks import KindDetector

from conftest import run_cece

ROWS = 1000  # blocks of 1000 rows: 10,500 rows are 11 blocks
N, C = 10_500, 5


def _probs(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    e = rng.random((N, C)) + 0.05
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32), rng.integers(0, C, N)


def _run(write, x, y, *args):
    run = run_cece("categorical", write("x.npy", x), write("y.npy", y), *args)
    return run


@pytest.fixture(params=["1", "2"])
def blocks(request, monkeypatch):
    monkeypatch.setattr(cece.io.blocks, "ROWS", ROWS)
    monkeypatch.setenv("CECE_THREADS", request.param)
    return request.param


def test_probabilities_over_many_blocks_are_detected_as_the_explicit_kind(write, blocks):
    x, y = _probs()
    auto = _run(write, x, y, "-f", "json")
    explicit = _run(write, x, y, "-f", "json", "--from", "probs")
    assert auto.code == explicit.code == 0, auto.err
    assert json.loads(auto.out)["loss"] == json.loads(explicit.out)["loss"]
    assert "treating predictions as probs" in auto.err


@pytest.mark.parametrize("block", [1, 4, 9])
@pytest.mark.parametrize("change", ["out of range", "a row off 1"])
def test_a_later_block_ruling_out_probabilities_makes_them_logits_as_in_order(
    write, blocks, block, change
):
    x, y = _probs()
    row = block * ROWS + 7
    if change == "out of range":
        x[row, 2] = 1.7  # not a probability: logits, from the first block on
        said = "treating predictions as logits"
    else:
        x[row] *= 0.5  # in [0, 1], summing to 0.5
        said = f"row {row} sums to 0.5, not 1, so they were treated as logits"
    auto = _run(write, x, y, "-f", "json")
    logits = _run(write, x, y, "-f", "json", "--from", "logits")
    assert auto.code == logits.code == 0, auto.err
    assert json.loads(auto.out)["loss"] == json.loads(logits.out)["loss"]
    assert said in auto.err
    # the first rows' verdict was noted; the revised one says that it revises it
    notes = [line for line in auto.err_lines if "treating predictions as" in line]
    assert len(notes) == 2, auto.err
    assert "treating predictions as probs (" in notes[0]
    assert "treating predictions as logits, not probs as the first rows suggested (" in notes[1]


@pytest.mark.parametrize("block", [1, 4, 9])
def test_streamed_records_then_a_change_of_kind_is_an_error_naming_the_block(write, blocks, block):
    """Records already written cannot be taken back: a change of kind once they are is an
    error (before: a new pass). The main thread looks at the first block alone, so the error
    is the same with one thread or two (with two, block 1 was once looked at by the main
    thread before anything was folded, and its change of kind was a new pass)."""
    x, y = _probs()
    x[block * ROWS + 7, 2] = 1.7
    run = _run(write, x, y, "-f", "jsonl")
    assert run.code == 2
    assert f"rows from {block * ROWS} on rule out probs, which the first rows suggested" in (
        run.err
    )


@pytest.mark.parametrize("block", [0, 1, 4, 9])
def test_a_nan_in_any_block_is_the_same_error_line(write, blocks, block):
    x, y = _probs()
    x[block * ROWS + 3, 1] = np.nan
    run = _run(write, x, y)
    assert run.code == 2
    want = f"cece: error: {write('x.npy', x)}: row {block * ROWS + 3}, column 1: found nan value"
    assert run.err_lines[0].startswith(want), run.err


def _looked(block: np.ndarray, **detector) -> KindDetector:
    d = KindDetector(**detector)
    d.update(block, 0)
    return d


@pytest.mark.parametrize(
    ("values", "detector", "kind", "verifies"),
    [
        ("softmax", {}, "probs", True),  # range and every row's sum: all verify would do
        ("log_softmax", {}, "log-probs", True),
        ("softmax", {"renormalize": True}, "probs", False),  # zero rows are verify's
        ("normal", {}, "logits", False),  # logits: nothing was verified
        ("off one", {}, "probs", False),  # probabilities ruled out
        ("uniform", {"rows_sum_to_one": False, "kinds": ("probs",)}, "probs", False),  # K = 3
        ("column", {"rows_sum_to_one": False, "kinds": ("probs",)}, "probs", True),  # K = 1
    ],
)
def test_a_detector_verifies_only_what_it_checked(values, detector, kind, verifies):
    """The workers skip a block's verification and finiteness check only where the block's
    detection did that work (KindDetector.verifies); a block outside the kind is never one."""
    rng = np.random.default_rng(2)
    x = rng.random((200, 3))
    block = {
        "softmax": x / x.sum(axis=1, keepdims=True),
        "log_softmax": np.log(x / x.sum(axis=1, keepdims=True)),
        "normal": rng.standard_normal((200, 3)),
        "off one": x / x.sum(axis=1, keepdims=True) * 0.9,
        "uniform": x,
        "column": x[:, :1],
    }[values]
    assert _looked(block, **detector).verifies(kind, block) is verifies


def test_blocks_whose_look_verified_them_give_the_explicit_run_s_numbers(write, blocks):
    """Later blocks' checks are the detection's (not read again): the loss and every figure
    are --from probs's, which verifies every block itself."""
    x, y = _probs(5)
    auto = json.loads(_run(write, x, y, "-f", "json").out)
    explicit = json.loads(_run(write, x, y, "--from", "probs", "-f", "json").out)
    assert auto["input"]["kind"] == "probs"
    assert auto["loss"] == explicit["loss"] and auto["stats"] == explicit["stats"]


def test_later_blocks_looks_take_the_loss_s_picks(write, blocks, monkeypatch):
    """A worker's look at a block of probabilities against class indices takes the values at
    the labels and the right flags in its own pass (kernels.row_stats with the labels), and
    the loss uses them instead of reading the block again: every block after the first, which
    the main thread looks at; the numbers are --from probs's (checked above)."""
    import cece._native as kernels

    if not kernels.compiled(np.zeros((2, 2), np.float32)):
        pytest.skip("the fused pass is the compiled kernel's")  # the numpy path: no picks
    kept = []
    recall = kernels.recall_picks
    monkeypatch.setattr(kernels, "recall_picks", lambda x, y: kept.append(recall(x, y)) or kept[-1])
    x, y = _probs(5)
    assert _run(write, x, y, "-q").code == 0
    assert len(kept) == 11 and sum(k is not None for k in kept) == 10  # the first: main's


@pytest.mark.parametrize("block", [0, 6])
def test_a_bad_label_in_a_looked_block_is_the_explicit_run_s_error(write, blocks, block):
    """A label outside 0..C-1 in a block whose look takes the picks: nothing is kept, and the
    error line is the one --from probs gives (the loss's own check, naming the row)."""
    x, y = _probs()
    y[block * ROWS + 11] = C + 2
    auto, explicit = _run(write, x, y), _run(write, x, y, "--from", "probs")
    assert auto.code == explicit.code == 2
    assert auto.err.splitlines()[-1] == explicit.err.splitlines()[-1]
    assert f"row {block * ROWS + 11}" in auto.err


def test_only_blocks_computed_from_their_picks_take_them(write, blocks, monkeypatch):
    """The look takes the picks where the block is computed as probabilities or
    log-probabilities; --from logits's look (the spy that warns of probabilities fed as
    logits) takes none, since the softmax kernel reads the block itself."""
    import cece._native as kernels

    with_labels = []
    row_stats = kernels.row_stats
    monkeypatch.setattr(
        kernels,
        "row_stats",
        lambda x, labels=None: with_labels.append(labels is not None) or row_stats(x, labels),
    )
    x, y = _probs(5)
    assert _run(write, x, y, "-q", "--from", "logits").code == 0
    assert with_labels and not any(with_labels)
    with_labels.clear()
    assert _run(write, np.log(x), y, "-q").code == 0  # log-probabilities, detected
    assert any(with_labels)


def _column(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Sigmoid probabilities in one column and their 0/1 targets."""
    rng = np.random.default_rng(seed)
    return rng.random(N).astype(np.float32), (rng.random(N) < 0.5).astype(np.float32)


def _binary(write, x, y, *args):
    return run_cece("binary", write("p.npy", x), write("t.npy", y), *args)


def test_binary_probabilities_are_looked_at_by_their_own_pass(write, blocks, monkeypatch):
    """Blocks of one column computed as probabilities: the loss's pass keeps their extrema
    (Terms.extent), which are the look at every block after the first (the main thread's)
    and the explicit run's range check: no pass of their own. The numbers are --from probs's."""
    import cece._native as kernels

    looked = []
    row_stats = kernels.row_stats
    monkeypatch.setattr(
        kernels, "row_stats", lambda x, labels=None: looked.append(len(x)) or row_stats(x, labels)
    )
    x, y = _column()
    auto = json.loads(_binary(write, x, y, "-f", "json").out)
    assert auto["input"]["kind"] == "probs"
    assert 0 < len(looked) <= 2 and sum(looked) <= 2 * ROWS  # the main thread's look alone
    looked.clear()
    explicit = json.loads(_binary(write, x, y, "-f", "json", "--from", "probs").out)
    assert not looked
    assert auto["loss"] == explicit["loss"] and auto["stats"] == explicit["stats"]


@pytest.mark.parametrize("block", [0, 1, 4, 10])
@pytest.mark.parametrize("value", [1.7, -0.5])
def test_a_binary_block_out_of_range_is_read_as_in_order(write, blocks, block, value):
    """A value outside [0, 1] in any block: under --from auto, logits from the first block on
    (the --from logits numbers); under --from probs, the error line naming its place."""
    x, y = _column()
    row = block * ROWS + 5
    x[row] = value
    auto = _binary(write, x, y, "-f", "json")
    logits = _binary(write, x, y, "-f", "json", "--from", "logits")
    assert auto.code == logits.code == 0, auto.err
    assert json.loads(auto.out)["loss"] == json.loads(logits.out)["loss"]
    assert "treating predictions as logits" in auto.err
    explicit = _binary(write, x, y, "--from", "probs")
    assert explicit.code == 2
    assert explicit.err_lines[0] == (
        f"cece: error: {write('p.npy', x)}: row {row}, column 0: {value:g} is not a probability "
        "(expected a value in [0, 1])"
    )


@pytest.mark.parametrize("block", [0, 1, 4, 10])
@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("kind", ["auto", "probs"])
def test_a_binary_block_not_finite_is_the_same_error_line(write, blocks, block, value, kind):
    x, y = _column()
    row = block * ROWS + 9
    x[row] = value
    run = _binary(write, x, y, "--from", kind)
    assert run.code == 2
    want = f"cece: error: {write('p.npy', x)}: row {row}, column 0: found {value} value"
    assert run.err_lines[0].startswith(want), run.err


def test_labels_whose_picks_were_taken_are_not_ranged_again(write, blocks, monkeypatch):
    """The look's pass that took a block's picks found every label in 0..C-1: the loss's own
    range check of those labels (a min and a max over them) is skipped for exactly those
    blocks, and the numbers are --from probs's."""
    import cece._native as kernels
    from cece import checks

    if not kernels.compiled(np.zeros((2, 2), np.float32)):
        pytest.skip("the fused pass is the compiled kernel's")  # the numpy path: no picks
    ranged = []
    index_targets = checks.index_targets

    def spy(*args, bounds=True, **kwargs):
        ranged.append(bounds)
        return index_targets(*args, bounds=bounds, **kwargs)

    monkeypatch.setattr(checks, "index_targets", spy)
    x, y = _probs(5)
    auto = json.loads(_run(write, x, y, "-f", "json").out)
    assert len(ranged) == 11 and ranged.count(False) == 10  # the first: the main's look
    ranged.clear()
    explicit = json.loads(_run(write, x, y, "--from", "probs", "-f", "json").out)
    assert ranged == [True] * 11
    assert auto["loss"] == explicit["loss"] and auto["stats"] == explicit["stats"]


@pytest.mark.parametrize("block", [0, 4])
@pytest.mark.parametrize("bad", ["nan", "logit"])
def test_a_bad_prediction_is_named_before_a_bad_target_in_its_block(write, blocks, block, bad):
    """A block holding a bad target and, later in it, a NaN prediction: the prediction's error
    line, under auto as under --from probs, whichever thread looks at the block; a logit
    there instead changes the kind first, and the target's error is then --from logits's."""
    x, y = _column()
    y[block * ROWS + 3] = 2.0
    x[block * ROWS + 9] = np.nan if bad == "nan" else 1.5
    auto = _binary(write, x, y)
    explicit = _binary(write, x, y, "--from", "probs" if bad == "nan" else "logits")
    assert auto.code == explicit.code == 2
    assert auto.err_lines[0] == explicit.err_lines[0], auto.err
    assert f"row {block * ROWS + (9 if bad == 'nan' else 3)}" in auto.err_lines[0]
