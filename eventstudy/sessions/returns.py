"""Daily simple returns on an exchange's session grid.

A return on session *t* is ``P_t / P_{t-1} - 1`` where *t-1* is the previous session
of the same exchange. A missing price makes both returns that touch it missing: no
multi-day return is passed off as a one-day return.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.sessions.calendar import sessions


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
    return returns_and_stale(prices.to_frame(), None, mic)[0][prices.name]


def stale_days(prices: pd.Series, volume: pd.Series | None, mic: str) -> pd.Series:
    """Sessions without trading: zero volume, or a price repeated from the session before.

    Returned on the same session grid as :func:`session_returns`; False where unknown.
    """
    volumes = None if volume is None else volume.to_frame(prices.name)
    return returns_and_stale(prices.to_frame(), volumes, mic)[1][prices.name]


def returns_and_stale(
    prices: pd.DataFrame, volume: pd.DataFrame | None, mic: str
) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """:func:`session_returns` and :func:`stale_days` of every column of ``prices``.

    The columns (tickers of exchange ``mic``) are placed on the sessions once, as one
    frame; each ticker's series then covers its own first to last priced session.
    ``volume`` holds volumes for some of the columns (or None).
    """
    prices = prices.sort_index()
    valid = prices.notna().to_numpy()
    known = dict(zip(prices.columns, valid.any(axis=0), strict=True))
    first = dict(zip(prices.columns, prices.index[valid.argmax(axis=0)], strict=True))
    last = dict(zip(prices.columns, prices.index[::-1][valid[::-1].argmax(axis=0)], strict=True))
    grid = sessions(mic)
    spans = [(first[c], last[c]) for c in prices.columns if known[c]]
    if spans:
        grid = grid[(grid >= min(a for a, _ in spans)) & (grid <= max(b for _, b in spans))]
    else:
        grid = grid[:0]
    on_grid = prices.reindex(grid)
    previous = on_grid.shift(1)
    returns = on_grid / previous - 1.0
    stale = on_grid == previous
    if volume is not None:
        zero = volume.reindex(index=grid, columns=prices.columns) == 0
        stale = stale | zero
    out_returns, out_stale = {}, {}
    for name in prices.columns:
        if not known[name]:
            out_returns[name] = pd.Series(dtype="float64", name=name)
            out_stale[name] = pd.Series(dtype=bool)
            continue
        span = slice(grid.searchsorted(first[name]), grid.searchsorted(last[name], "right"))
        out_returns[name] = returns[name].iloc[span]
        out_stale[name] = pd.Series(stale[name].to_numpy()[span], index=grid[span])
    return out_returns, out_stale


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
