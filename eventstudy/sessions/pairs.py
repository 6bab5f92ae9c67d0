"""The (event, security) pairs of a study, their day 0 and the prices they need.

Every event concerns its securities (its own list, else the study's); each such pair
gets day 0 on the security's exchange calendar (:func:`eventstudy.sessions.calendar.align_event`).
Day 0 depends only on the news date, time and time zone and the exchange, so it is
found once per distinct ``(date, time, timezone, exchange)``: date-only news on an
exchange in the study's time zone (the common case) by one sorted search of the
exchange's sessions for all its dates at once, anything else by
:func:`~eventstudy.sessions.calendar.align_event` per distinct key. A firm-specific study of
100,000 events on one exchange thus costs one search, not 100,000 calendar look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.core.errors import EventStudyError
from eventstudy.sessions.calendar import (
    Alignment,
    align_event,
    check_in_range,
    exchange_for,
    reach_back,
    session_calendar,
    sessions,
    why_not_a_session,
)

if TYPE_CHECKING:
    from eventstudy.core.settings import Event
    from eventstudy.core.study import StudySpec

LAG_PAD = 5  # sessions of benchmark returns kept on each side of the estimation window
_PAD = timedelta(days=10)


@dataclass(frozen=True)
class Pair:
    """One (event, security) pair with its benchmark and alignment."""

    event_id: str
    ticker: str
    benchmark: str
    alignment: Alignment


@dataclass(frozen=True)
class Audience:
    """Every (event, security) pair of some events, as columns.

    Attributes
    ----------
    event
        (P,) index of the pair's event in the list of events aligned.
    ticker, exchange
        (P,) the security and its exchange (ISO MIC).
    day0
        (P,) day 0 (``datetime64[ns]``).
    key
        (P,) index into ``bases``: the alignment (exchange, news time, day 0, reason)
        the pair shares with every pair of the same news time and exchange.
    bases
        One :class:`~eventstudy.sessions.calendar.Alignment` per distinct key (its ``event_id``
        and ``ticker`` are those of the first pair with that key).
    """

    event: NDArray[np.intp]
    ticker: NDArray[np.object_]
    exchange: NDArray[np.object_]
    day0: NDArray[np.datetime64]
    key: NDArray[np.intp]
    bases: list[Alignment]


def audience(study: StudySpec, events: list[Event]) -> Audience:
    """Day 0 of every (event, security) pair of ``events`` (file order, securities order).

    Raises
    ------
    EventStudyError
        If a date lies outside an exchange calendar.
    """
    default = study.study.securities
    lists = [e.securities or default for e in events]  # read, not copied
    counts = np.fromiter(map(len, lists), dtype=np.intp, count=len(lists))
    event = np.repeat(np.arange(len(events)), counts)
    ticker = np.array([t for tickers in lists for t in tickers], dtype=object)
    names, ticker_code = np.unique(ticker.astype(str), return_inverse=True)
    mics = np.array([exchange_for(t) for t in names], dtype=object)
    exchange = mics[ticker_code] if len(ticker) else np.array([], dtype=object)
    news_of: dict[tuple[date, time | None, str], int] = {}
    news_code = np.array(
        [news_of.setdefault((e.date, e.time, study.timezone_for(e)), len(news_of)) for e in events],
        dtype=np.int64,
    )
    news = list(news_of)
    mic_code, mic_names = pd.factorize(pd.Index(exchange, dtype=object))
    n_mic = max(len(mic_names), 1)
    if len(ticker):  # calendars back to the earliest estimation window (before 2000)
        reach = _reach_days(study)
        firsts = pd.Series([e.date for e in events])[event].groupby(mic_code).min()
        for m, first in firsts.items():
            reach_back(str(mic_names[m]), first - reach)
    combined = news_code[event] * n_mic + mic_code
    keys, first, key = np.unique(combined, return_index=True, return_inverse=True)
    bases: list[Alignment] = [None] * len(keys)  # type: ignore[list-item]
    for m, mic in enumerate(mic_names):
        ks = np.flatnonzero(keys % n_mic == m)
        owners = [(events[event[first[k]]].id, str(ticker[first[k]])) for k in ks]
        try:
            found = _align_keys(str(mic), [news[keys[k] // n_mic] for k in ks], owners)
        except EventStudyError as exc:
            exc.file = exc.file or (str(study.path) if study.path else None)
            raise
        for k, alignment in zip(ks, found, strict=True):
            bases[k] = alignment
    day0 = np.array([b.day0.to_datetime64() for b in bases], dtype="M8[ns]")
    return Audience(event, ticker, exchange, day0[key], key.astype(np.intp), bases)


def _reach_days(study: StudySpec) -> timedelta:
    """Calendar days that hold the sessions before day 0 a study needs (a safe excess:
    the estimation window and lag padding at 5 sessions a week, and a month of holidays)."""
    back = -study.study.estimation_window[0] + 1 + LAG_PAD
    return timedelta(days=back * 7 // 5 + 31)


def _align_keys(
    mic: str, news: list[tuple[date, time | None, str]], owners: list[tuple[str, str]]
) -> list[Alignment]:
    """Day 0 on ``mic`` of each distinct news ``(date, time, zone)``; ``owners`` name a pair
    of each (for the record and for errors).

    Date-only news in the exchange's own time zone is placed by one sorted search of
    the sessions; the rest by :func:`~eventstudy.sessions.calendar.align_event` one by one.
    """
    cal = session_calendar(mic)  # the full calendar only for timed or other-zone news
    out: list[Alignment | None] = [None] * len(news)
    simple = [i for i, (_, clock, zone) in enumerate(news) if clock is None and zone == cal.tz]
    for i in sorted(set(range(len(news))) - set(simple)):
        day, clock, zone = news[i]
        out[i] = align_event(*owners[i], day, clock, zone)
    if simple:
        days = pd.DatetimeIndex([news[i][0] for i in simple])
        outside = np.flatnonzero((days < cal.first_session) | (days > cal.last_session))
        if len(outside):
            check_in_range(cal, days[outside[0]], owners[simple[outside[0]]][0])
        day0 = cal.sessions[cal.sessions.searchsorted(days)]
        moved = (day0 != days).tolist()
        texts = np.datetime_as_string(days.to_numpy(), unit="D").tolist()  # no strftime each
        for i, day, d0, shifted, text in zip(simple, days, day0, moved, texts, strict=True):
            reason = (
                f"{why_not_a_session(cal, day)}: next session"
                if shifted
                else "date without a time: known before the open"
            )
            out[i] = Alignment(*owners[i], mic, text, d0, shifted, reason)
    return out  # type: ignore[return-value]


def align_study(study: StudySpec, event_ids: list[str] | None = None) -> list[Pair]:
    """Day 0 of every (event, security) pair of the selected events.

    Raises
    ------
    EventStudyError
        If an event id is unknown or a date lies outside the exchange calendars.
    """
    events = study.select(event_ids)
    aligned = audience(study, events)
    bases = aligned.bases
    pairs = []
    for e, t, k in zip(aligned.event, aligned.ticker, aligned.key, strict=True):
        event, b = events[e], bases[k]
        alignment = Alignment(event.id, t, b.exchange, b.news_time, b.day0, b.shifted, b.reason)
        pairs.append(Pair(event.id, t, study.benchmark_for(event, t), alignment))
    return pairs


def _off_calendar(mic: str) -> str:
    """Why a pair whose windows do not fit ``mic``'s calendar is skipped."""
    grid = sessions(mic)
    return (
        f"estimation or event window runs past the {mic} calendar "
        f"(sessions from {grid[0]:%Y-%m-%d} to {grid[-1]:%Y-%m-%d})"
    )


