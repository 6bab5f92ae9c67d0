"""The ``frame`` price source: prices already in a pandas DataFrame (a notebook's data).

``study.run(prices=df)`` accepts the layouts of the csv source:

wide
    A ``DatetimeIndex`` (or a ``date`` column) and one column of adjusted closes per
    ticker.
long
    Columns ``date``, ``ticker``, ``adj_close`` and optionally ``volume``.

yfinance's layout
    The frame ``yf.download([...])`` returns: two column levels, ``Price`` (``Adj
    Close`` or ``Close``, ``Volume``, ...) and ``Ticker``, in either order
    (``group_by="ticker"``). ``Adj Close`` is used where present, else ``Close``
    (adjusted by yfinance's default ``auto_adjust=True``); it is read as a long frame.

The frame gets the csv source's checks and messages (a bad date, a repeated date, a
price that is not positive ...), with rows named ``row N`` (1-based positions) in place
of file lines. A clean numeric frame is taken as it is; anything doubtful is checked
cell by cell by the csv source's checked path, which names the first problem. Dates
with a time of day count as that date (tz-aware ones as their local date). The
manifest records the source as ``frame`` with each ticker's hash.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.core.errors import PriceDataError
from eventstudy.core.prices import PriceTable
from eventstudy.core.tabular import Table, normalise
from eventstudy.data.layouts import (
    PRICE_COLUMNS,
    Found,
    dates_of,
    load_long,
    load_wide,
    parse_dates,
    price_table,
    vouched_long,
    vouched_wide,
)

FRAME_NAME = "<prices DataFrame>"
"""How messages and the manifest name the frame."""


def _from_yfinance(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with yfinance's (``Price``, ``Ticker``) columns as a long frame.

    Raises
    ------
    PriceDataError
        For other column levels: they are named, with the layouts that work.
    """
    levels = [[normalise(str(v)) for v in frame.columns.get_level_values(k)] for k in (0, 1)]
    price_level = next((k for k in (0, 1) if {"adj_close", "close"} & set(levels[k])), None)
    if frame.columns.nlevels != 2 or price_level is None:
        names = ", ".join(str(n) for n in frame.columns.names)
        raise PriceDataError(
            f"the columns have {frame.columns.nlevels} levels ({names}): give one column per "
            "ticker, long columns date, ticker, adj_close, or yfinance's (Price, Ticker) "
            "columns with a Close or Adj Close price",
            file=FRAME_NAME,
        )
    fields = levels[price_level]
    price = "adj_close" if "adj_close" in fields else "close"
    wide = frame.copy(deep=False)
    wide.columns = pd.MultiIndex.from_arrays(
        [fields, frame.columns.get_level_values(1 - price_level).astype(str)]
    )
    if not isinstance(wide.index, pd.DatetimeIndex):
        wide = wide.set_index(wide.columns[[f == "date" for f in fields].index(True)])
    kept = [f for f in (price, "volume") if f in fields]
    long = wide[kept].stack(level=1, future_stack=True).dropna(how="all")
    long.index.names = ["date", "ticker"]
    return long.rename(columns={price: "adj_close"}).reset_index()


def _with_date_column(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its dates in a column named ``date`` and string column names."""
    if isinstance(frame.columns, pd.MultiIndex):
        frame = _from_yfinance(frame)
    frame = frame.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    keys = [normalise(c) for c in frame.columns]
    if "date" not in keys:
        if not isinstance(frame.index, pd.DatetimeIndex) and frame.index.name != "date":
            raise PriceDataError(
                "no dates: give the frame a DatetimeIndex or a 'date' column",
                file=FRAME_NAME,
                field="date",
            )
        frame = frame.reset_index(names="date")
    return frame.reset_index(drop=True)


def _dates(values: pd.Series) -> pd.DatetimeIndex | None:
    """Session dates of a date column (datetimes, dates or texts); None if one is bad."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = values.dt.normalize()
    else:
        texts = values.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
        parsed = parse_dates(texts.astype("str").where(texts.notna(), ""))
    if parsed.isna().any():
        return None
    return pd.DatetimeIndex(parsed, name="date").as_unit("ns")


def _floats(values: pd.Series | pd.DataFrame) -> np.ndarray | None:
    """The values as float64, or None when a cell is not a number."""
    try:
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        return None


def _fast(frame: pd.DataFrame, tickers: list[str]) -> dict[str, Found] | None:
    """The requested tickers of a clean frame, or None to check it cell by cell."""
    keys = [normalise(c) for c in frame.columns]
    date_column = frame.columns[keys.index("date")]
    dates = _dates(frame[date_column])
    if "ticker" in keys or set(PRICE_COLUMNS) & set(keys):
        price_keys = [k for k in PRICE_COLUMNS if k in keys]
        if "ticker" not in keys or not price_keys:
            return None
        price_column = frame.columns[keys.index(price_keys[0])]
        prices = _floats(frame[price_column])
        volumes = _floats(frame[frame.columns[keys.index("volume")]]) if "volume" in keys else None
        if prices is None or ("volume" in keys and volumes is None):
            return None
        symbols = frame[frame.columns[keys.index("ticker")]]
        detail = f"{FRAME_NAME} (long: date, ticker, {price_column})"
        return vouched_long(dates, symbols, prices, volumes, tickers, detail)
    wanted = [t for t in tickers if t in frame.columns and t != date_column]
    values = _floats(frame[wanted])
    if values is None:
        return None
    return vouched_wide(dates, values, wanted, f"{FRAME_NAME} (wide: one column per ticker)")


def _checked(frame: pd.DataFrame, tickers: list[str]) -> dict[str, Found]:
    """The csv source's checked path on the frame's cells as text (names the problem)."""

    def text(value: object) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
            return ""
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
        return str(value).strip()

    cells = pd.DataFrame({c: [text(v) for v in frame[c]] for c in frame.columns})
    table = Table(Path(FRAME_NAME), cells, np.arange(1, len(frame) + 1), unit="row")
    date_column, dates = dates_of(table)
    if table.find("ticker", *PRICE_COLUMNS) is not None:
        found = load_long(table, date_column, dates, tickers)
    else:
        found = load_wide(table, date_column, dates, tickers)
    return {t: Found(f.price, f.volume, f.detail.replace(" file", "")) for t, f in found.items()}


class FrameSource:
    """Prices from a pandas DataFrame, checked like a CSV file.

    Parameters
    ----------
    frame
        Wide (a DatetimeIndex or ``date`` column, one column per ticker) or long
        (``date, ticker, adj_close[, volume]``).

    Raises
    ------
    PriceDataError
        At :meth:`load`, for the first problem in the frame (row, column, date).
    """

    name = "frame"
    synthetic = False

    def __init__(self, frame: pd.DataFrame) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise PriceDataError(
                f"prices must be a pandas DataFrame, a file or a folder, not "
                f"{type(frame).__name__}",
                field="prices",
            )
        self.frame = frame

    def load(self, tickers: list[str], start: date, end: date) -> PriceTable:
        """Return the adjusted closes of ``tickers`` between ``start`` and ``end`` inclusive."""
        if self.frame.empty:
            raise PriceDataError("the prices DataFrame is empty", file=FRAME_NAME)
        frame = _with_date_column(self.frame)
        wanted = list(dict.fromkeys(tickers))
        found = _fast(frame, wanted)
        if found is None:
            found = _checked(frame, wanted)
        return price_table(found, start, end, self.name)
