"""Typed copies of the result tables: ``<table>.parquet`` files and ``results.xlsx``.

The CSV files are the output contract; these are the same values with types, for big
studies and for people who open results in a spreadsheet. ``StudyResult.save(...,
tables=("csv", "parquet", "xlsx"))`` (``eventstudy run --parquet --xlsx``) writes them
beside the CSVs.

Column types follow the column (the same in every run, whichever rows it has):
:data:`DATE_COLUMNS` are dates (Parquet ``date32``, Excel dates), :data:`COUNT_COLUMNS`
are 64-bit integers (null where missing), other columns keep their table's type:
float64, int64, bool or string. ``tests.df`` stays text (an F test's degrees of
freedom are ``d1/d2``). A missing value is null in Parquet and an empty cell in Excel;
an empty string stays an empty string.

An Excel sheet holds at most :data:`EXCEL_MAX_ROWS` rows, its header included; a
longer table is cut there, with a :class:`ExcelLimitWarning` and a line in the
workbook's ``README`` sheet, which lists each sheet's rows written and rows in the
table (the CSV and Parquet files hold all of them).
"""

from __future__ import annotations

import json
import math
import tempfile
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from eventstudy.core import atomic

TABLE_FORMATS = ("csv", "parquet", "xlsx")
"""The formats ``save(tables=...)`` writes; ``csv`` is always among them."""
TABLES = ("abnormal_returns", "car", "models", "skipped", "tests")
"""The tables of every run: each gets a ``.parquet`` copy and a sheet in ``results.xlsx``."""
OPTIONAL_TABLES = (
    "placebo",
    "placebo_size",
    "abnormal_volume",
    "cav",
    "abnormal_volatility",
    "avol",
    "bhar",
    "calendar_time",
    "calendar_time_portfolio",
    "regression",
)
"""Tables of analyses a run has only when asked for
(:meth:`eventstudy.outputs.result.StudyResult.optional_tables`); written like :data:`TABLES`
when present, and a file of one left by an earlier run that this run does not write
is removed so the folder never mixes runs."""
WORKBOOK = "results.xlsx"
DATE_COLUMNS = frozenset({"day0", "date", "est_start", "est_end"})
"""Columns of ISO dates (``YYYY-MM-DD``) in the tables."""
COUNT_COLUMNS = frozenset(
    {"rel_day", "window_start", "window_end", "n_est", "n_days", "n", "df", "n_masked"}
    | {"n_pos", "n_neg"}
)
"""Columns of whole numbers, written as integers even where a table holds floats."""
TEXT_COLUMNS = {"tests": frozenset({"df"})}
"""Columns kept as text in one table: ``tests.df`` is ``55``, ``53/inf`` or empty."""
EXCEL_MAX_ROWS = 1_048_576
"""Rows in an Excel sheet, the header row included."""
EXCEL_MAX_CHARS = 32_767
"""Characters in an Excel cell."""
EXCEL_CHUNK_ROWS = 50_000
"""Rows converted to Python objects at a time while writing a sheet (bounds memory)."""


class ExcelLimitWarning(UserWarning):
    """A table did not fit in an Excel sheet (too many rows, or too long a cell)."""


def check_formats(tables: Iterable[str]) -> tuple[str, ...]:
    """Validate ``save(tables=...)``: known names, ``csv`` included.

    Parameters
    ----------
    tables
        Format names among :data:`TABLE_FORMATS`.

    Returns
    -------
    tuple of str
        The names without repeats, in :data:`TABLE_FORMATS` order.

    Raises
    ------
    ValueError
        For an unknown name, or without ``csv`` (the CSV files are the contract).
    """
    names = set(tables)
    unknown = sorted(names - set(TABLE_FORMATS))
    if unknown:
        raise ValueError(f"unknown table format {unknown} (choose from {list(TABLE_FORMATS)})")
    if "csv" not in names:
        raise ValueError('tables must include "csv": the CSV files are always written')
    return tuple(name for name in TABLE_FORMATS if name in names)


def stale_files(folder: Path, tables: Iterable[str], formats: Sequence[str]) -> list[Path]:
    """Files of an earlier run in ``folder`` that this run does not rewrite.

    Parameters
    ----------
    folder
        The study's output folder.
    tables
        Names of the tables this run writes.
    formats
        The formats this run writes (:func:`check_formats`).

    Returns
    -------
    list of Path
        Existing ``<table>.parquet`` files of :data:`TABLES` and
        :data:`OPTIONAL_TABLES` not among ``tables`` (or all of them without
        ``parquet``), ``<table>.csv`` files of :data:`OPTIONAL_TABLES` not among
        ``tables``, and ``results.xlsx`` without ``xlsx``.
    """
    names = set(tables)
    kept = names if "parquet" in formats else set()
    paths = [folder / f"{name}.parquet" for name in TABLES + OPTIONAL_TABLES if name not in kept]
    paths += [folder / f"{name}.csv" for name in OPTIONAL_TABLES if name not in names]
    if "xlsx" not in formats:
        paths.append(folder / WORKBOOK)
    return [path for path in paths if path.exists()]


