"""report.html at any study size: under 10 MB, sections only for the selected events,
links to the data files, every capped list saying how much it left out.

A 500-event study runs through the pipeline; a 22,000-event one (500 securities x 40
own dates, and 50 securities without prices) is built directly (tests/big_results.py).
"""

from __future__ import annotations

import io
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
SECTION = re.compile(r"<section class=event id='event-([a-z0-9-]+)'>")
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


def sections(page: str) -> list[str]:
    return SECTION.findall(page)


def by_significance(result: StudyResult, ids: list[str]) -> list[str]:
    """``ids`` by their smallest CAR[0, +1] p, ties (and no p) in the given order."""
    best = result.car_window(0, 1).groupby("event_id")["car_p"].min()
    return sorted(ids, key=lambda e: (best.get(e, 2.0), ids.index(e)))


def test_500_events_sections_only_for_the_figure_events(study500, tmp_path):
    chosen = figure_events(study500)
    assert len(study500.event_ids) == N_TICKERS * N_DATES and len(chosen) == FIGURE_EVENTS
    (tmp_path / "car.parquet").write_bytes(b"PAR1")  # extras next to the report: linked
    (tmp_path / "results.xlsx").write_bytes(b"PK")
    path = report.write_report(study500, tmp_path / "report.html", images_for(chosen))
    page = path.read_text(encoding="utf-8")
    assert len(page.encode()) < MB
    assert sections(page) == by_significance(study500, chosen)
    assert f"{FIGURE_EVENTS} of {N_TICKERS * N_DATES} events have a section here" in page
    assert "every pair is in car.csv" in page
    toc = re.search(r"<ol class=events>(.*?)</ol>", page, re.S).group(1)
    assert re.findall(r"href='#event-([a-z0-9-]+)'", toc) == by_significance(study500, chosen)
    # Every in-page event link leads to a section.
    assert set(re.findall(r"href='#event-([a-z0-9-]+)'", page)) <= set(chosen)
    for name in ("car.csv", "abnormal_returns.csv", "tests.csv", "models.csv", "skipped.csv"):
        assert f"<a href='{name}'>" in page, name
    assert "<a href='car.parquet'>" in page and "<a href='results.xlsx'>" in page
    assert "<a href='models.parquet'>" not in page  # only what exists
    rows = len(study500.car)
    assert f"Showing {report.ROW_LIMIT} of {rows:,} rows (smallest p first)" in page
    # Images: the study's three and two per section, all embedded.
    assert page.count("<img src='data:image/png;base64,") == 3 + 2 * FIGURE_EVENTS


def test_500_events_shared_day0s_are_capped_and_counted(study500):
    page = report.render_report(study500, images_for(figure_events(study500)))
    shared = report.shared_day0s(study500)
    assert len(shared) > report.WARNING_LIMIT
    items = [m for k, m in report.warnings_list(study500) if k == "event-date clustering"]
    listed = [m for m in items if m.startswith("day 0 ")]
    assert len(listed) == report.WARNING_LIMIT
    more = len(shared) - report.WARNING_LIMIT
    assert f"... and {more:,} more, see car.csv (day0)" in items
    assert f"event-date clustering:</span> ... and {more:,} more, see car.csv (day0)" in page
    # The most crowded dates are listed, each with its event and pair counts.
    top = shared.iloc[0]
    assert listed[0].startswith(f"day 0 {top['day0']} is shared by {top['events']} events (")
    assert f"; {top['pairs']} pairs)" in listed[0]


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
    page = report.render_report(result)  # no figures: the "auto" events get sections
    assert len(page.encode()) < 2_000_000
    assert sections(page) == by_significance(result, figure_events(result, "auto"))
    assert "Figures were not drawn for this run." in page
    assert f"40 of {len(result.event_ids):,} events have a section here" in page
    warnings = report.warnings_list(result)
    kinds = pd.Series([k for k, _ in warnings]).value_counts()
    assert kinds.max() <= report.WARNING_LIMIT + 2  # + "... more", + the clustering count
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
    message = next(m for k, m in report.warnings_list(study22k) if m.startswith("day 0 "))
    assert f"and {top['events'] - 10:,} more; {top['pairs']:,} pairs)" in message
    named = message[message.index("(") + 1 : message.index(" and ")].split(", ")
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


def test_all_figures_of_a_huge_study_still_make_a_bounded_page(study22k):
    """--figures all on 22,000 events: 40 sections; heavy figures past the budget are
    links to their files, so the page stays under 10 MB."""
    estimated = list(pd.unique(study22k.car["event_id"]))
    images = images_for(estimated, extra=150_000)
    page = report.render_report(study22k, images)
    assert len(page.encode()) < MB
    shown = sections(page)
    assert shown == by_significance(study22k, figure_events(study22k, report.SECTION_LIMIT))
    embedded = page.count("<img src='data:image/png;base64,")
    encoded = (len(images["caar"][1]) + 2) // 3 * 4
    assert embedded == report.IMAGE_BUDGET // encoded < 3 + 2 * len(shown)
    linked = re.findall(r"<a href='([a-z0-9-]+/(?:car|ar)\.png)'>", page)
    assert len(linked) == 3 + 2 * len(shown) - embedded
    assert all(name.split("/")[0] in shown for name in linked)
    assert "not embedded: the page holds at most 7.5 MB of figures" in page


def test_no_event_figures_no_event_sections(study500):
    """Figures drawn for the study only (--figures none): no per-event section."""
    images = images_for([])
    page = report.render_report(study500, images)
    assert sections(page) == []
    assert f"0 of {len(study500.event_ids)} events have a section here" in page
    assert "href='#event-" not in page


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
