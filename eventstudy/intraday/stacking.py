"""Pairs in bar time: their bar grids, bar 0 and returns stacked for the daily engine.

The daily engine (:func:`eventstudy.models.estimation.estimate` and
:func:`~eventstudy.models.tables.tables`) works on :class:`~eventstudy.models.estimation.Stacked`
arrays, one row per pair and one column per relative *period*; nothing in it assumes
the periods are days. This module fills those arrays with bar returns, the columns
being bars relative to bar 0, so the intraday study fits with the same batched OLS,
the same MacKinlay CAR variance and the same screening as a daily one.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.core.errors import EventStudyError
from eventstudy.intraday.bar0 import BarAlignment, locate_bar0, news_timestamp
from eventstudy.intraday.bars import INTERVAL_MINUTES, SHORTEST_SESSION_MINUTES, BarGrid, bar_grid
from eventstudy.intraday.returns import bar_returns, place_on_grid
from eventstudy.intraday.tod import BarClock
from eventstudy.models.estimation import Stacked
from eventstudy.sessions.calendar import check_in_range, exchange_for, get_calendar
from eventstudy.sessions.pairs import LAG_PAD, Pair

if TYPE_CHECKING:
    from eventstudy.core.settings import Event
    from eventstudy.core.study import StudySpec

FloatArray = NDArray[np.float64]


def grid_reach(study: StudySpec) -> tuple[int, int]:
    """First and last bar relative to bar 0 that a pair needs (lag padding included)."""
    settings = study.study
    return settings.estimation_window[0] - LAG_PAD, settings.event_window[1]


def build_grids(study: StudySpec, events: list[Event]) -> dict[str, BarGrid]:
    """One bar grid per exchange, wide enough for every pair of ``events``.

    The grid spans from enough sessions before the earliest news date to hold the
    estimation window (counting the shortest possible session,
    :data:`~eventstudy.intraday.bars.SHORTEST_SESSION_MINUTES`) to enough sessions after
    the latest for the event window.
    """
    settings = study.study
    first, last = grid_reach(study)
    per_session = max(1, SHORTEST_SESSION_MINUTES // INTERVAL_MINUTES[settings.interval])
    back = math.ceil((1 - first) / per_session) + 2
    ahead = math.ceil((last + 1) / per_session) + 2
    days: dict[str, list[pd.Timestamp]] = {}
    for event in events:
        for ticker in study.securities_for(event):
            days.setdefault(exchange_for(ticker), []).append(pd.Timestamp(event.date))
    grids = {}
    for mic, dates in days.items():
        sessions = get_calendar(mic).sessions
        lo = max(0, int(sessions.searchsorted(min(dates) - timedelta(days=1))) - back)
        hi = min(
            len(sessions) - 1, int(sessions.searchsorted(max(dates) + timedelta(days=1))) + ahead
        )
        grids[mic] = bar_grid(
            mic, settings.interval, settings.session, sessions[lo].date(), sessions[hi].date()
        )
    return grids


def align_bars(study: StudySpec, events: list[Event], grids: dict[str, BarGrid]) -> list[Pair]:
    """Bar 0 of every (event, security) pair of ``events`` (file order, securities order)."""
    settings = study.study
    pairs = []
    found: dict[tuple[object, ...], tuple[int, bool, str]] = {}
    for event in events:
        zone = study.timezone_for(event)
        stamp = news_timestamp(event.date, event.time, zone)
        news = (
            pd.Timestamp(stamp).tz_convert(zone).isoformat(timespec="minutes")
            if event.time is not None
            else f"{event.date:%Y-%m-%d}"
        )
        for ticker in study.securities_for(event):
            mic = exchange_for(ticker)
            grid = grids[mic]
            key = (mic, stamp)
            if key not in found:
                cal = get_calendar(mic)
                try:
                    check_in_range(cal, pd.Timestamp(event.date), event.id)
                    found[key] = locate_bar0(grid, stamp)
                except EventStudyError as exc:  # name the file and the event
                    raise EventStudyError(
                        exc.message,
                        file=exc.file or study.path,
                        event_id=exc.event_id or event.id,
                        field=exc.field or "date",
                    ) from None
            pos, shifted, reason = found[key]
            if event.time is None:
                reason = f"date without a time, taken as known before the first bar; {reason}"
            bar0 = grid.local(pos)
            day0 = pd.Timestamp(grid.session_dates[grid.session_of[pos]])
            alignment = BarAlignment(
                event.id, ticker, mic, news, day0, shifted, reason, bar0, settings.interval,
                settings.session,
            )  # fmt: skip
            pairs.append(Pair(event.id, ticker, study.benchmark_for(event, ticker), alignment))
    return pairs


def bar0_position(pair: Pair, grid: BarGrid) -> int:
    """Position of the pair's bar 0 on ``grid``."""
    alignment = pair.alignment
    assert isinstance(alignment, BarAlignment)
    stamp = alignment.bar0.tz_convert("UTC").tz_localize(None).to_datetime64().astype("M8[ns]")
    return int(np.searchsorted(grid.starts, stamp))


