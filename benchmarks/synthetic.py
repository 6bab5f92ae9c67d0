"""Synthetic market-model prices for the benchmarks (one place, so every benchmark
draws its prices the same way)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def market_prices(
    rng: np.random.Generator, n_sec: int, n_days: int, start: str, width: int
) -> pd.DataFrame:
    """Adjusted closes of ``n_sec`` securities ``S0..`` (names ``width`` digits) and SPY.

    Market returns N(0.04%, 1%) a day, betas U(0.5, 1.5), idiosyncratic N(0, 2%), on
    the first ``n_days`` XNYS sessions from ``start``.
    """
    from eventstudy.sessions.calendar import sessions

    days = sessions("XNYS")
    days = days[days >= start][:n_days]
    market = rng.normal(0.0004, 0.01, n_days)
    beta = rng.uniform(0.5, 1.5, n_sec)
    r = market[:, None] * beta + rng.normal(0, 0.02, (n_days, n_sec))
    columns = [f"S{i:0{width}d}" for i in range(n_sec)]
    prices = pd.DataFrame(100 * np.cumprod(1 + r, axis=0), index=days, columns=columns)
    prices["SPY"] = 300 * np.cumprod(1 + market)
    prices.index.name = "date"
    return prices


def earnings_study(
    firms: int, events: int, slope: float, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A firm-specific earnings study: ``(prices, events table)``.

    ``firms`` securities (:func:`market_prices`, 1,400 sessions from 2019) with
    ``events`` own announcements each on random sessions, an ``eps_surprise`` ~ N(0, 1)
    per event and a planted day-0 return of ``slope * eps_surprise``; the table has one
    row per event (id, date, ticker, title, category, eps_surprise).
    """
    rng = np.random.default_rng(seed)
    n_days = 1400
    prices = market_prices(rng, firms, n_days, "2019-01-02", 3)
    returns = prices.pct_change()
    rows = []
    for k, ticker in enumerate(prices.columns[:firms]):
        days = np.sort(rng.choice(np.arange(300, n_days - 30), events, replace=False))
        surprise = rng.normal(0, 1, events)
        returns.iloc[days, k] += slope * surprise
        rows += [
            {"id": f"{ticker.lower()}-{j:02d}", "date": f"{prices.index[d]:%Y-%m-%d}",
             "ticker": ticker, "title": f"{ticker} earnings", "category": "earnings",
             "eps_surprise": round(float(s), 4)}
            for j, (d, s) in enumerate(zip(days, surprise, strict=True))
        ]  # fmt: skip
    prices = 100 * (1 + returns.fillna(0)).cumprod()
    prices.index.name = "date"
    return prices, pd.DataFrame(rows)
