"""Where a loss command computes: ``--engine``, ``--scheduler``, ``--workers`` (their
aliases, as in :mod:`cece.cli.params`)."""

from typing import Annotated

import typer

from cece.cli.choices import Engine

ENGINE = "Engine (shards)"


EngineOpt = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="local: this machine's cores; dask: a Dask cluster (pip install 'cece[dask]'), "
        "one task a shard. Quoted patterns ('preds-*.npy') and @list.txt are shards on either.",
        rich_help_panel=ENGINE,
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDR",
        help="The Dask scheduler (tcp://host:8786); default: DASK_SCHEDULER_ADDRESS, else a "
        "local cluster.",
        show_default=False,
        rich_help_panel=ENGINE,
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        metavar="N",
        help="Worker processes of the local Dask cluster (default: the cores).",
        show_default=False,
        rich_help_panel=ENGINE,
    ),
]
