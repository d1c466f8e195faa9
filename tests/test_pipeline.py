"""Pipelines and CI, end to end: the installed `cece` run by a real shell (`bash -c`), pipes,
standard input, terminals, exit codes 0/1/2/130, atomic -o, baselines and shard merges."""

from __future__ import annotations

import itertools
import json
import math
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
ENV.pop("NO_COLOR", None)
LOGITS, LABELS = "sample_data/catdogpig_logits.csv", "sample_data/catdogpig_labels.csv"


def sh(command: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


def test_head_closes_the_pipe_quietly(tmp_path):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((200_000, 4)))
    np.save(tmp_path / "y.npy", np.zeros(200_000, dtype=np.int64))
    proc = sh(
        f"set -o pipefail; cece categorical {tmp_path}/x.npy {tmp_path}/y.npy "
        "--from logits -f jsonl | head -1; echo status=${PIPESTATUS[0]}"
    )
    lines = proc.stdout.splitlines()
    assert json.loads(lines[0])["index"] == 0
    assert lines[1] in ("status=0", "status=141")  # done, or ended by SIGPIPE like `yes | head`
    assert proc.stderr == ""  # no traceback, no "Broken pipe"


def test_exit_codes_through_the_shell():
    ok = sh(f"cece categorical {LOGITS} {LABELS} -q")
    failed = sh(f"cece categorical {LOGITS} {LABELS} -q --fail-above 1")
    bad = sh(f"cece categorical {LOGITS} nope.csv -q")
    usage = sh("cece categorical --no-such-option")
    assert (ok.returncode, failed.returncode, bad.returncode, usage.returncode) == (0, 1, 2, 2)
    assert failed.stdout == ok.stdout == "1.2752687964721399\n"
    assert failed.stderr.startswith("cece: check failed: loss 1.2752687964721399 nats > 1")
    assert bad.stdout == "" and bad.stderr == "cece: error: nope.csv: no such file\n"


def test_stdin_from_a_pipe_and_a_heredoc():
    piped = sh(f"cat {LABELS} | cece categorical {LOGITS} - -q")
    heredoc = sh(f"cece categorical - {LABELS} -q <<'EOF'\ncat,dog,pig\n1,2,3\n2,4,6\nEOF")
    assert piped.stdout == heredoc.stdout == "1.2752687964721399\n"


