"""Frames of exactly the shape ``yfinance.Ticker.history`` returns, and a fake Yahoo.

Shape (yfinance 1.7.0, ``scrapers/history.py``, with ``auto_adjust=False,
actions=True``): flat columns ``Open, High, Low, Close, Adj Close, Volume, Dividends,
Stock Splits`` (plus ``Capital Gains`` for ETFs and funds), float64 prices, int64
``Volume``, a tz-aware ``DatetimeIndex`` named ``Date`` of exchange-local midnights
with dtype ``datetime64[s, <exchange tz>]``. Rows with no trading are absent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

HISTORY_COLUMNS = [
    "Open",
    "High",
    "Low",
    "Close",
    "Adj Close",
    "Volume",
    "Dividends",
    "Stock Splits",
]
ETFS = {"SPY", "KWEB", "FXI"}


def history_frame_like_yfinance(
    ticker: str, adj_close: pd.Series, *, dividend_factor: float = 1.0
) -> pd.DataFrame:
    """A ``Ticker.history`` frame for ``ticker`` from adjusted closes on session dates.

    ``Close`` is the adjusted close divided by ``dividend_factor`` (a raw close above
    the adjusted one, as after dividends).
    """
    tz = "Asia/Hong_Kong" if ticker.endswith(".HK") else "America/New_York"
    adj = adj_close.dropna()
    close = adj / dividend_factor
    idx = pd.DatetimeIndex(adj.index.to_numpy()).tz_localize(tz).as_unit("s")
    idx.name = "Date"
    frame = pd.DataFrame(
        {
            "Open": close.to_numpy() * 0.99,
            "High": close.to_numpy() * 1.01,
            "Low": close.to_numpy() * 0.98,
            "Close": close.to_numpy(),
            "Adj Close": adj.to_numpy(),
            "Volume": np.arange(len(adj), dtype="int64") + 1_000,
            "Dividends": 0.0,
            "Stock Splits": 0.0,
        },
        index=idx,
    )
    if ticker in ETFS:
        frame["Capital Gains"] = 0.0
    return frame


class FakeYahoo:
    """Stands in for ``yfinance.Ticker.history``; records every call.

    ``prices`` is a wide frame of adjusted closes; ``errors`` maps a ticker to an
    exception (or a list of exceptions raised on successive calls before succeeding).
    """

    def __init__(
        self,
        prices: pd.DataFrame,
        errors: dict[str, Exception | list[Exception]] | None = None,
        adjust: Callable[[str], float] | None = None,
    ) -> None:
        self.prices = prices
        self.errors = dict(errors or {})
        self.adjust = adjust or (lambda ticker: 1.0)
        self.calls: list[tuple[str, date, date]] = []

    def install(self, monkeypatch) -> FakeYahoo:
        import yfinance

        fake = self

        def history(ticker_self, start=None, end=None, **kwargs):
            assert kwargs["auto_adjust"] is False and kwargs["actions"] is True
            assert kwargs["interval"] == "1d"
            return fake.answer(ticker_self.ticker, start, end)

        monkeypatch.setattr(yfinance.Ticker, "history", history)
        return self

    def answer(self, ticker: str, start: str, end: str) -> pd.DataFrame:
        first, stop = date.fromisoformat(start), date.fromisoformat(end)
        self.calls.append((ticker, first, stop))
        error = self.errors.get(ticker)
        if isinstance(error, list) and error:
            raise error.pop(0)
        if isinstance(error, Exception):
            raise error
        if ticker not in self.prices:
            return pd.DataFrame()
        rows = (self.prices.index >= pd.Timestamp(first)) & (self.prices.index < pd.Timestamp(stop))
        series = self.prices.loc[rows, ticker] * self.adjust(ticker)
        return history_frame_like_yfinance(ticker, series)

    def tickers_called(self) -> list[str]:
        return [c[0] for c in self.calls]
