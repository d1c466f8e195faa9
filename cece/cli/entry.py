"""``main()``: the console-script entry point, and the one place errors become exit codes.

``main()`` is the one place where errors become exit codes (CONTRACT §6): a CeceError or a
usage error prints ``cece: error: ...`` (+ at most one hint) and exits 2; a failed check exits 1;
Ctrl-C exits 130; a reader of standard output that goes away (``cece ... | head``) ends the run
quietly with exit 0; anything else is a bug: one line asking for a report, exit 3, and the
traceback only with ``--debug`` or ``CECE_DEBUG=1``.

Start-up matters: this module imports only the standard library; numpy, pandas and rich are
imported inside the commands that need them, and Typer only when the direct path
(:mod:`cece.cli.direct`) leaves the command line to it. Then each run builds a Typer app holding
only what it needs (:func:`application`), and is parsed and invoked through Click's
``make_context`` and ``invoke`` so that no exception is turned into an exit code before it
reaches ``main()``.
"""

from __future__ import annotations

import errno
import os
import sys
import warnings
from typing import TYPE_CHECKING

from cece.cli import direct, state
from cece.cli.state import COMPLETE_VAR
from cece.errors import CeceError, ExitCode, stderr_prefix

if TYPE_CHECKING:
    import typer


def _click_errors() -> tuple[type[Exception], ...]:
    """Click's usage errors (unknown option, bad value, missing argument), when Typer ran."""
    module = sys.modules.get("typer")
    if module is None:  # the direct path: Typer never ran, so none was raised
        return ()
    return tuple(c for c in module.BadParameter.__mro__ if c.__name__ == "ClickException")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    cut = args.index("--") if "--" in args else len(args)
    debug = "--debug" in args[:cut] or os.environ.get("CECE_DEBUG", "") not in ("", "0")
    state.RUN.verbose = any(a in ("-v", "--verbose") for a in args[:cut]) or os.environ.get(
        "CECE_VERBOSE", ""
    ) not in ("", "0")
    args = [a for i, a in enumerate(args) if a not in ("--debug", "-v", "--verbose") or i >= cut]
    if "compare" in args[:cut]:
        from cece.cli import compare

        args = compare.optional_margin(args)  # --fail-if-worse [MARGIN]
    if not debug:  # numpy's RuntimeWarnings are not for users: cece reports what they mean
        warnings.filterwarnings("ignore", category=RuntimeWarning)
    if argv is None:
        state.pause_collector()  # until the command starts its work (start-up)
        if not any(a in ("-h", "--help", "--version") for a in args[:cut]):
            _keep_freed_memory()  # a run that computes (ctypes: not for help)
        _one_blas_thread()
    try:
        code = _run(args)
        sys.stdout.flush()  # the last buffered bytes: a reader gone by now shows up here
    except BrokenPipeError:  # the reader of stdout went away (`| head`): stop, quietly, exit 0
        _discard_stdout()
        code = ExitCode.OK
    except CeceError as exc:
        code = _error(exc.message, exc.hint, exc.exit_code, debug)
    except _click_errors() as exc:  # usage errors: unknown option, bad value, missing argument
        code = _usage_error(exc, debug, args)
    except KeyboardInterrupt:
        print("cece: interrupted", file=sys.stderr)
        code = ExitCode.INTERRUPTED
    except OSError as exc:
        if exc.errno not in _CANNOT_WRITE:
            code = _internal(exc, debug, argv)
        else:  # a full disk or a read-only file system: not cece's bug
            code = _error(
                f"cannot write the results ({exc.strerror})", None, ExitCode.INPUT_ERROR, debug
            )
    except Exception as exc:  # a bug in cece
        code = _internal(exc, debug, argv)
    if argv is None:  # the command-line process: its work is done and written
        _exit_now(int(code))
    sys.exit(int(code))


