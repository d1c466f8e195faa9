"""The choices of the commands' options (``--from``, ``--reduction``, ``-f``, ...), as Enums.

Kept free of Typer: the direct path (:mod:`cece.cli.direct`) converts option values to them
without importing Typer; :mod:`cece.cli.params` builds the options from them.
"""

from enum import Enum


class Kind(str, Enum):
    auto = "auto"
    logits = "logits"
    probs = "probs"
    log_probs = "log-probs"


class BinaryKind(str, Enum):
    auto = "auto"
    logits = "logits"
    probs = "probs"


class LabelsAs(str, Enum):
    as_index = "index"  # (members named index/name would shadow str methods)
    as_name = "name"


class Reduction(str, Enum):
    mean = "mean"
    sum = "sum"
    none = "none"


class Base(str, Enum):
    e = "e"
    two = "2"
    ten = "10"


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class StdinFormat(str, Enum):
    csv = "csv"
    tsv = "tsv"
    npy = "npy"


class DType(str, Enum):
    auto = "auto"
    bfloat16 = "bfloat16"


class Engine(str, Enum):
    local = "local"
    dask = "dask"
