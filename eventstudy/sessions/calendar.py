"""Trading calendars and event-time alignment.

Day 0 of an (event, security) pair is the first session of the security's exchange
whose closing price could reflect the news:

* a news time before the session's close → that session;
* a news time at or after the close, or on a weekend or holiday → the next session;
* a date without a time is taken as known before that day's open → that day's session
  if it is one, else the next session.

Relative days count sessions of the security's exchange calendar (not rows of price
data), so a day with a missing price stays a gap instead of shifting the window.
Calendars come from :mod:`exchange_calendars`: ``XNYS`` for US listings and OTC ADRs,
``XHKG`` for ``.HK`` tickers.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from eventstudy.core.errors import EventStudyError

if TYPE_CHECKING:
    from exchange_calendars import ExchangeCalendar

DEFAULT_EXCHANGE = "XNYS"
EXCHANGE_BY_SUFFIX = {".HK": "XHKG"}
CALENDAR_START = "2000-01-01"
"""The calendars' first day, unless a study needs older sessions (:func:`reach_back`)."""
_STARTS: dict[str, str] = {}
"""The first day of each exchange's calendar where a study moved it back."""
DATE_ONLY_TIME = time(9, 29)  # a date-only story is known before a 09:30 open


def exchange_for(ticker: str) -> str:
    """Exchange (ISO MIC) whose calendar a ticker trades on.

    ``.HK`` symbols trade on ``XHKG``; everything else (US listings, OTC ADRs, US
    indices and ETFs) on ``XNYS``.
    """
    for suffix, mic in EXCHANGE_BY_SUFFIX.items():
        if ticker.upper().endswith(suffix):
            return mic
    return DEFAULT_EXCHANGE


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the pandas deprecation warnings exchange_calendars emits under pandas 3."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        yield


def calendar_start(mic: str) -> str:
    """The first day of ``mic``'s calendar: :data:`CALENDAR_START` or earlier."""
    return _STARTS.get(mic, CALENDAR_START)


def reach_back(mic: str, first: date) -> None:
    """Start ``mic``'s calendar on 1 January of ``first``'s year, if that is earlier.

    A study's first needed session (the start of its earliest estimation window) may
    lie before :data:`CALENDAR_START`; the calendar is then built from there, but not
    before the earliest day exchange_calendars supports for ``mic`` (``bound_min``,
    e.g. 1960 for XHKG): a date before that is named as outside the calendar, with the
    limit (:func:`check_in_range`). The cached calendars are rebuilt once.
    """
    start = pd.Timestamp(first.year, 1, 1)
    if start >= pd.Timestamp(calendar_start(mic)):
        return
    bound = type(get_calendar(mic)).bound_min()
    if bound is not None:
        start = max(start, pd.Timestamp(bound))
    if start < pd.Timestamp(calendar_start(mic)):
        _STARTS[mic] = f"{start:%Y-%m-%d}"
        get_calendar.cache_clear()
        session_calendar.cache_clear()


@cache
def calendar_end() -> str:
    """The last day of every calendar this process builds: a year after the day it first
    asks (exchange_calendars' own default end). Fixed once, so that a process that runs
    past midnight builds, stamps and reads one calendar (exchange_calendars fixes its
    default when it is imported, which may be a day before the first build)."""
    return f"{pd.Timestamp.now().floor('D') + pd.DateOffset(years=1):%Y-%m-%d}"


@cache
def get_calendar(mic: str) -> ExchangeCalendar:
    """The exchange calendar for ``mic`` from :func:`calendar_start` to
    :func:`calendar_end`, built once per process."""
    import exchange_calendars as xcals

    with _quiet():
        return xcals.get_calendar(mic, start=calendar_start(mic), end=calendar_end())


@dataclass(frozen=True)
class SessionCalendar:
    """An exchange calendar's sessions and time zone: all that date-only news needs.

    It stands in for an :class:`~exchange_calendars.ExchangeCalendar` where only
    ``name``, ``tz``, ``sessions``, ``first_session`` and ``last_session`` are read
    (:func:`check_in_range`, :func:`why_not_a_session`).
    """

    name: str
    tz: str
    sessions: pd.DatetimeIndex

    @property
    def first_session(self) -> pd.Timestamp:
        """The calendar's first session."""
        return self.sessions[0]

    @property
    def last_session(self) -> pd.Timestamp:
        """The calendar's last session."""
        return self.sessions[-1]


