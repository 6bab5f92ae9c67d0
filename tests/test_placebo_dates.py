"""Same-date placebo studies: placebo_tests.csv and tests.csv p_placebo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.sessions.calendar import sessions
from eventstudy.study import parse_study
from tests.conftest import FrameSource, market_model_prices


@pytest.fixture(scope="module")
def result() -> es.StudyResult:
    prices = market_model_prices(noise=0.012, planted={"2024-03-04": -0.05})
    prices["TWO"] = market_model_prices(seed=9, beta=0.8, planted={"2024-03-04": -0.05})["STK"]
    raw = {
        "study": {"name": "pd", "securities": ["STK", "TWO"], "placebo": 30},
        "events": [
            {"id": "shock", "date": "2024-03-04", "title": "both fall"},
            {"id": "quiet", "date": "2024-10-01", "title": "nothing"},
            {"id": "one", "date": "2024-07-01", "title": "one", "securities": ["STK"]},
        ],
    }
    return parse_study(raw).run(source=FrameSource(prices), tests="cs_t,bmp_t")


def test_placebo_tests_csv_and_p_placebo_recompute(result: es.StudyResult, tmp_path: Path) -> None:
    written = result.save(tmp_path, plots=False)
    table = pd.read_csv(written["placebo_tests"])
    same = result.placebo_dates()
    assert same is not None and same.securities == ("STK", "TWO")
    dates = same.tests["group"].unique()
    assert len(dates) == 30
    assert (table["n_dates"] == 30).all() and (table["n_securities"] == 2).all()
    for row in table.itertuples():
        p = same.tests[
            (same.tests["test"] == row.test)
            & (same.tests["window_start"] == row.window_start)
            & (same.tests["window_end"] == row.window_end)
        ]["p_value"]
        assert row.rejection_rate == pytest.approx((p < row.level).mean())
    tests = pd.read_csv(written["tests"])
    assert list(tests.columns[-2:]) == ["p_placebo", "validity"]
    for row in tests.itertuples():
        if row.group not in ("event:shock", "event:quiet"):
            assert np.isnan(row.p_placebo)  # not a same-date design of STK and TWO
            continue
        p = same.tests[
            (same.tests["test"] == row.test)
            & (same.tests["window_start"] == row.window_start)
            & (same.tests["window_end"] == row.window_end)
        ]["p_value"]
        assert row.p_placebo == pytest.approx((1 + (p <= row.p_value).sum()) / (1 + len(p)))
    shared = tests["group"].isin(["event:shock", "event:quiet"])
    assert tests.loc[shared, "p_placebo"].between(1 / 31, 1).all()


def test_every_placebo_date_concerns_all_shared_securities(result: es.StudyResult) -> None:
    same = result.placebo_dates()
    assert same is not None
    assert set(same.tests["n"]) == {2}
    grid = sessions("XNYS")
    assert result.placebo is not None
    car = result.placebo.car
    for ticker, dates in (("STK", ["2024-03-04", "2024-10-01", "2024-07-01"]),
                          ("TWO", ["2024-03-04", "2024-10-01"])):  # fmt: skip
        drawn = grid.get_indexer(pd.to_datetime(car.loc[car["ticker"] == ticker, "day0"]))
        real = grid.get_indexer(pd.to_datetime(dates))
        assert (np.abs(drawn[:, None] - real[None, :]) > 20).all()
