"""Intraday bars from a source: the :class:`BarTable` and the csv layouts.

Every bar source answers ``load_bars(tickers, start, end)`` with a :class:`BarTable`:
close prices per ticker indexed by each bar's start in UTC (tz-naive), one column per
ticker. Tickers the source has no bars for are left out and named in ``missing``; the
study then skips the pairs they affect with the reason.

csv layouts (``--prices PATH``):

* a long file with columns ``timestamp, ticker, close[, volume]``;
* a folder of ``TICKER.csv`` files with ``timestamp, close[, volume]`` (a Yahoo
  intraday export's ``Datetime``/``Close`` columns are read too);
* the same long table as a pandas DataFrame (``study.run(prices=df)``).

Timestamps are ISO 8601 bar *starts*, either all with a UTC offset
(``2025-03-12T10:30:00-04:00``) or all naive, read in the study's time zone (a clock
time that does not exist or is ambiguous at a daylight-saving change is an error).
Closes are used as they are: give split-adjusted prices (see :mod:`eventstudy.intraday`
on splits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from eventstudy.core.errors import PriceDataError
from eventstudy.core.prices import MissingPrices, TickerProvenance, provenance_for

OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
TIME_COLUMNS = ("timestamp", "datetime")


@dataclass(frozen=True)
class BarTable:
    """Intraday closes for several tickers, as a source delivered them.

    Attributes
    ----------
    closes
        Wide frame: tz-naive UTC bar starts (index ``timestamp``), one float column per
        ticker, NaN where a ticker has no bar.
    source
        The source's name (``csv``, ``yahoo``, ``demo``).
    synthetic
        True for made-up bars (the demo); every output then says so.
    provenance
        Per-ticker origin, range, row count and hash.
    missing
        Tickers (or date ranges of them) the source could not deliver, and why.
    split_bars
        Per ticker, bar starts (UTC) of sessions that open after a stock split: the
        return into them is set missing (:mod:`eventstudy.intraday.yahoo`).
    """

    closes: pd.DataFrame
    source: str
    synthetic: bool = False
    provenance: dict[str, TickerProvenance] = field(default_factory=dict)
    missing: dict[str, MissingPrices] = field(default_factory=dict)
    split_bars: dict[str, pd.DatetimeIndex] = field(default_factory=dict)
    off_session: dict[str, object] = field(default_factory=dict)
    """Always empty: bars off the grid are counted by the run (``off_grid``)."""

    @property
    def tickers(self) -> list[str]:
        """Tickers with at least one close."""
        return [t for t in self.closes.columns if self.closes[t].notna().any()]

    def series(self, ticker: str) -> pd.Series:
        """One ticker's closes, missing bars dropped."""
        return self.closes[ticker].dropna()


class BarSource(Protocol):
    """Anything that delivers intraday closes for tickers over a date range."""

    name: str

    def load_bars(self, tickers: list[str], start: date, end: date) -> BarTable:
        """Closes of ``tickers`` for bars on ``start .. end`` (calendar dates, UTC)."""
        ...


