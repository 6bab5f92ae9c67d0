"""report.html answers first: the headline table and sentences (from car.csv and
tests.csv), the tables as JSON, the hover figures, and one page per event."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.outputs.report.grid import Column, table_json
from eventstudy.outputs.report.headline import headline_frame, headline_sentences
from eventstudy.outputs.result import StudyResult
from eventstudy.study import load_study

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ["deepseek-r1", "qwen25-max", "election-2024"]
WINDOW = (0, 1)


@pytest.fixture(scope="module")
def result() -> StudyResult:
    return load_study(ROOT / "events.yaml").run(source="demo", event_ids=EVENTS)


@pytest.fixture(scope="module")
def saved(result: StudyResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return result.save(tmp_path_factory.mktemp("answer"), plots=False)


@pytest.fixture()
def tables(saved: dict[str, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_csv(saved["car"]), pd.read_csv(saved["tests"])


def _sentence_of(car: pd.DataFrame, tests: pd.DataFrame, event_id: str) -> str | None:
    found = dict(headline_sentences(headline_frame(car, tests, WINDOW), WINDOW))
    return found.get(event_id)


def test_the_headline_takes_the_design_p_and_the_events_adjusted_bmp(
    tables: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    car, tests = tables
    headline = headline_frame(car, tests, WINDOW)
    main = car[(car["window_start"] == 0) & (car["window_end"] == 1)]
    assert len(headline) == len(main)
    # The demo runs the sample-quantile p: the design's p of every pair.
    assert set(headline["test"]) == {"sample-quantile"}
    row = headline.set_index(["event_id", "ticker"]).loc[("deepseek-r1", "NVDA")]
    pair = main.set_index(["event_id", "ticker"]).loc[("deepseek-r1", "NVDA")]
    assert row["p"] == pair["car_p_sq"] and row["car_p"] == pair["car_p"]
    kp = tests[
        (tests["group"] == "event:deepseek-r1")
        & (tests["test"] == "kp_bmp_t")
        & (tests["window_start"] == 0)
        & (tests["window_end"] == 1)
        & (tests["measure"] == "return")
    ]["p_value"]
    assert row["group_p"] == kp.iloc[0]
    # smallest p (of a pair or of its event) first
    smallest = np.fmin(headline["p"], headline["group_p"].fillna(2)).to_numpy()
    assert (np.diff(smallest) >= 0).all()
    # a placebo p, where the placebo study ran, comes before the sample-quantile p
    placebo = headline_frame(car.assign(car_p_placebo=0.5), tests, WINDOW)
    assert set(placebo["test"]) == {"placebo"} and (placebo["p"] == 0.5).all()


def test_a_changed_car_changes_its_sentence(tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    car, tests = tables
    at = (car["event_id"] == "deepseek-r1") & (car["ticker"] == "NVDA")
    main = at & (car["window_start"] == 0) & (car["window_end"] == 1)
    before = _sentence_of(car, tests, "deepseek-r1")
    p_sq = float(car.loc[main, "car_p_sq"].iloc[0])
    assert before is not None
    assert before.startswith(
        f"deepseek-r1 (2025-01-27): NVDA fell {abs(car.loc[main, 'car'].iloc[0]) * 100:.1f}% "
        f"(sample-quantile p = {p_sq:.3f}) over days +0 to +1; 2 others did not; all 3 "
        "together "
    )
    rose = car.copy()
    rose.loc[main, "car"] = 0.2
    after = _sentence_of(rose, tests, "deepseek-r1")
    assert after is not None and "NVDA rose 20.0% (sample-quantile p = " in after
    assert "together +" in after  # the mean of the three moved up with it
    quiet = car.copy()
    quiet.loc[main, "car_p_sq"] = 0.5
    kp = float(headline_frame(car, tests, WINDOW).set_index("event_id")["group_p"].iloc[0])
    # NVDA's move is no longer significant: no sentence, unless the event's group is
    assert (_sentence_of(quiet, tests, "deepseek-r1") is None) == (kp >= 0.05)


def test_table_json_rounds_to_what_is_shown_and_cannot_close_its_script() -> None:
    frame = pd.DataFrame(
        {
            "event_id": ["a</script>", "b", "b", "b"],
            "car": [0.012345, -0.5, np.nan, 0.0],
            "car_p": [0.000012345, 0.5, 1.0, np.nan],
            "n": [1, 2, 3, 4],
        }
    )
    columns = [
        Column("event_id", "Event", "event", search=True),
        Column("car", "CAR %", "num", 2, 100),
        Column("car_p", "p", "p"),
        Column("car_p", "", "stars"),
        Column("n", "n", "int"),
    ]
    text = table_json(frame, columns)
    assert "<" not in text
    data = json.loads(text)
    assert data["c"][0] == ["Event", "event", 2, 1, -1]
    assert data["c"][3] == ["", "stars", 2, 0, 2]  # the stars of column 2
    assert data["v"][0] == {"u": ["a</script>", "b"], "i": [0, 1, 1, 1]}
    assert data["v"][1] == [1.23, -50.0, None, 0.0]
    assert data["v"][2] == [1.23e-05, 0.5, 1, None]
    assert data["v"][4] == [1, 2, 3, 4]


def test_the_page_answers_first_and_keeps_every_row(
    result: StudyResult, saved: dict[str, Path]
) -> None:
    page = saved["report"].read_text(encoding="utf-8")
    order = [page.index(k) for k in ("SYNTHETIC DATA", "id=answer", "id=run", "id=warnings>")]
    assert order == sorted(order)
    warnings = len(re.findall(r"<span class=kind>", page))
    assert f"<a href='#warnings'>{warnings} warnings</a>" in page
    grids = dict(
        re.findall(r"<script type='application/json' id='grid-([\w-]+)-data'>(.*?)</script>", page)
    )
    car = json.loads(grids["car"])
    assert len(car["v"][0]["i"]) == len(result.car)  # every row of car.csv
    assert len(json.loads(grids["tests"])["v"][0]["i"]) == len(result.tests())
    for name in ("headline", "events", "bhar", "cav", "avol", "regression-0"):
        assert name in grids
    # the CAAR beside the headline: each point's value on hover
    answer = page[page.index("id=answer") : page.index("id=run")]
    tips = re.findall(r"<circle [^>]*data-tip='CAAR, day ([+-]\d+): ([^' ]+)%", answer)
    assert len(tips) == 21
    stats = result.abnormal_returns.groupby("rel_day")["car"].mean() * 100
    day, value = tips[10]
    assert value.replace("\u2212", "-") == f"{stats.loc[int(day)]:+.2f}"


def test_each_event_has_a_page_with_its_timeline_rows_and_paths(
    result: StudyResult, saved: dict[str, Path]
) -> None:
    folder = saved["report"].parent
    page = (folder / "deepseek-r1" / "report.html").read_text(encoding="utf-8")
    assert "DeepSeek-R1 shock" in page and "href='../report.html'" in page
    assert "Day 0 per security" in page and "The event window [-10, +10]" in page
    assert "day 0: this event" in page
    confounders = result.car.loc[result.car["event_id"] == "deepseek-r1", "confounders"]
    others = {i for v in confounders.dropna() for i in str(v).split(";") if i}
    assert others  # qwen25-max falls in deepseek-r1's [-5,+5] and [0,+10]
    for other in others:
        assert f"<code>{other}</code>" in page
    assert re.findall(r"data-tip='NVDA, day \+0: ", page)
    car = json.loads(re.search(r"id='grid-car-data'>(.*?)</script>", page).group(1))
    ids = car["v"][0]
    assert (ids["u"] if isinstance(ids, dict) else sorted(set(ids))) == ["deepseek-r1"]
    main = (folder / "report.html").read_text(encoding="utf-8")
    links = json.loads(re.search(r"id='event-pages'>(.*?)</script>", main).group(1))
    assert links == {"base": "", "ids": sorted(EVENTS)}


def test_a_rerun_removes_the_pages_of_events_it_does_not_draw(
    result: StudyResult, tmp_path: Path
) -> None:
    folder = result.save(tmp_path, plots=False)["report"].parent
    assert (folder / "election-2024" / "report.html").is_file()
    fewer = load_study(ROOT / "events.yaml").run(source="demo", event_ids=EVENTS[:2])
    fewer.save(tmp_path, plots=False)
    assert not (folder / "election-2024").exists()
    assert (folder / "deepseek-r1" / "report.html").is_file()
