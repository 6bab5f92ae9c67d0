"""The report section "What explains the CARs?": the study's second-stage regressions.

:func:`regressions_section` returns one HTML ``<section>`` with a table per regression
of ``study.regressions`` (:mod:`eventstudy.measures.regression`): each term's estimate, standard
error, t, p-value and, when asked for, the CJLW placebo p-value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventstudy.outputs.report.markup import esc, num
from eventstudy.outputs.report.views import frame_grid

if TYPE_CHECKING:
    from eventstudy.measures.regression import RegressionResult
    from eventstudy.pipeline.results import RunResult


def _regression_html(reg: RegressionResult, name: str) -> str:
    frame = reg.to_frame()
    placebo = reg.p_placebo is not None
    fit = reg.model_result
    caption = (
        f"<h3>{esc(reg.formula)}</h3><p>CAR[{reg.window[0]:+d},{reg.window[1]:+d}], "
        f"{int(fit.nobs)} pairs, R² {num(fit.rsquared, 3)}, covariance "
        f"{esc(frame['cov_type'].iloc[0])}"
        + (
            f"; placebo p over {reg.n_placebo} estimation-window days (Cohn, Johnson, Liu "
            "&amp; Wardlaw 2023)"
            if placebo
            else ""
        )
        + ".</p>"
    )
    return caption + frame_grid(name, frame)


def regressions_section(result: RunResult) -> str:
    """HTML of the section (empty string when the study has no regressions)."""
    if not result.study.study.regressions:
        return ""
    body = "".join(
        _regression_html(r, f"regression-{i}") for i, r in enumerate(result.regressions())
    )
    return (
        "<section id=regressions><h2>What explains the CARs?</h2>"
        "<p>Cross-sectional regressions of the pairs' CARs (regression.csv). With pairs "
        "that share a day 0 the usual standard errors understate the uncertainty; the "
        "placebo p-value does not.</p>"
        f"{body}</section>"
    )