def _exit_now(code: int) -> None:
    """End the command-line process without the interpreter's teardown.

    Every output is written and closed by now; what is left is freeing ~800 modules, numpy's
    and the worker threads' state one object at a time: ~50 ms, a fifth of a small run
    (start-up). Standard output and error are flushed first; a failed flush (a reader gone
    away) ends as main() ends it. Dask's client, when one ran, is closed by its own context
    before this point.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError, OSError):
        _discard_stdout()
    os._exit(code)


def application(args: list[str]) -> typer.Typer:
    """The Typer app for these arguments: only what the run needs (start-up).

    Typer turns every command of an app into a Click command, introspecting its ~30 options
    (~5 ms each), before dispatching to one. So a run gets an app with its command alone; the
    list of commands (``cece``, ``cece --help``, a misspelt command) stand-ins with names and
    help lines only, plus Typer's completion options; shell completion, everything.
    """
    from cece.cli.app import MODULES, build

    if os.environ.get(COMPLETE_VAR):
        return build(completion=True)
    first = next((a for a in args if not a.startswith("-")), None)
    if first in MODULES:  # its command's module alone is imported (app.commands)
        return build([first])
    return build(listed=True, completion=True)


def _run(args: list[str]) -> int:
    """Parse and invoke, by the direct path or else by Click's ``make_context`` and
    ``invoke``; the errors left to main()."""
    parsed = direct.parse(args)
    if parsed is not None:
        return direct.run(*parsed)
    return by_typer(args)


def by_typer(args: list[str]) -> int:
    """Parse and invoke by Typer: Click's ``make_context`` and ``invoke``."""
    import typer

    group = typer.main.get_command(application(args))
    if os.environ.get(COMPLETE_VAR):  # Typer answers the shell and exits
        return group.main(args=args, prog_name="cece", complete_var=COMPLETE_VAR)
    try:
        with group.make_context("cece", args) as ctx:
            state.resume_collector()
            code = group.invoke(ctx)
    except typer.Exit as exc:  # --help, --version, a failed check
        code = exc.exit_code
    return code if isinstance(code, int) else ExitCode.OK


def _discard_stdout() -> None:
    """Point stdout at /dev/null: what Python still holds for it is flushed at exit, and would
    fail again ("Exception ignored ... BrokenPipeError") on the closed pipe."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # not a real file (tests capture it)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _keep_freed_memory() -> None:
    """Ask glibc to keep freed blocks for reuse instead of returning them to the kernel.

    numpy arrays of a few hundred KiB are otherwise mmap-ed and unmapped block after block:
    each costs page faults, and the memory-map lock it takes stalls the other workers. Measured
    here: a 1e7-logit binary run went from 0.31 to 0.16 s. Best effort (glibc only), and only
    for the command-line process, never when cece is imported as a library.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD: serve blocks < 64 MiB from the heap
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: keep up to 1 GiB of freed heap
    except (OSError, AttributeError):
        pass


def _one_blas_thread() -> None:
    """Keep numpy's BLAS to one thread in the command-line process (before numpy loads).

    cece runs its blocks on every core itself. An OpenBLAS call made from those workers (the
    ``np.dot`` of the spread, the ``@`` of weighted soft targets) otherwise wakes OpenBLAS's own
    pool, whose threads spin after every call and take the cores from the workers: measured
    here, 34 % of a 10⁷ × 10 run's CPU time went to ``blas_thread_server`` and two workers ran
    no faster than one. The user's own setting, if any, wins.
    """
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


_CANNOT_WRITE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)  # writing the results


def _internal(exc: Exception, debug: bool, argv: list[str] | None) -> int:
    """A bug in cece: one line and exit 3; with --debug the traceback first (a caller that
    passed ``argv``, a test, gets the exception itself)."""
    if debug and argv is not None:
        raise exc
    return _error(
        f"internal error ({type(exc).__name__}: {exc}); this is a bug in cece, "
        "please report it with the command you ran",
        None if debug else "rerun with --debug for the traceback",
        ExitCode.INTERNAL_ERROR,
        debug,
    )


def _error(message: str, hint: str | None, code: int, debug: bool) -> int:
    if debug:
        import traceback

        traceback.print_exc()
    print(f"{stderr_prefix('error')} {message}", file=sys.stderr)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)
    return code


