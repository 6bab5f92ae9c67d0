"""Intraday bar grid, bar 0 and bar returns (eventstudy.intraday.bars/bar0/returns)."""

from __future__ import annotations

from datetime import date, time

import numpy as np
import pandas as pd
import pytest

from eventstudy.intraday.bar0 import locate_bar0, news_timestamp
from eventstudy.intraday.bars import bar_grid, bars_per_session
from eventstudy.intraday.returns import bar_returns, place_on_grid
from eventstudy.intraday.stacking import BarReturns

NY = "America/New_York"
# Wed 2024-11-27, Thanksgiving Thu 28 (closed), Fri 29 early close 13:00, Mon 2024-12-02
FIRST, LAST = date(2024, 11, 27), date(2024, 12, 2)


def _bar0(session: str, day: date, clock: time, interval: str = "5m", zone: str = NY):
    grid = bar_grid("XNYS", interval, session, FIRST, LAST)
    pos, shifted, reason = locate_bar0(grid, news_timestamp(day, clock, zone))
    return grid.local(pos), shifted, reason


def test_regular_grid_has_early_closes_and_one_overnight_bar_per_session():
    grid = bar_grid("XNYS", "5m", "regular", FIRST, LAST)
    assert bars_per_session(grid).tolist() == [78, 42, 78]  # 09:30-16:00, 09:30-13:00
    assert grid.overnight.sum() == 3
    assert [f"{t:%m-%d %H:%M}" for t in grid.local(np.flatnonzero(grid.overnight))] == [
        "11-27 09:30", "11-29 09:30", "12-02 09:30",
    ]  # fmt: skip


def test_extended_grid_runs_4_to_20_and_to_17_after_an_early_close():
    grid = bar_grid("XNYS", "5m", "extended", FIRST, LAST)
    assert bars_per_session(grid).tolist() == [192, 156, 192]  # 16 h; 13 h on Nov 29
    first, last = grid.local(0), grid.local(191)
    assert (f"{first:%H:%M}", f"{last:%H:%M}") == ("04:00", "19:55")
    early = np.flatnonzero(grid.session_of == 1)
    assert f"{grid.local(early[-1]):%H:%M}" == "16:55"
    assert grid.overnight[early[0]] and f"{grid.local(early[0]):%H:%M}" == "04:00"


def test_hourly_bars_end_at_the_close_and_hong_kong_skips_its_lunch_break():
    grid = bar_grid("XNYS", "1h", "regular", FIRST, FIRST)
    assert [f"{t:%H:%M}" for t in grid.local(np.arange(len(grid.starts)))] == [
        "09:30", "10:30", "11:30", "12:30", "13:30", "14:30", "15:30",
    ]  # fmt: skip
    assert (grid.ends[-1] - grid.starts[-1]).astype("m8[m]").astype(int) == 30
    hk = bar_grid("XHKG", "30m", "regular", date(2025, 1, 27), date(2025, 1, 27))
    clocks = [f"{t:%H:%M}" for t in hk.local(np.arange(len(hk.starts)))]
    assert "12:00" not in clocks and "12:30" not in clocks and clocks[5] == "13:00"


@pytest.mark.parametrize(
    ("session", "day", "clock", "bar", "shifted", "why"),
    [
        # before the open: the regular session's first bar; extended: the pre-market bar
        ("regular", date(2024, 12, 2), time(7, 15), "12-02 09:30", True, "before the 09:30"),
        ("extended", date(2024, 12, 2), time(7, 15), "12-02 07:15", False, "at the start"),
        ("regular", date(2024, 12, 2), time(3, 0), "12-02 09:30", True, "before the 09:30"),
        ("extended", date(2024, 12, 2), time(3, 0), "12-02 04:00", True, "before the 04:00"),
        # at a bar boundary, inside a bar
        ("regular", date(2024, 11, 27), time(10, 30), "11-27 10:30", False, "at the start"),
        ("regular", date(2024, 11, 27), time(10, 32, 59), "11-27 10:30", False, "inside"),
        ("regular", date(2024, 11, 27), time(15, 59), "11-27 15:55", False, "inside"),
        # at and after the close: the next session (Thanksgiving skipped)
        ("regular", date(2024, 11, 27), time(16, 0), "11-29 09:30", True, "16:00 close"),
        ("regular", date(2024, 11, 27), time(16, 20), "11-29 09:30", True, "16:00 close"),
        ("extended", date(2024, 11, 27), time(16, 0), "11-27 16:00", False, "at the start"),
        ("extended", date(2024, 11, 27), time(16, 20), "11-27 16:20", False, "at the start"),
        ("extended", date(2024, 11, 27), time(20, 0), "11-29 04:00", True, "20:00 close"),
        # a holiday and a weekend
        ("regular", date(2024, 11, 28), time(12, 0), "11-29 09:30", True, "holiday"),
        ("regular", date(2024, 11, 30), time(12, 0), "12-02 09:30", True, "Saturday"),
        ("extended", date(2024, 12, 1), time(18, 0), "12-02 04:00", True, "Sunday"),
        # the early close (13:00) of 2024-11-29
        ("regular", date(2024, 11, 29), time(12, 57), "11-29 12:55", False, "inside"),
        ("regular", date(2024, 11, 29), time(13, 0), "12-02 09:30", True, "13:00 close"),
        ("extended", date(2024, 11, 29), time(13, 0), "11-29 13:00", False, "at the start"),
        ("extended", date(2024, 11, 29), time(17, 0), "12-02 04:00", True, "17:00 close"),
    ],
)
def test_bar0(session, day, clock, bar, shifted, why):
    local, moved, reason = _bar0(session, day, clock)
    assert f"{local:%m-%d %H:%M}" == bar
    assert moved is shifted
    assert why in reason