def write_tables(
    folder: Path,
    frames: Mapping[str, pd.DataFrame],
    formats: Sequence[str],
    notes: Sequence[str] = (),
) -> dict[str, Path]:
    """Write the Parquet and Excel copies of ``frames`` that ``formats`` asks for.

    Parameters
    ----------
    folder
        The study's output folder (the CSVs are already there).
    frames
        Table name (``car`` ...) to its frame, as written to ``<name>.csv``.
    formats
        Formats from :func:`check_formats`; ``csv`` is not written here.
    notes
        Lines for the files' metadata and the workbook's ``README`` sheet (e.g. the
        SYNTHETIC warning).

    Returns
    -------
    dict
        ``"<table>.parquet"`` and ``"results.xlsx"`` to their paths.
    """
    if "parquet" not in formats and "xlsx" not in formats:
        return {}
    tables = {name: arrow_table(name, frame) for name, frame in frames.items()}
    written = {}
    if "parquet" in formats:
        for name, table in tables.items():
            written[f"{name}.parquet"] = write_parquet(folder / f"{name}.parquet", table, notes)
    if "xlsx" in formats:
        written[WORKBOOK] = write_xlsx(folder / WORKBOOK, tables, notes)
    return written


def arrow_table(name: str, frame: pd.DataFrame) -> pa.Table:
    """One result table with typed columns (see the module docstring).

    Parameters
    ----------
    name
        The table's name (``car``, ``tests`` ...): picks :data:`TEXT_COLUMNS`.
    frame
        The table as written to ``<name>.csv``.

    Returns
    -------
    pyarrow.Table
        The same columns in the same order; missing values null.
    """
    text = TEXT_COLUMNS.get(name, frozenset())
    arrays = [
        _as_text(column) if column_name in text else _typed(name, str(column_name), column)
        for column_name, column in frame.items()
    ]
    return pa.table(arrays, names=[str(c) for c in frame.columns])


def write_parquet(path: Path, table: pa.Table, notes: Sequence[str] = ()) -> Path:
    """Write ``table`` as Parquet atomically; ``notes`` go in its ``eventstudy`` metadata."""
    import pyarrow.parquet as pq

    meta = {b"eventstudy": json.dumps({"table": path.stem, "notes": list(notes)}).encode()}
    table = table.replace_schema_metadata(meta)
    return atomic.write_atomic(path, lambda handle: pq.write_table(table, handle))


def _typed(table: str, name: str, column: pd.Series) -> pa.Array:
    """A column as arrow: dates and counts by name, other columns by their dtype."""
    values = _inferred(column)
    if name in DATE_COLUMNS and pa.types.is_large_string(values.type):
        return _dates(table, name, values)
    if name in COUNT_COLUMNS and pa.types.is_floating(values.type):
        return _counts(table, name, values)
    return values


def _inferred(column: pd.Series) -> pa.Array:
    """Arrow's type for a column; strings as large strings, mixed objects as text."""
    try:
        values = pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _as_text(column)
    if pa.types.is_string(values.type) or pa.types.is_null(values.type):
        return values.cast(pa.large_string())
    return values


def _as_text(column: pd.Series) -> pa.Array:
    """Each cell's CSV text (``repr`` of floats, ``str`` of others); missing cells null."""
    missing = column.isna().to_numpy()
    cells = [
        None if gone else atomic._object_cell(value)
        for value, gone in zip(column, missing, strict=True)
    ]
    return pa.array(cells, type=pa.large_string())


