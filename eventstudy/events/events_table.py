"""Events from a table: a CSV, Parquet or Excel file, or a DataFrame, one row per event.

Firm-specific designs (earnings, M&A, product launches) have thousands of events,
each with its own date, and keep them in a table. This module reads such a table into
its event fields, column by column (:class:`EventsTable`; one Python text per distinct
CSV cell), remembering the line (CSV) or row (Parquet, DataFrame) of each event so that
every problem is reported as ``earnings.csv: line 12: column 'date': ...``;
:mod:`eventstudy.events.table_events` checks the columns and builds the events, and
:mod:`eventstudy.events.config` validates what the checks leave to it.

Columns (matched case-insensitively, spaces as underscores):

``date`` (required)
    The news date, ``YYYY-MM-DD``.
``ticker`` or ``securities``
    One security, or several separated by ``;``. A row with neither uses
    ``study.securities``.
``id``
    The event's slug. When absent or empty: ``<ticker>-<date>`` as a slug (several
    securities: joined by ``-``; none: the date alone). Two rows with the same id are
    an error naming both lines.
``time``, ``timezone``, ``title``, ``category``, ``benchmark``, ``model``, ``role``, ...
    As in ``events.yaml`` (also ``source`` and ``notes``); ``title`` defaults to the id.
any other column
    Kept as an event attribute (a number when every filled cell of the column is a
    number, else text) in ``Event.attributes``, for second-stage analysis. Empty cells
    are missing values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.core.errors import ConfigError, EventStudyError
from eventstudy.core.tabular import normalise, read_table
from eventstudy.events.events_xlsx import XLSX_SUFFIXES, read_xlsx
from eventstudy.events.table_header import header_hint, warn_near_misses

if TYPE_CHECKING:
    from collections.abc import Callable

TABLE_SUFFIXES = (".csv", ".parquet", ".pq", *XLSX_SUFFIXES)
"""File suffixes read as events tables (anything else is read as YAML)."""
FIELDS = (
    "id",
    "date",
    "time",
    "timezone",
    "title",
    "category",
    "source",
    "notes",
    "benchmark",
    "model",
    "role",
)
"""Columns that are event fields (besides ``ticker`` and ``securities``)."""
SECURITY_COLUMNS = ("ticker", "securities")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class EventsTable:
    """A table's rows as event fields, column by column, with where each row came from.

    Attributes
    ----------
    file
        The table as named in messages (a path, or ``<DataFrame>``).
    unit, numbers
        What the rows are called in messages (``"line"`` for a CSV file, ``"row"``
        otherwise) and each row's number: row ``i`` is ``f"{unit} {numbers[i]}"``.
    columns
        Event field name to the table's column header (``securities`` maps to the
        ``ticker`` or ``securities`` column).
    attributes
        The extra columns kept as attributes, in table order.
    problems
        Problems found across rows (repeated ids, rows without securities), reported
        with the field problems that validation finds.
    cells
        Event field name to its (N,) object array as ``events.yaml`` would give it:
        ``id`` and ``date`` always, ``securities`` (tuples of tickers) and the other
        fields of the table, ``None`` where empty.
    attribute_cells
        Attribute column header to its (N,) values (``None`` where empty).
    """

    file: str
    unit: str
    numbers: np.ndarray
    columns: dict[str, str]
    attributes: list[str]
    problems: list[EventStudyError]
    cells: dict[str, np.ndarray]
    attribute_cells: dict[str, np.ndarray]
    header: tuple[str, ...] = ()  # the column headers in table order, for messages

    def __len__(self) -> int:
        """Return the number of rows (events)."""
        return len(self.numbers)

    def location(self, index: int) -> str:
        """``"line 12"`` / ``"row 3"``: where event ``index`` is in the table."""
        return f"{self.unit} {self.numbers[index]}"

    def row(self, index: int) -> dict[str, Any]:
        """Event ``index`` as the mapping ``events.yaml`` would give (an ``attributes``
        mapping of its filled extra columns; ``title`` defaults to the id)."""
        event: dict[str, Any] = {"id": self.cells["id"][index], "date": self.cells["date"][index]}
        for key, column in self.cells.items():
            if column[index] is not None and key not in event:
                value = column[index]
                event[key] = list(value) if key == "securities" else value
        event.setdefault("title", event["id"])
        kept = {name: v[index] for name, v in self.attribute_cells.items() if v[index] is not None}
        if kept:
            event["attributes"] = kept
        return event

    def without_securities(self) -> list[EventStudyError]:
        """One problem per event that names no securities (for a study that has none)."""
        column = self.columns.get("securities")
        what = f"empty '{column}'" if column else "no 'ticker' or 'securities' column"
        if not column:
            hint = header_hint(self.attributes, SECURITY_COLUMNS, ": ")
            what += f" (the header is {', '.join(self.header)}{hint})"
        securities = self.cells.get("securities", np.full(len(self), None, dtype=object))
        return [
            EventStudyError(
                f"{what}, and the study names no default securities (study.securities)",
                file=self.file,
                location=self.location(i),
                column=column,
            )
            for i in np.flatnonzero(pd.isna(securities))
        ]

    def problem(self, index: int, field: str | None, message: str) -> EventStudyError:
        """An error about event ``index`` and its ``field``, naming line and column."""
        name = (field or "").split(".")[0]
        column = self.columns.get(name, name if name in self.attributes else None)
        if column is None and name:
            message = f"{name}: {message}"
        return EventStudyError(
            message, file=self.file, location=self.location(index), column=column
        )


def is_table(path: Path) -> bool:
    """True when ``path`` names an events table (by its suffix)."""
    return path.suffix.lower() in TABLE_SUFFIXES


def read_events_table(path: Path, file: str | None = None) -> EventsTable:
    """Read an events table from a CSV or Parquet file.

    Parameters
    ----------
    path
        The file; ``.parquet``/``.pq`` is read as Parquet, ``.xlsx`` as Excel
        (:mod:`eventstudy.events.events_xlsx`), anything else as CSV.
    file
        How messages name it (default: ``path``).

    Raises
    ------
    ConfigError
        If the file cannot be read, is not UTF-8 CSV or not Parquet, is empty, or has
        no ``date`` column; and for every row problem found (all of them).
    """
    file = file or str(path)
    if not path.is_file():
        what = "is a folder, not an events table" if path.is_dir() else "file not found"
        raise ConfigError([EventStudyError(what, file=file)])
    if path.suffix.lower() in (".parquet", ".pq"):
        return events_from_frame(_read_parquet(path, file), file=file)
    if path.suffix.lower() in XLSX_SUFFIXES:  # typed cells, named by their sheet rows
        return _from_cells(*read_xlsx(path, file), file, typed=True)
    try:
        table = read_table(path)
    except EventStudyError as exc:
        exc.file = file
        raise ConfigError([exc]) from None
    return _from_cells(table.cells, ("line", table.lines), file, typed=False)


def _read_parquet(path: Path, file: str) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            [EventStudyError(f"not a readable Parquet file ({message})", file=file)]
        ) from None


def events_from_frame(frame: pd.DataFrame, *, file: str = "<DataFrame>") -> EventsTable:
    """Read the events of a DataFrame (the columns of the module docstring).

    Rows are named ``row 1``, ``row 2`` ... (positions, 1-based) in messages. Date
    columns of dtype datetime (or ``datetime.date`` objects) are taken as dates; any
    other column keeps its values (numbers stay numbers).

    Raises
    ------
    ConfigError
        For every problem found.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(
            [EventStudyError(f"expected a pandas DataFrame, got {type(frame).__name__}")]
        )
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    return _from_cells(frame, ("row", np.arange(1, len(frame) + 1)), file, typed=True)


