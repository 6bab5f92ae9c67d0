"""Second-stage cross-sectional regressions of CARs on characteristics.

``result.regress("car ~ beta + C(category)", window=(0, 1), cov="HC1")`` fits the
formula with statsmodels' formula API on
:func:`eventstudy.measures.regression_data.regression_frame`
(one row per estimated pair: its CAR over the window, the ``car.csv`` columns, the
event's fields and attributes, the characteristics) and returns a
:class:`RegressionResult` around statsmodels' own results (``.model_result``).

Covariances (``cov``): ``nonrobust`` (OLS), ``HC1`` (White's heteroskedasticity-robust
with the n/(n-k) small-sample factor; the default), ``cluster:day0`` and
``cluster:ticker`` (statsmodels' cluster-robust covariance with its small-sample
correction G/(G-1)·(n-1)/(n-k), clusters the pairs' day 0 or security).
``weights="inverse-variance"`` fits WLS with weights 1/car_se².

p-values come from Student's t, never the normal: with n - k degrees of freedom for
OLS, HC and WLS fits, and with G - 1 for clustered errors (G clusters), the convention
of Stata and of statsmodels' ``use_t=True`` (Cameron & Miller 2015, "A Practitioner's
Guide to Cluster-Robust Inference", J. Human Resources 50(2), section VI.A).
``regression.csv`` records those degrees of freedom (``df``); a fit with n - k under
:data:`FEW_DF` warns (:class:`FewDegreesOfFreedomWarning`).

Same-date cross-sections (pairs sharing a day 0) have cross-correlated CARs, so
OLS and clustered standard errors are wrong (Cohn, Johnson, Liu & Wardlaw 2023,
"Past is Prologue: Inference from the Cross Section of Returns Around an Event",
SSRN 4296657). ``placebo=True`` adds their time-series placebo p-value, see
:func:`placebo_pvalues`.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

import numpy as np
import pandas as pd

from eventstudy.core.errors import EventStudyError
from eventstudy.core.settings import CovType, WeightsName
from eventstudy.measures.regression_data import (
    check_characteristics,
    regression_frame,
    study_characteristics,
)

if TYPE_CHECKING:
    from statsmodels.regression.linear_model import RegressionResultsWrapper

    from eventstudy.measures.record import StudyRecord

__all__ = ["COV_TYPES", "REGRESSION_COLUMNS", "RegressionResult", "placebo_pvalues", "regress"]

COV_TYPES: tuple[str, ...] = get_args(CovType)
"""Covariance choices of :func:`regress` (those of the ``regressions:`` key)."""
WEIGHTS: tuple[str, ...] = get_args(WeightsName)
"""Weighting choices of :func:`regress` (None: OLS)."""
REGRESSION_COLUMNS = [
    "formula",
    "window_start",
    "window_end",
    "term",
    "estimate",
    "std_error",
    "t",
    "p_value",
    "p_placebo",
    "n",
    "r2",
    "cov_type",
    "df",
]
"""Columns of ``regression.csv`` (one row per regression and term); ``df`` is the
degrees of freedom of the t distribution behind ``p_value``."""
FEW_DF = 10
"""Residual degrees of freedom (n - k) under which a fit warns."""


class RowsDroppedWarning(UserWarning):
    """Pairs left out of a regression because a variable of the formula is missing."""


class FewDegreesOfFreedomWarning(UserWarning):
    """A regression with fewer than :data:`FEW_DF` residual degrees of freedom."""


class RegressionLeftOutWarning(UserWarning):
    """A study regression that this run's pairs cannot estimate, left out of the run."""


class NotEstimableError(EventStudyError):
    """A well-formed regression that the run's pairs cannot estimate (too few pairs
    for the coefficients, or one cluster for a cluster-robust covariance)."""