@dataclass(frozen=True)
class PricePlan:
    """Which prices a set of pairs needs.

    Attributes
    ----------
    spans
        Each pair whose windows fit the exchange calendar, with the first and last
        session it needs (padding for lead/lag betas included).
    skipped
        Pairs whose windows run off the calendar, with the reason.
    tickers, start, end
        Securities and benchmarks to load, over which calendar dates (padded).
    """

    spans: list[tuple[Pair, date, date]]
    skipped: list[tuple[str, str, str]]
    tickers: list[str]
    start: date
    end: date


def plan_prices(study: StudySpec, pairs: list[Pair]) -> PricePlan:
    """The tickers and date range the pairs' windows need (used by ``run`` and ``fetch``)."""
    settings = study.study
    # one more session for the first return, and padding for lead/lag betas
    first = settings.estimation_window[0] - 1 - LAG_PAD
    last = settings.event_window[1]
    reach = max([last, *(w[1] for w in settings.bhar_windows)])  # long horizons: prices only
    exchange = np.array([p.alignment.exchange for p in pairs], dtype=object)
    day0 = np.array([p.alignment.day0.to_datetime64() for p in pairs], dtype="M8[ns]")
    start_at = np.full(len(pairs), np.datetime64("NaT"), dtype="M8[ns]")
    end_at = start_at.copy()
    reach_at = start_at.copy()
    for mic in dict.fromkeys(exchange):
        rows = np.flatnonzero(exchange == mic)
        grid = sessions(mic).to_numpy(dtype="M8[ns]")
        pos = grid.searchsorted(day0[rows])
        inside = (pos + first >= 0) & (pos + last < len(grid))
        start_at[rows[inside]] = grid[pos[inside] + first]
        end_at[rows[inside]] = grid[pos[inside] + last]
        reach_at[rows[inside]] = grid[np.minimum(pos[inside] + reach, len(grid) - 1)]
    fits = ~np.isnat(start_at)
    why = {mic: _off_calendar(mic) for mic in dict.fromkeys(exchange[~fits])}
    skipped = [
        (pairs[i].event_id, pairs[i].ticker, why[exchange[i]]) for i in np.flatnonzero(~fits)
    ]
    starts = pd.DatetimeIndex(start_at[fits]).date
    ends = pd.DatetimeIndex(end_at[fits]).date
    kept = [pairs[i] for i in np.flatnonzero(fits)]
    spans = list(zip(kept, starts, ends, strict=True))
    if not spans:
        return PricePlan(spans, skipped, [], date.min, date.min)
    long_benchmark = settings.bhar_benchmark if settings.bhar_windows else None
    tickers = sorted(
        {p.ticker for p in kept}
        | {p.benchmark for p in kept}
        | set(settings.factors)
        | ({long_benchmark} if long_benchmark else set())
    )
    start = start_at[fits].min().astype("M8[D]").item() - _PAD
    end = end_at[fits].max().astype("M8[D]").item() + _PAD
    if reach > last:  # long-horizon windows: prices up to their end, never past today
        long_end = reach_at[fits].max().astype("M8[D]").item() + _PAD
        end = max(end, min(long_end, datetime.now(UTC).date()))
    return PricePlan(spans, skipped, tickers, start, end)
