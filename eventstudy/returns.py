"""Daily simple returns on an exchange's session grid.

A return on session *t* is ``P_t / P_{t-1} - 1`` where *t-1* is the previous session
of the same exchange. A missing price makes both returns that touch it missing: no
multi-day return is passed off as a one-day return.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.calendar import sessions


def session_returns(prices: pd.Series, mic: str) -> pd.Series:
    """Simple returns of ``prices`` on the sessions of exchange ``mic``.

    Parameters
    ----------
    prices
        Adjusted closes indexed by session date; NaN or absent dates are missing.
    mic
        Exchange whose calendar defines consecutive sessions.

    Returns
    -------
    pd.Series
        Returns indexed by every session from the first to the last priced date; NaN
        on the first session and around missing prices. Dates in ``prices`` that are
        not sessions of ``mic`` are ignored.
    """
    priced = prices.dropna()
    if priced.empty:
        return pd.Series(dtype="float64", name=prices.name)
    grid = sessions(mic)
    grid = grid[(grid >= priced.index[0]) & (grid <= priced.index[-1])]
    on_grid = priced.reindex(grid)
    out = on_grid / on_grid.shift(1) - 1.0
    out.name = prices.name
    return out


def stale_days(prices: pd.Series, volume: pd.Series | None, mic: str) -> pd.Series:
    """Sessions without trading: zero volume, or a price repeated from the session before.

    Returned on the same session grid as :func:`session_returns`; False where unknown.
    """
    priced = prices.dropna()
    if priced.empty:
        return pd.Series(dtype=bool)
    grid = sessions(mic)
    grid = grid[(grid >= priced.index[0]) & (grid <= priced.index[-1])]
    on_grid = priced.reindex(grid)
    stale = (on_grid == on_grid.shift(1)).to_numpy()
    if volume is not None:
        stale = stale | (volume.reindex(grid) == 0).to_numpy()
    return pd.Series(stale, index=grid)


def trade_to_trade(
    returns: pd.Series, stale: pd.Series, benchmark: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Trade-to-trade returns (Maynes & Rumsey 1993) of a security and its benchmark.

    On each session with trading the security's return runs from its previous traded
    session (compounding the stale sessions in between) and the benchmark's return is
    compounded over exactly the same sessions; stale sessions get NaN. All three series
    share one session grid (the security's).
    """
    trade = ~stale.reindex(returns.index, fill_value=False)
    block = trade[::-1].cumsum()[::-1]  # stale sessions join the next traded session
    out = []
    for series in (returns, benchmark.reindex(returns.index)):
        growth = np.log1p(series).groupby(block).transform("sum")
        broken = series.isna().groupby(block).transform("any")
        compounded = np.expm1(growth).where(trade & ~broken)
        out.append(compounded)
    return out[0], out[1]
