"""The report section "Volume" (the volume measure, :mod:`eventstudy.measures.volume`).

:func:`volume_section` returns one HTML ``<section>``: the mean CAV figure, the CAV of
every pair over one window with its t-test (in order of p), and a pointer to the
``measure = volume`` rows of the tests table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.outputs.report.markup import by_p, esc, frame_table
from eventstudy.outputs.report.markup import window as window_label
from eventstudy.outputs.report.placebo import MAX_ROWS

if TYPE_CHECKING:
    from eventstudy.outputs.report.figures import Embedder
    from eventstudy.pipeline.results import RunResult


def volume_section(result: RunResult, tests: pd.DataFrame | None, figures: Embedder | None) -> str:
    """HTML of the section (empty string when volume was not measured)."""
    if result.volume is None:
        return ""
    cav = result.volume.cav
    window = tuple(result.study.study.car_windows[0])
    rows = cav[(cav["window_start"] == window[0]) & (cav["window_end"] == window[1])]
    pairs = by_p(
        pd.DataFrame(
            {
                "event_id": rows["event_id"],
                "ticker": rows["ticker"],
                "CAV": rows["cav"],
                "s.e.": rows["cav_se"],
                "t": rows["cav_t"],
                "p": rows["cav_p"],
                "n_est": rows["n_est"],
            }
        ),
        "p",
    ).head(MAX_ROWS)
    capped = f" (first {MAX_ROWS} of {len(rows)})" if len(rows) > MAX_ROWS else ""
    html = (
        "<section id=volume><h2>Volume</h2>"
        "<p>Abnormal trading volume: V = ln(1 + shares traded), expected V from the "
        f"{esc(result.study.study.volume_model)} volume model over the estimation window; "
        "CAV = the sum of V minus its expectation (abnormal_volume.csv, cav.csv).</p>"
    )
    if figures is not None:
        html += figures.figure("cav", "Mean CAV over all estimated pairs with a 95% band")
    html += (
        f"<h3>CAV{window_label(*window)} per pair, in order of p{capped}</h3>{frame_table(pairs)}"
    )
    if tests is not None and "measure" in tests and (tests["measure"] == "volume").any():
        html += (
            "<p class=meta>The cross-sectional tests on the abnormal volumes are in "
            "<a href='#tests'>the tests table</a>, under Volume (CAV).</p>"
        )
    return html + "</section>"
