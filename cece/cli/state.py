"""What the root options say about this run (``-v``), set by ``main()`` on every call and
read by the commands; free of Typer, as the direct path (:mod:`cece.cli.direct`) needs."""

import gc

from cece.structs import struct

COMPLETE_VAR = "_CECE_COMPLETE"  # the shell-completion protocol's variable (Typer's default)


@struct
class RunSettings:
    """What the root options say about this run, set by ``main()`` on every call."""

    verbose: bool = False

    def notes_hidden(self, quiet: bool) -> bool:
        """``-q`` keeps the notes (what cece inferred) off stderr, unless ``-v`` asks for them;
        warnings and errors always print."""
        return quiet and not self.verbose


RUN = RunSettings()


def pause_collector() -> None:
    """Start-up of the command-line process: no cyclic garbage collection while modules load.

    Importing numpy and cece creates ~10⁵ objects that live as long as the process, and the
    collector would walk them again and again as they appear (~15 M instructions, 3 % of a
    small run). Only :func:`cece.cli.entry.main` calls this, and only for the command-line
    process; :func:`resume_collector` turns collection back on before a command does its work.
    """
    gc.disable()
    _PAUSED.append(True)


def resume_collector() -> None:
    """Collection back on, for what the command does from here on (called where the run
    starts its work: :func:`cece.cli.run.run`, Typer's invocation). The objects of start-up are
    frozen first (``gc.freeze``): they live to the end, and no collection walks them again.
    A no-op unless :func:`pause_collector` paused it."""
    if _PAUSED:
        _PAUSED.clear()
        gc.freeze()
        gc.enable()


_PAUSED: list[bool] = []  # set by pause_collector (a list: no global statement)
