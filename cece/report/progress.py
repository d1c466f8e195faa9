"""The progress bar of long runs (standard error, terminals only)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress as Bar
    from rich.progress import TaskID


class Progress:
    """A progress bar on standard error for runs longer than about a second, on a terminal only.

    Nothing is drawn (and rich is not imported) until ``CECE_PROGRESS_DELAY`` seconds (default
    1) have passed; the bar is transient, so it leaves no trace once the run ends.
    """

    def __init__(self) -> None:
        import os
        import time

        self._clock = time.monotonic
        self._start = self._clock()
        try:
            self._delay = float(os.environ.get("CECE_PROGRESS_DELAY", "1"))
        except ValueError:
            self._delay = 1.0
        self._on = sys.stderr is not None and sys.stderr.isatty()
        self._bar: Bar | None = None
        self._task: TaskID | None = None

    def update(self, done: int, total: int | None) -> None:
        if not self._on or self._clock() - self._start < self._delay:
            return
        if self._bar is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import (
                Progress as Bar,
            )

            columns = [SpinnerColumn(), TextColumn("cece: samples")]
            if total:
                columns += [BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
            else:
                columns += [TextColumn("{task.completed:,}"), TimeElapsedColumn()]
            from cece.report.tables import console  # the tables: only when a bar is drawn

            self._bar = Bar(*columns, console=console(sys.stderr), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("samples", total=total)
        assert self._task is not None  # added with the bar
        self._bar.update(self._task, completed=done)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
