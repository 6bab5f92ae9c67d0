"""Abnormal returns, cumulative abnormal returns and their standard errors.

Conventions (MacKinlay 1997, "Event Studies in Economics and Finance", JEL 35(1)
13-39, eqs. 7-14; Campbell, Lo & MacKinlay 1997, ch. 4):

* ``AR_t = R_t - x_t' b`` on each event-window day, ``x_t`` the model's prediction
  design (``[1, R_mt]`` for the market model: ``AR = R - alpha - beta R_m``).
* ``CAR(t1, t2)`` sums the ARs of the days in the window where the return exists.
* Under the null the event-window ARs have covariance
  ``V = s^2 (I + X* (X'X)^{-1} X*')`` (estimation error included), so for the L valid
  days of a window, with ``a`` the sum of their design rows,
  ``Var(CAR) = s^2 [ L + a' (X'X)^{-1} a ]``; for the market model this is
  ``s^2 [ L + L^2 / n + (sum_t (R_mt - mean R_m))^2 / S_mm ]``.
* A model with conditional variances (``model: garch``, :mod:`eventstudy.models.garch`)
  passes each day's disturbance variance ``day_var`` in place of ``s^2``:
  ``Var(CAR) = sum_t h_t + s^2 a' (X'X)^{-1} a`` (its ``(X'X)^{-1}`` is zero).
* ``t = CAR / se`` follows Student's t with the model's residual degrees of freedom
  (``n - 2`` for the market model); the p-value is two-sided.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

from eventstudy.models.fits import FloatArray, NormalFit


def abnormal_returns(fit: NormalFit, returns: FloatArray, design: FloatArray) -> FloatArray:
    """``R - design @ coef`` for every pair (row) and event day (column)."""
    return returns - np.einsum("nlk,nk->nl", design, fit.coef)


def car_variance(
    fit: NormalFit,
    design: FloatArray,
    included: NDArray[np.bool_],
    day_var: FloatArray | None = None,
) -> FloatArray:
    """MacKinlay (1997) variance of the CAR over the ``included`` days of each row.

    Parameters
    ----------
    fit
        The model estimates (sigma and ``(X'X)^{-1}``).
    design
        (N, L, k) prediction design on the event days (``fit.design(market)``).
    included
        (N, L) which days enter the CAR (in the window and with a valid AR).
    day_var
        (N, L) conditional variance of each day's disturbance (GARCH); default
        ``s^2`` on every day.

    Returns
    -------
    FloatArray
        ``s^2 [L + a' (X'X)^{-1} a]`` per row (``sum h_t + s^2 a' (X'X)^{-1} a`` with
        ``day_var``); NaN where no day is included.
    """
    days = included.sum(axis=1).astype(np.float64)
    summed = np.where(included[..., None], design, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore"):
        if day_var is None:
            var = fit.sigma**2 * (days + fit.forecast_term(summed))
        else:
            spread = np.where(included, day_var, 0.0).sum(axis=1)
            var = spread + fit.sigma**2 * fit.forecast_term(summed)
    var[days == 0] = np.nan
    return var


def cumulative_car_variance(
    fit: NormalFit,
    design: FloatArray,
    valid: NDArray[np.bool_],
    day_var: FloatArray | None = None,
) -> FloatArray:
    """Variance of the running CAR from the first event day to each day (same formula)."""
    days = np.cumsum(valid, axis=1).astype(np.float64)
    summed = np.cumsum(np.where(valid[..., None], design, 0.0), axis=1)
    with np.errstate(invalid="ignore"):
        s2 = (fit.sigma**2)[:, None]
        if day_var is None:
            var = s2 * (days + fit.forecast_term(summed))
        else:
            spread = np.cumsum(np.where(valid, day_var, 0.0), axis=1)
            var = spread + s2 * fit.forecast_term(summed)
    var[days == 0] = np.nan
    return var


def ar_variance(
    fit: NormalFit, design: FloatArray, day_var: FloatArray | None = None
) -> FloatArray:
    """One-day forecast-error variance ``s^2 (1 + x_t' (X'X)^{-1} x_t)`` (``h_t + ...``)."""
    s2 = (fit.sigma**2)[:, None]
    if day_var is None:
        return s2 * (1.0 + fit.forecast_term(design))
    return day_var + s2 * fit.forecast_term(design)


def t_test(
    estimate: FloatArray, se: FloatArray, df: NDArray[np.int64]
) -> tuple[FloatArray, FloatArray]:
    """t statistic ``estimate / se`` and its two-sided p-value under Student t(df)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t = estimate / se
    p = 2.0 * special.stdtr(df, -np.abs(t))
    return t, p
