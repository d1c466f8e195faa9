"""What the root options say about this run (``-v``), set by ``main()`` on every call and
read by the commands; free of Typer, as the direct path (:mod:`cece.cli.direct`) needs."""

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
