"""CSV files read as text cells with their line numbers, for messages that name the line.

Both the events tables (:mod:`eventstudy.events.events_table`) and the csv price source
(:mod:`eventstudy.data.csv`) read user files this way: every cell a stripped string,
the header checked, and each row's file line kept so that a problem is reported as
``prices.csv: line 12: ...``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.core.errors import EventStudyError


def normalise(name: str) -> str:
    """Column name as compared: lower case, spaces as underscores."""
    return "_".join(name.lower().split())


@dataclass(frozen=True)
class Table:
    """A CSV file read as text: stripped header and cells, with file line numbers.

    Attributes
    ----------
    path
        The file read.
    cells
        One column per header name, every cell a stripped string (``""`` if empty).
    lines
        The file line number (1-based, the header is line 1) of each row of ``cells``.
    unit
        What ``lines`` count: ``"line"`` for a text file, ``"row"`` for a Parquet file or
        a DataFrame (1-based data rows).
    """

    path: Path
    cells: pd.DataFrame
    lines: np.ndarray
    unit: str = "line"

    def find(self, *names: str) -> str | None:
        """Return the header of the first column whose normalised name is in ``names``."""
        by_name = {normalise(c): c for c in self.cells.columns}
        return next((by_name[n] for n in names if n in by_name), None)

    def where(self, row: int, dates: pd.DatetimeIndex | None = None) -> str:
        """Describe row ``row`` for a message: its line and, if known, its date."""
        line = f"{self.unit} {self.lines[row]}"
        return f"{line} ({dates[row]:%Y-%m-%d})" if dates is not None else line


def read_table(path: Path, error: type[EventStudyError] = EventStudyError) -> Table:
    """Read ``path`` as a UTF-8 CSV whose first line is the header.

    Parameters
    ----------
    path
        The file.
    error
        The exception class raised (e.g. :class:`~eventstudy.core.errors.PriceDataError`).

    Raises
    ------
    EventStudyError
        Of class ``error``, if the file cannot be read, is not UTF-8 text, is empty, is
        not a well-formed CSV or has the same column name twice.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read the file: {exc.strerror}", file=path) from None
    if b"\x00" in raw:
        raise error("not a CSV file: it holds binary data", file=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            f"line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as "
            "UTF-8 CSV",
            file=path,
        ) from None
    if not text.strip():
        raise error("the file is empty", file=path)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        problem = str(exc).replace("Error tokenizing data. C error: ", "").strip()
        raise error(f"not a well-formed CSV file: {problem}", file=path) from None
    frame = frame.fillna("").apply(lambda col: col.str.strip())
    header = list(frame.iloc[0])
    seen: dict[str, str] = {}
    for name in header:
        key = normalise(name)
        if key and key in seen:
            raise error(
                f"column '{name}' appears twice in the header (line 1)", file=path, field=name
            )
        seen[key] = name
    body = frame.iloc[1:]
    body = body[(body != "").any(axis=1)]
    lines = body.index.to_numpy() + 1
    body = body.set_axis(header, axis=1).reset_index(drop=True)
    return Table(path=path, cells=body, lines=lines)
