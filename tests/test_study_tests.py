"""tests.csv: the inference tests wired to a study run, checked against its own CSVs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.core.errors import EventStudyError
from eventstudy.inference import DEFAULT_TESTS

EVENTS = Path(__file__).resolve().parents[1] / "events.yaml"


def _returns_only() -> es.Study:
    """The demo study measuring returns only (events.yaml also measures volume,
    volatility and BHARs: their rows are tested in their own files)."""
    return es.load_study(EVENTS, measures=["return"], bhar_windows=[])


CONTRACT = ["group", "window_start", "window_end", "test", "statistic", "p_value", "n"]
PICK = ["ft-ai-talent", "election-2024", "tariff-truth-10pct", "deepseek-r1"]


@pytest.fixture(scope="module")
def result():
    study = _returns_only()
    return study.run(source="demo", event_ids=PICK, tests=["cs_t,patell_z,kp_bmp_t,bootstrap"])


def test_tests_table_shape_and_groups(result, tmp_path):
    table = result.tests()
    assert list(table.columns[:7]) == CONTRACT
    groups = set(table["group"])
    assert {"all", "ticker:BABA", "ticker:NVDA"} <= groups
    assert {f"event:{e}" for e in PICK} <= groups
    assert {"category:ai-talent", "category:tariff", "category:election"} <= groups
    assert set(table["test"]) == {"cs_t", "patell_z", "kp_bmp_t", "bootstrap"}
    windows = {tuple(w) for w in result.study.study.car_windows}
    assert set(zip(table["window_start"], table["window_end"], strict=True)) == windows
    assert (table["p_holm"] >= table["p_value"] - 1e-15).all()
    assert (table["p_bh"] >= table["p_value"] - 1e-15).all()
    assert table.loc[table["group"] == "all", "clustered"].all()  # three tickers share dates
    written = result.save(tmp_path, plots=False)
    csv = pd.read_csv(written["tests"])
    assert list(csv.columns[:7]) == CONTRACT and len(csv) == len(table)


def test_cross_sectional_t_equals_the_formula_on_car_csv(result):
    table = result.tests().set_index(["group", "window_start", "window_end", "test"])
    for lo, hi in [(0, 0), (-1, 1), (-5, 5)]:
        cars = result.car_window(lo, hi)
        for group, rows in [("all", cars), ("ticker:BABA", cars[cars.ticker == "BABA"])]:
            x = rows["car"].to_numpy()
            t = np.sqrt(len(x)) * x.mean() / x.std(ddof=1)
            assert table.loc[(group, lo, hi, "cs_t"), "statistic"] == pytest.approx(t, rel=1e-10)
            assert table.loc[(group, lo, hi, "cs_t"), "n"] == len(x)


def test_patell_day0_equals_the_formula_on_abnormal_returns_csv(result):
    ar = result.abnormal_returns
    day0 = ar[ar["rel_day"] == 0]
    n_est = result.models.set_index(["event_id", "ticker"])["n_est"]
    m = n_est.reindex(list(zip(day0.event_id, day0.ticker, strict=True))).to_numpy()
    sar = (day0["ar"] / day0["ar_se"]).to_numpy()  # ar_se includes the forecast error
    z = sar.sum() / np.sqrt(((m - 2) / (m - 4)).sum())
    got = result.tests().set_index(["group", "window_start", "window_end", "test"])
    assert got.loc[("all", 0, 0, "patell_z"), "statistic"] == pytest.approx(z, rel=1e-10)


def test_planted_day0_effects_are_significant_for_the_deepseek_event():
    study = _returns_only()
    r = study.run(source="demo", event_ids=["deepseek-r1"], tests=["cs_t", "patell_z"])
    table = r.tests()
    # one event: each ticker has one pair, so no ticker: group (it would repeat car.csv)
    assert set(table["group"]) == {"all", "event:deepseek-r1", "category:model-launch"}
    # planted -15% on NVDA only: its own CAR test in car.csv sees it
    cars = r.car_window(0, 0).set_index("ticker")
    assert cars.loc["NVDA", "car_p"] < 0.001 and cars.loc["NVDA", "car"] < -0.1


def test_one_pair_groups_are_left_out_and_the_others_kept():
    raw = _returns_only().model_dump(exclude={"events"})
    raw["study"] = {k: v for k, v in raw["study"].items() if v is not None}
    events = [
        {"id": "a1", "date": "2024-03-04", "title": "A", "securities": ["BABA"]},
        {"id": "a2", "date": "2024-06-03", "title": "A", "securities": ["BABA"]},
        {"id": "n1", "date": "2024-03-11", "title": "N", "securities": ["NVDA"]},
        {"id": "both", "date": "2024-09-03", "title": "B", "securities": ["NVDA", "MPNGY"]},
    ]
    from eventstudy.study import parse_study

    study = parse_study({"study": raw["study"], "events": events})
    table = study.run(source="demo", tests=["cs_t"]).tests()
    # event: groups need two securities, ticker: groups two events
    assert set(table["group"]) == {"all", "event:both", "ticker:BABA", "ticker:NVDA"}
    n = table.drop_duplicates("group").set_index("group")["n"]
    assert n.to_dict() == {"all": 5, "event:both": 2, "ticker:BABA": 2, "ticker:NVDA": 2}


def test_other_models_feed_the_tests_too():
    study = _returns_only().with_model("constant-mean")
    r = study.run(source="demo", event_ids=PICK, tests=["cs_t", "patell_z"])
    table = r.tests().set_index(["group", "window_start", "window_end", "test"])
    cars = r.car_window(0, 1)["car"].to_numpy()
    t = np.sqrt(len(cars)) * cars.mean() / cars.std(ddof=1)
    assert table.loc[("all", 0, 1, "cs_t"), "statistic"] == pytest.approx(t, rel=1e-10)
    assert np.isfinite(table.loc[("all", 0, 1, "patell_z"), "statistic"])


def test_test_selection(tmp_path):
    study = _returns_only()
    none = study.run(source="demo", event_ids=["ft-ai-talent"], tests=["none"])
    assert "tests" not in none.save(tmp_path / "a", plots=False)
    default = study.run(source="demo", event_ids=["ft-ai-talent"])
    assert default.test_names == DEFAULT_TESTS
    with pytest.raises(EventStudyError, match="unknown test 'nope'"):
        study.run(source="demo", tests=["cs_t", "nope"])


def test_groups_run_in_threads_give_the_sequential_table(monkeypatch):
    from eventstudy.measures import group_tests

    study = _returns_only()
    threaded = study.run(source="demo", event_ids=PICK).tests()
    monkeypatch.setattr(group_tests, "MAX_THREADS", 1)
    sequential = study.run(source="demo", event_ids=PICK).tests()
    pd.testing.assert_frame_equal(threaded, sequential, check_exact=True)
    assert set(threaded["test"]) == set(DEFAULT_TESTS)


def test_n_pos_n_neg_and_clustered_follow_the_groups_rows_of_car_csv(result):
    table = result.tests()
    car = result.car
    for (group, start, end), rows in table.groupby(["group", "window_start", "window_end"]):
        kind, _, name = group.partition(":")
        window = car[(car["window_start"] == start) & (car["window_end"] == end)]
        if kind == "event":
            window = window[window["event_id"] == name]
        elif kind == "ticker":
            window = window[window["ticker"] == name]
        elif kind == "category":
            ids = [e for e in result.event_ids if result.study.event(e).category == name]
            window = window[window["event_id"].isin(ids)]
        assert (rows["n_pos"] == (window["car"] > 0).sum()).all(), group
        assert (rows["n_neg"] == (window["car"] < 0).sum()).all(), group
        assert (rows["clustered"] == window["day0"].duplicated().any()).all(), group
    assert table["n_pos"].sum() > 0 and table["n_neg"].sum() > 0
    assert table["measure"].eq("return").all()
