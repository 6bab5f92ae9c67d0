"""Atomic file writes: a temp file in the target folder, then ``os.replace``.

An interrupted run never leaves a half-written file: either the old file or the new
one is in place.

CSV files are byte-identical to ``DataFrame.to_csv(index=False, lineterminator="\\n")``
but built column-wise with pyarrow: floats go through arrow's shortest round-trip cast
wherever its notation matches Python's ``repr`` (pandas writes ``repr``), and through
``repr`` elsewhere; dtypes without an exact fast path are left to pandas.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Rows converted and written at a time (bounds the memory of the CSV text).
_CSV_CHUNK_ROWS = 100_000
_JSON_CHUNK_ITEMS = 10_000  # items of a long list encoded, then written, at once
# Object cells pandas writes as ``str(cell)`` (``repr`` for floats), or empty if missing.
_OBJECT_CELL_TYPES = frozenset({str, bool, int, float, type(None)})


def _csv_quotes(char: str) -> bool:
    """Whether pandas' csv writer (QUOTE_MINIMAL, ``\\n`` line ends) quotes ``char``."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([char, ""])
    return buffer.getvalue().startswith('"')


# Characters that make csv quote a cell: ``,``, ``"``, ``\\n``, and ``\\r`` only from
# some Python version on. All ASCII, so UTF-8 multi-byte characters never hold them.
_QUOTE_CHARS = "".join(char for char in map(chr, range(128)) if _csv_quotes(char))
_QUOTE_BYTES = np.isin(np.arange(256), list(_QUOTE_CHARS.encode()))
_QUOTE_PATTERN = "[" + "".join(f"\\x{ord(char):02x}" for char in _QUOTE_CHARS) + "]"


@cache
def _file_mode() -> int:
    """Mode of a new file under the process umask (``mkstemp`` would give 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Write ``path`` through ``write(fileobj)`` into a temp file, then rename it.

    The file gets the permissions an ordinary new file would (0644 under umask 022).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_atomic(path, lambda f: f.write(text.encode("utf-8")))


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write a DataFrame as CSV atomically, exactly as pandas would.

    Parameters
    ----------
    path
        Target file.
    frame
        Data to write; the index is not written.

    Returns
    -------
    Path
        ``path``. The bytes equal ``frame.to_csv(index=False, lineterminator="\\n")``
        (UTF-8, full float precision, minimal quoting).
    """
    if _csv_columns(frame) is None:
        return write_text(path, frame.to_csv(index=False, lineterminator="\n"))
    return write_csv_frames(path, [frame])


def write_csv_frames(path: Path, frames: Iterable[pd.DataFrame]) -> Path:
    """Write the rows of ``frames``, one after the other, as one CSV file, atomically.

    The bytes equal :func:`write_csv` of their concatenation when the frames have the
    same columns and dtypes (at least one frame); only one frame is held at a time, so
    a table too large for memory as one frame can be written from its slices.
    """

    def write(handle: IO[bytes]) -> None:
        for k, frame in enumerate(frames):
            if k == 0:
                handle.write(frame.iloc[:0].to_csv(index=False, lineterminator="\n").encode())
            columns = _csv_columns(frame)
            if columns is None:
                text = frame.to_csv(index=False, header=False, lineterminator="\n")
                handle.write(text.encode("utf-8"))
                continue
            for start in range(0, len(frame), _CSV_CHUNK_ROWS):
                stop = start + _CSV_CHUNK_ROWS
                handle.write(_csv_rows([column[start:stop] for column in columns]))

    return write_atomic(path, write)


LONG_LIST = 100
"""Lists longer than this are written one compact item per line by :func:`json_text`."""
_JSON = json.JSONEncoder(ensure_ascii=False)
"""``json.dumps(..., ensure_ascii=False)`` without building an encoder per call."""


