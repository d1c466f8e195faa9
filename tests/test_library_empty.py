"""The library on arrays without samples or without classes (review finding 12): the CLI's
words from the one rule (``cece.losses.validate.not_empty``), never a number (nan) or
numpy's own error."""

from __future__ import annotations

import numpy as np
import pytest

import cece
from cece.errors import InputError

from conftest import run_cece

NO_SAMPLES = "no samples: shape {}; expected at least one row"
NO_COLUMNS = "no prediction columns: shape {}"


@pytest.mark.parametrize(
    "call, name, message",
    [
        (
            lambda: cece.categorical_cross_entropy(np.zeros((0, 3)), np.zeros(0, int)),
            "preds",
            NO_SAMPLES.format((0, 3)),
        ),
        (
            lambda: cece.categorical_cross_entropy(np.zeros((2, 0)), np.zeros(2, int)),
            "preds",
            NO_COLUMNS.format((2, 0)),
        ),
        (
            lambda: cece.categorical_cross_entropy(
                np.zeros((2, 0, 4)), np.zeros((2, 4), int), class_axis=1
            ),
            "preds",
            NO_COLUMNS.format((2, 0, 4)),
        ),
        (
            lambda: cece.categorical_cross_entropy(
                np.zeros((0, 3)), np.zeros((0, 3)), reduction="none"
            ),
            "preds",
            NO_SAMPLES.format((0, 3)),
        ),
        (
            lambda: cece.binary_cross_entropy_with_logits(np.zeros((0, 3)), np.zeros((0, 3))),
            "logits",
            NO_SAMPLES.format((0, 3)),
        ),
        (
            lambda: cece.binary_cross_entropy(np.zeros(0), np.zeros(0)),
            "probs",
            NO_SAMPLES.format((0,)),
        ),
        (
            lambda: cece.binary_cross_entropy(np.zeros((2, 0)), np.zeros((2, 0))),
            "probs",
            NO_COLUMNS.format((2, 0)),
        ),
        (lambda: cece.entropy(np.zeros((0, 3))), "p", NO_SAMPLES.format((0, 3))),
        (
            lambda: cece.kl_divergence(np.zeros((2, 0)), np.zeros((2, 0))),
            "p",
            NO_COLUMNS.format((2, 0)),
        ),
    ],
)
def test_library_refuses_empty_arrays_in_the_clis_words(call, name, message):
    with pytest.raises(InputError) as info:
        call()
    assert str(info.value) == f"{name}: {message}"


@pytest.mark.parametrize(
    "shape, message", [((0, 3), NO_SAMPLES.format((0, 3))), ((3, 0), NO_COLUMNS.format((3, 0)))]
)
def test_the_cli_says_the_same(write, shape, message):
    x = write("x.npy", np.zeros(shape))
    y = write("y.npy", np.zeros(shape[0], int))
    assert run_cece("categorical", x, y).error_line() == f"cece: error: {x}: {message}"
