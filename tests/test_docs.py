"""Docs that cannot drift: every command's help ends with examples, the README's set-up
commands are the ones CI runs, and the README's console examples print what they show."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cece.cli import entry  # noqa: F401  (registers the commands)
from cece.cli.app import COMMANDS

from conftest import ROOT, run_cece

README = (ROOT / "README.md").read_text()
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def commands() -> list[str]:
    return list(COMMANDS)


@pytest.mark.parametrize("command", commands())
def test_every_help_page_ends_with_runnable_examples(command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one example per line
    monkeypatch.chdir(ROOT)
    run = run_cece(command, "--help")
    assert run.code == 0
    tail = run.out[run.out.index("Examples:"):]
    examples = [line.strip() for line in tail.splitlines() if line.strip().startswith("cece ")]
    assert examples, run.out
    for example in examples:
        args = shlex.split(example)[1:]
        files = [a for a in args if "." in a and a.rsplit(".", 1)[1] in ("csv", "npy", "json")]
        if all((ROOT / a).exists() for a in files):
            assert run_cece(*args).code == 0, example


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
                for follow in lines[i + 1:]:
                    if follow.startswith("$ "):
                        break
                    shown.append(follow.rstrip())
                examples.append((line[2:], shown))
    return examples


@pytest.mark.parametrize("command, shown", console_examples(), ids=lambda v: str(v)[:50])
def test_readme_console_examples_print_what_they_show(command, shown):
    """Run in a real shell with the installed cece, standard error merged as a terminal shows."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    printed = [line.rstrip() for line in proc.stdout.splitlines()]
    while printed and not printed[-1]:
        printed.pop()
    assert [NUMBER.sub("#", line) for line in printed] == [NUMBER.sub("#", line) for line in shown], command
    for got, want in zip(printed, shown):  # the numbers: equal to float64 rounding
        np.testing.assert_allclose([float(v) for v in NUMBER.findall(got)],
                                   [float(v) for v in NUMBER.findall(want)], rtol=1e-12)


def test_the_ci_job_runs_as_written(tmp_path):
    job = re.search(r"```yaml\n(.*?)\n```", README, re.DOTALL).group(1)
    command = re.search(r"run: >\n((?:\s{10}.*\n?)+)", job).group(1)
    command = " ".join(command.split()).replace("-o loss.json", f"-o {tmp_path / 'loss.json'}")
    assert command.startswith("cece categorical")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "loss.json").read_text())["loss"] > 0
