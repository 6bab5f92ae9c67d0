"""Same-date placebo studies: placebo_tests.csv and tests.csv p_placebo, per security set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.pipeline.placebo_dates import SameDatePlacebo
from eventstudy.sessions.calendar import sessions
from eventstudy.study import parse_study
from tests.conftest import FrameSource, market_model_prices


@pytest.fixture(scope="module")
def result() -> es.StudyResult:
    prices = market_model_prices(noise=0.012, planted={"2024-03-04": -0.05})
    prices["TWO"] = market_model_prices(seed=9, beta=0.8, planted={"2024-03-04": -0.05})["STK"]
    prices["THR"] = market_model_prices(seed=11, beta=1.0)["STK"]
    raw = {
        "study": {"name": "pd", "securities": ["STK", "TWO", "THR"], "placebo": 30},
        "events": [
            {"id": "shock", "date": "2024-03-04", "title": "all fall"},
            {"id": "quiet", "date": "2024-10-01", "title": "nothing"},
            {"id": "pair", "date": "2024-07-01", "title": "two", "securities": ["TWO", "STK"]},
            {"id": "one", "date": "2024-05-15", "title": "one", "securities": ["STK"]},
        ],
    }
    return parse_study(raw).run(source=FrameSource(prices), tests="cs_t,bmp_t")


def _null(same: SameDatePlacebo, test: str, w_start: int, w_end: int) -> pd.Series:
    """The placebo dates' p-values of ``test`` over one window."""
    t = same.tests
    return t[(t["test"] == test) & (t["window_start"] == w_start) & (t["window_end"] == w_end)][
        "p_value"
    ]


def _check_recomputed(folder: dict[str, Path], result: es.StudyResult) -> pd.DataFrame:
    """placebo_tests.csv and tests.csv p_placebo recomputed from each set's placebo run."""
    same = result.placebo_dates()
    assert same is not None
    table = pd.read_csv(folder["placebo_tests"])
    assert list(table["securities"].unique()) == [";".join(s.securities) for s in same.sets]
    for s in same.sets:
        rows = table[table["securities"] == ";".join(s.securities)]
        assert (rows["n_securities"] == len(s.securities)).all()
        assert len(rows) == s.tests.groupby(["test", "window_start", "window_end"]).ngroups * 3
        for row in rows.itertuples():
            p = _null(s, row.test, row.window_start, row.window_end)
            assert row.n_dates == p.notna().sum()
            assert row.rejection_rate == pytest.approx((p < row.level).mean())
    tests = pd.read_csv(folder["tests"])
    assert list(tests.columns[-2:]) == ["p_placebo", "validity"]
    of_set = {s.securities: s for s in same.sets}
    for row in tests.itertuples():
        event = row.group.removeprefix("event:")
        if event == row.group or row.measure != "return":
            assert np.isnan(row.p_placebo)
            continue
        s = of_set[tuple(sorted(result.study.securities_for(result.study.event(event))))]
        p = _null(s, row.test, row.window_start, row.window_end)
        assert row.p_placebo == pytest.approx((1 + (p <= row.p_value).sum()) / (1 + len(p)))
    return tests


def test_each_security_set_has_its_placebo_study(result: es.StudyResult, tmp_path: Path) -> None:
    written = result.save(tmp_path, plots=False)
    same = result.placebo_dates()
    assert same is not None
    assert [s.securities for s in same.sets] == [("STK", "THR", "TWO"), ("STK", "TWO")]
    for s in same.sets:
        assert len(s.dates) == 30 and s.tests["group"].nunique() == 30
        assert set(s.tests["n"]) == {len(s.securities)}
    tests = _check_recomputed(written, result)
    events = tests["group"].isin(["event:shock", "event:quiet", "event:pair"])
    assert tests.loc[events, "p_placebo"].between(1 / 31, 1).all()
    assert not tests["group"].eq("event:one").any()  # one pair: no event: group


def test_placebo_dates_avoid_the_windows_of_their_securities_events(
    result: es.StudyResult,
) -> None:
    same = result.placebo_dates()
    assert same is not None
    grid = sessions("XNYS")
    for s in same.sets:
        concerned = [
            e.date
            for e in result.study.events
            if set(result.study.securities_for(e)) & set(s.securities)
        ]
        drawn = grid.get_indexer(s.dates)
        real = grid.get_indexer(pd.to_datetime(concerned))
        assert (drawn >= 0).all() and (np.abs(drawn[:, None] - real[None, :]) > 20).all()


CLUSTERS = {
    "sector-a": ("2024-03-04", ["A1", "A2", "A3"]),
    "sector-b": ("2024-06-03", ["B1", "B2"]),
    "sector-c": ("2024-10-01", ["C1", "C2", "C3"]),
}


def _cluster_prices() -> pd.DataFrame:
    # from 2022-09: the placebo history reaches the first price in every run below, so
    # a study of one cluster alone draws from the same sessions
    prices = market_model_prices(first="2022-09-01")
    for k, name in enumerate(t for _, names in CLUSTERS.values() for t in names):
        prices[name] = market_model_prices(seed=20 + k, first="2022-09-01")["STK"]
    return prices.drop(columns="STK")


def _cluster_study(names: list[str]) -> dict[str, Any]:
    return {
        "study": {"name": "clusters", "securities": ["A1"], "placebo": 40, "placebo_seed": 3},
        "events": [
            {"id": n, "date": CLUSTERS[n][0], "title": n, "securities": CLUSTERS[n][1]}
            for n in names
        ],
    }


@pytest.fixture(scope="module")
def clusters() -> es.StudyResult:
    study = parse_study(_cluster_study(list(CLUSTERS)))
    return study.run(source=FrameSource(_cluster_prices()), tests="cs_t,bmp_t,kp_bmp_t")


def test_three_clusters_over_different_sets_each_get_p_placebo(
    clusters: es.StudyResult, tmp_path: Path
) -> None:
    written = clusters.save(tmp_path, plots=False)
    tests = _check_recomputed(written, clusters)
    events = tests[tests["group"].str.startswith("event:")]
    assert set(events["group"]) == {f"event:{n}" for n in CLUSTERS}
    assert events["p_placebo"].notna().all()
    table = pd.read_csv(written["placebo_tests"])
    assert list(table["securities"].unique()) == ["A1;A2;A3", "B1;B2", "C1;C2;C3"]
    assert (table["n_dates"] == 40).all()


def test_a_clusters_p_placebo_is_that_of_a_study_of_it_alone(clusters: es.StudyResult) -> None:
    alone = parse_study(_cluster_study(["sector-c"])).run(
        source=FrameSource(_cluster_prices()), tests="cs_t,bmp_t,kp_bmp_t"
    )
    both = [r.placebo_dates() for r in (clusters, alone)]
    assert both[0] is not None and both[1] is not None
    mine = [next(s for s in b.sets if s.securities == ("C1", "C2", "C3")) for b in both]
    assert (mine[0].dates == mine[1].dates).all()
    keys = ["group", "window_start", "window_end", "test"]
    rows = [
        r.tests()[r.tests()["group"] == "event:sector-c"].set_index(keys)["p_placebo"]
        for r in (clusters, alone)
    ]
    assert len(rows[0]) == 15 and rows[0].notna().all()
    pd.testing.assert_series_equal(rows[0], rows[1], rtol=1e-12)
