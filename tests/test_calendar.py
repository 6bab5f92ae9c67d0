"""Tests of event-time alignment: day 0 per (event, security) on its exchange calendar.

Every expected day 0 below is worked out by hand from the rule in DESIGN.md (news before
the close → that session; at/after the close or on a non-session day → the next session;
a date without a time → known before that day's open) and the published 2024 NYSE/HKEX
holiday schedules, not by calling the code:

* Fri 2024-11-15 is a full NYSE session; Sat 16 / Sun 17, so the next one is Mon 18.
* Thanksgiving Thu 2024-11-28 closed; Fri 29 closes early at 13:00 ET; next is Mon 12-02.
* Christmas Eve Tue 2024-12-24 closes early at 13:00 ET; 12-25 closed; next is Thu 12-26.
* HKEX: 09:30-12:00 and 13:00-16:00 HKT; Christmas Eve is a half day (closes 12:00),
  Dec 25 and 26 are holidays; Lunar New Year 2025 closes Jan 29-31.
* US DST ended Sun 2024-11-03 and started Sun 2024-03-10; the UK changed on Sun
  2024-10-27 and Sun 2024-03-31, so London was 5 h ahead of New York on 2024-11-19 and
  4 h ahead on 2024-03-15.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from eventstudy.core.errors import EventStudyError
from eventstudy.sessions.calendar import (
    Alignment,
    align_event,
    exchange_for,
    get_calendar,
    session_span,
    sessions,
)
from eventstudy.study import load_study

NY = "America/New_York"
EVENTS_YAML = Path(__file__).resolve().parents[1] / "events.yaml"


def ts(day: str) -> pd.Timestamp:
    """A session label as the calendar uses it: a tz-naive midnight."""
    return pd.Timestamp(day)


# --------------------------------------------------------------------------- exchange_for


@pytest.mark.parametrize(
    ("ticker", "mic"),
    [
        ("BABA", "XNYS"),
        ("MPNGY", "XNYS"),  # OTC ADR: priced on US sessions
        ("NVDA", "XNYS"),
        ("SPY", "XNYS"),
        ("^GSPC", "XNYS"),
        ("9988.HK", "XHKG"),
        ("3690.HK", "XHKG"),
        ("9988.hk", "XHKG"),
    ],
)
def test_exchange_for(ticker: str, mic: str) -> None:
    assert exchange_for(ticker) == mic


# --------------------------------------------------------------------- hand-checked cases

# (ticker, news date, news time or None, time zone, expected day 0, shifted, reason words)
CASES = [
    # before the open / intraday / just before the close on Fri 2024-11-15
    ("BABA", "2024-11-15", "06:30", NY, "2024-11-15", False, ["before the 09:30 open"]),
    ("BABA", "2024-11-15", "11:00", NY, "2024-11-15", False, ["during the session"]),
    ("BABA", "2024-11-15", "15:59", NY, "2024-11-15", False, ["before the 16:00 close"]),
    ("BABA", "2024-11-15", "15:59:59", NY, "2024-11-15", False, ["before the 16:00 close"]),
    # at and after the close on a Friday → Monday
    ("BABA", "2024-11-15", "16:00", NY, "2024-11-18", True, ["after the 16:00 close"]),
    ("BABA", "2024-11-15", "16:30", NY, "2024-11-18", True, ["after the 16:00 close"]),
    ("NVDA", "2024-11-15", "23:59", NY, "2024-11-18", True, ["after the 16:00 close"]),
    # weekend: date only and with a time
    ("BABA", "2024-11-16", None, NY, "2024-11-18", True, ["Saturday", "next session"]),
    ("BABA", "2024-11-17", None, NY, "2024-11-18", True, ["Sunday", "next session"]),
    ("BABA", "2024-11-16", "10:00", NY, "2024-11-18", True, ["Saturday", "next session"]),
    ("MPNGY", "2024-11-17", "20:00", NY, "2024-11-18", True, ["Sunday", "next session"]),
    # a plain session date without a time: known before the open
    ("BABA", "2024-11-18", None, NY, "2024-11-18", False, ["before the open"]),
    # Thanksgiving holiday, date only and at noon
    ("BABA", "2024-11-28", None, NY, "2024-11-29", True, ["holiday", "next session"]),
    ("BABA", "2024-11-28", "12:00", NY, "2024-11-29", True, ["holiday", "next session"]),
    # the 13:00 early close the day after Thanksgiving
    ("BABA", "2024-11-29", "12:59", NY, "2024-11-29", False, ["before the 13:00 close"]),
    ("BABA", "2024-11-29", "13:00", NY, "2024-12-02", True, ["after the 13:00 close"]),
    ("BABA", "2024-11-29", "13:30", NY, "2024-12-02", True, ["after the 13:00 close"]),
    # Christmas Eve early close, then Christmas
    ("BABA", "2024-12-24", "13:30", NY, "2024-12-26", True, ["after the 13:00 close"]),
    ("BABA", "2024-12-25", None, NY, "2024-12-26", True, ["holiday"]),
    # London 09:00 GMT on 2024-11-19 = 04:00 ET (before the NY open) = 17:00 HKT
    # (after the HK close)
    ("BABA", "2024-11-19", "09:00", "Europe/London", "2024-11-19", False, ["before"]),
    ("9988.HK", "2024-11-19", "09:00", "Europe/London", "2024-11-20", True, ["close"]),
    # London 13:15 GMT on 2024-03-15 = 09:15 EDT (US already on summer time): before open;
    # 14:45 GMT = 10:45 EDT: during the session
    ("BABA", "2024-03-15", "13:15", "Europe/London", "2024-03-15", False, ["before"]),
    ("BABA", "2024-03-15", "14:45", "Europe/London", "2024-03-15", False, ["during"]),
    # Hong Kong: lunch break, before the open, after the close, Christmas Eve half day
    ("9988.HK", "2024-11-19", "12:30", "Asia/Hong_Kong", "2024-11-19", False, []),
    ("9988.HK", "2024-11-19", "08:00", "Asia/Hong_Kong", "2024-11-19", False, ["before"]),
    ("9988.HK", "2024-11-19", "16:00", "Asia/Hong_Kong", "2024-11-20", True, ["16:00 close"]),
    ("9988.HK", "2024-12-24", "13:00", "Asia/Hong_Kong", "2024-12-27", True, ["12:00 close"]),
    # US news read on HK: 20:00 ET Mon 2024-11-18 = 09:00 HKT Tue 19, before the HK open
    ("9988.HK", "2024-11-18", "20:00", NY, "2024-11-19", True, ["before"]),
    # 02:00 ET Tue 2024-11-19 = 15:00 HKT Tue 19, during the HK afternoon session
    ("9988.HK", "2024-11-19", "02:00", NY, "2024-11-19", False, ["during"]),
    # DST: the first Monday after US clocks fell back; 09:00 EST is before the open
    ("BABA", "2024-11-04", "09:00", NY, "2024-11-04", False, ["before the 09:30 open"]),
    ("BABA", "2024-11-04", "09:30", NY, "2024-11-04", False, ["during"]),
    ("BABA", "2024-11-04", "16:00", NY, "2024-11-05", True, ["after the 16:00 close"]),
    # DST: the first Monday after US clocks sprang forward
    ("BABA", "2024-03-11", "09:15", NY, "2024-03-11", False, ["before the 09:30 open"]),
    # Tokyo 03:00 Tue 2024-11-19 = 13:00 ET Mon 2024-11-18: the Monday session. Day 0 is
    # not the news's own calendar date, so `shifted` is True.
    ("NVDA", "2024-11-19", "03:00", "Asia/Tokyo", "2024-11-18", True, ["during"]),
]


@pytest.mark.parametrize(
    ("ticker", "news_date", "news_time", "tz", "expected", "shifted", "words"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2] or 'date'}-{c[3].split('/')[-1]}" for c in CASES],
)
def test_align_event_cases(
    ticker: str,
    news_date: str,
    news_time: str | None,
    tz: str,
    expected: str,
    shifted: bool,
    words: list[str],
) -> None:
    clock = time.fromisoformat(news_time) if news_time else None
    a = align_event("ev", ticker, date.fromisoformat(news_date), clock, tz)
    assert isinstance(a, Alignment)
    assert a.day0 == ts(expected)
    assert a.shifted is shifted
    for word in words:
        assert word in a.reason, (word, a.reason)
    assert a.exchange == exchange_for(ticker)
    assert (a.event_id, a.ticker) == ("ev", ticker)
    assert "\n" not in a.reason


def test_align_event_default_timezone_is_new_york() -> None:
    # 15:30 ET is before the close; read as UTC it would be 10:30 ET, still the same day,
    # so use 21:30: after the close in New York, but 16:30 ET if it were read as UTC.
    a = align_event("ev", "BABA", date(2024, 11, 15), time(21, 30))
    assert a.day0 == ts("2024-11-18")


def test_alignment_to_dict_is_json_ready() -> None:
    a = align_event("ev", "BABA", date(2024, 11, 15), time(16, 30), NY)
    d = a.to_dict()
    assert d == {
        "event_id": "ev",
        "ticker": "BABA",
        "exchange": "XNYS",
        "news_time": "2024-11-15T16:30-05:00",
        "day0": "2024-11-18",
        "shifted": True,
        "reason": a.reason,
    }
    dated = align_event("ev", "BABA", date(2024, 11, 16)).to_dict()
    assert dated["news_time"] == "2024-11-16"
    assert dated["day0"] == "2024-11-18"


def test_date_only_equals_midnight_on_the_exchange() -> None:
    """'Known before that day's open' is the same as 00:00 exchange time that day."""
    for ticker, tz in [("BABA", NY), ("9988.HK", "Asia/Hong_Kong")]:
        day = date(2024, 11, 14)
        while day <= date(2025, 1, 10):
            dated = align_event("ev", ticker, day, None, tz)
            midnight = align_event("ev", ticker, day, time(0, 0), tz)
            assert dated.day0 == midnight.day0, (ticker, day)
            day += timedelta(days=1)


