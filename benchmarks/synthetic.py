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
