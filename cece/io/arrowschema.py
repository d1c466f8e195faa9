"""What an Arrow table's columns are, from its schema (:mod:`cece.io.arrow` reads them):
columns stored in an encoding of another type read as that type (:func:`plain`), and each
column as a record field (:func:`fields`): a number, an integer, True/False, text, or a list
of a fixed width (logits) or ragged."""

from __future__ import annotations

from cece.io.records import Field


def is_list(kind: object) -> bool:
    import pyarrow.types as types

    return bool(types.is_list(kind) or types.is_large_list(kind) or types.is_fixed_size_list(kind))


def plain(table: object) -> object:
    """Columns stored in an encoding of another type read as that type: dictionary-encoded ones
    (a pandas ``Categorical``, polars' ``Categorical``) as their values, so integer labels are
    integers and names names whatever the encoding; ``string_view`` (polars' IPC) as strings;
    decimals (from SQL sources) as float64."""
    import pyarrow as pa
    import pyarrow.types as types

    view = getattr(types, "is_string_view", lambda _: False)  # pyarrow 16 and later
    for i, f in enumerate(table.schema):  # type: ignore[attr-defined]
        kind = f.type.value_type if types.is_dictionary(f.type) else f.type
        if view(kind):
            kind = pa.string()
        elif types.is_decimal(kind):
            kind = pa.float64()
        if kind != f.type:
            try:
                column = table.column(i).cast(kind)  # type: ignore[attr-defined]
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue  # left as stored: the reader names what it holds
            table = table.set_column(i, f.name, column)  # type: ignore[attr-defined]
    return table


def fields(table: object) -> dict[str, Field]:
    """The table's columns as record fields; a list column's width from its type or lengths."""
    import pyarrow.compute as pc
    import pyarrow.types as types

    out = {}
    for f in table.schema:  # type: ignore[attr-defined]
        name, kind = f.name, f.type
        if is_list(kind):
            inner = kind.value_type
            numeric = types.is_integer(inner) or types.is_floating(inner) or types.is_boolean(inner)
            what = "integer" if types.is_integer(inner) else "number" if numeric else "other"
            if types.is_fixed_size_list(kind):
                width: int | None = kind.list_size
            else:
                lengths = pc.min_max(pc.list_value_length(table.column(name)))  # type: ignore[attr-defined]
                lo, hi = lengths["min"].as_py(), lengths["max"].as_py()
                width = lo if lo == hi else None
                what = what if lo == hi else "ragged"
            out[name] = Field(name, (name,), what, width)
        elif types.is_integer(kind):
            out[name] = Field(name, (name,), "integer")
        elif types.is_floating(kind):
            out[name] = Field(name, (name,), "number")
        elif types.is_boolean(kind):
            out[name] = Field(name, (name,), "bool")
        elif types.is_string(kind) or types.is_large_string(kind):
            out[name] = Field(name, (name,), "text")
        else:
            out[name] = Field(name, (name,), "other")
    return out
