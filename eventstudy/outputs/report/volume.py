"""The report section "Volume" (the volume measure, :mod:`eventstudy.measures.volume`).

:func:`volume_section` returns one HTML ``<section>``: the mean CAV figure, the CAV of
every pair over one window with its t-test, and the ``measure = volume`` rows of
``tests.csv`` for the group of all pairs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.outputs.report.markup import esc
from eventstudy.outputs.report.placebo import MAX_ROWS, _table

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
    pairs = pd.DataFrame(
        {
            "event": rows["event_id"],
            "ticker": rows["ticker"],
            "CAV": rows["cav"].round(3),
            "s.e.": rows["cav_se"].round(3),
            "t": rows["cav_t"].round(2),
            "p": rows["cav_p"],
            "n est": rows["n_est"],
        }
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
    html += f"<h3>CAV[{window[0]:+d},{window[1]:+d}] per pair{capped}</h3>{_table(pairs)}"
    if tests is not None and len(tests) and "measure" in tests:
        chosen = tests[(tests["measure"] == "volume") & (tests["group"] == "all")]
        shown = chosen[["window_start", "window_end", "test", "statistic", "p_value", "n"]]
        html += f"<h3>Tests on the abnormal volumes (all pairs)</h3>{_table(shown)}"
    return html + "</section>"
