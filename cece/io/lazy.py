"""Arrays read by rows, never held whole, and the row window in force.

A :class:`LazyArray` stands where a memory-mapped ``.npy`` array stands in an
:class:`~cece.io.arrays.ArrayInput` when the data is not a local file: a ``.npy`` file or a
``.safetensors`` tensor behind an fsspec URL (read by byte ranges, :mod:`cece.io.remote`) or a
Zarr array (read by whole chunks, :mod:`cece.io.zarrs`). It knows its shape and dtype from
the header alone; reading rows ``[a, b)`` of its first axis reads just those bytes. Reshapes
that keep C order (``(B, T, V)`` → ``(B·T, V)``, ``(N,)`` → ``(N, 1)``) and views of the same
item size (bfloat16 bits) stay lazy; anything else (``np.moveaxis``, arithmetic) reads the
array whole through ``__array__``, as NumPy would read a memory map.

The row window (:func:`cece.io.window.only_rows`) lives here so that the readers apply it
without importing the module that opens files to plan windows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, Protocol, cast

import numpy as np

# rows [start, stop) of the first axis of every array input opened while it is set
WINDOW: ContextVar[tuple[int, int] | None] = ContextVar("cece_row_window", default=None)


class Elements(Protocol):
    """Where a lazy array's values come from: its elements in C order, by range."""

    def read(self, start: int, stop: int) -> np.ndarray:
        """Elements ``[start, stop)`` as a 1-D array (of the source's own dtype)."""
        ...


class LazyArray:
    """An N-dimensional C-ordered array whose elements are read on demand from ``source``,
    from element ``offset`` on."""

    def __init__(
        self, source: Elements, shape: tuple[int, ...], dtype: np.dtype, offset: int = 0
    ) -> None:
        self.source = source
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.offset = offset

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"LazyArray(shape={self.shape}, dtype={self.dtype})"

    def elements(self, start: int, stop: int) -> np.ndarray:
        """Elements ``[start, stop)`` of this array (C order), read now, as a 1-D array."""
        if stop <= start:
            return np.empty(0, self.dtype)
        got = self.source.read(self.offset + start, self.offset + stop)
        return got if got.dtype == self.dtype else got.view(self.dtype)

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``[start, stop)`` of the first axis, read now."""
        inner = math.prod(self.shape[1:])
        return self.elements(start * inner, stop * inner).reshape((stop - start,) + self.shape[1:])

    def window(self, start: int, stop: int) -> LazyArray:
        """Rows ``[start, stop)`` of the first axis, still lazy."""
        inner = math.prod(self.shape[1:])
        shape = (stop - start,) + self.shape[1:]
        return LazyArray(self.source, shape, self.dtype, self.offset + start * inner)

    def reshape(self, *shape: int | tuple[int, ...], order: str = "C") -> LazyArray:
        dims = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else shape
        new = [int(cast(int, d)) for d in dims]
        if order != "C":
            raise NotImplementedError("a lazy array reshapes in C order only")
        if new.count(-1) == 1:
            known = math.prod(d for d in new if d != -1)
            new[new.index(-1)] = self.size // known if known else 0
        if math.prod(new) != self.size:
            raise ValueError(f"cannot reshape array of size {self.size} into shape {tuple(new)}")
        return LazyArray(self.source, tuple(new), self.dtype, self.offset)

    def view(self, dtype: Any) -> LazyArray:
        new = np.dtype(dtype)
        if new.itemsize != self.dtype.itemsize:
            raise ValueError("a lazy array takes views of the same item size only")
        return LazyArray(self.source, self.shape, new, self.offset)

    def __getitem__(self, key: Any) -> LazyArray | np.ndarray:
        whole = slice(None)
        if key is None or (
            isinstance(key, tuple) and key == (None, whole)
        ):  # arr[None, :]: one sample
            return self.reshape((1,) + self.shape)
        if (
            isinstance(key, tuple) and key == (whole, None) and self.ndim == 1
        ):  # arr[:, None]: one column
            return self.reshape(self.shape + (1,))
        if isinstance(key, (int, np.integer)) and self.ndim:
            i = int(key) + (self.shape[0] if key < 0 else 0)
            if not 0 <= i < self.shape[0]:
                raise IndexError(f"index {key} is out of bounds for axis 0 of size {len(self)}")
            return self.rows(i, i + 1)[0]
        if isinstance(key, slice) and key.step in (None, 1) and self.ndim:
            start, stop, _ = key.indices(self.shape[0])
            return self.rows(start, max(start, stop))
        return np.asarray(self)[key]

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        whole = self.elements(0, self.size).reshape(self.shape)
        return whole if dtype is None else whole.astype(dtype)  # type: ignore[call-overload]

    def astype(self, dtype: object, **kwargs: object) -> np.ndarray:
        return np.asarray(self).astype(dtype, **kwargs)  # type: ignore[call-overload]

    def row_blocks(self, row_length: int, out_shape: tuple[int, ...]) -> RowBlocks | None:
        """A reader of blocks of rows, as :class:`cece.io.arrays.NpyRows` reads a local file."""
        return RowBlocks(self, row_length, out_shape) if self.size else None


class RowBlocks:
    """Blocks of rows of a :class:`LazyArray` seen as ``(n_rows, row_length)`` elements,
    shaped ``(k,) + out_shape``: one read a block, in order (the same blocks as
    :class:`cece.io.arrays.NpyRows` cuts from a local file)."""

    def __init__(self, array: LazyArray, row_length: int, out_shape: tuple[int, ...]) -> None:
        self.array = array
        self.row_length = max(1, row_length)
        self.n_rows = array.size // self.row_length
        self.out_shape = out_shape

    def blocks(self, rows: int) -> Iterator[np.ndarray]:
        """The blocks in order; the next one is read (in one other thread) while this one
        is computed, so a remote store's latency overlaps the arithmetic."""
        from concurrent.futures import ThreadPoolExecutor

        starts = range(0, self.n_rows, rows)

        def read(start: int) -> np.ndarray:
            k = min(rows, self.n_rows - start)
            block = self.array.elements(start * self.row_length, (start + k) * self.row_length)
            return block.reshape((k,) + self.out_shape)

        if len(starts) <= 1:
            yield from (read(start) for start in starts)
            return
        with ThreadPoolExecutor(1) as pool:
            ahead = pool.submit(read, starts[0])
            for i in range(len(starts)):
                block = ahead.result()
                if i + 1 < len(starts):
                    ahead = pool.submit(read, starts[i + 1])
                yield block
