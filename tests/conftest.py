"""Shared fixtures: synthetic price sources with known truth, the real-data folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from eventstudy.core.prices import PriceTable, provenance_for
from eventstudy.sessions.calendar import sessions

matplotlib.use("Agg")

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


class FrameSource:
    """A price source serving a fixed wide frame of adjusted closes (for tests)."""

    name = "frame"

    def __init__(self, prices: pd.DataFrame, synthetic: bool = False) -> None:
        self.prices = prices
        self.synthetic = synthetic

    def load(self, tickers: list[str], start: date, end: date) -> PriceTable:
        known = [t for t in tickers if t in self.prices.columns]
        rows = (self.prices.index >= pd.Timestamp(start)) & (self.prices.index <= pd.Timestamp(end))
        frame = self.prices.loc[rows, known]
        return PriceTable(frame, self.name, self.synthetic, provenance_for(frame, self.name))


def market_model_prices(
    *,
    alpha: float = 0.0005,
    beta: float = 1.2,
    noise: float = 0.005,
    planted: dict[str, float] | None = None,
    seed: int = 7,
    first: str = "2022-01-03",
    last: str = "2025-06-30",
) -> pd.DataFrame:
    """Prices of SPY and a stock STK that follows a known market model on NY sessions.

    ``planted`` maps session dates (ISO) to abnormal returns added to STK that day.
    """
    days = sessions("XNYS")
    days = days[(days >= first) & (days <= last)]
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0004, 0.01, len(days))
    stock = (
        alpha + beta * market + rng.normal(0.0, noise, len(days))
        if noise
        else (alpha + beta * market)
    )
    stock = pd.Series(stock, index=days)
    for day, effect in (planted or {}).items():
        stock[pd.Timestamp(day)] += effect
    prices = pd.DataFrame(
        {"SPY": 400 * np.cumprod(1 + market), "STK": 50 * np.cumprod(1 + stock.to_numpy())},
        index=days,
    )
    prices.index.name = "date"
    return prices


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test may reach Yahoo: yfinance's entry point fails unless a test fakes it.

    The price cache also defaults to a fresh temporary folder, never the user's.
    """
    import yfinance

    def refuse(self: object, *args: object, **kwargs: object) -> None:
        raise RuntimeError("network access is disabled in the test suite")

    monkeypatch.setattr(yfinance.Ticker, "history", refuse)
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def calendars_from_2000() -> Iterator[None]:
    """Every test starts with the calendars from 2000: one that reached back (a 1990s
    study, :func:`eventstudy.sessions.calendar.reach_back`) is reset after it."""
    from eventstudy.sessions import calendar

    yield
    if calendar._STARTS:
        calendar._STARTS.clear()
        calendar.get_calendar.cache_clear()
        calendar.session_calendar.cache_clear()


@pytest.fixture
def real_data() -> Path:
    """The real daily prices shipped in ../shared (skip when absent)."""
    if not (REAL_DATA / "BABA.csv").is_file():
        pytest.skip(f"real price data not found at {REAL_DATA}")
    return REAL_DATA