def test_new_york_date_only_reaches_hong_kong_the_next_session() -> None:
    """A US date-only story is known before the 09:30 New York open: after the HK close."""
    for news, hk_day0 in [
        (date(2024, 11, 18), "2024-11-19"),  # ft-ai-talent: HK day 0 is Nov 19
        (date(2024, 1, 29), "2024-01-30"),  # kyc-iaas-nprm
        (date(2024, 11, 16), "2024-11-18"),  # Saturday: HK Monday
    ]:
        hk = align_event("ev", "9988.HK", news, None, NY)
        assert hk.day0 == pd.Timestamp(hk_day0), news
        assert "date without a time" in hk.reason
        us = align_event("ev", "BABA", news, None, NY)
        assert us.day0 <= hk.day0
    # a Hong Kong date-only story reaches New York the same calendar day
    us = align_event("ev", "BABA", date(2025, 3, 5), None, "Asia/Hong_Kong")
    assert us.day0 == pd.Timestamp("2025-03-05")


# ------------------------------------------------------------------ out of the calendar


@pytest.mark.parametrize("news_date", [date(1999, 12, 31), date(1990, 6, 1), date(2100, 1, 4)])
@pytest.mark.parametrize("ticker", ["BABA", "9988.HK"])
def test_date_outside_calendar_raises(ticker: str, news_date: date) -> None:
    with pytest.raises(EventStudyError) as info:
        align_event("old-news", ticker, news_date)
    assert info.value.field == "date"
    assert info.value.event_id == "old-news"
    assert "field 'date'" in str(info.value)
    assert "outside" in str(info.value)
    with pytest.raises(EventStudyError):
        align_event("old-news", ticker, news_date, time(10, 0), NY)