def _run_on_pty(args: list[str], env: dict, stdin_data: bytes | None = None) -> tuple[str, int]:
    """Run cece with a pseudo-terminal as stdin, stdout and stderr; return what it printed."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [str(BIN / "cece"), *args],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=ROOT,
        env=env,
        close_fds=True,
    )
    os.close(secondary)
    out = b""
    sent = False
    deadline = time.time() + 30
    while time.time() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if stdin_data is not None and not sent and b"waiting for standard input" in out:
            os.write(main, stdin_data + b"\x04")  # the data, then Ctrl-D
            sent = True
        if proc.poll() is not None and not ready:
            break
    proc.wait(timeout=10)
    os.close(main)
    return out.decode(errors="replace"), proc.returncode


def test_a_terminal_gets_colour_and_the_stdin_hint_and_no_color_is_respected():
    out, code = _run_on_pty(
        ["categorical", LOGITS, "-", "--from", "logits"], ENV, stdin_data=b"0\n2\n"
    )
    assert code == 0
    assert "cece: waiting for standard input (end it with Ctrl-D)..." in out
    assert "\x1b[" in out and "36m" in out  # cyan loss figures
    plain, code = _run_on_pty(
        ["categorical", LOGITS, LABELS, "--from", "logits"], {**ENV, "NO_COLOR": "1"}
    )
    assert code == 0 and "1.275269" in plain
    assert "36m" not in plain and "31m" not in plain and "33m" not in plain
    piped = sh(f"cece categorical {LOGITS} {LABELS} --from logits")
    assert "\x1b[" not in piped.stdout + piped.stderr  # nothing but text into a pipe


def test_errors_are_red_only_on_a_terminal():
    out, code = _run_on_pty(["categorical", LOGITS, "nope.csv"], ENV)
    assert code == 2 and "\x1b[1;31mcece: error:\x1b[0m nope.csv: no such file" in out
    out, code = _run_on_pty(["categorical", LOGITS, "nope.csv"], {**ENV, "NO_COLOR": "1"})
    assert "cece: error: nope.csv: no such file" in out and "\x1b[" not in out


@pytest.mark.parametrize("existing", [False, True])
def test_ctrl_c_exits_130_and_leaves_no_partial_output(tmp_path, existing):
    target = tmp_path / "out.json"
    if existing:
        target.write_text("old\n")
    proc = subprocess.Popen(
        [
            str(BIN / "cece"),
            "categorical",
            "-",
            str(ROOT / LABELS),
            "-f",
            "json",
            "-o",
            str(target),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
        # Ctrl-C as a terminal sends it, whatever this run inherited: a background job or
        # nohup starts with SIGINT ignored, which Python (and cece) then honour
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    proc.stdin.write(b"1,2,3\n")  # and then nothing: cece waits for the rest
    proc.stdin.flush()
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.decode().strip() == "cece: interrupted"
    assert [p.name for p in tmp_path.iterdir()] == (["out.json"] if existing else [])
    if existing:
        assert target.read_text() == "old\n"


def test_output_file_is_atomic_and_inputs_are_safe(tmp_path):
    out = tmp_path / "r.csv"
    proc = sh(f"cece categorical {LOGITS} {LABELS} -f csv -o {out}")
    assert proc.returncode == 0 and proc.stdout == ""
    assert out.read_text().startswith("index,loss,target,target_class")
    proc = sh(
        f"cp {LABELS} {tmp_path}/l.csv && cece categorical {LOGITS} {tmp_path}/l.csv "
        f"-o {tmp_path}/l.csv"
    )
    assert proc.returncode == 2 and "refusing to overwrite the input file" in proc.stderr
    assert (tmp_path / "l.csv").read_text() == (ROOT / LABELS).read_text()


# -- baselines ------------------------------------------------------------------------------------


@pytest.fixture
def baseline(tmp_path):
    path = tmp_path / "base.json"
    sh(f"cece categorical {LOGITS} {LABELS} -f json -o {path}")
    return path


@pytest.mark.parametrize(
    "smoothing, tolerance, code",
    [
        ("0", None, 0),  # equal to the baseline
        ("0.1", None, 1),  # 1.32527 > 1.27527
        ("0.1", "0.049", 1),  # golden d2 − a2 = 0.05
        ("0.1", "0.051", 0),
        ("0.1", "3%", 1),  # +3.9%
        ("0.1", "4%", 0),
    ],
)
def test_baseline_with_absolute_and_relative_tolerance(
    baseline, smoothing, tolerance, code, tmp_path
):
    # a candidate 0.05 worse than the baseline (golden d2 − a2; --label-smoothing itself is
    # refused against a baseline computed without it): the second sample's pig logit lowered
    # until its loss is 0.1 higher, log(e^(d−4) + e^(d−2) + 1) = ℓ₁ + 0.1
    worse = float(smoothing) > 0
    loss1 = math.log(math.exp(-4) + math.exp(-2) + 1)
    d = math.log((math.exp(loss1 + 0.1) - 1) / (math.exp(-4) + math.exp(-2))) if worse else 0.0
    (tmp_path / "candidate.csv").write_text(f"cat,dog,pig\n1,2,3\n2,4,{6 - d!r}\n")
    extra = f"--tolerance {tolerance}" if tolerance else ""
    proc = sh(
        f"cece categorical {tmp_path}/candidate.csv {LABELS} -q --from logits "
        f"--baseline {baseline} {extra}"
    )
    assert proc.returncode == code, proc.stderr
    if code:
        assert proc.stderr == (
            f"cece: check failed: loss 1.325268796 nats exceeds the "
            f"baseline 1.275268796 ({baseline}) by 0.05 (+3.92%), more than "
            f"the tolerance {tolerance or 0}\n"
        )


def test_baseline_in_other_units_and_of_another_loss(baseline, tmp_path):
    bits = sh(f"cece categorical {LOGITS} {LABELS} -q -b 2 --baseline {baseline}")
    assert bits.returncode == 0, bits.stderr  # 1.8398 bits is the baseline's 1.2753 nats
    wrong = sh(f"cece binary 0.7 0.6 -q --baseline {baseline}")
    assert wrong.returncode == 2
    assert wrong.stderr.strip().endswith("is a baseline for 'categorical', not 'binary'")


def test_nan_fails_every_check(baseline, tmp_path):
    (tmp_path / "ignored.csv").write_text("-1\n-1\n")
    baseline = tmp_path / "ignoring.json"  # the same definition (--ignore-index -1), no -1 label
    sh(f"cece categorical {LOGITS} {LABELS} --ignore-index -1 -f json -o {baseline}")
    proc = sh(
        f"cece categorical {LOGITS} {tmp_path}/ignored.csv --ignore-index -1 -q "
        f"--baseline {baseline} --tolerance 100%"
    )
    assert proc.returncode == 1 and proc.stdout == "nan\n"
    assert "check failed: loss nan nats exceeds the baseline" in proc.stderr


# -- merges ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["npy", "csv"])
def test_merging_shards_equals_the_whole_file(tmp_path, fmt):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3001, 7)) * 3
    y = rng.integers(0, 7, 3001)
    cuts = [0, 17, 1200, 1201, 3001]

    def save(name, a):
        path = tmp_path / f"{name}.{fmt}"
        if fmt == "npy":
            np.save(path, a)
        else:
            np.savetxt(path, a, delimiter=",", fmt="%.17g")
        return path

    whole = sh(f"cece categorical {save('x', x)} {save('y', y)} --from logits -f json --per-class")
    shards = []
    for i, (a, b) in enumerate(itertools.pairwise(cuts)):
        out = tmp_path / f"s{i}.json"
        proc = sh(
            f"cece categorical {save(f'x{i}', x[a:b])} {save(f'y{i}', y[a:b])} "
            f"--from logits -f json -o {out} --per-class"
        )
        assert proc.returncode == 0, proc.stderr
        shards.append(str(out))
    merged = sh(f"cece merge {' '.join(shards)} -f json")
    assert merged.returncode == 0, merged.stderr
    want, got = json.loads(whole.stdout), json.loads(merged.stdout)
    for key, value in want["stats"].items():
        if key == "median":
            assert got["stats"]["median"] is None
        else:
            assert got["stats"][key] == pytest.approx(value, rel=1e-12, abs=0), key
    assert len(got["per_class"]) == len(want["per_class"]) == 7  # zip would hide a lost row
    for a, b in zip(want["per_class"], got["per_class"]):
        assert b == {
            **a,
            "mean": pytest.approx(a["mean"], rel=1e-12),
            "accuracy": pytest.approx(a["accuracy"], rel=1e-12),
        }
    (tmp_path / "m1.json").write_text(sh(f"cece merge {shards[0]} {shards[1]} -f json").stdout)
    again = sh(f"cece merge {tmp_path}/m1.json {shards[2]} {shards[3]} -q")
    assert float(again.stdout) == pytest.approx(want["loss"], rel=1e-12)  # merges merge again


def test_merge_refuses_shards_of_different_computations(tmp_path):
    a, b, c = (tmp_path / f"{n}.json" for n in "abc")
    sh(f"cece categorical {LOGITS} {LABELS} -f json -o {a}")
    sh(f"cece categorical {LOGITS} {LABELS} -f json -o {b} --label-smoothing 0.1")
    sh(f"cece categorical {LOGITS} {LABELS} -f json -o {c} -b 2")
    smooth = sh(f"cece merge {a} {b}")
    assert smooth.returncode == 2 and smooth.stderr.strip() == (
        f"cece: error: {b}: was computed with --label-smoothing 0.1, but {a} with "
        "--label-smoothing 0; shards must use the same options"
    )
    units = sh(f"cece merge {a} {c}")
    assert units.returncode == 2 and "a categorical loss in bits" in units.stderr
    garbage = tmp_path / "g.json"
    garbage.write_text("[1, 2]")
    assert "not a cece JSON document" in sh(f"cece merge {a} {garbage}").stderr


def test_output_to_a_device_or_fifo_is_written_in_place(tmp_path):
    proc = sh(f"cece categorical {LOGITS} {LABELS} -q -o /dev/null")
    assert proc.returncode == 0 and Path("/dev/null").is_char_device()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    proc = sh(
        f"cat {fifo} > {tmp_path}/got & cece categorical {LOGITS} {LABELS} -q -o {fifo}; wait"
    )
    assert proc.returncode == 0 and (tmp_path / "got").read_text() == "1.2752687964721399\n"
    assert fifo.is_fifo()


def test_progress_bar_only_on_a_terminal(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", rng.normal(size=(600_000, 3)).astype(np.float32))
    np.save(tmp_path / "y.npy", rng.integers(0, 3, 600_000))
    args = ["categorical", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "-q"]
    env = {**ENV, "CECE_PROGRESS_DELAY": "0", "CECE_THREADS": "1"}
    out, code = _run_on_pty(args, env)
    assert code == 0 and "cece: samples" in out and "600000/600000" in out
    proc = subprocess.run([str(BIN / "cece"), *args], env=env, capture_output=True, text=True)
    assert proc.returncode == 0 and "samples" not in proc.stderr
    assert proc.stdout.strip() in out  # the same result, the bar gone (transient)


@pytest.mark.parametrize("preset, expected", [(None, "1"), ("2", "2")])
def test_blas_keeps_to_one_thread_unless_the_user_says_otherwise(preset, expected):
    # cece's block workers use the cores; OpenBLAS's spinning pool would take them (cli.py).
    probe = (
        "import os, sys\nos._exit = sys.exit  # main() ends the process; the probe goes on\n"
        "from cece.cli import main\n"
        f"sys.argv = ['cece', 'categorical', {LOGITS!r}, {LABELS!r}, '-q']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import numpy\nprint(os.environ['OPENBLAS_NUM_THREADS'], 'numpy' in sys.modules)"
    )
    env = {k: v for k, v in ENV.items() if k != "OPENBLAS_NUM_THREADS"}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[-2:] == [expected, "True"]


def test_a_relative_tolerance_of_a_negative_baseline(tmp_path):
    """Class weights may be negative (as PyTorch's), and so may the loss: T% of a negative
    baseline was base · (1 + T/100), below the baseline, so a run identical to its baseline
    failed ("exceeds ... by 0 (-0%)")."""
    args = f"{LOGITS} {LABELS} --from logits -r sum --weight=-1,-1,-1"
    sh(f"cece categorical {args} -f json -o {tmp_path}/neg.json")
    same = sh(f"cece categorical {args} -q --baseline {tmp_path}/neg.json --tolerance 1%")
    assert same.returncode == 0, same.stderr
    (tmp_path / "better.csv").write_text("cat,dog,pig\n3,2,1\n2,4,6\n")  # row 0 right now
    above = sh(
        f"cece categorical {tmp_path}/better.csv {LABELS} --from logits -r sum "
        f"--weight=-1,-1,-1 -q --baseline {tmp_path}/neg.json --tolerance 1%"
    )
    assert above.returncode == 1  # −0.55 against −2.55: 2 above, +78 %: beyond 1 %
    assert "by 2 (+78.4%), more than the tolerance 1%" in above.stderr


@pytest.mark.parametrize(
    "edit, found",
    [
        ('.loss = "abc"', "loss 'abc' is not a number"),
        ('.unit = "furlongs"', "unit 'furlongs' is not one of nats, bits, hartleys"),
        ('.options = "x"', "'options' is not a JSON object"),
    ],
)
def test_a_damaged_baseline_is_refused_before_the_result(baseline, tmp_path, edit, found):
    """A hand-edited baseline failed in the gate, after the result was printed: exit 3."""
    doc = json.loads(Path(baseline).read_text())
    key, value = edit[1:].split(" = ")
    doc[key] = json.loads(value)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    proc = sh(f"cece categorical {LOGITS} {LABELS} -q --baseline {bad}")
    assert proc.returncode == 2 and proc.stdout == ""
    assert (
        proc.stderr.splitlines()[0] == f"cece: error: {bad}: a damaged cece JSON document ({found})"
    )
