"""The report section "How unusual is this move?" (placebo and sample-quantile p-values).

:func:`placebo_section` returns one HTML ``<section>``: per pair, its CAR with the
t-test, sample-quantile (:mod:`eventstudy.models.sample_quantile`) and placebo
(:mod:`eventstudy.measures.placebo`) p-values, then the placebo size table, with the rows whose
5% rejection rate lies outside 2-8% highlighted (the t-test's size on this security is
then not what it says).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.outputs.report.markup import frame_table
from eventstudy.outputs.report.markup import window as window_label
from eventstudy.outputs.report.views import car_grid

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult

SIZE_BAND = (0.02, 0.08)
"""A 5% test whose placebo rejection rate lies outside this band is highlighted."""


def _table(frame: pd.DataFrame, highlight: pd.Series | None = None) -> str:
    marked = None if highlight is None else [bool(x) for x in highlight]
    return frame_table(frame, marked)


def placebo_section(result: RunResult, window: tuple[int, int] = (0, 1)) -> str:
    """HTML of the section (empty string when the run has no placebo study)."""
    if result.placebo is None:
        return ""
    rows = result.car_window(*window)
    size = result.placebo_size()
    at5 = size[size["level"] == 0.05].reset_index(drop=True)
    outside = (at5["rejection_rate"] < SIZE_BAND[0]) | (at5["rejection_rate"] > SIZE_BAND[1])
    return (
        "<section id=placebo><h2>How unusual is this move?</h2>"
        f"<p>CAR{window_label(*window)} per pair ({len(rows):,} rows): the t-test "
        "p (normal theory), the sample-quantile p (Gelbach, Helland &amp; Klick 2013: the "
        "CAR against the estimation window's own sums) and the placebo p (the CAR against the same "
        "security's CARs on random days without study news).</p>"
        f"{car_grid('placebo-pairs', rows)}"
        "<h3>Placebo size: how often each test rejects on days without news (5%)</h3>"
        f"<p>Highlighted: rejection rates outside {SIZE_BAND[0]:.0%}-{SIZE_BAND[1]:.0%}.</p>"
        f"{_table(at5, outside)}</section>"
    )
