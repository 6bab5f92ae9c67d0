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
:class:`~eventstudy.errors.PriceDataError` naming the file, the column, the line and
date, and what is wrong.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.data.base import PriceTable, provenance_for
from eventstudy.errors import PriceDataError
from eventstudy.tabular import Table, normalise, read_table

_DATE = re.compile(
    r"(\d{4})([-/]?)(\d{2})\2(\d{2})"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_PRICE_COLUMNS = ("adj_close", "adjclose")
_MISSING = frozenset({"", "NA", "N/A", "#N/A", "NaN", "nan", "null", "NULL"})


def _parse_dates(texts: pd.Series) -> pd.Series:
    """Session dates of the date cells ``texts`` (time and offset ignored); NaT if invalid.

    Each distinct text is parsed once (a long file repeats every date per ticker).
    """
    codes, distinct = pd.factorize(texts, use_na_sentinel=False)
    distinct = pd.Series(distinct, dtype="str")
    parts = distinct.str.fullmatch(_DATE.pattern)
    iso = distinct.str.replace(_DATE, r"\1-\3-\4", regex=True)
    parsed = pd.to_datetime(iso.where(parts, ""), format="%Y-%m-%d", errors="coerce")
    return pd.Series(parsed.to_numpy()[codes], index=texts.index)


def _dates(table: Table) -> tuple[str, pd.DatetimeIndex]:
    """Find the date column of ``table`` and parse it.

    Returns
    -------
    tuple
        The date column's header and the dates, one per row, at midnight.

    Raises
    ------
    PriceDataError
        If there is no date column, or a date is empty or not a valid date.
    """
    column = table.find("date")
    if column is None:
        header = list(table.cells.columns)
        hint = ""
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            hint = " (the file seems to use ';' or tabs: separate the columns with commas)"
        raise PriceDataError(
            f"no 'date' column; the header is {', '.join(header)}{hint}",
            file=table.path,
            field="date",
        )
    texts = table.cells[column]
    parsed = _parse_dates(texts)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        row = int(bad[0])
        value = texts.iloc[row]
        problem = "empty date" if not value else f"'{value}' is not a date (use YYYY-MM-DD)"
        raise PriceDataError(f"{table.where(row)}: {problem}", file=table.path, field=column)
    return column, pd.DatetimeIndex(parsed, name="date").as_unit("ns")


def _check_unique(table: Table, column: str, keys: pd.DataFrame) -> None:
    """Raise if two rows of ``table`` share the same ``keys``.

    Parameters
    ----------
    table
        The file the keys come from.
    column
        The column named in the error.
    keys
        One row per row of ``table``: a ``date`` column and, for a long file, ``ticker``.
    """
    repeated = np.flatnonzero(keys.duplicated().to_numpy())
    if not repeated.size:
        return
    row = int(repeated[0])
    earlier = int(np.flatnonzero((keys == keys.iloc[row]).all(axis=1).to_numpy())[0])
    what = f"date {keys['date'].iloc[row]:%Y-%m-%d}"
    if "ticker" in keys:
        what = f"row for ticker '{keys['ticker'].iloc[row]}' on {what}"
    raise PriceDataError(
        f"line {table.lines[row]}: duplicate {what} (first on line {table.lines[earlier]})",
        file=table.path,
        field=column,
    )


def _numbers(
    table: Table,
    column: str,
    dates: pd.DatetimeIndex,
    rows: np.ndarray,
    *,
    volume: bool = False,
    ticker: str | None = None,
) -> pd.Series:
    """Convert the cells ``rows`` of ``column`` to numbers, indexed by their dates.

    Parameters
    ----------
    table
        The file read.
    column
        The column holding the numbers.
    dates
        The date of every row of ``table``.
    rows
        Positions of the rows to convert.
    volume
        True for volumes, which may be zero; prices must be positive.
    ticker
        The ticker of the rows, named in errors (for a long file).

    Returns
    -------
    pandas.Series
        Float64 values, NaN where the cell is empty or a missing-value marker.

    Raises
    ------
    PriceDataError
        At the first cell that is not a finite number or is out of range.
    """
    cells = table.cells[column].to_numpy(dtype=object)[rows]
    values = pd.to_numeric(cells, errors="coerce").astype("float64")
    missing = np.isin(cells, list(_MISSING))
    problems = {
        "is not a number": ~np.isfinite(values) & ~missing,
        "is negative" if volume else "is not a positive price": (
            (values < 0) if volume else (values <= 0)
        ),
    }
    for problem, bad in problems.items():
        if bad.any():
            at = int(rows[np.flatnonzero(bad)[0]])
            who = f", ticker '{ticker}'" if ticker is not None else ""
            raise PriceDataError(
                f"{table.where(at, dates)}{who}: '{table.cells[column].iloc[at]}' {problem}",
                file=table.path,
                field=column,
            )
    values[missing] = np.nan
    return pd.Series(values, index=dates[rows])


@dataclass(frozen=True)
class _Found:
    """One ticker's data as read from the files, before the date range is applied."""

    price: pd.Series
    volume: pd.Series | None
    detail: str


def _load_wide(
    table: Table, date_column: str, dates: pd.DatetimeIndex, tickers: list[str]
) -> dict[str, _Found]:
    """Read the requested ticker columns of a wide file."""
    _check_unique(table, date_column, pd.DataFrame({"date": dates}))
    columns = [c for c in table.cells.columns if c and c != date_column]
    if not columns:
        raise PriceDataError(
            "no ticker columns: a wide file needs a 'date' column and one column per ticker",
            file=table.path,
        )
    rows = np.arange(len(dates))
    detail = f"{table.path} (wide file: one column per ticker)"
    return {
        t: _Found(_numbers(table, t, dates, rows), None, detail) for t in tickers if t in columns
    }


def _load_long(
    table: Table, date_column: str, dates: pd.DatetimeIndex, tickers: list[str]
) -> dict[str, _Found]:
    """Read the requested tickers' rows of a long file."""
    needs = "a long file needs 'date', 'ticker' and 'adj_close' columns"
    ticker_column = table.find("ticker")
    if ticker_column is None:
        raise PriceDataError(
            f"no 'ticker' column: {needs} (for one file per ticker, pass their folder)",
            file=table.path,
            field="ticker",
        )
    price_column = table.find(*_PRICE_COLUMNS)
    if price_column is None:
        raise PriceDataError(f"no 'adj_close' column: {needs}", file=table.path, field="adj_close")
    volume_column = table.find("volume")
    symbols = table.cells[ticker_column]
    empty = np.flatnonzero((symbols == "").to_numpy())
    if empty.size:
        raise PriceDataError(
            f"{table.where(int(empty[0]), dates)}: empty ticker",
            file=table.path,
            field=ticker_column,
        )
    _check_unique(table, date_column, pd.DataFrame({"date": dates, "ticker": symbols}))
    detail = f"{table.path} (long file: date, ticker, {price_column})"
    found = {}
    for ticker in tickers:
        rows = np.flatnonzero((symbols == ticker).to_numpy())
        if rows.size:
            volume = None
            if volume_column is not None:
                volume = _numbers(table, volume_column, dates, rows, volume=True, ticker=ticker)
            price = _numbers(table, price_column, dates, rows, ticker=ticker)
            found[ticker] = _Found(price, volume, detail)
    return found


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
                na_values=dict.fromkeys(numbers, sorted(_MISSING)),
                keep_default_na=False,
                index_col=False,
            )
    except (ValueError, pd.errors.ParserError, pd.errors.ParserWarning):
        return None