def _from_cells(
    cells: pd.DataFrame, where: tuple[str, np.ndarray], file: str, *, typed: bool
) -> EventsTable:
    """The events of a table whose columns are ``cells`` (strings unless ``typed``);
    ``where`` names the rows (``"line"`` and the file lines, or ``"row"`` and 1..N)."""

    def fail(message: str, column: str | None = None) -> ConfigError:
        return ConfigError([EventStudyError(message, file=file, column=column)])

    names: dict[str, str] = {}
    for header in cells.columns:
        key = normalise(header)
        if key in names:
            raise fail(f"column '{header}' appears twice in the header (as '{names[key]}')")
        names[key] = header
    if "date" not in names:
        header = ", ".join(cells.columns) or "(empty)"
        hint = ""
        if len(cells.columns) == 1 and (";" in cells.columns[0] or "\t" in cells.columns[0]):
            hint = " (the file seems to use ';' or tabs: separate the columns with commas)"
        hint = hint or header_hint(list(cells.columns), ("date",), ": ")
        raise fail(f"no 'date' column; the header is {header}{hint}")
    if cells.empty:
        raise fail("the table has no events (only a header)")
    if "ticker" in names and "securities" in names:
        raise fail("give either a 'ticker' or a 'securities' column, not both", names["ticker"])
    values = {key: _cells(cells[header], typed) for key, header in names.items()}
    columns = {key: names[key] for key in FIELDS if key in names}
    security_key = next((k for k in SECURITY_COLUMNS if k in names), None)
    if security_key:
        columns["securities"] = names[security_key]
    attributes = [names[k] for k in names if k not in FIELDS and k not in SECURITY_COLUMNS]
    warn_near_misses(attributes, [k for k in (*FIELDS, *SECURITY_COLUMNS) if k not in names], file)
    n = len(cells)
    dates = _per_value(values["date"], _date_text) if typed else values["date"]  # CSV: texts
    securities = _securities(values[security_key]) if security_key else np.full(n, None, object)
    ids = values.get("id", np.full(n, None, dtype=object))
    generated = pd.isna(ids)
    if generated.any():
        ids = ids.copy()
        ids[generated] = _generated_ids(securities[generated], dates[generated])
    unit, numbers = where
    problems = _duplicates(ids, generated, (unit, numbers), file, columns.get("id"))
    fields = {"id": ids, "date": dates}
    fields |= {k: values[k] for k in FIELDS if k in values and k not in ("id", "date")}
    if security_key:
        fields["securities"] = securities
    attribute_cells = {names[k]: _attribute_column(values[k], typed) for k in names
                       if names[k] in attributes}  # fmt: skip
    return EventsTable(
        file, unit, numbers, columns, attributes, problems, fields, attribute_cells,
        tuple(map(str, cells.columns)),
    )  # fmt: skip


