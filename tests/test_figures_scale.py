"""A study of 500 one-security events: the figures stay readable at any size.

Per-event figures go to the 40 events with the smallest CAR p (``figures="auto"``),
the heat map shows at most 30 x 30 cells, the timeline at most 40 events, the CAAR by
category at most 8 categories; each says what it leaves out. Figure files of events
not drawn this time are removed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from scipy import stats
from typer.testing import CliRunner

from eventstudy.cli.app import app
from eventstudy.core.errors import EventStudyError
from eventstudy.outputs import plots
from eventstudy.outputs.plots.distribution import T_DF_MAX
from eventstudy.outputs.result import StudyResult
from eventstudy.outputs.selection import FIGURE_EVENTS, figure_events
from eventstudy.sessions.calendar import sessions
from eventstudy.study import parse_study, run_study
from tests.conftest import FrameSource

N_TICKERS, PER_TICKER = 50, 10  # 500 events, one security each
CATEGORIES = [f"kind-{k}" for k in range(10)]
ROOT = Path(__file__).resolve().parents[1]


def firm_specific(events: list[str] | None = None) -> StudyResult:
    days = sessions("XNYS")
    days = days[(days >= "2021-01-04") & (days <= "2024-12-31")]
    rng = np.random.default_rng(11)
    market = rng.normal(0.0004, 0.01, len(days))
    tickers = [f"F{i:02d}" for i in range(N_TICKERS)]
    returns = market[:, None] + rng.normal(0, 0.015, (len(days), N_TICKERS))
    prices = pd.DataFrame(100 * np.cumprod(1 + returns, axis=0), index=days, columns=tickers)
    prices["SPY"] = 300 * np.cumprod(1 + market)
    rows = []
    for i, ticker in enumerate(tickers):
        dates = np.sort(rng.choice(days[300:-20], PER_TICKER, replace=False))
        for k, day in enumerate(dates):
            rows.append({
                "id": f"{ticker.lower()}-{k}", "date": f"{pd.Timestamp(day):%Y-%m-%d}",
                "title": f"{ticker} news {k}", "securities": [ticker],
                "category": CATEGORIES[(i + k) % len(CATEGORIES)],
            })  # fmt: skip
    study = parse_study({"study": {"name": "firms", "securities": ["F00"]}, "events": rows})
    return run_study(study, source=FrameSource(prices), event_ids=events, tests=["none"])


@pytest.fixture(scope="module")
def big() -> StudyResult:
    return firm_specific()


def smallest_p(result: StudyResult) -> pd.Series:
    return result.car_window(0, 1).groupby("event_id")["car_p"].min()


def test_figure_events_caps_at_the_most_significant(big: StudyResult) -> None:
    assert len(big.event_ids) == N_TICKERS * PER_TICKER
    chosen = figure_events(big)
    assert len(chosen) == FIGURE_EVENTS
    p = smallest_p(big)
    assert p[chosen].max() <= p.drop(chosen).min()
    assert chosen == [e for e in big.event_ids if e in set(chosen)]  # file order
    assert figure_events(big, 7) == [e for e in chosen if p[e] <= p[chosen].nsmallest(7).max()]
    assert figure_events(big, "all") == big.event_ids
    assert figure_events(big, "none") == []
    assert figure_events(big, "3") == figure_events(big, 3)
    for bad in ("many", "-1", -2):
        with pytest.raises(ValueError, match="--figures"):
            figure_events(big, bad)


def test_a_run_restricted_to_named_events_draws_every_one() -> None:
    named = [f"f{i:02d}-{k}" for i in range(5) for k in range(PER_TICKER)]  # 50 > 40
    result = firm_specific(named)
    assert figure_events(result) == named
    assert len(figure_events(result, 12)) == 12


def test_figure_names_draw_the_study_figures_and_the_chosen_events(big: StudyResult) -> None:
    names = list(plots.figure_names(big))
    study = [name for name, _, event in names if event is None]
    # firm-specific: no heat map or timeline; no numeric characteristic or regression:
    # no decile CAARs or binned scatter; no placebo, volume or BHAR measured
    drawn = ["caar", "caar_category", "car_distribution", "forest", "day0_dates"]
    assert study == drawn
    events = list(dict.fromkeys(event for _, _, event in names if event))
    assert events == figure_events(big)
    assert len(names) == len(drawn) + 2 * FIGURE_EVENTS
    assert len(list(plots.figure_names(big, "none"))) == len(drawn)
    assert len(list(plots.figure_names(big, 2))) == len(drawn) + 4
    with pytest.raises(EventStudyError, match="argument 'figures'"):
        plots.FigureJob(big, Path("unused"), figures="lots")


def test_stale_figures_of_events_not_drawn_are_found(big: StudyResult, tmp_path: Path) -> None:
    drawn = set(figure_events(big))
    some = big.event_ids[:60]
    for event_id in some:
        (tmp_path / event_id).mkdir()
        (tmp_path / event_id / "car.png").write_bytes(b"old")
        (tmp_path / event_id / "notes.txt").write_text("mine")
    (tmp_path / "heatmap.svg").write_bytes(b"old")
    stale = plots.stale_figures(big, tmp_path, ("png",))
    expected = {tmp_path / e / "car.png" for e in some if e not in drawn}
    assert set(stale) == expected | {tmp_path / "heatmap.svg"}
    assert len(expected) > 0
    every = plots.stale_figures(big, tmp_path, ("png",), "none")
    assert {p for p in every if p.name == "car.png"} == {tmp_path / e / "car.png" for e in some}
    assert not any(p.suffix == ".txt" for p in every)


def test_save_draws_the_chosen_events_and_removes_the_others(
    big: StudyResult, tmp_path: Path
) -> None:
    folder = tmp_path / "firms"

    def event_folders() -> set[str]:
        return {p.name for p in folder.iterdir() if p.is_dir()}

    big.save(tmp_path, figures=3)
    assert event_folders() == set(figure_events(big, 3))
    unmeasured = ("placebo", "cav", "bhar")  # no placebo, volume or BHAR in this run
    drawn = ["caar", "caar_category", "car_distribution", "forest", "day0_dates"]
    assert all((folder / f"{kind}.png").is_file() for kind in drawn)
    assert not any((folder / f"{kind}.png").exists() for kind in unmeasured)
    big.save(tmp_path, figures=1)
    assert event_folders() == set(figure_events(big, 1))
    big.save(tmp_path, figures="none")
    assert event_folders() == set()
    assert (folder / "forest.png").is_file()
    assert not (folder / "heatmap.png").exists()  # firm-specific: no heat map
    with pytest.raises(EventStudyError, match="argument 'figures'"):
        big.save(tmp_path, figures="some")


def test_heatmap_shows_30_events_by_smallest_p_with_their_day0(big: StudyResult) -> None:
    fig = big.plot("heatmap")
    ax = fig.axes[0]
    rows = [t.get_text().split()[0] for t in ax.get_yticklabels()]
    columns = [t.get_text() for t in ax.get_xticklabels()]
    assert len(rows) == plots.HEATMAP_EVENTS and len(columns) <= plots.HEATMAP_SECURITIES
    assert ax.images[0].get_array().shape == (len(rows), len(columns))
    p = smallest_p(big)
    assert p[rows].max() <= p.drop(rows).min()
    assert rows == [e for e in big.event_ids if e in set(rows)]
    car = big.car_window(0, 1).set_index("event_id")
    for label in ax.get_yticklabels():
        event_id, day0 = label.get_text().split()[:2]
        assert day0 == str(car.at[event_id, "day0"])
    subtitle = fig.texts[1].get_text()
    assert f"30 of {len(big.event_ids):,} events, the smallest p" in subtitle


def test_timeline_marks_at_most_40_events(big: StudyResult) -> None:
    fig = big.plot("timeline")
    ax = fig.axes[0]
    numbers = [t.get_text() for t in ax.texts]
    assert numbers == [str(i) for i in range(1, plots.TIMELINE_EVENTS + 1)]
    key = "\n".join(t.get_text() for t in fig.texts)
    for event_id in figure_events(big, plots.TIMELINE_EVENTS):
        assert f" {event_id}: " in key
    assert f"the 40 of {len(big.event_ids)} events with the smallest CAR p" in key


def test_caar_by_category_draws_8_categories_and_names_the_rest(big: StudyResult) -> None:
    fig = big.plot("caar_category")
    ax = fig.axes[0]
    lines = [line for line in ax.lines if not line.get_label().startswith("_")]
    assert lines[0].get_label() == "CAAR" and len(lines) == 1 + plots.CATEGORIES
    ar = big.abnormal_returns
    of_event = {e.id: e.category for e in big.study.events}
    category = ar["event_id"].map(of_event)
    counts = pd.Series(of_event).value_counts()
    for line in lines[1:]:
        name = line.get_label().split(" (")[0]
        assert line.get_label() == f"{name} ({counts[name]} events)"
        expected = ar[category == name].groupby("rel_day")["car"].mean() * 100
        np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-12)
    drawn = {line.get_label().split(" (")[0] for line in lines[1:]}
    (footer,) = [t.get_text() for t in fig.texts if "not drawn" in t.get_text()]
    assert "2 categories not drawn" in footer
    for name in set(CATEGORIES) - drawn:
        assert f"{name} ({counts[name]})" in footer


def test_car_distribution_histogram_and_references(big: StudyResult) -> None:
    fig = big.plot("car_distribution")
    ax = fig.axes[0]
    car = big.car_window(0, 1)["car"].to_numpy() * 100
    (bars,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    heights = [path.vertices[:4, 1].max() for path in bars.get_paths()]
    assert sum(heights) == len(car)
    counts, edges = np.histogram(car, bins=int(np.clip(np.sqrt(len(car)), 10, 60)))
    np.testing.assert_array_equal(heights, counts)
    normal = next(line for line in ax.lines if line.get_label().startswith("normal"))
    x, y = normal.get_xdata(), normal.get_ydata()
    width = edges[1] - edges[0]
    pdf = stats.norm.pdf(x, car.mean(), car.std(ddof=1)) * len(car) * width
    np.testing.assert_allclose(y, pdf, rtol=1e-9)
    df, loc, scale = stats.t.fit(car)
    student = [line for line in ax.lines if line.get_label().startswith("Student t")]
    subtitle = fig.texts[1].get_text()
    assert f"n = {len(car):,}" in subtitle
    if df > T_DF_MAX:  # normal CARs: the fitted t is the normal, drawn alone
        assert student == [] and "normal reference" in subtitle
        assert any("its fitted df is above 100" in t.get_text() for t in fig.texts)
        return
    np.testing.assert_allclose(
        student[0].get_ydata(), stats.t.pdf(x, df, loc, scale) * len(car) * width, rtol=1e-6
    )
    assert "normal and Student-t references" in subtitle


def test_cli_figures_option(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["run", str(ROOT / "events.yaml"), "--source", "demo",
                              "--out", str(tmp_path), "--figures", "few"])  # fmt: skip
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == [
        "error: field '--figures': 'few': use auto, all, none or a number of events"
    ]
    args = ["run", str(ROOT / "events.yaml"), "--source", "demo", "--out", str(tmp_path)]
    args += ["-e", "election-2024", "-e", "deepseek-r1", "--tests", "none", "--quiet"]
    done = runner.invoke(app, [*args, "--figures", "1"])
    assert done.exit_code == 0, done.output
    folder = next(tmp_path.iterdir())
    assert len([p for p in folder.iterdir() if p.is_dir()]) == 1
    assert runner.invoke(app, [*args, "--figures", "none"]).exit_code == 0
    assert not [p for p in folder.iterdir() if p.is_dir()]
    assert (folder / "caar.png").is_file()
