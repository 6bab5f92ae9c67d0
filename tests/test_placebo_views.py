"""The placebo figure and report section."""

from __future__ import annotations

import pytest

import eventstudy as es
from eventstudy.outputs.plots.placebo import plot_placebo
from eventstudy.outputs.report.placebo import placebo_section
from eventstudy.study import parse_study
from tests.conftest import FrameSource, market_model_prices


@pytest.fixture(scope="module")
def result() -> es.StudyResult:
    raw = {
        "study": {"name": "pv", "securities": ["STK"], "placebo": 30},
        "events": [{"id": "news-a", "date": "2024-03-04", "title": "a"}],
    }
    return parse_study(raw).run(source=FrameSource(market_model_prices()), tests="none")


def test_placebo_figure_has_a_histogram_and_the_events_marked(result: es.StudyResult) -> None:
    fig = plot_placebo(result)
    (ax,) = fig.axes
    assert sum(p.get_height() for p in ax.patches) == 30  # every placebo day counted
    x = result.car_window(0, 1)["car"].iloc[0] * 100
    assert [line.get_xdata()[0] for line in ax.lines] == pytest.approx([x])
    assert [t.get_text() for t in ax.texts] == ["news-a"]


def test_report_section_lists_the_pairs_and_highlights_size(result: es.StudyResult) -> None:
    text = placebo_section(result)
    assert "How unusual is this move?" in text and "news-a" in text
    size = result.placebo.size()
    at5 = size[size["level"] == 0.05]
    outside = ((at5["rejection_rate"] < 0.02) | (at5["rejection_rate"] > 0.08)).sum()
    assert text.count("<tr class=warn>") == outside


def test_without_placebo_the_views_say_so() -> None:
    raw = {"study": {"name": "pv", "securities": ["STK"]},
           "events": [{"id": "news-a", "date": "2024-03-04", "title": "a"}]}  # fmt: skip
    plain = parse_study(raw).run(source=FrameSource(market_model_prices()), tests="none")
    assert placebo_section(plain) == ""
    with pytest.raises(ValueError, match="no placebo study"):
        plot_placebo(plain)
