"""report.html at any study size: under 10 MB with every row of its tables, pages only
for the selected events, links to the data files, every capped list saying how much it
left out.

A 500-event study runs through the pipeline; a 22,000-event one (500 securities x 40
own dates, and 50 securities without prices) is built directly (tests/big_results.py).
"""

from __future__ import annotations

import io
import json
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from big_results import firm_specific_result, one_factor_prices, own_events
from conftest import FrameSource
from rich.console import Console

from eventstudy.outputs import report
from eventstudy.outputs.result import StudyResult
from eventstudy.outputs.selection import FIGURE_EVENTS, figure_events
from eventstudy.study import parse_study, run_study

MB = 10_000_000
N_TICKERS, N_DATES = 25, 20  # 500 one-security events


def png(width: int, height: int, extra: int = 0) -> bytes:
    """A valid PNG of ``width`` x ``height`` grey pixels, padded with ``extra`` bytes of
    random bytes in a private chunk that readers skip (a figure as heavy as we like)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\0" + b"\x80" * width for _ in range(height)))
    padding = np.random.default_rng(0).bytes(extra)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + (chunk(b"paDd", padding) if extra else b"")
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def images_for(events: list[str], extra: int = 0) -> report.Images:
    """Study figures and the car/ar figures of ``events``, as the plots would give them."""
    blob = png(40, 30, extra)
    names = ["caar", "heatmap", "timeline", *(f"{e}/{k}" for e in events for k in ("car", "ar"))]
    return {name: ("image/png", blob) for name in names}


@pytest.fixture(scope="module")
def study500() -> StudyResult:
    """25 securities with 20 own events each on a shared calendar: day 0s shared."""
    tickers = [f"T{i:02d}" for i in range(N_TICKERS)]
    events = own_events(tickers, N_DATES, seed=3)
    study = parse_study({"study": {"name": "many", "securities": ["SPY"]}, "events": events})
    return run_study(study, source=FrameSource(one_factor_prices(tickers)), tests=["cs_t"])


@pytest.fixture(scope="module")
def study22k() -> StudyResult:
    return firm_specific_result(500, 40, gone=50)


def pages(page: str) -> list[str]:
    """The events report.html links to a page of (``<event_id>/report.html``)."""
    return json.loads(re.search(r"id='event-pages'>(.*?)</script>", page).group(1))["ids"]


def grid_rows(page: str, name: str) -> int:
    """Rows of an interactive table of the page (its first column's values)."""
    data = re.search(rf"id='grid-{name}-data'>(.*?)</script>", page).group(1)
    first = json.loads(data)["v"][0]
    return len(first["i"] if isinstance(first, dict) else first)


def test_500_events_pages_only_for_the_figure_events(study500, tmp_path):
    chosen = figure_events(study500)
    assert len(study500.event_ids) == N_TICKERS * N_DATES and len(chosen) == FIGURE_EVENTS
    (tmp_path / "car.parquet").write_bytes(b"PAR1")  # extras next to the report: linked
    (tmp_path / "results.xlsx").write_bytes(b"PK")
    written = report.write_pages(study500, tmp_path / "report.html", images_for(chosen))
    assert sorted(written) == sorted(["report", *(f"{e}/report" for e in chosen)])
    page = written["report"].read_text(encoding="utf-8")
    assert len(page.encode()) < MB
    assert pages(page) == sorted(chosen)
    assert f"{FIGURE_EVENTS} of {N_TICKERS * N_DATES} events have a page" in page
    for name in ("car.csv", "abnormal_returns.csv", "tests.csv", "models.csv", "skipped.csv"):
        assert f"<a href='{name}'>" in page, name
    assert "<a href='car.parquet'>" in page and "<a href='results.xlsx'>" in page
    assert "<a href='models.parquet'>" not in page  # only what exists
    assert grid_rows(page, "car") == len(study500.car)  # every row, searchable
    assert grid_rows(page, "events") == len(study500.event_ids)
    # Images: the study's timeline (the CAAR and heat map are inline SVG) and the car
    # figures of the 5 strongest events; each event's car and ar figures on its page.
    assert page.count("<img src='data:image/png;base64,") == 1 + 5
    own = (tmp_path / chosen[0] / "report.html").read_text(encoding="utf-8")
    assert own.count("<img src='data:image/png;base64,") == 2
    assert grid_rows(own, "car") == (study500.car["event_id"] == chosen[0]).sum()


def test_500_events_shared_day0s_are_one_warning_with_the_count(study500):
    page = report.render_report(study500, images_for(figure_events(study500)))
    shared = report.shared_day0s(study500)
    assert len(shared) > report.WARNING_LIMIT
    items = [m for k, m in report.warnings_list(study500) if k == "event-date clustering"]
    assert len(items) == 1  # once, whatever the number of shared dates
    pairs = study500.car.drop_duplicates(["event_id", "ticker"])
    head = (
        f"{len(pairs):,} estimated pairs fall on {pairs['day0'].nunique():,} distinct day-0 "
        f"dates, {len(shared):,} of them shared by several events (the most crowded: "
    )
    assert items[0].startswith(head)
    top = shared.iloc[0]
    assert f"{top['day0']}: {top['events']} events (" in items[0]
    assert f"; and {len(shared) - report.warnings.CROWDED:,} more dates;" in items[0]
    assert "are cross-correlated across the pairs, so tests that treat pairs as " in items[0]
    assert page.count("event-date clustering:</span>") == 1


def test_500_events_tests_table_shows_a_bounded_number_of_groups(study500):
    page = report.render_report(study500, images_for(figure_events(study500)))
    groups = study500.tests()["group"].unique()
    assert len(groups) - 1 > report.TEST_GROUP_LIMIT
    assert page.count("<details><summary>") - 1 == report.TEST_GROUP_LIMIT  # + "All CARs"
    assert (
        f"Showing {report.TEST_GROUP_LIMIT} of {len(groups) - 1:,} groups besides all pairs" in page
    )
    assert "<h3>All pairs</h3>" in page


def test_22k_events_report_is_small_and_every_list_is_capped(study22k):
    result = study22k
    page = report.render_report(result)  # no figures: the "auto" events get pages
    assert len(page.encode()) < MB
    assert pages(page) == sorted(figure_events(result, "auto"))
    assert "Figures were not drawn for this run." in page
    assert f"40 of {len(result.event_ids):,} events have a page" in page
    assert grid_rows(page, "car") == len(result.car)
    warnings = report.warnings_list(result)
    kinds = pd.Series([k for k, _ in warnings]).value_counts()
    assert kinds.max() <= report.WARNING_LIMIT + 1  # + "... more"
    assert kinds["event-date clustering"] == 1
    skipped_more = len(result.skipped) - report.WARNING_LIMIT
    assert ("skipped pair", f"... and {skipped_more:,} more, see skipped.csv") in warnings
    assert ("missing prices", "... and 30 more, see skipped.csv") in warnings
    flagged = result.car.loc[result.car["confounders"] != "", "event_id"].nunique()
    confounded_more = flagged - report.WARNING_LIMIT
    assert (
        "confounded windows",
        f"... and {confounded_more:,} more, see car.csv (confounders)",
    ) in warnings
    assert f"... and {skipped_more:,} more, see skipped.csv" in page


def test_22k_events_every_named_list_inside_a_warning_is_capped(study22k):
    """A date shared by dozens of events names ten of them and counts the rest."""
    shared = report.shared_day0s(study22k)
    top = shared.iloc[0]
    assert top["events"] > 10
    message = next(m for k, m in report.warnings_list(study22k) if k == "event-date clustering")
    assert f"{top['day0']}: {top['events']:,} events (" in message
    assert f" and {top['events'] - 10:,} more), {top['pairs']:,} pairs" in message
    start = message.index(f"{top['day0']}: ") + len(f"{top['day0']}: {top['events']:,} events (")
    named = message[start : message.index(" and ", start)].split(", ")
    assert len(named) == 10


def test_22k_events_terminal_and_json_stay_bounded(study22k):
    result = study22k
    console = Console(width=120, record=True)
    console.print(report.rich_table(result))
    text = console.export_text()
    assert f"Showing {report.RICH_EVENTS} of {len(result.event_ids):,} events" in text
    lines = [x for x in text.splitlines() if re.match(r"t\d{3}-\d+ ", x)]
    assert len(lines) == report.RICH_EVENTS
    # The events shown are those with the smallest CAR[0,+1] p.
    rows = result.car_window(0, 1)
    smallest = rows.groupby("event_id")["car_p"].min().nsmallest(report.RICH_EVENTS)
    assert {x.split()[0] for x in lines} == set(smallest.index)
    document = report.json_summary(result, Path("/out"), {})
    assert len(document["car"]) == len(rows)  # the contract: every CAR[0,+1] row
    assert len(document["skipped"]) == len(result.skipped)
    first = document["car"][0]
    assert first["event_id"] == rows["event_id"].iloc[0] and first["window"] == [0, 1]
    assert first["car_p"] == pytest.approx(rows["car_p"].iloc[0])
    assert document["skipped"][0] == dict(result.skipped.iloc[0])


def test_all_figures_of_a_huge_study_still_make_a_bounded_page(study22k, tmp_path):
    """--figures all on 22,000 events: 40 event pages, each with its own figures within
    its budget; the page stays under 10 MB."""
    estimated = list(pd.unique(study22k.car["event_id"]))
    images = images_for(estimated, extra=150_000)
    written = report.write_pages(study22k, tmp_path / "report.html", images)
    page = written["report"].read_text(encoding="utf-8")
    assert len(page.encode()) < MB
    shown = figure_events(study22k, report.SECTION_LIMIT)
    assert pages(page) == sorted(shown)
    assert sorted(written) == sorted(["report", *(f"{e}/report" for e in shown)])
    assert page.count("<img src='data:image/png;base64,") == 1 + 5  # timeline, 5 strongest
    own = (tmp_path / shown[0] / "report.html").read_text(encoding="utf-8")
    assert own.count("<img src='data:image/png;base64,") == 2


def test_no_event_figures_no_event_pages(study500, tmp_path):
    """Figures drawn for the study only (--figures none): no event page."""
    written = report.write_pages(study500, tmp_path / "report.html", images_for([]))
    page = written["report"].read_text(encoding="utf-8")
    assert list(written) == ["report"] and pages(page) == []
    assert f"0 of {len(study500.event_ids)} events have a page" in page


def test_small_images_decode_as_png():
    """The test figures are real PNGs (matplotlib reads them)."""
    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(png(40, 30, extra=100)), format="png")
    assert pixels.shape[:2] == (30, 40)


def test_a_crowded_confounders_cell_names_five_events(study500):
    """A CAR window holding many other events' day 0s names five and counts the rest."""
    rows = study500.car.head(2).copy()
    others = [f"other-{i}" for i in range(12)]
    rows["confounders"] = [";".join(others), float("nan")]
    html = report.tables.car_table(rows, linked=set())
    assert "other-0, other-1, other-2, other-3, other-4 and 7 more" in html
    assert "other-5" not in html and "nan" not in html
