"""The report section "Did it last?": BHARs and calendar-time alphas (``bhar_windows``).

:func:`long_horizon_section` returns one HTML ``<section>``: per BHAR window, the
pairs, mean and median BHAR (with the mean BHAR path figure ``bhar.png``) with the
skewness-adjusted t (Lyon, Barber & Tsai 1999)
and its bootstrap p from ``tests.csv``, then the calendar-time portfolio alphas
(:mod:`eventstudy.measures.calendar_time`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventstudy.outputs.report.markup import esc, num, table
from eventstudy.outputs.report.markup import window as window_label
from eventstudy.outputs.report.views import frame_grid

if TYPE_CHECKING:
    import pandas as pd

    from eventstudy.outputs.report.figures import Embedder
    from eventstudy.pipeline.results import RunResult


def _bhar_rows(bhar: pd.DataFrame, tests: pd.DataFrame | None) -> list[list[str]]:
    rows = []
    p_values = {}
    if tests is not None:
        mine = tests[(tests["measure"] == "bhar") & (tests["group"] == "all")]
        for r in mine.itertuples(index=False):
            p_values.setdefault((r.window_start, r.window_end), {})[r.test] = r.p_value
    for (a, b), window in bhar.groupby(["window_start", "window_end"], sort=True):
        p = p_values.get((a, b), {})
        rows.append([
            window_label(a, b), str(len(window)), num(window["bhar"].mean(), 2, 100),
            num(window["bhar"].median(), 2, 100), num(p.get("bhar_t"), 3),
            num(p.get("bhar_t_sa"), 3), num(p.get("bhar_t_sa_boot"), 3),
        ])  # fmt: skip
    return rows


def long_horizon_section(result: RunResult, figures: Embedder | None = None) -> str:
    """HTML of the section (empty string without ``bhar_windows``), with the ``bhar``
    figure when ``figures`` are embedded."""
    horizon = result.long_horizon
    if horizon is None:
        return ""
    tests = result.tests() if result.test_names else None
    header = ["window", "pairs", "mean BHAR %", "median BHAR %", "t p", "t_sa p", "boot p"]
    bhar = table(header, _bhar_rows(horizon.bhar, tests), numeric=[False] + [True] * 6)
    ct = horizon.calendar_time
    ct_rows = (
        [window_label(r.window_start, r.window_end), esc(r.model), num(r.alpha, 3, 100),
         num(r.alpha_t, 2), num(r.alpha_p, 3), str(r.n_days), num(r.mean_n_securities, 1),
         esc(r.cov_type)]
        for r in ct.itertuples(index=False)
    )  # fmt: skip
    ct_header = ["window", "model", "alpha % a day", "t", "p", "days", "mean securities", "se"]
    calendar = table(ct_header, ct_rows, numeric=[False, False] + [True] * 5 + [False])
    return (
        "<section id=long-horizon><h2>Long horizon: did it last?</h2>"
        "<p>Buy-and-hold abnormal returns over each window (bhar.csv; all pairs, p-values "
        "of the conventional t, the skewness-adjusted t of Lyon, Barber &amp; Tsai 1999 and "
        "its bootstrap). BHARs of overlapping events are cross-correlated; the "
        "calendar-time portfolio alpha (Fama 1998; Mitchell &amp; Stafford 2000) is not "
        "affected by that.</p>"
        + (
            figures.figure("bhar", "Mean BHAR over the longest window with a 95% band")
            if figures is not None
            else ""
        )
        + f"{bhar}<h3>BHAR per pair and window ({len(horizon.bhar):,} rows)</h3>"
        + frame_grid("bhar", horizon.bhar)
        + f"<h3>Calendar-time portfolios</h3>{calendar}</section>"
    )
