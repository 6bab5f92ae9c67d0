"""Price layouts read and checked cell by cell: wide and long tables, dates, numbers.

The csv source (:mod:`eventstudy.data.csv`) and the DataFrame source
(:mod:`eventstudy.data.frame`) read their data into a :class:`~eventstudy.core.tabular.Table`
of text cells when it needs checking, and these functions turn it into per-ticker
series, raising a :class:`~eventstudy.core.errors.PriceDataError` that names the file, the
line (or row), the column, the date and what is wrong. :func:`assemble` joins the
tickers into the wide frames of a :class:`~eventstudy.core.prices.PriceTable`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from eventstudy.core.errors import PriceDataError
from eventstudy.core.prices import PriceTable, provenance_for
from eventstudy.core.tabular import Table

DATE = re.compile(
    r"(\d{4})([-/]?)(\d{2})\2(\d{2})"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
PRICE_COLUMNS = ("adj_close", "adjclose")
MISSING = frozenset({"", "NA", "N/A", "#N/A", "NaN", "nan", "null", "NULL"})


def parse_dates(texts: pd.Series) -> pd.Series:
    """Session dates of the date cells ``texts`` (time and offset ignored); NaT if invalid.

    Each distinct text is parsed once (a long file repeats every date per ticker).
    """
    codes, distinct = pd.factorize(texts, use_na_sentinel=False)
    distinct = pd.Series(distinct, dtype="str")
    parts = distinct.str.fullmatch(DATE.pattern)
    iso = distinct.str.replace(DATE, r"\1-\3-\4", regex=True)
    parsed = pd.to_datetime(iso.where(parts, ""), format="%Y-%m-%d", errors="coerce")
    return pd.Series(parsed.to_numpy()[codes], index=texts.index)


def dates_of(table: Table) -> tuple[str, pd.DatetimeIndex]:
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
    parsed = parse_dates(texts)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        row = int(bad[0])
        value = texts.iloc[row]
        problem = "empty date" if not value else f"'{value}' is not a date (use YYYY-MM-DD)"
        raise PriceDataError(f"{table.where(row)}: {problem}", file=table.path, field=column)
    return column, pd.DatetimeIndex(parsed, name="date").as_unit("ns")


def check_unique(table: Table, column: str, keys: pd.DataFrame) -> None:
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
        f"{table.unit} {table.lines[row]}: duplicate {what} "
        f"(first on {table.unit} {table.lines[earlier]})",
        file=table.path,
        field=column,
    )


def numbers(
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
    missing = np.isin(cells, list(MISSING))
    problems = {
        "is not a number": ~np.isfinite(values) & ~missing,
        "is negative" if volume else "is not a positive price": (
            (values < 0) if volume else (values <= 0)
        ),
    }
    for problem, bad in problems.items():
        if bad.any():
            raise PriceDataError(
                _bad_cells(table, column, dates, rows[np.flatnonzero(bad)], problem, ticker),
                file=table.path,
                field=column,
            )
    values[missing] = np.nan
    return pd.Series(values, index=dates[rows])


SHOWN_CELLS = 10
"""A price problem names at most this many cells (and counts them all)."""
PLURAL = {
    "is not a number": "are not numbers",
    "is not a positive price": "are not positive prices",
    "is negative": "are negative",
}


def _bad_cells(
    table: Table,
    column: str,
    dates: pd.DatetimeIndex,
    at: np.ndarray,
    problem: str,
    ticker: str | None,
) -> str:
    """The message naming the bad cells ``at`` (rows of ``table``): the first
    :data:`SHOWN_CELLS` with their lines and dates, and how many there are."""
    where = [(table.where(int(r), dates), table.cells[column].iloc[int(r)]) for r in at]
    if len(at) == 1:
        who = f", ticker '{ticker}'" if ticker is not None else ""
        return f"{where[0][0]}{who}: '{where[0][1]}' {problem}"
    who = f"ticker '{ticker}': " if ticker is not None else ""
    cells = ", ".join(f"{line} '{cell}'" for line, cell in where[:SHOWN_CELLS])
    more = f", and {len(at) - SHOWN_CELLS:,} more" if len(at) > SHOWN_CELLS else ""
    return f"{who}{len(at):,} cells {PLURAL[problem]}: {cells}{more}"


@dataclass(frozen=True)
class Found:
    """One ticker's data as read from the files, before the date range is applied."""

    price: pd.Series
    volume: pd.Series | None
    detail: str


def load_wide(
    table: Table, date_column: str, dates: pd.DatetimeIndex, tickers: list[str]
) -> dict[str, Found]:
    """Read the requested ticker columns of a wide file."""
    check_unique(table, date_column, pd.DataFrame({"date": dates}))
    columns = [c for c in table.cells.columns if c and c != date_column]
    if not columns:
        raise PriceDataError(
            "no ticker columns: a wide file needs a 'date' column and one column per ticker",
            file=table.path,
        )
    rows = np.arange(len(dates))
    detail = f"{table.path} (wide file: one column per ticker)"
    return {t: Found(numbers(table, t, dates, rows), None, detail) for t in tickers if t in columns}


