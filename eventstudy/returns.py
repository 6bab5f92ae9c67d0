"""Daily simple returns on an exchange's session grid.

A return on session *t* is ``P_t / P_{t-1} - 1`` where *t-1* is the previous session
of the same exchange. A missing price makes both returns that touch it missing: no
multi-day return is passed off as a one-day return.
"""

from __future__ import annotations

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