class BarReturns:
    """Bar returns of tickers placed on exchanges' grids, each made once.

    Parameters
    ----------
    closes
        Close prices per ticker, indexed by UTC bar starts (tz-naive).
    grids
        The bar grid per exchange.
    split_bars
        Per ticker, UTC bar starts whose return crosses a stock split (set missing).
    """

    def __init__(
        self,
        closes: dict[str, pd.Series],
        grids: dict[str, BarGrid],
        split_bars: dict[str, pd.DatetimeIndex] | None = None,
    ) -> None:
        self.closes = closes
        self.grids = grids
        self.split_bars = split_bars or {}
        self._placed: dict[tuple[str, str], tuple[FloatArray, int]] = {}

    def returns(self, ticker: str, mic: str) -> FloatArray:
        """Returns of ``ticker`` on every bar of ``mic``'s grid (NaN where none)."""
        cache = self._placed
        if (ticker, mic) not in cache:
            grid = self.grids[mic]
            series = self.closes.get(ticker, pd.Series(dtype="float64"))
            placed, off = place_on_grid(series, grid)
            ret = bar_returns(placed, grid)
            splits = self.split_bars.get(ticker)
            if splits is not None and len(splits) and len(grid.starts):
                # the return into the split session's first bar crosses the split
                at = np.searchsorted(grid.starts, splits.to_numpy(dtype="M8[ns]"))
                at = at[at < len(grid.starts)]
                ret[np.searchsorted(grid.session_of, grid.session_of[at])] = np.nan
            cache[(ticker, mic)] = (ret, off)
        return cache[(ticker, mic)][0]

    def off_grid(self) -> dict[str, int]:
        """Per ticker (on its own exchange), closes that start no bar of the grid."""
        out = {}
        for (ticker, mic), (_, off) in self._placed.items():
            if off and exchange_for(ticker) == mic:
                out[ticker] = off
        return out


def fits_grid(
    pairs: list[Pair], grids: dict[str, BarGrid], reach: tuple[int, int]
) -> NDArray[np.bool_]:
    """Which pairs have every bar ``reach`` (relative to bar 0) on their grid."""
    ok = np.zeros(len(pairs), dtype=bool)
    for i, pair in enumerate(pairs):
        grid = grids[pair.alignment.exchange]
        pos = bar0_position(pair, grid)
        ok[i] = pos + reach[0] >= 0 and pos + reach[1] < len(grid.starts)
    return ok


def stack_bars(
    pairs: list[Pair], bars: BarReturns, first: int, last: int
) -> tuple[Stacked, BarClock]:
    """Returns of every pair at bars ``first .. last`` relative to bar 0.

    The benchmark's return is taken at the same bar timestamps on the security's grid.
    Every pair must fit its grid (:func:`fits_grid`).

    Returns
    -------
    tuple
        The :class:`~eventstudy.models.estimation.Stacked` arrays (``dates``: bar starts, UTC)
        and each bar's session, clock time and overnight flag
        (:class:`~eventstudy.intraday.tod.BarClock`).
    """
    offsets = np.arange(first, last + 1)
    shape = (len(pairs), len(offsets))
    y, x = np.full(shape, np.nan), np.full(shape, np.nan)
    dates = np.empty(shape, dtype="M8[ns]")
    overnight = np.zeros(shape, dtype=bool)
    session = np.zeros(shape, dtype=np.int64)
    clock = np.zeros(shape, dtype=np.int64)
    for row, pair in enumerate(pairs):
        mic = pair.alignment.exchange
        grid = bars.grids[mic]
        pos = bar0_position(pair, grid) + offsets
        y[row] = bars.returns(pair.ticker, mic)[pos]
        x[row] = bars.returns(pair.benchmark, mic)[pos]
        dates[row] = grid.starts[pos]
        overnight[row] = grid.overnight[pos]
        session[row] = grid.session_of[pos]
        clock[row] = grid.clock[pos]
    factors = np.empty((*shape, 0))
    stale = np.zeros(shape, dtype=bool)
    return Stacked(y, x, factors, stale, dates, first), BarClock(session, clock, overnight)


def without_overnight(
    data: Stacked, overnight: NDArray[np.bool_], window: tuple[int, int]
) -> Stacked:
    """``data`` with the returns of overnight bars inside ``window`` set missing."""
    cols = data.cols(*window)
    returns = data.returns.copy()
    block = returns[:, cols]
    block[overnight[:, cols]] = np.nan
    returns[:, cols] = block
    return replace(data, returns=returns)