@cache
def session_calendar(mic: str) -> SessionCalendar:
    """The :class:`SessionCalendar` of ``mic``, kept in the cache folder between runs.

    Building an exchange calendar from :func:`calendar_start` evaluates its holiday
    rules in pandas (about 0.5 s a process on a quiet core, in every ``validate`` and
    ``run``). The sessions are therefore kept in ``<cache>/calendars/<MIC>.npz``
    (:func:`~eventstudy.core.cache_folder.default_cache_dir`; plain arrays, read without
    pickle), valid for the same exchange_calendars version, start and end
    (:func:`calendar_end`: a year after the day the process first asked), so a file
    holds exactly what building the calendar gives. A file that cannot be read is
    built again; a cache folder that cannot be written only means the next process
    builds the calendar too.
    """
    path = _calendar_file(mic)
    stamp = _calendar_stamp(mic)
    try:
        with np.load(path, allow_pickle=False) as stored:
            if [str(stored[key]) for key in _STAMP_KEYS] == stamp:
                days = pd.DatetimeIndex(stored["sessions"].astype("M8[ns]"))
                return SessionCalendar(mic, str(stored["tz"]), days)
    except (OSError, ValueError, KeyError, EOFError):
        pass  # absent, stale or unreadable: built below
    cal = get_calendar(mic)
    made = SessionCalendar(mic, str(cal.tz), cal.sessions)
    try:
        from eventstudy.core.atomic import write_atomic

        arrays = dict(zip(_STAMP_KEYS, map(np.array, stamp), strict=True))
        arrays |= {"tz": np.array(made.tz), "sessions": made.sessions.asi8}
        write_atomic(path, lambda handle: np.savez(handle, **arrays))
    except OSError:
        pass  # a read-only cache folder: nothing is lost, the calendar is built again
    return made


_STAMP_KEYS = ("version", "start", "end")


def _calendar_file(mic: str) -> Path:
    """``<cache>/calendars/<MIC>.npz``; ``<MIC>-<year>.npz`` for a calendar reached back."""
    from eventstudy.core.cache_folder import default_cache_dir

    start = calendar_start(mic)
    name = mic if start == CALENDAR_START else f"{mic}-{start[:4]}"
    return default_cache_dir() / "calendars" / f"{name}.npz"


def _calendar_stamp(mic: str) -> list[str]:
    """exchange_calendars' version, :func:`calendar_start` and :func:`calendar_end`."""
    from importlib import metadata

    return [metadata.version("exchange_calendars"), calendar_start(mic), calendar_end()]


def sessions(mic: str) -> pd.DatetimeIndex:
    """All sessions of the exchange's calendar, tz-naive midnights (:func:`session_calendar`)."""
    return session_calendar(mic).sessions