@dataclass(frozen=True)
class RegressionResult:
    """A cross-sectional regression of CARs, in the style of statsmodels' results.

    Attributes
    ----------
    formula
        The formula as given.
    window
        The CAR window.
    cov
        The covariance choice (:data:`COV_TYPES`).
    weights
        ``"inverse-variance"`` or None.
    model_result
        statsmodels' fitted results (``params``, ``bse``, ``summary()`` ...).
    p_placebo
        CJLW placebo p-value per term (:func:`placebo_pvalues`), or None.
    n_placebo
        Placebo days T behind ``p_placebo`` (0 without placebo).
    """

    formula: str
    window: tuple[int, int]
    cov: str
    weights: str | None
    model_result: RegressionResultsWrapper
    p_placebo: pd.Series | None = None
    n_placebo: int = 0

    def to_frame(self) -> pd.DataFrame:
        """One row per term: the ``regression.csv`` columns."""
        r = self.model_result
        p_placebo = (
            self.p_placebo.reindex(r.params.index)
            if self.p_placebo is not None
            else pd.Series(np.nan, index=r.params.index)
        )
        return pd.DataFrame({
            "formula": self.formula,
            "window_start": self.window[0],
            "window_end": self.window[1],
            "term": r.params.index.astype(str),
            "estimate": r.params.to_numpy(),
            "std_error": r.bse.to_numpy(),
            "t": r.tvalues.to_numpy(),
            "p_value": r.pvalues.to_numpy(),
            "p_placebo": p_placebo.to_numpy(dtype=float),
            "n": int(r.nobs),
            "r2": float(r.rsquared),
            "cov_type": self.cov + (" WLS inverse-variance" if self.weights else ""),
            "df": float(getattr(r, "df_resid_inference", r.df_resid)),
        })[REGRESSION_COLUMNS]  # fmt: skip

    def summary(self) -> str:
        """A text table: the formula, window, n, R², then a row per term."""
        frame = self.to_frame()
        head = (
            f"{self.formula}   CAR[{self.window[0]:+d},{self.window[1]:+d}]   "
            f"n = {int(self.model_result.nobs)}   R² = {self.model_result.rsquared:.3f}   "
            f"cov: {frame['cov_type'].iloc[0]}"
        )
        cols = ["term", "estimate", "std_error", "t", "p_value"] + (
            ["p_placebo"] if self.p_placebo is not None else []
        )
        body = frame[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}")
        note = (
            f"\np_placebo: CJLW (2023) time-series placebo over {self.n_placebo} "
            "estimation-window days"
            if self.p_placebo is not None
            else ""
        )
        return f"{head}\n{body}{note}"

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        frame = self.to_frame().drop(columns=["formula", "window_start", "window_end"])
        formula = html.escape(self.formula, quote=True)
        return (
            f"<p><b>{formula}</b>, CAR[{self.window[0]:+d},{self.window[1]:+d}]</p>"
            + frame.to_html(index=False, float_format=lambda v: f"{v:.4g}")
        )


def _check(cov: str, weights: str | None) -> None:
    if cov not in COV_TYPES:
        raise EventStudyError(
            f"unknown covariance '{cov}' (choose from {', '.join(COV_TYPES)})", field="cov"
        )
    if weights is not None and weights not in WEIGHTS:
        raise EventStudyError(
            f"unknown weights '{weights}' (choose inverse-variance, or none for OLS)",
            field="weights",
        )


def _fit(formula: str, frame: pd.DataFrame, cov: str, weights: str | None) -> Any:
    """statsmodels' OLS/WLS of ``formula`` on ``frame`` with the chosen covariance."""
    import statsmodels.formula.api as smf

    try:
        if weights is None:
            model = smf.ols(formula, frame, missing="drop")
        else:
            w = 1.0 / frame["car_se"].to_numpy(dtype=float) ** 2
            model = smf.wls(formula, frame, weights=w, missing="drop")
    except Exception as exc:  # patsy/formulaic errors: name the formula and the variables
        message = str(exc).splitlines()[0]
        known = ", ".join(str(c) for c in frame.columns)
        raise EventStudyError(
            f"cannot fit '{formula}': {message} (variables: {known})", field="formula"
        ) from None
    rows = model.data.row_labels
    if len(rows) < len(frame):
        warnings.warn(
            f"regression '{formula}': {len(frame) - len(rows)} of {len(frame)} pairs left out "
            "(a variable of the formula is missing for them)",
            RowsDroppedWarning,
            stacklevel=3,
        )
    if len(rows) <= model.exog.shape[1]:
        raise NotEstimableError(
            f"regression '{formula}' has {len(rows)} pairs for {model.exog.shape[1]} "
            "coefficients: too few",
            field="formula",
        )
    if cov.startswith("cluster:"):
        column = cov.split(":", 1)[1]
        groups = pd.factorize(frame.loc[rows, column])[0]
        if groups.max() < 1:
            raise NotEstimableError(
                f"regression '{formula}' with cov {cov} needs at least 2 clusters; its "
                f"{len(rows)} pairs share one {column}",
                field="cov",
            )
        fitted = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    else:
        fitted = model.fit(cov_type=cov, use_t=True)
    n, k = len(rows), model.exog.shape[1]
    if n - k < FEW_DF:
        warnings.warn(
            f"regression '{formula}': {n} pairs for {k} coefficients leave {n - k} residual "
            f"degrees of freedom (under {FEW_DF}): its p-values (t with few df) are fragile",
            FewDegreesOfFreedomWarning,
            stacklevel=3,
        )
    return fitted


