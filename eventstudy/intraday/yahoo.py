"""Intraday bars from Yahoo: ``Ticker.history(interval=..., prepost=True)`` through the cache.

* One cache per interval (``prices/v1/<interval>/``, :class:`~eventstudy.data.cache.PriceCache`),
  indexed by UTC bar starts; bars are always fetched with ``prepost=True``, so one cache
  serves both ``session: regular`` (the grid leaves the extended bars out) and
  ``session: extended``.
* The incremental fetching, retries on rate limits and the fallback to the cache are
  those of the daily :class:`~eventstudy.data.yahoo.YahooSource`; only the request
  differs.
* Yahoo serves intraday history only for a recent past (:data:`LOOKBACK`, the limits
  yfinance 1.7 itself applies in ``scrapers/history.py``: 30 days of 1-minute bars
  fetched 8 days per request, 60 days of 2- to 90-minute bars, 730 days of hourly
  bars). A pair whose bars start earlier is skipped with a reason that names the limit
  and the event's date (:func:`lookback_problem`); nothing is requested for it.
* Splits: Yahoo's intraday closes are raw (``auto_adjust=False``). A stock split shows
  in the ``Stock Splits`` column; the return *into* the first bar of the split's session
  (the overnight bar, which would book the split as a price move) is set missing, and
  the other bars of that session are bar-to-bar on the new share basis. Windows that
  cross a split therefore lose one return instead of gaining a spurious one.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from eventstudy.core.prices import TickerProvenance, frame_sha256
from eventstudy.data.cache import COLUMNS, PriceCache
from eventstudy.data.yahoo import _RENAME, YahooSource, _NoData, call_history
from eventstudy.intraday.sources import BarTable

LOOKBACK: dict[str, int] = {"1m": 30, "5m": 60, "15m": 60, "30m": 60, "1h": 730}
"""Days back from today for which Yahoo serves bars of each interval."""
REQUEST_DAYS: dict[str, int] = {"1m": 7}
"""Longest span of one request (yfinance asks for 8 days of 1-minute bars at most)."""


def lookback_problem(
    interval: str, first_needed: date, event_date: date, today: date
) -> str | None:
    """Why Yahoo cannot serve a pair's bars from ``first_needed`` on (None: it can)."""
    limit = LOOKBACK[interval]
    oldest = today - timedelta(days=limit - 1)
    if first_needed >= oldest:
        return None
    return (
        f"Yahoo serves {interval} bars for the last {limit} days only (from {oldest:%Y-%m-%d}); "
        f"the event on {event_date:%Y-%m-%d} needs bars from {first_needed:%Y-%m-%d}"
    )


def normalise_intraday(raw: pd.DataFrame) -> pd.DataFrame:
    """Bars as cached: snake-case float columns, tz-naive UTC bar starts (index ``date``).

    ``adj_close`` repeats the raw close (intraday bars are not dividend-adjusted).

    Raises ``_NoData`` for an empty frame or one without a close.
    """
    if raw is None or raw.empty or "Close" not in raw or raw["Close"].isna().all():
        raise _NoData("Yahoo returned no bars")
    frame = raw.rename(columns=_RENAME)
    frame["adj_close"] = frame["close"]
    for column in COLUMNS:
        if column not in frame:
            frame[column] = 0.0 if column in ("dividends", "stock_splits") else np.nan
    frame = frame[COLUMNS].astype("float64")
    index = pd.DatetimeIndex(frame.index)
    index = index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index
    frame.index = index.as_unit("ns")
    frame.index.name = "date"
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    return frame[frame["close"].notna()]


class YahooBarSource(YahooSource):
    """Intraday bars from Yahoo via yfinance, through a per-interval :class:`PriceCache`.

    Parameters
    ----------
    interval
        The bar interval (a key of :data:`LOOKBACK`).
    cache_dir
        Root of the cache (default: as for the daily source).
    **options
        ``offline``, ``refresh``, ``retries``, ``backoff``, ``progress``, ``sleep``: as for
        :class:`~eventstudy.data.yahoo.YahooSource`.
    """

    def __init__(self, interval: str, cache_dir: str | None = None, **options: object) -> None:
        super().__init__(PriceCache(cache_dir, interval=interval), **options)  # type: ignore[arg-type]
        self.interval = interval

    def _request(self, ticker: str, start: date, end: date) -> pd.DataFrame:
        """The bars of ``start..end``, in requests of at most :data:`REQUEST_DAYS`."""
        step = timedelta(days=REQUEST_DAYS.get(self.interval, 10_000))
        parts, lo = [], start
        while lo <= end:
            hi = min(end, lo + step - timedelta(days=1))
            raw = call_history(ticker, lo, hi, interval=self.interval, prepost=True)
            with suppress(_NoData):  # a chunk of holidays; a whole span without bars: no data
                parts.append(normalise_intraday(raw))
            lo = hi + timedelta(days=1)
        if not parts:
            raise _NoData("Yahoo returned no bars")
        frame = pd.concat(parts)
        return frame[~frame.index.duplicated(keep="last")].sort_index()

    def load_bars(self, tickers: list[str], start: date, end: date) -> BarTable:
        """Fetch what the cache lacks (unless offline), then serve the bars from the cache."""
        report = self.fetch(tickers, start, end)
        closes, provenance, splits = {}, {}, {}
        lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
        for ticker in dict.fromkeys(tickers):
            entry = self.cache.read(ticker)
            if entry is None:
                continue
            bars = entry.bars[(entry.bars.index >= lo) & (entry.bars.index < hi)]
            if bars.empty:
                continue
            closes[ticker] = bars["close"]
            split = bars.index[bars["stock_splits"].fillna(0.0).to_numpy() != 0.0]
            if len(split):
                splits[ticker] = split
            provenance[ticker] = TickerProvenance(
                ticker=ticker, source=self.name,
                first_date=f"{bars.index[0]:%Y-%m-%dT%H:%M}Z",
                last_date=f"{bars.index[-1]:%Y-%m-%dT%H:%M}Z", rows=len(bars),
                sha256=frame_sha256(bars["close"]),
                detail=f"raw Close of Ticker.history(interval={self.interval!r}, prepost=True); "
                f"cache {self.cache.path(ticker)}",
                fetched_at=entry.fetched_at, library=entry.library,
            )  # fmt: skip
        frame = (
            pd.DataFrame(closes).sort_index()
            if closes
            else pd.DataFrame(index=pd.DatetimeIndex([]))
        )
        frame.index.name = "timestamp"
        return BarTable(frame, self.name, False, provenance, report.missing, splits)


def today_utc() -> date:
    """Today's date in UTC (the reference of :data:`LOOKBACK`)."""
    return datetime.now(UTC).date()