def _fast_dates(frame: pd.DataFrame, column: str) -> pd.DatetimeIndex | None:
    """The parsed dates of ``column``, or None if one is empty or not a date."""
    parsed = _parse_dates(frame[column].fillna(""))
    if parsed.isna().any():
        return None
    return pd.DatetimeIndex(parsed, name="date").as_unit("ns")


def _valid_numbers(values: np.ndarray, *, volume: bool = False) -> bool:
    """No infinity, and positive prices (volumes: not negative); NaN is missing."""
    with np.errstate(invalid="ignore"):
        return not (np.isinf(values).any() or (values < 0 if volume else values <= 0).any())


def _load_fast(path: Path, tickers: list[str]) -> dict[str, _Found] | None:
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
    if "ticker" in keys or set(_PRICE_COLUMNS) & set(keys):
        return _load_long_fast(path, text, header, keys, date_column, tickers)
    wanted = [t for t in tickers if t in header and t != date_column]
    if len(header) < 2:
        return None
    frame = _fast_frame(text, {date_column: "str"} | dict.fromkeys(wanted, "float64"), wanted)
    if frame is None:
        return None
    dates = _fast_dates(frame, date_column)
    values = frame[wanted].to_numpy(dtype=np.float64)
    if dates is None or dates.duplicated().any() or not _valid_numbers(values):
        return None
    detail = f"{path} (wide file: one column per ticker)"
    return {
        t: _Found(pd.Series(values[:, k], index=dates), None, detail) for k, t in enumerate(wanted)
    }


