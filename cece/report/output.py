"""Where results go: standard output, or ``--output FILE`` written atomically.

``-o FILE`` is written to a temporary file beside it and renamed into place only when the run
succeeds, so an interrupted or failed run leaves the old FILE (or none), never half of one. It
refuses to replace any of the run's input files. A FILE that is not a regular file (/dev/null,
a FIFO) is written directly: renaming over it would replace the device.

Where the file system allows (Linux ``O_TMPFILE``), the temporary file has no name while it is
written: even a run killed by SIGKILL or a power cut mid-write leaves nothing behind. It gets a
name only once complete and synced, and is renamed over FILE at once.

A FILE that is a symbolic link is written through it: the link stays, and the file it points to
is replaced (as ``>`` in a shell would write through it). A FILE that exists keeps its
permission bits; a new one gets the usual ``0o666 & ~umask``. This is the one writer of results:
text (tables, JSON, records) and images (``cece curve -o plot.png``) alike.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Literal, TextIO, overload

from cece.errors import OptionError

if TYPE_CHECKING:
    from pathlib import Path


@overload
def open_output(
    path: str | None, inputs: Sequence[str | None], *, binary: Literal[False] = False
) -> contextlib.AbstractContextManager[TextIO]: ...


@overload
def open_output(
    path: str | None, inputs: Sequence[str | None], *, binary: Literal[True]
) -> contextlib.AbstractContextManager[IO[bytes]]: ...


def open_output(
    path: str | None, inputs: Sequence[str | None], *, binary: bool = False
) -> contextlib.AbstractContextManager[IO]:
    """A stream for results (text, or bytes with ``binary``) that commits only on success."""
    return _open_output(path, inputs, binary)


@contextlib.contextmanager
def _open_output(path: str | None, inputs: Sequence[str | None], binary: bool) -> Iterator[IO]:
    """Yield a text (or, with ``binary``, a byte) stream for results; with ``path``, commit
    it only on success."""
    if path is None or path == "-":
        stream = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    from pathlib import Path  # start-up: only when -o writes a file

    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    for arg in inputs:
        if (
            arg
            and arg != "-"
            and _same_file(
                target,
                Path(arg.rsplit(":", 1)[0])
                if arg.lower().rsplit(":", 1)[0].endswith(".npz")
                else Path(arg),
            )
        ):
            raise OptionError(f"--output {path}: refusing to overwrite the input file {arg}")
    if target.is_dir():
        raise OptionError(f"--output {path}: is a directory")
    mode = "wb" if binary else "w"
    text = {} if binary else {"encoding": "utf-8", "newline": ""}
    if target.exists() and not target.is_file():  # /dev/null, a FIFO: no rename over those
        with open(target, mode, **text) as out:  # type: ignore[call-overload]
            yield out
        return
    permissions = _permissions(target)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise OptionError(f"--output {path}: directory {directory} does not exist")
    fd = _anonymous(directory)
    tmp = None
    if fd is None:  # no O_TMPFILE here: a named temporary file, removed on failure
        import tempfile  # start-up: only when -o writes a file

        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        except OSError as exc:  # a directory this user cannot write to
            raise OptionError(
                f"--output {path}: cannot write in {directory} ({exc.strerror})"
            ) from None
    try:
        with os.fdopen(fd, mode, **text) as out:  # type: ignore[call-overload]
            yield out
            out.flush()
            os.fsync(out.fileno())
            if tmp is None:  # name the finished file, then rename it over FILE
                tmp = _link(out.fileno(), directory, target.name)
        os.chmod(tmp, permissions)
        os.replace(tmp, target)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


def _anonymous(directory: Path) -> int | None:
    """A file with no name in ``directory`` (it vanishes if the process dies), or None."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(directory, flag | os.O_WRONLY, 0o600)
    except OSError:  # a file system without O_TMPFILE support
        return None


def _link(fd: int, directory: Path, name: str) -> str:
    """Give the anonymous file a (temporary) name: linkat(AT_SYMLINK_FOLLOW) of its
    /proc/self/fd entry (os.link calls plain link(), which would not follow it, unless given
    a directory descriptor)."""
    dir_fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for attempt in range(100):
            tmp = f".{name}.{os.getpid()}.{attempt}.tmp"
            try:
                os.link(f"/proc/self/fd/{fd}", tmp, dst_dir_fd=dir_fd, follow_symlinks=True)
                return str(directory / tmp)
            except FileExistsError:
                continue
    finally:
        os.close(dir_fd)
    raise OSError(f"could not name the temporary file for {name}")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _permissions(target: Path) -> int:
    """The old file's permission bits, or those of a new file under the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask
