"""The command line: Typer parameters and commands, and ``main()``, the one place errors
become exit codes. Only this package imports Typer."""

from cece.cli.entry import main

__all__ = ["main"]