def json_text(data: Any, indent: int = 2) -> str:
    """``json.dumps(data, indent=indent)``, but long lists get one compact item per line.

    The text is the same as ``json.dumps`` with ``indent`` for documents without
    lists of more than :data:`LONG_LIST` items. A long list (a large study's pairs)
    holds each item on one line, encoded by the C encoder: a 20,000-pair manifest
    takes 0.1 s instead of over 1 s, and is easier to read and ``grep``.
    """

    def encode(value: Any, level: int) -> str:
        pad, close = " " * indent * (level + 1), " " * indent * level
        if isinstance(value, dict) and value:
            items = [
                f"{pad}{_JSON.encode(str(key))}: {encode(item, level + 1)}"
                for key, item in value.items()
            ]
        elif isinstance(value, list | tuple) and value:
            items = [
                pad + (_JSON.encode(item) if len(value) > LONG_LIST else encode(item, level + 1))
                for item in value
            ]  # fmt: skip
        else:
            return _JSON.encode(value)
        brackets = "{}" if isinstance(value, dict) else "[]"
        return brackets[0] + "\n" + ",\n".join(items) + "\n" + close + brackets[1]

    return encode(data, 0)


def write_json(path: Path, data: Any) -> Path:
    """Write JSON (indented, UTF-8; see :func:`json_text`) atomically."""
    return write_text(path, json_text(data) + "\n")


def write_json_list(path: Path, data: Any, placeholder: str, items: Iterable[Any]) -> Path:
    """:func:`write_json` of ``data`` in which the list ``[placeholder]`` stands for
    ``items``, a long list (more than :data:`LONG_LIST` items) written as it comes, one
    compact item per line as :func:`json_text` writes a long list, never held whole.

    Raises
    ------
    ValueError
        If ``data`` holds no ``[placeholder]`` list.
    """
    text = json_text(data) + "\n"
    mark = _JSON.encode(placeholder)
    at = text.find(mark)
    if at < 0 or text.count(mark) != 1:
        raise ValueError(f"no list [{placeholder!r}] in the document")
    start = text.rfind("\n", 0, at) + 1
    pad = text[start:at]

    def write(handle: IO[bytes]) -> None:
        handle.write(text[:start].encode("utf-8"))
        rest, sep = iter(items), ""
        while chunk := list(islice(rest, _JSON_CHUNK_ITEMS)):
            handle.write((sep + ",\n".join(pad + _JSON.encode(i) for i in chunk)).encode("utf-8"))
            sep = ",\n"
        handle.write(text[at + len(mark) :].encode("utf-8"))

    return write_atomic(path, write)


def write_figure(path: Path, figure: Figure, **savefig_kwargs: Any) -> Path:
    """Save a matplotlib figure atomically; the format follows the file suffix."""
    fmt = path.suffix.lstrip(".") or "png"
    return write_atomic(path, lambda f: figure.savefig(f, format=fmt, **savefig_kwargs))


def _csv_columns(frame: pd.DataFrame) -> list[np.ndarray | pa.Array] | None:
    """Each column's values for `_csv_cells`, or None if pandas must write the frame.

    Parameters
    ----------
    frame
        Frame to write.

    Returns
    -------
    list of numpy.ndarray or pyarrow.Array, or None
        Float64, integer, bool and object arrays (objects only of
        `_OBJECT_CELL_TYPES`) as numpy, string dtypes as arrow large strings; None for a
        frame without columns, with MultiIndex columns or with any other dtype.
    """
    if frame.shape[1] == 0 or isinstance(frame.columns, pd.MultiIndex):
        return None
    columns: list[np.ndarray | pa.Array] = []
    for _, column in frame.items():
        dtype = column.dtype
        if isinstance(dtype, pd.StringDtype):
            strings = pa.array(column.array, type=pa.large_string())
            columns.append(
                strings.combine_chunks() if isinstance(strings, pa.ChunkedArray) else strings
            )
        elif isinstance(dtype, np.dtype) and (
            dtype == np.float64
            or dtype.kind in "biu"
            or (dtype.kind == "O" and set(map(type, column)) <= _OBJECT_CELL_TYPES)
        ):
            columns.append(column.to_numpy())
        else:
            return None
    return columns


