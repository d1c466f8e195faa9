"""Which kind of table a loaded input is, without importing the readers a run did not use.

The text, JSON Lines and Arrow readers (:mod:`cece.io.text`, :mod:`cece.io.jsonl`,
:mod:`cece.io.arrow`) bring csv, json, their parsers' machinery and pyarrow's glue; a run on
``.npy`` files never builds one of their tables. The rest of cece asks ``tables.is_text(x)``
instead of ``isinstance(x, TextTable)``: only :mod:`cece.io.readers` makes tables, and it
imports each reader when a file needs it, so where a reader's module was never imported there
can be no instance of its table, and the answer is no without importing it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import TypeIs  # annotations only: never imported at run time

    from cece.io.arrow import ArrowTable
    from cece.io.jsonl import JsonlTable
    from cece.io.text import TextTable


def _instance(x: object, module: str, name: str) -> bool:
    found = sys.modules.get(module)
    return found is not None and isinstance(x, getattr(found, name))


def is_text(x: object) -> TypeIs[TextTable]:
    """A CSV, TSV or whitespace table (:class:`cece.io.text.TextTable`)."""
    return _instance(x, "cece.io.text", "TextTable")


def is_jsonl(x: object) -> TypeIs[JsonlTable]:
    """JSON Lines records (:class:`cece.io.jsonl.JsonlTable`)."""
    return _instance(x, "cece.io.jsonl", "JsonlTable")


def is_arrow(x: object) -> TypeIs[ArrowTable]:
    """A Parquet, Feather or Arrow table (:class:`cece.io.arrow.ArrowTable`)."""
    return _instance(x, "cece.io.arrow", "ArrowTable")
