"""Docs that cannot drift: every command's help ends with examples, the README's set-up
commands are the ones CI runs, and the README's console examples print what they show."""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cece.cli.app import commands

from conftest import ROOT, run_cece

COMMANDS = commands()  # every command, in the order of `cece --help`

README = (ROOT / "README.md").read_text()
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def commands() -> list[str]:
    return list(COMMANDS)


def _third_shard(path: Path) -> None:
    """A shard like sample_data/shard_a.json: a third cat/dog/pig image, computed alone."""
    run = run_cece(
        "categorical",
        "[[3,1,2]]",
        "[1]",
        "--from",
        "logits",
        "--classes",
        "cat,dog,pig",
        "-f",
        "json",
        "-o",
        str(path),
    )
    assert run.code == 0, run.err


def _npy(values) -> Callable[[Path], None]:
    return lambda path: np.save(path, np.array(values, dtype=float))


# The files the help examples name that sample_data/ does not hold: copies of sample files
# (by name) or made here, per command, so that every example runs (none is passed over).
STAND_INS: dict[str, dict[str, str | Callable[[Path], None]]] = {
    "categorical": {
        "probs.csv": "probs4.csv",
        "onehot.csv": "probs4_onehot.csv",
        "eval.csv": "catdogpig_eval.csv",
        "logits.npy": _npy([[[1, 2, 3], [2, 4, 6], [0, 1, 0]]]),
        "input_ids.npy": _npy([[2, 0, 1]]),
        "attention_mask.npy": _npy([[1, 1, 0]]),
    },
    "binary": {
        "scores.npy": _npy([-1.5, 0.3, 2.0]),
        "targets.npy": _npy([0, 1, 1]),
        "probs.csv": "catdog_eleven_pdog.csv",
        "targets.csv": "catdog_eleven_isdog.csv",
    },
    "merge": {
        "shard-0.json": "shard_a.json",
        "shard-1.json": "shard_b.json",
        "shard-2.json": _third_shard,
        "shards/a.json": "shard_a.json",
        "shards/b.json": "shard_b.json",
        "baseline.json": "baseline.json",
    },
    "kl": {
        "teacher_logits.npy": _npy([[1, 2, 3], [2, 4, 6]]),
        "student_logits.npy": _npy([[1, 1, 1], [0, 2, 4]]),
    },
}


@pytest.mark.parametrize("command", commands())
def test_every_help_page_ends_with_runnable_examples(command, monkeypatch, tmp_path):
    """Every example of every help page runs and exits 0, in a directory holding sample_data/
    and the stand-ins above for the files the examples name."""
    monkeypatch.setenv("COLUMNS", "200")  # one example per line
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    for name, source in STAND_INS.get(command, {}).items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        if callable(source):
            source(tmp_path / name)
        else:
            shutil.copyfile(ROOT / "sample_data" / source, tmp_path / name)
    run = run_cece(command, "--help")
    assert run.code == 0
    tail = run.out[run.out.index("Examples:") :]
    examples = [line.strip() for line in tail.splitlines() if line.strip().startswith("cece ")]
    assert examples, run.out
    for example in examples:
        args = []
        for arg in shlex.split(example)[1:]:  # the shell's part: globs
            matches = sorted(glob.glob(arg)) if "*" in arg else [arg]
            assert matches, f"{example}: nothing matches {arg} (add a stand-in to STAND_INS)"
            args += matches
        result = run_cece(*args)
        assert result.code == 0, f"{example}\n{result.err}(a missing file? see STAND_INS)"


@pytest.mark.parametrize("command", commands())
def test_every_command_is_documented_in_the_readme(command):
    assert f"cece {command}" in README


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_second():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.DOTALL)
    assert blocks[0].startswith("pip install . && cece categorical sample_data/")
    assert blocks[1] == "pip install '.[test]' && pytest"
    assert blocks[1] in (ROOT / ".ci" / "run").read_text()


def console_examples() -> list[tuple[str, list[str]]]:
    """Every `$ command` of the README's console blocks, with the lines it shows."""
    examples = []
    for block in re.findall(r"```console\n(.*?)\n```", README, re.DOTALL):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ ") and "#" not in line:
                shown = []
                for follow in lines[i + 1 :]:
                    if follow.startswith("$ "):
                        break
                    shown.append(follow.rstrip())
                examples.append((line[2:], shown))
    return examples


@pytest.mark.parametrize("command, shown", console_examples(), ids=lambda v: str(v)[:50])
def test_readme_console_examples_print_what_they_show(command, shown):
    """Run in a real shell with the installed cece, standard error merged as a terminal shows."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    printed = [line.rstrip() for line in proc.stdout.splitlines()]
    while printed and not printed[-1]:
        printed.pop()
    assert [NUMBER.sub("#", line) for line in printed] == [
        NUMBER.sub("#", line) for line in shown
    ], command
    # the numbers: equal to float64 rounding, as the compiled kernels print them; with them
    # off (CECE_NO_FAST=1, or not built) the numpy path's float64 losses of float32 inputs
    # differ within the kernels' contract (1.1e-7 relative: README "Precision and speed")
    import cece._native

    rtol = 1e-12 if cece._native.FAST else 1.1e-7
    for got, want in zip(printed, shown):
        np.testing.assert_allclose(
            [float(v) for v in NUMBER.findall(got)],
            [float(v) for v in NUMBER.findall(want)],
            rtol=rtol,
        )


def test_the_ci_job_runs_as_written(tmp_path):
    job = re.search(r"```yaml\n(.*?)\n```", README, re.DOTALL).group(1)
    command = re.search(r"run: >\n((?:\s{10}.*\n?)+)", job).group(1)
    command = " ".join(command.split()).replace("-o loss.json", f"-o {tmp_path / 'loss.json'}")
    assert command.startswith("cece categorical")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "loss.json").read_text())["loss"] > 0
