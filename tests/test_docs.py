"""Docs that cannot drift: every command's help ends with examples, the README's set-up
commands are the ones CI runs, and the README's console examples print what they show."""

from __future__ import annotations

import re
import shlex

import pytest

from cece.cli import app
from conftest import ROOT, run_cece

README = (ROOT / "README.md").read_text()


def commands() -> list[str]:
    return [c.name or c.callback.__name__ for c in app.registered_commands]


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
        if all(not a.endswith((".csv", ".npy")) or (ROOT / a).exists() for a in args):
            assert run_cece(*args).code == 0, example


@pytest.mark.parametrize("command", commands())
def test_every_command_is_documented_in_the_readme(command):
    assert f"cece {command}" in README


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_second():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert blocks[0].startswith("pip install . && cece categorical sample_data/")
    assert blocks[1] == "pip install '.[test]' && pytest"
    assert blocks[1] in (ROOT / ".ci" / "run").read_text()


def test_readme_console_examples_print_what_they_show(monkeypatch):
    monkeypatch.chdir(ROOT)
    for block in re.findall(r"```console\n(.*?)\n```", README, re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if not line.startswith("$ cece ") or "|" in line or "#" in line:
                continue
            expected = []
            for follow in lines[i + 1:]:
                if follow.startswith("$ "):
                    break
                expected.append(follow.rstrip())
            run = run_cece(*shlex.split(line[2:])[1:])
            shown = [l.rstrip() for l in (run.err + run.out).splitlines()]
            while shown and not shown[-1]:
                shown.pop()
            assert shown == expected, line
