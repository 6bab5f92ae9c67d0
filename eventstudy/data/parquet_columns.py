"""A long Parquet price dataset's columns: found, typed, filtered to a span and checked.

:func:`find_columns` names the ``date``, ``ticker``, ``adj_close`` (and ``volume``)
columns of a dataset's schema; :func:`table_frame` turns a read table into the long
frame the layouts check (:func:`checked_frame`), or :func:`fast_frame` does so when the
cells are already clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.types as pat

from eventstudy.core.errors import PriceDataError
from eventstudy.core.tabular import Table, normalise
from eventstudy.data.layouts import (
    PRICE_COLUMNS,
    Found,
    dates_of,
    load_long,
    parse_dates,
    vouched_long,
)

NEEDS = "a long Parquet dataset needs 'date', 'ticker' and 'adj_close' columns"


@dataclass(frozen=True)
class ParquetColumns:
    """The dataset's column names for each role (``volume`` may be absent)."""

    date: str
    ticker: str
    price: str
    volume: str | None

    @property
    def names(self) -> list[str]:
        return [self.date, self.ticker, self.price] + ([self.volume] if self.volume else [])


def find_columns(schema: pa.Schema, location: str) -> ParquetColumns:
    """Find the long layout's columns in ``schema`` and check their types."""
    by_key: dict[str, str] = {}
    for name in schema.names:
        by_key.setdefault(normalise(name), name)
    header = ", ".join(schema.names)
    found = {}
    for role, keys in (("date", ("date",)), ("ticker", ("ticker",)), ("adj_close", PRICE_COLUMNS)):
        name = next((by_key[k] for k in keys if k in by_key), None)
        if name is None:
            raise PriceDataError(
                f"no '{role}' column: {NEEDS}; the columns are {header}",
                file=location,
                field=role,
            )
        found[role] = name
    columns = ParquetColumns(
        found["date"], found["ticker"], found["adj_close"], by_key.get("volume")
    )

    def kind(name: str) -> pa.DataType:
        t = schema.field(name).type
        return t.value_type if pat.is_dictionary(t) else t

    def text(t: pa.DataType) -> bool:
        return pat.is_string(t) or pat.is_large_string(t) or pat.is_string_view(t)

    def number(t: pa.DataType) -> bool:
        return pat.is_integer(t) or pat.is_floating(t) or pat.is_decimal(t)

    checks = [
        (columns.date, lambda t: pat.is_date(t) or pat.is_timestamp(t) or text(t), "dates"),
        (columns.ticker, text, "text (ticker symbols)"),
        (columns.price, number, "numbers (prices)"),
    ]
    if columns.volume:
        checks.append((columns.volume, number, "numbers (volumes)"))
    for name, ok, what in checks:
        if not ok(kind(name)):
            raise PriceDataError(
                f"the column holds {schema.field(name).type}, not {what}",
                file=location,
                field=name,
            )
    return columns


def span_filter(
    schema: pa.Schema, columns: ParquetColumns, tickers: list[str], start: date, end: date
) -> pc.Expression:
    """The pushdown filter: the requested tickers, within the span (dates of a timestamp
    column with a day's margin, for the time zone; text dates are not filtered), and
    their rows without a date (which the checks then name)."""
    wanted = pc.field(columns.ticker).isin(pa.array(tickers, pa.string()))
    day = pc.field(columns.date)
    kind = schema.field(columns.date).type
    if pat.is_date(kind):
        low, high = pa.scalar(start, kind), pa.scalar(end, kind)
        return wanted & (day.is_null() | ((day >= low) & (day <= high)))
    if pat.is_timestamp(kind):
        tz = UTC if kind.tz else None
        first = datetime(start.year, start.month, start.day, tzinfo=tz) - timedelta(days=1)
        after = datetime(end.year, end.month, end.day, tzinfo=tz) + timedelta(days=2)
        low, high = pa.scalar(first, kind), pa.scalar(after, kind)
        return wanted & (day.is_null() | ((day >= low) & (day < high)))
    return wanted