def _cells(column: pd.Series, typed: bool) -> np.ndarray:
    """A column's values as an object array, ``None`` where empty or missing."""
    if not typed:  # stripped texts from the CSV reader: one Python text per distinct cell
        codes, uniques = pd.factorize(column)
        texts = np.append(np.asarray(uniques, dtype=object), "")
        return np.where(texts == "", None, texts)[codes]
    values = column.to_numpy(dtype=object, na_value=None)
    return _per_value(values, lambda v: v.strip() or None if isinstance(v, str) else v)


def _per_value(values: np.ndarray, convert: Callable[[Any], Any]) -> np.ndarray:
    """``convert`` of each value (``None`` stays), once per distinct value where the
    values are all texts or all dates (where equal values are the same value)."""
    kinds = set(map(type, values)) - {type(None)}
    if len(kinds) == 1 and kinds <= {str, date}:
        codes, uniques = pd.factorize(values)
    else:
        codes, uniques = np.arange(len(values)), values
    converted = np.fromiter(  # one more: the missing cells' (code -1)
        (None if v is None else convert(v) for v in [*uniques, None]),
        dtype=object,
        count=len(uniques) + 1,
    )
    return converted[codes]


def _date_text(value: Any) -> Any:
    """A date or datetime as ``YYYY-MM-DD`` text; any other value as given."""
    if isinstance(value, np.datetime64) or hasattr(value, "isoformat"):  # dates, datetimes
        stamp = pd.Timestamp(value)
        if stamp is not pd.NaT and stamp == stamp.normalize():
            return stamp.strftime("%Y-%m-%d")
        if stamp is not pd.NaT:
            return f"{stamp.isoformat()}"  # a time of day: refused by validation
    return value


def _securities(values: np.ndarray) -> np.ndarray:
    """``"BABA"`` or ``"BABA; NVDA"`` as tuples of tickers; ``None`` where empty."""

    def split(v: Any) -> tuple[str, ...] | None:
        parts = [p.strip() for p in str(v).split(";")]
        return tuple(p for p in parts if p) or None

    return _per_value(values, split)


def _slugs(texts: pd.Series) -> pd.Series:
    """Texts as slug parts: lower case, runs of other characters as one ``-``."""
    return texts.str.lower().str.replace(_NOT_SLUG, "-", regex=True).str.strip("-")


def _generated_ids(securities: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """``<ticker>-<date>`` slugs (several tickers joined by ``-``; none: the date)."""
    stems = _slugs(pd.Series(["-".join(t) if t else "" for t in securities], dtype=object))
    days = _slugs(pd.Series(dates, dtype=object).fillna("").astype(str))
    ids = (stems + "-" + days).str.strip("-")
    return ids.where(ids != "", "event").to_numpy(dtype=object)


def _duplicates(
    ids: np.ndarray,
    generated: np.ndarray,
    where: tuple[str, np.ndarray],
    file: str,
    column: str | None,
) -> list[EventStudyError]:
    """One error per row whose id another row already has, naming both rows."""
    frame = pd.Series(ids.astype(str))
    repeated = np.flatnonzero(frame.duplicated().to_numpy())
    if not repeated.size:
        return []
    unit, numbers = where
    first = frame.drop_duplicates()
    first_at = pd.Series(first.index, index=first.to_numpy())
    problems = []
    for row in repeated:
        earlier = f"{unit} {numbers[int(first_at[frame.iloc[row]])]}"
        how = (
            " (generated from ticker and date: add an 'id' column to tell them apart)"
            if generated[row]
            else ""
        )
        problems.append(
            EventStudyError(
                f"duplicate event id '{ids[row]}', also on {earlier}{how}",
                file=file,
                location=f"{unit} {numbers[row]}",
                column=column,
            )
        )
    return problems


def _attribute_column(values: np.ndarray, typed: bool) -> np.ndarray:
    """An attribute column as numbers when every filled cell is one, else as text."""
    filled = np.array([v is not None for v in values])
    if typed:
        return np.array([v.item() if isinstance(v, np.generic) else v for v in values], object)
    numbers = pd.to_numeric(pd.Series(values[filled], dtype=object), errors="coerce")
    if filled.any() and numbers.notna().all() and np.isfinite(numbers.to_numpy(float)).all():
        texts = pd.Series(values[filled], dtype=str)
        integral = texts.str.fullmatch(r"[+-]?\d+").all()
        out = np.full(len(values), None, dtype=object)
        out[filled] = [int(t) for t in texts] if integral else numbers.astype(float).tolist()
        return out
    return values


__all__ = [
    "TABLE_SUFFIXES",
    "EventsTable",
    "events_from_frame",
    "is_table",
    "read_events_table",
]