def test_after_close_on_last_session_raises_event_study_error() -> None:
    last = get_calendar("XNYS").last_session.date()
    with pytest.raises(EventStudyError) as info:
        align_event("future", "BABA", last, time(16, 30), NY)
    assert info.value.field == "date"


def test_before_open_on_first_session_aligns() -> None:
    first = get_calendar("XNYS").first_session
    a = align_event("y2k", "BABA", first.date(), time(1, 0), NY)
    assert a.day0 == first


# ------------------------------------------------------------------------- session_span


@pytest.mark.parametrize(
    ("mic", "day0", "first", "last", "expected"),
    [
        (
            "XNYS",
            "2024-11-18",
            -2,
            3,
            ["2024-11-14", "2024-11-15", "2024-11-18", "2024-11-19", "2024-11-20", "2024-11-21"],
        ),
        (
            "XNYS",
            "2024-11-27",
            -1,
            2,
            ["2024-11-26", "2024-11-27", "2024-11-29", "2024-12-02"],
        ),
        ("XNYS", "2024-12-26", -1, 0, ["2024-12-24", "2024-12-26"]),
        ("XNYS", "2024-11-18", 0, 0, ["2024-11-18"]),
        ("XNYS", "2024-11-18", 1, 2, ["2024-11-19", "2024-11-20"]),
        ("XNYS", "2024-11-18", -3, -2, ["2024-11-13", "2024-11-14"]),
        ("XHKG", "2025-01-27", 0, 2, ["2025-01-27", "2025-01-28", "2025-02-03"]),
        ("XHKG", "2024-12-27", -2, 0, ["2024-12-23", "2024-12-24", "2024-12-27"]),
    ],
)
def test_session_span_known(
    mic: str, day0: str, first: int, last: int, expected: list[str]
) -> None:
    span = session_span(mic, ts(day0), first, last)
    assert span is not None
    assert list(span) == [ts(d) for d in expected]