def regress(
    result: StudyRecord,
    formula: str,
    window: tuple[int, int] = (0, 1),
    cov: str = "HC1",
    weights: str | None = None,
    data: pd.DataFrame | None = None,
    placebo: bool = False,
) -> RegressionResult:
    """Regress one window's CARs on characteristics (see the module docstring).

    Parameters
    ----------
    result
        The study run.
    formula
        A statsmodels formula, e.g. ``"car ~ beta + C(category)"``; any column of
        :func:`~eventstudy.measures.regression_data.regression_frame` may appear.
    window
        The CAR window (one of ``study.car_windows``).
    cov
        ``nonrobust``, ``HC1``, ``cluster:day0`` or ``cluster:ticker``.
    weights
        ``"inverse-variance"`` for WLS with 1/car_se², None for OLS.
    data
        A characteristics table; default the study's ``characteristics`` file.
    placebo
        Also compute the CJLW placebo p-value of every coefficient.

    Returns
    -------
    RegressionResult
    """
    _check(cov, weights)
    window = (int(window[0]), int(window[1]))
    chars = check_characteristics(data) if data is not None else study_characteristics(result)
    frame = regression_frame(result, window, chars)
    fitted = _fit(formula, frame, cov, weights)
    if not placebo:
        return RegressionResult(formula, window, cov, weights, fitted)
    p, days = placebo_pvalues(result, frame, fitted, window)
    return RegressionResult(formula, window, cov, weights, fitted, p, days)


def placebo_cars(result: StudyRecord, frame: pd.DataFrame, length: int) -> np.ndarray:
    """CARs of ``length`` sessions on every estimation-window day, for ``frame``'s pairs.

    Row i, column τ is the sum of pair i's estimation residuals (its fitted model's
    abnormal returns) over relative days τ .. τ + length - 1, for every τ with that
    window inside the estimation window; NaN where a residual of the run is missing
    (masked or no price).
    """
    est = result.study.study.estimation_window
    days = est[1] - est[0] + 1 - length + 1
    rows: dict[tuple[str, str], np.ndarray] = {}
    for group in result.estimates:
        resid = group.residuals
        missing = np.isnan(resid)
        zero = np.zeros((len(resid), 1))
        csum = np.concatenate([zero, np.cumsum(np.where(missing, 0.0, resid), axis=1)], axis=1)
        gaps = np.concatenate([zero, np.cumsum(missing, axis=1)], axis=1)
        sums = csum[:, length:] - csum[:, :-length]
        sums[(gaps[:, length:] - gaps[:, :-length]) > 0] = np.nan  # a run with a gap
        for i, pair in enumerate(group.pairs):
            rows[(pair.event_id, pair.ticker)] = sums[i, :days]
    empty = np.full(days, np.nan)
    keys = zip(frame["event_id"], frame["ticker"], strict=True)
    return np.vstack([rows.get(k, empty) for k in keys]) if len(frame) else np.empty((0, days))


def placebo_pvalues(
    result: StudyRecord, frame: pd.DataFrame, fitted: Any, window: tuple[int, int]
) -> tuple[pd.Series, int]:
    """Cohn, Johnson, Liu & Wardlaw (2023) time-series placebo p-value per coefficient.

    The same regression (same regressors, weights and pairs) is run with the
    dependent variable replaced by each pair's CAR of the same window length on
    estimation-window day τ (:func:`placebo_cars`; τ is the relative day of the
    placebo window's first session, so every pair's placebo window is at the same
    distance from its own day 0: calendar dates differ across firm-specific events,
    and coincide for pairs sharing a day 0, which keeps their cross-correlation, the
    point of the method). For the T placebo days with a CAR for every pair,
    ``p_placebo = (1 + #{τ: |b_τ| ≥ |b|}) / (1 + T)`` (two-sided; smallest value
    1/(1 + T)). A day where some pair's placebo CAR is missing is run on the pairs
    that have one.

    Returns
    -------
    (pandas.Series, int)
        p_placebo per term, and T.
    """
    rows = fitted.model.data.row_labels
    x = np.asarray(fitted.model.exog, dtype=float)
    w = np.asarray(getattr(fitted.model, "weights", np.ones(len(x))), dtype=float)
    root = np.sqrt(w)[:, None]
    cars = placebo_cars(result, frame.loc[rows], window[1] - window[0] + 1)
    full = ~np.isnan(cars).any(axis=0)
    coefs = np.full((cars.shape[1], x.shape[1]), np.nan)
    if full.any():  # one solve for every day with all pairs: same regressors
        coefs[full] = np.linalg.lstsq(x * root, cars[:, full] * root, rcond=None)[0].T
    for tau in np.flatnonzero(~full):
        keep = ~np.isnan(cars[:, tau])
        if keep.sum() > x.shape[1]:
            sub = x[keep] * root[keep]
            coefs[tau] = np.linalg.lstsq(sub, cars[keep, tau] * root[keep, 0], rcond=None)[0]
    used = ~np.isnan(coefs).any(axis=1)
    b = np.asarray(fitted.params, dtype=float)
    exceed = (np.abs(coefs[used]) >= np.abs(b)).sum(axis=0)
    days = int(used.sum())
    return pd.Series((1 + exceed) / (1 + days), index=fitted.params.index), days