def load_long(
    table: Table, date_column: str, dates: pd.DatetimeIndex, tickers: list[str]
) -> dict[str, Found]:
    """Read the requested tickers' rows of a long file."""
    needs = "a long file needs 'date', 'ticker' and 'adj_close' columns"
    ticker_column = table.find("ticker")
    if ticker_column is None:
        raise PriceDataError(
            f"no 'ticker' column: {needs} (for one file per ticker, pass their folder)",
            file=table.path,
            field="ticker",
        )
    price_column = table.find(*PRICE_COLUMNS)
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
    check_unique(table, date_column, pd.DataFrame({"date": dates, "ticker": symbols}))
    detail = f"{table.path} (long file: date, ticker, {price_column})"
    found = {}
    for ticker in tickers:
        rows = np.flatnonzero((symbols == ticker).to_numpy())
        if rows.size:
            volume = None
            if volume_column is not None:
                volume = numbers(table, volume_column, dates, rows, volume=True, ticker=ticker)
            price = numbers(table, price_column, dates, rows, ticker=ticker)
            found[ticker] = Found(price, volume, detail)
    return found


def valid_numbers(values: np.ndarray, *, volume: bool = False) -> bool:
    """No infinity, and positive prices (volumes: not negative); NaN is missing."""
    with np.errstate(invalid="ignore"):
        return not (np.isinf(values).any() or (values < 0 if volume else values <= 0).any())


def joined(series: dict[str, pd.Series], index: pd.DatetimeIndex) -> pd.DataFrame:
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


def assemble(
    found: dict[str, Found], start: date, end: date
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Join the tickers into wide price and volume frames over ``start``..``end``."""
    indexes = {id(item.price.index): item.price.index for item in found.values()}
    stamps = [ix.to_numpy(dtype="M8[ns]") for ix in indexes.values()]
    index = pd.DatetimeIndex(np.unique(np.concatenate([np.array([], "M8[ns]"), *stamps])))
    index = index[(index >= pd.Timestamp(start)) & (index <= pd.Timestamp(end))].rename("date")
    prices = joined({t: item.price for t, item in found.items()}, index).dropna(how="all")
    if all(item.volume is None for item in found.values()):
        return prices, None
    volumes = joined(
        {t: item.volume for t, item in found.items() if item.volume is not None}, prices.index
    )
    return prices, volumes.reindex(columns=prices.columns)


def vouched_wide(
    dates: pd.DatetimeIndex | None, values: np.ndarray, wanted: list[str], detail: str
) -> dict[str, Found] | None:
    """The ``wanted`` columns of parsed wide data (``values``: rows x wanted), or None
    when a date is bad or repeated or a price is not positive (the checked path then
    names the problem)."""
    if dates is None or dates.duplicated().any() or not valid_numbers(values):
        return None
    return {
        t: Found(pd.Series(values[:, k], index=dates), None, detail) for k, t in enumerate(wanted)
    }


def vouched_long(
    dates: pd.DatetimeIndex | None,
    symbols: pd.Series,
    prices: np.ndarray,
    volumes: np.ndarray | None,
    tickers: list[str],
    detail: str,
) -> dict[str, Found] | None:
    """:func:`spread_long` of parsed long rows, or None when a ticker is empty or padded, a
    date is bad, a (date, ticker) repeats, or a price or volume is out of range (the
    checked path then names the problem)."""
    if not all(isinstance(s, str) and s and s == s.strip() for s in symbols.unique()):
        return None
    if dates is None or pd.DataFrame({"d": dates, "t": symbols}).duplicated().any():
        return None
    if not valid_numbers(prices) or (
        volumes is not None and not valid_numbers(volumes, volume=True)
    ):
        return None
    return spread_long(dates, symbols, prices, volumes, tickers, detail)


def spread_long(
    dates: pd.DatetimeIndex,
    symbols: pd.Series,
    prices: np.ndarray,
    volumes: np.ndarray | None,
    tickers: list[str],
    detail: str,
) -> dict[str, Found]:
    """The requested tickers of checked long rows, each on one shared date index."""
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
    found = {}
    for k, ticker in enumerate(names):
        volume = None if volume_grid is None else pd.Series(volume_grid[:, k], index=index)
        found[ticker] = Found(pd.Series(price_grid[:, k], index=index), volume, detail)
    return {t: found[t] for t in tickers if t in found}


def price_table(found: dict[str, Found], start: date, end: date, source: str) -> PriceTable:
    """The :class:`PriceTable` of the tickers ``found``, over ``start``..``end``.

    Each ticker's provenance records its hash and where it was read (``detail``); its
    extent, the first and last priced date of all the data read, not only the range.
    """
    prices, volumes = assemble(found, start, end)
    by_detail: dict[str, list[str]] = {}
    for t in prices.columns:
        by_detail.setdefault(found[t].detail, []).append(t)
    provenance = {}
    for detail, columns in by_detail.items():
        provenance |= provenance_for(prices[columns], source, detail=detail)
    provenance = {t: provenance[t] for t in prices.columns}
    extents = {}
    for t, item in found.items():
        priced = item.price.index[item.price.notna().to_numpy()]
        if len(priced):
            extents[t] = (priced.min().date(), priced.max().date())
    return PriceTable(
        adj_close=prices, source=source, provenance=provenance, volume=volumes, extents=extents
    )
