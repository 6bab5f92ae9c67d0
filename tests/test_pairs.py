"""pairs.py and confounders.py: sorted searches equal the one-by-one definitions."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy.core.errors import EventStudyError
from eventstudy.sessions.calendar import align_event, sessions
from eventstudy.sessions.confounders import neighbours, reach_of
from eventstudy.sessions.pairs import align_study, plan_prices
from eventstudy.study import parse_study


def _mixed_study():
    """Dates on sessions, weekends and holidays, with and without times, two exchanges."""
    rng = np.random.default_rng(3)
    tickers = ["BABA", "NVDA", "9988.HK", "0700.HK"]
    days = ["2024-11-16", "2024-11-18", "2024-12-25", "2024-07-04", "2024-01-02", "2024-10-11"]
    events = []
    for k in range(60):
        event = {"id": f"e{k:02d}", "date": days[k % len(days)], "title": "E"}
        if k % 3 == 1:
            event["time"] = ["08:00", "12:30", "16:30"][k % 3]
        if k % 7 == 0:
            event |= {"time": "10:00", "timezone": "Asia/Hong_Kong"}
        if k % 2:
            event["securities"] = list(rng.choice(tickers, rng.integers(1, 4), replace=False))
        if k % 11 == 0:
            event["role"] = "confounder"
        events.append(event)
    study = {"name": "mixed", "securities": tickers, "benchmark": "SPY"}
    return parse_study({"study": study, "events": events})


def test_align_study_equals_align_event_pair_by_pair():
    study = _mixed_study()
    pairs = align_study(study)
    expected = [
        (e.id, t, align_event(e.id, t, e.date, e.time, study.timezone_for(e)))
        for e in study.select(None)
        for t in study.securities_for(e)
    ]
    assert [(p.event_id, p.ticker) for p in pairs] == [(i, t) for i, t, _ in expected]
    assert [p.alignment for p in pairs] == [a for _, _, a in expected]
    assert {p.alignment.exchange for p in pairs} == {"XNYS", "XHKG"}
    assert any(p.alignment.shifted for p in pairs) and not all(p.alignment.shifted for p in pairs)


def test_a_date_off_the_calendar_is_an_error_naming_the_event_and_the_limit():
    study = parse_study(
        {
            "study": {"name": "t", "securities": ["9988.HK"]},
            "events": [
                {"id": "ok", "date": "2024-11-18", "title": "E"},
                {"id": "early", "date": "1955-01-03", "title": "E"},
            ],
        }
    )
    with pytest.raises(EventStudyError) as info:
        align_study(study)
    assert info.value.event_id == "early"
    assert str(info.value) == (
        "event 'early': field 'date': date 1955-01-03 is outside the XHKG calendar "
        f"(1960-01-01..{sessions('XHKG')[-1]:%Y-%m-%d}); exchange_calendars knows XHKG "
        "sessions from 1960-01-01"
    )


def test_plan_prices_spans_are_the_sessions_around_day0():
    study = _mixed_study()
    pairs = align_study(study)
    plan = plan_prices(study, pairs)
    first = study.study.estimation_window[0] - 1 - 5
    last = study.study.event_window[1]
    assert len(plan.spans) == len(pairs) and not plan.skipped
    for pair, start, end in plan.spans:
        grid = sessions(pair.alignment.exchange)
        pos = grid.get_loc(pair.alignment.day0)
        assert (start, end) == (grid[pos + first].date(), grid[pos + last].date())


def test_neighbours_equal_the_all_events_definition():
    study = _mixed_study()
    pairs = align_study(study)
    near = neighbours(study, pairs)
    lo, hi = reach_of(study.study)
    for row, pair in enumerate(pairs):
        grid = sessions(pair.alignment.exchange)
        here = grid.get_loc(pair.alignment.day0)
        expected = []
        for e in study.events:
            if e.id == pair.event_id or pair.ticker not in study.securities_for(e):
                continue
            day0 = align_event(e.id, pair.ticker, e.date, e.time, study.timezone_for(e)).day0
            offset = grid.get_loc(day0) - here
            if lo <= offset <= hi:
                expected.append((e.id, offset))
        assert near.near(row, (lo, hi)) == sorted(expected, key=lambda x: x[1])
    assert near.offset.size > 0
    half = np.arange(0, len(pairs), 2)
    taken = near.take(half)
    assert [taken.near(i, (lo, hi)) for i in range(len(half))] == [
        near.near(r, (lo, hi)) for r in half
    ]
