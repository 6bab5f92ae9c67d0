"""The report section "Volatility" (Beaver's U, :mod:`eventstudy.measures.volatility`).

:func:`volatility_section` returns one HTML ``<section>``: per pair, avol over one CAR
window with its F and sample-quantile p-values, and the volatility rows of
``tests.csv`` (``all`` group) when tests were run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.outputs.report.markup import esc, table

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult

MAX_ROWS = 200


def _cell(value: object) -> str:
    if isinstance(value, float | int) and value == value:
        return f"{float(value):.4f}"
    return "" if value is None or value != value else esc(value)


def _table(frame: pd.DataFrame) -> str:
    rows = ([_cell(v) for v in row] for row in frame.itertuples(index=False))
    return table([esc(c) for c in frame.columns], rows)


def volatility_section(result: RunResult, window: tuple[int, int] = (0, 1)) -> str:
    """HTML of the section (empty string unless volatility is measured)."""
    if "volatility" not in result.study.study.measures:
        return ""
    windows = [tuple(w) for w in result.study.study.car_windows]
    if window not in windows:
        window = windows[0]
    avol = result.volatility()[1]
    rows = avol[(avol["window_start"] == window[0]) & (avol["window_end"] == window[1])]
    shown = rows[["event_id", "ticker", "avol", "avol_p", "avol_p_sq"]].head(MAX_ROWS)
    capped = f" (first {MAX_ROWS} of {len(rows)})" if len(rows) > MAX_ROWS else ""
    parts = [
        "<section id=volatility><h2>Volatility</h2>",
        f"<p>Beaver's (1968) U = AR²/s² averaged over [{window[0]:+d},{window[1]:+d}] per "
        f"pair{capped}: avol near 1 is a normal variance. avol_p = P(F(L, df) ≥ avol) "
        "assumes normal returns (liberal with fat tails); avol_p_sq compares avol with the "
        "pair's own estimation-window runs of L sessions (one-sided). Files: "
        "abnormal_volatility.csv, avol.csv.</p>",
        _table(shown),
    ]
    if result.test_names:
        tests = result.tests()
        vol = tests[(tests["measure"] == "volatility") & (tests["group"] == "all")]
        parts.append("<p>Tests of mean(avol) - 1 across all pairs (tests.csv):</p>")
        cols = ["window_start", "window_end", "test", "statistic", "p_value", "n"]
        parts.append(_table(vol[cols]))
    parts.append("</section>")
    return "".join(parts)
