"""Events tables from Excel: the first sheet of a ``.xlsx`` workbook, one row per event.

The sheet is read with openpyxl (values, not formulas) into the same columns as a CSV
table and then follows the same rules (:mod:`eventstudy.events.events_table`). Cells keep
their Excel types (a date cell is a date, a number a number, as in a DataFrame), and
problems name the sheet's own row numbers (``row 2`` is the first event, under the
header). Empty rows and empty unnamed columns (Excel's formatting leftovers) are left
out. A file that is not a workbook, such as a CSV file renamed ``.xlsx`` or an old
``.xls``, is refused with what it is and what to do.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.core.errors import ConfigError, EventStudyError

XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xls")
"""Suffixes read as Excel workbooks (``.xls``, the old binary format, only to refuse it)."""
ZIP = b"PK\x03\x04"
OLD_EXCEL = b"\xd0\xcf\x11\xe0"


def read_xlsx(path: Path, file: str) -> tuple[pd.DataFrame, tuple[str, np.ndarray]]:
    """The first sheet of the workbook ``path`` as a frame of cell values, and its rows'
    sheet numbers (``("row", numbers)``).

    Raises
    ------
    ConfigError
        If the file is not a ``.xlsx`` workbook or cannot be read.
    """

    def fail(message: str) -> ConfigError:
        return ConfigError([EventStudyError(message, file=file)])

    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith(OLD_EXCEL):
        raise fail("an old Excel .xls workbook: save it as .xlsx (or .csv) and use that")
    if not head.startswith(ZIP):
        text = b"\x00" not in head
        what = "text, not an Excel workbook (a CSV file named .xlsx?)" if text else "not a workbook"
        raise fail(
            f"{what}: events tables are .csv, .parquet or .xlsx files; name it by its format"
        )
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise fail(f"not a readable Excel workbook ({exc})") from None
    try:
        sheet = book.worksheets[0]
        if len(book.worksheets) > 1:
            warnings.warn(
                f"{file}: events read from the first sheet, '{sheet.title}', of "
                f"{len(book.worksheets)}",
                UserWarning,
                stacklevel=3,
            )
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    if not rows or all(_empty(v) for v in rows[0]):
        raise fail(
            "the first sheet is empty: its first row should be the header (date, ticker, ...)"
        )
    width = max(map(len, rows))
    rows = [row + [None] * (width - len(row)) for row in rows]
    header = ["" if v is None else str(v).strip() for v in rows[0]]
    body = rows[1:]
    keep = [i for i, h in enumerate(header) if h or any(not _empty(r[i]) for r in body)]
    filled = [n for n, row in enumerate(body) if not all(_empty(row[i]) for i in keep)]
    frame = pd.DataFrame(
        [[body[n][i] for i in keep] for n in filled],
        columns=[header[i] for i in keep],
        dtype=object,
    )
    return frame, ("row", np.array([n + 2 for n in filled], dtype=np.int64))


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
