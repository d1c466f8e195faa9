"""The peers' own test inputs, run through cece as users would (issue 12).

tests/data/peers/cases.json holds ~1000 calls taken from the test suites of PyTorch
(common_methods_invocations / common_modules / common_nn sample inputs, test_nn.py), scikit-learn
(log_loss tests), Keras and optax (loss tests) and SciPy (entropy / rel_entr tests), each
translated to a cece command, with the value the peer itself computed
(tests/data/peers/make_cases.py made it and says how each call is translated).

Every case either agrees with the peer at the peer's tolerance, or is an input outside the
peer's own domain that cece refuses: exit 2 and one `cece: error:` line. Cases that need an
option not yet built carry `needs`; those whose feature is still in PENDING are expected to fail
(strict), the others must pass.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cece

DATA = json.loads((Path(__file__).parent / "data" / "peers" / "cases.json").read_text())
CASES = DATA["cases"]
# Features a case needs that cece does not have yet (each case fails today for that reason).
PENDING: set[str] = set()


def _params():
    for case in CASES:
        marks = []
        if case.get("needs") in PENDING:
            marks.append(pytest.mark.xfail(strict=True, reason=f"needs {case['needs']}"))
        yield pytest.param(case, id=case["id"], marks=marks)


def _argument(spec: dict, name: str, tmp_path: Path) -> str:
    """An input as a user passes it: a JSON literal, a .npy file, or a CSV of strings."""
    if "strings" in spec:
        path = tmp_path / f"{name}.csv"
        path.write_text("\n".join(spec["strings"]) + "\n")
        return str(path)
    a = np.array(spec["data"], dtype=spec["dtype"]).reshape(spec["shape"])
    if spec["as"] == "literal":
        return json.dumps(a.tolist())
    path = tmp_path / f"{name}.npy"
    np.save(path, a)
    return str(path)


def _argv(case: dict, tmp_path: Path) -> list[str]:
    values = {name: _argument(spec, name, tmp_path) for name, spec in case["arrays"].items()}
    argv = []
    for arg in case["argv"]:
        if arg.startswith("{") and arg.endswith("}") and arg[1:-1] in values:
            arg = values[arg[1:-1]]
        argv.append(arg)
    return argv


def _number(value) -> float:
    return float(value)  # JSON carries inf / nan as the strings "inf" / "nan"


def _result(out: str) -> list[float]:
    doc = json.loads(out)
    if doc.get("loss") is not None:
        return [_number(doc["loss"])]
    return [_number(s["loss"]) for s in doc["samples"]]


def _close(got: list[float], want: list[float], rtol: float, atol: float) -> bool:
    if len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=True):
        if math.isnan(w) or math.isinf(w):
            if not (g == w or (math.isnan(g) and math.isnan(w))):
                return False
        elif not abs(g - w) <= atol + rtol * abs(w):
            return False
    return True


def _check(case: dict, tmp_path: Path) -> None:
    argv = _argv(case, tmp_path)
    if case["expect"] == "error":
        run = run_cece(*argv)
        line = run.error_line()  # exit 2, nothing on stdout, one error line, at most one hint
        assert "no such option" not in line, line  # refused for the input, not the command
        return
    run = run_cece(*argv, "-f", "json")
    assert run.code == 0, f"{case['call']}\ncece {' '.join(argv)}\n{run.err}"
    got = _result(run.out)
    want = case["expected"] if isinstance(case["expected"], list) else [case["expected"]]
    assert _close(got, want, case["rtol"], case["atol"]), (
        f"{case['call']} ({case['source']})\ncece {' '.join(argv)}\n"
        f"cece: {got[:8]}\npeer: {want[:8]}"
    )


PARAMS = list(_params())


@pytest.mark.parametrize("case", PARAMS)
def test_peer_case(case, tmp_path):
    _check(case, tmp_path)


@pytest.mark.parametrize("case", PARAMS[::8])
def test_peer_case_numpy_path(case, tmp_path, monkeypatch):
    """Every eighth case again on the numpy twins of the compiled kernels."""
    import cece._native

    monkeypatch.setattr(cece._native, "FAST", False)
    _check(case, tmp_path)


def test_cases_cite_their_sources():
    """Every case names the peer's file it comes from, and the generator's versions are kept."""
    assert DATA["meta"]["generator"] == "tests/data/peers/make_cases.py"
    assert set(DATA["meta"]["versions"]) >= {"torch", "scikit-learn", "scipy", "keras", "optax"}
    assert len(CASES) == DATA["meta"]["count"] >= 800
    peers = {"torch", "sklearn", "keras", "optax", "scipy"}
    assert {c["peer"] for c in CASES} == peers
    for case in CASES:
        assert case["source"] and case["call"], case["id"]
        assert case["expect"] in ("value", "error"), case["id"]
        assert (case["expected"] is None) == (case["expect"] == "error"), case["id"]
