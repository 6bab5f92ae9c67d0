"""Bar returns on a bar grid: bar to bar within a session, overnight across sessions.

On a bar that is not the first of its session the return is ``P_t / P_{t-1} - 1`` with
``t - 1`` the previous bar of the grid; a missing close makes both returns that touch it
missing (as for days, :mod:`eventstudy.sessions.returns`: no two-bar return is passed off as a
one-bar return). The first bar of a session (its *overnight* bar) is measured from the
previous session's last close: the last bar of that session with a price, so a thin
post-market does not lose the gap. It is flagged (``overnight``) because its variance
is not that of a bar inside the session.

Closes that do not start a bar of the grid (bars outside the chosen session, such as
pre-market bars with ``session: regular``, or timestamps off the interval's clock) are
left out and counted (:func:`place_on_grid`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.intraday.bars import BarGrid

FloatArray = NDArray[np.float64]


def place_on_grid(closes: pd.Series, grid: BarGrid) -> tuple[FloatArray, int]:
    """``closes`` (indexed by UTC bar starts, tz-naive) on every bar of ``grid``.

    Returns
    -------
    tuple
        ``(placed, off_grid)``: (B,) closes with NaN where the grid's bar has none, and
        how many closes within the grid's span start no bar of it.
    """
    stamps = closes.index.to_numpy(dtype="M8[ns]")
    values = closes.to_numpy(dtype="float64")
    placed = np.full(len(grid.starts), np.nan)
    if len(grid.starts) == 0:
        return placed, 0
    at = np.searchsorted(grid.starts, stamps)
    hit = at < len(grid.starts)
    hit[hit] = grid.starts[at[hit]] == stamps[hit]
    placed[at[hit]] = values[hit]
    within = (stamps >= grid.starts[0]) & (stamps < grid.ends[-1])
    return placed, int((within & ~hit & np.isfinite(values)).sum())


def bar_returns(placed: FloatArray, grid: BarGrid, previous_close: float = np.nan) -> FloatArray:
    """Simple returns of closes placed on ``grid`` (:func:`place_on_grid`).

    Parameters
    ----------
    placed
        (B,) closes on the grid's bars, NaN where missing.
    grid
        The bar grid.
    previous_close
        Last close before the grid's first session (the first overnight return's base);
        NaN leaves that return missing.

    Returns
    -------
    FloatArray
        (B,) returns; an overnight bar's runs from the last priced bar of the previous
        session (missing if that session has no price).
    """
    out = np.full(len(placed), np.nan)
    if len(placed) == 0:
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        out[1:] = placed[1:] / placed[:-1] - 1.0
    # the last priced bar at or before each bar, and its session
    positions = np.where(np.isfinite(placed), np.arange(len(placed)), -1)
    last_priced = np.maximum.accumulate(positions)
    first_bars = np.flatnonzero(grid.overnight)
    before = first_bars - 1
    base = np.full(len(first_bars), np.nan)
    has_before = before >= 0
    source = last_priced[before[has_before]]
    ok = source >= 0
    ok[ok] = grid.session_of[source[ok]] == grid.session_of[first_bars[has_before][ok]] - 1
    values = np.full(has_before.sum(), np.nan)
    values[ok] = placed[source[ok]]
    base[has_before] = values
    base[~has_before] = previous_close
    with np.errstate(invalid="ignore", divide="ignore"):
        out[first_bars] = placed[first_bars] / base - 1.0
    return out