@pytest.mark.parametrize("mic", ["XNYS", "XHKG"])
@pytest.mark.parametrize(("first", "last"), [(-250, 10), (-10, 10), (0, 10), (-5, -1), (3, 3)])
def test_session_span_shape(mic: str, first: int, last: int) -> None:
    all_sessions = sessions(mic)
    day0 = ts("2024-11-18")
    span = session_span(mic, day0, first, last)
    assert span is not None
    assert len(span) == last - first + 1
    assert span.is_monotonic_increasing
    assert span.is_unique
    # consecutive sessions: the span is a contiguous slice of the calendar
    start = all_sessions.get_loc(span[0])
    assert list(span) == list(all_sessions[start : start + len(span)])
    if first <= 0 <= last:
        assert span[-first] == day0
    else:
        assert day0 not in span
        assert all_sessions.get_loc(span[0]) - all_sessions.get_loc(day0) == first


@pytest.mark.parametrize("mic", ["XNYS", "XHKG"])
def test_session_span_out_of_range_is_none(mic: str) -> None:
    cal = get_calendar(mic)
    first_session, last_session = cal.first_session, cal.last_session
    assert session_span(mic, first_session, -1, 0) is None
    assert session_span(mic, first_session + pd.Timedelta(days=60), -250, -11) is None
    assert session_span(mic, last_session, 0, 1) is None
    assert session_span(mic, last_session, -10, 10) is None
    # exactly at the edges is still in range
    edge_first = session_span(mic, first_session, 0, 3)
    assert edge_first is not None
    assert edge_first[0] == first_session
    edge_last = session_span(mic, last_session, -3, 0)
    assert edge_last is not None
    assert edge_last[-1] == last_session


# ------------------------------------------------------- the real events.yaml's day 0s


@pytest.mark.parametrize(
    ("event_id", "ticker", "expected"),
    [
        ("tariff-60pct-wapo", "BABA", "2024-01-29"),  # Sun Jan 28 → Mon
        ("tariff-60pct-fox", "NVDA", "2024-02-05"),  # Sun Feb 4 → Mon
        ("election-2024", "BABA", "2024-11-06"),  # 05:35 ET, pre-open
        ("election-2024", "9988.HK", "2024-11-07"),  # 18:35 HKT, after the HK close
        ("tsmc-halt-order", "MPNGY", "2024-11-11"),  # Sat Nov 9 → Mon
        ("ft-ai-talent", "BABA", "2024-11-18"),  # date only, a session
        ("tariff-truth-10pct", "BABA", "2024-11-26"),  # 17:15 ET Mon → Tue
        ("tariff-truth-10pct", "9988.HK", "2024-11-26"),  # 06:15 HKT Tue, pre-open
        ("ai-diffusion-rule", "9988.HK", "2025-01-14"),  # 19:22 HKT, after the HK close
        ("tariff-feb-2025", "NVDA", "2025-02-03"),  # Sat Feb 1 → Mon
        ("liberation-day", "NVDA", "2025-04-03"),  # 16:15 ET → Thu
        ("liberation-day", "9988.HK", "2025-04-03"),  # 04:15 HKT Apr 3, pre-open
        ("tariff-pause-apr9", "NVDA", "2025-04-09"),  # 13:30 ET, intraday
        ("tariff-pause-apr9", "9988.HK", "2025-04-10"),  # 01:30 HKT Apr 10
        ("nvda-h20-license", "NVDA", "2025-04-16"),  # 16:30 ET → Wed
    ],
)
def test_real_events_day0(event_id: str, ticker: str, expected: str) -> None:
    study = load_study(EVENTS_YAML)
    event = study.event(event_id)
    a = align_event(event.id, ticker, event.date, event.time, study.timezone_for(event))
    assert a.day0 == ts(expected)


