"""``-q`` prints the bare number; the notes (what cece inferred) stay off stderr unless ``-v``
asks for them, while warnings always print (README, ``-q, --quiet``)."""

from __future__ import annotations

from conftest import run_cece

SAMPLE = "sample_data/catdogpig_logits.csv", "sample_data/catdogpig_labels.csv"
KIND_NOTE = "cece: note: sample_data/catdogpig_logits.csv: treating predictions as logits"


def test_quiet_hides_the_notes():
    run = run_cece("categorical", *SAMPLE, "-q")
    assert run.code == 0
    assert run.out == "1.2752687964721399\n"
    assert run.err == ""


def test_quiet_with_verbose_prints_the_notes_and_the_same_number():
    run = run_cece("categorical", *SAMPLE, "-q", "-v")
    assert run.code == 0
    assert run.out == "1.2752687964721399\n"
    assert KIND_NOTE in run.err


def test_quiet_still_prints_warnings():
    run = run_cece("categorical", "[[0.5, 0.6], [0.2, 0.8]]", "[0, 1]", "--from", "probs", "-q")
    assert run.code == 0
    assert "cece: warning: " in run.err and "do not sum to 1" in run.err
    assert "cece: note:" not in run.err


def test_compare_quiet_with_verbose_prints_the_notes():
    args = ("compare", "sample_data/catdogpig_onehot.csv", *SAMPLE, "-q")
    assert "cece: note:" not in run_cece(*args).err
    assert KIND_NOTE in run_cece(*args, "-v").err
