"""The compiled module builds on a CPU without the x86 kernels (arm64 and others).

setup.py builds ``cece._native._fast`` as an optional extension: where it fails to compile, the
install still succeeds and everything runs on numpy and Python, including the plain-text parser
and the record writer, which are portable C and should not be lost with the kernels. Here the
module is compiled with ``CECE_NO_X86`` (simd.h then leaves out every x86 kernel, as it does on
another CPU) and loaded: the kernels say they are unavailable, the parser parses. The x86 part
once leaked into the Python glue (the element kinds and the BCE statistics were declared inside
it), and such a build failed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

NATIVE = Path(__file__).resolve().parent.parent / "cece" / "_native"
CC = shutil.which("gcc") or shutil.which("cc")

pytestmark = pytest.mark.skipif(CC is None, reason="no C compiler here")


def test_the_module_builds_and_parses_without_the_x86_kernels(tmp_path):
    so = tmp_path / ("_fast" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so"))
    sources = [str(NATIVE / name) for name in ("_fast.c", "parse.c", "records.c")]
    include = sysconfig.get_paths()["include"]
    build = subprocess.run(
        [CC, "-O1", "-shared", "-fPIC", "-DCECE_NO_X86", f"-I{include}", f"-I{NATIVE}"]
        + sources
        + ["-o", str(so), "-lm"],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    code = f"""
import importlib.util, numpy as np
spec = importlib.util.spec_from_file_location("_fast", {str(so)!r})
fast = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fast)
assert not fast.available() and fast.simd() == "none"
out = np.empty(6)
rows = fast.parse_plain(b"1.5,-2\\n3e2,0.25\\n7,8\\n", 2, ",", out)
print(rows, out.tolist())
try:
    fast.softmax_index(np.zeros((1, 2), np.float32), 2, np.zeros(1, np.int64), np.empty(1),
                       np.empty(1, np.uint8), None)
except RuntimeError:
    print("kernels refused")
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[-1] == "kernels refused"
    assert lines[0] == "3 [1.5, -2.0, 300.0, 0.25, 7.0, 8.0]"
