"""A study of hundreds of pairs: summaries and terminal tables stay readable.

The CSV files hold every pair; the summary lists the most significant ones, the
terminal shows one row per event, and skipped pairs are counted rather than listed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import FrameSource
from rich.console import Console

from eventstudy.outputs.report import RICH_TICKERS, rich_table
from eventstudy.pipeline.summary import SUMMARY_ROWS, SUMMARY_SKIPPED
from eventstudy.sessions.calendar import sessions
from eventstudy.study import parse_study, run_study

N_SECURITIES, N_EVENTS = 70, 4


def wide_study():
    days = sessions("XNYS")
    days = days[(days >= "2022-01-03") & (days <= "2024-12-31")]
    rng = np.random.default_rng(2)
    market = rng.normal(0.0004, 0.01, len(days))
    tickers = [f"S{i:02d}" for i in range(N_SECURITIES)]
    returns = market[:, None] + rng.normal(0, 0.01, (len(days), N_SECURITIES))
    prices = pd.DataFrame(100 * np.cumprod(1 + returns, axis=0), index=days, columns=tickers)
    prices["SPY"] = 300 * np.cumprod(1 + market)
    prices.index.name = "date"
    securities = [*tickers, *(f"GONE{i:02d}" for i in range(20))]  # no prices: skipped
    event_dates = ["2023-03-15", "2023-06-14", "2023-09-20", "2024-02-07"]
    study = parse_study({
        "study": {"name": "wide", "securities": securities, "benchmark": "SPY"},
        "events": [
            {"id": f"e{k}", "date": d, "title": f"event {k}"} for k, d in enumerate(event_dates)
        ],
    })  # fmt: skip
    return run_study(study, source=FrameSource(prices), tests=["none"])


def test_summary_lists_the_most_significant_pairs_and_counts_the_rest():
    result = wide_study()
    rows = result.car_window(0, 1)
    assert len(rows) == N_SECURITIES * N_EVENTS > SUMMARY_ROWS
    summary = result.summary()
    assert len(summary.table) == SUMMARY_ROWS
    cutoff = np.sort(rows["car_p"].to_numpy())[SUMMARY_ROWS - 1]
    assert (summary.table["p"] <= round(cutoff, 4)).all()
    shown = list(zip(summary.table["event"], summary.table["ticker"], strict=True))
    in_file_order = [k for k in zip(rows["event_id"], rows["ticker"], strict=True) if k in shown]
    assert shown == in_file_order
    text = summary.as_text()
    assert f"Showing the {SUMMARY_ROWS} of {len(rows)} pairs" in text
    assert len(result.skipped) == 20 * N_EVENTS > SUMMARY_SKIPPED
    assert sum(line.startswith("skipped ") for line in text.splitlines()) == SUMMARY_SKIPPED
    assert f"... and {20 * N_EVENTS - SUMMARY_SKIPPED} more in skipped.csv" in text


def test_terminal_table_has_one_row_per_event_for_many_securities():
    result = wide_study()
    assert N_SECURITIES > RICH_TICKERS
    console = Console(width=100, record=True)
    console.print(rich_table(result))
    lines = console.export_text().splitlines()
    rows = result.car_window(0, 1)
    for event_id, part in rows.groupby("event_id"):
        line = next(x for x in lines if x.startswith(event_id + " "))
        cells = line.split()
        assert cells[1] == str(len(part))
        assert cells[2] == f"{part['car'].mean() * 100:+.2f}"
        assert cells[3] == f"{part['car'].median() * 100:+.2f}"
    assert max(len(x) for x in lines) <= 100


def test_heatmap_shows_the_most_significant_securities_of_a_wide_study():
    from eventstudy.outputs.plots import HEATMAP_SECURITIES

    result = wide_study()
    fig = result.plot("heatmap")
    ax = max(fig.axes, key=lambda a: a.get_position().width)
    tickers = [t.get_text() for t in ax.get_xticklabels()]
    rows = result.car_window(0, 1)
    mean_p = rows.groupby("ticker")["car_p"].mean()
    expected = set(mean_p.sort_values(kind="stable").index[:HEATMAP_SECURITIES])
    assert set(tickers) == expected and len(tickers) == HEATMAP_SECURITIES
    order = list(dict.fromkeys(a.ticker for a in result.alignments))
    assert tickers == [t for t in order if t in expected]
    values = rows.pivot(index="event_id", columns="ticker", values="car")[tickers] * 100
    np.testing.assert_allclose(ax.images[0].get_array().filled(np.nan), values.to_numpy())
    texts = " ".join(t.get_text() for t in fig.texts)
    assert f"the {HEATMAP_SECURITIES} of {N_SECURITIES + 20} securities" in texts


def test_report_keeps_every_row_and_event_pages_list_the_most_significant(tmp_path):
    import json
    import re

    from eventstudy.outputs.report import EVENT_ROW_LIMIT, write_pages

    result = wide_study()
    written = write_pages(result, tmp_path / "report.html", {})
    page = written["report"].read_text(encoding="utf-8")
    pairs = N_SECURITIES * len(result.study.study.car_windows)  # CAR rows of one event
    every = pairs * N_EVENTS
    car = json.loads(re.search(r"id='grid-car-data'>(.*?)</script>", page).group(1))
    assert len(car["v"][0]["i"]) == every  # every row, searchable
    securities = N_SECURITIES + 20
    assert len(written) == N_EVENTS + 1
    for event_id in result.event_ids:
        own = written[f"{event_id}/report"].read_text(encoding="utf-8")
        assert own.count(f"Showing {EVENT_ROW_LIMIT} of {pairs} rows (smallest p first)") == 1
        assert own.count(f"Showing {EVENT_ROW_LIMIT} of {securities} securities") == 1
    smallest = result.car.sort_values("car_p").iloc[0]
    own = written[f"{smallest['event_id']}/report"].read_text(encoding="utf-8")
    assert smallest["ticker"] in own