def test_every_real_event_aligns_on_its_securities() -> None:
    study = load_study(EVENTS_YAML)
    for event in study.events:
        for ticker in [*study.securities_for(event), study.benchmark_for(event)]:
            a = align_event(event.id, ticker, event.date, event.time, study.timezone_for(event))
            assert get_calendar(a.exchange).is_session(a.day0)
            assert a.day0 >= pd.Timestamp(event.date)


# ----------------------------------------------------------------------- property test

ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Hong_Kong",
    "Asia/Tokyo",
    "UTC",
]


def random_instants(n: int, seed: int) -> list[datetime]:
    """``n`` UTC instants over 2023-2025: uniform ones plus some right at closes."""
    rng = np.random.default_rng(seed)
    lo = datetime(2023, 1, 1, tzinfo=UTC).timestamp()
    hi = datetime(2025, 12, 20, tzinfo=UTC).timestamp()
    uniform = rng.integers(int(lo), int(hi), size=n)
    instants = [datetime.fromtimestamp(int(s), tz=UTC) for s in uniform]
    # a few instants within a minute of a close, where off-by-one errors live
    for mic in ("XNYS", "XHKG"):
        closes = get_calendar(mic).closes
        closes = closes[(closes.index >= "2023-01-03") & (closes.index <= "2025-12-19")]
        picks = rng.choice(len(closes), size=n // 10, replace=False)
        offsets = rng.integers(-90, 90, size=len(picks))
        for i, off in zip(picks, offsets, strict=True):
            close = closes.iloc[int(i)].to_pydatetime().astimezone(UTC)
            instants.append(close + timedelta(seconds=int(off)))
    return instants


@pytest.mark.parametrize("ticker", ["BABA", "9988.HK"])
def test_day0_properties_over_random_timestamps(ticker: str) -> None:
    mic = exchange_for(ticker)
    cal = get_calendar(mic)
    exchange_zone = ZoneInfo(str(cal.tz))
    close_ns = np.array([close.value for close in cal.closes], dtype=np.int64)
    session_labels = cal.sessions
    seed = {"BABA": 7, "9988.HK": 11}[ticker]
    rng = np.random.default_rng(seed + 1000)

    results: list[tuple[datetime, pd.Timestamp]] = []
    for instant in random_instants(300, seed=seed):
        zone = ZONES[int(rng.integers(len(ZONES)))]
        local = instant.astimezone(ZoneInfo(zone))
        # the instant the function is asked about (a wall time in an ambiguous DST hour
        # maps to its first occurrence, so recompute it rather than assume `instant`)
        asked = datetime.combine(local.date(), local.time(), tzinfo=ZoneInfo(zone))
        a = align_event("prop", ticker, local.date(), local.time(), zone)

        # day 0 is a session of the security's exchange
        assert cal.is_session(a.day0), (asked, zone, a)
        # never before the news's date on the exchange's own clock
        exchange_date = pd.Timestamp(asked.astimezone(exchange_zone).date())
        assert a.day0 >= exchange_date, (asked, zone, a)
        # and it is exactly the first session whose close is after the news
        asked_ns = int(pd.Timestamp(asked).value)
        expected = session_labels[int(np.searchsorted(close_ns, asked_ns, side="right"))]
        assert a.day0 == expected, (asked, zone, a)
        # `shifted` means day 0 differs from the news's own calendar date
        assert a.shifted == (a.day0 != pd.Timestamp(local.date())), (asked, zone, a)
        results.append((asked, a.day0))

    # monotone: later news never gets an earlier day 0
    results.sort(key=lambda r: r[0])
    day0s = [d for _, d in results]
    assert all(x <= y for x, y in pairwise(day0s))


# --- the sessions kept in the cache folder between runs ------------------------------


@pytest.mark.parametrize("mic", ["XNYS", "XHKG"])
def test_cached_sessions_equal_the_exchange_calendar(mic, tmp_path, monkeypatch):
    """A calendar read back from the cache folder is the exchange calendar's, exactly."""
    from eventstudy.sessions.calendar import session_calendar

    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path))
    built = session_calendar.__wrapped__(mic)  # bypass the per-process cache
    path = tmp_path / "calendars" / f"{mic}.npz"
    assert path.is_file()
    assert not list(path.parent.glob(".*.tmp"))  # written atomically, no temp file left
    monkeypatch.setattr("eventstudy.sessions.calendar.get_calendar", _no_calendar_build)
    again = session_calendar.__wrapped__(mic)  # from the file: no calendar is built
    cal = get_calendar(mic)
    for made in (built, again):
        assert made.sessions.equals(cal.sessions) and made.sessions.dtype == cal.sessions.dtype
        assert (made.name, made.tz) == (mic, str(cal.tz))
        assert (made.first_session, made.last_session) == (cal.first_session, cal.last_session)


