"""The bar grid of an exchange: every bar a session can have, in time order.

Bars are labelled by their start time and cover ``[start, start + interval)``, cut
short at the end of the session segment they belong to (the last hourly bar of a New
York session runs 15:30-16:00). Sessions come from :mod:`exchange_calendars`, so
holidays, early closes (13:00 in New York on the day after Thanksgiving) and Hong
Kong's lunch break are on the grid as they were.

``session: regular``
    Bars from the open to the close (without the lunch break).
``session: extended``
    On New York (``XNYS``) also the pre-market from 04:00 and the post-market to
    20:00, or to 17:00 after an early close (:data:`EXTENDED_HOURS`). Exchanges without
    extended trading (Hong Kong) keep their regular bars.

In either mode the first bar of a session is its *overnight* bar: its return runs from
the previous session's last close (:mod:`eventstudy.intraday.returns`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from functools import cache

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.sessions.calendar import get_calendar

INTERVAL_MINUTES: dict[str, int] = {"1h": 60, "30m": 30, "15m": 15, "5m": 5, "1m": 1}
"""Minutes per bar of each intraday interval."""
EXTENDED_HOURS: dict[str, tuple[time, time, time]] = {
    "XNYS": (time(4, 0), time(20, 0), time(17, 0)),
}
"""Per exchange: pre-market start, post-market end, post-market end after an early close
(exchange-local clock)."""
SHORTEST_SESSION_MINUTES = 150
"""Fewest minutes of trading any session has (Hong Kong's half days: 09:30-12:00)."""


@dataclass(frozen=True)
class BarGrid:
    """Every bar of an exchange's sessions over a span of dates.

    Attributes
    ----------
    mic, interval, session
        The exchange, bar interval and session mode the grid was built for.
    starts, ends
        (B,) bar start and end times, UTC (tz-naive ``datetime64[ns]``), ascending.
    session_of
        (B,) index into :attr:`session_dates` of each bar's session.
    session_dates
        (S,) the sessions (tz-naive midnights).
    overnight
        (B,) True on each session's first bar.
    clock
        (B,) exchange-local clock time of each bar start, in minutes after midnight.
    """

    mic: str
    interval: str
    session: str
    starts: NDArray[np.datetime64]
    ends: NDArray[np.datetime64]
    session_of: NDArray[np.intp]
    session_dates: NDArray[np.datetime64]
    overnight: NDArray[np.bool_]
    clock: NDArray[np.int64]

    @property
    def tz(self) -> str:
        """The exchange's time zone."""
        return str(get_calendar(self.mic).tz)

    def local(self, positions: NDArray[np.intp] | int) -> pd.DatetimeIndex | pd.Timestamp:
        """Exchange-local (tz-aware) start times of the bars at ``positions``."""
        stamps = pd.DatetimeIndex(np.atleast_1d(self.starts[positions])).tz_localize("UTC")
        local = stamps.tz_convert(self.tz)
        return local[0] if np.ndim(positions) == 0 else local


def segments(
    mic: str, session_kind: str, day: pd.Timestamp
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The trading segments ``[start, end)`` (UTC) of one session.

    Regular: open to close, split at a lunch break. Extended (exchanges listed in
    :data:`EXTENDED_HOURS`): the pre-market, the regular segments and the post-market.
    """
    cal = get_calendar(mic)
    row = cal.schedule.loc[day]
    open_, close = row["open"], row["close"]
    parts = [(open_, close)]
    if pd.notna(row["break_start"]) and pd.notna(row["break_end"]):
        parts = [(open_, row["break_start"]), (row["break_end"], close)]
    if session_kind == "extended" and mic in EXTENDED_HOURS:
        pre, post, post_early = EXTENDED_HOURS[mic]
        tz = str(cal.tz)
        early = close.tz_convert(tz).time() < _usual_close(mic)
        end = post_early if early else post
        local_day = day.date()
        start_at = pd.Timestamp.combine(local_day, pre).tz_localize(tz).tz_convert("UTC")
        end_at = pd.Timestamp.combine(local_day, end).tz_localize(tz).tz_convert("UTC")
        parts = [(start_at, open_), *parts, (close, end_at)]
    return [(a, b) for a, b in parts if b > a]


@cache
def _usual_close(mic: str) -> time:
    """The exchange's most common closing time (local): shorter sessions are early closes."""
    cal = get_calendar(mic)
    local = cal.closes.dt.tz_convert(str(cal.tz)).dt.time
    return local.mode().iloc[0]


@cache
def bar_grid(mic: str, interval: str, session_kind: str, first: date, last: date) -> BarGrid:
    """The bars of every session of ``mic`` from ``first`` to ``last`` (inclusive).

    Parameters
    ----------
    mic
        Exchange (ISO MIC), e.g. ``XNYS``.
    interval
        A key of :data:`INTERVAL_MINUTES`.
    session_kind
        ``regular`` or ``extended``.
    first, last
        Calendar dates; the grid holds the sessions between them.
    """
    cal = get_calendar(mic)
    step = np.timedelta64(INTERVAL_MINUTES[interval], "m").astype("m8[ns]")
    days = cal.sessions[
        (cal.sessions >= pd.Timestamp(first)) & (cal.sessions <= pd.Timestamp(last))
    ]
    starts, ends, owner = [], [], []
    for k, day in enumerate(days):
        for a, b in segments(mic, session_kind, day):
            lo = a.tz_localize(None).to_datetime64().astype("M8[ns]")
            hi = b.tz_localize(None).to_datetime64().astype("M8[ns]")
            bar_starts = np.arange(lo, hi, step)
            starts.append(bar_starts)
            ends.append(np.minimum(bar_starts + step, hi))
            owner.append(np.full(len(bar_starts), k, dtype=np.intp))
    start_arr = np.concatenate(starts) if starts else np.array([], dtype="M8[ns]")
    end_arr = np.concatenate(ends) if ends else np.array([], dtype="M8[ns]")
    session_of = np.concatenate(owner) if owner else np.array([], dtype=np.intp)
    overnight = np.ones(len(start_arr), dtype=bool)
    overnight[1:] = session_of[1:] != session_of[:-1]
    local = pd.DatetimeIndex(start_arr).tz_localize("UTC").tz_convert(str(cal.tz))
    clock = (local.hour * 60 + local.minute).to_numpy(dtype=np.int64)
    return BarGrid(
        mic, interval, session_kind, start_arr, end_arr, session_of,
        days.to_numpy(dtype="M8[ns]"), overnight, clock,
    )  # fmt: skip


def bars_per_session(grid: BarGrid) -> NDArray[np.int64]:
    """(S,) how many bars each session of the grid has."""
    return np.bincount(grid.session_of, minlength=len(grid.session_dates)).astype(np.int64)
