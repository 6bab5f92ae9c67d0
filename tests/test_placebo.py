"""Placebo studies: drawn dates, equality with a real run, p-values, size, seeding, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.cli.app import optional_placebo_value
from eventstudy.sessions.calendar import sessions
from eventstudy.study import parse_study
from tests.conftest import FrameSource, market_model_prices

EVENTS = [
    {"id": "news-a", "date": "2024-03-04", "title": "a", "securities": ["STK"]},
    {"id": "news-b", "date": "2024-09-16", "title": "b"},
    {"id": "earnings", "date": "2024-06-12", "title": "c", "role": "confounder"},
]
COMPARED = ["car", "car_se", "car_t", "car_p", "car_p_sq"]


def study(model: str = "market", events: list[dict] | None = None, **settings: object) -> es.Study:
    raw = {
        "study": {"name": "pl", "securities": ["STK"], "model": model, **settings},
        "events": events or EVENTS,
    }
    return parse_study(raw)


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return market_model_prices(noise=0.012, planted={"2024-03-04": -0.06})


@pytest.fixture(scope="module")
def result(prices: pd.DataFrame) -> es.StudyResult:
    return study(placebo=40, placebo_seed=3).run(source=FrameSource(prices), tests="none")


@pytest.mark.parametrize("model", ["market", "constant-mean", "market-adjusted", "dimson"])
def test_a_placebo_car_equals_a_real_run_with_an_event_on_that_date(
    prices: pd.DataFrame, model: str
) -> None:
    placebo = study(model, placebo=12).run(source=FrameSource(prices), tests="none").placebo
    assert placebo is not None
    days = sorted(placebo.car["day0"].unique())
    for day in (days[0], days[len(days) // 2], days[-1]):
        extra = {"id": "on-that-day", "date": day, "title": "x", "securities": ["STK"]}
        real = study(model, events=[*EVENTS, extra]).run(
            source=FrameSource(prices), event_ids=["on-that-day"], tests="none"
        )
        mine = placebo.car[placebo.car["day0"] == day].reset_index(drop=True)
        assert len(mine) == len(real.car) == 5
        assert (mine["model"] == model).all()
        for column in COMPARED:
            np.testing.assert_allclose(mine[column], real.car[column], rtol=1e-10, atol=1e-14)


def test_placebo_dates_avoid_every_event_window(result: es.StudyResult) -> None:
    grid = sessions("XNYS")
    drawn = grid.get_indexer(pd.to_datetime(result.placebo.car["day0"].unique()))
    events = grid.get_indexer(pd.to_datetime([e["date"] for e in EVENTS]))
    width = 20  # event window [-10, +10]: windows overlap when day 0s are <= 20 apart
    assert (np.abs(drawn[:, None] - events[None, :]) > width).all()
    assert len(drawn) == 40  # drawn without replacement
    first_price = grid.get_loc(result.placebo.prices.adj_close.index[0])
    assert (drawn - 250 - 1 - 5 >= first_price).all()


def test_car_p_placebo_recomputes_from_placebo_csv(result: es.StudyResult, tmp_path: Path) -> None:
    written = result.save(tmp_path, plots=False)
    car = pd.read_csv(written["car"])
    placebo = pd.read_csv(written["placebo"])
    assert list(placebo.columns[:9]) == [
        "ticker", "day0", "window_start", "window_end", "car", "car_se", "car_t", "car_p",
        "car_p_sq",
    ]  # fmt: skip
    for row in car.itertuples():
        null = placebo[
            (placebo["ticker"] == row.ticker)
            & (placebo["window_start"] == row.window_start)
            & (placebo["window_end"] == row.window_end)
        ]["car"]
        want = (1 + (null.abs() >= abs(row.car)).sum()) / (1 + len(null))
        assert row.car_p_placebo == pytest.approx(want)
    planted = car[(car["event_id"] == "news-a") & (car["window_end"] == 0)]
    assert planted["car_p_placebo"].iloc[0] == pytest.approx(1 / 41)
    size = pd.read_csv(written["placebo_size"])
    window = (size["window_start"] == 0) & (size["window_end"] == 1)
    row = size[window & (size["test"] == "car_t") & (size["level"] == 0.05)]
    null = placebo[(placebo["window_start"] == 0) & (placebo["window_end"] == 1)]
    assert row["rejection_rate"].iloc[0] == pytest.approx((null["car_p"] < 0.05).mean())
    assert row["n"].iloc[0] == len(null)
    assert set(size["test"]) == {"car_t", "sq"} and set(size["level"]) == {0.01, 0.05, 0.1}


def test_seeded_runs_are_identical_and_seeds_differ(
    prices: pd.DataFrame, result: es.StudyResult
) -> None:
    again = study(placebo=40, placebo_seed=3).run(source=FrameSource(prices), tests="none")
    pd.testing.assert_frame_equal(again.placebo.car, result.placebo.car)
    other = study(placebo=40, placebo_seed=4).run(source=FrameSource(prices), tests="none")
    assert set(other.placebo.car["day0"]) != set(result.placebo.car["day0"])


def test_fewer_eligible_sessions_than_asked_is_named(prices: pd.DataFrame) -> None:
    run = study(placebo=100_000).run(source=FrameSource(prices), tests="none")
    drawn = run.placebo.drawn.iloc[0]
    assert drawn["drawn"] == drawn["eligible"] < 100_000
    assert any("placebo dates drawn (not 100000)" in n for n in run.summary().notes)


def test_placebo_is_off_by_default(result: es.StudyResult, prices: pd.DataFrame) -> None:
    plain = study().run(source=FrameSource(prices), tests="none")
    assert plain.placebo is None and "car_p_placebo" not in plain.car
    assert result.study.study.placebo == 40


def test_cli_placebo_without_a_number_means_500() -> None:
    assert optional_placebo_value(["run", "--placebo"]) == ["run", "--placebo", "500"]
    assert optional_placebo_value(["run", "--placebo", "--source", "demo"]) == [
        "run", "--placebo", "500", "--source", "demo",
    ]  # fmt: skip
    assert optional_placebo_value(["run", "--placebo", "30"]) == ["run", "--placebo", "30"]


def test_cli_run_with_placebo_writes_the_placebo_tables(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from eventstudy.cli.app import app

    events = Path(__file__).resolve().parents[1] / "events.yaml"
    args = ["run", str(events), "--source", "demo", "--no-plots", "--tests", "none"]
    done = CliRunner().invoke(app, [*args, "--out", str(tmp_path), "--placebo", "25"])
    assert done.exit_code == 0, done.output
    folder = tmp_path / "us-china-ai"
    placebo = pd.read_csv(folder / "placebo.csv")
    assert placebo.groupby("ticker")["day0"].nunique().le(25).all()
    assert set(placebo["ticker"]) == {"BABA", "MPNGY", "NVDA"}
    car = pd.read_csv(folder / "car.csv")
    assert car["car_p_placebo"].between(1 / 26, 1).all()
    assert (folder / "placebo_size.csv").is_file()
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert "How unusual is this move?" in report
    assert not (folder / "placebo.png").exists()  # --no-plots


def test_placebo_figure_is_drawn_and_embedded(tmp_path: Path) -> None:
    study = es.load_study(Path(__file__).resolve().parents[1] / "events.yaml")
    result = study.run(source="demo", tests="none", event_ids=["deepseek-r1", "ft-ai-talent"])
    assert result.placebo is None
    with_placebo = es.load_study(
        Path(__file__).resolve().parents[1] / "events.yaml", placebo=20
    ).run(source="demo", tests="none", event_ids=["deepseek-r1", "ft-ai-talent"])
    written = with_placebo.save(tmp_path, figures="none")
    assert "placebo.png" in written and written["placebo.png"].stat().st_size > 10_000
    page = written["report"].read_text(encoding="utf-8")
    assert "alt='Placebo CARs per security" in page
    assert "placebo.png" not in result.save(tmp_path / "plain", figures="none")


def test_placebo_dates_come_from_earlier_history_not_the_study_prices(
    prices: pd.DataFrame, result: es.StudyResult
) -> None:
    plain = study().run(source=FrameSource(prices), tests="none")
    pd.testing.assert_frame_equal(result.prices.adj_close, plain.prices.adj_close)
    assert result.manifest()["data"] == plain.manifest()["data"]
    assert result.placebo.prices.adj_close.index[0] < plain.prices.adj_close.index[0]
    assert result.placebo.drawn["eligible"].iloc[0] > 40


def test_a_rerun_without_placebo_removes_the_placebo_tables(
    result: es.StudyResult, prices: pd.DataFrame, tmp_path: Path
) -> None:
    written = result.save(tmp_path, plots=False, tables=("csv", "parquet"))
    folder = written["car"].parent
    for name in ("placebo", "placebo_size"):
        assert (folder / f"{name}.csv").exists() and (folder / f"{name}.parquet").exists()
    plain = study().run(source=FrameSource(prices), tests="none")
    plain.save(tmp_path, plots=False, tables=("csv", "parquet"))
    for name in ("placebo", "placebo_size"):
        assert not (folder / f"{name}.csv").exists()
        assert not (folder / f"{name}.parquet").exists()
    assert (folder / "car.parquet").exists()