def _no_calendar_build(mic):
    raise AssertionError(f"the {mic} calendar was built instead of read from the cache")


def test_a_stale_or_broken_calendar_file_is_built_again(tmp_path, monkeypatch):
    from eventstudy.sessions.calendar import session_calendar

    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path))
    path = tmp_path / "calendars" / "XNYS.npz"
    session_calendar.__wrapped__("XNYS")
    with np.load(path, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    yesterday = arrays | {"end": np.array("2001-01-01"), "sessions": arrays["sessions"][:10]}
    with path.open("wb") as handle:  # another day's file: the calendar's end has moved
        np.savez(handle, **yesterday)
    assert session_calendar.__wrapped__("XNYS").sessions.equals(get_calendar("XNYS").sessions)
    with np.load(path, allow_pickle=False) as stored:
        assert len(stored["sessions"]) == len(get_calendar("XNYS").sessions)  # rewritten
    path.write_bytes(b"not an npz file")
    assert session_calendar.__wrapped__("XNYS").sessions.equals(get_calendar("XNYS").sessions)


def test_a_process_past_midnight_keeps_one_calendar_end(tmp_path, monkeypatch):
    """The end of the built calendar, the file's stamp and what is read back are one day
    (:func:`calendar_end`, fixed once per process), even when the clock passes midnight
    between them: a run started before midnight once stamped the next day's file with
    the day before's sessions, so that day's processes read a calendar one session short."""
    from eventstudy.sessions import calendar as module

    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path))
    end = module.calendar_end()
    tomorrow = pd.Timestamp.now() + pd.Timedelta(days=1)
    monkeypatch.setattr(pd.Timestamp, "now", classmethod(lambda cls, tz=None: tomorrow))
    assert module.calendar_end() == end  # the clock moved, the process's end did not
    made = module.session_calendar.__wrapped__("XNYS")
    with np.load(tmp_path / "calendars" / "XNYS.npz", allow_pickle=False) as stored:
        assert str(stored["end"]) == end
    cal = get_calendar("XNYS")
    assert made.sessions.equals(cal.sessions) and cal.last_session <= pd.Timestamp(end)
    assert (pd.Timestamp(end) - cal.last_session).days < 5  # runs up to the end: no gap


def test_the_calendar_is_built_to_calendar_end(tmp_path, monkeypatch):
    """The built calendar, the file's stamp and the sessions read back all follow
    :func:`calendar_end` (here a fixed day), not exchange_calendars' own default end."""
    from eventstudy.sessions import calendar as module

    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(module, "calendar_end", lambda: "2027-06-30")
    monkeypatch.setattr(module, "get_calendar", module.get_calendar.__wrapped__)  # unshared
    made = module.session_calendar.__wrapped__("XNYS")
    assert made.last_session == pd.Timestamp("2027-06-30")  # a Wednesday, a session
    with np.load(tmp_path / "calendars" / "XNYS.npz", allow_pickle=False) as stored:
        assert str(stored["end"]) == "2027-06-30"
    monkeypatch.setattr(module, "get_calendar", _no_calendar_build)
    assert module.session_calendar.__wrapped__("XNYS").sessions.equals(made.sessions)


def test_a_cache_folder_that_cannot_be_written_is_no_error(tmp_path, monkeypatch):
    from eventstudy.sessions.calendar import session_calendar

    blocked = tmp_path / "a-file"
    blocked.write_text("the cache folder's place is taken by a file")
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(blocked))
    assert session_calendar.__wrapped__("XNYS").sessions.equals(get_calendar("XNYS").sessions)
