"""The report section "Volume" (the volume measure, :mod:`eventstudy.measures.volume`).

:func:`volume_section` returns one HTML ``<section>``: the mean CAV figure, the CAV of
every pair and window with its t-test (all rows, searchable), and the ``measure = volume`` rows of
``tests.csv`` for the group of all pairs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventstudy.outputs.report.markup import esc
from eventstudy.outputs.report.placebo import _table
from eventstudy.outputs.report.views import frame_grid

if TYPE_CHECKING:
    import pandas as pd

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
    html += f"<h3>CAV per pair and window ({len(cav):,} rows)</h3>{frame_grid('cav', cav)}"
    if tests is not None and len(tests) and "measure" in tests:
        chosen = tests[(tests["measure"] == "volume") & (tests["group"] == "all")]
        shown = chosen[["window_start", "window_end", "test", "statistic", "p_value", "n"]]
        html += f"<h3>Tests on the abnormal volumes (all pairs)</h3>{_table(shown)}"
    return html + "</section>"
