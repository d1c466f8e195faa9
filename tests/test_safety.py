"""Data safety: inputs are only read, `-o` never replaces an input and never leaves half a file
(not even when the process is killed with SIGKILL mid-write), and nothing is unpickled."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, run_cece

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """Inputs whose JSONL output takes seconds to write."""
    d = tmp_path_factory.mktemp("big")
    rng = np.random.default_rng(0)
    np.save(d / "x.npy", rng.normal(size=3_000_000).astype(np.float32))
    np.save(d / "y.npy", rng.integers(0, 2, 3_000_000).astype(np.int8))
    return d


def _until_writing(proc: subprocess.Popen, directory: Path) -> None:
    """Wait until the process holds a file in ``directory`` (the temporary output, named or
    O_TMPFILE) with bytes in it: the kill then lands mid-write, however fast the writer."""
    fds = Path(f"/proc/{proc.pid}/fd")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        for fd in list(fds.glob("*")):
            try:
                held = os.readlink(fd).startswith(str(directory)) and fd.stat().st_size > 0
            except OSError:  # closed meanwhile
                continue
            if held:
                return
        time.sleep(0.002)


@pytest.mark.parametrize("existing", [False, True])
def test_sigkill_mid_write_leaves_the_old_file_or_none(big, tmp_path, existing):
    target = tmp_path / "out.jsonl"
    if existing:
        target.write_text("old\n")
    proc = subprocess.Popen(
        [
            str(BIN / "cece"),
            "binary",
            str(big / "x.npy"),
            str(big / "y.npy"),
            "--from",
            "logits",
            "-f",
            "jsonl",
            "-o",
            str(target),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    _until_writing(proc, tmp_path)
    assert proc.poll() is None, "the run ended before it could be killed: make it bigger"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert [p.name for p in tmp_path.iterdir()] == (["out.jsonl"] if existing else [])
    if existing:
        assert target.read_text() == "old\n"


def _fingerprint(paths: list[Path]) -> list[tuple]:
    return [
        (p.stat().st_mtime_ns, p.stat().st_mode, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in paths
    ]


def test_inputs_are_only_read(tmp_path):
    rng = np.random.default_rng(1)
    x, y, q = tmp_path / "x.npy", tmp_path / "y.csv", tmp_path / "q.npz"
    np.save(x, rng.normal(size=(50, 4)))
    y.write_text("label\n" + "\n".join(str(v) for v in rng.integers(0, 4, 50)) + "\n")
    np.savez(q, logits=rng.normal(size=(50, 4)))
    paths = [x, y, q]
    for p in paths:
        p.chmod(0o444)  # read-only: a write attempt would fail the run
    before = _fingerprint(paths)
    for args in (
        ["categorical", x, y],
        ["categorical", f"{q}:logits", y, "-f", "json", "-o", tmp_path / "r.json"],
        ["kl", x, f"{q}:logits", "--from", "logits"],
        ["inspect", x],
        ["explain", x, y, "--row", "3"],
        ["entropy", x, "--from", "logits"],
    ):
        run = run_cece(*args)
        assert run.code == 0, (args, run.err)
    assert _fingerprint(paths) == before


@pytest.mark.parametrize("how", ["same path", "npz key", "symlink", "relative"])
def test_output_never_replaces_an_input(tmp_path, how, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.savez(tmp_path / "d.npz", x=np.eye(3), y=np.arange(3))
    np.save(tmp_path / "x.npy", np.eye(3))
    (tmp_path / "link.npy").symlink_to(tmp_path / "x.npy")
    preds, out = {
        "same path": (str(tmp_path / "x.npy"), str(tmp_path / "x.npy")),
        "npz key": (f"{tmp_path / 'd.npz'}:x", str(tmp_path / "d.npz")),
        "symlink": (str(tmp_path / "x.npy"), str(tmp_path / "link.npy")),
        "relative": ("x.npy", "./x.npy"),
    }[how]
    before = _fingerprint(sorted(tmp_path.iterdir()))
    line = run_cece("categorical", preds, "[0,1,2]", "-f", "json", "-o", out).error_line()
    assert "refusing to overwrite the input file" in line
    assert _fingerprint(sorted(tmp_path.iterdir())) == before


def test_a_failed_run_leaves_no_file(tmp_path):
    out = tmp_path / "out.json"
    run = run_cece("categorical", "[[1,2,3]]", "[7]", "-f", "json", "-o", out)
    assert run.code == 2
    assert list(tmp_path.iterdir()) == []


def test_no_pickle_anywhere():
    """Every module of the package, subpackages included (the loaders live in cece/io), and
    every np.load call on its own says allow_pickle=False."""
    sources = {p: p.read_text() for p in (ROOT / "cece").rglob("*.py")}
    assert (ROOT / "cece" / "io" / "arrays.py") in sources
    for path, source in sources.items():
        assert not re.search(r"allow_pickle\s*=\s*True", source), path
        assert not re.search(r"^\s*(import|from)\s+(c?pickle|dill|joblib)\b", source, re.M), path
        for call in re.finditer(r"\bnp\.load\(([^)]*)\)", source):
            assert re.search(r"allow_pickle\s*=\s*False", call.group(1)), (path, call.group(0))


def test_pickled_arrays_are_refused_without_running_them(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    arr = np.empty(2, dtype=object)
    arr[:] = [Payload(), Payload()]
    np.save(tmp_path / "evil.npy", arr, allow_pickle=True)
    np.savez(tmp_path / "evil.npz", a=arr)
    for path in ("evil.npy", "evil.npz"):
        line = run_cece("categorical", tmp_path / path, "[0,1]").error_line()
        assert "pickle" in line or "object" in line, line
    assert not marker.exists()


def test_output_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old\n")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    run = run_cece("categorical", "[[1,2,3]]", "[0]", "-q", "-o", str(link))
    assert run.code == 0, run.err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == run_cece("categorical", "[[1,2,3]]", "[0]", "-q").out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


def test_output_keeps_the_old_files_permissions(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    target.chmod(0o640)
    assert run_cece("categorical", "[[1,2,3]]", "[0]", "-q", "-o", str(target)).code == 0
    assert target.stat().st_mode & 0o7777 == 0o640 and target.read_text() != "old\n"


def test_images_go_through_the_same_atomic_writer(tmp_path, monkeypatch):
    """A failing image write leaves the old file and no temporary file behind."""
    pytest.importorskip("matplotlib")
    from cece.report import image

    target = tmp_path / "plot.png"
    target.write_bytes(b"old")

    def broken(fig, stream, fmt):
        stream.write(b"half a picture")
        raise RuntimeError("disk full")

    monkeypatch.setattr(image, "save_image", broken)
    run = run_cece("curve", "-o", str(target))
    assert run.code == 3 and target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]


@pytest.mark.parametrize(
    "command, option",
    [
        ("categorical", "--baseline"),
        ("categorical", "--weight"),
        ("categorical", "--classes"),
        ("categorical", "--rescale"),
        ("binary", "--pos-weight"),
        ("compare", "--weight"),
        ("explain", "--classes"),
        ("merge", "--baseline"),
    ],
)
def test_output_never_replaces_an_option_file(tmp_path, command, option):
    """-o replaced the run's --baseline (a failed gate wrote over its own baseline, and the
    re-run passed), --weight, --classes, --pos-weight and --rescale files."""
    x, labels = tmp_path / "x.csv", tmp_path / "y.csv"
    x.write_text("cat,dog,pig\n1,2,3\n2,4,6\n")
    labels.write_text("0\n2\n")
    base = tmp_path / "base.json"
    run_cece("categorical", x, labels, "-f", "json", "-o", base)
    contents = {
        "--baseline": base.read_text(),
        "--weight": "1\n2\n3\n",
        "--classes": "cat\ndog\npig\n",
        "--rescale": "1\n2\n",
        "--pos-weight": "2\n",
    }[option]
    given = base if option == "--baseline" else tmp_path / "option.txt"
    given.write_text(contents)
    args = {
        "categorical": ("categorical", x, labels),
        "compare": ("compare", x, x, labels),
        "explain": ("explain", x, labels),
        "merge": ("merge", base),
        "binary": ("binary", "[0.5, -1]", "[1, 0]"),
    }[command]
    run = run_cece(*args, option, given, "-o", given)
    assert (
        run.error_line()
        == f"cece: error: --output {given}: refusing to overwrite the input file {given}"
    )
    assert given.read_text() == contents
