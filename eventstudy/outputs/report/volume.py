"""The report section "Volume" (the volume measure, :mod:`eventstudy.measures.volume`).

:func:`volume_section` returns one HTML ``<section>``: the mean CAV figure, the CAV of
every pair and window with its t-test (all rows, searchable, in order of p), and a pointer to
the ``measure = volume`` rows of the tests table (they are not repeated here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.outputs.report.markup import by_p, esc, window
from eventstudy.outputs.report.views import frame_grid

if TYPE_CHECKING:
    from eventstudy.outputs.report.figures import Embedder
    from eventstudy.pipeline.results import RunResult


def volume_section(result: RunResult, tests: pd.DataFrame | None, figures: Embedder | None) -> str:
    """HTML of the section (empty string when volume was not measured)."""
    if result.volume is None:
        return ""
    cav = result.volume.cav
    html = (
        "<section id=volume><h2>Volume</h2>"
        "<p>Abnormal trading volume: V = ln(1 + shares traded), expected V from the "
        f"{esc(result.study.study.volume_model)} volume model over the estimation window; "
        "CAV = the sum of V minus its expectation (abnormal_volume.csv, cav.csv).</p>"
    )
    if figures is not None:
        html += figures.figure("cav", "Mean CAV over all estimated pairs with a 95% band")
    start, end = result.study.study.car_windows[0]
    caption = f"<p class=meta>CAV{window(start, end)} per pair, in order of p</p>"
    html += (
        f"<h3>CAV per pair and window ({len(cav):,} rows)</h3>"
        f"{frame_grid('cav', by_first_window_p(cav, start, end), caption=caption)}"
    )
    if tests is not None and "measure" in tests and (tests["measure"] == "volume").any():
        html += (
            "<p class=meta>The cross-sectional tests on the abnormal volumes are in "
            "<a href='#tests'>the tests table</a>, under Volume (CAV).</p>"
        )
    return html + "</section>"


def by_first_window_p(cav: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """The rows of ``cav`` with each pair's windows together, pairs in order of the p-value
    of their CAV over the window ``[start, end]`` (pairs without it last)."""
    pair = ["event_id", "ticker"]
    first = cav[(cav["window_start"] == start) & (cav["window_end"] == end)]
    p = first.set_index(pair)["cav_p"].reindex(pd.MultiIndex.from_frame(cav[pair]))
    return by_p(cav.assign(_p=p.to_numpy()), "_p").drop(columns="_p")