def _dates(table: str, name: str, values: pa.Array) -> pa.Array:
    """ISO date strings as ``date32`` (empty cells null), or left as text if any is not one."""
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.large_string()), values)
    try:
        return values.cast(pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        warnings.warn(
            f"{table}.{name} holds values that are not YYYY-MM-DD dates; written as text",
            stacklevel=3,
        )
        return values


def _counts(table: str, name: str, values: pa.Array) -> pa.Array:
    """Whole floats as int64 (NaN null); a column with fractions is left as float64."""
    try:
        return values.cast(pa.int64())  # safe: fails on fractions, infinities, overflow
    except pa.ArrowInvalid:
        warnings.warn(
            f"{table}.{name} holds values that are not whole numbers; written as float64",
            stacklevel=3,
        )
        return values


def write_xlsx(path: Path, tables: Mapping[str, pa.Table], notes: Sequence[str] = ()) -> Path:
    """Write ``results.xlsx`` atomically: a ``README`` sheet, then one sheet per table.

    Parameters
    ----------
    path
        Target file.
    tables
        Sheet name to its table (:func:`arrow_table`).
    notes
        Lines at the top of the ``README`` sheet.

    Returns
    -------
    Path
        ``path``. Dates are Excel dates (``yyyy-mm-dd``), numbers numbers, bools
        booleans; a missing value is an empty cell and an infinite float the text
        ``inf`` / ``-inf`` (as in the CSV). Sheets longer than :data:`EXCEL_MAX_ROWS`
        rows and cells longer than :data:`EXCEL_MAX_CHARS` are cut, said in the
        ``README`` sheet and in an :class:`ExcelLimitWarning`.
    """
    import xlsxwriter

    limit = EXCEL_MAX_ROWS - 1
    cuts = [
        f"{name}: the first {limit:,} of {table.num_rows:,} rows (Excel's limit is "
        f"{EXCEL_MAX_ROWS:,} rows a sheet); {name}.csv holds all"
        for name, table in tables.items()
        if table.num_rows > limit
    ]
    long_cells = {name: _long_cells(table) for name, table in tables.items()}
    cuts += [
        f"{name}: {count:,} cells cut to {EXCEL_MAX_CHARS:,} characters (Excel's limit); "
        f"{name}.csv holds them whole"
        for name, count in long_cells.items()
        if count
    ]
    for cut in cuts:
        warnings.warn(f"{path.name}: {cut}", ExcelLimitWarning, stacklevel=2)

    def write(handle: Any) -> None:
        # xlsxwriter keeps each sheet in a temp file until it zips them: kept in the
        # output folder (never elsewhere) and removed even if writing fails
        with (
            tempfile.TemporaryDirectory(prefix=f".{path.name}.", dir=path.parent) as scratch,
            xlsxwriter.Workbook(handle, {"constant_memory": True, "tmpdir": scratch}) as book,
        ):
            bold = book.add_format({"bold": True})
            readme = book.add_worksheet("README")
            lines = [*notes, *cuts, "The CSV files hold every row and every cell in full.", ""]
            for row, line in enumerate(lines):
                readme.write_string(row, 0, line)
            readme.write_row(len(lines), 0, ["sheet", "rows written", "rows in table"], bold)
            for row, (name, table) in enumerate(tables.items(), len(lines) + 1):
                readme.write_string(row, 0, name)
                readme.write_number(row, 1, min(table.num_rows, limit))
                readme.write_number(row, 2, table.num_rows)
            readme.set_column(0, 0, 24)
            dates = book.add_format({"num_format": "yyyy-mm-dd"})
            for name, table in tables.items():
                _write_sheet(book.add_worksheet(name), table.slice(0, limit), bold, dates)

    return atomic.write_atomic(path, write)


def _long_cells(table: pa.Table) -> int:
    """How many text cells of ``table`` are longer than :data:`EXCEL_MAX_CHARS`."""
    return sum(
        int(pc.sum(pc.greater(pc.utf8_length(column), EXCEL_MAX_CHARS)).as_py() or 0)
        for column in table.columns
        if pa.types.is_large_string(column.type)
    )


def _write_sheet(sheet: Any, table: pa.Table, bold: Any, dates: Any) -> None:
    """Header and rows of one table, row by row (xlsxwriter's constant-memory order).

    The cells are made Python objects :data:`EXCEL_CHUNK_ROWS` rows at a time.
    """
    sheet.write_row(0, 0, table.column_names, bold)
    sheet.freeze_panes(1, 0)
    columns = [_cells(sheet, column, dates) for column in table.columns]
    for col, (_, _, width) in enumerate(columns):
        sheet.set_column(col, col, width)
    for start in range(0, table.num_rows, EXCEL_CHUNK_ROWS):
        chunk = [
            (col, cells.slice(start, EXCEL_CHUNK_ROWS).to_pylist(), put)
            for col, (cells, put, _) in enumerate(columns)
        ]
        for row in range(len(chunk[0][1])):
            for col, values, put in chunk:
                value = values[row]
                if value is not None:
                    put(start + row + 1, col, value)


def _cells(
    sheet: Any, column: pa.ChunkedArray, dates: Any
) -> tuple[pa.ChunkedArray, Callable[[int, int, Any], Any], int]:
    """A column's cell values (null: empty), the sheet method writing one, a width."""
    kind = column.type
    if pa.types.is_date32(kind):  # Excel's day numbers count from 1899-12-30
        serial = pc.add(column.cast(pa.int32()), 25_569)
        return serial, lambda row, col, value: sheet.write_number(row, col, value, dates), 11
    if pa.types.is_boolean(kind):
        return column, sheet.write_boolean, 8
    if pa.types.is_integer(kind):
        return column, sheet.write_number, 10
    if pa.types.is_floating(kind):
        if not pc.any(pc.is_inf(column)).as_py():
            return column, sheet.write_number, 12
        return column, lambda row, col, value: _write_float(sheet, row, col, value), 12
    texts = column.cast(pa.large_string())
    width = int(pc.max(pc.utf8_length(texts)).as_py() or 0)
    cut = pc.utf8_slice_codeunits(texts, 0, EXCEL_MAX_CHARS)  # code points, as len()
    return cut, sheet.write_string, min(max(width, 8), 60)


def _write_float(sheet: Any, row: int, col: int, value: float) -> None:
    """A finite float as a number, an infinite one as the text ``inf`` or ``-inf``."""
    if math.isinf(value):
        sheet.write_string(row, col, repr(value))
    else:
        sheet.write_number(row, col, value)
