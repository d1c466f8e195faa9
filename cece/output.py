"""Where results go: standard output, or ``--output FILE`` written atomically.

``-o FILE`` is written to a temporary file beside it and renamed into place only when the run
succeeds, so an interrupted or failed run leaves the old FILE (or none), never half of one. It
refuses to replace any of the run's input files. A FILE that is not a regular file (/dev/null,
a FIFO) is written directly: renaming over it would replace the device.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from .errors import OptionError


@contextlib.contextmanager
def open_output(path: str | None, inputs: list[str | None]) -> Iterator[TextIO]:
    """Yield a text stream for results; with ``path``, commit it only on success."""
    if path is None or path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    for arg in inputs:
        if arg and arg != "-" and _same_file(target, Path(arg.rsplit(":", 1)[0]) if
                                             arg.lower().rsplit(":", 1)[0].endswith(".npz")
                                             else Path(arg)):
            raise OptionError(f"--output {path}: refusing to overwrite the input file {arg}")
    if target.is_dir():
        raise OptionError(f"--output {path}: is a directory")
    if target.exists() and not target.is_file():  # /dev/null, a FIFO: no rename over those
        with open(target, "w", encoding="utf-8", newline="") as out:
            yield out
        return
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise OptionError(f"--output {path}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