@dataclass(frozen=True)
class Alignment:
    """How one event's news time maps to day 0 on one security's exchange.

    Attributes
    ----------
    event_id, ticker, exchange
        The pair and the exchange calendar used.
    news_time
        The news timestamp as given (ISO 8601 with offset), or the bare date.
    day0
        The session chosen as day 0.
    shifted
        True when day 0 is not the calendar date of the news.
    reason
        Why this session, in words (``"after the 16:00 close"``, ``"weekend"`` ...).
    """

    event_id: str
    ticker: str
    exchange: str
    news_time: str
    day0: pd.Timestamp
    shifted: bool
    reason: str

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready dict."""
        return {
            "event_id": self.event_id,
            "ticker": self.ticker,
            "exchange": self.exchange,
            "news_time": self.news_time,
            "day0": self.day0.date().isoformat(),  # (strftime: 3x slower)
            "shifted": self.shifted,
            "reason": self.reason,
        }


def why_not_a_session(cal: ExchangeCalendar | SessionCalendar, day: pd.Timestamp) -> str:
    """Why ``day`` is no session of ``cal``: a weekend day or a holiday."""
    if day.weekday() >= 5:
        return f"{day:%Y-%m-%d} is a {day:%A}"
    return f"{day:%Y-%m-%d} is a {cal.name} holiday"


def check_in_range(
    cal: ExchangeCalendar | SessionCalendar, day: pd.Timestamp, event_id: str
) -> None:
    """Raise :class:`EventStudyError` (naming ``event_id``) if ``day`` lies outside ``cal``.

    A day before a calendar reached back as far as exchange_calendars supports
    (:func:`reach_back`) is named as before that limit.
    """
    if not cal.first_session <= day <= cal.last_session:
        limit = ""
        bound = type(get_calendar(cal.name)).bound_min()
        reached = bound is not None and pd.Timestamp(calendar_start(cal.name)) <= bound
        if day < cal.first_session and reached:  # a calendar reached back to its limit
            limit = f"; exchange_calendars knows {cal.name} sessions from {bound:%Y-%m-%d}"
        raise EventStudyError(
            f"date {day:%Y-%m-%d} is outside the {cal.name} calendar "
            f"({cal.first_session:%Y-%m-%d}..{cal.last_session:%Y-%m-%d}){limit}",
            event_id=event_id,
            field="date",
        )


def align_event(
    event_id: str,
    ticker: str,
    news_date: date,
    news_time: time | None = None,
    timezone: str = "America/New_York",
) -> Alignment:
    """Find day 0 for one event on one security's exchange.

    Parameters
    ----------
    event_id, ticker
        The pair (for messages and the record).
    news_date
        Calendar date of the news, in ``timezone``.
    news_time
        Clock time of the news in ``timezone``; None if only the date is known, in
        which case the news counts as known before that day's open. On an exchange in
        another time zone (a New York date for a Hong Kong listing) "before the open"
        means before 09:30 in ``timezone``, converted to the exchange's clock: a US
        date-only story reaches Hong Kong after its close, so HK day 0 is the next
        HK session.
    timezone
        IANA zone of ``news_date``/``news_time``.

    Returns
    -------
    Alignment
        Day 0 and the reason it was chosen.
    """
    mic = exchange_for(ticker)
    cal = get_calendar(mic)
    day = pd.Timestamp(news_date)
    check_in_range(cal, day, event_id)

    cross_zone = str(cal.tz) != timezone
    if news_time is None and cross_zone:
        timed = align_event(event_id, ticker, news_date, DATE_ONLY_TIME, timezone)
        reason = f"date without a time, taken as before 09:30 {timezone}; {timed.reason}"
        return Alignment(
            event_id, ticker, mic, f"{news_date:%Y-%m-%d}", timed.day0, timed.shifted, reason
        )
    if news_time is None:
        if cal.is_session(day):
            return Alignment(
                event_id,
                ticker,
                mic,
                f"{news_date:%Y-%m-%d}",
                day,
                False,
                "date without a time: known before the open",
            )
        day0 = cal.date_to_session(day, direction="next")
        return Alignment(
            event_id,
            ticker,
            mic,
            f"{news_date:%Y-%m-%d}",
            day0,
            True,
            f"{why_not_a_session(cal, day)}: next session",
        )

    local = datetime.combine(news_date, news_time, tzinfo=ZoneInfo(timezone))
    stamp = pd.Timestamp(local)
    minute = stamp.tz_convert("UTC").floor("min")
    with _quiet():
        first_minute, last_minute = cal.first_minute, cal.last_minute
    if minute < first_minute:
        day0 = cal.first_session
    elif minute > last_minute:
        raise EventStudyError(
            f"news time {stamp.isoformat()} is after the last session of the {cal.name} "
            f"calendar ({cal.last_session:%Y-%m-%d})",
            event_id=event_id,
            field="date",
        )
    else:
        with _quiet():
            day0 = cal.minute_to_session(minute, direction="next")
    exchange_tz = cal.tz
    local_on_exchange = stamp.tz_convert(exchange_tz)
    exchange_day = pd.Timestamp(local_on_exchange.date())
    iso = local.isoformat(timespec="minutes")
    if not cal.is_session(exchange_day):
        reason = f"{why_not_a_session(cal, exchange_day)} ({exchange_tz}): next session"
        return Alignment(event_id, ticker, mic, iso, day0, day0 != day, reason)
    close = cal.session_close(exchange_day).tz_convert(exchange_tz)
    open_ = cal.session_open(exchange_day).tz_convert(exchange_tz)
    if day0 > exchange_day:
        reason = f"at or after the {close:%H:%M} close ({exchange_tz}): next session"
    elif local_on_exchange < open_:
        reason = f"before the {open_:%H:%M} open ({exchange_tz})"
    else:
        reason = f"during the session, before the {close:%H:%M} close ({exchange_tz})"
    return Alignment(event_id, ticker, mic, iso, day0, day0 != day, reason)


def session_span(mic: str, day0: pd.Timestamp, first: int, last: int) -> pd.DatetimeIndex | None:
    """Sessions at relative days ``first..last`` around ``day0`` (inclusive).

    Returns None when the span runs off either end of the calendar.
    """
    all_sessions = sessions(mic)
    pos = all_sessions.get_loc(day0)
    if pos + first < 0 or pos + last >= len(all_sessions):
        return None
    return all_sessions[pos + first : pos + last + 1]
