"""Studies before 2000: the calendars reach back to the first estimation window needed."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import eventstudy as es
from eventstudy.cli.app import app
from eventstudy.core.errors import SkippedPairsWarning
from eventstudy.sessions.calendar import calendar_start, sessions


def _nineties_prices() -> pd.DataFrame:
    """Synthetic XNYS prices 1995-1999 for SPY and AAA (AAA = 0.5 x SPY + noise)."""
    days = pd.bdate_range("1995-01-03", "1999-12-31", name="date")
    rng = np.random.default_rng(1998)
    market = rng.normal(0.0004, 0.01, len(days))
    own = 0.5 * market + rng.normal(0, 0.01, len(days))
    own[days.get_loc(pd.Timestamp("1998-03-05"))] += 0.08  # the planted event
    return pd.DataFrame(
        {"SPY": 100 * np.exp(np.cumsum(market)), "AAA": 50 * np.exp(np.cumsum(own))}, index=days
    )


def _on_sessions(frame: pd.DataFrame, mic: str = "XNYS") -> pd.DataFrame:
    """The rows on ``mic`` sessions (exchange_calendars' own, from the frame's start)."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its pandas deprecation warnings
        days = xcals.get_calendar(mic, start=frame.index[0]).sessions
    return frame[frame.index.isin(days)]


def test_a_1998_event_study_runs_on_1990s_prices_in_a_dataframe() -> None:
    events = pd.DataFrame({"date": ["1998-03-05"], "ticker": ["AAA"]})
    study = es.Study.from_frame(events, name="nineties", benchmark="SPY")
    prices = _nineties_prices()
    result = study.run(prices=_on_sessions(prices))
    day0 = result.car_window(0, 0)
    assert day0["day0"].tolist() == ["1998-03-05"]
    assert day0["car"].iloc[0] == pytest.approx(0.08, abs=0.03)
    models = result.models
    assert models["est_start"].iloc[0] < "1997-04-01" and models["n_est"].iloc[0] == 240
    assert calendar_start("XNYS") == "1997-01-01"  # 250 sessions and padding before day 0


def test_a_1998_event_study_runs_from_a_csv_on_the_command_line(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    _on_sessions(_nineties_prices()).to_csv(prices)
    events = tmp_path / "events.csv"
    events.write_text("date,ticker\n1998-03-05,AAA\n", encoding="utf-8")
    args = ["run", events, "--prices", prices, "--benchmark", "SPY", "--no-plots"]
    outcome = CliRunner().invoke(app, [str(a) for a in [*args, "--out", tmp_path / "out"]])
    assert outcome.exit_code == 0, outcome.output
    car = pd.read_csv(tmp_path / "out" / "events" / "car.csv")
    assert set(car["day0"]) == {"1998-03-05"} and car["car_se"].notna().all()


def test_an_estimation_window_before_the_calendar_limit_is_skipped_naming_the_limit() -> None:
    """XHKG is known from 1960: a 1960 event's estimation window runs off the calendar."""
    days = sessions("XHKG")[:5]  # the default calendar; the run reaches back below
    assert days[0] >= pd.Timestamp("2000-01-01")
    events = pd.DataFrame({"date": ["1960-03-01", "1962-06-01"], "ticker": ["0005.HK"] * 2})
    study = es.Study.from_frame(events, name="hk", benchmark="2800.HK")
    grid = pd.bdate_range("1960-01-04", "1962-12-31", name="date")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {t: 10 * np.exp(np.cumsum(rng.normal(0, 0.01, len(grid)))) for t in ["0005.HK", "2800.HK"]},
        index=grid,
    )
    with pytest.warns(SkippedPairsWarning) as caught:
        result = study.run(prices=_on_sessions(frame, "XHKG"))
    assert calendar_start("XHKG") == "1960-01-01"
    assert result.skipped["reason"].tolist() == [
        "estimation or event window runs past the XHKG calendar (sessions from 1960-01-01 "
        f"to {sessions('XHKG')[-1]:%Y-%m-%d})"
    ]
    assert "1 of 2 (event, security) pairs skipped" in str(caught[0].message)