def _session_dates(values: pd.Series) -> pd.Series:
    """Session dates of a date column as read (dates, timestamps or text); NaT if bad."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)  # the local wall time
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.normalize().astype("M8[ns]")
    texts = values.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    return parse_dates(texts.astype("str").where(texts.notna(), ""))


def table_frame(table: pa.Table, columns: ParquetColumns) -> pd.DataFrame:
    """The Arrow table as pandas: dates as datetimes, prices and volumes as float64."""
    kind = table.schema.field(columns.date).type
    out = {}
    for name in columns.names:
        array = table.column(name)
        if pat.is_dictionary(array.type):
            array = array.cast(array.type.value_type)
        if name in (columns.price, columns.volume):
            array = array.cast(pa.float64())
        elif name == columns.date and pat.is_date(kind):
            array = array.cast(pa.timestamp("s"))
        out[name] = array.to_pandas()
    return pd.DataFrame(out)


def fast_frame(
    frame: pd.DataFrame, columns: ParquetColumns, tickers: list[str], detail: str
) -> dict[str, Found] | None:
    """The requested tickers of clean rows, or None when a row needs naming."""
    parsed = _session_dates(frame[columns.date])
    dates = None if parsed.isna().any() else pd.DatetimeIndex(parsed, name="date").as_unit("ns")
    prices = frame[columns.price].to_numpy(dtype=np.float64)
    volumes = None if columns.volume is None else frame[columns.volume].to_numpy(np.float64)
    symbols = frame[columns.ticker].fillna("")
    return vouched_long(dates, symbols, prices, volumes, tickers, detail)


def _cells(frame: pd.DataFrame, columns: ParquetColumns) -> pd.DataFrame:
    """The rows as the text cells the csv source's checked path reads."""

    def number(v: float) -> str:
        return "" if np.isnan(v) else repr(float(v))

    parsed = frame[columns.date]
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(parsed.dtype):
        dates = parsed.dt.strftime("%Y-%m-%d").fillna("")
    else:
        dates = parsed.fillna("").astype("str")
    cells = {columns.date: dates, columns.ticker: frame[columns.ticker].fillna("").astype("str")}
    for name in (columns.price, columns.volume):
        if name is not None:
            cells[name] = frame[name].map(number)
    return pd.DataFrame(cells)


def checked_frame(
    dataset: ds.Dataset,
    columns: ParquetColumns,
    span: pc.Expression,
    tickers: list[str],
    detail: str,
) -> dict[str, Found]:
    """Each file's rows checked by the csv source's checked path, named by file and row.

    Every file is read whole (its columns of the layout only), numbered, cut to the
    rows the fast path read, and checked; then the files are joined, a (date, ticker)
    found in two files being an error naming both.
    """
    found: dict[str, list[tuple[str, Found]]] = {}
    for fragment in dataset.get_fragments(filter=span):
        table = fragment.to_table(schema=dataset.schema, columns=columns.names)
        table = table.append_column("__row", pa.array(np.arange(1, table.num_rows + 1)))
        table = table.filter(span)
        if not table.num_rows:
            continue
        frame = table_frame(table, columns)
        rows = table.column("__row").to_numpy()
        cells = Table(Path(fragment.path), _cells(frame, columns), rows, unit="row")
        date_column, dates = dates_of(cells)
        for ticker, item in load_long(cells, date_column, dates, tickers).items():
            found.setdefault(ticker, []).append((fragment.path, item))
    out = {}
    for ticker, parts in found.items():
        for k, (path, item) in enumerate(parts):
            for other_path, other in parts[:k]:
                common = item.price.index.intersection(other.price.index)
                if len(common):
                    raise PriceDataError(
                        f"duplicate row for ticker '{ticker}' on date {common[0]:%Y-%m-%d} "
                        f"(also in {other_path})",
                        file=path,
                        field=columns.ticker,
                    )
        price = pd.concat([item.price for _, item in parts]).sort_index()
        volume = None
        if columns.volume is not None:
            volume = pd.concat([item.volume for _, item in parts]).sort_index()
        out[ticker] = Found(price, volume, detail)
    return {t: out[t] for t in tickers if t in out}