def bar_table(
    series: dict[str, pd.Series], tickers: list[str], start: date, end: date, source: str,
    *, detail: str = "", synthetic: bool = False,
) -> BarTable:  # fmt: skip
    """A :class:`BarTable` of the asked ``tickers`` over ``start .. end`` from per-ticker closes."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    kept = {}
    for ticker in dict.fromkeys(tickers):
        if ticker in series:
            s = series[ticker]
            s = s[(s.index >= lo) & (s.index < hi)]
            if s.notna().any():
                kept[ticker] = s
    closes = pd.DataFrame(kept).sort_index() if kept else pd.DataFrame(index=pd.DatetimeIndex([]))
    closes.index.name = "timestamp"
    missing = {
        t: MissingPrices(f"no {source} bars for {t} between {start:%Y-%m-%d} and {end:%Y-%m-%d}")
        for t in dict.fromkeys(tickers)
        if t not in kept
    }
    return BarTable(closes, source, synthetic, provenance_for(closes, source, detail), missing)


def parse_timestamps(texts: pd.Series, zone: str, file: str) -> pd.DatetimeIndex:
    """UTC (tz-naive) instants of ISO timestamp cells: all with an offset, or all naive.

    Raises
    ------
    PriceDataError
        Naming ``file``, the line and the cell, for a cell that is no timestamp, a mix of
        offset and naive cells, or a naive clock time that a daylight-saving change
        makes ambiguous or non-existent in ``zone``.
    """
    text = texts.astype("str").str.strip()
    offset = text.str.contains(OFFSET)
    if offset.any() and not offset.all():
        line = int(np.flatnonzero(~offset.to_numpy())[0]) + 2
        raise PriceDataError(
            f"timestamp '{text.iloc[line - 2]}' has no UTC offset while others have one: "
            "give every timestamp an offset, or none (then read in the study's time zone)",
            file=file, location=f"line {line}", column=texts.name,
        )  # fmt: skip
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=bool(offset.all()))
    bad = parsed.isna().to_numpy()
    if bad.any():
        line = int(np.flatnonzero(bad)[0]) + 2
        raise PriceDataError(
            f"'{text.iloc[line - 2]}' is not an ISO timestamp (e.g. 2025-03-12T10:30:00-04:00)",
            file=file, location=f"line {line}", column=texts.name,
        )  # fmt: skip
    index = pd.DatetimeIndex(parsed)
    if index.tz is None:
        try:
            index = index.tz_localize(zone, ambiguous="raise", nonexistent="raise")
        except (ValueError, TypeError) as exc:  # pytz/zoneinfo DST errors are ValueErrors
            raise PriceDataError(
                f"naive timestamps cannot be read in {zone}: {exc}; give them a UTC offset",
                file=file, column=texts.name,
            ) from None  # fmt: skip
    return index.tz_convert("UTC").tz_localize(None).as_unit("ns")


def _column(frame: pd.DataFrame, names: tuple[str, ...], file: str) -> str:
    lower = {str(c).strip().lower(): c for c in frame.columns}
    for name in names:
        if name in lower:
            return lower[name]
    raise PriceDataError(
        f"no {names[0]} column (found: {', '.join(map(str, frame.columns))})", file=file
    )


def _closes(frame: pd.DataFrame, stamps: pd.DatetimeIndex, file: str) -> pd.Series:
    column = _column(frame, ("close",), file)
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = (values.isna() & frame[column].notna()) | (values <= 0)
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise PriceDataError(
            f"close '{frame[column].iloc[line - 2]}' is not a positive number",
            file=file, location=f"line {line}", column=str(column),
        )  # fmt: skip
    series = pd.Series(values.to_numpy(dtype="float64"), index=stamps)
    twice = series.index.duplicated()
    if twice.any():
        line = int(np.flatnonzero(twice)[0]) + 2
        raise PriceDataError(
            f"bar {series.index[twice][0]:%Y-%m-%d %H:%M} UTC appears twice",
            file=file, location=f"line {line}",
        )  # fmt: skip
    return series.sort_index()


def read_bar_file(path: Path, zone: str) -> dict[str, pd.Series]:
    """Closes per ticker from a long ``timestamp, ticker, close[, volume]`` file."""
    file = str(path)
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""])
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise PriceDataError(f"cannot read the prices file ({exc})", file=file) from None
    return long_bars(frame, zone, file)


def long_bars(frame: pd.DataFrame, zone: str, file: str) -> dict[str, pd.Series]:
    """Closes per ticker of a long table (``timestamp, ticker, close[, volume]``) named
    ``file`` in messages (a path, or ``<DataFrame>``)."""
    time_column = _column(frame, TIME_COLUMNS, file)
    ticker_column = _column(frame, ("ticker", "symbol"), file)
    stamps = parse_timestamps(frame[time_column], zone, file)
    out = {}
    for ticker, rows in frame.groupby(ticker_column, sort=False).indices.items():
        part = frame.iloc[rows].reset_index(drop=True)
        try:
            out[str(ticker)] = _closes(part, stamps[rows], file)
        except PriceDataError as exc:  # lines of the part: name the ticker instead
            raise PriceDataError(f"{ticker}: {exc.message}", file=file, column=exc.column) from None
    return out


def read_bar_folder(folder: Path, tickers: list[str], zone: str) -> dict[str, pd.Series]:
    """Closes of the asked tickers from ``folder/TICKER.csv`` files (absent files: none)."""
    out = {}
    for ticker in tickers:
        path = folder / f"{ticker}.csv"
        if not path.is_file():
            continue
        file = str(path)
        try:
            frame = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""])
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise PriceDataError(f"cannot read the prices file ({exc})", file=file) from None
        stamps = parse_timestamps(frame[_column(frame, TIME_COLUMNS, file)], zone, file)
        out[ticker] = _closes(frame, stamps, file)
    return out


class CsvBarSource:
    """Intraday bars from a long CSV file or a folder of ``TICKER.csv`` files.

    Parameters
    ----------
    path
        The file or folder.
    timezone
        Zone of naive timestamps (the study's ``timezone``).
    """

    name = "csv"
    synthetic = False

    def __init__(self, path: str | Path, timezone: str = "America/New_York") -> None:
        self.path = Path(path)
        self.timezone = timezone
        if not self.path.exists():
            raise PriceDataError("no such prices file or folder", file=str(self.path))

    def load_bars(self, tickers: list[str], start: date, end: date) -> BarTable:
        """Closes of ``tickers`` over ``start .. end`` from the file or folder."""
        if self.path.is_dir():
            series = read_bar_folder(self.path, tickers, self.timezone)
        else:
            series = read_bar_file(self.path, self.timezone)
        return bar_table(series, tickers, start, end, self.name, detail=f"from {self.path}")


class FrameBarSource:
    """Intraday bars from a long pandas DataFrame (``timestamp, ticker, close[, volume]``),
    checked as a csv file is; ``timestamp`` may hold ISO texts or pandas timestamps."""

    name = "frame"
    synthetic = False

    def __init__(self, frame: pd.DataFrame, timezone: str = "America/New_York") -> None:
        self.frame = frame.reset_index(drop=True)
        self.timezone = timezone

    def load_bars(self, tickers: list[str], start: date, end: date) -> BarTable:
        """Closes of ``tickers`` over ``start .. end`` from the DataFrame."""
        text = self.frame.astype("str").where(self.frame.notna(), None)
        series = long_bars(text, self.timezone, "<DataFrame>")
        return bar_table(series, tickers, start, end, self.name, detail="from a DataFrame")
