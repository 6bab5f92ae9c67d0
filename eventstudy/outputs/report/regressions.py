"""The report section "What explains the CARs?": the study's second-stage regressions.

:func:`regressions_section` returns one HTML ``<section>`` with a table per regression
of ``study.regressions`` (:mod:`eventstudy.measures.regression`): each term's estimate, standard
error, t, p-value and, when asked for, the CJLW placebo p-value; coefficients of a CAR
regression in % (the unit of the report's CARs), the terms in order of p.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventstudy.outputs.report.markup import by_p, count, esc, num, pvalue, table, window

if TYPE_CHECKING:
    from eventstudy.measures.regression import RegressionResult
    from eventstudy.pipeline.results import RunResult


def in_percent(reg: RegressionResult) -> bool:
    """Whether the regression explains a CAR (its coefficients are then shown in %,
    the unit of the report's CARs)."""
    return str(reg.model_result.model.endog_names).strip() == "car"


def _regression_html(reg: RegressionResult) -> str:
    frame = by_p(reg.to_frame(), "p_value")
    placebo = reg.p_placebo is not None
    scale, unit = (100.0, " (% of CAR)") if in_percent(reg) else (1.0, "")
    header = ["Term", f"Estimate{unit}", f"s.e.{unit}", "t", "p"]
    header += ["p (placebo)"] if placebo else []
    rows = (
        [
            esc(r.term),
            num(r.estimate, 3, scale),
            num(r.std_error, 3, scale),
            num(r.t, 2),
            pvalue(r.p_value),
        ]
        + ([pvalue(r.p_placebo)] if placebo else [])
        for r in frame.itertuples(index=False)
    )
    numeric = [False] + [True] * (len(header) - 1)
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
    return caption + table(header, rows, numeric=numeric)


def regressions_section(result: RunResult) -> str:
    """HTML of the section (empty string when the study has no regressions)."""
    if not result.study.study.regressions:
        return ""
    body = "".join(_regression_html(r) for r in result.regressions())
    return (
        "<section id=regressions><h2>What explains the CARs?</h2>"
        "<p>Cross-sectional regressions of the pairs' CARs (regression.csv). With pairs "
        "that share a day 0 the usual standard errors understate the uncertainty; the "
        "placebo p-value does not.</p>"
        f"{body}</section>"
    )
