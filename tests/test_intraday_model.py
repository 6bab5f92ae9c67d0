"""Intraday estimation against independent computations (statsmodels OLS, hand-worked
placebo), the overnight bar's exclusion and the demo's planted jumps."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.intraday.demo import PLANTED_JUMPS
from eventstudy.intraday.run import run_intraday
from eventstudy.intraday.sources import bar_table
from eventstudy.intraday.tod import BarClock, tod_pvalues
from eventstudy.models.estimation import Stacked
from eventstudy.models.fits import fit_constant_mean
from eventstudy.study import parse_study

NY = "America/New_York"
EST, EVT, CARS = (-200, -14), (-3, 6), [(0, 0), (0, 2)]


def _bars_by_hand(first: str, last: str) -> pd.DatetimeIndex:
    """30-minute regular-session bar starts (UTC, naive), built from the schedule alone."""
    from eventstudy.sessions.calendar import (
        get_calendar,  # exchange_calendars, its warnings silenced
    )

    schedule = get_calendar("XNYS").schedule.loc[first:last]
    starts = [
        pd.date_range(row.open, row.close, freq="30min", inclusive="left")
        for row in schedule.itertuples()
    ]
    return pd.DatetimeIndex(np.concatenate([s.tz_convert("UTC").tz_localize(None) for s in starts]))


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    stamps = _bars_by_hand("2024-10-21", "2024-12-06")  # holds the 2024-11-29 early close
    rng = np.random.default_rng(7)
    market = rng.normal(0, 0.002, len(stamps))
    own = 0.0001 + 1.3 * market + rng.normal(0, 0.003, len(stamps))
    frame = pd.DataFrame(
        {"SPY": 500 * np.cumprod(1 + market), "NVDA": 140 * np.cumprod(1 + own)}, index=stamps
    )
    frame.iloc[17, 1] = np.nan  # one missing NVDA bar
    return frame


class _Frames:
    """A bar source serving fixed closes (what a csv or Yahoo source would deliver)."""

    name = "frames"
    synthetic = False

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def load_bars(self, tickers, start, end):
        return bar_table({t: self.frame[t] for t in self.frame}, tickers, start, end, self.name)


def _study(**settings):
    raw = {
        "study": {
            "name": "intraday-test", "securities": ["NVDA"], "interval": "30m",
            "estimation_window": list(EST), "event_window": list(EVT),
            "car_windows": [list(w) for w in CARS], "min_estimation_returns": 100, **settings,
        },
        "events": [
            {"id": "noon-news", "date": "2024-12-03", "time": "10:47", "title": "News"},
            {"id": "after-early-close", "date": "2024-11-29", "time": "13:10", "title": "News"},
        ],
    }  # fmt: skip
    return parse_study(raw, "<test>")


def _independent(prices: pd.DataFrame, bar0_utc: str, skip_overnight: bool):
    """Bar returns, the estimation sample and a statsmodels OLS fit, from scratch."""
    local = prices.index.tz_localize("UTC").tz_convert(NY)
    day = pd.Series(local.date, index=prices.index)
    returns = prices / prices.shift(1) - 1  # within a session: the previous bar
    first = day != day.shift(1)
    for t in prices:  # first bar of a session: from the last priced close of the one before
        last_close = prices[t].groupby(day.to_numpy()).last()  # last non-missing close
        prev = day[first].map(
            dict(zip(last_close.index[1:], last_close.to_numpy()[:-1], strict=True))
        )
        returns.loc[first, t] = prices.loc[first, t] / prev - 1
    pos = prices.index.get_loc(pd.Timestamp(bar0_utc))
    est = np.arange(pos + EST[0], pos + EST[1] + 1)
    # the other event's bar 0 (2024-12-02 09:30 ET) masks bars -2..+6 around it (the 30m
    # default mask_window); 09:30 is also an overnight bar
    other = prices.index.get_loc(pd.Timestamp("2024-12-02 14:30"))
    est = est[(est < other - 2) | (est > other + 6)]
    keep = est[~first.to_numpy()[est]] if skip_overnight else est
    sample = returns.iloc[keep].dropna()
    ols = sm.OLS(sample["NVDA"], sm.add_constant(sample["SPY"])).fit()
    return returns, pos, ols, first


@pytest.mark.parametrize("skip_overnight", [True, False])
def test_ars_and_car_se_equal_statsmodels_ols_on_the_bar_returns(prices, skip_overnight):
    study = _study(estimation_skip_overnight=skip_overnight)
    result = run_intraday(study, source=_Frames(prices))
    returns, pos, ols, first = _independent(prices, "2024-12-03 15:30", skip_overnight)
    model = result.models.set_index("event_id").loc["noon-news"]
    alpha, beta = ols.params["const"], ols.params["SPY"]
    assert model["n_est"] == ols.nobs
    assert model["n_masked"] == 4  # bars -17..-14 of the estimation window [-200, -14]
    assert model["alpha"] == pytest.approx(alpha, abs=1e-10)
    assert model["beta"] == pytest.approx(beta, rel=1e-10)
    assert model["sigma"] == pytest.approx(np.sqrt(ols.scale), rel=1e-10)
    ar = result.abnormal_returns.query("event_id == 'noon-news'").set_index("rel_bar")
    bars = np.arange(pos + EVT[0], pos + EVT[1] + 1)
    expected = returns["NVDA"].iloc[bars] - alpha - beta * returns["SPY"].iloc[bars]
    np.testing.assert_allclose(ar["ar"].to_numpy(), expected.to_numpy(), rtol=0, atol=1e-10)
    assert ar.loc[0, "timestamp"] == "2024-12-03T10:30:00-05:00"
    assert ar["overnight"].to_numpy().tolist() == first.iloc[bars].tolist()
    # MacKinlay (1997) Var(CAR) = s^2 (L + g' X* (X'X)^-1 X*' g) over bars 0..2
    x_star = sm.add_constant(returns["SPY"].iloc[pos : pos + 3].to_numpy(), has_constant="add")
    a = x_star.sum(axis=0)
    var = ols.scale * (3 + a @ ols.normalized_cov_params.to_numpy() @ a)
    car = result.car.query("event_id == 'noon-news' and window_end == 2").iloc[0]
    assert car["car"] == pytest.approx(expected.iloc[3:6].sum(), abs=1e-10)
    assert car["car_se"] == pytest.approx(np.sqrt(var), rel=1e-10)
    assert car["bar0"] == "2024-12-03T10:30:00-05:00"


def test_the_overnight_bar_is_left_out_of_the_estimation_window(prices):
    skip = run_intraday(_study(), source=_Frames(prices)).models.set_index("event_id")
    keep = run_intraday(_study(estimation_skip_overnight=False), source=_Frames(prices))
    keep_models = keep.models.set_index("event_id")
    _, pos, _, first = _independent(prices, "2024-12-03 15:30", True)
    est = first.iloc[pos + EST[0] : pos + EST[1] + 1].to_numpy()
    overnight_in_est = int(est[:-4].sum())  # the last 4 are masked around the other event
    assert overnight_in_est >= 13  # 187 bars of 13 per session, one masked
    diff = keep_models.loc["noon-news", "n_est"] - skip.loc["noon-news", "n_est"]
    assert diff == overnight_in_est


def test_news_after_an_early_close_moves_to_the_next_session(prices):
    result = run_intraday(_study(), source=_Frames(prices))
    a = {x.event_id: x for x in result.alignments}["after-early-close"]
    assert a.shifted and a.bar0.isoformat() == "2024-12-02T09:30:00-05:00"
    assert "13:00 close" in a.reason
    assert result.manifest()["alignment"][1]["bar0"] == "2024-12-02T09:30:00-05:00"


def test_time_of_day_placebo_by_hand():
    # one pair, 4 sessions of 3 bars; clock 0, 1, 2 in every session; bar 0 is bar 9
    # (session 3, clock 0); estimation window = bars -9..-1 (sessions 0-2)
    returns = np.array([[0.01, 0.0, 0.0, -0.03, 0.0, 0.0, 0.02, 0.5, 0.0, 0.025, 0.0, 0.0]])
    data = Stacked(returns, np.zeros_like(returns), np.empty((1, 12, 0)),
                   np.zeros((1, 12), bool), np.zeros((1, 12), "M8[ns]"), -9)  # fmt: skip
    clock = BarClock(np.repeat(np.arange(4), 3)[None], np.tile(np.arange(3), 4)[None],
                     (np.arange(12) % 3 == 0)[None])  # fmt: skip
    fit = fit_constant_mean(np.zeros((1, 9)))  # mean 0: AR = R
    fit = type(fit)(**{**fit.__dict__, "coef": np.zeros((1, 1))})
    # [0, 0]: placebo CARs at clock 0 of sessions 0, 1, 2: 0.01, -0.03, 0.02; |CAR| = 0.025
    p, n = tod_pvalues(fit, data, clock, (-9, -1), (0, 0), np.array([0.025]))
    assert n[0] == 3 and p[0] == pytest.approx((1 + 1) / (1 + 3))
    # [0, 1]: windows 0.01, -0.03, 0.52 (session 2's window ends at bar -2: inside)
    p, n = tod_pvalues(fit, data, clock, (-9, -1), (0, 1), np.array([0.025]))
    assert n[0] == 3 and p[0] == pytest.approx((1 + 2) / (1 + 3))
    # [0, 3]: session 2's window would end at bar 0, outside the estimation window;
    # sessions 0 and 1 give -0.02 and -0.01, neither as large as 0.025
    p, n = tod_pvalues(fit, data, clock, (-9, -1), (0, 3), np.array([0.025]))
    assert n[0] == 2 and p[0] == pytest.approx(1 / 3)
    # a bar masked around another event (session 1's second bar) removes that session
    masked = np.zeros((1, 9), dtype=bool)
    masked[0, 4] = True
    p, n = tod_pvalues(fit, data, clock, (-9, -1), (0, 1), np.array([0.025]), masked)
    assert n[0] == 2 and p[0] == pytest.approx((1 + 1) / (1 + 2))
    # [-1, 0]: the anchor at session 0's first bar has no bar -1 inside the window
    p, n = tod_pvalues(fit, data, clock, (-9, -1), (-1, 0), np.array([0.025]))
    assert n[0] == 2


@pytest.fixture(scope="module")
def demo_study():
    from eventstudy.study import load_study

    return load_study("examples/intraday.yaml")


def test_planted_jump_in_regular_hours_is_recovered(demo_study):
    result = run_intraday(demo_study, source="demo")
    row = result.car.query("event_id == 'demo-midday' and ticker == 'NVDA' and window_end == 0")
    row = row.iloc[0]
    jump = PLANTED_JUMPS[("NVDA", "2025-03-26T11:00:00-04:00")]
    assert row["bar0"] == "2025-03-26T11:00:00-04:00"
    assert row["car"] == pytest.approx(jump, abs=0.004)
    assert row["car_t"] > 4 and row["car_p"] < 1e-4
    assert row["n_tod"] >= 25 and row["car_p_tod"] == pytest.approx(1 / (1 + row["n_tod"]))
    null = result.car.query("event_id == 'demo-midday' and ticker == 'BABA' and window_end == 0")
    assert null.iloc[0]["car_p_tod"] > 0.2
    # pre-market news with session: regular: bar 0 is the 09:30 overnight bar, which
    # carries the 07:15 jump (and the night's noise)
    ar = result.abnormal_returns.query("event_id == 'demo-premarket' and rel_bar == 0")
    assert ar["overnight"].all() and ar["timestamp"].eq("2025-04-02T09:30:00-04:00").all()
    baba = result.car.query("event_id == 'demo-premarket' and ticker == 'BABA' and window_end == 0")
    assert baba.iloc[0]["car"] == pytest.approx(0.04, abs=0.01)


def test_other_events_are_masked_in_bars_and_kept_out_of_the_placebo(demo_study):
    result = run_intraday(demo_study, source="demo")
    masked = result.models.set_index(["event_id", "ticker"])["n_masked"]
    # mask_window [-12, 24] (the 5m event window): 37 bars around each earlier event's
    # bar 0 in the 30-session estimation window; none before the first event
    assert masked.loc[("demo-midday", "NVDA")] == 0
    assert masked.loc[("demo-premarket", "NVDA")] == 37
    assert masked.loc[("demo-afterclose", "NVDA")] == 74
    tod = result.car.set_index(["event_id", "ticker", "window_end"])["n_tod"]
    # the afterclose pair's 09:30 placebo on 2025-04-02 holds the premarket event's bars
    assert tod.loc[("demo-midday", "NVDA", 0)] == 29
    assert tod.loc[("demo-afterclose", "NVDA", 0)] == 28


def test_pre_market_jump_is_bar_0_in_extended_mode(demo_study):
    settings = demo_study.study.model_copy(
        update={"session": "extended", "estimation_window": (-1900, -80)}
    )
    study = demo_study.model_copy(update={"study": settings})
    result = run_intraday(study, source="demo")
    row = result.car.query("event_id == 'demo-premarket' and ticker == 'BABA' and window_end == 0")
    row = row.iloc[0]
    assert row["bar0"] == "2025-04-02T07:15:00-04:00"
    assert row["car"] == pytest.approx(
        PLANTED_JUMPS[("BABA", "2025-04-02T07:15:00-04:00")], abs=0.003
    )
    assert row["car_t"] > 10
    assert row["car_p_tod"] == pytest.approx(1 / (1 + row["n_tod"])) and row["n_tod"] >= 8
    after = result.car.query(
        "event_id == 'demo-afterclose' and ticker == 'NVDA' and window_end == 0"
    )
    assert after.iloc[0]["bar0"] == "2025-04-09T16:20:00-04:00"
    assert after.iloc[0]["car"] == pytest.approx(-0.03, abs=0.003)
    # with extended hours the 07:15 bar is no overnight bar (the 04:00 bar is)
    ar = result.abnormal_returns.query("event_id == 'demo-premarket' and rel_bar == 0")
    assert not ar["overnight"].any()
    assert date(2025, 4, 2) == pd.Timestamp(row["bar0"]).date()


def test_tests_csv_cross_sectional_t_equals_a_one_sample_t_on_the_bar_cars(demo_study):
    from scipy import stats

    result = run_intraday(demo_study, source="demo")
    row = result.tests().query("group == 'all' and window_end == 0 and test == 'cs_t'").iloc[0]
    cars = result.car.query("window_end == 0")["car"].to_numpy()
    expected = stats.ttest_1samp(cars, 0.0)
    assert row["n"] == 6
    assert row["statistic"] == pytest.approx(expected.statistic, rel=1e-10)
    assert row["p_value"] == pytest.approx(expected.pvalue, rel=1e-8)
