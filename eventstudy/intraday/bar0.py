"""Bar 0 of an (event, security) pair: the first bar whose close can reflect the news.

Bars are labelled by their start and cover ``[start, end)`` (:mod:`eventstudy.intraday.bars`):

* a news time inside a bar (``start <= t < end``, a bar boundary included) → that bar;
* a news time outside the bars of the chosen session (overnight, a weekend or holiday,
  the lunch break, or the pre-market with ``session: regular``) → the first bar that
  starts after it; the pair is then marked *shifted* and the reason says why;
* a date without a time is taken as known before that day's first bar (midnight in the
  event's time zone).

A news time at the close (16:00 in New York) is in no bar, the last one ending at 16:00,
so it moves to the next session's first bar, as in the daily study
(:mod:`eventstudy.sessions.calendar`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from eventstudy.core.errors import EventStudyError
from eventstudy.intraday.bars import BarGrid
from eventstudy.sessions.calendar import Alignment, get_calendar, why_not_a_session


@dataclass(frozen=True)
class BarAlignment(Alignment):
    """An :class:`~eventstudy.sessions.calendar.Alignment` in bar time.

    ``day0`` is the session of bar 0 (a tz-naive midnight); ``bar0`` is bar 0's start,
    exchange-local and tz-aware.
    """

    bar0: pd.Timestamp
    interval: str
    session: str

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict: ``bar0`` (ISO 8601 with offset), ``session_date``, ``interval``
        and ``session`` in place of ``day0``."""
        out: dict[str, object] = {}
        for key, value in super().to_dict().items():
            if key == "day0":
                out |= {
                    "bar0": self.bar0.isoformat(), "session_date": value,
                    "interval": self.interval, "session": self.session,
                }  # fmt: skip
            else:
                out[key] = value
        return out


def news_timestamp(day: date, clock: time | None, zone: str) -> pd.Timestamp:
    """The news time as a UTC timestamp; a date without a time is its midnight in ``zone``."""
    local = datetime.combine(day, clock or time(0, 0), tzinfo=ZoneInfo(zone))
    return pd.Timestamp(local).tz_convert("UTC")


def locate_bar0(grid: BarGrid, stamp: pd.Timestamp) -> tuple[int, bool, str]:
    """Position of bar 0 on ``grid`` for the news time ``stamp`` (tz-aware), and why.

    Returns
    -------
    tuple
        ``(position, shifted, reason)``: ``shifted`` is True when the news time lies in
        no bar of the grid and bar 0 is the first bar after it.

    Raises
    ------
    EventStudyError
        When no bar of the grid starts at or after the news time (the caller builds the
        grid wide enough, so this names a news time past the exchange calendar).
    """
    utc = stamp.tz_convert("UTC").tz_localize(None).to_datetime64().astype("M8[ns]")
    i = int(np.searchsorted(grid.starts, utc, side="right")) - 1
    if i >= 0 and utc < grid.ends[i]:
        label = f"{grid.local(i):%H:%M}"
        at_start = utc == grid.starts[i]
        where = f"at the start of the {label} bar" if at_start else f"inside the {label} bar"
        return i, False, where
    j = i + 1
    if j >= len(grid.starts):
        raise EventStudyError(
            f"news time {stamp.isoformat()} is after the last bar of the {grid.mic} calendar"
        )
    return j, True, _why_next(grid, stamp, j)


def _why_next(grid: BarGrid, stamp: pd.Timestamp, j: int) -> str:
    """Why the news time is in no bar, and which bar it moves to."""
    cal = get_calendar(grid.mic)
    tz = str(cal.tz)
    local = stamp.tz_convert(tz)
    day = pd.Timestamp(local.date())
    target = grid.local(j)
    same_session = grid.session_dates[grid.session_of[j]] == day.to_datetime64()
    first_bar = bool(grid.overnight[j])
    to = (
        f"the {target:%H:%M} bar"
        if not first_bar
        else f"the first bar of the {target:%Y-%m-%d} session ({target:%H:%M}), "
        "which carries the overnight gap"
    )
    if not cal.is_session(day):
        return f"{why_not_a_session(cal, day)} ({tz}): {to}"
    if same_session and first_bar:
        session_kind = "regular-session" if grid.session == "regular" else "first"
        return f"before the {target:%H:%M} {session_kind} bar ({tz}): {to}"
    if same_session:
        return f"between trading segments (e.g. a lunch break) ({tz}): {to}"
    rows = np.flatnonzero(grid.session_dates[grid.session_of] == day.to_datetime64())
    if len(rows):
        last_end = pd.Timestamp(grid.ends[rows[-1]]).tz_localize("UTC").tz_convert(tz)
        return f"at or after the {last_end:%H:%M} close of the {grid.session} bars ({tz}): {to}"
    return f"outside the bars of the grid ({tz}): {to}"
