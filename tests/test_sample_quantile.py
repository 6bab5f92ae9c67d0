"""Sample-quantile p-values (Gelbach, Helland & Klick 2013): definition, size, pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import eventstudy as es
from eventstudy.models.sample_quantile import MIN_SQ_SUMS, sq_pvalue
from tests.conftest import FrameSource, market_model_prices


def loop_sq(car: float, residuals: np.ndarray, length: int) -> tuple[float, int]:
    """The definition, transcribed: sums over runs of L present residuals, then quantiles."""
    sums = []
    for j in range(len(residuals) - length + 1):
        run = residuals[j : j + length]
        if all(np.isfinite(x) for x in run):
            total = 0.0
            for x in run:
                total += x
            sums.append(total)
    m = len(sums)
    if m < MIN_SQ_SUMS or not np.isfinite(car):
        return float("nan"), m
    lo = sum(s <= car for s in sums) / m
    hi = sum(s >= car for s in sums) / m
    return min(1.0, 2 * max(min(lo, hi), 1 / m)), m  # beyond every sum: 2/m, not 0


def test_sq_equals_the_definition_with_masked_and_missing_days() -> None:
    rng = np.random.default_rng(3)
    res = rng.standard_t(4, size=(60, 120)) * 0.01
    res[rng.random(res.shape) < 0.05] = np.nan  # missing returns
    res[:, 40:43] = np.nan  # a masked block around another event
    res[7, :] = np.nan  # a pair with no residual at all
    res[9, 15:] = np.nan  # too few runs: m < 20
    lengths = rng.integers(1, 12, size=60)
    car = rng.normal(0, 0.03, 60)
    car[4] = np.nan
    car[5] = np.nansum(res[5, 0:3]) if np.isfinite(res[5, 0:3]).all() else 0.0  # a tie
    p, m = sq_pvalue(car, res, lengths)
    for i in range(60):
        want_p, want_m = loop_sq(car[i], res[i], int(lengths[i]))
        assert m[i] == want_m
        if np.isnan(want_p):
            assert np.isnan(p[i])
        else:
            assert p[i] == pytest.approx(want_p, abs=1e-12)
    assert m[7] == 0 and np.isnan(p[7])
    assert np.isnan(p[9]) and 0 < m[9] < MIN_SQ_SUMS


def test_a_planted_effect_reaches_the_smallest_attainable_p() -> None:
    rng = np.random.default_rng(5)
    res = rng.normal(0, 0.01, size=(3, 240))
    p, m = sq_pvalue(np.array([-0.2, 0.2, 0.0]), res, 2)
    assert (m == 239).all()
    assert p[0] == pytest.approx(2 / 239) and p[1] == pytest.approx(2 / 239)
    assert p[2] > 0.5


def test_sq_holds_its_size_under_student_t3_residuals() -> None:
    rng = np.random.default_rng(11)
    n, days = 4000, 240
    draws = rng.standard_t(3, size=(n, days + 2)) * 0.015
    res, event = draws[:, :days], draws[:, days:].sum(axis=1)  # CAR[0,+1] under the null
    p, _ = sq_pvalue(event, res, 2)
    for level in (0.05, 0.10):
        rate = (p < level).mean()
        band = 3 * np.sqrt(level * (1 - level) / n)
        assert abs(rate - level) < band + 0.01, (level, rate)
    # the normal-theory t-test on the same draws over-rejects at 1% (fat tails)
    t = event / (res.std(axis=1, ddof=1) * np.sqrt(2))
    assert (2 * stats.t.sf(np.abs(t), days - 1) < 0.01).mean() > (p < 0.01).mean()


@pytest.fixture(scope="module")
def run() -> es.StudyResult:
    prices = market_model_prices(planted={"2024-06-03": -0.05}, noise=0.01)
    events = pd.DataFrame({"ticker": ["STK", "STK"], "date": ["2024-06-03", "2024-09-03"]})
    study = es.Study.from_frame(events, benchmark="SPY", mask_window=(-2, 2))
    return study.run(source=FrameSource(prices), tests="none")


def test_car_csv_sq_columns_recompute_from_the_fit(run: es.StudyResult) -> None:
    car = run.car
    assert list(car.columns[-2:]) == ["car_p_sq", "sq_m"]
    group = run.estimates[0]
    for row in car.itertuples():
        i = next(k for k, p in enumerate(group.pairs) if p.event_id == row.event_id)
        want_p, want_m = loop_sq(row.car, group.residuals[i], int(row.n_days))
        assert row.sq_m == want_m
        assert row.car_p_sq == pytest.approx(want_p, abs=1e-12)
    # the first event is masked out of the second's estimation window: fewer runs
    first, second = (car["event_id"] == car["event_id"][0]), (car["event_id"] != car["event_id"][0])
    assert (car.loc[first, "sq_m"] == 240 - car.loc[first, "n_days"] + 1).all()
    assert (car.loc[second, "sq_m"] < 240 - car.loc[second, "n_days"] + 1).all()
    planted = car[(car["event_id"] == car["event_id"][0]) & (car["window_start"] == 0)]
    assert planted.loc[planted["window_end"] == 0, "car_p_sq"].iloc[0] < 0.01


def test_too_few_runs_leave_the_sq_p_empty_with_a_note() -> None:
    prices = market_model_prices()
    events = pd.DataFrame({"ticker": ["STK"], "date": ["2024-06-03"]})
    study = es.Study.from_frame(
        events, estimation_window=(-30, -11), min_estimation_returns=10,
        car_windows=[(0, 0), (-5, 5)],
    )  # fmt: skip
    result = study.run(source=FrameSource(prices), tests="none")
    wide = result.car_window(-5, 5)
    assert wide["sq_m"].iloc[0] == 10 and wide["car_p_sq"].isna().all()
    assert result.car_window(0, 0)["car_p_sq"].notna().all()
    text = result.summary((-5, 5)).as_text()
    assert "car_p_sq is empty for 1 pair-window rows" in text
    assert "p SQ" in text
