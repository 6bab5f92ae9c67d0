"""The ``csv`` price source: a user's own prices from CSV files.

Three layouts are recognised automatically:

wide file
    A ``date`` column and one numeric column per ticker (``date,NVDA,SPY``).
long file
    Columns ``date``, ``ticker``, ``adj_close`` and optionally ``volume``, one row per
    ticker and date.
folder of per-ticker files
    ``TICKER.csv`` files with columns ``date, open, high, low, close, adj_close, volume``,
    the layout of a Yahoo export (Yahoo's own ``Date,...,Adj Close,Volume`` header is
    accepted too). Without an ``adj_close`` column the ``close`` column is used, and the
    provenance says so.

Column names are matched case-insensitively, with spaces treated as underscores
(``Adj Close`` is ``adj_close``); ticker symbols are matched exactly. Dates are ISO 8601
(``2025-01-27``, also ``2025/01/27`` and ``20250127``); a time of day or UTC offset
after the date, as in a ``yfinance`` export, is ignored: the date as written is the
session date. Empty cells are missing values. Every problem in a file raises a
:class:`~eventstudy.core.errors.PriceDataError` naming the file, the column, the line and
date, and what is wrong.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.core.errors import PriceDataError
from eventstudy.core.prices import PriceTable
from eventstudy.core.tabular import normalise, read_table
from eventstudy.data.layouts import (
    MISSING,
    PRICE_COLUMNS,
    Found,
    check_unique,
    dates_of,
    load_long,
    load_wide,
    numbers,
    parse_dates,
    price_table,
    vouched_long,
    vouched_wide,
)


def _fast_text(path: Path) -> tuple[str, list[str], list[str]] | None:
    """The file's text, header and normalised header, if the header is clean.

    None (the checked path will read the file and name the problem) when the file is
    not UTF-8 text, or a header name is empty, padded with spaces or repeated.
    """
    import csv

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    header = next(csv.reader([text.split("\n", 1)[0].rstrip("\r")]), [])
    keys = [normalise(h) for h in header]
    if len(set(keys)) != len(keys) or any(h != h.strip() or not h for h in header):
        return None
    return text, header, keys


def _fast_frame(text: str, dtype: dict[str, str], numbers: list[str]) -> pd.DataFrame | None:
    """``text`` parsed by the C reader: ``dtype`` per column, missing-value markers in the
    ``numbers`` columns only; None for a malformed or ragged file or a cell that is not
    of its column's type."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                io.StringIO(text),
                dtype=dtype,
                na_values=dict.fromkeys(numbers, sorted(MISSING)),
                keep_default_na=False,
                index_col=False,
            )
    except (ValueError, pd.errors.ParserError, pd.errors.ParserWarning):
        return None


def _fast_dates(frame: pd.DataFrame, column: str) -> pd.DatetimeIndex | None:
    """The parsed dates of ``column``, or None if one is empty or not a date."""
    parsed = parse_dates(frame[column].fillna(""))
    if parsed.isna().any():
        return None
    return pd.DatetimeIndex(parsed, name="date").as_unit("ns")


def _load_fast(path: Path, tickers: list[str]) -> dict[str, Found] | None:
    """Read a valid wide or long file with the C parser straight to floats, or None.

    The numbers are parsed by ``pandas.read_csv`` (the same values as the checked
    path's ``pandas.to_numeric``). Anything this path does not vouch for (not UTF-8, a
    header needing cleaning or repeated, a cell that is not a number or a
    missing-value marker, a ragged row, a bad or repeated date, an empty or padded
    ticker, a price that is not positive) returns None, and the file is read again
    cell by cell by the checked path, which names the problem.
    """
    read = _fast_text(path)
    if read is None:
        return None
    text, header, keys = read
    if "date" not in keys:
        return None
    date_column = header[keys.index("date")]
    if "ticker" in keys or set(PRICE_COLUMNS) & set(keys):
        return _load_long_fast(path, text, header, keys, date_column, tickers)
    wanted = [t for t in tickers if t in header and t != date_column]
    if len(header) < 2:
        return None
    frame = _fast_frame(text, {date_column: "str"} | dict.fromkeys(wanted, "float64"), wanted)
    if frame is None:
        return None
    values = frame[wanted].to_numpy(dtype=np.float64)
    detail = f"{path} (wide file: one column per ticker)"
    return vouched_wide(_fast_dates(frame, date_column), values, wanted, detail)