def _usage_error(exc: Exception, debug: bool, args: list[str]) -> int:
    message = exc.format_message()  # type: ignore[attr-defined]
    if type(exc).__name__ == "NoArgsIsHelpError":
        print(message)
        return ExitCode.OK
    expanded = _shell_expanded(exc, message, args)
    if expanded is not None:
        return _error(*expanded, ExitCode.INPUT_ERROR, debug)
    message = message.replace("Value error, ", "")
    message = message[0].lower() + message[1:] if message else message
    ctx = getattr(exc, "ctx", None)
    where = f"{ctx.command_path} --help" if ctx is not None else "cece --help"
    option = getattr(exc, "option_name", None)
    if option in PEER_OPTIONS and _has(ctx, PEER_OPTIONS[option].split()[0]):
        # a peer's word for an option of this command: name cece's, not Click's guess
        message = f"no such option: {option}; cece's is {PEER_OPTIONS[option]}"
    return _error(message.rstrip("."), f"see {where}", ExitCode.INPUT_ERROR, debug)


def _has(ctx: object, option: str) -> bool:
    """Whether the command of a usage error takes ``option``."""
    params = getattr(getattr(ctx, "command", None), "params", [])
    return any(option in getattr(p, "opts", ()) for p in params)


PEER_OPTIONS = {  # options users bring from other tools, and cece's for what they mean
    "--units": "--base (-b 2 for bits, -b 10 for hartleys; nats by default)",
    "--bits": "--base 2 (-b 2)",
    "--nats": "--base e (the default)",
    "--log-base": "--base (-b)",
    "--reduce": "--reduction (-r)",
    "--logits": "--from logits",
    "--probs": "--from probs",
    "--probabilities": "--from probs",
    "--log-probs": "--from log-probs",
    "--smoothing": "--label-smoothing",
    "--class-weight": "--weight (one per class); per sample: --sample-weight",
    "--class-weights": "--weight (one per class); per sample: --sample-weight",
    "--weights": "--weight (one per class) or --sample-weight (one per sample)",
    "--gamma": "--focal-gamma",
    "--alpha": "--focal-alpha",
}


def _shell_expanded(exc: Exception, message: str, args: list[str]) -> tuple[str, str] | None:
    """(message, hint) when the extra arguments of a loss command are the files of a pattern
    the shell expanded (``cece categorical preds-*.npy labels-*.npy``, unquoted), else None.

    The command's own parser (Click's ``Command.make_parser``) splits its arguments again, so
    that option values are not taken for files; the patterns are rebuilt from the file names
    (:func:`cece.io.shards.patterns_of`).
    """
    from cece.cli.app import SHARDED_COMMANDS

    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command", None)
    if command is None or command.name not in SHARDED_COMMANDS:
        return None
    if not message.startswith("Got unexpected extra argument"):
        return None
    try:
        rest = args[args.index(command.name) + 1 :]
        values, extra, _ = command.make_parser(ctx).parse_args(rest)
    except Exception:  # a parser that cannot split them again: Click's own message
        return None
    slots = [p for p in command.params if p.param_type_name == "argument"]
    taken = [values.get(p.name) for p in slots]  # the arguments, then what was left over
    positional = [str(v) for v in taken if isinstance(v, str)] + [str(a) for a in extra]
    import shlex

    from cece.io.shards import is_sharded, patterns_of

    files = [a for a in positional if os.path.isfile(a)]
    if len(positional) <= len(slots) or len(files) < 2:
        return None
    if any(not (os.path.isfile(a) or is_sharded(a)) for a in positional):
        return None
    names = [p.metavar or (p.name or "").upper() for p in slots]
    where = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    count = (
        f"{len(files)} files" if len(files) == len(positional) else f"{len(positional)} arguments"
    )
    go = "goes" if len(names) == 1 else "go"
    patterns = patterns_of(positional)
    quoted = " ".join(shlex.quote(p) for p in patterns)
    many = sum(is_sharded(p) for p in patterns) > 1
    return (
        f"got {count} where {where} {go}: the shell expanded an unquoted pattern",
        f"quote the pattern{'s' if many else ''} so cece expands {'them' if many else 'it'}: "
        + quoted,
    )