def test_bar0_reads_the_news_in_its_own_time_zone():
    # 23:00 in Hong Kong on 2024-11-27 is 10:00 in New York
    local, shifted, _ = _bar0("regular", date(2024, 11, 27), time(23, 0), zone="Asia/Hong_Kong")
    assert f"{local:%m-%d %H:%M}" == "11-27 10:00" and not shifted


def _grid_of_two_sessions():
    return bar_grid("XNYS", "1h", "regular", date(2024, 11, 26), date(2024, 11, 27))


def test_bar_returns_within_a_session_and_across_the_night():
    grid = _grid_of_two_sessions()  # 7 + 7 hourly bars
    closes = np.arange(1.0, 15.0) * 10.0
    ret = bar_returns(closes, grid)
    assert np.isnan(ret[0])  # no session before the grid
    np.testing.assert_allclose(ret[1:7], closes[1:7] / closes[:6] - 1, rtol=1e-15)
    assert grid.overnight[7]
    np.testing.assert_allclose(ret[7], closes[7] / closes[6] - 1, rtol=1e-15)


def test_a_missing_close_breaks_both_returns_and_the_night_uses_the_last_close():
    grid = _grid_of_two_sessions()
    closes = np.arange(1.0, 15.0) * 10.0
    closes[3] = np.nan
    closes[6] = np.nan  # the first session's last bar is missing
    ret = bar_returns(closes, grid)
    assert np.isnan(ret[3]) and np.isnan(ret[4])
    # the overnight bar runs from the previous session's last *priced* bar
    np.testing.assert_allclose(ret[7], closes[7] / closes[5] - 1, rtol=1e-15)
    closes[:7] = np.nan  # no price at all the session before: no overnight return
    assert np.isnan(bar_returns(closes, grid)[7])


def test_closes_off_the_grid_are_counted_not_placed():
    grid = bar_grid("XNYS", "5m", "regular", FIRST, FIRST)
    stamps = pd.DatetimeIndex(
        ["2024-11-27 14:30", "2024-11-27 14:35", "2024-11-27 13:00", "2024-11-27 14:37"]
    )  # 09:30, 09:35 ET; 08:00 ET pre-market; 09:37 off the 5-minute clock
    placed, off = place_on_grid(pd.Series([1.0, 2.0, 3.0, 4.0], index=stamps), grid)
    assert placed[0] == 1.0 and placed[1] == 2.0 and np.isnan(placed[2:]).all()
    assert off == 1  # the 08:00 bar lies before the grid's first bar; 09:37 is counted


def test_the_return_into_a_split_session_is_set_missing():
    grid = _grid_of_two_sessions()
    closes = pd.Series(
        np.r_[np.full(7, 100.0), np.full(7, 50.0)], index=pd.DatetimeIndex(grid.starts)
    )
    split_at = pd.DatetimeIndex([grid.starts[8]])  # Yahoo marks a bar of the split day
    bars = BarReturns({"X": closes}, {"XNYS": grid}, {"X": split_at})
    ret = bars.returns("X", "XNYS")
    assert np.isnan(ret[7])  # the overnight bar would book the 2:1 split as -50%
    assert ret[8] == 0.0 and ret[6] == 0.0
