"""The report section "Volatility" (Beaver's U, :mod:`eventstudy.measures.volatility`).

:func:`volatility_section` returns one HTML ``<section>``: per pair, avol over one CAR
window with its F and sample-quantile p-values, and the volatility rows of
``tests.csv`` (``all`` group) when tests were run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventstudy.outputs.report.markup import by_p, frame_table
from eventstudy.outputs.report.markup import window as window_label

if TYPE_CHECKING:
    from eventstudy.pipeline.results import RunResult

MAX_ROWS = 200


def volatility_section(result: RunResult, window: tuple[int, int] = (0, 1)) -> str:
    """HTML of the section (empty string unless volatility is measured)."""
    if "volatility" not in result.study.study.measures:
        return ""
    windows = [tuple(w) for w in result.study.study.car_windows]
    if window not in windows:
        window = windows[0]
    avol = result.volatility()[1]
    rows = avol[(avol["window_start"] == window[0]) & (avol["window_end"] == window[1])]
    shown = by_p(rows[["event_id", "ticker", "avol", "avol_p", "avol_p_sq"]], "avol_p_sq")
    shown = shown.head(MAX_ROWS)
    capped = f" (first {MAX_ROWS} of {len(rows)})" if len(rows) > MAX_ROWS else ""
    parts = [
        "<section id=volatility><h2>Volatility</h2>",
        f"<p>Beaver's (1968) U = AR²/s² averaged over {window_label(*window)} per "
        f"pair{capped}, in order of the SQ p: avol near 1 is a normal variance. "
        "avol_p = P(F(L, df) ≥ avol) "
        "assumes normal returns (liberal with fat tails); avol_p_sq compares avol with the "
        "pair's own estimation-window runs of L sessions (one-sided). Files: "
        "abnormal_volatility.csv, avol.csv.</p>",
        frame_table(shown),
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
