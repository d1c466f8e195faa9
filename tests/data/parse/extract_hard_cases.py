"""Extract tests/data/parse/hard_cases.txt: the decimal inputs of two reference test suites.

    python tests/data/parse/extract_hard_cases.py BASICTEST > fast_float_cases.txt

BASICTEST: github:fastfloat/fast_float tests/basictest.cpp (commit 8234a896236a, 2026-06-11),
the string literals passed to verify(...) on one line. go_cases.txt holds the decimal inputs of
github:golang/go src/strconv/atof_test.go (atoftests and atof32tests, commit 1419445926fe),
copied by hand (the two inputs built with strings.Repeat are built in the test).

Only plain decimal inputs are kept ([+-] digits [. digits] [e [+-] digits]; no hex, no
underscores, no inf/nan): those are what cece's plain parser takes. The expected values are not
stored: tests/test_parse_numbers.py compares every case with Python's float() to the bit (and
requires -1, "not plain", where float() overflows to inf).
"""

from __future__ import annotations

import re
import sys

PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def literals(path: str, pattern: str) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    return [m for m in re.findall(pattern, text) if PLAIN.match(m)]


def main() -> None:
    print("# github:fastfloat/fast_float tests/basictest.cpp (commit 8234a896236a)")
    print("# written by tests/data/parse/extract_hard_cases.py")
    seen: set[str] = set()
    for case in literals(sys.argv[1], r'verify\("([^"]*)"'):
        if case not in seen:
            seen.add(case)
            print(case)


if __name__ == "__main__":
    main()
