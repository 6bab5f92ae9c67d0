"""The report section "Volatility" (Beaver's U, :mod:`eventstudy.measures.volatility`).

:func:`volatility_section` returns one HTML ``<section>``: per pair and CAR window,
avol with its F and sample-quantile p-values (all rows, searchable), and the volatility rows of
``tests.csv`` (``all`` group) when tests were run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.outputs.report.markup import by_p, esc, frame_table, table
from eventstudy.outputs.report.views import frame_grid

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult


def _cell(value: object) -> str:
    if isinstance(value, float | int) and value == value:
        return f"{int(value):,}" if float(value).is_integer() else f"{float(value):.4f}"
    return "" if value is None or value != value else esc(value)


def _table(frame: pd.DataFrame) -> str:
    rows = ([_cell(v) for v in row] for row in frame.itertuples(index=False))
    return table([esc(c) for c in frame.columns], rows)


def volatility_section(result: RunResult) -> str:
    """HTML of the section (empty string unless volatility is measured)."""
    if "volatility" not in result.study.study.measures:
        return ""
    avol = result.volatility()[1]
    parts = [
        "<section id=volatility><h2>Volatility</h2>",
        "<p>Beaver's (1968) U = AR²/s² averaged over each CAR window per pair (all "
        f"{len(avol):,} rows): avol near 1 is a normal variance. avol_p = P(F(L, df) ≥ avol) "
        "assumes normal returns (liberal with fat tails); avol_p_sq compares avol with the "
        "pair's own estimation-window runs of L sessions (one-sided). Files: "
        "abnormal_volatility.csv, avol.csv.</p>",
        frame_grid("avol", avol),
    ]
    if result.test_names:
        tests = result.tests()
        vol = tests[(tests["measure"] == "volatility") & (tests["group"] == "all")]
        parts.append(
            "<p>Percentile tests across all pairs (tests.csv): avol_cs_t is the t of the "
            "normal scores of each pair's avol percentile among its estimation-window runs, "
            "avol_wilcoxon the signed ranks of that percentile minus ½ (not tests of "
            "mean(avol) - 1, which over-reject with fat tails).</p>"
        )
        cols = ["window_start", "window_end", "test", "statistic", "p_value", "n"]
        parts.append(frame_table(by_p(vol[cols], "p_value")))
    parts.append("</section>")
    return "".join(parts)