def _load_long_fast(
    path: Path, text: str, header: list[str], keys: list[str], date_column: str, tickers: list[str]
) -> dict[str, Found] | None:
    """:func:`_load_fast` for a long file (``date``, ``ticker``, ``adj_close``, ``volume``)."""
    price_keys = [k for k in PRICE_COLUMNS if k in keys]
    if "ticker" not in keys or not price_keys:
        return None
    ticker_column = header[keys.index("ticker")]
    price_column = header[keys.index(price_keys[0])]
    volume_column = header[keys.index("volume")] if "volume" in keys else None
    numbers = [price_column] + ([volume_column] if volume_column else [])
    dtype = {date_column: "str", ticker_column: "str"} | dict.fromkeys(numbers, "float64")
    frame = _fast_frame(text, dtype, numbers)
    if frame is None:
        return None
    prices = frame[price_column].to_numpy(dtype=np.float64)
    volumes = None if volume_column is None else frame[volume_column].to_numpy(np.float64)
    detail = f"{path} (long file: date, ticker, {price_column})"
    dates = _fast_dates(frame, date_column)
    return vouched_long(dates, frame[ticker_column], prices, volumes, tickers, detail)


def _load_file(path: Path, tickers: list[str]) -> dict[str, Found]:
    """Read a wide or long file, telling them apart by a ``ticker`` or ``adj_close`` column."""
    fast = _load_fast(path, tickers)
    if fast is not None:
        return fast
    table = read_table(path, PriceDataError)
    date_column, dates = dates_of(table)
    if table.find("ticker", *PRICE_COLUMNS) is not None:
        return load_long(table, date_column, dates, tickers)
    return load_wide(table, date_column, dates, tickers)


def _load_folder(folder: Path, tickers: list[str]) -> dict[str, Found]:
    """Read the files ``TICKER.csv`` of the requested tickers in ``folder``.

    An index symbol such as ``^GSPC`` is also looked for as ``GSPC.csv``, since ``^``
    is often dropped from file names.
    """
    names = {p.name for p in folder.iterdir() if p.is_file() and p.suffix == ".csv"}
    if not names:
        raise PriceDataError(
            "the folder holds no .csv files: it should hold one TICKER.csv per ticker",
            file=folder,
        )
    found = {}
    for ticker in tickers:
        candidates = [f"{ticker}.csv", f"{ticker.removeprefix('^')}.csv"]
        name = next((n for n in candidates if n in names), None)
        if name is None:
            continue
        table = read_table(folder / name, PriceDataError)
        date_column, dates = dates_of(table)
        check_unique(table, date_column, pd.DataFrame({"date": dates}))
        price_column = table.find(*PRICE_COLUMNS)
        detail = f"{table.path} (per-ticker file, column {price_column})"
        if price_column is None:
            price_column = table.find("close")
            if price_column is None:
                raise PriceDataError(
                    "no 'adj_close' or 'close' column", file=table.path, field="adj_close"
                )
            detail = f"{table.path} (per-ticker file; no adj_close column, used {price_column})"
        volume_column = table.find("volume")
        rows = np.arange(len(dates))
        volume = None
        if volume_column is not None:
            volume = numbers(table, volume_column, dates, rows, volume=True)
        found[ticker] = Found(numbers(table, price_column, dates, rows), volume, detail)
    return found


class CsvSource:
    """Prices from a user's CSV file or folder of per-ticker CSV files.

    Parameters
    ----------
    path
        A wide or long CSV file, or a folder of ``TICKER.csv`` files.

    Attributes
    ----------
    name
        ``"csv"``.
    synthetic
        Always False: the prices are the user's.
    """

    name = "csv"
    synthetic = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self, tickers: list[str], start: date, end: date) -> PriceTable:
        """Return the adjusted closes of ``tickers`` between ``start`` and ``end`` inclusive.

        Parameters
        ----------
        tickers
            Ticker symbols, matched exactly; those not in the data are left out.
        start, end
            First and last date wanted.

        Returns
        -------
        PriceTable
            One float column per ticker found, on the dates where any of them has a
            price, with volumes when the data has them.

        Raises
        ------
        PriceDataError
            If the path does not exist or a file read is malformed.
        """
        if not self.path.exists():
            raise PriceDataError("no such file or folder", file=self.path)
        wanted = list(dict.fromkeys(tickers))
        if self.path.is_dir():
            found = _load_folder(self.path, wanted)
        else:
            found = _load_file(self.path, wanted)
        return price_table(found, start, end, self.name)