def _load_long_fast(
    path: Path, text: str, header: list[str], keys: list[str], date_column: str, tickers: list[str]
) -> dict[str, _Found] | None:
    """:func:`_load_fast` for a long file (``date``, ``ticker``, ``adj_close``, ``volume``)."""
    price_keys = [k for k in _PRICE_COLUMNS if k in keys]
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
    symbols = frame[ticker_column]
    if symbols.isna().any() or (symbols == "").any() or (symbols.str.strip() != symbols).any():
        return None
    dates = _fast_dates(frame, date_column)
    if dates is None or pd.DataFrame({"d": dates, "t": symbols}).duplicated().any():
        return None
    prices = frame[price_column].to_numpy(dtype=np.float64)
    volumes = None if volume_column is None else frame[volume_column].to_numpy(np.float64)
    if not _valid_numbers(prices) or (
        volumes is not None and not _valid_numbers(volumes, volume=True)
    ):
        return None
    rows = np.flatnonzero(symbols.isin(tickers).to_numpy())
    codes, names = pd.factorize(symbols.iloc[rows])
    day, days = pd.factorize(dates[rows])
    index = pd.DatetimeIndex(days, name="date")  # one date index shared by every ticker

    def spread(values: np.ndarray) -> np.ndarray:  # (days, tickers), NaN where no row
        grid = np.full((len(days), len(names)), np.nan)
        grid[day, codes] = values[rows]
        return grid

    price_grid = spread(prices)
    volume_grid = None if volumes is None else spread(volumes)
    detail = f"{path} (long file: date, ticker, {price_column})"
    found = {}
    for k, ticker in enumerate(names):
        volume = None if volume_grid is None else pd.Series(volume_grid[:, k], index=index)
        found[ticker] = _Found(pd.Series(price_grid[:, k], index=index), volume, detail)
    return {t: found[t] for t in tickers if t in found}


def _load_file(path: Path, tickers: list[str]) -> dict[str, _Found]:
    """Read a wide or long file, telling them apart by a ``ticker`` or ``adj_close`` column."""
    fast = _load_fast(path, tickers)
    if fast is not None:
        return fast
    table = read_table(path, PriceDataError)
    date_column, dates = _dates(table)
    if table.find("ticker", *_PRICE_COLUMNS) is not None:
        return _load_long(table, date_column, dates, tickers)
    return _load_wide(table, date_column, dates, tickers)


def _load_folder(folder: Path, tickers: list[str]) -> dict[str, _Found]:
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
        date_column, dates = _dates(table)
        _check_unique(table, date_column, pd.DataFrame({"date": dates}))
        price_column = table.find(*_PRICE_COLUMNS)
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
            volume = _numbers(table, volume_column, dates, rows, volume=True)
        found[ticker] = _Found(_numbers(table, price_column, dates, rows), volume, detail)
    return found


def _joined(series: dict[str, pd.Series], index: pd.DatetimeIndex) -> pd.DataFrame:
    """The series as columns on ``index``; series sharing one date index are placed together
    (one reindex for a wide file's tickers, not one per ticker)."""
    by_dates: dict[int, list[str]] = {}
    for t, values in series.items():
        by_dates.setdefault(id(values.index), []).append(t)
    parts = [
        pd.DataFrame(
            {t: series[t].to_numpy() for t in group}, index=series[group[0]].index
        ).reindex(index)
        for group in by_dates.values()
    ]
    joined = pd.concat(parts, axis=1)[list(series)] if parts else pd.DataFrame(index=index)
    return joined.astype("float64")


def _assemble(
    found: dict[str, _Found], start: date, end: date
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Join the tickers into wide price and volume frames over ``start``..``end``."""
    indexes = {id(item.price.index): item.price.index for item in found.values()}
    stamps = [ix.to_numpy(dtype="M8[ns]") for ix in indexes.values()]
    index = pd.DatetimeIndex(np.unique(np.concatenate([np.array([], "M8[ns]"), *stamps])))
    index = index[(index >= pd.Timestamp(start)) & (index <= pd.Timestamp(end))].rename("date")
    prices = _joined({t: item.price for t, item in found.items()}, index).dropna(how="all")
    if all(item.volume is None for item in found.values()):
        return prices, None
    volumes = _joined(
        {t: item.volume for t, item in found.items() if item.volume is not None}, prices.index
    )
    return prices, volumes.reindex(columns=prices.columns)


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
        prices, volumes = _assemble(found, start, end)
        by_detail: dict[str, list[str]] = {}
        for t in prices.columns:
            by_detail.setdefault(found[t].detail, []).append(t)
        provenance = {}
        for detail, columns in by_detail.items():
            provenance |= provenance_for(prices[columns], self.name, detail=detail)
        provenance = {t: provenance[t] for t in prices.columns}
        return PriceTable(
            adj_close=prices,
            source=self.name,
            synthetic=self.synthetic,
            provenance=provenance,
            volume=volumes,
        )
