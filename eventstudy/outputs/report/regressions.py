"""The report section "What explains the CARs?": the study's second-stage regressions.

:func:`regressions_section` returns one HTML ``<section>`` with a table per regression
of ``study.regressions`` (:mod:`eventstudy.measures.regression`): each term's estimate, standard
error, t, p-value and, when asked for, the CJLW placebo p-value; coefficients of a CAR
regression in % (the unit of the report's CARs), the terms in order of p.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventstudy.outputs.report.markup import by_p, count, esc, num, window
from eventstudy.outputs.report.views import frame_grid

if TYPE_CHECKING:
    from eventstudy.measures.regression import RegressionResult
    from eventstudy.pipeline.results import RunResult


def in_percent(reg: RegressionResult) -> bool:
    """Whether the regression explains a CAR (its coefficients are then shown in %,
    the unit of the report's CARs)."""
    return str(reg.model_result.model.endog_names).strip() == "car"


def _regression_html(reg: RegressionResult, name: str) -> str:
    frame = by_p(reg.to_frame(), "p_value")
    if in_percent(reg):  # the unit of the report's CARs (regression.csv keeps fractions)
        frame = frame.assign(
            estimate=frame["estimate"] * 100, std_error=frame["std_error"] * 100
        ).rename(columns={"estimate": "estimate (% of CAR)", "std_error": "s.e. (% of CAR)"})
    placebo = reg.p_placebo is not None
    fit = reg.model_result
    caption = (
        f"<h3>{esc(reg.formula)}</h3><p>CAR{window(*reg.window)}, "
        f"{count(int(fit.nobs))} pairs, terms in order of p, R² {num(fit.rsquared, 3)}, covariance "
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