def _csv_rows(columns: list[np.ndarray | pa.Array]) -> pa.Buffer:
    """CSV text (UTF-8, one ``\\n``-terminated line per row) of equally long columns."""
    cells = [_csv_cells(column) for column in columns]
    if len(cells) == 1:  # csv quotes a row's only field if empty, or the line would be blank
        cells[0] = pc.if_else(pc.equal(cells[0], ""), _text('""'), cells[0])
    cells[-1] = pc.binary_join_element_wise(cells[-1], _text(""), _text("\n"))
    return _utf8(pc.binary_join_element_wise(*cells, _text(",")))


def _csv_cells(values: np.ndarray | pa.Array) -> pa.Array:
    """One column's CSV cells as arrow large strings, missing values empty.

    Parameters
    ----------
    values
        A slice of one of `_csv_columns`' arrays.

    Returns
    -------
    pyarrow.Array
        ``repr`` of floats, ``str`` of integers and bools, strings quoted where they
        hold any of `_QUOTE_CHARS`.
    """
    if isinstance(values, pa.Array):
        return _quoted(values.fill_null(""))
    if values.dtype == np.float64:
        return _float_cells(values)
    if values.dtype == np.bool_:
        return pc.if_else(pa.array(values), _text("True"), _text("False"))
    if values.dtype.kind in "iu":
        return pa.array(values).cast(pa.large_string())
    return _quoted(pa.array(map(_object_cell, values), type=pa.large_string()))


def _float_cells(values: np.ndarray) -> pa.Array:
    """``repr`` of float64 values (NaN empty) via arrow's cast where its notation agrees.

    Arrow casts to the same shortest round-trip digits as ``repr`` but writes integral
    values without ``.0`` and uses another notation for magnitudes in [1e-9, 1e-4)
    and [1e10, 1e16); those (and NaN) go through ``repr``.
    """
    cells = pa.array(values).cast(pa.large_string())
    size = np.abs(values)
    with np.errstate(invalid="ignore"):  # signalling NaNs
        fix = ~(
            ((size >= 1e-4) & (size < 1e10) & (values != np.floor(values)))
            | (size >= 1e16)
            | ((size > 0) & (size < 1e-9))
        )
    if not fix.any():
        return cells
    fixed = [repr(value) if value == value else "" for value in values[fix].tolist()]
    return pc.replace_with_mask(cells, pa.array(fix), pa.array(fixed, type=pa.large_string()))


def _object_cell(value: object) -> str:
    """An object cell as the csv module writes it (missing values empty)."""
    if value is None or value != value:
        return ""
    return repr(value) if type(value) is float else str(value)


def _quoted(cells: pa.Array) -> pa.Array:
    """Quote (doubling inner quotes) the cells holding any of `_QUOTE_CHARS`."""
    if not _QUOTE_BYTES[np.frombuffer(_utf8(cells), np.uint8)].any():
        return cells
    needs_quotes = pc.match_substring_regex(cells, _QUOTE_PATTERN)
    quote = _text('"')
    quoted = pc.binary_join_element_wise(
        quote, pc.replace_substring(cells, '"', '""'), quote, _text("")
    )
    return pc.if_else(needs_quotes, quoted, cells)


def _utf8(strings: pa.Array) -> pa.Buffer:
    """The concatenated UTF-8 bytes of an arrow large-string array's values."""
    _, offsets, data = strings.buffers()
    start, stop = np.frombuffer(offsets, np.int64)[[strings.offset, strings.offset + len(strings)]]
    return data[start:stop]


def _text(value: str) -> pa.Scalar:
    """A large-string arrow scalar (arrow kernels want one string type throughout)."""
    return pa.scalar(value, type=pa.large_string())
